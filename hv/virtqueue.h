/*
 * Split virtqueues, device side (virtio 1.2 §2.7). Every access to the
 * rings and buffers goes through vm_gpa and every value read from guest
 * memory is checked before use: a malicious or broken driver gets
 * -EINVAL (the device then sets DEVICE_NEEDS_RESET), never an access
 * outside its memory.
 *
 * Not thread-safe: called with dev_lock held.
 */
#ifndef HV_VIRTQUEUE_H
#define HV_VIRTQUEUE_H

#include <linux/virtio_ring.h>	/* VRING_*_F_*, VIRTIO_RING_F_* */
#include "dev.h"

#define VQ_MAX_SIZE		32768		/* §2.7: Queue Size <= 32768 */
#define VQ_MAX_SEGS		64		/* segments we accept per chain */
#define VQ_MAX_INDIRECT		1024		/* descriptors per indirect table */
#define VQ_MAX_CHAIN_BYTES	(1ULL << 31)	/* total length of one chain */

struct vq_seg {
	void *hva;		/* host view of [gpa, gpa+len) */
	uint64_t gpa;
	uint32_t len;
	bool write;		/* device writes (driver reads) */
};

/* One available descriptor chain. */
struct vq_chain {
	struct vm *vm;		/* whose memory (writes are dirty-logged) */
	uint16_t head;
	unsigned int nseg;
	struct vq_seg seg[VQ_MAX_SEGS];
	uint64_t rlen, wlen;	/* bytes readable, writable */
};

struct vq {
	struct vm *vm;
	uint16_t size;		/* 0: not configured */
	bool enabled;
	bool event_idx;		/* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;		/* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t last_avail;	/* next avail ring entry to take */
	uint16_t used_idx;	/* our copy of used->idx */
	uint16_t signalled_used; /* used_idx at the last interrupt */
	bool signalled_valid;
	/* Host pointers, from vm_gpa at enable/load. */
	void *desc, *avail, *used;
};

/* Check sizes and addresses (alignment, inside guest memory) and start
 * using the rings: 0 or -EINVAL. */
int vq_enable(struct vq *q, struct vm *vm, uint16_t size, uint64_t desc,
	      uint64_t avail, uint64_t used, bool event_idx, bool indirect);
/* Forget everything (device reset). */
void vq_reset(struct vq *q);
/* Take the next available chain: 1 and *c filled, 0 if none, -EINVAL if
 * the driver broke the rules (the queue is then unusable until reset). */
int vq_pop(struct vq *q, struct vq_chain *c);
/* Return a chain: used element {head, len} then the used index. Like
 * every write here (avail_event in vq_pop, vq_chain_write), marked in
 * the VM's dirty log while a migration runs. */
int vq_push(struct vq *q, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt for what was pushed since the
 * last time this returned true (event index or NO_INTERRUPT, §2.7.7). */
bool vq_should_notify(struct vq *q);
/* Copy len bytes from the chain's readable segments starting at byte
 * off into buf / into its writable segments from buf. Returns bytes. */
size_t vq_chain_read(const struct vq_chain *c, size_t off, void *buf,
		     size_t len);
size_t vq_chain_write(const struct vq_chain *c, size_t off,
		      const void *buf, size_t len);

void vq_save(const struct vq *q, struct snap_writer *w);
/* Read a state saved by vq_save into *q (validated, rings re-checked
 * against vm's memory). On failure *q is untouched. */
int vq_load(struct vq *q, struct vm *vm, struct snap_reader *r);

#endif
