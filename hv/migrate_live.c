/*
 * Live migration between two hv processes over a stream socket (issue 9):
 * the state stream of migrate.h, with guest RAM sent in rounds while the
 * guest runs (KVM dirty log), then the vCPUs paused for the last dirty
 * pages and the rest of the stream. The destination (--incoming) reads
 * the whole stream, checks and loads it like a restore, and answers one
 * byte ('K', or 'E' and a message) before the source lets its guest go.
 *
 * A round sends the pages written since the round before: the guest's
 * writes from KVM's dirty log, and the writes hv's devices and vhost-user
 * backends made behind the vCPUs' back from hv's own log (dirty_log.c;
 * backends mark it through SET_LOG_BASE, virtio_net.c). So the last pass,
 * with the vCPUs paused and the devices quiesced (disk answers landed,
 * the backends' rings stopped with GET_VRING_BASE), sends only what is
 * dirty again.
 *
 * Limit: the source's control loop is busy for the whole migration
 * (console output and input, disk completions and a NIC backend's
 * reconnection wait until it ends).
 */
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include "xvm/log.h"
#include "core.h"
#include "migrate.h"
#include "vcpu.h"
#include <endian.h>
#include <zlib.h>

#define MIG_FLUSH_AT		(1u << 20)	/* sections per write */
#define MIG_ACK_TIMEOUT_MS	120000
#define MIG_ERR_MSG_TIMEOUT_MS	5000	/* the rest of an 'E' answer */

unsigned int mig_recv_timeout_ms = 60000;

/* ---- sockets ---- */

/* "unix:PATH" or "tcp:HOST:PORT" (an IPv6 HOST in brackets) into an
 * address; listen or connect. */
static int mig_socket(const char *uri, bool listen_, char *msg, size_t msglen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char host[256];
	const char *port;
	int fd = -1, one = 1, rc;

	if (!strncmp(uri, "unix:", 5) && uri[5]) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(uri + 5) >= sizeof(sa.sun_path)) {
			snprintf(msg, msglen, "%s: path too long", uri);
			return -ENAMETOOLONG;
		}
		strcpy(sa.sun_path, uri + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			goto err;
		if (listen_) {
			struct stat st;

			/* a stale socket goes; any other file stays (bind
			 * then fails: EADDRINUSE) */
			if (lstat(sa.sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
				unlink(sa.sun_path);
			if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			    listen(fd, 1) < 0)
				goto err;
		} else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			goto err;
		}
		return fd;
	}
	port = strncmp(uri, "tcp:", 4) ? NULL : strrchr(uri + 4, ':');
	if (!port || port == uri + 4 || (size_t)(port - uri - 4) >= sizeof(host)
	    || !port[1]) {
		snprintf(msg, msglen, "'%s': expected unix:PATH or "
			 "tcp:HOST:PORT", uri);
		return -EINVAL;
	}
	memcpy(host, uri + 4, (size_t)(port - uri - 4));
	host[port - uri - 4] = '\0';
	if (host[0] == '[') {	/* an IPv6 address: tcp:[::1]:PORT */
		size_t n = strlen(host);

		if (n < 3 || host[n - 1] != ']') {
			snprintf(msg, msglen, "'%s': expected tcp:[ADDRESS]:PORT",
				 uri);
			return -EINVAL;
		}
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (listen_)
		hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(host, port + 1, &hints, &ai);
	if (rc != 0) {
		snprintf(msg, msglen, "%s: %s", uri, gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto err;
	if (listen_) {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		    listen(fd, 1) < 0)
			goto err;
	} else if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		goto err;
	}
	freeaddrinfo(ai);
	return fd;
err:
	rc = -errno;
	snprintf(msg, msglen, "%s: %s", uri, strerror(-rc));
	if (fd >= 0)
		close(fd);
	if (ai)
		freeaddrinfo(ai);
	return rc;
}

static int send_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t k = recv(fd, p, n, 0);

		if (k < 0 && errno == EINTR)
			continue;
		if (k == 0)
			return -ECONNRESET;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -ETIMEDOUT;	/* SO_RCVTIMEO: peer silent */
		if (k < 0)
			return -errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* ---- source ---- */

#define MIG_SEND_CHUNK		(64u << 10)	/* bytes per write */
#define MIG_CANCEL_GRACE_MS	2000	/* to end the piece being sent */
/* A dirty round lasts at least this long (back-to-back rounds of a few
 * pages would only spin); longer minimum rounds let more pages get dirty
 * in each and keep a steadily writing guest from converging (bench/migrate:
 * 500 ms rounds never converged at 16 MiB/s with a 20 ms downtime, QEMU
 * did in 3 rounds). */
#define MIG_ROUND_MIN_MS	20
/* A migration that does not converge gives up after MIG_ROUNDS_MAX
 * rounds and at least this long, time for a user (or a slow virsh) to
 * raise the downtime or the bandwidth, or abort. */
#define MIG_GIVE_UP_MIN_MS	15000
/* What the last pass sends besides dirty pages, for the downtime
 * estimate: the CPU, VM and device sections (measured with the PV guest:
 * 6.9 KiB per vCPU, 2.7 KiB for the VM and its devices). */
#define MIG_STATE_EST(vcpus)	(7168ull * (vcpus) + 4096)

