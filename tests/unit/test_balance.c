/*
 * Unit tests for vswitch/balance.c, the rule placing ports on PMDs,
 * driven as vswitchd drives it (place.c): a port is made (planned with
 * the others, not placed yet), then every port is planned again; a port
 * goes or a pin changes, and every port is planned again. Placements are
 * compared as text, one group per switch: "01|111" is switch 0's two
 * ports on PMD 0 and 1, switch 1's three on PMD 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "../../vswitch/balance.h"

#define MAXP	256

struct model {
	struct balance_port p[MAXP];	/* switches in order, oldest first */
	unsigned n, nsw, npmds;
	unsigned moved;			/* ports the last change moved */
	char text[MAXP * 2];
};

static void model_init(struct model *m, unsigned nsw, unsigned npmds)
{
	memset(m, 0, sizeof(*m));
	m->nsw = nsw;
	m->npmds = npmds;
}

/* Plan every port; count those that moved. */
static void model_plan(struct model *m)
{
	struct balance_port before[MAXP];

	memcpy(before, m->p, sizeof(before));
	CU_ASSERT_EQUAL_FATAL(balance_plan(m->p, m->n, m->nsw, m->npmds), 0);
	m->moved = 0;
	for (unsigned i = 0; i < m->n; i++)
		m->moved += before[i].pmd >= 0 && before[i].pmd != m->p[i].pmd;
}

/* A new port on switch sw (pinned to pin, or -1), as vswitchd makes it:
 * its PMD from a plan with it, then a plan of all. */
static void model_add(struct model *m, unsigned sw, int pin)
{
	struct balance_port tmp[MAXP];
	unsigned at = 0;

	while (at < m->n && m->p[at].sw <= sw)
		at++;
	memmove(&m->p[at + 1], &m->p[at], (m->n - at) * sizeof(m->p[0]));
	m->p[at] = (struct balance_port){ .sw = sw, .pin = pin, .pmd = -1 };
	m->n++;
	memcpy(tmp, m->p, sizeof(tmp));
	CU_ASSERT_EQUAL_FATAL(balance_plan(tmp, m->n, m->nsw, m->npmds), 0);
	m->p[at].pmd = tmp[at].pmd;
	model_plan(m);
}

static void model_add_n(struct model *m, unsigned sw, unsigned count)
{
	while (count--)
		model_add(m, sw, -1);
}

/* The k-th port (0 oldest) of switch sw. */
static unsigned model_index(const struct model *m, unsigned sw, unsigned k)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->p[i].sw == sw && k-- == 0)
			return i;
	CU_FAIL_FATAL("no such port");
	return 0;
}

static void model_del(struct model *m, unsigned sw, unsigned k)
{
	unsigned i = model_index(m, sw, k);

	memmove(&m->p[i], &m->p[i + 1], (m->n - i - 1) * sizeof(m->p[0]));
	m->n--;
	model_plan(m);
}

/* A pin set, or reset (-1): then placed as a new port, as place.c does. */
static void model_pin(struct model *m, unsigned sw, unsigned k, int pin)
{
	unsigned i = model_index(m, sw, k);

	if (pin < 0 && m->p[i].pin >= 0)
		m->p[i].pmd = -1;
	m->p[i].pin = pin;
	model_plan(m);
}

static const char *model_text(struct model *m)
{
	char *t = m->text;

	*t = 0;
	for (unsigned s = 0; s < m->nsw; s++) {
		if (s)
			*t++ = '|';
		for (unsigned i = 0; i < m->n; i++)
			if (m->p[i].sw == s)
				*t++ = (char)('0' + m->p[i].pmd);
	}
	*t = 0;
	return m->text;
}

#define CHECK_PLACED(m, want) do {					\
	const char *got_ = model_text(m);				\
	if (strcmp(got_, want))						\
		fprintf(stderr, "\n  placed %s, expected %s\n", got_, want); \
	CU_ASSERT_STRING_EQUAL(got_, want);				\
} while (0)

