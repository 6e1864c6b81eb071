/*
 * vhost-user frontend: message encoding, fd passing and reply validation
 * (QEMU docs/interop/vhost-user.rst). See vhost_user.h for the contract.
 *
 * Wire format ("Message Specification"): a 12-byte header (u32 request,
 * u32 flags, u32 payload size, little-endian like the payloads, which is
 * the host's order on x86) followed by the payload; file descriptors ride
 * as SCM_RIGHTS ancillary data of the same sendmsg.
 */
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "xvm/log.h"
#include "vhost_user.h"

struct vu_hdr {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
} __attribute__((packed));

static const char *const vu_names[] = {
	[VHOST_USER_GET_FEATURES] = "GET_FEATURES",
	[VHOST_USER_SET_FEATURES] = "SET_FEATURES",
	[VHOST_USER_SET_OWNER] = "SET_OWNER",
	[VHOST_USER_RESET_OWNER] = "RESET_OWNER",
	[VHOST_USER_SET_MEM_TABLE] = "SET_MEM_TABLE",
	[VHOST_USER_SET_LOG_BASE] = "SET_LOG_BASE",
	[VHOST_USER_SET_LOG_FD] = "SET_LOG_FD",
	[VHOST_USER_SET_VRING_NUM] = "SET_VRING_NUM",
	[VHOST_USER_SET_VRING_ADDR] = "SET_VRING_ADDR",
	[VHOST_USER_SET_VRING_BASE] = "SET_VRING_BASE",
	[VHOST_USER_GET_VRING_BASE] = "GET_VRING_BASE",
	[VHOST_USER_SET_VRING_KICK] = "SET_VRING_KICK",
	[VHOST_USER_SET_VRING_CALL] = "SET_VRING_CALL",
	[VHOST_USER_SET_VRING_ERR] = "SET_VRING_ERR",
	[VHOST_USER_GET_PROTOCOL_FEATURES] = "GET_PROTOCOL_FEATURES",
	[VHOST_USER_SET_PROTOCOL_FEATURES] = "SET_PROTOCOL_FEATURES",
	[VHOST_USER_GET_QUEUE_NUM] = "GET_QUEUE_NUM",
	[VHOST_USER_SET_VRING_ENABLE] = "SET_VRING_ENABLE",
	[VHOST_USER_SEND_RARP] = "SEND_RARP",
	[VHOST_USER_GET_CONFIG] = "GET_CONFIG",
	[VHOST_USER_SET_CONFIG] = "SET_CONFIG",
};

const char *vhost_user_req_name(uint32_t req)
{
	if (req < ARRAY_SIZE(vu_names) && vu_names[req])
		return vu_names[req];
	return "unknown request";
}

void vhost_user_init(struct vhost_user *vu)
{
	*vu = (struct vhost_user){ .fd = -1,
				   .timeout_ms = VHOST_USER_TIMEOUT_MS };
}

bool vhost_user_connected(const struct vhost_user *vu)
{
	return vu->fd >= 0;
}

void vhost_user_close(struct vhost_user *vu)
{
	if (vu->fd >= 0)
		close(vu->fd);
	vu->fd = -1;
	vu->broken = false;
	vu->batch = false;
	vu->pending = 0;
	vu->features = vu->protocol_features = 0;
}

int vhost_user_attach(struct vhost_user *vu, int fd)
{
	if (fd < 0)
		return -EBADF;
	vhost_user_close(vu);
	vu->fd = fd;
	return 0;
}

int vhost_user_connect(struct vhost_user *vu, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return vhost_user_attach(vu, fd);
}

/* ---- sending ---- */

static int vu_fail(struct vhost_user *vu, int rc, uint32_t req,
		   const char *what)
{
	vu->broken = true;
	log_warn("vhost-user: %s: %s (%s)", vhost_user_req_name(req), what,
		 strerror(-rc));
	return rc;
}

