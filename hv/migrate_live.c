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
#include "xvm/log.h"
#include "core.h"
#include "migrate.h"
#include "vcpu.h"
#include <endian.h>

#define MIG_DIRTY_DONE		64	/* pages: few enough to pause */
#define MIG_FLUSH_AT		(4u << 20)
#define MIG_ACK_TIMEOUT_MS	120000
#define MIG_ERR_MSG_TIMEOUT_MS	5000	/* the rest of an 'E' answer */

unsigned int mig_recv_timeout_ms = 60000;

/* ---- sockets ---- */

/* "unix:PATH" or "tcp:HOST:PORT" into an address; listen or connect. */
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

struct mig_out {
	struct vm *vm;
	int fd;
	struct snap_writer w;
	uint32_t crc;		/* of everything flushed */
	uint64_t total;		/* bytes flushed */
	struct mig_ram ram;
	bool quiesced;		/* mig_quiesce(vm, true) was called */
};

static int out_flush(struct mig_out *o)
{
	int rc = snap_writer_error(&o->w);

	if (rc == 0 && o->w.len)
		rc = send_all(o->fd, o->w.buf, o->w.len);
	if (rc < 0)
		return rc;
	o->crc = snap_crc32_update(o->crc, o->w.buf, o->w.len);
	o->total += o->w.len;
	o->w.len = 0;
	return 0;
}

/* Send the pages written since the last call: KVM's log (the vCPUs'
 * writes) or'ed with hv's own (its devices' and the vhost-user
 * backends'), both read and cleared here; *n their count, *hv how many
 * of them only hv's log had. */
static int out_dirty(struct mig_out *o, uint64_t *n, uint64_t *hv)
{
	struct vm *vm = o->vm;
	int rc = 0;

	*n = 0;
	for (unsigned int s = 0; s < vm->nr_mem && rc == 0; s++) {
		const struct vm_mem_region *r = &vm->mem[s];
		uint64_t pages = r->size / MIG_PAGE;
		uint64_t *bm = calloc((pages + 63) / 64, 8);
		struct kvm_dirty_log dl = { .slot = s, .dirty_bitmap = bm };

		if (!bm)
			return -ENOMEM;
		if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &dl) < 0) {
			rc = -errno;
			free(bm);
			break;
		}
		*hv += vm_dirty_take(vm, s, bm);
		for (uint64_t p = 0; p < pages && rc == 0; p++) {
			if (!(bm[p / 64] & (1ULL << (p % 64))))
				continue;
			mig_ram_page(&o->ram, &o->w, r->gpa + p * MIG_PAGE,
				     r->hva + p * MIG_PAGE);
			(*n)++;
			if (o->w.len >= MIG_FLUSH_AT && o->ram.n == 0)
				rc = out_flush(o);
		}
		free(bm);
	}
	mig_ram_close(&o->ram, &o->w);
	return rc ? rc : out_flush(o);
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

/* Everything up to and including the end section, vCPUs paused at the
 * end; 0 or -errno with msg. */
