/*
 * Unit tests for lib/rpc*.c: a real server on a unix socket in a temporary
 * directory, dispatched by a thread, exercised with the library client and
 * with raw sockets that send malformed requests. Every wait has a timeout.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "unit.h"
#include "xvm/log.h"
#include "xvm/rpc.h"

#define WAIT_MS	3000

static char dir[64];
static char sock_path[128];
static struct rpc_server *srv;
static pthread_t srv_thread;
static volatile int srv_stop;

static int m_echo(void *ctx, struct rpc_conn *conn, json_t *params,
		  json_t **result, struct rpc_error *err)
{
	(void)ctx, (void)conn, (void)err;
	*result = json_incref(params);
	return 0;
}

static int m_fail(void *ctx, struct rpc_conn *conn, json_t *params,
		  json_t **result, struct rpc_error *err)
{
	(void)ctx, (void)conn, (void)params, (void)result;
	return rpc_errorf(err, EEXIST, "vnic '%s' exists", "v0");
}

static int m_bare_errno(void *ctx, struct rpc_conn *conn, json_t *params,
			json_t **result, struct rpc_error *err)
{
	(void)ctx, (void)conn, (void)params, (void)result, (void)err;
	return -ENOENT;
}

/* Emits an event from the dispatch thread before replying. */
static int m_emit(void *ctx, struct rpc_conn *conn, json_t *params,
		  json_t **result, struct rpc_error *err)
{
	(void)conn, (void)params, (void)err, (void)result;
	rpc_server_emit(*(struct rpc_server **)ctx, "state",
			json_pack("{s:s}", "state", "running"));
	return 0;
}

static int m_peer(void *ctx, struct rpc_conn *conn, json_t *params,
		  json_t **result, struct rpc_error *err)
{
	pid_t pid;
	uid_t uid;

	(void)ctx, (void)params;
	if (rpc_conn_peer(conn, &pid, &uid) < 0)
		return rpc_errorf(err, ENOENT, "no credentials");
	*result = json_pack("{s:i,s:i}", "pid", (int)pid, "uid", (int)uid);
	return 0;
}

/* Deferred replies: "later" keeps its request's token, "answer" {v}
 * replies to it with {v} (both on the dispatch thread). */
static struct rpc_deferred *later_token;

static int m_later(void *ctx, struct rpc_conn *conn, json_t *params,
		   json_t **result, struct rpc_error *err)
{
	(void)ctx;
	(void)params;
	*result = json_pack("{s:s}", "dropped", "yes");	/* not sent */
	later_token = rpc_conn_defer(conn);
	return later_token ? 0 : rpc_errorf(err, ENOMEM, "defer");
}

static int m_answer(void *ctx, struct rpc_conn *conn, json_t *params,
		    json_t **result, struct rpc_error *err)
{
	json_t *v = json_object_get(params, "v");
	struct rpc_error e = { "", "" };

	(void)ctx;
	(void)conn;
	(void)result;
	if (!later_token)
		return rpc_errorf(err, ENOENT, "nothing deferred");
	if (json_is_integer(v)) {
		rpc_deferred_reply(later_token, 0, json_pack("{s:O}", "v", v),
				   NULL);
	} else {
		rpc_errorf(&e, ECANCELED, "gave up");
		rpc_deferred_reply(later_token, -ECANCELED, NULL, &e);
	}
	later_token = NULL;
	return 0;
}

static const struct rpc_method methods[] = {
	{ "later", m_later },
	{ "answer", m_answer },
	{ "echo", m_echo },
	{ "fail", m_fail },
	{ "bare_errno", m_bare_errno },
	{ "emit", m_emit },
	{ "peer", m_peer },
};

static void *srv_loop(void *arg)
{
	struct pollfd pfd = { .fd = rpc_server_fd(srv), .events = POLLIN };

	(void)arg;
	while (!srv_stop) {
		if (poll(&pfd, 1, 20) > 0)
			rpc_server_dispatch(srv);
	}
	return NULL;
}

