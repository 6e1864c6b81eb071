/*
 * Forwarding (DESIGN.md "vswitchd"): classify each frame by (VLAN id,
 * destination MAC) in its switch's L2 table and queue it towards the ports
 * it goes to.
 *   from the uplink: learn the source; strip the tag (the VLAN is the tag's
 *     id, 0 untagged); complete partial checksums (csum.h); deliver to the VNIC owning (vid, dst), or flood
 *     broadcast, multicast and unknown destinations to the VNICs of that
 *     VLAN. Never back to the uplink.
 *   from a VNIC: protection checks; the VLAN is the VNIC's (frames with
 *     an 802.1Q or 802.1ad tag are dropped); deliver to the VNIC owning (vid, dst); learned or
 *     unknown unicast goes to the uplink only, tagged with the VNIC's vid;
 *     broadcast and multicast flood to the VLAN's VNICs and the uplink.
 * Frames going to several ports share one mbuf (reference counts); only a
 * copy for the uplink gets a tag. Runs on the PMD thread: no allocation
 * beyond mbufs, no logging; the one lock is a switch's L2 table's when
 * its uplink and some of its ports are on different PMDs (l2_shared).
 * A frame for a port another PMD owns goes to that port's handoff ring
 * (dp.h); its owner queues it (switch_take_handoff()).
 */
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "csum.h"
#include "dp.h"
#include "flow_dp.h"
#include "protect.h"
#include "vlan.h"

const char *const vsw_drop_names[VSW_DROP_COUNT] = {
	[VSW_DROP_MAC_SPOOF] = "mac_spoof",
	[VSW_DROP_IP_SPOOF] = "ip_spoof",
	[VSW_DROP_RESTRICTED] = "restricted",
	[VSW_DROP_DHCP_SPOOF] = "dhcp_spoof",
	[VSW_DROP_VLAN] = "vlan",
	[VSW_DROP_MAXBW_QUEUE] = "maxbw_queue",
	[VSW_DROP_QUEUE_FULL] = "queue_full",
	[VSW_DROP_UPLINK_FULL] = "uplink_full",
	[VSW_DROP_NO_BUFFER] = "no_buffer",
	[VSW_DROP_UNKNOWN_DST] = "unknown_dst",
	[VSW_DROP_MALFORMED] = "malformed",
	[VSW_DROP_OVERSIZE] = "oversize",
};

static const enum vsw_drop protect_drop[] = {
	[PROTECT_MAC_SPOOF] = VSW_DROP_MAC_SPOOF,
	[PROTECT_IP_SPOOF] = VSW_DROP_IP_SPOOF,
	[PROTECT_RESTRICTED] = VSW_DROP_RESTRICTED,
	[PROTECT_DHCP_SPOOF] = VSW_DROP_DHCP_SPOOF,
};

/* The counters of port p this PMD writes. */
#define ST(dp, p)	(&(p)->stats[(dp)->index])

static void drop(struct vsw_dp *dp, struct vsw_port *charged,
		 struct rte_mbuf *m, enum vsw_drop why)
{
	vsw_add(&ST(dp, charged)->drops[why], 1);
	rte_pktmbuf_free(m);
}

static inline void l2_lock(struct vsw_switch *sw)
{
	if (unlikely(sw->l2_shared))
		rte_spinlock_lock(&sw->l2_lock);
}

static inline void l2_unlock(struct vsw_switch *sw)
{
	if (unlikely(sw->l2_shared))
		rte_spinlock_unlock(&sw->l2_lock);
}

/* Hand m to out's owner (another PMD), waking it if it sleeps. A full
 * ring drops the frame: charged to the sender for the uplink (as a full
 * uplink queue is), else to out as a full queue; a VNIC sending is then
 * held (pmd.c reads it again once the ring has room). */
