/*
 * xvm-vhost-fwd: the benchmark's upper bound. A plain DPDK forwarder
 * between two vhost-user server ports (DPDK's net_vhost PMD), port 0 <->
 * port 1, bursts of 32, nothing looked at: the same endpoints (xvm-vuser)
 * that measure vswitchd measure this, and the ratio says what the switch
 * costs on this machine (docs/bench.md).
 *
 *   xvm-vhost-fwd -a SOCK0 -b SOCK1 [-t SECS] [-P PREFIX] [-c CORE]
 *
 * Creates both sockets, forwards until SECS (default 60) pass or it is
 * signalled, then prints one line:
 *   vhost-fwd: fwd01=N fwd10=M dropped=D secs=S runq_wait=W nap_max=L
 * (runq_wait: seconds its thread was runnable but waiting for its CPU,
 * from /proc/thread-self/schedstat; nap_max: its longest nap from
 * falling asleep to running again, seconds: on a busy machine a 100 us
 * nap can last seconds, and the endpoints' rings stay full meanwhile:
 * docs/bench.md "Stalled runs")
 * ("ready" on stderr once both sockets exist). Frames that cannot be
 * sent (the other side not connected or its ring full) are dropped and
 * counted. No hugepages, its own --file-prefix, no PCI scan.
 *
 * Idle, it backs off as vswitchd's polling thread does (after 200 empty
 * rounds it sleeps, from 10 us doubling to 100 us, until a frame arrives):
 * on a machine shared with other work a pure spinner would take CPU time
 * from the endpoints that vswitchd leaves them, and stop being a fair
 * bound. Its naps are shorter than vswitchd's (up to 4 ms) because no
 * kick wakes it. Under load it never sleeps: the per-frame path is plain.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* xvm headers first: DPDK defines container_of only if not yet defined. */
#include "xvm/common.h"
#include "bench.h"
#include "xnb_features.h"	/* what vswitchd offers guests */

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>
#include <linux/virtio_net.h>


#define BURST		32
#define NB_MBUF		16383
#define RING_SIZE	1024
#define MAX_SECS	3600
#define SPIN_ROUNDS	200	/* empty rounds before sleeping */
#define SLEEP_MIN_US	10
#define SLEEP_MAX_US	100

struct fwd_opts {
	const char *sock[2];
	char prefix[64];
	int core;
	double secs;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: xvm-vhost-fwd -a SOCK0 -b SOCK1 [-t SECS] "
		"[-P PREFIX] [-c CORE]\n");
	exit(2);
}

static void parse_opts(struct fwd_opts *o, int argc, char **argv)
{
	char *end;
	int c;

	snprintf(o->prefix, sizeof(o->prefix), "xvm-vhost-fwd-%d",
		 (int)getpid());
	o->secs = 60;
	while ((c = getopt(argc, argv, "a:b:t:P:c:")) != -1) {
		switch (c) {
		case 'a': o->sock[0] = optarg; break;
		case 'b': o->sock[1] = optarg; break;
		case 't':
			o->secs = strtod(optarg, &end);
			if (end == optarg || *end || !(o->secs > 0) ||
			    o->secs > MAX_SECS)
				bench_die("invalid seconds '%s'", optarg);
			break;
		case 'P': snprintf(o->prefix, sizeof(o->prefix), "%s", optarg);
			  break;
		case 'c':
			o->core = strtol(optarg, &end, 10);
			if (end == optarg || *end || o->core < 0 ||
			    o->core > 1023)
				bench_die("invalid core '%s'", optarg);
			break;
		default: usage();
		}
	}
	if (!o->sock[0] || !o->sock[1] || optind != argc)
		usage();
	for (c = 0; c < 2; c++)
		if (strlen(o->sock[c]) > 100 || strchr(o->sock[c], ','))
			bench_die("socket path '%s' too long or contains ','",
			    o->sock[c]);
}

