/*
 * Unit tests for vswitch/vlan.c: 802.1Q tags pushed and popped on real
 * frame bytes (an ARP request), and parsing of tagged and short frames.
 */
#include <errno.h>
#include <string.h>

#include "unit.h"
#include "../../vswitch/vlan.h"

/* ARP who-has 10.0.0.2 tell 10.0.0.1, from 00:16:3e:00:00:01 */
static const uint8_t arp_frame[42] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01,
	0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	0x00, 0x16, 0x3e, 0x00, 0x00, 0x01, 10, 0, 0, 1,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 10, 0, 0, 2,
};

static void test_push_pop(void)
{
	uint8_t buf[4 + sizeof(arp_frame)];
	uint8_t *f = buf + 4, *t, *u;
	struct vlan_info vi;
	static const uint8_t tag5[4] = { 0x81, 0x00, 0xa0, 0x05 };

	memcpy(f, arp_frame, sizeof(arp_frame));
	t = vlan_push(f, sizeof(arp_frame), 5, 5);
	CU_ASSERT_PTR_EQUAL_FATAL(t, buf);
	CU_ASSERT_EQUAL(memcmp(t, arp_frame, 12), 0);
	CU_ASSERT_EQUAL(memcmp(t + 12, tag5, 4), 0);
	CU_ASSERT_EQUAL(memcmp(t + 16, arp_frame + 12, sizeof(arp_frame) - 12), 0);
	CU_ASSERT_EQUAL(vlan_parse(t, sizeof(buf), &vi), 0);
	CU_ASSERT(vi.tagged);
	CU_ASSERT_EQUAL(vi.vid, 5);
	CU_ASSERT_EQUAL(vi.pcp, 5);
	CU_ASSERT_EQUAL(vi.ethertype, 0x0806);
	CU_ASSERT_EQUAL(vi.l3_off, 18);
	/* a tagged frame is not tagged twice */
	CU_ASSERT_PTR_NULL(vlan_push(t, sizeof(buf), 6, 0));
	u = vlan_pop(t, sizeof(buf));
	CU_ASSERT_PTR_EQUAL_FATAL(u, f);
	CU_ASSERT_EQUAL(memcmp(u, arp_frame, sizeof(arp_frame)), 0);
	CU_ASSERT_EQUAL(vlan_parse(u, sizeof(arp_frame), &vi), 0);
	CU_ASSERT(!vi.tagged);
	CU_ASSERT_EQUAL(vi.vid, 0);
	CU_ASSERT_EQUAL(vi.l3_off, 14);
	/* popping an untagged frame fails and leaves it alone */
	CU_ASSERT_PTR_NULL(vlan_pop(u, sizeof(arp_frame)));
	CU_ASSERT_EQUAL(memcmp(u, arp_frame, sizeof(arp_frame)), 0);
}

static void test_bad(void)
{
	uint8_t buf[64];
	struct vlan_info vi;

	memset(buf, 0, sizeof(buf));
	memcpy(buf + 4, arp_frame, sizeof(arp_frame));
	CU_ASSERT_PTR_NULL(vlan_push(buf + 4, sizeof(arp_frame), 0, 0));
	CU_ASSERT_PTR_NULL(vlan_push(buf + 4, sizeof(arp_frame), 4095, 0));
	CU_ASSERT_PTR_NULL(vlan_push(buf + 4, sizeof(arp_frame), 5000, 0));
	CU_ASSERT_PTR_NULL(vlan_push(buf + 4, 13, 5, 0));
	CU_ASSERT_EQUAL(memcmp(buf + 4, arp_frame, sizeof(arp_frame)), 0);
	CU_ASSERT_EQUAL(vlan_parse(arp_frame, 13, &vi), -EINVAL);
	/* a tag header cut short, and the reserved VID 4095 */
	buf[12] = 0x81; buf[13] = 0x00; buf[14] = 0x0f; buf[15] = 0xff;
	CU_ASSERT_EQUAL(vlan_parse(buf, 16, &vi), -EINVAL);
	CU_ASSERT_EQUAL(vlan_parse(buf, 18, &vi), -EINVAL);
	buf[15] = 0x01;
	CU_ASSERT_EQUAL(vlan_parse(buf, 18, &vi), 0);
	CU_ASSERT_EQUAL(vi.vid, 0xf01);
}

/* Frames a VNIC may not send: any tag type, 802.1ad included. */
static void test_has_tag(void)
{
	uint8_t f[sizeof(arp_frame)];
	static const uint16_t tagged[] = { 0x8100, 0x88a8, 0x9100 };

	memcpy(f, arp_frame, sizeof(f));
	CU_ASSERT(!vlan_has_tag(f));
	for (size_t i = 0; i < sizeof(tagged) / sizeof(tagged[0]); i++) {
		f[12] = (uint8_t)(tagged[i] >> 8);
		f[13] = (uint8_t)tagged[i];
		CU_ASSERT(vlan_has_tag(f));
		/* nor is a service-tagged frame tagged again */
		CU_ASSERT_PTR_NULL(vlan_push(f, sizeof(f), 5, 0));
	}
	f[12] = 0x08; f[13] = 0x00;	/* IPv4 */
	CU_ASSERT(!vlan_has_tag(f));
}

static CU_TestInfo tests[] = {
	{ "802.1Q and 802.1ad tags recognised", test_has_tag },
	{ "push and pop on frame bytes", test_push_pop },
	{ "bad frames and ids", test_bad },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(vlan, NULL, NULL, tests);
