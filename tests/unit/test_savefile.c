/*
 * Unit tests for xvmd/savefile.c, the save image header: a round trip
 * through a file, and the refusals restore relies on (truncation, any
 * flipped byte, lengths out of range, an unfinished save).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"
#include "xvmd/savefile.h"

static const char xml[] = "<domain type='xen'><name>web1</name></domain>";

static uint8_t *encode(uint64_t stream_len, uint32_t flags, size_t *len)
{
	struct savefile_hdr h = {
		.xml = (char *)xml, .xml_len = strlen(xml),
		.flags = flags, .stream_len = stream_len,
	};
	uint8_t *buf = NULL;

	CU_ASSERT_EQUAL_FATAL(savefile_encode(&h, &buf), 0);
	*len = h.data_off;
	return buf;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static void test_round_trip(void)
{
	char path[] = "/tmp/xvm-savefile-XXXXXX", err[200];
	struct savefile_hdr h = {
		.xml = (char *)xml, .xml_len = strlen(xml),
		.flags = SAVEFILE_FLAG_PAUSED, .stream_len = 5000,
	};
	struct savefile_hdr r;
	uint8_t *buf;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	unlink(path);
	CU_ASSERT_EQUAL(savefile_write(fd, &h), 0);
	CU_ASSERT_EQUAL(h.data_off, 4096);
	/* hv's stream follows at the data offset */
	buf = calloc(1, 5000);
	CU_ASSERT_EQUAL(pwrite(fd, buf, 5000, 4096), 5000);
	free(buf);
	CU_ASSERT_EQUAL(savefile_read(fd, &r, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(r.data_off, 4096);
	CU_ASSERT_EQUAL(r.flags, SAVEFILE_FLAG_PAUSED);
	CU_ASSERT_EQUAL(r.stream_len, 5000);
	CU_ASSERT_EQUAL(r.xml_len, strlen(xml));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r.xml);
	CU_ASSERT_STRING_EQUAL(r.xml, xml);
	savefile_free(&r);

	/* one byte of the stream missing: refused before hv is asked */
	CU_ASSERT_EQUAL(ftruncate(fd, 4096 + 4999), 0);
	CU_ASSERT_EQUAL(savefile_read(fd, &r, err, sizeof(err)), -ENODATA);
	CU_ASSERT_STRING_EQUAL(err, "save image truncated: 4999 bytes of "
			       "guest state, the header says 5000");
	CU_ASSERT_PTR_NULL(r.xml);
	close(fd);

	/* a larger XML: the data offset is the next 4 KiB boundary */
	CU_ASSERT_EQUAL(savefile_data_off(4096 - 40), 4096);
	CU_ASSERT_EQUAL(savefile_data_off(4096 - 39), 8192);
}

static void test_truncated(void)
{
	struct savefile_hdr r;
	char err[200];
	size_t len, n;
	uint8_t *buf = encode(1, 0, &len);

	for (n = 0; n < len; n++) {
		int rc = savefile_decode(buf, n, &r, err, sizeof(err));

		CU_ASSERT(rc == -ENODATA || (n < 8 && rc == -EINVAL));
		CU_ASSERT_PTR_NULL(r.xml);
	}
	CU_ASSERT_EQUAL(savefile_decode(buf, len, &r, err, sizeof(err)), 0);
	savefile_free(&r);
	/* a directory or device is not an image */
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);

	CU_ASSERT_EQUAL(savefile_read(fd, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "not a regular file");
	close(fd);
	free(buf);
}

/* Bytes after the stream the header announces: hv would refuse them
 * ("unexpected bytes after the end") only after xvmd had created the
 * domain and its VNICs; xvmd refuses the image itself. */