static int suite_init(void)
{
	snprintf(dir, sizeof(dir), "/tmp/xvm-rpc-test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
	log_init("test_rpc", LL_ERR);
	srv = rpc_server_open(sock_path, methods, ARRAY_SIZE(methods), &srv);
	if (!srv)
		return -1;
	srv_stop = 0;
	return pthread_create(&srv_thread, NULL, srv_loop, NULL) ? -1 : 0;
}

static int suite_cleanup(void)
{
	srv_stop = 1;
	pthread_join(srv_thread, NULL);
	rpc_server_close(srv);
	rmdir(dir);
	log_init(program_invocation_short_name, LL_INFO);
	return 0;
}

/* Raw clients: exact bytes in, one reply line out. */
static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sa.sun_path, sock_path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void raw_send(int fd, const char *s)
{
	CU_ASSERT_EQUAL(send(fd, s, strlen(s), MSG_NOSIGNAL),
			(ssize_t)strlen(s));
}

/* Read one line (timeout WAIT_MS); NULL at EOF or timeout. */
static json_t *raw_reply(int fd)
{
	static char buf[4096];
	size_t len = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	while (len < sizeof(buf) - 1) {
		if (poll(&pfd, 1, WAIT_MS) <= 0)
			return NULL;
		if (read(fd, buf + len, 1) != 1)
			return NULL;
		if (buf[len] == '\n')
			return json_loadb(buf, len, 0, NULL);
		len++;
	}
	return NULL;
}

/* Expect an error reply with this code, message and id (-1: null). */
static void expect_error(int fd, const char *code, const char *msg_prefix,
			 int id)
{
	json_t *r = raw_reply(fd);
	json_t *jid = json_object_get(r, "id");
	const char *c = json_string_value(json_object_get(
		json_object_get(r, "error"), "code"));
	const char *m = json_string_value(json_object_get(
		json_object_get(r, "error"), "message"));

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(c, code);
	CU_ASSERT_NSTRING_EQUAL(m, msg_prefix, strlen(msg_prefix));
	if (id < 0) {
		CU_ASSERT(json_is_null(jid));
	} else {
		CU_ASSERT_EQUAL(json_integer_value(jid), id);
	}
	json_decref(r);
}

static void expect_echo_works(int fd, int id)
{
	char req[128];
	json_t *r;

	snprintf(req, sizeof(req),
		 "{\"id\":%d,\"method\":\"echo\",\"params\":{\"x\":%d}}\n",
		 id, id);
	raw_send(fd, req);
	r = raw_reply(fd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), id);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
		json_object_get(r, "result"), "x")), id);
	json_decref(r);
}

static void test_round_trip(void)
{
	struct rpc_client *cli = rpc_client_connect(sock_path);
	struct rpc_error err;
	json_t *res = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	CU_ASSERT_EQUAL(rpc_client_call(cli, "echo",
					json_pack("{s:s,s:i}", "name", "v0",
						  "vid", 5),
					&res, &err, WAIT_MS), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(res, "name")),
			       "v0");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "vid")), 5);
	json_decref(res);
	/* No params: the handler sees {}. */
	CU_ASSERT_EQUAL(rpc_client_call(cli, "echo", NULL, &res, &err,
					WAIT_MS), 0);
	CU_ASSERT(json_is_object(res) && json_object_size(res) == 0);
	json_decref(res);
	rpc_client_close(cli);
}

static void test_handler_errors(void)
{
	struct rpc_client *cli = rpc_client_connect(sock_path);
	struct rpc_error err;
	json_t *res = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	CU_ASSERT_EQUAL(rpc_client_call(cli, "fail", NULL, &res, &err,
					WAIT_MS), -EREMOTE);
	CU_ASSERT_STRING_EQUAL(err.code, "EEXIST");
	CU_ASSERT_STRING_EQUAL(err.message, "vnic 'v0' exists");
	CU_ASSERT_PTR_NULL(res);
	/* A bare -ENOENT gets its errno name and strerror text. */
	CU_ASSERT_EQUAL(rpc_client_call(cli, "bare_errno", NULL, &res, &err,
					WAIT_MS), -EREMOTE);
	CU_ASSERT_STRING_EQUAL(err.code, "ENOENT");
	CU_ASSERT_STRING_EQUAL(err.message, "No such file or directory");
	CU_ASSERT_EQUAL(rpc_client_call(cli, "nope", NULL, &res, &err,
					WAIT_MS), -EREMOTE);
	CU_ASSERT_STRING_EQUAL(err.code, "ENOSYS");
	CU_ASSERT_STRING_EQUAL(err.message, "unknown method 'nope'");
	rpc_client_close(cli);
}

