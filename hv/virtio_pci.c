/*
 * Modern virtio-pci transport (virtio 1.2 §4.1 "Virtio Over PCI Bus").
 *
 * One 32 KiB memory BAR (BAR0) holds the common configuration (§4.1.4.3),
 * the ISR (§4.1.4.5), the device configuration (§4.1.4.6), the notify
 * region (§4.1.4.4, notify_off_multiplier 4: queue n at +4n) and the
 * MSI-X table and PBA. Vendor capabilities point the driver at each.
 *
 * Notifications: each enabled queue gets an eventfd registered as a KVM
 * ioeventfd on its notify address and watched by the event loop, so a
 * guest kick costs no exit to hv; without KVM (or if that fails) the
 * MMIO handler sees the write and does the same.
 * Interrupts: with MSI-X enabled, each vector the guest programs and
 * unmasks gets an eventfd bound to an MSI route (vm_msi_irqfd_bind);
 * masked vectors collect their pending bit, delivered on unmask. Without
 * MSI-X, the ISR bits drive the function's INTA (pci_intx_gsi) until the
 * driver reads the ISR.
 *
 * The VIRTIO_PCI_CAP_PCI_CFG window (§4.1.4.9) reaches BAR0 through
 * config space. Not implemented: notification data, queue reset.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "xvm/log.h"
#include "virtio_pci.h"

#define MSIX_CTRL_ENABLE	0x8000
#define MSIX_CTRL_MASKALL	0x4000
#define MSIX_ENTRY_MASKED	0x1
#define MSIX_MAX_VECTORS	(VIRTIO_PCI_MAX_QUEUES + 1)

#define ISR_QUEUE		0x1	/* uapi has only VIRTIO_PCI_ISR_CONFIG */

#define VP_STATUS_KNOWN		(VIRTIO_CONFIG_S_ACKNOWLEDGE | \
				 VIRTIO_CONFIG_S_DRIVER | \
				 VIRTIO_CONFIG_S_DRIVER_OK | \
				 VIRTIO_CONFIG_S_FEATURES_OK | \
				 VIRTIO_CONFIG_S_NEEDS_RESET | \
				 VIRTIO_CONFIG_S_FAILED)

struct vp_vector {		/* one MSI-X table entry and its binding */
	uint32_t addr_lo, addr_hi, data, ctrl;
	bool pending;
	int efd;		/* eventfd bound to gsi, -1 if none */
	int gsi;		/* KVM MSI route, -1 if none */
	bool bound;		/* bound_addr/data tried (gsi may be -1) */
	uint64_t bound_addr;
	uint32_t bound_data;
};

struct vp_queue {
	struct virtio_pci *vp;
	unsigned int index;
	struct vq vq;		/* ring state; vq.enabled = queue_enable */
	uint16_t size;		/* queue_size as configured */
	uint16_t msix_vector;
	uint64_t desc, driver, device;
	int efd;		/* ioeventfd, -1 if none */
	bool efd_model;		/* efd is the model's (queue_kick_fd) */
	uint64_t efd_addr;	/* where it is assigned */
};

struct virtio_pci {
	struct pci_dev pci;
	struct vm *vm;
	const struct virtio_dev_ops *ops;
	void *model;
	int msix_cap;		/* config offset of the MSI-X capability */
	int cfgwin_cap;		/* config offset of the PCI_CFG capability */
	unsigned int nvec;

	uint32_t dfselect, gfselect;
	uint64_t driver_features;
	uint8_t status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint16_t config_vector;
	uint8_t isr;
	struct vp_vector vec[MSIX_MAX_VECTORS];
	struct vp_queue q[VIRTIO_PCI_MAX_QUEUES];
};

static struct log_ratelimit vp_rl = LOG_RATELIMIT_INIT(5000, 5);

static uint64_t vp_offered(const struct virtio_pci *vp)
{
	if (vp->ops->get_features)
		return vp->ops->get_features((struct virtio_pci *)vp);
	return vp->ops->features | 1ULL << VIRTIO_F_VERSION_1 |
	       1ULL << VIRTIO_RING_F_EVENT_IDX |
	       1ULL << VIRTIO_RING_F_INDIRECT_DESC;
}

static bool vp_has(const struct virtio_pci *vp, unsigned int bit)
{
	return (vp->driver_features >> bit) & 1;
}

/* ---- interrupts ---- */

static void vp_irq_changed(struct virtio_pci *vp)
{
	if (vp->ops->irq_changed)
		vp->ops->irq_changed(vp);
}

static uint16_t vp_msix_ctrl(const struct virtio_pci *vp)
{
	return (uint16_t)pci_cfg_get(&vp->pci, vp->msix_cap + 2, 2);
}

static bool vp_msix_enabled(const struct virtio_pci *vp)
{
	return vp_msix_ctrl(vp) & MSIX_CTRL_ENABLE;
}

static bool vp_vector_masked(const struct virtio_pci *vp, unsigned int i)
{
	return (vp_msix_ctrl(vp) & MSIX_CTRL_MASKALL) ||
	       (vp->vec[i].ctrl & MSIX_ENTRY_MASKED);
}

static uint64_t vp_vector_addr(const struct vp_vector *v)
{
	return (uint64_t)v->addr_hi << 32 | v->addr_lo;
}

static void vp_vector_unbind(struct virtio_pci *vp, struct vp_vector *v)
{
	if (v->gsi >= 0)
		vm_msi_irqfd_unbind(vp->vm, v->gsi, v->efd);
	if (v->efd >= 0)
		close(v->efd);
	v->gsi = v->efd = -1;
	v->bound = false;
}

/* Bind (or re-aim) the vector's irqfd to its current message. Without
 * KVM, or if binding failed, delivery falls back to vm_signal_msi; a
 * failed message is not retried until the guest reprograms it. */
