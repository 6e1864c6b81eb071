/*
 * Flows in vswitchd's control thread (flowctl.h): the objects, their
 * methods flow.add, flow.remove, flow.list, flow.set, flow.reset and
 * flowprop.get (docs/vswitchd-control.md), and their place in
 * config.json. A link's flows are handed to the PMD as one set
 * (flow_port_install() through pmd_exec()), rebuilt at each change; a
 * flow's counters and queued frames live in its flow_dp, which survives
 * the rebuilds.
 */
#include <stdlib.h>
#include <string.h>

#include "xvm/log.h"
#include "xvm/vswctl.h"	/* vswctl_maxbw_format() */
#include "control.h"
#include "flow_dp.h"
#include "flowctl.h"
#include "vswitchd.h"

struct vsw_flow {
	struct vsw_flow *next;
	char name[FLOWNAME_MAX];
	char link[LINKNAME_MAX];
	struct vsw_port *port;		/* the link's port */
	struct vsw_link *phys;		/* a phys link held attached, or NULL */
	struct flow_attrs attrs;
	struct flow_props props;	/* in effect */
	struct flow_props saved;	/* persistent ones (set without -t) */
	bool temporary;			/* not saved */
	struct flow_dp *dp;
};

struct vsw_flows {
	struct vsw_flow *list;		/* in creation order */
	json_t *dormant;		/* saved flows not running (removed
					 * with -t, link missing at start) */
};

static struct vsw_flows *flows_of(struct vswd *d)
{
	if (!d->flows)
		d->flows = calloc(1, sizeof(*d->flows));
	return d->flows;
}

