/*
 * virDomainSetMetadata/GetMetadata (virsh desc, virsh metadata): the
 * description, the title, and <metadata> elements by namespace URI
 * (dommeta.c), in the running configuration (--live), the definition
 * (--config, saved) or both.
 */
#include <stdlib.h>
#include <string.h>
#include "dom.h"
#include "dommeta.h"
#include "events.h"
#include "proc.h"

#define META_STRING_MAX	(1u << 20)	/* REMOTE_STRING_MAX */

/* virDomainMetadataType */
enum { META_DESCRIPTION = 0, META_TITLE = 1, META_ELEMENT = 2 };
/* virDomainModificationImpact */
enum { AFFECT_LIVE = 1, AFFECT_CONFIG = 2 };

/* Copies of the configurations flags name, to be changed and then
 * installed: *live (the running one) and *config (the definition), NULL
 * when not affected. 0 or -errno with c->err. */
static int proc_meta_targets(struct remote_call *c, struct dom *d,
			     uint32_t flags, struct dom_config **live,
			     struct dom_config **config)
{
	*live = *config = NULL;
	if (flags & ~(uint32_t)(AFFECT_LIVE | AFFECT_CONFIG))
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x)", flags);
	if (!flags)
		flags = dom_active(d) ? AFFECT_LIVE : AFFECT_CONFIG;
	if ((flags & AFFECT_LIVE) && !dom_active(d))
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: domain is not running");
	if ((flags & AFFECT_CONFIG) && !d->persistent)
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: transient domains do "
				"not have any persistent config");
	if (flags & AFFECT_LIVE) {
		*live = malloc(sizeof(**live));
		if (!*live)
			return verr_nomem(&c->err);
		**live = d->cfg;
	}
	if (flags & AFFECT_CONFIG) {
		*config = dom_def_copy(d, &c->err);
		if (!*config)
			return -ENOMEM;
	}
	return 0;
}

/* Apply the change to one configuration, all or nothing. */
static int proc_meta_apply(struct remote_call *c, struct dom_config *cfg,
			   int type, const char *text, const char *key,
			   const char *uri)
{
	char *buf, *field = type == META_TITLE ? cfg->title : cfg->description;
	const char *p;
	size_t len = type == META_TITLE ? sizeof(cfg->title) :
		     sizeof(cfg->description);
	int rc;

	if (type == META_ELEMENT) {
		buf = malloc(sizeof(cfg->metadata));
		if (!buf)
			return verr_nomem(&c->err);
		memcpy(buf, cfg->metadata, sizeof(cfg->metadata));
		rc = dommeta_set(buf, sizeof(cfg->metadata), text, key, uri,
				 &c->err);
		if (rc == 0)
			memcpy(cfg->metadata, buf, sizeof(cfg->metadata));
		free(buf);
		return rc;
	}
	if (text && strlen(text) >= len)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"%s too long (at most %zu bytes)",
				type == META_TITLE ? "title" : "description",
				len - 1);
	for (p = text; p && *p; p++)	/* XML 1.0 §2.2 Char */
		if ((unsigned char)*p < 0x20 && !strchr("\t\n\r", *p))
			return verr_set(&c->err, VERR_INVALID_ARG, "invalid "
					"argument: %s holds control character "
					"0x%02x, which XML cannot carry",
					type == META_TITLE ? "title" :
					"description", *p);
	snprintf(field, len, "%s", text ? text : "");
	return 0;
}

/* SET_METADATA {dom; int type; remote_string metadata, key, uri;
 * u32 flags}. */
