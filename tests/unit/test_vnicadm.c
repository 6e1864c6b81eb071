/*
 * vnicadm without vswitchd: the show-* tables printed from canned
 * vswitchd replies (docs/vswitchd-control.md) and compared with golden
 * files tests/unit/golden/vnicadm-*.ok; whole command lines run through
 * vnicadm_main() for the usage and validation messages and exit codes;
 * and a stand-in vswitchd on a socket (lib/rpc server in a thread) to see
 * what requests vnicadm sends and how it words the daemon's errors.
 *
 * XVM_GOLDEN_UPDATE=1 rewrites the .ok files (then read them: they are
 * what REFERENCE.md says an administrator sees).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "capture.h"
#include "fake_rpc.h"
#include "../../vnicadm/vnicadm.h"
#include "xvm/ofmt.h"
#include "xvm/rpc.h"

/* ---- canned replies, as vswitchd answers ---- */

static const char vnics_json[] =
	"[{\"name\":\"vnic0\",\"over\":\"phys0\",\"speed\":1000,"
	"\"mac\":\"2:8:20:c2:39:38\",\"macaddrtype\":\"random\",\"vid\":0,"
	"\"kind\":\"host\",\"socket\":null,\"temporary\":false,"
	"\"stats\":{\"ipackets\":120,\"rbytes\":15360,\"opackets\":7,"
	"\"obytes\":910,\"ierrors\":0,\"oerrors\":0}},"
	"{\"name\":\"xvm1_0\",\"over\":\"e1000g0\",\"speed\":100,"
	"\"mac\":\"00:16:3e:64:99:4d\",\"macaddrtype\":\"fixed\",\"vid\":5,"
	"\"kind\":\"guest\",\"socket\":\"/run/xvm/vnic/xvm1_0.sock\","
	"\"temporary\":true,"
	"\"stats\":{\"ipackets\":4294967296,\"rbytes\":6442450944000,"
	"\"opackets\":1,\"obytes\":64,\"ierrors\":0,\"oerrors\":0}},"
	"{\"name\":\"averyverylong_vnic10\",\"over\":\"stub0\",\"speed\":1.2,"
	"\"mac\":\"2:0:0:0:0:1\",\"macaddrtype\":\"random\",\"vid\":4094,"
	"\"kind\":\"host\",\"socket\":null,\"temporary\":false,"
	"\"stats\":{\"ipackets\":0,\"rbytes\":0,\"opackets\":0,\"obytes\":0,"
	"\"ierrors\":0,\"oerrors\":0}}]";

static const char links_json[] =
	"[{\"name\":\"phys0\",\"class\":\"phys\",\"mtu\":1500,\"state\":\"up\","
	"\"bridge\":\"\",\"over\":\"\",\"stats\":{\"ipackets\":10,"
	"\"rbytes\":1000,\"ierrors\":1,\"opackets\":20,\"obytes\":2000,"
	"\"oerrors\":2}},"
	"{\"name\":\"stub0\",\"class\":\"etherstub\",\"mtu\":9000,"
	"\"state\":\"unknown\",\"bridge\":\"\",\"over\":\"\",\"stats\":{"
	"\"ipackets\":0,\"rbytes\":0,\"ierrors\":0,\"opackets\":0,"
	"\"obytes\":0,\"oerrors\":0}},"
	"{\"name\":\"vnic0\",\"class\":\"vnic\",\"mtu\":1500,\"state\":\"down\","
	"\"bridge\":\"\",\"over\":\"phys0\",\"stats\":{\"ipackets\":5,"
	"\"rbytes\":320,\"ierrors\":0,\"opackets\":3,\"obytes\":180,"
	"\"oerrors\":0}}]";

static const char phys_json[] =
	"[{\"name\":\"eth0\",\"media\":\"Ethernet\",\"state\":\"up\","
	"\"speed\":10000,\"duplex\":\"full\",\"device\":\"virtio_net\","
	"\"macaddress\":\"52:54:00:0a:0b:0c\",\"inuse\":true,"
	"\"clients\":[\"vnic0\",\"xvm1_0\"],\"rxrings\":1,\"txrings\":1,"
	"\"pmd\":1},"
	"{\"name\":\"veth1\",\"media\":\"Ethernet\",\"state\":\"down\","
	"\"speed\":0,\"duplex\":\"unknown\",\"device\":\"veth\","
	"\"macaddress\":\"2:0:0:0:0:1\",\"inuse\":false,\"clients\":[],"
	"\"rxrings\":0,\"txrings\":0,\"pmd\":null},"
	"{\"name\":\"eth2\",\"media\":\"Ethernet\",\"state\":\"up\","
	"\"speed\":1000,\"duplex\":\"full\",\"device\":\"ixgbe\","
	"\"macaddress\":null,\"inuse\":true,\"clients\":[],"
	"\"rxrings\":4,\"txrings\":2,\"pmd\":0}]";

/* show-ether: a 1G link, a 100M half-duplex one, one that says nothing */
static const char ether_json[] =
	"[{\"name\":\"eth0\",\"state\":\"up\",\"speed\":1000,"
	"\"duplex\":\"full\",\"autoneg\":true,\"pause\":\"bi\"},"
	"{\"name\":\"eth1\",\"state\":\"up\",\"speed\":100,"
	"\"duplex\":\"half\",\"autoneg\":false,\"pause\":\"no\"},"
	"{\"name\":\"veth1\",\"state\":\"down\",\"speed\":0,"
	"\"duplex\":\"unknown\",\"autoneg\":null,\"pause\":null}]";

static const char stubs_json[] =
	"[{\"name\":\"stub0\"},{\"name\":\"stub1\"}]";

