/*
 * Adoption: a new xvmd (after a crash, kill -9 or a restart with domains
 * left running) finds the hv processes its predecessor started through
 * their runtime state files ($XVM_RUNDIR/xvmd/<name>.json), pid and
 * control socket, and takes them over with the same ids and states, with
 * their qemu-storage-daemon (its pid file in $XVM_RUNDIR/xvmd/qsd/NAME);
 * what is gone is cleaned up, daemons of domains no longer running too.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xvm/log.h"
#include "xvm/rpc.h"
#include "dom.h"
#include "dom_run.h"
#include "dom_disk.h"
#include "dom_migrate.h"
#include "sched.h"
#include "store.h"

/* Recreate the struct dom for a runtime file's transient domain. */
/* A persistent domain runs the configuration it was started with; the
 * stored definition, if different, waits as pending. */
static void dom_adopt_live_config(struct dom *d, const char *xml)
{
	struct dom_config *live = malloc(sizeof(*live));
	char err[300];

	if (live && domxml_parse(xml, strlen(xml), live, err, sizeof(err)) == 0 &&
	    !memcmp(live->uuid, d->cfg.uuid, 16) && !d->pending) {
		d->pending = malloc(sizeof(*d->pending));
		if (d->pending) {
			*d->pending = d->cfg;
			d->cfg = *live;
		}
	}
	free(live);
}

static struct dom *dom_adopt_find(const char *name, json_t *st)
{
	const char *xml = NULL;
	struct dom *d = dom_by_name(name);
	struct verr e;

	if (json_unpack(st, "{s:s}", "xml", &xml) < 0)
		return d;
	if (d) {
		if (!dom_active(d))
			dom_adopt_live_config(d, xml);
		return d;
	}
	if (dom_create_transient(xml, &d, &e) < 0) {
		log_warn("dom %s: cannot adopt: %s", name, e.msg);
		return NULL;
	}
	return d;
}

static bool dom_adopt_state(struct dom *d)
{
	json_t *st = NULL;
	const char *state = "running", *pty = NULL;
	struct verr e;

	if (dom_hv_call(d, "status", &st, &e) < 0)
		return false;
	json_unpack(st, "{s?s, s?s}", "state", &state, "console", &pty);
	if (!strcmp(state, "paused")) {
		d->state = DS_PAUSED;
		d->reason = DR_PAUSED_USER;
	} else if (!strcmp(state, "shutdown")) {
		d->state = DS_SHUTDOWN;
		d->reason = DR_SHUTDOWN_USER;
	} else {
		d->state = DS_RUNNING;
		d->reason = DR_RUNNING_BOOTED;
	}
	if (pty)
		snprintf(d->live.pty, sizeof(d->live.pty), "%s", pty);
	json_decref(st);
	return true;
}

static void dom_adopt_vnics(struct dom *d, json_t *st)
{
	json_t *vn = json_object_get(st, "vnics"), *v;
	size_t i;

	json_array_foreach(vn, i, v)
		if (i < DOM_MAX_NICS && json_is_string(v))
			snprintf(d->live.vnics[i], sizeof(d->live.vnics[i]),
				 "%s", json_string_value(v));
}

/* migrate-setmaxdowntime / migrate-setspeed of the old xvmd, in range. */
static void dom_adopt_mig(struct dom *d, json_t *st)
{
	json_int_t ms = json_integer_value(json_object_get(st, "mig_downtime"));
	json_int_t mib = json_integer_value(json_object_get(st, "mig_speed"));

	if (ms > 0 && ms <= DOM_MIG_DOWNTIME_MAX)
		d->mig_downtime = (uint32_t)ms;
	if (mib > 0 && mib <= DOM_MIG_SPEED_MAX)
		d->mig_speed = (uint64_t)mib;
}

static void dom_adopt_one(const char *name, json_t *st)
{
	json_int_t id = -1, pid = 0;
	struct dom *d;

	if (json_unpack(st, "{s:I, s:I}", "id", &id, "pid", &pid) < 0 ||
	    id <= 0 || id > INT32_MAX || pid <= 1 || pid > INT32_MAX ||
	    !(d = dom_adopt_find(name, st)) || dom_active(d)) {
		log_warn("dom %s: stale runtime state removed", name);
		store_delete_run(name);
		return;
	}
	d->live.id = (int)id;
	d->pid = (pid_t)pid;
	d->child = false;
	dom_adopt_vnics(d, st);
	dom_adopt_mig(d, st);
	d->nics_changed = json_is_true(json_object_get(st, "nics_changed"));
	if (kill(d->pid, 0) < 0 || dom_watch(d) < 0 || !dom_adopt_state(d)) {
		log_info("dom %s: hv %d is gone", name, (int)pid);
		dom_unwatch(d);
		dom_stopped(d, DS_SHUTOFF, DR_SHUTOFF_UNKNOWN);
		return;
	}
	if (d->live.id >= dom_next_id)
		dom_next_id = d->live.id + 1;
	dom_qsd_adopt(d);
	domcon_attach(d);
	d->sd = sched_dom_open(d->cfg.name);
	d->pinned = true;	/* the old xvmd pinned it */
	log_info("dom %s: adopted, id %d, hv pid %d", name, d->live.id,
		 (int)d->pid);
}

int dom_adopt_all(void)
{
	int rc = store_each_run(dom_adopt_one);

	dom_qsd_sweep();	/* daemons of domains that no longer run */
	return rc;
}

