/*
 * The control socket's methods (docs/vswitchd-control.md), one handler
 * each. Every parameter is checked for presence, type and range before
 * anything changes; unknown parameters are ignored. Errors carry the
 * administrator-facing reasons of REFERENCE.md.
 */
#include <string.h>

#include "xvm/log.h"
#include "vswitchd.h"

#define CTL_STR_MAX	256	/* longest string parameter accepted */

/* ---- parameter checks ---- */

static int ctl_str(json_t *params, const char *key, bool required,
		   const char **out, struct rpc_error *err)
{
	json_t *v = json_object_get(params, key);

	*out = NULL;
	if (!v) {
		return required ? rpc_errorf(err, EINVAL,
					     "missing parameter '%s'", key) : 0;
	}
	if (!json_is_string(v))
		return rpc_errorf(err, EINVAL, "parameter '%s' must be a string",
				  key);
	if (json_string_length(v) >= CTL_STR_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return rpc_errorf(err, EINVAL, "invalid argument");
	*out = json_string_value(v);
	return 0;
}

static int ctl_bool(json_t *params, const char *key, bool *out,
		    struct rpc_error *err)
{
	json_t *v = json_object_get(params, key);

	*out = false;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return rpc_errorf(err, EINVAL, "parameter '%s' must be a boolean",
				  key);
	*out = json_is_true(v);
	return 0;
}

/* The "name" (required) and "temporary" parameters most methods take. */
static int ctl_name_temp(json_t *params, const char **name, bool *temporary,
			 struct rpc_error *err)
{
	int rc = ctl_str(params, "name", true, name, err);

	return rc < 0 ? rc : ctl_bool(params, "temporary", temporary, err);
}

/* Apply {"prop": "value", ...} to p (on a copy: all or nothing). */
static int ctl_props(json_t *obj, struct link_props *p, struct rpc_error *err)
{
	struct link_props tmp = *p;
	char perr[LINKPROP_ERRLEN];
	const char *key;
	json_t *val;
	int rc;

	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return rpc_errorf(err, EINVAL, "parameter 'props' must be an object");
	json_object_foreach(obj, key, val) {
		if (!json_is_string(val))
			return rpc_errorf(err, EINVAL, "value of link property "
					  "'%.64s' must be a string", key);
		rc = linkprop_set(&tmp, key, json_string_value(val), perr);
		if (rc < 0)
			return rpc_errorf(err, EINVAL, "%s", perr);
	}
	*p = tmp;
	return 0;
}

/* An optional array of property names: a bitmask (all if absent). */
static int ctl_prop_names(json_t *params, uint32_t *mask, struct rpc_error *err)
{
	json_t *arr = json_object_get(params, "props"), *v;
	size_t i;

	*mask = (1u << LINKPROP_COUNT) - 1;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return rpc_errorf(err, EINVAL, "parameter 'props' must be an array");
	*mask = 0;
	json_array_foreach(arr, i, v) {
		int id = json_is_string(v) ? linkprop_lookup(json_string_value(v))
					   : -EINVAL;

		if (id < 0)
			return rpc_errorf(err, EINVAL, "invalid link property '%.64s'",
					  json_is_string(v) ? json_string_value(v) : "?");
		*mask |= 1u << id;
	}
	return 0;
}

static int ctl_vid(json_t *params, uint16_t *vid, struct rpc_error *err)
{
	json_t *v = json_object_get(params, "vid");
	json_int_t n;

	*vid = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v))
		return rpc_errorf(err, EINVAL, "parameter 'vid' must be an integer");
	n = json_integer_value(v);
	if (n < 0 || n > 4094)
		return rpc_errorf(err, EINVAL, "invalid VLAN identifier '%lld'",
				  (long long)n);
	*vid = (uint16_t)n;
	return 0;
}

/* ---- views ---- */

