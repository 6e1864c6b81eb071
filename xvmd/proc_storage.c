/*
 * Storage procedures (issue 14): libvirt's storage pool and volume calls
 * over the model in pool.c. Numbers and layouts are remote_protocol.x's:
 * a pool goes on the wire as remote_nonnull_storage_pool {string name;
 * uuid}, a volume as remote_nonnull_storage_vol {string pool; string
 * name; string key}, the key being the volume's path (as libvirt's dir
 * pools have it). Errors carry libvirt's codes and wording
 * (VIR_ERR_NO_STORAGE_POOL, VIR_ERR_NO_STORAGE_VOL, ...).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "xvm/daemon.h"
#include "dom.h"
#include "domxml.h"
#include "pool.h"
#include "proc.h"

#define PS_NAME_MAX	1024		/* a name argument */
#define PS_PATH_MAX	4096		/* a path or key argument */
#define PS_XML_MAX	(1u << 20)	/* a pool or volume document */
/* REMOTE_STORAGE_VOL_NAME_LIST_MAX */
#define PS_LIST_MAX	16384

/* A remote_nonnull_storage_pool as decoded, found once args are done. */
struct ps_pool_ref {
	char *name;
	uint8_t uuid[16];
};

struct ps_vol_ref {
	char *pool, *name, *key;
};

static void ps_get_pool_ref(struct remote_call *c, struct ps_pool_ref *r)
{
	r->name = xdr_get_string(c->args, PS_NAME_MAX);
	xdr_get_fixed(c->args, r->uuid, 16);
}

static void ps_get_vol_ref(struct remote_call *c, struct ps_vol_ref *r)
{
	r->pool = xdr_get_string(c->args, PS_NAME_MAX);
	r->name = xdr_get_string(c->args, PS_NAME_MAX);
	r->key = xdr_get_string(c->args, PS_PATH_MAX);
}

static void ps_free_vol_ref(struct ps_vol_ref *r)
{
	free(r->pool);
	free(r->name);
	free(r->key);
}

static int ps_no_pool_name(struct remote_call *c, const char *name)
{
	return verr_set(&c->err, VERR_NO_STORAGE_POOL, "Storage pool not "
			"found: no storage pool with matching name '%.200s'",
			name);
}

/* The pool a reference names (by uuid, as libvirt looks it up), after
 * the args were checked: NULL with c->err. */
static struct pool *ps_find_pool(struct remote_call *c,
				 const struct ps_pool_ref *r)
{
	struct pool *p = pool_by_uuid(r->uuid);
	char uuid[37];

	if (!p) {
		domxml_uuid_format(r->uuid, uuid);
		verr_set(&c->err, VERR_NO_STORAGE_POOL, "Storage pool not "
			 "found: no storage pool with matching uuid '%s' "
			 "(%.200s)", uuid, r->name ? r->name : "");
	}
	return p;
}

static int ps_pool_active(struct remote_call *c, const struct pool *p)
{
	if (!p->active)
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"not active", p->name);
	return 0;
}

/* The volume a reference names: its pool (active) by name, then the
 * volume by name. */
static const struct pool_vol *ps_find_vol(struct remote_call *c,
					  const struct ps_vol_ref *r,
					  struct pool **pp)
{
	struct pool *p = pool_by_name(r->pool);
	const struct pool_vol *v;

	if (!p) {
		ps_no_pool_name(c, r->pool);
		return NULL;
	}
	if (ps_pool_active(c, p) < 0)
		return NULL;
	v = pool_vol_by_name(p, r->name);
	if (!v) {
		verr_set(&c->err, VERR_NO_STORAGE_VOL, "Storage volume not "
			 "found: no storage vol with matching name '%.200s'",
			 r->name);
		return NULL;
	}
	*pp = p;
	return v;
}

static void ps_put_pool(struct remote_call *c, const struct pool *p)
{
	xdr_put_string(c->ret, p->name);
	xdr_put_fixed(c->ret, p->uuid, 16);
}

static void ps_put_vol(struct remote_call *c, const struct pool *p,
		       const struct pool_vol *v)
{
	char path[4096];

	pool_vol_path(p, v->name, path, sizeof(path));
	xdr_put_string(c->ret, p->name);
	xdr_put_string(c->ret, v->name);
	xdr_put_string(c->ret, path);
}

static int ps_flags(struct remote_call *c, uint32_t flags, uint32_t known)
{
	if (flags & ~known)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x)", flags & ~known);
	return 0;
}

/* ---- counting and listing ---- */

static int ps_count(bool active)
{
	struct pool *p;
	int n = 0;

	for (p = pool_list(); p; p = p->next)
		n += p->active == active;
	return n;
}

static int ps_list_names(struct remote_call *c, bool active)
{
	int32_t max = xdr_get_i32(c->args);
	struct pool *p;
	uint32_t n = 0;
	size_t at;

	if (proc_args_done(c))
		return PROC_DROP;
	if (max < 0 || max > 4096)
		return verr_set(&c->err, VERR_RPC, "too many storage pools "
				"requested: %d > 4096", max);
	at = c->ret->len;
	xdr_put_u32(c->ret, 0);
	for (p = pool_list(); p && n < (uint32_t)max; p = p->next)
		if (p->active == active) {
			xdr_put_string(c->ret, p->name);
			n++;
		}
	xdr_patch_u32(c->ret, at, n);
	return 0;
}

