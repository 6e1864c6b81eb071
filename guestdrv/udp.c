/*
 * udp.c: UDP (RFC 768) with checksums: a received datagram's length must
 * fit the IP payload and its checksum must verify (0 = sender sent none);
 * it is handed to the handler bound to its destination port, else to the
 * wildcard handler (port 0, the sink), else dropped. Sent datagrams always
 * carry a checksum. udp_echo_handler is the echo service (RFC 862).
 */
#include "net.h"

#define UDP_MAX_BINDS	8

static struct {
	uint16_t port;
	udp_handler_t h;
} udp_binds[UDP_MAX_BINDS];

int udp_bind(uint16_t port, udp_handler_t h)
{
	for (unsigned int i = 0; i < UDP_MAX_BINDS; i++)
		if (!udp_binds[i].h || udp_binds[i].port == port) {
			udp_binds[i].port = port;
			udp_binds[i].h = h;
			return 0;
		}
	return -ENOSPC;
}

/* The sender's MAC of the datagram being handled (for the echo reply). */
static const uint8_t *udp_rx_mac;

static udp_handler_t udp_lookup(uint16_t port)
{
	udp_handler_t any = NULL;

	for (unsigned int i = 0; i < UDP_MAX_BINDS && udp_binds[i].h; i++) {
		if (udp_binds[i].port == port)
			return udp_binds[i].h;
		if (udp_binds[i].port == 0)
			any = udp_binds[i].h;
	}
	return any;
}

uint16_t udp_checksum(uint32_t src, uint32_t dst, const uint8_t *p, uint16_t len)
{
	uint8_t pseudo[12];
	uint16_t c;

	put_be32(pseudo, src);
	put_be32(pseudo + 4, dst);
	pseudo[8] = 0;
	pseudo[9] = IP_PROTO_UDP;
	put_be16(pseudo + 10, len);
	c = (uint16_t)~inet_fold(inet_sum(p, len, inet_sum(pseudo, sizeof(pseudo), 0)));
	return c;
}

void udp_input(struct netif *nif, const uint8_t *src_mac, uint32_t src,
	       uint32_t dst, const uint8_t *p, size_t len)
{
	uint16_t ulen;
	udp_handler_t h;

	if (len < UDP_HLEN)
		goto drop;
	ulen = get_be16(p + 4);
	if (ulen < UDP_HLEN || ulen > len)
		goto drop;
	/* Summing a correct datagram, checksum included, gives 0. */
	if (get_be16(p + 6) && udp_checksum(src, dst, p, ulen) != 0)
		goto drop;
	h = udp_lookup(get_be16(p + 2));
	if (!h)
		goto drop;
	udp_rx_mac = src_mac;
	h(nif, src, get_be16(p), dst, get_be16(p + 2), p + UDP_HLEN,
	  (uint16_t)(ulen - UDP_HLEN));
	udp_rx_mac = NULL;
	return;
drop:
	nif->rx_dropped++;
}

/* Header and data into d; returns the datagram length. */
static uint16_t udp_build(uint8_t *d, uint32_t src, uint32_t dst, uint16_t sport,
			  uint16_t dport, const uint8_t *data, uint16_t len)
{
	uint16_t ulen = (uint16_t)(UDP_HLEN + len), c;

	put_be16(d, sport);
	put_be16(d + 2, dport);
	put_be16(d + 4, ulen);
	put_be16(d + 6, 0);
	memcpy(d + UDP_HLEN, data, len);
	c = udp_checksum(src, dst, d, ulen);
	put_be16(d + 6, c ? c : 0xffff);	/* 0 means "no checksum" */
	return ulen;
}

int udp_send(uint32_t dst, uint16_t sport, uint16_t dport,
	     const uint8_t *data, uint16_t len)
{
	static uint8_t dgram[NET_MTU - IP_HLEN];
	struct net_route r;
	int rc;

	if (len > UDP_MAX_DATA)
		return -EMSGSIZE;
	rc = net_route(dst, &r);
	if (rc < 0)
		return rc;
	len = udp_build(dgram, r.src, dst, sport, dport, data, len);
	return ip_send(&r, dst, IP_PROTO_UDP, dgram, len);
}

void udp_echo_handler(struct netif *nif, uint32_t src, uint16_t sport,
		      uint32_t dst, uint16_t dport, const uint8_t *data, uint16_t len)
{
	static uint8_t dgram[NET_MTU - IP_HLEN];
	uint16_t ulen;

	if (!udp_rx_mac || !net_is_local(NULL, dst) || len > UDP_MAX_DATA)
		return;		/* no echo to broadcasts */
	ulen = udp_build(dgram, dst, src, dport, sport, data, len);
	ip_send_to_mac(nif, udp_rx_mac, dst, src, IP_PROTO_UDP, dgram, ulen);
}
