/*
 * virtio-blk (virtio 1.2 §5.2, device id 2) whose request queues are
 * processed by a vhost-user-blk backend: --vhost-user-blk SOCKET. The
 * backend (qemu-storage-daemon's vhost-user-blk export, for qcow2, vmdk,
 * vdi, vhd... images hv does not read itself) owns the data path and the
 * device configuration; hv owns the PCI function, feature negotiation
 * and the session.
 *
 * At creation (before the guest runs) hv connects, handshakes (protocol
 * features REPLY_ACK and CONFIG) and reads the configuration space with
 * GET_CONFIG: capacity, seg_max, blk_size, discard limits. A socket that
 * is missing, a backend without CONFIG or VERSION_1, or (readonly) a
 * backend that would accept writes, is an error at start: hv refuses to
 * run rather than show the guest a disk it cannot serve as asked.
 *
 * The driver is offered the backend's features among VUBLK_FEATURES
 * (what our guest driver and Linux use and a read-only configuration
 * describes; no CONFIG_WCE: no configuration writes). With MQ the
 * device has the backend's num_queues request queues (at most 8, the
 * transport's limit; the configuration the driver reads says so).
 * On DRIVER_OK: SET_FEATURES, SET_MEM_TABLE (the memfd regions of guest
 * RAM), SET_VRING_NUM/BASE/ADDR/KICK/CALL and SET_VRING_ENABLE for each
 * queue the driver enabled, as virtio_net.c does: the kick eventfd is
 * the queue's KVM ioeventfd, the call fd the vector's irqfd when MSI-X
 * delivers, else an eventfd of ours the event loop turns into the
 * transport's interrupt (or nobody reads, for a polling driver with no
 * vector).
 *
 * A backend that goes away (EOF, protocol error) cannot be replaced
 * behind the guest's back: requests it had taken are lost, and only the
 * guest can retry them. So the device is marked DEVICE_NEEDS_RESET (the
 * driver fails what is in flight: I/O errors), hv logs it once and keeps
 * running, and reconnects every VUBLK_RETRY_MS. While there is no
 * backend a DRIVER_OK marks the device needing reset again; once one is
 * back, the driver's reset and re-initialisation start a new session.
 *
 * Save and migration (vCPUs paused): the backend still runs, so drain
 * first waits until every started queue's used index caught up with its
 * avail index (each queue kicked once, so requests the guest queued
 * without a kick are taken too), at most VUBLK_DRAIN_MS: a backend that
 * does not answer in time fails the save or migration (the guest runs
 * on) rather than lose a request. Then quiesce stops the rings with
 * GET_VRING_BASE, whose answer is then the used index: the restored or
 * migrated device restarts each ring there, exactly where it stood, and
 * kicks it. Answers the backend signalled on our call eventfd are
 * delivered before the state is taken (the loop does not run meanwhile).
 *
 * Live migration: the backend writes disk data and used entries into
 * guest memory behind the vCPUs' back. While a migration logs
 * (vublk_dirty_log) it gets hv's dirty log as virtio_net.c's backend
 * does: SET_LOG_BASE (protocol feature LOG_SHMFD), VHOST_F_LOG_ALL in
 * SET_FEATURES and each ring's used address with VHOST_VRING_F_LOG, so
 * it marks every page it writes (libvhost-user, qemu-storage-daemon's
 * export, marks the buffers it fills and the used entries); the used
 * rings' pages are marked by hv at the switch-over too (the backend's
 * avail_event writes are not logged). A backend without LOG_ALL or
 * LOG_SHMFD refuses the migration with a clear message.
 *
 * The image is not moved: the destination reaches it through its own
 * backend, which may only open it once the source's let go of it (QEMU's
 * image locks). So a destination can start with ",wait" (needs --incoming
 * or --restore; ",queues=N" gives the queue count the stream has): no
 * backend at creation; the device's configuration and features come
 * from the loaded state; the rings are restored and the guest runs, its
 * disk requests waiting in the avail rings; hv tries the socket every
 * VUBLK_WAIT_MS and, once a backend serving the same disk (same
 * configuration) answers, starts the rings at the saved bases and kicks
 * them. The guest sees a pause in disk I/O, not an error.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include "xvm/log.h"
#include "vhost_user.h"
#include "virtio_pci.h"

#define VUBLK_QUEUE_MAX		256
#define VUBLK_QUEUES_MAX	VIRTIO_PCI_MAX_QUEUES
#define VUBLK_CFG_NUM_QUEUES	offsetof(struct virtio_blk_config, num_queues)
#define VUBLK_RETRY_MS		1000
#define VUBLK_WAIT_MS		10	/* ",wait": the backend's socket tried */
#define VUBLK_DRAIN_MS		5000	/* requests in flight answered, at most */
/* The configuration fields we know, up to write_zeroes_may_unmap. */
#define VUBLK_CFG_SIZE		offsetof(struct virtio_blk_config, \
					 max_secure_erase_sectors)
/* Features passed from the backend to the driver. */
#define VUBLK_FEATURES		(1ULL << VIRTIO_BLK_F_SIZE_MAX | \
				 1ULL << VIRTIO_BLK_F_SEG_MAX | \
				 1ULL << VIRTIO_BLK_F_RO | \
				 1ULL << VIRTIO_BLK_F_BLK_SIZE | \
				 1ULL << VIRTIO_BLK_F_FLUSH | \
				 1ULL << VIRTIO_BLK_F_TOPOLOGY | \
				 1ULL << VIRTIO_BLK_F_DISCARD | \
				 1ULL << VIRTIO_BLK_F_WRITE_ZEROES | \
				 1ULL << VIRTIO_BLK_F_MQ | \
				 1ULL << VIRTIO_RING_F_INDIRECT_DESC | \
				 1ULL << VIRTIO_RING_F_EVENT_IDX | \
				 1ULL << VIRTIO_F_VERSION_1)
