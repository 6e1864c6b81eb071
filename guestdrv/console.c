/*
 * console.c: the kernel console. Output goes to the 16550 on COM1 until a
 * virtio-console is running, then to it (virtio_console.c batches lines);
 * input comes from whichever is current. kprintf formats into a buffer and
 * writes it in one piece so a line costs one notification.
 */
#include "minios.h"

static const struct console_ops *console_cur = &ns16550_console;

void console_set(const struct console_ops *ops)
{
	if (console_cur->flush)
		console_cur->flush();
	console_cur = ops ? ops : &ns16550_console;
}

void console_force_serial(void)
{
	console_cur = &ns16550_console;
}

void console_write(const char *buf, size_t len)
{
	console_cur->write(buf, len);
}

void console_flush(void)
{
	if (console_cur->flush)
		console_cur->flush();
}

int console_getc(void)
{
	return console_cur->getc ? console_cur->getc() : -1;
}

int vkprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	console_write(buf, MIN((size_t)n, sizeof(buf) - 1));
	return n;
}

int kprintf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vkprintf(fmt, ap);
	va_end(ap);
	return n;
}
