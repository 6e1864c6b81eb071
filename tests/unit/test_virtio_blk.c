/* virtio-blk over the virtio-pci transport on a temporary raw image,
 * driven the way a guest driver does it: requests in guest memory, the
 * image checked byte for byte. Every malformed request gets its error
 * status (or, without a writable status byte, nothing) and changes
 * nothing on the disk; the device keeps serving. */
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/virtio_blk.h>
#include "devtest.h"
#include "hv/core.h"
#include "hv/virtio_pci.h"

#define MEM		(1u << 20)
#define QSZ		8
#define RING		0x10000		/* desc; avail +0x100; used +0x200 */
#define HDR		0x20000
#define DATA		0x30000
#define STAT		0x2f000
#define DISK		(64u << 10)		/* 128 sectors */

struct vb_fixture {
	struct vm *vm;
	uint8_t *mem;
	struct pci_bus *bus;
	struct virtio_blk *b;
	uint64_t bar;
	uint16_t avail;
	char path[64];
	int fd;
};

static uint32_t cfg_rd(struct vm *vm, unsigned int reg, unsigned int size)
{
	pio_out(vm, PCI_CONFIG_PORT, 4, 0x80000000u | 1u << 11 | (reg & ~3u));
	return (uint32_t)pio_in(vm, PCI_CONFIG_PORT + 4 + (reg & 3), size);
}

#define COMMON(f, off, sz)	mmio_in((f)->vm, (f)->bar + (off), sz)
#define COMMON_W(f, off, sz, v)	mmio_out((f)->vm, (f)->bar + (off), sz, v)
#define STATUS(f)		COMMON(f, 20, 1)
#define DEVCFG(f, off, sz)	mmio_in((f)->vm, (f)->bar + VIRTIO_PCI_DEVICE_OFF + (off), sz)

/* Request queues of the next disk set up, when set (else 1). */
static unsigned int vb_queues;

/* A sparse tail making the image this long, when set. */
static off_t vb_grow;

/* An image whose byte i is (uint8_t)(i * 7). */
static void vb_setup_direct(struct vb_fixture *f, bool ro, bool direct)
{
	static uint8_t img[DISK];

	memset(f, 0, sizeof(*f));
	for (unsigned int i = 0; i < DISK; i++)
		img[i] = (uint8_t)(i * 7);
	snprintf(f->path, sizeof(f->path), "/tmp/xvm-vblk-XXXXXX");
	f->fd = mkstemp(f->path);
	CU_ASSERT_FATAL(f->fd >= 0);
	CU_ASSERT_FATAL(pwrite(f->fd, img, DISK, 0) == DISK);
	if (vb_grow)
		CU_ASSERT_FATAL(ftruncate(f->fd, vb_grow) == 0);
	f->vm = devtest_vm(MEM, 1);
	f->mem = f->vm->mem[0].hva;
	f->bus = pci_bus_create(f->vm);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->bus);
	f->b = virtio_blk_create(f->vm, f->bus, f->path, "raw", ro, direct,
				 "disk-one", vb_queues ? vb_queues : 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->b);
	f->bar = cfg_rd(f->vm, PCI_BAR0, 4) & ~0xfu;
}

static void vb_setup(struct vb_fixture *f, bool ro)
{
	vb_setup_direct(f, ro, false);
}

static void vb_teardown(struct vb_fixture *f)
{
	virtio_blk_destroy(f->b);
	pci_bus_destroy(f->bus);
	devtest_vm_free(f->vm);
	close(f->fd);
	unlink(f->path);
}