static int out_stream(struct mig_out *o, struct mig_stats *st, char *msg,
		      size_t msglen)
{
	struct vm *vm = o->vm;
	uint64_t n = 0;
	int rc;

	mig_put_header(vm, &o->w, MIG_F_CPU);
	/* round 0: every page (the log, on since before, catches what the
	 * guest writes meanwhile) */
	for (unsigned int s = 0; s < vm->nr_mem; s++)
		for (uint64_t off = 0; off < vm->mem[s].size; off += MIG_PAGE) {
			mig_ram_page(&o->ram, &o->w, vm->mem[s].gpa + off,
				     vm->mem[s].hva + off);
			if (o->w.len >= MIG_FLUSH_AT && o->ram.n == 0 &&
			    (rc = out_flush(o)) < 0)
				goto net;
		}
	mig_ram_close(&o->ram, &o->w);
	if ((rc = out_flush(o)) < 0)
		goto net;
	st->rounds = 1;
	for (unsigned int r = 1; r <= MIG_ROUNDS_MAX; r++) {
		if ((rc = out_dirty(o, &n, &st->hv_pages)) < 0)
			goto net;
		st->round_pages[r - 1] = n;
		st->rounds++;
		log_info("migrate: round %u: %llu dirty pages", r,
			 (unsigned long long)n);
		if (n <= MIG_DIRTY_DONE)
			break;
	}
	rc = vcpu_pause_all(vm);
	if (rc < 0 && rc != -EALREADY) {
		snprintf(msg, msglen, "vCPUs did not stop: %s", strerror(-rc));
		return rc;
	}
	pthread_mutex_lock(&vm->dev_lock);
	/* disk answers land and backends stop writing before the last
	 * pass, which then has every write since the last round */
	mig_quiesce(vm, true);
	o->quiesced = true;
	rc = out_dirty(o, &n, &st->hv_pages);
	if (rc == 0) {
		mig_put_ram_end(&o->w, o->ram.sent);
		rc = mig_put_state(vm, &o->w);
		if (rc < 0)
			snprintf(msg, msglen, "building the state: %s",
				 strerror(-rc));
	}
	pthread_mutex_unlock(&vm->dev_lock);
	if (rc < 0 && !msg[0])
		goto net;
	if (rc < 0)
		return rc;
	if ((rc = out_flush(o)) < 0)
		goto net;
	st->final_pages = n;
	st->pages = o->ram.sent;
	mig_put_end_crc(&o->w, o->total, o->crc);
	if ((rc = out_flush(o)) < 0)
		goto net;
	st->bytes = o->total;
	return 0;
net:
	snprintf(msg, msglen, "sending the stream: %s", strerror(-rc));
	return rc;
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

int mig_migrate(struct vm *vm, const char *uri, struct mig_stats *st,
		char *msg, size_t msglen)
{
	struct mig_out o = { .vm = vm, .fd = -1 };
	bool was_paused = vm_state(vm) == CORE_PAUSED;
	int rc;

	msg[0] = '\0';
	o.fd = mig_socket(uri, false, msg, msglen);
	if (o.fd < 0)
		return o.fd;
	snap_writer_init(&o.w, MIG_FLUSH_AT + vm->mem_size / 64 + (16u << 20));
	pthread_mutex_lock(&vm->dev_lock);
	rc = log_start(vm, msg, msglen);
	pthread_mutex_unlock(&vm->dev_lock);
	if (rc == 0 && (rc = dirty_log(vm, true)) < 0)
		snprintf(msg, msglen, "KVM dirty log: %s", strerror(-rc));
	if (rc == 0)
		rc = out_stream(&o, st, msg, msglen);
	if (rc == 0)
		rc = mig_out_ack(o.fd, msg, msglen);
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
		return 0;	/* the caller stops this hv: the guest moved */
	dirty_log(vm, false);
	if (!was_paused)
		vcpu_resume_all(vm);
	return rc;
}

/* ---- destination ---- */

int mig_incoming(struct vm *vm, const char *uri, char *msg, size_t msglen)
{
	size_t cap = 1u << 20, len = 0,
	       max = 8 * vm->mem_size + (64u << 20);
	uint8_t *buf = malloc(cap);
	char name[SNAP_NAME_MAX + 1] = "";
	int lfd, fd, rc = 0;

	if (!buf)
		return -ENOMEM;
	lfd = mig_socket(uri, true, msg, msglen);
	if (lfd < 0) {
		free(buf);
		return lfd;
	}
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
	if (rc == 0 && memcmp(buf, MIG_MAGIC, 8) != 0) {
		/* anyone who can connect (tcp:): refused before buffering
		 * up to 8 x RAM of whatever it sends */
		snprintf(msg, msglen, "%s: not an xvm state stream (bad "
			 "magic)", uri);
		rc = -EINVAL;
		send_all(fd, "Ebad magic", 10);
		goto out;
	}
	while (rc == 0 && strcmp(name, "end") != 0) {
		uint8_t h[3 + SNAP_NAME_MAX + 8];
		uint32_t plen;
		size_t need;

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
		memcpy(&plen, h + 3 + h[2] + 4, 4);
		plen = le32toh(plen);
		need = 3 + h[2] + 8u + (size_t)plen + 4;
		if (len + need > max) {
			rc = -E2BIG;
			break;
		}
		if (len + need > cap) {
			uint8_t *nb;

			while (cap < len + need)
				cap *= 2;
			cap = MIN(cap, max);	/* len + need <= max */
			nb = realloc(buf, cap);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
		}
		memcpy(buf + len, h, 3 + h[2] + 8u);
		rc = recv_all(fd, buf + len + 3 + h[2] + 8u, (size_t)plen + 4);
		len += need;
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
	rc = mig_load(vm, buf, len, msg, msglen);
	if (rc < 0) {
		char e[600];
		int n = snprintf(e, sizeof(e), "E%s", msg);

		send_all(fd, e, (size_t)MIN(n, (int)sizeof(e) - 1));
	} else {
		send_all(fd, "K", 1);
	}
out:
	if (fd >= 0)
		close(fd);
	close(lfd);
	if (!strncmp(uri, "unix:", 5))
		unlink(uri + 5);	/* the socket bound above */
	free(buf);
	return rc;
}
