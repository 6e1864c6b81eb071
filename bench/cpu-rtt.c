/*
 * xvm-cpu-rtt: how long a cache line takes to go from one CPU to another
 * and back, in ns. Two threads, pinned to CPU A and CPU B, hand a counter
 * back and forth ROUNDS times; each round trip is timed on A, and the
 * minimum and the median are printed:
 *
 *   xvm-cpu-rtt [-n ROUNDS] CPU_A CPU_B
 *   cpu-rtt a=0 b=1 rounds=20000 min_ns=91 median_ns=140
 *
 * bench/guest-net runs it before each run: its PMD on CPU 0 writes every
 * frame into buffers the sink reads on CPU 1, so what a line costs to move
 * between the two CPUs is part of each frame's cost. Where a virtual
 * machine's vCPUs run on its host (one L3 or two) is not ours to choose,
 * and it changes; this says which it was (docs/bench.md, "1518 bytes: two
 * speeds"). Both threads spin: run it on CPUs nothing else needs for those
 * few milliseconds.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RTT_ROUNDS_DEFAULT	20000
#define RTT_ROUNDS_MAX		1000000

static struct {
	uint64_t v;
	char pad[56];
} line __attribute__((aligned(64)));

struct peer {
	int cpu;
	uint64_t rounds;
	int err;
};

static int pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* B: answers each odd value with the next even one. */
static void *rtt_peer(void *arg)
{
	struct peer *p = arg;

	p->err = pin(p->cpu);
	if (p->err) {
		__atomic_store_n(&line.v, UINT64_MAX, __ATOMIC_RELEASE);
		return NULL;
	}
	for (uint64_t i = 1; i <= p->rounds; i++) {
		while (__atomic_load_n(&line.v, __ATOMIC_ACQUIRE) != 2 * i - 1)
			__builtin_ia32_pause();
		__atomic_store_n(&line.v, 2 * i, __ATOMIC_RELEASE);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: xvm-cpu-rtt [-n ROUNDS] CPU_A CPU_B\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long rounds = RTT_ROUNDS_DEFAULT, a, b, ncpu = sysconf(_SC_NPROCESSORS_CONF);
	struct peer p;
	pthread_t t;
	uint64_t *d;
	int o, rc;

	while ((o = getopt(argc, argv, "n:")) != -1) {
		if (o != 'n')
			usage();
		if (parse_num(optarg, 1, RTT_ROUNDS_MAX, &rounds) < 0) {
			fprintf(stderr, "xvm-cpu-rtt: ROUNDS must be 1-%d\n", RTT_ROUNDS_MAX);
			return 2;
		}
	}
	if (argc - optind != 2)
		usage();
	if (ncpu < 1)
		ncpu = 1;
	if (parse_num(argv[optind], 0, ncpu - 1, &a) < 0 ||
	    parse_num(argv[optind + 1], 0, ncpu - 1, &b) < 0) {
		fprintf(stderr, "xvm-cpu-rtt: CPUs must be numbers 0-%ld\n", ncpu - 1);
		return 2;
	}
	if (a == b) {
		fprintf(stderr, "xvm-cpu-rtt: CPU_A and CPU_B must differ\n");
		return 2;
	}
	d = calloc((size_t)rounds, sizeof(*d));
	if (!d) {
		fprintf(stderr, "xvm-cpu-rtt: out of memory\n");
		return 1;
	}
	rc = pin((int)a);
	if (rc) {
		fprintf(stderr, "xvm-cpu-rtt: cannot run on CPU %ld: %s\n", a, strerror(rc));
		return 1;
	}
	p = (struct peer){ .cpu = (int)b, .rounds = (uint64_t)rounds };
	rc = pthread_create(&t, NULL, rtt_peer, &p);
	if (rc) {
		fprintf(stderr, "xvm-cpu-rtt: pthread_create: %s\n", strerror(rc));
		return 1;
	}
	for (uint64_t i = 1; i <= (uint64_t)rounds; i++) {
		uint64_t t0 = now_ns(), v;

		__atomic_store_n(&line.v, 2 * i - 1, __ATOMIC_RELEASE);
		while ((v = __atomic_load_n(&line.v, __ATOMIC_ACQUIRE)) != 2 * i) {
			if (v == UINT64_MAX)
				break;	/* the peer could not be pinned */
			__builtin_ia32_pause();
		}
		if (v == UINT64_MAX)
			break;
		d[i - 1] = now_ns() - t0;
	}
	pthread_join(t, NULL);
	if (p.err) {
		fprintf(stderr, "xvm-cpu-rtt: cannot run on CPU %ld: %s\n", b, strerror(p.err));
		return 1;
	}
	qsort(d, (size_t)rounds, sizeof(*d), cmp_u64);
	printf("cpu-rtt a=%ld b=%ld rounds=%ld min_ns=%llu median_ns=%llu\n", a, b,
	       rounds, (unsigned long long)d[0], (unsigned long long)d[rounds / 2]);
	free(d);
	return 0;
}
