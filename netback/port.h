/*
 * netback: the port types vswitchd moves frames through, behind one const
 * ops table each (like bhyve's net_backend or OVS's netdev_class):
 *   "uplink"  a host interface through DPDK's af_packet PMD (uplink.c)
 *   "tap"     a host VNIC: a kernel tap interface (tap.c)
 *   "xnb"     a guest VNIC: a vhost-user server port (xnb.c)
 * Callers use the nb_* wrappers, never the ops members directly.
 *
 * Threads: open/close/set_mtu/link_state run on the control thread; rx, tx
 * and wait_begin/wait_end run on the PMD thread only, between the port being handed to
 * the PMD and the PMD handing it back (vswitch/pmd.c).
 */
#ifndef NB_PORT_H
#define NB_PORT_H

#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "xvm/common.h"
#include "xvm/mac.h"
#include "xvm/linkprop.h"

struct nb_port;

/* Frame sizes (without FCS). A frame of the largest MTU (9000, lib
 * linkprop's range) with its Ethernet header and one 802.1Q tag; the
 * jumbo pool's mbufs hold NB_JUMBO_ROOM bytes after their headroom, so
 * such a frame fits one mbuf (the switch works on one-segment frames). */
#define NB_MTU_MAX	9000
#define NB_MAX_FRAME	(NB_MTU_MAX + 14 + 4)
#define NB_JUMBO_ROOM	9216

struct nb_port_conf {
	const char *name;		/* the link name (tap: its interface name) */
	const char *ifname;		/* uplink: the host interface to attach */
	const char *path;		/* xnb: vhost-user socket to listen on */
	struct mac_addr mac;		/* tap: the interface's address */
	uint32_t mtu;			/* tap: 68..9000; uplink: the
					 * interface's when attached */
	struct rte_mempool *pool;	/* mbufs for received frames */
	struct rte_mempool *jumbo;	/* one-segment mbufs of NB_JUMBO_ROOM
					 * bytes, for frames too long for
					 * pool's (tap, uplink) */
	struct rte_rcu_qsbr *qsbr;	/* xnb: the PMD threads' quiescent state */
};

/* What a port counted itself, below the switch. */
struct nb_port_stats {
	uint64_t rx_missed;	/* frames lost before we could take them
				 * (af_packet ring overrun) */
	uint16_t rx_queues;	/* hardware (DPDK) receive and transmit */
	uint16_t tx_queues;	/* queues in use; 0 for a software port */
};

/* What an idle PMD sleeps on for a port (wait_begin). */
struct nb_wait {
	int fd;			/* borrowed: the PMD keeps a dup of it */
	uint64_t gen;		/* changes whenever fd may be another file
				 * (a guest reconnected), never otherwise */
	bool counter;		/* an eventfd the peer writes: the PMD reads
				 * it once it fired (a tap's fd holds frames
				 * and is left alone) */
};

