/*
 * capture.start, capture.stop and the capture events (include/xvm/
 * vswctl_capture.h; docs/vswitchd-control.md "capture.start"). Frames
 * come as hex in "capture.frames" events, checked here (sizes, digits)
 * before a caller sees them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xvm/rpc.h"
#include "xvm/vswctl_capture.h"
#include "vswctl_priv.h"

static json_t *vswctl_capture_filter_json(const struct vswctl_capture_spec *s)
{
	json_t *arr = json_array();

	for (unsigned i = 0; arr && i < s->nfilter; i++) {
		const struct vswctl_capture_insn *in = &s->filter[i];

		if (json_array_append_new(arr, json_pack("[i,i,i,I]",
				(int)in->code, (int)in->jt, (int)in->jf,
				(json_int_t)in->k)) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

/* The expression as a label vswitchd takes (a string parameter is at
 * most 255 bytes of UTF-8): printable ASCII, other bytes as '?', cut
 * with "..." when longer. */
static void vswctl_capture_label(const char *expr, char *buf, size_t len)
{
	size_t n = 0, max = len - 1;

	for (const char *p = expr; *p && n < max; p++)
		buf[n++] = *p >= 0x20 && *p < 0x7f ? *p : '?';
	buf[n] = '\0';
	if (strlen(expr) > max)
		memcpy(buf + max - 3, "...", 4);
}

int vswctl_capture_start(struct vswctl *h,
			 const struct vswctl_capture_spec *spec, uint64_t *id)
{
	char label[VSWCTL_CAPTURE_LABEL_MAX + 1];
	json_t *p = vswctl_set_str(json_object(), "link", spec->link);
	json_t *res = NULL, *v;
	int ret;

	if (spec->snaplen)
		p = vswctl_set(p, "snaplen", json_integer(spec->snaplen));
	if (spec->count)
		p = vswctl_set(p, "count", json_integer((json_int_t)spec->count));
	if (spec->filter) {
		if (spec->nfilter == 0 || spec->nfilter > VSWCTL_CAPTURE_INSNS_MAX) {
			json_decref(p);
			return vswctl_fail(h, -EINVAL, VSWCTL_E_LOCAL,
					   "filter too long (%u instructions)",
					   spec->nfilter);
		}
		p = vswctl_set(p, "filter", vswctl_capture_filter_json(spec));
	}
	if (spec->expr) {
		vswctl_capture_label(spec->expr, label, sizeof(label));
		p = vswctl_set_str(p, "expr", label);
	}
	ret = vswctl_call(h, "capture.start", p, &res);
	if (ret < 0)
		return ret;
	v = json_object_get(res, "id");
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		json_decref(res);
		return vswctl_fail(h, -EPROTO, VSWCTL_E_CONN,
				   "malformed reply to capture.start");
	}
	*id = (uint64_t)json_integer_value(v);
	json_decref(res);
	return 0;
}

int vswctl_capture_stop(struct vswctl *h, uint64_t id)
{
	return vswctl_call(h, "capture.stop",
			   vswctl_set(json_object(), "id",
				      json_integer((json_int_t)id)), NULL);
}

