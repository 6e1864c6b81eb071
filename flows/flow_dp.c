/*
 * Flows in the data path (flow_dp.h): classification on the way into and
 * out of a port, per-flow token buckets and queues, counters. PMD thread:
 * no allocation, no locks, no logging per frame.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "flow_dp.h"

/* The queue bound of a capped flow: 60 ms at its rate, as a capped
 * VNIC's (switch.c). */
static uint16_t flow_qlimit(uint64_t rate)
{
	uint64_t n;

	if (!rate)
		return VSW_TXQ_LEN;
	n = rate / 1000 * VSW_TXQ_CAPPED_MS / SHAPER_FRAME_BITS;
	return (uint16_t)MAX(32, MIN(n, VSW_TXQ_LEN));
}

struct flow_dp *flow_dp_new(const struct flow_attrs *a, uint64_t maxbw,
			    enum link_priority prio)
{
	struct flow_dp *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->attrs = *a;
	if (flow_dp_set(f, maxbw, prio, 0) < 0) {
		free(f);
		errno = ERANGE;
		return NULL;
	}
	return f;
}

void flow_dp_free(struct flow_dp *f)
{
	free(f);
}

int flow_port_insert(struct flow_port *fp, struct flow_dp *f)
{
	unsigned s = flow_attrs_specificity(&f->attrs), i;

	if (fp->n == FLOW_MAX_PER_LINK)
		return -ENOSPC;
	/* after every flow at least as specific: older ones win ties */
	for (i = fp->n; i > 0 && flow_attrs_specificity(&fp->rules[i - 1]) < s;
	     i--) {
		fp->f[i] = fp->f[i - 1];
		fp->rules[i] = fp->rules[i - 1];
	}
	fp->f[i] = f;
	fp->rules[i] = f->attrs;
	fp->n++;
	return 0;
}

int flow_dp_set(struct flow_dp *f, uint64_t maxbw, enum link_priority prio,
		uint64_t now_ns)
{
	uint64_t rate = MIN(maxbw, SHAPER_MAX_BPS);
	int rc = shaper_init(&f->from_port, rate, now_ns);

	if (rc == 0)
		rc = shaper_init(&f->to_port, rate, now_ns);
	if (rc < 0)
		return rc;
	f->maxbw = rate;
	f->priority = prio;
	f->qlimit = flow_qlimit(rate);
	return 0;
}

static void flow_q_free(struct vsw_txq *q, uint64_t *errs)
{
	vsw_add(errs, q->count);
	while (q->count) {
		rte_pktmbuf_free(q->m[q->head]);
		q->head = (uint16_t)((q->head + 1) % VSW_TXQ_LEN);
		q->count--;
	}
}

static bool flow_port_has(const struct flow_port *fp, const struct flow_dp *f)
{
	for (unsigned i = 0; fp && i < fp->n; i++)
		if (fp->f[i] == f)
			return true;
	return false;
}

static void flow_dp_drain_one(struct vsw_port *p, struct flow_dp *f)
{
	/* from the port: errors of its own direction */
	flow_q_free(&f->q_from, p->uplink ? &f->st.ierrs : &f->st.oerrs);
	flow_q_free(&f->q_to, p->uplink ? &f->st.oerrs : &f->st.ierrs);
}

void flow_port_install(struct vsw_port *p, struct flow_port *fp)
{
	struct flow_port *old = p->flows;

	for (unsigned i = 0; old && i < old->n; i++)
		if (!flow_port_has(fp, old->f[i]))
			flow_dp_drain_one(p, old->f[i]);
	p->flows = fp && fp->n ? fp : NULL;
}

/* ---- per frame ---- */

static bool flow_q_push(struct vsw_txq *q, uint16_t limit,
			struct rte_mbuf *m)
{
	if (q->count >= limit)
		return false;
	q->m[(q->head + q->count) % VSW_TXQ_LEN] = m;
	q->count++;
	return true;
}

static struct rte_mbuf *flow_q_pop(struct vsw_txq *q)
{
	struct rte_mbuf *m = q->m[q->head];

	q->head = (uint16_t)((q->head + 1) % VSW_TXQ_LEN);
	q->count--;
	return m;
}

/* The flow m belongs to in direction dir, or NULL. */
static struct flow_dp *flow_dp_lookup(const struct flow_port *fp,
				      const struct rte_mbuf *m,
				      enum flow_dir dir)
{
	int i = flow_classify(fp->rules, fp->n,
			      rte_pktmbuf_mtod(m, const uint8_t *),
			      rte_pktmbuf_data_len(m), dir);

	return i < 0 ? NULL : fp->f[i];
}

static void flow_count(struct flow_dp *f, enum flow_dir dir, uint32_t bytes)
{
	if (dir == FLOW_DIR_IN) {
		vsw_add(&f->st.ipkts, 1);
		vsw_add(&f->st.ibytes, bytes);
	} else {
		vsw_add(&f->st.opkts, 1);
		vsw_add(&f->st.obytes, bytes);
	}
}

static void flow_drop(struct flow_dp *f, enum flow_dir dir,
		      struct rte_mbuf *m)
{
	vsw_add(dir == FLOW_DIR_IN ? &f->st.ierrs : &f->st.oerrs, 1);
	rte_pktmbuf_free(m);
}

