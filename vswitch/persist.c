/*
 * Persistence: the etherstubs and VNICs not made temporary, saved in
 * $XVM_STATEDIR/vswitchd/config.json (atomically, lib atomicio) once after
 * each control method that changed them (persist_commit(), called by the
 * dispatcher in control.c), and re-created at start (persist_restore(),
 * which calls the same create functions and saves nothing). Phys links
 * are implied by the VNICs over them; their own properties (pmd) are in
 * "phys" (physprop.c). Only properties set without -t are saved, as
 * their text.
 *
 *   {"version":1,"etherstubs":[{"name":"stub0"}],
 *    "phys":[{"name":"eth0","props":{"pmd":"1"}}],
 *    "vnics":[{"name":"vnic0","link":"stub0","mac":"2:8:20:1:2:3",
 *              "macaddrtype":"random","vid":5,"kind":"host",
 *              "props":{"maxbw":"50"}}]}
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "xvm/vswctl.h"	/* vswctl_saved_props() */
#include "xvm/atomicio.h"
#include "xvm/log.h"
#include "flowctl.h"
#include "vswitchd.h"

#define PERSIST_MAX	(8u << 20)

static const char *persist_str(json_t *o, const char *key);

static int persist_path(const struct vswd *d, char *buf, size_t len,
			bool mkdirs)
{
	int n = snprintf(buf, len, "%s/vswitchd", d->statedir);

	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (mkdirs && mkdir(d->statedir, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mkdirs && mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	n = snprintf(buf, len, "%s/vswitchd/config.json", d->statedir);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static json_t *persist_vnic_json(const struct vsw_vnic *v)
{
	char mac[MAC_STRLEN];

	return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:o}",
			 "name", v->name, "link", v->over->name,
			 "mac", mac_format(&v->mac, mac),
			 "macaddrtype", v->mac_random ? "random" : "fixed",
			 "vid", v->vid,
			 "kind", v->kind == VNIC_GUEST ? "guest" : "host",
			 "props", vswctl_saved_props(&v->saved));
}

static json_t *persist_json(const struct vswd *d)
{
	json_t *stubs = json_array(), *vnics = persist_vnics(d);

	for (const struct vsw_link *l = d->links; l; l = l->next)
		if (l->cls == VSW_LINK_ETHERSTUB && !l->temporary)
			json_array_append_new(stubs, json_pack("{s:s}", "name",
							       l->name));
	return json_pack("{s:i, s:o, s:o, s:o, s:o}", "version", 1,
			 "etherstubs", stubs, "phys", physprop_persist_json(d),
			 "vnics", vnics, "flows", flows_persist_json(d));
}

json_t *persist_vnics(const struct vswd *d)
{
	json_t *vnics = json_array();

	for (const struct vsw_vnic *v = d->vnics; vnics && v; v = v->next)
		if (!v->temporary)
			json_array_append_new(vnics, persist_vnic_json(v));
	if (vnics && d->dormant)
		json_array_extend(vnics, d->dormant);
	return vnics;
}

json_t *persist_vnic_find(json_t *vnics, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(vnics, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));

		if (n && strcmp(n, name) == 0)
			return e;
	}
	return NULL;
}

void persist_vnic_props(const json_t *entry, struct link_props *p)
{
	json_t *val;
	const char *key;
	char perr[LINKPROP_ERRLEN];

	link_props_init(p);
	json_object_foreach(json_object_get(entry, "props"), key, val)
		if (json_is_string(val))
			linkprop_set(p, key, json_string_value(val), perr);
}

void persist_keep_dormant(struct vswd *d, const struct vsw_vnic *v)
{
	if (!d->dormant)
		d->dormant = json_array();
	json_array_append_new(d->dormant, persist_vnic_json(v));
}

/* The index of the kept entry named name, or -1. */
static long persist_dormant_index(const struct vswd *d, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(d->dormant, i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));

		if (n && strcmp(n, name) == 0)
			return (long)i;
	}
	return -1;
}

