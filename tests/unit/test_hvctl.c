/*
 * hvctl without hv: whole command lines through hvctl_main() for the usage
 * and validation messages and exit statuses, the socket a domain name
 * resolves to, and a stand-in hv (lib/rpc server in a thread, answering as
 * hv/control.c does) for the status output, -j and how hv's errors are
 * worded.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "unit.h"
#include "capture.h"
#include "fake_rpc.h"
#include "hvctl/hvctl.h"
#include "xvm/rpc.h"

static struct capture run_out, run_err;
static char rundir[64];		/* the stand-in's run directory */

/* Run hvctl with args (NULL-terminated); output in run_out/run_err. */
static int run(const char **args)
{
	char *argv[16] = { "hvctl" };
	int argc = 1;

	for (; *args && argc < 15; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	cap_open(&run_out);
	cap_open(&run_err);
	return hvctl_main(argc, argv, run_out.f, run_err.f);
}

#define RUN(...)	run((const char *[]){ __VA_ARGS__, NULL })
#define OUT()		cap_text(&run_out)
#define ERR()		cap_text(&run_err)
#define SYNOPSIS	"usage: hvctl [-j] [-s SOCKET | NAME] " \
			"status|pause|resume|shutdown|reset|destroy|save FILE|" \
			"migrate URI|migrate-info|migrate-downtime MS|" \
			"migrate-speed MIB|migrate-cancel|" \
			"nic-add vnic=SOCKET,mac=MAC|nic-remove MAC|nic-list\n"

/* ---- a stand-in hv: domain "web1" in rundir/hv/web1.sock ---- */

static struct fake_rpc *fake_hv;
static atomic_bool fake_paused;
static char fake_method[16];	/* the last method called */

static int fake_status(void *ctx UNUSED, struct rpc_conn *c UNUSED,
		       json_t *p UNUSED, json_t **r, struct rpc_error *e UNUSED)
{
	snprintf(fake_method, sizeof(fake_method), "status");
	*r = json_pack("{s:s, s:s, s:s, s:i, s:I, s:n, s:i}", "name", "web1",
		       "uuid", "5d9b2a1e-8a6f-4c2e-9a37-0d1f2b3c4d5e",
		       "state",
		       atomic_load(&fake_paused) ? "paused" : "running",
		       "vcpus", 2, "memory_mib", (json_int_t)64,
		       "console", "pid", 4242);
	return 0;
}

static int fake_pause(void *ctx UNUSED, struct rpc_conn *c UNUSED,
		      json_t *p UNUSED, json_t **r UNUSED,
		      struct rpc_error *e UNUSED)
{
	snprintf(fake_method, sizeof(fake_method), "pause");
	atomic_store(&fake_paused, true);
	return 0;
}

/* As hv: shutting a paused domain down is refused. */
static int fake_shutdown(void *ctx UNUSED, struct rpc_conn *c UNUSED,
			 json_t *p UNUSED, json_t **r UNUSED,
			 struct rpc_error *e)
{
	snprintf(fake_method, sizeof(fake_method), "shutdown");
	if (atomic_load(&fake_paused))
		return rpc_errorf(e, EBUSY, "domain is paused; resume it "
				  "first");
	return 0;
}

/* As hv: save {path} -> {bytes}; the path hvctl sent is kept. */
static char fake_save_path[512];

static int fake_save(void *ctx UNUSED, struct rpc_conn *c UNUSED,
		     json_t *p, json_t **r, struct rpc_error *e)
{
	const char *path = json_string_value(json_object_get(p, "path"));

	snprintf(fake_method, sizeof(fake_method), "save");
	if (!path)
		return rpc_errorf(e, EINVAL, "save needs params");
	snprintf(fake_save_path, sizeof(fake_save_path), "%s", path);
	*r = json_pack("{s:i}", "bytes", 12345);
	return 0;
}

/* As hv: migrate.set {downtime_ms|bandwidth_mib}; the params kept. */
static char fake_set_params[128];

static int fake_mig_set(void *ctx UNUSED, struct rpc_conn *c UNUSED,
			json_t *p, json_t **r UNUSED, struct rpc_error *e UNUSED)
{
	char *js = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);

	snprintf(fake_method, sizeof(fake_method), "migrate.set");
	snprintf(fake_set_params, sizeof(fake_set_params), "%s",
		 js ? js : "");
	free(js);
	return 0;
}

