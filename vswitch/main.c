/*
 * vswitchd: the DPDK virtual switch (DESIGN.md "vswitchd", docs/vswitchd.8).
 * Sets up DPDK's EAL (by default without hugepages, PCI scan or shared
 * files, with a --file-prefix derived from XVM_RUNDIR so several instances
 * coexist), the mbuf pool and the PMD thread, restores the saved
 * configuration, then serves the control socket on the main thread until
 * SIGTERM or SIGINT, and tears everything down cleanly.
 */
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "xvm/daemon.h"
#include "xvm/log.h"
#include "xvm/rpc.h"
#include "xvm/vswctl.h"	/* vswctl_sock_path() */
#include "control.h"
#include "flowctl.h"
#include "vswitchd.h"
#include "usage.h"

#define VSWD_MBUFS	32767	/* ~78 MB of the DPDK memory */
/* Jumbo frames (MTU above ~1900): one mbuf of NB_JUMBO_ROOM bytes each,
 * ~39 MB. A frame that does not fit a 2 KiB mbuf is in one of these
 * while the switch holds it. */
#define VSWD_JUMBO_MBUFS	4095
/* -m's range. The pools above and what the EAL and the heap keep for
 * themselves need about 168 MB (measured with --no-huge: 160 fails, 168
 * starts); 200 leaves room for VNICs, captures and flows. */
#define VSWD_MEM_MIN	200
#define VSWD_MEM_MAX	65536
#define VSWD_MBUF_CACHE	256
#define VSWD_MAX_EAL	32
#define VSWD_MAX_PCI	8
/* What a control client may hold (docs/control-protocol.md "Limits"):
 * the longest request is a few KB (names and values are at most 256
 * bytes each); a client that sent no request for a minute and runs no
 * capture is closed. */
#define VSWD_CTL_MAX_LINE	(64u << 10)
#define VSWD_CTL_IDLE_MS	60000

struct vswd_opts {
	unsigned mem_mb;		/* -m */
	bool hugepages;			/* -H */
	const char *pci[VSWD_MAX_PCI];	/* -a */
	unsigned npci;
	const char *pidfile;		/* -p */
	bool verbose;
	const char *usage_log;		/* --usage-log */
	unsigned usage_interval;	/* --usage-interval; 0: no log */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vswitchd [-Hv] [-m MB] [-a PCI_BDF]... [-p PIDFILE]\n"
		"  -m, --memory MB     DPDK memory, 160-65536 (default 256)\n"
		"  -H, --hugepages     use hugepages instead of anonymous memory\n"
		"  -a, --pci BDF       let DPDK probe this PCI device (vfio-pci)\n"
		"  -p, --pidfile PATH  default $XVM_RUNDIR/vswitchd.pid\n"
		"  -v, --verbose       debug logging\n"
		"  --usage-log FILE    write the usage log there (default\n"
		"                      $XVM_STATEDIR/usage.log when only\n"
		"                      --usage-interval is given)\n"
		"  --usage-interval S  one usage record per link and flow every\n"
		"                      S seconds, 1-86400 (default 60 when only\n"
		"                      --usage-log is given); no log without either\n"
		"environment: XVM_RUNDIR (default /run/xvm), XVM_STATEDIR\n"
		"(default /var/lib/xvm), XVM_LOG_LEVEL\n");
}