bool persist_is_dormant(const struct vswd *d, const char *name)
{
	return persist_dormant_index(d, name) >= 0;
}

bool persist_forget_dormant(struct vswd *d, const char *name)
{
	bool found = false;
	long i;

	/* all of them: a file written by hand may repeat a name */
	while ((i = persist_dormant_index(d, name)) >= 0) {
		json_array_remove(d->dormant, (size_t)i);
		found = true;
	}
	return found;
}

void persist_rename_dormant(struct vswd *d, const char *old, const char *new)
{
	size_t i;
	json_t *e;

	json_array_foreach(d->dormant, i, e) {
		static const char *const keys[] = { "name", "link" };

		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			const char *v = persist_str(e, keys[k]);

			if (v && strcmp(v, old) == 0)
				json_object_set_new(e, keys[k], json_string(new));
		}
	}
}

int persist_save(struct vswd *d)
{
	char path[PATH_MAX];
	json_t *root;
	char *text = NULL;
	int rc;

	rc = persist_path(d, path, sizeof(path), true);
	if (rc < 0)
		goto fail;
	root = persist_json(d);
	text = root ? json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(root);
	if (!text) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = atomicio_replace_file(path, text, strlen(text), 0600);
	if (rc < 0)
		goto fail;
	free(text);
	return 0;
fail:
	log_err("persist: cannot save %s/vswitchd/config.json: %s",
		d->statedir, strerror(-rc));
	free(text);
	return rc;
}

void persist_changed(struct vswd *d)
{
	d->unsaved = true;
}

int persist_commit(struct vswd *d, struct rpc_error *err)
{
	int rc;

	if (!d->unsaved)
		return 0;
	d->unsaved = false;	/* the next change writes everything again */
	rc = persist_save(d);
	if (rc < 0)
		return rpc_errorf(err, -rc, VSWCTL_NOT_SAVED " (lost when "
				  "vswitchd restarts): cannot "
				  "write %s/vswitchd/config.json: %s",
				  d->statedir, strerror(-rc));
	return 0;
}

static const char *persist_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Re-create one saved VNIC; a bad entry is logged and skipped. */
static void persist_restore_vnic(struct vswd *d, json_t *o)
{
	struct vnic_spec s = { 0 };
	struct rpc_error err = { "", "" };
	struct vsw_vnic *v;
	json_t *props = json_object_get(o, "props"), *val;
	json_t *vid = json_object_get(o, "vid");
	const char *key, *kind = persist_str(o, "kind"), *bad;
	char perr[LINKPROP_ERRLEN] = "";

	s.name = persist_str(o, "name");
	s.link = persist_str(o, "link");
	s.mac = persist_str(o, "mac");
	s.mac_was_random = json_is_string(json_object_get(o, "macaddrtype")) &&
		strcmp(persist_str(o, "macaddrtype"), "random") == 0;
	s.kind = kind && strcmp(kind, "guest") == 0 ? VNIC_GUEST : VNIC_HOST;
	link_props_init(&s.props);
	bad = !json_is_object(o) ? "not an object" :
	      !s.name ? "no string 'name'" :
	      !s.link ? "no string 'link'" :
	      !s.mac ? "no string 'mac'" :
	      !json_is_integer(vid) || json_integer_value(vid) < 0 ||
	      json_integer_value(vid) > 4094 ? "no 'vid' in 0..4094" :
	      kind && strcmp(kind, "guest") && strcmp(kind, "host") ?
	      "'kind' neither host nor guest" :
	      props && !json_is_object(props) ? "'props' not an object" : NULL;
	if (bad) {
		log_err("persist: vnic entry %s skipped: %s",
			s.name ? s.name : "?", bad);
		return;
	}
	s.vid = (uint16_t)json_integer_value(vid);
	json_object_foreach(props, key, val) {
		if (!json_is_string(val) ||
		    linkprop_set(&s.props, key, json_string_value(val), perr) < 0)
			log_err("persist: vnic %s: property %s ignored: %s",
				s.name, key, perr);
	}
	if (link_name_taken(d, s.name)) {
		/* a name taken twice (a file from before names were checked
		 * across link kinds, or edited by hand): not made, but not
		 * dropped either; delete-vnic NAME removes it */
		log_err("persist: vnic %s: name already taken by another saved "
			"link; not restored, kept in the saved configuration",
			s.name);
		goto keep;
	}
	if (vnic_create(d, &s, &v, &err) < 0) {
		/* keep it saved: its link may come back (an interface that
		 * was not there at boot) */
		log_err("persist: vnic %s not restored (kept in the saved "
			"configuration): %s", s.name, err.message);
		goto keep;
	}
	return;
keep:
	if (!d->dormant)
		d->dormant = json_array();
	json_array_append(d->dormant, o);
}

