/*
 * VNICs (vswitchd.h): a port with a MAC, an optional VLAN id and
 * properties over a link. Host VNICs are tap interfaces, guest VNICs
 * vhost-user ports under $XVM_RUNDIR/vnic/. Every check happens before
 * anything is made, so a refused request changes nothing. Owns the
 * control methods vnic.create, vnic.delete and vnic.list (vnicprop.c has
 * the property ones).
 */
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xvm/vswctl.h"	/* vswctl_vnic_sock_path() */
#include "xvm/log.h"
#include "xvm/units.h"
#include "capture.h"
#include "control.h"
#include "flowctl.h"
#include "vlan.h"
#include "vswitchd.h"

static const uint8_t vnic_xen_oui[3] = { 0x00, 0x16, 0x3e };

struct vsw_vnic *vnic_find(struct vswd *d, const char *name)
{
	for (struct vsw_vnic *v = d->vnics; v; v = v->next)
		if (strcmp(v->name, name) == 0)
			return v;
	return NULL;
}

static bool vnic_mac_used(struct vswd *d, const struct vsw_link *over,
			  const struct mac_addr *mac)
{
	for (struct vsw_vnic *v = d->vnics; v; v = v->next)
		if (v->over == over && mac_equal(&v->mac, mac))
			return true;
	return false;
}

/* The VNIC's address: given, or random (with a prefix; the Xen OUI for
 * guests). Random ones avoid addresses already on the switch. */
static int vnic_pick_mac(struct vswd *d, const struct vnic_spec *s,
			 const struct vsw_link *over, struct vsw_vnic *v,
			 struct rpc_error *err)
{
	uint8_t prefix[MAC_LEN - 1];
	size_t plen = 0;
	const uint8_t *pp = NULL;

	/* dladm's -m factory: a NIC's extra factory addresses. Linux
	 * gives none (ethtool knows one permanent address, the interface's
	 * own, which the host stack uses) and an etherstub has none. */
	if (s->mac && strcmp(s->mac, "factory") == 0)
		return rpc_errorf(err, ENOTSUP, "factory MAC address slots "
				  "not supported");
	if (s->mac && strcmp(s->mac, "auto") && strcmp(s->mac, "random")) {
		if (s->mac_prefix)
			return rpc_errorf(err, EINVAL, "invalid argument");
		if (mac_parse(s->mac, &v->mac) < 0 || !mac_is_unicast(&v->mac))
			return rpc_errorf(err, EINVAL, "invalid MAC address '%s'",
					  s->mac);
		v->mac_random = s->mac_was_random;
		return vnic_mac_used(d, over, &v->mac) ?
			rpc_errorf(err, EADDRINUSE, "MAC address is already in use") : 0;
	}
	if (s->mac_prefix) {
		if (mac_parse_prefix(s->mac_prefix, prefix, &plen) < 0)
			return rpc_errorf(err, EINVAL, "invalid MAC prefix '%s'",
					  s->mac_prefix);
		pp = prefix;
	} else if (s->kind == VNIC_GUEST) {
		pp = vnic_xen_oui;
		plen = sizeof(vnic_xen_oui);
	} else {
		pp = prefix;	/* no prefix: random, locally administered */
		plen = 0;
	}
	v->mac_random = true;
	for (int tries = 0; tries < 64; tries++) {
		if (mac_random(&v->mac, pp, plen) < 0)
			return rpc_errorf(err, EINVAL, "invalid MAC prefix");
		if (!vnic_mac_used(d, over, &v->mac))
			return 0;
	}
	return rpc_errorf(err, EADDRINUSE, "MAC address is already in use");
}