static json_t *ctl_stats_json(const struct vsw_stats *s, bool vnic,
			      uint64_t missed)
{
	uint64_t in_err = vnic ? 0 : missed, out_err = 0;
	json_t *drops = json_object();

	for (int i = 0; i < VSW_DROP_COUNT; i++) {
		uint64_t n = vsw_read(&s->drops[i]);
		bool delivery = i == VSW_DROP_MAXBW_QUEUE || i == VSW_DROP_QUEUE_FULL;

		json_object_set_new(drops, vsw_drop_names[i], json_integer((json_int_t)n));
		if (delivery == vnic)
			in_err += n;	/* frames lost on their way to the link */
		else
			out_err += n;
	}
	/* rx: what the switch took from the port; for a VNIC that is what
	 * it sent (opackets), for an uplink what it received (ipackets) */
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
		"ipackets", (json_int_t)vsw_read(vnic ? &s->tx_pkts : &s->rx_pkts),
		"rbytes", (json_int_t)vsw_read(vnic ? &s->tx_bytes : &s->rx_bytes),
		"ierrors", (json_int_t)(vnic ? in_err : out_err),
		"opackets", (json_int_t)vsw_read(vnic ? &s->rx_pkts : &s->tx_pkts),
		"obytes", (json_int_t)vsw_read(vnic ? &s->rx_bytes : &s->tx_bytes),
		"oerrors", (json_int_t)(vnic ? out_err : in_err),
		"drops", drops);
}

static const char *vnic_state(const struct vsw_vnic *v)
{
	return nb_port_link_state(v->port->nb) == 1 ? "up" : "down";
}

static json_t *ctl_vnic_json(const struct vsw_vnic *v, bool stats)
{
	char mac[MAC_STRLEN];
	uint64_t speed = v->props.maxbw ? v->props.maxbw / 1000000 :
					  link_speed_mbps(v->over);
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:i, s:s, s:o, s:b, s:s, s:i}",
		"name", v->name, "over", v->over->name,
		"speed", (json_int_t)speed, "maxbw", (json_int_t)v->props.maxbw,
		"mac", mac_format(&v->mac, mac),
		"macaddrtype", v->mac_random ? "random" : "fixed",
		"vid", v->vid, "kind", v->kind == VNIC_GUEST ? "guest" : "host",
		"socket", v->kind == VNIC_GUEST ? json_string(v->socket) : json_null(),
		"temporary", v->temporary, "state", vnic_state(v),
		"mtu", (int)v->props.mtu);

	if (o && stats)
		json_object_set_new(o, "stats", ctl_stats_json(&v->port->stats, true, 0));
	return o;
}

static json_t *ctl_link_json(const struct vsw_link *l, bool stats)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "name", l->name,
		"class", l->cls == VSW_LINK_PHYS ? "phys" : "etherstub",
		"mtu", (int)link_mtu(l), "state", link_state(l),
		"bridge", "", "over", "");

	if (o && stats) {
		struct vsw_stats zero = { 0 };
		struct nb_port_stats nst = { 0 };

		if (l->uplink)
			nb_port_stats(l->uplink->nb, &nst);
		json_object_set_new(o, "stats", ctl_stats_json(
			l->uplink ? &l->uplink->stats : &zero, false,
			nst.rx_missed));
	}
	return o;
}

static json_t *ctl_vnic_link_json(const struct vsw_vnic *v, bool stats)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "name", v->name,
		"class", "vnic", "mtu", (int)v->props.mtu, "state", vnic_state(v),
		"bridge", "", "over", v->over->name);

	if (o && stats)
		json_object_set_new(o, "stats", ctl_stats_json(&v->port->stats, true, 0));
	return o;
}

static json_t *ctl_links(struct vswd *d, const char *name, bool stats)
{
	json_t *arr = json_array();

	for (struct vsw_link *l = d->links; l; l = l->next)
		if (!name || strcmp(name, l->name) == 0)
			json_array_append_new(arr, ctl_link_json(l, stats));
	for (struct vsw_vnic *v = d->vnics; v; v = v->next)
		if (!name || strcmp(name, v->name) == 0)
			json_array_append_new(arr, ctl_vnic_link_json(v, stats));
	return arr;
}

