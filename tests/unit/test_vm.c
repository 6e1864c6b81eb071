/*
 * hv core, vm.c: I/O range claims and dispatch, guest-physical address
 * translation, device registration and stop requests, on a struct vm
 * built by hand (no KVM).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include "unit.h"
#include "hv/core.h"

static struct vm *vm_new(uint64_t low, uint64_t high)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	pthread_mutex_init(&vm->dev_lock, NULL);
	vm->kvm_fd = vm->vm_fd = vm->mem_fd = -1;
	vm->stop_reason = VM_STOP_NONE;
	vm->mem[0] = (struct vm_mem_region){ 0, low, 0, malloc(low) };
	vm->nr_mem = 1;
	if (high) {
		vm->mem[1] = (struct vm_mem_region){ MEM_HIGH_BASE, high, low,
						     malloc(high) };
		vm->nr_mem = 2;
	}
	return vm;
}

static void vm_free(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_mem; i++)
		free(vm->mem[i].hva);
	free(vm->pio);
	free(vm->mmio);
	free(vm);
}

/* A recording device: remembers the last access. */
struct rec {
	uint64_t off, val;
	unsigned int size, reads, writes;
	uint64_t reply;
};

static uint64_t rec_read(void *opaque, uint64_t off, unsigned int size)
{
	struct rec *r = opaque;

	r->off = off;
	r->size = size;
	r->reads++;
	return r->reply;
}

static void rec_write(void *opaque, uint64_t off, unsigned int size,
		      uint64_t val)
{
	struct rec *r = opaque;

	r->off = off;
	r->size = size;
	r->val = val;
	r->writes++;
}

static const struct io_ops rec_ops = { rec_read, rec_write };

static void test_overlap_refused(void)
{
	struct vm *vm = vm_new(4096, 0);
	struct rec a = {0}, b = {0};

	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0x3f8, 8, &rec_ops, &a, "a"), 0);
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0x3f8, 8, &rec_ops, &b, "b"), -EBUSY);
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0x3f0, 9, &rec_ops, &b, "b"), -EBUSY);
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0x3ff, 1, &rec_ops, &b, "b"), -EBUSY);
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0x3f9, 2, &rec_ops, &b, "b"), -EBUSY);
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0x3e0, 0x40, &rec_ops, &b, "b"), -EBUSY);
	/* Adjacent on both sides is fine, and so is the same range in MMIO. */
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0x3f0, 8, &rec_ops, &b, "b"), 0);
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0x400, 4, &rec_ops, &b, "c"), 0);
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_MMIO, 0x3f8, 8, &rec_ops, &b, "m"), 0);
	/* Empty, wrapping and beyond-64K port ranges are invalid. */
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0x500, 0, &rec_ops, &b, "z"), -EINVAL);
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_MMIO, ~0ULL - 1, 4, &rec_ops, &b, "w"), -EINVAL);
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0xfffe, 4, &rec_ops, &b, "p"), -EINVAL);
	CU_ASSERT_EQUAL(vm->nr_pio, 3);
	CU_ASSERT_EQUAL(vm->nr_mmio, 1);
	vm_free(vm);
}

static void test_dispatch_offset(void)
{
	struct vm *vm = vm_new(4096, 0);
	struct rec lo = { .reply = 0x11 }, hi = { .reply = 0xaabbccdd };
	uint64_t v;

	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_MMIO, 0xd0000000, 0x1000, &rec_ops, &hi, "hi"), 0);
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_MMIO, 0xc0000000, 0x1000, &rec_ops, &lo, "lo"), 0);

	v = 0x1234;
	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_MMIO, 0xd0000010, 2, true, &v), 0);
	CU_ASSERT_EQUAL(hi.writes, 1);
	CU_ASSERT_EQUAL(hi.off, 0x10);
	CU_ASSERT_EQUAL(hi.size, 2);
	CU_ASSERT_EQUAL(hi.val, 0x1234);
	CU_ASSERT_EQUAL(lo.writes, 0);

	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_MMIO, 0xc0000ffc, 4, false, &v), 0);
	CU_ASSERT_EQUAL(lo.reads, 1);
	CU_ASSERT_EQUAL(lo.off, 0xffc);
	CU_ASSERT_EQUAL(v, 0x11);

	/* A 1-byte read returns only the low byte of what the device gave. */
	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_MMIO, 0xd0000000, 1, false, &v), 0);
	CU_ASSERT_EQUAL(v, 0xdd);
	/* Written values are truncated to the access size. */
	v = 0xffff1234;
	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_MMIO, 0xd0000000, 1, true, &v), 0);
	CU_ASSERT_EQUAL(hi.val, 0x34);
	vm_free(vm);
}

