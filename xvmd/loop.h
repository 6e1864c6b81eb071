/*
 * xvmd's one event loop (epoll, single thread): every fd it watches (the
 * libvirt sockets and their clients, each hv's control socket, consoles,
 * signals, timers) registers a callback here. Callbacks run on the loop
 * thread, one at a time, and may add or remove watches, their own
 * included.
 */
#ifndef XVMD_LOOP_H
#define XVMD_LOOP_H

#include <stdint.h>
#include "xvm/common.h"

typedef void (*loop_fn)(void *opaque, uint32_t events);

int loop_init(void);
/* Watch fd for events (EPOLLIN/EPOLLOUT); one watch per fd. 0 or -errno. */
int loop_add(int fd, uint32_t events, loop_fn fn, void *opaque);
int loop_mod(int fd, uint32_t events);
/* Stop watching (safe from inside any callback, also for fd's own). */
void loop_del(int fd);
/* Run callbacks until loop_stop(); timeout_ms bounds each wait so tick()
 * (may be NULL) runs at least that often. */
int loop_run(int tick_ms, void (*tick)(void));
void loop_stop(void);
/* Allow loop_run() again after loop_stop(). */
void loop_reset(void);
/* Wait up to timeout_ms for events and run their callbacks once. */
void loop_run_once(int timeout_ms);
/* Milliseconds on the monotonic clock. */
int64_t loop_now_ms(void);

#endif
