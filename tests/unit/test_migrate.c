/* migrate: the VM state stream (save/restore, migration) codec. */
#include "devtest.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <linux/kvm.h>
#include "hv/migrate.h"
#include "hv/vcpu.h"

#define MEM	(2u << 20)

static struct vm *mkvm(size_t mem, unsigned int vcpus)
{
	struct vm *vm = devtest_vm(mem, vcpus);

	CU_ASSERT_FATAL(vm != NULL);
	CU_ASSERT_EQUAL_FATAL(devices_create(vm), 0);
	return vm;
}

static void rmvm(struct vm *vm)
{
	devices_destroy(vm);
	devtest_vm_free(vm);
}

/* A source VM with a RAM pattern and a device state change. */
static struct vm *source(void)
{
	struct vm *a = mkvm(MEM, 1);
	uint8_t *ram = a->mem[0].hva;

	for (size_t i = 0; i < 64 * 4096; i += 8)
		memcpy(ram + 0x100000 + i, &i, sizeof(i));
	ram[5 * 4096 + 17] = 0xa5;	/* one byte in an otherwise zero page */
	devices_power_button(a);	/* PWRBTN_STS in acpi_pm's state */
	return a;
}

static void save(struct vm *vm, struct snap_writer *w)
{
	snap_writer_init(w, 64u << 20);
	pthread_mutex_lock(&vm->dev_lock);
	CU_ASSERT_EQUAL(mig_save(vm, w), 0);
	pthread_mutex_unlock(&vm->dev_lock);
}

