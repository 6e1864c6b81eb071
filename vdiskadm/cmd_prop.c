/*
 * prop-get and prop-set: a vdisk's properties as Solaris's vdiskadm
 * names and orders them (xvm-admin-guide "Creating a vmdk:fixed File").
 * Most come from vdisk.xml; owner, effective-size (the bytes of all its
 * image files, snapshots included) and the modification times (of the
 * live image) are read from the files when asked, not stored. Only
 * readonly, removable, cdrom and description can be set.
 */
#include <inttypes.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "vdcmd.h"

/* What is read from the files, once per prop-get. */
struct prop_env {
	char owner[64];
	uint64_t effective;
	int64_t mtime;
};

struct vd_prop {
	const char *name;
	/* the value of d's property into buf */
	void (*get)(const struct vdisk *d, const struct prop_env *e,
		    char *buf, size_t len);
	bool settable;
};

#define GETTER(fn, fmt, ...)						\
static void fn(const struct vdisk *d, const struct prop_env *e,	\
	       char *buf, size_t len)					\
{									\
	(void)d;							\
	(void)e;							\
	snprintf(buf, len, fmt, __VA_ARGS__);				\
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

static void fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!localtime_r(&tt, &tm) ||
	    !strftime(buf, len, "%a %b %e %H:%M:%S %Y", &tm))
		snprintf(buf, len, "?");
}

GETTER(get_readonly, "%s", tf(d->m.readonly))
GETTER(get_removable, "%s", tf(d->m.removable))
GETTER(get_cdrom, "%s", tf(d->m.cdrom))
GETTER(get_ctime_epoch, "%" PRId64, d->m.ctime)
GETTER(get_vtype, "%s", d->m.type->name)
GETTER(get_sparse, "%s", tf(d->m.sparse))
GETTER(get_rwcnt, "%u", d->m.rwcnt)
GETTER(get_rocnt, "%u", d->m.rocnt)
GETTER(get_name, "%s", d->m.name)
GETTER(get_version, "%s", "1.0")
GETTER(get_parent, "%s", "none")
GETTER(get_vdfile, "vdisk.%s", d->m.type->ext)
GETTER(get_owner, "%s", e->owner)
GETTER(get_max_size, "%" PRIu64, d->m.max_size)
GETTER(get_sectors, "%" PRIu64, d->m.max_size / 512)
GETTER(get_desc, "%s", d->m.desc[0] ? d->m.desc : "none")
GETTER(get_effective, "%" PRIu64, e->effective)
GETTER(get_mtime_epoch, "%" PRId64, e->mtime)

static void get_ctime(const struct vdisk *d, const struct prop_env *e,
		      char *buf, size_t len)
{
	(void)e;
	fmt_time(d->m.ctime, buf, len);
}

static void get_mtime(const struct vdisk *d, const struct prop_env *e,
		      char *buf, size_t len)
{
	(void)d;
	fmt_time(e->mtime, buf, len);
}

static const struct vd_prop vd_props[] = {
	{ "readonly", get_readonly, true },
	{ "removable", get_removable, true },
	{ "cdrom", get_cdrom, true },
	{ "creation-time-epoch", get_ctime_epoch, false },
	{ "vtype", get_vtype, false },
	{ "sparse", get_sparse, false },
	{ "rwcnt", get_rwcnt, false },
	{ "rocnt", get_rocnt, false },
	{ "name", get_name, false },
	{ "version", get_version, false },
	{ "parent", get_parent, false },
	{ "filename", get_name, false },
	{ "vdfile", get_vdfile, false },
	{ "owner", get_owner, false },
	{ "max-size", get_max_size, false },
	{ "sectors", get_sectors, false },
	{ "description", get_desc, true },
	{ "effective-size", get_effective, false },
	{ "creation-time", get_ctime, false },
	{ "modification-time", get_mtime, false },
	{ "modification-time-epoch", get_mtime_epoch, false },
};

static const struct vd_prop *prop_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(vd_props); i++)
		if (strcmp(vd_props[i].name, name) == 0)
			return &vd_props[i];
	return NULL;
}

/* Add the sizes of an image's files; the live image's latest mtime. */
static void prop_env_image(const struct vdisk *d, const char *snap,
			   struct prop_env *e)
{
	struct stat st;

	for (int i = 0; i < 2; i++) {
		char *p = vd_image_path(d, snap, i);

		if (p && stat(p, &st) == 0) {
			e->effective += (uint64_t)st.st_size;
			if (!snap && st.st_mtime > e->mtime)
				e->mtime = st.st_mtime;
		}
		free(p);
	}
}

