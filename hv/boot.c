/*
 * Kernel loading shared by both boot protocols: opening and classifying
 * the kernel file, the e820 map, where a kernel may load, the command
 * line, the initrd, and hv's flat GDT.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "xvm/log.h"
#include "boot.h"
#include "vcpu.h"

#define PAGE_SIZE	4096ULL

/*
 * Open a file hv reads at start (kernel, initrd) and check it is a
 * regular file before anything reads it. O_NONBLOCK: opening a FIFO for
 * reading would otherwise wait for a writer forever, and a device could
 * block too; it changes nothing for a regular file's reads. fd, or
 * -errno with msg filled.
 */
static int boot_open_file(const char *path, struct stat *st, char *msg,
			  size_t msglen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0 || fstat(fd, st) < 0) {
		int rc = -errno;

		snprintf(msg, msglen, "%s: %s", path, strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(msg, msglen, "%s: not a regular file (%s)", path,
			 S_ISFIFO(st->st_mode) ? "a FIFO" :
			 S_ISDIR(st->st_mode) ? "a directory" :
			 S_ISCHR(st->st_mode) ? "a character device" :
			 S_ISBLK(st->st_mode) ? "a block device" :
			 S_ISSOCK(st->st_mode) ? "a socket" : "special");
		close(fd);
		return -EINVAL;
	}
	return fd;
}

