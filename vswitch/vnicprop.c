/*
 * VNIC properties over the control socket (docs/vswitchd-control.md
 * "vnic.set / vnic.reset", "linkprop.get"): the methods parse and check,
 * vnic_apply_props() puts the result in effect. Properties set without
 * "temporary" are saved (for a persistent VNIC). The same methods set a
 * phys link's own property, pmd (physprop.c).
 */
#include <string.h>

#include "control.h"
#include "vswitchd.h"

/* The VNIC a set/reset names, or (*v NULL) the phys link *name. */
static int vnicprop_target(struct vswd *d, json_t *params, struct vsw_vnic **v,
			   const char **name, bool *temporary,
			   struct rpc_error *err)
{
	int rc = ctl_name_temp(params, name, temporary, err);

	if (rc < 0)
		return rc;
	*v = vnic_find(d, *name);
	if (*v || physprop_target(d, *name))
		return 0;
	return link_find(d, *name) ?
		rpc_errorf(err, ENOTSUP, "operation not supported") :
		rpc_errorf(err, ENOENT, "object not found");
}

/* Apply run (and saved unless temporary); saved ones of a persistent
 * VNIC are to be written. */
static int vnicprop_apply(struct vswd *d, struct vsw_vnic *v,
			  const struct link_props *run,
			  const struct link_props *saved, bool temporary,
			  struct rpc_error *err)
{
	int rc = vnic_apply_props(d, v, run, temporary ? NULL : saved, err);

	if (rc == 0 && !temporary && !v->temporary)
		persist_changed(d);
	return rc;
}

static int vnicprop_ctl_set(struct vswd *d, json_t *params,
			    json_t **result UNUSED, struct rpc_error *err)
{
	struct vsw_vnic *v;
	struct link_props run, saved;
	json_t *props = json_object_get(params, "props");
	const char *name;
	bool temporary;
	int rc = vnicprop_target(d, params, &v, &name, &temporary, err);

	if (rc < 0)
		return rc;
	if (!v)
		return physprop_set(d, name, props, temporary, err);
	if (!props)
		return rpc_errorf(err, EINVAL, "missing parameter 'props'");
	run = v->props;
	saved = v->saved;
	rc = ctl_props(props, &run, err);
	if (rc == 0 && !temporary)
		rc = ctl_props(props, &saved, err);
	if (rc == 0)
		rc = place_check_pin(d, &run, err);
	if (rc < 0)
		return rc;
	return vnicprop_apply(d, v, &run, &saved, temporary, err);
}
CTL_COMMAND("vnic.set", vnicprop_ctl_set, "name props [temporary]");

static void vnicprop_reset_mask(struct link_props *p, uint32_t mask)
{
	char perr[LINKPROP_ERRLEN];

	for (int id = 0; id < LINKPROP_COUNT; id++)
		if (mask & (1u << id))
			linkprop_reset(p, linkprop_name(id), perr);
}

static int vnicprop_ctl_reset(struct vswd *d, json_t *params,
			      json_t **result UNUSED, struct rpc_error *err)
{
	struct vsw_vnic *v;
	struct link_props run, saved;
	const char *name;
	uint32_t mask;
	bool temporary;
	int rc = vnicprop_target(d, params, &v, &name, &temporary, err);

	if (rc == 0)
		rc = ctl_prop_names(params, &mask, err);
	if (rc < 0)
		return rc;
	if (!v)
		return physprop_reset(d, name, mask, temporary, err);
	run = v->props;
	saved = v->saved;
	vnicprop_reset_mask(&run, mask);
	vnicprop_reset_mask(&saved, mask);
	return vnicprop_apply(d, v, &run, &saved, temporary, err);
}
CTL_COMMAND("vnic.reset", vnicprop_ctl_reset, "name [props] [temporary]");

static json_t *vnicprop_json(const char *link, const struct link_props *p,
			     int id, bool writable)
{
	char val[512] = "";

	if (p->set & (1u << id))
		linkprop_format(p, id, val, sizeof(val));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "link", link,
			 "property", linkprop_name(id), "perm", writable ? "rw" : "r-",
			 "value", val, "default", linkprop_default_str(id),
			 "possible", linkprop_possible_str(id));
}

