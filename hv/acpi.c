/*
 * ACPI tables for the guest (ACPI 6.4 chapter 5): RSDP (revision 2),
 * RSDT and XSDT, FADT (revision 6), FACS, MADT and a DSDT whose AML we
 * emit ourselves (ACPI 6.4 §20 "ACPI Machine Language Specification").
 * They describe the fixed platform of vm.h and acpi_pm.c: PM1a event and
 * control blocks and the PM timer at ACPI_PM_PORT, the reset register at
 * ACPI_RESET_PORT, the SCI on GSI ACPI_SCI_IRQ (level, active high), no
 * SMI_CMD (ACPI is always enabled), \_S5 = ACPI_SLP_TYP_S5, a PCI host
 * bridge for bus 0 with the PCI_MMIO window and INTx routing (_PRT), COM1,
 * the i8042 keyboard, one local APIC per vCPU (APIC id = vCPU index) and
 * the in-kernel IOAPIC.
 *
 * Everything is written at ACPI_AREA_GPA (e820-reserved), RSDP first.
 * Multi-byte fields are little-endian: hv runs on x86 hosts only.
 */
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "pci.h"

#define ACPI_OEM_ID		"XVM   "
#define ACPI_CREATOR_ID		"XVM "
#define ACPI_MAX_VCPUS		255	/* 8-bit APIC ids (no x2APIC entries) */
#define ACPI_HDR_LEN		36
#define FADT_LEN		276	/* ACPI 6.0+ layout */
#define FACS_LEN		64
#define AML_MAX			4096

/* Generic Address Structure (ACPI 6.4 §5.2.3.2) address spaces. */
#define GAS_SYSTEM_IO		1

/* FADT flags (ACPI 6.4 Table 5.10). */
#define FADT_WBINVD		(1u << 0)
#define FADT_PROC_C1		(1u << 2)
#define FADT_SLP_BUTTON		(1u << 5)	/* no fixed sleep button */
#define FADT_FIX_RTC		(1u << 6)
#define FADT_TMR_VAL_EXT	(1u << 8)
#define FADT_RESET_REG_SUP	(1u << 10)

/* IA-PC boot architecture flags (ACPI 6.4 Table 5.11). */
#define BOOT_LEGACY_DEVICES	(1u << 0)
#define BOOT_8042		(1u << 1)
#define BOOT_VGA_NOT_PRESENT	(1u << 2)
#define BOOT_CMOS_RTC_NOT_PRESENT (1u << 5)

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *b++);
	return sum;
}

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* ---- placement inside ACPI_AREA ---- */

struct acpi_area {
	uint8_t *hva;
	uint64_t gpa;
	size_t size;
	size_t used;
};

/* len zeroed bytes aligned to align; NULL when the area is full. */
static uint8_t *acpi_alloc(struct acpi_area *a, size_t len, size_t align,
			   uint64_t *gpa)
{
	size_t off = ALIGN_UP(a->used, align);

	if (off > a->size || len > a->size - off)
		return NULL;
	a->used = off + len;
	*gpa = a->gpa + off;
	memset(a->hva + off, 0, len);
	return a->hva + off;
}

/* ACPI 6.4 §5.2.6 "System Description Table Header". */
static void acpi_header(uint8_t *t, const char *sig, uint32_t len,
			uint8_t rev)
{
	memcpy(t, sig, 4);
	put32(t + 4, len);
	t[8] = rev;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, "XVM-", 4);
	memcpy(t + 20, sig, 4);
	put32(t + 24, 1);			/* OEM revision */
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	put32(t + 32, 1);			/* creator revision */
}

static void acpi_finish(uint8_t *t, uint32_t len)
{
	t[9] = 0;
	t[9] = (uint8_t)-acpi_checksum(t, len);
}

/* ---- AML (ACPI 6.4 §20.2) ---- */

struct aml {
	uint8_t buf[AML_MAX];
	size_t len;
	bool overflow;
};

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || n > sizeof(a->buf) - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

