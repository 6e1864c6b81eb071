/*
 * flowadm without vswitchd: the tables printed from canned vswitchd
 * replies (docs/vswitchd-control.md "flow.list", "flowprop.get") and
 * compared with golden files tests/unit/golden/flowadm-*.ok; whole
 * command lines through flowadm_main() for the usage and validation
 * messages and exit statuses; and a stand-in vswitchd (fake_rpc) to see
 * the requests flowadm sends and how it words vswitchd's refusals.
 *
 * XVM_GOLDEN_UPDATE=1 rewrites the .ok files (then read them: they are
 * what REFERENCE.md "flowadm" says an administrator sees).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "capture.h"
#include "fake_rpc.h"
#include "flowadm/flowadm.h"

/* ---- canned replies ---- */

static const char flows_json[] =
	"[{\"name\":\"http-1\",\"link\":\"vnic0\",\"attrs\":{\"transport\":"
	"\"tcp\",\"local_port\":\"80\"},\"maxbw\":50000000,\"priority\":"
	"\"medium\",\"temporary\":false,\"stats\":{\"ipackets\":1200,"
	"\"rbytes\":1536000,\"ierrors\":3,\"opackets\":800,\"obytes\":"
	"64000,\"oerrors\":0}},"
	"{\"name\":\"udpflow\",\"link\":\"phys0\",\"attrs\":{\"local_ip\":"
	"\"10.0.0.1/32\"},\"maxbw\":0,\"priority\":\"high\",\"temporary\":"
	"true,\"stats\":{\"ipackets\":0,\"rbytes\":0,\"ierrors\":0,"
	"\"opackets\":0,\"obytes\":0,\"oerrors\":0}},"
	"{\"name\":\"v6net\",\"link\":\"xvm1_0\",\"attrs\":{\"remote_ip\":"
	"\"2001:db8:abcd:1234::/64\"},\"maxbw\":0,\"priority\":\"medium\","
	"\"temporary\":false,\"stats\":{\"ipackets\":4294967296,\"rbytes\":"
	"6442450944000,\"ierrors\":0,\"opackets\":1,\"obytes\":64,"
	"\"oerrors\":0}},"
	"{\"name\":\"ef\",\"link\":\"vnic0\",\"attrs\":{\"dsfield\":"
	"\"0xb8:0xfc\"},\"maxbw\":0,\"priority\":\"low\",\"temporary\":"
	"false,\"stats\":{\"ipackets\":5,\"rbytes\":320,\"ierrors\":0,"
	"\"opackets\":5,\"obytes\":320,\"oerrors\":0}}]";

static const char props_json[] =
	"[{\"flow\":\"http-1\",\"property\":\"maxbw\",\"value\":\"50\","
	"\"default\":\"--\",\"possible\":\"--\"},"
	"{\"flow\":\"http-1\",\"property\":\"priority\",\"value\":\"\","
	"\"default\":\"medium\",\"possible\":\"low,medium,high\"},"
	"{\"flow\":\"udpflow\",\"property\":\"maxbw\",\"value\":\"\","
	"\"default\":\"--\",\"possible\":\"--\"},"
	"{\"flow\":\"udpflow\",\"property\":\"priority\",\"value\":\"high\","
	"\"default\":\"medium\",\"possible\":\"low,medium,high\"}]";

/* ---- golden files ---- */


