/*
 * ping.c: the `ping` workload: answer ARP and ICMP echo and echo UDP on
 * port 7 (RFC 862) for as long as the guest runs. It only polls; the
 * answers come from the stack (icmp.c, udp.c). Polls without sleeping
 * while traffic flows, so replies are not delayed by the 10 ms idle tick.
 */
#include "netwl.h"

#define UDP_ECHO_PORT	7

static bool ping_ok;

static void ping_start(void)
{
	ping_ok = net_usable("ping");
	if (ping_ok)
		udp_bind(UDP_ECHO_PORT, udp_echo_handler);
}

static bool ping_step(uint64_t now)
{
	if (!ping_ok)
		return false;
	net_poll(now, NET_POLL_BUDGET);
	return true;
}

static bool ping_busy(uint64_t now)
{
	return net_busy(now);
}

const struct workload wl_ping = {
	.name = "ping", .start = ping_start, .step = ping_step,
	.is_busy = ping_busy,
};
