/*
 * vswctl's link calls (docs/vswitchd-control.md "link.list", "phys.list",
 * "etherstub.create / etherstub.delete / etherstub.list", "linkprop.get"):
 * the links vswitchd knows, the host's Ethernet interfaces, the switches
 * without an uplink and every link's properties.
 */
#include "vswctl_priv.h"

int vswctl_link_list(struct vswctl *h, const struct vswctl_query *q,
		     json_t **rows)
{
	json_t *p = vswctl_set_str(json_object(), "name", q->name);

	p = vswctl_set_flag(p, "stats", q->stats);
	return vswctl_call_rows(h, "link.list", p, "links", rows);
}

int vswctl_phys_list(struct vswctl *h, const struct vswctl_query *q,
		     json_t **rows)
{
	(void)q;
	return vswctl_call_rows(h, "phys.list", json_object(), "phys", rows);
}

int vswctl_etherstub_create(struct vswctl *h, const char *name,
			    bool temporary)
{
	return vswctl_call(h, "etherstub.create",
			   vswctl_name_params(name, temporary), NULL);
}

int vswctl_etherstub_delete(struct vswctl *h, const char *name,
			    bool temporary)
{
	return vswctl_call(h, "etherstub.delete",
			   vswctl_name_params(name, temporary), NULL);
}

int vswctl_link_rename(struct vswctl *h, const char *name,
		       const char *newname)
{
	json_t *p = vswctl_set_str(json_object(), "name", name);

	return vswctl_call(h, "link.rename",
			   vswctl_set_str(p, "newname", newname), NULL);
}

int vswctl_etherstub_list(struct vswctl *h, const struct vswctl_query *q,
			  json_t **rows)
{
	return vswctl_call_rows(h, "etherstub.list",
				vswctl_set_str(json_object(), "name", q->name),
				"etherstubs", rows);
}

int vswctl_linkprop_get(struct vswctl *h, const struct vswctl_query *q,
			json_t **rows)
{
	json_t *p = vswctl_set_str(json_object(), "name", q->name);

	if (q->nprops)
		p = vswctl_set(p, "props",
			       vswctl_strings_json(q->props, q->nprops));
	p = vswctl_set_flag(p, "persistent", q->persistent);
	return vswctl_call_rows(h, "linkprop.get", p, "props", rows);
}