PROC_DECL(ps_num_pools)
{
	if (proc_args_done(c))
		return PROC_DROP;
	xdr_put_i32(c->ret, ps_count(true));
	return 0;
}

PROC_DECL(ps_list_pools)
{
	return ps_list_names(c, true);
}

PROC_DECL(ps_num_defined_pools)
{
	if (proc_args_done(c))
		return PROC_DROP;
	xdr_put_i32(c->ret, ps_count(false));
	return 0;
}

PROC_DECL(ps_list_defined_pools)
{
	return ps_list_names(c, false);
}

/* VIR_CONNECT_LIST_STORAGE_POOLS_* */
enum {
	LS_INACTIVE = 1 << 0, LS_ACTIVE = 1 << 1,
	LS_PERSISTENT = 1 << 2, LS_TRANSIENT = 1 << 3,
	LS_AUTOSTART = 1 << 4, LS_NO_AUTOSTART = 1 << 5,
	LS_DIR = 1 << 6,
	LS_TYPES = 0xfffc0,	/* DIR .. ISCSI_DIRECT (bits 6-19) */
};

static bool ps_pool_matches(const struct pool *p, uint32_t f)
{
	if ((f & (LS_INACTIVE | LS_ACTIVE)) &&
	    !((f & LS_ACTIVE && p->active) || (f & LS_INACTIVE && !p->active)))
		return false;
	if ((f & (LS_PERSISTENT | LS_TRANSIENT)) &&
	    !((f & LS_PERSISTENT && p->persistent) ||
	      (f & LS_TRANSIENT && !p->persistent)))
		return false;
	if ((f & (LS_AUTOSTART | LS_NO_AUTOSTART)) &&
	    !((f & LS_AUTOSTART && p->autostart) ||
	      (f & LS_NO_AUTOSTART && !p->autostart)))
		return false;
	return !(f & LS_TYPES) || (f & LS_DIR);
}

/* CONNECT_LIST_ALL_STORAGE_POOLS {int need_results; u32 flags} ->
 * {storage_pool pools<>; u32 ret}. */
PROC_DECL(ps_list_all_pools)
{
	int32_t need = xdr_get_i32(c->args);
	uint32_t flags = xdr_get_u32(c->args), n = 0;
	struct pool *p;
	size_t at;

	if (proc_args_done(c))
		return PROC_DROP;
	if (ps_flags(c, flags, 0xfffff) < 0)
		return -EINVAL;
	at = c->ret->len;
	xdr_put_u32(c->ret, 0);
	for (p = pool_list(); p; p = p->next) {
		if (!ps_pool_matches(p, flags))
			continue;
		if (need)
			ps_put_pool(c, p);
		n++;
	}
	xdr_patch_u32(c->ret, at, need ? n : 0);
	xdr_put_u32(c->ret, n);
	return 0;
}

/* ---- pools ---- */

/* Decode a pool reference, check the args, find the pool. */
#define PS_POOL_BEGIN(c, r, p)						\
	do {								\
		if (proc_args_done(c)) {				\
			free((r).name);					\
			return PROC_DROP;				\
		}							\
		(p) = ps_find_pool(c, &(r));				\
		free((r).name);						\
		if (!(p))						\
			return -ENOENT;					\
	} while (0)

PROC_DECL(ps_lookup_by_name)
{
	char *name = xdr_get_string(c->args, PS_NAME_MAX);
	struct pool *p;
	int rc = 0;

	if (proc_args_done(c)) {
		free(name);
		return PROC_DROP;
	}
	p = pool_by_name(name);
	if (p)
		ps_put_pool(c, p);
	else
		rc = ps_no_pool_name(c, name);
	free(name);
	return rc;
}

PROC_DECL(ps_lookup_by_uuid)
{
	struct ps_pool_ref r = { NULL };
	struct pool *p;

	xdr_get_fixed(c->args, r.uuid, 16);
	PS_POOL_BEGIN(c, r, p);
	ps_put_pool(c, p);
	return 0;
}

PROC_DECL(ps_lookup_by_volume)
{
	struct ps_vol_ref r;
	struct pool *p = NULL;
	int rc = 0;

	ps_get_vol_ref(c, &r);
	if (proc_args_done(c)) {
		ps_free_vol_ref(&r);
		return PROC_DROP;
	}
	if (ps_find_vol(c, &r, &p))
		ps_put_pool(c, p);
	else
		rc = verr_errno(c->err.code);
	ps_free_vol_ref(&r);
	return rc;
}

/* Parse a pool document: 0 or -EINVAL with c->err. */
static int ps_parse_pool(struct remote_call *c, const char *xml,
			 struct pool_def *def)
{
	char err[400];

	if (pool_parse_xml(xml, strlen(xml), def, err, sizeof(err)) < 0)
		return verr_set(&c->err, VERR_XML_ERROR, "XML error: %s", err);
	return 0;
}