#define VUBLK_PROTOCOL		(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK | \
				 1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD | \
				 1ULL << VHOST_USER_PROTOCOL_F_CONFIG)

_Static_assert(VUBLK_CFG_SIZE <= VHOST_USER_CONFIG_MAX,
	       "virtio-blk configuration does not fit one GET_CONFIG");

struct virtio_vublk;

/* One request queue's session state. */
struct vublk_queue {
	struct virtio_vublk *d;
	unsigned int qi;
	int kick_fd;			/* the queue's ioeventfd */
	int call_fd;			/* ours, when no irqfd applies */
	int call_sent;			/* fd given with SET_VRING_CALL, or -1 */
	bool call_watched;
	bool started;			/* handed to the backend */
};

struct virtio_vublk {
	struct vm *vm;
	struct virtio_pci *vp;
	struct virtio_dev_ops ops;
	char path[108];			/* the backend's socket */
	struct vhost_user vu;
	uint64_t features;		/* the backend's, from the first session */
	uint64_t acked;			/* last SET_FEATURES */
	uint8_t cfg[VUBLK_CFG_SIZE];	/* from GET_CONFIG, little endian */
	bool ro;			/* --vhost-user-blk ...,readonly */
	bool sock_watched;
	unsigned int nq;		/* request queues: 1, or num_queues */
	struct vublk_queue q[VUBLK_QUEUES_MAX];
	int timer_fd;			/* reconnect timer */
	uint64_t losses;		/* sessions lost */
	bool logging;			/* a migration logs guest writes */
	bool waiting;			/* ",wait": no backend yet */
	uint64_t wait_since;		/* ms, when the loaded device began to */
};

static struct log_ratelimit vublk_rl = LOG_RATELIMIT_INIT(10000, 2);

static uint64_t vublk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct virtio_vublk *vublk_of(struct virtio_pci *vp)
{
	return virtio_pci_model(vp);
}

static uint32_t vublk_cfg_read(struct virtio_pci *vp, uint32_t off,
			       unsigned int size)
{
	struct virtio_vublk *d = vublk_of(vp);
	uint32_t v = 0;

	/* The transport keeps off + size within VUBLK_CFG_SIZE. */
	memcpy(&v, d->cfg + off, MIN(size, (unsigned int)sizeof(v)));
	return v;
}

static uint64_t vublk_get_features(struct virtio_pci *vp)
{
	return vublk_of(vp)->features & VUBLK_FEATURES;
}

/* ---- calls ---- */

static void vublk_call_ready(void *opaque)
{
	struct vublk_queue *q = opaque;
	uint64_t v;

	if (read(q->call_fd, &v, sizeof(v)) == sizeof(v))
		virtio_pci_queue_signal(q->d->vp, q->qi);
}

static void vublk_call_watch(struct vublk_queue *q, bool on)
{
	if (on == q->call_watched)
		return;
	if (on) {
		q->call_watched = vm_watch_fd(q->d->vm, q->call_fd,
					      vublk_call_ready, q) == 0;
	} else {
		vm_unwatch_fd(q->d->vm, q->call_fd);
		q->call_watched = false;
	}
}

/* The vector's irqfd if MSI-X delivers it, else our eventfd (watched only
 * when an interrupt can reach the driver). */
static int vublk_call_route(struct vublk_queue *q)
{
	struct virtio_vublk *d = q->d;
	int irqfd = virtio_pci_queue_irqfd(d->vp, q->qi);
	int want = irqfd >= 0 ? irqfd : q->call_fd;
	int rc;

	vublk_call_watch(q, irqfd < 0 &&
			 virtio_pci_queue_irq_wanted(d->vp, q->qi));
	if (want == q->call_sent)
		return 0;
	rc = vhost_user_set_vring_call(&d->vu, q->qi, want);
	if (rc == 0)
		q->call_sent = want;
	return rc;
}

/* ---- session ---- */

static void vublk_forget(struct virtio_vublk *d)
{
	for (unsigned int i = 0; i < d->nq; i++) {
		d->q[i].started = false;
		d->q[i].call_sent = -1;
		vublk_call_watch(&d->q[i], false);
	}
}

static void vublk_arm_retry(struct virtio_vublk *d)
{
	unsigned int ms = d->waiting ? VUBLK_WAIT_MS : VUBLK_RETRY_MS;
	struct itimerspec it = {
		.it_value = { .tv_sec = ms / 1000,
			      .tv_nsec = ms % 1000 * 1000000L },
	};

	timerfd_settime(d->timer_fd, 0, &it, NULL);
}

static void vublk_close(struct virtio_vublk *d)
{
	if (d->sock_watched)
		vm_unwatch_fd(d->vm, d->vu.fd);
	d->sock_watched = false;
	vhost_user_close(&d->vu);
	vublk_forget(d);
}

/* The backend is gone or broke the protocol: the driver must reset (what
 * the backend had taken is lost), hv goes on and reconnects. */