static struct vsw_flow *flow_find(struct vswd *d, const char *name)
{
	for (struct vsw_flow *f = d->flows ? d->flows->list : NULL; f;
	     f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

bool flows_on_link(struct vswd *d, const char *name)
{
	for (struct vsw_flow *f = d->flows ? d->flows->list : NULL; f;
	     f = f->next)
		if (strcmp(f->link, name) == 0)
			return true;
	return false;
}

/* ---- handing a link's flows to the PMD ---- */

struct flow_install {
	struct vsw_port *port;
	struct flow_port *fp;		/* new set (NULL: none) */
	struct flow_port *old;		/* out: the set it replaced */
};

static int flow_install_on_pmd(struct vsw_dp *dp UNUSED, void *arg,
			       uint64_t now_ns UNUSED)
{
	struct flow_install *in = arg;

	in->old = in->port->flows;
	flow_port_install(in->port, in->fp);
	return 0;
}

/* Give port the set of the flows that name it (skip: one going away). */
static int flow_sync_port(struct vswd *d, struct vsw_port *port,
			  const struct vsw_flow *skip)
{
	struct flow_install in = { .port = port };
	int rc;

	in.fp = calloc(1, sizeof(*in.fp));
	if (!in.fp)
		return -ENOMEM;
	for (struct vsw_flow *f = d->flows->list; f; f = f->next)
		if (f->port == port && f != skip &&
		    flow_port_insert(in.fp, f->dp) < 0)
			goto fail;
	if (in.fp->n == 0) {
		free(in.fp);
		in.fp = NULL;
	}
	rc = pmd_exec(vsw_pmd(d, port), flow_install_on_pmd, &in);
	if (rc < 0)
		goto fail;
	free(in.old);
	return 0;
fail:
	free(in.fp);
	return -ENOSPC;
}

struct flow_setprops {
	struct flow_dp *dp;
	uint64_t maxbw;
	enum link_priority prio;
};

static int flow_set_on_pmd(struct vsw_dp *dp UNUSED, void *arg,
			   uint64_t now_ns)
{
	struct flow_setprops *s = arg;

	return flow_dp_set(s->dp, s->maxbw, s->prio, now_ns);
}

/* ---- objects ---- */

/* The port of link name and, for a phys link, the link (held). */
static int flow_link_port(struct vswd *d, const char *name,
			  struct vsw_port **port, struct vsw_link **phys,
			  bool *temporary, struct rpc_error *err)
{
	struct vsw_vnic *v = vnic_find(d, name);
	struct vsw_link *l;
	int rc;

	*phys = NULL;
	*temporary = false;
	if (v) {
		*port = v->port;
		*temporary = v->temporary;
		return 0;
	}
	if (!linkname_valid(name))
		return rpc_errorf(err, EINVAL, "invalid link name '%s'", name);
	rc = link_get(d, name, &l, err);
	if (rc < 0)
		return rc;
	if (l->cls != VSW_LINK_PHYS) {
		link_put(d, l);
		return rpc_errorf(err, ENOTSUP, "operation not supported");
	}
	*port = l->uplink;
	*phys = l;
	return 0;
}

/* The checks against the link's other flows (flowadm's messages). */
static int flow_check_link(struct vswd *d, const char *link,
			   const struct flow_attrs *a, struct rpc_error *err)
{
	unsigned n = 0;

	for (struct vsw_flow *f = d->flows->list; f; f = f->next) {
		if (strcmp(f->link, link) != 0)
			continue;
		if (flow_attrs_identical(&f->attrs, a))
			return rpc_errorf(err, EEXIST, "a flow with identical "
					  "attributes exists");
		if (!flow_attrs_compatible(&f->attrs, a))
			return rpc_errorf(err, EINVAL, "flow(s) with "
					  "incompatible attributes exists");
		n++;
	}
	if (n >= FLOW_MAX_PER_LINK)
		return rpc_errorf(err, ENOSPC, "too many flows on link '%s' "
				  "(at most %d)", link, FLOW_MAX_PER_LINK);
	return 0;
}

struct flow_spec {
	const char *name;
	const char *link;
	struct flow_attrs attrs;
	struct flow_props props;
	bool temporary;
};

static int flow_add(struct vswd *d, const struct flow_spec *s,
		    struct rpc_error *err)
{
	struct vsw_flows *fl = flows_of(d);
	struct vsw_flow *f, **pp;
	int rc;

	if (!fl)
		return rpc_errorf(err, ENOMEM, "out of memory");
	if (!flowname_valid(s->name))
		return rpc_errorf(err, EINVAL, "invalid flow name '%s'", s->name);
	if (flow_find(d, s->name))
		return rpc_errorf(err, EEXIST, "object already exists");
	rc = flow_check_link(d, s->link, &s->attrs, err);
	if (rc < 0)
		return rc;
	f = calloc(1, sizeof(*f));
	if (!f)
		return rpc_errorf(err, ENOMEM, "out of memory");
	rc = flow_link_port(d, s->link, &f->port, &f->phys, &f->temporary,
			    err);
	if (rc < 0) {
		free(f);
		return rc;
	}
	snprintf(f->name, sizeof(f->name), "%s", s->name);
	snprintf(f->link, sizeof(f->link), "%s", s->link);
	f->attrs = s->attrs;
	f->props = f->saved = s->props;
	f->temporary |= s->temporary;	/* on a temporary VNIC: never saved */
	f->dp = flow_dp_new(&f->attrs, f->props.maxbw, f->props.priority);
	if (!f->dp) {
		rc = rpc_errorf(err, ENOMEM, "out of memory");
		goto fail;
	}
	for (pp = &fl->list; *pp; pp = &(*pp)->next)
		;
	*pp = f;
	if (f->phys)
		f->phys->nflows++;
	rc = flow_sync_port(d, f->port, NULL);
	if (rc == 0) {
		log_info("flow %s: added on %s", f->name, f->link);
		return 0;
	}
	*pp = NULL;
	if (f->phys)
		f->phys->nflows--;
	rc = rpc_errorf(err, -rc, "cannot add flow: %s", strerror(-rc));
fail:
	flow_dp_free(f->dp);
	if (f->phys)
		link_put(d, f->phys);
	free(f);
	return rc;
}

static void flow_unlist(struct vswd *d, struct vsw_flow *f)
{
	struct vsw_flow **pp = &d->flows->list;

	while (*pp != f)
		pp = &(*pp)->next;
	*pp = f->next;
}

/* Out of the data path, then gone. */
static int flow_remove(struct vswd *d, struct vsw_flow *f)
{
	int rc = flow_sync_port(d, f->port, f);

	if (rc < 0)
		return rc;
	flow_unlist(d, f);
	if (f->phys) {
		f->phys->nflows--;
		link_put(d, f->phys);
	}
	log_info("flow %s: removed from %s", f->name, f->link);
	flow_dp_free(f->dp);
	free(f);
	return 0;
}

static int flow_apply_props(struct vswd *d, struct vsw_flow *f,
			    const struct flow_props *run,
			    const struct flow_props *saved,
			    struct rpc_error *err)
{
	struct flow_setprops s = { f->dp, run->maxbw, run->priority };
	int rc = pmd_exec(vsw_pmd(d, f->port), flow_set_on_pmd, &s);

	if (rc < 0)
		return rpc_errorf(err, -rc, "invalid argument");
	f->props = *run;
	if (saved)
		f->saved = *saved;
	return 0;
}

void flows_destroy_all(struct vswd *d)
{
	if (!d->flows)
		return;
	while (d->flows->list)
		if (flow_remove(d, d->flows->list) < 0)
			break;
	json_decref(d->flows->dormant);
	free(d->flows);
	d->flows = NULL;
}

/* ---- persistence ---- */

static json_t *flow_props_json(const struct flow_props *p)
{
	json_t *o = json_object();
	char buf[64];

	for (int id = 0; o && id < FLOW_P_COUNT; id++) {
		if (!(p->set & (1u << id)))
			continue;
		/* maxbw as clients send it: whole kb/s, exact */
		if (id == FLOW_P_MAXBW ?
		    vswctl_maxbw_format(p->maxbw, buf, sizeof(buf)) == 0 :
		    flow_prop_format(p, id, buf, sizeof(buf)) == 0)
			json_object_set_new(o, flow_prop_name(id),
					    json_string(buf));
	}
	return o;
}

static json_t *flow_attrs_json(const struct flow_attrs *a)
{
	json_t *o = json_object();
	char buf[64];

	for (int id = 0; o && id < FLOW_A_COUNT; id++)
		if ((a->set & (1u << id)) &&
		    flow_attr_format(a, id, buf, sizeof(buf)) == 0)
			json_object_set_new(o, flow_attr_name(id),
					    json_string(buf));
	return o;
}

static json_t *flow_saved_json(const struct vsw_flow *f)
{
	return json_pack("{s:s, s:s, s:o, s:o}", "name", f->name,
			 "link", f->link, "attrs", flow_attrs_json(&f->attrs),
			 "props", flow_props_json(&f->saved));
}

json_t *flows_persist_json(const struct vswd *d)
{
	json_t *arr = json_array();

	if (!d->flows)
		return arr;
	for (struct vsw_flow *f = d->flows->list; f; f = f->next)
		if (!f->temporary)
			json_array_append_new(arr, flow_saved_json(f));
	if (d->flows->dormant)
		json_array_extend(arr, d->flows->dormant);
	return arr;
}

static void flow_keep_dormant(struct vswd *d, json_t *entry)
{
	struct vsw_flows *fl = flows_of(d);

	if (!fl || !entry)
		return;
	if (!fl->dormant)
		fl->dormant = json_array();
	json_array_append_new(fl->dormant, entry);
}

static void flow_forget_dormant(struct vswd *d, const char *name)
{
	size_t i;
	json_t *e;

	if (!d->flows)
		return;
	json_array_foreach(d->flows->dormant, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));

		if (n && strcmp(n, name) == 0) {
			json_array_remove(d->flows->dormant, i);
			return;
		}
	}
}

