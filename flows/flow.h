/*
 * Flows (Crossbow flowadm, REFERENCE.md "flowadm"): a flow is a named
 * class of traffic on one link (a VNIC or a phys uplink) with policies of
 * its own. This header is the DPDK-free part shared by vswitchd, flowadm
 * and the unit tests: the attributes a flow matches on and their text
 * forms, the rules for combining them, the properties (maxbw, priority),
 * and the classifier over a frame's bytes. flow_dp.h puts it in the data
 * path; flowctl.c owns the control methods.
 *
 * Direction: "local" is the link's side. For a VNIC that is the VNIC
 * (frames it sends have the local address as source); for an uplink, the
 * host side (frames from the wire have the local address as destination).
 */
#ifndef FLOW_FLOW_H
#define FLOW_FLOW_H

#include "xvm/common.h"
#include "xvm/linkprop.h"

#define FLOWNAME_MAX		32	/* names are shorter than this */
#define FLOW_MAX_PER_LINK	64
#define FLOW_ERRLEN		160

/* flow names: a letter first, then [A-Za-z0-9_.-], shorter than
 * FLOWNAME_MAX ("http-1", "udpflow"). */
bool flowname_valid(const char *name);

enum flow_attr_id {
	FLOW_A_LOCAL_IP,
	FLOW_A_REMOTE_IP,
	FLOW_A_TRANSPORT,
	FLOW_A_LOCAL_PORT,
	FLOW_A_REMOTE_PORT,
	FLOW_A_DSFIELD,
	FLOW_A_COUNT,
};

/* An address with its prefix; addr has the host bits cleared. */
struct flow_ip {
	uint8_t family;		/* 4 or 6 */
	uint8_t plen;		/* 0..32 or 0..128 */
	uint8_t addr[16];	/* network order; IPv4 in the first 4 */
};

struct flow_attrs {
	uint32_t set;			/* 1u << flow_attr_id */
	struct flow_ip local_ip, remote_ip;
	uint8_t proto;			/* IPPROTO_TCP, ... */
	uint16_t local_port, remote_port;	/* host order, 1..65535 */
	uint8_t dsfield, dsmask;	/* dsfield already masked */
};

int flow_attr_lookup(const char *name);
const char *flow_attr_name(enum flow_attr_id id);
/* Set one attribute from its text ("10.0.0.0/24", "tcp", "80",
 * "0x2e:0xfc"); -EINVAL with err, a unchanged. Setting one twice is
 * refused ("attribute 'x' specified more than once"). */
int flow_attr_set(struct flow_attrs *a, const char *name, const char *value,
		  char err[FLOW_ERRLEN]);
/* "attr=value[,...]" as typed after -a: every attribute, then
 * flow_attrs_check(). All or nothing. */
int flow_attrs_parse(const char *list, struct flow_attrs *a,
		     char err[FLOW_ERRLEN]);
/*
 * The combinations flowadm accepts (one flow table type each, as in
 * Crossbow): local_ip; remote_ip; transport; transport with local_port;
 * transport with remote_port; dsfield. A port needs a transport ("local
 * or remote port requires transport"), one of tcp, udp, sctp. -EINVAL
 * (-ENOTSUP for a combination Crossbow has no table for) with err.
 */
int flow_attrs_check(const struct flow_attrs *a, char err[FLOW_ERRLEN]);
/* Same combination of attributes: flows of one link must all be. */
bool flow_attrs_compatible(const struct flow_attrs *a,
			   const struct flow_attrs *b);
/* Same combination and the same values: the same traffic. */
bool flow_attrs_identical(const struct flow_attrs *a,
			  const struct flow_attrs *b);
/* One attribute's text ("" when not set), as it was given in canonical
 * form: it parses back to the same value. */
int flow_attr_format(const struct flow_attrs *a, enum flow_attr_id id,
		     char *buf, size_t len);
/* Which flow wins when several match: longer prefixes and wider dsfield
 * masks first. */
unsigned flow_attrs_specificity(const struct flow_attrs *a);

enum flow_prop_id {
	FLOW_P_MAXBW,
	FLOW_P_PRIORITY,
	FLOW_P_COUNT,
};

struct flow_props {
	uint32_t set;			/* 1u << flow_prop_id */
	uint64_t maxbw;			/* bits/s each way, 0: none */
	enum link_priority priority;	/* default medium */
};

void flow_props_init(struct flow_props *p);
int flow_prop_lookup(const char *name);
const char *flow_prop_name(enum flow_prop_id id);
/* -EINVAL/-ERANGE with err ("invalid flow property 'x'", "minimum value
 * for maxbw is 1200K", "flow property 'priority' must be one of:
 * low,medium,high"); p unchanged. */
int flow_prop_set(struct flow_props *p, const char *name, const char *value,
		  char err[FLOW_ERRLEN]);
int flow_prop_reset(struct flow_props *p, const char *name,
		    char err[FLOW_ERRLEN]);
/* Each property once in a list: marks name's bit in *seen; -EINVAL with
 * err ("flow property 'x' specified more than once", or an unknown one). */
int flow_prop_seen(uint32_t *seen, const char *name, char err[FLOW_ERRLEN]);
/* "prop=value[,...]" after -p, each property once; all or nothing. */
int flow_props_parse(const char *list, struct flow_props *p,
		     char err[FLOW_ERRLEN]);
/* Value ("" unset; maxbw in Mb/s as dladm shows it), default, possible. */
int flow_prop_format(const struct flow_props *p, enum flow_prop_id id,
		     char *buf, size_t len);
const char *flow_prop_default_str(enum flow_prop_id id);
const char *flow_prop_possible_str(enum flow_prop_id id);

/* ---- the classifier ---- */

enum flow_dir {
	FLOW_DIR_IN,	/* towards the local side: local = destination */
	FLOW_DIR_OUT,	/* from the local side: local = source */
};

/* What a frame offers to match on. */
struct flow_pkt {
	uint8_t family;			/* 4, 6; 0: not IP */
	uint8_t proto;
	uint8_t tos;			/* IPv4 TOS, IPv6 traffic class */
	bool has_ports;			/* TCP/UDP/SCTP, first fragment */
	uint16_t sport, dport;		/* host order */
	const uint8_t *src, *dst;	/* into the frame */
};

/* Parse an Ethernet frame (an 802.1Q tag is skipped). 0, or -EINVAL for
 * frames that are not IP (or too short to be): no flow matches those. */
int flow_pkt_parse(const uint8_t *frame, uint32_t len, struct flow_pkt *k);
bool flow_attrs_match(const struct flow_attrs *a, const struct flow_pkt *k,
		      enum flow_dir dir);
/* The first of the n rules (an array, most specific first: contiguous,
 * so a scan stays in a few cache lines) that frame matches, or -1. */
int flow_classify(const struct flow_attrs *rules, unsigned n,
		  const uint8_t *frame, uint32_t len, enum flow_dir dir);

#endif