PROC_DECL(ps_define_xml)
{
	char *xml = xdr_get_string(c->args, PS_XML_MAX);
	uint32_t flags = xdr_get_u32(c->args);
	struct pool_def def;
	struct pool *p;
	int rc;

	if (proc_args_done(c)) {
		free(xml);
		return PROC_DROP;
	}
	/* VIR_STORAGE_POOL_DEFINE_VALIDATE: the XML is checked anyway */
	rc = ps_flags(c, flags, 1);
	if (rc == 0)
		rc = ps_parse_pool(c, xml, &def);
	free(xml);
	if (rc < 0)
		return rc;
	p = pool_define(&def, &c->err);
	if (!p)
		return verr_errno(c->err.code);
	ps_put_pool(c, p);
	return 0;
}

/* VIR_STORAGE_POOL_CREATE_WITH_BUILD and its two variants */
#define PS_CREATE_BUILD	7u

PROC_DECL(ps_create_xml)
{
	char *xml = xdr_get_string(c->args, PS_XML_MAX);
	uint32_t flags = xdr_get_u32(c->args);
	struct pool_def def;
	struct pool *p;
	int rc;

	if (proc_args_done(c)) {
		free(xml);
		return PROC_DROP;
	}
	rc = ps_flags(c, flags, PS_CREATE_BUILD);
	if (rc == 0)
		rc = ps_parse_pool(c, xml, &def);
	free(xml);
	if (rc < 0)
		return rc;
	if (flags & PS_CREATE_BUILD) {
		rc = mkdir_p(def.path, 0711);
		if (rc < 0)
			return verr_fail(&c->err, rc, VERR_OPERATION_FAILED,
					 "operation failed: cannot create path "
					 "'%s': %s", def.path, strerror(-rc));
	}
	p = pool_create_transient(&def, &c->err);
	if (!p)
		return verr_errno(c->err.code);
	ps_put_pool(c, p);
	return 0;
}

PROC_DECL(ps_create)
{
	struct ps_pool_ref r;
	uint32_t flags;
	struct pool *p;
	int rc;

	ps_get_pool_ref(c, &r);
	flags = xdr_get_u32(c->args);
	PS_POOL_BEGIN(c, r, p);
	rc = ps_flags(c, flags, PS_CREATE_BUILD);
	if (rc == 0 && (flags & PS_CREATE_BUILD) && !p->active)
		rc = pool_build(p, &c->err);
	return rc < 0 ? rc : pool_start(p, &c->err);
}

PROC_DECL(ps_build)
{
	struct ps_pool_ref r;
	uint32_t flags;
	struct pool *p;
	int rc;

	ps_get_pool_ref(c, &r);
	flags = xdr_get_u32(c->args);
	PS_POOL_BEGIN(c, r, p);
	/* NO_OVERWRITE (4), OVERWRITE (8): a directory is made or kept */
	rc = ps_flags(c, flags, 4 | 8);
	return rc < 0 ? rc : pool_build(p, &c->err);
}

PROC_DECL(ps_destroy)
{
	struct ps_pool_ref r;
	struct pool *p;

	ps_get_pool_ref(c, &r);
	PS_POOL_BEGIN(c, r, p);
	return pool_destroy(p, &c->err);
}

PROC_DECL(ps_delete)
{
	struct ps_pool_ref r;
	uint32_t flags;
	struct pool *p;
	int rc;

	ps_get_pool_ref(c, &r);
	flags = xdr_get_u32(c->args);
	PS_POOL_BEGIN(c, r, p);
	rc = ps_flags(c, flags, 0);
	return rc < 0 ? rc : pool_delete_dir(p, &c->err);
}

PROC_DECL(ps_undefine)
{
	struct ps_pool_ref r;
	struct pool *p;

	ps_get_pool_ref(c, &r);
	PS_POOL_BEGIN(c, r, p);
	return pool_undefine(p, &c->err);
}

PROC_DECL(ps_refresh)
{
	struct ps_pool_ref r;
	uint32_t flags;
	struct pool *p;
	int rc;

	ps_get_pool_ref(c, &r);
	flags = xdr_get_u32(c->args);
	PS_POOL_BEGIN(c, r, p);
	rc = ps_flags(c, flags, 0);
	return rc < 0 ? rc : pool_refresh(p, &c->err);
}

/* STORAGE_POOL_GET_INFO {pool} -> {u_char state (4 bytes); uhyper
 * capacity, allocation, available}. */
PROC_DECL(ps_get_info)
{
	struct ps_pool_ref r;
	uint64_t cap = 0, alloc = 0, avail = 0;
	struct pool *p;

	ps_get_pool_ref(c, &r);
	PS_POOL_BEGIN(c, r, p);
	if (p->active)
		pool_sizes(p, &cap, &alloc, &avail);
	xdr_put_u32(c->ret, p->active ? POOL_STATE_RUNNING :
		    POOL_STATE_INACTIVE);
	xdr_put_u64(c->ret, cap);
	xdr_put_u64(c->ret, alloc);
	xdr_put_u64(c->ret, avail);
	return 0;
}

