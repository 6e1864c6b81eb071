/*
 * virtio_blk.h: the virtio-blk driver (virtio_blk.c, virtio 1.2 §5.2).
 * Disks are found on PCI (1af4:1042, in PCI order) when a workload first
 * asks for one. Every queue the device offers (VIRTIO_BLK_F_MQ, up to
 * VBLK_QUEUES_MAX) is set up, polled, never interrupt-driven.
 *
 * Two ways to use a disk:
 *  - synchronous: one request (submit, kick, poll for its used entry)
 *    from the disk's own 64 KiB buffer b->buf, on queue 0 or the queue
 *    named; nothing asynchronous may be in flight on that disk;
 *  - asynchronous: up to VBLK_QD_MAX requests in flight, each in a slot
 *    of its own (header, status, 64 KiB buffer), spread round robin over
 *    the queues, completed in whatever order the device answers.
 */
#ifndef MINIOS_VIRTIO_BLK_H
#define MINIOS_VIRTIO_BLK_H

#include "virtio.h"

#define VBLK_SECTOR		512
#define VBLK_BUF_SECTORS	128		/* a data buffer: 64 KiB */
#define VBLK_QUEUES_MAX		8
#define VBLK_QD_MAX		32		/* slots (blk_qd's limit) */

/* Status bytes (§5.2.6); -errno values are the driver's own. */
#define VBLK_S_OK		0
#define VBLK_S_IOERR		1
#define VBLK_S_UNSUPP		2

struct vblk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};
#define VBLK_T_IN		0
#define VBLK_T_OUT		1
#define VBLK_T_FLUSH		4
#define VBLK_T_GET_ID		8

struct vblk {
	struct virtio_dev vd;
	struct virtq q[VBLK_QUEUES_MAX];
	unsigned int nq;		/* queues in use */
	unsigned int next_q;		/* round robin for the next request */
	uint32_t unkicked;		/* queues with chains not published */
	unsigned int inflight;		/* asynchronous requests out */
	uint64_t started[VBLK_QUEUES_MAX];	/* asynchronous, per queue */
	const void *owner;		/* the workload using it asynchronously */
	unsigned int index;		/* disk number: the PCI order */
	uint64_t capacity;		/* sectors */
	bool ro;			/* VIRTIO_BLK_F_RO offered */
	struct vblk_hdr *hdr;		/* DMA: header, then the status byte */
	uint8_t *status;
	uint8_t *buf;			/* DMA: VBLK_BUF_SECTORS sectors */
	uint32_t used_len;		/* of the last request */
};

/* An asynchronous request: a slot of the driver's pool. */
struct vblk_req {
	struct vblk *b;			/* the disk it is out on, or NULL */
	struct vblk_hdr *hdr;		/* DMA */
	uint8_t *status;		/* DMA */
	uint8_t *buf;			/* DMA: VBLK_BUF_SECTORS sectors */
	uint64_t sector;
	uint32_t n;			/* sectors */
	bool write;
	uint16_t queue;			/* the queue it went on */
	uint32_t used_len;		/* when answered */
	int st;				/* when answered: the status byte */
};

/* Disk `index` (0 = first), started on first use; NULL if there is no
 * such disk or it failed (reported on the console). */
struct vblk *vblk_get(unsigned int index);
/* Reset and start the device again (after DEVICE_NEEDS_RESET): requests
 * that were out on it are forgotten and their slots freed. */
int vblk_restart(struct vblk *b);
/* Read or write n sectors (n <= VBLK_BUF_SECTORS) at sector from/to
 * b->buf: the status byte, or -errno (-ETIMEDOUT: no answer). */
int vblk_rw(struct vblk *b, bool write, uint64_t sector, uint32_t n);
int vblk_flush(struct vblk *b);
/* The device's id string (20 bytes, NUL-padded) into id[21]. */
int vblk_get_id(struct vblk *b, char *id);
/* A request built from arbitrary buffers (badblk) on queue qi: the
 * status byte the device left in b->status or -errno; *used the used
 * length. */
int vblk_submit(struct vblk *b, unsigned int qi, const struct virtq_buf *out,
		unsigned int n_out, const struct virtq_buf *in, unsigned int n_in,
		uint32_t *used);
/* Device status register (DEVICE_NEEDS_RESET is 64). */
uint8_t vblk_device_status(struct vblk *b);

/* Asynchronous requests are one workload's at a time per disk (they
 * share its in-flight count): vblk_claim(b, who) is true if the disk is
 * free or already who's; vblk_release(b, who) frees it. */
bool vblk_claim(struct vblk *b, const void *who);
void vblk_release(struct vblk *b, const void *who);
/* vblk_slots(n): at least n slots exist (n <=
 * VBLK_QD_MAX); the number there is, or -ENOMEM. */
int vblk_slots(unsigned int n);
/* A free slot (its buffer holds whatever it held), or NULL. */
struct vblk_req *vblk_req_get(void);
void vblk_req_put(struct vblk_req *r);
/* Queue r's read or write of n sectors at sector (from/to r->buf) on the
 * disk's next queue; published by vblk_kick(). 0 or -errno (the slot is
 * still the caller's). */
int vblk_start_rw(struct vblk *b, struct vblk_req *r, bool write,
		  uint64_t sector, uint32_t n);
/* Publish what vblk_start_rw queued, every queue at once. */
void vblk_kick(struct vblk *b);
/* An answered request (r->st, r->used_len set), or NULL: none yet. */
struct vblk_req *vblk_reap(struct vblk *b);
/* Wait for an answered request: it, or NULL with *err -ETIMEDOUT (no
 * answer in 30 s) or -EIO (the device needs a reset). */
struct vblk_req *vblk_wait(struct vblk *b, int *err);

/* The lowest sector among the disk's requests in flight, or dflt if none
 * (for a message when the device stops answering). */
uint64_t vblk_lowest_sector(const struct vblk *b, uint64_t dflt);

#endif
