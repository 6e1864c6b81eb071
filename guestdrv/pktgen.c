/*
 * pktgen.c: the `pktgen` workload: UDP frames of size= bytes (64-1518,
 * FCS included, so size-4 bytes go to the device) from our address to
 * peer=:port= at rate= frames/s (0: as fast as the ring takes them), for
 * count= frames or secs= seconds (neither: until power-off). The peer's
 * MAC comes from ARP or peer_mac=. Every frame carries NET_SEQ_LEN bytes
 * of magic, sequence number and send time, so a sink can count gaps.
 *
 * Frames are copies of one template; only the sequence/time and the UDP
 * checksum change (the checksum incrementally, RFC 1624). When the TX ring
 * is full the generator waits for the device (backpressure): it never
 * drops. Each step fills what is free and publishes it with one kick.
 * Prints "guest: pktgen t=S sent=N pps=X" every second and at the end
 * "guest: pktgen sent=N bytes=B secs=S.mmm pps=X errors=E kicks=K
 * bursts=U full_ms=F spin_ms=P"; errors are frames the device had not
 * taken 2 s after the end, or the stack refused; kicks are the NIC's
 * notifications (each one an exit); bursts the steps that queued frames;
 * full_ms how long the TX ring was found full (waiting for the device),
 * spin_ms the part of that this vCPU spent on its CPU looking (on a CPU
 * it shares with the switch, time the switch did not get).
 */
#include "cmdline.h"
#include "netwl.h"

#define PKTGEN_SPORT	9
#define PKTGEN_ARP_NS	(5 * NS_PER_SEC)
#define PKTGEN_DRAIN_NS	(2 * NS_PER_SEC)
#define PKTGEN_BATCH	256
#define PKTGEN_SPIN_GAP_NS	20000
#define PAYLOAD_OFF	(ETH_HLEN + IP_HLEN + UDP_HLEN)

enum pktgen_phase { PG_OFF, PG_RESOLVE, PG_RUN, PG_DRAIN };

static struct {
	enum pktgen_phase phase;
	struct net_route r;
	uint32_t peer;
	uint8_t mac[ETH_ALEN];
	uint8_t tmpl[ETH_MAX_FRAME];
	uint16_t len;			/* frame bytes without FCS */
	uint32_t sum;			/* template UDP sum, seq/time zero */
	uint64_t rate, count, secs, t0, end, deadline, next_report;
	uint64_t sent, errors, last_sent;
	uint64_t bursts;		/* steps that queued frames */
	uint64_t full_since, full_ns;	/* TX ring full: since, in all */
	uint64_t full_last, spin_ns;	/* ... last seen so, on CPU */
} pk;

/* Ethernet, IP, UDP headers and a zeroed payload; the UDP checksum's
 * constant part (pseudo header included) goes to pk.sum. */
static void pktgen_template(void)
{
	uint16_t ulen = (uint16_t)(pk.len - ETH_HLEN - IP_HLEN);
	uint8_t *u = pk.tmpl + ETH_HLEN + IP_HLEN, pseudo[12];

	memset(pk.tmpl, 0, sizeof(pk.tmpl));
	memcpy(pk.tmpl, pk.mac, ETH_ALEN);
	memcpy(pk.tmpl + 6, pk.r.nif->mac, ETH_ALEN);
	put_be16(pk.tmpl + 12, ETH_P_IP);
	ip_build_header(pk.tmpl + ETH_HLEN, pk.r.src, pk.peer, IP_PROTO_UDP, ulen, 0);
	put_be16(u, PKTGEN_SPORT);
	put_be16(u + 2, (uint16_t)cmdline_num("port"));
	put_be16(u + 4, ulen);
	put_be32(u + UDP_HLEN, NET_SEQ_MAGIC);
	put_be32(pseudo, pk.r.src);
	put_be32(pseudo + 4, pk.peer);
	put_be16(pseudo + 8, IP_PROTO_UDP);
	put_be16(pseudo + 10, ulen);
	pk.sum = inet_sum(u, ulen, inet_sum(pseudo, sizeof(pseudo), 0));
}

static void pktgen_start(void)
{
	pk.phase = PG_OFF;
	if (!net_usable("pktgen") || net_peer("pktgen", &pk.peer) < 0 ||
	    net_route(pk.peer, &pk.r) < 0)
		return;
	pk.len = (uint16_t)(cmdline_num("size") - ETH_FCS);
	pk.rate = cmdline_num("rate");
	pk.count = cmdline_num("count");
	pk.secs = cmdline_num("secs");
	pk.deadline = clock_ns() + PKTGEN_ARP_NS;
	pk.phase = PG_RESOLVE;
}

/* Frames due by now under rate= (all the ring takes at rate 0). */
static uint64_t pktgen_due(uint64_t now)
{
	uint64_t el = now - pk.t0, due;

	if (!pk.rate)
		return UINT64_MAX;
	due = el / NS_PER_SEC * pk.rate + el % NS_PER_SEC * pk.rate / NS_PER_SEC;
	return due > pk.sent ? due - pk.sent : 0;
}

static bool pktgen_finished(uint64_t now)
{
	if (pk.count && pk.sent >= pk.count)
		return true;
	return pk.secs && now - pk.t0 >= pk.secs * NS_PER_SEC;
}

