/*
 * The save image header codec (savefile.h): encode for virsh save and
 * managedsave, decode and check every field for restore, where the file
 * is outside input (a user names any path).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "savefile.h"

#define SAVEFILE_CRC_AT		32

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint32_t savefile_crc(const uint8_t *buf, uint32_t len)
{
	static const uint8_t zero[4];
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, buf, SAVEFILE_CRC_AT);
	crc = crc32(crc, zero, 4);
	crc = crc32(crc, buf + SAVEFILE_CRC_AT + 4,
		    len - SAVEFILE_CRC_AT - 4);
	return (uint32_t)crc;
}

uint32_t savefile_data_off(size_t xml_len)
{
	size_t n = SAVEFILE_FIXED_LEN + xml_len;

	return (uint32_t)((n + SAVEFILE_ALIGN - 1) / SAVEFILE_ALIGN *
			  SAVEFILE_ALIGN);
}

int savefile_encode(struct savefile_hdr *h, uint8_t **out)
{
	uint8_t *buf;

	if (!h->xml_len || h->xml_len > SAVEFILE_XML_MAX ||
	    memchr(h->xml, 0, h->xml_len))
		return -EINVAL;
	h->data_off = savefile_data_off(h->xml_len);
	buf = calloc(1, h->data_off);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, SAVEFILE_MAGIC, 8);
	put_be32(buf + 8, SAVEFILE_VERSION);
	put_be32(buf + 12, h->data_off);
	put_be32(buf + 16, (uint32_t)h->xml_len);
	put_be32(buf + 20, h->flags);
	put_be32(buf + 24, (uint32_t)(h->stream_len >> 32));
	put_be32(buf + 28, (uint32_t)h->stream_len);
	memcpy(buf + SAVEFILE_FIXED_LEN, h->xml, h->xml_len);
	put_be32(buf + SAVEFILE_CRC_AT, savefile_crc(buf, h->data_off));
	*out = buf;
	return 0;
}

static int savefile_bad(char *err, size_t errlen, int rc, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return rc;
}

/* The fixed part: magic, version, sizes, flags. */
static int savefile_decode_fixed(const uint8_t *buf, size_t len,
				 struct savefile_hdr *h, char *err,
				 size_t errlen)
{
	uint32_t version;

	if (len < 8 || memcmp(buf, SAVEFILE_MAGIC, 8))
		return savefile_bad(err, errlen, -EINVAL, "not an xvm save "
				    "image (no XVMSAVE magic)");
	if (len < SAVEFILE_FIXED_LEN)
		return savefile_bad(err, errlen, -ENODATA, "save image "
				    "truncated in its header");
	version = get_be32(buf + 8);
	if (version != SAVEFILE_VERSION) {
		snprintf(err, errlen, "save image format version %u, this "
			 "xvmd reads version %u", version, SAVEFILE_VERSION);
		return -EINVAL;
	}
	h->data_off = get_be32(buf + 12);
	h->xml_len = get_be32(buf + 16);
	h->flags = get_be32(buf + 20);
	h->stream_len = (uint64_t)get_be32(buf + 24) << 32 | get_be32(buf + 28);
	if (!h->xml_len || h->xml_len > SAVEFILE_XML_MAX ||
	    h->data_off != savefile_data_off(h->xml_len))
		return savefile_bad(err, errlen, -EINVAL, "save image header "
				    "corrupt (XML length or data offset out "
				    "of range)");
	if (h->flags & ~SAVEFILE_FLAG_PAUSED || get_be32(buf + 36))
		return savefile_bad(err, errlen, -EINVAL, "save image header "
				    "corrupt (unknown flags)");
	return 0;
}

