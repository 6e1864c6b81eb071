/*
 * hv core, boot*.c: kernel classification and validation (PVH ELF notes,
 * program headers against the file size, bzImage headers), the e820 map,
 * where kernels may load, and what the PVH loader writes into guest
 * memory (segments, bss, hvm_start_info, command line).
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "unit.h"
#include "hv/boot.h"

static char tmpl[] = "/tmp/xvm-unit-boot.XXXXXX";
static char path[64];
static char msg[512];

static int boot_suite_init(void)
{
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return -1;
	close(fd);
	snprintf(path, sizeof(path), "%s", tmpl);
	return 0;
}

static int boot_suite_cleanup(void)
{
	unlink(path);
	return 0;
}

static void write_file(const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(buf, 1, len, f), len);
	fclose(f);
}

/* A minimal ELF32 PVH kernel: one PT_LOAD (code + bss) at 2 MiB and one
 * PT_NOTE with the Xen PHYS32_ENTRY note. */
struct pvh32 {
	Elf32_Ehdr eh;
	Elf32_Phdr ph[2];
	struct {
		uint32_t namesz, descsz, type;
		char name[4];
		uint32_t entry;
	} note;
	uint8_t code[16];
};

static void make_pvh32(struct pvh32 *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->eh.e_ident, ELFMAG, SELFMAG);
	k->eh.e_ident[EI_CLASS] = ELFCLASS32;
	k->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	k->eh.e_ident[EI_VERSION] = EV_CURRENT;
	k->eh.e_type = ET_EXEC;
	k->eh.e_machine = EM_386;
	k->eh.e_version = EV_CURRENT;
	k->eh.e_phoff = offsetof(struct pvh32, ph);
	k->eh.e_ehsize = sizeof(Elf32_Ehdr);
	k->eh.e_phentsize = sizeof(Elf32_Phdr);
	k->eh.e_phnum = 2;
	k->ph[0] = (Elf32_Phdr){ .p_type = PT_LOAD,
		.p_offset = offsetof(struct pvh32, code), .p_paddr = 0x200000,
		.p_vaddr = 0x200000, .p_filesz = 16, .p_memsz = 0x1000 };
	k->ph[1] = (Elf32_Phdr){ .p_type = PT_NOTE,
		.p_offset = offsetof(struct pvh32, note),
		.p_filesz = sizeof(k->note) };
	k->note.namesz = 4;
	k->note.descsz = 4;
	k->note.type = 18;
	memcpy(k->note.name, "Xen", 4);
	k->note.entry = 0x200004;
	memset(k->code, 0x90, sizeof(k->code));
}

static int probe(const void *buf, size_t len)
{
	struct boot_image img;
	int rc;

	write_file(buf, len);
	msg[0] = 0;
	rc = boot_open(&img, path, msg, sizeof(msg));
	if (rc == 0)
		boot_close(&img);
	return rc;
}

static void test_pvh_probe_ok(void)
{
	struct pvh32 k;
	struct boot_image img;

	make_pvh32(&k);
	write_file(&k, sizeof(k));
	CU_ASSERT_EQUAL_FATAL(boot_open(&img, path, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(img.type, BOOT_PVH);
	CU_ASSERT_EQUAL(img.pvh_entry, 0x200004);
	boot_close(&img);
}

static void test_pvh_no_note(void)
{
	struct pvh32 k;

	make_pvh32(&k);
	k.note.type = 17;
	CU_ASSERT_EQUAL(probe(&k, sizeof(k)), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "ELF has no Xen PVH entry note"));
	make_pvh32(&k);
	memcpy(k.note.name, "Xan", 4);
	CU_ASSERT_EQUAL(probe(&k, sizeof(k)), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "no Xen PVH entry note"));
}

