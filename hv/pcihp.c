/*
 * PCI hot-plug controller: the register block a guest uses to learn that
 * a function appeared in or is asked to leave a slot of bus 0, and to
 * hand a function back (eject), plus the ACPI GPE0 block whose status bit
 * PCIHP_GPE_BIT announces a change through the SCI. The layout follows
 * the PIIX4-style ACPI PCI hot-plug interface QEMU's pc machine has
 * (ports 0xae00-0xae0f, GPE bit 1), which kernel engineers know from
 * acpiphp; docs/hv-devices.md "pcihp" has the protocol.
 *
 *   ACPI_GPE0_PORT+0  GPE0_STS (2)  bit 1: a slot changed (write 1 to clear)
 *   ACPI_GPE0_PORT+2  GPE0_EN  (2)  bit 1: raise the SCI for it
 *   PCIHP_PORT+0   UP   (4, RO)  slots with a new function to probe;
 *                                a dword read returns and clears them
 *   PCIHP_PORT+4   DOWN (4, RO)  slots whose function hv asks the guest
 *                                to release; set until ejected or the
 *                                request is withdrawn
 *   PCIHP_PORT+8   EJ   (4, WO)  1 bits: the guest released the function
 *                                in that slot (only slots in DOWN count)
 *   PCIHP_PORT+12  RMV  (4, RO)  slots whose function can be removed
 *
 * hv removes an ejected function itself (hotplug.c, told through an
 * eventfd): the write only records it, on the vCPU's thread.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "xvm/log.h"
#include "dev.h"
#include "pci.h"

#define PCIHP_LEN	16
#define GPE0_LEN	4
#define PCIHP_UP	0
#define PCIHP_DOWN	4
#define PCIHP_EJ	8
#define PCIHP_RMV	12
/* Slot 0 is the host bridge: never hot-plugged. */
#define PCIHP_SLOTS_MASK	0xfffffffeu

struct pcihp {
	struct vm *vm;
	struct acpi_pm *pm;	/* the SCI; NULL in tests without one */
	uint16_t gpe_sts, gpe_en;
	uint32_t up, down, rmv;
	uint32_t ejected;	/* ejected, not yet taken by pcihp_take_ejected */
	int efd;		/* written on each eject */
};

static void gpe_update(struct pcihp *h)
{
	if (h->pm)
		acpi_pm_set_ext_sci(h->pm,
				    (h->gpe_sts & h->gpe_en & PCIHP_GPE_MASK) != 0);
}

static void gpe_raise(struct pcihp *h)
{
	h->gpe_sts |= PCIHP_GPE_MASK;
	gpe_update(h);
}

/* ---- GPE0 block ---- */

static uint64_t gpe_read(void *opaque, uint64_t off, unsigned int size)
{
	struct pcihp *h = opaque;
	uint32_t v = (uint32_t)h->gpe_sts | (uint32_t)h->gpe_en << 16;

	return (v >> (8 * off)) & (size >= 4 ? ~0u : (1u << (8 * size)) - 1);
}

static void gpe_write(void *opaque, uint64_t off, unsigned int size,
		      uint64_t val)
{
	struct pcihp *h = opaque;

	for (unsigned int i = 0; i < size && off + i < GPE0_LEN; i++) {
		unsigned int byte = (unsigned int)off + i;
		uint16_t b = (uint16_t)((val >> (8 * i)) & 0xff);
		uint16_t v = (uint16_t)(b << (8 * (byte & 1)));

		if (byte < 2)
			h->gpe_sts &= (uint16_t)~(v & PCIHP_GPE_MASK);
		else
			h->gpe_en = (uint16_t)((h->gpe_en &
						~(0xffu << (8 * (byte & 1)))) |
					       (v & PCIHP_GPE_MASK));
	}
	gpe_update(h);
}

static const struct io_ops gpe_io_ops = {
	.read = gpe_read,
	.write = gpe_write,
};

/* ---- hot-plug registers ---- */

static uint64_t hp_read(void *opaque, uint64_t off, unsigned int size)
{
	struct pcihp *h = opaque;
	uint32_t reg;

	switch (off & ~3ull) {
	case PCIHP_UP:
		reg = h->up;
		if (off == PCIHP_UP && size == 4)
			h->up = 0;
		break;
	case PCIHP_DOWN:
		reg = h->down;
		break;
	case PCIHP_RMV:
		reg = h->rmv;
		break;
	default:
		reg = 0;	/* EJ reads 0 */
		break;
	}
	reg >>= 8 * (off & 3);
	return size >= 4 ? reg : reg & ((1u << (8 * size)) - 1);
}

static void hp_write(void *opaque, uint64_t off, unsigned int size,
		     uint64_t val)
{
	struct pcihp *h = opaque;
	uint32_t bits;
	uint64_t one = 1;

	if ((off & ~3ull) != PCIHP_EJ)
		return;		/* the other registers are read-only */
	bits = (uint32_t)(val << (8 * (off & 3)));
	if (size < 4)
		bits &= (uint32_t)(((one << (8 * size)) - 1) << (8 * (off & 3)));
	bits &= h->down;
	if (!bits)
		return;
	h->down &= ~bits;
	h->ejected |= bits;
	if (h->efd >= 0 && write(h->efd, &one, sizeof(one)) < 0)
		log_warn("pcihp: eject notification: %s", strerror(errno));
}

static const struct io_ops hp_io_ops = {
	.read = hp_read,
	.write = hp_write,
};

/* ---- hv's side ---- */

void pcihp_set_removable(struct pcihp *h, unsigned int slot, bool on)
{
	if (slot >= PCI_SLOTS)
		return;
	if (on)
		h->rmv |= (1u << slot) & PCIHP_SLOTS_MASK;
	else
		h->rmv &= ~(1u << slot);
}

