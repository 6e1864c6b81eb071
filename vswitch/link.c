/*
 * Links (vswitchd.h): etherstubs, made and deleted by request, and phys
 * links, attached the first time a VNIC names a host interface and
 * detached when the last VNIC over it goes (docs/vswitchd-control.md).
 * Each link is one switch in the data path. Owns the control methods
 * link.list and etherstub.*.
 */
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "xvm/log.h"
#include "capture.h"
#include "control.h"
#include "vswitchd.h"

struct vsw_link *link_find(struct vswd *d, const char *name)
{
	for (struct vsw_link *l = d->links; l; l = l->next)
		if (strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

/* Names are unique across etherstubs, phys links, VNICs and saved VNICs
 * not running (deleted with -t, or whose link was missing at start). */
bool link_name_taken(struct vswd *d, const char *name)
{
	return link_find(d, name) || vnic_find(d, name) ||
	       persist_is_dormant(d, name);
}

static struct vsw_link *link_alloc(const char *name, enum vsw_link_class cls)
{
	struct vsw_link *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->sw = calloc(1, sizeof(*l->sw));
	if (!l->sw || l2_init(&l->sw->l2, VSW_L2_ENTRIES, VSW_L2_AGE_MS) < 0) {
		free(l->sw);
		free(l);
		return NULL;
	}
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->sw->name, sizeof(l->sw->name), "%s", name);
	l->cls = cls;
	return l;
}

static void link_free(struct vsw_link *l)
{
	l2_fini(&l->sw->l2);
	free(l->sw);
	free(l);
}

static void link_unlist(struct vswd *d, struct vsw_link *l)
{
	for (struct vsw_link **pp = &d->links; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			return;
		}
	}
}

int etherstub_create(struct vswd *d, const char *name, bool temporary,
		     struct rpc_error *err)
{
	struct vsw_link *l;

	if (!linkname_valid(name))
		return rpc_errorf(err, EINVAL, "invalid link name '%s'", name);
	if (link_name_taken(d, name) || if_nametoindex(name) != 0)
		return rpc_errorf(err, EEXIST, "object already exists");
	l = link_alloc(name, VSW_LINK_ETHERSTUB);
	if (!l)
		return rpc_errorf(err, ENOMEM, "out of memory");
	l->temporary = temporary;
	l->next = d->links;
	d->links = l;
	log_info("etherstub %s: created%s", name, temporary ? " (temporary)" : "");
	return 0;
}

int etherstub_delete(struct vswd *d, const char *name, struct rpc_error *err)
{
	struct vsw_link *l = link_find(d, name);

	if (!l) {
		if (vnic_find(d, name))
			return rpc_errorf(err, EINVAL, "'%s' is not an etherstub",
					  name);
		return rpc_errorf(err, ENOENT, "object not found");
	}
	if (l->cls != VSW_LINK_ETHERSTUB)
		return rpc_errorf(err, EINVAL, "'%s' is not an etherstub", name);
	if (l->nvnics)
		return rpc_errorf(err, EBUSY, "link busy");
	link_unlist(d, l);
	log_info("etherstub %s: deleted", name);
	link_free(l);
	return 0;
}

/* Attach host interface name as a new phys link. */
static int link_attach_phys(struct vswd *d, const char *name,
			    struct vsw_link **out, struct rpc_error *err)
{
	struct nb_port_conf conf = { .name = name, .ifname = name,
				     .mtu = phys_mtu(name), .pool = d->pool,
				     .jumbo = d->jumbo };
	struct vsw_link *l;
	struct vsw_port *up = NULL;
	int rc;

	rc = phys_check(name);
	if (rc == -ENOENT)
		return rpc_errorf(err, ENOENT, "object not found");
	if (rc < 0)
		return rpc_errorf(err, EINVAL, "'%s' is not an Ethernet link",
				  name);
	l = link_alloc(name, VSW_LINK_PHYS);
	up = calloc(1, sizeof(*up));
	if (!l || !up) {
		rc = rpc_errorf(err, ENOMEM, "out of memory");
		goto fail;
	}
	snprintf(up->name, sizeof(up->name), "%s", name);
	up->uplink = true;
	up->txq_limit = VSW_TXQ_LEN;
	up->sw = l->sw;
	link_props_init(&up->props);
	/* the largest frame it takes: its interface's MTU when attached
	 * (its ring is sized then), at most what any port carries */
	up->props.mtu = MIN(conf.mtu, NB_MTU_MAX);
	up->nb = nb_port_open("uplink", &conf);
	if (!up->nb) {
		rc = rpc_errorf(err, errno, "cannot attach '%s': %s", name,
				strerror(errno));
		goto fail;
	}
	up->pmd = place_new_port(d, l->sw, physprop_props(d, name));
	rc = pmd_add_port(d->pmds, d->npmds, up);
	if (rc == -ENOBUFS) {
		stats_nobufs_error(d, err);
		goto fail;
	} else if (rc < 0) {
		rpc_errorf(err, -rc, "cannot attach '%s': %s", name,
			   strerror(-rc));
		goto fail;
	}
	l->uplink = up;
	l->next = d->links;
	d->links = l;
	log_info("link %s: attached, uplink on PMD %u", name, up->pmd);
	*out = l;
	return 0;
fail:
	if (up)
		nb_port_close(up->nb);
	free(up);
	if (l)
		link_free(l);
	return rc;
}

