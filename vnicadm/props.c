/*
 * "-p" property lists of create-vnic, set-linkprop, reset-linkprop and
 * show-linkprop: checked with lib/linkprop.c (the code vswitchd checks
 * them with, so the messages are the same) and split into the names and
 * values lib/vswctl sends, values as typed (docs/vswitchd-control.md
 * vnic.create).
 */
#include <stdlib.h>
#include <string.h>

#include "vnicadm.h"
#include "xvm/linkprop.h"

/* Check one item and add it to p. */
static int vn_prop_item(struct link_props *lp, struct vswctl_props *p,
			char *item, char *err, char *bad, size_t badlen)
{
	char lperr[LINKPROP_ERRLEN];
	char *eq = strchr(item, '=');
	const char *value = eq ? eq + 1 : "";
	int ret;

	if (eq)
		*eq = '\0';
	snprintf(bad, badlen, "%s", item);
	for (unsigned i = 0; i < p->n; i++) {
		if (strcmp(p->prop[i].name, item) == 0) {
			snprintf(err, LINKPROP_ERRLEN, "link property "
				 "'%.60s' specified more than once", item);
			return -EINVAL;
		}
	}
	ret = linkprop_set(lp, item, value, lperr);
	if (ret < 0) {
		memcpy(err, lperr, LINKPROP_ERRLEN);
		return ret;
	}
	/* each known property at most once: there is room */
	return vswctl_props_add(p, item, value);
}

int vn_props_parse(const char *list, struct vn_props *props, char *err,
		   size_t errlen, char *bad, size_t badlen)
{
	char e[LINKPROP_ERRLEN] = "";
	struct link_props lp;
	char *s;
	int ret = -ENOMEM;

	bad[0] = '\0';
	memset(props, 0, sizeof(*props));
	link_props_init(&lp);
	props->buf = strdup(list);
	if (!props->buf)
		goto fail;
	ret = -EINVAL;
	if (!*props->buf) {
		snprintf(e, sizeof(e), "link property must be specified");
		goto fail;
	}
	for (s = props->buf;;) {
		size_t n = linkprop_item_len(s);
		bool last = !s[n];

		s[n] = '\0';
		ret = vn_prop_item(&lp, &props->p, s, e, bad, badlen);
		if (ret < 0)
			goto fail;
		if (last)
			break;
		s += n + 1;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s", e[0] ? e : "out of memory");
	return ret;
}

void vn_props_free(struct vn_props *props)
{
	free(props->buf);
	props->buf = NULL;
	props->p.n = 0;
}

int vn_propnames_parse(const char *list, struct vn_names *names, char *err,
		       size_t errlen)
{
	char *s, *save = NULL;
	int ret = -ENOMEM;

	memset(names, 0, sizeof(*names));
	names->buf = strdup(list);
	/* no more names than characters */
	names->name = calloc(strlen(list) + 1, sizeof(*names->name));
	if (!names->buf || !names->name)
		goto fail;
	ret = -EINVAL;
	/* empty names (",," or a trailing comma) are refused like unknown
	 * ones */
	s = names->buf;
	if (!*s || s[strlen(s) - 1] == ',' || strstr(s, ",,") ||
	    s[0] == ',') {
		snprintf(err, errlen, "invalid link property '%.60s'", list);
		goto fail;
	}
	for (s = strtok_r(s, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (linkprop_lookup(s) < 0) {
			snprintf(err, errlen, "invalid link property '%.60s'",
				 s);
			goto fail;
		}
		names->name[names->n++] = s;
	}
	return 0;
fail:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}

void vn_names_free(struct vn_names *names)
{
	free(names->buf);
	free(names->name);
	memset(names, 0, sizeof(*names));
}
