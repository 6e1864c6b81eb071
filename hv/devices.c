/*
 * The device table and the instances created from it. Each device file
 * defines a struct dev_type (dev.h); dev_types[] below lists them once, in
 * creation order. devices_create() walks the table (each type creates its
 * instances with devices_add(), which also registers them for save/load),
 * devices_destroy() destroys the instances in reverse order, and main()
 * gets the types' command-line options through devices_option() and
 * devices_parse_option(). A new device is its file plus its line here.
 *
 * Console input goes to the virtio console once its driver has set
 * DRIVER_OK (the guest then reads its console there), and to the COM1
 * UART otherwise: before the driver is up, after a device reset, and for
 * guests without a virtio console driver. Output from both goes to the
 * same console.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "virtio_pci.h"
#include "virtio_net.h"

extern const struct dev_type ns16550_dev_type;
extern const struct dev_type i8042_dev_type;
extern const struct dev_type pvpanic_dev_type;
extern const struct dev_type acpi_pm_dev_type;
extern const struct dev_type pcihp_dev_type;
extern const struct dev_type virtio_console_dev_type;
extern const struct dev_type virtio_net_dev_type;
extern const struct dev_type virtio_blk_dev_type;
extern const struct dev_type virtio_vublk_dev_type;

/* Creation order: ISA devices, the PCI bus, then PCI functions in slot
 * order (virtio-console 00:01.0, NICs from 00:02.0, then disks: --disk,
 * then --vhost-user-blk). */
static const struct dev_type *const dev_types[] = {
	&ns16550_dev_type,
	&i8042_dev_type,
	&pvpanic_dev_type,
	&acpi_pm_dev_type,
	&pcihp_dev_type,
	&pci_dev_type,
	&virtio_console_dev_type,
	&virtio_net_dev_type,
	&virtio_blk_dev_type,
	&virtio_vublk_dev_type,
};

_Static_assert(ARRAY_SIZE(dev_types) <= HV_DEV_TYPES_MAX,
	       "HV_DEV_TYPES_MAX (vm.h) is too small for dev_types[]");

/* One instance; the list is newest first. */
struct dev_inst {
	const struct dev_type *type;
	void *dev;
	void *state;		/* registered for save/load if type->snap */
	struct dev_inst *next;
};

struct devices {
	struct vm *vm;
	struct dev_inst *list;
	const struct dev_type *creating;	/* whose create hook runs */
	bool changed;		/* a device was hot-added or removed */
};

struct vm *devices_vm(const struct devices *d)
{
	return d->vm;
}

int devices_add(struct devices *d, void *dev, void *state)
{
	const struct dev_type *t = d->creating;
	struct dev_inst *in = NULL;
	int rc = -EINVAL;

	if (!t)
		return rc;
	rc = -ENOMEM;
	in = calloc(1, sizeof(*in));
	if (!in)
		goto fail;
	*in = (struct dev_inst){ .type = t, .dev = dev,
				 .state = state ? state : dev };
	if (t->snap) {
		rc = vm_register_device(d->vm, t->snap, in->state);
		if (rc < 0)
			goto fail;
	}
	in->next = d->list;
	d->list = in;
	return 0;
fail:
	free(in);
	t->destroy(dev);
	return rc;
}

void *devices_find(const struct devices *d, const struct dev_type *t)
{
	void *found = NULL;

	for (const struct dev_inst *in = d->list; in; in = in->next)
		if (in->type == t)
			found = in->dev;
	return found;
}

unsigned int devices_find_all(const struct devices *d,
			      const struct dev_type *t, void **out,
			      unsigned int max)
{
	unsigned int n = 0, i;

	for (const struct dev_inst *in = d->list; in; in = in->next)
		n += in->type == t;
	i = n;		/* the list is newest first: fill from the end */
	for (const struct dev_inst *in = d->list; in; in = in->next)
		if (in->type == t && --i < max)
			out[i] = in->dev;
	return n;
}

unsigned int vm_disks(struct vm *vm, struct virtio_blk **out,
		      unsigned int max)
{
	if (!vm->devices)
		return 0;
	return devices_find_all(vm->devices, &virtio_blk_dev_type,
				(void **)out, max);
}

void devices_console_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct devices *d = opaque;
	struct virtio_console *vc = devices_find(d, &virtio_console_dev_type);
	struct ns16550 *uart = devices_find(d, &ns16550_dev_type);

	if (vc && virtio_console_active(vc))
		virtio_console_input(vc, buf, len);
	else if (uart)
		ns16550_input(uart, buf, len);
}

