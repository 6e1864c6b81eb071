/*
 * A domain's NICs as guest VNICs on vswitchd (docs/vswitchd-control.md
 * "vnic.create"): named xvm<domid>_<n>, over the <source bridge> link,
 * with the definition's MAC, VLAN id and cap (<bandwidth> averages in
 * KB/s, 1 KB = 1000 bytes, the smaller of inbound/outbound as maxbw),
 * kind "guest" (a vhost-user socket for hv), temporary (they live as long
 * as the domain runs). Made through lib/vswctl, which owns the requests'
 * wire form (maxbw's included); vswitchd's refusal becomes a verr here.
 * Deleting them removes their flows first (flowadm's, docs/flowadm.8).
 */
#include <stdio.h>
#include <string.h>
#include "xvm/log.h"
#include "xvm/vswctl.h"
#include "xvm/vswctl_flow.h"
#include "dom.h"

/* A connection to vswitchd in *hp: 0, or -errno with e filled. */
static int vif_connect(struct vswctl **hp, struct verr *e)
{
	char path[300];
	int ret;

	vswctl_sock_path(dom_env.rundir, path, sizeof(path));
	ret = vswctl_open(path, hp);
	if (ret == 0)
		vswctl_set_timeout(*hp, VIF_CALL_MS);
	if (ret < 0 && e)
		verr_fail(e, ret, VERR_OPERATION_FAILED, "operation failed: "
			  "cannot reach vswitchd at %s: %s", path,
			  strerror(-ret));
	return ret;
}

static uint64_t vif_maxbw_bps(const struct dom_nic *nic)
{
	uint64_t in = nic->inbound_kBps, out = nic->outbound_kBps;
	uint64_t kBps = !in ? out : !out ? in : MIN(in, out);

	return kBps * 8000;
}

/* Create NIC i's VNIC, d->live.vnics[i], and learn its socket. */
static int vif_create_one(struct vswctl *h, struct dom *d, unsigned int i,
			  char socket[108], struct verr *e)
{
	const struct dom_nic *nic = &d->cfg.nics[i];
	char mac[MAC_STRLEN], bw[VSWCTL_MAXBW_STRLEN], mtu[12];
	struct vswctl_props props = { .n = 0 };
	struct vswctl_vnic_spec spec = {
		.name = d->live.vnics[i], .link = nic->bridge,
		.mac = mac_format_canonical(&nic->mac, mac),
		.vid = (uint16_t)nic->vlan, .kind = "guest",
		.temporary = true, .props = &props,
	};
	struct vswctl_vnic_info info;
	int ret;

	if (vif_maxbw_bps(nic) &&
	    vswctl_maxbw_format(vif_maxbw_bps(nic), bw, sizeof(bw)) == 0)
		vswctl_props_add(&props, "maxbw", bw);
	if (nic->mtu) {
		snprintf(mtu, sizeof(mtu), "%u", nic->mtu);
		vswctl_props_add(&props, "mtu", mtu);
	}
	ret = vswctl_vnic_create(h, &spec, &info);
	if (ret == -ENAMETOOLONG &&
	    vswctl_error(h)->origin != VSWCTL_E_REMOTE)
		return verr_set(e, VERR_OPERATION_FAILED, "vnic %s: "
				"socket path too long", d->live.vnics[i]);
	if (ret < 0) {
		d->live.vnics[i][0] = 0;
		return verr_fail(e, ret, VERR_OPERATION_FAILED, "vnic creation "
				 "over %s failed: %s", nic->bridge,
				 vswctl_error(h)->message);
	}
	snprintf(socket, 108, "%s", info.socket);
	log_info("vnic %s: created over %s for %s", d->live.vnics[i],
		 nic->bridge, d->cfg.name);
	return 0;
}

int vif_create(struct dom *d, char sockets[][108], struct verr *e)
{
	struct vswctl *h;
	unsigned int i;
	int ret = 0;

	if (!d->cfg.nnics)
		return 0;
	ret = vif_connect(&h, e);
	if (ret < 0)
		return ret;
	for (i = 0; i < d->cfg.nnics && ret == 0; i++) {
		snprintf(d->live.vnics[i], sizeof(d->live.vnics[i]), "xvm%d_%u",
			 d->live.id, i);
		ret = vif_create_one(h, d, i, sockets[i], e);
	}
	vswctl_close(h);
	return ret;
}

int vif_create_nic(struct dom *d, unsigned int i, char socket[108],
		   struct verr *e)
{
	struct vswctl *h;
	int ret = vif_connect(&h, e);

	if (ret < 0)
		return ret;
	ret = vif_create_one(h, d, i, socket, e);
	vswctl_close(h);
	return ret;
}

/* NIC i's VNIC (and the flows on it) goes; 0 or -errno with e filled. */
static int vif_delete_one(struct vswctl *h, struct dom *d, unsigned int i,
			  struct verr *e)
{
	/* flows an administrator put on the guest's VNIC end with
	 * the domain (vswitchd refuses to delete a VNIC with flows;
	 * a VNIC left behind would hold the MAC the next boot needs);
	 * a vswitchd without flows refuses this harmlessly */
	vswctl_flow_remove(h, NULL, d->live.vnics[i], false);
	if (vswctl_vnic_delete(h, d->live.vnics[i], false) < 0) {
		log_warn("vnic %s: delete: %s", d->live.vnics[i],
			 vswctl_error(h)->message);
		return verr_set(e, VERR_OPERATION_FAILED, "operation failed: "
				"vnic %s: delete: %s", d->live.vnics[i],
				vswctl_error(h)->message);
	}
	log_info("vnic %s: deleted (%s)", d->live.vnics[i], d->cfg.name);
	d->live.vnics[i][0] = 0;
	return 0;
}

int vif_delete_nic(struct dom *d, unsigned int i, struct verr *e)
{
	struct vswctl *h;
	int ret;

	if (!d->live.vnics[i][0])
		return 0;
	ret = vif_connect(&h, e);
	if (ret < 0)
		return ret;
	ret = vif_delete_one(h, d, i, e);
	vswctl_close(h);
	return ret;
}

int vif_sockets(struct dom *d, char sockets[][108])
{
	unsigned int i;
	int rc;

	for (i = 0; i < d->cfg.nnics; i++)
		if ((rc = vswctl_vnic_sock_path(dom_env.rundir, d->live.vnics[i],
						sockets[i], 108)) < 0)
			return rc;
	return 0;
}

void vif_delete(struct dom *d)
{
	struct vswctl *h = NULL;
	struct verr e;
	unsigned int i;

	for (i = 0; i < DOM_MAX_NICS; i++) {
		if (!d->live.vnics[i][0])
			continue;
		if (!h && vif_connect(&h, NULL) < 0) {
			log_warn("vnic %s: vswitchd unreachable, not deleted",
				 d->live.vnics[i]);
			break;
		}
		vif_delete_one(h, d, i, &e);	/* logged there */
		d->live.vnics[i][0] = 0;
	}
	vswctl_close(h);
}
