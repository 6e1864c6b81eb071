/*
 * Unit tests for the limits lib/rpc.c puts on control clients
 * (rpc_server_set_limits(), docs/control-protocol.md "Limits"; issue 12
 * findings 2 and 6): idle clients closed, a followed one kept, an
 * unfinished line capped, the longest idle client evicted for a new one
 * when the table is full, and a client arriving while the server is out
 * of file descriptors told so instead of hanging. A real server on a unix
 * socket, dispatched by a thread; every wait has a timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "unit.h"
#include "xvm/log.h"
#include "xvm/rpc.h"
#include "lib/rpc_wire.h"

#define WAIT_MS		5000
#define IDLE_MS		1000
#define MAX_LINE	1024
#define MAX_CONNS	3

static char dir[64];
static char sock_path[128];
static struct rpc_server *srv;
static pthread_t srv_thread;
static volatile int srv_stop;

static void follow_closed(void *arg, struct rpc_conn *conn)
{
	(void)arg, (void)conn;
}

static int m_echo(void *ctx, struct rpc_conn *conn, json_t *params,
		  json_t **result, struct rpc_error *err)
{
	(void)ctx, (void)conn, (void)err;
	*result = json_incref(params);
	return 0;
}

/* As capture.start: a module follows the connection from now on. */
static int m_follow(void *ctx, struct rpc_conn *conn, json_t *params,
		    json_t **result, struct rpc_error *err)
{
	(void)ctx, (void)params, (void)result;
	if (rpc_conn_on_close(conn, follow_closed, NULL) < 0)
		return rpc_errorf(err, ENOSPC, "cannot follow");
	return 0;
}

static const struct rpc_method methods[] = {
	{ "echo", m_echo },
	{ "follow", m_follow },
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
	struct rpc_limits bad = { .max_conns = 0, .max_line = MAX_LINE };
	struct rpc_limits l = { .max_conns = MAX_CONNS, .max_line = MAX_LINE,
				.idle_ms = IDLE_MS };

	snprintf(dir, sizeof(dir), "/tmp/xvm-rpclim-test.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
	log_init("test_rpc_limits", LL_ERR);
	srv = rpc_server_open(sock_path, methods, ARRAY_SIZE(methods), NULL);
	if (!srv || rpc_server_set_limits(srv, &bad) != -EINVAL ||
	    rpc_server_set_limits(srv, &l) < 0)
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

static int lim_connect_fd(int fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(sa.sun_path, sock_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int lim_connect(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	return fd < 0 ? -1 : lim_connect_fd(fd);
}

static void lim_send(int fd, const char *s)
{
	CU_ASSERT_EQUAL(send(fd, s, strlen(s), MSG_NOSIGNAL),
			(ssize_t)strlen(s));
}

/* One line within WAIT_MS; NULL at EOF, error or timeout. */
static json_t *lim_line(int fd)
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

/* The next line is an error with this code; then (if closed) EOF. */
static void expect_closed_with(int fd, const char *code)
{
	json_t *r = lim_line(fd);
	const char *c = json_string_value(json_object_get(
		json_object_get(r, "error"), "code"));
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char ch;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	CU_ASSERT_STRING_EQUAL(c, code);
	json_decref(r);
	CU_ASSERT_EQUAL(poll(&pfd, 1, WAIT_MS), 1);
	errno = 0;
	CU_ASSERT(read(fd, &ch, 1) == 0 || errno == ECONNRESET);
}

static void expect_echo(int fd, int id)
{
	char req[128];
	json_t *r;

	snprintf(req, sizeof(req),
		 "{\"id\":%d,\"method\":\"echo\",\"params\":{\"x\":%d}}\n",
		 id, id);
	lim_send(fd, req);
	r = lim_line(fd);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(
		json_object_get(r, "result"), "x")), id);
	json_decref(r);
}

/* A client that never sends a request, and one that sends half a line,
 * are closed with ETIMEDOUT once idle; a followed one is not. */
static void test_idle_closed(void)
{
	int quiet = lim_connect(), partial = lim_connect();
	int followed = lim_connect();
	struct pollfd pfd;
	json_t *r;

	CU_ASSERT_FATAL(quiet >= 0 && partial >= 0 && followed >= 0);
	lim_send(followed, "{\"id\":1,\"method\":\"follow\"}\n");
	r = lim_line(followed);
	CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "result"));
	json_decref(r);
	lim_send(partial, "{\"id\":1,\"method\":\"ec");
	expect_closed_with(quiet, "ETIMEDOUT");
	expect_closed_with(partial, "ETIMEDOUT");
	/* the followed client outlives several idle periods, and works */
	pfd = (struct pollfd){ .fd = followed, .events = POLLIN };
	CU_ASSERT_EQUAL(poll(&pfd, 1, 2 * IDLE_MS), 0);
	expect_echo(followed, 2);
	close(quiet);
	close(partial);
	close(followed);
}

