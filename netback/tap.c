/*
 * Host VNICs: a kernel tap interface with the VNIC's name and MAC
 * (Documentation/networking/tuntap.rst), IFF_TAP | IFF_NO_PI, nonblocking.
 * The fd keeps working when the interface is moved into another network
 * namespace; the interface goes away when the fd is closed. One read() or
 * write() per frame. A frame longer than a pool mbuf's room (MTU above
 * about 1900) is read on into a bounce buffer and copied into one mbuf
 * of the jumbo pool; one longer than NB_MAX_FRAME is refused.
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
	struct rte_mempool *jumbo;
	uint64_t missed;		/* PMD writes: frames read but lost
					 * (longer than NB_MAX_FRAME, or no
					 * jumbo mbuf free) */
	char ifname[IFNAMSIZ];
	/* PMD: the rest of a frame longer than an mbuf of pool, one byte
	 * more than NB_MAX_FRAME allows so longer frames are seen */
	uint8_t spill[NB_MAX_FRAME + 1];
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

	if (strlen(c->name) >= IFNAMSIZ || !c->pool || !c->jumbo)
		return -EINVAL;
	if (if_nametoindex(c->name) != 0)
		return -EEXIST;		/* never take over an existing device */
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->pool = c->pool;
	t->jumbo = c->jumbo;
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

/* A frame of len bytes read into m (its first room bytes) and t->spill
 * (the rest): the same frame in one jumbo mbuf (m freed), or NULL when it
 * is longer than NB_MAX_FRAME or no jumbo mbuf is free (m is kept for
 * the next read then, and the frame counted in missed). */
static struct rte_mbuf *tap_jumbo(struct tap *t, struct rte_mbuf *m,
				  uint16_t room, size_t len)
{
	struct rte_mbuf *j;
	uint8_t *d;

	j = len <= NB_MAX_FRAME ? rte_pktmbuf_alloc(t->jumbo) : NULL;
	if (!j) {
		__atomic_store_n(&t->missed, t->missed + 1, __ATOMIC_RELAXED);
		return NULL;
	}
	d = rte_pktmbuf_mtod(j, uint8_t *);
	memcpy(d, rte_pktmbuf_mtod(m, const uint8_t *), room);
	memcpy(d + room, t->spill, len - room);
	j->data_len = (uint16_t)len;
	j->pkt_len = (uint32_t)len;
	rte_pktmbuf_free(m);
	return j;
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
		if (r > room) {
			m = tap_jumbo(t, m, room, (size_t)r);
			if (!m)
				continue;	/* dropped, counted */
			pkts[got] = m;
		} else {
			m->data_len = (uint16_t)r;
			m->pkt_len = (uint32_t)r;
		}
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

/* The cpus property: the tap's receive packet steering (RPS), so the
 * frames vswitchd writes into it are processed by the host's stack on
 * those CPUs: /sys/class/net/IF/queues/rx-0/rps_cpus, a hex mask in
 * comma-separated 32-bit groups ("0" for none). */
static int tap_set_cpus(struct nb_port *p, const uint64_t *mask,
			unsigned nwords)
{
	struct tap *t = p->priv;
	char path[96], buf[LINKPROP_MAX_CPUS / 32 * 9 + 2] = "0";
	size_t off = 0;
	int top = -1, fd, rc = 0;
	ssize_t n;

	if (!tap_in_our_netns(t))
		return -ENOTSUP;
	for (int i = 0; i < (int)nwords * 2; i++)
		if ((uint32_t)(mask[i / 2] >> (32 * (i % 2))))
			top = i;
	for (int i = top; i >= 0 && off < sizeof(buf); i--) {
		uint32_t g = (uint32_t)(mask[i / 2] >> (32 * (i % 2)));

		off += (size_t)snprintf(buf + off, sizeof(buf) - off,
					i == top ? "%x" : ",%08x", g);
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues/rx-0/rps_cpus",
		 t->ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOTSUP : -errno;	/* no RPS */
	n = write(fd, buf, strlen(buf));
	if (n < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static int tap_stats(const struct nb_port *p, struct nb_port_stats *st)
{
	st->rx_missed = __atomic_load_n(&((const struct tap *)p->priv)->missed,
					__ATOMIC_RELAXED);
	return 0;
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
	.set_cpus = tap_set_cpus,
	.link_state = tap_link_state,
	.stats = tap_stats,
};