static void eal_start(const struct fwd_opts *o)
{
	char core[16], prefix[96], vdev0[160], vdev1[160];
	char *eal[] = { "xvm-vhost-fwd", "--no-huge", "-m", "512", "--no-pci",
			"--iova-mode=va", "--log-level=*:warning", "-l", core,
			"--file-prefix", prefix, "--vdev", vdev0, "--vdev", vdev1,
			NULL };

	snprintf(core, sizeof(core), "%d", o->core);
	snprintf(prefix, sizeof(prefix), "%s", o->prefix);
	snprintf(vdev0, sizeof(vdev0), "net_vhost0,iface=%s,queues=1",
		 o->sock[0]);
	snprintf(vdev1, sizeof(vdev1), "net_vhost1,iface=%s,queues=1",
		 o->sock[1]);
	if (rte_eal_init(ARRAY_SIZE(eal) - 1, eal) < 0)
		bench_die("EAL init failed: %s", rte_strerror(rte_errno));
	bench_eal_started();
}

/* Configure (the PMD registers the vhost-user socket then), mask the
 * features before any front end can have asked for them (the endpoints
 * connect after "ready"), start. */
static void port_start(uint16_t port, const char *sock, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0 && rte_vhost_driver_disable_features(sock,
							 XNB_NO_FEATURES) < 0)
		bench_die("%s: cannot mask virtio features", sock);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, RING_SIZE, 0, NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, RING_SIZE, 0, NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc < 0)
		bench_die("port %u setup failed: %s", port, rte_strerror(-rc));
}

/* One burst from port `from` to the other; returns frames forwarded. */
static unsigned fwd_burst(uint16_t from, uint64_t *dropped)
{
	struct rte_mbuf *m[BURST];
	unsigned n, k;

	n = rte_eth_rx_burst(from, 0, m, BURST);
	if (!n)
		return 0;
	k = rte_eth_tx_burst(from ^ 1, 0, m, n);
	if (k < n) {
		rte_pktmbuf_free_bulk(m + k, n - k);
		*dropped += n - k;
	}
	return k;
}

/* Nanoseconds this thread has waited on a run queue (0 unknown). */
static uint64_t runq_wait_ns(void)
{
	unsigned long long run = 0, wait = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	fclose(f);
	return wait;
}

int main(int argc, char **argv)
{
	struct fwd_opts o = { 0 };
	struct rte_mempool *mp;
	uint64_t fwd[2] = { 0, 0 }, dropped = 0, t0, end, w0, nap, nap_max = 0;
	unsigned n, k, idle = 0, sleep_us = SLEEP_MIN_US;

	parse_opts(&o, argc, argv);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	eal_start(&o);
	if (rte_eth_dev_count_avail() != 2)
		bench_die("expected 2 vhost ports, have %u",
		    rte_eth_dev_count_avail());
	mp = rte_pktmbuf_pool_create("fwd", NB_MBUF, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!mp)
		bench_die("mbuf pool: %s", rte_strerror(rte_errno));
	port_start(0, o.sock[0], mp);
	port_start(1, o.sock[1], mp);
	fprintf(stderr, "vhost-fwd: ready\n");
	t0 = rte_rdtsc();
	w0 = runq_wait_ns();
	end = t0 + o.secs * rte_get_tsc_hz();
	while (!stop && rte_rdtsc() < end) {
		n = fwd_burst(0, &dropped);
		fwd[0] += n;
		k = fwd_burst(1, &dropped);
		fwd[1] += k;
		if (n || k) {
			idle = 0;
			sleep_us = SLEEP_MIN_US;
		} else if (++idle >= SPIN_ROUNDS) {
			nap = rte_rdtsc();
			rte_delay_us_sleep(sleep_us);
			nap_max = MAX(nap_max, rte_rdtsc() - nap);
			sleep_us = MIN(sleep_us * 2, SLEEP_MAX_US);
		}
	}
	printf("vhost-fwd: fwd01=%" PRIu64 " fwd10=%" PRIu64 " dropped=%"
	       PRIu64 " secs=%.3f runq_wait=%.3f nap_max=%.3f\n", fwd[0],
	       fwd[1], dropped, (double)(rte_rdtsc() - t0) / rte_get_tsc_hz(),
	       (double)(runq_wait_ns() - w0) / 1e9,
	       (double)nap_max / rte_get_tsc_hz());
	fflush(stdout);
	rte_eth_dev_stop(0);
	rte_eth_dev_stop(1);
	rte_eth_dev_close(0);
	rte_eth_dev_close(1);
	bench_eal_cleanup();
	return 0;
}
