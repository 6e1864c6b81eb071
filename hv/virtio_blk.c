/*
 * virtio-blk (virtio 1.2 §5.2): 1 to 8 request queues (MQ when more
 * than one), 512-byte sectors,
 * requests IN, OUT, FLUSH, GET_ID, DISCARD and WRITE_ZEROES (writable
 * disks whose backend has them), served through blockdev.h on the disk
 * --disk opened.
 *
 * A request is a chain: a 16-byte header the device reads (type,
 * reserved, sector), the data (device-readable for OUT and DISCARD,
 * device-writable for IN and GET_ID) and a status byte, the last byte of
 * the last, device-writable, buffer. Every request is checked before any
 * I/O: header and status present and in the right direction, data a
 * whole number of sectors in the direction the type needs, the sector
 * range inside the disk (blockdev.c checks that again), writes not on a
 * read-only disk. A request that fails a check gets VIRTIO_BLK_S_IOERR
 * (an unknown type VIRTIO_BLK_S_UNSUPP); one without a writable status
 * byte cannot be answered and is returned with nothing written. Chains
 * whose descriptors leave guest memory are the transport's business
 * (virtqueue.c): the queue breaks and the device needs a reset. Either
 * way hv logs (rate-limited) and carries on.
 *
 * I/O is asynchronous: the notify handler checks each chain and hands
 * it to the backend (blkdev_submit: an io_uring for raw); the event loop
 * watches the backend's completion fd and vblk_done answers (status
 * byte, used entry on the request's own queue, one interrupt per queue
 * per batch), in any order. Every queue is served on its own: each has
 * its notify and its interrupt, its requests share the disk's backend
 * (one io_uring) and a pool of queue-size slots per queue. A reset
 * waits for what is in flight and answers nothing; the quiesce hook
 * (called before guest RAM is copied for a save or a migration's last
 * round) waits and answers, so the saved state has nothing in flight.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <linux/virtio_blk.h>
#include "xvm/log.h"
#include "blockdev.h"
#include "virtio_pci.h"

#define VBLK_SECTOR		512ULL
#define VBLK_QUEUE_MAX		256
#define VBLK_QUEUES_MAX		VIRTIO_PCI_MAX_QUEUES	/* queues= */
#define VBLK_HDR_LEN		16	/* struct virtio_blk_outhdr */
#define VBLK_DISCARD_LEN	16	/* struct virtio_blk_discard_write_zeroes */
#define VBLK_SEG_MAX		(VQ_MAX_SEGS - 2)	/* data buffers per chain */
#define VBLK_MAX_CHAINS		65536	/* per notification */
/* Up to write_zeroes_may_unmap and its padding: the fields we define. */
#define VBLK_CFG_SIZE		offsetof(struct virtio_blk_config, \
					 max_secure_erase_sectors)
#define VBLK_DISCARD_MAX	(1U << 22)	/* sectors per DISCARD (2 GiB) */
/* Sectors per WRITE_ZEROES (8 MiB): where the file system cannot zero a
 * range the backend writes zeros synchronously on the event loop, so
 * one request must stay short. */
#define VBLK_ZEROES_MAX		(1U << 14)

struct virtio_blk {
	struct vm *vm;
	struct virtio_pci *vp;
	struct virtio_dev_ops ops;	/* features depend on the disk */
	struct blkdev *bd;
	struct virtio_blk_config cfg;	/* little endian, as x86 stores */
	char serial[VIRTIO_BLK_ID_BYTES];
	char path[PATH_MAX];		/* for logs */
	uint64_t errors;		/* requests answered IOERR/UNSUPP */
	struct vblk_stats st;		/* completed requests (domblkstat) */
	unsigned int nq;		/* request queues (queues=) */
	struct vblk_req *reqs;		/* VBLK_QUEUE_MAX per queue: at most
					 * one per descriptor in flight */
	uint16_t *free;			/* stack of free slots in reqs */
	unsigned int nfree;
	int efd;			/* the backend's completions, or -1 */
	bool watched;			/* efd is in the event loop */
	uint32_t irq_pending;		/* queues with used entries not yet
					 * signalled, a bit each */
	bool cancelling;		/* reset: finish without answering */
};

