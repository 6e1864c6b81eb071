/*
 * workload.c: the guest's workloads (docs/guest.md lists their output
 * lines; integration tests parse them). Each runs in ring 3 from the main
 * loop in slices; the guest powers off once every workload has finished.
 */
#include "minios.h"
#include "cmdline.h"
#include "netwl.h"
#include "workload.h"

#define NS_PER_SEC	((uint64_t)1000000000)
#define SPIN_CHUNK	(1u << 16)

static void hello_start(void)
{
	kprintf("guest: hello from minios\n");
}

static bool step_done(uint64_t now)
{
	(void)now;
	return false;
}

static bool step_forever(uint64_t now)
{
	(void)now;
	return true;
}

static struct {
	uint64_t start, next_report, last_report, iterations, secs;
} spin;

static void spin_start(void)
{
	spin.secs = cmdline_num("spin_secs");
	spin.start = spin.last_report = clock_ns();
	spin.next_report = spin.start + NS_PER_SEC;
}

static bool spin_step(uint64_t now)
{
	uint64_t x = spin.iterations;

	for (unsigned int i = 0; i < SPIN_CHUNK; i++) {
		x++;
		__asm__ volatile("" : "+r"(x));	/* keep every iteration */
	}
	spin.iterations = x;
	if (now < spin.next_report)
		return true;
	kprintf("guest: spin t=%lu iterations=%lu\n",
		(now - spin.start) / NS_PER_SEC, spin.iterations);
	spin.iterations = 0;
	spin.last_report = now;
	/* After a pause (or a slow console) do not print a burst. */
	spin.next_report += NS_PER_SEC;
	if (spin.next_report <= now)
		spin.next_report = now + NS_PER_SEC;
	return !(spin.secs && now - spin.start >= spin.secs * NS_PER_SEC);
}

static void panic_start(void)
{
	kprintf("guest: panic: requested by workload\n");
	power_crash("panic workload");
}

static void reboot_start(void)
{
	kprintf("guest: rebooting\n");
	power_reboot();
}

static void idle_start(void)
{
}

/* Touch memory we do not map: exercises the exception path (#PF from
 * ring 3: registers on the console, pvpanic, halt). */
static void fault_start(void)
{
	kprintf("guest: fault: touching unmapped memory\n");
	(void)*(volatile uint64_t *)(uintptr_t)(MAPPED_END + 0x1000);
}

/* Echo console input lines: checks the input path of the console. */
static void echo_input(const char *line)
{
	kprintf("guest: echo: %s\n", line);
}

/* memcheck: a counter and a memory pattern that must survive save and
 * restore (or migration): every second the pattern (a function of the
 * round) is verified, rewritten for the next round, and the counter
 * printed. A restored guest goes on counting from the saved value. */
#define MEMCHECK_WORDS	(64 * 1024 / 8)

static struct {
	uint64_t round, next, bad;
	uint64_t words[MEMCHECK_WORDS];
} mc;

static uint64_t mc_word(uint64_t round, uint64_t i)
{
	return (i * 0x9e3779b97f4a7c15ULL) ^ (round << 32) ^ 0x5a5a;
}

static void memcheck_start(void)
{
	for (uint64_t i = 0; i < MEMCHECK_WORDS; i++)
		mc.words[i] = mc_word(0, i);
	mc.next = clock_ns() + NS_PER_SEC;
}

static bool memcheck_step(uint64_t now)
{
	uint64_t bad = 0;

	if (now < mc.next)
		return true;
	for (uint64_t i = 0; i < MEMCHECK_WORDS; i++) {
		if (mc.words[i] != mc_word(mc.round, i))
			bad++;
		mc.words[i] = mc_word(mc.round + 1, i);
	}
	mc.round++;
	mc.bad += bad;
	kprintf("guest: memcheck n=%lu %s (%lu bad words)\n", mc.round,
		bad ? "BAD" : "ok", bad);
	mc.next += NS_PER_SEC;
	if (mc.next <= now)
		mc.next = now + NS_PER_SEC;
	return true;
}

static const struct workload workloads[] = {
	{ .name = "memcheck", .start = memcheck_start, .step = memcheck_step },
	{ .name = "hello", .start = hello_start, .step = step_done },
	{ .name = "spin", .start = spin_start, .step = spin_step, .busy = true },
	{ .name = "panic", .start = panic_start, .step = step_done },
	{ .name = "idle", .start = idle_start, .step = step_forever },
	{ .name = "reboot", .start = reboot_start, .step = step_done },
	{ .name = "fault", .start = fault_start, .step = step_done },
	{ .name = "echo", .start = idle_start, .step = step_forever,
	  .input = echo_input },
};

/* The network and disk workloads live in their own files (netwl.h,
 * blkwl.c). */
static const struct workload *const net_workloads[] = {
	&wl_ping, &wl_pinger, &wl_pktgen, &wl_sink, &wl_udpseq, &wl_badring,
	&wl_blkwrite, &wl_blkcheck, &wl_blkro, &wl_badblk, &wl_blkbench,
};

static bool workload_is(const struct workload *w, const char *name, size_t len)
{
	return strlen(w->name) == len && !strncmp(w->name, name, len);
}

const struct workload *workload_find(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(workloads); i++)
		if (workload_is(&workloads[i], name, len))
			return &workloads[i];
	for (size_t i = 0; i < ARRAY_SIZE(net_workloads); i++)
		if (workload_is(net_workloads[i], name, len))
			return net_workloads[i];
	return NULL;
}