PROC_DECL(ps_get_xml_desc)
{
	struct ps_pool_ref r;
	uint32_t flags;
	struct pool *p;
	char *xml;
	int rc;

	ps_get_pool_ref(c, &r);
	flags = xdr_get_u32(c->args);
	PS_POOL_BEGIN(c, r, p);
	rc = ps_flags(c, flags, 1);	/* VIR_STORAGE_XML_INACTIVE */
	if (rc < 0)
		return rc;
	xml = pool_format_xml(p, flags & 1);
	if (!xml)
		return verr_nomem(&c->err);
	xdr_put_string(c->ret, xml);
	free(xml);
	return 0;
}

PROC_DECL(ps_get_autostart)
{
	struct ps_pool_ref r;
	struct pool *p;

	ps_get_pool_ref(c, &r);
	PS_POOL_BEGIN(c, r, p);
	xdr_put_i32(c->ret, p->autostart);
	return 0;
}

PROC_DECL(ps_set_autostart)
{
	struct ps_pool_ref r;
	int32_t on;
	struct pool *p;

	ps_get_pool_ref(c, &r);
	on = xdr_get_i32(c->args);
	PS_POOL_BEGIN(c, r, p);
	return pool_set_autostart(p, on != 0, &c->err);
}

PROC_DECL(ps_is_active)
{
	struct ps_pool_ref r;
	struct pool *p;

	ps_get_pool_ref(c, &r);
	PS_POOL_BEGIN(c, r, p);
	xdr_put_i32(c->ret, p->active);
	return 0;
}

PROC_DECL(ps_is_persistent)
{
	struct ps_pool_ref r;
	struct pool *p;

	ps_get_pool_ref(c, &r);
	PS_POOL_BEGIN(c, r, p);
	xdr_put_i32(c->ret, p->persistent);
	return 0;
}

PROC_DECL(ps_num_volumes)
{
	struct ps_pool_ref r;
	struct pool *p;
	int rc;

	ps_get_pool_ref(c, &r);
	PS_POOL_BEGIN(c, r, p);
	rc = ps_pool_active(c, p);
	if (rc == 0)
		xdr_put_i32(c->ret, (int32_t)p->nvols);
	return rc;
}

PROC_DECL(ps_list_volumes)
{
	struct ps_pool_ref r;
	int32_t max;
	struct pool *p;
	size_t i;
	int rc;

	ps_get_pool_ref(c, &r);
	max = xdr_get_i32(c->args);
	PS_POOL_BEGIN(c, r, p);
	if (max < 0 || max > PS_LIST_MAX)
		return verr_set(&c->err, VERR_RPC, "too many storage volumes "
				"requested: %d > %d", max, PS_LIST_MAX);
	rc = ps_pool_active(c, p);
	if (rc < 0)
		return rc;
	xdr_put_u32(c->ret, (uint32_t)MIN((size_t)max, p->nvols));
	for (i = 0; i < p->nvols && i < (size_t)max; i++)
		xdr_put_string(c->ret, p->vols[i].name);
	return 0;
}

/* STORAGE_POOL_LIST_ALL_VOLUMES {pool; int need_results; u32 flags} ->
 * {storage_vol vols<>; u32 ret}. */
PROC_DECL(ps_list_all_volumes)
{
	struct ps_pool_ref r;
	int32_t need;
	uint32_t flags;
	struct pool *p;
	size_t i;
	int rc;

	ps_get_pool_ref(c, &r);
	need = xdr_get_i32(c->args);
	flags = xdr_get_u32(c->args);
	PS_POOL_BEGIN(c, r, p);
	rc = ps_flags(c, flags, 0);
	if (rc == 0)
		rc = ps_pool_active(c, p);
	if (rc < 0)
		return rc;
	if (p->nvols > PS_LIST_MAX)
		return verr_set(&c->err, VERR_RPC, "too many storage volumes:"
				" %zu > %d", p->nvols, PS_LIST_MAX);
	xdr_put_u32(c->ret, need ? (uint32_t)p->nvols : 0);
	for (i = 0; need && i < p->nvols; i++)
		ps_put_vol(c, p, &p->vols[i]);
	xdr_put_u32(c->ret, (uint32_t)p->nvols);
	return 0;
}

/* ---- volumes ---- */

/* A create, resize, wipe or clone answered when its qemu-img ends
 * (pool_vol_*_start), beside the loop for a client (issue 12: no client
 * waits on another's qemu-img); the volume to name in a create's or
 * clone's answer. */
struct ps_job {
	struct remote_defer *rd;	/* NULL: an in-process call (tests) */
	struct remote_call *c;		/* then: answered into it */
	int rc;
	char pool[POOL_NAME_MAX + 1];
	char vol[POOL_VOL_NAME_MAX + 1];	/* the volume worked on */
	bool answer_vol;		/* answered with the new volume */
};

