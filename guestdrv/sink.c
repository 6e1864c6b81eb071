/*
 * sink.c: the `sink` workload: counts every frame and byte the NICs
 * receive and, in our test datagrams (pktgen, udpseq: any UDP port not
 * otherwise bound), the gaps in their sequence numbers (one sender at a
 * time). Every second: "guest: sink t=S frames=N bytes=B" (N, B: during
 * that second); each gap: "guest: sink gap seq=A lost=N" (at most 10 a
 * second); with secs= it finishes after that long with "guest: sink
 * frames=N bytes=B secs=S seq=N gaps=G lost=L late=R kicks=K" (totals;
 * kicks: notifications to the devices). Polls without sleeping, with a
 * large budget.
 */
#include "cmdline.h"
#include "netwl.h"

#define SINK_BUDGET	256
#define SINK_GAP_LINES	10

static struct {
	bool ok;
	uint64_t t0, next_report, secs, frames, bytes;
	unsigned int gap_lines;
	struct seq_track seq;
} sk;

static void sink_totals(uint64_t *frames, uint64_t *bytes)
{
	*frames = *bytes = 0;
	for (unsigned int i = 0; i < netif_count(); i++) {
		*frames += netif_get(i)->rx_frames;
		*bytes += netif_get(i)->rx_bytes;
	}
}

static uint64_t sink_kicks(void)
{
	uint64_t k = 0;

	for (unsigned int i = 0; i < netif_count(); i++)
		k += netif_get(i)->kicks;
	return k;
}

static void sink_udp(struct netif *nif, uint32_t src, uint16_t sport, uint32_t dst,
		     uint16_t dport, const uint8_t *data, uint16_t len)
{
	uint32_t seq, lost;

	(void)nif; (void)src; (void)sport; (void)dst; (void)dport;
	if (!net_seq_parse(data, len, &seq))
		return;
	lost = seq_track_add(&sk.seq, seq);
	if (lost && sk.gap_lines < SINK_GAP_LINES) {
		sk.gap_lines++;
		kprintf("guest: sink gap seq=%u lost=%u\n", seq - lost, lost);
	}
}

static void sink_start(void)
{
	sk.ok = netif_count() > 0;
	if (!sk.ok) {
		kprintf("guest: sink: no network interface\n");
		return;
	}
	udp_bind(0, sink_udp);
	sk.secs = cmdline_num("secs");
	sk.t0 = clock_ns();
	sk.next_report = sk.t0 + NS_PER_SEC;
	sink_totals(&sk.frames, &sk.bytes);
}

static void sink_report(uint64_t now)
{
	uint64_t f, b;

	sink_totals(&f, &b);
	kprintf("guest: sink t=%lu frames=%lu bytes=%lu\n", (now - sk.t0) / NS_PER_SEC,
		f - sk.frames, b - sk.bytes);
	sk.frames = f;
	sk.bytes = b;
	sk.gap_lines = 0;
	sk.next_report += NS_PER_SEC;
	if (sk.next_report <= now)
		sk.next_report = now + NS_PER_SEC;
}

static bool sink_step(uint64_t now)
{
	uint64_t f, b;

	if (!sk.ok)
		return false;
	net_poll(now, SINK_BUDGET);
	if (now >= sk.next_report)
		sink_report(now);
	if (!sk.secs || now - sk.t0 < sk.secs * NS_PER_SEC)
		return true;
	sink_totals(&f, &b);
	kprintf("guest: sink frames=%lu bytes=%lu secs=%lu seq=%lu gaps=%lu lost=%lu late=%lu kicks=%lu\n",
		f, b, sk.secs, sk.seq.got, sk.seq.gaps, sk.seq.lost, sk.seq.late,
		sink_kicks());
	return false;
}

const struct workload wl_sink = {
	.name = "sink", .start = sink_start, .step = sink_step, .busy = true,
};
