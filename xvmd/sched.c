/*
 * The credit scheduler's host side (sched.h): one cgroup per domain in the
 * cpu controller, weight and cap mapped onto its knobs, CPU time read back
 * from the accounting files, and vCPU pinning as thread affinity.
 *
 * cgroup v1 (Documentation/scheduler/sched-bwc.rst, cgroup-v1/cpuacct.rst):
 * cpu.shares, cpu.cfs_period_us and cpu.cfs_quota_us in the cpu hierarchy,
 * cpuacct.usage in the cpuacct hierarchy (mounted separately or together
 * with cpu; a domain gets a directory in each). cgroup v2
 * (Documentation/admin-guide/cgroup-v2.rst "CPU"): cpu.weight, cpu.max and
 * cpu.stat usage_usec, with +cpu in the parents' cgroup.subtree_control.
 * Whichever hierarchy has the cpu controller is used, v1 first.
 *
 * Runs on xvmd's main thread; the state below is set once by sched_init().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xvm/log.h"
#include "sched.h"

#define CG_V1_SHARES_MIN	2u		/* kernel MIN_SHARES */
#define CG_V1_SHARES_MAX	262144u		/* kernel MAX_SHARES, 1 << 18 */
#define CG_V2_WEIGHT_MIN	1u
#define CG_V2_WEIGHT_MAX	10000u
#define CG_PERIOD_US		100000u
#define CG_NAME_MAX		128
#define CG_ATTACH_PASSES	8

enum sched_kind { SCHED_NONE, SCHED_V1, SCHED_V2 };

static struct {
	enum sched_kind kind;
	char cpu[PATH_MAX];	/* the parent group: v1 cpu hierarchy or v2 */
	char acct[PATH_MAX];	/* v1 cpuacct parent group; "" without one */
} sched;

struct sched_dom {
	char cpu[PATH_MAX];	/* the domain's cgroup (cpu or v2) */
	char acct[PATH_MAX];	/* v1 cpuacct cgroup; "" if none or == cpu */
};

/* ---- pure helpers (exposed for the unit tests) ---- */

unsigned int sched_weight_to_shares(unsigned int weight)
{
	uint64_t s = (uint64_t)weight * 1024 / SCHED_WEIGHT_DEFAULT;

	return (unsigned int)MIN(MAX(s, CG_V1_SHARES_MIN), CG_V1_SHARES_MAX);
}

unsigned int sched_weight_to_cpuweight(unsigned int weight)
{
	/* 256 (credit default) -> 100 (cgroup v2 default), rounded */
	uint64_t w = ((uint64_t)weight * 100 + SCHED_WEIGHT_DEFAULT / 2) /
		     SCHED_WEIGHT_DEFAULT;

	return (unsigned int)MIN(MAX(w, CG_V2_WEIGHT_MIN), CG_V2_WEIGHT_MAX);
}

long long sched_cap_to_quota_us(unsigned int cap)
{
	/* cap is percent of one CPU: 1 % of a 100 ms period is 1000 us */
	return cap == 0 ? -1 : (long long)cap * (CG_PERIOD_US / 100);
}

int sched_cap_to_cpumax(unsigned int cap, char *buf, size_t len)
{
	int n;

	if (cap == 0)
		n = snprintf(buf, len, "max %u", CG_PERIOD_US);
	else
		n = snprintf(buf, len, "%lld %u", sched_cap_to_quota_us(cap),
			     CG_PERIOD_US);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

bool sched_mntopt_has(const char *opts, const char *name)
{
	size_t nl = strlen(name);
	const char *p = opts;

	while (p && *p) {
		size_t tl = strcspn(p, ",");

		if (tl == nl && strncmp(p, name, nl) == 0)
			return true;
		p = p[tl] ? p + tl + 1 : NULL;
	}
	return false;
}

/* Skip n space-separated fields; NULL if the text ends first. */
static const char *stat_skip(const char *p, unsigned int n)
{
	while (n--) {
		while (*p == ' ')
			p++;
		if (!*p)
			return NULL;
		p += strcspn(p, " ");
	}
	while (*p == ' ')
		p++;
	return *p ? p : NULL;
}

static int stat_field(const char *p, unsigned long long *v)
{
	char *end;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end))
		return -EINVAL;
	return 0;
}

/*
 * proc(5) /proc/PID/task/TID/stat: "pid (comm) state ..." where comm may
 * hold spaces and parentheses, so fields are counted after the last ')'.
 * Field 3 (state) is the first one there: utime is 14, stime 15,
 * processor 39.
 */
