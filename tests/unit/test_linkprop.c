/*
 * Unit tests for lib/linkprop.c: dladm link-name rules, VLAN ids, each VNIC
 * link property's syntax and messages, "-p" lists, and the strings
 * show-linkprop prints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "xvm/linkprop.h"

static void test_linkname(void)
{
	static const char *const good[] = {
		"vnic0", "e1000g10", "phys0", "a1", "xvm1_0", "stub.1", "Vn9",
		"vnic10", "abcdefghijklmnopqrstuvwxyzabc12",	/* 31 chars */
	};
	static const char *const bad[] = {
		"", "vnic", "vnic01", "0vnic", "a-1", "_a1", ".a1", "vnic 0",
		"vnic0/", "a00", "abcdefghijklmnopqrstuvwxyzabc123", "é1",
	};

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		CU_ASSERT_TRUE(linkname_valid(good[i]));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CU_ASSERT_FALSE(linkname_valid(bad[i]));
	CU_ASSERT_FALSE(linkname_valid(NULL));
}

static void test_vid(void)
{
	uint16_t vid = 77;

	CU_ASSERT_EQUAL(vid_parse("1", &vid), 0);
	CU_ASSERT_EQUAL(vid, 1);
	CU_ASSERT_EQUAL(vid_parse("4094", &vid), 0);
	CU_ASSERT_EQUAL(vid, 4094);
	vid = 77;
	CU_ASSERT_TRUE(vid_parse("0", &vid) < 0);
	CU_ASSERT_TRUE(vid_parse("4095", &vid) < 0);
	CU_ASSERT_TRUE(vid_parse("5000", &vid) < 0);
	CU_ASSERT_TRUE(vid_parse("99999999999999999999", &vid) < 0);
	CU_ASSERT_TRUE(vid_parse("", &vid) < 0);
	CU_ASSERT_TRUE(vid_parse("-5", &vid) < 0);
	CU_ASSERT_TRUE(vid_parse("05", &vid) < 0);
	CU_ASSERT_TRUE(vid_parse("5x", &vid) < 0);
	CU_ASSERT_TRUE(vid_parse("0x5", &vid) < 0);
	CU_ASSERT_TRUE(vid_parse(NULL, &vid) < 0);
	CU_ASSERT_EQUAL(vid, 77);
}

/* Set name=value on defaults: the return value, and the message in err. */
static int set1(struct link_props *p, const char *name, const char *value,
		char *err)
{
	link_props_init(p);
	err[0] = '\0';
	return linkprop_set(p, name, value, err);
}

static const char *fmt(const struct link_props *p, enum linkprop_id id)
{
	static char buf[512];

	CU_ASSERT_EQUAL(linkprop_format(p, id, buf, sizeof(buf)), 0);
	return buf;
}

static void test_defaults(void)
{
	struct link_props p;

	link_props_init(&p);
	CU_ASSERT_EQUAL(p.set, 0);
	CU_ASSERT_EQUAL(p.maxbw, 0);
	CU_ASSERT_EQUAL(p.priority, LINK_PRIO_HIGH);
	CU_ASSERT_EQUAL(p.protection, 0);
	CU_ASSERT_EQUAL(p.nr_allowed_ips, 0);
	CU_ASSERT_EQUAL(p.mtu, 1500);
	for (int i = 0; i < LINKPROP_COUNT; i++)
		CU_ASSERT_STRING_EQUAL(fmt(&p, i), "");
	CU_ASSERT_STRING_EQUAL(linkprop_default_str(LINKPROP_PRIORITY), "high");
	CU_ASSERT_STRING_EQUAL(linkprop_possible_str(LINKPROP_PRIORITY),
			       "low,medium,high");
	CU_ASSERT_STRING_EQUAL(linkprop_default_str(LINKPROP_MAXBW), "--");
	CU_ASSERT_STRING_EQUAL(linkprop_default_str(LINKPROP_MTU), "1500");
	CU_ASSERT_STRING_EQUAL(linkprop_possible_str(LINKPROP_PROTECTION),
			       "mac-nospoof,ip-nospoof,restricted,dhcp-nospoof");
	CU_ASSERT_PTR_NULL(linkprop_default_str(LINKPROP_COUNT));
}