static int vu_send_raw(struct vhost_user *vu, uint32_t req, uint32_t flags,
		       const void *payload, uint32_t len, const int *fds,
		       unsigned int nfds)
{
	uint8_t buf[VHOST_USER_HDR_SIZE + VHOST_USER_MAX_PAYLOAD];
	char ctl[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)];
	struct vu_hdr h = { req, VHOST_USER_VERSION | flags, len };
	struct iovec iov = { buf, VHOST_USER_HDR_SIZE + len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (vu->fd < 0 || vu->broken)
		return -ENOTCONN;
	if (len > VHOST_USER_MAX_PAYLOAD || nfds > VHOST_USER_MAX_REGIONS)
		return -EINVAL;
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + VHOST_USER_HDR_SIZE, payload, len);
	if (nfds) {
		memset(ctl, 0, sizeof(ctl));
		m.msg_control = ctl;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do {
		n = sendmsg(vu->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	/* Our messages are a few hundred bytes: a socket that cannot take
	 * one at once belongs to a backend that stopped reading. */
	if (n < 0)
		return vu_fail(vu, errno == EAGAIN ? -ETIMEDOUT : -errno, req,
			       "send failed");
	if ((size_t)n != iov.iov_len)
		return vu_fail(vu, -EPROTO, req, "short send");
	return 0;
}

static int vu_drain(struct vhost_user *vu);

/* A message; the acks of a batch still to read are read first (a reply
 * of its own comes after them). */
static int vu_send(struct vhost_user *vu, uint32_t req, uint32_t flags,
		   const void *payload, uint32_t len, const int *fds,
		   unsigned int nfds)
{
	int rc = vu_drain(vu);

	return rc < 0 ? rc : vu_send_raw(vu, req, flags, payload, len, fds,
					 nfds);
}

/* ---- receiving ---- */

static uint64_t vu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Close every fd in the ancillary data; true if there was any. */
static bool vu_drop_fds(struct msghdr *m)
{
	bool any = false;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t off = 0; CMSG_LEN(off + sizeof(int)) <= c->cmsg_len;
		     off += sizeof(int)) {
			memcpy(&fd, CMSG_DATA(c) + off, sizeof(int));
			close(fd);
			any = true;
		}
	}
	return any || (m->msg_flags & MSG_CTRUNC);
}

/* Read exactly len bytes before the deadline. Replies carry no fds: any
 * received are closed and the reply refused. */
static int vu_read(struct vhost_user *vu, void *buf, size_t len,
		   uint64_t deadline)
{
	char ctl[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)];
	size_t got = 0;

	while (got < len) {
		struct iovec iov = { (uint8_t *)buf + got, len - got };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = ctl,
				    .msg_controllen = sizeof(ctl) };
		struct pollfd p = { .fd = vu->fd, .events = POLLIN };
		uint64_t now = vu_now_ms();
		ssize_t n;

		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)(deadline - now));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		n = recvmsg(vu->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (vu_drop_fds(&m))
			return -EPROTO;
		if (n == 0)
			return -ECONNRESET;
		got += (size_t)n;
	}
	return 0;
}

/* Read the reply to req: header checks (request, version, REPLY set, no
 * other flag, exact size) before the payload is read. */
/* A reply's header: from the backend, for req, with the reply flag;
 * its payload size in h->size for the caller to check (some replies may
 * be empty). */
static int vu_reply_head(struct vhost_user *vu, uint32_t req,
			 struct vu_hdr *h, uint64_t deadline)
{
	int rc = vu_read(vu, h, sizeof(*h), deadline);

	if (rc < 0)
		return vu_fail(vu, rc, req, "no reply");
	if (h->request != req)
		return vu_fail(vu, -EPROTO, req, "reply to another request");
	if (h->flags != (VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY))
		return vu_fail(vu, -EPROTO, req, "bad reply flags or version");
	return 0;
}

static int vu_reply(struct vhost_user *vu, uint32_t req, void *payload,
		    uint32_t len)
{
	uint64_t deadline = vu_now_ms() + vu->timeout_ms;
	struct vu_hdr h;
	int rc;

	rc = vu_reply_head(vu, req, &h, deadline);
	if (rc < 0)
		return rc;
	if (h.size != len)
		return vu_fail(vu, -EPROTO, req, "bad reply size");
	rc = vu_read(vu, payload, len, deadline);
	if (rc < 0)
		return vu_fail(vu, rc, req, "truncated reply");
	return 0;
}

/* The ack (u64 status, 0 = success) of req. */
static int vu_ack(struct vhost_user *vu, uint32_t req)
{
	uint64_t status;
	int rc = vu_reply(vu, req, &status, sizeof(status));

	if (rc < 0)
		return rc;
	if (status != 0) {
		log_warn("vhost-user: backend refused %s (status %llu)",
			 vhost_user_req_name(req), (unsigned long long)status);
		return -EIO;
	}
	return 0;
}

