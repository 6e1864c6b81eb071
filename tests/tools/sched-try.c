/*
 * sched-try: the credit scheduler (xvmd/sched.c) on real guests,
 * without xvmd. Starts one hv per SPEC running the PV guest's spin
 * workload, each in its own domain cgroup with the SPEC's weight and cap
 * (and, with -c, every thread pinned to one host CPU), waits until every
 * guest spins, then measures each cgroup's CPU time over -s seconds.
 *
 *   sched-try [-s SECS] [-c CPU] [-H HV] [-k KERNEL] WEIGHT[:CAP]...
 *
 * Prints one line per domain and, with two or more, the ratio of the first
 * two (scenario 6x parses these):
 *   dom0 weight=512 cap=0 cpu_ms=6650 pct=66.5
 *   ratio=2.003
 * Exit 0 when measured, 1 on any error. Every hv is killed at the end.
 */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xvm/log.h"
#include "xvmd/sched.h"

#define TRY_MAX		8
#define BOOT_SECS	60

struct try_dom {
	unsigned int weight, cap;
	struct sched_dom *sd;
	pid_t pid;
	char log[64];		/* the guest console */
	uint64_t t0, t1;	/* cgroup CPU time, ns */
};

static struct {
	const char *hv, *kernel;
	int cpu;		/* -1: not pinned */
	unsigned int secs;
	struct try_dom dom[TRY_MAX];
	int ndom;
} opt = { "build/bin/hv", "build/guest/minios.elf", -1, 10, {{0}}, 0 };

static int parse_uint(const char *s, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_spec(const char *spec, struct try_dom *d)
{
	char buf[32], *colon;

	if (strlen(spec) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, spec);
	colon = strchr(buf, ':');
	d->cap = 0;
	if (colon) {
		*colon = '\0';
		if (parse_uint(colon + 1, SCHED_CAP_MAX, &d->cap))
			return -EINVAL;
	}
	if (parse_uint(buf, SCHED_WEIGHT_MAX, &d->weight) ||
	    d->weight < SCHED_WEIGHT_MIN)
		return -EINVAL;
	return 0;
}

/* In the child: join the cgroup and the CPU first, so every thread hv
 * creates inherits both, then become hv. */
static void child_exec(struct try_dom *d, int i)
{
	char name[32], console[80];
	uint8_t mask[128] = { 0 };
	int err;

	err = sched_dom_attach(d->sd, getpid());
	if (!err && opt.cpu >= 0) {
		mask[opt.cpu / 8] = (uint8_t)(1u << (opt.cpu % 8));
		err = sched_pin_thread(getpid(), mask, sizeof(mask));
	}
	if (err) {
		fprintf(stderr, "sched-try: dom%d: %s\n", i, strerror(-err));
		_exit(1);
	}
	snprintf(name, sizeof(name), "schedtry%d", i);
	snprintf(console, sizeof(console), "file:%s", d->log);
	execl(opt.hv, opt.hv, "--name", name, "--memory", "32", "--vcpus",
	      "1", "--kernel", opt.kernel, "--cmdline", "workload=spin",
	      "--console", console, (char *)NULL);
	fprintf(stderr, "sched-try: exec %s: %s\n", opt.hv, strerror(errno));
	_exit(1);
}

static int start_dom(struct try_dom *d, int i)
{
	char name[32];
	int fd;

	snprintf(name, sizeof(name), "dom%d", i);
	d->sd = sched_dom_open(name);
	if (!d->sd)
		return -errno;
	int err = sched_dom_set(d->sd, d->weight, d->cap);
	if (err)
		return err;
	snprintf(d->log, sizeof(d->log), "/tmp/sched-try.%d.%d.log",
		 (int)getpid(), i);
	fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	d->pid = fork();
	if (d->pid < 0)
		return -errno;
	if (d->pid == 0)
		child_exec(d, i);
	return 0;
}

static bool log_has_spin(const char *path)
{
	char line[256];
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strncmp(line, "guest: spin t=", 14) == 0;
	fclose(f);
	return found;
}

/* Until every guest prints its first spin line (or one hv exits). */
static int wait_spinning(void)
{
	for (int t = 0; t < BOOT_SECS * 10; t++) {
		int ready = 0;

		for (int i = 0; i < opt.ndom; i++) {
			if (waitpid(opt.dom[i].pid, NULL, WNOHANG) != 0) {
				fprintf(stderr, "sched-try: dom%d: hv exited "
					"(console %s)\n", i, opt.dom[i].log);
				opt.dom[i].pid = 0;
				return -ECHILD;
			}
			ready += log_has_spin(opt.dom[i].log);
		}
		if (ready == opt.ndom)
			return 0;
		usleep(100000);
	}
	fprintf(stderr, "sched-try: guests not spinning after %d s\n",
		BOOT_SECS);
	return -ETIMEDOUT;
}

static int read_all(int which)
{
	for (int i = 0; i < opt.ndom; i++) {
		uint64_t *t = which ? &opt.dom[i].t1 : &opt.dom[i].t0;
		int err = sched_dom_cputime(opt.dom[i].sd, t);

		if (err)
			return err;
	}
	return 0;
}

static void report(void)
{
	for (int i = 0; i < opt.ndom; i++) {
		struct try_dom *d = &opt.dom[i];
		double ms = (double)(d->t1 - d->t0) / 1e6;

		printf("dom%d weight=%u cap=%u cpu_ms=%.0f pct=%.1f\n", i,
		       d->weight, d->cap, ms, ms / (opt.secs * 10.0));
	}
	if (opt.ndom >= 2 && opt.dom[1].t1 > opt.dom[1].t0)
		printf("ratio=%.3f\n", (double)(opt.dom[0].t1 - opt.dom[0].t0) /
		       (double)(opt.dom[1].t1 - opt.dom[1].t0));
	fflush(stdout);
}

static void stop_all(void)
{
	for (int i = 0; i < opt.ndom; i++) {
		struct try_dom *d = &opt.dom[i];

		if (d->pid > 0) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, NULL, 0);
		}
		if (d->sd)
			sched_dom_close(d->sd, true);
		if (d->log[0])
			unlink(d->log);
	}
	sched_fini(true);
}

