/*
 * xvm-vuser: a DPDK virtio-user traffic endpoint. It connects, as the
 * vhost-user front end (what hv's virtio-net would be), to a vhost-user
 * server socket such as a vswitchd guest VNIC's or bench/vhost-fwd's, and
 * sends or counts Ethernet frames. The benchmark and the guest-VNIC
 * integration scenario use it in place of a guest.
 *
 *   xvm-vuser -s SOCK [options] send -d DSTMAC [-S SRCMAC] [-l SIZE]
 *             [-n COUNT] [-t SECS] [-r PPS] [-w SECS] [-u PORT]
 *   xvm-vuser -s SOCK [options] recv [-f FROMMAC] -t SECS [-n COUNT] [-w SECS]
 *   xvm-vuser -s SOCK [-s SOCK]... [options] hold -t SECS
 *
 * -q RING sets each port's ring size (a power of 2, 64..32768; default
 * 1024, hold's 256): a receiver with a larger ring rides out longer spans
 * without a CPU on a busy machine before the switch must drop for it.
 *
 * send's -d may list up to 64 destinations, DST1,DST2,...: frames go to
 * each in turn. hold connects to every SOCK (up to 64) as a guest that
 * has put HOLD_RING receive buffers in its ring and then stops reading:
 * it takes nothing, sends nothing, and sleeps for SECS (the switch's
 * per-VNIC bound, tests/integration/37-stuck-guests.sh); it prints
 *   vuser: held=N secs=S
 *
 * With -R RXSOCK, send also receives on a second virtio-user port
 * connected to RXSOCK, in the same polling loop, and prints a received=
 * line for it too: on a 2-CPU machine the benchmark then has one core for
 * both endpoints and one for the switch under test, instead of three
 * pollers sharing two cores.
 *
 * SIZE is the frame size on the wire including the 4-byte FCS (64..9022),
 * as benchmarks count it (above 1522, jumbo frames: mbufs of 9 KiB, one
 * per frame, and the peer must take that MTU); the frames handed to the port are SIZE - 4
 * bytes long, and bytes= counts those (what switch counters count).
 * Frames carry ethertype 0x88b5 and a sequence number; with -u PORT they
 * are IPv4/UDP instead, 10.0.0.1:1024 to 10.0.0.2:PORT, so a switch's
 * flow classifier has headers to read (bench/vswitch's flow runs).
 * With -V (send and recv; not with -u), every byte after the sequence
 * number is a function of it and of its offset: the receiver checks each
 * frame it counts (of -l SIZE: give it the sender's) byte for byte and
 * its sequence number against the
 * previous one, and adds bad=K (frames with a wrong byte or length)
 * reordered=R (a number not above the last one) gaps=G (numbers skipped:
 * frames lost on the way) to its line.
 * Results are one line on stdout:
 *   vuser: sent=N bytes=B secs=S mpps=X gbps=Y tx_stalls=K tx_stall_max=T
 *   vuser: received=N bytes=B secs=S mpps=X gbps=Y other=K
 * (send: tx_stalls counts the spans of STALL_MS or more in which the TX
 * ring took nothing although we kept offering, tx_stall_max is the
 * longest in seconds: the switch did not drain the ring then;
 * recv: secs is the span from the first to the last frame counted; other
 * counts frames not from FROMMAC; with -w W, frames in the first W seconds
 * after the first one arrived are not counted but shown as warmup=, so a
 * rate is measured in the steady state, after queues and token buckets
 * have filled or drained). No hugepages (--no-huge: EAL memory is
 * then a memfd, which vhost-user shares with the server), its own
 * --file-prefix, no PCI scan.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* xvm headers first: DPDK defines container_of only if not yet defined. */
#include "xvm/mac.h"
#include "bench.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>


#define BURST		32
#define NB_MBUF		8191
#define RING_SIZE	1024
#define HOLD_RING	256	/* hold: each port's ring */
#define MAX_PORTS	64	/* hold's -s, send's -d */
#define STALL_MS	100	/* a full TX ring this long is a stall */
#define FCS_LEN		4
#define LINK_WAIT_S	10
#define MAX_SECS	3600	/* nothing runs longer than this */
#define MAX_SIZE	9022	/* an MTU of 9000, a tag and the FCS */
#define JUMBO_ROOM	9216	/* data room of a jumbo frame's mbuf */

