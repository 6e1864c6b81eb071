/*
 * Name resolution off xvmd's loop (issue 12): getaddrinfo() may wait on
 * DNS for many seconds, so each lookup runs in a small detached thread
 * of its own and its answer comes back to the loop over a pipe, where
 * the callback runs. Loop thread only (but the lookup itself).
 */
#ifndef XVMD_RESOLVE_H
#define XVMD_RESOLVE_H

#include <netdb.h>

/* How many lookups may run at once; more are refused (-EAGAIN). */
#define RESOLVE_MAX	16

struct resolve;

/* gai: getaddrinfo()'s result (0, or an EAI_* code for gai_strerror);
 * ai: its list when gai is 0, freed after the call returns. */
typedef void (*resolve_fn)(void *opaque, int gai, const struct addrinfo *ai);

/* Look host (and port, may be NULL) up with hints: 0 and fn called
 * later on the loop (never from inside this call), *out the handle
 * until then; or -errno (-EAGAIN: too many lookups run). */
int resolve_start(const char *host, const char *port,
		  const struct addrinfo *hints, resolve_fn fn, void *opaque,
		  struct resolve **out);
/* fn will not be called (the thread's answer is dropped when it comes). */
void resolve_cancel(struct resolve *r);
/* Lookups whose thread has not answered yet (cancelled ones included). */
int resolve_pending(void);

#endif
