/*
 * Captures, control side (capture.h; docs/vswitchd-control.md
 * "capture.start"). A capture belongs to the control connection that
 * started it: its frames go to that connection as "capture.frames" events,
 * drained from its ring every CAPTURE_TICK_MS by a timerfd the RPC server
 * watches, and it ends with a "capture.end" event when its count is
 * reached, when its link goes, or on capture.stop; it ends silently when
 * the connection closes. A client that does not read gets no more events
 * once CAPTURE_BACKLOG bytes wait for it: its ring fills and the PMD
 * counts the frames that did not fit as dropped.
 *
 * Control thread only. A port's list of rings is replaced whole and the
 * old one freed after an RCU grace period of the PMDs (vswd.qsbr).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>

#include "xvm/log.h"
#include "capture.h"
#include "control.h"
#include "vswitchd.h"

#define CAPTURE_MAX		64		/* running at once */
#define CAPTURE_TICK_MS		10		/* drain period */
#define CAPTURE_BATCH		64		/* frames per event */
#define CAPTURE_BACKLOG		(256u << 10)	/* bytes waiting for a
						 * client: stop sending */

struct capture {
	struct capture *next;
	uint64_t id;
	char link[LINKNAME_MAX];
	bool vnic;			/* directions named as a VNIC's */
	struct vsw_port *port;		/* NULL once detached */
	struct rpc_conn *conn;		/* NULL once its client went away */
	struct capture_ring *ring;
	uint64_t delivered;		/* frames sent to the client */
	char *expr;			/* the filter's text, for listings */
	bool busy;			/* being drained: ending it waits */
};

static struct {
	struct vswd *d;
	struct rpc_server *srv;
	struct capture *list;		/* by increasing id */
	unsigned n;
	uint64_t next_id;
	int timer_fd;
} cap = { .timer_fd = -1 };

static void capture_end(struct capture *c, const char *reason);

/* ---- a port's list, under RCU ---- */

/* Replace p's list by its old one with add (or without del). */
static int capture_relist(struct vsw_port *p, struct capture_ring *add,
			  struct capture_ring *del)
{
	struct capture_list *old = p->capture, *cl;
	unsigned n = old ? old->n : 0, k = 0;

	cl = malloc(sizeof(*cl) + (n + 1) * sizeof(cl->ring[0]));
	if (!cl)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++)
		if (old->ring[i] != del)
			cl->ring[k++] = old->ring[i];
	if (add)
		cl->ring[k++] = add;
	cl->n = k;
	__atomic_store_n(&p->capture, k ? cl : NULL, __ATOMIC_RELEASE);
	if (!k)
		free(cl);
	/* the PMD may still run the old list until its next quiescent
	 * state: wait for it before freeing (or destroying del) */
	rte_rcu_qsbr_synchronize(cap.d->qsbr, RTE_QSBR_THRID_INVALID);
	free(old);
	return 0;
}

/* ---- frames to events ---- */

static int64_t capture_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static json_t *capture_hex(const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(n * 2 + 1);
	json_t *j;

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 15];
	}
	j = json_stringn(s, n * 2);
	free(s);
	return j;
}

/* "in": the link received it; for a VNIC that is what the switch sent
 * to it, for an uplink what came from the wire. */
static const char *capture_dir_name(const struct capture *c, uint8_t dir)
{
	return (dir == CAPTURE_TX) == c->vnic ? "in" : "out";
}

static json_t *capture_frame_json(const struct capture *c,
				  const struct capture_slot *s, int64_t off)
{
	return json_pack("{s:I, s:i, s:s, s:o}",
			 "t", (json_int_t)((int64_t)s->ns + off),
			 "len", (int)s->len,
			 "dir", capture_dir_name(c, s->dir),
			 "data", capture_hex(s->data, s->caplen));
}

static json_t *capture_counts(const struct capture *c)
{
	return json_pack("{s:I, s:I, s:I}", "id", (json_int_t)c->id,
			 "captured", (json_int_t)c->delivered,
			 "dropped", (json_int_t)vsw_read(&c->ring->dropped));
}

/* One "capture.frames" event's data: up to CAPTURE_BATCH frames. */
static json_t *capture_batch(struct capture *c, unsigned *n)
{
	int64_t off = capture_clock_ns(CLOCK_REALTIME) -
		      capture_clock_ns(CLOCK_MONOTONIC);
	uint32_t idx[CAPTURE_BATCH];
	json_t *data, *frames = json_array();

	*n = capture_ring_take(c->ring, idx, CAPTURE_BATCH);
	for (unsigned i = 0; i < *n && frames; i++)
		json_array_append_new(frames, capture_frame_json(c,
				      capture_ring_slot(c->ring, idx[i]), off));
	capture_ring_give(c->ring, idx, *n);
	c->delivered += *n;
	data = capture_counts(c);
	if (data && frames)
		json_object_set_new(data, "frames", frames);
	else
		json_decref(frames);
	return data;
}

