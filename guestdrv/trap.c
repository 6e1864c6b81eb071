/*
 * trap.c: ring-0 exception handling and the requests from ring 3 (sys_request).
 * An exception prints vector, name, error code and registers, reports a
 * crash through pvpanic and halts the vCPU (power_crash). Kept short: every
 * ring-0 instruction is emulated here (PLATFORM.md).
 */
#include "minios.h"

static const char *const trap_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint",
	"#OF overflow", "#BR bound range", "#UD invalid opcode",
	"#NM device not available", "#DF double fault",
	"coprocessor segment overrun", "#TS invalid TSS",
	"#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved 15",
	"#MF x87 error", "#AC alignment check", "#MC machine check",
	"#XM SIMD error", "#VE virtualization", "#CP control protection",
	"reserved 22", "reserved 23", "reserved 24", "reserved 25",
	"reserved 26", "reserved 27", "#HV hypervisor injection",
	"#VC VMM communication", "#SX security", "reserved 31",
};

#define LAPIC_EOI	0xfee000b0

static volatile int trap_depth;
volatile uint64_t trap_stray_irqs;
volatile uint8_t trap_last_irq;

static uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static void trap_print(const struct trap_frame *tf)
{
	kprintf("guest: exception %lu (%s) error=%#lx cpl=%lu\n",
		tf->vector, trap_names[tf->vector & 31], tf->error, tf->cs & 3);
	kprintf("  rip=%016lx cs=%04lx rflags=%016lx rsp=%016lx ss=%04lx\n",
		tf->rip, tf->cs, tf->rflags, tf->rsp, tf->ss);
	kprintf("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n",
		tf->rax, tf->rbx, tf->rcx, tf->rdx);
	kprintf("  rsi=%016lx rdi=%016lx rbp=%016lx r8 =%016lx\n",
		tf->rsi, tf->rdi, tf->rbp, tf->r8);
	kprintf("  r9 =%016lx r10=%016lx r11=%016lx r12=%016lx\n",
		tf->r9, tf->r10, tf->r11, tf->r12);
	kprintf("  r13=%016lx r14=%016lx r15=%016lx cr2=%016lx\n",
		tf->r13, tf->r14, tf->r15, read_cr2());
}

static NORETURN void trap_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void trap_syscall(struct trap_frame *tf)
{
	switch (tf->rax) {
	case SYS_HALT:
		console_flush();
		trap_halt();
	case SYS_IDLE:
		idle_sleep(tf->rdi);
		tf->rax = 0;
		break;
	default:
		tf->rax = (uint64_t)-EINVAL;
	}
}

/* We enable no interrupt source, but hypervisors may deliver one anyway
 * (kvm_pvm treats guest ring 3 as IF=1): acknowledge it and go on. */
static void trap_interrupt(struct trap_frame *tf)
{
	if (tf->vector == IDLE_VECTOR) {
		idle_timer_irq();
		return;
	}
	trap_stray_irqs++;
	trap_last_irq = (uint8_t)tf->vector;
	mmio_write32(LAPIC_EOI, 0);
}

/* #UD from ring 3 on `ud2; "xv"`: a sys_request(). */
static bool trap_is_request(const struct trap_frame *tf)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)tf->rip;

	if (tf->vector != 6 || (tf->cs & 3) != 3 || tf->rip >= MAPPED_END - 4)
		return false;
	return p[0] == 0x0f && p[1] == 0x0b && p[2] == SYSCALL_MAGIC0 &&
	       p[3] == SYSCALL_MAGIC1;
}

void trap_dispatch(struct trap_frame *tf)
{
	if (trap_is_request(tf)) {
		tf->rip += 4;		/* ud2 and the two magic bytes */
		trap_syscall(tf);
		return;
	}
	if (tf->vector >= 32) {
		trap_interrupt(tf);
		return;
	}
	/* A fault while printing a fault: serial only, then stop. */
	if (++trap_depth > 1) {
		console_force_serial();
		if (trap_depth > 2)
			trap_halt();
	}
	trap_print(tf);
	power_crash("exception");
}
