/*
 * The domain list and definitions: Domain-0 (the host, id 0, always
 * running), define/undefine (a persistent definition in the store),
 * lookups by name, uuid and id, autostart, the XML shown to clients.
 * Running domains are dom_run.c's.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sysinfo.h>
#include "xvm/log.h"
#include "dom.h"
#include "sched.h"
#include "store.h"
#include "events.h"
#include "pool.h"

struct dom_env dom_env;
static struct dom *dom_list;
static struct dom dom0 = {
	.dom0 = true, .persistent = true,
	.state = DS_RUNNING, .reason = DR_RUNNING_BOOTED,
	.live = { .id = 0 },
	.ctl_fd = -1, .exit_status = -1,
};

struct dom *dom_first(void)
{
	return &dom0;
}

struct dom *dom_by_name(const char *name)
{
	struct dom *d;

	for (d = &dom0; d; d = d->next)
		if (!strcmp(d->cfg.name, name))
			return d;
	return NULL;
}

struct dom *dom_by_uuid(const uint8_t uuid[16])
{
	struct dom *d;

	for (d = &dom0; d; d = d->next)
		if (!memcmp(d->cfg.uuid, uuid, 16))
			return d;
	return NULL;
}

struct dom *dom_by_id(int id)
{
	struct dom *d;

	if (id < 0)
		return NULL;
	for (d = &dom0; d; d = d->next)
		if (d->live.id == id)
			return d;
	return NULL;
}

int dom_check_not_dom0(const struct dom *d, struct verr *e)
{
	if (d->dom0)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested operation "
				"is not valid: Domain-0 is the host");
	return 0;
}

/* Domain-0's definition: the host's memory and CPUs. */
static void dom_init_dom0(void)
{
	struct sysinfo si;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	strcpy(dom0.cfg.name, "Domain-0");
	strcpy(dom0.cfg.os_type, "xen");
	if (sysinfo(&si) == 0)
		dom0.cfg.max_kib = dom0.cfg.cur_kib =
			(uint64_t)si.totalram * si.mem_unit / 1024;
	dom0.cfg.vcpus = dom0.cfg.vcpus_max = ncpu > 0 ? (unsigned int)ncpu : 1;
	dom0.cfg.weight = SCHED_WEIGHT_DEFAULT;
	dom_list = NULL;
	dom0.next = NULL;
}

/* A shut-off domain record for cfg, not yet in the list. */
static struct dom *dom_alloc(const struct dom_config *cfg)
{
	struct dom *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->cfg = *cfg;
	d->live.id = -1;
	d->state = DS_SHUTOFF;
	d->ctl_fd = -1;
	d->exit_status = -1;
	return d;
}

static void dom_link(struct dom *d)
{
	struct dom **pp;

	for (pp = &dom0.next; *pp; pp = &(*pp)->next)
		;
	*pp = d;
}

static struct dom *dom_new(const struct dom_config *cfg)
{
	struct dom *d = dom_alloc(cfg);

	if (d)
		dom_link(d);
	return d;
}

void dom_forget(struct dom *d)
{
	struct dom **pp;

	for (pp = &dom0.next; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			free(d->pending);
			free(d->job_done);
			free(d);
			return;
		}
}

/* Fill in what a definition leaves to us (NIC MACs), so they persist. */
int dom_complete(struct dom_config *cfg, struct verr *e)
{
	unsigned int i;

	for (i = 0; i < cfg->nnics; i++) {
		if (cfg->nics[i].has_mac)
			continue;
		int rc = mac_random(&cfg->nics[i].mac, NULL, 0);

		if (rc < 0)
			return verr_fail(e, rc, VERR_INTERNAL,
					 "cannot generate a MAC");
		cfg->nics[i].has_mac = true;
	}
	return 0;
}

struct dom_config *dom_def_copy(struct dom *d, struct verr *e)
{
	struct dom_config *def = malloc(sizeof(*def));

	if (!def) {
		verr_nomem(e);
		return NULL;
	}
	*def = d->pending ? *d->pending : d->cfg;
	return def;
}

