/*
 * pcap savefiles (include/xvm/pcapfile.h), for vnicadm snoop -o: the
 * layout of libpcap's "pcap-savefile" format, version 2.4.
 */
#include <errno.h>
#include <string.h>

#include "xvm/pcapfile.h"

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

void pcapfile_header(uint8_t out[PCAPFILE_HDR_LEN], uint32_t snaplen)
{
	put32(out, PCAPFILE_MAGIC);
	put16(out + 4, 2);			/* version 2.4 */
	put16(out + 6, 4);
	put32(out + 8, 0);			/* thiszone: UTC */
	put32(out + 12, 0);			/* sigfigs */
	put32(out + 16, snaplen);
	put32(out + 20, PCAPFILE_LINKTYPE_ETHERNET);
}

void pcapfile_record(uint8_t out[PCAPFILE_REC_LEN], uint64_t t_ns,
		     uint32_t caplen, uint32_t len)
{
	put32(out, (uint32_t)(t_ns / 1000000000u));
	put32(out + 4, (uint32_t)(t_ns % 1000000000u / 1000u));
	put32(out + 8, caplen);
	put32(out + 12, len);
}

static int pcapfile_put(FILE *f, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, f) != n)
		return errno ? -errno : -EIO;
	return 0;
}

int pcapfile_write_header(FILE *f, uint32_t snaplen)
{
	uint8_t h[PCAPFILE_HDR_LEN];

	pcapfile_header(h, snaplen);
	return pcapfile_put(f, h, sizeof(h));
}

int pcapfile_write_frame(FILE *f, uint64_t t_ns, const uint8_t *data,
			 uint32_t caplen, uint32_t len)
{
	uint8_t r[PCAPFILE_REC_LEN];
	int rc;

	pcapfile_record(r, t_ns, caplen, len);
	rc = pcapfile_put(f, r, sizeof(r));
	return rc < 0 ? rc : pcapfile_put(f, data, caplen);
}
