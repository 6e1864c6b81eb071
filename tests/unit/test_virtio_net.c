/* virtio_net.c driven as a guest driver does (PCI config, BAR0, rings in
 * a memfd-backed guest memory) against a fake vhost-user backend on a
 * unix socket: offered features, configuration space, what the backend
 * receives at DRIVER_OK, guest reset, backend restart (link down, ring
 * bases from the used index, link up), a backend that lacks features or
 * answers garbage, save/load. */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/kcmp.h>
#include "devtest.h"
#include "hv/core.h"
#include "fake_vhost_user.h"
#include "hv/virtio_pci.h"
#include "hv/virtio_net.h"

#define MEM		(1u << 20)
#define QSZ		256
#define RING(q)		(0x10000 + 0x4000 * (q))	/* desc */
#define AVAIL(q)	(RING(q) + 0x1000)
#define USED(q)		(RING(q) + 0x2000)

#define F(b)		(1ULL << (b))
#define BACKEND_FEAT	(F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MRG_RXBUF) | \
			 F(VIRTIO_RING_F_EVENT_IDX) | F(VHOST_USER_F_PROTOCOL_FEATURES))
#define BACKEND_PF	F(VHOST_USER_PROTOCOL_F_REPLY_ACK)
#define GUEST_FEAT	(F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MRG_RXBUF) | \
			 F(VIRTIO_RING_F_EVENT_IDX) | F(VIRTIO_NET_F_MAC) | \
			 F(VIRTIO_NET_F_STATUS))

static const struct mac_addr test_mac = { { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 } };

struct vn_fixture {
	struct vm *vm;
	uint8_t *mem;
	int memfd;
	struct pci_bus *bus;
	struct virtio_net *n;
	struct virtio_pci *vp;
	uint64_t bar;
};

static uint32_t cfg_rd(struct vm *vm, unsigned int reg, unsigned int size)
{
	pio_out(vm, PCI_CONFIG_PORT, 4, 0x80000000u | 1u << 11 | (reg & ~3u));
	return (uint32_t)pio_in(vm, PCI_CONFIG_PORT + 4 + (reg & 3), size);
}

#define COMMON(t, off, sz)	mmio_in((t)->vm, (t)->bar + (off), sz)
#define COMMON_W(t, off, sz, v)	mmio_out((t)->vm, (t)->bar + (off), sz, v)
#define STATUS(t)		COMMON(t, 20, 1)
#define DEVCFG(t, off, sz)	mmio_in((t)->vm, (t)->bar + 0x2000 + (off), sz)

static void vn_setup(struct vn_fixture *t, const char *sock)
{
	memset(t, 0, sizeof(*t));
	t->vm = devtest_vm(0, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->vm);
	t->memfd = memfd_create("vn-ram", MFD_CLOEXEC);
	CU_ASSERT_FATAL(t->memfd >= 0 && ftruncate(t->memfd, MEM) == 0);
	t->mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, t->memfd, 0);
	CU_ASSERT_FATAL(t->mem != MAP_FAILED);
	t->vm->mem[0] = (struct vm_mem_region){ 0, MEM, 0, t->mem };
	t->vm->nr_mem = 1;
	t->vm->mem_size = MEM;
	t->vm->mem_fd = t->memfd;
	t->bus = pci_bus_create(t->vm);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->bus);
	t->n = virtio_net_create(t->vm, t->bus, sock, &test_mac);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->n);
	t->vp = virtio_net_transport(t->n);
	t->bar = cfg_rd(t->vm, PCI_BAR0, 4) & ~0xfu;
}

static void vn_teardown(struct vn_fixture *t)
{
	virtio_net_destroy(t->n);
	pci_bus_destroy(t->bus);
	munmap(t->mem, MEM);
	close(t->memfd);
	t->vm->mem[0].hva = NULL;
	t->vm->nr_mem = 0;
	devtest_vm_free(t->vm);
}

static uint64_t device_features(struct vn_fixture *t)
{
	uint64_t lo, hi;

	COMMON_W(t, 0, 4, 0);
	lo = COMMON(t, 4, 4);
	COMMON_W(t, 0, 4, 1);
	hi = COMMON(t, 4, 4);
	return hi << 32 | lo;
}

