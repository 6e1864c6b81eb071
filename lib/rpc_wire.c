/*
 * The byte level of the JSON-lines control protocol (include/xvm/rpc.h),
 * shared by the server (rpc.c) and the client (rpc_client.c): splitting
 * socket input into lines with a length limit, queueing output for
 * nonblocking sockets, errno names as error codes, rpc_errorf().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "rpc_wire.h"

#define RPC_READ_CHUNK	(64u * 1024)

void rpc_inbuf_init(struct rpc_inbuf *b, size_t max_line)
{
	memset(b, 0, sizeof(*b));
	b->max = max_line;
}

void rpc_inbuf_free(struct rpc_inbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Drop the lines already returned so the free space is at the end. */
static void rpc_inbuf_compact(struct rpc_inbuf *b)
{
	if (b->start == 0)
		return;
	memmove(b->data, b->data + b->start, b->len - b->start);
	b->len -= b->start;
	b->scan -= b->start;
	b->start = 0;
}

/* Make room for a read; the buffer never grows past max + 2 (a full line,
 * its newline, and one byte that proves a line is too long). */
static int rpc_inbuf_reserve(struct rpc_inbuf *b)
{
	size_t limit = b->max + 2;
	size_t ncap;
	char *p;

	if (b->cap - b->len >= RPC_READ_CHUNK || b->cap >= limit)
		return 0;
	ncap = b->cap ? b->cap * 2 : 4096;
	while (ncap - b->len < RPC_READ_CHUNK && ncap < limit)
		ncap *= 2;
	if (ncap > limit)
		ncap = limit;
	p = realloc(b->data, ncap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = ncap;
	return 0;
}

ssize_t rpc_inbuf_fill(struct rpc_inbuf *b, int fd)
{
	ssize_t n;
	size_t room;

	rpc_inbuf_compact(b);
	if (rpc_inbuf_reserve(b) < 0)
		return -ENOMEM;
	room = b->cap - b->len;
	if (room == 0)
		return -E2BIG;
	if (room > RPC_READ_CHUNK)
		room = RPC_READ_CHUNK;
	do {
		n = read(fd, b->data + b->len, room);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	b->len += (size_t)n;
	return n;
}

int rpc_inbuf_line(struct rpc_inbuf *b, char **line, size_t *len)
{
	char *nl;
	size_t n;

	nl = b->len > b->scan ? memchr(b->data + b->scan, '\n',
				       b->len - b->scan) : NULL;
	if (!nl) {
		b->scan = b->len;
		return b->len - b->start > b->max ? -E2BIG : 0;
	}
	n = (size_t)(nl - (b->data + b->start));
	if (n > b->max)
		return -E2BIG;
	*nl = '\0';
	*line = b->data + b->start;
	if (n > 0 && (*line)[n - 1] == '\r')
		(*line)[--n] = '\0';
	*len = n;
	b->start = b->scan = (size_t)(nl - b->data) + 1;
	return 1;
}

void rpc_inbuf_trim(struct rpc_inbuf *b)
{
	if (b->start != b->len)
		return;
	free(b->data);
	b->data = NULL;
	b->cap = b->len = b->start = b->scan = 0;
}

int rpc_inbuf_rest(struct rpc_inbuf *b, char **line, size_t *len)
{
	size_t n = b->len - b->start;
	char *p;

	if (n == 0 || n > b->max)
		return 0;
	if (b->len == b->cap) {		/* room for the NUL */
		p = realloc(b->data, b->cap + 1);
		if (!p)
			return 0;
		b->data = p;
		b->cap++;
	}
	b->data[b->len] = '\0';
	*line = b->data + b->start;
	*len = n;
	b->start = b->scan = b->len;
	return 1;
}

void rpc_outbuf_init(struct rpc_outbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void rpc_outbuf_free(struct rpc_outbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int rpc_outbuf_put_raw(struct rpc_outbuf *b, const char *s, size_t n)
{
	size_t pending = rpc_outbuf_pending(b);
	char *p;

	/* One message is always accepted into an empty buffer. */
	if (pending > 0 && pending + n > b->max)
		return -ENOBUFS;
	if (b->off > 0) {
		memmove(b->data, b->data + b->off, pending);
		b->len = pending;
		b->off = 0;
	}
	if (b->cap - b->len < n) {
		size_t ncap = b->cap ? b->cap : 4096;

		while (ncap - b->len < n)
			ncap *= 2;
		p = realloc(b->data, ncap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	return 0;
}

int rpc_outbuf_put(struct rpc_outbuf *b, const json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);
	char *line;
	size_t n;
	int ret;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	line = realloc(s, n + 2);	/* the line goes in whole or not at all */
	if (!line) {
		free(s);
		return -ENOMEM;
	}
	line[n++] = '\n';
	line[n] = '\0';
	ret = rpc_outbuf_put_raw(b, line, n);
	free(line);
	return ret;
}

ssize_t rpc_outbuf_flush(struct rpc_outbuf *b, int fd)
{
	while (b->off < b->len) {
		ssize_t n = send(fd, b->data + b->off, b->len - b->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -errno;
		b->off += (size_t)n;
	}
	if (b->off == b->len) {
		b->off = b->len = 0;
		/* all sent: a big reply's buffer is not kept by an idle
		 * client (small ones are, to save reallocations) */
		if (b->cap > RPC_READ_CHUNK) {
			free(b->data);
			b->data = NULL;
			b->cap = 0;
		}
	}
	return (ssize_t)rpc_outbuf_pending(b);
}

const char *rpc_errno_name(int errnum)
{
	const char *name;

	if (errnum < 0)
		errnum = -errnum;
	/* Linux's ENOTSUP is EOPNOTSUPP, which glibc names; the protocol
	 * says ENOTSUP (docs/vswitchd-control.md), the POSIX name for
	 * "operation not supported" on an object rather than a socket */
	if (errnum == ENOTSUP)
		return "ENOTSUP";
	name = errnum ? strerrorname_np(errnum) : NULL;
	return name ? name : "EIO";
}

int rpc_errno_from_name(const char *name)
{
	if (strcmp(name, "ENOTSUP") == 0)
		return ENOTSUP;
	for (int e = 1; e < 256; e++) {
		const char *n = strerrorname_np(e);

		if (n && strcmp(n, name) == 0)
			return e;
	}
	return EIO;
}

int rpc_errorf(struct rpc_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (errnum < 0)
		errnum = -errnum;
	if (errnum == 0)
		errnum = EIO;
	if (err) {
		snprintf(err->code, sizeof(err->code), "%s",
			 rpc_errno_name(errnum));
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}
