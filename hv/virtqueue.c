/*
 * Split virtqueues, device side (virtio 1.2 §2.7): taking available
 * descriptor chains with full validation, returning used buffers, and
 * deciding when the driver wants an interrupt.
 *
 * Guest memory is shared with a running guest: every field is read once
 * into a local copy and validated there (no double fetch), ring indices
 * are loaded with acquire semantics and the used index is published with
 * release semantics (§2.7.13 "Supplying Buffers to The Device" and
 * §2.7.8 "The Virtqueue Used Ring").
 */
#include <string.h>
#include "xvm/log.h"
#include "virtqueue.h"

static struct log_ratelimit vq_rl = LOG_RATELIMIT_INIT(5000, 5);

#define vq_broken(q, ...) do {						\
		log_ratelimited(&vq_rl, LL_WARN, "virtqueue: " __VA_ARGS__); \
		return -EINVAL;						\
	} while (0)

static uint16_t vq_load16(const void *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE);
}

static void vq_store16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, v, __ATOMIC_RELEASE);
}

static uint64_t vq_avail_bytes(uint16_t size, bool event_idx)
{
	return 6 + 2ULL * size - (event_idx ? 0 : 2);
}

static uint64_t vq_used_bytes(uint16_t size, bool event_idx)
{
	return 6 + 8ULL * size - (event_idx ? 0 : 2);
}

static bool vq_size_ok(uint32_t size)
{
	return size >= 1 && size <= VQ_MAX_SIZE && !(size & (size - 1));
}

/* Resolve the rings of a configured queue; false if they are unusable. */
static bool vq_map(struct vq *q)
{
	if (!vq_size_ok(q->size) || !IS_ALIGNED(q->desc_gpa, 16) ||
	    !IS_ALIGNED(q->avail_gpa, 2) || !IS_ALIGNED(q->used_gpa, 4))
		return false;
	q->desc = vm_gpa(q->vm, q->desc_gpa, 16ULL * q->size);
	q->avail = vm_gpa(q->vm, q->avail_gpa,
			  vq_avail_bytes(q->size, q->event_idx));
	q->used = vm_gpa(q->vm, q->used_gpa,
			 vq_used_bytes(q->size, q->event_idx));
	return q->desc && q->avail && q->used;
}

int vq_enable(struct vq *q, struct vm *vm, uint16_t size, uint64_t desc,
	      uint64_t avail, uint64_t used, bool event_idx, bool indirect)
{
	struct vq n = {
		.vm = vm, .size = size, .event_idx = event_idx,
		.indirect = indirect, .desc_gpa = desc, .avail_gpa = avail,
		.used_gpa = used, .enabled = true,
	};

	if (!vq_map(&n))
		return -EINVAL;
	*q = n;
	return 0;
}

void vq_reset(struct vq *q)
{
	struct vm *vm = q->vm;

	memset(q, 0, sizeof(*q));
	q->vm = vm;
}

static int vq_add_seg(struct vq *q, struct vq_chain *c,
		      const struct vring_desc *d)
{
	bool write = d->flags & VRING_DESC_F_WRITE;
	struct vq_seg *s;
	void *hva;

	if (!write && c->wlen)
		vq_broken(q, "readable descriptor after a writable one");
	if (d->len == 0)
		return 0;
	if (d->addr + d->len < d->addr)
		vq_broken(q, "buffer %#llx+%u wraps",
			  (unsigned long long)d->addr, d->len);
	if (c->rlen + c->wlen + d->len > VQ_MAX_CHAIN_BYTES)
		vq_broken(q, "chain longer than %llu bytes", VQ_MAX_CHAIN_BYTES);
	if (c->nseg == VQ_MAX_SEGS)
		vq_broken(q, "chain has more than %u buffers", VQ_MAX_SEGS);
	hva = vm_gpa(q->vm, d->addr, d->len);
	if (!hva)
		vq_broken(q, "buffer %#llx+%u outside guest memory",
			  (unsigned long long)d->addr, d->len);
	s = &c->seg[c->nseg++];
	*s = (struct vq_seg){ .hva = hva, .gpa = d->addr, .len = d->len,
			      .write = write };
	if (write)
		c->wlen += d->len;
	else
		c->rlen += d->len;
	return 0;
}

/* Switch the walk to the indirect table d describes (§2.7.5.3). */
static int vq_enter_indirect(struct vq *q, const struct vring_desc *d,
			     const uint8_t **table, unsigned int *tsize)
{
	if (!q->indirect)
		vq_broken(q, "indirect descriptor not negotiated");
	if (d->flags & VRING_DESC_F_NEXT)
		vq_broken(q, "indirect descriptor with NEXT");
	if (d->len == 0 || d->len % 16 || d->len / 16 > VQ_MAX_INDIRECT)
		vq_broken(q, "indirect table of %u bytes", d->len);
	if (d->addr + d->len < d->addr ||
	    !(*table = vm_gpa(q->vm, d->addr, d->len)))
		vq_broken(q, "indirect table %#llx+%u outside guest memory",
			  (unsigned long long)d->addr, d->len);
	*tsize = d->len / 16;
	return 0;
}

/* Follow the chain starting at head. Each table (the ring's, then at
 * most one indirect table) is walked at most its size steps, so loops
 * end. */
