/*
 * virtio.h: the virtio-pci modern transport (virtio_pci.c, virtio 1.2
 * §4.1) and split virtqueues (virtqueue.c, §2.7), shared by every virtio
 * driver (console now; net and blk next). Polling only: no MSI-X vectors,
 * notifications batched and suppressed through event index / NO_NOTIFY.
 *
 * A driver: virtio_pci_init() (reset, ACKNOWLEDGE, DRIVER, features,
 * FEATURES_OK), virtio_queue_setup() per queue, virtio_driver_ok(); then
 * virtq_add() buffers, virtq_kick() once per batch, virtq_get() to poll.
 */
#ifndef MINIOS_VIRTIO_H
#define MINIOS_VIRTIO_H

#include "pci.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_MODERN_BASE	0x1040	/* device id = 0x1040 + virtio id */

/* Feature bits (virtio 1.2 §6). */
#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_EVENT_IDX	29
#define VIRTIO_F_VERSION_1	32

/* Device status (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_FAILED		128

#define VIRTQ_MAX_SIZE		256	/* our cap on any queue */

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];	/* then uint16_t used_event */
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];	/* then uint16_t avail_event */
};
#define VIRTQ_USED_F_NO_NOTIFY	1

struct virtq {
	uint16_t index;		/* queue number in the device */
	uint16_t size;		/* entries (power of two) */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uintptr_t notify;	/* address of this queue's notify register */
	bool event_idx;		/* VIRTIO_F_EVENT_IDX negotiated */
	uint16_t free_head;	/* free descriptor list */
	uint16_t num_free;
	uint16_t avail_idx;	/* our copy of avail->idx, not yet published */
	uint16_t kicked_idx;	/* avail->idx at the last publish */
	uint16_t last_used;	/* next used->idx entry to consume */
	uint64_t kicks;		/* notifications sent (for statistics) */
	void *cookie[VIRTQ_MAX_SIZE];	/* per head descriptor */
	/* Our own copy of each descriptor's next link and of each chain's
	 * length: the table itself is shared with the device, which could
	 * rewrite it, so chains are freed from these, never from desc[]. */
	uint16_t next[VIRTQ_MAX_SIZE];
	uint16_t chain_len[VIRTQ_MAX_SIZE];	/* per head descriptor */
};

/* One piece of a buffer chain. */
struct virtq_buf {
	void *addr;
	uint32_t len;
};

struct virtio_dev {
	struct pci_dev *pci;
	const char *name;
	uintptr_t common;	/* struct virtio_pci_common_cfg */
	uintptr_t notify_base;
	uint32_t notify_len;	/* bytes of the notify structure */
	uint32_t notify_mult;
	uintptr_t isr;
	uintptr_t device;	/* device-specific config, 0 if none */
	uint32_t device_len;
	uint64_t features;	/* negotiated */
};

/* Transport (virtio_pci.c). `wanted` must include VIRTIO_F_VERSION_1;
 * what the device also offers is accepted. 0 or -errno (device FAILED). */
int virtio_pci_init(struct virtio_dev *vd, struct pci_dev *pci,
		    const char *name, uint64_t wanted);
/* Set up queue `index` with at most max_size entries (capped at
 * VIRTQ_MAX_SIZE and what the device offers). 0 or -errno. */
int virtio_queue_setup(struct virtio_dev *vd, struct virtq *vq,
		       uint16_t index, uint16_t max_size);
void virtio_driver_ok(struct virtio_dev *vd);
/* Copy len bytes of device-specific configuration at off into buf, as one
 * consistent snapshot (config_generation, §4.1.4.3.1). 0 or -errno
 * (-ERANGE outside the device's configuration structure). */
int virtio_config_read(struct virtio_dev *vd, uint32_t off, void *buf, uint32_t len);
void virtio_fail(struct virtio_dev *vd);
/* Write status 0 and wait (1 s) until the device reads back 0: it no
 * longer touches the rings. 0 or -ETIMEDOUT. */
int virtio_reset(struct virtio_dev *vd);
static inline bool virtio_has(const struct virtio_dev *vd, unsigned int bit)
{
	return vd->features & (1ULL << bit);
}

/* Split virtqueues (virtqueue.c). */
int virtq_init(struct virtq *vq, uint16_t index, uint16_t size, bool event_idx);
/* Queue a chain: out[] device-readable, then in[] device-writable. Not
 * visible to the device until virtq_kick(). 0, -ENOSPC, -EINVAL. */
int virtq_add(struct virtq *vq, const struct virtq_buf *out, unsigned int n_out,
	      const struct virtq_buf *in, unsigned int n_in, void *cookie);
/* Publish queued chains; notify the device only if it asked for it. */
void virtq_kick(struct virtq *vq);
/* Next completed chain's cookie (and bytes written in *len), or NULL. */
void *virtq_get(struct virtq *vq, uint32_t *len);

#endif
