/*
 * The subcommands that make a new vdisk: create (an empty image), clone
 * (a merged copy of a vdisk or one of its snapshots) and import (a copy
 * of an image file or block device). Each builds the new vdisk in a
 * temporary directory and renames it into place (vd_new_*).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "vdcmd.h"

/* Fill the new vdisk's image from src (NULL: create an empty one of
 * m->max_size), commit it. */
static int create_vdisk(struct vdiskadm *v, const char *path,
			const struct vd_meta *m, const char *src,
			const char *sfmt)
{
	struct vd_new n;
	int ret = vd_new_begin(v, path, &n);

	if (ret == 0 && src)
		ret = img_convert(v, src, sfmt, n.tmp, "vdisk", m->type,
				  m->sparse);
	else if (ret == 0)
		ret = img_create(v, n.tmp, "vdisk", m->type, m->sparse,
				 m->max_size);
	if (ret == 0)
		ret = vd_new_commit(v, &n, m);
	vd_new_end(&n);
	return ret;
}

static int create_run(struct vdiskadm *v, struct cli_opts *o, char *path)
{
	const struct vd_type *t;
	struct vd_meta m;
	uint64_t size;
	bool sparse;

	if (!o->val['s'])
		return vd_usage_fail(v, "the size (-s) is required");
	if (vd_opt_size(v, o->val['s'], &size) ||
	    vd_opt_type(v, o->val['t'], &t, &sparse) ||
	    vd_opt_comment(v, o->val['c']) || vd_check_new(v, path))
		return 1;
	vd_meta_new(&m, path, t, sparse, size, o->val['c']);
	return create_vdisk(v, path, &m, NULL, NULL);
}

int vdcmd_create(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "s:t:c:", 1, &o);

	if (ret == 0)
		ret = create_run(vd_of(c), &o, argv[o.optind]);
	cli_opts_free(&o);
	return ret;
}

static int clone_run(struct vdiskadm *v, struct cli_opts *o,
		     const char *src, const char *path)
{
	struct vdisk d = { .dirfd = -1 };
	struct vd_meta m;
	char snap[VD_NAME_MAX + 1], *spath = NULL, *img = NULL;
	int ret = vd_split(v, src, &spath, snap);

	if (ret == 0 && (vd_opt_comment(v, o->val['c']) ||
			 vd_check_new(v, path)))
		ret = 1;
	if (ret == 0)
		ret = vd_open(v, spath, VD_READ, &d);
	if (ret == 0 && snap[0] && vd_meta_snap(&d.m, snap) < 0)
		ret = vd_fail(v, "Snapshot '%s@%s' does not exist", d.path,
			      snap);
	if (ret == 0 && !(img = vd_image_path(&d, snap[0] ? snap : NULL, 0)))
		ret = vd_fail(v, "out of memory");
	if (ret == 0) {
		vd_meta_new(&m, path, d.m.type, d.m.sparse, d.m.max_size,
			    o->val['c']);
		ret = create_vdisk(v, path, &m, img, d.m.type->qfmt);
	}
	free(img);
	free(spath);
	vd_close(&d);
	return ret;
}

int vdcmd_clone(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "c:", 2, &o);

	if (ret == 0)
		ret = clone_run(vd_of(c), &o, argv[o.optind],
				argv[o.optind + 1]);
	cli_opts_free(&o);
	return ret;
}

/*
 * A fixed VHD is the disk's bytes followed by a 512-byte footer that
 * starts with the cookie "conectix" (VHD specification, "Hard Disk
 * Footer Format"); it has no header, so qemu-img probes it as raw.
 */
static bool import_is_fixed_vhd(const char *file)
{
	char cookie[8];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
	bool yes = end >= 512 &&
		   pread(fd, cookie, sizeof(cookie), end - 512) ==
			   (ssize_t)sizeof(cookie) &&
		   memcmp(cookie, "conectix", 8) == 0;

	if (fd >= 0)
		close(fd);
	return yes;
}

/* What the file to import is: its format and size, checked. */
static int import_probe(struct vdiskadm *v, const char *file,
			struct img_info *info)
{
	struct stat st;

	if (stat(file, &st) < 0)
		return vd_fail(v, "Cannot open '%s': %s", file,
			       strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vd_fail(v, "'%s' is not a file or a block device",
			       file);
	if (img_info(v, file, NULL, info))
		return 1;
	if (strcmp(info->format, "raw") == 0 && import_is_fixed_vhd(file) &&
	    img_info(v, file, "vpc", info))
		return 1;
	/* the image must stand alone: a backing file named inside it
	 * would be read from wherever it points */
	if (info->backing)
		return vd_fail(v, "Cannot import '%s': it has a backing "
			       "file (import the image it is based on)", file);
	/* qemu-img rounds a raw file's size up to whole sectors; the
	 * bytes past its end would be made up */
	if (strcmp(info->format, "raw") == 0 && S_ISREG(st.st_mode))
		info->size = (uint64_t)st.st_size;
	if (info->size == 0 || info->size % 512 || info->size > VD_SIZE_MAX)
		return vd_fail(v, "Cannot import '%s': its size %llu is not "
			       "a whole number of 512-byte sectors up to 64T",
			       file, (unsigned long long)info->size);
	return 0;
}

static int import_run(struct vdiskadm *v, struct cli_opts *o,
		      const char *path)
{
	const struct vd_type *t;
	struct img_info info;
	struct vd_meta m;
	bool sparse;

	if (!o->val['d'])
		return vd_usage_fail(v, "the file to import (-d) is required");
	if (vd_opt_type(v, o->val['t'], &t, &sparse) ||
	    vd_opt_comment(v, o->val['c']) || vd_check_new(v, path) ||
	    import_probe(v, o->val['d'], &info))
		return 1;
	vd_meta_new(&m, path, t, sparse, info.size, o->val['c']);
	return create_vdisk(v, path, &m, o->val['d'], info.format);
}

int vdcmd_import(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "d:t:c:", 1, &o);

	if (ret == 0)
		ret = import_run(vd_of(c), &o, argv[o.optind]);
	cli_opts_free(&o);
	return ret;
}
