/*
 * Consoles: hv puts each domain's serial console on a pty; xvmd opens the
 * pty's slave side (raw, so nothing is echoed back to the guest), appends
 * what the guest prints to $XVM_RUNDIR/console/<name>.log, and relays it
 * to a `virsh console` stream (LIBVIRT-RPC.md "Console stream": type
 * STREAM, proc 201, the OPEN_CONSOLE call's serial, status CONTINUE with
 * raw bytes). What the client types goes the other way into the pty.
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

#define CONSOLE_PROC		201
#define CONSOLE_LOG_MAX		(8u << 20)	/* then the log starts over */

struct console {
	struct dom *dom;
	int pty_fd;
	int log_fd;
	size_t log_len;
	struct remote_conn *conn;	/* the attached stream, or NULL */
	uint32_t serial;
};

static struct console *console_all[256];

static void console_log(struct console *con, const uint8_t *buf, size_t n)
{
	if (con->log_fd < 0)
		return;
	if (con->log_len + n > CONSOLE_LOG_MAX) {
		if (ftruncate(con->log_fd, 0) == 0)
			con->log_len = 0;
	}
	if (write(con->log_fd, buf, n) == (ssize_t)n)
		con->log_len += n;
}

static void console_output(void *opaque, uint32_t events)
{
	struct console *con = opaque;
	uint8_t buf[4096];
	ssize_t n = read(con->pty_fd, buf, sizeof(buf));

	(void)events;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {		/* hv closed the pty: it is going away */
		loop_del(con->pty_fd);
		return;
	}
	console_log(con, buf, (size_t)n);
	log_debug("console %s: %zd bytes%s", con->dom->cfg.name, n,
		  con->conn ? " to the stream" : "");
	if (con->conn)
		remote_stream_send(con->conn, CONSOLE_PROC, con->serial,
				   REMOTE_CONTINUE, buf, (size_t)n);
}

/* What the guest printed last is still in the pty: take it before the
 * console goes (hv may already have closed its side). */
static void console_drain(struct console *con)
{
	uint8_t buf[4096];
	ssize_t n;
	int rounds = 64;

	while (rounds-- > 0 && (n = read(con->pty_fd, buf, sizeof(buf))) > 0) {
		console_log(con, buf, (size_t)n);
		if (con->conn)
			remote_stream_send(con->conn, CONSOLE_PROC, con->serial,
					   REMOTE_CONTINUE, buf, (size_t)n);
	}
}

void console_flush(struct dom *d)
{
	if (d->con)
		console_drain(d->con);
}

static int console_open_pty(const char *path)
{
	struct termios t;
	int fd;

	if (strncmp(path, "/dev/pts/", 9))
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

static void console_register(struct console *con, bool add)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(console_all); i++) {
		if (add && !console_all[i]) {
			console_all[i] = con;
			return;
		}
		if (!add && console_all[i] == con) {
			console_all[i] = NULL;
			return;
		}
	}
}

int console_attach(struct dom *d)
{
	struct console *con;
	char path[512];

	if (d->con || !d->live.pty[0])
		return 0;
	con = calloc(1, sizeof(*con));
	if (!con)
		return -ENOMEM;
	con->dom = d;
	con->pty_fd = console_open_pty(d->live.pty);
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
	loop_add(con->pty_fd, EPOLLIN, console_output, con);
	console_register(con, true);
	d->con = con;
	return 0;
}

/* Tell the stream's client the console ended (zero-length CONTINUE). */
static void console_end_stream(struct console *con)
{
	if (!con->conn)
		return;
	remote_stream_send(con->conn, CONSOLE_PROC, con->serial,
			   REMOTE_CONTINUE, NULL, 0);
	con->conn = NULL;
}

void console_detach(struct dom *d)
{
	struct console *con = d->con;

	if (!con)
		return;
	console_drain(con);
	console_end_stream(con);
	loop_del(con->pty_fd);
	close(con->pty_fd);
	if (con->log_fd >= 0)
		close(con->log_fd);
	console_register(con, false);
	free(con);
	d->con = NULL;
}

int console_open_stream(struct dom *d, struct remote_conn *conn,
			uint32_t serial, bool force, struct verr *e)
{
	struct console *con = d->con;

	if (!con)
		return verr_set(e, VERR_OPERATION_FAILED, "operation failed: "
				"domain '%s' has no console", d->cfg.name);
	if (con->conn && !force)
		return verr_set(e, VERR_OPERATION_FAILED, "operation failed: "
				"Active console session exists for this domain");
	if (con->conn)
		console_end_stream(con);
	con->conn = conn;
	con->serial = serial;
	return 0;
}

static struct console *console_find(struct remote_conn *conn, uint32_t serial)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(console_all); i++)
		if (console_all[i] && console_all[i]->conn == conn &&
		    console_all[i]->serial == serial)
			return console_all[i];
	return NULL;
}

void console_stream_input(struct remote_conn *conn, uint32_t serial,
			  int status, const uint8_t *data, size_t len)
{
	struct console *con = console_find(conn, serial);

	if (!con)
		return;
	if (status == REMOTE_CONTINUE) {
		if (len && write(con->pty_fd, data, len) < 0)
			log_debug("console: input dropped: %s", strerror(errno));
		return;
	}
	/* Finish (OK) or abort (ERROR): the client waits for an empty OK. */
	remote_stream_send(conn, CONSOLE_PROC, serial, REMOTE_OK, NULL, 0);
	con->conn = NULL;
}

void console_conn_gone(struct remote_conn *conn)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(console_all); i++)
		if (console_all[i] && console_all[i]->conn == conn)
			console_all[i]->conn = NULL;
}
