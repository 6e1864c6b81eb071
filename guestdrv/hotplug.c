/*
 * hotplug.c: PCI hot-plug through hv's controller (docs/hv-devices.md
 * "pcihp"): GPE 1 in the FADT's GPE0 block says a slot changed; the
 * registers at 0xae00 say which. UP slots hold a new function: probe it
 * and, for virtio-net, start it as the next netif with the ip= items
 * that name it (ADDR/PLEN@nicN). DOWN slots are to be released: reset
 * the device (it stops using our rings), drop the netif, then eject the
 * slot (EJ), after which hv removes the function. Polled from the main
 * loop like the power button (GPE 1 is enabled too, for the SCI).
 * hotplug=off on the command line: events are ignored (a guest without
 * hot-plug support, for tests of hv's time limit).
 */
#include "acpi.h"
#include "cmdline.h"
#include "netwl.h"
#include "pci.h"
#include "virtio_net.h"

#define PCIHP_PORT	0xae00
#define PCIHP_UP	0		/* slots to probe; a dword read clears */
#define PCIHP_DOWN	4		/* slots to release */
#define PCIHP_EJ	8		/* write: slots released */
#define PCIHP_RMV	12		/* slots that can be removed */
#define GPE_PCIHP	(1u << 1)

static bool hp_on;

int hotplug_init(void)
{
	const char *opt = cmdline_str("hotplug");
	uint16_t en;

	if (opt && !strcmp(opt, "off")) {
		kprintf("minios: pci: hot-plug events ignored (hotplug=off)\n");
		return -ENODEV;
	}
	if (!acpi.gpe0_blk || acpi.gpe0_len < 2)
		return -ENODEV;
	if (inl(PCIHP_PORT + PCIHP_RMV) == 0xffffffffu)
		return -ENODEV;		/* nothing decodes the ports */
	en = (uint16_t)(acpi.gpe0_blk + acpi.gpe0_len / 2);
	outb(en, (uint8_t)(inb(en) | GPE_PCIHP));
	hp_on = true;
	return 0;
}

static void hp_added(uint8_t slot)
{
	struct pci_dev *pci = pci_probe_slot(slot);
	struct netif *nif;

	if (!pci) {
		kprintf("guest: hotplug: 00:%02x.0: nothing new there\n", slot);
		return;
	}
	if (!virtio_net_is(pci)) {
		kprintf("guest: hotplug: 00:%02x.0 %04x:%04x: no driver\n",
			slot, pci->vendor, pci->device);
		return;
	}
	nif = virtio_net_hotplug(pci);
	if (!nif)
		return;
	net_config_nic(nif, cmdline_str("ip"));
	kprintf("guest: hotplug: %s added at 00:%02x.0\n", nif->name, slot);
	net_print_nic(nif);
	arp_announce(nif);
	net_flush();
}

static void hp_removed(uint8_t slot)
{
	struct pci_dev *pci = pci_at_slot(slot);
	struct netif *nif = NULL;

	if (pci && virtio_net_is(pci))
		nif = virtio_net_unplug(pci);
	if (pci)
		pci_forget(pci);
	outl(PCIHP_PORT + PCIHP_EJ, 1u << slot);
	kprintf("guest: hotplug: %s removed from 00:%02x.0\n",
		nif ? nif->name : "function", slot);
}

void hotplug_poll(void)
{
	uint32_t up, down;

	if (!hp_on || !(inb(acpi.gpe0_blk) & GPE_PCIHP))
		return;
	outb(acpi.gpe0_blk, GPE_PCIHP);		/* write 1 to clear */
	up = inl(PCIHP_PORT + PCIHP_UP);
	down = inl(PCIHP_PORT + PCIHP_DOWN);
	for (uint8_t slot = 1; slot < 32; slot++) {
		if (down & (1u << slot))
			hp_removed(slot);
		else if (up & (1u << slot))
			hp_added(slot);
	}
}
