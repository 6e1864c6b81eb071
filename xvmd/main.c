/*
 * xvmd: the toolstack daemon (docs/xvmd.8). Serves libvirt's remote
 * protocol on $XVM_RUNDIR/libvirt-sock (and, with --system, on
 * /var/run/libvirt/virtxvmd-sock so `virsh -c xvm:///system` finds it),
 * keeps domain definitions under $XVM_STATEDIR/domains, runs one hv per
 * running domain. One thread, one epoll loop (loop.c).
 */
#include <arpa/inet.h>
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
#include "dom_disk.h"
#include "pool.h"
#include "netallow.h"
#include "remote.h"
#include "sched.h"
#include "tls.h"

#define SYSTEM_SOCKET	"/var/run/libvirt/virtxvmd-sock"
#define SYSTEM_SOCKET_RO "/var/run/libvirt/virtxvmd-sock-ro"

#define XVMD_MAX_LISTEN	4

struct xvmd_opts {
	bool system;
	const char *hv;
	const char *listen[XVMD_MAX_LISTEN];	/* --listen ADDR[:PORT] */
	unsigned int nlisten;
	const char *listen_tls[XVMD_MAX_LISTEN];	/* --listen-tls */
	unsigned int nlisten_tls;
	const char *pki_dir;				/* --pki-dir */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: xvmd [--system] [--hv PATH] [--cgroup NAME] "
		"[--stop-timeout SECONDS] [--log-level LEVEL]\n"
		"            [--listen ADDR[:PORT]]... [--tcp-allow PATTERN[,...]]\n"
		"            [--listen-tls ADDR[:PORT]]... [--pki-dir DIR]\n"
		"            [--tls-allowed-dn PATTERN]...\n"
		"            [--relocation-port PORT] [--relocation-address ADDR]\n"
		"            [--relocation-hosts-allow PATTERN[,...]]\n");
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

/* --tcp-allow / --relocation-hosts-allow. */
static int xvmd_allow(const char *opt, const char *spec)
{
	char err[128];
	int rc = !strcmp(opt, "--tcp-allow") ?
		 remote_tcp_allow_set(spec, err, sizeof(err)) :
		 netallow_parse(&dom_env.reloc_allow, spec, err, sizeof(err));

	if (rc < 0)
		fprintf(stderr, "xvmd: %s: %s\n", opt, err);
	return rc;
}

/* A numeric IPv4 or IPv6 address hv's incoming listener binds to. */
static int xvmd_reloc_address(const char *a)
{
	struct in6_addr tmp;

	if (strlen(a) >= sizeof(dom_env.reloc_addr) ||
	    (inet_pton(AF_INET, a, &tmp) != 1 &&
	     inet_pton(AF_INET6, a, &tmp) != 1)) {
		fprintf(stderr, "xvmd: --relocation-address '%s' is not a "
			"numeric IP address\n", a);
		return -EINVAL;
	}
	strcpy(dom_env.reloc_addr, a);
	return 0;
}

