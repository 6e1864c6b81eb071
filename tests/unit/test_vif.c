/*
 * xvmd/vif.c against a stand-in vswitchd (fake_rpc): deleting a domain's
 * guest VNICs removes their flows first, so a flow an administrator put
 * on xvm<domid>_<n> does not leave the VNIC (and its MAC) behind when
 * the domain goes; a vswitchd without flows (flow.remove unknown) does
 * not stop the deletion. The deletes are sent on xvmd's loop (issue 12):
 * vif_delete() returns at once, the loop runs them.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "fake_rpc.h"
#include "xvm/vswctl.h"
#include "xvmd/dom.h"
#include "xvmd/hvcall.h"
#include "xvmd/loop.h"

/* The methods called, in order, and the params of each. */
static char calls[256];
static bool flows_known = true;

static int fake_record(const char *method, json_t *params)
{
	char *p = json_dumps(params, JSON_COMPACT | JSON_SORT_KEYS);

	snprintf(calls + strlen(calls), sizeof(calls) - strlen(calls),
		 "%s %s;", method, p ? p : "?");
	free(p);
	return 0;
}

static int fake_flow_remove(void *ctx UNUSED, struct rpc_conn *c UNUSED,
			    json_t *params, json_t **result UNUSED,
			    struct rpc_error *err)
{
	if (!flows_known)
		return rpc_errorf(err, ENOSYS, "unknown method");
	return fake_record("flow.remove", params);
}

static int fake_vnic_delete(void *ctx UNUSED, struct rpc_conn *c UNUSED,
			    json_t *params, json_t **result UNUSED,
			    struct rpc_error *err UNUSED)
{
	return fake_record("vnic.delete", params);
}

static const struct rpc_method fake_methods[] = {
	{ "flow.remove", fake_flow_remove },
	{ "vnic.delete", fake_vnic_delete },
};

/* Run the loop until the deletes vif_delete() sent ended. */
static void vif_run(void)
{
	int64_t end = loop_now_ms() + 5000;

	while (hvcall_pending() && loop_now_ms() < end)
		loop_run_once(50);
	CU_ASSERT_EQUAL(hvcall_pending(), 0);
}

static void test_delete_removes_flows(void)
{
	char dir[] = "/tmp/vif-test.XXXXXX", path[128];
	struct fake_rpc *f;
	struct dom d;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/" VSWCTL_SOCK_NAME, dir);
	f = fake_rpc_start(path, fake_methods, ARRAY_SIZE(fake_methods), NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	snprintf(dom_env.rundir, sizeof(dom_env.rundir), "%s", dir);

	memset(&d, 0, sizeof(d));
	snprintf(d.live.vnics[0], sizeof(d.live.vnics[0]), "xvm3_0");
	snprintf(d.live.vnics[1], sizeof(d.live.vnics[1]), "xvm3_1");
	calls[0] = '\0';
	vif_delete(&d);
	CU_ASSERT_EQUAL(d.live.vnics[0][0], 0);
	vif_run();
	/* each VNIC's flows first, then the VNIC (the two VNICs' calls
	 * go out side by side) */
	CU_ASSERT_EQUAL(strlen(calls), 2 * strlen(
		"flow.remove {\"link\":\"xvm3_0\"};vnic.delete {\"name\":\"xvm3_0\"};"));
	for (int i = 0; i < 2; i++) {
		char fr[64], vd[64];
		const char *a, *b;

		snprintf(fr, sizeof(fr), "flow.remove {\"link\":\"xvm3_%d\"};", i);
		snprintf(vd, sizeof(vd), "vnic.delete {\"name\":\"xvm3_%d\"};", i);
		a = strstr(calls, fr);
		b = strstr(calls, vd);
		CU_ASSERT(a && b && a < b);
	}
	CU_ASSERT_EQUAL(d.live.vnics[0][0], 0);

	/* an older vswitchd: the VNIC is deleted all the same */
	flows_known = false;
	snprintf(d.live.vnics[0], sizeof(d.live.vnics[0]), "xvm4_0");
	calls[0] = '\0';
	vif_delete(&d);
	vif_run();
	CU_ASSERT_STRING_EQUAL(calls, "vnic.delete {\"name\":\"xvm4_0\"};");
	flows_known = true;

	fake_rpc_stop(f);
	unlink(path);
	rmdir(dir);
	dom_env.rundir[0] = '\0';
}

static CU_TestInfo tests[] = {
	{ "deleting guest VNICs removes their flows first",
	  test_delete_removes_flows },
	CU_TEST_INFO_NULL,
};

static int vif_suite_init(void)
{
	return loop_init() < 0 ? -1 : 0;
}

UNIT_SUITE(vif, vif_suite_init, NULL, tests);
