/*
 * Data-path objects of vswitchd: ports (an uplink or a VNIC, each over a
 * netback port) and switches (one per phys link or etherstub). Each port
 * is polled by one PMD thread (pmd.h), its owner (vsw_port.pmd): only the
 * owner reads the port, moves frames into its queues and sends them, so a
 * port's queues, caps and flows have a single writer. Another PMD that
 * forwards a frame to it puts the frame in the port's handoff ring
 * (multi-producer), which the owner empties into the queues before
 * sending. Counters are kept per PMD (vsw_port.stats[writer's index]) and
 * summed when read (vsw_stats_sum()). The control thread changes ports
 * and switches by sending a PMD a command, or while every PMD is parked
 * (pmd.c) for what several share (switch tables, port tables, owners).
 */
#ifndef VSW_DP_H
#define VSW_DP_H

#include <string.h>

#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "xvm/common.h"
#include "xvm/linkprop.h"
#include "xvm/mac.h"
#include "l2.h"
#include "shaper.h"
#include "port.h"

#define VSW_MAX_PORTS		1024	/* all switches together */
#define VSW_MAX_SW_PORTS	256	/* VNICs on one switch */
#define VSW_TXQ_LEN		2048	/* frames waiting towards a port: a
					 * guest descheduled for ~100 ms at
					 * 20 kframes/s loses nothing */
#define VSW_TXQ_CAPPED_MS	60	/* a capped VNIC's queue: this much
					 * time at its rate (32..VSW_TXQ_LEN) */
#define VSW_TXQ_MIN		64	/* the smallest share of the pool a
					 * port's queue gets (two bursts) */
#define VSW_BURST		32
#define VSW_NPRIO		3	/* uplink queues: enum link_priority */
#define VSW_L2_ENTRIES		8192
#define VSW_L2_AGE_MS		300000	/* like a bridge's ageing time */
#define VSW_MAX_PMDS		16	/* LINKPROP_PMD_MAX + 1 */
#define VSW_HANDOFF_LEN		512	/* frames other PMDs may have handed
					 * to a port and its owner not taken
					 * yet (two ports' bursts each for
					 * eight PMDs, with room) */

/* Why a frame was dropped; vsw_drop_names[] gives the counter names. */
enum vsw_drop {
	VSW_DROP_MAC_SPOOF,
	VSW_DROP_IP_SPOOF,
	VSW_DROP_RESTRICTED,
	VSW_DROP_DHCP_SPOOF,
	VSW_DROP_VLAN,		/* tagged frame from a VNIC, bad tag */
	VSW_DROP_MAXBW_QUEUE,	/* capped VNIC's queue full */
	VSW_DROP_QUEUE_FULL,	/* receiver not keeping up (uncapped) */
	VSW_DROP_UPLINK_FULL,	/* sender's frame, uplink queue of its
				 * priority full (contended uplink) */
	VSW_DROP_NO_BUFFER,	/* no mbuf for a copy */
	VSW_DROP_UNKNOWN_DST,	/* unicast nobody owns, no uplink */
	VSW_DROP_MALFORMED,	/* runt or unparsable frame */
	VSW_DROP_OVERSIZE,	/* longer than the port's MTU allows */
	VSW_DROP_COUNT,
};
extern const char *const vsw_drop_names[VSW_DROP_COUNT];

/* Counters of a port, each written by the PMD only. rx: frames the switch
 * took from the port; tx: frames it handed to the port. */
struct vsw_stats {
	uint64_t rx_pkts, rx_bytes, rx_errors;
	uint64_t tx_pkts, tx_bytes, tx_errors;
	uint64_t drops[VSW_DROP_COUNT];	/* charged to the port concerned */
};

/* One frame handed to a port owned by another PMD: from the port it came
 * from (its id, charged if the uplink's queue is full), for the queue of
 * priority prio. */
struct vsw_handoff {
	struct rte_mbuf *m;
	uint32_t from;
	uint32_t prio;
};

/* How a PMD is woken when another hands it frames: sleeping is set while
 * it is about to sleep or asleep; whoever clears it writes fd. */
struct vsw_wake {
	int sleeping;
	int fd;
};

/* A ring of frames waiting to be sent to a port. */
struct vsw_txq {
	struct rte_mbuf *m[VSW_TXQ_LEN];
	uint16_t head;
	uint16_t count;
};

