/*
 * Device state streams (save/load for migration and save/restore).
 *
 * A writer appends little-endian fields to a growable buffer; a reader
 * takes them back, checking the remaining length on every get. Each device
 * wraps its state in a section:
 *
 *   u16 magic 0x5853 ("SX") | u8 name length | name | u32 version |
 *   u32 payload length | payload | u32 CRC-32 of the payload
 *
 * so a stream from another host (or a corrupted file) is refused with
 * -EINVAL instead of being half-applied. Errors are sticky: after the first
 * failure every call fails, so callers may check once at the end.
 */
#ifndef HV_SNAPSHOT_H
#define HV_SNAPSHOT_H

#include "xvm/common.h"

#define SNAP_NAME_MAX	31
#define SNAP_MAX_SIZE	(64u << 20)	/* default cap on a writer's buffer */

struct vm;

struct snap_writer {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t max;		/* refuse to grow past this (-E2BIG) */
	int err;		/* first error, sticky */
};

struct snap_reader {
	const uint8_t *buf;
	size_t len;		/* end of the current section (or buffer) */
	size_t pos;
	int err;		/* first error, sticky */
};

/* max 0 means SNAP_MAX_SIZE. The buffer is owned by the writer. */
void snap_writer_init(struct snap_writer *w, size_t max);
void snap_writer_free(struct snap_writer *w);
/* 0, or the first error any put hit. */
int snap_writer_error(const struct snap_writer *w);

void snap_put_u8(struct snap_writer *w, uint8_t v);
void snap_put_u16(struct snap_writer *w, uint16_t v);
void snap_put_u32(struct snap_writer *w, uint32_t v);
void snap_put_u64(struct snap_writer *w, uint64_t v);
void snap_put_bytes(struct snap_writer *w, const void *p, size_t n);

/* Open a section; *mark is handed to snap_section_end. Sections nest. */
int snap_section_begin(struct snap_writer *w, const char *name,
		       uint32_t version, size_t *mark);
/* Close the section opened at mark: patch its length, append its CRC. */
int snap_section_end(struct snap_writer *w, size_t mark);

void snap_reader_init(struct snap_reader *r, const void *buf, size_t len);
int snap_reader_error(const struct snap_reader *r);
/* Bytes left before the end of the current section. */
size_t snap_remaining(const struct snap_reader *r);

/* 0, or -EINVAL (value set to 0) when fewer bytes remain or an earlier
 * call failed. */
int snap_get_u8(struct snap_reader *r, uint8_t *v);
int snap_get_u16(struct snap_reader *r, uint16_t *v);
int snap_get_u32(struct snap_reader *r, uint32_t *v);
int snap_get_u64(struct snap_reader *r, uint64_t *v);
int snap_get_bool(struct snap_reader *r, bool *v);	/* 0 or 1 only */
int snap_get_bytes(struct snap_reader *r, void *p, size_t n);
/* Record a validation failure found by the caller (sticky -EINVAL). */
int snap_fail(struct snap_reader *r, const char *what);

/* Enter a section named `name` with version <= max_version (checks the
 * header, the length and the CRC). Reads are then confined to its payload;
 * *outer is handed to snap_section_close. */
int snap_section_open(struct snap_reader *r, const char *name,
		      uint32_t max_version, uint32_t *version, size_t *outer);
/* Leave it: -EINVAL unless the payload was consumed exactly. */
int snap_section_close(struct snap_reader *r, size_t outer);

/* CRC-32 (IEEE 802.3) of buf continued from crc (0 to start). */
uint32_t snap_crc32_update(uint32_t crc, const void *buf, size_t n);

/* Save or load every device registered with vm_register_device, in
 * registration order (the core's migration stream uses these). */
int snap_save_devices(struct vm *vm, struct snap_writer *w);
int snap_load_devices(struct vm *vm, struct snap_reader *r);

#endif
