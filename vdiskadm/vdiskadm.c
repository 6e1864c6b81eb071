/*
 * vdiskadm's command table (lib/cli.c generates the usage from it) and
 * what its subcommands share: operand counts, and the checks of -s, -t
 * and -c with vdiskadm's messages. Usage errors (an unknown option, a
 * missing operand) print the usage and exit 2; every other failure is
 * one "ERROR: ..." line and exit 1 (REFERENCE.md "vdiskadm").
 */
#include <string.h>
#include <time.h>

#include "vdiskadm.h"
#include "vdcmd.h"

static const struct cli_cmd vdiskadm_cmds[] = {
	{ "create", vdcmd_create,
	  "-s <size> [-t <type>[:<opt>]] [-c <comment>] <vdname>" },
	{ "destroy", vdcmd_destroy, "[-r] <vdname>[@<snapname>]" },
	{ "snapshot", vdcmd_snapshot, "<vdname>@<snapname>" },
	{ "rollback", vdcmd_rollback, "[-r] <vdname>@<snapname>" },
	{ "clone", vdcmd_clone,
	  "[-c <comment>] <vdname>[@<snapname>] <clone_vdname>" },
	{ "list", vdcmd_list, "[-pf] <vdname>" },
	{ "verify", vdcmd_verify, "<vdname>" },
	{ "prop-get", vdcmd_prop_get, "-p <property>|all <vdname>" },
	{ "prop-set", vdcmd_prop_set, "-p <property>=<value> <vdname>" },
	{ "import", vdcmd_import,
	  "-d <file> [-t <type>[:<opt>]] [-c <comment>] <vdname>" },
	{ "export", vdcmd_export, "-x <type>[:<opt>] -d <file> <vdname>" },
	{ "convert", vdcmd_convert, "-t <type>[:<opt>] <vdname>" },
	{ "move", vdcmd_move, "<vdname> <directory>" },
	{ "rename", vdcmd_rename, "<vdname> <new_name>" },
	{ "ref-inc", vdcmd_ref_inc, "[-r] <vdname>" },
	{ "ref-dec", vdcmd_ref_dec, "<vdname>" },
	{ "help", vdcmd_help, "[<subcommand>]" },
};

void vdiskadm_init(struct vdiskadm *v, FILE *out, FILE *err)
{
	*v = (struct vdiskadm){
		.cli = {
			.prog = VD_PROG, .out = out, .err = err,
			.cmds = vdiskadm_cmds,
			.ncmds = ARRAY_SIZE(vdiskadm_cmds),
			.usage_status = VD_STATUS_USAGE,
		},
	};
}

int vdiskadm_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct vdiskadm v;

	vdiskadm_init(&v, out, err);
	return cli_run(&v.cli, argc, argv);
}

int vdcmd_help(struct cli *c, int argc, char **argv)
{
	if (argc > 2)
		return cli_usage_fail(c, "too many arguments");
	return cli_help(c, argc == 2 ? argv[1] : NULL);
}

int vd_opts(struct cli *c, int argc, char **argv, const char *optstring,
	    int nops, struct cli_opts *o)
{
	int ret = cli_opts_parse(c, argc, argv, optstring, "", o);
	int n = argc - o->optind;

	if (ret)
		return ret;
	if (n < nops)
		return cli_usage_fail(c, n ? "missing operand" :
				      "missing virtual disk name");
	if (n > nops)
		return cli_usage_fail(c, "too many arguments");
	return 0;
}

int vd_opt_type(struct vdiskadm *v, const char *s,
		const struct vd_type **t, bool *sparse)
{
	if (vd_type_parse(s ? s : "vmdk", t, sparse) < 0)
		return vd_fail(v, "Invalid type '%.40s': vmdk, vdi or vhd "
			       "(:sparse or :fixed), or raw", s);
	return 0;
}

int vd_opt_size(struct vdiskadm *v, const char *s, uint64_t *bytes)
{
	switch (vd_size_parse(s, bytes)) {
	case 0:
		return 0;
	case -EDOM:
		return vd_fail(v, "Invalid size '%.40s': not a whole number "
			       "of 512-byte sectors", s);
	case -ERANGE:
		return vd_fail(v, "Invalid size '%.40s': 512 bytes to 64T",
			       s);
	default:
		return vd_fail(v, "Invalid size '%.40s': a number with an "
			       "optional K, M, G or T", s);
	}
}

int vd_opt_comment(struct vdiskadm *v, const char *s)
{
	if (s && !vd_desc_valid(s))
		return vd_fail(v, "Invalid comment: at most %d characters, "
			       "no control characters", VD_DESC_MAX);
	return 0;
}

void vd_meta_new(struct vd_meta *m, const char *path,
		 const struct vd_type *t, bool sparse, uint64_t size,
		 const char *desc)
{
	*m = (struct vd_meta){ .type = t, .sparse = sparse,
			       .ctime = time(NULL), .max_size = size };
	snprintf(m->name, sizeof(m->name), "%s", vd_basename(path));
	snprintf(m->desc, sizeof(m->desc), "%s", desc ? desc : "");
}
