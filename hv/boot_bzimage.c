/*
 * bzImage boot: the Linux x86 boot protocol 2.12+ (Documentation/arch/x86/
 * boot.rst), entered at the 64-bit entry point ("64-bit Boot Protocol"):
 * the protected-mode kernel loaded at 1 MiB, a zero page (struct
 * boot_params) with the setup header copied from the file, the e820 map,
 * the command line, the initrd and the RSDP address, identity-mapped
 * page tables, and RSI pointing at the zero page.
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include "xvm/log.h"
#include "boot.h"

/* Offsets in the file and in struct boot_params (boot.rst "The Real-Mode
 * Kernel Header", zero-page.rst). */
#define BP_ACPI_RSDP_ADDR	0x070	/* u64 */
#define BP_E820_ENTRIES		0x1e8	/* u8 */
#define BP_SETUP_SECTS		0x1f1	/* u8 */
#define BP_SYSSIZE		0x1f4	/* u32, 16-byte units */
#define BP_BOOT_FLAG		0x1fe	/* u16, 0xaa55 */
#define BP_JUMP			0x200	/* u16; header ends at 0x202 + byte 0x201 */
#define BP_HEADER		0x202	/* "HdrS" */
#define BP_VERSION		0x206	/* u16 */
#define BP_TYPE_OF_LOADER	0x210	/* u8 */
#define BP_LOADFLAGS		0x211	/* u8 */
#define BP_CODE32_START		0x214	/* u32 */
#define BP_RAMDISK_IMAGE	0x218	/* u32 */
#define BP_RAMDISK_SIZE		0x21c	/* u32 */
#define BP_HEAP_END_PTR		0x224	/* u16 */
#define BP_CMD_LINE_PTR		0x228	/* u32 */
#define BP_INITRD_ADDR_MAX	0x22c	/* u32 */
#define BP_XLOADFLAGS		0x236	/* u16 */
#define BP_CMDLINE_SIZE		0x238	/* u32 */
#define BP_INIT_SIZE		0x260	/* u32 */
#define BP_HDR_MIN_END		0x268	/* a 2.12 header reaches this far */
#define BP_E820_TABLE		0x2d0	/* 128 x {u64 addr, u64 size, u32 type} */
#define BP_E820_MAX		128
#define BP_SIZE			0x1000

#define LOADED_HIGH		0x01
#define CAN_USE_HEAP		0x80
#define XLF_KERNEL_64		0x0001
#define KERNEL_LOAD_GPA		BOOT_HIGHMEM_GPA
#define ENTRY64_OFFSET		0x200

static uint32_t get32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint16_t get16(const uint8_t *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static void put32(uint8_t *p, size_t off, uint32_t v)
{
	memcpy(p + off, &v, sizeof(v));
}

static size_t bz_setup_size(const struct boot_image *img)
{
	unsigned int sects = img->data[BP_SETUP_SECTS];

	return ((size_t)(sects ? sects : 4) + 1) * 512;
}

static const char *bz_check(const struct boot_image *img)
{
	const uint8_t *d = img->data;
	size_t setup;

	if (img->size < BP_HDR_MIN_END)
		return "truncated setup header";
	if (get16(d, BP_BOOT_FLAG) != 0xaa55)
		return "bad boot flag";
	if (get16(d, BP_VERSION) < 0x020c)
		return "boot protocol older than 2.12";
	if (!(get16(d, BP_XLOADFLAGS) & XLF_KERNEL_64))
		return "kernel has no 64-bit entry point (XLF_KERNEL_64)";
	setup = bz_setup_size(img);
	if (setup >= img->size)
		return "setup sectors run past the end of the file";
	if (get32(d, BP_SYSSIZE) == 0 ||
	    (uint64_t)get32(d, BP_SYSSIZE) * 16 > img->size - setup)
		return "syssize does not match the file";
	return NULL;
}

int boot_bzimage_probe(struct boot_image *img, char *msg, size_t msglen)
{
	const char *bad = bz_check(img);

	if (bad) {
		snprintf(msg, msglen, "%s: bad bzImage: %s", img->path, bad);
		return -ENOEXEC;
	}
	img->type = BOOT_BZIMAGE;
	return 0;
}

/* Identity map of the first 4 GiB with 2 MiB pages. */
static int bz_page_tables(struct vm *vm)
{
	uint64_t *pml4 = vm_gpa(vm, BOOT_PML4_GPA, 4096);
	uint64_t *pdpt = vm_gpa(vm, BOOT_PDPT_GPA, 4096);
	uint64_t *pd = vm_gpa(vm, BOOT_PD_GPA, 4 * 4096);

	if (!pml4 || !pdpt || !pd)
		return -ENOMEM;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = BOOT_PDPT_GPA | 0x3;			/* present, writable */
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD_GPA + i * 4096) | 0x3;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x83;		/* present, writable, 2 MiB */
	return 0;
}

static void bz_e820(struct vm *vm, uint8_t *bp)
{
	struct e820_entry e[BOOT_E820_MAX];
	unsigned int n = boot_e820(vm, e, BOOT_E820_MAX);

	for (unsigned int i = 0; i < n && i < BP_E820_MAX; i++) {
		uint8_t *p = bp + BP_E820_TABLE + i * 20;

		memcpy(p, &e[i].addr, 8);
		memcpy(p + 8, &e[i].size, 8);
		memcpy(p + 16, &e[i].type, 4);
	}
	bp[BP_E820_ENTRIES] = (uint8_t)n;
}

