/*
 * Address allow lists (netallow.h): parsed once at start-up, matched on
 * every accepted TCP peer and every migration stream's peer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "netallow.h"

static int netallow_one(struct netallow_entry *e, const char *pat)
{
	char tmp[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long bits;

	if (!strcmp(pat, "*")) {
		e->family = 0;
		return 0;
	}
	if (strlen(pat) >= sizeof(tmp))
		return -EINVAL;
	strcpy(tmp, pat);
	slash = strchr(tmp, '/');
	if (slash)
		*slash++ = 0;
	if (inet_pton(AF_INET, tmp, e->addr) == 1) {
		e->family = AF_INET;
		e->prefix = 32;
	} else if (inet_pton(AF_INET6, tmp, e->addr) == 1) {
		e->family = AF_INET6;
		e->prefix = 128;
	} else {
		return -EINVAL;
	}
	if (!slash)
		return 0;
	if (!*slash || *slash == '-' || *slash == '+')
		return -EINVAL;
	bits = strtoul(slash, &end, 10);
	if (*end || bits > e->prefix)
		return -EINVAL;
	e->prefix = (unsigned int)bits;
	return 0;
}

int netallow_parse(struct netallow *a, const char *spec, char *err,
		   size_t errlen)
{
	char *copy = strdup(spec), *tok, *save = NULL;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	a->n = 0;
	for (tok = strtok_r(copy, ",", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		if (a->n == NETALLOW_MAX) {
			snprintf(err, errlen, "more than %d patterns",
				 NETALLOW_MAX);
			rc = -EINVAL;
		} else if (netallow_one(&a->e[a->n], tok) < 0) {
			snprintf(err, errlen, "'%.64s' is not an address, "
				 "ADDRESS/PREFIX or *", tok);
			rc = -EINVAL;
		} else {
			a->n++;
		}
	}
	if (rc == 0 && a->n == 0) {
		snprintf(err, errlen, "empty list");
		rc = -EINVAL;
	}
	free(copy);
	return rc;
}

/* The first bits of x and y are equal. */
static bool netallow_prefix_eq(const uint8_t *x, const uint8_t *y,
			       unsigned int bits)
{
	unsigned int full = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(x, y, full))
		return false;
	if (!rest)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (x[full] & mask) == (y[full] & mask);
}

/* The peer as (family, bytes), IPv4-mapped IPv6 as IPv4; -1 if neither. */
static int netallow_peer(const struct sockaddr *sa, uint8_t addr[16])
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	const struct sockaddr_in6 *s6 = (const void *)sa;
	const struct sockaddr_in *s4 = (const void *)sa;

	if (sa->sa_family == AF_INET) {
		memcpy(addr, &s4->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	if (!memcmp(&s6->sin6_addr, v4mapped, 12)) {
		memcpy(addr, (const uint8_t *)&s6->sin6_addr + 12, 4);
		return AF_INET;
	}
	memcpy(addr, &s6->sin6_addr, 16);
	return AF_INET6;
}

bool netallow_match(const struct netallow *a, const struct sockaddr *sa)
{
	uint8_t addr[16];
	int fam = netallow_peer(sa, addr);
	unsigned int i;

	if (fam < 0)
		return false;
	for (i = 0; i < a->n; i++) {
		const struct netallow_entry *e = &a->e[i];

		if (e->family == 0)
			return true;
		if (e->family == fam &&
		    netallow_prefix_eq(e->addr, addr, e->prefix))
			return true;
	}
	return false;
}

void netallow_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	uint8_t addr[16];
	int fam = netallow_peer(sa, addr);

	if (fam < 0 || !inet_ntop(fam, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}
