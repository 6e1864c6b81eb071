/*
 * i8042 keyboard controller: enough for Linux's probe (self test, command
 * byte, interface test, a keyboard that acknowledges commands) and the
 * CPU reset line, which is how guests reboot (command 0xfe on port 0x64,
 * or output port bit 0 cleared through command 0xd1).
 *
 * There is no AUX (mouse) port: the command byte's AUX-disable bit stays
 * set, which is how Linux's i8042 driver decides it is absent (the DSDT
 * lists only the keyboard, so Linux does not even probe for it). No keys
 * are ever pressed. Bytes for the guest wait in a small output queue behind
 * the output buffer. IRQ 1 is edge triggered (ISA): it is pulsed once per
 * byte, when that byte reaches the output buffer and the command byte
 * enables it, so a guest that reads one byte per interrupt (Linux) gets an
 * interrupt for each of a multi-byte reply (keyboard ID: 0xfa 0xab 0x83).
 */
#include <stdlib.h>
#include <string.h>
#include "xvm/log.h"
#include "dev.h"

#define I8042_IRQ		1
#define I8042_OUTQ_MAX		16

/* Status register (port 0x64 read). */
#define STS_OBF			0x01	/* output buffer full */
#define STS_SYS			0x04	/* system flag (POST passed) */
#define STS_CMD			0x08	/* last write was a command */
#define STS_UNLOCKED		0x10	/* keyboard not inhibited (no keylock) */

/* Command byte. */
#define CTR_KBDINT		0x01
#define CTR_AUXINT		0x02
#define CTR_SYS			0x04
#define CTR_KBDDIS		0x10
#define CTR_AUXDIS		0x20
#define CTR_XLATE		0x40

/* Controller commands (port 0x64 write). */
#define CMD_READ_CTR		0x20
#define CMD_WRITE_CTR		0x60
#define CMD_AUX_DISABLE		0xa7
#define CMD_AUX_ENABLE		0xa8
#define CMD_AUX_TEST		0xa9
#define CMD_SELF_TEST		0xaa
#define CMD_KBD_TEST		0xab
#define CMD_KBD_DISABLE		0xad
#define CMD_KBD_ENABLE		0xae
#define CMD_READ_OUTPORT	0xd0
#define CMD_WRITE_OUTPORT	0xd1
#define CMD_WRITE_KBD_OUT	0xd2
#define CMD_WRITE_AUX_OUT	0xd3
#define CMD_WRITE_AUX		0xd4
#define CMD_PULSE_RESET		0xfe

/* Keyboard commands (port 0x60 write with no controller command). */
#define KBD_ACK			0xfa
#define KBD_RESET		0xff
#define KBD_GET_ID		0xf2
#define KBD_ECHO		0xee
#define KBD_BAT_OK		0xaa

struct i8042 {
	struct vm *vm;
	uint8_t outq[I8042_OUTQ_MAX];
	unsigned int outq_head, outq_count;
	uint8_t ctr;
	uint8_t pending_cmd;		/* command waiting for its data byte */
	uint8_t status_cmd;		/* STS_CMD */
	unsigned int irq_pulses;	/* IRQ 1 edges sent (for tests) */
};

/* A byte has just reached the output buffer: one edge on IRQ 1. */
static void kbc_irq(struct i8042 *k)
{
	if (!(k->ctr & CTR_KBDINT))
		return;
	vm_irq_line(k->vm, I8042_IRQ, 1);
	vm_irq_line(k->vm, I8042_IRQ, 0);
	k->irq_pulses++;
}

static void kbc_put(struct i8042 *k, uint8_t v)
{
	if (k->outq_count == I8042_OUTQ_MAX)
		return;
	k->outq[(k->outq_head + k->outq_count) % I8042_OUTQ_MAX] = v;
	if (k->outq_count++ == 0)
		kbc_irq(k);	/* otherwise it waits behind the others */
}

static uint8_t kbc_get(struct i8042 *k)
{
	uint8_t v;

	if (!k->outq_count)
		return 0;
	v = k->outq[k->outq_head];
	k->outq_head = (k->outq_head + 1) % I8042_OUTQ_MAX;
	if (--k->outq_count)
		kbc_irq(k);	/* the next byte moves into the buffer */
	return v;
}

