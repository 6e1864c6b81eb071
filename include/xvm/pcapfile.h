/*
 * The pcap file format (libpcap's savefile, "tcpdump -w"): a 24-byte file
 * header then, per frame, a 16-byte record header and the bytes kept.
 * Written in the host's byte order with the microsecond magic, link type
 * 1 (DLT_EN10MB, Ethernet), which every reader (tcpdump, tshark,
 * Wireshark) takes, from a file or a pipe.
 */
#ifndef XVM_PCAPFILE_H
#define XVM_PCAPFILE_H

#include <stdint.h>
#include <stdio.h>

#define PCAPFILE_MAGIC		0xa1b2c3d4u	/* microsecond timestamps */
#define PCAPFILE_LINKTYPE_ETHERNET 1
#define PCAPFILE_HDR_LEN	24
#define PCAPFILE_REC_LEN	16

/* The file header for frames of at most snaplen bytes. */
void pcapfile_header(uint8_t out[PCAPFILE_HDR_LEN], uint32_t snaplen);
/* A record header: time t_ns (ns since the epoch), caplen bytes kept of
 * a len-byte frame. */
void pcapfile_record(uint8_t out[PCAPFILE_REC_LEN], uint64_t t_ns,
		     uint32_t caplen, uint32_t len);
/* Write the file header / one frame to f: 0 or -errno. */
int pcapfile_write_header(FILE *f, uint32_t snaplen);
int pcapfile_write_frame(FILE *f, uint64_t t_ns, const uint8_t *data,
			 uint32_t caplen, uint32_t len);

#endif
