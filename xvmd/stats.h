/*
 * Statistics for libvirt's stats procedures (proc_stats.c): the host's
 * memory and CPU times from /proc, a domain's hv process (RSS, CPU time),
 * a guest VNIC's counters from vswitchd, and the typed parameters
 * (remote_typed_param) getAllDomainStats answers with. The parsers are
 * pure so the unit tests can feed them text.
 */
#ifndef XVMD_STATS_H
#define XVMD_STATS_H

#include <sys/types.h>
#include <jansson.h>
#include "xdr.h"
#include "verr.h"

/* virTypedParameterType (remote_typed_param_value's discriminant). */
enum {
	TP_INT = 1,
	TP_UINT = 2,
	TP_LLONG = 3,
	TP_ULLONG = 4,
	TP_DOUBLE = 5,
	TP_BOOLEAN = 6,
	TP_STRING = 7,
};

/* remote_typed_param params<>: the count goes first, patched at the end. */
struct tp_list {
	struct xdr_out *out;
	size_t count_at;	/* offset of the count word */
	uint32_t n;
};

void tp_begin(struct tp_list *l, struct xdr_out *out);
void tp_end(struct tp_list *l);
/* One parameter; the name is printf-formatted ("net.%u.rx.bytes"). */
void tp_int(struct tp_list *l, int32_t v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tp_uint(struct tp_list *l, uint32_t v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tp_ullong(struct tp_list *l, uint64_t v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tp_string(struct tp_list *l, const char *v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* /proc/meminfo, in KiB. */
struct stats_mem {
	uint64_t total, free, buffers, cached;
};
/* 0, or -EINVAL when MemTotal or MemFree is missing or malformed. */
int stats_parse_meminfo(const char *text, struct stats_mem *m);
int stats_host_mem(struct stats_mem *m);

/* One line of /proc/stat in ns, as libvirt's Linux node driver sums
 * them: user (user + nice), kernel (system + irq + softirq), idle,
 * iowait. */
struct stats_cpu {
	uint64_t user, kernel, idle, iowait;
};
/* cpu -1: the "cpu" line (all CPUs), else "cpuN". hz: clock ticks per
 * second. 0, -ENOENT if there is no such line, -EINVAL if malformed. */
int stats_parse_cpu(const char *text, int cpu, long hz, struct stats_cpu *s);
int stats_host_cpu(int cpu, struct stats_cpu *s);

/* VmRSS from /proc/PID/status text, KiB. 0 or -ENOENT. */
int stats_parse_rss(const char *text, uint64_t *kib);
int stats_proc_rss(pid_t pid, uint64_t *kib);
/* utime + stime of process pid, ns. */
int stats_proc_cputime(pid_t pid, uint64_t *ns);
/* The same apart: user and system time, ns. */
int stats_proc_times(pid_t pid, uint64_t *user_ns, uint64_t *sys_ns);
/* A non-negative integer member of o, 0 when absent or not one. */
uint64_t stats_json_u64(json_t *o, const char *key);

/* A VNIC's counters as virDomainInterfaceStats gives them: rx is what
 * the guest received (vswitchd's ipackets/rbytes, frames delivered to the
 * VNIC), tx what it sent. The switch counts no errors apart from drops:
 * rx_drop is vswitchd's ierrors (lost on their way to the VNIC), tx_drop
 * its oerrors (frames it sent that were refused). */
struct stats_vnic {
	uint64_t rx_bytes, rx_packets, rx_errs, rx_drop;
	uint64_t tx_bytes, tx_packets, tx_errs, tx_drop;
};
struct vswctl;
/* Ask vswitchd (h open, or NULL to connect to dom_env.rundir's) for
 * vnic's counters. 0, or -errno with e filled (e may be NULL). */
int stats_vnic(struct vswctl *h, const char *vnic, struct stats_vnic *s,
	       struct verr *e);
/* The same from the rows of vswitchd's vnic.list {"name", "stats"}
 * reply (an asynchronous caller's). */
int stats_vnic_rows(const char *vnic, const json_t *rows,
		    struct stats_vnic *s, struct verr *e);

#endif
