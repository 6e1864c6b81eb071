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
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>

#include "xvm/daemon.h"
#include "xvm/log.h"
#include "xvm/rpc.h"
#include "xvm/vswctl.h"	/* vswctl_sock_path() */
#include "control.h"
#include "flowctl.h"
#include "vswitchd.h"
#include "usage.h"

/* Jumbo frames (MTU above ~1900): one mbuf of NB_JUMBO_ROOM bytes each.
 * A frame that does not fit a 2 KiB mbuf is in one of these while the
 * switch holds it. The pool is made first, with at most a fifth of the
 * DPDK heap (4095 buffers, ~39 MB, from -m 256 up; 64 MB gives ~1000),
 * and the packet buffer pool takes what is left. */
#define VSWD_JUMBO_MBUFS	4095
#define VSWD_JUMBO_MIN		255
/* -m's range. The packet buffer pool takes what the DPDK heap has once
 * VSWD_HEAP_SPARE is set aside (start_dataplane): at 64 MB, about 20000
 * buffers, enough for some 230 VNICs' shares (dp.h); the default gives
 * about 100000, enough for VSW_MAX_PORTS. */
#define VSWD_MEM_MIN	64
#define VSWD_MEM_MAX	65536
/* The heap kept out of the pool: vhost-user devices (about 30 KB per
 * connected guest VNIC: 32 took 0.9 MB), the PMD's rings, capture
 * filters, the pool's own ring and per-lcore caches: 12 MB and an eighth
 * of the rest. */
#define VSWD_HEAP_SPARE(free)	(12u * 1024 * 1024 + (free) / 8)
#define VSWD_MBUFS_MIN	8192
#define VSWD_MBUFS_MAX	(1u << 22)
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
	int pmd_cpu[VSW_MAX_PMDS];	/* --pmd-cpus */
	unsigned npmds;			/* 0: one PMD on any CPU */
	const char *usage_log;		/* --usage-log */
	unsigned usage_interval;	/* --usage-interval; 0: no log */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vswitchd [-Hv] [-m MB] [-a PCI_BDF]... [-p PIDFILE]\n"
		"                [--pmd-cpus LIST]\n"
		"  -m, --memory MB     DPDK memory, 64-65536 (default 256); the packet\n"
		"                      buffers are what it holds beyond DPDK's needs\n"
		"  -H, --hugepages     use hugepages instead of anonymous memory\n"
		"  -a, --pci BDF       let DPDK probe this PCI device (vfio-pci)\n"
		"  -p, --pidfile PATH  default $XVM_RUNDIR/vswitchd.pid\n"
		"  -v, --verbose       debug logging\n"
		"  --pmd-cpus LIST     one PMD thread on each CPU listed (like\n"
		"                      0,2 or 0-3; at most 16); default one\n"
		"                      PMD free to run on any CPU\n"
		"  --usage-log FILE    write the usage log there (default\n"
		"                      $XVM_STATEDIR/usage.log when only\n"
		"                      --usage-interval is given)\n"
		"  --usage-interval S  one usage record per link and flow every\n"
		"                      S seconds, 1-86400 (default 60 when only\n"
		"                      --usage-log is given); no log without either\n"
		"environment: XVM_RUNDIR (default /run/xvm), XVM_STATEDIR\n"
		"(default /var/lib/xvm), XVM_LOG_LEVEL\n");
}

/* --pmd-cpus: comma-separated CPUs or ranges A-B, each online, none
 * twice, at most VSW_MAX_PMDS. */
static int parse_cpus(const char *arg, struct vswd_opts *o)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const char *s = arg;
	char *end;

	o->npmds = 0;
	while (*s) {
		unsigned long a, b;

		errno = 0;
		if (*s < '0' || *s > '9')
			goto bad;
		a = b = strtoul(s, &end, 10);
		if (errno)
			goto bad;
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				goto bad;
			b = strtoul(s, &end, 10);
			if (errno || b < a)
				goto bad;
		}
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			goto bad;
		s = end;
		for (unsigned long c = a; c <= b; c++) {
			if (c >= (unsigned long)ncpu || c >= RTE_MAX_LCORE) {
				fprintf(stderr, "vswitchd: --pmd-cpus: CPU %lu "
					"is not online (0-%ld)\n", c, ncpu - 1);
				return -EINVAL;
			}
			for (unsigned i = 0; i < o->npmds; i++) {
				if (o->pmd_cpu[i] == (int)c) {
					fprintf(stderr, "vswitchd: --pmd-cpus: "
						"CPU %lu given twice\n", c);
					return -EINVAL;
				}
			}
			if (o->npmds == VSW_MAX_PMDS) {
				fprintf(stderr, "vswitchd: --pmd-cpus: at "
					"most %d PMDs\n", VSW_MAX_PMDS);
				return -EINVAL;
			}
			o->pmd_cpu[o->npmds++] = (int)c;
		}
	}
	if (o->npmds)
		return 0;
