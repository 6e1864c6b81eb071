/*
 * udpprobe: a LAN host's view of a guest's downtime (bench/migrate). Sends
 * one sequence-numbered UDP datagram every INTERVAL microseconds to
 * ADDR:PORT (default port 7, which the PV guest's `ping` workload echoes)
 * and receives the echoes, until SIGINT/SIGTERM or -t SECS; then waits
 * 500 ms for late echoes and prints one line:
 *
 *   udpprobe: sent=N received=N lost=N late=N interval_us=I
 *     max_gap_ms=G gap_start=T0 gap_end=T1 max_lost_run=R max_gap_all_ms=A
 *     max_send_gap_ms=S mark_ms=M start_mono=T
 *
 * max_gap_ms is the largest time between two echoes arriving one after
 * the other (the guest unreachable for that long, give or take one
 * interval); gap_start/gap_end are their arrival times (CLOCK_REALTIME,
 * seconds, so a caller can place the gap against its own clock). lost
 * counts numbers never echoed, late echoes that came after a higher
 * number, max_lost_run the longest run of consecutive numbers never
 * echoed. SIGUSR1 marks the start of the window that matters (a
 * migration starts): max_gap_ms and its times then cover only the gaps
 * that end after the mark (one in progress at the mark counts whole),
 * and max_gap_all_ms is the largest of the whole run. max_send_gap_ms is
 * the longest this program went without sending (it was not scheduled:
 * on a loaded machine a gap that large says nothing about the guest);
 * mark_ms when the mark was taken (ms after the first send, as in -o's
 * file; -1 without one); start_mono the first send's CLOCK_MONOTONIC time
 * in seconds (the -o file's zero, to place its lines against another
 * process's monotonic marks on this host).
 * Exit 0, or 1 with
 * a message (bad arguments, socket errors, no echo at all).
 *
 * It says "udpprobe: probing ADDR:PORT every I us" on stderr once its
 * signal handlers are in place (a SIGUSR1 before that would end it).
 * With -o FILE it also writes every number's fate there, one line each:
 * "SEQ SENT_MS ECHO_MS" (milliseconds since the first send, CLOCK_MONOTONIC;
 * ECHO_MS "-" if never echoed), for a closer look at a gap.
 *
 * With -R it runs SCHED_FIFO (priority 1): the LAN host is then not one
 * more process waiting for this machine's CPUs while a migration keeps
 * them busy (its sends stalled 3-6 ms without it), so a gap is the
 * guest's; it takes a few microseconds a millisecond. If the scheduler
 * refuses, it says so and runs as it is.
 *
 *   udpprobe [-R] [-i INTERVAL_US] [-t SECS] [-p PORT] [-o FILE] ADDR
 */
#include <sched.h>
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#define PROBE_MAGIC	0x78766d70u	/* "xvmp" */
#define PROBE_LEN	24		/* magic, seq, send time, pad */
#define LATE_WAIT_NS	500000000LL

static volatile sig_atomic_t stop, mark;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		mark = 1;
	else
		stop = 1;
}

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "udpprobe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static int usage(void)
{
	fprintf(stderr, "usage: udpprobe [-R] [-i INTERVAL_US] [-t SECS] [-p PORT] [-o FILE] ADDR\n");
	return 1;
}