struct mig_out {
	struct vm *vm;
	struct mig_job *job;	/* NULL: no user control (defaults) */
	int fd;
	struct snap_writer w;
	uint32_t crc;		/* of everything flushed */
	uint64_t total;		/* bytes flushed */
	struct mig_ram ram;
	bool quiesced;		/* mig_quiesce(vm, true) was called */
	uint64_t *bm[ARRAY_SIZE(((struct vm *)0)->mem)];	/* dirty pages not yet sent */
	struct mig_bucket bucket;
	struct mig_params params;
	struct mig_progress prog;
	uint64_t cancel_by;	/* ns: the piece being sent must end by then */
	uint64_t send_bytes;	/* written to the stream ... */
	uint64_t send_ns;	/* ... in this long spent writing (waits for the
				 * socket and the limit included, pauses
				 * between rounds not) */
	uint64_t dirty_bytes;	/* written by the dirty rounds ... */
	uint64_t dirty_ns;	/* ... in this much wall time */
	uint64_t round_pages;	/* the last round's page records ... */
	uint64_t round_ns;	/* ... sent in this long (scan, copy, send) */
	bool cut;		/* the stream stopped inside a section */
	bool give_up;		/* did not converge: msg says why */
	bool final;		/* the end section goes: too late to cancel */
};

uint64_t mig_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#define mono_ns mig_now_ns

static bool out_cancelled(const struct mig_out *o)
{
	return o->job && mig_job_cancelled(o->job);
}

/* The user's params now (they may change while the sender runs). */
static void out_params(struct mig_out *o)
{
	if (o->job)
		mig_job_get_params(o->job, &o->params);
	mig_bucket_set_rate(&o->bucket, o->params.bandwidth, mono_ns());
}

static void out_publish(struct mig_out *o)
{
	o->prog.processed = o->total;
	o->prog.pages = o->ram.sent;
	o->prog.zero_pages = o->ram.zero;
	o->prog.elapsed_ns = mono_ns() - o->prog.start_ns;
	if (o->job)
		mig_job_put_progress(o->job, &o->prog);
}

/* Wait up to ms for fd's events or the cancel request: poll's answer. */
static int out_poll(struct mig_out *o, short events, int ms)
{
	struct pollfd pf[2] = {
		{ .fd = o->fd, .events = events },
		{ .fd = o->job ? mig_job_cancel_fd(o->job) : -1,
		  .events = POLLIN },
	};
	int rc;

	do {
		rc = poll(pf, o->cancel_by || !o->job ? 1 : 2, ms);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : pf[0].revents ? 1 : 0;
}

/* Send n bytes, throttled by the bandwidth limit. Cancelled: the piece
 * in hand still goes out if it can within MIG_CANCEL_GRACE_MS (the
 * stream then ends on a section boundary and can say "cancel"), else
 * -ECANCELED with o->cut. */
static int out_send_some(struct mig_out *o, const uint8_t *p, size_t n);

static int out_send(struct mig_out *o, const uint8_t *p, size_t n)
{
	uint64_t t0 = mono_ns();
	int rc = out_send_some(o, p, n);

	o->send_ns += mono_ns() - t0;
	return rc;
}

static int out_send_some(struct mig_out *o, const uint8_t *p, size_t n)
{
	while (n) {
		uint64_t now = mono_ns(), wait;
		int ms = -1, rc;
		ssize_t k;

		if (out_cancelled(o) && !o->cancel_by)
			o->cancel_by = now + MIG_CANCEL_GRACE_MS * 1000000ull;
		if (o->cancel_by) {	/* ending: bounded, never throttled */
			if (now >= o->cancel_by) {
				o->cut = true;
				return -ECANCELED;
			}
			ms = (int)((o->cancel_by - now) / 1000000) + 1;
		}
		rc = out_poll(o, POLLOUT, ms);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;	/* cancel request, or its grace ran out */
		/* the last write (the switch-over's) whole: one call */
		k = send(o->fd, p, o->final ? n : MIN(n, MIG_SEND_CHUNK),
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		n -= (size_t)k;
		o->send_bytes += (uint64_t)k;
		if (o->cancel_by)
			continue;	/* no throttle while ending */
		wait = mig_bucket_take(&o->bucket, mono_ns(), (uint64_t)k);
		if (wait) {	/* paid back before the next write */
			struct pollfd pf = {
				.fd = o->job ? mig_job_cancel_fd(o->job) : -1,
				.events = POLLIN,
			};

			poll(&pf, 1, (int)(wait / 1000000) + 1);
		}
	}
	return 0;
}

static int out_flush(struct mig_out *o)
{
	int rc = snap_writer_error(&o->w);

	if (rc == 0 && o->w.len)
		rc = out_send(o, o->w.buf, o->w.len);
	if (rc < 0)
		return rc;
	o->crc = mig_crc_stream(o->crc, o->w.buf, o->w.len, o->total == 0);
	o->total += o->w.len;
	o->w.len = 0;
	out_params(o);
	out_publish(o);
	return out_cancelled(o) && !o->final ? -ECANCELED : 0;
}

/* The stream's CRC run on over one section (its hl header bytes, plen
 * bytes of payload, its CRC), the payload's CRC taken from the section,
 * which was checked or computed already. */
static uint32_t mig_crc_section(uint32_t crc, const uint8_t *sec, size_t hl,
				uint32_t plen)
{
	uint32_t pcrc;

	memcpy(&pcrc, sec + hl + plen, 4);
	crc = snap_crc32_update(crc, sec, hl);
	crc = (uint32_t)crc32_combine(crc, le32toh(pcrc), (z_off_t)plen);
	return snap_crc32_update(crc, sec + hl + plen, 4);
}

uint32_t mig_crc_stream(uint32_t crc, const uint8_t *p, size_t n, bool head)
{
	size_t at = 0;

	if (head) {
		at = MIN(n, (size_t)MIG_HEADER_LEN);
		crc = snap_crc32_update(crc, p, at);
	}
	while (at < n) {
		size_t hl, need;
		uint32_t plen;

		if (n - at < 3 || n - at < 3 + (size_t)p[at + 2] + 8u)
			break;
		hl = 3 + (size_t)p[at + 2] + 8u;
		memcpy(&plen, p + at + hl - 4, 4);
		plen = le32toh(plen);
		need = hl + (size_t)plen + 4;
		if (need > n - at)
			break;
		crc = mig_crc_section(crc, p + at, hl, plen);
		at += need;
	}
	return snap_crc32_update(crc, p + at, n - at);
}

static uint64_t count_bits(const uint64_t *bm, uint64_t words)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < words; i++)
		n += (uint64_t)__builtin_popcountll(bm[i]);
	return n;
}

