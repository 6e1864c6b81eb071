/*
 * Unit tests for vswitch/protect.c: mac-nospoof, ip-nospoof with
 * allowed-ips (IPv4 source and ARP sender), restricted and dhcp-nospoof
 * decisions on real frame bytes.
 */
#include <string.h>

#include "unit.h"
#include "../../vswitch/protect.h"

static const struct mac_addr own = { { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01 } };

/* ARP who-has 10.0.0.2 tell 10.0.0.1 from own */
static const uint8_t arp[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x00, 0x16, 0x3e, 0x00, 0x00, 0x01, 10, 0, 0, 1,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 10, 0, 0, 2,
};

/* IPv4/UDP 10.0.0.1:68 -> 10.0.0.2:67 with a BOOTP body up to chaddr */
static void mk_udp(uint8_t *f, size_t len, const uint8_t src_ip[4])
{
	memset(f, 0, len);
	memset(f, 0xff, 6);
	memcpy(f + 6, own.b, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = 0; f[17] = (uint8_t)(len - 14);
	f[22] = 64; f[23] = 17;
	memcpy(f + 26, src_ip, 4);
	f[30] = 10; f[33] = 2;
	f[34] = 0; f[35] = 68; f[36] = 0; f[37] = 67;
	memcpy(f + 42 + 28, own.b, 6);	/* chaddr */
}

static struct link_props props(const char *prot, const char *ips)
{
	struct link_props p;
	char err[LINKPROP_ERRLEN];

	link_props_init(&p);
	CU_ASSERT_EQUAL(linkprop_set(&p, "protection", prot, err), 0);
	if (ips)
		CU_ASSERT_EQUAL(linkprop_set(&p, "allowed-ips", ips, err), 0);
	return p;
}

static void test_mac_nospoof(void)
{
	struct link_props p = props("mac-nospoof", NULL);
	uint8_t f[sizeof(arp)];

	CU_ASSERT_EQUAL(protect_check(&p, &own, arp, sizeof(arp)), PROTECT_PASS);
	memcpy(f, arp, sizeof(f));
	f[11] = 0x99;			/* forged source MAC */
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_MAC_SPOOF);
	memcpy(f, arp, sizeof(f));
	f[27] = 0x99;			/* forged ARP sender hardware address */
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_MAC_SPOOF);
	link_props_init(&p);		/* no protection: anything goes */
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_PASS);
}

static void test_ip_nospoof(void)
{
	struct link_props p = props("ip-nospoof", "10.0.0.1,10.0.1.0/24");
	static const uint8_t ok1[4] = { 10, 0, 0, 1 }, ok2[4] = { 10, 0, 1, 77 };
	static const uint8_t bad[4] = { 10, 0, 0, 9 }, any[4] = { 0, 0, 0, 0 };
	uint8_t f[120], a[sizeof(arp)];

	mk_udp(f, sizeof(f), ok1);
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_PASS);
	mk_udp(f, sizeof(f), ok2);
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_PASS);
	mk_udp(f, sizeof(f), any);	/* DHCP discover */
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_PASS);
	mk_udp(f, sizeof(f), bad);
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_IP_SPOOF);
	/* truncated IPv4 header */
	mk_udp(f, sizeof(f), ok1);
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, 30), PROTECT_IP_SPOOF);
	/* ARP sender protocol address */
	CU_ASSERT_EQUAL(protect_check(&p, &own, arp, sizeof(arp)), PROTECT_PASS);
	memcpy(a, arp, sizeof(a));
	a[31] = 9;
	CU_ASSERT_EQUAL(protect_check(&p, &own, a, sizeof(a)), PROTECT_IP_SPOOF);
	/* ip-nospoof alone does not check the MAC */
	mk_udp(f, sizeof(f), ok1);
	f[11] = 0x42;
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_PASS);
}

static void test_restricted_dhcp(void)
{
	struct link_props p = props("restricted,dhcp-nospoof", NULL);
	static const uint8_t any[4] = { 0, 0, 0, 0 };
	uint8_t f[120];

	CU_ASSERT_EQUAL(protect_check(&p, &own, arp, sizeof(arp)), PROTECT_PASS);
	mk_udp(f, sizeof(f), any);
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_PASS);
	f[42 + 28 + 5] = 0x77;		/* someone else's chaddr */
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_DHCP_SPOOF);
	mk_udp(f, sizeof(f), any);
	f[12] = 0x88; f[13] = 0xcc;	/* LLDP */
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_RESTRICTED);
	f[12] = 0x86; f[13] = 0xdd;	/* IPv6 passes */
	CU_ASSERT_EQUAL(protect_check(&p, &own, f, sizeof(f)), PROTECT_PASS);
}

static CU_TestInfo tests[] = {
	{ "mac-nospoof", test_mac_nospoof },
	{ "ip-nospoof and allowed-ips", test_ip_nospoof },
	{ "restricted and dhcp-nospoof", test_restricted_dhcp },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(protect, NULL, NULL, tests);
