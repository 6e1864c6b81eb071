/*
 * hv's vhost-user frontend (hv/vhost_user.c), the code that reads what a
 * backend (vswitchd's netback, a vhost-user-blk daemon) sends: the input
 * is the backend's whole side of the conversation, waiting in one end of
 * a socketpair (then end of file) while hv goes through a session as
 * virtio_net.c and virtio_vublk.c do: handshake, features, memory table,
 * ring set-up, GET_VRING_BASE, GET_CONFIG, SEND_RARP, SET_LOG_BASE and
 * the idle check. Every reply is parsed and checked; a broken connection
 * ends the session as it does in hv.
 */
#include <sys/mman.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "xvm/log.h"
#include "hv/vhost_user.h"

static int memfd = -1;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_log_init();
	memfd = memfd_create("fuzz-vhost-user", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, 65536) < 0) {
		perror("fuzz_vhost_user: memfd");
		exit(1);
	}
	return 0;
}

/* Stop at the first broken step, as hv does (it closes and reconnects). */
#define STEP(call)	do { (void)(call); if (vu.broken || !vhost_user_connected(&vu)) goto out; } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vhost_user_region r = { .gpa = 0, .size = 65536,
				       .uaddr = 0x7f0000000000ull,
				       .mmap_offset = 0, .fd = -1 };
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct vhost_user vu;
	uint8_t cfg[64];
	unsigned int base;
	int sv[2];

	if (size > 65536)
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (size && send(sv[1], data, size, MSG_NOSIGNAL) != (ssize_t)size)
		abort();
	shutdown(sv[1], SHUT_WR);
	r.fd = memfd;
	vhost_user_init(&vu);
	vu.timeout_ms = 100;
	vhost_user_attach(&vu, sv[0]);
	STEP(vhost_user_handshake(&vu, VHOST_USER_PROTOCOL_WANTED |
				  1ULL << VHOST_USER_PROTOCOL_F_CONFIG));
	STEP(vhost_user_set_features(&vu, vu.features));
	STEP(vhost_user_set_mem_table(&vu, &r, 1));
	STEP(vhost_user_set_vring_num(&vu, 0, 256));
	STEP(vhost_user_set_vring_base(&vu, 0, 0));
	STEP(vhost_user_set_vring_addr(&vu, 0, 0x1000, 0x3000, 0x2000,
				       VHOST_USER_NO_LOG));
	STEP(vhost_user_set_vring_kick(&vu, 0, -1));
	STEP(vhost_user_set_vring_call(&vu, 0, -1));
	STEP(vhost_user_set_vring_enable(&vu, 0, true));
	STEP(vhost_user_get_config(&vu, 0, cfg, sizeof(cfg)));
	STEP(vhost_user_send_rarp(&vu, mac));
	STEP(vhost_user_set_log_base(&vu, memfd, 4096));
	STEP(vhost_user_get_vring_base(&vu, 0, &base));
	STEP(vhost_user_check_idle(&vu));
out:
	vhost_user_close(&vu);
	close(sv[1]);
	return 0;
}