static void test_roundtrip(void)
{
	struct vm *a = source(), *b = mkvm(MEM, 1);
	struct snap_writer w;
	char msg[256] = "";

	save(a, &w);
	/* zero pages are markers: the stream is far smaller than RAM */
	CU_ASSERT(w.len < 70 * 4096);
	CU_ASSERT(memcmp(w.buf, MIG_MAGIC, 8) == 0);
	b->mem[0].hva[9 * 4096] = 0x77;	/* stale: a zero marker clears it */
	CU_ASSERT_EQUAL(mig_load(b, w.buf, w.len, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg, "");
	CU_ASSERT(memcmp(a->mem[0].hva, b->mem[0].hva, MEM) == 0);
	CU_ASSERT_EQUAL(pio_in(b, ACPI_PM_PORT, 2) & 0x100, 0x100);
	snap_writer_free(&w);
	rmvm(a);
	rmvm(b);
}

/* The stream's CRC as the sender runs it on (mig_crc_stream: each
 * section's own payload CRC stands for its payload) is the CRC of the
 * bytes, whole or in pieces cut at section boundaries, and bytes that
 * are not whole sections are run through as they are. */
static void test_crc_stream(void)
{
	struct vm *a = source();
	struct snap_writer w;
	uint32_t want, crc;
	size_t cut;

	save(a, &w);
	CU_ASSERT_FATAL(w.len > 3 * 4096);
	want = snap_crc32_update(0, w.buf, w.len);
	CU_ASSERT_EQUAL(mig_crc_stream(0, w.buf, w.len, true), want);
	/* after the header and the config section */
	cut = MIG_HEADER_LEN + 3 + w.buf[MIG_HEADER_LEN + 2] + 8;
	cut += (size_t)w.buf[cut - 4] | (size_t)w.buf[cut - 3] << 8 |
	       (size_t)w.buf[cut - 2] << 16 | (size_t)w.buf[cut - 1] << 24;
	cut += 4;
	crc = mig_crc_stream(0, w.buf, cut, true);
	CU_ASSERT_EQUAL(mig_crc_stream(crc, w.buf + cut, w.len - cut, false),
			want);
	/* pieces that end inside a section or its header */
	CU_ASSERT_EQUAL(mig_crc_stream(0, w.buf, w.len - 7, true),
			snap_crc32_update(0, w.buf, w.len - 7));
	CU_ASSERT_EQUAL(mig_crc_stream(0, w.buf + MIG_HEADER_LEN, 5, false),
			snap_crc32_update(0, w.buf + MIG_HEADER_LEN, 5));
	snap_writer_free(&w);
	rmvm(a);
}

static void expect_refused(struct vm *b, const uint8_t *buf, size_t len,
			   const char *want)
{
	char msg[256] = "";
	uint8_t before[64];

	memcpy(before, b->mem[0].hva + 0x100000, sizeof(before));
	CU_ASSERT_EQUAL(mig_load(b, buf, len, msg, sizeof(msg)), -EINVAL);
	if (!strstr(msg, want)) {
		fprintf(stderr, "\n  message \"%s\" lacks \"%s\"\n", msg, want);
		CU_FAIL("wrong message");
	}
	/* refused before anything was applied */
	CU_ASSERT(memcmp(before, b->mem[0].hva + 0x100000,
			 sizeof(before)) == 0);
}

static void test_refusals(void)
{
	struct vm *a = source(), *b = mkvm(MEM, 1);
	enum log_level saved = log_get_level();
	struct snap_writer w;
	uint8_t *bad;
	size_t ram_byte;

	log_set_level(LL_ERR);
	save(a, &w);
	bad = malloc(w.len + 1);
	CU_ASSERT_FATAL(bad != NULL);

	/* truncated anywhere, even by one byte */
	expect_refused(b, w.buf, 10, "not an xvm state stream");
	expect_refused(b, w.buf, w.len / 2, "truncated");
	expect_refused(b, w.buf, w.len - 1, "truncated");

	/* trailing bytes */
	memcpy(bad, w.buf, w.len);
	bad[w.len] = 0;
	expect_refused(b, bad, w.len + 1, "after the end");

	/* one flipped byte in guest RAM: that section's checksum */
	memcpy(bad, w.buf, w.len);
	ram_byte = 0;
	for (size_t i = 0; i + 8 <= w.len; i++)
		if (memcmp(w.buf + i, "\x08\x00\x00\x00\x00\x00\x00\x00", 8)
		    == 0 && i > 64) {
			ram_byte = i;	/* the pattern's second word */
			break;
		}
	CU_ASSERT_FATAL(ram_byte != 0);
	bad[ram_byte] ^= 0x01;
	expect_refused(b, bad, w.len, "checksum mismatch");

	/* every single flipped byte is refused (sampled) */
	for (size_t i = 0; i < w.len; i += 97) {
		char msg[256];

		memcpy(bad, w.buf, w.len);
		bad[i] ^= 0x40;
		CU_ASSERT_EQUAL(mig_check(b, bad, w.len, msg, sizeof(msg)),
				-EINVAL);
	}

	/* CPU state for a VM without KVM vCPUs (the flag is in the header,
	 * not under a CRC: refused by what it asks for) */
	memcpy(bad, w.buf, w.len);
	bad[12] |= MIG_F_CPU;
	expect_refused(b, bad, w.len, "has no KVM vCPUs");
	bad[12] = 0x80;
	expect_refused(b, bad, w.len, "unknown stream flags 0x80");

	/* another format version */
	memcpy(bad, w.buf, w.len);
	bad[8] = MIG_VERSION + 1;
	expect_refused(b, bad, w.len, "unsupported stream format version 2");

	log_set_level(saved);
	free(bad);
	snap_writer_free(&w);
	rmvm(a);
	rmvm(b);
}

static void test_config_mismatch(void)
{
	struct vm *a = source(), *b;
	enum log_level saved = log_get_level();
	struct snap_writer w;

	log_set_level(LL_ERR);
	save(a, &w);

	b = mkvm(MEM * 2, 1);
	expect_refused(b, w.buf, w.len, "saved domain has 2 MiB of memory, "
		       "this one 4 MiB");
	rmvm(b);

	b = mkvm(MEM, 2);
	expect_refused(b, w.buf, w.len, "saved domain has 1 vCPUs, this one 2");
	rmvm(b);

	/* a device set that differs (one device fewer) */
	b = mkvm(MEM, 1);
	b->nr_devs--;
	expect_refused(b, w.buf, w.len, "devices");
	b->nr_devs++;
	rmvm(b);

	log_set_level(saved);
	snap_writer_free(&w);
	rmvm(a);
}

/* Several RAM rounds (live migration) with the same records, then the
 * end-of-RAM marker: the last round wins. */
static void test_ram_rounds(void)
{
	struct vm *a = source(), *b = mkvm(MEM, 1);
	struct snap_writer w;
	char msg[256] = "";
	uint64_t pages = MEM / MIG_PAGE;

	snap_writer_init(&w, 64u << 20);
	CU_ASSERT_EQUAL(mig_put_header(a, &w, 0), 0);
	/* round 1 (its own ram-end is not written: rounds share one) */
	{
		struct snap_writer t;

		snap_writer_init(&t, 64u << 20);
		CU_ASSERT_EQUAL(mig_put_ram(a, &t), 0);
		/* drop t's ram-end (11-byte header + 8 + 4 CRC) */
		snap_put_bytes(&w, t.buf, t.len - (2 + 1 + 7 + 4 + 4 + 8 + 4));
		snap_writer_free(&t);
	}
	a->mem[0].hva[0x100000] = 0xee;	/* dirtied after round 1 */
	CU_ASSERT_EQUAL(mig_put_ram(a, &w), 0);
	/* mig_put_ram counted its own pages: fix the total for two rounds */
	w.len -= 2 + 1 + 7 + 4 + 4 + 8 + 4;
	CU_ASSERT_EQUAL(mig_put_ram_end(&w, pages * 2), 0);
	CU_ASSERT_EQUAL(mig_put_devices(a, &w), 0);
	CU_ASSERT_EQUAL(mig_put_end(&w), 0);
	CU_ASSERT_EQUAL(mig_load(b, w.buf, w.len, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg, "");
	CU_ASSERT_EQUAL(b->mem[0].hva[0x100000], 0xee);
	snap_writer_free(&w);
	rmvm(a);
	rmvm(b);
}

/* A KVM blob as the writer puts it: length, then bytes (zeros here). */
static void put_zero_blob(struct snap_writer *w, size_t n)
{
	snap_put_u32(w, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		snap_put_u8(w, 0);
}

enum cpu_flaw { CPU_GOOD, CPU_ODD_MSR, CPU_MANY_MSRS, CPU_XSAVE_SIZE,
		CPU_INDEX, CPU_CHIP_ID };

/* A stream with CPU state (MIG_F_CPU) for one vCPU, with one flaw the
 * section CRCs do not catch (a crafted file recomputes them). */
static void cpu_stream(struct vm *a, struct snap_writer *w, enum cpu_flaw f)
{
	size_t mark;

	snap_writer_init(w, 64u << 20);
	CU_ASSERT_EQUAL(mig_put_header(a, w, MIG_F_CPU), 0);
	CU_ASSERT_EQUAL(mig_put_ram(a, w), 0);
	snap_section_begin(w, "cpu", 1, &mark);
	snap_put_u32(w, f == CPU_INDEX ? 7 : 0);
	put_zero_blob(w, sizeof(struct kvm_regs));
	put_zero_blob(w, sizeof(struct kvm_sregs));
	put_zero_blob(w, sizeof(struct kvm_fpu));
	put_zero_blob(w, f == CPU_XSAVE_SIZE ? 64 : sizeof(struct kvm_xsave));
	put_zero_blob(w, 0);				/* no XCRs */
	put_zero_blob(w, sizeof(struct kvm_lapic_state));
	put_zero_blob(w, sizeof(struct kvm_vcpu_events));
	put_zero_blob(w, sizeof(struct kvm_mp_state));
	put_zero_blob(w, sizeof(struct kvm_debugregs));
	if (f == CPU_MANY_MSRS) {
		snap_put_u32(w, 1000);
		for (unsigned int i = 0; i < 1000; i++) {
			snap_put_u32(w, 0x174);
			snap_put_u64(w, 0);
		}
	} else {
		snap_put_u32(w, 2);
		snap_put_u32(w, 0xc0000082);		/* LSTAR */
		snap_put_u64(w, 0xffffffff81000000ull);
		/* IA32_FEATURE_CONTROL: not guest state hv ever saves */
		snap_put_u32(w, f == CPU_ODD_MSR ? 0x3a : 0x277);
		snap_put_u64(w, 0x0007040600070406ull);
	}
	snap_section_end(w, mark);
	snap_section_begin(w, "vm", 1, &mark);
	for (uint32_t id = 0; id < 3; id++) {
		struct kvm_irqchip chip = { .chip_id = id };

		if (f == CPU_CHIP_ID && id == 1)
			chip.chip_id = 9;
		snap_put_u32(w, sizeof(chip));
		snap_put_bytes(w, &chip, sizeof(chip));
	}
	put_zero_blob(w, sizeof(struct kvm_pit_state2));
	put_zero_blob(w, sizeof(struct kvm_clock_data));
	snap_section_end(w, mark);
	CU_ASSERT_EQUAL(mig_put_devices(a, w), 0);
	CU_ASSERT_EQUAL(mig_put_end(w), 0);
}

/* CPU and VM state is part of the whole-stream check: a stream whose
 * vCPU section is malformed or names MSRs hv never saves is refused
 * before any of it (guest RAM first) is applied. The "KVM" here is
 * /dev/null: any ioctl reaching it fails, so a stream that passed the
 * check would be half applied and then refused by "KVM". */
static void test_cpu_state_checked(void)
{
	static const struct { enum cpu_flaw f; const char *want; } bad[] = {
		{ CPU_ODD_MSR, "MSR 0x3a" },
		{ CPU_MANY_MSRS, "1000 MSRs" },
		{ CPU_XSAVE_SIZE, "malformed CPU state" },
		{ CPU_INDEX, "cpu section 7 where vcpu0 expected" },
		{ CPU_CHIP_ID, "bad irqchip 1" },
	};
	struct vm *a = source(), *b = mkvm(MEM, 1);
	enum log_level saved = log_get_level();
	int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct vcpu v = { .vm = b, .index = 0, .fd = nullfd };
	struct snap_writer w;
	char msg[256] = "";

	CU_ASSERT_FATAL(nullfd >= 0);
	log_set_level(LL_ERR);
	b->vm_fd = nullfd;
	b->vcpus = &v;
	cpu_stream(a, &w, CPU_GOOD);
	CU_ASSERT_EQUAL(mig_check(b, w.buf, w.len, msg, sizeof(msg)), 0);
	CU_ASSERT_STRING_EQUAL(msg, "");
	snap_writer_free(&w);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(b->mem[0].hva, 0, MEM);	/* a half restore shows */
		cpu_stream(a, &w, bad[i].f);
		expect_refused(b, w.buf, w.len, bad[i].want);
		snap_writer_free(&w);
	}
	b->vcpus = NULL;
	b->vm_fd = -1;
	close(nullfd);
	log_set_level(saved);
	rmvm(a);
	rmvm(b);
}

/* A source that connects to the destination and then sends `n` bytes of
 * a stream and nothing more, keeping the connection open. */
struct stall_peer {
	char path[108];
	const uint8_t *data;
	size_t n;
	int fd;
};

static void *stall_peer_run(void *arg)
{
	struct stall_peer *p = arg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->path);
	for (int i = 0; i < 1000; i++) {	/* until hv listens */
		p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (p->fd >= 0 && connect(p->fd, (struct sockaddr *)&sa,
					  sizeof(sa)) == 0)
			break;
		close(p->fd);
		p->fd = -1;
		usleep(10000);
	}
	if (p->fd >= 0 && p->n &&
	    write(p->fd, p->data, p->n) != (ssize_t)p->n)
		fprintf(stderr, "stall peer: short write\n");
	return NULL;
}

/* --incoming with a peer that connects and then goes silent (before a
 * byte, or in the middle of a section): hv gives up after its receive
 * timeout with a message instead of waiting forever (its control socket
 * is not served until the stream is in). */
static void test_incoming_stalled_peer(void)
{
	struct vm *a = source(), *b = mkvm(MEM, 1);
	enum log_level saved = log_get_level();
	unsigned int saved_ms = mig_recv_timeout_ms;
	size_t cut[] = { 0, 5, MIG_HEADER_LEN + 20 };
	struct snap_writer w;

	log_set_level(LL_ERR);
	save(a, &w);
	mig_recv_timeout_ms = 200;
	for (size_t i = 0; i < ARRAY_SIZE(cut); i++) {
		struct stall_peer p = { .data = w.buf, .n = cut[i], .fd = -1 };
		char uri[128], msg[256] = "";
		pthread_t t;

		snprintf(p.path, sizeof(p.path), "/tmp/xvm-unit-mig-%d.sock",
			 (int)getpid());
		snprintf(uri, sizeof(uri), "unix:%s", p.path);
		CU_ASSERT_FATAL(pthread_create(&t, NULL, stall_peer_run,
					       &p) == 0);
		CU_ASSERT_EQUAL(mig_incoming(b, uri, msg, sizeof(msg)),
				-ETIMEDOUT);
		if (!strstr(msg, "sent nothing for")) {
			fprintf(stderr, "\n  message \"%s\"\n", msg);
			CU_FAIL("wrong message");
		}
		pthread_join(t, NULL);
		CU_ASSERT(p.fd >= 0);
		if (p.fd >= 0)
			close(p.fd);
	}
	mig_recv_timeout_ms = saved_ms;

	/* a peer that is no xvm source (16 bytes of something else, then
	 * waiting): refused on its header, not after a timeout */
	{
		struct stall_peer p = {
			.data = (const uint8_t *)"GET / HTTP/1.1\r\n", .n = 16,
			.fd = -1,
		};
		char uri[128], msg[256] = "";
		pthread_t t;

		snprintf(p.path, sizeof(p.path), "/tmp/xvm-unit-mig-%d.sock",
			 (int)getpid());
		snprintf(uri, sizeof(uri), "unix:%s", p.path);
		mig_recv_timeout_ms = 2000;	/* a regression fails, not hangs */
		CU_ASSERT_FATAL(pthread_create(&t, NULL, stall_peer_run,
					       &p) == 0);
		CU_ASSERT_EQUAL(mig_incoming(b, uri, msg, sizeof(msg)),
				-EINVAL);
		CU_ASSERT(strstr(msg, "bad magic") != NULL);
		pthread_join(t, NULL);
		if (p.fd >= 0)
			close(p.fd);
		mig_recv_timeout_ms = saved_ms;
	}

	/* --incoming unix:PATH where PATH is a regular file: refused, the
	 * file left alone (only a stale socket is replaced) */
	{
		char path[108], uri[128], msg[256] = "";
		struct stat st;
		int fd;

		snprintf(path, sizeof(path), "/tmp/xvm-unit-mig-%d.file",
			 (int)getpid());
		snprintf(uri, sizeof(uri), "unix:%s", path);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		CU_ASSERT(fd >= 0 && write(fd, "keep", 4) == 4);
		close(fd);
		CU_ASSERT_EQUAL(mig_incoming(b, uri, msg, sizeof(msg)),
				-EADDRINUSE);
		CU_ASSERT(stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			  st.st_size == 4);
		unlink(path);
	}
	log_set_level(saved);
	snap_writer_free(&w);
	rmvm(a);
	rmvm(b);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Recompute the CRCs of the sections in b[s, e) (and of the device
 * sections in "devices", and the end section's length and CRC) as far as
 * their headers still parse: what a crafted stream does, so the reader's
 * own checks, not the checksums, meet the damage. */
static void reseal(uint8_t *b, size_t s, size_t e, size_t top)
{
	size_t p = s;

	while (e - p >= 3 && b[p] == 0x53 && b[p + 1] == 0x58 && b[p + 2] &&
	       b[p + 2] <= SNAP_NAME_MAX && e - p >= 3u + b[p + 2] + 8) {
		unsigned int n = b[p + 2];
		size_t q = p + 3 + n + 8;
		uint32_t plen = le32(b + q - 4);

		if (plen > e - q || e - q - plen < 4)
			return;
		if (n == 7 && !memcmp(b + p + 3, "devices", 7))
			reseal(b, q, q + plen, 0);
		if (top && n == 3 && !memcmp(b + p + 3, "end", 3) &&
		    plen == 12) {
			put_le(b + q, p, 8);
			put_le(b + q + 8, snap_crc32_update(0, b, p), 4);
		}
		put_le(b + q + plen, snap_crc32_update(0, b + q, plen), 4);
		p = q + plen + 4;
	}
}

/* The reader over a valid stream cut at every length, with every byte
 * flipped, and with every byte flipped and the checksums recomputed (a
 * crafted stream: device load() functions meet the values): refused or
 * loaded, never a read or write out of bounds (run under valgrind:
 * valgrind --error-exitcode=1 build/tests/xvm-unit migrate/fuzz). */
static void test_fuzz(void)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	const size_t mem = 16 * MIG_PAGE;
	struct vm *a = mkvm(mem, 1), *b = mkvm(mem, 1);
	enum log_level saved = log_get_level();
	unsigned int loaded = 0, refused = 0;
	struct snap_writer w;
	char msg[256];
	uint8_t *bad;

	log_set_level(LL_ERR);
	memset(a->mem[0].hva + 3 * MIG_PAGE, 0x5a, MIG_PAGE);
	devices_power_button(a);
	save(a, &w);
	bad = malloc(w.len);
	CU_ASSERT_FATAL(bad != NULL);
	for (size_t n = 0; n < w.len; n++) {
		memcpy(bad, w.buf, n);	/* a fresh copy: no reads past n */
		if (mig_check(b, bad, n, msg, sizeof(msg)) != -EINVAL)
			CU_FAIL("truncated stream accepted");
	}
	for (size_t i = 0; i < w.len; i++)
		for (size_t f = 0; f < ARRAY_SIZE(flips); f++) {
			int rc;

			memcpy(bad, w.buf, w.len);
			bad[i] ^= flips[f];
			if (mig_check(b, bad, w.len, msg, sizeof(msg)) != -EINVAL)
				CU_FAIL("flipped byte accepted");
			reseal(bad, MIG_HEADER_LEN, w.len, 1);
			rc = mig_load(b, bad, w.len, msg, sizeof(msg));
			CU_ASSERT(rc == 0 || rc == -EINVAL);
			if (rc == 0)
				loaded++;
			else
				refused++;
		}
	/* both outcomes happened: the resealing reached the loaders */
	CU_ASSERT(loaded > 0);
	CU_ASSERT(refused > 0);
	/* and the original still loads */
	CU_ASSERT_EQUAL(mig_load(b, w.buf, w.len, msg, sizeof(msg)), 0);
	CU_ASSERT(memcmp(a->mem[0].hva, b->mem[0].hva, mem) == 0);
	log_set_level(saved);
	free(bad);
	snap_writer_free(&w);
	rmvm(a);
	rmvm(b);
}

/* The save file hv opens by name after its caller (xvmd) made it: a
 * symlink put in its place, a FIFO or a directory is refused (nothing
 * written through it, no wait on a FIFO), and at an offset the file must
 * already hold the caller's header. */
static void test_save_open(void)
{
	char dir[] = "/tmp/xvm-unit-mig-XXXXXX", p[128], t[128], msg[256];
	int fd;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/img", dir);
	snprintf(t, sizeof(t), "%s/victim", dir);
	fd = open(t, O_WRONLY | O_CREAT, 0600);
	CU_ASSERT(fd >= 0 && write(fd, "precious", 8) == 8);
	close(fd);

	/* a symlink to another file, at offset 0 and at an offset */
	CU_ASSERT_EQUAL(symlink(t, p), 0);
	CU_ASSERT_EQUAL(mig_save_open(p, 0, msg, sizeof(msg)), -ELOOP);
	CU_ASSERT(strstr(msg, "symbolic link") != NULL);
	CU_ASSERT_EQUAL(mig_save_open(p, 4, msg, sizeof(msg)), -ELOOP);
	{
		struct stat st;

		CU_ASSERT(stat(t, &st) == 0 && st.st_size == 8);
	}
	unlink(p);

	/* a FIFO with no reader: refused at once, not waited on */
	CU_ASSERT_EQUAL(mkfifo(p, 0600), 0);
	CU_ASSERT(mig_save_open(p, 0, msg, sizeof(msg)) < 0);
	unlink(p);

	/* restore from a FIFO (no writer): refused at once as well */
	CU_ASSERT_EQUAL(mkfifo(p, 0600), 0);
	{
		struct vm *b = mkvm(MEM, 1);

		CU_ASSERT_EQUAL(mig_restore_file(b, p, 0, msg, sizeof(msg)),
				-EINVAL);
		CU_ASSERT(strstr(msg, "not a regular file") != NULL);
		rmvm(b);
	}
	unlink(p);

	/* at an offset: the caller's file must be there, that long */
	CU_ASSERT_EQUAL(mig_save_open(p, 4096, msg, sizeof(msg)), -ENOENT);
	CU_ASSERT_EQUAL(mig_save_open(t, 4096, msg, sizeof(msg)), -EINVAL);
	CU_ASSERT(strstr(msg, "shorter than the offset") != NULL);
	fd = mig_save_open(t, 8, msg, sizeof(msg));
	CU_ASSERT(fd >= 0);
	close(fd);
	/* offset 0: created, 0600 */
	fd = mig_save_open(p, 0, msg, sizeof(msg));
	CU_ASSERT(fd >= 0);
	close(fd);
	{
		struct stat st;

		CU_ASSERT(stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
			  (st.st_mode & 0777) == 0600);
	}
	unlink(p);
	unlink(t);
	rmdir(dir);
}

/* The source's wait for the verdict: 'K' from a destination that stays
 * connected is final at once (it waited for 511 bytes or EOF before:
 * forever, the guest paused); 'E' brings the destination's message. */
static void test_out_ack(void)
{
	char msg[256] = "";
	int sv[2];

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				   sv) == 0);
	CU_ASSERT_EQUAL(write(sv[1], "K", 1), 1);
	CU_ASSERT_EQUAL(mig_out_ack(sv[0], msg, sizeof(msg)), 0);
	close(sv[0]);
	close(sv[1]);

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				   sv) == 0);
	CU_ASSERT_EQUAL(write(sv[1], "Eno room", 8), 8);
	shutdown(sv[1], SHUT_WR);
	CU_ASSERT_EQUAL(mig_out_ack(sv[0], msg, sizeof(msg)), -EPROTO);
	CU_ASSERT_STRING_EQUAL(msg, "destination refused the stream: "
			       "no room");
	close(sv[0]);
	close(sv[1]);

	CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				   sv) == 0);
	close(sv[1]);
	CU_ASSERT_EQUAL(mig_out_ack(sv[0], msg, sizeof(msg)), -ECONNRESET);
	close(sv[0]);
}

