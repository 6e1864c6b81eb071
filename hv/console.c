/*
 * The domain's console: where guest output goes and where input comes
 * from. Backends: stdio (raw input mode when stdin is a terminal, restored
 * on close; plain passthrough otherwise), pty (a new pseudo-terminal whose
 * path is printed and reported by `status`), file:PATH (append output, no
 * input). Input goes to the sink devices.c registered; output never blocks
 * for long: what the backend cannot take now is dropped.
 *
 * Output is buffered: the UART hands it over a byte at a time, and one
 * write(2) per byte is slow and splits lines between readers. The buffer
 * is written out at each newline, when CONSOLE_OUTBUF bytes are waiting,
 * and otherwise CONSOLE_FLUSH_MS after the first byte left waiting (a
 * one-shot timerfd the event loop watches), so a partial line such as a
 * prompt still appears promptly. Without a timerfd output is unbuffered.
 */
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include "xvm/log.h"
#include "core.h"

#define CONSOLE_ESCAPE	0x1d	/* Ctrl-]: leave (destroy) in raw stdio mode */
#define CONSOLE_OUTBUF	512	/* bytes held back at most */
#define CONSOLE_FLUSH_MS 10	/* longest a partial line waits */

struct console {
	struct vm *vm;
	int out_fd;		/* guest output goes here */
	bool close_out;		/* out_fd is ours */
	int in_fd;		/* -1: no input */
	int pty_slave;		/* held open so the master never sees EIO */
	char pty_path[64];
	bool raw;		/* tty_saved must be restored */
	struct termios tty_saved;
	pthread_mutex_t out_lock;	/* out_fd writes, obuf, timer_armed */
	int timer_fd;		/* flush timer, -1: output is unbuffered */
	bool timer_armed;
	size_t olen;
	uint8_t obuf[CONSOLE_OUTBUF];
};

/* A second, non-blocking file description for stdout when it is a pipe
 * or terminal, so a stalled reader cannot block a vCPU (O_NONBLOCK on fd 1
 * itself would leak into the caller's shell). */
static int console_stdout(bool *ours)
{
	struct stat st;
	int fd;

	*ours = false;
	if (fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		return STDOUT_FILENO;
	fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return STDOUT_FILENO;
	*ours = true;
	return fd;
}

/* Raw input, but keep output processing (guests send CR LF themselves
 * yet some only LF). */
static void console_tty_raw(struct console *con, int fd)
{
	struct termios t;

	if (tcgetattr(fd, &con->tty_saved) < 0)
		return;
	t = con->tty_saved;
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
		       ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(fd, TCSANOW, &t) == 0)
		con->raw = true;
}

static int console_open_stdio(struct console *con)
{
	con->out_fd = console_stdout(&con->close_out);
	con->in_fd = STDIN_FILENO;
	if (isatty(STDIN_FILENO))
		console_tty_raw(con, STDIN_FILENO);
	return 0;
}

static int console_open_pty(struct console *con)
{
	struct termios t;
	int master, slave;

	if (openpty(&master, &slave, con->pty_path, NULL, NULL) < 0)
		return -errno;
	if (tcgetattr(slave, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(slave, TCSANOW, &t);
	}
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	fcntl(master, F_SETFD, FD_CLOEXEC);
	fcntl(slave, F_SETFD, FD_CLOEXEC);
	con->out_fd = con->in_fd = master;
	con->close_out = true;
	con->pty_slave = slave;
	fprintf(stderr, "hv: console on %s\n", con->pty_path);
	return 0;
}

static int console_open_file(struct console *con, const char *path)
{
	con->out_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			   0640);
	if (con->out_fd < 0)
		return -errno;
	con->close_out = true;
	return 0;
}

/* ---- output ---- */

/* Write everything or drop what the backend cannot take now. out_lock
 * held. */
