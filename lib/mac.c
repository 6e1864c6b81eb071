/*
 * MAC address parsing, printing and generation (include/xvm/mac.h).
 * Bit meanings: IEEE 802-2014 §8.2 (I/G, the group bit, is bit 0 of the
 * first octet; U/L, locally administered, is bit 1).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "xvm/mac.h"

#define MAC_GROUP_BIT	0x01
#define MAC_LOCAL_BIT	0x02

static const uint8_t mac_xen_prefix[MAC_XEN_PREFIX_LEN] = { 0x00, 0x16, 0x3e };

static int mac_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse ':'-separated octets of 1-2 hex digits from s into out; the count
 * must lie in [min, max]. Returns the count or -EINVAL. */
static int mac_parse_octets(const char *s, uint8_t *out, size_t min,
			    size_t max)
{
	size_t n = 0;

	if (!s)
		return -EINVAL;
	for (;;) {
		int hi = mac_hexval(s[0]), lo;

		if (hi < 0 || n == max)
			return -EINVAL;
		lo = mac_hexval(s[1]);
		out[n++] = (uint8_t)(lo < 0 ? hi : hi * 16 + lo);
		s += lo < 0 ? 1 : 2;
		if (*s == '\0')
			break;
		if (*s++ != ':')
			return -EINVAL;	/* 3 digits, other separators */
	}
	return n >= min ? (int)n : -EINVAL;
}

int mac_parse(const char *s, struct mac_addr *out)
{
	uint8_t b[MAC_LEN];
	int n = mac_parse_octets(s, b, MAC_LEN, MAC_LEN);

	if (n < 0)
		return n;
	memcpy(out->b, b, MAC_LEN);
	return 0;
}

int mac_parse_prefix(const char *s, uint8_t prefix[MAC_LEN - 1], size_t *len)
{
	uint8_t b[MAC_LEN - 1];
	int n = mac_parse_octets(s, b, 1, MAC_LEN - 1);

	if (n < 0)
		return n;
	memcpy(prefix, b, (size_t)n);
	*len = (size_t)n;
	return 0;
}

char *mac_format(const struct mac_addr *m, char buf[MAC_STRLEN])
{
	snprintf(buf, MAC_STRLEN, "%x:%x:%x:%x:%x:%x", m->b[0], m->b[1],
		 m->b[2], m->b[3], m->b[4], m->b[5]);
	return buf;
}

char *mac_format_canonical(const struct mac_addr *m, char buf[MAC_STRLEN])
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0],
		 m->b[1], m->b[2], m->b[3], m->b[4], m->b[5]);
	return buf;
}

static int mac_random_bytes(uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t r = getrandom(b, n, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int mac_random(struct mac_addr *out, const uint8_t *prefix,
	       size_t prefix_len)
{
	struct mac_addr m;
	int ret;

	if (!prefix) {
		prefix = mac_xen_prefix;
		prefix_len = MAC_XEN_PREFIX_LEN;
	}
	if (prefix_len >= MAC_LEN ||
	    (prefix_len > 0 && (prefix[0] & MAC_GROUP_BIT)))
		return -EINVAL;
	do {
		ret = mac_random_bytes(m.b, MAC_LEN);
		if (ret < 0)
			return ret;
		memcpy(m.b, prefix, prefix_len);
		if (prefix_len == 0)
			m.b[0] = (uint8_t)((m.b[0] & ~MAC_GROUP_BIT) |
					   MAC_LOCAL_BIT);
	} while (mac_is_zero(&m));
	*out = m;
	return 0;
}

bool mac_is_zero(const struct mac_addr *m)
{
	static const uint8_t zero[MAC_LEN];

	return memcmp(m->b, zero, MAC_LEN) == 0;
}

bool mac_is_broadcast(const struct mac_addr *m)
{
	static const uint8_t ones[MAC_LEN] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	};

	return memcmp(m->b, ones, MAC_LEN) == 0;
}

bool mac_is_multicast(const struct mac_addr *m)
{
	return m->b[0] & MAC_GROUP_BIT;
}

bool mac_is_unicast(const struct mac_addr *m)
{
	return !mac_is_multicast(m) && !mac_is_zero(m);
}

bool mac_is_local(const struct mac_addr *m)
{
	return m->b[0] & MAC_LOCAL_BIT;
}

bool mac_equal(const struct mac_addr *a, const struct mac_addr *b)
{
	return memcmp(a->b, b->b, MAC_LEN) == 0;
}