/* An unfinished line longer than max_line: E2BIG and closed, at once. */
static void test_partial_line_capped(void)
{
	char big[MAX_LINE + 64];
	int fd = lim_connect();

	CU_ASSERT_FATAL(fd >= 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	lim_send(fd, big);
	expect_closed_with(fd, "E2BIG");
	close(fd);
}

/* A full table: the longest idle client makes room for a new one. */
static void test_full_evicts_idle(void)
{
	int fd[MAX_CONNS], extra;

	for (int i = 0; i < MAX_CONNS; i++) {
		fd[i] = lim_connect();
		CU_ASSERT_FATAL(fd[i] >= 0);
		expect_echo(fd[i], i + 1);	/* accepted, in this order */
		usleep(20 * 1000);
	}
	expect_echo(fd[0], 10);		/* fd[1] is now the longest idle */
	extra = lim_connect();
	CU_ASSERT_FATAL(extra >= 0);
	expect_echo(extra, 11);
	expect_closed_with(fd[1], "EUSERS");
	expect_echo(fd[0], 12);
	expect_echo(fd[2], 13);
	for (int i = 0; i < MAX_CONNS; i++)
		close(fd[i]);
	close(extra);
}

/* Open fds until EMFILE under a lowered limit; returns how many. */
static int lim_exhaust(int *fds, int max)
{
	int n = 0;

	while (n < max) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			break;
		fds[n++] = fd;
	}
	return n;
}

/* Out of fds, a new client gets an EMFILE error instead of hanging, and
 * once fds are back clients are served again. */
static void test_out_of_fds(void)
{
	struct rlimit old, low;
	int fds[256], n, s, highest = 0;

	/* settle: the idle clients of the tests before are gone */
	usleep(2 * IDLE_MS * 1000);
	CU_ASSERT_FATAL(getrlimit(RLIMIT_NOFILE, &old) == 0);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(s >= 0);
	for (int fd = 0; fd < 4096; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			highest = fd;
	low = old;
	low.rlim_cur = (rlim_t)highest + 8;
	CU_ASSERT_FATAL(setrlimit(RLIMIT_NOFILE, &low) == 0);
	n = lim_exhaust(fds, 256);
	s = lim_connect_fd(s);
	if (s >= 0) {
		expect_closed_with(s, "EMFILE");
		close(s);
	} else {
		CU_FAIL("connect while the server is out of fds");
	}
	while (n > 0)
		close(fds[--n]);
	CU_ASSERT_FATAL(setrlimit(RLIMIT_NOFILE, &old) == 0);
	s = lim_connect();
	CU_ASSERT_FATAL(s >= 0);
	expect_echo(s, 1);
	close(s);
}

/* What an idle client keeps: no input buffer once its lines are handled,
 * no big output buffer once sent. */
static void test_idle_buffers_freed(void)
{
	struct rpc_inbuf in;
	struct rpc_outbuf out;
	char *big = malloc(200000), *line;
	size_t len;
	int sv[2];

	CU_ASSERT_FATAL(big != NULL);
	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	rpc_inbuf_init(&in, MAX_LINE);
	CU_ASSERT_EQUAL(send(sv[1], "{}\n{\"a", 6, 0), 6);
	CU_ASSERT_EQUAL(rpc_inbuf_fill(&in, sv[0]), 6);
	CU_ASSERT_EQUAL(rpc_inbuf_line(&in, &line, &len), 1);
	CU_ASSERT_EQUAL(rpc_inbuf_line(&in, &line, &len), 0);
	rpc_inbuf_trim(&in);
	CU_ASSERT_PTR_NOT_NULL(in.data);	/* a partial line is kept */
	CU_ASSERT_EQUAL(send(sv[1], "\"}\n", 3, 0), 3);
	CU_ASSERT_EQUAL(rpc_inbuf_fill(&in, sv[0]), 3);
	CU_ASSERT_EQUAL(rpc_inbuf_line(&in, &line, &len), 1);
	CU_ASSERT_STRING_EQUAL(line, "{\"a\"}");
	CU_ASSERT_EQUAL(rpc_inbuf_line(&in, &line, &len), 0);
	rpc_inbuf_trim(&in);
	CU_ASSERT_PTR_NULL(in.data);
	CU_ASSERT_EQUAL(in.cap, 0);
	rpc_inbuf_free(&in);

	rpc_outbuf_init(&out, 1u << 20);
	memset(big, 'x', 100000);
	CU_ASSERT_EQUAL(rpc_outbuf_put_raw(&out, big, 100000), 0);
	while (rpc_outbuf_pending(&out) > 0) {	/* the peer reads it all */
		CU_ASSERT_FATAL(rpc_outbuf_flush(&out, sv[0]) >= 0);
		while (recv(sv[1], big, 200000, MSG_DONTWAIT) > 0)
			;
	}
	CU_ASSERT_PTR_NULL(out.data);
	CU_ASSERT_EQUAL(out.cap, 0);
	CU_ASSERT_EQUAL(rpc_outbuf_put_raw(&out, "ok\n", 3), 0);	/* usable */
	CU_ASSERT_EQUAL(rpc_outbuf_pending(&out), 3);
	rpc_outbuf_free(&out);
	close(sv[0]);
	close(sv[1]);
	free(big);
}

static CU_TestInfo tests[] = {
	{ "idle_buffers_freed", test_idle_buffers_freed },
	{ "idle_closed", test_idle_closed },
	{ "partial_line_capped", test_partial_line_capped },
	{ "full_evicts_idle", test_full_evicts_idle },
	{ "out_of_fds", test_out_of_fds },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(rpc_limits, suite_init, suite_cleanup, tests);
