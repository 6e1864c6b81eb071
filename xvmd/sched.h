/*
 * The credit scheduler (xm sched-credit, virsh schedinfo): each running
 * domain's hv process lives in its own cgroup under xvm/ in the cpu
 * controller (cgroup v1 /sys/fs/cgroup/cpu, or v2 with the cpu controller
 * enabled, whichever the host has). weight (1-65536, default 256) maps onto
 * cpu.shares (v1) or cpu.weight (v2) proportionally; cap (percent of one
 * CPU, 0 = none) onto cfs_quota_us/cfs_period_us (v1) or cpu.max (v2).
 * vCPU pinning is thread affinity of the hv's vCPU threads.
 *
 * Used by xvmd (xvmd/dom*.c). Runs on xvmd's main thread.
 */
#ifndef XVMD_SCHED_H
#define XVMD_SCHED_H

#include <sched.h>
#include <sys/types.h>
#include "xvm/common.h"

#define SCHED_WEIGHT_MIN	1
#define SCHED_WEIGHT_MAX	65536
#define SCHED_WEIGHT_DEFAULT	256
#define SCHED_CAP_MAX		6400	/* percent: 64 CPUs */

struct sched_dom;

/* Find the cpu controller; group is the parent cgroup's name ("xvm", or a
 * per-instance name so tests can run several xvmds). 0, or -ENOTSUP with a
 * logged reason when no usable cpu controller exists (domains then run
 * unscheduled and schedinfo reports it). */
int sched_init(const char *group);
/* Forget the hierarchy; with remove, also rmdir the parent group (only
 * succeeds once every domain cgroup in it is gone). */
void sched_fini(bool remove);
/* Which hierarchy is in use: "cgroup v1", "cgroup v2", or "none". */
const char *sched_backend(void);

/* The cgroup for one domain (name: the domain's name or uuid), created
 * if absent (an adopted domain finds its existing cgroup). NULL + errno. */
struct sched_dom *sched_dom_open(const char *name);
/* Move every thread of process pid into the domain's cgroup. */
int sched_dom_attach(struct sched_dom *sd, pid_t pid);
/* Apply weight and cap; -EINVAL outside the ranges above. */
int sched_dom_set(struct sched_dom *sd, unsigned int weight, unsigned int cap);
/* CPU time consumed by the domain's cgroup, in ns. */
int sched_dom_cputime(struct sched_dom *sd, uint64_t *ns);
/* The domain's time on each host CPU (cgroup v1 cpuacct.usage_percpu),
 * ns, up to max into ns: how many CPUs the file has, -ENOTSUP where the
 * host keeps no such account (cgroup v2). */
int sched_dom_percpu(struct sched_dom *sd, uint64_t *ns, int max);
/* "N N N..." (cpuacct.usage_percpu): count (up to max stored), -EINVAL. */
int sched_parse_percpu(const char *text, uint64_t *ns, int max);
/* The user and system parts of it (cgroup v2 cpu.stat user_usec,
 * system_usec; v1 cpuacct.stat user, system), ns. */
int sched_dom_cputimes(struct sched_dom *sd, uint64_t *user_ns,
		       uint64_t *sys_ns);
/* Remove the cgroup (after the domain's processes have exited) and free. */
void sched_dom_close(struct sched_dom *sd, bool remove);

/* Pin thread tid to the CPUs in mask (bit i = host CPU i, nbytes bytes);
 * -EINVAL if the mask names no online CPU. */
int sched_pin_thread(pid_t tid, const uint8_t *mask, size_t nbytes);
/* Current affinity of tid into mask (nbytes bytes, zero-filled). */
int sched_get_affinity(pid_t tid, uint8_t *mask, size_t nbytes);
/* CPU time of one thread (a vCPU) in ns, and the CPU it last ran on. */
int sched_thread_stat(pid_t pid, pid_t tid, uint64_t *ns, int *cpu);

/* Pure helpers behind the calls above, exposed for the unit tests. */
unsigned int sched_weight_to_shares(unsigned int weight);	/* v1 */
unsigned int sched_weight_to_cpuweight(unsigned int weight);	/* v2 */
/* cfs_quota_us for cap over a 100000 us period; -1 (none) for cap 0. */
long long sched_cap_to_quota_us(unsigned int cap);
/* cpu.max text: "25000 100000" or "max 100000". 0 or -ENOSPC. */
int sched_cap_to_cpumax(unsigned int cap, char *buf, size_t len);
/* true if the comma-separated mount options hold exactly name. */
bool sched_mntopt_has(const char *opts, const char *name);
/* /proc/PID/task/TID/stat: utime+stime in ticks and the last CPU. */
int sched_parse_stat(const char *line, uint64_t *ticks, int *cpu);
/* The same line's utime and stime apart, in ticks. */
int sched_parse_stat_split(const char *line, uint64_t *utime,
			   uint64_t *stime, int *cpu);
/* usage_usec from a cgroup v2 cpu.stat; -ENOENT if absent. */
int sched_parse_cpustat(const char *text, uint64_t *usage_usec);
/* Any "key N" line of cpu.stat: 0, -ENOENT, -EINVAL. */
int sched_parse_cpustat_key(const char *text, const char *key, uint64_t *v);
/* A kernel cpu list ("0-3,5") into set; -EINVAL if malformed. */
int sched_parse_cpulist(const char *s, cpu_set_t *set);

#endif
