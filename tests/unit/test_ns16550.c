/* ns16550: the COM1 UART seen through its ports. */
#include "devtest.h"

#define COM(r)	(COM1_PORT + (r))

struct uart_fixture {
	struct vm *vm;
	struct ns16550 *u;
	struct devtest_out out;
};

static void uart_setup(struct uart_fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->vm = devtest_vm(0, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->vm);
	f->u = ns16550_create(f->vm, COM1_PORT, COM1_IRQ);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->u);
	ns16550_set_output(f->u, devtest_capture, &f->out);
}

static void uart_teardown(struct uart_fixture *f)
{
	ns16550_destroy(f->u);
	devtest_vm_free(f->vm);
}

static void test_output_and_lsr(void)
{
	struct uart_fixture f;

	uart_setup(&f);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(5), 1), 0x60);	/* THRE|TEMT */
	for (const char *s = "hi\n"; *s; s++)
		pio_out(f.vm, COM(0), 1, (uint8_t)*s);
	CU_ASSERT_STRING_EQUAL(f.out.buf, "hi\n");
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(5), 1), 0x60);
	uart_teardown(&f);
}

static void test_dlab(void)
{
	struct uart_fixture f;

	uart_setup(&f);
	pio_out(f.vm, COM(1), 1, 0x05);			/* IER */
	pio_out(f.vm, COM(3), 1, 0x83);			/* DLAB, 8N1 */
	pio_out(f.vm, COM(0), 1, 0x01);			/* DLL */
	pio_out(f.vm, COM(1), 1, 0x02);			/* DLM */
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(0), 1), 0x01);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(1), 1), 0x02);
	CU_ASSERT_EQUAL(f.out.len, 0);			/* not transmitted */
	pio_out(f.vm, COM(3), 1, 0x03);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(1), 1), 0x05);	/* IER again */
	pio_out(f.vm, COM(0), 1, 'x');
	CU_ASSERT_STRING_EQUAL(f.out.buf, "x");
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(3), 1), 0x03);
	pio_out(f.vm, COM(7), 1, 0xa5);			/* scratch */
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(7), 1), 0xa5);
	uart_teardown(&f);
}

static void test_input(void)
{
	struct uart_fixture f;
	uint8_t big[NS16550_RX_MAX + 44];
	unsigned int n = 0;

	uart_setup(&f);
	ns16550_input(f.u, (const uint8_t *)"ab", 2);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(5), 1) & 0x01, 0x01);	/* DR */
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(0), 1), 'a');
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(0), 1), 'b');
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(5), 1) & 0x01, 0);
	/* The FIFO is bounded: the excess is dropped, not overrun. */
	memset(big, 'z', sizeof(big));
	ns16550_input(f.u, big, sizeof(big));
	while ((pio_in(f.vm, COM(5), 1) & 0x01) && n < sizeof(big)) {
		pio_in(f.vm, COM(0), 1);
		n++;
	}
	CU_ASSERT_EQUAL(n, NS16550_RX_MAX);
	/* FCR "clear RX" empties it. */
	ns16550_input(f.u, (const uint8_t *)"q", 1);
	pio_out(f.vm, COM(2), 1, 0x03);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(5), 1) & 0x01, 0);
	uart_teardown(&f);
}

static void test_loopback(void)
{
	struct uart_fixture f;

	uart_setup(&f);
	/* Linux's probe: loopback with RTS and OUT2 reads CTS|DCD. */
	pio_out(f.vm, COM(4), 1, 0x1a);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(6), 1) & 0xf0, 0x90);
	pio_out(f.vm, COM(4), 1, 0x1f);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(6), 1) & 0xf0, 0xf0);
	pio_out(f.vm, COM(0), 1, 'L');
	CU_ASSERT_EQUAL(f.out.len, 0);			/* nothing left */
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(5), 1) & 0x01, 0x01);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(0), 1), 'L');
	pio_out(f.vm, COM(4), 1, 0x00);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(6), 1) & 0xf0, 0xb0);
	pio_out(f.vm, COM(0), 1, 'o');
	CU_ASSERT_STRING_EQUAL(f.out.buf, "o");
	uart_teardown(&f);
}

static void test_interrupts(void)
{
	struct uart_fixture f;

	uart_setup(&f);
	pio_out(f.vm, COM(2), 1, 0x01);			/* FIFO on */
	pio_out(f.vm, COM(1), 1, 0x01);			/* ERBFI */
	ns16550_input(f.u, (const uint8_t *)"k", 1);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(2), 1), 0xc4);	/* RDA */
	CU_ASSERT_EQUAL(ns16550_irq_level(f.u), 0);	/* OUT2 gates it */
	pio_out(f.vm, COM(4), 1, 0x08);
	CU_ASSERT_EQUAL(ns16550_irq_level(f.u), 1);
	pio_in(f.vm, COM(0), 1);
	CU_ASSERT_EQUAL(ns16550_irq_level(f.u), 0);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(2), 1), 0xc1);	/* none */
	/* THRE: raised by enabling ETBEI with THR empty, cleared by
	 * reading IIR, raised again by the next transmitted byte. */
	pio_out(f.vm, COM(1), 1, 0x03);
	CU_ASSERT_EQUAL(ns16550_irq_level(f.u), 1);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(2), 1), 0xc2);
	CU_ASSERT_EQUAL(ns16550_irq_level(f.u), 0);
	pio_out(f.vm, COM(0), 1, '.');
	CU_ASSERT_EQUAL(ns16550_irq_level(f.u), 1);
	pio_out(f.vm, COM(1), 1, 0x00);
	CU_ASSERT_EQUAL(ns16550_irq_level(f.u), 0);
	uart_teardown(&f);
}

static void test_bad_access(void)
{
	struct uart_fixture f;

	uart_setup(&f);
	CU_ASSERT_EQUAL(pio_in(f.vm, COM(0), 2), 0xffff);
	pio_out(f.vm, COM(0), 4, 0x41414141);
	CU_ASSERT_EQUAL(f.out.len, 0);
	uart_teardown(&f);
}

static void test_save_load(void)
{
	struct uart_fixture a, b;

	uart_setup(&a);
	uart_setup(&b);
	pio_out(a.vm, COM(2), 1, 0x01);
	pio_out(a.vm, COM(3), 1, 0x83);
	pio_out(a.vm, COM(0), 1, 0x0c);
	pio_out(a.vm, COM(3), 1, 0x1b);
	pio_out(a.vm, COM(4), 1, 0x0b);
	pio_out(a.vm, COM(7), 1, 0x42);
	pio_out(a.vm, COM(1), 1, 0x03);
	ns16550_input(a.u, (const uint8_t *)"state", 5);
	devtest_roundtrip(&ns16550_device_ops, a.u, b.u);
	CU_ASSERT_EQUAL(pio_in(b.vm, COM(7), 1), 0x42);
	CU_ASSERT_EQUAL(pio_in(b.vm, COM(0), 1), 's');
	CU_ASSERT_EQUAL(ns16550_irq_level(b.u), 1);
	uart_teardown(&a);
	uart_teardown(&b);
}

static CU_TestInfo tests[] = {
	{ "output_and_lsr", test_output_and_lsr },
	{ "dlab", test_dlab },
	{ "input", test_input },
	{ "loopback", test_loopback },
	{ "interrupts", test_interrupts },
	{ "bad_access", test_bad_access },
	{ "save_load", test_save_load },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(ns16550, NULL, NULL, tests);