static int vq_walk(struct vq *q, uint16_t head, struct vq_chain *c)
{
	const uint8_t *table = q->desc;
	unsigned int tsize = q->size, idx = head, steps = 0;
	bool indirect = false;
	struct vring_desc d;

	c->vm = q->vm;
	c->head = head;
	c->nseg = 0;
	c->rlen = c->wlen = 0;
	for (;;) {
		if (idx >= tsize)
			vq_broken(q, "descriptor index %u >= %u", idx, tsize);
		if (++steps > tsize)
			vq_broken(q, "descriptor chain loops");
		memcpy(&d, table + 16 * idx, sizeof(d));
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (indirect)
				vq_broken(q, "nested indirect table");
			if (vq_enter_indirect(q, &d, &table, &tsize) < 0)
				return -EINVAL;
			indirect = true;
			idx = 0;
			steps = 0;
			continue;
		}
		if (vq_add_seg(q, c, &d) < 0)
			return -EINVAL;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

int vq_pop(struct vq *q, struct vq_chain *c)
{
	uint8_t *avail = q->avail;
	uint16_t idx, pending, head;

	if (!q->enabled)
		return 0;
	idx = vq_load16(avail + 2);
	pending = (uint16_t)(idx - q->last_avail);
	if (pending == 0)
		return 0;
	if (pending > q->size)
		vq_broken(q, "avail index moved by %u, queue size %u",
			  pending, q->size);
	head = vq_load16(avail + 4 + 2 * (q->last_avail % q->size));
	if (vq_walk(q, head, c) < 0)
		return -EINVAL;
	q->last_avail++;
	/* Ask for a notification when the driver adds the next one. */
	if (q->event_idx) {
		vq_store16((uint8_t *)q->used + 4 + 8 * q->size, q->last_avail);
		vm_dirty_mark(q->vm, q->used_gpa + 4 + 8ULL * q->size, 2);
	}
	return 1;
}

int vq_push(struct vq *q, uint16_t head, uint32_t len)
{
	uint8_t *e;

	if (!q->enabled || head >= q->size)
		return -EINVAL;
	e = (uint8_t *)q->used + 4 + 8 * (q->used_idx % q->size);
	memcpy(e, &(uint32_t){ head }, 4);
	memcpy(e + 4, &len, 4);
	vm_dirty_mark(q->vm, q->used_gpa + 4 + 8ULL * (q->used_idx % q->size),
		      8);
	q->used_idx++;
	vq_store16((uint8_t *)q->used + 2, q->used_idx);
	vm_dirty_mark(q->vm, q->used_gpa + 2, 2);
	return 0;
}

bool vq_should_notify(struct vq *q)
{
	uint16_t old = q->signalled_used, new = q->used_idx, event;
	bool valid = q->signalled_valid;

	if (!q->enabled)
		return false;
	/* The used index store must be visible before we read the
	 * driver's suppression fields (§2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!q->event_idx)
		return !(vq_load16(q->avail) & VRING_AVAIL_F_NO_INTERRUPT);
	q->signalled_used = new;
	q->signalled_valid = true;
	if (!valid)
		return true;
	event = vq_load16((uint8_t *)q->avail + 4 + 2 * q->size);
	/* §2.7.10: notify if used_event lies in [old, new). */
	return vring_need_event(event, new, old);
}

size_t vq_chain_read(const struct vq_chain *c, size_t off, void *buf,
		     size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < c->nseg && done < len; i++) {
		const struct vq_seg *s = &c->seg[i];
		size_t n;

		if (s->write)
			break;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = MIN(len - done, s->len - off);
		memcpy((uint8_t *)buf + done, (uint8_t *)s->hva + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t vq_chain_write(const struct vq_chain *c, size_t off,
		      const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < c->nseg && done < len; i++) {
		const struct vq_seg *s = &c->seg[i];
		size_t n;

		if (!s->write)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = MIN(len - done, s->len - off);
		memcpy((uint8_t *)s->hva + off, (const uint8_t *)buf + done, n);
		if (c->vm)
			vm_dirty_mark(c->vm, s->gpa + off, n);
		done += n;
		off = 0;
	}
	return done;
}

/* ---- save/load ---- */

void vq_save(const struct vq *q, struct snap_writer *w)
{
	snap_put_u16(w, q->size);
	snap_put_u8(w, q->enabled);
	snap_put_u8(w, q->event_idx);
	snap_put_u8(w, q->indirect);
	snap_put_u64(w, q->desc_gpa);
	snap_put_u64(w, q->avail_gpa);
	snap_put_u64(w, q->used_gpa);
	snap_put_u16(w, q->last_avail);
	snap_put_u16(w, q->used_idx);
	snap_put_u16(w, q->signalled_used);
	snap_put_u8(w, q->signalled_valid);
}

int vq_load(struct vq *q, struct vm *vm, struct snap_reader *r)
{
	struct vq n = { .vm = vm };

	snap_get_u16(r, &n.size);
	snap_get_bool(r, &n.enabled);
	snap_get_bool(r, &n.event_idx);
	snap_get_bool(r, &n.indirect);
	snap_get_u64(r, &n.desc_gpa);
	snap_get_u64(r, &n.avail_gpa);
	snap_get_u64(r, &n.used_gpa);
	snap_get_u16(r, &n.last_avail);
	snap_get_u16(r, &n.used_idx);
	snap_get_u16(r, &n.signalled_used);
	snap_get_bool(r, &n.signalled_valid);
	if (r->err)
		return -EINVAL;
	if (n.size && !vq_size_ok(n.size))
		return snap_fail(r, "virtqueue size");
	if (n.enabled && !vq_map(&n))
		return snap_fail(r, "virtqueue rings outside guest memory");
	if (!n.enabled)
		n.desc = n.avail = n.used = NULL;
	*q = n;
	return 0;
}