/* The measured case: two pairs on one etherstub, two PMDs. Split, every
 * frame crossed PMDs (0.36x one PMD here); whole, none does. */
static void test_small_switch_whole(void)
{
	struct model m;

	model_init(&m, 1, 2);
	model_add_n(&m, 0, 4);
	CHECK_PLACED(&m, "0000");
	model_add_n(&m, 0, 4);
	CHECK_PLACED(&m, "00000000");	/* BALANCE_SPLIT_MIN: still whole */
}

/* A pair per etherstub: each on a PMD of its own, nothing crosses. */
static void test_switches_spread(void)
{
	struct model m;

	model_init(&m, 3, 2);
	model_add_n(&m, 0, 2);
	model_add_n(&m, 1, 2);
	CHECK_PLACED(&m, "00|11|");
	CU_ASSERT_EQUAL(m.moved, 0);
	model_add_n(&m, 2, 2);		/* a tie: the lower PMD */
	CHECK_PLACED(&m, "00|11|00");
	CU_ASSERT_EQUAL(m.moved, 0);
	/* a port more on switch 1: no better balance by moving a switch */
	model_add(&m, 1, -1);
	CHECK_PLACED(&m, "00|111|00");
	CU_ASSERT_EQUAL(m.moved, 0);
}

/* Switches are interleaved when made in turn: whole, balanced. */
static void test_switches_grow_in_turn(void)
{
	struct model m;

	model_init(&m, 4, 2);
	for (unsigned round = 0; round < 3; round++)
		for (unsigned s = 0; s < 4; s++)
			model_add(&m, s, -1);
	CHECK_PLACED(&m, "000|111|000|111");
}

/* A switch going leaves a PMD idle: a whole switch moves there. */
static void test_rebalance_on_delete(void)
{
	struct model m;

	model_init(&m, 3, 2);
	model_add_n(&m, 0, 2);
	model_add_n(&m, 1, 2);
	model_add_n(&m, 2, 2);
	CHECK_PLACED(&m, "00|11|00");
	model_del(&m, 1, 0);
	/* 4 ports on PMD 0, 1 on PMD 1: the lower switch moves whole */
	CHECK_PLACED(&m, "11|1|00");
	CU_ASSERT_EQUAL(m.moved, 2);
	model_del(&m, 1, 0);
	CHECK_PLACED(&m, "11||00");
	CU_ASSERT_EQUAL(m.moved, 0);
	/* and nothing moves back when it comes again */
	model_add_n(&m, 1, 2);
	CHECK_PLACED(&m, "11|00|00");
	CU_ASSERT_EQUAL(m.moved, 0);
}

/* Much bigger than the others: split, its newest ports moved, the
 * small switch whole. */
static void test_big_switch_split(void)
{
	struct model m;

	model_init(&m, 2, 2);
	model_add_n(&m, 0, 16);
	CHECK_PLACED(&m, "0000000011111111|");
	model_add_n(&m, 1, 2);
	CHECK_PLACED(&m, "0000000001111111|11");
	/* balanced as can be: planning again moves nothing */
	model_plan(&m);
	CU_ASSERT_EQUAL(m.moved, 0);
	/* the small one goes: the big one is split evenly again */
	model_del(&m, 1, 0);
	model_del(&m, 1, 0);
	CHECK_PLACED(&m, "0000000011111111|");
	/* shrinking to BALANCE_SPLIT_MIN makes it whole again, at home */
	for (unsigned i = 0; i < 8; i++)
		model_del(&m, 0, 15 - i);
	CHECK_PLACED(&m, "00000000|");
}

/* Pins filling the big switch's home: it moves whole if it can; held
 * there by a pin of its own, all its ports may leave but the oldest,
 * which keeps the home (planning again moves nothing). */