static void ps_job_done(void *opaque, int rc, const struct verr *e)
{
	struct ps_job *j = opaque;
	struct pool *p = pool_by_name(j->pool);
	const struct pool_vol *v = NULL;
	struct xdr_out ret, *out = j->rd ? &ret : j->c->ret;
	struct verr err;

	if (e)
		err = *e;
	if (rc == 0 && j->answer_vol) {
		v = p ? pool_vol_by_name(p, j->vol) : NULL;
		if (!v)
			rc = verr_set(&err, VERR_OPERATION_FAILED, "operation "
				      "failed: volume '%s' was made but "
				      "qemu-img cannot read it", j->vol);
	}
	if (j->rd)
		xdr_out_init(&ret);
	if (rc == 0 && v) {
		char path[4096];

		pool_vol_path(p, v->name, path, sizeof(path));
		xdr_put_string(out, p->name);
		xdr_put_string(out, v->name);
		xdr_put_string(out, path);
	}
	if (j->rd) {
		remote_defer_reply(j->rd, rc, rc < 0 ? &err : NULL,
				   rc == 0 && v ? &ret : NULL);
		xdr_out_free(&ret);
		free(j);
		return;
	}
	if (rc < 0)
		j->c->err = err;
	j->rc = rc;	/* the in-process caller frees j */
}

/* Start one: PROC_LATER with a client (answered by ps_job_done), the
 * result at once without one; or the error that kept it from starting. */
static int ps_job_start(struct remote_call *c, struct ps_job *j,
			int (*start)(struct ps_job *j, bool async,
				     void *arg, struct verr *e), void *arg)
{
	bool later;
	int rc;

	j->c = c;
	if (c->conn) {
		j->rd = remote_call_defer(c);
		if (!j->rd) {
			free(j);
			return verr_nomem(&c->err);
		}
	}
	later = j->rd != NULL;
	rc = start(j, later, arg, &c->err);
	if (rc < 0) {
		if (j->rd)
			remote_defer_cancel(j->rd);
		free(j);
		return rc;
	}
	/* a job with nothing to do (the wipe of an empty raw file) may
	 * have been answered, and j freed, already */
	if (later)
		return PROC_LATER;
	rc = j->rc;
	free(j);
	return rc;
}

struct ps_create_arg {
	struct pool *p;
	const struct pool_vol_def *def;
	unsigned int flags;
};

static int ps_create_start(struct ps_job *j, bool async, void *arg,
			   struct verr *e)
{
	struct ps_create_arg *a = arg;

	return pool_vol_create_start(a->p, a->def, a->flags, async,
				     ps_job_done, j, e);
}

/* STORAGE_VOL_CREATE_XML {pool; xml; flags} -> {vol}: qemu-img create
 * beside the loop, answered when it ends; the volume is listed from
 * then on (a failed create leaves nothing). */
PROC_DECL(ps_vol_create_xml)
{
	struct ps_pool_ref r;
	char *xml, err[400];
	uint32_t flags;
	struct pool_vol_def def;
	struct ps_create_arg a;
	struct ps_job *j;
	struct pool *p;
	int rc;

	ps_get_pool_ref(c, &r);
	xml = xdr_get_string(c->args, PS_XML_MAX);
	flags = xdr_get_u32(c->args);
	if (proc_args_done(c)) {
		free(r.name);
		free(xml);
		return PROC_DROP;
	}
	p = ps_find_pool(c, &r);
	free(r.name);
	rc = p ? 0 : -ENOENT;
	if (rc == 0 && pool_vol_parse_xml(xml, strlen(xml), &def, err,
					  sizeof(err)) < 0)
		rc = verr_set(&c->err, VERR_XML_ERROR, "XML error: %s", err);
	free(xml);
	if (rc < 0)
		return rc;
	j = calloc(1, sizeof(*j));
	if (!j)
		return verr_nomem(&c->err);
	snprintf(j->pool, sizeof(j->pool), "%s", p->name);
	snprintf(j->vol, sizeof(j->vol), "%s", def.name);
	j->answer_vol = true;
	/* VIR_STORAGE_VOL_CREATE_VALIDATE (4): the XML is checked anyway */
	a = (struct ps_create_arg){ p, &def, flags & ~4u };
	return ps_job_start(c, j, ps_create_start, &a);
}

/* Decode a volume reference, check the args, find the volume. */
static const struct pool_vol *ps_vol_begin(struct remote_call *c,
					   struct ps_vol_ref *r,
					   struct pool **pp, int *rc)
{
	const struct pool_vol *v = NULL;

	if (proc_args_done(c))
		*rc = PROC_DROP;
	else if (!(v = ps_find_vol(c, r, pp)))
		*rc = verr_errno(c->err.code);
	else
		*rc = 0;
	return v;
}

/* A running domain's disk is the volume (same file): refuse to delete
 * or resize it under the guest. */
static int ps_vol_unused(struct remote_call *c, const struct pool *p,
			 const struct pool_vol *v)
{
	char path[4096];
	struct stat vs, ds;
	struct dom *d;
	unsigned int i;

	if (pool_vol_path(p, v->name, path, sizeof(path)) < 0 ||
	    stat(path, &vs) < 0)
		return 0;
	for (d = dom_first(); d; d = d->next) {
		if (!dom_active(d))
			continue;
		for (i = 0; i < d->cfg.ndisks; i++)
			if (stat(d->cfg.disks[i].path, &ds) == 0 &&
			    ds.st_dev == vs.st_dev && ds.st_ino == vs.st_ino)
				return verr_set(&c->err, VERR_OPERATION_INVALID,
						"Requested operation is not "
						"valid: storage volume '%s' is "
						"in use by running domain '%s'",
						v->name, d->cfg.name);
	}
	return 0;
}