static void driver_init(struct vb_fixture *f)
{
	COMMON_W(f, 20, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	COMMON_W(f, 20, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	COMMON_W(f, 8, 4, 0);
	COMMON_W(f, 12, 4, 1u << VIRTIO_BLK_F_FLUSH);
	COMMON_W(f, 8, 4, 1);
	COMMON_W(f, 12, 4, 1);				/* VERSION_1 */
	COMMON_W(f, 20, 1, 0x0b);			/* + FEATURES_OK */
	CU_ASSERT_EQUAL(STATUS(f), 0x0b);
	COMMON_W(f, 22, 2, 0);
	COMMON_W(f, 24, 2, QSZ);
	COMMON_W(f, 26, 2, VIRTIO_MSI_NO_VECTOR);
	COMMON_W(f, 32, 8, RING);
	COMMON_W(f, 40, 8, RING + 0x100);
	COMMON_W(f, 48, 8, RING + 0x200);
	COMMON_W(f, 28, 2, 1);
	COMMON_W(f, 20, 1, 0x0f);			/* + DRIVER_OK */
	CU_ASSERT_EQUAL(STATUS(f), 0x0f);
}

struct seg {
	uint64_t addr;
	uint32_t len;
	bool write;
};

/* One chain of n buffers at descriptors 0..n-1, offered and kicked.
 * Returns the status byte at STAT (0xee if the device did not write it)
 * and the used length in *used. */
static int request(struct vb_fixture *f, const struct seg *s, unsigned int n,
		   uint32_t *used)
{
	uint8_t *avail = f->mem + RING + 0x100;
	uint16_t before, after;

	f->mem[STAT] = 0xee;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *d = f->mem + RING + 16 * i;
		uint16_t flags = (s[i].write ? VRING_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		uint16_t next = (uint16_t)(i + 1);

		memcpy(d, &s[i].addr, 8);
		memcpy(d + 8, &s[i].len, 4);
		memcpy(d + 12, &flags, 2);
		memcpy(d + 14, &next, 2);
	}
	memcpy(&before, f->mem + RING + 0x200 + 2, 2);
	memcpy(avail + 4 + 2 * (f->avail % QSZ), &(uint16_t){ 0 }, 2);
	f->avail++;
	memcpy(avail + 2, &f->avail, 2);
	mmio_out(f->vm, f->bar + VIRTIO_PCI_NOTIFY_OFF, 2, 0);
	/* No event loop here: collect the backend's completions. */
	virtio_blk_drain(f->b);
	memcpy(&after, f->mem + RING + 0x200 + 2, 2);
	if (after != (uint16_t)(before + 1))
		return -1;
	memcpy(used, f->mem + RING + 0x200 + 4 + 8 * (before % QSZ) + 4, 4);
	return f->mem[STAT];
}

static void hdr(struct vb_fixture *f, uint32_t type, uint64_t sector)
{
	memset(f->mem + HDR, 0, 16);
	memcpy(f->mem + HDR, &type, 4);
	memcpy(f->mem + HDR + 8, &sector, 8);
}

/* A request with one data buffer: IN/GET_ID writable, others readable. */
static int simple(struct vb_fixture *f, uint32_t type, uint64_t sector,
		  uint32_t len, uint32_t *used)
{
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	struct seg s[3] = { { HDR, 16, false }, { DATA, len, in },
			    { STAT, 1, true } };

	hdr(f, type, sector);
	if (!len) {
		s[1] = s[2];
		return request(f, s, 2, used);
	}
	return request(f, s, 3, used);
}

static bool image_is(struct vb_fixture *f, off_t off, const void *p, size_t n)
{
	uint8_t buf[4096];

	return n <= sizeof(buf) && pread(f->fd, buf, n, off) == (ssize_t)n &&
	       memcmp(buf, p, n) == 0;
}

static bool image_untouched(struct vb_fixture *f)
{
	uint8_t buf[DISK];

	if (pread(f->fd, buf, DISK, 0) != DISK)
		return false;
	for (unsigned int i = 0; i < DISK; i++)
		if (buf[i] != (uint8_t)(i * 7))
			return false;
	return true;
}

static void test_identity(void)
{
	struct vb_fixture f;
	uint32_t feat;

	vb_setup(&f, false);
	CU_ASSERT_EQUAL(cfg_rd(f.vm, 0, 4), 0x10421af4);
	CU_ASSERT_EQUAL(cfg_rd(f.vm, PCI_SUBSYSTEM_ID, 2), 2);
	COMMON_W(&f, 0, 4, 0);
	feat = (uint32_t)COMMON(&f, 4, 4);
	CU_ASSERT(feat & (1u << VIRTIO_BLK_F_FLUSH));
	CU_ASSERT(feat & (1u << VIRTIO_BLK_F_BLK_SIZE));
	CU_ASSERT(feat & (1u << VIRTIO_BLK_F_SEG_MAX));
	CU_ASSERT(feat & (1u << VIRTIO_BLK_F_DISCARD));
	CU_ASSERT(feat & (1u << VIRTIO_BLK_F_WRITE_ZEROES));
	CU_ASSERT_FALSE(feat & (1u << VIRTIO_BLK_F_RO));
	CU_ASSERT_EQUAL(DEVCFG(&f, 0, 4), DISK / 512);		/* capacity */
	CU_ASSERT_EQUAL(DEVCFG(&f, 4, 4), 0);
	CU_ASSERT_EQUAL(DEVCFG(&f, 20, 4), 512);		/* blk_size */
	CU_ASSERT_EQUAL(DEVCFG(&f, 12, 4), VQ_MAX_SEGS - 2);	/* seg_max */
	CU_ASSERT_EQUAL(DEVCFG(&f, 34, 2), 1);			/* num_queues */
	vb_teardown(&f);
}

static void test_read_write(void)
{
	struct vb_fixture f;
	uint8_t pat[1024];
	uint32_t used;
	char id[21] = { 0 };

	vb_setup(&f, false);
	driver_init(&f);
	for (unsigned int i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(0xa5 ^ i);
	memcpy(f.mem + DATA, pat, sizeof(pat));
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_OUT, 3, 1024, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(used, 1);
	CU_ASSERT(image_is(&f, 3 * 512, pat, sizeof(pat)));
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_FLUSH, 0, 0, &used), VIRTIO_BLK_S_OK);
	memset(f.mem + DATA, 0, 4096);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_IN, 3, 1024, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(used, 1025);
	CU_ASSERT(memcmp(f.mem + DATA, pat, sizeof(pat)) == 0);
	/* the last sector, scattered over two buffers */
	{
		struct seg s[4] = { { HDR, 16, false }, { DATA, 100, true },
				    { DATA + 0x1000, 412, true }, { STAT, 1, true } };
		hdr(&f, VIRTIO_BLK_T_IN, DISK / 512 - 1);
		CU_ASSERT_EQUAL(request(&f, s, 4, &used), VIRTIO_BLK_S_OK);
		CU_ASSERT_EQUAL(f.mem[DATA], (uint8_t)((DISK - 512) * 7));
		CU_ASSERT_EQUAL(f.mem[DATA + 0x1000], (uint8_t)((DISK - 412) * 7));
	}
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_GET_ID, 0, 20, &used), VIRTIO_BLK_S_OK);
	memcpy(id, f.mem + DATA, 20);
	CU_ASSERT_STRING_EQUAL(id, "disk-one");
	CU_ASSERT_EQUAL(virtio_blk_errors(f.b), 0);
	vb_teardown(&f);
}

