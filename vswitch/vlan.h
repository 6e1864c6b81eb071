/*
 * IEEE 802.1Q tags on Ethernet frame buffers: parse, push (towards the
 * uplink) and pop (from the uplink). Push and pop move only the 12 address
 * bytes, so a frame in a buffer with headroom is tagged in place.
 */
#ifndef VSW_VLAN_H
#define VSW_VLAN_H

#include "xvm/common.h"

#define ETH_HLEN_	14
#define VLAN_HLEN	4
#define ETHERTYPE_VLAN	0x8100
#define VLAN_VID_MAX	4094
#define ETHERTYPE_QINQ	0x88a8	/* 802.1ad service tag */
#define ETHERTYPE_QINQ_OLD 0x9100	/* pre-standard service tag */

struct vlan_info {
	bool tagged;
	uint16_t vid;		/* 0 when untagged (or priority-tagged) */
	uint8_t pcp;
	uint16_t ethertype;	/* the payload's type, after any tag */
	uint16_t l3_off;	/* offset of the payload: 14 or 18 */
};

/* Does the frame (at least 14 bytes) carry a VLAN tag of any kind
 * (802.1Q, 802.1ad or the old 0x9100 service tag)? */
static inline bool vlan_has_tag(const uint8_t *frame)
{
	uint16_t type = (uint16_t)(frame[12] << 8 | frame[13]);

	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ ||
	       type == ETHERTYPE_QINQ_OLD;
}

/* Parse the Ethernet header (802.1Q clause 9.6 tag). 0, or -EINVAL for a
 * frame too short to hold its header(s) or a tag with VID 4095. */
int vlan_parse(const uint8_t *frame, size_t len, struct vlan_info *vi);

/*
 * Tag an untagged frame: frame points at len bytes preceded by at least
 * VLAN_HLEN bytes of headroom that belong to the same buffer. Returns the
 * new start (frame - 4; the frame is then len + 4 bytes), or NULL with
 * errno EINVAL (vid out of 1..4094, short or already tagged frame).
 */
uint8_t *vlan_push(uint8_t *frame, size_t len, uint16_t vid, uint8_t pcp);

/* Untag a tagged frame in place: the new start (frame + 4; len - 4 bytes),
 * or NULL with errno EINVAL if it is not tagged or too short. */
uint8_t *vlan_pop(uint8_t *frame, size_t len);

#endif
