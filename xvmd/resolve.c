/*
 * Name resolution in a thread (resolve.h). The thread owns nothing but
 * its request until it writes the request's address into the pipe; the
 * loop reads it back, calls the owner unless it cancelled, and frees.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "xvm/atomicio.h"
#include "xvm/log.h"
#include "loop.h"
#include "resolve.h"

struct resolve {
	char host[256];
	char port[16];
	bool has_port;
	struct addrinfo hints;
	struct addrinfo *ai;	/* the thread's answer */
	int gai;
	bool cancelled;		/* loop side only */
	resolve_fn fn;
	void *opaque;
};

static int rs_pipe[2] = { -1, -1 };
static int rs_pending;

static void *rs_thread(void *arg)
{
	struct resolve *r = arg;
	int rc;

	r->gai = getaddrinfo(r->host, r->has_port ? r->port : NULL,
			     &r->hints, &r->ai);
	/* 8 bytes into a pipe go whole (PIPE_BUF); the loop reads them */
	rc = atomicio_write_all(rs_pipe[1], &r, sizeof(r));
	if (rc < 0)	/* not with a pipe xvmd keeps open */
		log_err("resolver: cannot hand the answer for %s back: %s",
			r->host, strerror(-rc));
	return NULL;
}

static void rs_answer(void *opaque, uint32_t events)
{
	struct resolve *r;
	ssize_t n;

	(void)opaque;
	(void)events;
	while ((n = read(rs_pipe[0], &r, sizeof(r))) == (ssize_t)sizeof(r)) {
		rs_pending--;
		if (!r->cancelled)
			r->fn(r->opaque, r->gai, r->gai ? NULL : r->ai);
		if (r->ai)
			freeaddrinfo(r->ai);
		free(r);
	}
}

static int rs_init(void)
{
	int rc;

	if (rs_pipe[0] >= 0)
		return 0;
	if (pipe2(rs_pipe, O_CLOEXEC) < 0)
		return -errno;
	fcntl(rs_pipe[0], F_SETFL, O_NONBLOCK);
	rc = loop_add(rs_pipe[0], EPOLLIN, rs_answer, NULL);
	if (rc < 0) {
		close(rs_pipe[0]);
		close(rs_pipe[1]);
		rs_pipe[0] = rs_pipe[1] = -1;
	}
	return rc;
}

int resolve_start(const char *host, const char *port,
		  const struct addrinfo *hints, resolve_fn fn, void *opaque,
		  struct resolve **out)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	struct resolve *r;
	int rc;

	if (strlen(host) >= sizeof(r->host) ||
	    (port && strlen(port) >= sizeof(r->port)))
		return -ENAMETOOLONG;
	if (rs_pending >= RESOLVE_MAX)
		return -EAGAIN;
	rc = rs_init();
	if (rc < 0)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	snprintf(r->host, sizeof(r->host), "%s", host);
	if (port) {
		snprintf(r->port, sizeof(r->port), "%s", port);
		r->has_port = true;
	}
	r->hints = *hints;
	r->hints.ai_canonname = NULL;
	r->hints.ai_addr = NULL;
	r->hints.ai_next = NULL;
	r->fn = fn;
	r->opaque = opaque;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	/* the thread takes no signal: xvmd's go to its signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = -pthread_create(&t, &attr, rs_thread, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc < 0) {
		free(r);
		return rc;
	}
	rs_pending++;
	*out = r;
	return 0;
}

void resolve_cancel(struct resolve *r)
{
	if (r)
		r->cancelled = true;
}

int resolve_pending(void)
{
	return rs_pending;
}
