/*
 * The usage log's records (include/xvm/usagelog.h): formatting for
 * vswitchd, parsing with every field checked for the CLIs (a log is
 * outside input: it may be truncated by a crash or edited by hand),
 * selection by name and time, sums, dladm's time syntax and Solaris's
 * gnuplot output.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "xvm/usagelog.h"

static const char *const usage_kinds[] = {
	[USAGE_LINK] = "link", [USAGE_FLOW] = "flow",
};

/* The counters, in the order of the line. */
static const char *const usage_counters[] = {
	"ipackets", "rbytes", "opackets", "obytes",
};

static uint64_t *usage_counter(struct usage_rec *r, unsigned i)
{
	uint64_t *c[] = { &r->ipackets, &r->rbytes, &r->opackets, &r->obytes };

	return c[i];
}

const char *usage_kind_name(enum usage_kind k)
{
	return (unsigned)k < ARRAY_SIZE(usage_kinds) ? usage_kinds[k] : "?";
}

static bool usage_name_ok(const char *s)
{
	size_t n = strnlen(s, USAGE_NAME_MAX);

	if (n == 0 || n >= USAGE_NAME_MAX)
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_.-") == n;
}

int usage_line_format(enum usage_kind k, const struct usage_rec *r,
		      char *buf, size_t len)
{
	int n;

	if (!usage_name_ok(r->name) || (unsigned)k >= ARRAY_SIZE(usage_kinds))
		return -EINVAL;
	n = snprintf(buf, len, "{\"type\":\"%s\",\"name\":\"%s\",\"start\":%"
		     PRId64 ",\"end\":%" PRId64 ",\"ipackets\":%" PRIu64
		     ",\"rbytes\":%" PRIu64 ",\"opackets\":%" PRIu64
		     ",\"obytes\":%" PRIu64 "}\n", usage_kinds[k], r->name,
		     r->start, r->end, r->ipackets, r->rbytes, r->opackets,
		     r->obytes);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return n;
}

PRINTF(3, 4)
static int usage_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A non-negative integer member; jansson has no unsigned, so counters
 * stop at 2^63 - 1, which no interval reaches. */
static int usage_get_int(const json_t *o, const char *key, uint64_t *v,
			 char *why, size_t len)
{
	const json_t *j = json_object_get(o, key);

	if (!j)
		return usage_why(why, len, "no \"%s\"", key);
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return usage_why(why, len, "\"%s\" is not a count", key);
	*v = (uint64_t)json_integer_value(j);
	return 0;
}

static int usage_rec_of(const json_t *o, struct usage_rec *r, char *why,
			size_t len)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	uint64_t start, end;

	memset(r, 0, sizeof(*r));
	if (!name || !usage_name_ok(name))
		return usage_why(why, len, "%s", name ? "bad \"name\"" :
				 "no \"name\"");
	snprintf(r->name, sizeof(r->name), "%s", name);
	if (usage_get_int(o, "start", &start, why, len) < 0 ||
	    usage_get_int(o, "end", &end, why, len) < 0)
		return -EINVAL;
	if (end < start || end > INT64_MAX / 2)
		return usage_why(why, len, "%s", "\"end\" before \"start\"");
	r->start = (int64_t)start;
	r->end = (int64_t)end;
	r->duration = end - start;
	for (unsigned i = 0; i < ARRAY_SIZE(usage_counters); i++)
		if (usage_get_int(o, usage_counters[i], usage_counter(r, i),
				  why, len) < 0)
			return -EINVAL;
	return 0;
}

int usage_line_parse(const char *line, enum usage_kind want,
		     struct usage_rec *r, char *why, size_t whylen)
{
	json_error_t jerr;
	json_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	const char *type;
	int rc;

	if (!o)
		return usage_why(why, whylen, "not JSON (%s)", jerr.text);
	type = json_string_value(json_object_get(o, "type"));
	if (!json_is_object(o) || !type)
		rc = usage_why(why, whylen, "%s", "no \"type\"");
	else if (strcmp(type, "link") != 0 && strcmp(type, "flow") != 0)
		rc = usage_why(why, whylen, "unknown type '%.32s'", type);
	else
		rc = usage_rec_of(o, r, why, whylen);
	if (rc == 0)
		rc = strcmp(type, usage_kinds[want]) == 0;
	json_decref(o);
	return rc;
}

int usage_log_append(struct usage_log *log, const struct usage_rec *r)
{
	if (log->n == log->cap) {
		size_t cap = log->cap ? log->cap * 2 : 64;
		struct usage_rec *p = reallocarray(log->rec, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		log->rec = p;
		log->cap = cap;
	}
	log->rec[log->n++] = *r;
	return 0;
}

void usage_log_free(struct usage_log *log)
{
	free(log->rec);
	*log = (struct usage_log){ 0 };
}

/* One line of n bytes (newline included if there was one): a record is
 * kept, a bad line counted and passed to warn. A last line without its
 * newline (vswitchd stopped mid-write) is kept if it is whole. */
static int usage_take_line(char *line, size_t n, unsigned lineno,
			   enum usage_kind k, struct usage_log *log,
			   usage_warn_fn warn, void *arg, unsigned *ngood,
			   unsigned *nbad)
{
	bool cut = n == 0 || line[n - 1] != '\n';
	struct usage_rec r;
	char why[160];
	int rc;

	if (!cut)
		line[--n] = '\0';
	if (n == 0)
		return 0;	/* blank lines are allowed */
	if (n > USAGE_LINE_MAX || strlen(line) != n)
		rc = usage_why(why, sizeof(why), "not a record (%s)",
			       n > USAGE_LINE_MAX ? "too long" : "NUL byte");
	else
		rc = usage_line_parse(line, k, &r, why, sizeof(why));
	if (rc >= 0) {
		(*ngood)++;
		return rc == 1 ? usage_log_append(log, &r) : 0;
	}
	(*nbad)++;
	if (warn && cut) {
		char w[200];

		snprintf(w, sizeof(w), "truncated record (%s)", why);
		warn(arg, lineno, w);
	} else if (warn) {
		warn(arg, lineno, why);
	}
	return 0;
}

int usage_log_read(FILE *f, enum usage_kind k, struct usage_log *log,
		   usage_warn_fn warn, void *arg, unsigned *ngood,
		   unsigned *nbad)
{
	unsigned lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	*ngood = *nbad = 0;
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0)
		rc = usage_take_line(line, (size_t)n, ++lineno, k, log, warn,
				     arg, ngood, nbad);
	if (rc == 0 && ferror(f))
		rc = -EIO;
	free(line);
	return rc;
}

