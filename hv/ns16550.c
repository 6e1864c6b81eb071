/*
 * 16550A UART (COM1): the guest's first console.
 *
 * Model (National Semiconductor PC16550D data sheet, "Register
 * Description"): transmission is instantaneous (THR goes straight to the
 * console, so LSR always shows THRE|TEMT), received bytes wait in one
 * bounded FIFO of NS16550_RX_MAX bytes whatever the FCR says, there are no
 * character timeouts and no modem lines (MSR reports CTS, DSR and DCD
 * asserted) except in loopback, where MCR drives MSR and THR feeds RBR.
 * The divisor latch is kept but has no effect. The interrupt output is a
 * level, gated by MCR.OUT2 as on a PC.
 */
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "dev.h"

/* Register offsets. */
#define UART_RBR	0	/* read, DLAB=0 */
#define UART_THR	0	/* write, DLAB=0 */
#define UART_IER	1
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_ERBFI	0x01	/* received data available */
#define IER_ETBEI	0x02	/* THR empty */
#define IER_ELSI	0x04	/* receiver line status */
#define IER_EDSSI	0x08	/* modem status */

#define IIR_NONE	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_FIFO	0xc0

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

struct ns16550 {
	struct vm *vm;
	uint16_t port;
	unsigned int irq;
	dev_output_fn *out;
	void *out_opaque;

	uint8_t rx[NS16550_RX_MAX];	/* ring */
	unsigned int rx_head, rx_count;
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
	uint8_t msr_delta;		/* MSR bits 0-3 */
	bool overrun;			/* LSR.OE, cleared by reading LSR */
	bool thr_int;			/* THRE interrupt pending */
	int irq_level;
	uint64_t dropped;		/* input lost to a full FIFO */
};

static struct log_ratelimit uart_drop_rl = LOG_RATELIMIT_INIT(5000, 2);

static void uart_console_out(void *opaque, const void *buf, size_t len)
{
	vm_console_write(opaque, buf, len);
}

static uint8_t uart_msr_lines(const struct ns16550 *u)
{
	uint8_t m = u->mcr;

	if (!(m & MCR_LOOP))
		return MSR_CTS | MSR_DSR | MSR_DCD;
	return ((m & MCR_RTS) ? MSR_CTS : 0) | ((m & MCR_DTR) ? MSR_DSR : 0) |
	       ((m & MCR_OUT1) ? MSR_RI : 0) | ((m & MCR_OUT2) ? MSR_DCD : 0);
}

/* Highest-priority pending interrupt (data sheet table "Interrupt Control
 * Functions"). */
static uint8_t uart_iir_id(const struct ns16550 *u)
{
	if ((u->ier & IER_ELSI) && u->overrun)
		return IIR_RLSI;
	if ((u->ier & IER_ERBFI) && u->rx_count)
		return IIR_RDI;
	if ((u->ier & IER_ETBEI) && u->thr_int)
		return IIR_THRI;
	if ((u->ier & IER_EDSSI) && u->msr_delta)
		return IIR_MSI;
	return IIR_NONE;
}

static void uart_update_irq(struct ns16550 *u)
{
	int level = uart_iir_id(u) != IIR_NONE && (u->mcr & MCR_OUT2) &&
		    !(u->mcr & MCR_LOOP);

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	vm_irq_line(u->vm, u->irq, level);
}

static bool uart_rx_push(struct ns16550 *u, uint8_t c)
{
	if (u->rx_count == NS16550_RX_MAX)
		return false;
	u->rx[(u->rx_head + u->rx_count) % NS16550_RX_MAX] = c;
	u->rx_count++;
	return true;
}

static uint8_t uart_rx_pop(struct ns16550 *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % NS16550_RX_MAX;
	u->rx_count--;
	return c;
}

static void uart_write_thr(struct ns16550 *u, uint8_t c)
{
	if (u->mcr & MCR_LOOP) {
		if (!uart_rx_push(u, c))
			u->overrun = true;
	} else {
		u->out(u->out_opaque, &c, 1);
	}
	/* The byte left at once: THR is empty again. */
	u->thr_int = true;
}

