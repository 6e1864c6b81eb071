/*
 * The show-* tables of vnicadm (REFERENCE.md "dladm -> vnicadm": names and
 * widths), printed with lib/ofmt.c from the JSON rows vswitchd returns
 * (docs/vswitchd-control.md), so one field table drives the human and the
 * parseable output and the golden tests need no daemon.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vnicadm.h"
#include "xvm/mac.h"
#include "xvm/ofmt.h"
#include "xvm/units.h"

/* Where a column's value is in a row: key, in the "stats" object or not. */
enum vn_col {
	C_NAME, C_OVER, C_SPEED, C_MAC, C_MACTYPE, C_VID, C_CLASS, C_MTU,
	C_STATE, C_BRIDGE, C_MEDIA, C_DUPLEX, C_DEVICE, C_PLINK, C_PROPERTY,
	C_PERM, C_VALUE, C_DEFAULT, C_POSSIBLE, C_PTYPE, C_AUTO, C_SPDX,
	C_PAUSE, C_SLOT, C_ADDRESS, C_INUSE, C_CLIENT, C_RINGTYPE, C_RINGS,
	C_CLIENTS, C_PMD,
	C_IPACKETS, C_RBYTES, C_IERRORS, C_OPACKETS, C_OBYTES, C_OERRORS,
};

static const struct {
	const char *key;
	bool stats;
} vn_cols[] = {
	[C_NAME] = { "name" }, [C_OVER] = { "over" },
	[C_SPEED] = { "speed" }, [C_MAC] = { "mac" },
	[C_MACTYPE] = { "macaddrtype" }, [C_VID] = { "vid" },
	[C_CLASS] = { "class" }, [C_MTU] = { "mtu" },
	[C_STATE] = { "state" }, [C_BRIDGE] = { "bridge" },
	[C_MEDIA] = { "media" }, [C_DUPLEX] = { "duplex" },
	[C_DEVICE] = { "device" }, [C_PLINK] = { "link" },
	[C_PROPERTY] = { "property" }, [C_PERM] = { "perm" },
	[C_VALUE] = { "value" }, [C_DEFAULT] = { "default" },
	[C_POSSIBLE] = { "possible" }, [C_PTYPE] = { "name" },
	[C_AUTO] = { "autoneg" }, [C_SPDX] = { "speed" },
	[C_PAUSE] = { "pause" },
	[C_SLOT] = { "slot" }, [C_ADDRESS] = { "address" },
	[C_INUSE] = { "inuse" }, [C_CLIENT] = { "client" },
	[C_RINGTYPE] = { "ringtype" }, [C_RINGS] = { "rings" },
	[C_CLIENTS] = { "clients" }, [C_PMD] = { "pmd" },
	[C_IPACKETS] = { "ipackets", true }, [C_RBYTES] = { "rbytes", true },
	[C_IERRORS] = { "ierrors", true },
	[C_OPACKETS] = { "opackets", true }, [C_OBYTES] = { "obytes", true },
	[C_OERRORS] = { "oerrors", true },
};

/* A MAC as dladm prints it, without leading zeros, whatever form the
 * daemon used. */
static const char *vn_mac_str(const char *s, char *buf)
{
	struct mac_addr m;

	if (mac_parse(s, &m) < 0)
		return s;
	return mac_format(&m, buf);
}

/* A number; a fractional speed (Mb/s) is printed as dladm prints
 * bandwidth ("1.200"). */
static const char *vn_num_str(const json_t *val, char *buf, size_t len)
{
	if (json_is_integer(val)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(val));
		return buf;
	}
	double d = json_real_value(val);

	if (!isfinite(d) || d < 0 || d > 1e12 ||
	    units_format_bw((uint64_t)(d * 1e6 + 0.5), buf, len) < 0)
		return OFMT_UNKNOWN;
	return buf;
}

/* show-ether's SPEED-DUPLEX as dladm prints it: "10G-f", "100M-h";
 * "--" when the interface does not say (a link that is down). */
static const char *vn_speed_duplex(const json_t *row, char *buf, size_t len)
{
	const json_t *sp = json_object_get(row, "speed");
	const char *dx = json_string_value(json_object_get(row, "duplex"));
	long long mbps = json_is_integer(sp) ? json_integer_value(sp) : 0;

	if (mbps <= 0)
		return NULL;
	if (mbps % 1000 == 0)
		snprintf(buf, len, "%lldG-%c", mbps / 1000, dx ? dx[0] : 'u');
	else
		snprintf(buf, len, "%lldM-%c", mbps, dx ? dx[0] : 'u');
	return buf;
}

