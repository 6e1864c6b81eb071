/*
 * Running qemu-img (Debian's qemu-utils), the only code that touches
 * image data: fork and exec with an argument vector (no shell, so no
 * file name is ever parsed as shell syntax), stdin from /dev/null, its
 * stdout kept for "info --output=json", the last line of its stderr
 * kept for our error message, and a time limit after which it is
 * killed.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "vdiskadm.h"

#define QIMG_OUT_MAX	(1024 * 1024)
#define QIMG_ERR_MAX	4096
#define QIMG_TIMEOUT	3600	/* seconds; a conversion of a large image */

const char *qimg_program(void)
{
	const char *p = getenv("XVM_QEMU_IMG");

	return p && *p ? p : "qemu-img";
}

static int qimg_timeout(void)
{
	const char *s = getenv("XVM_VDISK_TIMEOUT");
	long t = s ? strtol(s, NULL, 10) : 0;

	return t > 0 && t <= 86400 ? (int)t : QIMG_TIMEOUT;
}

static void qimg_child(const char *const *args, int outfd, int errfd)
{
	const char *argv[64] = { qimg_program() };
	int null = open("/dev/null", O_RDWR);
	size_t n = 1;

	for (; *args && n < ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	if (null < 0 || dup2(null, 0) < 0 ||
	    dup2(outfd >= 0 ? outfd : null, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(127);
	execvp(argv[0], (char *const *)argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

struct qimg_buf {
	char *data;
	size_t len, max;
	bool over;
};

/* Read what is there on fd into b; false at EOF. */
static bool qimg_drain(int fd, struct qimg_buf *b)
{
	char tmp[4096];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	if (b->len + (size_t)n > b->max) {
		b->over = true;
		n = (ssize_t)(b->max - b->len);
	}
	memcpy(b->data + b->len, tmp, (size_t)n);
	b->len += (size_t)n;
	b->data[b->len] = '\0';
	return true;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

/* Collect both pipes until EOF or the deadline: 0 or -ETIMEDOUT. */
static int qimg_collect(int fds[2], struct qimg_buf bufs[2])
{
	long long end = now_ms() + qimg_timeout() * 1000ll;

	while (fds[0] >= 0 || fds[1] >= 0) {
		struct pollfd p[2] = { { fds[0], POLLIN, 0 },
				       { fds[1], POLLIN, 0 } };
		long long left = end - now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(p, 2, (int)MIN(left, 1000)) < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < 2; i++) {
			if (fds[i] < 0 || !p[i].revents)
				continue;
			if (!qimg_drain(fds[i], &bufs[i])) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
	return 0;
}

/* The last non-empty line of qemu-img's stderr into err. */
static void qimg_last_line(const char *text, char *err, size_t errlen)
{
	size_t n = strlen(text);
	const char *start;

	while (n && text[n - 1] == '\n')
		n--;
	start = text + n;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(err, errlen, "%.*s", (int)(text + n - start), start);
}

static int qimg_wait(pid_t pid, bool kill_it)
{
	int st;

	if (kill_it)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

int qimg_run(const char *const *args, char **out, char *err, size_t errlen)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, fds[2], ret, st;
	struct qimg_buf bufs[2] = { { .max = QIMG_OUT_MAX },
				    { .max = QIMG_ERR_MAX } };
	pid_t pid;

	err[0] = '\0';
	if (out)
		*out = NULL;
	bufs[0].data = calloc(1, QIMG_OUT_MAX + 1);
	bufs[1].data = calloc(1, QIMG_ERR_MAX + 1);
	ret = -ENOMEM;
	if (!bufs[0].data || !bufs[1].data)
		goto fail;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		ret = -errno;
		goto fail;
	}
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		goto fail;
	}
	if (pid == 0)
		qimg_child(args, out ? po[1] : -1, pe[1]);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	fds[0] = po[0];
	fds[1] = pe[0];
	ret = qimg_collect(fds, bufs);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	po[0] = pe[0] = -1;
	st = qimg_wait(pid, ret == -ETIMEDOUT);
	qimg_last_line(bufs[1].data, err, errlen);
	if (ret == 0)
		ret = bufs[0].over ? -EFBIG : st;
	if (ret == 127 && strncmp(err, "cannot run ", 11) == 0)
		ret = -ENOENT;
	if (ret >= 0 && out) {
		*out = bufs[0].data;
		bufs[0].data = NULL;
	}
fail:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	free(bufs[0].data);
	free(bufs[1].data);
	return ret;
}
