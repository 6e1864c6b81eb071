/*
 * vhost-user frontend (QEMU docs/interop/vhost-user.rst, "Front-end
 * message types"): one connection to a backend's unix socket, the
 * messages hv sends to hand a virtio device's queues to that backend,
 * file descriptors passed with SCM_RIGHTS, and validation of every reply.
 *
 * Requests are synchronous: each call sends one message and, when the
 * message has a reply (GET_*) or REPLY_ACK was negotiated, waits for it
 * for at most vu->timeout_ms. Any protocol violation by the backend (a
 * reply with the wrong request, flags, version or size, unexpected file
 * descriptors, a short read, a timeout) returns a negative errno and
 * marks the connection broken: the caller closes it and reconnects. The
 * backend never makes hv read or write out of bounds.
 *
 * Not thread-safe; virtio_net.c calls it with dev_lock held.
 */
#ifndef HV_VHOST_USER_H
#define HV_VHOST_USER_H

#include <linux/vhost_types.h>	/* VHOST_F_LOG_ALL, VHOST_VRING_F_LOG */
#include "xvm/common.h"

/* Front-end requests (vhost-user.rst "Front-end message types"). */
enum vhost_user_req {
	VHOST_USER_GET_FEATURES = 1,
	VHOST_USER_SET_FEATURES = 2,
	VHOST_USER_SET_OWNER = 3,
	VHOST_USER_RESET_OWNER = 4,
	VHOST_USER_SET_MEM_TABLE = 5,
	VHOST_USER_SET_LOG_BASE = 6,
	VHOST_USER_SET_LOG_FD = 7,
	VHOST_USER_SET_VRING_NUM = 8,
	VHOST_USER_SET_VRING_ADDR = 9,
	VHOST_USER_SET_VRING_BASE = 10,
	VHOST_USER_GET_VRING_BASE = 11,
	VHOST_USER_SET_VRING_KICK = 12,
	VHOST_USER_SET_VRING_CALL = 13,
	VHOST_USER_SET_VRING_ERR = 14,
	VHOST_USER_GET_PROTOCOL_FEATURES = 15,
	VHOST_USER_SET_PROTOCOL_FEATURES = 16,
	VHOST_USER_GET_QUEUE_NUM = 17,
	VHOST_USER_SET_VRING_ENABLE = 18,
	VHOST_USER_SEND_RARP = 19,
};

/* Header flags ("Message Specification"). */
#define VHOST_USER_VERSION		0x1
#define VHOST_USER_VERSION_MASK		0x3
#define VHOST_USER_FLAG_REPLY		(1u << 2)
#define VHOST_USER_FLAG_NEED_REPLY	(1u << 3)
#define VHOST_USER_HDR_SIZE		12

/* The virtio feature bit saying the backend has protocol features. */
#define VHOST_USER_F_PROTOCOL_FEATURES	30
/* Protocol features ("Protocol features"). */
#define VHOST_USER_PROTOCOL_F_MQ	0
#define VHOST_USER_PROTOCOL_F_LOG_SHMFD	1	/* SET_LOG_BASE passes a memfd */
#define VHOST_USER_PROTOCOL_F_RARP	2	/* SEND_RARP */
#define VHOST_USER_PROTOCOL_F_REPLY_ACK	3

/* SET_VRING_KICK/CALL payload: bit 8 says no fd is attached. */
#define VHOST_USER_VRING_NOFD		(1ULL << 8)
#define VHOST_USER_VRING_IDX_MASK	0xffULL

/* SET_MEM_TABLE carries at most this many regions (and fds). */
#define VHOST_USER_MAX_REGIONS		8
/* Largest payload we send or accept (a full memory table). */
#define VHOST_USER_MAX_PAYLOAD		(8 + 32 * VHOST_USER_MAX_REGIONS)

#define VHOST_USER_TIMEOUT_MS		2000

/* One guest memory region for SET_MEM_TABLE: the backend mmaps `size`
 * bytes of fd from mmap_offset, to reach guest-physical gpa.. and, for
 * ring addresses (which are our virtual addresses), uaddr.. */
struct vhost_user_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uaddr;
	uint64_t mmap_offset;
	int fd;
};

struct vhost_user {
	int fd;				/* connected socket, -1 if none */
	unsigned int timeout_ms;	/* per reply */
	uint64_t features;		/* backend's GET_FEATURES */
	uint64_t protocol_features;	/* acked with SET_PROTOCOL_FEATURES */
	bool broken;			/* a protocol error happened: close */
	/* vhost_user_batch_begin..end: the acks (REPLY_ACK) of requests
	 * read at the end, not one round trip each */
	bool batch;
	unsigned int pending;		/* acks not read yet ... */
	uint32_t pending_req[32];	/* ... for these requests, in order */
};

/* Protocol features hv asks for (those the backend lacks are dropped). */
#define VHOST_USER_PROTOCOL_WANTED	(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK | \
					 1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD | \
					 1ULL << VHOST_USER_PROTOCOL_F_RARP)

/* SET_VRING_ADDR without a used-ring log address. */
#define VHOST_USER_NO_LOG		UINT64_MAX

void vhost_user_init(struct vhost_user *vu);
/* Between begin and end, requests that only expect an ack (REPLY_ACK)
 * go out without waiting for it; end reads them all, in order: 0, or the
 * first failure (-EIO: refused, named in the log; -errno). A request
 * with a reply of its own reads the owed acks first. A backend that
 * processes messages in order (the protocol) sees the same sequence;
 * one round trip instead of one per message (the NIC's 14 messages at a
 * switch-over: 0.3-43 ms on a loaded host, docs/hv.md). */
