/*
 * Snapshots, rollback and destroy. None of vdiskadm's types can hold a
 * snapshot inside its image (qemu-img's internal snapshots are qcow2's
 * alone), so a snapshot is a whole image of the vdisk's own type,
 * vdisk@<snap>.<ext> beside vdisk.<ext>, converted from the live image
 * by qemu-img; rollback converts it back over the live image. Both read
 * back as the same bytes as their source. vdisk.xml lists the snapshots
 * oldest first, and is written after the files appear and before they
 * go, so it never names a file that is not there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vdcmd.h"

/* "vdisk@<snap>" (malloc'd). */
static char *snap_base(const char *snap)
{
	char *b;

	return asprintf(&b, "vdisk@%s", snap) < 0 ? NULL : b;
}

/* Open vdname@snap from operand for changing, the snapshot's name in
 * snap; *idx its index (-1 if want_exists is false and it does not
 * exist). 0 or 1. */
static int snap_open(struct vdiskadm *v, const char *operand,
		     bool want_exists, struct vdisk *d,
		     char snap[VD_NAME_MAX + 1], int *idx)
{
	char *path = NULL;
	int ret = vd_split(v, operand, &path, snap);

	*d = (struct vdisk){ .dirfd = -1 };
	if (ret == 0 && !snap[0])
		ret = vd_usage_fail(v, "a snapshot name (<vdname>@<snapname>)"
				    " is required");
	if (ret == 0)
		ret = vd_open(v, path, VD_MODIFY, d);
	free(path);
	if (ret)
		return ret;
	*idx = vd_meta_snap(&d->m, snap);
	if (want_exists && *idx < 0)
		return vd_fail(v, "Snapshot '%s@%s' does not exist", d->path,
			       snap);
	if (!want_exists && *idx >= 0)
		return vd_fail(v, "Snapshot '%s@%s' already exists", d->path,
			       snap);
	return 0;
}

/* Remove snapshots idx.. from vdisk.xml, save it, then their files. */
static int snap_drop(struct vdiskadm *v, struct vdisk *d, unsigned idx,
		     unsigned count)
{
	struct vd_meta old = d->m;
	int ret;

	memmove(&d->m.snap[idx], &d->m.snap[idx + count],
		(d->m.nsnap - idx - count) * sizeof(d->m.snap[0]));
	d->m.nsnap -= count;
	ret = vd_save(v, d);
	for (unsigned i = idx; ret == 0 && i < idx + count; i++) {
		char *base = snap_base(old.snap[i].name);

		if (!base || img_remove(d->path, base, old.type,
					old.sparse) < 0)
			ret = vd_fail(v, "cannot remove the files of snapshot "
				      "'%s@%s'", d->path, old.snap[i].name);
		free(base);
	}
	return ret;
}

static int snapshot_run(struct vdiskadm *v, const char *operand)
{
	struct vdisk d;
	char snap[VD_NAME_MAX + 1], *base = NULL, *live = NULL;
	int idx, ret = snap_open(v, operand, false, &d, snap, &idx);

	if (ret == 0 && d.m.nsnap == VD_MAX_SNAPS)
		ret = vd_fail(v, "Cannot snapshot '%s': it has %d snapshots "
			      "already", d.path, VD_MAX_SNAPS);
	if (ret == 0 && (!(base = snap_base(snap)) ||
			 !(live = vd_image_path(&d, NULL, 0))))
		ret = vd_fail(v, "out of memory");
	if (ret == 0)
		ret = img_replace(v, &d, live, d.m.type->qfmt, base, d.m.type,
				  d.m.sparse);
	if (ret == 0) {
		struct vd_snap *s = &d.m.snap[d.m.nsnap++];

		snprintf(s->name, sizeof(s->name), "%s", snap);
		s->ctime = time(NULL);
		ret = vd_save(v, &d);
		if (ret)
			img_remove(d.path, base, d.m.type, d.m.sparse);
	}
	free(live);
	free(base);
	vd_close(&d);
	return ret;
}

int vdcmd_snapshot(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "", 1, &o);

	if (ret == 0)
		ret = snapshot_run(vd_of(c), argv[o.optind]);
	cli_opts_free(&o);
	return ret;
}

static int rollback_run(struct vdiskadm *v, const char *operand,
			bool recurse)
{
	struct vdisk d;
	char snap[VD_NAME_MAX + 1], *src = NULL;
	int idx, ret = snap_open(v, operand, true, &d, snap, &idx);
	unsigned later = ret ? 0 : d.m.nsnap - (unsigned)idx - 1;

	if (ret == 0 && later && !recurse)
		ret = vd_fail(v, "Cannot rollback to '%s@%s': more recent "
			      "snapshots exist (use -r to destroy them)",
			      d.path, snap);
	if (ret == 0 && !(src = vd_image_path(&d, snap, 0)))
		ret = vd_fail(v, "out of memory");
	if (ret == 0)
		ret = img_replace(v, &d, src, d.m.type->qfmt, "vdisk",
				  d.m.type, d.m.sparse);
	if (ret == 0 && later)
		ret = snap_drop(v, &d, (unsigned)idx + 1, later);
	free(src);
	vd_close(&d);
	return ret;
}

int vdcmd_rollback(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "r", 1, &o);

	if (ret == 0)
		ret = rollback_run(vd_of(c), argv[o.optind], o.val['r']);
	cli_opts_free(&o);
	return ret;
}

/* The whole vdisk: out of sight first (renamed to a hidden name beside
 * it), then its files. */
static int destroy_vdisk(struct vdiskadm *v, struct vdisk *d, bool recurse)
{
	const char *base = vd_basename(d->path);
	char *gone;
	int ret;

	if (d->m.nsnap && !recurse)
		return vd_fail(v, "Cannot destroy '%s': it has snapshots (use "
			       "-r to destroy them too)", d->path);
	if (asprintf(&gone, "%.*s.%s.vdiskadm-destroy-%d",
		     (int)(base - d->path), d->path, base, (int)getpid()) < 0)
		return vd_fail(v, "out of memory");
	if (rename(d->path, gone) < 0)
		ret = vd_fail(v, "Cannot destroy '%s': %s", d->path,
			      strerror(errno));
	else if ((ret = vd_remove_dir(gone)) < 0)
		ret = vd_fail(v, "'%s' destroyed, but removing its files from "
			      "%s failed: %s", d->path, gone, strerror(-ret));
	free(gone);
	return ret;
}

static int destroy_run(struct vdiskadm *v, const char *operand,
		       bool recurse)
{
	struct vdisk d = { .dirfd = -1 };
	const char *at = strrchr(operand, '@');
	char snap[VD_NAME_MAX + 1];
	int idx, ret;

	if (at && !strchr(at, '/')) {	/* vdname@snap */
		if (recurse)
			return vd_usage_fail(v, "-r destroys a vdisk's "
					     "snapshots with it; it takes no "
					     "snapshot name");
		ret = snap_open(v, operand, true, &d, snap, &idx);
		if (ret == 0)
			ret = snap_drop(v, &d, (unsigned)idx, 1);
	} else {
		ret = vd_open(v, operand, VD_MODIFY, &d);
		if (ret == 0)
			ret = destroy_vdisk(v, &d, recurse);
	}
	vd_close(&d);
	return ret;
}

int vdcmd_destroy(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "r", 1, &o);

	if (ret == 0)
		ret = destroy_run(vd_of(c), argv[o.optind], o.val['r']);
	cli_opts_free(&o);
	return ret;
}