static void test_names(void)
{
	CU_ASSERT_EQUAL(linkprop_lookup("maxbw"), LINKPROP_MAXBW);
	CU_ASSERT_EQUAL(linkprop_lookup("priority"), LINKPROP_PRIORITY);
	CU_ASSERT_EQUAL(linkprop_lookup("protection"), LINKPROP_PROTECTION);
	CU_ASSERT_EQUAL(linkprop_lookup("allowed-ips"), LINKPROP_ALLOWED_IPS);
	CU_ASSERT_EQUAL(linkprop_lookup("mtu"), LINKPROP_MTU);
	CU_ASSERT_EQUAL(linkprop_lookup("MAXBW"), -EINVAL);
	CU_ASSERT_EQUAL(linkprop_lookup("speed"), -EINVAL);
	CU_ASSERT_EQUAL(linkprop_lookup(NULL), -EINVAL);
	for (int i = 0; i < LINKPROP_COUNT; i++)
		CU_ASSERT_EQUAL(linkprop_lookup(linkprop_name(i)), i);
	CU_ASSERT_PTR_NULL(linkprop_name(LINKPROP_COUNT));
}

static void test_maxbw(void)
{
	struct link_props p;
	char err[LINKPROP_ERRLEN];

	CU_ASSERT_EQUAL(set1(&p, "maxbw", "100M", err), 0);
	CU_ASSERT_EQUAL(p.maxbw, 100000000ull);
	CU_ASSERT_TRUE(p.set & (1u << LINKPROP_MAXBW));
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_MAXBW), "100");
	CU_ASSERT_EQUAL(set1(&p, "maxbw", "1200K", err), 0);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_MAXBW), "1.200");
	CU_ASSERT_EQUAL(set1(&p, "maxbw", "10g", err), 0);
	CU_ASSERT_EQUAL(p.maxbw, 10000000000ull);
	CU_ASSERT_EQUAL(set1(&p, "maxbw", "50", err), 0);	/* Mb/s */
	CU_ASSERT_EQUAL(p.maxbw, 50000000ull);

	CU_ASSERT_EQUAL(set1(&p, "maxbw", "1199K", err), -ERANGE);
	CU_ASSERT_STRING_EQUAL(err, "minimum value for maxbw is 1200K");
	CU_ASSERT_EQUAL(p.maxbw, 0);
	CU_ASSERT_EQUAL(p.set, 0);
	CU_ASSERT_EQUAL(set1(&p, "maxbw", "0", err), -ERANGE);
	CU_ASSERT_STRING_EQUAL(err, "minimum value for maxbw is 1200K");
	CU_ASSERT_EQUAL(set1(&p, "maxbw", "1", err), -ERANGE); /* 1M */
	CU_ASSERT_EQUAL(set1(&p, "maxbw", "2", err), 0);	/* 2M */
	CU_ASSERT_EQUAL(p.maxbw, 2000000ull);
	CU_ASSERT_EQUAL(set1(&p, "maxbw", "10%", err), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "'10%'"));
	CU_ASSERT_EQUAL(p.set, 0);
	CU_ASSERT_EQUAL(set1(&p, "maxbw", "fast", err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
		"invalid value 'fast' for link property 'maxbw'");
	CU_ASSERT_EQUAL(set1(&p, "maxbw", "1.2M", err), -EINVAL);
	CU_ASSERT_EQUAL(set1(&p, "maxbw", "", err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
		"no value specified for link property 'maxbw'");
}

static void test_priority(void)
{
	struct link_props p;
	char err[LINKPROP_ERRLEN];

	CU_ASSERT_EQUAL(set1(&p, "priority", "low", err), 0);
	CU_ASSERT_EQUAL(p.priority, LINK_PRIO_LOW);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_PRIORITY), "low");
	CU_ASSERT_EQUAL(set1(&p, "priority", "medium", err), 0);
	CU_ASSERT_EQUAL(p.priority, LINK_PRIO_MEDIUM);
	CU_ASSERT_EQUAL(set1(&p, "priority", "high", err), 0);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_PRIORITY), "high");
	CU_ASSERT_EQUAL(set1(&p, "priority", "urgent", err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
		"link property 'priority' must be one of: low,medium,high");
	CU_ASSERT_EQUAL(set1(&p, "priority", "LOW", err), -EINVAL);
	CU_ASSERT_EQUAL(p.priority, LINK_PRIO_HIGH);
}

