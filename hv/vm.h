/*
 * hv: the contract between the monitor core (KVM, memory, vCPUs, boot,
 * event loop, control socket: vm.c, vcpu.c, boot_*.c, main.c, control.c,
 * console.c) and the device models (one file per device: ns16550.c,
 * i8042.c, acpi.c, acpi_pm.c, pvpanic.c, pci.c, virtio_pci.c, virtqueue.c,
 * virtio_console.c, devices.c).
 *
 * Threads and locking: vCPU threads take I/O exits; one event-loop thread
 * watches fds (console input, ioeventfds, the control socket). Every device
 * callback (an io_ops member, a watched-fd callback, a console sink) runs
 * with vm->dev_lock held, so device models need no locks of their own and
 * must never block or take it themselves.
 *
 * Guest-physical layout (x86-64):
 *   0x00000000-0x0009ffff  RAM (boot data structures live here)
 *   0x000e0000-0x000fffff  ACPI tables, RSDP at ACPI_RSDP_GPA (e820 reserved)
 *   0x00100000-...         RAM (kernels load at 1 MiB), up to MEM_LOW_END
 *   PCI_MMIO_BASE-PCI_MMIO_END  32-bit PCI BAR window
 *   0xfec00000             IOAPIC (in-kernel)
 *   0xfee00000             LAPIC (in-kernel)
 *   0x100000000-...        RAM beyond MEM_LOW_END, if any
 */
#ifndef HV_VM_H
#define HV_VM_H

#include <pthread.h>
#include <sys/types.h>
#include "xvm/common.h"

#define MEM_LOW_END		0xc0000000ULL
#define MEM_HIGH_BASE		0x100000000ULL
#define PCI_MMIO_BASE		0xc0000000ULL
#define PCI_MMIO_END		0xfec00000ULL	/* exclusive */
#define IOAPIC_GPA		0xfec00000ULL
#define LAPIC_GPA		0xfee00000ULL
#define ACPI_AREA_GPA		0x000e0000ULL
#define ACPI_AREA_SIZE		0x00020000ULL
#define ACPI_RSDP_GPA		0x000e0000ULL

/* Fixed platform resources (reported to the guest through ACPI). */
#define COM1_PORT		0x3f8
#define COM1_IRQ		4
#define I8042_DATA_PORT		0x60
#define I8042_CMD_PORT		0x64
#define ACPI_PM_PORT		0x600	/* PM1a_EVT 0x600(4), PM1a_CNT 0x604(2), PM_TMR 0x608(4) */
#define ACPI_SCI_IRQ		9
#define ACPI_RESET_PORT		0xcf9	/* FADT RESET_REG, value ACPI_RESET_VALUE */
#define ACPI_GPE0_PORT		0x620	/* GPE0_BLK: STS 0x620(2), EN 0x622(2) */
#define PCIHP_PORT		0xae00	/* PCI hot-plug registers (pcihp.c), 16 bytes */
#define ACPI_RESET_VALUE	0x06
#define PVPANIC_PORT		0x505
#define PCI_CONFIG_PORT		0xcf8	/* mechanism #1: 0xcf8 address, 0xcfc-0xcff data */

/* How a domain's run ends: hv's exit status (issue: lifecycle). */
enum vm_stop {
	VM_STOP_NONE = -1,
	VM_STOP_POWEROFF = 0,	/* guest powered off (ACPI S5) or destroy */
	VM_STOP_ERROR = 1,	/* internal failure */
	VM_STOP_REBOOT = 10,	/* guest reboot (i8042, ACPI reset, reset cmd) */
	VM_STOP_CRASH = 11,	/* triple fault, or the guest's panic report */
};

#define HV_DEV_TYPES_MAX	16	/* entries in devices.c's table */

struct vm_config {
	char name[64];
	char uuid[37];		/* canonical text form */
	uint64_t mem_mib;
	unsigned int vcpus;
	const char *kernel;
	const char *initrd;	/* NULL if none */
	const char *cmdline;	/* "" if none */
	const char *console;	/* "stdio", "pty" or "file:PATH" */
	const char *control;	/* control socket path, NULL if none */
	/* Device options by device type (devices.c's table), as the
	 * type's parse_option recorded them; NULL if none. */
	void *dev_opts[HV_DEV_TYPES_MAX];
};