static void test_malformed(void)
{
	int fd = raw_connect(), fd2;

	CU_ASSERT_FATAL(fd >= 0);
	raw_send(fd, "this is not json\n");
	expect_error(fd, "EINVAL", "invalid JSON", -1);
	raw_send(fd, "[1,2,3]\n");
	expect_error(fd, "EINVAL", "request is not a JSON object", -1);
	raw_send(fd, "{\"method\":\"echo\"}\n");
	expect_error(fd, "EINVAL", "request has no 'id'", -1);
	raw_send(fd, "{\"id\":\"7\",\"method\":\"echo\"}\n");
	expect_error(fd, "EINVAL", "request has a non-integer 'id'", -1);
	raw_send(fd, "{\"id\":1.5,\"method\":\"echo\"}\n");
	expect_error(fd, "EINVAL", "request has a non-integer 'id'", -1);
	raw_send(fd, "{\"id\":8}\n");
	expect_error(fd, "EINVAL", "request has no 'method'", 8);
	raw_send(fd, "{\"id\":9,\"method\":42}\n");
	expect_error(fd, "EINVAL", "request has a non-string 'method'", 9);
	raw_send(fd, "{\"id\":10,\"method\":\"echo\",\"params\":[1]}\n");
	expect_error(fd, "EINVAL", "'params' is not an object", 10);
	raw_send(fd, "{\"id\":11,\"method\":\"echo\",\"params\":null}\n");
	expect_error(fd, "EINVAL", "'params' is not an object", 11);
	raw_send(fd, "{\"id\":12,\"method\":\"vnic.bogus\"}\n");
	expect_error(fd, "ENOSYS", "unknown method 'vnic.bogus'", 12);
	/* The same connection still works, and so does another one. */
	expect_echo_works(fd, 13);
	fd2 = raw_connect();
	CU_ASSERT_FATAL(fd2 >= 0);
	expect_echo_works(fd2, 14);
	close(fd2);
	close(fd);
}

static void test_framing(void)
{
	int fd = raw_connect();
	json_t *r;

	CU_ASSERT_FATAL(fd >= 0);
	/* Two requests in one write, a blank line, a request in pieces. */
	raw_send(fd, "{\"id\":1,\"method\":\"echo\"}\n\n"
		     "{\"id\":2,\"method\":\"echo\"}\r\n");
	r = raw_reply(fd);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);
	r = raw_reply(fd);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 2);
	json_decref(r);
	raw_send(fd, "{\"id\":3,\"met");
	usleep(50 * 1000);
	raw_send(fd, "hod\":\"echo\"}\n");
	r = raw_reply(fd);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 3);
	CU_ASSERT(json_is_object(json_object_get(r, "result")));
	json_decref(r);
	close(fd);
}

/* A client that sends and half-closes (echo ... | socat) gets its replies,
 * the last line's too if it has no newline, then EOF. */
static void test_half_close(void)
{
	int fd = raw_connect();
	json_t *r;
	char c;

	CU_ASSERT_FATAL(fd >= 0);
	raw_send(fd, "{\"id\":1,\"method\":\"echo\"}\n"
		     "{\"id\":2,\"method\":\"fail\"}");	/* no newline */
	shutdown(fd, SHUT_WR);
	r = raw_reply(fd);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);
	expect_error(fd, "EEXIST", "vnic 'v0' exists", 2);
	CU_ASSERT_EQUAL(read(fd, &c, 1), 0);
	close(fd);
}

static void test_oversized_line(void)
{
	size_t n = RPC_MAX_LINE + 4096;
	char *big = malloc(n);
	int fd = raw_connect(), fd2;
	char c;

	CU_ASSERT_FATAL(big != NULL && fd >= 0);
	memset(big, 'x', n);
	/* The server may close before reading it all: ignore EPIPE. */
	for (size_t off = 0; off < n;) {
		ssize_t w = send(fd, big + off, n - off, MSG_NOSIGNAL);

		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(big);
	expect_error(fd, "E2BIG", "request line longer than", -1);
	/* Then closed: EOF, or ECONNRESET as our bytes were left unread. */
	errno = 0;
	CU_ASSERT(read(fd, &c, 1) == 0 || errno == ECONNRESET);
	close(fd);
	fd2 = raw_connect();
	CU_ASSERT_FATAL(fd2 >= 0);
	expect_echo_works(fd2, 1);
	close(fd2);
}

/* A line of exactly RPC_MAX_LINE bytes is still accepted. */
static void test_max_line_accepted(void)
{
	const char *head = "{\"id\":5,\"method\":\"echo\",\"params\":{\"s\":\"";
	const char *tail = "\"}}";
	size_t n = RPC_MAX_LINE;
	char *line = malloc(n + 2);
	int fd = raw_connect();
	json_t *r;

	CU_ASSERT_FATAL(line != NULL && fd >= 0);
	memset(line, 'a', n);
	memcpy(line, head, strlen(head));
	memcpy(line + n - strlen(tail), tail, strlen(tail));
	line[n] = '\n';
	line[n + 1] = '\0';
	raw_send(fd, line);
	free(line);
	/* The reply is itself ~1 MiB: read it with the library's limits. */
	{
		char *buf = malloc(n + 64);
		size_t len = 0;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		CU_ASSERT_FATAL(buf != NULL);
		while (len < n + 63 && poll(&pfd, 1, WAIT_MS) > 0) {
			ssize_t k = read(fd, buf + len, n + 63 - len);

			if (k <= 0)
				break;
			len += (size_t)k;
			if (buf[len - 1] == '\n')
				break;
		}
		r = json_loadb(buf, len, 0, NULL);
		free(buf);
	}
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 5);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
	close(fd);
}