/* Read the acks a batch still owes, in order: the first failure is the
 * answer (the rest is read all the same, so the stream stays in step). */
static int vu_drain(struct vhost_user *vu)
{
	unsigned int n = vu->pending;
	int rc = 0;

	vu->pending = 0;
	for (unsigned int i = 0; i < n; i++) {
		int r = vu->broken ? -ENOTCONN : vu_ack(vu, vu->pending_req[i]);

		if (r < 0 && rc == 0)
			rc = r;
	}
	return rc;
}

/* A message without a reply of its own: with REPLY_ACK, ask for the
 * backend's status; in a batch it is read later (vu_drain). */
static int vu_request(struct vhost_user *vu, uint32_t req, const void *p,
		      uint32_t len, const int *fds, unsigned int nfds)
{
	bool ack = vu->protocol_features &
		   (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	int rc;

	if (ack && vu->batch && vu->pending == ARRAY_SIZE(vu->pending_req) &&
	    (rc = vu_drain(vu)) < 0)
		return rc;
	rc = (ack && vu->batch ? vu_send_raw : vu_send)(vu, req,
			ack ? VHOST_USER_FLAG_NEED_REPLY : 0, p, len, fds, nfds);
	if (rc < 0 || !ack)
		return rc;
	if (vu->batch) {
		vu->pending_req[vu->pending++] = req;
		return 0;
	}
	return vu_ack(vu, req);
}

void vhost_user_batch_begin(struct vhost_user *vu)
{
	vu->batch = true;
}

int vhost_user_batch_end(struct vhost_user *vu)
{
	vu->batch = false;
	return vu_drain(vu);
}

static int vu_get_u64(struct vhost_user *vu, uint32_t req, uint64_t *v)
{
	int rc = vu_send(vu, req, 0, NULL, 0, NULL, 0);

	return rc < 0 ? rc : vu_reply(vu, req, v, sizeof(*v));
}

static int vu_set_u64(struct vhost_user *vu, uint32_t req, uint64_t v)
{
	return vu_request(vu, req, &v, sizeof(v), NULL, 0);
}

/* ---- messages ---- */

int vhost_user_handshake_begin(struct vhost_user *vu)
{
	vu->protocol_features = 0;
	return vu_send(vu, VHOST_USER_GET_FEATURES, 0, NULL, 0, NULL, 0);
}

int vhost_user_handshake_finish(struct vhost_user *vu, uint64_t want_protocol)
{
	uint64_t pf = 0;
	int rc;

	rc = vu_reply(vu, VHOST_USER_GET_FEATURES, &vu->features,
		      sizeof(vu->features));
	if (rc < 0)
		return rc;
	if (vu->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)) {
		rc = vu_get_u64(vu, VHOST_USER_GET_PROTOCOL_FEATURES, &pf);
		if (rc < 0)
			return rc;
		pf &= want_protocol;
		/* not acked yet: no REPLY_ACK on this one */
		rc = vu_send(vu, VHOST_USER_SET_PROTOCOL_FEATURES, 0, &pf,
			     sizeof(pf), NULL, 0);
		if (rc < 0)
			return rc;
		vu->protocol_features = pf;
	}
	return vu_request(vu, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0);
}

int vhost_user_handshake(struct vhost_user *vu, uint64_t want_protocol)
{
	int rc = vhost_user_handshake_begin(vu);

	return rc < 0 ? rc : vhost_user_handshake_finish(vu, want_protocol);
}

int vhost_user_set_features(struct vhost_user *vu, uint64_t features)
{
	return vu_set_u64(vu, VHOST_USER_SET_FEATURES, features);
}

int vhost_user_set_mem_table(struct vhost_user *vu,
			     const struct vhost_user_region *r,
			     unsigned int n)
{
	uint8_t p[VHOST_USER_MAX_PAYLOAD] = { 0 };
	int fds[VHOST_USER_MAX_REGIONS];
	uint32_t num = n;

	if (n == 0 || n > VHOST_USER_MAX_REGIONS)
		return -EINVAL;
	memcpy(p, &num, 4);			/* u32 nregions, u32 padding */
	for (unsigned int i = 0; i < n; i++) {
		uint64_t v[4] = { r[i].gpa, r[i].size, r[i].uaddr,
				  r[i].mmap_offset };

		if (r[i].fd < 0 || r[i].size == 0)
			return -EINVAL;
		memcpy(p + 8 + 32 * i, v, sizeof(v));
		fds[i] = r[i].fd;
	}
	return vu_request(vu, VHOST_USER_SET_MEM_TABLE, p, 8 + 32 * n, fds, n);
}

