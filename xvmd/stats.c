/*
 * Where the stats procedures' numbers come from (stats.h): /proc for the
 * host and the hv processes, vswitchd for the VNICs, and the typed
 * parameter encoding of remote_protocol.x (remote_typed_param: field
 * name, then the value's union discriminated by virTypedParameterType).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "xvm/vswctl.h"
#include "dom.h"
#include "sched.h"
#include "stats.h"

#define TP_FIELD_MAX	80	/* VIR_TYPED_PARAM_FIELD_LENGTH */

void tp_begin(struct tp_list *l, struct xdr_out *out)
{
	l->out = out;
	l->n = 0;
	l->count_at = out->len;
	xdr_put_u32(out, 0);
}

void tp_end(struct tp_list *l)
{
	if (!l->out->err)
		xdr_patch_u32(l->out, l->count_at, l->n);
}

/* The field name and the discriminant. */
static void tp_head(struct tp_list *l, int type, const char *fmt, va_list ap)
{
	char name[TP_FIELD_MAX];

	vsnprintf(name, sizeof(name), fmt, ap);
	xdr_put_string(l->out, name);
	xdr_put_i32(l->out, type);
	l->n++;
}

void tp_int(struct tp_list *l, int32_t v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tp_head(l, TP_INT, fmt, ap);
	va_end(ap);
	xdr_put_i32(l->out, v);
}

void tp_uint(struct tp_list *l, uint32_t v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tp_head(l, TP_UINT, fmt, ap);
	va_end(ap);
	xdr_put_u32(l->out, v);
}

void tp_ullong(struct tp_list *l, uint64_t v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tp_head(l, TP_ULLONG, fmt, ap);
	va_end(ap);
	xdr_put_u64(l->out, v);
}

void tp_string(struct tp_list *l, const char *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tp_head(l, TP_STRING, fmt, ap);
	va_end(ap);
	xdr_put_string(l->out, v);
}

/* A small /proc file, NUL-terminated (truncated to len - 1). */
static int stats_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return 0;
}

/* "Key:   123 kB" lines: the value of key, or -ENOENT. */
static int stats_kv(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);
	const char *p = text;
	unsigned long long x;
	char *end;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			errno = 0;
			x = strtoull(p + klen + 1, &end, 10);
			if (errno || end == p + klen + 1)
				return -EINVAL;
			*v = x;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

int stats_parse_meminfo(const char *text, struct stats_mem *m)
{
	memset(m, 0, sizeof(*m));
	if (stats_kv(text, "MemTotal", &m->total) ||
	    stats_kv(text, "MemFree", &m->free))
		return -EINVAL;
	/* older kernels or containers may lack these: 0 */
	stats_kv(text, "Buffers", &m->buffers);
	stats_kv(text, "Cached", &m->cached);
	return 0;
}

int stats_host_mem(struct stats_mem *m)
{
	char buf[8192];
	int rc = stats_read("/proc/meminfo", buf, sizeof(buf));

	return rc ? rc : stats_parse_meminfo(buf, m);
}

int stats_parse_cpu(const char *text, int cpu, long hz, struct stats_cpu *s)
{
	unsigned long long v[7] = { 0 };
	char want[24];
	const char *p = text;
	size_t wlen;
	uint64_t tick;

	if (hz <= 0 || hz > 1000000000L)
		return -EINVAL;
	tick = 1000000000ull / (uint64_t)hz;
	if (cpu < 0)
		snprintf(want, sizeof(want), "cpu ");
	else
		snprintf(want, sizeof(want), "cpu%d ", cpu);
	wlen = strlen(want);
	while (p && *p && strncmp(p, want, wlen)) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || !*p)
		return -ENOENT;
	/* user nice system idle iowait irq softirq */
	if (sscanf(p + wlen, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6]) < 4)
		return -EINVAL;
	s->user = (v[0] + v[1]) * tick;
	s->kernel = (v[2] + v[5] + v[6]) * tick;
	s->idle = v[3] * tick;
	s->iowait = v[4] * tick;
	return 0;
}