static const char props_json[] =
	"[{\"link\":\"vnic0\",\"property\":\"maxbw\",\"perm\":\"rw\","
	"\"value\":\"100\",\"default\":\"--\",\"possible\":\"--\"},"
	"{\"link\":\"vnic0\",\"property\":\"priority\",\"perm\":\"rw\","
	"\"value\":\"\",\"default\":\"high\",\"possible\":\"low,medium,high\"},"
	"{\"link\":\"vnic0\",\"property\":\"protection\",\"perm\":\"rw\","
	"\"value\":\"mac-nospoof,ip-nospoof\",\"default\":\"--\","
	"\"possible\":\"mac-nospoof,ip-nospoof,restricted,dhcp-nospoof\"},"
	"{\"link\":\"vnic0\",\"property\":\"allowed-ips\",\"perm\":\"rw\","
	"\"value\":\"10.0.0.1,10.0.1.0/24\",\"default\":\"--\","
	"\"possible\":\"--\"},"
	"{\"link\":\"vnic0\",\"property\":\"mtu\",\"perm\":\"rw\","
	"\"value\":\"\",\"default\":\"1500\",\"possible\":\"68-9000\"}]";

/* ---- golden files ---- */


/* Print rows (JSON text) through table t; returns the printer's status. */
static int print_golden(const char *name, enum vn_table t, const char *oarg,
			bool parseable, const char *rows_json)
{
	struct capture out = { 0 }, err = { 0 };
	struct vnicadm v;
	json_t *rows = json_loads(rows_json, 0, NULL);
	int ret;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rows);
	cap_open(&out);
	cap_open(&err);
	vnicadm_init(&v, out.f, err.f);
	ret = vn_print_table(&v, t, oarg, parseable, rows);
	CU_ASSERT_EQUAL(ret, 0);
	CU_ASSERT_STRING_EQUAL(cap_text(&err), "");
	golden_check("vnicadm", name, cap_text(&out));
	cap_close(&out);
	cap_close(&err);
	json_decref(rows);
	return ret;
}

static void test_golden_vnic(void)
{
	print_golden("show-vnic", VN_T_VNIC, NULL, false, vnics_json);
	print_golden("show-vnic-p", VN_T_VNIC, "link,over,macaddress,vid",
		     true, vnics_json);
	print_golden("show-vnic-p1", VN_T_VNIC, "MACADDRESS", true,
		     vnics_json);
	print_golden("show-vnic-o", VN_T_VNIC, "vid,link", false, vnics_json);
	print_golden("show-vnic-s", VN_T_VNIC_STATS, NULL, false, vnics_json);
	print_golden("show-vnic-s-p", VN_T_VNIC_STATS,
		     "link,ipackets,rbytes,opackets,obytes", true, vnics_json);
}

/* show-phys -m / -H: phys rows expanded as cmd_show_phys does */
static void print_golden_phys(const char *name, enum vn_table t,
			      json_t *(*expand)(const json_t *),
			      const char *oarg, bool parseable)
{
	json_t *phys = json_loads(phys_json, 0, NULL), *rows;
	char *text;

	CU_ASSERT_PTR_NOT_NULL_FATAL(phys);
	rows = expand(phys);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rows);
	text = json_dumps(rows, 0);
	print_golden(name, t, oarg, parseable, text);
	free(text);
	json_decref(rows);
	json_decref(phys);
}

static void test_golden_link(void)
{
	print_golden_phys("show-phys-m", VN_T_PHYS_MAC, vn_phys_mac_rows,
			  NULL, false);
	print_golden_phys("show-phys-m-p", VN_T_PHYS_MAC, vn_phys_mac_rows,
			  "link,slot,address,inuse,client", true);
	print_golden_phys("show-phys-H", VN_T_PHYS_HW, vn_phys_hw_rows,
			  NULL, false);
	print_golden_phys("show-phys-H-p", VN_T_PHYS_HW, vn_phys_hw_rows,
			  "link,ringtype,rings,clients", true);
	print_golden("show-link", VN_T_LINK, NULL, false, links_json);
	print_golden("show-link-p", VN_T_LINK, "link,class,over", true,
		     links_json);
	print_golden("show-link-s", VN_T_LINK_STATS, NULL, false, links_json);
	print_golden("show-phys", VN_T_PHYS, NULL, false, phys_json);
	print_golden("show-phys-p", VN_T_PHYS, "link,state,speed", true,
		     phys_json);
	/* PMD only with -o (the uplink's PMD, "--" when not attached) */
	print_golden("show-phys-o-pmd", VN_T_PHYS, "link,state,pmd", false,
		     phys_json);
	print_golden("show-phys-o-pmd-p", VN_T_PHYS, "link,pmd", true,
		     phys_json);
	print_golden("show-ether", VN_T_ETHER, NULL, false, ether_json);
	print_golden("show-ether-p", VN_T_ETHER, "link,auto,speed-duplex,pause",
		     true, ether_json);
	print_golden("show-etherstub", VN_T_ETHERSTUB, NULL, false,
		     stubs_json);
}

static void test_golden_linkprop(void)
{
	print_golden("show-linkprop", VN_T_LINKPROP, NULL, false, props_json);
	print_golden("show-linkprop-c", VN_T_LINKPROP, "link,property,value",
		     true, props_json);
}

/* A row missing a field prints "?" (could not be read), a null "--". */
static void test_missing_fields(void)
{
	struct capture out = { 0 }, err = { 0 };
	struct vnicadm v;
	json_t *rows = json_loads("[{\"name\":\"vnic3\",\"over\":null}]", 0,
				  NULL);

	cap_open(&out);
	cap_open(&err);
	vnicadm_init(&v, out.f, err.f);
	CU_ASSERT_EQUAL(vn_print_table(&v, VN_T_VNIC, "link,over,vid", true,
				       rows), 0);
	CU_ASSERT_STRING_EQUAL(cap_text(&out), "vnic3::?\n");
	/* not an array: an error, not a crash */
	CU_ASSERT_EQUAL(vn_print_table(&v, VN_T_VNIC, NULL, false,
				       json_object_get(json_array_get(rows, 0),
						       "name")), 1);
	CU_ASSERT_STRING_EQUAL(cap_text(&err),
			       "vnicadm: vswitchd: malformed reply\n");
	cap_close(&out);
	cap_close(&err);
	json_decref(rows);
}

