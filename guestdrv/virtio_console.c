/*
 * virtio_console.c: virtio-console driver (virtio 1.2 §5.3), one port, no
 * VIRTIO_CONSOLE_F_MULTIPORT: receiveq 0, transmitq 1. Once running it is
 * the kernel console. Output is collected into transmit buffers and a
 * buffer is queued at each newline or when full; the device is notified
 * once per console write (so one kprintf line costs at most one kick).
 * Input buffers stay posted in receiveq and are polled.
 */
#include "virtio.h"
#include "virtio_console.h"

#define VIRTIO_ID_CONSOLE	3
#define VCON_TX_BUFS		32
#define VCON_TX_SIZE		256
#define VCON_RX_BUFS		8
#define VCON_RX_SIZE		128
#define VCON_WAIT_NS		1000000000ULL	/* give up on a stuck device */

struct vcon_buf {
	char data[VCON_TX_SIZE];
	uint32_t len;
};

static struct {
	struct virtio_dev vd;
	struct virtq rxq, txq;
	struct vcon_buf *tx;		/* VCON_TX_BUFS buffers */
	struct vcon_buf *tx_free[VCON_TX_BUFS];
	unsigned int nr_tx_free;
	struct vcon_buf *cur;		/* being filled, NULL if none */
	char *rx;			/* VCON_RX_BUFS * VCON_RX_SIZE */
	char *rx_pending;		/* completed buffer being read */
	uint32_t rx_len, rx_pos;
	bool running, broken;
} vcon;

static void vcon_reclaim(void)
{
	struct vcon_buf *b;

	while ((b = virtq_get(&vcon.txq, NULL)) != NULL)
		if (vcon.nr_tx_free < VCON_TX_BUFS)
			vcon.tx_free[vcon.nr_tx_free++] = b;
}

/* A free transmit buffer, waiting for the device if all are in flight. */
static struct vcon_buf *vcon_take(void)
{
	uint64_t deadline = 0;

	for (;;) {
		vcon_reclaim();
		if (vcon.nr_tx_free) {
			struct vcon_buf *b = vcon.tx_free[--vcon.nr_tx_free];

			b->len = 0;
			return b;
		}
		virtq_kick(&vcon.txq);
		if (!deadline)
			deadline = clock_ns() + VCON_WAIT_NS;
		else if (clock_ns() > deadline)
			return NULL;
		cpu_relax();
	}
}

static void vcon_queue_cur(void)
{
	struct virtq_buf out;

	if (!vcon.cur || !vcon.cur->len)
		return;
	out.addr = vcon.cur->data;
	out.len = vcon.cur->len;
	if (virtq_add(&vcon.txq, &out, 1, NULL, 0, vcon.cur) < 0)
		return;		/* cannot happen: one desc per buffer */
	vcon.cur = NULL;
}

static void vcon_write(const char *buf, size_t len)
{
	if (vcon.broken) {
		ns16550_console.write(buf, len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (!vcon.cur && !(vcon.cur = vcon_take())) {
			/* The device stopped taking output: serial from now on. */
			vcon.broken = true;
			ns16550_console.write(buf + i, len - i);
			return;
		}
		vcon.cur->data[vcon.cur->len++] = buf[i];
		if (buf[i] == '\n' || vcon.cur->len == VCON_TX_SIZE)
			vcon_queue_cur();
	}
	virtq_kick(&vcon.txq);
}

/*
 * Power-off, reboot and halt follow a flush: wait (bounded) until the device
 * has used every queued buffer, or the last lines go down with the VM when
 * the monitor handles the power-off before the console's notification.
 */
static void vcon_flush(void)
{
	uint64_t deadline = clock_ns() + VCON_WAIT_NS;

	vcon_queue_cur();
	virtq_kick(&vcon.txq);
	for (;;) {
		vcon_reclaim();
		if (vcon.broken || vcon.nr_tx_free == VCON_TX_BUFS)
			return;
		if (clock_ns() > deadline)
			return;
		cpu_relax();
	}
}

static void vcon_post_rx(char *buf)
{
	struct virtq_buf in = { buf, VCON_RX_SIZE };

	virtq_add(&vcon.rxq, NULL, 0, &in, 1, buf);
}

static int vcon_getc(void)
{
	uint32_t len;
	char *b;
	int c;

	if (!vcon.rx_pending) {
		b = virtq_get(&vcon.rxq, &len);
		if (!b)
			return -1;
		if (!len) {
			vcon_post_rx(b);
			virtq_kick(&vcon.rxq);
			return -1;
		}
		vcon.rx_pending = b;
		vcon.rx_len = MIN(len, (uint32_t)VCON_RX_SIZE);
		vcon.rx_pos = 0;
	}
	c = (uint8_t)vcon.rx_pending[vcon.rx_pos++];
	if (vcon.rx_pos >= vcon.rx_len) {
		vcon_post_rx(vcon.rx_pending);
		vcon.rx_pending = NULL;
		virtq_kick(&vcon.rxq);
	}
	return c;
}

static const struct console_ops vcon_ops = {
	.name = "virtio-console",
	.write = vcon_write,
	.flush = vcon_flush,
	.getc = vcon_getc,
};

static int vcon_buffers(void)
{
	vcon.tx = dma_alloc(sizeof(struct vcon_buf) * VCON_TX_BUFS, 64);
	vcon.rx = dma_alloc(VCON_RX_BUFS * VCON_RX_SIZE, 64);
	if (!vcon.tx || !vcon.rx)
		return -ENOMEM;
	/* No more buffers than descriptors: a queued buffer always fits. */
	vcon.nr_tx_free = MIN(VCON_TX_BUFS, vcon.txq.size);
	for (unsigned int i = 0; i < vcon.nr_tx_free; i++)
		vcon.tx_free[i] = &vcon.tx[i];
	for (unsigned int i = 0; i < MIN(VCON_RX_BUFS, vcon.rxq.size); i++)
		vcon_post_rx(vcon.rx + i * VCON_RX_SIZE);
	return 0;
}

int virtio_console_init(void)
{
	struct pci_dev *pci;
	int rc;

	pci = pci_find(VIRTIO_PCI_VENDOR, VIRTIO_PCI_MODERN_BASE + VIRTIO_ID_CONSOLE, 0);
	if (!pci)
		return -ENODEV;
	rc = virtio_pci_init(&vcon.vd, pci, "virtio-console",
			     1ULL << VIRTIO_F_EVENT_IDX);
	if (rc < 0)
		return rc;
	rc = virtio_queue_setup(&vcon.vd, &vcon.rxq, 0, VCON_RX_BUFS);
	if (rc == 0)
		rc = virtio_queue_setup(&vcon.vd, &vcon.txq, 1, VCON_TX_BUFS);
	if (rc == 0)
		rc = vcon_buffers();
	if (rc < 0)
		goto fail;
	virtio_driver_ok(&vcon.vd);
	virtq_kick(&vcon.rxq);
	vcon.running = true;
	console_set(&vcon_ops);
	return 0;
fail:
	virtio_fail(&vcon.vd);
	return rc;
}

uint64_t virtio_console_kicks(void)
{
	return vcon.running ? vcon.txq.kicks : 0;
}
