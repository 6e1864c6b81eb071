/*
 * One vdisk on disk: its directory, locked with flock() while vdiskadm
 * works on it (shared to read, exclusive to change; other vdiskadm runs
 * wait a bounded time), its vdisk.xml read and checked on open and
 * replaced atomically on save, and the in-use counts (rwcnt, rocnt)
 * enforced. New vdisks are built in a temporary directory beside their
 * final place and renamed in without replacing anything.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "vdiskadm.h"
#include "xvm/atomicio.h"

#define VD_LOCK_WAIT	60	/* seconds to wait for another vdiskadm */

int vd_fail(struct vdiskadm *v, const char *fmt, ...)
{
	va_list ap;

	fputs("ERROR: ", v->cli.err);
	va_start(ap, fmt);
	vfprintf(v->cli.err, fmt, ap);
	va_end(ap);
	fputc('\n', v->cli.err);
	return 1;
}

/* A copy of path without trailing slashes (but "/" stays). */
static char *vd_trim(const char *path)
{
	char *p = strdup(path);
	size_t n;

	if (!p)
		return NULL;
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

const char *vd_basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

int vd_split(struct vdiskadm *v, const char *operand, char **path,
	     char snap[VD_NAME_MAX + 1])
{
	const char *at = strrchr(operand, '@');

	snap[0] = '\0';
	if (!at || strchr(at, '/'))
		at = NULL;
	*path = at ? strndup(operand, (size_t)(at - operand))
		   : strdup(operand);
	if (!*path)
		return vd_fail(v, "out of memory");
	if (!at)
		return 0;
	if (!vd_name_valid(at + 1))
		return vd_fail(v, "Invalid snapshot name '%.80s'", at + 1);
	if (!**path)
		return vd_fail(v, "Invalid virtual disk name ''");
	strcpy(snap, at + 1);
	return 0;
}

/* $XVM_VDISK_LOCK_WAIT (1 to 3600 seconds) or VD_LOCK_WAIT, in ms. */
static long vd_lock_wait_ms(void)
{
	const char *s = getenv("XVM_VDISK_LOCK_WAIT");
	long t = s ? strtol(s, NULL, 10) : 0;

	return (t > 0 && t <= 3600 ? t : VD_LOCK_WAIT) * 1000;
}

static int vd_lock(struct vdiskadm *v, struct vdisk *d, bool excl)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int op = (excl ? LOCK_EX : LOCK_SH) | LOCK_NB;
	long limit = vd_lock_wait_ms();

	for (long waited = 0; flock(d->dirfd, op) < 0; waited += 50) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return vd_fail(v, "cannot lock '%s': %s", d->path,
				       strerror(errno));
		if (waited >= limit)
			return vd_fail(v, "Virtual disk '%s' is locked by "
				       "another vdiskadm", d->path);
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* After the wait for the lock: is path still this directory? (Another
 * run may have destroyed, renamed or moved it meanwhile.) */
static bool vd_still_there(const struct vdisk *d)
{
	struct stat a, b;

	return fstat(d->dirfd, &a) == 0 && stat(d->path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_nlink;
}

static int vd_read_meta(struct vdiskadm *v, struct vdisk *d)
{
	char *xml = NULL, *file, err[200];
	size_t len;
	int ret;

	if (asprintf(&file, "%s/%s", d->path, VD_XML) < 0)
		return vd_fail(v, "out of memory");
	ret = atomicio_read_file(file, VD_XML_MAX, &xml, &len);
	if (ret == -ENOENT)
		ret = vd_fail(v, "'%s' is not a virtual disk (no %s)",
			      d->path, VD_XML);
	else if (ret == -EFBIG)
		ret = vd_fail(v, "%s: larger than %d bytes", file, VD_XML_MAX);
	else if (ret < 0)
		ret = vd_fail(v, "cannot read %s: %s", file, strerror(-ret));
	else if (vdxml_parse(xml, len, &d->m, err, sizeof(err)) < 0)
		ret = vd_fail(v, "%s: %s", file, err);
	free(xml);
	free(file);
	return ret;
}

static int vd_check_access(struct vdiskadm *v, struct vdisk *d,
			   enum vd_access acc)
{
	if (acc == VD_MODIFY && (d->m.rwcnt || d->m.rocnt))
		return vd_fail(v, "Cannot modify in-use virtual disk");
	if (acc == VD_READ && d->m.rwcnt)
		return vd_fail(v, "Cannot read virtual disk in use by a "
			       "writer");
	return 0;
}

int vd_open(struct vdiskadm *v, const char *path, enum vd_access acc,
	    struct vdisk *d)
{
	*d = (struct vdisk){ .dirfd = -1 };
	d->path = vd_trim(path);
	if (!d->path)
		return vd_fail(v, "out of memory");
	d->dirfd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->dirfd < 0) {
		if (errno == ENOENT)
			return vd_fail(v, "Virtual disk '%s' does not exist",
				       d->path);
		if (errno == ENOTDIR)
			return vd_fail(v, "'%s' is not a virtual disk",
				       d->path);
		return vd_fail(v, "cannot open '%s': %s", d->path,
			       strerror(errno));
	}
	if (vd_lock(v, d, acc == VD_MODIFY || acc == VD_REF))
		return 1;
	if (!vd_still_there(d))
		return vd_fail(v, "Virtual disk '%s' does not exist",
			       d->path);
	if (vd_read_meta(v, d))
		return 1;
	return vd_check_access(v, d, acc);
}

int vd_save(struct vdiskadm *v, struct vdisk *d)
{
	char *xml, *file;
	size_t len;
	int ret;

	xml = vdxml_format(&d->m, &len);
	if (!xml || asprintf(&file, "%s/%s", d->path, VD_XML) < 0) {
		free(xml);
		return vd_fail(v, "out of memory");
	}
	ret = atomicio_replace_file(file, xml, len, 0644);
	if (ret < 0)
		vd_fail(v, "cannot write %s: %s", file, strerror(-ret));
	free(file);
	free(xml);
	return ret < 0;
}

void vd_close(struct vdisk *d)
{
	if (d->dirfd >= 0)
		close(d->dirfd);	/* releases the flock */
	free(d->path);
	d->dirfd = -1;
	d->path = NULL;
}

char *vd_image_path(const struct vdisk *d, const char *snap, int file)
{
	char *base, *files[2], *p = NULL;

	if (asprintf(&base, snap ? "vdisk@%s" : "vdisk", snap) < 0)
		return NULL;
	if (vd_type_files(d->m.type, d->m.sparse, base, files) == 0) {
		if (files[file] &&
		    asprintf(&p, "%s/%s", d->path, files[file]) < 0)
			p = NULL;
		free(files[0]);
		free(files[1]);
	}
	free(base);
	return p;
}

/* Is path's parent directory a vdisk (it has a vdisk.xml)? */
static bool vd_in_vdisk(const char *path)
{
	const char *base = vd_basename(path);
	char *xml;
	bool yes;

	if (asprintf(&xml, "%.*s%s", (int)(base - path), path, VD_XML) < 0)
		return false;
	yes = access(xml, F_OK) == 0;
	free(xml);
	return yes;
}

int vd_check_new(struct vdiskadm *v, const char *path)
{
	char *p = vd_trim(path);
	struct stat st;
	int ret = 0;

	if (!p)
		return vd_fail(v, "out of memory");
	if (!vd_name_valid(vd_basename(p)))
		ret = vd_fail(v, "Invalid virtual disk name '%.80s'",
			      vd_basename(p));
	else if (lstat(p, &st) == 0)
		ret = vd_fail(v, "'%s' already exists", p);
	else if (vd_in_vdisk(p))
		ret = vd_fail(v, "Cannot create '%s' inside another virtual "
			      "disk", p);
	else if (errno != ENOENT && errno != ENOTDIR)
		ret = vd_fail(v, "cannot create '%s': %s", p, strerror(errno));
	free(p);
	return ret;
}

/* mkdir -p of path's parent directories. */
static int vd_mkparents(char *path)
{
	for (char *s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*s = '/';
			return -errno;
		}
		*s = '/';
	}
	return 0;
}