void dom_apply_pending(struct dom *d)
{
	if (!d->pending)
		return;
	d->cfg = *d->pending;
	free(d->pending);
	d->pending = NULL;
}

/* Write def as the stored definition of the domain named in it. */
static int dom_store_def(const struct dom_config *def, struct verr *e)
{
	char *xml = domxml_format(def, NULL);
	int rc;

	if (!xml)
		return verr_nomem(e);
	rc = store_save_def(def->name, xml);
	free(xml);
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot save the definition of '%s': "
				 "%s", def->name, strerror(-rc));
	return 0;
}

int dom_def_store(struct dom *d, const struct dom_config *def,
		  struct verr *e)
{
	return d->persistent ? dom_store_def(def, e) : 0;
}

void dom_def_install(struct dom *d, struct dom_config *def)
{
	if (dom_active(d)) {	/* runs its old config until it stops */
		free(d->pending);
		d->pending = def;
	} else {
		d->cfg = *def;
		free(def);
	}
}

int dom_def_commit(struct dom *d, struct dom_config *def, struct verr *e)
{
	int rc = dom_def_store(d, def, e);

	if (rc < 0) {
		free(def);
		return rc;
	}
	dom_def_install(d, def);
	return 0;
}

/* Parse and check a new definition against the existing ones. With
 * *existing set, the definition replaces that domain's. */
static int dom_parse_new(const char *xml, struct dom_config *cfg,
			 struct dom **existing, struct verr *e)
{
	char err[300];
	struct dom *by_name, *by_uuid;
	int rc;

	*existing = NULL;
	rc = domxml_parse(xml, strlen(xml), cfg, err, sizeof(err));
	if (rc < 0)
		return verr_fail(e, rc, VERR_XML_ERROR, "XML error: %s", err);
	rc = dom_complete(cfg, e);
	if (rc == 0)
		rc = pool_check_disks(cfg, e);
	if (rc < 0)
		return rc;
	by_name = dom_by_name(cfg->name);
	by_uuid = dom_by_uuid(cfg->uuid);
	if (by_uuid && by_uuid != by_name) {
		char u[37];

		domxml_uuid_format(cfg->uuid, u);
		return verr_set(e, VERR_OPERATION_FAILED, "operation failed: "
				"domain '%s' already exists with uuid %s",
				by_uuid->cfg.name, u);
	}
	if (by_name && memcmp(by_name->cfg.uuid, cfg->uuid, 16)) {
		char u[37];

		domxml_uuid_format(by_name->cfg.uuid, u);
		return verr_set(e, VERR_OPERATION_FAILED, "operation failed: "
				"domain '%s' already exists with uuid %s",
				cfg->name, u);
	}
	*existing = by_name;
	return 0;
}

/* Stored first, then changed in memory: a definition that cannot be
 * written (ENOSPC, EIO) leaves the domain list as it was. */
int dom_define(const char *xml, struct dom **out, struct verr *e)
{
	struct dom_config *cfg = malloc(sizeof(*cfg));
	struct dom *d = NULL, *fresh = NULL;
	bool existing_def = false;
	int rc;

	if (!cfg)
		return verr_nomem(e);
	rc = dom_parse_new(xml, cfg, &d, e);
	if (rc < 0)
		goto fail;
	if (d && d->dom0) {
		rc = verr_set(e, VERR_OPERATION_INVALID,
			      "Domain-0 cannot be redefined");
		goto fail;
	}
	existing_def = d && d->persistent;
	if (!d && !(d = fresh = dom_alloc(cfg))) {
		rc = verr_nomem(e);
		goto fail;
	}
	rc = dom_store_def(cfg, e);
	if (rc < 0)
		goto fail;
	if (fresh) {
		dom_link(fresh);
		fresh = NULL;
	} else {
		dom_def_install(d, cfg);	/* takes cfg */
		cfg = NULL;
	}
	d->persistent = true;
	log_info("dom %s: defined", d->cfg.name);
	event_lifecycle(d, EV_DEFINED, existing_def ? EVD_DEFINED_UPDATED :
			EVD_DEFINED_ADDED);
	*out = d;
fail:
	free(fresh);
	free(cfg);
	return rc;
}

