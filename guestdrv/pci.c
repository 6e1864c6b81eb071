/*
 * pci.c: PCI configuration mechanism #1 (ports 0xcf8/0xcfc; PCI Local Bus
 * 3.0 §3.2.2.3.2), bus 0 enumeration and memory BARs. hv pre-assigns BARs
 * and enables decoding; when a needed memory BAR is 0 (or above what we
 * map) we size it and give it an aligned address from 0xc0000000 upward,
 * above every BAR already in use. Each config access is two VM exits.
 */
#include "pci.h"

#define PCI_ADDR	0xcf8
#define PCI_DATA	0xcfc
#define PCI_VENDOR	0x00
#define PCI_COMMAND	0x04
#define PCI_STATUS	0x06
#define PCI_CLASS_REV	0x08
#define PCI_HEADER	0x0e
#define PCI_BAR0	0x10
#define PCI_CAP_PTR	0x34
#define CMD_MEM		0x0002
#define CMD_MASTER	0x0004
#define STATUS_CAPS	0x0010
#define BAR_IO		0x1
#define BAR_TYPE_64	0x4
#define BAR_TYPE_MASK	0x6
#define MMIO_ASSIGN_BASE 0xc0000000ULL
#define MMIO_ASSIGN_END	0xfec00000ULL

static struct pci_dev pci_devs[PCI_MAX_DEVS];
static unsigned int pci_ndevs;
static uint64_t pci_mmio_next = MMIO_ASSIGN_BASE;

static uint32_t pci_addr(const struct pci_dev *d, uint8_t off)
{
	return 0x80000000u | ((uint32_t)d->bus << 16) | ((uint32_t)d->dev << 11) |
	       ((uint32_t)d->fn << 8) | (off & 0xfc);
}

uint32_t pci_cfg_read32(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_ADDR, pci_addr(d, off));
	return inl(PCI_DATA);
}

uint16_t pci_cfg_read16(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_ADDR, pci_addr(d, off));
	return inw(PCI_DATA + (off & 2));
}

uint8_t pci_cfg_read8(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_ADDR, pci_addr(d, off));
	return inb(PCI_DATA + (off & 3));
}

void pci_cfg_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
	outl(PCI_ADDR, pci_addr(d, off));
	outl(PCI_DATA, v);
}

void pci_cfg_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
	outl(PCI_ADDR, pci_addr(d, off));
	outw(PCI_DATA + (off & 2), v);
}

/* Note where BARs already in use end, so assignments do not overlap. */
static void pci_note_bars(const struct pci_dev *d)
{
	for (unsigned int i = 0; i < 6; i++) {
		uint32_t lo = pci_cfg_read32(d, PCI_BAR0 + 4 * i);
		uint64_t addr = lo & ~0xfULL;

		if (lo & BAR_IO)
			continue;
		if ((lo & BAR_TYPE_MASK) == BAR_TYPE_64 && i < 5)
			addr |= (uint64_t)pci_cfg_read32(d, PCI_BAR0 + 4 * ++i) << 32;
		/* A BAR's size is at least 16 bytes; assume up to 1 MiB
		 * past its base is taken (sizing here would cost exits). */
		if (addr >= MMIO_ASSIGN_BASE && addr < MMIO_ASSIGN_END)
			pci_mmio_next = MAX(pci_mmio_next, ALIGN_UP(addr + 1, 1ULL << 20));
	}
}

static struct pci_dev *pci_add(uint8_t dev, uint8_t fn, uint32_t id)
{
	struct pci_dev *d = NULL;
	uint32_t cr;

	for (unsigned int i = 0; i < pci_ndevs && !d; i++)
		if (pci_devs[i].vendor == 0xffff)	/* forgotten: reuse */
			d = &pci_devs[i];
	if (!d && pci_ndevs >= PCI_MAX_DEVS)
		return NULL;
	if (!d)
		d = &pci_devs[pci_ndevs++];
	*d = (struct pci_dev){ .bus = 0, .dev = dev, .fn = fn,
			       .vendor = (uint16_t)id, .device = (uint16_t)(id >> 16) };
	cr = pci_cfg_read32(d, PCI_CLASS_REV);
	d->class = (uint8_t)(cr >> 24);
	d->subclass = (uint8_t)(cr >> 16);
	pci_note_bars(d);
	return d;
}

struct pci_dev *pci_probe_slot(uint8_t dev)
{
	struct pci_dev probe = { .dev = dev };
	uint32_t id;

	if (dev == 0 || dev >= 32)
		return NULL;
	for (unsigned int i = 0; i < pci_ndevs; i++)
		if (pci_devs[i].dev == dev && pci_devs[i].vendor != 0xffff)
			return NULL;	/* known already */
	id = pci_cfg_read32(&probe, PCI_VENDOR);
	if ((uint16_t)id == 0xffff)
		return NULL;
	return pci_add(dev, 0, id);
}

