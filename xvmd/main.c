/*
 * xvmd: the toolstack daemon (docs/xvmd.8). Serves libvirt's remote
 * protocol on $XVM_RUNDIR/libvirt-sock (and, with --system, on
 * /var/run/libvirt/virtxvmd-sock so `virsh -c xvm:///system` finds it),
 * keeps domain definitions under $XVM_STATEDIR/domains, runs one hv per
 * running domain. One thread, one epoll loop (loop.c).
 */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "xvm/daemon.h"
#include "xvm/log.h"
#include "loop.h"
#include "dom.h"
#include "remote.h"
#include "sched.h"

#define SYSTEM_SOCKET	"/var/run/libvirt/virtxvmd-sock"
#define SYSTEM_SOCKET_RO "/var/run/libvirt/virtxvmd-sock-ro"

struct xvmd_opts {
	bool system;
	const char *hv;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: xvmd [--system] [--hv PATH] [--cgroup NAME] "
		"[--stop-timeout SECONDS] [--log-level LEVEL]\n");
}

static void xvmd_default_hv(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	snprintf(dom_env.hv, sizeof(dom_env.hv), "/usr/sbin/hv");
	if (n <= 0)
		return;
	self[n] = 0;
	slash = strrchr(self, '/');
	if (!slash)
		return;
	*slash = 0;
	if (strlen(self) + 4 <= sizeof(dom_env.hv))
		snprintf(dom_env.hv, sizeof(dom_env.hv), "%.500s/hv", self);
}

static int xvmd_parse(int argc, char **argv, struct xvmd_opts *o)
{
	static const struct option lo[] = {
		{ "system", no_argument, NULL, 's' },
		{ "hv", required_argument, NULL, 'H' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "stop-timeout", required_argument, NULL, 't' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum log_level lvl;
	char *end;
	long v;
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o->system = true; break;
		case 'H': o->hv = optarg; break;
		case 'g':
			if (strlen(optarg) >= sizeof(dom_env.cgroup) ||
			    !optarg[0] || strchr(optarg, '/')) {
				fprintf(stderr, "xvmd: invalid cgroup name '%s'\n",
					optarg);
				return -EINVAL;
			}
			strcpy(dom_env.cgroup, optarg);
			break;
		case 't':
			v = strtol(optarg, &end, 10);
			if (*end || v < 0 || v > 3600) {
				fprintf(stderr, "xvmd: --stop-timeout must be "
					"0-3600 seconds\n");
				return -EINVAL;
			}
			dom_env.stop_timeout_s = (int)v;
			break;
		case 'l':
			if (log_level_parse(optarg, &lvl) < 0) {
				fprintf(stderr, "xvmd: unknown log level '%s'\n",
					optarg);
				return -EINVAL;
			}
			log_set_level(lvl);
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

static int xvmd_dirs(struct xvmd_opts *o)
{
	const char *run = xvm_rundir(), *state = xvm_statedir();

	if (strlen(run) > 150 || strlen(state) > 200) {
		fprintf(stderr, "xvmd: XVM_RUNDIR or XVM_STATEDIR too long\n");
		return -ENAMETOOLONG;
	}
	strcpy(dom_env.rundir, run);
	strcpy(dom_env.statedir, state);
	if (o->hv) {
		if (strlen(o->hv) >= sizeof(dom_env.hv)) {
			fprintf(stderr, "xvmd: --hv path too long\n");
			return -ENAMETOOLONG;
		}
		strcpy(dom_env.hv, o->hv);
	}
	return 0;
}

/* Once a second: domains' deferred work, stalled clients. */
static void xvmd_tick(void)
{
	dom_tick();
	remote_tick();
}

static int xvmd_sigfd = -1;
static bool xvmd_quit;

static void xvmd_signal(void *opaque, uint32_t events)
{
	struct signalfd_siginfo si;
	int st;
	pid_t pid;

	(void)opaque;
	(void)events;
	while (read(xvmd_sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			log_info("signal %u, stopping", si.ssi_signo);
			xvmd_quit = true;
			loop_stop();
		}
	}
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		dom_child_exited(pid, st);
}

static int xvmd_signals(void)
{
	xvmd_sigfd = daemon_signalfd(SIGCHLD, SFD_NONBLOCK);
	if (xvmd_sigfd < 0)
		return xvmd_sigfd;
	return loop_add(xvmd_sigfd, EPOLLIN, xvmd_signal, NULL);
}

static int xvmd_listen(const struct xvmd_opts *o)
{
	char path[300];
	int rc;

	snprintf(path, sizeof(path), "%s/libvirt-sock", dom_env.rundir);
	rc = remote_listen(path, false);
	if (rc < 0) {
		log_err("cannot listen on %s: %s", path, strerror(-rc));
		return rc;
	}
	if (!o->system)
		return 0;
	mkdir("/var/run/libvirt", 0755);
	rc = remote_listen(SYSTEM_SOCKET, false);
	if (rc < 0) {
		log_err("cannot listen on %s: %s", SYSTEM_SOCKET, strerror(-rc));
		return rc;
	}
	rc = remote_listen(SYSTEM_SOCKET_RO, true);
	if (rc < 0)
		log_err("cannot listen on %s: %s", SYSTEM_SOCKET_RO,
			strerror(-rc));
	return rc;
}

int main(int argc, char **argv)
{
	struct xvmd_opts o = { 0 };

	log_init("xvmd", LL_INFO);
	strcpy(dom_env.cgroup, "xvm");
	dom_env.stop_timeout_s = 30;
	xvmd_default_hv();
	if (xvmd_parse(argc, argv, &o) < 0 || xvmd_dirs(&o) < 0)
		return 2;
	if (loop_init() < 0 || xvmd_signals() < 0) {
		log_err("cannot set up the event loop");
		return 1;
	}
	/* Listen first: a second xvmd on the same run directory stops here,
	 * before it could adopt or autostart anything. */
	mkdir_p(dom_env.rundir, 0755);	/* a failure shows in the listen */
	if (xvmd_listen(&o) < 0 || dom_init() < 0) {
		log_err("start-up failed (XVM_RUNDIR=%s XVM_STATEDIR=%s)",
			dom_env.rundir, dom_env.statedir);
		return 1;
	}
	log_info("serving %s/libvirt-sock", dom_env.rundir);
	loop_run(1000, xvmd_tick);
	remote_shutdown();
	if (xvmd_quit)
		dom_stop_all();
	sched_fini(!dom_any_running());
	log_info("stopped");
	return 0;
}
