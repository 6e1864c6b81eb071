/*
 * What dom_run.c shares with dom_adopt.c and dom_cpu.c (internal to
 * xvmd's domain code; see dom.h for the public side).
 */
#ifndef XVMD_DOM_RUN_H
#define XVMD_DOM_RUN_H

#include <jansson.h>
#include "dom.h"

/* The next domain id to hand out (adoption moves it past adopted ids). */
extern int dom_next_id;

/* One call on the domain's hv control socket (5 s): 0, or -errno with e
 * filled. */
int dom_hv_call(struct dom *d, const char *method, json_t **result,
		struct verr *e);
/* Watch hv's control socket for state events; 0 or -errno. */
int dom_watch(struct dom *d);
void dom_unwatch(struct dom *d);
/* Release what a running domain holds; it is now in state/reason. */
void dom_stopped(struct dom *d, int state, int reason);

#endif
