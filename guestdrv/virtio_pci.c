/*
 * virtio_pci.c: the virtio-pci modern transport, driver side (virtio 1.2
 * §4.1). Finds the vendor capabilities (common, notify, ISR, device
 * config), runs the initialization sequence of §3.1.1 and sets up queues
 * through the common configuration structure (§4.1.4.3). The guest polls:
 * every MSI-X vector is VIRTIO_MSI_NO_VECTOR. Each register access is a VM
 * exit, so this is setup-time code only; the data path is virtqueue.c.
 */
#include "virtio.h"

#define PCI_CAP_VENDOR		0x09
#define VIRTIO_PCI_CAP_COMMON	1
#define VIRTIO_PCI_CAP_NOTIFY	2
#define VIRTIO_PCI_CAP_ISR	3
#define VIRTIO_PCI_CAP_DEVICE	4
#define VIRTIO_MSI_NO_VECTOR	0xffff

/* struct virtio_pci_common_cfg offsets (§4.1.4.3). */
#define CC_DFSELECT	0x00
#define CC_DF		0x04
#define CC_GFSELECT	0x08
#define CC_GF		0x0c
#define CC_MSIX		0x10
#define CC_NUMQ		0x12
#define CC_STATUS	0x14
#define CC_GENERATION	0x15
#define CC_Q_SELECT	0x16
#define CC_Q_SIZE	0x18
#define CC_Q_MSIX	0x1a
#define CC_Q_ENABLE	0x1c
#define CC_Q_NOFF	0x1e
#define CC_Q_DESC	0x20
#define CC_Q_DRIVER	0x28
#define CC_Q_DEVICE	0x30
#define CC_SIZE		0x38

struct virtio_cap {
	uint8_t type, bar;
	uint32_t offset, length;
	uint8_t cfg_off;	/* where in config space, for extra fields */
};

static void virtio_cap_read(struct pci_dev *pci, uint8_t off, struct virtio_cap *c)
{
	uint32_t w = pci_cfg_read32(pci, off);

	c->type = (uint8_t)(w >> 24);
	c->bar = (uint8_t)pci_cfg_read32(pci, off + 4);
	c->offset = pci_cfg_read32(pci, off + 8);
	c->length = pci_cfg_read32(pci, off + 12);
	c->cfg_off = off;
}

/* Address of a capability's structure, checked against the BAR and our
 * map; 0 if unusable. */
static uintptr_t virtio_cap_map(struct pci_dev *pci, const struct virtio_cap *c,
				uint32_t min_len)
{
	uint64_t size, base;

	if (c->bar > 5 || c->length < min_len)
		return 0;
	base = pci_bar_map(pci, c->bar, &size);
	if (!base)
		return 0;
	if (size && ((uint64_t)c->offset + c->length > size))
		return 0;
	if (base + c->offset + c->length > MAPPED_END)
		return 0;
	return (uintptr_t)(base + c->offset);
}

static int virtio_find_caps(struct virtio_dev *vd)
{
	struct virtio_cap c;
	uint8_t off = 0;

	while ((off = pci_find_cap(vd->pci, PCI_CAP_VENDOR, off)) != 0) {
		virtio_cap_read(vd->pci, off, &c);
		if (c.type == VIRTIO_PCI_CAP_COMMON && !vd->common)
			vd->common = virtio_cap_map(vd->pci, &c, CC_SIZE);
		else if (c.type == VIRTIO_PCI_CAP_NOTIFY && !vd->notify_base) {
			vd->notify_mult = pci_cfg_read32(vd->pci, off + 16);
			vd->notify_base = virtio_cap_map(vd->pci, &c, 2);
			vd->notify_len = c.length;
		} else if (c.type == VIRTIO_PCI_CAP_ISR && !vd->isr)
			vd->isr = virtio_cap_map(vd->pci, &c, 1);
		else if (c.type == VIRTIO_PCI_CAP_DEVICE && !vd->device) {
			vd->device = virtio_cap_map(vd->pci, &c, 1);
			vd->device_len = vd->device ? c.length : 0;
		}
	}
	if (!vd->common || !vd->notify_base)
		return -ENODEV;
	return 0;
}

static uint8_t virtio_status(struct virtio_dev *vd)
{
	return mmio_read8(vd->common + CC_STATUS);
}

static void virtio_set_status(struct virtio_dev *vd, uint8_t bits)
{
	mmio_write8(vd->common + CC_STATUS, virtio_status(vd) | bits);
}

void virtio_fail(struct virtio_dev *vd)
{
	if (vd->common)
		virtio_set_status(vd, VIRTIO_STATUS_FAILED);
}

