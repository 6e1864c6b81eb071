/*
 * Domain procedures that look, list and define: lookups, list, dominfo
 * and domstate, dumpxml, define/undefine, autostart, memory sizes
 * (remote_protocol.x, LIBVIRT-RPC.md "Procedures per command").
 */
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "dom.h"
#include "proc.h"

#define LIST_MAX	16384	/* REMOTE_DOMAIN_LIST_MAX */

struct dom *proc_get_dom(struct remote_call *c)
{
	char *name = xdr_get_string(c->args, 4096);
	uint8_t uuid[16];
	struct dom *d;
	char u[37];

	xdr_get_fixed(c->args, uuid, sizeof(uuid));
	xdr_get_i32(c->args);
	if (c->args->err) {
		free(name);
		return NULL;
	}
	d = dom_by_uuid(uuid);
	if (!d)
		d = dom_by_name(name);
	if (!d) {
		domxml_uuid_format(uuid, u);
		verr_set(&c->err, VERR_NO_DOMAIN, "Domain not found: no domain "
			 "with matching uuid '%s' (%s)", u, name);
	}
	free(name);
	return d;
}

/* Handlers start with this: PROC_DROP, -ENOENT with c->err set, or 0
 * with *d set. */
static int proc_dom_arg(struct remote_call *c, struct dom **d)
{
	*d = proc_get_dom(c);
	if (c->args->err)
		return PROC_DROP;
	return *d ? 0 : -ENOENT;
}

int proc_dom_ready(struct remote_call *c, const struct dom *d, bool not_dom0)
{
	if (proc_args_done(c))
		return PROC_DROP;
	if (!d)
		return -ENOENT;
	return not_dom0 ? dom_check_not_dom0(d, &c->err) : 0;
}

void proc_put_dom(struct remote_call *c, const struct dom *d)
{
	xdr_put_string(c->ret, d->cfg.name);
	xdr_put_fixed(c->ret, d->cfg.uuid, 16);
	xdr_put_i32(c->ret, dom_active(d) ? d->live.id : -1);
}

static int proc_no_domain(struct remote_call *c, const char *what)
{
	return verr_set(&c->err, VERR_NO_DOMAIN, "Domain not found: no domain "
			"with matching %s", what);
}

PROC_DECL(proc_lookup_by_id)
{
	int32_t id = xdr_get_i32(c->args);
	struct dom *d;
	char what[40];

	if (proc_args_done(c))
		return PROC_DROP;
	d = dom_by_id(id);
	if (!d) {
		snprintf(what, sizeof(what), "id %d", id);
		return proc_no_domain(c, what);
	}
	proc_put_dom(c, d);
	return 0;
}

PROC_DECL(proc_lookup_by_name)
{
	char *name = xdr_get_string(c->args, 4096);
	struct dom *d = NULL;
	char what[120];
	int rc = 0;

	if (proc_args_done(c)) {
		free(name);
		return PROC_DROP;
	}
	d = dom_by_name(name);
	if (d) {
		proc_put_dom(c, d);
	} else {
		snprintf(what, sizeof(what), "name '%.80s'", name);
		rc = proc_no_domain(c, what);
	}
	free(name);
	return rc;
}

PROC_DECL(proc_lookup_by_uuid)
{
	uint8_t uuid[16];
	struct dom *d;
	char u[37], what[60];

	xdr_get_fixed(c->args, uuid, 16);
	if (proc_args_done(c))
		return PROC_DROP;
	d = dom_by_uuid(uuid);
	if (!d) {
		domxml_uuid_format(uuid, u);
		snprintf(what, sizeof(what), "uuid '%s'", u);
		return proc_no_domain(c, what);
	}
	proc_put_dom(c, d);
	return 0;
}

/* CONNECT_LIST_ALL_DOMAINS flags (virConnectListAllDomainsFlags): each
 * pair or group selects when any of its bits is set. */