static __attribute__((noinline, cold)) void
handoff(struct vsw_dp *dp, struct vsw_port *in, struct vsw_port *out,
	unsigned prio, struct rte_mbuf *m)
{
	struct vsw_handoff h = { .m = m, .from = in->id, .prio = prio };
	struct vsw_wake *w = out->wake;

	if (rte_ring_mp_enqueue_elem(out->handoff, &h, sizeof(h)) != 0) {
		if (!in->uplink)	/* a VNIC's next frames wait in its ring */
			in->held_by = out;
		if (out->uplink)
			drop(dp, in, m, VSW_DROP_UPLINK_FULL);
		else
			drop(dp, out, m, VSW_DROP_QUEUE_FULL);
		return;
	}
	/* with the owner's store of sleeping and its look at the ring
	 * (pmd.c): one of the two sees the other */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->sleeping, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&w->sleeping, 0, __ATOMIC_ACQ_REL)) {
		uint64_t one = 1;

		(void)!write(w->fd, &one, sizeof(one));
	}
}

/* Queue m (one reference) for out, a port of this PMD; drop it if the
 * queue is full. */
static void enqueue_local(struct vsw_dp *dp, struct vsw_port *out,
			  unsigned prio, struct rte_mbuf *m)
{
	struct vsw_txq *q;

	if (unlikely(rte_pktmbuf_pkt_len(m) > vsw_port_max_frame(out))) {
		drop(dp, out, m, VSW_DROP_OVERSIZE);	/* its MTU is smaller */
		return;
	}
	if (out->flows && flow_dp_output(out, &prio, m))
		return;
	q = &out->txq[prio];
	if (vsw_txq_room(out, prio) == 0) {
		drop(dp, out, m, shaper_limited(&out->to_port) ?
				 VSW_DROP_MAXBW_QUEUE : VSW_DROP_QUEUE_FULL);
		return;
	}
	q->m[(q->head + q->count) % VSW_TXQ_LEN] = m;
	q->count++;
}

/* m from in for VNIC out: queued here, or handed to out's PMD. */
static void enqueue(struct vsw_dp *dp, struct vsw_port *in,
		    struct vsw_port *out, struct rte_mbuf *m)
{
	if (unlikely(out->pmd != dp->index))
		handoff(dp, in, out, 0, m);
	else
		enqueue_local(dp, out, 0, m);
}

unsigned switch_take_handoff(struct vsw_dp *dp, struct vsw_port *p)
{
	struct vsw_handoff h[VSW_BURST];
	unsigned n = rte_ring_sc_dequeue_burst_elem(p->handoff, h, sizeof(h[0]),
						    VSW_BURST, NULL);

	for (unsigned i = 0; i < n; i++) {
		struct vsw_port *from = h[i].from < VSW_MAX_PORTS ?
					dp->ports[h[i].from] : NULL;

		if (p->uplink && vsw_txq_room(p, h[i].prio) == 0)
			drop(dp, from ? from : p, h[i].m, VSW_DROP_UPLINK_FULL);
		else
			enqueue_local(dp, p, h[i].prio, h[i].m);
	}
	return n;
}

/* A private one-segment copy of m (pool's mbufs, or the jumbo pool's for
 * a frame longer than their room), NULL when none is free. */
static struct rte_mbuf *switch_copy(struct vsw_dp *dp, struct rte_mbuf *m)
{
	struct rte_mempool *mp = dp->pool;

	if (rte_pktmbuf_pkt_len(m) + VLAN_HLEN >
	    (uint32_t)(rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM))
		mp = dp->jumbo;
	return mp ? rte_pktmbuf_copy(m, mp, 0, UINT32_MAX) : NULL;
}

/* Towards the uplink: tag with vid (on a private copy if shared). */
static void to_uplink(struct vsw_dp *dp, struct vsw_port *in,
		      struct vsw_switch *sw, uint16_t vid, struct rte_mbuf *m)
{
	struct vsw_port *up = sw->uplink;
	/* a flow's priority, else the sender's */
	unsigned prio = dp->flow_prio ? dp->flow_prio - 1u : in->props.priority;
	uint8_t *f, *t;

