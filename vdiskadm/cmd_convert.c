/*
 * export (a merged copy of the live image to a file, of any type) and
 * convert (the vdisk's own image to another type, in place). Both are
 * one qemu-img convert; convert builds the new image in a work
 * directory, swaps it in, rewrites vdisk.xml, and only then removes the
 * old type's files.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vdcmd.h"

static int export_run(struct vdiskadm *v, struct cli_opts *o,
		      const char *path)
{
	const struct vd_type *t;
	struct vdisk d;
	char *live;
	bool sparse;
	int ret;

	if (!o->val['x'] || !o->val['d'])
		return vd_usage_fail(v, "the type (-x) and the file (-d) are "
				     "required");
	if (vd_opt_type(v, o->val['x'], &t, &sparse))
		return 1;
	ret = vd_open(v, path, VD_READ, &d);
	if (ret == 0) {
		live = vd_image_path(&d, NULL, 0);
		ret = live ? img_export(v, live, d.m.type->qfmt, o->val['d'],
					t, sparse)
			   : vd_fail(v, "out of memory");
		free(live);
	}
	vd_close(&d);
	return ret;
}

int vdcmd_export(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "x:d:", 1, &o);

	if (ret == 0)
		ret = export_run(vd_of(c), &o, argv[o.optind]);
	cli_opts_free(&o);
	return ret;
}

/* Remove the old image's files that the new one did not replace. */
static void convert_cleanup(const char *dir, const struct vd_meta *old,
			    const struct vd_meta *new)
{
	char *of[2], *nf[2];

	if (vd_type_files(old->type, old->sparse, "vdisk", of) < 0)
		return;
	if (vd_type_files(new->type, new->sparse, "vdisk", nf) == 0) {
		for (int i = 0; i < 2; i++) {
			char *p;

			if (!of[i] || (nf[0] && !strcmp(of[i], nf[0])) ||
			    (nf[1] && !strcmp(of[i], nf[1])))
				continue;
			if (asprintf(&p, "%s/%s", dir, of[i]) >= 0) {
				unlink(p);
				free(p);
			}
		}
		free(nf[0]);
		free(nf[1]);
	}
	free(of[0]);
	free(of[1]);
}

static int convert_run(struct vdiskadm *v, const char *type,
		       const char *path)
{
	const struct vd_type *t;
	struct vd_meta old;
	struct vdisk d;
	char *live = NULL;
	bool sparse;
	int ret;

	if (vd_opt_type(v, type, &t, &sparse))
		return 1;
	ret = vd_open(v, path, VD_MODIFY, &d);
	if (ret == 0 && d.m.nsnap)
		ret = vd_fail(v, "Cannot convert '%s': it has snapshots",
			      d.path);
	if (ret == 0 && d.m.type == t && d.m.sparse == sparse)
		ret = vd_fail(v, "'%s' is already of type %s", d.path, type);
	if (ret == 0 && !(live = vd_image_path(&d, NULL, 0)))
		ret = vd_fail(v, "out of memory");
	if (ret == 0)
		ret = img_replace(v, &d, live, d.m.type->qfmt, "vdisk", t,
				  sparse);
	if (ret == 0) {
		old = d.m;
		d.m.type = t;
		d.m.sparse = sparse;
		ret = vd_save(v, &d);
		if (ret == 0)
			convert_cleanup(d.path, &old, &d.m);
	}
	free(live);
	vd_close(&d);
	return ret;
}

int vdcmd_convert(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "t:", 1, &o);

	if (ret == 0 && !o.val['t'])
		ret = cli_usage_fail(c, "the type (-t) is required");
	if (ret == 0)
		ret = convert_run(vd_of(c), o.val['t'], argv[o.optind]);
	cli_opts_free(&o);
	return ret;
}
