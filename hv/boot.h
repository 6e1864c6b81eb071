/*
 * Loading a kernel: the boot data layout in low guest memory, the e820
 * map every boot protocol hands over, and the two loaders (boot_pvh.c for
 * PVH ELF kernels, boot_bzimage.c for the Linux x86 boot protocol).
 */
#ifndef HV_BOOT_H
#define HV_BOOT_H

#include <stddef.h>
#include <linux/kvm.h>
#include "vm.h"

/* Boot data area: [BOOT_AREA_GPA, BOOT_AREA_END) in low RAM, below any
 * kernel. Kernels may not load there or over the ACPI area. */
#define BOOT_AREA_GPA		0x00000000ULL
#define BOOT_GDT_GPA		0x00001000ULL
#define BOOT_INFO_GPA		0x00002000ULL	/* hvm_start_info or boot_params (4 KiB) */
#define BOOT_MEMMAP_GPA		0x00003000ULL	/* PVH memmap (2 KiB) */
#define BOOT_MODLIST_GPA	0x00003800ULL	/* PVH module list */
#define BOOT_CMDLINE_GPA	0x00004000ULL
#define BOOT_CMDLINE_MAX	4096		/* bytes including the NUL */
#define BOOT_PML4_GPA		0x00009000ULL	/* 64-bit entry page tables */
#define BOOT_PDPT_GPA		0x0000a000ULL
#define BOOT_PD_GPA		0x0000b000ULL	/* 4 pages: identity map of 4 GiB */
#define BOOT_AREA_END		0x00010000ULL
#define BOOT_LOWMEM_END		0x000a0000ULL	/* end of the first RAM range */
#define BOOT_HIGHMEM_GPA	0x00100000ULL	/* kernels load at 1 MiB */

/* GDT selectors hv's boot GDT provides. */
#define BOOT_SEL_CODE32		0x08
#define BOOT_SEL_CODE64		0x10
#define BOOT_SEL_DATA		0x18
#define BOOT_SEL_TSS		0x20

/* e820 types (ACPI 6.5 §15 "System Address Map Interfaces", table 15.1). */
#define E820_RAM		1
#define E820_RESERVED		2

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

#define BOOT_E820_MAX		8

/* A kernel file, read in whole (read-only, private mapping). */
struct boot_image {
	const char *path;
	const uint8_t *data;
	size_t size;
	enum { BOOT_PVH, BOOT_BZIMAGE } type;
	uint64_t pvh_entry;	/* BOOT_PVH: XEN_ELFNOTE_PHYS32_ENTRY */
};

struct vcpu;

/*
 * boot.c: open and classify a kernel. 0, or -errno with msg filled with
 * the one line to print after "hv: " (the file is unusable: exit 2).
 */
int boot_open(struct boot_image *img, const char *path, char *msg,
	      size_t msglen);
void boot_close(struct boot_image *img);

/* Load img, the initrd and the command line for vm and set up the BSP.
 * 0, or -errno with msg filled. */
int boot_load(struct vm *vm, const struct boot_image *img, uint64_t rsdp,
	      struct vcpu *bsp, char *msg, size_t msglen);

/* The guest's memory map: RAM ranges and the ACPI area (reserved). */
unsigned int boot_e820(const struct vm *vm, struct e820_entry *out,
		       unsigned int max);
/* true if [gpa, gpa+len) is RAM a kernel may be loaded into (not the
 * boot data area, not the ACPI area, not a hole). */
bool boot_range_loadable(const struct vm *vm, uint64_t gpa, uint64_t len);
/* Copy the command line to BOOT_CMDLINE_GPA. */
int boot_put_cmdline(struct vm *vm, const char *cmdline);
/* Read the initrd file into RAM, page-aligned, as high as possible below
 * max_end and above floor; *gpa and *size describe it (0/0 without one). */
int boot_put_initrd(struct vm *vm, uint64_t floor, uint64_t max_end,
		    uint64_t *gpa, uint64_t *size, char *msg, size_t msglen);
/* Write hv's GDT at BOOT_GDT_GPA and load flat segments into sregs:
 * 32-bit code (PVH) or 64-bit code (long mode), data, a TSS; GDTR. */
void boot_flat_segments(struct vm *vm, struct kvm_sregs *s, bool long_mode);

/* The loaders. */
int boot_pvh_probe(struct boot_image *img, char *msg, size_t msglen);
int boot_pvh_load(struct vm *vm, const struct boot_image *img, uint64_t rsdp,
		  int bsp_fd, char *msg, size_t msglen);
int boot_bzimage_probe(struct boot_image *img, char *msg, size_t msglen);
int boot_bzimage_load(struct vm *vm, const struct boot_image *img,
		      uint64_t rsdp, int bsp_fd, char *msg, size_t msglen);

#endif