int sched_parse_stat(const char *line, uint64_t *ticks, int *cpu)
{
	uint64_t ut, st;
	int rc = sched_parse_stat_split(line, &ut, &st, cpu);

	if (rc)
		return rc;
	if (ut > UINT64_MAX - st)
		return -ERANGE;
	*ticks = ut + st;
	return 0;
}

int sched_parse_stat_split(const char *line, uint64_t *utime,
			   uint64_t *stime, int *cpu)
{
	unsigned long long ut, st, proc;
	const char *p = strrchr(line, ')');
	const char *f;

	if (!p || p[1] != ' ')
		return -EINVAL;
	p++;
	f = stat_skip(p, 11);
	if (!f || stat_field(f, &ut))
		return -EINVAL;
	f = stat_skip(p, 12);
	if (!f || stat_field(f, &st))
		return -EINVAL;
	f = stat_skip(p, 36);
	if (!f || stat_field(f, &proc) || proc > INT_MAX)
		return -EINVAL;
	*utime = ut;
	*stime = st;
	*cpu = (int)proc;
	return 0;
}

/* cgroup v2 cpu.stat: "usage_usec N" among other "key N" lines. */
int sched_parse_cpustat(const char *text, uint64_t *usage_usec)
{
	return sched_parse_cpustat_key(text, "usage_usec", usage_usec);
}

