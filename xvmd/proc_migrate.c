/*
 * Migration procedures (virsh migrate --live DOM xvm+tcp://HOST/system):
 * libvirt's v3 sequence, driven by the client, in both encodings: the
 * fixed-argument one (MIGRATE_BEGIN3 213, PREPARE3 214, PERFORM3 216,
 * FINISH3 217, CONFIRM3 218) and the typed-parameter one virsh uses when
 * SUPPORTS_FEATURE(MIGRATION_PARAMS) answers 1 (302, 303, 305, 306, 307).
 * Arguments and flags are checked here, the work is dom_migrate.c's;
 * prepare, perform and finish are answered later (remote_call_defer())
 * while the loop serves everyone. Cookies: ours are empty (the XML says
 * everything the destination needs); what a client sends is ignored.
 * remote_protocol.x:
 *   BEGIN3 {dom; remote_string xmlin; uhyper flags; remote_string dname;
 *     uhyper resource} -> {opaque cookie_out<>; string xml}
 *   PREPARE3 {opaque cookie_in<>; remote_string uri_in; uhyper flags;
 *     remote_string dname; uhyper resource; string dom_xml}
 *     -> {opaque cookie_out<>; remote_string uri_out}
 *   PERFORM3 {dom; xmlin; cookie_in; remote_string dconnuri; remote_string
 *     uri; uhyper flags; dname; uhyper resource} -> {cookie_out}
 *   FINISH3 {string dname; cookie_in; dconnuri; uri; uhyper flags;
 *     int cancelled} -> {dom; cookie_out}
 *   CONFIRM3 {dom; cookie_in; uhyper flags; int cancelled}
 *   *_PARAMS: the strings as typed parameters (migrate_uri,
 *     destination_name, destination_xml, bandwidth), u32 flags.
 * The bandwidth (resource, or VIR_MIGRATE_PARAM_BANDWIDTH; virsh migrate
 * --bandwidth) limits that migration's stream in MiB/s; 0 takes the
 * domain's migrate-setspeed value.
 */
#include <stdlib.h>
#include <string.h>
#include "dom.h"
#include "dom_migrate.h"
#include "proc.h"
#include "stats.h"

#define MIG_COOKIE_MAX		(4u << 20)	/* REMOTE_MIGRATE_COOKIE_MAX */
#define MIG_PARAMS_MAX		64	/* REMOTE_DOMAIN_MIGRATE_PARAM_LIST_MAX */
#define MIG_FIELD_MAX		80	/* VIR_TYPED_PARAM_FIELD_LENGTH */
#define MIG_URI_MAX		1024

/* What the calls carry, whichever encoding. */
struct mig_args {
	char *xmlin;		/* begin/perform: a changed XML (refused) */
	char *xml;		/* prepare: the domain's XML */
	char *dname;
	char *uri;		/* prepare: uri_in; perform/finish: uri */
	char *dconnuri;		/* perform: --p2p's destination (refused) */
	uint64_t flags;
	uint64_t bandwidth;	/* MiB/s, this migration's (perform) */
	int32_t cancelled;
};

static void mig_args_free(struct mig_args *a)
{
	free(a->xmlin);
	free(a->xml);
	free(a->dname);
	free(a->uri);
	free(a->dconnuri);
}

static char *mig_opt_string(struct remote_call *c, size_t max)
{
	bool present;

	return xdr_get_opt_string(c->args, max, &present);
}

static void mig_skip_cookie(struct remote_call *c)
{
	size_t len;

	xdr_get_opaque(c->args, MIG_COOKIE_MAX, &len);
}

