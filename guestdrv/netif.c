/*
 * netif.c: network interfaces and Ethernet (IEEE 802.3 / Ethernet II):
 * the interface list (nic0, nic1, ... in PCI order, registered by the
 * drivers), their IPv4 addresses from `ip=ADDR/PLEN[@nicN]`, the default
 * gateway, routing (on-link subnet first, then the gateway), the receive
 * dispatch by EtherType and the transmit helper that writes the Ethernet
 * header. The polling entry point net_poll() lives here too.
 */
#include "net.h"

uint64_t net_now;
uint32_t net_gw;
uint64_t net_rx_total, net_last_rx;

static const uint8_t eth_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct {
	struct netif nif[NET_MAX_NICS];
	unsigned int n;
} nets;

struct netif *netif_add(const uint8_t mac[ETH_ALEN], const struct netif_ops *ops,
			void *priv)
{
	struct netif *nif = NULL;
	unsigned int i;

	for (i = 0; i < nets.n && !nif; i++)
		if (nets.nif[i].gone)
			nif = &nets.nif[i];
	if (!nif && nets.n == NET_MAX_NICS)
		return NULL;
	if (!nif)
		nif = &nets.nif[i = nets.n++];
	else
		i--;
	memset(nif, 0, sizeof(*nif));
	snprintf(nif->name, sizeof(nif->name), "nic%u", i);
	memcpy(nif->mac, mac, ETH_ALEN);
	nif->ops = ops;
	nif->priv = priv;
	nif->mtu = NET_MTU_DEFAULT;
	return nif;
}

void netif_remove(struct netif *nif)
{
	arp_flush_nif(nif);
	nif->disabled = true;
	nif->gone = true;
	nif->link_up = false;
	nif->nr_addr = 0;
}

unsigned int netif_count(void)
{
	return nets.n;
}

struct netif *netif_get(unsigned int i)
{
	return i < nets.n ? &nets.nif[i] : NULL;
}

/* ---- parsing and formatting ---- */

int net_parse_ip(const char *s, size_t len, uint32_t *ip)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		uint32_t octet = 0;
		size_t digits = 0;

		if (part && (i >= len || s[i++] != '.'))
			return -EINVAL;
		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 3) {
			octet = octet * 10 + (uint32_t)(s[i++] - '0');
			digits++;
		}
		if (!digits || octet > 255)
			return -EINVAL;
		v = v << 8 | octet;
	}
	if (i != len)
		return -EINVAL;
	*ip = v;
	return 0;
}

int net_parse_cidr(const char *s, size_t len, uint32_t *ip, uint8_t *plen, int *nic)
{
	size_t slash = 0, at = len;
	uint64_t v;

	*nic = -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '/' && !slash)
			slash = i;
		else if (s[i] == '@' && at == len)
			at = i;
	}
	if (!slash || at < slash)
		return -EINVAL;
	if (net_parse_ip(s, slash, ip) < 0)
		return -EINVAL;
	if (parse_u64(s + slash + 1, at - slash - 1, &v) < 0 || v < 1 || v > 32)
		return -EINVAL;
	*plen = (uint8_t)v;
	if (at == len)
		return 0;
	if (len - at < 5 || strncmp(s + at + 1, "nic", 3) ||
	    parse_u64(s + at + 4, len - at - 4, &v) < 0 || v >= NET_MAX_NICS)
		return -EINVAL;
	*nic = (int)v;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Six groups of one or two hex digits separated by ':' (or '-'). */
int net_parse_mac(const char *s, size_t len, uint8_t mac[ETH_ALEN])
{
	size_t i = 0;

	for (int k = 0; k < ETH_ALEN; k++) {
		int v = 0, digits = 0, d;

		if (k && (i >= len || (s[i] != ':' && s[i] != '-')))
			return -EINVAL;
		if (k)
			i++;
		while (i < len && digits < 2 && (d = hex_digit(s[i])) >= 0) {
			v = v * 16 + d;
			digits++;
			i++;
		}
		if (!digits)
			return -EINVAL;
		mac[k] = (uint8_t)v;
	}
	return i == len ? 0 : -EINVAL;
}