/* The holes of guest memory: pages never written are holes of the
 * memfd (a zero marker each, never read); written ones are data, and so
 * is a page written and zeroed again. */
static void test_holes(void)
{
	struct vm vm;
	uint8_t *holes[2] = { NULL, NULL };
	size_t size = 64 * MIG_PAGE;
	uint8_t *p;

	memset(&vm, 0, sizeof(vm));
	vm.mem_fd = memfd_create("holes", MFD_CLOEXEC);
	CU_ASSERT_FATAL(vm.mem_fd >= 0);
	CU_ASSERT_EQUAL_FATAL(ftruncate(vm.mem_fd, (off_t)size), 0);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vm.mem_fd, 0);
	CU_ASSERT_FATAL(p != MAP_FAILED);
	vm.nr_mem = 1;
	vm.mem[0] = (struct vm_mem_region){ .gpa = 0, .size = size,
					    .hva = p, .fd_offset = 0 };
	p[3 * MIG_PAGE] = 1;
	p[40 * MIG_PAGE + 100] = 2;
	p[63 * MIG_PAGE + MIG_PAGE - 1] = 3;
	p[20 * MIG_PAGE] = 4;
	p[20 * MIG_PAGE] = 0;		/* allocated, zero again: data */
	CU_ASSERT_EQUAL_FATAL(mig_holes_init(&vm, holes), 0);
	CU_ASSERT_FATAL(holes[0] != NULL);
	CU_ASSERT_PTR_NULL(holes[1]);
	for (unsigned int i = 0; i < 64; i++)
		CU_ASSERT_EQUAL(holes[0][i],
				!(i == 3 || i == 20 || i == 40 || i == 63));
	mig_holes_free(holes);
	CU_ASSERT_PTR_NULL(holes[0]);
	/* no memfd (a hand-built VM): nothing mapped, every page read */
	close(vm.mem_fd);
	vm.mem_fd = -1;
	CU_ASSERT_EQUAL(mig_holes_init(&vm, holes), 0);
	CU_ASSERT_PTR_NULL(holes[0]);
	munmap(p, size);
}