int link_get(struct vswd *d, const char *name, struct vsw_link **out,
	     struct rpc_error *err)
{
	struct vsw_link *l = link_find(d, name);

	if (l) {
		*out = l;
		return 0;
	}
	if (vnic_find(d, name))
		return rpc_errorf(err, EINVAL, "'%s' is a vnic", name);
	if (!linkname_valid(name))
		return rpc_errorf(err, EINVAL, "invalid link name '%s'", name);
	return link_attach_phys(d, name, out, err);
}

static void link_detach_phys(struct vswd *d, struct vsw_link *l)
{
	capture_port_gone(d, l->uplink);
	pmd_del_port(d->pmds, d->npmds, l->uplink);
	nb_port_close(l->uplink->nb);
	free(l->uplink);
	link_unlist(d, l);
	link_free(l);
}

void link_put(struct vswd *d, struct vsw_link *l)
{
	if (l->cls == VSW_LINK_PHYS && l->nvnics == 0 && l->nflows == 0) {
		link_detach_phys(d, l);
		place_rebalance(d, NULL);
	}
}

uint32_t link_mtu(const struct vsw_link *l)
{
	return l->cls == VSW_LINK_PHYS ? phys_mtu(l->name) : VSW_ETHERSTUB_MTU;
}

const char *link_state(const struct vsw_link *l)
{
	return l->cls == VSW_LINK_ETHERSTUB ? "unknown" : phys_oper_state(l->name);
}

uint64_t link_speed_mbps(const struct vsw_link *l)
{
	return l->cls == VSW_LINK_PHYS ? phys_speed_mbps(l->name) : 0;
}

void links_destroy_all(struct vswd *d)
{
	while (d->links) {
		struct vsw_link *l = d->links;

		if (l->cls == VSW_LINK_PHYS) {
			link_detach_phys(d, l);
		} else {
			link_unlist(d, l);
			link_free(l);
		}
	}
}

/* ---- control methods ---- */

static json_t *link_json(const struct vsw_link *l, bool stats)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "name", l->name,
		"class", l->cls == VSW_LINK_PHYS ? "phys" : "etherstub",
		"mtu", (int)link_mtu(l), "state", link_state(l),
		"bridge", "", "over", "");

	if (o && stats) {
		struct vsw_stats sum = { 0 };
		struct nb_port_stats nst = { 0 };

		if (l->uplink) {
			nb_port_stats(l->uplink->nb, &nst);
			vsw_stats_sum(l->uplink, &sum);
		}
		json_object_set_new(o, "stats", stats_json(&sum, false,
							   nst.rx_missed));
	}
	return o;
}

json_t *links_json(struct vswd *d, const char *name, bool stats)
{
	json_t *arr = json_array();

	for (struct vsw_link *l = d->links; l; l = l->next)
		if (!name || strcmp(name, l->name) == 0)
			json_array_append_new(arr, link_json(l, stats));
	for (struct vsw_vnic *v = d->vnics; v; v = v->next)
		if (!name || strcmp(name, v->name) == 0)
			json_array_append_new(arr, vnic_link_json(v, stats));
	return arr;
}

static int link_ctl_list(struct vswd *d, json_t *params, json_t **result,
			 struct rpc_error *err)
{
	const char *name;
	bool stats;
	int rc = ctl_str(params, "name", false, &name, err);

	if (rc == 0)
		rc = ctl_bool(params, "stats", &stats, err);
	if (rc < 0)
		return rc;
	if (name && !link_name_taken(d, name))
		return rpc_errorf(err, ENOENT, "object not found");
	*result = json_pack("{s:o}", "links", links_json(d, name, stats));
	return 0;
}
CTL_COMMAND("link.list", link_ctl_list, "[name] [stats]");

