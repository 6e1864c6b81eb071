/*
 * The platform's devices: creation in a fixed order, registration for
 * save/load, the power button, and console input routing; then the NICs
 * (devices_add_net, one per --net, after the platform's devices).
 *
 * Console input goes to the virtio console once its driver has set
 * DRIVER_OK (the guest then reads its console there), and to the COM1
 * UART otherwise: before the driver is up, after a device reset, and for
 * guests without a virtio console driver. Output from both goes to the
 * same console.
 */
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "virtio_pci.h"
#include "virtio_net.h"

#define DEVICES_MAX_NICS	8

struct devices {
	struct vm *vm;
	struct ns16550 *uart;
	struct i8042 *kbc;
	struct pvpanic *panic;
	struct acpi_pm *pm;
	struct pci_bus *pci;
	struct virtio_console *vcon;
	struct virtio_net *nic[DEVICES_MAX_NICS];	/* --net, in order */
	unsigned int nr_nics;
};

void devices_console_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct devices *d = opaque;

	if (virtio_console_active(d->vcon))
		virtio_console_input(d->vcon, buf, len);
	else
		ns16550_input(d->uart, buf, len);
}

void devices_power_button(struct vm *vm)
{
	struct devices *d = vm->devices;

	if (!d)
		return;
	pthread_mutex_lock(&vm->dev_lock);
	acpi_pm_power_button(d->pm);
	pthread_mutex_unlock(&vm->dev_lock);
}

/* Create one device; `what` names it in the error. */
static int devices_check(void *dev, const char *what)
{
	if (dev)
		return 0;
	log_err("devices: cannot create %s: %m", what);
	return errno ? -errno : -ENOMEM;
}

static int devices_register(struct vm *vm, struct devices *d)
{
	int rc;

	if ((rc = vm_register_device(vm, &ns16550_device_ops, d->uart)) < 0 ||
	    (rc = vm_register_device(vm, &i8042_device_ops, d->kbc)) < 0 ||
	    (rc = vm_register_device(vm, &pvpanic_device_ops, d->panic)) < 0 ||
	    (rc = vm_register_device(vm, &acpi_pm_device_ops, d->pm)) < 0 ||
	    (rc = vm_register_device(vm, &pci_bus_device_ops, d->pci)) < 0 ||
	    (rc = vm_register_device(vm, &virtio_pci_device_ops,
				     virtio_console_transport(d->vcon))) < 0)
		return rc;
	return 0;
}

int devices_create(struct vm *vm)
{
	struct devices *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return -ENOMEM;
	d->vm = vm;
	vm->devices = d;
	d->uart = ns16550_create(vm, COM1_PORT, COM1_IRQ);
	if ((rc = devices_check(d->uart, "ns16550")) < 0)
		goto fail;
	d->kbc = i8042_create(vm);
	if ((rc = devices_check(d->kbc, "i8042")) < 0)
		goto fail;
	d->panic = pvpanic_create(vm, PVPANIC_PORT);
	if ((rc = devices_check(d->panic, "pvpanic")) < 0)
		goto fail;
	d->pm = acpi_pm_create(vm);
	if ((rc = devices_check(d->pm, "acpi_pm")) < 0)
		goto fail;
	d->pci = pci_bus_create(vm);
	if ((rc = devices_check(d->pci, "pci")) < 0)
		goto fail;
	d->vcon = virtio_console_create(vm, d->pci);
	if ((rc = devices_check(d->vcon, "virtio-console")) < 0)
		goto fail;
	if ((rc = devices_register(vm, d)) < 0)
		goto fail;
	vm_console_set_sink(vm, devices_console_input, d);
	return 0;
fail:
	devices_destroy(vm);
	return rc;
}

/* A virtio-net NIC on the PCI bus, registered for save/load after the
 * platform's devices (so NICs keep their order in the stream). */
int devices_add_net(struct vm *vm, const char *sock,
		    const struct mac_addr *mac)
{
	struct devices *d = vm->devices;
	struct virtio_net *n;
	int rc;

	if (!d)
		return -ENODEV;
	if (d->nr_nics >= DEVICES_MAX_NICS)
		return -ENOSPC;
	n = virtio_net_create(vm, d->pci, sock, mac);
	if ((rc = devices_check(n, "virtio-net")) < 0)
		return rc;
	rc = vm_register_device(vm, &virtio_pci_device_ops,
				virtio_net_transport(n));
	if (rc < 0) {
		virtio_net_destroy(n);
		return rc;
	}
	d->nic[d->nr_nics++] = n;
	return 0;
}

static bool devices_is_nic(const struct devices *d, const void *dev)
{
	for (unsigned int i = 0; i < d->nr_nics; i++)
		if (dev == virtio_net_transport(d->nic[i]))
			return true;
	return false;
}

/* Drop this file's entries from vm->devs, keeping the core's. */
static void devices_unregister(struct vm *vm, const struct devices *d)
{
	unsigned int j = 0;

	for (unsigned int i = 0; i < vm->nr_devs; i++) {
		void *dev = vm->devs[i].dev;

		if (dev == d->uart || dev == d->kbc || dev == d->panic ||
		    dev == d->pm || dev == d->pci ||
		    (d->vcon && dev == virtio_console_transport(d->vcon)) ||
		    devices_is_nic(d, dev))
			continue;
		vm->devs[j++] = vm->devs[i];
	}
	vm->nr_devs = j;
}

void devices_destroy(struct vm *vm)
{
	struct devices *d = vm->devices;

	if (!d)
		return;
	vm_console_set_sink(vm, NULL, NULL);
	devices_unregister(vm, d);
	for (unsigned int i = 0; i < d->nr_nics; i++)
		virtio_net_destroy(d->nic[i]);
	virtio_console_destroy(d->vcon);
	pci_bus_destroy(d->pci);
	acpi_pm_destroy(d->pm);
	pvpanic_destroy(d->panic);
	i8042_destroy(d->kbc);
	ns16550_destroy(d->uart);
	vm->devices = NULL;
	free(d);
}
