/*
 * The raw disk backend: the image is the disk, byte for byte, in a
 * regular file or a block device. Reads and writes are preadv/pwritev at
 * the same offset (repeated until done: a short transfer is not an
 * error, an image that ends early is -EIO), flush is fdatasync, discard
 * punches a hole (FALLOC_FL_PUNCH_HOLE, where the file system can).
 * Requests arrive checked against the size (blockdev.c).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include "blockdev.h"

struct blk_raw {
	int fd;
};

static int raw_fd(const struct blkdev *bd)
{
	return ((const struct blk_raw *)bd->priv)->fd;
}

static int raw_open(struct blkdev *bd, const char *path, bool ro)
{
	struct blk_raw *r = calloc(1, sizeof(*r));
	struct stat st;
	int rc;

	if (!r)
		return -ENOMEM;
	r->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (r->fd < 0 || fstat(r->fd, &st) < 0) {
		rc = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto fail;
	}
	bd->priv = r;
	return 0;
fail:
	if (r->fd >= 0)
		close(r->fd);
	free(r);
	return rc;
}

static void raw_close(struct blkdev *bd)
{
	struct blk_raw *r = bd->priv;

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

const struct blk_backend_ops blk_raw_ops = {
	.name = "raw",
	.open = raw_open,
	.close = raw_close,
	.readv = raw_readv,
	.writev = raw_writev,
	.flush = raw_flush,
	.discard = raw_discard,
	.get_size = raw_get_size,
};
