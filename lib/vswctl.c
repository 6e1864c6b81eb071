/*
 * vswctl's core (include/xvm/vswctl.h): the connection to vswitchd, the
 * one request/reply exchange every typed call goes through, the error a
 * failed call leaves, and the wire forms shared by several methods
 * (the socket's name, maxbw, property lists).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xvm/daemon.h"
#include "xvm/rpc.h"
#include "vswctl_priv.h"

struct vswctl {
	struct rpc_client *cli;
	struct vswctl_error err;	/* of the last failed call */
	int timeout_ms;			/* per call */
};

int vswctl_sock_path(const char *rundir, char *buf, size_t len)
{
	int n;

	if (!rundir || !*rundir)
		rundir = xvm_rundir();
	n = snprintf(buf, len, "%s/" VSWCTL_SOCK_NAME, rundir);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vswctl_vnic_sock_path(const char *rundir, const char *name, char *buf,
			  size_t len)
{
	int n;

	if (!rundir || !*rundir)
		rundir = xvm_rundir();
	n = snprintf(buf, len, "%s/vnic/%s.sock", rundir, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int vswctl_open(const char *path, struct vswctl **hp)
{
	char def[VSWCTL_PATHLEN];
	struct vswctl *h;
	int ret;

	*hp = NULL;
	if (!path) {
		ret = vswctl_sock_path(NULL, def, sizeof(def));
		if (ret < 0)
			return ret;
		path = def;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->cli = rpc_client_connect(path);
	if (!h->cli) {
		ret = -errno;
		free(h);
		return ret;
	}
	h->timeout_ms = VSWCTL_TIMEOUT_MS;
	*hp = h;
	return 0;
}

void vswctl_set_timeout(struct vswctl *h, int timeout_ms)
{
	h->timeout_ms = timeout_ms > 0 ? timeout_ms : VSWCTL_TIMEOUT_MS;
}

void vswctl_close(struct vswctl *h)
{
	if (!h)
		return;
	rpc_client_close(h->cli);
	free(h);
}

struct rpc_client *vswctl_rpc(struct vswctl *h)
{
	return h->cli;
}

const struct vswctl_error *vswctl_error(const struct vswctl *h)
{
	return &h->err;
}

int vswctl_fail(struct vswctl *h, int status, enum vswctl_origin origin,
		const char *fmt, ...)
{
	va_list ap;

	h->err.status = status;
	h->err.origin = origin;
	va_start(ap, fmt);
	vsnprintf(h->err.message, sizeof(h->err.message), fmt, ap);
	va_end(ap);
	return status;
}

/* vswitchd's own words for the codes docs/vswitchd-control.md lists. */
static const struct {
	int errnum;
	const char *text;
} vswctl_texts[] = {
	{ EEXIST, "object already exists" },
	{ ENOENT, "object not found" },
	{ EINVAL, "invalid argument" },
	{ EADDRINUSE, "MAC address is already in use" },
	{ EBUSY, "link busy" },
	{ ENOTSUP, "operation not supported" },
};

const char *vswctl_strstatus(int status)
{
	int errnum = status < 0 ? -status : status;

	if (!status)
		return "success";
	for (size_t i = 0; i < ARRAY_SIZE(vswctl_texts); i++)
		if (vswctl_texts[i].errnum == errnum)
			return vswctl_texts[i].text;
	return strerror(errnum);
}

int vswctl_call(struct vswctl *h, const char *method, json_t *params,
		json_t **result)
{
	struct rpc_error e;
	json_t *res = NULL;
	int ret;

	if (!params)
		return vswctl_fail(h, -ENOMEM, VSWCTL_E_LOCAL,
				   "out of memory");
	ret = rpc_client_call(h->cli, method, params, &res, &e,
			      h->timeout_ms);
	if (ret == -EREMOTE)
		return vswctl_fail(h, -rpc_errno_from_name(e.code),
				   VSWCTL_E_REMOTE, "%s", e.message);
	if (ret < 0)
		return vswctl_fail(h, ret, VSWCTL_E_CONN, "%s", e.message);
	if (result)
		*result = res;
	else
		json_decref(res);
	return 0;
}

int vswctl_call_rows(struct vswctl *h, const char *method, json_t *params,
		     const char *key, json_t **rows)
{
	json_t *res;
	int ret;

	*rows = NULL;
	ret = vswctl_call(h, method, params, &res);
	if (ret < 0)
		return ret;
	*rows = json_incref(json_object_get(res, key));
	json_decref(res);
	if (!json_is_array(*rows)) {
		json_decref(*rows);
		*rows = NULL;
		return vswctl_fail(h, -EPROTO, VSWCTL_E_CONN,
				   "malformed reply");
	}
	return 0;
}

json_t *vswctl_set(json_t *obj, const char *key, json_t *val)
{
	if (!obj || !val) {
		json_decref(obj);
		json_decref(val);
		return NULL;
	}
	if (json_object_set_new(obj, key, val) < 0) {	/* val dropped */
		json_decref(obj);
		return NULL;
	}
	return obj;
}

json_t *vswctl_set_str(json_t *obj, const char *key, const char *s)
{
	return s ? vswctl_set(obj, key, json_string(s)) : obj;
}

json_t *vswctl_set_flag(json_t *obj, const char *key, bool on)
{
	return on ? vswctl_set(obj, key, json_true()) : obj;
}

json_t *vswctl_name_params(const char *name, bool temporary)
{
	json_t *p = vswctl_set_str(json_object(), "name", name);

	return vswctl_set_flag(p, "temporary", temporary);
}

json_t *vswctl_strings_json(const char *const *strs, unsigned n)
{
	json_t *arr = json_array();

	for (unsigned i = 0; arr && i < n; i++) {
		if (json_array_append_new(arr, json_string(strs[i])) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return arr;
}

int vswctl_maxbw_format(uint64_t bps, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%" PRIu64 "K", bps / 1000);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

json_t *vswctl_saved_props(const struct link_props *p)
{
	json_t *o = json_object();
	char buf[512];

	for (int id = 0; o && id < LINKPROP_COUNT; id++) {
		if (!(p->set & (1u << id)))
			continue;
		/* maxbw is shown in Mb/s ("1.200") but parsed without
		 * fractions: save it as the clients send it (kb/s, exact) */
		if (id == LINKPROP_MAXBW ?
		    vswctl_maxbw_format(p->maxbw, buf, sizeof(buf)) == 0 :
		    linkprop_format(p, (enum linkprop_id)id, buf,
				    sizeof(buf)) == 0)
			json_object_set_new(o, linkprop_name(
						(enum linkprop_id)id),
					    json_string(buf));
	}
	return o;
}

int vswctl_props_add(struct vswctl_props *p, const char *name,
		     const char *value)
{
	for (unsigned i = 0; i < p->n; i++)
		if (strcmp(p->prop[i].name, name) == 0)
			return -EEXIST;
	if (p->n >= ARRAY_SIZE(p->prop))
		return -E2BIG;
	p->prop[p->n].name = name;
	p->prop[p->n].value = value;
	p->n++;
	return 0;
}