static int vnic_check_name(struct vswd *d, const struct vnic_spec *s,
			   struct rpc_error *err)
{
	if (!linkname_valid(s->name) ||
	    (s->kind == VNIC_HOST && strlen(s->name) >= IFNAMSIZ))
		return rpc_errorf(err, EINVAL, "invalid link name '%s'", s->name);
	if (link_name_taken(d, s->name))
		return rpc_errorf(err, EEXIST, "object already exists");
	if (s->kind == VNIC_HOST && if_nametoindex(s->name) != 0)
		return rpc_errorf(err, EEXIST, "object already exists");
	if (s->vid > VLAN_VID_MAX)
		return rpc_errorf(err, EINVAL, "invalid VLAN identifier '%u'",
				  s->vid);
	return 0;
}

static int vnic_socket_path(struct vswd *d, struct vsw_vnic *v,
			    struct rpc_error *err)
{
	char dir[PATH_MAX];
	int n;

	n = snprintf(dir, sizeof(dir), "%s/vnic", d->rundir);
	if (n < 0 || (size_t)n >= sizeof(dir))
		return rpc_errorf(err, ENAMETOOLONG, "run directory too long");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return rpc_errorf(err, errno, "cannot create %s: %s", dir,
				  strerror(errno));
	if (vswctl_vnic_sock_path(d->rundir, v->name, v->socket,
				  sizeof(v->socket)) < 0)
		return rpc_errorf(err, ENAMETOOLONG,
				  "socket path for '%s' is too long", v->name);
	return 0;
}

/* Open the netback port and give it to the PMD. */
static int vnic_start_port(struct vswd *d, struct vsw_vnic *v,
			   struct rpc_error *err)
{
	struct nb_port_conf conf = {
		.name = v->name, .path = v->socket, .mac = v->mac,
		.mtu = v->props.mtu, .pool = d->pool, .jumbo = d->jumbo,
		.qsbr = d->qsbr,
	};
	struct vsw_port *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return rpc_errorf(err, ENOMEM, "out of memory");
	snprintf(p->name, sizeof(p->name), "%s", v->name);
	p->sw = v->over->sw;
	p->vid = v->vid;
	p->mac = v->mac;
	link_props_init(&p->props);
	p->nb = nb_port_open(v->kind == VNIC_GUEST ? "xnb" : "tap", &conf);
	if (!p->nb) {
		rc = errno == EEXIST ?
			rpc_errorf(err, EEXIST, "object already exists") :
			rpc_errorf(err, errno, "cannot create '%s': %s",
				   v->name, strerror(errno));
		free(p);
		return rc;
	}
	if (v->kind == VNIC_HOST && (v->props.set & (1u << LINKPROP_CPUS))) {
		/* made or restored: the list stays (shown, saved) even if
		 * the host cannot steer to it now */
		rc = nb_port_set_cpus(p->nb, v->props.cpus,
				      ARRAY_SIZE(v->props.cpus));
		if (rc < 0)
			log_warn("vnic %s: cpus not applied: %s", v->name,
				 strerror(-rc));
	}
	if ((v->props.set & (1u << LINKPROP_PMD)) && v->props.pmd >= d->npmds)
		log_warn("vnic %s: pmd %u not applied: vswitchd runs %u "
			 "PMD(s)", v->name, v->props.pmd, d->npmds);
	p->pmd = place_new_port(d, v->over->sw, &v->props);
	rc = pmd_set_props(vsw_pmd(d, p), p, &v->props);	/* not yet polled */
	if (rc == 0)
		rc = pmd_add_port(d->pmds, d->npmds, p);
	if (rc < 0) {
		nb_port_close(p->nb);
		free(p);
		if (rc == -ENOBUFS)
			return stats_nobufs_error(d, err);
		return rc == -EADDRINUSE ?
			rpc_errorf(err, EADDRINUSE, "MAC address is already in use") :
			rpc_errorf(err, -rc, "cannot add port: %s", strerror(-rc));
	}
	v->port = p;
	return 0;
}

static void vnic_stop_port(struct vswd *d, struct vsw_vnic *v)
{
	capture_port_gone(d, v->port);
	pmd_del_port(d->pmds, d->npmds, v->port);
	nb_port_close(v->port->nb);
	free(v->port);
	v->port = NULL;
}