/* A guest RAM region backed by the memfd (for vhost-user SET_MEM_TABLE). */
struct vm_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t fd_offset;	/* offset of this region in vm->mem_fd */
	uint8_t *hva;
};

enum io_space {
	IO_SPACE_PIO,
	IO_SPACE_MMIO,
};

/* A claimed port or MMIO range. */
struct io_ops {
	/* Guest read of `size` (1, 2, 4 or 8) bytes at `off` from the range
	 * base; return the value zero-extended. vCPU thread, dev_lock held. */
	uint64_t (*read)(void *opaque, uint64_t off, unsigned int size);
	/* Guest write of `size` bytes of `val` at `off`. Same context. */
	void (*write)(void *opaque, uint64_t off, unsigned int size,
		      uint64_t val);
};

struct snap_writer;
struct snap_reader;

/* A device model instance registered for state save/load (migration). */
struct hv_device_ops {
	const char *name;	/* type name, "ns16550"; written in the stream */
	/* Append the device's state to w. Called with every vCPU stopped
	 * and dev_lock held. 0 or -errno. */
	int (*save)(void *dev, struct snap_writer *w);
	/* Replace the device's state with one save() produced; validates
	 * every field (the stream comes from another host) and returns
	 * -EINVAL leaving the device usable on bad input. */
	int (*load)(void *dev, struct snap_reader *r);
	/* Optional. stop true: a save is about to copy guest RAM (vCPUs
	 * stopped, dev_lock held): make sure nothing outside the vCPUs
	 * writes guest memory any more (vhost-user backends). stop false:
	 * the save failed and the guest goes on; undo it. */
	void (*quiesce)(void *dev, bool stop);
	/* Optional. Before quiesce(stop), same context: wait (bounded) until
	 * no request the device took is unanswered, so quiesce loses none.
	 * 0, or -errno with a reason in msg: the save or migration fails
	 * and nothing was stopped. */
	int (*drain)(void *dev, char *msg, size_t msglen);
	/* Optional. A live migration turns logging of writes to guest
	 * memory on (vm->dirty exists) or off (before vm->dirty goes): a
	 * device whose backend writes guest memory outside hv (vhost-user)
	 * makes it log them into vm->dirty. vCPUs may run; dev_lock held.
	 * on: 0, or -errno with a reason in msg (the migration is refused);
	 * off: always goes on (a backend that fails is reconnected). */
	int (*dirty_log)(void *dev, bool on, char *msg, size_t msglen);
	/* Optional. The guest is about to run here after an incoming
	 * migration or a restore: tell the network its port (virtio-net:
	 * a RARP through the backend). dev_lock held. */
	void (*announce)(void *dev);
};

struct io_range;
struct vm_fdwatch;
struct vcpu;

/* The dirty log of a live migration (dirty_log.c): one bit per 4 KiB
 * guest-physical page from gpa 0, in a memfd vhost-user backends map
 * (SET_LOG_BASE) and mark too. */
struct vm_dirty {
	int fd;			/* memfd of the bitmap */
	uint64_t *bm;
	uint64_t size;		/* bytes of fd (page multiple) */
	uint64_t pages;		/* pages covered: to the end of RAM */
};

struct vm {
	struct vm_config cfg;
	int kvm_fd;
	int vm_fd;
	int mem_fd;			/* memfd holding all guest RAM */
	struct vm_mem_region mem[2];	/* [0] low RAM, [1] high RAM (size 0 if none) */
	unsigned int nr_mem;
	uint64_t mem_size;		/* total RAM bytes */
	/* Per 2 MiB piece of RAM: VM_HUGE_DONE once it is one huge page,
	 * else the failed tries (vm_mem_want_huge); NULL: never tried. */
	uint8_t *huge;
	/* While a migration logs writes to guest memory, else NULL:
	 * created and freed with dev_lock held (dirty_log.c). */
	struct vm_dirty *dirty;

