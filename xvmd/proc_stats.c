/*
 * Statistics procedures (issue 11): domifstat (the guest VNIC's counters
 * from vswitchd), dommemstat (balloon = the configured memory, rss =
 * hv's), getAllDomainStats (virsh domstats, virt-manager's graphs), the
 * host's free memory, CPU and memory stats. Numbers and layouts are
 * remote_protocol.x's; names of typed parameters and the virsh/python
 * behaviour are libvirt's; what each field holds: xvmd(8) STATISTICS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xvm/vswctl.h"
#include "dom.h"
#include "hvcall.h"
#include "proc.h"
#include "sched.h"
#include "stats.h"

#define CELLS_MAX	1024	/* REMOTE_NODE_MAX_CELLS */
#define NODE_STATS_MAX	16	/* REMOTE_NODE_{CPU,MEMORY}_STATS_MAX */
#define MEMSTATS_MAX	1024	/* REMOTE_DOMAIN_MEMORY_STATS_MAX */
#define DOMLIST_MAX	16384	/* REMOTE_DOMAIN_LIST_MAX */

/* virDomainMemoryStatTags */
#define MEMSTAT_ACTUAL	6
#define MEMSTAT_RSS	7

/* virDomainStatsTypes */
enum {
	GS_STATE = 1 << 0,
	GS_CPU = 1 << 1,
	GS_BALLOON = 1 << 2,
	GS_VCPU = 1 << 3,
	GS_NET = 1 << 4,
	GS_BLOCK = 1 << 5,
	GS_SERVED = (1 << 6) - 1,
};

/* virConnectGetAllDomainStatsFlags */
enum {
	GF_ACTIVE = 1u << 0,
	GF_INACTIVE = 1u << 1,
	GF_PERSISTENT = 1u << 2,
	GF_TRANSIENT = 1u << 3,
	GF_RUNNING = 1u << 4,
	GF_PAUSED = 1u << 5,
	GF_SHUTOFF = 1u << 6,
	GF_OTHER = 1u << 7,
	GF_NOWAIT = 1u << 29,
	GF_BACKING = 1u << 30,
	GF_ENFORCE = 1u << 31,
	GF_KNOWN = 0xffu | GF_NOWAIT | GF_BACKING | GF_ENFORCE,
};

static int proc_not_running(struct remote_call *c)
{
	return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested operation "
			"is not valid: domain is not running");
}

static bool proc_running(const struct dom *d)
{
	return !d->dom0 && dom_active(d) && d->pid > 0;
}

/* The domain's CPU time: its cgroup's, or hv's own when there is no
 * cgroup (no cpu controller on this host). */
static uint64_t proc_dom_cputime(const struct dom *d)
{
	uint64_t ns = dom_cputime_ns(d);

	if (!ns && proc_running(d))
		stats_proc_cputime(d->pid, &ns);
	return ns;
}

/* The NIC a domifstat path names: its VNIC (the <target dev>) or its
 * MAC, as libvirt accepts either. -1 if none. */
static int proc_find_nic(const struct dom *d, const char *path)
{
	char mac[MAC_STRLEN];
	unsigned int i;

	for (i = 0; i < d->cfg.nnics; i++) {
		if (d->live.vnics[i][0] && !strcmp(d->live.vnics[i], path))
			return (int)i;
		mac_format_canonical(&d->cfg.nics[i].mac, mac);
		if (!strcasecmp(mac, path))
			return (int)i;
	}
	return -1;
}

/* vswitchd answered an interface-stats call a client waits on. */
struct ifstat_later {
	struct remote_defer *rd;
	char vnic[64];
};

static void proc_ifstat_done(void *opaque, int rc, const json_t *result,
			     const char *msg)
{
	struct ifstat_later *l = opaque;
	struct stats_vnic s;
	struct xdr_out ret;
	struct verr e;

	xdr_out_init(&ret);
	if (rc < 0)
		verr_fail(&e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "counters of %s: %s", l->vnic, msg);
	else
		rc = stats_vnic_rows(l->vnic, json_object_get(result, "vnics"),
				     &s, &e);
	if (rc == 0) {
		xdr_put_u64(&ret, s.rx_bytes);
		xdr_put_u64(&ret, s.rx_packets);
		xdr_put_u64(&ret, s.rx_errs);
		xdr_put_u64(&ret, s.rx_drop);
		xdr_put_u64(&ret, s.tx_bytes);
		xdr_put_u64(&ret, s.tx_packets);
		xdr_put_u64(&ret, s.tx_errs);
		xdr_put_u64(&ret, s.tx_drop);
	}
	remote_defer_reply(l->rd, rc, rc < 0 ? &e : NULL, &ret);
	xdr_out_free(&ret);
	free(l);
}