static void test_protection(void)
{
	struct link_props p;
	char err[LINKPROP_ERRLEN];

	CU_ASSERT_EQUAL(set1(&p, "protection", "mac-nospoof", err), 0);
	CU_ASSERT_EQUAL(p.protection, PROT_MAC_NOSPOOF);
	CU_ASSERT_EQUAL(set1(&p, "protection",
			     "dhcp-nospoof,restricted,ip-nospoof,mac-nospoof",
			     err), 0);
	CU_ASSERT_EQUAL(p.protection, PROT_MAC_NOSPOOF | PROT_IP_NOSPOOF |
			PROT_RESTRICTED | PROT_DHCP_NOSPOOF);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_PROTECTION),
			       "mac-nospoof,ip-nospoof,restricted,dhcp-nospoof");
	CU_ASSERT_EQUAL(set1(&p, "protection", "ip-nospoof,ip-nospoof", err),
			0);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_PROTECTION), "ip-nospoof");

	static const char *const bad[] = {
		"mac", "mac-nospoof,", ",mac-nospoof", "mac-nospoof,,restricted",
		"MAC-NOSPOOF", "mac-nospoofx",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CU_ASSERT_EQUAL(set1(&p, "protection", bad[i], err), -EINVAL);
		CU_ASSERT_STRING_EQUAL(err, "link property 'protection' must "
			"be one of: mac-nospoof,ip-nospoof,restricted,"
			"dhcp-nospoof");
		CU_ASSERT_EQUAL(p.protection, 0);
	}
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	CU_ASSERT_EQUAL(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_allowed_ips(void)
{
	struct link_props p;
	char err[LINKPROP_ERRLEN];

	CU_ASSERT_EQUAL(set1(&p, "allowed-ips", "10.0.0.1,10.0.1.0/24", err),
			0);
	CU_ASSERT_EQUAL(p.nr_allowed_ips, 2);
	CU_ASSERT_EQUAL(p.allowed_ips[0].plen, 32);
	CU_ASSERT_EQUAL(p.allowed_ips[1].plen, 24);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_ALLOWED_IPS),
			       "10.0.0.1,10.0.1.0/24");
	CU_ASSERT_TRUE(link_props_ip_allowed(&p, ip("10.0.0.1")));
	CU_ASSERT_TRUE(link_props_ip_allowed(&p, ip("10.0.1.200")));
	CU_ASSERT_FALSE(link_props_ip_allowed(&p, ip("10.0.0.2")));
	CU_ASSERT_FALSE(link_props_ip_allowed(&p, ip("10.0.2.1")));

	CU_ASSERT_EQUAL(set1(&p, "allowed-ips", "0.0.0.0/0", err), 0);
	CU_ASSERT_TRUE(link_props_ip_allowed(&p, ip("192.168.1.1")));
	link_props_init(&p);
	CU_ASSERT_FALSE(link_props_ip_allowed(&p, ip("10.0.0.1")));

	static const char *const bad[] = {
		"10.0.0", "10.0.0.256", "10.0.0.1/33", "10.0.1.5/24",
		"10.0.0.1/", "10.0.0.1/024", "host1", "10.0.0.1,", "::1",
		"10.0.0.1 ", "10.0.0.0/8/8",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CU_ASSERT_EQUAL(set1(&p, "allowed-ips", bad[i], err), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "'allowed-ips'"));
		CU_ASSERT_EQUAL(p.nr_allowed_ips, 0);
	}

	/* at most LINKPROP_MAX_IPS entries */
	char list[512] = "";
	for (int i = 0; i < LINKPROP_MAX_IPS; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s10.0.0.%d", i ? "," : "", i + 1);
	CU_ASSERT_EQUAL(set1(&p, "allowed-ips", list, err), 0);
	CU_ASSERT_EQUAL(p.nr_allowed_ips, LINKPROP_MAX_IPS);
	strcat(list, ",10.0.0.99");
	CU_ASSERT_EQUAL(set1(&p, "allowed-ips", list, err), -ERANGE);
	CU_ASSERT_EQUAL(p.nr_allowed_ips, 0);
}