static int vswctl_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Hex digits into buf (at most max bytes): the length, or -EPROTO. */
static int vswctl_unhex(const char *s, size_t n, uint8_t *buf, size_t max)
{
	if (n % 2 || n / 2 > max)
		return -EPROTO;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = vswctl_hexval(s[2 * i]), lo = vswctl_hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EPROTO;
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

/* One frame object {"t","len","dir","data"}: decoded into f and buf. */
static int vswctl_frame_parse(const json_t *o, struct vswctl_frame *f,
			      uint8_t *buf)
{
	json_t *t = json_object_get(o, "t"), *len = json_object_get(o, "len");
	json_t *dir = json_object_get(o, "dir"), *data = json_object_get(o, "data");
	int n;

	if (!json_is_integer(t) || json_integer_value(t) < 0 ||
	    !json_is_integer(len) || json_integer_value(len) < 0 ||
	    json_integer_value(len) > UINT32_MAX || !json_is_string(dir) ||
	    !json_is_string(data))
		return -EPROTO;
	n = vswctl_unhex(json_string_value(data), json_string_length(data),
			 buf, VSWCTL_CAPTURE_FRAME_MAX);
	if (n < 0 || (json_int_t)n > json_integer_value(len))
		return -EPROTO;
	f->t_ns = (uint64_t)json_integer_value(t);
	f->len = (uint32_t)json_integer_value(len);
	f->caplen = (uint32_t)n;
	f->in = strcmp(json_string_value(dir), "in") == 0;
	f->data = buf;
	return 0;
}

static int vswctl_frames(const json_t *frames, vswctl_frame_fn fn, void *arg)
{
	uint8_t *buf = malloc(VSWCTL_CAPTURE_FRAME_MAX);
	struct vswctl_frame f;
	const json_t *o;
	size_t i;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	json_array_foreach(frames, i, o) {
		ret = vswctl_frame_parse(o, &f, buf);
		if (ret == 0)
			ret = fn(arg, &f);
		if (ret < 0)
			break;
	}
	free(buf);
	return ret;
}

/* The counts every capture event carries. */
static int vswctl_capture_counts(const json_t *data,
				 struct vswctl_capture_status *st)
{
	json_t *c = json_object_get(data, "captured");
	json_t *d = json_object_get(data, "dropped");

	if (!json_is_integer(c) || !json_is_integer(d))
		return -EPROTO;
	st->captured = (uint64_t)json_integer_value(c);
	st->dropped = (uint64_t)json_integer_value(d);
	return 0;
}

/* A capture event for id: frames to fn, counts and end into st. */
static int vswctl_capture_event(struct vswctl *h, const json_t *ev,
				uint64_t id, vswctl_frame_fn fn, void *arg,
				struct vswctl_capture_status *st)
{
	const char *name = json_string_value(json_object_get(ev, "event"));
	json_t *data = json_object_get(ev, "data"), *v, *frames;
	int ret;

	v = json_object_get(data, "id");
	if (!name || !json_is_integer(v) ||
	    (uint64_t)json_integer_value(v) != id)
		return 0;		/* not ours: ignored */
	if (vswctl_capture_counts(data, st) < 0)
		goto bad;
	if (strcmp(name, "capture.end") == 0) {
		v = json_object_get(data, "reason");
		snprintf(st->reason, sizeof(st->reason), "%s",
			 json_is_string(v) ? json_string_value(v) : "?");
		st->ended = true;
		return 0;
	}
	if (strcmp(name, "capture.frames") != 0)
		return 0;
	frames = json_object_get(data, "frames");
	if (!json_is_array(frames))
		goto bad;
	ret = vswctl_frames(frames, fn, arg);
	if (ret == -EPROTO)
		goto bad;
	if (ret < 0)
		return vswctl_fail(h, ret, VSWCTL_E_LOCAL, "%s", strerror(-ret));
	return 0;
bad:
	return vswctl_fail(h, -EPROTO, VSWCTL_E_CONN,
			   "malformed capture event");
}

int vswctl_capture_next(struct vswctl *h, uint64_t id, int timeout_ms,
			vswctl_frame_fn fn, void *arg,
			struct vswctl_capture_status *st)
{
	json_t *ev = NULL;
	int ret;

	ret = rpc_client_next_event(vswctl_rpc(h), &ev, timeout_ms);
	if (ret == -ETIMEDOUT)
		return ret;
	if (ret < 0)
		return vswctl_fail(h, ret, VSWCTL_E_CONN, "%s",
				   ret == -ECONNRESET ? "connection closed" :
				   strerror(-ret));
	ret = vswctl_capture_event(h, ev, id, fn, arg, st);
	json_decref(ev);
	return ret;
}
