/*
 * Unit tests for vswitch/switch.c, the forwarding core, in one process
 * (as OVS tests its forwarding with netdev-dummy): ports of a dummy port
 * type queue frames the test injects and record what the switch sends
 * them, over real mbufs from a DPDK pool (EAL without hugepages, PCI or
 * shared files). Ports join the switch through switch_add_port() and
 * switch_set_props(), as the PMD attaches them; a fake clock drives the
 * caps. Asserted: what each port receives (bytes on the wire: tags
 * included) and the drop counters a client reads.
 */
#include <errno.h>
#include <sched.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "unit.h"
#include "vswitch/dp.h"
#include "netback/port.h"
#include "flows/flow_dp.h"

#define NS		1000000000ULL
#define DUMMY_MAX	4096	/* frames a dummy port holds each way */
#define FRAME_LEN	1514	/* full-size frames, as caps are sized */
#define POOL_MBUFS	8191

/* ---- the dummy port type ---- */

struct dummy {
	struct nb_port nb;
	struct rte_mbuf *rxq[DUMMY_MAX];	/* injected, for rx_burst */
	unsigned rx_head, rx_count;
	uint8_t sent[DUMMY_MAX][64];		/* the first bytes of each
						 * frame the switch sent */
	uint16_t sent_len[DUMMY_MAX];
	uint32_t sent_hash[DUMMY_MAX];		/* FNV-1a of the whole frame */
	uint16_t sent_segs[DUMMY_MAX];
	unsigned nsent;
	bool no_carrier;			/* a guest without a frontend */
	bool stuck;				/* a guest that stopped reading:
						 * takes nothing */
};

static uint16_t dummy_rx_burst(struct nb_port *p, struct rte_mbuf **pkts,
			       uint16_t n)
{
	struct dummy *d = p->priv;
	uint16_t i;

	for (i = 0; i < n && d->rx_count; i++, d->rx_count--)
		pkts[i] = d->rxq[d->rx_head++ % DUMMY_MAX];
	return i;
}

static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

#define FNV_INIT	2166136261u

/* The hash of a frame, over its segments. */
static uint32_t mbuf_hash(const struct rte_mbuf *m)
{
	uint32_t h = FNV_INIT;

	for (; m; m = m->next)
		h = fnv1a(h, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
	return h;
}

/* Keeps a copy of each frame's head (and a hash of all of it) and frees
 * the mbuf, as a port that sent it would. */
static uint16_t dummy_tx_burst(struct nb_port *p, struct rte_mbuf **pkts,
			       uint16_t n)
{
	struct dummy *d = p->priv;

	if (d->stuck)
		return 0;
	for (uint16_t i = 0; i < n; i++) {
		uint16_t len = rte_pktmbuf_data_len(pkts[i]);

		if (d->nsent < DUMMY_MAX) {
			d->sent_hash[d->nsent] = mbuf_hash(pkts[i]);
			d->sent_segs[d->nsent] = pkts[i]->nb_segs;
			memcpy(d->sent[d->nsent], rte_pktmbuf_mtod(pkts[i], void *),
			       MIN(len, sizeof(d->sent[0])));
			d->sent_len[d->nsent++] = len;
		}
		rte_pktmbuf_free(pkts[i]);
	}
	return n;
}

static int dummy_link_state(const struct nb_port *p UNUSED)
{
	return 1;
}

static bool dummy_carrier(const struct nb_port *p)
{
	return !((const struct dummy *)p->priv)->no_carrier;
}

static const struct nb_port_ops dummy_ops = {
	.name = "dummy",
	.rx_burst = dummy_rx_burst,
	.tx_burst = dummy_tx_burst,
	.link_state = dummy_link_state,
	.carrier = dummy_carrier,
};

/* ---- a switch of dummy ports ---- */

static struct rte_mempool *pool;
static struct rte_mempool *jumbo;	/* NB_JUMBO_ROOM, as vswitchd's */

struct tport {
	struct vsw_port port;
	struct dummy dummy;
};

struct tswitch {
	struct vsw_dp dp;
	struct vsw_switch sw;
	struct tport *ports[8];
	unsigned n;
};

static struct mac_addr mac_of(uint8_t last)
{
	return (struct mac_addr){ { 0x02, 0, 0, 0, 0, last } };
}

static const struct mac_addr mac_bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

static struct tswitch *ts_new(void)
{
	struct tswitch *ts = calloc(1, sizeof(*ts));

	CU_ASSERT_PTR_NOT_NULL_FATAL(ts);
	CU_ASSERT_EQUAL_FATAL(l2_init(&ts->sw.l2, 64, 300000), 0);
	ts->dp.pool = pool;
	ts->dp.jumbo = jumbo;
	return ts;
}

/* A VNIC (vid, MAC 02:0:0:0:0:last, props as in -p, or NULL) or, for
 * last 0, the uplink. */
static struct tport *ts_port(struct tswitch *ts, uint16_t vid, uint8_t last,
			     const char *props)
{
	struct tport *t = calloc(1, sizeof(*t));
	struct link_props lp;
	char perr[LINKPROP_ERRLEN];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	t->dummy.nb.ops = &dummy_ops;
	t->dummy.nb.priv = &t->dummy;
	t->port.nb = &t->dummy.nb;
	t->port.sw = &ts->sw;
	t->port.uplink = last == 0;
	t->port.vid = vid;
	t->port.mac = mac_of(last);
	link_props_init(&lp);
	if (props)
		CU_ASSERT_EQUAL_FATAL(linkprop_set_list(&lp, props, perr), 0);
	CU_ASSERT_EQUAL_FATAL(switch_set_props(&t->port, &lp, ts->dp.now_ns), 0);
	CU_ASSERT_EQUAL_FATAL(switch_add_port(&ts->dp, &t->port), 0);
	ts->ports[ts->n++] = t;
	return t;
}

static void ts_free(struct tswitch *ts)
{
	for (unsigned i = 0; i < ts->n; i++) {
		struct dummy *d = &ts->ports[i]->dummy;

		switch_del_port(&ts->dp, &ts->ports[i]->port);
		while (d->rx_count--)
			rte_pktmbuf_free(d->rxq[d->rx_head++ % DUMMY_MAX]);
		free(ts->ports[i]);
	}
	l2_fini(&ts->sw.l2);
	free(ts);
}

/* A frame dst <- src of len bytes, tagged with vid unless 0, queued to
 * be received from t. */
static void inject(struct tport *t, const struct mac_addr *dst,
		   const struct mac_addr *src, uint16_t vid, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *f;
	unsigned off = 12;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	f = (uint8_t *)rte_pktmbuf_append(m, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	memset(f, 0, len);
	memcpy(f, dst, MAC_LEN);
	memcpy(f + MAC_LEN, src, MAC_LEN);
	if (vid) {
		f[off++] = 0x81;
		f[off++] = 0x00;
		f[off++] = (uint8_t)(vid >> 8);
		f[off++] = (uint8_t)vid;
	}
	f[off++] = 0x88;	/* local experimental ethertype */
	f[off] = 0xb5;
	CU_ASSERT_FATAL(t->dummy.rx_count < DUMMY_MAX);
	t->dummy.rxq[(t->dummy.rx_head + t->dummy.rx_count++) % DUMMY_MAX] = m;
}

/* One PMD pass at the fake time: every port's frames into the switch,
 * then every queue flushed (pmd.c's loop without the PMD). */
static void ts_run(struct tswitch *ts)
{
	struct rte_mbuf *pkts[VSW_BURST];
	uint16_t n;

	for (unsigned i = 0; i < ts->n; i++) {
		struct vsw_port *p = &ts->ports[i]->port;

		while ((n = nb_rx_burst(p->nb, pkts, VSW_BURST)) > 0)
			switch_input(&ts->dp, p, pkts, n);
	}
	for (unsigned i = 0; i < ts->n; i++)
		switch_flush(&ts->dp, &ts->ports[i]->port);
}

static unsigned sent(const struct tport *t)
{
	return t->dummy.nsent;
}

static uint64_t drops(const struct tport *t, enum vsw_drop why)
{
	return vsw_read(&t->port.stats[0].drops[why]);
}

/* ---- tests ---- */

/* Unicast goes to the VNIC owning (VLAN, MAC): the same MAC on another
 * VLAN is another VNIC. */
static void test_unicast_by_mac_and_vlan(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a5 = ts_port(ts, 5, 1, NULL);
	struct tport *b5 = ts_port(ts, 5, 2, NULL);
	struct tport *b6 = ts_port(ts, 6, 2, NULL);	/* same MAC, VLAN 6 */
	struct tport *c6 = ts_port(ts, 6, 3, NULL);
	struct tport *d0 = ts_port(ts, 0, 4, NULL);
	struct mac_addr a = mac_of(1), b = mac_of(2), c = mac_of(3);

	inject(a5, &b, &a, 0, 60);
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(b5), 1);
	CU_ASSERT_EQUAL(sent(b6), 0);
	CU_ASSERT_EQUAL(sent(c6), 0);
	CU_ASSERT_EQUAL(sent(d0), 0);
	CU_ASSERT_EQUAL(sent(a5), 0);
	/* delivered untagged, as sent */
	CU_ASSERT_EQUAL(memcmp(b5->dummy.sent[0], &b, MAC_LEN), 0);
	CU_ASSERT_EQUAL(b5->dummy.sent[0][12], 0x88);

	inject(c6, &b, &c, 0, 60);
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(b6), 1);
	CU_ASSERT_EQUAL(sent(b5), 1);

	/* on an etherstub a MAC nobody owns goes nowhere, counted */
	inject(a5, &c, &a, 0, 60);	/* c is on VLAN 6 only */
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(c6), 0);
	CU_ASSERT_EQUAL(drops(a5, VSW_DROP_UNKNOWN_DST), 1);
	ts_free(ts);
}

