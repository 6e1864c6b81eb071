/*
 * -R root (dladm's alternate root): change only the persistent
 * configuration kept under ROOT, never the running switch. vswitchd keeps
 * it in $XVM_STATEDIR/vswitchd/config.json (vswitch/persist.c), so with
 * -R the file is ROOT/$XVM_STATEDIR/vswitchd/config.json ($XVM_STATEDIR
 * as this vnicadm sees it, default /var/lib/xvm): the file a vswitchd
 * started on that root (an image being prepared, a host's disk mounted
 * elsewhere) reads at start. vnicadm edits it itself, with vswitchd's
 * rules and messages as far as they can be checked without the switch:
 * names unique among the saved links, a VNIC's MAC unique on its link,
 * properties and VLAN ids checked by lib/linkprop.c. What only the host
 * of that root can say (whether a phys link exists, whether a host VNIC's
 * name is taken by an interface there) is left to that vswitchd, which
 * keeps an entry it cannot make saved, as it does for a link missing at
 * boot. The file is replaced atomically (lib/atomicio).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vnicadm.h"
#include "xvm/atomicio.h"
#include "xvm/daemon.h"
#include "xvm/linkprop.h"
#include "xvm/mac.h"

#define ROOT_CONF_MAX	(8u << 20)	/* as vswitchd's PERSIST_MAX */

/* The configuration under one root. */
struct vn_root {
	char dir[PATH_MAX];	/* ROOT/<statedir>/vswitchd */
	char path[PATH_MAX];	/* dir/config.json */
	json_t *conf;		/* {"version", "etherstubs", "vnics", "flows"} */
};

int vn_root_check(struct vnicadm *v, const struct cli_opts *o)
{
	if (o->val['R'] && o->val['t'])
		return vn_usage_fail(v, "the options -t and -R cannot be used "
				     "together");
	return 0;
}

/* "a/b//c" stays as given; only the joins add a slash. */
static int root_paths(struct vnicadm *v, const char *root, struct vn_root *r)
{
	const char *state = xvm_statedir();
	struct vswctl *h = NULL;
	char *real;
	struct stat st;
	bool slash;
	int n;

	if (!*root || stat(root, &st) < 0 || !S_ISDIR(st.st_mode))
		return vn_fail(v, "invalid directory for -R: '%.200s'", root);
	/* the root in use while its vswitchd runs: that vswitchd rewrites
	 * the file at its next change, so an edit here would be lost */
	real = realpath(root, NULL);
	slash = real && strcmp(real, "/") == 0;
	free(real);
	if (slash && vswctl_open(NULL, &h) == 0) {
		vswctl_close(h);
		return vn_fail(v, "-R %s: vswitchd is running on this root; "
			       "make the change without -R (it is saved)",
			       root);
	}
	if (state[0] != '/')
		return vn_fail(v, "XVM_STATEDIR '%.200s' is not an absolute "
			       "path", state);
	n = snprintf(r->dir, sizeof(r->dir), "%s%s/vswitchd",
		     strcmp(root, "/") ? root : "", state);
	if (n < 0 || (size_t)n >= sizeof(r->dir))
		return vn_fail(v, "-R %s: path too long", root);
	n = snprintf(r->path, sizeof(r->path), "%s/config.json", r->dir);
	if (n < 0 || (size_t)n >= sizeof(r->path))
		return vn_fail(v, "-R %s: path too long", root);
	return 0;
}

static bool root_conf_ok(const json_t *c)
{
	return json_is_object(c) &&
	       json_is_array(json_object_get(c, "etherstubs")) &&
	       json_is_array(json_object_get(c, "vnics")) &&
	       (!json_object_get(c, "flows") ||
		json_is_array(json_object_get(c, "flows")));
}

/* Read the file (none yet: an empty configuration). 0 or 1 (printed). */
static int root_load(struct vnicadm *v, const char *root, struct vn_root *r)
{
	json_error_t jerr;
	char *data = NULL;
	size_t len;
	int rc;

	memset(r, 0, sizeof(*r));
	if (root_paths(v, root, r))
		return 1;
	rc = atomicio_read_file(r->path, ROOT_CONF_MAX, &data, &len);
	if (rc == -ENOENT) {
		r->conf = json_pack("{s:i, s:[], s:[], s:[]}", "version", 1,
				    "etherstubs", "vnics", "flows");
		return r->conf ? 0 : vn_fail(v, "out of memory");
	}
	if (rc < 0)
		return vn_fail(v, "cannot read %s: %s", r->path,
			       strerror(-rc));
	r->conf = json_loadb(data, len, 0, &jerr);
	free(data);
	if (!root_conf_ok(r->conf)) {
		json_decref(r->conf);
		r->conf = NULL;
		return vn_fail(v, "%s is not a vswitchd configuration%s%s",
			       r->path, jerr.text[0] ? ": " : "", jerr.text);
	}
	if (!json_object_get(r->conf, "flows"))
		json_object_set_new(r->conf, "flows", json_array());
	return 0;
}