static void test_bad_requests(void)
{
	struct vb_fixture f;
	enum log_level saved = log_get_level();
	uint32_t used;
	unsigned int errors = 0;

	vb_setup(&f, false);
	driver_init(&f);
	log_set_level(LL_ERR);
	memset(f.mem + DATA, 0x33, 4096);
	/* header of 8 bytes */
	{
		struct seg s[3] = { { HDR, 8, false }, { DATA, 512, true }, { STAT, 1, true } };
		hdr(&f, VIRTIO_BLK_T_IN, 0);
		CU_ASSERT_EQUAL(request(&f, s, 3, &used), VIRTIO_BLK_S_IOERR);
		errors++;
	}
	/* past the end, straddling the end, overflowing sector numbers */
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_IN, DISK / 512, 512, &used), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_OUT, DISK / 512 - 1, 1024, &used), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_OUT, 1ULL << 62, 512, &used), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_OUT, UINT64_MAX, 512, &used), VIRTIO_BLK_S_IOERR);
	errors += 4;
	/* not whole sectors */
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_OUT, 0, 100, &used), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_IN, 0, 513, &used), VIRTIO_BLK_S_IOERR);
	errors += 2;
	/* data in the wrong direction */
	{
		struct seg s[3] = { { HDR, 16, false }, { DATA, 512, true }, { STAT, 1, true } };
		struct seg r[3] = { { HDR, 16, false }, { DATA, 512, false }, { STAT, 1, true } };

		hdr(&f, VIRTIO_BLK_T_OUT, 0);
		CU_ASSERT_EQUAL(request(&f, s, 3, &used), VIRTIO_BLK_S_IOERR);
		hdr(&f, VIRTIO_BLK_T_IN, 0);
		CU_ASSERT_EQUAL(request(&f, r, 3, &used), VIRTIO_BLK_S_IOERR);
		errors += 2;
	}
	/* unknown type, short id buffer */
	CU_ASSERT_EQUAL(simple(&f, 0x7777, 0, 0, &used), VIRTIO_BLK_S_UNSUPP);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_GET_ID, 0, 4, &used), VIRTIO_BLK_S_IOERR);
	errors += 2;
	/* a status byte the device may not write: returned, untouched */
	{
		struct seg s[2] = { { HDR, 16, false }, { STAT, 1, false } };

		hdr(&f, VIRTIO_BLK_T_FLUSH, 0);
		CU_ASSERT_EQUAL(request(&f, s, 2, &used), 0xee);
		CU_ASSERT_EQUAL(used, 0);
		errors++;
	}
	CU_ASSERT_EQUAL(virtio_blk_errors(f.b), errors);
	CU_ASSERT(image_untouched(&f));
	CU_ASSERT_EQUAL(STATUS(&f), 0x0f);		/* no reset needed */
	/* and it still works */
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_IN, 1, 512, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(f.mem[DATA + 1], (uint8_t)(513 * 7));
	/* a buffer outside guest memory breaks the queue: reset needed */
	{
		struct seg s[3] = { { HDR, 16, false }, { MEM + 0x1000, 512, true },
				    { STAT, 1, true } };
		hdr(&f, VIRTIO_BLK_T_IN, 0);
		CU_ASSERT_EQUAL(request(&f, s, 3, &used), -1);
		CU_ASSERT(STATUS(&f) & VIRTIO_CONFIG_S_NEEDS_RESET);
	}
	log_set_level(saved);
	COMMON_W(&f, 20, 1, 0);				/* reset, fresh rings */
	memset(f.mem + RING, 0, 0x1000);
	f.avail = 0;
	driver_init(&f);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_IN, 0, 512, &used), VIRTIO_BLK_S_OK);
	vb_teardown(&f);
}

static void test_readonly(void)
{
	struct vb_fixture f;
	enum log_level saved = log_get_level();
	uint32_t used;

	vb_setup(&f, true);
	COMMON_W(&f, 0, 4, 0);
	CU_ASSERT(COMMON(&f, 4, 4) & (1u << VIRTIO_BLK_F_RO));
	CU_ASSERT_FALSE(COMMON(&f, 4, 4) & (1u << VIRTIO_BLK_F_DISCARD));
	CU_ASSERT_FALSE(COMMON(&f, 4, 4) & (1u << VIRTIO_BLK_F_WRITE_ZEROES));
	driver_init(&f);
	memset(f.mem + DATA, 0x11, 512);
	log_set_level(LL_ERR);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_OUT, 0, 512, &used), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_DISCARD, 0, 16, &used), VIRTIO_BLK_S_UNSUPP);
	log_set_level(saved);
	CU_ASSERT(image_untouched(&f));
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_IN, 0, 512, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(f.mem[DATA + 1], 7);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_FLUSH, 0, 0, &used), VIRTIO_BLK_S_OK);
	vb_teardown(&f);
}

static void test_discard(void)
{
	struct vb_fixture f;
	enum log_level saved = log_get_level();
	struct virtio_blk_discard_write_zeroes d = { .sector = 8, .num_sectors = 8 };
	uint8_t zero[4096] = { 0 };
	uint32_t used;
	int st;

	vb_setup(&f, false);
	driver_init(&f);
	memcpy(f.mem + DATA, &d, sizeof(d));
	st = simple(&f, VIRTIO_BLK_T_DISCARD, 0, 16, &used);
	if (st == VIRTIO_BLK_S_UNSUPP) {
		printf("(/tmp cannot punch holes: discard not checked) ");
	} else {
		CU_ASSERT_EQUAL(st, VIRTIO_BLK_S_OK);
		CU_ASSERT(image_is(&f, 8 * 512, zero, 4096));
	}
	d.flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	memcpy(f.mem + DATA, &d, sizeof(d));
	log_set_level(LL_ERR);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_DISCARD, 0, 16, &used), VIRTIO_BLK_S_UNSUPP);
	d = (struct virtio_blk_discard_write_zeroes){ .sector = DISK / 512 - 1, .num_sectors = 2 };
	memcpy(f.mem + DATA, &d, sizeof(d));
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_DISCARD, 0, 16, &used), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_DISCARD, 0, 8, &used), VIRTIO_BLK_S_IOERR);
	log_set_level(saved);
	vb_teardown(&f);
}

/* Nothing is ever in flight (requests complete in the notify handler):
 * the transport's state is the device's, and it round-trips. */