/* A NameSeg (§20.2.2): 4 characters, short names padded with '_'. */
static void aml_nameseg(struct aml *a, const char *name)
{
	char seg[4] = { '_', '_', '_', '_' };

	if (name[0] == '\\') {
		aml_byte(a, '\\');
		name++;
	}
	memcpy(seg, name, MIN(strlen(name), sizeof(seg)));
	aml_bytes(a, seg, 4);
}

/* ComputationalData integers (§20.2.3): the shortest encoding. */
static void aml_int(struct aml *a, uint64_t v)
{
	uint8_t le[8];

	memcpy(le, &v, 8);
	if (v <= 1) {
		aml_byte(a, (uint8_t)v);		/* ZeroOp, OneOp */
	} else if (v <= 0xff) {
		aml_byte(a, 0x0a);			/* BytePrefix */
		aml_byte(a, (uint8_t)v);
	} else if (v <= 0xffff) {
		aml_byte(a, 0x0b);			/* WordPrefix */
		aml_bytes(a, le, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(a, 0x0c);			/* DWordPrefix */
		aml_bytes(a, le, 4);
	} else {
		aml_byte(a, 0x0e);			/* QWordPrefix */
		aml_bytes(a, le, 8);
	}
}

/* Open an object with a PkgLength (§20.2.4); 4 bytes are reserved and
 * the unused ones squeezed out by aml_pkg_end. */
static size_t aml_pkg_begin(struct aml *a)
{
	size_t mark = a->len;

	aml_bytes(a, "\0\0\0\0", 4);
	return mark;
}

static void aml_pkg_end(struct aml *a, size_t mark)
{
	size_t body, n, total;

	if (a->overflow)
		return;
	body = a->len - mark - 4;
	n = body + 1 < 0x40 ? 1 : body + 2 < 0x1000 ? 2 :
	    body + 3 < 0x100000 ? 3 : 4;
	total = body + n;
	memmove(a->buf + mark + n, a->buf + mark + 4, body);
	a->len -= 4 - n;
	if (n == 1) {
		a->buf[mark] = (uint8_t)total;
		return;
	}
	a->buf[mark] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
	for (size_t i = 1; i < n; i++)
		a->buf[mark + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

/* EISA id "PNP0A03" as a DWordConst (§19.6.35 EISAID). */
static void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = ((uint32_t)(id[0] & 0x1f) << 26) |
		     ((uint32_t)(id[1] & 0x1f) << 21) |
		     ((uint32_t)(id[2] & 0x1f) << 16) |
		     (uint32_t)strtoul(id + 3, NULL, 16);

	aml_byte(a, 0x0c);
	aml_byte(a, (uint8_t)(v >> 24));
	aml_byte(a, (uint8_t)(v >> 16));
	aml_byte(a, (uint8_t)(v >> 8));
	aml_byte(a, (uint8_t)v);
}

static void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_byte(a, 0x08);				/* NameOp */
	aml_nameseg(a, name);
	aml_int(a, v);
}

static void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_byte(a, 0x08);
	aml_nameseg(a, name);
	aml_eisaid(a, id);
}

/* Name(name, Buffer() { data }) */
static void aml_name_buffer(struct aml *a, const char *name,
			    const uint8_t *data, size_t n)
{
	size_t mark;

	aml_byte(a, 0x08);
	aml_nameseg(a, name);
	aml_byte(a, 0x11);				/* BufferOp */
	mark = aml_pkg_begin(a);
	aml_int(a, n);
	aml_bytes(a, data, n);
	aml_pkg_end(a, mark);
}

static size_t aml_device_begin(struct aml *a, const char *name)
{
	size_t mark;

	aml_byte(a, 0x5b);				/* ExtOpPrefix */
	aml_byte(a, 0x82);				/* DeviceOp */
	mark = aml_pkg_begin(a);
	aml_nameseg(a, name);
	return mark;
}

static size_t aml_scope_begin(struct aml *a, const char *name)
{
	size_t mark;

	aml_byte(a, 0x10);				/* ScopeOp */
	mark = aml_pkg_begin(a);
	aml_nameseg(a, name);
	return mark;
}

/* ---- resource descriptors (ACPI 6.4 §6.4) ---- */

struct res {
	uint8_t buf[128];
	size_t len;
};

