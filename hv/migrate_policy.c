/*
 * The live migration's two rules, pure functions of numbers so the unit
 * tests can pin them down (migrate_live.c applies them):
 *
 * - convergence (mig_converge): after each pre-copy round the dirty set
 *   is measured; the switch-over comes when sending it at the bandwidth
 *   measured so far (mig_bw_estimate: bytes over the time spent writing
 *   them, never above the limit in force) fits the downtime target. After MIG_ROUNDS_MAX
 *   rounds without that the migration fails with a message the user can
 *   act on (raise the downtime, or the bandwidth): hv never stops a guest
 *   for longer than it was allowed to.
 * - catching up (mig_catch_up): a dirty set that fits but is larger
 *   than MIG_LAST_PASS_PAGES is sent while the guest runs, and the next
 *   round follows at once, as long as each such round shrinks the set
 *   by a quarter (at most MIG_CATCH_UP_MAX of them): the pause gets
 *   what the guest wrote during a short round, not a whole round's set.
 * - the bandwidth limit (mig_bucket_*): a token bucket on the bytes
 *   written to the stream, refilled at the limit, holding at most
 *   MIG_BUCKET_BURST_MS worth; a write that overdraws it waits until the
 *   debt is paid.
 */
#include "migrate.h"

uint64_t mig_rate(uint64_t bytes, uint64_t ns)
{
	if (ns == 0)
		return 0;
	/* bytes * 1e9 / ns without overflow for any stream this size */
	if (bytes > UINT64_MAX / 1000000000ull)
		return bytes / (ns / 1000000000ull ? ns / 1000000000ull : 1);
	return bytes * 1000000000ull / ns;
}

uint64_t mig_bw_estimate(uint64_t sent_bytes, uint64_t send_ns,
			 uint64_t limit)
{
	uint64_t bw = mig_rate(sent_bytes, send_ns);

	if (limit && (bw == 0 || bw > limit))
		bw = limit;
	return bw;
}

enum mig_decision mig_converge(uint64_t dirty_bytes, uint64_t bw_bps,
			       uint32_t downtime_ms, unsigned int rounds,
			       unsigned int rounds_max, uint64_t *expect_ms)
{
	uint64_t ms;

	if (dirty_bytes == 0)
		ms = 0;
	else if (bw_bps == 0)		/* nothing measured: no estimate */
		ms = UINT64_MAX;
	else if (dirty_bytes > UINT64_MAX / 1000)
		ms = dirty_bytes / bw_bps * 1000;
	else
		ms = (dirty_bytes * 1000 + bw_bps - 1) / bw_bps;
	if (expect_ms)
		*expect_ms = ms;
	if (ms <= downtime_ms)
		return MIG_SWITCH;
	if (rounds >= rounds_max)
		return MIG_GIVE_UP;
	return MIG_GO_ON;
}

bool mig_catch_up(uint64_t pages, uint64_t prev_pages, unsigned int done)
{
	if (pages <= MIG_LAST_PASS_PAGES || done >= MIG_CATCH_UP_MAX)
		return false;
	/* the first time (prev_pages 0: after a full or a timed round), or
	 * while each round takes at least a quarter off the one before */
	return done == 0 || pages * 4 <= prev_pages * 3;
}

static uint64_t bucket_burst(uint64_t rate)
{
	uint64_t b = rate / (1000 / MIG_BUCKET_BURST_MS);

	return b < MIG_BUCKET_BURST_MIN ? MIG_BUCKET_BURST_MIN : b;
}

void mig_bucket_init(struct mig_bucket *b, uint64_t rate, uint64_t now_ns)
{
	b->rate = rate;
	b->tokens = (int64_t)bucket_burst(rate);
	b->last_ns = now_ns;
}

void mig_bucket_set_rate(struct mig_bucket *b, uint64_t rate, uint64_t now_ns)
{
	if (rate == b->rate)
		return;
	mig_bucket_take(b, now_ns, 0);	/* refill at the old rate first */
	b->rate = rate;
	if (b->tokens > (int64_t)bucket_burst(rate))
		b->tokens = (int64_t)bucket_burst(rate);
}

uint64_t mig_bucket_take(struct mig_bucket *b, uint64_t now_ns, uint64_t n)
{
	uint64_t dt = now_ns > b->last_ns ? now_ns - b->last_ns : 0;
	int64_t burst;

	b->last_ns = now_ns > b->last_ns ? now_ns : b->last_ns;
	if (b->rate == 0)
		return 0;		/* unlimited */
	burst = (int64_t)bucket_burst(b->rate);
	/* refill; with dt capped at 10 s and rate at MIG_BW_MAX_MIB the
	 * products below stay under 2^64 */
	if (dt > 10000000000ull)
		dt = 10000000000ull;
	b->tokens += (int64_t)(b->rate / 1000000000ull * dt +
			       b->rate % 1000000000ull * dt / 1000000000ull);
	if (b->tokens > burst)
		b->tokens = burst;
	b->tokens -= (int64_t)n;
	if (b->tokens >= 0)
		return 0;
	return ((uint64_t)-b->tokens * 1000000000ull + b->rate - 1) / b->rate;
}
