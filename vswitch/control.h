/*
 * The control socket's dispatcher (docs/vswitchd-control.md). The module
 * that owns a method registers it next to its handler with one
 * CTL_COMMAND line (as OVS modules call unixctl_command_register), so a
 * new method is one handler and one line, or one new file; control.c
 * gathers them into the table rpc_server_open() takes. After a handler
 * succeeds, the dispatcher has persist.c save the configuration if the
 * handler changed what is saved (persist_changed()), and reports a failed
 * save to the client. Also the parameter checks every handler uses.
 */
#ifndef VSW_CONTROL_H
#define VSW_CONTROL_H

#include <jansson.h>

#include "xvm/common.h"
#include "xvm/linkprop.h"
#include "xvm/rpc.h"

struct vswd;

/*
 * A method's handler. Control thread (rpc_server_dispatch()). params is
 * an object (never NULL); every field used is checked first
 * (ctl_str()...), and a refused request changes nothing. Returns 0 and
 * may set *result to a new reference (NULL: {}), or a negative errno with
 * err filled (rpc_errorf()). A handler that changed the saved
 * configuration calls persist_changed(d); it never saves itself.
 */
typedef int (*ctl_handler_fn)(struct vswd *d, json_t *params,
			      json_t **result, struct rpc_error *err);

struct ctl_command {
	const char *name;		/* on the wire: "vnic.create" */
	const char *usage;		/* its parameters, "name [temporary]"
					 * ([] optional), for readers and
					 * the debug log */
	ctl_handler_fn handler;
	rpc_handler_fn entry;		/* what the RPC server calls: a
					 * CTL_COMMAND stub into ctl_run() */
	struct ctl_command *next;	/* registered commands */
};

/* Called by CTL_COMMAND before main(); ctl_methods() refuses a name
 * registered twice. */
void ctl_register(struct ctl_command *c);
/* Run c's handler for the RPC server, then save if it changed the
 * configuration (persist_commit()). */
int ctl_run(const struct ctl_command *c, void *ctx, json_t *params,
	    json_t **result, struct rpc_error *err);
/*
 * Run the handler of the registered method `method` in the daemon itself,
 * as a client would see it but without saving (for read-only methods:
 * usage.c reads link.list and flow.list). Control thread. As a handler
 * returns; -ENOENT for a method not registered.
 */
int ctl_call(struct vswd *d, const char *method, json_t *params,
	     json_t **result, struct rpc_error *err);
/* The registered methods in a new array for rpc_server_open() (free()
 * it after rpc_server_close()), *n of them; NULL with errno ENOMEM, or
 * EEXIST for a method registered twice. */
struct rpc_method *ctl_methods(size_t *n);

/*
 * Register handler fn as method name, taking usage. One line at file
 * scope in the module that owns the method:
 *   CTL_COMMAND("vnic.delete", vnic_ctl_delete, "name [temporary]");
 */
#define CTL_COMMAND(method, fn, usage_)					\
	static struct ctl_command fn##_command;				\
	static int fn##_entry(void *ctx, struct rpc_conn *conn UNUSED,	\
			      json_t *params, json_t **result,		\
			      struct rpc_error *err)			\
	{								\
		return ctl_run(&fn##_command, ctx, params, result, err); \
	}								\
	__attribute__((constructor)) static void fn##_register(void)	\
	{								\
		ctl_register(&fn##_command);				\
	}								\
	static struct ctl_command fn##_command = {			\
		.name = (method), .usage = (usage_), .handler = (fn),	\
		.entry = fn##_entry,					\
	}

/*
 * A method that needs the connection it came on (a capture streams its
 * frames to it as events, and ends when it closes): as CTL_COMMAND, with
 * fn also taking conn. Such a method must not change the saved
 * configuration (nothing is saved after it).
 */
typedef int (*ctl_conn_handler_fn)(struct vswd *d, struct rpc_conn *conn,
				   json_t *params, json_t **result,
				   struct rpc_error *err);
#define CTL_COMMAND_CONN(method, fn, usage_)				\
	static struct ctl_command fn##_command;				\
	static int fn##_entry(void *ctx, struct rpc_conn *conn,		\
			      json_t *params, json_t **result,		\
			      struct rpc_error *err)			\
	{								\
		return fn(ctx, conn, params, result, err);		\
	}								\
	__attribute__((constructor)) static void fn##_register(void)	\
	{								\
		ctl_register(&fn##_command);				\
	}								\
	static struct ctl_command fn##_command = {			\
		.name = (method), .usage = (usage_), .handler = NULL,	\
		.entry = fn##_entry,					\
	}

/* Parameter checks: 0, or -EINVAL with err saying what is wrong. */
#define CTL_STR_MAX	256	/* longest string parameter accepted */

int ctl_str(json_t *params, const char *key, bool required,
	    const char **out, struct rpc_error *err);
int ctl_bool(json_t *params, const char *key, bool *out,
	     struct rpc_error *err);
/* The "name" (required) and "temporary" parameters most methods take. */
int ctl_name_temp(json_t *params, const char **name, bool *temporary,
		  struct rpc_error *err);
/* Apply {"prop": "value", ...} (obj may be NULL) to p: all or nothing. */
int ctl_props(json_t *obj, struct link_props *p, struct rpc_error *err);
/* The optional "props" array of property names as a bitmask (all if
 * absent). */
int ctl_prop_names(json_t *params, uint32_t *mask, struct rpc_error *err);
/* The optional "vid" (0..4094, 0 if absent). */
int ctl_vid(json_t *params, uint16_t *vid, struct rpc_error *err);

#endif