/* A request handed to the backend. */
struct vblk_req {
	struct blkdev_req r;
	struct virtio_blk *b;
	uint16_t head;
	uint16_t qi;			/* the queue it came from */
	uint16_t slot;			/* its index in b->reqs */
	uint8_t *status;		/* the chain's status byte */
	uint32_t written;		/* data bytes the device fills (IN) */
	uint32_t type;			/* for logs */
	uint64_t sector;
	uint64_t t0;			/* submitted (CLOCK_MONOTONIC ns) */
	uint64_t bytes;			/* data bytes of a read or write */
	bool busy;
	/* A read's data buffers, marked in the dirty log when it completes
	 * (the backend consumes r.iov as the transfer advances). */
	struct iovec data[BLKDEV_IOV_MAX];
	int ndata;
};

/* vblk_request: the request went to the backend; vblk_done answers. */
#define VBLK_PENDING		0xff

static struct log_ratelimit vblk_rl = LOG_RATELIMIT_INIT(5000, 5);

static struct virtio_blk *vblk_of(struct virtio_pci *vp)
{
	return virtio_pci_model(vp);
}

static uint32_t vblk_cfg_read(struct virtio_pci *vp, uint32_t off,
			      unsigned int size)
{
	const uint8_t *cfg = (const uint8_t *)&vblk_of(vp)->cfg;
	uint32_t v = 0;

	/* The transport keeps off + size within VBLK_CFG_SIZE. */
	memcpy(&v, cfg + off, MIN(size, (unsigned int)sizeof(v)));
	return v;
}

/*
 * Up to max iovecs for len bytes of the chain's device-readable (write
 * false) or device-writable buffers, starting off bytes into them. The number of iovecs,
 * or -1 if those buffers hold fewer than off + len bytes.
 */
static int vblk_iov(const struct vq_chain *c, bool write, uint64_t off,
		    uint64_t len, struct iovec *iov, int max)
{
	int n = 0;

	for (unsigned int i = 0; i < c->nseg && len; i++) {
		const struct vq_seg *s = &c->seg[i];
		uint64_t take;

		if (s->write != write)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		if (n == max)
			return -1;
		take = MIN(len, (uint64_t)s->len - off);
		iov[n++] = (struct iovec){ (uint8_t *)s->hva + off, take };
		len -= take;
		off = 0;
	}
	return len ? -1 : n;
}

/* Log why a request failed; returns status for the caller's return. */
static uint8_t vblk_reject(struct virtio_blk *b, uint8_t status,
			   const char *why, uint32_t type, uint64_t sector)
{
	b->errors++;
	log_ratelimited(&vblk_rl, LL_WARN, "virtio-blk %s: request type %u "
			"sector %llu: %s", b->path, type,
			(unsigned long long)sector, why);
	return status;
}

/* A free request slot, or NULL (cannot happen: a chain holds a
 * descriptor until it is answered, so at most queue-size are busy on
 * each queue). */
static struct vblk_req *vblk_req_get(struct virtio_blk *b)
{
	if (!b->nfree)
		return NULL;
	return &b->reqs[b->free[--b->nfree]];
}

static void vblk_req_put(struct virtio_blk *b, struct vblk_req *q)
{
	q->busy = false;
	b->free[b->nfree++] = q->slot;
}

/* Give a checked request to the backend: VBLK_PENDING, or the status if
 * it could not be started. */
static uint64_t vblk_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint8_t vblk_start(struct virtio_blk *b, struct vblk_req *q)
{
	int rc;

	q->busy = true;
	q->t0 = vblk_now();
	rc = blkdev_submit(b->bd, &q->r);
	if (rc == 0)
		return VBLK_PENDING;	/* vblk_done answers (maybe already) */
	q->busy = false;		/* the caller answers and puts it */
	if (rc == -EOPNOTSUPP)
		return vblk_reject(b, VIRTIO_BLK_S_UNSUPP, "the image cannot "
				   "do it", q->type, q->sector);
	return vblk_reject(b, VIRTIO_BLK_S_IOERR, strerror(-rc), q->type,
			   q->sector);
}