/* Broadcast reaches every VNIC of the sender's VLAN but the sender, and
 * the uplink tagged with that VLAN; from the uplink, the tag's VLAN only,
 * untagged. */
static void test_broadcast_within_vlan(void)
{
	struct tswitch *ts = ts_new();
	struct tport *up = ts_port(ts, 0, 0, NULL);
	struct tport *a5 = ts_port(ts, 5, 1, NULL);
	struct tport *b5 = ts_port(ts, 5, 2, NULL);
	struct tport *c6 = ts_port(ts, 6, 3, NULL);
	struct tport *d0 = ts_port(ts, 0, 4, NULL);
	struct mac_addr a = mac_of(1), lan = mac_of(0x77);

	inject(a5, &mac_bcast, &a, 0, 60);
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(a5), 0);
	CU_ASSERT_EQUAL(sent(b5), 1);
	CU_ASSERT_EQUAL(sent(c6), 0);
	CU_ASSERT_EQUAL(sent(d0), 0);
	CU_ASSERT_EQUAL_FATAL(sent(up), 1);
	CU_ASSERT_EQUAL(up->dummy.sent_len[0], 64);
	CU_ASSERT_EQUAL(up->dummy.sent[0][12], 0x81);	/* 802.1Q, vid 5 */
	CU_ASSERT_EQUAL(up->dummy.sent[0][13], 0x00);
	CU_ASSERT_EQUAL(up->dummy.sent[0][14], 0x00);
	CU_ASSERT_EQUAL(up->dummy.sent[0][15], 5);
	CU_ASSERT_EQUAL(b5->dummy.sent[0][12], 0x88);	/* VNICs: untagged */

	inject(up, &mac_bcast, &lan, 6, 64);
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(c6), 1);
	CU_ASSERT_EQUAL(c6->dummy.sent_len[0], 60);
	CU_ASSERT_EQUAL(c6->dummy.sent[0][12], 0x88);
	CU_ASSERT_EQUAL(sent(a5), 0);
	CU_ASSERT_EQUAL(sent(b5), 1);
	CU_ASSERT_EQUAL(sent(d0), 0);
	CU_ASSERT_EQUAL(sent(up), 1);			/* never back */

	inject(up, &mac_bcast, &lan, 0, 60);		/* untagged: VLAN 0 */
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(d0), 1);
	CU_ASSERT_EQUAL(sent(a5) + sent(b5) + sent(c6), 2);
	ts_free(ts);
}

/* Under mac-nospoof a frame with another source MAC is dropped and
 * counted; the VNIC's own address passes. Without it, it passes. */
static void test_spoofed_source_dropped(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, "protection=mac-nospoof");
	struct tport *b = ts_port(ts, 0, 2, NULL);
	struct tport *c = ts_port(ts, 0, 3, NULL);
	struct mac_addr ma = mac_of(1), mb = mac_of(2), mc = mac_of(3);
	struct mac_addr fake = mac_of(0x99);

	inject(a, &mb, &fake, 0, 60);
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(b), 0);
	CU_ASSERT_EQUAL(drops(a, VSW_DROP_MAC_SPOOF), 1);

	inject(a, &mb, &ma, 0, 60);
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(b), 1);
	CU_ASSERT_EQUAL(drops(a, VSW_DROP_MAC_SPOOF), 1);

	inject(c, &mb, &fake, 0, 60);	/* c has no protection */
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(b), 2);
	CU_ASSERT_EQUAL(drops(c, VSW_DROP_MAC_SPOOF), 0);

	/* a VNIC's own tag is refused whatever its protection */
	inject(c, &mb, &mc, 7, 64);
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(b), 2);
	CU_ASSERT_EQUAL(drops(c, VSW_DROP_VLAN), 1);
	ts_free(ts);
}

