/*
 * Address allow lists: which TCP peers xvmd serves (--tcp-allow) and
 * which may send a migration stream to this host (--relocation-hosts-allow).
 * A list is comma-separated patterns, each an IPv4 or IPv6 address or a
 * CIDR prefix (10.0.0.0/8, fd00::/8); "*" allows any peer. IPv4-mapped IPv6
 * peers (::ffff:a.b.c.d) are matched as IPv4.
 */
#ifndef XVMD_NETALLOW_H
#define XVMD_NETALLOW_H

#include <sys/socket.h>
#include "xvm/common.h"

#define NETALLOW_MAX	32

struct netallow_entry {
	int family;		/* AF_INET, AF_INET6; 0: any address */
	uint8_t addr[16];
	unsigned int prefix;	/* bits compared */
};

struct netallow {
	unsigned int n;
	struct netallow_entry e[NETALLOW_MAX];
};

/* Parse spec into a; a bad pattern names itself in err. 0 or -EINVAL. */
int netallow_parse(struct netallow *a, const char *spec, char *err,
		   size_t errlen);
/* Whether the peer address sa is in the list. */
bool netallow_match(const struct netallow *a, const struct sockaddr *sa);
/* The address of sa as text ("127.0.0.1", "::1"), for logs. */
void netallow_addr_str(const struct sockaddr *sa, char *buf, size_t len);

#endif