static void console_write_fd(struct console *con, const uint8_t *p,
			     size_t len)
{
	while (len > 0) {
		ssize_t n = write(con->out_fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;		/* full or gone: drop the rest */
		p += n;
		len -= (size_t)n;
	}
}

/* out_lock held. */
static void console_flush_locked(struct console *con)
{
	if (con->olen)
		console_write_fd(con, con->obuf, con->olen);
	con->olen = 0;
}

/* Start the flush timer unless it runs already. out_lock held. */
static void console_arm_timer(struct console *con)
{
	struct itimerspec its = {
		.it_value = { CONSOLE_FLUSH_MS / 1000,
			      CONSOLE_FLUSH_MS % 1000 * 1000000L },
	};

	if (con->timer_armed)
		return;
	if (timerfd_settime(con->timer_fd, 0, &its, NULL) == 0)
		con->timer_armed = true;
	else
		console_flush_locked(con);
}

/* The flush timer fired (event loop, no dev_lock). */
static void console_timer(void *opaque)
{
	struct console *con = opaque;
	uint64_t n;

	if (read(con->timer_fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	pthread_mutex_lock(&con->out_lock);
	con->timer_armed = false;
	console_flush_locked(con);
	pthread_mutex_unlock(&con->out_lock);
}

/* Output buffering needs the timer; without it output is written at once. */
static void console_open_timer(struct console *con)
{
	con->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				       TFD_NONBLOCK | TFD_CLOEXEC);
	if (con->timer_fd < 0)
		return;
	if (vm_watch_core_fd(con->vm, con->timer_fd, console_timer, con) < 0) {
		close(con->timer_fd);
		con->timer_fd = -1;
	}
}

void console_flush(struct vm *vm)
{
	struct console *con = core_of(vm) ? core_of(vm)->console : NULL;

	if (!con || con->out_fd < 0)
		return;
	pthread_mutex_lock(&con->out_lock);
	console_flush_locked(con);
	pthread_mutex_unlock(&con->out_lock);
}

void vm_console_write(struct vm *vm, const void *buf, size_t len)
{
	struct console *con = core_of(vm) ? core_of(vm)->console : NULL;
	const uint8_t *p = buf;

	if (!con || con->out_fd < 0 || len == 0)
		return;
	pthread_mutex_lock(&con->out_lock);
	if (con->timer_fd < 0 || len > sizeof(con->obuf) - con->olen) {
		console_flush_locked(con);
		if (con->timer_fd < 0 || len > sizeof(con->obuf)) {
			console_write_fd(con, p, len);
			goto out;
		}
	}
	memcpy(con->obuf + con->olen, p, len);
	con->olen += len;
	if (memchr(p, '\n', len) || con->olen == sizeof(con->obuf))
		console_flush_locked(con);
	else
		console_arm_timer(con);
out:
	pthread_mutex_unlock(&con->out_lock);
}

/* ---- input, open, close ---- */

/* Input is readable: hand it to the sink (dev_lock held by the loop). */
static void console_input(void *opaque)
{
	struct console *con = opaque;
	struct core *c = core_of(con->vm);
	uint8_t buf[256];
	ssize_t n = read(con->in_fd, buf, sizeof(buf));

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {		/* EOF: no more input, output continues */
		vm_unwatch_fd(con->vm, con->in_fd);
		return;
	}
	if (con->raw && memchr(buf, CONSOLE_ESCAPE, (size_t)n)) {
		vm_stop_with_event(con->vm, VM_STOP_POWEROFF, "destroyed",
				   "console escape (Ctrl-])");
		return;
	}
	if (c->console_sink)
		c->console_sink(c->console_sink_opaque, buf, (size_t)n);
}

int console_open(struct vm *vm, const char *spec)
{
	struct console *con = calloc(1, sizeof(*con));
	int rc;

	if (!con)
		return -ENOMEM;
	con->vm = vm;
	con->out_fd = con->in_fd = con->pty_slave = con->timer_fd = -1;
	pthread_mutex_init(&con->out_lock, NULL);
	core_of(vm)->console = con;
	if (strcmp(spec, "stdio") == 0)
		rc = console_open_stdio(con);
	else if (strcmp(spec, "pty") == 0)
		rc = console_open_pty(con);
	else if (strncmp(spec, "file:", 5) == 0 && spec[5])
		rc = console_open_file(con, spec + 5);
	else
		rc = -EINVAL;
	if (rc < 0)
		return rc;
	console_open_timer(con);
	/* Not every input can be polled (/dev/null, a regular file). */
	if (con->in_fd >= 0 &&
	    vm_watch_fd(vm, con->in_fd, console_input, con) < 0)
		con->in_fd = -1;
	return 0;
}

const char *console_pty_path(struct vm *vm)
{
	struct console *con = core_of(vm)->console;

	return con && con->pty_path[0] ? con->pty_path : NULL;
}

/*
 * What the guest printed last may still sit in the pty, unread by the
 * console's reader (xvmd): closing the master hangs the slave up, and
 * the kernel throws away what the slave had not read yet, so a guest's
 * last line before it powers off could be lost. Give the reader time to
 * take it: until the slave's input queue is empty, at most 2 s, and not
 * longer than 500 ms once it stops shrinking (nobody reads, or xvmd has
 * not opened the console yet: a guest that prints and powers off at
 * once can be gone before).
 */
static void console_pty_drain(struct console *con)
{
	int n, last = -1, still = 0;

	usleep(5000);	/* what the master wrote reaches the slave's queue */
	for (int i = 0; i < 200; i++) {
		if (ioctl(con->pty_slave, FIONREAD, &n) < 0 || n <= 0)
			return;
		if (n != last) {
			last = n;
			still = 0;
		} else if (++still >= 50) {
			return;
		}
		usleep(10000);
	}
}

void console_close(struct vm *vm)
{
	struct console *con = core_of(vm) ? core_of(vm)->console : NULL;

	if (!con)
		return;
	if (con->in_fd >= 0)
		vm_unwatch_fd(vm, con->in_fd);
	if (con->timer_fd >= 0) {
		vm_unwatch_fd(vm, con->timer_fd);
		close(con->timer_fd);
	}
	if (con->out_fd >= 0)
		console_flush_locked(con);	/* no other thread is left */
	if (con->pty_slave >= 0)
		console_pty_drain(con);
	if (con->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &con->tty_saved);
	if (con->close_out && con->out_fd >= 0)
		close(con->out_fd);
	if (con->pty_slave >= 0)
		close(con->pty_slave);
	pthread_mutex_destroy(&con->out_lock);
	free(con);
	core_of(vm)->console = NULL;
}

void vm_console_set_sink(struct vm *vm,
			 void (*cb)(void *opaque, const uint8_t *buf, size_t len),
			 void *opaque)
{
	struct core *c = core_of(vm);

	if (!c)
		return;
	c->console_sink = cb;
	c->console_sink_opaque = opaque;
}
