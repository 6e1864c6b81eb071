/*
 * A fake vhost-user backend for test_vhost_user.c and test_virtio_net.c:
 * serves connections on a socketpair end or a listening unix socket, one
 * thread per connection, logs every message (request, flags, payload,
 * the inode of each fd received) and answers GET_* and NEED_REPLY the
 * way a backend does, with features and an ack status the test chooses.
 */
#ifndef XVM_FAKE_VHOST_USER_H
#define XVM_FAKE_VHOST_USER_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "hv/vhost_user.h"

#define FVU_LOG_MAX	512
#define FVU_CONN_MAX	16

struct fvu_msg {
	unsigned int conn;		/* connection number, from 1 */
	uint32_t req, flags, size;
	uint8_t payload[VHOST_USER_MAX_PAYLOAD];
	unsigned int nfds;
	ino_t ino[VHOST_USER_MAX_REGIONS];
	int call_fd;			/* SET_VRING_CALL's fd, kept open */
	int log_fd;			/* SET_LOG_BASE's fd, kept open */
};

struct fvu {
	int listen_fd;			/* -1 unless fvu_listen */
	char path[108];
	pthread_t acceptor;
	bool accepting;
	pthread_mutex_t lock;
	struct fvu_msg log[FVU_LOG_MAX];
	unsigned int nlog;
	int conn_fd[FVU_CONN_MAX];	/* per connection, -1 once closed */
	pthread_t conn_thr[FVU_CONN_MAX];
	unsigned int nconn;
	int kick[2];			/* last kick fd per ring (kept open) */
	uint64_t features, protocol_features, ack_status;
	uint32_t vring_base;		/* GET_VRING_BASE answer */
	bool evil;			/* answer every GET_* with a foreign reply */
};

struct fvu_conn_arg {
	struct fvu *f;
	unsigned int conn;
};

static inline void fvu_init(struct fvu *f, uint64_t features, uint64_t pf)
{
	memset(f, 0, sizeof(*f));
	f->listen_fd = -1;
	f->kick[0] = f->kick[1] = -1;
	f->features = features;
	f->protocol_features = pf;
	f->vring_base = 42;
	pthread_mutex_init(&f->lock, NULL);
}

/* One message with its fds; 0 at EOF. */
static inline int fvu_recv(int fd, struct fvu_msg *m, int *fds)
{
	char ctl[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)];
	uint32_t h[3];
	struct iovec iov = { h, sizeof(h) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	ssize_t n = recvmsg(fd, &mh, MSG_WAITALL);

	if (n != sizeof(h))
		return 0;
	m->req = h[0];
	m->flags = h[1];
	m->size = h[2];
	m->nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		for (size_t off = 0; CMSG_LEN(off + sizeof(int)) <= c->cmsg_len &&
		     m->nfds < VHOST_USER_MAX_REGIONS; off += sizeof(int))
			memcpy(&fds[m->nfds++], CMSG_DATA(c) + off, sizeof(int));
	if (m->size > sizeof(m->payload))
		return 0;
	if (m->size && recv(fd, m->payload, m->size, MSG_WAITALL) !=
	    (ssize_t)m->size)
		return 0;
	return 1;
}

static inline void fvu_send(int fd, uint32_t req, const void *p, uint32_t len)
{
	uint8_t buf[64];
	uint32_t h[3] = { req, VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY, len };

	memcpy(buf, h, sizeof(h));
	memcpy(buf + sizeof(h), p, len);
	if (send(fd, buf, sizeof(h) + len, MSG_NOSIGNAL) < 0)
		perror("fvu_send");
}

static inline void fvu_answer(struct fvu *f, int fd, const struct fvu_msg *m)
{
	uint64_t v;
	uint32_t s[2];

	if (f->evil && m->req != VHOST_USER_GET_VRING_BASE) {
		fvu_send(fd, VHOST_USER_GET_VRING_BASE, &f->features, 8);
		return;
	}
	switch (m->req) {
	case VHOST_USER_GET_FEATURES:
		fvu_send(fd, m->req, &f->features, 8);
		return;
	case VHOST_USER_GET_PROTOCOL_FEATURES:
		fvu_send(fd, m->req, &f->protocol_features, 8);
		return;
	case VHOST_USER_GET_VRING_BASE:
		memcpy(s, m->payload, 4);
		s[1] = f->vring_base;
		fvu_send(fd, m->req, s, 8);
		return;
	case VHOST_USER_SET_LOG_BASE:
		/* an empty reply, acked or not (DPDK's vhost library) */
		fvu_send(fd, m->req, &v, 0);
		return;
	}
	if (m->flags & VHOST_USER_FLAG_NEED_REPLY) {
		v = f->ack_status;
		fvu_send(fd, m->req, &v, 8);
	}
}

