/*
 * cpu.c: the 64-bit TSS (rsp0 for exceptions from ring 3, IST1 for double
 * faults and NMIs) and the IDT: vectors 0-31 to the exception stubs in
 * boot.S, vectors 32-255 to the interrupt stubs (nothing should interrupt
 * us, but a stray one must not look like an exception), ring-3 requests
 * (SYS_*) arrive as #UD (see minios.h).
 * Intel SDM vol. 3A §6.14 (64-bit IDT), §8.7 (64-bit TSS).
 */
#include "minios.h"

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
	/* I/O permission bitmap: all ports allowed, plus the terminating
	 * 0xff byte. IOPL 3 already allows every port; the bitmap is for
	 * hypervisors that keep guest ring 3 at IOPL 0 and check the TSS
	 * when they emulate the faulting in/out (kvm_pvm does). */
	uint8_t iomap[65536 / 8 + 1];
} __attribute__((packed));

struct idt_gate {
	uint16_t off_lo;
	uint16_t sel;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t off_mid;
	uint32_t off_hi;
	uint32_t reserved;
} __attribute__((packed));

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define GATE_INTR	0x8e	/* present, DPL 0, 64-bit interrupt gate */
#define KSTACK_SIZE	16384
#define IST_STACK_SIZE	8192

extern uint64_t gdt_tss[2];
extern const uint64_t isr_table[32];
extern const char irq_stubs[];

static struct tss64 tss __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint8_t kstack[KSTACK_SIZE] __attribute__((aligned(16), section(".noinit")));
static uint8_t ist_stack[IST_STACK_SIZE] __attribute__((aligned(16), section(".noinit")));

static void idt_set(unsigned int vec, uint64_t handler, uint8_t attr, uint8_t ist)
{
	struct idt_gate *g = &idt[vec];

	g->off_lo = (uint16_t)handler;
	g->sel = SEL_KCODE;
	g->ist = ist;
	g->type_attr = attr;
	g->off_mid = (uint16_t)(handler >> 16);
	g->off_hi = (uint32_t)(handler >> 32);
	g->reserved = 0;
}

static void tss_install(void)
{
	uint64_t base = (uint64_t)&tss;
	uint64_t limit = sizeof(tss) - 1;

	tss.rsp[0] = (uint64_t)(kstack + KSTACK_SIZE);
	tss.ist[0] = (uint64_t)(ist_stack + IST_STACK_SIZE);
	tss.iomap_base = offsetof(struct tss64, iomap);
	tss.iomap[sizeof(tss.iomap) - 1] = 0xff;
	/* Available 64-bit TSS (type 9), present. */
	gdt_tss[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
		     (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
		     (((base >> 24) & 0xff) << 56);
	gdt_tss[1] = base >> 32;
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}

void cpu_load_idt(void)
{
	struct desc_ptr p = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(p));
}

/* Firmware (SeaBIOS under QEMU) leaves the 8259s unmasked; we poll. */
static void pic_mask_all(void)
{
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

void cpu_init(void)
{
	unsigned int v;

	pic_mask_all();

	for (v = 0; v < 32; v++)
		idt_set(v, isr_table[v], GATE_INTR, (v == 2 || v == 8) ? 1 : 0);
	for (v = 32; v < 256; v++)
		idt_set(v, (uint64_t)(irq_stubs + (v - 32) * 16), GATE_INTR, 0);
	cpu_load_idt();
	tss_install();
}
