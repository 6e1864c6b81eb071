/*
 * vswctl: the client library of vswitchd's control protocol, as libdladm
 * is dladm's (STYLE.md "libdladm under dladm"). Typed calls for the
 * methods of docs/vswitchd-control.md over lib/rpc_client; every tool that
 * talks to vswitchd (vnicadm, xvmd) goes through it, so the request JSON,
 * the socket's name and maxbw's wire form are written down once.
 *
 * lib/vswctl.c        connection, errors, the socket path, maxbw's form
 * lib/vswctl_vnic.c   vnic.create/delete/list/set/reset
 * lib/vswctl_link.c   link.list, phys.list, etherstub.*, linkprop.get
 * A later family of methods (flows, captures) is one more file with its
 * calls declared here.
 *
 * Every call returns 0 or a negative errno. On failure vswctl_error()
 * says where it failed and why: for a refusal by vswitchd the status is
 * the errno its "code" names (-ENOENT for "ENOENT") and the message is its
 * reason, worded for an administrator ("object not found").
 *
 * A handle is one connection; not thread-safe (one thread at a time).
 */
#ifndef XVM_VSWCTL_H
#define XVM_VSWCTL_H

#include <jansson.h>

#include "xvm/common.h"
#include "xvm/linkprop.h"

/* vswitchd's control socket in the run directory ($XVM_RUNDIR). */
#define VSWCTL_SOCK_NAME	"vswitchd.sock"
/* How long a call waits for vswitchd's answer. */
#define VSWCTL_TIMEOUT_MS	10000
/* Room for vswitchd's error message, and for a unix socket path. */
#define VSWCTL_MSGLEN		256
#define VSWCTL_PATHLEN		108

struct vswctl;

/* Where a call failed. */
enum vswctl_origin {
	VSWCTL_E_LOCAL,		/* nothing sent: out of memory, bad argument */
	VSWCTL_E_CONN,		/* no usable answer: the exchange failed
				 * (timeout, reset: close the handle) or
				 * the reply could not be used (malformed,
				 * a socket path too long) */
	VSWCTL_E_REMOTE,	/* vswitchd refused the request */
};

struct vswctl_error {
	int status;			/* what the call returned (-errno) */
	enum vswctl_origin origin;
	char message[VSWCTL_MSGLEN];	/* vswitchd's reason, or ours */
};

/*
 * The socket path for run directory rundir (NULL: $XVM_RUNDIR, or
 * XVM_RUNDIR_DEFAULT when unset or empty). 0 or -ENAMETOOLONG.
 */
int vswctl_sock_path(const char *rundir, char *buf, size_t len);
/* The vhost-user socket vswitchd serves for guest VNIC name:
 * <rundir>/vnic/<name>.sock (rundir NULL: as above). 0 or -ENAMETOOLONG. */
int vswctl_vnic_sock_path(const char *rundir, const char *name, char *buf,
			  size_t len);
/* Connect to path (NULL: vswctl_sock_path(NULL)). 0 with *hp, or -errno
 * (-ENOENT, -ECONNREFUSED when vswitchd is not there). Never blocks. */
int vswctl_open(const char *path, struct vswctl **hp);
/* NULL is fine. */
void vswctl_close(struct vswctl *h);
/* How long each call waits for vswitchd's reply (VSWCTL_TIMEOUT_MS
 * unless set; <= 0 restores it): a daemon's loop (xvmd) keeps it short. */
void vswctl_set_timeout(struct vswctl *h, int timeout_ms);
/* Why the last call on h failed (valid until the next call). */
const struct vswctl_error *vswctl_error(const struct vswctl *h);
/* A status as vswitchd words it ("object already exists" for -EEXIST,
 * "link busy" for -EBUSY, ...), strerror()'s text for others. */
const char *vswctl_strstatus(int status);

/*
 * maxbw as vswitchd takes it ("props": {"maxbw": ...}): kilobits per
 * second with a K, always exact since maxbw has no fractions ("50000K"
 * for 50 Mb/s). bps is rounded down to whole kb/s. 0 or -ENOSPC.
 */
#define VSWCTL_MAXBW_STRLEN	24
int vswctl_maxbw_format(uint64_t bps, char *buf, size_t len);

/* The properties p has set, as vswitchd's saved configuration keeps them
 * ({"name": "text"}, maxbw in exact kb/s): what vswitchd writes and
 * vnicadm -R edits. NULL on ENOMEM. */
json_t *vswctl_saved_props(const struct link_props *p);

/* Link properties to set: names and values as typed after -p ("maxbw",
 * "100M"); vswitchd checks them again (lib/linkprop.c). */
