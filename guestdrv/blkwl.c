/*
 * blkwl.c: the disk workloads (docs/guest.md "Disks"), on disk= (default
 * disk 0, the first virtio-blk function):
 *
 * blkwrite   writes a pattern over blk_sectors sectors from blk_start,
 *            VBLK_BUF_SECTORS at a time with up to blk_qd requests in
 *            flight (default 1) over every queue the disk offers, flushes,
 *            reads it all back the same way and verifies every byte of
 *            each answer as it comes (in any order); prints throughput
 *            and "guest: blk: ok N sectors".
 * blkcheck   only reads and verifies (a pattern an earlier boot wrote).
 *            Both do that on blk_disks disks from disk= in turn, disk
 *            disk+i with seed blk_seed+i (so each disk's pattern is its
 *            own: disks in another order mismatch).
 * blkro      writes one sector of a read-only disk and expects I/O error.
 * badblk     sends malformed requests on queue blk_q (default 0) and
 *            expects error statuses, then shows with a valid read on that
 *            queue and on queue 0 that the device still works.
 * blkbench   for secs= seconds (default 5) per mode, the modes blk_mode=
 *            names (seqwrite, seqread, randwrite, randread, or all of them
 *            in that order) over blk_sectors from blk_start, blk_bs
 *            sectors a request (default 128 sequential, 8 random), blk_qd
 *            requests in flight (default 1) round robin over the queues:
 *            one line per mode with requests, IOPS and KiB/s (bench/disk).
 *
 * The pattern: every 8-byte word of sector s holds a value derived from
 * blk_seed, s and the word's index, so a sector written to the wrong
 * place, a stale sector and a sector of another seed all mismatch.
 */
#include "cmdline.h"
#include "virtio_blk.h"
#include "workload.h"

#define WORDS		(VBLK_SECTOR / 8)
#define FAR_AWAY	0xfffffff000ULL	/* 1 TiB: beyond any test guest */
#define NEEDS_RESET	64		/* device status bit (§2.1) */

static bool step_done(uint64_t now)
{
	(void)now;
	return false;
}