enum {
	LIST_ACTIVE = 1, LIST_INACTIVE = 2, LIST_PERSISTENT = 4,
	LIST_TRANSIENT = 8, LIST_RUNNING = 16, LIST_PAUSED = 32,
	LIST_SHUTOFF = 64, LIST_OTHER = 128, LIST_MANAGEDSAVE = 256,
	LIST_NO_MANAGEDSAVE = 512, LIST_AUTOSTART = 1024,
	LIST_NO_AUTOSTART = 2048, LIST_SNAPSHOT = 4096,
	LIST_NO_SNAPSHOT = 8192,
};

static bool proc_list_group(uint32_t flags, uint32_t group, uint32_t have)
{
	return !(flags & group) || (flags & have);
}

static bool proc_list_match(const struct dom *d, uint32_t flags)
{
	bool act = dom_active(d);
	uint32_t st = d->state == DS_RUNNING ? LIST_RUNNING :
		      d->state == DS_PAUSED ? LIST_PAUSED :
		      d->state == DS_SHUTOFF ? LIST_SHUTOFF : LIST_OTHER;

	return proc_list_group(flags, LIST_ACTIVE | LIST_INACTIVE,
			       act ? LIST_ACTIVE : LIST_INACTIVE) &&
	       proc_list_group(flags, LIST_PERSISTENT | LIST_TRANSIENT,
			       d->persistent ? LIST_PERSISTENT : LIST_TRANSIENT) &&
	       proc_list_group(flags, LIST_RUNNING | LIST_PAUSED | LIST_SHUTOFF |
			       LIST_OTHER, st) &&
	       proc_list_group(flags, LIST_MANAGEDSAVE | LIST_NO_MANAGEDSAVE,
			       dom_has_managed_save(d) ? LIST_MANAGEDSAVE :
			       LIST_NO_MANAGEDSAVE) &&
	       proc_list_group(flags, LIST_AUTOSTART | LIST_NO_AUTOSTART,
			       d->autostart ? LIST_AUTOSTART : LIST_NO_AUTOSTART) &&
	       proc_list_group(flags, LIST_SNAPSHOT | LIST_NO_SNAPSHOT,
			       LIST_NO_SNAPSHOT);
}

PROC_DECL(proc_list_all_domains)
{
	int32_t need = xdr_get_i32(c->args);
	uint32_t flags = xdr_get_u32(c->args), n = 0;
	struct dom *d;

	if (proc_args_done(c))
		return PROC_DROP;
	for (d = dom_first(); d; d = d->next)
		n += proc_list_match(d, flags);
	if (need) {
		xdr_put_u32(c->ret, n);
		for (d = dom_first(); d; d = d->next)
			if (proc_list_match(d, flags))
				proc_put_dom(c, d);
	} else {
		xdr_put_u32(c->ret, 0);
	}
	xdr_put_u32(c->ret, n);
	return 0;
}

static int proc_count(struct remote_call *c, bool active)
{
	struct dom *d;
	int32_t n = 0;

	if (proc_args_done(c))
		return PROC_DROP;
	for (d = dom_first(); d; d = d->next)
		n += dom_active(d) == active;
	xdr_put_i32(c->ret, n);
	return 0;
}

PROC_DECL(proc_num_of_domains)
{
	return proc_count(c, true);
}

PROC_DECL(proc_num_of_defined_domains)
{
	return proc_count(c, false);
}

PROC_DECL(proc_list_domains)
{
	int32_t max = xdr_get_i32(c->args), n = 0;
	struct dom *d;

	if (proc_args_done(c) || max < 0 || max > LIST_MAX)
		return PROC_DROP;
	for (d = dom_first(); d; d = d->next)
		n += dom_active(d) && n < max;
	xdr_put_i32(c->ret, n);
	for (d = dom_first(); d && n > 0; d = d->next)
		if (dom_active(d)) {
			xdr_put_i32(c->ret, d->live.id);
			n--;
		}
	return 0;
}