/* Towards a VNIC capped at 10 Mb/s: its queue holds 60 ms at the rate
 * (the rest dropped as maxbw_queue), the bucket lets its depth through at
 * once, then frames wait for tokens; an uncapped VNIC takes all. */
static void test_cap_token_bucket(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, NULL);
	struct tport *capped = ts_port(ts, 0, 2, "maxbw=10M");
	struct tport *free_ = ts_port(ts, 0, 3, NULL);
	struct mac_addr ma = mac_of(1), mc = mac_of(2), mf = mac_of(3);
	unsigned limit = 10000000ULL / 1000 * VSW_TXQ_CAPPED_MS / SHAPER_FRAME_BITS;
	unsigned depth = (unsigned)(shaper_burst_for(10000000ULL) /
				    (FRAME_LEN * 8)) + 1;
	unsigned before;

	CU_ASSERT_EQUAL_FATAL(capped->port.txq_limit, limit);
	for (unsigned i = 0; i < 200; i++) {
		inject(a, &mc, &ma, 0, FRAME_LEN);
		inject(a, &mf, &ma, 0, FRAME_LEN);
	}
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(free_), 200);
	CU_ASSERT_EQUAL(sent(capped), limit);		/* within the depth */
	CU_ASSERT_EQUAL(drops(capped, VSW_DROP_MAXBW_QUEUE), 200 - limit);
	CU_ASSERT_EQUAL(drops(free_, VSW_DROP_MAXBW_QUEUE), 0);

	/* same instant: only what is left of the depth goes */
	for (unsigned i = 0; i < limit; i++)
		inject(a, &mc, &ma, 0, FRAME_LEN);
	ts_run(ts);
	CU_ASSERT(sent(capped) < 2 * limit);
	CU_ASSERT(sent(capped) >= depth - 1);
	CU_ASSERT(sent(capped) <= depth + 1);
	CU_ASSERT(switch_pending(&capped->port));

	/* 100 ms later the tokens earned let the rest out */
	before = sent(capped);
	ts->dp.now_ns += NS / 10;
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(capped), 2 * limit);
	CU_ASSERT(sent(capped) > before);
	CU_ASSERT(!switch_pending(&capped->port));
	ts_free(ts);
}

/* Offered far above the cap for 2 s, polled every ms, a capped VNIC gets
 * its rate: within 1% below, at most the bucket's depth above. */
static void test_cap_long_run_rate(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, NULL);
	struct tport *capped = ts_port(ts, 0, 2, "maxbw=10M");
	struct mac_addr ma = mac_of(1), mc = mac_of(2);
	uint64_t rate = 10000000ULL, secs = 2, bits, want = rate * secs;

	for (uint64_t t = 0; t < secs * NS; t += NS / 1000) {
		ts->dp.now_ns = t;
		for (int i = 0; i < 3; i++)	/* ~36 Mb/s offered */
			inject(a, &mc, &ma, 0, FRAME_LEN);
		ts_run(ts);
	}
	bits = (uint64_t)vsw_read(&capped->port.stats[0].tx_bytes) * 8;
	CU_ASSERT(bits >= want - want / 100);
	CU_ASSERT(bits <= want + shaper_burst_for(rate) + FRAME_LEN * 8);
	CU_ASSERT(drops(capped, VSW_DROP_MAXBW_QUEUE) > 0);
	ts_free(ts);
}

/* ---- flows (flows/flow_dp.c) on the same dummy ports ---- */

/* An IPv4/UDP frame dst <- src to UDP port dport, len bytes, queued to be
 * received from t. */