static int etherstub_ctl_create(struct vswd *d, json_t *params,
				json_t **result UNUSED, struct rpc_error *err)
{
	const char *name;
	bool temporary;
	int rc = ctl_name_temp(params, &name, &temporary, err);

	if (rc == 0)
		rc = etherstub_create(d, name, temporary, err);
	if (rc == 0 && !temporary)
		persist_changed(d);
	return rc;
}
CTL_COMMAND("etherstub.create", etherstub_ctl_create, "name [temporary]");

static int etherstub_ctl_delete(struct vswd *d, json_t *params,
				json_t **result UNUSED, struct rpc_error *err)
{
	struct vsw_link *l;
	const char *name;
	bool saved;
	int rc = ctl_str(params, "name", true, &name, err);

	if (rc < 0)
		return rc;
	l = link_find(d, name);
	saved = l && !l->temporary;
	rc = etherstub_delete(d, name, err);
	if (rc == 0 && saved)
		persist_changed(d);
	return rc;
}
CTL_COMMAND("etherstub.delete", etherstub_ctl_delete, "name");

static int etherstub_ctl_list(struct vswd *d, json_t *params, json_t **result,
			      struct rpc_error *err)
{
	const char *name;
	json_t *arr;
	int rc = ctl_str(params, "name", false, &name, err);

	if (rc < 0)
		return rc;
	if (name) {
		struct vsw_link *l = link_find(d, name);

		if (!l && !vnic_find(d, name))
			return rpc_errorf(err, ENOENT, "object not found");
		if (!l || l->cls != VSW_LINK_ETHERSTUB)
			return rpc_errorf(err, EINVAL, "'%s' is not an etherstub",
					  name);
	}
	arr = json_array();
	for (struct vsw_link *l = d->links; l; l = l->next)
		if (l->cls == VSW_LINK_ETHERSTUB && (!name || !strcmp(name, l->name)))
			json_array_append_new(arr, json_pack("{s:s, s:b}",
				"name", l->name, "temporary", l->temporary));
	*result = json_pack("{s:o}", "etherstubs", arr);
	return 0;
}
CTL_COMMAND("etherstub.list", etherstub_ctl_list, "[name]");

/* A saved VNIC that is not running (dormant) renamed: its entry only. */
static int link_rename_dormant(struct vswd *d, const char *name,
			       const char *newname, struct rpc_error *err)
{
	json_t *e = persist_vnic_find(d->dormant, name);
	const char *kind = json_string_value(json_object_get(e, "kind"));

	if (kind && strcmp(kind, "host") == 0 && strlen(newname) >= IFNAMSIZ)
		return rpc_errorf(err, EINVAL, "invalid link name '%s'", newname);
	persist_rename_dormant(d, name, newname);
	log_info("vnic %s: saved configuration renamed %s", name, newname);
	return 0;
}

/*
 * dladm rename-link: etherstubs (the VNICs over one follow it, running or
 * saved), VNICs not in use (vnic_rename()) and saved VNICs not running.
 * Not a phys link: its name is its host interface's. No -t: the running
 * and the saved configuration change together.
 */
static int link_ctl_rename(struct vswd *d, json_t *params,
			   json_t **result UNUSED, struct rpc_error *err)
{
	const char *name, *newname;
	struct vsw_link *l;
	struct vsw_vnic *v;
	bool saved;
	int rc = ctl_str(params, "name", true, &name, err);

	if (rc == 0)
		rc = ctl_str(params, "newname", true, &newname, err);
	if (rc < 0)
		return rc;
	l = link_find(d, name);
	v = vnic_find(d, name);
	if (!l && !v && !persist_is_dormant(d, name))
		return rpc_errorf(err, ENOENT, "object not found");
	if (!linkname_valid(newname))
		return rpc_errorf(err, EINVAL, "invalid link name '%s'", newname);
	if (link_name_taken(d, newname))
		return rpc_errorf(err, EEXIST, "object already exists");
	if (l && l->cls == VSW_LINK_PHYS)
		return rpc_errorf(err, ENOTSUP, "'%s' is a phys link: its name "
				  "is its host interface's", name);
	if (l) {
		if (if_nametoindex(newname) != 0)
			return rpc_errorf(err, EEXIST, "object already exists");
		log_info("etherstub %s: renamed %s", l->name, newname);
		snprintf(l->name, sizeof(l->name), "%s", newname);
		snprintf(l->sw->name, sizeof(l->sw->name), "%s", newname);
		persist_rename_dormant(d, name, newname);
		saved = true;	/* saved VNICs over it may name it */
	} else if (v) {
		saved = !v->temporary;
		rc = vnic_rename(d, v, newname, err);
	} else {
		saved = true;
		rc = link_rename_dormant(d, name, newname, err);
	}
	if (rc == 0 && saved)
		persist_changed(d);
	return rc;
}
CTL_COMMAND("link.rename", link_ctl_rename, "name newname");
