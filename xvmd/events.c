/*
 * Domain events for clients that register for them (`virsh event`,
 * python's domainEventRegisterAny), in both of libvirt's forms:
 *
 * - callback form, which clients use because SUPPORTS_FEATURE(14,
 *   REMOTE_EVENT_CALLBACK) answers 1:
 *   CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY {int eventID; remote_domain
 *   dom} -> {int callbackID}, DEREGISTER_ANY {int callbackID}; events as
 *   MESSAGE 318 {int callbackID; dom; int event; int detail} (lifecycle)
 *   and 379 {int callbackID; dom; int type; remote_string nsuri}
 *   (metadata change). A registration with a domain gets only its events.
 * - the older form (CONNECT_DOMAIN_EVENT_REGISTER_ANY {int eventID},
 *   lifecycle events as MESSAGE 107 {dom; int event; int detail}), kept
 *   for older clients.
 *
 * Registering any known event id succeeds (so `virsh event --all`
 * works); lifecycle, metadata-change and device added/removed (NIC
 * hot-plug: 354 and 333 {int callbackID; dom; string devAlias}, the
 * older form's 311 for a removal) events are sent.
 */
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "dom.h"
#include "events.h"
#include "proc.h"

#define EVENT_ID_LIFECYCLE		0
#define EVENT_ID_DEVICE_REMOVED		15
#define EVENT_ID_DEVICE_ADDED		19
#define EVENT_ID_METADATA_CHANGE	23
#define EVENT_ID_MAX			63
#define EVENT_CB_MAX			512	/* registrations per client */
#define PROC_EVENT_LIFECYCLE		107
#define PROC_EVENT_DEVICE_REMOVED	311
#define PROC_EVENT_CB_LIFECYCLE		318
#define PROC_EVENT_CB_DEVICE_REMOVED	333
#define PROC_EVENT_CB_DEVICE_ADDED	354
#define PROC_EVENT_CB_METADATA_CHANGE	379

struct event_cb {
	int32_t id;		/* callbackID; -1 for the older form */
	int32_t event_id;
	bool has_dom;		/* only events of the domain with uuid */
	uint8_t uuid[16];
	struct event_cb *next;
};

/* The last callbackID given out (libvirtd also numbers them per daemon). */
static int32_t event_last_id;

struct event_msg {
	const struct dom *d;
	int32_t event_id;
	uint32_t legacy_proc;	/* 0: no older-form message for this event */
	uint32_t cb_proc;
	const uint8_t *body;	/* the message after the callbackID */
	size_t len;
};

static void event_send_one(struct remote_conn *conn, void *opaque)
{
	const struct event_msg *m = opaque;
	struct event_cb *cb;
	struct xdr_out o;

	for (cb = *remote_conn_events(conn); cb; cb = cb->next) {
		if (cb->event_id != m->event_id ||
		    (cb->has_dom && memcmp(cb->uuid, m->d->cfg.uuid, 16)))
			continue;
		if (cb->id < 0) {
			if (m->legacy_proc)
				remote_send_event(conn, m->legacy_proc,
						  m->body, m->len);
			continue;
		}
		xdr_out_init(&o);
		xdr_put_i32(&o, cb->id);
		xdr_put_raw(&o, m->body, m->len);
		if (!o.err)
			remote_send_event(conn, m->cb_proc, o.buf, o.len);
		xdr_out_free(&o);
	}
}

static void event_put_dom(struct xdr_out *o, const struct dom *d)
{
	xdr_put_string(o, d->cfg.name);
	xdr_put_fixed(o, d->cfg.uuid, 16);
	xdr_put_i32(o, dom_active(d) ? d->live.id : -1);
}

static void event_send(struct event_msg *m, struct xdr_out *body)
{
	if (body->err)
		return;
	m->body = body->buf;
	m->len = body->len;
	remote_each_conn(event_send_one, m);
}

void event_lifecycle(const struct dom *d, int event, int detail)
{
	struct event_msg m = { d, EVENT_ID_LIFECYCLE, PROC_EVENT_LIFECYCLE,
			       PROC_EVENT_CB_LIFECYCLE, NULL, 0 };
	struct xdr_out o;

	xdr_out_init(&o);
	event_put_dom(&o, d);
	xdr_put_i32(&o, event);
	xdr_put_i32(&o, detail);
	log_debug("event: %s lifecycle %d/%d", d->cfg.name, event, detail);
	event_send(&m, &o);
	xdr_out_free(&o);
}

void event_metadata_change(const struct dom *d, int type, const char *nsuri)
{
	struct event_msg m = { d, EVENT_ID_METADATA_CHANGE, 0,
			       PROC_EVENT_CB_METADATA_CHANGE, NULL, 0 };
	struct xdr_out o;

	xdr_out_init(&o);
	event_put_dom(&o, d);
	xdr_put_i32(&o, type);
	xdr_put_opt_string(&o, type == EV_META_ELEMENT ? nsuri : NULL);
	log_debug("event: %s metadata change %d %s", d->cfg.name, type,
		  nsuri ? nsuri : "");
	event_send(&m, &o);
	xdr_out_free(&o);
}

