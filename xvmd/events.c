/*
 * Domain lifecycle events for clients that register for them (`virsh
 * event`, python's domainEventRegisterAny): the pre-callback-ID protocol
 * (CONNECT_DOMAIN_EVENT_REGISTER_ANY {int eventID}, events as MESSAGE
 * proc 107 {dom; int event; int detail}), since SUPPORTS_FEATURE(14)
 * answers 0. Only lifecycle events (id 0) are ever sent; registering
 * other ids succeeds so `virsh event --all` works.
 */
#include "xvm/log.h"
#include "dom.h"
#include "events.h"
#include "proc.h"

#define EVENT_ID_LIFECYCLE	0
#define EVENT_ID_MAX		63
#define PROC_EVENT_LIFECYCLE	107

struct event_msg {
	const uint8_t *buf;
	size_t len;
};

static void event_send_one(struct remote_conn *conn, void *opaque)
{
	const struct event_msg *m = opaque;

	if (*remote_conn_events(conn) & (1ull << EVENT_ID_LIFECYCLE))
		remote_send_event(conn, PROC_EVENT_LIFECYCLE, m->buf, m->len);
}

void event_lifecycle(const struct dom *d, int event, int detail)
{
	struct xdr_out o;
	struct event_msg m;

	xdr_out_init(&o);
	xdr_put_string(&o, d->cfg.name);
	xdr_put_fixed(&o, d->cfg.uuid, 16);
	xdr_put_i32(&o, dom_active(d) ? d->live.id : -1);
	xdr_put_i32(&o, event);
	xdr_put_i32(&o, detail);
	if (!o.err) {
		m.buf = o.buf;
		m.len = o.len;
		log_debug("event: %s lifecycle %d/%d", d->cfg.name, event, detail);
		remote_each_conn(event_send_one, &m);
	}
	xdr_out_free(&o);
}

static int event_register(struct remote_call *c, bool on)
{
	int32_t id = xdr_get_i32(c->args);
	uint64_t *mask;

	if (proc_args_done(c))
		return PROC_DROP;
	if (id < 0 || id > EVENT_ID_MAX)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"unsupported event ID %d", id);
	mask = remote_conn_events(c->conn);
	if (on)
		*mask |= 1ull << id;
	else
		*mask &= ~(1ull << id);
	return 0;
}

PROC_DECL(proc_event_register_any)
{
	return event_register(c, true);
}

PROC_DECL(proc_event_deregister_any)
{
	return event_register(c, false);
}

static const struct proc proc_event_procs[] = {
	{ 167, "CONNECT_DOMAIN_EVENT_REGISTER_ANY",
	  proc_event_register_any, 0 },
	{ 168, "CONNECT_DOMAIN_EVENT_DEREGISTER_ANY",
	  proc_event_deregister_any, 0 },
};

const struct proc_group proc_event_group = {
	"event", proc_event_procs, ARRAY_SIZE(proc_event_procs)
};
