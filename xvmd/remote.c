/*
 * libvirt remote protocol server (LIBVIRT-RPC.md "Framing and encoding"):
 * a packet is a u32 total length, a 24-byte header {prog, vers, proc,
 * type, serial, status} and an XDR payload. Anything that cannot be a
 * packet of ours (length out of range, unknown program, version or type,
 * undecodable arguments) closes that connection; every other client keeps
 * being served.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netdb.h>
#include <netinet/in.h>
#include "xvm/log.h"
#include "events.h"
#include "netallow.h"
#include "loop.h"
#include "proc.h"
#include "tls.h"

/* Connections are counted apart by the socket they came in on, so the
 * world-connectable read-only socket cannot lock root out of the
 * read-write one; a user other than root holds at most
 * REMOTE_MAX_PER_UID of them (docs/security.md "xvmd"). */
#define REMOTE_MAX_RW		128
#define REMOTE_MAX_RO		128
#define REMOTE_MAX_PER_UID	16
/* Replies not yet read by a client: past REMOTE_OUT_PAUSE its calls are
 * no longer read (it waits, as libvirtd's clients do past their request
 * limit) until it has read them below that again; what is queued without
 * a call of its own (events, console data) may take it to REMOTE_OUT_MAX,
 * the most one buffer holds, beyond which it is dropped. The buffer is
 * compacted as it drains, so a steady reader never meets that cap. */
#define REMOTE_OUT_PAUSE	(1u << 20)
#define REMOTE_OUT_MAX		XDR_MSG_MAX
/* A client that sends nothing (no call, no keepalive) for this long and
 * has no open stream or unanswered call is closed. virsh and
 * python-libvirt with an event loop send a keepalive every 5 s. */
#define REMOTE_IDLE_MS		(300 * 1000)
/* Packets handled for one client before the loop serves the others. */
#define REMOTE_PKTS_PER_WAKE	32
/* A packet must arrive whole within this time of its first byte (the
 * 30 s libvirt's keepalive gives up after), or the client is dropped:
 * otherwise clients that never finish a packet keep their slots and,
 * with a large length word, their buffers forever. */
#define REMOTE_PARTIAL_MS	30000
/* File descriptors kept for xvmd's own work (hv sockets, consoles, the
 * store, vswitchd) when clients take the rest: a client accepted on one
 * of the last REMOTE_FD_RESERVE fds of the limit (RLIMIT_NOFILE) is
 * refused, its first call answered "Too many open files: ...", and at
 * most REMOTE_MAX_REFUSING such clients wait for that answer, each at
 * most REMOTE_REFUSE_MS. When accept() itself fails with EMFILE the
 * spare fd makes room to take the client off the queue and refuse it so
 * (the listener would otherwise stay readable and the loop spin). */
#define REMOTE_FD_RESERVE	16
#define REMOTE_MAX_REFUSING	4
#define REMOTE_REFUSE_MS	5000
/* Packets above REMOTE_SMALL_PKT (define's XML) share this much buffer
 * among all clients; small calls are always read, so clients that
 * announce big packets cannot lock the others out. */
#define REMOTE_SMALL_PKT	(64u << 10)
#define REMOTE_BIG_BUDGET	(64u << 20)
/* What a client did wrong is logged at most REMOTE_LOG_BURST times per
 * REMOTE_LOG_MS (with the count of those left out): one line per
 * malformed packet let a client write 27 MB of log in 5 minutes. */
#define REMOTE_LOG_MS		10000
#define REMOTE_LOG_BURST	10
/* A TLS client must finish its handshake within this time of connecting
 * (the packet and idle limits apply once it has). */
#define REMOTE_TLS_HS_MS	10000
/* TLS clients not yet past their certificate check, at most: anyone who
 * can reach the port may start a handshake, and those must not take all
 * the read-write slots root's unix socket shares. */
#define REMOTE_MAX_TLS_HS	32
#define KEEPALIVE_PING		1
#define KEEPALIVE_PONG		2

struct remote_listener {
	int fd;
	bool ro;		/* read-only socket: every connection read-only */
	bool tcp;		/* TCP: peers checked against remote_tcp_allow */
	bool tls;		/* TLS: peers checked by their certificate */
	char path[108];		/* unix: the socket file; TCP: ADDR:PORT */
	bool off;		/* not watched: out of fds, see remote_tick */
	struct remote_listener *next;
};

struct remote_conn {
	int fd;
	uid_t uid;		/* the peer's (SO_PEERCRED), if uid_known */
	bool uid_known;
	int64_t last_rx_ms;	/* when a byte last came in */
	uint32_t watched;	/* the epoll events registered */
	bool paused;		/* too much queued: its calls are not read */
	uint8_t lenbuf[4];
	size_t len_got;
	int64_t pkt_start_ms;	/* when the unfinished packet began */
	uint8_t *pkt;		/* the packet being read, pkt_len bytes */
	uint32_t pkt_len;
	size_t pkt_got;
	struct xdr_out out;	/* bytes not yet written, from out_off */
	size_t out_off;
	bool open, readonly, dead;
	bool ro_socket;		/* accepted on a read-only socket */
	bool tcp;		/* accepted on a TCP listener */
	int refuse;		/* errno its first call is answered with */
	bool closing;		/* close once its output is written */
	int64_t accepted_ms;
	char local[64];		/* TCP: our address the client reached */
	char peer[64];		/* TCP: the client's address, for logs */
	struct tls_sess *tls;	/* TLS: the session all bytes go through */
	bool tls_hs;		/* TLS: handshake (or confirmation) not done */
	int64_t tls_start_ms;	/* TLS: when the client connected */
	struct event_cb *events;	/* event registrations (events.c) */
	struct remote_stream *streams;	/* open streams on this client */
	struct remote_defer *defers;	/* calls to be answered later */
	struct remote_conn *next;
};