/* Write it back (the directories made as vswitchd makes them). */
static int root_save(struct vnicadm *v, struct vn_root *r)
{
	char *text = json_dumps(r->conf, JSON_INDENT(1) | JSON_SORT_KEYS);
	char *slash;
	int rc;

	if (!text)
		return vn_fail(v, "out of memory");
	/* ROOT/<statedir> then ROOT/<statedir>/vswitchd */
	slash = strrchr(r->dir, '/');
	*slash = '\0';
	rc = mkdir_p(r->dir, 0755);
	*slash = '/';
	if (rc == 0 && mkdir(r->dir, 0700) < 0 && errno != EEXIST)
		rc = -errno;
	if (rc == 0)
		rc = atomicio_replace_file(r->path, text, strlen(text), 0600);
	free(text);
	if (rc < 0)
		return vn_fail(v, "cannot write %s: %s", r->path,
			       strerror(-rc));
	return 0;
}

static void root_free(struct vn_root *r)
{
	json_decref(r->conf);
	r->conf = NULL;
}

/* The entry named name in the array key, and its index. */
static json_t *root_find(const struct vn_root *r, const char *key,
			 const char *name, size_t *index)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(r->conf, key), i, e) {
		const char *n = json_string_value(json_object_get(e, "name"));

		if (n && strcmp(n, name) == 0) {
			if (index)
				*index = i;
			return e;
		}
	}
	return NULL;
}

static bool root_taken(const struct vn_root *r, const char *name)
{
	return root_find(r, "etherstubs", name, NULL) ||
	       root_find(r, "vnics", name, NULL);
}

/* Saved flows over link. */
static bool root_has_flows(const struct vn_root *r, const char *link)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(r->conf, "flows"), i, e) {
		const char *l = json_string_value(json_object_get(e, "link"));

		if (l && strcmp(l, link) == 0)
			return true;
	}
	return false;
}

/* A saved VNIC's properties (as saved) into p; 0 or 1 (printed). */
static int root_props_get(struct vnicadm *v, const json_t *entry,
			  struct link_props *p)
{
	char err[LINKPROP_ERRLEN];
	const char *key;
	json_t *val;

	link_props_init(p);
	json_object_foreach(json_object_get(entry, "props"), key, val) {
		if (!json_is_string(val) ||
		    linkprop_set(p, key, json_string_value(val), err) < 0)
			return vn_fail(v, "saved property '%s' of '%s': %s",
				       key, json_string_value(json_object_get(
					       entry, "name")), err);
	}
	return 0;
}

/* A VNIC over link has mac already. */
static bool root_mac_used(const struct vn_root *r, const char *link,
			  const struct mac_addr *mac)
{
	struct mac_addr m;
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(r->conf, "vnics"), i, e) {
		const char *l = json_string_value(json_object_get(e, "link"));
		const char *s = json_string_value(json_object_get(e, "mac"));

		if (l && s && strcmp(l, link) == 0 && mac_parse(s, &m) == 0 &&
		    memcmp(&m, mac, sizeof(m)) == 0)
			return true;
	}
	return false;
}

/* The address of a new VNIC, as vswitchd picks it (vswitch/vnic.c). */
static int root_pick_mac(struct vnicadm *v, const struct vn_root *r,
			 const struct vswctl_vnic_spec *s, struct mac_addr *mac,
			 bool *random)
{
	static const uint8_t xen_oui[3] = { 0x00, 0x16, 0x3e };
	uint8_t prefix[MAC_LEN - 1];
	const uint8_t *pp = prefix;
	size_t plen = 0;
	const char *ctx = "vnic creation over";

	*random = false;
	if (strcmp(s->mac, "factory") == 0)
		return vn_fail(v, "%s %s failed: factory MAC address slots not "
			       "supported", ctx, s->link);
	if (strcmp(s->mac, "auto") && strcmp(s->mac, "random")) {
		mac_parse(s->mac, mac);		/* checked by vnic_mac() */
		if (root_mac_used(r, s->link, mac))
			return vn_fail(v, "%s %s failed: MAC address is "
				       "already in use", ctx, s->link);
		return 0;
	}
	if (s->mac_prefix)
		mac_parse_prefix(s->mac_prefix, prefix, &plen);
	else if (strcmp(s->kind, "guest") == 0) {
		pp = xen_oui;
		plen = sizeof(xen_oui);
	}
	*random = true;
	for (int tries = 0; tries < 64; tries++) {
		if (mac_random(mac, pp, plen) < 0)
			return vn_fail(v, "cannot make a random MAC address");
		if (!root_mac_used(r, s->link, mac))
			return 0;
	}
	return vn_fail(v, "%s %s failed: MAC address is already in use", ctx,
		       s->link);
}

