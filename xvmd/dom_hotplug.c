/*
 * NICs plugged into and out of a running domain (virsh attach-interface
 * and detach-interface without --config, docs/xvmd.md "Hot-plug"):
 *
 * attach: the NIC's VNIC is made in vswitchd as at start (vif.c: MAC,
 * VLAN, cap from <bandwidth>), hv is asked to plug a virtio-net function
 * served by it (control method nic.add, docs/hv.md "Hot-plug"); the NIC
 * joins the live configuration (dumpxml shows it with its VNIC) and the
 * runtime state a new xvmd adopts. The definition is not touched (its
 * copy is kept as the pending one, the definition in effect at the next
 * start).
 *
 * detach: hv asks the guest to release the NIC and removes it once the
 * guest did (nic.remove; hv gives the guest 5 s); then the VNIC and the
 * flows on it are deleted and the NIC leaves the live configuration. A
 * guest that does not release it keeps it, and the error says so. The
 * wait is on the loop (an hvcall.c call: other clients are served
 * meanwhile), one detach per domain at a time; the domain stopping ends
 * it with an error.
 *
 * hv's devices then differ from its command line: save, managed save and
 * migration refuse (hv refuses as well) until the domain is restarted.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "xvm/mac.h"
#include "dom.h"
#include "events.h"
#include "hvcall.h"
#include "dom_run.h"
#include "store.h"

#define HOTPLUG_HV_MS		10000	/* nic.add/nic.remove answer */
#define HOTPLUG_GUEST_MS	5000	/* the guest's time to release */

/* The live configuration changes: keep the definition as it is. */
static int dom_keep_def(struct dom *d, struct verr *e)
{
	if (!d->persistent || d->pending)
		return 0;
	d->pending = malloc(sizeof(*d->pending));
	if (!d->pending)
		return verr_nomem(e);
	*d->pending = d->cfg;
	return 0;
}

/* The device alias events name a NIC by: "net<k>" of its VNIC
 * "xvm<id>_<k>" (stable while the domain runs). */
static void dom_nic_alias(const char *vnic, char *buf, size_t len)
{
	const char *us = strrchr(vnic, '_');

	snprintf(buf, len, "net%s", us ? us + 1 : "0");
}

/* "xvm<id>_<k>" with the smallest k no NIC of d uses. */
static void dom_vnic_name(struct dom *d, char *buf, size_t len)
{
	for (unsigned int k = 0;; k++) {
		bool used = false;

		snprintf(buf, len, "xvm%d_%u", d->live.id, k);
		for (unsigned int i = 0; i < d->cfg.nnics && !used; i++)
			used = !strcmp(d->live.vnics[i], buf);
		if (!used)
			return;
	}
}

/* An attach or detach waiting for hv's answer to nic.add or nic.remove
 * (the guest's eject), a call on the loop (hvcall.c). The client may be
 * answered first (the domain stopped): the job then lives on until hv's
 * answer comes. */
struct dom_unplug_job {
	struct dom *d;			/* NULL once the domain stopped */
	char name[DOM_NAME_MAX + 1];
	struct mac_addr mac;
	bool attach;			/* nic.add of d->cfg.nics[idx] */
	unsigned int idx;		/* (not yet counted in nnics) */
	bool answered;			/* done was called */
	char sock[108];			/* attach: its VNIC's socket */
	dom_unplug_done_fn done;
	void *opaque;
};

static void unplug_end(struct dom_unplug_job *j, int rc, const struct verr *e)
{
	if (j->answered)
		return;
	j->answered = true;
	if (j->d)
		j->d->unplug_job = NULL;
	j->done(j->opaque, j->d, rc, e);
}

static void unplug_fail(struct dom_unplug_job *j, const char *fmt, ...)
	PRINTF(2, 3);
static void unplug_fail(struct dom_unplug_job *j, const char *fmt, ...)
{
	struct verr e;
	va_list ap;

	va_start(ap, fmt);
	verr_vfail(&e, -EIO, VERR_OPERATION_FAILED, fmt, ap);
	va_end(ap);
	log_warn("dom %s: %s: %s", j->name, j->attach ? "attach" : "detach",
		 e.msg);
	unplug_end(j, -EIO, &e);
}

