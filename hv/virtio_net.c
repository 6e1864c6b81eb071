/*
 * virtio-net (virtio 1.2 §5.1, device id 1) as a vhost-user frontend:
 * hv owns the PCI function, feature negotiation and the device
 * configuration (MAC, link status); a vhost-user backend (vswitchd's
 * guest VNIC) owns the data path, working on the guest's rings in the
 * shared guest memory. Queue 0 is receiveq, queue 1 transmitq; no control
 * queue, no multiqueue, no offloads.
 *
 * Set-up (vhost_user.c): on connection GET_FEATURES, protocol features
 * (REPLY_ACK), SET_OWNER; when the driver sets DRIVER_OK, SET_FEATURES
 * (the ring features the driver took), SET_MEM_TABLE (the memfd regions
 * of guest RAM), and per enabled queue SET_VRING_NUM/BASE/ADDR/KICK/CALL
 * and SET_VRING_ENABLE. After that hv is off the data path:
 * - kicks: each queue's kick eventfd is the one the transport registers
 *   as the KVM ioeventfd on its notify address (queue_kick_fd), so a
 *   guest notify signals the backend inside KVM;
 * - calls: when the queue's MSI-X vector is enabled, unmasked and bound,
 *   the backend gets that vector's irqfd and interrupts the guest through
 *   KVM. Otherwise it gets an eventfd of ours: watched by the event loop
 *   (which raises the interrupt the transport's way: INTx and ISR when
 *   MSI-X is off, the pending bit while the vector is masked) or, when
 *   the queue has VIRTIO_MSI_NO_VECTOR (our PV guest polls), never read at
 *   all: the backend's writes cost hv nothing.
 *
 * Ring bases always come from the guest-visible used index (the backend
 * has finished every buffer it put there, and buffers it took but never
 * finished are made available to it again), so a session can be rebuilt
 * after the backend died, without the guest noticing, and migration needs
 * no ring state beyond the transport's and guest memory.
 *
 * Backend restart: EOF on the socket (or any protocol error) drops the
 * session, takes the link down (configuration change) and retries the
 * connection every 50-200 ms; the new session replays features, memory
 * table and rings, and the link comes back up.
 *
 * Live migration (vhost-user.rst "Migration"): the backend writes frames
 * and used entries into guest memory, which KVM's dirty log never sees.
 * While a migration logs (vnet_dirty_log), the backend gets hv's dirty
 * log memfd (SET_LOG_BASE, protocol feature LOG_SHMFD), VHOST_F_LOG_ALL
 * in SET_FEATURES and each ring's used-ring address with
 * VHOST_VRING_F_LOG, and sets a bit per page it writes; a session started
 * meanwhile starts that way. Turning it off sends the features and ring
 * addresses without them. After an incoming migration (vnet_announce)
 * the backend sends a RARP from the guest's MAC once the rings run
 * (SEND_RARP, protocol feature RARP), so the LAN learns the new port.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include "xvm/log.h"
#include "vhost_user.h"
#include "virtio_pci.h"
#include "virtio_net.h"

#define VNET_RXQ		0
#define VNET_TXQ		1
#define VNET_NQ			2

/* Features hv implements itself (configuration space). */
#define VNET_HV_FEATURES	(1ULL << VIRTIO_NET_F_MAC | \
				 1ULL << VIRTIO_NET_F_STATUS)
/* Features the backend implements on the rings; offered if it has them. */
#define VNET_RING_FEATURES	(1ULL << VIRTIO_F_VERSION_1 | \
				 1ULL << VIRTIO_NET_F_MRG_RXBUF | \
				 1ULL << VIRTIO_RING_F_EVENT_IDX | \
				 1ULL << VIRTIO_RING_F_INDIRECT_DESC)

struct virtio_net;

struct vnet_queue {
	struct virtio_net *n;
	unsigned int index;
	int kick_fd;		/* registered as the queue's ioeventfd */
	int call_fd;		/* ours, for when no irqfd applies */
	int call_sent;		/* fd given with SET_VRING_CALL, -1 if none */
	bool call_watched;	/* call_fd watched by the event loop */
	bool started;		/* handed to the backend */
};

struct virtio_net {
	struct vm *vm;
	struct virtio_pci *vp;
	char path[108];
	struct mac_addr mac;
	uint16_t mtu;			/* offered with VIRTIO_NET_F_MTU; 0 not */
	struct vhost_user vu;
	uint64_t backend_features;	/* last GET_FEATURES, kept while gone */
	bool backend_known;
	uint64_t acked;			/* last SET_FEATURES */
	bool link_up;
	bool sock_watched;
	bool connecting;		/* GET_FEATURES sent, reply pending */
	bool ever_connected;
	int timer_fd;			/* reconnect timer */
	unsigned int retry_ms;
	uint64_t down_ms;		/* when the backend went away */
	uint64_t reconnects;
	bool logging;			/* a migration logs guest writes */
	bool announce;			/* RARP due once the rings run */
	struct vnet_queue q[VNET_NQ];
};

