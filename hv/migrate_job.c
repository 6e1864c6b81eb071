/*
 * The source's side of a live migration as the control socket sees it
 * (issue 9): `migrate` starts the sender (migrate_live.c) on a thread of
 * its own and answers when it ends (a deferred reply), so the control
 * loop goes on serving: `migrate.set` changes the downtime target and
 * the bandwidth limit while it runs, `migrate.info` says how far it is,
 * `migrate.cancel` stops it (the guest runs on here, the destination is
 * told). The loop thread owns the job; the sender reads params and
 * writes progress under the job's lock, and is told of a cancel through
 * an eventfd it polls while it sends or waits.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "xvm/log.h"
#include "xvm/rpc.h"
#include "core.h"
#include "migrate.h"

struct mig_job {
	struct vm *vm;
	pthread_t thread;
	int done_efd;		/* sender -> loop: it ended */
	int cancel_efd;		/* loop -> sender: stop */
	pthread_mutex_t lock;	/* params, prog, cancelled */
	struct mig_params params;
	struct mig_progress prog;
	bool cancelled;
	bool user_paused;	/* pause came during it: switch over now, and
				 * a failed one leaves the guest paused */
	char uri[256];
	struct rpc_deferred *reply;
	/* the sender's result, read after the join */
	int rc;
	char msg[512];
	struct mig_stats st;
};

void mig_job_get_params(struct mig_job *j, struct mig_params *p)
{
	pthread_mutex_lock(&j->lock);
	*p = j->params;
	pthread_mutex_unlock(&j->lock);
}

void mig_job_put_progress(struct mig_job *j, const struct mig_progress *p)
{
	pthread_mutex_lock(&j->lock);
	j->prog = *p;
	pthread_mutex_unlock(&j->lock);
}

int mig_job_cancel_fd(const struct mig_job *j)
{
	return j->cancel_efd;
}

bool mig_job_cancelled(const struct mig_job *j)
{
	return __atomic_load_n(&j->cancelled, __ATOMIC_ACQUIRE);
}

bool mig_job_running(struct vm *vm)
{
	return core_of(vm)->mig_job != NULL;
}

bool mig_job_user_paused(struct mig_job *j)
{
	bool v;

	pthread_mutex_lock(&j->lock);
	v = j->user_paused;
	pthread_mutex_unlock(&j->lock);
	return v;
}

int mig_job_pause(struct vm *vm)
{
	struct mig_job *j = core_of(vm)->mig_job;
	int rc;

	pthread_mutex_lock(&j->lock);
	j->user_paused = true;
	pthread_mutex_unlock(&j->lock);
	rc = vcpu_pause_all(vm);
	return rc == -EALREADY ? 0 : rc;
}

static void *job_thread(void *arg)
{
	struct mig_job *j = arg;
	uint64_t one = 1;

	j->rc = mig_migrate(j->vm, j, j->uri, &j->st, j->msg, sizeof(j->msg));
	if (write(j->done_efd, &one, sizeof(one)) < 0)
		log_warn("migrate: cannot wake the control loop");
	return NULL;
}

static void job_free(struct mig_job *j)
{
	if (j->done_efd >= 0)
		close(j->done_efd);
	if (j->cancel_efd >= 0)
		close(j->cancel_efd);
	pthread_mutex_destroy(&j->lock);
	free(j);
}

/* Request the stop (the sender sees it at its next write or wait);
 * unless forced, refused (false) once the end of the stream goes: the
 * sender checks the flag after publishing that phase, under the same
 * lock, so a cancel is either refused or seen. */
static bool job_cancel(struct mig_job *j, bool force)
{
	uint64_t one = 1;
	bool ok;

	pthread_mutex_lock(&j->lock);
	ok = force || j->prog.phase != MIG_PH_WAITING;
	if (ok)
		__atomic_store_n(&j->cancelled, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&j->lock);
	if (ok && write(j->cancel_efd, &one, sizeof(one)) < 0)
		log_warn("migrate: cannot signal the cancel");
	return ok;
}

static json_t *job_result(const struct mig_stats *st)
{
	json_t *rounds = json_array();

	for (unsigned int i = 0; rounds && i + 1 < st->rounds &&
	     i < MIG_ROUNDS_MAX; i++)
		json_array_append_new(rounds,
				      json_integer((json_int_t)st->round_pages[i]));
	return json_pack("{s:i, s:I, s:I, s:I, s:o*, s:I}",
			 "rounds", (int)st->rounds,
			 "pages", (json_int_t)st->pages,
			 "final_pages", (json_int_t)st->final_pages,
			 "bytes", (json_int_t)st->bytes,
			 "round_pages", rounds,
			 "hv_pages", (json_int_t)st->hv_pages);
}

/* The sender ended (loop thread, a core watch): answer migrate; on
 * success the guest runs there and this hv stops. */
