/*
 * Lifecycle procedures: start (CREATE, CREATE_WITH_FLAGS), create
 * (CREATE_XML), shutdown, destroy, reboot, suspend, resume, and the
 * console stream (OPEN_CONSOLE).
 */
#include <stdlib.h>
#include "dom.h"
#include "proc.h"

/* The lifecycle call's reply, once hv answered. */
static void proc_dom_op_done(void *opaque, int rc, const struct verr *e)
{
	remote_defer_reply(opaque, rc, e, NULL);
}

/* {dom [; u32 flags]} then run op, answered when hv answers: other
 * clients are served meanwhile. */
static int proc_dom_op(struct remote_call *c, bool has_flags,
		       enum dom_op op)
{
	struct dom *d = proc_get_dom(c);
	struct remote_defer *rd;
	int rc;

	if (has_flags)
		xdr_get_u32(c->args);
	rc = proc_dom_ready(c, d, false);
	if (rc)
		return rc;
	rd = remote_call_defer(c);
	if (!rd)
		return verr_nomem(&c->err);
	rc = dom_op_async(d, op, proc_dom_op_done, rd, &c->err);
	if (rc == 1)
		return PROC_LATER;
	remote_defer_cancel(rd);
	return rc;
}

/* A start ended (hv answers, or a step failed; or the managed save
 * image was restored): CREATE's reply is void, CREATE_WITH_FLAGS's and
 * CREATE_XML's the domain. */
struct proc_start_later {
	struct remote_defer *rd;
	bool ret_dom;
};

static void proc_start_done(void *opaque, struct dom *d, int rc,
			    const struct verr *e)
{
	struct proc_start_later *l = opaque;
	struct remote_call c = { 0 };
	struct xdr_out ret;

	xdr_out_init(&ret);
	c.ret = &ret;
	if (rc == 0 && l->ret_dom)
		proc_put_dom(&c, d);
	remote_defer_reply(l->rd, rc, e, &ret);
	xdr_out_free(&ret);
	free(l);
}

/* flags (CREATE_WITH_FLAGS): START_PAUSED (a restored guest stays
 * paused), FORCE_BOOT (a managed save image is discarded); the others
 * are not refused. A restore is answered once hv runs the guest. */
static int proc_start(struct remote_call *c, bool has_flags)
{
	struct dom *d = proc_get_dom(c);
	uint32_t flags = has_flags ? xdr_get_u32(c->args) : 0;
	struct proc_start_later *l;
	int rc = proc_dom_ready(c, d, false);

	if (rc)
		return rc;
	l = calloc(1, sizeof(*l));
	if (!l || !(l->rd = remote_call_defer(c))) {
		free(l);
		return verr_nomem(&c->err);
	}
	l->ret_dom = has_flags;
	rc = dom_start_async(d, flags, proc_start_done, l, &c->err);
	if (rc == 1)
		return PROC_LATER;
	remote_defer_cancel(l->rd);
	free(l);
	return rc;
}

PROC_DECL(proc_create)
{
	return proc_start(c, false);
}

PROC_DECL(proc_create_with_flags)
{
	return proc_start(c, true);
}

PROC_DECL(proc_destroy)
{
	return proc_dom_op(c, false, DOM_OP_DESTROY);
}

PROC_DECL(proc_destroy_flags)
{
	return proc_dom_op(c, true, DOM_OP_DESTROY);
}

PROC_DECL(proc_shutdown)
{
	return proc_dom_op(c, false, DOM_OP_SHUTDOWN);
}

PROC_DECL(proc_shutdown_flags)
{
	return proc_dom_op(c, true, DOM_OP_SHUTDOWN);
}

PROC_DECL(proc_reboot)
{
	return proc_dom_op(c, true, DOM_OP_REBOOT);
}

PROC_DECL(proc_suspend)
{
	return proc_dom_op(c, false, DOM_OP_SUSPEND);
}

PROC_DECL(proc_resume)
{
	return proc_dom_op(c, false, DOM_OP_RESUME);
}

PROC_DECL(proc_create_xml)
{
	char *xml = xdr_get_string(c->args, XDR_STRING_MAX);
	struct proc_start_later *l;
	int rc;

	xdr_get_u32(c->args);
	if (proc_args_done(c)) {
		free(xml);
		return PROC_DROP;
	}
	l = calloc(1, sizeof(*l));
	if (!l || !(l->rd = remote_call_defer(c))) {
		free(l);
		free(xml);
		return verr_nomem(&c->err);
	}
	/* answered once hv runs the guest (proc_start_done) */
	l->ret_dom = true;
	rc = dom_create_xml(xml, proc_start_done, l, &c->err);
	free(xml);
	if (rc == 1)
		return PROC_LATER;
	remote_defer_cancel(l->rd);
	free(l);
	return rc;
}

/* OPEN_CONSOLE {dom; remote_string dev_name; u32 flags}: flags 2 = FORCE. */
PROC_DECL(proc_open_console)
{
	struct dom *d = proc_get_dom(c);
	bool present;
	char *dev = xdr_get_opt_string(c->args, 256, &present);
	uint32_t flags = xdr_get_u32(c->args);
	int rc;

	free(dev);
	rc = proc_dom_ready(c, d, true);
	if (rc)
		return rc;
	if (!dom_active(d))
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: domain is not running");
	return domcon_open_stream(d, c->conn, c->serial, flags & 2, &c->err);
}

static const struct proc proc_life_procs[] = {
	{ 9, "DOMAIN_CREATE", proc_create, PROC_WRITE },
	{ 10, "DOMAIN_CREATE_XML", proc_create_xml, PROC_WRITE },
	{ 12, "DOMAIN_DESTROY", proc_destroy, PROC_WRITE },
	{ 27, "DOMAIN_REBOOT", proc_reboot, PROC_WRITE },
	{ 28, "DOMAIN_RESUME", proc_resume, PROC_WRITE },
	{ 33, "DOMAIN_SHUTDOWN", proc_shutdown, PROC_WRITE },
	{ 34, "DOMAIN_SUSPEND", proc_suspend, PROC_WRITE },
	{ 196, "DOMAIN_CREATE_WITH_FLAGS", proc_create_with_flags, PROC_WRITE },
	{ 201, "DOMAIN_OPEN_CONSOLE", proc_open_console, PROC_WRITE },
	{ 234, "DOMAIN_DESTROY_FLAGS", proc_destroy_flags, PROC_WRITE },
	{ 258, "DOMAIN_SHUTDOWN_FLAGS", proc_shutdown_flags, PROC_WRITE },
};

const struct proc_group proc_life_group = {
	"life", proc_life_procs, ARRAY_SIZE(proc_life_procs)
};
