/*
 * Uplinks: a host interface attached through DPDK's af_packet PMD
 * (drivers/net/af_packet, a PACKET_MMAP socket bound to that one
 * interface), hot-plugged with rte_dev_probe() when a link is first named
 * and removed when the last user goes. Only the interface the request named
 * is ever attached.
 *
 * Frame sizes: the PMD copies each received frame into one mbuf and its
 * ring frames are 2 KiB by default (frames up to 1982 bytes). An
 * interface whose MTU is above 1500 when it is attached gets 9216-byte
 * ring frames (four per 36 KiB block, 256 of them each way; the kernel
 * allocates 64 KiB per block: 8 MiB in all) and receives into the jumbo
 * pool, so frames up to NB_MAX_FRAME pass whole. The ring is sized once:
 * an MTU raised later takes effect when the link is attached again.
 *
 * Waking an idle PMD: the af_packet PMD's socket (one per queue pair; its
 * fd is not in DPDK's API) polls readable while its receive ring holds a
 * frame not yet taken, and the kernel wakes its waiters for each frame.
 * uplink_open() finds it as the AF_PACKET socket bound to the interface
 * that rte_dev_probe() made (one we did not have before), and wait_begin
 * hands it to the PMD, which epolls it as it does a tap's fd: a frame
 * from the LAN wakes a sleeping PMD at once instead of at its next
 * timeout (up to 4 ms). If none is found, the uplink is polled as before.
 */
#include <dirent.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "xvm/log.h"
#include "port.h"

#define UPLINK_RXD	512
#define UPLINK_TXD	512
/* af_packet devargs for a jumbo-capable ring: a frame holds the ring
 * header (66 bytes before the Ethernet header) and NB_MAX_FRAME; the PMD
 * wants framesz - 32 <= the mbufs' room (NB_JUMBO_ROOM) and finds frame
 * i at i * framesz, so a block (page-aligned) must hold whole frames
 * with nothing left over: 4 frames of 9216 bytes in 9 pages. */
#define UPLINK_JUMBO_ARGS	",blocksz=36864,framesz=9216,framecnt=256"
#define UPLINK_SMALL_MTU	1500

#define UPLINK_MAX_SOCKS	8

struct uplink {
	uint16_t port_id;
	int rx_fd;		/* the af_packet PMD's socket (its own), -1:
				 * none found, the port is polled */
	bool started;
	bool was_promisc;	/* IFF_PROMISC set before we came: leave it */
	char devname[RTE_DEV_NAME_MAX_LEN];
};

/* Whether the administrator (or another program) put ifname in
 * promiscuous mode: SIOCGIFFLAGS reports the flag as set through
 * SIOCSIFFLAGS, not the count packet sockets hold. */
static bool uplink_promisc_now(const char *ifname)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool on = false;

	if (fd < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0)
		on = ifr.ifr_flags & IFF_PROMISC;
	close(fd);
	return on;
}

/* Up to max fds of ours that are AF_PACKET sockets bound to ifindex;
 * their number (at most max). */
static unsigned uplink_packet_fds(int ifindex, int *fds, unsigned max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	unsigned n = 0;

	if (!d)
		return 0;
	while (n < max && (de = readdir(d))) {
		struct sockaddr_ll sll;
		socklen_t len = sizeof(sll);
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || fd == dirfd(d))
			continue;
		memset(&sll, 0, sizeof(sll));
		if (getsockname((int)fd, (struct sockaddr *)&sll, &len) == 0 &&
		    sll.sll_family == AF_PACKET && sll.sll_ifindex == ifindex)
			fds[n++] = (int)fd;
	}
	closedir(d);
	return n;
}

/* The one socket bound to ifindex in after[] that is not in before[]:
 * the one rte_dev_probe() made; -1 if not exactly one. */
static int uplink_new_fd(const int *before, unsigned nb, const int *after,
			 unsigned na)
{
	int found = -1;

	for (unsigned i = 0; i < na; i++) {
		bool old = false;

		for (unsigned j = 0; j < nb; j++)
			old |= after[i] == before[j];
		if (old)
			continue;
		if (found >= 0)
			return -1;
		found = after[i];
	}
	return found;
}

