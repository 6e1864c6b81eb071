/*
 * xvmd's address allow lists (xvmd/netallow.c): --tcp-allow and
 * --relocation-hosts-allow patterns, what they let in and what they
 * refuse, bad patterns named.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "unit.h"
#include "xvmd/netallow.h"

static bool match4(const struct netallow *a, const char *ip)
{
	struct sockaddr_in s = { .sin_family = AF_INET };

	inet_pton(AF_INET, ip, &s.sin_addr);
	return netallow_match(a, (struct sockaddr *)&s);
}

static bool match6(const struct netallow *a, const char *ip)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6 };

	inet_pton(AF_INET6, ip, &s.sin6_addr);
	return netallow_match(a, (struct sockaddr *)&s);
}

static void test_loopback(void)
{
	struct netallow a;
	char err[128];

	CU_ASSERT_EQUAL(netallow_parse(&a, "127.0.0.0/8,::1", err,
				       sizeof(err)), 0);
	CU_ASSERT_TRUE(match4(&a, "127.0.0.1"));
	CU_ASSERT_TRUE(match4(&a, "127.255.1.2"));
	CU_ASSERT_FALSE(match4(&a, "128.0.0.1"));
	CU_ASSERT_FALSE(match4(&a, "10.0.0.1"));
	CU_ASSERT_TRUE(match6(&a, "::1"));
	CU_ASSERT_FALSE(match6(&a, "::2"));
	/* an IPv4 peer on a dual-stack socket */
	CU_ASSERT_TRUE(match6(&a, "::ffff:127.0.0.1"));
	CU_ASSERT_FALSE(match6(&a, "::ffff:10.0.0.1"));
}

static void test_prefixes(void)
{
	struct netallow a;
	char err[128];

	CU_ASSERT_EQUAL(netallow_parse(&a, "192.0.2.128/25,10.1.2.3,"
				       "fd00::/8", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(a.n, 3);
	CU_ASSERT_TRUE(match4(&a, "192.0.2.128"));
	CU_ASSERT_TRUE(match4(&a, "192.0.2.255"));
	CU_ASSERT_FALSE(match4(&a, "192.0.2.127"));
	CU_ASSERT_TRUE(match4(&a, "10.1.2.3"));
	CU_ASSERT_FALSE(match4(&a, "10.1.2.4"));
	CU_ASSERT_TRUE(match6(&a, "fd12::5"));
	CU_ASSERT_FALSE(match6(&a, "fe80::1"));
	CU_ASSERT_EQUAL(netallow_parse(&a, "0.0.0.0/0", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(match4(&a, "203.0.113.9"));
	CU_ASSERT_FALSE(match6(&a, "2001:db8::1"));	/* IPv4 only */
	CU_ASSERT_EQUAL(netallow_parse(&a, "*", err, sizeof(err)), 0);
	CU_ASSERT_TRUE(match6(&a, "2001:db8::1"));
}

static void test_bad_patterns(void)
{
	static const char *const bad[] = {
		"", ",", "host.example", "1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1",
		"::1/129", "1.2.3", "10.0.0.0/8,nonsense", "1.2.3.4/8x",
	};
	struct netallow a;
	char err[128];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		CU_ASSERT_EQUAL(netallow_parse(&a, bad[i], err, sizeof(err)),
				-EINVAL);
		CU_ASSERT_TRUE(err[0] != 0);
	}
	netallow_parse(&a, "10.0.0.0/8,nonsense", err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(err, "'nonsense' is not an address, "
			       "ADDRESS/PREFIX or *");
}

static void test_addr_str(void)
{
	struct sockaddr_in6 s = { .sin6_family = AF_INET6 };
	char buf[64];

	inet_pton(AF_INET6, "::ffff:192.0.2.7", &s.sin6_addr);
	netallow_addr_str((struct sockaddr *)&s, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "192.0.2.7");
}

static CU_TestInfo tests[] = {
	{ "loopback default", test_loopback },
	{ "prefixes and any", test_prefixes },
	{ "bad patterns named", test_bad_patterns },
	{ "addresses as text", test_addr_str },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(netallow, NULL, NULL, tests);
