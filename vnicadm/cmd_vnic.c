/*
 * create-vnic, delete-vnic and show-vnic (REFERENCE.md "dladm ->
 * vnicadm"). Everything is checked here first, with the messages vswitchd
 * would give, and only then sent (vswctl: vnic.create, vnic.delete,
 * vnic.list).
 * `-k host|guest` is an xvm extension: guest VNICs are normally made by
 * xvmd, but tests and administrators may make one by hand.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vnicadm.h"
#include "xvm/linkprop.h"
#include "xvm/mac.h"

#define HOST_IFNAME_MAX	16	/* kernel interface names (IFNAMSIZ) */

/* create-vnic's request, and the storage its strings point into. */
struct vnic_req {
	struct vswctl_vnic_spec spec;
	struct vn_props props;
	char mac[MAC_STRLEN];
};

/* -k: the kind, and the name rule that comes with it. */
static int vnic_kind(struct vnicadm *v, const struct cli_opts *o,
		     struct vnic_req *r)
{
	const char *kind = o->val['k'] ? o->val['k'] : "host";

	if (strcmp(kind, "host") != 0 && strcmp(kind, "guest") != 0)
		return vn_fail(v, "invalid VNIC kind '%.32s': must be host "
			       "or guest", kind);
	if (strcmp(kind, "host") == 0 &&
	    strlen(r->spec.name) >= HOST_IFNAME_MAX)
		return vn_fail(v, "invalid link name '%s': host VNIC names "
			       "are shorter than %d characters", r->spec.name,
			       HOST_IFNAME_MAX);
	r->spec.kind = kind;
	return 0;
}

/* -m factory [-n slot]: vswitchd decides (no link has factory slots
 * on Linux: "factory MAC address slots not supported"). */
static int vnic_factory(struct vnicadm *v, const struct cli_opts *o,
			struct vnic_req *req)
{
	const char *n = o->val['n'];
	char *end;
	long slot;

	if (o->val['r'])
		return vn_usage_fail(v, "the option -r can be used only with "
				     "-m random or -m auto");
	if (n) {
		errno = 0;
		slot = strtol(n, &end, 10);
		if (errno || end == n || *end || slot < 1 || slot > 255)
			return vn_fail(v, "invalid factory MAC address slot "
				       "'%.32s'", n);
		req->spec.mac_slot = (int)slot;
	}
	req->spec.mac = "factory";
	return 0;
}

/* -m auto|random|factory|MAC, -r prefix and -n slot. */
static int vnic_mac(struct vnicadm *v, const struct cli_opts *o,
		    struct vnic_req *req)
{
	const char *m = o->val['m'] ? o->val['m'] : "auto";
	const char *r = o->val['r'];
	struct mac_addr mac;
	uint8_t prefix[MAC_LEN - 1];
	size_t plen;
	bool generated = !strcmp(m, "auto") || !strcmp(m, "random");

	if (strcmp(m, "factory") == 0)
		return vnic_factory(v, o, req);
	if (o->val['n'])
		return vn_usage_fail(v, "the option -n can be used only with "
				     "-m factory");
	/* dladm: a fixed MAC is given by its value, not the keyword */
	if (strcmp(m, "fixed") == 0)
		return vn_fail(v, "'fixed' is not a valid MAC address");
	if (!generated) {
		if (mac_parse(m, &mac) < 0 || !mac_is_unicast(&mac))
			return vn_fail(v, "invalid MAC address '%.32s'", m);
		m = mac_format(&mac, req->mac);
	}
	if (r && !generated)
		return vn_usage_fail(v, "the option -r can be used only with "
				     "-m random or -m auto");
	if (r && (mac_parse_prefix(r, prefix, &plen) < 0 || (prefix[0] & 1)))
		return vn_fail(v, "invalid MAC address prefix '%.32s'", r);
	req->spec.mac = m;
	req->spec.mac_prefix = r;
	return 0;
}

/* -v vid and -p props. */
static int vnic_vid_props(struct vnicadm *v, const struct cli_opts *o,
			  struct vnic_req *r)
{
	char err[LINKPROP_ERRLEN], bad[LINKNAME_MAX * 2];

