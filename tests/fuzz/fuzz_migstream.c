/*
 * hv's VM state stream reader (hv/migrate.c, the format of save images
 * and live migration, docs/migration.md): mig_check() validates the input
 * against a 2 MiB, 1-vCPU VM with its devices (no KVM behind it, as the
 * unit tests make); an input it accepts is then applied with mig_load()
 * to a fresh VM of the same shape (the KVM steps fail without KVM, after
 * RAM and before any device is touched, which is hv's order too).
 */
#include "fuzz.h"
#include "xvm/log.h"
#include "hv/migrate.h"

#define MEM	(2u << 20)

static struct vm *mkvm(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		abort();
	vm->vm_fd = vm->kvm_fd = vm->mem_fd = -1;
	vm->stop_reason = VM_STOP_NONE;
	vm->cfg.vcpus = 1;
	pthread_mutex_init(&vm->dev_lock, NULL);
	vm->mem[0].size = MEM;
	vm->mem[0].hva = calloc(1, MEM);
	if (!vm->mem[0].hva)
		abort();
	vm->nr_mem = 1;
	vm->mem_size = MEM;
	if (devices_create(vm) < 0)
		abort();
	return vm;
}

static void rmvm(struct vm *vm)
{
	devices_destroy(vm);
	free(vm->pio);
	free(vm->mmio);
	free(vm->mem[0].hva);
	pthread_mutex_destroy(&vm->dev_lock);
	free(vm);
}

static struct vm *checker;

static void checker_free(void)
{
	rmvm(checker);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_log_init();
	checker = mkvm();
	atexit(checker_free);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[256];
	struct vm *vm;

	if (size > (4u << 20))
		return 0;
	if (mig_check(checker, data, size, msg, sizeof(msg)) < 0)
		return 0;
	vm = mkvm();
	(void)mig_load(vm, data, size, msg, sizeof(msg));
	rmvm(vm);
	return 0;
}