static void vnic_list_add(struct vswd *d, struct vsw_vnic *v)
{
	struct vsw_vnic **pp = &d->vnics;

	while (*pp)		/* keep creation order for listings */
		pp = &(*pp)->next;
	*pp = v;
}

/* The data path's limits (dp.h), said in words rather than as the
 * switch's bare ENOSPC. */
static int vnic_check_room(struct vswd *d, const struct vsw_link *over,
			   struct rpc_error *err)
{
	unsigned n = 0;

	if (over->nvnics >= VSW_MAX_SW_PORTS)
		return rpc_errorf(err, ENOSPC, "switch %s has its maximum of "
				  "%u ports", over->name, VSW_MAX_SW_PORTS);
	for (const struct vsw_vnic *v = d->vnics; v; v = v->next)
		n++;
	for (const struct vsw_link *l = d->links; l; l = l->next)
		n += l->uplink != NULL;
	if (n >= VSW_MAX_PORTS)
		return rpc_errorf(err, ENOSPC, "vswitchd has its maximum of "
				  "%u ports (VNICs and uplinks)", VSW_MAX_PORTS);
	return 0;
}

int vnic_create(struct vswd *d, const struct vnic_spec *s,
		struct vsw_vnic **out, struct rpc_error *err)
{
	struct vsw_vnic *v = NULL;
	struct vsw_link *over = NULL;
	int rc = vnic_check_name(d, s, err);

	if (rc < 0)
		return rc;
	rc = link_get(d, s->link, &over, err);
	if (rc < 0)
		return rc;
	rc = vnic_check_room(d, over, err);
	if (rc < 0)
		goto fail;
	v = calloc(1, sizeof(*v));
	if (!v) {
		rc = rpc_errorf(err, ENOMEM, "out of memory");
		goto fail;
	}
	snprintf(v->name, sizeof(v->name), "%s", s->name);
	v->over = over;
	v->vid = s->vid;
	v->kind = s->kind;
	v->temporary = s->temporary;
	v->props = s->props;
	v->saved = s->props;
	rc = vnic_pick_mac(d, s, over, v, err);
	if (rc == 0 && v->kind == VNIC_GUEST)
		rc = vnic_socket_path(d, v, err);
	if (rc == 0)
		rc = vnic_start_port(d, v, err);
	if (rc < 0)
		goto fail;
	over->nvnics++;
	vnic_list_add(d, v);
	log_info("vnic %s: created over %s (%s, vid %u, PMD %u)", v->name,
		 over->name, v->kind == VNIC_GUEST ? "guest" : "host", v->vid,
		 v->port->pmd);
	place_rebalance(d, NULL);	/* the others may move */
	*out = v;
	return 0;
fail:
	free(v);
	link_put(d, over);
	return rc;
}

/* Take v (its port already stopped) off the list and free it. */
static void vnic_forget(struct vswd *d, struct vsw_vnic *v)
{
	struct vsw_vnic **pp;

	for (pp = &d->vnics; *pp != v; pp = &(*pp)->next)
		;
	*pp = v->next;
	v->over->nvnics--;
	link_put(d, v->over);
	free(v);
}

int vnic_delete(struct vswd *d, const char *name, bool temporary,
		struct rpc_error *err)
{
	struct vsw_vnic *v = vnic_find(d, name);

	if (!v) {
		if (link_find(d, name))
			return rpc_errorf(err, EINVAL, "'%s' is not a vnic", name);
		return rpc_errorf(err, ENOENT, "object not found");
	}
	vnic_stop_port(d, v);
	vnic_forget(d, v);
	log_info("vnic %s: deleted%s", name, temporary ? " (temporarily)" : "");
	place_rebalance(d, NULL);
	return 0;
}

