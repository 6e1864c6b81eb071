/*
 * xvmd's files (store.h): definitions under the state directory, runtime
 * state, hv sockets, pid files and logs under the run directory. Names are
 * checked by domxml_name_ok() before they reach a path.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "xvm/atomicio.h"
#include "xvm/log.h"
#include "domxml.h"
#include "store.h"

#define STORE_DEF_MAX	(1u << 20)

static char store_defdir[300], store_rundir[300], store_hvdir[300],
	    store_condir[300], store_savedir[300], store_qsddir[310];

static int store_mkdir(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int store_init(const char *statedir, const char *rundir)
{
	char statedom[300];
	int rc;

	snprintf(store_defdir, sizeof(store_defdir), "%s/domains", statedir);
	snprintf(store_rundir, sizeof(store_rundir), "%s/xvmd", rundir);
	snprintf(store_hvdir, sizeof(store_hvdir), "%s/hv", rundir);
	snprintf(store_condir, sizeof(store_condir), "%s/console", rundir);
	snprintf(store_qsddir, sizeof(store_qsddir), "%s/qsd", store_rundir);
	snprintf(store_savedir, sizeof(store_savedir), "%s/save", statedir);
	snprintf(statedom, sizeof(statedom), "%s", statedir);
	if ((rc = store_mkdir(statedom)) < 0 ||
	    (rc = store_mkdir(store_defdir)) < 0 ||
	    (rc = store_mkdir(store_savedir)) < 0 ||
	    (rc = store_mkdir(rundir)) < 0 ||
	    (rc = store_mkdir(store_rundir)) < 0 ||
	    (rc = store_mkdir(store_qsddir)) < 0 ||
	    (rc = store_mkdir(store_hvdir)) < 0 ||
	    (rc = store_mkdir(store_condir)) < 0)
		return rc;
	/* writes cut short by kill -9 (nobody else writes here) */
	atomicio_remove_temps(store_defdir, store_temp_removed);
	atomicio_remove_temps(store_rundir, store_temp_removed);
	atomicio_remove_temps(store_hvdir, store_temp_removed);
	return 0;
}

void store_temp_removed(const char *path)
{
	log_info("store: removed %s, left by an interrupted write", path);
}

