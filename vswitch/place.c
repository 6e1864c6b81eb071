/*
 * Which PMD polls each port (vswitchd.h "place.c", vswitchd.8 "PMD
 * threads"): a port (a VNIC's, an uplink) is the unit, as OVS-DPDK
 * assigns receive queues. By count rather than by load: a port's load is
 * not known when it is made and changes with its guest, a count is
 * predictable (the administrator can tell where a port will go, tests
 * can check it) and moving ports by a measured load would move them
 * under traffic on a noisy machine; an administrator who knows which
 * ports are busy pins them (the pmd property).
 */
#include "xvm/log.h"
#include "control.h"
#include "vswitchd.h"

static bool place_pinned(const struct vswd *d, const struct link_props *p)
{
	return (p->set & (1u << LINKPROP_PMD)) && p->pmd < d->npmds;
}

static void place_count(const struct vswd *d, unsigned cnt[VSW_MAX_PMDS])
{
	for (unsigned i = 0; i < VSW_MAX_PMDS; i++)
		cnt[i] = 0;
	for (const struct vsw_vnic *v = d->vnics; v; v = v->next)
		if (v->port)
			cnt[v->port->pmd]++;
	for (const struct vsw_link *l = d->links; l; l = l->next)
		if (l->uplink)
			cnt[l->uplink->pmd]++;
}

unsigned place_new_port(const struct vswd *d, const struct link_props *props)
{
	unsigned cnt[VSW_MAX_PMDS], best = 0;

	if (props && place_pinned(d, props))
		return props->pmd;
	place_count(d, cnt);
	for (unsigned i = 1; i < d->npmds; i++)
		if (cnt[i] < cnt[best])
			best = i;
	return best;
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

void place_rebalance(struct vswd *d)
{
	static struct vsw_port *ports[VSW_MAX_PORTS], *mv[VSW_MAX_PORTS];
	static unsigned own[VSW_MAX_PORTS], to[VSW_MAX_PORTS];
	static const char *names[VSW_MAX_PORTS];
	unsigned cnt[VSW_MAX_PMDS] = { 0 }, nfree = 0, nmv = 0;

	if (d->npmds == 1)
		return;
	/* pinned ports where they are pinned; the others (own[]) where
	 * they are, for now */
	for (struct vsw_vnic *v = d->vnics; v; v = v->next) {
		if (!v->port)
			continue;
		if (place_pinned(d, &v->props)) {
			cnt[v->props.pmd]++;
			if (v->port->pmd != v->props.pmd) {
				names[nmv] = v->name;
				to[nmv] = v->props.pmd;
				mv[nmv++] = v->port;
			}
			continue;
		}
		own[nfree] = v->port->pmd;
		ports[nfree++] = v->port;
		cnt[v->port->pmd]++;
	}
	for (struct vsw_link *l = d->links; l; l = l->next) {
		if (!l->uplink)
			continue;
		own[nfree] = l->uplink->pmd;
		ports[nfree++] = l->uplink;
		cnt[l->uplink->pmd]++;
	}
	/* from the busiest PMD that has a port to give to the least busy,
	 * while they differ by two or more: the newest port it has */
	for (;;) {
		unsigned lo = 0, hi = VSW_MAX_PMDS, k = nfree;

		for (unsigned i = 1; i < d->npmds; i++)
			if (cnt[i] < cnt[lo])
				lo = i;
		for (unsigned i = 0; i < nfree; i++)
			if (hi == VSW_MAX_PMDS || cnt[own[i]] > cnt[hi])
				hi = own[i];
		if (hi == VSW_MAX_PMDS || cnt[hi] < cnt[lo] + 2)
			break;
		while (k-- > 0)
			if (own[k] == hi)
				break;
		own[k] = lo;
		cnt[hi]--;
		cnt[lo]++;
	}
	for (unsigned i = 0; i < nfree; i++) {
		if (own[i] != ports[i]->pmd) {
			names[nmv] = ports[i]->name;
			to[nmv] = own[i];
			mv[nmv++] = ports[i];
		}
	}
	for (unsigned i = 0; i < nmv; i++)
		log_info("port %s: from PMD %u to PMD %u", names[i], mv[i]->pmd,
			 to[i]);
	if (nmv)
		pmd_move_ports(d->pmds, d->npmds, mv, to, nmv);
}
