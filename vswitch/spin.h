/*
 * How long the idle PMD spins before it sleeps (pmd.c): 20 us to 1 ms,
 * adapted to what the sleeps show.
 *
 * - A sleep a kick ended within 100 us of its start says a spin that much
 *   longer would have caught the frame: the spin doubles, a probe. So does
 *   a frame found in the last look before sleeping.
 * - The probe is judged by the next sleep. When the gap before the frame
 *   is independent of the PMD (a sender descheduled on its own CPU for a
 *   moment), a longer spin shortens the sleep by as much (or the frame
 *   comes while spinning, and there is no sleep). When the sleep is just
 *   as short as before, the sender could not run while the PMD spun: it
 *   shares the PMD's CPU and sends only while the PMD sleeps, so a longer
 *   spin only delays it (a guest's vCPU on the PMD's CPU lost 90% of its
 *   rate to a 1 ms spin). Then the spin drops to the minimum and does not
 *   grow for SPIN_HOLD sleeps. A spin at the maximum that still wakes
 *   soon is halved, so that it is probed again.
 * - A sleep that ran out, or lasted over the maximum spin, halves it.
 * No clock of its own: the caller passes durations, so tests drive it.
 */
#ifndef VSW_SPIN_H
#define VSW_SPIN_H

#include "xvm/common.h"

#define SPIN_MIN_NS	20000ULL	/* idle this long before sleeping, */
#define SPIN_MAX_NS	1000000ULL	/* up to this */
#define SPIN_SOON_NS	100000ULL	/* a sleep a kick ended this soon
					 * might have been spent spinning */
#define SPIN_HOLD	16		/* sleeps at the minimum after a
					 * probe that did not pay */

struct spin {
	uint64_t spin_ns;	/* idle this long before sleeping */
	uint64_t probe_from;	/* spin_ns before a probe; 0: none open */
	uint64_t probe_slept;	/* the sleep that started the probe */
	unsigned hold;		/* sleeps left without a probe */
	bool slept;		/* a sleep since the last frames */
};

void spin_init(struct spin *s);

/* Frames after idling idle_ns: a probe whose spin bridged a longer gap
 * than the spin it started from (no sleep between) has paid. */
static inline void spin_work(struct spin *s, uint64_t idle_ns)
{
	if (s->probe_from && !s->slept && idle_ns > s->probe_from)
		s->probe_from = 0;
	s->slept = false;
}

/* Frames found in the last look before sleeping. */
void spin_caught(struct spin *s);

/* A sleep of slept_ns ended, by a port (woken) or not. */
void spin_slept(struct spin *s, bool woken, uint64_t slept_ns);

#endif
