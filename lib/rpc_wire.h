/*
 * Private to lib/rpc*.c: the byte-level pieces shared by the RPC server
 * (rpc.c) and client (rpc_client.c): a line-splitting input buffer, an
 * output buffer, and errno names for error codes.
 */
#ifndef XVM_RPC_WIRE_H
#define XVM_RPC_WIRE_H

#include "xvm/rpc.h"

/* Bytes read from a socket, split into '\n'-terminated lines in place. */
struct rpc_inbuf {
	char *data;
	size_t cap;
	size_t len;	/* bytes held */
	size_t start;	/* first byte not yet returned as a line */
	size_t scan;	/* bytes before this offset hold no '\n' */
	size_t max;	/* longest line accepted, newline excluded */
};

/* Bytes waiting to be written to a nonblocking socket. */
struct rpc_outbuf {
	char *data;
	size_t cap;
	size_t len;
	size_t off;	/* bytes before this were written */
	size_t max;	/* most bytes queued at once (-ENOBUFS beyond) */
};

void rpc_inbuf_init(struct rpc_inbuf *b, size_t max_line);
void rpc_inbuf_free(struct rpc_inbuf *b);
/* One read(2): bytes read, 0 at EOF, -EAGAIN, -ENOMEM or -errno. */
ssize_t rpc_inbuf_fill(struct rpc_inbuf *b, int fd);
/* The next complete line, NUL-terminated in place (newline removed, and a
 * '\r' before it): 1 with *line and *len, 0 if none yet, -E2BIG if the pending
 * line is longer than max (the buffer is then unusable). */
int rpc_inbuf_line(struct rpc_inbuf *b, char **line, size_t *len);
/* Give the memory back if every byte was returned as a line (an idle
 * client then holds no buffer). */
void rpc_inbuf_trim(struct rpc_inbuf *b);
/* At EOF: the bytes after the last newline as a final line (1), or 0 if
 * there are none. Call after rpc_inbuf_line() returned 0. */
int rpc_inbuf_rest(struct rpc_inbuf *b, char **line, size_t *len);

void rpc_outbuf_init(struct rpc_outbuf *b, size_t max);
void rpc_outbuf_free(struct rpc_outbuf *b);
static inline size_t rpc_outbuf_pending(const struct rpc_outbuf *b)
{
	return b->len - b->off;
}
/* Queue the compact encoding of msg and a newline: 0, -ENOBUFS if over
 * max, -ENOMEM or -EINVAL (not encodable). */
int rpc_outbuf_put(struct rpc_outbuf *b, const json_t *msg);
/* Queue an already encoded line (with its newline). */
int rpc_outbuf_put_raw(struct rpc_outbuf *b, const char *s, size_t n);
/* Write as much as the socket takes: bytes still pending, or -errno. */
ssize_t rpc_outbuf_flush(struct rpc_outbuf *b, int fd);

/* "EINVAL" for EINVAL; "EIO" for anything unknown. */
const char *rpc_errno_name(int errnum);

#endif