/* DOMAIN_INTERFACE_STATS {dom; string path} -> 8 hypers, answered when
 * vswitchd answers (the loop serves others meanwhile). */
PROC_DECL(proc_interface_stats)
{
	struct dom *d = proc_get_dom(c);
	char *path = xdr_get_string(c->args, 4096);
	struct ifstat_later *l = NULL;
	char sock[300];
	json_t *params;
	int rc, i;

	rc = proc_dom_ready(c, d, true);
	if (rc)
		goto out;
	if (!proc_running(d)) {
		rc = proc_not_running(c);
		goto out;
	}
	i = proc_find_nic(d, path);
	if (i < 0 || !d->live.vnics[i][0]) {
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "invalid path, '%.80s' is not a known interface",
			      path);
		goto out;
	}
	l = calloc(1, sizeof(*l));
	params = json_pack("{s:s,s:b}", "name", d->live.vnics[i], "stats", 1);
	if (!l || !params || !(l->rd = remote_call_defer(c))) {
		json_decref(params);
		rc = verr_nomem(&c->err);
		goto out;
	}
	snprintf(l->vnic, sizeof(l->vnic), "%s", d->live.vnics[i]);
	vswctl_sock_path(dom_env.rundir, sock, sizeof(sock));
	rc = hvcall_start(sock, "vnic.list", params, VIF_CALL_MS,
			  proc_ifstat_done, l);
	if (rc < 0) {
		remote_defer_cancel(l->rd);
		rc = verr_fail(&c->err, rc, VERR_OPERATION_FAILED, "operation "
			       "failed: cannot reach vswitchd at %s: %s", sock,
			       strerror(-rc));
		goto out;
	}
	l = NULL;
	rc = PROC_LATER;
out:
	free(l);
	free(path);
	return rc;
}

/* DOMAIN_MEMORY_STATS {dom; u32 maxStats; u32 flags} ->
 * {memory_stat {int tag; uhyper val} stats<>}: the balloon (no balloon
 * driver: the configured memory) and hv's RSS. The guest reports nothing
 * (unused, available): left out, as libvirt does when it does not know. */
PROC_DECL(proc_memory_stats)
{
	struct dom *d = proc_get_dom(c);
	uint32_t max = xdr_get_u32(c->args);
	uint64_t rss = 0;
	uint32_t n;
	int rc;

	xdr_get_u32(c->args);
	if (max > MEMSTATS_MAX && !c->args->err)
		c->args->err = -EINVAL;
	rc = proc_dom_ready(c, d, true);
	if (rc)
		return rc;
	if (!proc_running(d))
		return proc_not_running(c);
	n = stats_proc_rss(d->pid, &rss) == 0 ? 2 : 1;
	n = MIN(n, max);
	xdr_put_u32(c->ret, n);
	if (n >= 1) {
		xdr_put_i32(c->ret, MEMSTAT_ACTUAL);
		xdr_put_u64(c->ret, d->cfg.cur_kib);
	}
	if (n >= 2) {
		xdr_put_i32(c->ret, MEMSTAT_RSS);
		xdr_put_u64(c->ret, rss);
	}
	return 0;
}

static int proc_host_mem(struct remote_call *c, struct stats_mem *m)
{
	int rc = stats_host_mem(m);

	if (rc)
		return verr_fail(&c->err, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot read /proc/meminfo: %s",
				 strerror(-rc));
	return 0;
}

/* NODE_GET_FREE_MEMORY -> {uhyper freeMem}: bytes. */
PROC_DECL(proc_node_free_memory)
{
	struct stats_mem m;
	int rc;

	if (proc_args_done(c))
		return PROC_DROP;
	rc = proc_host_mem(c, &m);
	if (rc)
		return rc;
	xdr_put_u64(c->ret, m.free * 1024);
	return 0;
}

/* NODE_GET_CELLS_FREE_MEMORY {int startCell; int maxcells} ->
 * {uhyper cells<>}: one NUMA cell (nodeinfo says nodes 1), bytes. */