#define VSWCTL_MAX_PROPS	LINKPROP_COUNT
struct vswctl_props {
	struct {
		const char *name;
		const char *value;
	} prop[VSWCTL_MAX_PROPS];
	unsigned n;
};
/* Append one (strings borrowed). 0, -EEXIST if name is there already,
 * -E2BIG when full. */
int vswctl_props_add(struct vswctl_props *p, const char *name,
		     const char *value);

/* vnic.create. NULL or 0 fields are left out, vswitchd's defaults apply. */
struct vswctl_vnic_spec {
	const char *name;
	const char *link;		/* phys link or etherstub */
	const char *kind;		/* "host" (default) or "guest" */
	const char *mac;		/* "auto", "random", "factory" or a
					 * MAC */
	const char *mac_prefix;		/* with auto/random */
	int mac_slot;			/* with factory: the slot; 0 any */
	uint16_t vid;			/* 0: untagged */
	bool temporary;			/* not saved */
	const struct vswctl_props *props;
};
/* What vswitchd made. */
struct vswctl_vnic_info {
	char mac[32];			/* "0:16:3e:1:2:3" */
	bool random_mac;		/* macaddrtype "random" (else fixed) */
	char socket[VSWCTL_PATHLEN];	/* guest VNICs: vhost-user socket;
					 * "" for host VNICs */
};
/*
 * info may be NULL. A socket path that does not fit gives -ENAMETOOLONG
 * (origin VSWCTL_E_CONN), though the VNIC was made.
 */
int vswctl_vnic_create(struct vswctl *h, const struct vswctl_vnic_spec *spec,
		       struct vswctl_vnic_info *info);
int vswctl_vnic_delete(struct vswctl *h, const char *name, bool temporary);
/*
 * The same calls' wire form for a caller that sends them itself on its
 * own event loop (xvmd): vnic.create's params for spec, vnic.delete's
 * for a name (NULL when out of memory); vnic.create's result into info
 * (0, or -ENAMETOOLONG when the socket path does not fit).
 * vswctl_flow.h has flow.remove's.
 */
json_t *vswctl_vnic_create_params(const struct vswctl_vnic_spec *spec);
json_t *vswctl_vnic_delete_params(const char *name, bool temporary);
int vswctl_vnic_info_parse(const json_t *res, struct vswctl_vnic_info *info);
/* vnic.set: props (at least one) on a VNIC; all or nothing. */
int vswctl_linkprop_set(struct vswctl *h, const char *name,
			const struct vswctl_props *props, bool temporary);
/* vnic.reset: the nnames properties names, or all when nnames is 0. */
int vswctl_linkprop_reset(struct vswctl *h, const char *name,
			  const char *const *names, unsigned nnames,
			  bool temporary);
int vswctl_etherstub_create(struct vswctl *h, const char *name,
			    bool temporary);
int vswctl_etherstub_delete(struct vswctl *h, const char *name,
			    bool temporary);
/* link.rename: an etherstub, a VNIC not in use or a saved VNIC. */
int vswctl_link_rename(struct vswctl *h, const char *name,
		       const char *newname);

/*
 * The lists. Each gives *rows, a new reference to the array of objects
 * docs/vswitchd-control.md describes for the method (vnic.list "vnics",
 * ...), checked to be an array (-EPROTO otherwise). Fields of the query
 * a method does not take are ignored.
 */
/* How vswitchd's refusal starts when the change was made but could not
 * be saved (docs/vswitchd-control.md "Saving"). */
#define VSWCTL_NOT_SAVED	"change in effect but not saved"

struct vswctl_query {
	const char *name;		/* one object (ENOENT if none) */
	const char *link;		/* vnic.list: VNICs over this link */
	bool stats;			/* vnic.list, link.list: counters */
	bool persistent;		/* vnic.list, linkprop.get: the saved
				 * configuration, not the running one */
	const char *const *props;	/* linkprop.get: these properties */
	unsigned nprops;		/* 0: all */
};
typedef int (*vswctl_list_fn)(struct vswctl *h, const struct vswctl_query *q,
			      json_t **rows);
int vswctl_vnic_list(struct vswctl *h, const struct vswctl_query *q,
		     json_t **rows);
int vswctl_link_list(struct vswctl *h, const struct vswctl_query *q,
		     json_t **rows);
int vswctl_phys_list(struct vswctl *h, const struct vswctl_query *q,
		     json_t **rows);
int vswctl_etherstub_list(struct vswctl *h, const struct vswctl_query *q,
			  json_t **rows);
int vswctl_linkprop_get(struct vswctl *h, const struct vswctl_query *q,
			json_t **rows);

#endif
