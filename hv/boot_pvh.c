/*
 * PVH boot: load an ELF kernel (ELF32 or ELF64) at its physical
 * addresses and enter it at XEN_ELFNOTE_PHYS32_ENTRY in 32-bit protected
 * mode with EBX pointing to a struct hvm_start_info.
 * Spec: "Xen PVH boot ABI", docs/misc/pvh.pandoc and
 * xen/include/public/arch-x86/hvm/start_info.h (version 1 with memmap).
 * Every header, program header and note is checked against the file size
 * before use: the kernel file is outside input.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include "xvm/log.h"
#include "xvm/pvh.h"
#include "boot.h"

#define PVH_MAX_PHDRS			64

/* A program header in class-independent form. */
struct pvh_phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

static bool pvh_is64(const struct boot_image *img)
{
	return img->data[EI_CLASS] == ELFCLASS64;
}

static unsigned int pvh_phnum(const struct boot_image *img)
{
	return pvh_is64(img) ? ((const Elf64_Ehdr *)img->data)->e_phnum
			     : ((const Elf32_Ehdr *)img->data)->e_phnum;
}

/* The i-th program header; the table was validated by pvh_check_ehdr. */
static struct pvh_phdr pvh_phdr(const struct boot_image *img, unsigned int i)
{
	struct pvh_phdr p;

	if (pvh_is64(img)) {
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->data;
		Elf64_Phdr ph;

		memcpy(&ph, img->data + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		p = (struct pvh_phdr){ ph.p_type, ph.p_offset, ph.p_paddr,
				       ph.p_filesz, ph.p_memsz };
	} else {
		const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img->data;
		Elf32_Phdr ph;

		memcpy(&ph, img->data + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		p = (struct pvh_phdr){ ph.p_type, ph.p_offset, ph.p_paddr,
				       ph.p_filesz, ph.p_memsz };
	}
	return p;
}

static const char *pvh_check_ehdr(const struct boot_image *img)
{
	const uint8_t *id = img->data;
	uint64_t phoff, phentsize, need;
	unsigned int phnum, machine, type;

	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
		return "unknown ELF class";
	if (id[EI_DATA] != ELFDATA2LSB || id[EI_VERSION] != EV_CURRENT)
		return "not a little-endian ELF version 1 file";
	need = pvh_is64(img) ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (img->size < need)
		return "truncated ELF header";
	if (pvh_is64(img)) {
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img->data;

		phoff = eh->e_phoff;
		phentsize = eh->e_phentsize;
		machine = eh->e_machine;
		type = eh->e_type;
		need = sizeof(Elf64_Phdr);
	} else {
		const Elf32_Ehdr *eh = (const Elf32_Ehdr *)img->data;

		phoff = eh->e_phoff;
		phentsize = eh->e_phentsize;
		machine = eh->e_machine;
		type = eh->e_type;
		need = sizeof(Elf32_Phdr);
	}
	phnum = pvh_phnum(img);
	if (machine != EM_X86_64 && machine != EM_386)
		return "not an x86 ELF file";
	if (type != ET_EXEC && type != ET_DYN)
		return "not an executable ELF file";
	if (phnum == 0 || phnum > PVH_MAX_PHDRS || phentsize != need)
		return "bad program header table";
	if (phoff > img->size || phnum * need > img->size - phoff)
		return "program header table runs past the end of the file";
	return NULL;
}

static uint64_t align4(uint64_t x)
{
	return (x + 3) & ~3ULL;
}

/* Walk one PT_NOTE segment (ELF gABI "Note Section"); 4-byte aligned
 * name and descriptor. 1 with *entry set if the PVH note is there, 0 if
 * not, -1 if the notes are malformed. */
static int pvh_scan_notes(const uint8_t *p, uint64_t len, uint64_t *entry)
{
	uint64_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_off = off + 12, desc_off, next;

		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		desc_off = name_off + align4(namesz);
		next = desc_off + align4(descsz);
		if (desc_off > len || next > len)
			return -1;
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
		    memcmp(p + name_off, "Xen", 4) == 0) {
			uint64_t v = 0;

			if (descsz != 4 && descsz != 8)
				return -1;
			memcpy(&v, p + desc_off, descsz);
			*entry = v;
			return 1;
		}
		off = next;
	}
	return 0;
}

static const char *pvh_check_phdrs(struct boot_image *img, bool *found)
{
	unsigned int n = pvh_phnum(img);

	*found = false;
	for (unsigned int i = 0; i < n; i++) {
		struct pvh_phdr ph = pvh_phdr(img, i);
		int rc;

		if (ph.type != PT_LOAD && ph.type != PT_NOTE)
			continue;
		if (ph.offset > img->size || ph.filesz > img->size - ph.offset)
			return "segment runs past the end of the file";
		if (ph.type == PT_LOAD) {
			if (ph.filesz > ph.memsz || ph.paddr + ph.memsz < ph.paddr)
				return "bad PT_LOAD segment sizes";
			continue;
		}
		if (*found)
			continue;
		rc = pvh_scan_notes(img->data + ph.offset, ph.filesz,
				    &img->pvh_entry);
		if (rc < 0)
			return "malformed note";
		*found = rc == 1;
	}
	return NULL;
}