/* As hv: nic.add/nic.remove answer {slot, mac}; the params kept. */
static int fake_nic(void *ctx UNUSED, struct rpc_conn *c UNUSED, json_t *p,
		    json_t **r, struct rpc_error *e UNUSED)
{
	char *js = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);

	snprintf(fake_method, sizeof(fake_method), "nic");
	snprintf(fake_set_params, sizeof(fake_set_params), "%s",
		 js ? js : "");
	free(js);
	*r = json_pack("{s:i, s:s}", "slot", 3, "mac", "02:00:00:00:00:09");
	return 0;
}

static const struct rpc_method fake_methods[] = {
	{ "migrate.set", fake_mig_set },
	{ "nic.add", fake_nic },
	{ "nic.remove", fake_nic },
	{ "save", fake_save },
	{ "status", fake_status },
	{ "pause", fake_pause },
	{ "shutdown", fake_shutdown },
};

static char *saved_rundir;	/* the runner's XVM_RUNDIR, restored after */

static int suite_init(void)
{
	char path[128];

	saved_rundir = env_save("XVM_RUNDIR");
	strcpy(rundir, "/tmp/hvctl-test.XXXXXX");
	if (!mkdtemp(rundir))
		return -1;
	snprintf(path, sizeof(path), "%s/hv", rundir);
	if (mkdir(path, 0700) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/hv/web1.sock", rundir);
	fake_hv = fake_rpc_start(path, fake_methods, ARRAY_SIZE(fake_methods),
				 NULL);
	if (!fake_hv)
		return -1;
	setenv("XVM_RUNDIR", rundir, 1);
	return 0;
}

static int suite_cleanup(void)
{
	char path[128];

	fake_rpc_stop(fake_hv);
	fake_hv = NULL;
	snprintf(path, sizeof(path), "%s/hv", rundir);
	rmdir(path);
	rmdir(rundir);
	cap_close(&run_out);
	cap_close(&run_err);
	env_restore("XVM_RUNDIR", saved_rundir);
	saved_rundir = NULL;
	return 0;
}

/* ---- tests ---- */

static void test_usage_errors(void)
{
	CU_ASSERT_EQUAL(RUN("web1", "frob"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: unknown command 'frob'\n"
			       SYNOPSIS);
	CU_ASSERT_STRING_EQUAL(OUT(), "");
	CU_ASSERT_EQUAL(RUN("status"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: missing domain name (or -s "
			       "SOCKET) before 'status'\n" SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("web1"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: missing command after 'web1'\n"
			       SYNOPSIS);
	CU_ASSERT_EQUAL(run((const char *[]){ NULL }), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: missing domain name (or -s "
			       "SOCKET) and command\n" SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("-s", "/tmp/x.sock"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: missing command\n" SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("-s", "/tmp/x.sock", "web1", "status"),
			HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: too many operands\n" SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("-x", "web1", "status"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: unrecognized option '-x'\n"
			       SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("-s"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: option '-s' requires a value\n"
			       SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("../web1", "status"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: invalid domain name '../web1' "
			       "(letters, digits, '.', '_', '-'; use -s for a "
			       "socket path)\n" SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("web1", "save"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: save needs FILE\n" SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("web1", "status", "x"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: too many operands\n" SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("web1", "save", "a", "b"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: too many operands\n" SYNOPSIS);
	CU_ASSERT_STRING_EQUAL(fake_method, "");	/* nothing was called */
}

/* save FILE: a relative FILE goes to hv as an absolute path (hv's working
 * directory is not ours); the reply's byte count is printed. */
static void test_save(void)
{
	char cwd[400], want[512];

	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/dom.save", cwd);
	CU_ASSERT_EQUAL(RUN("web1", "save", "dom.save"), HVCTL_EXIT_OK);
	CU_ASSERT_STRING_EQUAL(fake_method, "save");
	CU_ASSERT_STRING_EQUAL(fake_save_path, want);
	CU_ASSERT_STRING_EQUAL(OUT(), "saved 12345 bytes to dom.save\n");
	CU_ASSERT_EQUAL(RUN("web1", "save", "/var/tmp/x"), HVCTL_EXIT_OK);
	CU_ASSERT_STRING_EQUAL(fake_save_path, "/var/tmp/x");
}

static void test_help(void)
{
	CU_ASSERT_EQUAL(RUN("-h"), HVCTL_EXIT_OK);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CU_ASSERT_PTR_NOT_NULL(strstr(OUT(), SYNOPSIS));
	CU_ASSERT_PTR_NOT_NULL(strstr(OUT(), "\n  destroy "));
}

static void test_socket_path(void)
{
	char buf[64];

	CU_ASSERT_EQUAL(hvctl_socket_path(buf, sizeof(buf), "web-1.a_b"), 0);
	CU_ASSERT_EQUAL(strncmp(buf, rundir, strlen(rundir)), 0);
	CU_ASSERT_STRING_EQUAL(buf + strlen(rundir), "/hv/web-1.a_b.sock");
	CU_ASSERT_EQUAL(hvctl_socket_path(buf, sizeof(buf), ""), -EINVAL);
	CU_ASSERT_EQUAL(hvctl_socket_path(buf, sizeof(buf), ".."), -EINVAL);
	CU_ASSERT_EQUAL(hvctl_socket_path(buf, sizeof(buf), "a/b"), -EINVAL);
	CU_ASSERT_EQUAL(hvctl_socket_path(buf, 16, "web1"), -ENAMETOOLONG);
	unsetenv("XVM_RUNDIR");
	CU_ASSERT_EQUAL(hvctl_socket_path(buf, sizeof(buf), "web1"), 0);
	CU_ASSERT_STRING_EQUAL(buf, XVM_RUNDIR_DEFAULT "/hv/web1.sock");
	setenv("XVM_RUNDIR", rundir, 1);
}

static void test_not_running(void)
{
	char want[256];

	CU_ASSERT_EQUAL(RUN("nosuch", "status"), HVCTL_EXIT_UNREACHABLE);
	snprintf(want, sizeof(want), "hvctl: cannot connect to "
		 "%s/hv/nosuch.sock: No such file or directory (is the "
		 "domain running?)\n", rundir);
	CU_ASSERT_STRING_EQUAL(ERR(), want);
	CU_ASSERT_STRING_EQUAL(OUT(), "");
	snprintf(want, sizeof(want), "%s/none.sock", rundir);
	CU_ASSERT_EQUAL(RUN("-s", want, "pause"), HVCTL_EXIT_UNREACHABLE);
	CU_ASSERT_PTR_NOT_NULL(strstr(ERR(), want));
}

static void test_status(void)
{
	atomic_store(&fake_paused, false);
	CU_ASSERT_EQUAL(RUN("web1", "status"), HVCTL_EXIT_OK);
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CU_ASSERT_STRING_EQUAL(OUT(),
		"Name:     web1\n"
		"UUID:     5d9b2a1e-8a6f-4c2e-9a37-0d1f2b3c4d5e\n"
		"State:    running\n"
		"vCPUs:    2\n"
		"Memory:   64 MiB\n"
		"Console:  -\n"
		"PID:      4242\n");
	CU_ASSERT_EQUAL(RUN("-j", "web1", "status"), HVCTL_EXIT_OK);
	CU_ASSERT_STRING_EQUAL(OUT(),
		"{\"name\":\"web1\",\"uuid\":\"5d9b2a1e-8a6f-4c2e-9a37-"
		"0d1f2b3c4d5e\",\"state\":\"running\",\"vcpus\":2,"
		"\"memory_mib\":64,\"console\":null,\"pid\":4242}\n");
}

static void test_pause_and_refusal(void)
{
	char sock[128];

	atomic_store(&fake_paused, false);
	snprintf(sock, sizeof(sock), "%s/hv/web1.sock", rundir);
	CU_ASSERT_EQUAL(RUN("-s", sock, "pause"), HVCTL_EXIT_OK);
	CU_ASSERT_STRING_EQUAL(fake_method, "pause");
	CU_ASSERT_STRING_EQUAL(OUT(), "");
	CU_ASSERT_STRING_EQUAL(ERR(), "");
	CU_ASSERT_EQUAL(RUN("-j", "web1", "status"), HVCTL_EXIT_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(OUT(), "\"state\":\"paused\""));
	CU_ASSERT_EQUAL(RUN("web1", "shutdown"), HVCTL_EXIT_REFUSED);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: web1: shutdown: domain is "
			       "paused; resume it first\n");
	CU_ASSERT_STRING_EQUAL(OUT(), "");
	/* a method the server does not serve: hv's own error text */
	CU_ASSERT_EQUAL(RUN("web1", "resume"), HVCTL_EXIT_REFUSED);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: web1: resume: unknown method "
			       "'resume'\n");
	CU_ASSERT_EQUAL(RUN("-j", "web1", "pause"), HVCTL_EXIT_OK);
	CU_ASSERT_STRING_EQUAL(OUT(), "{}\n");
}

/* migrate-downtime MS, migrate-speed MIB: migrate.set with the number;
 * a bad number is a usage error and calls nothing. */
static void test_migrate_set(void)
{
	CU_ASSERT_EQUAL(RUN("web1", "migrate-downtime", "500"), HVCTL_EXIT_OK);
	CU_ASSERT_STRING_EQUAL(fake_method, "migrate.set");
	CU_ASSERT_STRING_EQUAL(fake_set_params, "{\"downtime_ms\":500}");
	CU_ASSERT_EQUAL(RUN("web1", "migrate-speed", "0"), HVCTL_EXIT_OK);
	CU_ASSERT_STRING_EQUAL(fake_set_params, "{\"bandwidth_mib\":0}");
	fake_method[0] = '\0';
	CU_ASSERT_EQUAL(RUN("web1", "migrate-downtime", "0"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: migrate-downtime: invalid MS "
			       "'0'\n" SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("web1", "migrate-speed", "9x"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: migrate-speed: invalid MIB "
			       "'9x'\n" SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("web1", "migrate-speed"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(fake_method, "");
}

/* nic-add vnic=SOCKET,mac=MAC (a relative socket made absolute) and
 * nic-remove MAC; a malformed operand is a usage error, nothing called. */
static void test_nic(void)
{
	char cwd[400], want[600];

	CU_ASSERT_EQUAL(RUN("web1", "nic-add", "vnic=/r/v.sock,mac=2:0:0:0:0:9"),
			HVCTL_EXIT_OK);
	CU_ASSERT_STRING_EQUAL(fake_set_params,
			       "{\"mac\":\"2:0:0:0:0:9\",\"vnic\":\"/r/v.sock\"}");
	CU_ASSERT_STRING_EQUAL(OUT(), "NIC 02:00:00:00:00:09 in slot 00:03.0\n");
	CU_ASSERT_EQUAL(RUN("web1", "nic-add", "vnic=v.sock,mac=2:0:0:0:0:9"),
			HVCTL_EXIT_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "{\"mac\":\"2:0:0:0:0:9\",\"vnic\":"
		 "\"%s/v.sock\"}", cwd);
	CU_ASSERT_STRING_EQUAL(fake_set_params, want);
	CU_ASSERT_EQUAL(RUN("web1", "nic-remove", "2:0:0:0:0:9"), HVCTL_EXIT_OK);
	CU_ASSERT_STRING_EQUAL(fake_set_params, "{\"mac\":\"2:0:0:0:0:9\"}");
	fake_method[0] = '\0';
	CU_ASSERT_EQUAL(RUN("web1", "nic-add", "v.sock"), HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(ERR(), "hvctl: nic-add: invalid "
			       "vnic=SOCKET,mac=MAC 'v.sock'\n" SYNOPSIS);
	CU_ASSERT_EQUAL(RUN("web1", "nic-add", "vnic=,mac=2:0:0:0:0:9"),
			HVCTL_EXIT_USAGE);
	CU_ASSERT_EQUAL(RUN("web1", "nic-add", "vnic=a,mac=1,x=2"),
			HVCTL_EXIT_USAGE);
	CU_ASSERT_STRING_EQUAL(fake_method, "");
}

static CU_TestInfo tests[] = {
	{ "usage errors: message, synopsis, exit 2", test_usage_errors },
	{ "-h prints the commands", test_help },
	{ "NAME resolves to $XVM_RUNDIR/hv/NAME.sock", test_socket_path },
	{ "no hv on the socket: exit 3", test_not_running },
	{ "status: fields and -j", test_status },
	{ "save FILE: absolute path, bytes printed", test_save },
	{ "migrate-downtime, migrate-speed", test_migrate_set },
	{ "nic-add, nic-remove: operands, output", test_nic },
	{ "pause; hv refusing: exit 1 with its message",
	  test_pause_and_refusal },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(hvctl, suite_init, suite_cleanup, tests);
