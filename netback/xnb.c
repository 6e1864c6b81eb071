/*
 * Guest VNICs ("xnb", the netback): a vhost-user server socket per VNIC
 * through DPDK's vhost library, which maps the guest's memory and works on
 * its virtqueues directly (vhost-user protocol, virtio 1.2 §5.1 net device).
 * Features offered: the library's defaults (VERSION_1, MRG_RXBUF, EVENT_IDX,
 * INDIRECT_DESC, LOG_ALL for migration, protocol features, ...) without
 * offloads, control queue or multiqueue.
 *
 * A frontend may connect, disconnect and reconnect at any time: the vhost
 * thread calls new_device/destroy_device, which publish or withdraw the
 * device id the PMD uses. destroy_device waits (RCU, rte_rcu_qsbr) until
 * the PMD has passed a quiescent point, so the library never frees rings
 * the PMD is still walking. The guest is polled and its kicks are off
 * while the PMD is awake; before the idle PMD sleeps it turns the kicks of
 * the guest's transmit queue on and sleeps on that queue's kick eventfd
 * (wait_begin), so a guest that sends wakes it at once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <rte_vhost.h>

#include "xvm/log.h"
#include "port.h"
#include "xnb_features.h"

#define XNB_RXQ		0	/* the guest's receive queue: we enqueue */
#define XNB_TXQ		1	/* the guest's transmit queue: we dequeue */

struct xnb {
	struct xnb *next;
	int vid;			/* vhost device id, -1 when none */
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *qsbr;
	struct nb_port *port;		/* ours (its PMD's wake fd) */
	uint64_t conn;			/* frontends connected so far */
	int notify_vid;			/* PMD: the device whose kicks are on
					 * (wait_begin), -1 none */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Ports by socket path, for the vhost thread's callbacks. */
static pthread_mutex_t xnb_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xnb *xnb_list;

static struct xnb *xnb_by_vid_locked(int vid)
{
	char path[sizeof(((struct xnb *)0)->path)];

