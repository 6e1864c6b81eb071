/*
 * netwl.h: the network workloads (ping.c, pinger.c, pktgen.c, sink.c,
 * udpseq.c, badring.c) and what they share (netwl.c). docs/guest.md
 * "Network" lists their options and output lines.
 */
#ifndef MINIOS_NETWL_H
#define MINIOS_NETWL_H

#include "net.h"
#include "workload.h"

#define NET_POLL_BUDGET	64	/* frames per interface per poll */
#define NS_PER_SEC	((uint64_t)1000000000)

/* Start the NICs, configure addresses, print one line per NIC (before
 * the ready line). Returns NICs started, 0 if none. */
int net_start(void);
/* "guest: nicN mac=... link=... ip=..." */
void net_print_nic(struct netif *nif);
/* Is there an interface with an address? Else says so for `who`. */
bool net_usable(const char *who);
/* peer= as an address with a route; 0 or -errno (reported for `who`). */
int net_peer(const char *who, uint32_t *ip);
/* Did traffic arrive recently (the main loop should not sleep)? */
bool net_busy(uint64_t now);
/* Our test payload: magic, sequence number, send time (NET_SEQ_LEN). */
void net_seq_payload(uint8_t *p, uint32_t seq, uint64_t now);
bool net_seq_parse(const uint8_t *p, uint16_t len, uint32_t *seq);

extern const struct workload wl_ping, wl_pinger, wl_pktgen, wl_sink,
	wl_udpseq, wl_badring;

#endif
