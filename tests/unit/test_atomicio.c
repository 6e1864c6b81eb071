/*
 * Unit tests for lib/atomicio.c: atomic replacement leaves the new file
 * with its mode and no temporary behind, and on failure leaves the old file
 * untouched; whole-file reads honour their size limit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "unit.h"
#include "xvm/atomicio.h"

static char dir[64];

static int suite_init(void)
{
	snprintf(dir, sizeof(dir), "/tmp/xvm-atomicio.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int suite_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A path in the test directory; up to 4 may be in use at once. */
static const char *in_dir(const char *name)
{
	static char paths[4][128];
	static unsigned next;
	char *path = paths[next++ % 4];

	snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
	return path;
}

/* Entries in the test directory, "." and ".." excluded. */
static int dir_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	char *data = NULL;
	size_t len;

	CU_ASSERT_EQUAL(atomicio_read_file(path, 1 << 20, &data, &len), 0);
	return data;
}

static void test_replace(void)
{
	const char *p = in_dir("state.json");
	struct stat st1, st2;
	char *s;

	CU_ASSERT_EQUAL(atomicio_replace_file(p, "{\"v\":1}\n", 8, 0640), 0);
	CU_ASSERT_EQUAL_FATAL(stat(p, &st1), 0);
	CU_ASSERT_EQUAL(st1.st_mode & 07777, 0640);
	s = slurp(p);
	CU_ASSERT_STRING_EQUAL(s, "{\"v\":1}\n");
	free(s);
	CU_ASSERT_EQUAL(atomicio_replace_file(p, "{\"v\":2}", 7, 0600), 0);
	CU_ASSERT_EQUAL_FATAL(stat(p, &st2), 0);
	CU_ASSERT_EQUAL(st2.st_mode & 07777, 0600);
	CU_ASSERT_NOT_EQUAL(st1.st_ino, st2.st_ino);	/* a new file */
	s = slurp(p);
	CU_ASSERT_STRING_EQUAL(s, "{\"v\":2}");
	free(s);
	CU_ASSERT_EQUAL(atomicio_replace_file(p, "", 0, 0600), 0);
	s = slurp(p);
	CU_ASSERT_STRING_EQUAL(s, "");
	free(s);
	CU_ASSERT_EQUAL(dir_entries(), 1);	/* no temporary left */
	unlink(p);
}

static void test_replace_fails_cleanly(void)
{
	char p[128];
	struct rlimit old, small = { 100, 100 };
	char big[1000];
	char *s;

	snprintf(p, sizeof(p), "%s", in_dir("keep"));
	/* No such directory: nothing is created. */
	CU_ASSERT_EQUAL(atomicio_replace_file(in_dir("nodir/f"), "x", 1,
					      0600), -ENOENT);
	CU_ASSERT_EQUAL(atomicio_replace_file("", "x", 1, 0600), -EINVAL);
	CU_ASSERT_EQUAL(atomicio_replace_file(in_dir("d/"), "x", 1, 0600),
			-EINVAL);

	/* The write fails half way (file size limit): old file intact. */
	CU_ASSERT_EQUAL_FATAL(atomicio_replace_file(p, "old", 3, 0600), 0);
	memset(big, 'n', sizeof(big));
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;	/* soft limit only: restorable */
	fflush(stdout);			/* nothing else is written meanwhile */
	fflush(stderr);
	signal(SIGXFSZ, SIG_IGN);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &small), 0);
	CU_ASSERT_EQUAL(atomicio_replace_file(p, big, sizeof(big), 0600),
			-EFBIG);
	CU_ASSERT_EQUAL(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	s = slurp(p);
	CU_ASSERT_STRING_EQUAL(s, "old");
	free(s);
	CU_ASSERT_EQUAL(dir_entries(), 1);

	/* The rename fails (a directory is in the way): temp removed. */
	CU_ASSERT_EQUAL_FATAL(mkdir(in_dir("isdir"), 0700), 0);
	CU_ASSERT_EQUAL_FATAL(mkdir(in_dir("isdir/sub"), 0700), 0);
	CU_ASSERT_EQUAL(atomicio_replace_file(in_dir("isdir"), "x", 1, 0600),
			-EISDIR);
	CU_ASSERT_EQUAL(dir_entries(), 2);	/* keep, isdir */
	rmdir(in_dir("isdir/sub"));
	rmdir(in_dir("isdir"));
	unlink(p);
}