/* struct vhost_vring_state: u32 index, u32 num. */
static int vu_vring_state(struct vhost_user *vu, uint32_t req,
			  unsigned int idx, unsigned int num)
{
	uint32_t s[2] = { idx, num };

	if (idx > VHOST_USER_VRING_IDX_MASK)
		return -EINVAL;
	return vu_request(vu, req, s, sizeof(s), NULL, 0);
}

int vhost_user_set_vring_num(struct vhost_user *vu, unsigned int idx,
			     unsigned int num)
{
	return vu_vring_state(vu, VHOST_USER_SET_VRING_NUM, idx, num);
}

int vhost_user_set_vring_base(struct vhost_user *vu, unsigned int idx,
			      unsigned int base)
{
	return vu_vring_state(vu, VHOST_USER_SET_VRING_BASE, idx, base);
}

int vhost_user_set_vring_enable(struct vhost_user *vu, unsigned int idx,
				bool enable)
{
	return vu_vring_state(vu, VHOST_USER_SET_VRING_ENABLE, idx, enable);
}

int vhost_user_get_vring_base(struct vhost_user *vu, unsigned int idx,
			      unsigned int *base)
{
	uint32_t s[2] = { idx, 0 };
	int rc;

	if (idx > VHOST_USER_VRING_IDX_MASK)
		return -EINVAL;
	rc = vu_send(vu, VHOST_USER_GET_VRING_BASE, 0, s, sizeof(s), NULL, 0);
	if (rc < 0 || (rc = vu_reply(vu, VHOST_USER_GET_VRING_BASE, s,
				     sizeof(s))) < 0)
		return rc;
	if (s[0] != idx || s[1] > 0xffff)
		return vu_fail(vu, -EPROTO, VHOST_USER_GET_VRING_BASE,
			       "reply for another ring or index out of range");
	*base = s[1];
	return 0;
}

/* struct vhost_vring_addr: u32 index, u32 flags, u64 desc, used, avail,
 * log (the used ring's guest-physical address, with VHOST_VRING_F_LOG). */
int vhost_user_set_vring_addr(struct vhost_user *vu, unsigned int idx,
			      uint64_t desc, uint64_t used, uint64_t avail,
			      uint64_t log_gpa)
{
	uint8_t p[40] = { 0 };
	uint32_t i32 = idx, flags = 0;
	uint64_t a[4] = { desc, used, avail, 0 };

	if (idx > VHOST_USER_VRING_IDX_MASK)
		return -EINVAL;
	if (log_gpa != VHOST_USER_NO_LOG) {
		flags = 1u << VHOST_VRING_F_LOG;
		a[3] = log_gpa;
	}
	memcpy(p, &i32, 4);
	memcpy(p + 4, &flags, 4);
	memcpy(p + 8, a, sizeof(a));
	return vu_request(vu, VHOST_USER_SET_VRING_ADDR, p, sizeof(p), NULL, 0);
}

/* struct vhost_user_log: u64 mmap_size, u64 mmap_offset; the fd rides
 * along. The reply carries nothing we use: DPDK's vhost library sends it
 * empty, QEMU's libvhost-user (qemu-storage-daemon) with a u64, and QEMU
 * takes either; so do we. The request never asks for an ack (a backend
 * that sends the reply would not send a second). */