struct remote_defer {
	struct remote_conn *conn;	/* NULL once the client is gone */
	uint32_t proc, serial;
	struct remote_defer *next;
};

struct remote_stream {
	struct remote_conn *conn;
	uint32_t proc, serial;	/* of the call that opened it */
	const struct remote_stream_ops *ops;
	void *opaque;
	struct remote_stream *next;
};

struct remote_hdr {
	uint32_t prog, vers, proc, type, serial, status;
};

static struct remote_listener *remote_listeners;
/* Who may connect over TCP (--tcp-allow); loopback unless configured. */
static struct netallow remote_tcp_allow;
static struct remote_conn *remote_conns;
static unsigned int remote_nconns[2];	/* by ro_socket */
static int64_t remote_idle_ms = REMOTE_IDLE_MS;
static size_t remote_big_bytes;	/* buffers of big packets being read */
static int remote_spare_fd = -1;	/* /dev/null, given up at EMFILE */
static unsigned int remote_nrefusing;	/* clients waiting for EMFILE */
static int64_t remote_off_until;	/* listeners unwatched until */
static struct log_ratelimit remote_log_rl =
	LOG_RATELIMIT_INIT(REMOTE_LOG_MS, REMOTE_LOG_BURST);

/* Out of file descriptors: one line per 10 s (the next one says how
 * many were suppressed). */
static struct log_ratelimit remote_fd_rl = LOG_RATELIMIT_INIT(10000, 1);
#define remote_warn_fds(...) \
	log_ratelimited(&remote_fd_rl, LL_WARN, "remote: " __VA_ARGS__)

/* A warning about a client, rate-limited (any client may trigger it). */
#define remote_warn(...) \
	log_ratelimited(&remote_log_rl, LL_WARN, "remote: " __VA_ARGS__)

bool remote_conn_is_open(const struct remote_conn *conn)
{
	return conn->open;
}

void remote_conn_set_open(struct remote_conn *conn, bool readonly)
{
	conn->open = true;
	conn->readonly = readonly || conn->ro_socket;
}

bool remote_conn_readonly(const struct remote_conn *conn)
{
	return conn->readonly;
}

bool remote_conn_is_tcp(const struct remote_conn *conn)
{
	return conn->tcp;
}

bool remote_conn_is_tls(const struct remote_conn *conn)
{
	return conn->tls != NULL;
}

const char *remote_conn_local_addr(const struct remote_conn *conn)
{
	return conn->tcp && conn->local[0] ? conn->local : NULL;
}

/* Release the packet being read (and its share of the budget). */
static void remote_pkt_free(struct remote_conn *conn)
{
	if (conn->pkt && conn->pkt_len > REMOTE_SMALL_PKT)
		remote_big_bytes -= conn->pkt_len;
	free(conn->pkt);
	conn->pkt = NULL;
	conn->len_got = 0;
}

