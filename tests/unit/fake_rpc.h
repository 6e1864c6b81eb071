/*
 * A stand-in daemon for the unit suites of our clients (hvctl, vnicadm,
 * lib/vswctl): a lib/rpc server on a unix socket, served by its own
 * thread, so a client called from the test thread talks to it as it
 * would to hv or vswitchd. The method handlers run on that thread.
 */
#ifndef XVM_TEST_FAKE_RPC_H
#define XVM_TEST_FAKE_RPC_H

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include "unit.h"
#include "xvm/rpc.h"

struct fake_rpc;

/* Listen on path with the methods (ctx passed to each handler) and serve
 * them in a new thread. NULL with errno set if the socket or the thread
 * cannot be made. */
struct fake_rpc *fake_rpc_start(const char *path,
				const struct rpc_method *methods,
				size_t nmethods, void *ctx);
/* Stop serving, join the thread, close the server. NULL is ignored. */
void fake_rpc_stop(struct fake_rpc *f);

/*
 * Canned answers, for suites that check the exact requests a client sends
 * (vnicadm, lib/vswctl): give a struct fake_rpc_canned as the ctx of
 * fake_rpc_start() and make each method with FAKE_RPC_CANNED. The server
 * thread and the test thread share it under lock.
 */
struct fake_rpc_canned {
	pthread_mutex_t lock;
	char method[32];	/* the last request's method; "" after
				 * fake_rpc_next(): none since */
	json_t *params;		/* the last request's params */
	json_t *result;		/* the next answer, unless errnum: */
	int errnum;		/* the next answer is this error, */
	const char *msg;	/* with this message */
};

#define FAKE_RPC_CANNED_INIT	{ .lock = PTHREAD_MUTEX_INITIALIZER }

/* A method `name` answered from the ctx's canned answer. */
#define FAKE_RPC_CANNED(fn, name)					\
	static int fn(void *ctx, struct rpc_conn *c UNUSED,		\
		      json_t *p, json_t **r, struct rpc_error *e)	\
	{ return fake_rpc_answer(ctx, name, p, r, e); }

/* On the server thread: record the request, answer as set. */
int fake_rpc_answer(struct fake_rpc_canned *k, const char *method,
		    json_t *params, json_t **result, struct rpc_error *err);
/* Answer the next request with result (JSON text; NULL: {}) or, if errnum
 * is not 0, the error errnum with msg; forget the last method. */
void fake_rpc_next(struct fake_rpc_canned *k, const char *result,
		   int errnum, const char *msg);
/* The last request's params as compact JSON with sorted keys ("(none)"),
 * to free. */
char *fake_rpc_request(struct fake_rpc_canned *k);
/* Drop the recorded params and the next answer (suite cleanup). */
void fake_rpc_canned_clear(struct fake_rpc_canned *k);

/* Assert the last request was method with params json (text). */
#define FAKE_RPC_CHECK_REQUEST(k, method_, json) do {			\
	char *req_ = fake_rpc_request(k);				\
	CU_ASSERT_STRING_EQUAL((k)->method, method_);			\
	CU_ASSERT_STRING_EQUAL(req_, json);				\
	free(req_);							\
} while (0)

#endif
