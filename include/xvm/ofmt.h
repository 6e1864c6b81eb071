/*
 * Table output for every show-* subcommand, after illumos libofmt
 * (REFERENCE.md "Output formatting"). One field table drives the human
 * output (header in capitals, columns left-justified at their width, a too
 * wide value followed by one space with the overflow taken from the next
 * columns' padding, the last column unpadded) and the parseable output (-p:
 * no header, ':' between fields, ':' and '\' escaped with '\' when more
 * than one field is printed).
 *
 *   static const struct ofmt_field vnic_fields[] = {
 *       { "LINK", 13, VNIC_F_LINK, vnic_field },
 *       ...
 *       { NULL }
 *   };
 *   if (ofmt_open(vnic_fields, oarg, parseable ? OFMT_PARSEABLE : 0,
 *                 stdout, &o, err, sizeof(err)) < 0)
 *       die("%s", err);
 *   for each vnic: ofmt_print(o, vnic);
 *   ofmt_close(o);
 */
#ifndef XVM_OFMT_H
#define XVM_OFMT_H

#include <stdio.h>
#include "xvm/common.h"

/* What a callback returns for a value that could not be read ("?"). */
#define OFMT_UNKNOWN	((const char *)1)
/* Room the callback gets in buf, NUL included. */
#define OFMT_VALUE_MAX	1024

/*
 * The value of field `id` for `row`: a string (buf, which has
 * OFMT_VALUE_MAX bytes, or any string that lives until the next call),
 * NULL or "" for an empty value (printed "--", or nothing with -p), or
 * OFMT_UNKNOWN (printed "?").
 */
typedef const char *(*ofmt_cb_fn)(const void *row, unsigned id, char *buf,
				  size_t len);

struct ofmt_field {
	const char *name;	/* header text, matched by -o case-insensitively */
	unsigned width;		/* column width, the separating space included */
	unsigned id;		/* passed to cb: one callback may serve many */
	ofmt_cb_fn cb;
};

#define OFMT_PARSEABLE	0x1u

struct ofmt;

/*
 * Select the fields to print from the NULL-terminated table `fields`:
 * oarg is the -o argument (comma-separated names, or "all"; NULL or ""
 * means all fields). With OFMT_PARSEABLE, oarg is required and "all" is
 * refused. Output goes to out. 0 with *ofmt, or -EINVAL with the message
 * the CLI prints in err ("-p requires -o", "\"-o all\" is invalid with -p",
 * "unknown output field 'x'"), -ENOMEM.
 */
int ofmt_open(const struct ofmt_field *fields, const char *oarg,
	      unsigned flags, FILE *out, struct ofmt **ofmt,
	      char *err, size_t errlen);
/* Print one row (the header first, before the first row, in human mode).
 * 0, or -EIO if writing failed. */
int ofmt_print(struct ofmt *ofmt, const void *row);
void ofmt_close(struct ofmt *ofmt);

#endif
