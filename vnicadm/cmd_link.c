/*
 * show-link and show-phys (REFERENCE.md "dladm -> vnicadm"): every link
 * vswitchd knows (link.list; with -s its counters, with -i repeated) and
 * the host's Ethernet interfaces (phys.list).
 */
#include "vnicadm.h"

static int show_link_args(struct vnicadm *v, const struct vn_opts *o,
			  int argc, char **argv, struct vn_show *s)
{
	if (o->optind < argc - 1)
		return vn_usage(v);
	if (o->val['i'] && !o->val['s'])
		return vn_usage_fail(v, "the option -i can be used only "
				     "with -s");
	if (o->val['i'] && vn_parse_interval(v, o->val['i'], &s->interval))
		return 1;
	if (o->optind == argc - 1) {
		s->name = argv[o->optind];
		if (vn_check_link(v, s->name))
			return 1;
		if (json_object_set_new(s->params, "name",
					json_string(s->name)) < 0)
			return vn_fail(v, "out of memory");
	}
	if (o->val['s'] &&
	    json_object_set_new(s->params, "stats", json_true()) < 0)
		return vn_fail(v, "out of memory");
	return 0;
}

int cmd_show_link(struct vnicadm *v, int argc, char **argv)
{
	struct vn_opts o;
	struct vn_show s = {
		.method = "link.list", .key = "links", .what = "link",
	};
	int ret = 1;

	if (vn_opts_parse(v, argc, argv, "pPsi:o:", "", &o))
		goto fail;
	s.params = json_object();
	if (!s.params) {
		ret = vn_fail(v, "out of memory");
		goto fail;
	}
	if (show_link_args(v, &o, argc, argv, &s))
		goto fail;
	s.table = o.val['s'] ? VN_T_LINK_STATS : VN_T_LINK;
	s.oarg = o.val['o'];
	s.parseable = o.val['p'] != NULL;
	ret = vn_show(v, &s);
fail:
	json_decref(s.params);
	vn_opts_free(&o);
	return ret;
}

int cmd_show_phys(struct vnicadm *v, int argc, char **argv)
{
	struct vn_opts o;
	struct vn_show s = {
		.method = "phys.list", .key = "phys", .what = "link",
		.table = VN_T_PHYS,
	};
	int ret = 1;

	if (vn_opts_parse(v, argc, argv, "pPo:", "", &o))
		goto fail;
	if (o.optind != argc) {
		ret = vn_usage(v);
		goto fail;
	}
	s.params = json_object();
	if (!s.params) {
		ret = vn_fail(v, "out of memory");
		goto fail;
	}
	s.oarg = o.val['o'];
	s.parseable = o.val['p'] != NULL;
	ret = vn_show(v, &s);
fail:
	json_decref(s.params);
	vn_opts_free(&o);
	return ret;
}