void usage_log_select(struct usage_log *log, const char *name, time_t s,
		      time_t e)
{
	size_t j = 0;

	for (size_t i = 0; i < log->n; i++) {
		const struct usage_rec *r = &log->rec[i];

		if (name && strcmp(r->name, name) != 0)
			continue;
		if ((s && r->start < s) || (e && r->end > e))
			continue;
		log->rec[j++] = *r;
	}
	log->n = j;
}

bool usage_log_has(const struct usage_log *log, const char *name)
{
	for (size_t i = 0; i < log->n; i++)
		if (strcmp(log->rec[i].name, name) == 0)
			return true;
	return false;
}

static struct usage_rec *usage_find(struct usage_log *log, const char *name)
{
	for (size_t i = 0; i < log->n; i++)
		if (strcmp(log->rec[i].name, name) == 0)
			return &log->rec[i];
	return NULL;
}

int usage_summary(const struct usage_log *in, struct usage_log *out)
{
	for (size_t i = 0; i < in->n; i++) {
		const struct usage_rec *r = &in->rec[i];
		struct usage_rec *s = usage_find(out, r->name);

		if (!s) {
			if (usage_log_append(out, r) < 0)
				return -ENOMEM;
			continue;
		}
		s->start = r->start < s->start ? r->start : s->start;
		s->end = r->end > s->end ? r->end : s->end;
		s->duration += r->duration;
		s->ipackets += r->ipackets;
		s->rbytes += r->rbytes;
		s->opackets += r->opackets;
		s->obytes += r->obytes;
	}
	return 0;
}

uint64_t usage_bps(const struct usage_rec *r)
{
	if (r->duration == 0)
		return 0;
	return (r->rbytes + r->obytes) * 8 / r->duration;
}

int usage_time_parse(const char *s, time_t *t)
{
	static const char shape[] = "00/00/0000,00:00:00";
	struct tm tm = { 0 }, want;
	int n = -1;

	if (strlen(s) != sizeof(shape) - 1)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == '0' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
			return -EINVAL;
	if (sscanf(s, "%2d/%2d/%4d,%2d:%2d:%2d%n", &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_year, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n < 0 || s[n] != '\0' || strlen(s) != 19)
		return -EINVAL;
	tm.tm_mon -= 1;
	tm.tm_year -= 1900;
	tm.tm_isdst = -1;
	want = tm;
	*t = mktime(&tm);
	if (*t == (time_t)-1 || tm.tm_mon != want.tm_mon ||
	    tm.tm_mday != want.tm_mday || tm.tm_year != want.tm_year ||
	    want.tm_hour > 23 || want.tm_min > 59 || want.tm_sec > 59)
		return -EINVAL;
	return 0;
}

/* The distinct names of log, in order of appearance (pointers into it). */
static int usage_names(const struct usage_log *log, const char ***names,
		       size_t *n)
{
	*names = calloc(log->n ? log->n : 1, sizeof(**names));
	*n = 0;
	if (!*names)
		return -ENOMEM;
	for (size_t i = 0; i < log->n; i++) {
		size_t j = 0;

		while (j < *n && strcmp((*names)[j], log->rec[i].name) != 0)
			j++;
		if (j == *n)
			(*names)[(*n)++] = log->rec[i].name;
	}
	return 0;
}

/* One line: the records [from, to) all end at log->rec[from].end. */
static void usage_plot_row(FILE *out, const struct usage_log *log,
			   size_t from, size_t to, const char **names,
			   size_t nnames)
{
	time_t end = (time_t)log->rec[from].end;
	char tbuf[16];

	strftime(tbuf, sizeof(tbuf), "%T", localtime(&end));
	fputs(tbuf, out);
	for (size_t j = 0; j < nnames; j++) {
		uint64_t bps = 0;

		for (size_t i = from; i < to; i++)
			if (strcmp(log->rec[i].name, names[j]) == 0)
				bps += usage_bps(&log->rec[i]);
		fprintf(out, " %.2f", (double)bps / 1000);
	}
	fputc('\n', out);
}

int usage_gnuplot(FILE *out, const struct usage_log *log)
{
	const char **names;
	size_t nnames, from = 0;

	if (usage_names(log, &names, &nnames) < 0)
		return -ENOMEM;
	fputs("# Time", out);
	for (size_t j = 0; j < nnames; j++)
		fprintf(out, " %s", names[j]);
	fputc('\n', out);
	for (size_t i = 1; i <= log->n; i++) {
		if (i < log->n && log->rec[i].end == log->rec[from].end)
			continue;
		usage_plot_row(out, log, from, i, names, nnames);
		from = i;
	}
	free(names);
	return ferror(out) ? -EIO : 0;
}
