/*
 * hv's confinement after set-up: see confine.h and docs/security.md.
 *
 * The seccomp filter (libseccomp) is built once the domain is set up:
 * /dev/kvm, the VM and vCPU fds, guest memory, the console, disks,
 * vhost-user sockets and the control socket are open and the vCPU
 * threads exist (parked). What hv does from then on decides the list:
 * the event loop (epoll, eventfd, timerfd, signalfd reads), control
 * clients (accept4, read/write), the vCPUs' KVM ioctls, disk I/O (preadv
 * / pwritev, io_uring_enter, fallocate, fdatasync), vhost-user messages
 * and reconnects (socket AF_UNIX, connect, sendmsg/recvmsg with fds),
 * save (one openat for the state file, ftruncate, fsync, unlink of a
 * partial file), live migration (a TCP or unix socket, getaddrinfo's
 * file reads and its netlink/UDP probes, memfd for the dirty log),
 * teardown (munmap, close, unlink of the control socket).
 *
 * Argument conditions where cheap and meaningful: ioctl only with the
 * KVM, terminal and block-size requests hv makes; socket only AF_UNIX
 * stream, TCP and UDP over IPv4/IPv6 and netlink route; openat read-only
 * or the save file's exact flags and mode; clone only for threads;
 * tgkill only to hv's own threads; mmap/mprotect never executable (they
 * fail with EPERM, so a library loaded late fails cleanly instead of
 * killing hv); clone3 fails with ENOSYS (its flags are behind a pointer
 * a filter cannot read; glibc then uses clone).
 *
 * A forbidden call raises SIGSYS (SCMP_ACT_TRAP). The handler writes
 * "hv: seccomp: forbidden system call NAME (nr N, args A0 A1 A2)" with
 * write(2) only (the names were resolved before the filter) and calls
 * _exit(HV_EXIT_SECCOMP).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <linux/netlink.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include "confine.h"

int confine_parse_seccomp(const char *s, enum hv_seccomp *out)
{
	if (!strcmp(s, "on"))
		*out = HV_SECCOMP_ON;
	else if (!strcmp(s, "log"))
		*out = HV_SECCOMP_LOG;
	else if (!strcmp(s, "off"))
		*out = HV_SECCOMP_OFF;
	else
		return -EINVAL;
	return 0;
}

static bool parse_id(const char *s, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0' && *out < (unsigned long)UINT32_MAX;
}

int confine_parse_user(struct confine_opts *o, const char *arg, char *msg,
		       size_t msglen)
{
	const char *colon = strchr(arg, ':');
	unsigned long uid, gid;
	struct passwd *pw;

	o->user = arg;
	if (colon) {
		char ubuf[32];
		size_t n = (size_t)(colon - arg);

		if (n == 0 || n >= sizeof(ubuf))
			goto bad;
		memcpy(ubuf, arg, n);
		ubuf[n] = '\0';
		if (!parse_id(ubuf, &uid) || !parse_id(colon + 1, &gid))
			goto bad;
	} else if (parse_id(arg, &uid)) {
		gid = uid;
	} else {
		errno = 0;
		pw = getpwnam(arg);
		if (!pw) {
			snprintf(msg, msglen, "--user: no user '%s'", arg);
			return -ENOENT;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (uid == 0) {
		snprintf(msg, msglen, "--user: '%s' is root: nothing to drop",
			 arg);
		return -EINVAL;
	}
	o->uid = (uid_t)uid;
	o->gid = (gid_t)gid;
	o->user_set = true;
	return 0;
bad:
	snprintf(msg, msglen, "--user must be a user name or UID[:GID]");
	return -EINVAL;
}

/* ---- the filter ---- */

const char *const confine_calls[] = {
	/* files and fds already open */
	"read", "write", "readv", "writev", "pread64", "pwrite64",
	"preadv", "pwritev", "preadv2", "pwritev2", "lseek", "close",
	"fstat", "newfstatat", "statx", "fcntl", "ftruncate", "fallocate",
	"fsync", "fdatasync", "unlink", "unlinkat",
	/* the event loop and device fds */
	"epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll",
	"eventfd2", "timerfd_create", "timerfd_settime", "timerfd_gettime",
	"memfd_create", "io_uring_enter", "io_uring_register",
	/* sockets already open or made by the socket rule below */
	"accept4", "connect", "bind", "getsockopt", "setsockopt",
	"getsockname", "getpeername", "sendto", "recvfrom", "sendmsg",
	"recvmsg", "sendmmsg", "shutdown",
	/* memory (mmap and mprotect: below) */
	"brk", "munmap", "mremap", "madvise",
	/* threads, signals, time */
	"futex", "set_robust_list", "rseq", "sched_yield",
	"sched_getaffinity", "gettid", "getpid", "getuid", "geteuid",
	"getgid", "getegid", "rt_sigprocmask", "rt_sigaction",
	"rt_sigreturn", "sigaltstack", "clock_gettime", "clock_getres",
	"clock_nanosleep", "nanosleep", "gettimeofday", "getrandom",
	"restart_syscall", "exit", "exit_group",
	/* getaddrinfo (a migration to tcp:HOST:PORT) */
	"uname",
};
const size_t confine_ncalls = sizeof(confine_calls) / sizeof(confine_calls[0]);