static void vublk_drop(struct virtio_vublk *d, const char *why)
{
	if (vhost_user_connected(&d->vu)) {
		d->losses++;
		log_err("vhost-user-blk %s: backend %s: disk failed (device "
			"needs reset), reconnecting every %d ms", d->path, why,
			VUBLK_RETRY_MS);
	}
	vublk_close(d);
	virtio_pci_needs_reset(d->vp);
	vublk_arm_retry(d);
}

static uint16_t vublk_used_idx(const struct vq *vq)
{
	return __atomic_load_n((uint16_t *)((uint8_t *)vq->used + 2),
			       __ATOMIC_ACQUIRE);
}

static uint16_t vublk_avail_idx(const struct vq *vq)
{
	return __atomic_load_n((uint16_t *)((uint8_t *)vq->avail + 2),
			       __ATOMIC_ACQUIRE);
}

static void vublk_kick(struct vublk_queue *q)
{
	uint64_t one = 1;

	if (write(q->kick_fd, &one, sizeof(one)) < 0)
		log_debug("vhost-user-blk %s: kick: %m", q->d->path);
}

/* What SET_FEATURES says: the acked features, plus LOG_ALL while a
 * migration logs. */
static uint64_t vublk_features_now(const struct virtio_vublk *d)
{
	return d->acked | (d->logging ? 1ULL << VHOST_F_LOG_ALL : 0);
}

/* The log memfd, before LOG_ALL is turned on. */
static int vublk_log_base(struct virtio_vublk *d)
{
	const struct vm_dirty *dl = d->vm->dirty;

	if (!d->logging)
		return 0;
	if (!dl)
		return -EINVAL;
	return vhost_user_set_log_base(&d->vu, dl->fd, dl->size);
}

/* Ring addresses, with the used ring's log address while logging. */
static int vublk_vring_addr(struct virtio_vublk *d, unsigned int i,
			    const struct vq *vq)
{
	return vhost_user_set_vring_addr(&d->vu, i, (uintptr_t)vq->desc,
					 (uintptr_t)vq->used,
					 (uintptr_t)vq->avail,
					 d->logging ? vq->used_gpa :
					 VHOST_USER_NO_LOG);
}

static int vublk_set_mem_table(struct virtio_vublk *d)
{
	struct vhost_user_region r[ARRAY_SIZE(d->vm->mem)];
	struct vm *vm = d->vm;

	if (vm->mem_fd < 0 || vm->nr_mem == 0 || vm->nr_mem > ARRAY_SIZE(r) ||
	    vm->nr_mem > VHOST_USER_MAX_REGIONS)
		return -ENODEV;
	for (unsigned int i = 0; i < vm->nr_mem; i++)
		r[i] = (struct vhost_user_region){
			.gpa = vm->mem[i].gpa, .size = vm->mem[i].size,
			.uaddr = (uintptr_t)vm->mem[i].hva,
			.mmap_offset = vm->mem[i].fd_offset, .fd = vm->mem_fd,
		};
	return vhost_user_set_mem_table(&d->vu, r, vm->nr_mem);
}

/* Hand the enabled queues to the backend (DRIVER_OK set, connected). */
static int vublk_start(struct virtio_vublk *d)
{
	uint64_t f = virtio_pci_driver_features(d->vp) & VUBLK_FEATURES;
	struct vhost_user *vu = &d->vu;
	int rc;

	if (f & ~vu->features) {
		log_err("vhost-user-blk %s: backend lacks features %#llx the "
			"driver uses", d->path,
			(unsigned long long)(f & ~vu->features));
		virtio_pci_needs_reset(d->vp);
		return -ENOTSUP;
	}
	f |= 1ULL << VHOST_USER_F_PROTOCOL_FEATURES;
	d->acked = f;
	if ((rc = vublk_log_base(d)) < 0 ||
	    (rc = vhost_user_set_features(vu, vublk_features_now(d))) < 0 ||
	    (rc = vublk_set_mem_table(d)) < 0)
		return rc;
	for (unsigned int i = 0; i < d->nq; i++) {
		struct vublk_queue *q = &d->q[i];
		struct vq *vq = virtio_pci_queue(d->vp, i);

		if (!vq)
			continue;	/* the driver did not enable it */
		if ((rc = vhost_user_set_vring_num(vu, i, vq->size)) < 0 ||
		    (rc = vhost_user_set_vring_base(vu, i,
						    vublk_used_idx(vq))) < 0 ||
		    (rc = vublk_vring_addr(d, i, vq)) < 0 ||
		    (rc = vhost_user_set_vring_kick(vu, i, q->kick_fd)) < 0 ||
		    (rc = vublk_call_route(q)) < 0 ||
		    (rc = vhost_user_set_vring_enable(vu, i, true)) < 0)
			return rc;
		q->started = true;
	}
	/* requests already in the rings (a restored or migrated guest's,
	 * queued while no backend ran) are taken now, whatever the ring's
	 * avail_event said: a spurious kick costs the backend one look */
	for (unsigned int i = 0; i < d->nq; i++)
		if (d->q[i].started)
			vublk_kick(&d->q[i]);
	return 0;
}

/* Stop every started queue; *lost gets how many requests the backend had
 * taken and not answered. */
static int vublk_stop(struct virtio_vublk *d, unsigned int *lost)
{
	unsigned int base;
	struct vq *vq;
	int rc = 0;

	*lost = 0;
	for (unsigned int i = 0; i < d->nq && rc == 0; i++) {
		if (!d->q[i].started)	/* (reset runs in virtio_pci_create too) */
			continue;
		vq = virtio_pci_queue(d->vp, i);
		rc = vhost_user_get_vring_base(&d->vu, i, &base);
		if (rc == 0 && vq)
			*lost += (uint16_t)(base - vublk_used_idx(vq));
	}
	vublk_forget(d);
	return rc;
}

