/*
 * vswctl's flow calls (docs/vswitchd-control.md "flow.*", "flowprop.get"):
 * the typed client side of flowadm's requests, in lib/vswctl_flow.c. Same
 * conventions as xvm/vswctl.h: 0 or a negative errno, vswctl_error() for
 * the reason.
 */
#ifndef XVM_VSWCTL_FLOW_H
#define XVM_VSWCTL_FLOW_H

#include "xvm/vswctl.h"

/* A name and its value as typed ("transport", "tcp"; "maxbw", "20M"). */
struct vswctl_kv {
	const char *name;
	const char *value;
};

/* flow.add. */
struct vswctl_flow_spec {
	const char *name;
	const char *link;		/* a VNIC or a phys link */
	const struct vswctl_kv *attrs;	/* at least one */
	unsigned nattrs;
	const struct vswctl_kv *props;	/* maxbw, priority */
	unsigned nprops;
	bool temporary;			/* not saved */
};
int vswctl_flow_add(struct vswctl *h, const struct vswctl_flow_spec *spec);
/* flow.remove: the flow name, or every flow of link (one of the two). */
int vswctl_flow_remove(struct vswctl *h, const char *name, const char *link,
		       bool temporary);
/* flow.remove's params for every flow on link, for a caller that sends
 * the call itself on its own loop (xvmd); NULL when out of memory. */
json_t *vswctl_flow_remove_link_params(const char *link, bool temporary);
/* flow.set: n properties (at least one), all or nothing. */
int vswctl_flowprop_set(struct vswctl *h, const char *name,
			const struct vswctl_kv *props, unsigned n,
			bool temporary);
/* flow.reset: the n properties names, or all when n is 0. */
int vswctl_flowprop_reset(struct vswctl *h, const char *name,
			  const char *const *names, unsigned n,
			  bool temporary);
/* flow.list "flows" (q: name, link, stats) and flowprop.get "props" (q:
 * name, link, props), as in xvm/vswctl.h's lists. */
int vswctl_flow_list(struct vswctl *h, const struct vswctl_query *q,
		     json_t **rows);
int vswctl_flowprop_get(struct vswctl *h, const struct vswctl_query *q,
			json_t **rows);

#endif