const char *const confine_calls_filtered[] = {
	"ioctl", "socket", "openat", "mmap", "mprotect", "clone", "clone3",
	"tgkill", "prctl",
};
const size_t confine_ncalls_filtered =
	sizeof(confine_calls_filtered) / sizeof(confine_calls_filtered[0]);

/* The ioctl requests hv makes after set-up: on vCPU fds, the VM fd, the
 * console's terminal and raw disks on block devices. Set-up only (not
 * here): KVM_CREATE_*, KVM_GET_API_VERSION, KVM_GET_VCPU_MMAP_SIZE,
 * KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2, KVM_SET_TSS_ADDR,
 * KVM_SET_IDENTITY_MAP_ADDR. */
static const unsigned long ioctl_reqs[] = {
	KVM_RUN, KVM_CHECK_EXTENSION,
	KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
	KVM_GET_FPU, KVM_SET_FPU, KVM_GET_MSRS, KVM_SET_MSRS,
	KVM_GET_LAPIC, KVM_SET_LAPIC, KVM_GET_MP_STATE, KVM_SET_MP_STATE,
	KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS,
	KVM_GET_DEBUGREGS, KVM_SET_DEBUGREGS, KVM_GET_XSAVE, KVM_SET_XSAVE,
	KVM_GET_XCRS, KVM_SET_XCRS,
	KVM_IRQ_LINE, KVM_SIGNAL_MSI, KVM_IRQFD, KVM_IOEVENTFD,
	KVM_SET_GSI_ROUTING, KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG,
	KVM_GET_IRQCHIP, KVM_SET_IRQCHIP, KVM_GET_PIT2, KVM_SET_PIT2,
	KVM_GET_CLOCK, KVM_SET_CLOCK,
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, FIONBIO, FIOCLEX,
	FIONREAD,	/* getaddrinfo's DNS over UDP */
	BLKSSZGET, BLKGETSIZE64,
};

/* socket(domain, type & 0xf, protocol) hv may make after set-up:
 * vhost-user reconnects and migration (AF_UNIX/TCP), getaddrinfo's
 * address sorting (UDP connect) and interface check (netlink route). */
static const struct { int domain, type, proto; bool any_proto; } sockets[] = {
	{ AF_UNIX, SOCK_STREAM, 0, true },
	{ AF_INET, SOCK_STREAM, 0, true },
	{ AF_INET6, SOCK_STREAM, 0, true },
	{ AF_INET, SOCK_DGRAM, 0, true },
	{ AF_INET6, SOCK_DGRAM, 0, true },
	{ AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, false },
	{ AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE, false },
};

#define OPEN_KIND_MASK	(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | \
			 O_NOFOLLOW | O_TMPFILE | O_PATH | O_EXCL)