static uint8_t *res_add(struct res *r, size_t n)
{
	uint8_t *p = r->buf + r->len;

	r->len += n;	/* callers add a fixed, small set */
	return p;
}

/* §6.4.2.5 I/O Port Descriptor, 16-bit decode. */
static void res_io(struct res *r, uint16_t base, uint8_t len)
{
	uint8_t *p = res_add(r, 8);

	p[0] = 0x47;
	p[1] = 0x01;
	put16(p + 2, base);
	put16(p + 4, base);
	p[6] = 1;
	p[7] = len;
}

/* §6.4.2.1 IRQ Descriptor without flags (edge, active high). */
static void res_irq(struct res *r, unsigned int irq)
{
	uint8_t *p = res_add(r, 3);

	p[0] = 0x22;
	put16(p + 1, (uint16_t)(1u << irq));
}

/* §6.4.3.5.3 Word Address Space Descriptor, producer, fixed min/max. */
static void res_word(struct res *r, uint8_t type, uint8_t tflags,
		     uint16_t min, uint16_t max)
{
	uint8_t *p = res_add(r, 16);

	p[0] = 0x88;
	put16(p + 1, 13);
	p[3] = type;		/* 1 I/O, 2 bus number */
	p[4] = 0x0c;		/* _MIF, _MAF */
	p[5] = tflags;
	put16(p + 8, min);
	put16(p + 10, max);
	put16(p + 14, (uint16_t)(max - min + 1));
}

/* §6.4.3.5.2 DWord Address Space Descriptor: read/write memory window. */
static void res_dword_mem(struct res *r, uint32_t min, uint32_t max)
{
	uint8_t *p = res_add(r, 26);

	p[0] = 0x87;
	put16(p + 1, 23);
	p[3] = 0;		/* memory */
	p[4] = 0x0c;
	p[5] = 0x01;		/* read/write, non-cacheable */
	put32(p + 10, min);
	put32(p + 14, max);
	put32(p + 22, max - min + 1);
}

static void res_end(struct res *r)
{
	uint8_t *p = res_add(r, 2);

	p[0] = 0x79;
	p[1] = 0;
}

/* Name(_PRT, Package() { Package() { 0xSSSSFFFF, pin, 0, GSI }, ... })
 * (ACPI 6.4 §6.2.13): every slot's INTA-INTD straight to IOAPIC inputs,
 * the routing pci_intx_gsi() implements. */
static void dsdt_prt(struct aml *a)
{
	size_t outer, inner;

	aml_byte(a, 0x08);
	aml_nameseg(a, "_PRT");
	aml_byte(a, 0x12);
	outer = aml_pkg_begin(a);
	aml_byte(a, (PCI_SLOTS - 1) * 4);
	for (unsigned int slot = 1; slot < PCI_SLOTS; slot++)
		for (unsigned int pin = 0; pin < 4; pin++) {
			aml_byte(a, 0x12);
			inner = aml_pkg_begin(a);
			aml_byte(a, 4);
			aml_int(a, (uint64_t)slot << 16 | 0xffff);
			aml_int(a, pin);
			aml_int(a, 0);
			aml_int(a, pci_intx_gsi(slot, pin));
			aml_pkg_end(a, inner);
		}
	aml_pkg_end(a, outer);
}

static void dsdt_pci0(struct aml *a)
{
	struct res r = { .len = 0 };
	size_t dev = aml_device_begin(a, "PCI0");

	aml_name_eisaid(a, "_HID", "PNP0A03");
	aml_name_int(a, "_UID", 0);
	aml_name_int(a, "_BBN", 0);
	dsdt_prt(a);
	res_word(&r, 2, 0, 0, 0);				/* bus 0 */
	res_io(&r, PCI_CONFIG_PORT, 8);
	res_word(&r, 1, 3, 0x0000, PCI_CONFIG_PORT - 1);
	res_word(&r, 1, 3, PCI_CONFIG_PORT + 8, 0xffff);
	res_dword_mem(&r, (uint32_t)PCI_MMIO_BASE, (uint32_t)(PCI_MMIO_END - 1));
	res_end(&r);
	aml_name_buffer(a, "_CRS", r.buf, r.len);
	aml_pkg_end(a, dev);
}

