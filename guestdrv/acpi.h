/* acpi.h: what the guest takes from the ACPI tables (acpi.c). */
#ifndef MINIOS_ACPI_H
#define MINIOS_ACPI_H

#include "minios.h"

struct acpi_gas {		/* Generic Address Structure (ACPI 6.5 §5.2.3.2) */
	uint8_t space;		/* 0 memory, 1 I/O */
	uint8_t bit_width, bit_offset, access_size;
	uint64_t address;
};

struct acpi_info {
	bool found;		/* RSDP and a valid RSDT/XSDT */
	bool have_fadt;
	uint16_t pm1a_evt;	/* PM1a_EVT_BLK port, 0 if none */
	uint8_t pm1_evt_len;
	uint16_t pm1a_cnt;	/* PM1a_CNT_BLK port, 0 if none */
	uint16_t gpe0_blk;	/* GPE0_BLK port, 0 if none */
	uint8_t gpe0_len;	/* its length: status bytes, then enable bytes */
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	bool have_reset;	/* FADT RESET_REG supported */
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	bool have_s5;		/* \_S5 found in the DSDT */
	uint8_t slp_typa;
	unsigned int nr_cpus;	/* enabled processors in the MADT */
	uint32_t apic_ids[MAX_CPUS];
	uint64_t lapic;		/* local APIC address */
};

extern struct acpi_info acpi;

/* Find and parse the tables (RSDP from boot_info, else the BIOS area).
 * Fills `acpi`; 0 or -errno (-ENODEV: no usable tables). */
int acpi_init(void);
/* Decode the first element of the \_S5 package in an AML byte stream:
 * the SLP_TYPa value. 0 or -errno. (Exposed for testing.) */
int acpi_s5_decode(const uint8_t *aml, size_t len, uint8_t *slp_typa);

#endif
