/*
 * Unit tests for vswitch/csum.c: a TCP/IPv4 and a UDP/IPv6 frame whose
 * checksum field holds only the pseudo-header sum (as a checksum-offloading
 * local sender leaves it) get the checksum a receiver verifies; frames with
 * a complete (or a wrong) checksum are left untouched.
 */
#include <string.h>

#include "unit.h"
#include "../../vswitch/csum.h"

/* Verify as a receiver does: the sum over pseudo-header and segment,
 * checksum included, folds to 0xffff. */
static bool ipv4_l4_ok(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14;
	size_t ihl = (size_t)(ip[0] & 0xf) * 4, l4len = len - 14 - ihl;
	uint8_t ph[4] = { 0, ip[9], (uint8_t)(l4len >> 8), (uint8_t)l4len };
	uint32_t s = csum_add(0, ip + 12, 8);

	s = csum_add(s, ph, 4);
	s = csum_add(s, ip + ihl, l4len);
	return csum_fold(s) == 0xffff;
}

static size_t mk_tcp4(uint8_t *f, size_t paylen)
{
	size_t l4len = 20 + paylen, tot = 20 + l4len;
	uint8_t *ip = f + 14, *tcp = ip + 20;
	uint8_t ph[4] = { 0, 6, (uint8_t)(l4len >> 8), (uint8_t)l4len };
	uint16_t pseudo;

	memset(f, 0, 14 + tot);
	f[12] = 0x08;
	ip[0] = 0x45; ip[2] = (uint8_t)(tot >> 8); ip[3] = (uint8_t)tot;
	ip[6] = 0x40;	/* DF */
	ip[8] = 64; ip[9] = 6;
	ip[12] = 10; ip[13] = 78; ip[15] = 2;
	ip[16] = 10; ip[17] = 78; ip[19] = 1;
	tcp[0] = 0x14; tcp[1] = 0x51; tcp[2] = 0xc0; tcp[3] = 0x01;
	tcp[12] = 0x50; tcp[13] = 0x18;
	for (size_t i = 0; i < paylen; i++)
		tcp[20 + i] = (uint8_t)(i * 7 + 3);
	pseudo = csum_fold(csum_add(csum_add(0, ip + 12, 8), ph, 4));
	tcp[16] = pseudo >> 8;	/* what CHECKSUM_PARTIAL leaves */
	tcp[17] = pseudo & 0xff;
	return 14 + tot;
}

static void test_tcp4_partial(void)
{
	uint8_t f[1514], copy[1514];
	size_t len = mk_tcp4(f, 1001);	/* odd length */

	CU_ASSERT(!ipv4_l4_ok(f, len));
	CU_ASSERT_EQUAL(csum_complete_partial(f, len), 1);
	CU_ASSERT(ipv4_l4_ok(f, len));
	/* complete now: a second pass changes nothing */
	memcpy(copy, f, len);
	CU_ASSERT_EQUAL(csum_complete_partial(f, len), 0);
	CU_ASSERT_EQUAL(memcmp(copy, f, len), 0);
	/* a wrong (not partial) checksum is not "repaired" */
	f[14 + 20 + 16] ^= 0x55;
	memcpy(copy, f, len);
	CU_ASSERT_EQUAL(csum_complete_partial(f, len), 0);
	CU_ASSERT_EQUAL(memcmp(copy, f, len), 0);
}

static void test_skip(void)
{
	uint8_t f[200];
	size_t len = mk_tcp4(f, 40);

	f[14 + 7] = 8;		/* a fragment */
	CU_ASSERT_EQUAL(csum_complete_partial(f, len), 0);
	len = mk_tcp4(f, 40);
	CU_ASSERT_EQUAL(csum_complete_partial(f, len - 30), 0);	/* truncated */
	f[12] = 0x08; f[13] = 0x06;					/* ARP */
	CU_ASSERT_EQUAL(csum_complete_partial(f, len), 0);
	CU_ASSERT_EQUAL(csum_complete_partial(f, 10), 0);
}

static void test_udp6_partial(void)
{
	uint8_t f[14 + 40 + 8 + 21];
	uint8_t *ip = f + 14, *udp = ip + 40, tail[8] = { 0 };
	size_t l4len = 8 + 21;
	uint16_t pseudo;
	uint32_t s;

	memset(f, 0, sizeof(f));
	f[12] = 0x86; f[13] = 0xdd;
	ip[0] = 0x60; ip[5] = (uint8_t)l4len; ip[6] = 17; ip[7] = 64;
	ip[8] = 0xfe; ip[9] = 0x80; ip[23] = 1;
	ip[24] = 0xfe; ip[25] = 0x80; ip[39] = 2;
	udp[1] = 53; udp[3] = 53; udp[5] = (uint8_t)l4len;
	memset(udp + 8, 0xab, 21);
	tail[3] = (uint8_t)l4len; tail[7] = 17;
	s = csum_add(csum_add(0, ip + 8, 32), tail, 8);
	pseudo = csum_fold(s);
	udp[6] = pseudo >> 8;
	udp[7] = pseudo & 0xff;
	CU_ASSERT_EQUAL(csum_complete_partial(f, sizeof(f)), 1);
	CU_ASSERT_EQUAL(csum_fold(csum_add(s, udp, l4len)), 0xffff);
}

static CU_TestInfo tests[] = {
	{ "TCP/IPv4 partial checksum completed", test_tcp4_partial },
	{ "fragments, short and non-IP frames skipped", test_skip },
	{ "UDP/IPv6 partial checksum completed", test_udp6_partial },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(csum, NULL, NULL, tests);