static void test_read_limits(void)
{
	const char *p = in_dir("ten");
	char *data = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL_FATAL(atomicio_replace_file(p, "0123456789", 10,
						    0600), 0);
	CU_ASSERT_EQUAL(atomicio_read_file(p, 10, &data, &len), 0);
	CU_ASSERT_EQUAL(len, 10);
	CU_ASSERT_STRING_EQUAL(data, "0123456789");
	free(data);
	data = NULL;
	CU_ASSERT_EQUAL(atomicio_read_file(p, 9, &data, &len), -EFBIG);
	CU_ASSERT_PTR_NULL(data);
	CU_ASSERT_EQUAL(atomicio_read_file(in_dir("missing"), 10, &data,
					   &len), -ENOENT);
	CU_ASSERT_EQUAL(atomicio_read_file(dir, 10, &data, &len), -EISDIR);
	/* Files whose size stat() does not tell (procfs) are still bounded. */
	CU_ASSERT_EQUAL(atomicio_read_file("/proc/self/status", 16, &data,
					   &len), -EFBIG);
	CU_ASSERT_EQUAL(atomicio_read_file("/proc/self/status", 1 << 20,
					   &data, &len), 0);
	CU_ASSERT(len > 16 && strncmp(data, "Name:", 5) == 0);
	free(data);
	unlink(p);
}

static void test_fd_io(void)
{
	int fds[2];
	char buf[16];

	CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
	CU_ASSERT_EQUAL(atomicio_write_all(fds[1], "hello world", 11), 0);
	close(fds[1]);
	CU_ASSERT_EQUAL(atomicio_read_all(fds[0], buf, 5), 5);
	CU_ASSERT_EQUAL(memcmp(buf, "hello", 5), 0);
	CU_ASSERT_EQUAL(atomicio_read_all(fds[0], buf, sizeof(buf)), 6);
	CU_ASSERT_EQUAL(atomicio_read_all(fds[0], buf, sizeof(buf)), 0);
	close(fds[0]);
	CU_ASSERT_EQUAL(atomicio_write_all(-1, "x", 1), -EBADF);
}

/* kill -9 between mkostemp() and rename() leaves .BASE.XXXXXX: removed
 * at start; nothing else in the directory is touched (issue 12, 5). */
static int temps_seen;
static void temp_found(const char *path)
{
	CU_ASSERT(strstr(path, "/.") != NULL);
	temps_seen++;
}

static void test_remove_temps(void)
{
	static const char *const stale[] = { ".a.xml.Ab12Z9", ".config.json.q1w2e3",
					     ".x.autostart.000000" };
	static const char *const kept[] = { "a.xml", ".hidden", ".a.xml.abc",
					    ".a.xml.ab-12z", "b.xml.Ab12Z9" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(stale); i++)
		CU_ASSERT_EQUAL(atomicio_replace_file(in_dir(stale[i]), "x", 1,
						      0600), 0);
	for (i = 0; i < ARRAY_SIZE(kept); i++)
		CU_ASSERT_EQUAL(atomicio_replace_file(in_dir(kept[i]), "x", 1,
						      0600), 0);
	temps_seen = 0;
	CU_ASSERT_EQUAL(atomicio_remove_temps(dir, temp_found), 3);
	CU_ASSERT_EQUAL(temps_seen, 3);
	for (i = 0; i < ARRAY_SIZE(stale); i++)
		CU_ASSERT(access(in_dir(stale[i]), F_OK) < 0);
	for (i = 0; i < ARRAY_SIZE(kept); i++) {
		CU_ASSERT(access(in_dir(kept[i]), F_OK) == 0);
		unlink(in_dir(kept[i]));
	}
	CU_ASSERT_EQUAL(atomicio_remove_temps(dir, NULL), 0);
	CU_ASSERT_EQUAL(atomicio_remove_temps("/nonexistent/xvm", NULL),
			-ENOENT);
}

static CU_TestInfo tests[] = {
	{ "remove_temps", test_remove_temps },
	{ "replace", test_replace },
	{ "replace_fails_cleanly", test_replace_fails_cleanly },
	{ "read_limits", test_read_limits },
	{ "fd_io", test_fd_io },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(atomicio, suite_init, suite_cleanup, tests);
