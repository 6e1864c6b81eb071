/*
 * vnicadm's connection to vswitchd: $XVM_RUNDIR/vswitchd.sock (default
 * /run/xvm), the JSON-lines protocol of docs/control-protocol.md and the
 * methods of docs/vswitchd-control.md. One connection per invocation,
 * opened by the first call, so validation errors never need the daemon.
 */
#include <stdlib.h>
#include <string.h>

#include "vnicadm.h"

#define VN_SOCK_NAME	"vswitchd.sock"

static int vn_connect(struct vnicadm *v)
{
	const char *rundir = getenv("XVM_RUNDIR");
	char *path;

	if (v->cli)
		return 0;
	if (!rundir || !*rundir)
		rundir = XVM_RUNDIR_DEFAULT;
	if (asprintf(&path, "%s/" VN_SOCK_NAME, rundir) < 0)
		return vn_fail(v, "out of memory");
	v->cli = rpc_client_connect(path);
	free(path);
	if (!v->cli)
		return vn_fail(v, "cannot connect to vswitchd: %s",
			       strerror(errno));
	return 0;
}

void vn_disconnect(struct vnicadm *v)
{
	rpc_client_close(v->cli);
	v->cli = NULL;
}

int vn_call_raw(struct vnicadm *v, const char *method, json_t *params,
		json_t **result, struct rpc_error *e)
{
	json_t *res = NULL;
	int ret;

	memset(e, 0, sizeof(*e));
	if (vn_connect(v)) {
		json_decref(params);
		return 1;
	}
	ret = rpc_client_call(v->cli, method, params, &res, e, VN_TIMEOUT_MS);
	if (ret == -EREMOTE)
		return 2;
	if (ret < 0) {
		/* the daemon went away or answered nonsense */
		vn_disconnect(v);
		return vn_fail(v, "vswitchd: %s", e->message);
	}
	if (result)
		*result = res;
	else
		json_decref(res);
	return 0;
}

int vn_call(struct vnicadm *v, const char *method, json_t *params,
	    json_t **result, const char *context)
{
	struct rpc_error e;
	int ret = vn_call_raw(v, method, params, result, &e);

	if (ret != 2)
		return ret;
	if (context)
		return vn_fail(v, "%s: %s", context, e.message);
	return vn_fail(v, "%s", e.message);
}