/* attrs and props objects of strings into s; 0 or -EINVAL with err. */
static int flow_spec_parse(json_t *attrs, json_t *props, struct flow_spec *s,
			   struct rpc_error *err)
{
	char ferr[FLOW_ERRLEN];
	const char *key;
	json_t *val;
	int rc;

	memset(&s->attrs, 0, sizeof(s->attrs));
	flow_props_init(&s->props);
	if (!json_is_object(attrs))
		return rpc_errorf(err, EINVAL, "parameter 'attrs' must be an "
				  "object");
	if (props && !json_is_object(props))
		return rpc_errorf(err, EINVAL, "parameter 'props' must be an "
				  "object");
	json_object_foreach(attrs, key, val) {
		if (!json_is_string(val))
			return rpc_errorf(err, EINVAL, "value of flow attribute "
					  "'%.64s' must be a string", key);
		if (flow_attr_set(&s->attrs, key, json_string_value(val),
				  ferr) < 0)
			return rpc_errorf(err, EINVAL, "%s", ferr);
	}
	rc = flow_attrs_check(&s->attrs, ferr);
	if (rc < 0)
		return rpc_errorf(err, -rc, "%s", ferr);
	json_object_foreach(props, key, val) {
		if (!json_is_string(val))
			return rpc_errorf(err, EINVAL, "value of flow property "
					  "'%.64s' must be a string", key);
		rc = flow_prop_set(&s->props, key, json_string_value(val),
				   ferr);
		if (rc < 0)
			return rpc_errorf(err, EINVAL, "%s", ferr);
	}
	return 0;
}