static void test_trailing_bytes(void)
{
	char path[] = "/tmp/xvm-savefile-XXXXXX", err[200] = "";
	struct savefile_hdr h = {
		.xml = (char *)xml, .xml_len = strlen(xml), .stream_len = 100,
	};
	struct savefile_hdr r;
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	unlink(path);
	CU_ASSERT_EQUAL(savefile_write(fd, &h), 0);
	CU_ASSERT_EQUAL(ftruncate(fd, 4096 + 100), 0);
	CU_ASSERT_EQUAL(savefile_read(fd, &r, err, sizeof(err)), 0);
	savefile_free(&r);
	CU_ASSERT_EQUAL(ftruncate(fd, 4096 + 101), 0);
	CU_ASSERT_EQUAL(savefile_read(fd, &r, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(r.xml);
	CU_ASSERT_STRING_EQUAL(err, "save image has 1 bytes after its guest "
			       "state (101 bytes, the header says 100)");
	close(fd);
}

/* Every single flipped byte of the header is found. */
static void test_flipped(void)
{
	struct savefile_hdr r;
	char err[200];
	size_t len, i;
	uint8_t *buf = encode(123, 0, &len);

	for (i = 0; i < len; i++) {
		buf[i] ^= 0x20;
		CU_ASSERT_EQUAL(savefile_decode(buf, len, &r, err, sizeof(err)),
				-EINVAL);
		CU_ASSERT_PTR_NULL(r.xml);
		buf[i] ^= 0x20;
	}
	buf[0] = 'Q';
	savefile_decode(buf, len, &r, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(err, "not an xvm save image (no XVMSAVE magic)");
	buf[0] = 'X';
	buf[100] = 1;		/* padding */
	savefile_decode(buf, len, &r, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(err, "save image header corrupt (CRC mismatch)");
	free(buf);
}

/* Lengths a forged header might carry: refused without allocating. */
static void test_huge_lengths(void)
{
	static const uint32_t xml_lens[] = { 0, SAVEFILE_XML_MAX + 1,
					     0x7fffffff, 0xffffffff };
	struct savefile_hdr r;
	char err[200];
	size_t len, i;
	uint8_t *buf = encode(1, 0, &len);

	for (i = 0; i < ARRAY_SIZE(xml_lens); i++) {
		put_be32(buf + 16, xml_lens[i]);
		CU_ASSERT_EQUAL(savefile_decode(buf, len, &r, err, sizeof(err)),
				-EINVAL);
		CU_ASSERT_STRING_EQUAL(err, "save image header corrupt (XML "
				       "length or data offset out of range)");
	}
	put_be32(buf + 16, strlen(xml));
	put_be32(buf + 12, 0xfffff000);		/* data offset */
	CU_ASSERT_EQUAL(savefile_decode(buf, len, &r, err, sizeof(err)),
			-EINVAL);
	put_be32(buf + 12, 4096);
	put_be32(buf + 8, 2);			/* version */
	CU_ASSERT_EQUAL(savefile_decode(buf, len, &r, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "save image format version 2, this xvmd "
			       "reads version 1");
	free(buf);

	/* an unfinished save (stream length 0) is no image */
	buf = encode(0, 0, &len);
	CU_ASSERT_EQUAL(savefile_decode(buf, len, &r, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "save image incomplete (the save did not "
			       "finish)");
	free(buf);

	/* and the encoder refuses what the decoder would */
	struct savefile_hdr h = { .xml = (char *)xml, .xml_len = 0 };
	uint8_t *out = NULL;

	CU_ASSERT_EQUAL(savefile_encode(&h, &out), -EINVAL);
	h.xml_len = SAVEFILE_XML_MAX + 1;
	CU_ASSERT_EQUAL(savefile_encode(&h, &out), -EINVAL);
	h.xml = "a\0b";
	h.xml_len = 3;
	CU_ASSERT_EQUAL(savefile_encode(&h, &out), -EINVAL);
	CU_ASSERT_PTR_NULL(out);
}

static CU_TestInfo tests[] = {
	{ "round trip through a file", test_round_trip },
	{ "truncated header", test_truncated },
	{ "every flipped byte refused", test_flipped },
	{ "huge and zero lengths", test_huge_lengths },
	{ "bytes after the stream refused", test_trailing_bytes },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(savefile, NULL, NULL, tests);
