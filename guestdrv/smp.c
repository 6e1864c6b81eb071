/*
 * smp.c: starts the application processors listed in the MADT with the
 * INIT-SIPI-SIPI sequence through the xAPIC (Intel SDM vol. 3A §8.4.4.1,
 * MultiProcessor Specification 1.4 §B.4). Each AP runs the real-mode
 * trampoline copied below 1 MiB (boot.S), reaches long mode on its own
 * stack, checks in here (ap_main) and parks with cli; hlt. The BSP runs
 * this from ring 3 (the LAPIC page is user-accessible like all of memory).
 */
#include "minios.h"
#include "acpi.h"

#define AP_TRAMP_ADDR		0x8000
#define LAPIC_DEFAULT		0xfee00000ULL
#define LAPIC_ID		0x020
#define LAPIC_SVR		0x0f0
#define SVR_ENABLE		0x100
#define SVR_SPURIOUS		0xff
#define LAPIC_ICR_LO		0x300
#define LAPIC_ICR_HI		0x310
#define ICR_INIT		0x00004500	/* INIT, level assert */
#define ICR_SIPI		0x00004600	/* start-up */
#define ICR_BUSY		(1u << 12)
#define AP_WAIT_MS		2000
#define AP_STAGE_OFF		0xf00	/* boot.S: furthest stage an AP reached */

extern const char ap_tramp_start[], ap_tramp_end[];

static uintptr_t smp_lapic = LAPIC_DEFAULT;
static volatile uint32_t ap_online;
static volatile uint8_t ap_seen[256];	/* by APIC id */

static uint32_t lapic_id(void)
{
	return mmio_read32(smp_lapic + LAPIC_ID) >> 24;
}

/* Runs on each AP in ring 0, on its own stack (boot.S ap_start64). */
void ap_main(void)
{
	uint32_t id;

	cpu_load_idt();
	id = lapic_id();
	if (id < ARRAY_SIZE(ap_seen))
		ap_seen[id] = 1;
	__atomic_fetch_add(&ap_online, 1, __ATOMIC_SEQ_CST);
}

static int lapic_send_ipi(uint32_t apic_id, uint32_t icr)
{
	mmio_write32(smp_lapic + LAPIC_ICR_HI, apic_id << 24);
	mmio_write32(smp_lapic + LAPIC_ICR_LO, icr);
	for (int i = 0; i < 1000; i++) {
		if (!(mmio_read32(smp_lapic + LAPIC_ICR_LO) & ICR_BUSY))
			return 0;
		delay_us(10);
	}
	return -ETIMEDOUT;
}

static void smp_start_one(uint32_t apic_id)
{
	uint32_t vector = AP_TRAMP_ADDR >> 12;

	if (lapic_send_ipi(apic_id, ICR_INIT) < 0)
		goto fail;
	delay_us(10000);
	for (int i = 0; i < 2; i++) {
		if (lapic_send_ipi(apic_id, ICR_SIPI | vector) < 0)
			goto fail;
		delay_us(200);
	}
	return;
fail:
	kprintf("guest: warning: IPI to APIC id %u not delivered\n", apic_id);
}

static bool smp_all_in(unsigned int want)
{
	return READ_ONCE(ap_online) >= want;
}

static void smp_report_missing(uint32_t bsp)
{
	static const char *const stage[] = {
		"never ran the trampoline", "reached real mode",
		"reached protected mode", "reached long mode",
	};
	uint32_t st = READ_ONCE(*(volatile uint32_t *)(AP_TRAMP_ADDR + AP_STAGE_OFF));

	kprintf("guest: warning: furthest AP stage: %s\n",
		st < ARRAY_SIZE(stage) ? stage[st] : "unknown");
	for (unsigned int i = 0; i < MIN(acpi.nr_cpus, (unsigned int)MAX_CPUS); i++) {
		uint32_t id = acpi.apic_ids[i];

		if (id != bsp && (id >= ARRAY_SIZE(ap_seen) || !ap_seen[id]))
			kprintf("guest: warning: vCPU with APIC id %u did not check in\n", id);
	}
}

unsigned int smp_start(void)
{
	unsigned int n = MIN(acpi.nr_cpus, (unsigned int)MAX_CPUS), want = 0;
	size_t tlen = (size_t)(ap_tramp_end - ap_tramp_start);
	uint32_t bsp;
	uint64_t deadline;

	if (n <= 1)
		return 1;
	if (acpi.lapic && acpi.lapic < MAPPED_END)
		smp_lapic = (uintptr_t)acpi.lapic;
	if (boot_info.nr_mem && !pvh_is_ram(AP_TRAMP_ADDR, PAGE_SIZE)) {
		kprintf("guest: warning: no RAM at %#x for the AP trampoline\n", AP_TRAMP_ADDR);
		return 1;
	}
	memcpy((void *)AP_TRAMP_ADDR, ap_tramp_start, tlen);
	WRITE_ONCE(*(volatile uint32_t *)(AP_TRAMP_ADDR + AP_STAGE_OFF), 0);
	/* Without firmware the LAPIC may still be software-disabled. */
	mmio_write32(smp_lapic + LAPIC_SVR, SVR_ENABLE | SVR_SPURIOUS);
	bsp = lapic_id();
	for (unsigned int i = 0; i < n; i++) {
		if (acpi.apic_ids[i] == bsp || acpi.apic_ids[i] > 0xff)
			continue;
		smp_start_one(acpi.apic_ids[i]);
		want++;
	}
	deadline = clock_ns() + AP_WAIT_MS * 1000000ULL;
	while (!smp_all_in(want) && clock_ns() < deadline)
		cpu_relax();
	if (!smp_all_in(want))
		smp_report_missing(bsp);
	if (acpi.nr_cpus > MAX_CPUS)
		kprintf("guest: warning: %u vCPUs listed, only %u started\n",
			acpi.nr_cpus, MAX_CPUS);
	return 1 + READ_ONCE(ap_online);
}