static void flow_restore_one(struct vswd *d, json_t *o)
{
	struct rpc_error err = { "", "" };
	struct flow_spec s = { 0 };

	s.name = json_string_value(json_object_get(o, "name"));
	s.link = json_string_value(json_object_get(o, "link"));
	if (!s.name || !s.link) {
		log_err("persist: flow entry skipped: no string 'name' or "
			"'link'");
		return;
	}
	if (flow_spec_parse(json_object_get(o, "attrs"),
			    json_object_get(o, "props"), &s, &err) < 0) {
		log_err("persist: flow %s skipped: %s", s.name, err.message);
		return;
	}
	if (flow_find(d, s.name)) {
		log_err("persist: flow %s: duplicate entry skipped", s.name);
		return;
	}
	if (flow_add(d, &s, &err) < 0) {
		log_err("persist: flow %s not restored (kept in the saved "
			"configuration): %s", s.name, err.message);
		flow_keep_dormant(d, json_incref(o));
	}
}

void flows_restore(struct vswd *d, json_t *arr)
{
	size_t i;
	json_t *e;

	if (arr && !json_is_array(arr)) {
		log_err("persist: 'flows' is not an array; ignored");
		return;
	}
	json_array_foreach(arr, i, e)
		flow_restore_one(d, e);
}

/* ---- control methods ---- */

static int flow_ctl_add(struct vswd *d, json_t *params,
			json_t **result UNUSED, struct rpc_error *err)
{
	struct flow_spec s;
	int rc;

	memset(&s, 0, sizeof(s));
	if ((rc = ctl_name_temp(params, &s.name, &s.temporary, err)) < 0 ||
	    (rc = ctl_str(params, "link", true, &s.link, err)) < 0)
		return rc;
	if (!json_object_get(params, "attrs"))
		return rpc_errorf(err, EINVAL, "missing parameter 'attrs'");
	rc = flow_spec_parse(json_object_get(params, "attrs"),
			     json_object_get(params, "props"), &s, err);
	if (rc == 0)
		rc = flow_add(d, &s, err);
	if (rc < 0)
		return rc;
	/* a saved flow of that name (removed with -t) is replaced by a
	 * saved one only: a temporary flow leaves the configuration alone */
	if (!flow_find(d, s.name)->temporary) {
		flow_forget_dormant(d, s.name);
		persist_changed(d);
	}
	return 0;
}
CTL_COMMAND("flow.add", flow_ctl_add,
	    "name link attrs [props] [temporary]");

/* Remove f; a saved flow removed with temporary stays saved. */
static int flow_ctl_remove_one(struct vswd *d, struct vsw_flow *f,
			       bool temporary, struct rpc_error *err)
{
	json_t *entry = !f->temporary && temporary ? flow_saved_json(f) : NULL;
	bool saved = !f->temporary;
	int rc = flow_remove(d, f);

	if (rc < 0) {
		json_decref(entry);
		return rpc_errorf(err, -rc, "cannot remove flow: %s",
				  strerror(-rc));
	}
	if (entry)
		flow_keep_dormant(d, entry);
	else if (saved)
		persist_changed(d);
	return 0;
}

static int flow_ctl_remove(struct vswd *d, json_t *params,
			   json_t **result UNUSED, struct rpc_error *err)
{
	const char *name, *link;
	struct vsw_flow *f, *next;
	bool temporary;
	int rc;

	if ((rc = ctl_str(params, "name", false, &name, err)) < 0 ||
	    (rc = ctl_str(params, "link", false, &link, err)) < 0 ||
	    (rc = ctl_bool(params, "temporary", &temporary, err)) < 0)
		return rc;
	if (!name == !link)
		return rpc_errorf(err, EINVAL, "either 'name' or 'link' is "
				  "required");
	if (name) {
		f = flow_find(d, name);
		if (!f)
			return rpc_errorf(err, ENOENT, "object not found");
		return flow_ctl_remove_one(d, f, temporary, err);
	}
	if (!link_name_taken(d, link))
		return rpc_errorf(err, ENOENT, "object not found");
	for (f = d->flows ? d->flows->list : NULL; f; f = next) {
		next = f->next;
		if (strcmp(f->link, link) == 0 &&
		    (rc = flow_ctl_remove_one(d, f, temporary, err)) < 0)
			return rc;
	}
	return 0;
}
CTL_COMMAND("flow.remove", flow_ctl_remove, "name|link [temporary]");

