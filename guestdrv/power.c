/*
 * power.c: power-off through ACPI S5 (SLP_TYPa | SLP_EN into PM1a_CNT,
 * ACPI 6.5 §4.8.3.2.1 and §7.4.2), reboot through the i8042 (pulse reset
 * line: command 0xFE) then the FADT RESET_REG, crash reports through the
 * pvpanic port (0x505, bit 0 "guest panicked"), and the ACPI power button
 * (PWRBTN_EN in PM1_EN, PWRBTN_STS in PM1_STS, §4.8.3.1). Works from ring 3
 * (IOPL 3); the final halt asks ring 0 (sys_halt) when needed.
 */
#include "minios.h"
#include "acpi.h"

#define PVPANIC_PORT		0x505
#define PVPANIC_PANICKED	1
#define I8042_CMD		0x64
#define I8042_RESET		0xfe
#define PM1_SCI_EN		(1u << 0)
#define PM1_SLP_EN		(1u << 13)
#define PM1_PWRBTN		(1u << 8)	/* STS and EN bit */
#define ACPI_ENABLE_WAIT_MS	1000

static bool power_button_on;

static unsigned int current_cpl(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static NORETURN void power_halt(void)
{
	console_flush();
	if (current_cpl() == 3)
		sys_halt();
	for (;;)
		__asm__ volatile("cli; hlt");
}

NORETURN void power_off(void)
{
	console_flush();
	if (acpi.pm1a_cnt && acpi.have_s5) {
		outw(acpi.pm1a_cnt, (uint16_t)((acpi.slp_typa & 7) << 10 | PM1_SLP_EN));
		delay_us(100000);
	}
	kprintf("guest: power-off failed (no usable ACPI S5); halting\n");
	power_halt();
}

static void power_acpi_reset(void)
{
	const struct acpi_gas *g = &acpi.reset_reg;

	if (!acpi.have_reset)
		return;
	if (g->space == 1 && g->address <= 0xffff)
		outb((uint16_t)g->address, acpi.reset_value);
	else if (g->space == 0 && g->address && g->address < MAPPED_END)
		mmio_write8((uintptr_t)g->address, acpi.reset_value);
	delay_us(100000);
}

NORETURN void power_reboot(void)
{
	console_flush();
	outb(I8042_CMD, I8042_RESET);
	delay_us(100000);
	power_acpi_reset();
	kprintf("guest: reboot failed; halting\n");
	power_halt();
}

NORETURN void power_crash(const char *why)
{
	kprintf("guest: crash: %s\n", why);
	console_flush();
	outb(PVPANIC_PORT, PVPANIC_PANICKED);
	power_halt();
}

/* SeaBIOS-style firmware leaves ACPI mode off: ask SMM to turn it on. */
static void power_acpi_enable(void)
{
	if (!acpi.smi_cmd || acpi.smi_cmd > 0xffff || !acpi.acpi_enable)
		return;
	if (inw(acpi.pm1a_cnt) & PM1_SCI_EN)
		return;
	outb((uint16_t)acpi.smi_cmd, acpi.acpi_enable);
	for (int ms = 0; ms < ACPI_ENABLE_WAIT_MS; ms += 10) {
		if (inw(acpi.pm1a_cnt) & PM1_SCI_EN)
			return;
		delay_us(10000);
	}
	kprintf("guest: warning: ACPI mode did not come on (SCI_EN clear)\n");
}

int power_button_init(void)
{
	uint16_t en_port;

	if (!acpi.pm1a_evt || !acpi.pm1a_cnt || acpi.pm1_evt_len < 4)
		return -ENODEV;
	power_acpi_enable();
	en_port = (uint16_t)(acpi.pm1a_evt + acpi.pm1_evt_len / 2);
	outw(en_port, inw(en_port) | PM1_PWRBTN);
	power_button_on = true;
	return 0;
}

void power_button_poll(void)
{
	if (!power_button_on || !(inw(acpi.pm1a_evt) & PM1_PWRBTN))
		return;
	outw(acpi.pm1a_evt, PM1_PWRBTN);	/* write 1 to clear */
	kprintf("guest: power button pressed\n");
	power_off();
}
