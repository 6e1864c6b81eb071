/*
 * vnicadm's command table, from which lib/cli.c generates the usage text,
 * and the checks and skeletons its subcommands share. Messages have
 * dladm's wording (REFERENCE.md "Errors and exit status").
 */
#include <string.h>

#include "vnicadm.h"
#include "xvm/linkprop.h"

static const struct cli_cmd vnicadm_cmds[] = {
	{ "create-vnic", cmd_create_vnic,
	  "[-t] -l <link> [-m <value> | auto | {factory [-n <slot-id>]} |\n"
	  "\t\t     {random [-r <prefix>]}] [-v <vid>] [-p <prop>=<value>[,...]]\n"
	  "\t\t     [-k host|guest] [-R <root-dir>] <vnic>" },
	{ "delete-vnic", cmd_delete_vnic, "[-t] [-R <root-dir>] <vnic>" },
	{ "show-vnic", cmd_show_vnic,
	  "[-pP] [-l <link>] [-s [-i <interval>]] [-o <field>,...] "
	  "[<vnic>]" },
	{ "show-link", cmd_show_link,
	  "[-pP] [-s [-i <interval>]] [-o <field>,...] [<link>]" },
	{ "show-phys", cmd_show_phys,
	  "[-pP] [-m | -H] [-o <field>,...] [<link>]" },
	{ "show-ether", cmd_show_ether, "[-p] [-o <field>,...] [<link>]" },
	{ "rename-link", cmd_rename_link,
	  "[-R <root-dir>] <link> <new-link>" },
	{ "create-etherstub", cmd_create_etherstub,
	  "[-t] [-R <root-dir>] <link>" },
	{ "delete-etherstub", cmd_delete_etherstub,
	  "[-t] [-R <root-dir>] <link>" },
	{ "show-etherstub", cmd_show_etherstub,
	  "[-p] [-o <field>,...] [<link>]" },
	{ "set-linkprop", cmd_set_linkprop,
	  "[-t] [-R <root-dir>] -p <prop>=<value>[,...] <link>" },
	{ "reset-linkprop", cmd_reset_linkprop,
	  "[-t] [-R <root-dir>] [-p <prop>,...] <link>" },
	{ "show-linkprop", cmd_show_linkprop,
	  "[-P] [[-c] -o <field>,...] [-p <prop>,...] [<link>]" },
	{ "show-usage", cmd_show_usage,
	  "[-d | -F gnuplot] [-p -o <field>,...] [-f <logfile>]\n"
	  "\t\t     [-s <MM/DD/YYYY,hh:mm:ss>] [-e <MM/DD/YYYY,hh:mm:ss>] [<link>]" },
	{ "help", cmd_help, "[<subcommand>]" },
	{ "snoop", cmd_snoop,
	  "[-D] [-o <file>|-] [-c <count>] [-s <snaplen>] {-d <link> | <link>}\n"
	  "\t\t     [<expression>]" },
};

/* dladm's long options (dladm(8)); -k is ours. */
static const struct cli_longopt vnicadm_longopts[] = {
	{ "temporary", 't', false, NULL },
	{ "link", 'l', true, NULL },
	{ "mac-address", 'm', true, NULL },
	{ "mac-prefix", 'r', true, NULL },
	{ "slot", 'n', true, NULL },
	{ "root-dir", 'R', true, NULL },
	{ "vid", 'v', true, NULL },
	{ "prop", 'p', true, NULL },
	{ "kind", 'k', true, NULL },
	{ "parsable", 'p', false, NULL },
	{ "parseable", 'p', false, NULL },
	{ "parsable", 'c', false, "show-linkprop" },
	{ "parseable", 'c', false, "show-linkprop" },
	{ "persistent", 'P', false, NULL },
	{ "statistics", 's', false, NULL },
	{ "interval", 'i', true, NULL },
	{ "output", 'o', true, NULL },
	{ "mac", 'm', false, "show-phys" },
	{ "hwgrp", 'H', false, "show-phys" },
	{ "count", 'c', true, "snoop" },
	{ "snaplen", 's', true, "snoop" },
	{ "file", 'f', true, "show-usage" },
	{ "start", 's', true, "show-usage" },
	{ "end", 'e', true, "show-usage" },
	{ "format", 'F', true, "show-usage" },
	{ NULL, 0, false, NULL },
};

int cmd_help(struct cli *c, int argc, char **argv)
{
	if (argc > 2)
		return cli_usage_fail(c, "too many arguments");
	return cli_help(c, argc == 2 ? argv[1] : NULL);
}

int vn_check_link(struct vnicadm *v, const char *name)
{
	if (!linkname_valid(name))
		return vn_fail(v, "invalid link name '%.64s'", name);
	return 0;
}

void vnicadm_init(struct vnicadm *v, FILE *out, FILE *err)
{
	*v = (struct vnicadm){
		.cli = {
			.prog = VN_PROG, .peer = "vswitchd",
			.out = out, .err = err,
			.cmds = vnicadm_cmds, .ncmds = ARRAY_SIZE(vnicadm_cmds),
			.default_cmd = "show-link",	/* as dladm */
			.longopts = vnicadm_longopts,
		},
	};
}

int vnicadm_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct vnicadm v;
	int ret;

	vnicadm_init(&v, out, err);
	ret = cli_run(&v.cli, argc, argv);
	vn_disconnect(&v);
	return ret;
}

int vn_link_cmd(struct vnicadm *v, int argc, char **argv,
		const char *optstring, const char *multi,
		int (*run)(struct vnicadm *v, const struct cli_opts *o,
			   const char *link))
{
	struct cli_opts o;
	int ret = 1;

	if (cli_opts_parse(&v->cli, argc, argv, optstring, multi, &o))
		goto fail;
	if (o.optind != argc - 1) {
		ret = vn_usage(v);
		goto fail;
	}
	if (vn_check_link(v, argv[o.optind]))
		goto fail;
	ret = run(v, &o, argv[o.optind]);
fail:
	cli_opts_free(&o);
	return ret;
}