static void inject_udp(struct tport *t, const struct mac_addr *dst,
		       const struct mac_addr *src, uint16_t dport,
		       uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t h[38] = { [12] = 0x08, [14] = 0x45, [23] = 17,
			  [26] = 10, [29] = 1, [30] = 10, [33] = 2, /* 10.0.0.1
								      -> .2 */
			  [34] = 0x04 };		/* source port 1024 */
	uint8_t *f;

	memcpy(h, dst, MAC_LEN);
	memcpy(h + MAC_LEN, src, MAC_LEN);
	h[36] = (uint8_t)(dport >> 8);
	h[37] = (uint8_t)dport;
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	f = (uint8_t *)rte_pktmbuf_append(m, len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	memset(f, 0, len);
	memcpy(f, h, sizeof(h));
	CU_ASSERT_FATAL(t->dummy.rx_count < DUMMY_MAX);
	t->dummy.rxq[(t->dummy.rx_head + t->dummy.rx_count++) % DUMMY_MAX] = m;
}

/* Flows on t, each "attrs" with "props" (NULL: none), as flowctl.c hands
 * them to the PMD. */
static struct flow_port *tf_flows(struct tport *t, unsigned n,
				  const char *const *attrs,
				  const char *const *props)
{
	struct flow_port *fp = calloc(1, sizeof(*fp));
	char err[FLOW_ERRLEN];

	CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
	for (unsigned i = 0; i < n; i++) {
		struct flow_attrs a;
		struct flow_props p;
		struct flow_dp *f;

		flow_props_init(&p);
		CU_ASSERT_EQUAL_FATAL(flow_attrs_parse(attrs[i], &a, err), 0);
		if (props && props[i])
			CU_ASSERT_EQUAL_FATAL(flow_props_parse(props[i], &p, err),
					      0);
		f = flow_dp_new(&a, p.maxbw, p.priority);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_EQUAL_FATAL(flow_port_insert(fp, f), 0);
	}
	flow_port_install(&t->port, fp);
	return fp;
}

static void tf_free(struct tport *t, struct flow_port *fp)
{
	flow_port_install(&t->port, NULL);
	for (unsigned i = 0; i < fp->n; i++)
		flow_dp_free(fp->f[i]);
	free(fp);
}

/* UDP frames the dummy port sent to destination port dport. */
static unsigned sent_to(const struct tport *t, uint16_t dport)
{
	unsigned n = 0;

	for (unsigned i = 0; i < t->dummy.nsent; i++)
		if (t->dummy.sent[i][23] == 17 &&
		    (t->dummy.sent[i][36] << 8 | t->dummy.sent[i][37]) == dport)
			n++;
	return n;
}

/* One PMD pass as pmd.c makes it, capped flows' room included: a VNIC
 * is read only as far as its capped flows' queues have room. */
static void tf_run(struct tswitch *ts)
{
	struct rte_mbuf *pkts[VSW_BURST];
	uint16_t n;

	for (unsigned i = 0; i < ts->n; i++) {
		struct vsw_port *p = &ts->ports[i]->port;
		unsigned room = p->flows ? flow_dp_rx_room(p) : VSW_BURST;

		while (room && (n = nb_rx_burst(p->nb, pkts, (uint16_t)room)) > 0) {
			switch_input(&ts->dp, p, pkts, n);
			room = p->flows ? flow_dp_rx_room(p) : VSW_BURST;
		}
	}
	for (unsigned i = 0; i < ts->n; i++)
		switch_flush(&ts->dp, &ts->ports[i]->port);
}

/* Uncapped flows count what they classify, each way, and change nothing
 * else; frames of no flow pass as before. */
static void test_flow_counters(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, NULL), *b = ts_port(ts, 0, 2, NULL);
	struct mac_addr ma = mac_of(1), mb = mac_of(2);
	struct flow_port *fb = tf_flows(b, 1, (const char *[]){
		"transport=udp,local_port=5001" }, NULL);
	struct flow_port *fa = tf_flows(a, 1, (const char *[]){
		"transport=udp,remote_port=5001" }, NULL);

	for (int i = 0; i < 10; i++)
		inject_udp(a, &mb, &ma, 5001, 100);
	for (int i = 0; i < 4; i++)
		inject_udp(a, &mb, &ma, 6000, 100);
	inject(a, &mb, &ma, 0, 60);		/* not IP */
	tf_run(ts);
	CU_ASSERT_EQUAL(b->dummy.nsent, 15);
	CU_ASSERT_EQUAL(vsw_read(&fb->f[0]->st.ipkts), 10);
	CU_ASSERT_EQUAL(vsw_read(&fb->f[0]->st.ibytes), 1000);
	CU_ASSERT_EQUAL(vsw_read(&fb->f[0]->st.opkts), 0);
	CU_ASSERT_EQUAL(vsw_read(&fa->f[0]->st.opkts), 10);	/* a sent them */
	CU_ASSERT_EQUAL(vsw_read(&fa->f[0]->st.ipkts), 0);
	tf_free(a, fa);
	tf_free(b, fb);
	ts_free(ts);
}

/* A capped flow towards a VNIC: its queue (60 ms at its rate) and the
 * drops beyond, its long-run rate, and the VNIC's other traffic
 * untouched. */
static void test_flow_cap_towards_vnic(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, NULL), *b = ts_port(ts, 0, 2, NULL);
	struct mac_addr ma = mac_of(1), mb = mac_of(2);
	struct flow_port *fb = tf_flows(b, 1, (const char *[]){
		"transport=udp,local_port=5001" }, (const char *[]){ "maxbw=12M" });
	struct flow_dp *f = fb->f[0];
	uint64_t rate = 12000000, want = rate * 2, bits;

	for (int i = 0; i < 500; i++)
		inject_udp(a, &mb, &ma, 5001, FRAME_LEN);
	for (int i = 0; i < 300; i++)
		inject_udp(a, &mb, &ma, 6000, FRAME_LEN);
	tf_run(ts);
	CU_ASSERT_EQUAL(sent_to(b, 6000), 300);	/* not the flow's: at once */
	CU_ASSERT_EQUAL(f->qlimit, 59);		/* 60 ms at 12 Mb/s */
	CU_ASSERT_EQUAL(sent_to(b, 5001), 59);	/* the bucket starts full */
	CU_ASSERT_EQUAL(vsw_read(&f->st.ierrs), 500 - 59);
	CU_ASSERT_EQUAL(vsw_read(&f->st.ipkts), 59);

	/* 2 s offered at twice the cap, a pass every ms */
	b->dummy.nsent = 0;
	for (uint64_t t = 1000000; t <= 2 * NS; t += NS / 1000) {
		ts->dp.now_ns = t;
		if (t % (NS / 500) == 0)	/* 4 frames each 2 ms: 24 Mb/s */
			for (int i = 0; i < 4; i++)
				inject_udp(a, &mb, &ma, 5001, FRAME_LEN);
		tf_run(ts);
	}
	bits = (uint64_t)sent_to(b, 5001) * FRAME_LEN * 8;
	CU_ASSERT(bits >= want - want / 50);
	CU_ASSERT(bits <= want + shaper_burst_for(rate) + FRAME_LEN * 8);
	tf_free(b, fb);
	ts_free(ts);
}

/* A capped flow from a VNIC: the VNIC is read only as far as the flow's
 * queue has room, so what the bucket does not allow stays in the VNIC's
 * ring (backpressure): none dropped, and the frames leave at the flow's
 * rate. */
static void test_flow_cap_backpressure(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, NULL), *b = ts_port(ts, 0, 2, NULL);
	struct mac_addr ma = mac_of(1), mb = mac_of(2);
	struct flow_port *fa = tf_flows(a, 1, (const char *[]){
		"transport=udp,remote_port=5001" }, (const char *[]){ "maxbw=12M" });
	struct flow_dp *f = fa->f[0];
	uint64_t want = 12000000 + shaper_burst_for(12000000), sent, queued;

	for (int i = 0; i < 2000; i++)
		inject_udp(a, &mb, &ma, 5001, FRAME_LEN);
	tf_run(ts);
	CU_ASSERT_EQUAL(sent_to(b, 5001), 59);	/* one queue's worth read */
	CU_ASSERT_EQUAL(a->dummy.rx_count, 2000 - 59);	/* the rest waits */
	for (uint64_t t = NS / 1000; t <= NS; t += NS / 1000) {
		ts->dp.now_ns = t;
		tf_run(ts);
	}
	/* 1 s of tokens plus the full bucket it started with */
	sent = sent_to(b, 5001);
	CU_ASSERT(sent * FRAME_LEN * 8 <= want + FRAME_LEN * 8);
	CU_ASSERT(sent * FRAME_LEN * 8 >= want - 2 * FRAME_LEN * 8);
	CU_ASSERT(a->dummy.rx_count > 0);
	CU_ASSERT_EQUAL(vsw_read(&f->st.oerrs), 0);
	CU_ASSERT_EQUAL(vsw_read(&f->st.opkts) + a->dummy.rx_count, 2000);
	queued = f->q_from.count;
	CU_ASSERT_EQUAL(vsw_read(&f->st.opkts), sent + queued);
	/* frames still queued: freed, counted (read before tf_free frees
	 * the flow: ASan caught the read after it) */
	flow_port_install(&a->port, NULL);
	CU_ASSERT_EQUAL(vsw_read(&f->st.oerrs), queued);
	tf_free(a, fa);
	ts_free(ts);
}

