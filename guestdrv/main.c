/*
 * main.c: the guest's life. kmain() runs in ring 0 just long enough to
 * read the boot information, install the descriptor tables and start the
 * clock, then drops to ring 3 (IOPL 3, IF 0) in user_main(), which finds
 * the devices (ACPI, vCPUs, PCI, virtio-console), prints the ready line and
 * runs the workloads from a polling main loop. docs/guest.md has the story.
 */
#include "minios.h"
#include "acpi.h"
#include "cmdline.h"
#include "netwl.h"
#include "pci.h"
#include "virtio_console.h"
#include "workload.h"

#define USER_STACK_SIZE	65536
#define POLL_NS		10000000ULL	/* power button, console input: 10 ms */
#define MAX_WORKLOADS	8

static uint8_t user_stack[USER_STACK_SIZE] __attribute__((aligned(16), section(".noinit")));

static struct {
	const struct workload *w[MAX_WORKLOADS];
	bool done[MAX_WORKLOADS];
	unsigned int n;
	char names[128];
} run;

void kmain(uint32_t start_info)
{
	int rc;

	ns16550_init();
	kprintf("minios: xvm PV guest, PVH boot, x86-64\n");
	rc = pvh_parse(start_info);
	if (rc < 0)
		kprintf("guest: warning: no valid hvm_start_info at %#x (%d)\n",
			start_info, rc);
	cpu_init();
	rc = clock_init();
	kprintf("minios: clock %s, TSC %lu kHz%s\n", clock_source(),
		clock_tsc_hz() / 1000, rc < 0 ? " (calibration failed)" : "");
	enter_user(user_main, user_stack + USER_STACK_SIZE);
}

/* Fill run.w from workload=NAME[,NAME...]; unknown names are reported. */
static void workloads_select(const char *list)
{
	const char *p = list;

	while (*p) {
		size_t n = 0;
		const struct workload *w;

		while (p[n] && p[n] != ',')
			n++;
		w = n ? workload_find(p, n) : NULL;
		if (!w)
			kprintf("guest: warning: unknown workload '%.*s'\n", (int)n, p);
		else if (run.n == MAX_WORKLOADS)
			kprintf("guest: warning: too many workloads, '%.*s' ignored\n", (int)n, p);
		else
			run.w[run.n++] = w;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!run.n) {
		kprintf("guest: warning: no valid workload, running 'hello'\n");
		run.w[run.n++] = workload_find("hello", 5);
	}
	for (unsigned int i = 0; i < run.n; i++)
		snprintf(run.names + strlen(run.names), sizeof(run.names) - strlen(run.names),
			 "%s%s", i ? "," : "", run.w[i]->name);
}

static void devices_init(void)
{
	int rc;

	rc = acpi_init();
	if (rc < 0)
		kprintf("guest: warning: no ACPI tables (%d): no power-off, one vCPU\n", rc);
	else if (!acpi.have_s5)
		kprintf("guest: warning: no \\_S5 in the DSDT: power-off will fail\n");
	if (rc == 0 && power_button_init() < 0)
		kprintf("guest: warning: no ACPI power button\n");
	rc = pci_scan();
	kprintf("minios: pci: %d devices on bus 0\n", rc);
	rc = virtio_console_init();
	if (rc == 0)
		kprintf("minios: console: virtio-console\n");
	else if (rc != -ENODEV)
		kprintf("guest: warning: virtio-console failed (%d), staying on serial\n", rc);
	net_start();
	if (acpi.found && hotplug_init() == 0)
		kprintf("minios: pci: hot-plug controller found\n");
}

/* Hand a complete input line to the workloads that take input. */
static void input_line(const char *line)
{
	for (unsigned int i = 0; i < run.n; i++)
		if (!run.done[i] && run.w[i]->input)
			run.w[i]->input(line);
}

/* Read what input is waiting (a bounded amount per call) into lines;
 * over-long lines are cut. Input nobody takes is dropped. */
static void input_poll(void)
{
	static char line[128];
	static size_t len;
	int c;

	for (int i = 0; i < 256 && (c = console_getc()) >= 0; i++) {
		if (c == '\r' || c == '\n') {
			line[len] = '\0';
			if (len)
				input_line(line);
			len = 0;
		} else if (len < sizeof(line) - 1) {
			line[len++] = (char)c;
		}
	}
}

/* Interrupts we did not ask for are acknowledged in trap.c; say so here,
 * from ring 3, at most once every 10 s. */
static void stray_irq_report(uint64_t now)
{
	static uint64_t reported, next;
	uint64_t n = trap_stray_irqs;

	if (n == reported || now < next)
		return;
	kprintf("guest: warning: %lu unexpected interrupts (last vector %u)\n",
		n - reported, trap_last_irq);
	reported = n;
	next = now + (uint64_t)10 * 1000000000;
}

static void poll_slow(uint64_t now)
{
	power_button_poll();
	hotplug_poll();
	input_poll();
	stray_irq_report(now);
}

static NORETURN void main_loop(void)
{
	uint64_t next_poll = 0;

	for (;;) {
		uint64_t now = clock_ns();
		unsigned int active = 0, busy = 0;

		if (now >= next_poll) {
			poll_slow(now);
			next_poll = now + POLL_NS;
		}
		for (unsigned int i = 0; i < run.n; i++) {
			if (run.done[i])
				continue;
			if (!run.w[i]->step(now))
				run.done[i] = true;
			else if (run.w[i]->busy ||
				 (run.w[i]->is_busy && run.w[i]->is_busy(now)))
				busy++;
			else
				active++;
		}
		if (!active && !busy)
			power_off();
		if (!busy)
			idle_until(next_poll);
	}
}

NORETURN void user_main(void)
{
	unsigned int vcpus;

	cmdline_parse(boot_info.cmdline);
	devices_init();
	vcpus = acpi.found ? smp_start() : 1;
	kprintf("minios: idle timer: %s\n", idle_init());
	workloads_select(cmdline_str("workload"));
	kprintf("guest: ready mem=%lu vcpus=%u workload=%s\n",
		(boot_info.ram_bytes + ((uint64_t)1 << 19)) >> 20, vcpus, run.names);
	for (unsigned int i = 0; i < run.n; i++)
		run.w[i]->start();
	main_loop();
}
