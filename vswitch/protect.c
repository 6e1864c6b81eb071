/*
 * Link protection checks (protect.h). Offsets follow RFC 826 (ARP for
 * Ethernet/IPv4), RFC 791 (IPv4 header), RFC 768 (UDP) and RFC 2131 §2
 * (DHCP message: chaddr at offset 28 of the BOOTP payload).
 */
#include <string.h>

#include "protect.h"

#define ETH_HDR		14
#define ETH_P_IPV4	0x0800
#define ETH_P_ARP	0x0806
#define ETH_P_IPV6	0x86dd
#define ARP_LEN		28	/* Ethernet/IPv4 ARP */
#define ARP_SHA		8
#define ARP_SPA		14
#define IP_PROTO_UDP	17
#define DHCP_CHADDR	28
#define DHCP_CLIENT	68
#define DHCP_SERVER	67

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd_ip(const uint8_t *p)	/* stays in network order */
{
	uint32_t a;

	memcpy(&a, p, 4);
	return a;
}

static bool protect_ip_ok(const struct link_props *p, uint32_t addr)
{
	return addr == 0 || link_props_ip_allowed(p, addr);
}

static enum protect_verdict protect_arp(const struct link_props *p,
					const struct mac_addr *own,
					const uint8_t *arp, size_t len)
{
	if (len < ARP_LEN)
		return (p->protection & PROT_IP_NOSPOOF) ? PROTECT_IP_SPOOF :
							  PROTECT_PASS;
	if ((p->protection & PROT_MAC_NOSPOOF) &&
	    memcmp(arp + ARP_SHA, own->b, MAC_LEN) != 0)
		return PROTECT_MAC_SPOOF;
	if ((p->protection & PROT_IP_NOSPOOF) &&
	    !protect_ip_ok(p, rd_ip(arp + ARP_SPA)))
		return PROTECT_IP_SPOOF;
	return PROTECT_PASS;
}

/* A DHCP client message (UDP 68 -> 67) whose chaddr is not ours. */
static bool protect_dhcp_spoofed(const struct mac_addr *own,
				 const uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	const uint8_t *udp = ip + ihl;

	if (ip[9] != IP_PROTO_UDP || len < ihl + 8)
		return false;
	if (rd16(udp) != DHCP_CLIENT || rd16(udp + 2) != DHCP_SERVER)
		return false;
	if (len < ihl + 8 + DHCP_CHADDR + MAC_LEN)
		return true;	/* truncated: cannot vouch for it */
	return memcmp(udp + 8 + DHCP_CHADDR, own->b, MAC_LEN) != 0;
}

static enum protect_verdict protect_ipv4(const struct link_props *p,
					 const struct mac_addr *own,
					 const uint8_t *ip, size_t len)
{
	bool ok = len >= 20 && (ip[0] >> 4) == 4 && (ip[0] & 0xf) >= 5 &&
		  len >= (size_t)(ip[0] & 0xf) * 4;

	if (p->protection & PROT_IP_NOSPOOF) {
		if (!ok || !protect_ip_ok(p, rd_ip(ip + 12)))
			return PROTECT_IP_SPOOF;
	}
	if ((p->protection & PROT_DHCP_NOSPOOF) && ok &&
	    protect_dhcp_spoofed(own, ip, len))
		return PROTECT_DHCP_SPOOF;
	return PROTECT_PASS;
}

enum protect_verdict protect_check(const struct link_props *p,
				   const struct mac_addr *own,
				   const uint8_t *frame, size_t len)
{
	uint16_t type;

	if (!p->protection)
		return PROTECT_PASS;
	if (len < ETH_HDR)
		return PROTECT_MAC_SPOOF;
	if ((p->protection & PROT_MAC_NOSPOOF) &&
	    memcmp(frame + 6, own->b, MAC_LEN) != 0)
		return PROTECT_MAC_SPOOF;
	type = rd16(frame + 12);
	if ((p->protection & PROT_RESTRICTED) && type != ETH_P_IPV4 &&
	    type != ETH_P_IPV6 && type != ETH_P_ARP)
		return PROTECT_RESTRICTED;
	if (type == ETH_P_ARP)
		return protect_arp(p, own, frame + ETH_HDR, len - ETH_HDR);
	if (type == ETH_P_IPV4)
		return protect_ipv4(p, own, frame + ETH_HDR, len - ETH_HDR);
	return PROTECT_PASS;
}