/* IN or OUT of the sectors the data buffers hold. */
static uint8_t vblk_rw(struct virtio_blk *b, const struct vq_chain *c,
		       struct vblk_req *q, uint64_t in_len)
{
	uint32_t type = q->type;
	uint64_t sector = q->sector;
	bool write = type == VIRTIO_BLK_T_OUT;
	uint64_t len = write ? c->rlen - VBLK_HDR_LEN : in_len;
	int n;

	if (write && in_len)
		return vblk_reject(b, VIRTIO_BLK_S_IOERR, "writable data "
				   "buffers in a write", type, sector);
	if (!write && c->rlen != VBLK_HDR_LEN)
		return vblk_reject(b, VIRTIO_BLK_S_IOERR, "readable data "
				   "buffers in a read", type, sector);
	if (len % VBLK_SECTOR)
		return vblk_reject(b, VIRTIO_BLK_S_IOERR, "data not a whole "
				   "number of sectors", type, sector);
	if (sector > UINT64_MAX / VBLK_SECTOR ||
	    sector * VBLK_SECTOR > blkdev_size(b->bd) ||
	    len > blkdev_size(b->bd) - sector * VBLK_SECTOR)
		return vblk_reject(b, VIRTIO_BLK_S_IOERR, "past the end of "
				   "the disk", type, sector);
	if (write && b->bd->ro)
		return vblk_reject(b, VIRTIO_BLK_S_IOERR, "write to a "
				   "read-only disk", type, sector);
	if (!len)
		return VIRTIO_BLK_S_OK;
	/* A guest write's data is in the device-readable buffers. */
	n = vblk_iov(c, !write, write ? VBLK_HDR_LEN : 0, len, q->r.iov,
		     BLKDEV_IOV_MAX);
	if (n < 0)
		return vblk_reject(b, VIRTIO_BLK_S_IOERR, "data buffers do "
				   "not add up", type, sector);
	q->r.op = write ? BLKDEV_OP_WRITE : BLKDEV_OP_READ;
	q->r.iovcnt = n;
	if (!write) {
		memcpy(q->data, q->r.iov, sizeof(q->data[0]) * (size_t)n);
		q->ndata = n;
	}
	/* O_DIRECT: the buffers' pages go to the disk as they are; huge
	 * ones make a few segments of a large request, not one a 4 KiB */
	if (b->bd->direct)
		for (int i = 0; i < n; i++)
			vm_mem_want_huge(b->vm, q->r.iov[i].iov_base,
					 q->r.iov[i].iov_len);
	q->r.off = sector * VBLK_SECTOR;
	q->written = write ? 0 : (uint32_t)len;
	q->bytes = len;
	return vblk_start(b, q);
}

/* One DISCARD or WRITE_ZEROES range (max_*_seg is 1). */
static uint8_t vblk_range(struct virtio_blk *b, const struct vq_chain *c,
			  struct vblk_req *q, uint64_t in_len)
{
	struct virtio_blk_discard_write_zeroes d;
	bool zeroes = q->type == VIRTIO_BLK_T_WRITE_ZEROES;
	uint32_t num, flags, allowed;
	uint64_t sector;

	if (in_len || c->rlen != VBLK_HDR_LEN + VBLK_DISCARD_LEN ||
	    vq_chain_read(c, VBLK_HDR_LEN, &d, sizeof(d)) != sizeof(d))
		return vblk_reject(b, VIRTIO_BLK_S_IOERR, "needs one 16-byte "
				   "range", q->type, 0);
	memcpy(&sector, &d.sector, sizeof(sector));
	memcpy(&num, &d.num_sectors, sizeof(num));
	memcpy(&flags, &d.flags, sizeof(flags));
	q->sector = sector;
	/* §5.2.6.2: UNMAP is for write zeroes only. */
	allowed = zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;
	if (flags & ~allowed)
		return vblk_reject(b, VIRTIO_BLK_S_UNSUPP, "unknown flags",
				   q->type, sector);
	if (num > (zeroes ? VBLK_ZEROES_MAX : VBLK_DISCARD_MAX) ||
	    sector > UINT64_MAX / VBLK_SECTOR ||
	    sector * VBLK_SECTOR > blkdev_size(b->bd) ||
	    num * VBLK_SECTOR > blkdev_size(b->bd) - sector * VBLK_SECTOR)
		return vblk_reject(b, VIRTIO_BLK_S_IOERR, "range past the end",
				   q->type, sector);
	q->r.op = zeroes ? BLKDEV_OP_WRITE_ZEROES : BLKDEV_OP_DISCARD;
	q->r.off = sector * VBLK_SECTOR;
	q->r.len = num * VBLK_SECTOR;
	q->r.unmap = flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	q->written = 0;
	return vblk_start(b, q);
}

