/*
 * hv's split virtqueues, device side (hv/virtqueue.c): a 64 KiB guest
 * memory (a struct vm with no KVM behind it, as the device unit tests
 * make), the queue's size and features from the first two input bytes,
 * and the rest of the input laid into guest memory from 0x1000 on: the
 * descriptor table (0x1000), the avail ring (0x2000), the used ring
 * (0x3000) and whatever the descriptors point at, indirect tables
 * included. The device then does what virtio_net/blk/console do: takes
 * every available chain, reads its readable part, writes its writable
 * part, returns it and asks whether to notify, until the ring is empty
 * or the driver broke the rules (-EINVAL: never an access outside guest
 * memory, which ASan would see).
 */
#include "fuzz.h"
#include "xvm/log.h"
#include "hv/virtqueue.h"

#define MEM	(64u << 10)
#define DESC	0x1000
#define AVAIL	0x2000
#define USED	0x3000

static struct vm *vm;
static uint8_t scratch[1u << 17];

static void vm_free(void)
{
	free(vm->mem[0].hva);
	pthread_mutex_destroy(&vm->dev_lock);
	free(vm);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_log_init();
	vm = calloc(1, sizeof(*vm));
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
	atexit(vm_free);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *mem = vm->mem[0].hva;
	struct vq_chain c;
	struct vq q;
	uint16_t qsize;
	bool evidx, indirect;
	int i, rc;

	if (size < 2)
		return 0;
	qsize = (uint16_t)(1u << (data[0] % 9));	/* 1..256 */
	evidx = data[1] & 1;
	indirect = data[1] & 2;
	data += 2;
	size -= 2;
	memset(mem, 0, MEM);
	memcpy(mem + DESC, data, size < MEM - DESC ? size : MEM - DESC);
	memset(&q, 0, sizeof(q));
	if (vq_enable(&q, vm, qsize, DESC, AVAIL, USED, evidx, indirect) < 0)
		abort();	/* our layout is valid */
	pthread_mutex_lock(&vm->dev_lock);
	for (i = 0; i < 4 * qsize + 4; i++) {
		size_t n;

		rc = vq_pop(&q, &c);
		if (rc <= 0)
			break;
		n = vq_chain_read(&c, 0, scratch, sizeof(scratch));
		if (n != (c.rlen < sizeof(scratch) ? c.rlen : sizeof(scratch)))
			abort();
		n = vq_chain_write(&c, 0, scratch,
				   c.wlen < sizeof(scratch) ? c.wlen : sizeof(scratch));
		if (vq_push(&q, c.head, (uint32_t)n) < 0)
			break;
		(void)vq_should_notify(&q);
		/* a partial read/write at an offset, as virtio-net's header
		 * split does */
		(void)vq_chain_read(&c, 10, scratch, 7);
	}
	pthread_mutex_unlock(&vm->dev_lock);
	return 0;
}