PROC_DECL(proc_node_cells_free_memory)
{
	int32_t start = xdr_get_i32(c->args), max = xdr_get_i32(c->args);
	struct stats_mem m;
	int rc;

	if (proc_args_done(c) || max < 0 || max > CELLS_MAX)
		return PROC_DROP;
	if (start != 0)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"start cell %d out of range (0-0)", start);
	rc = proc_host_mem(c, &m);
	if (rc)
		return rc;
	xdr_put_u32(c->ret, max ? 1 : 0);
	if (max)
		xdr_put_u64(c->ret, m.free * 1024);
	return 0;
}

/* The {string field; uhyper value} list of NODE_GET_CPU_STATS and
 * NODE_GET_MEMORY_STATS: with nparams 0 only the count (how virsh asks
 * how many there are), else the first nparams of them. */
static void proc_node_params(struct remote_call *c, int32_t nparams,
			     const char *const *names, const uint64_t *vals,
			     int n)
{
	int k = nparams ? MIN(nparams, n) : 0, i;

	xdr_put_u32(c->ret, (uint32_t)k);
	for (i = 0; i < k; i++) {
		xdr_put_string(c->ret, names[i]);
		xdr_put_u64(c->ret, vals[i]);
	}
	xdr_put_i32(c->ret, nparams ? k : n);
}

/* NODE_GET_CPU_STATS {int cpuNum; int nparams; u32 flags}: kernel, user,
 * idle, iowait in ns (VIR_NODE_CPU_STATS_*), cpuNum -1 for all CPUs. */
PROC_DECL(proc_node_cpu_stats)
{
	static const char *const names[] = { "kernel", "user", "idle",
					     "iowait" };
	int32_t cpu = xdr_get_i32(c->args), nparams = xdr_get_i32(c->args);
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct stats_cpu s;
	uint64_t vals[4];
	uint32_t flags = xdr_get_u32(c->args);
	int rc;

	if (proc_args_done(c) || nparams < 0 || nparams > NODE_STATS_MAX)
		return PROC_DROP;
	if (flags)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x)", flags);
	if (cpu < -1 || cpu >= ncpu)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"cpu %d out of range (0-%ld, or -1 for all)",
				cpu, ncpu - 1);
	rc = stats_host_cpu(cpu, &s);
	if (rc == -ENOENT)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"cpu %d is not online", cpu);
	if (rc)
		return verr_fail(&c->err, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot read /proc/stat: %s",
				 strerror(-rc));
	vals[0] = s.kernel;
	vals[1] = s.user;
	vals[2] = s.idle;
	vals[3] = s.iowait;
	proc_node_params(c, nparams, names, vals, 4);
	return 0;
}

/* NODE_GET_MEMORY_STATS {int nparams; int cellNum; u32 flags}: total,
 * free, buffers, cached in KiB (VIR_NODE_MEMORY_STATS_*); one cell, so
 * cell 0 and all cells (-1) are the same. */
PROC_DECL(proc_node_memory_stats)
{
	static const char *const names[] = { "total", "free", "buffers",
					     "cached" };
	int32_t nparams = xdr_get_i32(c->args), cell = xdr_get_i32(c->args);
	uint32_t flags = xdr_get_u32(c->args);
	struct stats_mem m;
	uint64_t vals[4];
	int rc;

	if (proc_args_done(c) || nparams < 0 || nparams > NODE_STATS_MAX)
		return PROC_DROP;
	if (flags)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x)", flags);
	if (cell != -1 && cell != 0)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"cell %d out of range (0-0, or -1 for all)",
				cell);
	rc = proc_host_mem(c, &m);
	if (rc)
		return rc;
	vals[0] = m.total;
	vals[1] = m.free;
	vals[2] = m.buffers;
	vals[3] = m.cached;
	proc_node_params(c, nparams, names, vals, 4);
	return 0;
}

static bool proc_flag_group(uint32_t flags, uint32_t group, uint32_t have)
{
	return !(flags & group) || (flags & have);
}

/* The listing filters of getAllDomainStats (as CONNECT_LIST_ALL_DOMAINS'). */
static bool proc_stats_match(const struct dom *d, uint32_t flags)
{
	uint32_t st = d->state == DS_RUNNING ? GF_RUNNING :
		      d->state == DS_PAUSED ? GF_PAUSED :
		      d->state == DS_SHUTOFF ? GF_SHUTOFF : GF_OTHER;

	return proc_flag_group(flags, GF_ACTIVE | GF_INACTIVE,
			       dom_active(d) ? GF_ACTIVE : GF_INACTIVE) &&
	       proc_flag_group(flags, GF_PERSISTENT | GF_TRANSIENT,
			       d->persistent ? GF_PERSISTENT : GF_TRANSIENT) &&
	       proc_flag_group(flags, GF_RUNNING | GF_PAUSED | GF_SHUTOFF |
			       GF_OTHER, st);
}

