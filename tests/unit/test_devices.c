/* The device table (devices.c): what a guest finds on the PCI bus with
 * and without NICs, what is registered for save/load and undone by
 * devices_destroy, and hv's --net and --disk options as the table hands
 * them out (name, help, messages for bad arguments). */
#include "devtest.h"
#include "fake_vhost_user.h"
#include "hv/virtio_pci.h"
#include "hv/virtio_net.h"

#define MEM		(2u << 20)

/* Config dword `reg` of 00:slot.0 through mechanism #1. */
static uint32_t slot_rd(struct vm *vm, unsigned int slot, unsigned int reg)
{
	pio_out(vm, PCI_CONFIG_PORT, 4, 0x80000000u | slot << 11 | reg);
	return (uint32_t)pio_in(vm, PCI_CONFIG_PORT + 4, 4);
}

static void test_platform(void)
{
	struct vm *vm = devtest_vm(MEM, 1);

	CU_ASSERT_EQUAL_FATAL(devices_create(vm), 0);
	CU_ASSERT_EQUAL(slot_rd(vm, 0, 0), 0x12378086);	/* host bridge */
	CU_ASSERT_EQUAL(slot_rd(vm, 1, 0), 0x10431af4);	/* virtio console */
	CU_ASSERT_EQUAL(slot_rd(vm, 2, 0), 0xffffffff);	/* nothing */
	CU_ASSERT_EQUAL(pio_in(vm, PVPANIC_PORT, 1), 3);
	CU_ASSERT_EQUAL(vm->nr_devs, 7);
	CU_ASSERT_STRING_EQUAL(vm->devs[0].ops->name, "ns16550");
	CU_ASSERT_STRING_EQUAL(vm->devs[4].ops->name, "pcihp");
	CU_ASSERT_STRING_EQUAL(vm->devs[5].ops->name, "pci");
	CU_ASSERT_STRING_EQUAL(vm->devs[6].ops->name, "virtio-pci");
	devices_destroy(vm);
	CU_ASSERT_EQUAL(vm->nr_devs, 0);
	CU_ASSERT_EQUAL(vm->nr_pio, 0);			/* ports released */
	CU_ASSERT_EQUAL(devices_create(vm), 0);		/* and claimable again */
	devices_destroy(vm);
	devtest_vm_free(vm);
}

