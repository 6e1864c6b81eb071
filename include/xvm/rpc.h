/*
 * JSON-lines RPC over unix stream sockets: the control protocol of every xvm
 * daemon (DESIGN.md "Control sockets"). One JSON object per line:
 *   request  {"id":N,"method":"vnic.create","params":{...}}
 *   reply    {"id":N,"result":{...}}
 *         or {"id":N,"error":{"code":"EEXIST","message":"..."}}
 *   event    {"event":"state","data":{...}}   (server to client, unsolicited)
 * Lines longer than RPC_MAX_LINE are refused with an error reply (code
 * "E2BIG") and the connection is closed; malformed JSON, a missing or
 * wrong-typed id/method/params, or an unknown method get an error reply and
 * the connection keeps working.
 */
#ifndef XVM_RPC_H
#define XVM_RPC_H

#include <jansson.h>
#include <sys/types.h>
#include "xvm/common.h"

#define RPC_MAX_LINE	(1u << 20)

struct rpc_server;
struct rpc_conn;
struct rpc_client;

struct rpc_error {
	char code[32];		/* "EINVAL", "ENOENT", ...: errno name */
	char message[256];	/* human-readable, for the CLI to print */
};

/* The errno an error code names ("ENOENT" -> ENOENT), EIO if unknown:
 * what a client makes of rpc_error.code. */
int rpc_errno_from_name(const char *name);

/* Fill err with a code and a printf-style message; returns -errnum so a
 * handler can `return rpc_errorf(err, EINVAL, "bad MAC '%s'", s);`.
 * The code is the symbolic name of errnum ("EINVAL"). */
int rpc_errorf(struct rpc_error *err, int errnum, const char *fmt, ...)
	PRINTF(3, 4);

/*
 * A method handler. Called on the thread that calls rpc_server_dispatch(),
 * with the params object (never NULL: {} when the request had none; the
 * handler must check every field's presence and type). On success it returns
 * 0 and may set *result to a new reference (NULL means {}). On failure it
 * returns a negative errno and fills err (rpc_errorf); if err->code is left
 * empty the server derives it from the errno.
 */
typedef int (*rpc_handler_fn)(void *ctx, struct rpc_conn *conn,
			      json_t *params, json_t **result,
			      struct rpc_error *err);

struct rpc_method {
	const char *name;	/* "status", "vnic.create" */
	rpc_handler_fn handler;
};

/* Listen on a unix socket at path (a stale socket file is replaced), mode
 * 0600. The method table must outlive the server. */
struct rpc_server *rpc_server_open(const char *path,
				   const struct rpc_method *methods,
				   size_t nmethods, void *ctx);
/*
 * What a server allows its clients (rpc_server_set_limits(); defaults in
 * brackets). Connections beyond max_conns: the longest idle one not
 * followed by a module (rpc_conn_on_close) is closed with an EUSERS error
 * line to make room, else the new one is refused. A request line longer
 * than max_line: E2BIG and close. A client that sent no complete request
 * for idle_ms and is not followed by a module gets an ETIMEDOUT error
 * line and is closed (bytes of an unfinished line are not activity); one
 * owed a deferred reply (rpc_conn_defer) counts as followed.
 * Out of file descriptors at accept: the waiting client is accepted on a
 * reserved fd, told EMFILE (or ENFILE) and closed, and the listener is
 * left alone for a second if even that fails; logged at most once every
 * 10 s.
 */
struct rpc_limits {
	unsigned max_conns;	/* [RPC_MAX_CONNS] */
	size_t max_line;	/* [RPC_MAX_LINE], newline excluded */
	unsigned idle_ms;	/* [0: never] */
};
#define RPC_MAX_CONNS	128
/* Set srv's limits (new connections get the new max_line); 0 or -EINVAL
 * for a zero max_conns or max_line, or one above the defaults. */
int rpc_server_set_limits(struct rpc_server *srv, const struct rpc_limits *l);
/* A pollable fd (readable when there is work); add it to the caller's
 * poll/epoll loop and call rpc_server_dispatch() when it is readable. */
int rpc_server_fd(const struct rpc_server *srv);
/* Accept, read, dispatch and reply without blocking. 0 or -errno. */
int rpc_server_dispatch(struct rpc_server *srv);
/* Send {"event":name,"data":data} to every connected client; steals data
 * (NULL means {}). Clients that cannot take it are disconnected. Safe from
 * any thread: called on the dispatching thread (a handler, say) it queues
 * the event at once; from another thread, or before the first dispatch, it
 * is handed over and sent at the next rpc_server_dispatch()
 * (rpc_server_fd() becomes readable). */
