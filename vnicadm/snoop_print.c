/*
 * snoop's one-line summary of a frame (vnicadm snoop without -o): the
 * Ethernet addresses, an 802.1Q tag, then ARP, IPv4 (ICMP, TCP, UDP) or
 * IPv6 in the words snoop(8) uses ("ICMP Echo request (ID: 1 Sequence
 * number: 2)", "ARP C Who is 10.0.0.2 ?"). Reads only the bytes captured:
 * a truncated header is said to be.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xvm/mac.h"
#include "vnicadm.h"

struct vn_out {
	char *buf;
	size_t len, used;
};

static void vn_put(struct vn_out *o, const char *fmt, ...) PRINTF(2, 3);
static void vn_put(struct vn_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->used >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->used = MIN(o->len, o->used + (size_t)n);
}

static uint16_t vn_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static const char *vn_ip4(const uint8_t *p, char *buf)
{
	return inet_ntop(AF_INET, p, buf, INET_ADDRSTRLEN);
}

static void vn_icmp(struct vn_out *o, const uint8_t *p, size_t n)
{
	if (n < 8) {
		vn_put(o, "ICMP (truncated)");
		return;
	}
	if (p[0] == 8 || p[0] == 0)
		vn_put(o, "ICMP Echo %s (ID: %u Sequence number: %u)",
		       p[0] == 8 ? "request" : "reply", vn_be16(p + 4),
		       vn_be16(p + 6));
	else if (p[0] == 3)
		vn_put(o, "ICMP Destination unreachable (code %u)", p[1]);
	else
		vn_put(o, "ICMP type %u code %u", p[0], p[1]);
}

static void vn_ip4_payload(struct vn_out *o, uint8_t proto, const uint8_t *p,
			   size_t n)
{
	if (proto == 1) {
		vn_icmp(o, p, n);
	} else if ((proto == 6 || proto == 17) && n >= 8) {
		vn_put(o, "%s D=%u S=%u", proto == 6 ? "TCP" : "UDP",
		       vn_be16(p + 2), vn_be16(p));
		if (proto == 17)
			vn_put(o, " LEN=%u", vn_be16(p + 4));
	} else {
		vn_put(o, "IP proto %u", proto);
	}
}

static void vn_ipv4(struct vn_out *o, const uint8_t *p, size_t n)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	size_t hl;

	if (n < 20 || (p[0] >> 4) != 4 || (hl = (size_t)(p[0] & 15) * 4) < 20 ||
	    n < hl) {
		vn_put(o, "IP (truncated)");
		return;
	}
	vn_put(o, "%s -> %s ", vn_ip4(p + 12, s), vn_ip4(p + 16, d));
	if (vn_be16(p + 6) & 0x1fff) {	/* a later fragment */
		vn_put(o, "IP fragment proto %u", p[9]);
		return;
	}
	vn_ip4_payload(o, p[9], p + hl, n - hl);
}

static void vn_arp(struct vn_out *o, const uint8_t *p, size_t n)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], m[MAC_STRLEN];
	struct mac_addr mac;

	/* Ethernet/IPv4 ARP only: htype 1, ptype 0x800, 6 and 4 bytes */
	if (n < 28 || vn_be16(p) != 1 || vn_be16(p + 2) != 0x0800 ||
	    p[4] != 6 || p[5] != 4) {
		vn_put(o, "ARP (not Ethernet/IPv4)");
		return;
	}
	if (vn_be16(p + 6) == 1) {
		vn_put(o, "ARP C Who is %s, tell %s", vn_ip4(p + 24, a),
		       vn_ip4(p + 14, b));
		return;
	}
	memcpy(mac.b, p + 8, MAC_LEN);
	vn_put(o, "ARP R %s is %s", vn_ip4(p + 14, a), mac_format(&mac, m));
}

void vn_snoop_describe(const uint8_t *f, uint32_t caplen, char *buf,
		       size_t len)
{
	struct vn_out o = { buf, len, 0 };
	char s[MAC_STRLEN], d[MAC_STRLEN];
	struct mac_addr src, dst;
	uint16_t type;
	size_t off = 14;

	buf[0] = '\0';
	if (caplen < 14) {
		vn_put(&o, "ETHER (truncated, %u bytes)", caplen);
		return;
	}
	memcpy(dst.b, f, MAC_LEN);
	memcpy(src.b, f + 6, MAC_LEN);
	vn_put(&o, "%s -> %s ", mac_format(&src, s), mac_format(&dst, d));
	type = vn_be16(f + 12);
	if (type == 0x8100 && caplen >= 18) {
		vn_put(&o, "VLAN %u ", vn_be16(f + 14) & 0xfff);
		type = vn_be16(f + 16);
		off = 18;
	}
	if (type == 0x0800)
		vn_ipv4(&o, f + off, caplen - off);
	else if (type == 0x0806)
		vn_arp(&o, f + off, caplen - off);
	else if (type == 0x86dd)
		vn_put(&o, "IPv6");
	else
		vn_put(&o, "ETHER Type=%04X", type);
}
