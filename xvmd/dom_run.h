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
/* The same with params (stolen; NULL: none) and a time limit. */
int dom_hv_call_params(struct dom *d, const char *method, json_t *params,
		       int timeout_ms, json_t **result, struct verr *e);
/* hv ended (its socket closed, or it was destroyed or saved): on_*
 * actions, or the domain stops (a transient one is freed). */
void dom_hv_gone(struct dom *d);
/* Write d's runtime state ($XVM_RUNDIR/xvmd/NAME.json: id, pid, VNICs,
 * the running XML, migration settings), which a restarted xvmd adopts;
 * again when a setting in it changes. */
void dom_run_state_store(struct dom *d);
/* hv closed its socket and its exit is awaited (up to 3 s, on the
 * loop): fn(opaque) once the domain ended (stopped, or restarting); 1,
 * or 0 when nothing is awaited (fn not called), -ENOMEM. d's own end
 * may free it: fn gets no domain. */
int dom_when_stopped(struct dom *d, void (*fn)(void *opaque), void *opaque);
/* Destroy without asking hv (SIGKILL), then as dom_when_stopped() (fn
 * may be NULL: nobody waits). */
int dom_destroy_now(struct dom *d, void (*fn)(void *opaque), void *opaque);
/* Start hv for an inactive domain (d->restore set: from a save image),
 * as steps on the loop (VNICs, qemu-storage-daemon, hv, its status;
 * dom_run.c): 0 and done() once hv answers or a step failed (then
 * everything made is removed), or -errno with e now (nothing left).
 * Until then the domain is paused (starting up) and refuses lifecycle
 * changes ("is being started"). */
int dom_launch_async(struct dom *d, dom_restore_done_fn done, void *opaque,
		     struct verr *e);
/* hv's --disk argument for a raw disk whose file is image (its source,
 * or a vdisk's image): "path=IMAGE,format=raw[,readonly][,serial=S]
 * [,cache=none|writeback]"; 0, or -ENAMETOOLONG if it does not fit in
 * len. */
int dom_disk_arg(const struct dom_disk *dk, const char *image, char *buf,
		 size_t len);
/* In a child xvmd forked to run hv or qemu-storage-daemon, before its
 * exec: signals unblocked, a session of its own, stdin /dev/null, stdout
 * and stderr logfd. */
void dom_child_setup(int logfd);
/* Watch hv's control socket for state events; 0 or -errno. */
int dom_watch(struct dom *d);
void dom_unwatch(struct dom *d);
/* hv said it saved or migrated the guest and exits: its exit is
 * watched on the loop (10 s), then it is killed (its state is elsewhere
 * already); returns at once. */
void dom_save_wait_exit(struct dom *d);
/* Release what a running domain holds; it is now in state/reason. */
void dom_stopped(struct dom *d, int state, int reason);

#endif
