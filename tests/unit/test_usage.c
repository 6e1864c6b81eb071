/*
 * Usage accounting without vswitchd: the usage log's records
 * (lib/usagelog.c: format, parse, every kind of bad line, line numbers),
 * dladm's time syntax, selection and sums, Solaris's gnuplot output, and
 * whole `vnicadm show-usage` / `flowadm show-usage` command lines against
 * a log file, compared with golden files tests/unit/golden/usage-*.ok
 * (XVM_GOLDEN_UPDATE=1 rewrites them). Times print in UTC here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "capture.h"
#include "flowadm/flowadm.h"
#include "vnicadm/vnicadm.h"
#include "xvm/usagelog.h"

/* 12/04/2025 04:00:00 UTC and on: two links, one flow, a bad line. */
static const char log_text[] =
	"{\"type\":\"link\",\"name\":\"vnic1\",\"start\":1764820800,\"end\":1764820801,\"ipackets\":3,\"rbytes\":294,\"opackets\":3,\"obytes\":294}\n"
	"{\"type\":\"link\",\"name\":\"vnic2\",\"start\":1764820800,\"end\":1764820801,\"ipackets\":3,\"rbytes\":294,\"opackets\":3,\"obytes\":294}\n"
	"{\"type\":\"flow\",\"name\":\"http-1\",\"start\":1764820800,\"end\":1764820801,\"ipackets\":10,\"rbytes\":15140,\"opackets\":10,\"obytes\":660}\n"
	"\n"
	"{\"type\":\"link\",\"name\":\"vnic1\",\"start\":1764820801,\"end\":1764820802,\"ipackets\":1000,\"rbytes\":1514000,\"opackets\":10,\"obytes\":640}\n"
	"{\"type\":\"link\",\"name\":\"vnic2\",\"start\":1764820801,\"end\":1764820802,\"ipackets\":0,\"rbytes\":0,\"opackets\":0,\"obytes\":0}\n"
	"{\"type\":\"link\",\"name\":\"vnic1\",\"start\":1764820802,\"end\":1764820862,\"ipackets\":0,\"rbytes\":0,\"opackets\":0,\"obytes\":0}\n"
	"{\"type\":\"link\",\"name\":\"vnic1\",\"sta";

static char log_path[64] = "/tmp/usage-test.XXXXXX";
static char *saved_tz;
static struct capture out, err;

static int suite_init(void)
{
	int fd = mkstemp(log_path);

	if (fd < 0)
		return -1;
	if (write(fd, log_text, strlen(log_text)) != (ssize_t)strlen(log_text)) {
		close(fd);
		return -1;
	}
	close(fd);
	saved_tz = env_save("TZ");
	setenv("TZ", "UTC", 1);
	tzset();
	return 0;
}

static int suite_cleanup(void)
{
	unlink(log_path);
	cap_close(&out);
	cap_close(&err);
	env_restore("TZ", saved_tz);
	saved_tz = NULL;
	tzset();
	return 0;
}

/* ---- records ---- */

static void test_format_parse(void)
{
	struct usage_rec r = { .name = "vnic1", .start = 100, .end = 160,
			       .ipackets = 1, .rbytes = 2, .opackets = 3,
			       .obytes = 4 }, back;
	char line[USAGE_LINE_MAX], why[128];
	int n = usage_line_format(USAGE_LINK, &r, line, sizeof(line));

	CU_ASSERT_STRING_EQUAL(line, "{\"type\":\"link\",\"name\":\"vnic1\","
			       "\"start\":100,\"end\":160,\"ipackets\":1,"
			       "\"rbytes\":2,\"opackets\":3,\"obytes\":4}\n");
	CU_ASSERT_EQUAL(n, (int)strlen(line));
	line[n - 1] = '\0';
	CU_ASSERT_EQUAL(usage_line_parse(line, USAGE_LINK, &back, why,
					 sizeof(why)), 1);
	CU_ASSERT_STRING_EQUAL(back.name, "vnic1");
	CU_ASSERT_EQUAL(back.duration, 60);
	CU_ASSERT_EQUAL(back.obytes, 4);
	/* a good record of the other kind is not an error */
	CU_ASSERT_EQUAL(usage_line_parse(line, USAGE_FLOW, &back, why,
					 sizeof(why)), 0);
	/* names a record cannot hold */
	strcpy(r.name, "a\"b");
	CU_ASSERT_EQUAL(usage_line_format(USAGE_LINK, &r, line, sizeof(line)),
			-EINVAL);
	strcpy(r.name, "vnic1");
	CU_ASSERT_EQUAL(usage_line_format(USAGE_LINK, &r, line, 10), -ENOSPC);
}