/* virtio 1.2 §3.1.1 up to FEATURES_OK; returns the status read back. */
static uint8_t driver_negotiate(struct vn_fixture *t, uint64_t feat)
{
	COMMON_W(t, 20, 1, 0);
	COMMON_W(t, 20, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	COMMON_W(t, 20, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	COMMON_W(t, 8, 4, 0);
	COMMON_W(t, 12, 4, (uint32_t)feat);
	COMMON_W(t, 8, 4, 1);
	COMMON_W(t, 12, 4, (uint32_t)(feat >> 32));
	COMMON_W(t, 20, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		 VIRTIO_CONFIG_S_FEATURES_OK);
	return (uint8_t)STATUS(t);
}

static void driver_init(struct vn_fixture *t, uint64_t feat)
{
	CU_ASSERT_FATAL(driver_negotiate(t, feat) & VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned int q = 0; q < 2; q++) {
		COMMON_W(t, 22, 2, q);
		COMMON_W(t, 24, 2, QSZ);
		COMMON_W(t, 26, 2, VIRTIO_MSI_NO_VECTOR);	/* polled, as our guest */
		COMMON_W(t, 32, 8, RING(q));
		COMMON_W(t, 40, 8, AVAIL(q));
		COMMON_W(t, 48, 8, USED(q));
		COMMON_W(t, 28, 2, 1);
	}
	COMMON_W(t, 20, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
		 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	CU_ASSERT(STATUS(t) & VIRTIO_CONFIG_S_DRIVER_OK);
}

static void set_used_idx(struct vn_fixture *t, unsigned int q, uint16_t v)
{
	memcpy(t->mem + USED(q) + 2, &v, 2);
}

static void test_config_and_features(void)
{
	struct vn_fixture t;
	struct fvu f;

	fvu_init(&f, BACKEND_FEAT, BACKEND_PF);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	vn_setup(&t, f.path);
	CU_ASSERT(virtio_net_connected(t.n));
	CU_ASSERT(virtio_net_link_up(t.n));
	CU_ASSERT_EQUAL(cfg_rd(t.vm, 0, 4), 0x10411af4);	/* 1af4:1041 */
	CU_ASSERT_EQUAL(cfg_rd(t.vm, 8, 4) >> 8, 0x020000);	/* Ethernet */
	/* hv's MAC and STATUS, and only the ring features the backend has
	 * (no INDIRECT_DESC: the fake lacks it) */
	CU_ASSERT_EQUAL(device_features(&t), GUEST_FEAT);
	for (unsigned int i = 0; i < MAC_LEN; i++)
		CU_ASSERT_EQUAL(DEVCFG(&t, i, 1), test_mac.b[i]);
	CU_ASSERT_EQUAL(DEVCFG(&t, 0, 4), 0x123e1600);
	CU_ASSERT_EQUAL(DEVCFG(&t, 6, 2), VIRTIO_NET_S_LINK_UP);
	CU_ASSERT_EQUAL(DEVCFG(&t, 8, 2), 1);		/* max_virtqueue_pairs */
	CU_ASSERT_EQUAL(DEVCFG(&t, 10, 2), 1500);	/* mtu, not offered */
	CU_ASSERT_EQUAL(DEVCFG(&t, 12, 1), 0);		/* beyond the config */
	/* --net mtu=: offered (VIRTIO_NET_F_MTU) and in the config */
	virtio_net_set_mtu(t.n, 9000);
	CU_ASSERT_EQUAL(device_features(&t), GUEST_FEAT | F(VIRTIO_NET_F_MTU));
	CU_ASSERT_EQUAL(DEVCFG(&t, 10, 2), 9000);
	virtio_net_set_mtu(t.n, 0);
	CU_ASSERT_EQUAL(device_features(&t), GUEST_FEAT);
	/* a feature not offered cannot be negotiated */
	CU_ASSERT_FALSE(driver_negotiate(&t, GUEST_FEAT |
					 F(VIRTIO_RING_F_INDIRECT_DESC)) &
			VIRTIO_CONFIG_S_FEATURES_OK);
	CU_ASSERT(driver_negotiate(&t, GUEST_FEAT) & VIRTIO_CONFIG_S_FEATURES_OK);
	/* nothing is handed over before DRIVER_OK */
	CU_ASSERT_PTR_NULL(fvu_find(&f, 0, VHOST_USER_SET_MEM_TABLE, 0));
	vn_teardown(&t);
	fvu_fini(&f);
}

static void check_ring(struct vn_fixture *t, struct fvu *f, unsigned int conn,
		       unsigned int q, uint32_t base)
{
	const struct fvu_msg *m;

	m = fvu_find(f, conn, VHOST_USER_SET_VRING_NUM, q);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(fvu_u32(m, 0) == q && fvu_u32(m, 1) == QSZ);
	m = fvu_find(f, conn, VHOST_USER_SET_VRING_BASE, q);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(fvu_u32(m, 0) == q && fvu_u32(m, 1) == base);
	m = fvu_find(f, conn, VHOST_USER_SET_VRING_ADDR, q);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(fvu_u64(m, 8), (uintptr_t)t->mem + RING(q));
	CU_ASSERT_EQUAL(fvu_u64(m, 16), (uintptr_t)t->mem + USED(q));
	CU_ASSERT_EQUAL(fvu_u64(m, 24), (uintptr_t)t->mem + AVAIL(q));
	m = fvu_find(f, conn, VHOST_USER_SET_VRING_KICK, q);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(fvu_u64(m, 0) == q && m->nfds == 1);
	m = fvu_find(f, conn, VHOST_USER_SET_VRING_CALL, q);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(fvu_u64(m, 0) == q && m->nfds == 1);	/* a call fd even
							 * for NO_VECTOR */
	m = fvu_find(f, conn, VHOST_USER_SET_VRING_ENABLE, q);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(fvu_u32(m, 0) == q && fvu_u32(m, 1) == 1);
}

static void check_session(struct vn_fixture *t, struct fvu *f,
			  unsigned int conn, uint32_t base0, uint32_t base1)
{
	const struct fvu_msg *m;
	struct stat st;

	m = fvu_find(f, conn, VHOST_USER_SET_FEATURES, 0);
	CU_ASSERT_FATAL(m != NULL);
	/* the ring features the driver took; MAC and STATUS are hv's */
	CU_ASSERT_EQUAL(fvu_u64(m, 0), F(VIRTIO_F_VERSION_1) |
			F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_RING_F_EVENT_IDX) |
			F(VHOST_USER_F_PROTOCOL_FEATURES));
	m = fvu_find(f, conn, VHOST_USER_SET_MEM_TABLE, 0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(fvu_u32(m, 0), 1);
	CU_ASSERT_EQUAL(fvu_u64(m, 8), 0);
	CU_ASSERT_EQUAL(fvu_u64(m, 16), MEM);
	CU_ASSERT_EQUAL(fvu_u64(m, 24), (uintptr_t)t->mem);
	CU_ASSERT_EQUAL(fvu_u64(m, 32), 0);
	CU_ASSERT_EQUAL_FATAL(fstat(t->memfd, &st), 0);
	CU_ASSERT(m->nfds == 1 && m->ino[0] == st.st_ino);
	check_ring(t, f, conn, 0, base0);
	check_ring(t, f, conn, 1, base1);
}

static void test_start_and_kick(void)
{
	struct vn_fixture t;
	struct fvu f;
	uint64_t v = 0;

	fvu_init(&f, BACKEND_FEAT, BACKEND_PF);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	vn_setup(&t, f.path);
	driver_init(&t, GUEST_FEAT);
	CU_ASSERT(virtio_net_queue_started(t.n, 0));
	CU_ASSERT(virtio_net_queue_started(t.n, 1));
	check_session(&t, &f, 1, 0, 0);
	/* a notify that reaches hv (no ioeventfd here) is passed on */
	CU_ASSERT_EQUAL(read(f.kick[1], &v, 8), 8);	/* DRIVER_OK's */
	mmio_out(t.vm, t.bar + VIRTIO_PCI_NOTIFY_OFF + 4, 2, 1);
	CU_ASSERT_EQUAL(read(f.kick[1], &v, 8), 8);
	CU_ASSERT_EQUAL(v, 1);
	/* guest reset: the rings are stopped with GET_VRING_BASE */
	COMMON_W(&t, 20, 1, 0);
	CU_ASSERT_PTR_NOT_NULL(fvu_find(&f, 1, VHOST_USER_GET_VRING_BASE, 0));
	CU_ASSERT_PTR_NOT_NULL(fvu_find(&f, 1, VHOST_USER_GET_VRING_BASE, 1));
	CU_ASSERT_FALSE(virtio_net_queue_started(t.n, 0));
	CU_ASSERT(virtio_net_connected(t.n));
	/* and a new driver starts again on the same connection */
	driver_init(&t, GUEST_FEAT);
	CU_ASSERT_PTR_NOT_NULL(fvu_find(&f, 1, VHOST_USER_SET_MEM_TABLE, 1));
	CU_ASSERT(virtio_net_queue_started(t.n, 1));
	vn_teardown(&t);
	fvu_fini(&f);
}

/* A save (migrate.c) quiesces the NIC: every started ring is stopped with
 * GET_VRING_BASE (the backend writes no more guest memory); a failed
 * save starts them again on the same connection. */
static void test_save_quiesce(void)
{
	const struct hv_device_ops *ops = &virtio_pci_device_ops;
	enum log_level saved = log_get_level();
	struct vn_fixture t;
	struct fvu f;

	fvu_init(&f, BACKEND_FEAT, BACKEND_PF);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	vn_setup(&t, f.path);
	driver_init(&t, GUEST_FEAT);
	CU_ASSERT(virtio_net_queue_started(t.n, 0));
	CU_ASSERT_PTR_NOT_NULL_FATAL(ops->quiesce);
	/* the fake answers base 42 with no used entries: "in flight" */
	log_set_level(LL_ERR);
	ops->quiesce(t.vp, true);
	log_set_level(saved);
	CU_ASSERT_PTR_NOT_NULL(fvu_find(&f, 1, VHOST_USER_GET_VRING_BASE, 0));
	CU_ASSERT_PTR_NOT_NULL(fvu_find(&f, 1, VHOST_USER_GET_VRING_BASE, 1));
	CU_ASSERT_FALSE(virtio_net_queue_started(t.n, 0));
	CU_ASSERT_FALSE(virtio_net_queue_started(t.n, 1));
	CU_ASSERT(virtio_net_connected(t.n));
	ops->quiesce(t.vp, false);
	CU_ASSERT_PTR_NOT_NULL(fvu_find(&f, 1, VHOST_USER_SET_MEM_TABLE, 1));
	CU_ASSERT(virtio_net_queue_started(t.n, 0));
	CU_ASSERT(virtio_net_queue_started(t.n, 1));
	vn_teardown(&t);
	fvu_fini(&f);
}

/* The backend dies and comes back: link down (config change), a new
 * session with ring bases from the used index, link up. */
static void test_backend_restart(void)
{
	enum log_level saved = log_get_level();
	struct vn_fixture t;
	struct fvu f;
	uint8_t gen;

	log_set_level(LL_ERR);
	fvu_init(&f, BACKEND_FEAT, BACKEND_PF);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	vn_setup(&t, f.path);
	driver_init(&t, GUEST_FEAT);
	set_used_idx(&t, 0, 7);
	set_used_idx(&t, 1, 65535);
	gen = (uint8_t)COMMON(&t, 21, 1);
	fvu_hangup(&f, 1);
	virtio_net_backend_event(t.n);
	CU_ASSERT_FALSE(virtio_net_connected(t.n));
	CU_ASSERT_FALSE(virtio_net_link_up(t.n));
	CU_ASSERT_EQUAL(DEVCFG(&t, 6, 2), 0);
	CU_ASSERT_NOT_EQUAL(COMMON(&t, 21, 1), gen);	/* config changed */
	CU_ASSERT(STATUS(&t) & VIRTIO_CONFIG_S_DRIVER_OK);	/* guest unaware */
	virtio_net_retry(t.n);		/* the timer: connect, GET_FEATURES */
	CU_ASSERT_FALSE(virtio_net_connected(t.n));
	virtio_net_backend_event(t.n);	/* the reply: the rest */
	CU_ASSERT(virtio_net_connected(t.n));
	CU_ASSERT(virtio_net_link_up(t.n));
	CU_ASSERT_EQUAL(DEVCFG(&t, 6, 2), VIRTIO_NET_S_LINK_UP);
	CU_ASSERT_EQUAL(virtio_net_reconnects(t.n), 1);
	check_session(&t, &f, 2, 7, 65535);
	/* gone for a while: retries fail quietly until it is back */
	fvu_unlisten(&f);
	fvu_hangup(&f, 2);
	virtio_net_backend_event(t.n);
	for (int i = 0; i < 3; i++) {
		virtio_net_retry(t.n);
		CU_ASSERT_FALSE(virtio_net_link_up(t.n));
	}
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	virtio_net_retry(t.n);
	virtio_net_backend_event(t.n);
	CU_ASSERT(virtio_net_link_up(t.n));
	CU_ASSERT_EQUAL(virtio_net_reconnects(t.n), 2);
	check_session(&t, &f, 3, 7, 65535);
	vn_teardown(&t);
	fvu_fini(&f);
	log_set_level(saved);
}

/* A restarted backend without a feature the driver uses: the device
 * needs a reset; after it the driver is offered less and all is well. */
static void test_backend_lacks_feature(void)
{
	enum log_level saved = log_get_level();
	struct vn_fixture t;
	struct fvu f;

	log_set_level(LL_ERR);	/* the refusal itself is an error line */
	fvu_init(&f, BACKEND_FEAT, BACKEND_PF);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	vn_setup(&t, f.path);
	driver_init(&t, GUEST_FEAT);
	f.features &= ~F(VIRTIO_NET_F_MRG_RXBUF);
	fvu_hangup(&f, 1);
	virtio_net_backend_event(t.n);
	virtio_net_retry(t.n);
	virtio_net_backend_event(t.n);
	log_set_level(saved);
	CU_ASSERT(virtio_net_connected(t.n));
	CU_ASSERT_FALSE(virtio_net_link_up(t.n));
	CU_ASSERT(STATUS(&t) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CU_ASSERT_PTR_NULL(fvu_find(&f, 2, VHOST_USER_SET_FEATURES, 0));
	CU_ASSERT_EQUAL(device_features(&t),
			GUEST_FEAT & ~F(VIRTIO_NET_F_MRG_RXBUF));
	driver_init(&t, GUEST_FEAT & ~F(VIRTIO_NET_F_MRG_RXBUF));
	CU_ASSERT(virtio_net_link_up(t.n));
	CU_ASSERT(virtio_net_queue_started(t.n, 0));
	vn_teardown(&t);
	fvu_fini(&f);
}

/* A backend answering garbage, or none at all: hv keeps going, link
 * down, and connects once a sane backend is there. */
static void test_bad_backend(void)
{
	enum log_level saved = log_get_level();
	struct vn_fixture t;
	struct fvu f;

	log_set_level(LL_ERR);
	fvu_init(&f, BACKEND_FEAT, BACKEND_PF);
	f.evil = true;
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	vn_setup(&t, f.path);
	CU_ASSERT_FALSE(virtio_net_connected(t.n));
	CU_ASSERT_FALSE(virtio_net_link_up(t.n));
	driver_init(&t, GUEST_FEAT);		/* the guest still comes up */
	CU_ASSERT_EQUAL(DEVCFG(&t, 6, 2), 0);
	f.evil = false;
	virtio_net_retry(t.n);
	virtio_net_backend_event(t.n);
	CU_ASSERT(virtio_net_link_up(t.n));
	CU_ASSERT(virtio_net_queue_started(t.n, 1));
	vn_teardown(&t);
	fvu_fini(&f);
	/* no backend at all: created with its link down */
	vn_setup(&t, "/nonexistent/xvm-vnic.sock");
	CU_ASSERT_FALSE(virtio_net_connected(t.n));
	CU_ASSERT_EQUAL(DEVCFG(&t, 6, 2), 0);
	vn_teardown(&t);
	log_set_level(saved);
}

/* A backend that accepts but never answers: given up when the timer
 * fires again, and tried anew; hv never waits for it. */
static void test_silent_backend(void)
{
	enum log_level saved = log_get_level();
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vn_fixture t;
	struct fvu f;
	int lfd;

	log_set_level(LL_ERR);
	fvu_init(&f, BACKEND_FEAT, BACKEND_PF);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	fvu_unlisten(&f);			/* keep the name only */
	vn_setup(&t, f.path);
	CU_ASSERT_FALSE(virtio_net_connected(t.n));
	strcpy(sa.sun_path, f.path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(lfd >= 0 && bind(lfd, (struct sockaddr *)&sa,
					  sizeof(sa)) == 0 &&
			listen(lfd, 4) == 0);
	virtio_net_retry(t.n);			/* connects: in the backlog */
	CU_ASSERT_FALSE(virtio_net_connected(t.n));
	virtio_net_retry(t.n);			/* timeout: a new attempt */
	CU_ASSERT_FALSE(virtio_net_connected(t.n));
	CU_ASSERT_FALSE(virtio_net_link_up(t.n));
	vn_teardown(&t);
	close(lfd);
	unlink(f.path);
	fvu_fini(&f);
	log_set_level(saved);
}

static void test_create_checks(void)
{
	struct vm *vm = devtest_vm(MEM, 1);
	struct pci_bus *bus = pci_bus_create(vm);
	struct mac_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	char longpath[200];

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	CU_ASSERT_PTR_NULL(virtio_net_create(vm, bus, "/x.sock", &bcast));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(virtio_net_create(vm, bus, longpath, &test_mac));
	CU_ASSERT_PTR_NULL(virtio_net_create(vm, bus, NULL, &test_mac));
	pci_bus_destroy(bus);
	devtest_vm_free(vm);
}

/* Save a running NIC, load it into another connected to the same
 * backend: identical streams, and the loaded one starts its rings. */
static void test_save_load(void)
{
	struct vn_fixture a, b;
	struct fvu f;

	fvu_init(&f, BACKEND_FEAT, BACKEND_PF);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	vn_setup(&a, f.path);
	vn_setup(&b, f.path);
	driver_init(&a, GUEST_FEAT);
	set_used_idx(&b, 0, 5);
	devtest_roundtrip(&virtio_pci_device_ops, a.vp, b.vp);
	CU_ASSERT(virtio_net_link_up(b.n));
	CU_ASSERT(virtio_net_queue_started(b.n, 0));
	CU_ASSERT(virtio_net_queue_started(b.n, 1));
	CU_ASSERT_EQUAL(device_features(&b), GUEST_FEAT);
	CU_ASSERT_EQUAL(DEVCFG(&b, 0, 4), 0x123e1600);
	/* b's session on connection 2: base from b's used index */
	CU_ASSERT_FATAL(fvu_find(&f, 2, VHOST_USER_SET_VRING_BASE, 0) != NULL);
	CU_ASSERT_EQUAL(fvu_u32(fvu_find(&f, 2, VHOST_USER_SET_VRING_BASE, 0),
				1), 5);
	vn_teardown(&a);
	vn_teardown(&b);
	fvu_fini(&f);
}

/* The fds the backend got with SET_VRING_CALL for ring q, in order. */
static unsigned int call_fds(struct fvu *f, unsigned int q, int *out,
			     unsigned int max)
{
	unsigned int n = 0;

	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < f->nlog && n < max; i++)
		if (f->log[i].req == VHOST_USER_SET_VRING_CALL &&
		    fvu_u64(&f->log[i], 0) == q && f->log[i].call_fd >= 0)
			out[n++] = f->log[i].call_fd;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* Whether two fds are the same open file (the same eventfd). */
static bool same_file(int a, int b)
{
	pid_t p = getpid();

	return syscall(SYS_kcmp, p, p, KCMP_FILE, a, b) == 0;
}

/* With a real KVM VM: a queue whose MSI-X vector is bound gives the
 * backend the vector's irqfd; masking, NO_VECTOR and MSI-X off give it
 * hv's own eventfd again; queues get their ioeventfds. */
static void test_kvm_call_routing(void)
{
	struct vn_fixture t;
	struct fvu f;
	unsigned int cap = 0, n;
	uint64_t table;
	int fd[8], irqfd;

	if (access("/dev/kvm", R_OK | W_OK) != 0)
		return;
	fvu_init(&f, BACKEND_FEAT, BACKEND_PF);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	memset(&t, 0, sizeof(t));
	t.vm = devtest_vm(0, 1);
	t.memfd = memfd_create("vn-ram", MFD_CLOEXEC);
	CU_ASSERT_FATAL(t.memfd >= 0 && ftruncate(t.memfd, MEM) == 0);
	t.mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, t.memfd, 0);
	t.vm->mem[0] = (struct vm_mem_region){ 0, MEM, 0, t.mem };
	t.vm->nr_mem = 1;
	t.vm->mem_fd = t.memfd;
	irqfd = vm_kvm_open(t.vm);
	if (unit_kvm_skip(irqfd, "kvm_call_routing")) {
		if (t.vm->kvm_fd >= 0)
			close(t.vm->kvm_fd);
		vn_teardown(&t);
		fvu_fini(&f);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(irqfd, 0);
	CU_ASSERT_EQUAL_FATAL(vm_kvm_setup(t.vm), 0);
	CU_ASSERT_EQUAL_FATAL(vm_core_init(t.vm), 0);
	t.bus = pci_bus_create(t.vm);
	t.n = virtio_net_create(t.vm, t.bus, f.path, &test_mac);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t.n);
	t.vp = virtio_net_transport(t.n);
	t.bar = cfg_rd(t.vm, PCI_BAR0, 4) & ~0xfu;
	for (unsigned int off = cfg_rd(t.vm, 0x34, 1); off;
	     off = cfg_rd(t.vm, off + 1, 1))
		if (cfg_rd(t.vm, off, 1) == PCI_CAP_ID_MSIX)
			cap = off;
	table = t.bar + VIRTIO_PCI_MSIX_TABLE_OFF;
	mmio_out(t.vm, table + 0, 4, 0xfee00000);
	mmio_out(t.vm, table + 8, 4, 0x4041);
	mmio_out(t.vm, table + 12, 4, 0);			/* unmask */
	pio_out(t.vm, PCI_CONFIG_PORT, 4, 0x80000000u | 1u << 11 | cap);
	pio_out(t.vm, PCI_CONFIG_PORT + 6, 2, 0x8000);		/* MSI-X on */
	driver_init(&t, GUEST_FEAT);		/* queues with NO_VECTOR */
	CU_ASSERT(virtio_pci_queue_ioeventfd(t.vp, 0));
	CU_ASSERT(virtio_pci_queue_ioeventfd(t.vp, 1));
	COMMON_W(&t, 22, 2, 0);
	COMMON_W(&t, 26, 2, 0);				/* queue 0 -> vector 0 */
	irqfd = virtio_pci_queue_irqfd(t.vp, 0);
	CU_ASSERT(irqfd >= 0);
	mmio_out(t.vm, table + 12, 4, 1);			/* mask */
	mmio_out(t.vm, table + 12, 4, 0);			/* unmask */
	n = call_fds(&f, 0, fd, 8);
	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT_FALSE(same_file(fd[0], irqfd));	/* NO_VECTOR: hv's */
	CU_ASSERT(same_file(fd[1], irqfd));	/* the vector's irqfd */
	CU_ASSERT(same_file(fd[2], fd[0]));	/* masked: hv's eventfd */
	CU_ASSERT(same_file(fd[3], irqfd));	/* unmasked: the irqfd again */
	pio_out(t.vm, PCI_CONFIG_PORT + 6, 2, 0);		/* MSI-X off */
	CU_ASSERT_EQUAL_FATAL(call_fds(&f, 0, fd, 8), 5);
	CU_ASSERT(same_file(fd[4], fd[0]));	/* hv's, for INTx */
	CU_ASSERT_EQUAL(call_fds(&f, 1, fd, 8), 1);	/* queue 1 untouched */
	virtio_net_destroy(t.n);
	pci_bus_destroy(t.bus);
	munmap(t.mem, MEM);
	close(t.memfd);
	t.vm->nr_mem = 0;
	t.vm->mem_fd = -1;
	vm_destroy(t.vm);
	pthread_mutex_destroy(&t.vm->dev_lock);
	free(t.vm);
	fvu_fini(&f);
}

#define LOG_PF		(BACKEND_PF | F(VHOST_USER_PROTOCOL_F_LOG_SHMFD) | \
			 F(VHOST_USER_PROTOCOL_F_RARP))

static ino_t vn_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/* A backend without LOG_SHMFD cannot take part in a live migration: the
 * NIC refuses with a reason and sends nothing; without RARP the
 * announce is only logged. */
static void test_migrate_log_refused(void)
{
	const struct hv_device_ops *ops = &virtio_pci_device_ops;
	enum log_level saved = log_get_level();
	struct vn_fixture t;
	struct fvu f;
	char msg[256] = "";

	fvu_init(&f, BACKEND_FEAT | F(VHOST_F_LOG_ALL), BACKEND_PF);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	vn_setup(&t, f.path);
	driver_init(&t, GUEST_FEAT);
	CU_ASSERT_EQUAL_FATAL(vm_dirty_start(t.vm), 0);
	CU_ASSERT_EQUAL(ops->dirty_log(t.vp, true, msg, sizeof(msg)), -ENOTSUP);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "cannot log"));
	CU_ASSERT_PTR_NULL(fvu_find(&f, 0, VHOST_USER_SET_LOG_BASE, 0));
	CU_ASSERT_PTR_NULL(fvu_find(&f, 0, VHOST_USER_SET_FEATURES, 1));
	vm_dirty_stop(t.vm);
	log_set_level(LL_ERR);
	ops->announce(t.vp);
	log_set_level(saved);
	CU_ASSERT_PTR_NULL(fvu_find(&f, 0, VHOST_USER_SEND_RARP, 0));
	CU_ASSERT(virtio_net_queue_started(t.n, 1));
	vn_teardown(&t);
	fvu_fini(&f);
}

/* Live migration with a NIC (vhost-user.rst "Migration"): the backend
 * gets hv's log memfd (SET_LOG_BASE: its size, offset 0, no ack asked,
 * the empty reply read), SET_FEATURES with LOG_ALL, and each ring's
 * addresses again with VHOST_VRING_F_LOG and the used ring's guest
 * address; a page the backend marks in its own mapping of the log is in
 * the next round; off sends features and rings without them; an
 * announce sends SEND_RARP with the guest's MAC. */
static void test_migrate_log(void)
{
	const struct hv_device_ops *ops = &virtio_pci_device_ops;
	uint64_t bm[MEM / 4096 / 64] = { 0 };
	const struct fvu_msg *m;
	struct vn_fixture t;
	struct fvu f;
	char msg[256] = "";
	uint64_t feat;
	uint8_t *log;

	fvu_init(&f, BACKEND_FEAT | F(VHOST_F_LOG_ALL), LOG_PF);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	vn_setup(&t, f.path);
	driver_init(&t, GUEST_FEAT);
	m = fvu_find(&f, 1, VHOST_USER_SET_FEATURES, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	feat = fvu_u64(m, 0);
	CU_ASSERT_FALSE(feat & F(VHOST_F_LOG_ALL));
	CU_ASSERT_EQUAL_FATAL(vm_dirty_start(t.vm), 0);
	CU_ASSERT_EQUAL(ops->dirty_log(t.vp, true, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg, "");
	m = fvu_find(&f, 1, VHOST_USER_SET_LOG_BASE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->flags, VHOST_USER_VERSION);
	CU_ASSERT_EQUAL(m->size, 16);
	CU_ASSERT_EQUAL(fvu_u64(m, 0), t.vm->dirty->size);
	CU_ASSERT_EQUAL(fvu_u64(m, 8), 0);
	CU_ASSERT_EQUAL_FATAL(m->nfds, 1);
	CU_ASSERT_EQUAL(m->ino[0], vn_ino(t.vm->dirty->fd));
	log = mmap(NULL, t.vm->dirty->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   m->log_fd, 0);
	CU_ASSERT_FATAL(log != MAP_FAILED);
	m = fvu_find(&f, 1, VHOST_USER_SET_FEATURES, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(fvu_u64(m, 0), feat | F(VHOST_F_LOG_ALL));
	for (unsigned int q = 0; q < 2; q++) {
		m = fvu_find(&f, 1, VHOST_USER_SET_VRING_ADDR, 2 + q);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		CU_ASSERT_EQUAL(fvu_u32(m, 0), q);
		CU_ASSERT_EQUAL(fvu_u32(m, 1), 1u << VHOST_VRING_F_LOG);
		CU_ASSERT_EQUAL(fvu_u64(m, 16), (uintptr_t)t.mem + USED(q));
		CU_ASSERT_EQUAL(fvu_u64(m, 32), USED(q));
	}
	/* the backend writes a frame at page 0x80 and marks it (a byte OR,
	 * as DPDK's vhost library does) */
	__atomic_fetch_or(&log[0x80 / 8], (uint8_t)(1u << (0x80 % 8)),
			  __ATOMIC_RELAXED);
	CU_ASSERT_EQUAL(vm_dirty_take(t.vm, 0, bm), 1);
	CU_ASSERT_EQUAL(bm[2], 1ULL);
	CU_ASSERT_EQUAL(vm_dirty_take(t.vm, 0, bm), 0);
	/* off: LOG_ALL and the ring flag go, the rings keep running */
	CU_ASSERT_EQUAL(ops->dirty_log(t.vp, false, NULL, 0), 0);
	m = fvu_find(&f, 1, VHOST_USER_SET_FEATURES, 2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(fvu_u64(m, 0), feat);
	m = fvu_find(&f, 1, VHOST_USER_SET_VRING_ADDR, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(fvu_u32(m, 1), 0);
	CU_ASSERT_EQUAL(fvu_u64(m, 32), 0);
	CU_ASSERT(virtio_net_queue_started(t.n, 0));
	CU_ASSERT(virtio_net_connected(t.n));
	munmap(log, t.vm->dirty->size);
	vm_dirty_stop(t.vm);
	/* the destination's announce */
	ops->announce(t.vp);
	m = fvu_find(&f, 1, VHOST_USER_SEND_RARP, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->size, 8);
	CU_ASSERT_EQUAL(memcmp(m->payload, test_mac.b, MAC_LEN), 0);
	CU_ASSERT_PTR_NULL(fvu_find(&f, 1, VHOST_USER_SEND_RARP, 1));
	vn_teardown(&t);
	fvu_fini(&f);
}

/* An incoming migration announces before the state comes: the NIC,
 * connected but not started yet, gives the backend its memory table at
 * once and nothing else; when the state starts the rings, the RARP goes
 * in the same batch, after them, once. */
static void test_incoming_announce(void)
{
	const struct hv_device_ops *ops = &virtio_pci_device_ops;
	const struct fvu_msg *m, *e;
	struct vn_fixture t;
	struct fvu f;

	fvu_init(&f, BACKEND_FEAT | F(VHOST_F_LOG_ALL), LOG_PF);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	vn_setup(&t, f.path);
	ops->announce(t.vp);
	m = fvu_find(&f, 1, VHOST_USER_SET_MEM_TABLE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->nfds, 1);
	CU_ASSERT_EQUAL(m->ino[0], vn_ino(t.memfd));
	CU_ASSERT_PTR_NULL(fvu_find(&f, 1, VHOST_USER_SEND_RARP, 0));
	CU_ASSERT_PTR_NULL(fvu_find(&f, 1, VHOST_USER_SET_VRING_ENABLE, 0));
	CU_ASSERT_FALSE(virtio_net_queue_started(t.n, 1));
	driver_init(&t, GUEST_FEAT);	/* as a load starts the rings */
	CU_ASSERT(virtio_net_queue_started(t.n, 1));
	e = fvu_find(&f, 1, VHOST_USER_SET_VRING_ENABLE, 1);
	m = fvu_find(&f, 1, VHOST_USER_SEND_RARP, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(m > e);
	CU_ASSERT_EQUAL(memcmp(m->payload, test_mac.b, MAC_LEN), 0);
	CU_ASSERT_PTR_NULL(fvu_find(&f, 1, VHOST_USER_SEND_RARP, 1));
	vn_teardown(&t);
	fvu_fini(&f);
}

static CU_TestInfo tests[] = {
	{ "save_quiesce", test_save_quiesce },
	{ "config space and offered features", test_config_and_features },
	{ "DRIVER_OK hands the rings over; kick; reset", test_start_and_kick },
	{ "backend restart", test_backend_restart },
	{ "restarted backend lacks a feature", test_backend_lacks_feature },
	{ "garbage or absent backend", test_bad_backend },
	{ "silent backend", test_silent_backend },
	{ "creation checks", test_create_checks },
	{ "save/load", test_save_load },
	{ "call fds follow MSI-X (KVM)", test_kvm_call_routing },
	{ "migration: dirty log refused", test_migrate_log_refused },
	{ "migration: dirty log and RARP", test_migrate_log },
	{ "migration: announced before the state", test_incoming_announce },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(virtio_net, NULL, NULL, tests);
