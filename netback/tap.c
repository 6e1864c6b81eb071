/*
 * Host VNICs: a kernel tap interface with the VNIC's name and MAC
 * (Documentation/networking/tuntap.rst), IFF_TAP | IFF_NO_PI, nonblocking.
 * The fd keeps working when the interface is moved into another network
 * namespace; the interface goes away when the fd is closed. One read() or
 * write() per frame.
 */
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <linux/if_tun.h>

#include "xvm/log.h"
#include "port.h"

#define TAP_MAX_SEGS	8

struct tap {
	int fd;
	struct rte_mempool *pool;
	char ifname[IFNAMSIZ];
	uint8_t spill[1];		/* PMD: detects oversized frames */
};

/* An ioctl on the interface by name, in our network namespace. */
static int tap_ifreq(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(s, req, ifr) < 0)
		rc = -errno;
	close(s);
	return rc;
}

static int tap_setup(const struct tap *t, const struct nb_port_conf *c)
{
	struct ifreq ifr;
	int rc;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, c->mac.b, MAC_LEN);
	rc = tap_ifreq(t->ifname, SIOCSIFHWADDR, &ifr);
	if (rc < 0)
		return rc;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = (int)(c->mtu ? c->mtu : 1500);
	rc = tap_ifreq(t->ifname, SIOCSIFMTU, &ifr);
	if (rc < 0)
		return rc;
	memset(&ifr, 0, sizeof(ifr));
	rc = tap_ifreq(t->ifname, SIOCGIFFLAGS, &ifr);
	if (rc < 0)
		return rc;
	ifr.ifr_flags |= IFF_UP;
	return tap_ifreq(t->ifname, SIOCSIFFLAGS, &ifr);
}

static int tap_open(struct nb_port *p, const struct nb_port_conf *c)
{
	struct tap *t;
	struct ifreq ifr;
	int rc;

	if (strlen(c->name) >= IFNAMSIZ || !c->pool)
		return -EINVAL;
	if (if_nametoindex(c->name) != 0)
		return -EEXIST;		/* never take over an existing device */
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pool = c->pool;
	snprintf(t->ifname, sizeof(t->ifname), "%s", c->name);
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		rc = -errno;
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", c->name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = tap_setup(t, c);
	if (rc < 0)
		goto fail;
	p->priv = t;
	return 0;
fail:
	log_err("tap %s: %s", c->name, strerror(-rc));
	if (t->fd >= 0)
		close(t->fd);
	free(t);
	return rc;
}

static void tap_close(struct nb_port *p)
{
	struct tap *t = p->priv;

	close(t->fd);
	free(t);
}

static uint16_t tap_rx_burst(struct nb_port *p, struct rte_mbuf **pkts,
			     uint16_t n)
{
	struct tap *t = p->priv;
	uint16_t got = 0;

	if (n == 0 || rte_pktmbuf_alloc_bulk(t->pool, pkts, n) != 0)
		return 0;
	while (got < n) {
		struct rte_mbuf *m = pkts[got];
		uint16_t room = rte_pktmbuf_tailroom(m);
		/* one byte more than the mbuf takes: a longer frame (an MTU
		 * above the mbuf size) would otherwise pass truncated */
		struct iovec iov[2] = {
			{ rte_pktmbuf_mtod(m, void *), room },
			{ t->spill, sizeof(t->spill) },
		};
		ssize_t r = readv(t->fd, iov, 2);

		if (r <= 0)
			break;		/* EAGAIN: nothing more for now */
		if (r > room)
			r = 0;		/* the switch drops it as malformed */
		m->data_len = (uint16_t)r;
		m->pkt_len = (uint32_t)r;
		got++;
	}
	for (uint16_t i = got; i < n; i++)
		rte_pktmbuf_free(pkts[i]);
	return got;
}

static uint16_t tap_tx_burst(struct nb_port *p, struct rte_mbuf **pkts,
			     uint16_t n)
{
	struct tap *t = p->priv;
	uint16_t i;

	for (i = 0; i < n; i++) {
		struct iovec iov[TAP_MAX_SEGS];
		struct rte_mbuf *s = pkts[i];
		int k = 0;

		for (; s && k < TAP_MAX_SEGS; s = s->next, k++) {
			iov[k].iov_base = rte_pktmbuf_mtod(s, void *);
			iov[k].iov_len = s->data_len;
		}
		if (writev(t->fd, iov, k) < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK))
			break;		/* kernel queue full: keep the rest */
		/* other errors (interface down: EIO) drop the frame */
		rte_pktmbuf_free(pkts[i]);
	}
	return i;
}

static int tap_wait_begin(struct nb_port *p, struct nb_wait *w)
{
	w->fd = ((const struct tap *)p->priv)->fd;
	w->gen = 0;		/* the same fd for the port's life */
	w->counter = false;
	return 0;
}

/* Is the interface still in our network namespace? Once moved, its name
 * here may belong to another interface, which we must never touch. */
static bool tap_in_our_netns(const struct tap *t)
{
	struct stat a, b;
	int nsfd = ioctl(t->fd, TUNGETDEVNETNS);
	bool same;

	if (nsfd < 0)
		return false;
	same = fstat(nsfd, &a) == 0 && stat("/proc/self/ns/net", &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	close(nsfd);
	return same;
}

static int tap_set_mtu(struct nb_port *p, uint32_t mtu)
{
	struct tap *t = p->priv;
	struct ifreq ifr;

	if (!tap_in_our_netns(t))
		return -ENOTSUP;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = (int)mtu;
	return tap_ifreq(t->ifname, SIOCSIFMTU, &ifr);
}

static int tap_link_state(const struct nb_port *p UNUSED)
{
	return 1;	/* our end is up while the fd is open */
}

const struct nb_port_ops nb_tap_ops = {
	.name = "tap",
	.open = tap_open,
	.close = tap_close,
	.rx_burst = tap_rx_burst,
	.tx_burst = tap_tx_burst,
	.wait_begin = tap_wait_begin,
	.set_mtu = tap_set_mtu,
	.link_state = tap_link_state,
};
