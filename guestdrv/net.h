/*
 * net.h: the guest's minimal network stack: network interfaces (netif.c:
 * Ethernet, addresses, routing, the receive dispatch), ARP (arp.c, RFC 826
 * and RFC 5227 announcements), IPv4 (ip.c, RFC 791, no fragments), ICMP
 * echo (icmp.c, RFC 792) and UDP (udp.c, RFC 768). Drivers (virtio_net.c)
 * register a netif with ops; workloads (ping.c, pktgen.c, sink.c,
 * udpseq.c, badring.c) use the send calls and bind UDP ports.
 *
 * Every received frame is hostile: each layer checks the lengths it reads.
 * The stack never reads the clock itself (so `make guest-test` can run it
 * on the host): net_poll() stores the time in net_now.
 */
#ifndef MINIOS_NET_H
#define MINIOS_NET_H

#include "minios.h"

/* errno values only the stack uses (minios.h has the common ones). */
#define EAGAIN		11
#define EMSGSIZE	90
#define ENETUNREACH	101

#define NET_MAX_NICS	4
#define NET_MAX_ADDRS	4	/* IPv4 addresses per interface */
#define ETH_ALEN	6
#define ETH_HLEN	14
#define ETH_MIN_FRAME	60	/* without FCS */
/* The longest frame (without FCS) the stack builds or takes: an MTU of
 * NET_MTU_MAX. Each interface has its own MTU (netif.mtu, 1500 unless the
 * device or mtu= says otherwise); NET_MTU_MAX is above the switch's 9000
 * so a test can send a frame one byte too long for it. */
#define NET_MTU_MAX	9100
#define NET_MTU_DEFAULT	1500
#define ETH_MAX_FRAME	(ETH_HLEN + NET_MTU_MAX)
#define ETH_FCS		4
#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806
#define IP_HLEN		20
#define UDP_HLEN	8
#define ICMP_HLEN	8
#define IP_PROTO_ICMP	1
#define IP_PROTO_UDP	17
#define NET_MTU		NET_MTU_MAX
#define UDP_MAX_DATA	(NET_MTU - IP_HLEN - UDP_HLEN)