int virtio_reset(struct virtio_dev *vd)
{
	mmio_write8(vd->common + CC_STATUS, 0);
	for (int i = 0; i < 1000; i++) {
		if (virtio_status(vd) == 0)
			return 0;
		delay_us(1000);
	}
	return -ETIMEDOUT;
}

/* §3.1.1 steps 4-6. */
static int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted)
{
	uint64_t offered;

	mmio_write32(vd->common + CC_DFSELECT, 0);
	offered = mmio_read32(vd->common + CC_DF);
	mmio_write32(vd->common + CC_DFSELECT, 1);
	offered |= (uint64_t)mmio_read32(vd->common + CC_DF) << 32;
	if (!(offered & (1ULL << VIRTIO_F_VERSION_1)))
		return -ENOTSUP;
	vd->features = offered & wanted;
	mmio_write32(vd->common + CC_GFSELECT, 0);
	mmio_write32(vd->common + CC_GF, (uint32_t)vd->features);
	mmio_write32(vd->common + CC_GFSELECT, 1);
	mmio_write32(vd->common + CC_GF, (uint32_t)(vd->features >> 32));
	virtio_set_status(vd, VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_status(vd) & VIRTIO_STATUS_FEATURES_OK))
		return -ENOTSUP;
	return 0;
}

int virtio_pci_init(struct virtio_dev *vd, struct pci_dev *pci,
		    const char *name, uint64_t wanted)
{
	int rc;

	memset(vd, 0, sizeof(*vd));
	vd->pci = pci;
	vd->name = name;
	rc = virtio_find_caps(vd);
	if (rc < 0)
		goto fail;
	rc = virtio_reset(vd);
	if (rc < 0)
		goto fail;
	virtio_set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(vd, VIRTIO_STATUS_DRIVER);
	rc = virtio_negotiate(vd, wanted | (1ULL << VIRTIO_F_VERSION_1));
	if (rc < 0)
		goto fail;
	mmio_write16(vd->common + CC_MSIX, VIRTIO_MSI_NO_VECTOR);
	return 0;
fail:
	virtio_fail(vd);
	return rc;
}

int virtio_queue_setup(struct virtio_dev *vd, struct virtq *vq,
		       uint16_t index, uint16_t max_size)
{
	uint16_t size, noff;
	uint64_t notify_off;
	int rc;

	if (index >= mmio_read16(vd->common + CC_NUMQ))
		return -ENODEV;
	mmio_write16(vd->common + CC_Q_SELECT, index);
	size = mmio_read16(vd->common + CC_Q_SIZE);
	if (!size)
		return -ENODEV;
	size = MIN(size, MIN(max_size, (uint16_t)VIRTQ_MAX_SIZE));
	while (size & (size - 1))
		size &= (uint16_t)(size - 1);	/* round down to a power of 2 */
	rc = virtq_init(vq, index, size, virtio_has(vd, VIRTIO_F_EVENT_IDX));
	if (rc < 0)
		return rc;
	noff = mmio_read16(vd->common + CC_Q_NOFF);
	notify_off = (uint64_t)noff * vd->notify_mult;
	if (notify_off + 2 > vd->notify_len)
		return -ERANGE;		/* the device points outside its region */
	vq->notify = vd->notify_base + (uintptr_t)notify_off;
	mmio_write16(vd->common + CC_Q_SIZE, size);
	mmio_write16(vd->common + CC_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
	mmio_write64(vd->common + CC_Q_DESC, (uintptr_t)vq->desc);
	mmio_write64(vd->common + CC_Q_DRIVER, (uintptr_t)vq->avail);
	mmio_write64(vd->common + CC_Q_DEVICE, (uintptr_t)vq->used);
	mmio_write16(vd->common + CC_Q_ENABLE, 1);
	return 0;
}

void virtio_driver_ok(struct virtio_dev *vd)
{
	virtio_set_status(vd, VIRTIO_STATUS_DRIVER_OK);
}

int virtio_config_read(struct virtio_dev *vd, uint32_t off, void *buf, uint32_t len)
{
	uint8_t *out = buf, gen;
	int tries = 0;

	if (!vd->device || off > vd->device_len || len > vd->device_len - off)
		return -ERANGE;
	do {
		if (++tries > 100)
			return -EBUSY;
		gen = mmio_read8(vd->common + CC_GENERATION);
		for (uint32_t i = 0; i < len; i++)
			out[i] = mmio_read8(vd->device + off + i);
	} while (gen != mmio_read8(vd->common + CC_GENERATION));
	return 0;
}