char *net_fmt_mac(char *buf, size_t size, const uint8_t mac[ETH_ALEN])
{
	snprintf(buf, size, "%x:%x:%x:%x:%x:%x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
	return buf;
}

char *net_fmt_ip(char *buf, size_t size, uint32_t ip)
{
	snprintf(buf, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}

/* ---- configuration ---- */

static uint32_t plen_mask(uint8_t plen)
{
	return plen ? ~(uint32_t)0 << (32 - plen) : 0;
}

/* One ip= item; only = a NIC hot-plugged now (NULL at boot: all). A
 * boot-time item for a NIC that is not there waits for its hot-plug. */
static unsigned int net_config_addr(const char *s, size_t len,
				    struct netif *only)
{
	struct netif *nif;
	uint32_t ip;
	uint8_t plen;
	int nic;

	if (net_parse_cidr(s, len, &ip, &plen, &nic) < 0) {
		if (!only)
			kprintf("guest: warning: ip: bad address '%.*s' (ADDR/PLEN[@nicN]), ignored\n",
				(int)len, s);
		return 0;
	}
	nif = netif_get(nic < 0 ? 0 : (unsigned int)nic);
	if (only && nif != only)
		return 0;
	if (!nif || nif->gone) {
		if (nic > 0 && nic < NET_MAX_NICS)
			kprintf("guest: ip: no nic%d yet: '%.*s' applies when it is hot-plugged\n",
				nic, (int)len, s);
		else
			kprintf("guest: warning: ip: no nic%d for '%.*s', ignored\n",
				nic < 0 ? 0 : nic, (int)len, s);
		return 0;
	}
	if (nif->nr_addr == NET_MAX_ADDRS) {
		kprintf("guest: warning: ip: %s has %d addresses, '%.*s' ignored\n",
			nif->name, NET_MAX_ADDRS, (int)len, s);
		return 0;
	}
	nif->addr[nif->nr_addr++] = (struct net_addr){ ip, plen };
	return 1;
}

static unsigned int net_config_list(const char *ip_list, struct netif *only)
{
	const char *p = ip_list ? ip_list : "";
	unsigned int added = 0;

	while (*p) {
		size_t n = 0;

		while (p[n] && p[n] != ',')
			n++;
		if (n)
			added += net_config_addr(p, n, only);
		p += n;
		if (*p == ',')
			p++;
	}
	return added;
}

unsigned int net_config_nic(struct netif *nif, const char *ip_list)
{
	return net_config_list(ip_list, nif);
}

void net_config(const char *ip_list, const char *gw)
{
	net_config_list(ip_list, NULL);
	net_gw = 0;
	if (gw && *gw && net_parse_ip(gw, strlen(gw), &net_gw) < 0)
		kprintf("guest: warning: gw: bad address '%s', ignored\n", gw);
}

bool netif_has_ip(const struct netif *nif, uint32_t ip, bool bcast)
{
	for (unsigned int i = 0; i < nif->nr_addr; i++) {
		uint32_t mask = plen_mask(nif->addr[i].plen);

		if (ip == nif->addr[i].ip)
			return true;
		if (bcast && (ip == 0xffffffff ||
			      (nif->addr[i].plen < 31 &&
			       ip == ((nif->addr[i].ip & mask) | ~mask))))
			return true;
	}
	return false;
}

bool net_is_local(const struct netif *nif, uint32_t ip)
{
	if (nif && netif_has_ip(nif, ip, true))
		return true;
	/* Weak host model (RFC 1122 §3.3.4.2): any of our addresses. */
	for (unsigned int k = 0; k < nets.n; k++)
		if (!nets.nif[k].disabled && netif_has_ip(&nets.nif[k], ip, false))
			return true;
	return false;
}

/* The interface and address whose subnet holds ip, if any. */
static bool net_on_link(uint32_t ip, struct net_route *r)
{
	for (unsigned int k = 0; k < nets.n; k++) {
		struct netif *nif = &nets.nif[k];

		if (nif->disabled)
			continue;
		for (unsigned int i = 0; i < nif->nr_addr; i++) {
			uint32_t mask = plen_mask(nif->addr[i].plen);

			if ((ip & mask) == (nif->addr[i].ip & mask)) {
				r->nif = nif;
				r->src = nif->addr[i].ip;
				return true;
			}
		}
	}
	return false;
}

int net_route(uint32_t dst, struct net_route *r)
{
	if (net_on_link(dst, r)) {
		r->nexthop = dst;
		return 0;
	}
	if (net_gw && net_on_link(net_gw, r)) {
		r->nexthop = net_gw;
		return 0;
	}
	return -ENETUNREACH;
}

/* ---- Ethernet ---- */

void net_input(struct netif *nif, const uint8_t *frame, size_t len)
{
	const uint8_t *dst = frame;

	nif->rx_frames++;
	nif->rx_bytes += len;
	net_rx_total++;
	if (len < ETH_HLEN || len > ETH_MAX_FRAME) {
		nif->rx_dropped++;
		return;
	}
	if (memcmp(dst, nif->mac, ETH_ALEN) && memcmp(dst, eth_bcast, ETH_ALEN)) {
		nif->rx_dropped++;	/* someone else's, or multicast */
		return;
	}
	switch (get_be16(frame + 12)) {
	case ETH_P_ARP:
		arp_input(nif, frame + ETH_HLEN, len - ETH_HLEN);
		break;
	case ETH_P_IP:
		ip_input(nif, frame + 6, frame + ETH_HLEN, len - ETH_HLEN);
		break;
	default:
		nif->rx_dropped++;	/* VLAN tags and the rest: not ours */
		break;
	}
}

int eth_output(struct netif *nif, uint8_t *buf, const uint8_t dst[ETH_ALEN],
	       uint16_t type, uint16_t len)
{
	int rc;

	if (len < ETH_HLEN || len > ETH_HLEN + nif->mtu) {
		nif->ops->tx_queue(nif, buf, 0);	/* gives the buffer back */
		return -EMSGSIZE;
	}
	memcpy(buf, dst, ETH_ALEN);
	memcpy(buf + 6, nif->mac, ETH_ALEN);
	put_be16(buf + 12, type);
	if (len < ETH_MIN_FRAME) {
		memset(buf + len, 0, ETH_MIN_FRAME - len);
		len = ETH_MIN_FRAME;
	}
	rc = nif->ops->tx_queue(nif, buf, len);
	if (rc < 0) {
		nif->tx_dropped++;
		return rc;
	}
	nif->tx_frames++;
	nif->tx_bytes += len;
	return 0;
}

void net_flush(void)
{
	for (unsigned int k = 0; k < nets.n; k++)
		if (!nets.nif[k].disabled)
			nets.nif[k].ops->tx_flush(&nets.nif[k]);
}

unsigned int net_poll(uint64_t now_ns, unsigned int budget)
{
	unsigned int got = 0;

	net_now = now_ns;
	for (unsigned int k = 0; k < nets.n; k++)
		if (!nets.nif[k].disabled)
			got += nets.nif[k].ops->rx_poll(&nets.nif[k], budget);
	if (got)
		net_last_rx = now_ns;
	arp_timer();
	net_flush();
	return got;
}
