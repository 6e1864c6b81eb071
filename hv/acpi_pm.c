/*
 * ACPI fixed hardware (ACPI 6.4 §4.8 "ACPI Hardware Model", §4.8.3 "PM1
 * Event Grouping" and "PM1 Control Grouping", §4.8.3.3 "Power Management
 * Timer", §4.8.3.6 "Reset Register"), at the ports the FADT announces:
 *
 *   ACPI_PM_PORT+0  PM1a_STS (2)  TMR_STS, PWRBTN_STS, WAK_STS (write 1 to clear)
 *   ACPI_PM_PORT+2  PM1a_EN  (2)  TMR_EN, GBL_EN, PWRBTN_EN, ...
 *   ACPI_PM_PORT+4  PM1a_CNT (2)  SCI_EN (always 1), SLP_TYP, SLP_EN
 *   ACPI_PM_PORT+8  PM_TMR   (4)  32-bit 3.579545 MHz counter
 *   ACPI_RESET_PORT (1)           reset register, claimed by pci.c
 *
 * The platform has no SMI_CMD: ACPI mode is always on. Writing SLP_EN with
 * SLP_TYP ACPI_SLP_TYP_S5 (the DSDT's \_S5) powers the domain off; other
 * sleep states are not offered and are ignored. The SCI is a level on GSI
 * ACPI_SCI_IRQ, high while any enabled status bit is set (here or in the
 * GPE0 block, pcihp.c). The timer never
 * sets TMR_STS (no overflow interrupt; the FADT says TMR_VAL_EXT).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "xvm/log.h"
#include "dev.h"

#define PM1_TMR_STS	0x0001
#define PM1_BM_STS	0x0010
#define PM1_GBL_STS	0x0020
#define PM1_PWRBTN_STS	0x0100
#define PM1_SLPBTN_STS	0x0200
#define PM1_RTC_STS	0x0400
#define PM1_WAK_STS	0x8000
#define PM1_STS_MASK	(PM1_TMR_STS | PM1_BM_STS | PM1_GBL_STS | \
			 PM1_PWRBTN_STS | PM1_SLPBTN_STS | PM1_RTC_STS | \
			 PM1_WAK_STS)
#define PM1_EN_MASK	(PM1_TMR_STS | PM1_GBL_STS | PM1_PWRBTN_STS | \
			 PM1_SLPBTN_STS | PM1_RTC_STS)

#define PM1_SCI_EN	0x0001
#define PM1_SLP_TYP_SHIFT 10
#define PM1_SLP_TYP	(7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN	0x2000
#define PM1_CNT_MASK	(0x0007 | PM1_SLP_TYP)	/* SCI_EN, BM_RLD, GBL_RLS */

struct acpi_pm {
	struct vm *vm;
	uint16_t sts, en, cnt;
	uint64_t tmr_base_ns;	/* clock value when the timer read 0 */
	uint64_t (*now_ns)(void);	/* CLOCK_MONOTONIC; tests stop it */
	int sci_level;
	int ext_level;		/* another SCI source: the GPE block (pcihp.c) */
};

/* A guest may request unsupported sleep states in a loop. */
static struct log_ratelimit pm_sleep_rl = LOG_RATELIMIT_INIT(5000, 2);

static uint64_t pm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t pm_ns_to_ticks(uint64_t ns)
{
	return ns / 1000000000ULL * ACPI_PM_TMR_HZ +
	       ns % 1000000000ULL * ACPI_PM_TMR_HZ / 1000000000ULL;
}

/* Rounded up, so that pm_ns_to_ticks(pm_ticks_to_ns(t)) == t. */
static uint64_t pm_ticks_to_ns(uint64_t t)
{
	return t / ACPI_PM_TMR_HZ * 1000000000ULL +
	       (t % ACPI_PM_TMR_HZ * 1000000000ULL + ACPI_PM_TMR_HZ - 1) /
	       ACPI_PM_TMR_HZ;
}