int vnic_apply_props(struct vswd *d, struct vsw_vnic *v,
		     const struct link_props *run,
		     const struct link_props *saved, struct rpc_error *err)
{
	int rc;

	if (run->mtu != v->props.mtu && v->kind == VNIC_HOST) {
		rc = nb_port_set_mtu(v->port->nb, run->mtu);
		if (rc < 0)
			return rpc_errorf(err, -rc, "cannot set link property "
					  "'mtu' on '%s': %s", v->name,
					  rc == -ENOTSUP ? "operation not supported"
							 : strerror(-rc));
	}
	if (v->kind == VNIC_HOST &&
	    memcmp(run->cpus, v->props.cpus, sizeof(run->cpus)) != 0) {
		rc = nb_port_set_cpus(v->port->nb, run->cpus,
				      ARRAY_SIZE(run->cpus));
		if (rc < 0)
			return rpc_errorf(err, -rc, "cannot set link property "
					  "'cpus' on '%s': %s", v->name,
					  rc == -ENOTSUP ? "operation not supported"
							 : strerror(-rc));
	}
	rc = pmd_set_props(vsw_pmd(d, v->port), v->port, run);
	if (rc < 0)
		return rpc_errorf(err, -rc, "invalid argument");
	if ((run->set ^ v->props.set) & (1u << LINKPROP_PMD) ||
	    run->pmd != v->props.pmd) {
		/* pinned (vswitchd runs that PMD: vnicprop.c checked) or
		 * back to the default (placed as a new port would be): in
		 * effect now, traffic running */
		bool unpinned = !(run->set & (1u << LINKPROP_PMD)) &&
				(v->props.set & (1u << LINKPROP_PMD)) &&
				v->props.pmd < d->npmds;

		v->props = *run;
		place_rebalance(d, unpinned ? v->port : NULL);
		log_info("vnic %s: on PMD %u", v->name, v->port->pmd);
	}
	if (run->maxbw != v->props.maxbw) {
		char bw[UNITS_STRLEN] = "none";

		if (run->maxbw)
			units_format_bw(run->maxbw, bw, sizeof(bw));
		log_info("vnic %s: maxbw %s applied", v->name, bw);
	}
	v->props = *run;
	if (saved)
		v->saved = *saved;
	return 0;
}

/* A host VNIC someone configured: an address on its tap other than the
 * IPv6 link-local one the kernel gives every interface (true when the
 * addresses cannot be read). */
static bool vnic_tap_has_address(const char *ifname)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return true;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || strcmp(i->ifa_name, ifname) != 0)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			found = true;
		else if (i->ifa_addr->sa_family == AF_INET6)
			found = !IN6_IS_ADDR_LINKLOCAL(
				&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
	}
	freeifaddrs(ifa);
	return found;
}

int vnic_rename(struct vswd *d, struct vsw_vnic *v, const char *newname,
		struct rpc_error *err)
{
	char oldname[LINKNAME_MAX], oldsock[sizeof(v->socket)];
	int rc;

	if (v->kind == VNIC_HOST) {
		if (strlen(newname) >= IFNAMSIZ)
			return rpc_errorf(err, EINVAL, "invalid link name '%s'",
					  newname);
		if (if_nametoindex(newname) != 0)
			return rpc_errorf(err, EEXIST, "object already exists");
		/* moved to another namespace, or given addresses: the
		 * tap made again would lose both */
		if (if_nametoindex(v->name) == 0 ||
		    vnic_tap_has_address(v->name))
			return rpc_errorf(err, EBUSY, "link busy (host "
					  "interface %s is configured or not "
					  "in vswitchd's namespace)", v->name);
	} else if (nb_port_link_state(v->port->nb) == 1) {
		return rpc_errorf(err, EBUSY, "link busy (a guest is "
				  "connected to it)");
	}
	if (flows_on_link(d, v->name))
		return rpc_errorf(err, EBUSY, "link still has flows");
	snprintf(oldname, sizeof(oldname), "%s", v->name);
	snprintf(oldsock, sizeof(oldsock), "%s", v->socket);
	vnic_stop_port(d, v);
	snprintf(v->name, sizeof(v->name), "%s", newname);
	rc = v->kind == VNIC_GUEST ? vnic_socket_path(d, v, err) : 0;
	if (rc == 0)
		rc = vnic_start_port(d, v, err);
	if (rc == 0) {
		log_info("vnic %s: renamed %s", oldname, newname);
		return 0;
	}
	snprintf(v->name, sizeof(v->name), "%s", oldname);
	snprintf(v->socket, sizeof(v->socket), "%s", oldsock);
	{
		struct rpc_error again = { "", "" };

		if (vnic_start_port(d, v, &again) < 0) {
			/* the old port cannot be made again either: the VNIC
			 * cannot stay without one */
			log_err("vnic %s: rename failed and its port cannot "
				"be made again: %s; deleted (its saved "
				"configuration is kept)", oldname, again.message);
			if (!v->temporary)
				persist_keep_dormant(d, v);
			vnic_forget(d, v);
		}
	}
	return rc;
}

