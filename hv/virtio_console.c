/*
 * virtio console (virtio 1.2 §5.3), one port, no MULTIPORT, no SIZE, no
 * EMERG_WRITE: queue 0 is receiveq (console input to the guest), queue 1
 * transmitq (guest output, written to the domain's console as is).
 *
 * Input that arrives while the driver has no receive buffers posted waits
 * in a bounded buffer and is delivered when the driver posts some (it
 * kicks receiveq) or sets DRIVER_OK; input beyond that bound is dropped
 * and counted. devices.c routes console input here once DRIVER_OK is set.
 */
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_console.h>
#include "xvm/log.h"
#include "virtio_pci.h"

#define VCON_RXQ		0
#define VCON_TXQ		1
#define VCON_QUEUE_MAX		256
#define VCON_CFG_SIZE		sizeof(struct virtio_console_config)
#define VCON_MAX_CHAINS		65536	/* per notification */

struct virtio_console {
	struct vm *vm;
	struct virtio_pci *vp;
	dev_output_fn *out;
	void *out_opaque;
	uint8_t in[VIRTIO_CONSOLE_INBUF];	/* ring */
	unsigned int in_head, in_count;
	uint64_t dropped;
};

static struct log_ratelimit vcon_rl = LOG_RATELIMIT_INIT(5000, 2);

static void vcon_console_out(void *opaque, const void *buf, size_t len)
{
	vm_console_write(opaque, buf, len);
}

static struct virtio_console *vcon_of(struct virtio_pci *vp)
{
	return virtio_pci_model(vp);
}

/* Without F_SIZE and F_MULTIPORT every field reads 0 (§5.3.4). */
static uint32_t vcon_cfg_read(struct virtio_pci *vp UNUSED,
			      uint32_t off UNUSED, unsigned int size UNUSED)
{
	return 0;
}

static void vcon_tx(struct virtio_console *vc)
{
	struct vq *q = virtio_pci_queue(vc->vp, VCON_TXQ);
	struct vq_chain c;
	unsigned int n = 0;
	int rc;

	if (!q)
		return;
	while (n < VCON_MAX_CHAINS && (rc = vq_pop(q, &c)) != 0) {
		if (rc < 0) {
			virtio_pci_needs_reset(vc->vp);
			return;
		}
		for (unsigned int i = 0; i < c.nseg && !c.seg[i].write; i++)
			vc->out(vc->out_opaque, c.seg[i].hva, c.seg[i].len);
		vq_push(q, c.head, 0);
		n++;
	}
	virtio_pci_queue_interrupt(vc->vp, VCON_TXQ);
}

/* Copy up to len bytes of buffered input into the chain's writable
 * segments, in at most two pieces (the ring may wrap). */
static size_t vcon_fill(struct virtio_console *vc, const struct vq_chain *c)
{
	size_t len = MIN((uint64_t)vc->in_count, c->wlen);
	size_t first = MIN(len, (size_t)(VIRTIO_CONSOLE_INBUF - vc->in_head));
	size_t done;

	done = vq_chain_write(c, 0, vc->in + vc->in_head, first);
	if (done == first && len > first)
		done += vq_chain_write(c, first, vc->in, len - first);
	vc->in_head = (unsigned int)((vc->in_head + done) % VIRTIO_CONSOLE_INBUF);
	vc->in_count -= (unsigned int)done;
	return done;
}

static void vcon_rx(struct virtio_console *vc)
{
	struct vq *q = virtio_pci_queue(vc->vp, VCON_RXQ);
	struct vq_chain c;
	bool pushed = false;
	int rc;

	if (!q || !virtio_pci_driver_ok(vc->vp))
		return;
	while (vc->in_count && (rc = vq_pop(q, &c)) != 0) {
		if (rc < 0) {
			virtio_pci_needs_reset(vc->vp);
			return;
		}
		vq_push(q, c.head, (uint32_t)vcon_fill(vc, &c));
		pushed = true;
	}
	if (pushed)
		virtio_pci_queue_interrupt(vc->vp, VCON_RXQ);
}

static void vcon_queue_notify(struct virtio_pci *vp, unsigned int q)
{
	struct virtio_console *vc = vcon_of(vp);

	if (q == VCON_TXQ)
		vcon_tx(vc);
	else
		vcon_rx(vc);
}

