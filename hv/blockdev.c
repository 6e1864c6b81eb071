/*
 * The disk backend table and the wrappers frontends call (blockdev.h).
 * Every request is checked here, once for all backends: buffer count,
 * bounds against the size found at open, read-only mode. A new backend
 * is its file plus its line in blk_backends[].
 */
#include <stdlib.h>
#include <string.h>
#include "blockdev.h"

extern const struct blk_backend_ops blk_raw_ops;

static const struct blk_backend_ops *const blk_backends[] = {
	&blk_raw_ops,
};

const struct blk_backend_ops *blkdev_backend(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(blk_backends); i++)
		if (strcmp(blk_backends[i]->name, name) == 0)
			return blk_backends[i];
	return NULL;
}

struct blkdev *blkdev_open(const char *backend, const char *path,
			   unsigned int flags)
{
	const struct blk_backend_ops *ops = blkdev_backend(backend);
	struct blkdev *bd;
	int rc;

	if (!ops) {
		errno = ENOENT;
		return NULL;
	}
	bd = calloc(1, sizeof(*bd));
	if (!bd)
		return NULL;
	bd->ops = ops;
	bd->ro = flags & BLKDEV_RDONLY;
	bd->direct = flags & BLKDEV_DIRECT;
	rc = ops->open(bd, path, bd->ro);
	if (rc < 0)
		goto fail;
	rc = ops->get_size(bd, &bd->size);
	if (rc < 0) {
		ops->close(bd);
		goto fail;
	}
	return bd;
fail:
	free(bd);
	errno = -rc;
	return NULL;
}

void blkdev_close(struct blkdev *bd)
{
	if (!bd)
		return;
	blkdev_drain(bd);
	bd->ops->close(bd);
	free(bd);
}

uint64_t blkdev_size(const struct blkdev *bd)
{
	return bd->size;
}

/* [off, off+len) inside the disk, without wrapping. */
static bool blkdev_fits(const struct blkdev *bd, uint64_t off, uint64_t len)
{
	return off <= bd->size && len <= bd->size - off;
}

/* Total length of a request's buffers, or -EINVAL. */
static int blkdev_iov_len(const struct iovec *iov, int iovcnt, uint64_t *len)
{
	*len = 0;
	if (iovcnt < 1 || iovcnt > BLKDEV_IOV_MAX)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > UINT64_MAX - *len)
			return -EINVAL;
		*len += iov[i].iov_len;
	}
	return 0;
}

static int blkdev_check(const struct blkdev *bd, const struct iovec *iov,
			int iovcnt, uint64_t off, bool write)
{
	uint64_t len;
	int rc = blkdev_iov_len(iov, iovcnt, &len);

	if (rc < 0)
		return rc;
	if (write && bd->ro)
		return -EROFS;
	return blkdev_fits(bd, off, len) ? 0 : -ERANGE;
}

int blkdev_readv(struct blkdev *bd, const struct iovec *iov, int iovcnt,
		 uint64_t off)
{
	int rc = blkdev_check(bd, iov, iovcnt, off, false);

	return rc < 0 ? rc : bd->ops->readv(bd, iov, iovcnt, off);
}

int blkdev_writev(struct blkdev *bd, const struct iovec *iov, int iovcnt,
		  uint64_t off)
{
	int rc = blkdev_check(bd, iov, iovcnt, off, true);

	return rc < 0 ? rc : bd->ops->writev(bd, iov, iovcnt, off);
}

int blkdev_pread(struct blkdev *bd, void *buf, size_t len, uint64_t off)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	return blkdev_readv(bd, &iov, 1, off);
}

int blkdev_pwrite(struct blkdev *bd, const void *buf, size_t len,
		  uint64_t off)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return blkdev_writev(bd, &iov, 1, off);
}

int blkdev_flush(struct blkdev *bd)
{
	if (bd->ro || !bd->ops->flush)
		return 0;
	return bd->ops->flush(bd);
}

