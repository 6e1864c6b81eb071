/*
 * vnicadm: the dladm of xvm's virtual switch (REFERENCE.md "dladm ->
 * vnicadm"). Internal interfaces between the command table (cli.c), the
 * subcommands (cmd_*.c), the connection to vswitchd and the wording of
 * its errors (client.c; the requests themselves are lib/vswctl's), the
 * property lists (props.c) and the table printers (print.c). Nothing here exits:
 * every function returns, and vnicadm_main() returns the exit status, so
 * the unit tests run whole command lines in-process.
 */
#ifndef VNICADM_H
#define VNICADM_H

#include <stdio.h>
#include <jansson.h>

#include "xvm/common.h"
#include "xvm/vswctl.h"

#define VN_PROG		"vnicadm"

struct vnicadm_cmd;

/* One invocation: where output goes, which subcommand runs. */
struct vnicadm {
	FILE *out;			/* tables */
	FILE *err;			/* "vnicadm: message" and usage */
	const struct vnicadm_cmd *cmd;	/* for its usage line */
	struct vswctl *h;		/* connected on first call */
};

/*
 * A subcommand. handler gets argv with argv[0] the subcommand's name and
 * returns the exit status (0, or 1 after printing why).
 */
struct vnicadm_cmd {
	const char *name;
	int (*handler)(struct vnicadm *v, int argc, char **argv);
	const char *usage;	/* arguments, as in the usage text */
};

/* Run one command line (argv[0] the program). Returns the exit status. */
int vnicadm_main(int argc, char **argv, FILE *out, FILE *err);

/* "vnicadm: <message>" on v->err; returns 1 (the exit status). */
int vn_fail(struct vnicadm *v, const char *fmt, ...) PRINTF(2, 3);
/* The same, followed by the subcommand's usage line. */
int vn_usage_fail(struct vnicadm *v, const char *fmt, ...) PRINTF(2, 3);
/* The usage of every subcommand (wrong operands); returns 1. */
int vn_usage(struct vnicadm *v);

/*
 * Options of one subcommand, getopt style with REFERENCE.md's messages.
 * val[c] is the argument of -c ("" for a flag), NULL if not given. Options
 * listed in `multi` may repeat; their values are joined with ','.
 */
struct vn_opts {
	const char *val[128];
	char *joined[128];
	int optind;		/* first operand */
};
/* 0, or 1 after printing the error and usage. Free with vn_opts_free. */
int vn_opts_parse(struct vnicadm *v, int argc, char **argv,
		  const char *optstring, const char *multi,
		  struct vn_opts *o);
void vn_opts_free(struct vn_opts *o);

/* Checks shared by the subcommands; each prints the message and returns 1
 * on failure, 0 otherwise. */
int vn_check_link(struct vnicadm *v, const char *name);
int vn_parse_interval(struct vnicadm *v, const char *s, unsigned *secs);

/*
 * The connection to vswitchd, made by the first call so validation errors
 * never need the daemon; NULL after printing "cannot connect to vswitchd:
 * reason".
 */
struct vswctl *vn_handle(struct vnicadm *v);
void vn_disconnect(struct vnicadm *v);
/*
 * After a vswctl call on v->h failed: a refusal by vswitchd is not printed
 * but returned as 2, for callers that word some errors themselves (the
 * reason is vswctl_error(v->h)->message); anything else is printed
 * ("vswitchd: reason" when the exchange failed, which also disconnects)
 * and gives 1.
 */
int vn_vsw_error(struct vnicadm *v);
/* The same, printing a refusal as "<context>: <reason>" (context NULL:
 * the reason alone); returns 1. */
int vn_vsw_fail(struct vnicadm *v, const char *context);

/* props.c: "-p" lists, validated as vswitchd would (lib/linkprop.c) and
 * split into props.p for vnic.create/vnic.set: names and values point
 * into props.buf. 0, or -EINVAL with err filled and bad the property at
 * fault (or "" if the list itself is malformed). Free with
 * vn_props_free() either way. */
struct vn_props {
	struct vswctl_props p;
	char *buf;
};
int vn_props_parse(const char *list, struct vn_props *props, char *err,
		   size_t errlen, char *bad, size_t badlen);
void vn_props_free(struct vn_props *props);
/* "prop,prop" of reset-linkprop/show-linkprop, each name checked: 0, or
 * -EINVAL with err for an unknown name. Free with vn_names_free(). */
struct vn_names {
	const char **name;
	unsigned n;
	char *buf;
};
int vn_propnames_parse(const char *list, struct vn_names *names, char *err,
		       size_t errlen);
void vn_names_free(struct vn_names *names);

