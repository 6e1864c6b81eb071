/*
 * L2 table (l2.h): linear probing over a power-of-two array with
 * backward-shift deletion, so there are no tombstones and a lookup stops at
 * the first free slot. The table keeps at most half its slots used.
 */
#include <stdlib.h>
#include <string.h>

#include "l2.h"

static uint32_t l2_hash(uint16_t vid, const struct mac_addr *mac)
{
	uint64_t k = vid;

	for (int i = 0; i < MAC_LEN; i++)
		k = (k << 8) | mac->b[i];
	k ^= k >> 29;
	k *= 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(k >> 32);
}

int l2_init(struct l2_table *t, uint32_t max_entries, uint64_t age_ms)
{
	uint32_t slots = 16;

	if (max_entries == 0 || max_entries > (1u << 20))
		return -EINVAL;
	while (slots < 2 * max_entries)
		slots <<= 1;
	t->slots = calloc(slots, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->mask = slots - 1;
	t->max = max_entries;
	t->used = 0;
	t->age_ms = age_ms;
	t->next_expiry_ms = 0;
	return 0;
}

void l2_fini(struct l2_table *t)
{
	free(t->slots);
	t->slots = NULL;
	t->used = 0;
}

static bool l2_key_eq(const struct l2_entry *e, uint16_t vid,
		      const struct mac_addr *mac)
{
	return e->vid == vid && mac_equal(&e->mac, mac);
}

/* The slot holding the key, or the free slot where it would go. */
static uint32_t l2_find(const struct l2_table *t, uint16_t vid,
			const struct mac_addr *mac)
{
	uint32_t i = l2_hash(vid, mac) & t->mask;

	while (t->slots[i].kind != L2_FREE && !l2_key_eq(&t->slots[i], vid, mac))
		i = (i + 1) & t->mask;
	return i;
}

static bool l2_expired(const struct l2_table *t, const struct l2_entry *e,
		       uint64_t now_ms)
{
	return e->kind == L2_LEARNED && now_ms > e->seen_ms &&
	       now_ms - e->seen_ms > t->age_ms;
}

/* Free slot i and shift later members of its cluster back (Knuth 6.4 R). */
static void l2_delete_slot(struct l2_table *t, uint32_t i)
{
	uint32_t j = i;

	t->slots[i].kind = L2_FREE;
	t->used--;
	for (;;) {
		j = (j + 1) & t->mask;
		if (t->slots[j].kind == L2_FREE)
			return;
		uint32_t home = l2_hash(t->slots[j].vid, &t->slots[j].mac) & t->mask;
		/* j stays if its home lies cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->slots[i] = t->slots[j];
		t->slots[j].kind = L2_FREE;
		i = j;
	}
}

static int l2_insert(struct l2_table *t, uint32_t i, uint16_t vid,
		     const struct mac_addr *mac, enum l2_kind kind,
		     uint32_t port, uint64_t now_ms)
{
	struct l2_entry *e = &t->slots[i];

	if (e->kind == L2_FREE) {
		if (t->used >= t->max)
			return -ENOSPC;
		t->used++;
	}
	e->mac = *mac;
	e->vid = vid;
	e->kind = kind;
	e->port = port;
	e->seen_ms = now_ms;
	return 0;
}

int l2_register(struct l2_table *t, uint16_t vid, const struct mac_addr *mac,
		uint32_t port)
{
	uint32_t i;

	if (!mac_is_unicast(mac) || vid > 4094)
		return -EINVAL;
	i = l2_find(t, vid, mac);
	if (t->slots[i].kind == L2_VNIC)
		return -EADDRINUSE;
	return l2_insert(t, i, vid, mac, L2_VNIC, port, 0);
}

int l2_remove(struct l2_table *t, uint16_t vid, const struct mac_addr *mac)
{
	uint32_t i = l2_find(t, vid, mac);

	if (t->slots[i].kind == L2_FREE)
		return -ENOENT;
	l2_delete_slot(t, i);
	return 0;
}

int l2_learn(struct l2_table *t, uint16_t vid, const struct mac_addr *mac,
	     uint32_t port, uint64_t now_ms)
{
	uint32_t i;

	if (!mac_is_unicast(mac) || vid > 4094)
		return -EINVAL;
	i = l2_find(t, vid, mac);
	if (t->slots[i].kind == L2_VNIC)
		return -EADDRINUSE;
	if (t->slots[i].kind == L2_LEARNED) {
		t->slots[i].port = port;
		t->slots[i].seen_ms = now_ms;
		return 0;
	}
	/* full: age first, but scan the table only when an entry can have
	 * expired since the last scan, not once per frame of a MAC flood */
	if (t->used >= t->max && l2_age(t, now_ms) > 0)
		i = l2_find(t, vid, mac);	/* slots moved */
	return l2_insert(t, i, vid, mac, L2_LEARNED, port, now_ms);
}

int l2_lookup(const struct l2_table *t, uint16_t vid,
	      const struct mac_addr *mac, uint64_t now_ms, uint32_t *port)
{
	const struct l2_entry *e = &t->slots[l2_find(t, vid, mac)];

	if (e->kind == L2_FREE || l2_expired(t, e, now_ms))
		return -ENOENT;
	*port = e->port;
	return e->kind;
}

/* Remove every entry matching pred; restart the scan at a slot after a
 * deletion because the shift may have moved a later entry into it. */
static unsigned l2_remove_if(struct l2_table *t,
			     bool (*pred)(const struct l2_table *,
					  const struct l2_entry *, uint64_t),
			     uint64_t arg)
{
	unsigned n = 0;

	for (uint32_t i = 0; i <= t->mask; i++) {
		while (t->slots[i].kind != L2_FREE && pred(t, &t->slots[i], arg)) {
			l2_delete_slot(t, i);
			n++;
		}
	}
	return n;
}

static bool l2_pred_expired(const struct l2_table *t, const struct l2_entry *e,
			    uint64_t now_ms)
{
	return l2_expired(t, e, now_ms);
}

static bool l2_pred_port(const struct l2_table *t UNUSED,
			 const struct l2_entry *e, uint64_t port)
{
	return e->port == port;
}

unsigned l2_age(struct l2_table *t, uint64_t now_ms)
{
	unsigned n;
	uint64_t oldest = UINT64_MAX;

	if (now_ms <= t->next_expiry_ms)
		return 0;	/* nothing can have expired: no scan */
	n = l2_remove_if(t, l2_pred_expired, now_ms);

	/* entries only get younger (refreshed) or go: a lower bound */
	for (uint32_t i = 0; i <= t->mask; i++)
		if (t->slots[i].kind == L2_LEARNED)
			oldest = MIN(oldest, t->slots[i].seen_ms);
	t->next_expiry_ms = (oldest == UINT64_MAX ? now_ms : oldest) + t->age_ms;
	return n;
}

unsigned l2_flush_port(struct l2_table *t, uint32_t port)
{
	return l2_remove_if(t, l2_pred_port, port);
}
