/*
 * The polling thread (PMD): takes bursts of up to 32 frames from every
 * port, forwards them (switch.c) and sends what is queued, on a DPDK worker
 * lcore. When nothing moves it backs off from spinning to sleeping (50 us
 * doubling to 4 ms) in epoll on the host VNICs' tap fds and a wakeup
 * eventfd; after a nap only the taps epoll reported are read, so idle ports
 * cost almost no CPU (16 idle VNICs: ~1% of a CPU). Guest rings and the
 * uplink are checked at each wakeup.
 *
 * Several PMDs (vswitchd --pmd-cpus): each polls the ports it owns
 * (vsw_port.pmd, chosen by the control thread: place.c, by balance.c's
 * rule), any port of any switch; a frame for a port another PMD
 * owns goes through that port's handoff ring (dp.h), and a PMD about to
 * sleep is woken by whoever hands it a frame. Each PMD has its own
 * counters, and its own slot in every port's; readers sum them.
 *
 * Control/data handover: the PMD owns the ports it was given. The
 * control thread changes one port through commands sent over an rte_ring
 * (pmd_set_props, pmd_exec: each enqueues one, wakes the PMD and waits
 * for its completion). What several PMDs share (port tables, switches'
 * port lists and L2 registrations, a port's owner) it changes while every
 * PMD is parked: each is sent a command that waits, between two
 * iterations, until the change is made (pmd_add_port, pmd_del_port,
 * pmd_move_ports: forwarding stops meanwhile). No lock is shared with the data
 * path but a switch's L2 lock (dp.h l2_shared). The PMD is
 * also an RCU reader (rte_rcu_qsbr, shared by all PMDs): it reports a quiescent state every
 * iteration and goes offline while asleep, which lets the vhost thread wait
 * safely before a guest's rings go away (netback/xnb.c).
 */
#ifndef VSW_PMD_H
#define VSW_PMD_H

#include <rte_rcu_qsbr.h>

#include "dp.h"

struct pmd;

struct pmd_counters {
	uint64_t busy_polls;	/* iterations that moved frames */
	uint64_t idle_polls;	/* iterations that did not */
	uint64_t sleeps;	/* times it went to sleep */
	uint64_t wakeups;	/* ports that woke it (a kick, a tap, frames
				 * another PMD handed it) */
	uint64_t busy_cycles;	/* TSC cycles spent in busy_polls: what
				 * moving the frames cost, apart from the
				 * polls that found none (OVS's "processing
				 * cycles") */
};

_Static_assert(VSW_MAX_PMDS == LINKPROP_PMD_MAX + 1, "the pmd property names a PMD");

/* The RCU state every PMD reports to (thread ids 0..npmds-1): waiting on
 * it waits for all of them. NULL when out of memory; rte_free() it after
 * the PMDs stopped. */
struct rte_rcu_qsbr *pmd_qsbr_create(unsigned npmds);
/* Start PMD number `index` (its thread id in qsbr) on worker lcore
 * `lcore`, with the packet buffer pool and the jumbo frames' pool. NULL
 * with errno on failure. */
struct pmd *pmd_start(struct rte_mempool *pool, struct rte_mempool *jumbo,
		       unsigned lcore, unsigned index,
		       struct rte_rcu_qsbr *qsbr);
/* Stop and join it; every port must have been removed. */
void pmd_stop(struct pmd *pmd);
void pmd_get_counters(const struct pmd *pmd, struct pmd_counters *c);

/* Changes made while the PMDs pmds[0..n-1] are parked (control thread). */
/* Give port p (p->sw set, p->pmd its owner) to the PMDs: a VNIC's (vid,
 * MAC) is registered in its switch's L2 table (-EADDRINUSE if taken), an
 * uplink becomes its switch's uplink; p->id is assigned; with several
 * PMDs it gets a handoff ring. -ENOSPC when a table is full, -ENOBUFS
 * (dp.h switch_add_port()), -ENOMEM. */
int pmd_add_port(struct pmd *const *pmds, unsigned n, struct vsw_port *p);
/* Take it back: unlinked, its L2 entries removed, queued frames freed. */
void pmd_del_port(struct pmd *const *pmds, unsigned n, struct vsw_port *p);
/* Give ports[i] to PMD to[i] (count of them); frames queued towards them
 * go with them, and those other PMDs had handed them are queued first. */
void pmd_move_ports(struct pmd *const *pmds, unsigned n,
		    struct vsw_port *const *ports, const unsigned *to,
		    unsigned count);

/* Commands to the port's owner; each returns once it has done it. */
/* Apply new properties (caps, priority, protection) to a running port. */
int pmd_set_props(struct pmd *pmd, struct vsw_port *p,
		  const struct link_props *props);

/* Run fn(dp, arg, now_ns) on the PMD, between two iterations, and return
 * its result: for modules whose data-path state hangs off ports (flows,
 * flows/flow_dp.h) without a command of their own here: the PMD that owns
 * the port. */
typedef int (*pmd_exec_fn)(struct vsw_dp *dp, void *arg, uint64_t now_ns);
int pmd_exec(struct pmd *pmd, pmd_exec_fn fn, void *arg);

#endif