void vnics_destroy_all(struct vswd *d)
{
	while (d->vnics) {
		struct vsw_vnic *v = d->vnics;

		vnic_stop_port(d, v);
		d->vnics = v->next;
		v->over->nvnics--;
		link_put(d, v->over);
		free(v);
	}
}

/* ---- control methods ---- */

static const char *vnic_state(const struct vsw_vnic *v)
{
	return nb_port_link_state(v->port->nb) == 1 ? "up" : "down";
}

/* Its counters: the switch's and what its port lost below the switch. */
static json_t *vnic_stats_json(const struct vsw_vnic *v)
{
	struct nb_port_stats nst = { 0 };

	struct vsw_stats sum;

	if (v->port->nb)
		nb_port_stats(v->port->nb, &nst);
	vsw_stats_sum(v->port, &sum);
	return stats_json(&sum, true, nst.rx_missed);
}

static json_t *vnic_json(const struct vsw_vnic *v, bool stats)
{
	char mac[MAC_STRLEN];
	uint64_t speed = v->props.maxbw ? v->props.maxbw / 1000000 :
					  link_speed_mbps(v->over);
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:i, s:s, s:o, s:b, s:s, s:i}",
		"name", v->name, "over", v->over->name,
		"speed", (json_int_t)speed, "maxbw", (json_int_t)v->props.maxbw,
		"mac", mac_format(&v->mac, mac),
		"macaddrtype", v->mac_random ? "random" : "fixed",
		"vid", v->vid, "kind", v->kind == VNIC_GUEST ? "guest" : "host",
		"socket", v->kind == VNIC_GUEST ? json_string(v->socket) : json_null(),
		"temporary", v->temporary, "state", vnic_state(v),
		"mtu", (int)v->props.mtu);

	if (o)
		json_object_set_new(o, "pmd", json_integer(v->port->pmd));
	if (o && stats)
		json_object_set_new(o, "stats", vnic_stats_json(v));
	return o;
}

json_t *vnic_link_json(const struct vsw_vnic *v, bool stats)
{
	json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "name", v->name,
		"class", "vnic", "mtu", (int)v->props.mtu, "state", vnic_state(v),
		"bridge", "", "over", v->over->name);

	if (o && stats)
		json_object_set_new(o, "stats", vnic_stats_json(v));
	return o;
}

json_t *vnics_json(struct vswd *d, const char *name, const char *link,
		   bool stats)
{
	json_t *arr = json_array();

	for (struct vsw_vnic *v = d->vnics; v; v = v->next)
		if ((!name || strcmp(name, v->name) == 0) &&
		    (!link || strcmp(link, v->over->name) == 0))
			json_array_append_new(arr, vnic_json(v, stats));
	return arr;
}

static int vnic_ctl_spec(json_t *params, struct vnic_spec *s,
			 struct rpc_error *err)
{
	const char *kind;
	json_t *slot;
	int rc;

