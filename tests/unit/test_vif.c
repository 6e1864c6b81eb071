/*
 * xvmd/vif.c against a stand-in vswitchd (fake_rpc): deleting a domain's
 * guest VNICs removes their flows first, so a flow an administrator put
 * on xvm<domid>_<n> does not leave the VNIC (and its MAC) behind when
 * the domain goes; a vswitchd without flows (flow.remove unknown) does
 * not stop the deletion. The deletes are sent on xvmd's loop (issue 12):
 * vif_delete() returns at once, the loop runs them. A hot-plug's VNIC
 * waits for the deletes in flight, as a start's does: a detach, then at
 * once an attach of the same MAC, gets its VNIC (the stand-in refuses a
 * MAC in use as vswitchd does); a domain gone meanwhile gets none.
 */
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "fake_rpc.h"
#include "xvm/vswctl.h"
#include "xvmd/dom.h"
#include "xvmd/hvcall.h"
#include "xvmd/loop.h"
#include "xvmd/store.h"

/* The methods called, in order, and the params of each. */
static char calls[1024];
static bool flows_known = true;

/* The stand-in's VNICs: name and MAC (server thread; the test thread
 * sets them while no call is in flight). */
#define FAKE_VNICS	8
static struct {
	char name[32], mac[24];
} fake_vnics[FAKE_VNICS];

static void fake_add(int i, const char *name, const char *mac)
{
	snprintf(fake_vnics[i].name, sizeof(fake_vnics[i].name), "%s", name);
	snprintf(fake_vnics[i].mac, sizeof(fake_vnics[i].mac), "%s", mac);
}

static void fake_forget(const char *name)
{
	for (int i = 0; name && i < FAKE_VNICS; i++)
		if (!strcmp(fake_vnics[i].name, name))
			fake_vnics[i].name[0] = fake_vnics[i].mac[0] = 0;
}

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
	fake_forget(json_string_value(json_object_get(params, "name")));
	return fake_record("vnic.delete", params);
}

/* vnic.create as vswitchd answers it: a MAC a VNIC has is refused. */
static int fake_vnic_create(void *ctx UNUSED, struct rpc_conn *c UNUSED,
			    json_t *params, json_t **result,
			    struct rpc_error *err)
{
	const char *name = json_string_value(json_object_get(params, "name"));
	const char *mac = json_string_value(json_object_get(params, "mac"));

	fake_record("vnic.create", params);
	if (!name || !mac)
		return rpc_errorf(err, EINVAL, "missing parameter");
	for (int i = 0; i < FAKE_VNICS; i++)
		if (!strcmp(fake_vnics[i].mac, mac))
			return rpc_errorf(err, EADDRINUSE, "MAC address is "
					  "already in use");
	for (int i = 0; i < FAKE_VNICS; i++)
		if (!fake_vnics[i].name[0]) {
			fake_add(i, name, mac);
			break;
		}
	*result = json_pack("{s:s,s:s,s:s}", "name", name, "mac", mac,
			    "socket", "/tmp/fake-vnic.sock");
	return 0;
}