static void test_save_load(void)
{
	struct vb_fixture a, b;
	uint32_t used;

	vb_setup(&a, false);
	driver_init(&a);
	CU_ASSERT_EQUAL(simple(&a, VIRTIO_BLK_T_IN, 0, 512, &used), VIRTIO_BLK_S_OK);
	vb_setup(&b, false);
	devtest_roundtrip(&virtio_pci_device_ops, virtio_blk_transport(a.b),
			  virtio_blk_transport(b.b));
	vb_teardown(&b);
	vb_teardown(&a);
}

/* cache=none: O_DIRECT, with guest buffers that are not aligned going
 * through a bounce buffer (the image file is on the host's /tmp, which
 * must take O_DIRECT: ext4, xfs, tmpfs since Linux 6.6). */
static void test_direct(void)
{
	struct vb_fixture f;
	uint8_t pat[1024];
	uint32_t used;

	vb_setup_direct(&f, false, true);
	driver_init(&f);
	for (unsigned int i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)(0x3c ^ (i * 13));
	/* aligned buffer */
	memcpy(f.mem + DATA, pat, 512);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_OUT, 5, 512, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT(image_is(&f, 5 * 512, pat, 512));
	/* unaligned, scattered: header, 100 + 924 bytes at odd addresses */
	{
		struct seg w[4] = { { HDR, 16, false }, { DATA + 3, 100, false },
				    { DATA + 0x2001, 924, false }, { STAT, 1, true } };
		struct seg r[4] = { { HDR, 16, false }, { DATA + 0x4005, 700, true },
				    { DATA + 0x6007, 324, true }, { STAT, 1, true } };

		memcpy(f.mem + DATA + 3, pat, 100);
		memcpy(f.mem + DATA + 0x2001, pat + 100, 924);
		hdr(&f, VIRTIO_BLK_T_OUT, 9);
		CU_ASSERT_EQUAL(request(&f, w, 4, &used), VIRTIO_BLK_S_OK);
		CU_ASSERT(image_is(&f, 9 * 512, pat, 1024));
		hdr(&f, VIRTIO_BLK_T_IN, 9);
		CU_ASSERT_EQUAL(request(&f, r, 4, &used), VIRTIO_BLK_S_OK);
		CU_ASSERT_EQUAL(used, 1025);
		CU_ASSERT(memcmp(f.mem + DATA + 0x4005, pat, 700) == 0);
		CU_ASSERT(memcmp(f.mem + DATA + 0x6007, pat + 700, 324) == 0);
	}
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_FLUSH, 0, 0, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(virtio_blk_errors(f.b), 0);
	vb_teardown(&f);
}

/* A device reset while a request is with the backend: the reset waits
 * for it and answers nothing (the driver's rings are gone). */
static void test_reset_in_flight(void)
{
	struct vb_fixture f;
	uint8_t *avail;
	uint16_t idx;
	struct seg s[3] = { { HDR, 16, false }, { DATA, 4096, true }, { STAT, 1, true } };

	vb_setup(&f, false);
	driver_init(&f);
	hdr(&f, VIRTIO_BLK_T_IN, 0);
	f.mem[STAT] = 0xee;
	for (unsigned int i = 0; i < 3; i++) {
		uint8_t *d = f.mem + RING + 16 * i;
		uint16_t flags = (s[i].write ? VRING_DESC_F_WRITE : 0) |
				 (i < 2 ? VRING_DESC_F_NEXT : 0), next = (uint16_t)(i + 1);

		memcpy(d, &s[i].addr, 8);
		memcpy(d + 8, &s[i].len, 4);
		memcpy(d + 12, &flags, 2);
		memcpy(d + 14, &next, 2);
	}
	avail = f.mem + RING + 0x100;
	memcpy(avail + 4, &(uint16_t){ 0 }, 2);
	memcpy(avail + 2, &(uint16_t){ 1 }, 2);
	mmio_out(f.vm, f.bar + VIRTIO_PCI_NOTIFY_OFF, 2, 0);
	/* nothing reaped yet: no event loop */
	memcpy(&idx, f.mem + RING + 0x200 + 2, 2);
	CU_ASSERT_EQUAL(idx, 0);
	COMMON_W(&f, 20, 1, 0);				/* reset */
	virtio_blk_drain(f.b);
	memcpy(&idx, f.mem + RING + 0x200 + 2, 2);
	CU_ASSERT_EQUAL(idx, 0);
	CU_ASSERT_EQUAL(f.mem[STAT], 0xee);
	memset(f.mem + RING, 0, 0x1000);
	f.avail = 0;
	driver_init(&f);
	{
		uint32_t used;

		CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_IN, 0, 512, &used), VIRTIO_BLK_S_OK);
	}
	vb_teardown(&f);
}

/* WRITE_ZEROES with and without UNMAP: the range reads as zeros, the
 * sectors around it keep their bytes; unknown flags are refused. */
