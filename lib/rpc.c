/*
 * The control-socket RPC server (include/xvm/rpc.h; wire format in
 * docs/control-protocol.md). A nonblocking unix stream listener and its
 * connections live in a private epoll set whose fd the daemon polls; every
 * request is parsed, checked and dispatched on the thread that calls
 * rpc_server_dispatch(). Events emitted from other threads are passed over a
 * mutex-protected queue and an eventfd in the same epoll set.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#include "xvm/log.h"
#include "rpc_wire.h"

#define RPC_OUT_MAX		(16u << 20)	/* queued output per client */
#define RPC_EPOLL_BATCH		32
#define RPC_READS_PER_DISPATCH	16		/* fairness between clients */
#define RPC_CLOSE_FLUSH_MS	200		/* last output at close */
#define RPC_FD_PAUSE_MS		1000		/* listener off when out of fds */
#define RPC_LIMIT_LOG_MS	10000		/* one limit message per 10 s */

struct rpc_conn {
	struct rpc_server *srv;
	struct rpc_conn *next;
	int fd;			/* -1 once closed; freed at the next reap */
	bool closing;		/* flush output, then close (E2BIG, EOF) */
	bool have_cred;
	struct ucred cred;
	uint32_t events;	/* epoll events currently registered */
	int64_t active_ms;	/* accepted or last complete request */
	struct rpc_inbuf in;
	struct rpc_outbuf out;
	struct {		/* rpc_conn_on_close(): called once, at close */
		rpc_close_fn fn;
		void *arg;
	} on_close[RPC_CONN_CLOSE_HOOKS];
	json_t *cur_id;		/* the id of the request being handled */
	bool defer_now;		/* the running handler called rpc_conn_defer */
	struct rpc_deferred *deferred;	/* replies still owed on this conn */
};

/* A reply owed (rpc_conn_defer): conn is NULL once it closed. */
struct rpc_deferred {
	struct rpc_conn *conn;
	struct rpc_deferred *next;	/* in conn->deferred */
	json_t *id;
};

/* An fd a module watches in the server's epoll set (rpc_server_watch). */
struct rpc_watch {
	struct rpc_watch *next;
	int fd;
	void (*fn)(void *arg);
	void *arg;
};

/* An event emitted on another thread, already encoded with its newline. */
struct rpc_queued_event {
	struct rpc_queued_event *next;
	size_t len;
	char line[];
};

struct rpc_server {
	int lfd;
	int epfd;
	int evfd;		/* eventfd: queued events from other threads */
	dev_t sock_dev;		/* the socket file we created, to unlink */
	ino_t sock_ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	const struct rpc_method *methods;
	size_t nmethods;
	void *ctx;
	struct rpc_conn *conns;
	size_t nconns;
	pthread_mutex_t lock;	/* protects owner and the queue below */
	bool owner_set;		/* until the first dispatch, events queue */
	pthread_t owner;	/* the thread that last dispatched */
	struct rpc_queued_event *queue_head, **queue_tail;
	struct rpc_watch *watches;
	struct rpc_limits lim;
	int tfd;		/* timerfd: idle sweep, listener pause */
	int spare_fd;		/* reserved for refusing a client at EMFILE */
	bool listen_off;	/* out of fds: listener out of the epoll set */
	int64_t listen_on_ms;	/* when to put it back */
	struct log_ratelimit rl_fds, rl_full, rl_idle;
};