int sched_parse_cpustat_key(const char *text, const char *key, uint64_t *v)
{
	const char *p = text;
	size_t kl = strlen(key);

	while (p && *p) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			unsigned long long n;

			if (stat_field(p + kl + 1, &n))
				return -EINVAL;
			*v = n;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* "0-3,5,7-8" (the kernel's cpu list format) into set. */
int sched_parse_cpulist(const char *s, cpu_set_t *set)
{
	CPU_ZERO(set);
	while (*s && *s != '\n') {
		char *end;
		unsigned long a, b;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		a = b = strtoul(s, &end, 10);
		if (*end == '-') {
			if (end[1] < '0' || end[1] > '9')
				return -EINVAL;
			b = strtoul(end + 1, &end, 10);
		}
		if (b < a || b >= CPU_SETSIZE)
			return -EINVAL;
		for (unsigned long i = a; i <= b; i++)
			CPU_SET(i, set);
		if (*end == ',')
			end++;
		else if (*end && *end != '\n')
			return -EINVAL;
		s = end;
	}
	return 0;
}

/* ---- files ---- */

static int path_join(char *out, size_t len, const char *dir, const char *name)
{
	int n = snprintf(out, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int file_write(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX];
	size_t len = strlen(val);
	ssize_t n;
	int fd, err;

	err = path_join(path, sizeof(path), dir, file);
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	err = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return err;
}

/* Whole small file into buf (NUL-terminated); bytes read or -errno. */
static int file_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return (int)n;
}

static int file_read_at(const char *dir, const char *file, char *buf,
			size_t len)
{
	char path[PATH_MAX];
	int err = path_join(path, sizeof(path), dir, file);

	return err ? err : file_read(path, buf, len);
}

/* mkdir dir/name into out; an existing directory is fine (adoption). */
static int cg_mkdir(char *out, size_t len, const char *dir, const char *name)
{
	int err = path_join(out, len, dir, name);

	if (err)
		return err;
	if (mkdir(out, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* A single path component we are willing to create under a cgroup. */
static bool cg_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len > CG_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] == '/' || name[i] <= ' ' || name[i] == 0x7f)
			return false;
	return true;
}

/* ---- finding the hierarchy ---- */

static bool v2_has_cpu(const char *mnt)
{
	char buf[512], *tok, *save = NULL;

	if (file_read_at(mnt, "cgroup.controllers", buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (strcmp(tok, "cpu") == 0)
			return true;
	return false;
}

/* Mount points of the v1 cpu and cpuacct hierarchies and of a v2 one with
 * the cpu controller, from /proc/self/mounts ("dev dir type opts 0 0"). */
static void find_mounts(char *v1cpu, char *v1acct, char *v2, size_t len)
{
	char line[1024], dir[512], type[64], opts[512];
	FILE *f = fopen("/proc/self/mounts", "re");

	v1cpu[0] = v1acct[0] = v2[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %511s %63s %511s", dir, type, opts) != 3)
			continue;
		if (strcmp(type, "cgroup") == 0) {
			if (!v1cpu[0] && sched_mntopt_has(opts, "cpu"))
				snprintf(v1cpu, len, "%s", dir);
			if (!v1acct[0] && sched_mntopt_has(opts, "cpuacct"))
				snprintf(v1acct, len, "%s", dir);
		} else if (strcmp(type, "cgroup2") == 0 && !v2[0] &&
			   v2_has_cpu(dir)) {
			snprintf(v2, len, "%s", dir);
		}
	}
	fclose(f);
}

static int init_v1(const char *cpu, const char *acct, const char *group)
{
	int err;

	err = cg_mkdir(sched.cpu, sizeof(sched.cpu), cpu, group);
	if (err)
		goto fail;
	sched.acct[0] = '\0';
	if (acct[0] && strcmp(acct, cpu) != 0) {
		err = cg_mkdir(sched.acct, sizeof(sched.acct), acct, group);
		if (err)
			goto fail;
	}
	sched.kind = SCHED_V1;
	if (!acct[0])
		log_warn("sched: no cpuacct hierarchy: CPU time not available");
	return 0;
fail:
	log_warn("sched: cgroup v1 group %s under %s: %s", group, cpu,
		 strerror(-err));
	return err;
}

static int init_v2(const char *mnt, const char *group)
{
	int err;

	/* +cpu in the root's subtree_control may already be there (EBUSY
	 * and friends are harmless if so); what counts is the check below */
	file_write(mnt, "cgroup.subtree_control", "+cpu");
	err = cg_mkdir(sched.cpu, sizeof(sched.cpu), mnt, group);
	if (err)
		goto fail;
	err = file_write(sched.cpu, "cgroup.subtree_control", "+cpu");
	if (err)
		goto fail;
	sched.acct[0] = '\0';
	sched.kind = SCHED_V2;
	return 0;
fail:
	log_warn("sched: cgroup v2 group %s under %s: %s", group, mnt,
		 strerror(-err));
	return err;
}

int sched_init(const char *group)
{
	char v1cpu[512], v1acct[512], v2[512];

	sched.kind = SCHED_NONE;
	if (!cg_name_valid(group)) {
		log_warn("sched: invalid cgroup name '%s'", group ? group : "");
		return -EINVAL;
	}
	find_mounts(v1cpu, v1acct, v2, sizeof(v1cpu));
	if (v1cpu[0])
		return init_v1(v1cpu, v1acct, group) ? -ENOTSUP : 0;
	if (v2[0])
		return init_v2(v2, group) ? -ENOTSUP : 0;
	log_warn("sched: no cgroup hierarchy with the cpu controller; "
		 "domains run unscheduled");
	return -ENOTSUP;
}

void sched_fini(bool remove)
{
	if (remove && sched.kind != SCHED_NONE) {
		if (rmdir(sched.cpu) < 0 && errno != ENOENT)
			log_warn("sched: rmdir %s: %s", sched.cpu,
				 strerror(errno));
		if (sched.acct[0] && rmdir(sched.acct) < 0 && errno != ENOENT)
			log_warn("sched: rmdir %s: %s", sched.acct,
				 strerror(errno));
	}
	sched.kind = SCHED_NONE;
	sched.cpu[0] = sched.acct[0] = '\0';
}

const char *sched_backend(void)
{
	switch (sched.kind) {
	case SCHED_V1: return "cgroup v1";
	case SCHED_V2: return "cgroup v2";
	default: return "none";
	}
}

/* ---- per-domain cgroups ---- */

struct sched_dom *sched_dom_open(const char *name)
{
	struct sched_dom *sd;
	int err;

	if (sched.kind == SCHED_NONE) {
		errno = ENOTSUP;
		return NULL;
	}
	if (!cg_name_valid(name)) {
		errno = EINVAL;
		return NULL;
	}
	sd = calloc(1, sizeof(*sd));
	if (!sd)
		return NULL;
	err = cg_mkdir(sd->cpu, sizeof(sd->cpu), sched.cpu, name);
	if (err)
		goto fail;
	if (sched.acct[0]) {
		err = cg_mkdir(sd->acct, sizeof(sd->acct), sched.acct, name);
		if (err)
			goto fail;
	}
	return sd;
fail:
	if (sd->cpu[0])
		rmdir(sd->cpu);
	log_warn("sched: cgroup for %s: %s", name, strerror(-err));
	free(sd);
	errno = -err;
	return NULL;
}

/* One pass over /proc/pid/task writing each tid to dir/tasks; the number
 * of threads seen, or -errno. Threads that exit meanwhile are skipped. */
static int attach_pass(const char *dir, pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0, err = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		err = file_write(dir, "tasks", de->d_name);
		if (err && err != -ESRCH)
			break;
		err = 0;
		n++;
	}
	closedir(d);
	return err ? err : n;
}

/* Threads created during a pass inherit their creator's cgroup, which may
 * still be the old one: repeat until the thread count is stable. */
static int attach_v1(const char *dir, pid_t pid)
{
	int prev = -1, n = 0;

	for (int i = 0; i < CG_ATTACH_PASSES; i++) {
		n = attach_pass(dir, pid);
		if (n < 0 || n == prev)
			break;
		prev = n;
	}
	return n < 0 ? n : 0;
}

int sched_dom_attach(struct sched_dom *sd, pid_t pid)
{
	char buf[32];
	int err;

	if (!sd || pid <= 0)
		return -EINVAL;
	if (sched.kind == SCHED_V2) {
		/* cgroup.procs moves the whole thread group (cgroup-v2.rst) */
		snprintf(buf, sizeof(buf), "%d", (int)pid);
		err = file_write(sd->cpu, "cgroup.procs", buf);
		goto out;
	}
	err = attach_v1(sd->cpu, pid);
	if (!err && sd->acct[0])
		err = attach_v1(sd->acct, pid);
out:
	if (err)
		log_warn("sched: attach pid %d to %s: %s", (int)pid, sd->cpu,
			 strerror(-err));
	return err;
}

static int set_v1(struct sched_dom *sd, unsigned int weight, unsigned int cap)
{
	char buf[32];
	int err;

	snprintf(buf, sizeof(buf), "%u", sched_weight_to_shares(weight));
	err = file_write(sd->cpu, "cpu.shares", buf);
	if (err)
		return err;
	snprintf(buf, sizeof(buf), "%u", CG_PERIOD_US);
	err = file_write(sd->cpu, "cpu.cfs_period_us", buf);
	if (err)
		return err;
	snprintf(buf, sizeof(buf), "%lld", sched_cap_to_quota_us(cap));
	return file_write(sd->cpu, "cpu.cfs_quota_us", buf);
}

static int set_v2(struct sched_dom *sd, unsigned int weight, unsigned int cap)
{
	char buf[48];
	int err;

	snprintf(buf, sizeof(buf), "%u", sched_weight_to_cpuweight(weight));
	err = file_write(sd->cpu, "cpu.weight", buf);
	if (err)
		return err;
	err = sched_cap_to_cpumax(cap, buf, sizeof(buf));
	return err ? err : file_write(sd->cpu, "cpu.max", buf);
}

int sched_dom_set(struct sched_dom *sd, unsigned int weight, unsigned int cap)
{
	int err;

	if (!sd || weight < SCHED_WEIGHT_MIN || weight > SCHED_WEIGHT_MAX ||
	    cap > SCHED_CAP_MAX)
		return -EINVAL;
	err = sched.kind == SCHED_V2 ? set_v2(sd, weight, cap)
				     : set_v1(sd, weight, cap);
	if (err)
		log_warn("sched: %s: weight %u cap %u: %s", sd->cpu, weight,
			 cap, strerror(-err));
	else
		log_debug("sched: %s: weight %u cap %u", sd->cpu, weight, cap);
	return err;
}

int sched_dom_cputimes(struct sched_dom *sd, uint64_t *user_ns,
		       uint64_t *sys_ns)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t u, s;
	char buf[1024];
	int err;

	if (!sd)
		return -EINVAL;
	if (sched.kind == SCHED_V2) {
		err = file_read_at(sd->cpu, "cpu.stat", buf, sizeof(buf));
		if (err < 0)
			return err;
		err = sched_parse_cpustat_key(buf, "user_usec", &u);
		if (!err)
			err = sched_parse_cpustat_key(buf, "system_usec", &s);
		if (err)
			return err;
		*user_ns = u * 1000;
		*sys_ns = s * 1000;
		return 0;
	}
	/* v1: cpuacct.stat "user N" and "system N" in clock ticks */
	err = file_read_at(sd->acct[0] ? sd->acct : sd->cpu, "cpuacct.stat",
			   buf, sizeof(buf));
	if (err < 0)
		return err == -ENOENT ? -ENOTSUP : err;
	err = sched_parse_cpustat_key(buf, "user", &u);
	if (!err)
		err = sched_parse_cpustat_key(buf, "system", &s);
	if (err)
		return err;
	if (hz <= 0)
		hz = 100;
	*user_ns = u * (1000000000ull / (uint64_t)hz);
	*sys_ns = s * (1000000000ull / (uint64_t)hz);
	return 0;
}

int sched_parse_percpu(const char *text, uint64_t *ns, int max)
{
	const char *p = text;
	int n = 0;

	while (*p && *p != '\n') {
		unsigned long long v;
		char *end;

		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			break;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno || (*end && *end != ' ' && *end != '\n'))
			return -EINVAL;
		if (n < max)
			ns[n] = v;
		n++;
		p = end;
	}
	return n;
}

int sched_dom_percpu(struct sched_dom *sd, uint64_t *ns, int max)
{
	char buf[8192];
	int err;

	if (!sd)
		return -EINVAL;
	if (sched.kind == SCHED_V2)
		return -ENOTSUP;	/* cgroup v2 keeps no per-CPU usage */
	err = file_read_at(sd->acct[0] ? sd->acct : sd->cpu,
			   "cpuacct.usage_percpu", buf, sizeof(buf));
	if (err < 0)
		return err == -ENOENT ? -ENOTSUP : err;
	return sched_parse_percpu(buf, ns, max);
}

int sched_dom_cputime(struct sched_dom *sd, uint64_t *ns)
{
	unsigned long long v;
	uint64_t us;
	char buf[1024];
	int err;

	if (!sd || !ns)
		return -EINVAL;
	if (sched.kind == SCHED_V2) {
		err = file_read_at(sd->cpu, "cpu.stat", buf, sizeof(buf));
		if (err < 0)
			return err;
		err = sched_parse_cpustat(buf, &us);
		if (err)
			return err;
		*ns = us * 1000;
		return 0;
	}
	/* v1: cpuacct.usage, in our cpuacct group or a co-mounted cpu one */
	err = file_read_at(sd->acct[0] ? sd->acct : sd->cpu, "cpuacct.usage",
			   buf, sizeof(buf));
	if (err < 0)
		return err == -ENOENT ? -ENOTSUP : err;
	if (stat_field(buf, &v))
		return -EINVAL;
	*ns = v;
	return 0;
}

void sched_dom_close(struct sched_dom *sd, bool remove)
{
	if (!sd)
		return;
	if (remove && rmdir(sd->cpu) < 0 && errno != ENOENT)
		log_warn("sched: rmdir %s: %s", sd->cpu, strerror(errno));
	if (remove && sd->acct[0] && rmdir(sd->acct) < 0 && errno != ENOENT)
		log_warn("sched: rmdir %s: %s", sd->acct, strerror(errno));
	free(sd);
}

/* ---- threads ---- */

static int online_cpus(cpu_set_t *set)
{
	char buf[256];
	int n = file_read("/sys/devices/system/cpu/online", buf, sizeof(buf));

	if (n < 0) {
		/* no sysfs: everything we may run on counts as online */
		return sched_getaffinity(0, sizeof(*set), set) < 0 ? -errno : 0;
	}
	return sched_parse_cpulist(buf, set);
}

int sched_pin_thread(pid_t tid, const uint8_t *mask, size_t nbytes)
{
	cpu_set_t online, set;
	int err;

	if (tid <= 0 || !mask)
		return -EINVAL;
	err = online_cpus(&online);
	if (err)
		return err;
	CPU_ZERO(&set);
	for (size_t i = 0; i < nbytes * 8 && i < CPU_SETSIZE; i++)
		if ((mask[i / 8] >> (i % 8)) & 1 && CPU_ISSET(i, &online))
			CPU_SET(i, &set);
	if (CPU_COUNT(&set) == 0)
		return -EINVAL;
	if (sched_setaffinity(tid, sizeof(set), &set) < 0)
		return -errno;
	return 0;
}

int sched_get_affinity(pid_t tid, uint8_t *mask, size_t nbytes)
{
	cpu_set_t set;

	if (tid <= 0 || !mask)
		return -EINVAL;
	if (sched_getaffinity(tid, sizeof(set), &set) < 0)
		return -errno;
	memset(mask, 0, nbytes);
	for (size_t i = 0; i < nbytes * 8 && i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			mask[i / 8] |= (uint8_t)(1u << (i % 8));
	return 0;
}

int sched_thread_stat(pid_t pid, pid_t tid, uint64_t *ns, int *cpu)
{
	char path[80], buf[1024];
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t ticks;
	int err;

	if (pid <= 0 || tid <= 0 || !ns || !cpu)
		return -EINVAL;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
		 (int)tid);
	err = file_read(path, buf, sizeof(buf));
	if (err < 0)
		return err;
	err = sched_parse_stat(buf, &ticks, cpu);
	if (err)
		return err;
	if (hz <= 0)
		hz = 100;
	*ns = ticks * (1000000000ull / (uint64_t)hz);
	return 0;
}