static void proc_stats_vcpu(struct tp_list *l, const struct dom *d)
{
	pid_t tids[DOM_MAX_VCPUS];
	int n = 0, i, cpu;
	uint64_t ns;

	tp_uint(l, d->cfg.vcpus, "vcpu.current");
	tp_uint(l, d->cfg.vcpus_max, "vcpu.maximum");
	if (proc_running(d))
		n = dom_vcpu_threads(d, tids, DOM_MAX_VCPUS);
	for (i = 0; i < n; i++) {
		if (sched_thread_stat(d->pid, tids[i], &ns, &cpu))
			continue;
		tp_int(l, 1, "vcpu.%d.state", i);	/* VIR_VCPU_RUNNING */
		tp_ullong(l, ns, "vcpu.%d.time", i);
	}
}

/*
 * getAllDomainStats waits for hv's and vswitchd's counters on the loop
 * (issue 12): the calls go out at once (the hv ones GS_BLK_BUSY at a
 * time), each within its own limit (HV_CALL_MS per hv, VIF_CALL_MS per
 * batch of VNICs); the reply is made
 * when the last one ended, from the domains as they are then. The VNICs'
 * vnic.list requests share connections, GS_NET_BATCH to one (vswitchd
 * answers them in order): a host with hundreds of VNICs neither
 * overflows vswitchd's listen backlog (64) nor takes two of xvmd's fds
 * per VNIC. A domain whose hv does not answer gets its disks' names and
 * paths only, a VNIC vswitchd does not answer for its name only
 * (libvirt leaves out what it cannot read).
 */
#define GS_NET_BATCH	256
/* The domains' blkstats go to each one's own hv, GS_BLK_BUSY at a time
 * (a socket and a timer each): hundreds of running domains do not take
 * hundreds of xvmd's fds at once; one hv that does not answer holds one
 * of them for its 2 s. */
#define GS_BLK_BUSY	8
struct gs_req;

struct gs_blk {			/* one running domain's disk counters */
	struct gs_req *r;
	char name[DOM_NAME_MAX + 1];
	pid_t pid;
	int n;			/* how many; < 0: none */
	struct dom_disk_stats ds[DOM_MAX_DISKS];
};

struct gs_net {			/* one VNIC's counters */
	struct gs_req *r;
	char vnic[sizeof(((struct dom_live *)0)->vnics[0])];
	bool ok;
	struct stats_vnic s;
};

struct gs_req {
	struct remote_defer *rd;	/* NULL while the handler runs */
	uint32_t stats, flags, ndoms;
	uint8_t (*uuids)[16];		/* the domains asked for; NULL:
					 * every one the flags keep */
	unsigned int pending, nblk, nnet;
	unsigned int blk_next, blk_busy;	/* blkstats started, out */
	struct gs_blk *blk;
	struct gs_net *net;
};

static const struct gs_blk *gs_blk_of(const struct gs_req *r,
				      const struct dom *d)
{
	unsigned int i;

	for (i = 0; i < r->nblk; i++)
		if (r->blk[i].n >= 0 && r->blk[i].pid == d->pid &&
		    !strcmp(r->blk[i].name, d->cfg.name))
			return &r->blk[i];
	return NULL;
}

static const struct stats_vnic *gs_net_of(const struct gs_req *r,
					  const char *vnic)
{
	unsigned int i;

	for (i = 0; i < r->nnet; i++)
		if (r->net[i].ok && !strcmp(r->net[i].vnic, vnic))
			return &r->net[i].s;
	return NULL;
}

/* net.*: the VNICs' counters vswitchd gave. */
static void proc_stats_net(struct tp_list *l, const struct dom *d,
			   const struct gs_req *r)
{
	const struct stats_vnic *s;
	unsigned int i;

	tp_uint(l, d->cfg.nnics, "net.count");
	for (i = 0; i < d->cfg.nnics; i++) {
		tp_string(l, d->live.vnics[i], "net.%u.name", i);
		if (!d->live.vnics[i][0] ||
		    !(s = gs_net_of(r, d->live.vnics[i])))
			continue;
		tp_ullong(l, s->rx_bytes, "net.%u.rx.bytes", i);
		tp_ullong(l, s->rx_packets, "net.%u.rx.pkts", i);
		tp_ullong(l, s->rx_errs, "net.%u.rx.errs", i);
		tp_ullong(l, s->rx_drop, "net.%u.rx.drop", i);
		tp_ullong(l, s->tx_bytes, "net.%u.tx.bytes", i);
		tp_ullong(l, s->tx_packets, "net.%u.tx.pkts", i);
		tp_ullong(l, s->tx_errs, "net.%u.tx.errs", i);
		tp_ullong(l, s->tx_drop, "net.%u.tx.drop", i);
	}
}

