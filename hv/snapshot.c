/*
 * Device state streams: the bounds-checked writer and reader behind every
 * device's save/load (see snapshot.h for the section format).
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "xvm/log.h"
#include "snapshot.h"
#include "vm.h"

#define SNAP_MAGIC	0x5853

/* CRC-32 (IEEE 802.3, reflected, poly 0xedb88320, the one zlib
 * computes): the migration stream runs every byte of guest RAM through
 * it, so zlib's word-at-a-time code, not a byte table (which held a
 * dirtying guest's migration at a few hundred MB/s: docs/bench.md). */
uint32_t snap_crc32_update(uint32_t crc, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {		/* zlib's length is a uInt */
		uInt k = (uInt)MIN(n, (size_t)1 << 30);

		crc = (uint32_t)crc32(crc, p, k);
		p += k;
		n -= k;
	}
	return crc;
}

static uint32_t snap_crc32(const uint8_t *p, size_t n)
{
	return snap_crc32_update(0, p, n);
}

/* ---- writer ---- */

void snap_writer_init(struct snap_writer *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max ? max : SNAP_MAX_SIZE;
}

void snap_writer_free(struct snap_writer *w)
{
	free(w->buf);
	w->buf = NULL;
	w->len = w->cap = 0;
}

int snap_writer_error(const struct snap_writer *w)
{
	return w->err;
}