void pcihp_plugged(struct pcihp *h, unsigned int slot)
{
	if (slot == 0 || slot >= PCI_SLOTS)
		return;
	h->up |= 1u << slot;
	h->down &= ~(1u << slot);
	h->ejected &= ~(1u << slot);
	pcihp_set_removable(h, slot, true);
	gpe_raise(h);
}

int pcihp_request_unplug(struct pcihp *h, unsigned int slot)
{
	if (slot == 0 || slot >= PCI_SLOTS || !(h->rmv & (1u << slot)))
		return -EINVAL;
	if (h->down & (1u << slot))
		return -EALREADY;
	h->up &= ~(1u << slot);	/* not announced yet: no longer to probe */
	h->down |= 1u << slot;
	gpe_raise(h);
	return 0;
}

void pcihp_cancel_unplug(struct pcihp *h, unsigned int slot)
{
	if (slot < PCI_SLOTS)
		h->down &= ~(1u << slot);
}

void pcihp_removed(struct pcihp *h, unsigned int slot)
{
	if (slot >= PCI_SLOTS)
		return;
	h->up &= ~(1u << slot);
	h->down &= ~(1u << slot);
	h->ejected &= ~(1u << slot);
	h->rmv &= ~(1u << slot);
}

uint32_t pcihp_take_ejected(struct pcihp *h)
{
	uint32_t e = h->ejected;
	uint64_t v;

	h->ejected = 0;
	if (h->efd >= 0 && read(h->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing written since the last take */
	}
	return e;
}

uint32_t pcihp_pending_unplugs(const struct pcihp *h)
{
	return h->down;
}

int pcihp_eject_fd(const struct pcihp *h)
{
	return h->efd;
}

int pcihp_gpe_level(const struct pcihp *h)
{
	return (h->gpe_sts & h->gpe_en & PCIHP_GPE_MASK) != 0;
}

struct pcihp *pcihp_create(struct vm *vm, struct acpi_pm *pm)
{
	struct pcihp *h = calloc(1, sizeof(*h));
	int rc;

	if (!h)
		return NULL;
	h->vm = vm;
	h->pm = pm;
	h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->efd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = io_register(vm, IO_SPACE_PIO, ACPI_GPE0_PORT, GPE0_LEN,
			 &gpe_io_ops, h, "acpi gpe0");
	if (rc < 0)
		goto fail;
	rc = io_register(vm, IO_SPACE_PIO, PCIHP_PORT, PCIHP_LEN, &hp_io_ops,
			 h, "pcihp");
	if (rc < 0) {
		io_unregister(vm, IO_SPACE_PIO, ACPI_GPE0_PORT);
		goto fail;
	}
	return h;
fail:
	if (h->efd >= 0)
		close(h->efd);
	free(h);
	errno = -rc;
	return NULL;
}

void pcihp_destroy(struct pcihp *h)
{
	if (!h)
		return;
	io_unregister(h->vm, IO_SPACE_PIO, PCIHP_PORT);
	io_unregister(h->vm, IO_SPACE_PIO, ACPI_GPE0_PORT);
	close(h->efd);
	free(h);
}

/* ---- save/load ---- */

#define PCIHP_SNAP_VERSION	1

static int pcihp_save(void *dev, struct snap_writer *w)
{
	struct pcihp *h = dev;
	size_t mark;

	snap_section_begin(w, "pcihp", PCIHP_SNAP_VERSION, &mark);
	snap_put_u16(w, h->gpe_sts);
	snap_put_u16(w, h->gpe_en);
	snap_put_u32(w, h->up);
	snap_put_u32(w, h->rmv);
	return snap_section_end(w, mark);
}

static int pcihp_load(void *dev, struct snap_reader *r)
{
	struct pcihp *h = dev;
	uint16_t sts, en;
	uint32_t version, up, rmv;
	size_t outer;

	if (snap_section_open(r, "pcihp", PCIHP_SNAP_VERSION, &version,
			      &outer) < 0)
		return -EINVAL;
	snap_get_u16(r, &sts);
	snap_get_u16(r, &en);
	snap_get_u32(r, &up);
	snap_get_u32(r, &rmv);
	if ((sts | en) & ~PCIHP_GPE_MASK || (up | rmv) & ~PCIHP_SLOTS_MASK)
		snap_fail(r, "pcihp register out of range");
	if (snap_section_close(r, outer) < 0)
		return -EINVAL;
	/* DOWN is never saved: save and migration refuse while an unplug
	 * is pending (hotplug.c). */
	h->gpe_sts = sts;
	h->gpe_en = en;
	h->up = up;
	h->rmv = rmv;
	h->down = h->ejected = 0;
	gpe_update(h);
	return 0;
}

const struct hv_device_ops pcihp_device_ops = {
	.name = "pcihp",
	.save = pcihp_save,
	.load = pcihp_load,
};

/* ---- the device table's entry (devices.c) ---- */

extern const struct dev_type acpi_pm_dev_type;

static int pcihp_dev_create(struct devices *d, const void *opts UNUSED)
{
	struct pcihp *h = pcihp_create(devices_vm(d),
				       devices_find(d, &acpi_pm_dev_type));

	if (!h)
		return dev_create_error();
	return devices_add(d, h, NULL);
}

static void pcihp_dev_destroy(void *dev)
{
	pcihp_destroy(dev);
}

const struct dev_type pcihp_dev_type = {
	.name = "pcihp",
	.create = pcihp_dev_create,
	.destroy = pcihp_dev_destroy,
	.snap = &pcihp_device_ops,
};