static void kbc_reset_cpu(struct i8042 *k)
{
	vm_request_stop(k->vm, VM_STOP_REBOOT, "i8042 reset line pulsed");
}

static void kbc_command(struct i8042 *k, uint8_t cmd)
{
	k->status_cmd = STS_CMD;
	switch (cmd) {
	case CMD_READ_CTR:	kbc_put(k, k->ctr); break;
	case CMD_SELF_TEST:	kbc_put(k, 0x55); break;
	case CMD_KBD_TEST:	kbc_put(k, 0x00); break;
	case CMD_AUX_TEST:	kbc_put(k, 0xff); break;	/* no AUX */
	case CMD_KBD_DISABLE:	k->ctr |= CTR_KBDDIS; break;
	case CMD_KBD_ENABLE:	k->ctr &= ~CTR_KBDDIS; break;
	case CMD_AUX_DISABLE:
	case CMD_AUX_ENABLE:	break;	/* AUX stays absent */
	case CMD_READ_OUTPORT:	kbc_put(k, 0x03); break;	/* A20, no reset */
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUTPORT:
	case CMD_WRITE_KBD_OUT:
	case CMD_WRITE_AUX_OUT:
	case CMD_WRITE_AUX:
		k->pending_cmd = cmd;
		break;
	case CMD_PULSE_RESET:
		kbc_reset_cpu(k);
		break;
	default:
		/* 0xf0-0xff pulse output lines; only bit 0 (reset) matters. */
		if (cmd >= 0xf0 && !(cmd & 0x01))
			kbc_reset_cpu(k);
		break;
	}
}

static void kbd_command(struct i8042 *k, uint8_t v)
{
	switch (v) {
	case KBD_RESET:
		kbc_put(k, KBD_ACK);
		kbc_put(k, KBD_BAT_OK);
		break;
	case KBD_GET_ID:
		kbc_put(k, KBD_ACK);
		kbc_put(k, 0xab);
		kbc_put(k, 0x83);
		break;
	case KBD_ECHO:
		kbc_put(k, KBD_ECHO);
		break;
	default:	/* LEDs, rates, scan sets, enable: acknowledge */
		kbc_put(k, KBD_ACK);
		break;
	}
}

static void kbc_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending_cmd;

	k->status_cmd = 0;
	k->pending_cmd = 0;
	switch (cmd) {
	case CMD_WRITE_CTR: {
		bool enabled = !(k->ctr & CTR_KBDINT) && (v & CTR_KBDINT);

		k->ctr = v | CTR_AUXDIS;
		if (enabled && k->outq_count)
			kbc_irq(k);	/* the waiting byte now interrupts */
		break;
	}
	case CMD_WRITE_OUTPORT:
		if (!(v & 0x01))
			kbc_reset_cpu(k);
		break;
	case CMD_WRITE_KBD_OUT:
		kbc_put(k, v);
		break;
	case CMD_WRITE_AUX_OUT:
	case CMD_WRITE_AUX:
		break;	/* no AUX device: nothing answers */
	default:
		kbd_command(k, v);
		break;
	}
}

static uint64_t kbc_read(void *opaque, uint64_t off, unsigned int size)
{
	struct i8042 *k = opaque;

	if (size != 1)
		return ~0ULL;
	if (off == 0)
		return kbc_get(k);
	return STS_UNLOCKED | STS_SYS | k->status_cmd |
	       (k->outq_count ? STS_OBF : 0);
}

static void kbc_write(void *opaque, uint64_t off, unsigned int size,
		      uint64_t val)
{
	struct i8042 *k = opaque;

	if (size != 1)
		return;
	if (off == 0)
		kbc_data(k, (uint8_t)val);
	else
		kbc_command(k, (uint8_t)val);
}

static const struct io_ops kbc_io_ops = {
	.read = kbc_read,
	.write = kbc_write,
};

/* The data port (0x60) and the command port (0x64) are two ranges with
 * the same handler; off tells them apart. */
static uint64_t kbc_cmd_read(void *opaque, uint64_t off, unsigned int size)
{
	return kbc_read(opaque, off + 1, size);
}

