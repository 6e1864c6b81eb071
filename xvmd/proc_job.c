/*
 * A domain's job as libvirt's clients see it (virsh domjobinfo,
 * domjobabort, migrate-setmaxdowntime, migrate-getmaxdowntime,
 * migrate-setspeed, migrate-getspeed). The jobs xvmd runs are a save
 * (dom_save.c) and an outgoing live migration (dom_migrate.c); during a
 * migration the figures are hv's migrate.info (polled every half second
 * on the migration's own connection), and the controls go to hv on that
 * connection, answered when hv answers (remote_call_defer()), so the
 * loop never waits for hv. The downtime target and speed are kept for
 * the domain (libvirt's semantics: set before a migration, they apply to
 * it; in xvmd's memory only).
 * remote_protocol.x:
 *   GET_JOB_INFO 163 {dom} -> {int type; uhyper timeElapsed,
 *     timeRemaining, dataTotal, dataProcessed, dataRemaining, memTotal,
 *     memProcessed, memRemaining, fileTotal, fileProcessed, fileRemaining}
 *   ABORT_JOB 164 {dom}
 *   MIGRATE_SET_MAX_DOWNTIME 166 {dom; uhyper downtime; u32 flags}
 *   MIGRATE_SET_MAX_SPEED 207 {dom; uhyper bandwidth; u32 flags}
 *   MIGRATE_GET_MAX_SPEED 242 {dom; u32 flags} -> {uhyper bandwidth}
 *   GET_JOB_STATS 298 {dom; u32 flags} -> {int type; remote_typed_param
 *     params<>}
 *   MIGRATE_GET_MAX_DOWNTIME 387 {dom; u32 flags} -> {uhyper downtime}
 */
#include <stdlib.h>
#include "dom.h"
#include "dom_migrate.h"
#include "dom_run.h"
#include "proc.h"
#include "stats.h"

/* virDomainJobType, virDomainJobOperation */
enum { JOB_NONE = 0, JOB_UNBOUNDED = 2 };
enum { JOB_OP_SAVE = 2, JOB_OP_MIGRATION_IN = 4, JOB_OP_MIGRATION_OUT = 5 };
#define JOB_STATS_COMPLETED	1	/* VIR_DOMAIN_JOB_STATS_COMPLETED */
#define JOB_STATS_KEEP		2	/* VIR_DOMAIN_JOB_STATS_KEEP_COMPLETED */

