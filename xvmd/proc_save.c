/*
 * Save and restore procedures (virsh save, restore, managedsave,
 * managedsave-remove, save-image-dumpxml; dominfo's "Managed save"):
 * arguments and flags checked here, the work in dom_save.c. A save is
 * answered once hv has written the image, a restore once hv runs the
 * guest again (remote_call_defer()): other clients, and this one's
 * keepalive, are served meanwhile.
 * remote_protocol.x: SAVE {dom; to}, SAVE_FLAGS {dom; to; remote_string
 * dxml; flags}, RESTORE {from}, RESTORE_FLAGS {from; dxml; flags},
 * MANAGED_SAVE / HAS_MANAGED_SAVE_IMAGE / MANAGED_SAVE_REMOVE {dom;
 * flags}, SAVE_IMAGE_GET_XML_DESC {file; flags} -> {xml}. domjobinfo
 * (and virsh's watch over its save) is proc_job.c's.
 */
#include <stdlib.h>
#include "dom.h"
#include "proc.h"

#define PATH_MAX_LEN	4096

/* virCheckFlags's refusal, naming the public API. */
static int proc_save_flags_ok(struct remote_call *c, uint32_t flags,
			      uint32_t allowed, const char *api)
{
	if (flags & ~allowed)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x) in function %s",
				flags & ~allowed, api);
	if ((flags & DOM_SAVE_RUNNING) && (flags & DOM_SAVE_PAUSED))
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"Flags 'VIR_DOMAIN_SAVE_RUNNING' and "
				"'VIR_DOMAIN_SAVE_PAUSED' are mutually "
				"exclusive");
	return 0;
}

/* SAVE_FLAGS/RESTORE_FLAGS's dxml: a changed XML for the restored
 * domain is not taken (the image's own is used). */
static int proc_save_dxml(struct remote_call *c, char *dxml)
{
	if (!dxml)
		return 0;
	free(dxml);
	return verr_set(&c->err, VERR_ARGUMENT_UNSUPPORTED, "argument "
			"unsupported: a replacement domain XML (--xml) is not "
			"supported; the image's own definition is restored");
}

/* The save ended (dom_save.c, from the loop): answer the client. */
static void proc_save_done(void *opaque, int rc, const struct verr *e)
{
	remote_defer_reply(opaque, rc, e, NULL);
}

/* A restore ended: answer the client (void). */
static void proc_restore_done(void *opaque, struct dom *d, int rc,
			      const struct verr *e)
{
	(void)d;
	remote_defer_reply(opaque, rc, e, NULL);
}

/* Run a save (dom_save_image or dom_managed_save) answered when hv has
 * written the image: PROC_LATER, or -errno with c->err now. */
static int proc_save_start(struct remote_call *c, struct dom *d,
			   const char *to, uint32_t flags)
{
	struct remote_defer *rd = remote_call_defer(c);
	int rc;

	if (!rd)
		return verr_nomem(&c->err);
	rc = to ? dom_save_image(d, to, flags, proc_save_done, rd, &c->err) :
		  dom_managed_save(d, flags, proc_save_done, rd, &c->err);
	if (rc < 0) {
		remote_defer_cancel(rd);
		return rc;
	}
	return PROC_LATER;
}

static int proc_save_common(struct remote_call *c, bool has_flags)
{
	struct dom *d = proc_get_dom(c);
	char *to = xdr_get_string(c->args, PATH_MAX_LEN);
	char *dxml = NULL;
	uint32_t flags = 0;
	bool present;
	int rc;

	if (has_flags) {
		dxml = xdr_get_opt_string(c->args, XDR_STRING_MAX, &present);
		flags = xdr_get_u32(c->args);
	}
	rc = proc_dom_ready(c, d, true);
	if (rc == 0)
		rc = proc_save_dxml(c, dxml);
	else
		free(dxml);
	if (rc == 0)
		rc = proc_save_flags_ok(c, flags, DOM_SAVE_RUNNING |
					DOM_SAVE_PAUSED, "virDomainSaveFlags");
	if (rc == 0)
		rc = proc_save_start(c, d, to, flags);
	free(to);
	return rc;
}

PROC_DECL(proc_save)
{
	return proc_save_common(c, false);
}

PROC_DECL(proc_save_flags)
{
	return proc_save_common(c, true);
}

