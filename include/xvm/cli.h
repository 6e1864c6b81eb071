/*
 * What every administrator command shares (vnicadm and hvctl today, a
 * flowadm or a capture command later), with the program's name as a
 * parameter: a table of subcommands and the usage text generated from
 * it, getopt options with REFERENCE.md's messages ("Errors and exit
 * status": "prog: message" on stderr, exit status 1; a program with
 * other exit statuses, such as hvctl, sets its own), and the glue
 * between JSON rows and lib/ofmt for show-* output. Nothing here exits: every
 * function returns the exit status or 0, so unit tests run whole command
 * lines in-process.
 */
#ifndef XVM_CLI_H
#define XVM_CLI_H

#include <stdio.h>
#include <jansson.h>

#include "xvm/common.h"

struct cli;
struct ofmt;
struct ofmt_field;

/*
 * A subcommand. handler gets argv with argv[0] the subcommand's name and
 * returns the exit status (0, or 1 after printing why). A program keeps
 * its own state around its struct cli (container_of).
 */
struct cli_cmd {
	const char *name;
	int (*handler)(struct cli *c, int argc, char **argv);
	const char *usage;	/* arguments, as in the usage text */
};

/*
 * A long option: --name is -letter (arg: it takes a value, --name=V or
 * --name V) in the subcommands listed in cmds (space-separated; NULL:
 * every subcommand whose options have -letter taking a value or not as
 * arg says). dladm gives one letter two names by subcommand (-p is
 * --prop in create-vnic, --parsable in show-vnic): both can be listed.
 */
struct cli_longopt {
	const char *name;
	char letter;
	bool arg;
	const char *cmds;
};

/* One invocation of a program. */
struct cli {
	const char *prog;		/* "vnicadm": starts every message */
	const char *peer;		/* the daemon answers come from
					 * ("vswitchd"), in messages about
					 * them; NULL: none named */
	FILE *out;			/* tables */
	FILE *err;			/* messages and usage */
	const struct cli_cmd *cmds;	/* the subcommands */
	size_t ncmds;
	const struct cli_cmd *cmd;	/* the one running, for its usage */
	const char *default_cmd;	/* run when no subcommand is given
					 * (dladm: show-link); NULL: usage */
	/*
	 * For a program whose command line is not "prog <subcommand>
	 * <args>" (hvctl: options, a target, then the command): prints its
	 * own usage text on f, called by cli_usage() and cli_usage_fail()
	 * in place of the table's. NULL: the table's.
	 */
	void (*synopsis)(const struct cli *c, FILE *f);
	int usage_status;		/* exit status of usage errors;
					 * 0: 1, as every other failure */
	const struct cli_longopt *longopts;	/* ends with a NULL name;
						 * NULL: none */
};

/* "prog: <message>" on c->err; returns 1 (the exit status). */
int cli_fail(struct cli *c, const char *fmt, ...) PRINTF(2, 3);
/* The help subcommand: the usage of name (NULL: of every subcommand) on
 * c->out, 0; 1 after "unknown subcommand 'x'" for a name not in the
 * table. */
int cli_help(struct cli *c, const char *name);
/* "prog: warning: <message>" (dladm's warn()), for what went partly
 * wrong; returns 1. */
int cli_warn(struct cli *c, const char *fmt, ...) PRINTF(2, 3);
/* The same message; returns status, for programs that tell failures
 * apart by exit status (hvctl: 3 for an unreachable hv). */
int cli_fail_status(struct cli *c, int status, const char *fmt, ...)
	PRINTF(3, 4);
/* The same, followed by the running subcommand's usage line (or all of
 * cli_usage()'s when none runs or c->synopsis is set); returns the usage
 * status. */
int cli_usage_fail(struct cli *c, const char *fmt, ...) PRINTF(2, 3);
/* c->synopsis, or the usage of every subcommand (wrong operands);
 * returns the usage status. */
int cli_usage(struct cli *c);

/*
 * Run the command line argv (argv[0] the program, argv[1] the
 * subcommand), then check that c->out was written. Returns the exit
 * status. The caller releases its own state (a daemon connection)
 * afterwards.
 */
int cli_run(struct cli *c, int argc, char **argv);

/*
 * Options of one subcommand, getopt style with REFERENCE.md's messages,
 * and the long names c->longopts gives them.
 * val[c] is the argument of -c ("" for a flag), NULL if not given. Options
 * listed in `multi` may repeat; their values are joined with ','.
 */
struct cli_opts {
	const char *val[128];
	char *joined[128];
	int optind;		/* first operand */
};
/* 0, or the exit status (1, or c->usage_status for a usage error) after
 * printing the error and usage. Free with cli_opts_free either way. */
int cli_opts_parse(struct cli *c, int argc, char **argv,
		   const char *optstring, const char *multi,
		   struct cli_opts *o);
void cli_opts_free(struct cli_opts *o);

/* -i interval: whole seconds, 1 to one day. 0, or 1 after printing
 * "invalid interval value 'x'". */
int cli_parse_interval(struct cli *c, const char *s, unsigned *secs);

/*
 * show-* output: open an ofmt table of fields (its callbacks read JSON
 * objects) on c->out for -o oarg (NULL: all) and -p; print every object of
 * the array rows. Each returns 0, or 1 after printing the error (ofmt's,
 * "peer: malformed reply" for rows that are not an array of objects,
 * "cannot write output").
 */
int cli_table_open(struct cli *c, const struct ofmt_field *fields,
		   const char *oarg, bool parseable, struct ofmt **o);
int cli_table_rows(struct cli *c, struct ofmt *o, const json_t *rows);

#endif
