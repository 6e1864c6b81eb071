/*
 * Connection-level procedures (remote_protocol.x): the handshake virsh and
 * python3-libvirt perform (AUTH_LIST, SUPPORTS_FEATURE, CONNECT_OPEN),
 * and what `virsh version`, `hostname`, `uri` ask.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "proc.h"

#define XVMD_VERSION		1000	/* 0.1.0 as major*1e6+minor*1e3+micro */
#define XVMD_LIB_VERSION	9000000	/* the libvirt protocol level served */

/* Features answered 1 (LIBVIRT-RPC.md "Features for SUPPORTS_FEATURE"). */
#define FEATURE_MIGRATION_P2P		4	/* dom_migrate_p2p.c */
#define FEATURE_MIGRATION_V3		6
#define FEATURE_TYPED_PARAM_STRING	9
#define FEATURE_PROGRAM_KEEPALIVE	10
#define FEATURE_MIGRATION_PARAMS	13	/* proc_migrate.c's 302-307 */
#define FEATURE_REMOTE_EVENT_CALLBACK	14	/* events.c's 316-317 */

int proc_args_done(struct remote_call *c)
{
	return xdr_in_done(c->args, true) < 0 ? PROC_DROP : 0;
}

PROC_DECL(proc_auth_list)
{
	if (proc_args_done(c))
		return PROC_DROP;
	xdr_put_u32(c->ret, 1);
	xdr_put_i32(c->ret, 0);		/* REMOTE_AUTH_NONE */
	return 0;
}

PROC_DECL(proc_supports_feature)
{
	int32_t f = xdr_get_i32(c->args);

	if (proc_args_done(c))
		return PROC_DROP;
	xdr_put_i32(c->ret, f == FEATURE_TYPED_PARAM_STRING ||
		    f == FEATURE_PROGRAM_KEEPALIVE ||
		    f == FEATURE_MIGRATION_P2P || f == FEATURE_MIGRATION_V3 ||
		    f == FEATURE_MIGRATION_PARAMS ||
		    f == FEATURE_REMOTE_EVENT_CALLBACK);
	return 0;
}

PROC_DECL(proc_connect_open)
{
	bool present;
	char *name = xdr_get_opt_string(c->args, 4096, &present);
	uint32_t flags = xdr_get_u32(c->args);
	int rc = 0;

	if (proc_args_done(c)) {
		free(name);
		return PROC_DROP;
	}
	if (name && name[0] && strncmp(name, "xvm:", 4) &&
	    strncmp(name, "xvm+", 4))
		rc = verr_set(&c->err, VERR_INVALID_ARG, "unsupported URI '%s' "
			      "(this daemon serves xvm:///system)", name);
	else
		remote_conn_set_open(c->conn, flags & 1);
	free(name);
	return rc;
}

PROC_DECL(proc_connect_close)
{
	if (proc_args_done(c))
		return PROC_DROP;
	return 0;
}

static int proc_put_string(struct remote_call *c, const char *s)
{
	if (proc_args_done(c))
		return PROC_DROP;
	xdr_put_string(c->ret, s);
	return 0;
}

PROC_DECL(proc_get_type)
{
	return proc_put_string(c, "XVM");
}

PROC_DECL(proc_get_uri)
{
	return proc_put_string(c, "xvm:///system");
}

PROC_DECL(proc_get_hostname)
{
	char host[256];

	if (gethostname(host, sizeof(host)) < 0)
		return verr_set(&c->err, VERR_INTERNAL, "gethostname failed");
	host[sizeof(host) - 1] = 0;
	return proc_put_string(c, host);
}

PROC_DECL(proc_get_version)
{
	if (proc_args_done(c))
		return PROC_DROP;
	xdr_put_u64(c->ret, XVMD_VERSION);
	return 0;
}

PROC_DECL(proc_get_lib_version)
{
	if (proc_args_done(c))
		return PROC_DROP;
	xdr_put_u64(c->ret, XVMD_LIB_VERSION);
	return 0;
}

PROC_DECL(proc_is_secure)
{
	if (proc_args_done(c))
		return PROC_DROP;
	/* a local unix socket is, and TLS; plain TCP is neither encrypted
	 * nor authenticated */
	xdr_put_i32(c->ret, !remote_conn_is_tcp(c->conn) ||
		    remote_conn_is_tls(c->conn));
	return 0;
}

PROC_DECL(proc_get_max_vcpus)
{
	bool present;
	char *type = xdr_get_opt_string(c->args, 256, &present);

	free(type);
	if (proc_args_done(c))
		return PROC_DROP;
	xdr_put_i32(c->ret, 64);
	return 0;
}

static const struct proc proc_connect_procs[] = {
	{ 1, "CONNECT_OPEN", proc_connect_open, PROC_UNOPENED },
	{ 2, "CONNECT_CLOSE", proc_connect_close, PROC_UNOPENED },
	{ 3, "CONNECT_GET_TYPE", proc_get_type, 0 },
	{ 4, "CONNECT_GET_VERSION", proc_get_version, 0 },
	{ 5, "CONNECT_GET_MAX_VCPUS", proc_get_max_vcpus, 0 },
	{ 59, "CONNECT_GET_HOSTNAME", proc_get_hostname, 0 },
	{ 60, "CONNECT_SUPPORTS_FEATURE",
	  proc_supports_feature, PROC_UNOPENED },
	{ 66, "AUTH_LIST", proc_auth_list, PROC_UNOPENED },
	{ 110, "CONNECT_GET_URI", proc_get_uri, 0 },
	{ 149, "CONNECT_IS_SECURE", proc_is_secure, 0 },
	{ 157, "CONNECT_GET_LIB_VERSION", proc_get_lib_version, 0 },
};

const struct proc_group proc_connect_group = {
	"connect", proc_connect_procs, ARRAY_SIZE(proc_connect_procs)
};
