/*
 * The VM state stream (issue 9): everything a domain is, written by a
 * paused hv and read back by a new one. To a file it is save/restore;
 * the same records over a socket are live migration. Format and
 * validation rules: docs/hv.md "Save, restore and the migration stream".
 *
 *   "XVMSTRM\0" | u32 format version | u32 flags
 *   section "config"   memory bytes, vCPUs, registered device names
 *   section "ram"...   page records (gpa | kind): zero marker or 4 KiB
 *   section "ram-end"  pages sent (live migration: after the last round)
 *   section "cpu" x N  one per vCPU (MIG_F_CPU)
 *   section "vm"       PIC master/slave, IOAPIC, PIT, kvmclock (MIG_F_CPU)
 *   section "devices"  every registered device's save(), in order
 *   section "end"      stream length so far + CRC-32 of all of it
 *
 * Sections are snapshot.h's (name, version, length, CRC-32).
 */
#ifndef HV_MIGRATE_H
#define HV_MIGRATE_H

#include "snapshot.h"
#include "vm.h"

#define MIG_MAGIC		"XVMSTRM"	/* 8 bytes with its NUL */
#define MIG_VERSION		1
#define MIG_HEADER_LEN		16
#define MIG_F_CPU		0x1	/* cpu and vm sections present */
#define MIG_PAGE		4096u
#define MIG_CHUNK_PAGES		256	/* page records per "ram" section */
#define MIG_KIND_ZERO		0
#define MIG_KIND_FULL		1

/* Header and config section; flags MIG_F_*. */
int mig_put_header(struct vm *vm, struct snap_writer *w, uint32_t flags);
/* "ram" sections being filled: records go into the open one, closed
 * at MIG_CHUNK_PAGES records or by mig_ram_close(); sent counts the
 * records of closed sections. */
struct mig_ram {
	size_t mark, cnt;
	unsigned int n;
	uint64_t sent;
};
void mig_ram_page(struct mig_ram *o, struct snap_writer *w, uint64_t gpa,
		  const uint8_t *page);
void mig_ram_close(struct mig_ram *o, struct snap_writer *w);
/* One RAM round: every page of guest RAM as zero markers and full pages
 * in "ram" sections (live migration would send only dirty pages, with
 * the same records). */
int mig_put_ram(struct vm *vm, struct snap_writer *w);
/* The end-of-RAM marker: pages is the number of records sent. */
int mig_put_ram_end(struct snap_writer *w, uint64_t pages);
int mig_put_devices(struct vm *vm, struct snap_writer *w);
/* The end section over everything in w so far. */
int mig_put_end(struct snap_writer *w);
/* The end section for a stream of len bytes with that CRC-32 (sent in
 * pieces: live migration). */
int mig_put_end_crc(struct snap_writer *w, uint64_t len, uint32_t crc);
/* After "ram-end": CPU and VM state (when vm has KVM), devices. */
int mig_put_state(struct vm *vm, struct snap_writer *w);

/* The whole stream of a paused VM (vCPUs parked, dev_lock held by the
 * caller): header, RAM, CPU and VM state (when vm has KVM), devices, end. */
int mig_save(struct vm *vm, struct snap_writer *w);
/* Every device's hv_device_ops.quiesce (stop before RAM is copied with
 * the vCPUs paused; !stop after a failed save). dev_lock held. */
void mig_quiesce(struct vm *vm, bool stop);
/* The guest is about to run here after an incoming migration or a
 * restore: every device's hv_device_ops.announce (NICs: a RARP from the
 * guest's MAC, so the LAN learns its new port). Takes dev_lock. */
void mig_announce(struct vm *vm);

/* Check a whole stream against vm's configuration without touching the
 * VM: header, version, config (memory size, vCPU count, device names),
 * section order, every section's CRC, RAM record addresses, the end
 * section's length and whole-stream CRC, no bytes after it. 0, or
 * -EINVAL with a one-line reason in msg. */
int mig_check(struct vm *vm, const uint8_t *buf, size_t len, char *msg,
	      size_t msglen);
/* Check, then apply: RAM, CPU/VM state, devices (dev_lock taken here).
 * Call before any vCPU runs. 0 or -errno with msg set. */
int mig_load(struct vm *vm, const uint8_t *buf, size_t len, char *msg,
	     size_t msglen);

/* Save: pause (if running), write the stream to path at offset (see
 * docs/control-protocol.md "save"), fsync. On success *bytes is the
 * stream length and the vCPUs stay paused (the caller stops the VM); on
 * failure the file is removed (offset 0) or cut back to offset and the
 * guest runs again if it was running. 0 or -errno with msg set. */
int mig_save_file(struct vm *vm, const char *path, uint64_t offset,
		  uint64_t *bytes, char *msg, size_t msglen);
/* The file a save writes: offset 0 creates or truncates it; at an
 * offset it must exist and be that long (the caller's header). Never a
 * symlink, FIFO or device. An fd, or -errno with msg set. */
int mig_save_open(const char *path, uint64_t offset, char *msg,
		  size_t msglen);
/* Restore: read path from offset to its end and mig_load() it. */
int mig_restore_file(struct vm *vm, const char *path, uint64_t offset,
		     char *msg, size_t msglen);

/* migrate_live.c. Source: send this running (or paused) VM to uri
 * ("unix:PATH", "tcp:HOST:PORT") in dirty-log rounds, pause, send the
 * rest, wait for the destination's verdict. 0: the guest now runs there
 * (the caller stops this hv); else -errno with msg, the guest goes on
 * here as it was. */
#define MIG_ROUNDS_MAX		8	/* dirty rounds while running */
struct mig_stats {
	unsigned int rounds;	/* RAM rounds while running (incl. the first) */
	uint64_t pages;		/* page records sent, all rounds */
	uint64_t final_pages;	/* dirty pages sent with the vCPUs paused */
	uint64_t bytes;		/* stream length */
	/* dirty pages of each round after the first, while running */
	uint64_t round_pages[MIG_ROUNDS_MAX];
	/* pages, all dirty rounds and the last pass, that only hv's own
	 * log had (written by its devices or a vhost-user backend, not by
	 * the vCPUs since the round before) */
	uint64_t hv_pages;
};
int mig_migrate(struct vm *vm, const char *uri, struct mig_stats *st,
		char *msg, size_t msglen);
/* The source's wait for the destination's verdict on fd (after the
 * stream): 0 on 'K', -EPROTO with its message on 'E', else -errno. */
int mig_out_ack(int fd, char *msg, size_t msglen);
/* Destination: listen on uri, take one stream, check and load it, answer
 * the source. 0, or -errno with msg (nothing runs). */
int mig_incoming(struct vm *vm, const char *uri, char *msg, size_t msglen);
/* The destination gives up (-ETIMEDOUT) on a source that sends nothing
 * for this long once connected (a variable for the unit tests). */
extern unsigned int mig_recv_timeout_ms;

#endif