int dom_create_transient(const char *xml, struct dom **out, struct verr *e)
{
	struct dom_config *cfg = malloc(sizeof(*cfg));
	struct dom *d = NULL;
	int rc;

	if (!cfg)
		return verr_nomem(e);
	rc = dom_parse_new(xml, cfg, &d, e);
	if (rc < 0)
		goto fail;
	if (d && dom_active(d)) {
		rc = verr_fail(e, -EBUSY, VERR_OPERATION_INVALID, "Requested "
			       "operation is not valid: domain '%s' is already "
			       "active", d->cfg.name);
		goto fail;
	}
	if (d) {
		rc = verr_fail(e, -EEXIST, VERR_OPERATION_FAILED, "operation "
			       "failed: domain '%s' is already defined; use "
			       "start", d->cfg.name);
		goto fail;
	}
	d = dom_new(cfg);
	if (!d) {
		rc = verr_nomem(e);
		goto fail;
	}
	*out = d;
	rc = 0;
fail:
	free(cfg);
	return rc;
}

/* A create's start under way: its caller's callback. */
struct dom_create_wait {
	dom_restore_done_fn done;
	void *opaque;
};

static void dom_create_started(void *opaque, struct dom *d, int rc,
			       const struct verr *e)
{
	struct dom_create_wait w = *(struct dom_create_wait *)opaque;

	free(opaque);
	w.done(w.opaque, d, rc, e);
	if (rc < 0)
		dom_forget(d);
}

int dom_create_xml(const char *xml, dom_restore_done_fn done, void *opaque,
		   struct verr *e)
{
	struct dom_create_wait *w = malloc(sizeof(*w));
	struct dom *d = NULL;
	int rc;

	if (!w)
		return verr_nomem(e);
	w->done = done;
	w->opaque = opaque;
	rc = dom_create_transient(xml, &d, e);
	if (rc == 0)
		rc = dom_start_async(d, 0, dom_create_started, w, e);
	if (rc == 1)
		return 1;
	free(w);
	if (rc == 0)	/* not a boot's way: started, no callback */
		done(opaque, d, 0, NULL);
	else if (d)
		dom_forget(d);
	return rc == 0 ? 1 : rc;
}

int dom_saved_take(const char *xml, struct dom **out, bool *created,
		   struct verr *e)
{
	struct dom_config *cfg = malloc(sizeof(*cfg));
	struct dom *d = NULL;
	int rc;

	if (!cfg)
		return verr_nomem(e);
	rc = dom_parse_new(xml, cfg, &d, e);
	if (rc < 0)
		goto out;
	if (d && (d->dom0 || dom_active(d))) {
		rc = verr_fail(e, -EBUSY, VERR_OPERATION_INVALID, "Requested "
			       "operation is not valid: domain '%s' is already "
			       "active", d->cfg.name);
		goto out;
	}
	*created = !d;
	if (d) {	/* the definition waits, as for a redefinition */
		d->pending = malloc(sizeof(*d->pending));
		if (!d->pending) {
			rc = verr_nomem(e);
			goto out;
		}
		*d->pending = d->cfg;
		d->cfg = *cfg;
	} else if (!(d = dom_new(cfg))) {
		rc = verr_nomem(e);
		goto out;
	}
	*out = d;
out:
	free(cfg);
	return rc;
}

void dom_saved_drop(struct dom *d, bool created)
{
	if (created)
		dom_forget(d);
	else
		dom_apply_pending(d);
}

