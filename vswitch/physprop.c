/*
 * A phys link's own properties (vswitchd.h "physprop.c"): pmd, the PMD
 * that polls its uplink. dladm sets properties on a physical link whether
 * or not anything is over it, and vswitchd attaches a phys link only
 * while a VNIC (or a flow) uses it, so the settings are kept by name,
 * apart from the attachment: in effect (props) and persistent (saved,
 * written to config.json's "phys" array), and applied when the link
 * attaches (place.c reads them). Set through vnic.set / vnic.reset on a
 * phys link's name (vnicprop.c); the checks are the VNICs' (the property
 * parsed by lib/linkprop.c, the PMD checked by place_check_pin()).
 */
#include <stdlib.h>
#include <string.h>

#include "xvm/log.h"
#include "xvm/vswctl.h"	/* vswctl_saved_props() */
#include "control.h"
#include "vswitchd.h"

#define PHYSPROP_OK	(1u << LINKPROP_PMD)	/* what a phys link takes */

static struct vsw_physprop *physprop_find(const struct vswd *d,
					  const char *name)
{
	for (struct vsw_physprop *p = d->physprops; p; p = p->next)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

const struct link_props *physprop_props(const struct vswd *d,
					const char *name)
{
	const struct vsw_physprop *p = physprop_find(d, name);

	return p ? &p->props : NULL;
}

const struct link_props *physprop_saved(const struct vswd *d,
					const char *name)
{
	const struct vsw_physprop *p = physprop_find(d, name);

	return p ? &p->saved : NULL;
}

/* The entry of name, made empty if there is none; NULL out of memory. */
static struct vsw_physprop *physprop_get(struct vswd *d, const char *name)
{
	struct vsw_physprop *p = physprop_find(d, name);

	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	link_props_init(&p->props);
	link_props_init(&p->saved);
	p->next = d->physprops;
	d->physprops = p;
	return p;
}

/* An entry with nothing set in effect or saved is dropped. */
static void physprop_trim(struct vswd *d)
{
	for (struct vsw_physprop **pp = &d->physprops; *pp;) {
		struct vsw_physprop *p = *pp;

		if ((p->props.set | p->saved.set) & PHYSPROP_OK) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		free(p);
	}
}

void physprops_destroy_all(struct vswd *d)
{
	while (d->physprops) {
		struct vsw_physprop *p = d->physprops;

		d->physprops = p->next;
		free(p);
	}
}

bool physprop_target(struct vswd *d, const char *name)
{
	const struct vsw_link *l = link_find(d, name);

	if (l)
		return l->cls == VSW_LINK_PHYS;
	return !vnic_find(d, name) && !persist_is_dormant(d, name) &&
	       linkname_valid(name) && phys_check(name) == 0;
}

/* The uplink of name (attached) where run puts it, now. */
static void physprop_apply(struct vswd *d, const char *name,
			   const struct link_props *old)
{
	const struct link_props *run = physprop_props(d, name);
	const struct vsw_link *l = link_find(d, name);
	bool was = (old->set & PHYSPROP_OK) && old->pmd < d->npmds;
	bool now = run && (run->set & PHYSPROP_OK) && run->pmd < d->npmds;

	if (!l || !l->uplink || (was == now && (!now || old->pmd == run->pmd)))
		return;
	place_rebalance(d, was && !now ? l->uplink : NULL);
	log_info("link %s: uplink on PMD %u%s", name, l->uplink->pmd,
		 now ? " (pinned)" : "");
}

int physprop_set(struct vswd *d, const char *name, json_t *props,
		 bool temporary, struct rpc_error *err)
{
	struct vsw_physprop *p;
	struct link_props run, saved, old;
	const char *key;
	json_t *val;
	int rc;

	if (!props)
		return rpc_errorf(err, EINVAL, "missing parameter 'props'");
	if (!json_is_object(props))
		return rpc_errorf(err, EINVAL, "parameter 'props' must be an object");
	json_object_foreach(props, key, val)
		if (linkprop_lookup(key) >= 0 &&
		    !((1u << linkprop_lookup(key)) & PHYSPROP_OK))
			return rpc_errorf(err, ENOTSUP, "operation not supported");
	p = physprop_get(d, name);
	if (!p)
		return rpc_errorf(err, ENOMEM, "out of memory");
	old = run = p->props;
	saved = p->saved;
	rc = ctl_props(props, &run, err);
	if (rc == 0 && !temporary)
		rc = ctl_props(props, &saved, err);
	if (rc == 0)
		rc = place_check_pin(d, &run, err);
	if (rc < 0) {
		physprop_trim(d);
		return rc;
	}
	p->props = run;
	if (!temporary) {
		p->saved = saved;
		persist_changed(d);
	}
	physprop_apply(d, name, &old);
	return 0;
}

int physprop_reset(struct vswd *d, const char *name, uint32_t mask,
		   bool temporary, struct rpc_error *err)
{
	struct vsw_physprop *p = physprop_find(d, name);
	struct link_props old;
	char perr[LINKPROP_ERRLEN];

	if (mask != (1u << LINKPROP_COUNT) - 1 && (mask & ~PHYSPROP_OK))
		return rpc_errorf(err, ENOTSUP, "operation not supported");
	if (!p)
		return 0;
	old = p->props;
	linkprop_reset(&p->props, "pmd", perr);
	if (!temporary) {
		if (p->saved.set & PHYSPROP_OK)
			persist_changed(d);
		linkprop_reset(&p->saved, "pmd", perr);
	}
	physprop_apply(d, name, &old);
	physprop_trim(d);
	return 0;
}

json_t *physprop_persist_json(const struct vswd *d)
{
	json_t *arr = json_array();

	for (const struct vsw_physprop *p = d->physprops; arr && p; p = p->next)
		if (p->saved.set & PHYSPROP_OK)
			json_array_append_new(arr, json_pack("{s:s, s:o}",
				"name", p->name, "props",
				vswctl_saved_props(&p->saved)));
	return arr;
}

/* One saved entry: a bad one is logged and skipped. */
static void physprop_restore_one(struct vswd *d, json_t *e)
{
	const char *name = json_string_value(json_object_get(e, "name"));
	json_t *props = json_object_get(e, "props"), *val;
	struct link_props saved;
	struct vsw_physprop *p;
	char perr[LINKPROP_ERRLEN] = "";
	const char *key;

	if (!name || !linkname_valid(name) || !json_is_object(props)) {
		log_err("persist: phys entry %s skipped: no valid 'name' and "
			"'props'", name ? name : "?");
		return;
	}
	link_props_init(&saved);
	json_object_foreach(props, key, val) {
		int id = linkprop_lookup(key);

		if (id < 0 || !((1u << id) & PHYSPROP_OK) ||
		    !json_is_string(val) ||
		    linkprop_set(&saved, key, json_string_value(val), perr) < 0)
			log_err("persist: phys %s: property %s ignored%s%s",
				name, key, perr[0] ? ": " : "", perr);
	}
	if (!(saved.set & PHYSPROP_OK) || !(p = physprop_get(d, name)))
		return;
	p->props = p->saved = saved;
	if (saved.pmd >= d->npmds)
		log_warn("link %s: pmd %u not applied: vswitchd runs %u "
			 "PMD(s)", name, saved.pmd, d->npmds);
}

void physprop_restore(struct vswd *d, json_t *arr)
{
	size_t i;
	json_t *e;

	if (arr && !json_is_array(arr)) {
		log_err("persist: 'phys' is not an array; ignored");
		return;
	}
	json_array_foreach(arr, i, e)
		physprop_restore_one(d, e);
}