int vhost_user_set_log_base(struct vhost_user *vu, int fd, uint64_t size)
{
	uint64_t p[2] = { size, 0 }, ignored;
	uint64_t deadline;
	struct vu_hdr h;
	int rc;

	if (!(vu->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD)))
		return -ENOTSUP;
	if (fd < 0 || size == 0)
		return -EINVAL;
	rc = vu_send(vu, VHOST_USER_SET_LOG_BASE, 0, p, sizeof(p), &fd, 1);
	if (rc < 0)
		return rc;
	deadline = vu_now_ms() + vu->timeout_ms;
	rc = vu_reply_head(vu, VHOST_USER_SET_LOG_BASE, &h, deadline);
	if (rc < 0)
		return rc;
	if (h.size != 0 && h.size != sizeof(ignored))
		return vu_fail(vu, -EPROTO, VHOST_USER_SET_LOG_BASE,
			       "bad reply size");
	if (h.size && (rc = vu_read(vu, &ignored, sizeof(ignored),
				    deadline)) < 0)
		return vu_fail(vu, rc, VHOST_USER_SET_LOG_BASE,
			       "truncated reply");
	return 0;
}

/* The MAC in the first 6 bytes of a u64 (vhost-user.rst "SEND_RARP"). */
int vhost_user_send_rarp(struct vhost_user *vu, const uint8_t mac[6])
{
	uint8_t p[8] = { 0 };

	if (!(vu->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_RARP)))
		return -ENOTSUP;
	memcpy(p, mac, 6);
	return vu_request(vu, VHOST_USER_SEND_RARP, p, sizeof(p), NULL, 0);
}

static int vu_vring_fd(struct vhost_user *vu, uint32_t req, unsigned int idx,
		       int fd)
{
	uint64_t v = idx;

	if (idx > VHOST_USER_VRING_IDX_MASK)
		return -EINVAL;
	if (fd < 0)
		v |= VHOST_USER_VRING_NOFD;
	return vu_request(vu, req, &v, sizeof(v), fd < 0 ? NULL : &fd,
			  fd < 0 ? 0 : 1);
}

int vhost_user_set_vring_kick(struct vhost_user *vu, unsigned int idx,
			      int fd)
{
	return vu_vring_fd(vu, VHOST_USER_SET_VRING_KICK, idx, fd);
}

int vhost_user_set_vring_call(struct vhost_user *vu, unsigned int idx,
			      int fd)
{
	return vu_vring_fd(vu, VHOST_USER_SET_VRING_CALL, idx, fd);
}

int vhost_user_check_idle(struct vhost_user *vu)
{
	uint8_t b;
	ssize_t n;

	if (vu->fd < 0)
		return -ENOTCONN;
	n = recv(vu->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	vu->broken = true;
	if (n > 0) {
		log_warn("vhost-user: backend sent an unsolicited message");
		return -EPROTO;
	}
	return -ECONNRESET;
}

/* GET_CONFIG (struct vhost_user_config: u32 offset, u32 size, u32 flags,
 * then the bytes). The request carries size zeroed bytes; the reply has
 * the same layout and size, or no payload at all when the backend could
 * not read its configuration. */
int vhost_user_get_config(struct vhost_user *vu, uint32_t off, void *buf,
			  uint32_t size)
{
	uint8_t p[VHOST_USER_MAX_PAYLOAD] = { 0 };
	uint32_t len = 12 + size, hdr[3] = { off, size, 0 };
	uint64_t deadline;
	struct vu_hdr h;
	int rc;

	if (size == 0 || size > VHOST_USER_CONFIG_MAX)
		return -EINVAL;
	memcpy(p, hdr, sizeof(hdr));
	rc = vu_send(vu, VHOST_USER_GET_CONFIG, 0, p, len, NULL, 0);
	if (rc < 0)
		return rc;
	/* vu_reply wants one exact size; this reply may also be empty. */
	deadline = vu_now_ms() + vu->timeout_ms;
	rc = vu_reply_head(vu, VHOST_USER_GET_CONFIG, &h, deadline);
	if (rc < 0)
		return rc;
	if (h.size == 0) {
		log_warn("vhost-user: backend refused GET_CONFIG");
		return -EIO;
	}
	if (h.size != len)
		return vu_fail(vu, -EPROTO, VHOST_USER_GET_CONFIG,
			       "bad reply size");
	rc = vu_read(vu, p, len, deadline);
	if (rc < 0)
		return vu_fail(vu, rc, VHOST_USER_GET_CONFIG,
			       "truncated reply");
	memcpy(hdr, p, sizeof(hdr));
	if (hdr[0] != off || hdr[1] != size)
		return vu_fail(vu, -EPROTO, VHOST_USER_GET_CONFIG,
			       "reply for another range");
	memcpy(buf, p + 12, size);
	return 0;
}