static void vp_vector_bind(struct virtio_pci *vp, struct vp_vector *v)
{
	uint64_t addr = vp_vector_addr(v);

	if (v->bound && addr == v->bound_addr && v->data == v->bound_data)
		return;
	if (v->gsi >= 0) {
		vm_msi_irqfd_update(vp->vm, v->gsi, addr, v->data);
	} else {
		if (v->efd < 0)
			v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (v->efd >= 0)
			v->gsi = vm_msi_irqfd_bind(vp->vm, v->efd, addr,
						   v->data);
		if (v->gsi < 0)
			v->gsi = -1;
	}
	v->bound = true;
	v->bound_addr = addr;
	v->bound_data = v->data;
}

static void vp_vector_fire(struct virtio_pci *vp, struct vp_vector *v)
{
	uint64_t one = 1;

	if (v->gsi >= 0 && write(v->efd, &one, sizeof(one)) == sizeof(one))
		return;
	vm_signal_msi(vp->vm, vp_vector_addr(v), v->data);
}

/* Bring vector i's binding in line with the table and control bits,
 * delivering a pending message once it is unmasked. */
static void vp_vector_sync(struct virtio_pci *vp, unsigned int i)
{
	struct vp_vector *v = &vp->vec[i];

	if (!vp_msix_enabled(vp)) {
		vp_vector_unbind(vp, v);
		return;
	}
	if (vp_vector_masked(vp, i))
		return;
	vp_vector_bind(vp, v);
	if (v->pending) {
		v->pending = false;
		vp_vector_fire(vp, v);
	}
}

static void vp_vectors_sync(struct virtio_pci *vp)
{
	for (unsigned int i = 0; i < vp->nvec; i++)
		vp_vector_sync(vp, i);
}

static void vp_update_intx(struct virtio_pci *vp)
{
	bool disabled = pci_cfg_get(&vp->pci, PCI_COMMAND, 2) &
			PCI_COMMAND_INTX_DISABLE;

	pci_dev_set_intx(&vp->pci, vp->isr && !vp_msix_enabled(vp) && !disabled);
}

static void vp_interrupt(struct virtio_pci *vp, uint16_t vector,
			 uint8_t isr_bit)
{
	if (!vp_msix_enabled(vp)) {
		vp->isr |= isr_bit;
		vp_update_intx(vp);
		return;
	}
	if (vector >= vp->nvec)
		return;			/* VIRTIO_MSI_NO_VECTOR: none wanted */
	if (vp_vector_masked(vp, vector)) {
		vp->vec[vector].pending = true;
		return;
	}
	vp_vector_bind(vp, &vp->vec[vector]);
	vp_vector_fire(vp, &vp->vec[vector]);
}

void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned int q)
{
	if (q >= vp->ops->num_queues || !vq_should_notify(&vp->q[q].vq))
		return;
	vp_interrupt(vp, vp->q[q].msix_vector, ISR_QUEUE);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	vp->config_generation++;
	vp_interrupt(vp, vp->config_vector, VIRTIO_PCI_ISR_CONFIG);
}