static void test_write_zeroes(void)
{
	struct vb_fixture f;
	enum log_level saved = log_get_level();
	struct virtio_blk_discard_write_zeroes d = { .sector = 3, .num_sectors = 2 };
	uint8_t zero[1024] = { 0 }, keep[512];
	uint32_t used;

	vb_setup(&f, false);
	driver_init(&f);
	CU_ASSERT_EQUAL(DEVCFG(&f, 48, 4), 1u << 14);	/* max_write_zeroes_sectors */
	CU_ASSERT_EQUAL(DEVCFG(&f, 56, 1), 1);		/* may unmap */
	memcpy(f.mem + DATA, &d, sizeof(d));
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT(image_is(&f, 3 * 512, zero, 1024));
	for (unsigned int i = 0; i < 512; i++)
		keep[i] = (uint8_t)((5 * 512 + i) * 7);
	CU_ASSERT(image_is(&f, 5 * 512, keep, 512));
	for (unsigned int i = 0; i < 512; i++)
		keep[i] = (uint8_t)((2 * 512 + i) * 7);
	CU_ASSERT(image_is(&f, 2 * 512, keep, 512));
	d = (struct virtio_blk_discard_write_zeroes){ .sector = 20, .num_sectors = 2,
		.flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP };
	memcpy(f.mem + DATA, &d, sizeof(d));
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT(image_is(&f, 20 * 512, zero, 1024));
	log_set_level(LL_ERR);
	d.flags = 2;
	memcpy(f.mem + DATA, &d, sizeof(d));
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, &used), VIRTIO_BLK_S_UNSUPP);
	d = (struct virtio_blk_discard_write_zeroes){ .sector = DISK / 512, .num_sectors = 1 };
	memcpy(f.mem + DATA, &d, sizeof(d));
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, &used), VIRTIO_BLK_S_IOERR);
	log_set_level(saved);
	CU_ASSERT_EQUAL(virtio_blk_errors(f.b), 2);
	vb_teardown(&f);
}

/* WRITE_ZEROES is bounded by max_write_zeroes_sectors (8 MiB: the
 * backend may write the zeros synchronously), DISCARD by its own larger
 * limit, on an image big enough that the range is not what refuses. */
static void test_write_zeroes_limit(void)
{
	struct vb_fixture f;
	enum log_level saved = log_get_level();
	struct virtio_blk_discard_write_zeroes d = { .sector = 0 };
	uint32_t used;

	vb_grow = 32u << 20;
	vb_setup(&f, false);
	vb_grow = 0;
	driver_init(&f);
	d.num_sectors = 1u << 14;
	memcpy(f.mem + DATA, &d, sizeof(d));
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, &used), VIRTIO_BLK_S_OK);
	d.num_sectors = (1u << 14) + 1;
	memcpy(f.mem + DATA, &d, sizeof(d));
	log_set_level(LL_ERR);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, &used), VIRTIO_BLK_S_IOERR);
	log_set_level(saved);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_DISCARD, 0, 16, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(virtio_blk_errors(f.b), 1);
	vb_teardown(&f);
}

/* The counters virsh domblkstat shows: completed reads, writes and
 * flushes with their bytes; a refused request counts as an error and
 * in neither kind. */
static void test_stats(void)
{
	struct vb_fixture f;
	enum log_level saved = log_get_level();
	struct vblk_stats st;
	uint32_t used;

	vb_setup(&f, false);
	driver_init(&f);
	virtio_blk_stats(f.b, &st);
	CU_ASSERT_EQUAL(st.rd_req + st.wr_req + st.fl_req + st.errors, 0);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_IN, 0, 1024, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_IN, 4, 512, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_OUT, 8, 2048, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_FLUSH, 0, 0, &used), VIRTIO_BLK_S_OK);
	log_set_level(LL_ERR);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_OUT, DISK / 512, 512, &used), VIRTIO_BLK_S_IOERR);
	log_set_level(saved);
	virtio_blk_stats(f.b, &st);
	CU_ASSERT_EQUAL(st.rd_req, 2);
	CU_ASSERT_EQUAL(st.rd_bytes, 1536);
	CU_ASSERT_EQUAL(st.wr_req, 1);
	CU_ASSERT_EQUAL(st.wr_bytes, 2048);
	CU_ASSERT_EQUAL(st.fl_req, 1);
	CU_ASSERT_EQUAL(st.errors, 1);
	CU_ASSERT_STRING_EQUAL(virtio_blk_path(f.b), f.path);
	vb_teardown(&f);
}

/* Random chains, as a hostile guest writes them: random buffers (length
 * 0 to 4 KiB, either direction, anywhere in a scratch area), types,
 * sectors (near the end, past it, wrapping) and DISCARD/WRITE_ZEROES
 * ranges. Every chain is answered (or breaks the queue), the device
 * writes guest memory only inside the chain's device-writable buffers,
 * the image never grows, and the device still serves afterwards. */
#define FZ_LO		0x20000
#define FZ_HI		0x40000
static uint64_t fz_state = 0x9e3779b97f4a7c15ULL;

static uint64_t fz_rand(void)
{
	fz_state ^= fz_state << 13;
	fz_state ^= fz_state >> 7;
	fz_state ^= fz_state << 17;
	return fz_state;
}

