/*
 * Unit tests for hv/confine.c: every name in the allow lists is a system
 * call libseccomp knows; the filter loads in a forked child, where the
 * calls hv needs work, executable mappings fail with EPERM, and each
 * forbidden call (execve, fork, ptrace, a packet socket, an ioctl that is
 * not hv's, a writable open, a signal to another process) ends the child
 * with exit status 12 and the line naming the call on its stderr; in
 * "log" mode the same call is let through; the privilege drop leaves no
 * capability and (as root) another uid.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "unit.h"
#include "hv/confine.h"

static void test_names_resolve(void)
{
	for (size_t i = 0; i < confine_ncalls; i++) {
		int nr = seccomp_syscall_resolve_name(confine_calls[i]);

		if (nr == __NR_SCMP_ERROR)
			fprintf(stderr, "unknown system call %s\n",
				confine_calls[i]);
		CU_ASSERT(nr != __NR_SCMP_ERROR);
	}
	for (size_t i = 0; i < confine_ncalls_filtered; i++)
		CU_ASSERT(seccomp_syscall_resolve_name(
				  confine_calls_filtered[i]) != __NR_SCMP_ERROR);
	/* what the filter must not allow is in neither list */
	static const char *const never[] = { "execve", "execveat", "fork",
		"vfork", "ptrace", "kill", "mount", "open", "setuid",
		"init_module", "io_uring_setup", "listen", "chmod" };
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++) {
		for (size_t j = 0; j < confine_ncalls; j++)
			CU_ASSERT(strcmp(never[i], confine_calls[j]) != 0);
		for (size_t j = 0; j < confine_ncalls_filtered; j++)
			CU_ASSERT(strcmp(never[i], confine_calls_filtered[j]));
	}
}

static void test_parse(void)
{
	struct confine_opts o = { 0 };
	enum hv_seccomp m;
	char msg[256];

	CU_ASSERT(confine_parse_seccomp("on", &m) == 0 && m == HV_SECCOMP_ON);
	CU_ASSERT(confine_parse_seccomp("off", &m) == 0 && m == HV_SECCOMP_OFF);
	CU_ASSERT(confine_parse_seccomp("log", &m) == 0 && m == HV_SECCOMP_LOG);
	CU_ASSERT_EQUAL(confine_parse_seccomp("On", &m), -EINVAL);
	CU_ASSERT_EQUAL(confine_parse_seccomp("", &m), -EINVAL);

	CU_ASSERT_EQUAL(confine_parse_user(&o, "65534:65533", msg,
					   sizeof(msg)), 0);
	CU_ASSERT(o.user_set && o.uid == 65534 && o.gid == 65533);
	o = (struct confine_opts){ 0 };
	CU_ASSERT_EQUAL(confine_parse_user(&o, "1234", msg, sizeof(msg)), 0);
	CU_ASSERT(o.uid == 1234 && o.gid == 1234);
	o = (struct confine_opts){ 0 };
	CU_ASSERT_EQUAL(confine_parse_user(&o, "0", msg, sizeof(msg)), -EINVAL);
	CU_ASSERT(strstr(msg, "is root") != NULL);
	CU_ASSERT_EQUAL(confine_parse_user(&o, "root", msg, sizeof(msg)),
			-EINVAL);
	CU_ASSERT_EQUAL(confine_parse_user(&o, "no-such-user-xvm", msg,
					   sizeof(msg)), -ENOENT);
	CU_ASSERT(strstr(msg, "no user 'no-such-user-xvm'") != NULL);
	CU_ASSERT_EQUAL(confine_parse_user(&o, "12:x", msg, sizeof(msg)),
			-EINVAL);
	CU_ASSERT_EQUAL(confine_parse_user(&o, ":12", msg, sizeof(msg)),
			-EINVAL);
	CU_ASSERT_FALSE(o.user_set);
}

static pid_t parent;	/* the test's pid, for the child's kill and tgkill */

/* The child's part: load the filter, then one action. */
enum act { A_ALLOWED, A_EXECVE, A_FORK, A_PTRACE, A_PACKET, A_IOCTL,
	   A_OPEN_RDWR, A_OPEN_CREAT_FOLLOW, A_KILL, A_TGKILL_OTHER, A_MOUNT };