bad:
	fprintf(stderr, "vswitchd: --pmd-cpus: invalid CPU list '%s' (like "
		"0,2 or 0-3)\n", arg);
	return -EINVAL;
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
		{ "pmd-cpus", required_argument, NULL, 'C' },
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
					"'%s': MB, %d to %d\n", optarg,
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
		case 'C':
			if (parse_cpus(optarg, o) < 0)
				return -EINVAL;
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
	static char prefix[64], mem[16], lcores[512], allow[VSWD_MAX_PCI][48];
	char *argv[VSWD_MAX_EAL];
	int argc = 0;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	eal_prefix(rundir, prefix, sizeof(prefix));
	snprintf(mem, sizeof(mem), "%u", o->mem_mb);
	/* main (control) lcore free to run on any CPU; PMD lcores 1..n on
	 * the CPUs of --pmd-cpus, or one on any CPU */
	snprintf(lcores, sizeof(lcores), "0@(0-%ld)", ncpu > 1 ? ncpu - 1 : 0);
	if (o->npmds == 0)
		snprintf(lcores + strlen(lcores), sizeof(lcores) - strlen(lcores),
			 ",1@(0-%ld)", ncpu > 1 ? ncpu - 1 : 0);
	for (unsigned i = 0; i < o->npmds; i++)
		snprintf(lcores + strlen(lcores), sizeof(lcores) - strlen(lcores),
			 ",%u@%d", i + 1, o->pmd_cpu[i]);
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
	if (o->npci == 0) {
		argv[argc++] = "--no-pci";
		/* buffers addressed by virtual address, as every port type
		 * we have uses them: the pool then packs them instead of
		 * giving each its own 4 KB page (PA mode without hugepages) */
		argv[argc++] = "--iova-mode=va";
	}
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

/* The mbufs that fit in the DPDK heap as it is after the EAL's start,
 * VSWD_HEAP_SPARE kept for the rest; 0 when not even VSWD_MBUFS_MIN. */
static unsigned pool_mbufs(void)
{
	uint32_t obj = rte_mempool_calc_obj_size(sizeof(struct rte_mbuf) +
						 RTE_MBUF_DEFAULT_BUF_SIZE, 0,
						 NULL);
	struct rte_malloc_socket_stats st;
	size_t avail, spare, n;

	if (rte_malloc_get_socket_stats(rte_socket_id(), &st) < 0)
		return 0;
	avail = st.greatest_free_size;
	spare = VSWD_HEAP_SPARE(avail);
	if (rte_eal_iova_mode() != RTE_IOVA_VA && !rte_eal_has_hugepages())
		obj = (uint32_t)sysconf(_SC_PAGESIZE);	/* one per page */
	n = avail > spare ? (avail - spare) / obj : 0;
	n = MIN(n, VSWD_MBUFS_MAX);
	return n < VSWD_MBUFS_MIN ? 0 : (unsigned)n;
}

/* rte_pktmbuf_pool_create() as DPDK does it, but in IOVA-as-VA mode
 * without asking for buffers that do not cross a page (which without
 * hugepages costs a whole 4 KB page for each 2.3 KB buffer): nothing
 * here hands buffers to a device by physical address. */
static struct rte_mempool *pool_create(const char *name, unsigned n,
					uint16_t room)
{
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = room,
	};
	bool va = rte_eal_iova_mode() == RTE_IOVA_VA;
	struct rte_mempool *mp;

	mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + room,
				      VSWD_MBUF_CACHE, sizeof(priv),
				      rte_socket_id(),
				      va ? RTE_MEMPOOL_F_NO_IOVA_CONTIG : 0);
	if (!mp)
		return NULL;
	if (rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(),
				       NULL) != 0)
		goto fail;
	rte_pktmbuf_pool_init(mp, &priv);
	if (rte_mempool_populate_default(mp) < 0)
		goto fail;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
