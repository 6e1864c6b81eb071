/*
 * Unit tests for lib/daemon.c: the run and state directories follow the
 * environment and fall back to the defaults; mkdir_p makes every missing
 * level; a second holder of a pid file is refused with -EEXIST; the
 * signalfd delivers a blocked SIGTERM.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "unit.h"
#include "capture.h"
#include "xvm/common.h"
#include "xvm/daemon.h"

static char dir[64];

static int suite_init(void)
{
	snprintf(dir, sizeof(dir), "/tmp/xvm-daemon.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int suite_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_dirs(void)
{
	char *run = env_save("XVM_RUNDIR"), *state = env_save("XVM_STATEDIR");

	setenv("XVM_RUNDIR", "/tmp/r", 1);
	setenv("XVM_STATEDIR", "", 1);
	CU_ASSERT_STRING_EQUAL(xvm_rundir(), "/tmp/r");
	CU_ASSERT_STRING_EQUAL(xvm_statedir(), XVM_STATEDIR_DEFAULT);
	unsetenv("XVM_RUNDIR");
	CU_ASSERT_STRING_EQUAL(xvm_rundir(), XVM_RUNDIR_DEFAULT);
	setenv("XVM_RUNDIR", "", 1);
	CU_ASSERT_STRING_EQUAL(xvm_rundir(), XVM_RUNDIR_DEFAULT);
	setenv("XVM_STATEDIR", "/tmp/s", 1);
	CU_ASSERT_STRING_EQUAL(xvm_statedir(), "/tmp/s");
	env_restore("XVM_RUNDIR", run);
	env_restore("XVM_STATEDIR", state);
}

static void test_mkdir_p(void)
{
	char path[128], file[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	CU_ASSERT_EQUAL(mkdir_p(path, 0700), 0);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT(S_ISDIR(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0700);
	CU_ASSERT_EQUAL(mkdir_p(path, 0700), 0);	/* there already */
	snprintf(file, sizeof(file), "%s/f", dir);
	fclose(fopen(file, "w"));
	snprintf(path, sizeof(path), "%s/f/x", dir);
	CU_ASSERT_EQUAL(mkdir_p(path, 0755), -ENOTDIR);
}

static void test_pidfile(void)
{
	char path[128], buf[32] = "";
	int fd, fd2;
	FILE *f;

	snprintf(path, sizeof(path), "%s/x.pid", dir);
	fd = daemon_pidfile(path);
	CU_ASSERT_FATAL(fd >= 0);
	f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_PTR_NOT_NULL(fgets(buf, sizeof(buf), f));
	fclose(f);
	CU_ASSERT_EQUAL(atoi(buf), (int)getpid());
	CU_ASSERT_EQUAL(daemon_pidfile(path), -EEXIST);
	close(fd);
	fd2 = daemon_pidfile(path);		/* released with the fd */
	CU_ASSERT(fd2 >= 0);
	if (fd2 >= 0)
		close(fd2);
	snprintf(path, sizeof(path), "%s/none/x.pid", dir);
	CU_ASSERT_EQUAL(daemon_pidfile(path), -ENOENT);
}

static void test_signalfd(void)
{
	struct signalfd_siginfo si;
	sigset_t old;
	int fd;

	pthread_sigmask(SIG_SETMASK, NULL, &old);
	fd = daemon_signalfd(SIGUSR1, SFD_NONBLOCK);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(read(fd, &si, sizeof(si)), -1);	/* nothing yet */
	CU_ASSERT_EQUAL(raise(SIGUSR1), 0);
	CU_ASSERT_EQUAL(read(fd, &si, sizeof(si)), (ssize_t)sizeof(si));
	CU_ASSERT_EQUAL(si.ssi_signo, (uint32_t)SIGUSR1);
	close(fd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	signal(SIGPIPE, SIG_DFL);
}

static CU_TestInfo tests[] = {
	{ "dirs", test_dirs },
	{ "mkdir_p", test_mkdir_p },
	{ "pidfile", test_pidfile },
	{ "signalfd", test_signalfd },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(daemon, suite_init, suite_cleanup, tests);
