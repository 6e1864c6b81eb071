/*
 * The control-socket RPC client (include/xvm/rpc.h): CLIs, xvmd and tests
 * call a daemon's methods and watch its events. One call at a time; events
 * that arrive while waiting for a reply are queued for
 * rpc_client_next_event(). Replies are matched by id, so a reply that comes
 * after its call timed out is recognised and dropped.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "rpc_wire.h"

#define RPC_CLIENT_MAX_LINE	(16u << 20)	/* longest reply accepted */
#define RPC_CLIENT_MAX_EVENTS	4096		/* queued, oldest dropped */

struct rpc_client {
	int fd;
	bool broken;		/* a request was half written: unusable */
	json_int_t next_id;
	struct rpc_inbuf in;
	json_t *events;		/* array: events not yet handed out */
};

static int64_t rpc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until deadline (-1: none) as a poll() timeout. */
static int rpc_remaining(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - rpc_now_ms();
	if (left <= 0)
		return 0;
	return left > 1000000000 ? 1000000000 : (int)left;
}

static int64_t rpc_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : rpc_now_ms() + timeout_ms;
}

/* Wait for fd to be ready for `what`: 0, -ETIMEDOUT or -errno. */
static int rpc_wait(int fd, short what, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = what };
	int n;

	do {
		n = poll(&pfd, 1, rpc_remaining(deadline));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

struct rpc_client *rpc_client_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct rpc_client *cli = NULL;
	int ret = -EINVAL;

	if (!path || !*path)
		goto fail;
	ret = -ENAMETOOLONG;
	if (strlen(path) >= sizeof(sa.sun_path))
		goto fail;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = -ENOMEM;
	cli = calloc(1, sizeof(*cli));
	if (!cli)
		goto fail;
	cli->fd = -1;
	rpc_inbuf_init(&cli->in, RPC_CLIENT_MAX_LINE);
	cli->events = json_array();
	if (!cli->events)
		goto fail;
	/* Nonblocking: connect() fails with EAGAIN instead of hanging on a
	 * wedged server's full backlog; I/O below waits with poll(). */
	cli->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			 0);
	if (cli->fd < 0 || connect(cli->fd, (struct sockaddr *)&sa,
				   sizeof(sa)) < 0) {
		ret = -errno;
		goto fail;
	}
	return cli;
fail:
	rpc_client_close(cli);
	errno = -ret;
	return NULL;
}

void rpc_client_close(struct rpc_client *cli)
{
	if (!cli)
		return;
	if (cli->fd >= 0)
		close(cli->fd);
	rpc_inbuf_free(&cli->in);
	json_decref(cli->events);
	free(cli);
}

/* Write all of s before the deadline. */
static int rpc_client_write(struct rpc_client *cli, const char *s, size_t n,
			    int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(cli->fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		int ret;

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ret = rpc_wait(cli->fd, POLLOUT, deadline);
			if (ret < 0)
				return ret;
			continue;
		}
		if (w < 0)
			return errno == EPIPE ? -ECONNRESET : -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The next message from the server before the deadline: 0 with *msg,
 * -ETIMEDOUT, -ECONNRESET (closed), -EPROTO (not JSON, too long) or -errno. */
static int rpc_client_read_msg(struct rpc_client *cli, json_t **msg,
			       int64_t deadline)
{
	for (;;) {
		char *line;
		size_t len;
		ssize_t n;
		int ret = rpc_inbuf_line(&cli->in, &line, &len);

		if (ret < 0)
			return -EPROTO;
		if (ret > 0 && len == 0)
			continue;
		if (ret > 0) {
			*msg = json_loadb(line, len, 0, NULL);
			return *msg && json_is_object(*msg) ? 0 :
				(json_decref(*msg), -EPROTO);
		}
		ret = rpc_wait(cli->fd, POLLIN, deadline);
		if (ret < 0)
			return ret;
		n = rpc_inbuf_fill(&cli->in, cli->fd);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && n != -EAGAIN)
			return n == -E2BIG ? -EPROTO : (int)n;
	}
}

static bool rpc_is_event(const json_t *msg)
{
	return json_object_get(msg, "event") && !json_object_get(msg, "id");
}

/* Keep an event that arrived during a call, dropping the oldest when a
 * caller never collects them. */
static void rpc_client_queue_event(struct rpc_client *cli, json_t *ev)
{
	if (json_array_size(cli->events) >= RPC_CLIENT_MAX_EVENTS)
		json_array_remove(cli->events, 0);
	json_array_append_new(cli->events, ev);
}

