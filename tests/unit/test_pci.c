/* pci: configuration mechanism #1, BAR sizing and moves, capabilities. */
#include "devtest.h"
#include "hv/pci.h"

#define CFG(dev, fn, reg)	(0x80000000u | (dev) << 11 | (fn) << 8 | (reg))

static uint32_t cfg_read(struct vm *vm, uint32_t addr, unsigned int size)
{
	pio_out(vm, PCI_CONFIG_PORT, 4, addr & ~3u);
	return (uint32_t)pio_in(vm, PCI_CONFIG_PORT + 4 + (addr & 3), size);
}

static void cfg_write(struct vm *vm, uint32_t addr, unsigned int size,
		      uint32_t v)
{
	pio_out(vm, PCI_CONFIG_PORT, 4, addr & ~3u);
	pio_out(vm, PCI_CONFIG_PORT + 4 + (addr & 3), size, v);
}

static uint64_t bar_read(void *opaque, uint64_t off, unsigned int size UNUSED)
{
	return (uint64_t)(uintptr_t)opaque + off;
}

static const struct io_ops bar_ops = { .read = bar_read };

static unsigned int moves;
static uint64_t moved_to;

static void bar_moved(struct pci_dev *d UNUSED, unsigned int bar UNUSED,
		      uint64_t gpa)
{
	moves++;
	moved_to = gpa;
}

static const struct pci_dev_ops test_dev_ops = { .bar_moved = bar_moved };

struct pci_fixture {
	struct vm *vm;
	struct pci_bus *bus;
	struct pci_dev dev;
};

static void pci_setup(struct pci_fixture *f)
{
	static const uint8_t cap1[4] = { 0x05, 0, 0x11, 0x22 };
	static const uint8_t cap2[8] = { 0x09, 0, 8, 1, 2, 3, 4, 5 };

	memset(f, 0, sizeof(*f));
	f->vm = devtest_vm(0, 1);
	f->bus = pci_bus_create(f->vm);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->bus);
	pci_dev_init(&f->dev, "testdev", 0x1af4, 0x1043, 1, 0x078000,
		     0x1af4, 3);
	f->dev.ops = &test_dev_ops;
	CU_ASSERT_EQUAL(pci_dev_set_bar(&f->dev, 0, 0x1000, &bar_ops,
					(void *)0x1000), 0);
	CU_ASSERT_EQUAL(pci_dev_set_bar(&f->dev, 2, 0x4000, &bar_ops,
					(void *)0x4000), 0);
	CU_ASSERT_EQUAL(pci_dev_set_bar(&f->dev, 1, 0x1001, &bar_ops, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(pci_dev_add_cap(&f->dev, cap1, sizeof(cap1)), 0x40);
	CU_ASSERT_EQUAL(pci_dev_add_cap(&f->dev, cap2, sizeof(cap2)), 0x44);
	moves = 0;
	CU_ASSERT_EQUAL_FATAL(pci_bus_add(f->bus, &f->dev), 0);
}

static void pci_teardown(struct pci_fixture *f)
{
	pci_bus_destroy(f->bus);
	devtest_vm_free(f->vm);
}

static void test_enumeration(void)
{
	struct pci_fixture f;

	pci_setup(&f);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(0, 0, 0), 4), 0x12378086);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(0, 0, 0x0a), 2), 0x0600);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 0), 4), 0x10431af4);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 2), 2), 0x1043);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 1), 1), 0x1a);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 0x2e), 2), 3);
	/* absent: other slots, functions, buses; enable bit clear */
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(2, 0, 0), 4), 0xffffffff);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 1, 0), 2), 0xffff);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 0) | 1u << 16, 4),
			0xffffffff);
	CU_ASSERT_EQUAL(cfg_read(f.vm, (1u << 11), 4), 0xffffffff);
	/* unaligned data accesses are refused */
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 1), 2), 0xffff);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 2), 4), 0xffffffff);
	/* CONFIG_ADDRESS reads back, reserved bits dropped */
	pio_out(f.vm, PCI_CONFIG_PORT, 4, 0xff000003 | CFG(1, 0, 0x10));
	CU_ASSERT_EQUAL(pio_in(f.vm, PCI_CONFIG_PORT, 4), CFG(1, 0, 0x10));
	CU_ASSERT_EQUAL(pio_in(f.vm, PCI_CONFIG_PORT, 2), 0xffff);
	pci_teardown(&f);
}