/* Check one request (its status byte exists) and start it: the status
 * to answer now, or VBLK_PENDING once the backend has it. *written
 * counts bytes put in the writable data buffers for an answer now. */
static uint8_t vblk_request(struct virtio_blk *b, const struct vq_chain *c,
			    struct vblk_req *q, uint32_t *written)
{
	struct virtio_blk_outhdr hdr;
	uint64_t in_len = c->wlen - 1;
	size_t n;

	if (c->rlen < VBLK_HDR_LEN ||
	    vq_chain_read(c, 0, &hdr, sizeof(hdr)) != sizeof(hdr))
		return vblk_reject(b, VIRTIO_BLK_S_IOERR, "header shorter "
				   "than 16 bytes", 0, 0);
	memcpy(&q->type, &hdr.type, sizeof(q->type));
	memcpy(&q->sector, &hdr.sector, sizeof(q->sector));
	q->ndata = 0;
	switch (q->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		return vblk_rw(b, c, q, in_len);
	case VIRTIO_BLK_T_FLUSH:
		q->r.op = BLKDEV_OP_FLUSH;
		q->written = 0;
		return vblk_start(b, q);
	case VIRTIO_BLK_T_GET_ID:
		if (in_len < VIRTIO_BLK_ID_BYTES)
			return vblk_reject(b, VIRTIO_BLK_S_IOERR, "id buffer "
					   "shorter than 20 bytes", q->type, 0);
		n = vq_chain_write(c, 0, b->serial, VIRTIO_BLK_ID_BYTES);
		*written += (uint32_t)n;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
		if (!(b->ops.features & (1ULL << VIRTIO_BLK_F_DISCARD)))
			break;
		return vblk_range(b, c, q, in_len);
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (!(b->ops.features & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES)))
			break;
		return vblk_range(b, c, q, in_len);
	}
	return vblk_reject(b, VIRTIO_BLK_S_UNSUPP, "unsupported type",
			   q->type, q->sector);
}

static void vblk_answer(struct virtio_blk *b, unsigned int qi, uint16_t head,
			uint8_t *status, uint8_t val, uint32_t written)
{
	struct vq *q = virtio_pci_queue(b->vp, qi);

	if (!q)
		return;
	*status = val;
	vm_dirty_mark_hva(b->vm, status, 1);
	vq_push(q, head, written + 1);
	b->irq_pending |= 1u << qi;
}

/* A request the backend completed without error, in the counters. */
static void vblk_account(struct virtio_blk *b, const struct vblk_req *q)
{
	uint64_t ns = vblk_now() - q->t0, bytes = q->bytes;

	switch (q->r.op) {
	case BLKDEV_OP_READ:
		b->st.rd_req++;
		b->st.rd_bytes += bytes;
		b->st.rd_ns += ns;
		break;
	case BLKDEV_OP_WRITE:
		b->st.wr_req++;
		b->st.wr_bytes += bytes;
		b->st.wr_ns += ns;
		break;
	case BLKDEV_OP_FLUSH:
		b->st.fl_req++;
		b->st.fl_ns += ns;
		break;
	default:	/* discard, write zeroes: no libvirt counter */
		break;
	}
}

/* The backend finished a request (from blkdev_submit, blkdev_complete
 * or blkdev_drain; dev_lock held). */
