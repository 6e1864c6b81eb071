/*
 * list: the images that make up a vdisk, its snapshots oldest first (the
 * order vdisk.xml keeps) and then the vdisk itself; -f their files, -p
 * absolute paths. verify: every image is there, qemu-img reads it as
 * the format and size vdisk.xml says, with no backing file, and qemu-img
 * check finds no error in it.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vdcmd.h"

/* The image's file(s) (snap NULL: the live image), one a line. */
static void list_files(struct vdiskadm *v, const struct vdisk *d,
		       const char *dir, const char *snap)
{
	for (int i = 0; i < 2; i++) {
		char *p = vd_image_path(d, snap, i);

		if (p)
			fprintf(v->cli.out, "%s%s\n", dir,
				p + strlen(d->path));
		free(p);
	}
}

static int list_run(struct vdiskadm *v, const char *path, bool files,
		    bool full)
{
	struct vdisk d;
	char abs[PATH_MAX];
	const char *dir;
	int ret = vd_open(v, path, VD_META, &d);

	if (ret == 0 && full && !realpath(d.path, abs))
		ret = vd_fail(v, "cannot resolve '%s': %s", d.path,
			      strerror(errno));
	if (ret == 0) {
		dir = full ? abs : d.path;
		for (unsigned i = 0; i < d.m.nsnap; i++) {
			if (files)
				list_files(v, &d, dir, d.m.snap[i].name);
			else
				fprintf(v->cli.out, "%s@%s\n", dir,
					d.m.snap[i].name);
		}
		if (files) {
			list_files(v, &d, dir, NULL);
			fprintf(v->cli.out, "%s/%s\n", dir, VD_XML);
		} else {
			fprintf(v->cli.out, "%s\n", dir);
		}
	}
	vd_close(&d);
	return ret;
}

int vdcmd_list(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "pf", 1, &o);

	if (ret == 0)
		ret = list_run(vd_of(c), argv[o.optind], o.val['f'],
			       o.val['p']);
	cli_opts_free(&o);
	return ret;
}

/* Does the image's layout, where qemu-img tells it (vmdk's create-type),
 * differ from what vdisk.xml says? */
static bool verify_subformat(const struct vdisk *d,
			     const struct img_info *info)
{
	const char *want = d->m.type->opts[d->m.sparse];
	const char *eq = want ? strstr(want, "subformat=") : NULL;

	if (!info->subformat[0] || !eq)
		return false;
	eq += strlen("subformat=");
	return strncmp(eq, info->subformat, strcspn(eq, ",")) != 0 ||
	       strlen(info->subformat) != strcspn(eq, ",");
}

/* One image: 0 if sound, 1 after printing each thing wrong. */
static int verify_image(struct vdiskadm *v, const struct vdisk *d,
			const char *snap)
{
	const char *fmt = d->m.type->qfmt;
	struct img_info info;
	struct stat st;
	char *p[2] = { vd_image_path(d, snap, 0), vd_image_path(d, snap, 1) };
	int ret = 0;

	if (!p[0])
		ret = vd_fail(v, "out of memory");
	for (int i = 0; i < 2 && !ret; i++)
		if (p[i] && stat(p[i], &st) < 0)
			ret = vd_fail(v, "%s: %s", p[i], strerror(errno));
	if (ret == 0)
		ret = img_info(v, p[0], fmt, &info);
	if (ret == 0 && info.size != d->m.max_size)
		ret = vd_fail(v, "%s: its size is %llu bytes, vdisk.xml says "
			      "%llu", p[0], (unsigned long long)info.size,
			      (unsigned long long)d->m.max_size);
	if (ret == 0 && info.backing)
		ret = vd_fail(v, "%s: has a backing file", p[0]);
	if (ret == 0 && verify_subformat(d, &info))
		ret = vd_fail(v, "%s: a %s image, vdisk.xml says %s", p[0],
			      info.subformat, d->m.sparse ? "sparse" : "fixed");
	if (ret == 0)
		ret = img_check(v, p[0], fmt);
	free(p[0]);
	free(p[1]);
	return ret;
}

static int verify_run(struct vdiskadm *v, const char *path)
{
	struct vdisk d;
	int ret = vd_open(v, path, VD_META, &d);

	if (ret == 0) {
		for (unsigned i = 0; i < d.m.nsnap; i++)
			ret |= verify_image(v, &d, d.m.snap[i].name);
		ret |= verify_image(v, &d, NULL);
	}
	vd_close(&d);
	return ret;
}

int vdcmd_verify(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "", 1, &o);

	if (ret == 0)
		ret = verify_run(vd_of(c), argv[o.optind]);
	cli_opts_free(&o);
	return ret;
}