/* hv removed the NIC: its VNIC goes, and it leaves the configuration. */
static void unplug_done(struct dom_unplug_job *j)
{
	struct dom *d = j->d;
	char mac[MAC_STRLEN], vnic[32] = "", alias[40];
	unsigned int i;

	mac_format_canonical(&j->mac, mac);
	for (i = 0; d && i < d->cfg.nnics; i++)
		if (mac_equal(&d->cfg.nics[i].mac, &j->mac))
			break;
	if (!d || i == d->cfg.nnics) {
		unplug_fail(j, "operation failed: interface %s of '%s' is "
			    "gone already", mac, j->name);
		return;
	}
	snprintf(vnic, sizeof(vnic), "%s", d->live.vnics[i]);
	/* The guest let go and hv removed the function: the NIC is gone
	 * whatever vswitchd says next (its delete is sent on the loop,
	 * logged when it ends). */
	vif_delete_nic_async(d, i);
	memmove(&d->cfg.nics[i], &d->cfg.nics[i + 1],
		(d->cfg.nnics - i - 1) * sizeof(d->cfg.nics[0]));
	memmove(&d->live.vnics[i], &d->live.vnics[i + 1],
		(d->cfg.nnics - i - 1) * sizeof(d->live.vnics[0]));
	d->cfg.nnics--;
	d->live.vnics[d->cfg.nnics][0] = 0;
	d->nics_changed = true;
	dom_run_state_store(d);
	log_info("dom %s: interface %s unplugged (vnic %s deleted)",
		 d->cfg.name, mac, vnic);
	dom_nic_alias(vnic, alias, sizeof(alias));
	event_device(d, false, alias);
	unplug_end(j, 0, NULL);
}

static void plug_undo_replied(void *opaque, int rc, const json_t *result,
			      const char *msg)
{
	(void)result;
	if (rc < 0)
		log_debug("dom %s: nic.remove after a late nic.add: %s",
			  (const char *)opaque, msg);
	free(opaque);
}

/* Ask hv to take out the NIC of mac again (not waited for). */
static void plug_undo(const struct dom *d, const char *mac)
{
	char path[108], *name = strdup(d->cfg.name);
	json_t *params = json_pack("{s:s, s:i}", "mac", mac, "timeout_ms",
				   HOTPLUG_GUEST_MS);

	if (!name || !params ||
	    store_run_path(path, sizeof(path), d->cfg.name, "sock") < 0 ||
	    hvcall_start(path, "nic.remove", json_incref(params),
			 HOTPLUG_HV_MS, plug_undo_replied, name) < 0)
		free(name);
	json_decref(params);
}

/* nic.add answered: the NIC counts from now on, or its VNIC goes. An hv
 * that did not answer in time may still do it later: it is asked to take
 * the NIC out again, and without its VNIC it could not use it anyway. */
static void plug_replied(void *opaque, int rc, const json_t *result,
			 const char *msg)
{
	struct dom_unplug_job *j = opaque;
	struct dom *d = j->d;
	char mac[MAC_STRLEN], alias[40];

	(void)result;
	if (j->answered) {		/* the domain stopped meanwhile */
		free(j);
		return;
	}
	mac_format_canonical(&j->mac, mac);
	if (rc < 0) {
		vif_delete_nic_async(d, j->idx);
		if (rc == -ETIMEDOUT)
			plug_undo(d, mac);
		unplug_fail(j, "operation failed: hv nic.add of '%s': %s",
			    j->name, msg);
		free(j);
		return;
	}
	d->cfg.nnics++;
	d->nics_changed = true;
	dom_run_state_store(d);
	log_info("dom %s: interface %s plugged (vnic %s over %s)",
		 d->cfg.name, mac, d->live.vnics[j->idx],
		 d->cfg.nics[j->idx].bridge);
	dom_nic_alias(d->live.vnics[j->idx], alias, sizeof(alias));
	event_device(d, true, alias);
	unplug_end(j, 0, NULL);
	free(j);
}

/* The attach's VNIC is made (or not): hv is asked to plug the NIC. */
static void plug_vnic_made(void *opaque, int rc, const struct verr *e)
{
	struct dom_unplug_job *j = opaque;
	struct dom *d = j->d;
	char path[108], mac[MAC_STRLEN];
	struct verr e2;
	json_t *params;

	if (j->answered) {	/* the domain stopped: its VNICs went */
		free(j);
		return;
	}
	if (rc == 0) {
		rc = store_run_path(path, sizeof(path), d->cfg.name, "sock");
		params = rc < 0 ? NULL :
			 json_pack("{s:s, s:s}", "vnic", j->sock, "mac",
				   mac_format_canonical(&j->mac, mac));
		if (rc == 0)
			rc = params ? hvcall_start(path, "nic.add", params,
						   HOTPLUG_HV_MS, plug_replied,
						   j) : -ENOMEM;
		if (rc == 0)
			return;
		e = &e2;
		verr_fail(&e2, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "cannot reach hv of '%s': %s", j->name,
			  strerror(-rc));
	}
	/* a vnic.create that timed out may still be done: deleted too */
	vif_delete_nic_async(d, j->idx);
	log_warn("dom %s: attach: %s", j->name, e->msg);
	unplug_end(j, rc, e);
	free(j);
}