static void job_done(void *opaque)
{
	struct vm *vm = opaque;
	struct mig_job *j = core_of(vm)->mig_job;
	struct rpc_error err = { "", "" };
	uint64_t v;

	if (!j || read(j->done_efd, &v, sizeof(v)) != sizeof(v))
		return;
	vm_unwatch_fd(vm, j->done_efd);
	pthread_join(j->thread, NULL);
	core_of(vm)->mig_job = NULL;
	if (j->rc < 0) {
		log_warn("migrate: %s", j->msg);
		rpc_errorf(&err, -j->rc, "%s", j->msg);
		rpc_deferred_reply(j->reply, j->rc, NULL, &err);
	} else {
		rpc_deferred_reply(j->reply, 0, job_result(&j->st), NULL);
		vm_stop_with_event(vm, VM_STOP_POWEROFF, "migrated",
				   "migrated to another hv");
	}
	job_free(j);
}

void mig_job_abort(struct vm *vm)
{
	struct mig_job *j = core_of(vm) ? core_of(vm)->mig_job : NULL;
	struct rpc_error err = { "", "" };

	if (!j)
		return;
	job_cancel(j, true);
	vm_unwatch_fd(vm, j->done_efd);
	pthread_join(j->thread, NULL);
	core_of(vm)->mig_job = NULL;
	rpc_errorf(&err, ECANCELED, "hv stopped during the migration (%s)",
		   j->rc < 0 ? j->msg : "it had finished");
	rpc_deferred_reply(j->reply, -ECANCELED, NULL, &err);
	job_free(j);
}

/* downtime_ms and bandwidth_mib from params into p (absent: left). */
static int params_parse(json_t *params, struct mig_params *p,
			struct rpc_error *err)
{
	json_t *jd = json_object_get(params, "downtime_ms");
	json_t *jb = json_object_get(params, "bandwidth_mib");
	json_int_t v;

	if (jd) {
		if (!json_is_integer(jd) || (v = json_integer_value(jd)) < 1 ||
		    v > MIG_DOWNTIME_MAX_MS)
			return rpc_errorf(err, EINVAL, "downtime_ms must be an "
					  "integer from 1 to %u",
					  MIG_DOWNTIME_MAX_MS);
		p->downtime_ms = (uint32_t)v;
	}
	if (jb) {
		if (!json_is_integer(jb) || (v = json_integer_value(jb)) < 0 ||
		    v > MIG_BW_MAX_MIB)
			return rpc_errorf(err, EINVAL, "bandwidth_mib must be "
					  "an integer from 0 (unlimited) to %u",
					  MIG_BW_MAX_MIB);
		p->bandwidth = (uint64_t)v << 20;
	}
	return 0;
}

static int job_start(struct vm *vm, struct mig_job *j, struct rpc_error *err)
{
	int rc;

	j->done_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	j->cancel_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (j->done_efd < 0 || j->cancel_efd < 0)
		return rpc_errorf(err, errno, "eventfd: %s", strerror(errno));
	rc = vm_watch_core_fd(vm, j->done_efd, job_done, vm);
	if (rc < 0)
		return rpc_errorf(err, -rc, "watching the migration: %s",
				  strerror(-rc));
	rc = pthread_create(&j->thread, NULL, job_thread, j);
	if (rc) {
		vm_unwatch_fd(vm, j->done_efd);
		return rpc_errorf(err, rc, "migration thread: %s",
				  strerror(rc));
	}
	return 0;
}

