/*
 * add-flow, remove-flow and show-flow (REFERENCE.md "flowadm"): the
 * attributes and properties are checked here with flows/flowattr.c, as
 * vswitchd checks them again, then sent through lib/vswctl_flow.c.
 */
#include <string.h>
#include <unistd.h>

#include "flowadm.h"
#include "flows/flow.h"
#include "xvm/ofmt.h"

/* -a and -p of add-flow, checked; err has the reason. */
static int add_flow_check(const struct cli_opts *o, char err[FLOW_ERRLEN])
{
	struct flow_attrs a;
	struct flow_props p;
	int ret;

	ret = flow_attrs_parse(o->val['a'], &a, err);
	if (ret == 0 && o->val['p']) {
		flow_props_init(&p);
		ret = flow_props_parse(o->val['p'], &p, err);
	}
	return ret;
}

static int add_flow_send(struct flowadm *f, const struct cli_opts *o,
			 const char *name)
{
	struct fa_kv attrs, props = { 0 };
	struct vswctl *h;
	int ret = 1;

	if (fa_kv_split(o->val['a'], true, &attrs) < 0 ||
	    (o->val['p'] && fa_kv_split(o->val['p'], true, &props) < 0)) {
		ret = fa_fail(f, "add flow failed: invalid argument");
		goto out;
	}
	h = fa_handle(f);
	if (!h)
		goto out;
	ret = 0;
	if (vswctl_flow_add(h, &(struct vswctl_flow_spec){
		    .name = name, .link = o->val['l'],
		    .attrs = attrs.kv, .nattrs = attrs.n,
		    .props = props.kv, .nprops = props.n,
		    .temporary = o->val['t'] != NULL }) < 0)
		ret = fa_vsw_fail(f, "add flow failed");
out:
	fa_kv_free(&attrs);
	fa_kv_free(&props);
	return ret;
}

static int add_flow(struct flowadm *f, const struct cli_opts *o, int argc,
		    char **argv)
{
	char err[FLOW_ERRLEN];

	if (o->optind != argc - 1)
		return fa_usage(f);
	if (fa_check_flow(f, argv[o->optind]))
		return 1;
	if (!o->val['l'])
		return fa_usage_fail(f, "option '-l' is required");
	if (fa_check_link(f, o->val['l']))
		return 1;
	if (!o->val['a'])
		return fa_fail(f, "attributes must be specified");
	if (add_flow_check(o, err) < 0)
		return fa_fail(f, "add flow failed: %s", err);
	return add_flow_send(f, o, argv[o->optind]);
}

int cmd_add_flow(struct cli *c, int argc, char **argv)
{
	struct flowadm *f = fa_of(c);
	struct cli_opts o;
	int ret = cli_opts_parse(c, argc, argv, "tl:a:p:", "ap", &o);

	if (ret == 0)
		ret = add_flow(f, &o, argc, argv);
	cli_opts_free(&o);
	return ret;
}

/* {-l link | flow}: exactly one of the two. */
static int remove_flow(struct flowadm *f, const struct cli_opts *o,
		       int argc, char **argv)
{
	const char *link = o->val['l'];
	const char *name = o->optind < argc ? argv[o->optind] : NULL;
	struct vswctl *h;

	if (o->optind < argc - 1 || !link == !name)
		return fa_usage(f);
	if (name ? fa_check_flow(f, name) : fa_check_link(f, link))
		return 1;
	h = fa_handle(f);
	if (!h)
		return 1;
	if (vswctl_flow_remove(h, name, link, o->val['t'] != NULL) < 0)
		return fa_vsw_fail(f, "remove flow failed");
	return 0;
}

int cmd_remove_flow(struct cli *c, int argc, char **argv)
{
	struct flowadm *f = fa_of(c);
	struct cli_opts o;
	int ret = cli_opts_parse(c, argc, argv, "tl:", "", &o);

	if (ret == 0)
		ret = remove_flow(f, &o, argc, argv);
	cli_opts_free(&o);
	return ret;
}

/* Rows without the temporary ones (-P), a new reference. */
static json_t *persistent_rows(const json_t *rows)
{
	json_t *out = json_array(), *row;
	size_t i;

	json_array_foreach(rows, i, row)
		if (!json_is_true(json_object_get(row, "temporary")))
			json_array_append(out, row);
	return out;
}

