/*
 * The data-path half of captures (vswitch/capture_ring.c) and the checks
 * of a filter from the wire (vswitch/capture_filter.c): frames copied up
 * to the snap length, a full ring counting drops without blocking, slots
 * coming back, a count that stops the copying; and the classic BPF
 * programs vswitchd refuses before DPDK sees them. Frames are mbufs laid
 * over plain buffers: nothing here needs the EAL.
 */
#include <string.h>

#include "unit.h"
#include "vswitch/capture.h"
#include "vswitch/dp.h"

struct fake_mbuf {
	struct rte_mbuf m;
	uint8_t buf[2048];
};

static struct rte_mbuf *fake_frame(struct fake_mbuf *f, uint16_t len,
				   uint8_t fill)
{
	memset(&f->m, 0, sizeof(f->m));
	f->m.buf_addr = f->buf;
	f->m.buf_len = sizeof(f->buf);
	f->m.data_len = len;
	f->m.pkt_len = len;
	f->m.nb_segs = 1;
	rte_mbuf_refcnt_set(&f->m, 1);
	memset(f->buf, fill, len);
	return &f->m;
}

static struct capture_list *one_list(struct capture_ring *r)
{
	struct capture_list *cl = malloc(sizeof(*cl) + sizeof(cl->ring[0]));

	cl->n = 1;
	cl->ring[0] = r;
	return cl;
}