static uint64_t info_u64(const json_t *info, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(info, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* GET_JOB_INFO: a save is an unbounded job without figures (hv does
 * not report its progress); a migration gives hv's; otherwise none
 * (also for a domain not running: virsh polls this while its save
 * ends). */
PROC_DECL(proc_get_job_info)
{
	struct dom *d = proc_get_dom(c);
	int rc = proc_dom_ready(c, d, false);
	const json_t *info;
	int64_t ms;

	if (rc)
		return rc;
	uint64_t in_bytes = 0;
	bool in = false;

	ms = dom_save_elapsed_ms(d);
	if (ms < 0)
		ms = dom_mig_elapsed_ms(d);
	if (ms < 0) {
		ms = dom_mig_in_elapsed_ms(d, &in_bytes);
		in = ms >= 0;
	}
	info = dom_mig_info(d);
	xdr_put_i32(c->ret, ms >= 0 ? JOB_UNBOUNDED : JOB_NONE);
	xdr_put_u64(c->ret, ms >= 0 ? (uint64_t)ms : 0);
	xdr_put_u64(c->ret, 0);				/* timeRemaining */
	for (int i = 0; i < 2; i++) {			/* data, then mem */
		xdr_put_u64(c->ret, in ? d->cfg.max_kib << 10 :
			    info_u64(info, "total"));
		xdr_put_u64(c->ret, in ? in_bytes :
			    info_u64(info, "processed"));
		xdr_put_u64(c->ret, info_u64(info, "remaining"));
	}
	for (int i = 0; i < 3; i++)			/* file */
		xdr_put_u64(c->ret, 0);
	return 0;
}

/* GET_JOB_STATS with VIR_DOMAIN_JOB_STATS_COMPLETED: the last finished
 * outgoing migration's figures (type completed, failed or cancelled,
 * with its error), forgotten once read unless KEEP_COMPLETED, as in
 * libvirt; type none if there are none. */
static int proc_job_completed(struct remote_call *c, struct dom *d,
			      uint32_t flags)
{
	struct dom_job_done *r = d->job_done;
	struct tp_list l;

	xdr_put_i32(c->ret, r ? r->type : JOB_NONE);
	tp_begin(&l, c->ret);
	if (r) {
		tp_int(&l, JOB_OP_MIGRATION_OUT, "operation");
		tp_ullong(&l, (uint64_t)r->elapsed_ms, "time_elapsed");
		if (r->downtime_ms >= 0)
			tp_ullong(&l, (uint64_t)r->downtime_ms, "downtime");
		tp_ullong(&l, r->total, "data_total");
		tp_ullong(&l, r->processed, "data_processed");
		tp_ullong(&l, r->remaining, "data_remaining");
		tp_ullong(&l, r->total, "memory_total");
		tp_ullong(&l, r->processed, "memory_processed");
		tp_ullong(&l, r->remaining, "memory_remaining");
		tp_ullong(&l, r->zero_pages, "memory_constant");
		tp_ullong(&l, r->pages > r->zero_pages ?
			  r->pages - r->zero_pages : 0, "memory_normal");
		tp_ullong(&l, r->bandwidth, "memory_bps");
		tp_ullong(&l, r->dirty_rate, "memory_dirty_rate");
		tp_ullong(&l, 4096, "memory_page_size");
		tp_ullong(&l, r->rounds, "memory_iteration");
		if (r->errmsg[0])
			tp_string(&l, r->errmsg, "errmsg");
	}
	tp_end(&l);
	if (r && !(flags & JOB_STATS_KEEP)) {
		free(r);
		d->job_done = NULL;
	}
	return 0;
}

/* GET_JOB_STATS: the same as typed parameters, with the rate, dirty
 * rate, rounds and pages of a migration; or the completed job's. */
PROC_DECL(proc_get_job_stats)
{
	struct dom *d = proc_get_dom(c);
	uint32_t flags = xdr_get_u32(c->args);
	int rc = proc_dom_ready(c, d, false);
	const json_t *info;
	struct tp_list l;
	int64_t ms;

	if (rc)
		return rc;
	if (flags & ~(uint32_t)(JOB_STATS_COMPLETED | JOB_STATS_KEEP))
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x) in function "
				"virDomainGetJobStats", flags &
				~(uint32_t)(JOB_STATS_COMPLETED |
					    JOB_STATS_KEEP));
	if (flags & JOB_STATS_COMPLETED)
		return proc_job_completed(c, d, flags);
	ms = dom_save_elapsed_ms(d);
	info = NULL;
	if (ms < 0) {
		ms = dom_mig_elapsed_ms(d);
		info = dom_mig_info(d);
	}
	if (ms < 0) {	/* incoming: what came so far, of the guest's RAM */
		uint64_t bytes = 0;

		ms = dom_mig_in_elapsed_ms(d, &bytes);
		if (ms >= 0) {
			xdr_put_i32(c->ret, JOB_UNBOUNDED);
			tp_begin(&l, c->ret);
			tp_int(&l, JOB_OP_MIGRATION_IN, "operation");
			tp_ullong(&l, (uint64_t)ms, "time_elapsed");
			tp_ullong(&l, bytes, "data_processed");
			tp_ullong(&l, d->cfg.max_kib << 10, "memory_total");
			tp_ullong(&l, bytes, "memory_processed");
			tp_end(&l);
			return 0;
		}
	}
	xdr_put_i32(c->ret, ms >= 0 ? JOB_UNBOUNDED : JOB_NONE);
	tp_begin(&l, c->ret);
	if (ms >= 0) {
		tp_int(&l, info || d->mig_job ? JOB_OP_MIGRATION_OUT :
		       JOB_OP_SAVE, "operation");
		tp_ullong(&l, (uint64_t)ms, "time_elapsed");
	}
	if (info) {
		uint64_t pages = info_u64(info, "pages"),
			 zero = info_u64(info, "zero_pages");

		tp_ullong(&l, info_u64(info, "total"), "data_total");
		tp_ullong(&l, info_u64(info, "processed"), "data_processed");
		tp_ullong(&l, info_u64(info, "remaining"), "data_remaining");
		tp_ullong(&l, info_u64(info, "total"), "memory_total");
		tp_ullong(&l, info_u64(info, "processed"), "memory_processed");
		tp_ullong(&l, info_u64(info, "remaining"), "memory_remaining");
		tp_ullong(&l, zero, "memory_constant");
		tp_ullong(&l, pages > zero ? pages - zero : 0, "memory_normal");
		tp_ullong(&l, (pages > zero ? pages - zero : 0) * 4096,
			  "memory_normal_bytes");
		tp_ullong(&l, info_u64(info, "bandwidth"), "memory_bps");
		tp_ullong(&l, info_u64(info, "dirty_rate"),
			  "memory_dirty_rate");
		tp_ullong(&l, 4096, "memory_page_size");
		tp_ullong(&l, info_u64(info, "rounds"), "memory_iteration");
	}
	tp_end(&l);
	return 0;
}