static void test_events(void)
{
	struct rpc_client *cli = rpc_client_connect(sock_path);
	struct rpc_error err;
	json_t *res = NULL, *ev = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	/* A call first, so the server has surely accepted us. */
	CU_ASSERT_EQUAL(rpc_client_call(cli, "echo", NULL, &res, &err,
					WAIT_MS), 0);
	json_decref(res);
	CU_ASSERT_EQUAL(rpc_client_next_event(cli, &ev, 50), -ETIMEDOUT);

	/* From another thread (this one): handed over to the dispatcher. */
	rpc_server_emit(srv, "shutdown", json_pack("{s:i}", "domid", 3));
	CU_ASSERT_EQUAL_FATAL(rpc_client_next_event(cli, &ev, WAIT_MS), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ev, "event")),
			       "shutdown");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
		json_object_get(ev, "data"), "domid")), 3);
	json_decref(ev);

	/* From a handler: arrives before the reply and is queued. */
	CU_ASSERT_EQUAL(rpc_client_call(cli, "emit", NULL, &res, &err,
					WAIT_MS), 0);
	json_decref(res);
	CU_ASSERT_EQUAL_FATAL(rpc_client_next_event(cli, &ev, 0), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(ev, "event")),
			       "state");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
		json_object_get(ev, "data"), "state")), "running");
	json_decref(ev);
	rpc_client_close(cli);
}

#define BULK_EVENTS	300
#define BULK_ROUND	10
#define BULK_PAD	(64 * 1024)

static sem_t bulk_round_done;

/* Emits in rounds of BULK_ROUND events, each after the reader has seen
 * the previous round, so only the client that does not read falls behind
 * whatever the machine's load. */
static void *bulk_emitter(void *arg)
{
	json_t *pad = json_string(arg);

	for (int i = 0; i < BULK_EVENTS; i++) {
		if (i > 0 && i % BULK_ROUND == 0)
			sem_wait(&bulk_round_done);
		rpc_server_emit(srv, "bulk", json_pack("{s:i,s:O}", "i", i,
						       "pad", pad));
	}
	json_decref(pad);
	return NULL;
}

/* A client that never reads is dropped once 16 MiB are queued for it;
 * a client that reads gets every event, in order. */
static void test_slow_client(void)
{
	struct rpc_client *cli = rpc_client_connect(sock_path);
	int lazy = raw_connect();
	char *pad = malloc(BULK_PAD + 1);
	struct rpc_error err;
	json_t *res = NULL, *ev;
	pthread_t th;
	int got = 0, in_order = 1;
	size_t drained = 0;
	bool closed = false;
	char buf[65536];
	ssize_t n;

	CU_ASSERT_FATAL(cli && lazy >= 0 && pad);
	memset(pad, 'x', BULK_PAD);
	pad[BULK_PAD] = '\0';
	sem_init(&bulk_round_done, 0, 0);
	CU_ASSERT_EQUAL(rpc_client_call(cli, "echo", NULL, &res, &err,
					WAIT_MS), 0);
	json_decref(res);
	expect_echo_works(lazy, 1);		/* surely accepted */
	pthread_create(&th, NULL, bulk_emitter, pad);
	while (got < BULK_EVENTS &&
	       rpc_client_next_event(cli, &ev, WAIT_MS) == 0) {
		in_order &= json_integer_value(json_object_get(
			json_object_get(ev, "data"), "i")) == got;
		got++;
		json_decref(ev);
		if (got % BULK_ROUND == 0)
			sem_post(&bulk_round_done);
	}
	if (got < BULK_EVENTS)
		pthread_cancel(th);	/* it may wait for a round forever */
	pthread_join(th, NULL);
	sem_destroy(&bulk_round_done);
	CU_ASSERT_EQUAL(got, BULK_EVENTS);
	CU_ASSERT(in_order);
	/* The lazy one finds its stream cut short: EOF or reset. */
	for (;;) {
		struct pollfd pfd = { .fd = lazy, .events = POLLIN };

		if (poll(&pfd, 1, WAIT_MS) <= 0)
			break;
		n = read(lazy, buf, sizeof(buf));
		if (n <= 0) {
			closed = n == 0 || errno == ECONNRESET;
			break;
		}
		drained += (size_t)n;
	}
	CU_ASSERT(closed);
	CU_ASSERT(drained < (size_t)BULK_EVENTS * BULK_PAD);
	CU_ASSERT(drained > 0);
	close(lazy);
	free(pad);
	rpc_client_close(cli);
}

