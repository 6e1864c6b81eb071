/*
 * flowadm: Crossbow's flowadm for xvm's virtual switch (REFERENCE.md
 * "flowadm"). Internal interfaces between the command table and the
 * shared helpers (flowadm.c), the subcommands (cmd_*.c) and the table
 * printers (print.c). What it shares with vnicadm (options, messages,
 * usage, ofmt glue) is lib/cli.c; requests go through lib/vswctl_flow.c;
 * attributes and properties are checked with flows/flowattr.c, the code
 * vswitchd checks them with. Nothing here exits: flowadm_main() returns
 * the exit status, so the unit tests run whole command lines in-process.
 */
#ifndef FLOWADM_H
#define FLOWADM_H

#include <stdio.h>
#include <jansson.h>

#include "xvm/cli.h"
#include "xvm/common.h"
#include "xvm/vswctl_flow.h"

#define FA_PROG		"flowadm"
#define FA_MAX_KV	16	/* attributes or properties in one list */

struct flowadm {
	struct cli cli;			/* prog "flowadm", peer "vswitchd" */
	struct vswctl *h;		/* connected on first call */
};

static inline struct flowadm *fa_of(struct cli *c)
{
	return container_of(c, struct flowadm, cli);
}

#define fa_fail(f, ...)		cli_fail(&(f)->cli, __VA_ARGS__)
#define fa_usage_fail(f, ...)	cli_usage_fail(&(f)->cli, __VA_ARGS__)
#define fa_usage(f)		cli_usage(&(f)->cli)

void flowadm_init(struct flowadm *f, FILE *out, FILE *err);
/* Run one command line (argv[0] the program); the exit status. */
int flowadm_main(int argc, char **argv, FILE *out, FILE *err);

/* The connection, made by the first call (validation never needs the
 * daemon); NULL after printing "cannot connect to vswitchd: reason". */
struct vswctl *fa_handle(struct flowadm *f);
void fa_disconnect(struct flowadm *f);
/* After a failed vswctl call: "flowadm: <context>: <reason>" (context
 * NULL: the reason alone), or "vswitchd: reason" when the exchange
 * failed. Returns 1. */
int fa_vsw_fail(struct flowadm *f, const char *context);

/* A list call refused: "invalid flow name 'x': object not found" (or
 * link) for a missing object, else as fa_vsw_fail. Returns 1. */
int fa_list_fail(struct flowadm *f, const struct vswctl_query *q);

/* Operand checks: print "invalid flow name 'x'" / "invalid link name
 * 'x'" and return 1, else 0. */
int fa_check_flow(struct flowadm *f, const char *name);
int fa_check_link(struct flowadm *f, const char *name);

/* "name=value,..." split into pairs that point into buf (a copy of the
 * list); free with fa_kv_free. 0, or -EINVAL for an empty item or too
 * many. Values are not checked here. */
struct fa_kv {
	struct vswctl_kv kv[FA_MAX_KV];
	const char *names[FA_MAX_KV];	/* the same names, for resets */
	unsigned n;
	char *buf;
};
int fa_kv_split(const char *list, bool values, struct fa_kv *out);
void fa_kv_free(struct fa_kv *kv);

/* print.c: the tables, fed with vswitchd's rows. 0, or 1 (printed). */
enum fa_table {
	FA_T_FLOW,		/* flow.list "flows" */
	FA_T_FLOW_STATS,	/* flow.list "flows" with stats */
	FA_T_FLOWPROP,		/* flowprop.get "props" */
	FA_T_COUNT,
};
struct ofmt;
/* Open table t for -o oarg and -p (its errors, such as "-p requires -o",
 * before vswitchd is asked), print rows into it, close it. */
int fa_table_open(struct flowadm *f, enum fa_table t, const char *oarg,
		  bool parseable, struct ofmt **o);
int fa_table_rows(struct flowadm *f, struct ofmt *o, const json_t *rows);
/* Open, print, close: one whole table. */
int fa_print_table(struct flowadm *f, enum fa_table t, const char *oarg,
		   bool parseable, const json_t *rows);

/* The subcommands. */
int cmd_add_flow(struct cli *c, int argc, char **argv);
int cmd_remove_flow(struct cli *c, int argc, char **argv);
int cmd_show_flow(struct cli *c, int argc, char **argv);
int cmd_set_flowprop(struct cli *c, int argc, char **argv);
int cmd_reset_flowprop(struct cli *c, int argc, char **argv);
int cmd_show_flowprop(struct cli *c, int argc, char **argv);
int cmd_show_flow_usage(struct cli *c, int argc, char **argv);

#endif