/* Send what the ring holds, while the client keeps up (all of it when
 * ending). */
static void capture_drain(struct capture *c, bool all)
{
	unsigned n = 1;

	c->busy = true;
	while (c->conn && n &&
	       (all || rpc_conn_pending(c->conn) < CAPTURE_BACKLOG)) {
		json_t *ev = capture_batch(c, &n);

		if (n && ev)
			rpc_conn_emit(c->conn, "capture.frames", ev);
		else
			json_decref(ev);
	}
	c->busy = false;
}

/* ---- life cycle ---- */

static struct capture *capture_find(uint64_t id)
{
	for (struct capture *c = cap.list; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/* The capture after id (0: the first). Safe while captures end. */
static struct capture *capture_after(uint64_t id)
{
	for (struct capture *c = cap.list; c; c = c->next)
		if (c->id > id)
			return c;
	return NULL;
}

static void capture_tick(void *arg UNUSED)
{
	uint64_t expirations;
	struct capture *c;

	(void)!read(cap.timer_fd, &expirations, sizeof(expirations));
	for (uint64_t id = 0; (c = capture_after(id)); ) {
		id = c->id;
		capture_drain(c, false);
		if (!c->conn)
			capture_end(c, NULL);
		else if (c->ring->limit && c->delivered >= c->ring->limit)
			capture_end(c, "count");
	}
}

static int capture_timer_start(struct rpc_server *srv)
{
	struct itimerspec its = {
		.it_interval = { 0, CAPTURE_TICK_MS * 1000000L },
		.it_value = { 0, CAPTURE_TICK_MS * 1000000L },
	};
	int rc;

	if (cap.timer_fd >= 0)
		return 0;
	cap.timer_fd = timerfd_create(CLOCK_MONOTONIC,
				      TFD_NONBLOCK | TFD_CLOEXEC);
	if (cap.timer_fd < 0)
		return -errno;
	rc = timerfd_settime(cap.timer_fd, 0, &its, NULL) < 0 ? -errno :
	     rpc_server_watch(srv, cap.timer_fd, capture_tick, NULL);
	if (rc < 0) {
		close(cap.timer_fd);
		cap.timer_fd = -1;
		return rc;
	}
	cap.srv = srv;
	return 0;
}

static void capture_timer_stop(void)
{
	if (cap.timer_fd < 0)
		return;
	rpc_server_unwatch(cap.srv, cap.timer_fd);
	close(cap.timer_fd);
	cap.timer_fd = -1;
}

static void capture_unlist(struct capture *c)
{
	for (struct capture **pp = &cap.list; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			cap.n--;
			return;
		}
	}
}

static void capture_free(struct capture *c)
{
	capture_ring_destroy(c->ring);
	free(c->expr);
	free(c);
}

/* Detach, send what is left and capture.end (reason NULL: the client is
 * gone, nothing is sent), free. */
static void capture_end(struct capture *c, const char *reason)
{
	json_t *ev;

	if (c->busy) {		/* its drain ends it when done */
		c->conn = NULL;
		return;
	}
	if (c->port && capture_relist(c->port, NULL, c->ring) < 0) {
		/* the PMD may still copy into it: keep the ring (a leak, on
		 * a failed allocation of a few bytes), free the rest */
		log_err("capture %llu on %s: cannot detach, out of memory",
			(unsigned long long)c->id, c->link);
		c->ring = NULL;
	}
	c->port = NULL;
	capture_unlist(c);
	if (c->conn && reason && c->ring) {
		capture_drain(c, true);
		ev = capture_counts(c);
		if (ev)
			json_object_set_new(ev, "reason", json_string(reason));
		if (c->conn && ev)
			rpc_conn_emit(c->conn, "capture.end", ev);
		else
			json_decref(ev);
	}
	log_info("capture %llu on %s: ended (%s), %llu frames",
		 (unsigned long long)c->id, c->link, reason ? reason :
		 "client gone", (unsigned long long)c->delivered);
	capture_free(c);
	if (cap.n == 0)
		capture_timer_stop();
}

/* rpc_conn_on_close(): the client went away, its captures end. */
static void capture_conn_closed(void *arg UNUSED, struct rpc_conn *conn)
{
	struct capture *c;

	for (uint64_t id = 0; (c = capture_after(id)); ) {
		id = c->id;
		if (c->conn != conn)
			continue;
		c->conn = NULL;
		capture_end(c, NULL);
	}
}

void capture_port_gone(struct vswd *d UNUSED, struct vsw_port *p)
{
	struct capture *c;

	for (uint64_t id = 0; (c = capture_after(id)); ) {
		id = c->id;
		if (c->port == p)
			capture_end(c, "link deleted");
	}
}

/* ---- capture.start ---- */

/* The port frames of link name cross. */
static int capture_port_of(struct vswd *d, const char *name,
			   struct vsw_port **p, bool *vnic,
			   struct rpc_error *err)
{
	struct vsw_vnic *v = vnic_find(d, name);
	struct vsw_link *l;

