/*
 * Unit tests for lib/mac.c: the dladm MAC syntax, both output styles,
 * random VNIC addresses and the address-class predicates.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "xvm/mac.h"

static void test_parse(void)
{
	struct mac_addr m;
	const uint8_t want[MAC_LEN] = { 0x00, 0x16, 0x3e, 0x01, 0x02, 0x03 };

	CU_ASSERT_EQUAL(mac_parse("0:16:3e:1:2:3", &m), 0);
	CU_ASSERT_EQUAL(memcmp(m.b, want, MAC_LEN), 0);
	memset(&m, 0, sizeof(m));
	CU_ASSERT_EQUAL(mac_parse("00:16:3E:01:02:03", &m), 0);
	CU_ASSERT_EQUAL(memcmp(m.b, want, MAC_LEN), 0);
	CU_ASSERT_EQUAL(mac_parse("ff:FF:fF:ff:ff:ff", &m), 0);
	CU_ASSERT(mac_is_broadcast(&m));
}

static void test_parse_reject(void)
{
	static const char *const bad[] = {
		"", ":", "0:16:3e:1:2", "0:16:3e:1:2:3:4", "0:16:3e:1:2:3:",
		":0:16:3e:1:2:3", "0:16:3e:1:2:003", "000:16:3e:1:2:3",
		"0:16::1:2:3", "0-16-3e-1-2-3", "0:16:3e:1:2:g", "0:16:3e:1:2:3 ",
		" 0:16:3e:1:2:3", "0x0:16:3e:1:2:3", "0:16:3e:1:2:+3",
	};
	struct mac_addr m, orig;

	memset(&orig, 0xaa, sizeof(orig));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		m = orig;
		CU_ASSERT_EQUAL(mac_parse(bad[i], &m), -EINVAL);
		CU_ASSERT(mac_equal(&m, &orig));	/* untouched */
	}
	CU_ASSERT_EQUAL(mac_parse(NULL, &m), -EINVAL);
}

static void test_format(void)
{
	struct mac_addr m = { { 0x00, 0x16, 0x3e, 0x64, 0x99, 0x4d } };
	struct mac_addr z = { { 0x0a, 0x00, 0x00, 0x00, 0x00, 0xff } };
	char buf[MAC_STRLEN];

	CU_ASSERT_STRING_EQUAL(mac_format(&m, buf), "0:16:3e:64:99:4d");
	CU_ASSERT_STRING_EQUAL(mac_format_canonical(&m, buf),
			       "00:16:3e:64:99:4d");
	CU_ASSERT_STRING_EQUAL(mac_format(&z, buf), "a:0:0:0:0:ff");
	CU_ASSERT_STRING_EQUAL(mac_format_canonical(&z, buf),
			       "0a:00:00:00:00:ff");
}

static void test_prefix(void)
{
	uint8_t p[MAC_LEN - 1];
	size_t len = 0;

	CU_ASSERT_EQUAL(mac_parse_prefix("0:16:3e", p, &len), 0);
	CU_ASSERT_EQUAL(len, 3);
	CU_ASSERT(p[0] == 0 && p[1] == 0x16 && p[2] == 0x3e);
	CU_ASSERT_EQUAL(mac_parse_prefix("2", p, &len), 0);
	CU_ASSERT_EQUAL(len, 1);
	CU_ASSERT_EQUAL(mac_parse_prefix("0:1:2:3:4:5", p, &len), -EINVAL);
	CU_ASSERT_EQUAL(mac_parse_prefix("", p, &len), -EINVAL);
	CU_ASSERT_EQUAL(mac_parse_prefix("0:16:", p, &len), -EINVAL);
}

static void test_random(void)
{
	struct mac_addr a, b;
	const uint8_t mine[] = { 0x02, 0x08, 0x20 };
	const uint8_t mcast[] = { 0x01, 0x00, 0x5e };
	int same = 0;

	for (int i = 0; i < 64; i++) {
		CU_ASSERT_EQUAL_FATAL(mac_random(&a, NULL, 0), 0);
		CU_ASSERT(a.b[0] == 0x00 && a.b[1] == 0x16 && a.b[2] == 0x3e);
		CU_ASSERT(mac_is_unicast(&a));
		CU_ASSERT_EQUAL_FATAL(mac_random(&b, NULL, 0), 0);
		same += mac_equal(&a, &b);
	}
	CU_ASSERT(same < 2);	/* 24 random bits: collisions are rare */
	for (int i = 0; i < 64; i++) {
		CU_ASSERT_EQUAL_FATAL(mac_random(&a, mine, 0), 0);
		CU_ASSERT(mac_is_unicast(&a));
		CU_ASSERT(mac_is_local(&a));
		CU_ASSERT_EQUAL_FATAL(mac_random(&a, mine, 3), 0);
		CU_ASSERT_EQUAL(memcmp(a.b, mine, 3), 0);
	}
	CU_ASSERT_EQUAL(mac_random(&a, mcast, 3), -EINVAL);
	CU_ASSERT_EQUAL(mac_random(&a, mine, 6), -EINVAL);
}

static void test_predicates(void)
{
	struct mac_addr zero = { { 0 } };
	struct mac_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct mac_addr mcast = { { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
	struct mac_addr v6mc = { { 0x33, 0x33, 0x00, 0x00, 0x00, 0x01 } };
	struct mac_addr uni = { { 0x00, 0x16, 0x3e, 0x64, 0x99, 0x4d } };
	struct mac_addr local = { { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 } };

	CU_ASSERT(mac_is_zero(&zero) && !mac_is_unicast(&zero));
	CU_ASSERT(!mac_is_multicast(&zero) && !mac_is_broadcast(&zero));
	CU_ASSERT(mac_is_broadcast(&bcast) && mac_is_multicast(&bcast));
	CU_ASSERT(mac_is_multicast(&mcast) && !mac_is_broadcast(&mcast));
	CU_ASSERT(mac_is_multicast(&v6mc) && !mac_is_unicast(&v6mc));
	CU_ASSERT(mac_is_unicast(&uni) && !mac_is_local(&uni));
	CU_ASSERT(mac_is_unicast(&local) && mac_is_local(&local));
	CU_ASSERT(!mac_is_zero(&uni) && !mac_is_broadcast(&uni));
	CU_ASSERT(mac_equal(&uni, &uni) && !mac_equal(&uni, &local));
}

static CU_TestInfo tests[] = {
	{ "parse", test_parse },
	{ "parse_reject", test_parse_reject },
	{ "format", test_format },
	{ "prefix", test_prefix },
	{ "random", test_random },
	{ "predicates", test_predicates },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(mac, NULL, NULL, tests);
