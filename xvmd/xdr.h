/*
 * XDR (RFC 4506) as libvirt's remote protocol uses it: a bounded reader
 * over one received packet and a growing writer for replies. Every read
 * checks the bytes left in the packet and the protocol's limits
 * (LIBVIRT-RPC.md "Framing and encoding"); a failed read leaves the reader
 * in error so a handler can decode all arguments and check once.
 */
#ifndef XVMD_XDR_H
#define XVMD_XDR_H

#include "xvm/common.h"

#define XDR_STRING_MAX	(4u << 20)	/* remote_string: 4 MiB */
#define XDR_MSG_MAX	(16u << 20)	/* a whole packet: 16 MiB */
#define XDR_UUID_LEN	16

struct xdr_in {
	const uint8_t *p;
	size_t left;
	int err;		/* 0, or the first -errno a read hit */
};

struct xdr_out {
	uint8_t *buf;
	size_t len, cap;
	int err;		/* 0, or -ENOMEM / -E2BIG once a write failed */
};

void xdr_in_init(struct xdr_in *x, const void *buf, size_t len);
/* 0 if every read succeeded and (when whole) nothing is left over. */
int xdr_in_done(const struct xdr_in *x, bool whole);

uint32_t xdr_get_u32(struct xdr_in *x);
int32_t xdr_get_i32(struct xdr_in *x);
uint64_t xdr_get_u64(struct xdr_in *x);
/* A string (u32 length, bytes, pad) into a malloc'd NUL-terminated copy;
 * NULL on error. Strings holding a NUL byte are refused (-EINVAL). */
char *xdr_get_string(struct xdr_in *x, size_t max);
/* remote_string: u32 0|1, then a string; *present tells which. */
char *xdr_get_opt_string(struct xdr_in *x, size_t max, bool *present);
void xdr_get_fixed(struct xdr_in *x, void *out, size_t len);
/* Variable opaque (u32 length <= max, bytes, pad): a pointer into the
 * packet and its length, valid while the packet is. */
const uint8_t *xdr_get_opaque(struct xdr_in *x, size_t max, size_t *len);

void xdr_out_init(struct xdr_out *x);
void xdr_out_free(struct xdr_out *x);
void xdr_put_u32(struct xdr_out *x, uint32_t v);
void xdr_put_i32(struct xdr_out *x, int32_t v);
void xdr_put_u64(struct xdr_out *x, uint64_t v);
void xdr_put_string(struct xdr_out *x, const char *s);
/* remote_string: NULL encodes as absent. */
void xdr_put_opt_string(struct xdr_out *x, const char *s);
void xdr_put_fixed(struct xdr_out *x, const void *p, size_t len);
/* Bytes as they are, without padding (stream data). */
void xdr_put_raw(struct xdr_out *x, const void *p, size_t len);
void xdr_put_opaque(struct xdr_out *x, const void *p, size_t len);
/* Overwrite a u32 already written at offset (the packet length). */
void xdr_patch_u32(struct xdr_out *x, size_t offset, uint32_t v);

#endif