static uint64_t pattern(uint64_t seed, uint64_t sector, unsigned int w)
{
	uint64_t x = (seed << 40) ^ (sector * 0x9e3779b97f4a7c15ULL) ^ w;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

static void fill(uint8_t *buf, uint64_t seed, uint64_t sector, uint32_t n)
{
	uint64_t *p = (uint64_t *)buf;

	for (uint32_t s = 0; s < n; s++)
		for (unsigned int w = 0; w < WORDS; w++)
			*p++ = pattern(seed, sector + s, w);
}

/* The first sector of n that differs, or -1. */
static int64_t verify(const uint8_t *buf, uint64_t seed, uint64_t sector,
		      uint32_t n, uint64_t *got, uint64_t *want)
{
	const uint64_t *p = (const uint64_t *)buf;

	for (uint32_t s = 0; s < n; s++)
		for (unsigned int w = 0; w < WORDS; w++, p++)
			if (*p != pattern(seed, sector + s, w)) {
				*got = *p;
				*want = pattern(seed, sector + s, w);
				return (int64_t)(sector + s);
			}
	return -1;
}

static const char *status_name(int st)
{
	switch (st) {
	case VBLK_S_OK: return "ok";
	case VBLK_S_IOERR: return "I/O error";
	case VBLK_S_UNSUPP: return "unsupported";
	case -ETIMEDOUT: return "no answer";
	case -EIO: return "device needs reset";
	}
	return "unexpected status";
}

/* ---- blkwrite, blkcheck ---- */

enum { BW_WRITE, BW_FLUSH, BW_READ, BW_DONE };

static struct {
	const char *name;	/* "blk" or "blkcheck" for the output */
	struct vblk *b;
	uint64_t start, end, next, seed;
	unsigned int cur, ndisks;	/* the disk of ndisks being done */
	unsigned int qd;		/* requests in flight at most */
	int phase, first_phase;
	uint64_t t0, write_ns, read_ns;
} bw;

/* blk_qd, capped by the slots there are (said once if fewer). */
static unsigned int qd_setup(const char *name)
{
	unsigned int want = (unsigned int)cmdline_num("blk_qd");
	int have = vblk_slots(want);

	if (have < 1) {
		kprintf("guest: %s: no memory for request slots\n", name);
		return 0;
	}
	if ((unsigned int)have < want)
		kprintf("guest: %s: blk_qd=%u: memory for %d requests only\n",
			name, want, have);
	return MIN(want, (unsigned int)have);
}


static bool bw_setup(const char *name)
{
	bw.name = name;
	bw.ndisks = (unsigned int)cmdline_num("blk_disks");
	bw.b = vblk_get((unsigned int)cmdline_num("disk") + bw.cur);
	if (!bw.b)
		return false;
	bw.seed = cmdline_num("blk_seed") + bw.cur;
	bw.start = cmdline_num("blk_start");
	bw.end = bw.start + cmdline_num("blk_sectors");
	if (bw.end > bw.b->capacity) {
		kprintf("guest: %s: sectors %lu-%lu past the end of the disk (%lu)\n",
			name, bw.start, bw.end - 1, bw.b->capacity);
		bw.b = NULL;
		return false;
	}
	if (!vblk_claim(bw.b, &bw)) {
		kprintf("guest: %s: disk %u is in use by another workload\n",
			name, bw.b->index);
		bw.b = NULL;
		return false;
	}
	bw.next = bw.start;
	bw.qd = qd_setup(name);
	if (!bw.qd) {
		bw.b = NULL;
		return false;
	}
	if (bw.cur == 0 && (bw.qd > 1 || bw.b->nq > 1))
		kprintf("guest: %s: %u requests in flight over %u queues\n",
			name, bw.qd, bw.b->nq);
	bw.t0 = clock_ns();
	return true;
}

static void blkwrite_start(void)
{
	bw.first_phase = BW_WRITE;
	if (bw_setup("blk"))
		bw.phase = BW_WRITE;
}

static void blkcheck_start(void)
{
	bw.first_phase = BW_READ;
	if (bw_setup("blkcheck"))
		bw.phase = BW_READ;
}

/* KiB per second, 0 if no time passed. */
static uint64_t kibps(uint64_t sectors, uint64_t ns)
{
	return ns ? sectors * VBLK_SECTOR / 1024 * 1000000000ULL / ns : 0;
}

static bool bw_fail(const char *what, uint64_t sector, int st)
{
	kprintf("guest: %s: %s at sector %lu failed: %s (%d)\n", bw.name, what,
		sector, status_name(st), st);
	return false;
}

/* Keep up to bw.qd requests of this phase in flight (writes with their
 * pattern, reads into zeroed buffers), then take every answer there is
 * (waiting for one): a read's data verified at once. False on a
 * failure (reported). */
static bool bw_io(bool write)
{
	struct vblk_req *r;
	uint64_t got, want;
	int64_t bad;
	int err = 0;

	while (bw.b->inflight < bw.qd && bw.next < bw.end &&
	       (r = vblk_req_get())) {
		uint32_t n = (uint32_t)MIN(bw.end - bw.next,
					   (uint64_t)VBLK_BUF_SECTORS);

		if (write)
			fill(r->buf, bw.seed, bw.next, n);
		else
			memset(r->buf, 0, (size_t)n * VBLK_SECTOR);
		err = vblk_start_rw(bw.b, r, write, bw.next, n);
		if (err < 0) {
			vblk_req_put(r);
			return bw_fail(write ? "write" : "read", bw.next, err);
		}
		bw.next += n;
	}
	vblk_kick(bw.b);
	if (!bw.b->inflight) {
		if (bw.next == bw.end)
			return true;
		/* another workload holds every slot: no progress possible */
		kprintf("guest: %s: no free request slot\n", bw.name);
		return false;
	}
	r = vblk_wait(bw.b, &err);
	if (!r)
		return bw_fail(write ? "write" : "read",
			       vblk_lowest_sector(bw.b, bw.next), err);
	do {
		uint32_t want_len = write ? 1 : r->n * VBLK_SECTOR + 1;

		if (r->st != VBLK_S_OK)
			return bw_fail(write ? "write" : "read", r->sector, r->st);
		/* §2.7.8: the bytes the device wrote, status byte included */
		if (r->used_len != want_len) {
			kprintf("guest: %s: %s at sector %lu: used length %u, expected %u\n",
				bw.name, write ? "write" : "read", r->sector,
				r->used_len, want_len);
			return false;
		}
		if (!write) {
			bad = verify(r->buf, bw.seed, r->sector, r->n, &got, &want);
			if (bad >= 0) {
				kprintf("guest: %s: mismatch at sector %ld: read %#lx expected %#lx\n",
					bw.name, bad, got, want);
				return false;
			}
		}
		vblk_req_put(r);
	} while ((r = vblk_reap(bw.b)));
	return true;
}

static bool bw_step(uint64_t now)
{
	int st;

	if (!bw.b)
		return false;
	switch (bw.phase) {
	case BW_WRITE:
		if (!bw_io(true))
			return false;
		if (bw.next == bw.end && !bw.b->inflight)
			bw.phase = BW_FLUSH;
		return true;
	case BW_FLUSH:
		st = vblk_flush(bw.b);
		if (st != VBLK_S_OK)
			return bw_fail("flush", 0, st);
		bw.write_ns = now - bw.t0;
		kprintf("guest: blk: flushed %lu sectors from %lu seed %lu write_kibps=%lu\n",
			bw.end - bw.start, bw.start, bw.seed,
			kibps(bw.end - bw.start, bw.write_ns));
		bw.phase = BW_READ;
		bw.next = bw.start;
		bw.t0 = clock_ns();
		return true;
	case BW_READ:
		if (!bw_io(false))
			return false;
		if (bw.next < bw.end || bw.b->inflight)
			return true;
		bw.read_ns = clock_ns() - bw.t0;
		kprintf("guest: %s: ok %lu sectors from %lu seed %lu read_kibps=%lu\n",
			bw.name, bw.end - bw.start, bw.start, bw.seed,
			kibps(bw.end - bw.start, bw.read_ns));
		if (bw.b->nq > 1) {
			kprintf("guest: %s: requests per queue:", bw.name);
			for (unsigned int i = 0; i < bw.b->nq; i++)
				kprintf(" %lu", bw.b->started[i]);
			kprintf("\n");
		}
		vblk_release(bw.b, &bw);
		if (++bw.cur >= bw.ndisks || !bw_setup(bw.name))
			return false;
		bw.phase = bw.first_phase;	/* the next disk */
		return true;
	}
	return false;
}

const struct workload wl_blkwrite = {
	.name = "blkwrite", .start = blkwrite_start, .step = bw_step, .busy = true,
};

const struct workload wl_blkcheck = {
	.name = "blkcheck", .start = blkcheck_start, .step = bw_step, .busy = true,
};

/* ---- blkro ---- */

static void blkro_start(void)
{
	struct vblk *b = vblk_get((unsigned int)cmdline_num("disk"));
	int st;

	if (!b)
		return;
	kprintf("guest: blkro: device %s read-only\n", b->ro ? "says" : "does not say");
	st = vblk_rw(b, false, 0, 1);
	kprintf("guest: blkro: read sector 0: %s\n", status_name(st));
	fill(b->buf, 99, 0, 1);
	st = vblk_rw(b, true, 0, 1);
	if (st == VBLK_S_IOERR)
		kprintf("guest: blkro: write refused: I/O error\n");
	else
		kprintf("guest: blkro: write answered %s (%d), expected I/O error\n",
			status_name(st), st);
}

const struct workload wl_blkro = {
	.name = "blkro", .start = blkro_start, .step = step_done,
};

/* ---- badblk ---- */

/* One malformed request; prints what came back. */
static void bad_report(const char *what, int st, uint32_t used)
{
	kprintf("guest: badblk: %s: %s (status %d, used %u)\n", what,
		status_name(st), st, used);
}

/* A valid one-sector read of sector 0 on queue qi: the status. */
static int good_read(struct vblk *b, unsigned int qi)
{
	struct virtq_buf out[1], in[2];
	uint32_t used;

	*b->hdr = (struct vblk_hdr){ .type = VBLK_T_IN };
	out[0] = (struct virtq_buf){ b->hdr, sizeof(*b->hdr) };
	in[0] = (struct virtq_buf){ b->buf, VBLK_SECTOR };
	in[1] = (struct virtq_buf){ b->status, 1 };
	return vblk_submit(b, qi, out, 1, in, 2, &used);
}

static void badblk_start(void)
{
	struct vblk *b = vblk_get((unsigned int)cmdline_num("disk"));
	unsigned int qi = (unsigned int)cmdline_num("blk_q");
	struct vblk_hdr *h;
	struct virtq_buf out[2], in[2];
	uint32_t used;
	int st;

	if (!b)
		return;
	if (qi >= b->nq) {
		kprintf("guest: badblk: blk_q=%u: the disk has %u queue%s\n",
			qi, b->nq, b->nq == 1 ? "" : "s");
		return;
	}
	if (qi)
		kprintf("guest: badblk: on queue %u of %u\n", qi, b->nq);
	h = b->hdr;

	/* A header of 8 bytes: the sector is missing. */
	*h = (struct vblk_hdr){ .type = VBLK_T_IN };
	out[0] = (struct virtq_buf){ h, 8 };
	in[0] = (struct virtq_buf){ b->buf, VBLK_SECTOR };
	in[1] = (struct virtq_buf){ b->status, 1 };
	st = vblk_submit(b, qi, out, 1, in, 2, &used);
	bad_report("header of 8 bytes", st, used);

	/* The status byte device-readable: nowhere to answer. */
	*h = (struct vblk_hdr){ .type = VBLK_T_IN };
	out[0] = (struct virtq_buf){ h, sizeof(*h) };
	out[1] = (struct virtq_buf){ b->status, 1 };
	st = vblk_submit(b, qi, out, 2, NULL, 0, &used);
	kprintf("guest: badblk: read-only status byte: %s (used %u)\n",
		st == 0xff && used == 0 ? "returned unanswered" : "answered?!", used);

	/* One sector past the end, and a sector number that overflows. */
	*h = (struct vblk_hdr){ .type = VBLK_T_IN, .sector = b->capacity };
	out[0] = (struct virtq_buf){ h, sizeof(*h) };
	st = vblk_submit(b, qi, out, 1, in, 2, &used);
	bad_report("read past the end", st, used);
	*h = (struct vblk_hdr){ .type = VBLK_T_OUT, .sector = 1ULL << 62 };
	out[1] = (struct virtq_buf){ b->buf, VBLK_SECTOR };
	st = vblk_submit(b, qi, out, 2, in + 1, 1, &used);
	bad_report("write at sector 2^62", st, used);

	/* Data that is not a whole number of sectors. */
	*h = (struct vblk_hdr){ .type = VBLK_T_IN };
	in[0] = (struct virtq_buf){ b->buf, 100 };
	st = vblk_submit(b, qi, out, 1, in, 2, &used);
	bad_report("read of 100 bytes", st, used);

	/* Write data in a device-writable buffer. */
	*h = (struct vblk_hdr){ .type = VBLK_T_OUT };
	in[0] = (struct virtq_buf){ b->buf, VBLK_SECTOR };
	st = vblk_submit(b, qi, out, 1, in, 2, &used);
	bad_report("write with writable data", st, used);

	/* A type nobody defined. */
	*h = (struct vblk_hdr){ .type = 0x7777 };
	st = vblk_submit(b, qi, out, 1, in + 1, 1, &used);
	bad_report("request type 0x7777", st, used);

	/* GET_ID with a short buffer. */
	*h = (struct vblk_hdr){ .type = VBLK_T_GET_ID };
	in[0] = (struct virtq_buf){ b->buf, 4 };
	st = vblk_submit(b, qi, out, 1, in, 2, &used);
	bad_report("get-id into 4 bytes", st, used);

	st = good_read(b, qi);
	kprintf("guest: badblk: valid read after the bad requests: %s\n", status_name(st));
	if (qi) {
		st = good_read(b, 0);
		kprintf("guest: badblk: valid read on queue 0: %s\n", status_name(st));
	}

	/* A data buffer outside guest memory: the queue itself is broken,
	 * the device asks for a reset; after one it serves again. */
	*h = (struct vblk_hdr){ .type = VBLK_T_IN };
	in[0] = (struct virtq_buf){ (void *)(uintptr_t)FAR_AWAY, VBLK_SECTOR };
	st = vblk_submit(b, qi, out, 1, in, 2, &used);
	kprintf("guest: badblk: buffer outside guest memory: %s, device status %#x%s\n",
		status_name(st), vblk_device_status(b),
		vblk_device_status(b) & NEEDS_RESET ? " (needs reset)" : "");
	st = vblk_restart(b);
	if (st == 0)
		st = good_read(b, qi);
	kprintf("guest: badblk: valid read after a reset: %s\n", status_name(st));
	if (qi) {
		st = good_read(b, 0);
		kprintf("guest: badblk: valid read on queue 0 after a reset: %s\n",
			status_name(st));
	}
	kprintf("guest: badblk: done\n");
}

const struct workload wl_badblk = {
	.name = "badblk", .start = badblk_start, .step = step_done,
};

/* ---- blkbench ---- */

enum { BB_SEQWRITE, BB_SEQREAD, BB_RANDWRITE, BB_RANDREAD, BB_NMODES };

static const char *const bb_names[BB_NMODES] = {
	"seqwrite", "seqread", "randwrite", "randread",
};

static struct {
	struct vblk *b;
	uint64_t start, nsect, secs, rng;
	uint32_t bs_opt;
	unsigned int modes;	/* bit per mode still to run */
	int mode;		/* running, -1 none */
	uint32_t bs;
	unsigned int qd;	/* requests in flight at most */
	struct vblk_req *idle[VBLK_QD_MAX];	/* this run's slots not out */
	unsigned int nidle;
	uint64_t next, ops, t0;
} bb;

static uint64_t bb_rand(void)
{
	bb.rng ^= bb.rng << 13;	/* xorshift64 */
	bb.rng ^= bb.rng >> 7;
	bb.rng ^= bb.rng << 17;
	return bb.rng;
}

static void blkbench_start(void)
{
	const char *m = cmdline_str("blk_mode");

	bb.mode = -1;
	bb.b = vblk_get((unsigned int)cmdline_num("disk"));
	if (!bb.b)
		return;
	if (!strcmp(m, "all"))
		bb.modes = (1u << BB_NMODES) - 1;
	for (int i = 0; i < BB_NMODES; i++)
		if (!strcmp(m, bb_names[i]))
			bb.modes = 1u << i;
	bb.start = cmdline_num("blk_start");
	bb.nsect = cmdline_num("blk_sectors");
	bb.secs = cmdline_isset("secs") ? cmdline_num("secs") : 5;
	bb.bs_opt = (uint32_t)cmdline_num("blk_bs");
	bb.rng = cmdline_num("blk_seed") * 0x9e3779b97f4a7c15ULL + 1;
	if (!bb.modes || !bb.secs) {
		kprintf("guest: blkbench: blk_mode '%s' (seqwrite, seqread, "
			"randwrite, randread, all) or secs=0\n", m);
		bb.b = NULL;
	} else if (bb.start + bb.nsect > bb.b->capacity) {
		kprintf("guest: blkbench: sectors %lu-%lu past the end of the disk (%lu)\n",
			bb.start, bb.start + bb.nsect - 1, bb.b->capacity);
		bb.b = NULL;
	} else if (!vblk_claim(bb.b, &bb)) {
		kprintf("guest: blkbench: disk %u is in use by another workload\n",
			bb.b->index);
		bb.b = NULL;
	} else if (!(bb.qd = qd_setup("blkbench"))) {
		vblk_release(bb.b, &bb);
		bb.b = NULL;
	} else {
		/* slots another workload holds are not ours to use */
		for (bb.nidle = 0; bb.nidle < bb.qd; bb.nidle++)
			if (!(bb.idle[bb.nidle] = vblk_req_get()))
				break;
		if (bb.nidle < bb.qd)
			kprintf("guest: blkbench: blk_qd=%u: %u request slots free\n",
				bb.qd, bb.nidle);
		bb.qd = bb.nidle;
	}
	if (bb.b && !bb.qd) {
		vblk_release(bb.b, &bb);
		bb.b = NULL;
	} else if (bb.b) {
		kprintf("guest: blkbench: %u requests in flight over %u queue%s\n",
			bb.qd, bb.b->nq, bb.b->nq == 1 ? "" : "s");
	}
}

/* The next mode to run, set up; false when none is left. */
static bool bb_next_mode(uint64_t now)
{
	if (!bb.modes)
		return false;
	bb.mode = __builtin_ctz(bb.modes);
	bb.modes &= bb.modes - 1;
	bb.bs = bb.bs_opt ? bb.bs_opt :
		bb.mode == BB_SEQWRITE || bb.mode == BB_SEQREAD ? VBLK_BUF_SECTORS : 8;
	if (bb.bs > bb.nsect)
		bb.bs = (uint32_t)bb.nsect;
	if (bb.mode == BB_SEQWRITE || bb.mode == BB_RANDWRITE)
		for (unsigned int i = 0; i < bb.nidle; i++)
			fill(bb.idle[i]->buf, cmdline_num("blk_seed"), 0, bb.bs);
	bb.next = 0;
	bb.ops = 0;
	bb.t0 = now;
	return true;
}

static bool bb_failed(uint64_t sector, int st)
{
	kprintf("guest: blkbench: %s at sector %lu failed: %s (%d)\n",
		bb_names[bb.mode], sector, status_name(st), st);
	return false;
}

/* Take one answer (waiting for it) and every other one there is. */
static bool bb_reap(void)
{
	struct vblk_req *r;
	int err = 0;

	r = vblk_wait(bb.b, &err);
	if (!r)
		return bb_failed(vblk_lowest_sector(bb.b, bb.start), err);
	do {
		if (r->st != VBLK_S_OK)
			return bb_failed(r->sector, r->st);
		bb.ops++;
		bb.idle[bb.nidle++] = r;
	} while ((r = vblk_reap(bb.b)));
	return true;
}

static bool bb_step(uint64_t now)
{
	bool write, seq;
	uint64_t off, ns;
	int st;

	if (!bb.b)
		return false;
	if (bb.mode < 0 && !bb_next_mode(now)) {
		vblk_release(bb.b, &bb);
		kprintf("guest: blkbench: done\n");
		return false;
	}
	write = bb.mode == BB_SEQWRITE || bb.mode == BB_RANDWRITE;
	seq = bb.mode == BB_SEQWRITE || bb.mode == BB_SEQREAD;
	if (now - bb.t0 >= bb.secs * 1000000000ULL) {
		while (bb.b->inflight)	/* what is out counts too */
			if (!bb_reap())
				return false;
		if (write) {	/* what was written is on the disk */
			st = vblk_flush(bb.b);
			if (st != VBLK_S_OK) {
				kprintf("guest: blkbench: flush failed: %s (%d)\n",
					status_name(st), st);
				return false;
			}
		}
		ns = clock_ns() - bb.t0;
		kprintf("guest: blkbench: mode=%s bs=%lu qd=%u ops=%lu ms=%lu iops=%lu kibps=%lu\n",
			bb_names[bb.mode], (uint64_t)bb.bs * VBLK_SECTOR, bb.qd,
			bb.ops, ns / 1000000,
			ns ? bb.ops * (uint64_t)1000000000 / ns : 0,
			kibps(bb.ops * bb.bs, ns));
		bb.mode = -1;
		return true;
	}
	/* a few rounds a step; the clock is read between steps */
	for (int i = 0; i < 16; i++) {
		while (bb.nidle) {
			struct vblk_req *r = bb.idle[bb.nidle - 1];

			if (seq) {
				if (bb.next + bb.bs > bb.nsect)
					bb.next = 0;
				off = bb.next;
				bb.next += bb.bs;
			} else {
				off = bb_rand() % (bb.nsect / bb.bs) * bb.bs;
			}
			st = vblk_start_rw(bb.b, r, write, bb.start + off, bb.bs);
			if (st < 0)
				return bb_failed(bb.start + off, st);
			bb.nidle--;
		}
		vblk_kick(bb.b);
		if (!bb_reap())
			return false;
	}
	return true;
}

const struct workload wl_blkbench = {
	.name = "blkbench", .start = blkbench_start, .step = bb_step, .busy = true,
};
