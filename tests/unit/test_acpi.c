/* acpi, acpi_pm: the tables a guest finds and the PM registers it uses. */
#include <unistd.h>
#include "devtest.h"

#define PM(r)	(ACPI_PM_PORT + (r))

static uint32_t le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* The table at gpa: right signature, length inside memory, checksum 0. */
static const uint8_t *table(struct vm *vm, uint64_t gpa, const char *sig)
{
	const uint8_t *t = vm_gpa(vm, gpa, 36);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_FATAL(memcmp(t, sig, 4) == 0);
	CU_ASSERT_FATAL(le32(t + 4) >= 36);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vm_gpa(vm, gpa, le32(t + 4)));
	CU_ASSERT_EQUAL(acpi_checksum(t, le32(t + 4)), 0);
	CU_ASSERT(gpa >= ACPI_AREA_GPA &&
		  gpa + le32(t + 4) <= ACPI_AREA_GPA + ACPI_AREA_SIZE);
	return t;
}

static void check_madt(const uint8_t *m, unsigned int vcpus)
{
	uint32_t len = le32(m + 4), off = 44;
	unsigned int lapics = 0, ioapics = 0, sci_iso = 0;

	CU_ASSERT_EQUAL(le32(m + 36), LAPIC_GPA);
	while (off + 2 <= len && m[off + 1] >= 2) {
		const uint8_t *e = m + off;

		if (e[0] == 0) {
			CU_ASSERT_EQUAL(e[3], lapics);	/* APIC id = index */
			CU_ASSERT_EQUAL(le32(e + 4) & 1, 1);
			lapics++;
		} else if (e[0] == 1) {
			CU_ASSERT_EQUAL(e[2], vcpus);
			CU_ASSERT_EQUAL(le32(e + 4), IOAPIC_GPA);
			ioapics++;
		} else if (e[0] == 2 && e[3] == ACPI_SCI_IRQ) {
			CU_ASSERT_EQUAL(e[8] | e[9] << 8, 0x000d);
			sci_iso++;
		}
		off += e[1];
	}
	CU_ASSERT_EQUAL(off, len);
	CU_ASSERT_EQUAL(lapics, vcpus);
	CU_ASSERT_EQUAL(ioapics, 1);
	CU_ASSERT_EQUAL(sci_iso, 1);
}

/* \_S5's first element, decoded the way the PV guest does. */
static int dsdt_s5_typ(const uint8_t *d)
{
	uint32_t len = le32(d + 4);

	for (uint32_t i = 36; i + 9 < len; i++)
		if (memcmp(d + i, "_S5_", 4) == 0 && d[i + 4] == 0x12)
			return d[i + 7] == 0x0a ? d[i + 8] : d[i + 7];
	return -1;
}

/* \_SB.PS2K: _HID EisaId("PNP0303") and a _CRS with ports 0x60 and 0x64
 * (one byte each) and IRQ 1, as Linux's i8042 PNP driver reads them. */
static void check_kbd(const uint8_t *d)
{
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c,
				       0x41, 0xd0, 0x03, 0x03 };
	static const uint8_t crs[] = {
		0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01,
		0x47, 0x01, 0x64, 0x00, 0x64, 0x00, 0x01, 0x01,
		0x22, 0x02, 0x00, 0x79, 0x00 };
	uint32_t len = le32(d + 4);
	const uint8_t *dev = memmem(d, len, "PS2K", 4);

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	len -= (uint32_t)(dev - d);
	CU_ASSERT_PTR_NOT_NULL(memmem(dev, len, hid, sizeof(hid)));
	CU_ASSERT_PTR_NOT_NULL(memmem(dev, len, crs, sizeof(crs)));
	/* No PS/2 mouse: EisaId("PNP0F13") is nowhere. */
	CU_ASSERT_PTR_NULL(memmem(d, le32(d + 4), "\x41\xd0\x0f\x13", 4));
}