static int64_t rpc_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void rpc_conn_kill(struct rpc_conn *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(c->srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->srv->nconns--;	/* live connections only: a slot is free now */
	while (c->deferred) {	/* their replies go nowhere now */
		struct rpc_deferred *d = c->deferred;

		c->deferred = d->next;
		d->conn = NULL;
		d->next = NULL;
	}
	for (int i = 0; i < RPC_CONN_CLOSE_HOOKS; i++) {
		rpc_close_fn fn = c->on_close[i].fn;

		c->on_close[i].fn = NULL;
		if (fn)
			fn(c->on_close[i].arg, c);
	}
}

static void rpc_conn_free(struct rpc_conn *c)
{
	rpc_conn_kill(c);
	rpc_inbuf_free(&c->in);
	rpc_outbuf_free(&c->out);
	free(c);
}

/* Free the connections closed since the last call. */
static void rpc_server_reap(struct rpc_server *srv)
{
	struct rpc_conn **pp = &srv->conns;

	while (*pp) {
		struct rpc_conn *c = *pp;

		if (c->fd >= 0) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		rpc_conn_free(c);
	}
}

/* Register interest matching the state: read unless closing, write while
 * output is pending; close a closing connection with nothing left. */
static void rpc_conn_update(struct rpc_conn *c)
{
	struct epoll_event ev = { .data.ptr = c };
	bool pending = rpc_outbuf_pending(&c->out) > 0;

	if (c->fd < 0)
		return;
	if (c->closing && !pending) {
		rpc_conn_kill(c);
		return;
	}
	ev.events = (c->closing ? 0 : EPOLLIN) | (pending ? EPOLLOUT : 0);
	if (ev.events == c->events)
		return;
	if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
		rpc_conn_kill(c);
		return;
	}
	c->events = ev.events;
}

/* Queue a message and try to send it now; a client that cannot keep up
 * (RPC_OUT_MAX pending) or whose socket failed is disconnected. */
static int rpc_conn_send(struct rpc_conn *c, const json_t *msg)
{
	int ret;

	if (c->fd < 0)
		return -ENOTCONN;
	ret = rpc_outbuf_put(&c->out, msg);
	if (ret == -ENOBUFS)
		log_warn("rpc: client fd %d not reading, disconnected", c->fd);
	if (ret == 0 && rpc_outbuf_flush(&c->out, c->fd) < 0)
		ret = -EPIPE;
	if (ret < 0 && ret != -EINVAL) {
		rpc_conn_kill(c);
		return ret;
	}
	rpc_conn_update(c);
	return ret;
}

static int rpc_conn_send_raw(struct rpc_conn *c, const char *s, size_t n)
{
	int ret;

	if (c->fd < 0)
		return -ENOTCONN;
	ret = rpc_outbuf_put_raw(&c->out, s, n);
	if (ret == 0 && rpc_outbuf_flush(&c->out, c->fd) < 0)
		ret = -EPIPE;
	if (ret < 0) {
		rpc_conn_kill(c);
		return ret;
	}
	rpc_conn_update(c);
	return 0;
}

/* {"id":id,"error":{"code":code,"message":msg}}; id may be NULL (null). */
static void rpc_reply_error(struct rpc_conn *c, json_t *id, const char *code,
			    const char *fmt, ...) PRINTF(4, 5);
static void rpc_reply_error(struct rpc_conn *c, json_t *id, const char *code,
			    const char *fmt, ...)
{
	char msg[sizeof(((struct rpc_error *)0)->message)];
	json_t *reply;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	reply = json_pack("{s:O?,s:{s:s,s:s}}", "id", id, "error",
			  "code", code, "message", msg);
	if (!reply)
		return;
	rpc_conn_send(c, reply);
	json_decref(reply);
}

static const struct rpc_method *rpc_find_method(const struct rpc_server *srv,
						const char *name)
{
	for (size_t i = 0; i < srv->nmethods; i++)
		if (strcmp(srv->methods[i].name, name) == 0)
			return &srv->methods[i];
	return NULL;
}

/* Run the handler and send its result or error. */
static void rpc_call_method(struct rpc_conn *c, const struct rpc_method *m,
			    json_t *id, json_t *params)
{
	struct rpc_error err = { "", "" };
	json_t *result = NULL, *reply;
	int ret;

	c->defer_now = false;
	c->cur_id = id;
	ret = m->handler(c->srv->ctx, c, params, &result, &err);
	c->cur_id = NULL;
	if (ret == 0 && c->defer_now) {	/* rpc_deferred_reply answers */
		c->defer_now = false;
		json_decref(result);
		return;
	}
	c->defer_now = false;
	if (ret < 0) {
		json_decref(result);
		rpc_reply_error(c, id, err.code[0] ? err.code :
				rpc_errno_name(-ret), "%s", err.message[0] ?
				err.message : strerror(-ret));
		return;
	}
	reply = json_pack("{s:O,s:o}", "id", id, "result",
			  result ? result : json_object());
	if (!reply) {
		rpc_reply_error(c, id, "EINVAL", "%s: result not encodable",
				m->name);
		return;
	}
	if (rpc_conn_send(c, reply) == -EINVAL)
		rpc_reply_error(c, id, "EINVAL", "%s: result not encodable",
				m->name);
	json_decref(reply);
}

