/*
 * Which PMD polls each port (vswitchd.h "place.c", vswitchd.8 "PMD
 * threads"): the rule is balance.h's (switches kept whole on one PMD,
 * balanced by port count, a switch much bigger than the others split);
 * this file gives it the running ports and moves those it places
 * elsewhere. By count rather than by load: a port's load is not known
 * when it is made and changes with its guest, a count is predictable
 * (the administrator can tell where a port will go, tests can check it)
 * and moving ports by a measured load would move them under traffic on a
 * noisy machine; an administrator who knows which ports are busy pins
 * them (the pmd property, of a VNIC or a phys link's uplink).
 */
#include <stdlib.h>
#include <string.h>

#include "xvm/log.h"
#include "balance.h"
#include "control.h"
#include "vswitchd.h"

_Static_assert(BALANCE_MAX_PMDS == VSW_MAX_PMDS, "one rule for every PMD");
_Static_assert(BALANCE_MAX_SWITCHES >= VSW_MAX_PORTS, "a switch per port");

/* The running ports as balance_plan() takes them (control thread only). */
struct place_set {
	struct balance_port bp[VSW_MAX_PORTS + 1];
	struct vsw_port *port[VSW_MAX_PORTS + 1];	/* NULL: the new one */
	unsigned n, nsw;
};

static bool place_pinned(const struct vswd *d, const struct link_props *p)
{
	return p && (p->set & (1u << LINKPROP_PMD)) && p->pmd < d->npmds;
}

static int place_by_name(const void *a, const void *b)
{
	const struct vsw_link *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static void place_add(struct place_set *s, struct vsw_port *p, int pin,
		      int pmd)
{
	if (s->n > VSW_MAX_PORTS)
		return;
	s->bp[s->n] = (struct balance_port){ .sw = s->nsw - 1, .pin = pin,
					     .pmd = pmd };
	s->port[s->n++] = p;
}

/* One switch's ports, oldest first: its uplink, then its VNICs in the
 * order they were made; the new port (if it is this switch's) last. */
static void place_switch(const struct vswd *d, struct place_set *s,
			 const struct vsw_link *l, const struct vsw_port *fresh,
			 const struct link_props *new_props, bool new_here)
{
	s->nsw++;
	if (l && l->uplink) {
		const struct link_props *pp = physprop_props(d, l->name);

		place_add(s, l->uplink, place_pinned(d, pp) ? (int)pp->pmd : -1,
			  l->uplink == fresh ? -1 : (int)l->uplink->pmd);
	}
	for (const struct vsw_vnic *v = d->vnics; l && v; v = v->next)
		if (v->over == l && v->port)
			place_add(s, v->port, place_pinned(d, &v->props) ?
				  (int)v->props.pmd : -1,
				  v->port == fresh ? -1 : (int)v->port->pmd);
	if (new_here)
		place_add(s, NULL, place_pinned(d, new_props) ?
			  (int)new_props->pmd : -1, -1);
}

/* Every running port (and a new one on switch new_sw, unless NULL),
 * switches in name order; fresh is placed as if new (its pin was
 * reset). 0, or -ENOSPC past the limits. */
static int place_collect(const struct vswd *d, struct place_set *s,
			 const struct vsw_switch *new_sw,
			 const struct link_props *new_props,
			 const struct vsw_port *fresh)
{
	static const struct vsw_link *links[VSW_MAX_PORTS];
	unsigned nl = 0;
	bool new_done = !new_sw;

	s->n = s->nsw = 0;
	for (const struct vsw_link *l = d->links; l; l = l->next) {
		bool used = l->uplink != NULL || l->sw == new_sw;

		for (const struct vsw_vnic *v = d->vnics; !used && v; v = v->next)
			used = v->over == l && v->port;
		if (!used)
			continue;
		if (nl == ARRAY_SIZE(links))
			return -ENOSPC;
		links[nl++] = l;
	}
	qsort(links, nl, sizeof(links[0]), place_by_name);
	for (unsigned i = 0; i < nl; i++) {
		bool here = links[i]->sw == new_sw;

		place_switch(d, s, links[i], fresh, new_props, here);
		new_done |= here;
	}
	if (!new_done)	/* a phys link being attached: not listed yet */
		place_switch(d, s, NULL, fresh, new_props, true);
	return s->n > VSW_MAX_PORTS ? -ENOSPC : 0;
}

unsigned place_new_port(const struct vswd *d, const struct vsw_switch *sw,
			const struct link_props *props)
{
	static struct place_set s;

	if (d->npmds == 1)
		return 0;
	if (place_collect(d, &s, sw, props, NULL) < 0 ||
	    balance_plan(s.bp, s.n, s.nsw, d->npmds) < 0) {
		log_err("place: %u ports: placed on PMD 0", s.n);
		return 0;
	}
	for (unsigned i = 0; i < s.n; i++)
		if (!s.port[i])
			return (unsigned)s.bp[i].pmd;
	return 0;
}

int place_check_pin(const struct vswd *d, const struct link_props *props,
		    struct rpc_error *err)
{
	if (!(props->set & (1u << LINKPROP_PMD)) || props->pmd < d->npmds)
		return 0;
	if (d->npmds == 1)
		return rpc_errorf(err, EINVAL, "invalid value '%u' for link "
				  "property 'pmd': vswitchd runs one PMD (0)",
				  props->pmd);
	return rpc_errorf(err, EINVAL, "invalid value '%u' for link property "
			  "'pmd': vswitchd runs %u PMDs (0-%u)", props->pmd,
			  d->npmds, d->npmds - 1);
}

void place_rebalance(struct vswd *d, const struct vsw_port *fresh)
{
	static struct place_set s;
	static struct vsw_port *mv[VSW_MAX_PORTS];
	static unsigned to[VSW_MAX_PORTS];
	unsigned nmv = 0;

	if (d->npmds == 1)
		return;
	if (place_collect(d, &s, NULL, NULL, fresh) < 0 ||
	    balance_plan(s.bp, s.n, s.nsw, d->npmds) < 0) {
		log_err("place: %u ports: not rebalanced", s.n);
		return;
	}
	for (unsigned i = 0; i < s.n; i++) {
		if ((unsigned)s.bp[i].pmd == s.port[i]->pmd)
			continue;
		log_info("port %s: from PMD %u to PMD %d", s.port[i]->name,
			 s.port[i]->pmd, s.bp[i].pmd);
		to[nmv] = (unsigned)s.bp[i].pmd;
		mv[nmv++] = s.port[i];
	}
	if (nmv)
		pmd_move_ports(d->pmds, d->npmds, mv, to, nmv);
}