	if (vid) {
		if (rte_mbuf_refcnt_read(m) > 1 || rte_pktmbuf_headroom(m) <
		    VLAN_HLEN || m->nb_segs > 1) {
			struct rte_mbuf *c = switch_copy(dp, m);

			rte_pktmbuf_free(m);
			if (!c) {
				vsw_add(&ST(dp, in)->drops[VSW_DROP_NO_BUFFER], 1);
				return;
			}
			m = c;
		}
		f = rte_pktmbuf_mtod(m, uint8_t *);
		t = vlan_push(f, rte_pktmbuf_data_len(m), vid, 0);
		if (!t || !rte_pktmbuf_prepend(m, VLAN_HLEN)) {
			drop(dp, in, m, VSW_DROP_MALFORMED);
			return;
		}
	}
	if (unlikely(up->pmd != dp->index)) {
		handoff(dp, in, up, prio, m);
		return;
	}
	if (vsw_txq_room(up, prio) == 0) {
		/* charged to the sender: shows who loses on a busy uplink */
		drop(dp, in, m, VSW_DROP_UPLINK_FULL);
		return;
	}
	enqueue_local(dp, up, prio, m);
}

/* Broadcast, multicast or unknown: every VNIC of the VLAN but the sender,
 * and the uplink when the frame comes from a VNIC. */
static void flood(struct vsw_dp *dp, struct vsw_port *in,
		  struct vsw_switch *sw, uint16_t vid, struct rte_mbuf *m)
{
	struct vsw_port *dst[VSW_MAX_SW_PORTS];
	bool up = !in->uplink && sw->uplink;
	unsigned n = 0;

	for (unsigned i = 0; i < sw->nports; i++)
		if (sw->ports[i] != in && sw->ports[i]->vid == vid)
			dst[n++] = sw->ports[i];
	if (n + up == 0) {
		rte_pktmbuf_free(m);
		return;
	}
	rte_mbuf_refcnt_update(m, (int16_t)(n + up - 1));
	for (unsigned i = 0; i < n; i++)
		enqueue(dp, in, dst[i], m);
	if (up)
		to_uplink(dp, in, sw, vid, m);
}

static void deliver(struct vsw_dp *dp, struct vsw_port *in,
		    struct vsw_switch *sw, uint16_t vid, struct rte_mbuf *m)
{
	const struct mac_addr *dst = rte_pktmbuf_mtod(m, const struct mac_addr *);
	uint32_t id;
	int kind;

	if (mac_is_multicast(dst)) {
		flood(dp, in, sw, vid, m);
		return;
	}
	l2_lock(sw);
	kind = l2_lookup(&sw->l2, vid, dst, dp->now_ns / 1000000, &id);
	l2_unlock(sw);
	if (kind == L2_VNIC && dp->ports[id] && dp->ports[id] != in) {
		enqueue(dp, in, dp->ports[id], m);
	} else if (kind == L2_VNIC) {
		rte_pktmbuf_free(m);		/* to itself: nothing to do */
	} else if (in->uplink) {
		if (kind == L2_LEARNED)
			rte_pktmbuf_free(m);	/* stays on the LAN */
		else
			flood(dp, in, sw, vid, m);
	} else if (sw->uplink) {
		to_uplink(dp, in, sw, vid, m);
	} else {
		drop(dp, in, m, VSW_DROP_UNKNOWN_DST);
	}
}

/* A frame from the uplink: its VLAN, learned source, tag stripped. */
static int from_uplink(struct vsw_dp *dp, struct vsw_port *in,
		       struct rte_mbuf *m, uint16_t *vid)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct vlan_info vi;

	if (vlan_parse(f, rte_pktmbuf_data_len(m), &vi) < 0)
		return VSW_DROP_MALFORMED;
	*vid = vi.vid;
	l2_lock(in->sw);
	l2_learn(&in->sw->l2, vi.vid, (const struct mac_addr *)(f + MAC_LEN),
		 in->id, dp->now_ns / 1000000);
	l2_unlock(in->sw);
	if (vi.tagged) {
		if (!vlan_pop(f, rte_pktmbuf_data_len(m)))
			return VSW_DROP_MALFORMED;
		rte_pktmbuf_adj(m, VLAN_HLEN);
	}
	/* frames from local senders may carry partial checksums */
	csum_complete_partial(rte_pktmbuf_mtod(m, uint8_t *),
			      rte_pktmbuf_data_len(m));
	return -1;
}

