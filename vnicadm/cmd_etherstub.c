/*
 * create-etherstub, delete-etherstub and show-etherstub (REFERENCE.md
 * "dladm -> vnicadm"): switches without an uplink, whose VNICs only talk
 * to each other.
 */
#include "vnicadm.h"

/* [-t] [-R root] <name>: etherstub.create or etherstub.delete. */
static int etherstub_call(struct vnicadm *v, const struct cli_opts *o,
			  const char *name,
			  int (*call)(struct vswctl *h, const char *name,
				      bool temporary),
			  const char *context)
{
	struct vswctl *h;

	if (vn_root_check(v, o))
		return 1;
	if (o->val['R'])
		return call == vswctl_etherstub_create ?
		       vn_root_create_etherstub(v, o->val['R'], name) :
		       vn_root_delete_etherstub(v, o->val['R'], name);
	h = vn_handle(v);
	if (!h)
		return 1;
	if (call(h, name, o->val['t'] != NULL) < 0)
		return vn_vsw_fail(v, context);
	return 0;
}

static int etherstub_create(struct vnicadm *v, const struct cli_opts *o,
			    const char *name)
{
	return etherstub_call(v, o, name, vswctl_etherstub_create,
			      "etherstub creation failed");
}

static int etherstub_delete(struct vnicadm *v, const struct cli_opts *o,
			    const char *name)
{
	return etherstub_call(v, o, name, vswctl_etherstub_delete,
			      "etherstub deletion failed");
}

int cmd_create_etherstub(struct cli *c, int argc, char **argv)
{
	return vn_link_cmd(vn_of(c), argc, argv, "tR:", "", etherstub_create);
}

int cmd_delete_etherstub(struct cli *c, int argc, char **argv)
{
	return vn_link_cmd(vn_of(c), argc, argv, "tR:", "", etherstub_delete);
}

/* the name is matched here, not asked for */
static int show_etherstub_args(struct vnicadm *v, const struct cli_opts *o,
			       int argc, char **argv, struct vn_show *s)
{
	return vn_show_operand(v, o, argc, argv, s, false);
}

int cmd_show_etherstub(struct cli *c, int argc, char **argv)
{
	static const struct vn_show_cmd cmd = {
		"po:", "", 'p', show_etherstub_args,
	};
	struct vn_show s = {
		.list = vswctl_etherstub_list, .what = "etherstub",
		.table = VN_T_ETHERSTUB,
	};

	return vn_show_run(vn_of(c), argc, argv, &cmd, &s);
}