static const char *vn_field(const void *row, unsigned id, char *buf,
			    size_t len)
{
	const json_t *obj = row, *val;
	char mac[MAC_STRLEN];

	if (id >= ARRAY_SIZE(vn_cols))
		return OFMT_UNKNOWN;
	if (id == C_PTYPE)	/* the configuration in effect (no -x) */
		return "current";
	if (id == C_SPDX)
		return vn_speed_duplex(obj, buf, len);
	if (vn_cols[id].stats)
		obj = json_object_get(obj, "stats");
	val = json_object_get(obj, vn_cols[id].key);
	if (!val)
		return OFMT_UNKNOWN;
	if (json_is_null(val))
		return NULL;
	if (json_is_number(val))
		return vn_num_str(val, buf, len);
	if (json_is_boolean(val))
		return json_is_true(val) ? "yes" : "no";
	if (!json_is_string(val))
		return OFMT_UNKNOWN;
	if (id == C_MAC || id == C_ADDRESS) {
		snprintf(buf, len, "%s",
			 vn_mac_str(json_string_value(val), mac));
		return buf;
	}
	if (id == C_VALUE && json_string_length(val) == 0) {
		/* As dladm: an unset property shows its effective value,
		 * the default ("high", "1500"); "--" only when that is
		 * none either (no cap, no protection). */
		const json_t *def = json_object_get(obj, "default");

		if (json_is_string(def) && json_string_length(def) > 0 &&
		    strcmp(json_string_value(def), "--") != 0)
			return json_string_value(def);
	}
	return json_string_value(val);
}

#define F(name, width, col)	{ name, width, col, vn_field }

static const struct ofmt_field vnic_fields[] = {
	F("LINK", 13, C_NAME), F("OVER", 13, C_OVER), F("SPEED", 9, C_SPEED),
	F("MACADDRESS", 18, C_MAC), F("MACADDRTYPE", 20, C_MACTYPE),
	F("VID", 7, C_VID), { NULL, 0, 0, NULL },
};

/* dladm's link statistics widths (show-link -s); show-vnic -s has the
 * columns REFERENCE.md lists: ipackets rbytes opackets obytes. */
static const struct ofmt_field vnic_stats_fields[] = {
	F("LINK", 15, C_NAME), F("IPACKETS", 10, C_IPACKETS),
	F("RBYTES", 8, C_RBYTES), F("OPACKETS", 12, C_OPACKETS),
	F("OBYTES", 12, C_OBYTES), { NULL, 0, 0, NULL },
};

/* The same with PMD (the vswitchd PMD thread polling the VNIC's port,
 * vnicadm.8): an xvm field, printed only when -o names it, so the
 * default and -o all keep dladm's columns. */
static const struct ofmt_field vnic_fields_x[] = {
	F("LINK", 13, C_NAME), F("OVER", 13, C_OVER), F("SPEED", 9, C_SPEED),
	F("MACADDRESS", 18, C_MAC), F("MACADDRTYPE", 20, C_MACTYPE),
	F("VID", 7, C_VID), F("PMD", 4, C_PMD), { NULL, 0, 0, NULL },
};

static const struct ofmt_field vnic_stats_fields_x[] = {
	F("LINK", 15, C_NAME), F("IPACKETS", 10, C_IPACKETS),
	F("RBYTES", 8, C_RBYTES), F("OPACKETS", 12, C_OPACKETS),
	F("OBYTES", 12, C_OBYTES), F("PMD", 4, C_PMD), { NULL, 0, 0, NULL },
};

static const struct ofmt_field link_fields[] = {
	F("LINK", 12, C_NAME), F("CLASS", 10, C_CLASS), F("MTU", 7, C_MTU),
	F("STATE", 9, C_STATE), F("BRIDGE", 11, C_BRIDGE),
	F("OVER", 32, C_OVER), { NULL, 0, 0, NULL },
};