static void kbc_cmd_write(void *opaque, uint64_t off, unsigned int size,
			  uint64_t val)
{
	kbc_write(opaque, off + 1, size, val);
}

static const struct io_ops kbc_cmd_io_ops = {
	.read = kbc_cmd_read,
	.write = kbc_cmd_write,
};

struct i8042 *i8042_create(struct vm *vm)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	int rc;

	if (!k)
		return NULL;
	k->vm = vm;
	k->ctr = CTR_KBDINT | CTR_SYS | CTR_AUXDIS | CTR_XLATE;
	rc = io_register(vm, IO_SPACE_PIO, I8042_DATA_PORT, 1, &kbc_io_ops, k,
			 "i8042 data");
	if (rc < 0)
		goto fail;
	rc = io_register(vm, IO_SPACE_PIO, I8042_CMD_PORT, 1, &kbc_cmd_io_ops,
			 k, "i8042 command");
	if (rc < 0) {
		io_unregister(vm, IO_SPACE_PIO, I8042_DATA_PORT);
		goto fail;
	}
	return k;
fail:
	free(k);
	errno = -rc;
	return NULL;
}

unsigned int i8042_irq_pulses(const struct i8042 *k)
{
	return k->irq_pulses;
}

void i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	io_unregister(k->vm, IO_SPACE_PIO, I8042_DATA_PORT);
	io_unregister(k->vm, IO_SPACE_PIO, I8042_CMD_PORT);
	free(k);
}

/* ---- save/load ---- */

#define KBC_SNAP_VERSION	1

static bool kbc_pending_ok(uint8_t cmd)
{
	return cmd == 0 || cmd == CMD_WRITE_CTR || cmd == CMD_WRITE_OUTPORT ||
	       cmd == CMD_WRITE_KBD_OUT || cmd == CMD_WRITE_AUX_OUT ||
	       cmd == CMD_WRITE_AUX;
}

static int kbc_save(void *dev, struct snap_writer *w)
{
	struct i8042 *k = dev;
	size_t mark;

	snap_section_begin(w, "i8042", KBC_SNAP_VERSION, &mark);
	snap_put_u8(w, k->ctr);
	snap_put_u8(w, k->pending_cmd);
	snap_put_u8(w, k->status_cmd);
	snap_put_u8(w, (uint8_t)k->outq_count);
	for (unsigned int i = 0; i < k->outq_count; i++)
		snap_put_u8(w, k->outq[(k->outq_head + i) % I8042_OUTQ_MAX]);
	return snap_section_end(w, mark);
}

static int kbc_load(void *dev, struct snap_reader *r)
{
	struct i8042 *k = dev, n = *k;
	uint32_t version;
	uint8_t count;
	size_t outer;

	if (snap_section_open(r, "i8042", KBC_SNAP_VERSION, &version,
			      &outer) < 0)
		return -EINVAL;
	snap_get_u8(r, &n.ctr);
	snap_get_u8(r, &n.pending_cmd);
	snap_get_u8(r, &n.status_cmd);
	snap_get_u8(r, &count);
	if (!kbc_pending_ok(n.pending_cmd) || (n.status_cmd & ~STS_CMD) ||
	    !(n.ctr & CTR_AUXDIS) || count > I8042_OUTQ_MAX)
		snap_fail(r, "i8042 state out of range");
	n.outq_head = 0;
	n.outq_count = count;
	snap_get_bytes(r, n.outq, r->err ? 0 : count);
	if (snap_section_close(r, outer) < 0)
		return -EINVAL;
	*k = n;
	return 0;
}

const struct hv_device_ops i8042_device_ops = {
	.name = "i8042",
	.save = kbc_save,
	.load = kbc_load,
};

/* ---- the device table's entry (devices.c) ---- */

static int i8042_dev_create(struct devices *d, const void *opts UNUSED)
{
	struct i8042 *k = i8042_create(devices_vm(d));

	if (!k)
		return dev_create_error();
	return devices_add(d, k, NULL);
}

static void i8042_dev_destroy(void *dev)
{
	i8042_destroy(dev);
}

const struct dev_type i8042_dev_type = {
	.name = "i8042",
	.create = i8042_dev_create,
	.destroy = i8042_dev_destroy,
	.snap = &i8042_device_ops,
};
