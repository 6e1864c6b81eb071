/*
 * The procedure tables: each proc_*.c file keeps the table of the
 * remote_protocol.x numbers it serves (sorted, searched by bisection);
 * proc_lookup() asks each in turn. Numbers in no table answer
 * NO_SUPPORT, which clients fall back on (LIBVIRT-RPC.md).
 */
#include <stdlib.h>
#include "xvm/log.h"
#include "proc.h"

/* Every file of procedures, each with its own table. */
static const struct proc_group *const proc_groups[] = {
	&proc_connect_group,
	&proc_node_group,
	&proc_domain_group,
	&proc_life_group,
	&proc_sched_group,
	&proc_save_group,
	&proc_event_group,
	&proc_stats_group,
	&proc_meta_group,
	&proc_device_group,
	&proc_blk_group,
	&proc_migrate_group,
	&proc_storage_group,
	&proc_job_group,
};

static const struct proc *proc_group_lookup(const struct proc_group *g,
					    int num)
{
	size_t lo = 0, hi = g->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (g->procs[mid].num == num)
			return &g->procs[mid];
		if (g->procs[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct proc *proc_lookup(int num)
{
	const struct proc *p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(proc_groups); i++) {
		p = proc_group_lookup(proc_groups[i], num);
		if (p)
			return p;
	}
	return NULL;
}

/* For the unit test: each group is in increasing order (the bisection
 * depends on it) and no number is served twice. */
bool proc_table_sorted(void)
{
	const struct proc_group *g;
	size_t i, j, k;

	for (i = 0; i < ARRAY_SIZE(proc_groups); i++) {
		g = proc_groups[i];
		for (j = 1; j < g->n; j++)
			if (g->procs[j - 1].num >= g->procs[j].num)
				return false;
		for (j = 0; j < g->n; j++)
			for (k = i + 1; k < ARRAY_SIZE(proc_groups); k++)
				if (proc_group_lookup(proc_groups[k],
						      g->procs[j].num))
					return false;
	}
	return true;
}
