/*
 * The table of libvirt remote procedures xvmd serves: {number, name,
 * handler, flags}, one handler per procedure, grouped in files by concern
 * (proc_connect.c, proc_node.c, proc_domain.c, proc_life.c, proc_sched.c).
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
	proc_fn fn;		/* 0, PROC_ERROR or PROC_DROP (remote.h) */
	unsigned int flags;
};

/* The entry for num, or NULL. */
const struct proc *proc_lookup(int num);
/* The table is in increasing order (the bisection needs it). */
bool proc_table_sorted(void);

/* Shared decoding helpers for handlers. */
struct dom;
/* Decode a remote_nonnull_domain and find it (by uuid, then name):
 * NULL with c->err set (NO_DOMAIN), or with c->args in error. */
struct dom *proc_get_dom(struct remote_call *c);
void proc_put_dom(struct remote_call *c, const struct dom *d);
/* Check the args were all consumed; PROC_DROP if not. */
int proc_args_done(struct remote_call *c);
/* After a handler decoded all its args, d from proc_get_dom(): PROC_DROP
 * if args were malformed or left over, PROC_ERROR if d was not found (or
 * is Domain-0 when not_dom0), 0 to go on. */
int proc_dom_ready(struct remote_call *c, const struct dom *d, bool not_dom0);

#define PROC_DECL(fn) int fn(struct remote_call *c)

#endif