static void test_copy_and_snaplen(void)
{
	struct capture_ring *r = capture_ring_create(100, 0, NULL);
	static struct fake_mbuf a, b;
	struct rte_mbuf *pkts[2] = { fake_frame(&a, 60, 0xaa),
				     fake_frame(&b, 1500, 0xbb) };
	struct capture_list *cl;
	const struct capture_slot *s;
	uint32_t idx[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	cl = one_list(r);
	capture_frames(cl, pkts, 2, CAPTURE_TX, 12345);
	CU_ASSERT_EQUAL(vsw_read(&r->captured), 2);
	CU_ASSERT_EQUAL(capture_ring_take(r, idx, 4), 2);
	s = capture_ring_slot(r, idx[0]);
	CU_ASSERT_EQUAL(s->len, 60);
	CU_ASSERT_EQUAL(s->caplen, 60);
	CU_ASSERT_EQUAL(s->ns, 12345);
	CU_ASSERT_EQUAL(s->dir, CAPTURE_TX);
	CU_ASSERT(s->data[0] == 0xaa && s->data[59] == 0xaa);
	s = capture_ring_slot(r, idx[1]);
	CU_ASSERT_EQUAL(s->len, 1500);		/* the frame's length kept */
	CU_ASSERT_EQUAL(s->caplen, 100);	/* its bytes cut at -s */
	CU_ASSERT(s->data[99] == 0xbb);
	capture_ring_give(r, idx, 2);
	CU_ASSERT_EQUAL(capture_ring_take(r, idx, 4), 0);
	free(cl);
	capture_ring_destroy(r);
}

/* A reader that takes nothing: the ring fills, the rest is counted as
 * dropped, and once it reads the slots come back. */
static void test_full_ring_drops(void)
{
	struct capture_ring *r = capture_ring_create(64, 0, NULL);
	static struct fake_mbuf a;
	struct rte_mbuf *m = fake_frame(&a, 64, 1);
	static uint32_t idx[CAPTURE_SLOTS];
	struct capture_list *cl;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	cl = one_list(r);
	for (int i = 0; i < CAPTURE_SLOTS + 100; i++)
		capture_frames(cl, &m, 1, CAPTURE_RX, (uint64_t)i);
	CU_ASSERT_EQUAL(vsw_read(&r->captured), CAPTURE_SLOTS);
	CU_ASSERT_EQUAL(vsw_read(&r->dropped), 100);
	CU_ASSERT_EQUAL(capture_ring_take(r, idx, 10), 10);
	CU_ASSERT_EQUAL(capture_ring_slot(r, idx[0])->ns, 0);	/* oldest first */
	CU_ASSERT_EQUAL(capture_ring_slot(r, idx[9])->ns, 9);
	capture_ring_give(r, idx, 10);
	for (int i = 0; i < 20; i++)
		capture_frames(cl, &m, 1, CAPTURE_RX, 7);
	CU_ASSERT_EQUAL(vsw_read(&r->captured), CAPTURE_SLOTS + 10);
	CU_ASSERT_EQUAL(vsw_read(&r->dropped), 110);
	CU_ASSERT_EQUAL(capture_ring_take(r, idx, CAPTURE_SLOTS),
			CAPTURE_SLOTS);
	free(cl);
	capture_ring_destroy(r);
}

static void test_count_limit(void)
{
	struct capture_ring *r = capture_ring_create(64, 5, NULL);
	static struct fake_mbuf f[8];
	struct rte_mbuf *pkts[8];
	struct capture_list *cl;
	uint32_t idx[8];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (int i = 0; i < 8; i++)
		pkts[i] = fake_frame(&f[i], 60, (uint8_t)i);
	cl = one_list(r);
	capture_frames(cl, pkts, 3, CAPTURE_RX, 1);
	capture_frames(cl, pkts + 3, 5, CAPTURE_TX, 2);
	CU_ASSERT_EQUAL(vsw_read(&r->captured), 5);
	CU_ASSERT_EQUAL(vsw_read(&r->dropped), 0);	/* not drops */
	CU_ASSERT_EQUAL(capture_ring_take(r, idx, 8), 5);
	CU_ASSERT_EQUAL(capture_ring_slot(r, idx[4])->data[0], 4);
	free(cl);
	capture_ring_destroy(r);
}

/* Two captures on one port each get every frame. */
static void test_two_captures(void)
{
	struct capture_ring *r1 = capture_ring_create(64, 0, NULL);
	struct capture_ring *r2 = capture_ring_create(64, 1, NULL);
	struct capture_list *cl = malloc(sizeof(*cl) + 2 * sizeof(cl->ring[0]));
	static struct fake_mbuf a;
	struct rte_mbuf *m = fake_frame(&a, 60, 3);

	CU_ASSERT_FATAL(r1 && r2 && cl);
	cl->n = 2;
	cl->ring[0] = r1;
	cl->ring[1] = r2;
	capture_frames(cl, &m, 1, CAPTURE_RX, 1);
	capture_frames(cl, &m, 1, CAPTURE_RX, 2);
	CU_ASSERT_EQUAL(vsw_read(&r1->captured), 2);
	CU_ASSERT_EQUAL(vsw_read(&r2->captured), 1);
	free(cl);
	capture_ring_destroy(r1);
	capture_ring_destroy(r2);
}

/* Towards a port: only the frames it took are captured, each once, and
 * the references held across the send are given back. */
static void test_tx_only_sent(void)
{
	struct capture_ring *r = capture_ring_create(64, 0, NULL);
	static struct fake_mbuf f[3];
	struct rte_mbuf *pkts[3];
	struct capture_list *cl;
	struct capture_tx t;
	uint32_t idx[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	for (int i = 0; i < 3; i++)
		pkts[i] = fake_frame(&f[i], 60, (uint8_t)(i + 1));
	cl = one_list(r);
	capture_tx_hold(cl, pkts, 3, &t);
	CU_ASSERT_EQUAL(t.any, 7);
	CU_ASSERT_EQUAL(rte_mbuf_refcnt_read(pkts[0]), 2);
	capture_tx_done(cl, pkts, 2, 3, 5, &t);		/* the port took 2 */
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(rte_mbuf_refcnt_read(pkts[i]), 1);
	CU_ASSERT_EQUAL(capture_ring_take(r, idx, 4), 2);
	CU_ASSERT_EQUAL(capture_ring_slot(r, idx[0])->data[0], 1);
	CU_ASSERT_EQUAL(capture_ring_slot(r, idx[1])->data[0], 2);
	CU_ASSERT_EQUAL(capture_ring_slot(r, idx[1])->dir, CAPTURE_TX);
	capture_ring_give(r, idx, 2);
	free(cl);
	capture_ring_destroy(r);
}

/* A capture that wants nothing (its count reached) holds no frame. */
static void test_tx_wants_nothing(void)
{
	struct capture_ring *r = capture_ring_create(64, 1, NULL);
	static struct fake_mbuf f[2];
	struct rte_mbuf *pkts[2] = { fake_frame(&f[0], 60, 1),
				     fake_frame(&f[1], 60, 2) };
	struct capture_list *cl;
	struct capture_tx t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	cl = one_list(r);
	capture_frames(cl, pkts, 1, CAPTURE_RX, 1);	/* its one frame */
	capture_tx_hold(cl, pkts, 2, &t);
	CU_ASSERT_EQUAL(t.any, 0);
	CU_ASSERT_EQUAL(rte_mbuf_refcnt_read(pkts[1]), 1);
	capture_tx_done(cl, pkts, 2, 2, 2, &t);
	CU_ASSERT_EQUAL(vsw_read(&r->captured), 1);
	free(cl);
	capture_ring_destroy(r);
}

static void test_bad_snaplen(void)
{
	CU_ASSERT_PTR_NULL(capture_ring_create(0, 0, NULL));
	CU_ASSERT_PTR_NULL(capture_ring_create(CAPTURE_SNAPLEN_MAX + 1, 0, NULL));
}

/* ---- filter checks ---- */

static int check(const struct capture_insn *ins, unsigned n, char *why)
{
	return capture_filter_check(ins, n, why, 128);
}

static void test_filter_accepts_pcap_output(void)
{
	/* tcpdump -dd 'icmp' for Ethernet */
	static const struct capture_insn icmp[] = {
		{ 0x28, 0, 0, 0x0000000c }, { 0x15, 0, 3, 0x00000800 },
		{ 0x30, 0, 0, 0x00000017 }, { 0x15, 0, 1, 0x00000001 },
		{ 0x6, 0, 0, 0x00040000 }, { 0x6, 0, 0, 0x00000000 },
	};
	/* scratch memory, ldx msh, alu, ja, txa: all known */
	static const struct capture_insn misc[] = {
		{ 0xb1, 0, 0, 14 }, { 0x02, 0, 0, 15 }, { 0x61, 0, 0, 15 },
		{ 0x04, 0, 0, 1 }, { 0x3c, 0, 0, 0 }, { 0x05, 0, 0, 0 },
		{ 0x87, 0, 0, 0 }, { 0x16, 0, 0, 0 },
	};
	char why[128];

	CU_ASSERT_EQUAL(check(icmp, ARRAY_SIZE(icmp), why), 0);
	CU_ASSERT_EQUAL(check(misc, ARRAY_SIZE(misc), why), 0);
}

static void test_filter_refusals(void)
{
	static const struct {
		struct capture_insn ins[3];
		unsigned n;
		const char *why;
	} cases[] = {
		{ { { 0x15, 2, 0, 0 }, { 0x6, 0, 0, 0 } }, 2,
		  "instruction 0 jumps out of the program" },
		{ { { 0x15, 0, 1, 0 }, { 0x6, 0, 0, 0 } }, 2,
		  "instruction 0 jumps out of the program" },
		{ { { 0x05, 0, 0, 1 }, { 0x6, 0, 0, 0 } }, 2,
		  "instruction 0 jumps out of the program" },
		{ { { 0x05, 0, 0, 0xffffffff }, { 0x6, 0, 0, 0 } }, 2,
		  "instruction 0 jumps out of the program" },
		{ { { 0xff, 0, 0, 0 }, { 0x6, 0, 0, 0 } }, 2,
		  "instruction 0 has unknown opcode 0xff" },
		{ { { 0x8c, 0, 0, 0 }, { 0x6, 0, 0, 0 } }, 2,
		  "instruction 0 has unknown opcode 0x8c" },
		{ { { 0x60, 0, 0, 16 }, { 0x6, 0, 0, 0 } }, 2,
		  "instruction 0 uses scratch word 16" },
		{ { { 0x02, 0, 0, 0 }, { 0x03, 0, 0, 99 }, { 0x6, 0, 0, 0 } }, 3,
		  "instruction 1 uses scratch word 99" },
		{ { { 0x34, 0, 0, 0 }, { 0x6, 0, 0, 0 } }, 2,
		  "instruction 0 divides by zero" },
		{ { { 0x94, 0, 0, 0 }, { 0x6, 0, 0, 0 } }, 2,
		  "instruction 0 divides by zero" },
		{ { { 0x28, 0, 0, 12 } }, 1,
		  "the last instruction is not a return" },
		{ { { 0x6, 0, 0, 0 } }, 0,
		  "a filter has 1 to 4096 instructions, not 0" },
	};
	char why[128];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		why[0] = '\0';
		CU_ASSERT_EQUAL(check(cases[i].ins, cases[i].n, why), -EINVAL);
		CU_ASSERT_STRING_EQUAL(why, cases[i].why);
	}
}

static void test_filter_too_long(void)
{
	static struct capture_insn ins[CAPTURE_FILTER_MAX + 1];
	char why[128];

	for (size_t i = 0; i < ARRAY_SIZE(ins); i++)
		ins[i] = (struct capture_insn){ 0x6, 0, 0, 0 };
	CU_ASSERT_EQUAL(check(ins, CAPTURE_FILTER_MAX, why), 0);
	CU_ASSERT_EQUAL(check(ins, CAPTURE_FILTER_MAX + 1, why), -EINVAL);
	CU_ASSERT_STRING_EQUAL(why, "a filter has 1 to 4096 instructions, "
			       "not 4097");
}

static CU_TestInfo tests[] = {
	{ "frames copied up to the snap length", test_copy_and_snaplen },
	{ "full ring: drops counted, slots come back", test_full_ring_drops },
	{ "count stops the copying", test_count_limit },
	{ "two captures on one port", test_two_captures },
	{ "to a port: only frames it took", test_tx_only_sent },
	{ "to a port: nothing wanted, nothing held", test_tx_wants_nothing },
	{ "bad snap length", test_bad_snaplen },
	{ "filter: libpcap's programs pass", test_filter_accepts_pcap_output },
	{ "filter: refusals", test_filter_refusals },
	{ "filter: length", test_filter_too_long },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(capture, NULL, NULL, tests);
