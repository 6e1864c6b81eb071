/*
 * minios.h: what every part of the PV guest kernel shares: types, port and
 * MMIO access, barriers, string functions, formatted output, the boot
 * information, and the few entry points between the files.
 *
 * Privilege split (PLATFORM.md): ring 0 only sets up (start.c, cpu.c, the
 * kvmclock MSR) and handles exceptions (trap.c); everything else runs in
 * ring 3 with IOPL 3 and interrupts off, and polls.
 */
#ifndef MINIOS_H
#define MINIOS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define NORETURN	__attribute__((noreturn))

/* errno values we return (negated), as in Linux. */
#define EIO		5
#define ENOMEM		12
#define EBUSY		16
#define ENODEV		19
#define EINVAL		22
#define ENOSPC		28
#define ERANGE		34
#define ENOTSUP		95
#define ETIMEDOUT	110

/* Segment selectors (boot.S gdt). */
#define SEL_KCODE32	0x08
#define SEL_KCODE	0x10
#define SEL_KDATA	0x18
#define SEL_UDATA	(0x20 | 3)
#define SEL_UCODE	(0x28 | 3)
#define SEL_TSS		0x30

#define MAX_CPUS	16
#define PAGE_SIZE	4096UL
/* Our identity map covers the first 4 GiB; nothing above is reachable. */
#define MAPPED_END	0x100000000ULL

/* ---- port I/O and MMIO (each one is a VM exit; ~67 us from ring 3) ---- */
static inline void outb(uint16_t port, uint8_t v)
{ __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v)
{ __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v)
{ __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{ uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port)
{ uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port)
{ uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint8_t mmio_read8(uintptr_t a)
{ return *(volatile uint8_t *)a; }
static inline uint16_t mmio_read16(uintptr_t a)
{ return *(volatile uint16_t *)a; }
static inline uint32_t mmio_read32(uintptr_t a)
{ return *(volatile uint32_t *)a; }
static inline void mmio_write8(uintptr_t a, uint8_t v)
{ *(volatile uint8_t *)a = v; }
static inline void mmio_write16(uintptr_t a, uint16_t v)
{ *(volatile uint16_t *)a = v; }
static inline void mmio_write32(uintptr_t a, uint32_t v)
{ *(volatile uint32_t *)a = v; }
/* 64-bit registers written as two halves, low first (virtio 1.2 §4.1.3.1). */
static inline void mmio_write64(uintptr_t a, uint64_t v)
{ mmio_write32(a, (uint32_t)v); mmio_write32(a + 4, (uint32_t)(v >> 32)); }

/* x86 is TSO: only store->load needs a fence; the rest is the compiler. */
#define barrier()	__asm__ volatile("" ::: "memory")
#define mb()		__asm__ volatile("mfence" ::: "memory")
#define rmb()		barrier()
#define wmb()		barrier()
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

/* Ring 0 only. */
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v),
			 "d"((uint32_t)(v >> 32)));
}

/* ---- string.c ---- */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *d, const char *s, size_t size);
/* Parse a decimal or 0x-hex unsigned number filling all of s[0..len). */
int parse_u64(const char *s, size_t len, uint64_t *out);

/* ---- printf.c ---- */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF(3, 4);

/* ---- console.c: where output goes (serial, then virtio-console) ---- */
struct console_ops {
	const char *name;
	/* Write len bytes; may buffer until a newline or flush. */
	void (*write)(const char *buf, size_t len);
	/* Push out anything buffered (one notification at most). */
	void (*flush)(void);
	/* One input byte, or -1 if none is waiting. Polls the device. */
	int (*getc)(void);
};
void console_write(const char *buf, size_t len);
void console_flush(void);
int console_getc(void);
/* Make ops the console (NULL: back to the serial port). */
void console_set(const struct console_ops *ops);
/* Force output to the serial port only (crash paths). */
void console_force_serial(void);
int kprintf(const char *fmt, ...) PRINTF(1, 2);
int vkprintf(const char *fmt, va_list ap);

