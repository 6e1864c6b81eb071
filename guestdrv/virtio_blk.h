/*
 * virtio_blk.h: the virtio-blk driver (virtio_blk.c, virtio 1.2 §5.2).
 * Disks are found on PCI (1af4:1042, in PCI order) when a workload first
 * asks for one; requests are synchronous (submit, kick, poll for the
 * used entry), one at a time, from a single 64 KiB DMA buffer.
 */
#ifndef MINIOS_VIRTIO_BLK_H
#define MINIOS_VIRTIO_BLK_H

#include "virtio.h"

#define VBLK_SECTOR		512
#define VBLK_BUF_SECTORS	128		/* the data buffer: 64 KiB */

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
	struct virtq q;
	unsigned int index;		/* disk number: the PCI order */
	uint64_t capacity;		/* sectors */
	bool ro;			/* VIRTIO_BLK_F_RO offered */
	struct vblk_hdr *hdr;		/* DMA: header, then the status byte */
	uint8_t *status;
	uint8_t *buf;			/* DMA: VBLK_BUF_SECTORS sectors */
	uint32_t used_len;		/* of the last request */
};

/* Disk `index` (0 = first), started on first use; NULL if there is no
 * such disk or it failed (reported on the console). */
struct vblk *vblk_get(unsigned int index);
/* Reset and start the device again (after DEVICE_NEEDS_RESET). */
int vblk_restart(struct vblk *b);
/* Read or write n sectors (n <= VBLK_BUF_SECTORS) at sector from/to
 * b->buf: the status byte, or -errno (-ETIMEDOUT: no answer). */
int vblk_rw(struct vblk *b, bool write, uint64_t sector, uint32_t n);
int vblk_flush(struct vblk *b);
/* The device's id string (20 bytes, NUL-padded) into id[21]. */
int vblk_get_id(struct vblk *b, char *id);
/* A request built from arbitrary buffers (badblk): the status byte the
 * device left in *status_byte's buffer or -errno; *used the used length. */
int vblk_submit(struct vblk *b, const struct virtq_buf *out, unsigned int n_out,
		const struct virtq_buf *in, unsigned int n_in, uint32_t *used);
/* Device status register (DEVICE_NEEDS_RESET is 64). */
uint8_t vblk_device_status(struct vblk *b);

#endif
