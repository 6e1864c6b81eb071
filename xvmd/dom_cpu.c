/*
 * A running domain's vCPUs and the credit scheduler (sched.h): hv's vCPU
 * threads, weight/cap on the domain's cgroup, vCPU pinning as thread
 * affinity, applied once a new hv's threads exist (dom_tick).
 */
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xvm/log.h"
#include "xvm/rpc.h"
#include "dom.h"
#include "dom_run.h"
#include "sched.h"
#include "store.h"

/* The thread id of vCPU i of a running hv, from the name hv gives each
 * vCPU thread ("vcpu<i>" in /proc/PID/task/TID/comm). */
static int vcpu_index_of(pid_t pid, long tid, unsigned int *idx)
{
	char path[64], comm[32];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/task/%ld/comm", (int)pid, tid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ok = fgets(comm, sizeof(comm), f) != NULL &&
	     sscanf(comm, "vcpu%u", idx) == 1;
	fclose(f);
	return ok ? 0 : -ENOENT;
}

int dom_vcpu_threads(const struct dom *d, pid_t *tids, int n)
{
	char path[64];
	struct dirent *de;
	DIR *dd;
	int k = 0;

	if (!d->pid)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)d->pid);
	dd = opendir(path);
	if (!dd)
		return -errno;
	for (int i = 0; i < n; i++)
		tids[i] = 0;
	while ((de = readdir(dd))) {
		long tid = strtol(de->d_name, NULL, 10);
		unsigned int idx;

		if (tid > 0 && vcpu_index_of(d->pid, tid, &idx) == 0 &&
		    idx < (unsigned int)n)
			tids[idx] = (pid_t)tid;
	}
	closedir(dd);
	/* Only the leading run of vCPUs whose threads exist. */
	while (k < n && k < (int)d->cfg.vcpus && tids[k])
		k++;
	return k;
}

/* The cgroup first (it may refuse), then the definition stored; a
 * definition that cannot be stored puts the cgroup's limits back, and
 * memory changes only once both are done. */
int dom_set_sched(struct dom *d, unsigned int weight, unsigned int cap,
		  struct verr *e)
{
	struct dom_config *def;
	bool live = dom_active(d) && d->sd;
	int rc;

	if (weight < SCHED_WEIGHT_MIN || weight > SCHED_WEIGHT_MAX)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: weight "
				"must be between %d and %d", SCHED_WEIGHT_MIN,
				SCHED_WEIGHT_MAX);
	if (cap > SCHED_CAP_MAX)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: cap must "
				"be between 0 and %d", SCHED_CAP_MAX);
	def = dom_def_copy(d, e);
	if (!def)
		return -ENOMEM;
	def->weight = weight;
	def->cap = cap;
	rc = live ? sched_dom_set(d->sd, weight, cap) : 0;
	if (rc < 0) {
		free(def);
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot set the cgroup's cpu limits");
	}
	rc = dom_def_store(d, def, e);
	if (rc < 0) {
		if (live)
			sched_dom_set(d->sd, d->cfg.weight, d->cfg.cap);
		free(def);
		return rc;
	}
	d->cfg.weight = weight;
	d->cfg.cap = cap;
	if (d->pending || !dom_active(d))
		dom_def_install(d, def);
	else
		free(def);	/* cfg is the definition: changed above */
	return 0;
}

static uint64_t dom_map_mask(const uint8_t *map, size_t len)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; i < len && i < 8; i++)
		m |= (uint64_t)map[i] << (8 * i);
	return m;
}

/* The definition's change, checked but not yet stored: *def NULL when
 * only the running domain is pinned. */
static int dom_pin_def(struct dom *d, unsigned int vcpu, uint64_t mask,
		       struct dom_config **def, struct verr *e)
{
	unsigned int max;

	*def = dom_def_copy(d, e);
	if (!*def)
		return -ENOMEM;
	max = (*def)->vcpus_max;
	if (vcpu >= max) {
		free(*def);
		*def = NULL;
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: vcpu %u "
				"beyond the definition's %u", vcpu, max);
	}
	(*def)->vcpupin[vcpu] = mask;
	return 0;
}

/* Checked, then the running vCPU pinned, then the definition stored;
 * a definition that cannot be stored puts the thread's affinity back. */
int dom_pin_vcpu(struct dom *d, unsigned int vcpu, const uint8_t *map,
		 size_t len, bool live, bool config, struct verr *e)
{
	struct dom_config *def = NULL;
	pid_t tids[DOM_MAX_VCPUS], tid = 0;
	cpu_set_t old;
	int n, rc;

	if (vcpu >= d->cfg.vcpus_max)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: vcpu %u "
				"out of range (%u vcpus)", vcpu, d->cfg.vcpus_max);
	if (!dom_map_mask(map, len))
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: empty "
				"cpumap");
	if (config || !dom_active(d)) {
		rc = dom_pin_def(d, vcpu, dom_map_mask(map, len), &def, e);
		if (rc < 0)
			return rc;
	}
	if (live && dom_active(d) && d->pid) {
		n = dom_vcpu_threads(d, tids, DOM_MAX_VCPUS);
		tid = n > (int)vcpu ? tids[vcpu] : 0;
		rc = !tid ? -ESRCH : sched_getaffinity(tid, sizeof(old), &old) ?
		     -errno : sched_pin_thread(tid, map, len);
		if (rc < 0) {
			free(def);
			return verr_fail(e, rc, VERR_OPERATION_FAILED,
					 "operation failed: cannot pin vcpu %u",
					 vcpu);
		}
	}
	if (!def)
		return 0;
	rc = dom_def_store(d, def, e);
	if (rc < 0) {
		if (tid)
			sched_setaffinity(tid, sizeof(old), &old);
		free(def);
		return rc;
	}
	dom_def_install(d, def);
	return 0;
}

/* Pin the vCPU threads of a freshly started hv once they exist. */
static void dom_apply_pins(struct dom *d)
{
	pid_t tids[DOM_MAX_VCPUS];
	uint8_t map[8];
	int n, i, b;

	n = dom_vcpu_threads(d, tids, DOM_MAX_VCPUS);
	if (n < (int)d->cfg.vcpus)
		return;		/* not all created yet */
	for (i = 0; i < n; i++) {
		uint64_t m = d->cfg.vcpupin[i] ? d->cfg.vcpupin[i] : d->cfg.cpuset;

		if (!m)
			continue;
		for (b = 0; b < 8; b++)
			map[b] = (uint8_t)(m >> (8 * b));
		if (sched_pin_thread(tids[i], map, sizeof(map)) < 0)
			log_warn("dom %s: cannot pin vcpu %d", d->cfg.name, i);
	}
	if (d->sd)
		sched_dom_attach(d->sd, d->pid);	/* threads made since */
	d->pinned = true;
}

void dom_tick(void)
{
	struct dom *d;

	for (d = dom_first(); d; d = d->next)
		if (dom_active(d) && d->pid && !d->pinned)
			dom_apply_pins(d);
}

