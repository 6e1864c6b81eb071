/*
 * Unit tests for flows/flowattr.c: attribute and property parsing with
 * flowadm's messages, the combinations accepted, identical and
 * incompatible flows, and the classifier over real frame bytes (IPv4 and
 * IPv6, both directions, 802.1Q tagged, fragments, most specific first).
 */
#include <arpa/inet.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"
#include "flows/flow.h"

static struct flow_attrs attrs_of(const char *list)
{
	struct flow_attrs a;
	char err[FLOW_ERRLEN] = "";
	int rc;

	memset(&a, 0, sizeof(a));
	rc = flow_attrs_parse(list, &a, err);
	if (rc != 0)
		fprintf(stderr, "\n%s: %s\n", list, err);
	CU_ASSERT_EQUAL(rc, 0);
	return a;
}

/* flow_attrs_parse(list) fails with rc and exactly msg. */
static void check_refused(const char *list, int rc, const char *msg)
{
	struct flow_attrs a;
	char err[FLOW_ERRLEN] = "";

	memset(&a, 0, sizeof(a));
	CU_ASSERT_EQUAL(flow_attrs_parse(list, &a, err), rc);
	CU_ASSERT_STRING_EQUAL(err, msg);
	CU_ASSERT_EQUAL(a.set, 0);	/* unchanged */
}

