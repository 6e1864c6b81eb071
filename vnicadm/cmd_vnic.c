/*
 * create-vnic, delete-vnic and show-vnic (REFERENCE.md "dladm ->
 * vnicadm"). Everything is checked here first, with the messages vswitchd
 * would give, and only then sent (vnic.create, vnic.delete, vnic.list).
 * `-k host|guest` is an xvm extension: guest VNICs are normally made by
 * xvmd, but tests and administrators may make one by hand.
 */
#include <string.h>

#include "vnicadm.h"
#include "xvm/linkprop.h"
#include "xvm/mac.h"

#define HOST_IFNAME_MAX	16	/* kernel interface names (IFNAMSIZ) */

static int vn_set(struct vnicadm *v, json_t *obj, const char *key,
		  json_t *val)
{
	if (json_object_set_new(obj, key, val) < 0)
		return vn_fail(v, "out of memory");
	return 0;
}

/* -k: the kind, and the name rule that comes with it. */
static int vnic_kind(struct vnicadm *v, const struct vn_opts *o,
		     const char *name, json_t *params)
{
	const char *kind = o->val['k'] ? o->val['k'] : "host";

	if (strcmp(kind, "host") != 0 && strcmp(kind, "guest") != 0)
		return vn_fail(v, "invalid VNIC kind '%.32s': must be host "
			       "or guest", kind);
	if (strcmp(kind, "host") == 0 && strlen(name) >= HOST_IFNAME_MAX)
		return vn_fail(v, "invalid link name '%s': host VNIC names "
			       "are shorter than %d characters", name,
			       HOST_IFNAME_MAX);
	return vn_set(v, params, "kind", json_string(kind));
}

/* -m auto|random|MAC and -r prefix. */
static int vnic_mac(struct vnicadm *v, const struct vn_opts *o,
		    json_t *params)
{
	const char *m = o->val['m'] ? o->val['m'] : "auto";
	const char *r = o->val['r'];
	struct mac_addr mac;
	char buf[MAC_STRLEN];
	uint8_t prefix[MAC_LEN - 1];
	size_t plen;
	bool generated = !strcmp(m, "auto") || !strcmp(m, "random");

	if (!generated) {
		if (mac_parse(m, &mac) < 0 || !mac_is_unicast(&mac))
			return vn_fail(v, "invalid MAC address '%.32s'", m);
		m = mac_format(&mac, buf);
	}
	if (r && !generated)
		return vn_usage_fail(v, "the option -r can be used only with "
				     "-m random or -m auto");
	if (r && (mac_parse_prefix(r, prefix, &plen) < 0 || (prefix[0] & 1)))
		return vn_fail(v, "invalid MAC address prefix '%.32s'", r);
	if (vn_set(v, params, "mac", json_string(m)))
		return 1;
	return r ? vn_set(v, params, "mac_prefix", json_string(r)) : 0;
}

/* -v vid and -p props. */
static int vnic_vid_props(struct vnicadm *v, const struct vn_opts *o,
			  const char *link, json_t *params)
{
	char err[LINKPROP_ERRLEN], bad[LINKNAME_MAX * 2];
	json_t *props;
	unsigned n;
	uint16_t vid;

	if (o->val['v']) {
		if (vid_parse(o->val['v'], &vid) < 0)
			return vn_fail(v, "invalid VLAN identifier '%.32s'",
				       o->val['v']);
		if (vn_set(v, params, "vid", json_integer(vid)))
			return 1;
	}
	if (!o->val['p'])
		return 0;
	if (vn_props_object(o->val['p'], &props, err, sizeof(err), bad,
			    sizeof(bad), &n) < 0)
		return vn_fail(v, "vnic creation over %s failed: %s", link,
			       err);
	return vn_set(v, params, "props", props);
}

static int vnic_create_params(struct vnicadm *v, const struct vn_opts *o,
			      const char *name, json_t *params)
{
	const char *link = o->val['l'];

	if (vn_check_link(v, name) || vn_check_link(v, link))
		return 1;
	if (vn_set(v, params, "name", json_string(name)) ||
	    vn_set(v, params, "link", json_string(link)))
		return 1;
	if (vnic_kind(v, o, name, params) || vnic_mac(v, o, params) ||
	    vnic_vid_props(v, o, link, params))
		return 1;
	if (o->val['t'])
		return vn_set(v, params, "temporary", json_true());
	return 0;
}

int cmd_create_vnic(struct vnicadm *v, int argc, char **argv)
{
	struct vn_opts o;
	json_t *params = NULL;
	char ctx[128];
	int ret = 1;

	if (vn_opts_parse(v, argc, argv, "tl:m:r:v:p:k:", "p", &o))
		goto fail;
	if (o.optind != argc - 1) {
		ret = vn_usage(v);
		goto fail;
	}
	if (!o.val['l']) {
		ret = vn_usage_fail(v, "option '-l' is required");
		goto fail;
	}
	params = json_object();
	if (!params) {
		ret = vn_fail(v, "out of memory");
		goto fail;
	}
	ret = vnic_create_params(v, &o, argv[o.optind], params);
	if (ret)
		goto fail;
	snprintf(ctx, sizeof(ctx), "vnic creation over %s failed",
		 o.val['l']);
	ret = vn_call(v, "vnic.create", params, NULL, ctx);
	params = NULL;
fail:
	json_decref(params);
	vn_opts_free(&o);
	return ret;
}

static int delete_vnic(struct vnicadm *v, const struct vn_opts *o,
		       const char *name)
{
	struct rpc_error e;
	json_t *params = json_pack("{ss}", "name", name);
	int ret;

	if (!params || (o->val['t'] &&
			vn_set(v, params, "temporary", json_true()))) {
		json_decref(params);
		return vn_fail(v, "out of memory");
	}
	ret = vn_call_raw(v, "vnic.delete", params, NULL, &e);
	/* "'x' is not a vnic" stands alone, as in dladm */
	if (ret == 2 && strstr(e.message, "is not a vnic"))
		ret = vn_fail(v, "%s", e.message);
	else if (ret == 2)
		ret = vn_fail(v, "vnic deletion failed: %s", e.message);
	return ret;
}

int cmd_delete_vnic(struct vnicadm *v, int argc, char **argv)
{
	return vn_link_cmd(v, argc, argv, "t", "", delete_vnic);
}

/* show-vnic options into params and the show description. */
static int show_vnic_args(struct vnicadm *v, const struct vn_opts *o,
			  int argc, char **argv, struct vn_show *s)
{
	if (o->optind < argc - 1)
		return vn_usage(v);
	if (vn_show_stats(v, o, s, VN_T_VNIC, VN_T_VNIC_STATS))
		return 1;
	if (o->val['l']) {
		if (vn_check_link(v, o->val['l']) ||
		    vn_set(v, s->params, "link", json_string(o->val['l'])))
			return 1;
	}
	s->persistent_only = o->val['P'] != NULL;
	return vn_show_operand(v, o, argc, argv, s, true);
}

int cmd_show_vnic(struct vnicadm *v, int argc, char **argv)
{
	static const struct vn_show_cmd c = {
		"pPl:si:o:", "", 'p', show_vnic_args,
	};
	struct vn_show s = {
		.method = "vnic.list", .key = "vnics", .what = "vnic",
	};

	return vn_show_run(v, argc, argv, &c, &s);
}