static uint64_t vnet_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct virtio_net *vnet_of(struct virtio_pci *vp)
{
	return virtio_pci_model(vp);
}

/* Connected and handshaken: messages may be sent. */
static bool vnet_ready(const struct virtio_net *n)
{
	return vhost_user_connected(&n->vu) && !n->connecting;
}

/* ---- link state and configuration (§5.1.4) ---- */

static void vnet_set_link(struct virtio_net *n, bool up)
{
	if (n->link_up == up)
		return;
	n->link_up = up;
	virtio_pci_config_changed(n->vp);
}

static uint32_t vnet_cfg_read(struct virtio_pci *vp, uint32_t off,
			      unsigned int size)
{
	struct virtio_net *n = vnet_of(vp);
	uint8_t cfg[VIRTIO_NET_CFG_SIZE];
	uint16_t status = n->link_up ? VIRTIO_NET_S_LINK_UP : 0, pairs = 1;
	uint16_t mtu = n->mtu ? n->mtu : 1500;
	uint32_t v = 0;

	memcpy(cfg, n->mac.b, MAC_LEN);
	memcpy(cfg + 6, &status, 2);
	memcpy(cfg + 8, &pairs, 2);
	memcpy(cfg + 10, &mtu, 2);
	if (off + size <= sizeof(cfg))
		memcpy(&v, cfg + off, size);
	return v;
}

/* What the driver is offered: hv's own features, and the ring features
 * the backend has (all of them while it was never seen). */
static uint64_t vnet_get_features(struct virtio_pci *vp)
{
	struct virtio_net *n = vnet_of(vp);
	uint64_t ring = VNET_RING_FEATURES;

	if (n->backend_known)
		ring &= n->backend_features;
	return VNET_HV_FEATURES | ring |
	       (n->mtu ? 1ULL << VIRTIO_NET_F_MTU : 0);
}

/* ---- calls: where the backend signals used buffers ---- */

static void vnet_call_ready(void *opaque)
{
	struct vnet_queue *q = opaque;
	uint64_t v;

	if (read(q->call_fd, &v, sizeof(v)) == sizeof(v))
		virtio_pci_queue_signal(q->n->vp, q->index);
}

static void vnet_call_watch(struct vnet_queue *q, bool on)
{
	if (on == q->call_watched)
		return;
	if (on) {
		q->call_watched = vm_watch_fd(q->n->vm, q->call_fd,
					      vnet_call_ready, q) == 0;
	} else {
		vm_unwatch_fd(q->n->vm, q->call_fd);
		q->call_watched = false;
	}
}

/* Give the backend the queue's irqfd if there is one, else our eventfd
 * (watched only if an interrupt can reach the driver). */
static int vnet_call_route(struct virtio_net *n, struct vnet_queue *q)
{
	int irqfd = virtio_pci_queue_irqfd(n->vp, q->index);
	int want = irqfd >= 0 ? irqfd : q->call_fd;
	int rc;

	vnet_call_watch(q, irqfd < 0 &&
			virtio_pci_queue_irq_wanted(n->vp, q->index));
	if (want == q->call_sent)
		return 0;
	rc = vhost_user_set_vring_call(&n->vu, q->index, want);
	if (rc == 0)
		q->call_sent = want;
	return rc;
}

/* ---- session ---- */

static void vnet_queues_forget(struct virtio_net *n)
{
	for (unsigned int i = 0; i < VNET_NQ; i++) {
		n->q[i].started = false;
		n->q[i].call_sent = -1;
		vnet_call_watch(&n->q[i], false);
	}
}

static void vnet_arm_retry(struct virtio_net *n)
{
	struct itimerspec it = {
		.it_value = { .tv_sec = n->retry_ms / 1000,
			      .tv_nsec = (long)(n->retry_ms % 1000) * 1000000 },
	};

	timerfd_settime(n->timer_fd, 0, &it, NULL);
	n->retry_ms = MIN(n->retry_ms * 2, VIRTIO_NET_RETRY_MAX_MS);
}

/* Forget the connection (no message is sent). */
static void vnet_close(struct virtio_net *n)
{
	if (n->sock_watched)
		vm_unwatch_fd(n->vm, n->vu.fd);
	n->sock_watched = false;
	n->connecting = false;
	vhost_user_close(&n->vu);
	vnet_queues_forget(n);
}

/* The session is over (backend gone or misbehaving): link down, retry. */
static void vnet_drop(struct virtio_net *n, const char *why)
{
	if (vhost_user_connected(&n->vu)) {
		log_warn("virtio-net %s: backend %s: link down, reconnecting",
			 n->path, why);
		n->down_ms = vnet_now_ms();
	}
	vnet_close(n);
	vnet_set_link(n, false);
	n->retry_ms = VIRTIO_NET_RETRY_MIN_MS;
	vnet_arm_retry(n);
}