PROC_DECL(proc_list_defined_domains)
{
	int32_t max = xdr_get_i32(c->args), n = 0;
	struct dom *d;

	if (proc_args_done(c) || max < 0 || max > LIST_MAX)
		return PROC_DROP;
	for (d = dom_first(); d; d = d->next)
		n += !dom_active(d) && n < max;
	xdr_put_i32(c->ret, n);
	for (d = dom_first(); d && n > 0; d = d->next)
		if (!dom_active(d)) {
			xdr_put_string(c->ret, d->cfg.name);
			n--;
		}
	return 0;
}

PROC_DECL(proc_get_info)
{
	struct dom *d;
	int rc = proc_dom_arg(c, &d);

	if (rc || (rc = proc_args_done(c)))
		return rc;
	xdr_put_i32(c->ret, d->state);		/* u_char: 4 bytes */
	xdr_put_u64(c->ret, d->cfg.max_kib);
	xdr_put_u64(c->ret, d->cfg.cur_kib);
	xdr_put_i32(c->ret, (int32_t)d->cfg.vcpus);	/* u_short: 4 bytes */
	xdr_put_u64(c->ret, dom_cputime_ns(d));
	return 0;
}

PROC_DECL(proc_get_state)
{
	struct dom *d;
	int rc = proc_dom_arg(c, &d);

	xdr_get_u32(c->args);
	if (rc || (rc = proc_args_done(c)))
		return rc ? rc : PROC_DROP;
	xdr_put_i32(c->ret, d->state);
	xdr_put_i32(c->ret, d->reason);
	return 0;
}

PROC_DECL(proc_get_os_type)
{
	struct dom *d;
	int rc = proc_dom_arg(c, &d);

	if (rc || (rc = proc_args_done(c)))
		return rc;
	xdr_put_string(c->ret, d->cfg.os_type);
	return 0;
}

PROC_DECL(proc_get_max_memory)
{
	struct dom *d;
	int rc = proc_dom_arg(c, &d);

	if (rc || (rc = proc_args_done(c)))
		return rc;
	xdr_put_u64(c->ret, d->cfg.max_kib);
	return 0;
}

PROC_DECL(proc_dom_get_max_vcpus)
{
	struct dom *d;
	int rc = proc_dom_arg(c, &d);

	if (rc || (rc = proc_args_done(c)))
		return rc;
	xdr_put_i32(c->ret, (int32_t)d->cfg.vcpus_max);
	return 0;
}

/* GET_VCPUS_FLAGS: 4 = VIR_DOMAIN_VCPU_MAXIMUM. */
PROC_DECL(proc_get_vcpus_flags)
{
	struct dom *d;
	int rc = proc_dom_arg(c, &d);
	uint32_t flags = xdr_get_u32(c->args);

	if (rc || (rc = proc_args_done(c)))
		return rc ? rc : PROC_DROP;
	xdr_put_i32(c->ret, (int32_t)(flags & 4 ? d->cfg.vcpus_max : d->cfg.vcpus));
	return 0;
}

/* GET_XML_DESC flags: 2 = VIR_DOMAIN_XML_INACTIVE. */
PROC_DECL(proc_get_xml_desc)
{
	struct dom *d;
	int rc = proc_dom_arg(c, &d);
	uint32_t flags = xdr_get_u32(c->args);
	char *xml;

	if (rc || (rc = proc_args_done(c)))
		return rc ? rc : PROC_DROP;
	xml = dom_xml(d, flags & 2);
	if (!xml)
		return verr_nomem(&c->err);
	xdr_put_string(c->ret, xml);
	free(xml);
	return 0;
}

static int proc_put_bool(struct remote_call *c, bool (*fn)(const struct dom *))
{
	struct dom *d;
	int rc = proc_dom_arg(c, &d);

	if (rc || (rc = proc_args_done(c)))
		return rc;
	xdr_put_i32(c->ret, fn(d));
	return 0;
}

static bool proc_is_active_fn(const struct dom *d) { return dom_active(d); }
static bool proc_is_persistent_fn(const struct dom *d) { return d->persistent; }
static bool proc_autostart_fn(const struct dom *d) { return d->autostart; }
static bool proc_false_fn(const struct dom *d) { (void)d; return false; }

