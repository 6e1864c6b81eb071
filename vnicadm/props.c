/*
 * "-p" property lists of create-vnic, set-linkprop, reset-linkprop and
 * show-linkprop: checked with lib/linkprop.c (the code vswitchd checks
 * them with, so the messages are the same) and turned into the JSON
 * vswitchd takes, values as typed (docs/vswitchd-control.md vnic.create).
 */
#include <stdlib.h>
#include <string.h>

#include "vnicadm.h"
#include "xvm/linkprop.h"

/* Length of the next "prop=value" item: a comma followed by text without
 * '=' continues a list value ("protection=mac-nospoof,ip-nospoof"), the
 * rule linkprop_set_list() applies. */
static size_t vn_item_len(const char *s)
{
	size_t n = strcspn(s, ",");

	while (s[n] == ',') {
		size_t next = strcspn(s + n + 1, ",");

		if (memchr(s + n + 1, '=', next))
			break;
		n += 1 + next;
	}
	return n;
}

/* Check one item and add it to obj. */
static int vn_prop_item(struct link_props *p, json_t *obj, char *item,
			char *err, char *bad, size_t badlen)
{
	char lperr[LINKPROP_ERRLEN];
	char *eq = strchr(item, '=');
	const char *value = eq ? eq + 1 : "";
	int ret;

	if (eq)
		*eq = '\0';
	snprintf(bad, badlen, "%s", item);
	if (linkprop_lookup(item) >= 0 && json_object_get(obj, item)) {
		snprintf(err, LINKPROP_ERRLEN,
			 "link property '%.60s' specified more than once",
			 item);
		return -EINVAL;
	}
	ret = linkprop_set(p, item, value, lperr);
	if (ret < 0) {
		memcpy(err, lperr, LINKPROP_ERRLEN);
		return ret;
	}
	if (json_object_set_new(obj, item, json_string(value)) < 0) {
		snprintf(err, LINKPROP_ERRLEN, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int vn_props_object(const char *list, json_t **objp, char *err,
		    size_t errlen, char *bad, size_t badlen, unsigned *count)
{
	char e[LINKPROP_ERRLEN] = "";
	struct link_props p;
	json_t *obj = json_object();
	char *copy = NULL, *s;
	int ret = -ENOMEM;

	bad[0] = '\0';
	*count = 0;
	link_props_init(&p);
	if (!obj || !(copy = strdup(list)))
		goto fail;
	ret = -EINVAL;
	if (!*copy) {
		snprintf(e, sizeof(e), "link property must be specified");
		goto fail;
	}
	for (s = copy;;) {
		size_t n = vn_item_len(s);
		bool last = !s[n];

		s[n] = '\0';
		ret = vn_prop_item(&p, obj, s, e, bad, badlen);
		if (ret < 0)
			goto fail;
		(*count)++;
		if (last)
			break;
		s += n + 1;
	}
	free(copy);
	*objp = obj;
	return 0;
fail:
	snprintf(err, errlen, "%s", e[0] ? e : "out of memory");
	free(copy);
	json_decref(obj);
	return ret;
}

int vn_propnames_array(const char *list, json_t **arrp, char *err,
		       size_t errlen)
{
	json_t *arr = json_array();
	char *copy = NULL, *s, *save = NULL;
	int ret = -ENOMEM;

	if (!arr || !(copy = strdup(list)))
		goto fail;
	ret = -EINVAL;
	/* empty names (",," or a trailing comma) are refused like unknown
	 * ones */
	if (!*copy || copy[strlen(copy) - 1] == ',' || strstr(copy, ",,") ||
	    copy[0] == ',') {
		snprintf(err, errlen, "invalid link property '%.60s'", list);
		goto fail;
	}
	for (s = strtok_r(copy, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (linkprop_lookup(s) < 0) {
			snprintf(err, errlen, "invalid link property '%.60s'",
				 s);
			goto fail;
		}
		if (json_array_append_new(arr, json_string(s)) < 0) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	free(copy);
	*arrp = arr;
	return 0;
fail:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(copy);
	json_decref(arr);
	return ret;
}
