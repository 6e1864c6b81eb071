/*
 * Packet capture (vnicadm snoop; docs/vswitchd.md "Capture"): copies of a
 * link's frames, both directions, filtered by a classic BPF program the
 * client compiled with libpcap, handed from the PMD to the control thread
 * through a bounded ring, and streamed to the client as events on its
 * control connection.
 *
 *   capture_ring.c    the data-path half: a fixed set of slots (copied
 *                     bytes, never mbufs, so a slow reader holds no
 *                     buffer of the switch) passed over two
 *                     single-producer single-consumer rte_rings; the
 *                     PMD's entry points capture_rx()/capture_tx_*()
 *   capture_filter.c  checking a cBPF program from the wire, converting
 *                     it (rte_bpf_convert) and loading it (rte_bpf_load,
 *                     the JIT when there is one)
 *   capture.c         the control methods capture.start/stop/list, the
 *                     drain timer, the end of a capture (client gone,
 *                     link deleted, count reached)
 *
 * A port's captures are an immutable list the control thread replaces
 * (RCU: rte_rcu_qsbr with the PMD as reader), so the PMD pays one load
 * and one branch per burst when nobody captures.
 */
#ifndef VSW_CAPTURE_H
#define VSW_CAPTURE_H

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "xvm/common.h"

struct rte_bpf;
struct vsw_port;
struct vswd;

#define CAPTURE_SLOTS		1024	/* frames a capture may hold */
#define CAPTURE_SLOT_DATA	2048	/* bytes kept of a frame at most: a
					 * whole frame (one mbuf) */
#define CAPTURE_SNAPLEN_MAX	65535	/* the largest -s accepted */
#define CAPTURE_FILTER_MAX	4096	/* cBPF instructions (BPF_MAXINSNS) */
#define CAPTURE_PORT_MAX	16	/* captures of one link at once */

/* Direction as the switch sees it: rx from the port, tx to the port. */
enum capture_dir {
	CAPTURE_RX,
	CAPTURE_TX,
};

/* One copied frame. */
struct capture_slot {
	uint64_t ns;		/* CLOCK_MONOTONIC of the PMD's iteration */
	uint32_t len;		/* the frame's length */
	uint16_t caplen;	/* bytes in data */
	uint8_t dir;		/* enum capture_dir */
	uint8_t data[];
};

/* A filter ready to run: NULL accepts every frame. */
struct capture_filter {
	struct rte_bpf *bpf;
	uint64_t (*jit)(void *mbuf);	/* NULL: interpret */
};

/*
 * The ring of one capture. Fields above `captured` are set before it is
 * attached to a port and read-only after; the counters are written by the
 * PMD only (read with vsw_read()).
 */
struct capture_ring {
	struct rte_ring *free;		/* slot indexes the PMD may fill */
	struct rte_ring *full;		/* filled slots, for the reader */
	uint8_t *slots;
	size_t stride;			/* bytes between slots */
	uint32_t snaplen;		/* bytes kept of each frame */
	uint64_t limit;			/* stop after this many (0: none) */
	struct capture_filter filter;
	uint64_t captured;		/* frames put in the ring */
	uint64_t dropped;		/* matched, but no free slot */
	size_t map_len;			/* the mapping holding it all */
};

/* What the PMD reads from a port: the captures on it. Replaced whole. */
struct capture_list {
	unsigned n;
	struct capture_ring *ring[];
};

/* ---- capture_ring.c ---- */

/* A ring keeping snaplen (1..CAPTURE_SNAPLEN_MAX; at most
 * CAPTURE_SLOT_DATA are stored) bytes of each frame, at most limit frames
 * (0: no limit), with filter (taken over; a zeroed one accepts all).
 * NULL with errno. Any thread. */
struct capture_ring *capture_ring_create(uint32_t snaplen, uint64_t limit,
					 struct capture_filter *filter);
/* Once no PMD can see it (after an RCU grace period). NULL is fine. */
void capture_ring_destroy(struct capture_ring *r);
/* Reader: up to n filled slots (their indexes in idx), oldest first. */
unsigned capture_ring_take(struct capture_ring *r, uint32_t *idx,
			   unsigned n);
static inline const struct capture_slot *
capture_ring_slot(const struct capture_ring *r, uint32_t idx)
{
	return (const struct capture_slot *)(r->slots + (size_t)idx * r->stride);
}
/* Reader: give slots back to the PMD. */
void capture_ring_give(struct capture_ring *r, const uint32_t *idx,
		       unsigned n);

/* PMD: copy the frames of a burst that each capture's filter accepts. */
void capture_frames(const struct capture_list *cl, struct rte_mbuf **pkts,
		    uint16_t n, enum capture_dir dir, uint64_t now_ns);

/*
 * The PMD's hooks in switch.c. A port's list is read once per burst;
 * NULL (nobody captures) costs that load and a branch.
 */
static inline const struct capture_list *
capture_of(struct capture_list *const *where)
{
	return __atomic_load_n(where, __ATOMIC_ACQUIRE);
}
/* Frames the switch took from a port, before it changes them (an
 * uplink's tag is still there). */
static inline void capture_rx(const struct capture_list *cl,
			      struct rte_mbuf **pkts, uint16_t n,
			      uint64_t now_ns)
{
	if (unlikely(cl != NULL))
		capture_frames(cl, pkts, n, CAPTURE_RX, now_ns);
}
/*
 * Frames offered to a port (at most 32): the filters run before the send,
 * while the frames are the switch's; a frame some capture wants gets one
 * more reference across the send, and of those the port took (the first
 * sent of n) copies are made after it took them; then the references go.
 * t carries what hold found to done.
 */
struct capture_tx {
	uint32_t any;			/* frames some capture wants */
	uint32_t match[CAPTURE_PORT_MAX]; /* per capture of the list */
};
void capture_tx_hold(const struct capture_list *cl, struct rte_mbuf **pkts,
		     uint16_t n, struct capture_tx *t);
void capture_tx_done(const struct capture_list *cl, struct rte_mbuf **pkts,
		     uint16_t sent, uint16_t n, uint64_t now_ns,
		     const struct capture_tx *t);

/* ---- capture_filter.c ---- */

/* A classic BPF instruction as libpcap makes it (struct bpf_insn). */
struct capture_insn {
	uint16_t code;
	uint8_t jt;
	uint8_t jf;
	uint32_t k;
};

/*
 * Check a cBPF program before anything runs it: 1..CAPTURE_FILTER_MAX
 * instructions of known opcodes, jumps forward and inside the program,
 * scratch memory indexes below 16, no division by a constant zero, a
 * return last. 0, or -EINVAL with why (len bytes) saying what is wrong.
 */
int capture_filter_check(const struct capture_insn *ins, unsigned n,
			 char *why, size_t len);
/* Check, convert to eBPF and load: 0 with *f, or -errno with why. */
int capture_filter_load(const struct capture_insn *ins, unsigned n,
			struct capture_filter *f, char *why, size_t len);
void capture_filter_free(struct capture_filter *f);
/* true when f accepts m. */
bool capture_filter_match(const struct capture_filter *f, struct rte_mbuf *m);

/* ---- capture.c (control thread) ---- */

/* The port goes away (VNIC deleted, uplink detached): end its captures
 * (their clients get capture.end, "link deleted"). Before the port is
 * taken from the PMD. */
void capture_port_gone(struct vswd *d, struct vsw_port *p);

#endif
