/*
 * XDR codec for the libvirt remote protocol (RFC 4506 §4: integers
 * big-endian in 4 bytes, hyper in 8, strings and opaques padded to 4).
 * Reads are bounded by the packet; writes grow a buffer up to one
 * packet's maximum.
 */
#include <stdlib.h>
#include <string.h>
#include "xdr.h"

static size_t xdr_pad(size_t n)
{
	return (4 - (n & 3)) & 3;
}

void xdr_in_init(struct xdr_in *x, const void *buf, size_t len)
{
	x->p = buf;
	x->left = len;
	x->err = 0;
}

int xdr_in_done(const struct xdr_in *x, bool whole)
{
	if (x->err)
		return x->err;
	return whole && x->left ? -EBADMSG : 0;
}

/* Take n bytes (plus padding to 4) from the packet, or fail. */
static const uint8_t *xdr_take(struct xdr_in *x, size_t n)
{
	size_t total = n + xdr_pad(n);
	const uint8_t *p;

	if (x->err)
		return NULL;
	if (total < n || total > x->left) {
		x->err = -EBADMSG;
		return NULL;
	}
	p = x->p;
	x->p += total;
	x->left -= total;
	return p;
}

uint32_t xdr_get_u32(struct xdr_in *x)
{
	const uint8_t *p = xdr_take(x, 4);

	if (!p)
		return 0;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int32_t xdr_get_i32(struct xdr_in *x)
{
	return (int32_t)xdr_get_u32(x);
}

uint64_t xdr_get_u64(struct xdr_in *x)
{
	uint64_t hi = xdr_get_u32(x);

	return hi << 32 | xdr_get_u32(x);
}

/* A length that must fit both the caller's limit and the packet. */
static bool xdr_len_ok(struct xdr_in *x, uint32_t len, size_t max)
{
	if (x->err)
		return false;
	if (len > max) {
		x->err = -E2BIG;
		return false;
	}
	if (len > x->left) {
		x->err = -EBADMSG;
		return false;
	}
	return true;
}

char *xdr_get_string(struct xdr_in *x, size_t max)
{
	uint32_t len = xdr_get_u32(x);
	const uint8_t *p;
	char *s;

	if (!xdr_len_ok(x, len, max))
		return NULL;
	p = xdr_take(x, len);
	if (!p)
		return NULL;
	if (memchr(p, 0, len)) {
		x->err = -EINVAL;
		return NULL;
	}
	s = malloc((size_t)len + 1);
	if (!s) {
		x->err = -ENOMEM;
		return NULL;
	}
	memcpy(s, p, len);
	s[len] = 0;
	return s;
}

char *xdr_get_opt_string(struct xdr_in *x, size_t max, bool *present)
{
	uint32_t flag = xdr_get_u32(x);

	*present = false;
	if (x->err)
		return NULL;
	if (flag > 1) {
		x->err = -EBADMSG;
		return NULL;
	}
	if (!flag)
		return NULL;
	*present = true;
	return xdr_get_string(x, max);
}

void xdr_get_fixed(struct xdr_in *x, void *out, size_t len)
{
	const uint8_t *p = xdr_take(x, len);

	if (p)
		memcpy(out, p, len);
	else
		memset(out, 0, len);
}

const uint8_t *xdr_get_opaque(struct xdr_in *x, size_t max, size_t *len)
{
	uint32_t n = xdr_get_u32(x);

	*len = 0;
	if (!xdr_len_ok(x, n, max))
		return NULL;
	*len = n;
	return xdr_take(x, n);
}

void xdr_out_init(struct xdr_out *x)
{
	memset(x, 0, sizeof(*x));
}

void xdr_out_free(struct xdr_out *x)
{
	free(x->buf);
	xdr_out_init(x);
}

/* Room for n more bytes. */
static uint8_t *xdr_room(struct xdr_out *x, size_t n)
{
	size_t want;
	uint8_t *nb;

	if (x->err)
		return NULL;
	if (n > XDR_MSG_MAX || x->len + n > XDR_MSG_MAX) {
		x->err = -E2BIG;
		return NULL;
	}
	want = x->len + n;
	if (want > x->cap) {
		size_t cap = x->cap ? x->cap : 256;

		while (cap < want)
			cap *= 2;
		nb = realloc(x->buf, cap);
		if (!nb) {
			x->err = -ENOMEM;
			return NULL;
		}
		x->buf = nb;
		x->cap = cap;
	}
	nb = x->buf + x->len;
	x->len += n;
	return nb;
}

static void xdr_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

void xdr_put_u32(struct xdr_out *x, uint32_t v)
{
	uint8_t *p = xdr_room(x, 4);

	if (p)
		xdr_be32(p, v);
}

void xdr_put_i32(struct xdr_out *x, int32_t v)
{
	xdr_put_u32(x, (uint32_t)v);
}

void xdr_put_u64(struct xdr_out *x, uint64_t v)
{
	xdr_put_u32(x, (uint32_t)(v >> 32));
	xdr_put_u32(x, (uint32_t)v);
}

void xdr_put_fixed(struct xdr_out *x, const void *src, size_t len)
{
	size_t pad = xdr_pad(len);
	uint8_t *p = xdr_room(x, len + pad);

	if (!p)
		return;
	if (len)
		memcpy(p, src, len);
	memset(p + len, 0, pad);
}

void xdr_put_raw(struct xdr_out *x, const void *src, size_t len)
{
	uint8_t *p = xdr_room(x, len);

	if (p && len)
		memcpy(p, src, len);
}

void xdr_put_opaque(struct xdr_out *x, const void *p, size_t len)
{
	if (len > XDR_MSG_MAX) {
		x->err = -E2BIG;
		return;
	}
	xdr_put_u32(x, (uint32_t)len);
	xdr_put_fixed(x, p, len);
}

void xdr_put_string(struct xdr_out *x, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	if (len > XDR_STRING_MAX) {
		x->err = -E2BIG;
		return;
	}
	xdr_put_opaque(x, s, len);
}

void xdr_put_opt_string(struct xdr_out *x, const char *s)
{
	xdr_put_u32(x, s ? 1 : 0);
	if (s)
		xdr_put_string(x, s);
}

void xdr_patch_u32(struct xdr_out *x, size_t offset, uint32_t v)
{
	if (!x->err && offset + 4 <= x->len)
		xdr_be32(x->buf + offset, v);
}
