/*
 * virtio_blk.c: virtio-blk driver (virtio 1.2 §5.2). One request queue,
 * polled; one request in flight at a time (the workloads measure and
 * verify, they do not need depth). A request is three or more buffers:
 * the 16-byte header (device-readable), the data, and the status byte
 * (device-writable). Header and status live in one small DMA block, data
 * in a 64 KiB DMA buffer; both are allocated once per disk, so a restart
 * after DEVICE_NEEDS_RESET reuses them (only the rings are new).
 */
#include "virtio_blk.h"

#define VIRTIO_ID_BLOCK		2
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9
#define VBLK_CC_STATUS		0x14	/* common config device_status */
#define VBLK_NEEDS_RESET	64	/* DEVICE_NEEDS_RESET (§2.1) */
#define VBLK_CFG_CAPACITY	0	/* device config offsets (§5.2.4) */
#define VBLK_QSIZE		16
#define VBLK_WAIT_NS		(30 * 1000000000ULL)	/* TCG is slow */
#define VBLK_DISKS		8

static struct vblk disks[VBLK_DISKS];
static bool probed[VBLK_DISKS];

static int vblk_start(struct vblk *b)
{
	struct pci_dev *pci;
	int rc;

	pci = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_BLOCK,
		       b->index);
	if (!pci)
		return -ENODEV;
	rc = virtio_pci_init(&b->vd, pci, "virtio-blk",
			     (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_RO) |
			     (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH));
	if (rc < 0)
		return rc;
	rc = virtio_config_read(&b->vd, VBLK_CFG_CAPACITY, &b->capacity,
				sizeof(b->capacity));
	if (rc == 0)
		rc = virtio_queue_setup(&b->vd, &b->q, 0, VBLK_QSIZE);
	if (rc < 0) {
		virtio_fail(&b->vd);
		return rc;
	}
	b->ro = virtio_has(&b->vd, VIRTIO_BLK_F_RO);
	virtio_driver_ok(&b->vd);
	return 0;
}

struct vblk *vblk_get(unsigned int index)
{
	struct vblk *b;
	int rc;

	if (index >= VBLK_DISKS)
		return NULL;
	b = &disks[index];
	if (probed[index])
		return b->hdr ? b : NULL;
	probed[index] = true;
	b->index = index;
	b->hdr = dma_alloc(sizeof(*b->hdr) + 1, 16);
	b->buf = dma_alloc(VBLK_BUF_SECTORS * VBLK_SECTOR, 4096);
	rc = (b->hdr && b->buf) ? vblk_start(b) : -ENOMEM;
	if (rc < 0) {
		kprintf("guest: blk%u: %s (%d)\n", index,
			rc == -ENODEV ? "no such disk" : "cannot start", rc);
		b->hdr = NULL;
		return NULL;
	}
	b->status = (uint8_t *)(b->hdr + 1);
	kprintf("guest: blk%u: %lu sectors%s\n", index, b->capacity,
		b->ro ? " read-only" : "");
	return b;
}

int vblk_restart(struct vblk *b)
{
	return vblk_start(b);
}

uint8_t vblk_device_status(struct vblk *b)
{
	return mmio_read8(b->vd.common + VBLK_CC_STATUS);
}

int vblk_submit(struct vblk *b, const struct virtq_buf *out, unsigned int n_out,
		const struct virtq_buf *in, unsigned int n_in, uint32_t *used)
{
	uint64_t deadline;
	void *cookie;
	int rc;

	*b->status = 0xff;		/* no device status ever reads 0xff */
	*used = 0;
	rc = virtq_add(&b->q, out, n_out, in, n_in, b);
	if (rc < 0)
		return rc;
	virtq_kick(&b->q);
	deadline = clock_ns() + VBLK_WAIT_NS;
	for (unsigned int i = 1; !(cookie = virtq_get(&b->q, used)); i++) {
		if (clock_ns() > deadline)
			return -ETIMEDOUT;
		/* A device that found the queue broken never answers; its
		 * status register (an exit to read) says so. */
		if (i % 4096 == 0 && (vblk_device_status(b) & VBLK_NEEDS_RESET))
			return -EIO;
		cpu_relax();
	}
	rmb();
	return READ_ONCE(*b->status);
}

/* The usual request: header, optional data, status. */
static int vblk_request(struct vblk *b, uint32_t type, uint64_t sector,
			void *data, uint32_t len, bool data_in)
{
	struct virtq_buf out[2], in[2];
	unsigned int n_out = 0, n_in = 0;

	*b->hdr = (struct vblk_hdr){ .type = type, .sector = sector };
	out[n_out++] = (struct virtq_buf){ b->hdr, sizeof(*b->hdr) };
	if (len && data_in)
		in[n_in++] = (struct virtq_buf){ data, len };
	else if (len)
		out[n_out++] = (struct virtq_buf){ data, len };
	in[n_in++] = (struct virtq_buf){ b->status, 1 };
	return vblk_submit(b, out, n_out, in, n_in, &b->used_len);
}

int vblk_rw(struct vblk *b, bool write, uint64_t sector, uint32_t n)
{
	if (n > VBLK_BUF_SECTORS)
		return -EINVAL;
	return vblk_request(b, write ? VBLK_T_OUT : VBLK_T_IN, sector, b->buf,
			    n * VBLK_SECTOR, !write);
}

int vblk_flush(struct vblk *b)
{
	return vblk_request(b, VBLK_T_FLUSH, 0, NULL, 0, false);
}

int vblk_get_id(struct vblk *b, char *id)
{
	int rc = vblk_request(b, VBLK_T_GET_ID, 0, b->buf, 20, true);

	memcpy(id, b->buf, 20);
	id[20] = '\0';
	return rc;
}
