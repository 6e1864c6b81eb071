/* Disk backends (blockdev.c, blk_raw.c) on a temporary file: the
 * registry, what a read or write leaves in the file, scattered buffers,
 * flush and discard, and every request that does not fit, on a read-only
 * disk or on an image that shrank behind the backend's back. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>
#include <liburing.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "unit.h"
#include "hv/blockdev.h"

#define SIZE		(64u << 10)

static char path[64];
static int fd = -1;		/* the test's own view of the image */

/* A SIZE-byte image whose byte i is (uint8_t)i. */
static void image_create(void)
{
	uint8_t buf[SIZE];

	for (unsigned int i = 0; i < SIZE; i++)
		buf[i] = (uint8_t)i;
	snprintf(path, sizeof(path), "/tmp/xvm-blockdev-XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(pwrite(fd, buf, SIZE, 0) == SIZE);
}

static void image_remove(void)
{
	close(fd);
	unlink(path);
	fd = -1;
}

static uint8_t image_byte(off_t off)
{
	uint8_t b = 0;

	CU_ASSERT_EQUAL(pread(fd, &b, 1, off), 1);
	return b;
}

static void test_registry(void)
{
	char dir[] = "/tmp/xvm-blockdev-dir-XXXXXX";

	CU_ASSERT_PTR_NOT_NULL(blkdev_backend("raw"));
	CU_ASSERT_STRING_EQUAL(blkdev_backend("raw")->name, "raw");
	CU_ASSERT_PTR_NULL(blkdev_backend("qcow9"));
	errno = 0;
	CU_ASSERT_PTR_NULL(blkdev_open("qcow9", "/dev/null", 0));
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_PTR_NULL(blkdev_open("raw", "/nonexistent/disk.img", 0));
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_PTR_NULL(blkdev_open("raw", dir, BLKDEV_RDONLY));
	CU_ASSERT_EQUAL(errno, EISDIR);
	rmdir(dir);
	CU_ASSERT_PTR_NULL(blkdev_open("raw", "/dev/null", BLKDEV_RDONLY));
	CU_ASSERT_EQUAL(errno, EINVAL);		/* neither file nor disk */
	/* a FIFO: refused at once, not waited on for a writer (issue 12,
	 * finding 9); in a child with an alarm so a regression cannot hang
	 * the suite */
	{
		char fifo[96];
		int status = -1;
		pid_t pid;

		snprintf(fifo, sizeof(fifo), "%s.fifo", path);
		unlink(fifo);
		CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
		pid = fork();
		if (pid == 0) {
			alarm(5);
			_exit(blkdev_open("raw", fifo, BLKDEV_RDONLY) == NULL &&
			      blkdev_open("raw", fifo, 0) == NULL ? 0 : 1);
		}
		CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
		CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		unlink(fifo);
	}
}

static void test_read_write(void)
{
	struct blkdev *bd;
	uint8_t buf[16];

	image_create();
	bd = blkdev_open("raw", path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	CU_ASSERT_EQUAL(blkdev_size(bd), SIZE);
	CU_ASSERT_FALSE(bd->ro);
	CU_ASSERT_EQUAL(blkdev_pread(bd, buf, sizeof(buf), 0x1230), 0);
	for (unsigned int i = 0; i < sizeof(buf); i++)
		CU_ASSERT_EQUAL(buf[i], (uint8_t)(0x30 + i));
	CU_ASSERT_EQUAL(blkdev_pwrite(bd, "hello", 5, 4096), 0);
	CU_ASSERT_EQUAL(image_byte(4096), 'h');
	CU_ASSERT_EQUAL(image_byte(4100), 'o');
	CU_ASSERT_EQUAL(image_byte(4101), (uint8_t)4101);	/* untouched */
	CU_ASSERT_EQUAL(blkdev_pwrite(bd, "!", 1, SIZE - 1), 0); /* last byte */
	CU_ASSERT_EQUAL(image_byte(SIZE - 1), '!');
	CU_ASSERT_EQUAL(blkdev_pread(bd, buf, 0, SIZE), 0);	/* empty, at end */
	CU_ASSERT_EQUAL(blkdev_flush(bd), 0);
	blkdev_close(bd);
	image_remove();
}

/* A request over several buffers (one empty), as a virtqueue chain
 * gives them. */
static void test_scatter(void)
{
	uint8_t a[3], b[5], out[8];
	struct iovec iov[3] = {
		{ a, sizeof(a) }, { NULL, 0 }, { b, sizeof(b) },
	};
	struct blkdev *bd;

	image_create();
	bd = blkdev_open("raw", path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	CU_ASSERT_EQUAL(blkdev_readv(bd, iov, 3, 0x100), 0);
	CU_ASSERT_EQUAL(a[0], 0x00);
	CU_ASSERT_EQUAL(a[2], 0x02);
	CU_ASSERT_EQUAL(b[0], 0x03);
	CU_ASSERT_EQUAL(b[4], 0x07);
	memcpy(a, "abc", 3);
	memcpy(b, "defgh", 5);
	CU_ASSERT_EQUAL(blkdev_writev(bd, iov, 3, 0x200), 0);
	CU_ASSERT_EQUAL(pread(fd, out, sizeof(out), 0x200), (ssize_t)sizeof(out));
	CU_ASSERT_EQUAL(memcmp(out, "abcdefgh", 8), 0);
	blkdev_close(bd);
	image_remove();
}

/* Nothing outside the disk is read or written, whatever the request. */
static void test_bounds(void)
{
	struct iovec many[BLKDEV_IOV_MAX + 1];
	uint8_t buf[8] = "XXXXXXXX";
	struct blkdev *bd;

	image_create();
	bd = blkdev_open("raw", path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	CU_ASSERT_EQUAL(blkdev_pread(bd, buf, 2, SIZE - 1), -ERANGE);
	CU_ASSERT_EQUAL(blkdev_pread(bd, buf, 1, SIZE), -ERANGE);
	CU_ASSERT_EQUAL(blkdev_pread(bd, buf, 8, UINT64_MAX - 3), -ERANGE);
	CU_ASSERT_EQUAL(blkdev_pwrite(bd, buf, 2, SIZE - 1), -ERANGE);
	CU_ASSERT_EQUAL(blkdev_pwrite(bd, buf, 8, UINT64_MAX - 3), -ERANGE);
	CU_ASSERT_EQUAL(image_byte(SIZE - 1), (uint8_t)(SIZE - 1));
	CU_ASSERT_EQUAL(blkdev_discard(bd, SIZE - 4096, 8192), -ERANGE);
	CU_ASSERT_EQUAL(blkdev_discard(bd, UINT64_MAX, 2), -ERANGE);
	CU_ASSERT_EQUAL(blkdev_discard(bd, 4096, 0), 0);	/* nothing to do */
	for (unsigned int i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = (struct iovec){ buf, 1 };
	CU_ASSERT_EQUAL(blkdev_readv(bd, many, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(blkdev_readv(bd, many, -1, 0), -EINVAL);
	CU_ASSERT_EQUAL(blkdev_readv(bd, many, BLKDEV_IOV_MAX + 1, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(blkdev_readv(bd, many, BLKDEV_IOV_MAX, 0), 0);
	many[0].iov_len = SIZE_MAX;		/* lengths that wrap */
	CU_ASSERT_EQUAL(blkdev_writev(bd, many, 2, 0), -EINVAL);
	blkdev_close(bd);
	image_remove();
}

static void test_read_only(void)
{
	struct blkdev *bd;
	uint8_t b = 0;

	image_create();
	bd = blkdev_open("raw", path, BLKDEV_RDONLY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	CU_ASSERT_TRUE(bd->ro);
	CU_ASSERT_EQUAL(blkdev_pread(bd, &b, 1, 7), 0);
	CU_ASSERT_EQUAL(b, 7);
	CU_ASSERT_EQUAL(blkdev_pwrite(bd, "x", 1, 7), -EROFS);
	CU_ASSERT_EQUAL(blkdev_discard(bd, 0, 4096), -EROFS);
	CU_ASSERT_EQUAL(blkdev_flush(bd), 0);
	CU_ASSERT_EQUAL(image_byte(7), 7);
	blkdev_close(bd);
	image_remove();
}

/* Discard punches a hole where the file system can (reads give zeros),
 * and says so where it cannot. */
static void test_discard(void)
{
	uint8_t buf[4096], zero[4096] = { 0 };
	struct blkdev *bd;
	int rc;

	image_create();
	bd = blkdev_open("raw", path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	rc = blkdev_discard(bd, 8192, 4096);
	/* -EOPNOTSUPP only where the file system itself cannot punch holes
	 * (asked directly, on the image's last block, which is not read) */
	if (rc == -EOPNOTSUPP) {
		int fd = open(path, O_RDWR);

		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_NOT_EQUAL(fallocate(fd, FALLOC_FL_PUNCH_HOLE |
					      FALLOC_FL_KEEP_SIZE,
					      SIZE - 4096, 4096), 0);
		close(fd);
	} else {
		CU_ASSERT_EQUAL(rc, 0);
		CU_ASSERT_EQUAL(blkdev_pread(bd, buf, sizeof(buf), 8192), 0);
		CU_ASSERT_EQUAL(memcmp(buf, zero, sizeof(buf)), 0);
		CU_ASSERT_EQUAL(image_byte(8191), (uint8_t)8191);
		CU_ASSERT_EQUAL(image_byte(12288), (uint8_t)12288);
	}
	CU_ASSERT_EQUAL(blkdev_size(bd), SIZE);
	blkdev_close(bd);
	image_remove();
}

/* The image was truncated after open: reading past its new end is an
 * I/O error, not zeros and not a hang. */
static void test_shrunk(void)
{
	struct blkdev *bd;
	uint8_t buf[16];

	image_create();
	bd = blkdev_open("raw", path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	CU_ASSERT_EQUAL(ftruncate(fd, SIZE / 2), 0);
	CU_ASSERT_EQUAL(blkdev_pread(bd, buf, sizeof(buf), SIZE / 2 - 8), -EIO);
	CU_ASSERT_EQUAL(blkdev_pread(bd, buf, 8, SIZE / 2 - 8), 0);
	blkdev_close(bd);
	image_remove();
}

/* Asynchronous requests: refused ones never call done; accepted ones
 * call it exactly once (after a drain at the latest) with the result;
 * a short image and O_DIRECT with unaligned memory and ranges. */
struct done_rec {
	unsigned int calls;
	int result;
};

static void rec_done(struct blkdev_req *r, int result)
{
	struct done_rec *d = r->opaque;

	d->calls++;
	d->result = result;
}

static void req_init(struct blkdev_req *r, struct done_rec *d,
		     enum blkdev_op op, void *buf, size_t len, uint64_t off)
{
	memset(r, 0, sizeof(*r));
	memset(d, 0, sizeof(*d));
	r->op = op;
	r->iov[0] = (struct iovec){ buf, len };
	r->iovcnt = buf ? 1 : 0;
	r->off = off;
	r->len = buf ? 0 : len;
	r->done = rec_done;
	r->opaque = d;
}

static void test_async(void)
{
	static uint8_t buf[8192] __attribute__((aligned(4096)));
	struct blkdev_req r;
	struct done_rec d;
	struct blkdev *bd;

	image_create();
	bd = blkdev_open("raw", path, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	CU_ASSERT(blkdev_event_fd(bd) >= 0);
	req_init(&r, &d, BLKDEV_OP_READ, buf, 16, SIZE - 8);
	CU_ASSERT_EQUAL(blkdev_submit(bd, &r), -ERANGE);
	req_init(&r, &d, BLKDEV_OP_DISCARD, NULL, 4096, SIZE);
	CU_ASSERT_EQUAL(blkdev_submit(bd, &r), -ERANGE);
	CU_ASSERT_EQUAL(d.calls, 0);
	req_init(&r, &d, BLKDEV_OP_WRITE, (void *)"async", 5, 100);
	CU_ASSERT_EQUAL(blkdev_submit(bd, &r), 0);
	blkdev_drain(bd);
	CU_ASSERT_EQUAL(d.calls, 1);
	CU_ASSERT_EQUAL(d.result, 0);
	CU_ASSERT_EQUAL(image_byte(100), 'a');
	CU_ASSERT_EQUAL(image_byte(104), 'c');
	req_init(&r, &d, BLKDEV_OP_READ, buf, 3, 101);
	CU_ASSERT_EQUAL(blkdev_submit(bd, &r), 0);
	blkdev_drain(bd);
	CU_ASSERT_EQUAL(d.calls, 1);
	CU_ASSERT(memcmp(buf, "syn", 3) == 0);
	req_init(&r, &d, BLKDEV_OP_WRITE_ZEROES, NULL, 4096, 4096);
	CU_ASSERT_EQUAL(blkdev_submit(bd, &r), 0);
	blkdev_drain(bd);
	CU_ASSERT_EQUAL(d.calls, 1);
	CU_ASSERT_EQUAL(d.result, 0);
	req_init(&r, &d, BLKDEV_OP_FLUSH, NULL, 0, 0);
	CU_ASSERT_EQUAL(image_byte(4096), 0);
	CU_ASSERT_EQUAL(image_byte(8191), 0);
	CU_ASSERT_EQUAL(image_byte(8192), (uint8_t)8192);
	CU_ASSERT_EQUAL(blkdev_submit(bd, &r), 0);
	blkdev_drain(bd);
	CU_ASSERT_EQUAL(d.calls, 1);
	CU_ASSERT_EQUAL(d.result, 0);
	/* the image shrinks behind our back: the read ends early */
	CU_ASSERT_EQUAL(ftruncate(fd, SIZE / 2), 0);
	req_init(&r, &d, BLKDEV_OP_READ, buf, 4096, SIZE - 4096);
	CU_ASSERT_EQUAL(blkdev_submit(bd, &r), 0);
	blkdev_drain(bd);
	CU_ASSERT_EQUAL(d.calls, 1);
	CU_ASSERT_EQUAL(d.result, -EIO);
	blkdev_close(bd);
	image_remove();

	image_create();
	bd = blkdev_open("raw", path, BLKDEV_DIRECT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
	req_init(&r, &d, BLKDEV_OP_READ, buf + 1, 512, 512);	/* bounced */
	CU_ASSERT_EQUAL(blkdev_submit(bd, &r), 0);
	blkdev_drain(bd);
	CU_ASSERT_EQUAL(d.result, 0);
	CU_ASSERT_EQUAL(buf[1], 0);		/* byte 512 of the image */
	CU_ASSERT_EQUAL(buf[2], 1);
	req_init(&r, &d, BLKDEV_OP_READ, buf, 512, 100);	/* unaligned range */
	CU_ASSERT_EQUAL(blkdev_submit(bd, &r), -EINVAL);
	CU_ASSERT_EQUAL(d.calls, 0);
	blkdev_close(bd);
	image_remove();
}

/* io_uring_submit as the kernel may answer it (-EAGAIN, -EBUSY: nothing
 * taken) when fail_submits > 0; liburing's own otherwise. Defined here,
 * it takes the place of liburing's for blk_raw.c in this binary. */
static unsigned int fail_submits;

int io_uring_submit(struct io_uring *ring);
int io_uring_submit(struct io_uring *ring)
{
	static int (*real)(struct io_uring *);

	if (fail_submits) {
		fail_submits--;
		return -EAGAIN;
	}
	if (!real)
		real = (int (*)(struct io_uring *))dlsym(RTLD_NEXT,
							 "io_uring_submit");
	return real ? real(ring) : -ENOSYS;
}

/* A request whose submission failed was never started: the caller got
 * the error and no done, and may reuse the request and its buffers at
 * once. Nothing of it may reach the image later, with the next request's
 * submission, nor be answered twice. */
static void test_submit_fails(void)
{
	static uint8_t a[1024] __attribute__((aligned(512)));
	static uint8_t b[512] __attribute__((aligned(512)));
	struct blkdev_req r, r2;
	struct done_rec d, d2;
	struct blkdev *bd;

	for (unsigned int direct = 0; direct < 2; direct++) {
		image_create();
		bd = blkdev_open("raw", path, direct ? BLKDEV_DIRECT : 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
		memset(a, 0xaa, sizeof(a));
		memset(b, 0xbb, sizeof(b));
		/* unaligned on O_DIRECT: through a bounce buffer */
		req_init(&r, &d, BLKDEV_OP_WRITE, a + direct, 512, 0);
		fail_submits = 1;
		CU_ASSERT(blkdev_submit(bd, &r) < 0);
		CU_ASSERT_EQUAL(fail_submits, 0);
		memset(a, 0x11, sizeof(a));	/* the caller's again */
		req_init(&r2, &d2, BLKDEV_OP_WRITE, b, 512, 4096);
		CU_ASSERT_EQUAL(blkdev_submit(bd, &r2), 0);
		blkdev_drain(bd);
		CU_ASSERT_EQUAL(d2.calls, 1);
		CU_ASSERT_EQUAL(d2.result, 0);
		CU_ASSERT_EQUAL(d.calls, 0);
		CU_ASSERT_EQUAL(image_byte(4096), 0xbb);
		for (unsigned int i = 0; i < 512; i++)
			if (image_byte(i) != (uint8_t)i) {
				CU_FAIL("a failed write reached the image");
				break;
			}
		blkdev_close(bd);
		CU_ASSERT_EQUAL(d.calls, 0);
		image_remove();
	}
}

/* Between plug and unplug, adjacent reads or writes go as one I/O
 * (blk_raw.c): every request still gets its own bytes and exactly one
 * done; a merged read that the image ends in the middle of finishes the
 * requests before the end and fails only the rest; a batch the kernel
 * refuses fails each of its requests once. */
static void test_merge(void)
{
	static uint8_t buf[6][1024] __attribute__((aligned(512)));
	struct blkdev_req r[6];
	struct done_rec d[6];
	struct blkdev *bd;

	for (unsigned int direct = 0; direct < 2; direct++) {
		image_create();
		bd = blkdev_open("raw", path, direct ? BLKDEV_DIRECT : 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(bd);
		/* writes at 8192, 9216, 10240 (two buffers), then a read
		 * elsewhere and two adjacent reads */
		blkdev_plug(bd);
		for (unsigned int i = 0; i < 3; i++) {
			memset(buf[i], 0x10 + i, sizeof(buf[i]));
			req_init(&r[i], &d[i], BLKDEV_OP_WRITE, buf[i], 1024,
				 8192 + 1024 * i);
		}
		r[2].iov[0].iov_len = 512;
		r[2].iov[1] = (struct iovec){ buf[2] + 512, 512 };
		r[2].iovcnt = 2;
		req_init(&r[3], &d[3], BLKDEV_OP_READ, buf[3], 512, 0);
		req_init(&r[4], &d[4], BLKDEV_OP_READ, buf[4], 1024, 20480);
		req_init(&r[5], &d[5], BLKDEV_OP_READ, buf[5], 1024, 21504);
		for (unsigned int i = 0; i < 6; i++)
			CU_ASSERT_EQUAL(blkdev_submit(bd, &r[i]), 0);
		blkdev_unplug(bd);
		blkdev_drain(bd);
		for (unsigned int i = 0; i < 6; i++) {
			CU_ASSERT_EQUAL(d[i].calls, 1);
			CU_ASSERT_EQUAL(d[i].result, 0);
		}
		CU_ASSERT_EQUAL(image_byte(8191), (uint8_t)8191);
		CU_ASSERT_EQUAL(image_byte(8192), 0x10);
		CU_ASSERT_EQUAL(image_byte(9216 + 1023), 0x11);
		CU_ASSERT_EQUAL(image_byte(10240 + 600), 0x12);
		CU_ASSERT_EQUAL(image_byte(11264), (uint8_t)11264);
		CU_ASSERT_EQUAL(buf[3][511], (uint8_t)511);
		CU_ASSERT_EQUAL(buf[4][0], (uint8_t)20480);
		CU_ASSERT_EQUAL(buf[5][1023], (uint8_t)(21504 + 1023));

		/* the image ends inside the third of three merged reads */
		CU_ASSERT_EQUAL(ftruncate(fd, 4096 + 2048 + 512), 0);
		blkdev_plug(bd);
		for (unsigned int i = 0; i < 3; i++) {
			memset(buf[i], 0xee, sizeof(buf[i]));
			req_init(&r[i], &d[i], BLKDEV_OP_READ, buf[i], 1024,
				 4096 + 1024 * i);
			CU_ASSERT_EQUAL(blkdev_submit(bd, &r[i]), 0);
		}
		blkdev_unplug(bd);
		blkdev_drain(bd);
		CU_ASSERT_EQUAL(d[0].result, 0);
		CU_ASSERT_EQUAL(d[1].result, 0);
		CU_ASSERT_EQUAL(d[2].result, -EIO);
		for (unsigned int i = 0; i < 3; i++)
			CU_ASSERT_EQUAL(d[i].calls, 1);
		CU_ASSERT_EQUAL(buf[1][1023], (uint8_t)(5120 + 1023));

		/* the kernel takes nothing of the batch */
		blkdev_plug(bd);
		for (unsigned int i = 0; i < 3; i++) {
			memset(buf[i], 0x77, sizeof(buf[i]));
			req_init(&r[i], &d[i], BLKDEV_OP_WRITE, buf[i], 512,
				 512 * i);
			CU_ASSERT_EQUAL(blkdev_submit(bd, &r[i]), 0);
		}
		fail_submits = 1;
		blkdev_unplug(bd);
		CU_ASSERT_EQUAL(fail_submits, 0);
		blkdev_drain(bd);
		for (unsigned int i = 0; i < 3; i++) {
			CU_ASSERT_EQUAL(d[i].calls, 1);
			CU_ASSERT(d[i].result < 0);
		}
		CU_ASSERT_EQUAL(image_byte(1), 1);
		CU_ASSERT_EQUAL(image_byte(1535), (uint8_t)1535);
		blkdev_close(bd);
		image_remove();
	}
}

static CU_TestInfo tests[] = {
	{ "async", test_async },
	{ "merged requests", test_merge },
	{ "failed submission", test_submit_fails },
	{ "backend registry and open errors", test_registry },
	{ "read and write", test_read_write },
	{ "scattered buffers", test_scatter },
	{ "bounds", test_bounds },
	{ "read-only disk", test_read_only },
	{ "discard", test_discard },
	{ "image shrunk after open", test_shrunk },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(blockdev, NULL, NULL, tests);