/* used->idx as the guest sees it: the ring base for a (re)start. */
static uint16_t vnet_used_idx(const struct vq *vq)
{
	return __atomic_load_n((uint16_t *)((uint8_t *)vq->used + 2),
			       __ATOMIC_ACQUIRE);
}

/* Ring addresses, with the used ring's log address while logging. */
static int vnet_vring_addr(struct virtio_net *n, unsigned int i,
			   const struct vq *vq)
{
	return vhost_user_set_vring_addr(&n->vu, i, (uintptr_t)vq->desc,
					 (uintptr_t)vq->used,
					 (uintptr_t)vq->avail,
					 n->logging ? vq->used_gpa :
					 VHOST_USER_NO_LOG);
}

/* What SET_FEATURES says: the acked ring features, plus LOG_ALL while
 * a migration logs. */
static uint64_t vnet_features_now(const struct virtio_net *n)
{
	return n->acked | (n->logging ? 1ULL << VHOST_F_LOG_ALL : 0);
}

/* The log memfd, before LOG_ALL is turned on (a backend sets bits only
 * where it has a log). */
static int vnet_log_base(struct virtio_net *n)
{
	const struct vm_dirty *d = n->vm->dirty;

	if (!n->logging)
		return 0;
	if (!d)
		return -EINVAL;
	return vhost_user_set_log_base(&n->vu, d->fd, d->size);
}

static int vnet_queue_start(struct virtio_net *n, struct vnet_queue *q)
{
	struct vq *vq = virtio_pci_queue(n->vp, q->index);
	struct vhost_user *vu = &n->vu;
	int rc;

	if (!vq)
		return 0;		/* the driver did not enable it */
	if ((rc = vhost_user_set_vring_num(vu, q->index, vq->size)) < 0 ||
	    (rc = vhost_user_set_vring_base(vu, q->index,
					    vnet_used_idx(vq))) < 0 ||
	    (rc = vnet_vring_addr(n, q->index, vq)) < 0 ||
	    (rc = vhost_user_set_vring_kick(vu, q->index, q->kick_fd)) < 0 ||
	    (rc = vnet_call_route(n, q)) < 0 ||
	    (rc = vhost_user_set_vring_enable(vu, q->index, true)) < 0)
		return rc;
	q->started = true;
	return 0;
}

static int vnet_set_mem_table(struct virtio_net *n)
{
	struct vhost_user_region r[ARRAY_SIZE(n->vm->mem)];
	struct vm *vm = n->vm;

	if (vm->mem_fd < 0 || vm->nr_mem == 0 || vm->nr_mem > ARRAY_SIZE(r))
		return -ENODEV;
	for (unsigned int i = 0; i < vm->nr_mem; i++)
		r[i] = (struct vhost_user_region){
			.gpa = vm->mem[i].gpa, .size = vm->mem[i].size,
			.uaddr = (uintptr_t)vm->mem[i].hva,
			.mmap_offset = vm->mem[i].fd_offset, .fd = vm->mem_fd,
		};
	return vhost_user_set_mem_table(&n->vu, r, vm->nr_mem);
}

static int vnet_rarp(struct virtio_net *n);
static void vnet_rarp_kick(struct virtio_net *n);

/* Hand the driver's queues to the backend (DRIVER_OK set, connected). */
static int vnet_start(struct virtio_net *n)
{
	uint64_t ring = virtio_pci_driver_features(n->vp) & VNET_RING_FEATURES;
	int rc, end;

	if (ring & ~n->vu.features) {
		log_err("virtio-net %s: backend lacks features %#llx the "
			"driver uses", n->path,
			(unsigned long long)(ring & ~n->vu.features));
		virtio_pci_needs_reset(n->vp);
		return -ENOTSUP;
	}
	if (n->vu.features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES))
		ring |= 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
	n->acked = ring;
	/* one round trip for the whole set-up, not one per message: this
	 * is on the path of a migration's switch-over (vnet_loaded) */
	vhost_user_batch_begin(&n->vu);
	if ((rc = vnet_log_base(n)) < 0 ||
	    (rc = vhost_user_set_features(&n->vu, vnet_features_now(n))) < 0 ||
	    (rc = vnet_set_mem_table(n)) < 0)
		goto out;
	for (unsigned int i = 0; i < VNET_NQ; i++)
		if ((rc = vnet_queue_start(n, &n->q[i])) < 0)
			goto out;
	rc = vnet_rarp(n);	/* due after a migration or a restore */
out:
	end = vhost_user_batch_end(&n->vu);
	if (rc >= 0 && end < 0) {
		/* a ring was refused: none counts as started */
		for (unsigned int i = 0; i < VNET_NQ; i++)
			n->q[i].started = false;
		rc = end;
	}
	if (rc > 0) {		/* the RARP asked and acked */
		vnet_rarp_kick(n);
		rc = 0;
	}
	return rc;
}

