/*
 * vnicadm's connection to vswitchd through lib/vswctl ($XVM_RUNDIR/
 * vswitchd.sock, default /run/xvm) and how its failures are printed. One
 * connection per invocation, opened by the first call, so validation
 * errors never need the daemon.
 */
#include <string.h>

#include "vnicadm.h"

struct vswctl *vn_handle(struct vnicadm *v)
{
	int ret;

	if (v->h)
		return v->h;
	ret = vswctl_open(NULL, &v->h);
	if (ret < 0) {
		vn_fail(v, "cannot connect to vswitchd: %s", strerror(-ret));
		return NULL;
	}
	return v->h;
}

void vn_disconnect(struct vnicadm *v)
{
	vswctl_close(v->h);
	v->h = NULL;
}

int vn_vsw_error(struct vnicadm *v)
{
	const struct vswctl_error *e = vswctl_error(v->h);

	switch (e->origin) {
	case VSWCTL_E_REMOTE:
		/* done, but not kept across a restart: dladm warns */
		if (strncmp(e->message, VSWCTL_NOT_SAVED,
			    strlen(VSWCTL_NOT_SAVED)) == 0)
			return cli_warn(&v->cli, "%s", e->message);
		return 2;
	case VSWCTL_E_LOCAL:
		return vn_fail(v, "%s", e->message);
	default:
		/* the daemon went away or answered nonsense */
		vn_fail(v, "vswitchd: %s", e->message);
		vn_disconnect(v);
		return 1;
	}
}

int vn_vsw_fail(struct vnicadm *v, const char *context)
{
	int ret = vn_vsw_error(v);

	if (ret != 2)
		return ret;
	if (context)
		return vn_fail(v, "%s: %s", context,
			       vswctl_error(v->h)->message);
	return vn_fail(v, "%s", vswctl_error(v->h)->message);
}