/* Under a VNIC's cap, the high-priority flow's frames go first, then the
 * VNIC's own (its priority, medium here), then the low flow. */
static void test_flow_priority(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, NULL);
	struct tport *b = ts_port(ts, 0, 2, "maxbw=12M,priority=medium");
	struct mac_addr ma = mac_of(1), mb = mac_of(2);
	struct flow_port *fb = tf_flows(b, 2, (const char *[]){
		"transport=udp,local_port=5001", "transport=udp,local_port=5002" },
		(const char *[]){ "priority=low", "priority=high" });

	for (int i = 0; i < 40; i++)
		inject_udp(a, &mb, &ma, 5001, FRAME_LEN);	/* low */
	for (int i = 0; i < 40; i++)
		inject_udp(a, &mb, &ma, 6000, FRAME_LEN);	/* the VNIC's */
	for (int i = 0; i < 40; i++)
		inject_udp(a, &mb, &ma, 5002, FRAME_LEN);	/* high */
	tf_run(ts);
	/* the bucket (100 ms at 12 Mb/s: 99 frames, one may overdraw) */
	CU_ASSERT_EQUAL(sent_to(b, 5002), 40);
	CU_ASSERT_EQUAL(sent_to(b, 6000), 40);
	CU_ASSERT(sent_to(b, 5001) >= 19 && sent_to(b, 5001) <= 20);
	for (unsigned i = 0; i < 40; i++)
		CU_ASSERT_EQUAL(b->dummy.sent[i][37], 5002 & 0xff);
	for (unsigned i = 40; i < 80; i++)
		CU_ASSERT_EQUAL(b->dummy.sent[i][37], 6000 & 0xff);
	tf_free(b, fb);
	ts_free(ts);
}

/* A VNIC whose guest has gone (no carrier) holds no mbufs of the shared
 * pool: what waits in its capped flows' queues towards it is dropped as
 * its own queues are, counted as the flow's errors; what it sent before
 * still leaves. */
static void test_flow_no_carrier(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, NULL), *b = ts_port(ts, 0, 2, NULL);
	struct mac_addr ma = mac_of(1), mb = mac_of(2);
	struct flow_port *fb = tf_flows(b, 1, (const char *[]){
		"transport=udp,local_port=5001" }, (const char *[]){ "maxbw=12M" });
	struct flow_dp *f = fb->f[0];
	unsigned in_use, queued;

	for (int r = 0; r < 4; r++) {	/* the bucket empties, the queue fills */
		for (int i = 0; i < 50; i++)
			inject_udp(a, &mb, &ma, 5001, FRAME_LEN);
		tf_run(ts);
	}
	queued = f->q_to.count;
	CU_ASSERT_EQUAL(queued, f->qlimit);	/* waiting for tokens */
	in_use = rte_mempool_in_use_count(pool);
	b->dummy.no_carrier = true;
	ts->dp.now_ns = NS / 1000;
	tf_run(ts);
	CU_ASSERT_EQUAL(f->q_to.count, 0);
	CU_ASSERT_EQUAL(vsw_read(&f->st.ierrs), 200 - vsw_read(&f->st.ipkts) +
			queued);
	CU_ASSERT_EQUAL((unsigned)rte_mempool_in_use_count(pool) + queued,
			in_use);
	CU_ASSERT_FALSE(switch_pending(&b->port));
	tf_free(b, fb);
	ts_free(ts);
}

/* A flow removed while frames wait in its queues (the control thread
 * installs the link's set without it): its frames are freed and counted
 * as its errors at once; the flows that stay keep theirs, and those
 * leave as before. */
static void test_flow_remove_queued(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, NULL), *b = ts_port(ts, 0, 2, NULL);
	struct mac_addr ma = mac_of(1), mb = mac_of(2);
	struct flow_port *fb = tf_flows(b, 2, (const char *[]){
		"transport=udp,local_port=5001", "transport=udp,local_port=5002" },
		(const char *[]){ "maxbw=12M", "maxbw=12M" });
	struct flow_port *keep = calloc(1, sizeof(*keep));
	struct flow_dp *f1 = fb->f[0], *f2 = fb->f[1];
	unsigned in_use, q1, q2, sent;

	CU_ASSERT_PTR_NOT_NULL_FATAL(keep);
	for (int r = 0; r < 4; r++) {
		for (int i = 0; i < 50; i++) {
			inject_udp(a, &mb, &ma, 5001, FRAME_LEN);
			inject_udp(a, &mb, &ma, 5002, FRAME_LEN);
		}
		tf_run(ts);
	}
	q1 = f1->q_to.count;
	q2 = f2->q_to.count;
	CU_ASSERT(q1 > 0 && q2 > 0);
	in_use = rte_mempool_in_use_count(pool);
	CU_ASSERT_EQUAL_FATAL(flow_port_insert(keep, f1), 0);
	flow_port_install(&b->port, keep);	/* f2 removed */
	CU_ASSERT_PTR_EQUAL(b->port.flows, keep);
	CU_ASSERT_EQUAL(f2->q_to.count, 0);
	CU_ASSERT_EQUAL(f1->q_to.count, q1);
	CU_ASSERT_EQUAL((unsigned)rte_mempool_in_use_count(pool) + q2, in_use);
	CU_ASSERT_EQUAL(vsw_read(&f2->st.ierrs), 200 - vsw_read(&f2->st.ipkts) +
			q2);
	/* f1's frames still leave at its rate */
	sent = sent_to(b, 5001);
	for (uint64_t t = NS / 10; t <= NS; t += NS / 10) {
		ts->dp.now_ns = t;
		tf_run(ts);
	}
	CU_ASSERT_EQUAL(sent_to(b, 5001), sent + q1);
	CU_ASSERT_EQUAL(f1->q_to.count, 0);
	flow_dp_free(f2);
	free(fb);
	tf_free(b, keep);
	ts_free(ts);
}

/* ---- jumbo frames ---- */