/* ---- byte order: everything on the wire is big-endian ---- */
static inline uint16_t get_be16(const uint8_t *p)
{ return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get_be32(const uint8_t *p)
{ return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline void put_be16(uint8_t *p, uint16_t v)
{ p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put_be32(uint8_t *p, uint32_t v)
{ p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }

struct netif;

/* What a driver provides. Called from ring 3 only (the main loop). */
struct netif_ops {
	/* A free transmit buffer with room for ETH_MAX_FRAME bytes, or NULL
	 * if every buffer is in flight (reclaims completed ones first). */
	uint8_t *(*tx_buf)(struct netif *nif);
	/* Queue a frame built in a buffer from tx_buf (len <= ETH_MAX_FRAME);
	 * not visible to the device before tx_flush. 0 or -errno (the buffer
	 * is then back in the free pool; len 0 just gives it back). */
	int (*tx_queue)(struct netif *nif, uint8_t *buf, uint16_t len);
	/* Publish queued frames; at most one notification. */
	void (*tx_flush)(struct netif *nif);
	/* Hand up to budget received frames to net_input(), repost the
	 * buffers (one notification at most); returns frames handled. */
	unsigned int (*rx_poll)(struct netif *nif, unsigned int budget);
	/* Transmit buffers free now (after reclaiming). */
	unsigned int (*tx_space)(struct netif *nif);
};

struct net_addr {
	uint32_t ip;		/* host order */
	uint8_t plen;
};

struct netif {
	char name[8];			/* nic0, nic1, ... in PCI order */
	uint8_t mac[ETH_ALEN];
	bool link_up;
	bool disabled;			/* handed to badring, or unplugged: the
					 * stack does not touch it */
	bool gone;			/* unplugged: the entry may be reused */
	struct net_addr addr[NET_MAX_ADDRS];
	unsigned int nr_addr;
	const struct netif_ops *ops;
	void *priv;			/* the driver's */
	unsigned int tx_total;		/* transmit buffers in all */
	uint16_t mtu;			/* bytes of IP packet, at most
					 * NET_MTU_MAX */
	/* Statistics (all frames the interface saw, before any filtering). */
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t rx_dropped;		/* malformed or not for us */
	uint64_t tx_dropped;		/* no buffer / no route / no ARP */
	uint64_t kicks;			/* notifications to the device (exits) */
};

/* A route to a destination: interface, source address, next hop. */
struct net_route {
	struct netif *nif;
	uint32_t src, nexthop;
};

/* Receive hook for a UDP port (0 = every port not otherwise bound). */
typedef void (*udp_handler_t)(struct netif *nif, uint32_t src, uint16_t sport,
			      uint32_t dst, uint16_t dport,
			      const uint8_t *data, uint16_t len);
/* ICMP echo reply hook (the pinger). */
typedef void (*icmp_echo_handler_t)(uint32_t src, uint16_t id, uint16_t seq,
				    const uint8_t *data, uint16_t len);

extern uint64_t net_now;		/* ns, set by net_poll() */
extern uint32_t net_gw;			/* default gateway, 0 if none */

/* ---- netif.c ---- */
/* Register an interface (drivers, in PCI order); NULL if full. */
struct netif *netif_add(const uint8_t mac[ETH_ALEN], const struct netif_ops *ops,
			void *priv);
unsigned int netif_count(void);
/* The driver let go of nif (hot-unplug): disabled, addresses dropped;
 * the next netif_add may reuse the entry and its name. */
void netif_remove(struct netif *nif);
/* Apply the ip= items that name nif (ADDR/PLEN@nicN) now: for a NIC
 * hot-plugged after boot. Returns how many were added. */
unsigned int net_config_nic(struct netif *nif, const char *ip_list);
struct netif *netif_get(unsigned int i);
/* Parse ip=, gw= from the command line and assign addresses. Prints a
 * warning for each bad value. */
void net_config(const char *ip_list, const char *gw);
/* ADDR/PLEN[@nicN] (one list item); 0 or -EINVAL. *nic = -1 if absent. */
int net_parse_cidr(const char *s, size_t len, uint32_t *ip, uint8_t *plen, int *nic);
int net_parse_ip(const char *s, size_t len, uint32_t *ip);
int net_parse_mac(const char *s, size_t len, uint8_t mac[ETH_ALEN]);
/* "0:16:3e:1:2:3" (dladm style) and "10.0.0.1", into buf. */
char *net_fmt_mac(char *buf, size_t size, const uint8_t mac[ETH_ALEN]);
char *net_fmt_ip(char *buf, size_t size, uint32_t ip);
/* Is ip one of nif's addresses (or, with bcast, a broadcast for it)? */
bool netif_has_ip(const struct netif *nif, uint32_t ip, bool bcast);
/* Is ip ours, arriving on nif: its addresses and broadcasts, or any
 * interface's address (weak host)? nif NULL: unicast addresses only. */
bool net_is_local(const struct netif *nif, uint32_t ip);
/* Interface, source and next hop for dst; 0 or -ENETUNREACH. */
int net_route(uint32_t dst, struct net_route *r);
/* One received frame (from the driver's rx_poll). */
void net_input(struct netif *nif, const uint8_t *frame, size_t len);
/* Send a frame built in buf (from tx_buf) with the Ethernet header
 * filled in here; counts and pads to ETH_MIN_FRAME. 0 or -errno. */
int eth_output(struct netif *nif, uint8_t *buf, const uint8_t dst[ETH_ALEN],
	       uint16_t type, uint16_t len);
/* Poll every interface: receive (up to budget frames each), ARP timers,
 * flush transmit queues. Returns frames received. */
unsigned int net_poll(uint64_t now_ns, unsigned int budget);
/* Publish every interface's queued transmit frames. */
void net_flush(void);
/* Frames received by the whole stack, and when the last one came (ns),
 * for "busy" decisions. */
extern uint64_t net_rx_total, net_last_rx;

/* ---- arp.c ---- */
#define ARP_CACHE_SIZE	16
void arp_input(struct netif *nif, const uint8_t *pkt, size_t len);
/* Gratuitous ARP (announcement) for each of nif's addresses. */
void arp_announce(struct netif *nif);
/* The MAC for ip on nif: 0 with mac filled, or -EAGAIN after starting
 * (or continuing) resolution. */
int arp_resolve(struct netif *nif, uint32_t ip, uint8_t mac[ETH_ALEN]);
/* Keep a frame (IP packet, len bytes from the IP header) to send when ip
 * resolves; one per entry, a newer one replaces it. */
void arp_hold(struct netif *nif, uint32_t ip, const uint8_t *pkt, uint16_t len);
/* Retries and expiry; called from net_poll. */
void arp_timer(void);
/* Put a static entry (peer_mac=). */
void arp_set_static(struct netif *nif, uint32_t ip, const uint8_t mac[ETH_ALEN]);
void arp_flush_all(void);
/* Forget every entry of nif (it was unplugged). */
void arp_flush_nif(const struct netif *nif);

/* ---- ip.c ---- */
/* Internet checksum (RFC 1071) over len bytes, folded, not inverted. */
uint32_t inet_sum(const uint8_t *p, size_t len, uint32_t sum);
uint16_t inet_fold(uint32_t sum);
void ip_input(struct netif *nif, const uint8_t *src_mac, const uint8_t *pkt, size_t len);
/* Send an IPv4 packet of payload len bytes with protocol proto from the
 * route's source; resolves the next hop (holding the packet until the
 * ARP reply if needed). The payload is copied. 0 or -errno. */
int ip_send(const struct net_route *r, uint32_t dst, uint8_t proto,
	    const uint8_t *payload, uint16_t len);
/* Reply path: straight to the MAC the request came from. */
int ip_send_to_mac(struct netif *nif, const uint8_t mac[ETH_ALEN], uint32_t src,
		   uint32_t dst, uint8_t proto, const uint8_t *payload, uint16_t len);
/* Write a 20-byte IPv4 header with its checksum at p. */
void ip_build_header(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto,
		     uint16_t payload_len, uint16_t id);

/* ---- icmp.c ---- */
void icmp_input(struct netif *nif, const uint8_t *src_mac, uint32_t src,
		uint32_t dst, const uint8_t *pkt, size_t len);
int icmp_echo_send(uint32_t dst, uint16_t id, uint16_t seq,
		   const uint8_t *data, uint16_t len);
void icmp_set_echo_handler(icmp_echo_handler_t h);
extern uint64_t icmp_echo_answered;

/* ---- udp.c ---- */
void udp_input(struct netif *nif, const uint8_t *src_mac, uint32_t src,
	       uint32_t dst, const uint8_t *pkt, size_t len);
/* Bind a port (0 = all unbound ports); 0 or -ENOSPC. */
int udp_bind(uint16_t port, udp_handler_t h);
int udp_send(uint32_t dst, uint16_t sport, uint16_t dport,
	     const uint8_t *data, uint16_t len);
/* The UDP checksum of a datagram (header + data at p, checksum field as
 * it is) over the pseudo header; 0 in the field means "none" (RFC 768). */
uint16_t udp_checksum(uint32_t src, uint32_t dst, const uint8_t *p, uint16_t len);
/* UDP echo (port 7, RFC 862) for the ping workload. */
void udp_echo_handler(struct netif *nif, uint32_t src, uint16_t sport,
		      uint32_t dst, uint16_t dport, const uint8_t *data, uint16_t len);

/* ---- seqtrack.c: gaps in sequence numbers (sink, udpseq replies) ---- */
struct seq_track {
	bool started;
	uint32_t next;			/* the sequence number expected */
	uint64_t got, lost, gaps, late, max_gap;
};
/* Account for seq; returns the gap it closes (numbers skipped), 0 if
 * none. A number below the expected one is "late" (reordered or a
 * duplicate); one far below (a restarted sender) starts over. */
uint32_t seq_track_add(struct seq_track *t, uint32_t seq);

/* ---- the payload of our test datagrams (pktgen, udpseq -> sink) ---- */
#define NET_SEQ_MAGIC	0x78766d53	/* "xvmS" */
#define NET_SEQ_LEN	16		/* magic, seq, send time (ns) */

#endif
