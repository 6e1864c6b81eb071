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
 * Between plug and unplug (one notification's requests) nothing is
 * submitted: at unplug, runs of reads or of writes that follow each other
 * on the disk, in the order they came, go as one READV/WRITEV (up to
 * RAW_MERGE_IOV buffers and RAW_MERGE_BYTES), as QEMU's virtio-blk merges
 * them: a guest streaming 64 KiB requests at depth then costs the host
 * one large I/O instead of many small ones. A merged I/O that does not
 * complete in full finishes the requests it covered and sends the rest
 * again one by one, so an error reaches exactly the requests it hits.
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

/* The submission ring takes a batch (at most RAW_BATCH_MAX, more go in
 * turns); the completion ring must hold every request that can be in
 * flight: 8 queues (virtio-blk's queues=) of 256. */
#define RAW_RING_ENTRIES	256
#define RAW_CQ_ENTRIES		2048
#define RAW_BATCH_MAX		RAW_RING_ENTRIES
#define RAW_MERGE_IOV		1024		/* the kernel's UIO_MAXIOV */
#define RAW_MERGE_BYTES		(16u << 20)

/* Requests that follow each other on the disk, sent as one I/O. The
 * completion's user data is its address with the low bit set. */
struct raw_merge {
	struct blkdev_req *first;	/* in disk order, by batch_next */
	int iovcnt;
	struct iovec iov[];
};

struct blk_raw {
	int fd;
	unsigned int align;		/* O_DIRECT: offsets, lengths, buffers */
	struct io_uring ring;
	bool have_ring;
	int efd;			/* eventfd of the ring's completions */
	bool plugged;			/* queue, submit at unplug */
	struct blkdev_req *batch[RAW_BATCH_MAX];	/* queued while plugged,
							 * in order */
	unsigned int nbatch;
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

/* Fill sqe for the rest of q (from q->xfer on). */
static void raw_prep(struct blk_raw *r, struct io_uring_sqe *sqe,
		     struct blkdev_req *q)
{
	struct iovec *iov = q->iov;
	int iovcnt = q->iovcnt;

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
}

/* A read or write that can join others: whole, buffers its own. */
static bool raw_mergeable(const struct blkdev_req *q)
{
	return (q->op == BLKDEV_OP_READ || q->op == BLKDEV_OP_WRITE) &&
	       !q->bounce && !q->xfer;
}

/* Starting at b[i], the requests that go as one I/O: how many. */
static unsigned int raw_run(struct blkdev_req **b, unsigned int i,
			    unsigned int n)
{
	uint64_t end = b[i]->off + b[i]->len, len = b[i]->len;
	int iovcnt = b[i]->iovcnt;
	unsigned int j = i + 1;

	if (!raw_mergeable(b[i]))
		return 1;
	for (; j < n; j++) {
		const struct blkdev_req *q = b[j];

		if (!raw_mergeable(q) || q->op != b[i]->op || q->off != end ||
		    iovcnt + q->iovcnt > RAW_MERGE_IOV ||
		    len + q->len > RAW_MERGE_BYTES)
			break;
		end += q->len;
		len += q->len;
		iovcnt += q->iovcnt;
	}
	return j - i;
}

/* b[i], b[i+1] .. b[i+k-1] as one READV/WRITEV in sqe; false if out of
 * memory (nothing prepared). */
static bool raw_prep_merge(struct blk_raw *r, struct io_uring_sqe *sqe,
			   struct blkdev_req **b, unsigned int k)
{
	struct raw_merge *m;
	int iovcnt = 0;

	for (unsigned int j = 0; j < k; j++)
		iovcnt += b[j]->iovcnt;
	m = malloc(sizeof(*m) + sizeof(m->iov[0]) * (size_t)iovcnt);
	if (!m)
		return false;
	m->first = b[0];
	m->iovcnt = 0;
	for (unsigned int j = 0; j < k; j++) {
		for (int v = 0; v < b[j]->iovcnt; v++)
			if (b[j]->iov[v].iov_len)
				m->iov[m->iovcnt++] = b[j]->iov[v];
		b[j]->batch_next = j + 1 < k ? b[j + 1] : NULL;
	}
	if (b[0]->op == BLKDEV_OP_READ)
		io_uring_prep_readv(sqe, r->fd, m->iov, (unsigned int)m->iovcnt,
				    b[0]->off);
	else
		io_uring_prep_writev(sqe, r->fd, m->iov, (unsigned int)m->iovcnt,
				     b[0]->off);
	io_uring_sqe_set_data(sqe, (void *)((uintptr_t)m | 1));
	return true;
}

/* What an entry's user data names: finish it (and its merged requests)
 * with err. */
static void raw_fail_data(struct blkdev *bd, void *data, int err)
{
	struct blkdev_req *q, *next;
	struct raw_merge *m;

	if (!((uintptr_t)data & 1)) {
		if (data)
			raw_finish(bd, data, err);
		return;
	}
	m = (struct raw_merge *)((uintptr_t)data & ~(uintptr_t)1);
	for (q = m->first; q; q = next) {
		next = q->batch_next;
		q->batch_next = NULL;
		raw_finish(bd, q, err);
	}
	free(m);
}

/* Hand the entries prepared in sqes[0..n) to the kernel. It takes them
 * in ring order; those it did not take (the newest) are made no-ops
 * that finish nothing (they stay in the ring and go with the next
 * submit) and finished with the error. */
static void raw_submit_sqes(struct blkdev *bd, struct io_uring_sqe **sqes,
			    unsigned int n)
{
	struct blk_raw *r = bd->priv;
	unsigned int sent = 0;
	int rc = 0;

	while (sent < n) {
		rc = io_uring_submit(&r->ring);
		if (rc == -EINTR)
			continue;
		if (rc <= 0)
			break;
		sent += (unsigned int)rc;
	}
	for (unsigned int i = sent; i < n; i++) {
		void *data = (void *)(uintptr_t)sqes[i]->user_data;

		io_uring_prep_nop(sqes[i]);
		io_uring_sqe_set_data(sqes[i], NULL);
		raw_fail_data(bd, data, rc < 0 ? rc : -EAGAIN);
	}
}

/* Hand what was queued while plugged to the kernel, runs of adjacent
 * reads or writes merged. */
static void raw_submit_batch(struct blkdev *bd)
{
	struct blk_raw *r = bd->priv;
	struct io_uring_sqe *sqes[RAW_BATCH_MAX];
	unsigned int n = r->nbatch, ns = 0, k;

	r->nbatch = 0;
	for (unsigned int i = 0; i < n; i += k) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

		if (!sqe && ns) {	/* the ring is full of this batch */
			raw_submit_sqes(bd, sqes, ns);
			ns = 0;
			sqe = io_uring_get_sqe(&r->ring);
		}
		k = raw_run(r->batch, i, n);
		if (!sqe) {		/* cannot happen: the ring was empty */
			for (unsigned int j = i; j < i + k; j++)
				raw_finish(bd, r->batch[j], -EAGAIN);
			continue;
		}
		if (k == 1 || !raw_prep_merge(r, sqe, &r->batch[i], k)) {
			k = 1;
			raw_prep(r, sqe, r->batch[i]);
		}
		sqes[ns++] = sqe;
	}
	if (ns)
		raw_submit_sqes(bd, sqes, ns);
}

/* Queue the rest of q (from q->xfer on) and submit (plugged: at
 * unplug). */
static int raw_queue(struct blkdev *bd, struct blkdev_req *q)
{
	struct blk_raw *r = bd->priv;
	struct io_uring_sqe *sqe;
	int rc;

	if (r->plugged) {
		if (r->nbatch == RAW_BATCH_MAX)
			raw_submit_batch(bd);
		r->batch[r->nbatch++] = q;
		return 0;
	}
	sqe = io_uring_get_sqe(&r->ring);
	if (!sqe)
		return -EAGAIN;		/* cannot happen: we submit each */
	raw_prep(r, sqe, q);
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

/* A merged I/O's completion: the requests it covered in full are done;
 * the rest (all of them after an error) go again one by one. */
static void raw_merge_cqe(struct blkdev *bd, struct raw_merge *m, int res)
{
	uint64_t done = res > 0 ? (uint64_t)res : 0;
	struct blkdev_req *q, *next;
	int rc;

	for (q = m->first; q; q = next) {
		next = q->batch_next;
		q->batch_next = NULL;
		if (done >= q->len) {
			done -= q->len;
			raw_finish(bd, q, 0);
			continue;
		}
		if (done) {
			raw_req_advance(q, (size_t)done);
			q->xfer = done;
			done = 0;
		}
		rc = raw_queue(bd, q);
		if (rc < 0)
			raw_finish(bd, q, rc);
	}
	free(m);
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
		void *data;
		int res;

		if (rc == -EINTR)
			continue;
		if (rc < 0)
			return !wait;
		data = io_uring_cqe_get_data(cqe);
		res = cqe->res;
		io_uring_cqe_seen(&r->ring, cqe);
		if ((uintptr_t)data & 1)
			raw_merge_cqe(bd, (struct raw_merge *)
				      ((uintptr_t)data & ~(uintptr_t)1), res);
		else if (data)	/* else a failed submission's no-op */
			raw_cqe(bd, data, res);
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