/* Fold the pages written since the last call into o->bm: KVM's log (the
 * vCPUs' writes) or'ed with hv's own (its devices' and the vhost-user
 * backends'), both read and cleared here. *n: the pages o->bm now
 * holds; *hv grows by those only hv's log had. */
static int out_collect(struct mig_out *o, uint64_t *n, uint64_t *hv)
{
	struct vm *vm = o->vm;

	*n = 0;
	for (unsigned int s = 0; s < vm->nr_mem; s++) {
		uint64_t words = (vm->mem[s].size / MIG_PAGE + 63) / 64;
		uint64_t *tmp = calloc(words, 8);
		struct kvm_dirty_log dl = { .slot = s, .dirty_bitmap = tmp };

		if (!tmp)
			return -ENOMEM;
		if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &dl) < 0) {
			int rc = -errno;

			free(tmp);
			return rc;
		}
		*hv += vm_dirty_take(vm, s, tmp);
		for (uint64_t i = 0; i < words; i++)
			o->bm[s][i] |= tmp[i];
		free(tmp);
		*n += count_bits(o->bm[s], words);
	}
	return 0;
}

/* The pages of o->bm into the stream, o->bm cleared: flushed every
 * MIG_FLUSH_AT bytes, the rest left in o->w for the caller. */
static int out_send_dirty(struct mig_out *o)
{
	struct vm *vm = o->vm;
	int rc = 0;

	for (unsigned int s = 0; s < vm->nr_mem && rc == 0; s++) {
		const struct vm_mem_region *r = &vm->mem[s];
		uint64_t pages = r->size / MIG_PAGE;

		/* a word at a time: most words of a dirty set are 0 */
		for (uint64_t i = 0; i < (pages + 63) / 64 && rc == 0; i++)
			while (o->bm[s][i] && rc == 0) {
				uint64_t p = i * 64 + (uint64_t)
					     __builtin_ctzll(o->bm[s][i]);

				o->bm[s][i] &= o->bm[s][i] - 1;
				if (p >= pages)
					continue;
				mig_ram_page(&o->ram, &o->w,
					     r->gpa + p * MIG_PAGE,
					     r->hva + p * MIG_PAGE);
				if (o->w.len >= MIG_FLUSH_AT && o->ram.n == 0)
					rc = out_flush(o);
			}
	}
	mig_ram_close(&o->ram, &o->w);
	return rc;
}

/* out_send_dirty, its bytes and wall time counted for the estimate of
 * the last pass's bandwidth (out_rounds). */
static int out_send_dirty_timed(struct mig_out *o)
{
	uint64_t t0 = mono_ns(), b0 = o->send_bytes, p0 = o->ram.sent;
	int rc = out_send_dirty(o);

	if (rc == 0)
		rc = out_flush(o);
	o->round_pages = o->ram.sent - p0;
	o->round_ns = mono_ns() - t0;

	o->dirty_ns += mono_ns() - t0;
	o->dirty_bytes += o->send_bytes - b0;
	return rc;
}

/* hv's own log and every device's (vhost-user backends) on; on failure
 * nothing stays on. dev_lock held. */
static int log_start(struct vm *vm, char *msg, size_t msglen)
{
	unsigned int i;
	int rc = vm_dirty_start(vm);

	if (rc < 0) {
		snprintf(msg, msglen, "hv's dirty log: %s", strerror(-rc));
		return rc;
	}
	for (i = 0; i < vm->nr_devs && rc == 0; i++)
		if (vm->devs[i].ops->dirty_log)
			rc = vm->devs[i].ops->dirty_log(vm->devs[i].dev, true,
							msg, msglen);
	if (rc == 0)
		return 0;
	while (i-- > 0)
		if (vm->devs[i].ops->dirty_log)
			vm->devs[i].ops->dirty_log(vm->devs[i].dev, false,
						   NULL, 0);
	vm_dirty_stop(vm);
	return rc;
}

/* Every device's log off, then hv's. dev_lock held. */
static void log_stop(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_devs; i++)
		if (vm->devs[i].ops->dirty_log)
			vm->devs[i].ops->dirty_log(vm->devs[i].dev, false,
						   NULL, 0);
	vm_dirty_stop(vm);
}

static int dirty_log(struct vm *vm, bool on)
{
	for (unsigned int i = 0; i < vm->nr_mem; i++) {
		struct kvm_userspace_memory_region kr = {
			.slot = i,
			.flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
			.guest_phys_addr = vm->mem[i].gpa,
			.memory_size = vm->mem[i].size,
			.userspace_addr = (uintptr_t)vm->mem[i].hva,
		};

		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &kr) < 0)
			return -errno;
	}
	return 0;
}

/* Round 1: every page (the logs, on since before, catch what the guest
 * writes meanwhile). */