static void vblk_done(struct blkdev_req *r, int result)
{
	struct vblk_req *q = (struct vblk_req *)r;
	struct virtio_blk *b = q->b;
	uint8_t st = VIRTIO_BLK_S_OK;

	vblk_req_put(b, q);	/* nothing below starts another request */
	/* a read's data landed in guest memory behind the vCPUs' back
	 * (io_uring, or the bounce copy), whatever the result says */
	for (int i = 0; i < q->ndata; i++)
		vm_dirty_mark_hva(b->vm, q->data[i].iov_base,
				  q->data[i].iov_len);
	if (b->cancelling)
		return;		/* reset: the driver forgot the chain */
	if (result == -EOPNOTSUPP) {
		st = vblk_reject(b, VIRTIO_BLK_S_UNSUPP, "the image cannot do "
				 "it", q->type, q->sector);
	} else if (result < 0) {
		b->errors++;
		log_ratelimited(&vblk_rl, LL_WARN, "virtio-blk %s: request "
				"type %u sector %llu: %s", b->path, q->type,
				(unsigned long long)q->sector,
				strerror(-result));
		st = VIRTIO_BLK_S_IOERR;
	} else {
		vblk_account(b, q);
	}
	vblk_answer(b, q->qi, q->head, q->status, st, st == VIRTIO_BLK_S_OK ?
		    q->written : 0);
}

/* One interrupt for each queue that got used entries. */
static void vblk_signal(struct virtio_blk *b)
{
	while (b->irq_pending) {
		unsigned int qi = (unsigned int)__builtin_ctz(b->irq_pending);

		b->irq_pending &= b->irq_pending - 1;
		virtio_pci_queue_interrupt(b->vp, qi);
	}
}

/* The backend's fd is readable (event loop, dev_lock held). */
static void vblk_completions(void *opaque)
{
	struct virtio_blk *b = opaque;

	blkdev_complete(b->bd);
	vblk_signal(b);
}

void virtio_blk_drain(struct virtio_blk *b)
{
	blkdev_drain(b->bd);
	vblk_signal(b);
}

/* Device reset: wait for the backend, answer nothing (the rings are
 * gone). */
static void vblk_reset(struct virtio_pci *vp)
{
	struct virtio_blk *b = vblk_of(vp);

	b->cancelling = true;
	blkdev_drain(b->bd);
	b->cancelling = false;
	b->irq_pending = 0;
}

/* Before guest RAM and the transport's state are saved: nothing may be
 * in flight, so the copied RAM holds every answer and the saved used
 * index covers them. Nothing to restart after a failed save. */
static void vblk_quiesce(struct virtio_pci *vp, bool stop)
{
	if (stop)
		virtio_blk_drain(vblk_of(vp));
}

static void vblk_queue_notify(struct virtio_pci *vp, unsigned int qi)
{
	struct virtio_blk *b = vblk_of(vp);
	struct vq *q = virtio_pci_queue(vp, qi);
	struct vq_chain c;
	unsigned int n = 0;
	int rc;

	if (!q || qi >= b->nq)
		return;
	blkdev_plug(b->bd);	/* the backend starts them all at once */
	while (n < VBLK_MAX_CHAINS && (rc = vq_pop(q, &c)) != 0) {
		const struct vq_seg *last = c.nseg ? &c.seg[c.nseg - 1] : NULL;
		struct vblk_req *r;
		uint32_t written = 0;
		uint8_t status;

		if (rc < 0) {
			virtio_pci_needs_reset(vp);
			break;
		}
		n++;
		if (!last || !last->write || !last->len) {
			/* Nowhere to say it failed: give the chain back. */
			b->errors++;
			log_ratelimited(&vblk_rl, LL_WARN, "virtio-blk %s: "
					"request without a writable status "
					"byte dropped", b->path);
			vq_push(q, c.head, 0);
			b->irq_pending |= 1u << qi;
			continue;
		}
		r = vblk_req_get(b);
		if (!r) {
			vblk_answer(b, qi, c.head,
				    (uint8_t *)last->hva + last->len - 1,
				    VIRTIO_BLK_S_IOERR, 0);
			continue;
		}
		r->head = c.head;
		r->qi = (uint16_t)qi;
		r->status = (uint8_t *)last->hva + last->len - 1;
		status = vblk_request(b, &c, r, &written);
		if (status != VBLK_PENDING) {
			vblk_req_put(b, r);
			vblk_answer(b, qi, c.head, r->status, status, written);
		}
	}
	blkdev_unplug(b->bd);
	vblk_signal(b);
}

