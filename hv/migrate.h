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
	uint64_t zero;		/* records that were zero markers */
};
/* page NULL: a page known to be zero (a hole), not read. */
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
/* Before mig_quiesce(vm, true): every device's hv_device_ops.drain
 * (requests a vhost-user backend took answered first). 0, or -errno
 * with msg: nothing is quiesced, the save fails. dev_lock held. */
int mig_drain(struct vm *vm, char *msg, size_t msglen);
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

/*
 * Live migration's receiver (migrate_live.c) applies each "ram" section
 * as it arrives, so the guest's RAM is in place when the last section
 * comes and only the small rest waits for the end: mig_check_head()
 * checks header + config (exactly buf) before any RAM is written,
 * mig_apply_ram() checks one "ram" section (CRC, record addresses) and
 * writes it, and mig_load_live() checks and loads what was kept (header,
 * config, ram-end, CPU/VM state, devices, end) with live saying how many
 * records were applied and the real stream's length and CRC up to "end".
 */
/* The destination's side of the switch-over, CLOCK_MONOTONIC ns (the
 * same clock as the source's marks: one host, or compare durations only). */
enum mig_in_mark {
	MIG_IN_RAM_END,		/* "ram-end" read: the last pass is in */
	MIG_IN_END,		/* "end" read: the whole stream is in */
	MIG_IN_CHECKED,		/* what was kept is checked */
	MIG_IN_CPU,		/* vCPU and VM (irqchip, PIT, clock) loaded */
	MIG_IN_DEVICES,		/* devices loaded, vhost-user rings set up,
				 * the RARP asked in the same batch */
	MIG_IN_ANSWERED,	/* 'K' sent */
	MIG_IN_N
};
struct mig_live_in {
	uint64_t ram_pages;
	uint64_t end_at;
	uint32_t crc;
	uint64_t t[MIG_IN_N];
	/* per RAM slot, one byte per page: 1 while the page is still a hole
	 * of the guest's memfd (never written, so zero): a zero record for
	 * it needs nothing, where reading it to check would allocate it
	 * (mig_holes_init; NULL: unknown, every page is checked) */
	uint8_t *holes[2];
};
/* Map vm->mem_fd's holes (lseek SEEK_DATA/SEEK_HOLE), per RAM slot one
 * byte per page, 1 = a hole (never written: zero, and reading it would
 * allocate it). 0, or -errno (holes then stay NULL: correct, only
 * slower). The destination's live->holes; the source's first round. */
int mig_holes_init(struct vm *vm, uint8_t *holes[2]);
void mig_holes_free(uint8_t *holes[2]);
int mig_check_head(struct vm *vm, const uint8_t *buf, size_t len,
		   char *msg, size_t msglen);
int mig_apply_ram(struct vm *vm, const uint8_t *sec, size_t len,
		  struct mig_live_in *live, char *msg, size_t msglen);
int mig_load_live(struct vm *vm, const uint8_t *buf, size_t len,
		  struct mig_live_in *live, char *msg, size_t msglen);

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

/* The stream's CRC-32 (the end section's) run on over n bytes of whole
 * sections as this hv writes them (the stream's 16-byte header first when
 * head): each section's own payload CRC, computed when it was written,
 * stands for its payload (zlib's crc32_combine), so the pages are not
 * read a second time. The same value as snap_crc32_update(crc, p, n)
 * for sections whose CRCs are right (this hv's own); bytes that do not
 * parse as sections are run through in full. */
uint32_t mig_crc_stream(uint32_t crc, const uint8_t *p, size_t n, bool head);

/* migrate_live.c. Source: send this running (or paused) VM to uri
 * ("unix:PATH", "tcp:HOST:PORT") in dirty-log rounds, pause, send the
 * rest, wait for the destination's verdict. 0: the guest now runs there
 * (the caller stops this hv); else -errno with msg, the guest goes on
 * here as it was. */