static void fuzz_one(bool direct)
{
	static const uint32_t types[] = { VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT,
		VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD,
		VIRTIO_BLK_T_WRITE_ZEROES, 0x7777 };
	static const uint32_t lens[] = { 0, 1, 15, 16, 17, 20, 511, 512, 513,
					 1024, 4095, 4096 };
	static uint8_t before[FZ_HI - FZ_LO];
	struct vb_fixture f;
	enum log_level saved = log_get_level();
	struct stat st;
	uint32_t used;

	vb_setup_direct(&f, false, direct);
	driver_init(&f);
	log_set_level(LL_ERR);
	for (unsigned int iter = 0; iter < 1000; iter++) {
		struct seg s[QSZ];
		unsigned int n = 1 + (unsigned int)(fz_rand() % QSZ);
		uint64_t sectors[] = { 0, 1, DISK / 512 - 1, DISK / 512,
				       DISK / 512 + 1, UINT64_MAX / 512,
				       UINT64_MAX / 512 + 1, UINT64_MAX,
				       fz_rand() };
		uint32_t type = types[fz_rand() % ARRAY_SIZE(types)];
		struct virtio_blk_discard_write_zeroes d;
		int st_byte;

		for (unsigned int i = 0; i < n; i++) {
			s[i].len = lens[fz_rand() % ARRAY_SIZE(lens)];
			s[i].addr = FZ_LO + fz_rand() % (FZ_HI - FZ_LO - 4096);
			if (fz_rand() % 2)
				s[i].addr &= ~511ULL;
			s[i].write = fz_rand() % 2;
		}
		if (fz_rand() % 4) {		/* mostly well-formed ends */
			s[0] = (struct seg){ HDR, 16, false };
			s[n - 1] = (struct seg){ STAT, 1, true };
		}
		hdr(&f, type, sectors[fz_rand() % ARRAY_SIZE(sectors)]);
		d.sector = sectors[fz_rand() % ARRAY_SIZE(sectors)];
		d.num_sectors = (uint32_t)(fz_rand() % 3 ? fz_rand() % 4 :
					   fz_rand());
		d.flags = (uint32_t)(fz_rand() % 3);
		for (unsigned int i = 1; i < n; i++)
			if (!s[i].write && s[i].len >= 16)
				memcpy(f.mem + s[i].addr, &d, sizeof(d));
		f.mem[STAT] = 0xee;		/* request() does */
		memcpy(before, f.mem + FZ_LO, sizeof(before));
		st_byte = request(&f, s, n, &used);
		if (st_byte < 0) {		/* queue broken: reset */
			CU_ASSERT(STATUS(&f) & VIRTIO_CONFIG_S_NEEDS_RESET);
			COMMON_W(&f, 20, 1, 0);
			memset(f.mem + RING, 0, 0x1000);
			f.avail = 0;
			driver_init(&f);
			continue;
		}
		for (unsigned int a = FZ_LO; a < FZ_HI; a++) {
			bool in_w = false;

			if (f.mem[a] == before[a - FZ_LO])
				continue;
			for (unsigned int i = 0; i < n && !in_w; i++)
				in_w = s[i].write && a >= s[i].addr &&
				       a < s[i].addr + s[i].len;
			if (!in_w) {
				CU_FAIL("device wrote outside the writable "
					"buffers");
				fprintf(stderr, "iter %u: byte %#x changed\n",
					iter, a);
				break;
			}
		}
	}
	log_set_level(saved);
	CU_ASSERT_EQUAL(STATUS(&f), 0x0f);
	CU_ASSERT(fstat(f.fd, &st) == 0 && st.st_size == DISK);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_IN, 1, 512, &used),
			VIRTIO_BLK_S_OK);
	vb_teardown(&f);
}

static void test_fuzz(void)
{
	fuzz_one(false);
	fuzz_one(true);
}

/* The pages of the 1 MiB test RAM set in bm, as "16 47 52 54 ". */
static void vb_dirty_list(const uint64_t *bm, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned int p = 0; p < MEM / 4096 && n + 8 < len; p++)
		if (bm[p / 64] & (1ULL << (p % 64)))
			n += (size_t)snprintf(out + n, len - n, "%u ", p);
}

/* During a live migration (hv's dirty log on) a disk read's data, which
 * the backend puts in guest memory behind the vCPUs' back (io_uring,
 * or the O_DIRECT bounce copy), its status byte and the used ring are
 * marked for the next round; a write marks only status and used ring. */
