/*
 * The credit scheduler and vCPUs over the protocol: schedinfo (scheduler
 * "credit", typed parameters "weight" and "cap", both uint), vcpuinfo,
 * vcpupin, setvcpus (the definition only, within the maximum).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dom.h"
#include "proc.h"
#include "sched.h"

#define PARAMS_MAX	16	/* REMOTE_DOMAIN_SCHEDULER_PARAMETERS_MAX */
#define CPUMAP_MAX	2048	/* REMOTE_CPUMAP_MAX */
#define TP_UINT		2
#define TP_STRING	7

PROC_DECL(proc_get_scheduler_type)
{
	struct dom *d = proc_get_dom(c);
	int rc;

	rc = proc_dom_ready(c, d, false);
	if (rc)
		return rc;
	xdr_put_string(c->ret, "credit");
	xdr_put_i32(c->ret, 2);
	return 0;
}

static void proc_put_uint_param(struct remote_call *c, const char *name,
				uint32_t v)
{
	xdr_put_string(c->ret, name);
	xdr_put_i32(c->ret, TP_UINT);
	xdr_put_u32(c->ret, v);
}

/* {dom; int nparams [; u32 flags]} -> {typed_param params<16>} */
static int proc_get_sched(struct remote_call *c, bool has_flags)
{
	struct dom *d = proc_get_dom(c);
	int32_t n = xdr_get_i32(c->args);

	if (has_flags)
		xdr_get_u32(c->args);
	if (proc_args_done(c) || n < 0 || n > PARAMS_MAX)
		return PROC_DROP;
	if (!d)
		return -ENOENT;
	n = MIN(n, 2);
	xdr_put_u32(c->ret, (uint32_t)n);
	if (n >= 1)
		proc_put_uint_param(c, "weight", d->cfg.weight);
	if (n >= 2)
		proc_put_uint_param(c, "cap", d->cfg.cap);
	return 0;
}

PROC_DECL(proc_get_scheduler_parameters)
{
	return proc_get_sched(c, false);
}

PROC_DECL(proc_get_sched_params_flags)
{
	return proc_get_sched(c, true);
}

/* One remote_typed_param: weight/cap as any integer type. */
static int proc_get_param(struct remote_call *c, unsigned int *weight,
			  unsigned int *cap)
{
	char *field = xdr_get_string(c->args, 80);
	int32_t type = xdr_get_i32(c->args);
	uint64_t v = 0;
	int rc = 0;

	switch (type) {
	case 1: case 2: case 6: v = xdr_get_u32(c->args); break;
	case 3: case 4: v = xdr_get_u64(c->args); break;
	case 5: xdr_get_u64(c->args); rc = -EINVAL; break;
	case TP_STRING: free(xdr_get_string(c->args, 4096)); rc = -EINVAL; break;
	default: c->args->err = -EBADMSG;
	}
	if (c->args->err) {
		free(field);
		return PROC_DROP;
	}
	if (rc == 0 && !strcmp(field, "weight"))
		*weight = (unsigned int)MIN(v, UINT32_MAX);
	else if (rc == 0 && !strcmp(field, "cap"))
		*cap = (unsigned int)MIN(v, UINT32_MAX);
	else
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "unsupported parameter '%s' (weight, cap)", field);
	free(field);
	return rc;
}

static int proc_set_sched(struct remote_call *c, bool has_flags)
{
	struct dom *d = proc_get_dom(c);
	uint32_t n = xdr_get_u32(c->args), i;
	unsigned int weight, cap;
	int rc = 0;

	if (c->args->err || n > PARAMS_MAX)
		return PROC_DROP;
	weight = d ? d->cfg.weight : 0;
	cap = d ? d->cfg.cap : 0;
	for (i = 0; i < n; i++) {
		int r = proc_get_param(c, &weight, &cap);

		if (r == PROC_DROP)
			return PROC_DROP;
		if (r && !rc)
			rc = r;
	}
	if (has_flags)
		xdr_get_u32(c->args);
	if (proc_args_done(c))
		return PROC_DROP;
	if (rc)			/* c->err: the last bad parameter */
		return rc;
	if (!d)
		return -ENOENT;
	rc = dom_check_not_dom0(d, &c->err);
	if (rc < 0)
		return rc;
	return dom_set_sched(d, weight, cap, &c->err);
}

