/*
 * The server side of libvirt's remote protocol (LIBVIRT-RPC.md): unix
 * listening sockets, one connection per client, packet framing, the
 * keepalive program, dispatch of CALLs to the procedure table (proc.h)
 * and console streams. Runs on the loop thread.
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

/* Handler results besides 0 (reply ret): */
#define PROC_ERROR	-1	/* reply with call->err */
#define PROC_DROP	-2	/* malformed arguments: close the connection */

/* Listen on path (a stale socket is replaced). Mode 0600; a read-only
 * socket (ro) is 0666 and its connections can only look, whatever flags
 * their CONNECT_OPEN carries. 0 or -errno. */
int remote_listen(const char *path, bool ro);
/* Close every listener and connection (unlinking the socket files). */
void remote_shutdown(void);
/* Called every second: drops clients whose packet stays unfinished. */
void remote_tick(void);

bool remote_conn_is_open(const struct remote_conn *conn);
void remote_conn_set_open(struct remote_conn *conn, bool readonly);
bool remote_conn_readonly(const struct remote_conn *conn);
/* The domain event ids the client registered for (events.c). */
uint64_t *remote_conn_events(struct remote_conn *conn);
/* Call fn for every open connection. */
void remote_each_conn(void (*fn)(struct remote_conn *conn, void *opaque),
		      void *opaque);
/* Send an event (type MESSAGE, serial 0) with an XDR payload. */
int remote_send_event(struct remote_conn *conn, uint32_t proc,
		      const void *payload, size_t len);
/* Send a stream packet (type STREAM) for the call that opened it. */
int remote_stream_send(struct remote_conn *conn, uint32_t proc,
		       uint32_t serial, enum remote_status status,
		       const void *data, size_t len);
/* Stream packets from the client go here (domcon.c). */
void domcon_stream_input(struct remote_conn *conn, uint32_t serial,
			  int status, const uint8_t *data, size_t len);
/* The connection is going away: forget streams on it (domcon.c). */
void domcon_conn_gone(struct remote_conn *conn);

#endif