/* A frame from a VNIC: untagged, passing its protection. */
static int from_vnic(struct vsw_port *in, struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	enum protect_verdict v;

	/* a VNIC's VLAN is its vid: any tag of its own (an 802.1ad one
	 * too, which an untagged VNIC could use to reach a service VLAN
	 * on the uplink) is refused */
	if (vlan_has_tag(f))
		return VSW_DROP_VLAN;
	v = protect_check(&in->props, &in->mac, f, len);
	return v == PROTECT_PASS ? -1 : (int)protect_drop[v];
}

/* A chain (a guest's frame longer than one mbuf) made one segment: in
 * place if the first mbuf has room, else copied into a jumbo mbuf. NULL
 * (m freed, counted) when no jumbo mbuf is free. */
static struct rte_mbuf *switch_linear(struct vsw_dp *dp, struct vsw_port *in,
				      struct rte_mbuf *m)
{
	struct rte_mbuf *c;

	if (rte_pktmbuf_linearize(m) == 0)
		return m;
	c = dp->jumbo ? rte_pktmbuf_copy(m, dp->jumbo, 0, UINT32_MAX) : NULL;
	if (!c || c->nb_segs > 1) {
		rte_pktmbuf_free(c);
		drop(dp, in, m, VSW_DROP_NO_BUFFER);
		return NULL;
	}
	rte_pktmbuf_free(m);
	return c;
}

static void switch_one(struct vsw_dp *dp, struct vsw_port *in,
		       struct rte_mbuf *m)
{
	uint16_t vid = in->vid;
	int why;

	/* longer than its MTU: dropped before anything looks at it */
	if (rte_pktmbuf_pkt_len(m) > vsw_port_max_frame(in)) {
		drop(dp, in, m, VSW_DROP_OVERSIZE);
		return;
	}
	if (m->nb_segs > 1 && !(m = switch_linear(dp, in, m)))
		return;
	if (rte_pktmbuf_data_len(m) < 14) {
		drop(dp, in, m, VSW_DROP_MALFORMED);
		return;
	}
	why = in->uplink ? from_uplink(dp, in, m, &vid) : from_vnic(in, m);
	if (why >= 0) {
		drop(dp, in, m, why);
		return;
	}
	if (in->flows) {
		flow_dp_input(dp, in, vid, m);
		return;
	}
	deliver(dp, in, in->sw, vid, m);
}

void switch_forward(struct vsw_dp *dp, struct vsw_port *in, uint16_t vid,
		    struct rte_mbuf *m)
{
	deliver(dp, in, in->sw, vid, m);
}

void switch_input(struct vsw_dp *dp, struct vsw_port *in,
		  struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;

	capture_rx(capture_of(&in->capture), pkts, n, dp->now_ns);
	for (uint16_t i = 0; i < n; i++) {
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		switch_one(dp, in, pkts[i]);
	}
	vsw_add(&ST(dp, in)->rx_pkts, n);
	vsw_add(&ST(dp, in)->rx_bytes, bytes);
	if (!in->uplink)
		shaper_charge(&in->from_port, bytes);
}

/* Send from one queue: how many went, *blocked when the port took fewer
 * than offered (or the cap ran out) so lower priorities must wait. */
static unsigned flush_queue(struct vsw_dp *dp, struct vsw_port *p,
			    struct vsw_txq *q, bool *blocked)
{
	const struct capture_list *cap = capture_of(&p->capture);
	struct capture_tx ct;
	unsigned total = 0;

