/*
 * Which PMD polls each port: the rule of balance.h, over plain arrays.
 * Loads are port counts (place.c says why not measured load).
 */
#include <string.h>

#include "balance.h"

struct balance {
	struct balance_port *p;
	unsigned n, nsw, npmds;
	unsigned load[BALANCE_MAX_PMDS];
	unsigned first[BALANCE_MAX_SWITCHES];	/* its ports: [first, end) */
	unsigned end[BALANCE_MAX_SWITCHES];
	unsigned size[BALANCE_MAX_SWITCHES];	/* ports not pinned */
	int home[BALANCE_MAX_SWITCHES];		/* -1: none yet */
	bool anchored[BALANCE_MAX_SWITCHES];	/* a pinned port at home */
};

static unsigned balance_least(const struct balance *b)
{
	unsigned lo = 0;

	for (unsigned i = 1; i < b->npmds; i++)
		if (b->load[i] < b->load[lo])
			lo = i;
	return lo;
}

/* Each switch's ports [first, end); -EINVAL if one's are apart. */
static int balance_runs(struct balance *b)
{
	for (unsigned s = 0; s < b->nsw; s++)
		b->first[s] = b->end[s] = 0;
	for (unsigned i = 0; i < b->n; i++) {
		unsigned s = b->p[i].sw;

		if (s >= b->nsw)
			return -EINVAL;
		if (b->end[s] == 0)
			b->first[s] = i;
		else if (b->end[s] != i)
			return -EINVAL;
		b->end[s] = i + 1;
	}
	return 0;
}

/* Step 1 and 2: pinned ports on their PMD; each switch's home, the PMD
 * of its oldest placed port not pinned (or else of its oldest pinned
 * one), which a split (step 4) never moves: the next plan finds the
 * same home. */
static void balance_homes(struct balance *b)
{
	for (unsigned s = 0; s < b->nsw; s++) {
		int free_home = -1, pin_home = -1;

		b->size[s] = 0;
		for (unsigned i = b->first[s]; i < b->end[s]; i++) {
			struct balance_port *p = &b->p[i];

			if (p->pin >= 0) {
				p->pmd = p->pin;
				b->load[p->pin]++;
				if (pin_home < 0)
					pin_home = p->pin;
				continue;
			}
			b->size[s]++;
			if (free_home < 0)
				free_home = p->pmd;
		}
		b->home[s] = free_home >= 0 ? free_home : pin_home;
	}
	for (unsigned s = 0; s < b->nsw; s++) {
		b->anchored[s] = false;
		for (unsigned i = b->first[s]; i < b->end[s]; i++)
			b->anchored[s] |= b->p[i].pin >= 0 &&
					  b->p[i].pin == b->home[s];
		if (b->home[s] >= 0)
			b->load[b->home[s]] += b->size[s];
	}
	for (unsigned s = 0; s < b->nsw; s++) {
		if (b->home[s] >= 0 || !b->size[s])
			continue;
		b->home[s] = (int)balance_least(b);
		b->load[b->home[s]] += b->size[s];
	}
}

/* Step 3: one whole switch moved, if a move brings two PMDs closer; not
 * one anchored by a pinned port (its ports follow the pin). */
static bool balance_move_switch(struct balance *b)
{
	unsigned best_s = 0, best_to = 0;
	uint64_t best_gain = 0;

	for (unsigned s = 0; s < b->nsw; s++) {
		unsigned sz = b->size[s], hi;

		if (!sz || b->home[s] < 0 || b->anchored[s])
			continue;
		hi = b->load[b->home[s]];
		for (unsigned to = 0; to < b->npmds; to++) {
			/* (hi - sz)^2 + (lo + sz)^2 is below hi^2 + lo^2 by
			 * twice this */
			uint64_t lo = b->load[to], gain;

			if (lo + sz >= hi)
				continue;
			gain = (uint64_t)sz * (hi - lo - sz);
			if (gain > best_gain) {
				best_gain = gain;
				best_s = s;
				best_to = to;
			}
		}
	}
	if (!best_gain)
		return false;
	b->load[b->home[best_s]] -= b->size[best_s];
	b->load[best_to] += b->size[best_s];
	b->home[best_s] = (int)best_to;
	return true;
}

/* The ports of switch s on PMD k that a split may move: not pinned, and
 * not its oldest such port (which keeps its home where it is, so that
 * the next plan finds the same home and places the same). */
static unsigned balance_on(const struct balance *b, unsigned s, unsigned k)
{
	unsigned c = 0;
	bool oldest = true;

	for (unsigned i = b->first[s]; i < b->end[s]; i++) {
		if (b->p[i].pin >= 0)
			continue;
		c += !oldest && b->p[i].pmd == (int)k;
		oldest = false;
	}
	return c;
}

/* Whether PMD k polls a port of a switch big enough to split. */
static bool balance_has_big(const struct balance *b, unsigned k)
{
	for (unsigned s = 0; s < b->nsw; s++)
		if (b->size[s] > BALANCE_SPLIT_MIN && balance_on(b, s, k))
			return true;
	return false;
}

/* Step 4: the busiest PMD polling ports of a big switch, if it has two
 * or more ports more than the least loaded: of the big switch it polls
 * most of, half the difference moved to the least loaded, the newest
 * ports (so ports made one after the other, a guest's or a pair's,
 * mostly stay together). */
static bool balance_split_one(struct balance *b)
{
	unsigned lo = balance_least(b), sw = 0, most = 0, k;
	int hi = -1;

	for (unsigned pmd = 0; pmd < b->npmds; pmd++)
		if (b->load[pmd] >= b->load[lo] + 2 && balance_has_big(b, pmd) &&
		    (hi < 0 || b->load[pmd] > b->load[hi]))
			hi = (int)pmd;
	if (hi < 0)
		return false;
	for (unsigned s = 0; s < b->nsw; s++) {
		unsigned on = b->size[s] > BALANCE_SPLIT_MIN ?
			      balance_on(b, s, (unsigned)hi) : 0;

		if (on > most) {
			most = on;
			sw = s;
		}
	}
	/* newest first: k runs out before the oldest, which most left out */
	k = MIN(most, (b->load[hi] - b->load[lo]) / 2);
	for (unsigned i = b->end[sw]; k && i-- > b->first[sw];) {
		struct balance_port *p = &b->p[i];

		if (p->pin < 0 && p->pmd == hi) {
			p->pmd = (int)lo;
			b->load[hi]--;
			b->load[lo]++;
			k--;
		}
	}
	return true;
}

int balance_plan(struct balance_port *ports, unsigned n, unsigned nsw,
		 unsigned npmds)
{
	static struct balance b;

	if (!npmds || npmds > BALANCE_MAX_PMDS || nsw > BALANCE_MAX_SWITCHES)
		return -EINVAL;
	memset(&b, 0, sizeof(b));
	b.p = ports;
	b.n = n;
	b.nsw = nsw;
	b.npmds = npmds;
	if (balance_runs(&b) < 0)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (ports[i].pin < -1 || ports[i].pin >= (int)npmds ||
		    ports[i].pmd < -1 || ports[i].pmd >= (int)npmds)
			return -EINVAL;
	balance_homes(&b);
	while (balance_move_switch(&b))
		;
	for (unsigned i = 0; i < n; i++)
		if (ports[i].pin < 0)
			ports[i].pmd = b.home[ports[i].sw];
	while (balance_split_one(&b))
		;
	return 0;
}