/* One typed parameter into a; an unknown one fills c->err once. PROC_DROP when malformed. */
static int mig_get_param(struct remote_call *c, struct mig_args *a, int *rc)
{
	char *field = xdr_get_string(c->args, MIG_FIELD_MAX);
	int32_t type = xdr_get_i32(c->args);
	char *sval = NULL, **slot = NULL;
	uint64_t v = 0;

	switch (type) {
	case TP_INT: case TP_UINT: case TP_BOOLEAN:
		v = xdr_get_u32(c->args);
		break;
	case TP_LLONG: case TP_ULLONG: case TP_DOUBLE:
		v = xdr_get_u64(c->args);
		break;
	case TP_STRING:
		sval = xdr_get_string(c->args, XDR_STRING_MAX);
		break;
	default:
		c->args->err = -EBADMSG;
	}
	if (c->args->err) {
		free(field);
		free(sval);
		return PROC_DROP;
	}
	if (type == TP_STRING && !strcmp(field, "migrate_uri"))
		slot = &a->uri;
	else if (type == TP_STRING && !strcmp(field, "destination_name"))
		slot = &a->dname;
	else if (type == TP_STRING && !strcmp(field, "destination_xml"))
		slot = c->proc == 303 ? &a->xml : &a->xmlin;
	if (slot) {
		free(*slot);
		*slot = sval;
		sval = NULL;
	} else if (type == TP_ULLONG && !strcmp(field, "bandwidth")) {
		a->bandwidth = v;
	} else if (*rc == 0) {
		*rc = verr_set(&c->err, VERR_ARGUMENT_UNSUPPORTED, "argument "
			       "unsupported: migration parameter '%s' is not "
			       "supported (migrate_uri, destination_name, "
			       "destination_xml)", field);
	}
	free(sval);
	free(field);
	return 0;
}

/* remote_typed_param params<64>. */
static int mig_get_params(struct remote_call *c, struct mig_args *a, int *rc)
{
	uint32_t n = xdr_get_u32(c->args), i;

	if (c->args->err || n > MIG_PARAMS_MAX)
		return PROC_DROP;
	for (i = 0; i < n; i++)
		if (mig_get_param(c, a, rc) == PROC_DROP)
			return PROC_DROP;
	return 0;
}

/* What every procedure refuses the same way. */
static int mig_args_check(struct remote_call *c, const struct mig_args *a)
{
	if (a->xmlin)
		return verr_set(&c->err, VERR_ARGUMENT_UNSUPPORTED, "argument "
				"unsupported: a changed domain XML for the "
				"destination (--xml) is not supported");
	if (a->bandwidth > DOM_MIG_SPEED_MAX &&
	    a->bandwidth != DOM_MIG_SPEED_UNLIMITED)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"bandwidth must be at most %d MiB/s",
				DOM_MIG_SPEED_MAX);
	if (a->dconnuri && !(a->flags & DOM_MIG_P2P))
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"a destination connection URI without "
				"VIR_MIGRATE_PEER2PEER");
	if (a->dconnuri && strlen(a->dconnuri) > 500)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"destination URI too long");
	return 0;
}

/* ---- begin (source) ---- */

static int mig_begin(struct remote_call *c, struct dom *d, struct mig_args *a,
		     int rc)
{
	char *xml = NULL;

	if (rc == 0)
		rc = proc_dom_ready(c, d, true);
	if (rc == 0)
		rc = mig_args_check(c, a);
	if (rc == 0)
		rc = dom_mig_begin(d, a->flags, &xml, &c->err);
	if (rc == 0) {
		xdr_put_opaque(c->ret, NULL, 0);	/* cookie_out */
		xdr_put_string(c->ret, xml);
	}
	free(xml);
	mig_args_free(a);
	return rc;
}

PROC_DECL(proc_migrate_begin3)
{
	struct dom *d = proc_get_dom(c);
	struct mig_args a = { 0 };

	a.xmlin = mig_opt_string(c, XDR_STRING_MAX);
	a.flags = xdr_get_u64(c->args);
	a.dname = mig_opt_string(c, 4096);
	a.bandwidth = xdr_get_u64(c->args);
	if (proc_args_done(c)) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	return mig_begin(c, d, &a, 0);
}

