/*
 * vnicadm: the dladm of xvm's virtual switch (REFERENCE.md "dladm ->
 * vnicadm"). Internal interfaces between the command table (vnicadm.c),
 * the subcommands (cmd_*.c), the connection to vswitchd and the wording
 * of its errors (client.c), the property lists (props.c) and the table
 * printers (print.c). What any dladm-like command shares (options,
 * messages, usage, ofmt glue) is lib/cli.c; the requests to vswitchd are
 * lib/vswctl's. Nothing here exits: every function returns, and
 * vnicadm_main() returns the exit status, so the unit tests run whole
 * command lines in-process.
 */
#ifndef VNICADM_H
#define VNICADM_H

#include <stdio.h>
#include <jansson.h>

#include "xvm/cli.h"
#include "xvm/common.h"
#include "xvm/vswctl.h"

#define VN_PROG		"vnicadm"

/* One invocation: the shared CLI state, and the daemon connection. */
struct vnicadm {
	struct cli cli;			/* prog "vnicadm", peer "vswitchd" */
	struct vswctl *h;		/* connected on first call */
};

static inline struct vnicadm *vn_of(struct cli *c)
{
	return container_of(c, struct vnicadm, cli);
}

/* lib/cli.c's messages for v: "vnicadm: ..." on stderr, returning 1. */
#define vn_fail(v, ...)		cli_fail(&(v)->cli, __VA_ARGS__)
#define vn_usage_fail(v, ...)	cli_usage_fail(&(v)->cli, __VA_ARGS__)
#define vn_usage(v)		cli_usage(&(v)->cli)

/* v ready for a command line with output to out and messages to err. */
void vnicadm_init(struct vnicadm *v, FILE *out, FILE *err);
/* Run one command line (argv[0] the program). Returns the exit status. */
int vnicadm_main(int argc, char **argv, FILE *out, FILE *err);

/* A link name operand: prints "invalid link name 'x'" and returns 1 if
 * it is not one, 0 otherwise. */
int vn_check_link(struct vnicadm *v, const char *name);

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
 * reason is vswctl_error(v->h)->message); a change made but not saved
 * is printed as "vnicadm: warning: change in effect but not saved ..."
 * and gives 1 (the exit status, as dladm's after such a warning);
 * anything else is printed
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
	VN_T_PHYS_MAC,		/* vn_phys_mac_rows(): show-phys -m */
	VN_T_PHYS_HW,		/* vn_phys_hw_rows(): show-phys -H */
	VN_T_ETHER,		/* phys.list "phys", show-ether's columns */
	VN_T_ETHERSTUB,		/* etherstub.list "etherstubs" */
	VN_T_LINKPROP,		/* linkprop.get "props" */
	VN_T_COUNT,
};
struct ofmt;
int vn_table_open(struct vnicadm *v, enum vn_table t, const char *oarg,
		  bool parseable, struct ofmt **o);
/* Open, print, close: one whole table. */
int vn_print_table(struct vnicadm *v, enum vn_table t, const char *oarg,
		   bool parseable, const json_t *rows);
/* show-phys -m and -H rows from phys.list's (docs/vswitchd-control.md):
 * one per MAC address slot (only "primary": no host NIC gives Linux
 * factory slots beyond its own address) and one per ring group (the
 * uplink's DPDK receive and transmit queues, shared by every VNIC over
 * it; none while nothing is attached). New arrays; NULL when out of
 * memory. */
json_t *vn_phys_mac_rows(const json_t *phys);
json_t *vn_phys_hw_rows(const json_t *phys);
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
	const char *name;	/* the operand: only that row (must exist) */
	const char *name_key;	/* its key in a row ("name"; "link") */
	const char *what;	/* "vnic": "invalid vnic name 'x': ..." */
	/* rows selected -> rows printed (a new array), or NULL: as they
	 * are */
	json_t *(*expand)(const json_t *rows);
};
int vn_show(struct vnicadm *v, const struct vn_show *s);

