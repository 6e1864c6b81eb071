/*
 * The polling thread (PMD): takes bursts of up to 32 frames from every
 * port, forwards them (switch.c) and sends what is queued, on a DPDK worker
 * lcore. When nothing moves it backs off from spinning to sleeping (50 us
 * doubling to 4 ms) in epoll on the host VNICs' tap fds and a wakeup
 * eventfd; after a nap only the taps epoll reported are read, so idle ports
 * cost almost no CPU (16 idle VNICs: ~1% of a CPU). Guest rings and the
 * uplink are checked at each wakeup.
 *
 * Several PMDs (vswitchd --pmd-cpus): each serves whole switches, every
 * port of a switch on the same PMD (vsw_switch.pmd, chosen by the control
 * thread when the link is made), so a frame never crosses threads and
 * nothing in the data path is shared between PMDs but the mbuf pool
 * (per-lcore caches). Each PMD has its own counters; readers sum them.
 *
 * Control/data handover: the PMD owns every switch and port it was given.
 * The control thread changes them only through commands sent over an
 * rte_ring; each pmd_* call below enqueues one, wakes the PMD and waits
 * for its completion, so no lock is shared with the data path. The PMD is
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
	uint64_t wakeups;	/* ports that woke it (a kick, a tap) */
};

#define VSW_MAX_PMDS	16

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
/* Stop and join it; every port and switch must have been removed. */
void pmd_stop(struct pmd *pmd);
void pmd_get_counters(const struct pmd *pmd, struct pmd_counters *c);

/* Commands (control thread); each returns once the PMD has done it. */
int pmd_add_switch(struct pmd *pmd, struct vsw_switch *sw);
/* The switch must have no ports left. */
int pmd_del_switch(struct pmd *pmd, struct vsw_switch *sw);
/* Give port p (p->sw set) to the PMD: a VNIC's (vid, MAC) is registered in
 * its switch's L2 table (-EADDRINUSE if taken), an uplink becomes its
 * switch's uplink; p->id is assigned. -ENOSPC when a table is full. */
int pmd_add_port(struct pmd *pmd, struct vsw_port *p);
/* Take it back: unlinked, its L2 entries removed, queued frames freed. */
int pmd_del_port(struct pmd *pmd, struct vsw_port *p);
/* Apply new properties (caps, priority, protection) to a running port. */
int pmd_set_props(struct pmd *pmd, struct vsw_port *p,
		  const struct link_props *props);

/* Run fn(dp, arg, now_ns) on the PMD, between two iterations, and return
 * its result: for modules whose data-path state hangs off ports (flows,
 * flows/flow_dp.h) without a command of their own here. */
typedef int (*pmd_exec_fn)(struct vsw_dp *dp, void *arg, uint64_t now_ns);
int pmd_exec(struct pmd *pmd, pmd_exec_fn fn, void *arg);

#endif