static void usage(void)
{
	fprintf(stderr, "usage: sched-try [-s SECS] [-c CPU] [-H HV] "
		"[-k KERNEL] WEIGHT[:CAP]...\n");
	exit(1);
}

static void parse_args(int argc, char **argv)
{
	unsigned int v;
	int c;

	while ((c = getopt(argc, argv, "s:c:H:k:")) != -1) {
		switch (c) {
		case 's':
			if (parse_uint(optarg, 3600, &opt.secs) || !opt.secs)
				usage();
			break;
		case 'c':
			if (parse_uint(optarg, 1023, &v))
				usage();
			opt.cpu = (int)v;
			break;
		case 'H': opt.hv = optarg; break;
		case 'k': opt.kernel = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc || argc - optind > TRY_MAX)
		usage();
	for (; optind < argc; optind++, opt.ndom++)
		if (parse_spec(argv[optind], &opt.dom[opt.ndom]))
			usage();
}

int main(int argc, char **argv)
{
	char group[48];
	int err;

	log_init("sched-try", LL_WARN);
	parse_args(argc, argv);
	snprintf(group, sizeof(group), "sched-try-%d", (int)getpid());
	err = sched_init(group);
	if (err)
		goto fail;
	printf("backend=%s\n", sched_backend());
	for (int i = 0; i < opt.ndom && !err; i++)
		err = start_dom(&opt.dom[i], i);
	if (!err)
		err = wait_spinning();
	if (!err)
		err = read_all(0);
	if (!err) {
		sleep(opt.secs);
		err = read_all(1);
	}
	if (err)
		goto fail;
	report();
	stop_all();
	return 0;
fail:
	fprintf(stderr, "sched-try: %s\n", strerror(-err));
	stop_all();
	return 1;
}