static int add_rules(scmp_filter_ctx ctx, char *msg, size_t msglen)
{
	const char *what = "";
	int rc = 0, nr;

#define RULE(action, name, ...) do { \
		what = name; \
		nr = seccomp_syscall_resolve_name(name); \
		if (nr == __NR_SCMP_ERROR) { rc = -ENOSYS; goto fail; } \
		rc = seccomp_rule_add(ctx, action, nr, __VA_ARGS__); \
		if (rc < 0) goto fail; \
	} while (0)

	for (size_t i = 0; i < confine_ncalls; i++)
		RULE(SCMP_ACT_ALLOW, confine_calls[i], 0);
	for (size_t i = 0; i < sizeof(ioctl_reqs) / sizeof(ioctl_reqs[0]); i++)
		RULE(SCMP_ACT_ALLOW, "ioctl", 1,
		     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctl_reqs[i]));
	for (size_t i = 0; i < sizeof(sockets) / sizeof(sockets[0]); i++) {
		if (sockets[i].any_proto)
			RULE(SCMP_ACT_ALLOW, "socket", 2,
			     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sockets[i].domain),
			     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf,
				     (scmp_datum_t)sockets[i].type));
		else
			RULE(SCMP_ACT_ALLOW, "socket", 3,
			     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sockets[i].domain),
			     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf,
				     (scmp_datum_t)sockets[i].type),
			     SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)sockets[i].proto));
	}
	/* read-only opens (getaddrinfo's /etc files, the rpc server's spare
	 * /dev/null); writing only as save opens its file (migrate.c:
	 * mig_save_open): never following a symlink, created 0600 */
	RULE(SCMP_ACT_ALLOW, "openat", 1,
	     SCMP_A2(SCMP_CMP_MASKED_EQ, OPEN_KIND_MASK, O_RDONLY));
	RULE(SCMP_ACT_ALLOW, "openat", 1,
	     SCMP_A2(SCMP_CMP_MASKED_EQ, OPEN_KIND_MASK, O_WRONLY | O_NOFOLLOW));
	RULE(SCMP_ACT_ALLOW, "openat", 2,
	     SCMP_A2(SCMP_CMP_MASKED_EQ, OPEN_KIND_MASK,
		     O_WRONLY | O_NOFOLLOW | O_CREAT | O_TRUNC),
	     SCMP_A3(SCMP_CMP_EQ, 0600));
	/* memory: never executable (EPERM, not a kill: see above) */
	RULE(SCMP_ACT_ALLOW, "mmap", 1,
	     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	RULE(SCMP_ACT_ERRNO(EPERM), "mmap", 1,
	     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
	RULE(SCMP_ACT_ALLOW, "mprotect", 1,
	     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	RULE(SCMP_ACT_ERRNO(EPERM), "mprotect", 1,
	     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
	/* threads only, no fork */
	RULE(SCMP_ACT_ALLOW, "clone", 1,
	     SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	RULE(SCMP_ACT_ERRNO(ENOSYS), "clone3", 0);
	/* pthread_kill (vCPU kicks), raise: hv's own threads only */
	RULE(SCMP_ACT_ALLOW, "tgkill", 1,
	     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	/* a vCPU thread naming itself (pthread_setname_np) */
	RULE(SCMP_ACT_ALLOW, "prctl", 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME));
#undef RULE
	return 0;
fail:
	snprintf(msg, msglen, "seccomp rule for %s: %s", what, strerror(-rc));
	return rc;
}

/* ---- the report of a forbidden call (SIGSYS) ---- */

#define NAMES_MAX	512
#define NAME_LEN	24
static char call_names[NAMES_MAX][NAME_LEN];

static void names_init(void)
{
	static bool done;

	if (done)
		return;
	for (int nr = 0; nr < NAMES_MAX; nr++) {
		char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (s)
			snprintf(call_names[nr], NAME_LEN, "%s", s);
		free(s);
	}
	done = true;
}

static size_t put_str(char *buf, size_t at, size_t len, const char *s)
{
	while (*s && at + 1 < len)
		buf[at++] = *s++;
	return at;
}

static size_t put_num(char *buf, size_t at, size_t len, unsigned long v,
		      unsigned int base)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v && n < sizeof(tmp));
	if (base == 16)
		at = put_str(buf, at, len, "0x");
	while (n && at + 1 < len)
		buf[at++] = tmp[--n];
	return at;
}

static void sigsys_report(int sig, siginfo_t *si, void *uc_)
{
	char line[200];
	size_t at = 0;
	int nr = si->si_syscall;

	(void)sig;
	at = put_str(line, at, sizeof(line),
		     "hv: seccomp: forbidden system call ");
	at = put_str(line, at, sizeof(line),
		     nr >= 0 && nr < NAMES_MAX && call_names[nr][0] ?
		     call_names[nr] : "?");
	at = put_str(line, at, sizeof(line), " (nr ");
	at = put_num(line, at, sizeof(line), (unsigned long)nr, 10);
#ifdef __x86_64__
	{
		ucontext_t *uc = uc_;
		static const int regs[] = { REG_RDI, REG_RSI, REG_RDX };

		at = put_str(line, at, sizeof(line), ", args");
		for (size_t i = 0; i < 3; i++) {
			at = put_str(line, at, sizeof(line), " ");
			at = put_num(line, at, sizeof(line),
				     (unsigned long)uc->uc_mcontext.gregs[regs[i]],
				     16);
		}
	}
#else
	(void)uc_;
#endif
	at = put_str(line, at, sizeof(line), ")\n");
	if (write(STDERR_FILENO, line, at) < 0) {
		/* nothing more to do: exiting anyway */
	}
	_exit(HV_EXIT_SECCOMP);
}

static int sigsys_install(void)
{
	struct sigaction sa = { .sa_sigaction = sigsys_report,
				.sa_flags = SA_SIGINFO };

	names_init();
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}

/* The filter confine_seccomp_prepare built: libseccomp's BPF, loaded
 * as its seccomp_load would (NO_NEW_PRIVS, then seccomp(2) with TSYNC
 * when asked), without generating it again. */
static struct sock_fprog prepared;
static enum hv_seccomp prepared_mode;

int confine_seccomp_prepare(enum hv_seccomp mode, char *msg, size_t msglen)
{
	scmp_filter_ctx ctx;
	struct sock_filter *f = NULL;
	off_t size = 0;
	int fd = -1, rc;

	if (mode == HV_SECCOMP_OFF || prepared.filter)
		return 0;
	names_init();		/* for the SIGSYS report, 512 look-ups */
	ctx = seccomp_init(mode == HV_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(msg, msglen, "seccomp_init failed");
		return -ENOMEM;
	}
	rc = add_rules(ctx, msg, msglen);
	if (rc < 0)
		goto out;
	errno = 0;
	fd = memfd_create("hv-seccomp", MFD_CLOEXEC);
	if (fd < 0 || (rc = seccomp_export_bpf(ctx, fd)) < 0 ||
	    (size = lseek(fd, 0, SEEK_END)) <= 0 ||
	    size % (off_t)sizeof(*f) || size / (off_t)sizeof(*f) > USHRT_MAX ||
	    !(f = malloc((size_t)size)) ||
	    pread(fd, f, (size_t)size, 0) != size) {
		rc = rc < 0 ? rc : errno ? -errno : -EIO;
		snprintf(msg, msglen, "building the seccomp filter: %s",
			 strerror(-rc));
		free(f);
		goto out;
	}
	prepared.filter = f;
	prepared.len = (unsigned short)(size / (off_t)sizeof(*f));
	prepared_mode = mode;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return rc;
}

static int load_prepared(bool tsync, char *msg, size_t msglen)
{
	long rc;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		rc = -errno;
		snprintf(msg, msglen, "PR_SET_NO_NEW_PRIVS: %s",
			 strerror((int)-rc));
		return (int)rc;
	}
	rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
		     tsync ? SECCOMP_FILTER_FLAG_TSYNC : 0, &prepared);
	if (rc > 0) {		/* TSYNC: that thread could not take it */
		snprintf(msg, msglen, "loading the seccomp filter: thread %ld "
			 "cannot take it", rc);
		return -ESRCH;
	}
	if (rc < 0) {
		rc = -errno;
		snprintf(msg, msglen, "loading the seccomp filter: %s",
			 strerror((int)-rc));
		return (int)rc;
	}
	return 0;
}

