/* snapshot: the writer/reader under every device's save/load. */
#include "devtest.h"

static void test_fields(void)
{
	struct snap_writer w;
	struct snap_reader r;
	uint8_t b8, raw[3];
	uint16_t b16;
	uint32_t b32, ver;
	uint64_t b64;
	size_t m1, m2, o1, o2;
	bool flag;

	snap_writer_init(&w, 0);
	snap_section_begin(&w, "outer", 3, &m1);
	snap_put_u8(&w, 0xab);
	snap_put_u16(&w, 0xbeef);
	snap_section_begin(&w, "inner", 1, &m2);
	snap_put_u32(&w, 0xdeadbeef);
	snap_put_u64(&w, 0x0123456789abcdefULL);
	snap_section_end(&w, m2);
	snap_put_u8(&w, 1);
	snap_put_bytes(&w, "xyz", 3);
	CU_ASSERT_EQUAL(snap_section_end(&w, m1), 0);
	/* little-endian on the wire */
	CU_ASSERT_EQUAL(w.buf[0] | w.buf[1] << 8, 0x5853);

	snap_reader_init(&r, w.buf, w.len);
	CU_ASSERT_EQUAL(snap_section_open(&r, "outer", 3, &ver, &o1), 0);
	CU_ASSERT_EQUAL(ver, 3);
	CU_ASSERT_EQUAL(snap_get_u8(&r, &b8), 0);
	CU_ASSERT_EQUAL(b8, 0xab);
	snap_get_u16(&r, &b16);
	CU_ASSERT_EQUAL(b16, 0xbeef);
	CU_ASSERT_EQUAL(snap_section_open(&r, "inner", 1, &ver, &o2), 0);
	snap_get_u32(&r, &b32);
	snap_get_u64(&r, &b64);
	CU_ASSERT_EQUAL(b32, 0xdeadbeef);
	CU_ASSERT_EQUAL(b64, 0x0123456789abcdefULL);
	/* The section confines reads to its payload. */
	CU_ASSERT_EQUAL(snap_remaining(&r), 0);
	CU_ASSERT_EQUAL(snap_section_close(&r, o2), 0);
	CU_ASSERT_EQUAL(snap_get_bool(&r, &flag), 0);
	CU_ASSERT(flag);
	snap_get_bytes(&r, raw, 3);
	CU_ASSERT(memcmp(raw, "xyz", 3) == 0);
	CU_ASSERT_EQUAL(snap_section_close(&r, o1), 0);
	CU_ASSERT_EQUAL(snap_remaining(&r), 0);
	CU_ASSERT_EQUAL(snap_get_u8(&r, &b8), -EINVAL);	/* past the end */
	CU_ASSERT_EQUAL(b8, 0);
	snap_writer_free(&w);
}

static void test_refusals(void)
{
	struct snap_writer w;
	struct snap_reader r;
	uint32_t ver, v32;
	uint8_t v8;
	size_t m, o;
	enum log_level saved = log_get_level();

	log_set_level(LL_ERR);
	snap_writer_init(&w, 0);
	snap_section_begin(&w, "dev", 2, &m);
	snap_put_u32(&w, 7);
	snap_put_u8(&w, 9);
	snap_section_end(&w, m);

	snap_reader_init(&r, w.buf, w.len);		/* wrong name */
	CU_ASSERT_EQUAL(snap_section_open(&r, "other", 2, &ver, &o), -EINVAL);
	snap_reader_init(&r, w.buf, w.len);		/* newer version */
	CU_ASSERT_EQUAL(snap_section_open(&r, "dev", 1, &ver, &o), -EINVAL);
	snap_reader_init(&r, w.buf, w.len);		/* bytes left over */
	snap_section_open(&r, "dev", 2, &ver, &o);
	snap_get_u32(&r, &v32);
	CU_ASSERT_EQUAL(snap_section_close(&r, o), -EINVAL);
	snap_reader_init(&r, w.buf, w.len);		/* read too far */
	snap_section_open(&r, "dev", 2, &ver, &o);
	snap_get_u32(&r, &v32);
	snap_get_u8(&r, &v8);
	CU_ASSERT_EQUAL(snap_get_u8(&r, &v8), -EINVAL);
	CU_ASSERT_EQUAL(snap_get_u32(&r, &v32), -EINVAL);	/* sticky */
	snap_reader_init(&r, NULL, 100);		/* no buffer */
	CU_ASSERT_EQUAL(snap_get_u8(&r, &v8), -EINVAL);
	snap_writer_free(&w);

	snap_writer_init(&w, 8);			/* size cap */
	snap_put_u64(&w, 1);
	CU_ASSERT_EQUAL(snap_writer_error(&w), 0);
	snap_put_u8(&w, 1);
	CU_ASSERT_EQUAL(snap_writer_error(&w), -E2BIG);
	snap_writer_free(&w);
	log_set_level(saved);
}

static void test_all_devices(void)
{
	struct vm *a = devtest_vm(2u << 20, 1), *b = devtest_vm(2u << 20, 1);
	struct snap_writer w1, w2;
	struct snap_reader r;
	enum log_level saved = log_get_level();

	CU_ASSERT_EQUAL_FATAL(devices_create(a), 0);
	CU_ASSERT_EQUAL_FATAL(devices_create(b), 0);
	CU_ASSERT(a->nr_devs >= 4);
	devices_power_button(a);
	snap_writer_init(&w1, 0);
	snap_writer_init(&w2, 0);
	CU_ASSERT_EQUAL(snap_save_devices(a, &w1), 0);
	snap_reader_init(&r, w1.buf, w1.len);
	CU_ASSERT_EQUAL(snap_load_devices(b, &r), 0);
	CU_ASSERT_EQUAL(snap_remaining(&r), 0);
	CU_ASSERT_EQUAL(pio_in(b, ACPI_PM_PORT, 2) & 0x100, 0x100);
	CU_ASSERT_EQUAL(snap_save_devices(b, &w2), 0);
	CU_ASSERT_EQUAL(w1.len, w2.len);
	log_set_level(LL_ERR);
	snap_reader_init(&r, w1.buf, w1.len / 2);
	CU_ASSERT_EQUAL(snap_load_devices(b, &r), -EINVAL);
	log_set_level(saved);
	snap_writer_free(&w1);
	snap_writer_free(&w2);
	devices_destroy(a);
	devices_destroy(b);
	CU_ASSERT_EQUAL(a->nr_devs, 0);
	devtest_vm_free(a);
	devtest_vm_free(b);
}

static CU_TestInfo tests[] = {
	{ "fields", test_fields },
	{ "refusals", test_refusals },
	{ "all_devices", test_all_devices },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(snapshot, NULL, NULL, tests);