static void test_net_option(void)
{
	struct vm_config cfg = { 0 };
	const char *help = NULL;
	char msg[256];

	CU_ASSERT_STRING_EQUAL(devices_option(0, &help), "net");
	CU_ASSERT_STRING_EQUAL(help, "vnic=SOCKET[,mac=MAC][,mtu=N]");
	CU_ASSERT_STRING_EQUAL(devices_option(1, &help), "disk");
	CU_ASSERT_STRING_EQUAL(devices_option(2, &help), "vhost-user-blk");
	CU_ASSERT_PTR_NULL(devices_option(3, &help));
	CU_ASSERT_EQUAL(devices_parse_option(&cfg, 0, "foo=1", msg,
					     sizeof(msg)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(msg, "--net: unknown item 'foo=1' "
			       "(vnic=SOCKET[,mac=MAC][,mtu=N])");
	CU_ASSERT_EQUAL(devices_parse_option(&cfg, 0, "mtu=9001", msg,
					     sizeof(msg)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(msg, "--net: mtu=9001 is not a number in "
			       "68-9000");
	CU_ASSERT_EQUAL(devices_parse_option(&cfg, 0, "mtu=9k", msg,
					     sizeof(msg)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(msg, "--net: mtu=9k is not a number in "
			       "68-9000");
	CU_ASSERT_EQUAL(devices_parse_option(&cfg, 0, "vnic=/nonexistent",
					     msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(msg, "--net: /nonexistent: No such file or "
			       "directory");
	CU_ASSERT_EQUAL(devices_parse_option(&cfg, 0, "vnic=/dev/null",
					     msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(msg, "--net: /dev/null: not a socket");
	CU_ASSERT_EQUAL(devices_parse_option(&cfg, 0, "mac=02:00:00:00:00:01",
					     msg, sizeof(msg)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(msg, "--net needs vnic=SOCKET");
	CU_ASSERT_EQUAL(devices_parse_option(&cfg, 2, "x", msg, sizeof(msg)),
			-EINVAL);
	devices_free_options(&cfg);
}

/* --vhost-user-blk: the socket must exist unless ",wait" (the backend
 * comes after the load); queues= only with wait, 1-8. */
static void test_vublk_option(void)
{
	static const struct { const char *arg, *msg; } bad[] = {
		{ "/nonexistent", "--vhost-user-blk: /nonexistent: No such file or directory" },
		{ "/dev/null", "--vhost-user-blk: /dev/null: not a socket" },
		{ "/nonexistent,queues=2", "--vhost-user-blk: /nonexistent: queues= only with wait (else the backend says how many)" },
		{ "/nonexistent,wait,queues=0", "--vhost-user-blk: queues=0: a number from 1 to 8" },
		{ "/nonexistent,wait,queues=9", "--vhost-user-blk: queues=9: a number from 1 to 8" },
		{ "/nonexistent,wait,queues=2x", "--vhost-user-blk: queues=2x: a number from 1 to 8" },
		{ "/nonexistent,later", "--vhost-user-blk: unknown item 'later' (SOCKET[,readonly][,wait[,queues=N]])" },
		{ ",wait", "--vhost-user-blk needs a SOCKET (SOCKET[,readonly][,wait[,queues=N]])" },
	};
	struct vm_config cfg = { 0 };
	char msg[256];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CU_ASSERT_EQUAL(devices_parse_option(&cfg, 2, bad[i].arg, msg,
						     sizeof(msg)), -EINVAL);
		CU_ASSERT_STRING_EQUAL(msg, bad[i].msg);
	}
	/* the socket need not exist yet */
	CU_ASSERT_EQUAL(devices_parse_option(&cfg, 2, "/nonexistent,wait,"
					     "queues=4,readonly", msg,
					     sizeof(msg)), 0);
	CU_ASSERT_EQUAL(devices_parse_option(&cfg, 2, "/nonexistent,wait",
					     msg, sizeof(msg)), 0);
	devices_free_options(&cfg);
}

/* --disk: its messages; disks take the slots after the NICs, one
 * registered transport each; at most 8. */
static void test_disks(void)
{
	static const struct { const char *arg, *msg; } bad[] = {
		{ "path=/nonexistent", "--disk: /nonexistent: No such file or directory" },
		{ "path=/tmp", "--disk: /tmp: not a regular file or block device" },
		{ "readonly", "--disk needs path=FILE|DEV" },
		{ "format=qcow2,path=/dev/null", "--disk: format=qcow2: unknown (raw is the only format hv serves)" },
		{ "serial=has space,path=/dev/null", "--disk: serial: only printable ASCII without spaces" },
		{ "serial=123456789012345678901,path=/dev/null", "--disk: serial=123456789012345678901: longer than 20 characters" },
		{ "cache=unsafe,path=/dev/null", "--disk: cache=unsafe: none or writeback" },
		{ "foo,path=/dev/null", "--disk: unknown item 'foo' (path=FILE|DEV[,format=raw][,readonly][,serial=ID][,cache=none|writeback][,queues=N])" },
		{ "queues=0,path=/dev/null", "--disk: queues=0: a number from 1 to 8" },
		{ "queues=9,path=/dev/null", "--disk: queues=9: a number from 1 to 8" },
		{ "queues=-1,path=/dev/null", "--disk: queues=-1: a number from 1 to 8" },
		{ "queues=2x,path=/dev/null", "--disk: queues=2x: a number from 1 to 8" },
		{ "queues=,path=/dev/null", "--disk: queues=: a number from 1 to 8" },
		{ "queues=99999999999999999999,path=/dev/null", "--disk: queues=99999999999999999999: a number from 1 to 8" },
	};
	struct vm *vm = devtest_vm(MEM, 1);
	char path[] = "/tmp/xvm-devices-XXXXXX", arg[200], msg[256];
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(ftruncate(fd, 1 << 20) == 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CU_ASSERT_EQUAL(devices_parse_option(&vm->cfg, 1, bad[i].arg,
						     msg, sizeof(msg)), -EINVAL);
		CU_ASSERT_STRING_EQUAL(msg, bad[i].msg);
	}
	snprintf(arg, sizeof(arg), "path=%s,serial=a", path);
	CU_ASSERT_EQUAL(devices_parse_option(&vm->cfg, 1, arg, msg, sizeof(msg)), 0);
	snprintf(arg, sizeof(arg), "path=%s,readonly,format=raw,cache=none,queues=8", path);
	CU_ASSERT_EQUAL(devices_parse_option(&vm->cfg, 1, arg, msg, sizeof(msg)), 0);
	CU_ASSERT_EQUAL_FATAL(devices_create(vm), 0);
	CU_ASSERT_EQUAL(slot_rd(vm, 1, 0), 0x10431af4);
	CU_ASSERT_EQUAL(slot_rd(vm, 2, 0), 0x10421af4);
	CU_ASSERT_EQUAL(slot_rd(vm, 3, 0), 0x10421af4);
	CU_ASSERT_EQUAL(slot_rd(vm, 4, 0), 0xffffffff);
	CU_ASSERT_EQUAL(vm->nr_devs, 9);
	devices_destroy(vm);
	CU_ASSERT_EQUAL(vm->nr_devs, 0);
	for (int i = 2; i < 8; i++)
		CU_ASSERT_EQUAL(devices_parse_option(&vm->cfg, 1, arg, msg,
						     sizeof(msg)), 0);
	CU_ASSERT_EQUAL(devices_parse_option(&vm->cfg, 1, arg, msg,
					     sizeof(msg)), -ENOSPC);
	CU_ASSERT_STRING_EQUAL(msg, "--disk: at most 8 disks");
	devices_free_options(&vm->cfg);
	close(fd);
	unlink(path);
	devtest_vm_free(vm);
}

/* Two NICs: slots 2 and 3 in option order, MACs as given, registered
 * after the platform's devices; at most 8. */
static void test_nics(void)
{
	struct vm *vm = devtest_vm(MEM, 1);
	char arg[200], msg[256];
	struct fvu f;

	fvu_init(&f, 1ULL << 32, 0);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	for (int i = 1; i <= 2; i++) {
		snprintf(arg, sizeof(arg), "vnic=%s,mac=02:00:00:00:00:0%d",
			 f.path, i);
		CU_ASSERT_EQUAL(devices_parse_option(&vm->cfg, 0, arg, msg,
						     sizeof(msg)), 0);
	}
	CU_ASSERT_EQUAL_FATAL(devices_create(vm), 0);
	CU_ASSERT_EQUAL(slot_rd(vm, 1, 0), 0x10431af4);
	CU_ASSERT_EQUAL(slot_rd(vm, 2, 0), 0x10411af4);
	CU_ASSERT_EQUAL(slot_rd(vm, 3, 0), 0x10411af4);
	CU_ASSERT_EQUAL(slot_rd(vm, 4, 0), 0xffffffff);
	for (unsigned int s = 2; s <= 3; s++) {
		uint32_t bar = slot_rd(vm, s, PCI_BAR0) & ~0xfu;

		CU_ASSERT_EQUAL(mmio_in(vm, bar + VIRTIO_PCI_DEVICE_OFF + 5, 1),
				s - 1);		/* last byte of the MAC */
	}
	CU_ASSERT_EQUAL(vm->nr_devs, 9);
	devices_destroy(vm);
	CU_ASSERT_EQUAL(vm->nr_devs, 0);
	snprintf(arg, sizeof(arg), "vnic=%s", f.path);
	for (int i = 2; i < 8; i++)
		CU_ASSERT_EQUAL(devices_parse_option(&vm->cfg, 0, arg, msg,
						     sizeof(msg)), 0);
	CU_ASSERT_EQUAL(devices_parse_option(&vm->cfg, 0, arg, msg,
					     sizeof(msg)), -ENOSPC);
	CU_ASSERT_STRING_EQUAL(msg, "--net: at most 8 NICs");
	devices_free_options(&vm->cfg);
	fvu_fini(&f);
	devtest_vm_free(vm);
}

#define GPE0_STS	ACPI_GPE0_PORT
#define GPE0_EN		(ACPI_GPE0_PORT + 2)
#define HP_UP		PCIHP_PORT
#define HP_DOWN		(PCIHP_PORT + 4)
#define HP_EJ		(PCIHP_PORT + 8)
#define HP_RMV		(PCIHP_PORT + 12)

/* Hot-plug: a NIC added in the first free slot is announced (UP, GPE 1,
 * the SCI once enabled), can be asked out (DOWN), and is removed after
 * the guest's eject; ejects of slots not asked for are ignored; the
 * device set then differs from the command line's. */
static void test_hotplug(void)
{
	extern const struct dev_type pcihp_dev_type, acpi_pm_dev_type;
	struct vm *vm = devtest_vm(MEM, 1);
	struct mac_addr mac = { { 2, 0, 0, 0, 0, 9 } };
	struct virtio_net *n;
	struct pcihp *h;
	struct acpi_pm *pm;
	char arg[200], msg[256];
	unsigned int nr;
	struct fvu f;

	fvu_init(&f, 1ULL << 32, 0);
	CU_ASSERT_EQUAL_FATAL(fvu_listen(&f), 0);
	snprintf(arg, sizeof(arg), "vnic=%s,mac=02:00:00:00:00:01", f.path);
	CU_ASSERT_EQUAL(devices_parse_option(&vm->cfg, 0, arg, msg,
					     sizeof(msg)), 0);
	CU_ASSERT_EQUAL_FATAL(devices_create(vm), 0);
	h = devices_find(vm->devices, &pcihp_dev_type);
	pm = devices_find(vm->devices, &acpi_pm_dev_type);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(pio_in(vm, HP_RMV, 4), 1u << 2);	/* the boot NIC */
	CU_ASSERT_EQUAL(pio_in(vm, HP_UP, 4), 0);
	CU_ASSERT_EQUAL(pio_in(vm, GPE0_STS, 2), 0);
	CU_ASSERT_FALSE(devices_changed(vm->devices));
	nr = vm->nr_devs;

	n = virtio_net_create(vm, devices_find(vm->devices, &pci_dev_type),
			      f.path, &mac);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	CU_ASSERT_EQUAL(devices_hot_add(vm->devices, &virtio_net_dev_type, n), 0);
	CU_ASSERT_EQUAL(virtio_net_slot(n), 3);
	pcihp_plugged(h, 3);
	CU_ASSERT_EQUAL(slot_rd(vm, 3, 0), 0x10411af4);
	CU_ASSERT_EQUAL(vm->nr_devs, nr);		/* not in save/load */
	CU_ASSERT_TRUE(devices_changed(vm->devices));
	CU_ASSERT_EQUAL(pio_in(vm, GPE0_STS, 1), PCIHP_GPE_MASK);
	CU_ASSERT_EQUAL(acpi_pm_sci_level(pm), 0);	/* GPE 1 not enabled */
	pio_out(vm, GPE0_EN, 1, 0xff);			/* only bit 1 sticks */
	CU_ASSERT_EQUAL(pio_in(vm, GPE0_EN, 2), PCIHP_GPE_MASK);
	CU_ASSERT_EQUAL(acpi_pm_sci_level(pm), 1);
	pio_out(vm, GPE0_STS, 1, PCIHP_GPE_MASK);	/* write 1 to clear */
	CU_ASSERT_EQUAL(acpi_pm_sci_level(pm), 0);
	CU_ASSERT_EQUAL(pio_in(vm, HP_UP + 1, 1), 0);	/* a byte: not cleared */
	CU_ASSERT_EQUAL(pio_in(vm, HP_UP, 4), 1u << 3);
	CU_ASSERT_EQUAL(pio_in(vm, HP_UP, 4), 0);	/* cleared by the read */
	CU_ASSERT_EQUAL(pio_in(vm, HP_RMV, 4), 1u << 2 | 1u << 3);

	pio_out(vm, HP_EJ, 4, 1u << 3);			/* not asked: ignored */
	CU_ASSERT_EQUAL(pcihp_take_ejected(h), 0);
	CU_ASSERT_EQUAL(pcihp_request_unplug(h, 3), 0);
	CU_ASSERT_EQUAL(pcihp_request_unplug(h, 3), -EALREADY);
	CU_ASSERT_EQUAL(pcihp_request_unplug(h, 4), -EINVAL);	/* empty */
	CU_ASSERT_EQUAL(pcihp_request_unplug(h, 0), -EINVAL);	/* host bridge */
	CU_ASSERT_EQUAL(pio_in(vm, HP_DOWN, 4), 1u << 3);
	CU_ASSERT_EQUAL(acpi_pm_sci_level(pm), 1);
	pio_out(vm, HP_EJ, 4, 1u << 3 | 1u << 2);	/* slot 2 not asked */
	CU_ASSERT_EQUAL(pio_in(vm, HP_DOWN, 4), 0);
	CU_ASSERT_EQUAL(pcihp_take_ejected(h), 1u << 3);
	CU_ASSERT_EQUAL(pcihp_take_ejected(h), 0);
	devices_hot_remove(vm->devices, n);
	pcihp_removed(h, 3);
	CU_ASSERT_EQUAL(slot_rd(vm, 3, 0), 0xffffffff);
	CU_ASSERT_EQUAL(slot_rd(vm, 2, 0), 0x10411af4);	/* the boot NIC stays */
	CU_ASSERT_EQUAL(pio_in(vm, HP_RMV, 4), 1u << 2);

	/* A withdrawn request: the guest's late eject changes nothing. */
	CU_ASSERT_EQUAL(pcihp_request_unplug(h, 2), 0);
	pcihp_cancel_unplug(h, 2);
	pio_out(vm, HP_EJ, 1, 1u << 2);
	CU_ASSERT_EQUAL(pcihp_take_ejected(h), 0);
	devices_destroy(vm);
	CU_ASSERT_EQUAL(vm->nr_pio, 0);
	devices_free_options(&vm->cfg);
	fvu_fini(&f);
	devtest_vm_free(vm);
}

static CU_TestInfo tests[] = {
	{ "platform devices in table order", test_platform },
	{ "--net option", test_net_option },
	{ "NICs after the platform", test_nics },
	{ "--disk option and disks after the NICs", test_disks },
	{ "--vhost-user-blk option", test_vublk_option },
	{ "NIC hot-plug: controller, add, eject, remove", test_hotplug },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(devices, NULL, NULL, tests);