/* One remote_domain_stats_record. Inactive domains get their state and
 * definition's sizes only (as libvirt's drivers give). */
static void proc_stats_record(struct remote_call *c, const struct dom *d,
			      const struct gs_req *r)
{
	uint32_t groups = r->stats;
	bool run = proc_running(d);
	struct tp_list l;
	uint64_t rss;
	unsigned int i;

	proc_put_dom(c, d);
	tp_begin(&l, c->ret);
	if (groups & GS_STATE) {
		tp_int(&l, d->state, "state.state");
		tp_int(&l, d->reason, "state.reason");
	}
	if ((groups & GS_CPU) && run)
		tp_ullong(&l, proc_dom_cputime(d), "cpu.time");
	if (groups & GS_BALLOON) {
		tp_ullong(&l, d->cfg.cur_kib, "balloon.current");
		tp_ullong(&l, d->cfg.max_kib, "balloon.maximum");
		if (run && stats_proc_rss(d->pid, &rss) == 0)
			tp_ullong(&l, rss, "balloon.rss");
	}
	if ((groups & GS_VCPU) && !d->dom0)
		proc_stats_vcpu(&l, d);
	if ((groups & GS_NET) && run)
		proc_stats_net(&l, d, r);
	if ((groups & GS_BLOCK) && !d->dom0) {
		/* counters of a running domain's disks from its hv */
		const struct gs_blk *b = run ? gs_blk_of(r, d) : NULL;
		const struct dom_disk_stats *ds = b ? b->ds : NULL;
		int n = b ? b->n : 0;

		tp_uint(&l, d->cfg.ndisks, "block.count");
		for (i = 0; i < d->cfg.ndisks; i++) {
			tp_string(&l, d->cfg.disks[i].target, "block.%u.name", i);
			tp_string(&l, d->cfg.disks[i].path, "block.%u.path", i);
			/* none for a disk qemu-storage-daemon serves */
			if ((int)i >= n || !ds[i].avail)
				continue;
			tp_ullong(&l, ds[i].rd_req, "block.%u.rd.reqs", i);
			tp_ullong(&l, ds[i].rd_bytes, "block.%u.rd.bytes", i);
			tp_ullong(&l, ds[i].rd_ns, "block.%u.rd.times", i);
			tp_ullong(&l, ds[i].wr_req, "block.%u.wr.reqs", i);
			tp_ullong(&l, ds[i].wr_bytes, "block.%u.wr.bytes", i);
			tp_ullong(&l, ds[i].wr_ns, "block.%u.wr.times", i);
			tp_ullong(&l, ds[i].fl_req, "block.%u.fl.reqs", i);
			tp_ullong(&l, ds[i].fl_ns, "block.%u.fl.times", i);
			tp_ullong(&l, ds[i].errors, "block.%u.errors", i);
		}
	}
	tp_end(&l);
}

/* The records, from the domains as they are now: 0, or -ENOENT with
 * c->err when a domain asked for is gone meanwhile. */
static int gs_records(struct remote_call *c, const struct gs_req *r)
{
	struct dom *d;
	uint32_t i, n = 0;
	char u[37];

	if (r->uuids) {
		for (i = 0; i < r->ndoms; i++)
			if (!dom_by_uuid(r->uuids[i])) {
				domxml_uuid_format(r->uuids[i], u);
				return verr_set(&c->err, VERR_NO_DOMAIN,
						"Domain not found: no domain "
						"with matching uuid '%s'", u);
			}
		xdr_put_u32(c->ret, r->ndoms);
		for (i = 0; i < r->ndoms; i++)
			proc_stats_record(c, dom_by_uuid(r->uuids[i]), r);
		return 0;
	}
	for (d = dom_first(); d; d = d->next)
		n += proc_stats_match(d, r->flags);
	xdr_put_u32(c->ret, n);
	for (d = dom_first(); d; d = d->next)
		if (proc_stats_match(d, r->flags))
			proc_stats_record(c, d, r);
	return 0;
}

static void gs_free(struct gs_req *r)
{
	free(r->uuids);
	free(r->blk);
	free(r->net);
	free(r);
}