static void check_format(const struct flow_attrs *a, enum flow_attr_id id,
			 const char *want)
{
	char buf[64];

	CU_ASSERT_EQUAL(flow_attr_format(a, id, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_attr_parse(void)
{
	struct flow_attrs a = attrs_of("transport=tcp,local_port=5201");

	check_format(&a, FLOW_A_TRANSPORT, "tcp");
	check_format(&a, FLOW_A_LOCAL_PORT, "5201");
	check_format(&a, FLOW_A_REMOTE_PORT, "");
	a = attrs_of("local_ip=10.1.2.3/24");	/* host bits cleared */
	check_format(&a, FLOW_A_LOCAL_IP, "10.1.2.0/24");
	a = attrs_of("remote_ip=10.0.0.7");
	check_format(&a, FLOW_A_REMOTE_IP, "10.0.0.7/32");
	a = attrs_of("remote_ip=2001:db8::1/48");
	check_format(&a, FLOW_A_REMOTE_IP, "2001:db8::/48");
	a = attrs_of("local_ip=::/0");
	check_format(&a, FLOW_A_LOCAL_IP, "::/0");
	a = attrs_of("dsfield=0x2e:0xfc");	/* value masked */
	check_format(&a, FLOW_A_DSFIELD, "0x2c:0xfc");
	a = attrs_of("dsfield=b8");
	check_format(&a, FLOW_A_DSFIELD, "0xb8:0xff");
	a = attrs_of("transport=icmpv6");
	check_format(&a, FLOW_A_TRANSPORT, "icmpv6");
	a = attrs_of("transport=sctp,remote_port=1");
	check_format(&a, FLOW_A_REMOTE_PORT, "1");
}

static void test_attr_refused(void)
{
	check_refused("local_port=80", -EINVAL,
		      "local or remote port requires transport");
	check_refused("remote_port=53", -EINVAL,
		      "local or remote port requires transport");
	check_refused("transport=icmp,local_port=1", -EINVAL,
		      "local or remote port requires transport tcp, udp or "
		      "sctp");
	check_refused("color=red", -EINVAL, "invalid flow attribute 'color'");
	check_refused("transport=tcp,transport=udp", -EINVAL,
		      "flow attribute 'transport' specified more than once");
	check_refused("transport=gre", -EINVAL,
		      "invalid value 'gre' for flow attribute 'transport'");
	check_refused("transport=tcp,local_port=0", -EINVAL,
		      "invalid value '0' for flow attribute 'local_port'");
	check_refused("transport=tcp,local_port=65536", -EINVAL,
		      "invalid value '65536' for flow attribute 'local_port'");
	check_refused("transport=tcp,local_port=080", -EINVAL,
		      "invalid value '080' for flow attribute 'local_port'");
	check_refused("local_ip=10.0.0.1/33", -EINVAL,
		      "invalid value '10.0.0.1/33' for flow attribute "
		      "'local_ip'");
	check_refused("local_ip=10.0.0", -EINVAL,
		      "invalid value '10.0.0' for flow attribute 'local_ip'");
	check_refused("remote_ip=fe80::1/129", -EINVAL,
		      "invalid value 'fe80::1/129' for flow attribute "
		      "'remote_ip'");
	check_refused("dsfield=0x100", -EINVAL,
		      "invalid value '0x100' for flow attribute 'dsfield'");
	check_refused("dsfield=0x2e:0", -EINVAL,
		      "invalid value '0x2e:0' for flow attribute 'dsfield'");
	check_refused("transport=", -EINVAL,
		      "no value specified for flow attribute 'transport'");
	check_refused("transport", -EINVAL,
		      "no value specified for flow attribute 'transport'");
	check_refused("", -EINVAL, "no flow attributes specified");
	check_refused("transport=tcp,", -EINVAL,
		      "invalid flow attribute list 'transport=tcp,'");
	check_refused("transport=tcp,,local_port=1", -EINVAL,
		      "invalid flow attribute list "
		      "'transport=tcp,,local_port=1'");
	/* Crossbow has no table for these */
	check_refused("local_ip=10.0.0.1,transport=tcp", -ENOTSUP,
		      "unsupported combination of flow attributes: one of "
		      "local_ip, remote_ip, transport [with local_port or "
		      "remote_port], dsfield");
	check_refused("transport=tcp,local_port=1,remote_port=2", -ENOTSUP,
		      "unsupported combination of flow attributes: one of "
		      "local_ip, remote_ip, transport [with local_port or "
		      "remote_port], dsfield");
	check_refused("local_ip=10.0.0.1,remote_ip=10.0.0.2", -ENOTSUP,
		      "unsupported combination of flow attributes: one of "
		      "local_ip, remote_ip, transport [with local_port or "
		      "remote_port], dsfield");
}

static void test_identical_compatible(void)
{
	struct flow_attrs a = attrs_of("transport=tcp,local_port=80");
	struct flow_attrs b = attrs_of("transport=tcp,local_port=80");
	struct flow_attrs c = attrs_of("transport=udp,local_port=80");
	struct flow_attrs d = attrs_of("transport=tcp");
	struct flow_attrs e = attrs_of("local_ip=10.0.0.9/24");
	struct flow_attrs f = attrs_of("local_ip=10.0.0.0/24");
	struct flow_attrs g = attrs_of("local_ip=10.0.0.0/25");

	CU_ASSERT_TRUE(flow_attrs_identical(&a, &b));
	CU_ASSERT_FALSE(flow_attrs_identical(&a, &c));
	CU_ASSERT_TRUE(flow_attrs_compatible(&a, &c));
	CU_ASSERT_FALSE(flow_attrs_compatible(&a, &d));
	CU_ASSERT_TRUE(flow_attrs_identical(&e, &f));	/* same network */
	CU_ASSERT_FALSE(flow_attrs_identical(&f, &g));
	CU_ASSERT_TRUE(flow_attrs_compatible(&f, &g));
	CU_ASSERT_TRUE(flow_attrs_specificity(&g) >
		       flow_attrs_specificity(&f));
}

static void test_props(void)
{
	struct flow_props p;
	char err[FLOW_ERRLEN] = "", buf[32];

	flow_props_init(&p);
	CU_ASSERT_EQUAL(p.priority, LINK_PRIO_MEDIUM);
	CU_ASSERT_EQUAL(flow_prop_format(&p, FLOW_P_PRIORITY, buf,
					 sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");	/* not set */
	CU_ASSERT_EQUAL(flow_props_parse("maxbw=20M,priority=high", &p, err),
			0);
	CU_ASSERT_EQUAL(p.maxbw, 20000000);
	CU_ASSERT_EQUAL(p.priority, LINK_PRIO_HIGH);
	flow_prop_format(&p, FLOW_P_MAXBW, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "20");
	CU_ASSERT_EQUAL(flow_props_parse("maxbw=1M", &p, err), -ERANGE);
	CU_ASSERT_STRING_EQUAL(err, "minimum value for maxbw is 1200K");
	CU_ASSERT_EQUAL(p.maxbw, 20000000);	/* unchanged */
	CU_ASSERT_EQUAL(flow_props_parse("priority=urgent", &p, err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "flow property 'priority' must be one of: "
			       "low,medium,high");
	CU_ASSERT_EQUAL(flow_props_parse("maxbw=fast", &p, err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid value 'fast' for flow property "
			       "'maxbw'");
	CU_ASSERT_EQUAL(flow_props_parse("maxbw=2M,maxbw=3M", &p, err),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "flow property 'maxbw' specified more "
			       "than once");
	CU_ASSERT_EQUAL(p.maxbw, 20000000);	/* unchanged */
	CU_ASSERT_EQUAL(flow_props_parse("mtu=1500", &p, err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "invalid flow property 'mtu'");
	/* all or nothing */
	CU_ASSERT_EQUAL(flow_props_parse("priority=low,maxbw=0", &p, err),
			-ERANGE);
	CU_ASSERT_EQUAL(p.priority, LINK_PRIO_HIGH);
	CU_ASSERT_EQUAL(flow_prop_reset(&p, "maxbw", err), 0);
	CU_ASSERT_EQUAL(p.maxbw, 0);
	CU_ASSERT_FALSE(p.set & (1u << FLOW_P_MAXBW));
	CU_ASSERT_STRING_EQUAL(flow_prop_default_str(FLOW_P_PRIORITY), "medium");
	CU_ASSERT_STRING_EQUAL(flow_prop_possible_str(FLOW_P_PRIORITY),
			       "low,medium,high");
}

static void test_names(void)
{
	CU_ASSERT_TRUE(flowname_valid("http-1"));
	CU_ASSERT_TRUE(flowname_valid("udpflow"));
	CU_ASSERT_TRUE(flowname_valid("a.b_c"));
	CU_ASSERT_FALSE(flowname_valid(""));
	CU_ASSERT_FALSE(flowname_valid("1flow"));
	CU_ASSERT_FALSE(flowname_valid("-flow"));
	CU_ASSERT_FALSE(flowname_valid("fl ow"));
	CU_ASSERT_FALSE(flowname_valid("f/1"));
	CU_ASSERT_FALSE(flowname_valid("abcdefghijabcdefghijabcdefghijab"));
	CU_ASSERT_TRUE(flowname_valid("abcdefghijabcdefghijabcdefghija"));
}

/* ---- frames ---- */

struct frame {
	uint8_t b[128];
	uint32_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet (tagged if vid), IPv4 src -> dst, proto, ports, TOS. */
static struct frame ipv4(const char *src, const char *dst, uint8_t proto,
			 uint16_t sport, uint16_t dport, uint8_t tos,
			 uint16_t vid)
{
	struct frame f = { .len = 0 };
	uint8_t *ip;
	unsigned off = 12;

	memset(f.b, 0, sizeof(f.b));
	if (vid) {
		put16(f.b + 12, 0x8100);
		put16(f.b + 14, vid);
		off = 16;
	}
	put16(f.b + off, 0x0800);
	ip = f.b + off + 2;
	ip[0] = 0x45;
	ip[1] = tos;
	put16(ip + 2, 40);
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	put16(ip + 20, sport);
	put16(ip + 22, dport);
	f.len = (uint32_t)(ip - f.b) + 40;
	return f;
}

static struct frame ipv6(const char *src, const char *dst, uint8_t proto,
			 uint16_t sport, uint16_t dport, uint8_t tclass)
{
	struct frame f = { .len = 14 + 40 + 8 };
	uint8_t *ip = f.b + 14;

	memset(f.b, 0, sizeof(f.b));
	put16(f.b + 12, 0x86dd);
	ip[0] = (uint8_t)(0x60 | tclass >> 4);
	ip[1] = (uint8_t)(tclass << 4);
	put16(ip + 4, 8);
	ip[6] = proto;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	put16(ip + 40, sport);
	put16(ip + 42, dport);
	return f;
}

static int classify1(const struct flow_attrs *a, const struct frame *f,
		     enum flow_dir dir)
{
	return flow_classify(a, 1, f->b, f->len, dir);
}

static void test_classify_ports(void)
{
	struct flow_attrs a = attrs_of("transport=tcp,local_port=5201");
	/* the VNIC (local) at 10.0.0.1:5201 talking to 10.0.0.2:40000 */
	struct frame out = ipv4("10.0.0.1", "10.0.0.2", 6, 5201, 40000, 0, 0);
	struct frame in = ipv4("10.0.0.2", "10.0.0.1", 6, 40000, 5201, 0, 0);
	struct frame udp = ipv4("10.0.0.2", "10.0.0.1", 17, 40000, 5201, 0, 0);
	struct frame tagged = ipv4("10.0.0.2", "10.0.0.1", 6, 40000, 5201, 0,
				   7);
	struct frame v6 = ipv6("2001:db8::2", "2001:db8::1", 6, 40000, 5201, 0);

	CU_ASSERT_EQUAL(classify1(&a, &out, FLOW_DIR_OUT), 0);
	CU_ASSERT_EQUAL(classify1(&a, &in, FLOW_DIR_IN), 0);
	/* the same frames the other way round are not local port 5201 */
	CU_ASSERT_EQUAL(classify1(&a, &out, FLOW_DIR_IN), -1);
	CU_ASSERT_EQUAL(classify1(&a, &in, FLOW_DIR_OUT), -1);
	CU_ASSERT_EQUAL(classify1(&a, &udp, FLOW_DIR_IN), -1);
	CU_ASSERT_EQUAL(classify1(&a, &tagged, FLOW_DIR_IN), 0);
	CU_ASSERT_EQUAL(classify1(&a, &v6, FLOW_DIR_IN), 0);

	a = attrs_of("transport=udp,remote_port=53");
	udp = ipv4("10.0.0.1", "10.0.0.53", 17, 3333, 53, 0, 0);
	CU_ASSERT_EQUAL(classify1(&a, &udp, FLOW_DIR_OUT), 0);
	CU_ASSERT_EQUAL(classify1(&a, &udp, FLOW_DIR_IN), -1);
}

static void test_classify_other(void)
{
	struct flow_attrs a = attrs_of("transport=tcp,local_port=80");
	struct frame f = ipv4("10.0.0.2", "10.0.0.1", 6, 1000, 80, 0, 0);
	struct frame arp = f;

	/* a later fragment has no ports: not the port flow's */
	f.b[14 + 6] = 0x00;
	f.b[14 + 7] = 0x10;
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), -1);
	/* not IP at all */
	put16(arp.b + 12, 0x0806);
	CU_ASSERT_EQUAL(classify1(&a, &arp, FLOW_DIR_IN), -1);
	/* truncated IP header */
	f = ipv4("10.0.0.2", "10.0.0.1", 6, 1000, 80, 0, 0);
	CU_ASSERT_EQUAL(flow_classify(&a, 1, f.b, 14 + 19, FLOW_DIR_IN), -1);
	/* transport alone: every port */
	a = attrs_of("transport=icmp");
	f = ipv4("10.0.0.2", "10.0.0.1", 1, 0, 0, 0, 0);
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), 0);
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_OUT), 0);
	/* dsfield under its mask: EF (0xb8) with ECN bits set */
	a = attrs_of("dsfield=0xb8:0xfc");
	f = ipv4("10.0.0.2", "10.0.0.1", 17, 1, 2, 0xbb, 0);
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), 0);
	f = ipv4("10.0.0.2", "10.0.0.1", 17, 1, 2, 0x28, 0);
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), -1);
	f = ipv6("::2", "::1", 17, 1, 2, 0xb9);
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), 0);
	/* no rules: nothing parsed, nothing matches */
	CU_ASSERT_EQUAL(flow_classify(NULL, 0, f.b, f.len, FLOW_DIR_IN), -1);
}