/* -i shows each round's change; a counter that went back shows whole. */
static void test_stats_delta(void)
{
	json_t *prev = json_loads("[{\"name\":\"a0\",\"stats\":{\"ipackets\":"
				  "10,\"obytes\":500}}]", 0, NULL);
	json_t *cur = json_loads("[{\"name\":\"a0\",\"stats\":{\"ipackets\":"
				 "15,\"obytes\":100}},{\"name\":\"b0\","
				 "\"stats\":{\"ipackets\":3}}]", 0, NULL);
	json_t *d = vn_stats_delta(cur, prev);

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(
		json_array_get(d, 0), "stats"), "ipackets")), 5);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(
		json_array_get(d, 0), "stats"), "obytes")), 100);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(
		json_array_get(d, 1), "stats"), "ipackets")), 3);
	/* cur itself is untouched */
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_object_get(
		json_array_get(cur, 0), "stats"), "ipackets")), 15);
	json_decref(d);
	json_decref(cur);
	json_decref(prev);
}

/* ---- whole command lines ---- */

static char rundir[64];		/* the stand-in vswitchd's run directory */
static char emptydir[64];	/* no vswitchd there */

static struct capture run_out, run_err;

/* Run vnicadm with args (NULL-terminated) in the directory dir; the
 * output is in run_out/run_err until the next run. */