/* Unlink st from its connection and free it. */
static void remote_stream_free(struct remote_stream *st)
{
	struct remote_stream **pp;

	for (pp = &st->conn->streams; *pp; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	free(st);
}

/* The connection goes: every stream owner forgets its stream. */
static void remote_streams_gone(struct remote_conn *conn)
{
	while (conn->streams) {
		struct remote_stream *st = conn->streams;

		st->ops->close(st->opaque);
		remote_stream_free(st);
	}
}

static void remote_defer_unlink(struct remote_defer *d)
{
	struct remote_defer **pp;

	if (!d->conn)
		return;
	for (pp = &d->conn->defers; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	d->conn = NULL;
}

static void remote_conn_free(struct remote_conn *conn)
{
	struct remote_conn **pp;

	for (pp = &remote_conns; *pp; pp = &(*pp)->next)
		if (*pp == conn) {
			*pp = conn->next;
			break;
		}
	remote_streams_gone(conn);
	event_conn_gone(conn);
	while (conn->defers)	/* their owners answer into the void */
		remote_defer_unlink(conn->defers);
	loop_del(conn->fd);
	tls_sess_free(conn->tls);
	close(conn->fd);
	remote_pkt_free(conn);
	xdr_out_free(&conn->out);
	remote_nconns[conn->ro_socket]--;
	remote_nrefusing -= conn->refuse != 0;
	free(conn);
	if (remote_spare_fd < 0)	/* an fd is free now */
		remote_spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/*
 * The transport under the framing: the socket itself, or a TLS session
 * on it. recv(2)/send(2) conventions (-1 with errno EAGAIN, EINTR, ...).
 */
static ssize_t remote_io_recv(struct remote_conn *conn, void *buf, size_t len)
{
	if (conn->tls)
		return tls_recv(conn->tls, buf, len);
	return recv(conn->fd, buf, len, 0);
}

static ssize_t remote_io_send(struct remote_conn *conn, const void *buf,
			      size_t len)
{
	if (conn->tls)
		return tls_send(conn->tls, buf, len);
	return send(conn->fd, buf, len, MSG_NOSIGNAL);
}

/* Input already decrypted: no EPOLLIN will announce it. */
static bool remote_io_pending(struct remote_conn *conn)
{
	return conn->tls && !conn->tls_hs && tls_pending(conn->tls);
}

/* Watch for input unless paused, for output while some is queued (and,
 * with TLS input waiting decrypted, for output too: the writable socket
 * brings us back to read it). */
static void remote_watch(struct remote_conn *conn)
{
	size_t queued = conn->out.len - conn->out_off;
	uint32_t ev;

	conn->paused = queued > REMOTE_OUT_PAUSE;
	ev = (conn->paused ? 0 : EPOLLIN) |
	     (queued || (!conn->paused && remote_io_pending(conn)) ?
	      EPOLLOUT : 0);
	if (ev != conn->watched && loop_mod(conn->fd, ev) == 0)
		conn->watched = ev;
}

/* Drop what has been written from the front of the buffer once it is
 * half of it (amortized: each byte moves at most once more), or when
 * what is to be added would not fit otherwise. */
static void remote_out_compact(struct remote_conn *conn, size_t add)
{
	struct xdr_out *o = &conn->out;

	if (!conn->out_off || (conn->out_off < o->len / 2 &&
			       o->len + add <= XDR_MSG_MAX))
		return;
	memmove(o->buf, o->buf + conn->out_off, o->len - conn->out_off);
	o->len -= conn->out_off;
	conn->out_off = 0;
}

/* Write what is queued; watch for EPOLLOUT while something is left. */
static void remote_flush(struct remote_conn *conn)
{
	while (conn->out_off < conn->out.len) {
		ssize_t n = remote_io_send(conn, conn->out.buf + conn->out_off,
					   conn->out.len - conn->out_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn->dead = true;
			return;
		}
		conn->out_off += (size_t)n;
	}
	if (conn->out_off == conn->out.len)
		conn->out.len = conn->out_off = 0;
	else
		remote_out_compact(conn, 0);
	remote_watch(conn);
}

/* Queue one packet: header fields from h, then payload. */
static int remote_send(struct remote_conn *conn, const struct remote_hdr *h,
		       const void *payload, size_t len)
{
	struct xdr_out *o = &conn->out;
	size_t start;

	if (conn->dead)
		return -EPIPE;
	if (o->len - conn->out_off + REMOTE_HEADER_LEN + len > REMOTE_OUT_MAX) {
		remote_warn("client not reading replies, closing it");
		conn->dead = true;
		return -ENOBUFS;
	}
	remote_out_compact(conn, REMOTE_HEADER_LEN + len);
	start = o->len;
	xdr_put_u32(o, 0);
	xdr_put_u32(o, h->prog);
	xdr_put_u32(o, h->vers);
	xdr_put_u32(o, h->proc);
	xdr_put_u32(o, h->type);
	xdr_put_u32(o, h->serial);
	xdr_put_u32(o, h->status);
	xdr_put_raw(o, payload, len);	/* stream data is not padded */
	if (o->err) {
		conn->dead = true;
		return o->err;
	}
	xdr_patch_u32(o, start, (uint32_t)(o->len - start));
	remote_flush(conn);
	return 0;
}

struct event_cb **remote_conn_events(struct remote_conn *conn)
{
	return &conn->events;
}

void remote_each_conn(void (*fn)(struct remote_conn *conn, void *opaque),
		      void *opaque)
{
	struct remote_conn *conn;

	for (conn = remote_conns; conn; conn = conn->next)
		if (!conn->dead && conn->open)
			fn(conn, opaque);
}

int remote_send_event(struct remote_conn *conn, uint32_t proc,
		      const void *payload, size_t len)
{
	struct remote_hdr h = { REMOTE_PROGRAM, 1, proc, REMOTE_MESSAGE, 0,
				REMOTE_OK };

	return remote_send(conn, &h, payload, len);
}

static int remote_stream_packet(struct remote_stream *st,
				enum remote_status status,
				const void *data, size_t len)
{
	struct remote_hdr h = { REMOTE_PROGRAM, 1, st->proc, REMOTE_STREAM,
				st->serial, status };

	return remote_send(st->conn, &h, data, len);
}

struct remote_stream *remote_stream_open(struct remote_conn *conn,
					 uint32_t proc, uint32_t serial,
					 const struct remote_stream_ops *ops,
					 void *opaque)
{
	struct remote_stream *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->conn = conn;
	st->proc = proc;
	st->serial = serial;
	st->ops = ops;
	st->opaque = opaque;
	st->next = conn->streams;
	conn->streams = st;
	log_debug("remote: %s stream opened, serial %u", ops->name, serial);
	return st;
}

int remote_stream_write(struct remote_stream *st, const void *data,
			size_t len)
{
	return remote_stream_packet(st, REMOTE_CONTINUE, data, len);
}

void remote_stream_close(struct remote_stream *st)
{
	remote_stream_packet(st, REMOTE_CONTINUE, NULL, 0);
	remote_stream_free(st);
}

/* A STREAM packet from the client: to the stream its call opened.
 * Packets for streams we do not have (already ended) are ignored. */
static void remote_stream_input(struct remote_conn *conn,
				const struct remote_hdr *h,
				const uint8_t *data, size_t len)
{
	struct remote_stream *st;

	for (st = conn->streams; st; st = st->next)
		if (st->serial == h->serial && st->proc == h->proc)
			break;
	if (!st)
		return;
	if (h->status == REMOTE_CONTINUE) {
		st->ops->data(st->opaque, data, len);
		return;
	}
	/* Finish (OK) or abort (ERROR): the client waits for an empty OK. */
	st->ops->finish(st->opaque, h->status == REMOTE_ERROR);
	remote_stream_packet(st, REMOTE_OK, NULL, 0);
	remote_stream_free(st);
}

/* remote_error (remote_protocol.x): code, domain, message, level, dom,
 * str1-3, int1, int2, net. */
static void remote_put_error(struct xdr_out *o, const struct verr *e)
{
	xdr_put_i32(o, e->code ? e->code : VERR_INTERNAL);
	xdr_put_i32(o, e->code == VERR_NO_DOMAIN || e->code ==
		    VERR_OPERATION_INVALID ? VERR_FROM_DOM :
		    e->code == VERR_NO_STORAGE_POOL || e->code ==
		    VERR_NO_STORAGE_VOL || e->code == VERR_STORAGE_VOL_EXIST ?
		    VERR_FROM_STORAGE : VERR_FROM_REMOTE);
	xdr_put_opt_string(o, e->msg[0] ? e->msg : "internal error");
	xdr_put_i32(o, 2);	/* VIR_ERR_ERROR */
	xdr_put_u32(o, 0);	/* dom */
	xdr_put_u32(o, 0);	/* str1 */
	xdr_put_u32(o, 0);	/* str2 */
	xdr_put_u32(o, 0);	/* str3 */
	xdr_put_i32(o, 0);
	xdr_put_i32(o, 0);
	xdr_put_u32(o, 0);	/* net */
}

static void remote_reply(struct remote_conn *conn, const struct remote_hdr *req,
			 struct remote_call *c, int rc)
{
	struct remote_hdr h = *req;
	struct xdr_out eo;

	h.type = REMOTE_REPLY;
	if (rc == 0 && !c->ret->err) {
		h.status = REMOTE_OK;
		remote_send(conn, &h, c->ret->buf, c->ret->len);
		return;
	}
	if (rc == 0)
		verr_set(&c->err, VERR_INTERNAL, "reply too large or out of memory");
	xdr_out_init(&eo);
	remote_put_error(&eo, &c->err);
	h.status = REMOTE_ERROR;
	remote_send(conn, &h, eo.buf, eo.len);
	xdr_out_free(&eo);
}

struct remote_defer *remote_call_defer(struct remote_call *c)
{
	struct remote_defer *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->conn = c->conn;
	d->proc = c->proc;
	d->serial = c->serial;
	d->next = c->conn->defers;
	c->conn->defers = d;
	return d;
}

void remote_defer_reply(struct remote_defer *d, int rc, const struct verr *e,
			struct xdr_out *ret)
{
	struct remote_hdr h = { REMOTE_PROGRAM, 1, d->proc, REMOTE_CALL,
				d->serial, REMOTE_OK };
	struct remote_call c = { .proc = d->proc, .serial = d->serial };
	struct xdr_out empty;

	if (d->conn) {
		xdr_out_init(&empty);
		c.conn = d->conn;
		c.ret = ret ? ret : &empty;
		if (rc < 0)
			c.err = *e;
		remote_reply(d->conn, &h, &c, rc);
		xdr_out_free(&empty);
	}
	remote_defer_cancel(d);
}

void remote_defer_cancel(struct remote_defer *d)
{
	remote_defer_unlink(d);
	free(d);
}

/* NO_SUPPORT for a procedure in no table, worded as libvirtd words it:
 * the API's name when proc_unserved.c knows it, else its number. */
static int remote_no_support(struct remote_call *c, uint32_t num)
{
	const char *api = proc_unserved_api((int)num);

	if (api)
		return verr_set(&c->err, VERR_NO_SUPPORT, "this function is not "
				"supported by the connection driver: %s", api);
	return verr_set(&c->err, VERR_NO_SUPPORT, "this function is not "
			"supported by the connection driver: procedure %u", num);
}

/* Run one CALL through the table. */
static void remote_call(struct remote_conn *conn, const struct remote_hdr *h,
			struct xdr_in *args)
{
	const struct proc *p = proc_lookup((int)h->proc);
	struct xdr_out ret;
	struct remote_call c = { .conn = conn, .proc = h->proc,
				 .serial = h->serial, .args = args, .ret = &ret };
	int rc;

	xdr_out_init(&ret);
	if (conn->refuse) {
		rc = verr_fail(&c.err, -conn->refuse, VERR_RPC, "%s: xvmd has "
			       "no file descriptor left for another client; "
			       "try again later", strerror(conn->refuse));
		conn->closing = true;
	} else if (!p) {
		rc = remote_no_support(&c, h->proc);
	} else if (!(p->flags & PROC_UNOPENED) && !conn->open) {
		rc = verr_set(&c.err, VERR_INTERNAL, "connection not open");
	} else if ((p->flags & PROC_WRITE) && conn->readonly) {
		rc = verr_set(&c.err, VERR_OPERATION_DENIED, "operation forbidden: "
			      "read only access prevents %s", p->name);
	} else {
		log_debug("remote: call %s serial %u", p->name, h->serial);
		rc = p->fn(&c);
	}
	if (rc == PROC_DROP) {
		remote_warn("malformed arguments for procedure %u, "
			    "closing the connection", h->proc);
		conn->dead = true;
	} else if (rc != PROC_LATER) {
		remote_reply(conn, h, &c, rc);
	}
	xdr_out_free(&ret);
}

static void remote_keepalive(struct remote_conn *conn, const struct remote_hdr *h)
{
	struct remote_hdr pong = { REMOTE_KEEPALIVE, 1, KEEPALIVE_PONG,
				   REMOTE_MESSAGE, 0, REMOTE_OK };

	if (h->vers != 1 || h->type != REMOTE_MESSAGE ||
	    (h->proc != KEEPALIVE_PING && h->proc != KEEPALIVE_PONG)) {
		conn->dead = true;
		return;
	}
	if (h->proc == KEEPALIVE_PING)
		remote_send(conn, &pong, NULL, 0);
}

/* A whole packet (without its length word) is in conn->pkt. */
static void remote_packet(struct remote_conn *conn)
{
	struct xdr_in x;
	struct remote_hdr h;

	xdr_in_init(&x, conn->pkt, conn->pkt_len);
	h.prog = xdr_get_u32(&x);
	h.vers = xdr_get_u32(&x);
	h.proc = xdr_get_u32(&x);
	h.type = xdr_get_u32(&x);
	h.serial = xdr_get_u32(&x);
	h.status = xdr_get_u32(&x);
	if (h.prog == REMOTE_KEEPALIVE) {
		remote_keepalive(conn, &h);
	} else if (h.prog != REMOTE_PROGRAM || h.vers != 1) {
		remote_warn("unknown program %#x version %u, closing",
			    h.prog, h.vers);
		conn->dead = true;
	} else if (h.type == REMOTE_CALL && h.status == REMOTE_OK) {
		remote_call(conn, &h, &x);
	} else if (h.type == REMOTE_STREAM) {
		remote_stream_input(conn, &h, x.p, x.left);
	} else {
		remote_warn("unexpected message type %u, closing", h.type);
		conn->dead = true;
	}
}

/* The length word is complete: check it and set up the packet. */
static void remote_pkt_begin(struct remote_conn *conn)
{
	conn->pkt_len = ((uint32_t)conn->lenbuf[0] << 24 |
			 (uint32_t)conn->lenbuf[1] << 16 |
			 (uint32_t)conn->lenbuf[2] << 8 | conn->lenbuf[3]);
	if (conn->pkt_len < REMOTE_HEADER_LEN || conn->pkt_len > XDR_MSG_MAX) {
		remote_warn("bad packet length %u, closing", conn->pkt_len);
		conn->dead = true;
		return;
	}
	conn->pkt_len -= 4;
	conn->pkt_got = 0;
	/* nothing a read-only client may call takes a big packet: it gets
	 * no share of the budget root's defines need */
	if (conn->pkt_len > REMOTE_SMALL_PKT &&
	    (conn->ro_socket || conn->readonly)) {
		remote_warn("%u-byte packet on a read-only connection, closing",
			    conn->pkt_len);
		conn->dead = true;
		return;
	}
	if (conn->pkt_len > REMOTE_SMALL_PKT &&
	    remote_big_bytes + conn->pkt_len > REMOTE_BIG_BUDGET) {
		remote_warn("%u-byte packet while %zu bytes of big packets are "
			    "pending, closing", conn->pkt_len, remote_big_bytes);
		conn->dead = true;
		return;
	}
	conn->pkt = malloc(conn->pkt_len);
	if (!conn->pkt) {
		conn->dead = true;
		return;
	}
	if (conn->pkt_len > REMOTE_SMALL_PKT)
		remote_big_bytes += conn->pkt_len;
}

/* Read what the packet being collected still needs (its length word,
 * then its body; never beyond it, so a client's later calls stay in its
 * socket while it is paused) and handle whole packets, at most
 * REMOTE_PKTS_PER_WAKE before the others are served. */
static void remote_input(struct remote_conn *conn)
{
	int budget = REMOTE_PKTS_PER_WAKE;

	while (!conn->dead && !conn->paused && budget > 0) {
		bool in_len = conn->len_got < 4;
		uint8_t *dst = in_len ? conn->lenbuf + conn->len_got :
				conn->pkt + conn->pkt_got;
		size_t want = in_len ? 4 - conn->len_got :
				       conn->pkt_len - conn->pkt_got;
		ssize_t n = remote_io_recv(conn, dst, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			conn->dead = true;
			return;
		}
		conn->last_rx_ms = loop_now_ms();
		if (in_len) {
			if (conn->len_got == 0)
				conn->pkt_start_ms = conn->last_rx_ms;
			conn->len_got += (size_t)n;
			if (conn->len_got == 4)
				remote_pkt_begin(conn);
			continue;
		}
		conn->pkt_got += (size_t)n;
		if (conn->pkt_got == conn->pkt_len) {
			remote_packet(conn);
			remote_pkt_free(conn);
			budget--;
		}
	}
}

/*
 * A TLS client's handshake, one step per readiness of its socket; then its
 * certificate is checked and, as libvirtd does, the byte 1 sent to say it
 * passed (libvirt's client waits for it before its first call). A client
 * refused is logged and closed: it sees the confirmation missing.
 */
static void remote_tls_step(struct remote_conn *conn)
{
	char why[256], dn[512];
	uint32_t ev = EPOLLIN;
	int rc = tls_handshake(conn->tls, &ev, why, sizeof(why));

	if (rc == -EAGAIN) {
		if (ev != conn->watched && loop_mod(conn->fd, ev) == 0)
			conn->watched = ev;
		return;
	}
	dn[0] = 0;
	if (rc == 0)
		rc = tls_check_peer(conn->tls, dn, sizeof(dn), why,
				    sizeof(why));
	if (rc < 0) {
		remote_warn("TLS client %s refused: %s%s%s%s", conn->peer, why,
			    dn[0] ? " (DN '" : "", dn, dn[0] ? "')" : "");
		conn->dead = true;
		return;
	}
	log_info("remote: TLS client %s, DN '%s'", conn->peer, dn);
	conn->tls_hs = false;
	conn->last_rx_ms = loop_now_ms();
	xdr_put_raw(&conn->out, "\1", 1);
	if (conn->out.err)
		conn->dead = true;
	else
		remote_flush(conn);
}

static void remote_conn_event(void *opaque, uint32_t events)
{
	struct remote_conn *conn = opaque;

	if (conn->tls_hs) {
		remote_tls_step(conn);
		if (conn->dead)
			remote_conn_free(conn);
		return;
	}
	if (events & EPOLLOUT)
		remote_flush(conn);
	if (conn->closing)
		;	/* its one answer is on its way: nothing more read */
	else if ((events & EPOLLIN) || remote_io_pending(conn))
		remote_input(conn);
	else if (events & (EPOLLHUP | EPOLLERR))	/* paused: not read */
		conn->dead = true;
	if (conn->closing && (remote_conn_queued(conn) == 0 ||
			      (events & (EPOLLHUP | EPOLLERR))))
		conn->dead = true;
	if (conn->dead)
		remote_conn_free(conn);
	else
		remote_watch(conn);
}

static void remote_listeners_on(int64_t now);

void remote_tick(void)
{
	int64_t now = loop_now_ms();
	struct remote_conn *conn, *next;

	remote_listeners_on(now);
	for (conn = remote_conns; conn; conn = next) {
		next = conn->next;
		if (conn->refuse && now - conn->accepted_ms >= REMOTE_REFUSE_MS) {
			remote_conn_free(conn);
			continue;
		}
		if (conn->tls_hs) {
			if (now - conn->tls_start_ms >= REMOTE_TLS_HS_MS) {
				remote_warn("TLS client %s refused: no "
					    "handshake within %d s", conn->peer,
					    REMOTE_TLS_HS_MS / 1000);
				remote_conn_free(conn);
			}
			continue;
		}
		/* a paused client's packet waits for us, not for it */
		if (conn->len_got && !conn->paused &&
		    now - conn->pkt_start_ms >= REMOTE_PARTIAL_MS) {
			remote_warn("packet unfinished after %d s, closing",
				    REMOTE_PARTIAL_MS / 1000);
			remote_conn_free(conn);
		} else if (now - conn->last_rx_ms >= remote_idle_ms &&
			   !conn->streams && !conn->defers) {
			remote_warn("client idle for %lld s, closing",
				    (long long)(now - conn->last_rx_ms) / 1000);
			remote_conn_free(conn);
		}
	}
}

void remote_set_idle_ms(int64_t ms)
{
	remote_idle_ms = ms > 0 ? ms : REMOTE_IDLE_MS;
}

size_t remote_conn_queued(const struct remote_conn *conn)
{
	return conn->out.len - conn->out_off;
}

/* Room for one more connection of this kind and peer? */
static int remote_admit(const struct remote_conn *new)
{
	const struct remote_conn *conn;
	unsigned int max = new->ro_socket ? REMOTE_MAX_RO : REMOTE_MAX_RW;
	unsigned int same = 0;

	if (remote_nconns[new->ro_socket] >= max) {
		remote_warn("%u %s clients already, refusing one", max,
			    new->ro_socket ? "read-only" : "read-write");
		return -EMFILE;
	}
	if (!new->uid_known || new->uid == 0)
		return 0;
	for (conn = remote_conns; conn; conn = conn->next)
		same += conn->uid_known && conn->uid == new->uid;
	if (same >= REMOTE_MAX_PER_UID) {
		remote_warn("uid %u has %u connections already, refusing one",
			    (unsigned int)new->uid, same);
		return -EMFILE;
	}
	return 0;
}

int remote_serve_fd(int fd, bool ro)
{
	struct remote_conn *conn = NULL;
	int flags = fcntl(fd, F_GETFL);
	struct ucred cred;
	socklen_t clen = sizeof(cred), dlen = sizeof(int);
	int rc, dom = 0;

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		rc = -errno;
		goto fail;
	}
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		rc = -ENOMEM;
		goto fail;
	}
	conn->fd = fd;
	conn->ro_socket = ro;
	/* a TCP socket answers SO_PEERCRED too, with uid -1: every network
	 * client would count as one user */
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &dlen) == 0 &&
	    dom == AF_UNIX &&
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 &&
	    clen == sizeof(cred)) {
		conn->uid = cred.uid;
		conn->uid_known = true;
	}
	rc = remote_admit(conn);
	if (rc < 0)
		goto fail;
	rc = loop_add(fd, EPOLLIN, remote_conn_event, conn);
	if (rc < 0)
		goto fail;
	conn->watched = EPOLLIN;
	conn->last_rx_ms = loop_now_ms();
	xdr_out_init(&conn->out);
	conn->next = remote_conns;
	remote_conns = conn;
	remote_nconns[ro]++;
	return 0;