	while (q->count) {
		uint16_t n = MIN(q->count, VSW_TXQ_LEN - q->head);
		uint64_t bytes = 0;
		uint16_t sent;

		n = MIN(n, VSW_BURST);
		n = (uint16_t)shaper_allow(&p->to_port, dp->now_ns, n,
					   vsw_port_max_frame(p) * 8);
		if (n == 0) {
			*blocked = true;
			break;
		}
		for (uint16_t i = 0; i < n; i++)
			bytes += rte_pktmbuf_pkt_len(q->m[q->head + i]);
		if (unlikely(cap != NULL))
			capture_tx_hold(cap, &q->m[q->head], n, &ct);
		sent = nb_tx_burst(p->nb, &q->m[q->head], n);
		if (unlikely(cap != NULL))
			capture_tx_done(cap, &q->m[q->head], sent, n,
					dp->now_ns, &ct);
		for (uint16_t i = sent; i < n; i++)
			bytes -= rte_pktmbuf_pkt_len(q->m[q->head + i]);
		shaper_charge(&p->to_port, bytes);
		vsw_add(&ST(dp, p)->tx_pkts, sent);
		vsw_add(&ST(dp, p)->tx_bytes, bytes);
		q->head = (uint16_t)((q->head + sent) % VSW_TXQ_LEN);
		q->count = (uint16_t)(q->count - sent);
		total += sent;
		if (sent < n) {
			*blocked = true;
			break;
		}
	}
	return total;
}

/* Free what waits for a port without carrier, each frame counted. */
static void drop_queued(struct vsw_dp *dp, struct vsw_port *p)
{
	for (unsigned prio = 0; prio < VSW_NPRIO; prio++) {
		struct vsw_txq *q = &p->txq[prio];

		vsw_add(&ST(dp, p)->drops[VSW_DROP_QUEUE_FULL], q->count);
		while (q->count) {
			rte_pktmbuf_free(q->m[q->head]);
			q->head = (uint16_t)((q->head + 1) % VSW_TXQ_LEN);
			q->count--;
		}
	}
}

unsigned switch_flush(struct vsw_dp *dp, struct vsw_port *p)
{
	unsigned total = 0;
	bool blocked = false;

	/* a guest VNIC without a frontend would hold up to VSW_TXQ_LEN
	 * mbufs of the shared pool for as long as it stays away */
	if (switch_pending(p) && !nb_carrier(p->nb)) {
		drop_queued(dp, p);
		if (p->flows) {
			/* its capped flows' queues towards it too; what it
			 * sent before still leaves */
			flow_dp_drain_to(p);
			total = flow_dp_flush(dp, p);
		}
		return total;
	}

	if (p->flows)
		total += flow_dp_flush(dp, p);
	/* strict priority: a lower queue goes only when the higher is empty */
	for (int prio = VSW_NPRIO - 1; prio >= 0 && !blocked; prio--)
		total += flush_queue(dp, p, &p->txq[prio], &blocked);
	return total;
}

void switch_drain(struct vsw_dp *dp, struct vsw_port *p)
{
	struct vsw_handoff h;

	while (p->handoff &&
	       rte_ring_sc_dequeue_elem(p->handoff, &h, sizeof(h)) == 0)
		drop(dp, p, h.m, VSW_DROP_QUEUE_FULL);
	if (p->flows)
		flow_dp_drain(p);
	drop_queued(dp, p);
}

static int switch_alloc_id(struct vsw_dp *dp, struct vsw_port *p)
{
	for (uint32_t id = 0; id < VSW_MAX_PORTS; id++) {
		if (!dp->ports[id]) {
			p->id = id;
			return 0;
		}
	}
	return -ENOSPC;
}

uint32_t switch_queue_budget(uint32_t pool_size)
{
	return pool_size / 4 * 3;
}

unsigned switch_max_queues(uint32_t queue_budget)
{
	return queue_budget / VSW_TXQ_MIN;
}

static unsigned queue_weight(const struct vsw_port *p)
{
	return p->uplink ? VSW_NPRIO : 1;
}

/* Free the newest frames of p's queues beyond its share (lowest
 * priority first), counted as queue_full drops. */
