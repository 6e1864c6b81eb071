/*
 * libvirt errors as xvmd's modules report them to the RPC layer: a
 * virErrorNumber (libvirt/virterror.h) and the message virsh prints after
 * "error: ". Domain code fills one and returns -1; remote.c sends it as a
 * remote_error (LIBVIRT-RPC.md "Framing and encoding").
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
	VERR_OPERATION_INVALID = 55,
	VERR_CONFIG_UNSUPPORTED = 67,
	VERR_OPERATION_UNSUPPORTED = 84,
};

enum {
	VERR_FROM_DOM = 6,
	VERR_FROM_REMOTE = 13,
};

struct verr {
	int code;		/* VERR_*: 0 while unset */
	char msg[512];
};

PRINTF(3, 4)
static inline int verr_set(struct verr *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

#endif