static int allowed_calls(void)
{
	uint64_t one = 1;
	int fd, bad = 0;
	void *p;

	/* what hv does after set-up */
	fd = eventfd(0, EFD_CLOEXEC);
	if (fd < 0 || write(fd, &one, 8) != 8 || read(fd, &one, 8) != 8)
		bad |= 1;
	if (fd >= 0)
		close(fd);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		bad |= 2;
	else
		close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		bad |= 4;
	else
		close(fd);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		bad |= 8;
	else
		close(fd);
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		bad |= 16;
	/* never executable: EPERM, not a kill */
	if (p != MAP_FAILED &&
	    (mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0 || errno != EPERM))
		bad |= 32;
	if (mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != MAP_FAILED ||
	    errno != EPERM)
		bad |= 64;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		bad |= 128;
	if (getpid() <= 0 || syscall(SYS_tgkill, getpid(), gettid(), 0) < 0)
		bad |= 256;
	/* a migration to tcp:HOST:PORT resolves HOST under the filter
	 * (glibc reads /etc files, calls uname, probes with UDP sockets and
	 * FIONREAD): it may fail, it must not kill */
	{
		struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
		int n = 0;

		if (getaddrinfo("localhost", "1", &hints, &ai) == 0) {
			freeaddrinfo(ai);
		}
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || ioctl(fd, FIONREAD, &n) < 0)
			bad |= 512;
		if (fd >= 0)
			close(fd);
	}
	return bad;
}