int savefile_decode(const uint8_t *buf, size_t len, struct savefile_hdr *h,
		    char *err, size_t errlen)
{
	const uint8_t *pad;
	size_t i;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = savefile_decode_fixed(buf, len, h, err, errlen);
	if (rc < 0)
		return rc;
	if (len < h->data_off)
		return savefile_bad(err, errlen, -ENODATA, "save image "
				    "truncated in its header");
	if (savefile_crc(buf, h->data_off) != get_be32(buf + SAVEFILE_CRC_AT))
		return savefile_bad(err, errlen, -EINVAL, "save image header "
				    "corrupt (CRC mismatch)");
	pad = buf + SAVEFILE_FIXED_LEN + h->xml_len;
	for (i = 0; pad + i < buf + h->data_off; i++)
		if (pad[i])
			return savefile_bad(err, errlen, -EINVAL, "save image "
					    "header corrupt (padding)");
	if (memchr(buf + SAVEFILE_FIXED_LEN, 0, h->xml_len))
		return savefile_bad(err, errlen, -EINVAL, "save image header "
				    "corrupt (NUL in the XML)");
	if (!h->stream_len)
		return savefile_bad(err, errlen, -EINVAL, "save image "
				    "incomplete (the save did not finish)");
	h->xml = malloc(h->xml_len + 1);
	if (!h->xml)
		return savefile_bad(err, errlen, -ENOMEM, "out of memory");
	memcpy(h->xml, buf + SAVEFILE_FIXED_LEN, h->xml_len);
	h->xml[h->xml_len] = 0;
	return 0;
}

int savefile_read(int fd, struct savefile_hdr *h, char *err, size_t errlen)
{
	uint8_t fixed[SAVEFILE_FIXED_LEN], *buf;
	struct stat st;
	ssize_t n;
	int rc;

	memset(h, 0, sizeof(*h));
	if (fstat(fd, &st) < 0)
		return savefile_bad(err, errlen, -errno, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return savefile_bad(err, errlen, -EINVAL, "not a regular file");
	n = pread(fd, fixed, sizeof(fixed), 0);
	if (n < 0)
		return savefile_bad(err, errlen, -errno, strerror(errno));
	rc = savefile_decode_fixed(fixed, (size_t)n, h, err, errlen);
	if (rc < 0)
		return rc;
	buf = malloc(h->data_off);
	if (!buf)
		return savefile_bad(err, errlen, -ENOMEM, "out of memory");
	n = pread(fd, buf, h->data_off, 0);
	rc = n < 0 ? savefile_bad(err, errlen, -errno, strerror(errno)) :
	     savefile_decode(buf, (size_t)n, h, err, errlen);
	free(buf);
	if (rc < 0)
		return rc;
	if ((uint64_t)st.st_size < h->data_off ||
	    (uint64_t)st.st_size - h->data_off < h->stream_len) {
		snprintf(err, errlen, "save image truncated: %llu bytes of "
			 "guest state, the header says %llu",
			 (unsigned long long)((uint64_t)st.st_size - h->data_off),
			 (unsigned long long)h->stream_len);
		savefile_free(h);
		return -ENODATA;
	}
	if ((uint64_t)st.st_size - h->data_off > h->stream_len) {
		/* hv refuses them too, but only after the domain and its
		 * VNICs were made for it */
		snprintf(err, errlen, "save image has %llu bytes after its "
			 "guest state (%llu bytes, the header says %llu)",
			 (unsigned long long)((uint64_t)st.st_size -
					      h->data_off - h->stream_len),
			 (unsigned long long)((uint64_t)st.st_size - h->data_off),
			 (unsigned long long)h->stream_len);
		savefile_free(h);
		return -EINVAL;
	}
	return 0;
}

int savefile_write(int fd, struct savefile_hdr *h)
{
	uint8_t *buf;
	ssize_t n;
	int rc;

	rc = savefile_encode(h, &buf);
	if (rc < 0)
		return rc;
	n = pwrite(fd, buf, h->data_off, 0);
	rc = n < 0 ? -errno : (size_t)n == h->data_off ? 0 : -EIO;
	free(buf);
	return rc;
}

void savefile_free(struct savefile_hdr *h)
{
	free(h->xml);
	h->xml = NULL;
}
