/*
 * PCI bus 0: configuration mechanism #1, the host bridge, per-device
 * config spaces with write masks, BAR sizing and placement (see pci.h).
 *
 * The host bridge is 00:00.0 with Intel's 440FX IDs (8086:1237, class
 * 0600): every guest knows it and it needs no driver. Only function 0 of
 * each slot exists; other functions, other buses and empty slots read as
 * all ones and ignore writes, which is what enumeration expects.
 */
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "pci.h"

#define CFG_ADDR_ENABLE		0x80000000u
#define CFG_ADDR_MASK		0x80fffffcu	/* enable, bus, dev, fn, reg */
#define PCI_CAP_START		0x40

struct pci_bus {
	struct vm *vm;
	uint32_t cfg_addr;		/* CONFIG_ADDRESS */
	struct pci_dev *slots[PCI_SLOTS];
	struct pci_dev host;
	uint64_t mmio_next;		/* next free address in the window */
	unsigned int intx_count[PCI_INTX_GSIS];	/* devices asserting each */
};

static struct log_ratelimit pci_rl = LOG_RATELIMIT_INIT(5000, 5);

/* ---- config space bytes ---- */

uint32_t pci_cfg_get(const struct pci_dev *d, unsigned int off,
		     unsigned int size)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < size && off + i < PCI_CFG_SIZE; i++)
		v |= (uint32_t)d->cfg[off + i] << (8 * i);
	return v;
}

void pci_cfg_set(struct pci_dev *d, unsigned int off, unsigned int size,
		 uint32_t val)
{
	for (unsigned int i = 0; i < size && off + i < PCI_CFG_SIZE; i++)
		d->cfg[off + i] = (uint8_t)(val >> (8 * i));
}