static void check_bad(const char *line, const char *why_want)
{
	struct usage_rec r;
	char why[160] = "";

	CU_ASSERT_EQUAL(usage_line_parse(line, USAGE_LINK, &r, why,
					 sizeof(why)), -EINVAL);
	if (!strstr(why, why_want)) {
		fprintf(stderr, "\n'%s': '%s', wanted '%s'\n", line, why,
			why_want);
		CU_FAIL("wrong reason");
	}
}

#define REC(rest) "{\"type\":\"link\",\"name\":\"v1\"," rest "}"
#define CNT "\"ipackets\":1,\"rbytes\":2,\"opackets\":3,\"obytes\":4"

static void test_parse_errors(void)
{
	check_bad("garbage", "not JSON");
	check_bad("[1,2]", "no \"type\"");
	check_bad("{\"type\":\"disk\"}", "unknown type 'disk'");
	check_bad(REC("\"start\":1,\"end\":2"), "no \"ipackets\"");
	check_bad(REC("\"end\":2," CNT), "no \"start\"");
	check_bad(REC("\"start\":3,\"end\":2," CNT), "\"end\" before \"start\"");
	check_bad(REC("\"start\":1,\"end\":2,\"ipackets\":-1,\"rbytes\":2,"
		      "\"opackets\":3,\"obytes\":4"), "\"ipackets\" is not a count");
	check_bad(REC("\"start\":1,\"end\":2,\"ipackets\":1.5,\"rbytes\":2,"
		      "\"opackets\":3,\"obytes\":4"), "\"ipackets\" is not a count");
	check_bad(REC("\"start\":\"1\",\"end\":2," CNT), "\"start\" is not a count");
	check_bad("{\"type\":\"link\",\"name\":\"no spaces\",\"start\":1}",
		  "bad \"name\"");
	check_bad("{\"type\":\"link\",\"start\":1}", "no \"name\"");
	check_bad("{\"type\":\"link\",\"type\":\"flow\"}", "not JSON");
}

/* ---- reading ---- */

static char warned[512];

static void collect_warn(void *arg, unsigned lineno, const char *why)
{
	size_t n = strlen(warned);

	(void)arg;
	snprintf(warned + n, sizeof(warned) - n, "%u: %s\n", lineno, why);
}

static void test_read(void)
{
	struct usage_log log = { 0 };
	unsigned ngood, nbad;
	FILE *f = fopen(log_path, "r");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	warned[0] = '\0';
	CU_ASSERT_EQUAL(usage_log_read(f, USAGE_LINK, &log, collect_warn,
				       NULL, &ngood, &nbad), 0);
	fclose(f);
	CU_ASSERT_EQUAL(log.n, 5);
	CU_ASSERT_EQUAL(ngood, 6);
	CU_ASSERT_EQUAL(nbad, 1);
	CU_ASSERT_STRING_EQUAL(warned, "8: truncated record (not JSON "
			       "(premature end of input near '\"sta'))\n");
	usage_log_free(&log);

	/* a NUL byte and an overlong line */
	static const char bin[] = "{\"type\0\n";
	char *longl = malloc(USAGE_LINE_MAX + 3);

	CU_ASSERT_PTR_NOT_NULL_FATAL(longl);
	memset(longl, ' ', USAGE_LINE_MAX + 1);
	strcpy(longl + USAGE_LINE_MAX + 1, "\n");
	warned[0] = '\0';
	f = fmemopen((void *)bin, sizeof(bin) - 1, "r");
	usage_log_read(f, USAGE_LINK, &log, collect_warn, NULL, &ngood, &nbad);
	fclose(f);
	f = fmemopen(longl, strlen(longl), "r");
	usage_log_read(f, USAGE_LINK, &log, collect_warn, NULL, &ngood, &nbad);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(warned, "1: not a record (NUL byte)\n"
			       "1: not a record (too long)\n");
	CU_ASSERT_EQUAL(log.n, 0);
	free(longl);
	usage_log_free(&log);
}

/* ---- times, selection, sums ---- */

