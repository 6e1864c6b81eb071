/*
 * Unit tests for vswitch/l2.c: registering VNIC addresses, learning and
 * aging uplink addresses, duplicate MACs, VLAN separation and the bound.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "../../vswitch/l2.h"

static struct mac_addr mk(uint8_t a, uint8_t b)
{
	struct mac_addr m = { { 0x00, 0x16, 0x3e, 0x00, a, b } };

	return m;
}

static void test_register_lookup(void)
{
	struct l2_table t;
	struct mac_addr m1 = mk(0, 1), m2 = mk(0, 2);
	uint32_t port = 99;

	CU_ASSERT_EQUAL_FATAL(l2_init(&t, 64, 1000), 0);
	CU_ASSERT_EQUAL(l2_register(&t, 0, &m1, 1), 0);
	CU_ASSERT_EQUAL(l2_register(&t, 5, &m2, 2), 0);
	CU_ASSERT_EQUAL(l2_lookup(&t, 0, &m1, 0, &port), L2_VNIC);
	CU_ASSERT_EQUAL(port, 1);
	CU_ASSERT_EQUAL(l2_lookup(&t, 5, &m2, 0, &port), L2_VNIC);
	CU_ASSERT_EQUAL(port, 2);
	/* the same MAC in another VLAN is another key */
	CU_ASSERT_EQUAL(l2_lookup(&t, 0, &m2, 0, &port), -ENOENT);
	CU_ASSERT_EQUAL(l2_lookup(&t, 6, &m2, 0, &port), -ENOENT);
	CU_ASSERT_EQUAL(l2_remove(&t, 0, &m1), 0);
	CU_ASSERT_EQUAL(l2_lookup(&t, 0, &m1, 0, &port), -ENOENT);
	CU_ASSERT_EQUAL(l2_remove(&t, 0, &m1), -ENOENT);
	l2_fini(&t);
}

static void test_duplicate(void)
{
	struct l2_table t;
	struct mac_addr m = mk(1, 1), bcast, zero;
	uint32_t port;

	memset(&bcast, 0xff, sizeof(bcast));
	memset(&zero, 0, sizeof(zero));
	CU_ASSERT_EQUAL_FATAL(l2_init(&t, 16, 1000), 0);
	CU_ASSERT_EQUAL(l2_register(&t, 0, &m, 1), 0);
	CU_ASSERT_EQUAL(l2_register(&t, 0, &m, 2), -EADDRINUSE);
	CU_ASSERT_EQUAL(l2_lookup(&t, 0, &m, 0, &port), L2_VNIC);
	CU_ASSERT_EQUAL(port, 1);
	/* the uplink cannot steal a registered address */
	CU_ASSERT_EQUAL(l2_learn(&t, 0, &m, 7, 10), -EADDRINUSE);
	CU_ASSERT_EQUAL(l2_lookup(&t, 0, &m, 10, &port), L2_VNIC);
	CU_ASSERT_EQUAL(port, 1);
	CU_ASSERT_EQUAL(l2_register(&t, 0, &bcast, 1), -EINVAL);
	CU_ASSERT_EQUAL(l2_register(&t, 0, &zero, 1), -EINVAL);
	CU_ASSERT_EQUAL(l2_learn(&t, 0, &bcast, 7, 10), -EINVAL);
	l2_fini(&t);
}