static int parse_opts(int argc, char **argv, struct vswd_opts *o)
{
	static const struct option lo[] = {
		{ "memory", required_argument, NULL, 'm' },
		{ "hugepages", no_argument, NULL, 'H' },
		{ "pci", required_argument, NULL, 'a' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "usage-log", required_argument, NULL, 'U' },
		{ "usage-interval", required_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "m:Ha:p:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'm':
			errno = 0;
			o->mem_mb = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || o->mem_mb < VSWD_MEM_MIN ||
			    o->mem_mb > VSWD_MEM_MAX) {
				fprintf(stderr, "vswitchd: invalid memory size "
					"'%s': MB, %d to %d (the packet buffers "
					"alone take about 120 MB)\n", optarg,
					VSWD_MEM_MIN, VSWD_MEM_MAX);
				return -EINVAL;
			}
			break;
		case 'H': o->hugepages = true; break;
		case 'a':
			if (o->npci == VSWD_MAX_PCI || strlen(optarg) > 32) {
				fprintf(stderr, "vswitchd: too many or bad -a\n");
				return -EINVAL;
			}
			o->pci[o->npci++] = optarg;
			break;
		case 'p': o->pidfile = optarg; break;
		case 'v': o->verbose = true; break;
		case 'U': o->usage_log = optarg; break;
		case 'I':
			errno = 0;
			o->usage_interval = (unsigned)strtoul(optarg, &end, 10);
			if (errno || *end || o->usage_interval < 1 ||
			    o->usage_interval > USAGE_INTERVAL_MAX) {
				fprintf(stderr, "vswitchd: invalid usage interval '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
	}
	if (o->usage_log && !o->usage_interval)
		o->usage_interval = USAGE_INTERVAL_DEFAULT;
	if (optind != argc) {
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* A file prefix of our own for DPDK, stable for a run directory. */
static void eal_prefix(const char *rundir, char *buf, size_t len)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (const char *p = rundir; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ULL;
	snprintf(buf, len, "vswd-%016llx", (unsigned long long)h);
}

static int eal_setup(const struct vswd_opts *o, const char *rundir,
		     char *prog)
{
	static char prefix[64], mem[16], lcores[64], allow[VSWD_MAX_PCI][48];
	char *argv[VSWD_MAX_EAL];
	int argc = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	eal_prefix(rundir, prefix, sizeof(prefix));
	snprintf(mem, sizeof(mem), "%u", o->mem_mb);
	/* main (control) and PMD lcores, free to run on any CPU */
	snprintf(lcores, sizeof(lcores), "0@(0-%ld),1@(0-%ld)",
		 ncpu > 1 ? ncpu - 1 : 0, ncpu > 1 ? ncpu - 1 : 0);
	argv[argc++] = prog;
	argv[argc++] = "--file-prefix";
	argv[argc++] = prefix;
	argv[argc++] = "-m";
	argv[argc++] = mem;
	argv[argc++] = "--lcores";
	argv[argc++] = lcores;
	argv[argc++] = "--no-telemetry";
	argv[argc++] = "--log-level";
	argv[argc++] = o->verbose ? "*:info" : "*:warning";
	if (!o->hugepages) {
		argv[argc++] = "--no-huge";
		argv[argc++] = "--no-shconf";
	}
	if (o->npci == 0)
		argv[argc++] = "--no-pci";
	for (unsigned i = 0; i < o->npci; i++) {
		snprintf(allow[i], sizeof(allow[i]), "%s", o->pci[i]);
		argv[argc++] = "-a";
		argv[argc++] = allow[i];
	}
	return rte_eal_init(argc, argv);
}

static void env_dirs(struct vswd *d)
{
	snprintf(d->rundir, sizeof(d->rundir), "%s", xvm_rundir());
	snprintf(d->statedir, sizeof(d->statedir), "%s", xvm_statedir());
}

/* The usage log of --usage-log/--usage-interval; NULL (logged) if its
 * file cannot be opened: vswitchd then does not start. */
static struct usage *usage_start(struct vswd *d, const struct vswd_opts *o)
{
	char path[PATH_MAX + 16];
	struct usage *u;

	if (o->usage_log) {
		snprintf(path, sizeof(path), "%s", o->usage_log);
	} else {
		snprintf(path, sizeof(path), "%s/usage.log", d->statedir);
		mkdir_p(d->statedir, 0755);
	}
	u = usage_open(path, o->usage_interval);
	if (!u)
		log_err("cannot open usage log %s: %s", path, strerror(errno));
	else
		log_info("usage log %s every %u s", path, o->usage_interval);
	return u;
}

/* Serve the control socket until a termination signal. */
static int serve(struct rpc_server *srv, int sigfd, struct usage *u,
		 struct vswd *d)
{
	struct pollfd pfd[3] = {
		{ .fd = rpc_server_fd(srv), .events = POLLIN },
		{ .fd = sigfd, .events = POLLIN },
		{ .fd = u ? usage_fd(u) : -1, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[1].revents) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == sizeof(si))
				log_info("signal %u, stopping", si.ssi_signo);
			return 0;
		}
		if (pfd[0].revents)
			rpc_server_dispatch(srv);
		if (pfd[2].revents)
			usage_tick(u, d);
	}
}

static int start_dataplane(struct vswd *d)
{
	unsigned lcore = rte_get_next_lcore(-1, 1, 0);

	d->pool = rte_pktmbuf_pool_create("vsw_mbufs", VSWD_MBUFS,
					  VSWD_MBUF_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE,
					  rte_socket_id());
	if (!d->pool) {
		log_err("mbuf pool: %s (%u buffers, about 78 MB, do not fit "
			"in the DPDK memory: raise -m, or reserve more "
			"hugepages with -H)", rte_strerror(rte_errno),
			VSWD_MBUFS);
		return -ENOMEM;
	}
	d->jumbo = rte_pktmbuf_pool_create("vsw_jumbo", VSWD_JUMBO_MBUFS,
					   VSWD_MBUF_CACHE, 0,
					   RTE_PKTMBUF_HEADROOM + NB_JUMBO_ROOM,
					   rte_socket_id());
	if (!d->jumbo) {
		log_err("jumbo mbuf pool: %s (%u buffers, about 39 MB, do not "
			"fit in the DPDK memory: raise -m, or reserve more "
			"hugepages with -H)", rte_strerror(rte_errno),
			VSWD_JUMBO_MBUFS);
		return -ENOMEM;
	}
	if (lcore >= RTE_MAX_LCORE) {
		log_err("no lcore for the PMD");
		return -ENODEV;
	}
	d->pmd = pmd_start(d->pool, d->jumbo, lcore);
	if (!d->pmd) {
		log_err("cannot start the PMD: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static void teardown(struct vswd *d)
{
	char rtdir[PATH_MAX];

	flows_destroy_all(d);
	vnics_destroy_all(d);
	links_destroy_all(d);
	if (d->pmd)
		pmd_stop(d->pmd);
	rte_mempool_free(d->pool);
	rte_mempool_free(d->jumbo);
	json_decref(d->dormant);
	snprintf(rtdir, sizeof(rtdir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rtdir);	/* DPDK's runtime directory, empty with --no-shconf */
}

int main(int argc, char **argv)
{
	static struct vswd d;
	struct vswd_opts o = { .mem_mb = 256 };
	struct rpc_server *srv = NULL;
	struct rpc_method *methods = NULL;
	struct usage *usage = NULL;
	size_t nmethods = 0;
	char path[PATH_MAX + 32], pidpath[PATH_MAX + 32];
	int sigfd, pidfd, rc;

	log_init("vswitchd", LL_INFO);
	if (parse_opts(argc, argv, &o) < 0)
		return 1;
	if (o.verbose)
		log_set_level(LL_DEBUG);
	env_dirs(&d);
	rc = mkdir_p(d.rundir, 0755);
	if (rc < 0) {
		log_err("cannot create %s: %s", d.rundir, strerror(-rc));
		return 1;
	}
	snprintf(pidpath, sizeof(pidpath), "%s/vswitchd.pid", d.rundir);
	pidfd = daemon_pidfile(o.pidfile ? o.pidfile : pidpath);
	if (pidfd < 0) {
		log_err("%s", pidfd == -EEXIST ?
			"another vswitchd is running for this run directory" :
			strerror(-pidfd));
		return 1;
	}
	/* before EAL starts threads, so they all inherit the mask */
	sigfd = daemon_signalfd(0, 0);
	if (sigfd < 0) {
		log_err("cannot set up signals: %s", strerror(-sigfd));
		return 1;
	}
	if (eal_setup(&o, d.rundir, argv[0]) < 0) {
		log_err("cannot initialise DPDK: %s",
			rte_strerror(rte_errno));
		return 1;
	}
	rc = start_dataplane(&d);
	if (rc == 0)
		persist_restore(&d);
	if (rc == 0 && vswctl_sock_path(d.rundir, path, sizeof(path)) < 0) {
		log_err("run directory %s too long for a socket", d.rundir);
		rc = -ENAMETOOLONG;
	}
	if (rc == 0) {
		methods = ctl_methods(&nmethods);
		srv = methods ? rpc_server_open(path, methods, nmethods, &d) : NULL;
		if (srv)
			rpc_server_set_limits(srv, &(struct rpc_limits){
				.max_conns = RPC_MAX_CONNS,
				.max_line = VSWD_CTL_MAX_LINE,
				.idle_ms = VSWD_CTL_IDLE_MS });
		if (!srv)
			log_err("cannot serve %s: %s", path,
				strerror(errno));
	}
	if (srv && o.usage_interval && !(usage = usage_start(&d, &o))) {
		rpc_server_close(srv);
		srv = NULL;
	}
	if (srv) {
		log_info("serving %s", path);
		rc = serve(srv, sigfd, usage, &d);
		rpc_server_close(srv);
	}
	usage_close(usage);
	teardown(&d);
	free(methods);
	unlink(o.pidfile ? o.pidfile : pidpath);
	close(pidfd);
	return srv && rc == 0 ? 0 : 1;
}