fail:
	free(conn);
	close(fd);
	return rc;
}

/* A TCP peer: refused (logged, closed) unless the allow list has it; a
 * TLS peer starts its handshake (its certificate decides). */
static int remote_accept_tcp(int fd, const struct sockaddr *peer, bool tls)
{
	struct sockaddr_storage me;
	socklen_t len = sizeof(me);
	struct remote_conn *conn;
	char who[64];

	netallow_addr_str(peer, who, sizeof(who));
	if (tls) {
		unsigned int hs = 0;

		for (conn = remote_conns; conn; conn = conn->next)
			hs += conn->tls_hs;
		if (hs >= REMOTE_MAX_TLS_HS) {
			remote_warn("TLS client %s refused: %u handshakes in "
				    "progress already", who, hs);
			close(fd);
			return -EMFILE;
		}
	}
	if (!tls && !netallow_match(&remote_tcp_allow, peer)) {
		log_warn("remote: TCP client %s refused (not in --tcp-allow)",
			 who);
		close(fd);
		return -EACCES;
	}
	if (remote_serve_fd(fd, false) < 0)
		return -EIO;
	conn = remote_conns;	/* remote_serve_fd() put it first */
	conn->tcp = true;
	snprintf(conn->peer, sizeof(conn->peer), "%s", who);
	if (getsockname(fd, (struct sockaddr *)&me, &len) == 0)
		netallow_addr_str((struct sockaddr *)&me, conn->local,
				  sizeof(conn->local));
	if (!tls) {
		log_info("remote: TCP client %s", who);
		return 0;
	}
	conn->tls = tls_sess_new(fd);
	if (!conn->tls) {
		remote_warn("TLS client %s refused: no TLS session (out of "
			    "memory)", who);
		remote_conn_free(conn);
		return -ENOMEM;
	}
	conn->tls_hs = true;
	conn->tls_start_ms = loop_now_ms();
	return 0;
}

