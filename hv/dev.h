/*
 * hv device models: private declarations shared by devices.c, the device
 * files and their unit tests. The core sees only vm.h (devices_create,
 * devices_power_button, devices_destroy, the device options, acpi_build).
 *
 * Every function here runs with vm->dev_lock held unless it says
 * otherwise (creation and destruction run before the vCPUs start or after
 * they stopped).
 */
#ifndef HV_DEV_H
#define HV_DEV_H

#include "vm.h"
#include "snapshot.h"

/* Where a device's console output goes; vm_console_write by default,
 * unit tests capture it. */
typedef void dev_output_fn(void *opaque, const void *buf, size_t len);

/* ---- ns16550.c: 16550A UART ---- */
struct ns16550;
/* Claims 8 ports at `port`; interrupts on GSI `irq`. NULL + errno. */
struct ns16550 *ns16550_create(struct vm *vm, uint16_t port, unsigned int irq);
void ns16550_destroy(struct ns16550 *u);
void ns16550_set_output(struct ns16550 *u, dev_output_fn *fn, void *opaque);
/* Console input: queued in the RX FIFO (NS16550_RX_MAX bytes; the rest is
 * dropped and counted). */
void ns16550_input(struct ns16550 *u, const uint8_t *buf, size_t len);
/* Current level of the interrupt output (0 or 1). */
int ns16550_irq_level(const struct ns16550 *u);
extern const struct hv_device_ops ns16550_device_ops;
#define NS16550_RX_MAX	256

/* ---- i8042.c: keyboard controller (probing and the reset line) ---- */
struct i8042;
struct i8042 *i8042_create(struct vm *vm);
void i8042_destroy(struct i8042 *k);
unsigned int i8042_irq_pulses(const struct i8042 *k);	/* IRQ 1 edges so far */
extern const struct hv_device_ops i8042_device_ops;

/* ---- pvpanic.c: QEMU's pvpanic ISA port ---- */
struct pvpanic;
struct pvpanic *pvpanic_create(struct vm *vm, uint16_t port);
void pvpanic_destroy(struct pvpanic *p);
extern const struct hv_device_ops pvpanic_device_ops;

/* ---- acpi_pm.c: ACPI fixed hardware (PM1a event/control, PM timer,
 * reset register) ---- */
struct acpi_pm;
struct acpi_pm *acpi_pm_create(struct vm *vm);
void acpi_pm_destroy(struct acpi_pm *pm);
/* Press the power button: PWRBTN_STS, SCI if PWRBTN_EN. */
void acpi_pm_power_button(struct acpi_pm *pm);
/* A byte written to the reset register (port ACPI_RESET_PORT, claimed by
 * pci.c together with CONFIG_ADDRESS). */
void acpi_pm_reset_write(struct vm *vm, uint8_t val);
int acpi_pm_sci_level(const struct acpi_pm *pm);
/* The other SCI source's level (the GPE0 block's enabled status bits,
 * pcihp.c): the SCI is the OR of both. */
void acpi_pm_set_ext_sci(struct acpi_pm *pm, int level);
/* Replace the timer's clock (ns; NULL: CLOCK_MONOTONIC) and restart the
 * timer at 0. For tests. */
void acpi_pm_set_clock(struct acpi_pm *pm, uint64_t (*now_ns)(void));
extern const struct hv_device_ops acpi_pm_device_ops;

/* Sleep type values of \_S5 in the DSDT and of PM1_CNT.SLP_TYP. */
#define ACPI_SLP_TYP_S5		5
/* PM1 register block layout (FADT PM1_EVT_LEN 4, PM1_CNT_LEN 2). */
#define ACPI_PM1_STS		0	/* offsets from ACPI_PM_PORT */
#define ACPI_PM1_EN		2
#define ACPI_PM1_CNT		4
#define ACPI_PM_TMR		8
#define ACPI_PM_LEN		12
#define ACPI_PM_TMR_HZ		3579545ULL

/* ---- virtio_console.c: virtio console (device id 3, one port) ---- */
struct pci_bus;
struct virtio_pci;
struct virtio_console;
/* On the PCI bus as a modern virtio-pci function; registered for
 * save/load through its transport. NULL + errno. */
