/*
 * The tables of libvirt remote procedures xvmd serves: {number, name,
 * handler, flags}, one handler per procedure, grouped in files by concern
 * (proc_connect.c, proc_node.c, proc_domain.c, proc_life.c, proc_sched.c,
 * proc_save.c, events.c), each file with its own table (struct proc_group).
 * Numbers are remote_protocol.x's (LIBVIRT-RPC.md); anything not in the
 * table answers NO_SUPPORT.
 */
#ifndef XVMD_PROC_H
#define XVMD_PROC_H

#include "remote.h"

enum proc_flags {
	PROC_UNOPENED = 1 << 0,	/* allowed before CONNECT_OPEN */
	PROC_WRITE = 1 << 1,	/* refused on read-only connections */
};

typedef int (*proc_fn)(struct remote_call *c);

struct proc {
	int num;
	const char *name;
	proc_fn fn;		/* 0, -errno with call->err, or PROC_DROP
				 * (remote.h) */
	unsigned int flags;
};

/* The procedures one file serves, in increasing number order. */
struct proc_group {
	const char *name;
	const struct proc *procs;
	size_t n;
};

extern const struct proc_group proc_connect_group;	/* proc_connect.c */
extern const struct proc_group proc_node_group;		/* proc_node.c */
extern const struct proc_group proc_domain_group;	/* proc_domain.c */
extern const struct proc_group proc_life_group;		/* proc_life.c */
extern const struct proc_group proc_sched_group;	/* proc_sched.c */
extern const struct proc_group proc_save_group;		/* proc_save.c */
extern const struct proc_group proc_event_group;	/* events.c */
extern const struct proc_group proc_stats_group;	/* proc_stats.c */
extern const struct proc_group proc_meta_group;		/* proc_meta.c */
extern const struct proc_group proc_device_group;	/* proc_device.c */
extern const struct proc_group proc_blk_group;		/* proc_blk.c */
extern const struct proc_group proc_migrate_group;	/* proc_migrate.c */
extern const struct proc_group proc_storage_group;	/* proc_storage.c */
extern const struct proc_group proc_job_group;		/* proc_job.c */

/* The entry for num, or NULL. */
const struct proc *proc_lookup(int num);
/* Each table is in increasing order (the bisection needs it) and no
 * number is in two. */
bool proc_table_sorted(void);

/* The public API name (virDomainSave) of a procedure xvmd does not serve,
 * for its NO_SUPPORT message; NULL when not known (proc_unserved.c). */
const char *proc_unserved_api(int num);
/* Its table is in increasing order and holds no served number. */
bool proc_unserved_sorted(void);

/* Shared decoding helpers for handlers. */
struct dom;
/* Decode a remote_nonnull_domain and find it (by uuid, then name):
 * NULL with c->err set (NO_DOMAIN), or with c->args in error. */
struct dom *proc_get_dom(struct remote_call *c);
void proc_put_dom(struct remote_call *c, const struct dom *d);
/* Check the args were all consumed; PROC_DROP if not. */
int proc_args_done(struct remote_call *c);
/* After a handler decoded all its args, d from proc_get_dom(): PROC_DROP
 * if args were malformed or left over, -errno with c->err filled if d
 * was not found (-ENOENT) or is Domain-0 when not_dom0, 0 to go on. */
int proc_dom_ready(struct remote_call *c, const struct dom *d, bool not_dom0);

/* A handler: static in its file, listed in that file's table. */
#define PROC_DECL(fn) static int fn(struct remote_call *c)

#endif