/* ---- creation: the disk decides features and configuration ---- */

static void vblk_setup(struct virtio_blk *b)
{
	struct virtio_blk_config *cfg = &b->cfg;
	uint64_t f = (1ULL << VIRTIO_BLK_F_SEG_MAX) |
		     (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
		     (1ULL << VIRTIO_BLK_F_FLUSH);

	if (b->bd->ro)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	/* One queue: no MQ, the device as it always was (saved images of
	 * it load unchanged). */
	if (b->nq > 1)
		f |= 1ULL << VIRTIO_BLK_F_MQ;
	if (!b->bd->ro && b->bd->ops->discard)
		f |= 1ULL << VIRTIO_BLK_F_DISCARD;
	if (!b->bd->ro && b->bd->ops->write_zeroes)
		f |= 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	cfg->capacity = blkdev_size(b->bd) / VBLK_SECTOR;
	cfg->seg_max = VBLK_SEG_MAX;
	cfg->blk_size = VBLK_SECTOR;
	cfg->num_queues = (uint16_t)b->nq;
	if (f & (1ULL << VIRTIO_BLK_F_DISCARD)) {
		cfg->max_discard_sectors = VBLK_DISCARD_MAX;
		cfg->max_discard_seg = 1;
		cfg->discard_sector_alignment = 1;
	}
	if (f & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES)) {
		cfg->max_write_zeroes_sectors = VBLK_ZEROES_MAX;
		cfg->max_write_zeroes_seg = 1;
		cfg->write_zeroes_may_unmap = 1;
	}
	b->ops = (struct virtio_dev_ops){
		.name = "virtio-blk",
		.device_id = VIRTIO_ID_BLOCK,
		.class_code = 0x010000,		/* mass storage, SCSI */
		.features = f,
		.num_queues = b->nq,
		.queue_max = VBLK_QUEUE_MAX,
		.cfg_size = VBLK_CFG_SIZE,
		.cfg_read = vblk_cfg_read,
		.queue_notify = vblk_queue_notify,
		.reset = vblk_reset,
		.quiesce = vblk_quiesce,
	};
}