/* Catching up: a fitting set larger than a last pass needs is sent while
 * the guest runs, again at once while it shrinks by a quarter, at most
 * MIG_CATCH_UP_MAX times; a small one goes in the last pass as it is. */
static void test_catch_up(void)
{
	/* small enough: switch now, whatever came before */
	CU_ASSERT_FALSE(mig_catch_up(0, 0, 0));
	CU_ASSERT_FALSE(mig_catch_up(MIG_LAST_PASS_PAGES, 0, 0));
	CU_ASSERT_FALSE(mig_catch_up(MIG_LAST_PASS_PAGES, 1000, 1));
	/* larger: the first catch-up always (prev unknown or a timed round) */
	CU_ASSERT_TRUE(mig_catch_up(MIG_LAST_PASS_PAGES + 1, 0, 0));
	CU_ASSERT_TRUE(mig_catch_up(200, 100, 0));
	/* then only while it shrinks by at least a quarter */
	CU_ASSERT_TRUE(mig_catch_up(150, 200, 1));	/* exactly 3/4 */
	CU_ASSERT_FALSE(mig_catch_up(151, 200, 1));
	CU_ASSERT_FALSE(mig_catch_up(300, 200, 2));	/* it grew */
	/* and at most MIG_CATCH_UP_MAX times */
	CU_ASSERT_TRUE(mig_catch_up(40, 1000, MIG_CATCH_UP_MAX - 1));
	CU_ASSERT_FALSE(mig_catch_up(40, 1000, MIG_CATCH_UP_MAX));
}

