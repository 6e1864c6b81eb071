/*
 * vnicadm snoop without vswitchd: the pcap file format it writes
 * (lib/pcapfile.c), its one-line frame summaries (vnicadm/snoop_print.c),
 * and its refusals of bad arguments before any connection (exit status 1,
 * one line on stderr).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "capture.h"
#include "xvm/pcapfile.h"
#include "vnicadm/vnicadm.h"

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_pcap_header(void)
{
	uint8_t h[PCAPFILE_HDR_LEN];

	pcapfile_header(h, 65535);
	CU_ASSERT_EQUAL(get32(h), 0xa1b2c3d4);
	CU_ASSERT(h[4 + (get32(h) == 0xa1b2c3d4 ? 0 : 1)] == 2);	/* 2.4 */
	CU_ASSERT_EQUAL(get32(h + 16), 65535);
	CU_ASSERT_EQUAL(get32(h + 20), 1);			/* Ethernet */
}

static void test_pcap_record(void)
{
	uint8_t r[PCAPFILE_REC_LEN];

	pcapfile_record(r, 1700000000123456789ULL, 60, 1514);
	CU_ASSERT_EQUAL(get32(r), 1700000000);
	CU_ASSERT_EQUAL(get32(r + 4), 123456);		/* microseconds */
	CU_ASSERT_EQUAL(get32(r + 8), 60);
	CU_ASSERT_EQUAL(get32(r + 12), 1514);
}