	pthread_mutex_t dev_lock;	/* see top of file */
	struct io_range *pio, *mmio;	/* sorted claimed ranges */
	unsigned int nr_pio, nr_mmio;

	struct vcpu *vcpus;		/* cfg.vcpus entries */

	/* Registered devices for save/load, in registration order. */
	struct {
		const struct hv_device_ops *ops;
		void *dev;
	} devs[32];
	unsigned int nr_devs;

	volatile int stop_reason;	/* enum vm_stop, VM_STOP_NONE while running */
	char stop_why[256];

	void *core;			/* private to the core (event loop, console, control) */
	void *devices;			/* private to devices.c */
};

/* ---- guest memory (vm.c) ---- */

/* Host pointer for [gpa, gpa+len) if that range lies entirely in one RAM
 * region, else NULL. The only way device code may touch guest memory; a
 * guest-supplied address must never be dereferenced otherwise. */
void *vm_gpa(struct vm *vm, uint64_t gpa, uint64_t len);

/* ---- dirty log (dirty_log.c) ---- */

/* Start logging (vm->dirty): 0, -EALREADY, -EINVAL (a RAM region not
 * 256 KiB-aligned), -errno. dev_lock held. */
int vm_dirty_start(struct vm *vm);
/* Stop and free the log (backends keep their mapping until told).
 * dev_lock held. */
void vm_dirty_stop(struct vm *vm);
void vm_dirty_mark_range(struct vm *vm, uint64_t gpa, uint64_t len);
/* Device code writing guest memory calls one of these AFTER the write
 * (so a round that clears the bit copies the new bytes): a load and a
 * branch while no migration logs. By guest-physical address, or by the
 * host pointer vm_gpa() gave (ignored if outside guest RAM). */
static inline void vm_dirty_mark(struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (__atomic_load_n(&vm->dirty, __ATOMIC_RELAXED))
		vm_dirty_mark_range(vm, gpa, len);
}
void vm_dirty_mark_hva(struct vm *vm, const void *hva, uint64_t len);
/* Guest RAM is 4 KiB pages of a memfd (shmem, whose huge pages the host
 * usually leaves off). O_DIRECT I/O on [hva, hva+len) then reaches the
 * disk as one segment per page; made one huge page (MADV_COLLAPSE) each
 * 2 MiB piece of RAM it touches is one physically contiguous segment.
 * Each piece is asked at most a few times; a kernel that cannot
 * (before 6.1, no memory) costs nothing more. dev_lock held. */
void vm_mem_want_huge(struct vm *vm, const void *hva, uint64_t len);
/* OR the pages of RAM region slot marked since the last take into bm
 * (bit i: the region's i-th page) and clear them in the log; returns
 * how many of those bits were not already set in bm. */
uint64_t vm_dirty_take(struct vm *vm, unsigned int slot, uint64_t *bm);

/* ---- I/O dispatch (vm.c) ---- */

/* Claim [base, base+len) in a space. -EBUSY if it overlaps a claimed range. */
int io_register(struct vm *vm, enum io_space space, uint64_t base,
		uint64_t len, const struct io_ops *ops, void *opaque,
		const char *name);
/* Release the range starting at base (BAR reprogramming). -ENOENT if none. */
int io_unregister(struct vm *vm, enum io_space space, uint64_t base);
/* Dispatch one access (vCPU exits call this; tests may too). Takes
 * dev_lock. Unclaimed reads return all ones, unclaimed writes are dropped
 * (logged, rate-limited). Returns 0, or -ENOENT when unclaimed. */
int io_dispatch(struct vm *vm, enum io_space space, uint64_t addr,
		unsigned int size, bool is_write, uint64_t *val);

/* ---- interrupts and eventfds (vm.c) ---- */

/* Set the level of an IOAPIC/PIC input (edge devices pulse 1 then 0). */
int vm_irq_line(struct vm *vm, unsigned int gsi, int level);
/* Route MSI (address, data) to a fresh GSI and bind eventfd efd to it with
 * KVM_IRQFD: writing efd then injects the MSI in the kernel. Returns the
 * GSI (>= 0) or -errno. */
