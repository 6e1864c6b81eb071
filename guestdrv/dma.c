/*
 * dma.c: memory for device rings and buffers. A bump allocator over a
 * static pool in .noinit; the kernel is identity-mapped, so a pointer is
 * the guest-physical address a device needs. Nothing is ever freed: drivers
 * allocate once at setup.
 */
#include "minios.h"

#define DMA_POOL_SIZE	(4UL << 20)	/* 2 MiB of it: virtio-blk request slots */

static uint8_t dma_pool[DMA_POOL_SIZE] __attribute__((aligned(4096), section(".noinit")));
static size_t dma_used;

void *dma_alloc(size_t size, size_t align)
{
	size_t start;

	if (!align || (align & (align - 1)) || align > PAGE_SIZE)
		return NULL;
	start = ALIGN_UP(dma_used, align);
	if (start > DMA_POOL_SIZE || size > DMA_POOL_SIZE - start)
		return NULL;
	dma_used = start + size;
	memset(dma_pool + start, 0, size);
	return dma_pool + start;
}
