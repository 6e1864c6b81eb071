/* virtio_console over the virtio-pci transport, driven the way a guest
 * driver does it: PCI config, BAR0 registers, rings in guest memory. */
#include <unistd.h>
#include "devtest.h"
#include "hv/core.h"
#include "hv/virtio_pci.h"

#define MEM		(1u << 20)
#define QSZ		8
#define RING(q)		(0x10000 + 0x1000 * (q))	/* desc; avail +0x100; used +0x200 */
#define BUF		0x40000

struct vc_fixture {
	struct vm *vm;
	uint8_t *mem;
	struct pci_bus *bus;
	struct virtio_console *vc;
	struct virtio_pci *vp;
	struct devtest_out out;
	uint64_t bar;
	uint16_t avail[2];
};

static uint32_t cfg_rd(struct vm *vm, unsigned int reg, unsigned int size)
{
	pio_out(vm, PCI_CONFIG_PORT, 4, 0x80000000u | 1u << 11 | (reg & ~3u));
	return (uint32_t)pio_in(vm, PCI_CONFIG_PORT + 4 + (reg & 3), size);
}

static void cfg_wr(struct vm *vm, unsigned int reg, unsigned int size,
		   uint32_t v)
{
	pio_out(vm, PCI_CONFIG_PORT, 4, 0x80000000u | 1u << 11 | (reg & ~3u));
	pio_out(vm, PCI_CONFIG_PORT + 4 + (reg & 3), size, v);
}

#define COMMON(f, off, sz)	mmio_in((f)->vm, (f)->bar + (off), sz)
#define COMMON_W(f, off, sz, v)	mmio_out((f)->vm, (f)->bar + (off), sz, v)
#define STATUS(f)		COMMON(f, 20, 1)

static void vc_setup(struct vc_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->vm = devtest_vm(MEM, 1);
	f->mem = f->vm->mem[0].hva;
	f->bus = pci_bus_create(f->vm);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->bus);
	f->vc = virtio_console_create(f->vm, f->bus);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->vc);
	f->vp = virtio_console_transport(f->vc);
	virtio_console_set_output(f->vc, devtest_capture, &f->out);
	f->bar = cfg_rd(f->vm, PCI_BAR0, 4) & ~0xfu;
}

static void vc_teardown(struct vc_fixture *f)
{
	virtio_console_destroy(f->vc);
	pci_bus_destroy(f->bus);
	devtest_vm_free(f->vm);
}

static void setup_queue(struct vc_fixture *f, unsigned int q)
{
	COMMON_W(f, 22, 2, q);				/* queue_select */
	COMMON_W(f, 24, 2, QSZ);
	COMMON_W(f, 26, 2, VIRTIO_MSI_NO_VECTOR);
	COMMON_W(f, 32, 4, RING(q));			/* desc, as two halves */
	COMMON_W(f, 36, 4, 0);
	COMMON_W(f, 40, 8, RING(q) + 0x100);
	COMMON_W(f, 48, 8, RING(q) + 0x200);
	COMMON_W(f, 28, 2, 1);				/* enable */
}