static int out_round_full(struct mig_out *o)
{
	struct vm *vm = o->vm;
	uint8_t *holes[2] = { NULL, NULL };
	uint64_t done = 0;
	int rc;

	/* Pages the guest never touched are holes of the memfd: a zero
	 * marker each, not read (reading would allocate every one of them,
	 * most of an idle guest's RAM). Mapped with the logs on: a hole
	 * written from now on is in the next round. */
	if (mig_holes_init(vm, holes) < 0)
		log_warn("migrate: cannot map the holes of guest memory (%m): "
			 "every page is read");
	o->prog.rounds = 1;
	o->round_pages = o->ram.sent;
	o->round_ns = mono_ns();
	for (unsigned int s = 0; s < vm->nr_mem; s++)
		for (uint64_t off = 0; off < vm->mem[s].size; off += MIG_PAGE) {
			bool hole = s < 2 && holes[s] && holes[s][off / MIG_PAGE];

			mig_ram_page(&o->ram, &o->w, vm->mem[s].gpa + off,
				     hole ? NULL : vm->mem[s].hva + off);
			done += MIG_PAGE;
			if (o->w.len >= MIG_FLUSH_AT && o->ram.n == 0) {
				o->prog.remaining = vm->mem_size - done;
				if ((rc = out_flush(o)) < 0) {
					mig_holes_free(holes);
					return rc;
				}
			}
		}
	mig_holes_free(holes);
	mig_ram_close(&o->ram, &o->w);
	rc = out_flush(o);
	o->round_pages = o->ram.sent - o->round_pages;
	o->round_ns = mono_ns() - o->round_ns;
	return rc;
}

/* The pre-copy rounds after the first, until the dirty set fits the
 * downtime at the bandwidth measured (mig_converge) or MIG_ROUNDS_MAX
 * rounds ran out (o->give_up, msg). The last round's pages stay in
 * o->bm for the last pass. */
static const char *ms_txt(uint64_t ms, char *buf, size_t len)
{
	snprintf(buf, len, "%llu", (unsigned long long)ms);
	return buf;
}

static int out_rounds(struct mig_out *o, struct mig_stats *st, char *msg,
		      size_t msglen)
{
	char t[24];

	uint64_t t0 = o->prog.start_ns, n = 0, prev = 0, expect;
	unsigned int catch_up = 0;	/* rounds sent at once, the set fitting */
	bool at_once = false;
	enum mig_decision dec;
	int rc;

	for (;;) {
		uint64_t now = mono_ns(), dt;

		if (o->prog.rounds > 1 && !at_once && now - t0 <
		    MIG_ROUND_MIN_MS * 1000000ull) {
			struct pollfd pf = {
				.fd = o->job ? mig_job_cancel_fd(o->job) : -1,
				.events = POLLIN,
			};

			poll(&pf, 1, (int)((t0 + MIG_ROUND_MIN_MS * 1000000ull
					    - now) / 1000000) + 1);
			if (out_cancelled(o))
				return -ECANCELED;
			now = mono_ns();
		}
		dt = now - t0;
		if ((rc = out_collect(o, &n, &st->hv_pages)) < 0)
			return rc;
		out_params(o);
		o->prog.bw = mig_bw_estimate(o->send_bytes, o->send_ns,
					     o->params.bandwidth);
		/* after a dirty round, what the rounds of dirty pages really
		 * moved per second of their wall time (scan, copy, send):
		 * the first round's zero pages and a large socket buffer
		 * make the bytes over the time spent writing them optimistic */
		if (o->dirty_ns)
			o->prog.bw = MIN(o->prog.bw,
					 mig_bw_estimate(o->dirty_bytes,
							 o->dirty_ns,
							 o->params.bandwidth));
		o->prog.dirty_rate = mig_rate(n, dt);
		o->prog.remaining = n * MIG_PAGE;
		dec = mig_converge(n * MIG_PAGE +
				   MIG_STATE_EST(o->vm->cfg.vcpus), o->prog.bw,
				   o->params.downtime_ms, o->prog.rounds,
				   now - o->prog.start_ns >= MIG_GIVE_UP_MIN_MS *
				   1000000ull ? MIG_ROUNDS_MAX + 1 : UINT_MAX,
				   &expect);
		if (o->job && mig_job_user_paused(o->job))
			dec = MIG_SWITCH;	/* paused: nothing to wait for */
		o->prog.expect_ms = expect;
		out_publish(o);
		log_info("migrate: after round %u (%llu pages sent in %.1f ms: "
			 "%llu pages/s): %llu dirty pages, %llu "
			 "bytes/s, downtime %llu ms expected (max %u)",
			 o->prog.rounds, (unsigned long long)o->round_pages,
			 (double)o->round_ns / 1e6,
			 (unsigned long long)mig_rate(o->round_pages,
						      o->round_ns),
			 (unsigned long long)n,
			 (unsigned long long)o->prog.bw,
			 (unsigned long long)expect, o->params.downtime_ms);
		/* It fits, but while it is larger than a last pass needs
		 * to be and still shrinks, it is sent while the guest runs
		 * and the next round follows at once (mig_catch_up): the
		 * pause then has only what the guest wrote during that
		 * short round, not a whole round's set (at least
		 * MIG_ROUND_MIN_MS of its writes, more after the full round:
		 * 100-200 pages of an idle 64 MiB guest, whose last pass
		 * took 40-50 ms on a loaded machine). */
		at_once = dec == MIG_SWITCH &&
			  !(o->job && mig_job_user_paused(o->job)) &&
			  mig_catch_up(n, prev, catch_up);
		if (dec == MIG_SWITCH && !at_once)
			return 0;
		if (dec == MIG_GIVE_UP) {
			o->give_up = true;
			/* short: it ends up in a 256-byte RPC error */
			snprintf(msg, msglen, "did not converge in %u rounds: "
				 "%llu KiB stay dirty, %s ms at %llu KiB/s, "
				 "over the max downtime of %u ms; raise it "
				 "(virsh migrate-setmaxdowntime) or the "
				 "bandwidth", o->prog.rounds,
				 (unsigned long long)(n * MIG_PAGE >> 10),
				 expect == UINT64_MAX ? "?" : ms_txt(expect, t,
								     sizeof(t)),
				 (unsigned long long)(o->prog.bw >> 10),
				 o->params.downtime_ms);
			return -ETIMEDOUT;
		}
		catch_up += at_once;
		prev = n;
		t0 = mono_ns();
		if (o->prog.rounds - 1 < MIG_ROUNDS_MAX)
			st->round_pages[o->prog.rounds - 1] = n;
		o->prog.rounds++;
		if ((rc = out_send_dirty_timed(o)) < 0)
			return rc;
	}
}