static void test_pvh_bad_headers(void)
{
	struct pvh32 k;

	make_pvh32(&k);
	k.eh.e_phnum = 200;		/* table past the end of the file */
	CU_ASSERT_EQUAL(probe(&k, sizeof(k)), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "bad ELF"));
	make_pvh32(&k);
	k.ph[0].p_filesz = 0x10000;	/* segment past the end of the file */
	CU_ASSERT_EQUAL(probe(&k, sizeof(k)), -ENOEXEC);
	make_pvh32(&k);
	k.ph[0].p_offset = 0xfffffff0;
	CU_ASSERT_EQUAL(probe(&k, sizeof(k)), -ENOEXEC);
	make_pvh32(&k);
	k.note.descsz = 0xffffff00;	/* note past the segment */
	CU_ASSERT_EQUAL(probe(&k, sizeof(k)), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "malformed note"));
	make_pvh32(&k);
	k.eh.e_phentsize = 8;
	CU_ASSERT_EQUAL(probe(&k, sizeof(k)), -ENOEXEC);
	make_pvh32(&k);
	k.eh.e_machine = EM_ARM;
	CU_ASSERT_EQUAL(probe(&k, sizeof(k)), -ENOEXEC);
	make_pvh32(&k);
	k.ph[0].p_filesz = 0x2000;	/* filesz > memsz */
	k.ph[0].p_memsz = 0x10;
	CU_ASSERT_EQUAL(probe(&k, sizeof(k)), -ENOEXEC);
	/* Truncated: the header alone. */
	make_pvh32(&k);
	CU_ASSERT_EQUAL(probe(&k, sizeof(Elf32_Ehdr)), -ENOEXEC);
}

static void test_not_a_kernel(void)
{
	char text[200] = "this is not a kernel\n";

	CU_ASSERT_EQUAL(probe(text, sizeof(text)), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "not a PVH ELF or bzImage kernel"));
	CU_ASSERT_EQUAL(probe(text, 10), -ENOEXEC);
}

static void test_missing_file(void)
{
	struct boot_image img;

	CU_ASSERT_EQUAL(boot_open(&img, "/nonexistent/vmlinuz", msg,
				  sizeof(msg)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(msg, "/nonexistent/vmlinuz: No such file or directory");
}

/* A bzImage-shaped file: 4 setup sectors + 1, then syssize*16 bytes. */
static uint8_t *make_bz(size_t *len, uint16_t version, uint16_t xlf)
{
	size_t setup = 5 * 512, pm = 4096;
	uint8_t *b = calloc(1, setup + pm);
	uint32_t syssize = pm / 16, init_size = 0x10000;

	*len = setup + pm;
	b[0x1f1] = 4;
	memcpy(b + 0x1f4, &syssize, 4);
	b[0x1fe] = 0x55;
	b[0x1ff] = 0xaa;
	b[0x201] = 0x66;
	memcpy(b + 0x202, "HdrS", 4);
	memcpy(b + 0x206, &version, 2);
	memcpy(b + 0x236, &xlf, 2);
	memcpy(b + 0x260, &init_size, 4);
	return b;
}

static void test_bzimage_probe(void)
{
	size_t len;
	uint8_t *b = make_bz(&len, 0x020f, 1);
	uint32_t big = 0x100000;
	struct boot_image img;

	write_file(b, len);
	CU_ASSERT_EQUAL_FATAL(boot_open(&img, path, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(img.type, BOOT_BZIMAGE);
	boot_close(&img);
	free(b);

	b = make_bz(&len, 0x020b, 1);		/* protocol too old */
	CU_ASSERT_EQUAL(probe(b, len), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "2.12"));
	free(b);
	b = make_bz(&len, 0x020f, 0);		/* no 64-bit entry */
	CU_ASSERT_EQUAL(probe(b, len), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "XLF_KERNEL_64"));
	free(b);
	b = make_bz(&len, 0x020f, 1);		/* syssize past the file */
	memcpy(b + 0x1f4, &big, 4);
	CU_ASSERT_EQUAL(probe(b, len), -ENOEXEC);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "syssize"));
	b[0x1f1] = 200;				/* setup past the file */
	CU_ASSERT_EQUAL(probe(b, len), -ENOEXEC);
	free(b);
}

static struct vm *vm_new(uint64_t low, uint64_t high)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	pthread_mutex_init(&vm->dev_lock, NULL);
	vm->kvm_fd = vm->vm_fd = vm->mem_fd = -1;
	vm->stop_reason = VM_STOP_NONE;
	vm->cfg.cmdline = "";
	vm->mem[0] = (struct vm_mem_region){ 0, low, 0, calloc(1, low) };
	vm->nr_mem = 1;
	if (high) {
		vm->mem[1] = (struct vm_mem_region){ MEM_HIGH_BASE, high, low,
						     calloc(1, high) };
		vm->nr_mem = 2;
	}
	return vm;
}

static void vm_free(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_mem; i++)
		free(vm->mem[i].hva);
	free(vm);
}