static void test_big_switch_pinned_home(void)
{
	struct model m;

	model_init(&m, 2, 2);
	model_add_n(&m, 0, 10);
	CHECK_PLACED(&m, "0000011111|");
	for (unsigned i = 0; i < 20; i++)
		model_add(&m, 1, 0);
	CHECK_PLACED(&m, "1111111111|00000000000000000000");
	model_init(&m, 2, 2);
	model_add(&m, 0, 0);
	model_add_n(&m, 0, 10);
	CHECK_PLACED(&m, "00000011111|");
	for (unsigned i = 0; i < 20; i++)
		model_add(&m, 1, 0);
	CHECK_PLACED(&m, "00111111111|00000000000000000000");
	model_plan(&m);
	CU_ASSERT_EQUAL(m.moved, 0);
}

/* Four PMDs, one big switch: in four, its oldest ports at home. */
static void test_big_switch_four_pmds(void)
{
	struct model m;

	model_init(&m, 1, 4);
	model_add_n(&m, 0, 20);
	CHECK_PLACED(&m, "00000222221111133333");
	model_plan(&m);
	CU_ASSERT_EQUAL(m.moved, 0);
}

/* A pinned port stays pinned and moves nobody else of its switch. */
static void test_pins(void)
{
	struct model m;

	model_init(&m, 2, 2);
	model_add_n(&m, 0, 4);
	model_add_n(&m, 1, 2);
	CHECK_PLACED(&m, "0000|11");
	model_pin(&m, 0, 1, 1);
	CHECK_PLACED(&m, "0100|11");
	CU_ASSERT_EQUAL(m.moved, 1);
	model_pin(&m, 0, 1, 0);
	CHECK_PLACED(&m, "0000|11");
	/* the pin counts in the load: 3 + 1 on PMD 1, 3 on PMD 0 */
	model_pin(&m, 1, 0, 1);
	model_pin(&m, 0, 0, 1);
	CHECK_PLACED(&m, "1000|11");
	/* a new switch whose first port is pinned: the next one joins it */
	model_init(&m, 2, 2);
	model_add_n(&m, 0, 2);
	model_add(&m, 1, 1);
	model_add(&m, 1, -1);
	CHECK_PLACED(&m, "00|11");
	/* a switch with a pinned port at home stays whole with it, even
	 * with the other PMD idle */
	model_del(&m, 0, 0);
	model_del(&m, 0, 0);
	CHECK_PLACED(&m, "|11");
	model_add_n(&m, 0, 2);
	CHECK_PLACED(&m, "00|11");
	/* pinned away from home, unpinned: back home */
	model_pin(&m, 0, 0, 1);
	model_pin(&m, 0, 0, -1);
	CHECK_PLACED(&m, "00|11");
}

/* Pins that fill a PMD push the others to the other one, whole. */
static void test_pins_weigh(void)
{
	struct model m;

	model_init(&m, 2, 2);
	for (unsigned i = 0; i < 4; i++)
		model_add(&m, 0, 0);
	model_add_n(&m, 1, 3);
	CHECK_PLACED(&m, "0000|111");
	/* switch 0 unpinned: balanced enough as it is (4 and 3) */
	for (unsigned i = 0; i < 4; i++)
		model_pin(&m, 0, i, -1);
	CHECK_PLACED(&m, "0000|111");
	CU_ASSERT_EQUAL(m.moved, 0);
}

static void test_one_pmd(void)
{
	struct model m;

	model_init(&m, 2, 1);
	model_add_n(&m, 0, 12);
	model_add_n(&m, 1, 3);
	CHECK_PLACED(&m, "000000000000|000");
}