void virtio_pci_needs_reset(struct virtio_pci *vp)
{
	if (vp->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	log_warn("%s: driver error, device needs reset", vp->ops->name);
	vp->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	virtio_pci_config_changed(vp);
}

/* ---- notifications ---- */

static void vp_queue_kick(struct virtio_pci *vp, unsigned int q)
{
	if (q >= vp->ops->num_queues || !vp->q[q].vq.enabled ||
	    !(vp->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (vp->status & VIRTIO_CONFIG_S_NEEDS_RESET))
		return;
	vp->ops->queue_notify(vp, q);
}

static void vp_ioeventfd_ready(void *opaque)
{
	struct vp_queue *q = opaque;
	uint64_t n;

	if (read(q->efd, &n, sizeof(n)) != sizeof(n))
		return;
	vp_queue_kick(q->vp, q->index);
}

static void vp_ioeventfd_del(struct virtio_pci *vp, struct vp_queue *q)
{
	if (q->efd < 0)
		return;
	if (!q->efd_model)
		vm_unwatch_fd(vp->vm, q->efd);
	vm_ioeventfd(vp->vm, IO_SPACE_MMIO, q->efd_addr, 0, q->efd, false);
	if (!q->efd_model)
		close(q->efd);
	q->efd = -1;
	q->efd_model = false;
}

/* An ioeventfd for an enabled queue whose BAR is decoded; on any
 * failure the MMIO notify handler does the job. */
static void vp_ioeventfd_add(struct virtio_pci *vp, struct vp_queue *q)
{
	uint64_t bar = vp->pci.bars[0].mapped;

	if (q->efd >= 0 || !q->vq.enabled || !bar || vp->vm->vm_fd < 0)
		return;
	q->efd_model = vp->ops->queue_kick_fd != NULL;
	q->efd = q->efd_model ? vp->ops->queue_kick_fd(vp, q->index) :
		 eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->efd < 0)
		goto fail;
	q->efd_addr = bar + VIRTIO_PCI_NOTIFY_OFF +
		      (uint64_t)VIRTIO_PCI_NOTIFY_MULT * q->index;
	if (vm_ioeventfd(vp->vm, IO_SPACE_MMIO, q->efd_addr, 0, q->efd,
			 true) < 0)
		goto fail;
	if (q->efd_model)
		return;		/* the backend watches it */
	if (vm_watch_fd(vp->vm, q->efd, vp_ioeventfd_ready, q) < 0) {
		vm_ioeventfd(vp->vm, IO_SPACE_MMIO, q->efd_addr, 0, q->efd,
			     false);
		goto fail;
	}
	return;
fail:
	if (q->efd >= 0 && !q->efd_model)
		close(q->efd);
	q->efd = -1;
	q->efd_model = false;
}

static void vp_bar_moved(struct pci_dev *d, unsigned int bar UNUSED,
			 uint64_t gpa UNUSED)
{
	struct virtio_pci *vp = d->opaque;

	for (unsigned int i = 0; i < vp->ops->num_queues; i++) {
		vp_ioeventfd_del(vp, &vp->q[i]);
		vp_ioeventfd_add(vp, &vp->q[i]);
	}
}

/* ---- device status and reset (§2.1, §3.1) ---- */

static void vp_queue_clear(struct virtio_pci *vp, struct vp_queue *q)
{
	vp_ioeventfd_del(vp, q);
	vq_reset(&q->vq);
	q->vq.vm = vp->vm;
	q->size = vp->ops->queue_max;
	q->msix_vector = VIRTIO_MSI_NO_VECTOR;
	q->desc = q->driver = q->device = 0;
}

static void vp_reset(struct virtio_pci *vp)
{
	for (unsigned int i = 0; i < vp->ops->num_queues; i++)
		vp_queue_clear(vp, &vp->q[i]);
	vp->dfselect = vp->gfselect = 0;
	vp->driver_features = 0;
	vp->status = 0;
	vp->queue_select = 0;
	vp->config_vector = VIRTIO_MSI_NO_VECTOR;
	vp->isr = 0;
	for (unsigned int i = 0; i < vp->nvec; i++)
		vp->vec[i].pending = false;
	vp_update_intx(vp);
	if (vp->ops->reset)
		vp->ops->reset(vp);
}

/* FEATURES_OK only if the driver took a subset of what we offer,
 * including VERSION_1 (§2.2, §6.1: legacy drivers are not supported). */
static bool vp_features_ok(const struct virtio_pci *vp)
{
	return !(vp->driver_features & ~vp_offered(vp)) &&
	       vp_has(vp, VIRTIO_F_VERSION_1);
}

static void vp_set_status(struct virtio_pci *vp, uint8_t v)
{
	uint8_t old = vp->status;

	if (v == 0) {
		vp_reset(vp);
		return;
	}
	if (old & ~v & ~VIRTIO_CONFIG_S_NEEDS_RESET)
		log_ratelimited(&vp_rl, LL_WARN, "%s: driver cleared status "
				"bits %#x; ignored", vp->ops->name, old & ~v);
	v = (uint8_t)((v | old) & VP_STATUS_KNOWN);
	v = (uint8_t)((v & ~VIRTIO_CONFIG_S_NEEDS_RESET) |
		      (old & VIRTIO_CONFIG_S_NEEDS_RESET));
	if ((v & ~old & VIRTIO_CONFIG_S_FEATURES_OK) && !vp_features_ok(vp))
		v &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	if (!(v & VIRTIO_CONFIG_S_FEATURES_OK))
		v &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
	vp->status = v;
	if ((v & ~old & VIRTIO_CONFIG_S_DRIVER_OK) && vp->ops->driver_ok)
		vp->ops->driver_ok(vp);
	/* Buffers made available before DRIVER_OK are looked at now. */
	if (v & ~old & VIRTIO_CONFIG_S_DRIVER_OK)
		for (unsigned int i = 0; i < vp->ops->num_queues; i++)
			vp_queue_kick(vp, i);
}

static struct vp_queue *vp_selected(struct virtio_pci *vp)
{
	return vp->queue_select < vp->ops->num_queues ?
	       &vp->q[vp->queue_select] : NULL;
}

static void vp_queue_enable(struct virtio_pci *vp, struct vp_queue *q)
{
	int rc;

	if (q->vq.enabled)
		return;
	rc = vq_enable(&q->vq, vp->vm, q->size, q->desc, q->driver, q->device,
		       vp_has(vp, VIRTIO_RING_F_EVENT_IDX),
		       vp_has(vp, VIRTIO_RING_F_INDIRECT_DESC));
	if (rc < 0) {
		log_ratelimited(&vp_rl, LL_WARN, "%s: queue %u: size %u or "
				"ring addresses invalid", vp->ops->name,
				q->index, q->size);
		virtio_pci_needs_reset(vp);
		return;
	}
	vp_ioeventfd_add(vp, q);
}

/* ---- common configuration (§4.1.4.3) ---- */

/* The structure as the driver reads it, little-endian. */
static void vp_common_image(struct virtio_pci *vp, uint8_t img[64])
{
	uint64_t f = vp_offered(vp);
	struct vp_queue *q = vp_selected(vp);
	uint32_t df = vp->dfselect == 0 ? (uint32_t)f :
		      vp->dfselect == 1 ? (uint32_t)(f >> 32) : 0;
	uint32_t gf = vp->gfselect == 0 ? (uint32_t)vp->driver_features :
		      vp->gfselect == 1 ? (uint32_t)(vp->driver_features >> 32) : 0;
	uint16_t nq = (uint16_t)vp->ops->num_queues;

	memset(img, 0, 64);
	memcpy(img + VIRTIO_PCI_COMMON_DFSELECT, &vp->dfselect, 4);
	memcpy(img + VIRTIO_PCI_COMMON_DF, &df, 4);
	memcpy(img + VIRTIO_PCI_COMMON_GFSELECT, &vp->gfselect, 4);
	memcpy(img + VIRTIO_PCI_COMMON_GF, &gf, 4);
	memcpy(img + VIRTIO_PCI_COMMON_MSIX, &vp->config_vector, 2);
	memcpy(img + VIRTIO_PCI_COMMON_NUMQ, &nq, 2);
	img[VIRTIO_PCI_COMMON_STATUS] = vp->status;
	img[VIRTIO_PCI_COMMON_CFGGENERATION] = vp->config_generation;
	memcpy(img + VIRTIO_PCI_COMMON_Q_SELECT, &vp->queue_select, 2);
	if (!q)
		return;
	memcpy(img + VIRTIO_PCI_COMMON_Q_SIZE, &q->size, 2);
	memcpy(img + VIRTIO_PCI_COMMON_Q_MSIX, &q->msix_vector, 2);
	img[VIRTIO_PCI_COMMON_Q_ENABLE] = q->vq.enabled;
	memcpy(img + VIRTIO_PCI_COMMON_Q_NOFF,
	       &(uint16_t){ (uint16_t)q->index }, 2);
	memcpy(img + VIRTIO_PCI_COMMON_Q_DESCLO, &q->desc, 8);
	memcpy(img + VIRTIO_PCI_COMMON_Q_AVAILLO, &q->driver, 8);
	memcpy(img + VIRTIO_PCI_COMMON_Q_USEDLO, &q->device, 8);
}

static uint16_t vp_vector_arg(const struct virtio_pci *vp, uint16_t v)
{
	return v < vp->nvec ? v : VIRTIO_MSI_NO_VECTOR;
}

static void vp_write_driver_features(struct virtio_pci *vp, uint32_t v)
{
	if (vp->status & VIRTIO_CONFIG_S_FEATURES_OK)
		return;		/* negotiation is over */
	if (vp->gfselect == 0)
		vp->driver_features = (vp->driver_features & ~0xffffffffULL) | v;
	else if (vp->gfselect == 1)
		vp->driver_features = (vp->driver_features & 0xffffffffULL) |
				      (uint64_t)v << 32;
}

static void vp_write_queue_field(struct virtio_pci *vp, unsigned int off,
				 const uint8_t *img)
{
	struct vp_queue *q = vp_selected(vp);
	uint16_t v16;

	if (!q)
		return;
	memcpy(&v16, img + (off & ~1u), 2);
	if (off == VIRTIO_PCI_COMMON_Q_MSIX) {
		q->msix_vector = vp_vector_arg(vp, v16);
		vp_irq_changed(vp);
		return;
	}
	if (off == VIRTIO_PCI_COMMON_Q_ENABLE) {
		if (v16 == 1)
			vp_queue_enable(vp, q);
		return;
	}
	if (q->vq.enabled)
		return;		/* §4.1.4.3.2: fixed once enabled */
	if (off == VIRTIO_PCI_COMMON_Q_SIZE && v16 && !(v16 & (v16 - 1)) &&
	    v16 <= vp->ops->queue_max)
		q->size = v16;
	else if (off >= VIRTIO_PCI_COMMON_Q_DESCLO &&
		 off < VIRTIO_PCI_COMMON_Q_AVAILLO)
		memcpy(&q->desc, img + VIRTIO_PCI_COMMON_Q_DESCLO, 8);
	else if (off >= VIRTIO_PCI_COMMON_Q_AVAILLO &&
		 off < VIRTIO_PCI_COMMON_Q_USEDLO)
		memcpy(&q->driver, img + VIRTIO_PCI_COMMON_Q_AVAILLO, 8);
	else if (off >= VIRTIO_PCI_COMMON_Q_USEDLO &&
		 off < VIRTIO_PCI_COMMON_LEN)
		memcpy(&q->device, img + VIRTIO_PCI_COMMON_Q_USEDLO, 8);
}

/* Apply the field starting at off, whose new bytes are in img. */
static void vp_common_field(struct virtio_pci *vp, unsigned int off,
			    const uint8_t *img)
{
	uint32_t v32;
	uint16_t v16;

	memcpy(&v32, img + (off & ~3u), 4);
	memcpy(&v16, img + (off & ~1u), 2);
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->dfselect = v32;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->gfselect = v32;
		break;
	case VIRTIO_PCI_COMMON_GF:
		vp_write_driver_features(vp, v32);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		vp->config_vector = vp_vector_arg(vp, v16);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		vp_set_status(vp, img[VIRTIO_PCI_COMMON_STATUS]);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = v16;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX:
	case VIRTIO_PCI_COMMON_Q_ENABLE:
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		vp_write_queue_field(vp, off, img);
		break;
	default: break;	/* read-only fields */
	}
}