static void test_e820(void)
{
	struct vm *vm = vm_new(32 << 20, 0x1000);
	struct e820_entry e[BOOT_E820_MAX];
	unsigned int n = boot_e820(vm, e, BOOT_E820_MAX);

	CU_ASSERT_EQUAL_FATAL(n, 4);
	CU_ASSERT(e[0].addr == 0 && e[0].size == 0xa0000 && e[0].type == E820_RAM);
	CU_ASSERT(e[1].addr == ACPI_AREA_GPA && e[1].size == ACPI_AREA_SIZE &&
		  e[1].type == E820_RESERVED);
	CU_ASSERT(e[2].addr == 0x100000 && e[2].size == (32 << 20) - 0x100000 &&
		  e[2].type == E820_RAM);
	CU_ASSERT(e[3].addr == MEM_HIGH_BASE && e[3].size == 0x1000);
	vm_free(vm);
}

static void test_loadable(void)
{
	struct vm *vm = vm_new(16 << 20, 0);

	CU_ASSERT_TRUE(boot_range_loadable(vm, 0x100000, 0x100000));
	CU_ASSERT_TRUE(boot_range_loadable(vm, 0x10000, 0x1000));
	CU_ASSERT_FALSE(boot_range_loadable(vm, 0x1000, 0x1000));	/* boot data */
	CU_ASSERT_FALSE(boot_range_loadable(vm, 0xe0000, 0x100));	/* ACPI */
	CU_ASSERT_FALSE(boot_range_loadable(vm, 0x9f000, 0x2000));	/* into the hole */
	CU_ASSERT_FALSE(boot_range_loadable(vm, 0xff000, 0x2000));	/* straddles */
	CU_ASSERT_FALSE(boot_range_loadable(vm, (16 << 20) - 0x10, 0x20));
	CU_ASSERT_FALSE(boot_range_loadable(vm, 0x100000, ~0ULL));	/* wraps */
	vm_free(vm);
}

struct start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

static void test_pvh_load_memory(void)
{
	struct vm *vm = vm_new(16 << 20, 0);
	struct pvh32 k;
	struct boot_image img;
	const uint8_t *kern;
	const struct start_info *si;
	int rc;

	make_pvh32(&k);
	write_file(&k, sizeof(k));
	CU_ASSERT_EQUAL_FATAL(boot_open(&img, path, msg, sizeof(msg)), 0);
	vm->cfg.cmdline = "workload=hello";
	memset(vm->mem[0].hva + 0x200000, 0xee, 0x1000);	/* stale bss */
	/* No vCPU here (fd -1): everything up to the register set-up. */
	rc = boot_pvh_load(vm, &img, 0xe0000, -1, msg, sizeof(msg));
	CU_ASSERT_EQUAL(rc, -EBADF);
	kern = vm->mem[0].hva + 0x200000;
	CU_ASSERT_EQUAL(kern[0], 0x90);
	CU_ASSERT_EQUAL(kern[15], 0x90);
	CU_ASSERT_EQUAL(kern[16], 0);		/* bss zeroed */
	CU_ASSERT_EQUAL(kern[0xfff], 0);
	si = (const void *)(vm->mem[0].hva + BOOT_INFO_GPA);
	CU_ASSERT_EQUAL(si->magic, 0x336ec578);
	CU_ASSERT_EQUAL(si->version, 1);
	CU_ASSERT_EQUAL(si->rsdp_paddr, 0xe0000);
	CU_ASSERT_EQUAL(si->nr_modules, 0);
	CU_ASSERT_EQUAL(si->memmap_entries, 3);
	CU_ASSERT_STRING_EQUAL((const char *)vm->mem[0].hva + si->cmdline_paddr,
			       "workload=hello");
	boot_close(&img);
	vm_free(vm);
}