static void uart_write_mcr(struct ns16550 *u, uint8_t v)
{
	uint8_t before = uart_msr_lines(u), after, changed;

	u->mcr = v & MCR_MASK;
	after = uart_msr_lines(u);
	changed = before ^ after;
	if (changed & MSR_CTS)
		u->msr_delta |= MSR_DCTS;
	if (changed & MSR_DSR)
		u->msr_delta |= MSR_DDSR;
	if ((before & MSR_RI) && !(after & MSR_RI))
		u->msr_delta |= MSR_TERI;
	if (changed & MSR_DCD)
		u->msr_delta |= MSR_DDCD;
}

static void uart_write_fcr(struct ns16550 *u, uint8_t v)
{
	if ((v ^ u->fcr) & FCR_ENABLE || (v & FCR_CLEAR_RX)) {
		u->rx_head = u->rx_count = 0;
		u->overrun = false;
	}
	/* Clearing the TX FIFO has nothing to do: it is always empty. */
	u->fcr = v & 0xc9;	/* enable, DMA mode, trigger level */
}

static void uart_write(void *opaque, uint64_t off, unsigned int size,
		       uint64_t val)
{
	struct ns16550 *u = opaque;
	uint8_t v = (uint8_t)val;

	if (size != 1)
		return;
	switch (off) {
	case UART_THR:
		if (u->lcr & LCR_DLAB)
			u->dll = v;
		else
			uart_write_thr(u, v);
		break;
	case UART_IER:
		if (u->lcr & LCR_DLAB) {
			u->dlm = v;
			break;
		}
		/* Enabling ETBEI with THR empty raises THRE at once. */
		if ((v & IER_ETBEI) && !(u->ier & IER_ETBEI))
			u->thr_int = true;
		u->ier = v & 0x0f;
		break;
	case UART_FCR:
		uart_write_fcr(u, v);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		uart_write_mcr(u, v);
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default:	/* LSR, MSR: read-only */
		break;
	}
	uart_update_irq(u);
}

static uint8_t uart_read_iir(struct ns16550 *u)
{
	uint8_t id = uart_iir_id(u);

	/* Reading IIR while it reports THRE clears that interrupt. */
	if (id == IIR_THRI)
		u->thr_int = false;
	return id | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
}

static uint8_t uart_read_lsr(struct ns16550 *u)
{
	uint8_t v = LSR_THRE | LSR_TEMT;

	if (u->rx_count)
		v |= LSR_DR;
	if (u->overrun)
		v |= LSR_OE;
	u->overrun = false;
	return v;
}

static uint8_t uart_read_reg(struct ns16550 *u, uint64_t off)
{
	uint8_t v;

	switch (off) {
	case UART_RBR:
		return (u->lcr & LCR_DLAB) ? u->dll : uart_rx_pop(u);
	case UART_IER:
		return (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
	case UART_IIR:
		return uart_read_iir(u);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return uart_read_lsr(u);
	case UART_MSR:
		v = uart_msr_lines(u) | u->msr_delta;
		u->msr_delta = 0;
		return v;
	default:
		return u->scr;
	}
}

static uint64_t uart_read(void *opaque, uint64_t off, unsigned int size)
{
	struct ns16550 *u = opaque;
	uint8_t v;

	if (size != 1)
		return ~0ULL;
	v = uart_read_reg(u, off);
	uart_update_irq(u);
	return v;
}

static const struct io_ops uart_io_ops = {
	.read = uart_read,
	.write = uart_write,
};

void ns16550_input(struct ns16550 *u, const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!uart_rx_push(u, buf[i]))
			break;
	if (i < len) {
		u->dropped += len - i;
		log_ratelimited(&uart_drop_rl, LL_WARN,
				"ns16550 %#x: RX FIFO full, %zu input bytes "
				"dropped (%llu in all)", u->port, len - i,
				(unsigned long long)u->dropped);
	}
	uart_update_irq(u);
}

int ns16550_irq_level(const struct ns16550 *u)
{
	return u->irq_level;
}

void ns16550_set_output(struct ns16550 *u, dev_output_fn *fn, void *opaque)
{
	u->out = fn ? fn : uart_console_out;
	u->out_opaque = fn ? opaque : u->vm;
}