/* Every listener watched again once remote_off_until passed. */
static void remote_listeners_on(int64_t now)
{
	struct remote_listener *l;

	if (remote_spare_fd < 0)
		remote_spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (now < remote_off_until)
		return;
	for (l = remote_listeners; l; l = l->next)
		if (l->off && loop_mod(l->fd, EPOLLIN) == 0)
			l->off = false;
}

/* accept() failed for want of an fd: take the client off the queue on
 * the spare fd (refused as below), or leave every listener alone for a
 * second; either way the loop does not spin on a readable listener. */
static int remote_accept_spare(struct remote_listener *l, int err)
{
	struct remote_listener *o;
	int fd = -1;

	remote_warn_fds("out of file descriptors (%s): refusing new clients",
		    strerror(err));
	if (remote_spare_fd >= 0) {
		close(remote_spare_fd);
		remote_spare_fd = -1;
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	}
	if (fd >= 0)
		return fd;
	remote_off_until = loop_now_ms() + 1000;
	for (o = remote_listeners; o; o = o->next)
		if (!o->off && loop_mod(o->fd, 0) == 0)
			o->off = true;
	return -1;
}

/* A client accepted on one of the last fds: answered EMFILE, closed. */
static void remote_refuse(int fd, bool ro)
{
	struct remote_conn *conn;

	if (remote_nrefusing >= REMOTE_MAX_REFUSING ||
	    remote_serve_fd(fd, ro) < 0) {
		if (remote_nrefusing >= REMOTE_MAX_REFUSING)
			close(fd);
		return;
	}
	conn = remote_conns;	/* remote_serve_fd() put it first */
	conn->refuse = EMFILE;
	conn->accepted_ms = loop_now_ms();
	remote_nrefusing++;
}

