/*
 * libvirt errors as xvmd's modules report them to the RPC layer: a
 * virErrorNumber (libvirt/virterror.h) and the message virsh prints after
 * "error: ". xvmd's functions return 0 or a negative errno like the rest
 * of the tree (STYLE.md); those a client's request reaches take a
 * struct verr *e as well and, when they fail, fill it with what the
 * client is to read:
 *
 *	return verr_set(e, VERR_NO_DOMAIN, "...");	(-ENOENT)
 *	return verr_fail(e, rc, VERR_OPERATION_FAILED, "...: %s",
 *			 strerror(-rc));			(rc)
 *
 * remote.c sends it as a remote_error (LIBVIRT-RPC.md "Framing and
 * encoding"). A caller that only passes a failure on returns the callee's
 * errno and leaves e as the callee filled it.
 */
#ifndef XVMD_VERR_H
#define XVMD_VERR_H

#include <stdarg.h>
#include <stdio.h>
#include "xvm/common.h"

enum {
	VERR_INTERNAL = 1,
	VERR_NO_SUPPORT = 3,
	VERR_INVALID_ARG = 8,
	VERR_OPERATION_FAILED = 9,
	VERR_XML_ERROR = 27,
	VERR_OPERATION_DENIED = 29,
	VERR_RPC = 39,
	VERR_NO_DOMAIN = 42,
	VERR_NO_STORAGE_POOL = 49,
	VERR_NO_STORAGE_VOL = 50,
	VERR_OPERATION_INVALID = 55,
	VERR_CONFIG_UNSUPPORTED = 67,
	VERR_ARGUMENT_UNSUPPORTED = 74,
	VERR_OPERATION_ABORTED = 78,
	VERR_NO_DOMAIN_METADATA = 80,
	VERR_OPERATION_UNSUPPORTED = 84,
	VERR_STORAGE_VOL_EXIST = 90,
};

enum {
	VERR_FROM_DOM = 6,
	VERR_FROM_REMOTE = 13,
	VERR_FROM_STORAGE = 18,
};

struct verr {
	int code;		/* VERR_*: 0 while unset */
	char msg[512];
};

/* The errno a failure reported with code is returned as, where the
 * caller has no more precise one. Never -EBADMSG: handlers keep that for
 * malformed arguments (PROC_DROP in remote.h). */
static inline int verr_errno(int code)
{
	switch (code) {
	case VERR_NO_DOMAIN:
	case VERR_NO_DOMAIN_METADATA:
	case VERR_NO_STORAGE_POOL:
	case VERR_NO_STORAGE_VOL:
		return -ENOENT;
	case VERR_STORAGE_VOL_EXIST:
		return -EEXIST;
	case VERR_INVALID_ARG:
	case VERR_XML_ERROR:
	case VERR_OPERATION_INVALID:
		return -EINVAL;
	case VERR_OPERATION_DENIED:
		return -EPERM;
	case VERR_NO_SUPPORT:
	case VERR_CONFIG_UNSUPPORTED:
	case VERR_ARGUMENT_UNSUPPORTED:
	case VERR_OPERATION_UNSUPPORTED:
		return -EOPNOTSUPP;
	case VERR_RPC:
		return -EPROTO;
	default:		/* VERR_INTERNAL, VERR_OPERATION_FAILED */
		return -EIO;
	}
}

PRINTF(4, 0)
static inline int verr_vfail(struct verr *e, int err, int code,
			     const char *fmt, va_list ap)
{
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	/* A callee's -EBADMSG must not read as PROC_DROP (remote.h), which
	 * closes the client's connection instead of answering it, nor its
	 * -EINPROGRESS as PROC_LATER, which answers nothing now. */
	return err == -EBADMSG || err == -EINPROGRESS ? -EIO : err;
}

/* Fill e with a libvirt error (code VERR_*, the message) and return err,
 * the negative errno the function fails with (a callee's, say). */
PRINTF(4, 5)
static inline int verr_fail(struct verr *e, int err, int code,
			    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err = verr_vfail(e, err, code, fmt, ap);
	va_end(ap);
	return err;
}

/* The same with the errno that goes with code (verr_errno()). */
PRINTF(3, 4)
static inline int verr_set(struct verr *e, int code, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = verr_vfail(e, verr_errno(code), code, fmt, ap);
	va_end(ap);
	return err;
}

static inline int verr_nomem(struct verr *e)
{
	return verr_fail(e, -ENOMEM, VERR_INTERNAL, "out of memory");
}
#endif
