/*
 * Consoles: hv puts each domain's serial console on a pty; xvmd opens the
 * pty's slave side (raw, so nothing is echoed back to the guest), appends
 * what the guest prints to $XVM_RUNDIR/console/<name>.log, and relays it
 * to a `virsh console` stream (LIBVIRT-RPC.md "Console stream": type
 * STREAM, proc 201, the OPEN_CONSOLE call's serial, status CONTINUE with
 * raw bytes). What the client types goes the other way into the pty.
 * Each console stream is registered with the RPC transport (remote.h)
 * with domcon_stream_ops, which is how the client's packets come back.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/epoll.h>
#include "xvm/log.h"
#include "loop.h"
#include "dom.h"
#include "remote.h"
#include "store.h"

#define DOMCON_PROC		201
#define DOMCON_LOG_MAX		(8u << 20)	/* then the log starts over */

struct domcon {
	struct dom *dom;
	int pty_fd;
	int log_fd;
	size_t log_len;
	struct remote_stream *stream;	/* the attached client, or NULL */
};

static void domcon_log(struct domcon *con, const uint8_t *buf, size_t n)
{
	if (con->log_fd < 0)
		return;
	if (con->log_len + n > DOMCON_LOG_MAX) {
		if (ftruncate(con->log_fd, 0) == 0)
			con->log_len = 0;
	}
	if (write(con->log_fd, buf, n) == (ssize_t)n)
		con->log_len += n;
}

static void domcon_output(void *opaque, uint32_t events)
{
	struct domcon *con = opaque;
	uint8_t buf[4096];
	ssize_t n = read(con->pty_fd, buf, sizeof(buf));

	(void)events;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {		/* hv closed the pty: it is going away */
		loop_del(con->pty_fd);
		return;
	}
	domcon_log(con, buf, (size_t)n);
	log_debug("console %s: %zd bytes%s", con->dom->cfg.name, n,
		  con->stream ? " to the stream" : "");
	if (con->stream)
		remote_stream_write(con->stream, buf, (size_t)n);
}

/* What the guest printed last is still in the pty: take it before the
 * console goes (hv may already have closed its side). */
static void domcon_drain(struct domcon *con)
{
	uint8_t buf[4096];
	ssize_t n;
	int rounds = 64;

	while (rounds-- > 0 && (n = read(con->pty_fd, buf, sizeof(buf))) > 0) {
		domcon_log(con, buf, (size_t)n);
		if (con->stream)
			remote_stream_write(con->stream, buf, (size_t)n);
	}
}

void domcon_flush(struct dom *d)
{
	if (d->con)
		domcon_drain(d->con);
}

static int domcon_open_pty(const char *path)
{
	struct termios t;
	int fd;

	/* /dev/pts/N only: the path comes from hv's status answer */
	if (strncmp(path, "/dev/pts/", 9) || !path[9] ||
	    strspn(path + 9, "0123456789") != strlen(path + 9))
		return -EINVAL;
	fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	return fd;
}

int domcon_attach(struct dom *d)
{
	struct domcon *con;
	char path[512];

	if (d->con || !d->live.pty[0])
		return 0;
	con = calloc(1, sizeof(*con));
	if (!con)
		return -ENOMEM;
	con->dom = d;
	con->pty_fd = domcon_open_pty(d->live.pty);
	con->log_fd = -1;
	if (con->pty_fd < 0) {
		log_warn("dom %s: console %s: %s", d->cfg.name, d->live.pty,
			 strerror(-con->pty_fd));
		free(con);
		return -EIO;
	}
	if (store_run_path(path, sizeof(path), d->cfg.name, "console") == 0)
		con->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND |
				   O_CLOEXEC, 0640);
	if (con->log_fd >= 0)
		con->log_len = (size_t)lseek(con->log_fd, 0, SEEK_END);
	loop_add(con->pty_fd, EPOLLIN, domcon_output, con);
	d->con = con;
	return 0;
}

/* Tell the stream's client the console ended (zero-length CONTINUE). */
static void domcon_end_stream(struct domcon *con)
{
	if (!con->stream)
		return;
	remote_stream_close(con->stream);
	con->stream = NULL;
}

void domcon_detach(struct dom *d)
{
	struct domcon *con = d->con;

	if (!con)
		return;
	domcon_drain(con);
	domcon_end_stream(con);
	loop_del(con->pty_fd);
	close(con->pty_fd);
	if (con->log_fd >= 0)
		close(con->log_fd);
	free(con);
	d->con = NULL;
}

/* What the client types goes to the guest's console. */
static void domcon_stream_data(void *opaque, const uint8_t *data, size_t len)
{
	struct domcon *con = opaque;

	if (len && write(con->pty_fd, data, len) < 0)
		log_debug("console %s: input dropped: %s", con->dom->cfg.name,
			  strerror(errno));
}

/* virsh left the console (finish) or gave up (abort); the transport
 * answers it. */
static void domcon_stream_finish(void *opaque, bool abort)
{
	struct domcon *con = opaque;

	(void)abort;
	con->stream = NULL;
}

/* The client's connection is gone: the console stays for the next. */
static void domcon_stream_gone(void *opaque)
{
	struct domcon *con = opaque;

	con->stream = NULL;
}

static const struct remote_stream_ops domcon_stream_ops = {
	.name = "console",
	.data = domcon_stream_data,
	.finish = domcon_stream_finish,
	.close = domcon_stream_gone,
};

int domcon_open_stream(struct dom *d, struct remote_conn *conn,
			uint32_t serial, bool force, struct verr *e)
{
	struct domcon *con = d->con;
	struct remote_stream *st;

	if (!con)
		return verr_fail(e, -ENODEV, VERR_OPERATION_FAILED, "operation "
				 "failed: domain '%s' has no console",
				 d->cfg.name);
	if (con->stream && !force)
		return verr_fail(e, -EBUSY, VERR_OPERATION_FAILED, "operation "
				 "failed: Active console session exists for "
				 "this domain");
	st = remote_stream_open(conn, DOMCON_PROC, serial, &domcon_stream_ops,
				con);
	if (!st)
		return verr_nomem(e);
	domcon_end_stream(con);
	con->stream = st;
	return 0;
}