static void test_mtu(void)
{
	struct link_props p;
	char err[LINKPROP_ERRLEN];

	CU_ASSERT_EQUAL(set1(&p, "mtu", "9000", err), 0);
	CU_ASSERT_EQUAL(p.mtu, 9000);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_MTU), "9000");
	CU_ASSERT_EQUAL(set1(&p, "mtu", "68", err), 0);
	CU_ASSERT_EQUAL(set1(&p, "mtu", "67", err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
		"invalid value '67' for link property 'mtu'");
	CU_ASSERT_EQUAL(set1(&p, "mtu", "9001", err), -EINVAL);
	CU_ASSERT_EQUAL(set1(&p, "mtu", "1500b", err), -EINVAL);
	CU_ASSERT_EQUAL(p.mtu, 1500);
}

static void test_unknown(void)
{
	struct link_props p;
	char err[LINKPROP_ERRLEN];

	CU_ASSERT_EQUAL(set1(&p, "speed", "100", err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid link property 'speed'");
	link_props_init(&p);
	CU_ASSERT_EQUAL(linkprop_reset(&p, "speed", err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid link property 'speed'");
}

static void test_cpus(void)
{
	struct link_props p;
	char err[LINKPROP_ERRLEN];

	CU_ASSERT_EQUAL(set1(&p, "cpus", "3,0-1,2,7", err), 0);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_CPUS), "0-3,7");
	CU_ASSERT_EQUAL(set1(&p, "cpus", "1023", err), 0);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_CPUS), "1023");
	CU_ASSERT_STRING_EQUAL(linkprop_default_str(LINKPROP_CPUS), "--");
	static const char *const bad[] = {
		"1024", "-1", "3-1", "a", "1,,2", "01", "1-", "0-2-3", ",1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(set1(&p, "cpus", bad[i], err), -EINVAL);
		CU_ASSERT_TRUE(strstr(err, "for link property 'cpus'") != NULL);
	}
	/* cpu0 is online on any host; the last id on none we run on */
	CU_ASSERT_EQUAL(set1(&p, "cpus", "0", err), 0);
	CU_ASSERT_EQUAL(linkprop_cpus_check(&p, err), 0);
	CU_ASSERT_EQUAL(set1(&p, "cpus", "0,1023", err), 0);
	CU_ASSERT_EQUAL(linkprop_cpus_check(&p, err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "CPU 1023 is not online");
	/* reset clears the list */
	CU_ASSERT_EQUAL(linkprop_reset(&p, "cpus", err), 0);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_CPUS), "");
	CU_ASSERT_EQUAL(linkprop_cpus_check(&p, err), 0);
}

/* pmd: a PMD index 0..15 (vswitchd checks it runs that PMD) */
static void test_pmd(void)
{
	static const char *const bad[] = { "16", "-1", "01", "x", "1,2",
					   "0x1", " 1" };
	struct link_props p;
	char err[LINKPROP_ERRLEN];

	link_props_init(&p);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_PMD), "");
	CU_ASSERT_EQUAL(set1(&p, "pmd", "0", err), 0);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_PMD), "0");
	CU_ASSERT_EQUAL(set1(&p, "pmd", "15", err), 0);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_PMD), "15");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CU_ASSERT_EQUAL(set1(&p, "pmd", bad[i], err), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "for link property 'pmd'"));
	}
	CU_ASSERT_EQUAL(p.set & (1u << LINKPROP_PMD), 0);	/* unchanged */
	CU_ASSERT_STRING_EQUAL(linkprop_default_str(LINKPROP_PMD), "--");
	CU_ASSERT_EQUAL(set1(&p, "pmd", "15", err), 0);
	CU_ASSERT_EQUAL(linkprop_reset(&p, "pmd", err), 0);
	CU_ASSERT_STRING_EQUAL(fmt(&p, LINKPROP_PMD), "");
	CU_ASSERT_EQUAL(p.pmd, 0);
}