int dom_nic_hotplug(struct dom *d, struct dom_nic *nic,
		    dom_unplug_done_fn done, void *opaque, struct verr *e)
{
	unsigned int i = d->cfg.nnics;
	char mac[MAC_STRLEN], path[108];
	struct dom_unplug_job *j;
	int rc;

	if (!dom_active(d) || !d->pid)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: domain is not running");
	if (d->unplug_job)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: an interface of '%s' "
				"is being attached or detached", d->cfg.name);
	if (i >= DOM_MAX_NICS)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: the domain has its "
				"maximum of %d interfaces", DOM_MAX_NICS);
	if (!nic->has_mac) {
		rc = mac_random(&nic->mac, NULL, 0);
		if (rc < 0)
			return verr_fail(e, rc, VERR_INTERNAL, "cannot "
					 "generate a MAC");
		nic->has_mac = true;
	}
	for (unsigned int k = 0; k < i; k++)
		if (mac_equal(&d->cfg.nics[k].mac, &nic->mac))
			return verr_set(e, VERR_OPERATION_INVALID, "Requested "
					"operation is not valid: the domain "
					"already has an interface with MAC "
					"address %s",
					mac_format_canonical(&nic->mac, mac));
	rc = store_run_path(path, sizeof(path), d->cfg.name, "sock");
	if (rc < 0)
		return verr_fail(e, rc, VERR_INTERNAL, "control socket path");
	rc = dom_keep_def(d, e);
	if (rc < 0)
		return rc;
	j = calloc(1, sizeof(*j));
	if (!j)
		return verr_nomem(e);
	j->d = d;
	j->mac = nic->mac;
	j->attach = true;
	j->idx = i;
	snprintf(j->name, sizeof(j->name), "%s", d->cfg.name);
	j->done = done;
	j->opaque = opaque;
	d->cfg.nics[i] = *nic;
	dom_vnic_name(d, d->live.vnics[i], sizeof(d->live.vnics[i]));
	/* the VNIC first, waited for on the loop (issue 12), then hv */
	rc = vif_create_nic_async(d, i, j->sock, plug_vnic_made, j, e);
	if (rc < 0) {
		d->live.vnics[i][0] = 0;
		free(j);
		return rc;
	}
	d->unplug_job = j;
	return 0;
}

/* hv's answer to nic.remove, or the call's failure; j is freed. */
static void unplug_replied(void *opaque, int rc, const json_t *result,
			   const char *msg)
{
	struct dom_unplug_job *j = opaque;

	(void)result;
	if (!j->answered) {
		if (rc == 0)
			unplug_done(j);
		else
			unplug_fail(j, "operation failed: hv nic.remove of "
				    "'%s': %s", j->name, msg);
	}
	free(j);
}

int dom_nic_unplug(struct dom *d, unsigned int i, dom_unplug_done_fn done,
		   void *opaque, struct verr *e)
{
	struct dom_unplug_job *j;
	char path[108], mac[MAC_STRLEN];
	json_t *params;
	int rc;

	if (!dom_active(d) || !d->pid)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: domain is not running");
	if (i >= d->cfg.nnics)
		return verr_set(e, VERR_INTERNAL, "no interface %u", i);
	if (d->unplug_job)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: an interface of '%s' "
				"is being attached or detached", d->cfg.name);
	rc = dom_keep_def(d, e);
	if (rc < 0)
		return rc;
	j = calloc(1, sizeof(*j));
	if (!j)
		return verr_nomem(e);
	j->d = d;
	j->mac = d->cfg.nics[i].mac;
	snprintf(j->name, sizeof(j->name), "%s", d->cfg.name);
	j->done = done;
	j->opaque = opaque;
	rc = store_run_path(path, sizeof(path), d->cfg.name, "sock");
	params = rc < 0 ? NULL :
		 json_pack("{s:s, s:i}", "mac",
			   mac_format_canonical(&j->mac, mac), "timeout_ms",
			   HOTPLUG_GUEST_MS);
	if (!params) {
		free(j);
		return rc < 0 ? verr_fail(e, rc, VERR_INTERNAL, "control "
					  "socket path") : verr_nomem(e);
	}
	/* hv answers once the guest ejected or its own limit passed */
	rc = hvcall_start(path, "nic.remove", params, HOTPLUG_HV_MS,
			  unplug_replied, j);
	if (rc < 0) {
		free(j);
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot reach hv of '%s': %s",
				 d->cfg.name, strerror(-rc));
	}
	d->unplug_job = j;
	return 0;
}

void dom_unplug_detach(struct dom *d)
{
	struct dom_unplug_job *j = d->unplug_job;

	if (!j)
		return;
	if (j->attach)		/* its VNIC is not among nnics: it goes now */
		vif_delete_nic_async(d, j->idx);
	d->unplug_job = NULL;
	j->d = NULL;
	unplug_fail(j, "operation failed: domain '%s' stopped during the "
		    "%s", j->name, j->attach ? "attach" : "detach");
}

int dom_check_nics_unchanged(struct dom *d, const char *what,
			     struct verr *e)
{
	if (!d->nics_changed)
		return 0;
	return verr_set(e, VERR_OPERATION_UNSUPPORTED, "Operation not "
			"supported: cannot %s domain '%s': interfaces were "
			"attached or detached while it runs, so its devices "
			"no longer match what it was started with (restart "
			"it first)", what, d->cfg.name);
}