struct nb_port_ops {
	const char *name;
	/* Control thread. Set p->priv; 0 or -errno (nothing left behind). */
	int (*open)(struct nb_port *p, const struct nb_port_conf *c);
	/* Control thread, once no PMD uses the port. Frees p->priv. */
	void (*close)(struct nb_port *p);
	/* PMD. Up to n received frames into pkts (mbufs from conf->pool or
	 * conf->jumbo; a chain of conf->pool's when the type cannot do
	 * otherwise, xnb); the count. */
	uint16_t (*rx_burst)(struct nb_port *p, struct rte_mbuf **pkts,
			     uint16_t n);
	/* PMD. Send up to n frames; the port owns (frees) the ones it
	 * accepted, pkts[0..ret); the rest stay the caller's (ring full). */
	uint16_t (*tx_burst)(struct nb_port *p, struct rte_mbuf **pkts,
			     uint16_t n);
	/* PMD. false while nothing can take frames (a guest VNIC without a
	 * frontend): what waits for the port is dropped, not hoarded. May
	 * be NULL: always true. */
	bool (*carrier)(const struct nb_port *p);
	/* PMD, before the idle PMD sleeps: fill w with an fd that becomes
	 * readable when rx_burst has frames (a guest VNIC turns its guest's
	 * notifications on: the guest then kicks that fd). 0; -EAGAIN when
	 * the port cannot wake us (it must be polled); -ENOTCONN when no
	 * frame can come (no peer). May be NULL: -EAGAIN. The PMD checks the
	 * port once more after this, so a frame that came just before is not
	 * missed. */
	int (*wait_begin)(struct nb_port *p, struct nb_wait *w);
	/* PMD, after the sleep (whatever wait_begin returned): notifications
	 * off again, the port is polled. May be NULL. */
	void (*wait_end)(struct nb_port *p);
	/* Control thread. 0 or -errno (-ENOTSUP). May be NULL. */
	int (*set_mtu)(struct nb_port *p, uint32_t mtu);
	/* Control thread: the CPUs (bit n of mask[n / 64]: CPU n; nwords
	 * words; all zero: none) that process what the port hands the
	 * host's stack (a tap's receive packet steering). 0 or -errno
	 * (-ENOTSUP). May be NULL. */
	int (*set_cpus)(struct nb_port *p, const uint64_t *mask,
			unsigned nwords);
	/* Control thread. 1 up, 0 down, -1 unknown. */
	int (*link_state)(const struct nb_port *p);
	/* Control thread (reads counters the port keeps). May be NULL: all
	 * zero. 0 or -errno. */
	int (*stats)(const struct nb_port *p, struct nb_port_stats *st);
};

struct nb_port {
	const struct nb_port_ops *ops;
	void *priv;			/* the type's own state */
	int wake_fd;			/* the eventfd of the PMD that polls
					 * it (nb_port_set_wake), -1 none */
	char name[LINKNAME_MAX];
};

extern const struct nb_port_ops nb_uplink_ops;
extern const struct nb_port_ops nb_tap_ops;
extern const struct nb_port_ops nb_xnb_ops;

/* Open a port of type ("uplink", "tap", "xnb"): the port, or NULL with
 * errno set. */
struct nb_port *nb_port_open(const char *type, const struct nb_port_conf *c);
void nb_port_close(struct nb_port *p);
int nb_port_set_mtu(struct nb_port *p, uint32_t mtu);
/* The PMD that polls p from now on wakes on fd (an eventfd; -1: none).
 * A port whose state changes outside the PMD's loop (xnb: a frontend
 * has connected, its kick fd is new) calls nb_port_wake() so an idle
 * PMD looks at it at once rather than at its nap's end: its first
 * frames, the RARP a migrated guest's hv asks for, go out then. */
void nb_port_set_wake(struct nb_port *p, int fd);
void nb_port_wake(struct nb_port *p);
int nb_port_set_cpus(struct nb_port *p, const uint64_t *mask,
		     unsigned nwords);
int nb_port_link_state(const struct nb_port *p);
int nb_port_stats(const struct nb_port *p, struct nb_port_stats *st);

static inline uint16_t nb_rx_burst(struct nb_port *p, struct rte_mbuf **pkts,
				   uint16_t n)
{
	return p->ops->rx_burst(p, pkts, n);
}

static inline uint16_t nb_tx_burst(struct nb_port *p, struct rte_mbuf **pkts,
				   uint16_t n)
{
	return p->ops->tx_burst(p, pkts, n);
}

static inline bool nb_carrier(const struct nb_port *p)
{
	return p->ops->carrier ? p->ops->carrier(p) : true;
}

static inline int nb_wait_begin(struct nb_port *p, struct nb_wait *w)
{
	return p->ops->wait_begin ? p->ops->wait_begin(p, w) : -EAGAIN;
}

static inline void nb_wait_end(struct nb_port *p)
{
	if (p->ops->wait_end)
		p->ops->wait_end(p);
}

#endif
