/*
 * create-etherstub, delete-etherstub and show-etherstub (REFERENCE.md
 * "dladm -> vnicadm"): switches without an uplink, whose VNICs only talk
 * to each other.
 */
#include "vnicadm.h"

/* [-t] <name>: etherstub.create or etherstub.delete. */
static int etherstub_call(struct vnicadm *v, const struct vn_opts *o,
			  const char *name, const char *method,
			  const char *context)
{
	json_t *params = json_pack("{ss}", "name", name);

	if (!params || (o->val['t'] && json_object_set_new(params,
					"temporary", json_true()) < 0)) {
		json_decref(params);
		return vn_fail(v, "out of memory");
	}
	return vn_call(v, method, params, NULL, context);
}

static int etherstub_create(struct vnicadm *v, const struct vn_opts *o,
			    const char *name)
{
	return etherstub_call(v, o, name, "etherstub.create",
			      "etherstub creation failed");
}

static int etherstub_delete(struct vnicadm *v, const struct vn_opts *o,
			    const char *name)
{
	return etherstub_call(v, o, name, "etherstub.delete",
			      "etherstub deletion failed");
}

int cmd_create_etherstub(struct vnicadm *v, int argc, char **argv)
{
	return vn_link_cmd(v, argc, argv, "t", "", etherstub_create);
}

int cmd_delete_etherstub(struct vnicadm *v, int argc, char **argv)
{
	return vn_link_cmd(v, argc, argv, "t", "", etherstub_delete);
}

/* the name is matched here, not sent: etherstub.list takes no name */
static int show_etherstub_args(struct vnicadm *v, const struct vn_opts *o,
			       int argc, char **argv, struct vn_show *s)
{
	return vn_show_operand(v, o, argc, argv, s, false);
}

int cmd_show_etherstub(struct vnicadm *v, int argc, char **argv)
{
	static const struct vn_show_cmd c = {
		"po:", "", 'p', show_etherstub_args,
	};
	struct vn_show s = {
		.method = "etherstub.list", .key = "etherstubs",
		.what = "etherstub", .table = VN_T_ETHERSTUB,
	};

	return vn_show_run(v, argc, argv, &c, &s);
}