static void test_classify_prefixes(void)
{
	/* most specific first, as flow_port_insert() orders them */
	struct flow_attrs rules[] = {
		attrs_of("remote_ip=10.1.2.0/24"),
		attrs_of("remote_ip=10.0.0.0/8"),
		attrs_of("remote_ip=2001:db8::/32"),
	};
	struct flow_attrs wide;
	struct frame f = ipv4("10.0.0.1", "10.1.2.3", 17, 1, 2, 0, 0);

	CU_ASSERT_EQUAL(flow_classify(rules, 3, f.b, f.len, FLOW_DIR_OUT), 0);
	f = ipv4("10.0.0.1", "10.9.2.3", 17, 1, 2, 0, 0);
	CU_ASSERT_EQUAL(flow_classify(rules, 3, f.b, f.len, FLOW_DIR_OUT), 1);
	/* the remote side of a frame towards the link is its source */
	f = ipv4("10.1.2.3", "192.168.0.1", 17, 1, 2, 0, 0);
	CU_ASSERT_EQUAL(flow_classify(rules, 3, f.b, f.len, FLOW_DIR_IN), 0);
	CU_ASSERT_EQUAL(flow_classify(rules, 3, f.b, f.len, FLOW_DIR_OUT), -1);
	f = ipv4("11.0.0.1", "192.168.0.1", 17, 1, 2, 0, 0);
	CU_ASSERT_EQUAL(flow_classify(rules, 3, f.b, f.len, FLOW_DIR_IN), -1);
	f = ipv6("2001:db8:5::1", "2001:db9::1", 6, 1, 2, 0);
	CU_ASSERT_EQUAL(flow_classify(rules, 3, f.b, f.len, FLOW_DIR_IN), 2);
	CU_ASSERT_EQUAL(flow_classify(rules, 3, f.b, f.len, FLOW_DIR_OUT), -1);
	/* /0 matches its family only */
	wide = attrs_of("local_ip=0.0.0.0/0");
	CU_ASSERT_EQUAL(classify1(&wide, &f, FLOW_DIR_IN), -1);
}