int vd_new_begin(struct vdiskadm *v, const char *path, struct vd_new *n)
{
	const char *base;
	char *dir;
	int ret;

	*n = (struct vd_new){ .path = vd_trim(path) };
	if (!n->path)
		return vd_fail(v, "out of memory");
	ret = vd_mkparents(n->path);
	if (ret < 0)
		return vd_fail(v, "cannot create the directories of '%s': %s",
			       n->path, strerror(-ret));
	base = vd_basename(n->path);
	dir = strndup(n->path, (size_t)(base - n->path));
	if (!dir || asprintf(&n->tmp, "%s.%s.vdiskadm-XXXXXX", dir,
			     base) < 0) {
		free(dir);
		n->tmp = NULL;
		return vd_fail(v, "out of memory");
	}
	free(dir);
	if (!mkdtemp(n->tmp)) {
		ret = vd_fail(v, "cannot create '%s': %s", n->path,
			      strerror(errno));
		free(n->tmp);
		n->tmp = NULL;
		return ret;
	}
	chmod(n->tmp, 0755);
	return 0;
}

int vd_new_commit(struct vdiskadm *v, struct vd_new *n,
		  const struct vd_meta *m)
{
	char *xml, *file;
	size_t len;
	int ret;

	xml = vdxml_format(m, &len);
	if (!xml || asprintf(&file, "%s/%s", n->tmp, VD_XML) < 0) {
		free(xml);
		return vd_fail(v, "out of memory");
	}
	ret = atomicio_replace_file(file, xml, len, 0644);
	free(file);
	free(xml);
	if (ret < 0)
		return vd_fail(v, "cannot write %s: %s", VD_XML,
			       strerror(-ret));
	if (renameat2(AT_FDCWD, n->tmp, AT_FDCWD, n->path,
		      RENAME_NOREPLACE) < 0) {
		if (errno == EEXIST)
			return vd_fail(v, "'%s' already exists", n->path);
		return vd_fail(v, "cannot create '%s': %s", n->path,
			       strerror(errno));
	}
	free(n->tmp);
	n->tmp = NULL;
	return 0;
}

void vd_new_end(struct vd_new *n)
{
	if (n->tmp)
		vd_remove_dir(n->tmp);
	free(n->tmp);
	free(n->path);
	*n = (struct vd_new){ 0 };
}

static int vd_remove_at(int dfd, int depth)
{
	DIR *dir = fdopendir(dfd);
	struct dirent *e;
	int ret = 0;

	if (!dir) {
		close(dfd);
		return -errno;
	}
	while ((e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dfd, e->d_name, 0) == 0)
			continue;
		if (errno == EISDIR && depth < 2) {
			int sub = openat(dfd, e->d_name,
					 O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (sub >= 0 && vd_remove_at(sub, depth + 1) == 0 &&
			    unlinkat(dfd, e->d_name, AT_REMOVEDIR) == 0)
				continue;
		}
		ret = -errno;
	}
	closedir(dir);
	return ret;
}

int vd_remove_dir(const char *path)
{
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int ret;

	if (dfd < 0)
		return -errno;
	ret = vd_remove_at(dfd, 0);
	if (ret == 0 && rmdir(path) < 0)
		ret = -errno;
	return ret;
}
