/*
 * udpseq.c: the `udpseq` workload: one sequence-numbered UDP datagram
 * (NET_SEQ_LEN bytes of magic, number, send time, padded to size=) every
 * interval_ms (default 10 here) to peer=:port=, for count= datagrams or
 * secs= seconds (neither: until power-off), for loss and downtime
 * measurement; a sink (or a host tool) reports the gaps. Replies (port=7
 * to a `ping` guest echoes them) are tracked too: each gap in them prints
 * "guest: udpseq gap seq=A lost=N ms=X" (X = N * interval), and the end
 * "guest: udpseq sent=N received=N lost=N gaps=G max_gap_ms=X".
 */
#include "cmdline.h"
#include "netwl.h"

#define UDPSEQ_SPORT		7777
#define UDPSEQ_INTERVAL_MS	10
#define UDPSEQ_WAIT_NS		NS_PER_SEC

static struct {
	bool ok, sending;
	uint32_t peer;
	uint16_t port, len;
	uint64_t count, secs, interval_ms, start, next_send, end, sent;
	struct seq_track replies;
} us;

static void udpseq_reply(struct netif *nif, uint32_t src, uint16_t sport,
			 uint32_t dst, uint16_t dport, const uint8_t *data, uint16_t len)
{
	uint32_t seq, lost;

	(void)nif; (void)sport; (void)dst; (void)dport;
	if (src != us.peer || !net_seq_parse(data, len, &seq))
		return;
	lost = seq_track_add(&us.replies, seq);
	if (lost)
		kprintf("guest: udpseq gap seq=%u lost=%u ms=%lu\n", seq - lost, lost,
			lost * us.interval_ms);
}

static void udpseq_start(void)
{
	uint64_t size = cmdline_num("size");

	us.ok = net_usable("udpseq") && net_peer("udpseq", &us.peer) == 0;
	if (!us.ok)
		return;
	us.port = (uint16_t)cmdline_num("port");
	/* size= is the frame (FCS included); at least our 16 bytes. */
	us.len = (uint16_t)MAX(size - ETH_FCS - ETH_HLEN - IP_HLEN - UDP_HLEN,
			       (uint64_t)NET_SEQ_LEN);
	us.count = cmdline_num("count");
	us.secs = cmdline_num("secs");
	us.interval_ms = cmdline_isset("interval_ms") ? cmdline_num("interval_ms")
						      : UDPSEQ_INTERVAL_MS;
	us.start = us.next_send = clock_ns();
	us.sending = true;
	udp_bind(UDPSEQ_SPORT, udpseq_reply);
}

static bool udpseq_more(uint64_t now)
{
	if (us.count && us.sent >= us.count)
		return false;
	return !us.secs || now - us.start < us.secs * NS_PER_SEC;
}

static void udpseq_send(uint64_t now)
{
	static uint8_t data[UDP_MAX_DATA];	/* too big for the stack */

	memset(data, 0, us.len);
	net_seq_payload(data, (uint32_t)us.sent, now);
	udp_send(us.peer, UDPSEQ_SPORT, us.port, data, us.len);
	us.sent++;
	net_flush();
}

static bool udpseq_step(uint64_t now)
{
	struct seq_track *r = &us.replies;

	if (!us.ok)
		return false;
	net_poll(now, NET_POLL_BUDGET);
	if (us.sending && now >= us.next_send) {
		if (udpseq_more(now)) {
			udpseq_send(now);
			us.next_send += us.interval_ms * 1000000;
			if (us.next_send < now)
				us.next_send = now;
		} else {
			us.sending = false;
			us.end = now + UDPSEQ_WAIT_NS;
		}
	}
	if (us.sending || now < us.end)
		return true;
	/* Replies missing at the end count as lost too. */
	kprintf("guest: udpseq sent=%lu received=%lu lost=%lu gaps=%lu max_gap_ms=%lu\n",
		us.sent, r->got, us.sent > r->got ? us.sent - r->got : 0, r->gaps,
		r->max_gap * us.interval_ms);
	return false;
}

static bool udpseq_busy(uint64_t now)
{
	return net_busy(now) || (us.sending && us.interval_ms < 20);
}

const struct workload wl_udpseq = {
	.name = "udpseq", .start = udpseq_start, .step = udpseq_step,
	.is_busy = udpseq_busy,
};