#define MIG_ROUNDS_MAX		30	/* dirty rounds while running */
/* The source's switch-over, step by step (mig_stats.sw): what the
 * downtime is made of on this side (docs/hv.md, "The downtime"). */
enum mig_sw_mark {
	MIG_SW_PAUSE,		/* decided: pausing the vCPUs */
	MIG_SW_PAUSED,		/* every vCPU parked */
	MIG_SW_QUIESCED,	/* devices quiesced (vhost-user GET_VRING_BASE) */
	MIG_SW_COLLECTED,	/* the last dirty set folded (KVM + hv logs) */
	MIG_SW_PAGES,		/* the last pass's pages in the stream */
	MIG_SW_STATE,		/* CPU, VM, device state built */
	MIG_SW_SENT,		/* everything, "end" too, written to the socket */
	MIG_SW_ACK,		/* the destination's 'K' read */
	MIG_SW_N
};
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
	/* the switch-over, CLOCK_MONOTONIC ns at each mark (mig_sw_mark) */
	uint64_t sw[MIG_SW_N];
};
/* What the user controls while a migration runs (migrate.set). */
#define MIG_DOWNTIME_DEFAULT_MS	300	/* libvirt's and QEMU's default */
#define MIG_DOWNTIME_MAX_MS	3600000u
#define MIG_BW_MAX_MIB		1048576u	/* MiB/s; 0 means unlimited */
struct mig_params {
	uint32_t downtime_ms;	/* the longest the guest may stand still */
	uint64_t bandwidth;	/* bytes/s, 0: unlimited */
};
/* Where an outgoing migration stands (migrate.info), updated by the
 * sender as it goes. */
enum mig_phase { MIG_PH_SETUP, MIG_PH_PRECOPY, MIG_PH_STOPCOPY,
		 MIG_PH_WAITING };
struct mig_progress {
	enum mig_phase phase;
	unsigned int rounds;	/* RAM rounds begun, the first full one incl. */
	uint64_t total;		/* guest RAM bytes */
	uint64_t processed;	/* stream bytes sent */
	uint64_t remaining;	/* RAM bytes still to send as last measured */
	uint64_t pages;		/* page records sent */
	uint64_t zero_pages;	/* of them zero markers */
	uint64_t dirty_rate;	/* pages/s dirtied during the last round */
	uint64_t bw;		/* bytes/s measured (last round, or so far) */
	uint64_t expect_ms;	/* downtime the last measurement predicts */
	uint64_t start_ns, elapsed_ns;
};

/* The source's job (migrate_job.c): the sender runs on its own thread,
 * the control loop keeps answering. Loop thread only unless said. */
struct mig_job;
/* The sender reads the params the user may change meanwhile and
 * publishes its progress; both under the job's lock. Sender thread. */
void mig_job_get_params(struct mig_job *j, struct mig_params *p);
void mig_job_put_progress(struct mig_job *j, const struct mig_progress *p);
/* The cancel request's eventfd (readable once cancelled) and flag. */
int mig_job_cancel_fd(const struct mig_job *j);
bool mig_job_cancelled(const struct mig_job *j);
/* The user paused the guest during the migration (virsh migrate
 * --timeout does): the sender switches over at its next check, whatever
 * the downtime, and a failure leaves the guest paused. */
bool mig_job_user_paused(struct mig_job *j);

int mig_migrate(struct vm *vm, struct mig_job *job, const char *uri,
		struct mig_stats *st, char *msg, size_t msglen);

/* migrate_policy.c: pure rules (unit-tested). */
/* A dirty set of at most this many pages goes in the last pass as it
 * is; a larger one that fits the downtime is caught up first. */
#define MIG_LAST_PASS_PAGES	32
#define MIG_CATCH_UP_MAX	5
/* After a round whose dirty set of pages fits the downtime target:
 * true to send it while the guest runs and measure again at once
 * (pages above MIG_LAST_PASS_PAGES, and done, the catch-up rounds so
 * far, 0 or the set at most 3/4 of prev_pages, the one before; at most
 * MIG_CATCH_UP_MAX), false to switch over with it. */