/* print.c: table printers fed with vswitchd's results, so they are tested
 * without a daemon. oarg is -o (NULL: all fields); parseable is -p (or -c
 * for show-linkprop). Each returns 0 or 1 after printing the error. */
enum vn_table {
	VN_T_VNIC,		/* vnic.list "vnics" */
	VN_T_VNIC_STATS,	/* vnic.list "vnics" with stats */
	VN_T_LINK,		/* link.list "links" */
	VN_T_LINK_STATS,	/* link.list "links" with stats */
	VN_T_PHYS,		/* phys.list "phys" */
	VN_T_ETHERSTUB,		/* etherstub.list "etherstubs" */
	VN_T_LINKPROP,		/* linkprop.get "props" */
	VN_T_COUNT,
};
struct ofmt;
int vn_table_open(struct vnicadm *v, enum vn_table t, const char *oarg,
		  bool parseable, struct ofmt **o);
/* Print every element of the array rows (objects). */
int vn_table_rows(struct vnicadm *v, struct ofmt *o, const json_t *rows);
/* Open, print, close: one whole table. */
int vn_print_table(struct vnicadm *v, enum vn_table t, const char *oarg,
		   bool parseable, const json_t *rows);
/* Counters of rows minus those of prev (matched by "name"), for -i. A new
 * array of new objects; NULL on allocation failure. */
json_t *vn_stats_delta(const json_t *rows, const json_t *prev);

/* show.c: fetch rows from vswitchd and print them as a table, once or
 * every interval seconds (-i; counters then show the change since the
 * previous round). */
struct vn_show {
	vswctl_list_fn list;	/* vswctl_vnic_list */
	struct vswctl_query q;	/* what is asked for */
	struct vn_names props;	/* show-linkprop -p, q.props points here */
	enum vn_table table;
	const char *oarg;	/* -o, NULL for all fields */
	bool parseable;		/* -p (-c) */
	unsigned interval;	/* -i seconds; 0: once */
	const char *name;	/* the operand: only that row, which must exist */
	const char *name_key;	/* its key in a row ("name"; "link") */
	const char *what;	/* "vnic": "invalid vnic name 'x': ..." */
	bool persistent_only;	/* -P: leave out "temporary": true rows */
};
int vn_show(struct vnicadm *v, const struct vn_show *s);

/*
 * One show-* subcommand: parse optstring (multi as in vn_opts_parse),
 * let args check the operands and options into s (its query), take -o
 * and the parseable letter ('p'; 'c' for show-linkprop), then vn_show().
 * s carries the list call, table and what; s->props is freed.
 */
struct vn_show_cmd {
	const char *optstring;
	const char *multi;
	char parseable;
	int (*args)(struct vnicadm *v, const struct vn_opts *o, int argc,
		    char **argv, struct vn_show *s);
};
int vn_show_run(struct vnicadm *v, int argc, char **argv,
		const struct vn_show_cmd *c, struct vn_show *s);
/* Helpers for args: at most one operand, a link name, kept in s->name
 * (and asked for as q.name when send); -s [-i] choosing between the
 * tables plain and stats. Each prints and returns 1 on error. */
int vn_show_operand(struct vnicadm *v, const struct vn_opts *o, int argc,
		    char **argv, struct vn_show *s, bool send);
int vn_show_stats(struct vnicadm *v, const struct vn_opts *o,
		  struct vn_show *s, enum vn_table plain,
		  enum vn_table stats);

/* The skeleton of the commands taking options and exactly one link name
 * (set/reset-linkprop, delete-vnic, create/delete-etherstub): parse,
 * check the operand, then run(v, &o, link). */
int vn_link_cmd(struct vnicadm *v, int argc, char **argv,
		const char *optstring, const char *multi,
		int (*run)(struct vnicadm *v, const struct vn_opts *o,
			   const char *link));

/* The subcommands (cmd_*.c). */
int cmd_create_vnic(struct vnicadm *v, int argc, char **argv);
int cmd_delete_vnic(struct vnicadm *v, int argc, char **argv);
int cmd_show_vnic(struct vnicadm *v, int argc, char **argv);
int cmd_show_link(struct vnicadm *v, int argc, char **argv);
int cmd_show_phys(struct vnicadm *v, int argc, char **argv);
int cmd_create_etherstub(struct vnicadm *v, int argc, char **argv);
int cmd_delete_etherstub(struct vnicadm *v, int argc, char **argv);
int cmd_show_etherstub(struct vnicadm *v, int argc, char **argv);
int cmd_set_linkprop(struct vnicadm *v, int argc, char **argv);
int cmd_reset_linkprop(struct vnicadm *v, int argc, char **argv);
int cmd_show_linkprop(struct vnicadm *v, int argc, char **argv);

#endif