/* Check one request's shape (rpc.h) and dispatch it. */
static void rpc_handle_request(struct rpc_conn *c, json_t *req)
{
	json_t *id = json_object_get(req, "id");
	json_t *method = json_object_get(req, "method");
	json_t *params = json_object_get(req, "params");
	const struct rpc_method *m;
	json_t *empty = NULL;

	if (!json_is_integer(id)) {
		rpc_reply_error(c, NULL, "EINVAL", "request has %s 'id'",
				id ? "a non-integer" : "no");
		return;
	}
	if (!json_is_string(method)) {
		rpc_reply_error(c, id, "EINVAL", "request has %s 'method'",
				method ? "a non-string" : "no");
		return;
	}
	if (params && !json_is_object(params)) {
		rpc_reply_error(c, id, "EINVAL", "'params' is not an object");
		return;
	}
	m = rpc_find_method(c->srv, json_string_value(method));
	if (!m) {
		rpc_reply_error(c, id, "ENOSYS", "unknown method '%.200s'",
				json_string_value(method));
		return;
	}
	if (!params)
		params = empty = json_object();
	if (!params) {
		rpc_reply_error(c, id, "ENOMEM", "out of memory");
		return;
	}
	rpc_call_method(c, m, id, params);
	json_decref(empty);
}

static void rpc_handle_line(struct rpc_conn *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req;
	size_t i;

	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len)		/* blank lines are ignored */
		return;
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		rpc_reply_error(c, NULL, "EINVAL", "invalid JSON: %s",
				jerr.text);
		return;
	}
	if (!json_is_object(req))
		rpc_reply_error(c, NULL, "EINVAL",
				"request is not a JSON object");
	else
		rpc_handle_request(c, req);
	json_decref(req);
}

/* Handle every complete line received so far. */
static void rpc_conn_process(struct rpc_conn *c)
{
	char *line;
	size_t len;
	int ret;

	while (c->fd >= 0 && !c->closing) {
		ret = rpc_inbuf_line(&c->in, &line, &len);
		if (ret == 0) {
			rpc_inbuf_trim(&c->in);
			return;
		}
		if (ret < 0) {
			rpc_reply_error(c, NULL, "E2BIG",
					"request line longer than %zu bytes",
					c->in.max);
			c->closing = true;
			rpc_conn_update(c);
			return;
		}
		c->active_ms = rpc_mono_ms();
		rpc_handle_line(c, line, len);
	}
}

/* The peer will send no more: handle an unterminated last line and close
 * once the replies are out. */
static void rpc_conn_finish(struct rpc_conn *c)
{
	char *line;
	size_t len;

	if (c->fd < 0 || c->closing)
		return;
	if (rpc_inbuf_rest(&c->in, &line, &len) > 0)
		rpc_handle_line(c, line, len);
	c->closing = true;
	rpc_conn_update(c);
}

static void rpc_conn_readable(struct rpc_conn *c)
{
	for (int i = 0; i < RPC_READS_PER_DISPATCH; i++) {
		ssize_t n;

		if (c->fd < 0 || c->closing)
			return;
		n = rpc_inbuf_fill(&c->in, c->fd);
		if (n == -EAGAIN)
			return;
		if (n == 0) {
			/* EOF: answer what was sent before it (a last line
			 * may lack its newline), then close. */
			rpc_conn_process(c);
			rpc_conn_finish(c);
			return;
		}
		if (n == -E2BIG) {	/* the line check reports it */
			rpc_conn_process(c);
			return;
		}
		if (n < 0) {
			rpc_conn_kill(c);
			return;
		}
		rpc_conn_process(c);
	}
}

