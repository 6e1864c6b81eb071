/*
 * Token bucket (shaper.h). Tokens are bits; refill is rate * elapsed time
 * computed in 128 bits so 10 Gb/s over long idle periods cannot overflow.
 */
#include "shaper.h"

#define NS_PER_S	1000000000ULL
#define SHAPER_BURST_NS	100000000ULL	/* 100 ms */

uint64_t shaper_burst_for(uint64_t rate_bps)
{
	uint64_t b = (uint64_t)((unsigned __int128)rate_bps * SHAPER_BURST_NS /
				NS_PER_S);

	return MAX(b, 4ULL * SHAPER_FRAME_BITS);
}

int shaper_init_burst(struct shaper *s, uint64_t rate_bps,
		      uint64_t burst_bits, uint64_t now_ns)
{
	if (rate_bps != 0 &&
	    (rate_bps < SHAPER_MIN_BPS || rate_bps > SHAPER_MAX_BPS))
		return -ERANGE;
	if (burst_bits < SHAPER_FRAME_BITS || burst_bits > INT64_MAX / 2)
		return -ERANGE;
	s->rate_bps = rate_bps;
	s->burst_bits = burst_bits;
	s->tokens = (int64_t)burst_bits;
	s->last_ns = now_ns;
	return 0;
}

int shaper_init(struct shaper *s, uint64_t rate_bps, uint64_t now_ns)
{
	return shaper_init_burst(s, rate_bps, shaper_burst_for(rate_bps),
				 now_ns);
}

void shaper_refill(struct shaper *s, uint64_t now_ns)
{
	uint64_t dt, add;

	if (!s->rate_bps || now_ns <= s->last_ns)
		return;
	dt = now_ns - s->last_ns;
	if (dt > NS_PER_S)
		dt = NS_PER_S;	/* the bucket is full long before */
	add = (uint64_t)((unsigned __int128)s->rate_bps * dt / NS_PER_S);
	if (add == 0)
		return;		/* keep last_ns so fractions accumulate */
	/* advance the clock by exactly the time the tokens were earned for */
	s->last_ns += (uint64_t)((unsigned __int128)add * NS_PER_S / s->rate_bps);
	if (now_ns - s->last_ns > NS_PER_S)
		s->last_ns = now_ns;
	s->tokens += (int64_t)add;
	if (s->tokens > (int64_t)s->burst_bits)
		s->tokens = (int64_t)s->burst_bits;
}

unsigned shaper_allow(struct shaper *s, uint64_t now_ns, unsigned max,
		      uint32_t frame_bits)
{
	uint64_t n;

	if (!s->rate_bps)
		return max;
	shaper_refill(s, now_ns);
	if (s->tokens <= 0)
		return 0;
	if (frame_bits == 0)
		frame_bits = 1;
	/* one frame may overdraw: the debt is paid back before the next */
	n = (uint64_t)s->tokens / frame_bits + 1;
	return n < max ? (unsigned)n : max;
}

void shaper_charge(struct shaper *s, uint64_t bytes)
{
	if (s->rate_bps)
		s->tokens -= (int64_t)(bytes * 8);
}