static void test_unclaimed(void)
{
	struct vm *vm = vm_new(4096, 0);
	struct rec d = { .reply = 0 };
	uint64_t v = 0;

	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0x60, 1, &rec_ops, &d, "kbd"), 0);
	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_PIO, 0x61, 1, false, &v), -ENOENT);
	CU_ASSERT_EQUAL(v, 0xff);
	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_PIO, 0x80, 2, false, &v), -ENOENT);
	CU_ASSERT_EQUAL(v, 0xffff);
	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_MMIO, 0x1000, 8, false, &v), -ENOENT);
	CU_ASSERT_EQUAL(v, ~0ULL);
	v = 1;
	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_PIO, 0x80, 1, true, &v), -ENOENT);
	/* An access running past the end of a range is not the device's. */
	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_PIO, 0x60, 2, false, &v), -ENOENT);
	CU_ASSERT_EQUAL(d.reads + d.writes, 0);
	vm_free(vm);
}

static void test_unregister(void)
{
	struct vm *vm = vm_new(4096, 0);
	struct rec a = { .reply = 1 }, b = { .reply = 2 };
	uint64_t v;

	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_MMIO, 0xc0001000, 0x100, &rec_ops, &a, "bar"), 0);
	CU_ASSERT_EQUAL(io_unregister(vm, IO_SPACE_MMIO, 0xc0001004), -ENOENT);
	CU_ASSERT_EQUAL(io_unregister(vm, IO_SPACE_PIO, 0xc0001000), -ENOENT);
	CU_ASSERT_EQUAL(io_unregister(vm, IO_SPACE_MMIO, 0xc0001000), 0);
	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_MMIO, 0xc0001000, 4, false, &v), -ENOENT);
	/* The BAR moved: the new place works, the old one is free again. */
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_MMIO, 0xc0002000, 0x100, &rec_ops, &a, "bar"), 0);
	CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_MMIO, 0xc0001000, 0x100, &rec_ops, &b, "other"), 0);
	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_MMIO, 0xc0002008, 4, false, &v), 0);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(a.off, 8);
	CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_MMIO, 0xc0001000, 4, false, &v), 0);
	CU_ASSERT_EQUAL(v, 2);
	vm_free(vm);
}

static void test_many_ranges_sorted(void)
{
	struct vm *vm = vm_new(4096, 0);
	struct rec r[64];
	uint64_t v;

	memset(r, 0, sizeof(r));
	/* Register in a scrambled order; every one must be found. */
	for (unsigned int i = 0; i < 64; i++) {
		unsigned int k = (i * 37) % 64;

		r[k].reply = k;
		CU_ASSERT_EQUAL(io_register(vm, IO_SPACE_PIO, 0x1000 + k * 16,
					    16, &rec_ops, &r[k], "r"), 0);
	}
	for (unsigned int k = 0; k < 64; k++) {
		CU_ASSERT_EQUAL(io_dispatch(vm, IO_SPACE_PIO, 0x1000 + k * 16 + 15,
					    1, false, &v), 0);
		CU_ASSERT_EQUAL(v, k);
		CU_ASSERT_EQUAL(r[k].off, 15);
	}
	vm_free(vm);
}

static void test_gpa(void)
{
	struct vm *vm = vm_new(0x10000, 0x2000);
	uint8_t *lo = vm->mem[0].hva, *hi = vm->mem[1].hva;

	CU_ASSERT_PTR_EQUAL(vm_gpa(vm, 0, 0x10000), lo);
	CU_ASSERT_PTR_EQUAL(vm_gpa(vm, 0xfff0, 0x10), lo + 0xfff0);
	CU_ASSERT_PTR_NULL(vm_gpa(vm, 0xfff0, 0x11));	/* past low RAM */
	CU_ASSERT_PTR_NULL(vm_gpa(vm, 0x10000, 1));	/* hole */
	CU_ASSERT_PTR_EQUAL(vm_gpa(vm, MEM_HIGH_BASE + 0x100, 0x100), hi + 0x100);
	CU_ASSERT_PTR_EQUAL(vm_gpa(vm, MEM_HIGH_BASE + 0x1fff, 1), hi + 0x1fff);
	CU_ASSERT_PTR_NULL(vm_gpa(vm, MEM_HIGH_BASE + 0x1fff, 2));
	CU_ASSERT_PTR_NULL(vm_gpa(vm, MEM_HIGH_BASE - 1, 2));	/* straddles */
	CU_ASSERT_PTR_NULL(vm_gpa(vm, MEM_HIGH_BASE + 0x2000, 1));
	/* Lengths that wrap the address space must not pass. */
	CU_ASSERT_PTR_NULL(vm_gpa(vm, 0x100, ~0ULL));
	CU_ASSERT_PTR_NULL(vm_gpa(vm, 0x100, ~0ULL - 0xff));
	CU_ASSERT_PTR_NULL(vm_gpa(vm, ~0ULL, 2));
	CU_ASSERT_PTR_NULL(vm_gpa(vm, 0xfff0, 1ULL << 63));
	vm_free(vm);
}