static void rpc_conn_event(struct rpc_conn *c, uint32_t events)
{
	if (c->fd < 0)
		return;
	if (events & EPOLLOUT) {
		if (rpc_outbuf_flush(&c->out, c->fd) < 0) {
			rpc_conn_kill(c);
			return;
		}
		rpc_conn_update(c);
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		rpc_conn_readable(c);
	if (c->fd >= 0 && c->closing && (events & EPOLLHUP))
		rpc_conn_kill(c);	/* peer gone: drop what it won't read */
	if (c->fd >= 0 && (events & EPOLLERR) && !(events & EPOLLIN))
		rpc_conn_kill(c);
}

static int rpc_conn_add(struct rpc_server *srv, int fd)
{
	struct rpc_conn *c = calloc(1, sizeof(*c));
	struct epoll_event ev = { .events = EPOLLIN };
	socklen_t sl = sizeof(struct ucred);

	if (!c)
		return -ENOMEM;
	c->srv = srv;
	c->fd = fd;
	c->have_cred = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred,
				  &sl) == 0;
	rpc_inbuf_init(&c->in, srv->lim.max_line);
	c->active_ms = rpc_mono_ms();
	rpc_outbuf_init(&c->out, RPC_OUT_MAX);
	ev.data.ptr = c;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		c->fd = -1;
		free(c);
		return err;
	}
	c->events = EPOLLIN;
	c->next = srv->conns;
	srv->conns = c;
	srv->nconns++;
	return 0;
}

/* A module follows c (a capture streaming to it): not idle, not evicted. */
static bool rpc_conn_followed(const struct rpc_conn *c)
{
	if (c->deferred)	/* waiting for a reply it is owed */
		return true;
	for (int i = 0; i < RPC_CONN_CLOSE_HOOKS; i++)
		if (c->on_close[i].fn)
			return true;
	return false;
}

/* Tell c why it is closed (best effort: a line into its socket buffer)
 * and close it now. */
static void rpc_conn_drop(struct rpc_conn *c, const char *code,
			  const char *msg)
{
	rpc_reply_error(c, NULL, code, "%s", msg);
	rpc_conn_kill(c);
}

/* The table is full: close the longest idle connection no module
 * follows. false if every connection is followed. */
static bool rpc_server_evict(struct rpc_server *srv)
{
	struct rpc_conn *victim = NULL;
	char msg[128];

	for (struct rpc_conn *c = srv->conns; c; c = c->next)
		if (c->fd >= 0 && !rpc_conn_followed(c) &&
		    (!victim || c->active_ms < victim->active_ms))
			victim = c;
	if (!victim)
		return false;
	log_ratelimited(&srv->rl_full, LL_WARN, "rpc %s: %u clients, closing "
			"the longest idle (%lld ms) for a new one", srv->path,
			srv->lim.max_conns,
			(long long)(rpc_mono_ms() - victim->active_ms));
	snprintf(msg, sizeof(msg), "too many clients (%u): this connection, "
		 "the longest idle, was closed", srv->lim.max_conns);
	rpc_conn_drop(victim, "EUSERS", msg);
	return true;
}

/* (Re)arm the timer: every tick while clients may go idle or the listener
 * is off, else stopped. */
static void rpc_server_arm(struct rpc_server *srv)
{
	struct itimerspec its = { 0 };
	unsigned ms = 0;

	if (srv->lim.idle_ms)
		ms = MIN(MAX(srv->lim.idle_ms / 4, 10u), 1000u);
	else if (srv->listen_off)
		ms = 100;
	its.it_interval.tv_sec = ms / 1000;
	its.it_interval.tv_nsec = (long)(ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	if (srv->tfd >= 0)
		timerfd_settime(srv->tfd, 0, &its, NULL);
}

/* accept() failed with EMFILE/ENFILE. Give the waiting client a reason
 * on the spare fd instead of leaving it hanging; if even that is not
 * possible, stop polling the listener for RPC_FD_PAUSE_MS (a
 * level-triggered listener would otherwise spin). */
static void rpc_server_out_of_fds(struct rpc_server *srv, int err)
{
	char line[256];
	int fd, n;

	log_ratelimited(&srv->rl_fds, LL_WARN, "rpc %s: out of file "
			"descriptors (%s): new clients are refused",
			srv->path, strerror(err));
	n = snprintf(line, sizeof(line), "{\"id\":null,\"error\":{\"code\":"
		     "\"%s\",\"message\":\"server out of file descriptors "
		     "(%s): try again later\"}}\n", rpc_errno_name(err),
		     strerror(err));
	if (srv->spare_fd >= 0) {
		close(srv->spare_fd);
		fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			/* best effort: it is being told no either way */
			ssize_t w = write(fd, line, (size_t)n);

			(void)w;
			close(fd);
		}
		srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0 && srv->spare_fd >= 0)
			return;
	}
	if (!srv->listen_off &&
	    epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->lfd, NULL) == 0) {
		srv->listen_off = true;
		srv->listen_on_ms = rpc_mono_ms() + RPC_FD_PAUSE_MS;
		rpc_server_arm(srv);
	}
}