void vhost_user_batch_begin(struct vhost_user *vu);
int vhost_user_batch_end(struct vhost_user *vu);
/* Connect to a backend's socket (the connection is ready at once or
 * refused: unix sockets). 0, or -errno (-ENOENT, -ECONNREFUSED...). */
int vhost_user_connect(struct vhost_user *vu, const char *path);
/* Use an already connected socket (tests: one end of a socketpair). */
int vhost_user_attach(struct vhost_user *vu, int fd);
void vhost_user_close(struct vhost_user *vu);
bool vhost_user_connected(const struct vhost_user *vu);

/* Session start: GET_FEATURES, and if the backend has protocol features,
 * GET_PROTOCOL_FEATURES and SET_PROTOCOL_FEATURES with what both want;
 * then SET_OWNER. Fills vu->features and vu->protocol_features. */
int vhost_user_handshake(struct vhost_user *vu, uint64_t want_protocol);
/* The same in two steps, so a caller need not wait for a backend that is
 * still starting: begin sends GET_FEATURES; finish, once the socket is
 * readable, reads the reply and does the rest. */
int vhost_user_handshake_begin(struct vhost_user *vu);
int vhost_user_handshake_finish(struct vhost_user *vu, uint64_t want_protocol);
int vhost_user_set_features(struct vhost_user *vu, uint64_t features);
int vhost_user_set_mem_table(struct vhost_user *vu,
			     const struct vhost_user_region *r,
			     unsigned int n);
int vhost_user_set_vring_num(struct vhost_user *vu, unsigned int idx,
			     unsigned int num);
int vhost_user_set_vring_base(struct vhost_user *vu, unsigned int idx,
			      unsigned int base);
/* Stop ring idx; *base gets the backend's next avail index. */
int vhost_user_get_vring_base(struct vhost_user *vu, unsigned int idx,
			      unsigned int *base);
/* Ring addresses are virtual addresses in hv (see the region's uaddr).
 * log_gpa: VHOST_USER_NO_LOG, or the used ring's guest-physical address,
 * which sets VHOST_VRING_F_LOG: with VHOST_F_LOG_ALL the backend marks
 * its used-ring writes in the log (vhost-user.rst "Migration"). */
int vhost_user_set_vring_addr(struct vhost_user *vu, unsigned int idx,
			      uint64_t desc, uint64_t used, uint64_t avail,
			      uint64_t log_gpa);
/* SET_LOG_BASE with the log memfd (needs protocol feature LOG_SHMFD,
 * else -ENOTSUP): size bytes from offset 0, one bit per 4 KiB page of
 * guest-physical memory, which the backend maps and sets bits in while
 * VHOST_F_LOG_ALL is on. The backend answers with a reply of its own,
 * whatever REPLY_ACK: empty (DPDK's vhost library) or a u64 (QEMU's
 * libvhost-user, qemu-storage-daemon); both are taken. */
int vhost_user_set_log_base(struct vhost_user *vu, int fd, uint64_t size);
/* SEND_RARP (protocol feature RARP, else -ENOTSUP): the backend makes a
 * RARP frame from mac (6 bytes) go out as if the guest had sent it, so
 * the network learns the guest's new port after a migration. */
int vhost_user_send_rarp(struct vhost_user *vu, const uint8_t mac[6]);
/* fd -1 sends the NOFD flag (the backend polls / never signals). */
int vhost_user_set_vring_kick(struct vhost_user *vu, unsigned int idx,
			      int fd);
int vhost_user_set_vring_call(struct vhost_user *vu, unsigned int idx,
			      int fd);
int vhost_user_set_vring_enable(struct vhost_user *vu, unsigned int idx,
				bool enable);

/* The socket is readable while no request is pending: the backend went
 * away (EOF, error) or sent something it must not. Returns -ECONNRESET
 * or -EPROTO (close the connection), or 0 if it was a spurious wake-up. */
int vhost_user_check_idle(struct vhost_user *vu);

/* Name of a request, for logs ("SET_MEM_TABLE"). */
const char *vhost_user_req_name(uint32_t req);

/* ---- device configuration (vhost-user-blk: virtio_vublk.c) ---- */

/* Requests and the protocol feature for the device's configuration
 * space, kept by the backend ("VHOST_USER_GET_CONFIG"). */
#define VHOST_USER_GET_CONFIG		24
#define VHOST_USER_SET_CONFIG		25
#define VHOST_USER_PROTOCOL_F_CONFIG	9
/* Configuration bytes one GET_CONFIG moves: the payload is u32 offset,
 * u32 size, u32 flags and the bytes, within our largest payload. */
#define VHOST_USER_CONFIG_MAX		(VHOST_USER_MAX_PAYLOAD - 12)

/* Read size bytes of the device configuration from offset off into buf
 * (needs VHOST_USER_PROTOCOL_F_CONFIG acked). 0; -EIO if the backend
 * answered with an empty payload (its way to refuse; the connection
 * stays usable); -EINVAL for a size beyond VHOST_USER_CONFIG_MAX; other
 * -errno for a broken connection. */
int vhost_user_get_config(struct vhost_user *vu, uint32_t off, void *buf,
			  uint32_t size);

#endif
