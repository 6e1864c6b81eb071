/*
 * Image work, all of it through qemu-img (qemuimg.c): create, convert
 * (snapshots, rollback, clone, import, export and convert are each a
 * conversion into a new image of the vdisk's type), info and check.
 * Images are always opened with their format named (-f): a fixed VHD
 * has no header and would be probed as raw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>

#include "vdiskadm.h"

#define WORKDIR	".vdiskadm-work"

/*
 * A file name as qemu-img must see it: qemu-img reads a name starting
 * with '-' as an option, and one with a ':' before any '/' as a
 * protocol ("nbd:", "json:"). A relative name gets "./" in front, which
 * is neither. malloc'd.
 */
static char *img_arg(const char *path)
{
	char *p;

	if (path[0] == '/')
		return strdup(path);
	return asprintf(&p, "./%s", path) < 0 ? NULL : p;
}

/* Why qemu-img's command failed (st: qimg_run's result, not 0); 1. */
static int img_report(struct vdiskadm *v, const char *cmd, int st,
		      const char *err)
{
	if (st == -ETIMEDOUT)
		return vd_fail(v, "%s %s did not finish in time and was "
			       "stopped", qimg_program(), cmd);
	if (st == -ENOENT)
		return vd_fail(v, "cannot run %s: not installed (Debian "
			       "package qemu-utils)", qimg_program());
	if (st < 0)
		return vd_fail(v, "cannot run %s: %s", qimg_program(),
			       strerror(-st));
	if (err[0])
		return vd_fail(v, "%s", err);
	return vd_fail(v, "%s %s failed (exit status %d)", qimg_program(),
		       cmd, st);
}

/* Run qemu-img; 0 on exit status 0, else 1 after printing why. out as
 * qimg_run's. */
static int img_run(struct vdiskadm *v, const char *const *args, char **out)
{
	char err[512];
	int st = qimg_run(args, out, err, sizeof(err));

	if (st == 0)
		return 0;
	if (out) {
		free(*out);
		*out = NULL;
	}
	return img_report(v, args[0], st, err);
}

/* The -o value for t (NULL: none). *buf is freed by the caller. */
static const char *img_opts(const struct vd_type *t, bool sparse,
			    char **buf)
{
	const char *o = t->opts[sparse], *c = t->create_opts;

	*buf = NULL;
	if (!c)
		return o && *o ? o : NULL;
	if (!o || !*o)
		return c;
	if (asprintf(buf, "%s,%s", o, c) < 0)
		return NULL;
	return *buf;
}

static char *img_path(const char *dir, const char *base,
		      const struct vd_type *t, bool sparse, int file)
{
	char *files[2], *p = NULL;

	if (vd_type_files(t, sparse, base, files) < 0)
		return NULL;
	if (files[file] && asprintf(&p, "%s%s/%s", dir[0] == '/' ? "" : "./",
				    dir, files[file]) < 0)
		p = NULL;
	free(files[0]);
	free(files[1]);
	return p;
}

int img_create(struct vdiskadm *v, const char *dir, const char *base,
	       const struct vd_type *t, bool sparse, uint64_t size)
{
	char *path = img_path(dir, base, t, sparse, 0), *ob, sz[24];
	const char *opts = img_opts(t, sparse, &ob);
	const char *args[] = { "create", "-q", "-f", t->qfmt,
			       opts ? "-o" : path, opts ? opts : sz,
			       path, sz, NULL };
	int ret;

	snprintf(sz, sizeof(sz), "%llu", (unsigned long long)size);
	if (!opts)	/* without -o: create -q -f FMT PATH SIZE */
		args[6] = NULL;
	ret = path ? img_run(v, args, NULL) : vd_fail(v, "out of memory");
	free(ob);
	free(path);
	return ret;
}

static int img_convert_to(struct vdiskadm *v, const char *source,
			  const char *sfmt, const char *dest,
			  const struct vd_type *t, bool sparse)
{
	char *ob, *src = img_arg(source), *dst = img_arg(dest);
	const char *opts = img_opts(t, sparse, &ob);
	const char *args[] = { "convert", "-q", "-f", sfmt, "-O", t->qfmt,
			       opts ? "-o" : src, opts ? opts : dst,
			       src, dst, NULL };
	int ret;

	if (!opts)
		args[8] = NULL;
	ret = src && dst ? img_run(v, args, NULL) : vd_fail(v, "out of memory");
	free(ob);
	free(src);
	free(dst);
	return ret;
}

int img_convert(struct vdiskadm *v, const char *src, const char *sfmt,
		const char *dir, const char *base, const struct vd_type *t,
		bool sparse)
{
	char *dst = img_path(dir, base, t, sparse, 0);
	int ret;

	if (!dst)
		return vd_fail(v, "out of memory");
	ret = img_convert_to(v, src, sfmt, dst, t, sparse);
	free(dst);
	return ret;
}