static void rpc_server_accept(struct rpc_server *srv)
{
	if (srv->listen_off)
		return;
	for (;;) {
		int fd = accept4(srv->lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				rpc_server_out_of_fds(srv, errno);
				if (srv->listen_off)
					return;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_ratelimited(&srv->rl_fds, LL_WARN,
						"rpc %s: accept: %m", srv->path);
			return;
		}
		if (srv->nconns >= srv->lim.max_conns &&
		    !rpc_server_evict(srv)) {
			log_ratelimited(&srv->rl_full, LL_WARN, "rpc %s: too "
					"many clients, refusing one", srv->path);
			close(fd);
			continue;
		}
		if (rpc_conn_add(srv, fd) < 0) {
			log_ratelimited(&srv->rl_fds, LL_WARN, "rpc %s: cannot "
					"add client: %m", srv->path);
			close(fd);
		}
	}
}

/* The timer: close idle clients; put the listener back after a pause. */
static void rpc_server_tick(struct rpc_server *srv)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &srv->lfd };
	int64_t now = rpc_mono_ms();
	uint64_t n;
	char msg[128];

	if (read(srv->tfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("rpc %s: timerfd read: %m", srv->path);
	if (srv->listen_off && now >= srv->listen_on_ms &&
	    epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev) == 0) {
		srv->listen_off = false;
		rpc_server_arm(srv);
	}
	if (!srv->lim.idle_ms)
		return;
	snprintf(msg, sizeof(msg), "no request for %u s: connection closed",
		 srv->lim.idle_ms / 1000);
	for (struct rpc_conn *c = srv->conns; c; c = c->next) {
		if (c->fd < 0 || rpc_conn_followed(c) ||
		    now - c->active_ms < srv->lim.idle_ms)
			continue;
		log_ratelimited(&srv->rl_idle, LL_INFO, "rpc %s: client fd %d "
				"idle, closed", srv->path, c->fd);
		rpc_conn_drop(c, "ETIMEDOUT", msg);
	}
}

int rpc_server_set_limits(struct rpc_server *srv, const struct rpc_limits *l)
{
	if (!l->max_conns || l->max_conns > RPC_MAX_CONNS || !l->max_line ||
	    l->max_line > RPC_MAX_LINE)
		return -EINVAL;
	srv->lim = *l;
	rpc_server_arm(srv);
	return 0;
}

/* Send an encoded event line to every connection. Pending connections are
 * accepted first, so a client whose connect() returned gets the event. */
static void rpc_broadcast_raw(struct rpc_server *srv, const char *s, size_t n)
{
	rpc_server_accept(srv);
	for (struct rpc_conn *c = srv->conns; c; c = c->next)
		if (c->fd >= 0 && !c->closing &&
		    rpc_conn_send_raw(c, s, n) == -ENOBUFS)
			log_warn("rpc %s: client not reading events, "
				 "disconnected", srv->path);
}

