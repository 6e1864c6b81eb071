/*
 * set-linkprop, reset-linkprop and show-linkprop (REFERENCE.md "dladm ->
 * vnicadm") for maxbw, priority, protection, allowed-ips and mtu, checked
 * with lib/linkprop.c before vnic.set, vnic.reset and linkprop.get.
 */
#include <string.h>
#include <strings.h>

#include "vnicadm.h"
#include "xvm/linkprop.h"

/* Messages that name the property themselves are printed alone, as
 * dladm prints them; others get "cannot set link property ...". */
static bool vn_msg_standalone(const char *msg)
{
	return strncmp(msg, "invalid link property", 21) == 0 ||
	       strncmp(msg, "link property", 13) == 0;
}

static int vn_add_temporary(struct vnicadm *v, const struct vn_opts *o,
			    json_t *params)
{
	if (o->val['t'] &&
	    json_object_set_new(params, "temporary", json_true()) < 0)
		return vn_fail(v, "out of memory");
	return 0;
}

/* Send vnic.set or vnic.reset; word vswitchd's refusal like dladm. */
static int vn_prop_call(struct vnicadm *v, const char *method,
			json_t *params, const char *verb, const char *prop,
			unsigned count, const char *link)
{
	struct rpc_error e;
	int ret = vn_call_raw(v, method, params, NULL, &e);

	if (ret != 2)
		return ret;
	if (vn_msg_standalone(e.message))
		return vn_fail(v, "%s", e.message);
	if (count == 1)
		return vn_fail(v, "cannot %s link property '%s' on '%s': %s",
			       verb, prop, link, e.message);
	return vn_fail(v, "cannot %s link properties on '%s': %s", verb,
		       link, e.message);
}

static int set_linkprop(struct vnicadm *v, const struct vn_opts *o,
			const char *link)
{
	char err[LINKPROP_ERRLEN], bad[LINKNAME_MAX * 2];
	json_t *props, *params;
	unsigned n;

	if (vn_props_object(o->val['p'], &props, err, sizeof(err), bad,
			    sizeof(bad), &n) < 0) {
		if (vn_msg_standalone(err) || !bad[0])
			return vn_fail(v, "%s", err);
		return vn_fail(v, "cannot set link property '%s' on '%s': %s",
			       bad, link, err);
	}
	params = json_pack("{ssso}", "name", link, "props", props);
	if (!params || vn_add_temporary(v, o, params)) {
		json_decref(params);
		return vn_fail(v, "out of memory");
	}
	return vn_prop_call(v, "vnic.set", params, "set", bad, n, link);
}

static int set_linkprop_cmd(struct vnicadm *v, const struct vn_opts *o,
			    const char *link)
{
	if (!o->val['p'])
		return vn_fail(v, "link property must be specified");
	return set_linkprop(v, o, link);
}

int cmd_set_linkprop(struct vnicadm *v, int argc, char **argv)
{
	return vn_link_cmd(v, argc, argv, "tp:", "p", set_linkprop_cmd);
}

static int reset_linkprop(struct vnicadm *v, const struct vn_opts *o,
			  const char *link)
{
	char err[LINKPROP_ERRLEN];
	json_t *names = NULL, *params;
	const char *first = "";
	unsigned n = 0;

	if (o->val['p']) {
		if (vn_propnames_array(o->val['p'], &names, err,
				       sizeof(err)) < 0)
			return vn_fail(v, "%s", err);
		n = (unsigned)json_array_size(names);
		first = json_string_value(json_array_get(names, 0));
	}
	params = json_pack("{ss}", "name", link);
	if (!params || (names && json_object_set(params, "props", names)) ||
	    vn_add_temporary(v, o, params)) {
		json_decref(names);
		json_decref(params);
		return vn_fail(v, "out of memory");
	}
	/* first stays valid: params holds names */
	json_decref(names);
	return vn_prop_call(v, "vnic.reset", params, "reset", first, n, link);
}

int cmd_reset_linkprop(struct vnicadm *v, int argc, char **argv)
{
	return vn_link_cmd(v, argc, argv, "tp:", "p", reset_linkprop);
}

/* -c is show-linkprop's -p: the same rules, its own letter. */
static int show_linkprop_args(struct vnicadm *v, const struct vn_opts *o,
			      int argc, char **argv, struct vn_show *s)
{
	char err[LINKPROP_ERRLEN];
	json_t *names;

	if (o->optind < argc - 1)
		return vn_usage(v);
	if (o->val['c'] && !o->val['o'])
		return vn_fail(v, "-c requires -o");
	if (o->val['c'] && strcasecmp(o->val['o'], "all") == 0)
		return vn_fail(v, "\"-o all\" is invalid with -c");
	if (o->val['p']) {
		if (vn_propnames_array(o->val['p'], &names, err,
				       sizeof(err)) < 0)
			return vn_fail(v, "%s", err);
		if (json_object_set_new(s->params, "props", names) < 0)
			return vn_fail(v, "out of memory");
	}
	return vn_show_operand(v, o, argc, argv, s, true);
}

int cmd_show_linkprop(struct vnicadm *v, int argc, char **argv)
{
	static const struct vn_show_cmd c = {
		"Pco:p:", "p", 'c', show_linkprop_args,
	};
	struct vn_show s = {
		.method = "linkprop.get", .key = "props", .what = "link",
		.name_key = "link", .table = VN_T_LINKPROP,
	};

	return vn_show_run(v, argc, argv, &c, &s);
}
