/*
 * pinger.c: the `pinger` workload: ICMP echo requests to peer= every
 * interval_ms (default 1000), for count= requests or secs= seconds (both
 * 0: until power-off). Each reply prints "guest: ping seq=N rtt_us=X";
 * after the last request it waits max(1 s, interval) for stragglers and
 * prints "guest: pinger sent=N received=N lost=N". It also answers ARP,
 * echo and UDP echo like `ping`, since it polls the same stack.
 * ping_size= sets the echo data bytes (default 56, as ping(8)): 16 bytes
 * of sequence and time, then byte i is i mod 256. A reply whose data is
 * not exactly that ("guest: ping seq=N bad payload") is not received.
 */
#include "cmdline.h"
#include "netwl.h"

#define PINGER_ID	0x7876
#define PINGER_WINDOW	256	/* requests tracked for replies */

static struct {
	bool ok, sending;
	uint32_t peer;
	uint64_t count, secs, interval, start, next_send, end;
	uint64_t sent, received, dups;
	uint16_t size;				/* echo data bytes */
	uint8_t data[NET_MTU];			/* the last request's */
	uint64_t sent_at[PINGER_WINDOW];	/* 0: answered or never sent */
} pg;

/* Echo data as pinger_send() made it: the pattern after the 16 bytes of
 * sequence and time (which differ per request). */
static bool pinger_payload_ok(const uint8_t *data, uint16_t len)
{
	if (len != pg.size)
		return false;
	for (uint16_t i = NET_SEQ_LEN; i < len; i++)
		if (data[i] != (uint8_t)i)
			return false;
	return true;
}

static void pinger_reply(uint32_t src, uint16_t id, uint16_t seq,
			 const uint8_t *data, uint16_t len)
{
	uint64_t now = clock_ns(), *at;

	if (src != pg.peer || id != PINGER_ID)
		return;
	/* Only a request still in the window, and only once. */
	if ((uint16_t)(pg.sent - 1 - seq) >= MIN(pg.sent, (uint64_t)PINGER_WINDOW))
		return;
	at = &pg.sent_at[seq % PINGER_WINDOW];
	if (!*at) {
		pg.dups++;
		return;
	}
	if (!pinger_payload_ok(data, len)) {
		kprintf("guest: ping seq=%u bad payload len=%u\n", seq, len);
		return;
	}
	pg.received++;
	kprintf("guest: ping seq=%u rtt_us=%lu\n", seq, (now - *at) / 1000);
	*at = 0;
}

static void pinger_start(void)
{
	pg.ok = net_usable("pinger") && net_peer("pinger", &pg.peer) == 0;
	if (!pg.ok)
		return;
	pg.count = cmdline_num("count");
	pg.secs = cmdline_num("secs");
	pg.interval = cmdline_num("interval_ms") * 1000000;
	pg.size = (uint16_t)cmdline_num("ping_size");
	for (unsigned int i = 0; i < pg.size; i++)
		pg.data[i] = (uint8_t)i;
	pg.start = pg.next_send = clock_ns();
	pg.sending = true;
	icmp_set_echo_handler(pinger_reply);
	udp_bind(7, udp_echo_handler);
}

static bool pinger_more(uint64_t now)
{
	if (pg.count && pg.sent >= pg.count)
		return false;
	return !pg.secs || now - pg.start < pg.secs * NS_PER_SEC;
}

static void pinger_send(uint64_t now)
{
	uint16_t seq = (uint16_t)pg.sent;

	net_seq_payload(pg.data, seq, now);
	pg.sent_at[seq % PINGER_WINDOW] = now;
	pg.sent++;
	if (icmp_echo_send(pg.peer, PINGER_ID, seq, pg.data, pg.size) < 0)
		pg.sent_at[seq % PINGER_WINDOW] = 0;	/* counted as lost */
	net_flush();
}

static bool pinger_step(uint64_t now)
{
	if (!pg.ok)
		return false;
	net_poll(now, NET_POLL_BUDGET);
	if (pg.sending && now >= pg.next_send) {
		if (pinger_more(now)) {
			pinger_send(now);
			pg.next_send += pg.interval;
			if (pg.next_send < now)
				pg.next_send = now + pg.interval;	/* no bursts */
		} else {
			pg.sending = false;
			pg.end = now + MAX(NS_PER_SEC, pg.interval);
		}
	}
	if (pg.sending || now < pg.end)
		return true;
	if (pg.received < pg.sent)
		net_poll(clock_ns(), NET_POLL_BUDGET);
	kprintf("guest: pinger sent=%lu received=%lu lost=%lu\n", pg.sent,
		pg.received, pg.sent - pg.received);
	return false;
}

/* Poll without sleeping while a reply is due, so RTTs are not rounded up
 * to the idle tick. */
static bool pinger_busy(uint64_t now)
{
	uint16_t last = (uint16_t)(pg.sent - 1);

	if (net_busy(now))
		return true;
	return pg.ok && pg.sent && pg.sent_at[last % PINGER_WINDOW] &&
	       now - pg.sent_at[last % PINGER_WINDOW] < NS_PER_SEC;
}

const struct workload wl_pinger = {
	.name = "pinger", .start = pinger_start, .step = pinger_step,
	.is_busy = pinger_busy,
};