void event_device(const struct dom *d, bool added, const char *alias)
{
	struct event_msg m = {
		d, added ? EVENT_ID_DEVICE_ADDED : EVENT_ID_DEVICE_REMOVED,
		added ? 0 : PROC_EVENT_DEVICE_REMOVED,
		added ? PROC_EVENT_CB_DEVICE_ADDED :
			PROC_EVENT_CB_DEVICE_REMOVED, NULL, 0 };
	struct xdr_out o;

	xdr_out_init(&o);
	event_put_dom(&o, d);
	xdr_put_string(&o, alias);
	log_debug("event: %s device %s %s", d->cfg.name,
		  added ? "added" : "removed", alias);
	event_send(&m, &o);
	xdr_out_free(&o);
}

void event_conn_gone(struct remote_conn *conn)
{
	struct event_cb **head = remote_conn_events(conn), *cb;

	while ((cb = *head)) {
		*head = cb->next;
		free(cb);
	}
}

/* Add a registration; its callbackID in *id. 0 or -errno with c->err. */
static int event_add(struct remote_call *c, int32_t event_id, bool legacy,
		     const uint8_t *uuid, int32_t *id)
{
	struct event_cb **pp = remote_conn_events(c->conn), *cb;
	unsigned n = 0;

	if (event_id < 0 || event_id > EVENT_ID_MAX)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"unsupported event ID %d", event_id);
	for (; *pp; pp = &(*pp)->next) {
		cb = *pp;
		/* The older form registers each id once per client. */
		if (legacy && cb->id < 0 && cb->event_id == event_id)
			return verr_set(&c->err, VERR_OPERATION_INVALID,
					"Requested operation is not valid: "
					"domain event %d already registered",
					event_id);
		n++;
	}
	if (n >= EVENT_CB_MAX)
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: too many event "
				"registrations on this connection (at most %d)",
				EVENT_CB_MAX);
	cb = calloc(1, sizeof(*cb));
	if (!cb)
		return verr_nomem(&c->err);
	if (legacy) {
		cb->id = -1;
	} else {
		event_last_id = event_last_id == INT32_MAX ? 1 :
				event_last_id + 1;
		cb->id = event_last_id;
	}
	cb->event_id = event_id;
	if (uuid) {
		cb->has_dom = true;
		memcpy(cb->uuid, uuid, 16);
	}
	*pp = cb;		/* at the end: events go out in order */
	*id = cb->id;
	return 0;
}

/* Remove the registration that matches; -ENOENT with c->err if none. */
static int event_del(struct remote_call *c, bool legacy, int32_t key)
{
	struct event_cb **pp, *cb;

	for (pp = remote_conn_events(c->conn); (cb = *pp); pp = &cb->next)
		if (legacy ? cb->id < 0 && cb->event_id == key :
			     cb->id == key) {
			*pp = cb->next;
			free(cb);
			return 0;
		}
	return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			"%s %d not registered",
			legacy ? "domain event" : "event callback", key);
}

/* CONNECT_DOMAIN_EVENT_REGISTER_ANY {int eventID}. A client that
 * registers an id twice in this form gets an error, as from libvirtd. */
PROC_DECL(proc_event_register_any)
{
	int32_t event_id = xdr_get_i32(c->args), id;

	if (proc_args_done(c))
		return PROC_DROP;
	return event_add(c, event_id, true, NULL, &id);
}

/* CONNECT_DOMAIN_EVENT_DEREGISTER_ANY {int eventID}. */
PROC_DECL(proc_event_deregister_any)
{
	int32_t event_id = xdr_get_i32(c->args);

	if (proc_args_done(c))
		return PROC_DROP;
	return event_del(c, true, event_id);
}

/* CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY {int eventID; remote_domain
 * dom} -> {int callbackID}. The domain need not exist (yet): it filters
 * by UUID, as libvirtd does. */
PROC_DECL(proc_event_callback_register_any)
{
	int32_t event_id = xdr_get_i32(c->args), id;
	uint32_t has_dom = xdr_get_u32(c->args);
	uint8_t uuid[16];
	char *name = NULL;
	int rc;

	if (has_dom > 1)
		return PROC_DROP;
	if (has_dom) {
		name = xdr_get_string(c->args, 4096);
		xdr_get_fixed(c->args, uuid, sizeof(uuid));
		xdr_get_i32(c->args);
	}
	free(name);
	if (proc_args_done(c))
		return PROC_DROP;
	rc = event_add(c, event_id, false, has_dom ? uuid : NULL, &id);
	if (!rc)
		xdr_put_i32(c->ret, id);
	return rc;
}

/* CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY {int callbackID}. */
PROC_DECL(proc_event_callback_deregister_any)
{
	int32_t id = xdr_get_i32(c->args);

	if (proc_args_done(c))
		return PROC_DROP;
	if (id < 0)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"event callback %d not registered", id);
	return event_del(c, false, id);
}

static const struct proc proc_event_procs[] = {
	{ 167, "CONNECT_DOMAIN_EVENT_REGISTER_ANY",
	  proc_event_register_any, 0 },
	{ 168, "CONNECT_DOMAIN_EVENT_DEREGISTER_ANY",
	  proc_event_deregister_any, 0 },
	{ 316, "CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY",
	  proc_event_callback_register_any, 0 },
	{ 317, "CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY",
	  proc_event_callback_deregister_any, 0 },
};

const struct proc_group proc_event_group = {
	"event", proc_event_procs, ARRAY_SIZE(proc_event_procs)
};