void pci_forget(struct pci_dev *d)
{
	d->vendor = d->device = 0xffff;
}

struct pci_dev *pci_at_slot(uint8_t dev)
{
	for (unsigned int i = 0; i < pci_ndevs; i++)
		if (pci_devs[i].dev == dev && pci_devs[i].fn == 0 &&
		    pci_devs[i].vendor != 0xffff)
			return &pci_devs[i];
	return NULL;
}

int pci_scan(void)
{
	pci_ndevs = 0;
	for (uint8_t dev = 0; dev < 32; dev++) {
		struct pci_dev probe = { .dev = dev };
		uint32_t id = pci_cfg_read32(&probe, PCI_VENDOR);
		uint8_t nfn = 1;

		if ((uint16_t)id == 0xffff)
			continue;
		if (pci_cfg_read8(&probe, PCI_HEADER) & 0x80)
			nfn = 8;
		pci_add(dev, 0, id);
		for (uint8_t fn = 1; fn < nfn; fn++) {
			probe.fn = fn;
			id = pci_cfg_read32(&probe, PCI_VENDOR);
			if ((uint16_t)id != 0xffff)
				pci_add(dev, fn, id);
		}
	}
	return (int)pci_ndevs;
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned int index)
{
	for (unsigned int i = 0; i < pci_ndevs; i++)
		if (pci_devs[i].vendor == vendor && pci_devs[i].device == device &&
		    index-- == 0)
			return &pci_devs[i];
	return NULL;
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t from)
{
	uint8_t off;
	int guard = 48;		/* a looped list must not hang us */

	if (!(pci_cfg_read16(d, PCI_STATUS) & STATUS_CAPS))
		return 0;
	off = from ? pci_cfg_read8(d, from + 1) : pci_cfg_read8(d, PCI_CAP_PTR);
	for (; off >= 0x40 && guard--; off = pci_cfg_read8(d, off + 1)) {
		off &= 0xfc;
		if (pci_cfg_read8(d, off) == id)
			return off;
	}
	return 0;
}

/* Size a memory BAR (decoding must be off) and give it an address. */
static uint64_t pci_bar_assign(struct pci_dev *d, uint8_t reg, bool is64,
			       uint64_t *size)
{
	uint32_t lo, hi = 0xffffffff;
	uint64_t mask, sz, addr;

	pci_cfg_write32(d, reg, 0xffffffff);
	lo = pci_cfg_read32(d, reg);
	if (is64) {
		pci_cfg_write32(d, reg + 4, 0xffffffff);
		hi = pci_cfg_read32(d, reg + 4);
	}
	mask = ((uint64_t)hi << 32 | (lo & ~0xfu));
	if (!is64)
		mask |= 0xffffffff00000000ULL;
	sz = ~mask + 1;
	if (!sz || (sz & (sz - 1)) || sz > (256ULL << 20))
		return 0;
	addr = ALIGN_UP(pci_mmio_next, MAX(sz, PAGE_SIZE));
	if (addr + sz > MMIO_ASSIGN_END)
		return 0;
	pci_mmio_next = addr + sz;
	pci_cfg_write32(d, reg, (uint32_t)addr);
	if (is64)
		pci_cfg_write32(d, reg + 4, 0);
	*size = sz;
	return addr;
}

uint64_t pci_bar_map(struct pci_dev *d, unsigned int bar, uint64_t *size)
{
	uint8_t reg = (uint8_t)(PCI_BAR0 + 4 * bar);
	uint16_t cmd;
	uint32_t lo;
	uint64_t addr;
	bool is64;

	*size = 0;
	if (bar > 5)
		return 0;
	lo = pci_cfg_read32(d, reg);
	if (lo & BAR_IO)
		return 0;
	is64 = (lo & BAR_TYPE_MASK) == BAR_TYPE_64;
	if (is64 && bar == 5)
		return 0;
	addr = lo & ~0xfULL;
	if (is64)
		addr |= (uint64_t)pci_cfg_read32(d, reg + 4) << 32;
	cmd = pci_cfg_read16(d, PCI_COMMAND);
	if (addr == 0 || addr >= MMIO_ASSIGN_END) {
		cmd &= ~CMD_MEM;
		pci_cfg_write16(d, PCI_COMMAND, cmd);
		addr = pci_bar_assign(d, reg, is64, size);
		if (!addr)
			return 0;
	}
	if ((cmd & (CMD_MEM | CMD_MASTER)) != (CMD_MEM | CMD_MASTER))
		pci_cfg_write16(d, PCI_COMMAND, cmd | CMD_MEM | CMD_MASTER);
	return addr;
}