static void prop_env_read(const struct vdisk *d, struct prop_env *e)
{
	struct passwd *pw;
	struct stat st;

	*e = (struct prop_env){ 0 };
	if (fstat(d->dirfd, &st) == 0) {
		pw = getpwuid(st.st_uid);
		if (pw)
			snprintf(e->owner, sizeof(e->owner), "%s", pw->pw_name);
		else
			snprintf(e->owner, sizeof(e->owner), "%u",
				 (unsigned)st.st_uid);
	}
	for (unsigned i = 0; i < d->m.nsnap; i++)
		prop_env_image(d, d->m.snap[i].name, e);
	prop_env_image(d, NULL, e);
}

int vd_props_print(FILE *f, const struct vdisk *d, const char *prop)
{
	const struct vd_prop *one = prop ? prop_find(prop) : NULL;
	struct prop_env e;
	char buf[VD_DESC_MAX + 64];

	if (prop && !one)
		return -ENOENT;
	prop_env_read(d, &e);
	for (size_t i = 0; i < ARRAY_SIZE(vd_props); i++) {
		if (one && one != &vd_props[i])
			continue;
		vd_props[i].get(d, &e, buf, sizeof(buf));
		fprintf(f, "%s: %s\n", vd_props[i].name, buf);
	}
	return 0;
}

static int prop_get_run(struct vdiskadm *v, const char *prop,
			const char *path)
{
	struct vdisk d;
	int ret;

	if (strcmp(prop, "all") == 0)
		prop = NULL;
	else if (!prop_find(prop))
		return vd_fail(v, "Invalid property '%.64s'", prop);
	ret = vd_open(v, path, VD_META, &d);
	if (ret == 0)
		vd_props_print(v->cli.out, &d, prop);
	vd_close(&d);
	return ret;
}

int vdcmd_prop_get(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "p:", 1, &o);

	if (ret == 0 && !o.val['p'])
		ret = cli_usage_fail(c, "a property (-p) is required");
	if (ret == 0)
		ret = prop_get_run(vd_of(c), o.val['p'], argv[o.optind]);
	cli_opts_free(&o);
	return ret;
}

/* Check name=value and apply it to m. 0 or 1 (printed). */
static int prop_apply(struct vdiskadm *v, struct vd_meta *m,
		      const char *name, const char *value)
{
	const struct vd_prop *p = prop_find(name);
	bool *flag = NULL;

	if (!p)
		return vd_fail(v, "Invalid property '%.64s'", name);
	if (!p->settable)
		return vd_fail(v, "Property '%s' cannot be set", name);
	if (strcmp(name, "description") == 0) {
		if (!vd_desc_valid(value))
			return vd_fail(v, "Invalid value for property "
				       "'description': at most %d characters, "
				       "no control characters", VD_DESC_MAX);
		snprintf(m->desc, sizeof(m->desc), "%s", value);
		return 0;
	}
	flag = strcmp(name, "readonly") == 0 ? &m->readonly :
	       strcmp(name, "removable") == 0 ? &m->removable : &m->cdrom;
	if (strcmp(value, "true") && strcmp(value, "false"))
		return vd_fail(v, "Invalid value '%.64s' for property '%s': "
			       "true or false", value, name);
	*flag = strcmp(value, "true") == 0;
	return 0;
}

static int prop_set_run(struct vdiskadm *v, const char *arg,
			const char *path)
{
	const char *eq = strchr(arg, '=');
	char name[32];
	struct vdisk d = { .dirfd = -1 };
	struct vd_meta *scratch;
	int ret;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(name))
		return vd_fail(v, "Invalid property setting '%.64s': "
			       "<property>=<value>", arg);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	/* the value checked before the vdisk is looked at */
	scratch = calloc(1, sizeof(*scratch));
	if (!scratch)
		return vd_fail(v, "out of memory");
	ret = prop_apply(v, scratch, name, eq + 1);
	free(scratch);
	if (ret)
		return ret;
	ret = vd_open(v, path, VD_MODIFY, &d);
	if (ret == 0)
		ret = prop_apply(v, &d.m, name, eq + 1);
	if (ret == 0)
		ret = vd_save(v, &d);
	vd_close(&d);
	return ret;
}

int vdcmd_prop_set(struct cli *c, int argc, char **argv)
{
	struct cli_opts o;
	int ret = vd_opts(c, argc, argv, "p:", 1, &o);

	if (ret == 0 && !o.val['p'])
		ret = cli_usage_fail(c, "a property (-p) is required");
	if (ret == 0)
		ret = prop_set_run(vd_of(c), o.val['p'], argv[o.optind]);
	cli_opts_free(&o);
	return ret;
}