static void test_pvh_load_outside_ram(void)
{
	struct vm *vm = vm_new(1 << 20, 0);	/* kernel at 2 MiB cannot fit */
	struct pvh32 k;
	struct boot_image img;

	make_pvh32(&k);
	write_file(&k, sizeof(k));
	CU_ASSERT_EQUAL_FATAL(boot_open(&img, path, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(boot_pvh_load(vm, &img, 0, -1, msg, sizeof(msg)), -ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "outside the guest's loadable RAM"));
	boot_close(&img);
	vm_free(vm);

	/* Nor may a hostile kernel load over hv's boot data (GDT, start
	 * info, command line, page tables) or the ACPI tables. */
	static const uint32_t reserved[] = { 0x0, 0x2000, 0xf000, 0xe0000,
					     0xfff00 };
	for (unsigned int i = 0; i < ARRAY_SIZE(reserved); i++) {
		vm = vm_new(16 << 20, 0);
		make_pvh32(&k);
		k.ph[0].p_paddr = reserved[i];
		write_file(&k, sizeof(k));
		CU_ASSERT_EQUAL_FATAL(boot_open(&img, path, msg, sizeof(msg)), 0);
		CU_ASSERT_EQUAL(boot_pvh_load(vm, &img, 0, -1, msg, sizeof(msg)),
				-ENOSPC);
		boot_close(&img);
		vm_free(vm);
	}

	/* A segment in the PCI hole is not RAM either. */
	vm = vm_new(16 << 20, 1 << 20);
	make_pvh32(&k);
	k.ph[0].p_paddr = 0xd0000000;
	write_file(&k, sizeof(k));
	CU_ASSERT_EQUAL_FATAL(boot_open(&img, path, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(boot_pvh_load(vm, &img, 0, -1, msg, sizeof(msg)), -ENOSPC);
	boot_close(&img);
	vm_free(vm);
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, 4);
	return v;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

/* What the bzImage loader leaves in memory: the protected-mode code at
 * 1 MiB, the zero page (boot.rst fields a kernel reads) and the identity
 * map. */
static void test_bzimage_load_memory(void)
{
	struct vm *vm = vm_new(64 << 20, 0);
	size_t len;
	uint8_t *b = make_bz(&len, 0x020f, 1), *m = vm->mem[0].hva;
	uint32_t cmdline_size = 2047, initrd_max = 0x37ffffff;
	struct boot_image img;
	const uint64_t *pd;

	memcpy(b + 0x238, &cmdline_size, 4);
	memcpy(b + 0x22c, &initrd_max, 4);
	b[5 * 512] = 0xe9;			/* first byte of the 32/64-bit code */
	write_file(b, len);
	CU_ASSERT_EQUAL_FATAL(boot_open(&img, path, msg, sizeof(msg)), 0);
	vm->cfg.cmdline = "console=ttyS0";
	CU_ASSERT_EQUAL(boot_bzimage_load(vm, &img, 0xe0000, -1, msg,
					  sizeof(msg)), -EBADF);
	CU_ASSERT_EQUAL(m[0x100000], 0xe9);
	CU_ASSERT_EQUAL(m[BOOT_INFO_GPA + 0x210], 0xff);	/* type_of_loader */
	CU_ASSERT(m[BOOT_INFO_GPA + 0x211] & 0x01);		/* LOADED_HIGH */
	CU_ASSERT_EQUAL(rd32(m, BOOT_INFO_GPA + 0x202), rd32(b, 0x202));
	CU_ASSERT_EQUAL(rd32(m, BOOT_INFO_GPA + 0x228), BOOT_CMDLINE_GPA);
	CU_ASSERT_STRING_EQUAL((char *)m + BOOT_CMDLINE_GPA, "console=ttyS0");
	CU_ASSERT_EQUAL(rd64(m, BOOT_INFO_GPA + 0x070), 0xe0000);
	CU_ASSERT_EQUAL(m[BOOT_INFO_GPA + 0x1e8], 3);		/* e820 entries */
	CU_ASSERT_EQUAL(rd64(m, BOOT_INFO_GPA + 0x2d0 + 2 * 20), 0x100000);
	CU_ASSERT_EQUAL(rd32(m, BOOT_INFO_GPA + 0x2d0 + 2 * 20 + 16), E820_RAM);
	CU_ASSERT_EQUAL(rd32(m, BOOT_INFO_GPA + 0x218), 0);	/* no initrd */
	pd = (const uint64_t *)(m + BOOT_PD_GPA);
	CU_ASSERT_EQUAL(pd[1], (2ULL << 20) | 0x83);
	CU_ASSERT_EQUAL(pd[2047], (2047ULL << 21) | 0x83);
	boot_close(&img);
	free(b);
	vm_free(vm);
}

/* A command line longer than the kernel's cmdline_size is refused. */
static void test_bzimage_cmdline_limit(void)
{
	struct vm *vm = vm_new(64 << 20, 0);
	size_t len;
	uint8_t *b = make_bz(&len, 0x020f, 1);
	uint32_t cmdline_size = 8;
	struct boot_image img;

	memcpy(b + 0x238, &cmdline_size, 4);
	write_file(b, len);
	CU_ASSERT_EQUAL_FATAL(boot_open(&img, path, msg, sizeof(msg)), 0);
	vm->cfg.cmdline = "console=ttyS0";
	CU_ASSERT_EQUAL(boot_bzimage_load(vm, &img, 0, -1, msg, sizeof(msg)),
			-E2BIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "8 bytes"));
	boot_close(&img);
	free(b);
	vm_free(vm);
}

/* The initrd goes page-aligned at the top of low RAM below max_end; one
 * that does not fit above the floor is refused. */
static void test_initrd_placement(void)
{
	struct vm *vm = vm_new(16 << 20, 0);
	char data[5000];
	uint64_t gpa, size;

	memset(data, 'r', sizeof(data));
	data[0] = 'A';
	write_file(data, sizeof(data));
	vm->cfg.initrd = path;
	CU_ASSERT_EQUAL(boot_put_initrd(vm, 2 << 20, MEM_LOW_END, &gpa, &size,
					msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(size, sizeof(data));
	CU_ASSERT_EQUAL(gpa, ((16 << 20) - sizeof(data)) & ~0xfffULL);
	CU_ASSERT_EQUAL(vm->mem[0].hva[gpa], 'A');
	CU_ASSERT_EQUAL(memcmp(vm->mem[0].hva + gpa, data, sizeof(data)), 0);
	/* Below an 8 MiB initrd_addr_max. */
	CU_ASSERT_EQUAL(boot_put_initrd(vm, 2 << 20, 8 << 20, &gpa, &size,
					msg, sizeof(msg)), 0);
	CU_ASSERT(gpa + size <= (8 << 20));
	/* Floor above where it would go. */
	CU_ASSERT_EQUAL(boot_put_initrd(vm, (16 << 20) - 4096, MEM_LOW_END,
					&gpa, &size, msg, sizeof(msg)), -EFBIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "does not fit"));
	/* An empty file is no initrd (there is nothing to place), a
	 * directory or device is refused. */
	write_file(data, 0);
	CU_ASSERT_EQUAL(boot_put_initrd(vm, 2 << 20, MEM_LOW_END, &gpa, &size,
					msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL(gpa, 0);
	CU_ASSERT_EQUAL(size, 0);
	vm->cfg.initrd = "/dev/zero";
	CU_ASSERT_EQUAL(boot_put_initrd(vm, 2 << 20, MEM_LOW_END, &gpa, &size,
					msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(msg, "not a regular file"));
	vm_free(vm);
}

/* A FIFO as kernel or initrd is refused at once (issue 12, finding 9:
 * hv --kernel FIFO waited forever for a writer). In a child with an
 * alarm, so a regression fails here instead of hanging the suite. */
static void test_fifo_refused(void)
{
	char fifo[96];
	int status = -1;
	pid_t pid;

	snprintf(fifo, sizeof(fifo), "%s.fifo", path);
	unlink(fifo);
	CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct boot_image img;
		struct vm *vm = vm_new(16 << 20, 0);
		uint64_t gpa, size;
		bool ok;

		alarm(5);
		ok = boot_open(&img, fifo, msg, sizeof(msg)) == -EINVAL &&
		     strstr(msg, "not a regular file (a FIFO)");
		vm->cfg.initrd = fifo;
		ok = ok && boot_put_initrd(vm, 2 << 20, MEM_LOW_END, &gpa,
					   &size, msg, sizeof(msg)) == -EINVAL &&
		     strstr(msg, "not a regular file (a FIFO)");
		_exit(ok ? 0 : 1);
	}
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_FALSE(WIFSIGNALED(status));	/* SIGALRM: it blocked */
	CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(fifo);
}

static CU_TestInfo tests[] = {
	{ "pvh_probe_ok", test_pvh_probe_ok },
	{ "pvh_no_note", test_pvh_no_note },
	{ "pvh_bad_headers", test_pvh_bad_headers },
	{ "not_a_kernel", test_not_a_kernel },
	{ "missing_file", test_missing_file },
	{ "fifo_refused", test_fifo_refused },
	{ "bzimage_probe", test_bzimage_probe },
	{ "e820", test_e820 },
	{ "loadable", test_loadable },
	{ "pvh_load_memory", test_pvh_load_memory },
	{ "pvh_load_outside_ram", test_pvh_load_outside_ram },
	{ "bzimage_load_memory", test_bzimage_load_memory },
	{ "bzimage_cmdline_limit", test_bzimage_cmdline_limit },
	{ "initrd_placement", test_initrd_placement },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(boot, boot_suite_init, boot_suite_cleanup, tests);