struct virtio_blk *virtio_blk_create(struct vm *vm, struct pci_bus *bus,
				     const char *path, const char *format,
				     bool ro, bool direct, const char *serial,
				     unsigned int queues)
{
	struct virtio_blk *b;
	unsigned int nreq;
	int rc;

	if (queues < 1 || queues > VBLK_QUEUES_MAX) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->vm = vm;
	b->efd = -1;
	b->nq = queues;
	nreq = queues * VBLK_QUEUE_MAX;
	b->reqs = calloc(nreq, sizeof(*b->reqs));
	b->free = calloc(nreq, sizeof(*b->free));
	if (!b->reqs || !b->free) {
		free(b->reqs);
		free(b->free);
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	for (unsigned int i = 0; i < nreq; i++) {
		b->reqs[i].b = b;
		b->reqs[i].r.done = vblk_done;
		b->reqs[i].slot = (uint16_t)i;
		/* handed out lowest first */
		b->free[i] = (uint16_t)(nreq - 1 - i);
	}
	b->nfree = nreq;
	snprintf(b->path, sizeof(b->path), "%s", path);
	/* NUL-padded, not terminated when all 20 bytes are used (§5.2.6). */
	memcpy(b->serial, serial, MIN(strlen(serial), sizeof(b->serial)));
	b->bd = blkdev_open(format, path, (ro ? BLKDEV_RDONLY : 0) |
			    (direct ? BLKDEV_DIRECT : 0));
	if (!b->bd) {
		rc = -errno;
		goto fail;
	}
	/* Completions arrive on the event loop. Without one (unit tests:
	 * -ENODEV) they are collected by virtio_blk_drain(). */
	b->efd = blkdev_event_fd(b->bd);
	if (b->efd >= 0) {
		rc = vm_watch_fd(vm, b->efd, vblk_completions, b);
		if (rc < 0 && rc != -ENODEV)
			goto fail;
		b->watched = rc == 0;
	}
	if (blkdev_size(b->bd) % VBLK_SECTOR)
		log_warn("virtio-blk %s: size %llu is not a multiple of 512; "
			 "the last %llu bytes are not visible", path,
			 (unsigned long long)blkdev_size(b->bd),
			 (unsigned long long)(blkdev_size(b->bd) % VBLK_SECTOR));
	vblk_setup(b);
	b->vp = virtio_pci_create(vm, bus, &b->ops, b);
	if (!b->vp) {
		rc = -errno;
		goto fail;
	}
	return b;
fail:
	if (b->watched)
		vm_unwatch_fd(vm, b->efd);
	blkdev_close(b->bd);
	free(b->reqs);
	free(b->free);
	free(b);
	errno = -rc;
	return NULL;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	if (b->watched)
		vm_unwatch_fd(b->vm, b->efd);
	b->cancelling = true;		/* closing drains: answer nothing */
	blkdev_close(b->bd);
	virtio_pci_destroy(b->vp);
	free(b->reqs);
	free(b->free);
	free(b);
}

struct virtio_pci *virtio_blk_transport(struct virtio_blk *b)
{
	return b->vp;
}

uint64_t virtio_blk_errors(const struct virtio_blk *b)
{
	return b->errors;
}

void virtio_blk_stats(const struct virtio_blk *b, struct vblk_stats *s)
{
	*s = b->st;
	s->errors = b->errors;
}

const char *virtio_blk_path(const struct virtio_blk *b)
{
	return b->path;
}

/* ---- --disk path=FILE|DEV[,...]: the device table's entry ---- */

#define VBLK_DISKS_MAX		8
#define VBLK_USAGE	"path=FILE|DEV[,format=raw][,readonly]" \
			"[,serial=ID][,cache=none|writeback][,queues=N]"

struct vblk_opts {
	unsigned int nr;
	struct vblk_opt {
		char path[PATH_MAX];
		char format[16];
		char serial[VIRTIO_BLK_ID_BYTES + 1];
		bool ro;
		bool direct;		/* cache=none */
		unsigned int queues;	/* request queues, 1 to 8 */
	} disk[VBLK_DISKS_MAX];
};

static int vblk_parse_item(struct vblk_opt *o, const char *item, char *msg,
			   size_t msglen)
{
	const char *v = strchr(item, '=');
	size_t klen = v ? (size_t)(v - item) : strlen(item);
	struct stat st;

	v = v ? v + 1 : NULL;
	if (klen == 4 && !strncmp(item, "path", 4) && v && *v) {
		if (stat(v, &st) < 0) {
			snprintf(msg, msglen, "--disk: %s: %s", v,
				 strerror(errno));
			return -EINVAL;
		}
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
			snprintf(msg, msglen, "--disk: %s: not a regular file "
				 "or block device", v);
			return -EINVAL;
		}
		if (strlen(v) >= sizeof(o->path)) {
			snprintf(msg, msglen, "--disk: path too long");
			return -EINVAL;
		}
		strcpy(o->path, v);
	} else if (klen == 6 && !strncmp(item, "format", 6) && v) {
		if (!blkdev_backend(v) || strlen(v) >= sizeof(o->format)) {
			snprintf(msg, msglen, "--disk: format=%s: unknown "
				 "(raw is the only format hv serves)", v);
			return -EINVAL;
		}
		strcpy(o->format, v);
	} else if (klen == 8 && !strncmp(item, "readonly", 8) && !v) {
		o->ro = true;
	} else if (klen == 6 && !strncmp(item, "serial", 6) && v) {
		if (strlen(v) > VIRTIO_BLK_ID_BYTES) {
			snprintf(msg, msglen, "--disk: serial=%s: longer than "
				 "%d characters", v, VIRTIO_BLK_ID_BYTES);
			return -EINVAL;
		}
		for (const char *p = v; *p; p++) {
			if (*p < 0x21 || *p > 0x7e) {
				snprintf(msg, msglen, "--disk: serial: only "
					 "printable ASCII without spaces");
				return -EINVAL;
			}
		}
		strcpy(o->serial, v);
	} else if (klen == 5 && !strncmp(item, "cache", 5) && v) {
		if (strcmp(v, "none") && strcmp(v, "writeback")) {
			snprintf(msg, msglen, "--disk: cache=%s: none or "
				 "writeback", v);
			return -EINVAL;
		}
		o->direct = !strcmp(v, "none");
	} else if (klen == 6 && !strncmp(item, "queues", 6) && v) {
		char *end;
		unsigned long n;

		errno = 0;
		n = *v >= '0' && *v <= '9' ? strtoul(v, &end, 10) : 0;
		if (!n || errno || *end || n > VBLK_QUEUES_MAX) {
			snprintf(msg, msglen, "--disk: queues=%s: a number "
				 "from 1 to %d", v, VBLK_QUEUES_MAX);
			return -EINVAL;
		}
		o->queues = (unsigned int)n;
	} else {
		snprintf(msg, msglen, "--disk: unknown item '%s' (%s)", item,
			 VBLK_USAGE);
		return -EINVAL;
	}
	return 0;
}