/* One call ended: the last one makes the reply. */
static void gs_call_done(struct gs_req *r)
{
	struct remote_call c = { 0 };
	struct xdr_out ret;
	int rc;

	if (--r->pending)
		return;
	if (!r->rd) {		/* the handler answered already */
		gs_free(r);
		return;
	}
	xdr_out_init(&ret);
	c.ret = &ret;
	rc = gs_records(&c, r);
	remote_defer_reply(r->rd, rc, rc < 0 ? &c.err : NULL, &ret);
	xdr_out_free(&ret);
	gs_free(r);
}

static void gs_blk_done(void *opaque, struct dom *d, int n,
			const struct dom_disk_stats *out,
			const struct verr *e);

/* Start the queued blkstats calls, GS_BLK_BUSY at a time (each is a
 * socket and a timer of xvmd's); one that cannot start (its domain
 * stopped meanwhile, hv unreachable) ends here. r->pending counts every
 * queued one, and the caller holds one more: it never reaches 0 here. */
static void gs_blk_pump(struct gs_req *r)
{
	while (r->blk_busy < GS_BLK_BUSY && r->blk_next < r->nblk) {
		struct gs_blk *b = &r->blk[r->blk_next++];
		struct dom *d = dom_by_name(b->name);
		struct verr e;

		if (d && proc_running(d) && d->pid == b->pid &&
		    dom_disk_stats_async(d, gs_blk_done, b, &e) == 0)
			r->blk_busy++;
		else
			r->pending--;
	}
}

static void gs_blk_done(void *opaque, struct dom *d, int n,
			const struct dom_disk_stats *out, const struct verr *e)
{
	struct gs_blk *b = opaque;

	(void)d;
	(void)e;
	b->n = n < 0 || !out ? -1 : MIN(n, DOM_MAX_DISKS);
	if (b->n > 0)
		memcpy(b->ds, out, (size_t)b->n * sizeof(*out));
	b->r->blk_busy--;
	gs_blk_pump(b->r);
	gs_call_done(b->r);
}

static void gs_net_done(void *opaque, int rc, const json_t *result,
			const char *msg)
{
	struct gs_net *v = opaque;

	(void)msg;
	v->ok = rc == 0 && stats_vnic_rows(v->vnic,
					   json_object_get(result, "vnics"),
					   &v->s, NULL) == 0;
	gs_call_done(v->r);
}

/* The calls for d (running): its hv's blkstats, its VNICs' counters,
 * queued (gs_blk_pump, gs_net_send start them). count: only count
 * them. */
static void gs_ask(struct gs_req *r, struct dom *d, bool count)
{
	unsigned int i;

	if ((r->stats & GS_BLOCK) && d->cfg.ndisks) {
		if (count) {
			r->nblk++;
		} else {
			struct gs_blk *b = &r->blk[r->nblk++];

			b->r = r;
			b->n = -1;
			snprintf(b->name, sizeof(b->name), "%s", d->cfg.name);
			b->pid = d->pid;
		}
	}
	if (!(r->stats & GS_NET))
		return;
	for (i = 0; i < d->cfg.nnics; i++) {
		struct gs_net *v;

		if (!d->live.vnics[i][0])
			continue;
		if (count) {
			r->nnet++;
			continue;
		}
		v = &r->net[r->nnet++];
		v->r = r;
		snprintf(v->vnic, sizeof(v->vnic), "%s", d->live.vnics[i]);
	}
}

/* The VNICs' vnic.list requests, GS_NET_BATCH to a connection. A batch
 * that cannot be sent leaves its VNICs without counters. */
static void gs_net_send(struct gs_req *r)
{
	struct hvcall_req reqs[GS_NET_BATCH];
	unsigned int i, k, n;
	char sock[300];

	vswctl_sock_path(dom_env.rundir, sock, sizeof(sock));
	for (i = 0; i < r->nnet; i += n) {
		n = MIN(r->nnet - i, GS_NET_BATCH);
		for (k = 0; k < n; k++)
			reqs[k] = (struct hvcall_req){
				"vnic.list",
				json_pack("{s:s,s:b}", "name",
					  r->net[i + k].vnic, "stats", 1),
				gs_net_done, &r->net[i + k],
			};
		/* a request without params would list every VNIC */
		for (k = 0; k < n && reqs[k].params; k++)
			;
		if (k < n) {
			for (k = 0; k < n; k++)
				json_decref(reqs[k].params);
			continue;
		}
		if (hvcall_start_batch(sock, reqs, n, VIF_CALL_MS) == 0)
			r->pending += n;
	}
}