PROC_DECL(proc_is_active)
{
	return proc_put_bool(c, proc_is_active_fn);
}

PROC_DECL(proc_is_persistent)
{
	return proc_put_bool(c, proc_is_persistent_fn);
}

PROC_DECL(proc_is_updated)
{
	return proc_put_bool(c, proc_false_fn);
}

PROC_DECL(proc_get_autostart)
{
	return proc_put_bool(c, proc_autostart_fn);
}

/* SNAPSHOT_NUM {dom; u32}: none here. */
PROC_DECL(proc_dom_zero_flags)
{
	struct dom *d;
	int rc = proc_dom_arg(c, &d);

	xdr_get_u32(c->args);
	if (rc || (rc = proc_args_done(c)))
		return rc ? rc : PROC_DROP;
	xdr_put_i32(c->ret, 0);
	return 0;
}

PROC_DECL(proc_set_autostart)
{
	struct dom *d;
	int rc = proc_dom_arg(c, &d);
	int32_t on = xdr_get_i32(c->args);

	if (rc || (rc = proc_args_done(c)))
		return rc ? rc : PROC_DROP;
	return dom_set_autostart(d, on != 0, &c->err);
}

static int proc_define(struct remote_call *c, bool has_flags)
{
	char *xml = xdr_get_string(c->args, XDR_STRING_MAX);
	struct dom *d = NULL;
	int rc;

	if (has_flags)
		xdr_get_u32(c->args);
	if (proc_args_done(c)) {
		free(xml);
		return PROC_DROP;
	}
	rc = dom_define(xml, &d, &c->err);
	free(xml);
	if (rc == 0)
		proc_put_dom(c, d);
	return rc;
}

PROC_DECL(proc_define_xml)
{
	return proc_define(c, false);
}

PROC_DECL(proc_define_xml_flags)
{
	return proc_define(c, true);
}

static int proc_undefine_common(struct remote_call *c, bool has_flags)
{
	struct dom *d;
	int rc = proc_dom_arg(c, &d);
	uint32_t flags = has_flags ? xdr_get_u32(c->args) : 0;

	if (rc || (rc = proc_args_done(c)))
		return rc ? rc : PROC_DROP;
	return dom_undefine(d, flags, &c->err);
}

PROC_DECL(proc_undefine)
{
	return proc_undefine_common(c, false);
}

PROC_DECL(proc_undefine_flags)
{
	return proc_undefine_common(c, true);
}

/* Memory: a running hv cannot change its RAM (no balloon yet), so live
 * changes other than to the current size are refused; the definition
 * takes new sizes (flags: 1 live, 2 config, 4 maximum). */
static int proc_set_mem(struct remote_call *c, struct dom *d, uint64_t kib,
			uint32_t flags)
{
	struct dom_config *def;
	bool live = (flags & 1) || (!(flags & 2) && dom_active(d));
	int rc;

	rc = dom_check_not_dom0(d, &c->err);
	if (rc < 0)
		return rc;
	if (kib < 1024 || kib > DOM_MEM_MAX_KIB)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"memory must be between 1 MiB and 1 TiB");
	if (live && !dom_active(d))
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: domain is not running");
	if (live && (flags & 4))
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: cannot resize the maximum "
				"memory on an active domain");
	if (live && kib != d->cfg.cur_kib)
		return verr_set(&c->err, VERR_OPERATION_UNSUPPORTED, "Operation "
				"not supported: a running domain's memory cannot "
				"change (no balloon device); use --config");
	if (live)
		return 0;
	def = dom_def_copy(d, &c->err);
	if (!def)
		return -ENOMEM;
	if (!(flags & 4) && kib > def->max_kib) {
		free(def);
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"cannot set memory higher than max memory");
	}
	if (flags & 4) {
		def->max_kib = kib;
		def->cur_kib = MIN(def->cur_kib, kib);
	} else {
		def->cur_kib = kib;
	}
	return dom_def_commit(d, def, &c->err);
}