int mig_ctl_migrate(void *ctx, struct rpc_conn *conn, json_t *params,
		    json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	struct core *c = core_of(vm);
	json_t *ju = json_object_get(params, "uri");
	struct mig_job *j;
	int rc;

	(void)result;
	if (!json_is_string(ju) || strlen(json_string_value(ju)) >=
	    sizeof(j->uri))
		return rpc_errorf(err, EINVAL, "migrate needs params "
				  "{\"uri\": \"unix:PATH\" or \"tcp:HOST:PORT\""
				  "[, \"downtime_ms\": N, \"bandwidth_mib\": N]}");
	if (c->mig_job)
		return rpc_errorf(err, EBUSY, "a migration is already running");
	if (vm_state(vm) == CORE_SHUTDOWN)
		return rpc_errorf(err, EBUSY, "domain is shutting down");
	{
		char msg[300];

		rc = hotplug_check_frozen(vm, "migrate", msg, sizeof(msg));
		if (rc < 0)
			return rpc_errorf(err, -rc, "%s", msg);
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return rpc_errorf(err, ENOMEM, "out of memory");
	j->vm = vm;
	j->done_efd = j->cancel_efd = -1;
	pthread_mutex_init(&j->lock, NULL);
	j->params = c->mig_params;
	strcpy(j->uri, json_string_value(ju));
	rc = params_parse(params, &j->params, err);
	if (rc == 0 && !(j->reply = rpc_conn_defer(conn)))
		rc = rpc_errorf(err, ENOMEM, "out of memory");
	if (rc == 0 && (rc = job_start(vm, j, err)) < 0) {
		rpc_deferred_reply(j->reply, rc, NULL, err);
		rc = 0;		/* answered */
		job_free(j);
		return 0;
	}
	if (rc < 0) {
		job_free(j);
		return rc;
	}
	c->mig_job = j;
	log_info("migrate: to %s, max downtime %u ms, bandwidth %llu MiB/s",
		 j->uri, j->params.downtime_ms,
		 (unsigned long long)(j->params.bandwidth >> 20));
	return 0;
}

int mig_ctl_set(void *ctx, struct rpc_conn *conn, json_t *params,
		json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	struct core *c = core_of(vm);
	struct mig_params p = c->mig_params;
	struct mig_job *j = c->mig_job;
	int rc;

	(void)conn;
	(void)result;
	if (!json_object_get(params, "downtime_ms") &&
	    !json_object_get(params, "bandwidth_mib"))
		return rpc_errorf(err, EINVAL, "migrate.set needs params "
				  "{\"downtime_ms\": N} and/or "
				  "{\"bandwidth_mib\": N}");
	if (j)
		mig_job_get_params(j, &p);
	rc = params_parse(params, &p, err);
	if (rc < 0)
		return rc;
	/* what is given applies to the running migration and the next */
	params_parse(params, &c->mig_params, err);
	if (j) {
		pthread_mutex_lock(&j->lock);
		j->params = p;
		pthread_mutex_unlock(&j->lock);
	}
	log_info("migrate: max downtime %u ms, bandwidth %llu MiB/s%s",
		 p.downtime_ms, (unsigned long long)(p.bandwidth >> 20),
		 j ? " (running migration)" : "");
	return 0;
}

static const char *phase_name(enum mig_phase ph)
{
	switch (ph) {
	case MIG_PH_SETUP:	return "setup";
	case MIG_PH_PRECOPY:	return "precopy";
	case MIG_PH_STOPCOPY:	return "stop-copy";
	default:		return "waiting";
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int mig_ctl_info(void *ctx, struct rpc_conn *conn, json_t *params,
		 json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	struct mig_job *j = core_of(vm)->mig_job;
	struct mig_params p = core_of(vm)->mig_params;
	struct mig_progress g = { 0 };
	bool cancelling = false;

	(void)conn;
	(void)params;
	if (j) {
		pthread_mutex_lock(&j->lock);
		p = j->params;
		g = j->prog;
		cancelling = j->cancelled;
		pthread_mutex_unlock(&j->lock);
	}
	if (!j)
		*result = json_pack("{s:b, s:i, s:I}", "active", 0,
				    "downtime_ms", (int)p.downtime_ms,
				    "bandwidth_mib",
				    (json_int_t)(p.bandwidth >> 20));
	else
		*result = json_pack("{s:b, s:s, s:b, s:i, s:I, s:I, s:I, s:I, "
				    "s:I, s:I, s:I, s:I, s:I, s:i, s:I}",
			"active", 1, "phase", phase_name(g.phase),
			"cancelling", cancelling,
			"rounds", (int)g.rounds,
			"total", (json_int_t)g.total,
			"processed", (json_int_t)g.processed,
			"remaining", (json_int_t)g.remaining,
			"pages", (json_int_t)g.pages,
			"zero_pages", (json_int_t)g.zero_pages,
			"dirty_rate", (json_int_t)g.dirty_rate,
			"bandwidth", (json_int_t)g.bw,
			"expected_downtime_ms", (json_int_t)
			(g.expect_ms > INT64_MAX ? -1 : (json_int_t)g.expect_ms),
			"elapsed_ms", (json_int_t)(g.start_ns ?
				(now_ns() - g.start_ns) / 1000000 : 0),
			"downtime_ms", (int)p.downtime_ms,
			"bandwidth_mib", (json_int_t)(p.bandwidth >> 20));
	return *result ? 0 : rpc_errorf(err, ENOMEM, "out of memory");
}

int mig_ctl_cancel(void *ctx, struct rpc_conn *conn, json_t *params,
		   json_t **result, struct rpc_error *err)
{
	struct vm *vm = ctx;
	struct mig_job *j = core_of(vm)->mig_job;

	(void)conn;
	(void)params;
	(void)result;
	if (!j)
		return rpc_errorf(err, ENOENT, "no migration is running");
	if (!job_cancel(j, false))
		return rpc_errorf(err, EBUSY, "too late to cancel: the whole "
				  "stream is sent, the destination's answer "
				  "decides");
	log_info("migrate: cancel requested");
	return 0;
}