static json_t *ctl_vnics(struct vswd *d, const char *name, const char *link,
			 bool stats)
{
	json_t *arr = json_array();

	for (struct vsw_vnic *v = d->vnics; v; v = v->next)
		if ((!name || strcmp(name, v->name) == 0) &&
		    (!link || strcmp(link, v->over->name) == 0))
			json_array_append_new(arr, ctl_vnic_json(v, stats));
	return arr;
}

/* ---- handlers ---- */

static int h_link_list(void *ctx, struct rpc_conn *conn UNUSED, json_t *params,
		       json_t **result, struct rpc_error *err)
{
	struct vswd *d = ctx;
	const char *name;
	bool stats;
	int rc = ctl_str(params, "name", false, &name, err);

	if (rc == 0)
		rc = ctl_bool(params, "stats", &stats, err);
	if (rc < 0)
		return rc;
	if (name && !link_name_taken(d, name))
		return rpc_errorf(err, ENOENT, "object not found");
	*result = json_pack("{s:o}", "links", ctl_links(d, name, stats));
	return 0;
}

static int h_phys_list(void *ctx UNUSED, struct rpc_conn *conn UNUSED,
		       json_t *params UNUSED, json_t **result,
		       struct rpc_error *err)
{
	json_t *arr = phys_list();

	if (!arr)
		return rpc_errorf(err, EIO, "cannot list host interfaces");
	*result = json_pack("{s:o}", "phys", arr);
	return 0;
}

static int h_etherstub_create(void *ctx, struct rpc_conn *conn UNUSED,
			      json_t *params, json_t **result UNUSED,
			      struct rpc_error *err)
{
	const char *name;
	bool temporary;
	int rc = ctl_name_temp(params, &name, &temporary, err);

	return rc < 0 ? rc : etherstub_create(ctx, name, temporary, err);
}

static int h_etherstub_delete(void *ctx, struct rpc_conn *conn UNUSED,
			      json_t *params, json_t **result UNUSED,
			      struct rpc_error *err)
{
	const char *name;
	int rc = ctl_str(params, "name", true, &name, err);

	return rc < 0 ? rc : etherstub_delete(ctx, name, err);
}

static int h_etherstub_list(void *ctx, struct rpc_conn *conn UNUSED,
			    json_t *params, json_t **result,
			    struct rpc_error *err)
{
	struct vswd *d = ctx;
	const char *name;
	json_t *arr;
	int rc = ctl_str(params, "name", false, &name, err);

	if (rc < 0)
		return rc;
	if (name) {
		struct vsw_link *l = link_find(d, name);

		if (!l && !vnic_find(d, name))
			return rpc_errorf(err, ENOENT, "object not found");
		if (!l || l->cls != VSW_LINK_ETHERSTUB)
			return rpc_errorf(err, EINVAL, "'%s' is not an etherstub",
					  name);
	}
	arr = json_array();
	for (struct vsw_link *l = d->links; l; l = l->next)
		if (l->cls == VSW_LINK_ETHERSTUB && (!name || !strcmp(name, l->name)))
			json_array_append_new(arr, json_pack("{s:s, s:b}",
				"name", l->name, "temporary", l->temporary));
	*result = json_pack("{s:o}", "etherstubs", arr);
	return 0;
}

static int ctl_vnic_spec(json_t *params, struct vnic_spec *s,
			 struct rpc_error *err)
{
	const char *kind;
	int rc;

	memset(s, 0, sizeof(*s));
	link_props_init(&s->props);
	if ((rc = ctl_str(params, "name", true, &s->name, err)) < 0 ||
	    (rc = ctl_str(params, "link", true, &s->link, err)) < 0 ||
	    (rc = ctl_str(params, "mac", false, &s->mac, err)) < 0 ||
	    (rc = ctl_str(params, "mac_prefix", false, &s->mac_prefix, err)) < 0 ||
	    (rc = ctl_str(params, "kind", false, &kind, err)) < 0 ||
	    (rc = ctl_vid(params, &s->vid, err)) < 0 ||
	    (rc = ctl_bool(params, "temporary", &s->temporary, err)) < 0 ||
	    (rc = ctl_props(json_object_get(params, "props"), &s->props, err)) < 0)
		return rc;
	if (kind && strcmp(kind, "host") && strcmp(kind, "guest"))
		return rpc_errorf(err, EINVAL, "kind must be 'host' or 'guest'");
	s->kind = kind && !strcmp(kind, "guest") ? VNIC_GUEST : VNIC_HOST;
	return 0;
}