enum vuser_mode { MODE_SEND, MODE_RECV, MODE_HOLD };

struct vuser_opts {
	const char *sock;
	const char *socks[MAX_PORTS];	/* every -s; sock is the first */
	unsigned nsocks;
	const char *rxsock;	/* -R: second port, receive side of send */
	char prefix[64];
	int core;
	enum vuser_mode mode;
	struct mac_addr dst[MAX_PORTS], src, from;
	unsigned ndst;
	bool have_dst, have_from;
	unsigned size;		/* on the wire, with FCS */
	uint64_t count;		/* 0: no limit */
	double secs;		/* 0: no limit (send with -n) */
	uint64_t pps;		/* 0: flat out */
	double warm;		/* -w: receive side ignores the first W s */
	uint16_t udp_port;	/* -u: IPv4/UDP frames to this port; 0: no */
	bool verify;		/* -V: a checkable payload */
	unsigned ring;		/* -q: each port's ring size; 0: default */
};

struct vuser_result {
	uint64_t pkts, bytes, other;
	uint64_t warm;			/* received during the warm-up */
	uint64_t t_first, t_last;	/* TSC */
	uint64_t t_seen;		/* TSC of the first frame received */
	/* send: spans the TX ring stayed full (nothing accepted) while we
	 * kept offering frames, i.e. the switch took nothing */
	uint64_t stall_t0;		/* TSC the current one began, 0 none */
	uint64_t stall_max;		/* the longest, TSC ticks */
	uint64_t stalls;		/* those of STALL_MS or more */
	uint64_t bad, reordered, gaps;	/* -V */
	uint64_t next_seq;		/* -V: the one expected next */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xvm-vuser -s SOCK [-P PREFIX] [-c CORE] [-q RING] send -d DSTMAC "
		"[-S SRCMAC] [-l SIZE] [-n COUNT] [-t SECS] [-r PPS] [-w SECS] "
		"[-u PORT] [-V]\n"
		"       xvm-vuser -s SOCK [-P PREFIX] [-c CORE] [-q RING] recv -t SECS "
		"[-f FROMMAC] [-n COUNT] [-w SECS] [-V]\n"
		"       xvm-vuser -s SOCK [-s SOCK]... [-P PREFIX] [-c CORE] hold "
		"-t SECS\n"
		"  (-d DST1,DST2,...: up to %d destinations in turn)\n",
		MAX_PORTS);
	exit(2);
}

static uint64_t parse_u64(const char *s, uint64_t min, uint64_t max,
			  const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		bench_die("invalid %s '%s' (%" PRIu64 "-%" PRIu64 ")", what, s, min,
		    max);
	return v;
}

static double parse_secs(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0) || v > MAX_SECS)
		bench_die("invalid seconds '%s' (0-%d)", s, MAX_SECS);
	return v;
}

static void parse_mac(const char *s, struct mac_addr *m, const char *what)
{
	if (mac_parse(s, m) < 0)
		bench_die("invalid %s MAC address '%s'", what, s);
}

/* -d DST[,DST...] */
static void parse_dsts(struct vuser_opts *o, const char *arg)
{
	char buf[MAX_PORTS * 18 + 1], *save = NULL, *t;

	if (strlen(arg) >= sizeof(buf))
		bench_die("too many destinations (at most %d)", MAX_PORTS);
	snprintf(buf, sizeof(buf), "%s", arg);
	o->ndst = 0;
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (o->ndst == MAX_PORTS)
			bench_die("too many destinations (at most %d)",
				  MAX_PORTS);
		parse_mac(t, &o->dst[o->ndst++], "destination");
	}
	if (!o->ndst)
		bench_die("invalid destination MAC address '%s'", arg);
	o->have_dst = true;
}

