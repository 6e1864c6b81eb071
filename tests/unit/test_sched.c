/*
 * Unit tests for xvmd/sched.c: weight and cap mappings onto cgroup v1
 * and v2 knobs, parsing of /proc stat lines, cpu.stat and cpu lists, thread
 * affinity and CPU time of this process, and (as root, when a cpu
 * controller exists) a real domain cgroup holding a spinning child.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "xvmd/sched.h"

static void test_weight_v1(void)
{
	CU_ASSERT_EQUAL(sched_weight_to_shares(SCHED_WEIGHT_DEFAULT), 1024);
	CU_ASSERT_EQUAL(sched_weight_to_shares(512), 2048);
	CU_ASSERT_EQUAL(sched_weight_to_shares(128), 512);
	CU_ASSERT_EQUAL(sched_weight_to_shares(SCHED_WEIGHT_MIN), 4);
	CU_ASSERT_EQUAL(sched_weight_to_shares(SCHED_WEIGHT_MAX), 262144);
	/* out of range inputs stay inside the kernel's 2..262144 */
	CU_ASSERT_EQUAL(sched_weight_to_shares(0), 2);
	CU_ASSERT_EQUAL(sched_weight_to_shares(1u << 30), 262144);
}

static void test_weight_v2(void)
{
	CU_ASSERT_EQUAL(sched_weight_to_cpuweight(SCHED_WEIGHT_DEFAULT), 100);
	CU_ASSERT_EQUAL(sched_weight_to_cpuweight(512), 200);
	CU_ASSERT_EQUAL(sched_weight_to_cpuweight(128), 50);
	CU_ASSERT_EQUAL(sched_weight_to_cpuweight(SCHED_WEIGHT_MIN), 1);
	CU_ASSERT_EQUAL(sched_weight_to_cpuweight(25600), 10000);
	CU_ASSERT_EQUAL(sched_weight_to_cpuweight(SCHED_WEIGHT_MAX), 10000);
}

