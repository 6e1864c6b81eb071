/*
 * show-usage, shared by vnicadm (links) and flowadm (flows), as illumos
 * dladm and flowadm show-usage (REFERENCE.md; docs/vnicadm.8): read the
 * usage log vswitchd writes (lib/usagelog.c) and print
 *  - without a name, -s or -e: one summary row per link (flow):
 *    LINK DURATION IPACKETS RBYTES OPACKETS OBYTES BANDWIDTH;
 *  - with a name, -s or -e: one row per interval:
 *    LINK START END RBYTES OBYTES BANDWIDTH;
 *  - -F gnuplot: time and kb/s lines; -d: the dates the log covers.
 * Column widths are libofmt dladm's. The log is read without vswitchd.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xvm/cli.h"
#include "xvm/daemon.h"
#include "xvm/ofmt.h"
#include "xvm/units.h"
#include "xvm/usagelog.h"

enum { U_NAME, U_DURATION, U_IPACKETS, U_RBYTES, U_OPACKETS, U_OBYTES,
       U_BANDWIDTH, U_START, U_END };

static const char *usage_field(const void *row, unsigned id, char *buf,
			       size_t len)
{
	const struct usage_rec *r = row;
	char bw[32];
	time_t t;

	switch (id) {
	case U_NAME: return r->name;
	case U_DURATION: snprintf(buf, len, "%llu", (unsigned long long)r->duration); break;
	case U_IPACKETS: snprintf(buf, len, "%llu", (unsigned long long)r->ipackets); break;
	case U_RBYTES: snprintf(buf, len, "%llu", (unsigned long long)r->rbytes); break;
	case U_OPACKETS: snprintf(buf, len, "%llu", (unsigned long long)r->opackets); break;
	case U_OBYTES: snprintf(buf, len, "%llu", (unsigned long long)r->obytes); break;
	case U_BANDWIDTH:
		if (units_format_bw(usage_bps(r), bw, sizeof(bw)) < 0)
			return OFMT_UNKNOWN;
		snprintf(buf, len, "%s Mbps", bw);
		break;
	case U_START:
	case U_END:
		t = (time_t)(id == U_START ? r->start : r->end);
		strftime(buf, len, "%T", localtime(&t));
		break;
	default: return OFMT_UNKNOWN;
	}
	return buf;
}

#define U(name, width, id)	{ name, width, id, usage_field }
#define SUMMARY(first)							\
	{ U(first, 13, U_NAME), U("DURATION", 11, U_DURATION),		\
	  U("IPACKETS", 10, U_IPACKETS), U("RBYTES", 11, U_RBYTES),	\
	  U("OPACKETS", 10, U_OPACKETS), U("OBYTES", 11, U_OBYTES),	\
	  U("BANDWIDTH", 15, U_BANDWIDTH), { NULL, 0, 0, NULL } }
#define INTERVALS(first)						\
	{ U(first, 13, U_NAME), U("START", 14, U_START),		\
	  U("END", 14, U_END), U("RBYTES", 9, U_RBYTES),		\
	  U("OBYTES", 9, U_OBYTES), U("BANDWIDTH", 15, U_BANDWIDTH),	\
	  { NULL, 0, 0, NULL } }

static const struct ofmt_field usage_tables[2][2][8] = {
	[USAGE_LINK] = { SUMMARY("LINK"), INTERVALS("LINK") },
	[USAGE_FLOW] = { SUMMARY("FLOW"), INTERVALS("FLOW") },
};

/* One invocation's choices. */
struct usage_show {
	enum usage_kind kind;
	const char *file;	/* -f */
	const char *name;	/* the operand */
	const char *oarg;	/* -o */
	bool parseable;		/* -p */
	bool plot;		/* -F gnuplot */
	bool dates;		/* -d */
	time_t stime, etime;	/* -s, -e (0: none) */
	char deflt[4096];	/* the default log path */
};