static const struct ofmt_field link_stats_fields[] = {
	F("LINK", 15, C_NAME), F("IPACKETS", 10, C_IPACKETS),
	F("RBYTES", 8, C_RBYTES), F("IERRORS", 10, C_IERRORS),
	F("OPACKETS", 12, C_OPACKETS), F("OBYTES", 12, C_OBYTES),
	F("OERRORS", 8, C_OERRORS), { NULL, 0, 0, NULL },
};

static const struct ofmt_field phys_fields[] = {
	F("LINK", 13, C_NAME), F("MEDIA", 21, C_MEDIA),
	F("STATE", 11, C_STATE), F("SPEED", 7, C_SPEED),
	F("DUPLEX", 10, C_DUPLEX), F("DEVICE", 13, C_DEVICE),
	{ NULL, 0, 0, NULL },
};

/* With PMD (the vswitchd PMD polling the attached uplink, "--" when
 * not attached), printed only when -o names it, as show-vnic's. */
static const struct ofmt_field phys_fields_x[] = {
	F("LINK", 13, C_NAME), F("MEDIA", 21, C_MEDIA),
	F("STATE", 11, C_STATE), F("SPEED", 7, C_SPEED),
	F("DUPLEX", 10, C_DUPLEX), F("DEVICE", 13, C_DEVICE),
	F("PMD", 4, C_PMD), { NULL, 0, 0, NULL },
};

/* dladm show-phys -m's and -H's widths */
static const struct ofmt_field phys_mac_fields[] = {
	F("LINK", 13, C_PLINK), F("SLOT", 9, C_SLOT),
	F("ADDRESS", 19, C_ADDRESS), F("INUSE", 5, C_INUSE),
	F("CLIENT", 13, C_CLIENT), { NULL, 0, 0, NULL },
};

static const struct ofmt_field phys_hw_fields[] = {
	F("LINK", 13, C_PLINK), F("RINGTYPE", 9, C_RINGTYPE),
	F("RINGS", 21, C_RINGS), F("CLIENTS", 24, C_CLIENTS),
	{ NULL, 0, 0, NULL },
};

/* dladm show-ether's widths */
static const struct ofmt_field ether_fields[] = {
	F("LINK", 16, C_NAME), F("PTYPE", 9, C_PTYPE), F("STATE", 9, C_STATE),
	F("AUTO", 6, C_AUTO), F("SPEED-DUPLEX", 32, C_SPDX),
	F("PAUSE", 6, C_PAUSE), { NULL, 0, 0, NULL },
};

static const struct ofmt_field etherstub_fields[] = {
	F("LINK", 13, C_NAME), { NULL, 0, 0, NULL },
};

static const struct ofmt_field linkprop_fields[] = {
	F("LINK", 13, C_PLINK), F("PROPERTY", 16, C_PROPERTY),
	F("PERM", 5, C_PERM), F("VALUE", 15, C_VALUE),
	F("DEFAULT", 15, C_DEFAULT), F("POSSIBLE", 20, C_POSSIBLE),
	{ NULL, 0, 0, NULL },
};

static const struct ofmt_field *const vn_tables[VN_T_COUNT] = {
	[VN_T_VNIC] = vnic_fields,
	[VN_T_VNIC_STATS] = vnic_stats_fields,
	[VN_T_LINK] = link_fields,
	[VN_T_LINK_STATS] = link_stats_fields,
	[VN_T_PHYS] = phys_fields,
	[VN_T_PHYS_MAC] = phys_mac_fields,
	[VN_T_PHYS_HW] = phys_hw_fields,
	[VN_T_ETHER] = ether_fields,
	[VN_T_ETHERSTUB] = etherstub_fields,
	[VN_T_LINKPROP] = linkprop_fields,
};

int vn_table_open(struct vnicadm *v, enum vn_table t, const char *oarg,
		  bool parseable, struct ofmt **o)
{
	const struct ofmt_field *fields;

	if ((unsigned)t >= VN_T_COUNT)
		return vn_fail(v, "internal error: no table %d", t);
	fields = vn_tables[t];
	if (oarg && *oarg && strcasecmp(oarg, "all") != 0) {
		if (t == VN_T_VNIC)
			fields = vnic_fields_x;
		else if (t == VN_T_VNIC_STATS)
			fields = vnic_stats_fields_x;
		else if (t == VN_T_PHYS)
			fields = phys_fields_x;
	}
	return cli_table_open(&v->cli, fields, oarg, parseable, o);
}

