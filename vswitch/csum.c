/*
 * Partial checksum completion (csum.h): RFC 1071 sums, the pseudo-headers
 * of RFC 793 §3.1 / RFC 768 (IPv4) and RFC 8200 §8.1 (IPv6).
 */
#include <string.h>

#include "csum.h"

#define ETH_HDR		14
#define IPPROTO_TCP_	6
#define IPPROTO_UDP_	17

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;

	for (; len >= 2; p += 2, len -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffffULL) + (s >> 32);
	return (uint32_t)s;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Complete the checksum of the L4 segment l4 (l4len bytes) given the
 * pseudo-header sum, if its field holds that sum. */
static int csum_l4(uint8_t *l4, size_t l4len, uint8_t proto, uint32_t pseudo)
{
	size_t off = proto == IPPROTO_TCP_ ? 16 : 6;
	uint16_t field, want, c;

	if (l4len < off + 2 || (proto == IPPROTO_TCP_ && l4len < 20))
		return 0;
	field = (uint16_t)(l4[off] << 8 | l4[off + 1]);
	want = csum_fold(pseudo);
	if (field != want || field == 0)
		return 0;
	l4[off] = l4[off + 1] = 0;
	c = (uint16_t)~csum_fold(csum_add(pseudo, l4, l4len));
	if (proto == IPPROTO_UDP_ && c == 0)
		c = 0xffff;	/* RFC 768: zero means no checksum */
	l4[off] = c >> 8;
	l4[off + 1] = c & 0xff;
	return 1;
}

static int csum_ipv4(uint8_t *ip, size_t len)
{
	size_t ihl, tot;
	uint8_t proto, pb[2] = { 0, 0 }, lb[2];
	uint32_t s;

	if (len < 20)
		return 0;	/* before reading any header field */
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = (size_t)(ip[2] << 8 | ip[3]);
	proto = pb[1] = ip[9];
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || tot > len)
		return 0;
	if ((ip[6] & 0x3f) || ip[7])
		return 0;	/* a fragment: no whole segment here */
	if (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_)
		return 0;
	lb[0] = (uint8_t)((tot - ihl) >> 8);
	lb[1] = (uint8_t)(tot - ihl);
	s = csum_add(0, ip + 12, 8);
	s = csum_add(s, pb, 2);
	s = csum_add(s, lb, 2);
	return csum_l4(ip + ihl, tot - ihl, proto, s);
}

static int csum_ipv6(uint8_t *ip, size_t len)
{
	size_t plen;
	uint8_t proto, tail[8] = { 0 };
	uint32_t s;

	if (len < 40 || (ip[0] >> 4) != 6)
		return 0;
	plen = (size_t)(ip[4] << 8 | ip[5]);
	proto = ip[6];
	if (plen + 40 > len ||
	    (proto != IPPROTO_TCP_ && proto != IPPROTO_UDP_))
		return 0;
	tail[2] = (uint8_t)(plen >> 8);
	tail[3] = (uint8_t)plen;
	tail[7] = proto;
	s = csum_add(0, ip + 8, 32);
	s = csum_add(s, tail, 8);
	return csum_l4(ip + 40, plen, proto, s);
}

int csum_complete_partial(uint8_t *frame, size_t len)
{
	uint16_t type;

	if (len < ETH_HDR)
		return 0;
	type = (uint16_t)(frame[12] << 8 | frame[13]);
	if (type == 0x0800)
		return csum_ipv4(frame + ETH_HDR, len - ETH_HDR);
	if (type == 0x86dd)
		return csum_ipv6(frame + ETH_HDR, len - ETH_HDR);
	return 0;
}
