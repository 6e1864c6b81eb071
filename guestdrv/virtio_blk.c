/*
 * virtio_blk.c: virtio-blk driver (virtio 1.2 §5.2). Every request queue
 * the device offers (VIRTIO_BLK_F_MQ: num_queues, capped at
 * VBLK_QUEUES_MAX), each of up to 256 entries, polled. A request is
 * three or more buffers: the 16-byte header (device-readable), the data,
 * and the status byte (device-writable).
 *
 * Synchronous requests (vblk_rw, vblk_flush, vblk_get_id, vblk_submit)
 * use the disk's own header, status and 64 KiB buffer, one at a time.
 * Asynchronous ones use slots from a pool shared by all disks (each slot
 * its own header, status byte and 64 KiB buffer, so VBLK_QD_MAX of them
 * cost 2 MiB of the DMA pool, taken only when a workload asks for
 * depth): vblk_start_rw queues a slot's request on the next queue round
 * robin, vblk_kick publishes, vblk_reap/vblk_wait return them as the
 * device answers them, in any order (the used entry's id names the
 * chain, its cookie the slot). DMA memory is allocated once per disk or
 * slot, so a restart after DEVICE_NEEDS_RESET reuses it (only the rings
 * are new).
 */
#include "virtio_blk.h"

#define VIRTIO_ID_BLOCK		2
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9
#define VIRTIO_BLK_F_MQ		12
#define VBLK_CC_STATUS		0x14	/* common config device_status */
#define VBLK_NEEDS_RESET	64	/* DEVICE_NEEDS_RESET (§2.1) */
#define VBLK_CFG_CAPACITY	0	/* device config offsets (§5.2.4) */
#define VBLK_CFG_NUM_QUEUES	34
#define VBLK_QSIZE		256	/* 3 descriptors a request: 85 out */
#define VBLK_WAIT_NS		(30 * 1000000000ULL)	/* TCG is slow */
#define VBLK_DISKS		8

static struct vblk disks[VBLK_DISKS];
static bool probed[VBLK_DISKS];

static struct vblk_req slots[VBLK_QD_MAX];
static bool slot_taken[VBLK_QD_MAX];
static unsigned int nslots;

static int vblk_start(struct vblk *b)
{
	struct pci_dev *pci;
	uint16_t nq = 1;
	int rc;

	pci = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_BLOCK,
		       b->index);
	if (!pci)
		return -ENODEV;
	rc = virtio_pci_init(&b->vd, pci, "virtio-blk",
			     (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_RO) |
			     (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (1ULL << VIRTIO_BLK_F_FLUSH) |
			     (1ULL << VIRTIO_BLK_F_MQ));
	if (rc < 0)
		return rc;
	rc = virtio_config_read(&b->vd, VBLK_CFG_CAPACITY, &b->capacity,
				sizeof(b->capacity));
	if (rc == 0 && virtio_has(&b->vd, VIRTIO_BLK_F_MQ))
		rc = virtio_config_read(&b->vd, VBLK_CFG_NUM_QUEUES, &nq,
					sizeof(nq));
	if (rc == 0 && !nq)
		rc = -EINVAL;		/* MQ with no queue at all */
	b->nq = MIN(nq, (uint16_t)VBLK_QUEUES_MAX);
	for (unsigned int i = 0; rc == 0 && i < b->nq; i++)
		rc = virtio_queue_setup(&b->vd, &b->q[i], (uint16_t)i, VBLK_QSIZE);
	if (rc < 0) {
		virtio_fail(&b->vd);
		return rc;
	}
	b->next_q = 0;
	b->unkicked = 0;
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
	if (b->nq > 1)
		kprintf("guest: blk%u: %u queues of %u\n", index, b->nq,
			b->q[0].size);
	return b;
}

int vblk_restart(struct vblk *b)
{
	for (unsigned int i = 0; i < nslots; i++)
		if (slots[i].b == b)
			slots[i].b = NULL;
	b->inflight = 0;
	return vblk_start(b);
}

uint8_t vblk_device_status(struct vblk *b)
{
	return mmio_read8(b->vd.common + VBLK_CC_STATUS);
}