/* The switch-over rule: remaining dirty bytes at the measured bandwidth
 * against the downtime target; bounded rounds, then give up. */
static void test_converge(void)
{
	uint64_t ms = 0;

	/* 1 MiB dirty at 100 MiB/s: 10 ms; fits 300 ms, not 5 ms */
	CU_ASSERT_EQUAL(mig_converge(1u << 20, 100u << 20, 300, 1, 30, &ms),
			MIG_SWITCH);
	CU_ASSERT_EQUAL(ms, 10);
	CU_ASSERT_EQUAL(mig_converge(1u << 20, 100u << 20, 5, 1, 30, &ms),
			MIG_GO_ON);
	CU_ASSERT_EQUAL(mig_converge(1u << 20, 100u << 20, 10, 3, 30, NULL),
			MIG_SWITCH);	/* exactly the target: it fits */
	/* the same after the last round allowed: a clear failure */
	CU_ASSERT_EQUAL(mig_converge(1u << 20, 100u << 20, 5, 30, 30, &ms),
			MIG_GIVE_UP);
	CU_ASSERT_EQUAL(ms, 10);
	/* raising the downtime makes the same state converge */
	CU_ASSERT_EQUAL(mig_converge(1u << 20, 100u << 20, 2000, 30, 30, &ms),
			MIG_SWITCH);
	/* nothing dirty: switch whatever was measured */
	CU_ASSERT_EQUAL(mig_converge(0, 0, 1, 1, 30, &ms), MIG_SWITCH);
	CU_ASSERT_EQUAL(ms, 0);
	/* no bandwidth measured: no estimate, never a switch on a guess */
	CU_ASSERT_EQUAL(mig_converge(4096, 0, 3600000, 1, 30, &ms), MIG_GO_ON);
	CU_ASSERT_EQUAL(ms, UINT64_MAX);
	/* rounding up: 1 byte at 1 MB/s is 1 ms, not 0 */
	CU_ASSERT_EQUAL(mig_converge(1, 1000000, 0, 1, 30, &ms), MIG_GO_ON);
	CU_ASSERT_EQUAL(ms, 1);
	/* huge numbers do not overflow into a small estimate */
	CU_ASSERT_EQUAL(mig_converge(UINT64_MAX / 2, 1u << 20, 3600000, 1, 30,
				     &ms), MIG_GO_ON);
	CU_ASSERT(ms > 3600000);
	CU_ASSERT_EQUAL(mig_rate(100u << 20, 1000000000ull), 100u << 20);
	/* the estimate: bytes over writing time, capped by the limit */
	CU_ASSERT_EQUAL(mig_bw_estimate(64u << 20, 500000000ull, 0), 128u << 20);
	CU_ASSERT_EQUAL(mig_bw_estimate(64u << 20, 500000000ull, 1u << 20),
			1u << 20);
	CU_ASSERT_EQUAL(mig_bw_estimate(1u << 20, 1000000000ull, 8u << 20),
			1u << 20);
	CU_ASSERT_EQUAL(mig_bw_estimate(0, 0, 0), 0);
	CU_ASSERT_EQUAL(mig_bw_estimate(0, 0, 4u << 20), 4u << 20);
	CU_ASSERT_EQUAL(mig_rate(5, 0), 0);
}