/* An unreadable configuration is renamed to config.json.bad, so that the
 * next save does not overwrite what an administrator may want to repair. */
static void persist_set_aside(const char *path, const char *why, int line)
{
	char bad[PATH_MAX + 8];

	snprintf(bad, sizeof(bad), "%s.bad", path);
	if (rename(path, bad) < 0) {
		log_err("persist: %s: line %d: %s; cannot set it aside: %s",
			path, line, why, strerror(errno));
		return;
	}
	log_err("persist: %s: line %d: %s; moved to %s, starting with no "
		"saved configuration", path, line, why, bad);
}

/* Temporary files of saves cut short (kill -9 between mkostemp() and
 * rename(): .config.json.XXXXXX, lib/atomicio.c): nobody else writes
 * there, so at start any such file is stale. */
static void persist_clean_temps(const struct vswd *d)
{
	char dir[PATH_MAX + 16], path[PATH_MAX + 16 + 260];
	struct dirent *de;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/vswitchd", d->statedir);
	dp = opendir(dir);
	if (!dp)
		return;
	while ((de = readdir(dp))) {
		if (strncmp(de->d_name, ".config.json.", 13) != 0 ||
		    strlen(de->d_name) != 13 + 6)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == 0)
			log_info("persist: removed %s, left by an "
				 "interrupted save", path);
	}
	closedir(dp);
}

int persist_restore(struct vswd *d)
{
	char path[PATH_MAX], *text = NULL;
	size_t len, i;
	json_t *root, *e;
	json_error_t jerr;
	int rc = persist_path(d, path, sizeof(path), false);

	persist_clean_temps(d);
	if (rc == 0)
		rc = atomicio_read_file(path, PERSIST_MAX, &text, &len);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0) {
		log_err("persist: cannot read %s: %s", path, strerror(-rc));
		return rc;
	}
	root = json_loadb(text, len, 0, &jerr);
	free(text);
	if (!json_is_object(root)) {
		persist_set_aside(path, root ? "not a JSON object" : jerr.text,
				  root ? 0 : jerr.line);
		json_decref(root);
		return -EINVAL;
	}
	for (const char *const *k = (const char *const[]){ "etherstubs",
							    "vnics", NULL };
	     *k; k++)
		if (json_object_get(root, *k) &&
		    !json_is_array(json_object_get(root, *k)))
			log_err("persist: %s: '%s' is not an array; ignored",
				path, *k);
	json_array_foreach(json_object_get(root, "etherstubs"), i, e) {
		struct rpc_error err = { "", "" };
		const char *name = persist_str(e, "name");

		if (!name)
			log_err("persist: etherstub entry skipped: no string "
				"'name'");
		else if (etherstub_create(d, name, false, &err) < 0)
			log_err("persist: etherstub %s not restored: %s",
				name, err.message);
	}
	physprop_restore(d, json_object_get(root, "phys"));
	json_array_foreach(json_object_get(root, "vnics"), i, e)
		persist_restore_vnic(d, e);
	flows_restore(d, json_object_get(root, "flows"));
	json_decref(root);
	log_info("persist: configuration restored from %s", path);
	return 0;
}