/* A list call refused: name the object that is missing. */
int fa_list_fail(struct flowadm *f, const struct vswctl_query *q)
{
	const struct vswctl_error *e = vswctl_error(f->h);

	if (e->origin == VSWCTL_E_REMOTE && e->status == -ENOENT) {
		if (q->name)
			return fa_fail(f, "invalid flow name '%s': %s",
				       q->name, e->message);
		if (q->link)
			return fa_fail(f, "invalid link name '%s': %s",
				       q->link, e->message);
	}
	return fa_vsw_fail(f, NULL);
}

/* The counters of cur minus those of prev (the same flow, by name),
 * for -i; a counter that went back (the flow was re-made) shows whole.
 * A new reference, NULL on allocation failure. */
static json_t *stats_delta(const json_t *cur, const json_t *prev)
{
	json_t *out = json_deep_copy(cur), *row, *p, *val;
	size_t i, j;
	const char *key;

	json_array_foreach(out, i, row) {
		const char *name = json_string_value(json_object_get(row, "name"));
		json_t *pst = NULL;

		json_array_foreach(prev, j, p)
			if (name && json_is_string(json_object_get(p, "name")) &&
			    strcmp(name, json_string_value(
					   json_object_get(p, "name"))) == 0)
				pst = json_object_get(p, "stats");
		json_object_foreach(json_object_get(row, "stats"), key, val) {
			json_t *old = json_object_get(pst, key);

			if (json_is_integer(val) && json_is_integer(old) &&
			    json_integer_value(val) >= json_integer_value(old))
				json_integer_set(val, json_integer_value(val) -
						 json_integer_value(old));
		}
	}
	return out;
}

/* One round of show-flow: fetch, keep -P's rows, print (the change since
 * prev with -i). *rows gets what was fetched. 0 or 1 (printed). */
static int show_flow_round(struct flowadm *f, const struct cli_opts *o,
			   const struct vswctl_query *q, struct ofmt *table,
			   const json_t *prev, json_t **rows)
{
	struct vswctl *h = fa_handle(f);
	json_t *kept, *shown;
	int ret;

	if (!h)
		return 1;
	if (vswctl_flow_list(h, q, rows) < 0)
		return fa_list_fail(f, q);
	kept = o->val['P'] ? persistent_rows(*rows) : json_incref(*rows);
	shown = prev ? stats_delta(kept, prev) : json_incref(kept);
	ret = shown ? fa_table_rows(f, table, shown) :
		      fa_fail(f, "out of memory");
	json_decref(shown);
	json_decref(kept);
	fflush(f->cli.out);
	return ret;
}

static int show_flow(struct flowadm *f, const struct cli_opts *o, int argc,
		     char **argv)
{
	struct vswctl_query q = { .link = o->val['l'],
				  .stats = o->val['s'] != NULL };
	json_t *rows = NULL, *prev = NULL;
	unsigned interval = 0;
	struct ofmt *table;
	int ret;

	if (o->optind < argc - 1)
		return fa_usage(f);
	if (o->val['i'] && !o->val['s'])
		return fa_usage_fail(f, "the option -i can be used only with -s");
	if (o->val['i'] && cli_parse_interval(&f->cli, o->val['i'], &interval))
		return 1;
	if (o->optind == argc - 1) {
		q.name = argv[o->optind];
		if (fa_check_flow(f, q.name))
			return 1;
	}
	if (q.link && fa_check_link(f, q.link))
		return 1;
	if (fa_table_open(f, q.stats ? FA_T_FLOW_STATS : FA_T_FLOW,
			  o->val['o'], o->val['p'] != NULL, &table))
		return 1;
	for (;;) {
		ret = show_flow_round(f, o, &q, table, prev, &rows);
		json_decref(prev);
		prev = rows;
		rows = NULL;
		if (ret || !interval)
			break;
		/* vswitchd closes a connection idle for a minute: a new
		 * one per round */
		fa_disconnect(f);
		sleep(interval);
	}
	json_decref(prev);
	ofmt_close(table);
	return ret;
}

int cmd_show_flow(struct cli *c, int argc, char **argv)
{
	struct flowadm *f = fa_of(c);
	struct cli_opts o;
	int ret = cli_opts_parse(c, argc, argv, "pPsi:l:o:", "", &o);

	if (ret == 0)
		ret = show_flow(f, &o, argc, argv);
	cli_opts_free(&o);
	return ret;
}