static void test_tables(void)
{
	for (unsigned int vcpus = 1; vcpus <= 64; vcpus *= 4) {
		struct vm *vm = devtest_vm(2u << 20, vcpus);
		const uint8_t *rsdp, *xsdt, *rsdt, *fadt, *dsdt;
		uint64_t gpa = 0;

		CU_ASSERT_EQUAL_FATAL(acpi_build(vm, &gpa), 0);
		CU_ASSERT_EQUAL(gpa, ACPI_RSDP_GPA);
		rsdp = vm_gpa(vm, gpa, 36);
		CU_ASSERT(memcmp(rsdp, "RSD PTR ", 8) == 0);
		CU_ASSERT_EQUAL(rsdp[15], 2);
		CU_ASSERT_EQUAL(acpi_checksum(rsdp, 20), 0);
		CU_ASSERT_EQUAL(acpi_checksum(rsdp, 36), 0);
		rsdt = table(vm, le32(rsdp + 16), "RSDT");
		xsdt = table(vm, le64(rsdp + 24), "XSDT");
		CU_ASSERT_EQUAL(le32(xsdt + 4), 36 + 2 * 8);
		CU_ASSERT_EQUAL(le32(rsdt + 36), le64(xsdt + 36));
		fadt = table(vm, le64(xsdt + 36), "FACP");
		CU_ASSERT_EQUAL(le32(fadt + 4), 276);
		CU_ASSERT_EQUAL(fadt[8], 6);
		CU_ASSERT_EQUAL(fadt[46], ACPI_SCI_IRQ);
		CU_ASSERT_EQUAL(le32(fadt + 48), 0);		/* no SMI_CMD */
		CU_ASSERT_EQUAL(le32(fadt + 56), ACPI_PM_PORT);
		CU_ASSERT_EQUAL(le32(fadt + 64), ACPI_PM_PORT + 4);
		CU_ASSERT_EQUAL(le32(fadt + 76), ACPI_PM_PORT + 8);
		CU_ASSERT_EQUAL(le64(fadt + 120), ACPI_RESET_PORT);
		CU_ASSERT_EQUAL(fadt[128], ACPI_RESET_VALUE);
		CU_ASSERT_EQUAL(le32(fadt + 112) & (1u << 20), 0); /* !HW_REDUCED */
		CU_ASSERT(memcmp(vm_gpa(vm, le64(fadt + 132), 4), "FACS", 4) == 0);
		CU_ASSERT_EQUAL(le32(fadt + 36), 0);	/* X_FIRMWARE_CTRL only */
		CU_ASSERT_EQUAL(le32(fadt + 40), le64(fadt + 140));
		dsdt = table(vm, le64(fadt + 140), "DSDT");
		CU_ASSERT_EQUAL(dsdt_s5_typ(dsdt), ACPI_SLP_TYP_S5);
		CU_ASSERT_PTR_NOT_NULL(memmem(dsdt, le32(dsdt + 4), "PCI0", 4));
		CU_ASSERT_PTR_NOT_NULL(memmem(dsdt, le32(dsdt + 4), "COM1", 4));
		check_kbd(dsdt);
		CU_ASSERT_PTR_NOT_NULL(memmem(dsdt, le32(dsdt + 4), "_PRT", 4));
		check_madt(table(vm, le64(xsdt + 44), "APIC"), vcpus);
		devtest_vm_free(vm);
	}
}

static void test_tables_refused(void)
{
	struct vm *vm = devtest_vm(512u << 10, 0);	/* area not in RAM */
	uint64_t gpa;

	CU_ASSERT_EQUAL(acpi_build(vm, &gpa), -EINVAL);	/* 0 vCPUs */
	vm->cfg.vcpus = 1;
	CU_ASSERT_EQUAL(acpi_build(vm, &gpa), -EFAULT);
	devtest_vm_free(vm);
}

static struct acpi_pm *pm_setup(struct vm **vm)
{
	struct acpi_pm *pm;

	*vm = devtest_vm(0, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(*vm);
	pm = acpi_pm_create(*vm);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pm);
	return pm;
}

static void test_pm_s5(void)
{
	struct vm *vm;
	struct acpi_pm *pm = pm_setup(&vm);

	CU_ASSERT_EQUAL(pio_in(vm, PM(4), 2) & 1, 1);		/* SCI_EN */
	pio_out(vm, PM(4), 2, 3u << 10 | 1u << 13);		/* S3: ignored */
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_NONE);
	pio_out(vm, PM(4), 2, (uint64_t)ACPI_SLP_TYP_S5 << 10);	/* no SLP_EN */
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_NONE);
	CU_ASSERT_EQUAL(pio_in(vm, PM(4), 2) & 0x2000, 0);	/* SLP_EN reads 0 */
	pio_out(vm, PM(4), 2, (uint64_t)ACPI_SLP_TYP_S5 << 10 | 1u << 13);
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_POWEROFF);
	acpi_pm_destroy(pm);
	devtest_vm_free(vm);
}

static void s3_loop(void *vm)
{
	for (int i = 0; i < 1000; i++)
		pio_out(vm, PM(4), 2, 3u << 10 | 1u << 13);
}

/* Unsupported sleep requests in a loop: a few log lines, not 1000. */
static void test_pm_sleep_log_flood(void)
{
	struct vm *vm;
	struct acpi_pm *pm = pm_setup(&vm);
	unsigned int lines = devtest_log_lines(s3_loop, vm);

	CU_ASSERT(lines >= 1 && lines <= 3);
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_NONE);
	acpi_pm_destroy(pm);
	devtest_vm_free(vm);
}

