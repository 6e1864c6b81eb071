/*
 * The data-path half of a capture (capture.h): slots of copied bytes in
 * one private mapping, passed between the PMD and the control thread over
 * two rte_rings of slot indexes. The PMD takes a free index, copies the
 * frame into that slot and puts the index on the full ring; the reader
 * takes full indexes and gives them back. When no index is free the frame
 * is counted as dropped: the switch never waits for a reader, and a
 * capture holds none of the switch's mbufs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "capture.h"
#include "dp.h"

#define CAPTURE_RING_COUNT	(CAPTURE_SLOTS * 2)	/* power of two
							 * above the slots */

static size_t capture_align(size_t n)
{
	return (n + RTE_CACHE_LINE_SIZE - 1) & ~(size_t)(RTE_CACHE_LINE_SIZE - 1);
}

/* The two rings and the slots laid out in one anonymous mapping, so a
 * capture's memory comes and goes whole (munmap) and costs the switch's
 * DPDK memory nothing. */
static int capture_ring_map(struct capture_ring *r)
{
	size_t ring = capture_align(rte_ring_get_memsize(CAPTURE_RING_COUNT));
	uint8_t *base;

	r->map_len = 2 * ring + (size_t)CAPTURE_SLOTS * r->stride;
	base = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	r->free = (struct rte_ring *)base;
	r->full = (struct rte_ring *)(base + ring);
	r->slots = base + 2 * ring;
	if (rte_ring_init(r->free, "capture_free", CAPTURE_RING_COUNT,
			  RING_F_SP_ENQ | RING_F_SC_DEQ) < 0 ||
	    rte_ring_init(r->full, "capture_full", CAPTURE_RING_COUNT,
			  RING_F_SP_ENQ | RING_F_SC_DEQ) < 0) {
		munmap(base, r->map_len);
		r->free = NULL;
		return -EINVAL;
	}
	for (uintptr_t i = 0; i < CAPTURE_SLOTS; i++)
		rte_ring_sp_enqueue(r->free, (void *)i);
	return 0;
}

struct capture_ring *capture_ring_create(uint32_t snaplen, uint64_t limit,
					 struct capture_filter *filter)
{
	struct capture_ring *r;
	int rc;

	if (snaplen == 0 || snaplen > CAPTURE_SNAPLEN_MAX) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->snaplen = MIN(snaplen, CAPTURE_SLOT_DATA);
	r->stride = capture_align(sizeof(struct capture_slot) + r->snaplen);
	r->limit = limit;
	rc = capture_ring_map(r);
	if (rc < 0) {
		free(r);
		errno = -rc;
		return NULL;
	}
	if (filter) {
		r->filter = *filter;
		memset(filter, 0, sizeof(*filter));
	}
	return r;
}

void capture_ring_destroy(struct capture_ring *r)
{
	if (!r)
		return;
	capture_filter_free(&r->filter);
	if (r->free)
		munmap(r->free, r->map_len);
	free(r);
}

unsigned capture_ring_take(struct capture_ring *r, uint32_t *idx, unsigned n)
{
	void *p[64];
	unsigned got, total = 0;

	while (total < n) {
		got = rte_ring_sc_dequeue_burst(r->full, p,
						MIN(n - total, ARRAY_SIZE(p)),
						NULL);
		for (unsigned i = 0; i < got; i++)
			idx[total + i] = (uint32_t)(uintptr_t)p[i];
		total += got;
		if (got == 0)
			break;
	}
	return total;
}

void capture_ring_give(struct capture_ring *r, const uint32_t *idx,
		       unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		rte_ring_sp_enqueue(r->free, (void *)(uintptr_t)idx[i]);
}

/* Copy m into a free slot of r, or count it dropped. */
static void capture_copy(struct capture_ring *r, struct rte_mbuf *m,
			 enum capture_dir dir, uint64_t now_ns)
{
	struct capture_slot *s;
	uint32_t caplen;
	const void *src;
	void *idx;

	if (r->limit && r->captured >= r->limit)
		return;
	if (rte_ring_sc_dequeue(r->free, &idx) != 0) {
		vsw_add(&r->dropped, 1);
		return;
	}
	s = (struct capture_slot *)(r->slots + (uintptr_t)idx * r->stride);
	caplen = MIN(rte_pktmbuf_pkt_len(m), r->snaplen);
	s->ns = now_ns;
	s->len = rte_pktmbuf_pkt_len(m);
	s->caplen = (uint16_t)caplen;
	s->dir = (uint8_t)dir;
	src = rte_pktmbuf_read(m, 0, caplen, s->data);
	if (src && src != s->data)
		memcpy(s->data, src, caplen);
	else if (!src)
		s->caplen = 0;
	vsw_add(&r->captured, 1);
	rte_ring_sp_enqueue(r->full, idx);
}

/* A capture that stopped at its count runs no filter. */
static bool capture_wants(const struct capture_ring *r, struct rte_mbuf *m)
{
	return (!r->limit || r->captured < r->limit) &&
	       capture_filter_match(&r->filter, m);
}

void capture_frames(const struct capture_list *cl, struct rte_mbuf **pkts,
		    uint16_t n, enum capture_dir dir, uint64_t now_ns)
{
	for (unsigned c = 0; c < cl->n; c++)
		for (uint16_t i = 0; i < n; i++)
			if (capture_wants(cl->ring[c], pkts[i]))
				capture_copy(cl->ring[c], pkts[i], dir, now_ns);
}

_Static_assert(VSW_BURST <= 32, "struct capture_tx: one bit a frame");

void capture_tx_hold(const struct capture_list *cl, struct rte_mbuf **pkts,
		     uint16_t n, struct capture_tx *t)
{
	t->any = 0;
	for (unsigned c = 0; c < cl->n; c++) {
		t->match[c] = 0;
		for (uint16_t i = 0; i < n; i++)
			if (capture_wants(cl->ring[c], pkts[i]))
				t->match[c] |= 1u << i;
		t->any |= t->match[c];
	}
	for (uint16_t i = 0; i < n; i++)
		if (t->any & (1u << i))
			rte_pktmbuf_refcnt_update(pkts[i], 1);
}

void capture_tx_done(const struct capture_list *cl, struct rte_mbuf **pkts,
		     uint16_t sent, uint16_t n, uint64_t now_ns,
		     const struct capture_tx *t)
{
	for (unsigned c = 0; c < cl->n; c++)
		for (uint16_t i = 0; i < sent; i++)
			if (t->match[c] & (1u << i))
				capture_copy(cl->ring[c], pkts[i], CAPTURE_TX,
					     now_ns);
	/* the held reference: the last one of a frame the port took */
	for (uint16_t i = 0; i < n; i++)
		if (t->any & (1u << i))
			rte_pktmbuf_free(pkts[i]);
}