void rpc_server_emit(struct rpc_server *srv, const char *event, json_t *data);
/* Deliver events still queued by other threads, give clients up to 200 ms
 * to take pending output (a final state event), then close every
 * connection and the listener and unlink the socket path. Call it on the
 * dispatching thread, with no emit running elsewhere. */
void rpc_server_close(struct rpc_server *srv);

/* The credentials of a connection's peer (SO_PEERCRED at accept time):
 * 0, or -ENOENT if they could not be read. Either pointer may be NULL. */
int rpc_conn_peer(const struct rpc_conn *conn, pid_t *pid, uid_t *uid);
/* Send one event to this connection only (a handler answering a "watch"
 * request, for example); steals data. Dispatch thread only. 0 or -errno. */
int rpc_conn_emit(struct rpc_conn *conn, const char *event, json_t *data);

/*
 * Hooks for methods whose work outlives the request (a capture streaming
 * frames as events to the connection that asked). All on the dispatch
 * thread.
 */
/* fn(arg, conn) runs once when conn closes (peer gone, error, server
 * closing), after its fd is closed; conn is freed later, so fn must
 * forget it. Up to RPC_CONN_CLOSE_HOOKS different fn/arg pairs per
 * connection (one per module that follows it); the same pair again is
 * a no-op. 0, -ENOSPC when full, -ENOTCONN if conn is closed already. */
#define RPC_CONN_CLOSE_HOOKS	4
typedef void (*rpc_close_fn)(void *arg, struct rpc_conn *conn);
int rpc_conn_on_close(struct rpc_conn *conn, rpc_close_fn fn, void *arg);
/* Bytes queued for conn that its peer has not taken yet (0 once closed):
 * a producer backs off from a client that does not read. */
size_t rpc_conn_pending(const struct rpc_conn *conn);
struct rpc_server *rpc_conn_server(const struct rpc_conn *conn);
/* A reply given later (a method whose work runs on another thread:
 * hv's migrate). Called by a handler, which then returns 0 (its *result
 * is dropped): no reply is sent now; rpc_deferred_reply() sends it once,
 * on the dispatch thread, and frees the token. If the connection closes
 * first the reply goes nowhere (the token must still be replied to, to
 * be freed). NULL with errno on failure (answer normally then). */
struct rpc_deferred;
struct rpc_deferred *rpc_conn_defer(struct rpc_conn *conn);
/* rc 0: {"id":...,"result":result} (stolen; NULL means {}); rc < 0: an
 * error reply from err (NULL: from rc). NULL d is ignored. */
void rpc_deferred_reply(struct rpc_deferred *d, int rc, json_t *result,
			const struct rpc_error *err);
/* Watch fd (a timerfd, say) in the server's epoll set: fn(arg) runs in
 * rpc_server_dispatch() when it is readable. 0 or -errno. Unwatch before
 * closing fd; rpc_server_close() forgets the rest (closing none). */
int rpc_server_watch(struct rpc_server *srv, int fd, void (*fn)(void *arg),
		     void *arg);
void rpc_server_unwatch(struct rpc_server *srv, int fd);

/* Client side (CLIs, xvmd, tests). Connecting never blocks: a server
 * whose listen backlog is full gives EAGAIN. */
struct rpc_client *rpc_client_connect(const char *path);
/*
 * Call method with params (stolen; NULL means {}) and wait up to timeout_ms
 * (-1: forever) for the reply, queueing events that arrive meanwhile.
 * Returns 0 with *result (a new reference, caller decrefs), -EREMOTE with
 * err filled when the server answered with an error, or another -errno
 * (-ETIMEDOUT, -ECONNRESET, -EPROTO) with err filled describing it.
 */
int rpc_client_call(struct rpc_client *cli, const char *method,
		    json_t *params, json_t **result, struct rpc_error *err,
		    int timeout_ms);
/* Next event (queued or newly read) within timeout_ms: 0 with *event
 * ({"event":...,"data":...}, new reference), -ETIMEDOUT, -ECONNRESET once
 * the server closed the connection, or -errno. At most 4096 events wait
 * in the queue; beyond that the oldest are dropped. */
int rpc_client_next_event(struct rpc_client *cli, json_t **event,
			  int timeout_ms);
void rpc_client_close(struct rpc_client *cli);

#endif