struct virtio_console *virtio_console_create(struct vm *vm,
					     struct pci_bus *bus);
void virtio_console_destroy(struct virtio_console *vc);
void virtio_console_set_output(struct virtio_console *vc, dev_output_fn *fn,
			       void *opaque);
/* True once the driver set DRIVER_OK (and no reset is needed). */
bool virtio_console_active(const struct virtio_console *vc);
/* Console input: into posted receive buffers, the rest waits in a
 * VIRTIO_CONSOLE_INBUF-byte buffer (beyond that it is dropped). */
void virtio_console_input(struct virtio_console *vc, const uint8_t *buf,
			  size_t len);
struct virtio_pci *virtio_console_transport(struct virtio_console *vc);
#define VIRTIO_CONSOLE_INBUF	4096

/* ---- virtio_blk.c: virtio-blk (device id 2), one disk ---- */
struct virtio_blk;
/* Open path with the blockdev backend `format` (read-only if ro,
 * bypassing the host page cache if direct) and put the disk on the bus
 * with `queues` request queues (1 to 8; MQ offered when more than one);
 * serial (at most 20 bytes) answers GET_ID. Completions come through the
 * event loop (vm_watch_fd). NULL + errno (EINVAL: queues out of range). */
struct virtio_blk *virtio_blk_create(struct vm *vm, struct pci_bus *bus,
				     const char *path, const char *format,
				     bool ro, bool direct, const char *serial,
				     unsigned int queues);
/* Wait for every request in flight and answer it (tests; what a VM
 * without an event loop needs). */
void virtio_blk_drain(struct virtio_blk *b);
void virtio_blk_destroy(struct virtio_blk *b);
struct virtio_pci *virtio_blk_transport(struct virtio_blk *b);
/* Requests answered with an error status or dropped so far (tests). */
uint64_t virtio_blk_errors(const struct virtio_blk *b);
/* A disk's I/O counters since hv started (virsh domblkstat): requests
 * completed per kind, bytes moved, nanoseconds from submission to
 * completion; errors as virtio_blk_errors(). dev_lock held. */
struct vblk_stats {
	uint64_t rd_req, rd_bytes, rd_ns;
	uint64_t wr_req, wr_bytes, wr_ns;
	uint64_t fl_req, fl_ns;
	uint64_t errors;
};
void virtio_blk_stats(const struct virtio_blk *b, struct vblk_stats *s);
/* The path the disk was opened from. */
const char *virtio_blk_path(const struct virtio_blk *b);

/* ---- virtio_vublk.c: virtio-blk served by a vhost-user-blk backend ---- */
struct virtio_vublk;
/* Connect to the backend at sock, check it can serve the disk (read-only
 * if ro) and put the disk on the bus. NULL + errno, why says what failed
 * (whylen bytes). wait_queues > 0: no backend now (",wait"): a device of
 * that many queues whose configuration a load brings, connected after
 * it (virtio_vublk.c). */
struct virtio_vublk *virtio_vublk_create(struct vm *vm, struct pci_bus *bus,
					 const char *sock, bool ro,
					 unsigned int wait_queues,
					 char *why, size_t whylen);
void virtio_vublk_destroy(struct virtio_vublk *d);

/* ---- pcihp.c: PCI hot-plug registers and the ACPI GPE0 block ---- */
struct pcihp;
#define PCIHP_GPE_BIT	1		/* GPE0 bit for slot changes */
#define PCIHP_GPE_MASK	(1u << PCIHP_GPE_BIT)
/* Claims the GPE0 block and the hot-plug ports; raises the SCI through
 * pm (may be NULL). NULL + errno. */
struct pcihp *pcihp_create(struct vm *vm, struct acpi_pm *pm);
void pcihp_destroy(struct pcihp *h);
extern const struct hv_device_ops pcihp_device_ops;
/* The function in slot may (on) or may not be removed (RMV). */
void pcihp_set_removable(struct pcihp *h, unsigned int slot, bool on);
/* A function was put in slot: UP, RMV, GPE. */
void pcihp_plugged(struct pcihp *h, unsigned int slot);
/* Ask the guest to release slot's function: DOWN, GPE. 0, -EINVAL (not
 * removable), -EALREADY (asked already). */