static void dirty_log_one(bool direct)
{
	struct seg r[4] = { { HDR, 16, false }, { DATA + 0x4005, 700, true },
			    { DATA + 0x6007, 324, true }, { STAT, 1, true } };
	uint64_t bm[MEM / 4096 / 64];
	struct vb_fixture f;
	char got[128];
	uint32_t used;

	vb_setup_direct(&f, false, direct);
	driver_init(&f);
	memset(f.mem + DATA, 0x5a, 1024);
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_OUT, 9, 1024, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL_FATAL(vm_dirty_start(f.vm), 0);
	hdr(&f, VIRTIO_BLK_T_IN, 9);
	CU_ASSERT_EQUAL(request(&f, r, 4, &used), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(f.mem[DATA + 0x6007 + 323], 0x5a);
	memset(bm, 0, sizeof(bm));
	vm_dirty_take(f.vm, 0, bm);
	vb_dirty_list(bm, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "16 47 52 54 ");	/* used, status, data */
	CU_ASSERT_EQUAL(simple(&f, VIRTIO_BLK_T_OUT, 9, 1024, &used), VIRTIO_BLK_S_OK);
	memset(bm, 0, sizeof(bm));
	vm_dirty_take(f.vm, 0, bm);
	vb_dirty_list(bm, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "16 47 ");
	vm_dirty_stop(f.vm);
	vb_teardown(&f);
}

static void test_dirty_log(void)
{
	dirty_log_one(false);
	dirty_log_one(true);
}


/* ---- queues=4: several queues, several requests in flight on each ---- */

#define MQ_RING(q)	(0x40000u + 0x1000u * (q))	/* avail +0x100, used +0x200 */
#define MQ_HDR(q, i)	(0x50000u + 32u * (8u * (q) + (i)))	/* status at +16 */
#define MQ_DATA(q, i)	(0x60000u + 0x1000u * (8u * (q) + (i)))

static void mq_driver_init(struct vb_fixture *f, unsigned int nq)
{
	COMMON_W(f, 20, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	COMMON_W(f, 20, 1, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	COMMON_W(f, 8, 4, 0);
	COMMON_W(f, 12, 4, 1u << VIRTIO_BLK_F_FLUSH | 1u << VIRTIO_BLK_F_MQ);
	COMMON_W(f, 8, 4, 1);
	COMMON_W(f, 12, 4, 1);				/* VERSION_1 */
	COMMON_W(f, 20, 1, 0x0b);
	CU_ASSERT_EQUAL(STATUS(f), 0x0b);
	for (unsigned int q = 0; q < nq; q++) {
		memset(f->mem + MQ_RING(q), 0, 0x1000);
		COMMON_W(f, 22, 2, q);
		COMMON_W(f, 24, 2, QSZ);
		COMMON_W(f, 26, 2, VIRTIO_MSI_NO_VECTOR);
		COMMON_W(f, 32, 8, MQ_RING(q));
		COMMON_W(f, 40, 8, MQ_RING(q) + 0x100);
		COMMON_W(f, 48, 8, MQ_RING(q) + 0x200);
		COMMON_W(f, 28, 2, 1);
	}
	COMMON_W(f, 20, 1, 0x0f);
	CU_ASSERT_EQUAL(STATUS(f), 0x0f);
}

/* Request i of queue q (i < 2: heads 0, 3: three descriptors each):
 * header, one data buffer of len bytes at MQ_DATA(q, i), status. Put
 * in the avail ring, not kicked. */
static void mq_add(struct vb_fixture *f, unsigned int q, unsigned int i,
		   uint32_t type, uint64_t sector, uint32_t len)
{
	uint8_t *ring = f->mem + MQ_RING(q), *avail = ring + 0x100;
	struct seg s[3] = { { MQ_HDR(q, i), 16, false },
			    { MQ_DATA(q, i), len, type == VIRTIO_BLK_T_IN },
			    { MQ_HDR(q, i) + 16, 1, true } };
	uint16_t head = (uint16_t)(3 * i), idx;

	memset(f->mem + MQ_HDR(q, i), 0, 17);
	memcpy(f->mem + MQ_HDR(q, i), &type, 4);
	memcpy(f->mem + MQ_HDR(q, i) + 8, &sector, 8);
	f->mem[MQ_HDR(q, i) + 16] = 0xee;
	for (unsigned int k = 0; k < 3; k++) {
		uint8_t *d = ring + 16 * (head + k);
		uint16_t flags = (s[k].write ? VRING_DESC_F_WRITE : 0) |
				 (k < 2 ? VRING_DESC_F_NEXT : 0);
		uint16_t next = (uint16_t)(head + k + 1);

		memcpy(d, &s[k].addr, 8);
		memcpy(d + 8, &s[k].len, 4);
		memcpy(d + 12, &flags, 2);
		memcpy(d + 14, &next, 2);
	}
	memcpy(&idx, avail + 2, 2);
	memcpy(avail + 4 + 2 * (idx % QSZ), &head, 2);
	idx++;
	memcpy(avail + 2, &idx, 2);
}

static void mq_kick(struct vb_fixture *f, unsigned int q)
{
	mmio_out(f->vm, f->bar + VIRTIO_PCI_NOTIFY_OFF +
		 VIRTIO_PCI_NOTIFY_MULT * q, 2, q);
}

static uint16_t mq_used_idx(struct vb_fixture *f, unsigned int q)
{
	uint16_t idx;

	memcpy(&idx, f->mem + MQ_RING(q) + 0x202, 2);
	return idx;
}

/* Used entry n of queue q: its id and length. */
static void mq_used(struct vb_fixture *f, unsigned int q, unsigned int n,
		    uint32_t *id, uint32_t *len)
{
	memcpy(id, f->mem + MQ_RING(q) + 0x204 + 8 * (n % QSZ), 4);
	memcpy(len, f->mem + MQ_RING(q) + 0x208 + 8 * (n % QSZ), 4);
}

/* Two writes in flight on each of queues 1 and 3, then two reads in
 * flight on queue 2 and one on queue 0: every answer lands on its own
 * queue with its own head and length, the image holds every byte, a bad
 * request on one queue fails alone, and a save quiesces them all. */
static void test_multiqueue(void)
{
	struct vb_fixture f, g;
	static const unsigned int wq[2] = { 1, 3 };
	uint32_t feat, id, len;
	uint8_t pat[1024];

	vb_queues = 4;
	vb_setup(&f, false);
	COMMON_W(&f, 0, 4, 0);
	feat = (uint32_t)COMMON(&f, 4, 4);
	CU_ASSERT(feat & (1u << VIRTIO_BLK_F_MQ));
	CU_ASSERT_EQUAL(DEVCFG(&f, 34, 2), 4);			/* num_queues */
	CU_ASSERT_EQUAL(COMMON(&f, 18, 2), 4);			/* num_queues */
	mq_driver_init(&f, 4);

	for (unsigned int k = 0; k < 2; k++)
		for (unsigned int i = 0; i < 2; i++) {
			unsigned int q = wq[k];

			for (unsigned int j = 0; j < sizeof(pat); j++)
				f.mem[MQ_DATA(q, i) + j] = (uint8_t)(q * 31 + i * 7 + j);
			mq_add(&f, q, i, VIRTIO_BLK_T_OUT, 16 * q + 2 * i, 1024);
		}
	mq_kick(&f, 1);
	mq_kick(&f, 3);
	/* no event loop: all four are in flight until drained */
	CU_ASSERT_EQUAL(mq_used_idx(&f, 1), 0);
	CU_ASSERT_EQUAL(mq_used_idx(&f, 3), 0);
	virtio_blk_drain(f.b);
	for (unsigned int k = 0; k < 2; k++) {
		unsigned int q = wq[k], seen = 0;

		CU_ASSERT_EQUAL(mq_used_idx(&f, q), 2);
		for (unsigned int n = 0; n < 2; n++) {
			mq_used(&f, q, n, &id, &len);
			CU_ASSERT(id == 0 || id == 3);
			CU_ASSERT_EQUAL(len, 1);
			seen |= 1u << id;
		}
		CU_ASSERT_EQUAL(seen, 1u << 0 | 1u << 3);
		for (unsigned int i = 0; i < 2; i++) {
			CU_ASSERT_EQUAL(f.mem[MQ_HDR(q, i) + 16], VIRTIO_BLK_S_OK);
			for (unsigned int j = 0; j < sizeof(pat); j++)
				pat[j] = (uint8_t)(q * 31 + i * 7 + j);
			CU_ASSERT(image_is(&f, (16 * q + 2 * i) * 512, pat,
					   sizeof(pat)));
		}
	}
	CU_ASSERT_EQUAL(mq_used_idx(&f, 0), 0);
	CU_ASSERT_EQUAL(mq_used_idx(&f, 2), 0);

	/* reads of what queue 3 wrote, on queue 2; one on queue 0 */
	for (unsigned int i = 0; i < 2; i++) {
		memset(f.mem + MQ_DATA(2, i), 0, 1024);
		mq_add(&f, 2, i, VIRTIO_BLK_T_IN, 16 * 3 + 2 * i, 1024);
	}
	mq_add(&f, 0, 0, VIRTIO_BLK_T_IN, 16 * 1, 1024);
	mq_kick(&f, 2);
	mq_kick(&f, 0);
	virtio_blk_drain(f.b);
	CU_ASSERT_EQUAL(mq_used_idx(&f, 2), 2);
	CU_ASSERT_EQUAL(mq_used_idx(&f, 0), 1);
	for (unsigned int n = 0; n < 2; n++) {
		mq_used(&f, 2, n, &id, &len);
		CU_ASSERT_EQUAL(len, 1025);
	}
	for (unsigned int i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(f.mem[MQ_HDR(2, i) + 16], VIRTIO_BLK_S_OK);
		for (unsigned int j = 0; j < sizeof(pat); j++)
			CU_ASSERT_EQUAL_FATAL(f.mem[MQ_DATA(2, i) + j],
					      (uint8_t)(3 * 31 + i * 7 + j));
	}
	CU_ASSERT_EQUAL(f.mem[MQ_DATA(0, 0) + 5], (uint8_t)(1 * 31 + 5));

	/* a read past the end on queue 3 fails; queue 1 goes on */
	{
		enum log_level saved = log_get_level();

		log_set_level(LL_ERR);
		mq_add(&f, 3, 0, VIRTIO_BLK_T_IN, DISK / 512, 512);
		mq_kick(&f, 3);
		log_set_level(saved);
	}
	mq_add(&f, 1, 0, VIRTIO_BLK_T_IN, 0, 512);
	mq_kick(&f, 1);
	virtio_blk_drain(f.b);
	CU_ASSERT_EQUAL(mq_used_idx(&f, 3), 3);
	CU_ASSERT_EQUAL(f.mem[MQ_HDR(3, 0) + 16], VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(mq_used_idx(&f, 1), 3);
	CU_ASSERT_EQUAL(f.mem[MQ_HDR(1, 0) + 16], VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(virtio_blk_errors(f.b), 1);
	CU_ASSERT_EQUAL(STATUS(&f), 0x0f);

	/* in flight on two queues when the state is saved: the quiesce
	 * answers them all first */
	mq_add(&f, 0, 1, VIRTIO_BLK_T_IN, 4, 512);
	mq_add(&f, 2, 0, VIRTIO_BLK_T_IN, 6, 512);
	mq_add(&f, 2, 1, VIRTIO_BLK_T_IN, 8, 512);
	mq_kick(&f, 0);
	mq_kick(&f, 2);
	CU_ASSERT_EQUAL(mq_used_idx(&f, 2), 2);
	virtio_pci_device_ops.quiesce(virtio_blk_transport(f.b), true);
	CU_ASSERT_EQUAL(mq_used_idx(&f, 0), 2);
	CU_ASSERT_EQUAL(mq_used_idx(&f, 2), 4);
	vb_setup(&g, false);
	devtest_roundtrip(&virtio_pci_device_ops, virtio_blk_transport(f.b),
			  virtio_blk_transport(g.b));
	vb_teardown(&g);
	/* a device with another number of queues refuses the state */
	vb_queues = 1;
	vb_setup(&g, false);
	{
		struct snap_writer w;
		struct snap_reader r;
		enum log_level saved = log_get_level();

		snap_writer_init(&w, 0);
		CU_ASSERT_EQUAL_FATAL(virtio_pci_device_ops.save(
			virtio_blk_transport(f.b), &w), 0);
		snap_reader_init(&r, w.buf, w.len);
		log_set_level(LL_ERR);
		CU_ASSERT_EQUAL(virtio_pci_device_ops.load(
			virtio_blk_transport(g.b), &r), -EINVAL);
		log_set_level(saved);
		snap_writer_free(&w);
	}
	vb_teardown(&g);
	vb_teardown(&f);
	vb_queues = 0;
}

/* queues= out of range: virtio_blk_create refuses it. */
static void test_queues_bounds(void)
{
	struct vb_fixture f;

	vb_setup(&f, false);
	errno = 0;
	CU_ASSERT_PTR_NULL(virtio_blk_create(f.vm, f.bus, f.path, "raw", false,
					     false, "", 0));
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_PTR_NULL(virtio_blk_create(f.vm, f.bus, f.path, "raw", false,
					     false, "", VIRTIO_PCI_MAX_QUEUES + 1));
	CU_ASSERT_EQUAL(errno, EINVAL);
	vb_teardown(&f);
}

static CU_TestInfo tests[] = {
	{ "identity", test_identity },
	{ "read_write", test_read_write },
	{ "bad_requests", test_bad_requests },
	{ "readonly", test_readonly },
	{ "discard", test_discard },
	{ "save_load", test_save_load },
	{ "write_zeroes", test_write_zeroes },
	{ "write_zeroes_limit", test_write_zeroes_limit },
	{ "stats", test_stats },
	{ "direct", test_direct },
	{ "reset_in_flight", test_reset_in_flight },
	{ "fuzz", test_fuzz },
	{ "dirty_log", test_dirty_log },
	{ "multiqueue", test_multiqueue },
	{ "queues_bounds", test_queues_bounds },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(virtio_blk, NULL, NULL, tests);
