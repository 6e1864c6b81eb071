/*
 * The show-* loop: ask vswitchd for a list (with -P, of the persistent
 * configuration), keep the rows the operand selects, print them through
 * one table (print.c); with -i, again every interval seconds with the
 * counters' change since the previous round, as dladm show-link -s -i
 * does, until interrupted.
 */
#include <string.h>
#include <unistd.h>

#include "vnicadm.h"
#include "xvm/ofmt.h"

/* The rows that the operand selects (new ref). */
static json_t *vn_select(const struct vn_show *s, const json_t *rows)
{
	json_t *out = json_array(), *row;
	size_t i;

	if (!out)
		return NULL;
	json_array_foreach(rows, i, row) {
		const char *n = json_string_value(
			json_object_get(row, s->name_key ? s->name_key : "name"));

		if (s->name && (!n || strcmp(n, s->name) != 0))
			continue;
		if (json_array_append(out, row) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* vswitchd refused the list: word it. Returns 1. */
static int vn_fetch_fail(struct vnicadm *v, const struct vn_show *s)
{
	const struct vswctl_error *e;
	int ret = vn_vsw_error(v);

	if (ret != 2)
		return ret;
	e = vswctl_error(v->h);
	if (s->name && e->status == -ENOENT)
		return vn_fail(v, "invalid %s name '%s': %s", s->what,
			       s->name, e->message);
	return vn_fail(v, "%s", e->message);
}

/* One round: fetch and select. 0 with *rows, or 1 (printed). */
static int vn_fetch(struct vnicadm *v, const struct vn_show *s,
		    json_t **rows)
{
	struct vswctl *h = vn_handle(v);
	json_t *all;

	if (!h)
		return 1;
	if (s->list(h, &s->q, &all) < 0)
		return vn_fetch_fail(v, s);
	*rows = vn_select(s, all);
	json_decref(all);
	if (!*rows)
		return vn_fail(v, "out of memory");
	if (s->name && json_array_size(*rows) == 0) {
		json_decref(*rows);
		return vn_fail(v, "invalid %s name '%s': object not found",
			       s->what, s->name);
	}
	if (s->expand) {
		all = s->expand(*rows);
		json_decref(*rows);
		*rows = all;
		if (!all)
			return vn_fail(v, "out of memory");
	}
	return 0;
}

/* Print rows, as they are or as the change since prev. */
static int vn_round(struct vnicadm *v, struct ofmt *o, json_t *rows,
		    const json_t *prev)
{
	json_t *shown = prev ? vn_stats_delta(rows, prev) : json_incref(rows);
	int ret;

	if (!shown)
		return vn_fail(v, "out of memory");
	ret = cli_table_rows(&v->cli, o, shown);
	json_decref(shown);
	fflush(v->cli.out);
	return ret;
}

int vn_show(struct vnicadm *v, const struct vn_show *s)
{
	json_t *rows = NULL, *prev = NULL;
	struct ofmt *o;
	int ret;

	if (vn_table_open(v, s->table, s->oarg, s->parseable, &o))
		return 1;
	for (;;) {
		ret = vn_fetch(v, s, &rows);
		if (ret)
			break;
		ret = vn_round(v, o, rows, prev);
		json_decref(prev);
		prev = rows;
		rows = NULL;
		if (ret || !s->interval)
			break;
		/* vswitchd closes a connection idle for a minute: a new
		 * one per round */
		vn_disconnect(v);
		sleep(s->interval);
	}
	json_decref(prev);
	ofmt_close(o);
	return ret;
}

int vn_show_operand(struct vnicadm *v, const struct cli_opts *o, int argc,
		    char **argv, struct vn_show *s, bool send)
{
	if (o->optind < argc - 1)
		return vn_usage(v);
	if (o->optind != argc - 1)
		return 0;
	s->name = argv[o->optind];
	if (vn_check_link(v, s->name))
		return 1;
	if (send)
		s->q.name = s->name;
	return 0;
}

int vn_show_stats(struct vnicadm *v, const struct cli_opts *o,
		  struct vn_show *s, enum vn_table plain,
		  enum vn_table stats)
{
	if (o->val['i'] && !o->val['s'])
		return vn_usage_fail(v, "the option -i can be used only "
				     "with -s");
	if (o->val['i'] &&
	    cli_parse_interval(&v->cli, o->val['i'], &s->interval))
		return 1;
	s->q.stats = o->val['s'] != NULL;
	s->table = o->val['s'] ? stats : plain;
	return 0;
}

int vn_show_run(struct vnicadm *v, int argc, char **argv,
		const struct vn_show_cmd *c, struct vn_show *s)
{
	struct cli_opts o;
	int ret = 1;

	if (cli_opts_parse(&v->cli, argc, argv, c->optstring, c->multi, &o))
		goto fail;
	if (c->args(v, &o, argc, argv, s))
		goto fail;
	s->oarg = o.val['o'];
	s->parseable = o.val[(unsigned char)c->parseable] != NULL;
	ret = vn_show(v, s);
fail:
	vn_names_free(&s->props);
	cli_opts_free(&o);
	return ret;
}