static void dsdt_com1(struct aml *a)
{
	struct res r = { .len = 0 };
	size_t dev = aml_device_begin(a, "COM1");

	aml_name_eisaid(a, "_HID", "PNP0501");
	aml_name_int(a, "_UID", 1);
	res_io(&r, COM1_PORT, 8);
	res_irq(&r, COM1_IRQ);
	res_end(&r);
	aml_name_buffer(a, "_CRS", r.buf, r.len);
	aml_pkg_end(a, dev);
}

/* The i8042's keyboard (PNP0303) and no PS/2 mouse device: Linux then
 * takes the ports and IRQ from here and does not probe for an AUX port,
 * which on a controller without one costs a long command timeout. */
static void dsdt_kbd(struct aml *a)
{
	struct res r = { .len = 0 };
	size_t dev = aml_device_begin(a, "PS2K");

	aml_name_eisaid(a, "_HID", "PNP0303");
	aml_name_int(a, "_UID", 0);
	res_io(&r, I8042_DATA_PORT, 1);
	res_io(&r, I8042_CMD_PORT, 1);
	res_irq(&r, 1);
	res_end(&r);
	aml_name_buffer(a, "_CRS", r.buf, r.len);
	aml_pkg_end(a, dev);
}

/* Name(\_S5, Package(4) { SLP_TYPa, SLP_TYPb, 0, 0 }) */
static void dsdt_s5(struct aml *a)
{
	size_t pkg;

	aml_byte(a, 0x08);
	aml_nameseg(a, "\\_S5_");
	aml_byte(a, 0x12);					/* PackageOp */
	pkg = aml_pkg_begin(a);
	aml_byte(a, 4);					/* NumElements */
	/* BytePrefix for the sleep types, as guests' simple parsers expect. */
	aml_byte(a, 0x0a);
	aml_byte(a, ACPI_SLP_TYP_S5);
	aml_byte(a, 0x0a);
	aml_byte(a, ACPI_SLP_TYP_S5);
	aml_int(a, 0);
	aml_int(a, 0);
	aml_pkg_end(a, pkg);
}

static int acpi_build_dsdt(struct acpi_area *ar, uint64_t *gpa)
{
	struct aml *a = calloc(1, sizeof(*a));
	uint8_t *t;
	size_t sb;
	int rc = -ENOSPC;

	if (!a)
		return -ENOMEM;
	dsdt_s5(a);
	sb = aml_scope_begin(a, "\\_SB_");
	dsdt_pci0(a);
	dsdt_com1(a);
	dsdt_kbd(a);
	aml_pkg_end(a, sb);
	if (a->overflow)
		goto fail;
	t = acpi_alloc(ar, ACPI_HDR_LEN + a->len, 16, gpa);
	if (!t)
		goto fail;
	acpi_header(t, "DSDT", (uint32_t)(ACPI_HDR_LEN + a->len), 2);
	memcpy(t + ACPI_HDR_LEN, a->buf, a->len);
	acpi_finish(t, (uint32_t)(ACPI_HDR_LEN + a->len));
	rc = 0;
fail:
	free(a);
	return rc;
}

/* ---- fixed tables ---- */

/* ACPI 6.4 §5.2.10 Firmware ACPI Control Structure. */
static int acpi_build_facs(struct acpi_area *ar, uint64_t *gpa)
{
	uint8_t *t = acpi_alloc(ar, FACS_LEN, 64, gpa);

	if (!t)
		return -ENOSPC;
	memcpy(t, "FACS", 4);
	put32(t + 4, FACS_LEN);
	t[32] = 2;				/* version */
	return 0;
}

/* ACPI 6.4 §5.2.3.2 Generic Address Structure, system I/O space. */
static void gas_io(uint8_t *p, uint8_t bits, uint8_t access, uint64_t port)
{
	p[0] = GAS_SYSTEM_IO;
	p[1] = bits;
	p[2] = 0;
	p[3] = access;				/* 1 byte, 2 word, 3 dword */
	put64(p + 4, port);
}