PROC_DECL(proc_set_metadata)
{
	struct dom *d = proc_get_dom(c);
	int32_t type = xdr_get_i32(c->args);
	bool p;
	char *text = xdr_get_opt_string(c->args, META_STRING_MAX, &p);
	char *key = xdr_get_opt_string(c->args, 4096, &p);
	char *uri = xdr_get_opt_string(c->args, 4096, &p);
	uint32_t flags = xdr_get_u32(c->args);
	struct dom_config *live = NULL, *config = NULL;
	int rc;

	rc = proc_dom_ready(c, d, true);
	if (rc)
		goto out;
	if (type < META_DESCRIPTION || type > META_ELEMENT) {
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "unknown metadata type %d", type);
		goto out;
	}
	if (type != META_ELEMENT && (key || uri)) {
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "key and uri are only for metadata elements");
		goto out;
	}
	if (type == META_TITLE && text && strchr(text, '\n')) {
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "title can't contain newlines");
		goto out;
	}
	rc = proc_meta_targets(c, d, flags, &live, &config);
	if (rc)
		goto out;
	if (type == META_ELEMENT && text && !*text) {	/* "" removes */
		free(text);
		text = NULL;
	}
	/* Both copies changed (either may refuse, e.g. too long), then the
	 * definition stored, and only then memory changed: a change that
	 * cannot be stored leaves no trace (issue 12). */
	if (config)
		rc = proc_meta_apply(c, config, type, text, key, uri);
	if (!rc && live)
		rc = proc_meta_apply(c, live, type, text, key, uri);
	if (!rc && config)
		rc = dom_def_store(d, config, &c->err);
	if (!rc && config) {
		dom_def_install(d, config);
		config = NULL;
	}
	if (!rc && live)
		d->cfg = *live;
	if (!rc)
		event_metadata_change(d, type, uri);
out:
	free(live);
	free(config);
	free(text);
	free(key);
	free(uri);
	return rc;
}

/* GET_METADATA {dom; int type; remote_string uri; u32 flags} ->
 * {string metadata}. */
PROC_DECL(proc_get_metadata)
{
	struct dom *d = proc_get_dom(c);
	int32_t type = xdr_get_i32(c->args);
	bool p;
	char *uri = xdr_get_opt_string(c->args, 4096, &p), *out = NULL;
	uint32_t flags = xdr_get_u32(c->args);
	const struct dom_config *cfg;
	const char *s;
	int rc;

	rc = proc_dom_ready(c, d, false);
	if (rc)
		goto out;
	if ((flags & ~(uint32_t)(AFFECT_LIVE | AFFECT_CONFIG)) ||
	    flags == (AFFECT_LIVE | AFFECT_CONFIG)) {
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "flags 0x%x: --live and --config are exclusive",
			      flags);
		goto out;
	}
	if ((flags & AFFECT_LIVE) && !dom_active(d)) {
		rc = verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
			      "operation is not valid: domain is not running");
		goto out;
	}
	cfg = (flags & AFFECT_CONFIG) && d->pending ? d->pending : &d->cfg;
	if (type == META_ELEMENT) {
		if (!uri) {
			rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid "
				      "argument: a namespace URI is required");
			goto out;
		}
		rc = dommeta_get(cfg->metadata, uri, &out, &c->err);
		if (!rc)
			xdr_put_string(c->ret, out);
		goto out;
	}
	if (type != META_DESCRIPTION && type != META_TITLE) {
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "unknown metadata type %d", type);
		goto out;
	}
	s = type == META_TITLE ? cfg->title : cfg->description;
	if (!*s) {
		rc = verr_set(&c->err, VERR_NO_DOMAIN_METADATA, "metadata not "
			      "found: Requested metadata element is not "
			      "present");
		goto out;
	}
	xdr_put_string(c->ret, s);
out:
	free(uri);
	free(out);
	return rc;
}

static const struct proc proc_meta_procs[] = {
	{ 264, "DOMAIN_SET_METADATA", proc_set_metadata, PROC_WRITE },
	{ 265, "DOMAIN_GET_METADATA", proc_get_metadata, 0 },
};

const struct proc_group proc_meta_group = {
	"meta", proc_meta_procs, ARRAY_SIZE(proc_meta_procs)
};