static int uplink_start(struct uplink *u, struct rte_mempool *pool)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(u->port_id, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(u->port_id, 0, UPLINK_RXD,
					    rte_eth_dev_socket_id(u->port_id),
					    NULL, pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(u->port_id, 0, UPLINK_TXD,
					    rte_eth_dev_socket_id(u->port_id),
					    NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(u->port_id);
	if (rc < 0)
		return rc;
	u->started = true;
	/* frames for VNIC MACs must reach us; the af_packet PMD sets the
	 * interface's IFF_PROMISC, which uplink_close() clears again
	 * unless it was set already */
	rc = rte_eth_promiscuous_enable(u->port_id);
	if (rc < 0)
		log_warn("uplink %s: promiscuous mode: %s", u->devname,
			 rte_strerror(-rc));
	return 0;
}

static int uplink_open(struct nb_port *p, const struct nb_port_conf *c)
{
	struct uplink *u;
	char args[RTE_DEV_NAME_MAX_LEN + IFNAMSIZ + 96];
	bool jumbo = c->mtu > UPLINK_SMALL_MTU;
	int before[UPLINK_MAX_SOCKS], after[UPLINK_MAX_SOCKS];
	unsigned nb, na;
	int ifindex, rc;

	if (!c->ifname || strlen(c->ifname) >= IFNAMSIZ || !c->pool ||
	    (jumbo && !c->jumbo))
		return -EINVAL;
	ifindex = (int)if_nametoindex(c->ifname);
	if (ifindex == 0)
		return -ENOENT;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->rx_fd = -1;
	snprintf(u->devname, sizeof(u->devname), "net_af_packet_%s", c->ifname);
	snprintf(args, sizeof(args), "%s,iface=%s,qpairs=1%s", u->devname,
		 c->ifname, jumbo ? UPLINK_JUMBO_ARGS : "");
	u->was_promisc = uplink_promisc_now(c->ifname);
	nb = uplink_packet_fds(ifindex, before, UPLINK_MAX_SOCKS);
	rc = rte_dev_probe(args);
	if (rc < 0) {
		log_err("uplink %s: cannot attach: %s", c->ifname,
			rte_strerror(-rc));
		free(u);
		return rc;
	}
	na = uplink_packet_fds(ifindex, after, UPLINK_MAX_SOCKS);
	u->rx_fd = uplink_new_fd(before, nb, after, na);
	if (u->rx_fd < 0)
		log_warn("uplink %s: its af_packet socket not found: polled, "
			 "frames may wait up to 4 ms for an idle switch",
			 c->ifname);
	rc = rte_eth_dev_get_port_by_name(u->devname, &u->port_id);
	if (rc == 0)
		rc = uplink_start(u, jumbo ? c->jumbo : c->pool);
	if (rc < 0)
		goto fail;
	p->priv = u;
	log_info("uplink %s: attached as DPDK port %u (mtu %u, %s frames, %s)",
		 c->ifname, u->port_id, c->mtu, jumbo ? "jumbo" : "2 KiB",
		 u->rx_fd >= 0 ? "wakes the switch" : "polled");
	return 0;
fail:
	log_err("uplink %s: cannot start: %s", c->ifname, rte_strerror(-rc));
	rte_eal_hotplug_remove("vdev", u->devname);
	free(u);
	return rc;
}

static void uplink_close(struct nb_port *p)
{
	struct uplink *u = p->priv;

	if (u->started && !u->was_promisc &&
	    rte_eth_promiscuous_disable(u->port_id) < 0)
		log_warn("uplink %s: cannot turn promiscuous mode off again",
			 p->name);
	if (u->started)
		rte_eth_dev_stop(u->port_id);
	rte_eth_dev_close(u->port_id);
	rte_eal_hotplug_remove("vdev", u->devname);
	log_info("uplink %s: detached", p->name);
	free(u);
}

static uint16_t uplink_rx_burst(struct nb_port *p, struct rte_mbuf **pkts,
				uint16_t n)
{
	return rte_eth_rx_burst(((struct uplink *)p->priv)->port_id, 0, pkts, n);
}

static uint16_t uplink_tx_burst(struct nb_port *p, struct rte_mbuf **pkts,
				uint16_t n)
{
	return rte_eth_tx_burst(((struct uplink *)p->priv)->port_id, 0, pkts, n);
}

/* The idle PMD epolls the af_packet socket: readable while a received
 * frame waits in its ring (left there for rx_burst). */
static int uplink_wait_begin(struct nb_port *p, struct nb_wait *w)
{
	const struct uplink *u = p->priv;

	if (u->rx_fd < 0)
		return -EAGAIN;
	w->fd = u->rx_fd;
	w->gen = 0;		/* the same socket for the port's life */
	w->counter = false;
	return 0;
}

static int uplink_link_state(const struct nb_port *p)
{
	struct rte_eth_link link;

	if (rte_eth_link_get_nowait(((struct uplink *)p->priv)->port_id,
				    &link) < 0)
		return -1;
	return link.link_status == RTE_ETH_LINK_UP;
}

static int uplink_stats(const struct nb_port *p, struct nb_port_stats *st)
{
	uint16_t port = ((struct uplink *)p->priv)->port_id;
	struct rte_eth_dev_info info;
	struct rte_eth_stats es;
	int rc = rte_eth_stats_get(port, &es);

	if (rc < 0)
		return rc;
	st->rx_missed = es.imissed;
	if (rte_eth_dev_info_get(port, &info) == 0) {
		st->rx_queues = info.nb_rx_queues;
		st->tx_queues = info.nb_tx_queues;
	}
	return 0;
}

const struct nb_port_ops nb_uplink_ops = {
	.name = "uplink",
	.open = uplink_open,
	.close = uplink_close,
	.rx_burst = uplink_rx_burst,
	.tx_burst = uplink_tx_burst,
	.wait_begin = uplink_wait_begin,
	.set_mtu = NULL,
	.link_state = uplink_link_state,
	.stats = uplink_stats,
};
