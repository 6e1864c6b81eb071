/*
 * The RPC server's hooks for work that outlives a request (lib/rpc.c,
 * include/xvm/rpc.h; vswitchd's captures use them): a callback when a
 * connection closes, once, whoever closes it; output a client has not
 * taken; an fd watched in the dispatcher's epoll set. The server runs on
 * a thread of its own; the hooks are set by method handlers, on it.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "unit.h"
#include "xvm/log.h"
#include "xvm/rpc.h"

static char dir[64];
static char sock_path[100];
static struct rpc_server *srv;
static pthread_t srv_thread;
static volatile int srv_stop;
static int closes;		/* on_close calls */
static struct rpc_conn *closed_conn, *followed_conn;
static int watch_fd = -1;
static int watch_calls;

static void on_close(void *arg, struct rpc_conn *conn)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
	closed_conn = conn;
}

static int other_closes;
static int extra_closes[RPC_CONN_CLOSE_HOOKS + 1];	/* args of the rest */

static void on_close_other(void *arg, struct rpc_conn *conn UNUSED)
{
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

static int m_follow(void *ctx UNUSED, struct rpc_conn *conn,
		    json_t *params UNUSED, json_t **result,
		    struct rpc_error *err UNUSED)
{
	int a = rpc_conn_on_close(conn, on_close, &closes);
	int b = rpc_conn_on_close(conn, on_close, &closes);	/* again */
	int c = rpc_conn_on_close(conn, on_close_other, &other_closes);
	int d = 0, i;

	/* the slots left, then one too many */
	for (i = 2; i < RPC_CONN_CLOSE_HOOKS && d == 0; i++)
		d = rpc_conn_on_close(conn, on_close_other, &extra_closes[i]);
	if (d == 0)
		d = rpc_conn_on_close(conn, on_close_other, &extra_closes[i]);

	followed_conn = conn;
	*result = json_pack("{s:i, s:i, s:i, s:i, s:b}", "first", a, "again",
			    b, "other", c, "full", d, "server",
			    rpc_conn_server(conn) == srv);
	return 0;
}

static int m_flood(void *ctx UNUSED, struct rpc_conn *conn,
		   json_t *params UNUSED, json_t **result,
		   struct rpc_error *err UNUSED)
{
	char pad[1024];

	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	for (int i = 0; i < 1024; i++)
		rpc_conn_emit(conn, "pad", json_pack("{s:s}", "pad", pad));
	*result = json_pack("{s:I}", "pending",
			    (json_int_t)rpc_conn_pending(conn));
	return 0;
}

static void watched(void *arg)
{
	uint64_t v;

	(void)!read(watch_fd, &v, sizeof(v));
	__atomic_add_fetch((int *)arg, 1, __ATOMIC_SEQ_CST);
}

static int m_watch(void *ctx UNUSED, struct rpc_conn *conn,
		   json_t *params, json_t **result UNUSED,
		   struct rpc_error *err)
{
	if (json_is_true(json_object_get(params, "on")))
		return rpc_server_watch(rpc_conn_server(conn), watch_fd,
					watched, &watch_calls);
	rpc_server_unwatch(rpc_conn_server(conn), watch_fd);
	(void)err;
	return 0;
}

static int m_flood_note(void *ctx, struct rpc_conn *conn, json_t *params,
			json_t **result, struct rpc_error *err);

static const struct rpc_method methods[] = {
	{ "follow", m_follow },
	{ "flood_note", m_flood_note },
	{ "watch", m_watch },
};

static void *srv_loop(void *arg UNUSED)
{
	struct pollfd pfd = { .fd = rpc_server_fd(srv), .events = POLLIN };

	while (!srv_stop)
		if (poll(&pfd, 1, 20) > 0)
			rpc_server_dispatch(srv);
	return NULL;
}

static int suite_init(void)
{
	snprintf(dir, sizeof(dir), "/tmp/xvm-rpc-hooks.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
	log_init("test_rpc_hooks", LL_ERR);
	watch_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	srv = rpc_server_open(sock_path, methods, ARRAY_SIZE(methods), NULL);
	if (!srv || watch_fd < 0)
		return -1;
	srv_stop = 0;
	return pthread_create(&srv_thread, NULL, srv_loop, NULL) ? -1 : 0;
}

static int suite_cleanup(void)
{
	srv_stop = 1;
	pthread_join(srv_thread, NULL);
	rpc_server_close(srv);
	close(watch_fd);
	rmdir(dir);
	log_init(program_invocation_short_name, LL_INFO);
	return 0;
}

static int wait_count(int *n, int want)
{
	for (int i = 0; i < 200 && __atomic_load_n(n, __ATOMIC_SEQ_CST) < want; i++)
		usleep(10000);
	return __atomic_load_n(n, __ATOMIC_SEQ_CST);
}

static void test_on_close(void)
{
	struct rpc_client *cli = rpc_client_connect(sock_path);
	struct rpc_error e;
	json_t *res = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	CU_ASSERT_EQUAL_FATAL(rpc_client_call(cli, "follow", NULL, &res, &e,
					      2000), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "first")), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "again")), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "other")), 0);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(res, "full")),
			-ENOSPC);
	CU_ASSERT_TRUE(json_is_true(json_object_get(res, "server")));
	json_decref(res);
	usleep(50000);
	CU_ASSERT_EQUAL(closes, 0);		/* not while it is open */
	rpc_client_close(cli);
	CU_ASSERT_EQUAL(wait_count(&closes, 1), 1);
	usleep(50000);
	CU_ASSERT_EQUAL(closes, 1);		/* once */
	CU_ASSERT_PTR_EQUAL(closed_conn, followed_conn);
	CU_ASSERT_EQUAL(wait_count(&other_closes, 1), 1);	/* the others too */
}