PROC_DECL(ps_vol_delete)
{
	struct ps_vol_ref r;
	const struct pool_vol *v;
	uint32_t flags;
	struct pool *p;
	int rc;

	ps_get_vol_ref(c, &r);
	flags = xdr_get_u32(c->args);
	v = ps_vol_begin(c, &r, &p, &rc);
	if (rc == 0)
		rc = ps_flags(c, flags, 0);
	if (rc == 0)
		rc = ps_vol_unused(c, p, v);
	if (rc == 0)
		rc = pool_vol_delete(p, r.name, &c->err);
	ps_free_vol_ref(&r);
	return rc;
}

PROC_DECL(ps_vol_lookup_by_name)
{
	struct ps_pool_ref r;
	char *name;
	const struct pool_vol *v;
	struct pool *p;
	int rc;

	ps_get_pool_ref(c, &r);
	name = xdr_get_string(c->args, PS_NAME_MAX);
	if (proc_args_done(c)) {
		free(r.name);
		free(name);
		return PROC_DROP;
	}
	p = ps_find_pool(c, &r);
	free(r.name);
	rc = p ? ps_pool_active(c, p) : -ENOENT;
	if (rc == 0) {
		v = pool_vol_by_name(p, name);
		if (v)
			ps_put_vol(c, p, v);
		else
			rc = verr_set(&c->err, VERR_NO_STORAGE_VOL, "Storage "
				      "volume not found: no storage vol with "
				      "matching name '%.200s'", name);
	}
	free(name);
	return rc;
}

/* LOOKUP_BY_KEY and LOOKUP_BY_PATH: the key is the path. */
static int ps_vol_lookup_path(struct remote_call *c, const char *what)
{
	char *path = xdr_get_string(c->args, PS_PATH_MAX);
	const struct pool_vol *v;
	struct pool *p = NULL;
	int rc = 0;

	if (proc_args_done(c)) {
		free(path);
		return PROC_DROP;
	}
	v = pool_vol_by_path(path, &p);
	if (v)
		ps_put_vol(c, p, v);
	else
		rc = verr_set(&c->err, VERR_NO_STORAGE_VOL, "Storage volume "
			      "not found: no storage vol with matching %s "
			      "'%.200s'", what, path);
	free(path);
	return rc;
}

PROC_DECL(ps_vol_lookup_by_key)
{
	return ps_vol_lookup_path(c, "key");
}

PROC_DECL(ps_vol_lookup_by_path)
{
	return ps_vol_lookup_path(c, "path");
}

/* STORAGE_VOL_GET_INFO {vol} -> {char type (4 bytes); uhyper capacity;
 * uhyper allocation}. */
PROC_DECL(ps_vol_get_info)
{
	struct ps_vol_ref r;
	const struct pool_vol *v;
	struct pool *p;
	int rc;

	ps_get_vol_ref(c, &r);
	v = ps_vol_begin(c, &r, &p, &rc);
	if (rc == 0) {
		xdr_put_i32(c->ret, v->vdisk ? POOL_VOL_DIR : POOL_VOL_FILE);
		xdr_put_u64(c->ret, v->capacity);
		xdr_put_u64(c->ret, v->allocation);
	}
	ps_free_vol_ref(&r);
	return rc;
}

PROC_DECL(ps_vol_get_xml_desc)
{
	struct ps_vol_ref r;
	const struct pool_vol *v;
	uint32_t flags;
	struct pool *p;
	char *xml;
	int rc;

	ps_get_vol_ref(c, &r);
	flags = xdr_get_u32(c->args);
	v = ps_vol_begin(c, &r, &p, &rc);
	if (rc == 0)
		rc = ps_flags(c, flags, 0);
	if (rc == 0) {
		xml = pool_vol_format_xml(p, v);
		if (xml)
			xdr_put_string(c->ret, xml);
		else
			rc = verr_nomem(&c->err);
		free(xml);
	}
	ps_free_vol_ref(&r);
	return rc;
}

PROC_DECL(ps_vol_get_path)
{
	struct ps_vol_ref r;
	const struct pool_vol *v;
	struct pool *p;
	char path[4096];
	int rc;

	ps_get_vol_ref(c, &r);
	v = ps_vol_begin(c, &r, &p, &rc);
	if (rc == 0) {
		pool_vol_path(p, v->name, path, sizeof(path));
		xdr_put_string(c->ret, path);
	}
	ps_free_vol_ref(&r);
	return rc;
}

struct ps_resize_arg {
	struct pool *p;
	uint64_t cap;
	unsigned int flags;
};

static int ps_resize_start(struct ps_job *j, bool async, void *arg,
			   struct verr *e)
{
	struct ps_resize_arg *a = arg;

	return pool_vol_resize_start(a->p, j->vol, a->cap, a->flags, async,
				     ps_job_done, j, e);
}