static void test_capabilities(void)
{
	struct pci_fixture f;
	unsigned int off, n = 0;

	pci_setup(&f);
	CU_ASSERT(cfg_read(f.vm, CFG(1, 0, PCI_STATUS), 2) &
		  PCI_STATUS_CAP_LIST);
	for (off = cfg_read(f.vm, CFG(1, 0, 0x34), 1); off && n < 48;
	     off = cfg_read(f.vm, CFG(1, 0, off + 1), 1))
		n++;
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 0x44), 1), 0x09);
	/* read-only: a write changes nothing */
	cfg_write(f.vm, CFG(1, 0, 0x44), 4, 0);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 0x44), 1), 0x09);
	cfg_write(f.vm, CFG(1, 0, 0), 4, 0);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 0), 2), 0x1af4);
	pci_teardown(&f);
}

static void test_bars(void)
{
	struct pci_fixture f;
	uint32_t bar0, bar2;

	pci_setup(&f);
	/* pre-assigned inside the window, aligned, decoding on */
	bar0 = cfg_read(f.vm, CFG(1, 0, 0x10), 4);
	bar2 = cfg_read(f.vm, CFG(1, 0, 0x18), 4);
	CU_ASSERT(bar0 >= PCI_MMIO_BASE && bar0 % 0x1000 == 0);
	CU_ASSERT(bar2 >= PCI_MMIO_BASE && bar2 % 0x4000 == 0);
	CU_ASSERT(bar0 + 0x1000 <= bar2 || bar2 + 0x4000 <= bar0);
	CU_ASSERT(cfg_read(f.vm, CFG(1, 0, 4), 2) & PCI_COMMAND_MEMORY);
	CU_ASSERT_EQUAL(mmio_in(f.vm, bar0 + 8, 4), 0x1008);
	CU_ASSERT_EQUAL(mmio_in(f.vm, bar2 + 0x10, 4), 0x4010);
	/* sizing */
	cfg_write(f.vm, CFG(1, 0, 0x10), 4, 0xffffffff);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 0x10), 4), 0xfffff000);
	CU_ASSERT_EQUAL(mmio_in(f.vm, bar0 + 8, 4), 0xffffffff);	/* off */
	cfg_write(f.vm, CFG(1, 0, 0x14), 4, 0xffffffff);	/* no BAR1 */
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 0x14), 4), 0);
	/* move BAR0 */
	moves = 0;
	cfg_write(f.vm, CFG(1, 0, 0x10), 4, 0xd0000000);
	CU_ASSERT_EQUAL(mmio_in(f.vm, 0xd0000004, 4), 0x1004);
	CU_ASSERT_EQUAL(mmio_in(f.vm, bar0 + 8, 4), 0xffffffff);
	CU_ASSERT_EQUAL(moves, 1);
	CU_ASSERT_EQUAL(moved_to, 0xd0000000);
	/* decoding off, then on again */
	cfg_write(f.vm, CFG(1, 0, 4), 2, 0);
	CU_ASSERT_EQUAL(mmio_in(f.vm, 0xd0000004, 4), 0xffffffff);
	CU_ASSERT_EQUAL(moved_to, 0);
	cfg_write(f.vm, CFG(1, 0, 4), 2, PCI_COMMAND_MEMORY);
	CU_ASSERT_EQUAL(mmio_in(f.vm, 0xd0000004, 4), 0x1004);
	/* a BAR outside the window (over the IOAPIC) is not decoded */
	cfg_write(f.vm, CFG(1, 0, 0x10), 4, (uint32_t)IOAPIC_GPA);
	CU_ASSERT_EQUAL(moved_to, 0);
	/* two BARs on top of each other: the second is not decoded */
	cfg_write(f.vm, CFG(1, 0, 0x10), 4, bar2);
	CU_ASSERT_EQUAL(mmio_in(f.vm, bar2 + 0x10, 4), 0x4010);
	/* once BAR2 moves away, BAR0 is decoded where the guest put it */
	cfg_write(f.vm, CFG(1, 0, 0x18), 4, 0xd0100000);
	CU_ASSERT_EQUAL(mmio_in(f.vm, 0xd0100010, 4), 0x4010);
	CU_ASSERT_EQUAL(mmio_in(f.vm, bar2 + 0x10, 4), 0x1010);
	CU_ASSERT_EQUAL(moved_to, bar2);
	pci_teardown(&f);
}

