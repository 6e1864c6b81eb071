/*
 * set-linkprop, reset-linkprop and show-linkprop (REFERENCE.md "dladm ->
 * vnicadm") for maxbw, priority, protection, allowed-ips and mtu, checked
 * with lib/linkprop.c before vnic.set, vnic.reset and linkprop.get
 * (lib/vswctl).
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

/* After vnic.set or vnic.reset failed: word vswitchd's refusal like
 * dladm. */
static int vn_prop_fail(struct vnicadm *v, const char *verb,
			const char *prop, unsigned count, const char *link)
{
	const char *msg;
	int ret = vn_vsw_error(v);

	if (ret != 2)
		return ret;
	msg = vswctl_error(v->h)->message;
	if (vn_msg_standalone(msg))
		return vn_fail(v, "%s", msg);
	if (count == 1)
		return vn_fail(v, "cannot %s link property '%s' on '%s': %s",
			       verb, prop, link, msg);
	return vn_fail(v, "cannot %s link properties on '%s': %s", verb,
		       link, msg);
}

static int set_linkprop(struct vnicadm *v, const struct cli_opts *o,
			const char *link)
{
	char err[LINKPROP_ERRLEN], bad[LINKNAME_MAX * 2];
	struct vn_props props;
	struct vswctl *h;
	int ret = 1;

	if (vn_props_parse(o->val['p'], &props, err, sizeof(err), bad,
			   sizeof(bad)) < 0) {
		if (vn_msg_standalone(err) || !bad[0])
			ret = vn_fail(v, "%s", err);
		else
			ret = vn_fail(v, "cannot set link property '%s' on "
				      "'%s': %s", bad, link, err);
		goto fail;
	}
	if (o->val['R']) {
		ret = vn_root_linkprop(v, o->val['R'], link, &props.p, NULL, 0);
		goto fail;
	}
	h = vn_handle(v);
	if (!h)
		goto fail;
	ret = 0;
	if (vswctl_linkprop_set(h, link, &props.p, o->val['t'] != NULL) < 0)
		ret = vn_prop_fail(v, "set", bad, props.p.n, link);
fail:
	vn_props_free(&props);
	return ret;
}

static int set_linkprop_cmd(struct vnicadm *v, const struct cli_opts *o,
			    const char *link)
{
	if (vn_root_check(v, o))
		return 1;
	if (!o->val['p'])
		return vn_fail(v, "link property must be specified");
	return set_linkprop(v, o, link);
}

int cmd_set_linkprop(struct cli *c, int argc, char **argv)
{
	return vn_link_cmd(vn_of(c), argc, argv, "tp:R:", "p", set_linkprop_cmd);
}

static int reset_linkprop(struct vnicadm *v, const struct cli_opts *o,
			  const char *link)
{
	char err[LINKPROP_ERRLEN];
	struct vn_names names = { .n = 0 };
	struct vswctl *h;
	int ret = 1;

	if (vn_root_check(v, o))
		return 1;
	if (o->val['p'] && vn_propnames_parse(o->val['p'], &names, err,
					      sizeof(err)) < 0) {
		ret = vn_fail(v, "%s", err);
		goto fail;
	}
	if (o->val['R']) {
		ret = vn_root_linkprop(v, o->val['R'], link, NULL, names.name,
				       names.n);
		goto fail;
	}
	h = vn_handle(v);
	if (!h)
		goto fail;
	ret = 0;
	if (vswctl_linkprop_reset(h, link, names.name, names.n,
				  o->val['t'] != NULL) < 0)
		ret = vn_prop_fail(v, "reset", names.n ? names.name[0] : "",
				   names.n, link);
fail:
	vn_names_free(&names);
	return ret;
}

int cmd_reset_linkprop(struct cli *c, int argc, char **argv)
{
	return vn_link_cmd(vn_of(c), argc, argv, "tp:R:", "p", reset_linkprop);
}

/* -c is show-linkprop's -p: the same rules, its own letter. */
static int show_linkprop_args(struct vnicadm *v, const struct cli_opts *o,
			      int argc, char **argv, struct vn_show *s)
{
	char err[LINKPROP_ERRLEN];

	if (o->optind < argc - 1)
		return vn_usage(v);
	if (o->val['c'] && !o->val['o'])
		return vn_fail(v, "-c requires -o");
	if (o->val['c'] && strcasecmp(o->val['o'], "all") == 0)
		return vn_fail(v, "\"-o all\" is invalid with -c");
	if (o->val['p']) {
		if (vn_propnames_parse(o->val['p'], &s->props, err,
				       sizeof(err)) < 0)
			return vn_fail(v, "%s", err);
		s->q.props = s->props.name;
		s->q.nprops = s->props.n;
	}
	s->q.persistent = o->val['P'] != NULL;
	return vn_show_operand(v, o, argc, argv, s, true);
}

int cmd_show_linkprop(struct cli *c, int argc, char **argv)
{
	static const struct vn_show_cmd cmd = {
		"Pco:p:", "p", 'c', show_linkprop_args,
	};
	struct vn_show s = {
		.list = vswctl_linkprop_get, .what = "link",
		.name_key = "link", .table = VN_T_LINKPROP,
	};

	return vn_show_run(vn_of(c), argc, argv, &cmd, &s);
}