/* rw: the properties that can be set on it (a mask of ids). */
static void vnicprop_list(json_t *arr, const char *link,
			  const struct link_props *p, uint32_t mask, uint32_t rw)
{
	for (int id = 0; id < LINKPROP_COUNT; id++)
		if (mask & (1u << id))
			json_array_append_new(arr, vnicprop_json(link, p, id,
						rw & (1u << id)));
}

/* A phys link's: its own (pmd) settable, the rest read-only and unset. */
static void vnicprop_list_phys(struct vswd *d, json_t *arr, const char *name,
			       uint32_t mask, bool persistent)
{
	const struct link_props *p = persistent ? physprop_saved(d, name) :
						  physprop_props(d, name);
	struct link_props none;

	link_props_init(&none);
	vnicprop_list(arr, name, p ? p : &none, mask, 1u << LINKPROP_PMD);
}

/* The VNICs' properties: running values, or with persistent those of
 * the saved configuration (VNICs deleted with -t included). */
static void vnicprop_list_vnics(struct vswd *d, json_t *arr, const char *name,
				uint32_t mask, json_t *saved)
{
	struct link_props p;
	size_t i;
	json_t *e;

	if (!saved) {
		for (struct vsw_vnic *v = d->vnics; v; v = v->next)
			if (!name || !strcmp(name, v->name))
				vnicprop_list(arr, v->name, &v->props, mask,
					      ~0u);
		return;
	}
	json_array_foreach(saved, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));

		if (!n || (name && strcmp(name, n)))
			continue;
		persist_vnic_props(e, &p);
		vnicprop_list(arr, n, &p, mask, ~0u);
	}
}

static int vnicprop_ctl_get(struct vswd *d, json_t *params, json_t **result,
			    struct rpc_error *err)
{
	struct link_props none;
	const char *name;
	uint32_t mask;
	bool persistent;
	json_t *arr, *saved = NULL;
	int rc = ctl_str(params, "name", false, &name, err);

	if (rc == 0)
		rc = ctl_prop_names(params, &mask, err);
	if (rc == 0)
		rc = ctl_bool(params, "persistent", &persistent, err);
	if (rc < 0)
		return rc;
	if (persistent && !(saved = persist_vnics(d)))
		return rpc_errorf(err, ENOMEM, "out of memory");
	if (name && !link_find(d, name) &&
	    !(saved ? persist_vnic_find(saved, name) != NULL :
		      vnic_find(d, name) != NULL) &&
	    !physprop_target(d, name)) {
		json_decref(saved);
		return rpc_errorf(err, ENOENT, "object not found");
	}
	link_props_init(&none);
	arr = json_array();
	/* etherstubs carry no settable properties of their own; phys links
	 * pmd: attached ones, those named, and those with one set */
	for (struct vsw_link *l = d->links; l; l = l->next) {
		if ((name && strcmp(name, l->name)) ||
		    (persistent && l->temporary))
			continue;
		if (l->cls == VSW_LINK_PHYS)
			vnicprop_list_phys(d, arr, l->name, mask, persistent);
		else
			vnicprop_list(arr, l->name, &none, mask, 0);
	}
	if (name && !link_find(d, name) && !vnic_find(d, name) &&
	    !(saved && persist_vnic_find(saved, name)))
		vnicprop_list_phys(d, arr, name, mask, persistent);
	for (const struct vsw_physprop *p = name ? NULL : d->physprops; p;
	     p = p->next)
		if (!link_find(d, p->name) &&
		    (!persistent || (p->saved.set & (1u << LINKPROP_PMD))))
			vnicprop_list_phys(d, arr, p->name, mask, persistent);
	vnicprop_list_vnics(d, arr, name, mask, saved);
	json_decref(saved);
	*result = json_pack("{s:o}", "props", arr);
	return 0;
}
CTL_COMMAND("linkprop.get", vnicprop_ctl_get, "[name] [props] [persistent]");
