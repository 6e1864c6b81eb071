/*
 * 802.1Q tags (vlan.h). The tag sits between the source MAC and the
 * EtherType: TPID 0x8100, then TCI = PCP(3) DEI(1) VID(12)
 * (IEEE 802.1Q-2018 clause 9.6).
 */
#include <string.h>

#include "vlan.h"

#define ETH_ADDRS_LEN	12

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

int vlan_parse(const uint8_t *frame, size_t len, struct vlan_info *vi)
{
	uint16_t type, tci;

	if (len < ETH_HLEN_)
		return -EINVAL;
	memset(vi, 0, sizeof(*vi));
	type = rd16(frame + ETH_ADDRS_LEN);
	if (type != ETHERTYPE_VLAN) {
		vi->ethertype = type;
		vi->l3_off = ETH_HLEN_;
		return 0;
	}
	if (len < ETH_HLEN_ + VLAN_HLEN)
		return -EINVAL;
	tci = rd16(frame + ETH_ADDRS_LEN + 2);
	if ((tci & 0xfff) == 0xfff)
		return -EINVAL;		/* reserved VID */
	vi->tagged = true;
	vi->vid = tci & 0xfff;
	vi->pcp = tci >> 13;
	vi->ethertype = rd16(frame + ETH_HLEN_ + 2);
	vi->l3_off = ETH_HLEN_ + VLAN_HLEN;
	return 0;
}

uint8_t *vlan_push(uint8_t *frame, size_t len, uint16_t vid, uint8_t pcp)
{
	uint8_t *p = frame - VLAN_HLEN;

	if (vid == 0 || vid > VLAN_VID_MAX || pcp > 7 || len < ETH_HLEN_ ||
	    vlan_has_tag(frame)) {
		errno = EINVAL;
		return NULL;
	}
	memmove(p, frame, ETH_ADDRS_LEN);
	wr16(p + ETH_ADDRS_LEN, ETHERTYPE_VLAN);
	wr16(p + ETH_ADDRS_LEN + 2, (uint16_t)(pcp << 13 | vid));
	return p;
}

uint8_t *vlan_pop(uint8_t *frame, size_t len)
{
	if (len < ETH_HLEN_ + VLAN_HLEN ||
	    rd16(frame + ETH_ADDRS_LEN) != ETHERTYPE_VLAN) {
		errno = EINVAL;
		return NULL;
	}
	memmove(frame + VLAN_HLEN, frame, ETH_ADDRS_LEN);
	return frame + VLAN_HLEN;
}
