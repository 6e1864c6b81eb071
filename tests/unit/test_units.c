/*
 * Unit tests for lib/units.c: dladm bandwidth syntax (maxbw) and its Mb/s
 * output, sizes with binary suffixes.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "xvm/units.h"

static uint64_t bw(const char *s, int want_ret)
{
	uint64_t v = 12345;

	CU_ASSERT_EQUAL(units_parse_bw(s, &v), want_ret);
	return v;
}

static void test_bw_parse(void)
{
	CU_ASSERT_EQUAL(bw("100", 0), 100000000ull);	/* none means M */
	CU_ASSERT_EQUAL(bw("100M", 0), 100000000ull);
	CU_ASSERT_EQUAL(bw("100m", 0), 100000000ull);
	CU_ASSERT_EQUAL(bw("1200K", 0), 1200000ull);
	CU_ASSERT_EQUAL(bw("1200k", 0), 1200000ull);
	CU_ASSERT_EQUAL(bw("10G", 0), 10000000000ull);
	CU_ASSERT_EQUAL(bw("1g", 0), 1000000000ull);
	CU_ASSERT_EQUAL(bw("0", 0), 0);
	CU_ASSERT_EQUAL(bw("18446744073G", 0), 18446744073000000000ull);
}

static void test_bw_reject(void)
{
	static const char *const bad[] = {
		"", "M", "1.2M", "-5", "+5", " 5", "5 ", "5MB", "5T", "5b",
		"0x10", "abc", "5MM", "10%x",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t v = 7;

		CU_ASSERT_EQUAL(units_parse_bw(bad[i], &v), -EINVAL);
		CU_ASSERT_EQUAL(v, 7);	/* untouched on error */
	}
	CU_ASSERT_EQUAL(units_parse_bw(NULL, &(uint64_t){0}), -EINVAL);
	bw("10%", -ENOTSUP);
	bw("18446744074G", -ERANGE);			/* product overflows */
	bw("18446744073709551616", -ERANGE);		/* digits overflow */
	bw("99999999999999999999999K", -ERANGE);
}

static const char *bwstr(uint64_t bps)
{
	static char buf[UNITS_STRLEN];

	CU_ASSERT_EQUAL(units_format_bw(bps, buf, sizeof(buf)), 0);
	return buf;
}

static void test_bw_format(void)
{
	/* The table in illumos dladm_bw2str()'s comment. */
	CU_ASSERT_STRING_EQUAL(bwstr(0), "0");
	CU_ASSERT_STRING_EQUAL(bwstr(100), "0");
	CU_ASSERT_STRING_EQUAL(bwstr(2000), "0.002");
	CU_ASSERT_STRING_EQUAL(bwstr(431000), "0.431");
	CU_ASSERT_STRING_EQUAL(bwstr(1000000), "1");
	CU_ASSERT_STRING_EQUAL(bwstr(1030000), "1.030");
	CU_ASSERT_STRING_EQUAL(bwstr(100000000), "100");
	CU_ASSERT_STRING_EQUAL(bwstr(1200000), "1.200");
	CU_ASSERT_STRING_EQUAL(bwstr(10000000000ull), "10000");
	CU_ASSERT_STRING_EQUAL(bwstr(UINT64_MAX), "18446744073709.551");
	{
		char small[4];

		CU_ASSERT_EQUAL(units_format_bw(1030000, small, sizeof(small)),
				-ENOSPC);
	}
}

static uint64_t size(const char *s, int want_ret)
{
	uint64_t v = 12345;

	CU_ASSERT_EQUAL(units_parse_size(s, &v), want_ret);
	return v;
}

static void test_size_parse(void)
{
	CU_ASSERT_EQUAL(size("512", 0), 512);
	CU_ASSERT_EQUAL(size("0", 0), 0);
	CU_ASSERT_EQUAL(size("4K", 0), 4096);
	CU_ASSERT_EQUAL(size("4k", 0), 4096);
	CU_ASSERT_EQUAL(size("256M", 0), 256ull << 20);
	CU_ASSERT_EQUAL(size("10G", 0), 10ull << 30);
	CU_ASSERT_EQUAL(size("2t", 0), 2ull << 40);
	CU_ASSERT_EQUAL(size("16777215T", 0), 16777215ull << 40);
	size("16777216T", -ERANGE);
	size("99999999999999999999", -ERANGE);
	size("", -EINVAL);
	size("G", -EINVAL);
	size("1.5G", -EINVAL);
	size("-1G", -EINVAL);
	size("1GB", -EINVAL);
	size("1P", -EINVAL);
	size("1 G", -EINVAL);
	size("1 ", -EINVAL);
	size("1`", -EINVAL);
	size("1@", -EINVAL);
}

static const char *sizestr(uint64_t b)
{
	static char buf[UNITS_STRLEN];

	CU_ASSERT_EQUAL(units_format_size(b, buf, sizeof(buf)), 0);
	return buf;
}

static void test_size_format(void)
{
	CU_ASSERT_STRING_EQUAL(sizestr(0), "0");
	CU_ASSERT_STRING_EQUAL(sizestr(4097), "4097");
	CU_ASSERT_STRING_EQUAL(sizestr(4096), "4K");
	CU_ASSERT_STRING_EQUAL(sizestr(1536ull << 20), "1536M");
	CU_ASSERT_STRING_EQUAL(sizestr(1ull << 30), "1G");
	CU_ASSERT_STRING_EQUAL(sizestr(3ull << 40), "3T");
	CU_ASSERT_STRING_EQUAL(sizestr(1ull << 50), "1024T");
	CU_ASSERT_STRING_EQUAL(sizestr(UINT64_MAX), "18446744073709551615");
}

static CU_TestInfo tests[] = {
	{ "bw_parse", test_bw_parse },
	{ "bw_reject", test_bw_reject },
	{ "bw_format", test_bw_format },
	{ "size_parse", test_size_parse },
	{ "size_format", test_size_format },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(units, NULL, NULL, tests);
