/*
 * pvpanic: QEMU's paravirtual panic notifier on an ISA port (QEMU
 * docs/specs/pvpanic.rst). Reading the port returns the events we
 * support; the guest writes PANICKED (bit 0) when it panics, which stops
 * the domain as crashed, or CRASH_LOADED (bit 1) when it is about to run
 * a kdump kernel, which is only logged (the guest keeps running).
 */
#include <stdlib.h>
#include "xvm/log.h"
#include "dev.h"

#define PVPANIC_PANICKED	0x01
#define PVPANIC_CRASH_LOADED	0x02

struct pvpanic {
	struct vm *vm;
	uint16_t port;
};

/* The guest may write CRASH_LOADED in a loop: it must not flood the log. */
static struct log_ratelimit pvpanic_rl = LOG_RATELIMIT_INIT(5000, 2);

static uint64_t pvpanic_read(void *opaque UNUSED, uint64_t off UNUSED,
			     unsigned int size UNUSED)
{
	return PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
}

static void pvpanic_write(void *opaque, uint64_t off UNUSED,
			  unsigned int size UNUSED, uint64_t val)
{
	struct pvpanic *p = opaque;

	if (val & PVPANIC_PANICKED)
		vm_request_stop(p->vm, VM_STOP_CRASH, "guest reported panic");
	else if (val & PVPANIC_CRASH_LOADED)
		log_ratelimited(&pvpanic_rl, LL_WARN, "pvpanic: guest crashed, "
				"running its crash kernel");
}

static const struct io_ops pvpanic_io_ops = {
	.read = pvpanic_read,
	.write = pvpanic_write,
};

struct pvpanic *pvpanic_create(struct vm *vm, uint16_t port)
{
	struct pvpanic *p = calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return NULL;
	p->vm = vm;
	p->port = port;
	rc = io_register(vm, IO_SPACE_PIO, port, 1, &pvpanic_io_ops, p,
			 "pvpanic");
	if (rc < 0)
		goto fail;
	return p;
fail:
	free(p);
	errno = -rc;
	return NULL;
}

void pvpanic_destroy(struct pvpanic *p)
{
	if (!p)
		return;
	io_unregister(p->vm, IO_SPACE_PIO, p->port);
	free(p);
}

/* No state, but a section all the same so a stream lists every device. */
static int pvpanic_save(void *dev UNUSED, struct snap_writer *w)
{
	size_t mark;

	snap_section_begin(w, "pvpanic", 1, &mark);
	return snap_section_end(w, mark);
}

static int pvpanic_load(void *dev UNUSED, struct snap_reader *r)
{
	uint32_t version;
	size_t outer;

	if (snap_section_open(r, "pvpanic", 1, &version, &outer) < 0 ||
	    snap_section_close(r, outer) < 0)
		return -EINVAL;
	return 0;
}

const struct hv_device_ops pvpanic_device_ops = {
	.name = "pvpanic",
	.save = pvpanic_save,
	.load = pvpanic_load,
};

/* ---- the device table's entry (devices.c) ---- */

static int pvpanic_dev_create(struct devices *d, const void *opts UNUSED)
{
	struct pvpanic *p = pvpanic_create(devices_vm(d), PVPANIC_PORT);

	if (!p)
		return dev_create_error();
	return devices_add(d, p, NULL);
}

static void pvpanic_dev_destroy(void *dev)
{
	pvpanic_destroy(dev);
}

const struct dev_type pvpanic_dev_type = {
	.name = "pvpanic",
	.create = pvpanic_dev_create,
	.destroy = pvpanic_dev_destroy,
	.snap = &pvpanic_device_ops,
};
