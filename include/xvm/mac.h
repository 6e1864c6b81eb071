/*
 * Ethernet MAC addresses as administrators write them: dladm style
 * "0:16:3e:1:2:3" (1 or 2 hex digits per octet) in, printed either dladm
 * style without leading zeros or canonical "00:16:3e:01:02:03"; random
 * addresses for VNICs (REFERENCE.md "create-vnic -m random [-r prefix]").
 */
#ifndef XVM_MAC_H
#define XVM_MAC_H

#include "xvm/common.h"

#define MAC_LEN		6
#define MAC_STRLEN	18	/* "00:16:3e:64:99:4d" and its NUL */

struct mac_addr {
	uint8_t b[MAC_LEN];
};

/* The Xen OUI 00:16:3e, which guest VNICs use unless a MAC is given. */
#define MAC_XEN_PREFIX_LEN	3

/* Exactly 6 octets of 1-2 hex digits (either case) separated by ':'.
 * 0 or -EINVAL (out untouched). */
int mac_parse(const char *s, struct mac_addr *out);
/* A prefix for random MACs: 1 to 5 octets in the same syntax ("0:16:3e").
 * 0 with *len set, or -EINVAL. */
int mac_parse_prefix(const char *s, uint8_t prefix[MAC_LEN - 1], size_t *len);

/* dladm style, lower case without leading zeros: "0:16:3e:64:99:4d". */
char *mac_format(const struct mac_addr *m, char buf[MAC_STRLEN]);
/* Canonical: "00:16:3e:64:99:4d" (libvirt XML, ip link). */
char *mac_format_canonical(const struct mac_addr *m, char buf[MAC_STRLEN]);

/*
 * A random unicast MAC starting with prefix (prefix_len 0-5 octets; NULL
 * means the Xen OUI 00:16:3e). With no prefix the first octet is random
 * with the locally-administered bit set and the multicast bit clear; a
 * prefix with the multicast bit set is refused (-EINVAL). Never returns a
 * zero address. 0 or -errno (getrandom failure).
 */
int mac_random(struct mac_addr *out, const uint8_t *prefix,
	       size_t prefix_len);

bool mac_is_zero(const struct mac_addr *m);
bool mac_is_broadcast(const struct mac_addr *m);
/* Group bit set (broadcast included). */
bool mac_is_multicast(const struct mac_addr *m);
/* Neither multicast nor zero: usable as a VNIC's address. */
bool mac_is_unicast(const struct mac_addr *m);
bool mac_is_local(const struct mac_addr *m);	/* U/L bit set */
bool mac_equal(const struct mac_addr *a, const struct mac_addr *b);

#endif
