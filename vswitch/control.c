/*
 * The control socket's dispatcher (control.h): the methods the modules
 * registered, each run by ctl_run(), which has the configuration saved
 * once after a change (persist.c); and the parameter checks. Every
 * parameter is checked for presence, type and range before anything
 * changes; unknown parameters are ignored.
 */
#include <stdlib.h>
#include <string.h>

#include "xvm/log.h"
#include "control.h"
#include "vswitchd.h"

static struct ctl_command *ctl_commands;

void ctl_register(struct ctl_command *c)
{
	c->next = ctl_commands;
	ctl_commands = c;
}

int ctl_run(const struct ctl_command *c, void *ctx, json_t *params,
	    json_t **result, struct rpc_error *err)
{
	struct vswd *d = ctx;
	int rc = c->handler(d, params, result, err);

	if (rc < 0)
		return rc;
	rc = persist_commit(d, err);
	if (rc < 0) {
		json_decref(*result);
		*result = NULL;
	}
	return rc;
}

int ctl_call(struct vswd *d, const char *method, json_t *params,
	     json_t **result, struct rpc_error *err)
{
	for (const struct ctl_command *c = ctl_commands; c; c = c->next)
		if (c->handler && strcmp(c->name, method) == 0) {
			*result = NULL;
			return c->handler(d, params, result, err);
		}
	return rpc_errorf(err, ENOENT, "no method %s", method);
}

static bool ctl_listed(const struct rpc_method *m, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(m[i].name, name) == 0)
			return true;
	return false;
}

struct rpc_method *ctl_methods(size_t *n)
{
	struct rpc_method *m;
	size_t count = 0;

	for (const struct ctl_command *c = ctl_commands; c; c = c->next)
		count++;
	m = calloc(count ? count : 1, sizeof(*m));
	if (!m)
		return NULL;
	*n = 0;
	for (const struct ctl_command *c = ctl_commands; c; c = c->next) {
		if (ctl_listed(m, *n, c->name)) {
			log_err("control: method %s registered twice", c->name);
			free(m);
			errno = EEXIST;
			return NULL;
		}
		log_debug("control: %s %s", c->name, c->usage);
		m[(*n)++] = (struct rpc_method){ c->name, c->entry };
	}
	return m;
}

/* ---- parameter checks ---- */

int ctl_str(json_t *params, const char *key, bool required,
	    const char **out, struct rpc_error *err)
{
	json_t *v = json_object_get(params, key);

	*out = NULL;
	if (!v) {
		return required ? rpc_errorf(err, EINVAL,
					     "missing parameter '%s'", key) : 0;
	}
	if (!json_is_string(v))
		return rpc_errorf(err, EINVAL, "parameter '%s' must be a string",
				  key);
	if (json_string_length(v) >= CTL_STR_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return rpc_errorf(err, EINVAL, "invalid argument");
	*out = json_string_value(v);
	return 0;
}

int ctl_bool(json_t *params, const char *key, bool *out,
	     struct rpc_error *err)
{
	json_t *v = json_object_get(params, key);

	*out = false;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return rpc_errorf(err, EINVAL, "parameter '%s' must be a boolean",
				  key);
	*out = json_is_true(v);
	return 0;
}

/* The "name" (required) and "temporary" parameters most methods take. */
int ctl_name_temp(json_t *params, const char **name, bool *temporary,
		  struct rpc_error *err)
{
	int rc = ctl_str(params, "name", true, name, err);

	return rc < 0 ? rc : ctl_bool(params, "temporary", temporary, err);
}

/* Apply {"prop": "value", ...} to p (on a copy: all or nothing). */
int ctl_props(json_t *obj, struct link_props *p, struct rpc_error *err)
{
	struct link_props tmp = *p;
	char perr[LINKPROP_ERRLEN];
	const char *key;
	json_t *val;
	int rc;

	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return rpc_errorf(err, EINVAL, "parameter 'props' must be an object");
	json_object_foreach(obj, key, val) {
		if (!json_is_string(val))
			return rpc_errorf(err, EINVAL, "value of link property "
					  "'%.64s' must be a string", key);
		rc = linkprop_set(&tmp, key, json_string_value(val), perr);
		if (rc < 0)
			return rpc_errorf(err, EINVAL, "%s", perr);
	}
	if (linkprop_cpus_check(&tmp, perr) < 0)
		return rpc_errorf(err, EINVAL, "%s", perr);
	*p = tmp;
	return 0;
}

/* An optional array of property names: a bitmask (all if absent). */
int ctl_prop_names(json_t *params, uint32_t *mask, struct rpc_error *err)
{
	json_t *arr = json_object_get(params, "props"), *v;
	size_t i;

	*mask = (1u << LINKPROP_COUNT) - 1;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return rpc_errorf(err, EINVAL, "parameter 'props' must be an array");
	*mask = 0;
	json_array_foreach(arr, i, v) {
		int id = json_is_string(v) ? linkprop_lookup(json_string_value(v))
					   : -EINVAL;

		if (id < 0)
			return rpc_errorf(err, EINVAL, "invalid link property '%.64s'",
					  json_is_string(v) ? json_string_value(v) : "?");
		*mask |= 1u << id;
	}
	return 0;
}

int ctl_vid(json_t *params, uint16_t *vid, struct rpc_error *err)
{
	json_t *v = json_object_get(params, "vid");
	json_int_t n;

	*vid = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v))
		return rpc_errorf(err, EINVAL, "parameter 'vid' must be an integer");
	n = json_integer_value(v);
	if (n < 0 || n > 4094)
		return rpc_errorf(err, EINVAL, "invalid VLAN identifier '%lld'",
				  (long long)n);
	*vid = (uint16_t)n;
	return 0;
}