static int flood_pending = -1;

static int m_flood_note(void *ctx, struct rpc_conn *conn, json_t *params,
			json_t **result, struct rpc_error *err)
{
	int rc = m_flood(ctx, conn, params, result, err);

	__atomic_store_n(&flood_pending, (int)json_integer_value(
			 json_object_get(*result, "pending")), __ATOMIC_SEQ_CST);
	return rc;
}

/* A client that sends a request and reads nothing. */
static void test_pending(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static const char req[] = "{\"id\":1,\"method\":\"flood_note\"}\n";
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	CU_ASSERT_FATAL(fd >= 0);
	memcpy(sa.sun_path, sock_path, sizeof(sock_path));
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_EQUAL(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (int i = 0; i < 200 && __atomic_load_n(&flood_pending,
						   __ATOMIC_SEQ_CST) < 0; i++)
		usleep(10000);
	/* 1 MiB of events: more than a unix socket buffers */
	CU_ASSERT(flood_pending > 0);
	close(fd);
}

static void test_watch(void)
{
	struct rpc_client *cli = rpc_client_connect(sock_path);
	uint64_t one = 1;
	struct rpc_error e;
	json_t *res = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
	CU_ASSERT_EQUAL(rpc_client_call(cli, "watch", json_pack("{s:b}", "on", 1),
					&res, &e, 2000), 0);
	json_decref(res);
	CU_ASSERT_EQUAL(write(watch_fd, &one, sizeof(one)), 8);
	CU_ASSERT_EQUAL(wait_count(&watch_calls, 1), 1);
	CU_ASSERT_EQUAL(rpc_client_call(cli, "watch", json_pack("{s:b}", "on", 0),
					&res, &e, 2000), 0);
	json_decref(res);
	CU_ASSERT_EQUAL(write(watch_fd, &one, sizeof(one)), 8);
	usleep(100000);
	CU_ASSERT_EQUAL(watch_calls, 1);	/* unwatched: not called */
	rpc_client_close(cli);
}

static CU_TestInfo tests[] = {
	{ "on_close: once, when the client goes", test_on_close },
	{ "pending output of a client not reading", test_pending },
	{ "a watched fd", test_watch },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(rpc_hooks, suite_init, suite_cleanup, tests);