/* The writable fields' offsets, in order. */
static const uint8_t vp_field_start[] = {
	VIRTIO_PCI_COMMON_DFSELECT, VIRTIO_PCI_COMMON_GFSELECT,
	VIRTIO_PCI_COMMON_GF, VIRTIO_PCI_COMMON_MSIX,
	VIRTIO_PCI_COMMON_STATUS, VIRTIO_PCI_COMMON_Q_SELECT,
	VIRTIO_PCI_COMMON_Q_SIZE, VIRTIO_PCI_COMMON_Q_MSIX,
	VIRTIO_PCI_COMMON_Q_ENABLE, VIRTIO_PCI_COMMON_Q_DESCLO,
	VIRTIO_PCI_COMMON_Q_DESCHI, VIRTIO_PCI_COMMON_Q_AVAILLO,
	VIRTIO_PCI_COMMON_Q_AVAILHI, VIRTIO_PCI_COMMON_Q_USEDLO,
	VIRTIO_PCI_COMMON_Q_USEDHI,
};

_Static_assert(VIRTIO_PCI_COMMON_LEN ==
	       sizeof(struct virtio_pci_common_cfg),
	       "common configuration is struct virtio_pci_common_cfg");

static void vp_common_write(struct virtio_pci *vp, unsigned int off,
			    unsigned int size, uint64_t val)
{
	uint8_t img[64];

	if (off + size > VIRTIO_PCI_COMMON_LEN)
		return;
	vp_common_image(vp, img);
	memcpy(img + off, &val, size);
	for (unsigned int i = 0; i < sizeof(vp_field_start); i++) {
		unsigned int f = vp_field_start[i];

		if (f >= off && f < off + size)
			vp_common_field(vp, f, img);
		else if (f < off && i + 1 < sizeof(vp_field_start) &&
			 vp_field_start[i + 1] > off)
			vp_common_field(vp, f, img);	/* partial field */
	}
}

static uint64_t vp_common_read(struct virtio_pci *vp, unsigned int off,
			       unsigned int size)
{
	uint8_t img[64];
	uint64_t v = 0;

	if (off + size > VIRTIO_PCI_COMMON_LEN)
		return 0;
	vp_common_image(vp, img);
	memcpy(&v, img + off, size);
	return v;
}

/* ---- MSI-X table and PBA ---- */

static uint64_t vp_msix_read(struct virtio_pci *vp, unsigned int off,
			     unsigned int size)
{
	unsigned int i = off / 16, reg = off % 16;
	const struct vp_vector *v;
	uint32_t words[4];

	if (i >= vp->nvec || size != 4 || reg % 4)
		return 0;
	v = &vp->vec[i];
	words[0] = v->addr_lo;
	words[1] = v->addr_hi;
	words[2] = v->data;
	words[3] = v->ctrl;
	return words[reg / 4];
}

