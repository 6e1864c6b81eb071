/*
 * PCI bus 0 behind configuration mechanism #1 (PCI Local Bus 3.0 §3.2.2.3.2):
 * CONFIG_ADDRESS at port 0xcf8 (dword accesses only), CONFIG_DATA at
 * 0xcfc-0xcff (byte, word or dword at matching offsets). The same range
 * carries the ACPI reset register (a byte at 0xcf9, acpi_pm.c).
 *
 * Devices are single-function, type 0 headers with 32-bit memory BARs.
 * hv assigns every BAR from the PCI_MMIO window when the device is added
 * and enables memory decoding, so guests that do not enumerate resources
 * (the PV guest) find devices ready; guests may move BARs and toggle
 * decoding, and the MMIO handlers follow.
 */
#ifndef HV_PCI_H
#define HV_PCI_H

#include "dev.h"

#define PCI_SLOTS		32
#define PCI_NUM_BARS		6
#define PCI_CFG_SIZE		256

/* Type 0 header offsets (PCI Local Bus 3.0 §6.1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d

#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT	0x0008
#define PCI_STATUS_CAP_LIST	0x0010

#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_VNDR		0x09

/* INTx routing, also described by the DSDT's _PRT (acpi.c): pin (0 =
 * INTA) of slot goes to IOAPIC input 16 + (slot - 1 + pin) % 8, level
 * triggered, active low as ACPI assumes for _PRT GSIs; lines are shared
 * (the bus ORs the devices' levels). */
#define PCI_INTX_GSI_BASE	16
#define PCI_INTX_GSIS		8
static inline unsigned int pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	return PCI_INTX_GSI_BASE + (slot + PCI_INTX_GSIS - 1 + pin) %
	       PCI_INTX_GSIS;
}

struct pci_dev;

/* A device's hooks; all optional. Called with dev_lock held. */
struct pci_dev_ops {
	/* Before a guest config read of `size` bytes at `off`: refresh
	 * d->cfg there if those bytes are computed (a data window). */
	void (*cfg_read)(struct pci_dev *d, unsigned int off,
			 unsigned int size);
	/* After a guest config write of `size` bytes at `off` was applied
	 * (write masks honoured): react to it (MSI-X control, ...). */
	void (*cfg_write)(struct pci_dev *d, unsigned int off,
			  unsigned int size, uint32_t val);
	/* BAR `bar` is now decoded at gpa, or not at all (gpa 0). */
	void (*bar_moved)(struct pci_dev *d, unsigned int bar, uint64_t gpa);
};

struct pci_bar {
	uint32_t size;			/* 0: BAR not implemented */
	const struct io_ops *ops;
	void *opaque;
	uint64_t mapped;		/* GPA registered with io_register, 0 if none */
};

struct pci_dev {
	const char *name;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];	/* bits the guest may change */
	uint8_t w1cmask[PCI_CFG_SIZE];	/* bits the guest clears by writing 1 */
	uint8_t cap_end;		/* next free config offset for caps */
	uint8_t cap_last;		/* offset of the last capability, 0 if none */
	struct pci_bar bars[PCI_NUM_BARS];
	const struct pci_dev_ops *ops;
	void *opaque;			/* the owning device model */
	struct pci_bus *bus;
	unsigned int slot;
	int intx_level;			/* this device's INTA input */
};

struct pci_bus;

/* Bus 0 with the host bridge at 00:00.0; claims ports 0xcf8-0xcff. */
struct pci_bus *pci_bus_create(struct vm *vm);
void pci_bus_destroy(struct pci_bus *bus);
extern const struct hv_device_ops pci_bus_device_ops;
/* In the device table before every PCI function, which finds the bus
 * with devices_find(d, &pci_dev_type). */
extern const struct dev_type pci_dev_type;

/* Prepare a device: IDs, class (base<<16 | sub<<8 | prog-if), header.
 * Clears all of *d: set ops and opaque afterwards. */
void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor,
		  uint16_t device, uint8_t revision, uint32_t class_code,
		  uint16_t subsys_vendor, uint16_t subsys);
/* Declare 32-bit memory BAR `bar` of `size` bytes (a power of two,
 * >= 16) handled by ops. Before pci_bus_add. */
int pci_dev_set_bar(struct pci_dev *d, unsigned int bar, uint32_t size,
		    const struct io_ops *ops, void *opaque);
/* Append a capability (cap[0] = id; cap[1], the next pointer, is
 * filled in); returns its config offset or -ENOSPC. */
int pci_dev_add_cap(struct pci_dev *d, const void *cap, unsigned int len);
/* Let the guest write `mask` bits of the `size` bytes at off. */
void pci_dev_set_wmask(struct pci_dev *d, unsigned int off,
		       unsigned int size, uint32_t mask);
uint32_t pci_cfg_get(const struct pci_dev *d, unsigned int off,
		     unsigned int size);
void pci_cfg_set(struct pci_dev *d, unsigned int off, unsigned int size,
		 uint32_t val);

/* Put d in the first free slot, assign its BARs from the PCI MMIO window
 * and enable memory decoding. 0 or -errno (-ENOSPC: bus or window full). */
int pci_bus_add(struct pci_bus *bus, struct pci_dev *d);
/* Take d off the bus (unmaps its BARs). */
void pci_bus_remove(struct pci_bus *bus, struct pci_dev *d);

/* Assert (1) or deassert (0) d's INTA; sets the status register's
 * interrupt bit and drives the shared GSI. */
void pci_dev_set_intx(struct pci_dev *d, int level);

/* The device's config space for save/load. pci_dev_load reads it into
 * cfg and checks that only bits the guest could write differ from d's;
 * pci_dev_restore then installs it and remaps the BARs. */
void pci_dev_save(const struct pci_dev *d, struct snap_writer *w);
int pci_dev_load(const struct pci_dev *d, struct snap_reader *r,
		 uint8_t cfg[PCI_CFG_SIZE]);
void pci_dev_restore(struct pci_dev *d, const uint8_t cfg[PCI_CFG_SIZE]);

#endif
