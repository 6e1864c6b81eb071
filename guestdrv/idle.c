/*
 * idle.c: sleeping instead of spinning when no workload has work to do.
 * Ring 3 cannot halt, so the main loop asks ring 0 (sys_request, SYS_IDLE)
 * to arm the local APIC timer for the next poll and `sti; hlt; cli`. The
 * timer is armed with interrupts off, so it cannot fire before the hlt;
 * the interrupt shadow of sti covers the hlt. A TSC-deadline timer is used
 * when CPUID offers one (Intel SDM vol. 3A §10.5.4.1), else a one-shot
 * timer calibrated against the TSC; with neither, the main loop spins.
 * Each sleep costs a few emulated ring-0 instructions, against a vCPU
 * spinning at 100% in ring 3.
 */
#include "minios.h"
#include "acpi.h"

#define LAPIC_DEFAULT		0xfee00000ULL
#define LAPIC_EOI		0x0b0
#define LAPIC_SVR		0x0f0
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_TIMER_INIT	0x380
#define LAPIC_TIMER_CUR		0x390
#define LAPIC_TIMER_DIV		0x3e0
#define SVR_ENABLE		0x100
#define SVR_SPURIOUS		0xff
#define LVT_MASKED		(1u << 16)
#define LVT_TSC_DEADLINE	(2u << 17)	/* timer mode bits 17-18 */
#define TIMER_DIV_1		0xb
#define MSR_TSC_DEADLINE	0x6e0
#define CPUID_TSC_DEADLINE	(1u << 24)	/* leaf 1, ECX */
#define CALIBRATE_US		10000
#define CALIBRATE_TRIES		10
#define CALIBRATE_PPM		10000	/* 1%: MMIO from ring 3 may be slow */
#define IDLE_MAX_NS		100000000u	/* longest single sleep: 100 ms */

enum idle_mode {
	IDLE_SPIN,		/* no usable timer: the main loop spins */
	IDLE_TSC_DEADLINE,
	IDLE_ONESHOT,
};

static enum idle_mode idle_mode;
static uintptr_t idle_lapic = LAPIC_DEFAULT;
static uint64_t idle_lapic_hz;		/* one-shot timer ticks per second */
volatile uint64_t idle_wakeups;

static void lapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(idle_lapic + reg, v);
}

static bool cpu_has_tsc_deadline(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	return r[2] & CPUID_TSC_DEADLINE;
}

/* One measurement of the one-shot timer (divide by 1): ticks per second
 * from two readings of its current count CALIBRATE_US apart, each
 * bracketed by TSC reads, so a vCPU held up between them (an emulator
 * on a busy host) costs nothing; 0 if it does not count. Its uncertainty,
 * in parts per million, in *err_ppm. */
static uint64_t idle_measure(uint64_t *err_ppm)
{
	uint64_t b0, a0, b1, a1, tsc;
	uint32_t c0, c1;

	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	b0 = rdtsc();
	c0 = mmio_read32(idle_lapic + LAPIC_TIMER_CUR);
	a0 = rdtsc();
	delay_us(CALIBRATE_US);
	b1 = rdtsc();
	c1 = mmio_read32(idle_lapic + LAPIC_TIMER_CUR);
	a1 = rdtsc();
	lapic_write(LAPIC_TIMER_INIT, 0);
	tsc = (b1 + a1) / 2 - (b0 + a0) / 2;
	if (c1 == 0 || c1 >= c0 || b1 <= a0 || tsc < 1000)
		return 0;
	*err_ppm = (a0 - b0 + a1 - b1) / 2 * 1000000 / tsc;
	/* kHz over thousands of TSC ticks: no 128-bit division here */
	return (uint64_t)(c0 - c1) * (clock_tsc_hz() / 1000) / (tsc / 1000);
}

/* Ticks of the one-shot timer per second, 0 if it does not count: the
 * first of up to CALIBRATE_TRIES measurements within CALIBRATE_PPM, else
 * the most precise. */
static uint64_t idle_calibrate(void)
{
	uint64_t hz, err = 0, best = 0, best_err = 0;

	lapic_write(LAPIC_TIMER_DIV, TIMER_DIV_1);
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | IDLE_VECTOR);
	for (int i = 0; i < CALIBRATE_TRIES; i++) {
		hz = idle_measure(&err);
		if (!hz)
			continue;
		if (!best || err < best_err) {
			best = hz;
			best_err = err;
		}
		if (err <= CALIBRATE_PPM)
			break;
	}
	return best;
}

const char *idle_init(void)
{
	if (acpi.lapic && acpi.lapic < MAPPED_END)
		idle_lapic = (uintptr_t)acpi.lapic;
	lapic_write(LAPIC_SVR, SVR_ENABLE | SVR_SPURIOUS);
	/* CPUID may claim TSC-deadline while the LAPIC refuses the mode (QEMU
	 * with kvm_pvm passing host CPUID bits through): read the LVT back. */
	if (cpu_has_tsc_deadline()) {
		lapic_write(LAPIC_LVT_TIMER, LVT_TSC_DEADLINE | IDLE_VECTOR);
		if (mmio_read32(idle_lapic + LAPIC_LVT_TIMER) & LVT_TSC_DEADLINE) {
			idle_mode = IDLE_TSC_DEADLINE;
			return "tsc-deadline";
		}
	}
	idle_lapic_hz = idle_calibrate();
	if (idle_lapic_hz < 1000000)
		return "none (polling)";
	lapic_write(LAPIC_LVT_TIMER, IDLE_VECTOR);
	idle_mode = IDLE_ONESHOT;
	return "lapic one-shot";
}

void idle_until(uint64_t deadline_ns)
{
	uint64_t now = clock_ns(), delta, arg;

	if (idle_mode == IDLE_SPIN || deadline_ns <= now) {
		cpu_relax();
		return;
	}
	/* Capped so the 64-bit products below cannot overflow. */
	delta = MIN(deadline_ns - now, IDLE_MAX_NS);
	if (idle_mode == IDLE_TSC_DEADLINE) {
		arg = rdtsc() + delta * clock_tsc_hz() / 1000000000u;
	} else {
		arg = delta * idle_lapic_hz / 1000000000u;
		arg = MAX(MIN(arg, 0xffffffffu), 1u);
	}
	sys_request(SYS_IDLE, arg);
}

/* Ring 0, interrupts off (SYS_IDLE from trap.c). */
void idle_sleep(uint64_t arg)
{
	if (idle_mode == IDLE_TSC_DEADLINE)
		wrmsr(MSR_TSC_DEADLINE, arg);
	else if (idle_mode == IDLE_ONESHOT)
		lapic_write(LAPIC_TIMER_INIT, (uint32_t)arg);
	else
		return;
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	/* Woken by something else: do not leave the timer armed. */
	if (idle_mode == IDLE_TSC_DEADLINE)
		wrmsr(MSR_TSC_DEADLINE, 0);
	else
		lapic_write(LAPIC_TIMER_INIT, 0);
}

/* Ring 0: the timer's interrupt. */
void idle_timer_irq(void)
{
	idle_wakeups++;
	lapic_write(LAPIC_EOI, 0);
}