/* The token bucket: over a long run no more than rate x time plus one
 * burst goes out; unlimited never waits; a new rate applies at once. */
static void test_bucket(void)
{
	struct mig_bucket b;
	uint64_t now = 1000000000ull, sent = 0, rate = 8u << 20;

	mig_bucket_init(&b, 0, now);
	CU_ASSERT_EQUAL(mig_bucket_take(&b, now, 1u << 30), 0);
	mig_bucket_init(&b, rate, now);
	/* the first burst (100 ms worth) goes at once */
	CU_ASSERT_EQUAL(mig_bucket_take(&b, now, rate / 10), 0);
	/* then 64 KiB costs 64 KiB / rate: 7.8 ms */
	CU_ASSERT_EQUAL(mig_bucket_take(&b, now, 64u << 10),
			(64ull << 10) * 1000000000ull / rate);
	/* a sender that waits as told, for 10 simulated seconds */
	mig_bucket_init(&b, rate, now);
	for (uint64_t t = now; t < now + 10000000000ull; ) {
		uint64_t w = mig_bucket_take(&b, t, 64u << 10);

		sent += 64u << 10;
		t += w ? w : 1000;	/* a fast link: 1 us per write */
	}
	CU_ASSERT(sent <= rate * 10 + rate / 10 + (64u << 10));
	CU_ASSERT(sent >= rate * 10 - (64u << 10));
	/* lowered mid-way: the next waits follow the new rate */
	mig_bucket_set_rate(&b, 1u << 20, now + 10000000000ull);
	CU_ASSERT(mig_bucket_take(&b, now + 10000000000ull, 1u << 20) >=
		  900000000ull);
	/* unlimited again: no wait, whatever the debt */
	mig_bucket_set_rate(&b, 0, now + 10000000000ull);
	CU_ASSERT_EQUAL(mig_bucket_take(&b, now + 10000000000ull, 1u << 30), 0);
	/* time going backwards (never, with CLOCK_MONOTONIC) gives no
	 * tokens */
	mig_bucket_init(&b, rate, now);
	mig_bucket_take(&b, now, rate);
	CU_ASSERT(mig_bucket_take(&b, now - 1000000000ull, 1) > 0);
}