static void vp_msix_write(struct virtio_pci *vp, unsigned int off,
			  unsigned int size, uint64_t val)
{
	unsigned int i = off / 16, reg = off % 16;
	struct vp_vector *v;

	if (size == 8 && reg % 8 == 0) {	/* two dwords */
		vp_msix_write(vp, off, 4, (uint32_t)val);
		vp_msix_write(vp, off + 4, 4, val >> 32);
		return;
	}
	if (i >= vp->nvec || size != 4 || reg % 4)
		return;
	v = &vp->vec[i];
	switch (reg) {
	case 0:  v->addr_lo = (uint32_t)val & ~3u; break;
	case 4:  v->addr_hi = (uint32_t)val; break;
	case 8:  v->data = (uint32_t)val; break;
	default: v->ctrl = (uint32_t)val & MSIX_ENTRY_MASKED; break;
	}
	vp_vector_sync(vp, i);
	vp_irq_changed(vp);
}

static uint64_t vp_pba_read(struct virtio_pci *vp, unsigned int off,
			    unsigned int size)
{
	uint64_t bits = 0;

	for (unsigned int i = 0; i < vp->nvec; i++)
		if (vp->vec[i].pending)
			bits |= 1ULL << i;
	return off < 8 ? bits >> (8 * off) & (size == 8 ? ~0ULL :
					       (1ULL << (8 * size)) - 1) : 0;
}

/* ---- BAR0 ---- */

static uint64_t vp_bar_read(void *opaque, uint64_t off, unsigned int size)
{
	struct virtio_pci *vp = opaque;
	uint32_t o = (uint32_t)off;
	uint8_t isr;

	if (o < VIRTIO_PCI_ISR_OFF)
		return vp_common_read(vp, o, size);
	if (o == VIRTIO_PCI_ISR_OFF) {
		isr = vp->isr;		/* reading clears (§4.1.4.5) */
		vp->isr = 0;
		vp_update_intx(vp);
		return isr;
	}
	if (o >= VIRTIO_PCI_DEVICE_OFF && o < VIRTIO_PCI_NOTIFY_OFF) {
		o -= VIRTIO_PCI_DEVICE_OFF;
		if (size > 4 || o + size > vp->ops->cfg_size)
			return 0;
		return vp->ops->cfg_read(vp, o, size);
	}
	if (o >= VIRTIO_PCI_MSIX_TABLE_OFF && o < VIRTIO_PCI_MSIX_PBA_OFF)
		return vp_msix_read(vp, o - VIRTIO_PCI_MSIX_TABLE_OFF, size);
	if (o >= VIRTIO_PCI_MSIX_PBA_OFF)
		return vp_pba_read(vp, o - VIRTIO_PCI_MSIX_PBA_OFF, size);
	return 0;
}

static void vp_bar_write(void *opaque, uint64_t off, unsigned int size,
			 uint64_t val)
{
	struct virtio_pci *vp = opaque;
	uint32_t o = (uint32_t)off;

	if (o < VIRTIO_PCI_ISR_OFF) {
		vp_common_write(vp, o, size, val);
	} else if (o >= VIRTIO_PCI_DEVICE_OFF && o < VIRTIO_PCI_NOTIFY_OFF) {
		o -= VIRTIO_PCI_DEVICE_OFF;
		if (size <= 4 && o + size <= vp->ops->cfg_size &&
		    vp->ops->cfg_write)
			vp->ops->cfg_write(vp, o, size, (uint32_t)val);
	} else if (o >= VIRTIO_PCI_NOTIFY_OFF &&
		   o < VIRTIO_PCI_MSIX_TABLE_OFF) {
		o -= VIRTIO_PCI_NOTIFY_OFF;
		if (o % VIRTIO_PCI_NOTIFY_MULT == 0)
			vp_queue_kick(vp, o / VIRTIO_PCI_NOTIFY_MULT);
	} else if (o >= VIRTIO_PCI_MSIX_TABLE_OFF &&
		   o < VIRTIO_PCI_MSIX_PBA_OFF) {
		vp_msix_write(vp, o - VIRTIO_PCI_MSIX_TABLE_OFF, size, val);
	}
}

static const struct io_ops vp_bar_ops = {
	.read = vp_bar_read,
	.write = vp_bar_write,
};

/* The PCI_CFG window (§4.1.4.9): cap.bar, cap.offset and cap.length
 * select a BAR0 access of 1, 2 or 4 bytes done through pci_cfg_data. */
static bool vp_cfgwin_target(struct virtio_pci *vp, uint32_t *off,
			     uint32_t *len)
{
	unsigned int c = (unsigned int)vp->cfgwin_cap;

	*off = pci_cfg_get(&vp->pci, c + 8, 4);
	*len = pci_cfg_get(&vp->pci, c + 12, 4);
	return vp->pci.cfg[c + 4] == 0 && (*len == 1 || *len == 2 ||
	       *len == 4) && *off % *len == 0 &&
	       *off <= VIRTIO_PCI_BAR_SIZE - *len;
}

static bool vp_cfgwin_data(const struct virtio_pci *vp, unsigned int off,
			   unsigned int size)
{
	unsigned int data = (unsigned int)vp->cfgwin_cap + 16;

	return off < data + 4 && off + size > data;
}

static void vp_cfg_read(struct pci_dev *d, unsigned int off,
			unsigned int size)
{
	struct virtio_pci *vp = d->opaque;
	uint32_t woff, wlen;

	if (!vp_cfgwin_data(vp, off, size) ||
	    !vp_cfgwin_target(vp, &woff, &wlen))
		return;
	pci_cfg_set(d, (unsigned int)vp->cfgwin_cap + 16, 4,
		    (uint32_t)vp_bar_read(vp, woff, wlen));
}

static void vp_cfgwin_write(struct virtio_pci *vp, unsigned int off,
			    unsigned int size)
{
	uint32_t woff, wlen;

	if (!vp_cfgwin_data(vp, off, size) ||
	    !vp_cfgwin_target(vp, &woff, &wlen))
		return;
	vp_bar_write(vp, woff, wlen,
		     pci_cfg_get(&vp->pci, (unsigned int)vp->cfgwin_cap + 16,
				 wlen));
}

