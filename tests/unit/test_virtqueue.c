/* virtqueue: split rings in guest memory, valid and malicious chains. */
#include <stdio.h>
#include "devtest.h"
#include "hv/virtqueue.h"

#define MEM		(1u << 20)
#define QSZ		8
#define DESC		0x1000
#define AVAIL		0x2000
#define USED		0x3000
#define TABLE		0x4000		/* indirect tables */

struct vq_fixture {
	struct vm *vm;
	uint8_t *mem;
	struct vq q;
	uint16_t avail_idx;
	struct vq_chain c;
};

static void vq_setup_sized(struct vq_fixture *f, uint16_t size, bool evidx,
			   bool indirect)
{
	memset(f, 0, sizeof(*f));
	f->vm = devtest_vm(MEM, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->vm);
	f->mem = f->vm->mem[0].hva;
	CU_ASSERT_EQUAL_FATAL(vq_enable(&f->q, f->vm, size, DESC, AVAIL, USED,
					evidx, indirect), 0);
}

static void vq_setup(struct vq_fixture *f)
{
	vq_setup_sized(f, QSZ, false, true);
}

static void vq_teardown(struct vq_fixture *f)
{
	devtest_vm_free(f->vm);
}

static void set_desc(uint8_t *mem, uint64_t table, unsigned int i,
		     uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *d = mem + table + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* Make head available (the driver's side of §2.7.13). */
static void offer(struct vq_fixture *f, uint16_t head)
{
	uint16_t size = f->q.size;

	memcpy(f->mem + AVAIL + 4 + 2 * (f->avail_idx % size), &head, 2);
	f->avail_idx++;
	memcpy(f->mem + AVAIL + 2, &f->avail_idx, 2);
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_valid_chain(void)
{
	struct vq_fixture f;
	char out[8];

	vq_setup(&f);
	CU_ASSERT_EQUAL(vq_pop(&f.q, &f.c), 0);			/* empty */
	memcpy(f.mem + 0x10000, "hello, ", 7);
	memcpy(f.mem + 0x10100, "world", 5);
	set_desc(f.mem, DESC, 3, 0x10000, 7, VRING_DESC_F_NEXT, 5);
	set_desc(f.mem, DESC, 5, 0x10100, 5, VRING_DESC_F_NEXT, 0);
	set_desc(f.mem, DESC, 0, 0x20000, 200, VRING_DESC_F_WRITE, 0);
	offer(&f, 3);
	CU_ASSERT_EQUAL_FATAL(vq_pop(&f.q, &f.c), 1);
	CU_ASSERT_EQUAL(f.c.head, 3);
	CU_ASSERT_EQUAL(f.c.nseg, 3);
	CU_ASSERT_EQUAL(f.c.rlen, 12);
	CU_ASSERT_EQUAL(f.c.wlen, 200);
	CU_ASSERT_PTR_EQUAL(f.c.seg[0].hva, f.mem + 0x10000);
	CU_ASSERT(f.c.seg[2].write && !f.c.seg[1].write);
	CU_ASSERT_EQUAL(vq_chain_read(&f.c, 5, out, sizeof(out)), 7);
	CU_ASSERT(memcmp(out, ", world", 7) == 0);
	CU_ASSERT_EQUAL(vq_chain_write(&f.c, 0, "ok", 2), 2);
	CU_ASSERT(memcmp(f.mem + 0x20000, "ok", 2) == 0);
	CU_ASSERT_EQUAL(vq_pop(&f.q, &f.c), 0);
	CU_ASSERT_EQUAL(vq_push(&f.q, 3, 2), 0);
	CU_ASSERT_EQUAL(rd16(f.mem + USED + 2), 1);
	CU_ASSERT_EQUAL(rd32(f.mem + USED + 4), 3);
	CU_ASSERT_EQUAL(rd32(f.mem + USED + 8), 2);
	CU_ASSERT_EQUAL(vq_push(&f.q, QSZ, 0), -EINVAL);	/* bad head */
	vq_teardown(&f);
}

static void test_valid_indirect(void)
{
	struct vq_fixture f;

	vq_setup(&f);
	set_desc(f.mem, TABLE, 0, 0x10000, 16, VRING_DESC_F_NEXT, 2);
	set_desc(f.mem, TABLE, 2, 0x11000, 32, VRING_DESC_F_NEXT, 1);
	set_desc(f.mem, TABLE, 1, 0x12000, 64, VRING_DESC_F_WRITE, 0);
	set_desc(f.mem, DESC, 0, 0x18000, 8, VRING_DESC_F_NEXT, 1);
	set_desc(f.mem, DESC, 1, TABLE, 48, VRING_DESC_F_INDIRECT, 0);
	offer(&f, 0);
	CU_ASSERT_EQUAL_FATAL(vq_pop(&f.q, &f.c), 1);
	CU_ASSERT_EQUAL(f.c.nseg, 4);
	CU_ASSERT_EQUAL(f.c.rlen, 8 + 16 + 32);
	CU_ASSERT_EQUAL(f.c.wlen, 64);
	CU_ASSERT_EQUAL(f.c.seg[3].gpa, 0x12000);
	vq_teardown(&f);
}

/* One malformed chain at head 0: vq_pop must refuse it. */
static void expect_refused(struct vq_fixture *f, const char *what)
{
	int rc;

	offer(f, 0);
	rc = vq_pop(&f->q, &f->c);
	if (rc != -EINVAL)
		fprintf(stderr, "\n  accepted: %s (rc %d)\n", what, rc);
	CU_ASSERT_EQUAL(rc, -EINVAL);
}

static void test_malicious(void)
{
	struct vq_fixture f;
	enum log_level saved = log_get_level();

	log_set_level(LL_ERR);
	vq_setup(&f);
	set_desc(f.mem, DESC, 0, 0x10000, 8, VRING_DESC_F_NEXT, 1);
	set_desc(f.mem, DESC, 1, 0x10000, 8, VRING_DESC_F_NEXT, 0);
	expect_refused(&f, "a descriptor loop");
	vq_teardown(&f);

	vq_setup(&f);
	for (unsigned int i = 0; i < QSZ; i++)	/* visits all 8, then 0 again */
		set_desc(f.mem, DESC, i, 0x10000, 8, VRING_DESC_F_NEXT,
			 (uint16_t)((i + 1) % QSZ));
	expect_refused(&f, "a chain longer than the queue");
	vq_teardown(&f);

	vq_setup(&f);
	offer(&f, QSZ);					/* head out of range */
	CU_ASSERT_EQUAL(vq_pop(&f.q, &f.c), -EINVAL);
	vq_teardown(&f);

	vq_setup(&f);
	set_desc(f.mem, DESC, 0, 0x10000, 8, VRING_DESC_F_NEXT, 200);
	expect_refused(&f, "next index out of range");
	vq_teardown(&f);

	vq_setup(&f);
	set_desc(f.mem, DESC, 0, MEM, 8, 0, 0);
	expect_refused(&f, "an address outside guest memory");
	vq_teardown(&f);

	vq_setup(&f);
	set_desc(f.mem, DESC, 0, MEM - 8, 16, 0, 0);
	expect_refused(&f, "a buffer straddling the end of memory");
	vq_teardown(&f);

	vq_setup(&f);
	set_desc(f.mem, DESC, 0, 0xfffffffffffffff0ULL, 0x20, 0, 0);
	expect_refused(&f, "address+len wrapping around 2^64");
	vq_teardown(&f);

	vq_setup(&f);
	set_desc(f.mem, DESC, 0, 0x1000, 0xffffffff, VRING_DESC_F_WRITE, 0);
	expect_refused(&f, "a huge length");
	vq_teardown(&f);

	vq_setup(&f);
	set_desc(f.mem, DESC, 0, 0x20000, 8, VRING_DESC_F_WRITE |
		 VRING_DESC_F_NEXT, 1);
	set_desc(f.mem, DESC, 1, 0x10000, 8, 0, 0);
	expect_refused(&f, "readable after writable");
	vq_teardown(&f);
	log_set_level(saved);
}

static void test_malicious_indirect(void)
{
	static const uint32_t bad_len[] = { 0, 24, 16 * (VQ_MAX_INDIRECT + 1) };
	struct vq_fixture f;
	enum log_level saved = log_get_level();

	log_set_level(LL_ERR);
	vq_setup(&f);
	set_desc(f.mem, TABLE, 0, TABLE + 0x100, 16, VRING_DESC_F_INDIRECT, 0);
	set_desc(f.mem, DESC, 0, TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	expect_refused(&f, "nested indirect");
	vq_teardown(&f);

	for (unsigned int i = 0; i < ARRAY_SIZE(bad_len); i++) {
		vq_setup(&f);
		set_desc(f.mem, DESC, 0, TABLE, bad_len[i],
			 VRING_DESC_F_INDIRECT, 0);
		expect_refused(&f, "indirect table with a bad size");
		vq_teardown(&f);
	}

	vq_setup(&f);
	set_desc(f.mem, TABLE, 0, 0x10000, 8, VRING_DESC_F_NEXT, 1);
	set_desc(f.mem, TABLE, 1, 0x10000, 8, VRING_DESC_F_NEXT, 0);
	set_desc(f.mem, DESC, 0, TABLE, 32, VRING_DESC_F_INDIRECT, 0);
	expect_refused(&f, "a loop inside an indirect table");
	vq_teardown(&f);

	vq_setup(&f);
	set_desc(f.mem, DESC, 0, MEM - 16, 32, VRING_DESC_F_INDIRECT, 0);
	expect_refused(&f, "an indirect table outside guest memory");
	vq_teardown(&f);

	vq_setup(&f);
	set_desc(f.mem, TABLE, 0, 0x10000, 8, 0, 0);
	set_desc(f.mem, DESC, 0, TABLE, 16, VRING_DESC_F_INDIRECT |
		 VRING_DESC_F_NEXT, 1);
	expect_refused(&f, "indirect with NEXT");
	vq_teardown(&f);

	vq_setup_sized(&f, QSZ, false, false);
	set_desc(f.mem, TABLE, 0, 0x10000, 8, 0, 0);
	set_desc(f.mem, DESC, 0, TABLE, 16, VRING_DESC_F_INDIRECT, 0);
	expect_refused(&f, "indirect without the feature");
	vq_teardown(&f);
	log_set_level(saved);
}

static void test_too_many_segments(void)
{
	struct vq_fixture f;
	enum log_level saved = log_get_level();

	log_set_level(LL_ERR);
	vq_setup_sized(&f, 128, false, false);
	for (unsigned int i = 0; i < 100; i++)
		set_desc(f.mem, DESC, i, 0x10000, 8,
			 i < 99 ? VRING_DESC_F_NEXT : 0, (uint16_t)(i + 1));
	expect_refused(&f, "more segments than VQ_MAX_SEGS");
	vq_teardown(&f);
	log_set_level(saved);
}

static void test_avail_jump(void)
{
	struct vq_fixture f;
	uint16_t idx = QSZ + 1;
	enum log_level saved = log_get_level();

	log_set_level(LL_ERR);
	vq_setup(&f);
	set_desc(f.mem, DESC, 0, 0x10000, 8, 0, 0);
	memcpy(f.mem + AVAIL + 2, &idx, 2);
	CU_ASSERT_EQUAL(vq_pop(&f.q, &f.c), -EINVAL);
	idx = QSZ;				/* a full ring is fine */
	memcpy(f.mem + AVAIL + 2, &idx, 2);
	CU_ASSERT_EQUAL(vq_pop(&f.q, &f.c), 1);
	vq_teardown(&f);
	log_set_level(saved);
}

static void test_enable_checks(void)
{
	struct vq q = { 0 };
	struct vm *vm = devtest_vm(MEM, 1);

	CU_ASSERT_EQUAL(vq_enable(&q, vm, 0, DESC, AVAIL, USED, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(vq_enable(&q, vm, 6, DESC, AVAIL, USED, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(vq_enable(&q, vm, 8, DESC + 8, AVAIL, USED, 0, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(vq_enable(&q, vm, 8, DESC, AVAIL + 1, USED, 0, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(vq_enable(&q, vm, 8, DESC, AVAIL, USED + 2, 0, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(vq_enable(&q, vm, 8, MEM - 64, AVAIL, USED, 0, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(vq_enable(&q, vm, 8, DESC, AVAIL, MEM - 64, 0, 0),
			-EINVAL);
	CU_ASSERT_FALSE(q.enabled);
	CU_ASSERT_EQUAL(vq_enable(&q, vm, 8, DESC, AVAIL, USED, 0, 0), 0);
	devtest_vm_free(vm);
}

static void test_notify(void)
{
	struct vq_fixture f;
	uint16_t flags = VRING_AVAIL_F_NO_INTERRUPT, ev;

	vq_setup(&f);
	vq_push(&f.q, 0, 0);
	CU_ASSERT_TRUE(vq_should_notify(&f.q));
	memcpy(f.mem + AVAIL, &flags, 2);
	vq_push(&f.q, 1, 0);
	CU_ASSERT_FALSE(vq_should_notify(&f.q));
	vq_teardown(&f);

	vq_setup_sized(&f, QSZ, true, false);
	ev = 0;
	memcpy(f.mem + AVAIL + 4 + 2 * QSZ, &ev, 2);	/* used_event 0 */
	vq_push(&f.q, 0, 0);				/* used 0 -> 1 */
	CU_ASSERT_TRUE(vq_should_notify(&f.q));
	vq_push(&f.q, 1, 0);				/* 1 -> 2 */
	CU_ASSERT_FALSE(vq_should_notify(&f.q));
	ev = 2;
	memcpy(f.mem + AVAIL + 4 + 2 * QSZ, &ev, 2);
	vq_push(&f.q, 2, 0);				/* 2 -> 3 */
	CU_ASSERT_TRUE(vq_should_notify(&f.q));
	CU_ASSERT_FALSE(vq_should_notify(&f.q));	/* nothing new */
	/* the device asks for a kick at the next avail entry */
	set_desc(f.mem, DESC, 0, 0x10000, 8, 0, 0);
	offer(&f, 0);
	CU_ASSERT_EQUAL(vq_pop(&f.q, &f.c), 1);
	CU_ASSERT_EQUAL(rd16(f.mem + USED + 4 + 8 * QSZ), 1);
	vq_teardown(&f);
}

static void test_save_load(void)
{
	struct vq_fixture f;
	struct snap_writer w;
	struct snap_reader r;
	struct vq q2 = { 0 };
	enum log_level saved = log_get_level();

	vq_setup_sized(&f, QSZ, true, true);
	set_desc(f.mem, DESC, 0, 0x10000, 8, 0, 0);
	offer(&f, 0);
	vq_pop(&f.q, &f.c);
	vq_push(&f.q, 0, 8);
	vq_should_notify(&f.q);
	snap_writer_init(&w, 0);
	vq_save(&f.q, &w);
	snap_reader_init(&r, w.buf, w.len);
	CU_ASSERT_EQUAL(vq_load(&q2, f.vm, &r), 0);
	CU_ASSERT_EQUAL(q2.last_avail, 1);
	CU_ASSERT_EQUAL(q2.used_idx, 1);
	CU_ASSERT_PTR_EQUAL(q2.used, f.q.used);
	CU_ASSERT_EQUAL(snap_remaining(&r), 0);
	/* size 6, then rings outside memory: refused, q2 untouched */
	log_set_level(LL_ERR);
	w.buf[0] = 6;
	snap_reader_init(&r, w.buf, w.len);
	CU_ASSERT_EQUAL(vq_load(&q2, f.vm, &r), -EINVAL);
	w.buf[0] = QSZ;
	memset(w.buf + 5, 0xff, 8);			/* desc address */
	snap_reader_init(&r, w.buf, w.len);
	CU_ASSERT_EQUAL(vq_load(&q2, f.vm, &r), -EINVAL);
	snap_reader_init(&r, w.buf, w.len - 1);
	CU_ASSERT_EQUAL(vq_load(&q2, f.vm, &r), -EINVAL);
	log_set_level(saved);
	CU_ASSERT_EQUAL(q2.desc_gpa, DESC);
	snap_writer_free(&w);
	vq_teardown(&f);
}

/* The pages set in bm (one 1 MiB region: 256 pages), as "48 49 ". */
static void dirty_list(const uint64_t *bm, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned int p = 0; p < MEM / 4096 && n + 8 < len; p++)
		if (bm[p / 64] & (1ULL << (p % 64)))
			n += (size_t)snprintf(out + n, len - n, "%u ", p);
}

/* Live migration's log of hv's own writes: while it is on, a device's
 * writes (avail_event in vq_pop, the used element and index in
 * vq_push, the buffer vq_chain_write fills) mark exactly their pages
 * for the next round; a take clears them; pages the round already has
 * from KVM's log are not counted twice; with the log off nothing is
 * marked and the writes still happen. */
static void test_dirty_log(void)
{
	struct vq_fixture f;
	uint64_t bm[MEM / 4096 / 64];
	char got[128];

	vq_setup_sized(&f, QSZ, true, false);
	/* a chain whose writable buffer straddles pages 0x30 and 0x31 */
	set_desc(f.mem, DESC, 0, 0x30ff0, 32, VRING_DESC_F_WRITE, 0);
	offer(&f, 0);
	CU_ASSERT_EQUAL_FATAL(vm_dirty_start(f.vm), 0);
	CU_ASSERT_EQUAL(vm_dirty_start(f.vm), -EALREADY);
	CU_ASSERT_EQUAL_FATAL(vq_pop(&f.q, &f.c), 1);
	CU_ASSERT_EQUAL(vq_chain_write(&f.c, 0,
				       "0123456789abcdef0123456789abcdef", 32),
			32);
	CU_ASSERT_EQUAL(vq_push(&f.q, f.c.head, 32), 0);
	memset(bm, 0, sizeof(bm));
	/* the used ring (page 3) and the buffer's two pages; nothing else */
	CU_ASSERT_EQUAL(vm_dirty_take(f.vm, 0, bm), 3);
	dirty_list(bm, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "3 48 49 ");
	/* taken: the next round has nothing from hv */
	memset(bm, 0, sizeof(bm));
	CU_ASSERT_EQUAL(vm_dirty_take(f.vm, 0, bm), 0);
	dirty_list(bm, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "");
	/* a page KVM's log already gave the round is not counted again */
	offer(&f, 0);
	CU_ASSERT_EQUAL_FATAL(vq_pop(&f.q, &f.c), 1);
	CU_ASSERT_EQUAL(vq_push(&f.q, f.c.head, 0), 0);
	bm[0] = 1ULL << 3;
	CU_ASSERT_EQUAL(vm_dirty_take(f.vm, 0, bm), 0);
	CU_ASSERT_EQUAL(bm[0], 1ULL << 3);
	/* by host pointer, as the disk marks its reads; outside RAM and
	 * past its end ignored */
	vm_dirty_mark_hva(f.vm, f.mem + 0xff000, 4096);
	vm_dirty_mark_hva(f.vm, got, sizeof(got));
	vm_dirty_mark(f.vm, MEM + 0x1000, 4096);
	memset(bm, 0, sizeof(bm));
	CU_ASSERT_EQUAL(vm_dirty_take(f.vm, 0, bm), 1);
	dirty_list(bm, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "255 ");
	vm_dirty_stop(f.vm);
	CU_ASSERT_PTR_NULL(f.vm->dirty);
	/* off: the writes happen, nothing is marked */
	offer(&f, 0);
	CU_ASSERT_EQUAL_FATAL(vq_pop(&f.q, &f.c), 1);
	CU_ASSERT_EQUAL(vq_chain_write(&f.c, 0, "x", 1), 1);
	CU_ASSERT_EQUAL(vq_push(&f.q, f.c.head, 1), 0);
	CU_ASSERT_EQUAL(f.mem[0x30ff0], 'x');
	memset(bm, 0, sizeof(bm));
	CU_ASSERT_EQUAL(vm_dirty_take(f.vm, 0, bm), 0);
	vq_teardown(&f);
}

static CU_TestInfo tests[] = {
	{ "valid_chain", test_valid_chain },
	{ "valid_indirect", test_valid_indirect },
	{ "malicious", test_malicious },
	{ "malicious_indirect", test_malicious_indirect },
	{ "too_many_segments", test_too_many_segments },
	{ "avail_jump", test_avail_jump },
	{ "enable_checks", test_enable_checks },
	{ "notify", test_notify },
	{ "save_load", test_save_load },
	{ "dirty_log", test_dirty_log },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(virtqueue, NULL, NULL, tests);