int dom_undefine(struct dom *d, uint32_t flags, struct verr *e)
{
	int rc;

	rc = dom_check_not_dom0(d, e);
	if (rc < 0)
		return rc;
	if (d->launch_job)	/* its start's failure would leave a
				 * transient domain shut off */
		return dom_check_idle(d, e);
	if (!d->persistent)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested operation "
				"is not valid: cannot undefine transient domain");
	if (dom_has_managed_save(d)) {	/* libvirt's wording */
		if (!(flags & 1))
			return verr_set(e, VERR_OPERATION_INVALID, "Requested "
					"operation is not valid: Refusing to "
					"undefine while domain managed save "
					"image exists");
		rc = dom_managed_save_remove(d, e);
		if (rc < 0)
			return rc;
	}
	rc = store_delete_def(d->cfg.name);
	if (rc < 0) {
		d->autostart = store_autostart(d->cfg.name);	/* as on disk */
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot remove the definition: %s",
				 strerror(-rc));
	}
	log_info("dom %s: undefined", d->cfg.name);
	event_lifecycle(d, EV_UNDEFINED, 0);
	d->autostart = false;
	if (dom_active(d))
		d->persistent = false;	/* goes away when it stops */
	else
		dom_forget(d);
	return 0;
}

int dom_set_autostart(struct dom *d, bool on, struct verr *e)
{
	int rc;

	rc = dom_check_not_dom0(d, e);
	if (rc < 0)
		return rc;
	if (!d->persistent)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested operation "
				"is not valid: cannot set autostart for "
				"transient domain");
	rc = store_set_autostart(d->cfg.name, on);
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot set autostart: %s",
				 strerror(-rc));
	d->autostart = on;
	return 0;
}

char *dom_xml(const struct dom *d, bool inactive)
{
	if (inactive && d->pending)
		return domxml_format(d->pending, NULL);
	return domxml_format(&d->cfg, inactive || !dom_active(d) ? NULL : &d->live);
}

uint64_t dom_cputime_ns(const struct dom *d)
{
	uint64_t ns = 0;

	if (d->dom0 || !d->sd || sched_dom_cputime(d->sd, &ns) < 0)
		return 0;
	return ns;
}

/* A stored definition found at start-up. */
static void dom_load_one(const char *xml, size_t len, const char *file)
{
	struct dom_config *cfg = malloc(sizeof(*cfg));
	char err[300];
	struct dom *d;

	if (!cfg)
		return;
	if (domxml_parse(xml, len, cfg, err, sizeof(err)) < 0) {
		log_warn("dom: %s: %s (ignored)", file, err);
	} else if (dom_by_name(cfg->name) || dom_by_uuid(cfg->uuid)) {
		log_warn("dom: %s: duplicate domain '%s' (ignored)", file,
			 cfg->name);
	} else if ((d = dom_new(cfg))) {
		d->persistent = true;
		d->autostart = store_autostart(cfg->name);
		if (dom_has_managed_save(d))
			d->reason = DR_SHUTOFF_SAVED;
	}
	free(cfg);
}

static void dom_autostarted(void *opaque, struct dom *d, int rc,
			    const struct verr *e)
{
	char *name = opaque;

	(void)d;	/* NULL after a failed restore */
	if (rc < 0)
		log_err("dom %s: autostart failed: %s", name, e->msg);
	free(name);
}

/* Autostart runs as any start does, on the loop: clients are served
 * meanwhile and see the domain paused (starting up) until it runs. */
static void dom_autostart(struct dom *d)
{
	char *name = strdup(d->cfg.name);
	struct verr e = { 0 };

	log_info("dom %s: autostart", d->cfg.name);
	if (!name) {
		log_err("dom %s: autostart failed: out of memory", d->cfg.name);
		return;
	}
	if (dom_start_async(d, 0, dom_autostarted, name, &e) < 0) {
		log_err("dom %s: autostart failed: %s", d->cfg.name, e.msg);
		free(name);
	}
}

int dom_init(void)
{
	struct dom *d, *next;
	int rc;

	dom_init_dom0();
	rc = store_init(dom_env.statedir, dom_env.rundir);
	if (rc < 0)
		return rc;
	if (sched_init(dom_env.cgroup) < 0)
		log_warn("no cpu controller: domains run unscheduled");
	store_each_def(dom_load_one);
	dom_adopt_all();
	for (d = dom0.next; d; d = next) {
		next = d->next;
		if (d->autostart && !dom_active(d))
			dom_autostart(d);
	}
	return 0;
}
