/*
 * Host Ethernet interfaces (show-phys, and the check before an interface
 * becomes an uplink): listed through libnl-route (RTM_GETLINK); speed and
 * duplex from sysfs (/sys/class/net/<if>/speed, duplex), the driver from
 * the ethtool ETHTOOL_GDRVINFO ioctl, auto-negotiation and flow control
 * (show-ether) from ETHTOOL_GSET and ETHTOOL_GPAUSEPARAM. Bridges, VLANs, taps (our own host
 * VNICs among them) and other virtual devices are not phys links; veth and
 * dummy interfaces are, so tests can build a LAN. Owns the phys.list
 * control method.
 */
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/sockios.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "xvm/log.h"
#include "control.h"
#include "vswitchd.h"

/* Link types (IFLA_INFO_KIND) that may serve as uplinks; NULL is a
 * device with a driver of its own (a NIC, virtio_net). */
static const char *const phys_kinds[] = { "veth", "dummy", "bond", "team" };

static bool phys_kind_ok(const char *kind)
{
	if (!kind)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(phys_kinds); i++)
		if (strcmp(kind, phys_kinds[i]) == 0)
			return true;
	return false;
}

static bool phys_link_ok(struct rtnl_link *l)
{
	return rtnl_link_get_arptype(l) == ARPHRD_ETHER &&
	       phys_kind_ok(rtnl_link_get_type(l));
}

static long phys_sysfs_long(const char *ifname, const char *attr)
{
	char path[128], buf[32];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f))
		v = strtol(buf, NULL, 10);
	fclose(f);
	return v;
}

uint64_t phys_speed_mbps(const char *ifname)
{
	long v = phys_sysfs_long(ifname, "speed");

	return v > 0 ? (uint64_t)v : 0;
}

uint32_t phys_mtu(const char *ifname)
{
	long v = phys_sysfs_long(ifname, "mtu");

	return v > 0 ? (uint32_t)v : 1500;
}

const char *phys_oper_state(const char *ifname)
{
	char path[128], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", ifname);
	f = fopen(path, "re");
	if (!f)
		return "unknown";	/* gone from our namespace */
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	if (strncmp(buf, "up", 2) == 0)
		return "up";
	if (strncmp(buf, "down", 4) == 0 || strncmp(buf, "lowerlayerdown", 14) == 0)
		return "down";
	return "unknown";
}

static const char *phys_duplex(const char *ifname)
{
	char path[128], buf[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/duplex", ifname);
	f = fopen(path, "re");
	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	if (strncmp(buf, "full", 4) == 0)
		return "full";
	if (strncmp(buf, "half", 4) == 0)
		return "half";
	return "unknown";
}

/* One ethtool get request on the interface: 0 or -1. */
static int phys_ethtool(const char *ifname, void *req)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = req;
	rc = ioctl(s, SIOCETHTOOL, &ifr);
	close(s);
	return rc < 0 ? -1 : 0;
}

static void phys_driver(const char *ifname, char *buf, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };

	if (phys_ethtool(ifname, &info) == 0)
		snprintf(buf, len, "%s", info.driver);
	else
		snprintf(buf, len, "?");
}

/* show-ether's AUTO: auto-negotiation on, off, or null (not said). */
static json_t *phys_autoneg(const char *ifname)
{
	struct ethtool_cmd cmd = { .cmd = ETHTOOL_GSET };

	if (phys_ethtool(ifname, &cmd) < 0)
		return json_null();
	return json_boolean(cmd.autoneg == AUTONEG_ENABLE);
}

/* show-ether's PAUSE: flow control "bi", "rx", "tx", "no" or null. */
static json_t *phys_pause(const char *ifname)
{
	struct ethtool_pauseparam pp = { .cmd = ETHTOOL_GPAUSEPARAM };

	if (phys_ethtool(ifname, &pp) < 0)
		return json_null();
	return json_string(pp.rx_pause && pp.tx_pause ? "bi" :
			   pp.rx_pause ? "rx" : pp.tx_pause ? "tx" : "no");
}

static const char *phys_state(struct rtnl_link *l)
{
	switch (rtnl_link_get_operstate(l)) {
	case IF_OPER_UP:
		return "up";
	case IF_OPER_DOWN:
	case IF_OPER_LOWERLAYERDOWN:
	case IF_OPER_NOTPRESENT:
		return "down";
	default:
		return (rtnl_link_get_flags(l) & IFF_UP) ? "up" : "down";
	}
}