/* Stop the started rings (driver reset): GET_VRING_BASE each. */
static int vnet_stop(struct virtio_net *n)
{
	unsigned int base;
	int rc = 0;

	for (unsigned int i = 0; i < VNET_NQ && rc == 0; i++)
		if (n->q[i].started)
			rc = vhost_user_get_vring_base(&n->vu, i, &base);
	vnet_queues_forget(n);
	return rc;
}

static void vnet_announce_now(struct virtio_net *n);

/* Connected and handshaken: start the rings if the driver is ready. */
static int vnet_session_up(struct virtio_net *n)
{
	int rc;

	if (virtio_pci_driver_ok(n->vp) && (rc = vnet_start(n)) < 0)
		return rc;
	vnet_set_link(n, true);
	vnet_announce_now(n);
	return 0;
}

static void vnet_sock_ready(void *opaque)
{
	virtio_net_backend_event(opaque);
}

/* Handshaken: remember what the backend offers, start if the driver is
 * ready. A backend lacking features the driver took leaves the link down
 * (the device needs a reset) but stays connected. */
static int vnet_session_begin(struct virtio_net *n)
{
	int rc;

	n->backend_features = n->vu.features;
	n->backend_known = true;
	rc = vnet_session_up(n);
	return rc == -ENOTSUP ? 0 : rc;
}

/* Connect and handshake at once: at creation, before the guest runs. */
static int vnet_connect_sync(struct virtio_net *n)
{
	int rc;

	if ((rc = vhost_user_connect(&n->vu, n->path)) < 0 ||
	    (rc = vhost_user_handshake(&n->vu, VHOST_USER_PROTOCOL_WANTED)) < 0)
		goto fail;
	n->sock_watched = vm_watch_fd(n->vm, n->vu.fd, vnet_sock_ready,
				      n) == 0;
	if ((rc = vnet_session_begin(n)) < 0)
		goto fail;
	return 0;
fail:
	vnet_close(n);
	return rc;
}

/* Connect and send GET_FEATURES; the reply is read when the socket is
 * readable (a backend that is still starting holds no lock of ours),
 * or given up when the timer fires first. */
static int vnet_connect_async(struct virtio_net *n)
{
	struct itimerspec it = {
		.it_value = { .tv_sec = VHOST_USER_TIMEOUT_MS / 1000,
			      .tv_nsec = VHOST_USER_TIMEOUT_MS % 1000 * 1000000L },
	};
	int rc;

	if ((rc = vhost_user_connect(&n->vu, n->path)) < 0 ||
	    (rc = vhost_user_handshake_begin(&n->vu)) < 0)
		goto fail;
	n->sock_watched = vm_watch_fd(n->vm, n->vu.fd, vnet_sock_ready,
				      n) == 0;
	n->connecting = true;
	timerfd_settime(n->timer_fd, 0, &it, NULL);
	return 0;
fail:
	vnet_close(n);
	return rc;
}

static void vnet_connect_finish(struct virtio_net *n)
{
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };
	int rc;

	n->connecting = false;
	timerfd_settime(n->timer_fd, 0, &off, NULL);
	rc = vhost_user_handshake_finish(&n->vu, VHOST_USER_PROTOCOL_WANTED);
	if (rc == 0)
		rc = vnet_session_begin(n);
	if (rc < 0) {
		vnet_close(n);
		vnet_arm_retry(n);
		return;
	}
	if (n->ever_connected) {
		n->reconnects++;
		log_warn("virtio-net %s: backend back after %llu ms, link %s",
			 n->path, (unsigned long long)(vnet_now_ms() - n->down_ms),
			 n->link_up ? "up" : "still down");
	}
	n->ever_connected = true;
}