static void trim_queues(struct vsw_dp *dp, struct vsw_port *p)
{
	for (unsigned prio = 0; prio < VSW_NPRIO; prio++) {
		struct vsw_txq *q = &p->txq[prio];

		while (q->count && (p->uplink ? q->count : vsw_queued(p)) >
		       p->txq_share) {
			q->count--;
			drop(dp, p, q->m[(q->head + q->count) % VSW_TXQ_LEN],
			     VSW_DROP_QUEUE_FULL);
		}
	}
}

/* Every port's share of the queue budget, for weight queues in all:
 * equal parts, at most VSW_TXQ_LEN. A guest that stops reading keeps
 * its share and no more, so those that read always find buffers. */
static void reshare(struct vsw_dp *dp)
{
	uint32_t share = VSW_TXQ_LEN;

	if (dp->queue_budget && dp->queue_weight)
		share = MIN(share, dp->queue_budget / dp->queue_weight);
	for (uint32_t id = 0; id < VSW_MAX_PORTS; id++) {
		struct vsw_port *p = dp->ports[id];

		if (!p)
			continue;
		p->txq_share = (uint16_t)share;
		trim_queues(dp, p);
	}
}

int switch_add_port(struct vsw_dp *dp, struct vsw_port *p)
{
	struct vsw_switch *sw = p->sw;
	int rc;

	if (dp->queue_budget && (dp->queue_weight + queue_weight(p)) *
	    VSW_TXQ_MIN > dp->queue_budget)
		return -ENOBUFS;
	rc = switch_alloc_id(dp, p);
	if (rc < 0)
		return rc;
	if (p->uplink) {
		if (sw->uplink)
			return -EBUSY;
		sw->uplink = p;
	} else {
		if (sw->nports == VSW_MAX_SW_PORTS)
			return -ENOSPC;
		rc = l2_register(&sw->l2, p->vid, &p->mac, p->id);
		if (rc < 0)
			return rc;
		sw->ports[sw->nports++] = p;
	}
	dp->ports[p->id] = p;
	dp->queue_weight += queue_weight(p);
	reshare(dp);
	return 0;
}

void switch_del_port(struct vsw_dp *dp, struct vsw_port *p)
{
	struct vsw_switch *sw = p->sw;

	if (sw->uplink == p)
		sw->uplink = NULL;
	for (unsigned i = 0; i < sw->nports; i++) {
		if (sw->ports[i] == p) {
			sw->ports[i] = sw->ports[--sw->nports];
			break;
		}
	}
	l2_flush_port(&sw->l2, p->id);
	switch_drain(dp, p);
	dp->ports[p->id] = NULL;
	dp->queue_weight -= queue_weight(p);
	reshare(dp);
}

/* Queue bound towards a port: the whole ring, or for a capped VNIC
 * VSW_TXQ_CAPPED_MS worth of full frames, so a cap does not add seconds
 * of queueing delay. Frames already queued beyond it drain normally. */
static uint16_t switch_txq_limit(uint64_t rate)
{
	uint64_t n;

	if (!rate)
		return VSW_TXQ_LEN;
	n = rate / 1000 * VSW_TXQ_CAPPED_MS / SHAPER_FRAME_BITS;
	return (uint16_t)MAX(32, MIN(n, VSW_TXQ_LEN));
}

int switch_set_props(struct vsw_port *p, const struct link_props *props,
		     uint64_t now_ns)
{
	/* above what one core moves, a cap is no cap */
	uint64_t rate = MIN(props->maxbw, SHAPER_MAX_BPS);
	int rc;

	rc = shaper_init(&p->from_port, rate, now_ns);
	if (rc == 0)
		rc = shaper_init(&p->to_port, rate, now_ns);
	if (rc < 0)
		return rc;
	p->props = *props;
	p->txq_limit = switch_txq_limit(rate);
	return 0;
}

bool switch_pending(const struct vsw_port *p)
{
	for (unsigned prio = 0; prio < VSW_NPRIO; prio++)
		if (p->txq[prio].count)
			return true;
	return p->flows && flow_dp_pending(p);
}