int vn_print_table(struct vnicadm *v, enum vn_table t, const char *oarg,
		   bool parseable, const json_t *rows)
{
	struct ofmt *o;
	int ret;

	if (vn_table_open(v, t, oarg, parseable, &o))
		return 1;
	ret = cli_table_rows(&v->cli, o, rows);
	ofmt_close(o);
	return ret;
}

static const json_t *vn_find_row(const json_t *rows, const char *name)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row) {
		const char *n = json_string_value(json_object_get(row, "name"));

		if (n && name && strcmp(n, name) == 0)
			return row;
	}
	return NULL;
}

/* stats of cur minus those of prev, counter by counter; a counter that
 * went backwards (the object was re-created) is shown whole. */
static int vn_sub_stats(json_t *cur, const json_t *prev)
{
	const char *key;
	json_t *val;

	json_object_foreach(cur, key, val) {
		const json_t *p = json_object_get(prev, key);
		json_int_t a, b;

		if (!json_is_integer(val) || !json_is_integer(p))
			continue;
		a = json_integer_value(val);
		b = json_integer_value(p);
		if (a >= b && json_integer_set(val, a - b) < 0)
			return -ENOMEM;
	}
	return 0;
}

json_t *vn_stats_delta(const json_t *rows, const json_t *prev)
{
	json_t *out = json_deep_copy(rows), *row;
	size_t i;

	if (!out || !json_is_array(out))
		return out;
	json_array_foreach(out, i, row) {
		const json_t *p = vn_find_row(prev, json_string_value(
			json_object_get(row, "name")));
		json_t *st = json_object_get(row, "stats");

		if (p && json_is_object(st) &&
		    vn_sub_stats(st, json_object_get(p, "stats")) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

json_t *vn_phys_mac_rows(const json_t *phys)
{
	json_t *out = json_array(), *row;
	size_t i;

	json_array_foreach(phys, i, row) {
		json_t *name = json_object_get(row, "name");
		json_t *addr = json_object_get(row, "macaddress");
		bool inuse = json_is_true(json_object_get(row, "inuse"));

		if (!out || json_array_append_new(out, json_pack(
			"{s:O, s:s, s:O, s:b, s:O}", "link", name,
			"slot", "primary", "address", addr ? addr : json_null(),
			"inuse", inuse, "client",
			inuse ? name : json_null())) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* "0" or "0-3": the queue numbers 0..n-1 as dladm prints ring lists. */
static json_t *vn_rings(json_int_t n)
{
	char buf[48];

	if (n == 1)
		snprintf(buf, sizeof(buf), "0");
	else
		snprintf(buf, sizeof(buf), "0-%lld", (long long)n - 1);
	return json_string(buf);
}

/* "vnic0,vnic1", or null when no VNIC is over the link. */
static json_t *vn_clients(const json_t *arr)
{
	size_t i, len = 0;
	json_t *c, *ret;
	char *buf;

	json_array_foreach(arr, i, c)
		len += strlen(json_string_value(c) ?: "") + 1;
	if (len == 0)
		return json_null();
	buf = calloc(1, len);
	if (!buf)
		return NULL;
	json_array_foreach(arr, i, c) {
		if (i)
			strcat(buf, ",");
		strcat(buf, json_string_value(c) ?: "");
	}
	ret = json_string(buf);
	free(buf);
	return ret;
}

json_t *vn_phys_hw_rows(const json_t *phys)
{
	static const struct { const char *type, *key; } groups[] = {
		{ "RX", "rxrings" }, { "TX", "txrings" },
	};
	json_t *out = json_array(), *row;
	size_t i;

	json_array_foreach(phys, i, row) {
		for (size_t g = 0; out && g < ARRAY_SIZE(groups); g++) {
			json_t *n = json_object_get(row, groups[g].key);

			if (!json_is_integer(n) || json_integer_value(n) <= 0)
				continue;
			if (json_array_append_new(out, json_pack(
				"{s:O, s:s, s:o, s:o*}", "link",
				json_object_get(row, "name"), "ringtype",
				groups[g].type, "rings",
				vn_rings(json_integer_value(n)), "clients",
				vn_clients(json_object_get(row, "clients")))) < 0) {
				json_decref(out);
				out = NULL;
			}
		}
	}
	return out;
}
