/*
 * net_test.c: the guest's network stack on the host (part of `make
 * guest-test`): checksums against RFC 1071's example, address parsing,
 * ARP (answers, cache, retries, the held packet), ICMP echo and UDP echo
 * replies as bytes on the wire, and hostile frames (truncated, lying
 * lengths, bad checksums, fragments, random garbage) that must be dropped
 * without reading past the frame. A fake interface captures what the
 * stack sends.
 */
#include "../net.h"

int printf(const char *fmt, ...);
void *malloc(size_t n);
void free(void *p);
void net_tests(int *checks, int *failures);

static int *n_checks, *n_failures;

#define CHECK(cond) do {						\
	(*n_checks)++;							\
	if (!(cond)) {							\
		(*n_failures)++;					\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
	}								\
} while (0)

/* ---- a fake interface: every queued frame is captured ---- */

#define FAKE_SLOTS	8
static uint8_t fake_buf[FAKE_SLOTS][ETH_MAX_FRAME];
static uint16_t fake_len[FAKE_SLOTS];
static unsigned int fake_sent, fake_taken;
static bool fake_full;

static uint8_t *fake_tx_buf(struct netif *nif)
{
	(void)nif;
	if (fake_full || fake_taken == FAKE_SLOTS)
		return NULL;
	return fake_buf[fake_taken++];
}

static int fake_tx_queue(struct netif *nif, uint8_t *buf, uint16_t len)
{
	(void)nif;
	if (!len)
		return -EINVAL;
	fake_len[(buf - fake_buf[0]) / ETH_MAX_FRAME] = len;
	fake_sent++;
	return 0;
}

static void fake_tx_flush(struct netif *nif) { (void)nif; }
static unsigned int fake_rx_poll(struct netif *nif, unsigned int b) { (void)nif; (void)b; return 0; }
static unsigned int fake_tx_space(struct netif *nif) { (void)nif; return FAKE_SLOTS - fake_taken; }

static const struct netif_ops fake_ops = {
	.tx_buf = fake_tx_buf, .tx_queue = fake_tx_queue, .tx_flush = fake_tx_flush,
	.rx_poll = fake_rx_poll, .tx_space = fake_tx_space,
};

static void fake_reset(void)
{
	fake_sent = fake_taken = 0;
	fake_full = false;
	memset(fake_len, 0, sizeof(fake_len));
}

static const uint8_t our_mac[ETH_ALEN] = { 0x00, 0x16, 0x3e, 0, 0, 1 };
static const uint8_t peer_mac[ETH_ALEN] = { 0x00, 0x16, 0x3e, 0, 0, 2 };
#define OUR_IP	0x0a000001	/* 10.0.0.1 */
#define PEER_IP	0x0a000002

/* ---- building received frames ---- */

static size_t eth_hdr(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, ETH_ALEN);
	memcpy(f + 6, peer_mac, ETH_ALEN);
	put_be16(f + 12, type);
	return ETH_HLEN;
}