int vn_root_create_vnic(struct vnicadm *v, const char *root,
			const struct vswctl_vnic_spec *s)
{
	struct link_props p;
	struct vn_root r;
	struct mac_addr mac;
	char err[LINKPROP_ERRLEN], macs[MAC_STRLEN];
	json_t *e = NULL;
	bool random;
	int ret = 1;

	if (root_load(v, root, &r))
		return 1;
	link_props_init(&p);
	for (unsigned i = 0; s->props && i < s->props->n; i++)
		linkprop_set(&p, s->props->prop[i].name,
			     s->props->prop[i].value, err);	/* checked */
	if (root_taken(&r, s->name))
		vn_fail(v, "vnic creation over %s failed: object already "
			"exists", s->link);
	else if (root_find(&r, "vnics", s->link, NULL))
		vn_fail(v, "vnic creation over %s failed: '%s' is a vnic",
			s->link, s->link);
	else if (root_pick_mac(v, &r, s, &mac, &random) == 0) {
		e = json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:o}",
			      "name", s->name, "link", s->link,
			      "mac", mac_format(&mac, macs),
			      "macaddrtype", random ? "random" : "fixed",
			      "vid", s->vid, "kind", s->kind,
			      "props", vswctl_saved_props(&p));
		if (!e || json_array_append_new(json_object_get(r.conf,
							       "vnics"), e) < 0)
			vn_fail(v, "out of memory");
		else
			ret = root_save(v, &r);
	}
	root_free(&r);
	return ret;
}

int vn_root_delete_vnic(struct vnicadm *v, const char *root,
			const char *name)
{
	struct vn_root r;
	size_t i;
	int ret = 1;

	if (root_load(v, root, &r))
		return 1;
	if (!root_find(&r, "vnics", name, &i)) {
		if (root_find(&r, "etherstubs", name, NULL))
			vn_fail(v, "'%s' is not a vnic", name);
		else
			vn_fail(v, "vnic deletion failed: object not found");
	} else if (root_has_flows(&r, name)) {
		vn_fail(v, "vnic deletion failed: link still has flows");
	} else {
		json_array_remove(json_object_get(r.conf, "vnics"), i);
		ret = root_save(v, &r);
	}
	root_free(&r);
	return ret;
}

int vn_root_create_etherstub(struct vnicadm *v, const char *root,
			     const char *name)
{
	struct vn_root r;
	int ret = 1;

	if (root_load(v, root, &r))
		return 1;
	if (root_taken(&r, name))
		vn_fail(v, "etherstub creation failed: object already exists");
	else if (json_array_append_new(json_object_get(r.conf, "etherstubs"),
				       json_pack("{s:s}", "name", name)) < 0)
		vn_fail(v, "out of memory");
	else
		ret = root_save(v, &r);
	root_free(&r);
	return ret;
}

int vn_root_delete_etherstub(struct vnicadm *v, const char *root,
			     const char *name)
{
	struct vn_root r;
	json_t *e;
	size_t i, j;
	int ret = 1;

	if (root_load(v, root, &r))
		return 1;
	if (!root_find(&r, "etherstubs", name, &i)) {
		if (root_find(&r, "vnics", name, NULL))
			vn_fail(v, "etherstub deletion failed: '%s' is not an "
				"etherstub", name);
		else
			vn_fail(v, "etherstub deletion failed: object not "
				"found");
		goto out;
	}
	json_array_foreach(json_object_get(r.conf, "vnics"), j, e) {
		const char *l = json_string_value(json_object_get(e, "link"));

		if (l && strcmp(l, name) == 0) {
			vn_fail(v, "etherstub deletion failed: link busy");
			goto out;
		}
	}
	json_array_remove(json_object_get(r.conf, "etherstubs"), i);
	ret = root_save(v, &r);
out:
	root_free(&r);
	return ret;
}

/* A phys link's own property (pmd), in the "phys" array vswitchd keeps
 * (vswitch/physprop.c): the entry of link made or changed, dropped when
 * nothing is left in it. Whether link exists is for that root's
 * vswitchd, as for a VNIC created over it; so a name the file does not
 * have, with another property (or a reset of all with no entry), is
 * "object not found" as before. */