static uint32_t pm_timer(const struct acpi_pm *pm)
{
	return (uint32_t)pm_ns_to_ticks(pm->now_ns() - pm->tmr_base_ns);
}

static void pm_update_sci(struct acpi_pm *pm)
{
	int level = (pm->sts & pm->en & PM1_EN_MASK) != 0 || pm->ext_level;

	if (level == pm->sci_level)
		return;
	pm->sci_level = level;
	vm_irq_line(pm->vm, ACPI_SCI_IRQ, level);
}

static void pm_sleep(struct acpi_pm *pm)
{
	unsigned int typ = (pm->cnt & PM1_SLP_TYP) >> PM1_SLP_TYP_SHIFT;

	if (typ == ACPI_SLP_TYP_S5) {
		vm_request_stop(pm->vm, VM_STOP_POWEROFF,
				"guest entered ACPI S5");
		return;
	}
	log_ratelimited(&pm_sleep_rl, LL_WARN, "acpi_pm: sleep type %u "
			"requested; only S5 (%u) is supported, ignored", typ,
			ACPI_SLP_TYP_S5);
}

/* Byte i (0-11) of the register block as the guest sees it. */
static uint8_t pm_read_byte(const struct acpi_pm *pm, unsigned int i,
			    uint32_t tmr)
{
	uint16_t cnt = (pm->cnt & PM1_CNT_MASK) | PM1_SCI_EN;

	switch (i) {
	case 0: case 1: return (uint8_t)(pm->sts >> (8 * i));
	case 2: case 3: return (uint8_t)(pm->en >> (8 * (i - 2)));
	case 4: case 5: return (uint8_t)(cnt >> (8 * (i - 4)));
	case 8: case 9: case 10: case 11:
		return (uint8_t)(tmr >> (8 * (i - 8)));
	default: return 0;	/* 6, 7: not decoded */
	}
}

static uint64_t pm_read(void *opaque, uint64_t off, unsigned int size)
{
	struct acpi_pm *pm = opaque;
	uint32_t tmr = pm_timer(pm);
	uint64_t v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (uint64_t)pm_read_byte(pm, (unsigned int)off + i, tmr)
		     << (8 * i);
	return v;
}

/* Apply byte b to byte i of the block; returns true if SLP_EN was set. */
static bool pm_write_byte(struct acpi_pm *pm, unsigned int i, uint8_t b)
{
	unsigned int sh = 8 * (i & 1);
	uint16_t v = (uint16_t)(b << sh), keep = (uint16_t)(0xff00u >> sh);

	switch (i) {
	case 0: case 1:
		pm->sts &= ~(v & PM1_STS_MASK);	/* write 1 to clear */
		return false;
	case 2: case 3:
		pm->en = (uint16_t)((pm->en & keep) | (v & PM1_EN_MASK));
		return false;
	case 4: case 5:
		pm->cnt = (uint16_t)((pm->cnt & keep) | (v & PM1_CNT_MASK));
		return (v & PM1_SLP_EN) != 0;
	default:
		return false;	/* the timer is read-only */
	}
}

static void pm_write(void *opaque, uint64_t off, unsigned int size,
		     uint64_t val)
{
	struct acpi_pm *pm = opaque;
	bool sleep = false;

	for (unsigned int i = 0; i < size; i++)
		sleep |= pm_write_byte(pm, (unsigned int)off + i,
				       (uint8_t)(val >> (8 * i)));
	if (sleep)
		pm_sleep(pm);
	pm_update_sci(pm);
}

static const struct io_ops pm_io_ops = {
	.read = pm_read,
	.write = pm_write,
};

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pm->sts |= PM1_PWRBTN_STS;
	pm_update_sci(pm);
}

void acpi_pm_set_clock(struct acpi_pm *pm, uint64_t (*now_ns)(void))
{
	pm->now_ns = now_ns ? now_ns : pm_now_ns;
	pm->tmr_base_ns = pm->now_ns();
}

