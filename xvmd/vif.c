/*
 * A domain's NICs as guest VNICs on vswitchd (docs/vswitchd-control.md
 * "vnic.create"): named xvm<domid>_<n>, over the <source bridge> link,
 * with the definition's MAC, VLAN id and cap (<bandwidth> averages in
 * KB/s, 1 KB = 1000 bytes, the smaller of inbound/outbound as maxbw),
 * kind "guest" (a vhost-user socket for hv), temporary (they live as long
 * as the domain runs).
 */
#include <stdio.h>
#include <string.h>
#include "xvm/log.h"
#include "xvm/rpc.h"
#include "dom.h"

#define VIF_CALL_MS	10000

static struct rpc_client *vif_connect(struct verr *e)
{
	char path[300];
	struct rpc_client *cli;

	snprintf(path, sizeof(path), "%s/vswitchd.sock", dom_env.rundir);
	cli = rpc_client_connect(path);
	if (!cli && e)
		verr_set(e, VERR_OPERATION_FAILED, "operation failed: cannot "
			 "reach vswitchd at %s: %s", path, strerror(errno));
	return cli;
}

static uint64_t vif_maxbw_bps(const struct dom_nic *nic)
{
	uint64_t in = nic->inbound_kBps, out = nic->outbound_kBps;
	uint64_t kBps = !in ? out : !out ? in : MIN(in, out);

	return kBps * 8000;
}

static json_t *vif_params(const struct dom *d, unsigned int i)
{
	const struct dom_nic *nic = &d->cfg.nics[i];
	char mac[MAC_STRLEN], bw[32];
	json_t *p;

	p = json_pack("{s:s, s:s, s:s, s:i, s:s, s:b}", "name", d->live.vnics[i],
		      "link", nic->bridge, "mac", mac_format_canonical(&nic->mac, mac),
		      "vid", (int)nic->vlan, "kind", "guest", "temporary", 1);
	if (p && vif_maxbw_bps(nic)) {
		snprintf(bw, sizeof(bw), "%lluK",
			 (unsigned long long)vif_maxbw_bps(nic) / 1000);
		json_object_set_new(p, "props", json_pack("{s:s}", "maxbw", bw));
	}
	return p;
}

int vif_create(struct dom *d, char sockets[][108], struct verr *e)
{
	struct rpc_client *cli;
	struct rpc_error err;
	json_t *res;
	const char *sock;
	unsigned int i;

	if (!d->cfg.nnics)
		return 0;
	cli = vif_connect(e);
	if (!cli)
		return -1;
	for (i = 0; i < d->cfg.nnics; i++) {
		snprintf(d->live.vnics[i], sizeof(d->live.vnics[i]), "xvm%d_%u",
			 d->live.id, i);
		if (rpc_client_call(cli, "vnic.create", vif_params(d, i), &res,
				    &err, VIF_CALL_MS) < 0) {
			verr_set(e, VERR_OPERATION_FAILED, "vnic creation over "
				 "%s failed: %s", d->cfg.nics[i].bridge, err.message);
			d->live.vnics[i][0] = 0;
			rpc_client_close(cli);
			return -1;
		}
		sock = NULL;
		json_unpack(res, "{s?s}", "socket", &sock);
		if ((size_t)snprintf(sockets[i], 108, "%s",
				     sock ? sock : "") >= 108) {
			json_decref(res);
			rpc_client_close(cli);
			return verr_set(e, VERR_OPERATION_FAILED, "vnic %s: "
					"socket path too long", d->live.vnics[i]);
		}
		json_decref(res);
		log_info("vnic %s: created over %s for %s", d->live.vnics[i],
			 d->cfg.nics[i].bridge, d->cfg.name);
	}
	rpc_client_close(cli);
	return 0;
}

int vif_sockets(struct dom *d, char sockets[][108])
{
	unsigned int i;

	for (i = 0; i < d->cfg.nnics; i++)
		if ((size_t)snprintf(sockets[i], 108, "%s/vnic/%s.sock",
				     dom_env.rundir, d->live.vnics[i]) >= 108)
			return -ENAMETOOLONG;
	return 0;
}

void vif_delete(struct dom *d)
{
	struct rpc_client *cli = NULL;
	struct rpc_error err;
	json_t *res;
	unsigned int i;

	for (i = 0; i < DOM_MAX_NICS; i++) {
		if (!d->live.vnics[i][0])
			continue;
		if (!cli && !(cli = vif_connect(NULL))) {
			log_warn("vnic %s: vswitchd unreachable, not deleted",
				 d->live.vnics[i]);
			break;
		}
		if (rpc_client_call(cli, "vnic.delete",
				    json_pack("{s:s}", "name", d->live.vnics[i]),
				    &res, &err, VIF_CALL_MS) < 0)
			log_warn("vnic %s: delete: %s", d->live.vnics[i],
				 err.message);
		else
			json_decref(res);
		d->live.vnics[i][0] = 0;
	}
	if (cli)
		rpc_client_close(cli);
}
