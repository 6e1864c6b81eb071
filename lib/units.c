/*
 * Bandwidth and size parsing and printing (include/xvm/units.h). The
 * bandwidth syntax and output follow illumos libdladm (dladm_str2bw,
 * dladm_bw2str) so administrators type and read what dladm took and showed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xvm/units.h"

/* Leading decimal digits of s into *v; *end past them. -EINVAL if there
 * are none, -ERANGE if they overflow 64 bits. */
static int units_digits(const char *s, uint64_t *v, const char **end)
{
	uint64_t n = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return -ERANGE;
		n = n * 10 + d;
	}
	if (p == s)
		return -EINVAL;
	*v = n;
	*end = p;
	return 0;
}

static int units_scale(uint64_t n, uint64_t mult, uint64_t *out)
{
	if (mult && n > UINT64_MAX / mult)
		return -ERANGE;
	*out = n * mult;
	return 0;
}

int units_parse_bw(const char *s, uint64_t *bps)
{
	const char *end;
	uint64_t n, mult;
	int ret;

	if (!s)
		return -EINVAL;
	ret = units_digits(s, &n, &end);
	if (ret < 0)
		return ret;
	if (end[0] && end[1])		/* one suffix character at most */
		return -EINVAL;
	switch (end[0]) {
	case 'k': case 'K':
		mult = 1000;
		break;
	case '\0': case 'm': case 'M':
		mult = 1000000;
		break;
	case 'g': case 'G':
		mult = 1000000000;
		break;
	case '%':
		return -ENOTSUP;	/* dladm: percentages not supported */
	default:
		return -EINVAL;
	}
	return units_scale(n, mult, bps);
}

int units_format_bw(uint64_t bps, char *buf, size_t len)
{
	uint64_t mbps = bps / 1000000;
	unsigned kbps = (unsigned)(bps % 1000000 / 1000);
	int n;

	if (kbps)
		n = snprintf(buf, len, "%llu.%03u", (unsigned long long)mbps,
			     kbps);
	else
		n = snprintf(buf, len, "%llu", (unsigned long long)mbps);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

static const char units_size_suffixes[] = "KMGT";

/* The power of 1024 a size suffix stands for (K 1 ... T 4), or 0. */
static int units_size_power(char c)
{
	const char *p;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	p = c ? strchr(units_size_suffixes, c) : NULL;
	return p ? (int)(p - units_size_suffixes) + 1 : 0;
}

int units_parse_size(const char *s, uint64_t *bytes)
{
	const char *end;
	uint64_t n;
	int ret, power;

	if (!s)
		return -EINVAL;
	ret = units_digits(s, &n, &end);
	if (ret < 0)
		return ret;
	if (end[0] == '\0') {
		*bytes = n;
		return 0;
	}
	power = units_size_power(end[0]);
	if (!power || end[1] != '\0')
		return -EINVAL;
	return units_scale(n, 1ull << (10 * power), bytes);
}

int units_format_size(uint64_t bytes, char *buf, size_t len)
{
	int shift = 0, n;
	char suffix[2] = "";

	for (int i = 4; i >= 1 && bytes; i--) {
		if ((bytes & ((1ull << (10 * i)) - 1)) == 0) {
			shift = 10 * i;
			suffix[0] = units_size_suffixes[i - 1];
			break;
		}
	}
	n = snprintf(buf, len, "%llu%s", (unsigned long long)(bytes >> shift),
		     suffix);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}