/* --incoming takes a whole stream over the socket: RAM sections are
 * written as they arrive, the rest checked and loaded at the end; a
 * damaged RAM section is refused naming it, a stream whose RAM was
 * written but whose end does not add up (whole-stream CRC) is refused. */
static void test_incoming_streamed(void)
{
	struct vm *a = source();
	enum log_level saved = log_get_level();
	unsigned int saved_ms = mig_recv_timeout_ms;
	struct snap_writer w;
	size_t ram_at, end_at;

	log_set_level(LL_ERR);
	save(a, &w);
	mig_recv_timeout_ms = 5000;	/* a regression fails, not hangs */
	/* where the first "ram" section's payload and the "end" section are */
	ram_at = end_at = 0;
	for (size_t i = MIG_HEADER_LEN; i + 6 < w.len; i++) {
		if (!ram_at && w.buf[i] == 0x53 && w.buf[i + 1] == 0x58 &&
		    w.buf[i + 2] == 3 && !memcmp(w.buf + i + 3, "ram", 3))
			ram_at = i + 3 + 3 + 8 + 100;
		if (w.buf[i] == 0x53 && w.buf[i + 1] == 0x58 &&
		    w.buf[i + 2] == 3 && !memcmp(w.buf + i + 3, "end", 3))
			end_at = i;
	}
	CU_ASSERT_FATAL(ram_at && end_at);
	for (int v = 0; v < 3; v++) {
		struct vm *b = mkvm(MEM, 1);
		uint8_t *data = malloc(w.len);
		struct stall_peer p = { .data = data, .n = w.len, .fd = -1 };
		char uri[128], msg[256] = "";
		pthread_t t;
		int rc;

		memcpy(data, w.buf, w.len);
		if (v == 1)
			data[ram_at] ^= 0x40;		/* inside a ram section */
		if (v == 2)
			data[end_at - 20] ^= 0x40;	/* devices: its CRC too */
		snprintf(p.path, sizeof(p.path), "/tmp/xvm-unit-mig-%d.sock",
			 (int)getpid());
		snprintf(uri, sizeof(uri), "unix:%s", p.path);
		CU_ASSERT_FATAL(pthread_create(&t, NULL, stall_peer_run,
					       &p) == 0);
		rc = mig_incoming(b, uri, msg, sizeof(msg));
		pthread_join(t, NULL);
		if (p.fd >= 0)
			close(p.fd);
		if (v == 0) {
			CU_ASSERT_EQUAL(rc, 0);
			CU_ASSERT(memcmp(a->mem[0].hva, b->mem[0].hva, MEM) == 0);
		} else {
			CU_ASSERT_EQUAL(rc, -EINVAL);
			if (!strstr(msg, v == 1 ? "section \"ram\" at byte" :
					  "checksum mismatch")) {
				fprintf(stderr, "\n  message \"%s\"\n", msg);
				CU_FAIL("wrong message");
			}
		}
		free(data);
		rmvm(b);
	}
	mig_recv_timeout_ms = saved_ms;
	log_set_level(saved);
	snap_writer_free(&w);
	rmvm(a);
}

static CU_TestInfo tests[] = {
	{ "incoming_streamed", test_incoming_streamed },
	{ "roundtrip", test_roundtrip },
	{ "crc_stream", test_crc_stream },
	{ "refusals", test_refusals },
	{ "config_mismatch", test_config_mismatch },
	{ "ram_rounds", test_ram_rounds },
	{ "cpu_state_checked", test_cpu_state_checked },
	{ "incoming_stalled_peer", test_incoming_stalled_peer },
	{ "fuzz", test_fuzz },
	{ "save_open", test_save_open },
	{ "out_ack", test_out_ack },
	{ "converge", test_converge },
	{ "catch_up", test_catch_up },
	{ "holes", test_holes },
	{ "bucket", test_bucket },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(migrate, NULL, NULL, tests);