struct vsw_switch;
struct flow_port;
struct capture_list;

struct vsw_port {
	uint32_t id;			/* index in the PMDs' port tables */
	unsigned pmd;			/* its owner: the PMD polling it */
	char name[LINKNAME_MAX];
	struct nb_port *nb;
	struct vsw_switch *sw;
	bool uplink;
	uint16_t vid;			/* VNIC's VLAN, 0 none */
	struct mac_addr mac;		/* VNIC's address */
	struct link_props props;	/* as applied in the data path */
	struct shaper from_port;	/* maxbw of what a VNIC sends */
	struct shaper to_port;		/* maxbw of what a VNIC receives */
	struct vsw_txq txq[VSW_NPRIO];	/* VNIC: [0]; uplink: by priority */
	uint16_t txq_limit;		/* frames a queue may hold: its cap's
					 * bound (VSW_TXQ_LEN uncapped) ... */
	uint16_t txq_share;		/* ... and its share of the pool
					 * (switch_add_port): vsw_txq_room() */
	struct rte_ring *handoff;	/* of struct vsw_handoff: frames other
					 * PMDs forwarded to it; NULL with one
					 * PMD */
	struct vsw_wake *wake;		/* its owner's */
	struct vsw_port *held_by;	/* PMD: a port of another PMD whose
					 * handoff ring a frame of this VNIC
					 * found full: this one is not read
					 * until that ring has room for a
					 * burst (backpressure, as a full
					 * queue gives on one PMD) */
	bool rx_blocked;		/* from_port out of tokens, or held
					 * (idle wait) */
	int wait_fd;			/* PMD: our dup of its wait fd, in the
					 * epoll set (pmd.c); -1 none */
	uint64_t wait_gen;		/* PMD: nb_wait.gen of wait_fd */
	bool wait_counter;		/* PMD: wait_fd is a kick eventfd */
	bool wait_broken;		/* PMD: wait_fd (generation wait_gen)
					 * reported an error that will not
					 * clear: polled until it changes */
	bool wait_on;			/* PMD: nb_wait_begin called */
	bool fd_ready;			/* PMD: epoll said it is readable */
	struct flow_port *flows;	/* its flows (flows/flow_dp.h);
					 * NULL: none, nothing classified */
	struct capture_list *capture;	/* captures of its frames, NULL for
					 * none; replaced by the control
					 * thread under RCU (capture.h) */
	/* last: slot 0, the one PMD's, stays next to the fields above */
	struct vsw_stats stats[VSW_MAX_PMDS];	/* by the writing PMD */
};

struct vsw_switch {
	char name[LINKNAME_MAX];
	bool l2_shared;			/* its uplink learns on one PMD while
					 * ports of other PMDs look up: l2
					 * used under l2_lock (set while the
					 * PMDs are parked) */
	rte_spinlock_t l2_lock;
	struct l2_table l2;
	struct vsw_port *uplink;	/* NULL for an etherstub */
	struct vsw_port *ports[VSW_MAX_SW_PORTS];	/* VNICs */
	unsigned nports;
};

/* A PMD's view of every port, for forwarding (switch.c): every PMD has
 * every port in ports[] (a frame may go to any). */
struct vsw_dp {
	unsigned index;				/* the PMD's: ports it owns
						 * have pmd == index, its
						 * counters are stats[index] */
	struct vsw_port *ports[VSW_MAX_PORTS];	/* by id */
	struct rte_mempool *pool;
	struct rte_mempool *jumbo;		/* one-segment mbufs of
						 * NB_JUMBO_ROOM; NULL: frames
						 * over a pool mbuf are
						 * dropped */
	uint32_t queue_budget;			/* mbufs the ports' queues may
						 * hold together (0: no bound,
						 * VSW_TXQ_LEN each) */
	unsigned queue_weight;			/* queues sharing it: a VNIC
						 * 1, an uplink VSW_NPRIO */
	uint64_t now_ns;			/* this iteration's time */
	uint8_t flow_prio;			/* the frame being forwarded
						 * matched a flow: its priority
						 * + 1 (uplink queue); 0 none */
};

/* The longest frame port p takes or sends (without FCS): its MTU plus
 * the Ethernet header, plus a VLAN tag on the uplink (as Linux allows on
 * a device: the tag is not counted in the MTU). */
