/* vhost_user.c: messages as a backend receives them (a fake backend in a
 * thread on a socketpair), file descriptors passed with SCM_RIGHTS, and
 * replies a broken or hostile backend could send. */
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include "unit.h"
#include "xvm/log.h"
#include "fake_vhost_user.h"

#define FEAT_ALL	(1ULL << 32 | 1ULL << 15 | 1ULL << 29 | \
			 1ULL << VHOST_USER_F_PROTOCOL_FEATURES)
#define PF_BACKEND	(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK | \
			 1ULL << VHOST_USER_PROTOCOL_F_MQ | 1ULL << 16)

static ino_t ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

static unsigned int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* A frontend attached to a fake backend serving the other end. */
static void pair_up(struct vhost_user *vu, struct fvu *f, uint64_t feat,
		    uint64_t pf)
{
	int sv[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
					 0, sv), 0);
	fvu_init(f, feat, pf);
	vhost_user_init(vu);
	CU_ASSERT_EQUAL_FATAL(vhost_user_attach(vu, sv[0]), 0);
	CU_ASSERT_EQUAL_FATAL(fvu_serve(f, sv[1]), 1);
}

static void test_handshake(void)
{
	struct vhost_user vu;
	struct fvu f;
	const struct fvu_msg *m;

	pair_up(&vu, &f, FEAT_ALL, PF_BACKEND);
	CU_ASSERT_EQUAL(vhost_user_handshake(&vu, VHOST_USER_PROTOCOL_WANTED), 0);
	CU_ASSERT_EQUAL(vu.features, FEAT_ALL);
	/* only what both want: REPLY_ACK, not MQ or STATUS */
	CU_ASSERT_EQUAL(vu.protocol_features,
			1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	m = fvu_find(&f, 1, VHOST_USER_SET_PROTOCOL_FEATURES, 0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(m->size, 8);
	CU_ASSERT_EQUAL(fvu_u64(m, 0), 1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	m = fvu_find(&f, 1, VHOST_USER_SET_OWNER, 0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(m->flags, VHOST_USER_VERSION | VHOST_USER_FLAG_NEED_REPLY);
	CU_ASSERT_EQUAL(m->size, 0);
	/* the order a backend expects */
	CU_ASSERT_EQUAL(f.log[0].req, VHOST_USER_GET_FEATURES);
	CU_ASSERT_EQUAL(f.log[1].req, VHOST_USER_GET_PROTOCOL_FEATURES);
	CU_ASSERT_EQUAL(f.log[2].req, VHOST_USER_SET_PROTOCOL_FEATURES);
	CU_ASSERT_EQUAL(f.log[3].req, VHOST_USER_SET_OWNER);
	vhost_user_close(&vu);
	fvu_fini(&f);
}

/* Without protocol features: no GET_PROTOCOL_FEATURES, no acks asked. */
static void test_handshake_plain(void)
{
	struct vhost_user vu;
	struct fvu f;
	const struct fvu_msg *m;

	pair_up(&vu, &f, 1ULL << 32, 0);
	CU_ASSERT_EQUAL(vhost_user_handshake(&vu, VHOST_USER_PROTOCOL_WANTED), 0);
	CU_ASSERT_EQUAL(vu.protocol_features, 0);
	CU_ASSERT_EQUAL(vhost_user_set_features(&vu, 1ULL << 32), 0);
	CU_ASSERT_EQUAL(vhost_user_set_vring_num(&vu, 0, 256), 0);
	vhost_user_close(&vu);		/* EOF: the backend thread ends */
	fvu_fini(&f);
	CU_ASSERT_PTR_NULL(fvu_find(&f, 1, VHOST_USER_GET_PROTOCOL_FEATURES, 0));
	m = fvu_find(&f, 1, VHOST_USER_SET_VRING_NUM, 0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(m->flags, VHOST_USER_VERSION);
	CU_ASSERT_EQUAL(fvu_u32(m, 0), 0);
	CU_ASSERT_EQUAL(fvu_u32(m, 1), 256);
}

static void check_mem_table(struct fvu *f, int memfd, uint8_t *hva)
{
	const struct fvu_msg *m = fvu_find(f, 1, VHOST_USER_SET_MEM_TABLE, 0);

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(m->size, 8 + 2 * 32);
	CU_ASSERT_EQUAL(fvu_u32(m, 0), 2);		/* regions */
	CU_ASSERT_EQUAL(fvu_u64(m, 8), 0);		/* gpa */
	CU_ASSERT_EQUAL(fvu_u64(m, 16), 0x10000);	/* size */
	CU_ASSERT_EQUAL(fvu_u64(m, 24), (uintptr_t)hva);
	CU_ASSERT_EQUAL(fvu_u64(m, 32), 0);		/* mmap offset */
	CU_ASSERT_EQUAL(fvu_u64(m, 40), 0x100000000ULL);
	CU_ASSERT_EQUAL(fvu_u64(m, 64), 0x10000);
	CU_ASSERT_EQUAL(m->nfds, 2);
	CU_ASSERT_EQUAL(m->ino[0], ino_of(memfd));	/* the same memory */
	CU_ASSERT_EQUAL(m->ino[1], ino_of(memfd));
}

static void check_rings(struct fvu *f, int kick)
{
	const struct fvu_msg *m;

	m = fvu_find(f, 1, VHOST_USER_SET_VRING_ADDR, 0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(m->size, 40);
	CU_ASSERT_EQUAL(fvu_u32(m, 0), 1);
	CU_ASSERT_EQUAL(fvu_u32(m, 1), 0);		/* no log flag */
	CU_ASSERT_EQUAL(fvu_u64(m, 8), 0x1000);	/* desc */
	CU_ASSERT_EQUAL(fvu_u64(m, 16), 0x3000);	/* used */
	CU_ASSERT_EQUAL(fvu_u64(m, 24), 0x2000);	/* avail */
	m = fvu_find(f, 1, VHOST_USER_SET_VRING_KICK, 0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(fvu_u64(m, 0), 1);
	CU_ASSERT_EQUAL(m->nfds, 1);
	CU_ASSERT_EQUAL(m->ino[0], ino_of(kick));
	m = fvu_find(f, 1, VHOST_USER_SET_VRING_CALL, 0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(fvu_u64(m, 0), 1 | VHOST_USER_VRING_NOFD);
	CU_ASSERT_EQUAL(m->nfds, 0);
	m = fvu_find(f, 1, VHOST_USER_SET_VRING_ENABLE, 0);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(fvu_u32(m, 0), 1);
	CU_ASSERT_EQUAL(fvu_u32(m, 1), 1);
}

/* A whole ring set-up: payloads, fds and acks as the backend sees them. */
static void test_session(void)
{
	struct vhost_user vu;
	struct fvu f;
	int memfd = memfd_create("t", MFD_CLOEXEC);
	int kick = eventfd(0, EFD_CLOEXEC);
	uint8_t *hva = (uint8_t *)0x7f0000000000ULL;
	struct vhost_user_region r[2] = {
		{ 0, 0x10000, (uintptr_t)hva, 0, memfd },
		{ 0x100000000ULL, 0x10000, (uintptr_t)hva + 0x10000, 0x10000,
		  memfd },
	};
	enum log_level saved = log_get_level();
	unsigned int base = 0;
	uint64_t one = 1;

	CU_ASSERT_FATAL(memfd >= 0 && kick >= 0);
	pair_up(&vu, &f, FEAT_ALL, PF_BACKEND);
	CU_ASSERT_EQUAL(vhost_user_handshake(&vu, VHOST_USER_PROTOCOL_WANTED), 0);
	CU_ASSERT_EQUAL(vhost_user_set_features(&vu, 1ULL << 32), 0);
	CU_ASSERT_EQUAL(vhost_user_set_mem_table(&vu, r, 2), 0);
	CU_ASSERT_EQUAL(vhost_user_set_vring_num(&vu, 1, 256), 0);
	CU_ASSERT_EQUAL(vhost_user_set_vring_base(&vu, 1, 7), 0);
	CU_ASSERT_EQUAL(vhost_user_set_vring_addr(&vu, 1, 0x1000, 0x3000,
						  0x2000, VHOST_USER_NO_LOG), 0);
	CU_ASSERT_EQUAL(vhost_user_set_vring_kick(&vu, 1, kick), 0);
	CU_ASSERT_EQUAL(vhost_user_set_vring_call(&vu, 1, -1), 0);
	CU_ASSERT_EQUAL(vhost_user_set_vring_enable(&vu, 1, true), 0);
	CU_ASSERT_EQUAL(vhost_user_get_vring_base(&vu, 1, &base), 0);
	CU_ASSERT_EQUAL(base, 42);
	check_mem_table(&f, memfd, hva);
	check_rings(&f, kick);
	/* the backend holds the very eventfd: a kick here reaches it */
	CU_ASSERT_EQUAL(write(kick, &one, 8), 8);
	CU_ASSERT_EQUAL(read(f.kick[1], &one, 8), 8);
	CU_ASSERT_EQUAL(one, 1);
	/* a refused request is an error, not a broken connection */
	f.ack_status = 1;
	log_set_level(LL_ERR);
	CU_ASSERT_EQUAL(vhost_user_set_vring_enable(&vu, 1, false), -EIO);
	log_set_level(saved);
	CU_ASSERT(!vu.broken);
	/* bad arguments never reach the wire */
	CU_ASSERT_EQUAL(vhost_user_set_mem_table(&vu, r, 0), -EINVAL);
	CU_ASSERT_EQUAL(vhost_user_set_mem_table(&vu, r, 9), -EINVAL);
	CU_ASSERT_EQUAL(vhost_user_set_vring_num(&vu, 256, 1), -EINVAL);
	vhost_user_close(&vu);
	fvu_fini(&f);
	close(memfd);
	close(kick);
}

/* A batch: the requests go out at once, each still asking for its ack;
 * the acks are read at the end (or before a message with a reply of its
 * own), in order, and a refusal among them is the batch's answer. */
static void test_batch(void)
{
	struct vhost_user vu;
	struct fvu f;
	enum log_level saved = log_get_level();
	static const uint32_t want[] = {
		VHOST_USER_SET_VRING_NUM, VHOST_USER_SET_VRING_BASE,
		VHOST_USER_SET_VRING_ENABLE, VHOST_USER_GET_VRING_BASE,
		VHOST_USER_SET_VRING_ENABLE,
	};
	unsigned int base = 0, first;

	pair_up(&vu, &f, FEAT_ALL, PF_BACKEND);
	CU_ASSERT_EQUAL(vhost_user_handshake(&vu, VHOST_USER_PROTOCOL_WANTED), 0);
	pthread_mutex_lock(&f.lock);
	first = f.nlog;
	pthread_mutex_unlock(&f.lock);
	vhost_user_batch_begin(&vu);
	CU_ASSERT_EQUAL(vhost_user_set_vring_num(&vu, 0, 256), 0);
	CU_ASSERT_EQUAL(vhost_user_set_vring_base(&vu, 0, 3), 0);
	CU_ASSERT_EQUAL(vhost_user_set_vring_enable(&vu, 0, true), 0);
	CU_ASSERT_EQUAL(vu.pending, 3);		/* no ack read yet */
	/* a reply of its own: the three acks first, then its answer */
	CU_ASSERT_EQUAL(vhost_user_get_vring_base(&vu, 0, &base), 0);
	CU_ASSERT_EQUAL(base, 42);
	CU_ASSERT_EQUAL(vu.pending, 0);
	CU_ASSERT_EQUAL(vhost_user_set_vring_enable(&vu, 0, true), 0);
	CU_ASSERT_EQUAL(vhost_user_batch_end(&vu), 0);
	CU_ASSERT_EQUAL(vu.pending, 0);
	/* the backend saw them in order, the set-ups asking for an ack */
	pthread_mutex_lock(&f.lock);
	CU_ASSERT_EQUAL(f.nlog - first, ARRAY_SIZE(want));
	for (unsigned int i = 0; i < ARRAY_SIZE(want) && first + i < f.nlog;
	     i++) {
		CU_ASSERT_EQUAL(f.log[first + i].req, want[i]);
		if (want[i] != VHOST_USER_GET_VRING_BASE)
			CU_ASSERT(f.log[first + i].flags &
				  VHOST_USER_FLAG_NEED_REPLY);
	}
	pthread_mutex_unlock(&f.lock);
	/* refused inside a batch: the end says so, the session goes on */
	f.ack_status = 1;
	log_set_level(LL_ERR);
	vhost_user_batch_begin(&vu);
	CU_ASSERT_EQUAL(vhost_user_set_vring_num(&vu, 0, 256), 0);
	CU_ASSERT_EQUAL(vhost_user_set_vring_enable(&vu, 0, true), 0);
	CU_ASSERT_EQUAL(vhost_user_batch_end(&vu), -EIO);
	log_set_level(saved);
	CU_ASSERT(!vu.broken);
	f.ack_status = 0;
	CU_ASSERT_EQUAL(vhost_user_set_vring_num(&vu, 0, 128), 0);
	vhost_user_close(&vu);
	fvu_fini(&f);
}

/* ---- malformed replies: queued on the backend's end in advance ---- */

static int bad_sv[2];
static struct vhost_user bad_vu;

static void bad_setup(uint64_t pf)
{
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
					 0, bad_sv), 0);
	vhost_user_init(&bad_vu);
	bad_vu.timeout_ms = 100;
	bad_vu.protocol_features = pf;
	CU_ASSERT_EQUAL_FATAL(vhost_user_attach(&bad_vu, bad_sv[0]), 0);
	bad_vu.protocol_features = pf;
}

static void bad_reply(uint32_t req, uint32_t flags, uint32_t size,
		      const void *p, size_t len)
{
	uint32_t h[3] = { req, flags, size };

	CU_ASSERT_EQUAL(write(bad_sv[1], h, sizeof(h)), (ssize_t)sizeof(h));
	if (len)
		CU_ASSERT_EQUAL(write(bad_sv[1], p, len), (ssize_t)len);
}

static void bad_done(void)
{
	vhost_user_close(&bad_vu);
	close(bad_sv[1]);
}

/* GET_FEATURES against one queued reply: the error, and broken. */
static int get_features_with(uint32_t req, uint32_t flags, uint32_t size,
			     size_t len)
{
	uint64_t v = 0x1234;
	int rc;

	bad_setup(0);
	bad_reply(req, flags, size, &v, len);
	rc = vhost_user_handshake(&bad_vu, 0);
	CU_ASSERT(rc == 0 || bad_vu.broken);
	/* once broken, nothing more is sent */
	if (rc < 0)
		CU_ASSERT_EQUAL(vhost_user_set_features(&bad_vu, 0), -ENOTCONN);
	bad_done();
	return rc;
}

static void test_bad_replies(void)
{
	const uint32_t ok = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY;
	enum log_level saved = log_get_level();

	log_set_level(LL_ERR);
	/* a well-formed reply, then SET_OWNER needs none (no ack) */
	CU_ASSERT_EQUAL(get_features_with(VHOST_USER_GET_FEATURES, ok, 8, 8), 0);
	CU_ASSERT_EQUAL(get_features_with(VHOST_USER_GET_VRING_BASE, ok, 8, 8),
			-EPROTO);				/* other request */
	CU_ASSERT_EQUAL(get_features_with(VHOST_USER_GET_FEATURES,
					  VHOST_USER_VERSION, 8, 8), -EPROTO);
	CU_ASSERT_EQUAL(get_features_with(VHOST_USER_GET_FEATURES,
					  2 | VHOST_USER_FLAG_REPLY, 8, 8),
			-EPROTO);				/* version 2 */
	CU_ASSERT_EQUAL(get_features_with(VHOST_USER_GET_FEATURES,
					  ok | VHOST_USER_FLAG_NEED_REPLY, 8, 8),
			-EPROTO);
	CU_ASSERT_EQUAL(get_features_with(VHOST_USER_GET_FEATURES, ok, 4, 4),
			-EPROTO);				/* short */
	CU_ASSERT_EQUAL(get_features_with(VHOST_USER_GET_FEATURES, ok,
					  0xffffffffu, 8), -EPROTO);
	CU_ASSERT_EQUAL(get_features_with(VHOST_USER_GET_FEATURES, ok, 8, 3),
			-ETIMEDOUT);			/* payload never comes */
	log_set_level(saved);
}

static void test_eof_and_timeout(void)
{
	enum log_level saved = log_get_level();
	uint64_t v = 5;

	log_set_level(LL_ERR);
	bad_setup(0);			/* nothing queued: timeout */
	CU_ASSERT_EQUAL(vhost_user_handshake(&bad_vu, 0), -ETIMEDOUT);
	bad_done();
	bad_setup(0);			/* the backend dies mid-reply */
	bad_reply(VHOST_USER_GET_FEATURES, VHOST_USER_VERSION |
		  VHOST_USER_FLAG_REPLY, 8, &v, 2);
	shutdown(bad_sv[1], SHUT_WR);	/* EOF after the partial reply */
	CU_ASSERT_EQUAL(vhost_user_handshake(&bad_vu, 0), -ECONNRESET);
	bad_done();
	bad_setup(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK);	/* ack != 0 */
	bad_reply(VHOST_USER_SET_FEATURES, VHOST_USER_VERSION |
		  VHOST_USER_FLAG_REPLY, 8, &v, 8);
	CU_ASSERT_EQUAL(vhost_user_set_features(&bad_vu, 1), -EIO);
	bad_done();
	log_set_level(saved);
}

/* A reply carrying file descriptors is refused and they are closed. */
static void test_reply_with_fds(void)
{
	enum log_level saved = log_get_level();
	uint32_t h[5] = { VHOST_USER_GET_FEATURES,
			  VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY, 8, 0, 0 };
	int efd = eventfd(0, EFD_CLOEXEC);
	char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { h, sizeof(h) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	unsigned int before;

	log_set_level(LL_ERR);
	bad_setup(0);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &efd, sizeof(int));
	CU_ASSERT_EQUAL(sendmsg(bad_sv[1], &m, 0), (ssize_t)sizeof(h));
	close(efd);
	before = open_fds();
	CU_ASSERT_EQUAL(vhost_user_handshake(&bad_vu, 0), -EPROTO);
	CU_ASSERT_EQUAL(open_fds(), before);	/* no fd leaked */
	bad_done();
	log_set_level(saved);
}

static void test_vring_base_reply(void)
{
	enum log_level saved = log_get_level();
	uint32_t s[2] = { 3, 9 };
	unsigned int base = 77;

	log_set_level(LL_ERR);
	bad_setup(0);			/* answer about another ring */
	bad_reply(VHOST_USER_GET_VRING_BASE, VHOST_USER_VERSION |
		  VHOST_USER_FLAG_REPLY, 8, s, 8);
	CU_ASSERT_EQUAL(vhost_user_get_vring_base(&bad_vu, 1, &base), -EPROTO);
	CU_ASSERT_EQUAL(base, 77);
	bad_done();
	bad_setup(0);			/* index beyond 16 bits */
	s[0] = 1;
	s[1] = 0x10000;
	bad_reply(VHOST_USER_GET_VRING_BASE, VHOST_USER_VERSION |
		  VHOST_USER_FLAG_REPLY, 8, s, 8);
	CU_ASSERT_EQUAL(vhost_user_get_vring_base(&bad_vu, 1, &base), -EPROTO);
	bad_done();
	log_set_level(saved);
}

/* SET_LOG_BASE's reply: empty (DPDK) or a u64 (libvhost-user, as
 * qemu-storage-daemon sends it) are both taken, then the connection is
 * in step for the next request; another size breaks it. */
static void test_log_base_reply(void)
{
	const uint32_t ok = VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY;
	const uint64_t lf = 1ULL << VHOST_USER_PROTOCOL_F_LOG_SHMFD;
	enum log_level saved = log_get_level();
	uint64_t v = 0, feat = 0;
	int fd = eventfd(0, EFD_CLOEXEC);

	log_set_level(LL_ERR);
	for (uint32_t size = 0; size <= 8; size += 8) {
		bad_setup(lf);
		bad_reply(VHOST_USER_SET_LOG_BASE, ok, size, &v, size);
		v = 0x5a;
		bad_reply(VHOST_USER_GET_FEATURES, ok, 8, &v, 8);
		CU_ASSERT_EQUAL(vhost_user_set_log_base(&bad_vu, fd, 4096), 0);
		/* the next reply read is the one meant for it */
		CU_ASSERT_EQUAL(vhost_user_handshake_begin(&bad_vu), 0);
		CU_ASSERT_EQUAL(vhost_user_handshake_finish(&bad_vu, 0), 0);
		feat = bad_vu.features;
		CU_ASSERT_EQUAL(feat, 0x5a);
		CU_ASSERT(!bad_vu.broken);
		bad_done();
	}
	bad_setup(lf);
	bad_reply(VHOST_USER_SET_LOG_BASE, ok, 4, &v, 4);
	CU_ASSERT_EQUAL(vhost_user_set_log_base(&bad_vu, fd, 4096), -EPROTO);
	CU_ASSERT(bad_vu.broken);
	bad_done();
	bad_setup(0);			/* LOG_SHMFD not negotiated */
	CU_ASSERT_EQUAL(vhost_user_set_log_base(&bad_vu, fd, 4096), -ENOTSUP);
	bad_done();
	close(fd);
	log_set_level(saved);
}

/* An idle connection: quiet, unsolicited data, hang-up. */
static void test_check_idle(void)
{
	enum log_level saved = log_get_level();

	log_set_level(LL_ERR);
	bad_setup(0);
	CU_ASSERT_EQUAL(vhost_user_check_idle(&bad_vu), 0);
	CU_ASSERT_EQUAL(write(bad_sv[1], "x", 1), 1);
	CU_ASSERT_EQUAL(vhost_user_check_idle(&bad_vu), -EPROTO);
	bad_done();
	bad_setup(0);
	close(bad_sv[1]);
	CU_ASSERT_EQUAL(vhost_user_check_idle(&bad_vu), -ECONNRESET);
	vhost_user_close(&bad_vu);
	CU_ASSERT_EQUAL(vhost_user_check_idle(&bad_vu), -ENOTCONN);
	log_set_level(saved);
}

static void test_connect_errors(void)
{
	struct vhost_user vu;
	char longpath[200];

	vhost_user_init(&vu);
	CU_ASSERT_EQUAL(vhost_user_connect(&vu, "/nonexistent/vnic.sock"),
			-ENOENT);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	CU_ASSERT_EQUAL(vhost_user_connect(&vu, longpath), -ENAMETOOLONG);
	CU_ASSERT(!vhost_user_connected(&vu));
	CU_ASSERT_EQUAL(vhost_user_set_features(&vu, 0), -ENOTCONN);
	CU_ASSERT_STRING_EQUAL(vhost_user_req_name(5), "SET_MEM_TABLE");
	CU_ASSERT_STRING_EQUAL(vhost_user_req_name(999), "unknown request");
}

/* GET_CONFIG against canned replies queued on the backend's end of a
 * socketpair before the call (the frontend sends, then reads them). */
static void cfg_reply(int fd, uint32_t hsize, uint32_t off, uint32_t size,
		      uint8_t fill)
{
	uint8_t b[12 + 12 + VHOST_USER_CONFIG_MAX];
	uint32_t h[3] = { VHOST_USER_GET_CONFIG,
			  VHOST_USER_VERSION | VHOST_USER_FLAG_REPLY, hsize };
	uint32_t c[3] = { off, size, 0 };

	memcpy(b, h, 12);
	memcpy(b + 12, c, 12);
	memset(b + 24, fill, sizeof(b) - 24);
	CU_ASSERT_EQUAL(write(fd, b, 12 + hsize), (ssize_t)(12 + hsize));
}

static void test_get_config(void)
{
	struct vhost_user vu;
	uint8_t buf[60], req[12 + 12 + 60];
	uint32_t h[3], c[3];
	int sv[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
					 0, sv), 0);
	vhost_user_init(&vu);
	vu.timeout_ms = 200;
	CU_ASSERT_EQUAL_FATAL(vhost_user_attach(&vu, sv[0]), 0);

	/* a good reply: the bytes land in buf; the request as specified */
	cfg_reply(sv[1], 12 + 60, 0, 60, 0xab);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(vhost_user_get_config(&vu, 0, buf, 60), 0);
	CU_ASSERT(buf[0] == 0xab && buf[59] == 0xab);
	CU_ASSERT_EQUAL(read(sv[1], req, sizeof(req)), (ssize_t)sizeof(req));
	memcpy(h, req, 12);
	memcpy(c, req + 12, 12);
	CU_ASSERT_EQUAL(h[0], VHOST_USER_GET_CONFIG);
	CU_ASSERT_EQUAL(h[1], VHOST_USER_VERSION);
	CU_ASSERT_EQUAL(h[2], 12 + 60);
	CU_ASSERT(c[0] == 0 && c[1] == 60 && c[2] == 0);

	/* an empty reply: refused, the connection stays usable */
	cfg_reply(sv[1], 0, 0, 0, 0);
	CU_ASSERT_EQUAL(vhost_user_get_config(&vu, 0, buf, 60), -EIO);
	CU_ASSERT(!vu.broken);
	CU_ASSERT_EQUAL(read(sv[1], req, sizeof(req)), (ssize_t)sizeof(req));

	/* too much asked: nothing sent */
	CU_ASSERT_EQUAL(vhost_user_get_config(&vu, 0, buf,
					      VHOST_USER_CONFIG_MAX + 1),
			-EINVAL);
	CU_ASSERT_EQUAL(vhost_user_get_config(&vu, 0, buf, 0), -EINVAL);

	/* a reply for another range breaks the connection */
	cfg_reply(sv[1], 12 + 60, 4, 60, 0);
	CU_ASSERT_EQUAL(vhost_user_get_config(&vu, 0, buf, 60), -EPROTO);
	CU_ASSERT(vu.broken);
	vhost_user_close(&vu);
	close(sv[1]);

	/* a reply of another size breaks it too */
	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
					 0, sv), 0);
	vhost_user_init(&vu);
	vu.timeout_ms = 200;
	CU_ASSERT_EQUAL_FATAL(vhost_user_attach(&vu, sv[0]), 0);
	cfg_reply(sv[1], 12 + 8, 0, 8, 0);
	CU_ASSERT_EQUAL(vhost_user_get_config(&vu, 0, buf, 60), -EPROTO);
	CU_ASSERT(vu.broken);
	CU_ASSERT_EQUAL(vhost_user_get_config(&vu, 0, buf, 60), -ENOTCONN);
	vhost_user_close(&vu);
	close(sv[1]);
	CU_ASSERT_STRING_EQUAL(vhost_user_req_name(VHOST_USER_GET_CONFIG),
			       "GET_CONFIG");
}

static CU_TestInfo tests[] = {
	{ "handshake with protocol features", test_handshake },
	{ "handshake without protocol features", test_handshake_plain },
	{ "ring set-up, fds, acks", test_session },
	{ "malformed replies", test_bad_replies },
	{ "batch", test_batch },
	{ "EOF, timeout, refused ack", test_eof_and_timeout },
	{ "reply with fds", test_reply_with_fds },
	{ "GET_VRING_BASE reply checks", test_vring_base_reply },
	{ "SET_LOG_BASE replies", test_log_base_reply },
	{ "idle connection events", test_check_idle },
	{ "connect errors", test_connect_errors },
	{ "GET_CONFIG", test_get_config },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(vhost_user, NULL, NULL, tests);