/* The interface's current unicast address (show-phys -m's primary
 * slot), or null. */
static json_t *phys_macaddr(struct rtnl_link *l)
{
	struct nl_addr *a = rtnl_link_get_addr(l);
	struct mac_addr m;
	char buf[MAC_STRLEN];

	if (!a || nl_addr_get_len(a) != MAC_LEN)
		return json_null();
	memcpy(m.b, nl_addr_get_binary_addr(a), MAC_LEN);
	return json_string(mac_format(&m, buf));
}

static json_t *phys_json(struct rtnl_link *l)
{
	const char *name = rtnl_link_get_name(l);
	char drv[64];

	phys_driver(name, drv, sizeof(drv));
	return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o}",
			 "name", name, "media", "Ethernet", "state",
			 phys_state(l),
			 "speed", (json_int_t)phys_speed_mbps(name),
			 "duplex", phys_duplex(name), "device", drv,
			 "autoneg", phys_autoneg(name), "pause", phys_pause(name),
			 "macaddress", phys_macaddr(l));
}

static struct nl_sock *phys_connect(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk && nl_connect(sk, NETLINK_ROUTE) < 0) {
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

json_t *phys_list(void)
{
	struct nl_sock *sk = phys_connect();
	struct nl_cache *cache = NULL;
	json_t *arr = NULL;

	if (!sk || rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache) < 0)
		goto fail;
	arr = json_array();
	for (struct nl_object *o = nl_cache_get_first(cache); o && arr;
	     o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;

		if (phys_link_ok(l))
			json_array_append_new(arr, phys_json(l));
	}
fail:
	if (cache)
		nl_cache_free(cache);
	if (sk)
		nl_socket_free(sk);
	if (!arr)
		errno = EIO;
	return arr;
}

int phys_check(const char *name)
{
	struct nl_sock *sk = phys_connect();
	struct rtnl_link *l = NULL;
	int rc;

	if (!sk)
		return -EIO;
	rc = rtnl_link_get_kernel(sk, 0, name, &l);
	if (rc < 0)
		rc = -ENOENT;
	else
		rc = phys_link_ok(l) ? 0 : -EINVAL;
	if (l)
		rtnl_link_put(l);
	nl_socket_free(sk);
	return rc;
}

/* What the switch does with a host interface (show-phys -m and -H):
 * "inuse" when it is attached as an uplink, the VNICs over it
 * ("clients") and the DPDK port's receive and transmit queues (the
 * hardware rings every client shares; 0 when not attached). */
static void phys_add_use(struct vswd *d, json_t *row)
{
	const char *name = json_string_value(json_object_get(row, "name"));
	struct vsw_link *l = name ? link_find(d, name) : NULL;
	struct nb_port_stats st = { .rx_queues = 0 };
	json_t *clients = json_array();

	if (l && l->cls != VSW_LINK_PHYS)
		l = NULL;
	if (l && l->uplink)
		nb_port_stats(l->uplink->nb, &st);
	for (struct vsw_vnic *v = d->vnics; l && v; v = v->next)
		if (v->over == l)
			json_array_append_new(clients, json_string(v->name));
	json_object_set_new(row, "inuse", json_boolean(l && l->uplink));
	json_object_set_new(row, "pmd", l && l->uplink ?
			    json_integer(l->uplink->pmd) : json_null());
	json_object_set_new(row, "clients", clients);
	json_object_set_new(row, "rxrings", json_integer(st.rx_queues));
	json_object_set_new(row, "txrings", json_integer(st.tx_queues));
}

static int phys_ctl_list(struct vswd *d, json_t *params UNUSED,
			 json_t **result, struct rpc_error *err)
{
	json_t *arr = phys_list(), *row;
	size_t i;

	if (!arr)
		return rpc_errorf(err, EIO, "cannot list host interfaces");
	json_array_foreach(arr, i, row)
		phys_add_use(d, row);
	*result = json_pack("{s:o}", "phys", arr);
	return 0;
}
CTL_COMMAND("phys.list", phys_ctl_list, "");