int boot_pvh_probe(struct boot_image *img, char *msg, size_t msglen)
{
	const char *bad;
	bool found;

	bad = pvh_check_ehdr(img);
	if (!bad)
		bad = pvh_check_phdrs(img, &found);
	if (bad) {
		snprintf(msg, msglen, "%s: bad ELF file: %s", img->path, bad);
		return -ENOEXEC;
	}
	if (!found) {
		snprintf(msg, msglen, "%s: ELF has no Xen PVH entry note",
			 img->path);
		return -ENOEXEC;
	}
	if (img->pvh_entry >= (1ULL << 32)) {
		snprintf(msg, msglen, "%s: PVH entry %#llx above 4 GiB",
			 img->path, (unsigned long long)img->pvh_entry);
		return -ENOEXEC;
	}
	img->type = BOOT_PVH;
	return 0;
}

/* Copy the PT_LOAD segments; *end gets the end of the highest one. */
static int pvh_load_segments(struct vm *vm, const struct boot_image *img,
			     uint64_t *end, char *msg, size_t msglen)
{
	unsigned int n = pvh_phnum(img);

	*end = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct pvh_phdr ph = pvh_phdr(img, i);
		uint8_t *dst;

		if (ph.type != PT_LOAD || ph.memsz == 0)
			continue;
		/* Entered with paging off: everything must be below 4 GiB,
		 * i.e. in low RAM. */
		dst = ph.paddr < MEM_LOW_END &&
		      boot_range_loadable(vm, ph.paddr, ph.memsz) ?
		      vm_gpa(vm, ph.paddr, ph.memsz) : NULL;
		if (!dst) {
			snprintf(msg, msglen, "%s: segment at %#llx (%llu bytes) "
				 "is outside the guest's loadable RAM",
				 img->path, (unsigned long long)ph.paddr,
				 (unsigned long long)ph.memsz);
			return -ENOSPC;
		}
		memcpy(dst, img->data + ph.offset, ph.filesz);
		memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
		*end = MAX(*end, ph.paddr + ph.memsz);
	}
	if (!vm_gpa(vm, img->pvh_entry, 1)) {
		snprintf(msg, msglen, "%s: PVH entry %#llx is not in guest RAM",
			 img->path, (unsigned long long)img->pvh_entry);
		return -ENOSPC;
	}
	return 0;
}

static int pvh_start_info(struct vm *vm, uint64_t rsdp, uint64_t initrd,
			  uint64_t initrd_size)
{
	struct hvm_start_info *si = vm_gpa(vm, BOOT_INFO_GPA, sizeof(*si));
	struct hvm_modlist_entry *mod = vm_gpa(vm, BOOT_MODLIST_GPA,
					       sizeof(*mod));
	struct hvm_memmap_table_entry *mm = vm_gpa(vm, BOOT_MEMMAP_GPA,
		BOOT_E820_MAX * sizeof(*mm));
	struct e820_entry e[BOOT_E820_MAX];
	unsigned int n = boot_e820(vm, e, BOOT_E820_MAX);

	if (!si || !mod || !mm)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_table_entry){ e[i].addr, e[i].size,
							 e[i].type, 0 };
	*si = (struct hvm_start_info){
		.magic = XEN_HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = BOOT_CMDLINE_GPA,
		.rsdp_paddr = rsdp,
		.memmap_paddr = BOOT_MEMMAP_GPA,
		.memmap_entries = n,
	};
	if (initrd_size) {
		*mod = (struct hvm_modlist_entry){ initrd, initrd_size, 0, 0 };
		si->nr_modules = 1;
		si->modlist_paddr = BOOT_MODLIST_GPA;
	}
	return 0;
}

/* PVH entry state (pvh.pandoc "x86/HVM direct boot ABI"): 32-bit
 * protected mode, paging off, flat CS (exec/read) and DS/ES/SS (r/w),
 * TR a 32-bit TSS, EBX = start_info, EFLAGS with IF clear. */
static int pvh_set_bsp(struct vm *vm, const struct boot_image *img, int fd)
{
	struct kvm_regs r = {
		.rip = img->pvh_entry, .rbx = BOOT_INFO_GPA, .rflags = 0x2,
	};
	struct kvm_sregs s;

	if (ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	boot_flat_segments(vm, &s, false);
	s.cr0 = 0x11;		/* PE | ET */
	s.cr3 = 0;
	s.cr4 = 0;
	s.efer = 0;
	if (ioctl(fd, KVM_SET_SREGS, &s) < 0 || ioctl(fd, KVM_SET_REGS, &r) < 0)
		return -errno;
	return 0;
}

int boot_pvh_load(struct vm *vm, const struct boot_image *img, uint64_t rsdp,
		  int bsp_fd, char *msg, size_t msglen)
{
	uint64_t end, initrd, initrd_size;
	int rc;

	rc = pvh_load_segments(vm, img, &end, msg, msglen);
	if (rc < 0)
		return rc;
	rc = boot_put_initrd(vm, ALIGN_UP(end, 4096), MEM_LOW_END, &initrd,
			     &initrd_size, msg, msglen);
	if (rc < 0)
		return rc;
	rc = boot_put_cmdline(vm, vm->cfg.cmdline);
	if (rc == 0)
		rc = pvh_start_info(vm, rsdp, initrd, initrd_size);
	if (rc == 0)
		rc = pvh_set_bsp(vm, img, bsp_fd);
	if (rc < 0)
		snprintf(msg, msglen, "%s: PVH boot set-up: %s", img->path,
			 strerror(-rc));
	return rc;
}