static void test_intx(void)
{
	struct pci_fixture f;
	struct pci_dev more[8];

	pci_setup(&f);					/* testdev in slot 1 */
	for (unsigned int i = 0; i < 8; i++) {		/* slots 2-9 */
		pci_dev_init(&more[i], "more", 0x1af4, 0x1000, 0, 0, 0, 0);
		CU_ASSERT_EQUAL_FATAL(pci_bus_add(f.bus, &more[i]), 0);
	}
	CU_ASSERT_EQUAL(more[7].slot, 9);
	CU_ASSERT_EQUAL(pci_intx_gsi(1, 0), pci_intx_gsi(9, 0));
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, 0x3c), 1), pci_intx_gsi(1, 0));
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(9, 0, 0x3c), 1), pci_intx_gsi(1, 0));
	pci_dev_set_intx(&f.dev, 1);
	pci_dev_set_intx(&more[7], 1);
	CU_ASSERT(cfg_read(f.vm, CFG(1, 0, PCI_STATUS), 2) & PCI_STATUS_INTERRUPT);
	pci_dev_set_intx(&f.dev, 0);			/* line still shared */
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(1, 0, PCI_STATUS), 2) &
			PCI_STATUS_INTERRUPT, 0);
	CU_ASSERT_EQUAL(more[7].intx_level, 1);
	for (unsigned int i = 0; i < 8; i++)
		pci_bus_remove(f.bus, &more[i]);
	CU_ASSERT_EQUAL(more[7].intx_level, 0);
	CU_ASSERT_EQUAL(cfg_read(f.vm, CFG(9, 0, 0), 4), 0xffffffff);
	pci_teardown(&f);
}

static void test_reset_register(void)
{
	struct pci_fixture f;

	pci_setup(&f);
	pio_out(f.vm, ACPI_RESET_PORT, 1, 0x02);
	CU_ASSERT_EQUAL(f.vm->stop_reason, VM_STOP_NONE);
	/* a dword at 0xcf8 is CONFIG_ADDRESS, not a reset */
	pio_out(f.vm, PCI_CONFIG_PORT, 4, 0x00000600);
	CU_ASSERT_EQUAL(f.vm->stop_reason, VM_STOP_NONE);
	pio_out(f.vm, ACPI_RESET_PORT, 1, ACPI_RESET_VALUE);
	CU_ASSERT_EQUAL(f.vm->stop_reason, VM_STOP_REBOOT);
	pci_teardown(&f);
}

static void test_save_load(void)
{
	struct pci_fixture a, b;
	struct snap_writer w;
	struct snap_reader r;
	uint8_t cfg[PCI_CFG_SIZE];
	enum log_level saved = log_get_level();

	pci_setup(&a);
	pci_setup(&b);
	pio_out(a.vm, PCI_CONFIG_PORT, 4, CFG(1, 0, 0x3c));
	devtest_roundtrip(&pci_bus_device_ops, a.bus, b.bus);
	CU_ASSERT_EQUAL(pio_in(b.vm, PCI_CONFIG_PORT, 4), CFG(1, 0, 0x3c));
	/* a device's config: guest-written bits travel, others must match */
	cfg_write(a.vm, CFG(1, 0, 0x10), 4, 0xd0000000);
	cfg_write(a.vm, CFG(1, 0, 0x3c), 1, 11);
	snap_writer_init(&w, 0);
	pci_dev_save(&a.dev, &w);
	snap_reader_init(&r, w.buf, w.len);
	CU_ASSERT_EQUAL(pci_dev_load(&b.dev, &r, cfg), 0);
	pci_dev_restore(&b.dev, cfg);
	CU_ASSERT_EQUAL(mmio_in(b.vm, 0xd0000004, 4), 0x1004);
	CU_ASSERT_EQUAL(cfg_read(b.vm, CFG(1, 0, 0x3c), 1), 11);
	w.buf[PCI_DEVICE_ID] ^= 1;
	snap_reader_init(&r, w.buf, w.len);
	log_set_level(LL_ERR);
	CU_ASSERT_EQUAL(pci_dev_load(&b.dev, &r, cfg), -EINVAL);
	log_set_level(saved);
	snap_writer_free(&w);
	pci_teardown(&a);
	pci_teardown(&b);
}

static CU_TestInfo tests[] = {
	{ "enumeration", test_enumeration },
	{ "capabilities", test_capabilities },
	{ "bars", test_bars },
	{ "intx", test_intx },
	{ "reset_register", test_reset_register },
	{ "save_load", test_save_load },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(pci, NULL, NULL, tests);