void virtio_console_input(struct virtio_console *vc, const uint8_t *buf,
			  size_t len)
{
	size_t room = VIRTIO_CONSOLE_INBUF - vc->in_count, n = MIN(len, room);

	for (size_t i = 0; i < n; i++)
		vc->in[(vc->in_head + vc->in_count + i) % VIRTIO_CONSOLE_INBUF] =
			buf[i];
	vc->in_count += (unsigned int)n;
	if (n < len) {
		vc->dropped += len - n;
		log_ratelimited(&vcon_rl, LL_WARN, "virtio-console: input "
				"buffer full, %zu bytes dropped", len - n);
	}
	vcon_rx(vc);
}

bool virtio_console_active(const struct virtio_console *vc)
{
	return vc && virtio_pci_driver_ok(vc->vp);
}

void virtio_console_set_output(struct virtio_console *vc, dev_output_fn *fn,
			       void *opaque)
{
	vc->out = fn ? fn : vcon_console_out;
	vc->out_opaque = fn ? opaque : vc->vm;
}

struct virtio_pci *virtio_console_transport(struct virtio_console *vc)
{
	return vc->vp;
}

/* ---- save/load: the buffered input ---- */

static int vcon_save(struct virtio_pci *vp, struct snap_writer *w)
{
	struct virtio_console *vc = vcon_of(vp);

	snap_put_u16(w, (uint16_t)vc->in_count);
	for (unsigned int i = 0; i < vc->in_count; i++)
		snap_put_u8(w, vc->in[(vc->in_head + i) % VIRTIO_CONSOLE_INBUF]);
	return snap_writer_error(w);
}

static int vcon_load(struct virtio_pci *vp, struct snap_reader *r)
{
	struct virtio_console *vc = vcon_of(vp);
	uint8_t *tmp;
	uint16_t count;

	if (snap_get_u16(r, &count) < 0)
		return -EINVAL;
	if (count > VIRTIO_CONSOLE_INBUF)
		return snap_fail(r, "virtio-console input buffer");
	tmp = malloc(VIRTIO_CONSOLE_INBUF);
	if (!tmp)
		return -ENOMEM;
	if (snap_get_bytes(r, tmp, count) < 0) {
		free(tmp);
		return -EINVAL;
	}
	memcpy(vc->in, tmp, count);
	vc->in_head = 0;
	vc->in_count = count;
	free(tmp);
	return 0;
}

static const struct virtio_dev_ops vcon_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.class_code = 0x078000,		/* simple communication, other */
	.features = 0,
	.num_queues = 2,
	.queue_max = VCON_QUEUE_MAX,
	.cfg_size = VCON_CFG_SIZE,
	.cfg_read = vcon_cfg_read,
	.queue_notify = vcon_queue_notify,
	.save = vcon_save,
	.load = vcon_load,
};

struct virtio_console *virtio_console_create(struct vm *vm,
					     struct pci_bus *bus)
{
	struct virtio_console *vc = calloc(1, sizeof(*vc));
	int rc;

	if (!vc)
		return NULL;
	vc->vm = vm;
	virtio_console_set_output(vc, NULL, NULL);
	vc->vp = virtio_pci_create(vm, bus, &vcon_ops, vc);
	if (!vc->vp) {
		rc = -errno;
		free(vc);
		errno = -rc;
		return NULL;
	}
	return vc;
}

void virtio_console_destroy(struct virtio_console *vc)
{
	if (!vc)
		return;
	virtio_pci_destroy(vc->vp);
	free(vc);
}

/* ---- the device table's entry (devices.c) ---- */

/* 00:01.0, the first PCI function. */
static int vcon_dev_create(struct devices *d, const void *opts UNUSED)
{
	struct pci_bus *bus = devices_find(d, &pci_dev_type);
	struct virtio_console *vc;

	if (!bus)
		return -ENODEV;
	vc = virtio_console_create(devices_vm(d), bus);
	if (!vc)
		return dev_create_error();
	return devices_add(d, vc, vc->vp);
}

static void vcon_dev_destroy(void *dev)
{
	virtio_console_destroy(dev);
}

const struct dev_type virtio_console_dev_type = {
	.name = "virtio-console",
	.create = vcon_dev_create,
	.destroy = vcon_dev_destroy,
	.snap = &virtio_pci_device_ops,
};