/* Turn a reply into the call's outcome. */
static int rpc_client_reply(json_t *reply, json_t **result,
			    struct rpc_error *err)
{
	json_t *error = json_object_get(reply, "error");
	json_t *res = json_object_get(reply, "result");

	if (error) {
		const char *code = json_string_value(json_object_get(error,
								     "code"));
		const char *message = json_string_value(
			json_object_get(error, "message"));

		snprintf(err->code, sizeof(err->code), "%s",
			 code ? code : "EIO");
		snprintf(err->message, sizeof(err->message), "%s",
			 message ? message : "(no message)");
		return -EREMOTE;
	}
	if (!res)
		return rpc_errorf(err, EPROTO, "reply has neither result "
				  "nor error");
	*result = json_incref(res);
	return 0;
}

/* Describe a local failure (timeout, lost connection) in err. */
static int rpc_client_fail(struct rpc_error *err, int ret, const char *method,
			   int timeout_ms)
{
	if (ret == -ETIMEDOUT)
		return rpc_errorf(err, ETIMEDOUT, "%s: no reply within %d ms",
				  method, timeout_ms);
	if (ret == -ECONNRESET)
		return rpc_errorf(err, ECONNRESET,
				  "%s: connection closed by the server", method);
	if (ret == -EPROTO)
		return rpc_errorf(err, EPROTO,
				  "%s: malformed reply from the server", method);
	return rpc_errorf(err, -ret, "%s: %s", method, strerror(-ret));
}

/* Send {"id":id,"method":method,"params":params}, stealing params. */
static int rpc_client_send_request(struct rpc_client *cli, json_int_t id,
				   const char *method, json_t *params,
				   int64_t deadline)
{
	json_t *req = json_pack("{s:I,s:s,s:o}", "id", id, "method", method,
				"params", params ? params : json_object());
	char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
	int ret = -EINVAL;

	json_decref(req);
	if (!s)
		return ret;
	ret = rpc_client_write(cli, s, strlen(s), deadline);
	if (ret == 0)
		ret = rpc_client_write(cli, "\n", 1, deadline);
	if (ret == -ETIMEDOUT)
		cli->broken = true;	/* the stream may hold half a line */
	free(s);
	return ret;
}

int rpc_client_call(struct rpc_client *cli, const char *method,
		    json_t *params, json_t **result, struct rpc_error *err,
		    int timeout_ms)
{
	struct rpc_error dummy;
	int64_t deadline = rpc_deadline(timeout_ms);
	json_int_t id = ++cli->next_id;
	json_t *msg, *mid;
	int ret;

	if (!err)
		err = &dummy;
	*result = NULL;
	if (!method) {
		json_decref(params);
		return rpc_errorf(err, EINVAL, "no method");
	}
	if (cli->broken) {
		json_decref(params);
		return rpc_errorf(err, ENOTCONN, "%s: connection unusable "
				  "after an earlier timeout", method);
	}
	ret = rpc_client_send_request(cli, id, method, params, deadline);
	while (ret == 0) {
		ret = rpc_client_read_msg(cli, &msg, deadline);
		if (ret < 0)
			break;
		mid = json_object_get(msg, "id");
		if (rpc_is_event(msg)) {
			rpc_client_queue_event(cli, msg);
			continue;
		}
		/* id null: the server could not read our request at all. */
		if (json_is_null(mid) || (json_is_integer(mid) &&
					  json_integer_value(mid) == id)) {
			ret = rpc_client_reply(msg, result, err);
			json_decref(msg);
			return ret;
		}
		json_decref(msg);	/* late reply to an earlier call */
	}
	return rpc_client_fail(err, ret, method, timeout_ms);
}

int rpc_client_next_event(struct rpc_client *cli, json_t **event,
			  int timeout_ms)
{
	int64_t deadline = rpc_deadline(timeout_ms);
	json_t *msg;
	int ret;

	*event = NULL;
	if (json_array_size(cli->events) > 0) {
		*event = json_incref(json_array_get(cli->events, 0));
		json_array_remove(cli->events, 0);
		return 0;
	}
	for (;;) {
		ret = rpc_client_read_msg(cli, &msg, deadline);
		if (ret < 0)
			return ret;
		if (rpc_is_event(msg)) {
			*event = msg;
			return 0;
		}
		json_decref(msg);	/* a reply nobody waits for */
	}
}