static int h_vnic_create(void *ctx, struct rpc_conn *conn UNUSED,
			 json_t *params, json_t **result, struct rpc_error *err)
{
	struct vnic_spec s;
	struct vsw_vnic *v;
	char mac[MAC_STRLEN];
	int rc = ctl_vnic_spec(params, &s, err);

	if (rc == 0)
		rc = vnic_create(ctx, &s, &v, err);
	if (rc < 0)
		return rc;
	*result = json_pack("{s:s, s:s, s:s}", "name", v->name,
			    "mac", mac_format(&v->mac, mac),
			    "macaddrtype", v->mac_random ? "random" : "fixed");
	if (*result && v->kind == VNIC_GUEST)
		json_object_set_new(*result, "socket", json_string(v->socket));
	return 0;
}

static int h_vnic_delete(void *ctx, struct rpc_conn *conn UNUSED,
			 json_t *params, json_t **result UNUSED,
			 struct rpc_error *err)
{
	const char *name;
	bool temporary;
	int rc = ctl_name_temp(params, &name, &temporary, err);

	return rc < 0 ? rc : vnic_delete(ctx, name, temporary, err);
}

static int h_vnic_list(void *ctx, struct rpc_conn *conn UNUSED, json_t *params,
		       json_t **result, struct rpc_error *err)
{
	struct vswd *d = ctx;
	const char *name, *link;
	bool stats;
	int rc;

	if ((rc = ctl_str(params, "name", false, &name, err)) < 0 ||
	    (rc = ctl_str(params, "link", false, &link, err)) < 0 ||
	    (rc = ctl_bool(params, "stats", &stats, err)) < 0)
		return rc;
	if (name && !vnic_find(d, name))
		return link_find(d, name) ?
			rpc_errorf(err, EINVAL, "'%s' is not a vnic", name) :
			rpc_errorf(err, ENOENT, "object not found");
	if (link && !link_name_taken(d, link))
		return rpc_errorf(err, ENOENT, "object not found");
	*result = json_pack("{s:o}", "vnics", ctl_vnics(d, name, link, stats));
	return 0;
}

/* The VNIC a set/reset names. */
static int ctl_vnic_target(struct vswd *d, json_t *params, struct vsw_vnic **v,
			   bool *temporary, struct rpc_error *err)
{
	const char *name;
	int rc = ctl_name_temp(params, &name, temporary, err);

	if (rc < 0)
		return rc;
	*v = vnic_find(d, name);
	if (!*v)
		return link_find(d, name) ?
			rpc_errorf(err, ENOTSUP, "operation not supported") :
			rpc_errorf(err, ENOENT, "object not found");
	return 0;
}

static int h_vnic_set(void *ctx, struct rpc_conn *conn UNUSED, json_t *params,
		      json_t **result UNUSED, struct rpc_error *err)
{
	struct vsw_vnic *v;
	struct link_props run, saved;
	json_t *props = json_object_get(params, "props");
	bool temporary;
	int rc = ctl_vnic_target(ctx, params, &v, &temporary, err);

	if (rc < 0)
		return rc;
	if (!props)
		return rpc_errorf(err, EINVAL, "missing parameter 'props'");
	run = v->props;
	saved = v->saved;
	rc = ctl_props(props, &run, err);
	if (rc == 0 && !temporary)
		rc = ctl_props(props, &saved, err);
	if (rc < 0)
		return rc;
	return vnic_apply_props(ctx, v, &run, temporary ? NULL : &saved, err);
}

static void ctl_reset_mask(struct link_props *p, uint32_t mask)
{
	char perr[LINKPROP_ERRLEN];

	for (int id = 0; id < LINKPROP_COUNT; id++)
		if (mask & (1u << id))
			linkprop_reset(p, linkprop_name(id), perr);
}

