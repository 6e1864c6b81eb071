/*
 * The raw disk backend: the image is the disk, byte for byte, in a
 * regular file or a block device. Reads and writes are preadv/pwritev at
 * the same offset (repeated until done: a short transfer is not an
 * error, an image that ends early is -EIO), flush is fdatasync, discard
 * punches a hole (FALLOC_FL_PUNCH_HOLE, where the file system can).
 * Requests arrive checked against the size (blockdev.c).
 *
 * Asynchronous requests go through an io_uring per disk (liburing):
 * READV/WRITEV on the caller's buffers, FSYNC with DATASYNC for flush,
 * FALLOCATE for discard and write-zeroes; completions are announced on an eventfd
 * registered with the ring. A short transfer is resubmitted for the rest.
 * With BLKDEV_DIRECT the image is opened O_DIRECT (cache=none): offsets
 * and lengths must be multiples of the device's logical block size
 * (BLKSSZGET; 512 for files, whose file system says EINVAL otherwise) and
 * buffers aligned to it; requests whose buffers are not aligned go
 * through an aligned bounce buffer, requests whose range is not are
 * refused (-EINVAL).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <liburing.h>
#include "blockdev.h"

/* Each request is submitted at once, so the submission ring holds at
 * most one entry at a time; the completion ring must hold every request
 * that can be in flight: 8 queues (virtio-blk's queues=) of 256. */
#define RAW_RING_ENTRIES	256
#define RAW_CQ_ENTRIES		2048

struct blk_raw {
	int fd;
	unsigned int align;		/* O_DIRECT: offsets, lengths, buffers */
	struct io_uring ring;
	bool have_ring;
	int efd;			/* eventfd of the ring's completions */
	bool plugged;			/* queue, submit at unplug */
	struct blkdev_req *batch;	/* queued while plugged, newest first */
};

static int raw_fd(const struct blkdev *bd)
{
	return ((const struct blk_raw *)bd->priv)->fd;
}

/* The alignment O_DIRECT needs: the logical block size. */
static int raw_align(struct blk_raw *r, const struct stat *st)
{
	int ssz = 512;

	if (S_ISBLK(st->st_mode) && ioctl(r->fd, BLKSSZGET, &ssz) < 0)
		return -errno;
	if (ssz < 512 || ssz > 65536 || (ssz & (ssz - 1)))
		return -EINVAL;
	r->align = (unsigned int)ssz;
	return 0;
}

static int raw_ring_init(struct blk_raw *r)
{
	int rc;

	struct io_uring_params p = {
		.flags = IORING_SETUP_CQSIZE,
		.cq_entries = RAW_CQ_ENTRIES,
	};

	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->efd < 0)
		return -errno;
	rc = io_uring_queue_init_params(RAW_RING_ENTRIES, &r->ring, &p);
	if (rc < 0)
		return rc;
	rc = io_uring_register_eventfd(&r->ring, r->efd);
	if (rc < 0) {
		io_uring_queue_exit(&r->ring);
		return rc;
	}
	r->have_ring = true;
	return 0;
}

static int raw_open(struct blkdev *bd, const char *path, bool ro)
{
	struct blk_raw *r = calloc(1, sizeof(*r));
	struct stat st;
	int rc;

	if (!r)
		return -ENOMEM;
	r->efd = -1;
	/* O_NONBLOCK until the type is known: opening a FIFO would wait
	 * for its other end forever */
	r->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY |
		     O_NONBLOCK | (bd->direct ? O_DIRECT : 0));
	if (r->fd < 0 || fstat(r->fd, &st) < 0) {
		rc = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto fail;
	}
	/* io_uring would answer EAGAIN instead of waiting on an
	 * O_NONBLOCK file: clear it */
	if (fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = raw_align(r, &st);
	if (rc < 0)
		goto fail;
	rc = raw_ring_init(r);
	if (rc < 0)
		goto fail;
	bd->priv = r;
	return 0;
fail:
	if (r->efd >= 0)
		close(r->efd);
	if (r->fd >= 0)
		close(r->fd);
	free(r);
	return rc;
}

static void raw_close(struct blkdev *bd)
{
	struct blk_raw *r = bd->priv;

	if (r->have_ring)
		io_uring_queue_exit(&r->ring);
	close(r->efd);
	close(r->fd);
	free(r);
	bd->priv = NULL;
}

/* Skip the first n bytes of *iov (a copy the caller owns). */
static void raw_iov_advance(struct iovec **iov, int *iovcnt, size_t n)
{
	while (*iovcnt > 0 && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*iovcnt)--;
	}
	if (*iovcnt > 0) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
}

