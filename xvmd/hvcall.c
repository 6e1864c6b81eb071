/*
 * Control-socket calls on xvmd's loop (hvcall.h). Each call has its own
 * connection (hv's control server serves several), so a reply is the
 * first line with our id; events that arrive before it are skipped. A
 * batch (hvcall_start_batch) is several requests on one connection, each
 * with its own id, its own callback and a share of the one timer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include "xvm/log.h"
#include "xvm/rpc.h"
#include "hvcall.h"
#include "loop.h"

#define HVCALL_MAX_REPLY	(1u << 20)

/* One request of a connection: its id is first_id + its index. */
struct hvcall_slot {
	hvcall_fn fn;
	void *opaque;
	char method[48];
	bool answered;
};

struct hvcall {
	int fd, tfd;
	char *out;		/* the request lines not yet written */
	size_t out_len, out_off;
	char *in;		/* bytes of the replies read so far */
	size_t in_len, in_cap;
	int timeout_ms;
	json_int_t first_id;
	unsigned int n, left;	/* requests, and those not answered */
	struct hvcall_slot *slots;
};

static unsigned int hvcall_n;

unsigned int hvcall_pending(void)
{
	return hvcall_n;
}

static void hvcall_free(struct hvcall *h)
{
	free(h->slots);
	if (h->fd >= 0) {
		loop_del(h->fd);
		close(h->fd);
	}
	if (h->tfd >= 0) {
		loop_del(h->tfd);
		close(h->tfd);
	}
	free(h->out);
	free(h->in);
	free(h);
	hvcall_n--;
}

/* Request k answered: its callback runs; after the last one, the call
 * is forgotten first. true if h is gone. */
static bool hvcall_answer(struct hvcall *h, unsigned int k, int rc,
			  const json_t *result, const char *msg)
{
	struct hvcall_slot s = h->slots[k];

	h->slots[k].answered = true;
	if (--h->left == 0) {
		hvcall_free(h);
		s.fn(s.opaque, rc, result, msg);
		return true;
	}
	s.fn(s.opaque, rc, result, msg);
	return false;
}

/* The connection failed: every request not answered gets rc and
 * "method: what", and the call is forgotten (before the callbacks). */
static void hvcall_fail(struct hvcall *h, int rc, const char *what)
{
	struct hvcall_slot *slots = h->slots;
	unsigned int n = h->n;
	char msg[160];

	h->slots = NULL;
	hvcall_free(h);
	for (unsigned int k = 0; k < n; k++) {
		if (slots[k].answered)
			continue;
		snprintf(msg, sizeof(msg), "%s: %s", slots[k].method, what);
		slots[k].fn(slots[k].opaque, rc, NULL, msg);
	}
	free(slots);
}

/* A complete line: a reply (its request ends; true if h is gone), or an
 * event (skipped). */
static bool hvcall_line(struct hvcall *h, const char *line, size_t len)
{
	json_t *msg = json_loadb(line, len, 0, NULL);
	json_t *error, *id;
	json_int_t k;
	bool gone;

	if (!json_is_object(msg)) {
		json_decref(msg);
		hvcall_fail(h, -EPROTO, "malformed reply from the server");
		return true;
	}
	id = json_object_get(msg, "id");
	if (!id) {		/* an event */
		json_decref(msg);
		return false;
	}
	if (json_is_integer(id)) {
		k = json_integer_value(id) - h->first_id;
	} else {
		/* null: a request the server could not read; replies come
		 * in request order, so it is the first one not answered */
		for (k = 0; k < (json_int_t)h->n && h->slots[k].answered; k++)
			;
	}
	if (k < 0 || k >= (json_int_t)h->n || h->slots[k].answered) {
		json_decref(msg);
		hvcall_fail(h, -EPROTO, "reply to no request of ours");
		return true;
	}
	error = json_object_get(msg, "error");
	if (error) {
		const char *code = json_string_value(json_object_get(error,
								     "code"));
		const char *m = json_string_value(json_object_get(error,
								  "message"));
		int rc = code ? rpc_errno_from_name(code) : EIO;

		gone = hvcall_answer(h, (unsigned int)k, -(rc > 0 ? rc : EIO),
				     NULL, m ? m : "(no message)");
	} else if (!json_object_get(msg, "result")) {
		char what[120];

		snprintf(what, sizeof(what), "%s: reply has neither result "
			 "nor error", h->slots[k].method);
		gone = hvcall_answer(h, (unsigned int)k, -EPROTO, NULL, what);
	} else {
		gone = hvcall_answer(h, (unsigned int)k, 0,
				     json_object_get(msg, "result"), NULL);
	}
	json_decref(msg);
	return gone;
}

static void hvcall_read(struct hvcall *h)
{
	for (;;) {
		char *nl;
		ssize_t n;

		if (h->in_cap - h->in_len < 4096) {
			size_t cap = h->in_cap ? h->in_cap * 2 : 8192;
			char *p;

			if (cap > HVCALL_MAX_REPLY + 4096) {
				hvcall_fail(h, -EPROTO, "reply too long");
				return;
			}
			p = realloc(h->in, cap);
			if (!p) {
				hvcall_fail(h, -ENOMEM, "out of memory");
				return;
			}
			h->in = p;
			h->in_cap = cap;
		}
		n = recv(h->fd, h->in + h->in_len, h->in_cap - h->in_len,
			 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			hvcall_fail(h, n == 0 ? -ECONNRESET : -errno,
				    n == 0 ? "connection closed by the server"
				    : strerror(errno));
			return;
		}
		h->in_len += (size_t)n;
		while ((nl = memchr(h->in, '\n', h->in_len))) {
			size_t len = (size_t)(nl - h->in);

			if (hvcall_line(h, h->in, len))
				return;		/* h is gone */
			memmove(h->in, nl + 1, h->in_len - len - 1);
			h->in_len -= len + 1;
		}
	}
}

