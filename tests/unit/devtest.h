/*
 * Helpers shared by the device-model suites (test_ns16550.c, test_acpi.c,
 * test_pci.c, test_virtqueue.c, test_virtio_console.c, test_snapshot.c):
 * a hand-built struct vm with no KVM behind it (vm_fd -1, one malloc'd RAM
 * region at GPA 0), port/MMIO accesses through io_dispatch, and the
 * save/load round trip every device must pass.
 */
#ifndef XVM_DEVTEST_H
#define XVM_DEVTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "unit.h"
#include "xvm/log.h"
#include "hv/dev.h"

static inline struct vm *devtest_vm(size_t mem, unsigned int vcpus)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->vm_fd = vm->kvm_fd = vm->mem_fd = -1;
	vm->stop_reason = VM_STOP_NONE;
	vm->cfg.vcpus = vcpus;
	pthread_mutex_init(&vm->dev_lock, NULL);
	if (mem) {
		vm->mem[0].size = mem;
		vm->mem[0].hva = calloc(1, mem);
		vm->nr_mem = 1;
		vm->mem_size = mem;
	}
	return vm;
}

static inline void devtest_vm_free(struct vm *vm)
{
	if (!vm)
		return;
	free(vm->pio);
	free(vm->mmio);
	free(vm->mem[0].hva);
	pthread_mutex_destroy(&vm->dev_lock);
	free(vm);
}

static inline uint64_t devtest_in(struct vm *vm, enum io_space sp,
				  uint64_t addr, unsigned int size)
{
	uint64_t v = 0;

	io_dispatch(vm, sp, addr, size, false, &v);
	return v;
}

static inline void devtest_out(struct vm *vm, enum io_space sp, uint64_t addr,
			       unsigned int size, uint64_t v)
{
	io_dispatch(vm, sp, addr, size, true, &v);
}

#define pio_in(vm, a, s)	devtest_in(vm, IO_SPACE_PIO, a, s)
#define pio_out(vm, a, s, v)	devtest_out(vm, IO_SPACE_PIO, a, s, v)
#define mmio_in(vm, a, s)	devtest_in(vm, IO_SPACE_MMIO, a, s)
#define mmio_out(vm, a, s, v)	devtest_out(vm, IO_SPACE_MMIO, a, s, v)

/* Save `a`, load into the fresh `b`, save `b`: identical bytes. Then every
 * truncation and every single-byte corruption of the stream is refused
 * with -EINVAL and leaves `b` as it was. */
static inline void devtest_roundtrip(const struct hv_device_ops *ops,
				     void *a, void *b)
{
	struct snap_writer w1, w2, w3;
	struct snap_reader r;
	enum log_level saved = log_get_level();
	uint8_t *bad;

	snap_writer_init(&w1, 0);
	snap_writer_init(&w2, 0);
	CU_ASSERT_EQUAL_FATAL(ops->save(a, &w1), 0);
	CU_ASSERT_FATAL(w1.len > 0);
	snap_reader_init(&r, w1.buf, w1.len);
	CU_ASSERT_EQUAL_FATAL(ops->load(b, &r), 0);
	CU_ASSERT_EQUAL(snap_remaining(&r), 0);
	CU_ASSERT_EQUAL_FATAL(ops->save(b, &w2), 0);
	CU_ASSERT_EQUAL_FATAL(w2.len, w1.len);
	CU_ASSERT(memcmp(w1.buf, w2.buf, w1.len) == 0);

	log_set_level(LL_ERR);		/* every refusal logs a warning */
	for (size_t n = 0; n < w1.len; n++) {
		snap_reader_init(&r, w1.buf, n);
		CU_ASSERT_EQUAL(ops->load(b, &r), -EINVAL);
	}
	bad = malloc(w1.len);
	CU_ASSERT_FATAL(bad != NULL);
	for (size_t i = 0; i < w1.len; i++) {
		memcpy(bad, w1.buf, w1.len);
		bad[i] ^= 0x5a;
		snap_reader_init(&r, bad, w1.len);
		CU_ASSERT_EQUAL(ops->load(b, &r), -EINVAL);
	}
	free(bad);
	log_set_level(saved);
	snap_writer_init(&w3, 0);
	CU_ASSERT_EQUAL(ops->save(b, &w3), 0);
	CU_ASSERT(w3.len == w1.len && memcmp(w3.buf, w1.buf, w1.len) == 0);
	snap_writer_free(&w1);
	snap_writer_free(&w2);
	snap_writer_free(&w3);
}

/* Lines hv logs (to stderr, at LL_WARN) while fn(arg) runs. */
static inline unsigned int devtest_log_lines(void (*fn)(void *), void *arg)
{
	enum log_level saved = log_get_level();
	FILE *tmp = tmpfile();
	unsigned int lines = 0;
	int fd2 = dup(STDERR_FILENO), c;

	if (!tmp || fd2 < 0) {
		CU_FAIL("devtest_log_lines: no temporary file");
		return ~0u;
	}
	fflush(stderr);
	dup2(fileno(tmp), STDERR_FILENO);
	log_set_level(LL_WARN);
	fn(arg);
	log_set_level(saved);
	fflush(stderr);
	dup2(fd2, STDERR_FILENO);
	close(fd2);
	rewind(tmp);
	while ((c = fgetc(tmp)) != EOF)
		lines += c == '\n';
	fclose(tmp);
	return lines;
}

/* Captured console output. */
struct devtest_out {
	char buf[4096];
	size_t len;
};

static inline void devtest_capture(void *opaque, const void *p, size_t n)
{
	struct devtest_out *o = opaque;

	n = MIN(n, sizeof(o->buf) - 1 - o->len);
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

#endif
