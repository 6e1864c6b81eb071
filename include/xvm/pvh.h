/*
 * The Xen PVH boot ABI shared by the loader (hv/boot_pvh.c) and our guest
 * (guestdrv/pvh.c, guestdrv/boot.S): the ELF note naming the 32-bit entry
 * point and struct hvm_start_info, whose address the guest finds in EBX.
 * Spec: Xen docs/misc/pvh.pandoc and
 * xen/include/public/arch-x86/hvm/start_info.h, version 1 (with memmap).
 * Freestanding: stdint.h only; the structures are hidden from assembly.
 */
#ifndef XVM_PVH_H
#define XVM_PVH_H

#define XEN_ELFNOTE_PHYS32_ENTRY	18		/* note type, "Xen" */
#define XEN_HVM_START_MAGIC		0x336ec578	/* hvm_start_info.magic */

#ifndef __ASSEMBLY__
#include <stdint.h>

struct hvm_start_info {
	uint32_t magic;			/* XEN_HVM_START_MAGIC */
	uint32_t version;		/* 0, or 1 with the memmap fields */
	uint32_t flags;
	uint32_t nr_modules;		/* entries at modlist_paddr */
	uint64_t modlist_paddr;		/* struct hvm_modlist_entry[] */
	uint64_t cmdline_paddr;		/* NUL-terminated, 0: none */
	uint64_t rsdp_paddr;		/* ACPI RSDP, 0: none */
	uint64_t memmap_paddr;		/* version >= 1 */
	uint32_t memmap_entries;	/* version >= 1 */
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;			/* the module (an initrd) */
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;			/* E820 type: 1 RAM, 2 reserved, ... */
	uint32_t reserved;
};

_Static_assert(sizeof(struct hvm_start_info) == 56, "start_info.h layout");
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "start_info.h layout");
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24,
	       "start_info.h layout");
#endif

#endif
