/*
 * arp.c: ARP for IPv4 over Ethernet (RFC 826). Answers requests for our
 * addresses, resolves next hops through a small cache (ARP_CACHE_SIZE
 * entries, a request every ARP_RETRY_NS, up to ARP_TRIES, one packet held
 * per pending entry and sent when the reply comes), and announces our
 * addresses at start (gratuitous ARP, RFC 5227 §2.3: a request with sender
 * and target both our address). Resolved entries do not age: a test guest
 * talks to few peers, and any ARP from a peer refreshes its entry.
 */
#include "net.h"

#define ARP_LEN		28
#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2
#define ARP_RETRY_NS	1000000000ULL
#define ARP_TRIES	3

enum arp_state { ARP_FREE, ARP_PENDING, ARP_RESOLVED, ARP_STATIC };

struct arp_entry {
	enum arp_state state;
	struct netif *nif;
	uint32_t ip;
	uint8_t mac[ETH_ALEN];
	uint64_t updated;	/* last change, for eviction */
	uint64_t next_try;	/* pending: when to ask again */
	unsigned int tries;
	uint16_t hold_len;	/* bytes of the held IP packet, 0 if none */
	uint8_t hold[NET_MTU];
};

static struct arp_entry arp_cache[ARP_CACHE_SIZE];
static const uint8_t mac_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[ETH_ALEN];

static int arp_send(struct netif *nif, uint16_t op, const uint8_t *dst_mac,
		    const uint8_t *tha, uint32_t spa, uint32_t tpa)
{
	uint8_t *buf = nif->ops->tx_buf(nif), *a;

	if (!buf) {
		nif->tx_dropped++;
		return -ENOSPC;
	}
	a = buf + ETH_HLEN;
	put_be16(a, 1);			/* hardware: Ethernet */
	put_be16(a + 2, ETH_P_IP);
	a[4] = ETH_ALEN;
	a[5] = 4;
	put_be16(a + 6, op);
	memcpy(a + 8, nif->mac, ETH_ALEN);
	put_be32(a + 14, spa);
	memcpy(a + 18, tha, ETH_ALEN);
	put_be32(a + 24, tpa);
	return eth_output(nif, buf, dst_mac, ETH_P_ARP, ETH_HLEN + ARP_LEN);
}

static struct arp_entry *arp_find(const struct netif *nif, uint32_t ip)
{
	for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++)
		if (arp_cache[i].state != ARP_FREE && arp_cache[i].nif == nif &&
		    arp_cache[i].ip == ip)
			return &arp_cache[i];
	return NULL;
}

/* A free entry, else the least recently updated dynamic one. */
static struct arp_entry *arp_alloc(void)
{
	struct arp_entry *victim = NULL;

	for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &arp_cache[i];

		if (e->state == ARP_FREE)
			return e;
		if (e->state != ARP_STATIC && (!victim || e->updated < victim->updated))
			victim = e;
	}
	return victim;
}

/* Send the packet held for e now that its MAC is known. */
static void arp_send_held(struct arp_entry *e)
{
	uint8_t *buf;

	if (!e->hold_len)
		return;
	buf = e->nif->ops->tx_buf(e->nif);
	if (buf) {
		memcpy(buf + ETH_HLEN, e->hold, e->hold_len);
		eth_output(e->nif, buf, e->mac, ETH_P_IP, (uint16_t)(ETH_HLEN + e->hold_len));
	} else {
		e->nif->tx_dropped++;
	}
	e->hold_len = 0;
}

static void arp_learn(struct arp_entry *e, struct netif *nif, uint32_t ip,
		      const uint8_t *mac)
{
	if (e->state == ARP_STATIC)
		return;
	if (e->state == ARP_FREE || e->ip != ip || e->nif != nif)
		e->hold_len = 0;	/* a recycled entry's packet is not for ip */
	e->nif = nif;
	e->ip = ip;
	memcpy(e->mac, mac, ETH_ALEN);
	e->state = ARP_RESOLVED;
	e->updated = net_now;
	arp_send_held(e);
}

