/*
 * vnicadm: the dladm of xvm's virtual switch (REFERENCE.md "dladm ->
 * vnicadm"). Internal interfaces between the command table (cli.c), the
 * subcommands (cmd_*.c), the vswitchd client (client.c), the property
 * lists (props.c) and the table printers (print.c). Nothing here exits:
 * every function returns, and vnicadm_main() returns the exit status, so
 * the unit tests run whole command lines in-process.
 */
#ifndef VNICADM_H
#define VNICADM_H

#include <stdio.h>
#include <jansson.h>

#include "xvm/common.h"
#include "xvm/rpc.h"

#define VN_PROG		"vnicadm"
#define VN_TIMEOUT_MS	10000

struct vnicadm_cmd;

/* One invocation: where output goes, which subcommand runs. */
struct vnicadm {
	FILE *out;			/* tables */
	FILE *err;			/* "vnicadm: message" and usage */
	const struct vnicadm_cmd *cmd;	/* for its usage line */
	struct rpc_client *cli;		/* connected on first call */
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
 * Call a vswitchd method (params stolen). Returns 0 with *result (caller
 * decrefs; result may be NULL to drop it). On failure prints one line and
 * returns 1: "cannot connect to vswitchd: reason" when vswitchd is not
 * there, otherwise "<context>: <reason>" (context NULL: the reason alone).
 */
int vn_call(struct vnicadm *v, const char *method, json_t *params,
	    json_t **result, const char *context);
/* The same, but an error vswitchd answered is not printed: it is returned
 * in *e with 2, for callers that word some errors themselves. */
int vn_call_raw(struct vnicadm *v, const char *method, json_t *params,
		json_t **result, struct rpc_error *e);
void vn_disconnect(struct vnicadm *v);

/* props.c: "-p" lists. Validate as vswitchd would (lib/linkprop.c), then
 * make the {"prop": "value"} object vnic.create/vnic.set take. The name of
 * the first property is returned in first (for messages), and *count the
 * number of properties. 0 with *obj, or -EINVAL with err filled and
 * *bad the property at fault (or "" if the list itself is malformed). */
int vn_props_object(const char *list, json_t **obj, char *err, size_t errlen,
		    char *bad, size_t badlen, unsigned *count);
/* "prop,prop" of reset-linkprop/show-linkprop into a JSON array of names;
 * -EINVAL with err for an unknown name. */
int vn_propnames_array(const char *list, json_t **arr, char *err,
		       size_t errlen);

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
	const char *method;	/* "vnic.list" */
	json_t *params;		/* borrowed; each round sends a copy */
	const char *key;	/* the result's array: "vnics" */
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
 * give s fresh params, let args check the operands and options into s,
 * take -o and the parseable letter ('p'; 'c' for show-linkprop), then
 * vn_show(). s carries the method, key, table and what; params is freed.
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
 * (and sent as params "name" when send); -s [-i] choosing between the
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
