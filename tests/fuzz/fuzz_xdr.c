/*
 * xvmd's libvirt remote protocol server: the input is the byte stream one
 * client sends on the read-write socket (length words, headers, XDR
 * arguments), fed through a socketpair to remote.c exactly as a client's
 * socket is (remote_serve_fd, the loop's read path, remote_packet, the
 * procedure table, every handler's XDR decoding), then the client hangs
 * up. State lives in a temporary directory; nothing can start hv, reach
 * another host or open a host path: the calls that would (domain
 * create/restore, the migration steps, reading a save image's XML) are
 * renumbered to an unserved procedure before the
 * bytes are sent, and no domain can run without them. After each input
 * every domain it defined is undefined again, so inputs do not depend on
 * each other.
 */
#include <errno.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "xvm/log.h"
#include "xvmd/dom.h"
#include "xvmd/loop.h"
#include "xvmd/remote.h"
#include "xvmd/store.h"

/* Procedures that start hv or talk to another host. */
static const uint32_t blocked[] = {
	9,	/* DOMAIN_CREATE */
	10,	/* DOMAIN_CREATE_XML */
	54,	/* DOMAIN_RESTORE */
	196,	/* DOMAIN_CREATE_WITH_FLAGS */
	213, 214, 216, 217, 218,	/* DOMAIN_MIGRATE_*3 */
	233,	/* DOMAIN_RESTORE_FLAGS */
	235,	/* DOMAIN_SAVE_IMAGE_GET_XML_DESC: opens any path it is
		 * given (root-only in xvmd; here it could open a device) */
	302, 303, 305, 306, 307,	/* DOMAIN_MIGRATE_*3_PARAMS */
};
#define UNSERVED	0x7fffffffu

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Walk the framing as remote.c does and renumber blocked calls. */
static void filter(uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (len - off >= REMOTE_HEADER_LEN) {
		uint32_t plen = get32(buf + off);
		uint32_t proc = get32(buf + off + 12);

		if (plen < REMOTE_HEADER_LEN || plen > len - off)
			return;		/* remote.c closes, or waits */
		if (get32(buf + off + 4) == REMOTE_PROGRAM) {
			for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
				if (proc == blocked[i]) {
					buf[off + 12] = UNSERVED >> 24;
					buf[off + 13] = (UNSERVED >> 16) & 0xff;
					buf[off + 14] = (UNSERVED >> 8) & 0xff;
					buf[off + 15] = UNSERVED & 0xff;
				}
			}
		}
		off += plen;
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fuzz_tmpdir_make("xdr");
	char rundir[128];

	(void)argc; (void)argv;
	fuzz_log_init();
	snprintf(rundir, sizeof(rundir), "%s/run", dir);
	if (store_init(dir, rundir) < 0 || loop_init() < 0) {
		fprintf(stderr, "fuzz_xdr: cannot set up xvmd's state\n");
		exit(1);
	}
	snprintf(dom_env.hv, sizeof(dom_env.hv), "%s/no-such-hv", dir);
	snprintf(dom_env.statedir, sizeof(dom_env.statedir), "%s", dir);
	snprintf(dom_env.rundir, sizeof(dom_env.rundir), "%s", rundir);
	return 0;
}

/* Read and drop what the server sent; true once it has closed. */
static bool drain(int fd)
{
	uint8_t buf[65536];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		;
	return n == 0;
}

static void undefine_all(void)
{
	struct dom *d, *next;
	struct verr e;

	for (d = dom_first(); d; d = next) {
		next = d->next;
		if (!d->dom0 && d->persistent)
			dom_undefine(d, 1, &e);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	size_t off = 0;
	int sv[2], i;

	if (size > (1u << 20))
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (remote_serve_fd(sv[1], false) < 0)
		abort();
	buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	filter(buf, size);
	/* What the socket takes, then let the server read it. */
	for (i = 0; off < size && i < 100000; i++) {
		ssize_t n = send(sv[0], buf + off, size - off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			break;
		loop_run_once(0);
		if (drain(sv[0]))
			break;
	}
	free(buf);
	shutdown(sv[0], SHUT_WR);
	for (i = 0; i < 1000; i++) {
		loop_run_once(0);
		if (drain(sv[0]))
			break;
	}
	close(sv[0]);
	for (i = 0; i < 4; i++)
		loop_run_once(0);
	undefine_all();
	return 0;
}