PROC_DECL(proc_migrate_begin3_params)
{
	struct dom *d = proc_get_dom(c);
	struct mig_args a = { 0 };
	int rc = 0;

	if (mig_get_params(c, &a, &rc) == PROC_DROP) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	a.flags = xdr_get_u32(c->args);
	if (proc_args_done(c)) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	return mig_begin(c, d, &a, rc);
}

/* ---- prepare (destination) ---- */

static void mig_prepared(void *opaque, int rc, const struct verr *e,
			 const char *uri_out)
{
	struct xdr_out ret;

	xdr_out_init(&ret);
	if (rc == 0) {
		xdr_put_opaque(&ret, NULL, 0);		/* cookie_out */
		xdr_put_opt_string(&ret, uri_out);
	}
	remote_defer_reply(opaque, rc, e, &ret);
	xdr_out_free(&ret);
}

static int mig_prepare(struct remote_call *c, struct mig_args *a, int rc)
{
	struct remote_defer *rd = NULL;

	if (rc == 0)
		rc = mig_args_check(c, a);
	if (rc == 0 && !a->xml)
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: no "
			      "domain XML to migrate");
	if (rc == 0 && a->uri && strlen(a->uri) > MIG_URI_MAX)
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "migration URI too long");
	if (rc == 0 && !(rd = remote_call_defer(c)))
		rc = verr_nomem(&c->err);
	if (rc == 0)
		rc = dom_mig_prepare(a->xml, a->dname, a->uri,
				     remote_conn_local_addr(c->conn), a->flags,
				     mig_prepared, rd, &c->err);
	if (rc < 0 && rd)
		remote_defer_cancel(rd);
	mig_args_free(a);
	return rc < 0 ? rc : PROC_LATER;
}

PROC_DECL(proc_migrate_prepare3)
{
	struct mig_args a = { 0 };

	mig_skip_cookie(c);
	a.uri = mig_opt_string(c, XDR_STRING_MAX);
	a.flags = xdr_get_u64(c->args);
	a.dname = mig_opt_string(c, 4096);
	a.bandwidth = xdr_get_u64(c->args);
	a.xml = xdr_get_string(c->args, XDR_STRING_MAX);
	if (proc_args_done(c)) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	return mig_prepare(c, &a, 0);
}

PROC_DECL(proc_migrate_prepare3_params)
{
	struct mig_args a = { 0 };
	int rc = 0;

	if (mig_get_params(c, &a, &rc) == PROC_DROP) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	mig_skip_cookie(c);
	a.flags = xdr_get_u32(c->args);
	if (proc_args_done(c)) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	return mig_prepare(c, &a, rc);
}

/* ---- perform (source) ---- */

static void mig_performed(void *opaque, int rc, const struct verr *e)
{
	struct xdr_out ret;

	xdr_out_init(&ret);
	xdr_put_opaque(&ret, NULL, 0);		/* cookie_out */
	remote_defer_reply(opaque, rc, e, &ret);
	xdr_out_free(&ret);
}

static int mig_perform(struct remote_call *c, struct dom *d,
		       struct mig_args *a, int rc)
{
	struct remote_defer *rd = NULL;

	if (rc == 0)
		rc = proc_dom_ready(c, d, true);
	/* the destination XML is prepare's business: begin refused a
	 * changed one, and the client repeats it here */
	free(a->xmlin);
	a->xmlin = NULL;
	if (rc == 0)
		rc = mig_args_check(c, a);
	if (rc == 0 && a->dname && strcmp(a->dname, d->cfg.name))
		rc = verr_set(&c->err, VERR_ARGUMENT_UNSUPPORTED, "argument "
			      "unsupported: renaming the domain while "
			      "migrating (--dname) is not supported");
	if (rc == 0 && !(rd = remote_call_defer(c)))
		rc = verr_nomem(&c->err);
	if (rc == 0 && (a->flags & DOM_MIG_P2P) && !a->dconnuri)
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "peer-to-peer migration without a destination "
			      "URI");
	if (rc == 0 && a->dconnuri && a->uri)
		rc = verr_set(&c->err, VERR_ARGUMENT_UNSUPPORTED, "argument "
			      "unsupported: a migration URI (--migrateuri) "
			      "with --p2p: the destination chooses");
	if (rc == 0)	/* --bandwidth: this migration's limit */
		d->mig_speed_once = a->bandwidth == DOM_MIG_SPEED_UNLIMITED ?
				    0 : a->bandwidth;
	if (rc == 0 && a->dconnuri)
		rc = dom_mig_p2p(d, a->dconnuri, a->flags, mig_performed, rd,
				 &c->err);
	else if (rc == 0)
		rc = dom_mig_perform(d, a->uri, a->flags, mig_performed, rd,
				     &c->err);
	if (rc < 0 && rd)
		remote_defer_cancel(rd);
	mig_args_free(a);
	return rc < 0 ? rc : PROC_LATER;
}

