/*
 * Disk procedures (issue 14): DOMAIN_GET_BLOCK_INFO (virsh domblkinfo).
 * A disk is raw (the only format hv serves), so its capacity is the size
 * of the file or block device; allocation what the file system holds of
 * the file (st_blocks) or the whole device; physical the file's size.
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
#include "proc.h"

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
	uint64_t alloc, size;
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
	if (stat(dk->path, &st) < 0) {
		rc = verr_set(&c->err, VERR_OPERATION_FAILED, "operation "
			      "failed: disk %s: '%.200s': %s", dk->target,
			      dk->path, strerror(errno));
		goto out;
	}
	if (S_ISBLK(st.st_mode)) {
		rc = proc_blkdev_size(dk->path, &size);
		if (rc < 0) {
			rc = verr_set(&c->err, VERR_OPERATION_FAILED,
				      "operation failed: disk %s: '%.200s': "
				      "%s", dk->target, dk->path,
				      strerror(-rc));
			goto out;
		}
		alloc = size;
	} else if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
		alloc = (uint64_t)st.st_blocks * 512;
	} else {
		rc = verr_set(&c->err, VERR_OPERATION_FAILED, "operation "
			      "failed: disk %s: '%.200s' is not a regular file "
			      "or block device", dk->target, dk->path);
		goto out;
	}
	xdr_put_u64(c->ret, alloc);
	xdr_put_u64(c->ret, size);	/* capacity: raw, all of it */
	xdr_put_u64(c->ret, size);	/* physical */
out:
	free(path);
	return rc;
}

static const struct proc proc_blk_procs[] = {
	{ 194, "DOMAIN_GET_BLOCK_INFO", proc_get_block_info, 0 },
};

const struct proc_group proc_blk_group = {
	"blk", proc_blk_procs, ARRAY_SIZE(proc_blk_procs)
};