int img_export(struct vdiskadm *v, const char *src, const char *sfmt,
	       const char *dst, const struct vd_type *t, bool sparse)
{
	struct stat st;

	if (lstat(dst, &st) == 0)
		return vd_fail(v, "'%s' already exists", dst);
	return img_convert_to(v, src, sfmt, dst, t, sparse);
}

/* Move the image base of t from dir src to dir dst, data file first. */
static int img_move(const char *src, const char *dst, const char *base,
		    const struct vd_type *t, bool sparse)
{
	for (int i = 1; i >= 0; i--) {
		char *a = img_path(src, base, t, sparse, i);
		char *b = img_path(dst, base, t, sparse, i);
		int ret = 0;

		if (a && b && rename(a, b) < 0)
			ret = -errno;
		else if (!a != !b)
			ret = -ENOMEM;
		free(a);
		free(b);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int img_replace(struct vdiskadm *v, struct vdisk *d, const char *src,
		const char *sfmt, const char *base, const struct vd_type *t,
		bool sparse)
{
	char *work;
	int ret, mv;

	if (asprintf(&work, "%s/%s", d->path, WORKDIR) < 0)
		return vd_fail(v, "out of memory");
	vd_remove_dir(work);	/* left by a run that was killed */
	if (mkdir(work, 0700) < 0) {
		ret = vd_fail(v, "cannot create %s: %s", work,
			      strerror(errno));
		goto out;
	}
	ret = img_convert(v, src, sfmt, work, base, t, sparse);
	if (ret == 0 && (mv = img_move(work, d->path, base, t, sparse)) < 0)
		ret = vd_fail(v, "cannot move the new image into '%s': %s",
			      d->path, strerror(-mv));
	vd_remove_dir(work);
out:
	free(work);
	return ret;
}

/* vmdk's "format-specific": {"data": {"create-type": ...}}, or "". */
static const char *img_create_type(json_t *j)
{
	json_t *data = json_object_get(json_object_get(j, "format-specific"),
				       "data");
	const char *t = json_string_value(json_object_get(data,
							   "create-type"));

	return t ? t : "";
}

static int img_info_parse(struct vdiskadm *v, const char *path,
			  const char *text, struct img_info *info)
{
	json_t *j = json_loads(text, 0, NULL);
	const char *fmt = json_string_value(json_object_get(j, "format"));
	json_t *size = json_object_get(j, "virtual-size");
	int ret = 0;

	if (!fmt || !json_is_integer(size) || json_integer_value(size) < 0)
		ret = vd_fail(v, "%s: qemu-img info: unexpected output",
			      path);
	else {
		snprintf(info->format, sizeof(info->format), "%s", fmt);
		info->size = (uint64_t)json_integer_value(size);
		info->backing = json_object_get(j, "backing-filename") ||
				json_object_get(j, "full-backing-filename");
		snprintf(info->subformat, sizeof(info->subformat), "%s",
			 img_create_type(j));
	}
	json_decref(j);
	return ret;
}

int img_info(struct vdiskadm *v, const char *path, const char *fmt,
	     struct img_info *info)
{
	char *out = NULL, *arg = img_arg(path);
	const char *args[] = { "info", "--output=json", fmt ? "-f" : arg,
			       fmt, arg, NULL };
	int ret;

	if (!fmt)
		args[3] = NULL;
	ret = arg ? img_run(v, args, &out) : vd_fail(v, "out of memory");
	free(arg);
	if (ret == 0)
		ret = img_info_parse(v, path, out, info);
	free(out);
	return ret;
}

int img_check(struct vdiskadm *v, const char *path, const char *fmt)
{
	char err[512], *out = NULL, *arg = img_arg(path);
	const char *args[] = { "check", "-f", fmt, arg, NULL };
	int st, ret = 0;

	if (!arg)
		return vd_fail(v, "out of memory");
	st = qimg_run(args, &out, err, sizeof(err));
	free(out);
	if (st < 0)
		ret = img_report(v, "check", st, err);
	else if (st != 0 && st != 63)	/* 63: no checks for this format */
		ret = vd_fail(v, "%s: qemu-img check found errors (exit "
			      "status %d)%s%s", path, st, err[0] ? ": " : "",
			      err);
	free(arg);
	return ret;
}

int img_remove(const char *dir, const char *base, const struct vd_type *t,
	       bool sparse)
{
	int ret = 0;

	for (int i = 0; i < 2; i++) {
		char *p = img_path(dir, base, t, sparse, i);

		if (p && unlink(p) < 0 && errno != ENOENT)
			ret = -errno;
		free(p);
	}
	return ret;
}
