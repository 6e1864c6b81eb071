/*
 * Unit tests for lib/log.c: the line format per level, level filtering and
 * XVM_LOG_LEVEL, the rate limiter. stderr is redirected to a temporary file
 * for each capture so the text printed can be compared.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "xvm/log.h"

static int saved_stderr = -1;
static FILE *capture_file;

static void capture_start(void)
{
	capture_file = tmpfile();
	CU_ASSERT_PTR_NOT_NULL_FATAL(capture_file);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(capture_file), STDERR_FILENO);
}

/* Stop capturing; returns what was written (static buffer). */
static const char *capture_end(void)
{
	static char text[8192];
	size_t n;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(capture_file);
	n = fread(text, 1, sizeof(text) - 1, capture_file);
	text[n] = '\0';
	fclose(capture_file);
	return text;
}

static void test_format(void)
{
	log_init("tprog", LL_INFO);
	capture_start();
	log_err("vnic %s: gone", "v0");
	log_warn("careful");
	log_info("hello %d", 42);
	log_debug("not shown");
	CU_ASSERT_STRING_EQUAL(capture_end(),
			       "tprog: error: vnic v0: gone\n"
			       "tprog: warning: careful\n"
			       "tprog: hello 42\n");
}

static void test_levels(void)
{
	log_init("tprog", LL_DEBUG);
	CU_ASSERT_EQUAL(log_get_level(), LL_DEBUG);
	capture_start();
	log_debug("d");
	log_set_level(LL_ERR);
	log_warn("w");
	log_info("i");
	log_err("e");
	CU_ASSERT_STRING_EQUAL(capture_end(),
			       "tprog: debug: d\ntprog: error: e\n");
}

static void test_env_override(void)
{
	setenv("XVM_LOG_LEVEL", "warn", 1);
	log_init("envprog", LL_DEBUG);
	unsetenv("XVM_LOG_LEVEL");
	CU_ASSERT_EQUAL(log_get_level(), LL_WARN);
	capture_start();
	log_info("hidden");
	log_warn("shown");
	CU_ASSERT_STRING_EQUAL(capture_end(), "envprog: warning: shown\n");

	setenv("XVM_LOG_LEVEL", "bogus", 1);	/* ignored, not fatal */
	log_init("envprog", LL_INFO);
	unsetenv("XVM_LOG_LEVEL");
	CU_ASSERT_EQUAL(log_get_level(), LL_INFO);
}

static void test_parse(void)
{
	enum log_level l;

	CU_ASSERT_EQUAL(log_level_parse("err", &l), 0);
	CU_ASSERT_EQUAL(l, LL_ERR);
	CU_ASSERT_EQUAL(log_level_parse("DEBUG", &l), 0);
	CU_ASSERT_EQUAL(l, LL_DEBUG);
	CU_ASSERT_EQUAL(log_level_parse("info", &l), 0);
	CU_ASSERT_EQUAL(l, LL_INFO);
	CU_ASSERT_EQUAL(log_level_parse("verbose", &l), -EINVAL);
	CU_ASSERT_EQUAL(log_level_parse("", &l), -EINVAL);
	CU_ASSERT_EQUAL(log_level_parse(NULL, &l), -EINVAL);
}

static void test_errno_preserved(void)
{
	log_init("tprog", LL_INFO);
	capture_start();
	errno = ENOENT;
	log_info("open failed: %m");
	CU_ASSERT_EQUAL(errno, ENOENT);
	CU_ASSERT_STRING_EQUAL(capture_end(),
			       "tprog: open failed: No such file or directory\n");
}

static void test_long_line(void)
{
	char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_init("tprog", LL_INFO);
	capture_start();
	log_info("%s", big);
	const char *out = capture_end();
	size_t n = strlen(out);
	CU_ASSERT(n > 1000 && n < sizeof(big));
	CU_ASSERT_EQUAL(out[n - 1], '\n');
	CU_ASSERT_NSTRING_EQUAL(out + n - 4, "...", 3);
}

static void test_ratelimit(void)
{
	struct log_ratelimit rl = LOG_RATELIMIT_INIT(200, 2);
	int ok = 0;

	log_init("tprog", LL_INFO);
	for (int i = 0; i < 10; i++)
		ok += log_ratelimit_ok(&rl);
	CU_ASSERT_EQUAL(ok, 2);
	CU_ASSERT_EQUAL(rl.suppressed, 8);
	usleep(250 * 1000);
	capture_start();
	log_ratelimited(&rl, LL_WARN, "drop on %s", "p0");
	log_ratelimited(&rl, LL_WARN, "drop on %s", "p0");
	log_ratelimited(&rl, LL_WARN, "drop on %s", "p0");
	CU_ASSERT_STRING_EQUAL(capture_end(),
		"tprog: warning: drop on p0 (8 similar messages suppressed)\n"
		"tprog: warning: drop on p0\n");
}

/* Syslog is extra: stderr output stays the same with it on. */
static void test_syslog_keeps_stderr(void)
{
	log_init("tprog", LL_INFO);
	log_set_syslog(true);
	capture_start();
	errno = EAGAIN;
	log_warn("to both");
	CU_ASSERT_EQUAL(errno, EAGAIN);
	log_set_syslog(false);
	log_info("stderr only");
	CU_ASSERT_STRING_EQUAL(capture_end(),
			       "tprog: warning: to both\ntprog: stderr only\n");
}

static CU_TestInfo tests[] = {
	{ "format", test_format },
	{ "levels", test_levels },
	{ "env_override", test_env_override },
	{ "parse", test_parse },
	{ "errno_preserved", test_errno_preserved },
	{ "long_line", test_long_line },
	{ "ratelimit", test_ratelimit },
	{ "syslog_keeps_stderr", test_syslog_keeps_stderr },
	CU_TEST_INFO_NULL,
};

/* Leave logging as the runner had it for the suites that follow. */
static int suite_cleanup(void)
{
	log_init(program_invocation_short_name, LL_INFO);
	return 0;
}

UNIT_SUITE(log, NULL, suite_cleanup, tests);