/* At the switch-over only, a send buffer of MIG_SOCK_BUF (the kernel
 * caps it at net.core.wmem_max, 4 MiB on Debian): the last pass and the
 * state go into the socket at once instead of waiting, paused, for the
 * destination to be scheduled and drain the default 208 KiB, one
 * handoff per 208 KiB (tens of ms each on a loaded host). Not before:
 * during the rounds the small buffer keeps the source within 208 KiB of
 * what the destination has applied, so the switch-over never waits for
 * a backlog (a 4 MiB buffer from the start let the first round's 3 MB
 * sit unread on a busy destination: 0.5-1.2 s of downtime). Best effort:
 * the default works, only slower. */
#define MIG_SOCK_BUF		(4u << 20)

static void out_sock_buf(struct mig_out *o)
{
	int n = MIG_SOCK_BUF, one = 1;

	setsockopt(o->fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof(n));
	/* tcp: the tail of the last write goes at once, not after the
	 * destination's (possibly delayed) ack of what went before
	 * (Nagle); a unix socket refuses it, harmlessly */
	setsockopt(o->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* The switch-over: vCPUs paused, devices quiesced, the last dirty
 * pages, "ram-end", CPU/VM/device state, "end". */
static int out_stop_copy(struct mig_out *o, struct mig_stats *st, char *msg,
			 size_t msglen)
{
	struct vm *vm = o->vm;
	uint64_t n = 0;
	int rc;

	o->prog.phase = MIG_PH_STOPCOPY;
	out_publish(o);
	st->sw[MIG_SW_PAUSE] = mono_ns();
	out_sock_buf(o);
	rc = vcpu_pause_all(vm);
	st->sw[MIG_SW_PAUSED] = mono_ns();
	if (rc < 0 && rc != -EALREADY) {
		snprintf(msg, msglen, "vCPUs did not stop: %s", strerror(-rc));
		return rc;
	}
	/* dev_lock from here until the state is built: the loop's device
	 * callbacks (console input, a backend reconnecting) would write
	 * guest memory after the last collect. Disk answers land and
	 * backends stop writing before the last pass, which then has
	 * every write since the last round. */
	pthread_mutex_lock(&vm->dev_lock);
	rc = mig_drain(vm, msg, msglen);
	if (rc == 0) {
		mig_quiesce(vm, true);
		o->quiesced = true;
	}
	st->sw[MIG_SW_QUIESCED] = mono_ns();
	if (rc == 0)
		rc = out_collect(o, &n, &st->hv_pages);
	st->sw[MIG_SW_COLLECTED] = mono_ns();
	if (rc == 0)
		rc = out_send_dirty(o);
	st->sw[MIG_SW_PAGES] = mono_ns();
	if (rc == 0) {
		st->final_pages = n;
		mig_put_ram_end(&o->w, o->ram.sent);
		rc = mig_put_state(vm, &o->w);
		st->sw[MIG_SW_STATE] = mono_ns();
		if (rc < 0)
			snprintf(msg, msglen, "building the state: %s",
				 strerror(-rc));
	}
	pthread_mutex_unlock(&vm->dev_lock);
	if (rc == 0)
		rc = snap_writer_error(&o->w);
	if (rc < 0)
		return rc;
	st->pages = o->ram.sent;
	/* from here a cancel is refused (the job sees the phase under its
	 * lock); one accepted before is seen now (what is in o->w then
	 * never goes: the stream ends on the last section flushed) */
	o->prog.phase = MIG_PH_WAITING;
	out_publish(o);
	if (out_cancelled(o))
		return -ECANCELED;
	o->final = true;
	/* the last pass, the state and "end" in one write: one wake-up of
	 * the destination, not one per piece */
	mig_put_end_crc(&o->w, o->total + o->w.len,
			mig_crc_stream(o->crc, o->w.buf, o->w.len,
				       o->total == 0));
	if ((rc = out_flush(o)) < 0)
		return rc;
	st->sw[MIG_SW_SENT] = mono_ns();
	st->bytes = o->total;
	return 0;
}

/* Everything up to and including the end section, vCPUs paused at the
 * end; 0 or -errno with msg. */
static int out_stream(struct mig_out *o, struct mig_stats *st, char *msg,
		      size_t msglen)
{
	int rc;

	o->prog.phase = MIG_PH_PRECOPY;
	mig_put_header(o->vm, &o->w, MIG_F_CPU);
	rc = out_round_full(o);
	if (rc == 0)
		rc = out_rounds(o, st, msg, msglen);
	st->rounds = o->prog.rounds;
	if (rc == 0)
		rc = out_stop_copy(o, st, msg, msglen);
	if (rc == -ECANCELED)
		snprintf(msg, msglen, "migration cancelled");
	else if (rc < 0 && !msg[0])
		snprintf(msg, msglen, "sending the stream: %s", strerror(-rc));
	return rc;
}

/* After a cancel on a section boundary: a "cancel" section tells the
 * destination why the stream ends (it exits saying so). */
static void out_send_cancel(struct mig_out *o)
{
	size_t mark;

	if (o->cut)
		return;
	o->w.len = 0;
	snap_section_begin(&o->w, "cancel", 1, &mark);
	snap_section_end(&o->w, mark);
	o->cancel_by = mono_ns() + MIG_CANCEL_GRACE_MS * 1000000ull;
	if (!snap_writer_error(&o->w))
		out_send(o, o->w.buf, o->w.len);
	o->w.len = 0;
}

int mig_out_ack(int fd, char *msg, size_t msglen)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct timeval tv = { .tv_sec = MIG_ERR_MSG_TIMEOUT_MS / 1000 };
	char buf[512];
	ssize_t k;

	shutdown(fd, SHUT_WR);
	if (poll(&p, 1, MIG_ACK_TIMEOUT_MS) <= 0) {
		snprintf(msg, msglen, "no answer from the destination");
		return -ETIMEDOUT;
	}
	/* the verdict byte alone: 'K' is final, whether or not the peer
	 * closes after it (waiting for 511 bytes or EOF would let a
	 * destination that stays connected hold this hv forever) */
	k = recv(fd, buf, 1, 0);
	if (k == 1 && buf[0] == 'K')
		return 0;
	if (k == 1 && buf[0] == 'E') {
		ssize_t m;

		/* its message up to EOF, a bounded wait */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		m = recv(fd, buf + 1, sizeof(buf) - 2, MSG_WAITALL);
		k = 1 + (m > 0 ? m : 0);
		buf[k] = '\0';
		snprintf(msg, msglen, "destination refused the stream: %s",
			 buf + 1);
		return -EPROTO;
	}
	snprintf(msg, msglen, "destination closed without an answer");
	return -ECONNRESET;
}

/* The source's switch-over, step by step (info): where the downtime
 * goes on this side; the destination logs its own (mig_incoming). */
static void out_log_times(const struct mig_stats *st)
{
	const uint64_t *t = st->sw;
#define D(a, b) ((double)(t[b] - t[a]) / 1e6)

	log_info("migrate: switch-over at %llu.%06llu (monotonic): pause "
		 "%.3f ms, devices quiesced %.3f ms, last dirty set %.3f ms, "
		 "%llu pages %.3f ms, state %.3f ms, sent %.3f ms, answer "
		 "%.3f ms; %.3f ms paused until the answer",
		 (unsigned long long)(t[MIG_SW_PAUSE] / 1000000000ull),
		 (unsigned long long)(t[MIG_SW_PAUSE] % 1000000000ull / 1000),
		 D(MIG_SW_PAUSE, MIG_SW_PAUSED),
		 D(MIG_SW_PAUSED, MIG_SW_QUIESCED),
		 D(MIG_SW_QUIESCED, MIG_SW_COLLECTED),
		 (unsigned long long)st->final_pages,
		 D(MIG_SW_COLLECTED, MIG_SW_PAGES),
		 D(MIG_SW_PAGES, MIG_SW_STATE), D(MIG_SW_STATE, MIG_SW_SENT),
		 D(MIG_SW_SENT, MIG_SW_ACK), D(MIG_SW_PAUSE, MIG_SW_ACK));
#undef D
}

static int out_init(struct mig_out *o)
{
	struct vm *vm = o->vm;

	for (unsigned int s = 0; s < vm->nr_mem; s++) {
		o->bm[s] = calloc((vm->mem[s].size / MIG_PAGE + 63) / 64, 8);
		if (!o->bm[s])
			return -ENOMEM;
	}
	o->params.downtime_ms = MIG_DOWNTIME_DEFAULT_MS;
	o->prog.start_ns = mono_ns();
	o->prog.total = vm->mem_size;
	o->prog.remaining = vm->mem_size;
	o->prog.expect_ms = UINT64_MAX;		/* nothing measured yet */
	mig_bucket_init(&o->bucket, 0, o->prog.start_ns);
	out_params(o);
	return 0;
}

int mig_migrate(struct vm *vm, struct mig_job *job, const char *uri,
		struct mig_stats *st, char *msg, size_t msglen)
{
	struct mig_out o = { .vm = vm, .job = job, .fd = -1 };
	bool was_paused = vm_state(vm) == CORE_PAUSED;
	int rc;

	msg[0] = '\0';
	rc = out_init(&o);
	if (rc < 0) {
		snprintf(msg, msglen, "out of memory");
		goto out;
	}
	o.fd = mig_socket(uri, false, msg, msglen);
	if (o.fd < 0) {
		rc = o.fd;
		goto out;
	}
	snap_writer_init(&o.w, MIG_FLUSH_AT + vm->mem_size / 64 + (16u << 20));
	pthread_mutex_lock(&vm->dev_lock);
	rc = log_start(vm, msg, msglen);
	pthread_mutex_unlock(&vm->dev_lock);
	if (rc == 0 && (rc = dirty_log(vm, true)) < 0)
		snprintf(msg, msglen, "KVM dirty log: %s", strerror(-rc));
	if (rc == 0)
		rc = out_stream(&o, st, msg, msglen);
	if (rc == -EPIPE || rc == -ECONNRESET) {
		/* the destination refused the stream (it checks the
		 * configuration first, each RAM section as it comes) and
		 * closed: its reason rather than our broken pipe */
		char why[400];

		if (mig_out_ack(o.fd, why, sizeof(why)) == -EPROTO)
			snprintf(msg, msglen, "%s", why);
	}
	if (rc == -ECANCELED || o.give_up)	/* the destination is told */
		out_send_cancel(&o);
	if (rc == 0) {
		rc = mig_out_ack(o.fd, msg, msglen);
		st->sw[MIG_SW_ACK] = mono_ns();
	}
	if (rc == 0)
		out_log_times(st);
	snap_writer_free(&o.w);
	close(o.fd);
	/* logging off before the backends' rings restart (a failure after
	 * the switch-over began): they go on without LOG_ALL */
	pthread_mutex_lock(&vm->dev_lock);
	if (vm->dirty)
		log_stop(vm);
	if (rc < 0 && o.quiesced)
		mig_quiesce(vm, false);
	pthread_mutex_unlock(&vm->dev_lock);
	if (rc == 0)
		goto out;	/* the caller stops this hv: the guest moved */
	dirty_log(vm, false);
	if (!was_paused && !(job && mig_job_user_paused(job)))
		vcpu_resume_all(vm);
out:
	for (unsigned int s = 0; s < ARRAY_SIZE(o.bm); s++)
		free(o.bm[s]);
	return rc;
}

/* ---- destination ---- */

/*
 * The receiving side. Sections arrive one by one: header and config are
 * checked first (mig_check_head); each "ram" section is checked and
 * written into guest RAM as it comes (mig_apply_ram), so the rounds of a
 * live migration are in place while the source's guest still runs and
 * the switch-over waits only for the last round and the state; the
 * other sections are kept and checked and loaded after "end"
 * (mig_load_live), with the whole-stream CRC computed here. Limits: the
 * kept part at most MIG_IN_KEEP_MAX; the stream at most 200 x RAM + 1 GiB
 * (RAM is not kept: this only ends a source that never stops; hv's own
 * sources give up after MIG_GIVE_UP_MIN_MS).
 */
#define MIG_IN_KEEP_MAX		(64u << 20)

/* The last successful incoming migration's marks (mig_incoming_log_times). */
static uint64_t in_times[MIG_IN_N];

void mig_incoming_log_times(const uint64_t run[MIG_RUN_N])
{
	const uint64_t *t = in_times;
	uint64_t running_ns = run[MIG_RUN_GO];
#define D(a, b) ((double)((b) - (a)) / 1e6)

	log_info("incoming migration: ram-end at %llu.%06llu (monotonic): "
		 "stream end %.3f ms, check %.3f ms, vCPU/VM state %.3f ms, "
		 "devices and RARP %.3f ms, answer %.3f ms, guest running "
		 "%.3f ms (control socket %.3f, privileges %.3f, vCPU threads "
		 "%.3f, seccomp %.3f, let go %.3f); running at %llu.%06llu",
		 (unsigned long long)(t[MIG_IN_RAM_END] / 1000000000ull),
		 (unsigned long long)(t[MIG_IN_RAM_END] % 1000000000ull / 1000),
		 D(t[MIG_IN_RAM_END], t[MIG_IN_END]),
		 D(t[MIG_IN_END], t[MIG_IN_CHECKED]),
		 D(t[MIG_IN_CHECKED], t[MIG_IN_CPU]),
		 D(t[MIG_IN_CPU], t[MIG_IN_DEVICES]),
		 D(t[MIG_IN_DEVICES], t[MIG_IN_ANSWERED]),
		 D(t[MIG_IN_ANSWERED], running_ns),
		 D(run[MIG_RUN_START], run[MIG_RUN_CONTROL]),
		 D(run[MIG_RUN_CONTROL], run[MIG_RUN_PRIVILEGES]),
		 D(run[MIG_RUN_PRIVILEGES], run[MIG_RUN_THREADS]),
		 D(run[MIG_RUN_THREADS], run[MIG_RUN_SECCOMP]),
		 D(run[MIG_RUN_SECCOMP], run[MIG_RUN_GO]),
		 (unsigned long long)(running_ns / 1000000000ull),
		 (unsigned long long)(running_ns % 1000000000ull / 1000));
#undef D
}

int mig_incoming(struct vm *vm, const char *uri, char *msg, size_t msglen)
{
	size_t cap = 1u << 20, len = 0;
	uint64_t max = 200 * vm->mem_size + (1ull << 30), at = 0;
	uint8_t *buf = malloc(cap), *sec = NULL;
	size_t sec_cap = 0;
	char name[SNAP_NAME_MAX + 1] = "";
	struct mig_live_in live = { 0 };
	bool head_ok = false, ram_end = false;
	uint32_t crc = 0;
	int lfd, fd, rc = 0;

	if (!buf)
		return -ENOMEM;
	lfd = mig_socket(uri, true, msg, msglen);
	if (lfd < 0) {
		free(buf);
		return lfd;
	}
	if (mig_holes_init(vm, live.holes) < 0)
		log_warn("incoming migration: cannot map the holes of guest "
			 "memory (%m): every zero page is checked");
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(msg, msglen, "%s: accept: %s", uri, strerror(-rc));
		goto out;
	}
	/* a source that connects and goes silent must not keep this hv
	 * (its control socket not open yet) waiting forever */
	{
		struct timeval tv = {
			.tv_sec = mig_recv_timeout_ms / 1000,
			.tv_usec = (mig_recv_timeout_ms % 1000) * 1000,
		};

		if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
			       sizeof(tv)) < 0) {
			rc = -errno;
			snprintf(msg, msglen, "%s: SO_RCVTIMEO: %s", uri,
				 strerror(-rc));
			goto out;
		}
	}
	/* header, then sections until "end" (each: magic, name length,
	 * name, version, payload length, payload, CRC) */
	rc = recv_all(fd, buf, MIG_HEADER_LEN);
	len = MIG_HEADER_LEN;
	at = MIG_HEADER_LEN;
	if (rc == 0 && memcmp(buf, MIG_MAGIC, 8) != 0) {
		/* anyone who can connect (tcp:): refused before buffering
		 * whatever it sends */
		snprintf(msg, msglen, "%s: not an xvm state stream (bad "
			 "magic)", uri);
		rc = -EINVAL;
		send_all(fd, "Ebad magic", 10);
		goto out;
	}
	if (rc == 0)
		crc = snap_crc32_update(0, buf, MIG_HEADER_LEN);
	while (rc == 0 && strcmp(name, "end") != 0) {
		uint8_t h[3 + SNAP_NAME_MAX + 8], *dst;
		uint32_t plen;
		size_t need, hl;
		bool is_ram;

		if ((rc = recv_all(fd, h, 3)) < 0)
			break;
		if (h[2] == 0 || h[2] > SNAP_NAME_MAX) {
			rc = -EPROTO;
			break;
		}
		if ((rc = recv_all(fd, h + 3, h[2] + 8u)) < 0)
			break;
		memcpy(name, h + 3, h[2]);
		name[h[2]] = '\0';
		if (!strcmp(name, "cancel")) {	/* the source gave up */
			rc = -ECANCELED;
			break;
		}
		memcpy(&plen, h + 3 + h[2] + 4, 4);
		plen = le32toh(plen);
		hl = 3 + h[2] + 8u;
		need = hl + (size_t)plen + 4;
		is_ram = !strcmp(name, "ram");
		if (at + need > max || (!is_ram && len + need > MIG_IN_KEEP_MAX)) {
			snprintf(msg, msglen, "%s: the stream is longer than "
				 "this hv takes (%llu MiB in all, %u MiB "
				 "besides RAM)", uri,
				 (unsigned long long)(max >> 20),
				 MIG_IN_KEEP_MAX >> 20);
			rc = -E2BIG;
			goto refuse;
		}
		if (is_ram && (!head_ok || ram_end)) {
			snprintf(msg, msglen, "%s: a ram section %s", uri,
				 ram_end ? "after the end of RAM" :
				 "before the configuration");
			rc = -EINVAL;
			goto refuse;
		}
		if (is_ram) {		/* into its own buffer, applied */
			if (need > sec_cap) {
				uint8_t *nb = realloc(sec, need);

				if (!nb) {
					rc = -ENOMEM;
					break;
				}
				sec = nb;
				sec_cap = need;
			}
			dst = sec;
		} else {		/* kept */
			if (len + need > cap) {
				uint8_t *nb;

				while (cap < len + need)
					cap *= 2;
				nb = realloc(buf, cap);
				if (!nb) {
					rc = -ENOMEM;
					break;
				}
				buf = nb;
			}
			dst = buf + len;
		}
		memcpy(dst, h, hl);
		rc = recv_all(fd, dst + hl, (size_t)plen + 4);
		if (rc < 0)
			break;
		if (!strcmp(name, "end")) {
			live.end_at = at;
			live.crc = crc;
			live.t[MIG_IN_END] = mono_ns();
		} else if (!is_ram) {
			crc = snap_crc32_update(crc, dst, need);
		}
		at += need;
		if (is_ram) {
			char e[400];

			if (mig_apply_ram(vm, sec, need, &live, e,
					  sizeof(e)) < 0) {
				snprintf(msg, msglen, "%s: section \"ram\" at "
					 "byte %llu: %s", uri,
					 (unsigned long long)(at - need), e);
				rc = -EINVAL;
				goto refuse;
			}
			/* its payload's CRC is checked: the stream's runs on
			 * from it without a second pass over the pages */
			crc = mig_crc_section(crc, sec, hl, plen);
			continue;
		}
		len += need;
		if (!strcmp(name, "ram-end")) {
			ram_end = true;
			live.t[MIG_IN_RAM_END] = mono_ns();
		}
		if (!head_ok) {		/* header + config: checked first */
			rc = mig_check_head(vm, buf, len, msg, msglen);
			if (rc < 0)
				goto refuse;
			head_ok = true;
			/* the guest will run here: the NICs announce it as
			 * soon as the state starts their rings (in the same
			 * batch), and set up now what needs no state (their
			 * memory table), off the switch-over's path */
			mig_announce(vm);
		}
	}
	if (rc == -ECANCELED) {
		snprintf(msg, msglen, "%s: the source cancelled the migration "
			 "(its user did, or it did not converge); its guest "
			 "runs on there", uri);
		goto out;
	}
	if (rc == -ETIMEDOUT) {
		snprintf(msg, msglen, "%s: the source sent nothing for %u s",
			 uri, (mig_recv_timeout_ms + 999) / 1000);
		goto out;
	}
	if (rc < 0) {
		snprintf(msg, msglen, "%s: receiving the stream: %s", uri,
			 strerror(-rc));
		goto out;
	}
	rc = mig_load_live(vm, buf, len, &live, msg, msglen);
refuse:
	if (rc < 0) {
		char e[600];
		int n = snprintf(e, sizeof(e), "E%s", msg);

		send_all(fd, e, (size_t)MIN(n, (int)sizeof(e) - 1));
	} else {
		send_all(fd, "K", 1);
		live.t[MIG_IN_ANSWERED] = mono_ns();
		memcpy(in_times, live.t, sizeof(in_times));
	}
out:
	if (fd >= 0)
		close(fd);
	close(lfd);
	if (!strncmp(uri, "unix:", 5))
		unlink(uri + 5);	/* the socket bound above */
	free(buf);
	free(sec);
	mig_holes_free(live.holes);
	return rc;
}
