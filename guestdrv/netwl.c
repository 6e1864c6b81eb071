/*
 * netwl.c: bringing the network up and what the network workloads share.
 * net_start() (from main.c, before the ready line) starts the virtio-net
 * devices, applies ip=/gw=/peer_mac= and prints one line per NIC, then
 * announces our addresses (gratuitous ARP). The helpers below read the
 * workloads' common options (peer=) and decide when polling must not
 * sleep.
 */
#include "cmdline.h"
#include "netwl.h"
#include "virtio_net.h"

#define NET_BUSY_NS	1100000000ULL	/* keep polling this long after traffic: 1 Hz pings keep us awake */

void net_print_nic(struct netif *nif)
{
	char mac[24], ips[96] = "none", ip[16];
	size_t n = 0;

	for (unsigned int i = 0; i < nif->nr_addr; i++)
		n += (size_t)snprintf(ips + n, sizeof(ips) - MIN(n, sizeof(ips)),
				      "%s%s/%u", i ? "," : "",
				      net_fmt_ip(ip, sizeof(ip), nif->addr[i].ip),
				      nif->addr[i].plen);
	kprintf("guest: %s mac=%s link=%s ip=%s\n", nif->name,
		net_fmt_mac(mac, sizeof(mac), nif->mac),
		nif->link_up ? "up" : "down", ips);
}

/* peer_mac=: a static ARP entry for peer= (no resolution needed). */
static void net_static_peer(void)
{
	const char *s = cmdline_str("peer_mac");
	uint8_t mac[ETH_ALEN];
	struct net_route r;
	uint32_t peer;

	if (!s || !*s)
		return;
	if (net_parse_mac(s, strlen(s), mac) < 0) {
		kprintf("guest: warning: peer_mac: bad MAC '%s', ignored\n", s);
		return;
	}
	if (net_peer("peer_mac", &peer) < 0 || net_route(peer, &r) < 0)
		return;
	arp_set_static(r.nif, r.nexthop, mac);
}

int net_start(void)
{
	int n = virtio_net_init();

	if (n <= 0)
		return n;
	net_config(cmdline_str("ip"), cmdline_str("gw"));
	net_static_peer();
	for (unsigned int i = 0; i < netif_count(); i++) {
		struct netif *nif = netif_get(i);

		/* mtu=: every NIC's, over what the device said */
		if (cmdline_isset("mtu"))
			nif->mtu = (uint16_t)cmdline_num("mtu");
		net_print_nic(nif);
		if (nif->mtu != NET_MTU_DEFAULT)
			kprintf("guest: %s mtu=%u\n", nif->name, nif->mtu);
		arp_announce(netif_get(i));
	}
	net_flush();
	return n;
}

bool net_usable(const char *who)
{
	for (unsigned int i = 0; i < netif_count(); i++)
		if (!netif_get(i)->disabled && netif_get(i)->nr_addr)
			return true;
	kprintf("guest: %s: no network interface with an address (ip=)\n", who);
	return false;
}

int net_peer(const char *who, uint32_t *ip)
{
	const char *s = cmdline_str("peer");
	struct net_route r;

	if (!s || !*s || net_parse_ip(s, strlen(s), ip) < 0) {
		kprintf("guest: %s: peer=ADDR missing or bad\n", who);
		return -EINVAL;
	}
	if (net_route(*ip, &r) < 0) {
		kprintf("guest: %s: no route to %s (ip=, gw=)\n", who, s);
		return -ENETUNREACH;
	}
	return 0;
}

bool net_busy(uint64_t now)
{
	return net_last_rx && now - net_last_rx < NET_BUSY_NS;
}

void net_seq_payload(uint8_t *p, uint32_t seq, uint64_t now)
{
	put_be32(p, NET_SEQ_MAGIC);
	put_be32(p + 4, seq);
	put_be32(p + 8, (uint32_t)(now >> 32));
	put_be32(p + 12, (uint32_t)now);
}

bool net_seq_parse(const uint8_t *p, uint16_t len, uint32_t *seq)
{
	if (len < NET_SEQ_LEN || get_be32(p) != NET_SEQ_MAGIC)
		return false;
	*seq = get_be32(p + 4);
	return true;
}
