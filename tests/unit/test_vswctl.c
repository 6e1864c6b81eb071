/*
 * lib/vswctl*.c against a stand-in vswitchd (lib/rpc server on a unix
 * socket, served by a thread): the exact requests each typed call sends
 * (docs/vswitchd-control.md), how results are read back, and how
 * vswitchd's errors, a broken reply and a missing daemon are reported.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "capture.h"
#include "fake_rpc.h"
#include "xvm/rpc.h"
#include "xvm/vswctl.h"

static char dir[64];
static char sock[128];
static struct fake_rpc *vswitchd;
static struct fake_rpc_canned answers = FAKE_RPC_CANNED_INIT;

FAKE_RPC_CANNED(m_vnic_create, "vnic.create")
FAKE_RPC_CANNED(m_vnic_delete, "vnic.delete")
FAKE_RPC_CANNED(m_vnic_list, "vnic.list")
FAKE_RPC_CANNED(m_vnic_set, "vnic.set")
FAKE_RPC_CANNED(m_vnic_reset, "vnic.reset")
FAKE_RPC_CANNED(m_link_list, "link.list")
FAKE_RPC_CANNED(m_phys_list, "phys.list")
FAKE_RPC_CANNED(m_linkprop_get, "linkprop.get")
FAKE_RPC_CANNED(m_stub_create, "etherstub.create")
FAKE_RPC_CANNED(m_stub_delete, "etherstub.delete")
FAKE_RPC_CANNED(m_stub_list, "etherstub.list")

static const struct rpc_method methods[] = {
	{ "vnic.create", m_vnic_create }, { "vnic.delete", m_vnic_delete },
	{ "vnic.list", m_vnic_list }, { "vnic.set", m_vnic_set },
	{ "vnic.reset", m_vnic_reset }, { "link.list", m_link_list },
	{ "phys.list", m_phys_list }, { "linkprop.get", m_linkprop_get },
	{ "etherstub.create", m_stub_create },
	{ "etherstub.delete", m_stub_delete },
	{ "etherstub.list", m_stub_list },
};

/* Answer the next request with result (JSON text; NULL: {}) or an
 * error errnum with msg. */
static void next(const char *result, int errnum, const char *msg)
{
	fake_rpc_next(&answers, result, errnum, msg);
}

#define CHECK_REQUEST(method, json)					\
	FAKE_RPC_CHECK_REQUEST(&answers, method, json)

static int suite_init(void)
{
	strcpy(dir, "/tmp/vswctl-test.XXXXXX");
	if (!mkdtemp(dir) ||
	    vswctl_sock_path(dir, sock, sizeof(sock)) < 0)
		return -1;
	vswitchd = fake_rpc_start(sock, methods, ARRAY_SIZE(methods),
				  &answers);
	return vswitchd ? 0 : -1;
}

static int suite_cleanup(void)
{
	fake_rpc_stop(vswitchd);
	vswitchd = NULL;
	rmdir(dir);
	fake_rpc_canned_clear(&answers);
	return 0;
}

static struct vswctl *open_fake(void)
{
	struct vswctl *h = NULL;

	CU_ASSERT_EQUAL(vswctl_open(sock, &h), 0);
	return h;
}