	memset(s, 0, sizeof(*s));
	link_props_init(&s->props);
	if ((rc = ctl_str(params, "name", true, &s->name, err)) < 0 ||
	    (rc = ctl_str(params, "link", true, &s->link, err)) < 0 ||
	    (rc = ctl_str(params, "mac", false, &s->mac, err)) < 0 ||
	    (rc = ctl_str(params, "mac_prefix", false, &s->mac_prefix, err)) < 0 ||
	    (rc = ctl_str(params, "kind", false, &kind, err)) < 0 ||
	    (rc = ctl_vid(params, &s->vid, err)) < 0 ||
	    (rc = ctl_bool(params, "temporary", &s->temporary, err)) < 0 ||
	    (rc = ctl_props(json_object_get(params, "props"), &s->props, err)) < 0)
		return rc;
	if (kind && strcmp(kind, "host") && strcmp(kind, "guest"))
		return rpc_errorf(err, EINVAL, "kind must be 'host' or 'guest'");
	s->mac_slot = -1;
	slot = json_object_get(params, "mac_slot");
	if (slot && (!json_is_integer(slot) || json_integer_value(slot) < 1 ||
		     json_integer_value(slot) > 255 || !s->mac ||
		     strcmp(s->mac, "factory") != 0))
		return rpc_errorf(err, EINVAL, "invalid factory MAC address "
				  "slot");
	if (slot)
		s->mac_slot = (int)json_integer_value(slot);
	s->kind = kind && !strcmp(kind, "guest") ? VNIC_GUEST : VNIC_HOST;
	return 0;
}

static int vnic_ctl_create(struct vswd *d, json_t *params, json_t **result,
			   struct rpc_error *err)
{
	struct vnic_spec s;
	struct vsw_vnic *v;
	char mac[MAC_STRLEN];
	int rc = vnic_ctl_spec(params, &s, err);

	if (rc == 0)
		rc = place_check_pin(d, &s.props, err);
	if (rc == 0)
		rc = vnic_create(d, &s, &v, err);
	if (rc < 0)
		return rc;
	if (!v->temporary)
		persist_changed(d);
	*result = json_pack("{s:s, s:s, s:s}", "name", v->name,
			    "mac", mac_format(&v->mac, mac),
			    "macaddrtype", v->mac_random ? "random" : "fixed");
	if (*result && v->kind == VNIC_GUEST)
		json_object_set_new(*result, "socket", json_string(v->socket));
	return 0;
}
CTL_COMMAND("vnic.create", vnic_ctl_create,
	    "name link [mac] [mac_prefix] [mac_slot] [vid] [kind] [temporary] "
	    "[props]");

static int vnic_ctl_delete(struct vswd *d, json_t *params,
			   json_t **result UNUSED, struct rpc_error *err)
{
	struct vsw_vnic *v;
	const char *name;
	bool temporary, saved;
	int rc = ctl_name_temp(params, &name, &temporary, err);

	if (rc < 0)
		return rc;
	v = vnic_find(d, name);
	if (!v && persist_is_dormant(d, name)) {
		/* saved, not running: only its saved entry can go */
		if (temporary)
			return rpc_errorf(err, ENOENT, "'%s' is not active (its "
					  "saved configuration is removed "
					  "without -t)", name);
		persist_forget_dormant(d, name);
		persist_changed(d);
		log_info("vnic %s: saved configuration deleted", name);
		return 0;
	}
	/* a VNIC's flows only: another link gets vnic_delete's answer */
	if (v && flows_on_link(d, name))
		return rpc_errorf(err, EBUSY, "link still has flows");
	saved = v && !v->temporary;
	if (saved && temporary)
		persist_keep_dormant(d, v);	/* back at restart */
	rc = vnic_delete(d, name, temporary, err);
	/* a saved entry repeating the name (kept at restore) goes too */
	if (rc == 0 && !temporary && persist_forget_dormant(d, name))
		saved = true;
	if (rc == 0 && saved && !temporary)
		persist_changed(d);
	return rc;
}
CTL_COMMAND("vnic.delete", vnic_ctl_delete, "name [temporary]");