static size_t arp_frame(uint8_t *f, uint16_t op, uint32_t spa, uint32_t tpa)
{
	static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *a = f + eth_hdr(f, bcast, ETH_P_ARP);

	put_be16(a, 1);
	put_be16(a + 2, ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	put_be16(a + 6, op);
	memcpy(a + 8, peer_mac, ETH_ALEN);
	put_be32(a + 14, spa);
	memset(a + 18, 0, ETH_ALEN);
	put_be32(a + 24, tpa);
	return ETH_HLEN + 28;
}

/* An ICMP echo request from the peer with n data bytes. */
static size_t echo_frame(uint8_t *f, uint16_t seq, uint16_t n)
{
	uint8_t *ip = f + eth_hdr(f, our_mac, ETH_P_IP), *ic = ip + IP_HLEN;

	ic[0] = 8;
	ic[1] = 0;
	put_be16(ic + 2, 0);
	put_be16(ic + 4, 0x1234);
	put_be16(ic + 6, seq);
	for (uint16_t i = 0; i < n; i++)
		ic[ICMP_HLEN + i] = (uint8_t)(i * 7);
	put_be16(ic + 2, (uint16_t)~inet_fold(inet_sum(ic, ICMP_HLEN + n, 0)));
	ip_build_header(ip, PEER_IP, OUR_IP, IP_PROTO_ICMP, (uint16_t)(ICMP_HLEN + n), 1);
	return ETH_HLEN + IP_HLEN + ICMP_HLEN + n;
}

static size_t udp_frame(uint8_t *f, uint16_t dport, const char *data)
{
	uint8_t *ip = f + eth_hdr(f, our_mac, ETH_P_IP), *u = ip + IP_HLEN;
	uint16_t n = (uint16_t)strlen(data), ulen = (uint16_t)(UDP_HLEN + n);

	put_be16(u, 5555);
	put_be16(u + 2, dport);
	put_be16(u + 4, ulen);
	put_be16(u + 6, 0);
	memcpy(u + UDP_HLEN, data, n);
	put_be16(u + 6, udp_checksum(PEER_IP, OUR_IP, u, ulen));
	ip_build_header(ip, PEER_IP, OUR_IP, IP_PROTO_UDP, ulen, 2);
	return ETH_HLEN + IP_HLEN + ulen;
}

/* Hand the stack exactly len bytes in their own heap block, so valgrind
 * (or ASan) reports any read past the frame. */
static void input_exact(struct netif *nif, const uint8_t *f, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return;
	memcpy(copy, f, len);
	net_input(nif, copy, len);
	free(copy);
}

/* ---- tests ---- */

static void test_checksum(void)
{
	/* RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
	static const uint8_t v[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	/* The usual worked example of an IPv4 header (checksum b861). */
	static const uint8_t h[20] = { 0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7 };
	uint8_t mine[20];

	CHECK(inet_fold(inet_sum(v, sizeof(v), 0)) == 0xddf2);
	CHECK(inet_fold(inet_sum(h, sizeof(h), 0)) == 0xffff);
	ip_build_header(mine, 0xc0a80001, 0xc0a800c7, IP_PROTO_UDP, 0x73 - 20, 0);
	CHECK(get_be16(mine + 10) == 0xb861);
	/* Odd length: the last byte is the high half of a word. */
	CHECK(inet_fold(inet_sum((const uint8_t *)"\x01", 1, 0)) == 0x0100);
}

static void test_parse(void)
{
	uint32_t ip;
	uint8_t plen, mac[6];
	int nic;

	CHECK(net_parse_ip("10.0.0.1", 8, &ip) == 0 && ip == 0x0a000001);
	CHECK(net_parse_ip("255.255.255.255", 15, &ip) == 0 && ip == 0xffffffff);
	CHECK(net_parse_ip("256.0.0.1", 9, &ip) == -EINVAL);
	CHECK(net_parse_ip("1.2.3", 5, &ip) == -EINVAL);
	CHECK(net_parse_ip("1.2.3.4.5", 9, &ip) == -EINVAL);
	CHECK(net_parse_ip("1..2.3", 6, &ip) == -EINVAL);
	CHECK(net_parse_ip("1.2.3.0004", 10, &ip) == -EINVAL);
	CHECK(net_parse_cidr("10.1.2.3/24", 11, &ip, &plen, &nic) == 0 &&
	      ip == 0x0a010203 && plen == 24 && nic == -1);
	CHECK(net_parse_cidr("10.1.2.3/16@nic2", 16, &ip, &plen, &nic) == 0 &&
	      plen == 16 && nic == 2);
	CHECK(net_parse_cidr("10.1.2.3/33", 11, &ip, &plen, &nic) == -EINVAL);
	CHECK(net_parse_cidr("10.1.2.3/0", 10, &ip, &plen, &nic) == -EINVAL);
	CHECK(net_parse_cidr("10.1.2.3", 8, &ip, &plen, &nic) == -EINVAL);
	CHECK(net_parse_cidr("10.1.2.3/24@nic9", 16, &ip, &plen, &nic) == -EINVAL);
	CHECK(net_parse_cidr("10.1.2.3/24@eth0", 16, &ip, &plen, &nic) == -EINVAL);
	CHECK(net_parse_mac("0:16:3e:a:b:c", 13, mac) == 0 && mac[2] == 0x3e && mac[5] == 0xc);
	CHECK(net_parse_mac("00-16-3E-0A-0B-0C", 17, mac) == 0 && mac[3] == 0x0a);
	CHECK(net_parse_mac("0:16:3e:a:b", 11, mac) == -EINVAL);
	CHECK(net_parse_mac("0:16:3e:a:b:c:d", 15, mac) == -EINVAL);
	CHECK(net_parse_mac("0:16:3e:a:b:123", 15, mac) == -EINVAL);
}

static void test_arp(struct netif *nif)
{
	uint8_t f[ETH_MAX_FRAME], mac[6];

	/* A request for us gets a reply to the asker, with our MAC. */
	fake_reset();
	net_input(nif, f, arp_frame(f, 1, PEER_IP, OUR_IP));
	CHECK(fake_sent == 1 && fake_len[0] == ETH_MIN_FRAME);
	CHECK(!memcmp(fake_buf[0], peer_mac, 6) && !memcmp(fake_buf[0] + 6, our_mac, 6));
	CHECK(get_be16(fake_buf[0] + 12) == ETH_P_ARP && get_be16(fake_buf[0] + 20) == 2);
	CHECK(!memcmp(fake_buf[0] + 22, our_mac, 6) && get_be32(fake_buf[0] + 28) == OUR_IP);
	CHECK(!memcmp(fake_buf[0] + 32, peer_mac, 6) && get_be32(fake_buf[0] + 38) == PEER_IP);
	/* ... and the asker is now known. */
	CHECK(arp_resolve(nif, PEER_IP, mac) == 0 && !memcmp(mac, peer_mac, 6));
	/* Requests for someone else: no answer, nothing learned. */
	fake_reset();
	net_input(nif, f, arp_frame(f, 1, 0x0a000003, 0x0a000004));
	CHECK(fake_sent == 0);
	/* Truncated ARP and a broadcast sender MAC are dropped. */
	net_input(nif, f, arp_frame(f, 1, PEER_IP, OUR_IP) - 15);
	CHECK(fake_sent == 0);
	arp_frame(f, 1, PEER_IP, OUR_IP);
	f[ETH_HLEN + 8] = 0xff;
	net_input(nif, f, ETH_HLEN + 28);
	CHECK(fake_sent == 0);
}

static void test_arp_resolve(struct netif *nif)
{
	uint8_t f[ETH_MAX_FRAME], mac[6];
	const uint8_t payload[4] = { 1, 2, 3, 4 };

	arp_flush_all();
	fake_reset();
	net_now = 1000;
	/* Unknown next hop: one request, the datagram is held. */
	CHECK(udp_send(PEER_IP, 1000, 9, payload, sizeof(payload)) == 0);
	CHECK(fake_sent == 1 && get_be16(fake_buf[0] + 12) == ETH_P_ARP);
	CHECK(get_be32(fake_buf[0] + 38) == PEER_IP);
	CHECK(arp_resolve(nif, PEER_IP, mac) == -EAGAIN && fake_sent == 1);
	/* Retries each second, then gives up (the held packet with it). */
	net_now += 1000000000;
	arp_timer();
	CHECK(fake_sent == 2);
	net_now += 1000000000;
	arp_timer();
	CHECK(fake_sent == 3);
	net_now += 1000000000;
	arp_timer();
	CHECK(fake_sent == 3);
	/* Again, and this time the reply comes: the held datagram goes out. */
	fake_reset();
	CHECK(udp_send(PEER_IP, 1000, 9, payload, sizeof(payload)) == 0);
	CHECK(fake_sent == 1);
	arp_frame(f, 2, PEER_IP, OUR_IP);
	memcpy(f, our_mac, 6);
	net_input(nif, f, ETH_HLEN + 28);
	CHECK(fake_sent == 2 && get_be16(fake_buf[1] + 12) == ETH_P_IP);
	CHECK(!memcmp(fake_buf[1], peer_mac, 6) && fake_buf[1][ETH_HLEN + 9] == IP_PROTO_UDP);
	CHECK(fake_len[1] == ETH_MIN_FRAME);
	CHECK(udp_checksum(OUR_IP, PEER_IP, fake_buf[1] + ETH_HLEN + IP_HLEN, UDP_HLEN + 4) == 0);
	/* Off-link goes through the gateway; without one, no route. */
	{
		struct net_route r;
		uint32_t gw = net_gw;

		CHECK(net_route(0xc0a80101, &r) == 0 && r.nexthop == gw && r.src == OUR_IP);
		net_gw = 0;
		CHECK(udp_send(0xc0a80101, 1, 9, payload, 4) == -ENETUNREACH && fake_sent == 2);
		net_gw = gw;
	}
}

static void test_echo(struct netif *nif)
{
	uint8_t f[ETH_MAX_FRAME];
	size_t n;

	fake_reset();
	n = echo_frame(f, 7, 56);
	net_input(nif, f, n);
	CHECK(fake_sent == 1 && fake_len[0] == n);
	CHECK(!memcmp(fake_buf[0], peer_mac, 6));
	CHECK(get_be32(fake_buf[0] + 26) == OUR_IP && get_be32(fake_buf[0] + 30) == PEER_IP);
	CHECK(inet_fold(inet_sum(fake_buf[0] + ETH_HLEN, IP_HLEN, 0)) == 0xffff);
	CHECK(fake_buf[0][34] == 0 && get_be16(fake_buf[0] + 40) == 7);
	CHECK(!memcmp(fake_buf[0] + 42, f + 42, 56));
	CHECK(inet_fold(inet_sum(fake_buf[0] + 34, ICMP_HLEN + 56, 0)) == 0xffff);
	/* A full-size request is answered in full. */
	CHECK(nif->mtu == NET_MTU_DEFAULT);
	fake_reset();
	n = echo_frame(f, 8, NET_MTU_DEFAULT - IP_HLEN - ICMP_HLEN);
	net_input(nif, f, n);
	CHECK(fake_sent == 1 && fake_len[0] == ETH_HLEN + NET_MTU_DEFAULT);
	/* One byte more than the MTU: no reply can carry it. */
	fake_reset();
	n = echo_frame(f, 8, NET_MTU_DEFAULT - IP_HLEN - ICMP_HLEN + 1);
	net_input(nif, f, n);
	CHECK(fake_sent == 0);
	/* At MTU 9000 (jumbo frames) the same, 9014 bytes, data intact. */
	nif->mtu = 9000;
	fake_reset();
	n = echo_frame(f, 8, 9000 - IP_HLEN - ICMP_HLEN);
	net_input(nif, f, n);
	CHECK(fake_sent == 1 && fake_len[0] == 9014);
	CHECK(!memcmp(fake_buf[0] + 42, f + 42, 9000 - IP_HLEN - ICMP_HLEN));
	nif->mtu = NET_MTU_DEFAULT;
	/* Padding after the IP packet is ignored (and not echoed). */
	fake_reset();
	n = echo_frame(f, 9, 4);
	net_input(nif, f, 60);
	CHECK(fake_sent == 1 && get_be16(fake_buf[0] + 16) == IP_HLEN + ICMP_HLEN + 4);
}

/* Each mutation of a good echo request must be dropped silently. */
static void test_hostile_ip(struct netif *nif)
{
	uint8_t f[ETH_MAX_FRAME];
	size_t n = echo_frame(f, 1, 32);
	uint64_t dropped = nif->rx_dropped;

	fake_reset();
	for (size_t len = 0; len < n; len++)
		input_exact(nif, f, len);	/* every truncation */
	CHECK(fake_sent == 0);
	f[ETH_HLEN + 10] ^= 1;			/* IP checksum */
	net_input(nif, f, n);
	f[ETH_HLEN + 10] ^= 1;
	f[ETH_HLEN + 2] = 0x05;			/* total length > frame */
	net_input(nif, f, n);
	echo_frame(f, 1, 32);
	f[ETH_HLEN] = 0x44;			/* IHL 4 */
	net_input(nif, f, n);
	f[ETH_HLEN] = 0x4f;			/* IHL 15 > total */
	net_input(nif, f, ETH_HLEN + 40);
	echo_frame(f, 1, 32);
	put_be16(f + ETH_HLEN + 6, 0x2000);	/* more fragments */
	put_be16(f + ETH_HLEN + 10, 0);
	put_be16(f + ETH_HLEN + 10, (uint16_t)~inet_fold(inet_sum(f + ETH_HLEN, IP_HLEN, 0)));
	net_input(nif, f, n);
	echo_frame(f, 1, 32);
	f[ETH_HLEN + IP_HLEN + 9] ^= 0xff;	/* ICMP checksum */
	net_input(nif, f, n);
	echo_frame(f, 1, 32);
	memset(f, 0x01, 6);			/* multicast destination MAC */
	net_input(nif, f, n);
	CHECK(fake_sent == 0);
	CHECK(nif->rx_dropped > dropped);
	/* Too long for Ethernet: dropped before anything reads it. */
	net_input(nif, f, ETH_MAX_FRAME + 1);
	CHECK(fake_sent == 0);
}

static void test_udp(struct netif *nif)
{
	uint8_t f[ETH_MAX_FRAME];
	size_t n;

	udp_bind(7, udp_echo_handler);
	fake_reset();
	n = udp_frame(f, 7, "hello");
	net_input(nif, f, n);
	CHECK(fake_sent == 1);
	CHECK(get_be16(fake_buf[0] + 34) == 7 && get_be16(fake_buf[0] + 36) == 5555);
	CHECK(!memcmp(fake_buf[0] + 42, "hello", 5));
	CHECK(udp_checksum(OUR_IP, PEER_IP, fake_buf[0] + 34, UDP_HLEN + 5) == 0);
	/* Bad checksum, length past the packet, unbound port: dropped. */
	fake_reset();
	n = udp_frame(f, 7, "hello");
	f[n - 1] ^= 1;
	net_input(nif, f, n);
	n = udp_frame(f, 7, "hello");
	put_be16(f + 38, 200);
	net_input(nif, f, n);
	n = udp_frame(f, 7, "hello");
	put_be16(f + 38, 4);			/* shorter than a header */
	net_input(nif, f, n);
	n = udp_frame(f, 8, "hello");
	net_input(nif, f, n);
	CHECK(fake_sent == 0);
	/* Checksum 0 means none: accepted. */
	n = udp_frame(f, 7, "hi");
	put_be16(f + 40, 0);
	net_input(nif, f, n);
	CHECK(fake_sent == 1);
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245 + 12345;
	return rnd_state >> 8;
}

/* Random garbage behind plausible headers: nothing may crash, and any
 * reply must be a well-formed frame. `valgrind build/guest/host-test`
 * shows any read past a frame. */
static void test_fuzz(struct netif *nif)
{
	static uint8_t f[ETH_MAX_FRAME];
	bool ok = true;

	for (int i = 0; i < 20000; i++) {
		size_t n = rnd() % (ETH_MAX_FRAME + 1), base;

		fake_reset();
		base = (i & 1) ? echo_frame(f, 1, 64) : udp_frame(f, 7, "garbage here");
		for (size_t k = 0; k < 4; k++)
			f[rnd() % base] = (uint8_t)rnd();
		for (size_t k = base; k < n; k++)
			f[k] = (uint8_t)rnd();
		input_exact(nif, f, i % 3 ? MIN(n, base) : n);
		for (unsigned int s = 0; s < fake_sent; s++)
			ok &= fake_len[s] >= ETH_MIN_FRAME && fake_len[s] <= ETH_MAX_FRAME;
	}
	CHECK(ok);
}

static void test_seq(void)
{
	struct seq_track t = { 0 };

	CHECK(seq_track_add(&t, 100) == 0);
	CHECK(seq_track_add(&t, 101) == 0);
	CHECK(seq_track_add(&t, 105) == 3);	/* 102..104 lost */
	CHECK(seq_track_add(&t, 103) == 0 && t.late == 1);
	CHECK(seq_track_add(&t, 106) == 0);
	CHECK(t.got == 5 && t.gaps == 1 && t.lost == 3 && t.max_gap == 3);
	CHECK(seq_track_add(&t, 0xffffffff - 1000000) == 0);	/* restart */
	CHECK(seq_track_add(&t, 0xffffffff) == 999999);
	CHECK(seq_track_add(&t, 0) == 0);	/* wraps */
}

void net_tests(int *checks, int *failures)
{
	struct netif *nif;

	n_checks = checks;
	n_failures = failures;
	nif = netif_add(our_mac, &fake_ops, NULL);
	CHECK(nif && !strcmp(nif->name, "nic0"));
	net_config("10.0.0.1/24,10.9.9.9/8@nic3,bogus", "10.0.0.254");
	CHECK(nif->nr_addr == 1 && nif->addr[0].ip == OUR_IP && net_gw == 0x0a0000fe);
	test_checksum();
	test_parse();
	test_arp(nif);
	test_arp_resolve(nif);
	test_echo(nif);
	test_hostile_ip(nif);
	test_udp(nif);
	test_fuzz(nif);
	test_seq();
}
