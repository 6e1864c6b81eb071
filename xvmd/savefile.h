/*
 * Save images (virsh save, managedsave): xvmd's header, then hv's state
 * stream. The header (all integers big-endian) is
 *
 *	 0  magic "XVMSAVE\n"
 *	 8  u32 version (1)
 *	12  u32 data offset: where hv's stream starts, a multiple of 4 KiB,
 *	    the smallest that holds header and XML
 *	16  u32 XML length (1 B to 1 MiB, no NUL)
 *	20  u32 flags: 1 = restore paused (the state at save, or --paused)
 *	24  u64 stream length: what hv reported writing; 0 while the save
 *	    is under way (such an image is refused)
 *	32  u32 CRC-32 (zlib's) of the data-offset bytes, this field zero
 *	36  u32 reserved, zero
 *	40  the domain XML, then zeros up to the data offset
 *
 * The XML is the domain's whole definition (VNIC MACs, links, VLANs), so
 * restore recreates the domain and its VNICs on this host. Everything is
 * checked before a restore creates anything. hv's stream (its own format,
 * checked by hv) runs from the data offset for stream-length bytes.
 */
#ifndef XVMD_SAVEFILE_H
#define XVMD_SAVEFILE_H

#include "xvm/common.h"

#define SAVEFILE_MAGIC		"XVMSAVE\n"
#define SAVEFILE_VERSION	1
#define SAVEFILE_ALIGN		4096u
#define SAVEFILE_FIXED_LEN	40u
#define SAVEFILE_XML_MAX	(1u << 20)
#define SAVEFILE_FLAG_PAUSED	1u

struct savefile_hdr {
	uint32_t data_off;	/* hv's stream starts here */
	uint32_t flags;		/* SAVEFILE_FLAG_* */
	uint64_t stream_len;	/* 0: the save did not finish */
	char *xml;		/* NUL-terminated copy (decode: malloc'd) */
	size_t xml_len;
};

/* The data offset for an XML of xml_len bytes. */
uint32_t savefile_data_off(size_t xml_len);
/* Encode h (xml, xml_len, flags, stream_len; data_off is computed and
 * set): a malloc'd buffer of h->data_off bytes in *buf. 0 or -errno
 * (-EINVAL: XML empty or too long). */
int savefile_encode(struct savefile_hdr *h, uint8_t **buf);
/* Decode and check the first len bytes of an image: 0 with h filled
 * (h->xml malloc'd), or -errno with err saying what is wrong
 * (-EINVAL bad header, -ENODATA truncated). */
int savefile_decode(const uint8_t *buf, size_t len, struct savefile_hdr *h,
		    char *err, size_t errlen);
/* Read and check the header of the image open at fd, and that the file
 * holds the whole stream and nothing after it: 0 or -errno with err
 * filled. */
int savefile_read(int fd, struct savefile_hdr *h, char *err, size_t errlen);
/* Write h's header at offset 0 of fd (data_off is set): 0 or -errno. */
int savefile_write(int fd, struct savefile_hdr *h);
void savefile_free(struct savefile_hdr *h);

#endif