static void remote_accept(void *opaque, uint32_t events)
{
	struct remote_listener *l = opaque;
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	int fd = accept4(l->fd, (struct sockaddr *)&peer, &len,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct rlimit rl;
	bool low;

	(void)events;
	if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
		fd = remote_accept_spare(l, errno);
		if (fd < 0)
			return;
		low = true;
	} else if (fd < 0) {
		return;
	} else {
		low = getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
		      rl.rlim_cur != RLIM_INFINITY &&
		      (rlim_t)fd + REMOTE_FD_RESERVE >= rl.rlim_cur;
		if (low)
			remote_warn_fds("%d of %llu file descriptors in use: "
				    "refusing new clients", fd + 1,
				    (unsigned long long)rl.rlim_cur);
	}
	if (low && l->tls)		/* no answer without a handshake */
		close(fd);
	else if (low)
		remote_refuse(fd, l->ro);
	else if (l->tcp)
		remote_accept_tcp(fd, (struct sockaddr *)&peer, l->tls);
	else
		remote_serve_fd(fd, l->ro);
}

/* Replace a stale socket file, refuse if someone is listening there. */
static int remote_unlink_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0) {
		close(fd);
		return -EADDRINUSE;
	}
	close(fd);
	return unlink(sa->sun_path) < 0 ? -errno : 0;
}