void pci_dev_set_wmask(struct pci_dev *d, unsigned int off,
		       unsigned int size, uint32_t mask)
{
	for (unsigned int i = 0; i < size && off + i < PCI_CFG_SIZE; i++)
		d->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor,
		  uint16_t device, uint8_t revision, uint32_t class_code,
		  uint16_t subsys_vendor, uint16_t subsys)
{
	memset(d, 0, sizeof(*d));	/* no hooks, not on a bus */
	d->name = name;
	d->cap_end = PCI_CAP_START;
	pci_cfg_set(d, PCI_VENDOR_ID, 2, vendor);
	pci_cfg_set(d, PCI_DEVICE_ID, 2, device);
	pci_cfg_set(d, PCI_REVISION_ID, 1, revision);
	pci_cfg_set(d, PCI_CLASS_PROG, 3, class_code);
	pci_cfg_set(d, PCI_SUBSYSTEM_VENDOR_ID, 2, subsys_vendor);
	pci_cfg_set(d, PCI_SUBSYSTEM_ID, 2, subsys);
	pci_dev_set_wmask(d, PCI_COMMAND, 2, PCI_COMMAND_MEMORY |
			  PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	pci_dev_set_wmask(d, 0x0c, 2, 0xffff);	/* cache line, latency */
	pci_dev_set_wmask(d, PCI_INTERRUPT_LINE, 1, 0xff);
}

int pci_dev_set_bar(struct pci_dev *d, unsigned int bar, uint32_t size,
		    const struct io_ops *ops, void *opaque)
{
	if (bar >= PCI_NUM_BARS || size < 16 || (size & (size - 1)) || !ops)
		return -EINVAL;
	d->bars[bar] = (struct pci_bar){ .size = size, .ops = ops,
					 .opaque = opaque };
	pci_dev_set_wmask(d, PCI_BAR0 + 4 * bar, 4, ~(size - 1));
	return 0;
}

int pci_dev_add_cap(struct pci_dev *d, const void *cap, unsigned int len)
{
	unsigned int off = d->cap_end;

	if (len < 2 || len > PCI_CFG_SIZE - off)
		return -ENOSPC;
	memcpy(d->cfg + off, cap, len);
	d->cfg[off + 1] = 0;
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = (uint8_t)off;
	else
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_last = (uint8_t)off;
	d->cap_end = (uint8_t)MIN(ALIGN_UP(off + len, 4u), PCI_CFG_SIZE - 4u);
	return (int)off;
}

/* ---- BAR mapping ---- */

static uint64_t pci_bar_target(const struct pci_dev *d, unsigned int i)
{
	uint64_t addr = pci_cfg_get(d, PCI_BAR0 + 4 * i, 4) & ~0xfu;
	uint32_t size = d->bars[i].size;

	if (!(pci_cfg_get(d, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY))
		return 0;
	/* Sizing (all ones) and stray values outside the window are not
	 * decoded: they would shadow RAM or the APICs. */
	if (addr < PCI_MMIO_BASE || addr + size > PCI_MMIO_END)
		return 0;
	return addr;
}

/* Decode BAR i where its register says; true if it gave up a range
 * (another BAR refused there may now fit). */
static bool pci_map_bar(struct pci_dev *d, unsigned int i)
{
	struct pci_bar *b = &d->bars[i];
	struct vm *vm = d->bus->vm;
	uint64_t want = pci_bar_target(d, i);
	bool freed = b->mapped != 0;
	int rc;

	if (want == b->mapped)
		return false;
	if (b->mapped)
		io_unregister(vm, IO_SPACE_MMIO, b->mapped);
	b->mapped = 0;
	if (want) {
		rc = io_register(vm, IO_SPACE_MMIO, want, b->size, b->ops,
				 b->opaque, d->name);
		if (rc == 0)
			b->mapped = want;
		else
			log_ratelimited(&pci_rl, LL_WARN, "pci %s: BAR%u at "
					"%#llx not decoded: %s", d->name, i,
					(unsigned long long)want,
					strerror(-rc));
	}
	if (d->ops && d->ops->bar_moved)
		d->ops->bar_moved(d, i, b->mapped);
	return freed;
}

/* A BAR refused because it overlapped another one is decoded once that
 * one has moved away, as on real hardware (a guest reassigning BARs may
 * pass through overlaps). */
static void pci_map_refused(struct pci_bus *bus)
{
	for (unsigned int s = 0; s < PCI_SLOTS; s++) {
		struct pci_dev *d = bus->slots[s];

		for (unsigned int i = 0; d && i < PCI_NUM_BARS; i++)
			if (d->bars[i].size && !d->bars[i].mapped &&
			    pci_bar_target(d, i))
				pci_map_bar(d, i);
	}
}

static void pci_map_bars(struct pci_dev *d)
{
	bool freed = false;

	for (unsigned int i = 0; i < PCI_NUM_BARS; i++)
		if (d->bars[i].size)
			freed |= pci_map_bar(d, i);
	if (freed && d->bus)
		pci_map_refused(d->bus);
}

static void pci_unmap_bars(struct pci_dev *d)
{
	for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &d->bars[i];

		if (b->mapped)
			io_unregister(d->bus->vm, IO_SPACE_MMIO, b->mapped);
		b->mapped = 0;
	}
}

/* ---- guest config accesses ---- */

static void pci_cfg_write(struct pci_dev *d, unsigned int off,
			  unsigned int size, uint32_t val)
{
	for (unsigned int i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(val >> (8 * i)), *c = &d->cfg[off + i];

		*c = (uint8_t)((*c & ~d->wmask[off + i]) |
			       (b & d->wmask[off + i]));
		*c &= (uint8_t)~(b & d->w1cmask[off + i]);
	}
	if ((off < PCI_COMMAND + 2 && off + size > PCI_COMMAND) ||
	    (off < PCI_BAR0 + 4 * PCI_NUM_BARS && off + size > PCI_BAR0))
		pci_map_bars(d);
	if (d->ops && d->ops->cfg_write)
		d->ops->cfg_write(d, off, size, val);
}

/* The device CONFIG_ADDRESS selects, or NULL (absent: all ones). */
static struct pci_dev *pci_selected(struct pci_bus *bus)
{
	uint32_t a = bus->cfg_addr;

	if (!(a & CFG_ADDR_ENABLE) || ((a >> 16) & 0xff) != 0 ||
	    ((a >> 8) & 0x7) != 0)
		return NULL;
	return bus->slots[(a >> 11) & 0x1f];
}

/* off is 0-3 within CONFIG_DATA; accesses must be naturally aligned. */
static struct pci_dev *pci_data_target(struct pci_bus *bus, uint64_t off,
				       unsigned int size, unsigned int *reg)
{
	if ((size != 1 && size != 2 && size != 4) || off % size != 0 ||
	    off + size > 4)
		return NULL;
	*reg = (bus->cfg_addr & 0xfc) + (unsigned int)off;
	return pci_selected(bus);
}

static uint64_t pci_port_read(void *opaque, uint64_t off, unsigned int size)
{
	struct pci_bus *bus = opaque;
	struct pci_dev *d;
	unsigned int reg;

	if (off == 0 && size == 4)
		return bus->cfg_addr;
	if (off == 1 && size == 1)
		return 0;			/* reset register */
	if (off < 4)
		return ~0ULL;
	d = pci_data_target(bus, off - 4, size, &reg);
	if (!d)
		return ~0ULL;
	if (d->ops && d->ops->cfg_read)
		d->ops->cfg_read(d, reg, size);
	return pci_cfg_get(d, reg, size);
}

static void pci_port_write(void *opaque, uint64_t off, unsigned int size,
			   uint64_t val)
{
	struct pci_bus *bus = opaque;
	struct pci_dev *d;
	unsigned int reg;

	if (off == 0 && size == 4) {
		bus->cfg_addr = (uint32_t)val & CFG_ADDR_MASK;
		return;
	}
	if (off == 1 && size == 1) {
		acpi_pm_reset_write(bus->vm, (uint8_t)val);
		return;
	}
	if (off < 4)
		return;
	d = pci_data_target(bus, off - 4, size, &reg);
	if (d)
		pci_cfg_write(d, reg, size, (uint32_t)val);
}

static const struct io_ops pci_port_ops = {
	.read = pci_port_read,
	.write = pci_port_write,
};

/* ---- INTx ---- */

void pci_dev_set_intx(struct pci_dev *d, int level)
{
	unsigned int gsi, *count;

	level = !!level;
	if (level)
		d->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		d->cfg[PCI_STATUS] &= (uint8_t)~PCI_STATUS_INTERRUPT;
	if (!d->bus || level == d->intx_level)
		return;
	d->intx_level = level;
	gsi = pci_intx_gsi(d->slot, 0);
	count = &d->bus->intx_count[gsi - PCI_INTX_GSI_BASE];
	if (level ? (*count)++ == 0 : --(*count) == 0)
		vm_irq_line(d->bus->vm, gsi, level);
}

/* ---- bus ---- */

static int pci_assign_bars(struct pci_bus *bus, struct pci_dev *d)
{
	uint64_t next = bus->mmio_next;

	/* Largest first keeps the window dense. */
	for (uint32_t size = 1u << 31; size >= 16; size >>= 1)
		for (unsigned int i = 0; i < PCI_NUM_BARS; i++) {
			if (d->bars[i].size != size)
				continue;
			next = ALIGN_UP(next, (uint64_t)size);
			if (next + size > PCI_MMIO_END)
				return -ENOSPC;
			pci_cfg_set(d, PCI_BAR0 + 4 * i, 4, (uint32_t)next);
			next += size;
		}
	bus->mmio_next = next;
	return 0;
}

int pci_bus_add(struct pci_bus *bus, struct pci_dev *d)
{
	unsigned int slot;
	int rc;

	for (slot = 1; slot < PCI_SLOTS && bus->slots[slot]; slot++)
		;
	if (slot == PCI_SLOTS)
		return -ENOSPC;
	rc = pci_assign_bars(bus, d);
	if (rc < 0)
		return rc;
	d->bus = bus;
	d->slot = slot;
	d->intx_level = 0;
	bus->slots[slot] = d;
	pci_cfg_set(d, PCI_INTERRUPT_LINE, 1, pci_intx_gsi(slot, 0));
	pci_cfg_set(d, PCI_COMMAND, 2,
		    pci_cfg_get(d, PCI_COMMAND, 2) | PCI_COMMAND_MEMORY);
	pci_map_bars(d);
	log_debug("pci: %s at 00:%02x.0", d->name, slot);
	return 0;
}

void pci_bus_remove(struct pci_bus *bus, struct pci_dev *d)
{
	if (!bus || !d || d->bus != bus || bus->slots[d->slot] != d)
		return;
	pci_unmap_bars(d);
	pci_dev_set_intx(d, 0);
	bus->slots[d->slot] = NULL;
	d->bus = NULL;
}

struct pci_bus *pci_bus_create(struct vm *vm)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	int rc;

	if (!bus)
		return NULL;
	bus->vm = vm;
	bus->mmio_next = PCI_MMIO_BASE;
	pci_dev_init(&bus->host, "host bridge", 0x8086, 0x1237, 0x02,
		     0x060000, 0, 0);
	pci_dev_set_wmask(&bus->host, PCI_COMMAND, 2, 0);
	bus->host.bus = bus;
	bus->slots[0] = &bus->host;
	rc = io_register(vm, IO_SPACE_PIO, PCI_CONFIG_PORT, 8, &pci_port_ops,
			 bus, "pci config");
	if (rc < 0)
		goto fail;
	return bus;
fail:
	free(bus);
	errno = -rc;
	return NULL;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	for (unsigned int i = 1; i < PCI_SLOTS; i++)
		if (bus->slots[i])
			pci_bus_remove(bus, bus->slots[i]);
	io_unregister(bus->vm, IO_SPACE_PIO, PCI_CONFIG_PORT);
	free(bus);
}

