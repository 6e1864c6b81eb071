/*
 * A domain's NICs as guest VNICs on vswitchd (docs/vswitchd-control.md
 * "vnic.create"): named xvm<domid>_<n>, over the <source bridge> link,
 * with the definition's MAC, VLAN id and cap (<bandwidth> averages in
 * KB/s, 1 KB = 1000 bytes, the smaller of inbound/outbound as maxbw),
 * kind "guest" (a vhost-user socket for hv), temporary (they live as long
 * as the domain runs). lib/vswctl owns the requests' wire form (maxbw's
 * included); the calls are sent on xvmd's loop (hvcall.c, VIF_CALL_MS
 * each: issue 12, no client waits on vswitchd), vswitchd's refusal
 * becoming a verr here. Deleting them removes their flows first
 * (flowadm's, docs/flowadm.8); no client waits for a delete, but a
 * start's or hot-plug's vnic.create waits until none is in flight (the
 * MAC it takes may still be held by a VNIC being deleted).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "xvm/vswctl.h"
#include "xvm/vswctl_flow.h"
#include "dom.h"
#include "hvcall.h"

static uint64_t vif_maxbw_bps(const struct dom_nic *nic)
{
	uint64_t in = nic->inbound_kBps, out = nic->outbound_kBps;
	uint64_t kBps = !in ? out : !out ? in : MIN(in, out);

	return kBps * 8000;
}

/* What vnic.create is given for NIC i: its spec in *spec (pointing into
 * the caller's buffers). */
struct vif_spec_buf {
	char mac[MAC_STRLEN], bw[VSWCTL_MAXBW_STRLEN], mtu[12];
	struct vswctl_props props;
};

static void vif_spec(struct dom *d, unsigned int i, struct vif_spec_buf *b,
		     struct vswctl_vnic_spec *spec)
{
	const struct dom_nic *nic = &d->cfg.nics[i];

	b->props.n = 0;
	*spec = (struct vswctl_vnic_spec){
		.name = d->live.vnics[i], .link = nic->bridge,
		.mac = mac_format_canonical(&nic->mac, b->mac),
		.vid = (uint16_t)nic->vlan, .kind = "guest",
		.temporary = true, .props = &b->props,
	};
	if (vif_maxbw_bps(nic) &&
	    vswctl_maxbw_format(vif_maxbw_bps(nic), b->bw, sizeof(b->bw)) == 0)
		vswctl_props_add(&b->props, "maxbw", b->bw);
	if (nic->mtu) {
		snprintf(b->mtu, sizeof(b->mtu), "%u", nic->mtu);
		vswctl_props_add(&b->props, "mtu", b->mtu);
	}
}

/* ---- a start's VNICs, made on the loop (issue 12) ---- */

struct vif_job {
	struct vif_job *next;	/* waiting for deletes (vif_waiting) */
	struct dom *d;		/* a start's: stays while it runs */
	unsigned int i;		/* the NIC whose VNIC is being made */
	char (*sockets)[108];
	/* a hot-plug's one VNIC (vif_create_nic_async): d may go before
	 * vswitchd answers, or while the job waits for deletes, so its
	 * request is made at the call and d is never touched again; the
	 * domain is looked up by name and id when the wait ends */
	bool one;
	char *one_sock;
	json_t *params;		/* its vnic.create params, until sent */
	int id;			/* its domain's id at the call */
	char vnic[sizeof(((struct dom_live *)0)->vnics[0])];
	char bridge[sizeof(((struct dom_nic *)0)->bridge)];
	char dom[DOM_NAME_MAX + 1];
	vif_done_fn done;
	void *opaque;
};

static int vif_create_next(struct vif_job *j, struct verr *e);

/* Deletes in flight: a start and a hot-plug wait for them, as the MAC
 * their new VNIC takes may be one a VNIC being deleted still holds
 * (destroy then start at once, detach then attach of the same MAC:
 * vswitchd would refuse "MAC address is already in use"). Each delete
 * ends within 2 * VIF_CALL_MS; the waiting jobs go out in the order
 * they came once none is left. */
static unsigned int vif_del_n;
static struct vif_job *vif_waiting, **vif_waiting_tail = &vif_waiting;

static void vif_job_free(struct vif_job *j)
{
	json_decref(j->params);
	free(j);
}

static void vif_wait(struct vif_job *j)
{
	j->next = NULL;
	*vif_waiting_tail = j;
	vif_waiting_tail = &j->next;
}