/* Byte i of a test frame's payload (after the addresses). */
static uint8_t jpat(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* A frame dst <- src of len bytes with the jpat payload, as the vhost
 * library dequeues a long one: a chain of pool mbufs of at most 1920
 * bytes each; queued to be received from t. Its hash in *hash. */
static void inject_chain(struct tport *t, const struct mac_addr *dst,
			 const struct mac_addr *src, uint32_t len,
			 uint32_t *hash)
{
	struct rte_mbuf *head = NULL;
	uint32_t off = 0;

	while (off < len) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint16_t n = (uint16_t)MIN(len - off, 1920u);
		uint8_t *f;

		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		f = (uint8_t *)rte_pktmbuf_append(m, n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		for (uint16_t i = 0; i < n; i++)
			f[i] = jpat(off + i);
		if (off == 0) {
			memcpy(f, dst, MAC_LEN);
			memcpy(f + MAC_LEN, src, MAC_LEN);
			f[12] = 0x88;
			f[13] = 0xb5;
			head = m;
		} else {
			CU_ASSERT_EQUAL_FATAL(rte_pktmbuf_chain(head, m), 0);
		}
		off += n;
	}
	*hash = mbuf_hash(head);
	t->dummy.rxq[(t->dummy.rx_head + t->dummy.rx_count++) % DUMMY_MAX] = head;
}

/* The hash of that frame as the uplink gets it: tagged with vid. */
static uint32_t tagged_hash(const struct mac_addr *dst,
			    const struct mac_addr *src, uint32_t len,
			    uint16_t vid)
{
	static uint8_t f[NB_MAX_FRAME];

	CU_ASSERT_FATAL(len + 4 <= sizeof(f));
	memcpy(f, dst, MAC_LEN);
	memcpy(f + MAC_LEN, src, MAC_LEN);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = (uint8_t)(vid >> 8);
	f[15] = (uint8_t)vid;
	f[16] = 0x88;
	f[17] = 0xb5;
	for (uint32_t i = 14; i < len; i++)
		f[i + 4] = jpat(i);
	return fnv1a(FNV_INIT, f, len + 4);
}

/* 9000-byte MTUs: a guest's 9014-byte frame, a chain of 2 KiB mbufs,
 * reaches another VNIC whole, in one segment, byte for byte; its
 * broadcast reaches the uplink tagged (9018 bytes) and is dropped and
 * counted (oversize) towards a VNIC whose MTU is 1500; one byte more
 * than the sender's MTU is dropped and counted at the sender. No mbuf of
 * either pool is left behind (suite_cleanup). */
static void test_jumbo_frames(void)
{
	struct tswitch *ts = ts_new();
	struct tport *up = ts_port(ts, 0, 0, "mtu=9000");
	struct tport *a = ts_port(ts, 5, 1, "mtu=9000");
	struct tport *b = ts_port(ts, 5, 2, "mtu=9000");
	struct tport *c = ts_port(ts, 5, 3, NULL);	/* mtu 1500 */
	struct mac_addr ma = mac_of(1), mb = mac_of(2), mc = mac_of(3);
	uint32_t h;

	inject_chain(a, &mb, &ma, 9014, &h);
	ts_run(ts);
	CU_ASSERT_EQUAL_FATAL(sent(b), 1);
	CU_ASSERT_EQUAL(b->dummy.sent_len[0], 9014);
	CU_ASSERT_EQUAL(b->dummy.sent_segs[0], 1);
	CU_ASSERT_EQUAL(b->dummy.sent_hash[0], h);
	CU_ASSERT_EQUAL(sent(c) + sent(up), 0);

	inject_chain(a, &mac_bcast, &ma, 9014, &h);
	ts_run(ts);
	CU_ASSERT_EQUAL_FATAL(sent(b), 2);
	CU_ASSERT_EQUAL(b->dummy.sent_hash[1], h);
	CU_ASSERT_EQUAL(sent(c), 0);
	CU_ASSERT_EQUAL(drops(c, VSW_DROP_OVERSIZE), 1);
	CU_ASSERT_EQUAL_FATAL(sent(up), 1);
	CU_ASSERT_EQUAL(up->dummy.sent_len[0], 9018);
	CU_ASSERT_EQUAL(up->dummy.sent_hash[0],
			tagged_hash(&mac_bcast, &ma, 9014, 5));

	inject_chain(a, &mb, &ma, 9015, &h);	/* 9001 bytes of payload */
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(b), 2);
	CU_ASSERT_EQUAL(drops(a, VSW_DROP_OVERSIZE), 1);

	/* the same 9014 bytes from a VNIC of MTU 1500: dropped at once */
	inject_chain(c, &mb, &mc, 9014, &h);
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(b), 2);
	CU_ASSERT_EQUAL(drops(c, VSW_DROP_OVERSIZE), 2);
	CU_ASSERT_EQUAL(rte_mempool_in_use_count(jumbo), 0);
	ts_free(ts);
}

/* A VNIC of MTU 9000 capped at 10 Mb/s, offered 9014-byte frames at
 * ~72 Mb/s for 2 s: what it is sent is the cap's worth (within 1%, plus
 * one bucket and one frame), whole frames counted. */
static void test_jumbo_cap(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, "mtu=9000");
	struct tport *capped = ts_port(ts, 0, 2, "mtu=9000,maxbw=10M");
	struct mac_addr ma = mac_of(1), mc = mac_of(2);
	uint64_t rate = 10000000ULL, secs = 2, bits, want = rate * secs;
	uint32_t h;

	for (uint64_t t = 0; t < secs * NS; t += NS / 1000) {
		ts->dp.now_ns = t;
		inject_chain(a, &mc, &ma, 9014, &h);
		ts_run(ts);
	}
	bits = (uint64_t)vsw_read(&capped->port.stats[0].tx_bytes) * 8;
	CU_ASSERT(bits >= want - want / 100);
	CU_ASSERT(bits <= want + shaper_burst_for(rate) + 9014 * 8);
	CU_ASSERT_EQUAL(capped->dummy.sent_len[0], 9014);
	CU_ASSERT(drops(capped, VSW_DROP_MAXBW_QUEUE) > 0);
	CU_ASSERT_EQUAL(drops(a, VSW_DROP_NO_BUFFER), 0);
	ts_free(ts);
}

/* A flow on a VNIC of MTU 9000 classifies a guest's 9014-byte UDP frame
 * (a chain of 2 KiB mbufs) by its ports and counts all its bytes. */
