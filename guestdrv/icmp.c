/*
 * icmp.c: ICMP echo (RFC 792): requests to one of our unicast addresses
 * are answered with the same identifier, sequence number and data, sent
 * straight back to the MAC they came from; echo replies go to the pinger's
 * handler. Every other ICMP message is counted and dropped.
 */
#include "net.h"

#define ICMP_ECHO_REPLY		0
#define ICMP_ECHO_REQUEST	8

uint64_t icmp_echo_answered;
static icmp_echo_handler_t echo_handler;

void icmp_set_echo_handler(icmp_echo_handler_t h)
{
	echo_handler = h;
}

static void icmp_echo_reply(struct netif *nif, const uint8_t *src_mac,
			    uint32_t src, uint32_t dst, const uint8_t *p, size_t len)
{
	static uint8_t reply[NET_MTU - IP_HLEN];

	if (len > sizeof(reply))
		return;
	memcpy(reply, p, len);
	reply[0] = ICMP_ECHO_REPLY;
	reply[1] = 0;
	put_be16(reply + 2, 0);
	put_be16(reply + 2, (uint16_t)~inet_fold(inet_sum(reply, len, 0)));
	if (ip_send_to_mac(nif, src_mac, dst, src, IP_PROTO_ICMP, reply,
			   (uint16_t)len) == 0)
		icmp_echo_answered++;
}

void icmp_input(struct netif *nif, const uint8_t *src_mac, uint32_t src,
		uint32_t dst, const uint8_t *p, size_t len)
{
	if (len < ICMP_HLEN || inet_fold(inet_sum(p, len, 0)) != 0xffff) {
		nif->rx_dropped++;
		return;
	}
	if (p[0] == ICMP_ECHO_REQUEST && p[1] == 0 && net_is_local(NULL, dst))
		icmp_echo_reply(nif, src_mac, src, dst, p, len);
	else if (p[0] == ICMP_ECHO_REPLY && p[1] == 0 && echo_handler)
		echo_handler(src, get_be16(p + 4), get_be16(p + 6), p + ICMP_HLEN,
			     (uint16_t)(len - ICMP_HLEN));
	else
		nif->rx_dropped++;
}

int icmp_echo_send(uint32_t dst, uint16_t id, uint16_t seq,
		   const uint8_t *data, uint16_t len)
{
	static uint8_t req[NET_MTU - IP_HLEN];
	struct net_route r;
	int rc;

	if (len > sizeof(req) - ICMP_HLEN)
		return -EMSGSIZE;
	rc = net_route(dst, &r);
	if (rc < 0)
		return rc;
	req[0] = ICMP_ECHO_REQUEST;
	req[1] = 0;
	put_be16(req + 2, 0);
	put_be16(req + 4, id);
	put_be16(req + 6, seq);
	memcpy(req + ICMP_HLEN, data, len);
	put_be16(req + 2, (uint16_t)~inet_fold(inet_sum(req, ICMP_HLEN + len, 0)));
	return ip_send(&r, dst, IP_PROTO_ICMP, req, (uint16_t)(ICMP_HLEN + len));
}
