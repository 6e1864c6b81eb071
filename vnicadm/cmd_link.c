/*
 * show-link and show-phys (REFERENCE.md "dladm -> vnicadm"): every link
 * vswitchd knows (link.list; with -s its counters, with -i repeated) and
 * the host's Ethernet interfaces (phys.list; one of them when named, picked
 * here).
 */
#include "vnicadm.h"

static int show_link_args(struct vnicadm *v, const struct cli_opts *o,
			  int argc, char **argv, struct vn_show *s)
{
	if (o->optind < argc - 1)
		return vn_usage(v);
	return vn_show_stats(v, o, s, VN_T_LINK, VN_T_LINK_STATS) ||
	       vn_show_operand(v, o, argc, argv, s, true);
}

int cmd_show_link(struct cli *c, int argc, char **argv)
{
	static const struct vn_show_cmd cmd = {
		"pPsi:o:", "", 'p', show_link_args,
	};
	struct vn_show s = {
		.list = vswctl_link_list, .what = "link",
	};

	return vn_show_run(vn_of(c), argc, argv, &cmd, &s);
}

static int show_phys_args(struct vnicadm *v, const struct cli_opts *o,
			  int argc, char **argv, struct vn_show *s)
{
	return vn_show_operand(v, o, argc, argv, s, false);
}

/* -m: MAC address slots; -H: hardware ring groups (print.c). Both
 * describe what is running: no -P with them. */
static int show_phys_cmd_args(struct vnicadm *v, const struct cli_opts *o,
			      int argc, char **argv, struct vn_show *s)
{
	if (o->val['m'] && o->val['H'])
		return vn_usage_fail(v, "the options -m and -H cannot be "
				     "used together");
	if ((o->val['m'] || o->val['H']) && o->val['P'])
		return vn_fail(v, "the option -P cannot be used with -%c",
			       o->val['m'] ? 'm' : 'H');
	if (o->val['m']) {
		s->table = VN_T_PHYS_MAC;
		s->expand = vn_phys_mac_rows;
	} else if (o->val['H']) {
		s->table = VN_T_PHYS_HW;
		s->expand = vn_phys_hw_rows;
	}
	return vn_show_operand(v, o, argc, argv, s, false);
}

int cmd_show_phys(struct cli *c, int argc, char **argv)
{
	static const struct vn_show_cmd cmd = {
		"pPo:mH", "", 'p', show_phys_cmd_args,
	};
	struct vn_show s = {
		.list = vswctl_phys_list, .what = "link",
		.table = VN_T_PHYS,
	};

	return vn_show_run(vn_of(c), argc, argv, &cmd, &s);
}

/* show-ether [-p] [-o field,...] [link]: the phys list with dladm
 * show-ether's columns (no -x: only the configuration in effect). */
int cmd_show_ether(struct cli *c, int argc, char **argv)
{
	static const struct vn_show_cmd cmd = {
		"po:", "", 'p', show_phys_args,
	};
	struct vn_show s = {
		.list = vswctl_phys_list, .what = "link",
		.table = VN_T_ETHER,
	};

	return vn_show_run(vn_of(c), argc, argv, &cmd, &s);
}

/* rename-link [-R root] <link> <new-link>: link.rename (no -t: dladm
 * renames the running and the saved link together); with -R, the saved
 * configuration under root only. */
int cmd_rename_link(struct cli *c, int argc, char **argv)
{
	struct vnicadm *v = vn_of(c);
	struct cli_opts o;
	struct vswctl *h;
	int ret = 1;

	if (cli_opts_parse(&v->cli, argc, argv, "R:", "", &o))
		goto out;
	if (o.optind != argc - 2) {
		ret = vn_usage(v);
		goto out;
	}
	if (vn_check_link(v, argv[o.optind]) ||
	    vn_check_link(v, argv[o.optind + 1]))
		goto out;
	if (o.val['R']) {
		ret = vn_root_rename(v, o.val['R'], argv[o.optind],
				     argv[o.optind + 1]);
		goto out;
	}
	h = vn_handle(v);
	if (!h)
		goto out;
	ret = 0;
	if (vswctl_link_rename(h, argv[o.optind], argv[o.optind + 1]) < 0)
		ret = vn_vsw_fail(v, "rename operation failed");
out:
	cli_opts_free(&o);
	return ret;
}
