/*
 * Disk backends: what a disk frontend (virtio_blk.c) reads and writes
 * through. A backend is a const struct blk_backend_ops with a name,
 * listed once in blockdev.c's table and found by that name (the image
 * format a user asks for: "raw"). Frontends call the blkdev_* wrappers,
 * never an ops member: the wrappers check every request against the
 * disk's size and mode first, so a backend sees only requests that fit.
 *
 * Two ways in: the blocking calls (blkdev_readv .. blkdev_discard) and
 * asynchronous requests (blkdev_submit), completed later through
 * blkdev_complete() when blkdev_event_fd() is readable, or all at once by
 * blkdev_drain(). One thread at a time per disk (the frontend's, under
 * its dev_lock). Byte granular for the caller: a backend that needs
 * alignment (O_DIRECT) bounces what is not aligned.
 */
#ifndef HV_BLOCKDEV_H
#define HV_BLOCKDEV_H

#include <sys/uio.h>
#include "xvm/common.h"

#define BLKDEV_IOV_MAX		64	/* buffers per request (a virtqueue
					 * chain has at most VQ_MAX_SEGS) */

#define BLKDEV_RDONLY		0x1	/* blkdev_open: writes get -EROFS */
#define BLKDEV_DIRECT		0x2	/* bypass the host page cache
					 * (O_DIRECT): cache=none */

struct blkdev;

enum blkdev_op {
	BLKDEV_OP_READ,
	BLKDEV_OP_WRITE,
	BLKDEV_OP_FLUSH,
	BLKDEV_OP_DISCARD,
	BLKDEV_OP_WRITE_ZEROES,		/* unmap: may free the range too */
};

/* An asynchronous request. The caller fills op, iov/iovcnt (READ, WRITE),
 * off, len (DISCARD; READ and WRITE: set by blkdev_submit) and done, and
 * keeps the request and the buffers untouched until done is called. */
struct blkdev_req {
	enum blkdev_op op;
	struct iovec iov[BLKDEV_IOV_MAX];
	int iovcnt;
	uint64_t off, len;
	bool unmap;			/* WRITE_ZEROES */
	/* result: 0 or -errno (-EIO for an image that ended early). */
	void (*done)(struct blkdev_req *r, int result);
	void *opaque;			/* the caller's */
	/* The backend's. */
	uint64_t xfer;			/* bytes done so far */
	void *bounce;			/* aligned copy (O_DIRECT), or NULL */
	struct blkdev_req *batch_next;	/* the next in a merged I/O */
};

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
	/* [off, off+len) reads as zeros afterwards; unmap: freeing it is
	 * fine. 0 or -errno; NULL: not supported. Writable disks only. */
	int (*write_zeroes)(struct blkdev *bd, uint64_t off, uint64_t len,
			    bool unmap);
	/* The image's size in bytes, as the guest sees it: 0 or -errno.
	 * blkdev_open() calls it once after open() and keeps the answer in
	 * bd->size, which bounds every request. */
	int (*get_size)(struct blkdev *bd, uint64_t *size);

	/* Asynchronous requests; all NULL for a blocking-only backend
	 * (blkdev_submit then runs the blocking call at once). */
	/* Start r (checked: fits, not a write on a read-only disk). 0, or
	 * -errno with nothing started and done not called. done may run
	 * before submit returns. */
	int (*submit)(struct blkdev *bd, struct blkdev_req *r);
	/* An fd that polls readable while completions wait, or -1. */
	int (*event_fd)(struct blkdev *bd);
	/* Finish what completed (calling done), without blocking. */
	void (*complete)(struct blkdev *bd);
	/* Wait for every request started and finish it. */
	void (*drain)(struct blkdev *bd);
	/* Optional, both or neither: between plug and unplug, submit may
	 * only queue what it starts; unplug hands the batch to the kernel
	 * in one call (a request the kernel then refuses is finished with
	 * its error, from unplug). */
	void (*plug)(struct blkdev *bd);
	void (*unplug)(struct blkdev *bd);
};

/* An open disk. Frontends read size and ro; the rest is the backend's. */
struct blkdev {
	const struct blk_backend_ops *ops;
	void *priv;			/* the backend's state */
	uint64_t size;			/* bytes, get_size() at open */
	bool ro;
	bool direct;			/* BLKDEV_DIRECT asked for */
	unsigned int inflight;		/* submitted, done not yet called */
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

/* Start r: 0, or -errno without calling done (-ERANGE, -EROFS, -EINVAL
 * as for the blocking calls; -EOPNOTSUPP for a DISCARD or WRITE_ZEROES
 * the backend cannot do). done(r, result) follows exactly once, possibly before
 * blkdev_submit returns. */
int blkdev_submit(struct blkdev *bd, struct blkdev_req *r);
/* The fd to watch for completions (-1: done is always called from
 * blkdev_submit). */
int blkdev_event_fd(struct blkdev *bd);
void blkdev_complete(struct blkdev *bd);
/* Finish every request in flight (waits for the I/O). */
void blkdev_drain(struct blkdev *bd);
/* Around a burst of blkdev_submit calls (one notification's requests):
 * the backend may start them all at once at unplug. No-ops for a
 * backend without batching. */
void blkdev_plug(struct blkdev *bd);
void blkdev_unplug(struct blkdev *bd);
/* For backends: r completed with result; calls its done. */
void blkdev_finish(struct blkdev *bd, struct blkdev_req *r, int result);

#endif