int pcihp_request_unplug(struct pcihp *h, unsigned int slot);
/* Withdraw the request (the guest did not answer in time). */
void pcihp_cancel_unplug(struct pcihp *h, unsigned int slot);
/* hv removed slot's function: forget the slot. */
void pcihp_removed(struct pcihp *h, unsigned int slot);
/* Slots the guest ejected since the last call (and reset the eventfd
 * that each eject writes). */
uint32_t pcihp_take_ejected(struct pcihp *h);
uint32_t pcihp_pending_unplugs(const struct pcihp *h);
int pcihp_eject_fd(const struct pcihp *h);
int pcihp_gpe_level(const struct pcihp *h);

/* ---- acpi.c helpers (tables are built by acpi_build in vm.h) ---- */
/* Sum of len bytes (a valid table sums to 0). */
uint8_t acpi_checksum(const void *p, size_t len);

/* ---- devices.c: the device table ---- */
struct devices;

/*
 * A device type. Each device file defines one (`ns16550_dev_type`) and
 * devices.c lists it once in its table, whose order is the creation order:
 * it fixes the guest's layout (ports, PCI slots) and the order of the
 * save/load stream. devices_create() walks the table, devices_destroy()
 * destroys the instances in reverse order, main() takes each type's
 * command-line option from it. Only name, create and destroy are required.
 */
struct dev_type {
	const char *name;	/* "ns16550": logs */
	/* "--<option> ARG" on hv's command line (repeatable), or NULL. */
	const char *option;
	/* ARG as the usage text shows it: "vnic=SOCKET[,mac=MAC]". */
	const char *option_help;
	/* One occurrence of the option, from main() before the VM exists:
	 * check arg and record it in *opts (the type's own allocation, NULL
	 * before the first call, released with free()). 0, or -errno with a
	 * one-line message for the user in msg ("--net: ..."). */
	int (*parse_option)(void **opts, const char *arg, char *msg,
			    size_t msglen);
	/* Create this type's instances (none, one, or one per option given)
	 * and hand each to devices_add(). opts: what parse_option recorded,
	 * NULL if nothing. Before the vCPUs exist. 0 or -errno; the caller
	 * destroys what was added before a failure. */
	int (*create)(struct devices *d, const void *opts);
	/* Destroy one instance given to devices_add(), after the vCPUs
	 * stopped (or before they started). */
	void (*destroy)(void *dev);
	/* Save/load of one instance for migration, registered with
	 * vm_register_device() for the state pointer devices_add() got;
	 * NULL if the device has no state to move. */
	const struct hv_device_ops *snap;
};

/* The VM the devices belong to. */
struct vm *devices_vm(const struct devices *d);
/* From a type's create hook: keep dev, an instance of that type, until
 * devices_destroy(), and register state (what the type's snap hooks get:
 * NULL for dev itself, or a virtio device's transport) for save/load. On
 * failure dev is destroyed with the type's destroy hook. 0 or -errno. */
int devices_add(struct devices *d, void *dev, void *state);
/* The first instance of type t created, or NULL if there is none. */
void *devices_find(const struct devices *d, const struct dev_type *t);
/* Up to max instances of type t in creation order into out; how many
 * there are. */
unsigned int devices_find_all(const struct devices *d,
			      const struct dev_type *t, void **out,
			      unsigned int max);

/* Hot-plug (hotplug.c). Add dev, an instance of type t created while
 * the guest runs (dev_lock held), to the list; it is not registered for
 * save/load: the device set then differs from the command line's, and
 * save and migration refuse (devices_changed). 0 or -errno (dev is then
 * destroyed). */
int devices_hot_add(struct devices *d, const struct dev_type *t, void *dev);
/* Take dev off the list (and out of save/load) and destroy it. */
void devices_hot_remove(struct devices *d, void *dev);
/* Was a device added or removed since hv started? */
bool devices_changed(const struct devices *d);

/* -errno after a create function returned NULL (-ENOMEM if errno is 0). */
static inline int dev_create_error(void)
{
	return errno ? -errno : -ENOMEM;
}

/* Console input router: the virtio console once its driver is up, else
 * the UART. Registered with vm_console_set_sink by devices_create. */
void devices_console_input(void *opaque, const uint8_t *buf, size_t len);

#endif
