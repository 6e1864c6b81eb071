/*
 * vswctl's flow calls (xvm/vswctl_flow.h, docs/vswitchd-control.md
 * "flow.*"): the params each method takes.
 */
#include "xvm/vswctl_flow.h"
#include "vswctl_priv.h"

/* {"name": "value", ...} of n pairs. */
static json_t *vswctl_kv_json(const struct vswctl_kv *kv, unsigned n)
{
	json_t *obj = json_object();

	for (unsigned i = 0; obj && i < n; i++)
		obj = vswctl_set_str(obj, kv[i].name, kv[i].value);
	return obj;
}

int vswctl_flow_add(struct vswctl *h, const struct vswctl_flow_spec *s)
{
	json_t *p;

	if (!s->name || !s->link || !s->nattrs)
		return vswctl_fail(h, -EINVAL, VSWCTL_E_LOCAL,
				   "flow.add needs a name, a link and "
				   "attributes");
	p = vswctl_name_params(s->name, s->temporary);
	p = vswctl_set_str(p, "link", s->link);
	p = vswctl_set(p, "attrs", vswctl_kv_json(s->attrs, s->nattrs));
	if (s->nprops)
		p = vswctl_set(p, "props", vswctl_kv_json(s->props, s->nprops));
	return vswctl_call(h, "flow.add", p, NULL);
}

static json_t *vswctl_flow_remove_params(const char *name, const char *link,
					 bool temporary)
{
	json_t *p = vswctl_set_str(json_object(), "name", name);

	p = vswctl_set_str(p, "link", link);
	return vswctl_set_flag(p, "temporary", temporary);
}

json_t *vswctl_flow_remove_link_params(const char *link, bool temporary)
{
	return vswctl_flow_remove_params(NULL, link, temporary);
}

int vswctl_flow_remove(struct vswctl *h, const char *name, const char *link,
		       bool temporary)
{
	if (!name == !link)
		return vswctl_fail(h, -EINVAL, VSWCTL_E_LOCAL,
				   "flow.remove needs a flow or a link");
	return vswctl_call(h, "flow.remove",
			   vswctl_flow_remove_params(name, link, temporary),
			   NULL);
}

int vswctl_flowprop_set(struct vswctl *h, const char *name,
			const struct vswctl_kv *props, unsigned n,
			bool temporary)
{
	json_t *p = vswctl_name_params(name, temporary);

	return vswctl_call(h, "flow.set",
			   vswctl_set(p, "props", vswctl_kv_json(props, n)),
			   NULL);
}

int vswctl_flowprop_reset(struct vswctl *h, const char *name,
			  const char *const *names, unsigned n,
			  bool temporary)
{
	json_t *p = vswctl_name_params(name, temporary);

	if (n)
		p = vswctl_set(p, "props", vswctl_strings_json(names, n));
	return vswctl_call(h, "flow.reset", p, NULL);
}

int vswctl_flow_list(struct vswctl *h, const struct vswctl_query *q,
		     json_t **rows)
{
	json_t *p = vswctl_set_str(json_object(), "name", q->name);

	p = vswctl_set_str(p, "link", q->link);
	p = vswctl_set_flag(p, "stats", q->stats);
	return vswctl_call_rows(h, "flow.list", p, "flows", rows);
}

int vswctl_flowprop_get(struct vswctl *h, const struct vswctl_query *q,
			json_t **rows)
{
	json_t *p = vswctl_set_str(json_object(), "name", q->name);

	p = vswctl_set_str(p, "link", q->link);
	if (q->nprops)
		p = vswctl_set(p, "props",
			       vswctl_strings_json(q->props, q->nprops));
	return vswctl_call_rows(h, "flowprop.get", p, "props", rows);
}
