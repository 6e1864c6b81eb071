/*
 * The stand-in daemon of the client suites (fake_rpc.h): a lib/rpc server
 * polled in a thread until told to stop, and canned answers that record
 * what was asked. The poll timeout bounds how long fake_rpc_stop() waits
 * for the thread.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_rpc.h"

#define FAKE_RPC_POLL_MS	20

struct fake_rpc {
	struct rpc_server *srv;
	pthread_t thread;
	atomic_bool stop;	/* set by fake_rpc_stop(), read by the thread */
};

static void *fake_rpc_loop(void *arg)
{
	struct fake_rpc *f = arg;
	struct pollfd pfd = { .fd = rpc_server_fd(f->srv), .events = POLLIN };

	while (!atomic_load(&f->stop)) {
		if (poll(&pfd, 1, FAKE_RPC_POLL_MS) > 0)
			rpc_server_dispatch(f->srv);
	}
	return NULL;
}

struct fake_rpc *fake_rpc_start(const char *path,
				const struct rpc_method *methods,
				size_t nmethods, void *ctx)
{
	struct fake_rpc *f = calloc(1, sizeof(*f));
	int rc;

	if (!f)
		return NULL;
	f->srv = rpc_server_open(path, methods, nmethods, ctx);
	if (!f->srv)
		goto fail;
	atomic_store(&f->stop, false);
	rc = pthread_create(&f->thread, NULL, fake_rpc_loop, f);
	if (rc) {
		errno = rc;
		goto fail;
	}
	return f;
fail:
	rc = errno;
	if (f->srv)
		rpc_server_close(f->srv);
	free(f);
	errno = rc;
	return NULL;
}

void fake_rpc_stop(struct fake_rpc *f)
{
	if (!f)
		return;
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
	rpc_server_close(f->srv);
	free(f);
}

int fake_rpc_answer(struct fake_rpc_canned *k, const char *method,
		    json_t *params, json_t **result, struct rpc_error *err)
{
	int ret = 0;

	pthread_mutex_lock(&k->lock);
	snprintf(k->method, sizeof(k->method), "%s", method);
	json_decref(k->params);
	k->params = json_deep_copy(params);
	if (k->errnum)
		ret = rpc_errorf(err, k->errnum, "%s", k->msg);
	else
		*result = json_deep_copy(k->result);
	pthread_mutex_unlock(&k->lock);
	return ret;
}

void fake_rpc_next(struct fake_rpc_canned *k, const char *result,
		   int errnum, const char *msg)
{
	pthread_mutex_lock(&k->lock);
	json_decref(k->result);
	k->result = result ? json_loads(result, 0, NULL) : json_object();
	k->errnum = errnum;
	k->msg = msg;
	k->method[0] = '\0';
	pthread_mutex_unlock(&k->lock);
}

char *fake_rpc_request(struct fake_rpc_canned *k)
{
	char *s;

	pthread_mutex_lock(&k->lock);
	s = json_dumps(k->params, JSON_COMPACT | JSON_SORT_KEYS);
	pthread_mutex_unlock(&k->lock);
	return s ? s : strdup("(none)");
}

void fake_rpc_canned_clear(struct fake_rpc_canned *k)
{
	pthread_mutex_lock(&k->lock);
	json_decref(k->params);
	json_decref(k->result);
	k->params = k->result = NULL;
	pthread_mutex_unlock(&k->lock);
}