/* A hot-plug's domain still runs and still wants the VNIC: the same
 * domain (name and id), the VNIC's name still among its own (a stop
 * clears them, dom_unplug_detach() the attach's). */
static bool vif_one_wanted(const struct vif_job *j)
{
	struct dom *d = dom_by_name(j->dom);
	unsigned int k;

	if (!d || !dom_active(d) || d->live.id != j->id || !d->pid)
		return false;
	for (k = 0; k < DOM_MAX_NICS; k++)
		if (!strcmp(d->live.vnics[k], j->vnic))
			return true;
	return false;
}

static void vif_del_done(void)
{
	struct vif_job *j;
	struct verr e = { 0 };
	int rc;

	if (--vif_del_n)
		return;
	/* a job that fails at once may send deletes (its undo): the
	 * rest then wait for those too */
	while (!vif_del_n && (j = vif_waiting)) {
		vif_waiting = j->next;
		if (!vif_waiting)
			vif_waiting_tail = &vif_waiting;
		if (j->one && !vif_one_wanted(j)) {
			rc = verr_fail(&e, -ECANCELED, VERR_OPERATION_FAILED,
				       "operation failed: domain '%s' stopped "
				       "before vnic %s was made", j->dom,
				       j->vnic);
			log_info("vnic %s: not made: %s", j->vnic, e.msg);
		} else
			rc = vif_create_next(j, &e);
		if (rc < 0) {
			j->done(j->opaque, rc, &e);
			vif_job_free(j);
		}
	}
}

static void vif_created(void *opaque, int rc, const json_t *result,
			const char *msg)
{
	struct vif_job *j = opaque;
	struct vswctl_vnic_info info;
	struct verr e = { 0 };

	if (rc == 0 && vswctl_vnic_info_parse(result, &info) < 0) {
		/* made, but unusable: the undo deletes it */
		rc = verr_set(&e, VERR_OPERATION_FAILED, "vnic %s: socket "
			      "path too long", j->vnic);
	} else if (rc < 0) {
		/* a call that timed out may still be done once vswitchd
		 * goes on: the name stays for the undo's delete */
		if (rc != -ETIMEDOUT && !j->one)
			j->d->live.vnics[j->i][0] = 0;
		verr_fail(&e, rc, VERR_OPERATION_FAILED, "vnic creation over "
			  "%s failed: %s", j->bridge, msg);
	} else {
		snprintf(j->one ? j->one_sock : j->sockets[j->i], 108, "%s",
			 info.socket);
		log_info("vnic %s: created over %s for %s", j->vnic,
			 j->bridge, j->dom);
		j->i++;
		if (!j->one && j->i < j->d->cfg.nnics) {
			rc = vif_create_next(j, &e);
			if (rc == 0)
				return;
		}
	}
	j->done(j->opaque, rc, rc < 0 ? &e : NULL);
	vif_job_free(j);
}

/* NIC i's vnic.create params, or NULL (ENOMEM). */
static json_t *vif_params(struct dom *d, unsigned int i)
{
	struct vif_spec_buf b;
	struct vswctl_vnic_spec spec;

	vif_spec(d, i, &b, &spec);
	return vswctl_vnic_create_params(&spec);
}

/* Ask vswitchd for NIC j->i's VNIC (a start's: named now, its request
 * made from d; a hot-plug's: the request made at the call): 0, or
 * -errno with e. */
static int vif_create_next(struct vif_job *j, struct verr *e)
{
	struct dom *d = j->d;
	char path[300];
	json_t *params;
	int rc;

	if (!j->one) {
		snprintf(d->live.vnics[j->i], sizeof(d->live.vnics[j->i]),
			 "xvm%d_%u", d->live.id, j->i);
		snprintf(j->vnic, sizeof(j->vnic), "%s", d->live.vnics[j->i]);
		snprintf(j->bridge, sizeof(j->bridge), "%s",
			 d->cfg.nics[j->i].bridge);
		snprintf(j->dom, sizeof(j->dom), "%s", d->cfg.name);
		params = vif_params(d, j->i);
	} else {
		params = j->params;
		j->params = NULL;
	}
	vswctl_sock_path(dom_env.rundir, path, sizeof(path));
	rc = params ? hvcall_start(path, "vnic.create", params, VIF_CALL_MS,
				   vif_created, j) : -ENOMEM;
	if (rc < 0) {
		if (!j->one)
			d->live.vnics[j->i][0] = 0;
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot reach vswitchd at %s: %s",
				 path, strerror(-rc));
	}
	return 0;
}

/* Send j now, or queue it behind the deletes in flight: 0, or -errno
 * with e (j not freed). */