int vm_msi_irqfd_bind(struct vm *vm, int efd, uint64_t addr, uint32_t data);
/* Change the MSI message of a bound GSI (guest reprogrammed the vector). */
int vm_msi_irqfd_update(struct vm *vm, int gsi, uint64_t addr, uint32_t data);
/* Unbind efd from gsi and free the route. */
int vm_msi_irqfd_unbind(struct vm *vm, int gsi, int efd);
/* Inject one MSI directly (KVM_SIGNAL_MSI). */
int vm_signal_msi(struct vm *vm, uint64_t addr, uint32_t data);
/* (De)assign an ioeventfd: a guest write of len bytes at addr in space
 * signals efd inside KVM, without an exit to hv. */
int vm_ioeventfd(struct vm *vm, enum io_space space, uint64_t addr,
		 unsigned int len, int efd, bool assign);

/* ---- event loop (vm.c / main.c) ---- */

/* Call cb(opaque) on the event-loop thread, with dev_lock held, whenever
 * fd is readable. One watch per fd. */
int vm_watch_fd(struct vm *vm, int fd, void (*cb)(void *opaque), void *opaque);
void vm_unwatch_fd(struct vm *vm, int fd);

/* ---- console (console.c) ---- */

/* Guest output to the domain's console (stdio, pty or file). Never blocks
 * the caller for long: output is dropped if the console cannot take it. */
void vm_console_write(struct vm *vm, const void *buf, size_t len);
/* Where console input goes: cb is called with dev_lock held. One sink;
 * devices.c decides which device gets it. */
void vm_console_set_sink(struct vm *vm,
			 void (*cb)(void *opaque, const uint8_t *buf, size_t len),
			 void *opaque);

/* ---- lifecycle (vm.c) ---- */

/* Ask the VM to stop with this reason; the first request wins. Safe from
 * any thread, with or without dev_lock. why is logged ("guest reported
 * panic"). */
void vm_request_stop(struct vm *vm, enum vm_stop reason, const char *why);

/* ---- devices (devices.c, acpi.c) ---- */

/* Register a device for save/load. -ENOSPC past ARRAY_SIZE(vm->devs). */
int vm_register_device(struct vm *vm, const struct hv_device_ops *ops,
		       void *dev);
/* Create every device of devices.c's table (serial, i8042, pvpanic, ACPI
 * PM, PCI host bridge, virtio-console, the NICs of cfg.dev_opts) in that
 * order and register them for save/load. Called once by the core after
 * KVM, memory and the irqchip exist and before the kernel is loaded.
 * 0 or -errno. */
int devices_create(struct vm *vm);
/* Press the ACPI power button (control "shutdown"): sets PWRBTN_STS and
 * raises the SCI if enabled. Takes dev_lock itself. */
void devices_power_button(struct vm *vm);
/* The virtio-blk disks in --disk order, up to max into out; how many
 * there are. */
struct virtio_blk;
unsigned int vm_disks(struct vm *vm, struct virtio_blk **out,
		      unsigned int max);
void devices_destroy(struct vm *vm);
/* Device command-line options, one per device type that has one: the
 * n-th option's name ("net") and in *help its argument's description
 * ("vnic=SOCKET[,mac=MAC]"); NULL past the last. */
const char *devices_option(unsigned int n, const char **help);
/* One "--NAME ARG" of the n-th option, checked and kept in cfg for
 * devices_create(). 0, or -errno with a one-line message for the user in
 * msg. */
int devices_parse_option(struct vm_config *cfg, unsigned int n,
			 const char *arg, char *msg, size_t msglen);
/* Free what devices_parse_option() kept in cfg. */
void devices_free_options(struct vm_config *cfg);
/* Build the ACPI tables (RSDP, XSDT, FADT, DSDT, FACS, MADT) in guest
 * memory at ACPI_AREA_GPA for cfg.vcpus CPUs; *rsdp_gpa gets the RSDP's
 * address. Called after devices_create(). */
int acpi_build(struct vm *vm, uint64_t *rsdp_gpa);

#endif