/* A saved VNIC entry (persist_vnics()) as a vnic.list row: what
 * vnicadm show-vnic -P prints. No state or counters: it may not run. */
static json_t *vnic_saved_json(struct vswd *d, const json_t *e)
{
	const char *over = json_string_value(json_object_get(e, "link"));
	struct vsw_link *l = over ? link_find(d, over) : NULL;
	const char *type = json_string_value(json_object_get(e, "macaddrtype"));
	const char *kind = json_string_value(json_object_get(e, "kind"));
	struct link_props p;
	uint64_t speed;
	json_t *o;

	persist_vnic_props(e, &p);
	speed = p.maxbw ? p.maxbw / 1000000 : l ? link_speed_mbps(l) : 0;
	/* an entry written by hand may lack the optional keys: what
	 * persist_restore() would make of it; no PMD: it may not run */
	o = json_pack("{s:O?, s:s?, s:I, s:I, s:O?, s:s, s:O?, s:s, s:b, s:i}",
		"name", json_object_get(e, "name"), "over", over,
		"speed", (json_int_t)speed, "maxbw", (json_int_t)p.maxbw,
		"mac", json_object_get(e, "mac"),
		"macaddrtype", type && !strcmp(type, "random") ? "random" : "fixed",
		"vid", json_object_get(e, "vid"),
		"kind", kind && !strcmp(kind, "guest") ? "guest" : "host",
		"temporary", false, "mtu", (int)p.mtu);
	if (o)
		json_object_set_new(o, "pmd", json_null());
	return o;
}

/* vnic.list with "persistent": the saved configuration's VNICs. */
static int vnic_list_saved(struct vswd *d, const char *name, const char *link,
			   json_t **result, struct rpc_error *err)
{
	json_t *saved = persist_vnics(d), *arr = json_array(), *e;
	size_t i;

	if (!saved || !arr) {
		json_decref(saved);
		json_decref(arr);
		return rpc_errorf(err, ENOMEM, "out of memory");
	}
	if (name && !persist_vnic_find(saved, name)) {
		json_decref(saved);
		json_decref(arr);
		return link_find(d, name) ?
			rpc_errorf(err, EINVAL, "'%s' is not a vnic", name) :
			rpc_errorf(err, ENOENT, "object not found");
	}
	json_array_foreach(saved, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));
		const char *o = json_string_value(json_object_get(e, "link"));

		if ((!name || (n && !strcmp(name, n))) &&
		    (!link || (o && !strcmp(link, o))))
			json_array_append_new(arr, vnic_saved_json(d, e));
	}
	json_decref(saved);
	*result = json_pack("{s:o}", "vnics", arr);
	return 0;
}

static int vnic_ctl_list(struct vswd *d, json_t *params, json_t **result,
			 struct rpc_error *err)
{
	const char *name, *link;
	bool stats, persistent;
	int rc;

	if ((rc = ctl_str(params, "name", false, &name, err)) < 0 ||
	    (rc = ctl_str(params, "link", false, &link, err)) < 0 ||
	    (rc = ctl_bool(params, "stats", &stats, err)) < 0 ||
	    (rc = ctl_bool(params, "persistent", &persistent, err)) < 0)
		return rc;
	if (persistent && stats)
		return rpc_errorf(err, EINVAL, "'stats' and 'persistent' "
				  "cannot be used together");
	if (persistent)
		return vnic_list_saved(d, name, link, result, err);
	if (name && !vnic_find(d, name))
		return link_find(d, name) ?
			rpc_errorf(err, EINVAL, "'%s' is not a vnic", name) :
			rpc_errorf(err, ENOENT, "object not found");
	if (link && !link_name_taken(d, link))
		return rpc_errorf(err, ENOENT, "object not found");
	*result = json_pack("{s:o}", "vnics", vnics_json(d, name, link, stats));
	return 0;
}
CTL_COMMAND("vnic.list", vnic_ctl_list,
	    "[name] [link] [stats] [persistent]");