static int run_in(const char *dir, const char **args)
{
	char *argv[32] = { "vnicadm" };
	int argc = 1;

	for (; *args && argc < 31; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	cap_open(&run_out);
	cap_open(&run_err);
	setenv("XVM_RUNDIR", dir, 1);
	return vnicadm_main(argc, argv, run_out.f, run_err.f);
}

#define RUN(...)	run_in(emptydir, (const char *[]){ __VA_ARGS__, NULL })
#define RUND(...)	run_in(rundir, (const char *[]){ __VA_ARGS__, NULL })
#define ERR()		cap_text(&run_err)
#define OUT()		cap_text(&run_out)

/* Exit status 1 and exactly this one line on stderr, nothing on stdout. */
#define CHECK_ERR(line, ...) do {					\
	CU_ASSERT_EQUAL(RUN(__VA_ARGS__), 1);				\
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: " line "\n");		\
	CU_ASSERT_STRING_EQUAL(OUT(), "");				\
} while (0)

static bool starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void test_usage(void)
{
	CU_ASSERT_EQUAL(RUN("frobnicate"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: unknown subcommand "
				   "'frobnicate'\nusage: vnicadm <subcommand>"));
	/* every subcommand is listed */
	CU_ASSERT_PTR_NOT_NULL(strstr(ERR(), "    show-linkprop    [-P]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(ERR(), "    create-etherstub [-t]"));
	/* help: the usage asked for, on stdout */
	CU_ASSERT_EQUAL(RUN("help"), 0);
	CU_ASSERT_TRUE(starts_with(OUT(), "usage: vnicadm <subcommand>"));
	CU_ASSERT_PTR_NOT_NULL(strstr(OUT(), "    show-linkprop    [-P]"));
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CU_ASSERT_EQUAL(RUN("help", "show-phys"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "usage:\n    show-phys        [-pP] "
			       "[-m | -H] [-o <field>,...] [<link>]\n");
	CHECK_ERR("unknown subcommand 'frob'", "help", "frob");

	/* a long option is named whole, and -o "" names no field (issue
	 * 12, finding 11) */
	CU_ASSERT_EQUAL(RUN("show-vnic", "--bogus"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: unrecognized option "
				   "'--bogus'\nusage:\n    show-vnic "));
	CU_ASSERT_EQUAL(RUN("show-vnic", "-l", "phys0", "--bogus=1"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: unrecognized option "
				   "'--bogus=1'\n"));
	CHECK_ERR("no output fields given with -o", "show-vnic", "-o", "");
	CHECK_ERR("no output fields given with -o", "show-link", "-p", "-o", "");
	CU_ASSERT_EQUAL(RUN("create-vnic", "-q", "-l", "phys0", "vnic0"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: unrecognized option "
				   "'-q'\nusage:\n    create-vnic "));
	CU_ASSERT_EQUAL(RUN("create-vnic", "vnic0", "-l"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: option '-l' requires a "
				   "value\nusage:\n    create-vnic "));
	CU_ASSERT_EQUAL(RUN("create-vnic", "-l", "a0", "-l", "b0", "vnic0"),
			1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: the option -l cannot be "
				   "specified more than once\nusage:"));
	/* a repeated flag is harmless, as in dladm */
	CU_ASSERT_EQUAL(RUN("delete-vnic", "-t", "-t", "x"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: invalid link name 'x'\n");
	CU_ASSERT_EQUAL(RUN("create-vnic", "-l", "phys0"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "usage: vnicadm <subcommand>"));
	CU_ASSERT_EQUAL(RUN("create-vnic", "vnic0"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: option '-l' is "
				   "required\nusage:"));
	CU_ASSERT_EQUAL(RUN("delete-vnic", "vnic0", "vnic1"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "usage: vnicadm <subcommand>"));
	CU_ASSERT_EQUAL(RUN("show-vnic", "-i", "1"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: the option -i can be "
				   "used only with -s\nusage:"));
	CU_ASSERT_EQUAL(RUN("show-phys", "eth0", "eth1"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "usage: vnicadm <subcommand>"));
	CU_ASSERT_EQUAL(RUN("show-phys", "-m", "-H"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: the options -m and -H "
				   "cannot be used together\n"));
	CU_ASSERT_EQUAL(RUN("show-phys", "-P", "-H"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: the option -P cannot be used "
			       "with -H\n");
}

/* Bad input is refused before vswitchd is asked (none runs here), with
 * the daemon's words. */
static void test_validation(void)
{
	CHECK_ERR("invalid link name 'vnic01'",
		  "create-vnic", "-l", "phys0", "vnic01");
	CHECK_ERR("invalid link name 'ph-ys0'",
		  "create-vnic", "-l", "ph-ys0", "vnic0");
	CHECK_ERR("invalid VLAN identifier '0'",
		  "create-vnic", "-l", "phys0", "-v", "0", "vnic0");
	CHECK_ERR("invalid VLAN identifier '4095'",
		  "create-vnic", "-l", "phys0", "-v", "4095", "vnic0");
	CHECK_ERR("invalid VLAN identifier '5000'",
		  "create-vnic", "-l", "phys0", "-v", "5000", "vnic0");
	CHECK_ERR("invalid MAC address '0:16:3e:1:2'",
		  "create-vnic", "-l", "phys0", "-m", "0:16:3e:1:2", "vnic0");
	CHECK_ERR("invalid MAC address '1:0:5e:0:0:1'",	/* multicast */
		  "create-vnic", "-l", "phys0", "-m", "1:0:5e:0:0:1", "vnic0");
	/* dladm's words for the keyword instead of a value */
	CHECK_ERR("'fixed' is not a valid MAC address",
		  "create-vnic", "-l", "phys0", "-m", "fixed", "vnic0");
	CHECK_ERR("invalid factory MAC address slot '0'",
		  "create-vnic", "-l", "phys0", "-m", "factory", "-n", "0",
		  "vnic0");
	CHECK_ERR("invalid factory MAC address slot 'x'",
		  "create-vnic", "-l", "phys0", "-m", "factory", "-n", "x",
		  "vnic0");
	CU_ASSERT_EQUAL(RUN("create-vnic", "-l", "phys0", "-m", "random",
			    "-n", "1", "vnic0"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: the option -n can be "
				   "used only with -m factory\n"));
	CU_ASSERT_EQUAL(RUN("create-vnic", "-l", "phys0", "-m", "factory",
			    "-r", "2:8:20", "vnic0"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: the option -r can be "
				   "used only with -m random or -m auto\n"));
	CHECK_ERR("invalid MAC address prefix '1:2:3'",
		  "create-vnic", "-l", "phys0", "-m", "random", "-r", "1:2:3",
		  "vnic0");
	CHECK_ERR("vnic creation over phys0 failed: minimum value for maxbw "
		  "is 1200K",
		  "create-vnic", "-l", "phys0", "-p", "maxbw=1199K", "vnic0");
	CHECK_ERR("vnic creation over phys0 failed: invalid link property "
		  "'speed'",
		  "create-vnic", "-l", "phys0", "-p", "speed=10", "vnic0");
	CHECK_ERR("invalid VNIC kind 'vm': must be host or guest",
		  "create-vnic", "-l", "phys0", "-k", "vm", "vnic0");
	CHECK_ERR("invalid link name 'averylongvnic100': host VNIC names are "
		  "shorter than 16 characters",
		  "create-vnic", "-l", "phys0", "averylongvnic100");
	CHECK_ERR("invalid link name 'x'", "delete-vnic", "x");
	CHECK_ERR("invalid link name 'stub'", "create-etherstub", "stub");
	CHECK_ERR("link property 'priority' must be one of: low,medium,high",
		  "set-linkprop", "-p", "priority=urgent", "vnic0");
	CHECK_ERR("invalid link property 'speed'",
		  "set-linkprop", "-p", "speed=10", "vnic0");
	CHECK_ERR("cannot set link property 'maxbw' on 'vnic0': minimum "
		  "value for maxbw is 1200K",
		  "set-linkprop", "-p", "priority=low,maxbw=1K", "vnic0");
	CHECK_ERR("cannot set link property 'maxbw' on 'vnic0': percentages "
		  "are not supported for maxbw ('10%')",
		  "set-linkprop", "-p", "maxbw=10%", "vnic0");
	CHECK_ERR("link property must be specified", "set-linkprop", "vnic0");
	CHECK_ERR("invalid link property 'speed'",
		  "reset-linkprop", "-p", "maxbw,speed", "vnic0");
	CHECK_ERR("invalid link property 'speed'",
		  "show-linkprop", "-p", "speed", "vnic0");
	CHECK_ERR("-p requires -o", "show-vnic", "-p");
	CHECK_ERR("\"-o all\" is invalid with -p", "show-link", "-p", "-o",
		  "all");
	CHECK_ERR("-c requires -o", "show-linkprop", "-c");
	CHECK_ERR("\"-o all\" is invalid with -c", "show-linkprop", "-c",
		  "-o", "all");
	CHECK_ERR("invalid interval value '0'", "show-vnic", "-s", "-i", "0");
	CHECK_ERR("invalid interval value '1x'", "show-link", "-s", "-i",
		  "1x");
}

static void test_no_daemon(void)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "vnicadm: cannot connect to vswitchd: "
		 "%s\n", strerror(ENOENT));
	CU_ASSERT_EQUAL(RUN("show-vnic"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), msg);
	CU_ASSERT_EQUAL(RUN("create-vnic", "-l", "phys0", "-v", "5", "-p",
			    "maxbw=100M,priority=low", "vnic0"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), msg);
	CU_ASSERT_EQUAL(RUN("show-linkprop", "-c", "-o", "value", "vnic0"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), msg);
}

/* ---- a stand-in vswitchd ---- */

static struct fake_rpc *fake_vswitchd;
static struct fake_rpc_canned fake_answers = FAKE_RPC_CANNED_INIT;

FAKE_RPC_CANNED(fake_vnic_create, "vnic.create")
FAKE_RPC_CANNED(fake_vnic_delete, "vnic.delete")
FAKE_RPC_CANNED(fake_vnic_list, "vnic.list")
FAKE_RPC_CANNED(fake_vnic_set, "vnic.set")
FAKE_RPC_CANNED(fake_vnic_reset, "vnic.reset")
FAKE_RPC_CANNED(fake_link_list, "link.list")
FAKE_RPC_CANNED(fake_linkprop_get, "linkprop.get")
FAKE_RPC_CANNED(fake_stub_create, "etherstub.create")
FAKE_RPC_CANNED(fake_stub_delete, "etherstub.delete")
FAKE_RPC_CANNED(fake_stub_list, "etherstub.list")
FAKE_RPC_CANNED(fake_phys_list, "phys.list")
FAKE_RPC_CANNED(fake_link_rename, "link.rename")

static const struct rpc_method fake_methods[] = {
	{ "vnic.create", fake_vnic_create },
	{ "vnic.delete", fake_vnic_delete },
	{ "vnic.list", fake_vnic_list },
	{ "vnic.set", fake_vnic_set },
	{ "vnic.reset", fake_vnic_reset },
	{ "link.list", fake_link_list },
	{ "linkprop.get", fake_linkprop_get },
	{ "etherstub.create", fake_stub_create },
	{ "etherstub.delete", fake_stub_delete },
	{ "etherstub.list", fake_stub_list },
	{ "phys.list", fake_phys_list },
	{ "link.rename", fake_link_rename },
};

/* Answer the next request with result (JSON text) or an error. */
static void fake_next(const char *result, int errnum, const char *msg)
{
	fake_rpc_next(&fake_answers, result, errnum, msg);
}

#define CHECK_REQUEST(method, json)					\
	FAKE_RPC_CHECK_REQUEST(&fake_answers, method, json)

static char *saved_rundir;	/* the runner's XVM_RUNDIR, restored after */

static int suite_init(void)
{
	char path[128];

	saved_rundir = env_save("XVM_RUNDIR");

	strcpy(rundir, "/tmp/vnicadm-test.XXXXXX");
	strcpy(emptydir, "/tmp/vnicadm-none.XXXXXX");
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
	fake_rpc_stop(fake_vswitchd);
	fake_vswitchd = NULL;
	rmdir(rundir);
	rmdir(emptydir);
	cap_close(&run_out);
	cap_close(&run_err);
	fake_rpc_canned_clear(&fake_answers);
	env_restore("XVM_RUNDIR", saved_rundir);
	saved_rundir = NULL;
	return 0;
}

static void test_daemon_requests(void)
{
	fake_next("{\"name\":\"vnic0\",\"mac\":\"2:1:2:3:4:5\","
		  "\"macaddrtype\":\"random\"}", 0, NULL);
	CU_ASSERT_EQUAL(RUND("create-vnic", "-t", "-l", "phys0", "-m",
			     "random", "-r", "2:8:20", "-v", "5", "-p",
			     "maxbw=100M,protection=mac-nospoof,ip-nospoof",
			     "-p", "priority=low", "vnic0"), 0);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CU_ASSERT_STRING_EQUAL(OUT(), "");
	CHECK_REQUEST("vnic.create",
		"{\"kind\":\"host\",\"link\":\"phys0\",\"mac\":\"random\","
		"\"mac_prefix\":\"2:8:20\",\"name\":\"vnic0\",\"props\":{"
		"\"maxbw\":\"100M\",\"priority\":\"low\",\"protection\":"
		"\"mac-nospoof,ip-nospoof\"},\"temporary\":true,\"vid\":5}");

	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("create-vnic", "-k", "guest", "-l", "stub0",
			     "-m", "00:16:3E:0a:0b:0c", "xvm1_0"), 0);
	CHECK_REQUEST("vnic.create",
		"{\"kind\":\"guest\",\"link\":\"stub0\",\"mac\":"
		"\"0:16:3e:a:b:c\",\"name\":\"xvm1_0\"}");

	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("set-linkprop", "-p", "maxbw=50M", "vnic0"), 0);
	CHECK_REQUEST("vnic.set",
		"{\"name\":\"vnic0\",\"props\":{\"maxbw\":\"50M\"}}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("reset-linkprop", "-t", "-p", "maxbw,priority",
			     "vnic0"), 0);
	CHECK_REQUEST("vnic.reset", "{\"name\":\"vnic0\",\"props\":[\"maxbw\","
		      "\"priority\"],\"temporary\":true}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("reset-linkprop", "vnic0"), 0);
	CHECK_REQUEST("vnic.reset", "{\"name\":\"vnic0\"}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("create-etherstub", "stub0"), 0);
	CHECK_REQUEST("etherstub.create", "{\"name\":\"stub0\"}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("delete-etherstub", "-t", "stub0"), 0);
	CHECK_REQUEST("etherstub.delete",
		      "{\"name\":\"stub0\",\"temporary\":true}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("delete-vnic", "-t", "vnic0"), 0);
	CHECK_REQUEST("vnic.delete", "{\"name\":\"vnic0\",\"temporary\":true}");
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CU_ASSERT_STRING_EQUAL(OUT(), "");
}

/* dladm's long options: the same requests as the short ones. */
static void test_long_options(void)
{
	char *list;

	fake_next("{\"name\":\"vnic0\",\"mac\":\"2:1:2:3:4:5\","
		  "\"macaddrtype\":\"random\"}", 0, NULL);
	CU_ASSERT_EQUAL(RUND("create-vnic", "--temporary", "--link=phys0",
			     "--mac-address", "random", "--mac-prefix=2:8:20",
			     "--vid", "5", "--prop", "maxbw=100M", "--prop=priority=low",
			     "vnic0"), 0);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CHECK_REQUEST("vnic.create",
		"{\"kind\":\"host\",\"link\":\"phys0\",\"mac\":\"random\","
		"\"mac_prefix\":\"2:8:20\",\"name\":\"vnic0\",\"props\":{"
		"\"maxbw\":\"100M\",\"priority\":\"low\"},\"temporary\":true,"
		"\"vid\":5}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("set-linkprop", "--temporary", "--prop",
			     "maxbw=50M", "vnic0"), 0);
	CHECK_REQUEST("vnic.set", "{\"name\":\"vnic0\",\"props\":{"
		      "\"maxbw\":\"50M\"},\"temporary\":true}");
	fake_next(NULL, 0, NULL);
	CU_ASSERT_EQUAL(RUND("rename-link", "stub0", "stub1"), 0);
	CHECK_REQUEST("link.rename", "{\"name\":\"stub0\",\"newname\":\"stub1\"}");
	/* -p is --parsable in the show subcommands */
	CU_ASSERT_FATAL(asprintf(&list, "{\"vnics\":%s}", vnics_json) > 0);
	fake_next(list, 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-vnic", "--parsable", "--output=link,vid"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "vnic0:0\nxvm1_0:5\n"
			       "averyverylong_vnic10:4094\n");
	CU_ASSERT_EQUAL(RUND("show-vnic", "--persistent", "--parsable",
			     "--output", "link"), 0);
	CHECK_REQUEST("vnic.list", "{\"persistent\":true}");
	free(list);
	/* a long option where its letter does not apply, a missing value */
	CU_ASSERT_EQUAL(RUND("delete-vnic", "--link=phys0", "vnic0"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: unrecognized option "
				   "'--link=phys0'\nusage:\n    delete-vnic"));
	CU_ASSERT_EQUAL(RUND("create-vnic", "vnic0", "--link"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: option '--link' requires "
				   "a value\n"));
	CU_ASSERT_EQUAL(RUND("show-vnic", "--statistics", "--bogus", "-p"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: unrecognized option "
				   "'--bogus'\n"));
}

static void test_daemon_errors(void)
{
	fake_next(NULL, EEXIST, "object already exists");
	CU_ASSERT_EQUAL(RUND("create-vnic", "-l", "phys0", "vnic0"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: vnic creation over phys0 "
			       "failed: object already exists\n");
	fake_next(NULL, EADDRINUSE, "MAC address is already in use");
	CU_ASSERT_EQUAL(RUND("create-vnic", "-l", "phys0", "-m",
			     "2:0:0:0:0:1", "vnic1"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: vnic creation over phys0 "
			       "failed: MAC address is already in use\n");
	/* -m factory [-n slot]: sent, vswitchd's refusal worded */
	fake_next(NULL, ENOTSUP, "factory MAC address slots not supported");
	CU_ASSERT_EQUAL(RUND("create-vnic", "-l", "phys0", "-m", "factory",
			     "-n", "2", "vnic1"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: vnic creation over phys0 "
			       "failed: factory MAC address slots not "
			       "supported\n");
	CHECK_REQUEST("vnic.create",
		"{\"kind\":\"host\",\"link\":\"phys0\",\"mac\":\"factory\","
		"\"mac_slot\":2,\"name\":\"vnic1\"}");
	fake_next(NULL, EINVAL, "'stub0' is not a vnic");
	CU_ASSERT_EQUAL(RUND("delete-vnic", "stub0"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: 'stub0' is not a vnic\n");
	fake_next(NULL, ENOENT, "object not found");
	CU_ASSERT_EQUAL(RUND("delete-vnic", "vnic9"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: vnic deletion failed: object "
			       "not found\n");
	/* made but not saved: a warning, as dladm's, and status 1 */
	fake_next(NULL, EACCES, "change in effect but not saved (lost when "
		  "vswitchd restarts): cannot write /x: Permission denied");
	CU_ASSERT_EQUAL(RUND("set-linkprop", "-p", "maxbw=10M", "vnic0"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: warning: change in effect but "
			       "not saved (lost when vswitchd restarts): "
			       "cannot write /x: Permission denied\n");
	fake_next(NULL, EACCES, "change in effect but not saved (lost when "
		  "vswitchd restarts): cannot write /x: Permission denied");
	CU_ASSERT_EQUAL(RUND("create-vnic", "-l", "phys0", "vnic0"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: warning: change in "
				   "effect but not saved"));
	fake_next(NULL, EBUSY, "link busy");
	CU_ASSERT_EQUAL(RUND("create-etherstub", "stub0"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: etherstub creation failed: "
			       "link busy\n");
	fake_next(NULL, ENOENT, "object not found");
	CU_ASSERT_EQUAL(RUND("set-linkprop", "-p", "maxbw=10M", "vnic9"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: cannot set link property "
			       "'maxbw' on 'vnic9': object not found\n");
	fake_next(NULL, ENOENT, "object not found");
	CU_ASSERT_EQUAL(RUND("show-vnic", "vnic9"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: invalid vnic name 'vnic9': "
			       "object not found\n");
	CU_ASSERT_STRING_EQUAL(OUT(), "");
}

static void test_daemon_show(void)
{
	char *list;

	CU_ASSERT_FATAL(asprintf(&list, "{\"vnics\":%s}", vnics_json) > 0);
	fake_next(list, 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-vnic", "-p", "-o", "link,vid"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "vnic0:0\nxvm1_0:5\n"
			       "averyverylong_vnic10:4094\n");
	CHECK_REQUEST("vnic.list", "{}");
	/* -P: vswitchd is asked for its persistent configuration, and
	 * what it gives is printed */
	CU_ASSERT_EQUAL(RUND("show-vnic", "-P", "-p", "-o", "link"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "vnic0\nxvm1_0\naveryverylong_vnic10\n");
	CHECK_REQUEST("vnic.list", "{\"persistent\":true}");
	CU_ASSERT_EQUAL(RUND("show-vnic", "-P", "-s"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: the option -P cannot be used "
			       "with -s\n");
	/* a name: asked for, and only that row printed */
	CU_ASSERT_EQUAL(RUND("show-vnic", "-s", "-p", "-o", "link,opackets",
			     "-l", "phys0", "xvm1_0"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "xvm1_0:1\n");
	CHECK_REQUEST("vnic.list", "{\"link\":\"phys0\",\"name\":\"xvm1_0\","
		      "\"stats\":true}");
	/* the daemon's list has no such VNIC */
	CU_ASSERT_EQUAL(RUND("show-vnic", "vnic7"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: invalid vnic name 'vnic7': "
			       "object not found\n");
	free(list);

	CU_ASSERT_FATAL(asprintf(&list, "{\"props\":%s}", props_json) > 0);
	fake_next(list, 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-linkprop", "-c", "-o", "property,value",
			     "-p", "maxbw,protection", "vnic0"), 0);
	CHECK_REQUEST("linkprop.get", "{\"name\":\"vnic0\",\"props\":["
		      "\"maxbw\",\"protection\"]}");
	/* -c prints the rows vswitchd gave (the stand-in ignores "props") */
	CU_ASSERT_TRUE(starts_with(OUT(), "maxbw:100\npriority:high\n"));
	CU_ASSERT_EQUAL(RUND("show-linkprop", "-P", "vnic0"), 0);
	CHECK_REQUEST("linkprop.get", "{\"name\":\"vnic0\","
		      "\"persistent\":true}");
	free(list);

	/* show-link NAME -s: name and stats asked for, that row printed */
	CU_ASSERT_FATAL(asprintf(&list, "{\"links\":%s}", links_json) > 0);
	fake_next(list, 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-link", "-s", "-p", "-o", "link,ipackets",
			     "stub0"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "stub0:0\n");
	CHECK_REQUEST("link.list", "{\"name\":\"stub0\",\"stats\":true}");
	free(list);

	/* show-phys NAME: the list is asked for, the name picked here */
	CU_ASSERT_FATAL(asprintf(&list, "{\"phys\":%s}", phys_json) > 0);
	fake_next(list, 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-phys", "-p", "-o", "link,device", "veth1"),
			0);
	CU_ASSERT_STRING_EQUAL(OUT(), "veth1:veth\n");
	CHECK_REQUEST("phys.list", "{}");
	CU_ASSERT_EQUAL(RUND("show-phys", "eth9"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: invalid link name 'eth9': "
			       "object not found\n");
	/* -m and -H: the same request, the rows of one link expanded */
	CU_ASSERT_EQUAL(RUND("show-phys", "-m", "-p", "-o",
			     "link,slot,address,inuse,client", "eth0"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "eth0:primary:52\\:54\\:0\\:a\\:b\\:c:"
			       "yes:eth0\n");
	CHECK_REQUEST("phys.list", "{}");
	CU_ASSERT_EQUAL(RUND("show-phys", "-H", "-p", "-o",
			     "ringtype,rings,clients", "eth0"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "RX:0:vnic0,xvm1_0\nTX:0:vnic0,xvm1_0\n");
	/* not attached: no ring groups, nothing printed */
	CU_ASSERT_EQUAL(RUND("show-phys", "-H", "veth1"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "");
	free(list);

	/* show-etherstub NAME: the list is asked for, the name picked here */
	CU_ASSERT_FATAL(asprintf(&list, "{\"etherstubs\":%s}", stubs_json) > 0);
	fake_next(list, 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-etherstub", "-p", "-o", "link", "stub1"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "stub1\n");
	CHECK_REQUEST("etherstub.list", "{}");
	CU_ASSERT_EQUAL(RUND("show-etherstub", "stub7"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: invalid etherstub name "
			       "'stub7': object not found\n");
	free(list);

	/* no subcommand: show-link, as dladm */
	CU_ASSERT_FATAL(asprintf(&list, "{\"links\":%s}", links_json) > 0);
	fake_next(list, 0, NULL);
	CU_ASSERT_EQUAL(run_in(rundir, (const char *[]){ NULL }), 0);
	CHECK_REQUEST("link.list", "{}");
	CU_ASSERT_TRUE(starts_with(OUT(), "LINK        CLASS     MTU    "));
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	free(list);

	fake_next("{\"links\":[]}", 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-link"), 0);
	CU_ASSERT_STRING_EQUAL(OUT(), "");	/* no rows, no header */
	fake_next("{\"nolinks\":[]}", 0, NULL);
	CU_ASSERT_EQUAL(RUND("show-link"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: vswitchd: malformed reply\n");
}

/* The saved configuration a -R command left, parsed (new ref). */
static json_t *root_conf(const char *root)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/state/vswitchd/config.json", root);
	return json_load_file(path, 0, NULL);
}

static const json_t *conf_vnic(const json_t *conf, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(json_object_get(conf, "vnics"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), name))
			return e;
	return NULL;
}

/* -R: the file under the root is changed, vswitchd never asked (RUN:
 * there is none), and vswitchd's rules give its messages. */
static void test_altroot(void)
{
	char *saved = env_save("XVM_STATEDIR");
	char root[64] = "/tmp/vnicadm-root.XXXXXX", cmd[128];
	const json_t *e;
	json_t *conf, *want;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(root));
	setenv("XVM_STATEDIR", "/state", 1);
	CU_ASSERT_EQUAL(RUN("create-etherstub", "-R", root, "stub0"), 0);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CU_ASSERT_EQUAL(RUN("create-vnic", "-R", root, "-l", "stub0", "-m",
			    "2:0:0:0:0:1", "-v", "5", "-p",
			    "maxbw=100M,cpus=0-1", "vnic0"), 0);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CU_ASSERT_EQUAL(RUN("create-vnic", "--root-dir", root, "-k", "guest",
			    "-l", "phys0", "xvm1_0"), 0);
	CHECK_ERR("vnic creation over stub0 failed: MAC address is already "
		  "in use", "create-vnic", "-R", root, "-l", "stub0", "-m",
		  "2:0:0:0:0:1", "vnic1");
	CHECK_ERR("vnic creation over phys0 failed: object already exists",
		  "create-vnic", "-R", root, "-l", "phys0", "stub0");
	CHECK_ERR("vnic creation over stub0 failed: factory MAC address "
		  "slots not supported", "create-vnic", "-R", root, "-l",
		  "stub0", "-m", "factory", "vnic2");
	CHECK_ERR("etherstub deletion failed: link busy",
		  "delete-etherstub", "-R", root, "stub0");
	CHECK_ERR("'stub0' is not a vnic", "delete-vnic", "-R", root, "stub0");
	CHECK_ERR("vnic deletion failed: object not found",
		  "delete-vnic", "-R", root, "vnic9");
	CHECK_ERR("cannot set link properties on 'vnic9': object not found",
		  "set-linkprop", "-R", root, "-p", "priority=low", "vnic9");
	CU_ASSERT_EQUAL(RUN("set-linkprop", "-R", root, "-p", "priority=low",
			    "vnic0"), 0);
	CU_ASSERT_EQUAL(RUN("reset-linkprop", "-R", root, "-p", "cpus",
			    "vnic0"), 0);
	/* a phys link's pmd: in "phys", gone when reset; nothing else */
	CU_ASSERT_EQUAL(RUN("set-linkprop", "-R", root, "-p", "pmd=3",
			    "phys0"), 0);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	conf = root_conf(root);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
	want = json_pack("[{s:s, s:{s:s}}]", "name", "phys0", "props", "pmd",
			 "3");
	CU_ASSERT_TRUE(json_equal(json_object_get(conf, "phys"), want));
	json_decref(want);
	json_decref(conf);
	CHECK_ERR("cannot set link properties on 'phys0': object not found",
		  "set-linkprop", "-R", root, "-p", "maxbw=10M", "phys0");
	CHECK_ERR("cannot set link property 'pmd' on 'phys0': invalid value "
		  "'16' for link property 'pmd'",
		  "set-linkprop", "-R", root, "-p", "pmd=16", "phys0");
	CU_ASSERT_EQUAL(RUN("reset-linkprop", "-R", root, "phys0"), 0);
	conf = root_conf(root);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(conf, "phys")), 0);
	json_decref(conf);
	CHECK_ERR("cannot reset link properties on 'phys0': object not found",
		  "reset-linkprop", "-R", root, "phys0");
	/* rename-link: the etherstub with its VNICs, then back */
	CU_ASSERT_EQUAL(RUN("rename-link", "-R", root, "stub0", "stub7"), 0);
	conf = root_conf(root);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
		conf_vnic(conf, "vnic0"), "link")), "stub7");
	json_decref(conf);
	CU_ASSERT_EQUAL(RUN("rename-link", "-R", root, "stub7", "stub0"), 0);
	CHECK_ERR("rename operation failed: object already exists",
		  "rename-link", "-R", root, "vnic0", "xvm1_0");
	CHECK_ERR("rename operation failed: 'phys0' is a phys link: its name "
		  "is its host interface's",
		  "rename-link", "-R", root, "phys0", "phys1");
	CHECK_ERR("rename operation failed: object not found",
		  "rename-link", "-R", root, "nope0", "nope1");
	CU_ASSERT_EQUAL(RUN("create-vnic", "-t", "-R", root, "-l", "stub0",
			    "vnic3"), 1);
	CU_ASSERT_TRUE(starts_with(ERR(), "vnicadm: the options -t and -R "
				   "cannot be used together\n"));
	CHECK_ERR("invalid directory for -R: '/nonexistent/x'",
		  "create-etherstub", "-R", "/nonexistent/x", "stub1");
	/* the root in use, with a vswitchd answering there: refused */
	CU_ASSERT_EQUAL(RUND("create-etherstub", "-R", "/", "stub1"), 1);
	CU_ASSERT_STRING_EQUAL(ERR(), "vnicadm: -R /: vswitchd is running on "
			       "this root; make the change without -R (it is "
			       "saved)\n");

	conf = root_conf(root);
	CU_ASSERT_PTR_NOT_NULL_FATAL(conf);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(conf, "etherstubs")), 1);
	e = conf_vnic(conf, "vnic0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "link")),
			       "stub0");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "mac")),
			       "2:0:0:0:0:1");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
		e, "macaddrtype")), "fixed");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(e, "vid")), 5);
	/* maxbw as vswitchd saves it (kb/s), priority set, cpus reset */
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
		json_object_get(e, "props"), "maxbw")), "100000K");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(
		json_object_get(e, "props"), "priority")), "low");
	CU_ASSERT_PTR_NULL(json_object_get(json_object_get(e, "props"),
					   "cpus"));
	e = conf_vnic(conf, "xvm1_0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_TRUE(starts_with(json_string_value(json_object_get(e, "mac")),
				   "0:16:3e:"));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "kind")),
			       "guest");
	json_decref(conf);

	CU_ASSERT_EQUAL(RUN("delete-vnic", "-R", root, "vnic0"), 0);
	CU_ASSERT_EQUAL(RUN("delete-vnic", "-R", root, "xvm1_0"), 0);
	CU_ASSERT_EQUAL(RUN("delete-etherstub", "-R", root, "stub0"), 0);
	conf = root_conf(root);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(conf, "vnics")), 0);
	CU_ASSERT_EQUAL(json_array_size(json_object_get(conf, "etherstubs")), 0);
	json_decref(conf);

	env_restore("XVM_STATEDIR", saved);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static CU_TestInfo tests[] = {
	{ "golden: show-vnic", test_golden_vnic },
	{ "golden: show-link, show-phys, show-etherstub", test_golden_link },
	{ "golden: show-linkprop", test_golden_linkprop },
	{ "missing and null fields", test_missing_fields },
	{ "-i counter deltas", test_stats_delta },
	{ "usage and option errors", test_usage },
	{ "validation before vswitchd", test_validation },
	{ "vswitchd not running", test_no_daemon },
	{ "requests sent to vswitchd", test_daemon_requests },
	{ "long options", test_long_options },
	{ "vswitchd errors worded like dladm", test_daemon_errors },
	{ "show-* through vswitchd", test_daemon_show },
	{ "-R root: the saved configuration only", test_altroot },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(vnicadm, suite_init, suite_cleanup, tests);