static void test_pcap_file(void)
{
	static const uint8_t frame[3] = { 1, 2, 3 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(pcapfile_write_header(f, 96), 0);
	CU_ASSERT_EQUAL(pcapfile_write_frame(f, 2000000000ULL, frame, 3, 64), 0);
	fclose(f);
	CU_ASSERT_EQUAL(len, PCAPFILE_HDR_LEN + PCAPFILE_REC_LEN + 3);
	CU_ASSERT_EQUAL(memcmp(buf + len - 3, frame, 3), 0);
	free(buf);
}

/* ---- summaries ---- */

static const uint8_t mac_a[6] = { 0x00, 0x16, 0x3e, 0x01, 0x02, 0x03 };
static const uint8_t mac_b[6] = { 0x02, 0x00, 0x00, 0x0a, 0x0b, 0x0c };

/* Ethernet header for type at f; the payload's offset. */
static size_t eth(uint8_t *f, uint16_t type, uint16_t vid)
{
	size_t off = 12;

	memcpy(f, mac_b, 6);
	memcpy(f + 6, mac_a, 6);
	if (vid) {
		f[12] = 0x81;
		f[13] = 0x00;
		f[14] = (uint8_t)(vid >> 8);
		f[15] = (uint8_t)vid;
		off = 16;
	}
	f[off] = (uint8_t)(type >> 8);
	f[off + 1] = (uint8_t)type;
	return off + 2;
}

static size_t ipv4(uint8_t *p, uint8_t proto)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[9] = proto;
	memcpy(p + 12, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(p + 16, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	return 20;
}

static void describe(const uint8_t *f, size_t n, const char *want)
{
	char buf[256];

	vn_snoop_describe(f, (uint32_t)n, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_summary_icmp(void)
{
	uint8_t f[128] = { 0 };
	size_t o = eth(f, 0x0800, 0), i = o + ipv4(f + o, 1);

	f[i] = 8;
	f[i + 5] = 7;		/* id 7 */
	f[i + 7] = 3;		/* sequence 3 */
	describe(f, i + 8, "0:16:3e:1:2:3 -> 2:0:0:a:b:c 10.0.0.1 -> 10.0.0.2 "
		 "ICMP Echo request (ID: 7 Sequence number: 3)");
	f[i] = 0;
	describe(f, i + 8, "0:16:3e:1:2:3 -> 2:0:0:a:b:c 10.0.0.1 -> 10.0.0.2 "
		 "ICMP Echo reply (ID: 7 Sequence number: 3)");
	describe(f, i + 4, "0:16:3e:1:2:3 -> 2:0:0:a:b:c 10.0.0.1 -> 10.0.0.2 "
		 "ICMP (truncated)");
	describe(f, o + 10, "0:16:3e:1:2:3 -> 2:0:0:a:b:c IP (truncated)");
}

static void test_summary_udp_vlan(void)
{
	uint8_t f[128] = { 0 };
	size_t o = eth(f, 0x0800, 39), i = o + ipv4(f + o, 17);

	f[i + 1] = 53;		/* source port */
	f[i + 2] = 0x12;	/* destination 0x1234 */
	f[i + 3] = 0x34;
	f[i + 5] = 8;
	describe(f, i + 8, "0:16:3e:1:2:3 -> 2:0:0:a:b:c VLAN 39 10.0.0.1 -> "
		 "10.0.0.2 UDP D=4660 S=53 LEN=8");
}

static void test_summary_arp(void)
{
	uint8_t f[64] = { 0 };
	size_t o = eth(f, 0x0806, 0);
	uint8_t *a = f + o;

	a[1] = 1;		/* Ethernet */
	a[2] = 0x08;		/* IPv4 */
	a[4] = 6;
	a[5] = 4;
	a[7] = 1;		/* request */
	memcpy(a + 8, mac_a, 6);
	memcpy(a + 14, (uint8_t[]){ 10, 0, 0, 1 }, 4);
	memcpy(a + 24, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	describe(f, o + 28, "0:16:3e:1:2:3 -> 2:0:0:a:b:c ARP C Who is "
		 "10.0.0.2, tell 10.0.0.1");
	a[7] = 2;		/* reply */
	describe(f, o + 28, "0:16:3e:1:2:3 -> 2:0:0:a:b:c ARP R 10.0.0.1 is "
		 "0:16:3e:1:2:3");
	describe(f, o + 20, "0:16:3e:1:2:3 -> 2:0:0:a:b:c ARP (not "
		 "Ethernet/IPv4)");
}

static void test_summary_other(void)
{
	uint8_t f[64] = { 0 };

	eth(f, 0x88cc, 0);
	describe(f, 60, "0:16:3e:1:2:3 -> 2:0:0:a:b:c ETHER Type=88CC");
	describe(f, 10, "ETHER (truncated, 10 bytes)");
}

/* ---- arguments ---- */

static struct capture out, err;

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int snoop(const char **args)
{
	char *argv[16] = { "vnicadm", "snoop" };
	int argc = 2;

	for (; *args && argc < 15; args++)
		argv[argc++] = (char *)*args;
	cap_open(&out);
	cap_open(&err);
	return vnicadm_main(argc, argv, out.f, err.f);
}

#define SNOOP_ERR(line, ...) do {					\
	CU_ASSERT_EQUAL(snoop((const char *[]){ __VA_ARGS__, NULL }), 1); \
	CU_ASSERT_STRING_EQUAL(cap_text(&err), "vnicadm: " line "\n");	\
	CU_ASSERT_STRING_EQUAL(cap_text(&out), "");			\
} while (0)

static void test_bad_arguments(void)
{
	char *saved = env_save("XVM_RUNDIR");
	char dir[] = "/tmp/xvm-unit-snoop.XXXXXX";

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	setenv("XVM_RUNDIR", dir, 1);		/* no vswitchd there */
	SNOOP_ERR("invalid count 'x'", "-c", "x", "vnic0");
	SNOOP_ERR("invalid count '0'", "-c", "0", "vnic0");
	SNOOP_ERR("invalid count '-3'", "-c", "-3", "vnic0");
	SNOOP_ERR("invalid snapshot length '65536'", "-s", "65536", "vnic0");
	SNOOP_ERR("invalid snapshot length '1k'", "-s", "1k", "vnic0");
	SNOOP_ERR("invalid link name '0vnic'", "0vnic");
	SNOOP_ERR("invalid link name 'a-b0'", "-d", "a-b0", "icmp");
	CU_ASSERT_EQUAL(snoop((const char *[]){ "vnic0", "icmp", "and", NULL }), 1);
	CU_ASSERT(starts_with(cap_text(&err), "vnicadm: invalid filter "
			      "expression 'icmp and': "));
	/* valid arguments: then it needs the daemon */
	SNOOP_ERR("cannot connect to vswitchd: No such file or directory",
		  "-d", "vnic0", "-c", "5", "-s", "0", "udp", "port", "53");
	CU_ASSERT_EQUAL(snoop((const char *[]){ NULL }), 1);
	CU_ASSERT(starts_with(cap_text(&err), "vnicadm: no link to capture\n"
			      "usage:\n    snoop "));
	rmdir(dir);
	env_restore("XVM_RUNDIR", saved);
	cap_close(&out);
	cap_close(&err);
}

static CU_TestInfo tests[] = {
	{ "pcap file header", test_pcap_header },
	{ "pcap record header", test_pcap_record },
	{ "pcap file", test_pcap_file },
	{ "summary: ICMP", test_summary_icmp },
	{ "summary: UDP in a VLAN", test_summary_udp_vlan },
	{ "summary: ARP", test_summary_arp },
	{ "summary: other", test_summary_other },
	{ "bad arguments", test_bad_arguments },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(snoop, NULL, NULL, tests);