fail:
	rte_mempool_free(mp);
	rte_errno = ENOMEM;
	return NULL;
}

/* The jumbo buffers that fit in a fifth of the DPDK heap, at most
 * VSWD_JUMBO_MBUFS; 0 when not even VSWD_JUMBO_MIN. */
static unsigned pool_jumbo_mbufs(void)
{
	uint32_t obj = rte_mempool_calc_obj_size(sizeof(struct rte_mbuf) +
						 RTE_PKTMBUF_HEADROOM +
						 NB_JUMBO_ROOM, 0, NULL);
	struct rte_malloc_socket_stats st;
	size_t n;

	if (rte_malloc_get_socket_stats(rte_socket_id(), &st) < 0)
		return 0;
	n = MIN(st.greatest_free_size / 5 / obj, VSWD_JUMBO_MBUFS);
	return n < VSWD_JUMBO_MIN ? 0 : (unsigned)n;
}

static int start_dataplane(struct vswd *d, const struct vswd_opts *o)
{
	unsigned lcore = (unsigned)-1;
	unsigned n = pool_jumbo_mbufs();

	d->jumbo = n ? pool_create("vsw_jumbo", n, RTE_PKTMBUF_HEADROOM +
				   NB_JUMBO_ROOM) : NULL;
	if (!d->jumbo) {
		log_err("jumbo mbuf pool: %s (-m %u MB leaves too little for "
			"%u jumbo buffers: raise -m%s)",
			rte_strerror(n ? rte_errno : ENOMEM), o->mem_mb,
			VSWD_JUMBO_MIN,
			o->hugepages ? ", or reserve more hugepages" : "");
		return -ENOMEM;
	}
	n = pool_mbufs();

	/* what the estimate missed (page rounding with -H): a bit less,
	 * a few times */
	for (int i = 0; n >= VSWD_MBUFS_MIN && i < 4; i++, n -= n / 8) {
		d->pool = pool_create("vsw_mbufs", n,
				      RTE_MBUF_DEFAULT_BUF_SIZE);
		if (d->pool || rte_errno != ENOMEM)
			break;
	}
	if (!d->pool) {
		log_err("mbuf pool: %s (-m %u MB leaves too little for %u "
			"packet buffers: raise -m%s)",
			rte_strerror(n < VSWD_MBUFS_MIN ? ENOMEM : rte_errno),
			o->mem_mb, VSWD_MBUFS_MIN,
			o->hugepages ? ", or reserve more hugepages" : "");
		return -ENOMEM;
	}
	log_info("mbuf pool: %u packet buffers, %u of them for queues "
		 "towards ports (at most %u VNICs); %u jumbo buffers",
		 d->pool->size, switch_queue_budget(d->pool->size),
		 switch_max_queues(switch_queue_budget(d->pool->size)),
		 d->jumbo->size);
	d->qsbr = pmd_qsbr_create(d->npmds);
	if (!d->qsbr) {
		log_err("cannot make the PMDs' RCU state");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < d->npmds; i++) {
		lcore = rte_get_next_lcore(lcore, 1, 0);
		if (lcore >= RTE_MAX_LCORE) {
			log_err("no lcore for PMD %u", i);
			return -ENODEV;
		}
		d->pmds[i] = pmd_start(d->pool, d->jumbo, lcore, i,
				       d->qsbr);
		if (!d->pmds[i]) {
			log_err("cannot start PMD %u: %s", i, strerror(errno));
			return -errno;
		}
		if (d->pmd_cpu[i] >= 0)
			log_info("pmd %u: on CPU %d", i, d->pmd_cpu[i]);
	}
	return 0;
}

static void teardown(struct vswd *d)
{
	char rtdir[PATH_MAX];

	flows_destroy_all(d);
	vnics_destroy_all(d);
	links_destroy_all(d);
	physprops_destroy_all(d);
	for (unsigned i = 0; i < d->npmds; i++)
		if (d->pmds[i])
			pmd_stop(d->pmds[i]);
	rte_free(d->qsbr);
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
	d.npmds = o.npmds ? o.npmds : 1;
	for (unsigned i = 0; i < d.npmds; i++)
		d.pmd_cpu[i] = o.npmds ? o.pmd_cpu[i] : -1;
	rc = start_dataplane(&d, &o);
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