PROC_DECL(proc_set_scheduler_parameters)
{
	return proc_set_sched(c, false);
}

PROC_DECL(proc_set_sched_params_flags)
{
	return proc_set_sched(c, true);
}

/* GET_VCPUS {dom; int maxinfo; int maplen} ->
 * {vcpu_info info<>; opaque cpumaps<>}, vcpu_info {u32 number; int state;
 * uhyper cpu_time; int cpu}. */
PROC_DECL(proc_get_vcpus)
{
	struct dom *d = proc_get_dom(c);
	int32_t maxinfo = xdr_get_i32(c->args), maplen = xdr_get_i32(c->args);
	pid_t tids[DOM_MAX_VCPUS];
	uint8_t *maps;
	int n, i;

	if (proc_args_done(c) || maxinfo < 0 || maxinfo > 16384 || maplen < 0 ||
	    maplen > CPUMAP_MAX || (int64_t)maxinfo * maplen > 262144)
		return PROC_DROP;
	if (!d)
		return -ENOENT;
	if (d->dom0 || !dom_active(d) || !d->pid)
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: domain is not running");
	n = dom_vcpu_threads(d, tids, DOM_MAX_VCPUS);
	n = MIN(MAX(n, 0), maxinfo);
	maps = calloc((size_t)n ? (size_t)n : 1, (size_t)maplen ? (size_t)maplen : 1);
	if (!maps)
		return verr_nomem(&c->err);
	xdr_put_u32(c->ret, (uint32_t)n);
	for (i = 0; i < n; i++) {
		uint64_t ns = 0;
		int cpu = 0;

		sched_thread_stat(d->pid, tids[i], &ns, &cpu);
		sched_get_affinity(tids[i], maps + (size_t)i * maplen, maplen);
		xdr_put_u32(c->ret, (uint32_t)i);
		xdr_put_i32(c->ret, 1);		/* VIR_VCPU_RUNNING */
		xdr_put_u64(c->ret, ns);
		xdr_put_i32(c->ret, cpu);
	}
	xdr_put_opaque(c->ret, maps, (size_t)n * maplen);
	free(maps);
	return 0;
}

/* PIN_VCPU {dom; u32 vcpu; opaque cpumap<>} (+ u32 flags: 1 live,
 * 2 config). */
static int proc_pin(struct remote_call *c, bool has_flags)
{
	struct dom *d = proc_get_dom(c);
	uint32_t vcpu = xdr_get_u32(c->args), flags = 0;
	size_t len;
	const uint8_t *map = xdr_get_opaque(c->args, CPUMAP_MAX, &len);
	int rc;

	if (has_flags)
		flags = xdr_get_u32(c->args);
	rc = proc_dom_ready(c, d, true);
	if (rc)
		return rc;
	if (!flags)
		flags = dom_active(d) ? 1 : 2;
	return dom_pin_vcpu(d, vcpu, map, len, flags & 1, flags & 2, &c->err);
}

PROC_DECL(proc_pin_vcpu)
{
	return proc_pin(c, false);
}

PROC_DECL(proc_pin_vcpu_flags)
{
	return proc_pin(c, true);
}

/* One vCPU's map: the live affinity of its thread, or the definition's
 * pin (cpuset, all CPUs when neither is set). */
static void proc_pin_map(struct dom *d, const pid_t *tids, int ntids, int i,
			 uint8_t *map, int maplen)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	uint64_t m;
	int b;

	if (i < ntids && sched_get_affinity(tids[i], map, maplen) == 0)
		return;
	m = d->cfg.vcpupin[i] ? d->cfg.vcpupin[i] : d->cfg.cpuset ? d->cfg.cpuset :
	    (ncpu >= 64 ? ~0ull : (1ull << ncpu) - 1);
	for (b = 0; b < maplen && b < 8; b++)
		map[b] = (uint8_t)(m >> (8 * b));
}

/* GET_VCPU_PIN_INFO {dom; int ncpumaps; int maplen; u32 flags} ->
 * {opaque cpumaps<>; int num}; flags 2 = the definition's. */
