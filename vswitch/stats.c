/*
 * Counters as the control socket shows them: a port's vsw_stats from the
 * point of view of the link it belongs to (docs/vswitchd-control.md
 * "vnic.list"), and the "stats" method, everything at once.
 */
#include <rte_cycles.h>
#include <rte_malloc.h>

#include "control.h"
#include "vswitchd.h"

json_t *stats_json(const struct vsw_stats *s, bool vnic, uint64_t missed)
{
	/* missed: frames the port lost before the switch took them; for a
	 * VNIC those are frames it sent (oerrors), for an uplink frames it
	 * received (ierrors) */
	uint64_t in_err = vnic ? 0 : missed, out_err = vnic ? missed : 0;
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

int stats_nobufs_error(const struct vswd *d, struct rpc_error *err)
{
	uint32_t budget = switch_queue_budget(d->pool->size);

	return rpc_errorf(err, ENOBUFS, "no packet buffers left for another "
			  "port: vswitchd's %u buffers give at most %u VNICs "
			  "(an uplink counts as %u) a queue of %u frames each; "
			  "restart it with a larger -m", d->pool->size,
			  switch_max_queues(budget), VSW_NPRIO, VSW_TXQ_MIN);
}

/* One PMD's counters and what it polls: the phys links whose uplink it
 * owns and the VNICs whose port it owns. */
static json_t *stats_pmd_json(struct vswd *d, unsigned i,
			      struct pmd_counters *sum)
{
	json_t *links = json_array(), *vnics = json_array();
	struct pmd_counters c;

	pmd_get_counters(d->pmds[i], &c);
	sum->busy_polls += c.busy_polls;
	sum->idle_polls += c.idle_polls;
	sum->sleeps += c.sleeps;
	sum->wakeups += c.wakeups;
	sum->busy_cycles += c.busy_cycles;
	for (struct vsw_link *l = d->links; l; l = l->next)
		if (l->uplink && l->uplink->pmd == i)
			json_array_append_new(links, json_string(l->name));
	for (struct vsw_vnic *v = d->vnics; v; v = v->next)
		if (v->port && v->port->pmd == i)
			json_array_append_new(vnics, json_string(v->name));
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
			 "index", (json_int_t)i,
			 "cpu", (json_int_t)d->pmd_cpu[i],
			 "busy_polls", (json_int_t)c.busy_polls,
			 "idle_polls", (json_int_t)c.idle_polls,
			 "sleeps", (json_int_t)c.sleeps,
			 "wakeups", (json_int_t)c.wakeups,
			 "busy_cycles", (json_int_t)c.busy_cycles,
			 "links", links, "vnics", vnics);
}

static int stats_ctl_show(struct vswd *d, json_t *params UNUSED,
			  json_t **result, struct rpc_error *err UNUSED)
{
	struct rte_malloc_socket_stats heap;
	struct pmd_counters c = { 0 };
	json_t *pmds = json_array();

	for (unsigned i = 0; i < d->npmds; i++)
		json_array_append_new(pmds, stats_pmd_json(d, i, &c));
	rte_malloc_get_socket_stats(rte_socket_id(), &heap);
	*result = json_pack("{s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:o, "
			    "s:{s:I, s:I, s:I}, s:{s:I, s:I}, s:{s:I, s:I}}",
			    "links", links_json(d, NULL, true),
			    "vnics", vnics_json(d, NULL, NULL, true),
			    "pmd", "busy_polls", (json_int_t)c.busy_polls,
			    "idle_polls", (json_int_t)c.idle_polls,
			    "sleeps", (json_int_t)c.sleeps,
			    "wakeups", (json_int_t)c.wakeups,
			    "busy_cycles", (json_int_t)c.busy_cycles,
			    "tsc_hz", (json_int_t)rte_get_tsc_hz(),
			    "pmds", pmds,
			    "mbufs", "total", (json_int_t)d->pool->size,
			    "in_use",
			    (json_int_t)rte_mempool_in_use_count(d->pool),
			    "queue_budget",
			    (json_int_t)switch_queue_budget(d->pool->size),
			    "jumbo_mbufs", "total", (json_int_t)d->jumbo->size,
			    "in_use",
			    (json_int_t)rte_mempool_in_use_count(d->jumbo),
			    "dpdk_heap", "total",
			    (json_int_t)heap.heap_totalsz_bytes,
			    "free", (json_int_t)heap.heap_freesz_bytes);
	return 0;
}
CTL_COMMAND("stats", stats_ctl_show, "");