bool mig_catch_up(uint64_t pages, uint64_t prev_pages, unsigned int done);
/* bytes/s of bytes moved in ns (0 if ns is 0). */
uint64_t mig_rate(uint64_t bytes, uint64_t ns);
/* The bandwidth the switch-over will get: sent_bytes over send_ns, the
 * time spent writing them (not the pauses between rounds, which would
 * make it the guest's dirty rate), capped at the limit now in force
 * (limit bytes/s, 0: none; a limit lowered after the fast first round
 * applies to the last pass too). */
uint64_t mig_bw_estimate(uint64_t sent_bytes, uint64_t send_ns,
			 uint64_t limit);
enum mig_decision { MIG_GO_ON, MIG_SWITCH, MIG_GIVE_UP };
/* After round `rounds` (1 = the full first round): MIG_SWITCH when
 * dirty_bytes at bw_bps (0: not measured) takes at most downtime_ms,
 * else MIG_GIVE_UP once rounds >= rounds_max, else MIG_GO_ON;
 * *expect_ms (may be NULL) the predicted downtime (UINT64_MAX: no
 * estimate). */
enum mig_decision mig_converge(uint64_t dirty_bytes, uint64_t bw_bps,
			       uint32_t downtime_ms, unsigned int rounds,
			       unsigned int rounds_max, uint64_t *expect_ms);
/* Token bucket on stream bytes: rate bytes/s (0: unlimited); it holds
 * at most MIG_BUCKET_BURST_MS worth (at least MIG_BUCKET_BURST_MIN). */
#define MIG_BUCKET_BURST_MS	100
#define MIG_BUCKET_BURST_MIN	(64u << 10)
struct mig_bucket {
	uint64_t rate;
	int64_t tokens;		/* negative: a debt the next writes wait out */
	uint64_t last_ns;
};
void mig_bucket_init(struct mig_bucket *b, uint64_t rate, uint64_t now_ns);
void mig_bucket_set_rate(struct mig_bucket *b, uint64_t rate, uint64_t now_ns);
/* Take n bytes at now_ns: how many ns to wait before writing them (0:
 * at once). The bytes are taken either way. */
uint64_t mig_bucket_take(struct mig_bucket *b, uint64_t now_ns, uint64_t n);
/* The source's wait for the destination's verdict on fd (after the
 * stream): 0 on 'K', -EPROTO with its message on 'E', else -errno. */
int mig_out_ack(int fd, char *msg, size_t msglen);
/* Destination: listen on uri, take one stream, check and load it, answer
 * the source. 0, or -errno with msg (nothing runs). */
int mig_incoming(struct vm *vm, const char *uri, char *msg, size_t msglen);
/* After a successful mig_incoming, once the guest runs: log (info) the
 * destination's switch-over marks and those of the guest's start after
 * it (CLOCK_MONOTONIC ns, main.c's). */
enum mig_run_mark {
	MIG_RUN_START,		/* the stream loaded and answered */
	MIG_RUN_CONTROL,	/* control socket and signals set up */
	MIG_RUN_PRIVILEGES,	/* privileges dropped */
	MIG_RUN_THREADS,	/* vCPU threads started (parked) */
	MIG_RUN_SECCOMP,	/* the seccomp filter on every thread */
	MIG_RUN_GO,		/* the vCPUs let go: the guest runs */
	MIG_RUN_N
};
void mig_incoming_log_times(const uint64_t run[MIG_RUN_N]);
/* CLOCK_MONOTONIC in ns. */
uint64_t mig_now_ns(void);
/* The destination gives up (-ETIMEDOUT) on a source that sends nothing
 * for this long once connected (a variable for the unit tests). */
extern unsigned int mig_recv_timeout_ms;

#endif