static void test_learn_age(void)
{
	struct l2_table t;
	struct mac_addr a = mk(2, 1), b = mk(2, 2);
	uint32_t port;

	CU_ASSERT_EQUAL_FATAL(l2_init(&t, 16, 300000), 0);
	CU_ASSERT_EQUAL(l2_learn(&t, 5, &a, 7, 1000), 0);
	CU_ASSERT_EQUAL(l2_learn(&t, 5, &b, 7, 1000), 0);
	CU_ASSERT_EQUAL(l2_lookup(&t, 5, &a, 2000, &port), L2_LEARNED);
	CU_ASSERT_EQUAL(port, 7);
	/* refreshed by traffic, moved to another port */
	CU_ASSERT_EQUAL(l2_learn(&t, 5, &a, 8, 200000), 0);
	CU_ASSERT_EQUAL(l2_lookup(&t, 5, &a, 200000, &port), L2_LEARNED);
	CU_ASSERT_EQUAL(port, 8);
	/* b is past its age, a is not */
	CU_ASSERT_EQUAL(l2_lookup(&t, 5, &b, 301001, &port), -ENOENT);
	CU_ASSERT_EQUAL(l2_lookup(&t, 5, &a, 301001, &port), L2_LEARNED);
	CU_ASSERT_EQUAL(l2_age(&t, 301001), 1);
	CU_ASSERT_EQUAL(t.used, 1);
	CU_ASSERT_EQUAL(l2_age(&t, 600000), 1);
	CU_ASSERT_EQUAL(t.used, 0);
	/* a registration replaces a learned entry */
	CU_ASSERT_EQUAL(l2_learn(&t, 0, &a, 7, 1), 0);
	CU_ASSERT_EQUAL(l2_register(&t, 0, &a, 3), 0);
	CU_ASSERT_EQUAL(l2_lookup(&t, 0, &a, 2, &port), L2_VNIC);
	CU_ASSERT_EQUAL(port, 3);
	l2_fini(&t);
}

static void test_bound_and_flush(void)
{
	struct l2_table t;
	uint32_t port;
	unsigned i, found = 0;

	CU_ASSERT_EQUAL_FATAL(l2_init(&t, 100, 1000), 0);
	for (i = 0; i < 100; i++) {
		struct mac_addr m = mk(3, (uint8_t)i);

		CU_ASSERT_EQUAL(l2_learn(&t, 1, &m, i % 2, 0), 0);
	}
	struct mac_addr extra = mk(4, 0);
	CU_ASSERT_EQUAL(l2_learn(&t, 1, &extra, 0, 0), -ENOSPC);
	CU_ASSERT_EQUAL(l2_register(&t, 1, &extra, 0), -ENOSPC);
	/* full, nothing old enough yet (age 1000 ms): still no room, up to
	 * the exact ms the first entries expire */
	CU_ASSERT_EQUAL(l2_learn(&t, 1, &extra, 0, 500), -ENOSPC);
	CU_ASSERT_EQUAL(l2_learn(&t, 1, &extra, 0, 1000), -ENOSPC);
	CU_ASSERT_EQUAL(t.used, 100);
	/* full but aged: learning makes room */
	CU_ASSERT_EQUAL(l2_learn(&t, 1, &extra, 0, 1001), 0);
	CU_ASSERT_EQUAL(t.used, 1);
	CU_ASSERT_EQUAL(l2_remove(&t, 1, &extra), 0);
	for (i = 0; i < 100; i++) {
		struct mac_addr m = mk(3, (uint8_t)i);

		CU_ASSERT_EQUAL(l2_learn(&t, 1, &m, i % 2, 1001), 0);
	}
	CU_ASSERT_EQUAL(l2_learn(&t, 1, &extra, 0, 5000), 0);
	CU_ASSERT_EQUAL(t.used, 1);
	CU_ASSERT_EQUAL(l2_remove(&t, 1, &extra), 0);
	for (i = 0; i < 100; i++) {
		struct mac_addr m = mk(3, (uint8_t)i);

		CU_ASSERT_EQUAL(l2_learn(&t, 1, &m, i % 2, 5000), 0);
	}
	CU_ASSERT_EQUAL(l2_flush_port(&t, 1), 50);
	for (i = 0; i < 100; i++) {
		struct mac_addr m = mk(3, (uint8_t)i);

		if (l2_lookup(&t, 1, &m, 5000, &port) == L2_LEARNED) {
			CU_ASSERT_EQUAL(port, 0);
			found++;
		}
	}
	CU_ASSERT_EQUAL(found, 50);
	CU_ASSERT_EQUAL(l2_init(&t, 0, 1), -EINVAL);
	l2_fini(&t);
}

static CU_TestInfo tests[] = {
	{ "register and lookup", test_register_lookup },
	{ "duplicate MAC", test_duplicate },
	{ "learn and age", test_learn_age },
	{ "bound and flush", test_bound_and_flush },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(l2, NULL, NULL, tests);