static void test_reset(void)
{
	struct link_props p;
	char err[LINKPROP_ERRLEN];

	link_props_init(&p);
	CU_ASSERT_EQUAL(linkprop_set_list(&p, "maxbw=100M,priority=low,"
		"protection=ip-nospoof,allowed-ips=10.0.0.1,mtu=9000,cpus=0,2-3,"
		"pmd=3", err), 0);
	CU_ASSERT_EQUAL(p.set, (1u << LINKPROP_COUNT) - 1);
	for (int i = 0; i < LINKPROP_COUNT; i++)
		CU_ASSERT_EQUAL(linkprop_reset(&p, linkprop_name(i), err), 0);
	struct link_props def;
	link_props_init(&def);
	CU_ASSERT_EQUAL(memcmp(&p, &def, sizeof(p)), 0);
}

static void test_list(void)
{
	struct link_props p;
	char err[LINKPROP_ERRLEN];

	link_props_init(&p);
	CU_ASSERT_EQUAL(linkprop_set_list(&p, "maxbw=100M,priority=low", err),
			0);
	CU_ASSERT_EQUAL(p.maxbw, 100000000ull);
	CU_ASSERT_EQUAL(p.priority, LINK_PRIO_LOW);

	link_props_init(&p);
	CU_ASSERT_EQUAL(linkprop_set_list(&p,
		"protection=mac-nospoof,ip-nospoof,maxbw=10M,"
		"allowed-ips=10.0.0.1,10.0.1.0/24", err), 0);
	CU_ASSERT_EQUAL(p.protection, PROT_MAC_NOSPOOF | PROT_IP_NOSPOOF);
	CU_ASSERT_EQUAL(p.maxbw, 10000000ull);
	CU_ASSERT_EQUAL(p.nr_allowed_ips, 2);

	/* all or nothing: the second item fails, the first is not applied */
	link_props_init(&p);
	CU_ASSERT_EQUAL(linkprop_set_list(&p, "priority=low,maxbw=1K", err),
			-ERANGE);
	CU_ASSERT_STRING_EQUAL(err, "minimum value for maxbw is 1200K");
	CU_ASSERT_EQUAL(p.priority, LINK_PRIO_HIGH);
	CU_ASSERT_EQUAL(p.set, 0);

	CU_ASSERT_EQUAL(linkprop_set_list(&p, "foo=1,maxbw=10M", err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid link property 'foo'");
	CU_ASSERT_EQUAL(linkprop_set_list(&p, "maxbw", err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
		"no value specified for link property 'maxbw'");
	CU_ASSERT_EQUAL(linkprop_set_list(&p, "maxbw=10M,maxbw=20M", err),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err,
		"link property 'maxbw' specified more than once");
	CU_ASSERT_EQUAL(linkprop_set_list(&p, "", err), -EINVAL);
	CU_ASSERT_EQUAL(linkprop_set_list(&p, "=5", err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid link property ''");
	CU_ASSERT_EQUAL(linkprop_set_list(&p, "priority=low,", err), -EINVAL);
	{
		char big[1024];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, "maxbw=", 6);
		CU_ASSERT_EQUAL(linkprop_set_list(&p, big, err), -EINVAL);
		CU_ASSERT_STRING_EQUAL(err, "link property list too long");
	}
	CU_ASSERT_EQUAL(p.set, 0);
}

static CU_TestInfo tests[] = {
	{ "link names", test_linkname },
	{ "VLAN ids", test_vid },
	{ "defaults and show strings", test_defaults },
	{ "property names", test_names },
	{ "maxbw", test_maxbw },
	{ "priority", test_priority },
	{ "protection", test_protection },
	{ "allowed-ips", test_allowed_ips },
	{ "mtu", test_mtu },
	{ "unknown property", test_unknown },
	{ "cpus", test_cpus },
	{ "pmd", test_pmd },
	{ "reset to defaults", test_reset },
	{ "property lists", test_list },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(linkprop, NULL, NULL, tests);
