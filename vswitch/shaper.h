/*
 * Token bucket in bits for one direction of a VNIC (maxbw, 1.2 Mb/s to
 * 10 Gb/s). The data path asks shaper_allow() before taking frames from a
 * source and charges what it took with shaper_charge(); the bucket may go
 * into debt by the last frames taken, which later refills pay back, so the
 * long-run rate is exact. No clock of its own: callers pass nanoseconds, so
 * tests drive it with a fake clock.
 */
#ifndef VSW_SHAPER_H
#define VSW_SHAPER_H

#include "xvm/common.h"

#define SHAPER_MIN_BPS		1200000ULL
#define SHAPER_MAX_BPS		10000000000ULL
#define SHAPER_FRAME_BITS	(1518u * 8)	/* a full-size frame */

struct shaper {
	uint64_t rate_bps;	/* 0: unlimited */
	uint64_t burst_bits;	/* bucket depth */
	int64_t tokens;		/* bits; negative: debt */
	uint64_t last_ns;	/* time of the last refill */
};

/* The depth used for a rate: 100 ms worth of tokens, at least 4 full
 * frames, so neither the polling thread's naps nor it or the source
 * being descheduled on a busy host lose tokens, and a TCP flow through
 * the cap keeps its window open. Long-run rates are exact; after idling a
 * source may send one such burst at line rate. */
uint64_t shaper_burst_for(uint64_t rate_bps);

/* Start (or change) the rate; 0 means unlimited. A full bucket at now_ns.
 * -ERANGE for a rate outside SHAPER_MIN_BPS..SHAPER_MAX_BPS. */
int shaper_init(struct shaper *s, uint64_t rate_bps, uint64_t now_ns);
/* Like shaper_init, with an explicit depth (>= one full frame). */
int shaper_init_burst(struct shaper *s, uint64_t rate_bps,
		      uint64_t burst_bits, uint64_t now_ns);

/* Add the tokens earned since the last refill (capped at the depth). */
void shaper_refill(struct shaper *s, uint64_t now_ns);
/* How many frames of up to frame_bits may be taken now (refilling first),
 * at most max: 0 while in debt. Unlimited shapers return max. */
unsigned shaper_allow(struct shaper *s, uint64_t now_ns, unsigned max,
		      uint32_t frame_bits);
/* Charge bytes actually taken. */
void shaper_charge(struct shaper *s, uint64_t bytes);

static inline bool shaper_limited(const struct shaper *s)
{
	return s->rate_bps != 0;
}

#endif
