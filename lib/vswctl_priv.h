/*
 * Private to lib/vswctl*.c: the one place a request is sent and a reply
 * read, and the helpers that build params, so each method family's file
 * (vswctl_vnic.c, vswctl_link.c, a later vswctl_flow.c) only says which
 * fields its methods take.
 */
#ifndef XVM_VSWCTL_PRIV_H
#define XVM_VSWCTL_PRIV_H

#include "xvm/vswctl.h"

struct rpc_client;
/* The connection under h, for calls that read events (captures). */
struct rpc_client *vswctl_rpc(struct vswctl *h);

/* Record a failure in h->err; returns status. */
int vswctl_fail(struct vswctl *h, int status, enum vswctl_origin origin,
		const char *fmt, ...) PRINTF(4, 5);

/*
 * Send method with params (stolen; NULL: an allocation failed while
 * building them, reported as -ENOMEM) and wait for the answer. 0 with
 * *result (new reference; result may be NULL to drop it) or -errno with
 * h's error filled.
 */
int vswctl_call(struct vswctl *h, const char *method, json_t *params,
		json_t **result);
/* A list method: the array under key in the result, as *rows. */
int vswctl_call_rows(struct vswctl *h, const char *method, json_t *params,
		     const char *key, json_t **rows);

/*
 * Params builders: each adds one member to obj and returns obj, or
 * decrefs obj and returns NULL on failure (NULL in, NULL out), so a
 * request is built as a chain ending in vswctl_call().
 */
json_t *vswctl_set(json_t *obj, const char *key, json_t *val);
/* A string if s is not NULL. */
json_t *vswctl_set_str(json_t *obj, const char *key, const char *s);
/* true if on; nothing if off ("temporary", "stats"). */
json_t *vswctl_set_flag(json_t *obj, const char *key, bool on);
/* ["maxbw", "priority"]: a new array of n strings, or NULL. */
json_t *vswctl_strings_json(const char *const *strs, unsigned n);
/* {"name": name}, and "temporary": true if temporary. */
json_t *vswctl_name_params(const char *name, bool temporary);

#endif