void virtio_net_retry(struct virtio_net *n)
{
	uint64_t v;

	if (read(n->timer_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (n->connecting) {
		log_warn("virtio-net %s: backend does not answer", n->path);
		vnet_close(n);
	}
	if (vhost_user_connected(&n->vu))
		return;
	if (vnet_connect_async(n) < 0)
		vnet_arm_retry(n);
}

static void vnet_timer_ready(void *opaque)
{
	virtio_net_retry(opaque);
}

void virtio_net_backend_event(struct virtio_net *n)
{
	int rc;

	if (n->connecting) {
		vnet_connect_finish(n);
		return;
	}
	rc = vhost_user_check_idle(&n->vu);
	if (rc < 0)
		vnet_drop(n, rc == -ECONNRESET ? "gone" : "broke the protocol");
}

/* A failed message during a session: start over. */
static void vnet_check(struct virtio_net *n, int rc, const char *what)
{
	if (rc < 0 && vhost_user_connected(&n->vu) && rc != -ENOTSUP) {
		log_warn("virtio-net %s: %s failed: %s", n->path, what,
			 strerror(-rc));
		vnet_drop(n, "failed");
	}
}

/* ---- transport callbacks ---- */

static void vnet_driver_ok(struct virtio_pci *vp)
{
	struct virtio_net *n = vnet_of(vp);

	if (vnet_ready(n))
		vnet_check(n, vnet_session_up(n), "start");
}

static void vnet_reset(struct virtio_pci *vp)
{
	struct virtio_net *n = vnet_of(vp);

	vnet_check(n, vnet_stop(n), "stop");
}

static void vnet_irq_changed(struct virtio_pci *vp)
{
	struct virtio_net *n = vnet_of(vp);
	int rc = 0;

	for (unsigned int i = 0; i < VNET_NQ && rc == 0; i++)
		if (n->q[i].started)
			rc = vnet_call_route(n, &n->q[i]);
	vnet_check(n, rc, "SET_VRING_CALL");
}

/* A kick that reached the MMIO handler (no ioeventfd): pass it on. */
static void vnet_queue_notify(struct virtio_pci *vp, unsigned int q)
{
	struct virtio_net *n = vnet_of(vp);
	uint64_t one = 1;

	if (q < VNET_NQ && write(n->q[q].kick_fd, &one, sizeof(one)) < 0)
		log_debug("virtio-net %s: kick: %m", n->path);
}

static int vnet_queue_kick_fd(struct virtio_pci *vp, unsigned int q)
{
	struct virtio_net *n = vnet_of(vp);

	return q < VNET_NQ ? n->q[q].kick_fd : -1;
}

/* ---- save/load: MAC, link status, features acked to the backend ---- */

static int vnet_save(struct virtio_pci *vp, struct snap_writer *w)
{
	struct virtio_net *n = vnet_of(vp);

	snap_put_bytes(w, n->mac.b, MAC_LEN);
	snap_put_u8(w, n->link_up);
	snap_put_u64(w, n->acked);
	return snap_writer_error(w);
}

static int vnet_load(struct virtio_pci *vp, struct snap_reader *r)
{
	struct virtio_net *n = vnet_of(vp);
	struct mac_addr mac;
	uint64_t acked;
	bool link;

	snap_get_bytes(r, mac.b, MAC_LEN);
	snap_get_bool(r, &link);
	snap_get_u64(r, &acked);
	if (r->err)
		return -EINVAL;
	if (!mac_is_unicast(&mac) ||
	    (acked & ~(VNET_RING_FEATURES |
		       1ULL << VHOST_USER_F_PROTOCOL_FEATURES)))
		return snap_fail(r, "virtio-net MAC or features");
	n->mac = mac;
	n->link_up = link;
	n->acked = acked;
	return 0;
}

/* The loaded transport state is in place: rebuild the session on it. */
static void vnet_loaded(struct virtio_pci *vp)
{
	struct virtio_net *n = vnet_of(vp);

	/* link_up is what the guest saw; a change from it is announced */
	vnet_check(n, vnet_stop(n), "stop before load");
	if (vnet_ready(n))
		vnet_check(n, vnet_session_up(n), "start after load");
	else
		vnet_set_link(n, false);
}

/* A save (migrate.c) is about to copy guest RAM: stop the backend's
 * rings with GET_VRING_BASE, so it writes no more frames into guest
 * memory. The restored NIC restarts each ring at its used index in the
 * saved RAM (vnet_queue_start); a backend that had taken descriptors it
 * never gave back would make the two differ, which is logged. stop
 * false: the save failed, start the rings again. */
static void vnet_quiesce(struct virtio_pci *vp, bool stop)
{
	struct virtio_net *n = vnet_of(vp);
	unsigned int base;
	int rc = 0;

	if (!stop) {
		if (vnet_ready(n))
			vnet_check(n, vnet_session_up(n), "restart after save");
		return;
	}
	for (unsigned int i = 0; i < VNET_NQ && rc == 0; i++) {
		uint16_t used;

		if (!n->q[i].started)
			continue;
		rc = vhost_user_get_vring_base(&n->vu, i, &base);
		used = vnet_used_idx(virtio_pci_queue(n->vp, i));
		if (rc == 0 && (uint16_t)base != used)
			log_warn("virtio-net %s: queue %u stopped at %u, used "
				 "index %u: %u descriptors in flight lost",
				 n->path, i, base, used,
				 (uint16_t)(base - used));
	}
	vnet_queues_forget(n);
	vnet_check(n, rc, "stop for save");
}

/* ---- live migration: the backend's dirty log, the announce ---- */

static bool vnet_any_started(const struct virtio_net *n)
{
	for (unsigned int i = 0; i < VNET_NQ; i++)
		if (n->q[i].started)
			return true;
	return false;
}

/* Tell a running session that logging changed: the log (on), then the
 * features, then each started ring's addresses, the order QEMU uses. */
static int vnet_log_apply(struct virtio_net *n)
{
	int rc;

	if ((rc = vnet_log_base(n)) < 0 || !vnet_any_started(n))
		return rc;
	if ((rc = vhost_user_set_features(&n->vu, vnet_features_now(n))) < 0)
		return rc;
	for (unsigned int i = 0; i < VNET_NQ && rc == 0; i++)
		if (n->q[i].started)
			rc = vnet_vring_addr(n, i, virtio_pci_queue(n->vp, i));
	return rc;
}

static bool vnet_can_log(const struct virtio_net *n)
{
	return (n->vu.features & (1ULL << VHOST_F_LOG_ALL)) &&
	       (n->vu.protocol_features &
		(1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD));
}

/* hv_device_ops.dirty_log. Without a session the backend writes
 * nothing (it has no memory table); one started meanwhile logs from
 * its start (vnet_start). */
static int vnet_dirty_log(struct virtio_pci *vp, bool on, char *msg,
			  size_t msglen)
{
	struct virtio_net *n = vnet_of(vp);
	int rc;

	if (on && vnet_ready(n) && !vnet_can_log(n)) {
		snprintf(msg, msglen, "virtio-net %s: the backend cannot log "
			 "its writes to guest memory (it lacks VHOST_F_LOG_ALL "
			 "or protocol feature LOG_SHMFD)", n->path);
		return -ENOTSUP;
	}
	n->logging = on;
	if (!vnet_ready(n))
		return 0;
	rc = vnet_log_apply(n);
	if (rc < 0 && on) {
		snprintf(msg, msglen, "virtio-net %s: turning the backend's "
			 "dirty log on: %s", n->path, strerror(-rc));
		n->logging = false;
	}
	vnet_check(n, rc, on ? "dirty log on" : "dirty log off");
	return on ? rc : 0;
}

/* The RARP if one is due and the transmit ring runs: the backend sends
 * it as the guest's first frame on this port. In vnet_start's batch its
 * ack is read with the rings'. 1 if asked. */
static int vnet_rarp(struct virtio_net *n)
{
	int rc;

	if (!n->announce || !vnet_ready(n) || !n->q[VNET_TXQ].started)
		return 0;
	n->announce = false;
	if (!(n->vu.protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_RARP))) {
		log_warn("virtio-net %s: the backend cannot send a RARP: the "
			 "LAN learns the guest's new port from its next frame",
			 n->path);
		return 0;
	}
	rc = vhost_user_send_rarp(&n->vu, n->mac.b);
	if (rc == 0) {
		char m[MAC_STRLEN];

		log_info("virtio-net %s: RARP from %s asked of the backend",
			 n->path, mac_format(&n->mac, m));
	}
	return rc < 0 ? rc : 1;
}

/* After the RARP was asked (and acked): a kick of the transmit ring.
 * A backend sends the RARP when it next looks at that ring; one that
 * naps while idle (vswitchd's PMD: up to 4 ms) would look only at its
 * next timeout or the guest's next kick, and until the RARP reaches the
 * LAN, frames for the guest go to its old port and are lost. A kick
 * with nothing new in the ring is harmless (virtio 1.x 2.7.13.2 lets a
 * device be notified spuriously). */
static void vnet_rarp_kick(struct virtio_net *n)
{
	uint64_t one = 1;

	if (write(n->q[VNET_TXQ].kick_fd, &one, sizeof(one)) < 0)
		log_debug("virtio-net %s: kick after the RARP: %m", n->path);
}

static void vnet_announce_now(struct virtio_net *n)
{
	int rc = vnet_rarp(n);

	if (rc > 0)
		vnet_rarp_kick(n);
	vnet_check(n, rc < 0 ? rc : 0, "SEND_RARP");
}

/* hv_device_ops.announce: now, or when a session starts the rings. An
 * incoming migration announces before the state arrives (mig_incoming,
 * once the stream's configuration matches): the rings then start with
 * the state, the RARP in the same batch, and the memory table, which
 * needs no state, goes to the backend now, off the switch-over's path
 * (the batch sends it again; the backend skips an unchanged table). */
static void vnet_announce(struct virtio_pci *vp)
{
	struct virtio_net *n = vnet_of(vp);

	n->announce = true;
	if (vnet_ready(n) && !vnet_any_started(n) &&
	    !virtio_pci_driver_ok(n->vp)) {
		vnet_check(n, vnet_set_mem_table(n), "SET_MEM_TABLE");
		return;
	}
	vnet_announce_now(n);
}

static const struct virtio_dev_ops vnet_ops = {
	.quiesce = vnet_quiesce,
	.dirty_log = vnet_dirty_log,
	.announce = vnet_announce,
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.class_code = 0x020000,		/* network, Ethernet */
	.num_queues = VNET_NQ,
	.queue_max = VIRTIO_NET_QUEUE_MAX,
	.cfg_size = VIRTIO_NET_CFG_SIZE,
	.cfg_read = vnet_cfg_read,
	.queue_notify = vnet_queue_notify,
	.reset = vnet_reset,
	.save = vnet_save,
	.load = vnet_load,
	.get_features = vnet_get_features,
	.queue_kick_fd = vnet_queue_kick_fd,
	.driver_ok = vnet_driver_ok,
	.irq_changed = vnet_irq_changed,
	.loaded = vnet_loaded,
};

/* ---- creation ---- */

static int vnet_fds_open(struct virtio_net *n)
{
	for (unsigned int i = 0; i < VNET_NQ; i++) {
		n->q[i].kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		n->q[i].call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (n->q[i].kick_fd < 0 || n->q[i].call_fd < 0)
			return -errno;
	}
	n->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	return n->timer_fd < 0 ? -errno : 0;
}

static void vnet_free(struct virtio_net *n)
{
	for (unsigned int i = 0; i < VNET_NQ; i++) {
		if (n->q[i].kick_fd >= 0)
			close(n->q[i].kick_fd);
		if (n->q[i].call_fd >= 0)
			close(n->q[i].call_fd);
	}
	if (n->timer_fd >= 0)
		close(n->timer_fd);
	free(n);
}

static struct virtio_net *vnet_alloc(struct vm *vm, const char *sock,
				     const struct mac_addr *mac)
{
	struct virtio_net *n;

	if (!sock || strlen(sock) >= sizeof(n->path) || !mac ||
	    !mac_is_unicast(mac)) {
		errno = EINVAL;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->vm = vm;
	strcpy(n->path, sock);
	n->mac = *mac;
	n->timer_fd = -1;
	vhost_user_init(&n->vu);
	for (unsigned int i = 0; i < VNET_NQ; i++)
		n->q[i] = (struct vnet_queue){ .n = n, .index = i,
					       .kick_fd = -1, .call_fd = -1,
					       .call_sent = -1 };
	return n;
}

struct virtio_net *virtio_net_create(struct vm *vm, struct pci_bus *bus,
				     const char *sock,
				     const struct mac_addr *mac)
{
	struct virtio_net *n = vnet_alloc(vm, sock, mac);
	int rc;

	if (!n)
		return NULL;
	rc = vnet_fds_open(n);
	if (rc < 0)
		goto fail;
	n->vp = virtio_pci_create(vm, bus, &vnet_ops, n);
	if (!n->vp) {
		rc = -errno;
		goto fail;
	}
	vm_watch_fd(vm, n->timer_fd, vnet_timer_ready, n);	/* no loop in tests */
	rc = vnet_connect_sync(n);
	if (rc < 0) {
		log_warn("virtio-net %s: backend not there (%s): link down, "
			 "retrying", sock, strerror(-rc));
		n->retry_ms = VIRTIO_NET_RETRY_MIN_MS;
		vnet_arm_retry(n);
	}
	n->ever_connected = rc == 0;
	return n;
fail:
	vnet_free(n);
	errno = -rc;
	return NULL;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	if (n->sock_watched)
		vm_unwatch_fd(n->vm, n->vu.fd);
	vnet_queues_forget(n);
	vm_unwatch_fd(n->vm, n->timer_fd);
	vhost_user_close(&n->vu);
	virtio_pci_destroy(n->vp);	/* deassigns the ioeventfds first */
	vnet_free(n);
}

void virtio_net_set_mtu(struct virtio_net *n, uint16_t mtu)
{
	n->mtu = mtu;
}

struct virtio_pci *virtio_net_transport(struct virtio_net *n)
{
	return n->vp;
}

bool virtio_net_link_up(const struct virtio_net *n)
{
	return n->link_up;
}

bool virtio_net_connected(const struct virtio_net *n)
{
	return vnet_ready(n);
}

bool virtio_net_queue_started(const struct virtio_net *n, unsigned int q)
{
	return q < VNET_NQ && n->q[q].started;
}

const struct mac_addr *virtio_net_mac(const struct virtio_net *n)
{
	return &n->mac;
}

const char *virtio_net_path(const struct virtio_net *n)
{
	return n->path;
}

unsigned int virtio_net_slot(struct virtio_net *n)
{
	return virtio_pci_dev(n->vp)->slot;
}

uint64_t virtio_net_reconnects(const struct virtio_net *n)
{
	return n->reconnects;
}

/* ---- --net vnic=SOCKET[,mac=MAC][,mtu=N]: the device table's entry ---- */

extern const struct dev_type pcihp_dev_type;

#define VNET_NICS_MAX		8

/* What the --net options asked for, in order. */
struct vnet_opts {
	unsigned int nr;
	struct vnet_opt {
		char sock[PATH_MAX];
		struct mac_addr mac;
		bool have_mac;
		uint16_t mtu;
	} nic[VNET_NICS_MAX];
};

static int vnet_parse_item(struct vnet_opt *o, const char *item, char *msg,
			   size_t msglen)
{
	struct stat st;

	if (strncmp(item, "vnic=", 5) == 0 && item[5]) {
		if (stat(item + 5, &st) < 0) {
			snprintf(msg, msglen, "--net: %s: %s", item + 5,
				 strerror(errno));
			return -EINVAL;
		}
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(msg, msglen, "--net: %s: not a socket",
				 item + 5);
			return -EINVAL;
		}
		snprintf(o->sock, sizeof(o->sock), "%s", item + 5);
	} else if (strncmp(item, "mac=", 4) == 0) {
		if (mac_parse(item + 4, &o->mac) < 0 ||
		    !mac_is_unicast(&o->mac)) {
			snprintf(msg, msglen, "--net: mac=%s is not a unicast "
				 "MAC address", item + 4);
			return -EINVAL;
		}
		o->have_mac = true;
	} else if (strncmp(item, "mtu=", 4) == 0) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(item + 4, &end, 10);
		if (errno || end == item + 4 || *end ||
		    v < VIRTIO_NET_MTU_MIN || v > VIRTIO_NET_MTU_MAX) {
			snprintf(msg, msglen, "--net: mtu=%s is not a number "
				 "in %d-%d", item + 4, VIRTIO_NET_MTU_MIN,
				 VIRTIO_NET_MTU_MAX);
			return -EINVAL;
		}
		o->mtu = (uint16_t)v;
	} else {
		snprintf(msg, msglen, "--net: unknown item '%s' "
			 "(vnic=SOCKET[,mac=MAC][,mtu=N])", item);
		return -EINVAL;
	}
	return 0;
}