/* STORAGE_VOL_RESIZE {vol; u64 capacity; flags}: qemu-img resize beside
 * the loop, answered when it ends; refused while a running domain uses
 * the volume. */
PROC_DECL(ps_vol_resize)
{
	struct ps_vol_ref r;
	const struct pool_vol *v;
	struct ps_resize_arg a;
	struct ps_job *j = NULL;
	uint64_t cap;
	uint32_t flags;
	struct pool *p;
	int rc;

	ps_get_vol_ref(c, &r);
	cap = xdr_get_u64(c->args);
	flags = xdr_get_u32(c->args);
	v = ps_vol_begin(c, &r, &p, &rc);
	if (rc == 0)
		rc = ps_vol_unused(c, p, v);
	if (rc == 0 && !(j = calloc(1, sizeof(*j))))
		rc = verr_nomem(&c->err);
	if (rc == 0) {
		snprintf(j->pool, sizeof(j->pool), "%s", p->name);
		snprintf(j->vol, sizeof(j->vol), "%s", r.name);
	}
	ps_free_vol_ref(&r);
	if (rc < 0)
		return rc;
	a = (struct ps_resize_arg){ p, cap, flags };
	return ps_job_start(c, j, ps_resize_start, &a);
}

struct ps_clone_arg {
	struct pool *p, *sp;
	const struct pool_vol_def *def;
	const struct pool_vol *src;
	unsigned int flags;
};

static int ps_clone_start(struct ps_job *j, bool async, void *arg,
			  struct verr *e)
{
	struct ps_clone_arg *a = arg;

	return pool_vol_clone_start(a->p, a->def, a->sp, a->src, a->flags,
				    async, ps_job_done, j, e);
}

static int ps_wipe_start(struct ps_job *j, bool async, void *arg,
			 struct verr *e)
{
	return pool_vol_wipe_start(arg, j->vol, async, ps_job_done, j, e);
}

/* STORAGE_VOL_CREATE_XML_FROM {pool; xml; clonevol; flags} -> {vol}:
 * virsh vol-clone (and vol-create-from): qemu-img convert of clonevol,
 * which no running domain may be using (a copy under a writer is torn),
 * beside the loop: the call is answered when the copy ends. */
PROC_DECL(ps_vol_create_xml_from)
{
	struct ps_pool_ref r;
	struct ps_vol_ref sr;
	char *xml, err[400];
	uint32_t flags;
	struct pool_vol_def def;
	const struct pool_vol *src = NULL;
	struct pool *p, *sp = NULL;
	struct ps_clone_arg a;
	struct ps_job *j;
	int rc;

	ps_get_pool_ref(c, &r);
	xml = xdr_get_string(c->args, PS_XML_MAX);
	ps_get_vol_ref(c, &sr);
	flags = xdr_get_u32(c->args);
	if (proc_args_done(c)) {
		free(r.name);
		free(xml);
		ps_free_vol_ref(&sr);
		return PROC_DROP;
	}
	p = ps_find_pool(c, &r);
	free(r.name);
	rc = p ? 0 : -ENOENT;
	if (rc == 0 && pool_vol_parse_xml(xml, strlen(xml), &def, err,
					  sizeof(err)) < 0)
		rc = verr_set(&c->err, VERR_XML_ERROR, "XML error: %s", err);
	free(xml);
	if (rc == 0 && !(src = ps_find_vol(c, &sr, &sp)))
		rc = verr_errno(c->err.code);
	if (rc == 0)
		rc = ps_vol_unused(c, sp, src);
	ps_free_vol_ref(&sr);
	if (rc < 0)
		return rc;
	j = calloc(1, sizeof(*j));
	if (!j)
		return verr_nomem(&c->err);
	snprintf(j->pool, sizeof(j->pool), "%s", p->name);
	snprintf(j->vol, sizeof(j->vol), "%s", def.name);
	j->answer_vol = true;
	/* VIR_STORAGE_VOL_CREATE_VALIDATE (4): the XML is checked anyway */
	a = (struct ps_clone_arg){ p, sp, &def, src, flags & ~4u };
	return ps_job_start(c, j, ps_clone_start, &a);
}

/* STORAGE_VOL_WIPE {vol; flags} and STORAGE_VOL_WIPE_PATTERN {vol;
 * algorithm; flags}: zeros (VIR_STORAGE_VOL_WIPE_ALG_ZERO, 0) only;
 * refused while a running domain uses the volume; answered when the
 * zeros are written (beside the loop). */
static int ps_vol_wipe_common(struct remote_call *c, bool pattern)
{
	struct ps_vol_ref r;
	const struct pool_vol *v;
	uint32_t alg = 0, flags;
	struct ps_job *j = NULL;
	struct pool *p;
	int rc;

	ps_get_vol_ref(c, &r);
	if (pattern)
		alg = xdr_get_u32(c->args);
	flags = xdr_get_u32(c->args);
	v = ps_vol_begin(c, &r, &p, &rc);
	if (rc == 0)
		rc = ps_flags(c, flags, 0);
	if (rc == 0 && alg != 0)
		rc = verr_set(&c->err, VERR_ARGUMENT_UNSUPPORTED, "argument "
			      "unsupported: wiping algorithm %u: xvmd writes "
			      "zeros only (algorithm zero)", alg);
	if (rc == 0)
		rc = ps_vol_unused(c, p, v);
	if (rc == 0 && !(j = calloc(1, sizeof(*j))))
		rc = verr_nomem(&c->err);
	if (rc == 0) {
		snprintf(j->pool, sizeof(j->pool), "%s", p->name);
		snprintf(j->vol, sizeof(j->vol), "%s", r.name);
	}
	ps_free_vol_ref(&r);
	if (rc < 0)
		return rc;
	rc = ps_job_start(c, j, ps_wipe_start, p);
	return rc;
}

