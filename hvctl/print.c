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

void hvctl_print_migrate(struct hvctl *h, const json_t *result)
{
	fprintf(h->cli.out, "migrated: %" JSON_INTEGER_FORMAT " rounds, %"
		JSON_INTEGER_FORMAT " pages, %" JSON_INTEGER_FORMAT " bytes\n",
		json_integer_value(json_object_get(result, "rounds")),
		json_integer_value(json_object_get(result, "pages")),
		json_integer_value(json_object_get(result, "bytes")));
}

static json_int_t jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

void hvctl_print_migrate_info(struct hvctl *h, const json_t *result)
{
	FILE *f = h->cli.out;
	bool active = json_is_true(json_object_get(result, "active"));

	fprintf(f, "Migration:     %s\n", active ? json_string_value(
		json_object_get(result, "phase")) : "none");
	fprintf(f, "Max downtime:  %" JSON_INTEGER_FORMAT " ms\n",
		jint(result, "downtime_ms"));
	if (jint(result, "bandwidth_mib"))
		fprintf(f, "Bandwidth max: %" JSON_INTEGER_FORMAT " MiB/s\n",
			jint(result, "bandwidth_mib"));
	else
		fprintf(f, "Bandwidth max: unlimited\n");
	if (!active)
		return;
	fprintf(f, "Rounds:        %" JSON_INTEGER_FORMAT "\n",
		jint(result, "rounds"));
	fprintf(f, "Elapsed:       %" JSON_INTEGER_FORMAT " ms\n",
		jint(result, "elapsed_ms"));
	fprintf(f, "Memory:        %" JSON_INTEGER_FORMAT " bytes\n",
		jint(result, "total"));
	fprintf(f, "Sent:          %" JSON_INTEGER_FORMAT " bytes\n",
		jint(result, "processed"));
	fprintf(f, "Remaining:     %" JSON_INTEGER_FORMAT " bytes\n",
		jint(result, "remaining"));
	fprintf(f, "Bandwidth:     %" JSON_INTEGER_FORMAT " bytes/s\n",
		jint(result, "bandwidth"));
	fprintf(f, "Dirty rate:    %" JSON_INTEGER_FORMAT " pages/s\n",
		jint(result, "dirty_rate"));
	if (jint(result, "expected_downtime_ms") >= 0)
		fprintf(f, "Downtime est.: %" JSON_INTEGER_FORMAT " ms\n",
			jint(result, "expected_downtime_ms"));
	if (json_is_true(json_object_get(result, "cancelling")))
		fprintf(f, "Cancelling:    yes\n");
}

void hvctl_print_nic(struct hvctl *h, const json_t *result)
{
	fprintf(h->cli.out, "NIC %s in slot 00:%02" JSON_INTEGER_FORMAT ".0\n",
		json_string_value(json_object_get(result, "mac")) ?: "-",
		json_integer_value(json_object_get(result, "slot")));
}

void hvctl_print_nic_list(struct hvctl *h, const json_t *result)
{
	const json_t *arr = json_object_get(result, "nics"), *o;
	size_t i;

	fprintf(h->cli.out, "%-8s %-18s %-10s %s\n", "SLOT", "MAC", "HOTPLUG",
		"VNIC");
	json_array_foreach(arr, i, o) {
		char slot[16];

		snprintf(slot, sizeof(slot), "00:%02" JSON_INTEGER_FORMAT ".0",
			 json_integer_value(json_object_get(o, "slot")));
		fprintf(h->cli.out, "%-8s %-18s %-10s %s\n", slot,
			json_string_value(json_object_get(o, "mac")) ?: "-",
			json_is_true(json_object_get(o, "removing")) ?
			"removing" : json_is_true(json_object_get(o,
			"hotplugged")) ? "yes" : "no",
			json_string_value(json_object_get(o, "vnic")) ?: "-");
	}
}