int blkdev_discard(struct blkdev *bd, uint64_t off, uint64_t len)
{
	if (bd->ro)
		return -EROFS;
	if (!blkdev_fits(bd, off, len))
		return -ERANGE;
	if (!len)
		return 0;		/* fallocate(2) would say EINVAL */
	if (!bd->ops->discard)
		return -EOPNOTSUPP;
	return bd->ops->discard(bd, off, len);
}

/* ---- asynchronous requests ---- */

static void blkdev_req_done(struct blkdev *bd, struct blkdev_req *r, int rc)
{
	bd->inflight--;
	r->done(r, rc);
}

/* A backend without submit: the blocking call, done at once. */
static int blkdev_run_sync(struct blkdev *bd, struct blkdev_req *r)
{
	switch (r->op) {
	case BLKDEV_OP_READ:
		return bd->ops->readv(bd, r->iov, r->iovcnt, r->off);
	case BLKDEV_OP_WRITE:
		return bd->ops->writev(bd, r->iov, r->iovcnt, r->off);
	case BLKDEV_OP_FLUSH:
		return bd->ops->flush ? bd->ops->flush(bd) : 0;
	case BLKDEV_OP_DISCARD:
		return bd->ops->discard(bd, r->off, r->len);
	case BLKDEV_OP_WRITE_ZEROES:
		return bd->ops->write_zeroes(bd, r->off, r->len, r->unmap);
	}
	return -EINVAL;
}

/* Requests with nothing to do: a flush of a read-only disk (as
 * blkdev_flush), an empty discard or write-zeroes (fallocate(2) would
 * say EINVAL). */
static bool blkdev_noop(const struct blkdev *bd, const struct blkdev_req *r)
{
	return (r->op == BLKDEV_OP_FLUSH && bd->ro) ||
	       ((r->op == BLKDEV_OP_DISCARD ||
		 r->op == BLKDEV_OP_WRITE_ZEROES) && !r->len);
}

int blkdev_submit(struct blkdev *bd, struct blkdev_req *r)
{
	int rc;

	switch (r->op) {
	case BLKDEV_OP_READ:
	case BLKDEV_OP_WRITE:
		rc = blkdev_check(bd, r->iov, r->iovcnt, r->off,
				  r->op == BLKDEV_OP_WRITE);
		if (rc < 0)
			return rc;
		blkdev_iov_len(r->iov, r->iovcnt, &r->len);
		break;
	case BLKDEV_OP_FLUSH:
		break;
	case BLKDEV_OP_DISCARD:
	case BLKDEV_OP_WRITE_ZEROES:
		if (bd->ro)
			return -EROFS;
		if (!blkdev_fits(bd, r->off, r->len))
			return -ERANGE;
		if (r->op == BLKDEV_OP_DISCARD ? !bd->ops->discard
					       : !bd->ops->write_zeroes)
			return -EOPNOTSUPP;
		break;
	default:
		return -EINVAL;
	}
	r->xfer = 0;
	r->bounce = NULL;
	bd->inflight++;
	if (blkdev_noop(bd, r)) {
		blkdev_req_done(bd, r, 0);
		return 0;
	}
	if (!bd->ops->submit) {
		blkdev_req_done(bd, r, blkdev_run_sync(bd, r));
		return 0;
	}
	rc = bd->ops->submit(bd, r);
	if (rc < 0)
		bd->inflight--;
	return rc;
}

int blkdev_event_fd(struct blkdev *bd)
{
	return bd->ops->event_fd ? bd->ops->event_fd(bd) : -1;
}

void blkdev_complete(struct blkdev *bd)
{
	if (bd->ops->complete)
		bd->ops->complete(bd);
}

void blkdev_drain(struct blkdev *bd)
{
	if (bd->ops->drain && bd->inflight)
		bd->ops->drain(bd);
}

/* Backends finish a request through here (blockdev.h's contract keeps
 * inflight right). */
void blkdev_plug(struct blkdev *bd)
{
	if (bd->ops->plug)
		bd->ops->plug(bd);
}

void blkdev_unplug(struct blkdev *bd)
{
	if (bd->ops->unplug)
		bd->ops->unplug(bd);
}

void blkdev_finish(struct blkdev *bd, struct blkdev_req *r, int result)
{
	blkdev_req_done(bd, r, result);
}
