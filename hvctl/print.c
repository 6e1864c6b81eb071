/*
 * hvctl's output: the status of a domain as "Field: value" lines driven by
 * a field table (like virsh dominfo), or any result as JSON with -j.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "hvctl.h"

/* One line of the status: its label, the member of the result ("status"
 * in hv/control.c) and a unit printed after a number. */
struct hvctl_field {
	const char *label;
	const char *key;
	const char *unit;
};

static const struct hvctl_field hvctl_status_fields[] = {
	{ "Name", "name", NULL },
	{ "UUID", "uuid", NULL },
	{ "State", "state", NULL },
	{ "vCPUs", "vcpus", NULL },
	{ "Memory", "memory_mib", "MiB" },
	{ "Console", "console", NULL },
	{ "PID", "pid", NULL },
};

/* A member's value as text: "-" when absent or null. */
static void hvctl_print_value(FILE *f, const json_t *v, const char *unit)
{
	if (json_is_string(v))
		fputs(json_string_value(v), f);
	else if (json_is_integer(v))
		fprintf(f, "%" JSON_INTEGER_FORMAT "%s%s",
			json_integer_value(v), unit ? " " : "",
			unit ? unit : "");
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "yes" : "no", f);
	else
		fputs("-", f);
}

void hvctl_print_status(struct hvctl *h, const json_t *result)
{
	for (size_t i = 0; i < ARRAY_SIZE(hvctl_status_fields); i++) {
		const struct hvctl_field *fl = &hvctl_status_fields[i];
		char label[16];

		snprintf(label, sizeof(label), "%s:", fl->label);
		fprintf(h->cli.out, "%-9s ", label);
		hvctl_print_value(h->cli.out, json_object_get(result, fl->key),
				  fl->unit);
		fputc('\n', h->cli.out);
	}
}

void hvctl_print_json(struct hvctl *h, const json_t *result)
{
	char *s = json_dumps(result, JSON_COMPACT | JSON_ENCODE_ANY);

	fprintf(h->cli.out, "%s\n", s ? s : "null");
	free(s);
}

void hvctl_print_save(struct hvctl *h, const json_t *result)
{
	fprintf(h->cli.out, "saved %" JSON_INTEGER_FORMAT " bytes to %s\n",
		json_integer_value(json_object_get(result, "bytes")), h->arg);
}
