/*
 * flowadm's tables (REFERENCE.md "flowadm": names and widths), printed
 * with lib/ofmt.c from the rows vswitchd returns
 * (docs/vswitchd-control.md "flow.list", "flowprop.get"), so one field
 * table drives the human and the parseable output and the golden tests
 * need no daemon.
 */
#include <string.h>

#include "flowadm.h"
#include "xvm/ofmt.h"

enum fa_col {
	C_FLOW, C_LINK, C_IPADDR, C_PROTO, C_LPORT, C_RPORT, C_DSFLD,
	C_PFLOW, C_PROPERTY, C_VALUE, C_DEFAULT, C_POSSIBLE,
	C_IPKTS, C_RBYTES, C_IERRS, C_OPKTS, C_OBYTES, C_OERRS,
};

/* Where a column is: its key, in "attrs", in "stats" or in the row. */
enum fa_where { W_ROW, W_ATTRS, W_STATS };

static const struct {
	const char *key;
	enum fa_where where;
} fa_cols[] = {
	[C_FLOW] = { "name" }, [C_LINK] = { "link" },
	[C_IPADDR] = { NULL, W_ATTRS },
	[C_PROTO] = { "transport", W_ATTRS },
	[C_LPORT] = { "local_port", W_ATTRS },
	[C_RPORT] = { "remote_port", W_ATTRS },
	[C_DSFLD] = { "dsfield", W_ATTRS },
	[C_PFLOW] = { "flow" }, [C_PROPERTY] = { "property" },
	[C_VALUE] = { "value" }, [C_DEFAULT] = { "default" },
	[C_POSSIBLE] = { "possible" },
	[C_IPKTS] = { "ipackets", W_STATS }, [C_RBYTES] = { "rbytes", W_STATS },
	[C_IERRS] = { "ierrors", W_STATS }, [C_OPKTS] = { "opackets", W_STATS },
	[C_OBYTES] = { "obytes", W_STATS }, [C_OERRS] = { "oerrors", W_STATS },
};

/* IPADDR as flowadm shows it: "LCL:10.0.0.1/32" or "RMT:...". */
static const char *fa_ipaddr(const json_t *attrs, char *buf, size_t len)
{
	const char *l = json_string_value(json_object_get(attrs, "local_ip"));
	const char *r = json_string_value(json_object_get(attrs, "remote_ip"));

	if (!l && !r)
		return NULL;
	snprintf(buf, len, "%s:%s", l ? "LCL" : "RMT", l ? l : r);
	return buf;
}

/* An unset property shows its effective value, the default, unless
 * that is none ("--"), as show-linkprop does. */
static const char *fa_value(const json_t *row, const json_t *val)
{
	const json_t *def = json_object_get(row, "default");

	if (json_string_length(val) == 0 && json_is_string(def) &&
	    strcmp(json_string_value(def), "--") != 0)
		return json_string_value(def);
	return json_string_value(val);
}

static const char *fa_field(const void *row, unsigned id, char *buf,
			    size_t len)
{
	const json_t *obj = row, *val;

	if (id >= ARRAY_SIZE(fa_cols))
		return OFMT_UNKNOWN;
	if (fa_cols[id].where != W_ROW) {
		obj = json_object_get(obj, fa_cols[id].where == W_ATTRS ?
				      "attrs" : "stats");
		if (!json_is_object(obj))
			return OFMT_UNKNOWN;
	}
	if (id == C_IPADDR)
		return fa_ipaddr(obj, buf, len);
	val = json_object_get(obj, fa_cols[id].key);
	if (!val)
		return fa_cols[id].where == W_ATTRS ? NULL : OFMT_UNKNOWN;
	if (json_is_integer(val)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(val));
		return buf;
	}
	if (!json_is_string(val))
		return OFMT_UNKNOWN;
	if (id == C_VALUE)
		return fa_value(row, val);
	return json_string_value(val);
}

#define F(name, width, col)	{ name, width, col, fa_field }

static const struct ofmt_field flow_fields[] = {
	F("FLOW", 12, C_FLOW), F("LINK", 12, C_LINK),
	F("IPADDR", 25, C_IPADDR), F("PROTO", 7, C_PROTO),
	F("LPORT", 8, C_LPORT), F("RPORT", 8, C_RPORT),
	F("DSFLD", 10, C_DSFLD), { NULL, 0, 0, NULL },
};

/* flowstat's columns (illumos flowadm show-flow -s). */
static const struct ofmt_field flow_stats_fields[] = {
	F("FLOW", 15, C_FLOW), F("IPKTS", 8, C_IPKTS),
	F("RBYTES", 8, C_RBYTES), F("IERRS", 8, C_IERRS),
	F("OPKTS", 8, C_OPKTS), F("OBYTES", 8, C_OBYTES),
	F("OERRS", 8, C_OERRS), { NULL, 0, 0, NULL },
};

static const struct ofmt_field flowprop_fields[] = {
	F("FLOW", 13, C_PFLOW), F("PROPERTY", 16, C_PROPERTY),
	F("VALUE", 15, C_VALUE), F("DEFAULT", 15, C_DEFAULT),
	F("POSSIBLE", 21, C_POSSIBLE), { NULL, 0, 0, NULL },
};

static const struct ofmt_field *const fa_tables[FA_T_COUNT] = {
	[FA_T_FLOW] = flow_fields,
	[FA_T_FLOW_STATS] = flow_stats_fields,
	[FA_T_FLOWPROP] = flowprop_fields,
};

int fa_table_open(struct flowadm *f, enum fa_table t, const char *oarg,
		  bool parseable, struct ofmt **o)
{
	if ((unsigned)t >= FA_T_COUNT)
		return fa_fail(f, "internal error: no table %d", t);
	return cli_table_open(&f->cli, fa_tables[t], oarg, parseable, o);
}

int fa_print_table(struct flowadm *f, enum fa_table t, const char *oarg,
		   bool parseable, const json_t *rows)
{
	struct ofmt *o;
	int ret;

	if (fa_table_open(f, t, oarg, parseable, &o))
		return 1;
	ret = cli_table_rows(&f->cli, o, rows);
	ofmt_close(o);
	return ret;
}

int fa_table_rows(struct flowadm *f, struct ofmt *o, const json_t *rows)
{
	return cli_table_rows(&f->cli, o, rows);
}
