/*
 * vswctl's VNIC calls (docs/vswitchd-control.md "vnic.create",
 * "vnic.delete", "vnic.list", "vnic.set / vnic.reset"): the params each
 * method takes and what its result carries.
 */
#include <string.h>

#include "vswctl_priv.h"

/* {"maxbw": "100M", ...}, values as given. */
static json_t *vswctl_props_json(const struct vswctl_props *p)
{
	json_t *obj = json_object();

	for (unsigned i = 0; obj && i < p->n; i++)
		obj = vswctl_set_str(obj, p->prop[i].name, p->prop[i].value);
	return obj;
}

json_t *vswctl_vnic_create_params(const struct vswctl_vnic_spec *s)
{
	json_t *p = vswctl_set_str(json_object(), "name", s->name);

	p = vswctl_set_str(p, "link", s->link);
	p = vswctl_set_str(p, "kind", s->kind);
	p = vswctl_set_str(p, "mac", s->mac);
	p = vswctl_set_str(p, "mac_prefix", s->mac_prefix);
	if (s->mac_slot)
		p = vswctl_set(p, "mac_slot", json_integer(s->mac_slot));
	if (s->vid)
		p = vswctl_set(p, "vid", json_integer(s->vid));
	if (s->props && s->props->n)
		p = vswctl_set(p, "props", vswctl_props_json(s->props));
	return vswctl_set_flag(p, "temporary", s->temporary);
}

int vswctl_vnic_info_parse(const json_t *res, struct vswctl_vnic_info *info)
{
	const char *mac = json_string_value(json_object_get(res, "mac"));
	const char *type = json_string_value(json_object_get(res,
							     "macaddrtype"));
	const char *sock = json_string_value(json_object_get(res, "socket"));

	memset(info, 0, sizeof(*info));
	snprintf(info->mac, sizeof(info->mac), "%s", mac ? mac : "");
	info->random_mac = type && strcmp(type, "random") == 0;
	if ((size_t)snprintf(info->socket, sizeof(info->socket), "%s",
			     sock ? sock : "") >= sizeof(info->socket))
		return -ENAMETOOLONG;
	return 0;
}

/* vnic.create's result into info. */
static int vswctl_vnic_result(struct vswctl *h, const json_t *res,
			      struct vswctl_vnic_info *info)
{
	if (vswctl_vnic_info_parse(res, info) < 0)
		return vswctl_fail(h, -ENAMETOOLONG, VSWCTL_E_CONN,
				   "socket path too long");
	return 0;
}

int vswctl_vnic_create(struct vswctl *h, const struct vswctl_vnic_spec *spec,
		       struct vswctl_vnic_info *info)
{
	json_t *res;
	int ret;

	if (!spec->name || !spec->link)
		return vswctl_fail(h, -EINVAL, VSWCTL_E_LOCAL,
				   "vnic.create needs a name and a link");
	ret = vswctl_call(h, "vnic.create", vswctl_vnic_create_params(spec),
			  &res);
	if (ret < 0)
		return ret;
	if (info)
		ret = vswctl_vnic_result(h, res, info);
	json_decref(res);
	return ret;
}

json_t *vswctl_vnic_delete_params(const char *name, bool temporary)
{
	return vswctl_name_params(name, temporary);
}

int vswctl_vnic_delete(struct vswctl *h, const char *name, bool temporary)
{
	return vswctl_call(h, "vnic.delete",
			   vswctl_vnic_delete_params(name, temporary), NULL);
}

int vswctl_linkprop_set(struct vswctl *h, const char *name,
			const struct vswctl_props *props, bool temporary)
{
	json_t *p = vswctl_name_params(name, temporary);

	return vswctl_call(h, "vnic.set",
			   vswctl_set(p, "props", vswctl_props_json(props)),
			   NULL);
}

int vswctl_linkprop_reset(struct vswctl *h, const char *name,
			  const char *const *names, unsigned nnames,
			  bool temporary)
{
	json_t *p = vswctl_name_params(name, temporary);

	if (nnames)
		p = vswctl_set(p, "props", vswctl_strings_json(names, nnames));
	return vswctl_call(h, "vnic.reset", p, NULL);
}

int vswctl_vnic_list(struct vswctl *h, const struct vswctl_query *q,
		     json_t **rows)
{
	json_t *p = vswctl_set_str(json_object(), "name", q->name);

	p = vswctl_set_str(p, "link", q->link);
	p = vswctl_set_flag(p, "stats", q->stats);
	p = vswctl_set_flag(p, "persistent", q->persistent);
	return vswctl_call_rows(h, "vnic.list", p, "vnics", rows);
}