int vblk_submit(struct vblk *b, unsigned int qi, const struct virtq_buf *out,
		unsigned int n_out, const struct virtq_buf *in, unsigned int n_in,
		uint32_t *used)
{
	uint64_t deadline;
	struct virtq *q;
	void *cookie;
	int rc;

	*used = 0;
	if (qi >= b->nq)
		return -EINVAL;
	if (b->inflight)
		return -EBUSY;		/* its answer could be taken for ours */
	q = &b->q[qi];
	*b->status = 0xff;		/* no device status ever reads 0xff */
	rc = virtq_add(q, out, n_out, in, n_in, b);
	if (rc < 0)
		return rc;
	virtq_kick(q);
	deadline = clock_ns() + VBLK_WAIT_NS;
	for (unsigned int i = 1; !(cookie = virtq_get(q, used)); i++) {
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
	return vblk_submit(b, 0, out, n_out, in, n_in, &b->used_len);
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

/* ---- asynchronous requests ---- */

bool vblk_claim(struct vblk *b, const void *who)
{
	if (b->owner && b->owner != who)
		return false;
	b->owner = who;
	return true;
}

void vblk_release(struct vblk *b, const void *who)
{
	if (b->owner == who)
		b->owner = NULL;
}

int vblk_slots(unsigned int n)
{
	if (n > VBLK_QD_MAX)
		n = VBLK_QD_MAX;
	while (nslots < n) {
		struct vblk_req *r = &slots[nslots];

		r->hdr = dma_alloc(sizeof(*r->hdr) + 1, 16);
		r->buf = dma_alloc(VBLK_BUF_SECTORS * VBLK_SECTOR, 4096);
		if (!r->hdr || !r->buf)
			return nslots ? (int)nslots : -ENOMEM;
		r->status = (uint8_t *)(r->hdr + 1);
		nslots++;
	}
	return (int)nslots;
}

struct vblk_req *vblk_req_get(void)
{
	for (unsigned int i = 0; i < nslots; i++)
		if (!slot_taken[i]) {
			slot_taken[i] = true;
			slots[i].b = NULL;
			return &slots[i];
		}
	return NULL;
}

void vblk_req_put(struct vblk_req *r)
{
	slot_taken[r - slots] = false;
}

int vblk_start_rw(struct vblk *b, struct vblk_req *r, bool write,
		  uint64_t sector, uint32_t n)
{
	struct virtq_buf out[2], in[2];
	unsigned int n_out = 0, n_in = 0, qi = b->next_q;
	uint32_t len = n * VBLK_SECTOR;
	int rc;

	if (!n || n > VBLK_BUF_SECTORS)
		return -EINVAL;
	*r->hdr = (struct vblk_hdr){ .type = write ? VBLK_T_OUT : VBLK_T_IN,
				     .sector = sector };
	*r->status = 0xff;
	out[n_out++] = (struct virtq_buf){ r->hdr, sizeof(*r->hdr) };
	if (write)
		out[n_out++] = (struct virtq_buf){ r->buf, len };
	else
		in[n_in++] = (struct virtq_buf){ r->buf, len };
	in[n_in++] = (struct virtq_buf){ r->status, 1 };
	rc = virtq_add(&b->q[qi], out, n_out, in, n_in, r);
	if (rc < 0)
		return rc;
	r->b = b;
	r->sector = sector;
	r->n = n;
	r->write = write;
	r->queue = (uint16_t)qi;
	r->st = -1;
	b->unkicked |= 1u << qi;
	b->inflight++;
	b->started[qi]++;
	b->next_q = (qi + 1) % b->nq;
	return 0;
}

void vblk_kick(struct vblk *b)
{
	while (b->unkicked) {
		unsigned int qi = (unsigned int)__builtin_ctz(b->unkicked);

		b->unkicked &= b->unkicked - 1;
		virtq_kick(&b->q[qi]);
	}
}

struct vblk_req *vblk_reap(struct vblk *b)
{
	for (unsigned int k = 0; k < b->nq; k++) {
		struct virtq *q = &b->q[k];
		struct vblk_req *r;
		uint32_t len;

		r = virtq_get(q, &len);
		if (!r)
			continue;
		/* our cookie: a slot out on this disk, this queue */
		if (r < slots || r >= slots + nslots || r->b != b ||
		    r->queue != k)
			continue;
		rmb();
		r->used_len = len;
		r->st = READ_ONCE(*r->status);
		r->b = NULL;
		b->inflight--;
		return r;
	}
	return NULL;
}

struct vblk_req *vblk_wait(struct vblk *b, int *err)
{
	uint64_t deadline = clock_ns() + VBLK_WAIT_NS;
	struct vblk_req *r;

	for (unsigned int i = 1; !(r = vblk_reap(b)); i++) {
		if (clock_ns() > deadline) {
			*err = -ETIMEDOUT;
			return NULL;
		}
		if (i % 4096 == 0 && (vblk_device_status(b) & VBLK_NEEDS_RESET)) {
			*err = -EIO;
			return NULL;
		}
		cpu_relax();
	}
	return r;
}

uint64_t vblk_lowest_sector(const struct vblk *b, uint64_t dflt)
{
	uint64_t low = UINT64_MAX;

	for (unsigned int i = 0; i < nslots; i++)
		if (slots[i].b == b && slots[i].sector < low)
			low = slots[i].sector;
	return low == UINT64_MAX ? dflt : low;
}