	*vnic = v != NULL;
	if (v && !v->port)
		return rpc_errorf(err, EBUSY, "link busy");
	if (v) {
		*p = v->port;
		return 0;
	}
	l = link_find(d, name);
	if (!l)
		return rpc_errorf(err, ENOENT, "object not found");
	if (!l->uplink)
		return rpc_errorf(err, ENOTSUP, "'%s' is an etherstub: capture "
				  "the vnics over it", name);
	*p = l->uplink;
	return 0;
}

/* An optional integer parameter in [min, max]. */
static int capture_int(json_t *params, const char *key, json_int_t min,
		       json_int_t max, json_int_t *out, struct rpc_error *err)
{
	json_t *v = json_object_get(params, key);

	if (!v)
		return 0;
	if (!json_is_integer(v))
		return rpc_errorf(err, EINVAL, "parameter '%s' must be an "
				  "integer", key);
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return rpc_errorf(err, EINVAL, "parameter '%s' must be %lld to "
				  "%lld", key, (long long)min, (long long)max);
	*out = json_integer_value(v);
	return 0;
}

/* One instruction [code, jt, jf, k]. */
static int capture_insn_json(json_t *a, struct capture_insn *in)
{
	static const json_int_t max[4] = { 0xffff, 0xff, 0xff, 0xffffffffLL };
	json_int_t v[4];

	if (!json_is_array(a) || json_array_size(a) != 4)
		return -EINVAL;
	for (size_t i = 0; i < 4; i++) {
		json_t *e = json_array_get(a, i);

		if (!json_is_integer(e) || json_integer_value(e) < 0 ||
		    json_integer_value(e) > max[i])
			return -EINVAL;
		v[i] = json_integer_value(e);
	}
	*in = (struct capture_insn){ (uint16_t)v[0], (uint8_t)v[1],
				     (uint8_t)v[2], (uint32_t)v[3] };
	return 0;
}

/* The optional "filter": checked, converted and loaded. */
static int capture_filter_param(json_t *params, struct capture_filter *f,
				struct rpc_error *err)
{
	json_t *arr = json_object_get(params, "filter");
	char why[200] = "";
	struct capture_insn *ins;
	size_t n;
	int rc = 0;

