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

/* dirty: writes one word in each of dirty_mbps MiB of pages a second
 * (a memory-dirtying load for live migration: every page written is a
 * page the next round must send again), cycling through dirty_mib MiB
 * of the free RAM above the kernel (default: all of it). The pace is
 * kept against the clock in 1 ms steps (caught up at each step; an idle
 * guest steps every 10 ms tick); after a pause (a migration's
 * switch-over) it goes on from the current time, without a burst.
 * Every second: "guest: dirty t=<s> pages=<n>" (pages written in it). */
extern char __kernel_end[];

static struct {
	uint64_t base, npages, per_sec, start, next_report, due, idx, count;
} dw;

static void dirty_start(void)
{
	uint64_t lo = ((uint64_t)(uintptr_t)__kernel_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint64_t hi = 0, want = cmdline_num("dirty_mib") << 20;

	for (unsigned int i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_range *m = &boot_info.mem[i];

		if (m->type == E820_RAM && lo >= m->addr && lo < m->addr + m->size)
			hi = MIN(m->addr + m->size, MAPPED_END) & ~(PAGE_SIZE - 1);
	}
	dw.per_sec = cmdline_num("dirty_mbps") << 8;	/* MiB/s in pages/s */
	if (hi <= lo || !dw.per_sec) {
		kprintf("guest: dirty: %s\n", hi <= lo ? "no free RAM above the kernel"
			: "dirty_mbps= must be at least 1");
		dw.per_sec = 0;
		return;
	}
	dw.base = lo;
	dw.npages = (hi - lo) / PAGE_SIZE;
	if (want && want / PAGE_SIZE < dw.npages)
		dw.npages = want / PAGE_SIZE;
	dw.start = dw.due = clock_ns();
	dw.next_report = dw.start + NS_PER_SEC;
	kprintf("guest: dirty: %lu MiB/s over %lu MiB at 0x%lx\n",
		dw.per_sec >> 8, dw.npages >> 8, dw.base);
}

static bool dirty_step(uint64_t now)
{
	uint64_t n;

	if (!dw.per_sec)
		return false;
	/* 1 ms of pages per millisecond passed; more than 100 ms behind
	 * (a pause) starts afresh from now */
	if (now > dw.due && now - dw.due > NS_PER_SEC / 10)
		dw.due = now;
	n = 0;
	while (dw.due <= now) {
		n += dw.per_sec / 1000;
		dw.due += NS_PER_SEC / 1000;
	}
	for (uint64_t i = 0; i < n; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)
			(dw.base + (dw.idx % dw.npages) * PAGE_SIZE);

		*p = dw.idx++ ^ now;
	}
	dw.count += n;
	if (now >= dw.next_report) {
		kprintf("guest: dirty t=%lu pages=%lu\n",
			(now - dw.start) / NS_PER_SEC, dw.count);
		dw.count = 0;
		dw.next_report += NS_PER_SEC;
		if (dw.next_report <= now)
			dw.next_report = now + NS_PER_SEC;
	}
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
	{ .name = "dirty", .start = dirty_start, .step = dirty_step },
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