static void vp_cfg_write(struct pci_dev *d, unsigned int off,
			 unsigned int size, uint32_t val UNUSED)
{
	struct virtio_pci *vp = d->opaque;
	unsigned int ctrl = (unsigned int)vp->msix_cap + 2;

	if (off < ctrl + 2 && off + size > ctrl) {
		vp_vectors_sync(vp);
		vp_update_intx(vp);
		vp_irq_changed(vp);
	}
	if (off < PCI_COMMAND + 2 && off + size > PCI_COMMAND)
		vp_update_intx(vp);
	vp_cfgwin_write(vp, off, size);
}

static const struct pci_dev_ops vp_pci_ops = {
	.cfg_read = vp_cfg_read,
	.cfg_write = vp_cfg_write,
	.bar_moved = vp_bar_moved,
};

/* ---- creation ---- */

/* struct virtio_pci_cap (§4.1.4), plus notify_off_multiplier. */
static int vp_add_cap(struct virtio_pci *vp, uint8_t type, uint32_t off,
		      uint32_t len)
{
	uint8_t cap[20] = { PCI_CAP_ID_VNDR, 0, 16, type, 0 /* BAR0 */ };
	unsigned int n = 16;

	memcpy(cap + 8, &off, 4);
	memcpy(cap + 12, &len, 4);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
		uint32_t mult = VIRTIO_PCI_NOTIFY_MULT;

		memcpy(cap + 16, &mult, 4);
		cap[2] = n = 20;
	}
	return pci_dev_add_cap(&vp->pci, cap, n);
}

static int vp_add_msix_cap(struct virtio_pci *vp)
{
	uint8_t cap[12] = { PCI_CAP_ID_MSIX, 0 };
	uint16_t ctrl = (uint16_t)(vp->nvec - 1);
	uint32_t table = VIRTIO_PCI_MSIX_TABLE_OFF, pba = VIRTIO_PCI_MSIX_PBA_OFF;
	int off;

	memcpy(cap + 2, &ctrl, 2);
	memcpy(cap + 4, &table, 4);		/* BIR 0 */
	memcpy(cap + 8, &pba, 4);
	off = pci_dev_add_cap(&vp->pci, cap, sizeof(cap));
	if (off < 0)
		return off;
	vp->msix_cap = off;
	pci_dev_set_wmask(&vp->pci, (unsigned int)off + 2, 2,
			  MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	return 0;
}

static int vp_add_cfgwin_cap(struct virtio_pci *vp)
{
	uint8_t cap[20] = { PCI_CAP_ID_VNDR, 0, 20, VIRTIO_PCI_CAP_PCI_CFG };
	int off = pci_dev_add_cap(&vp->pci, cap, sizeof(cap));

	if (off < 0)
		return off;
	vp->cfgwin_cap = off;
	pci_dev_set_wmask(&vp->pci, (unsigned int)off + 4, 1, 0xff);
	pci_dev_set_wmask(&vp->pci, (unsigned int)off + 8, 4, 0xffffffff);
	pci_dev_set_wmask(&vp->pci, (unsigned int)off + 12, 4, 0xffffffff);
	pci_dev_set_wmask(&vp->pci, (unsigned int)off + 16, 4, 0xffffffff);
	return 0;
}

static int vp_init_pci(struct virtio_pci *vp)
{
	const struct virtio_dev_ops *ops = vp->ops;
	int rc;

	pci_dev_init(&vp->pci, ops->name, VIRTIO_PCI_VENDOR,
		     (uint16_t)(VIRTIO_PCI_DEVICE_BASE + ops->device_id), 1,
		     ops->class_code, VIRTIO_PCI_VENDOR, ops->device_id);
	vp->pci.ops = &vp_pci_ops;
	vp->pci.opaque = vp;
	pci_cfg_set(&vp->pci, PCI_INTERRUPT_PIN, 1, 1);		/* INTA */
	rc = pci_dev_set_bar(&vp->pci, 0, VIRTIO_PCI_BAR_SIZE, &vp_bar_ops, vp);
	if (rc < 0 ||
	    (rc = vp_add_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG,
			     VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN)) < 0 ||
	    (rc = vp_add_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG,
			     VIRTIO_PCI_NOTIFY_OFF,
			     VIRTIO_PCI_NOTIFY_MULT * ops->num_queues)) < 0 ||
	    (rc = vp_add_cap(vp, VIRTIO_PCI_CAP_ISR_CFG,
			     VIRTIO_PCI_ISR_OFF, 1)) < 0 ||
	    (ops->cfg_size &&
	     (rc = vp_add_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG,
			      VIRTIO_PCI_DEVICE_OFF, ops->cfg_size)) < 0) ||
	    (rc = vp_add_msix_cap(vp)) < 0 ||
	    (rc = vp_add_cfgwin_cap(vp)) < 0)
		return rc < 0 ? rc : -ENOSPC;
	return 0;
}

static bool vp_ops_ok(const struct virtio_dev_ops *ops)
{
	return ops && ops->name && ops->num_queues >= 1 &&
	       ops->num_queues <= VIRTIO_PCI_MAX_QUEUES &&
	       ops->queue_max >= 1 && ops->queue_max <= VQ_MAX_SIZE &&
	       !(ops->queue_max & (ops->queue_max - 1)) &&
	       ops->cfg_size <= VIRTIO_PCI_NOTIFY_OFF - VIRTIO_PCI_DEVICE_OFF &&
	       (ops->cfg_size == 0 || ops->cfg_read) && ops->queue_notify;
}

struct virtio_pci *virtio_pci_create(struct vm *vm, struct pci_bus *bus,
				     const struct virtio_dev_ops *ops,
				     void *model)
{
	struct virtio_pci *vp;
	int rc = -EINVAL;

	if (!vp_ops_ok(ops))
		goto fail_early;
	rc = -ENOMEM;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		goto fail_early;
	vp->vm = vm;
	vp->ops = ops;
	vp->model = model;
	vp->nvec = ops->num_queues + 1;
	for (unsigned int i = 0; i < MSIX_MAX_VECTORS; i++)
		vp->vec[i] = (struct vp_vector){ .ctrl = MSIX_ENTRY_MASKED,
						 .efd = -1, .gsi = -1 };
	for (unsigned int i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		vp->q[i] = (struct vp_queue){ .vp = vp, .index = i, .efd = -1 };
	rc = vp_init_pci(vp);
	if (rc < 0)
		goto fail;
	vp_reset(vp);
	rc = pci_bus_add(bus, &vp->pci);
	if (rc < 0)
		goto fail;
	log_debug("%s: virtio-pci at 00:%02x.0, BAR0 %#llx", ops->name,
		  vp->pci.slot, (unsigned long long)vp->pci.bars[0].mapped);
	return vp;
fail:
	free(vp);
fail_early:
	errno = -rc;
	return NULL;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp)
		return;
	for (unsigned int i = 0; i < vp->ops->num_queues; i++)
		vp_ioeventfd_del(vp, &vp->q[i]);
	for (unsigned int i = 0; i < vp->nvec; i++)
		vp_vector_unbind(vp, &vp->vec[i]);
	pci_bus_remove(vp->pci.bus, &vp->pci);
	free(vp);
}

