/*
 * acpi.c: reads the ACPI tables the guest needs (ACPI 6.5 §5.2): RSDP,
 * XSDT (or RSDT), FADT (PM1 blocks, RESET_REG, SMI_CMD/ACPI_ENABLE), the
 * DSDT's \_S5 package (SLP_TYPa for S5 power-off), and the MADT's enabled
 * processors (for SMP). Checksums and lengths are validated, and nothing
 * is read past a table's length or outside our 4 GiB map.
 */
#include "acpi.h"

#define ACPI_HDR_LEN		36
#define ACPI_MAX_TABLE		(4U << 20)
#define ACPI_MAX_ENTRIES	64
#define FADT_SMI_CMD		48
#define FADT_ACPI_ENABLE	52
#define FADT_PM1A_EVT		56
#define FADT_PM1A_CNT		64
#define FADT_GPE0_BLK		80
#define FADT_PM1_EVT_LEN	88
#define FADT_GPE0_BLK_LEN	92
#define FADT_FLAGS		112
#define FADT_RESET_REG		116
#define FADT_RESET_VALUE	128
#define FADT_X_DSDT		140
#define FADT_DSDT		40
#define FADT_F_RESET_REG_SUP	(1u << 10)
#define MADT_ENTRIES		44
#define MADT_LAPIC		0
#define MADT_X2APIC		9
#define AML_NAME_OP		0x08
#define AML_PACKAGE_OP		0x12
#define AML_BYTE_PREFIX		0x0a
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01

struct acpi_info acpi;

static bool acpi_mapped(uint64_t addr, uint64_t len)
{
	return addr && addr < MAPPED_END && len <= MAPPED_END - addr;
}

static uint8_t acpi_sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* A table at addr with a valid header, length and checksum, or NULL. */
static const uint8_t *acpi_table(uint64_t addr, const char *sig, uint32_t *len)
{
	const uint8_t *t;
	uint32_t l;

	if (!acpi_mapped(addr, ACPI_HDR_LEN))
		return NULL;
	t = (const uint8_t *)(uintptr_t)addr;
	l = get32(t + 4);
	if (l < ACPI_HDR_LEN || l > ACPI_MAX_TABLE || !acpi_mapped(addr, l))
		return NULL;
	if (sig && memcmp(t, sig, 4))
		return NULL;
	if (acpi_sum(t, l)) {
		kprintf("guest: acpi: %.4s at %#lx: bad checksum\n", (const char *)t, addr);
		return NULL;
	}
	*len = l;
	return t;
}

static const uint8_t *acpi_rsdp_check(uint64_t addr)
{
	const uint8_t *r = (const uint8_t *)(uintptr_t)addr;

	if (!acpi_mapped(addr, 36) || memcmp(r, "RSD PTR ", 8) || acpi_sum(r, 20))
		return NULL;
	if (r[15] >= 2 && (get32(r + 20) < 36 || get32(r + 20) > 4096 ||
			   !acpi_mapped(addr, get32(r + 20)) ||
			   acpi_sum(r, get32(r + 20))))
		return NULL;
	return r;
}

static const uint8_t *acpi_find_rsdp(void)
{
	const uint8_t *r;

	if (boot_info.rsdp && (r = acpi_rsdp_check(boot_info.rsdp)))
		return r;
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
		if ((r = acpi_rsdp_check(a)))
			return r;
	return NULL;
}

/* Decode an AML PkgLength (ACPI 6.5 §20.2.4); returns bytes used or 0. */
static size_t aml_pkg_length(const uint8_t *p, size_t avail)
{
	size_t n;

	if (!avail)
		return 0;
	n = 1 + (p[0] >> 6);
	return n <= avail ? n : 0;
}

int acpi_s5_decode(const uint8_t *aml, size_t len, uint8_t *slp_typa)
{
	for (size_t i = 0; i + 4 <= len; i++) {
		size_t p, pl;

		if (memcmp(aml + i, "_S5_", 4))
			continue;
		/* NameOp, optionally a root prefix '\', then the name. */
		if (!(i >= 1 && aml[i - 1] == AML_NAME_OP) &&
		    !(i >= 2 && aml[i - 1] == '\\' && aml[i - 2] == AML_NAME_OP))
			continue;
		p = i + 4;
		if (p >= len || aml[p] != AML_PACKAGE_OP)
			continue;
		p++;
		pl = aml_pkg_length(aml + p, len - p);
		if (!pl)
			return -EINVAL;
		p += pl + 1;		/* PkgLength, NumElements */
		if (p >= len)
			return -EINVAL;
		if (aml[p] == AML_BYTE_PREFIX && p + 1 < len)
			*slp_typa = aml[p + 1];
		else if (aml[p] == AML_ZERO_OP || aml[p] == AML_ONE_OP)
			*slp_typa = aml[p];
		else
			return -EINVAL;
		return 0;
	}
	return -ENODEV;
}

