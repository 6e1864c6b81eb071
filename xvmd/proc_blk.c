/*
 * Disk procedures (issue 14): DOMAIN_GET_BLOCK_INFO (virsh domblkinfo),
 * DOMAIN_BLOCK_STATS and DOMAIN_BLOCK_STATS_FLAGS (virsh domblkstat: hv's
 * counters of completed requests since it started).
 * A raw disk's capacity is the size of the file or block device;
 * allocation what the file system holds of the file (st_blocks) or the
 * whole device; physical the file's size. An image in another format
 * (or a vdisk's) has the virtual size qemu-img info gives as capacity,
 * what its files hold as allocation (qemu-img's actual-size: st_blocks,
 * with a fixed vmdk's data file) and the image file's size as physical.
 * Disks qemu-storage-daemon serves have no counters in hv: their stats
 * are refused as unavailable rather than made up.
 * Numbers and layouts are remote_protocol.x's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include "dom.h"
#include "dom_disk.h"
#include "proc.h"
#include "stats.h"

/* The disk a path names: its <target dev> or its source path, as
 * libvirt accepts either. NULL if none. */
static const struct dom_disk *proc_find_disk(const struct dom *d,
					     const char *path)
{
	unsigned int i;

	for (i = 0; i < d->cfg.ndisks; i++)
		if (!strcmp(d->cfg.disks[i].target, path) ||
		    !strcmp(d->cfg.disks[i].path, path))
			return &d->cfg.disks[i];
	return NULL;
}

/* A block device's size in bytes (BLKGETSIZE64): 0 or -errno. */
static int proc_blkdev_size(const char *path, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, BLKGETSIZE64, size) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* DOMAIN_GET_BLOCK_INFO {dom; string path; u32 flags} ->
 * {uhyper allocation; uhyper capacity; uhyper physical}. */
PROC_DECL(proc_get_block_info)
{
	struct dom *d = proc_get_dom(c);
	char *path = xdr_get_string(c->args, 4096);
	uint32_t flags = xdr_get_u32(c->args);
	const struct dom_disk *dk;
	struct dom_disk_src src;
	char err[DOM_PATH_MAX + 300];
	uint64_t alloc, size, phys;
	struct stat st;
	int rc;

	rc = proc_dom_ready(c, d, true);
	if (rc)
		goto out;
	if (flags) {
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "unsupported flags (0x%x)", flags);
		goto out;
	}
	dk = proc_find_disk(d, path);
	if (!dk) {
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "invalid path %.200s not assigned to domain",
			      path);
		goto out;
	}
	rc = dom_disk_resolve(dk, &src, false, err, sizeof(err));
	if (rc < 0) {
		rc = verr_set(&c->err, VERR_OPERATION_FAILED, "operation "
			      "failed: %s", err);
		goto out;
	}
	if (stat(src.image, &st) < 0) {
		rc = verr_set(&c->err, VERR_OPERATION_FAILED, "operation "
			      "failed: disk %s: '%.200s': %s", dk->target,
			      src.image, strerror(errno));
		goto out;
	}
	if (S_ISBLK(st.st_mode)) {
		rc = proc_blkdev_size(src.image, &size);
		if (rc < 0) {
			rc = verr_set(&c->err, VERR_OPERATION_FAILED,
				      "operation failed: disk %s: '%.200s': "
				      "%s", dk->target, src.image,
				      strerror(-rc));
			goto out;
		}
		alloc = size;
	} else {
		size = (uint64_t)st.st_size;
		alloc = (uint64_t)st.st_blocks * 512;
	}
	phys = size;
	if (dom_disk_qsd(&src)) {
		rc = dom_img_vsize(&src, &size, &alloc, err, sizeof(err));
		if (rc < 0) {
			rc = verr_set(&c->err, VERR_OPERATION_FAILED,
				      "operation failed: disk %s: %s",
				      dk->target, err);
			goto out;
		}
	}
	xdr_put_u64(c->ret, alloc);
	xdr_put_u64(c->ret, size);	/* capacity: what the guest sees */
	xdr_put_u64(c->ret, phys);