int usage_default_path(char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/usage.log", xvm_statedir());

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int usage_time_opt(struct cli *c, const char *s, time_t *t)
{
	if (s && usage_time_parse(s, t) < 0)
		return cli_fail(c, "invalid time '%s': expected "
				"MM/DD/YYYY,hh:mm:ss", s);
	return 0;
}

static int usage_args(struct cli *c, const struct cli_opts *o, int argc,
		      char **argv, bool (*valid)(const char *),
		      struct usage_show *u)
{
	const char *fmt = o->val['F'];

	if (o->optind < argc - 1)
		return cli_usage(c);
	if (o->optind == argc - 1) {
		u->name = argv[o->optind];
		if (!valid(u->name))
			return cli_fail(c, "invalid %s name '%.64s'",
					usage_kind_name(u->kind), u->name);
	}
	if (fmt && strcmp(fmt, "gnuplot") != 0)
		return cli_fail(c, "Format specifier %s not supported", fmt);
	if (fmt && o->val['d'])
		return cli_fail(c, "incompatible -d and -F options");
	if (usage_time_opt(c, o->val['s'], &u->stime) ||
	    usage_time_opt(c, o->val['e'], &u->etime))
		return 1;
	if (u->stime && u->etime && u->stime > u->etime)
		return cli_fail(c, "start time %s is after end time %s",
				o->val['s'], o->val['e']);
	if (!o->val['f'] && usage_default_path(u->deflt, sizeof(u->deflt)))
		return cli_fail(c, "XVM_STATEDIR too long");
	u->file = o->val['f'] ? o->val['f'] : u->deflt;
	u->oarg = o->val['o'];
	u->parseable = o->val['p'] != NULL;
	u->plot = fmt != NULL;
	u->dates = o->val['d'] != NULL;
	return 0;
}

struct usage_warn_ctx {
	struct cli *c;
	const char *file;
};

static void usage_warn(void *arg, unsigned lineno, const char *why)
{
	struct usage_warn_ctx *w = arg;

	fprintf(w->c->err, "%s: warning: %s:%u: %s; skipped\n", w->c->prog,
		w->file, lineno, why);
}

/* Read the log: 0, or 1 after printing why not. */
static int usage_load(struct cli *c, const struct usage_show *u,
		      struct usage_log *log)
{
	struct usage_warn_ctx w = { c, u->file };
	unsigned ngood, nbad;
	FILE *f = fopen(u->file, "re");
	int rc;

	if (!f)
		return cli_fail(c, "cannot open usage log '%s': %s", u->file,
				strerror(errno));
	rc = usage_log_read(f, u->kind, log, usage_warn, &w, &ngood, &nbad);
	fclose(f);
	if (rc < 0)
		return cli_fail(c, "cannot read usage log '%s': %s", u->file,
				strerror(-rc));
	if (nbad && !ngood)
		return cli_fail(c, "'%s' is not a usage log (none of its %u "
				"lines is a record)", u->file, nbad);
	if (u->name && !usage_log_has(log, u->name))
		return cli_fail(c, "invalid %s: '%s': no usage records in '%s'",
				usage_kind_name(u->kind), u->name, u->file);
	return 0;
}

static int usage_print_dates(struct cli *c, const struct usage_log *log)
{
	char prev[16] = "", buf[16];

	for (size_t i = 0; i < log->n; i++) {
		time_t t = (time_t)log->rec[i].start;

		strftime(buf, sizeof(buf), "%m/%d/%Y", localtime(&t));
		if (strcmp(buf, prev) != 0)
			fprintf(c->out, "%s\n", buf);
		snprintf(prev, sizeof(prev), "%s", buf);
	}
	return 0;
}

static int usage_print_table(struct cli *c, const struct usage_show *u,
			     const struct usage_log *log, bool summary)
{
	struct ofmt *o;
	char err[256];
	int rc = 0;

	if (ofmt_open(usage_tables[u->kind][!summary], u->oarg,
		      u->parseable ? OFMT_PARSEABLE : 0, c->out, &o, err,
		      sizeof(err)) < 0)
		return cli_fail(c, "%s", err);
	for (size_t i = 0; i < log->n && rc == 0; i++)
		rc = ofmt_print(o, &log->rec[i]);
	ofmt_close(o);
	return rc < 0 ? cli_fail(c, "cannot write output") : 0;
}

static bool usage_is_summary(const struct usage_show *u)
{
	return !u->name && !u->stime && !u->etime && !u->plot;
}

/* ofmt's checks of -o and -p ("-p requires -o", "unknown output field")
 * before the log is read. 0, or 1 (printed). */
static int usage_check_fields(struct cli *c, const struct usage_show *u)
{
	struct ofmt *t;
	char err[256];

	if (u->plot || u->dates)
		return 0;
	if (ofmt_open(usage_tables[u->kind][!usage_is_summary(u)], u->oarg,
		      u->parseable ? OFMT_PARSEABLE : 0, c->out, &t, err,
		      sizeof(err)) < 0)
		return cli_fail(c, "%s", err);
	ofmt_close(t);
	return 0;
}

static int usage_print(struct cli *c, const struct usage_show *u,
		       struct usage_log *log)
{
	bool summary = usage_is_summary(u);
	struct usage_log sum = { 0 };
	int rc;

	usage_log_select(log, u->name, u->stime, u->etime);
	if (u->dates)
		return usage_print_dates(c, log);
	if (u->plot)
		return usage_gnuplot(c->out, log) < 0 ?
			cli_fail(c, "cannot write output") : 0;
	if (!summary)
		return usage_print_table(c, u, log, false);
	if (usage_summary(log, &sum) < 0)
		return cli_fail(c, "out of memory");
	rc = usage_print_table(c, u, &sum, true);
	usage_log_free(&sum);
	return rc;
}

int cli_show_usage(struct cli *c, int argc, char **argv, enum usage_kind k,
		   bool (*valid)(const char *name))
{
	struct usage_show *u = calloc(1, sizeof(*u));
	struct usage_log log = { 0 };
	struct cli_opts o;
	int ret = 1;

	if (!u)
		return cli_fail(c, "out of memory");
	u->kind = k;
	if (cli_opts_parse(c, argc, argv, "adf:s:e:o:pF:", NULL, &o))
		goto fail;
	if (usage_args(c, &o, argc, argv, valid, u))
		goto fail;
	if (usage_check_fields(c, u) || usage_load(c, u, &log))
		goto fail;
	ret = usage_print(c, u, &log);
fail:
	usage_log_free(&log);
	cli_opts_free(&o);
	free(u);
	return ret;
}