static void print_golden(const char *name, enum fa_table t, const char *oarg,
			 bool parseable, const char *rows_json)
{
	struct capture out = { 0 }, err = { 0 };
	struct flowadm f;
	json_t *rows = json_loads(rows_json, 0, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(rows);
	cap_open(&out);
	cap_open(&err);
	flowadm_init(&f, out.f, err.f);
	CU_ASSERT_EQUAL(fa_print_table(&f, t, oarg, parseable, rows), 0);
	CU_ASSERT_STRING_EQUAL(cap_text(&err), "");
	golden_check("flowadm", name, cap_text(&out));
	cap_close(&out);
	cap_close(&err);
	json_decref(rows);
}

static void test_golden(void)
{
	print_golden("show-flow", FA_T_FLOW, NULL, false, flows_json);
	print_golden("show-flow-p", FA_T_FLOW, "flow,link,ipaddr,proto,lport",
		     true, flows_json);
	print_golden("show-flow-o", FA_T_FLOW, "dsfld,FLOW", false,
		     flows_json);
	print_golden("show-flow-s", FA_T_FLOW_STATS, NULL, false, flows_json);
	print_golden("show-flow-s-p", FA_T_FLOW_STATS,
		     "flow,ipkts,rbytes,ierrs,opkts,obytes,oerrs", true,
		     flows_json);
	print_golden("show-flowprop", FA_T_FLOWPROP, NULL, false, props_json);
	print_golden("show-flowprop-c", FA_T_FLOWPROP, "flow,property,value",
		     true, props_json);
}

/* ---- whole command lines ---- */

static char rundir[64];		/* the stand-in vswitchd's run directory */
static char emptydir[64];	/* no vswitchd there */
static char *saved_rundir;
static struct capture run_out, run_err;
static struct fake_rpc *fake_vswitchd;
static struct fake_rpc_canned fake_answers = FAKE_RPC_CANNED_INIT;

static int run_in(const char *dir, const char **args)
{
	char *argv[32] = { "flowadm" };
	int argc = 1;

	for (; *args && argc < 31; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	cap_open(&run_out);
	cap_open(&run_err);
	setenv("XVM_RUNDIR", dir, 1);
	return flowadm_main(argc, argv, run_out.f, run_err.f);
}

#define RUN(...)	run_in(emptydir, (const char *[]){ __VA_ARGS__, NULL })
#define RUND(...)	run_in(rundir, (const char *[]){ __VA_ARGS__, NULL })
#define ERR()		cap_text(&run_err)
#define OUT()		cap_text(&run_out)
/* Exit status 1, exactly this one line on stderr, nothing on stdout. */
#define CHECK_ERR(line, ...) do {					\
	CU_ASSERT_EQUAL(RUN(__VA_ARGS__), 1);				\
	CU_ASSERT_STRING_EQUAL(ERR(), "flowadm: " line "\n");		\
	CU_ASSERT_STRING_EQUAL(OUT(), "");				\
} while (0)
#define CHECK_REQUEST(method, json)					\
	FAKE_RPC_CHECK_REQUEST(&fake_answers, method, json)

static bool starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_usage(void)
{
	CU_ASSERT_EQUAL(run_in(emptydir, (const char *[]){ NULL }), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "usage: flowadm <subcommand>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ERR(), "    add-flow         [-t] -l "));
	CU_ASSERT_PTR_NOT_NULL(strstr(ERR(), "    show-flowprop    [[-c] -o"));
	CU_ASSERT_EQUAL(RUN("frob"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "flowadm: unknown subcommand "
				   "'frob'\nusage: flowadm"));
	CU_ASSERT_EQUAL(RUN("add-flow", "-q", "-l", "vnic0", "f1"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "flowadm: unrecognized option "
				   "'-q'\nusage:\n    add-flow "));
	CU_ASSERT_EQUAL(RUN("add-flow", "-l", "vnic0", "-l", "vnic1", "f1"),
			1);
	CU_ASSERT_TRUE(starts_with(ERR(), "flowadm: the option -l cannot be "
				   "specified more than once\nusage:"));
	CU_ASSERT_EQUAL(RUN("add-flow", "-a", "transport=tcp", "f1"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "flowadm: option '-l' is "
				   "required\nusage:"));
	CU_ASSERT_EQUAL(RUN("add-flow", "-l", "vnic0"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "usage: flowadm <subcommand>"));
	/* remove-flow: a link or a flow, not both, not neither */
	CU_ASSERT_EQUAL(RUN("remove-flow", "-l", "vnic0", "f1"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "usage: flowadm <subcommand>"));
	CU_ASSERT_EQUAL(RUN("remove-flow"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "usage: flowadm <subcommand>"));
	CU_ASSERT_EQUAL(RUN("show-flow", "f1", "f2"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "usage: flowadm <subcommand>"));
	CU_ASSERT_EQUAL(RUN("show-flow", "-i", "1"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "flowadm: the option -i can be "
				   "used only with -s\nusage:"));
	CU_ASSERT_EQUAL(RUN("show-flow", "-s", "-i", "0"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "flowadm: invalid interval value '0'\n");
	CU_ASSERT_EQUAL(RUN("set-flowprop", "f1"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "flowadm: flow property must be "
			       "specified\n");
}

/* Refused before vswitchd is asked (there is none in emptydir). */
static void test_validation(void)
{
	CHECK_ERR("invalid flow name '1f'", "add-flow", "-l", "vnic0", "-a",
		  "transport=tcp", "1f");
	CHECK_ERR("invalid link name 'vnic'", "add-flow", "-l", "vnic", "-a",
		  "transport=tcp", "f1");
	CHECK_ERR("attributes must be specified", "add-flow", "-l", "vnic0",
		  "f1");
	CHECK_ERR("add flow failed: local or remote port requires transport",
		  "add-flow", "-l", "vnic0", "-a", "local_port=80", "f1");
	CHECK_ERR("add flow failed: local or remote port requires transport",
		  "add-flow", "-l", "vnic0", "-a", "remote_port=53", "f1");
	CHECK_ERR("add flow failed: invalid flow attribute 'proto'",
		  "add-flow", "-l", "vnic0", "-a", "proto=tcp", "f1");
	CHECK_ERR("add flow failed: invalid value 'tcpp' for flow attribute "
		  "'transport'", "add-flow", "-l", "vnic0", "-a",
		  "transport=tcpp", "f1");
	CHECK_ERR("add flow failed: unsupported combination of flow "
		  "attributes: one of local_ip, remote_ip, transport [with "
		  "local_port or remote_port], dsfield", "add-flow", "-l",
		  "vnic0", "-a", "local_ip=10.0.0.1,transport=udp", "f1");
	CHECK_ERR("add flow failed: minimum value for maxbw is 1200K",
		  "add-flow", "-l", "vnic0", "-a", "transport=tcp", "-p",
		  "maxbw=1M", "f1");
	CHECK_ERR("add flow failed: invalid flow property 'mtu'",
		  "add-flow", "-l", "vnic0", "-a", "transport=tcp", "-p",
		  "mtu=9000", "f1");
	CHECK_ERR("invalid flow name 'f/1'", "remove-flow", "f/1");
	CHECK_ERR("invalid link name 'x'", "remove-flow", "-l", "x");
	CHECK_ERR("flow property 'priority' must be one of: low,medium,high",
		  "set-flowprop", "-p", "priority=top", "f1");
	CHECK_ERR("cannot set flow property 'maxbw' on 'f1': invalid value "
		  "'x' for flow property 'maxbw'", "set-flowprop", "-p",
		  "maxbw=x", "f1");
	CHECK_ERR("invalid flow property 'mtu'", "reset-flowprop", "-p",
		  "mtu", "f1");
	/* each property once (vswitchd would see only the last) */
	CHECK_ERR("add flow failed: flow property 'maxbw' specified more than "
		  "once", "add-flow", "-l", "vnic0", "-a", "transport=tcp",
		  "-p", "maxbw=2M,maxbw=3M", "f1");
	CHECK_ERR("flow property 'priority' specified more than once",
		  "set-flowprop", "-p", "priority=low", "-p", "priority=high",
		  "f1");
	CHECK_ERR("flow property 'maxbw' specified more than once",
		  "reset-flowprop", "-p", "maxbw,priority,maxbw", "f1");
	CHECK_ERR("invalid flow property 'vid'", "show-flowprop", "-p", "vid");
	CHECK_ERR("-p requires -o", "show-flow", "-p");
	CHECK_ERR("\"-o all\" is invalid with -p", "show-flow", "-p", "-o",
		  "all");
	CHECK_ERR("-p requires -o", "show-flowprop", "-c");
	CHECK_ERR("unknown output field 'speed'", "show-flow", "-o", "speed");
}

static void test_no_daemon(void)
{
	CU_ASSERT_EQUAL(RUN("show-flow"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "flowadm: cannot connect to "
				   "vswitchd: "));
}

static void fake_next(const char *result, int errnum, const char *msg)
{
	fake_rpc_next(&fake_answers, result, errnum, msg);
}

static void test_requests(void)
{
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("add-flow", "-t", "-l", "vnic0", "-a",
			     "transport=tcp,local_port=5201", "-p",
			     "maxbw=20M,priority=high", "tcpflow"), 0);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CHECK_REQUEST("flow.add", "{\"attrs\":{\"local_port\":\"5201\","
		      "\"transport\":\"tcp\"},\"link\":\"vnic0\",\"name\":"
		      "\"tcpflow\",\"props\":{\"maxbw\":\"20M\",\"priority\":"
		      "\"high\"},\"temporary\":true}");
	/* the same with flowadm's long options */
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("add-flow", "--temporary", "--link=vnic0",
			     "--attr", "transport=tcp,local_port=5201",
			     "--prop=maxbw=20M,priority=high", "tcpflow"), 0);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CHECK_REQUEST("flow.add", "{\"attrs\":{\"local_port\":\"5201\","
		      "\"transport\":\"tcp\"},\"link\":\"vnic0\",\"name\":"
		      "\"tcpflow\",\"props\":{\"maxbw\":\"20M\",\"priority\":"
		      "\"high\"},\"temporary\":true}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("remove-flow", "tcpflow"), 0);
	CHECK_REQUEST("flow.remove", "{\"name\":\"tcpflow\"}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("remove-flow", "-t", "-l", "vnic0"), 0);
	CHECK_REQUEST("flow.remove", "{\"link\":\"vnic0\",\"temporary\":true}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("set-flowprop", "-p", "maxbw=100M", "f1"), 0);
	CHECK_REQUEST("flow.set", "{\"name\":\"f1\",\"props\":{\"maxbw\":"
		      "\"100M\"}}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("reset-flowprop", "-t", "-p", "maxbw", "f1"), 0);
	CHECK_REQUEST("flow.reset", "{\"name\":\"f1\",\"props\":[\"maxbw\"],"
		      "\"temporary\":true}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("reset-flowprop", "f1"), 0);
	CHECK_REQUEST("flow.reset", "{\"name\":\"f1\"}");
}

static void test_daemon_errors(void)
{
	fake_next(NULL, EEXIST, "a flow with identical attributes exists");
	CU_ASSERT_EQUAL(RUND("add-flow", "-l", "vnic0", "-a", "transport=tcp",
			     "f2"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "flowadm: add flow failed: a flow with "
			       "identical attributes exists\n");
	fake_next(NULL, EINVAL, "flow(s) with incompatible attributes exists");
	CU_ASSERT_EQUAL(RUND("add-flow", "-l", "vnic0", "-a", "dsfield=0x2e",
			     "f3"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "flowadm: add flow failed: flow(s) with "
			       "incompatible attributes exists\n");
	fake_next(NULL, ENOENT, "object not found");
	CU_ASSERT_EQUAL(RUND("remove-flow", "f9"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "flowadm: remove flow failed: object "
			       "not found\n");
	fake_next(NULL, ENOENT, "object not found");
	CU_ASSERT_EQUAL(RUND("set-flowprop", "-p", "priority=low", "f9"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "flowadm: cannot set flow property "
			       "'priority' on 'f9': object not found\n");
	fake_next(NULL, ENOENT, "object not found");
	CU_ASSERT_EQUAL(RUND("show-flow", "f9"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "flowadm: invalid flow name 'f9': "
			       "object not found\n");
	fake_next(NULL, ENOENT, "object not found");
	CU_ASSERT_EQUAL(RUND("show-flow", "-l", "vnic9"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "flowadm: invalid link name 'vnic9': "
			       "object not found\n");
	CU_ASSERT_STRING_EQUAL(OUT(), "");
}

static void test_daemon_show(void)
{
	char *list;

	CU_ASSERT_FATAL(asprintf(&list, "{\"flows\":%s}", flows_json) > 0);
	fake_next(list, 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-flow", "-P", "-p", "-o", "flow"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "http-1\nv6net\nef\n");	/* -P */
	CHECK_REQUEST("flow.list", "{}");
	fake_next(list, 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-flow", "-s", "-l", "vnic0", "-p", "-o",
			     "flow,ipkts", "http-1"), 0);
	CHECK_REQUEST("flow.list", "{\"link\":\"vnic0\",\"name\":\"http-1\","
		      "\"stats\":true}");
	free(list);
	CU_ASSERT_FATAL(asprintf(&list, "{\"props\":%s}", props_json) > 0);
	fake_next(list, 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-flowprop", "-c", "-o", "flow,value", "-p",
			     "maxbw,priority", "udpflow"), 0);
	CHECK_REQUEST("flowprop.get", "{\"name\":\"udpflow\",\"props\":["
		      "\"maxbw\",\"priority\"]}");
	free(list);
	fake_next("{\"flows\":[]}", 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-flow"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "");	/* no rows, no header */
	fake_next("{\"noflows\":[]}", 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-flow"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "flowadm: vswitchd: malformed reply\n");
}

FAKE_RPC_CANNED(fake_flow_add, "flow.add")
FAKE_RPC_CANNED(fake_flow_remove, "flow.remove")
FAKE_RPC_CANNED(fake_flow_list, "flow.list")
FAKE_RPC_CANNED(fake_flow_set, "flow.set")
FAKE_RPC_CANNED(fake_flow_reset, "flow.reset")
FAKE_RPC_CANNED(fake_flowprop_get, "flowprop.get")

static const struct rpc_method fake_methods[] = {
	{ "flow.add", fake_flow_add },
	{ "flow.remove", fake_flow_remove },
	{ "flow.list", fake_flow_list },
	{ "flow.set", fake_flow_set },
	{ "flow.reset", fake_flow_reset },
	{ "flowprop.get", fake_flowprop_get },
};

static int suite_init(void)
{
	char path[128];

	saved_rundir = env_save("XVM_RUNDIR");
	strcpy(rundir, "/tmp/flowadm-test.XXXXXX");
	strcpy(emptydir, "/tmp/flowadm-none.XXXXXX");
	if (!mkdtemp(rundir) || !mkdtemp(emptydir))
		return -1;
	snprintf(path, sizeof(path), "%s/" VSWCTL_SOCK_NAME, rundir);
	fake_vswitchd = fake_rpc_start(path, fake_methods,
				       ARRAY_SIZE(fake_methods),
				       &fake_answers);
	return fake_vswitchd ? 0 : -1;
}

static int suite_cleanup(void)
{
	char path[128];

	fake_rpc_stop(fake_vswitchd);
	fake_vswitchd = NULL;
	snprintf(path, sizeof(path), "%s/" VSWCTL_SOCK_NAME, rundir);
	unlink(path);
	rmdir(rundir);
	rmdir(emptydir);
	cap_close(&run_out);
	cap_close(&run_err);
	fake_rpc_canned_clear(&fake_answers);
	env_restore("XVM_RUNDIR", saved_rundir);
	saved_rundir = NULL;
	return 0;
}

static CU_TestInfo tests[] = {
	{ "golden: show-flow, show-flow -s, show-flowprop", test_golden },
	{ "usage and option errors", test_usage },
	{ "validation before vswitchd", test_validation },
	{ "vswitchd not running", test_no_daemon },
	{ "requests sent to vswitchd", test_requests },
	{ "vswitchd errors worded like flowadm", test_daemon_errors },
	{ "show-* through vswitchd", test_daemon_show },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(flowadm, suite_init, suite_cleanup, tests);