static int h_vnic_reset(void *ctx, struct rpc_conn *conn UNUSED,
			json_t *params, json_t **result UNUSED,
			struct rpc_error *err)
{
	struct vsw_vnic *v;
	struct link_props run, saved;
	uint32_t mask;
	bool temporary;
	int rc = ctl_vnic_target(ctx, params, &v, &temporary, err);

	if (rc == 0)
		rc = ctl_prop_names(params, &mask, err);
	if (rc < 0)
		return rc;
	run = v->props;
	saved = v->saved;
	ctl_reset_mask(&run, mask);
	ctl_reset_mask(&saved, mask);
	return vnic_apply_props(ctx, v, &run, temporary ? NULL : &saved, err);
}

static json_t *ctl_prop_json(const char *link, const struct link_props *p,
			     int id, bool writable)
{
	char val[512] = "";

	if (p->set & (1u << id))
		linkprop_format(p, id, val, sizeof(val));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "link", link,
			 "property", linkprop_name(id), "perm", writable ? "rw" : "r-",
			 "value", val, "default", linkprop_default_str(id),
			 "possible", linkprop_possible_str(id));
}

static void ctl_props_of(json_t *arr, const char *link,
			 const struct link_props *p, uint32_t mask, bool rw)
{
	for (int id = 0; id < LINKPROP_COUNT; id++)
		if (mask & (1u << id))
			json_array_append_new(arr, ctl_prop_json(link, p, id, rw));
}

static int h_linkprop_get(void *ctx, struct rpc_conn *conn UNUSED,
			  json_t *params, json_t **result,
			  struct rpc_error *err)
{
	struct vswd *d = ctx;
	struct link_props none;
	const char *name;
	uint32_t mask;
	json_t *arr;
	int rc = ctl_str(params, "name", false, &name, err);

	if (rc == 0)
		rc = ctl_prop_names(params, &mask, err);
	if (rc < 0)
		return rc;
	if (name && !link_name_taken(d, name))
		return rpc_errorf(err, ENOENT, "object not found");
	link_props_init(&none);
	arr = json_array();
	/* links carry no settable properties of their own */
	for (struct vsw_link *l = d->links; l; l = l->next)
		if (!name || !strcmp(name, l->name))
			ctl_props_of(arr, l->name, &none, mask, false);
	for (struct vsw_vnic *v = d->vnics; v; v = v->next)
		if (!name || !strcmp(name, v->name))
			ctl_props_of(arr, v->name, &v->props, mask, true);
	*result = json_pack("{s:o}", "props", arr);
	return 0;
}

static int h_stats(void *ctx, struct rpc_conn *conn UNUSED,
		   json_t *params UNUSED, json_t **result,
		   struct rpc_error *err UNUSED)
{
	struct vswd *d = ctx;
	struct pmd_counters c;

	pmd_get_counters(d->pmd, &c);
	*result = json_pack("{s:o, s:o, s:{s:I, s:I, s:I}}",
			    "links", ctl_links(d, NULL, true),
			    "vnics", ctl_vnics(d, NULL, NULL, true),
			    "pmd", "busy_polls", (json_int_t)c.busy_polls,
			    "idle_polls", (json_int_t)c.idle_polls,
			    "sleeps", (json_int_t)c.sleeps);
	return 0;
}

const struct rpc_method control_methods[] = {
	{ "link.list", h_link_list },
	{ "phys.list", h_phys_list },
	{ "etherstub.create", h_etherstub_create },
	{ "etherstub.delete", h_etherstub_delete },
	{ "etherstub.list", h_etherstub_list },
	{ "vnic.create", h_vnic_create },
	{ "vnic.delete", h_vnic_delete },
	{ "vnic.list", h_vnic_list },
	{ "vnic.set", h_vnic_set },
	{ "vnic.reset", h_vnic_reset },
	{ "linkprop.get", h_linkprop_get },
	{ "stats", h_stats },
};
const size_t control_nmethods = ARRAY_SIZE(control_methods);