/* Items of one --net, in a copy strtok_r may cut up. */
static int vnet_parse_items(struct vnet_opt *o, const char *arg, char *msg,
			    size_t msglen)
{
	char *copy = strdup(arg), *item, *save = NULL;
	int rc = 0;

	if (!copy) {
		snprintf(msg, msglen, "--net: out of memory");
		return -ENOMEM;
	}
	for (item = strtok_r(copy, ",", &save); item && rc == 0;
	     item = strtok_r(NULL, ",", &save))
		rc = vnet_parse_item(o, item, msg, msglen);
	free(copy);
	return rc;
}

static int vnet_parse_option(void **opts, const char *arg, char *msg,
			     size_t msglen)
{
	struct vnet_opts *all = *opts;
	struct vnet_opt *o;
	int rc;

	if (all && all->nr >= VNET_NICS_MAX) {
		snprintf(msg, msglen, "--net: at most %d NICs", VNET_NICS_MAX);
		return -ENOSPC;
	}
	if (!all && !(all = *opts = calloc(1, sizeof(*all)))) {
		snprintf(msg, msglen, "--net: out of memory");
		return -ENOMEM;
	}
	o = &all->nic[all->nr];
	*o = (struct vnet_opt){ 0 };
	rc = vnet_parse_items(o, arg, msg, msglen);
	if (rc < 0)
		return rc;
	if (!o->sock[0]) {
		snprintf(msg, msglen, "--net needs vnic=SOCKET");
		return -EINVAL;
	}
	if (!o->have_mac && mac_random(&o->mac, NULL, 0) < 0) {
		snprintf(msg, msglen,
			 "--net: cannot make a random MAC address");
		return -EIO;
	}
	all->nr++;
	return 0;
}