static int xvmd_parse(int argc, char **argv, struct xvmd_opts *o)
{
	static const struct option lo[] = {
		{ "system", no_argument, NULL, 's' },
		{ "hv", required_argument, NULL, 'H' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "stop-timeout", required_argument, NULL, 't' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "listen", required_argument, NULL, 'L' },
		{ "tcp-allow", required_argument, NULL, 'A' },
		{ "listen-tls", required_argument, NULL, 'T' },
		{ "pki-dir", required_argument, NULL, 'K' },
		{ "tls-allowed-dn", required_argument, NULL, 'D' },
		{ "relocation-port", required_argument, NULL, 'P' },
		{ "relocation-address", required_argument, NULL, 'R' },
		{ "relocation-hosts-allow", required_argument, NULL, 'r' },
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
		case 'L':
			if (o->nlisten == XVMD_MAX_LISTEN) {
				fprintf(stderr, "xvmd: at most %d --listen\n",
					XVMD_MAX_LISTEN);
				return -EINVAL;
			}
			o->listen[o->nlisten++] = optarg;
			break;
		case 'T':
			if (o->nlisten_tls == XVMD_MAX_LISTEN) {
				fprintf(stderr, "xvmd: at most %d --listen-tls\n",
					XVMD_MAX_LISTEN);
				return -EINVAL;
			}
			o->listen_tls[o->nlisten_tls++] = optarg;
			break;
		case 'K':
			if (!optarg[0] || strlen(optarg) > 250) {
				fprintf(stderr, "xvmd: --pki-dir: empty or "
					"longer than 250 bytes\n");
				return -EINVAL;
			}
			o->pki_dir = optarg;
			break;
		case 'D':
			if (tls_allow_dn(optarg) < 0) {
				fprintf(stderr, "xvmd: --tls-allowed-dn '%s': "
					"empty, too long or more than %d\n",
					optarg, TLS_MAX_DN);
				return -EINVAL;
			}
			break;
		case 'A':
		case 'r':
			if (xvmd_allow(c == 'A' ? "--tcp-allow" :
				       "--relocation-hosts-allow", optarg) < 0)
				return -EINVAL;
			break;
		case 'P':
			v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 65535 - DOM_MIG_PORTS) {
				fprintf(stderr, "xvmd: --relocation-port must "
					"be 1-%d\n", 65535 - DOM_MIG_PORTS);
				return -EINVAL;
			}
			dom_env.reloc_port = (int)v;
			break;
		case 'R':
			if (xvmd_reloc_address(optarg) < 0)
				return -EINVAL;
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
		if (!pool_qjob_reaped(pid, st))
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

	unsigned int i;

	snprintf(path, sizeof(path), "%s/libvirt-sock", dom_env.rundir);
	rc = remote_listen(path, false);
	if (rc < 0) {
		log_err("cannot listen on %s: %s", path, strerror(-rc));
		return rc;
	}
	for (i = 0; i < o->nlisten; i++) {
		rc = remote_listen_tcp(o->listen[i]);
		if (rc < 0) {
			log_err("cannot listen on TCP %s: %s", o->listen[i],
				rc == -EINVAL ? "not ADDR[:PORT] with a "
				"numeric address" : strerror(-rc));
			return rc;
		}
	}
	for (i = 0; i < o->nlisten_tls; i++) {
		char err[700];

		if (!i && (rc = tls_server_init(o->pki_dir, err,
						sizeof(err))) < 0) {
			log_err("cannot listen for TLS: %s", err);
			return rc;
		}
		rc = remote_listen_tls(o->listen_tls[i]);
		if (rc < 0) {
			log_err("cannot listen on TLS %s: %s", o->listen_tls[i],
				rc == -EINVAL ? "not ADDR[:PORT] with a "
				"numeric address" : strerror(-rc));
			return rc;
		}
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
	dom_env.reloc_port = DOM_MIG_PORT;
	netallow_parse(&dom_env.reloc_allow, "127.0.0.0/8,::1", NULL, 0);
	xvmd_default_hv();
	snprintf(dom_env.qsd, sizeof(dom_env.qsd), "%.500s",
		 getenv("XVM_QSD") ? getenv("XVM_QSD") : "qemu-storage-daemon");
	if (xvmd_parse(argc, argv, &o) < 0 || xvmd_dirs(&o) < 0)
		return 2;
	tls_set_pki_dir(o.pki_dir);
	if (loop_init() < 0 || xvmd_signals() < 0) {
		log_err("cannot set up the event loop");
		return 1;
	}
	/* Listen first: a second xvmd on the same run directory stops here,
	 * before it could adopt or autostart anything. */
	mkdir_p(dom_env.rundir, 0755);	/* a failure shows in the listen */
	if (xvmd_listen(&o) < 0 || dom_init() < 0 ||
	    pool_init(dom_env.statedir, dom_env.rundir) < 0) {
		log_err("start-up failed (XVM_RUNDIR=%s XVM_STATEDIR=%s)",
			dom_env.rundir, dom_env.statedir);
		remote_shutdown();	/* no socket file left behind */
		return 1;
	}
	log_info("serving %s/libvirt-sock", dom_env.rundir);
	loop_run(1000, xvmd_tick);
	pool_qjobs_kill();
	remote_shutdown();
	tls_server_fini();
	if (xvmd_quit)
		dom_stop_all();
	/* hv exits still awaited, and the stopped domains' storage
	 * daemons, end on the loop: let them */
	dom_exits_wait();
	dom_qsd_stops_wait();
	sched_fini(!dom_any_running());
	log_info("stopped");
	return 0;
}