static int proc_restore_common(struct remote_call *c, bool has_flags)
{
	char *from = xdr_get_string(c->args, PATH_MAX_LEN);
	char *dxml = NULL;
	struct remote_defer *rd = NULL;
	uint32_t flags = 0;
	bool present;
	int rc;

	if (has_flags) {
		dxml = xdr_get_opt_string(c->args, XDR_STRING_MAX, &present);
		flags = xdr_get_u32(c->args);
	}
	if (proc_args_done(c)) {
		free(from);
		free(dxml);
		return PROC_DROP;
	}
	rc = proc_save_dxml(c, dxml);
	if (rc == 0)
		rc = proc_save_flags_ok(c, flags, DOM_SAVE_RUNNING |
					DOM_SAVE_PAUSED,
					"virDomainRestoreFlags");
	if (rc == 0 && !(rd = remote_call_defer(c)))
		rc = verr_nomem(&c->err);
	if (rc == 0)
		rc = dom_restore_image(from, flags, proc_restore_done, rd,
				       &c->err);
	free(from);
	if (rc < 0 && rd)
		remote_defer_cancel(rd);
	return rc < 0 ? rc : PROC_LATER;
}

PROC_DECL(proc_restore)
{
	return proc_restore_common(c, false);
}

PROC_DECL(proc_restore_flags)
{
	return proc_restore_common(c, true);
}

PROC_DECL(proc_managed_save)
{
	struct dom *d = proc_get_dom(c);
	uint32_t flags = xdr_get_u32(c->args);
	int rc = proc_dom_ready(c, d, true);

	if (rc == 0)
		rc = proc_save_flags_ok(c, flags, DOM_SAVE_RUNNING |
					DOM_SAVE_PAUSED, "virDomainManagedSave");
	if (rc == 0)
		rc = proc_save_start(c, d, NULL, flags);
	return rc;
}

PROC_DECL(proc_has_managed_save)
{
	struct dom *d = proc_get_dom(c);
	uint32_t flags = xdr_get_u32(c->args);
	int rc = proc_dom_ready(c, d, false);

	if (rc == 0)
		rc = proc_save_flags_ok(c, flags, 0,
					"virDomainHasManagedSaveImage");
	if (rc == 0)
		xdr_put_i32(c->ret, dom_has_managed_save(d));
	return rc;
}

PROC_DECL(proc_managed_save_remove)
{
	struct dom *d = proc_get_dom(c);
	uint32_t flags = xdr_get_u32(c->args);
	int rc = proc_dom_ready(c, d, true);

	if (rc == 0)
		rc = proc_save_flags_ok(c, flags, 0,
					"virDomainManagedSaveRemove");
	if (rc == 0)
		rc = dom_managed_save_remove(d, &c->err);
	return rc;
}

/* flags: 1 = VIR_DOMAIN_SAVE_IMAGE_XML_SECURE (nothing secret in ours). */
PROC_DECL(proc_save_image_get_xml_desc)
{
	char *file = xdr_get_string(c->args, PATH_MAX_LEN);
	uint32_t flags = xdr_get_u32(c->args);
	char *xml = NULL;
	int rc;

	if (proc_args_done(c)) {
		free(file);
		return PROC_DROP;
	}
	rc = proc_save_flags_ok(c, flags, 1, "virDomainSaveImageGetXMLDesc");
	if (rc == 0)
		rc = dom_save_image_xml(file, &xml, &c->err);
	if (rc == 0)
		xdr_put_string(c->ret, xml);
	free(xml);
	free(file);
	return rc;
}

/* Reading or writing a path the client names, as root: not for read-only
 * connections. */
static const struct proc proc_save_procs[] = {
	{ 54, "DOMAIN_RESTORE", proc_restore, PROC_WRITE },
	{ 55, "DOMAIN_SAVE", proc_save, PROC_WRITE },
	{ 182, "DOMAIN_MANAGED_SAVE", proc_managed_save, PROC_WRITE },
	{ 183, "DOMAIN_HAS_MANAGED_SAVE_IMAGE", proc_has_managed_save, 0 },
	{ 184, "DOMAIN_MANAGED_SAVE_REMOVE", proc_managed_save_remove,
	  PROC_WRITE },
	{ 232, "DOMAIN_SAVE_FLAGS", proc_save_flags, PROC_WRITE },
	{ 233, "DOMAIN_RESTORE_FLAGS", proc_restore_flags, PROC_WRITE },
	{ 235, "DOMAIN_SAVE_IMAGE_GET_XML_DESC", proc_save_image_get_xml_desc,
	  PROC_WRITE },
};

const struct proc_group proc_save_group = {
	"save", proc_save_procs, ARRAY_SIZE(proc_save_procs)
};
