/*
 * The show-* loop: ask vswitchd for a list, keep the rows the operand and
 * -P select, print them through one table (print.c); with -i, again every
 * interval seconds with the counters' change since the previous round, as
 * dladm show-link -s -i does, until interrupted.
 */
#include <string.h>
#include <unistd.h>

#include "vnicadm.h"
#include "xvm/ofmt.h"

/* The rows of result s->key that the operand and -P select (new ref). */
static json_t *vn_select(const struct vn_show *s, const json_t *result)
{
	const json_t *rows = json_object_get(result, s->key);
	json_t *out = json_array(), *row;
	size_t i;

	if (!out || !json_is_array(rows)) {
		json_decref(out);
		return NULL;
	}
	json_array_foreach(rows, i, row) {
		const char *n = json_string_value(
			json_object_get(row, s->name_key ? s->name_key : "name"));

		if (s->name && (!n || strcmp(n, s->name) != 0))
			continue;
		if (s->persistent_only &&
		    json_is_true(json_object_get(row, "temporary")))
			continue;
		if (json_array_append(out, row) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* One round: fetch and select. 0 with *rows, or 1 (printed). */
static int vn_fetch(struct vnicadm *v, const struct vn_show *s,
		    json_t **rows)
{
	struct rpc_error e;
	json_t *res = NULL;
	int ret;

	ret = vn_call_raw(v, s->method, json_deep_copy(s->params), &res, &e);
	if (ret == 2 && s->name && strcmp(e.code, "ENOENT") == 0)
		return vn_fail(v, "invalid %s name '%s': %s", s->what,
			       s->name, e.message);
	if (ret == 2)
		return vn_fail(v, "%s", e.message);
	if (ret)
		return ret;
	*rows = vn_select(s, res);
	json_decref(res);
	if (!*rows)
		return vn_fail(v, "vswitchd: malformed reply");
	if (s->name && json_array_size(*rows) == 0) {
		json_decref(*rows);
		return vn_fail(v, "invalid %s name '%s': object not found",
			       s->what, s->name);
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
	ret = vn_table_rows(v, o, shown);
	json_decref(shown);
	fflush(v->out);
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
		sleep(s->interval);
	}
	json_decref(prev);
	ofmt_close(o);
	return ret;
}
