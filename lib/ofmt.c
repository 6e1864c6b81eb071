/*
 * The table printer of every show-* subcommand (include/xvm/ofmt.h), with
 * the column and escaping rules of illumos libofmt so our output lines up
 * and parses like dladm's (REFERENCE.md "Output formatting"). The header is
 * printed once, before the first row; it is not repeated per screen.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xvm/ofmt.h"

#define OFMT_VAL_EMPTY	"--"
#define OFMT_VAL_UNKNOWN "?"

struct ofmt {
	FILE *out;
	bool parseable;
	bool header_done;
	unsigned overflow;	/* columns borrowed from the following padding */
	size_t nsel;
	const struct ofmt_field **sel;	/* the selected fields, in -o order */
	char value[OFMT_VALUE_MAX];
};

static const struct ofmt_field *ofmt_find(const struct ofmt_field *fields,
					  const char *name, size_t len)
{
	for (; fields->name; fields++)
		if (strlen(fields->name) == len &&
		    strncasecmp(fields->name, name, len) == 0)
			return fields;
	return NULL;
}

static size_t ofmt_count(const struct ofmt_field *fields)
{
	size_t n = 0;

	while (fields[n].name)
		n++;
	return n;
}

/* Select every field of the table, in table order. */
static int ofmt_select_all(struct ofmt *o, const struct ofmt_field *fields)
{
	for (; fields->name; fields++)
		o->sel[o->nsel++] = fields;
	return 0;
}

/* Select the fields named in the comma-separated list; empty names are
 * skipped. */
static int ofmt_select_list(struct ofmt *o, const struct ofmt_field *fields,
			    const char *oarg, char *err, size_t errlen)
{
	const char *p = oarg;

	while (*p) {
		size_t len = strcspn(p, ",");
		const struct ofmt_field *f = ofmt_find(fields, p, len);

		if (len > 0 && !f) {
			snprintf(err, errlen, "unknown output field '%.*s'",
				 (int)(len > 64 ? 64 : len), p);
			return -EINVAL;
		}
		if (len > 0)
			o->sel[o->nsel++] = f;
		p += len;
		if (*p == ',')
			p++;
	}
	if (o->nsel == 0) {
		snprintf(err, errlen, "no output fields given with -o");
		return -EINVAL;
	}
	return 0;
}

/* The selection array: one entry per name in oarg at most. */
static size_t ofmt_max_selected(const struct ofmt_field *fields,
				const char *oarg)
{
	size_t n = ofmt_count(fields);

	if (oarg && *oarg && strcasecmp(oarg, "all") != 0) {
		n = 1;
		for (const char *p = oarg; *p; p++)
			n += *p == ',';
	}
	return n ? n : 1;
}

static int ofmt_check_args(const char *oarg, unsigned flags, char *err,
			   size_t errlen)
{
	/* -o "" names no field: not the default list (issue 12, 11) */
	if (oarg && !*oarg) {
		snprintf(err, errlen, "no output fields given with -o");
		return -EINVAL;
	}
	if (!(flags & OFMT_PARSEABLE))
		return 0;
	if (!oarg) {
		snprintf(err, errlen, "-p requires -o");
		return -EINVAL;
	}
	if (strcasecmp(oarg, "all") == 0) {
		snprintf(err, errlen, "\"-o all\" is invalid with -p");
		return -EINVAL;
	}
	return 0;
}

int ofmt_open(const struct ofmt_field *fields, const char *oarg,
	      unsigned flags, FILE *out, struct ofmt **ofmt,
	      char *err, size_t errlen)
{
	struct ofmt *o = NULL;
	int ret;

	*ofmt = NULL;
	ret = ofmt_check_args(oarg, flags, err, errlen);
	if (ret < 0)
		goto fail;
	ret = -ENOMEM;
	o = calloc(1, sizeof(*o));
	if (!o)
		goto fail;
	o->sel = calloc(ofmt_max_selected(fields, oarg), sizeof(*o->sel));
	if (!o->sel)
		goto fail;
	o->out = out;
	o->parseable = flags & OFMT_PARSEABLE;
	if (!oarg || !*oarg || strcasecmp(oarg, "all") == 0)
		ret = ofmt_select_all(o, fields);
	else
		ret = ofmt_select_list(o, fields, oarg, err, errlen);
	if (ret < 0)
		goto fail;
	*ofmt = o;
	return 0;
fail:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "%s", strerror(ENOMEM));
	ofmt_close(o);
	return ret;
}

void ofmt_close(struct ofmt *o)
{
	if (!o)
		return;
	free(o->sel);
	free(o);
}

/* One parseable field: escaped when several fields share the line. */
static void ofmt_put_parseable(struct ofmt *o, const char *value, bool last)
{
	for (const char *c = value; *c; c++) {
		if (o->nsel > 1 && (*c == ':' || *c == '\\'))
			putc('\\', o->out);
		putc(*c, o->out);
	}
	if (!last)
		putc(':', o->out);
}

/* One human field: padded to its width, less what earlier overflow
 * borrowed; a value too wide gets one space and borrows from later. */
static void ofmt_put_human(struct ofmt *o, const struct ofmt_field *f,
			   const char *value, bool last)
{
	unsigned width = f->width;
	size_t len = strlen(value);

	if (last) {
		fputs(value, o->out);
		o->overflow = 0;
		return;
	}
	if (len + o->overflow >= width) {
		/* len + 1 columns used of width: the debt changes by the
		 * difference (never below 1, as len + overflow >= width). */
		o->overflow = (unsigned)(o->overflow + len + 1 - width);
		fprintf(o->out, "%s ", value);
		return;
	}
	if (o->overflow > 0) {
		unsigned give = MIN(o->overflow, width - (unsigned)len);

		o->overflow -= give;
		width -= give;
	}
	fprintf(o->out, "%-*s", (int)width, value);
}

static void ofmt_put(struct ofmt *o, size_t i, const char *value)
{
	bool last = i + 1 == o->nsel;

	if (o->parseable)
		ofmt_put_parseable(o, value, last);
	else
		ofmt_put_human(o, o->sel[i], value, last);
}

static void ofmt_header(struct ofmt *o)
{
	for (size_t i = 0; i < o->nsel; i++) {
		char name[64];
		size_t j;

		for (j = 0; o->sel[i]->name[j] && j < sizeof(name) - 1; j++)
			name[j] = (char)toupper((unsigned char)
						o->sel[i]->name[j]);
		name[j] = '\0';
		ofmt_put(o, i, name);
	}
	putc('\n', o->out);
	o->header_done = true;
}

int ofmt_print(struct ofmt *o, const void *row)
{
	if (!o->parseable && !o->header_done)
		ofmt_header(o);
	for (size_t i = 0; i < o->nsel; i++) {
		const struct ofmt_field *f = o->sel[i];
		const char *v;

		o->value[0] = '\0';
		v = f->cb(row, f->id, o->value, sizeof(o->value));
		if (v == OFMT_UNKNOWN)
			v = OFMT_VAL_UNKNOWN;
		else if (!v || !*v)
			v = o->parseable ? "" : OFMT_VAL_EMPTY;
		ofmt_put(o, i, v);
	}
	putc('\n', o->out);
	return ferror(o->out) ? -EIO : 0;
}