PROC_DECL(ps_vol_wipe)
{
	return ps_vol_wipe_common(c, false);
}

PROC_DECL(ps_vol_wipe_pattern)
{
	return ps_vol_wipe_common(c, true);
}

static const struct proc proc_storage_procs[] = {
	{ 71, "CONNECT_NUM_OF_STORAGE_POOLS", ps_num_pools, 0 },
	{ 72, "CONNECT_LIST_STORAGE_POOLS", ps_list_pools, 0 },
	{ 73, "CONNECT_NUM_OF_DEFINED_STORAGE_POOLS", ps_num_defined_pools,
	  0 },
	{ 74, "CONNECT_LIST_DEFINED_STORAGE_POOLS", ps_list_defined_pools,
	  0 },
	{ 76, "STORAGE_POOL_CREATE_XML", ps_create_xml, PROC_WRITE },
	{ 77, "STORAGE_POOL_DEFINE_XML", ps_define_xml, PROC_WRITE },
	{ 78, "STORAGE_POOL_CREATE", ps_create, PROC_WRITE },
	{ 79, "STORAGE_POOL_BUILD", ps_build, PROC_WRITE },
	{ 80, "STORAGE_POOL_DESTROY", ps_destroy, PROC_WRITE },
	{ 81, "STORAGE_POOL_DELETE", ps_delete, PROC_WRITE },
	{ 82, "STORAGE_POOL_UNDEFINE", ps_undefine, PROC_WRITE },
	{ 83, "STORAGE_POOL_REFRESH", ps_refresh, PROC_WRITE },
	{ 84, "STORAGE_POOL_LOOKUP_BY_NAME", ps_lookup_by_name, 0 },
	{ 85, "STORAGE_POOL_LOOKUP_BY_UUID", ps_lookup_by_uuid, 0 },
	{ 86, "STORAGE_POOL_LOOKUP_BY_VOLUME", ps_lookup_by_volume, 0 },
	{ 87, "STORAGE_POOL_GET_INFO", ps_get_info, 0 },
	{ 88, "STORAGE_POOL_GET_XML_DESC", ps_get_xml_desc, 0 },
	{ 89, "STORAGE_POOL_GET_AUTOSTART", ps_get_autostart, 0 },
	{ 90, "STORAGE_POOL_SET_AUTOSTART", ps_set_autostart, PROC_WRITE },
	{ 91, "STORAGE_POOL_NUM_OF_VOLUMES", ps_num_volumes, 0 },
	{ 92, "STORAGE_POOL_LIST_VOLUMES", ps_list_volumes, 0 },
	{ 93, "STORAGE_VOL_CREATE_XML", ps_vol_create_xml, PROC_WRITE },
	{ 94, "STORAGE_VOL_DELETE", ps_vol_delete, PROC_WRITE },
	{ 95, "STORAGE_VOL_LOOKUP_BY_NAME", ps_vol_lookup_by_name, 0 },
	{ 96, "STORAGE_VOL_LOOKUP_BY_KEY", ps_vol_lookup_by_key, 0 },
	{ 97, "STORAGE_VOL_LOOKUP_BY_PATH", ps_vol_lookup_by_path, 0 },
	{ 98, "STORAGE_VOL_GET_INFO", ps_vol_get_info, 0 },
	{ 99, "STORAGE_VOL_GET_XML_DESC", ps_vol_get_xml_desc, 0 },
	{ 100, "STORAGE_VOL_GET_PATH", ps_vol_get_path, 0 },
	{ 125, "STORAGE_VOL_CREATE_XML_FROM", ps_vol_create_xml_from,
	  PROC_WRITE },
	{ 154, "STORAGE_POOL_IS_ACTIVE", ps_is_active, 0 },
	{ 155, "STORAGE_POOL_IS_PERSISTENT", ps_is_persistent, 0 },
	{ 165, "STORAGE_VOL_WIPE", ps_vol_wipe, PROC_WRITE },
	{ 259, "STORAGE_VOL_WIPE_PATTERN", ps_vol_wipe_pattern, PROC_WRITE },
	{ 260, "STORAGE_VOL_RESIZE", ps_vol_resize, PROC_WRITE },
	{ 281, "CONNECT_LIST_ALL_STORAGE_POOLS", ps_list_all_pools, 0 },
	{ 282, "STORAGE_POOL_LIST_ALL_VOLUMES", ps_list_all_volumes, 0 },
};

const struct proc_group proc_storage_group = {
	"storage", proc_storage_procs, ARRAY_SIZE(proc_storage_procs)
};