void *virtio_pci_model(const struct virtio_pci *vp)
{
	return vp->model;
}

struct vm *virtio_pci_vm(const struct virtio_pci *vp)
{
	return vp->vm;
}

struct vq *virtio_pci_queue(struct virtio_pci *vp, unsigned int q)
{
	if (q >= vp->ops->num_queues || !vp->q[q].vq.enabled)
		return NULL;
	return &vp->q[q].vq;
}

bool virtio_pci_driver_ok(const struct virtio_pci *vp)
{
	return (vp->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(vp->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

struct pci_dev *virtio_pci_dev(struct virtio_pci *vp)
{
	return &vp->pci;
}

int virtio_pci_intx_level(const struct virtio_pci *vp)
{
	return vp->pci.intx_level;
}

int virtio_pci_vector_gsi(const struct virtio_pci *vp, unsigned int vec)
{
	return vec < vp->nvec ? vp->vec[vec].gsi : -1;
}

bool virtio_pci_queue_ioeventfd(const struct virtio_pci *vp, unsigned int q)
{
	return q < vp->ops->num_queues && vp->q[q].efd >= 0;
}

uint64_t virtio_pci_driver_features(const struct virtio_pci *vp)
{
	return vp->driver_features;
}

int virtio_pci_queue_irqfd(const struct virtio_pci *vp, unsigned int q)
{
	const struct vp_vector *v;
	uint16_t vec;

	if (q >= vp->ops->num_queues || !vp_msix_enabled(vp))
		return -1;
	vec = vp->q[q].msix_vector;
	if (vec >= vp->nvec || vp_vector_masked(vp, vec))
		return -1;
	v = &vp->vec[vec];
	return v->gsi >= 0 ? v->efd : -1;
}

bool virtio_pci_queue_irq_wanted(const struct virtio_pci *vp, unsigned int q)
{
	return q < vp->ops->num_queues &&
	       (!vp_msix_enabled(vp) || vp->q[q].msix_vector < vp->nvec);
}

void virtio_pci_queue_signal(struct virtio_pci *vp, unsigned int q)
{
	if (q < vp->ops->num_queues)
		vp_interrupt(vp, vp->q[q].msix_vector, ISR_QUEUE);
}

/* ---- save/load ---- */

#define VP_SNAP_VERSION	1

static void vp_save_queue(const struct vp_queue *q, struct snap_writer *w)
{
	snap_put_u16(w, q->size);
	snap_put_u16(w, q->msix_vector);
	snap_put_u64(w, q->desc);
	snap_put_u64(w, q->driver);
	snap_put_u64(w, q->device);
	vq_save(&q->vq, w);
}

static int vp_save(void *dev, struct snap_writer *w)
{
	struct virtio_pci *vp = dev;
	size_t mark;

	snap_section_begin(w, vp->ops->name, VP_SNAP_VERSION, &mark);
	pci_dev_save(&vp->pci, w);
	snap_put_u8(w, vp->status);
	snap_put_u32(w, vp->dfselect);
	snap_put_u32(w, vp->gfselect);
	snap_put_u64(w, vp->driver_features);
	snap_put_u8(w, vp->config_generation);
	snap_put_u16(w, vp->queue_select);
	snap_put_u16(w, vp->config_vector);
	snap_put_u8(w, vp->isr);
	for (unsigned int i = 0; i < vp->nvec; i++) {
		snap_put_u32(w, vp->vec[i].addr_lo);
		snap_put_u32(w, vp->vec[i].addr_hi);
		snap_put_u32(w, vp->vec[i].data);
		snap_put_u32(w, vp->vec[i].ctrl);
		snap_put_u8(w, vp->vec[i].pending);
	}
	for (unsigned int i = 0; i < vp->ops->num_queues; i++)
		vp_save_queue(&vp->q[i], w);
	if (vp->ops->save && vp->ops->save(vp, w) < 0 && !w->err)
		w->err = -EINVAL;
	return snap_section_end(w, mark);
}

static bool vp_vector_ok(const struct virtio_pci *vp, uint16_t v)
{
	return v < vp->nvec || v == VIRTIO_MSI_NO_VECTOR;
}

static int vp_load_queue(const struct virtio_pci *vp, struct vp_queue *q,
			 struct snap_reader *r)
{
	uint16_t s;

	snap_get_u16(r, &q->size);
	snap_get_u16(r, &q->msix_vector);
	snap_get_u64(r, &q->desc);
	snap_get_u64(r, &q->driver);
	snap_get_u64(r, &q->device);
	s = q->size;
	if (r->err || !s || (s & (s - 1)) || s > vp->ops->queue_max ||
	    !vp_vector_ok(vp, q->msix_vector))
		return snap_fail(r, "virtio queue configuration");
	if (vq_load(&q->vq, vp->vm, r) < 0)
		return -EINVAL;
	if (q->vq.enabled && (q->vq.size != s || q->vq.desc_gpa != q->desc ||
			      q->vq.avail_gpa != q->driver ||
			      q->vq.used_gpa != q->device))
		return snap_fail(r, "virtio queue rings differ from config");
	return 0;
}

static int vp_load_vectors(struct virtio_pci *n, struct snap_reader *r)
{
	for (unsigned int i = 0; i < n->nvec; i++) {
		struct vp_vector *v = &n->vec[i];

		snap_get_u32(r, &v->addr_lo);
		snap_get_u32(r, &v->addr_hi);
		snap_get_u32(r, &v->data);
		snap_get_u32(r, &v->ctrl);
		snap_get_bool(r, &v->pending);
		if ((v->addr_lo & 3) || (v->ctrl & ~MSIX_ENTRY_MASKED))
			return snap_fail(r, "MSI-X entry out of range");
	}
	return r->err;
}

/* Read the transport state into n (a copy of vp). */
static int vp_load_transport(struct virtio_pci *n, struct snap_reader *r,
			     uint8_t cfg[PCI_CFG_SIZE])
{
	if (pci_dev_load(&n->pci, r, cfg) < 0)
		return -EINVAL;
	snap_get_u8(r, &n->status);
	snap_get_u32(r, &n->dfselect);
	snap_get_u32(r, &n->gfselect);
	snap_get_u64(r, &n->driver_features);
	snap_get_u8(r, &n->config_generation);
	snap_get_u16(r, &n->queue_select);
	snap_get_u16(r, &n->config_vector);
	snap_get_u8(r, &n->isr);
	if (r->err || (n->status & ~VP_STATUS_KNOWN) ||
	    (n->driver_features & ~vp_offered(n)) ||
	    !vp_vector_ok(n, n->config_vector) ||
	    (n->isr & ~(ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG)))
		return snap_fail(r, "virtio transport state out of range");
	if (vp_load_vectors(n, r) < 0)
		return -EINVAL;
	for (unsigned int i = 0; i < n->ops->num_queues; i++)
		if (vp_load_queue(n, &n->q[i], r) < 0)
			return -EINVAL;
	return 0;
}

/* Install a loaded state: bindings and ioeventfds follow the new one. */
static void vp_commit(struct virtio_pci *vp, struct virtio_pci *n,
		      const uint8_t cfg[PCI_CFG_SIZE])
{
	for (unsigned int i = 0; i < vp->ops->num_queues; i++)
		vp_ioeventfd_del(vp, &vp->q[i]);
	for (unsigned int i = 0; i < vp->nvec; i++)
		vp_vector_unbind(vp, &vp->vec[i]);
	n->pci = vp->pci;
	*vp = *n;
	for (unsigned int i = 0; i < vp->ops->num_queues; i++)
		vp->q[i].vp = vp;
	pci_dev_restore(&vp->pci, cfg);	/* remaps BAR0, re-adds ioeventfds */
	vp_bar_moved(&vp->pci, 0, vp->pci.bars[0].mapped);
	vp_vectors_sync(vp);
	vp_update_intx(vp);
	vp_irq_changed(vp);
}

/* A kick the guest gave just before its state was saved may still have
 * been in the source's ioeventfd, unread: its requests are in the loaded
 * rings but nothing here would look at them, and the guest would wait
 * for ever. So every queue hv serves itself is looked at once when the
 * loop next runs (the guest is running by then); a queue with nothing
 * new costs one empty look. A backend's queues (queue_kick_fd) are its
 * own to restart. */
static void vp_kick_loaded(struct virtio_pci *vp)
{
	uint64_t one = 1;

	if (!(vp->status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (vp->status & VIRTIO_CONFIG_S_NEEDS_RESET))
		return;
	for (unsigned int i = 0; i < vp->ops->num_queues; i++) {
		struct vp_queue *q = &vp->q[i];

		if (q->vq.enabled && q->efd >= 0 && !q->efd_model &&
		    write(q->efd, &one, sizeof(one)) < 0)
			log_debug("%s: queue %u: kick after load: %m",
				  vp->ops->name, i);
	}
}

static int vp_load(void *dev, struct snap_reader *r)
{
	struct virtio_pci *vp = dev, *n = malloc(sizeof(*n));
	uint8_t cfg[PCI_CFG_SIZE];
	uint32_t version;
	size_t outer;
	int rc = -EINVAL;

	if (!n)
		return -ENOMEM;
	*n = *vp;
	for (unsigned int i = 0; i < MSIX_MAX_VECTORS; i++) {
		n->vec[i].efd = n->vec[i].gsi = -1;
		n->vec[i].bound = false;
	}
	for (unsigned int i = 0; i < VIRTIO_PCI_MAX_QUEUES; i++)
		n->q[i].efd = -1;
	if (snap_section_open(r, vp->ops->name, VP_SNAP_VERSION, &version,
			      &outer) < 0 ||
	    vp_load_transport(n, r, cfg) < 0)
		goto fail;
	/* The model validates before changing anything; the only check
	 * left after it is the section's exact length. */
	if (vp->ops->load && vp->ops->load(vp, r) < 0)
		goto fail;
	if (snap_section_close(r, outer) < 0)
		goto fail;
	vp_commit(vp, n, cfg);
	if (vp->ops->loaded)
		vp->ops->loaded(vp);
	vp_kick_loaded(vp);
	rc = 0;
fail:
	free(n);
	return rc;
}

bool virtio_pci_external_queues(const struct virtio_pci *vp)
{
	return vp->ops->queue_kick_fd != NULL;
}

static void vp_quiesce(void *dev, bool stop)
{
	struct virtio_pci *vp = dev;

	if (vp->ops->quiesce)
		vp->ops->quiesce(vp, stop);
}

static int vp_drain(void *dev, char *msg, size_t msglen)
{
	struct virtio_pci *vp = dev;

	return vp->ops->drain ? vp->ops->drain(vp, msg, msglen) : 0;
}

static int vp_dirty_log(void *dev, bool on, char *msg, size_t msglen)
{
	struct virtio_pci *vp = dev;

	return vp->ops->dirty_log ? vp->ops->dirty_log(vp, on, msg, msglen) : 0;
}

static void vp_announce(void *dev)
{
	struct virtio_pci *vp = dev;

	if (vp->ops->announce)
		vp->ops->announce(vp);
}

const struct hv_device_ops virtio_pci_device_ops = {
	.name = "virtio-pci",
	.save = vp_save,
	.load = vp_load,
	.quiesce = vp_quiesce,
	.drain = vp_drain,
	.dirty_log = vp_dirty_log,
	.announce = vp_announce,
};
