/*
 * The idle PMD's spin length (spin.h).
 */
#include "spin.h"

void spin_init(struct spin *s)
{
	*s = (struct spin){ .spin_ns = SPIN_MIN_NS };
}

static void spin_probe(struct spin *s, uint64_t slept_ns)
{
	s->probe_from = s->spin_ns;
	s->probe_slept = slept_ns;
	s->spin_ns = MIN(s->spin_ns * 2, SPIN_MAX_NS);
}

void spin_caught(struct spin *s)
{
	s->probe_from = 0;
	s->slept = false;
	s->spin_ns = MIN(s->spin_ns * 2, SPIN_MAX_NS);
}

void spin_slept(struct spin *s, bool woken, uint64_t slept_ns)
{
	bool soon = woken && slept_ns < SPIN_SOON_NS;

	s->slept = true;
	if (s->probe_from) {
		uint64_t grown = s->spin_ns - s->probe_from;

		s->probe_from = 0;
		/* the longer spin did not shorten the sleep by half its
		 * growth: the gap starts when we stop spinning */
		if (soon && slept_ns + grown / 2 > s->probe_slept) {
			s->spin_ns = SPIN_MIN_NS;
			s->hold = SPIN_HOLD;
			return;
		}
	}
	if (soon) {
		if (s->hold)
			s->hold--;
		else if (s->spin_ns >= SPIN_MAX_NS)
			s->spin_ns /= 2;
		else
			spin_probe(s, slept_ns);
	} else if (!woken || slept_ns > SPIN_MAX_NS) {
		s->spin_ns = MAX(s->spin_ns / 2, SPIN_MIN_NS);
		if (s->hold)
			s->hold--;
	}
}