/* hv answered a control call that a client waits on. */
static void proc_job_ctl_done(void *opaque, int rc, const json_t *result,
			      const char *msg)
{
	struct verr e;

	(void)result;
	if (rc < 0)
		verr_set(&e, VERR_OPERATION_FAILED, "operation failed: hv: %s",
			 msg);
	remote_defer_reply(opaque, rc, rc < 0 ? &e : NULL, NULL);
}

/* Send method {key: v} to hv during d's migration, the reply deferred
 * until hv answers. */
static int proc_job_forward(struct remote_call *c, struct dom *d,
			    const char *method, const char *key, uint64_t v)
{
	struct remote_defer *rd = remote_call_defer(c);
	json_t *params = key ? json_pack("{s:I}", key, (json_int_t)v) : NULL;
	int rc;

	if (!rd || (key && !params)) {
		json_decref(params);
		if (rd)
			remote_defer_cancel(rd);
		return verr_nomem(&c->err);
	}
	rc = dom_mig_control(d, method, params, proc_job_ctl_done, rd,
			     &c->err);
	if (rc < 0) {
		remote_defer_cancel(rd);
		return rc;
	}
	return PROC_LATER;
}

/* ABORT_JOB: an outgoing migration is cancelled (the guest runs on
 * here, virsh migrate fails "operation aborted"); a save cannot be:
 * hv writes the image in one pass with the guest paused. */
PROC_DECL(proc_abort_job)
{
	struct dom *d = proc_get_dom(c);
	int rc = proc_dom_ready(c, d, false);

	if (rc)
		return rc;
	if (d->mig_job)
		return proc_job_forward(c, d, "migrate.cancel", NULL, 0);
	if (dom_save_elapsed_ms(d) >= 0)
		return verr_fail(&c->err, -EBUSY, VERR_OPERATION_INVALID,
				 "Requested operation is not valid: a save "
				 "cannot be aborted (hv writes the image in "
				 "one pass with the guest paused; it ends by "
				 "itself)");
	return verr_fail(&c->err, -ESRCH, VERR_OPERATION_INVALID, "Requested "
			 "operation is not valid: no job is active on the "
			 "domain");
}

static int proc_job_flags(struct remote_call *c, uint32_t flags,
			  uint32_t allowed, const char *api)
{
	if (flags & ~allowed)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x) in function %s",
				flags & ~allowed, api);
	return 0;
}

PROC_DECL(proc_migrate_set_max_downtime)
{
	struct dom *d = proc_get_dom(c);
	uint64_t ms = xdr_get_u64(c->args);
	uint32_t flags = xdr_get_u32(c->args);
	int rc = proc_dom_ready(c, d, true);

	if (rc == 0)
		rc = proc_job_flags(c, flags, 0,
				    "virDomainMigrateSetMaxDowntime");
	if (rc == 0 && (ms < 1 || ms > DOM_MIG_DOWNTIME_MAX))
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "downtime must be from 1 to %d ms",
			      DOM_MIG_DOWNTIME_MAX);
	if (rc)
		return rc;
	d->mig_downtime = (uint32_t)ms;
	if (dom_active(d))	/* a restarted xvmd keeps it */
		dom_run_state_store(d);
	if (d->mig_job)		/* the running one honours it too */
		return proc_job_forward(c, d, "migrate.set", "downtime_ms",
					ms);
	return 0;
}