static void test_pm_s5_bytewise(void)
{
	struct vm *vm;
	struct acpi_pm *pm = pm_setup(&vm);

	/* SLP_TYP and SLP_EN both live in the high byte. */
	pio_out(vm, PM(5), 1, (ACPI_SLP_TYP_S5 << 2) | 0x20);
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_POWEROFF);
	acpi_pm_destroy(pm);
	devtest_vm_free(vm);
}

static void test_pm_power_button(void)
{
	struct vm *vm;
	struct acpi_pm *pm = pm_setup(&vm);

	acpi_pm_power_button(pm);
	CU_ASSERT_EQUAL(pio_in(vm, PM(0), 2) & 0x100, 0x100);	/* PWRBTN_STS */
	CU_ASSERT_EQUAL(acpi_pm_sci_level(pm), 0);		/* not enabled */
	pio_out(vm, PM(2), 2, 0x100);				/* PWRBTN_EN */
	CU_ASSERT_EQUAL(pio_in(vm, PM(2), 2), 0x100);
	CU_ASSERT_EQUAL(acpi_pm_sci_level(pm), 1);
	pio_out(vm, PM(0), 2, 0x0001);			/* clears another bit */
	CU_ASSERT_EQUAL(acpi_pm_sci_level(pm), 1);
	pio_out(vm, PM(0), 2, 0x0100);			/* write 1 to clear */
	CU_ASSERT_EQUAL(pio_in(vm, PM(0), 2) & 0x100, 0);
	CU_ASSERT_EQUAL(acpi_pm_sci_level(pm), 0);
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_NONE);
	acpi_pm_destroy(pm);
	devtest_vm_free(vm);
}

static uint64_t fake_ns;
static uint64_t fake_clock(void) { return fake_ns; }

static void test_pm_timer(void)
{
	struct vm *vm;
	struct acpi_pm *pm = pm_setup(&vm);
	uint32_t t0, t1;

	fake_ns = 5000000000ULL;
	acpi_pm_set_clock(pm, fake_clock);
	CU_ASSERT_EQUAL(pio_in(vm, PM(8), 4), 0);
	fake_ns += 1000000000ULL;				/* one second */
	CU_ASSERT_EQUAL(pio_in(vm, PM(8), 4), ACPI_PM_TMR_HZ);
	pio_out(vm, PM(8), 4, 0);				/* read-only */
	CU_ASSERT_EQUAL(pio_in(vm, PM(8), 4), ACPI_PM_TMR_HZ);
	acpi_pm_set_clock(pm, NULL);				/* real clock */
	t0 = (uint32_t)pio_in(vm, PM(8), 4);
	usleep(2000);
	t1 = (uint32_t)pio_in(vm, PM(8), 4);
	CU_ASSERT(t1 - t0 >= 2 * 3579 && t1 - t0 < 3579545);
	acpi_pm_destroy(pm);
	devtest_vm_free(vm);
}

static void test_pm_reset(void)
{
	struct vm *vm = devtest_vm(0, 1);

	acpi_pm_reset_write(vm, 0x02);
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_NONE);
	acpi_pm_reset_write(vm, ACPI_RESET_VALUE);
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_REBOOT);
	devtest_vm_free(vm);
}

static void test_pm_save_load(void)
{
	struct vm *va, *vb;
	struct acpi_pm *a = pm_setup(&va), *b = pm_setup(&vb);

	fake_ns = 1000;
	acpi_pm_set_clock(a, fake_clock);
	acpi_pm_set_clock(b, fake_clock);
	fake_ns += 123456789;
	pio_out(va, PM(2), 2, 0x100);
	acpi_pm_power_button(a);
	devtest_roundtrip(&acpi_pm_device_ops, a, b);
	CU_ASSERT_EQUAL(acpi_pm_sci_level(b), 1);
	CU_ASSERT_EQUAL(pio_in(vb, PM(8), 4), pio_in(va, PM(8), 4));
	acpi_pm_destroy(a);
	acpi_pm_destroy(b);
	devtest_vm_free(va);
	devtest_vm_free(vb);
}

static CU_TestInfo tests[] = {
	{ "tables", test_tables },
	{ "tables_refused", test_tables_refused },
	{ "pm_s5", test_pm_s5 },
	{ "pm_sleep_log_flood", test_pm_sleep_log_flood },
	{ "pm_s5_bytewise", test_pm_s5_bytewise },
	{ "pm_power_button", test_pm_power_button },
	{ "pm_timer", test_pm_timer },
	{ "pm_reset", test_pm_reset },
	{ "pm_save_load", test_pm_save_load },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(acpi, NULL, NULL, tests);