/* ---- save/load ---- */

void pci_dev_save(const struct pci_dev *d, struct snap_writer *w)
{
	snap_put_bytes(w, d->cfg, PCI_CFG_SIZE);
}

int pci_dev_load(const struct pci_dev *d, struct snap_reader *r,
		 uint8_t cfg[PCI_CFG_SIZE])
{
	if (snap_get_bytes(r, cfg, PCI_CFG_SIZE) < 0)
		return -EINVAL;
	for (unsigned int i = 0; i < PCI_CFG_SIZE; i++) {
		uint8_t fixed = (uint8_t)~(d->wmask[i] | d->w1cmask[i]);

		if (i == PCI_STATUS)
			fixed &= (uint8_t)~PCI_STATUS_INTERRUPT;
		if ((cfg[i] ^ d->cfg[i]) & fixed)
			return snap_fail(r, "pci config: read-only bits differ");
	}
	return 0;
}

void pci_dev_restore(struct pci_dev *d, const uint8_t cfg[PCI_CFG_SIZE])
{
	memcpy(d->cfg, cfg, PCI_CFG_SIZE);
	if (d->bus)
		pci_map_bars(d);
}

#define PCI_SNAP_VERSION	1

static int pci_bus_save(void *dev, struct snap_writer *w)
{
	struct pci_bus *bus = dev;
	size_t mark;

	snap_section_begin(w, "pci", PCI_SNAP_VERSION, &mark);
	snap_put_u32(w, bus->cfg_addr);
	pci_dev_save(&bus->host, w);
	return snap_section_end(w, mark);
}