/* The zero page: setup header from the file, then what the loader owns. */
static int bz_zero_page(struct vm *vm, const struct boot_image *img,
			uint64_t rsdp, uint64_t initrd, uint64_t initrd_size)
{
	uint8_t *bp = vm_gpa(vm, BOOT_INFO_GPA, BP_SIZE);
	size_t hdr_end = BP_HEADER + img->data[BP_JUMP + 1];

	if (!bp)
		return -ENOMEM;
	memset(bp, 0, BP_SIZE);
	hdr_end = MIN(hdr_end, MIN(img->size, (size_t)BP_E820_TABLE));
	memcpy(bp + BP_SETUP_SECTS, img->data + BP_SETUP_SECTS,
	       hdr_end - BP_SETUP_SECTS);
	bp[BP_TYPE_OF_LOADER] = 0xff;
	bp[BP_LOADFLAGS] |= LOADED_HIGH | CAN_USE_HEAP;
	bp[BP_HEAP_END_PTR] = 0x00;
	bp[BP_HEAP_END_PTR + 1] = 0xfe;
	put32(bp, BP_CODE32_START, KERNEL_LOAD_GPA);
	put32(bp, BP_CMD_LINE_PTR, BOOT_CMDLINE_GPA);
	put32(bp, BP_RAMDISK_IMAGE, (uint32_t)initrd);
	put32(bp, BP_RAMDISK_SIZE, (uint32_t)initrd_size);
	memcpy(bp + BP_ACPI_RSDP_ADDR, &rsdp, 8);
	bz_e820(vm, bp);
	return 0;
}

/* 64-bit boot protocol state: long mode, paging with an identity map,
 * __BOOT_CS 0x10 / __BOOT_DS 0x18, interrupts off, RSI = boot_params. */
static int bz_set_bsp(struct vm *vm, int fd)
{
	struct kvm_regs r = {
		.rip = KERNEL_LOAD_GPA + ENTRY64_OFFSET,
		.rsi = BOOT_INFO_GPA, .rflags = 0x2,
	};
	struct kvm_sregs s;

	if (ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	boot_flat_segments(vm, &s, true);
	s.cr0 = 0x80000011;	/* PG | ET | PE */
	s.cr3 = BOOT_PML4_GPA;
	s.cr4 = 0x20;		/* PAE */
	s.efer = 0x500;		/* LME | LMA */
	if (ioctl(fd, KVM_SET_SREGS, &s) < 0 || ioctl(fd, KVM_SET_REGS, &r) < 0)
		return -errno;
	return 0;
}

static int bz_load_kernel(struct vm *vm, const struct boot_image *img,
			  uint64_t *end, char *msg, size_t msglen)
{
	size_t setup = bz_setup_size(img);
	uint64_t pm = img->size - setup;
	uint64_t need = MAX(pm, (uint64_t)get32(img->data, BP_INIT_SIZE));
	uint8_t *dst = NULL;

	if (boot_range_loadable(vm, KERNEL_LOAD_GPA, need))
		dst = vm_gpa(vm, KERNEL_LOAD_GPA, need);
	if (!dst) {
		snprintf(msg, msglen, "%s: kernel needs %llu MiB above 1 MiB; "
			 "give the guest more --memory", img->path,
			 (unsigned long long)(need >> 20) + 1);
		return -ENOSPC;
	}
	memcpy(dst, img->data + setup, pm);
	*end = KERNEL_LOAD_GPA + need;
	return 0;
}

int boot_bzimage_load(struct vm *vm, const struct boot_image *img,
		      uint64_t rsdp, int bsp_fd, char *msg, size_t msglen)
{
	uint64_t end, initrd, initrd_size;
	uint64_t initrd_max = (uint64_t)get32(img->data, BP_INITRD_ADDR_MAX) + 1;
	uint32_t cmdline_size = get32(img->data, BP_CMDLINE_SIZE);
	int rc;

	if (strlen(vm->cfg.cmdline) > cmdline_size) {
		snprintf(msg, msglen, "--cmdline is longer than the kernel's "
			 "limit of %u bytes", cmdline_size);
		return -E2BIG;
	}
	rc = bz_load_kernel(vm, img, &end, msg, msglen);
	if (rc < 0)
		return rc;
	rc = boot_put_initrd(vm, ALIGN_UP(end, 4096), initrd_max, &initrd,
			     &initrd_size, msg, msglen);
	if (rc < 0)
		return rc;
	rc = boot_put_cmdline(vm, vm->cfg.cmdline);
	if (rc == 0)
		rc = bz_zero_page(vm, img, rsdp, initrd, initrd_size);
	if (rc == 0)
		rc = bz_page_tables(vm);
	if (rc == 0)
		rc = bz_set_bsp(vm, bsp_fd);
	if (rc < 0)
		snprintf(msg, msglen, "%s: bzImage boot set-up: %s", img->path,
			 strerror(-rc));
	return rc;
}