	*f = (struct capture_filter){ NULL, NULL };
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return rpc_errorf(err, EINVAL, "parameter 'filter' must be an "
				  "array");
	n = json_array_size(arr);
	if (n == 0 || n > CAPTURE_FILTER_MAX)
		return rpc_errorf(err, EINVAL, "invalid filter: a filter has "
				  "1 to %u instructions", CAPTURE_FILTER_MAX);
	ins = calloc(n, sizeof(*ins));
	if (!ins)
		return rpc_errorf(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++)
		if (capture_insn_json(json_array_get(arr, i), &ins[i]) < 0)
			rc = rpc_errorf(err, EINVAL, "invalid filter: "
					"instruction %zu is not [code, jt, "
					"jf, k]", i);
	if (rc == 0) {
		rc = capture_filter_load(ins, (unsigned)n, f, why, sizeof(why));
		if (rc < 0)
			rpc_errorf(err, -rc, "invalid filter: %s", why);
	}
	free(ins);
	return rc;
}

static json_t *capture_json(const struct capture *c)
{
	json_t *o = capture_counts(c);

	if (o && json_object_update_new(o, json_pack("{s:s, s:i, s:I, s:s, s:b}",
			"link", c->link, "snaplen", (int)c->ring->snaplen,
			"count", (json_int_t)c->ring->limit,
			"expr", c->expr ? c->expr : "",
			"jit", c->ring->filter.jit != NULL)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A new capture of link for conn, attached to its port. */
static int capture_new(struct rpc_conn *conn,
		       const char *link, json_t *params, struct capture **out,
		       struct rpc_error *err)
{
	json_int_t snaplen = CAPTURE_SNAPLEN_MAX, count = 0;
	struct capture_filter f;
	struct capture *c;
	const char *expr;
	int rc;

	if ((rc = capture_int(params, "snaplen", 1, CAPTURE_SNAPLEN_MAX,
			      &snaplen, err)) < 0 ||
	    (rc = capture_int(params, "count", 0, INT64_MAX, &count, err)) < 0 ||
	    (rc = ctl_str(params, "expr", false, &expr, err)) < 0 ||
	    (rc = capture_filter_param(params, &f, err)) < 0)
		return rc;
	c = calloc(1, sizeof(*c));
	if (c)
		c->ring = capture_ring_create((uint32_t)snaplen,
					      (uint64_t)count, &f);
	if (c && c->ring && expr)
		c->expr = strdup(expr);
	if (!c || !c->ring || (expr && !c->expr)) {
		capture_filter_free(&f);
		if (c)
			capture_free(c);
		return rpc_errorf(err, ENOMEM, "cannot allocate a capture");
	}
	c->conn = conn;
	snprintf(c->link, sizeof(c->link), "%s", link);
	*out = c;
	return 0;
}

static void capture_list_add(struct capture *c)
{
	struct capture **pp = &cap.list;

	while (*pp)
		pp = &(*pp)->next;
	*pp = c;
	cap.n++;
}

static int capture_ctl_start(struct vswd *d, struct rpc_conn *conn,
			     json_t *params, json_t **result,
			     struct rpc_error *err)
{
	struct vsw_port *port = NULL;
	struct capture *c = NULL;
	const char *link;
	bool vnic;
	int rc;

	cap.d = d;
	if ((rc = ctl_str(params, "link", true, &link, err)) < 0 ||
	    (rc = capture_port_of(d, link, &port, &vnic, err)) < 0)
		return rc;
	if (cap.n >= CAPTURE_MAX)
		return rpc_errorf(err, ENOSPC, "too many captures (%u running)",
				  cap.n);
	if (port->capture && port->capture->n >= CAPTURE_PORT_MAX)
		return rpc_errorf(err, ENOSPC, "too many captures of '%s' (%u)",
				  link, CAPTURE_PORT_MAX);
	rc = rpc_conn_on_close(conn, capture_conn_closed, NULL);
	if (rc < 0)
		return rpc_errorf(err, -rc, "cannot follow this connection");
	rc = capture_timer_start(rpc_conn_server(conn));
	if (rc < 0)
		return rpc_errorf(err, -rc, "cannot start the capture timer");
	rc = capture_new(conn, link, params, &c, err);
	if (rc == 0) {
		c->id = ++cap.next_id;
		c->vnic = vnic;
		rc = capture_relist(port, c->ring, NULL);
		if (rc < 0) {
			capture_free(c);
			rpc_errorf(err, -rc, "out of memory");
		}
	}
	if (rc < 0) {
		if (cap.n == 0)
			capture_timer_stop();
		return rc;
	}
	c->port = port;
	capture_list_add(c);
	log_info("capture %llu on %s: started, filter '%s'",
		 (unsigned long long)c->id, link, c->expr ? c->expr : "");
	*result = capture_json(c);
	return 0;
}
CTL_COMMAND_CONN("capture.start", capture_ctl_start,
		 "link [snaplen] [count] [filter] [expr]");

static int capture_ctl_stop(struct vswd *d UNUSED, struct rpc_conn *conn,
			    json_t *params, json_t **result,
			    struct rpc_error *err)
{
	json_int_t id = 0;
	struct capture *c;
	int rc;

	if (!json_object_get(params, "id"))
		return rpc_errorf(err, EINVAL, "missing parameter 'id'");
	rc = capture_int(params, "id", 1, INT64_MAX, &id, err);
	if (rc < 0)
		return rc;
	c = id ? capture_find((uint64_t)id) : NULL;
	if (!c || c->conn != conn)
		return rpc_errorf(err, ENOENT, "no such capture on this "
				  "connection");
	capture_end(c, "stopped");
	/* capture.end carried the last counts; the reply repeats them */
	*result = json_pack("{s:I}", "id", (json_int_t)id);
	return 0;
}
CTL_COMMAND_CONN("capture.stop", capture_ctl_stop, "id");

static int capture_ctl_list(struct vswd *d UNUSED, json_t *params UNUSED,
			    json_t **result, struct rpc_error *err UNUSED)
{
	json_t *arr = json_array();

	for (struct capture *c = cap.list; c && arr; c = c->next)
		json_array_append_new(arr, capture_json(c));
	*result = json_pack("{s:o}", "captures", arr);
	return 0;
}
CTL_COMMAND("capture.list", capture_ctl_list, "");
