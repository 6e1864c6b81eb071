/*
 * Link protection (dladm "protection" and "allowed-ips"): checks on a frame
 * a VNIC sends into the switch, returning why it must be dropped.
 *   mac-nospoof   source MAC (and ARP sender hardware address) must be the
 *                 VNIC's own
 *   ip-nospoof    IPv4 source (and ARP sender protocol address) must be in
 *                 allowed-ips; 0.0.0.0 is allowed (DHCP, ARP probes)
 *   restricted    only IPv4, IPv6 and ARP frames
 *   dhcp-nospoof  a DHCP client message's chaddr must be the VNIC's MAC
 */
#ifndef VSW_PROTECT_H
#define VSW_PROTECT_H

#include "xvm/common.h"
#include "xvm/mac.h"
#include "xvm/linkprop.h"

enum protect_verdict {
	PROTECT_PASS = 0,
	PROTECT_MAC_SPOOF,
	PROTECT_IP_SPOOF,
	PROTECT_RESTRICTED,
	PROTECT_DHCP_SPOOF,
};

/* The verdict for an untagged frame of len bytes sent by a VNIC with
 * address own and properties p. Malformed IPv4/ARP frames under ip-nospoof
 * count as IP spoofing. */
enum protect_verdict protect_check(const struct link_props *p,
				   const struct mac_addr *own,
				   const uint8_t *frame, size_t len);

#endif
