/*
 * Live migration between xvmd instances (dom_migrate.c): the source's
 * begin/perform/confirm and the destination's prepare/finish of libvirt's
 * v3 sequence; the guest's state goes hv to hv on a relocation port.
 * proc_migrate.c decodes the procedures. Loop thread only.
 */
#ifndef XVMD_DOM_MIGRATE_H
#define XVMD_DOM_MIGRATE_H

#include <jansson.h>
#include "dom.h"

/* virDomainMigrateFlags (libvirt-domain.h) */
enum {
	DOM_MIG_LIVE = 1 << 0,
	DOM_MIG_P2P = 1 << 1,
	DOM_MIG_PERSIST_DEST = 1 << 3,
	DOM_MIG_UNDEFINE_SOURCE = 1 << 4,
	DOM_MIG_CHANGE_PROTECTION = 1 << 8,
	DOM_MIG_ABORT_ON_ERROR = 1 << 12,
	/* hv migrates live and only over tcp; without --live libvirt would
	 * pause the guest first, which changes nothing hv does but the
	 * downtime, so it is taken as well */
	DOM_MIG_FLAGS_OK = DOM_MIG_LIVE | DOM_MIG_PERSIST_DEST |
			   DOM_MIG_UNDEFINE_SOURCE | DOM_MIG_CHANGE_PROTECTION |
			   DOM_MIG_ABORT_ON_ERROR,
};

/* Source, begin: the running domain's XML (malloc'd) for the
 * destination; refused while it is not running or busy. */
int dom_mig_begin(struct dom *d, uint64_t flags, char **xml, struct verr *e);

/* Destination, prepare's answer: rc 0 with the URI the source's hv sends
 * to ("tcp:ADDR:PORT"), or -errno with e (nothing is left). */
typedef void (*dom_mig_prepared_fn)(void *opaque, int rc, const struct verr *e,
				    const char *uri_out);
/* Make the domain of xml (refused if it runs here, or its name or uuid
 * clash), start hv --incoming on the relocation address and port (uri_in:
 * the client's tcp:HOST[:PORT]; local: our address the client reached,
 * NULL for a unix socket): 0 and prepared() once hv listens or failed,
 * or -errno with e now (prepared() never called). */
int dom_mig_prepare(const char *xml, const char *dname, const char *uri_in,
		    const char *local, uint64_t flags,
		    dom_mig_prepared_fn prepared, void *opaque, struct verr *e);
/* Destination, finish's answer: rc 0 and the running domain, or -errno
 * with e (everything made for it is gone). */
typedef void (*dom_mig_finished_fn)(void *opaque, int rc, const struct verr *e,
				    struct dom *d);
/* The incoming migration of name: cancelled, it is undone (error reply);
 * else 0 with *out running (--persistent: defined here), 1 when hv still
 * loads (finished() tells), or -errno with e. */
int dom_mig_finish(const char *name, bool cancelled, uint64_t flags,
		   dom_mig_finished_fn finished, void *opaque, struct dom **out,
		   struct verr *e);
/* PERSIST_DEST: the migrated definition is stored here. */
int dom_mig_persist(struct dom *d, uint64_t flags, struct verr *e);

/* Source, perform: hv sends the guest to uri (tcp:HOST:PORT); done() once
 * the destination took it (the domain here stopped, reason migrated) or
 * it failed (the guest runs on here). 0, or -errno with e now. */
typedef void (*dom_mig_done_fn)(void *opaque, int rc, const struct verr *e);
int dom_mig_perform(struct dom *d, const char *uri, uint64_t flags,
		    dom_mig_done_fn done, void *opaque, struct verr *e);
/* Source, peer-to-peer (--p2p): this xvmd runs prepare and finish on the
 * destination desturi (xvm+tcp://HOST[:PORT]/system or
 * xvm+unix:///system?socket=PATH) itself, hv sends in between, then its
 * own confirm; done() once all of it ended. 0, or -errno with e now
 * (dom_migrate_p2p.c). */
int dom_mig_p2p(struct dom *d, const char *desturi, uint64_t flags,
		dom_mig_done_fn done, void *opaque, struct verr *e);
/* Source, confirm: after a migration that was not cancelled, with
 * UNDEFINE_SOURCE, the (shut off) definition goes. d may be NULL (a
 * transient domain is gone already). */
int dom_mig_confirm(struct dom *d, uint64_t flags, bool cancelled,
		    struct verr *e);
/* d stops while its hv sends it (destroyed): the job answers. */
void dom_mig_detach(struct dom *d);
/* How long d's outgoing migration has run (ms), or -1 when none runs. */
int64_t dom_mig_elapsed_ms(const struct dom *d);
/* The same for d's incoming migration (since prepare), with the bytes of
 * the stream received so far in *bytes. */
int64_t dom_mig_in_elapsed_ms(const struct dom *d, uint64_t *bytes);

/* The user's controls over d's outgoing migration (domjobabort,
 * migrate-setmaxdowntime, migrate-setspeed): the control method goes to
 * hv on the migration's own connection, answered by fn on the loop
 * (rc 0 with hv's result, or -errno with hv's message). hv's defaults
 * and limits (docs/hv.md): */
#define DOM_MIG_DOWNTIME_DEFAULT	300	/* ms */
#define DOM_MIG_DOWNTIME_MAX		3600000	/* ms */
#define DOM_MIG_SPEED_MAX		1048576	/* MiB/s */
/* libvirt's "no limit" (QEMU_DOMAIN_MIG_BANDWIDTH_MAX): what
 * migrate-getspeed shows for an unlimited domain */
#define DOM_MIG_SPEED_UNLIMITED		(INT64_MAX >> 20)
typedef void (*dom_mig_ctl_fn)(void *opaque, int rc, const json_t *result,
			       const char *msg);
/* 0 (fn will be called), or -errno with e (not sent; params freed).
 * params is stolen. */
int dom_mig_control(struct dom *d, const char *method, json_t *params,
		    dom_mig_ctl_fn fn, void *opaque, struct verr *e);
/* hv's last migrate.info of d's outgoing migration (polled every half
 * second), NULL before the first answer or when none runs. */
const json_t *dom_mig_info(const struct dom *d);

#endif