static int pci_bus_load(void *dev, struct snap_reader *r)
{
	struct pci_bus *bus = dev;
	uint8_t cfg[PCI_CFG_SIZE];
	uint32_t version, addr;
	size_t outer;

	if (snap_section_open(r, "pci", PCI_SNAP_VERSION, &version,
			      &outer) < 0)
		return -EINVAL;
	snap_get_u32(r, &addr);
	if (addr & ~CFG_ADDR_MASK)
		snap_fail(r, "pci: CONFIG_ADDRESS out of range");
	if (r->err || pci_dev_load(&bus->host, r, cfg) < 0 ||
	    snap_section_close(r, outer) < 0)
		return -EINVAL;
	bus->cfg_addr = addr;
	pci_dev_restore(&bus->host, cfg);
	return 0;
}

const struct hv_device_ops pci_bus_device_ops = {
	.name = "pci",
	.save = pci_bus_save,
	.load = pci_bus_load,
};

/* ---- the device table's entry (devices.c) ---- */

static int pci_dev_create(struct devices *d, const void *opts UNUSED)
{
	struct pci_bus *bus = pci_bus_create(devices_vm(d));

	if (!bus)
		return dev_create_error();
	return devices_add(d, bus, NULL);
}

static void pci_dev_destroy(void *dev)
{
	pci_bus_destroy(dev);
}

const struct dev_type pci_dev_type = {
	.name = "pci",
	.create = pci_dev_create,
	.destroy = pci_dev_destroy,
	.snap = &pci_bus_device_ops,
};
