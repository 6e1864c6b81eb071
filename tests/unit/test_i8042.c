/* i8042 (probing, reset line) and pvpanic: the ports guests reboot and
 * report crashes through. */
#include "devtest.h"

static uint8_t kbc_cmd(struct vm *vm, uint8_t cmd)
{
	pio_out(vm, I8042_CMD_PORT, 1, cmd);
	if (!(pio_in(vm, I8042_CMD_PORT, 1) & 0x01))
		return 0xee;	/* no reply (not a value we ever return) */
	return (uint8_t)pio_in(vm, I8042_DATA_PORT, 1);
}

static void test_probe(void)
{
	struct vm *vm = devtest_vm(0, 1);
	struct i8042 *k = i8042_create(vm);
	uint8_t ctr;

	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_NOT_EQUAL(pio_in(vm, I8042_CMD_PORT, 1), 0xff);
	CU_ASSERT_EQUAL(kbc_cmd(vm, 0xaa), 0x55);		/* self test */
	CU_ASSERT_EQUAL(kbc_cmd(vm, 0xab), 0x00);		/* kbd port */
	ctr = kbc_cmd(vm, 0x20);
	CU_ASSERT_EQUAL(ctr & 0x20, 0x20);			/* AUX off */
	pio_out(vm, I8042_CMD_PORT, 1, 0x60);
	pio_out(vm, I8042_DATA_PORT, 1, 0x47);
	CU_ASSERT_EQUAL(kbc_cmd(vm, 0x20), 0x67);	/* AUX stays absent */
	kbc_cmd(vm, 0xa8);
	CU_ASSERT_EQUAL(kbc_cmd(vm, 0x20) & 0x20, 0x20);
	pio_out(vm, I8042_DATA_PORT, 1, 0xff);			/* kbd reset */
	CU_ASSERT_EQUAL(pio_in(vm, I8042_DATA_PORT, 1), 0xfa);
	CU_ASSERT_EQUAL(pio_in(vm, I8042_DATA_PORT, 1), 0xaa);
	CU_ASSERT_EQUAL(pio_in(vm, I8042_CMD_PORT, 1) & 0x01, 0);
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_NONE);
	i8042_destroy(k);
	devtest_vm_free(vm);
}

/* IRQ 1 is an ISA edge: one pulse per byte as it reaches the output
 * buffer, so a guest reading one byte per interrupt (Linux) gets all three
 * bytes of the keyboard's ID reply. No keylock (status bit 4 set). */
static void test_irq_per_byte(void)
{
	struct vm *vm = devtest_vm(0, 1);
	struct i8042 *k = i8042_create(vm);

	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_EQUAL(pio_in(vm, I8042_CMD_PORT, 1) & 0x10, 0x10);
	pio_out(vm, I8042_DATA_PORT, 1, 0xf2);			/* get ID */
	CU_ASSERT_EQUAL(i8042_irq_pulses(k), 1);		/* 0xfa only */
	CU_ASSERT_EQUAL(pio_in(vm, I8042_DATA_PORT, 1), 0xfa);
	CU_ASSERT_EQUAL(i8042_irq_pulses(k), 2);
	CU_ASSERT_EQUAL(pio_in(vm, I8042_DATA_PORT, 1), 0xab);
	CU_ASSERT_EQUAL(i8042_irq_pulses(k), 3);
	CU_ASSERT_EQUAL(pio_in(vm, I8042_DATA_PORT, 1), 0x83);
	CU_ASSERT_EQUAL(i8042_irq_pulses(k), 3);		/* empty now */
	CU_ASSERT_EQUAL(pio_in(vm, I8042_CMD_PORT, 1) & 0x01, 0);

	/* Interrupt disabled in the command byte: no pulses; enabling it
	 * with a byte waiting sends that byte's. */
	pio_out(vm, I8042_CMD_PORT, 1, 0x60);
	pio_out(vm, I8042_DATA_PORT, 1, 0x64);			/* KBDINT off */
	pio_out(vm, I8042_DATA_PORT, 1, 0xff);			/* reset: 2 bytes */
	CU_ASSERT_EQUAL(i8042_irq_pulses(k), 3);
	pio_out(vm, I8042_CMD_PORT, 1, 0x60);
	pio_out(vm, I8042_DATA_PORT, 1, 0x65);			/* KBDINT on */
	CU_ASSERT_EQUAL(i8042_irq_pulses(k), 4);
	CU_ASSERT_EQUAL(pio_in(vm, I8042_DATA_PORT, 1), 0xfa);
	CU_ASSERT_EQUAL(i8042_irq_pulses(k), 5);
	CU_ASSERT_EQUAL(pio_in(vm, I8042_DATA_PORT, 1), 0xaa);
	CU_ASSERT_EQUAL(i8042_irq_pulses(k), 5);
	i8042_destroy(k);
	devtest_vm_free(vm);
}