static uint8_t *snap_reserve(struct snap_writer *w, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (w->err)
		return NULL;
	if (n > w->max - w->len) {
		w->err = -E2BIG;
		return NULL;
	}
	if (w->len + n > w->cap) {
		cap = MAX(w->cap * 2, MAX(w->len + n, (size_t)256));
		cap = MIN(cap, w->max);
		p = realloc(w->buf, cap);
		if (!p) {
			w->err = -ENOMEM;
			return NULL;
		}
		w->buf = p;
		w->cap = cap;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static void snap_put_le(struct snap_writer *w, uint64_t v, unsigned int n)
{
	uint8_t *p = snap_reserve(w, n);

	for (unsigned int i = 0; p && i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void snap_put_u8(struct snap_writer *w, uint8_t v)   { snap_put_le(w, v, 1); }
void snap_put_u16(struct snap_writer *w, uint16_t v) { snap_put_le(w, v, 2); }
void snap_put_u32(struct snap_writer *w, uint32_t v) { snap_put_le(w, v, 4); }
void snap_put_u64(struct snap_writer *w, uint64_t v) { snap_put_le(w, v, 8); }

void snap_put_bytes(struct snap_writer *w, const void *p, size_t n)
{
	uint8_t *d = snap_reserve(w, n);

	if (d && n)
		memcpy(d, p, n);
}

int snap_section_begin(struct snap_writer *w, const char *name,
		       uint32_t version, size_t *mark)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > SNAP_NAME_MAX) {
		if (!w->err)
			w->err = -EINVAL;
		return w->err;
	}
	snap_put_u16(w, SNAP_MAGIC);
	snap_put_u8(w, (uint8_t)n);
	snap_put_bytes(w, name, n);
	snap_put_u32(w, version);
	*mark = w->len;
	snap_put_u32(w, 0);	/* payload length, patched by _end */
	return w->err;
}

int snap_section_end(struct snap_writer *w, size_t mark)
{
	size_t start = mark + 4, plen;

	if (w->err)
		return w->err;
	if (mark > w->len || w->len - start > UINT32_MAX) {
		w->err = -EINVAL;
		return w->err;
	}
	plen = w->len - start;
	for (unsigned int i = 0; i < 4; i++)
		w->buf[mark + i] = (uint8_t)(plen >> (8 * i));
	snap_put_u32(w, snap_crc32(w->buf + start, plen));
	return w->err;
}

/* ---- reader ---- */

void snap_reader_init(struct snap_reader *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = buf ? len : 0;
	r->pos = 0;
	r->err = 0;
}

int snap_reader_error(const struct snap_reader *r)
{
	return r->err;
}

size_t snap_remaining(const struct snap_reader *r)
{
	return r->err ? 0 : r->len - r->pos;
}

int snap_fail(struct snap_reader *r, const char *what)
{
	if (!r->err) {
		log_warn("snapshot: refused at offset %zu: %s", r->pos,
			 what ? what : "bad value");
		r->err = -EINVAL;
	}
	return r->err;
}

static int snap_get_le(struct snap_reader *r, uint64_t *v, unsigned int n)
{
	*v = 0;
	if (r->err || n > r->len - r->pos)
		return snap_fail(r, "truncated");
	for (unsigned int i = 0; i < n; i++)
		*v |= (uint64_t)r->buf[r->pos + i] << (8 * i);
	r->pos += n;
	return 0;
}

int snap_get_u8(struct snap_reader *r, uint8_t *v)
{
	uint64_t x;
	int rc = snap_get_le(r, &x, 1);

	*v = (uint8_t)x;
	return rc;
}

int snap_get_u16(struct snap_reader *r, uint16_t *v)
{
	uint64_t x;
	int rc = snap_get_le(r, &x, 2);

	*v = (uint16_t)x;
	return rc;
}

int snap_get_u32(struct snap_reader *r, uint32_t *v)
{
	uint64_t x;
	int rc = snap_get_le(r, &x, 4);

	*v = (uint32_t)x;
	return rc;
}

int snap_get_u64(struct snap_reader *r, uint64_t *v)
{
	return snap_get_le(r, v, 8);
}

int snap_get_bool(struct snap_reader *r, bool *v)
{
	uint8_t x;

	*v = false;
	if (snap_get_u8(r, &x) < 0)
		return r->err;
	if (x > 1)
		return snap_fail(r, "boolean out of range");
	*v = x;
	return 0;
}

int snap_get_bytes(struct snap_reader *r, void *p, size_t n)
{
	if (r->err || n > r->len - r->pos) {
		if (n)
			memset(p, 0, n);
		return snap_fail(r, "truncated");
	}
	if (n)
		memcpy(p, r->buf + r->pos, n);
	r->pos += n;
	return 0;
}

static int snap_check_name(struct snap_reader *r, const char *name)
{
	char got[SNAP_NAME_MAX + 1];
	uint16_t magic;
	uint8_t n;

	if (snap_get_u16(r, &magic) < 0 || snap_get_u8(r, &n) < 0)
		return r->err;
	if (magic != SNAP_MAGIC || n == 0 || n > SNAP_NAME_MAX)
		return snap_fail(r, "bad section header");
	if (snap_get_bytes(r, got, n) < 0)
		return r->err;
	got[n] = '\0';
	if (strcmp(got, name) != 0) {
		log_warn("snapshot: section \"%s\" where \"%s\" expected",
			 got, name);
		return snap_fail(r, "unexpected section");
	}
	return 0;
}

int snap_section_open(struct snap_reader *r, const char *name,
		      uint32_t max_version, uint32_t *version, size_t *outer)
{
	uint32_t plen, crc, want;

	*version = 0;
	if (snap_check_name(r, name) < 0 || snap_get_u32(r, version) < 0 ||
	    snap_get_u32(r, &plen) < 0)
		return r->err;
	if (*version == 0 || *version > max_version)
		return snap_fail(r, "unsupported section version");
	if (plen > r->len - r->pos || r->len - r->pos - plen < 4)
		return snap_fail(r, "section length past the end");
	want = snap_crc32(r->buf + r->pos, plen);
	crc = 0;
	for (unsigned int i = 0; i < 4; i++)
		crc |= (uint32_t)r->buf[r->pos + plen + i] << (8 * i);
	if (crc != want)
		return snap_fail(r, "section checksum mismatch");
	*outer = r->len;
	r->len = r->pos + plen;
	return 0;
}

int snap_section_close(struct snap_reader *r, size_t outer)
{
	if (r->err)
		return r->err;
	if (r->pos != r->len)
		return snap_fail(r, "section has trailing bytes");
	if (outer < r->len + 4)
		return snap_fail(r, "bad section nesting");
	r->len = outer;
	r->pos += 4;	/* the CRC, checked by _open */
	return 0;
}

/* ---- every registered device ---- */

int snap_save_devices(struct vm *vm, struct snap_writer *w)
{
	for (unsigned int i = 0; i < vm->nr_devs; i++) {
		int rc = vm->devs[i].ops->save(vm->devs[i].dev, w);

		if (rc < 0)
			return rc;
	}
	return snap_writer_error(w);
}

int snap_load_devices(struct vm *vm, struct snap_reader *r)
{
	for (unsigned int i = 0; i < vm->nr_devs; i++) {
		int rc = vm->devs[i].ops->load(vm->devs[i].dev, r);

		if (rc < 0) {
			log_warn("snapshot: device %s refused its state",
				 vm->devs[i].ops->name);
			return rc;
		}
	}
	return snap_reader_error(r);
}