out:
	free(path);
	return rc;
}

#define BLK_DISKS_MAX		16	/* more than a domain may have */
#define BLK_STATS_NPARAMS	9

/* The disk path names (a target or a source path) of a running domain:
 * its index in d->cfg.disks, or a verr code set on c. */
static int proc_disk_index(struct remote_call *c, struct dom *d,
			   const char *path)
{
	const struct dom_disk *dk;
	int rc = proc_dom_ready(c, d, true);

	if (rc)
		return rc;
	dk = proc_find_disk(d, path);
	if (!dk)
		return verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
				"invalid path: %.200s", path);
	if (!dom_active(d) || d->pid <= 0)
		return verr_set(&c->err, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: domain is not "
				"running");
	return (int)(dk - d->cfg.disks);
}

/* Disk idx's counters out of hv's n: 0, or -errno with e. */
static int proc_disk_pick(const struct dom *d, const struct dom_disk_stats *all,
			  int n, int idx, struct dom_disk_stats *st,
			  struct verr *e)
{
	const struct dom_disk *dk = &d->cfg.disks[idx];

	if (idx >= n)
		return verr_set(e, VERR_OPERATION_FAILED, "operation "
				"failed: hv of '%s' does not serve disk %s",
				d->cfg.name, dk->target);
	*st = all[idx];
	if (!st->avail)
		return verr_set(e, VERR_OPERATION_UNSUPPORTED, "Operation "
				"not supported: disk %s is a %s image served "
				"by qemu-storage-daemon: xvmd has no I/O "
				"counters for it", dk->target,
				d->src[idx].format);
	return 0;
}

/* DOMAIN_BLOCK_STATS's reply: {hyper rd_req, rd_bytes, wr_req,
 * wr_bytes, errs}. */
static void proc_put_block_stats(struct xdr_out *ret,
				 const struct dom_disk_stats *st)
{
	xdr_put_u64(ret, st->rd_req);
	xdr_put_u64(ret, st->rd_bytes);
	xdr_put_u64(ret, st->wr_req);
	xdr_put_u64(ret, st->wr_bytes);
	xdr_put_u64(ret, st->errors);
}

/* DOMAIN_BLOCK_STATS_FLAGS's reply: {typed_param params<16>; int
 * nparams}; nparams 0 asks how many there are (virsh does that first),
 * otherwise the first nparams of them. */
static void proc_put_block_stats_flags(struct xdr_out *ret,
				       const struct dom_disk_stats *st,
				       int32_t nparams)
{
	struct tp_list l;

	tp_begin(&l, ret);
	if (nparams > 0) {
		const struct { const char *name; uint64_t v; } p[] = {
			{ "rd_bytes", st->rd_bytes },
			{ "rd_operations", st->rd_req },
			{ "rd_total_times", st->rd_ns },
			{ "wr_bytes", st->wr_bytes },
			{ "wr_operations", st->wr_req },
			{ "wr_total_times", st->wr_ns },
			{ "flush_operations", st->fl_req },
			{ "flush_total_times", st->fl_ns },
			{ "errs", st->errors },
		};
		_Static_assert(ARRAY_SIZE(p) == BLK_STATS_NPARAMS, "count");

		for (int i = 0; i < nparams && i < BLK_STATS_NPARAMS; i++)
			tp_ullong(&l, p[i].v, "%s", p[i].name);
	}
	tp_end(&l);
	xdr_put_i32(ret, nparams ? MIN(nparams, BLK_STATS_NPARAMS) :
		    BLK_STATS_NPARAMS);
}