static int proc_mem_common(struct remote_call *c, bool has_flags,
			   uint32_t implied)
{
	struct dom *d = proc_get_dom(c);
	uint64_t kib = xdr_get_u64(c->args);
	uint32_t flags = has_flags ? xdr_get_u32(c->args) : 0;
	int rc;

	rc = proc_dom_ready(c, d, false);
	if (rc)
		return rc;
	log_debug("setmem %s: %llu KiB flags %#x", d->cfg.name,
		  (unsigned long long)kib, flags | implied);
	return proc_set_mem(c, d, kib, flags | implied);
}

PROC_DECL(proc_set_memory_flags)
{
	return proc_mem_common(c, true, 0);
}

PROC_DECL(proc_set_memory)
{
	return proc_mem_common(c, false, 0);
}

PROC_DECL(proc_set_max_memory)
{
	return proc_mem_common(c, false, 4);
}

static const struct proc proc_domain_procs[] = {
	{ 11, "DOMAIN_DEFINE_XML", proc_define_xml, PROC_WRITE },
	{ 14, "DOMAIN_GET_XML_DESC", proc_get_xml_desc, 0 },
	{ 15, "DOMAIN_GET_AUTOSTART", proc_get_autostart, 0 },
	{ 16, "DOMAIN_GET_INFO", proc_get_info, 0 },
	{ 17, "DOMAIN_GET_MAX_MEMORY", proc_get_max_memory, 0 },
	{ 18, "DOMAIN_GET_MAX_VCPUS", proc_dom_get_max_vcpus, 0 },
	{ 19, "DOMAIN_GET_OS_TYPE", proc_get_os_type, 0 },
	{ 21, "CONNECT_LIST_DEFINED_DOMAINS", proc_list_defined_domains, 0 },
	{ 22, "DOMAIN_LOOKUP_BY_ID", proc_lookup_by_id, 0 },
	{ 23, "DOMAIN_LOOKUP_BY_NAME", proc_lookup_by_name, 0 },
	{ 24, "DOMAIN_LOOKUP_BY_UUID", proc_lookup_by_uuid, 0 },
	{ 25, "CONNECT_NUM_OF_DEFINED_DOMAINS",
	  proc_num_of_defined_domains, 0 },
	{ 29, "DOMAIN_SET_AUTOSTART", proc_set_autostart, PROC_WRITE },
	{ 30, "DOMAIN_SET_MAX_MEMORY", proc_set_max_memory, PROC_WRITE },
	{ 31, "DOMAIN_SET_MEMORY", proc_set_memory, PROC_WRITE },
	{ 35, "DOMAIN_UNDEFINE", proc_undefine, PROC_WRITE },
	{ 37, "CONNECT_LIST_DOMAINS", proc_list_domains, 0 },
	{ 51, "CONNECT_NUM_OF_DOMAINS", proc_num_of_domains, 0 },
	{ 150, "DOMAIN_IS_ACTIVE", proc_is_active, 0 },
	{ 151, "DOMAIN_IS_PERSISTENT", proc_is_persistent, 0 },
	{ 187, "DOMAIN_SNAPSHOT_NUM", proc_dom_zero_flags, 0 },
	{ 200, "DOMAIN_GET_VCPUS_FLAGS", proc_get_vcpus_flags, 0 },
	{ 202, "DOMAIN_IS_UPDATED", proc_is_updated, 0 },
	{ 204, "DOMAIN_SET_MEMORY_FLAGS", proc_set_memory_flags, PROC_WRITE },
	{ 212, "DOMAIN_GET_STATE", proc_get_state, 0 },
	{ 231, "DOMAIN_UNDEFINE_FLAGS", proc_undefine_flags, PROC_WRITE },
	{ 273, "CONNECT_LIST_ALL_DOMAINS", proc_list_all_domains, 0 },
	{ 350, "DOMAIN_DEFINE_XML_FLAGS", proc_define_xml_flags, PROC_WRITE },
};

const struct proc_group proc_domain_group = {
	"domain", proc_domain_procs, ARRAY_SIZE(proc_domain_procs)
};