static void test_client_timeout(void)
{
	char path[160];
	struct rpc_server *idle;
	struct rpc_client *cli;
	struct rpc_error err;
	struct timespec t0, t1;
	json_t *res = NULL;
	long ms;

	/* A server nobody dispatches: connect succeeds, no reply comes. */
	snprintf(path, sizeof(path), "%s/idle.sock", dir);
	idle = rpc_server_open(path, methods, ARRAY_SIZE(methods), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(idle);
	cli = rpc_client_connect(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_EQUAL(rpc_client_call(cli, "echo", NULL, &res, &err, 200),
			-ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	CU_ASSERT(ms >= 190 && ms < 2000);
	CU_ASSERT_STRING_EQUAL(err.code, "ETIMEDOUT");
	CU_ASSERT_PTR_NULL(res);
	rpc_client_close(cli);
	/* Nobody accepts: once the backlog is full, connecting fails at once
	 * with EAGAIN instead of hanging. */
	{
		struct rpc_client *many[256];
		int n = 0, eagain = 0;

		for (; n < 256; n++) {
			many[n] = rpc_client_connect(path);
			if (!many[n]) {
				eagain = errno == EAGAIN;
				break;
			}
		}
		CU_ASSERT(n < 256 && eagain);
		while (n-- > 0)
			rpc_client_close(many[n]);
	}
	rpc_server_close(idle);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);	/* socket removed */
}

static void *emit_shutoff(void *arg)
{
	rpc_server_emit(arg, "state", json_pack("{s:s}", "state", "shutoff"));
	return NULL;
}

static void test_closed_server(void)
{
	pthread_t th;
	json_t *ev;
	char path[160];
	struct rpc_server *s;
	struct rpc_client *cli;
	struct rpc_error err;
	json_t *res = NULL;

	snprintf(path, sizeof(path), "%s/gone.sock", dir);
	s = rpc_server_open(path, methods, ARRAY_SIZE(methods), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	cli = rpc_client_connect(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	rpc_server_dispatch(s);		/* accept */
	/* An event from another thread just before closing still goes out
	 * (hv's final "shutoff"). */
	pthread_create(&th, NULL, emit_shutoff, s);
	pthread_join(th, NULL);
	rpc_server_close(s);
	CU_ASSERT_EQUAL_FATAL(rpc_client_next_event(cli, &ev, WAIT_MS), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
		json_object_get(ev, "data"), "state")), "shutoff");
	json_decref(ev);
	CU_ASSERT_EQUAL(rpc_client_next_event(cli, &ev, WAIT_MS),
			-ECONNRESET);
	CU_ASSERT_EQUAL(rpc_client_call(cli, "echo", NULL, &res, &err,
					WAIT_MS), -ECONNRESET);
	rpc_client_close(cli);
	CU_ASSERT_PTR_NULL(rpc_client_connect(path));
	CU_ASSERT_EQUAL(errno, ENOENT);
}

static void test_socket_file(void)
{
	char path[160];
	struct rpc_server *s, *s2;
	struct stat st;
	FILE *f;

	CU_ASSERT_EQUAL(stat(sock_path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	/* A live server's socket is not taken over. */
	CU_ASSERT_PTR_NULL(rpc_server_open(sock_path, methods, 1, NULL));
	CU_ASSERT_EQUAL(errno, EADDRINUSE);
	/* A stale socket (nobody listening) is replaced. */
	snprintf(path, sizeof(path), "%s/stale.sock", dir);
	s = rpc_server_open(path, methods, 1, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	{
		/* Leave the file behind as a crashed daemon would. */
		char keep[170];

		snprintf(keep, sizeof(keep), "%s.keep", path);
		CU_ASSERT_EQUAL(link(path, keep), 0);
		rpc_server_close(s);
		CU_ASSERT_EQUAL(rename(keep, path), 0);
	}
	s2 = rpc_server_open(path, methods, 1, NULL);
	CU_ASSERT_PTR_NOT_NULL(s2);
	rpc_server_close(s2);
	/* A regular file is never deleted. */
	f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fclose(f);
	CU_ASSERT_PTR_NULL(rpc_server_open(path, methods, 1, NULL));
	CU_ASSERT_EQUAL(errno, EEXIST);
	unlink(path);
}

static void test_peer(void)
{
	struct rpc_client *cli = rpc_client_connect(sock_path);
	struct rpc_error err;
	json_t *res = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	CU_ASSERT_EQUAL(rpc_client_call(cli, "peer", NULL, &res, &err,
					WAIT_MS), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "pid")),
			getpid());
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "uid")),
			getuid());
	json_decref(res);
	rpc_client_close(cli);
}

