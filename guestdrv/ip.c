/*
 * ip.c: IPv4 (RFC 791) without options on output and without fragments:
 * received fragments are dropped (we never reassemble), every header is
 * checked (version, IHL, total length against the frame, header checksum)
 * before the payload goes to ICMP or UDP. Output sets DF and TTL 64 and
 * resolves the next hop through ARP. The Internet checksum (RFC 1071) is
 * here too, shared by ICMP and UDP.
 */
#include "net.h"

#define IP_TTL		64
#define IP_DF		0x4000
#define IP_MF		0x2000
#define IP_OFFMASK	0x1fff

static uint16_t ip_id;
static const uint8_t mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

uint32_t inet_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	uint64_t s = sum;

	for (; len >= 2; p += 2, len -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

uint16_t inet_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

void ip_build_header(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto,
		     uint16_t payload_len, uint16_t id)
{
	p[0] = 0x45;			/* version 4, 5 words */
	p[1] = 0;
	put_be16(p + 2, (uint16_t)(IP_HLEN + payload_len));
	put_be16(p + 4, id);
	put_be16(p + 6, IP_DF);
	p[8] = IP_TTL;
	p[9] = proto;
	put_be16(p + 10, 0);
	put_be32(p + 12, src);
	put_be32(p + 16, dst);
	put_be16(p + 10, (uint16_t)~inet_fold(inet_sum(p, IP_HLEN, 0)));
}

/* Source addresses no one may send from (RFC 1122 §3.2.1.3). */
static bool ip_bad_source(uint32_t src)
{
	return src == 0 || src == 0xffffffff || (src >> 28) == 0xe ||
	       (src >> 24) == 127;
}

void ip_input(struct netif *nif, const uint8_t *src_mac, const uint8_t *p, size_t len)
{
	size_t hlen, total;
	uint32_t src, dst;

	if (len < IP_HLEN || (p[0] >> 4) != 4)
		goto drop;
	hlen = (size_t)(p[0] & 0xf) * 4;
	total = get_be16(p + 2);
	/* The frame may be padded past total, never shorter. */
	if (hlen < IP_HLEN || hlen > total || total > len)
		goto drop;
	if (inet_fold(inet_sum(p, hlen, 0)) != 0xffff)
		goto drop;
	if (get_be16(p + 6) & (IP_MF | IP_OFFMASK))
		goto drop;		/* a fragment: no reassembly */
	src = get_be32(p + 12);
	dst = get_be32(p + 16);
	if (ip_bad_source(src) || !net_is_local(nif, dst))
		goto drop;
	switch (p[9]) {
	case IP_PROTO_ICMP:
		icmp_input(nif, src_mac, src, dst, p + hlen, total - hlen);
		return;
	case IP_PROTO_UDP:
		udp_input(nif, src_mac, src, dst, p + hlen, total - hlen);
		return;
	}
drop:
	nif->rx_dropped++;
}

/* Build header and payload into a transmit buffer and send it. */
static int ip_emit(struct netif *nif, const uint8_t mac[ETH_ALEN], uint32_t src,
		   uint32_t dst, uint8_t proto, const uint8_t *payload, uint16_t len)
{
	uint8_t *buf = nif->ops->tx_buf(nif);

	if (!buf) {
		nif->tx_dropped++;
		return -ENOSPC;
	}
	ip_build_header(buf + ETH_HLEN, src, dst, proto, len, ip_id++);
	memcpy(buf + ETH_HLEN + IP_HLEN, payload, len);
	return eth_output(nif, buf, mac, ETH_P_IP, (uint16_t)(ETH_HLEN + IP_HLEN + len));
}

int ip_send_to_mac(struct netif *nif, const uint8_t mac[ETH_ALEN], uint32_t src,
		   uint32_t dst, uint8_t proto, const uint8_t *payload, uint16_t len)
{
	if (len > nif->mtu - IP_HLEN)
		return -EMSGSIZE;
	return ip_emit(nif, mac, src, dst, proto, payload, len);
}

int ip_send(const struct net_route *r, uint32_t dst, uint8_t proto,
	    const uint8_t *payload, uint16_t len)
{
	static uint8_t pkt[NET_MTU];
	uint8_t mac[ETH_ALEN];
	int rc;

	if (len > r->nif->mtu - IP_HLEN)
		return -EMSGSIZE;
	if (dst == 0xffffffff)
		return ip_emit(r->nif, mac_bcast, r->src, dst, proto, payload, len);
	rc = arp_resolve(r->nif, r->nexthop, mac);
	if (rc == 0)
		return ip_emit(r->nif, mac, r->src, dst, proto, payload, len);
	if (rc != -EAGAIN)
		return rc;
	/* Keep it for the ARP reply (the first ping is not lost). */
	ip_build_header(pkt, r->src, dst, proto, len, ip_id++);
	memcpy(pkt + IP_HLEN, payload, len);
	arp_hold(r->nif, r->nexthop, pkt, (uint16_t)(IP_HLEN + len));
	return 0;
}