int remote_listen(const char *path, bool ro)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct remote_listener *l = NULL;
	int fd = -1, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	rc = remote_unlink_stale(&sa);
	if (rc < 0)
		goto fail;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, ro ? 0666 : 0600) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		goto fail;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		rc = -ENOMEM;
		goto fail;
	}
	l->fd = fd;
	l->ro = ro;
	strcpy(l->path, path);
	rc = loop_add(fd, EPOLLIN, remote_accept, l);
	if (remote_spare_fd < 0)
		remote_spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (rc < 0)
		goto fail;
	l->next = remote_listeners;
	remote_listeners = l;
	return 0;
fail:
	free(l);
	if (fd >= 0) {
		close(fd);
		if (rc != -EADDRINUSE && rc != -EEXIST)
			unlink(path);
	}
	return rc;
}

int remote_tcp_allow_set(const char *spec, char *err, size_t errlen)
{
	return netallow_parse(&remote_tcp_allow, spec, err, errlen);
}

/* "ADDR[:PORT]", "[V6ADDR][:PORT]" or ":PORT" (every address) into host
 * and port strings. */
static int remote_split_hostport(const char *spec, int defport, char *host,
				 size_t hlen, char *port, size_t plen)
{
	const char *colon, *p;

	snprintf(port, plen, "%d", defport);
	if (spec[0] == '[') {
		p = strchr(spec, ']');
		if (!p || (size_t)(p - spec - 1) >= hlen)
			return -EINVAL;
		memcpy(host, spec + 1, (size_t)(p - spec - 1));
		host[p - spec - 1] = 0;
		colon = p[1] == ':' ? p + 1 : NULL;
		if (p[1] && !colon)
			return -EINVAL;
	} else {
		colon = strrchr(spec, ':');
		if (colon && strchr(spec, ':') != colon)	/* bare IPv6 */
			colon = NULL;
		if ((size_t)(colon ? colon - spec : (long)strlen(spec)) >= hlen)
			return -EINVAL;
		snprintf(host, hlen, "%.*s", (int)(colon ? colon - spec :
						  (long)strlen(spec)), spec);
	}
	if (colon) {
		char *end;
		long v = strtol(colon + 1, &end, 10);

		if (!colon[1] || *end || v < 1 || v > 65535)
			return -EINVAL;
		snprintf(port, plen, "%ld", v);
	}
	return 0;
}