PROC_DECL(proc_get_vcpu_pin_info)
{
	struct dom *d = proc_get_dom(c);
	int32_t nmaps = xdr_get_i32(c->args), maplen = xdr_get_i32(c->args);
	uint32_t flags = xdr_get_u32(c->args);
	pid_t tids[DOM_MAX_VCPUS];
	int n, i, ntids = 0;
	uint8_t *maps;

	if (proc_args_done(c) || nmaps < 0 || nmaps > 16384 || maplen < 0 ||
	    maplen > CPUMAP_MAX || (int64_t)nmaps * maplen > 262144)
		return PROC_DROP;
	if (!d)
		return -ENOENT;
	n = MIN(nmaps, (int)d->cfg.vcpus_max);
	maps = calloc((size_t)n ? (size_t)n : 1, (size_t)maplen ? (size_t)maplen : 1);
	if (!maps)
		return verr_nomem(&c->err);
	if (!(flags & 2) && !d->dom0 && dom_active(d) && d->pid)
		ntids = MAX(dom_vcpu_threads(d, tids, DOM_MAX_VCPUS), 0);
	for (i = 0; i < n; i++)
		proc_pin_map(d, tids, ntids, i, maps + (size_t)i * maplen, maplen);
	xdr_put_opaque(c->ret, maps, (size_t)n * maplen);
	xdr_put_i32(c->ret, n);
	free(maps);
	return 0;
}

/* SET_VCPUS_FLAGS {dom; u32 nvcpus; u32 flags}: 2 config, 4 maximum. A
 * running hv cannot change its vCPUs. */
static int proc_setvcpus(struct remote_call *c, bool has_flags)
{
	struct dom *d = proc_get_dom(c);
	uint32_t n = xdr_get_u32(c->args), flags = 0;
	struct dom_config *def;
	int rc;

	if (has_flags)
		flags = xdr_get_u32(c->args);
	rc = proc_dom_ready(c, d, true);
	if (rc)
		return rc;
	if (!(flags & 2) && dom_active(d))
		return verr_set(&c->err, VERR_OPERATION_UNSUPPORTED, "Operation "
				"not supported: vcpus of a running domain cannot "
				"change (use --config)");
	def = d->pending ? d->pending : &d->cfg;
	if (n < 1 || n > DOM_MAX_VCPUS || (!(flags & 4) && n > def->vcpus_max))
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"requested vcpus %u is out of range (1-%u)", n,
				flags & 4 ? DOM_MAX_VCPUS : def->vcpus_max);
	def = dom_def_copy(d, &c->err);
	if (!def)
		return -ENOMEM;
	if (flags & 4) {
		def->vcpus_max = n;
		def->vcpus = MIN(def->vcpus, n);
	} else {
		def->vcpus = n;
	}
	return dom_def_commit(d, def, &c->err);
}

PROC_DECL(proc_set_vcpus)
{
	return proc_setvcpus(c, false);
}

PROC_DECL(proc_set_vcpus_flags)
{
	return proc_setvcpus(c, true);
}

static const struct proc proc_sched_procs[] = {
	{ 20, "DOMAIN_GET_VCPUS", proc_get_vcpus, 0 },
	{ 26, "DOMAIN_PIN_VCPU", proc_pin_vcpu, PROC_WRITE },
	{ 32, "DOMAIN_SET_VCPUS", proc_set_vcpus, PROC_WRITE },
	{ 56, "DOMAIN_GET_SCHEDULER_TYPE", proc_get_scheduler_type, 0 },
	{ 57, "DOMAIN_GET_SCHEDULER_PARAMETERS",
	  proc_get_scheduler_parameters, 0 },
	{ 58, "DOMAIN_SET_SCHEDULER_PARAMETERS",
	  proc_set_scheduler_parameters, PROC_WRITE },
	{ 199, "DOMAIN_SET_VCPUS_FLAGS", proc_set_vcpus_flags, PROC_WRITE },
	{ 219, "DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS",
	  proc_set_sched_params_flags, PROC_WRITE },
	{ 223, "DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS",
	  proc_get_sched_params_flags, 0 },
	{ 225, "DOMAIN_PIN_VCPU_FLAGS", proc_pin_vcpu_flags, PROC_WRITE },
	{ 230, "DOMAIN_GET_VCPU_PIN_INFO", proc_get_vcpu_pin_info, 0 },
};

const struct proc_group proc_sched_group = {
	"sched", proc_sched_procs, ARRAY_SIZE(proc_sched_procs)
};