void flow_dp_input(struct vsw_dp *dp, struct vsw_port *in, uint16_t vid,
		   struct rte_mbuf *m)
{
	enum flow_dir dir = in->uplink ? FLOW_DIR_IN : FLOW_DIR_OUT;
	struct flow_dp *f = flow_dp_lookup(in->flows, m, dir);

	if (!f) {
		switch_forward(dp, in, vid, m);
		return;
	}
	if (f->maxbw) {
		m->vlan_tci = vid;	/* its VLAN, for the release */
		if (flow_q_push(&f->q_from, f->qlimit, m))
			flow_count(f, dir, rte_pktmbuf_pkt_len(m));
		else
			flow_drop(f, dir, m);	/* uplinks: no backpressure */
		return;
	}
	flow_count(f, dir, rte_pktmbuf_pkt_len(m));
	dp->flow_prio = (uint8_t)(f->priority + 1);
	switch_forward(dp, in, vid, m);
	dp->flow_prio = 0;
}

bool flow_dp_output(struct vsw_port *out, unsigned *prio, struct rte_mbuf *m)
{
	enum flow_dir dir = out->uplink ? FLOW_DIR_OUT : FLOW_DIR_IN;
	struct flow_dp *f = flow_dp_lookup(out->flows, m, dir);

	if (!f) {
		/* the link's own policy: a VNIC's priority (the uplink's
		 * queue is the sender's already) */
		if (!out->uplink)
			*prio = out->props.priority;
		return false;
	}
	if (f->maxbw) {
		/* within the port's share of the pool too (dp.h) */
		if (flow_q_push(&f->q_to, MIN(f->qlimit, out->txq_share), m))
			flow_count(f, dir, rte_pktmbuf_pkt_len(m));
		else
			flow_drop(f, dir, m);
		return true;
	}
	flow_count(f, dir, rte_pktmbuf_pkt_len(m));
	*prio = f->priority;
	return false;
}

/* Frames of f waiting to leave port p into the switch, as many as its
 * bucket allows. */
static unsigned flow_release_from(struct vsw_dp *dp, struct vsw_port *p,
				  struct flow_dp *f)
{
	unsigned total = 0, n;

	dp->flow_prio = (uint8_t)(f->priority + 1);
	while (f->q_from.count &&
	       (n = shaper_allow(&f->from_port, dp->now_ns,
				 MIN(f->q_from.count, VSW_BURST),
				 SHAPER_FRAME_BITS)) > 0) {
		uint64_t bytes = 0;

		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *m = flow_q_pop(&f->q_from);

			bytes += rte_pktmbuf_pkt_len(m);
			switch_forward(dp, p, m->vlan_tci, m);
		}
		shaper_charge(&f->from_port, bytes);
		total += n;
	}
	dp->flow_prio = 0;
	return total;
}

/* Frames of f waiting to go to port p: into p's queue of its priority,
 * as many as its bucket and that queue's room allow. */
static unsigned flow_release_to(struct vsw_dp *dp, struct vsw_port *p,
				struct flow_dp *f)
{
	struct vsw_txq *q = &p->txq[f->priority];
	unsigned total = 0, n;

	while (f->q_to.count && vsw_txq_room(p, f->priority) &&
	       (n = shaper_allow(&f->to_port, dp->now_ns,
				 MIN(MIN(f->q_to.count, VSW_BURST),
				     vsw_txq_room(p, f->priority)),
				 SHAPER_FRAME_BITS)) > 0) {
		uint64_t bytes = 0;

		for (unsigned i = 0; i < n; i++) {
			struct rte_mbuf *m = flow_q_pop(&f->q_to);

			bytes += rte_pktmbuf_pkt_len(m);
			flow_q_push(q, VSW_TXQ_LEN, m);
		}
		shaper_charge(&f->to_port, bytes);
		total += n;
	}
	return total;
}

unsigned flow_dp_flush(struct vsw_dp *dp, struct vsw_port *p)
{
	struct flow_port *fp = p->flows;
	unsigned total = 0;

	for (unsigned i = 0; i < fp->n; i++) {
		struct flow_dp *f = fp->f[i];

		if (f->q_from.count)
			total += flow_release_from(dp, p, f);
		if (f->q_to.count)
			total += flow_release_to(dp, p, f);
	}
	return total;
}

unsigned flow_dp_rx_room(const struct vsw_port *p)
{
	const struct flow_port *fp = p->flows;
	unsigned room = VSW_BURST;

	for (unsigned i = 0; i < fp->n; i++) {
		const struct flow_dp *f = fp->f[i];

		if (f->maxbw)
			room = MIN(room, f->q_from.count < f->qlimit ?
				   (unsigned)(f->qlimit - f->q_from.count) : 0);
	}
	return room;
}

bool flow_dp_pending(const struct vsw_port *p)
{
	const struct flow_port *fp = p->flows;

	for (unsigned i = 0; i < fp->n; i++)
		if (fp->f[i]->q_from.count || fp->f[i]->q_to.count)
			return true;
	return false;
}

void flow_dp_drain_to(struct vsw_port *p)
{
	for (unsigned i = 0; i < p->flows->n; i++)
		flow_q_free(&p->flows->f[i]->q_to, p->uplink ?
			    &p->flows->f[i]->st.oerrs :
			    &p->flows->f[i]->st.ierrs);
}

void flow_dp_drain(struct vsw_port *p)
{
	for (unsigned i = 0; i < p->flows->n; i++)
		flow_dp_drain_one(p, p->flows->f[i]);
}
