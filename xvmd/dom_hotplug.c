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
 * guest that does not release it keeps it, and the error says so.
 *
 * hv's devices then differ from its command line: save, managed save and
 * migration refuse (hv refuses as well) until the domain is restarted.
 */
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "xvm/mac.h"
#include "dom.h"
#include "dom_run.h"

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

int dom_nic_hotplug(struct dom *d, struct dom_nic *nic, struct verr *e)
{
	unsigned int i = d->cfg.nnics;
	char sock[108], mac[MAC_STRLEN];
	json_t *params;
	int rc;

	if (!dom_active(d) || !d->pid)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: domain is not running");
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
	rc = dom_keep_def(d, e);
	if (rc < 0)
		return rc;
	d->cfg.nics[i] = *nic;
	dom_vnic_name(d, d->live.vnics[i], sizeof(d->live.vnics[i]));
	rc = vif_create_nic(d, i, sock, e);
	if (rc < 0) {
		d->live.vnics[i][0] = 0;
		return rc;
	}
	params = json_pack("{s:s, s:s}", "vnic", sock, "mac",
			   mac_format_canonical(&nic->mac, mac));
	rc = params ? dom_hv_call_params(d, "nic.add", params, HOTPLUG_HV_MS,
					 NULL, e) : verr_nomem(e);
	if (rc < 0) {
		struct verr ignored;

		vif_delete_nic(d, i, &ignored);
		d->live.vnics[i][0] = 0;
		return rc;
	}
	d->cfg.nnics++;
	d->nics_changed = true;
	dom_save_run(d);
	log_info("dom %s: interface %s plugged (vnic %s over %s)",
		 d->cfg.name, mac, d->live.vnics[i], nic->bridge);
	return 0;
}

int dom_nic_unplug(struct dom *d, unsigned int i, struct verr *e)
{
	char mac[MAC_STRLEN], vnic[32];
	json_t *params;
	int rc;

	if (!dom_active(d) || !d->pid)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: domain is not running");
	if (i >= d->cfg.nnics)
		return verr_set(e, VERR_INTERNAL, "no interface %u", i);
	mac_format_canonical(&d->cfg.nics[i].mac, mac);
	rc = dom_keep_def(d, e);
	if (rc < 0)
		return rc;
	params = json_pack("{s:s, s:i}", "mac", mac, "timeout_ms",
			   HOTPLUG_GUEST_MS);
	rc = params ? dom_hv_call_params(d, "nic.remove", params,
					 HOTPLUG_GUEST_MS + HOTPLUG_HV_MS,
					 NULL, e) : verr_nomem(e);
	if (rc < 0)
		return rc;
	/* The guest let go and hv removed the function: the NIC is gone
	 * whatever vswitchd says next. */
	snprintf(vnic, sizeof(vnic), "%s", d->live.vnics[i]);
	if (vif_delete_nic(d, i, e) < 0)
		log_warn("dom %s: vnic %s left behind: %s", d->cfg.name, vnic,
			 e->msg);
	memmove(&d->cfg.nics[i], &d->cfg.nics[i + 1],
		(d->cfg.nnics - i - 1) * sizeof(d->cfg.nics[0]));
	memmove(&d->live.vnics[i], &d->live.vnics[i + 1],
		(d->cfg.nnics - i - 1) * sizeof(d->live.vnics[0]));
	d->cfg.nnics--;
	d->live.vnics[d->cfg.nnics][0] = 0;
	d->nics_changed = true;
	dom_save_run(d);
	log_info("dom %s: interface %s unplugged (vnic %s deleted)",
		 d->cfg.name, mac, vnic);
	return 0;
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