static const struct hv_device_ops dummy_dev = { .name = "dummy" };

static void test_register_device(void)
{
	struct vm *vm = vm_new(4096, 0);
	unsigned int n = ARRAY_SIZE(vm->devs);

	for (unsigned int i = 0; i < n; i++)
		CU_ASSERT_EQUAL(vm_register_device(vm, &dummy_dev, NULL), 0);
	CU_ASSERT_EQUAL(vm_register_device(vm, &dummy_dev, NULL), -ENOSPC);
	CU_ASSERT_EQUAL(vm->nr_devs, n);
	vm_free(vm);
}

static void test_stop_first_wins(void)
{
	struct vm *vm = vm_new(4096, 0);

	vm_request_stop(vm, VM_STOP_CRASH, "guest reported panic");
	vm_request_stop(vm, VM_STOP_POWEROFF, "ACPI S5");
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_CRASH);
	CU_ASSERT_STRING_EQUAL(vm->stop_why, "guest reported panic");
	vm_free(vm);
}

static void test_no_kvm(void)
{
	struct vm *vm = vm_new(4096, 0);

	CU_ASSERT_EQUAL(vm_irq_line(vm, 4, 1), -ENODEV);
	CU_ASSERT_EQUAL(vm_irq_line(vm, 24, 1), -EINVAL);
	CU_ASSERT_EQUAL(vm_msi_irqfd_bind(vm, 3, 0xfee00000, 0x30), -ENODEV);
	CU_ASSERT_EQUAL(vm_ioeventfd(vm, IO_SPACE_PIO, 0x10, 3, 3, true), -EINVAL);
	vm_free(vm);
}

/* The event loop: a watched fd's callback runs with dev_lock held, an
 * unwatched fd is no longer dispatched, a stop request ends the loop. */
struct watch_probe {
	struct vm *vm;
	int efd;
	int calls;
	int lock_held;
};

static void watch_cb(void *opaque)
{
	struct watch_probe *p = opaque;
	uint64_t v;

	p->calls++;
	if (pthread_mutex_trylock(&p->vm->dev_lock) == EBUSY)
		p->lock_held++;
	else
		pthread_mutex_unlock(&p->vm->dev_lock);
	if (read(p->efd, &v, sizeof(v)) != sizeof(v))
		return;
	vm_request_stop(p->vm, VM_STOP_REBOOT, "test");
}

static void test_event_loop(void)
{
	struct vm *vm = vm_new(4096, 0);
	struct watch_probe p = { vm, eventfd(0, EFD_NONBLOCK), 0, 0 };
	uint64_t one = 1;

	CU_ASSERT_EQUAL_FATAL(vm_core_init(vm), 0);
	CU_ASSERT_EQUAL(vm_watch_fd(vm, p.efd, watch_cb, &p), 0);
	CU_ASSERT_EQUAL(vm_watch_fd(vm, p.efd, watch_cb, &p), -EEXIST);
	CU_ASSERT_EQUAL(write(p.efd, &one, sizeof(one)), sizeof(one));
	CU_ASSERT_EQUAL(vm_loop_run(vm), 0);
	CU_ASSERT_EQUAL(p.calls, 1);
	CU_ASSERT_EQUAL(p.lock_held, 1);
	CU_ASSERT_EQUAL(vm->stop_reason, VM_STOP_REBOOT);
	vm_unwatch_fd(vm, p.efd);
	close(p.efd);
	vm_core_fini(vm);
	vm_free(vm);
}

/* Console output (console.c) is buffered: byte-by-byte UART output
 * reaches the file a line at a time, a partial line shortly after (the
 * event loop's flush timer), and the rest when the console closes. */
static size_t file_text(const char *path, char *buf, size_t max)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, max - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (size_t)n : 0;
}