static int root_phys_linkprop(struct vnicadm *v, struct vn_root *r,
			      const char *link,
			      const struct vswctl_props *props,
			      const char *const *names, unsigned nnames)
{
	const char *verb = props ? "set" : "reset";
	json_t *arr = json_object_get(r->conf, "phys"), *e;
	char err[LINKPROP_ERRLEN];
	struct link_props p;
	size_t i;

	bool only_pmd = props || nnames;

	for (unsigned k = 0; k < (props ? props->n : nnames); k++)
		only_pmd &= strcmp(props ? props->prop[k].name : names[k],
				   "pmd") == 0;
	if (!only_pmd && !(!props && !nnames && root_find(r, "phys", link,
							  NULL)))
		return vn_fail(v, "cannot %s link properties on '%s': object "
			       "not found", verb, link);
	if (!json_is_array(arr)) {
		arr = json_array();
		if (!arr || json_object_set_new(r->conf, "phys", arr) < 0)
			return vn_fail(v, "out of memory");
	}
	e = root_find(r, "phys", link, &i);
	if (!e) {
		e = json_pack("{s:s, s:{}}", "name", link, "props");
		if (!e || json_array_append_new(arr, e) < 0)
			return vn_fail(v, "out of memory");
		i = json_array_size(arr) - 1;
	}
	if (root_props_get(v, e, &p))
		return 1;
	if (props)
		linkprop_set(&p, "pmd", props->prop[0].value, err); /* checked */
	else
		linkprop_reset(&p, "pmd", err);
	if (!(p.set & (1u << LINKPROP_PMD)))
		json_array_remove(arr, i);
	else
		json_object_set_new(e, "props", vswctl_saved_props(&p));
	return root_save(v, r);
}

/* set (props) or reset (names, all when nnames is 0) a saved VNIC's
 * properties, or a phys link's pmd. */
int vn_root_linkprop(struct vnicadm *v, const char *root, const char *link,
		     const struct vswctl_props *props,
		     const char *const *names, unsigned nnames)
{
	const char *verb = props ? "set" : "reset";
	char err[LINKPROP_ERRLEN];
	struct link_props p;
	struct vn_root r;
	json_t *e;
	int ret = 1;

	if (root_load(v, root, &r))
		return 1;
	e = root_find(&r, "vnics", link, NULL);
	if (!e && root_find(&r, "etherstubs", link, NULL)) {
		vn_fail(v, "cannot %s link properties on '%s': '%s' is not a "
			"vnic", verb, link, link);
		goto out;
	}
	if (!e) {
		ret = root_phys_linkprop(v, &r, link, props, names, nnames);
		goto out;
	}
	if (root_props_get(v, e, &p))
		goto out;
	for (unsigned i = 0; props && i < props->n; i++)
		linkprop_set(&p, props->prop[i].name, props->prop[i].value,
			     err);	/* checked by the caller */
	for (int id = 0; !props && id < LINKPROP_COUNT; id++) {
		bool named = nnames == 0;

		for (unsigned i = 0; i < nnames; i++)
			named |= strcmp(names[i], linkprop_name(id)) == 0;
		if (named)
			linkprop_reset(&p, linkprop_name(id), err);
	}
	json_object_set_new(e, "props", vswctl_saved_props(&p));
	ret = root_save(v, &r);
out:
	root_free(&r);
	return ret;
}

/* The entries of key whose "link" is from take to. */
static void root_relink(struct vn_root *r, const char *key, const char *from,
			const char *to)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(r->conf, key), i, e) {
		const char *l = json_string_value(json_object_get(e, "link"));

		if (l && strcmp(l, from) == 0)
			json_object_set_new(e, "link", json_string(to));
	}
}

/* Some saved entry of key is over link. */
static bool root_over(const struct vn_root *r, const char *key,
		      const char *link)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(r->conf, key), i, e) {
		const char *l = json_string_value(json_object_get(e, "link"));

		if (l && strcmp(l, link) == 0)
			return true;
	}
	return false;
}

int vn_root_rename(struct vnicadm *v, const char *root, const char *from,
		   const char *to)
{
	const char *ctx = "rename operation failed";
	struct vn_root r;
	json_t *e;
	int ret = 1;

	if (root_load(v, root, &r))
		return 1;
	e = root_find(&r, "etherstubs", from, NULL);
	if (!e)
		e = root_find(&r, "vnics", from, NULL);
	if (!e && root_over(&r, "vnics", from))
		vn_fail(v, "%s: '%s' is a phys link: its name is its host "
			"interface's", ctx, from);
	else if (!e)
		vn_fail(v, "%s: object not found", ctx);
	else if (root_taken(&r, to) || root_over(&r, "vnics", to))
		vn_fail(v, "%s: object already exists", ctx);
	else {
		/* the VNICs over an etherstub and the flows on a VNIC
		 * follow the name */
		json_object_set_new(e, "name", json_string(to));
		root_relink(&r, "vnics", from, to);
		root_relink(&r, "flows", from, to);
		ret = root_save(v, &r);
	}
	root_free(&r);
	return ret;
}