static void pktgen_one(uint8_t *buf, uint64_t now)
{
	uint8_t *u = buf + ETH_HLEN + IP_HLEN, *seq = buf + PAYLOAD_OFF;
	uint16_t c;

	memcpy(buf, pk.tmpl, pk.len);
	net_seq_payload(seq, (uint32_t)pk.sent, now);
	c = (uint16_t)~inet_fold(inet_sum(seq + 4, NET_SEQ_LEN - 4, pk.sum));
	put_be16(u + 6, c ? c : 0xffff);
}

/* The ring was found full (at now) or not: the time it stays full, the
 * generator waiting for the device, adds up in full_ns; the part of it
 * this vCPU spent looking (looks less than PKTGEN_SPIN_GAP_NS apart: it
 * was on its CPU in between) in spin_ns. */
static void pktgen_full(bool full, uint64_t now)
{
	if (pk.full_since && now - pk.full_last < PKTGEN_SPIN_GAP_NS)
		pk.spin_ns += now - pk.full_last;
	pk.full_last = now;
	if (full && !pk.full_since)
		pk.full_since = now;
	else if (!full && pk.full_since) {
		pk.full_ns += now - pk.full_since;
		pk.full_since = 0;
	}
}

/* Fill what is free (within the rate and the count), one kick. */
static void pktgen_burst(uint64_t now)
{
	struct netif *nif = pk.r.nif;
	uint64_t n = MIN(pktgen_due(now), (uint64_t)PKTGEN_BATCH), want;
	uint8_t *buf;

	if (pk.count)
		n = MIN(n, pk.count - pk.sent);
	want = n;
	for (; n; n--) {
		buf = nif->ops->tx_buf(nif);
		if (!buf) {
			/* ring full: wait for the device */
			if (n == want)
				pktgen_full(true, now);
			break;
		}
		pktgen_one(buf, now);
		if (nif->ops->tx_queue(nif, buf, pk.len) < 0) {
			pk.errors++;
			continue;
		}
		nif->tx_frames++;
		nif->tx_bytes += pk.len;
		pk.sent++;
	}
	if (n < want) {
		pktgen_full(false, now);
		pk.bursts++;
	}
	nif->ops->tx_flush(nif);
}

static void pktgen_report(uint64_t now)
{
	if (now < pk.next_report)
		return;
	kprintf("guest: pktgen t=%lu sent=%lu pps=%lu\n", (now - pk.t0) / NS_PER_SEC,
		pk.sent, pk.sent - pk.last_sent);
	pk.last_sent = pk.sent;
	pk.next_report += NS_PER_SEC;
	if (pk.next_report <= now)
		pk.next_report = now + NS_PER_SEC;
}

static void pktgen_summary(uint64_t now)
{
	uint64_t ns = MAX(now - pk.t0, (uint64_t)1);
	uint64_t pps = pk.sent * 1000 / (ns / 1000000 ? ns / 1000000 : 1);

	pktgen_full(false, now);
	kprintf("guest: pktgen sent=%lu bytes=%lu secs=%lu.%03lu pps=%lu errors=%lu kicks=%lu "
		"bursts=%lu full_ms=%lu spin_ms=%lu\n",
		pk.sent, pk.sent * (pk.len + ETH_FCS), ns / NS_PER_SEC,
		ns % NS_PER_SEC / 1000000, pps, pk.errors, pk.r.nif->kicks,
		pk.bursts, pk.full_ns / 1000000, pk.spin_ns / 1000000);
}

static bool pktgen_resolve(uint64_t now)
{
	char ip[16];

	if (arp_resolve(pk.r.nif, pk.r.nexthop, pk.mac) == 0) {
		pktgen_template();
		pk.t0 = now;
		pk.next_report = now + NS_PER_SEC;
		pk.phase = PG_RUN;
		return true;
	}
	if (now < pk.deadline)
		return true;
	kprintf("guest: pktgen: no ARP reply from %s\n",
		net_fmt_ip(ip, sizeof(ip), pk.r.nexthop));
	pktgen_summary(now);
	return false;
}

static bool pktgen_step(uint64_t now)
{
	struct netif *nif = pk.r.nif;

	if (pk.phase == PG_OFF)
		return false;
	net_poll(now, NET_POLL_BUDGET);
	if (pk.phase == PG_RESOLVE)
		return pktgen_resolve(now);
	if (pk.phase == PG_RUN) {
		if (!pktgen_finished(now)) {
			pktgen_burst(now);
			pktgen_report(now);
			return true;
		}
		pk.phase = PG_DRAIN;
		pk.deadline = now + PKTGEN_DRAIN_NS;
		pk.end = now;
	}
	if (nif->ops->tx_space(nif) < nif->tx_total && now < pk.deadline)
		return true;
	pk.errors += nif->tx_total - nif->ops->tx_space(nif);
	pktgen_summary(pk.end);
	return false;
}

static bool pktgen_busy(uint64_t now)
{
	(void)now;
	return pk.phase != PG_OFF;
}

const struct workload wl_pktgen = {
	.name = "pktgen", .start = pktgen_start, .step = pktgen_step,
	.is_busy = pktgen_busy,
};
