/*
 * Flows in vswitchd's data path (docs/vswitchd.md "Flows"). A port with
 * flows has p->flows set; a port without has NULL there, and switch.c
 * tests only that pointer, so links without flows pay nothing else.
 *
 * Where a frame is classified:
 *   - taken from a port (switch_one, after protection and VLAN checks):
 *     direction out for a VNIC (local = source), in for an uplink;
 *   - queued towards a port (enqueue): in for a VNIC, out for an uplink.
 * A frame no flow matches gets the link's own policy (its cap, its
 * priority). A matching frame is counted on the flow; with the flow's
 * maxbw it waits in the flow's queue for that direction until the flow's
 * token bucket allows (switch_flush releases it), and its priority picks
 * the queue it waits in towards the port (VNIC: the VNIC's three queues,
 * served in strict order; uplink: as the sender's priority does for
 * VNICs without flows).
 *
 * Backpressure as for VNIC caps: a VNIC is read only as far as every
 * capped flow's queue has room, so a capped flow's frames wait in the
 * guest's TX ring (or the tap's queue) instead of being dropped. The ring
 * is one FIFO: while a capped flow's queue is full, the VNIC's other
 * traffic waits behind it too. Towards a port the flow's queue holds
 * 60 ms at its rate and drops beyond (counted as the flow's errors).
 *
 * All the flow_dp_* calls but flow_dp_new/free and the flow_port
 * builders run on the PMD thread (or a test standing in for it).
 */
#ifndef FLOW_DP_H
#define FLOW_DP_H

#include "dp.h"
#include "flow.h"

/* Counters, written by the PMD only (vsw_add), read with vsw_read. in:
 * towards the local side (received by the link); out: from it. */
struct flow_dp_stats {
	uint64_t ipkts, ibytes, ierrs;
	uint64_t opkts, obytes, oerrs;
};

/* One flow in the data path. */
struct flow_dp {
	struct flow_attrs attrs;
	uint64_t maxbw;			/* bits/s each way; 0: none */
	enum link_priority priority;
	struct shaper from_port;	/* frames the port sends */
	struct shaper to_port;		/* frames towards the port */
	struct vsw_txq q_from;		/* waiting for from_port tokens */
	struct vsw_txq q_to;		/* waiting for to_port tokens */
	uint16_t qlimit;		/* frames each queue may hold */
	struct flow_dp_stats st;
};

/* A port's flows, most specific first (flow_classify order); rules[i]
 * is a copy of f[i]->attrs, kept together so that classifying a frame
 * reads a few cache lines, not one line of each flow_dp (they are 32 kB
 * apart). Replaced whole by flow_port_install(). */
struct flow_port {
	unsigned n;
	struct flow_attrs rules[FLOW_MAX_PER_LINK];
	struct flow_dp *f[FLOW_MAX_PER_LINK];
};

/* Control thread: a new data-path flow (NULL with errno), and its end
 * (its queues must be empty: flow_port_install drained them). */
struct flow_dp *flow_dp_new(const struct flow_attrs *a, uint64_t maxbw,
			    enum link_priority prio);
void flow_dp_free(struct flow_dp *f);
/* Add f to fp in classification order; -ENOSPC when full. */
int flow_port_insert(struct flow_port *fp, struct flow_dp *f);

/* PMD: put fp (NULL: none) in effect on p; frames queued in flows of the
 * old set that are not in fp are freed and counted as that flow's
 * errors. The caller frees the old set afterwards. */
void flow_port_install(struct vsw_port *p, struct flow_port *fp);
/* PMD: new maxbw and priority for a running flow (buckets full at
 * now_ns). 0 or -ERANGE. */
int flow_dp_set(struct flow_dp *f, uint64_t maxbw, enum link_priority prio,
		uint64_t now_ns);

/* PMD hooks of switch.c and pmd.c. */
/* A frame taken from `in` (untagged, VLAN vid): counted on its flow and
 * forwarded, or queued in its flow for tokens. */
void flow_dp_input(struct vsw_dp *dp, struct vsw_port *in, uint16_t vid,
		   struct rte_mbuf *m);
/* A frame about to be queued towards `out` at *prio: true if the flow
 * took it (queued for tokens or dropped); else *prio is the queue it
 * goes in. */
bool flow_dp_output(struct vsw_port *out, unsigned *prio, struct rte_mbuf *m);
/* Release what the flows' buckets allow; frames moved. */
unsigned flow_dp_flush(struct vsw_dp *dp, struct vsw_port *p);
/* How many frames p may be read for now: the least room of its capped
 * flows' queues (VSW_BURST when none is capped). */
unsigned flow_dp_rx_room(const struct vsw_port *p);
bool flow_dp_pending(const struct vsw_port *p);
/* Free the frames waiting to go to p (it has no carrier), counted as
 * the flows' errors. */
void flow_dp_drain_to(struct vsw_port *p);
/* Free every queued frame (the port leaves). */
void flow_dp_drain(struct vsw_port *p);

#endif