static int remote_listen_inet(const char *spec, bool tls)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICHOST |
					      AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	struct remote_listener *l = NULL;
	char host[INET6_ADDRSTRLEN + 1], port[8];
	int fd = -1, one = 1, rc;

	if (!remote_tcp_allow.n)
		netallow_parse(&remote_tcp_allow, "127.0.0.0/8,::1", host,
			       sizeof(host));
	if (remote_split_hostport(spec, tls ? TLS_PORT : REMOTE_TCP_PORT, host,
				  sizeof(host), port, sizeof(port)) < 0)
		return -EINVAL;
	if (getaddrinfo(host[0] ? host : NULL, port, &hints, &ai) != 0)
		return -EINVAL;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		goto fail;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		rc = -ENOMEM;
		goto fail;
	}
	l->fd = fd;
	l->tcp = true;
	l->tls = tls;
	snprintf(l->path, sizeof(l->path), "%s:%s", host, port);
	rc = loop_add(fd, EPOLLIN, remote_accept, l);
	if (remote_spare_fd < 0)
		remote_spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (rc < 0)
		goto fail;
	l->next = remote_listeners;
	remote_listeners = l;
	freeaddrinfo(ai);
	log_info("remote: listening on %s %s", tls ? "TLS" : "TCP", spec);
	return 0;
fail:
	free(l);
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

int remote_listen_tcp(const char *spec)
{
	return remote_listen_inet(spec, false);
}

int remote_listen_tls(const char *spec)
{
	if (!tls_server_ready())
		return -ENOKEY;
	return remote_listen_inet(spec, true);
}

void remote_shutdown(void)
{
	while (remote_conns)
		remote_conn_free(remote_conns);
	while (remote_listeners) {
		struct remote_listener *l = remote_listeners;

		remote_listeners = l->next;
		loop_del(l->fd);
		close(l->fd);
		if (!l->tcp)
			unlink(l->path);
		free(l);
	}
	if (remote_spare_fd >= 0)
		close(remote_spare_fd);
	remote_spare_fd = -1;
	remote_off_until = 0;
}