/* Log the message; keep the last kick fd of each ring, close the rest. */
static inline void fvu_log(struct fvu *f, struct fvu_msg *m, int *fds)
{
	struct stat st;
	uint64_t idx = 0;

	for (unsigned int i = 0; i < m->nfds; i++)
		m->ino[i] = fstat(fds[i], &st) == 0 ? st.st_ino : 0;
	if (m->req == VHOST_USER_SET_VRING_KICK && m->nfds == 1) {
		memcpy(&idx, m->payload, 8);
		idx &= 1;
		if (f->kick[idx] >= 0)
			close(f->kick[idx]);
		f->kick[idx] = fds[0];
		fds[0] = -1;
	}
	m->call_fd = -1;
	if (m->req == VHOST_USER_SET_VRING_CALL && m->nfds == 1) {
		m->call_fd = fds[0];	/* eventfds share one inode: kcmp */
		fds[0] = -1;
	}
	m->log_fd = -1;
	if (m->req == VHOST_USER_SET_LOG_BASE && m->nfds == 1) {
		m->log_fd = fds[0];
		fds[0] = -1;
	}
	for (unsigned int i = 0; i < m->nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (f->nlog < FVU_LOG_MAX) {
		f->log[f->nlog++] = *m;
		return;
	}
	if (m->call_fd >= 0)
		close(m->call_fd);
	if (m->log_fd >= 0)
		close(m->log_fd);
}

static inline void *fvu_conn_main(void *opaque)
{
	struct fvu_conn_arg *a = opaque;
	struct fvu *f = a->f;
	int fd = f->conn_fd[a->conn - 1];
	int fds[VHOST_USER_MAX_REGIONS];
	struct fvu_msg m;

	while (fvu_recv(fd, &m, fds)) {
		m.conn = a->conn;
		pthread_mutex_lock(&f->lock);
		fvu_log(f, &m, fds);
		pthread_mutex_unlock(&f->lock);
		fvu_answer(f, fd, &m);
	}
	free(a);
	return NULL;
}

/* Serve fd (connected) in a new thread; returns the connection number. */
static inline unsigned int fvu_serve(struct fvu *f, int fd)
{
	struct fvu_conn_arg *a = malloc(sizeof(*a));
	unsigned int c;

	pthread_mutex_lock(&f->lock);
	c = f->nconn < FVU_CONN_MAX ? ++f->nconn : 0;
	if (c)
		f->conn_fd[c - 1] = fd;
	pthread_mutex_unlock(&f->lock);
	if (!c || !a) {
		close(fd);
		free(a);
		return 0;
	}
	*a = (struct fvu_conn_arg){ f, c };
	pthread_create(&f->conn_thr[c - 1], NULL, fvu_conn_main, a);
	return c;
}

static inline void *fvu_accept_main(void *opaque)
{
	struct fvu *f = opaque;
	int fd;

	while ((fd = accept(f->listen_fd, NULL, NULL)) >= 0)
		fvu_serve(f, fd);
	return NULL;
}

/* Listen on a fresh socket under /tmp; path in f->path. */
static inline int fvu_listen(struct fvu *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(f->path, sizeof(f->path), "/tmp/xvm-fvu-%d-%p.sock",
		 (int)getpid(), (void *)f);
	unlink(f->path);
	strcpy(sa.sun_path, f->path);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (f->listen_fd < 0 ||
	    bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(f->listen_fd, 8) < 0)
		return -errno;
	f->accepting = true;
	return pthread_create(&f->acceptor, NULL, fvu_accept_main, f) ? -1 : 0;
}

/* Stop listening (the socket file goes away: "backend not running"). */
static inline void fvu_unlisten(struct fvu *f)
{
	if (!f->accepting)
		return;
	shutdown(f->listen_fd, SHUT_RDWR);
	pthread_join(f->acceptor, NULL);
	close(f->listen_fd);
	f->listen_fd = -1;
	unlink(f->path);
	f->accepting = false;
}

/* The backend dies: hang up connection c (its thread sees EOF). */
static inline void fvu_hangup(struct fvu *f, unsigned int c)
{
	if (c < 1 || c > f->nconn || f->conn_fd[c - 1] < 0)
		return;
	shutdown(f->conn_fd[c - 1], SHUT_RDWR);
	pthread_join(f->conn_thr[c - 1], NULL);
	close(f->conn_fd[c - 1]);
	f->conn_fd[c - 1] = -1;
}

static inline void fvu_fini(struct fvu *f)
{
	fvu_unlisten(f);
	for (unsigned int c = 1; c <= f->nconn; c++)
		fvu_hangup(f, c);
	for (int i = 0; i < 2; i++)
		if (f->kick[i] >= 0)
			close(f->kick[i]);
	for (unsigned int i = 0; i < f->nlog; i++) {
		if (f->log[i].call_fd >= 0)
			close(f->log[i].call_fd);
		if (f->log[i].log_fd >= 0)
			close(f->log[i].log_fd);
	}
	pthread_mutex_destroy(&f->lock);
}

/* The n-th (from 0) logged message of request req on connection conn
 * (0: any), or NULL. */
static inline const struct fvu_msg *fvu_find(struct fvu *f, unsigned int conn,
					     uint32_t req, unsigned int n)
{
	const struct fvu_msg *found = NULL;

	pthread_mutex_lock(&f->lock);
	for (unsigned int i = 0; i < f->nlog && !found; i++)
		if (f->log[i].req == req && (!conn || f->log[i].conn == conn) &&
		    n-- == 0)
			found = &f->log[i];
	pthread_mutex_unlock(&f->lock);
	return found;
}

/* The u32 pair (index, num) of a vring-state message. */
static inline uint32_t fvu_u32(const struct fvu_msg *m, unsigned int i)
{
	uint32_t v;

	memcpy(&v, m->payload + 4 * i, 4);
	return v;
}

static inline uint64_t fvu_u64(const struct fvu_msg *m, unsigned int off)
{
	uint64_t v;

	memcpy(&v, m->payload + off, 8);
	return v;
}

#endif
