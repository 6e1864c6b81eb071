/*
 * clock.c: time. With KVM's paravirtual clock (CPUID 0x40000000
 * "KVMKVMKVM", feature KVM_FEATURE_CLOCKSOURCE2 at 0x40000001) ring 0
 * writes MSR_KVM_SYSTEM_TIME_NEW once; afterwards ring 3 reads the pvclock
 * structure and the TSC natively (Linux Documentation/virt/kvm/x86/msr.rst,
 * "pvclock_vcpu_time_info"). Without it the TSC is calibrated against PIT
 * channel 2 (pit_calibrate()).
 */
#include "minios.h"

#define KVM_CPUID_SIGNATURE	0x40000000
#define KVM_CPUID_FEATURES	0x40000001
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01
#define PIT_HZ			1193182ULL
#define PIT_CAL_TICKS		11932	/* 10 ms */
#define PIT_CAL_TRIES		20
#define NS_PER_SEC		1000000000ULL

struct pvclock_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

static struct pvclock_vcpu_time_info pvclock __attribute__((aligned(64)));
static bool clock_kvm;
static uint64_t clock_hz;
static uint64_t clock_tsc0;		/* TSC at calibration (PIT mode) */
static uint64_t clock_mult;		/* ns per TSC tick, 32.32 fixed point */
static uint64_t clock_ns0;		/* pvclock time at init */

static bool kvm_clock_present(void)
{
	uint32_t r[4];

	cpuid(KVM_CPUID_SIGNATURE, 0, r);
	if (r[1] != 0x4b4d564b || r[2] != 0x564b4d56 || r[3] != 0x0000004d)
		return false;		/* "KVMK" "VMKV" "M\0\0\0" */
	if (r[0] < KVM_CPUID_FEATURES)
		return false;
	cpuid(KVM_CPUID_FEATURES, 0, r);
	return r[0] & KVM_FEATURE_CLOCKSOURCE2;
}

static uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

static uint64_t pvclock_read(void)
{
	uint32_t v;
	uint64_t ns;

	do {
		v = READ_ONCE(pvclock.version);
		rmb();
		ns = pvclock.system_time +
		     pvclock_scale(rdtsc() - pvclock.tsc_timestamp,
				   pvclock.tsc_to_system_mul, pvclock.tsc_shift);
		rmb();
	} while ((v & 1) || v != READ_ONCE(pvclock.version));
	return ns;
}

static int kvm_clock_init(void)
{
	uint64_t hz;

	wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)(uintptr_t)&pvclock | 1);
	for (int i = 0; i < 1000000 && !READ_ONCE(pvclock.tsc_to_system_mul); i++)
		cpu_relax();
	if (!pvclock.tsc_to_system_mul)
		return -ENODEV;
	/* ns = (tsc << shift) * mul >> 32, so hz = 1e9 << 32 / mul >> shift. */
	hz = (NS_PER_SEC << 32) / pvclock.tsc_to_system_mul;
	if (pvclock.tsc_shift >= 0)
		hz >>= pvclock.tsc_shift;
	else
		hz <<= -pvclock.tsc_shift;
	clock_hz = hz;
	clock_kvm = true;
	clock_ns0 = pvclock_read();
	return 0;
}

/* One reading of PIT channel 2: the count latched at some instant
 * between the two TSC reads, and whether OUT2 had gone high (mode 0:
 * the count reached 0 and wrapped). */
struct pit_sample {
	uint64_t before, after;
	uint16_t count;
	bool out;
};

static void pit_sample(struct pit_sample *s)
{
	uint8_t lo, hi;

	s->before = rdtsc();
	outb(0x43, 0x80);			/* latch channel 2's count */
	lo = inb(0x42);
	hi = inb(0x42);
	s->out = inb(0x61) & 0x20;
	s->after = rdtsc();
	s->count = (uint16_t)(lo | hi << 8);
}

/* One measurement over at least PIT_CAL_TICKS: the TSC's rate in *hz,
 * the TSC ticks between the two latches (midpoints of their brackets) in
 * *tsc and their uncertainty (half the brackets' widths) in *err. A vCPU
 * held up between the samples costs nothing; one held up inside a
 * bracket shows as a large *err. */
static int pit_measure(uint64_t *hz, uint64_t *tsc, uint64_t *err)
{
	struct pit_sample s0, s1;
	int spins = 0;

	outb(0x43, 0xb0);			/* ch 2, lo/hi, mode 0 */
	outb(0x42, 0xff);
	outb(0x42, 0xff);
	pit_sample(&s0);
	do {
		if (++spins > 1000000)
			return -ETIMEDOUT;
		pit_sample(&s1);
	} while (!s1.out && (int)s0.count - (int)s1.count < PIT_CAL_TICKS);
	if (s1.out || s0.out || (int)s0.count - (int)s1.count < PIT_CAL_TICKS)
		return -EBUSY;			/* wrapped, or a stale first count */
	if (s1.before <= s0.after)
		return -EIO;
	*tsc = (s1.before + s1.after) / 2 - (s0.before + s0.after) / 2;
	*err = (s0.after - s0.before + s1.after - s1.before) / 2;
	*hz = *tsc * PIT_HZ / (uint64_t)(s0.count - s1.count);
	return 0;
}

/*
 * The TSC against PIT channel 2 (8254 mode 0, gate through port 0x61),
 * by latched counts bracketed by TSC reads, not by polling for the end
 * of a countdown: under an emulator on a busy host (QEMU's TCG) each
 * port access may wait milliseconds, and a countdown whose end is seen
 * late made the TSC look several times faster (a guest clock running
 * that much slow). Up to PIT_CAL_TRIES measurements; the first whose
 * uncertainty is under 0.1% is taken, else the most precise.
 */
static int pit_calibrate(void)
{
	uint8_t gate = inb(0x61);
	uint64_t hz, tsc, err, best_hz = 0, best_tsc = 0, best_err = 0;
	int rc = -EIO;

	outb(0x61, (gate & ~0x02) | 0x01);	/* speaker off, gate on */
	for (int i = 0; i < PIT_CAL_TRIES; i++) {
		rc = pit_measure(&hz, &tsc, &err);
		if (rc == -ETIMEDOUT)
			break;
		if (rc < 0)
			continue;
		/* err/tsc < best_err/best_tsc, without dividing */
		if (!best_hz || (unsigned __int128)err * best_tsc <
				(unsigned __int128)best_err * tsc) {
			best_hz = hz;
			best_tsc = tsc;
			best_err = err;
		}
		if (err * 1000 <= tsc)
			break;
	}
	outb(0x61, gate);
	if (!best_hz)
		return rc < 0 ? rc : -EIO;
	clock_hz = best_hz;
	return 0;
}

int clock_init(void)
{
	int rc;

	if (kvm_clock_present() && kvm_clock_init() == 0)
		return 0;
	rc = pit_calibrate();
	if (rc < 0)
		clock_hz = 1000000000ULL;	/* guess: 1 GHz */
	clock_tsc0 = rdtsc();
	clock_mult = (NS_PER_SEC << 32) / clock_hz;
	return rc;
}

uint64_t clock_ns(void)
{
	if (clock_kvm)
		return pvclock_read() - clock_ns0;
	return (uint64_t)(((unsigned __int128)(rdtsc() - clock_tsc0) * clock_mult) >> 32);
}

uint64_t clock_tsc_hz(void)
{
	return clock_hz;
}

const char *clock_source(void)
{
	return clock_kvm ? "kvmclock" : "pit";
}

void delay_us(uint64_t us)
{
	uint64_t end = clock_ns() + us * 1000;

	while (clock_ns() < end)
		cpu_relax();
}