/* Write what the socket takes; false if the call ended. */
static bool hvcall_write(struct hvcall *h)
{
	while (h->out_off < h->out_len) {
		ssize_t w = send(h->fd, h->out + h->out_off,
				 h->out_len - h->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		if (w < 0) {
			hvcall_fail(h, errno == EPIPE ? -ECONNRESET : -errno,
				    errno == EPIPE ? "connection closed by the "
				    "server" : strerror(errno));
			return false;
		}
		h->out_off += (size_t)w;
	}
	if (loop_mod(h->fd, EPOLLIN) < 0) {
		hvcall_fail(h, -EIO, "cannot watch the connection");
		return false;
	}
	return true;
}

static void hvcall_event(void *opaque, uint32_t events)
{
	struct hvcall *h = opaque;

	if ((events & EPOLLOUT) && h->out_off < h->out_len &&
	    !hvcall_write(h))
		return;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		hvcall_read(h);
}

static void hvcall_timeout(void *opaque, uint32_t events)
{
	struct hvcall *h = opaque;
	char what[64];

	(void)events;
	snprintf(what, sizeof(what), "no reply within %d ms", h->timeout_ms);
	hvcall_fail(h, -ETIMEDOUT, what);
}

/* The request lines of reqs, ids first_id.., into h->out: 0 or
 * -ENOMEM. Every params is taken. */
static int hvcall_format(struct hvcall *h, struct hvcall_req *reqs,
			 unsigned int n)
{
	FILE *f = open_memstream(&h->out, &h->out_len);
	int rc = f ? 0 : -ENOMEM;

	for (unsigned int k = 0; k < n; k++) {
		json_t *params = reqs[k].params;
		json_t *req;
		char *s;

		reqs[k].params = NULL;
		req = json_pack("{s:I,s:s,s:o}", "id", h->first_id + k,
				"method", reqs[k].method,
				"params", params ? params : json_object());
		s = req ? json_dumps(req, JSON_COMPACT) : NULL;
		json_decref(req);
		if (!s || !f || fprintf(f, "%s\n", s) < 0)
			rc = -ENOMEM;
		free(s);
	}
	if (f && fclose(f) != 0)
		rc = -ENOMEM;
	return rc;
}

/* A connection to path, nonblocking (a wedged server's full backlog
 * gives EAGAIN), and its timer: 0 or -errno. */
static int hvcall_connect(struct hvcall *h, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct itimerspec its = {
		.it_value = { h->timeout_ms / 1000,
			      (long)(h->timeout_ms % 1000) * 1000000L },
	};
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || connect(h->fd, (struct sockaddr *)&sa,
				 sizeof(sa)) < 0)
		return -errno;
	h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->tfd < 0)
		return -errno;
	if (h->timeout_ms <= 0)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(h->tfd, 0, &its, NULL) < 0)
		return -errno;
	rc = loop_add(h->tfd, EPOLLIN, hvcall_timeout, h);
	if (rc < 0) {
		close(h->tfd);
		h->tfd = -1;
		return rc;
	}
	/* the requests are small: the socket buffer takes them at once,
	 * else the rest goes when the loop says it may */
	rc = loop_add(h->fd, EPOLLIN | EPOLLOUT, hvcall_event, h);
	if (rc < 0) {
		close(h->fd);
		h->fd = -1;
	}
	return rc;
}

int hvcall_start_batch(const char *path, struct hvcall_req *reqs,
		       unsigned int n, int timeout_ms)
{
	static json_int_t next_id;
	struct hvcall *h = calloc(1, sizeof(*h));
	int rc = -ENOMEM;

	if (!h || !n || !(h->slots = calloc(n, sizeof(*h->slots)))) {
		for (unsigned int k = 0; k < n; k++) {
			json_decref(reqs[k].params);
			reqs[k].params = NULL;
		}
		free(h);
		return n ? -ENOMEM : -EINVAL;
	}
	hvcall_n++;
	h->fd = h->tfd = -1;
	h->n = h->left = n;
	h->timeout_ms = timeout_ms;
	h->first_id = next_id + 1;
	next_id += n;
	for (unsigned int k = 0; k < n; k++) {
		h->slots[k].fn = reqs[k].fn;
		h->slots[k].opaque = reqs[k].opaque;
		snprintf(h->slots[k].method, sizeof(h->slots[k].method), "%s",
			 reqs[k].method);
	}
	rc = hvcall_format(h, reqs, n);
	if (rc == 0)
		rc = hvcall_connect(h, path);
	if (rc < 0)
		hvcall_free(h);
	return rc;
}

int hvcall_start(const char *path, const char *method, json_t *params,
		 int timeout_ms, hvcall_fn fn, void *opaque)
{
	struct hvcall_req req = { method, params, fn, opaque };

	return hvcall_start_batch(path, &req, 1, timeout_ms);
}