static const struct rpc_method fake_methods[] = {
	{ "flow.remove", fake_flow_remove },
	{ "vnic.delete", fake_vnic_delete },
	{ "vnic.create", fake_vnic_create },
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

static const char hp_dom_xml[] =
	"<domain type='xen'><name>vifhp</name>"
	"<memory unit='MiB'>32</memory><vcpu>1</vcpu>"
	"<os><type>xen</type><kernel>/nonexistent</kernel></os>"
	"<devices><interface type='bridge'><source bridge='stub0'/>"
	"<mac address='00:16:3e:12:00:01'/></interface></devices></domain>";

struct hp_result {
	int calls, rc;
};

static void hp_done(void *opaque, int rc, const struct verr *e UNUSED)
{
	struct hp_result *r = opaque;

	r->calls++;
	r->rc = rc;
}

/* A running domain vifhp, id 5, NIC 0 (00:16:3e:12:00:01) on xvm5_0,
 * which the stand-in has; its socket at path. */
static struct dom *hp_setup(struct fake_rpc **f, char *dir, char *path,
			    size_t len)
{
	struct dom *d = NULL;
	struct verr e = { 0 };

	CU_ASSERT_PTR_NOT_NULL(mkdtemp(dir));
	snprintf(path, len, "%s/" VSWCTL_SOCK_NAME, dir);
	*f = fake_rpc_start(path, fake_methods, ARRAY_SIZE(fake_methods),
			    NULL);
	CU_ASSERT_PTR_NOT_NULL(*f);
	snprintf(dom_env.rundir, sizeof(dom_env.rundir), "%s", dir);
	CU_ASSERT_EQUAL(dom_define(hp_dom_xml, &d, &e), 0);
	if (!d)
		return NULL;
	d->live.id = 5;
	d->pid = getpid();
	snprintf(d->live.vnics[0], sizeof(d->live.vnics[0]), "xvm5_0");
	memset(fake_vnics, 0, sizeof(fake_vnics));
	fake_add(0, "xvm5_0", "00:16:3e:12:00:01");
	calls[0] = '\0';
	return d;
}

static void hp_teardown(struct fake_rpc *f, struct dom *d, char *dir,
			char *path)
{
	struct verr e = { 0 };

	if (d) {
		memset(&d->live.vnics, 0, sizeof(d->live.vnics));
		memset(&d->cfg.nics[1], 0, sizeof(d->cfg.nics[1]));
		d->live.id = -1;
		d->pid = 0;
		CU_ASSERT_EQUAL(dom_undefine(d, 0, &e), 0);
	}
	fake_rpc_stop(f);
	unlink(path);
	rmdir(dir);
	dom_env.rundir[0] = '\0';
}

/* Detach, then at once attach of the same MAC: the new VNIC's create
 * goes out once the old one is deleted, and vswitchd makes it. */
static void test_hotplug_waits_for_delete(void)
{
	char dir[] = "/tmp/vif-test.XXXXXX", path[128], sock[108] = "";
	struct hp_result r = { 0 };
	struct verr e = { 0 };
	struct fake_rpc *f;
	struct dom *d = hp_setup(&f, dir, path, sizeof(path));
	const char *del, *cr;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	vif_delete_nic_async(d, 0);
	CU_ASSERT_EQUAL(d->live.vnics[0][0], 0);
	/* the attach: the same MAC, the smallest free VNIC name */
	snprintf(d->live.vnics[0], sizeof(d->live.vnics[0]), "xvm5_0");
	CU_ASSERT_EQUAL(vif_create_nic_async(d, 0, sock, hp_done, &r, &e), 0);
	vif_run();
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(r.rc, 0);
	CU_ASSERT_STRING_EQUAL(sock, "/tmp/fake-vnic.sock");
	del = strstr(calls, "vnic.delete {\"name\":\"xvm5_0\"}");
	cr = strstr(calls, "vnic.create ");
	CU_ASSERT(del && cr && del < cr);
	hp_teardown(f, d, dir, path);
}

/* The domain stops while its attach waits for a delete: no VNIC is
 * made for it, the attach ends with ECANCELED. */
static void test_hotplug_domain_gone(void)
{
	char dir[] = "/tmp/vif-test.XXXXXX", path[128], sock[108] = "";
	struct hp_result r = { 0 };
	struct verr e = { 0 };
	struct fake_rpc *f;
	struct dom *d = hp_setup(&f, dir, path, sizeof(path));

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	vif_delete_nic_async(d, 0);
	d->cfg.nics[1] = d->cfg.nics[0];
	d->cfg.nics[1].mac.b[5] = 2;
	snprintf(d->live.vnics[1], sizeof(d->live.vnics[1]), "xvm5_1");
	CU_ASSERT_EQUAL(vif_create_nic_async(d, 1, sock, hp_done, &r, &e), 0);
	/* it stops (dom_stopped(): every VNIC name forgotten, id -1) */
	vif_delete(d);
	d->live.id = -1;
	d->pid = 0;
	vif_run();
	CU_ASSERT_EQUAL(r.calls, 1);
	CU_ASSERT_EQUAL(r.rc, -ECANCELED);
	CU_ASSERT_PTR_NULL(strstr(calls, "vnic.create"));
	CU_ASSERT_STRING_EQUAL(sock, "");
	hp_teardown(f, d, dir, path);
}

static CU_TestInfo tests[] = {
	{ "deleting guest VNICs removes their flows first",
	  test_delete_removes_flows },
	{ "a hot-plug's VNIC waits for a delete of its MAC",
	  test_hotplug_waits_for_delete },
	{ "a hot-plug's VNIC is not made once its domain stopped",
	  test_hotplug_domain_gone },
	CU_TEST_INFO_NULL,
};

static char statedir[64];

static int rm_entry(const char *path, const struct stat *sb UNUSED,
		    int flag UNUSED, struct FTW *ftw UNUSED)
{
	return remove(path);
}

static int vif_suite_init(void)
{
	char rundir[80];

	snprintf(statedir, sizeof(statedir), "/tmp/xvmd-vif-XXXXXX");
	if (!mkdtemp(statedir))
		return -1;
	snprintf(rundir, sizeof(rundir), "%s/run", statedir);
	if (store_init(statedir, rundir) < 0)
		return -1;
	return loop_init() < 0 ? -1 : 0;
}

static int vif_suite_cleanup(void)
{
	if (statedir[0])
		nftw(statedir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

UNIT_SUITE(vif, vif_suite_init, vif_suite_cleanup, tests);