/* Every call for the domains the request reports: 0 or -ENOMEM. */
static int gs_ask_all(struct gs_req *r)
{
	struct dom *d;
	uint32_t i;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		bool count = pass == 0;

		if (!count) {
			r->blk = calloc(r->nblk + 1, sizeof(*r->blk));
			r->net = calloc(r->nnet + 1, sizeof(*r->net));
			if (!r->blk || !r->net)
				return -ENOMEM;
			r->nblk = r->nnet = 0;
		}
		if (r->uuids) {
			for (i = 0; i < r->ndoms; i++) {
				d = dom_by_uuid(r->uuids[i]);
				if (d && proc_running(d))
					gs_ask(r, d, count);
			}
		} else {
			for (d = dom_first(); d; d = d->next)
				if (proc_stats_match(d, r->flags) &&
				    proc_running(d))
					gs_ask(r, d, count);
		}
	}
	r->pending += r->nblk;
	gs_blk_pump(r);
	gs_net_send(r);
	return 0;
}

/* CONNECT_GET_ALL_DOMAIN_STATS {nonnull_domain doms<>; u32 stats;
 * u32 flags} -> {domain_stats_record retStats<>}: the given domains
 * (virDomainListGetStats) or every domain the flags' filters keep,
 * answered once hv and vswitchd answered (see above). */
PROC_DECL(proc_get_all_domain_stats)
{
	uint32_t ndoms = xdr_get_u32(c->args), i, stats, flags;
	struct gs_req *r = NULL;
	struct dom *d;
	int rc = 0;

	if (c->args->err || ndoms > DOMLIST_MAX)
		return PROC_DROP;
	r = calloc(1, sizeof(*r));
	if (!r || (ndoms && !(r->uuids = calloc(ndoms, sizeof(*r->uuids))))) {
		free(r);
		return verr_nomem(&c->err);
	}
	for (i = 0; i < ndoms && !c->args->err; i++) {
		d = proc_get_dom(c);
		if (!d && !rc && !c->args->err)
			rc = -ENOENT;	/* c->err: NO_DOMAIN */
		if (d)
			memcpy(r->uuids[i], d->cfg.uuid, 16);
	}
	stats = xdr_get_u32(c->args);
	flags = xdr_get_u32(c->args);
	if (proc_args_done(c)) {
		gs_free(r);
		return PROC_DROP;
	}
	if (rc)
		goto out;
	if (flags & ~GF_KNOWN) {
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "unsupported flags (0x%x)", flags & ~GF_KNOWN);
		goto out;
	}
	if ((flags & GF_ENFORCE) && (stats & ~GS_SERVED)) {
		rc = verr_set(&c->err, VERR_NO_SUPPORT, "this function is not "
			      "supported by the connection driver: Stats types "
			      "bits 0x%x are not supported by this daemon",
			      stats & ~GS_SERVED);
		goto out;
	}
	if (!stats)
		stats = GS_SERVED;
	r->stats = stats & GS_SERVED;
	r->flags = flags;
	r->ndoms = ndoms;
	/* pending stays above 0 until every call went out: none of them
	 * can reply before the handler decided how to answer */
	r->pending = 1;
	if (gs_ask_all(r) < 0) {
		rc = verr_nomem(&c->err);
		goto wait;
	}
	if (r->pending > 1) {
		r->rd = remote_call_defer(c);
		if (r->rd) {
			gs_call_done(r);	/* the handler's own count */
			return PROC_LATER;
		}
		rc = verr_nomem(&c->err);
		goto wait;
	}
	rc = gs_records(c, r);
out:
	gs_free(r);
	return rc;
wait:
	/* calls out and no reply to make: they end on their own, the last
	 * one frees r (rd NULL: no reply) */
	if (--r->pending == 0)
		gs_free(r);
	return rc;
}

#define CPUSTATS_NCPUS_MAX	128	/* REMOTE_DOMAIN_GET_CPU_STATS_NCPUS_MAX */
#define CPUSTATS_TOTAL		3	/* cpu_time, user_time, system_time */

/* DOMAIN_GET_CPU_STATS {dom; u32 nparams; int start_cpu; u32 ncpus;
 * u32 flags} -> {typed_param params<>; int nparams}.
 * start_cpu -1 (ncpus 1): the domain's totals, cpu_time, user_time and
 * system_time, from its cgroup as dominfo's CPU time, or where there is
 * none from hv's /proc/PID/stat; nparams 0 asks how many.
 * Per host CPU: nparams 0 and ncpus 0 asks how many host CPUs there are,
 * nparams 0 alone how many parameters each has: cpu_time (the cgroup's
 * cpuacct.usage_percpu) on cgroup v1, none on v2, which keeps no per-CPU
 * account (virsh cpu-stats then says so and shows the totals). */
