/*
 * vnicadm's command table, usage text (generated from the table), option
 * parsing and messages, with dladm's wording (REFERENCE.md "Errors and
 * exit status"): "vnicadm: message" on stderr and exit status 1.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vnicadm.h"
#include "xvm/linkprop.h"

static const struct vnicadm_cmd vnicadm_cmds[] = {
	{ "create-vnic", cmd_create_vnic,
	  "[-t] -l <link> [-m <value> | auto | {random [-r <prefix>]}]\n"
	  "\t\t     [-v <vid>] [-p <prop>=<value>[,...]] [-k host|guest] "
	  "<vnic>" },
	{ "delete-vnic", cmd_delete_vnic, "[-t] <vnic>" },
	{ "show-vnic", cmd_show_vnic,
	  "[-pP] [-l <link>] [-s [-i <interval>]] [-o <field>,...] "
	  "[<vnic>]" },
	{ "show-link", cmd_show_link,
	  "[-pP] [-s [-i <interval>]] [-o <field>,...] [<link>]" },
	{ "show-phys", cmd_show_phys, "[-pP] [-o <field>,...]" },
	{ "create-etherstub", cmd_create_etherstub, "[-t] <link>" },
	{ "delete-etherstub", cmd_delete_etherstub, "[-t] <link>" },
	{ "show-etherstub", cmd_show_etherstub,
	  "[-p] [-o <field>,...] [<link>]" },
	{ "set-linkprop", cmd_set_linkprop,
	  "[-t] -p <prop>=<value>[,...] <link>" },
	{ "reset-linkprop", cmd_reset_linkprop,
	  "[-t] [-p <prop>,...] <link>" },
	{ "show-linkprop", cmd_show_linkprop,
	  "[-P] [[-c] -o <field>,...] [-p <prop>,...] [<link>]" },
};

static void vn_vmsg(struct vnicadm *v, const char *fmt, va_list ap)
{
	fprintf(v->err, VN_PROG ": ");
	vfprintf(v->err, fmt, ap);
	fputc('\n', v->err);
}

int vn_fail(struct vnicadm *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vn_vmsg(v, fmt, ap);
	va_end(ap);
	return 1;
}

static void vn_cmd_usage(struct vnicadm *v, const struct vnicadm_cmd *c)
{
	fprintf(v->err, "    %-16s %s\n", c->name, c->usage);
}

int vn_usage(struct vnicadm *v)
{
	fprintf(v->err, "usage: " VN_PROG " <subcommand> <args> ...\n");
	for (size_t i = 0; i < ARRAY_SIZE(vnicadm_cmds); i++)
		vn_cmd_usage(v, &vnicadm_cmds[i]);
	return 1;
}

int vn_usage_fail(struct vnicadm *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vn_vmsg(v, fmt, ap);
	va_end(ap);
	if (!v->cmd)
		return vn_usage(v);
	fprintf(v->err, "usage:\n");
	vn_cmd_usage(v, v->cmd);
	return 1;
}

/* Record one option. A repeated flag is harmless (dladm ignores it); an
 * option with a value may repeat only if listed in multi. */
static int vn_opt_store(struct vnicadm *v, struct vn_opts *o, int c,
			const char *arg, const char *multi)
{
	char *j;

	if (!o->val[c]) {
		o->val[c] = arg;
		return 0;
	}
	if (!arg)
		return 0;
	if (!strchr(multi, c))
		return vn_usage_fail(v, "the option -%c cannot be specified "
				     "more than once", c);
	if (asprintf(&j, "%s,%s", o->val[c], arg) < 0)
		return vn_fail(v, "out of memory");
	free(o->joined[c]);
	o->joined[c] = j;
	o->val[c] = j;
	return 0;
}

int vn_opts_parse(struct vnicadm *v, int argc, char **argv,
		  const char *optstring, const char *multi,
		  struct vn_opts *o)
{
	char spec[64];
	int c;

	memset(o, 0, sizeof(*o));
	/* a leading ':' reports a missing value apart from an unknown
	 * option; options may follow operands (GNU getopt permutes) */
	snprintf(spec, sizeof(spec), ":%s", optstring);
	opterr = 0;
	optind = 0;
	while ((c = getopt(argc, argv, spec)) != -1) {
		if (c == ':')
			return vn_usage_fail(v, "option '-%c' requires a "
					     "value", optopt);
		if (c == '?' || c <= 0 || c >= 128)
			return vn_usage_fail(v, "unrecognized option '-%c'",
					     optopt);
		if (vn_opt_store(v, o, c, optarg, multi))
			return 1;
		if (!o->val[c])
			o->val[c] = "";	/* a flag: set */
	}
	o->optind = optind;
	return 0;
}

void vn_opts_free(struct vn_opts *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(o->joined); i++) {
		free(o->joined[i]);
		o->joined[i] = NULL;
	}
}

int vn_check_link(struct vnicadm *v, const char *name)
{
	if (!linkname_valid(name))
		return vn_fail(v, "invalid link name '%.64s'", name);
	return 0;
}

/* -i: whole seconds, 1 to one day. */
int vn_parse_interval(struct vnicadm *v, const char *s, unsigned *secs)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || n == 0 ||
	    n > 86400)
		return vn_fail(v, "invalid interval value '%.32s'", s);
	*secs = (unsigned)n;
	return 0;
}

static const struct vnicadm_cmd *vn_find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(vnicadm_cmds); i++)
		if (strcmp(vnicadm_cmds[i].name, name) == 0)
			return &vnicadm_cmds[i];
	return NULL;
}

int vnicadm_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct vnicadm v = { .out = out, .err = err };
	int ret;

	if (argc < 2)
		return vn_usage(&v);
	v.cmd = vn_find_cmd(argv[1]);
	if (!v.cmd) {
		vn_fail(&v, "unknown subcommand '%.64s'", argv[1]);
		return vn_usage(&v);
	}
	ret = v.cmd->handler(&v, argc - 1, argv + 1);
	vn_disconnect(&v);
	if (fflush(out) == EOF || ferror(out)) {
		fprintf(err, VN_PROG ": cannot write output\n");
		ret = 1;
	}
	return ret;
}

int vn_link_cmd(struct vnicadm *v, int argc, char **argv,
		const char *optstring, const char *multi,
		int (*run)(struct vnicadm *v, const struct vn_opts *o,
			   const char *link))
{
	struct vn_opts o;
	int ret = 1;

	if (vn_opts_parse(v, argc, argv, optstring, multi, &o))
		goto fail;
	if (o.optind != argc - 1) {
		ret = vn_usage(v);
		goto fail;
	}
	if (vn_check_link(v, argv[o.optind]))
		goto fail;
	ret = run(v, &o, argv[o.optind]);
fail:
	vn_opts_free(&o);
	return ret;
}