PROC_DECL(proc_migrate_perform3)
{
	struct dom *d = proc_get_dom(c);
	struct mig_args a = { 0 };

	a.xmlin = mig_opt_string(c, XDR_STRING_MAX);
	mig_skip_cookie(c);
	a.dconnuri = mig_opt_string(c, MIG_URI_MAX);
	a.uri = mig_opt_string(c, MIG_URI_MAX);
	a.flags = xdr_get_u64(c->args);
	a.dname = mig_opt_string(c, 4096);
	a.bandwidth = xdr_get_u64(c->args);
	if (proc_args_done(c)) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	return mig_perform(c, d, &a, 0);
}

PROC_DECL(proc_migrate_perform3_params)
{
	struct dom *d = proc_get_dom(c);
	struct mig_args a = { 0 };
	int rc = 0;

	a.dconnuri = mig_opt_string(c, MIG_URI_MAX);
	if (mig_get_params(c, &a, &rc) == PROC_DROP) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	mig_skip_cookie(c);
	a.flags = xdr_get_u32(c->args);
	if (proc_args_done(c)) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	return mig_perform(c, d, &a, rc);
}

/* ---- finish (destination) ---- */

/* {dom; opaque cookie_out<>} */
static void mig_put_finished(struct xdr_out *o, const struct dom *d)
{
	xdr_put_string(o, d->cfg.name);
	xdr_put_fixed(o, d->cfg.uuid, 16);
	xdr_put_i32(o, dom_active(d) ? d->live.id : -1);
	xdr_put_opaque(o, NULL, 0);
}

struct mig_fin {
	struct remote_defer *rd;
	uint64_t flags;
};

static void mig_finished(void *opaque, int rc, const struct verr *e,
			 struct dom *d)
{
	struct mig_fin *f = opaque;
	struct xdr_out ret;
	struct verr e2;

	xdr_out_init(&ret);
	if (rc == 0 && (rc = dom_mig_persist(d, f->flags, &e2)) < 0)
		e = &e2;
	if (rc == 0)
		mig_put_finished(&ret, d);
	remote_defer_reply(f->rd, rc, e, &ret);
	xdr_out_free(&ret);
	free(f);
}

static int mig_finish(struct remote_call *c, struct mig_args *a, int rc)
{
	struct mig_fin *f = NULL;
	struct dom *d = NULL;

	if (rc == 0 && !a->dname)
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: no "
			      "domain name to finish the migration of");
	if (rc == 0 && (!(f = calloc(1, sizeof(*f))) ||
			!(f->rd = remote_call_defer(c))))
		rc = verr_nomem(&c->err);
	if (rc == 0) {
		f->flags = a->flags;
		rc = dom_mig_finish(a->dname, a->cancelled, a->flags,
				    mig_finished, f, &d, &c->err);
	}
	if (rc == 0)
		mig_put_finished(c->ret, d);
	if (rc <= 0) {
		if (f && f->rd)
			remote_defer_cancel(f->rd);
		free(f);
	}
	mig_args_free(a);
	return rc == 1 ? PROC_LATER : rc;
}