static void put_bytes(struct vm *vm, const char *s)
{
	for (; *s; s++)
		vm_console_write(vm, s, 1);
}

static void stop_cb(void *opaque)
{
	vm_request_stop(opaque, VM_STOP_POWEROFF, "test over");
}

static void test_console_buffer(void)
{
	char path[] = "/tmp/xvm-console-XXXXXX", spec[64], got[2048];
	struct itimerspec its = { .it_value = { 0, 300000000L } };
	struct vm *vm = vm_new(4096, 0);
	char big[1000];
	int fd = mkstemp(path), tfd = timerfd_create(CLOCK_MONOTONIC,
						     TFD_NONBLOCK);

	CU_ASSERT_FATAL(fd >= 0 && tfd >= 0);
	close(fd);
	snprintf(spec, sizeof(spec), "file:%s", path);
	CU_ASSERT_EQUAL_FATAL(vm_core_init(vm), 0);
	CU_ASSERT_EQUAL_FATAL(console_open(vm, spec), 0);
	put_bytes(vm, "guest: ready");
	CU_ASSERT_EQUAL(file_text(path, got, sizeof(got)), 0);
	put_bytes(vm, "\nlogin: ");
	file_text(path, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "guest: ready\n");
	/* The partial line is written by the loop within CONSOLE_FLUSH_MS,
	 * well before this timer ends the loop. */
	CU_ASSERT_EQUAL(vm_watch_fd(vm, tfd, stop_cb, vm), 0);
	CU_ASSERT_EQUAL(timerfd_settime(tfd, 0, &its, NULL), 0);
	CU_ASSERT_EQUAL(vm_loop_run(vm), 0);
	file_text(path, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "guest: ready\nlogin: ");
	/* A write larger than the buffer goes out at once, in order. */
	put_bytes(vm, "x");
	memset(big, 'y', sizeof(big));
	vm_console_write(vm, big, sizeof(big));
	CU_ASSERT_EQUAL(file_text(path, got, sizeof(got)),
			strlen("guest: ready\nlogin: x") + sizeof(big));
	put_bytes(vm, "bye");
	console_close(vm);
	CU_ASSERT_EQUAL(file_text(path, got, sizeof(got)),
			strlen("guest: ready\nlogin: xbye") + sizeof(big));
	CU_ASSERT_STRING_EQUAL(got + strlen(got) - 3, "bye");
	vm_unwatch_fd(vm, tfd);
	close(tfd);
	unlink(path);
	vm_core_fini(vm);
	vm_free(vm);
}

/* Against the real KVM (skipped without /dev/kvm): MSI routes get GSIs
 * from 24 up and KVM accepts the whole table (legacy routes included),
 * updates and unbinds work, ioeventfds assign and deassign. */
static void test_kvm_msi_routes(void)
{
	struct vm *vm;
	int e1 = eventfd(0, EFD_NONBLOCK), e2 = eventfd(0, EFD_NONBLOCK);
	int g1, g2;

	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		close(e1);
		close(e2);
		return;
	}
	vm = vm_new(4096, 0);
	g1 = vm_kvm_open(vm);
	if (unit_kvm_skip(g1, "kvm_msi_routes")) {
		if (vm->kvm_fd >= 0)
			close(vm->kvm_fd);
		vm_free(vm);
		close(e1);
		close(e2);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(g1, 0);
	CU_ASSERT_EQUAL_FATAL(vm_kvm_setup(vm), 0);
	CU_ASSERT_EQUAL_FATAL(vm_core_init(vm), 0);
	g1 = vm_msi_irqfd_bind(vm, e1, 0xfee00000, 0x41);
	g2 = vm_msi_irqfd_bind(vm, e2, 0xfee00000, 0x42);
	CU_ASSERT_EQUAL(g1, 24);
	CU_ASSERT_EQUAL(g2, 25);
	CU_ASSERT_EQUAL(vm_msi_irqfd_update(vm, g1, 0xfee01000, 0x51), 0);
	CU_ASSERT_EQUAL(vm_msi_irqfd_update(vm, 99, 0xfee01000, 0x51), -ENOENT);
	CU_ASSERT_EQUAL(vm_msi_irqfd_unbind(vm, g1, e1), 0);
	CU_ASSERT_EQUAL(vm_msi_irqfd_unbind(vm, g1, e1), -ENOENT);
	/* The freed GSI is reused. */
	CU_ASSERT_EQUAL(vm_msi_irqfd_bind(vm, e1, 0xfee00000, 0x43), 24);
	CU_ASSERT_EQUAL(vm_irq_line(vm, 4, 1), 0);
	CU_ASSERT_EQUAL(vm_irq_line(vm, 4, 0), 0);
	CU_ASSERT_EQUAL(vm_ioeventfd(vm, IO_SPACE_MMIO, 0xc0000000, 4, e2, true), 0);
	CU_ASSERT_EQUAL(vm_ioeventfd(vm, IO_SPACE_MMIO, 0xc0000000, 4, e2, false), 0);
	CU_ASSERT_EQUAL(vm_ioeventfd(vm, IO_SPACE_PIO, 0x6000, 2, e2, true), 0);
	free(vm->mem[0].hva);	/* not hv's mapping: vm_destroy must not unmap it */
	vm->nr_mem = 0;
	vm_destroy(vm);
	CU_ASSERT_EQUAL(vm->vm_fd, -1);
	CU_ASSERT_PTR_NULL(vm->core);
	close(e1);
	close(e2);
	free(vm);
}

