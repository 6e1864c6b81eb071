/*
 * hv-acpi-dump: build hv's ACPI tables (acpi_build) in a fake VM with no
 * KVM behind it and write each table to DIR/<signature>.dat, found by
 * walking RSDP -> RSDT/XSDT -> FADT -> FACS/DSDT the way a guest does, so
 * the output also checks the pointers. For `iasl -d` on each file. The
 * RSDP, which is not a table with a header (iasl refuses it), goes to
 * DIR/RSDP.bin.
 *   hv-acpi-dump [-n VCPUS] DIR
 * Exit status: 0 written, 1 a table was missing or invalid, 2 usage.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hv/dev.h"

#define FAKE_MEM	(2u << 20)

static struct vm vm;
static const char *outdir;

static void *table_at(uint64_t gpa, uint32_t minlen, uint32_t *len)
{
	uint8_t *p = vm_gpa(&vm, gpa, minlen);

	if (!p)
		return NULL;
	memcpy(len, p + 4, 4);
	if (*len < minlen || !vm_gpa(&vm, gpa, *len))
		return NULL;
	return p;
}

static int dump(const char *sig, const void *p, uint32_t len)
{
	const char *ext = strcmp(sig, "RSDP") == 0 ? "bin" : "dat";
	char path[4096];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s.%s", outdir, sig, ext);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fprintf(stderr, "hv-acpi-dump: %s: %m\n", path);
		return -1;
	}
	n = write(fd, p, len);
	close(fd);
	if (n != (ssize_t)len) {
		fprintf(stderr, "hv-acpi-dump: %s: short write\n", path);
		return -1;
	}
	printf("%s %u bytes\n", sig, len);
	return 0;
}

/* Dump the table at gpa, checking its signature and checksum. */
static int dump_table(uint64_t gpa, const char *sig, bool checksum,
		      const uint8_t **out)
{
	uint32_t len;
	const uint8_t *p = table_at(gpa, checksum ? 36 : 8, &len);

	if (!p || memcmp(p, sig, 4) != 0) {
		fprintf(stderr, "hv-acpi-dump: no %s at %#llx\n", sig,
			(unsigned long long)gpa);
		return -1;
	}
	if (checksum && acpi_checksum(p, len) != 0) {
		fprintf(stderr, "hv-acpi-dump: %s checksum is wrong\n", sig);
		return -1;
	}
	if (out)
		*out = p;
	return dump(sig, p, len);
}

static int dump_fadt(uint64_t gpa)
{
	const uint8_t *f;
	uint64_t dsdt, facs;
	uint32_t len;

	if (dump_table(gpa, "FACP", true, &f) < 0)
		return -1;
	memcpy(&len, f + 4, 4);
	if (len < 148) {	/* X_FIRMWARE_CTRL and X_DSDT end at 148 */
		fprintf(stderr, "hv-acpi-dump: FACP of %u bytes has no "
			"X_DSDT\n", len);
		return -1;
	}
	memcpy(&facs, f + 132, 8);
	memcpy(&dsdt, f + 140, 8);
	if (dump_table(facs, "FACS", false, NULL) < 0 ||
	    dump_table(dsdt, "DSDT", true, NULL) < 0)
		return -1;
	return 0;
}

static int dump_all(uint64_t rsdp_gpa)
{
	const uint8_t *rsdp = vm_gpa(&vm, rsdp_gpa, 36), *x;
	uint64_t xsdt, ent;
	uint32_t rsdt, len;
	char sig[5] = "";

	if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) != 0 ||
	    acpi_checksum(rsdp, 20) || acpi_checksum(rsdp, 36)) {
		fprintf(stderr, "hv-acpi-dump: bad RSDP\n");
		return -1;
	}
	memcpy(&rsdt, rsdp + 16, 4);
	memcpy(&xsdt, rsdp + 24, 8);
	if (dump("RSDP", rsdp, 36) < 0 || dump_table(rsdt, "RSDT", true, NULL) < 0 ||
	    dump_table(xsdt, "XSDT", true, &x) < 0)
		return -1;
	memcpy(&len, x + 4, 4);
	for (uint32_t off = 36; off + 8 <= len; off += 8) {
		memcpy(&ent, x + off, 8);
		if (!vm_gpa(&vm, ent, 4))
			return -1;
		memcpy(sig, vm_gpa(&vm, ent, 4), 4);
		if (strcmp(sig, "FACP") == 0 ? dump_fadt(ent) < 0
					     : dump_table(ent, sig, true, NULL) < 0)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long n = 1;
	uint64_t rsdp;
	int c, rc;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		char *end;

		if (c != 'n')
			goto usage;
		n = strtoul(optarg, &end, 10);
		if (*end || n == 0 || n > 255) {
			fprintf(stderr, "hv-acpi-dump: -n must be 1..255\n");
			return 2;
		}
	}
	if (optind != argc - 1)
		goto usage;
	outdir = argv[optind];
	vm.cfg.vcpus = (unsigned int)n;
	vm.vm_fd = vm.kvm_fd = vm.mem_fd = -1;
	vm.stop_reason = VM_STOP_NONE;
	vm.mem[0].size = FAKE_MEM;
	vm.mem[0].hva = calloc(1, FAKE_MEM);
	vm.nr_mem = 1;
	if (!vm.mem[0].hva)
		return 1;
	rc = acpi_build(&vm, &rsdp);
	if (rc < 0) {
		fprintf(stderr, "hv-acpi-dump: acpi_build: %s\n", strerror(-rc));
		return 1;
	}
	rc = dump_all(rsdp);
	free(vm.mem[0].hva);
	return rc < 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: hv-acpi-dump [-n VCPUS] DIR\n");
	return 2;
}