/*
 * One show-* subcommand: parse optstring (multi as in cli_opts_parse),
 * let args check the operands and options into s (its query), take -o
 * and the parseable letter ('p'; 'c' for show-linkprop), then vn_show().
 * s carries the list call, table and what; s->props is freed.
 */
struct vn_show_cmd {
	const char *optstring;
	const char *multi;
	char parseable;
	int (*args)(struct vnicadm *v, const struct cli_opts *o, int argc,
		    char **argv, struct vn_show *s);
};
int vn_show_run(struct vnicadm *v, int argc, char **argv,
		const struct vn_show_cmd *c, struct vn_show *s);
/* Helpers for args: at most one operand, a link name, kept in s->name
 * (and asked for as q.name when send); -s [-i] choosing between the
 * tables plain and stats. Each prints and returns 1 on error. */
int vn_show_operand(struct vnicadm *v, const struct cli_opts *o, int argc,
		    char **argv, struct vn_show *s, bool send);
int vn_show_stats(struct vnicadm *v, const struct cli_opts *o,
		  struct vn_show *s, enum vn_table plain,
		  enum vn_table stats);

/* The skeleton of the commands taking options and exactly one link name
 * (set/reset-linkprop, delete-vnic, create/delete-etherstub): parse,
 * check the operand, then run(v, &o, link). */
int vn_link_cmd(struct vnicadm *v, int argc, char **argv,
		const char *optstring, const char *multi,
		int (*run)(struct vnicadm *v, const struct cli_opts *o,
			   const char *link));

/*
 * altroot.c: -R root, the persistent configuration under root changed
 * without vswitchd (see there for the file's path). Each checks what the
 * file can tell, prints dladm's message and returns 1, or saves and
 * returns 0. The operands and options are checked by the caller.
 */
int vn_root_check(struct vnicadm *v, const struct cli_opts *o);
int vn_root_create_vnic(struct vnicadm *v, const char *root,
			const struct vswctl_vnic_spec *s);
int vn_root_delete_vnic(struct vnicadm *v, const char *root,
			const char *name);
int vn_root_create_etherstub(struct vnicadm *v, const char *root,
			     const char *name);
int vn_root_delete_etherstub(struct vnicadm *v, const char *root,
			     const char *name);
/* rename-link: an etherstub (its VNICs follow) or a VNIC (its flows
 * follow) */
int vn_root_rename(struct vnicadm *v, const char *root, const char *from,
		   const char *to);
/* props set, or (props NULL) names reset (all when nnames is 0) */
int vn_root_linkprop(struct vnicadm *v, const char *root, const char *link,
		     const struct vswctl_props *props,
		     const char *const *names, unsigned nnames);

/* The subcommands (cmd_*.c). */
int cmd_create_vnic(struct cli *c, int argc, char **argv);
int cmd_delete_vnic(struct cli *c, int argc, char **argv);
int cmd_show_vnic(struct cli *c, int argc, char **argv);
int cmd_show_link(struct cli *c, int argc, char **argv);
int cmd_show_phys(struct cli *c, int argc, char **argv);
int cmd_rename_link(struct cli *c, int argc, char **argv);
int cmd_show_ether(struct cli *c, int argc, char **argv);
int cmd_help(struct cli *c, int argc, char **argv);
int cmd_create_etherstub(struct cli *c, int argc, char **argv);
int cmd_delete_etherstub(struct cli *c, int argc, char **argv);
int cmd_show_etherstub(struct cli *c, int argc, char **argv);
int cmd_set_linkprop(struct cli *c, int argc, char **argv);
int cmd_reset_linkprop(struct cli *c, int argc, char **argv);
int cmd_show_linkprop(struct cli *c, int argc, char **argv);
int cmd_snoop(struct cli *c, int argc, char **argv);
int cmd_show_usage(struct cli *c, int argc, char **argv);

/* snoop_print.c: snoop's summary of a frame of caplen bytes ("0:16:3e:1:2:3
 * -> ff:ff:ff:ff:ff:ff ARP C Who is 10.0.0.2, tell 10.0.0.1") in buf. */
void vn_snoop_describe(const uint8_t *f, uint32_t caplen, char *buf,
		       size_t len);

#endif