/* A failed message during a session: the session is over. */
static void vublk_check(struct virtio_vublk *d, int rc, const char *what)
{
	if (rc < 0 && rc != -ENOTSUP && vhost_user_connected(&d->vu)) {
		log_warn("vhost-user-blk %s: %s failed: %s", d->path, what,
			 strerror(-rc));
		vublk_drop(d, "failed");
	}
}

static void vublk_sock_ready(void *opaque)
{
	struct virtio_vublk *d = opaque;
	int rc = vhost_user_check_idle(&d->vu);

	if (rc < 0)
		vublk_drop(d, rc == -ECONNRESET ? "gone" :
			   "broke the protocol");
}

/* The request queues of a backend with these features and configuration:
 * its num_queues with MQ (capped at VUBLK_QUEUES_MAX, and cfg then says
 * the cap), else 1. 0 if MQ comes with no queue at all. */
static unsigned int vublk_num_queues(uint64_t features, uint8_t *cfg)
{
	uint16_t n;

	if (!(features & (1ULL << VIRTIO_BLK_F_MQ)))
		return 1;
	memcpy(&n, cfg + VUBLK_CFG_NUM_QUEUES, sizeof(n));
	if (n > VUBLK_QUEUES_MAX) {
		n = VUBLK_QUEUES_MAX;
		memcpy(cfg + VUBLK_CFG_NUM_QUEUES, &n, sizeof(n));
	}
	return n;
}

/* Connect, handshake, check the backend can serve this device; cfg gets
 * its configuration. Synchronous: at creation, and on the reconnect
 * timer (a unix socket connects at once or is refused; a backend that
 * accepts and then does not answer costs one VHOST_USER_TIMEOUT_MS). */
static int vublk_connect(struct virtio_vublk *d, uint8_t *cfg, char *why,
			 size_t whylen)
{
	struct vhost_user *vu = &d->vu;
	int rc;

	rc = vhost_user_connect(vu, d->path);
	if (rc < 0) {
		snprintf(why, whylen, "cannot connect: %s", strerror(-rc));
		return rc;
	}
	rc = vhost_user_handshake(vu, VUBLK_PROTOCOL);
	if (rc < 0) {
		snprintf(why, whylen, "handshake failed: %s", strerror(-rc));
		goto fail;
	}
	rc = -ENOTSUP;
	if (!(vu->features & (1ULL << VIRTIO_F_VERSION_1))) {
		snprintf(why, whylen, "backend lacks VIRTIO_F_VERSION_1");
		goto fail;
	}
	if (!(vu->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG))) {
		snprintf(why, whylen, "backend lacks the CONFIG protocol "
			 "feature (GET_CONFIG): disk size unknown");
		goto fail;
	}
	if (d->ro && !(vu->features & (1ULL << VIRTIO_BLK_F_RO))) {
		snprintf(why, whylen, "readonly, but the backend accepts "
			 "writes (export it with writable=off)");
		goto fail;
	}
	rc = vhost_user_get_config(vu, 0, cfg, VUBLK_CFG_SIZE);
	if (rc < 0) {
		snprintf(why, whylen, "GET_CONFIG failed: %s", strerror(-rc));
		goto fail;
	}
	if (!vublk_num_queues(vu->features, cfg)) {
		rc = -EINVAL;
		snprintf(why, whylen, "backend offers MQ with num_queues 0");
		goto fail;
	}
	d->sock_watched = vm_watch_fd(d->vm, vu->fd, vublk_sock_ready,
				      d) == 0;
	return 0;
fail:
	vhost_user_close(vu);
	return rc;
}

/* ",wait": the first backend, for a loaded device. Its socket may not
 * exist yet (quietly tried again); one that serves another disk (other
 * configuration) or lacks a feature the driver uses is refused and the
 * device needs a reset, as for a lost backend. */
static void vublk_wait_retry(struct virtio_vublk *d)
{
	uint8_t cfg[VUBLK_CFG_SIZE];
	uint64_t used = virtio_pci_driver_features(d->vp) & VUBLK_FEATURES;
	char why[160];
	int rc;

	rc = vublk_connect(d, cfg, why, sizeof(why));
	if (rc == -ENOENT || rc == -ECONNREFUSED) {
		if (vublk_now_ms() - d->wait_since > 10000)
			log_ratelimited(&vublk_rl, LL_WARN, "vhost-user-blk "
					"%s: still waiting for the backend "
					"(%llu s): the guest's disk requests "
					"wait", d->path, (unsigned long long)
					((vublk_now_ms() - d->wait_since) /
					 1000));
		vublk_arm_retry(d);
		return;
	}
	if (rc < 0) {
		log_ratelimited(&vublk_rl, LL_WARN, "vhost-user-blk %s: "
				"backend: %s", d->path, why);
		vublk_arm_retry(d);
		return;
	}
	d->waiting = false;
	if (memcmp(cfg, d->cfg, sizeof(cfg)) || (used & ~d->vu.features)) {
		log_err("vhost-user-blk %s: the backend serves another disk "
			"than the saved one (configuration or features "
			"differ): disk failed (device needs reset)", d->path);
		vublk_close(d);
		virtio_pci_needs_reset(d->vp);
		vublk_arm_retry(d);
		return;
	}
	d->features = d->vu.features;
	log_warn("vhost-user-blk %s: backend connected %llu ms after the "
		 "load: the disk's requests go on", d->path,
		 (unsigned long long)(vublk_now_ms() - d->wait_since));
	if (virtio_pci_driver_ok(d->vp))
		vublk_check(d, vublk_start(d), "start after the wait");
}