static void test_bad_input(void)
{
	struct balance_port p[3] = {
		{ .sw = 0, .pin = -1, .pmd = 1 }, { .sw = 1, .pin = -1, .pmd = 1 },
		{ .sw = 0, .pin = -1, .pmd = 1 },
	};

	CU_ASSERT_EQUAL(balance_plan(p, 3, 2, 2), -EINVAL);	/* apart */
	CU_ASSERT_EQUAL(p[0].pmd, 1);
	p[2].sw = 1;
	CU_ASSERT_EQUAL(balance_plan(p, 3, 1, 2), -EINVAL);	/* sw >= nsw */
	CU_ASSERT_EQUAL(balance_plan(p, 3, 2, 0), -EINVAL);
	CU_ASSERT_EQUAL(balance_plan(p, 3, 2, BALANCE_MAX_PMDS + 1), -EINVAL);
	p[1].pin = 2;
	CU_ASSERT_EQUAL(balance_plan(p, 3, 2, 2), -EINVAL);	/* pin >= npmds */
	p[1].pin = -1;
	p[1].pmd = -2;
	CU_ASSERT_EQUAL(balance_plan(p, 3, 2, 2), -EINVAL);
	p[1].pmd = 1;
	CU_ASSERT_EQUAL(balance_plan(p, 3, 2, 2), 0);
	CU_ASSERT_EQUAL(balance_plan(p, 0, 0, 2), 0);		/* nothing */
}

/* Random changes: pins hold, small switches stay whole, the same input
 * gives the same plan, and a plan is a fixed point (planning again
 * without a change moves nothing). */
static void test_random_invariants(void)
{
	struct model m;
	unsigned seed = 12345;

	for (unsigned run = 0; run < 400; run++) {
		unsigned npmds = 1 + run % 4;

		/* six switches, or two that grow big enough to split */
		model_init(&m, run % 8 < 4 ? 6 : 2, npmds);
		for (unsigned step = 0; step < 60; step++) {
			unsigned r = rand_r(&seed), sw = r % m.nsw;
			struct balance_port again[MAXP];

			if (r % 7 == 0 && m.n)
				model_del(&m, m.p[r % m.n].sw, 0);
			else if (r % 5 == 0 && m.n)
				model_pin(&m, m.p[r % m.n].sw, 0,
					  r % 3 ? (int)(r % npmds) : -1);
			else if (m.n < MAXP - 1)
				model_add(&m, sw, r % 11 == 0 ?
					  (int)(r % npmds) : -1);
			memcpy(again, m.p, sizeof(again));
			model_plan(&m);
			CU_ASSERT_EQUAL(m.moved, 0);
			CU_ASSERT_EQUAL(memcmp(again, m.p, sizeof(again)), 0);
			for (unsigned s = 0; s < m.nsw; s++) {
				int pmd = -1;
				unsigned size = 0;
				bool whole = true;

				for (unsigned i = 0; i < m.n; i++) {
					struct balance_port *p = &m.p[i];

					if (p->sw != s)
						continue;
					CU_ASSERT(p->pmd >= 0 && p->pmd < (int)npmds);
					if (p->pin >= 0) {
						CU_ASSERT_EQUAL(p->pmd, p->pin);
						continue;
					}
					size++;
					whole &= pmd < 0 || p->pmd == pmd;
					pmd = p->pmd;
				}
				CU_ASSERT(whole || size > BALANCE_SPLIT_MIN);
			}
		}
	}
}

static CU_TestInfo tests[] = {
	{ "two pairs on one etherstub stay on one PMD", test_small_switch_whole },
	{ "switches spread over PMDs, whole", test_switches_spread },
	{ "switches made in turn: whole and balanced", test_switches_grow_in_turn },
	{ "a switch gone: another moves whole, once", test_rebalance_on_delete },
	{ "a switch much bigger than the others is split", test_big_switch_split },
	{ "... over four PMDs, its oldest ports at home", test_big_switch_four_pmds },
	{ "... its home full of pins: all leave but the oldest", test_big_switch_pinned_home },
	{ "pinned ports stay pinned, moving nobody else", test_pins },
	{ "pins weigh in the balance", test_pins_weigh },
	{ "one PMD: everything on it", test_one_pmd },
	{ "bad input refused, nothing changed", test_bad_input },
	{ "random changes: pins, whole switches, fixed point", test_random_invariants },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(balance, NULL, NULL, tests);