/* Each rule of every combination, tried on b[0..len) placed just before
 * an unreadable page: a read past the frame's end faults. */
static const char *const guard_rules[] = {
	"transport=tcp,local_port=80", "transport=udp,remote_port=53",
	"transport=tcp", "local_ip=10.0.0.1", "remote_ip=2001:db8::/32",
	"dsfield=0x2e",
};

static void classify_guarded(uint8_t *page_end, const uint8_t *b,
			     uint32_t len)
{
	for (uint32_t n = 0; n <= len; n++) {
		uint8_t *f = page_end - n;

		memcpy(f, b, n);
		for (size_t i = 0; i < ARRAY_SIZE(guard_rules); i++) {
			struct flow_attrs a = attrs_of(guard_rules[i]);

			flow_classify(&a, 1, f, n, FLOW_DIR_IN);
			flow_classify(&a, 1, f, n, FLOW_DIR_OUT);
		}
	}
}

/* Short and malformed frames: every truncation of frames with VLAN tags,
 * IPv4 options and bogus IHLs, IPv6 extension header chains (long,
 * looping, oversized) is classified without reading past its end. */
static void test_classify_truncated(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *end;
	struct frame f;
	uint8_t big[256];

	CU_ASSERT_FATAL(map != MAP_FAILED);
	CU_ASSERT_EQUAL_FATAL(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
	end = map + pg;

	f = ipv4("10.0.0.2", "10.0.0.1", 6, 1000, 80, 0x2e, 7);
	classify_guarded(end, f.b, f.len);
	f = ipv6("2001:db8::2", "2001:db8::1", 17, 53, 53, 0);
	classify_guarded(end, f.b, f.len);

	/* IPv4 with 40 bytes of options, ports after them */
	memset(big, 0, sizeof(big));
	f = ipv4("10.0.0.2", "10.0.0.1", 6, 1000, 80, 0, 0);
	memcpy(big, f.b, 14 + 20);
	big[14] = 0x4f;
	put16(big + 14 + 2, 60 + 4);
	put16(big + 14 + 60, 1000);
	put16(big + 14 + 62, 80);
	classify_guarded(end, big, 14 + 64);
	CU_ASSERT_EQUAL(flow_classify((struct flow_attrs[]){
		attrs_of("transport=tcp,local_port=80") }, 1, big, 14 + 64,
		FLOW_DIR_IN), 0);
	/* bogus IHLs: below 5, beyond the frame */
	for (uint8_t ihl = 0; ihl < 16; ihl++) {
		big[14] = (uint8_t)(0x40 | ihl);
		classify_guarded(end, big, 14 + 24);
	}

	/* IPv6: hop-by-hop, routing, destination options, fragment, each
	 * 8 bytes, then UDP */
	memset(big, 0, sizeof(big));
	f = ipv6("2001:db8::2", "2001:db8::1", 0, 0, 0, 0);
	memcpy(big, f.b, 14 + 40);
	big[14 + 40] = 43;		/* hop-by-hop -> routing */
	big[14 + 48] = 60;		/* routing -> dst options */
	big[14 + 56] = 44;		/* dst options -> fragment */
	big[14 + 64] = 17;		/* fragment (offset 0) -> UDP */
	put16(big + 14 + 72, 53);
	put16(big + 14 + 74, 53);
	classify_guarded(end, big, 14 + 80);
	/* a chain of hop-by-hop headers that never ends */
	for (unsigned off = 14 + 40; off + 8 <= sizeof(big); off += 8)
		big[off] = 0;
	classify_guarded(end, big, sizeof(big));
	/* an extension header claiming 2 kB */
	big[14 + 40] = 6;
	big[14 + 41] = 255;
	classify_guarded(end, big, 14 + 48);

	munmap(map, (size_t)pg * 2);
}

/* The transport header is where the IP header's lengths say: bytes past
 * the IP packet (Ethernet padding) are not its ports. */
static void test_classify_ip_length(void)
{
	struct flow_attrs a = attrs_of("transport=tcp,local_port=80");
	struct frame f = ipv4("10.0.0.2", "10.0.0.1", 6, 1000, 80, 0, 0);

	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), 0);
	put16(f.b + 14 + 2, 20);	/* header only: the ports are padding */
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), -1);
	put16(f.b + 14 + 2, 12);	/* shorter than its header */
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), -1);

	f = ipv6("2001:db8::2", "2001:db8::1", 6, 1000, 80, 0);
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), 0);
	put16(f.b + 14 + 4, 2);	/* too short for ports */
	f.len = 14 + 40 + 8 + 6;	/* 60-byte frame, padded */
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), -1);
	/* 0: a jumbogram's or an offload's (length unknown), and an IPv4
	 * total length of 0 likewise: the frame's */
	put16(f.b + 14 + 4, 0);
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), 0);
	f = ipv4("10.0.0.2", "10.0.0.1", 6, 1000, 80, 0, 0);
	put16(f.b + 14 + 2, 0);
	CU_ASSERT_EQUAL(classify1(&a, &f, FLOW_DIR_IN), 0);
}

static CU_TestInfo tests[] = {
	{ "attributes: parse and format", test_attr_parse },
	{ "attributes: refused with flowadm's messages", test_attr_refused },
	{ "identical and incompatible flows", test_identical_compatible },
	{ "properties maxbw and priority", test_props },
	{ "flow names", test_names },
	{ "classifier: transport and ports, both directions", test_classify_ports },
	{ "classifier: fragments, non-IP, dsfield", test_classify_other },
	{ "classifier: prefixes, most specific first", test_classify_prefixes },
	{ "classifier: truncated and malformed frames", test_classify_truncated },
	{ "classifier: IP lengths, not the frame's", test_classify_ip_length },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(flow, NULL, NULL, tests);