PROC_DECL(proc_migrate_get_max_downtime)
{
	struct dom *d = proc_get_dom(c);
	uint32_t flags = xdr_get_u32(c->args);
	int rc = proc_dom_ready(c, d, true);

	if (rc == 0)
		rc = proc_job_flags(c, flags, 0,
				    "virDomainMigrateGetMaxDowntime");
	if (rc)
		return rc;
	xdr_put_u64(c->ret, d->mig_downtime ? d->mig_downtime :
		    DOM_MIG_DOWNTIME_DEFAULT);
	return 0;
}

/* 0 and libvirt's maximum both mean no limit. */
PROC_DECL(proc_migrate_set_max_speed)
{
	struct dom *d = proc_get_dom(c);
	uint64_t mib = xdr_get_u64(c->args);
	uint32_t flags = xdr_get_u32(c->args);
	int rc = proc_dom_ready(c, d, true);

	if (rc == 0 && (flags & 1))
		rc = verr_set(&c->err, VERR_ARGUMENT_UNSUPPORTED, "argument "
			      "unsupported: post-copy is not supported "
			      "(--postcopy)");
	if (rc == 0)
		rc = proc_job_flags(c, flags, 0, "virDomainMigrateSetMaxSpeed");
	if (rc == 0 && mib > DOM_MIG_SPEED_MAX &&
	    mib != (uint64_t)DOM_MIG_SPEED_UNLIMITED)
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "bandwidth must be at most %d MiB/s (or %lld: "
			      "unlimited)", DOM_MIG_SPEED_MAX,
			      (long long)DOM_MIG_SPEED_UNLIMITED);
	if (rc)
		return rc;
	d->mig_speed = mib == (uint64_t)DOM_MIG_SPEED_UNLIMITED ? 0 : mib;
	if (dom_active(d))
		dom_run_state_store(d);
	if (d->mig_job)
		return proc_job_forward(c, d, "migrate.set", "bandwidth_mib",
					d->mig_speed);
	return 0;
}

PROC_DECL(proc_migrate_get_max_speed)
{
	struct dom *d = proc_get_dom(c);
	uint32_t flags = xdr_get_u32(c->args);
	int rc = proc_dom_ready(c, d, true);

	if (rc == 0 && (flags & 1))
		rc = verr_set(&c->err, VERR_ARGUMENT_UNSUPPORTED, "argument "
			      "unsupported: post-copy is not supported "
			      "(--postcopy)");
	if (rc == 0)
		rc = proc_job_flags(c, flags, 0, "virDomainMigrateGetMaxSpeed");
	if (rc)
		return rc;
	xdr_put_u64(c->ret, d->mig_speed ? d->mig_speed :
		    (uint64_t)DOM_MIG_SPEED_UNLIMITED);
	return 0;
}

static const struct proc proc_job_procs[] = {
	{ 163, "DOMAIN_GET_JOB_INFO", proc_get_job_info, 0 },
	{ 164, "DOMAIN_ABORT_JOB", proc_abort_job, PROC_WRITE },
	{ 166, "DOMAIN_MIGRATE_SET_MAX_DOWNTIME",
	  proc_migrate_set_max_downtime, PROC_WRITE },
	{ 207, "DOMAIN_MIGRATE_SET_MAX_SPEED", proc_migrate_set_max_speed,
	  PROC_WRITE },
	{ 242, "DOMAIN_MIGRATE_GET_MAX_SPEED", proc_migrate_get_max_speed,
	  0 },
	{ 298, "DOMAIN_GET_JOB_STATS", proc_get_job_stats, 0 },
	{ 387, "DOMAIN_MIGRATE_GET_MAX_DOWNTIME",
	  proc_migrate_get_max_downtime, 0 },
};

const struct proc_group proc_job_group = {
	"job", proc_job_procs, ARRAY_SIZE(proc_job_procs)
};
