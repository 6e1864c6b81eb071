/*
 * One call on a control socket (an hv's, vswitchd's) without blocking
 * xvmd's loop (issue 12: no client waits on another domain's hv): the
 * request is sent on a nonblocking connection, the reply is read when
 * the loop says it is readable, and a timerfd bounds the wait. The
 * caller's callback runs once, on the loop, never from inside
 * hvcall_start().
 */
#ifndef XVMD_HVCALL_H
#define XVMD_HVCALL_H

#include <jansson.h>

/* rc 0 with result (borrowed; NULL means {}), or a negative errno with
 * msg: the server's error message, or what went wrong ("no reply within
 * 5000 ms", "connection closed"). */
typedef void (*hvcall_fn)(void *opaque, int rc, const json_t *result,
			  const char *msg);

/* Call method(params) (params stolen, NULL means {}) on the unix socket
 * at path; fn(opaque, ...) runs once when the reply comes, the
 * connection fails or timeout_ms passes. 0, or -errno (nothing will be
 * called back) when the socket cannot be reached at all: -ECONNREFUSED,
 * -ENOENT, -EAGAIN (backlog full), -EMFILE. */
int hvcall_start(const char *path, const char *method, json_t *params,
		 int timeout_ms, hvcall_fn fn, void *opaque);
/* One request of a batch. */
struct hvcall_req {
	const char *method;
	json_t *params;		/* stolen (NULL means {}) */
	hvcall_fn fn;
	void *opaque;
};
/* Several calls on one connection to path: the control protocol answers
 * requests sent without waiting one by one, in request order
 * (docs/control-protocol.md "Framing"), so n calls cost one socket and
 * one timer instead of n of each (issue 12: getAllDomainStats' VNICs
 * must not overflow vswitchd's listen backlog nor use up xvmd's fds).
 * Each reqs[k].fn runs once, when its reply comes, or when the
 * connection fails or timeout_ms passes (for the whole batch) for those
 * still unanswered. 0, or -errno as hvcall_start (no fn called). Every
 * params is taken either way (reqs[k].params set to NULL). */
int hvcall_start_batch(const char *path, struct hvcall_req *reqs,
		       unsigned int n, int timeout_ms);
/* Connections in flight (tests). */
unsigned int hvcall_pending(void);

#endif