static int child_act(enum act a)
{
	int fd;

	switch (a) {
	case A_ALLOWED:
		return allowed_calls();
	case A_EXECVE: {
		char *const argv[] = { "/bin/true", NULL };

		execve(argv[0], argv, argv + 1);
		return 100;
	}
	case A_FORK: {
		pid_t p = fork();

		if (p == 0)
			_exit(0);
		return 100;
	}
	case A_PTRACE:
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		return 100;
	case A_PACKET:
		socket(AF_PACKET, SOCK_RAW, 0);
		return 100;
	case A_IOCTL:
		fd = open("/dev/null", O_RDONLY);
		ioctl(fd, KVM_CREATE_VM, 0);
		return 100;
	case A_OPEN_RDWR:
		open("/dev/null", O_RDWR);
		return 100;
	case A_OPEN_CREAT_FOLLOW:
		open("/tmp/xvm-confine-never", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		return 100;
	case A_KILL:
		kill(parent, 0);
		return 100;
	case A_TGKILL_OTHER:
		syscall(SYS_tgkill, parent, parent, 0);
		return 100;
	case A_MOUNT:
		syscall(SYS_mount, "none", "/nonexistent/xvm", "tmpfs", 0, NULL);
		return 100;
	}
	return 100;
}

/* Fork, load the filter (mode), act; the child's exit status and the
 * first line of its stderr. */
static bool prepare_first;	/* confine_seccomp_prepare, then load */

static int run_child(enum hv_seccomp mode, enum act a, char *err,
		     size_t errlen)
{
	int efd[2], st = -1;
	ssize_t n;
	pid_t pid;

	if (pipe(efd) < 0)
		return -1;
	parent = getpid();
	pid = fork();
	if (pid == 0) {
		char msg[256];

		dup2(efd[1], STDERR_FILENO);
		close(efd[0]);
		if (prepare_first &&
		    confine_seccomp_prepare(mode, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "prepare: %s\n", msg);
			_exit(99);
		}
		if (confine_seccomp_load(mode, false, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "load: %s\n", msg);
			_exit(99);
		}
		_exit(child_act(a));
	}
	close(efd[1]);
	n = read(efd[0], err, errlen - 1);
	err[n > 0 ? n : 0] = '\0';
	close(efd[0]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static void expect_forbidden(enum act a, const char *name)
{
	char err[512], want[96];
	int rc = run_child(HV_SECCOMP_ON, a, err, sizeof(err));
	int nr = seccomp_syscall_resolve_name(name);

	snprintf(want, sizeof(want), "hv: seccomp: forbidden system call %s "
		 "(nr %d, args ", name, nr);
	if (rc != HV_EXIT_SECCOMP || !strstr(err, want))
		fprintf(stderr, "%s: exit %d, stderr '%s'\n", name, rc, err);
	CU_ASSERT_EQUAL(rc, HV_EXIT_SECCOMP);
	CU_ASSERT(strstr(err, want) != NULL);
}

static void test_filter_allows(void)
{
	char err[512];
	int rc = run_child(HV_SECCOMP_ON, A_ALLOWED, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "allowed calls: exit %d, stderr '%s'\n", rc, err);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(err, "");
}

static void test_filter_forbids(void)
{
	expect_forbidden(A_EXECVE, "execve");
	expect_forbidden(A_FORK, "clone");
	expect_forbidden(A_PTRACE, "ptrace");
	expect_forbidden(A_PACKET, "socket");
	expect_forbidden(A_IOCTL, "ioctl");
	expect_forbidden(A_OPEN_RDWR, "openat");
	expect_forbidden(A_OPEN_CREAT_FOLLOW, "openat");
	expect_forbidden(A_KILL, "kill");
	expect_forbidden(A_TGKILL_OTHER, "tgkill");
	expect_forbidden(A_MOUNT, "mount");
}

/* The filter built ahead (as hv does before loading a migration's
 * state) allows and forbids the same calls, reported the same way. */
static void test_filter_prepared(void)
{
	char err[512];
	int rc;

	prepare_first = true;
	rc = run_child(HV_SECCOMP_ON, A_ALLOWED, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "allowed calls: exit %d, stderr '%s'\n", rc, err);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	test_filter_forbids();
	CU_ASSERT_EQUAL(run_child(HV_SECCOMP_LOG, A_MOUNT, err, sizeof(err)),
			100);
	prepare_first = false;
}

/* log: the forbidden call goes through (the kernel logs it) */
static void test_filter_log(void)
{
	char err[512];

	CU_ASSERT_EQUAL(run_child(HV_SECCOMP_LOG, A_MOUNT, err, sizeof(err)),
			100);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(run_child(HV_SECCOMP_OFF, A_PTRACE, err, sizeof(err)),
			100);
}

/* /proc/self/status field "Name:\t..." as a number (hex for Cap*). */
static unsigned long long status_field(const char *name, int base)
{
	char line[256];
	size_t n = strlen(name);
	unsigned long long v = ~0ull;
	FILE *f = fopen("/proc/self/status", "re");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':')
			v = strtoull(line + n + 1, NULL, base);
	if (f)
		fclose(f);
	return v;
}

static void test_drop_privileges(void)
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		struct confine_opts o = { .seccomp = HV_SECCOMP_ON };
		char msg[256];
		int bad = 0;

		if (geteuid() == 0 &&
		    confine_parse_user(&o, "65534:65534", msg, sizeof(msg)) < 0)
			_exit(90);
		if (confine_drop_privileges(&o, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "drop: %s\n", msg);
			_exit(91);
		}
		if (status_field("CapEff", 16) || status_field("CapPrm", 16) ||
		    status_field("CapInh", 16) || status_field("CapAmb", 16))
			bad |= 1;
		if (status_field("NoNewPrivs", 10) != 1)
			bad |= 2;
		if (o.user_set && (getuid() != 65534 || getgid() != 65534 ||
				   setuid(0) == 0))
			bad |= 4;
		if (o.user_set && status_field("CapBnd", 16) != 0)	/* was root */
			bad |= 8;
		if (bad)
			fprintf(stderr, "drop_privileges: bad %#x\n", bad);
		_exit(bad);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL(waitpid(pid, &st, 0), pid);
	CU_ASSERT(WIFEXITED(st));
	CU_ASSERT_EQUAL(WEXITSTATUS(st), 0);
}

static CU_TestInfo tests[] = {
	{ "names_resolve", test_names_resolve },
	{ "parse", test_parse },
	{ "filter_allows", test_filter_allows },
	{ "filter_forbids", test_filter_forbids },
	{ "filter_log", test_filter_log },
	{ "filter_prepared", test_filter_prepared },
	{ "drop_privileges", test_drop_privileges },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(confine, NULL, NULL, tests);