PROC_DECL(proc_get_cpu_stats)
{
	struct dom *d = proc_get_dom(c);
	uint32_t nparams = xdr_get_u32(c->args);
	int32_t start = xdr_get_i32(c->args);
	uint32_t ncpus = xdr_get_u32(c->args);
	uint32_t flags = xdr_get_u32(c->args);
	long host = sysconf(_SC_NPROCESSORS_CONF);
	uint64_t user = 0, sys = 0, per[CPUSTATS_NCPUS_MAX];
	struct tp_list l;
	uint32_t k;
	int rc, n;

	rc = proc_dom_ready(c, d, true);
	if (rc)
		return rc;
	/* VIR_TYPED_PARAM_STRING_OKAY (1 << 2) is the only flag */
	if (flags & ~(1u << 2))
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x)", flags);
	if (nparams > NODE_STATS_MAX || ncpus > CPUSTATS_NCPUS_MAX ||
	    start < -1 || (start == -1 && ncpus != 1))
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"nparams %u, start_cpu %d, ncpus %u", nparams,
				start, ncpus);
	if (!proc_running(d))
		return proc_not_running(c);
	if (start >= 0) {
		if (!nparams && !ncpus) {
			tp_begin(&l, c->ret);
			tp_end(&l);
			xdr_put_i32(c->ret, (int32_t)host);
			return 0;
		}
		if (start >= host)
			return verr_set(&c->err, VERR_INVALID_ARG, "invalid "
					"argument: start_cpu %d larger than "
					"maximum of %ld", start, host - 1);
		n = d->sd ? sched_dom_percpu(d->sd, per, CPUSTATS_NCPUS_MAX) :
			    -ENOTSUP;
		tp_begin(&l, c->ret);
		if (n > 0 && nparams) {
			/* one cpu_time per CPU asked for that exists */
			for (uint32_t i = 0; i < ncpus && start + (long)i < host;
			     i++) {
				uint32_t cpu = (uint32_t)start + i;

				tp_ullong(&l, (int)cpu < n ? per[cpu] : 0,
					  "cpu_time");
			}
		}
		tp_end(&l);
		xdr_put_i32(c->ret, n > 0 ? 1 : 0);
		return 0;
	}
	tp_begin(&l, c->ret);
	k = nparams < CPUSTATS_TOTAL ? nparams : CPUSTATS_TOTAL;
	if (k) {
		uint64_t v[CPUSTATS_TOTAL] = { dom_cputime_ns(d) };
		static const char *const names[CPUSTATS_TOTAL] = {
			"cpu_time", "user_time", "system_time"
		};

		if (!v[0] || !d->sd ||
		    sched_dom_cputimes(d->sd, &user, &sys) < 0) {
			/* no cgroup: all three from hv's process */
			if (stats_proc_times(d->pid, &user, &sys) < 0)
				user = sys = 0;
			v[0] = user + sys;
		}
		v[1] = user;
		v[2] = sys;
		for (uint32_t i = 0; i < k; i++)
			tp_ullong(&l, v[i], "%s", names[i]);
	}
	tp_end(&l);
	xdr_put_i32(c->ret, nparams ? (int32_t)k : CPUSTATS_TOTAL);
	return 0;
}

static const struct proc proc_stats_procs[] = {
	{ 65, "DOMAIN_INTERFACE_STATS", proc_interface_stats, 0 },
	{ 101, "NODE_GET_CELLS_FREE_MEMORY", proc_node_cells_free_memory, 0 },
	{ 102, "NODE_GET_FREE_MEMORY", proc_node_free_memory, 0 },
	{ 159, "DOMAIN_MEMORY_STATS", proc_memory_stats, 0 },
	{ 227, "NODE_GET_CPU_STATS", proc_node_cpu_stats, 0 },
	{ 228, "NODE_GET_MEMORY_STATS", proc_node_memory_stats, 0 },
	{ 262, "DOMAIN_GET_CPU_STATS", proc_get_cpu_stats, 0 },
	{ 344, "CONNECT_GET_ALL_DOMAIN_STATS", proc_get_all_domain_stats, 0 },
};

const struct proc_group proc_stats_group = {
	"stats", proc_stats_procs, ARRAY_SIZE(proc_stats_procs)
};
