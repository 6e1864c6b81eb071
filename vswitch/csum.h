/*
 * Completing TCP/UDP checksums left partial. A sender on this host whose
 * interface offloads checksums (veth, the usual "LAN" of tests and
 * containers) hands frames to a packet socket with only the pseudo-header
 * sum in the checksum field (CHECKSUM_PARTIAL); the af_packet uplink does
 * not say which frames those are. A frame whose field holds exactly its
 * pseudo-header sum gets its real checksum; any other frame is untouched
 * (a correct checksum that happened to equal it would be recomputed to the
 * same value).
 */
#ifndef VSW_CSUM_H
#define VSW_CSUM_H

#include "xvm/common.h"

/* frame: an untagged Ethernet frame of len bytes. 1 if a checksum was
 * completed, 0 otherwise (not IPv4/IPv6 TCP/UDP, fragment, short, or the
 * checksum is not partial). */
int csum_complete_partial(uint8_t *frame, size_t len);

/* RFC 1071 one's-complement sum of len bytes added to sum (not folded). */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len);
/* Fold to 16 bits (not complemented). */
uint16_t csum_fold(uint32_t sum);

#endif