int boot_open(struct boot_image *img, const char *path, char *msg,
	      size_t msglen)
{
	struct stat st;
	void *p = MAP_FAILED;
	int fd, rc;

	memset(img, 0, sizeof(*img));
	img->path = path;
	fd = boot_open_file(path, &st, msg, msglen);
	if (fd < 0)
		return fd;
	if (st.st_size < 64) {
		snprintf(msg, msglen, "%s: not a PVH ELF or bzImage kernel", path);
		rc = -ENOEXEC;
		goto fail;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		goto fail_errno;
	close(fd);
	img->data = p;
	img->size = (size_t)st.st_size;
	if (memcmp(img->data, "\177ELF", 4) == 0)
		rc = boot_pvh_probe(img, msg, msglen);
	else if (img->size > 0x206 && memcmp(img->data + 0x202, "HdrS", 4) == 0)
		rc = boot_bzimage_probe(img, msg, msglen);
	else {
		snprintf(msg, msglen, "%s: not a PVH ELF or bzImage kernel", path);
		rc = -ENOEXEC;
	}
	if (rc < 0)
		boot_close(img);
	return rc;
fail_errno:
	rc = -errno;
	snprintf(msg, msglen, "%s: %s", path, strerror(errno));
fail:
	if (fd >= 0)
		close(fd);
	return rc;
}

void boot_close(struct boot_image *img)
{
	if (img->data)
		munmap((void *)img->data, img->size);
	img->data = NULL;
}

int boot_load(struct vm *vm, const struct boot_image *img, uint64_t rsdp,
	      struct vcpu *bsp, char *msg, size_t msglen)
{
	if (img->type == BOOT_PVH)
		return boot_pvh_load(vm, img, rsdp, bsp->fd, msg, msglen);
	return boot_bzimage_load(vm, img, rsdp, bsp->fd, msg, msglen);
}

unsigned int boot_e820(const struct vm *vm, struct e820_entry *out,
		       unsigned int max)
{
	uint64_t low = vm->nr_mem ? vm->mem[0].size : 0;
	struct e820_entry e[4];
	unsigned int n = 0;

	e[n++] = (struct e820_entry){ 0, MIN(low, BOOT_LOWMEM_END), E820_RAM };
	e[n++] = (struct e820_entry){ ACPI_AREA_GPA, ACPI_AREA_SIZE,
				      E820_RESERVED };
	if (low > BOOT_HIGHMEM_GPA)
		e[n++] = (struct e820_entry){ BOOT_HIGHMEM_GPA,
					      low - BOOT_HIGHMEM_GPA, E820_RAM };
	if (vm->nr_mem > 1 && vm->mem[1].size)
		e[n++] = (struct e820_entry){ vm->mem[1].gpa, vm->mem[1].size,
					      E820_RAM };
	n = MIN(n, max);
	memcpy(out, e, n * sizeof(*e));
	return n;
}

bool boot_range_loadable(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct e820_entry e[BOOT_E820_MAX];
	unsigned int n = boot_e820(vm, e, BOOT_E820_MAX);

	if (gpa + len < gpa || gpa < BOOT_AREA_END)
		return false;
	for (unsigned int i = 0; i < n; i++)
		if (e[i].type == E820_RAM && gpa >= e[i].addr &&
		    gpa - e[i].addr <= e[i].size &&
		    len <= e[i].size - (gpa - e[i].addr))
			return true;
	return false;
}

int boot_put_cmdline(struct vm *vm, const char *cmdline)
{
	size_t len = strlen(cmdline) + 1;
	char *dst;

	if (len > BOOT_CMDLINE_MAX)
		return -E2BIG;
	dst = vm_gpa(vm, BOOT_CMDLINE_GPA, len);
	if (!dst)
		return -ENOMEM;
	memcpy(dst, cmdline, len);
	return 0;
}

static int boot_read_all(int fd, uint8_t *dst, uint64_t size)
{
	uint64_t done = 0;

	while (done < size) {
		ssize_t n = pread(fd, dst + done, MIN(size - done, 1ULL << 30),
				  (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (uint64_t)n;
	}
	return 0;
}

int boot_put_initrd(struct vm *vm, uint64_t floor, uint64_t max_end,
		    uint64_t *gpa, uint64_t *size, char *msg, size_t msglen)
{
	const char *path = vm->cfg.initrd;
	uint64_t end = MIN(max_end, vm->mem[0].size), start;
	struct stat st;
	uint8_t *dst;
	int fd, rc;

	*gpa = *size = 0;
	if (!path)
		return 0;
	fd = boot_open_file(path, &st, msg, msglen);
	if (fd < 0)
		return fd;
	rc = 0;
	if (st.st_size == 0)
		goto out;	/* nothing to load: boot without one */
	start = ((end - MIN(end, (uint64_t)st.st_size)) & ~(PAGE_SIZE - 1));
	dst = vm_gpa(vm, start, (uint64_t)st.st_size);
	if ((uint64_t)st.st_size > end || start < floor || !dst) {
		snprintf(msg, msglen, "%s: initrd does not fit in guest memory",
			 path);
		rc = -EFBIG;
		goto out;
	}
	rc = boot_read_all(fd, dst, (uint64_t)st.st_size);
	if (rc < 0)
		snprintf(msg, msglen, "%s: %s", path, strerror(-rc));
	*gpa = start;
	*size = (uint64_t)st.st_size;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Flat 4 GiB descriptors (Intel SDM vol. 3A §3.4.5): 32-bit code,
 * 64-bit code, data, and a 32-bit TSS at 0. */
static const uint64_t boot_gdt_entries[] = {
	0,
	0x00cf9b000000ffffULL,	/* 0x08 code32 */
	0x00af9b000000ffffULL,	/* 0x10 code64 */
	0x00cf93000000ffffULL,	/* 0x18 data */
	0x00008b0000000067ULL,	/* 0x20 TSS (busy) */
};

static struct kvm_segment boot_seg(uint16_t sel, uint8_t type, bool s,
				   bool db, bool l)
{
	return (struct kvm_segment){
		.base = 0, .limit = s ? 0xffffffff : 0x67, .selector = sel,
		.type = type, .present = 1, .dpl = 0, .db = db, .s = s,
		.l = l, .g = s,
	};
}

void boot_flat_segments(struct vm *vm, struct kvm_sregs *s, bool long_mode)
{
	void *gdt = vm_gpa(vm, BOOT_GDT_GPA, sizeof(boot_gdt_entries));
	struct kvm_segment data = boot_seg(BOOT_SEL_DATA, 0x3, true, true,
					   false);

	if (gdt)
		memcpy(gdt, boot_gdt_entries, sizeof(boot_gdt_entries));
	s->gdt.base = BOOT_GDT_GPA;
	s->gdt.limit = sizeof(boot_gdt_entries) - 1;
	s->cs = long_mode ? boot_seg(BOOT_SEL_CODE64, 0xb, true, false, true)
			  : boot_seg(BOOT_SEL_CODE32, 0xb, true, true, false);
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = boot_seg(BOOT_SEL_TSS, 0xb, false, false, false);
}