static void test_time_parse(void)
{
	time_t t;

	CU_ASSERT_EQUAL(usage_time_parse("12/04/2025,04:00:01", &t), 0);
	CU_ASSERT_EQUAL(t, 1764820801);
	CU_ASSERT_EQUAL(usage_time_parse("02/29/2024,23:59:59", &t), 0);
	CU_ASSERT_EQUAL(t, 1709251199);
	static const char *const bad[] = {
		"", "12/04/2025", "12/04/2025 04:00:01", "13/01/2025,00:00:00",
		"02/30/2025,00:00:00", "02/29/2025,00:00:00",
		"12/04/2025,24:00:00", "12/04/2025,04:60:00",
		"12/04/2025,04:00:61", "1/4/2025,4:00:01", "12/04/2025,04:00:01x",
		"12/04/-025,04:00:01", "00/04/2025,04:00:01",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (usage_time_parse(bad[i], &t) != -EINVAL) {
			fprintf(stderr, "\naccepted '%s'\n", bad[i]);
			CU_FAIL("bad time accepted");
		}
}

static struct usage_log read_log(enum usage_kind k)
{
	struct usage_log log = { 0 };
	unsigned ngood, nbad;
	FILE *f = fopen(log_path, "r");

	if (f) {
		usage_log_read(f, k, &log, NULL, NULL, &ngood, &nbad);
		fclose(f);
	}
	return log;
}

static void test_select_summary(void)
{
	struct usage_log log = read_log(USAGE_LINK), sum = { 0 };

	CU_ASSERT_EQUAL_FATAL(usage_summary(&log, &sum), 0);
	CU_ASSERT_EQUAL_FATAL(sum.n, 2);
	CU_ASSERT_STRING_EQUAL(sum.rec[0].name, "vnic1");
	CU_ASSERT_EQUAL(sum.rec[0].duration, 62);
	CU_ASSERT_EQUAL(sum.rec[0].start, 1764820800);
	CU_ASSERT_EQUAL(sum.rec[0].end, 1764820862);
	CU_ASSERT_EQUAL(sum.rec[0].rbytes, 1514294);
	CU_ASSERT_EQUAL(sum.rec[0].opackets, 13);
	/* (1514294 + 934) * 8 / 62 */
	CU_ASSERT_EQUAL(usage_bps(&sum.rec[0]), 195513);
	CU_ASSERT_EQUAL(sum.rec[1].duration, 2);
	usage_log_free(&sum);

	usage_log_select(&log, "vnic1", 1764820801, 1764820802);
	CU_ASSERT_EQUAL_FATAL(log.n, 1);
	CU_ASSERT_EQUAL(log.rec[0].rbytes, 1514000);
	CU_ASSERT_EQUAL(usage_bps(&log.rec[0]), 12117120);
	usage_log_free(&log);
	log = read_log(USAGE_LINK);
	usage_log_select(&log, NULL, 1764820801, 0);
	CU_ASSERT_EQUAL(log.n, 3);
	usage_log_select(&log, NULL, 0, 1764820802);
	CU_ASSERT_EQUAL(log.n, 2);
	CU_ASSERT(!usage_log_has(&log, "vnic3"));
	usage_log_free(&log);
}

static void test_gnuplot(void)
{
	struct usage_log log = read_log(USAGE_LINK);

	cap_open(&out);
	CU_ASSERT_EQUAL(usage_gnuplot(out.f, &log), 0);
	CU_ASSERT_STRING_EQUAL(cap_text(&out),
			       "# Time vnic1 vnic2\n"
			       "04:00:01 4.70 4.70\n"
			       "04:00:02 12117.12 0.00\n"
			       "04:01:02 0.00 0.00\n");
	usage_log_free(&log);
	/* nothing selected: the header alone */
	cap_open(&out);
	CU_ASSERT_EQUAL(usage_gnuplot(out.f, &log), 0);
	CU_ASSERT_STRING_EQUAL(cap_text(&out), "# Time\n");
}

/* ---- the commands ---- */

static int run(int (*main_fn)(int, char **, FILE *, FILE *),
	       const char *prog, const char **args)
{
	char *argv[32] = { (char *)prog, "show-usage" };
	int argc = 2;

	for (; *args && argc < 31; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	cap_open(&out);
	cap_open(&err);
	return main_fn(argc, argv, out.f, err.f);
}

#define VNA(...)  run(vnicadm_main, "vnicadm", (const char *[]){ __VA_ARGS__, NULL })
#define FLA(...)  run(flowadm_main, "flowadm", (const char *[]){ __VA_ARGS__, NULL })


static void test_golden(void)
{
	char warn[256];

	snprintf(warn, sizeof(warn), "vnicadm: warning: %s:8: truncated "
		 "record (not JSON (premature end of input near '\"sta')); "
		 "skipped\n", log_path);
	CU_ASSERT_EQUAL(VNA("-f", log_path), 0);
	golden_check("usage", "vnicadm-summary", cap_text(&out));
	CU_ASSERT_STRING_EQUAL(cap_text(&err), warn);
	CU_ASSERT_EQUAL(VNA("-f", log_path, "vnic1"), 0);
	golden_check("usage", "vnicadm-link", cap_text(&out));
	CU_ASSERT_EQUAL(VNA("-f", log_path, "-s", "12/04/2025,04:00:01"), 0);
	golden_check("usage", "vnicadm-s", cap_text(&out));
	CU_ASSERT_EQUAL(VNA("-f", log_path, "-F", "gnuplot", "vnic1"), 0);
	golden_check("usage", "vnicadm-gnuplot", cap_text(&out));
	CU_ASSERT_EQUAL(VNA("-f", log_path, "-p", "-o", "link,rbytes,bandwidth"), 0);
	golden_check("usage", "vnicadm-p", cap_text(&out));
	CU_ASSERT_EQUAL(VNA("-f", log_path, "-o", "start,end,obytes", "vnic2"), 0);
	golden_check("usage", "vnicadm-o", cap_text(&out));
	CU_ASSERT_EQUAL(VNA("-f", log_path, "-d"), 0);
	CU_ASSERT_STRING_EQUAL(cap_text(&out), "12/04/2025\n");
	CU_ASSERT_EQUAL(FLA("-f", log_path), 0);
	golden_check("usage", "flowadm-summary", cap_text(&out));
	CU_ASSERT_EQUAL(FLA("-f", log_path, "http-1"), 0);
	golden_check("usage", "flowadm-flow", cap_text(&out));
}

#define CHECK_ERR(line, ...) do {					\
	CU_ASSERT_EQUAL(VNA(__VA_ARGS__), 1);				\
	CU_ASSERT_STRING_EQUAL(cap_text(&err), "vnicadm: " line "\n");	\
	CU_ASSERT_STRING_EQUAL(cap_text(&out), "");			\
} while (0)

static void test_errors(void)
{
	/* a repeated option with a value is refused: show-usage has no
	 * repeatable options and used to pass NULL for their list, which
	 * cli_opt_store() searched (a segfault; found by fuzz-vnicadm) */
	CU_ASSERT_EQUAL(VNA("-f", log_path, "-s", "12/04/2025,00:00:00", "-s",
			    "12/04/2025,00:00:01"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(cap_text(&err), "vnicadm: the option -s "
				      "cannot be specified more than once"));
	CU_ASSERT_STRING_EQUAL(cap_text(&out), "");
	CHECK_ERR("invalid time '12/04/2025': expected MM/DD/YYYY,hh:mm:ss",
		  "-f", log_path, "-s", "12/04/2025");
	CHECK_ERR("invalid time '2025-12-04': expected MM/DD/YYYY,hh:mm:ss",
		  "-f", log_path, "-e", "2025-12-04");
	CHECK_ERR("start time 12/05/2025,00:00:00 is after end time "
		  "12/04/2025,00:00:00", "-f", log_path, "-s",
		  "12/05/2025,00:00:00", "-e", "12/04/2025,00:00:00");
	CHECK_ERR("Format specifier svg not supported", "-f", log_path,
		  "-F", "svg");
	CHECK_ERR("incompatible -d and -F options", "-f", log_path, "-d",
		  "-F", "gnuplot");
	CHECK_ERR("invalid link name '0bad'", "-f", log_path, "0bad");
	CHECK_ERR("cannot open usage log '/nonexistent/u.log': No such file "
		  "or directory", "-f", "/nonexistent/u.log");
	CHECK_ERR("-p requires -o", "-f", log_path, "-p");
	CHECK_ERR("unknown output field 'nosuch'", "-f", log_path, "-o",
		  "nosuch");
	CU_ASSERT_EQUAL(VNA("-f", log_path, "vnic9"), 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(cap_text(&err), "vnicadm: invalid link: "
				      "'vnic9': no usage records in"));
	CU_ASSERT_EQUAL(VNA("-f", "/dev/null"), 0);	/* empty: nothing */
	CU_ASSERT_STRING_EQUAL(cap_text(&out), "");
	CU_ASSERT_EQUAL(VNA("-f", log_path, "a", "b"), 1);
	CU_ASSERT_EQUAL(FLA("-f", log_path, "-s", "x"), 1);
	CU_ASSERT_STRING_EQUAL(cap_text(&err), "flowadm: invalid time 'x': "
			       "expected MM/DD/YYYY,hh:mm:ss\n");
}

static CU_TestInfo tests[] = {
	{ "record format and parse", test_format_parse },
	{ "bad records and why", test_parse_errors },
	{ "reading a log: line numbers of bad lines", test_read },
	{ "MM/DD/YYYY,hh:mm:ss", test_time_parse },
	{ "-s/-e selection and summaries", test_select_summary },
	{ "-F gnuplot", test_gnuplot },
	{ "golden: show-usage", test_golden },
	{ "show-usage errors and exit statuses", test_errors },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(usage, suite_init, suite_cleanup, tests);