void devices_power_button(struct vm *vm)
{
	struct devices *d = vm->devices;
	struct acpi_pm *pm;

	if (!d)
		return;
	pthread_mutex_lock(&vm->dev_lock);
	pm = devices_find(d, &acpi_pm_dev_type);
	if (pm)
		acpi_pm_power_button(pm);
	pthread_mutex_unlock(&vm->dev_lock);
}

int devices_create(struct vm *vm)
{
	struct devices *d = calloc(1, sizeof(*d));
	int rc = 0;

	if (!d)
		return -ENOMEM;
	d->vm = vm;
	vm->devices = d;
	for (size_t i = 0; i < ARRAY_SIZE(dev_types); i++) {
		const struct dev_type *t = dev_types[i];

		d->creating = t;
		rc = t->create(d, vm->cfg.dev_opts[i]);
		d->creating = NULL;
		if (rc < 0) {
			log_err("devices: cannot create %s: %s", t->name,
				strerror(-rc));
			goto fail;
		}
	}
	vm_console_set_sink(vm, devices_console_input, d);
	return 0;
fail:
	devices_destroy(vm);
	return rc;
}

static bool devices_registered(const struct devices *d,
			       const struct hv_device_ops *ops, void *dev)
{
	for (const struct dev_inst *in = d->list; in; in = in->next)
		if (in->type->snap == ops && in->state == dev)
			return true;
	return false;
}

/* Drop this file's entries from vm->devs, keeping the core's. */
static void devices_unregister(struct vm *vm, const struct devices *d)
{
	unsigned int j = 0;

	for (unsigned int i = 0; i < vm->nr_devs; i++) {
		if (devices_registered(d, vm->devs[i].ops, vm->devs[i].dev))
			continue;
		vm->devs[j++] = vm->devs[i];
	}
	vm->nr_devs = j;
}

void devices_destroy(struct vm *vm)
{
	struct devices *d = vm->devices;
	struct dev_inst *in, *next;

	if (!d)
		return;
	vm_console_set_sink(vm, NULL, NULL);
	devices_unregister(vm, d);
	for (in = d->list; in; in = next) {
		next = in->next;
		in->type->destroy(in->dev);
		free(in);
	}
	vm->devices = NULL;
	free(d);
}

/* ---- hot-plug ---- */

int devices_hot_add(struct devices *d, const struct dev_type *t, void *dev)
{
	struct dev_inst *in = calloc(1, sizeof(*in));

	if (!in) {
		t->destroy(dev);
		return -ENOMEM;
	}
	*in = (struct dev_inst){ .type = t, .dev = dev, .state = NULL };
	in->next = d->list;
	d->list = in;
	d->changed = true;
	return 0;
}

void devices_hot_remove(struct devices *d, void *dev)
{
	struct vm *vm = d->vm;

	for (struct dev_inst **pp = &d->list; *pp; pp = &(*pp)->next) {
		struct dev_inst *in = *pp;
		unsigned int j = 0;

		if (in->dev != dev)
			continue;
		for (unsigned int i = 0; i < vm->nr_devs; i++)
			if (!(in->state && vm->devs[i].dev == in->state &&
			      vm->devs[i].ops == in->type->snap))
				vm->devs[j++] = vm->devs[i];
		vm->nr_devs = j;
		*pp = in->next;
		in->type->destroy(in->dev);
		free(in);
		d->changed = true;
		return;
	}
}

bool devices_changed(const struct devices *d)
{
	return d && d->changed;
}

/* ---- command-line options ---- */

/* The index in dev_types[] of the n-th type with an option, or -1. */
static int devices_option_type(unsigned int n)
{
	for (size_t i = 0; i < ARRAY_SIZE(dev_types); i++)
		if (dev_types[i]->option && n-- == 0)
			return (int)i;
	return -1;
}

const char *devices_option(unsigned int n, const char **help)
{
	int i = devices_option_type(n);

	if (i < 0)
		return NULL;
	*help = dev_types[i]->option_help;
	return dev_types[i]->option;
}

int devices_parse_option(struct vm_config *cfg, unsigned int n,
			 const char *arg, char *msg, size_t msglen)
{
	int i = devices_option_type(n);

	if (i < 0 || !dev_types[i]->parse_option) {
		snprintf(msg, msglen, "no device option %u", n);
		return -EINVAL;
	}
	return dev_types[i]->parse_option(&cfg->dev_opts[i], arg, msg, msglen);
}

void devices_free_options(struct vm_config *cfg)
{
	for (size_t i = 0; i < ARRAY_SIZE(cfg->dev_opts); i++) {
		free(cfg->dev_opts[i]);
		cfg->dev_opts[i] = NULL;
	}
}