int stats_host_cpu(int cpu, struct stats_cpu *s)
{
	size_t len = 4096 + 256 * (size_t)MAX(sysconf(_SC_NPROCESSORS_CONF), 1);
	char *buf = malloc(len);
	int rc;

	if (!buf)
		return -ENOMEM;
	rc = stats_read("/proc/stat", buf, len);
	if (!rc)
		rc = stats_parse_cpu(buf, cpu, sysconf(_SC_CLK_TCK), s);
	free(buf);
	return rc;
}

int stats_parse_rss(const char *text, uint64_t *kib)
{
	return stats_kv(text, "VmRSS", kib) ? -ENOENT : 0;
}

int stats_proc_rss(pid_t pid, uint64_t *kib)
{
	char path[64], buf[4096];
	int rc;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	rc = stats_read(path, buf, sizeof(buf));
	return rc ? rc : stats_parse_rss(buf, kib);
}

int stats_proc_cputime(pid_t pid, uint64_t *ns)
{
	char path[64], buf[1024];
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks;
	int rc, cpu;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	rc = stats_read(path, buf, sizeof(buf));
	if (!rc)
		rc = sched_parse_stat(buf, &ticks, &cpu);
	if (rc)
		return rc;
	*ns = ticks * (1000000000ull / (uint64_t)(hz > 0 ? hz : 100));
	return 0;
}

int stats_proc_times(pid_t pid, uint64_t *user_ns, uint64_t *sys_ns)
{
	char path[64], buf[1024];
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ut, st, tick = 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
	int rc, cpu;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	rc = stats_read(path, buf, sizeof(buf));
	if (!rc)
		rc = sched_parse_stat_split(buf, &ut, &st, &cpu);
	if (rc)
		return rc;
	*user_ns = ut * tick;
	*sys_ns = st * tick;
	return 0;
}

uint64_t stats_json_u64(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ?
	       (uint64_t)json_integer_value(v) : 0;
}

int stats_vnic_rows(const char *vnic, const json_t *rows,
		    struct stats_vnic *s, struct verr *e)
{
	json_t *st = json_object_get(json_array_get(rows, 0), "stats");

	memset(s, 0, sizeof(*s));
	if (json_array_size(rows) != 1 || !json_is_object(st)) {
		if (e)
			verr_set(e, VERR_OPERATION_FAILED, "operation failed: "
				 "vswitchd gave no counters for %s", vnic);
		return -EPROTO;
	}
	s->rx_bytes = stats_json_u64(st, "rbytes");
	s->rx_packets = stats_json_u64(st, "ipackets");
	s->rx_drop = stats_json_u64(st, "ierrors");
	s->tx_bytes = stats_json_u64(st, "obytes");
	s->tx_packets = stats_json_u64(st, "opackets");
	s->tx_drop = stats_json_u64(st, "oerrors");
	return 0;
}

int stats_vnic(struct vswctl *h, const char *vnic, struct stats_vnic *s,
	       struct verr *e)
{
	struct vswctl_query q = { .name = vnic, .stats = true };
	struct vswctl *own = NULL;
	json_t *rows = NULL;
	char path[300];
	int rc;

	memset(s, 0, sizeof(*s));
	if (!h) {
		vswctl_sock_path(dom_env.rundir, path, sizeof(path));
		rc = vswctl_open(path, &own);
		if (rc == 0)
			vswctl_set_timeout(own, VIF_CALL_MS);
		if (rc < 0)
			return e ? verr_fail(e, rc, VERR_OPERATION_FAILED,
					     "operation failed: cannot reach "
					     "vswitchd at %s: %s", path,
					     strerror(-rc)) : rc;
		h = own;
	}
	rc = vswctl_vnic_list(h, &q, &rows);
	if (rc < 0) {
		if (e)
			verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				  "failed: counters of %s: %s", vnic,
				  vswctl_error(h)->message);
		goto out;
	}
	rc = stats_vnic_rows(vnic, rows, s, e);
out:
	json_decref(rows);
	vswctl_close(own);
	return rc;
}