static void test_reset(void)
{
	struct vm *vm = devtest_vm(0, 1);
	struct i8042 *k = i8042_create(vm);

	pio_out(vm, I8042_CMD_PORT, 1, 0xfe);
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_REBOOT);
	i8042_destroy(k);
	devtest_vm_free(vm);

	vm = devtest_vm(0, 1);
	k = i8042_create(vm);
	pio_out(vm, I8042_CMD_PORT, 1, 0xd1);			/* output port */
	pio_out(vm, I8042_DATA_PORT, 1, 0x03);			/* reset high */
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_NONE);
	pio_out(vm, I8042_CMD_PORT, 1, 0xd1);
	pio_out(vm, I8042_DATA_PORT, 1, 0x02);			/* reset low */
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_REBOOT);
	i8042_destroy(k);
	devtest_vm_free(vm);
}

static void test_save_load(void)
{
	struct vm *va = devtest_vm(0, 1), *vb = devtest_vm(0, 1);
	struct i8042 *a = i8042_create(va), *b = i8042_create(vb);

	pio_out(va, I8042_DATA_PORT, 1, 0xf2);		/* ID: 3 bytes queued */
	pio_out(va, I8042_CMD_PORT, 1, 0x60);		/* pending command */
	devtest_roundtrip(&i8042_device_ops, a, b);
	CU_ASSERT_EQUAL(pio_in(vb, I8042_DATA_PORT, 1), 0xfa);
	CU_ASSERT_EQUAL(pio_in(vb, I8042_DATA_PORT, 1), 0xab);
	i8042_destroy(a);
	i8042_destroy(b);
	devtest_vm_free(va);
	devtest_vm_free(vb);
}

static void test_pvpanic(void)
{
	struct vm *vm = devtest_vm(0, 1), *vb = devtest_vm(0, 1);
	struct pvpanic *p = pvpanic_create(vm, PVPANIC_PORT);
	struct pvpanic *q = pvpanic_create(vb, PVPANIC_PORT);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(pio_in(vm, PVPANIC_PORT, 1), 0x03);
	pio_out(vm, PVPANIC_PORT, 1, 0x02);			/* crash loaded */
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_NONE);
	devtest_roundtrip(&pvpanic_device_ops, p, q);
	pio_out(vm, PVPANIC_PORT, 1, 0x01);
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_CRASH);
	CU_ASSERT_STRING_EQUAL(vm->stop_why, "guest reported panic");
	pvpanic_destroy(p);
	pvpanic_destroy(q);
	devtest_vm_free(vm);
	devtest_vm_free(vb);
}

static void crash_loaded_loop(void *vm)
{
	for (int i = 0; i < 1000; i++)
		pio_out(vm, PVPANIC_PORT, 1, 0x02);
}

/* A guest writing CRASH_LOADED in a loop gets a few log lines, not one
 * per write. */
static void test_pvpanic_log_flood(void)
{
	struct vm *vm = devtest_vm(0, 1);
	struct pvpanic *p = pvpanic_create(vm, PVPANIC_PORT);
	unsigned int lines;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	lines = devtest_log_lines(crash_loaded_loop, vm);
	CU_ASSERT(lines >= 1 && lines <= 3);
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_NONE);
	pvpanic_destroy(p);
	devtest_vm_free(vm);
}

static CU_TestInfo tests[] = {
	{ "probe", test_probe },
	{ "irq_per_byte", test_irq_per_byte },
	{ "reset", test_reset },
	{ "save_load", test_save_load },
	{ "pvpanic", test_pvpanic },
	{ "pvpanic_log_flood", test_pvpanic_log_flood },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(i8042, NULL, NULL, tests);
