/*
 * Link names and VNIC link properties, as dladm defines them
 * (../shared/REFERENCE.md "dladm -> vnicadm"). One implementation for
 * vswitchd (which validates every request), vnicadm and xvm-install, so the
 * same input gets the same answer and the same message everywhere.
 *
 * Error texts are the administrator-facing reasons REFERENCE.md gives
 * ("invalid link property 'x'", "minimum value for maxbw is 1200K",
 * "link property 'priority' must be one of: low,medium,high"); callers add
 * their own context ("vnicadm: cannot set link property 'maxbw' on 'vnic0': ").
 */
#ifndef XVM_LINKPROP_H
#define XVM_LINKPROP_H

#include "xvm/common.h"

#define LINKNAME_MAX		32	/* names are shorter than this */
#define LINKPROP_ERRLEN		160
#define LINKPROP_MAX_IPS	16
#define LINKPROP_MAX_CPUS	1024	/* cpus: ids 0..1023 */
#define MAXBW_MIN_BPS		1200000ULL	/* 1200K */
#define LINKPROP_PMD_MAX	15	/* pmd: 0..15 (vswitchd's VSW_MAX_PMDS
					 * - 1; vswitchd refuses one it does
					 * not run) */

/* dladm link-name rules: first a letter, then [A-Za-z0-9_.], ending in a
 * digit that is not a leading zero of the final number ("vnic0", "e1000g10"
 * ok; "vnic", "vnic01", "0vnic", "a-1" not), length < LINKNAME_MAX. */
bool linkname_valid(const char *name);

/* VLAN id for a VNIC: 1..4094 (0 means none and is not parsed). */
int vid_parse(const char *s, uint16_t *vid);

enum link_priority {
	LINK_PRIO_LOW = 0,
	LINK_PRIO_MEDIUM = 1,
	LINK_PRIO_HIGH = 2,
};

/* protection bits */
#define PROT_MAC_NOSPOOF	0x1u
#define PROT_IP_NOSPOOF		0x2u
#define PROT_RESTRICTED		0x4u	/* only IPv4, IPv6 and ARP frames */
#define PROT_DHCP_NOSPOOF	0x8u

struct ip_prefix {
	uint32_t addr;		/* IPv4, network byte order */
	uint8_t plen;		/* 0..32 */
};

enum linkprop_id {
	LINKPROP_MAXBW,
	LINKPROP_PRIORITY,
	LINKPROP_PROTECTION,
	LINKPROP_ALLOWED_IPS,
	LINKPROP_MTU,
	LINKPROP_CPUS,
	LINKPROP_PMD,
	LINKPROP_COUNT,
};

struct link_props {
	uint32_t set;			/* bit (1 << linkprop_id) when set explicitly */
	uint64_t maxbw;			/* bits/s, 0: no cap */
	enum link_priority priority;	/* default high */
	uint32_t protection;		/* PROT_* */
	struct ip_prefix allowed_ips[LINKPROP_MAX_IPS];
	unsigned int nr_allowed_ips;
	uint32_t mtu;			/* 68..9000, default 1500 */
	/* cpus: the processors named (bit n: CPU n): a host VNIC's tap's
	 * receive packet steering (netback/tap.c); for a guest VNIC only
	 * recorded, saved and shown (vnicadm.8 "cpus") */
	uint64_t cpus[LINKPROP_MAX_CPUS / 64];
	/* pmd: the vswitchd PMD thread (index in --pmd-cpus' list) that
	 * polls the VNIC's port, pinned by the administrator; not set: the
	 * default assignment (vswitchd.8 "PMD threads") */
	uint32_t pmd;
};

/* Defaults for every property (nothing set). */
void link_props_init(struct link_props *p);

/* Property id by name (case-sensitive, as dladm), or -EINVAL. */
int linkprop_lookup(const char *name);
const char *linkprop_name(enum linkprop_id id);

/* Set one property from its text value; on error returns -EINVAL (or
 * -ERANGE, -ENOTSUP) with the reason in err and p unchanged. */
int linkprop_set(struct link_props *p, const char *name, const char *value,
		 char err[LINKPROP_ERRLEN]);
/* Back to the default (and not set). */
int linkprop_reset(struct link_props *p, const char *name,
		   char err[LINKPROP_ERRLEN]);
/* Apply "prop=value[,prop=value...]" as typed after -p. A value may itself
 * contain commas for list properties when the next item has no '='
 * ("protection=mac-nospoof,ip-nospoof,maxbw=10M"). All or nothing. */
int linkprop_set_list(struct link_props *p, const char *list,
		      char err[LINKPROP_ERRLEN]);

/* Text forms as show-linkprop prints them: value ("" when not set), the
 * default and the possible values ("low,medium,high", "1200K-", "--"). */
int linkprop_format(const struct link_props *p, enum linkprop_id id,
		    char *buf, size_t len);
const char *linkprop_default_str(enum linkprop_id id);
const char *linkprop_possible_str(enum linkprop_id id);

/* true if the IPv4 address (network order) is allowed by allowed-ips. */
/* The cpus property of p names only processors this host has online:
 * 0, or -EINVAL with err ("CPU 5 is not online"). vswitchd checks what
 * a client sets (not what it restores: the list stays as saved). */
int linkprop_cpus_check(const struct link_props *p,
			char err[LINKPROP_ERRLEN]);
bool link_props_ip_allowed(const struct link_props *p, uint32_t addr);

/* Length of the next "prop=value" item of list: up to the comma before
 * the next item that contains '=' (list values keep their commas:
 * "protection=mac-nospoof,ip-nospoof"). */
size_t linkprop_item_len(const char *list);

#endif
