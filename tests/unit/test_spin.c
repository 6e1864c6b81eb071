/*
 * Unit tests for vswitch/spin.c, the idle PMD's spin length, driven by a
 * model of the PMD's loop: each round the PMD moves a batch (WORK_NS),
 * spins spin_ns with nothing to do, then sleeps until the sender's kick.
 * - A sender on the PMD's own CPU runs only while the PMD sleeps: it
 *   fills its ring and kicks FILL_NS after the PMD went to sleep, however
 *   long the PMD spun. Spinning longer only delays it, so the spin must
 *   stay near the minimum (the rule it replaced doubled it on every such
 *   kick, up to 1 ms: the guest got 4% of the CPU it shared).
 * - A sender on a CPU of its own pausing GAP_NS between batches: the spin
 *   must grow until it bridges the pause (no more sleeps).
 * - Sleeps that run out bring the spin back to the minimum.
 */
#include "unit.h"
#include "../../vswitch/spin.h"

#define WORK_NS	30000ULL
#define FILL_NS	45000ULL
#define GAP_NS	90000ULL

/* One round with a sender that runs only while we sleep; the spin the
 * round used. */
static uint64_t round_shared(struct spin *s)
{
	uint64_t spun = s->spin_ns;

	spin_work(s, spun + FILL_NS);	/* the kick's frames */
	spin_slept(s, true, FILL_NS);
	return spun;
}

/* One round with a sender pausing GAP_NS on its own CPU: true if the PMD
 * slept. */
static bool round_own_cpu(struct spin *s)
{
	if (s->spin_ns >= GAP_NS) {	/* frames while spinning */
		spin_work(s, GAP_NS);
		return false;
	}
	spin_slept(s, true, GAP_NS - s->spin_ns);
	spin_work(s, GAP_NS);
	return true;
}

static void test_sender_on_our_cpu(void)
{
	struct spin s;
	uint64_t sum = 0, max = 0;

	spin_init(&s);
	for (int i = 0; i < 1000; i++) {
		uint64_t spun = round_shared(&s);

		sum += spun;
		max = MAX(max, spun);
	}
	/* probes to twice the minimum at most, rarely */
	CU_ASSERT(max <= 2 * SPIN_MIN_NS);
	CU_ASSERT(sum / 1000 <= SPIN_MIN_NS + SPIN_MIN_NS / 4);
	/* the sender's share of the CPU: FILL / (WORK + spin + FILL) */
	CU_ASSERT(FILL_NS * 1000 * 100 / (WORK_NS * 1000 + sum + FILL_NS * 1000) >= 40);
}

static void test_sender_on_our_cpu_from_max(void)
{
	struct spin s;
	uint64_t sum = 0;

	/* the sender moves onto our CPU while we spin the longest */
	spin_init(&s);
	s.spin_ns = SPIN_MAX_NS;
	for (int i = 0; i < 10; i++)
		round_shared(&s);
	CU_ASSERT(s.spin_ns <= 2 * SPIN_MIN_NS);
	for (int i = 0; i < 1000; i++)
		sum += round_shared(&s);
	CU_ASSERT(sum / 1000 <= SPIN_MIN_NS + SPIN_MIN_NS / 4);
}

static void test_sender_on_own_cpu(void)
{
	struct spin s;
	int sleeps = 0;

	spin_init(&s);
	for (int i = 0; i < 10; i++)
		round_own_cpu(&s);
	CU_ASSERT(s.spin_ns >= GAP_NS);
	for (int i = 0; i < 1000; i++)
		sleeps += round_own_cpu(&s);
	CU_ASSERT_EQUAL(sleeps, 0);
	CU_ASSERT(s.spin_ns <= SPIN_MAX_NS);
}

static void test_idle_shrinks(void)
{
	struct spin s;

	spin_init(&s);
	s.spin_ns = SPIN_MAX_NS;
	for (int i = 0; i < 10; i++)
		spin_slept(&s, false, 4000000);		/* ran out */
	CU_ASSERT_EQUAL(s.spin_ns, SPIN_MIN_NS);
	s.spin_ns = SPIN_MAX_NS;
	for (int i = 0; i < 10; i++)
		spin_slept(&s, true, 3000000);		/* woken late */
	CU_ASSERT_EQUAL(s.spin_ns, SPIN_MIN_NS);
	/* frames in the last look before sleeping: longer */
	spin_caught(&s);
	CU_ASSERT_EQUAL(s.spin_ns, 2 * SPIN_MIN_NS);
}

static CU_TestInfo tests[] = {
	{ "a sender on our CPU: the spin stays short", test_sender_on_our_cpu },
	{ "... also when it comes while we spin the longest", test_sender_on_our_cpu_from_max },
	{ "a sender pausing on its own CPU: the spin bridges it", test_sender_on_own_cpu },
	{ "sleeps that run out or last long shorten it", test_idle_shrinks },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(spin, NULL, NULL, tests);