static void acpi_parse_dsdt(uint64_t addr)
{
	const uint8_t *t;
	uint32_t len;

	t = acpi_table(addr, "DSDT", &len);
	if (!t)
		return;
	if (acpi_s5_decode(t + ACPI_HDR_LEN, len - ACPI_HDR_LEN, &acpi.slp_typa) == 0)
		acpi.have_s5 = true;
}

static void acpi_parse_fadt(const uint8_t *t, uint32_t len)
{
	uint64_t dsdt = 0;

	if (len < FADT_PM1_EVT_LEN + 1)
		return;
	acpi.have_fadt = true;
	acpi.smi_cmd = get32(t + FADT_SMI_CMD);
	acpi.acpi_enable = t[FADT_ACPI_ENABLE];
	if (get32(t + FADT_PM1A_EVT) <= 0xffff)
		acpi.pm1a_evt = (uint16_t)get32(t + FADT_PM1A_EVT);
	if (get32(t + FADT_PM1A_CNT) <= 0xffff)
		acpi.pm1a_cnt = (uint16_t)get32(t + FADT_PM1A_CNT);
	acpi.pm1_evt_len = t[FADT_PM1_EVT_LEN];
	if (len >= FADT_GPE0_BLK_LEN + 1 && get32(t + FADT_GPE0_BLK) <= 0xffff) {
		acpi.gpe0_blk = (uint16_t)get32(t + FADT_GPE0_BLK);
		acpi.gpe0_len = t[FADT_GPE0_BLK_LEN];
	}
	if (len >= FADT_RESET_VALUE + 1 && (get32(t + FADT_FLAGS) & FADT_F_RESET_REG_SUP)) {
		const uint8_t *g = t + FADT_RESET_REG;

		acpi.reset_reg = (struct acpi_gas){ g[0], g[1], g[2], g[3], get64(g + 4) };
		acpi.reset_value = t[FADT_RESET_VALUE];
		acpi.have_reset = true;
	}
	if (len >= FADT_X_DSDT + 8)
		dsdt = get64(t + FADT_X_DSDT);
	if (!dsdt)
		dsdt = get32(t + FADT_DSDT);
	acpi_parse_dsdt(dsdt);
}

static void acpi_add_cpu(uint32_t apic_id, uint32_t flags)
{
	if (!(flags & 1))
		return;		/* not enabled */
	if (acpi.nr_cpus < MAX_CPUS)
		acpi.apic_ids[acpi.nr_cpus] = apic_id;
	acpi.nr_cpus++;
}

static void acpi_parse_madt(const uint8_t *t, uint32_t len)
{
	uint32_t off = MADT_ENTRIES;

	if (len < MADT_ENTRIES)
		return;
	acpi.lapic = get32(t + ACPI_HDR_LEN);
	while (off + 2 <= len) {
		const uint8_t *e = t + off;

		if (e[1] < 2 || off + e[1] > len)
			break;
		if (e[0] == MADT_LAPIC && e[1] >= 8)
			acpi_add_cpu(e[3], get32(e + 4));
		else if (e[0] == MADT_X2APIC && e[1] >= 16)
			acpi_add_cpu(get32(e + 4), get32(e + 8));
		off += e[1];
	}
}

static void acpi_parse_table(uint64_t addr)
{
	const uint8_t *t;
	uint32_t len;

	t = acpi_table(addr, NULL, &len);
	if (!t)
		return;
	if (!memcmp(t, "FACP", 4) && !acpi.have_fadt)
		acpi_parse_fadt(t, len);
	else if (!memcmp(t, "APIC", 4) && !acpi.nr_cpus)
		acpi_parse_madt(t, len);
}

int acpi_init(void)
{
	const uint8_t *rsdp, *sdt;
	uint32_t len, n, esz;
	bool xsdt;

	rsdp = acpi_find_rsdp();
	if (!rsdp)
		return -ENODEV;
	xsdt = rsdp[15] >= 2 && get64(rsdp + 24);
	sdt = xsdt ? acpi_table(get64(rsdp + 24), "XSDT", &len)
		   : acpi_table(get32(rsdp + 16), "RSDT", &len);
	if (!sdt)
		return -ENODEV;
	acpi.found = true;
	esz = xsdt ? 8 : 4;
	n = MIN((len - ACPI_HDR_LEN) / esz, (uint32_t)ACPI_MAX_ENTRIES);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = sdt + ACPI_HDR_LEN + i * esz;

		acpi_parse_table(xsdt ? get64(e) : get32(e));
	}
	return 0;
}