static json_t *flow_stats_json(const struct flow_dp_stats *st)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}",
		"ipackets", (json_int_t)vsw_read(&st->ipkts),
		"rbytes", (json_int_t)vsw_read(&st->ibytes),
		"ierrors", (json_int_t)vsw_read(&st->ierrs),
		"opackets", (json_int_t)vsw_read(&st->opkts),
		"obytes", (json_int_t)vsw_read(&st->obytes),
		"oerrors", (json_int_t)vsw_read(&st->oerrs));
}

static json_t *flow_json(const struct vsw_flow *f, bool stats)
{
	char prio[16] = "medium";
	json_t *o;

	flow_prop_format(&(struct flow_props){ .set = 1u << FLOW_P_PRIORITY,
		.priority = f->props.priority }, FLOW_P_PRIORITY, prio,
		sizeof(prio));
	o = json_pack("{s:s, s:s, s:o, s:I, s:s, s:b}", "name", f->name,
		      "link", f->link, "attrs", flow_attrs_json(&f->attrs),
		      "maxbw", (json_int_t)f->props.maxbw, "priority", prio,
		      "temporary", f->temporary);
	if (o && stats)
		json_object_set_new(o, "stats", flow_stats_json(&f->dp->st));
	return o;
}

/* The optional "name" and "link" of list methods, checked to exist. */
static int flow_ctl_filter(struct vswd *d, json_t *params, const char **name,
			   const char **link, struct rpc_error *err)
{
	int rc;

	if ((rc = ctl_str(params, "name", false, name, err)) < 0 ||
	    (rc = ctl_str(params, "link", false, link, err)) < 0)
		return rc;
	if (*name && !flow_find(d, *name))
		return rpc_errorf(err, ENOENT, "object not found");
	if (*link && !link_name_taken(d, *link))
		return rpc_errorf(err, ENOENT, "object not found");
	return 0;
}

static bool flow_selected(const struct vsw_flow *f, const char *name,
			  const char *link)
{
	return (!name || strcmp(name, f->name) == 0) &&
	       (!link || strcmp(link, f->link) == 0);
}

static int flow_ctl_list(struct vswd *d, json_t *params, json_t **result,
			 struct rpc_error *err)
{
	const char *name, *link;
	json_t *arr;
	bool stats;
	int rc = flow_ctl_filter(d, params, &name, &link, err);

	if (rc == 0)
		rc = ctl_bool(params, "stats", &stats, err);
	if (rc < 0)
		return rc;
	arr = json_array();
	for (struct vsw_flow *f = d->flows ? d->flows->list : NULL; f;
	     f = f->next)
		if (flow_selected(f, name, link))
			json_array_append_new(arr, flow_json(f, stats));
	*result = json_pack("{s:o}", "flows", arr);
	return 0;
}
CTL_COMMAND("flow.list", flow_ctl_list, "[name] [link] [stats]");

/* The flow a set/reset names. */
static int flow_ctl_target(struct vswd *d, json_t *params,
			   struct vsw_flow **f, bool *temporary,
			   struct rpc_error *err)
{
	const char *name;
	int rc = ctl_name_temp(params, &name, temporary, err);

	if (rc < 0)
		return rc;
	*f = flow_find(d, name);
	return *f ? 0 : rpc_errorf(err, ENOENT, "object not found");
}

static int flow_ctl_apply(struct vswd *d, struct vsw_flow *f,
			  const struct flow_props *run,
			  const struct flow_props *saved, bool temporary,
			  struct rpc_error *err)
{
	int rc = flow_apply_props(d, f, run, temporary ? NULL : saved, err);

	if (rc == 0 && !temporary && !f->temporary)
		persist_changed(d);
	return rc;
}

/* {"prop": "value"} onto p, all or nothing. */
static int flow_ctl_props(json_t *obj, struct flow_props *p,
			  struct rpc_error *err)
{
	struct flow_props tmp = *p;
	char ferr[FLOW_ERRLEN];
	const char *key;
	json_t *val;

