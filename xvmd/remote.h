/*
 * The server side of libvirt's remote protocol (LIBVIRT-RPC.md): unix
 * listening sockets, one connection per client, packet framing, the
 * keepalive program, dispatch of CALLs to the procedure table (proc.h)
 * and of stream packets to the streams their owners registered. Runs on
 * the loop thread.
 */
#ifndef XVMD_REMOTE_H
#define XVMD_REMOTE_H

#include "xdr.h"
#include "verr.h"

#define REMOTE_PROGRAM		0x20008086u
#define REMOTE_KEEPALIVE	0x6b656570u
#define REMOTE_HEADER_LEN	28	/* length word + 6 header words */

enum remote_type {
	REMOTE_CALL = 0,
	REMOTE_REPLY = 1,
	REMOTE_MESSAGE = 2,
	REMOTE_STREAM = 3,
};

enum remote_status {
	REMOTE_OK = 0,
	REMOTE_ERROR = 1,
	REMOTE_CONTINUE = 2,
};

struct remote_conn;

/* One CALL being served: handlers decode args and encode ret. */
struct remote_call {
	struct remote_conn *conn;
	uint32_t proc, serial;
	struct xdr_in *args;
	struct xdr_out *ret;
	struct verr err;
};

/* A handler returns 0 (reply with ret), a negative errno with call->err
 * filled (reply with that remote_error; virsh prints its message), or
 * PROC_DROP when the arguments are malformed: no reply, the connection
 * is closed. verr_errno() never yields -EBADMSG. */
#define PROC_DROP	(-EBADMSG)

/*
 * A call answered later (virsh save: hv writes the guest's memory while
 * other clients are served): the handler takes it over with
 * remote_call_defer() and returns PROC_LATER; the owner answers once
 * with remote_defer_reply() (or drops it with remote_defer_cancel() if
 * the handler then fails and returns an error instead). The client may go
 * first: the reply is then dropped. Keepalive PINGs are answered
 * meanwhile. verr_errno() never yields -EINPROGRESS.
 */
#define PROC_LATER	(-EINPROGRESS)
struct remote_defer;
/* NULL with errno (ENOMEM). */
struct remote_defer *remote_call_defer(struct remote_call *c);
/* The reply: rc 0 with ret's bytes (NULL: a void reply) or a negative
 * errno with e filled. Frees d. */
void remote_defer_reply(struct remote_defer *d, int rc, const struct verr *e,
			struct xdr_out *ret);
void remote_defer_cancel(struct remote_defer *d);

/* Listen on path (a stale socket is replaced). Mode 0600; a read-only
 * socket (ro) is 0666 and its connections can only look, whatever flags
 * their CONNECT_OPEN carries. 0 or -errno. */
int remote_listen(const char *path, bool ro);
/* libvirt's TCP port (libvirtd's listen_tcp default). */
#define REMOTE_TCP_PORT	16509
/* Listen on TCP "ADDR[:PORT]" ("[V6]:PORT", ":PORT" = every address);
 * peers are served only if the allow list has them (loopback unless
 * remote_tcp_allow_set() said otherwise), refused ones are logged and
 * closed. No authentication beyond that and no encryption (AUTH_NONE,
 * as libvirtd's listen_tcp with auth_tcp = "none"). 0 or -errno. */
int remote_listen_tcp(const char *spec);
/* Listen for TLS on "ADDR[:PORT]" (port 16514 by default, libvirtd's
 * listen_tls) once tls_server_init() loaded the credentials (-ENOKEY
 * before). A client is served once its certificate passed (tls.h); the
 * TCP allow list does not apply. 0 or -errno. */
int remote_listen_tls(const char *spec);
/* The TCP allow list (netallow.h syntax). 0 or -EINVAL with err. */
int remote_tcp_allow_set(const char *spec, char *err, size_t errlen);
/* Close every listener and connection (unlinking the socket files). */
void remote_shutdown(void);
/* Called every second: drops clients whose packet stays unfinished
 * (30 s) and clients idle for 5 minutes (docs/xvmd.md "Limits"). */
void remote_tick(void);
/* The idle time (ms; 0 the default), for tests. */
void remote_set_idle_ms(int64_t ms);
/* Bytes queued for conn and not yet written to it. */
size_t remote_conn_queued(const struct remote_conn *conn);

bool remote_conn_is_open(const struct remote_conn *conn);
void remote_conn_set_open(struct remote_conn *conn, bool readonly);
bool remote_conn_readonly(const struct remote_conn *conn);
bool remote_conn_is_tcp(const struct remote_conn *conn);
/* Came in over TLS (and passed its certificate check). */
bool remote_conn_is_tls(const struct remote_conn *conn);
/* Our address a TCP client reached ("192.0.2.1"), NULL on unix sockets. */
const char *remote_conn_local_addr(const struct remote_conn *conn);
/* The client's event registrations, owned by events.c (event_conn_gone
 * frees them when the client goes). */
struct event_cb;
struct event_cb **remote_conn_events(struct remote_conn *conn);
/* Call fn for every open connection. */
void remote_each_conn(void (*fn)(struct remote_conn *conn, void *opaque),
		      void *opaque);
/* Send an event (type MESSAGE, serial 0) with an XDR payload. */
int remote_send_event(struct remote_conn *conn, uint32_t proc,
		      const void *payload, size_t len);
/*
 * Streams (LIBVIRT-RPC.md "Console stream"): a CALL such as OPEN_CONSOLE
 * opens a stream on its connection, then packets of type STREAM with that
 * call's proc and serial flow both ways until one side ends it. The
 * module that owns a kind of stream (domcon.c for consoles) registers
 * each one it accepts with its ops; the transport routes the client's
 * packets to them and knows nothing of what flows. All on the loop
 * thread.
 */
struct remote_stream;

struct remote_stream_ops {
	const char *name;	/* the kind of stream, for logs: "console" */
	/* Bytes from the client (status CONTINUE; len may be 0). Called
	 * from the transport's read path; may call remote_stream_write(). */
	void (*data)(void *opaque, const uint8_t *data, size_t len);
	/* The client finished (status OK, abort false) or aborted (status
	 * ERROR, abort true) the stream. After this returns the transport
	 * answers with an empty OK packet and frees the stream: the owner
	 * must drop its handle here. */
	void (*finish)(void *opaque, bool abort);
	/* The connection is going away (client gone, dropped, or
	 * remote_shutdown()): nothing more can be sent; the owner drops its
	 * handle. The transport frees the stream after this returns. */
	void (*close)(void *opaque);
};

/* Register a stream on conn for the call (proc, serial) that opened it;
 * ops and opaque stay the owner's. NULL with errno set (ENOMEM). */
struct remote_stream *remote_stream_open(struct remote_conn *conn,
					 uint32_t proc, uint32_t serial,
					 const struct remote_stream_ops *ops,
					 void *opaque);
/* Send bytes to the client (status CONTINUE). 0 or -errno (-EPIPE once
 * the connection is dead). */
int remote_stream_write(struct remote_stream *st, const void *data,
			size_t len);
/* End the stream from our side: an empty CONTINUE (end of data, which
 * virsh takes as the end of the console), then st is freed. No ops are
 * called. */
void remote_stream_close(struct remote_stream *st);

/* Serve an already connected stream socket as a client (what accepting
 * on a listener does; unit tests pass one end of a socketpair). fd is
 * made non-blocking and owned by the transport from here on, also on
 * failure. 0 or -errno. */
int remote_serve_fd(int fd, bool ro);

#endif
