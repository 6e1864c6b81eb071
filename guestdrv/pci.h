/* pci.h: PCI configuration mechanism #1 and bus 0 enumeration (pci.c). */
#ifndef MINIOS_PCI_H
#define MINIOS_PCI_H

#include "minios.h"

#define PCI_MAX_DEVS	32

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class, subclass;
};

uint32_t pci_cfg_read32(const struct pci_dev *d, uint8_t off);
uint16_t pci_cfg_read16(const struct pci_dev *d, uint8_t off);
uint8_t pci_cfg_read8(const struct pci_dev *d, uint8_t off);
void pci_cfg_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
void pci_cfg_write16(const struct pci_dev *d, uint8_t off, uint16_t v);

/* Enumerate bus 0 (all functions); returns the number of devices found. */
int pci_scan(void);
/* A function that appeared in slot dev (hot-plug): added to the list;
 * NULL if the slot is empty or known already. */
struct pci_dev *pci_probe_slot(uint8_t dev);
/* The known function 0 of slot dev, or NULL. */
struct pci_dev *pci_at_slot(uint8_t dev);
/* The function left (hot-unplug): pci_find no longer returns it. */
void pci_forget(struct pci_dev *d);
/* The index'th device with vendor:device, or NULL. */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, unsigned int index);
/* First capability with id at or after config offset `from` (0: start of
 * the list); returns its config offset or 0. */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t from);
/*
 * Guest-physical address of memory BAR `bar` (0-5), assigning one from
 * 0xc0000000 upward if it is unassigned or outside our 4 GiB map; turns on
 * memory decoding and bus mastering. *size is the BAR's size when we
 * assigned it, else 0 (not sized: that would cost exits). 0 on failure.
 */
uint64_t pci_bar_map(struct pci_dev *d, unsigned int bar, uint64_t *size);

#endif