static inline uint32_t vsw_port_max_frame(const struct vsw_port *p)
{
	uint32_t mtu = p->props.mtu ? p->props.mtu : 1500;

	return mtu + 14 + (p->uplink ? 4 : 0);
}

/* switch.c, on the PMD thread (or a unit test standing in for it). */

/* The mbufs of a pool of pool_size that the ports' queues may hold
 * together; the rest stays free for frames being received, copies,
 * flows' queues and the per-thread caches. */
uint32_t switch_queue_budget(uint32_t pool_size);
/* How many ports of weight 1 (VNICs) a budget gives VSW_TXQ_MIN each. */
unsigned switch_max_queues(uint32_t queue_budget);

/* Give p (p->sw, p->uplink, and for a VNIC p->vid and p->mac set) an id
 * in dp and a place in its switch: a VNIC's address is registered in the
 * L2 table. Every port's share of dp->queue_budget is recomputed (a
 * queue above its new share loses its newest frames, counted as
 * queue_full drops). 0, -ENOSPC, -EBUSY (a second uplink), -EADDRINUSE,
 * -ENOBUFS (the shares would fall below VSW_TXQ_MIN). */
int switch_add_port(struct vsw_dp *dp, struct vsw_port *p);
/* Take p out of its switch and dp: its L2 entries go, its queued frames
 * are dropped. */
void switch_del_port(struct vsw_dp *dp, struct vsw_port *p);
/* Put props in effect on p: caps (token buckets full at now_ns), queue
 * bound, protection and priority. 0 or -ERANGE (maxbw). */
int switch_set_props(struct vsw_port *p, const struct link_props *props,
		     uint64_t now_ns);
/* Forward a burst taken from port in. */
void switch_input(struct vsw_dp *dp, struct vsw_port *in,
		  struct rte_mbuf **pkts, uint16_t n);
/* Forward one frame taken from in (untagged, VLAN vid) as switch_input
 * does after its checks; flows/flow_dp.c calls it for frames it
 * classified or held. */
void switch_forward(struct vsw_dp *dp, struct vsw_port *in, uint16_t vid,
		    struct rte_mbuf *m);
/* Send what waits for port p, within its cap and the port's room; the
 * number of frames sent. */
unsigned switch_flush(struct vsw_dp *dp, struct vsw_port *p);
/* Free every queued frame, counted as queue_full drops (port leaving). */
void switch_drain(struct vsw_dp *dp, struct vsw_port *p);
/* Move what other PMDs handed to p (owned by dp's PMD) into its queues:
 * the number of frames taken. */
unsigned switch_take_handoff(struct vsw_dp *dp, struct vsw_port *p);
/* true when p has frames queued. */
bool switch_pending(const struct vsw_port *p);

/* Frames queued towards p, all priorities. */
static inline unsigned vsw_queued(const struct vsw_port *p)
{
	unsigned n = 0;

	for (unsigned prio = 0; prio < VSW_NPRIO; prio++)
		n += p->txq[prio].count;
	return n;
}

/* Room for more frames in p's queue prio: within the queue's bound
 * (txq_limit) and p's share of the pool, which covers a VNIC's queues
 * together and each of an uplink's. */
static inline unsigned vsw_txq_room(const struct vsw_port *p, unsigned prio)
{
	unsigned n = p->txq[prio].count;
	unsigned held = p->uplink ? n : vsw_queued(p);

	if (n >= p->txq_limit || held >= p->txq_share)
		return 0;
	return MIN(p->txq_limit - n, p->txq_share - held);
}

/* Relaxed read of a counter the PMD writes. */
static inline uint64_t vsw_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* p's counters: every PMD's summed. */
static inline void vsw_stats_sum(const struct vsw_port *p,
				 struct vsw_stats *sum)
{
	const uint64_t *c;
	uint64_t *o = (uint64_t *)sum;
	size_t n = sizeof(*sum) / sizeof(uint64_t);

	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < VSW_MAX_PMDS; i++) {
		c = (const uint64_t *)&p->stats[i];
		for (size_t k = 0; k < n; k++)
			o[k] += vsw_read(&c[k]);
	}
}

static inline void vsw_add(uint64_t *c, uint64_t v)
{
	/* single writer: a plain read-modify-write, published atomically */
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

#endif