/* Deliver the events other threads queued. */
static void rpc_server_drain_queue(struct rpc_server *srv)
{
	struct rpc_queued_event *q, *next;
	uint64_t count;

	if (read(srv->evfd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		log_warn("rpc %s: eventfd read: %m", srv->path);
	pthread_mutex_lock(&srv->lock);
	q = srv->queue_head;
	srv->queue_head = NULL;
	srv->queue_tail = &srv->queue_head;
	pthread_mutex_unlock(&srv->lock);
	for (; q; q = next) {
		next = q->next;
		rpc_broadcast_raw(srv, q->line, q->len);
		free(q);
	}
}

static bool rpc_server_watched(const struct rpc_server *srv, const void *p)
{
	for (const struct rpc_watch *w = srv->watches; w; w = w->next)
		if (w == p)
			return true;
	return false;
}

/* Connections are freed only by rpc_server_reap(), between batches. */
static bool rpc_server_has_conn(const struct rpc_server *srv, const void *p)
{
	for (const struct rpc_conn *c = srv->conns; c; c = c->next)
		if (c == p)
			return true;
	return false;
}

int rpc_server_dispatch(struct rpc_server *srv)
{
	struct epoll_event evs[RPC_EPOLL_BATCH];
	int n;

	pthread_mutex_lock(&srv->lock);
	srv->owner = pthread_self();
	srv->owner_set = true;
	pthread_mutex_unlock(&srv->lock);
	rpc_server_reap(srv);
	n = epoll_wait(srv->epfd, evs, RPC_EPOLL_BATCH, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		void *p = evs[i].data.ptr;

		if (p == &srv->lfd)
			rpc_server_accept(srv);
		else if (p == &srv->evfd)
			rpc_server_drain_queue(srv);
		else if (p == &srv->tfd)
			rpc_server_tick(srv);
		else if (rpc_server_watched(srv, p))
			((struct rpc_watch *)p)->fn(((struct rpc_watch *)p)->arg);
		else if (rpc_server_has_conn(srv, p))
			rpc_conn_event(p, evs[i].events);
		/* else: a watch removed earlier in this batch */
	}
	rpc_server_reap(srv);
	return 0;
}

int rpc_server_fd(const struct rpc_server *srv)
{
	return srv->epfd;
}

/* {"event":event,"data":data}, stealing data; NULL on failure. */
static json_t *rpc_event_new(const char *event, json_t *data)
{
	json_t *ev = json_object();

	if (!data)
		data = json_object();
	if (!ev || !event || json_object_set_new(ev, "event",
						 json_string(event)) < 0) {
		json_decref(ev);
		json_decref(data);
		return NULL;
	}
	if (json_object_set_new(ev, "data", data) < 0) {
		json_decref(ev);
		return NULL;
	}
	return ev;
}

/* Hand an event from a foreign thread to the dispatcher. */
static void rpc_server_enqueue(struct rpc_server *srv, const json_t *ev)
{
	char *s = json_dumps(ev, JSON_COMPACT);
	struct rpc_queued_event *q;
	size_t n;
	uint64_t one = 1;

	if (!s)
		return;
	n = strlen(s);
	q = malloc(sizeof(*q) + n + 1);
	if (!q)
		goto fail;
	memcpy(q->line, s, n);
	q->line[n] = '\n';
	q->len = n + 1;
	q->next = NULL;
	pthread_mutex_lock(&srv->lock);
	*srv->queue_tail = q;
	srv->queue_tail = &q->next;
	pthread_mutex_unlock(&srv->lock);
	if (write(srv->evfd, &one, sizeof(one)) < 0)
		log_warn("rpc %s: eventfd write: %m", srv->path);
fail:
	free(s);
}

void rpc_server_emit(struct rpc_server *srv, const char *event, json_t *data)
{
	json_t *ev = rpc_event_new(event, data);
	char *s;
	bool here;

	if (!ev) {
		log_warn("rpc: event '%s' not encodable", event ? event : "?");
		return;
	}
	pthread_mutex_lock(&srv->lock);
	here = srv->owner_set && pthread_equal(srv->owner, pthread_self());
	pthread_mutex_unlock(&srv->lock);
	if (!here) {
		rpc_server_enqueue(srv, ev);
		json_decref(ev);
		return;
	}
	s = json_dumps(ev, JSON_COMPACT);
	json_decref(ev);
	if (!s)
		return;
	size_t n = strlen(s);
	char *line = realloc(s, n + 2);

	if (!line) {
		free(s);
		return;
	}
	line[n] = '\n';
	rpc_broadcast_raw(srv, line, n + 1);
	free(line);
}

int rpc_conn_emit(struct rpc_conn *conn, const char *event, json_t *data)
{
	json_t *ev = rpc_event_new(event, data);
	int ret;

	if (!ev)
		return -EINVAL;
	ret = rpc_conn_send(conn, ev);
	json_decref(ev);
	return ret;
}

struct rpc_deferred *rpc_conn_defer(struct rpc_conn *conn)
{
	struct rpc_deferred *d;

	if (!conn || conn->fd < 0 || !conn->cur_id) {
		errno = ENOTCONN;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->id = json_incref(conn->cur_id);
	d->conn = conn;
	d->next = conn->deferred;
	conn->deferred = d;
	conn->defer_now = true;
	return d;
}

void rpc_deferred_reply(struct rpc_deferred *d, int rc, json_t *result,
			const struct rpc_error *err)
{
	struct rpc_conn *c;
	json_t *reply;

	if (!d) {
		json_decref(result);
		return;
	}
	c = d->conn;
	if (c) {
		struct rpc_deferred **pp;

		for (pp = &c->deferred; *pp; pp = &(*pp)->next)
			if (*pp == d) {
				*pp = d->next;
				break;
			}
		if (rc < 0) {
			rpc_reply_error(c, d->id, err && err->code[0] ?
					err->code : rpc_errno_name(-rc), "%s",
					err && err->message[0] ? err->message :
					strerror(-rc));
		} else {
			if (!result)
				result = json_object();
			reply = json_pack("{s:O,s:O}", "id", d->id, "result",
					  result);
			if (reply)
				rpc_conn_send(c, reply);
			json_decref(reply);
		}
	}
	json_decref(result);
	json_decref(d->id);
	free(d);
}

int rpc_conn_on_close(struct rpc_conn *conn, rpc_close_fn fn, void *arg)
{
	int free_slot = -1;

	if (conn->fd < 0)
		return -ENOTCONN;
	for (int i = 0; i < RPC_CONN_CLOSE_HOOKS; i++) {
		if (conn->on_close[i].fn == fn && conn->on_close[i].arg == arg)
			return 0;
		if (!conn->on_close[i].fn && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -ENOSPC;
	conn->on_close[free_slot].fn = fn;
	conn->on_close[free_slot].arg = arg;
	return 0;
}

size_t rpc_conn_pending(const struct rpc_conn *conn)
{
	return conn->fd < 0 ? 0 : rpc_outbuf_pending(&conn->out);
}

struct rpc_server *rpc_conn_server(const struct rpc_conn *conn)
{
	return conn->srv;
}

int rpc_server_watch(struct rpc_server *srv, int fd, void (*fn)(void *arg),
		     void *arg)
{
	struct rpc_watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = EPOLLIN };

	if (!w)
		return -ENOMEM;
	*w = (struct rpc_watch){ .next = srv->watches, .fd = fd, .fn = fn,
				 .arg = arg };
	ev.data.ptr = w;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;

		free(w);
		return err;
	}
	srv->watches = w;
	return 0;
}

void rpc_server_unwatch(struct rpc_server *srv, int fd)
{
	for (struct rpc_watch **pp = &srv->watches; *pp; pp = &(*pp)->next) {
		struct rpc_watch *w = *pp;

		if (w->fd != fd)
			continue;
		epoll_ctl(srv->epfd, EPOLL_CTL_DEL, fd, NULL);
		*pp = w->next;
		free(w);
		return;
	}
}

int rpc_conn_peer(const struct rpc_conn *conn, pid_t *pid, uid_t *uid)
{
	if (!conn->have_cred)
		return -ENOENT;
	if (pid)
		*pid = conn->cred.pid;
	if (uid)
		*uid = conn->cred.uid;
	return 0;
}

/* Remove a stale socket at path; refuse a live one or a non-socket. */
static int rpc_remove_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (ret == 0)
		return -EADDRINUSE;	/* someone is serving there */
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Bind and listen at srv->path with mode 0600. connect() is refused until
 * listen(), so nobody gets in between bind and chmod. */
static int rpc_server_listen(struct rpc_server *srv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int ret;

	ret = rpc_remove_stale(srv->path);
	if (ret < 0)
		return ret;
	srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  0);
	if (srv->lfd < 0)
		return -errno;
	memcpy(sa.sun_path, srv->path, sizeof(sa.sun_path));
	if (bind(srv->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (chmod(srv->path, 0600) < 0 || stat(srv->path, &st) < 0 ||
	    listen(srv->lfd, 64) < 0) {
		ret = -errno;
		unlink(srv->path);
		return ret;
	}
	srv->sock_dev = st.st_dev;
	srv->sock_ino = st.st_ino;
	return 0;
}

/* The epoll set, with the listener and the cross-thread eventfd. */
static int rpc_server_setup_epoll(struct rpc_server *srv)
{
	struct epoll_event ev = { .events = EPOLLIN };

	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0)
		return -errno;
	srv->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv->evfd < 0)
		return -errno;
	ev.data.ptr = &srv->lfd;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->lfd, &ev) < 0)
		return -errno;
	ev.data.ptr = &srv->evfd;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->evfd, &ev) < 0)
		return -errno;
	/* made now: when they are needed, fds may have run out */
	srv->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (srv->tfd < 0)
		return -errno;
	ev.data.ptr = &srv->tfd;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->tfd, &ev) < 0)
		return -errno;
	srv->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return 0;
}

