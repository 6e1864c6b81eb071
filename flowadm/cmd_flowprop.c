/*
 * set-flowprop, reset-flowprop and show-flowprop (REFERENCE.md
 * "flowadm") for maxbw and priority, checked with flows/flowattr.c
 * before flow.set, flow.reset and flowprop.get (lib/vswctl_flow.c).
 */
#include <string.h>

#include "flowadm.h"
#include "flows/flow.h"
#include "xvm/ofmt.h"

/* Messages naming the property themselves are printed alone; others get
 * "cannot <verb> flow property 'x' on 'flow'". */
static bool fa_msg_standalone(const char *msg)
{
	return strncmp(msg, "invalid flow property", 21) == 0 ||
	       strncmp(msg, "flow property", 13) == 0;	/* "... more than once" too */
}

static int fa_prop_fail(struct flowadm *f, const char *verb,
			const struct fa_kv *kv, const char *flow,
			const char *msg)
{
	if (fa_msg_standalone(msg))
		return fa_fail(f, "%s", msg);
	if (kv->n == 1)
		return fa_fail(f, "cannot %s flow property '%s' on '%s': %s",
			       verb, kv->kv[0].name, flow, msg);
	return fa_fail(f, "cannot %s flow properties on '%s': %s", verb, flow,
		       msg);
}

/* After flow.set/flow.reset failed. */
static int fa_prop_vsw_fail(struct flowadm *f, const char *verb,
			    const struct fa_kv *kv, const char *flow)
{
	const struct vswctl_error *e = vswctl_error(f->h);

	if (e->origin != VSWCTL_E_REMOTE)
		return fa_vsw_fail(f, NULL);
	return fa_prop_fail(f, verb, kv, flow, e->message);
}

/* The one flow operand of set/reset, and -p as pairs (names only for
 * reset), each property checked. */
static int flowprop_args(struct flowadm *f, const struct cli_opts *o,
			 int argc, char **argv, bool values,
			 struct fa_kv *kv)
{
	char err[FLOW_ERRLEN];
	struct flow_props p;
	uint32_t seen = 0;

	memset(kv, 0, sizeof(*kv));
	if (o->optind != argc - 1)
		return fa_usage(f);
	if (fa_check_flow(f, argv[o->optind]))
		return 1;
	if (!o->val['p'])
		return values ? fa_fail(f, "flow property must be specified") : 0;
	if (fa_kv_split(o->val['p'], values, kv) < 0)
		return fa_fail(f, "invalid flow property list '%.64s'",
			       o->val['p']);
	flow_props_init(&p);
	for (unsigned i = 0; i < kv->n; i++) {
		int ret = flow_prop_seen(&seen, kv->kv[i].name, err);

		if (ret == 0)
			ret = values ? flow_prop_set(&p, kv->kv[i].name,
						     kv->kv[i].value, err) :
				       flow_prop_reset(&p, kv->kv[i].name, err);

		if (ret < 0)
			return fa_prop_fail(f, values ? "set" : "reset", kv,
					    argv[o->optind], err);
	}
	return 0;
}

static int set_flowprop(struct flowadm *f, const struct cli_opts *o,
			int argc, char **argv)
{
	struct fa_kv kv;
	struct vswctl *h;
	int ret = flowprop_args(f, o, argc, argv, true, &kv);

	if (ret == 0 && !(h = fa_handle(f)))
		ret = 1;
	if (ret == 0 && vswctl_flowprop_set(h, argv[o->optind], kv.kv, kv.n,
					    o->val['t'] != NULL) < 0)
		ret = fa_prop_vsw_fail(f, "set", &kv, argv[o->optind]);
	fa_kv_free(&kv);
	return ret;
}

static int reset_flowprop(struct flowadm *f, const struct cli_opts *o,
			  int argc, char **argv)
{
	struct fa_kv kv;
	struct vswctl *h;
	int ret = flowprop_args(f, o, argc, argv, false, &kv);

	if (ret == 0 && !(h = fa_handle(f)))
		ret = 1;
	if (ret == 0 && vswctl_flowprop_reset(h, argv[o->optind], kv.names,
					      kv.n, o->val['t'] != NULL) < 0)
		ret = fa_prop_vsw_fail(f, "reset", &kv, argv[o->optind]);
	fa_kv_free(&kv);
	return ret;
}

int cmd_set_flowprop(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = cli_opts_parse(c, argc, argv, "tp:", "p", &o);

	if (ret == 0)
		ret = set_flowprop(fa_of(c), &o, argc, argv);
	cli_opts_free(&o);
	return ret;
}

int cmd_reset_flowprop(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = cli_opts_parse(c, argc, argv, "tp:", "p", &o);

	if (ret == 0)
		ret = reset_flowprop(fa_of(c), &o, argc, argv);
	cli_opts_free(&o);
	return ret;
}

static int show_flowprop(struct flowadm *f, const struct cli_opts *o,
			 int argc, char **argv)
{
	struct vswctl_query q = { .link = o->val['l'] };
	struct fa_kv kv = { 0 };
	struct ofmt *table = NULL;
	struct vswctl *h;
	json_t *rows;
	int ret = 1;

	if (o->optind < argc - 1)
		return fa_usage(f);
	if (o->optind == argc - 1 && fa_check_flow(f, q.name = argv[o->optind]))
		return 1;
	if (q.link && fa_check_link(f, q.link))
		return 1;
	if (o->val['p'] && fa_kv_split(o->val['p'], false, &kv) < 0) {
		ret = fa_fail(f, "invalid flow property list '%.64s'",
			      o->val['p']);
		goto out;
	}
	for (unsigned i = 0; i < kv.n; i++)
		if (flow_prop_lookup(kv.names[i]) < 0) {
			ret = fa_fail(f, "invalid flow property '%.64s'",
				      kv.names[i]);
			goto out;
		}
	q.props = kv.names;
	q.nprops = kv.n;
	if (fa_table_open(f, FA_T_FLOWPROP, o->val['o'], o->val['c'] != NULL,
			  &table) || !(h = fa_handle(f)))
		goto out;
	if (vswctl_flowprop_get(h, &q, &rows) < 0) {
		ret = fa_list_fail(f, &q);
		goto out;
	}
	ret = fa_table_rows(f, table, rows);
	json_decref(rows);
out:
	if (table)
		ofmt_close(table);
	fa_kv_free(&kv);
	return ret;
}

int cmd_show_flowprop(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = cli_opts_parse(c, argc, argv, "cl:o:p:", "p", &o);

	if (ret == 0)
		ret = show_flowprop(fa_of(c), &o, argc, argv);
	cli_opts_free(&o);
	return ret;
}