static unsigned long num(const char *s, unsigned long lo, unsigned long hi,
			 const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < lo || v > hi) {
		fprintf(stderr, "udpprobe: %s must be a number from %lu to %lu, not '%s'\n",
			what, lo, hi, s);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long interval_us = 1000, secs = 600, port = 7;
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint64_t sent = 0, received = 0, late = 0, next_seq = 0, max_run = 0, high = 0;
	int64_t start, next_send, end_at = 0, last_rx = 0, gap = 0;
	int64_t gap_t0 = 0, gap_t1 = 0, last_rx_real = 0, gap_all = 0;
	int64_t last_tx = 0, tx_stall = 0, mark_at = 0;
	uint8_t *seen;
	size_t nbits;
	struct sigaction sa = { .sa_handler = on_signal };
	const char *trace = NULL;
	int64_t *tx_at = NULL, *rx_at = NULL;
	bool realtime = false;
	int fd, o;

	while ((o = getopt(argc, argv, "Ri:t:p:o:")) != -1) {
		switch (o) {
		case 'R': realtime = true; break;
		case 'i': interval_us = num(optarg, 100, 1000000, "-i INTERVAL_US"); break;
		case 't': secs = num(optarg, 1, 86400, "-t SECS"); break;
		case 'p': port = num(optarg, 1, 65535, "-p PORT"); break;
		case 'o': trace = optarg; break;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc)
		return usage();
	if (realtime) {
		struct sched_param sp = { .sched_priority = 1 };

		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
			fprintf(stderr, "udpprobe: -R: SCHED_FIFO refused (%s): "
				"running as a normal process\n", strerror(errno));
	}
	if (inet_pton(AF_INET, argv[optind], &to.sin_addr) != 1)
		die("'%s' is not an IPv4 address", argv[optind]);
	to.sin_port = htons((uint16_t)port);
	nbits = (size_t)(secs * 1000000 / interval_us) + 2;
	seen = calloc(nbits / 8 + 1, 1);
	if (trace) {
		tx_at = calloc(nbits, sizeof(*tx_at));
		rx_at = calloc(nbits, sizeof(*rx_at));
	}
	if (!seen || (trace && (!tx_at || !rx_at)))
		die("%s", "out of memory");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0)
		die("socket: %s", strerror(errno));
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	/* the signals are ours from here: a caller may wait for this line */
	fprintf(stderr, "udpprobe: probing %s:%lu every %lu us\n", argv[optind],
		port, interval_us);

	start = next_send = now_ns(CLOCK_MONOTONIC);
	for (;;) {
		int64_t now = now_ns(CLOCK_MONOTONIC);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int64_t wait;
		struct timespec ts;

		if (mark) {	/* gaps ended before now no longer count */
			mark = 0;
			gap = 0;
			mark_at = now;
		}
		if (!end_at && (stop || now - start >= (int64_t)secs * 1000000000LL ||
				next_seq >= nbits - 1))
			end_at = now + LATE_WAIT_NS;
		if (end_at && now >= end_at)
			break;
		if (!end_at && now >= next_send) {
			uint8_t b[PROBE_LEN] = { 0 };
			uint32_t m = htonl(PROBE_MAGIC);
			uint64_t s = next_seq, t = (uint64_t)now;

			memcpy(b, &m, 4);
			memcpy(b + 4, &s, 8);
			memcpy(b + 12, &t, 8);
			/* a full socket buffer or an unreachable guest
			 * (ICMP errors come back as ECONNREFUSED) loses
			 * this one: it counts as lost */
			if (send(fd, b, sizeof(b), 0) < 0 && errno != EAGAIN &&
			    errno != ECONNREFUSED && errno != ENOBUFS &&
			    errno != EHOSTUNREACH && errno != ENETUNREACH)
				die("send: %s", strerror(errno));
			if (tx_at)
				tx_at[next_seq] = now;
			next_seq++;
			sent++;
			if (last_tx && now - last_tx > tx_stall)
				tx_stall = now - last_tx;
			last_tx = now;
			next_send += (int64_t)interval_us * 1000;
			/* behind by more than 100 intervals (we were not
			 * scheduled): skip ahead, do not burst */
			if (now - next_send > (int64_t)interval_us * 100000)
				next_send = now;
		}
		wait = (end_at ? end_at : next_send) - now_ns(CLOCK_MONOTONIC);
		if (wait < 0)
			wait = 0;
		/* to the ns: poll()'s whole milliseconds would send every
		 * 1-2 ms instead of every interval */
		ts.tv_sec = wait / 1000000000;
		ts.tv_nsec = wait % 1000000000;
		if (ppoll(&p, 1, &ts, NULL) < 0 && errno != EINTR)
			die("ppoll: %s", strerror(errno));
		for (;;) {
			uint8_t b[64];
			uint32_t m;
			uint64_t s;
			ssize_t k = recv(fd, b, sizeof(b), 0);
			int64_t rx, rx_real;

			if (k < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (k < 0 && errno == ECONNREFUSED)
				continue;	/* an ICMP error for an earlier probe */
			if (k < 0)
				die("recv: %s", strerror(errno));
			memcpy(&m, b, 4);
			if (k != PROBE_LEN || ntohl(m) != PROBE_MAGIC)
				continue;
			memcpy(&s, b + 4, 8);
			if (s >= next_seq || (seen[s / 8] & (1u << (s % 8))))
				continue;	/* not ours, or a duplicate */
			seen[s / 8] |= (uint8_t)(1u << (s % 8));
			received++;
			if (received > 1 && s < high)
				late++;
			else
				high = s;
			rx = now_ns(CLOCK_MONOTONIC);
			rx_real = now_ns(CLOCK_REALTIME);
			if (rx_at)
				rx_at[s] = rx;
			if (last_rx && rx - last_rx > gap_all)
				gap_all = rx - last_rx;
			if (last_rx && rx - last_rx > gap) {
				gap = rx - last_rx;
				gap_t0 = last_rx_real;
				gap_t1 = rx_real;
			}
			last_rx = rx;
			last_rx_real = rx_real;
		}
	}
	close(fd);
	for (uint64_t s = 0, run = 0; s < next_seq; s++) {
		if (seen[s / 8] & (1u << (s % 8)))
			run = 0;
		else if (++run > max_run)
			max_run = run;
	}
	free(seen);
	if (trace) {
		FILE *f = fopen(trace, "w");

		if (!f)
			die("%s: %s", trace, strerror(errno));
		for (uint64_t s = 0; s < next_seq; s++) {
			if (rx_at[s])
				fprintf(f, "%llu %.3f %.3f\n", (unsigned long long)s,
					(double)(tx_at[s] - start) / 1e6,
					(double)(rx_at[s] - start) / 1e6);
			else
				fprintf(f, "%llu %.3f -\n", (unsigned long long)s,
					(double)(tx_at[s] - start) / 1e6);
		}
		if (fclose(f) != 0)
			die("%s: %s", trace, strerror(errno));
		free(tx_at);
		free(rx_at);
	}
	if (!received) {
		fprintf(stderr, "udpprobe: sent=%llu received=0: no echo from %s:%lu\n",
			(unsigned long long)sent, argv[optind], port);
		return 1;
	}
	printf("udpprobe: sent=%llu received=%llu lost=%llu late=%llu interval_us=%lu "
	       "max_gap_ms=%.3f gap_start=%.6f gap_end=%.6f max_lost_run=%llu max_gap_all_ms=%.3f max_send_gap_ms=%.3f mark_ms=%.3f start_mono=%.6f\n",
	       (unsigned long long)sent, (unsigned long long)received,
	       (unsigned long long)(sent - received), (unsigned long long)late,
	       interval_us, (double)gap / 1e6, (double)gap_t0 / 1e9,
	       (double)gap_t1 / 1e9, (unsigned long long)max_run, (double)gap_all / 1e6,
	       (double)tx_stall / 1e6, mark_at ? (double)(mark_at - start) / 1e6 : -1.0,
	       (double)start / 1e9);
	return 0;
}