static int vblk_parse_option(void **opts, const char *arg, char *msg,
			     size_t msglen)
{
	struct vblk_opts *all = *opts;
	char *copy, *item, *save = NULL;
	struct vblk_opt *o;
	int rc = 0;

	if (all && all->nr >= VBLK_DISKS_MAX) {
		snprintf(msg, msglen, "--disk: at most %d disks",
			 VBLK_DISKS_MAX);
		return -ENOSPC;
	}
	if (!all && !(all = *opts = calloc(1, sizeof(*all)))) {
		snprintf(msg, msglen, "--disk: out of memory");
		return -ENOMEM;
	}
	o = &all->disk[all->nr];
	*o = (struct vblk_opt){ .format = "raw", .queues = 1 };
	copy = strdup(arg);
	if (!copy) {
		snprintf(msg, msglen, "--disk: out of memory");
		return -ENOMEM;
	}
	for (item = strtok_r(copy, ",", &save); item && rc == 0;
	     item = strtok_r(NULL, ",", &save))
		rc = vblk_parse_item(o, item, msg, msglen);
	free(copy);
	if (rc < 0)
		return rc;
	if (!o->path[0]) {
		snprintf(msg, msglen, "--disk needs path=FILE|DEV");
		return -EINVAL;
	}
	all->nr++;
	return 0;
}

/* One function per --disk, in order, in the slots after the NICs. */
static int vblk_dev_create(struct devices *d, const void *opts)
{
	const struct vblk_opts *all = opts;
	struct pci_bus *bus = devices_find(d, &pci_dev_type);

	if (!all)
		return 0;
	if (!bus)
		return -ENODEV;
	for (unsigned int i = 0; i < all->nr; i++) {
		const struct vblk_opt *o = &all->disk[i];
		struct virtio_blk *b;
		int rc;

		b = virtio_blk_create(devices_vm(d), bus, o->path, o->format,
				      o->ro, o->direct, o->serial, o->queues);
		if (!b) {
			rc = dev_create_error();
			log_err("virtio-blk %s: %s", o->path, strerror(-rc));
			return rc;
		}
		rc = devices_add(d, b, b->vp);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void vblk_dev_destroy(void *dev)
{
	virtio_blk_destroy(dev);
}

const struct dev_type virtio_blk_dev_type = {
	.name = "virtio-blk",
	.option = "disk",
	.option_help = VBLK_USAGE,
	.parse_option = vblk_parse_option,
	.create = vblk_dev_create,
	.destroy = vblk_dev_destroy,
	.snap = &virtio_pci_device_ops,
};
