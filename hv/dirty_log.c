/*
 * hv's dirty log of guest memory (issue 9): while a live migration runs,
 * every guest page written behind the vCPUs' back is marked here, so the
 * next round sends it again. KVM's dirty log (KVM_GET_DIRTY_LOG) sees only
 * the guest's own writes; the writers marking this log are hv's devices
 * (used rings and avail_event, buffers they fill, disk reads landing
 * through io_uring, console input) and vhost-user backends, which get the
 * same memory with SET_LOG_BASE (vhost-user.rst "Migration", protocol
 * feature LOG_SHMFD) and set its bits from their own process.
 *
 * Layout: the backends' one: bit p%8 of byte p/8 is the page at
 * guest-physical p * 4096, from gpa 0 to the end of the highest RAM
 * region; a memfd, so a backend can map it. Writers set bits with atomic
 * ORs after their write; the migration takes them with an atomic
 * exchange per 64-bit word before copying the pages, so a write is
 * either in the copy or marked for the next round.
 */
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include "xvm/log.h"
#include "vm.h"

#define DIRTY_PAGE		4096u
#define DIRTY_ALIGN		(64ull * DIRTY_PAGE)	/* one bitmap word */

/* Pages the log must cover; 0 if a region is not word-aligned. */
static uint64_t dirty_pages(const struct vm *vm)
{
	uint64_t end = 0;

	for (unsigned int i = 0; i < vm->nr_mem; i++) {
		const struct vm_mem_region *r = &vm->mem[i];

		if (r->gpa % DIRTY_ALIGN || r->size % DIRTY_ALIGN)
			return 0;
		end = MAX(end, r->gpa + r->size);
	}
	return end / DIRTY_PAGE;
}

int vm_dirty_start(struct vm *vm)
{
	uint64_t pages = dirty_pages(vm);
	struct vm_dirty *d;
	int rc;

	if (vm->dirty)
		return -EALREADY;
	if (!pages)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->pages = pages;
	d->size = (pages / 8 + 4095) & ~4095ull;
	d->fd = memfd_create("xvm-dirty-log", MFD_CLOEXEC);
	if (d->fd < 0 || ftruncate(d->fd, (off_t)d->size) < 0)
		goto fail;
	d->bm = mmap(NULL, d->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		     d->fd, 0);
	if (d->bm == MAP_FAILED)
		goto fail;
	__atomic_store_n(&vm->dirty, d, __ATOMIC_RELEASE);
	return 0;
fail:
	rc = -errno;
	if (d->fd >= 0)
		close(d->fd);
	free(d);
	return rc;
}

void vm_dirty_stop(struct vm *vm)
{
	struct vm_dirty *d = vm->dirty;

	if (!d)
		return;
	__atomic_store_n(&vm->dirty, NULL, __ATOMIC_RELEASE);
	munmap(d->bm, d->size);
	close(d->fd);	/* a backend's mapping keeps the memory */
	free(d);
}

void vm_dirty_mark_range(struct vm *vm, uint64_t gpa, uint64_t len)
{
	struct vm_dirty *d = __atomic_load_n(&vm->dirty, __ATOMIC_ACQUIRE);
	uint64_t p, last;

	if (!d || !len || gpa + len < gpa)
		return;
	last = MIN((gpa + len - 1) / DIRTY_PAGE, d->pages - 1);
	for (p = gpa / DIRTY_PAGE; p <= last; p++)
		__atomic_fetch_or(&d->bm[p / 64], 1ull << (p % 64),
				  __ATOMIC_RELEASE);
}

void vm_dirty_mark_hva(struct vm *vm, const void *hva, uint64_t len)
{
	const uint8_t *h = hva;

	if (!__atomic_load_n(&vm->dirty, __ATOMIC_RELAXED))
		return;
	for (unsigned int i = 0; i < vm->nr_mem; i++) {
		const struct vm_mem_region *r = &vm->mem[i];

		if (h >= r->hva && h < r->hva + r->size) {
			vm_dirty_mark_range(vm, r->gpa + (uint64_t)(h - r->hva),
					    len);
			return;
		}
	}
}

uint64_t vm_dirty_take(struct vm *vm, unsigned int slot, uint64_t *bm)
{
	struct vm_dirty *d = vm->dirty;
	const struct vm_mem_region *r;
	uint64_t first, words, n = 0;

	if (!d || slot >= vm->nr_mem)
		return 0;
	r = &vm->mem[slot];
	first = r->gpa / DIRTY_ALIGN;
	words = r->size / DIRTY_ALIGN;
	for (uint64_t i = 0; i < words; i++) {
		uint64_t v;

		/* a plain load first: most words are clear, and a locked
		 * exchange of every one would bounce the backend's lines */
		if (!__atomic_load_n(&d->bm[first + i], __ATOMIC_RELAXED))
			continue;
		v = __atomic_exchange_n(&d->bm[first + i], 0, __ATOMIC_ACQUIRE);
		n += (uint64_t)__builtin_popcountll(v & ~bm[i]);
		bm[i] |= v;
	}
	return n;
}