	if (o->val['v'] && vid_parse(o->val['v'], &r->spec.vid) < 0)
		return vn_fail(v, "invalid VLAN identifier '%.32s'",
			       o->val['v']);
	if (!o->val['p'])
		return 0;
	if (vn_props_parse(o->val['p'], &r->props, err, sizeof(err), bad,
			   sizeof(bad)) < 0)
		return vn_fail(v, "vnic creation over %s failed: %s",
			       r->spec.link, err);
	r->spec.props = &r->props.p;
	return 0;
}

static int vnic_create_req(struct vnicadm *v, const struct cli_opts *o,
			   const char *name, struct vnic_req *r)
{
	r->spec.name = name;
	r->spec.link = o->val['l'];
	r->spec.temporary = o->val['t'] != NULL;
	if (vn_check_link(v, name) || vn_check_link(v, r->spec.link))
		return 1;
	return vnic_kind(v, o, r) || vnic_mac(v, o, r) ||
	       vnic_vid_props(v, o, r);
}

static int vnic_create(struct vnicadm *v, const struct cli_opts *o,
		       const char *name)
{
	struct vswctl *h = NULL;
	struct vnic_req r;
	char ctx[128];
	int ret;

	memset(&r, 0, sizeof(r));
	ret = vn_root_check(v, o) || vnic_create_req(v, o, name, &r);
	if (!ret && o->val['R']) {
		ret = vn_root_create_vnic(v, o->val['R'], &r.spec);
		vn_props_free(&r.props);
		return ret;
	}
	if (!ret && !(h = vn_handle(v)))
		ret = 1;
	if (!ret && vswctl_vnic_create(h, &r.spec, NULL) < 0) {
		snprintf(ctx, sizeof(ctx), "vnic creation over %s failed",
			 r.spec.link);
		ret = vn_vsw_fail(v, ctx);
	}
	vn_props_free(&r.props);
	return ret;
}

int cmd_create_vnic(struct cli *c, int argc, char **argv)
{
	struct vnicadm *v = vn_of(c);
	struct cli_opts o;
	int ret = 1;

	if (cli_opts_parse(c, argc, argv, "tl:m:n:r:v:p:k:R:", "p", &o))
		goto fail;
	if (o.optind != argc - 1)
		ret = vn_usage(v);
	else if (!o.val['l'])
		ret = vn_usage_fail(v, "option '-l' is required");
	else
		ret = vnic_create(v, &o, argv[o.optind]);
fail:
	cli_opts_free(&o);
	return ret;
}

static int delete_vnic(struct vnicadm *v, const struct cli_opts *o,
		       const char *name)
{
	struct vswctl *h;
	const char *msg;
	int ret;

	if (vn_root_check(v, o))
		return 1;
	if (o->val['R'])
		return vn_root_delete_vnic(v, o->val['R'], name);
	h = vn_handle(v);
	if (!h)
		return 1;
	if (vswctl_vnic_delete(h, name, o->val['t'] != NULL) == 0)
		return 0;
	ret = vn_vsw_error(v);
	if (ret != 2)
		return ret;
	msg = vswctl_error(h)->message;
	/* "'x' is not a vnic" stands alone, as in dladm */
	if (strstr(msg, "is not a vnic"))
		return vn_fail(v, "%s", msg);
	return vn_fail(v, "vnic deletion failed: %s", msg);
}

int cmd_delete_vnic(struct cli *c, int argc, char **argv)
{
	return vn_link_cmd(vn_of(c), argc, argv, "tR:", "", delete_vnic);
}

/* show-vnic options into the query and the show description. */
static int show_vnic_args(struct vnicadm *v, const struct cli_opts *o,
			  int argc, char **argv, struct vn_show *s)
{
	if (o->optind < argc - 1)
		return vn_usage(v);
	if (o->val['s'] && o->val['P'])
		return vn_fail(v, "the option -P cannot be used with -s");
	if (vn_show_stats(v, o, s, VN_T_VNIC, VN_T_VNIC_STATS))
		return 1;
	if (o->val['l']) {
		if (vn_check_link(v, o->val['l']))
			return 1;
		s->q.link = o->val['l'];
	}
	s->q.persistent = o->val['P'] != NULL;
	return vn_show_operand(v, o, argc, argv, s, true);
}

int cmd_show_vnic(struct cli *c, int argc, char **argv)
{
	static const struct vn_show_cmd cmd = {
		"pPl:si:o:", "", 'p', show_vnic_args,
	};
	struct vn_show s = {
		.list = vswctl_vnic_list, .what = "vnic",
	};

	return vn_show_run(vn_of(c), argc, argv, &cmd, &s);
}