static void test_jumbo_flows(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, "mtu=9000");
	struct tport *b = ts_port(ts, 0, 2, "mtu=9000");
	struct mac_addr ma = mac_of(1), mb = mac_of(2);
	struct flow_port *fb = tf_flows(b, 1, (const char *[]){
		"transport=udp,local_port=5001" }, NULL);
	struct rte_mbuf *m;
	uint8_t *f;
	uint32_t h;

	for (int i = 0; i < 3; i++) {
		inject_chain(a, &mb, &ma, 9014, &h);
		m = a->dummy.rxq[(a->dummy.rx_head + a->dummy.rx_count - 1) %
				 DUMMY_MAX];
		f = rte_pktmbuf_mtod(m, uint8_t *);
		memset(f + 12, 0, 26);
		f[12] = 0x08;			/* IPv4, UDP 10.0.0.1 -> .2 */
		f[14] = 0x45;
		f[16] = (9000 >> 8);		/* total length 9000 */
		f[17] = 9000 & 0xff;
		f[23] = 17;
		f[26] = 10, f[29] = 1, f[30] = 10, f[33] = 2;
		f[34] = 0x04;			/* from port 1024 */
		f[36] = 5001 >> 8;
		f[37] = 5001 & 0xff;
	}
	tf_run(ts);
	CU_ASSERT_EQUAL(sent_to(b, 5001), 3);
	CU_ASSERT_EQUAL(b->dummy.sent_len[0], 9014);
	CU_ASSERT_EQUAL(vsw_read(&fb->f[0]->st.ipkts), 3);
	CU_ASSERT_EQUAL(vsw_read(&fb->f[0]->st.ibytes), 3 * 9014);
	tf_free(b, fb);
	ts_free(ts);
}

/* Guests that stop reading keep their share of the pool's queue budget
 * and no more (tail drop, counted as queue_full); a guest that reads
 * gets its frames meanwhile. Each port added shrinks the shares, the
 * frames queued beyond them are freed and counted; a port that would
 * leave less than VSW_TXQ_MIN each is refused (an uplink weighs
 * VSW_NPRIO); a port removed gives its share back. */
static void test_stuck_guests_share(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a, *b, *st[4], *e, *up;
	struct mac_addr ma = mac_of(1), mb = mac_of(2);
	unsigned in_use = (unsigned)rte_mempool_in_use_count(pool);

	ts->dp.queue_budget = 600;	/* 9 queues of VSW_TXQ_MIN */
	a = ts_port(ts, 0, 1, NULL);
	b = ts_port(ts, 0, 2, NULL);
	for (int i = 0; i < 4; i++) {
		st[i] = ts_port(ts, 0, (uint8_t)(10 + i), NULL);
		st[i]->dummy.stuck = true;
	}
	CU_ASSERT_EQUAL(a->port.txq_share, 100);	/* 600 / 6 */
	for (int r = 0; r < 150; r++) {
		for (int i = 0; i < 4; i++) {
			struct mac_addr m = mac_of((uint8_t)(10 + i));

			inject(a, &m, &ma, 0, 60);
		}
		if (r % 30 == 29)
			ts_run(ts);
	}
	for (int i = 0; i < 50; i++)
		inject(a, &mb, &ma, 0, 60);
	ts_run(ts);
	CU_ASSERT_EQUAL(sent(b), 50);		/* the reader lost nothing */
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(vsw_queued(&st[i]->port), 100);
		CU_ASSERT_EQUAL(drops(st[i], VSW_DROP_QUEUE_FULL), 50);
	}
	CU_ASSERT_EQUAL((unsigned)rte_mempool_in_use_count(pool), in_use + 400);

	/* a seventh port: shares of 600 / 7 = 85, the excess freed */
	e = ts_port(ts, 0, 20, NULL);
	CU_ASSERT_EQUAL(e->port.txq_share, 85);
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(vsw_queued(&st[i]->port), 85);
		CU_ASSERT_EQUAL(drops(st[i], VSW_DROP_QUEUE_FULL), 65);
	}
	CU_ASSERT_EQUAL((unsigned)rte_mempool_in_use_count(pool), in_use + 340);

	/* an uplink (3 queues) would leave 600 / 10 = 60 < 64 each */
	up = calloc(1, sizeof(*up));
	CU_ASSERT_PTR_NOT_NULL_FATAL(up);
	up->port.sw = &ts->sw;
	up->port.uplink = true;
	up->port.nb = &up->dummy.nb;
	CU_ASSERT_EQUAL(switch_add_port(&ts->dp, &up->port), -ENOBUFS);
	CU_ASSERT_PTR_NULL(ts->sw.uplink);
	CU_ASSERT_EQUAL(a->port.txq_share, 85);
	free(up);

	/* a port gone: its share back to the others */
	switch_del_port(&ts->dp, &e->port);
	ts->ports[--ts->n] = NULL;
	free(e);
	CU_ASSERT_EQUAL(a->port.txq_share, 100);
	for (int r = 0; r < 20; r++)
		inject(a, &st[0]->port.mac, &ma, 0, 60);
	ts_run(ts);
	CU_ASSERT_EQUAL(vsw_queued(&st[0]->port), 100);
	CU_ASSERT_EQUAL(drops(st[0], VSW_DROP_QUEUE_FULL), 70);
	ts_free(ts);
	CU_ASSERT_EQUAL((unsigned)rte_mempool_in_use_count(pool), in_use);
}

/* ---- suite: the EAL and the pool ---- */

