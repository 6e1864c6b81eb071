/*
 * move (into another directory, keeping the name) and rename (a new
 * name in the same directory): one rename(2) of the vdisk's directory
 * that never replaces anything (RENAME_NOREPLACE), and vdisk.xml's name
 * updated after a rename. Across file systems the move is refused
 * rather than copied.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vdcmd.h"

/* Rename d's directory to dst; d->path becomes dst. 0 or 1. */
static int move_dir(struct vdiskadm *v, struct vdisk *d, char *dst)
{
	if (renameat2(AT_FDCWD, d->path, AT_FDCWD, dst,
		      RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			return vd_fail(v, "'%s' already exists", dst);
		if (errno == EXDEV)
			return vd_fail(v, "Cannot move '%s' to another file "
				       "system", d->path);
		return vd_fail(v, "Cannot move '%s' to '%s': %s", d->path,
			       dst, strerror(errno));
	}
	free(d->path);
	d->path = dst;
	return 0;
}

static int move_run(struct vdiskadm *v, const char *path, const char *dir)
{
	struct vdisk d;
	struct stat st;
	char *dst = NULL;
	int ret;

	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return vd_fail(v, "'%s' is not a directory", dir);
	ret = vd_open(v, path, VD_MODIFY, &d);
	if (ret == 0 && asprintf(&dst, "%s/%s", dir,
				 vd_basename(d.path)) < 0) {
		dst = NULL;
		ret = vd_fail(v, "out of memory");
	}
	if (ret == 0 && move_dir(v, &d, dst) == 0)
		dst = NULL;	/* d owns it */
	else if (ret == 0)
		ret = 1;
	free(dst);
	vd_close(&d);
	return ret;
}

int vdcmd_move(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "", 2, &o);

	if (ret == 0)
		ret = move_run(vd_of(c), argv[o.optind], argv[o.optind + 1]);
	cli_opts_free(&o);
	return ret;
}

static int rename_run(struct vdiskadm *v, const char *path,
		      const char *name)
{
	struct vdisk d;
	const char *base;
	char *dst = NULL;
	int ret;

	if (!vd_name_valid(name))
		return vd_fail(v, "Invalid virtual disk name '%.80s' (a name, "
			       "not a path: use move to change directory)",
			       name);
	ret = vd_open(v, path, VD_MODIFY, &d);
	if (ret == 0) {
		base = vd_basename(d.path);
		if (asprintf(&dst, "%.*s%s", (int)(base - d.path), d.path,
			     name) < 0) {
			dst = NULL;
			ret = vd_fail(v, "out of memory");
		}
	}
	if (ret == 0) {
		ret = move_dir(v, &d, dst);
		if (ret == 0) {
			dst = NULL;
			snprintf(d.m.name, sizeof(d.m.name), "%s", name);
			ret = vd_save(v, &d);
		}
	}
	free(dst);
	vd_close(&d);
	return ret;
}

int vdcmd_rename(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "", 2, &o);

	if (ret == 0)
		ret = rename_run(vd_of(c), argv[o.optind], argv[o.optind + 1]);
	cli_opts_free(&o);
	return ret;
}