	if (!json_is_object(obj))
		return rpc_errorf(err, EINVAL, "parameter 'props' must be an "
				  "object");
	json_object_foreach(obj, key, val) {
		if (!json_is_string(val))
			return rpc_errorf(err, EINVAL, "value of flow property "
					  "'%.64s' must be a string", key);
		if (flow_prop_set(&tmp, key, json_string_value(val), ferr) < 0)
			return rpc_errorf(err, EINVAL, "%s", ferr);
	}
	*p = tmp;
	return 0;
}

static int flow_ctl_set(struct vswd *d, json_t *params,
			json_t **result UNUSED, struct rpc_error *err)
{
	json_t *props = json_object_get(params, "props");
	struct flow_props run, saved;
	struct vsw_flow *f;
	bool temporary;
	int rc = flow_ctl_target(d, params, &f, &temporary, err);

	if (rc < 0)
		return rc;
	if (!props)
		return rpc_errorf(err, EINVAL, "missing parameter 'props'");
	run = f->props;
	saved = f->saved;
	rc = flow_ctl_props(props, &run, err);
	if (rc == 0)
		rc = flow_ctl_props(props, &saved, err);
	if (rc < 0)
		return rc;
	return flow_ctl_apply(d, f, &run, &saved, temporary, err);
}
CTL_COMMAND("flow.set", flow_ctl_set, "name props [temporary]");

/* An optional array of flow property names: a mask (all if absent). */
static int flow_ctl_prop_names(json_t *params, uint32_t *mask,
			       struct rpc_error *err)
{
	json_t *arr = json_object_get(params, "props"), *v;
	size_t i;

	*mask = (1u << FLOW_P_COUNT) - 1;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return rpc_errorf(err, EINVAL, "parameter 'props' must be an "
				  "array");
	*mask = 0;
	json_array_foreach(arr, i, v) {
		int id = flow_prop_lookup(json_string_value(v));

		if (id < 0)
			return rpc_errorf(err, EINVAL, "invalid flow property "
					  "'%.64s'", json_is_string(v) ?
					  json_string_value(v) : "?");
		*mask |= 1u << id;
	}
	return 0;
}

static void flow_reset_mask(struct flow_props *p, uint32_t mask)
{
	char ferr[FLOW_ERRLEN];

	for (int id = 0; id < FLOW_P_COUNT; id++)
		if (mask & (1u << id))
			flow_prop_reset(p, flow_prop_name(id), ferr);
}

static int flow_ctl_reset(struct vswd *d, json_t *params,
			  json_t **result UNUSED, struct rpc_error *err)
{
	struct flow_props run, saved;
	struct vsw_flow *f;
	uint32_t mask;
	bool temporary;
	int rc = flow_ctl_target(d, params, &f, &temporary, err);

	if (rc == 0)
		rc = flow_ctl_prop_names(params, &mask, err);
	if (rc < 0)
		return rc;
	run = f->props;
	saved = f->saved;
	flow_reset_mask(&run, mask);
	flow_reset_mask(&saved, mask);
	return flow_ctl_apply(d, f, &run, &saved, temporary, err);
}
CTL_COMMAND("flow.reset", flow_ctl_reset, "name [props] [temporary]");

static void flowprop_list(json_t *arr, const struct vsw_flow *f,
			  uint32_t mask)
{
	char val[64];

	for (int id = 0; id < FLOW_P_COUNT; id++) {
		if (!(mask & (1u << id)))
			continue;
		flow_prop_format(&f->props, id, val, sizeof(val));
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:s, s:s, s:s}", "flow", f->name,
			"property", flow_prop_name(id), "value", val,
			"default", flow_prop_default_str(id),
			"possible", flow_prop_possible_str(id)));
	}
}

static int flowprop_ctl_get(struct vswd *d, json_t *params, json_t **result,
			    struct rpc_error *err)
{
	const char *name, *link;
	uint32_t mask;
	json_t *arr;
	int rc = flow_ctl_filter(d, params, &name, &link, err);

	if (rc == 0)
		rc = flow_ctl_prop_names(params, &mask, err);
	if (rc < 0)
		return rc;
	arr = json_array();
	for (struct vsw_flow *f = d->flows ? d->flows->list : NULL; f;
	     f = f->next)
		if (flow_selected(f, name, link))
			flowprop_list(arr, f, mask);
	*result = json_pack("{s:o}", "props", arr);
	return 0;
}
CTL_COMMAND("flowprop.get", flowprop_ctl_get, "[name] [link] [props]");