struct rpc_server *rpc_server_open(const char *path,
				   const struct rpc_method *methods,
				   size_t nmethods, void *ctx)
{
	struct rpc_server *srv = NULL;
	int ret = -EINVAL;

	if (!path || !*path || (nmethods && !methods))
		goto fail;
	ret = -ENAMETOOLONG;
	if (strlen(path) >= sizeof(srv->path))
		goto fail;
	ret = -ENOMEM;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		goto fail;
	srv->lfd = srv->epfd = srv->evfd = srv->tfd = srv->spare_fd = -1;
	srv->lim = (struct rpc_limits){ .max_conns = RPC_MAX_CONNS,
					.max_line = RPC_MAX_LINE };
	srv->rl_fds = srv->rl_full = srv->rl_idle =
		(struct log_ratelimit)LOG_RATELIMIT_INIT(RPC_LIMIT_LOG_MS, 1);
	memcpy(srv->path, path, strlen(path) + 1);
	srv->methods = methods;
	srv->nmethods = nmethods;
	srv->ctx = ctx;
	srv->queue_tail = &srv->queue_head;
	pthread_mutex_init(&srv->lock, NULL);
	ret = rpc_server_listen(srv);
	if (ret == 0)
		ret = rpc_server_setup_epoll(srv);
	if (ret == 0)
		return srv;
fail:
	if (srv)
		rpc_server_close(srv);
	errno = -ret;
	return NULL;
}

