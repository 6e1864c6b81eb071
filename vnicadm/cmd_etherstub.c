/*
 * create-etherstub, delete-etherstub and show-etherstub (REFERENCE.md
 * "dladm -> vnicadm"): switches without an uplink, whose VNICs only talk
 * to each other.
 */
#include "vnicadm.h"

/* [-t] <name>: the operand, checked. NULL after printing why. */
static const char *etherstub_operand(struct vnicadm *v, struct vn_opts *o,
				     int argc, char **argv)
{
	if (vn_opts_parse(v, argc, argv, "t", "", o))
		return NULL;
	if (o->optind != argc - 1) {
		vn_usage(v);
		return NULL;
	}
	if (vn_check_link(v, argv[o->optind]))
		return NULL;
	return argv[o->optind];
}

static int etherstub_call(struct vnicadm *v, int argc, char **argv,
			  const char *method, const char *context)
{
	struct vn_opts o;
	const char *name = etherstub_operand(v, &o, argc, argv);
	json_t *params;
	int ret = 1;

	if (!name)
		goto fail;
	params = json_pack("{ss}", "name", name);
	if (!params || (o.val['t'] && json_object_set_new(params,
					"temporary", json_true()) < 0)) {
		json_decref(params);
		ret = vn_fail(v, "out of memory");
		goto fail;
	}
	ret = vn_call(v, method, params, NULL, context);
fail:
	vn_opts_free(&o);
	return ret;
}

int cmd_create_etherstub(struct vnicadm *v, int argc, char **argv)
{
	return etherstub_call(v, argc, argv, "etherstub.create",
			      "etherstub creation failed");
}

int cmd_delete_etherstub(struct vnicadm *v, int argc, char **argv)
{
	return etherstub_call(v, argc, argv, "etherstub.delete",
			      "etherstub deletion failed");
}

int cmd_show_etherstub(struct vnicadm *v, int argc, char **argv)
{
	struct vn_opts o;
	struct vn_show s = {
		.method = "etherstub.list", .key = "etherstubs",
		.what = "etherstub", .table = VN_T_ETHERSTUB,
	};
	int ret = 1;

	if (vn_opts_parse(v, argc, argv, "po:", "", &o))
		goto fail;
	if (o.optind < argc - 1) {
		ret = vn_usage(v);
		goto fail;
	}
	if (o.optind == argc - 1) {
		s.name = argv[o.optind];
		if (vn_check_link(v, s.name))
			goto fail;
	}
	s.params = json_object();
	if (!s.params) {
		ret = vn_fail(v, "out of memory");
		goto fail;
	}
	s.oarg = o.val['o'];
	s.parseable = o.val['p'] != NULL;
	ret = vn_show(v, &s);
fail:
	json_decref(s.params);
	vn_opts_free(&o);
	return ret;
}