int confine_seccomp_load(enum hv_seccomp mode, bool tsync, char *msg,
			 size_t msglen)
{
	scmp_filter_ctx ctx;
	int rc;

	if (mode == HV_SECCOMP_OFF)
		return 0;
	rc = sigsys_install();
	if (rc < 0) {
		snprintf(msg, msglen, "SIGSYS handler: %s", strerror(-rc));
		return rc;
	}
	if (prepared.filter && prepared_mode == mode)
		return load_prepared(tsync, msg, msglen);
	ctx = seccomp_init(mode == HV_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(msg, msglen, "seccomp_init failed");
		return -ENOMEM;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (rc == 0 && tsync)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc < 0) {
		snprintf(msg, msglen, "seccomp attributes: %s", strerror(-rc));
		goto out;
	}
	rc = add_rules(ctx, msg, msglen);
	if (rc < 0)
		goto out;
	rc = seccomp_load(ctx);
	if (rc < 0)
		snprintf(msg, msglen, "loading the seccomp filter: %s",
			 strerror(-rc));
out:
	seccomp_release(ctx);
	return rc;
}

/* ---- privileges ---- */

static int switch_user(const struct confine_opts *o, char *msg,
		       size_t msglen)
{
	gid_t g = o->gid;

	if (setgroups(1, &g) < 0 || setgid(o->gid) < 0 || setuid(o->uid) < 0) {
		int rc = -errno;

		snprintf(msg, msglen, "--user %s: %s", o->user, strerror(-rc));
		return rc;
	}
	/* no way back */
	if (setuid(0) == 0) {
		snprintf(msg, msglen, "--user %s: could get root back", o->user);
		return -EPERM;
	}
	return 0;
}

/* Every capability out of the bounding set (first, while CAP_SETPCAP is
 * there: without it, as a user other than root, the bounding set cannot
 * shrink, and NO_NEW_PRIVS keeps that from mattering). */
static void drop_bounding_set(void)
{
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    errno != EPERM)
			break;		/* EINVAL: past the last capability */
}

/* ... then out of the ambient, effective, permitted and inheritable sets. */
static int drop_caps(char *msg, size_t msglen)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0) {
		int rc = -errno;

		snprintf(msg, msglen, "dropping capabilities: %s",
			 strerror(-rc));
		return rc;
	}
	return 0;
}

int confine_drop_privileges(const struct confine_opts *o, char *msg,
			    size_t msglen)
{
	int rc;

	drop_bounding_set();
	if (o->user_set && (rc = switch_user(o, msg, msglen)) < 0)
		return rc;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		rc = -errno;
		snprintf(msg, msglen, "PR_SET_NO_NEW_PRIVS: %s", strerror(-rc));
		return rc;
	}
	return drop_caps(msg, msglen);
}
