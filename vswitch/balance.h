/*
 * The rule that decides which PMD polls each port (place.c applies it,
 * vswitchd.8 "PMD threads", docs/vswitchd.md "Placement"). No DPDK: the
 * unit tests drive it with plain arrays.
 *
 * A switch (an etherstub, or a phys link's uplink with its VNICs) is the
 * unit: frames never go from one switch to another inside vswitchd, so a
 * switch whose ports share a PMD forwards without handing a frame to
 * another PMD. The rule, by port counts:
 *  1. A pinned port is on its PMD; it counts in that PMD's load but not
 *     in its switch's size (the ports that are not pinned).
 *  2. Each switch has a home: the PMD of its oldest port that is not
 *     pinned and is placed, or else of its oldest pinned port. Its ports
 *     that are not pinned all go home. A switch with none of these (new)
 *     goes to the least loaded PMD (ties to the lower), in switch order.
 *  3. Whole switches move from a busier PMD to a less busy one while a
 *     move brings the two closer (the move that lowers the sum of the
 *     squared loads most; ties to the lower switch, then PMD). A switch
 *     with a pinned port at its home does not move: its other ports stay
 *     with the pinned one (a pinned uplink keeps its VNICs).
 *  4. A switch of more than BALANCE_SPLIT_MIN such ports is split when
 *     the busiest PMD polling ports of one polls two or more more than
 *     the least loaded PMD: of the big switch it polls most of, its
 *     newest ports there, half the difference, go to the least loaded
 *     (ports made one after the other stay together), until no such PMD
 *     is left. Smaller switches are never split.
 * The result depends only on the ports, their order and where they are
 * now, so the same commands give the same placement; a change moves
 * only what the rule requires (a switch stays home while the balance
 * allows).
 */
#ifndef VSW_BALANCE_H
#define VSW_BALANCE_H

#include "xvm/common.h"

#define BALANCE_MAX_PMDS	16	/* VSW_MAX_PMDS */
#define BALANCE_MAX_SWITCHES	1024	/* switches with ports: at most
					 * one per port (VSW_MAX_PORTS) */
#define BALANCE_SPLIT_MIN	8	/* a switch of up to this many
					 * ports not pinned stays whole */

struct balance_port {
	unsigned sw;	/* its switch, 0..nsw-1: ties go to the lower */
	int pin;	/* the PMD it is pinned to (< npmds), or -1 */
	int pmd;	/* in: the PMD polling it now, -1 not placed yet
			 * (new, or its pin just reset: placed as new);
			 * out: the PMD to poll it */
};

/* Place n ports on npmds PMDs. Each switch's ports are together in
 * ports[], oldest first (an uplink before its VNICs). 0, or -EINVAL if
 * a count is out of range or a switch's ports are not together (ports[]
 * is then unchanged). */
int balance_plan(struct balance_port *ports, unsigned n, unsigned nsw,
		 unsigned npmds);

#endif