static int suite_init(void)
{
	static char prefix[32];
	char *argv[] = { "xvm-unit", "--no-huge", "--no-shconf", "-m", "64",
			 "--no-pci", "--no-telemetry", "--iova-mode=va",
			 "--log-level=*:error", "--file-prefix", prefix, NULL };
	cpu_set_t cpus;
	int rc;

	snprintf(prefix, sizeof(prefix), "xvm-unit-%d", (int)getpid());
	/* the EAL pins this thread to its lcore: later suites keep ours */
	if (sched_getaffinity(0, sizeof(cpus), &cpus) < 0)
		return -1;
	rc = rte_eal_init(ARRAY_SIZE(argv) - 1, argv);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	if (rc < 0)
		return -1;
	pool = rte_pktmbuf_pool_create("test_switch", POOL_MBUFS, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	jumbo = rte_pktmbuf_pool_create("test_jumbo", 127, 0, 0,
					RTE_PKTMBUF_HEADROOM + NB_JUMBO_ROOM,
					SOCKET_ID_ANY);
	return pool && jumbo ? 0 : -1;
}

static int suite_cleanup(void)
{
	int leaked = (pool && rte_mempool_in_use_count(pool) != 0) ||
		     (jumbo && rte_mempool_in_use_count(jumbo) != 0);
	char rtdir[PATH_MAX];

	rte_mempool_free(pool);
	rte_mempool_free(jumbo);
	snprintf(rtdir, sizeof(rtdir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rtdir);	/* empty with --no-shconf */
	return leaked ? -1 : 0;		/* every mbuf back: no leak */
}

/* Two PMDs (dp index 0 and 1, one port table, as pmd.c keeps them):
 * frames from a port of PMD 0 to a VNIC of PMD 1 wait in the VNIC's
 * handoff ring, its sleeping owner woken once, until PMD 1 queues and
 * sends them, intact and in order; each PMD counts in its own slot and
 * the sums are exact. A full ring drops, counted on the destination. */
static void test_two_pmds_handoff(void)
{
	struct tswitch *ts = ts_new();
	struct tport *a = ts_port(ts, 0, 1, NULL);
	struct tport *b = ts_port(ts, 0, 2, NULL);
	struct mac_addr ma = mac_of(1), mb = mac_of(2);
	struct vsw_dp *dp1 = malloc(sizeof(*dp1));
	struct vsw_wake w = { .sleeping = 1,
			      .fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC) };
	struct rte_mbuf *pkts[VSW_BURST];
	struct vsw_stats sum;
	unsigned n, total = 0;
	uint64_t v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dp1);
	CU_ASSERT_FATAL(w.fd >= 0);
	*dp1 = ts->dp;
	dp1->index = 1;
	b->port.pmd = 1;
	b->port.wake = &w;
	b->port.handoff = rte_ring_create_elem("test_ho",
		sizeof(struct vsw_handoff), VSW_HANDOFF_LEN, SOCKET_ID_ANY,
		RING_F_SC_DEQ);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b->port.handoff);
	for (unsigned i = 0; i < 40; i++)
		inject(a, &mb, &ma, 0, (uint16_t)(60 + i));
	while ((n = nb_rx_burst(a->port.nb, pkts, VSW_BURST)) > 0)
		switch_input(&ts->dp, &a->port, pkts, (uint16_t)n);
	/* nothing queued on PMD 0's side; its owner woken once */
	CU_ASSERT_EQUAL(rte_ring_count(b->port.handoff), 40);
	CU_ASSERT_EQUAL(vsw_queued(&b->port), 0);
	CU_ASSERT_EQUAL(switch_flush(&ts->dp, &a->port), 0);
	CU_ASSERT_EQUAL(w.sleeping, 0);
	CU_ASSERT_EQUAL(read(w.fd, &v, sizeof(v)), (ssize_t)sizeof(v));
	CU_ASSERT_EQUAL(v, 1);
	/* PMD 1 takes them (a burst at a time) and sends them */
	while ((n = switch_take_handoff(dp1, &b->port)) > 0) {
		CU_ASSERT(n <= VSW_BURST);
		total += n;
	}
	CU_ASSERT_EQUAL(total, 40);
	while (switch_flush(dp1, &b->port) > 0)
		;
	CU_ASSERT_EQUAL_FATAL(sent(b), 40);
	for (unsigned i = 0; i < 40; i++) {
		CU_ASSERT_EQUAL(b->dummy.sent_len[i], 60 + i);
		CU_ASSERT_EQUAL(memcmp(b->dummy.sent[i], &mb, MAC_LEN), 0);
	}
	CU_ASSERT_EQUAL(vsw_read(&a->port.stats[0].rx_pkts), 40);
	CU_ASSERT_EQUAL(vsw_read(&b->port.stats[1].tx_pkts), 40);
	CU_ASSERT_EQUAL(vsw_read(&b->port.stats[0].tx_pkts), 0);
	vsw_stats_sum(&b->port, &sum);
	CU_ASSERT_EQUAL(sum.tx_pkts, 40);
	CU_ASSERT_EQUAL(sum.tx_bytes, 40 * 60 + 39 * 40 / 2);
	/* a ring full: the rest dropped, charged to b on PMD 0's side */
	for (unsigned i = 0; i < VSW_HANDOFF_LEN + 10; i++) {
		inject(a, &mb, &ma, 0, 60);
		n = nb_rx_burst(a->port.nb, pkts, VSW_BURST);
		switch_input(&ts->dp, &a->port, pkts, (uint16_t)n);
	}
	CU_ASSERT_EQUAL(rte_ring_count(b->port.handoff), VSW_HANDOFF_LEN - 1);
	CU_ASSERT_EQUAL(vsw_read(&b->port.stats[0].drops[VSW_DROP_QUEUE_FULL]),
			11);
	/* and a, a VNIC, held until that ring has room (pmd.c) */
	CU_ASSERT_PTR_EQUAL(a->port.held_by, &b->port);
	/* going: what waits in its ring is freed, counted */
	switch_drain(dp1, &b->port);
	CU_ASSERT_EQUAL(rte_ring_count(b->port.handoff), 0);
	vsw_stats_sum(&b->port, &sum);
	CU_ASSERT_EQUAL(sum.drops[VSW_DROP_QUEUE_FULL], VSW_HANDOFF_LEN + 10);
	rte_ring_free(b->port.handoff);
	b->port.handoff = NULL;
	close(w.fd);
	free(dp1);
	ts_free(ts);
}

static CU_TestInfo tests[] = {
	{ "unicast by MAC and VLAN", test_unicast_by_mac_and_vlan },
	{ "two PMDs: frames handed over, counters summed",
	  test_two_pmds_handoff },
	{ "broadcast within a VLAN", test_broadcast_within_vlan },
	{ "spoofed source dropped", test_spoofed_source_dropped },
	{ "cap: queue, depth, refill", test_cap_token_bucket },
	{ "cap: long-run rate", test_cap_long_run_rate },
	{ "flows: counters both ways", test_flow_counters },
	{ "flows: cap towards a VNIC", test_flow_cap_towards_vnic },
	{ "flows: cap from a VNIC, backpressure", test_flow_cap_backpressure },
	{ "flows: strict priority under the VNIC's cap", test_flow_priority },
	{ "flows: no carrier, no frames held", test_flow_no_carrier },
	{ "flows: one removed with frames queued", test_flow_remove_queued },
	{ "jumbo frames: chains, tags, MTU drops", test_jumbo_frames },
	{ "jumbo frames: a cap's long-run rate", test_jumbo_cap },
	{ "jumbo frames: flows classify and count them", test_jumbo_flows },
	{ "stuck guests: bounded shares of the pool", test_stuck_guests_share },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(switch, suite_init, suite_cleanup, tests);