/* A block-stats call waiting for hv's blkstats on the loop. */
struct blk_later {
	struct remote_defer *rd;
	int idx;		/* the disk */
	bool flags_form;	/* BLOCK_STATS_FLAGS, else BLOCK_STATS */
	int32_t nparams;
};

static void proc_blk_done(void *opaque, struct dom *d, int n,
			  const struct dom_disk_stats *all,
			  const struct verr *e)
{
	struct blk_later *l = opaque;
	struct dom_disk_stats st = { .avail = false };
	struct xdr_out ret;
	struct verr e2;
	int rc = n < 0 ? n : proc_disk_pick(d, all, n, l->idx, &st, &e2);

	xdr_out_init(&ret);
	if (rc == 0 && l->flags_form)
		proc_put_block_stats_flags(&ret, &st, l->nparams);
	else if (rc == 0)
		proc_put_block_stats(&ret, &st);
	remote_defer_reply(l->rd, rc, rc < 0 ? (n < 0 ? e : &e2) : NULL,
			   &ret);
	xdr_out_free(&ret);
	free(l);
}

/* Ask hv for disk idx's counters; the reply when it answers (the loop
 * serves others meanwhile). PROC_LATER or -errno with c->err. */
static int proc_blk_later(struct remote_call *c, struct dom *d, int idx,
			  bool flags_form, int32_t nparams)
{
	struct blk_later *l = calloc(1, sizeof(*l));
	int rc;

	if (!l || !(l->rd = remote_call_defer(c))) {
		free(l);
		return verr_nomem(&c->err);
	}
	l->idx = idx;
	l->flags_form = flags_form;
	l->nparams = nparams;
	rc = dom_disk_stats_async(d, proc_blk_done, l, &c->err);
	if (rc < 0) {
		remote_defer_cancel(l->rd);
		free(l);
		return rc;
	}
	return PROC_LATER;
}

/* DOMAIN_BLOCK_STATS {dom; string path} -> {hyper rd_req, rd_bytes,
 * wr_req, wr_bytes, errs}. */
PROC_DECL(proc_block_stats)
{
	struct dom *d = proc_get_dom(c);
	char *path = xdr_get_string(c->args, 4096);
	int rc = proc_disk_index(c, d, path);

	if (rc >= 0)
		rc = proc_blk_later(c, d, rc, false, 0);
	free(path);
	return rc;
}

/* DOMAIN_BLOCK_STATS_FLAGS {dom; string path; int nparams; u32 flags} ->
 * {typed_param params<16>; int nparams}. */
PROC_DECL(proc_block_stats_flags)
{
	struct dom *d = proc_get_dom(c);
	char *path = xdr_get_string(c->args, 4096);
	int32_t nparams = xdr_get_i32(c->args);
	uint32_t flags = xdr_get_u32(c->args);
	int rc;

	rc = proc_dom_ready(c, d, true);
	if (rc)
		goto out;
	if (nparams < 0 || nparams > 16) {
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "nparams %d out of range", nparams);
		goto out;
	}
	/* VIR_TYPED_PARAM_STRING_OKAY (1 << 2) is the only flag */
	if (flags & ~(1u << 2)) {
		rc = verr_set(&c->err, VERR_INVALID_ARG, "invalid argument: "
			      "unsupported flags (0x%x)", flags);
		goto out;
	}
	rc = proc_disk_index(c, d, path);
	if (rc >= 0)
		rc = proc_blk_later(c, d, rc, true, nparams);
out:
	free(path);
	return rc;
}

static const struct proc proc_blk_procs[] = {
	{ 64, "DOMAIN_BLOCK_STATS", proc_block_stats, 0 },
	{ 194, "DOMAIN_GET_BLOCK_INFO", proc_get_block_info, 0 },
	{ 243, "DOMAIN_BLOCK_STATS_FLAGS", proc_block_stats_flags, 0 },
};

const struct proc_group proc_blk_group = {
	"blk", proc_blk_procs, ARRAY_SIZE(proc_blk_procs)
};