static void parse_mode_opts(struct vuser_opts *o, int argc, char **argv)
{
	int c;

	optind = 1;
	while ((c = getopt(argc, argv, "d:S:l:n:t:r:f:w:u:V")) != -1) {
		switch (c) {
		case 'd': parse_dsts(o, optarg); break;
		case 'S': parse_mac(optarg, &o->src, "source"); break;
		case 'f': parse_mac(optarg, &o->from, "filter");
			  o->have_from = true; break;
		case 'l': o->size = parse_u64(optarg, 64, MAX_SIZE, "size"); break;
		case 'n': o->count = parse_u64(optarg, 1, UINT64_MAX / 2,
					       "count"); break;
		case 't': o->secs = parse_secs(optarg); break;
		case 'r': o->pps = parse_u64(optarg, 1, 1000000000, "rate");
			  break;
		case 'w': o->warm = parse_secs(optarg); break;
		case 'V': o->verify = true; break;
		case 'u': o->udp_port = (uint16_t)parse_u64(optarg, 1, 65535,
							    "UDP port"); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (o->verify && o->udp_port)
		bench_die("-V cannot be used with -u");
	if (o->mode == MODE_SEND && !o->have_dst)
		bench_die("send needs -d DSTMAC");
	if (o->mode == MODE_SEND && !o->count && !o->secs)
		bench_die("send needs -n COUNT or -t SECS");
	if ((o->mode == MODE_RECV || o->mode == MODE_HOLD) && !o->secs)
		bench_die("%s needs -t SECS", o->mode == MODE_RECV ? "recv" :
			  "hold");
	if (!o->secs)
		o->secs = MAX_SECS;
}

static void parse_opts(struct vuser_opts *o, int argc, char **argv)
{
	int c;

	snprintf(o->prefix, sizeof(o->prefix), "xvm-vuser-%d", (int)getpid());
	o->size = 64;
	parse_mac("2:0:0:0:0:1", &o->src, "source");
	while ((c = getopt(argc, argv, "+s:R:P:c:q:h")) != -1) {
		switch (c) {
		case 's':
			if (o->nsocks == MAX_PORTS)
				bench_die("too many -s (at most %d)", MAX_PORTS);
			if (strlen(optarg) > 100 || strchr(optarg, ','))
				bench_die("socket path '%s' too long or "
					  "contains ','", optarg);
			o->socks[o->nsocks++] = optarg;
			o->sock = o->socks[0];
			break;
		case 'R': o->rxsock = optarg; break;
		case 'P': snprintf(o->prefix, sizeof(o->prefix), "%s", optarg);
			  break;
		case 'c': o->core = parse_u64(optarg, 0, 1023, "core"); break;
		case 'q': o->ring = parse_u64(optarg, 64, 32768, "ring size");
			  if (o->ring & (o->ring - 1))
				  bench_die("ring size %u is not a power of 2",
					    o->ring);
			  break;
		default: usage();
		}
	}
	if (!o->sock || optind >= argc)
		usage();
	if (o->rxsock && (strlen(o->rxsock) > 100 || strchr(o->rxsock, ',')))
		bench_die("socket path '%s' too long or contains ','", o->rxsock);
	if (strcmp(argv[optind], "send") == 0)
		o->mode = MODE_SEND;
	else if (strcmp(argv[optind], "recv") == 0)
		o->mode = MODE_RECV;
	else if (strcmp(argv[optind], "hold") == 0)
		o->mode = MODE_HOLD;
	else
		usage();
	parse_mode_opts(o, argc - optind, argv + optind);
	if (o->rxsock && o->mode != MODE_SEND)
		bench_die("-R goes with send");
	if (o->nsocks > 1 && o->mode != MODE_HOLD)
		bench_die("several -s go with hold");
}

/* The ring size of each port. */
static int ring_size(const struct vuser_opts *o)
{
	if (o->ring)
		return (int)o->ring;
	return o->mode == MODE_HOLD ? HOLD_RING : RING_SIZE;
}

static void eal_start(const struct vuser_opts *o)
{
	static char core[16], prefix[96], vdev[MAX_PORTS][192];
	char *eal[16 + 2 * MAX_PORTS] = { "xvm-vuser", "--no-huge", "-m",
		"256", "--no-pci", "--iova-mode=va", "--log-level=*:warning",
		"-l", core, "--file-prefix", prefix };
	const char *paths[MAX_PORTS];
	int n = 11;
	unsigned np = 0;

	for (unsigned i = 0; i < o->nsocks; i++)
		paths[np++] = o->socks[i];
	if (o->rxsock)
		paths[np++] = o->rxsock;
	snprintf(core, sizeof(core), "%d", o->core);
	snprintf(prefix, sizeof(prefix), "%s", o->prefix);
	for (unsigned i = 0; i < np; i++) {
		snprintf(vdev[i], sizeof(vdev[i]), "net_virtio_user%u,path=%s,"
			 "queues=1,queue_size=%d", i, paths[i], ring_size(o));
		eal[n++] = "--vdev";
		eal[n++] = vdev[i];
	}
	eal[n] = NULL;
	if (rte_eal_init(n, eal) < 0)
		bench_die("EAL init failed: %s", rte_strerror(rte_errno));
	bench_eal_started();
}

static void port_start(const struct vuser_opts *o, uint16_t port,
		       struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	int i, rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, ring_size(o), 0, NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, ring_size(o), 0, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc < 0)
		bench_die("port %u setup failed: %s", port, rte_strerror(-rc));
	for (i = 0; i < LINK_WAIT_S * 10 && !stop; i++) {
		if (rte_eth_link_get_nowait(port, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return;
		rte_delay_ms(100);
	}
	bench_die("port %u: link not up after %d s", port, LINK_WAIT_S);
}

/* The IPv4 and UDP headers of -u after the Ethernet header at p (len
 * bytes in all, >= 60); checksums left 0 (nobody on the path checks). */
static void fill_udp(const struct vuser_opts *o, uint8_t *p, unsigned len)
{
	static const uint8_t src[4] = { 10, 0, 0, 1 }, dst[4] = { 10, 0, 0, 2 };
	uint8_t *ip = p + 14, *udp = ip + 20;
	unsigned iplen = len - 14;

	p[12] = 0x08;
	p[13] = 0x00;
	memset(ip, 0, 28);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	udp[0] = 1024 >> 8;
	udp[1] = 1024 & 0xff;
	udp[2] = (uint8_t)(o->udp_port >> 8);
	udp[3] = (uint8_t)o->udp_port;
	udp[4] = (uint8_t)((iplen - 20) >> 8);
	udp[5] = (uint8_t)(iplen - 20);
}

/* -V: byte k (22 and on) of the frame numbered seq. */
static uint8_t verify_byte(uint64_t seq, unsigned k)
{
	return (uint8_t)(seq * 131 + k * 7 + (seq >> 8));
}

/* BURST frames: dst, src, ethertype 0x88b5 ("local experimental"), a
 * sequence number; the rest is left as the buffer holds it (zeros, or an
 * earlier frame of ours): writing 1500 bytes per frame would cost the
 * sender more than the switch under test. With -V the rest is written
 * (verify_byte()). */
static unsigned fill_burst(const struct vuser_opts *o, struct rte_mempool *mp,
			   struct rte_mbuf **m, unsigned n, uint64_t seq)
{
	unsigned i, len = o->size - FCS_LEN;
	uint8_t *p;

	if (rte_pktmbuf_alloc_bulk(mp, m, n) != 0)
		return 0;
	for (i = 0; i < n; i++) {
		p = (uint8_t *)rte_pktmbuf_append(m[i], len);
		memcpy(p, o->dst[seq % o->ndst].b, MAC_LEN);
		memcpy(p + 6, o->src.b, MAC_LEN);
		if (o->udp_port) {
			fill_udp(o, p, len);
		} else {
			p[12] = 0x88;
			p[13] = 0xb5;
			memcpy(p + 14, &seq, sizeof(seq));
			for (unsigned k = 22; o->verify && k < len; k++)
				p[k] = verify_byte(seq, k);
		}
		seq++;
	}
	return n;
}

/* How many frames the rate allows by now (all, when flat out). */
static uint64_t send_budget(const struct vuser_opts *o, uint64_t t0,
			    uint64_t sent)
{
	uint64_t due;

	if (!o->pps)
		return BURST;
	due = (double)(rte_rdtsc() - t0) / rte_get_tsc_hz() * o->pps;
	return due > sent ? MIN(due - sent, (uint64_t)BURST) : 0;
}

/* -V: frame m as sent (its length, every byte) and in order. */
static void verify_frame(const struct vuser_opts *o, struct rte_mbuf *m,
			 struct vuser_result *r)
{
	unsigned len = rte_pktmbuf_pkt_len(m);
	const uint8_t *p;
	uint64_t seq;

	if (len != o->size - FCS_LEN || m->nb_segs != 1) {
		r->bad++;
		return;
	}
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	memcpy(&seq, p + 14, sizeof(seq));
	for (unsigned k = 22; k < len; k++) {
		if (p[k] != verify_byte(seq, k)) {
			r->bad++;
			return;
		}
	}
	if (seq < r->next_seq)
		r->reordered++;
	else
		r->gaps += seq - r->next_seq;
	r->next_seq = MAX(r->next_seq, seq + 1);
}

static void count_burst(const struct vuser_opts *o, struct rte_mbuf **m,
			unsigned n, struct vuser_result *r)
{
	const uint8_t *src;
	uint64_t now;
	unsigned i;

	for (i = 0; i < n; i++) {
		src = rte_pktmbuf_mtod_offset(m[i], const uint8_t *, 6);
		if (o->have_from && (rte_pktmbuf_data_len(m[i]) < 12 ||
				     memcmp(src, o->from.b, MAC_LEN) != 0)) {
			r->other++;
			continue;
		}
		now = rte_rdtsc();
		if (!r->t_seen)
			r->t_seen = now;
		if (now - r->t_seen < o->warm * rte_get_tsc_hz()) {
			r->warm++;
			continue;
		}
		if (o->verify)
			verify_frame(o, m[i], r);
		if (!r->pkts)
			r->t_first = now;
		r->t_last = now;
		r->pkts++;
		r->bytes += rte_pktmbuf_pkt_len(m[i]);
	}
	rte_pktmbuf_free_bulk(m, n);
}

/* One receive burst on PORT into r. */
static void recv_burst(const struct vuser_opts *o, uint16_t port,
		       struct vuser_result *r)
{
	struct rte_mbuf *m[BURST];
	unsigned n = rte_eth_rx_burst(port, 0, m, BURST);

	if (n)
		count_burst(o, m, n, r);
}

/* A TX stall begins when the ring takes nothing, ends when it takes. */
static void track_stall(struct vuser_result *r, bool full)
{
	uint64_t now = rte_rdtsc(), d;

	if (full) {
		if (!r->stall_t0)
			r->stall_t0 = now;
		return;
	}
	if (!r->stall_t0)
		return;
	d = now - r->stall_t0;
	r->stall_max = MAX(r->stall_max, d);
	if (d >= rte_get_tsc_hz() / 1000 * STALL_MS)
		r->stalls++;
	r->stall_t0 = 0;
}

/* One send burst on port 0 (as many frames as the rate allows). */
static void send_burst(const struct vuser_opts *o, struct rte_mempool *mp,
		       struct vuser_result *r)
{
	struct rte_mbuf *m[BURST];
	uint64_t want, n, k;

	want = send_budget(o, r->t_first, r->pkts);
	if (o->count)
		want = MIN(want, o->count - r->pkts);
	n = want ? fill_burst(o, mp, m, want, r->pkts) : 0;
	k = n ? rte_eth_tx_burst(0, 0, m, n) : 0;
	if (n)
		track_stall(r, k == 0);
	if (k < n)	/* ring full: those were not sent */
		rte_pktmbuf_free_bulk(m + k, n - k);
	r->pkts += k;
	r->bytes += k * (o->size - FCS_LEN);
}

/* Send on port 0 until the count or the time is reached; with -R also
 * receive on port 1 (rx), then drain it for DRAIN_MS. */
#define DRAIN_MS	300
static void run_send(const struct vuser_opts *o, struct rte_mempool *mp,
		     struct vuser_result *tx, struct vuser_result *rx)
{
	uint64_t hz = rte_get_tsc_hz(), end;

	tx->t_first = rte_rdtsc();
	end = tx->t_first + o->secs * hz;
	while (!stop && (!o->count || tx->pkts < o->count)) {
		tx->t_last = rte_rdtsc();
		if (tx->t_last >= end)
			break;
		send_burst(o, mp, tx);
		if (o->rxsock)
			recv_burst(o, 1, rx);
	}
	tx->t_last = rte_rdtsc();
	track_stall(tx, false);		/* one still open ends here */
	end = tx->t_last + hz * DRAIN_MS / 1000;
	while (o->rxsock && !stop && rte_rdtsc() < end)
		recv_burst(o, 1, rx);
}

static void run_recv(const struct vuser_opts *o, struct vuser_result *r)
{
	uint64_t end = rte_rdtsc() + o->secs * rte_get_tsc_hz();

	while (!stop && rte_rdtsc() < end &&
	       (!o->count || r->pkts < o->count))
		recv_burst(o, 0, r);
}

/* A guest that stopped reading: its ports up with full receive rings,
 * never polled, until the time or a signal. */
static void run_hold(const struct vuser_opts *o, unsigned nports)
{
	uint64_t t0 = rte_rdtsc(), hz = rte_get_tsc_hz();

	while (!stop && rte_rdtsc() - t0 < o->secs * hz)
		usleep(10000);
	printf("vuser: held=%u secs=%.3f\n", nports,
	       (double)(rte_rdtsc() - t0) / hz);
	fflush(stdout);
}

static void report(const char *what, const struct vuser_result *r,
		   bool other, bool verify)
{
	double secs = (double)(r->t_last - r->t_first) / rte_get_tsc_hz();
	double mpps = secs > 0 ? r->pkts / secs / 1e6 : 0;
	double gbps = secs > 0 ? r->bytes * 8 / secs / 1e9 : 0;

	printf("vuser: %s=%" PRIu64 " bytes=%" PRIu64 " secs=%.3f mpps=%.3f "
	       "gbps=%.3f", what, r->pkts, r->bytes, secs, mpps, gbps);
	if (other)
		printf(" other=%" PRIu64 " warmup=%" PRIu64, r->other, r->warm);
	if (other && verify)
		printf(" bad=%" PRIu64 " reordered=%" PRIu64 " gaps=%" PRIu64,
		       r->bad, r->reordered, r->gaps);
	if (!other)
		printf(" tx_stalls=%" PRIu64 " tx_stall_max=%.3f", r->stalls,
		       (double)r->stall_max / rte_get_tsc_hz());
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct vuser_opts o = { 0 };
	struct vuser_result r = { 0 }, rx = { 0 };
	struct rte_mempool *mp;
	uint16_t p, nports;

	parse_opts(&o, argc, argv);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	eal_start(&o);
	nports = (uint16_t)(o.nsocks + (o.rxsock != NULL));
	if (rte_eth_dev_count_avail() != nports)
		bench_die("no virtio-user port (is %s a vhost-user server socket?)",
		    rte_eth_dev_count_avail() ? o.rxsock : o.sock);
	/* jumbo frames: one mbuf each, so received ones are one segment
	 * too (the virtio PMD merges the device's buffers into it); hold:
	 * every ring full of buffers, and the caches */
	mp = rte_pktmbuf_pool_create("vuser",
				     MAX(MAX(NB_MBUF, nports * (HOLD_RING + 512u)),
					 nports * (2u * (unsigned)ring_size(&o) + 512u)),
				     256, 0,
				     o.size > 1522 ?
				     RTE_PKTMBUF_HEADROOM + JUMBO_ROOM :
				     RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!mp)
		bench_die("mbuf pool: %s", rte_strerror(rte_errno));
	for (p = 0; p < nports; p++)
		port_start(&o, p, mp);
	if (o.mode == MODE_SEND) {
		run_send(&o, mp, &r, &rx);
		report("sent", &r, false, false);
		if (o.rxsock)
			report("received", &rx, true, o.verify);
	} else if (o.mode == MODE_RECV) {
		run_recv(&o, &r);
		report("received", &r, true, o.verify);
	} else {
		run_hold(&o, nports);
	}
	/* Give the peer a moment to take what is still in the TX ring. */
	rte_delay_ms(o.mode == MODE_SEND ? 200 : 0);
	for (p = 0; p < nports; p++) {
		rte_eth_dev_stop(p);
		rte_eth_dev_close(p);
	}
	bench_eal_cleanup();
	return 0;
}