/* preadv or pwritev until every buffer is done. */
static int raw_rw(struct blkdev *bd, const struct iovec *iov_in, int iovcnt,
		  uint64_t off, bool write)
{
	struct iovec copy[BLKDEV_IOV_MAX], *iov = copy;
	ssize_t n;

	if (off > (uint64_t)LLONG_MAX)
		return -EINVAL;
	memcpy(copy, iov_in, sizeof(*iov) * (size_t)iovcnt);
	raw_iov_advance(&iov, &iovcnt, 0);	/* drop empty buffers */
	while (iovcnt > 0) {
		n = write ? pwritev(raw_fd(bd), iov, iovcnt, (off_t)off)
			  : preadv(raw_fd(bd), iov, iovcnt, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;	/* the image ended early */
		off += (uint64_t)n;
		raw_iov_advance(&iov, &iovcnt, (size_t)n);
	}
	return 0;
}

static int raw_readv(struct blkdev *bd, const struct iovec *iov, int iovcnt,
		     uint64_t off)
{
	return raw_rw(bd, iov, iovcnt, off, false);
}

static int raw_writev(struct blkdev *bd, const struct iovec *iov, int iovcnt,
		      uint64_t off)
{
	return raw_rw(bd, iov, iovcnt, off, true);
}

static int raw_flush(struct blkdev *bd)
{
	return fdatasync(raw_fd(bd)) < 0 ? -errno : 0;
}

static int raw_discard(struct blkdev *bd, uint64_t off, uint64_t len)
{
	if (off > (uint64_t)LLONG_MAX || len > (uint64_t)LLONG_MAX - off)
		return -EINVAL;
	if (fallocate(raw_fd(bd), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) == 0)
		return 0;
	return errno == EOPNOTSUPP || errno == ENOSYS ? -EOPNOTSUPP : -errno;
}

/* Zeros written the slow way, where fallocate cannot: an aligned zero
 * buffer (O_DIRECT) written over the range. */
static int raw_zero_fill(struct blkdev *bd, uint64_t off, uint64_t len)
{
	struct blk_raw *r = bd->priv;
	size_t chunk = 65536;
	struct iovec iov;
	void *zero;
	int rc = 0;

	if (posix_memalign(&zero, r->align, chunk))
		return -ENOMEM;
	memset(zero, 0, chunk);
	while (len && rc == 0) {
		iov = (struct iovec){ zero, (size_t)MIN(len, (uint64_t)chunk) };
		rc = raw_rw(bd, &iov, 1, off, true);
		off += iov.iov_len;
		len -= iov.iov_len;
	}
	free(zero);
	return rc;
}

/* FALLOC_FL_ZERO_RANGE, or PUNCH_HOLE when unmapping is fine (a hole
 * reads as zeros; a block device zeroes it). */
static int raw_zero_mode(bool unmap)
{
	return (unmap ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE) |
	       FALLOC_FL_KEEP_SIZE;
}

static int raw_write_zeroes(struct blkdev *bd, uint64_t off, uint64_t len,
			    bool unmap)
{
	if (off > (uint64_t)LLONG_MAX || len > (uint64_t)LLONG_MAX - off)
		return -EINVAL;
	if (fallocate(raw_fd(bd), raw_zero_mode(unmap), (off_t)off,
		      (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS)
		return -errno;
	return raw_zero_fill(bd, off, len);
}

static int raw_get_size(struct blkdev *bd, uint64_t *size)
{
	struct stat st;

	if (fstat(raw_fd(bd), &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(raw_fd(bd), BLKGETSIZE64, size) < 0 ? -errno : 0;
	*size = (uint64_t)st.st_size;
	return 0;
}

/* ---- asynchronous requests (io_uring) ---- */

static bool raw_aligned(uint64_t v, unsigned int align)
{
	return (v & (align - 1)) == 0;
}

static bool raw_iov_aligned(const struct blkdev_req *q, unsigned int align)
{
	for (int i = 0; i < q->iovcnt; i++)
		if (!raw_aligned((uintptr_t)q->iov[i].iov_base, align) ||
		    !raw_aligned(q->iov[i].iov_len, align))
			return false;
	return true;
}

static void raw_finish(struct blkdev *bd, struct blkdev_req *q, int rc);

/* Hand what was queued while plugged to the kernel. The kernel takes
 * entries in ring order; those it did not take (the newest) are made
 * no-ops that finish nothing (they stay in the ring and go with the
 * next submit) and finished with the error. */
static void raw_submit_batch(struct blkdev *bd)
{
	struct blk_raw *r = bd->priv;
	struct blkdev_req *q, *next;
	unsigned int total = 0, sent = 0, unsent, i;
	int rc = 0;

	for (q = r->batch; q; q = q->batch_next)
		total++;
	while (sent < total) {
		rc = io_uring_submit(&r->ring);
		if (rc == -EINTR)
			continue;
		if (rc <= 0)
			break;
		sent += (unsigned int)rc;
	}
	unsent = sent < total ? total - sent : 0;
	q = r->batch;
	r->batch = NULL;
	for (i = 0; q; q = next, i++) {
		next = q->batch_next;
		q->batch_next = NULL;
		if (i >= unsent)
			continue;
		io_uring_prep_nop(q->sqe);
		io_uring_sqe_set_data(q->sqe, NULL);
		raw_finish(bd, q, rc < 0 ? rc : -EAGAIN);
	}
}

/* Queue the rest of q (from q->xfer on) and submit (plugged: at
 * unplug). */
static int raw_queue(struct blkdev *bd, struct blkdev_req *q)
{
	struct blk_raw *r = bd->priv;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
	struct iovec *iov = q->iov;
	int iovcnt = q->iovcnt, rc;

	if (!sqe && r->batch) {		/* the ring is full of the batch */
		raw_submit_batch(bd);
		sqe = io_uring_get_sqe(&r->ring);
	}
	if (!sqe)
		return -EAGAIN;		/* cannot happen: we submit each */
	switch (q->op) {
	case BLKDEV_OP_READ:
	case BLKDEV_OP_WRITE:
		if (q->bounce) {
			void *p = (uint8_t *)q->bounce + q->xfer;
			unsigned int n = (unsigned int)(q->len - q->xfer);

			if (q->op == BLKDEV_OP_READ)
				io_uring_prep_read(sqe, r->fd, p, n,
						   q->off + q->xfer);
			else
				io_uring_prep_write(sqe, r->fd, p, n,
						    q->off + q->xfer);
			break;
		}
		/* q->iov is ours to advance: skip what is done. */
		raw_iov_advance(&iov, &iovcnt, 0);
		if (q->op == BLKDEV_OP_READ)
			io_uring_prep_readv(sqe, r->fd, iov, (unsigned int)iovcnt,
					    q->off + q->xfer);
		else
			io_uring_prep_writev(sqe, r->fd, iov, (unsigned int)iovcnt,
					     q->off + q->xfer);
		break;
	case BLKDEV_OP_FLUSH:
		io_uring_prep_fsync(sqe, r->fd, IORING_FSYNC_DATASYNC);
		break;
	case BLKDEV_OP_DISCARD:
		io_uring_prep_fallocate(sqe, r->fd, FALLOC_FL_PUNCH_HOLE |
					FALLOC_FL_KEEP_SIZE, q->off, q->len);
		break;
	case BLKDEV_OP_WRITE_ZEROES:
		io_uring_prep_fallocate(sqe, r->fd, raw_zero_mode(q->unmap),
					q->off, q->len);
		break;
	}
	io_uring_sqe_set_data(sqe, q);
	if (r->plugged) {
		q->sqe = sqe;
		q->batch_next = r->batch;
		r->batch = q;
		return 0;
	}
	rc = io_uring_submit(&r->ring);
	if (rc > 0)
		return 0;
	/* The kernel took nothing (-EAGAIN, -EBUSY), but the sqe stays in
	 * the ring and would go with the next submit, for a request the
	 * caller has been told failed (and may reuse, its bounce buffer
	 * freed): make it a no-op that finishes nothing. */
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data(sqe, NULL);
	return rc < 0 ? rc : -EAGAIN;
}

/* Drop the first n bytes of q's buffers (a short transfer's done part):
 * q->iov shrinks in place. */
static void raw_req_advance(struct blkdev_req *q, size_t n)
{
	struct iovec *iov = q->iov;
	int cnt = q->iovcnt;

	raw_iov_advance(&iov, &cnt, n);
	memmove(q->iov, iov, sizeof(*iov) * (size_t)cnt);
	q->iovcnt = cnt;
}

/* Copy between the bounce buffer and the caller's buffers. */
static void raw_bounce_copy(struct blkdev_req *q, bool to_bounce)
{
	uint8_t *p = q->bounce;

	for (int i = 0; i < q->iovcnt; i++) {
		if (to_bounce)
			memcpy(p, q->iov[i].iov_base, q->iov[i].iov_len);
		else
			memcpy(q->iov[i].iov_base, p, q->iov[i].iov_len);
		p += q->iov[i].iov_len;
	}
}

static void raw_finish(struct blkdev *bd, struct blkdev_req *q, int rc)
{
	if (q->bounce) {
		if (rc == 0 && q->op == BLKDEV_OP_READ)
			raw_bounce_copy(q, false);
		free(q->bounce);
		q->bounce = NULL;
	}
	blkdev_finish(bd, q, rc);
}

/* One completion: the request is done, failed, or goes on. */
static void raw_cqe(struct blkdev *bd, struct blkdev_req *q, int res)
{
	int rc;

	if (q->op == BLKDEV_OP_DISCARD && (res == -EOPNOTSUPP || res == -ENOSYS))
		res = -EOPNOTSUPP;
	/* The file system cannot zero a range: write zeros (blocking, a
	 * slow path the guest chose). */
	if (q->op == BLKDEV_OP_WRITE_ZEROES && (res == -EOPNOTSUPP || res == -ENOSYS))
		res = raw_zero_fill(bd, q->off, q->len);
	if (res == -EINTR || res == -EAGAIN) {
		/* nothing done: the same request again (a flush's len is not
		 * set, so "xfer >= len" must not decide it is done) */
		rc = raw_queue(bd, q);
		if (rc < 0)
			raw_finish(bd, q, rc);
		return;
	}
	if (res < 0 || q->op == BLKDEV_OP_FLUSH ||
		 q->op == BLKDEV_OP_DISCARD || q->op == BLKDEV_OP_WRITE_ZEROES) {
		raw_finish(bd, q, res < 0 ? res : 0);
		return;
	} else if (res == 0) {
		raw_finish(bd, q, -EIO);	/* the image ended early */
		return;
	}
	if (!q->bounce)
		raw_req_advance(q, (size_t)res);
	q->xfer += (uint64_t)res;
	if (q->xfer >= q->len) {
		raw_finish(bd, q, 0);
		return;
	}
	rc = raw_queue(bd, q);
	if (rc < 0)
		raw_finish(bd, q, rc);
}

static int raw_submit(struct blkdev *bd, struct blkdev_req *q)
{
	struct blk_raw *r = bd->priv;
	bool rw = q->op == BLKDEV_OP_READ || q->op == BLKDEV_OP_WRITE;
	int rc;

	if (rw && q->off > (uint64_t)LLONG_MAX)
		return -EINVAL;
	if (rw && !q->len) {
		blkdev_finish(bd, q, 0);
		return 0;
	}
	if (bd->direct && rw) {
		if (!raw_aligned(q->off, r->align) ||
		    !raw_aligned(q->len, r->align))
			return -EINVAL;
		if (!raw_iov_aligned(q, r->align)) {
			if (q->len > UINT32_MAX ||
			    posix_memalign(&q->bounce, r->align, q->len))
				return -ENOMEM;
			if (q->op == BLKDEV_OP_WRITE)
				raw_bounce_copy(q, true);
		}
	}
	rc = raw_queue(bd, q);
	if (rc < 0) {
		free(q->bounce);
		q->bounce = NULL;
	}
	return rc;
}

static int raw_event_fd(struct blkdev *bd)
{
	return ((struct blk_raw *)bd->priv)->efd;
}

/* Finish completed requests; with wait, block until one completes.
 * False if waiting failed. */
static bool raw_reap(struct blkdev *bd, bool wait)
{
	struct blk_raw *r = bd->priv;
	struct io_uring_cqe *cqe;
	uint64_t v;

	if (read(r->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing announced; the ring says what is there */
	}
	for (;;) {
		int rc = wait ? io_uring_wait_cqe(&r->ring, &cqe)
			      : io_uring_peek_cqe(&r->ring, &cqe);
		struct blkdev_req *q;
		int res;

		if (rc == -EINTR)
			continue;
		if (rc < 0)
			return !wait;
		q = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&r->ring, cqe);
		if (q)			/* else a failed submission's no-op */
			raw_cqe(bd, q, res);
		wait = false;
	}
}

static void raw_complete(struct blkdev *bd)
{
	raw_reap(bd, false);
}

static void raw_plug(struct blkdev *bd)
{
	((struct blk_raw *)bd->priv)->plugged = true;
}

static void raw_unplug(struct blkdev *bd)
{
	((struct blk_raw *)bd->priv)->plugged = false;
	raw_submit_batch(bd);
}

static void raw_drain(struct blkdev *bd)
{
	raw_unplug(bd);		/* nothing waits unsubmitted */
	while (bd->inflight)
		if (!raw_reap(bd, true))
			return;		/* the ring failed: nothing more comes */
}

const struct blk_backend_ops blk_raw_ops = {
	.name = "raw",
	.open = raw_open,
	.close = raw_close,
	.readv = raw_readv,
	.writev = raw_writev,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.get_size = raw_get_size,
	.submit = raw_submit,
	.event_fd = raw_event_fd,
	.complete = raw_complete,
	.drain = raw_drain,
	.plug = raw_plug,
	.unplug = raw_unplug,
};