/* Last words: deliver events queued by other threads and give clients up
 * to RPC_CLOSE_FLUSH_MS to take what is pending (a final "state" event). */
static void rpc_server_flush_all(struct rpc_server *srv)
{
	int64_t end = rpc_mono_ms() + RPC_CLOSE_FLUSH_MS;
	struct pollfd pfd;
	bool pending;

	if (srv->evfd >= 0)
		rpc_server_drain_queue(srv);
	do {
		pending = false;
		for (struct rpc_conn *c = srv->conns; c; c = c->next) {
			if (c->fd < 0 || rpc_outbuf_pending(&c->out) == 0)
				continue;
			if (rpc_outbuf_flush(&c->out, c->fd) < 0) {
				rpc_conn_kill(c);
				continue;
			}
			if (rpc_outbuf_pending(&c->out) == 0)
				continue;
			pending = true;
			pfd = (struct pollfd){ .fd = c->fd, .events = POLLOUT };
			poll(&pfd, 1, 10);
		}
	} while (pending && rpc_mono_ms() < end);
}

void rpc_server_close(struct rpc_server *srv)
{
	struct rpc_queued_event *q, *next;
	struct stat st;

	if (!srv)
		return;
	rpc_server_flush_all(srv);
	for (struct rpc_conn *c = srv->conns; c; c = c->next)
		rpc_conn_kill(c);
	rpc_server_reap(srv);
	if (srv->lfd >= 0) {
		/* Unlink only our own socket, not a successor's. */
		if (stat(srv->path, &st) == 0 && st.st_dev == srv->sock_dev &&
		    st.st_ino == srv->sock_ino)
			unlink(srv->path);
		close(srv->lfd);
	}
	if (srv->evfd >= 0)
		close(srv->evfd);
	if (srv->tfd >= 0)
		close(srv->tfd);
	if (srv->spare_fd >= 0)
		close(srv->spare_fd);
	if (srv->epfd >= 0)
		close(srv->epfd);
	for (q = srv->queue_head; q; q = next) {
		next = q->next;
		free(q);
	}
	while (srv->watches) {
		struct rpc_watch *w = srv->watches;

		srv->watches = w->next;
		free(w);
	}
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
