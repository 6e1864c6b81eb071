/*
 * pvh.c: reads the Xen PVH struct hvm_start_info (xen/include/public/
 * arch-x86/hvm/start_info.h) into boot_info: command line, RSDP address,
 * memory map (version >= 1). Everything is copied, so the boot data below
 * 1 MiB may be reused afterwards (the AP trampoline). Every address and
 * count from the loader is range-checked against our 4 GiB identity map.
 */
#include "minios.h"
#include "xvm/pvh.h"

struct boot_info boot_info;

static bool mapped(uint64_t addr, uint64_t len)
{
	return addr != 0 && addr < MAPPED_END && len <= MAPPED_END - addr;
}

static void pvh_copy_cmdline(uint64_t paddr)
{
	const char *s = (const char *)(uintptr_t)paddr;
	size_t max = sizeof(boot_info.cmdline) - 1;

	if (!mapped(paddr, 1))
		return;
	max = MIN(max, (size_t)(MAPPED_END - paddr));
	for (size_t i = 0; i < max && s[i]; i++)
		boot_info.cmdline[i] = s[i];
}

static void pvh_copy_memmap(uint64_t paddr, uint32_t entries)
{
	const struct hvm_memmap_table_entry *e;
	uint64_t len = (uint64_t)entries * sizeof(*e);

	if (!entries || !mapped(paddr, len))
		return;
	e = (const void *)(uintptr_t)paddr;
	for (uint32_t i = 0; i < entries; i++) {
		if (e[i].type == E820_RAM)
			boot_info.ram_bytes += e[i].size;
		if (boot_info.nr_mem < ARRAY_SIZE(boot_info.mem)) {
			struct mem_range *m = &boot_info.mem[boot_info.nr_mem++];

			m->addr = e[i].addr;
			m->size = e[i].size;
			m->type = e[i].type;
		}
	}
}

int pvh_parse(uint32_t paddr)
{
	const struct hvm_start_info *si;

	if (!mapped(paddr, sizeof(*si)))
		return -EINVAL;
	si = (const void *)(uintptr_t)paddr;
	if (si->magic != XEN_HVM_START_MAGIC)
		return -EINVAL;
	if (si->cmdline_paddr)
		pvh_copy_cmdline(si->cmdline_paddr);
	if (mapped(si->rsdp_paddr, 36))
		boot_info.rsdp = si->rsdp_paddr;
	if (si->version >= 1)
		pvh_copy_memmap(si->memmap_paddr, si->memmap_entries);
	return 0;
}

bool pvh_is_ram(uint64_t addr, uint64_t len)
{
	for (unsigned int i = 0; i < boot_info.nr_mem; i++) {
		const struct mem_range *m = &boot_info.mem[i];

		if (m->type == E820_RAM && addr >= m->addr &&
		    addr - m->addr <= m->size && len <= m->size - (addr - m->addr))
			return true;
	}
	return false;
}