static void test_cap(void)
{
	char buf[32];

	CU_ASSERT_EQUAL(sched_cap_to_quota_us(0), -1);
	CU_ASSERT_EQUAL(sched_cap_to_quota_us(25), 25000);
	CU_ASSERT_EQUAL(sched_cap_to_quota_us(100), 100000);
	CU_ASSERT_EQUAL(sched_cap_to_quota_us(SCHED_CAP_MAX), 6400000);
	CU_ASSERT_EQUAL(sched_cap_to_cpumax(0, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "max 100000");
	CU_ASSERT_EQUAL(sched_cap_to_cpumax(25, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "25000 100000");
	CU_ASSERT_EQUAL(sched_cap_to_cpumax(250, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "250000 100000");
	CU_ASSERT_EQUAL(sched_cap_to_cpumax(25, buf, 8), -ENOSPC);
}

static void test_mntopt(void)
{
	CU_ASSERT(sched_mntopt_has("rw,relatime,cpu", "cpu"));
	CU_ASSERT(sched_mntopt_has("cpu,cpuacct", "cpu"));
	CU_ASSERT(sched_mntopt_has("rw,cpu,cpuacct", "cpuacct"));
	CU_ASSERT(!sched_mntopt_has("rw,relatime,cpuacct", "cpu"));
	CU_ASSERT(!sched_mntopt_has("rw,relatime,cpuset", "cpu"));
	CU_ASSERT(!sched_mntopt_has("rw,name=cpu", "cpu"));
	CU_ASSERT(!sched_mntopt_has("", "cpu"));
}

/* A real line (kernel 6.1) with a hostile comm: spaces and parentheses. */
static const char stat_line[] =
	"4242 (hv (vcpu 0) x) R 4200 4242 4200 0 -1 4194560 1200 0 0 0 "
	"1234 56 0 0 20 0 3 0 98765 123456789 2000 18446744073709551615 "
	"1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

static void test_parse_stat(void)
{
	uint64_t ticks = 0;
	int cpu = -1;

	CU_ASSERT_EQUAL(sched_parse_stat(stat_line, &ticks, &cpu), 0);
	CU_ASSERT_EQUAL(ticks, 1234 + 56);
	CU_ASSERT_EQUAL(cpu, 1);
}

static void test_parse_stat_reject(void)
{
	char trunc[sizeof(stat_line)];
	uint64_t ticks = 7;
	int cpu = 7;

	/* cut before the processor field (field 39) */
	memcpy(trunc, stat_line, sizeof(stat_line));
	*strstr(trunc, " 17 1 0") = '\0';
	CU_ASSERT_EQUAL(sched_parse_stat(trunc, &ticks, &cpu), -EINVAL);
	CU_ASSERT_EQUAL(sched_parse_stat("4242 hv R 1 2 3", &ticks, &cpu),
			-EINVAL);
	CU_ASSERT_EQUAL(sched_parse_stat("", &ticks, &cpu), -EINVAL);
	CU_ASSERT_EQUAL(sched_parse_stat("1 (x) R 1 1 1 0 -1 0 0 0 0 0 "
					 "-5 6 0 0 20 0 1 0 1 1 1 1 1 1 0 0 0 0 0 "
					 "0 0 0 0 0 17 0", &ticks, &cpu), -EINVAL);
	CU_ASSERT_EQUAL(ticks, 7);
	CU_ASSERT_EQUAL(cpu, 7);
}

static void test_parse_cpustat(void)
{
	uint64_t us = 0;

	CU_ASSERT_EQUAL(sched_parse_cpustat("usage_usec 1500000\nuser_usec 1000000\n"
					    "system_usec 500000\n", &us), 0);
	CU_ASSERT_EQUAL(us, 1500000);
	CU_ASSERT_EQUAL(sched_parse_cpustat("nr_periods 3\nusage_usec 42\n", &us), 0);
	CU_ASSERT_EQUAL(us, 42);
	CU_ASSERT_EQUAL(sched_parse_cpustat("nr_periods 0\n", &us), -ENOENT);
	CU_ASSERT_EQUAL(sched_parse_cpustat("usage_usec x\n", &us), -EINVAL);
	CU_ASSERT_EQUAL(sched_parse_cpustat("", &us), -ENOENT);
	CU_ASSERT_EQUAL(sched_parse_cpustat_key("usage_usec 1500000\nuser_usec 1000000\n"
						"system_usec 500000\n", "system_usec", &us), 0);
	CU_ASSERT_EQUAL(us, 500000);
	CU_ASSERT_EQUAL(sched_parse_cpustat_key("user_usec_x 5\nuser_usec 7\n", "user_usec", &us), 0);
	CU_ASSERT_EQUAL(us, 7);
	{
		uint64_t per[2];

		CU_ASSERT_EQUAL(sched_parse_percpu("25606730235013 26466279488632 \n", per, 2), 2);
		CU_ASSERT_EQUAL(per[1], 26466279488632ull);
		CU_ASSERT_EQUAL(sched_parse_percpu("1 2 3\n", per, 2), 3);
		CU_ASSERT_EQUAL(per[0], 1);
		CU_ASSERT_EQUAL(sched_parse_percpu("1 x\n", per, 2), -EINVAL);
		CU_ASSERT_EQUAL(sched_parse_percpu("1 -2\n", per, 2), -EINVAL);
		CU_ASSERT_EQUAL(sched_parse_percpu("\n", per, 2), 0);
	}
}

static void test_cpulist(void)
{
	cpu_set_t s;

	CU_ASSERT_EQUAL(sched_parse_cpulist("0-1\n", &s), 0);
	CU_ASSERT_EQUAL(CPU_COUNT(&s), 2);
	CU_ASSERT_EQUAL(sched_parse_cpulist("0,2-3,7", &s), 0);
	CU_ASSERT_EQUAL(CPU_COUNT(&s), 4);
	CU_ASSERT(CPU_ISSET(7, &s) && CPU_ISSET(2, &s) && !CPU_ISSET(1, &s));
	CU_ASSERT_EQUAL(sched_parse_cpulist("1-0", &s), -EINVAL);
	CU_ASSERT_EQUAL(sched_parse_cpulist("a", &s), -EINVAL);
	CU_ASSERT_EQUAL(sched_parse_cpulist("0-", &s), -EINVAL);
	CU_ASSERT_EQUAL(sched_parse_cpulist("0;1", &s), -EINVAL);
	CU_ASSERT_EQUAL(sched_parse_cpulist("99999", &s), -EINVAL);
}

static void spin_ms(long ms)
{
	struct timespec a, b;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

/* Affinity and stat of this very thread: what vcpupin and vcpuinfo use. */
static void test_thread_self(void)
{
	uint8_t saved[128], mask[128], none[128] = { 0 };
	pid_t tid = gettid();
	uint64_t ns = 0;
	int cpu = -1, first = -1;

	CU_ASSERT_EQUAL_FATAL(sched_get_affinity(tid, saved, sizeof(saved)), 0);
	for (int i = 0; i < 1024 && first < 0; i++)
		if (saved[i / 8] & (1u << (i % 8)))
			first = i;
	CU_ASSERT_FATAL(first >= 0);
	memset(mask, 0, sizeof(mask));
	mask[first / 8] = (uint8_t)(1u << (first % 8));
	CU_ASSERT_EQUAL(sched_pin_thread(tid, mask, sizeof(mask)), 0);
	spin_ms(30);
	CU_ASSERT_EQUAL(sched_thread_stat(getpid(), tid, &ns, &cpu), 0);
	CU_ASSERT_EQUAL(cpu, first);
	CU_ASSERT(ns > 0);
	CU_ASSERT_EQUAL(sched_get_affinity(tid, mask, sizeof(mask)), 0);
	CU_ASSERT_EQUAL(mask[first / 8], (uint8_t)(1u << (first % 8)));
	none[127] = 0x80;	/* CPU 1023: not online here */
	CU_ASSERT_EQUAL(sched_pin_thread(tid, none, sizeof(none)), -EINVAL);
	CU_ASSERT_EQUAL(sched_pin_thread(tid, saved, sizeof(saved)), 0);
	CU_ASSERT_EQUAL(sched_thread_stat(getpid(), 999999999, &ns, &cpu),
			-ENOENT);
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "re");
	long v = -12345;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -12345;
		fclose(f);
	}
	return v;
}

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* A real cgroup: weight/cap land in the v1 files, a child's CPU time is
 * counted, and the directory goes away on close. The group's name carries
 * our pid, so unit runs side by side (and the ASan build's) do not remove
 * each other's. On a loaded machine the child may get little CPU, so the
 * test waits (at most 20 s) until it has run a while in the group, and
 * judges the 25 % cap against the time that really passed. */
static void test_real_cgroup(void)
{
	char group[64], top[128], cg[192], path[256];
	struct sched_dom *sd;
	uint64_t ns = 0, t0, elapsed = 0, end;
	struct stat st;
	pid_t child;

	snprintf(group, sizeof(group), "xvm-unit-sched-%d", (int)getpid());
	snprintf(top, sizeof(top), "/sys/fs/cgroup/cpu/%s", group);
	snprintf(cg, sizeof(cg), "%s/dom1", top);
	if (geteuid() != 0 || sched_init(group) != 0) {
		fprintf(stderr, "\n  sched real_cgroup: SKIPPED (%s)\n",
			geteuid() ? "not root" : "no cgroup cpu controller");
		return;
	}
	sd = sched_dom_open("dom1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sd);
	CU_ASSERT_EQUAL(sched_dom_set(sd, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(sched_dom_set(sd, 256, SCHED_CAP_MAX + 1), -EINVAL);
	CU_ASSERT_EQUAL(sched_dom_set(sd, 512, 25), 0);
	if (strcmp(sched_backend(), "cgroup v1") == 0) {
		snprintf(path, sizeof(path), "%s/cpu.shares", cg);
		CU_ASSERT_EQUAL(read_long(path), 2048);
		snprintf(path, sizeof(path), "%s/cpu.cfs_quota_us", cg);
		CU_ASSERT_EQUAL(read_long(path), 25000);
	}
	/* the whole group weighs as much as the kernel allows against the
	 * root's tasks, so that on a busy machine an uncapped spinner would
	 * still get most of a CPU: the cap, not the load, must hold it */
	if (strcmp(sched_backend(), "cgroup v1") == 0) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/cpu.shares", top);
		f = fopen(path, "we");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		fprintf(f, "262144\n");
		CU_ASSERT_EQUAL(fclose(f), 0);
	}
	t0 = mono_ns();
	child = fork();
	if (child == 0) {
		spin_ms(20000);	/* 80 s at the cap: killed long before */
		_exit(0);
	}
	CU_ASSERT_FATAL(child > 0);
	CU_ASSERT_EQUAL(sched_dom_attach(sd, child), 0);
	/* until the child has had 30 ms in the group, over at least 400 ms */
	end = t0 + 20 * 1000000000ull;
	do {
		usleep(50000);
		elapsed = mono_ns() - t0;
		if (sched_dom_cputime(sd, &ns) != 0)
			break;
	} while ((ns < 30 * 1000000ull || elapsed < 400 * 1000000ull) &&
		 mono_ns() < end);
	CU_ASSERT_EQUAL(sched_dom_cputime(sd, &ns), 0);
	/* counted: the child ran */
	CU_ASSERT(ns >= 30 * 1000000ull);
	/* capped at 25 %: a quarter of the time since the fork plus two
	 * 100 ms periods' quota for the edges (uncapped, a spinning child on
	 * an idle CPU would have had nearly all of it) */
	elapsed = mono_ns() - t0;
	if (!(ns <= elapsed / 4 + 50 * 1000000ull))
		fprintf(stderr, "\n  sched real_cgroup: %llu ms of CPU in %llu ms\n",
			(unsigned long long)(ns / 1000000),
			(unsigned long long)(elapsed / 1000000));
	CU_ASSERT(ns <= elapsed / 4 + 50 * 1000000ull);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	CU_ASSERT_EQUAL(sched_dom_set(sd, 256, 0), 0);
	sched_dom_close(sd, true);
	CU_ASSERT_NOT_EQUAL(stat(cg, &st), 0);
	sched_fini(true);
	CU_ASSERT_STRING_EQUAL(sched_backend(), "none");
	CU_ASSERT_NOT_EQUAL(stat(top, &st), 0);
}

static CU_TestInfo tests[] = {
	{ "weight_v1", test_weight_v1 },
	{ "weight_v2", test_weight_v2 },
	{ "cap", test_cap },
	{ "mntopt", test_mntopt },
	{ "parse_stat", test_parse_stat },
	{ "parse_stat_reject", test_parse_stat_reject },
	{ "parse_cpustat", test_parse_cpustat },
	{ "cpulist", test_cpulist },
	{ "thread_self", test_thread_self },
	{ "real_cgroup", test_real_cgroup },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(sched, NULL, NULL, tests);