static int store_path(char *buf, size_t len, const char *dir,
		      const char *name, const char *ext)
{
	if (!domxml_name_ok(name))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/%s%s", dir, name, ext) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int store_run_path(char *buf, size_t len, const char *name, const char *what)
{
	if (!strcmp(what, "console"))
		return store_path(buf, len, store_condir, name, ".log");
	if (!strcmp(what, "sock"))
		return store_path(buf, len, store_hvdir, name, ".sock");
	if (!strcmp(what, "pid"))
		return store_path(buf, len, store_hvdir, name, ".pid");
	if (!strcmp(what, "log"))
		return store_path(buf, len, store_hvdir, name, ".log");
	if (!strcmp(what, "mig"))	/* an incoming hv's stream socket */
		return store_path(buf, len, store_hvdir, name, ".mig");
	if (!strcmp(what, "qsd"))	/* the qemu-storage-daemon's directory */
		return store_path(buf, len, store_qsddir, name, "");
	if (!strcmp(what, "qsdroot"))	/* where those directories are */
		return snprintf(buf, len, "%s", store_qsddir) >= (int)len ?
		       -ENAMETOOLONG : 0;
	return -EINVAL;
}

int store_managed_save_path(char *buf, size_t len, const char *name)
{
	return store_path(buf, len, store_savedir, name, ".save");
}

bool store_owns_path(const char *path)
{
	const char *dirs[] = { store_defdir, store_savedir, store_rundir,
			       store_hvdir, store_condir };
	const char *slash = strrchr(path, '/');
	char parent[PATH_MAX], *rp;
	bool ours = false;

	if (!slash || (size_t)(slash - path) >= sizeof(parent))
		return false;
	snprintf(parent, sizeof(parent), "%.*s",
		 slash == path ? 1 : (int)(slash - path), path);
	rp = realpath(parent, NULL);
	if (!rp)
		return false;	/* no such directory: nothing there to spoil */
	for (size_t i = 0; i < ARRAY_SIZE(dirs) && !ours; i++) {
		char *rd = realpath(dirs[i], NULL);
		size_t n = rd ? strlen(rd) : 0;

		ours = rd && !strncmp(rp, rd, n) && (!rp[n] || rp[n] == '/');
		free(rd);
	}
	free(rp);
	return ours;
}

int store_save_def(const char *name, const char *xml)
{
	char path[512];
	int rc = store_path(path, sizeof(path), store_defdir, name, ".xml");

	if (rc < 0)
		return rc;
	return atomicio_replace_file(path, xml, strlen(xml), 0600);
}

static int store_unlink(const char *dir, const char *name, const char *ext)
{
	char path[512];
	int rc = store_path(path, sizeof(path), dir, name, ext);

	if (rc < 0)
		return rc;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* The autostart marker first: one left behind would autostart a later
 * definition of the same name. */
int store_delete_def(const char *name)
{
	int rc = store_unlink(store_defdir, name, ".autostart");

	return rc < 0 ? rc : store_unlink(store_defdir, name, ".xml");
}

int store_set_autostart(const char *name, bool on)
{
	char path[512];
	int rc = store_path(path, sizeof(path), store_defdir, name,
			    ".autostart");

	if (rc < 0)
		return rc;
	if (!on)
		return store_unlink(store_defdir, name, ".autostart");
	return atomicio_replace_file(path, "1\n", 2, 0600);
}

bool store_autostart(const char *name)
{
	char path[512];

	if (store_path(path, sizeof(path), store_defdir, name, ".autostart") < 0)
		return false;
	return access(path, F_OK) == 0;
}

/* Files in dir ending in ext, with that ending cut off. */
static int store_each(const char *dir, const char *ext,
		      void (*fn)(const char *dir, const char *base, void *),
		      void *opaque)
{
	DIR *dd = opendir(dir);
	struct dirent *de;
	size_t elen = strlen(ext);

	if (!dd)
		return -errno;
	while ((de = readdir(dd))) {
		size_t n = strlen(de->d_name);
		char base[DOM_NAME_MAX + 1];

		if (n <= elen || n - elen > DOM_NAME_MAX ||
		    strcmp(de->d_name + n - elen, ext))
			continue;
		memcpy(base, de->d_name, n - elen);
		base[n - elen] = 0;
		fn(dir, base, opaque);
	}
	closedir(dd);
	return 0;
}

static void store_one_def(const char *dir, const char *base, void *opaque)
{
	void (*fn)(const char *, size_t, const char *) = opaque;
	char path[512];
	char *xml;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/%s.xml", dir, base);
	rc = atomicio_read_file(path, STORE_DEF_MAX, &xml, &len);
	if (rc < 0) {
		log_warn("store: %s: %s", path, strerror(-rc));
		return;
	}
	fn(xml, len, path);
	free(xml);
}

int store_each_def(void (*fn)(const char *xml, size_t len, const char *file))
{
	return store_each(store_defdir, ".xml", store_one_def, (void *)fn);
}

int store_save_run(const char *name, json_t *state)
{
	char path[512];
	char *s;
	int rc = store_path(path, sizeof(path), store_rundir, name, ".json");

	if (rc < 0)
		return rc;
	s = json_dumps(state, JSON_COMPACT);
	if (!s)
		return -ENOMEM;
	rc = atomicio_replace_file(path, s, strlen(s), 0600);
	free(s);
	return rc;
}

int store_delete_run(const char *name)
{
	return store_unlink(store_rundir, name, ".json");
}

static void store_one_run(const char *dir, const char *base, void *opaque)
{
	void (*fn)(const char *, json_t *) = opaque;
	char path[512];
	json_error_t jerr;
	json_t *st;

	snprintf(path, sizeof(path), "%s/%s.json", dir, base);
	st = json_load_file(path, 0, &jerr);
	if (!st || !json_is_object(st)) {
		log_warn("store: %s: unreadable runtime state, removed", path);
		unlink(path);
		json_decref(st);
		return;
	}
	fn(base, st);
	json_decref(st);
}

int store_each_run(void (*fn)(const char *name, json_t *state))
{
	return store_each(store_rundir, ".json", store_one_run, (void *)fn);
}