/* Reconnect timer: a backend that serves the same disk (same features
 * and configuration) takes over once the driver resets the device. */
static void vublk_retry(void *opaque)
{
	struct virtio_vublk *d = opaque;
	uint8_t cfg[VUBLK_CFG_SIZE];
	char why[160];
	uint64_t v;

	if (read(d->timer_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (vhost_user_connected(&d->vu))
		return;
	if (d->waiting) {
		vublk_wait_retry(d);
		return;
	}
	if (vublk_connect(d, cfg, why, sizeof(why)) < 0) {
		log_ratelimited(&vublk_rl, LL_WARN, "vhost-user-blk %s: "
				"reconnect: %s", d->path, why);
		vublk_arm_retry(d);
		return;
	}
	if (d->vu.features != d->features || memcmp(cfg, d->cfg, sizeof(cfg))) {
		log_err("vhost-user-blk %s: the new backend serves another "
			"disk (features or configuration differ): not used",
			d->path);
		vublk_close(d);
		vublk_arm_retry(d);
		return;
	}
	log_warn("vhost-user-blk %s: backend back; the disk works again "
		 "after the driver resets it", d->path);
}

/* ---- transport callbacks ---- */

static void vublk_driver_ok(struct virtio_pci *vp)
{
	struct virtio_vublk *d = vublk_of(vp);

	if (!vhost_user_connected(&d->vu)) {
		if (!d->waiting)	/* no backend: fail at once */
			virtio_pci_needs_reset(vp);
		return;		/* else the rings start once it is there */
	}
	vublk_check(d, vublk_start(d), "start");
}

static void vublk_reset(struct virtio_pci *vp)
{
	struct virtio_vublk *d = vublk_of(vp);
	unsigned int lost;

	vublk_check(d, vublk_stop(d, &lost), "stop");
}

static void vublk_irq_changed(struct virtio_pci *vp)
{
	struct virtio_vublk *d = vublk_of(vp);

	for (unsigned int i = 0; i < d->nq; i++)
		if (d->q[i].started && vhost_user_connected(&d->vu))
			vublk_check(d, vublk_call_route(&d->q[i]),
				    "SET_VRING_CALL");
}

/* A kick that reached the MMIO handler (no ioeventfd): pass it on. */
static void vublk_queue_notify(struct virtio_pci *vp, unsigned int q)
{
	struct virtio_vublk *d = vublk_of(vp);
	uint64_t one = 1;

	if (q < d->nq && write(d->q[q].kick_fd, &one, sizeof(one)) < 0)
		log_debug("vhost-user-blk %s: kick: %m", d->path);
}

static int vublk_queue_kick_fd(struct virtio_pci *vp, unsigned int q)
{
	struct virtio_vublk *d = vublk_of(vp);

	return q < d->nq ? d->q[q].kick_fd : -1;
}

/* ---- save and migration ---- */

static bool vublk_any_started(const struct virtio_vublk *d)
{
	for (unsigned int i = 0; i < d->nq; i++)
		if (d->q[i].started)
			return true;
	return false;
}

/* Tell a running session that logging changed: the log (on), the
 * features, each started ring's addresses (the order QEMU uses). */
static int vublk_log_apply(struct virtio_vublk *d)
{
	int rc;

	if ((rc = vublk_log_base(d)) < 0 || !vublk_any_started(d))
		return rc;
	if ((rc = vhost_user_set_features(&d->vu, vublk_features_now(d))) < 0)
		return rc;
	for (unsigned int i = 0; i < d->nq && rc == 0; i++)
		if (d->q[i].started)
			rc = vublk_vring_addr(d, i, virtio_pci_queue(d->vp, i));
	return rc;
}

/* hv_device_ops.dirty_log. Without a session the backend writes
 * nothing; one started meanwhile logs from its start (vublk_start). */
static int vublk_dirty_log(struct virtio_pci *vp, bool on, char *msg,
			   size_t msglen)
{
	struct virtio_vublk *d = vublk_of(vp);
	int rc;

	if (on && vhost_user_connected(&d->vu) &&
	    (!(d->vu.features & (1ULL << VHOST_F_LOG_ALL)) ||
	     !(d->vu.protocol_features &
	       (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD)))) {
		snprintf(msg, msglen, "vhost-user-blk disk %s: the backend "
			 "cannot log its writes to guest memory (it lacks "
			 "VHOST_F_LOG_ALL or protocol feature LOG_SHMFD): "
			 "live migration is not possible with it (save and "
			 "restore are)", d->path);
		return -ENOTSUP;
	}
	d->logging = on;
	if (!vhost_user_connected(&d->vu))
		return 0;
	rc = vublk_log_apply(d);
	if (rc < 0 && on) {
		snprintf(msg, msglen, "vhost-user-blk disk %s: turning the "
			 "backend's dirty log on: %s", d->path, strerror(-rc));
		d->logging = false;
		if (!d->vu.broken)	/* back to how it ran */
			vublk_log_apply(d);
	}
	if (d->vu.broken)
		vublk_drop(d, "failed");
	return on ? rc : 0;
}

/* hv_device_ops.drain (vCPUs paused, dev_lock held): every request the
 * backend could take answered, at most VUBLK_DRAIN_MS. */
static int vublk_drain(struct virtio_pci *vp, char *msg, size_t msglen)
{
	struct virtio_vublk *d = vublk_of(vp);
	uint64_t t0 = vublk_now_ms();
	unsigned int pause_us = 20, left = 0;

	if (!vhost_user_connected(&d->vu) || !vublk_any_started(d))
		return 0;	/* no backend: nothing taken, the rings wait */
	for (unsigned int i = 0; i < d->nq; i++)
		if (d->q[i].started)
			vublk_kick(&d->q[i]);
	for (;;) {
		struct pollfd p = { .fd = d->vu.fd, .events = POLLIN };

		left = 0;
		for (unsigned int i = 0; i < d->nq; i++) {
			struct vq *vq = virtio_pci_queue(d->vp, i);
			uint16_t n;

			if (!d->q[i].started || !vq)
				continue;
			n = (uint16_t)(vublk_avail_idx(vq) - vublk_used_idx(vq));
			if (n > vq->size) {
				snprintf(msg, msglen, "vhost-user-blk %s: queue "
					 "%u: the guest's avail index is %u "
					 "ahead of the used index (ring of "
					 "%u): cannot wait for its requests",
					 d->path, i, n, vq->size);
				return -EPROTO;
			}
			left += n;
		}
		if (!left)
			break;
		/* a backend that dies now: its requests fail in the guest
		 * (device needs reset), none is silently lost */
		if (poll(&p, 1, 0) > 0 && vhost_user_check_idle(&d->vu) < 0) {
			vublk_drop(d, "gone");
			return 0;
		}
		if (vublk_now_ms() - t0 >= VUBLK_DRAIN_MS) {
			snprintf(msg, msglen, "vhost-user-blk %s: the backend "
				 "left %u requests unanswered for %d ms: not "
				 "saved (the guest runs on)", d->path, left,
				 VUBLK_DRAIN_MS);
			return -ETIMEDOUT;
		}
		usleep(pause_us);
		pause_us = MIN(pause_us * 2, 1000u);
	}
	/* answers signalled on our own call eventfds: raised now, so the
	 * saved transport state has them */
	for (unsigned int i = 0; i < d->nq; i++)
		if (d->q[i].started && d->q[i].call_watched)
			vublk_call_ready(&d->q[i]);
	if (vublk_now_ms() - t0 > 1)
		log_info("vhost-user-blk %s: requests in flight answered in "
			 "%llu ms before the save", d->path,
			 (unsigned long long)(vublk_now_ms() - t0));
	return 0;
}

/* Before guest RAM is copied (after vublk_drain): stop the rings, so the
 * backend writes no more into guest memory; after a failed save (!stop)
 * start them again. */
static void vublk_quiesce(struct virtio_pci *vp, bool stop)
{
	struct virtio_vublk *d = vublk_of(vp);
	unsigned int lost;
	int rc;

	if (!stop) {
		if (vhost_user_connected(&d->vu) && virtio_pci_driver_ok(vp))
			vublk_check(d, vublk_start(d), "restart after save");
		return;
	}
	/* the used rings' pages go in the last pass: the backend does not
	 * log its avail_event writes */
	for (unsigned int i = 0; i < d->nq && d->vm->dirty; i++) {
		struct vq *vq = virtio_pci_queue(d->vp, i);

		if (d->q[i].started && vq)
			vm_dirty_mark(d->vm, vq->used_gpa,
				      6 + 8 * (uint64_t)vq->size);
	}
	rc = vublk_stop(d, &lost);
	if (rc == 0 && lost)
		log_err("vhost-user-blk %s: %u requests in flight when the "
			"ring stopped for the save, after the drain", d->path,
			lost);
	vublk_check(d, rc, "stop for save");
}

static int vublk_save(struct virtio_pci *vp, struct snap_writer *w)
{
	struct virtio_vublk *d = vublk_of(vp);

	snap_put_u64(w, d->acked);
	snap_put_bytes(w, d->cfg, sizeof(d->cfg));
	snap_put_u64(w, d->features);	/* for a ",wait" destination */
	return snap_writer_error(w);
}

static int vublk_load(struct virtio_pci *vp, struct snap_reader *r)
{
	struct virtio_vublk *d = vublk_of(vp);
	uint8_t cfg[VUBLK_CFG_SIZE];
	uint64_t acked, features = 0;
	bool waits = d->waiting && !vhost_user_connected(&d->vu);

	snap_get_u64(r, &acked);
	snap_get_bytes(r, cfg, sizeof(cfg));
	/* the backend's features: not in the streams of hv before ",wait" */
	if (snap_remaining(r) >= sizeof(features))
		snap_get_u64(r, &features);
	else
		features = acked | 1ULL << VIRTIO_F_VERSION_1;
	if (r->err)
		return -EINVAL;
	if (acked & ~(VUBLK_FEATURES | 1ULL << VHOST_USER_F_PROTOCOL_FEATURES))
		return snap_fail(r, "vhost-user-blk features");
	if (!(features & (1ULL << VIRTIO_F_VERSION_1)) ||
	    (acked & VUBLK_FEATURES & ~features))
		return snap_fail(r, "vhost-user-blk backend features");
	if (waits) {
		/* no backend yet: the saved disk is what the guest keeps
		 * seeing, and the one the backend must serve */
		if (vublk_num_queues(features, cfg) != d->nq)
			return snap_fail(r, "vhost-user-blk: the saved disk "
					 "has another number of queues than "
					 "queues= says");
		memcpy(d->cfg, cfg, sizeof(cfg));
		d->features = features;
	} else if (memcmp(cfg, d->cfg, 8)) {
		/* The disk the guest saw must be the one served here. */
		return snap_fail(r, "vhost-user-blk: the backend's disk has "
				 "another capacity than the saved one");
	}
	d->acked = acked;
	return 0;
}

static void vublk_loaded(struct virtio_pci *vp)
{
	struct virtio_vublk *d = vublk_of(vp);
	unsigned int lost;

	vublk_check(d, vublk_stop(d, &lost), "stop before load");
	if (d->waiting && !vhost_user_connected(&d->vu)) {
		d->wait_since = vublk_now_ms();
		log_warn("vhost-user-blk %s: loaded; waiting for the backend "
			 "(the guest's disk requests wait in the rings)",
			 d->path);
		vublk_arm_retry(d);
		return;
	}
	if (!virtio_pci_driver_ok(vp))
		return;
	if (vhost_user_connected(&d->vu))
		vublk_check(d, vublk_start(d), "start after load");
	else
		virtio_pci_needs_reset(vp);
}

/* ---- creation ---- */

static void vublk_free(struct virtio_vublk *d)
{
	for (unsigned int i = 0; i < VUBLK_QUEUES_MAX; i++) {
		if (d->q[i].kick_fd >= 0)
			close(d->q[i].kick_fd);
		if (d->q[i].call_fd >= 0)
			close(d->q[i].call_fd);
	}
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	free(d);
}

struct virtio_vublk *virtio_vublk_create(struct vm *vm, struct pci_bus *bus,
					 const char *sock, bool ro,
					 unsigned int wait_queues,
					 char *why, size_t whylen)
{
	struct virtio_vublk *d;
	int rc;

	if (!sock || strlen(sock) >= sizeof(d->path)) {
		snprintf(why, whylen, "socket path too long");
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	*d = (struct virtio_vublk){ .vm = vm, .ro = ro, .timer_fd = -1 };
	for (unsigned int i = 0; i < VUBLK_QUEUES_MAX; i++)
		d->q[i] = (struct vublk_queue){ .d = d, .qi = i, .kick_fd = -1,
						.call_fd = -1, .call_sent = -1 };
	strcpy(d->path, sock);
	vhost_user_init(&d->vu);
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->timer_fd < 0) {
		rc = -errno;
		snprintf(why, whylen, "timerfd: %s", strerror(-rc));
		goto fail;
	}
	if (wait_queues) {
		uint16_t nq = (uint16_t)wait_queues;

		/* until the load: every feature we pass (the transport
		 * checks the saved driver features against them), the
		 * queue count given; the load brings the saved ones */
		d->waiting = true;
		d->features = VUBLK_FEATURES;
		memcpy(d->cfg + VUBLK_CFG_NUM_QUEUES, &nq, sizeof(nq));
	} else {
		rc = vublk_connect(d, d->cfg, why, whylen);
		if (rc < 0)
			goto fail;
		d->features = d->vu.features;
	}
	d->nq = vublk_num_queues(d->features, d->cfg);
	for (unsigned int i = 0; i < d->nq; i++) {
		d->q[i].kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		d->q[i].call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (d->q[i].kick_fd < 0 || d->q[i].call_fd < 0) {
			rc = -errno;
			snprintf(why, whylen, "eventfd: %s", strerror(-rc));
			goto fail;
		}
	}
	d->ops = (struct virtio_dev_ops){
		.name = "vhost-user-blk",
		.device_id = VIRTIO_ID_BLOCK,
		.class_code = 0x010000,		/* mass storage, SCSI */
		.num_queues = d->nq,
		.queue_max = VUBLK_QUEUE_MAX,
		.cfg_size = VUBLK_CFG_SIZE,
		.cfg_read = vublk_cfg_read,
		.queue_notify = vublk_queue_notify,
		.reset = vublk_reset,
		.save = vublk_save,
		.load = vublk_load,
		.get_features = vublk_get_features,
		.queue_kick_fd = vublk_queue_kick_fd,
		.driver_ok = vublk_driver_ok,
		.irq_changed = vublk_irq_changed,
		.loaded = vublk_loaded,
		.quiesce = vublk_quiesce,
		.drain = vublk_drain,
		.dirty_log = vublk_dirty_log,
	};
	d->vp = virtio_pci_create(vm, bus, &d->ops, d);
	if (!d->vp) {
		rc = -errno;
		snprintf(why, whylen, "PCI function: %s", strerror(-rc));
		goto fail;
	}
	vm_watch_fd(vm, d->timer_fd, vublk_retry, d);	/* no loop in tests */
	return d;
fail:
	vublk_close(d);
	vublk_free(d);
	errno = -rc;
	return NULL;
}

void virtio_vublk_destroy(struct virtio_vublk *d)
{
	if (!d)
		return;
	vublk_close(d);
	vm_unwatch_fd(d->vm, d->timer_fd);
	virtio_pci_destroy(d->vp);	/* deassigns the ioeventfd first */
	vublk_free(d);
}

/* ---- --vhost-user-blk SOCKET[,readonly][,wait[,queues=N]]: the device
 * table's entry ---- */

#define VUBLK_DISKS_MAX		8
#define VUBLK_USAGE		"SOCKET[,readonly][,wait[,queues=N]]"

struct vublk_opts {
	unsigned int nr;
	struct vublk_opt {
		char sock[PATH_MAX];
		bool ro;
		bool wait;		/* the backend comes after the load */
		unsigned int queues;	/* with wait: the saved disk's, 1-8 */
	} disk[VUBLK_DISKS_MAX];
};

static int vublk_parse_item(struct vublk_opt *o, const char *item,
			    bool first, char *msg, size_t msglen)
{
	char *end;

	if (first) {
		if (strlen(item) >= sizeof(((struct virtio_vublk *)0)->path)) {
			snprintf(msg, msglen, "--vhost-user-blk: %s: path "
				 "too long for a unix socket", item);
			return -EINVAL;
		}
		snprintf(o->sock, sizeof(o->sock), "%s", item);
	} else if (!strcmp(item, "readonly")) {
		o->ro = true;
	} else if (!strcmp(item, "wait")) {
		o->wait = true;
	} else if (!strncmp(item, "queues=", 7)) {
		unsigned long v = strtoul(item + 7, &end, 10);

		if (!item[7] || *end || v < 1 || v > VUBLK_QUEUES_MAX) {
			snprintf(msg, msglen, "--vhost-user-blk: %s: a number "
				 "from 1 to %d", item, VUBLK_QUEUES_MAX);
			return -EINVAL;
		}
		o->queues = (unsigned int)v;
	} else {
		snprintf(msg, msglen, "--vhost-user-blk: unknown item '%s' "
			 "(%s)", item, VUBLK_USAGE);
		return -EINVAL;
	}
	return 0;
}

/* The socket must be there at start, unless the backend comes later. */
static int vublk_check_opt(const struct vublk_opt *o, char *msg,
			   size_t msglen)
{
	struct stat st;
	const char *item = o->sock;

	if (o->queues && !o->wait) {
		snprintf(msg, msglen, "--vhost-user-blk: %s: queues= only with "
			 "wait (else the backend says how many)", item);
		return -EINVAL;
	}
	if (!o->wait) {
		if (stat(item, &st) < 0) {
			snprintf(msg, msglen, "--vhost-user-blk: %s: %s", item,
				 strerror(errno));
			return -EINVAL;
		}
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(msg, msglen, "--vhost-user-blk: %s: not a "
				 "socket", item);
			return -EINVAL;
		}
	}
	return 0;
}

static int vublk_parse_option(void **opts, const char *arg, char *msg,
			      size_t msglen)
{
	struct vublk_opts *all = *opts;
	char *copy, *item, *save = NULL;
	struct vublk_opt *o;
	bool first = true;
	int rc = 0;

	if (all && all->nr >= VUBLK_DISKS_MAX) {
		snprintf(msg, msglen, "--vhost-user-blk: at most %d disks",
			 VUBLK_DISKS_MAX);
		return -ENOSPC;
	}
	if (!all && !(all = *opts = calloc(1, sizeof(*all)))) {
		snprintf(msg, msglen, "--vhost-user-blk: out of memory");
		return -ENOMEM;
	}
	o = &all->disk[all->nr];
	*o = (struct vublk_opt){ 0 };
	if (!arg[0] || arg[0] == ',') {
		snprintf(msg, msglen, "--vhost-user-blk needs a SOCKET (%s)",
			 VUBLK_USAGE);
		return -EINVAL;
	}
	copy = strdup(arg);
	if (!copy) {
		snprintf(msg, msglen, "--vhost-user-blk: out of memory");
		return -ENOMEM;
	}
	for (item = strtok_r(copy, ",", &save); item && rc == 0;
	     item = strtok_r(NULL, ",", &save), first = false)
		rc = vublk_parse_item(o, item, first, msg, msglen);
	free(copy);
	if (rc == 0)
		rc = vublk_check_opt(o, msg, msglen);
	if (rc < 0)
		return rc;
	all->nr++;
	return 0;
}

/* One function per --vhost-user-blk, in order, after the --disk ones. */
static int vublk_dev_create(struct devices *dv, const void *opts)
{
	const struct vublk_opts *all = opts;
	struct pci_bus *bus = devices_find(dv, &pci_dev_type);

	if (!all)
		return 0;
	if (!bus)
		return -ENODEV;
	for (unsigned int i = 0; i < all->nr; i++) {
		const struct vublk_opt *o = &all->disk[i];
		struct virtio_vublk *d;
		char why[200] = "";
		int rc;

		if (o->wait && devices_vm(dv)->cfg.kernel) {
			log_err("vhost-user-blk %s: wait needs --incoming or "
				"--restore (the disk's configuration comes from "
				"the loaded state)", o->sock);
			return -EINVAL;
		}
		d = virtio_vublk_create(devices_vm(dv), bus, o->sock, o->ro,
					o->wait ? MAX(o->queues, 1u) : 0,
					why, sizeof(why));
		if (!d) {
			rc = dev_create_error();
			log_err("vhost-user-blk %s: %s", o->sock,
				why[0] ? why : strerror(-rc));
			return rc;
		}
		rc = devices_add(dv, d, d->vp);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void vublk_dev_destroy(void *dev)
{
	virtio_vublk_destroy(dev);
}

const struct dev_type virtio_vublk_dev_type = {
	.name = "vhost-user-blk",
	.option = "vhost-user-blk",
	.option_help = VUBLK_USAGE,
	.parse_option = vublk_parse_option,
	.create = vublk_dev_create,
	.destroy = vublk_dev_destroy,
	.snap = &virtio_pci_device_ops,
};
