/*
 * ns16550.c: polled driver for the 16550 UART on COM1 (0x3f8): 115200 8N1,
 * FIFOs on. Output waits for LSR.THRE, then writes up to a FIFO's worth
 * (16 bytes) before looking again: each port access is a VM exit (~67 us
 * from ring 3), so fewer LSR reads matter. Input polls LSR.DR. Lines end
 * in a bare "\n" (tests match whole lines; no "\r" added).
 * (National Semiconductor PC16550D data sheet.)
 */
#include "minios.h"

#define COM1		0x3f8
#define UART_RBR	0	/* receive buffer (read, DLAB=0) */
#define UART_THR	0	/* transmit holding (write, DLAB=0) */
#define UART_DLL	0	/* divisor latch low (DLAB=1) */
#define UART_IER	1
#define UART_DLM	1	/* divisor latch high (DLAB=1) */
#define UART_IIR	2	/* read */
#define UART_FCR	2	/* write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define LCR_DLAB	0x80
#define LCR_8N1		0x03
#define FCR_ENABLE	0x07	/* enable, clear RX and TX FIFOs */
#define IIR_FIFO_MASK	0xc0
#define LSR_DR		0x01
#define LSR_THRE	0x20
#define MCR_DTR_RTS	0x03
#define THRE_SPINS	100000	/* give up waiting (no UART) */

static unsigned int ns16550_burst = 1;	/* bytes per THRE: 16 with FIFO */
static bool ns16550_absent;

void ns16550_init(void)
{
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DLL, 1);		/* 115200 baud */
	outb(COM1 + UART_DLM, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE);
	outb(COM1 + UART_MCR, MCR_DTR_RTS);
	if (inb(COM1 + UART_LSR) == 0xff) {
		ns16550_absent = true;		/* floating bus */
		return;
	}
	if ((inb(COM1 + UART_IIR) & IIR_FIFO_MASK) == IIR_FIFO_MASK)
		ns16550_burst = 16;
}

static int ns16550_wait_thre(void)
{
	for (unsigned int i = 0; i < THRE_SPINS; i++)
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			return 0;
	return -ETIMEDOUT;
}

static void ns16550_write(const char *buf, size_t len)
{
	size_t i = 0;

	if (ns16550_absent)
		return;
	while (i < len) {
		unsigned int room = ns16550_burst;

		if (ns16550_wait_thre() < 0)
			return;
		for (; room && i < len; room--, i++)
			outb(COM1 + UART_THR, (uint8_t)buf[i]);
	}
}

static int ns16550_getc(void)
{
	if (ns16550_absent || !(inb(COM1 + UART_LSR) & LSR_DR))
		return -1;
	return inb(COM1 + UART_RBR);
}

const struct console_ops ns16550_console = {
	.name = "ns16550",
	.write = ns16550_write,
	.flush = NULL,
	.getc = ns16550_getc,
};