static void test_sock_path(void)
{
	char *saved = env_save("XVM_RUNDIR");
	char buf[128], tiny[8];

	CU_ASSERT_EQUAL(vswctl_sock_path("/r", buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "/r/vswitchd.sock");
	setenv("XVM_RUNDIR", "/env", 1);
	CU_ASSERT_EQUAL(vswctl_sock_path(NULL, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "/env/vswitchd.sock");
	setenv("XVM_RUNDIR", "", 1);
	CU_ASSERT_EQUAL(vswctl_sock_path(NULL, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, XVM_RUNDIR_DEFAULT "/vswitchd.sock");
	CU_ASSERT_EQUAL(vswctl_sock_path("/r", tiny, sizeof(tiny)),
			-ENAMETOOLONG);
	env_restore("XVM_RUNDIR", saved);
}

static void test_no_daemon(void)
{
	char path[128];
	struct vswctl *h = (struct vswctl *)1;

	snprintf(path, sizeof(path), "%s/none.sock", dir);
	CU_ASSERT_EQUAL(vswctl_open(path, &h), -ENOENT);
	CU_ASSERT_PTR_NULL(h);
	vswctl_close(NULL);
}

static void test_wire_forms(void)
{
	char buf[VSWCTL_MAXBW_STRLEN];
	struct vswctl_props p = { .n = 0 };

	CU_ASSERT_EQUAL(vswctl_maxbw_format(50000000, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "50000K");
	CU_ASSERT_EQUAL(vswctl_maxbw_format(1200999, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "1200K");
	CU_ASSERT_EQUAL(vswctl_maxbw_format(1200000, buf, 5), -ENOSPC);
	CU_ASSERT_STRING_EQUAL(vswctl_strstatus(-EEXIST),
			       "object already exists");
	CU_ASSERT_STRING_EQUAL(vswctl_strstatus(-EBUSY), "link busy");
	CU_ASSERT_STRING_EQUAL(vswctl_strstatus(-ENOENT), "object not found");
	CU_ASSERT_STRING_EQUAL(vswctl_strstatus(-ETIMEDOUT),
			       strerror(ETIMEDOUT));
	CU_ASSERT_EQUAL(vswctl_props_add(&p, "maxbw", "1M"), 0);
	CU_ASSERT_EQUAL(vswctl_props_add(&p, "maxbw", "2M"), -EEXIST);
	for (unsigned i = 1; i < VSWCTL_MAX_PROPS; i++)
		CU_ASSERT_EQUAL(vswctl_props_add(&p, linkprop_name(i), "x"),
				0);
	CU_ASSERT_EQUAL(vswctl_props_add(&p, "another", "x"), -E2BIG);
}

static void test_vnic_create(void)
{
	struct vswctl *h = open_fake();
	struct vswctl_props props = { .n = 0 };
	struct vswctl_vnic_info info;
	struct vswctl_vnic_spec s = {
		.name = "vnic0", .link = "phys0", .kind = "host",
		.mac = "random", .mac_prefix = "2:8:20", .vid = 5,
		.temporary = true, .props = &props,
	};

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	vswctl_props_add(&props, "maxbw", "100M");
	vswctl_props_add(&props, "priority", "low");
	next("{\"name\":\"vnic0\",\"mac\":\"2:8:20:1:2:3\","
	     "\"macaddrtype\":\"random\"}", 0, NULL);
	CU_ASSERT_EQUAL(vswctl_vnic_create(h, &s, &info), 0);
	CHECK_REQUEST("vnic.create", "{\"kind\":\"host\",\"link\":\"phys0\","
		      "\"mac\":\"random\",\"mac_prefix\":\"2:8:20\",\"name\":"
		      "\"vnic0\",\"props\":{\"maxbw\":\"100M\",\"priority\":"
		      "\"low\"},\"temporary\":true,\"vid\":5}");
	CU_ASSERT_STRING_EQUAL(info.mac, "2:8:20:1:2:3");
	CU_ASSERT_TRUE(info.random_mac);
	CU_ASSERT_STRING_EQUAL(info.socket, "");

	/* the least: name and link; a guest VNIC's socket comes back */
	s = (struct vswctl_vnic_spec){ .name = "xvm1_0", .link = "stub0" };
	next("{\"name\":\"xvm1_0\",\"mac\":\"0:16:3e:1:2:3\",\"macaddrtype\":"
	     "\"fixed\",\"socket\":\"/run/xvm/vnic/xvm1_0.sock\"}", 0, NULL);
	CU_ASSERT_EQUAL(vswctl_vnic_create(h, &s, &info), 0);
	CHECK_REQUEST("vnic.create",
		      "{\"link\":\"stub0\",\"name\":\"xvm1_0\"}");
	CU_ASSERT_FALSE(info.random_mac);
	CU_ASSERT_STRING_EQUAL(info.socket, "/run/xvm/vnic/xvm1_0.sock");

	/* made, but its socket path does not fit */
	next("{\"socket\":\"/a/very/long/path/that/is/too/long/for/a/unix/"
	     "socket/address/because/those/have/only/one/hundred/and/eight/"
	     "bytes.sock\"}", 0, NULL);
	CU_ASSERT_EQUAL(vswctl_vnic_create(h, &s, &info), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(vswctl_error(h)->origin, VSWCTL_E_CONN);
	CU_ASSERT_STRING_EQUAL(vswctl_error(h)->message,
			       "socket path too long");

	/* nothing sent without a link */
	s.link = NULL;
	next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(vswctl_vnic_create(h, &s, NULL), -EINVAL);
	CU_ASSERT_EQUAL(vswctl_error(h)->origin, VSWCTL_E_LOCAL);
	CU_ASSERT_STRING_EQUAL(answers.method, "");
	vswctl_close(h);
}

static void test_changes(void)
{
	struct vswctl *h = open_fake();
	struct vswctl_props props = { .n = 0 };
	const char *names[] = { "maxbw", "priority" };

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(vswctl_vnic_delete(h, "vnic0", true), 0);
	CHECK_REQUEST("vnic.delete", "{\"name\":\"vnic0\",\"temporary\":true}");
	CU_ASSERT_EQUAL(vswctl_vnic_delete(h, "vnic0", false), 0);
	CHECK_REQUEST("vnic.delete", "{\"name\":\"vnic0\"}");
	vswctl_props_add(&props, "maxbw", "50M");
	CU_ASSERT_EQUAL(vswctl_linkprop_set(h, "vnic0", &props, false), 0);
	CHECK_REQUEST("vnic.set",
		      "{\"name\":\"vnic0\",\"props\":{\"maxbw\":\"50M\"}}");
	CU_ASSERT_EQUAL(vswctl_linkprop_reset(h, "vnic0", names, 2, true), 0);
	CHECK_REQUEST("vnic.reset", "{\"name\":\"vnic0\",\"props\":[\"maxbw\","
		      "\"priority\"],\"temporary\":true}");
	CU_ASSERT_EQUAL(vswctl_linkprop_reset(h, "vnic0", NULL, 0, false), 0);
	CHECK_REQUEST("vnic.reset", "{\"name\":\"vnic0\"}");
	CU_ASSERT_EQUAL(vswctl_etherstub_create(h, "stub0", false), 0);
	CHECK_REQUEST("etherstub.create", "{\"name\":\"stub0\"}");
	CU_ASSERT_EQUAL(vswctl_etherstub_delete(h, "stub0", true), 0);
	CHECK_REQUEST("etherstub.delete",
		      "{\"name\":\"stub0\",\"temporary\":true}");
	vswctl_close(h);
}

/* Call list with q; 0 and the rows as compact JSON in out. */
static int list_text(struct vswctl *h, vswctl_list_fn list,
		     const struct vswctl_query *q, char *out, size_t len)
{
	json_t *rows = NULL;
	char *s;
	int ret = list(h, q, &rows);

	out[0] = '\0';
	if (ret == 0) {
		s = json_dumps(rows, JSON_COMPACT);
		snprintf(out, len, "%s", s ? s : "");
		free(s);
	}
	CU_ASSERT_EQUAL(ret < 0, rows == NULL);
	json_decref(rows);
	return ret;
}

static void test_lists(void)
{
	struct vswctl *h = open_fake();
	const char *names[] = { "mtu" };
	struct vswctl_query all = { .name = NULL };
	struct vswctl_query q = {
		.name = "vnic0", .link = "phys0", .stats = true,
		.props = names, .nprops = 1,
	};
	char out[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	next("{\"vnics\":[{\"name\":\"vnic0\"}]}", 0, NULL);
	CU_ASSERT_EQUAL(list_text(h, vswctl_vnic_list, &q, out, sizeof(out)),
			0);
	CU_ASSERT_STRING_EQUAL(out, "[{\"name\":\"vnic0\"}]");
	CHECK_REQUEST("vnic.list", "{\"link\":\"phys0\",\"name\":\"vnic0\","
		      "\"stats\":true}");
	CU_ASSERT_EQUAL(list_text(h, vswctl_vnic_list, &all, out,
				  sizeof(out)), 0);
	CHECK_REQUEST("vnic.list", "{}");

	next("{\"links\":[]}", 0, NULL);
	CU_ASSERT_EQUAL(list_text(h, vswctl_link_list, &q, out, sizeof(out)),
			0);
	CU_ASSERT_STRING_EQUAL(out, "[]");
	CHECK_REQUEST("link.list", "{\"name\":\"vnic0\",\"stats\":true}");

	next("{\"phys\":[{\"name\":\"eth0\"}]}", 0, NULL);
	CU_ASSERT_EQUAL(list_text(h, vswctl_phys_list, &q, out, sizeof(out)),
			0);
	CHECK_REQUEST("phys.list", "{}");

	next("{\"etherstubs\":[]}", 0, NULL);
	CU_ASSERT_EQUAL(list_text(h, vswctl_etherstub_list, &all, out,
				  sizeof(out)), 0);
	CHECK_REQUEST("etherstub.list", "{}");

	next("{\"props\":[{\"link\":\"vnic0\",\"property\":\"mtu\"}]}", 0,
	     NULL);
	CU_ASSERT_EQUAL(list_text(h, vswctl_linkprop_get, &q, out,
				  sizeof(out)), 0);
	CHECK_REQUEST("linkprop.get", "{\"name\":\"vnic0\",\"props\":"
		      "[\"mtu\"]}");

	/* the array is missing: a malformed reply */
	next("{\"nolinks\":[]}", 0, NULL);
	CU_ASSERT_EQUAL(list_text(h, vswctl_link_list, &all, out,
				  sizeof(out)), -EPROTO);
	CU_ASSERT_EQUAL(vswctl_error(h)->status, -EPROTO);
	CU_ASSERT_EQUAL(vswctl_error(h)->origin, VSWCTL_E_CONN);
	CU_ASSERT_STRING_EQUAL(vswctl_error(h)->message, "malformed reply");
	vswctl_close(h);
}

static void test_remote_errors(void)
{
	struct vswctl *h = open_fake();
	struct vswctl_vnic_spec s = { .name = "vnic0", .link = "phys0" };
	struct vswctl_query q = { .name = "vnic9" };
	json_t *rows = (json_t *)1;
	const struct vswctl_error *e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	e = vswctl_error(h);
	next(NULL, EADDRINUSE, "MAC address is already in use");
	CU_ASSERT_EQUAL(vswctl_vnic_create(h, &s, NULL), -EADDRINUSE);
	CU_ASSERT_EQUAL(e->status, -EADDRINUSE);
	CU_ASSERT_EQUAL(e->origin, VSWCTL_E_REMOTE);
	CU_ASSERT_STRING_EQUAL(e->message, "MAC address is already in use");
	next(NULL, EINVAL, "'stub0' is not a vnic");
	CU_ASSERT_EQUAL(vswctl_vnic_delete(h, "stub0", false), -EINVAL);
	CU_ASSERT_STRING_EQUAL(e->message, "'stub0' is not a vnic");
	next(NULL, ENOENT, "object not found");
	CU_ASSERT_EQUAL(vswctl_vnic_list(h, &q, &rows), -ENOENT);
	CU_ASSERT_PTR_NULL(rows);
	CU_ASSERT_EQUAL(e->origin, VSWCTL_E_REMOTE);
	/* the connection still serves after a refusal */
	next("{\"vnics\":[]}", 0, NULL);
	CU_ASSERT_EQUAL(vswctl_vnic_list(h, &q, &rows), 0);
	json_decref(rows);
	vswctl_close(h);
}

static CU_TestInfo tests[] = {
	{ "socket path from XVM_RUNDIR", test_sock_path },
	{ "vswitchd not running", test_no_daemon },
	{ "maxbw, status texts, property lists", test_wire_forms },
	{ "vnic.create request and result", test_vnic_create },
	{ "delete, set, reset, etherstubs", test_changes },
	{ "lists and a malformed reply", test_lists },
	{ "vswitchd's errors", test_remote_errors },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(vswctl, suite_init, suite_cleanup, tests);