/* ---- ns16550.c: COM1 ---- */
void ns16550_init(void);
extern const struct console_ops ns16550_console;

/* ---- pvh.c: boot information (Xen PVH hvm_start_info) ---- */
#define E820_RAM	1
struct mem_range {
	uint64_t addr, size;
	uint32_t type;
};
struct boot_info {
	char cmdline[1024];
	uint64_t rsdp;			/* 0 if not given */
	struct mem_range mem[64];
	unsigned int nr_mem;
	uint64_t ram_bytes;		/* sum of type-1 ranges */
};
extern struct boot_info boot_info;
int pvh_parse(uint32_t start_info_paddr);
bool pvh_is_ram(uint64_t addr, uint64_t len);

/* ---- cpu.c / boot.S: descriptor tables, privilege switch ---- */
void cpu_init(void);
void cpu_load_idt(void);
NORETURN void enter_user(void (*fn)(void), void *stack_top);
/*
 * Ring 3 -> ring 0 requests: rax = SYS_*, rdi = argument, then `ud2`
 * followed by the two bytes "xv"; the #UD handler recognizes the pattern,
 * skips it and serves the request. Not `int $n`: kvm_pvm turns any
 * software interrupt from ring 3 into #UD (the emulator does not do
 * protected-mode INT), while #UD itself reaches our IDT everywhere.
 */
#define SYSCALL_MAGIC0	0x78	/* 'x' */
#define SYSCALL_MAGIC1	0x76	/* 'v' */
static inline uint64_t sys_request(uint64_t nr, uint64_t arg)
{
	__asm__ volatile("ud2; .byte 0x78, 0x76" : "+a"(nr) : "D"(arg) : "memory");
	return nr;
}
#define SYS_HALT	1	/* cli; hlt forever */
#define SYS_IDLE	2	/* rdi: timer value; sleep until it fires */
void sys_halt(void) NORETURN;

/* ---- trap.c ---- */
struct trap_frame {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};
void trap_dispatch(struct trap_frame *tf);
extern volatile uint64_t trap_stray_irqs;	/* interrupts we did not ask for */
extern volatile uint8_t trap_last_irq;		/* vector of the last one */

/* ---- clock.c ---- */
int clock_init(void);		/* ring 0: kvmclock MSR or PIT calibration */
uint64_t clock_ns(void);	/* monotonic ns since boot */
uint64_t clock_tsc_hz(void);
const char *clock_source(void);
void delay_us(uint64_t us);

/* ---- dma.c: identity-mapped memory for devices ---- */
/* Zeroed memory aligned to align (a power of two), or NULL. Never freed. */
void *dma_alloc(size_t size, size_t align);

/* ---- power.c ---- */
NORETURN void power_off(void);
NORETURN void power_reboot(void);
NORETURN void power_crash(const char *why);
int power_button_init(void);
/* Check PWRBTN_STS; powers off if it was pressed. Call every ~10 ms. */
void power_button_poll(void);
/* PCI hot-plug (hotplug.c): find hv's controller (0 or -ENODEV), then
 * handle slot changes from the main loop. */
int hotplug_init(void);
void hotplug_poll(void);

/* ---- idle.c ---- */
#define IDLE_VECTOR	0xef
/* Ring 3, after ACPI: pick the LAPIC timer mode; returns its name. */
const char *idle_init(void);
/* Ring 3: sleep until about deadline_ns (clock_ns), or return at once if
 * there is no timer to wake us. */
void idle_until(uint64_t deadline_ns);
void idle_sleep(uint64_t arg);		/* ring 0 half of SYS_IDLE */
void idle_timer_irq(void);		/* ring 0, IDLE_VECTOR */
extern volatile uint64_t idle_wakeups;

/* ---- smp.c ---- */
/* Start every enabled AP in the MADT; returns vCPUs online (BSP + APs). */
unsigned int smp_start(void);
void ap_main(void);

/* ---- main.c ---- */
void kmain(uint32_t start_info);
NORETURN void user_main(void);

#endif
