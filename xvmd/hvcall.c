/*
 * Control-socket calls on xvmd's loop (hvcall.h). Each call has its own
 * connection (hv's control server serves several), so a reply is the
 * first line with our id; events that arrive before it are skipped.
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

struct hvcall {
	int fd, tfd;
	char *out;		/* the request line not yet written */
	size_t out_len, out_off;
	char *in;		/* bytes of the reply read so far */
	size_t in_len, in_cap;
	char method[48];
	int timeout_ms;
	hvcall_fn fn;
	void *opaque;
};

static unsigned int hvcall_n;

unsigned int hvcall_pending(void)
{
	return hvcall_n;
}

static void hvcall_free(struct hvcall *h)
{
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

/* Call back once and forget the call. */
static void hvcall_end(struct hvcall *h, int rc, const json_t *result,
		       const char *msg)
{
	hvcall_fn fn = h->fn;
	void *opaque = h->opaque;

	hvcall_free(h);
	fn(opaque, rc, result, msg);
}

static void hvcall_fail(struct hvcall *h, int rc, const char *what)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s", h->method, what);
	hvcall_end(h, rc, NULL, msg);
}

/* A complete line: our reply (the call ends), or an event (skipped). */
static bool hvcall_line(struct hvcall *h, const char *line, size_t len)
{
	json_t *msg = json_loadb(line, len, 0, NULL);
	json_t *error, *id;

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
	error = json_object_get(msg, "error");
	if (error) {
		const char *code = json_string_value(json_object_get(error,
								     "code"));
		const char *m = json_string_value(json_object_get(error,
								  "message"));
		int rc = code ? rpc_errno_from_name(code) : EIO;

		hvcall_end(h, -(rc > 0 ? rc : EIO), NULL,
			   m ? m : "(no message)");
	} else if (!json_object_get(msg, "result")) {
		hvcall_fail(h, -EPROTO, "reply has neither result nor error");
	} else {
		hvcall_end(h, 0, json_object_get(msg, "result"), NULL);
	}
	json_decref(msg);
	return true;
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

int hvcall_start(const char *path, const char *method, json_t *params,
		 int timeout_ms, hvcall_fn fn, void *opaque)
{
	static json_int_t next_id;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct itimerspec its = {
		.it_value = { timeout_ms / 1000,
			      (long)(timeout_ms % 1000) * 1000000L },
	};
	struct hvcall *h = calloc(1, sizeof(*h));
	json_t *req = NULL;
	char *s = NULL;
	int rc = -ENOMEM;

	if (!h) {
		json_decref(params);
		return -ENOMEM;
	}
	hvcall_n++;
	h->fd = h->tfd = -1;
	h->fn = fn;
	h->opaque = opaque;
	h->timeout_ms = timeout_ms;
	snprintf(h->method, sizeof(h->method), "%s", method);
	req = json_pack("{s:I,s:s,s:o}", "id", ++next_id, "method", method,
			"params", params ? params : json_object());
	s = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!s)
		goto fail;
	h->out_len = strlen(s) + 1;
	h->out = realloc(s, h->out_len + 1);
	if (!h->out) {
		free(s);
		goto fail;
	}
	h->out[h->out_len - 1] = '\n';
	rc = -ENAMETOOLONG;
	if (strlen(path) >= sizeof(sa.sun_path))
		goto fail;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* nonblocking: a wedged server's full backlog gives EAGAIN */
	h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->fd < 0 || connect(h->fd, (struct sockaddr *)&sa,
				 sizeof(sa)) < 0) {
		rc = -errno;
		goto fail;
	}
	h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->tfd < 0) {
		rc = -errno;
		goto fail;
	}
	if (timeout_ms <= 0)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(h->tfd, 0, &its, NULL) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = loop_add(h->tfd, EPOLLIN, hvcall_timeout, h);
	if (rc < 0) {
		close(h->tfd);
		h->tfd = -1;
		goto fail;
	}
	/* the request is small: the socket buffer takes it at once, else
	 * the rest goes when the loop says it may */
	rc = loop_add(h->fd, EPOLLIN | EPOLLOUT, hvcall_event, h);
	if (rc < 0) {
		close(h->fd);
		h->fd = -1;
		goto fail;
	}
	return 0;
fail:
	hvcall_free(h);
	return rc;
}