	if (rte_vhost_get_ifname(vid, path, sizeof(path)) < 0)
		return NULL;
	for (struct xnb *x = xnb_list; x; x = x->next)
		if (strcmp(x->path, path) == 0)
			return x;
	return NULL;
}

static int xnb_new_device(int vid)
{
	struct xnb *x;

	pthread_mutex_lock(&xnb_lock);
	x = xnb_by_vid_locked(vid);
	if (x) {
		rte_vhost_enable_guest_notification(vid, XNB_RXQ, 0);
		rte_vhost_enable_guest_notification(vid, XNB_TXQ, 0);
		__atomic_add_fetch(&x->conn, 1, __ATOMIC_RELEASE);
		__atomic_store_n(&x->vid, vid, __ATOMIC_RELEASE);
		/* an idle PMD watches the new kick fd from now on */
		nb_port_wake(x->port);
		log_info("xnb %s: frontend connected (vid %d)", x->path, vid);
	}
	pthread_mutex_unlock(&xnb_lock);
	return x ? 0 : -1;
}

static void xnb_destroy_device(int vid)
{
	struct xnb *x;

	pthread_mutex_lock(&xnb_lock);
	x = xnb_by_vid_locked(vid);
	if (x && x->vid == vid) {
		__atomic_store_n(&x->vid, -1, __ATOMIC_RELEASE);
		/* the PMD may still be inside a burst on vid */
		rte_rcu_qsbr_synchronize(x->qsbr, RTE_QSBR_THRID_INVALID);
		log_info("xnb %s: frontend gone", x->path);
	}
	pthread_mutex_unlock(&xnb_lock);
}

static int xnb_vring_state_changed(int vid UNUSED, uint16_t q UNUSED,
				   int enable UNUSED)
{
	return 0;
}

static const struct rte_vhost_device_ops xnb_vhost_ops = {
	.new_device = xnb_new_device,
	.destroy_device = xnb_destroy_device,
	.vring_state_changed = xnb_vring_state_changed,
};

/* What a failed rte_vhost_driver_* call means for the client: the
 * library reports only -1 and logs the rest, but socket(), bind() and
 * the allocations under it leave errno; running out of file descriptors
 * or memory is worth saying, anything else is EIO. */
static int xnb_vhost_errno(void)
{
	return errno == EMFILE || errno == ENFILE || errno == ENOMEM ?
	       -errno : -EIO;
}

static int xnb_register(struct xnb *x)
{
	uint64_t f = 0;
	struct stat st;
	int rc;

	/* a stale socket of a previous run; never anything else */
	if (lstat(x->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(x->path);
	}
	errno = 0;
	rc = rte_vhost_driver_register(x->path, 0);	/* server mode */
	if (rc < 0)
		return xnb_vhost_errno();
	if (rte_vhost_driver_disable_features(x->path, XNB_NO_FEATURES) < 0 ||
	    rte_vhost_driver_get_features(x->path, &f) < 0 ||
	    (f & XNB_FEATURES) != XNB_FEATURES ||
	    rte_vhost_driver_callback_register(x->path, &xnb_vhost_ops) < 0 ||
	    rte_vhost_driver_start(x->path) < 0) {
		rc = xnb_vhost_errno();
		rte_vhost_driver_unregister(x->path);
		return rc;
	}
	return 0;
}

static void xnb_unlink(struct xnb *x)
{
	pthread_mutex_lock(&xnb_lock);
	for (struct xnb **pp = &xnb_list; *pp; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	}
	pthread_mutex_unlock(&xnb_lock);
}

static int xnb_open(struct nb_port *p, const struct nb_port_conf *c)
{
	struct xnb *x;
	int rc;

	if (!c->path || strlen(c->path) >= sizeof(x->path) || !c->pool ||
	    !c->qsbr)
		return -EINVAL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->vid = -1;
	x->notify_vid = -1;
	x->pool = c->pool;
	x->qsbr = c->qsbr;
	x->port = p;
	strcpy(x->path, c->path);
	pthread_mutex_lock(&xnb_lock);
	x->next = xnb_list;
	xnb_list = x;
	pthread_mutex_unlock(&xnb_lock);
	rc = xnb_register(x);
	if (rc < 0)
		goto fail;
	p->priv = x;
	return 0;
fail:
	/* xnb_register left nothing registered; the path is not ours to
	 * remove (-EEXIST: something else is there) */
	log_err("xnb %s: cannot listen on %s", c->name, c->path);
	xnb_unlink(x);
	free(x);
	return rc;
}

static void xnb_close(struct nb_port *p)
{
	struct xnb *x = p->priv;

	/* calls destroy_device if a frontend is connected; the vhost thread
	 * may be inside a callback, so retry while the library is busy */
	for (int i = 0; i < 1000; i++) {
		int rc = rte_vhost_driver_unregister(x->path);

		if (rc != -EAGAIN && rc != -EBUSY)
			break;
		usleep(1000);
	}
	xnb_unlink(x);
	unlink(x->path);	/* the library removes it too; be sure */
	free(x);
}

static uint16_t xnb_rx_burst(struct nb_port *p, struct rte_mbuf **pkts,
			     uint16_t n)
{
	struct xnb *x = p->priv;
	int vid = __atomic_load_n(&x->vid, __ATOMIC_ACQUIRE);

	if (vid < 0 || n == 0)
		return 0;
	return rte_vhost_dequeue_burst(vid, XNB_TXQ, x->pool, pkts, n);
}

static uint16_t xnb_tx_burst(struct nb_port *p, struct rte_mbuf **pkts,
			     uint16_t n)
{
	struct xnb *x = p->priv;
	int vid = __atomic_load_n(&x->vid, __ATOMIC_ACQUIRE);
	uint16_t sent;

	if (vid < 0 || n == 0)
		return 0;
	sent = rte_vhost_enqueue_burst(vid, XNB_RXQ, pkts, n);
	/* the library copied them into the guest's buffers */
	rte_pktmbuf_free_bulk(pkts, sent);
	return sent;
}

static bool xnb_carrier(const struct nb_port *p)
{
	return __atomic_load_n(&((struct xnb *)p->priv)->vid,
			       __ATOMIC_ACQUIRE) >= 0;
}

/* The guest kicks the transmit queue's eventfd once it queues a frame
 * (with EVENT_IDX: once it goes past where we are, so a kick comes at
 * most once per sleep). The vid stays valid meanwhile: the PMD is an RCU
 * reader and destroy_device waits for it. */
static int xnb_wait_begin(struct nb_port *p, struct nb_wait *w)
{
	struct xnb *x = p->priv;
	int vid = __atomic_load_n(&x->vid, __ATOMIC_ACQUIRE);
	struct rte_vhost_vring vr;

	if (vid < 0)
		return -ENOTCONN;
	if (rte_vhost_get_vhost_vring(vid, XNB_TXQ, &vr) < 0 || vr.kickfd < 0)
		return -EAGAIN;	/* a frontend without kicks: polled */
	if (rte_vhost_enable_guest_notification(vid, XNB_TXQ, 1) < 0)
		return -EAGAIN;
	x->notify_vid = vid;
	w->fd = vr.kickfd;
	w->gen = __atomic_load_n(&x->conn, __ATOMIC_ACQUIRE);
	w->counter = true;
	return 0;
}

static void xnb_wait_end(struct nb_port *p)
{
	struct xnb *x = p->priv;

	if (x->notify_vid < 0)
		return;
	if (__atomic_load_n(&x->vid, __ATOMIC_ACQUIRE) == x->notify_vid)
		rte_vhost_enable_guest_notification(x->notify_vid, XNB_TXQ, 0);
	x->notify_vid = -1;
}

static int xnb_link_state(const struct nb_port *p)
{
	return __atomic_load_n(&((struct xnb *)p->priv)->vid,
			       __ATOMIC_RELAXED) >= 0;
}

const struct nb_port_ops nb_xnb_ops = {
	.name = "xnb",
	.open = xnb_open,
	.close = xnb_close,
	.rx_burst = xnb_rx_burst,
	.tx_burst = xnb_tx_burst,
	.carrier = xnb_carrier,
	.wait_begin = xnb_wait_begin,
	.wait_end = xnb_wait_end,
	.set_mtu = NULL,
	.link_state = xnb_link_state,
};