/* ACPI 6.4 §5.2.9 Fixed ACPI Description Table, Table 5.9 offsets. */
static int acpi_build_fadt(struct acpi_area *ar, uint64_t facs,
			   uint64_t dsdt, uint64_t *gpa)
{
	uint8_t *t = acpi_alloc(ar, FADT_LEN, 16, gpa);

	if (!t)
		return -ENOSPC;
	acpi_header(t, "FACP", FADT_LEN, 6);
	/* FIRMWARE_CTRL (36) stays 0: X_FIRMWARE_CTRL is set, and ACPI says
	 * then the 32-bit field must be 0. */
	put32(t + 40, (uint32_t)dsdt);
	put16(t + 46, ACPI_SCI_IRQ);
	/* SMI_CMD (48), ACPI_ENABLE/DISABLE stay 0: no SMM, ACPI mode only */
	put32(t + 56, ACPI_PM_PORT + ACPI_PM1_STS);	/* PM1a_EVT_BLK */
	put32(t + 64, ACPI_PM_PORT + ACPI_PM1_CNT);	/* PM1a_CNT_BLK */
	put32(t + 76, ACPI_PM_PORT + ACPI_PM_TMR);	/* PM_TMR_BLK */
	put32(t + 80, ACPI_GPE0_PORT);			/* GPE0_BLK */
	t[88] = 4;					/* PM1_EVT_LEN */
	t[89] = 2;					/* PM1_CNT_LEN */
	t[91] = 4;					/* PM_TMR_LEN */
	t[92] = 4;		/* GPE0_BLK_LEN: 2 status, 2 enable bytes (pcihp.c) */
	put16(t + 96, 101);				/* no C2 */
	put16(t + 98, 1001);				/* no C3 */
	put16(t + 109, BOOT_LEGACY_DEVICES | BOOT_8042 |
		       BOOT_VGA_NOT_PRESENT | BOOT_CMOS_RTC_NOT_PRESENT);
	put32(t + 112, FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON |
		       FADT_FIX_RTC | FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP);
	gas_io(t + 116, 8, 1, ACPI_RESET_PORT);		/* RESET_REG */
	t[128] = ACPI_RESET_VALUE;
	t[131] = 0;					/* FADT minor version */
	put64(t + 132, facs);				/* X_FIRMWARE_CTRL */
	put64(t + 140, dsdt);				/* X_DSDT */
	gas_io(t + 148, 32, 2, ACPI_PM_PORT + ACPI_PM1_STS);
	gas_io(t + 172, 16, 2, ACPI_PM_PORT + ACPI_PM1_CNT);
	gas_io(t + 208, 32, 3, ACPI_PM_PORT + ACPI_PM_TMR);
	gas_io(t + 220, 32, 1, ACPI_GPE0_PORT);		/* X_GPE0_BLK */
	memcpy(t + 268, "XVM-KVM ", 8);			/* hypervisor vendor */
	acpi_finish(t, FADT_LEN);
	return 0;
}

/* ACPI 6.4 §5.2.12 Multiple APIC Description Table. */
static int acpi_build_madt(struct acpi_area *ar, unsigned int vcpus,
			   uint64_t *gpa)
{
	uint32_t len = 44 + 8 * vcpus + 12 + 2 * 10 + 6;
	uint8_t *t = acpi_alloc(ar, len, 16, gpa), *p;

	if (!t)
		return -ENOSPC;
	acpi_header(t, "APIC", len, 4);
	put32(t + 36, (uint32_t)LAPIC_GPA);
	put32(t + 40, 1);				/* PCAT_COMPAT */
	p = t + 44;
	for (unsigned int i = 0; i < vcpus; i++, p += 8) {
		p[0] = 0;				/* Processor Local APIC */
		p[1] = 8;
		p[2] = (uint8_t)i;			/* ACPI processor UID */
		p[3] = (uint8_t)i;			/* APIC id */
		put32(p + 4, 1);			/* enabled */
	}
	p[0] = 1;					/* I/O APIC */
	p[1] = 12;
	p[2] = (uint8_t)vcpus;				/* IOAPIC id */
	put32(p + 4, (uint32_t)IOAPIC_GPA);
	put32(p + 8, 0);				/* GSI base */
	p += 12;
	p[0] = 2;					/* IRQ0 -> GSI2, bus default */
	p[1] = 10;
	p[3] = 0;
	put32(p + 4, 2);
	p += 10;
	p[0] = 2;					/* SCI: level, active high */
	p[1] = 10;
	p[3] = ACPI_SCI_IRQ;
	put32(p + 4, ACPI_SCI_IRQ);
	put16(p + 8, 0x000d);
	p += 10;
	p[0] = 4;					/* Local APIC NMI on LINT1 */
	p[1] = 6;
	p[2] = 0xff;					/* all processors */
	put16(p + 3, 0);
	p[5] = 1;
	acpi_finish(t, len);
	return 0;
}

