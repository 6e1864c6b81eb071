/*
 * The L2 table of one switch, keyed by (VLAN id, MAC) (DESIGN.md
 * "vswitchd"): VNIC addresses are registered by the control path and never
 * learned; addresses behind the uplink are learned from the frames the
 * uplink delivers and age out. Open addressing in one array sized at init:
 * lookup, learn and age never allocate.
 */
#ifndef VSW_L2_H
#define VSW_L2_H

#include "xvm/common.h"
#include "xvm/mac.h"

enum l2_kind {
	L2_FREE = 0,
	L2_VNIC,	/* registered: a VNIC's own address */
	L2_LEARNED,	/* seen as a source on the uplink */
};

struct l2_entry {
	struct mac_addr mac;
	uint16_t vid;		/* 0: untagged */
	uint8_t kind;		/* enum l2_kind */
	uint32_t port;		/* caller's port id */
	uint64_t seen_ms;	/* last time a learned source was seen */
};

struct l2_table {
	struct l2_entry *slots;
	uint32_t mask;		/* number of slots - 1 (a power of two) */
	uint32_t max;		/* entries allowed (a bound below the slots) */
	uint32_t used;
	uint64_t age_ms;	/* learned entries older than this are gone */
	uint64_t next_expiry_ms; /* no learned entry expires before */
};

/* A table for max_entries (1..1M) entries; learned ones age after age_ms. */
int l2_init(struct l2_table *t, uint32_t max_entries, uint64_t age_ms);
void l2_fini(struct l2_table *t);

/* Register a VNIC address: 0, -EADDRINUSE if (vid, mac) is already a
 * VNIC's, -ENOSPC when full, -EINVAL for a multicast or zero MAC. A learned
 * entry with the same key is replaced. */
int l2_register(struct l2_table *t, uint16_t vid, const struct mac_addr *mac,
		uint32_t port);
/* Remove a registered or learned entry: 0 or -ENOENT. */
int l2_remove(struct l2_table *t, uint16_t vid, const struct mac_addr *mac);

/* Learn a source address seen on port at now_ms: 0; -EADDRINUSE if a VNIC
 * owns it (never overridden); -ENOSPC when full; -EINVAL for a group or
 * zero address (never learned). */
int l2_learn(struct l2_table *t, uint16_t vid, const struct mac_addr *mac,
	     uint32_t port, uint64_t now_ms);

/* Where (vid, mac) lives: L2_VNIC or L2_LEARNED with *port set, or -ENOENT
 * (absent or aged out). */
int l2_lookup(const struct l2_table *t, uint16_t vid,
	      const struct mac_addr *mac, uint64_t now_ms, uint32_t *port);

/* Drop learned entries older than age_ms; the number removed. */
unsigned l2_age(struct l2_table *t, uint64_t now_ms);
/* Drop every entry (registered and learned) pointing at port. */
unsigned l2_flush_port(struct l2_table *t, uint32_t port);

#endif
