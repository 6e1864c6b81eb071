/*
 * The usage log: what vswitchd writes every interval for each link and
 * flow (vswitch/usage.c) and what `vnicadm show-usage` and `flowadm
 * show-usage` read back, as illumos dladm/flowadm read the exacct file
 * acctadm(1M) has the kernel write. Our log is not exacct but one JSON
 * object a line (docs/vswitchd.md "Usage log"):
 *
 *   {"type":"link","name":"vnic1","start":1764820800,"end":1764820801,
 *    "ipackets":3,"rbytes":294,"opackets":3,"obytes":294}
 *
 * start and end are seconds since the epoch; the counters are what went
 * through the link or flow between them (not running totals). Unknown
 * keys are ignored, so records may grow.
 *
 * lib/usagelog.c parses, selects and sums; lib/cli_usage.c is the
 * show-usage subcommand both CLIs share.
 */
#ifndef XVM_USAGELOG_H
#define XVM_USAGELOG_H

#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include "xvm/common.h"

#define USAGE_NAME_MAX	32	/* link and flow names are shorter */
#define USAGE_LINE_MAX	1024	/* a longer line is not a record */

enum usage_kind { USAGE_LINK, USAGE_FLOW };

/* One record: one link or flow over one interval (or, summed by
 * usage_summary(), over all of them). */
struct usage_rec {
	char name[USAGE_NAME_MAX];
	int64_t start, end;		/* seconds since the epoch */
	uint64_t duration;		/* seconds: end - start, or the sum */
	uint64_t ipackets, rbytes, opackets, obytes;
};

struct usage_log {
	struct usage_rec *rec;
	size_t n, cap;
};

/* "link" or "flow". */
const char *usage_kind_name(enum usage_kind k);

/*
 * One line of the log as r's record of kind k, newline included, in buf.
 * The length, or -EINVAL for a name a record cannot hold (empty, too
 * long, or with characters other than [A-Za-z0-9_.-]), -ENOSPC.
 */
int usage_line_format(enum usage_kind k, const struct usage_rec *r,
		      char *buf, size_t len);
/*
 * Parse one line (without its newline). 1 with *r for a record of kind
 * want; 0 for a good record of the other kind; -EINVAL with why filled
 * for anything else (not JSON, a key missing or of the wrong type,
 * end before start, a counter out of range).
 */
int usage_line_parse(const char *line, enum usage_kind want,
		     struct usage_rec *r, char *why, size_t whylen);

/* Called for each line that is not a record: its number from 1. */
typedef void (*usage_warn_fn)(void *arg, unsigned lineno, const char *why);
/*
 * Read every record of kind k from f into log (appended). A bad line is
 * passed to warn (may be NULL) and skipped; *nbad counts them and
 * *ngood the good records of either kind (blank lines are neither).
 * 0, or -ENOMEM, -EIO.
 */
int usage_log_read(FILE *f, enum usage_kind k, struct usage_log *log,
		   usage_warn_fn warn, void *arg, unsigned *ngood,
		   unsigned *nbad);
int usage_log_append(struct usage_log *log, const struct usage_rec *r);
void usage_log_free(struct usage_log *log);

/*
 * Keep only the records of name (NULL: all) that lie within [s, e]
 * (a bound of 0: none): start >= s and end <= e, as dladm's -s and -e.
 */
void usage_log_select(struct usage_log *log, const char *name, time_t s,
		      time_t e);
/* Whether any record is name's. */
bool usage_log_has(const struct usage_log *log, const char *name);
/* One record per name, in order of first appearance: the sums of the
 * counters and durations, the earliest start and latest end. 0, -ENOMEM. */
int usage_summary(const struct usage_log *in, struct usage_log *out);

/* Bits per second over r's duration (0 for none). */
uint64_t usage_bps(const struct usage_rec *r);

/*
 * dladm's time arguments: MM/DD/YYYY,hh:mm:ss in local time. 0 with *t,
 * or -EINVAL (a malformed or impossible date such as 02/30).
 */
int usage_time_parse(const char *s, time_t *t);

/*
 * Solaris's `show-usage -F gnuplot`: "# Time name..." then, for each end
 * of interval, "hh:mm:ss" (local time) and each name's bandwidth in kb/s
 * with two decimals ("0.00" for a name without a record then). Records
 * in log order. 0, -ENOMEM, or -EIO if writing failed.
 */
int usage_gnuplot(FILE *out, const struct usage_log *log);

/*
 * The whole show-usage subcommand of vnicadm (USAGE_LINK) and flowadm
 * (USAGE_FLOW) (docs/vnicadm.8, docs/flowadm.8): options, reading the
 * log, the tables. valid checks the operand's name. The exit status.
 */
struct cli;
int cli_show_usage(struct cli *c, int argc, char **argv, enum usage_kind k,
		   bool (*valid)(const char *name));
/* The log show-usage reads without -f: $XVM_STATEDIR/usage.log. */
int usage_default_path(char *buf, size_t len);

#endif