/* vm_mem_want_huge on a memfd mapped at a 2 MiB boundary, 9 MiB: a
 * piece with data becomes one huge page (its bytes kept) where the
 * kernel has MADV_COLLAPSE; an empty piece is given up after 4 tries; the
 * partial last piece and addresses outside RAM are left alone. */
static void test_want_huge(void)
{
	const uint64_t h = 2ULL << 20, size = 9ULL << 20;
	struct vm *vm = calloc(1, sizeof(*vm));
	uint8_t *resv, *p;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
	fd = memfd_create("test-ram", MFD_CLOEXEC);
	CU_ASSERT_FATAL(fd >= 0 && ftruncate(fd, (off_t)size) == 0);
	resv = mmap(NULL, size + h, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	CU_ASSERT_FATAL(resv != MAP_FAILED);
	p = (uint8_t *)(((uintptr_t)resv + h - 1) & ~(uintptr_t)(h - 1));
	CU_ASSERT_FATAL(mmap(p, size, PROT_READ | PROT_WRITE, MAP_SHARED |
			     MAP_FIXED, fd, 0) == p);
	vm->mem[0] = (struct vm_mem_region){ 0, size, 0, p };
	vm->nr_mem = 1;
	vm->mem_size = size;
	vm->huge = calloc(size / h + 1, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vm->huge);
	p[h + 4096] = 0x5a;
	vm_mem_want_huge(vm, p + h + 100, 4096);
	if (vm->huge[1] == 0xff)
		CU_ASSERT_EQUAL(p[h + 4096], 0x5a)
	else
		CU_ASSERT_EQUAL(vm->huge[1], 1);	/* a kernel before 6.1 */
	for (int i = 0; i < 6; i++)
		vm_mem_want_huge(vm, p + 2 * h, 1);
	CU_ASSERT_EQUAL(vm->huge[2], 4);
	vm_mem_want_huge(vm, p + 4 * h + 10, 512);	/* 8-9 MiB: partial */
	CU_ASSERT_EQUAL(vm->huge[4], 0);
	vm_mem_want_huge(vm, p + size, 4096);		/* past RAM */
	vm_mem_want_huge(vm, p - 4096, 4096);		/* before RAM */
	CU_ASSERT_EQUAL(vm->huge[0], 0);
	CU_ASSERT_EQUAL(vm->huge[3], 0);
	/* a range over two pieces asks both */
	vm_mem_want_huge(vm, p + h - 512, 1024);
	CU_ASSERT_EQUAL(vm->huge[0], 1);
	CU_ASSERT(vm->huge[1] == 0xff || vm->huge[1] == 2);
	munmap(resv, size + h);
	close(fd);
	free(vm->huge);
	free(vm);
}

static CU_TestInfo tests[] = {
	{ "overlap_refused", test_overlap_refused },
	{ "want_huge", test_want_huge },
	{ "dispatch_offset", test_dispatch_offset },
	{ "unclaimed", test_unclaimed },
	{ "unregister", test_unregister },
	{ "many_ranges_sorted", test_many_ranges_sorted },
	{ "gpa", test_gpa },
	{ "register_device", test_register_device },
	{ "stop_first_wins", test_stop_first_wins },
	{ "no_kvm", test_no_kvm },
	{ "event_loop", test_event_loop },
	{ "console_buffer", test_console_buffer },
	{ "kvm_msi_routes", test_kvm_msi_routes },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(vm, NULL, NULL, tests);
