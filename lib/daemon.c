/*
 * The set-up every daemon shares (include/xvm/daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "xvm/common.h"
#include "xvm/daemon.h"

static const char *env_or(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v && *v ? v : dflt;
}

const char *xvm_rundir(void)
{
	return env_or("XVM_RUNDIR", XVM_RUNDIR_DEFAULT);
}

const char *xvm_statedir(void)
{
	return env_or("XVM_STATEDIR", XVM_STATEDIR_DEFAULT);
}

int daemon_signalfd(int extra, int sfd_flags)
{
	sigset_t set;
	int fd, rc;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (extra > 0 && sigaddset(&set, extra) < 0)
		return -EINVAL;
	rc = pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (rc != 0)
		return -rc;
	fd = signalfd(-1, &set, sfd_flags | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int daemon_pidfile(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	char buf[32];
	int n;

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		close(fd);
		return err == EWOULDBLOCK ? -EEXIST : -err;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, buf, (size_t)n) != n) {
		close(fd);
		return -EIO;
	}
	return fd;
}

int mkdir_p(const char *dir, mode_t mode)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(tmp, mode) < 0 && errno != EEXIST ? -errno : 0;
}