static void test_errorf(void)
{
	struct rpc_error err;

	CU_ASSERT_EQUAL(rpc_errorf(&err, EINVAL, "bad MAC '%s'", "zz"),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err.code, "EINVAL");
	CU_ASSERT_STRING_EQUAL(err.message, "bad MAC 'zz'");
	CU_ASSERT_EQUAL(rpc_errorf(&err, -EBUSY, "x"), -EBUSY);
	CU_ASSERT_STRING_EQUAL(err.code, "EBUSY");
	/* the documented name, not glibc's EOPNOTSUPP (issue 12, 11) */
	CU_ASSERT_EQUAL(rpc_errorf(&err, ENOTSUP, "x"), -ENOTSUP);
	CU_ASSERT_STRING_EQUAL(err.code, "ENOTSUP");
	CU_ASSERT_EQUAL(rpc_errno_from_name("ENOTSUP"), ENOTSUP);
	CU_ASSERT_EQUAL(rpc_errno_from_name("EOPNOTSUPP"), EOPNOTSUPP);
	CU_ASSERT_EQUAL(rpc_errno_from_name("EMFILE"), EMFILE);
}

/* A deferred request gets no reply until its owner answers; the
 * connection serves others meanwhile; an answer for a closed connection
 * goes nowhere. */
static void test_deferred(void)
{
	int fd = raw_connect(), fd2 = raw_connect();
	json_t *r;

	CU_ASSERT_FATAL(fd >= 0 && fd2 >= 0);
	raw_send(fd, "{\"id\":5,\"method\":\"later\"}\n");
	expect_echo_works(fd, 6);	/* not 5: that one waits */
	raw_send(fd2, "{\"id\":7,\"method\":\"answer\",\"params\":"
		 "{\"v\":42}}\n");
	r = raw_reply(fd);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 5);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
		json_object_get(r, "result"), "v")), 42);
	json_decref(r);
	r = raw_reply(fd2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 7);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
	/* an error answer */
	raw_send(fd, "{\"id\":8,\"method\":\"later\"}\n");
	usleep(100000);
	raw_send(fd2, "{\"id\":9,\"method\":\"answer\"}\n");
	expect_error(fd, "ECANCELED", "gave up", 8);
	json_decref(raw_reply(fd2));
	/* the asker goes away first: the answer is dropped, all goes on */
	raw_send(fd, "{\"id\":10,\"method\":\"later\"}\n");
	usleep(100000);
	close(fd);
	usleep(100000);
	raw_send(fd2, "{\"id\":11,\"method\":\"answer\",\"params\":"
		 "{\"v\":1}}\n");
	r = raw_reply(fd2);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "id")), 11);
	json_decref(r);
	expect_echo_works(fd2, 12);
	close(fd2);
}

static CU_TestInfo tests[] = {
	{ "deferred replies", test_deferred },
	{ "round_trip", test_round_trip },
	{ "handler_errors", test_handler_errors },
	{ "malformed", test_malformed },
	{ "framing", test_framing },
	{ "half_close", test_half_close },
	{ "oversized_line", test_oversized_line },
	{ "max_line_accepted", test_max_line_accepted },
	{ "events", test_events },
	{ "slow_client", test_slow_client },
	{ "client_timeout", test_client_timeout },
	{ "closed_server", test_closed_server },
	{ "socket_file", test_socket_file },
	{ "peer", test_peer },
	{ "errorf", test_errorf },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(rpc, suite_init, suite_cleanup, tests);
