/*
 * virtqueue.c: split virtqueues, driver side (virtio 1.2 §2.7). Chains are
 * queued into the avail ring without touching avail->idx; virtq_kick()
 * publishes them all at once and notifies only when the device needs it
 * (§2.7.10: event index with VIRTIO_F_EVENT_IDX, else the used ring's
 * NO_NOTIFY flag). Completions are polled from the used ring; we never
 * want interrupts, so avail->flags says NO_INTERRUPT.
 */
#include "virtio.h"

static uint16_t *avail_used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

static volatile uint16_t *used_avail_event(struct virtq *vq)
{
	return (volatile uint16_t *)&vq->used->ring[vq->size];
}

int virtq_init(struct virtq *vq, uint16_t index, uint16_t size, bool event_idx)
{
	if (!size || size > VIRTQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	memset(vq, 0, sizeof(*vq));
	vq->index = index;
	vq->size = size;
	vq->event_idx = event_idx;
	vq->desc = dma_alloc(sizeof(struct virtq_desc) * size, 16);
	vq->avail = dma_alloc(6 + 2 * (size_t)size, 2);
	vq->used = dma_alloc(6 + 8 * (size_t)size, 4);
	if (!vq->desc || !vq->avail || !vq->used)
		return -ENOMEM;
	for (uint16_t i = 0; i < size; i++)
		vq->next[i] = (uint16_t)((i + 1) & (size - 1));
	vq->num_free = size;
	vq->avail->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	/* With event index, interrupts are suppressed by used_event instead:
	 * keep it half a ring-space behind so it is never crossed soon. */
	*avail_used_event(vq) = 0x8000;
	return 0;
}

int virtq_add(struct virtq *vq, const struct virtq_buf *out, unsigned int n_out,
	      const struct virtq_buf *in, unsigned int n_in, void *cookie)
{
	unsigned int n = n_out + n_in;
	uint16_t head = vq->free_head, i = head, last = head;

	if (!n || !cookie)
		return -EINVAL;
	if (n > vq->num_free)
		return -ENOSPC;
	for (unsigned int k = 0; k < n; k++) {
		const struct virtq_buf *b = k < n_out ? &out[k] : &in[k - n_out];
		struct virtq_desc *d = &vq->desc[i];

		d->addr = (uint64_t)(uintptr_t)b->addr;
		d->len = b->len;
		d->flags = (uint16_t)((k < n_out ? 0 : VIRTQ_DESC_F_WRITE) |
				      (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		d->next = vq->next[i];
		last = i;
		i = vq->next[i];
	}
	vq->free_head = vq->next[last];
	vq->num_free = (uint16_t)(vq->num_free - n);
	vq->cookie[head] = cookie;
	vq->chain_len[head] = (uint16_t)n;
	vq->avail->ring[vq->avail_idx & (vq->size - 1)] = head;
	vq->avail_idx++;
	return 0;
}

/* §2.7.10.2: notify if the device's avail_event lies in (old, new]. */
static bool virtq_need_notify(struct virtq *vq, uint16_t old, uint16_t new)
{
	if (vq->event_idx) {
		uint16_t ev = *used_avail_event(vq);

		return (uint16_t)(new - ev - 1) < (uint16_t)(new - old);
	}
	return !(READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
}

void virtq_kick(struct virtq *vq)
{
	uint16_t old = vq->kicked_idx, new = vq->avail_idx;

	if (old == new)
		return;
	wmb();			/* ring entries before the index */
	WRITE_ONCE(vq->avail->idx, new);
	vq->kicked_idx = new;
	mb();			/* index before reading the device's wishes */
	if (virtq_need_notify(vq, old, new)) {
		mmio_write16(vq->notify, vq->index);
		vq->kicks++;
	}
}

/* Chains go back to the free list by our own links (vq->next), whatever
 * the device may have written into the shared table. */
static void virtq_free_chain(struct virtq *vq, uint16_t head)
{
	uint16_t i = head, n = vq->chain_len[head];

	for (uint16_t k = 1; k < n; k++)
		i = vq->next[i];
	vq->next[i] = vq->free_head;
	vq->free_head = head;
	vq->num_free = (uint16_t)(vq->num_free + n);
}

void *virtq_get(struct virtq *vq, uint32_t *len)
{
	struct virtq_used_elem e;
	void *cookie;

	if (READ_ONCE(vq->used->idx) == vq->last_used)
		return NULL;
	rmb();			/* index before the entry */
	e = vq->used->ring[vq->last_used & (vq->size - 1)];
	vq->last_used++;
	/* The device's id must name a chain we queued. */
	if (e.id >= vq->size || !vq->cookie[e.id])
		return NULL;
	cookie = vq->cookie[e.id];
	vq->cookie[e.id] = NULL;
	virtq_free_chain(vq, (uint16_t)e.id);
	if (len)
		*len = e.len;
	return cookie;
}