/* RSDT (32-bit entries) and XSDT (64-bit), ACPI 6.4 §5.2.7, §5.2.8. */
static int acpi_build_sdt(struct acpi_area *ar, const char *sig,
			  unsigned int width, const uint64_t *ents,
			  unsigned int n, uint64_t *gpa)
{
	uint32_t len = ACPI_HDR_LEN + width * n;
	uint8_t *t = acpi_alloc(ar, len, 16, gpa);

	if (!t)
		return -ENOSPC;
	acpi_header(t, sig, len, 1);
	for (unsigned int i = 0; i < n; i++) {
		if (width == 4)
			put32(t + ACPI_HDR_LEN + 4 * i, (uint32_t)ents[i]);
		else
			put64(t + ACPI_HDR_LEN + 8 * i, ents[i]);
	}
	acpi_finish(t, len);
	return 0;
}

/* ACPI 6.4 §5.2.5.3 Root System Description Pointer, revision 2. */
static void acpi_build_rsdp(uint8_t *p, uint64_t rsdt, uint64_t xsdt)
{
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, ACPI_OEM_ID, 6);
	p[15] = 2;
	put32(p + 16, (uint32_t)rsdt);
	put32(p + 20, 36);
	put64(p + 24, xsdt);
	p[8] = (uint8_t)-acpi_checksum(p, 20);
	p[32] = (uint8_t)-acpi_checksum(p, 36);
}

int acpi_build(struct vm *vm, uint64_t *rsdp_gpa)
{
	struct acpi_area ar = { .gpa = ACPI_AREA_GPA, .size = ACPI_AREA_SIZE };
	uint64_t rsdp, dsdt, facs, fadt, madt, rsdt, xsdt, ents[2];
	unsigned int vcpus = vm->cfg.vcpus;
	uint8_t *rp;
	int rc;

	if (vcpus == 0 || vcpus > ACPI_MAX_VCPUS)
		return -EINVAL;
	ar.hva = vm_gpa(vm, ACPI_AREA_GPA, ACPI_AREA_SIZE);
	if (!ar.hva)
		return -EFAULT;
	rp = acpi_alloc(&ar, 36, 16, &rsdp);
	if ((rc = acpi_build_dsdt(&ar, &dsdt)) < 0 ||
	    (rc = acpi_build_facs(&ar, &facs)) < 0 ||
	    (rc = acpi_build_fadt(&ar, facs, dsdt, &fadt)) < 0 ||
	    (rc = acpi_build_madt(&ar, vcpus, &madt)) < 0)
		goto fail;
	ents[0] = fadt;
	ents[1] = madt;
	if ((rc = acpi_build_sdt(&ar, "RSDT", 4, ents, 2, &rsdt)) < 0 ||
	    (rc = acpi_build_sdt(&ar, "XSDT", 8, ents, 2, &xsdt)) < 0)
		goto fail;
	acpi_build_rsdp(rp, rsdt, xsdt);
	*rsdp_gpa = rsdp;
	log_debug("acpi: tables for %u vCPUs, %zu bytes at %#llx", vcpus,
		  ar.used, (unsigned long long)ACPI_AREA_GPA);
	return 0;
fail:
	log_err("acpi: tables do not fit in the ACPI area: %s", strerror(-rc));
	return rc;
}