/* One NIC per --net, in order, in the PCI slots after the console's. */
static int vnet_dev_create(struct devices *d, const void *opts)
{
	const struct vnet_opts *all = opts;
	struct pci_bus *bus = devices_find(d, &pci_dev_type);
	struct pcihp *hp = devices_find(d, &pcihp_dev_type);

	if (!all)
		return 0;
	if (!bus)
		return -ENODEV;
	for (unsigned int i = 0; i < all->nr; i++) {
		const struct vnet_opt *o = &all->nic[i];
		struct virtio_net *n;
		int rc;

		n = virtio_net_create(devices_vm(d), bus, o->sock, &o->mac);
		if (!n) {
			rc = dev_create_error();
			log_err("virtio-net %s: %s", o->sock, strerror(-rc));
			return rc;
		}
		virtio_net_set_mtu(n, o->mtu);
		rc = devices_add(d, n, n->vp);
		if (rc < 0)
			return rc;
		if (hp)		/* NICs may be unplugged (RMV) */
			pcihp_set_removable(hp, virtio_net_slot(n), true);
	}
	return 0;
}

static void vnet_dev_destroy(void *dev)
{
	virtio_net_destroy(dev);
}

const struct dev_type virtio_net_dev_type = {
	.name = "virtio-net",
	.option = "net",
	.option_help = "vnic=SOCKET[,mac=MAC][,mtu=N]",
	.parse_option = vnet_parse_option,
	.create = vnet_dev_create,
	.destroy = vnet_dev_destroy,
	.snap = &virtio_pci_device_ops,
};