static int vif_create_or_wait(struct vif_job *j, struct verr *e)
{
	if (vif_del_n) {
		vif_wait(j);
		return 0;
	}
	return vif_create_next(j, e);
}

int vif_create_async(struct dom *d, char sockets[][108], vif_done_fn done,
		     void *opaque, struct verr *e)
{
	struct vif_job *j;
	int rc;

	if (!d->cfg.nnics)
		return 0;
	j = calloc(1, sizeof(*j));
	if (!j)
		return verr_nomem(e);
	*j = (struct vif_job){ .d = d, .sockets = sockets, .done = done,
			       .opaque = opaque };
	rc = vif_create_or_wait(j, e);
	if (rc < 0) {
		vif_job_free(j);
		return rc;
	}
	return 1;
}

int vif_create_nic_async(struct dom *d, unsigned int i, char socket[108],
			 vif_done_fn done, void *opaque, struct verr *e)
{
	struct vif_job *j = calloc(1, sizeof(*j));
	int rc;

	if (!j)
		return verr_nomem(e);
	*j = (struct vif_job){ .i = i, .one = true, .one_sock = socket,
			       .id = d->live.id, .done = done,
			       .opaque = opaque };
	snprintf(j->vnic, sizeof(j->vnic), "%s", d->live.vnics[i]);
	snprintf(j->bridge, sizeof(j->bridge), "%s", d->cfg.nics[i].bridge);
	snprintf(j->dom, sizeof(j->dom), "%s", d->cfg.name);
	j->params = vif_params(d, i);
	rc = j->params ? vif_create_or_wait(j, e) : verr_nomem(e);
	if (rc < 0) {
		vif_job_free(j);
		return rc;
	}
	return 0;
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

/* One VNIC's delete, sent on the loop: its flows first, then the VNIC;
 * nobody waits for it (the domain is stopped already). */
struct vif_del {
	char vnic[sizeof(((struct dom_live *)0)->vnics[0])];
	char dom[DOM_NAME_MAX + 1];
};

static void vif_deleted(void *opaque, int rc, const json_t *result,
			const char *msg)
{
	struct vif_del *v = opaque;

	(void)result;
	if (rc < 0)
		log_warn("vnic %s: delete: %s", v->vnic, msg);
	else
		log_info("vnic %s: deleted (%s)", v->vnic, v->dom);
	free(v);
	vif_del_done();
}

static void vif_flows_removed(void *opaque, int rc, const json_t *result,
			      const char *msg)
{
	struct vif_del *v = opaque;
	char path[300];

	/* a vswitchd without flows refuses flow.remove harmlessly; one
	 * that did not answer in time still gets the delete: it serves
	 * its connections' requests in order once it goes on, closed
	 * connections' too (a create that timed out, then this) */
	(void)result;
	(void)msg;
	(void)rc;
	vswctl_sock_path(dom_env.rundir, path, sizeof(path));
	rc = hvcall_start(path, "vnic.delete",
			  vswctl_vnic_delete_params(v->vnic, false),
			  VIF_CALL_MS, vif_deleted, v);
	if (rc < 0) {
		log_warn("vnic %s: vswitchd unreachable, not deleted", v->vnic);
		free(v);
		vif_del_done();
	}
}

/* Send the delete of d's VNIC i, and forget its name. */
static void vif_del_send(struct dom *d, unsigned int i)
{
	char path[300];
	struct vif_del *v;
	int rc = -ENOMEM;

	if (!d->live.vnics[i][0])
		return;
	vswctl_sock_path(dom_env.rundir, path, sizeof(path));
	v = calloc(1, sizeof(*v));
	if (v) {
		snprintf(v->vnic, sizeof(v->vnic), "%s", d->live.vnics[i]);
		snprintf(v->dom, sizeof(v->dom), "%s", d->cfg.name);
		rc = hvcall_start(path, "flow.remove",
				  vswctl_flow_remove_link_params(v->vnic,
								 false),
				  VIF_CALL_MS, vif_flows_removed, v);
	}
	if (rc == 0) {
		vif_del_n++;
	} else {
		log_warn("vnic %s: vswitchd unreachable, not deleted",
			 d->live.vnics[i]);
		free(v);
	}
	d->live.vnics[i][0] = 0;
}

void vif_delete(struct dom *d)
{
	unsigned int i;

	for (i = 0; i < DOM_MAX_NICS; i++)
		vif_del_send(d, i);
}

void vif_delete_nic_async(struct dom *d, unsigned int i)
{
	vif_del_send(d, i);
}