struct ns16550 *ns16550_create(struct vm *vm, uint16_t port, unsigned int irq)
{
	struct ns16550 *u = calloc(1, sizeof(*u));
	int rc;

	if (!u)
		return NULL;
	u->vm = vm;
	u->port = port;
	u->irq = irq;
	u->lcr = 0x03;		/* 8N1 */
	u->dll = 12;		/* 9600 baud */
	ns16550_set_output(u, NULL, NULL);
	rc = io_register(vm, IO_SPACE_PIO, port, 8, &uart_io_ops, u, "ns16550");
	if (rc < 0)
		goto fail;
	return u;
fail:
	free(u);
	errno = -rc;
	return NULL;
}

void ns16550_destroy(struct ns16550 *u)
{
	if (!u)
		return;
	io_unregister(u->vm, IO_SPACE_PIO, u->port);
	free(u);
}

/* ---- save/load ---- */

#define UART_SNAP_VERSION	1

static int uart_save(void *dev, struct snap_writer *w)
{
	struct ns16550 *u = dev;
	size_t mark;

	snap_section_begin(w, "ns16550", UART_SNAP_VERSION, &mark);
	snap_put_u8(w, u->ier);
	snap_put_u8(w, u->fcr);
	snap_put_u8(w, u->lcr);
	snap_put_u8(w, u->mcr);
	snap_put_u8(w, u->scr);
	snap_put_u8(w, u->dll);
	snap_put_u8(w, u->dlm);
	snap_put_u8(w, u->msr_delta);
	snap_put_u8(w, u->overrun);
	snap_put_u8(w, u->thr_int);
	snap_put_u16(w, (uint16_t)u->rx_count);
	for (unsigned int i = 0; i < u->rx_count; i++)
		snap_put_u8(w, u->rx[(u->rx_head + i) % NS16550_RX_MAX]);
	return snap_section_end(w, mark);
}

static int uart_load(void *dev, struct snap_reader *r)
{
	struct ns16550 *u = dev, n = *u;
	uint32_t version;
	uint16_t count;
	size_t outer;

	if (snap_section_open(r, "ns16550", UART_SNAP_VERSION, &version,
			      &outer) < 0)
		return -EINVAL;
	snap_get_u8(r, &n.ier);
	snap_get_u8(r, &n.fcr);
	snap_get_u8(r, &n.lcr);
	snap_get_u8(r, &n.mcr);
	snap_get_u8(r, &n.scr);
	snap_get_u8(r, &n.dll);
	snap_get_u8(r, &n.dlm);
	snap_get_u8(r, &n.msr_delta);
	snap_get_bool(r, &n.overrun);
	snap_get_bool(r, &n.thr_int);
	snap_get_u16(r, &count);
	if (n.ier > 0x0f || (n.fcr & ~0xc9) || n.mcr > MCR_MASK ||
	    n.msr_delta > 0x0f || count > NS16550_RX_MAX)
		snap_fail(r, "ns16550 register out of range");
	n.rx_head = 0;
	n.rx_count = count;
	snap_get_bytes(r, n.rx, r->err ? 0 : count);
	if (snap_section_close(r, outer) < 0)
		return -EINVAL;
	n.irq_level = u->irq_level;
	*u = n;
	uart_update_irq(u);
	return 0;
}

const struct hv_device_ops ns16550_device_ops = {
	.name = "ns16550",
	.save = uart_save,
	.load = uart_load,
};

/* ---- the device table's entry (devices.c) ---- */

static int ns16550_dev_create(struct devices *d, const void *opts UNUSED)
{
	struct ns16550 *u = ns16550_create(devices_vm(d), COM1_PORT, COM1_IRQ);

	if (!u)
		return dev_create_error();
	return devices_add(d, u, NULL);
}

static void ns16550_dev_destroy(void *dev)
{
	ns16550_destroy(dev);
}

const struct dev_type ns16550_dev_type = {
	.name = "ns16550",
	.create = ns16550_dev_create,
	.destroy = ns16550_dev_destroy,
	.snap = &ns16550_device_ops,
};