/* The driver side of initialisation (virtio 1.2 §3.1.1). */
static void driver_init(struct vc_fixture *f)
{
	COMMON_W(f, 20, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	COMMON_W(f, 20, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	COMMON_W(f, 8, 4, 1);
	COMMON_W(f, 12, 4, 1);				/* VERSION_1 */
	COMMON_W(f, 8, 4, 0);
	COMMON_W(f, 12, 4, 0);
	COMMON_W(f, 20, 1, 0x0b);			/* + FEATURES_OK */
	CU_ASSERT_EQUAL(STATUS(f), 0x0b);
	setup_queue(f, 0);
	setup_queue(f, 1);
	COMMON_W(f, 20, 1, 0x0f);			/* + DRIVER_OK */
	CU_ASSERT_EQUAL(STATUS(f), 0x0f);
}

static void put_desc(struct vc_fixture *f, unsigned int q, unsigned int i,
		     uint64_t addr, uint32_t len, uint16_t flags)
{
	uint8_t *d = f->mem + RING(q) + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memset(d + 14, 0, 2);
}

static void offer(struct vc_fixture *f, unsigned int q, uint16_t head,
		  bool kick)
{
	uint8_t *avail = f->mem + RING(q) + 0x100;

	memcpy(avail + 4 + 2 * (f->avail[q] % QSZ), &head, 2);
	f->avail[q]++;
	memcpy(avail + 2, &f->avail[q], 2);
	if (kick)
		mmio_out(f->vm, f->bar + VIRTIO_PCI_NOTIFY_OFF +
			 VIRTIO_PCI_NOTIFY_MULT * q, 2, q);
}

static uint16_t used_idx(struct vc_fixture *f, unsigned int q)
{
	uint16_t v;

	memcpy(&v, f->mem + RING(q) + 0x200 + 2, 2);
	return v;
}

static uint32_t used_len(struct vc_fixture *f, unsigned int q, unsigned int n)
{
	uint32_t v;

	memcpy(&v, f->mem + RING(q) + 0x200 + 4 + 8 * (n % QSZ) + 4, 4);
	return v;
}

static void test_pci_identity(void)
{
	struct vc_fixture f;
	unsigned int off, types = 0, msix = 0;

	vc_setup(&f);
	CU_ASSERT_EQUAL(cfg_rd(f.vm, 0, 4), 0x10431af4);
	CU_ASSERT_EQUAL(cfg_rd(f.vm, PCI_REVISION_ID, 1), 1);
	CU_ASSERT_EQUAL(cfg_rd(f.vm, PCI_SUBSYSTEM_ID, 2), 3);
	CU_ASSERT(f.bar >= PCI_MMIO_BASE && f.bar < PCI_MMIO_END);
	for (off = cfg_rd(f.vm, 0x34, 1); off; off = cfg_rd(f.vm, off + 1, 1)) {
		if (cfg_rd(f.vm, off, 1) == PCI_CAP_ID_VNDR) {
			types |= 1u << cfg_rd(f.vm, off + 3, 1);
			CU_ASSERT_EQUAL(cfg_rd(f.vm, off + 4, 1), 0);	/* BAR0 */
		} else if (cfg_rd(f.vm, off, 1) == PCI_CAP_ID_MSIX) {
			msix = cfg_rd(f.vm, off + 2, 2) + 1;
		}
	}
	CU_ASSERT_EQUAL(types, 0x3e);	/* common, notify, ISR, device, PCI_CFG */
	CU_ASSERT_EQUAL(msix, 3);		/* 2 queues + config */
	CU_ASSERT_EQUAL(COMMON(&f, 18, 2), 2);	/* num_queues */
	COMMON_W(&f, 0, 4, 1);
	CU_ASSERT_EQUAL(COMMON(&f, 4, 4) & 1, 1);	/* VERSION_1 */
	vc_teardown(&f);
}

/* BAR0 through config space: the VIRTIO_PCI_CAP_PCI_CFG window. */
static void test_cfg_window(void)
{
	struct vc_fixture f;
	unsigned int cap = 0;

	vc_setup(&f);
	for (unsigned int off = cfg_rd(f.vm, 0x34, 1); off;
	     off = cfg_rd(f.vm, off + 1, 1))
		if (cfg_rd(f.vm, off, 1) == PCI_CAP_ID_VNDR &&
		    cfg_rd(f.vm, off + 3, 1) == 5)
			cap = off;
	CU_ASSERT_FATAL(cap != 0);
	cfg_wr(f.vm, cap + 8, 4, 18);			/* num_queues */
	cfg_wr(f.vm, cap + 12, 4, 2);
	CU_ASSERT_EQUAL(cfg_rd(f.vm, cap + 16, 4) & 0xffff, 2);
	cfg_wr(f.vm, cap + 8, 4, 20);			/* device_status */
	cfg_wr(f.vm, cap + 12, 4, 1);
	cfg_wr(f.vm, cap + 16, 4, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	CU_ASSERT_EQUAL(STATUS(&f), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	cfg_wr(f.vm, cap + 8, 4, 21);			/* misaligned word */
	cfg_wr(f.vm, cap + 12, 4, 2);
	cfg_wr(f.vm, cap + 16, 4, 0);
	CU_ASSERT_EQUAL(STATUS(&f), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	cfg_wr(f.vm, cap + 8, 4, VIRTIO_PCI_BAR_SIZE);	/* past BAR0 */
	cfg_wr(f.vm, cap + 12, 4, 4);
	cfg_wr(f.vm, cap + 16, 4, 0);
	CU_ASSERT_EQUAL(STATUS(&f), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vc_teardown(&f);
}

static void test_negotiation(void)
{
	struct vc_fixture f;
	enum log_level saved = log_get_level();

	vc_setup(&f);
	COMMON_W(&f, 20, 1, 0x03);
	COMMON_W(&f, 20, 1, 0x0b);		/* no VERSION_1 written */
	CU_ASSERT_EQUAL(STATUS(&f), 0x03);
	COMMON_W(&f, 8, 4, 1);
	COMMON_W(&f, 12, 4, 1 | 1u << 20);	/* a bit we do not offer */
	COMMON_W(&f, 20, 1, 0x0b);
	CU_ASSERT_EQUAL(STATUS(&f), 0x03);
	COMMON_W(&f, 12, 4, 1);
	COMMON_W(&f, 20, 1, 0x0b);
	CU_ASSERT_EQUAL(STATUS(&f), 0x0b);
	COMMON_W(&f, 12, 4, 0);			/* too late: ignored */
	CU_ASSERT_EQUAL(COMMON(&f, 12, 4), 1);
	/* queue checks */
	COMMON_W(&f, 22, 2, 7);			/* no such queue */
	CU_ASSERT_EQUAL(COMMON(&f, 24, 2), 0);
	COMMON_W(&f, 22, 2, 1);
	CU_ASSERT_EQUAL(COMMON(&f, 24, 2), 256);
	CU_ASSERT_EQUAL(COMMON(&f, 30, 2), 1);	/* notify_off */
	COMMON_W(&f, 24, 2, 3);			/* not a power of two */
	CU_ASSERT_EQUAL(COMMON(&f, 24, 2), 256);
	COMMON_W(&f, 24, 2, 512);		/* above the maximum */
	CU_ASSERT_EQUAL(COMMON(&f, 24, 2), 256);
	COMMON_W(&f, 26, 2, 9);			/* no such vector */
	CU_ASSERT_EQUAL(COMMON(&f, 26, 2), VIRTIO_MSI_NO_VECTOR);
	log_set_level(LL_ERR);
	COMMON_W(&f, 32, 8, MEM - 16);		/* desc outside memory */
	COMMON_W(&f, 28, 2, 1);
	CU_ASSERT_EQUAL(COMMON(&f, 28, 2), 0);
	CU_ASSERT(STATUS(&f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	log_set_level(saved);
	COMMON_W(&f, 20, 1, 0);			/* reset */
	CU_ASSERT_EQUAL(STATUS(&f), 0);
	CU_ASSERT_EQUAL(COMMON(&f, 12, 4), 0);
	driver_init(&f);
	vc_teardown(&f);
}

static void test_output(void)
{
	struct vc_fixture f;

	vc_setup(&f);
	driver_init(&f);
	memcpy(f.mem + BUF, "hello ", 6);
	memcpy(f.mem + BUF + 0x100, "world\n", 6);
	put_desc(&f, 1, 0, BUF, 6, VRING_DESC_F_NEXT);
	memcpy(f.mem + RING(1) + 14, &(uint16_t){ 1 }, 2);
	put_desc(&f, 1, 1, BUF + 0x100, 6, 0);
	offer(&f, 1, 0, true);
	CU_ASSERT_STRING_EQUAL(f.out.buf, "hello world\n");
	CU_ASSERT_EQUAL(used_idx(&f, 1), 1);
	/* INTx: MSI-X is off, so the ISR and the line report it */
	CU_ASSERT_EQUAL(virtio_pci_intx_level(f.vp), 1);
	CU_ASSERT_EQUAL(mmio_in(f.vm, f.bar + VIRTIO_PCI_ISR_OFF, 1), 1);
	CU_ASSERT_EQUAL(virtio_pci_intx_level(f.vp), 0);
	CU_ASSERT_EQUAL(mmio_in(f.vm, f.bar + VIRTIO_PCI_ISR_OFF, 1), 0);
	/* a second buffer: no notification needed when the driver
	 * suppresses interrupts */
	memcpy(f.mem + RING(1) + 0x100, &(uint16_t){ 1 }, 2);
	put_desc(&f, 1, 2, BUF, 3, 0);
	offer(&f, 1, 2, true);
	CU_ASSERT_STRING_EQUAL(f.out.buf, "hello world\nhel");
	CU_ASSERT_EQUAL(virtio_pci_intx_level(f.vp), 0);
	vc_teardown(&f);
}

static void test_input(void)
{
	struct vc_fixture f;

	vc_setup(&f);
	virtio_console_input(f.vc, (const uint8_t *)"early", 5);
	CU_ASSERT_FALSE(virtio_console_active(f.vc));
	driver_init(&f);
	CU_ASSERT_TRUE(virtio_console_active(f.vc));
	put_desc(&f, 0, 0, BUF, 3, VRING_DESC_F_WRITE);
	offer(&f, 0, 0, true);				/* 3 of 5 bytes */
	CU_ASSERT_EQUAL(used_idx(&f, 0), 1);
	CU_ASSERT_EQUAL(used_len(&f, 0, 0), 3);
	CU_ASSERT(memcmp(f.mem + BUF, "ear", 3) == 0);
	put_desc(&f, 0, 1, BUF + 0x100, 64, VRING_DESC_F_WRITE);
	offer(&f, 0, 1, true);
	CU_ASSERT_EQUAL(used_len(&f, 0, 1), 2);
	CU_ASSERT(memcmp(f.mem + BUF + 0x100, "ly", 2) == 0);
	put_desc(&f, 0, 2, BUF + 0x200, 64, VRING_DESC_F_WRITE);
	offer(&f, 0, 2, true);				/* nothing to give */
	CU_ASSERT_EQUAL(used_idx(&f, 0), 2);
	virtio_console_input(f.vc, (const uint8_t *)"now", 3);
	CU_ASSERT_EQUAL(used_idx(&f, 0), 3);
	CU_ASSERT(memcmp(f.mem + BUF + 0x200, "now", 3) == 0);
	vc_teardown(&f);
}

static void test_bad_chain(void)
{
	struct vc_fixture f;
	enum log_level saved = log_get_level();

	vc_setup(&f);
	driver_init(&f);
	log_set_level(LL_ERR);
	put_desc(&f, 1, 0, MEM + 0x1000, 6, 0);		/* outside memory */
	offer(&f, 1, 0, true);
	log_set_level(saved);
	CU_ASSERT(STATUS(&f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CU_ASSERT_FALSE(virtio_console_active(f.vc));
	CU_ASSERT_EQUAL(f.out.len, 0);
	COMMON_W(&f, 20, 1, 0);			/* reset, fresh rings */
	memset(f.mem + RING(0), 0, 0x2000);
	memset(f.avail, 0, sizeof(f.avail));
	driver_init(&f);
	CU_ASSERT_TRUE(virtio_console_active(f.vc));
	vc_teardown(&f);
}

static void test_msix(void)
{
	struct vc_fixture f;
	unsigned int cap = 0;
	uint64_t table, pba;

	vc_setup(&f);
	for (unsigned int off = cfg_rd(f.vm, 0x34, 1); off;
	     off = cfg_rd(f.vm, off + 1, 1))
		if (cfg_rd(f.vm, off, 1) == PCI_CAP_ID_MSIX)
			cap = off;
	CU_ASSERT_FATAL(cap != 0);
	table = f.bar + (cfg_rd(f.vm, cap + 4, 4) & ~7u);
	pba = f.bar + (cfg_rd(f.vm, cap + 8, 4) & ~7u);
	CU_ASSERT_EQUAL(mmio_in(f.vm, table + 12, 4), 1);	/* masked */
	mmio_out(f.vm, table + 0, 4, 0xfee00000);
	mmio_out(f.vm, table + 8, 4, 0x4041);
	CU_ASSERT_EQUAL(mmio_in(f.vm, table + 8, 4), 0x4041);
	cfg_wr(f.vm, cap + 2, 2, 0x8000);			/* enable */
	driver_init(&f);
	COMMON_W(&f, 22, 2, 1);
	COMMON_W(&f, 26, 2, 0);				/* TX -> vector 0 */
	CU_ASSERT_EQUAL(COMMON(&f, 26, 2), 0);
	memcpy(f.mem + BUF, "x", 1);
	put_desc(&f, 1, 0, BUF, 1, 0);
	offer(&f, 1, 0, true);				/* vector masked */
	CU_ASSERT_EQUAL(mmio_in(f.vm, pba, 8) & 1, 1);
	CU_ASSERT_EQUAL(virtio_pci_intx_level(f.vp), 0);	/* no INTx */
	mmio_out(f.vm, table + 12, 4, 0);			/* unmask */
	CU_ASSERT_EQUAL(mmio_in(f.vm, pba, 8) & 1, 0);		/* delivered */
	CU_ASSERT_STRING_EQUAL(f.out.buf, "x");
	vc_teardown(&f);
}

static void test_routing(void)
{
	struct vm *vm = devtest_vm(MEM, 1);
	struct vc_fixture f;

	CU_ASSERT_EQUAL_FATAL(devices_create(vm), 0);
	devices_console_input(vm->devices, (const uint8_t *)"u", 1);
	CU_ASSERT_EQUAL(pio_in(vm, COM1_PORT + 5, 1) & 1, 1);	/* UART got it */
	CU_ASSERT_EQUAL(pio_in(vm, COM1_PORT, 1), 'u');
	memset(&f, 0, sizeof(f));
	f.vm = vm;
	f.mem = vm->mem[0].hva;
	f.bar = cfg_rd(vm, PCI_BAR0, 4) & ~0xfu;
	CU_ASSERT_EQUAL(cfg_rd(vm, 0, 4), 0x10431af4);
	driver_init(&f);
	put_desc(&f, 0, 0, BUF, 16, VRING_DESC_F_WRITE);
	offer(&f, 0, 0, true);
	devices_console_input(vm->devices, (const uint8_t *)"v", 1);
	CU_ASSERT_EQUAL(pio_in(vm, COM1_PORT + 5, 1) & 1, 0);
	CU_ASSERT_EQUAL(used_idx(&f, 0), 1);
	CU_ASSERT_EQUAL(f.mem[BUF], 'v');
	devices_destroy(vm);
	devtest_vm_free(vm);
}

static void test_save_load(void)
{
	struct vc_fixture a, b;

	vc_setup(&a);
	vc_setup(&b);
	driver_init(&a);
	memcpy(a.mem + BUF, "abc", 3);
	put_desc(&a, 1, 0, BUF, 3, 0);
	offer(&a, 1, 0, true);
	virtio_console_input(a.vc, (const uint8_t *)"pending", 7);
	devtest_roundtrip(&virtio_pci_device_ops, a.vp, b.vp);
	CU_ASSERT_TRUE(virtio_console_active(b.vc));
	CU_ASSERT_EQUAL(STATUS(&b), 0x0f);
	/* b continues where a stopped: next TX chain, buffered input */
	memcpy(b.mem + RING(1), a.mem + RING(1), 0x1000);
	memcpy(b.mem + BUF, "def", 3);
	b.avail[1] = a.avail[1];
	put_desc(&b, 1, 1, BUF, 3, 0);
	offer(&b, 1, 1, true);
	CU_ASSERT_STRING_EQUAL(b.out.buf, "def");
	memcpy(b.mem + RING(0), a.mem + RING(0), 0x1000);
	put_desc(&b, 0, 0, BUF + 0x100, 16, VRING_DESC_F_WRITE);
	offer(&b, 0, 0, true);
	CU_ASSERT(memcmp(b.mem + BUF + 0x100, "pending", 7) == 0);
	vc_teardown(&a);
	vc_teardown(&b);
}

/* Seeded garbage on BAR0, config space and the rings (what a hostile
 * guest can reach); afterwards a well-behaved driver still works. Run it
 * under valgrind or ASan to see that nothing outside guest RAM is hit. */
static void test_survives_garbage(void)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8 };
	struct vc_fixture f;
	enum log_level saved = log_get_level();
	uint32_t bar0;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	vc_setup(&f);
	bar0 = (uint32_t)f.bar;
	log_set_level(LL_ERR);
	for (unsigned int i = 0; i < 50000; i++) {
		uint64_t v, off;
		unsigned int size;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;	/* xorshift */
		v = x * 0x2545f4914f6cdd1dULL;
		size = sizes[x % 4];
		off = (x >> 8) % VIRTIO_PCI_BAR_SIZE;
		switch ((x >> 40) % 4) {
		case 0:
			mmio_out(f.vm, f.bar + off, size, v);
			break;
		case 1:
			mmio_in(f.vm, f.bar + off, size);
			break;
		case 2:
			cfg_wr(f.vm, (x >> 24) % 256 & ~(size - 1), MIN(size, 4u),
			       (uint32_t)v);
			break;
		default:
			f.mem[RING(0) + off % 0x2000] = (uint8_t)v;
			mmio_out(f.vm, f.bar + VIRTIO_PCI_NOTIFY_OFF + 4 * (x % 2),
				 2, x % 2);
			break;
		}
	}
	log_set_level(saved);
	CU_ASSERT_EQUAL(f.vm->stop_reason, VM_STOP_NONE);
	cfg_wr(f.vm, PCI_BAR0, 4, bar0);
	cfg_wr(f.vm, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	cfg_wr(f.vm, 0x3c, 1, 0);
	COMMON_W(&f, 20, 1, 0);
	memset(f.mem + RING(0), 0, 0x2000);
	driver_init(&f);
	f.out.len = 0;
	memcpy(f.mem + BUF, "ok", 2);
	put_desc(&f, 1, 0, BUF, 2, 0);
	offer(&f, 1, 0, true);
	CU_ASSERT_STRING_EQUAL(f.out.buf, "ok");
	vc_teardown(&f);
}

/* With a real KVM VM (when /dev/kvm is usable): an unmasked MSI-X
 * vector is bound to an irqfd route, enabled queues get ioeventfds,
 * which follow a BAR move and go away on reset. */
static void test_kvm_bindings(void)
{
	struct vc_fixture f;
	unsigned int cap = 0;
	int rc;
	uint64_t table;

	if (access("/dev/kvm", R_OK | W_OK) != 0)
		return;
	memset(&f, 0, sizeof(f));
	f.vm = devtest_vm(MEM, 1);
	f.mem = f.vm->mem[0].hva;
	rc = vm_kvm_open(f.vm);
	if (unit_kvm_skip(rc, "kvm_bindings")) {
		if (f.vm->kvm_fd >= 0)
			close(f.vm->kvm_fd);
		devtest_vm_free(f.vm);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL_FATAL(vm_kvm_setup(f.vm), 0);
	CU_ASSERT_EQUAL_FATAL(vm_core_init(f.vm), 0);
	f.bus = pci_bus_create(f.vm);
	f.vc = virtio_console_create(f.vm, f.bus);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f.vc);
	f.vp = virtio_console_transport(f.vc);
	f.bar = cfg_rd(f.vm, PCI_BAR0, 4) & ~0xfu;
	for (unsigned int off = cfg_rd(f.vm, 0x34, 1); off;
	     off = cfg_rd(f.vm, off + 1, 1))
		if (cfg_rd(f.vm, off, 1) == PCI_CAP_ID_MSIX)
			cap = off;
	table = f.bar + VIRTIO_PCI_MSIX_TABLE_OFF;
	mmio_out(f.vm, table + 0, 4, 0xfee00000);
	mmio_out(f.vm, table + 8, 4, 0x4041);
	cfg_wr(f.vm, cap + 2, 2, 0x8000);
	CU_ASSERT_EQUAL(virtio_pci_vector_gsi(f.vp, 0), -1);	/* masked */
	mmio_out(f.vm, table + 12, 4, 0);
	CU_ASSERT(virtio_pci_vector_gsi(f.vp, 0) >= 24);
	driver_init(&f);
	CU_ASSERT_TRUE(virtio_pci_queue_ioeventfd(f.vp, 0));
	CU_ASSERT_TRUE(virtio_pci_queue_ioeventfd(f.vp, 1));
	cfg_wr(f.vm, PCI_BAR0, 4, 0xd0000000);			/* move BAR0 */
	CU_ASSERT_TRUE(virtio_pci_queue_ioeventfd(f.vp, 1));
	cfg_wr(f.vm, PCI_COMMAND, 2, 0);			/* decoding off */
	CU_ASSERT_FALSE(virtio_pci_queue_ioeventfd(f.vp, 1));
	cfg_wr(f.vm, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CU_ASSERT_TRUE(virtio_pci_queue_ioeventfd(f.vp, 1));
	mmio_out(f.vm, 0xd0000000 + 20, 1, 0);			/* reset */
	CU_ASSERT_FALSE(virtio_pci_queue_ioeventfd(f.vp, 1));
	cfg_wr(f.vm, cap + 2, 2, 0);				/* MSI-X off */
	CU_ASSERT_EQUAL(virtio_pci_vector_gsi(f.vp, 0), -1);
	virtio_console_destroy(f.vc);
	pci_bus_destroy(f.bus);
	free(f.vm->mem[0].hva);		/* ours, not hv's mapping */
	f.vm->nr_mem = 0;
	vm_destroy(f.vm);
	pthread_mutex_destroy(&f.vm->dev_lock);
	free(f.vm);
}

static CU_TestInfo tests[] = {
	{ "pci_identity", test_pci_identity },
	{ "cfg_window", test_cfg_window },
	{ "negotiation", test_negotiation },
	{ "output", test_output },
	{ "input", test_input },
	{ "bad_chain", test_bad_chain },
	{ "msix", test_msix },
	{ "routing", test_routing },
	{ "save_load", test_save_load },
	{ "survives_garbage", test_survives_garbage },
	{ "kvm_bindings", test_kvm_bindings },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(virtio_console, NULL, NULL, tests);