void acpi_pm_set_ext_sci(struct acpi_pm *pm, int level)
{
	pm->ext_level = level != 0;
	pm_update_sci(pm);
}

int acpi_pm_sci_level(const struct acpi_pm *pm)
{
	return pm->sci_level;
}

void acpi_pm_reset_write(struct vm *vm, uint8_t val)
{
	/* FADT RESET_VALUE is ACPI_RESET_VALUE (6: SYS_RST|RST_CPU, as on a
	 * PIIX4); Linux writes 2 first, then 6. */
	if (val == ACPI_RESET_VALUE || (val & 0x04))
		vm_request_stop(vm, VM_STOP_REBOOT, "ACPI reset register");
}

struct acpi_pm *acpi_pm_create(struct vm *vm)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));
	int rc;

	if (!pm)
		return NULL;
	pm->vm = vm;
	pm->now_ns = pm_now_ns;
	pm->tmr_base_ns = pm_now_ns();
	rc = io_register(vm, IO_SPACE_PIO, ACPI_PM_PORT, ACPI_PM_LEN,
			 &pm_io_ops, pm, "acpi_pm");
	if (rc < 0)
		goto fail;
	return pm;
fail:
	free(pm);
	errno = -rc;
	return NULL;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	if (!pm)
		return;
	io_unregister(pm->vm, IO_SPACE_PIO, ACPI_PM_PORT);
	free(pm);
}

/* ---- save/load ---- */

#define PM_SNAP_VERSION	1

static int pm_save(void *dev, struct snap_writer *w)
{
	struct acpi_pm *pm = dev;
	size_t mark;

	snap_section_begin(w, "acpi_pm", PM_SNAP_VERSION, &mark);
	snap_put_u16(w, pm->sts);
	snap_put_u16(w, pm->en);
	snap_put_u16(w, pm->cnt);
	/* The timer's 32-bit value; it continues from there on the peer. */
	snap_put_u32(w, pm_timer(pm));
	return snap_section_end(w, mark);
}

static int pm_load(void *dev, struct snap_reader *r)
{
	struct acpi_pm *pm = dev;
	uint16_t sts, en, cnt;
	uint32_t version, tmr;
	size_t outer;

	if (snap_section_open(r, "acpi_pm", PM_SNAP_VERSION, &version,
			      &outer) < 0)
		return -EINVAL;
	snap_get_u16(r, &sts);
	snap_get_u16(r, &en);
	snap_get_u16(r, &cnt);
	snap_get_u32(r, &tmr);
	if ((sts & ~PM1_STS_MASK) || (en & ~PM1_EN_MASK) ||
	    (cnt & ~PM1_CNT_MASK))
		snap_fail(r, "acpi_pm register out of range");
	if (snap_section_close(r, outer) < 0)
		return -EINVAL;
	pm->sts = sts;
	pm->en = en;
	pm->cnt = cnt;
	pm->tmr_base_ns = pm->now_ns() - pm_ticks_to_ns(tmr);
	pm_update_sci(pm);
	return 0;
}

const struct hv_device_ops acpi_pm_device_ops = {
	.name = "acpi_pm",
	.save = pm_save,
	.load = pm_load,
};

/* ---- the device table's entry (devices.c) ---- */

static int acpi_pm_dev_create(struct devices *d, const void *opts UNUSED)
{
	struct acpi_pm *pm = acpi_pm_create(devices_vm(d));

	if (!pm)
		return dev_create_error();
	return devices_add(d, pm, NULL);
}

static void acpi_pm_dev_destroy(void *dev)
{
	acpi_pm_destroy(dev);
}

const struct dev_type acpi_pm_dev_type = {
	.name = "acpi_pm",
	.create = acpi_pm_dev_create,
	.destroy = acpi_pm_dev_destroy,
	.snap = &acpi_pm_device_ops,
};