void arp_input(struct netif *nif, const uint8_t *a, size_t len)
{
	uint16_t op;
	uint32_t spa, tpa;
	struct arp_entry *e;
	bool for_us;

	if (len < ARP_LEN || get_be16(a) != 1 || get_be16(a + 2) != ETH_P_IP ||
	    a[4] != ETH_ALEN || a[5] != 4) {
		nif->rx_dropped++;
		return;
	}
	op = get_be16(a + 6);
	spa = get_be32(a + 14);
	tpa = get_be32(a + 24);
	/* A sender must be a unicast MAC with an address (probes have 0). */
	if ((op != ARP_OP_REQUEST && op != ARP_OP_REPLY) || (a[8] & 1) ||
	    !memcmp(a + 8, mac_zero, ETH_ALEN)) {
		nif->rx_dropped++;
		return;
	}
	for_us = netif_has_ip(nif, tpa, false);
	/* RFC 826 "merge": update a known sender; add it if the packet is
	 * for us. Never learn one of our own addresses. */
	if (spa && !netif_has_ip(nif, spa, false)) {
		e = arp_find(nif, spa);
		if (!e && for_us)
			e = arp_alloc();
		if (e)
			arp_learn(e, nif, spa, a + 8);
	}
	if (for_us && op == ARP_OP_REQUEST)
		arp_send(nif, ARP_OP_REPLY, a + 8, a + 8, tpa, spa);
}

void arp_announce(struct netif *nif)
{
	for (unsigned int i = 0; i < nif->nr_addr; i++)
		arp_send(nif, ARP_OP_REQUEST, mac_bcast, mac_zero,
			 nif->addr[i].ip, nif->addr[i].ip);
}

static void arp_request(struct arp_entry *e)
{
	struct net_route r;
	uint32_t src = 0;

	/* Ask from the address on the target's subnet, else our first. */
	if (net_route(e->ip, &r) == 0 && r.nif == e->nif)
		src = r.src;
	else if (e->nif->nr_addr)
		src = e->nif->addr[0].ip;
	arp_send(e->nif, ARP_OP_REQUEST, mac_bcast, mac_zero, src, e->ip);
	e->tries++;
	e->next_try = net_now + ARP_RETRY_NS;
}

int arp_resolve(struct netif *nif, uint32_t ip, uint8_t mac[ETH_ALEN])
{
	struct arp_entry *e = arp_find(nif, ip);

	if (e && e->state >= ARP_RESOLVED) {
		memcpy(mac, e->mac, ETH_ALEN);
		return 0;
	}
	if (e)
		return -EAGAIN;		/* pending: arp_timer asks again */
	e = arp_alloc();
	if (!e)
		return -ENOSPC;		/* every entry is static */
	memset(e, 0, offsetof(struct arp_entry, hold));
	e->state = ARP_PENDING;
	e->nif = nif;
	e->ip = ip;
	e->updated = net_now;
	arp_request(e);
	return -EAGAIN;
}

void arp_hold(struct netif *nif, uint32_t ip, const uint8_t *pkt, uint16_t len)
{
	struct arp_entry *e = arp_find(nif, ip);

	if (!e || e->state != ARP_PENDING || len > sizeof(e->hold))
		return;
	if (e->hold_len)
		nif->tx_dropped++;	/* the older one is replaced */
	memcpy(e->hold, pkt, len);
	e->hold_len = len;
}

void arp_timer(void)
{
	for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &arp_cache[i];

		if (e->state != ARP_PENDING || net_now < e->next_try)
			continue;
		if (e->tries < ARP_TRIES) {
			arp_request(e);
			continue;
		}
		if (e->hold_len)
			e->nif->tx_dropped++;
		e->state = ARP_FREE;	/* unresolved: the next send asks again */
		e->hold_len = 0;
	}
}

void arp_set_static(struct netif *nif, uint32_t ip, const uint8_t mac[ETH_ALEN])
{
	struct arp_entry *e = arp_find(nif, ip);

	if (!e)
		e = arp_alloc();
	if (!e)
		return;
	if (e->state != ARP_PENDING || e->ip != ip || e->nif != nif)
		e->hold_len = 0;
	e->nif = nif;
	e->ip = ip;
	memcpy(e->mac, mac, ETH_ALEN);
	e->state = ARP_RESOLVED;
	arp_send_held(e);
	e->state = ARP_STATIC;
	e->updated = net_now;
}

void arp_flush_all(void)
{
	memset(arp_cache, 0, sizeof(arp_cache));
}

void arp_flush_nif(const struct netif *nif)
{
	for (unsigned int i = 0; i < ARP_CACHE_SIZE; i++)
		if (arp_cache[i].nif == nif)
			memset(&arp_cache[i], 0, sizeof(arp_cache[i]));
}
