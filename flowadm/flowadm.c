/*
 * flowadm's command table (lib/cli.c generates the usage from it), its
 * connection to vswitchd and the helpers the subcommands share. Messages
 * have flowadm's wording (REFERENCE.md "flowadm", "Errors and exit
 * status").
 */
#include <stdlib.h>
#include <string.h>

#include "flowadm.h"
#include "flows/flow.h"
#include "xvm/linkprop.h"

static const struct cli_cmd flowadm_cmds[] = {
	{ "add-flow", cmd_add_flow,
	  "[-t] -l <link> -a <attr>=<value>[,...]\n"
	  "\t\t     [-p <prop>=<value>[,...]] <flow>" },
	{ "remove-flow", cmd_remove_flow, "[-t] {-l <link> | <flow>}" },
	{ "show-flow", cmd_show_flow,
	  "[-pP] [-s [-i <interval>]] [-l <link>] [-o <field>,...] "
	  "[<flow>]" },
	{ "set-flowprop", cmd_set_flowprop,
	  "[-t] -p <prop>=<value>[,...] <flow>" },
	{ "reset-flowprop", cmd_reset_flowprop,
	  "[-t] [-p <prop>,...] <flow>" },
	{ "show-flowprop", cmd_show_flowprop,
	  "[[-c] -o <field>,...] [-l <link>] [-p <prop>,...] [<flow>]" },
	{ "show-usage", cmd_show_flow_usage,
	  "[-d | -F gnuplot] [-p -o <field>,...] [-f <logfile>]\n"
	  "\t\t     [-s <MM/DD/YYYY,hh:mm:ss>] [-e <MM/DD/YYYY,hh:mm:ss>] [<flow>]" },
};

/* flowadm's long options (flowadm(8)). */
static const struct cli_longopt flowadm_longopts[] = {
	{ "temporary", 't', false, NULL },
	{ "link", 'l', true, NULL },
	{ "attr", 'a', true, NULL },
	{ "prop", 'p', true, NULL },
	{ "parsable", 'p', false, NULL },
	{ "parseable", 'p', false, NULL },
	{ "parsable", 'c', false, "show-flowprop" },
	{ "parseable", 'c', false, "show-flowprop" },
	{ "persistent", 'P', false, NULL },
	{ "statistics", 's', false, NULL },
	{ "interval", 'i', true, NULL },
	{ "output", 'o', true, NULL },
	{ "file", 'f', true, "show-usage" },
	{ "start", 's', true, "show-usage" },
	{ "end", 'e', true, "show-usage" },
	{ "format", 'F', true, "show-usage" },
	{ NULL, 0, false, NULL },
};

void flowadm_init(struct flowadm *f, FILE *out, FILE *err)
{
	*f = (struct flowadm){
		.cli = {
			.prog = FA_PROG, .peer = "vswitchd",
			.out = out, .err = err,
			.cmds = flowadm_cmds, .ncmds = ARRAY_SIZE(flowadm_cmds),
			.longopts = flowadm_longopts,
		},
	};
}

int flowadm_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct flowadm f;
	int ret;

	flowadm_init(&f, out, err);
	ret = cli_run(&f.cli, argc, argv);
	fa_disconnect(&f);
	return ret;
}

struct vswctl *fa_handle(struct flowadm *f)
{
	int ret;

	if (f->h)
		return f->h;
	ret = vswctl_open(NULL, &f->h);
	if (ret < 0) {
		fa_fail(f, "cannot connect to vswitchd: %s", strerror(-ret));
		return NULL;
	}
	return f->h;
}

void fa_disconnect(struct flowadm *f)
{
	vswctl_close(f->h);
	f->h = NULL;
}

int fa_vsw_fail(struct flowadm *f, const char *context)
{
	const struct vswctl_error *e = vswctl_error(f->h);

	switch (e->origin) {
	case VSWCTL_E_REMOTE:
		if (context)
			return fa_fail(f, "%s: %s", context, e->message);
		return fa_fail(f, "%s", e->message);
	case VSWCTL_E_LOCAL:
		return fa_fail(f, "%s", e->message);
	default:
		fa_fail(f, "vswitchd: %s", e->message);
		fa_disconnect(f);
		return 1;
	}
}

int fa_check_flow(struct flowadm *f, const char *name)
{
	if (!flowname_valid(name))
		return fa_fail(f, "invalid flow name '%.64s'", name);
	return 0;
}

int fa_check_link(struct flowadm *f, const char *name)
{
	if (!linkname_valid(name))
		return fa_fail(f, "invalid link name '%.64s'", name);
	return 0;
}

int fa_kv_split(const char *list, bool values, struct fa_kv *out)
{
	char *save = NULL, *item;

	memset(out, 0, sizeof(*out));
	out->buf = strdup(list);
	if (!out->buf)
		return -ENOMEM;
	if (!*list || list[strlen(list) - 1] == ',' || strstr(list, ",,"))
		return -EINVAL;
	for (item = strtok_r(out->buf, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		char *eq = values ? strchr(item, '=') : NULL;

		if (out->n == FA_MAX_KV || item[0] == '=')
			return -EINVAL;
		if (eq)
			*eq = '\0';
		out->kv[out->n].name = item;
		out->kv[out->n].value = eq ? eq + 1 : "";
		out->names[out->n] = item;
		out->n++;
	}
	return 0;
}

void fa_kv_free(struct fa_kv *kv)
{
	free(kv->buf);
	kv->buf = NULL;
}
