/*
 * Disk backends: what a disk frontend (virtio-blk, next) reads and writes
 * through. A backend is a const struct blk_backend_ops with a name,
 * listed once in blockdev.c's table and found by that name (the image
 * format a user asks for: "raw"). Frontends call the blkdev_* wrappers,
 * never an ops member: the wrappers check every request against the
 * disk's size and mode first, so a backend sees only requests that fit.
 *
 * I/O is blocking (a file's pread/pwrite). One thread at a time per disk;
 * no dev_lock is needed or taken. Byte granular: no alignment is required
 * (a frontend with 512-byte sectors multiplies).
 */
#ifndef HV_BLOCKDEV_H
#define HV_BLOCKDEV_H

#include <sys/uio.h>
#include "xvm/common.h"

#define BLKDEV_IOV_MAX		64	/* buffers per request (a virtqueue
					 * chain has at most VQ_MAX_SEGS) */

#define BLKDEV_RDONLY		0x1	/* blkdev_open: writes get -EROFS */

struct blkdev;

struct blk_backend_ops {
	const char *name;	/* "raw": the registry key */
	/* Open the image at path, read-only if ro, and set bd->priv. 0 or
	 * -errno, leaving nothing open. */
	int (*open)(struct blkdev *bd, const char *path, bool ro);
	/* Release what open() set up. Pending writes need not be flushed
	 * (the frontend flushes when the guest asks). */
	void (*close)(struct blkdev *bd);
	/* Fill the buffers from the disk at byte off, all of them: 0, or
	 * -errno (-EIO when the image ended early). The request lies
	 * within bd->size; iovcnt is 1 to BLKDEV_IOV_MAX. */
	int (*readv)(struct blkdev *bd, const struct iovec *iov, int iovcnt,
		     uint64_t off);
	/* Write the buffers at off, all of them: 0 or -errno. Same bounds;
	 * never called on a read-only disk. Durable only after flush(). */
	int (*writev)(struct blkdev *bd, const struct iovec *iov, int iovcnt,
		      uint64_t off);
	/* Make every completed write durable (the guest's FLUSH). 0 or
	 * -errno. NULL: writes are durable at once. */
	int (*flush)(struct blkdev *bd);
	/* The guest no longer needs [off, off+len): the backend may free it
	 * (reads then return zeros or the old data). 0, or -EOPNOTSUPP if
	 * the image cannot; NULL: never supported. Writable disks only. */
	int (*discard)(struct blkdev *bd, uint64_t off, uint64_t len);
	/* The image's size in bytes, as the guest sees it: 0 or -errno.
	 * blkdev_open() calls it once after open() and keeps the answer in
	 * bd->size, which bounds every request. */
	int (*get_size)(struct blkdev *bd, uint64_t *size);
};

/* An open disk. Frontends read size and ro; the rest is the backend's. */
struct blkdev {
	const struct blk_backend_ops *ops;
	void *priv;			/* the backend's state */
	uint64_t size;			/* bytes, get_size() at open */
	bool ro;
};

/* The backend registered under name, or NULL. */
const struct blk_backend_ops *blkdev_backend(const char *name);

/* Open path with the backend called backend (flags: BLKDEV_RDONLY).
 * NULL with errno set: ENOENT for an unknown backend, else the
 * backend's error. */
struct blkdev *blkdev_open(const char *backend, const char *path,
			   unsigned int flags);
void blkdev_close(struct blkdev *bd);

/* I/O at byte off: 0 or -errno. Requests that do not fit in the disk
 * (off + length past the size, or wrapping) get -ERANGE, more than
 * BLKDEV_IOV_MAX buffers -EINVAL, writes to a read-only disk -EROFS. */
int blkdev_readv(struct blkdev *bd, const struct iovec *iov, int iovcnt,
		 uint64_t off);
int blkdev_writev(struct blkdev *bd, const struct iovec *iov, int iovcnt,
		  uint64_t off);
int blkdev_pread(struct blkdev *bd, void *buf, size_t len, uint64_t off);
int blkdev_pwrite(struct blkdev *bd, const void *buf, size_t len,
		  uint64_t off);
/* Nothing to do (0) on a read-only disk or a backend without flush. */
int blkdev_flush(struct blkdev *bd);
/* -EOPNOTSUPP if the backend cannot; bounds and mode as for writes. */
int blkdev_discard(struct blkdev *bd, uint64_t off, uint64_t len);
/* The size open() found, in bytes. */
uint64_t blkdev_size(const struct blkdev *bd);

#endif
