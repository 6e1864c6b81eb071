/*
 * Unit tests for vswitch/shaper.c: a token bucket driven by a fake clock
 * must pass the configured rate (within 1%) from 1.2 Mb/s to 10 Gb/s,
 * allow at most its burst after idling, and refuse rates out of range.
 */
#include <errno.h>

#include "unit.h"
#include "../../vswitch/shaper.h"

#define NS	1000000000ULL

/* Offer full-size frames for `secs` seconds, polling every poll_ns, and
 * return the bits let through. */
static uint64_t run(struct shaper *s, uint64_t t0, uint64_t secs,
		    uint64_t poll_ns, unsigned frame_bytes)
{
	uint64_t bits = 0;

	for (uint64_t t = t0; t < t0 + secs * NS; t += poll_ns) {
		unsigned n = shaper_allow(s, t, 32, frame_bytes * 8);

		for (unsigned i = 0; i < n; i++)
			shaper_charge(s, frame_bytes);
		bits += (uint64_t)n * frame_bytes * 8;
	}
	return bits;
}

static void test_rates(void)
{
	static const uint64_t rates[] = {
		1200000ULL, 10000000ULL, 50000000ULL, 100000000ULL,
		1000000000ULL, 10000000000ULL,
	};
	struct shaper s;

	for (size_t i = 0; i < ARRAY_SIZE(rates); i++) {
		/* poll fast enough for the rate: at most 32 frames a poll */
		uint64_t poll = rates[i] >= 1000000000ULL ? 20000 : 100000;
		uint64_t secs = 4, got, want = rates[i] * secs;

		CU_ASSERT_EQUAL_FATAL(shaper_init(&s, rates[i], 0), 0);
		got = run(&s, 0, secs, poll, 1514);
		/* what the full bucket lends at start is bounded by the burst */
		CU_ASSERT(got >= want - want / 100);
		CU_ASSERT(got <= want + shaper_burst_for(rates[i]) + 1514 * 8);
	}
}

static void test_small_frames_slow_poll(void)
{
	struct shaper s;
	uint64_t want = 50000000ULL * 2, got;

	/* 64-byte frames polled every ms: 50 Mb/s would be ~98 frames a
	 * poll, so the per-poll maximum of 32 is what limits, every poll,
	 * and never the cap (which is above it). */
	CU_ASSERT_EQUAL_FATAL(shaper_init(&s, 50000000ULL, 0), 0);
	got = run(&s, 0, 2, 1000000, 64);
	CU_ASSERT_EQUAL(got, 32ULL * 64 * 8 * 2000);
	/* with 1518-byte frames and 1 ms polls the rate holds */
	CU_ASSERT_EQUAL_FATAL(shaper_init(&s, 50000000ULL, 0), 0);
	got = run(&s, 0, 2, 1000000, 1518);
	CU_ASSERT(got >= want - want / 100);
	CU_ASSERT(got <= want + shaper_burst_for(50000000ULL) + 1518 * 8);
}

static void test_burst_after_idle(void)
{
	struct shaper s;
	uint64_t burst = shaper_burst_for(100000000ULL);
	unsigned taken = 0, n;

	CU_ASSERT_EQUAL(burst, 10000000);	/* 100 ms at 100 Mb/s */
	CU_ASSERT_EQUAL(shaper_burst_for(1200000), 120000);
	/* never less than 4 full frames */
	CU_ASSERT_EQUAL(shaper_burst_for(100000), 4 * 1518 * 8);
	CU_ASSERT_EQUAL_FATAL(shaper_init(&s, 100000000ULL, 0), 0);
	/* an hour idle: still only one burst at once */
	while ((n = shaper_allow(&s, 3600 * NS, 32, 1500 * 8)) > 0) {
		for (unsigned i = 0; i < n; i++)
			shaper_charge(&s, 1500);
		taken += n;
		CU_ASSERT_FATAL(taken < 10000);
	}
	CU_ASSERT(taken * 1500 * 8 >= burst);
	CU_ASSERT(taken * 1500 * 8 <= burst + 32 * 1500 * 8);
	/* in debt: nothing until the debt is paid */
	CU_ASSERT_EQUAL(shaper_allow(&s, 3600 * NS, 32, 12000), 0);
	CU_ASSERT(shaper_allow(&s, 3600 * NS + NS / 10, 32, 12000) > 0);
}

static void test_limits(void)
{
	struct shaper s;

	CU_ASSERT_EQUAL(shaper_init(&s, 1199999, 0), -ERANGE);
	CU_ASSERT_EQUAL(shaper_init(&s, 10000000001ULL, 0), -ERANGE);
	CU_ASSERT_EQUAL(shaper_init(&s, 0, 0), 0);
	CU_ASSERT(!shaper_limited(&s));
	CU_ASSERT_EQUAL(shaper_allow(&s, 0, 32, 12000), 32);
	CU_ASSERT_EQUAL(shaper_init_burst(&s, 1200000, 100, 0), -ERANGE);
}

static CU_TestInfo tests[] = {
	{ "rates 1.2M-10G", test_rates },
	{ "small frames and slow polls", test_small_frames_slow_poll },
	{ "burst after idle and debt", test_burst_after_idle },
	{ "limits", test_limits },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(shaper, NULL, NULL, tests);