PROC_DECL(proc_migrate_finish3)
{
	struct mig_args a = { 0 };

	a.dname = xdr_get_string(c->args, 4096);
	mig_skip_cookie(c);
	free(mig_opt_string(c, MIG_URI_MAX));	/* dconnuri */
	a.uri = mig_opt_string(c, MIG_URI_MAX);
	a.flags = xdr_get_u64(c->args);
	a.cancelled = xdr_get_i32(c->args);
	if (proc_args_done(c)) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	return mig_finish(c, &a, 0);
}

PROC_DECL(proc_migrate_finish3_params)
{
	struct mig_args a = { 0 };
	int rc = 0;

	if (mig_get_params(c, &a, &rc) == PROC_DROP) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	mig_skip_cookie(c);
	a.flags = xdr_get_u32(c->args);
	a.cancelled = xdr_get_i32(c->args);
	if (proc_args_done(c)) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	/* finish's params repeat prepare's: the XML is not looked at */
	free(a.xml);
	a.xml = NULL;
	return mig_finish(c, &a, rc);
}

/* ---- confirm (source) ---- */

static int mig_confirm(struct remote_call *c, struct dom *d,
		       struct mig_args *a, int rc)
{
	if (rc == 0 && proc_args_done(c))
		rc = PROC_DROP;
	/* a transient domain is gone once migrated: nothing to confirm */
	if (rc == 0 && !d)
		c->err.code = 0;
	if (rc == 0)
		rc = dom_mig_confirm(d, a->flags, a->cancelled, &c->err);
	mig_args_free(a);
	return rc;
}

PROC_DECL(proc_migrate_confirm3)
{
	struct dom *d = proc_get_dom(c);
	struct mig_args a = { 0 };

	mig_skip_cookie(c);
	a.flags = xdr_get_u64(c->args);
	a.cancelled = xdr_get_i32(c->args);
	return mig_confirm(c, d, &a, 0);
}

PROC_DECL(proc_migrate_confirm3_params)
{
	struct dom *d = proc_get_dom(c);
	struct mig_args a = { 0 };
	int rc = 0;

	if (mig_get_params(c, &a, &rc) == PROC_DROP) {
		mig_args_free(&a);
		return PROC_DROP;
	}
	mig_skip_cookie(c);
	a.flags = xdr_get_u32(c->args);
	a.cancelled = xdr_get_i32(c->args);
	/* confirm's params repeat begin's; an error here would only hide
	 * the migration's outcome */
	return mig_confirm(c, d, &a, 0);
}

/* Starting a guest here or sending one away: not on read-only
 * connections. */
static const struct proc proc_migrate_procs[] = {
	{ 213, "DOMAIN_MIGRATE_BEGIN3", proc_migrate_begin3, PROC_WRITE },
	{ 214, "DOMAIN_MIGRATE_PREPARE3", proc_migrate_prepare3, PROC_WRITE },
	{ 216, "DOMAIN_MIGRATE_PERFORM3", proc_migrate_perform3, PROC_WRITE },
	{ 217, "DOMAIN_MIGRATE_FINISH3", proc_migrate_finish3, PROC_WRITE },
	{ 218, "DOMAIN_MIGRATE_CONFIRM3", proc_migrate_confirm3, PROC_WRITE },
	{ 302, "DOMAIN_MIGRATE_BEGIN3_PARAMS", proc_migrate_begin3_params,
	  PROC_WRITE },
	{ 303, "DOMAIN_MIGRATE_PREPARE3_PARAMS", proc_migrate_prepare3_params,
	  PROC_WRITE },
	{ 305, "DOMAIN_MIGRATE_PERFORM3_PARAMS", proc_migrate_perform3_params,
	  PROC_WRITE },
	{ 306, "DOMAIN_MIGRATE_FINISH3_PARAMS", proc_migrate_finish3_params,
	  PROC_WRITE },
	{ 307, "DOMAIN_MIGRATE_CONFIRM3_PARAMS", proc_migrate_confirm3_params,
	  PROC_WRITE },
};

const struct proc_group proc_migrate_group = {
	"migrate", proc_migrate_procs, ARRAY_SIZE(proc_migrate_procs)
};
