/*
 * Flow attributes: text forms, the combinations flowadm accepts, and the
 * classifier over a frame's bytes (flow.h). One implementation for
 * vswitchd, which checks every request, and flowadm, which checks before
 * asking, so both give the same message for the same input.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "xvm/units.h"
#include "flow.h"

#define ETH_HLEN	14
#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86dd
#define ETHERTYPE_VLAN	0x8100

static const char *const flow_attr_names[FLOW_A_COUNT] = {
	[FLOW_A_LOCAL_IP] = "local_ip",
	[FLOW_A_REMOTE_IP] = "remote_ip",
	[FLOW_A_TRANSPORT] = "transport",
	[FLOW_A_LOCAL_PORT] = "local_port",
	[FLOW_A_REMOTE_PORT] = "remote_port",
	[FLOW_A_DSFIELD] = "dsfield",
};

static const struct {
	const char *name;
	uint8_t proto;
} flow_protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
	{ "sctp", IPPROTO_SCTP }, { "icmp", IPPROTO_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6 },
};

#define A(id)	(1u << (id))

/* The attribute sets Crossbow has a flow table for. */
static const uint32_t flow_combos[] = {
	A(FLOW_A_LOCAL_IP),
	A(FLOW_A_REMOTE_IP),
	A(FLOW_A_TRANSPORT),
	A(FLOW_A_TRANSPORT) | A(FLOW_A_LOCAL_PORT),
	A(FLOW_A_TRANSPORT) | A(FLOW_A_REMOTE_PORT),
	A(FLOW_A_DSFIELD),
};

bool flowname_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, FLOWNAME_MAX);
	if (len == 0 || len >= FLOWNAME_MAX)
		return false;
	if (!((name[0] >= 'a' && name[0] <= 'z') ||
	      (name[0] >= 'A' && name[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

int flow_attr_lookup(const char *name)
{
	for (int i = 0; name && i < FLOW_A_COUNT; i++)
		if (strcmp(name, flow_attr_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *flow_attr_name(enum flow_attr_id id)
{
	return (unsigned)id < FLOW_A_COUNT ? flow_attr_names[id] : NULL;
}

static int badattr(char *err, const char *attr, const char *value)
{
	snprintf(err, FLOW_ERRLEN,
		 "invalid value '%.60s' for flow attribute '%s'", value, attr);
	return -EINVAL;
}

/* Decimal without sign or leading zeros, 1..max. */
static int flow_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 10)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < 1 || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* 0x-prefixed (or bare) hexadecimal byte. */
static int flow_hex8(const char *s, size_t n, uint8_t *out)
{
	unsigned v = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 2)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
			     c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) :
			     c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10) :
			     16u;

		if (d == 16)
			return -EINVAL;
		v = v * 16 + d;
	}
	*out = (uint8_t)v;
	return 0;
}

static void flow_ip_mask(struct flow_ip *ip)
{
	unsigned bytes = ip->family == 4 ? 4 : 16;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned bit = i * 8;

		if (bit >= ip->plen)
			ip->addr[i] = 0;
		else if (ip->plen - bit < 8)
			ip->addr[i] &= (uint8_t)(0xff << (8 - (ip->plen - bit)));
	}
}

/* "addr[/plen]", IPv4 or IPv6. */
static int flow_ip_parse(const char *s, struct flow_ip *ip)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long plen;

	if (n == 0 || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	memset(ip, 0, sizeof(*ip));
	if (inet_pton(AF_INET, addr, ip->addr) == 1)
		ip->family = 4;
	else if (inet_pton(AF_INET6, addr, ip->addr) == 1)
		ip->family = 6;
	else
		return -EINVAL;
	ip->plen = ip->family == 4 ? 32 : 128;
	if (slash) {
		if (strcmp(slash + 1, "0") == 0)
			plen = 0;
		else if (flow_uint(slash + 1, ip->plen, &plen) < 0)
			return -EINVAL;
		ip->plen = (uint8_t)plen;
	}
	flow_ip_mask(ip);
	return 0;
}

static int flow_dsfield_parse(const char *s, struct flow_attrs *a)
{
	const char *colon = strchr(s, ':');
	uint8_t val, mask = 0xff;

	if (flow_hex8(s, colon ? (size_t)(colon - s) : strlen(s), &val) < 0)
		return -EINVAL;
	if (colon && (flow_hex8(colon + 1, strlen(colon + 1), &mask) < 0 ||
		      mask == 0))
		return -EINVAL;
	a->dsmask = mask;
	a->dsfield = val & mask;
	return 0;
}

static int flow_attr_parse(struct flow_attrs *a, int id, const char *value)
{
	unsigned long port;

	switch (id) {
	case FLOW_A_LOCAL_IP:
		return flow_ip_parse(value, &a->local_ip);
	case FLOW_A_REMOTE_IP:
		return flow_ip_parse(value, &a->remote_ip);
	case FLOW_A_TRANSPORT:
		for (size_t i = 0; i < ARRAY_SIZE(flow_protos); i++) {
			if (strcmp(value, flow_protos[i].name) == 0) {
				a->proto = flow_protos[i].proto;
				return 0;
			}
		}
		return -EINVAL;
	case FLOW_A_LOCAL_PORT:
	case FLOW_A_REMOTE_PORT:
		if (flow_uint(value, 65535, &port) < 0)
			return -EINVAL;
		if (id == FLOW_A_LOCAL_PORT)
			a->local_port = (uint16_t)port;
		else
			a->remote_port = (uint16_t)port;
		return 0;
	case FLOW_A_DSFIELD:
		return flow_dsfield_parse(value, a);
	}
	return -EINVAL;
}

int flow_attr_set(struct flow_attrs *a, const char *name, const char *value,
		  char err[FLOW_ERRLEN])
{
	struct flow_attrs tmp = *a;
	int id = flow_attr_lookup(name);

	if (id < 0) {
		snprintf(err, FLOW_ERRLEN, "invalid flow attribute '%.60s'",
			 name ? name : "");
		return -EINVAL;
	}
	if (a->set & A(id)) {
		snprintf(err, FLOW_ERRLEN,
			 "flow attribute '%s' specified more than once", name);
		return -EINVAL;
	}
	if (!value || !*value) {
		snprintf(err, FLOW_ERRLEN,
			 "no value specified for flow attribute '%s'", name);
		return -EINVAL;
	}
	if (flow_attr_parse(&tmp, id, value) < 0)
		return badattr(err, name, value);
	tmp.set |= A(id);
	*a = tmp;
	return 0;
}

/* Split "name=value[,...]" and call set for each item. */
static int flow_list_apply(const char *list, void *obj, const char *what,
			   int (*set)(void *obj, const char *name,
				      const char *value, char *err),
			   char err[FLOW_ERRLEN])
{
	char item[256];
	const char *p = list;

	if (!list || !*list) {
		snprintf(err, FLOW_ERRLEN, "no flow %ss specified", what);
		return -EINVAL;
	}
	while (*p) {
		size_t n = strcspn(p, ",");
		char *eq;
		int ret;

		if (n == 0 || n >= sizeof(item)) {
			snprintf(err, FLOW_ERRLEN, "invalid flow %s list "
				 "'%.60s'", what, list);
			return -EINVAL;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		eq = strchr(item, '=');
		if (eq)
			*eq = '\0';
		ret = set(obj, item, eq ? eq + 1 : NULL, err);
		if (ret < 0)
			return ret;
		p += n;
		if (*p == ',' && !*++p) {
			snprintf(err, FLOW_ERRLEN, "invalid flow %s list "
				 "'%.60s'", what, list);
			return -EINVAL;
		}
	}
	return 0;
}

static int flow_attr_set_cb(void *obj, const char *name, const char *value,
			    char *err)
{
	return flow_attr_set(obj, name, value, err);
}

int flow_attrs_parse(const char *list, struct flow_attrs *a,
		     char err[FLOW_ERRLEN])
{
	struct flow_attrs tmp;
	int ret;

	memset(&tmp, 0, sizeof(tmp));
	ret = flow_list_apply(list, &tmp, "attribute", flow_attr_set_cb, err);
	if (ret == 0)
		ret = flow_attrs_check(&tmp, err);
	if (ret == 0)
		*a = tmp;
	return ret;
}

static bool flow_proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP;
}

int flow_attrs_check(const struct flow_attrs *a, char err[FLOW_ERRLEN])
{
	uint32_t ports = A(FLOW_A_LOCAL_PORT) | A(FLOW_A_REMOTE_PORT);

	if (!a->set) {
		snprintf(err, FLOW_ERRLEN, "no flow attributes specified");
		return -EINVAL;
	}
	if ((a->set & ports) && !(a->set & A(FLOW_A_TRANSPORT))) {
		snprintf(err, FLOW_ERRLEN,
			 "local or remote port requires transport");
		return -EINVAL;
	}
	if ((a->set & ports) && !flow_proto_has_ports(a->proto)) {
		snprintf(err, FLOW_ERRLEN, "local or remote port requires "
			 "transport tcp, udp or sctp");
		return -EINVAL;
	}
	for (size_t i = 0; i < ARRAY_SIZE(flow_combos); i++)
		if (a->set == flow_combos[i])
			return 0;
	snprintf(err, FLOW_ERRLEN, "unsupported combination of flow "
		 "attributes: one of local_ip, remote_ip, transport "
		 "[with local_port or remote_port], dsfield");
	return -ENOTSUP;
}

bool flow_attrs_compatible(const struct flow_attrs *a,
			   const struct flow_attrs *b)
{
	return a->set == b->set;
}

static bool flow_ip_equal(const struct flow_ip *a, const struct flow_ip *b)
{
	return a->family == b->family && a->plen == b->plen &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

bool flow_attrs_identical(const struct flow_attrs *a,
			  const struct flow_attrs *b)
{
	uint32_t s = a->set;

	if (a->set != b->set)
		return false;
	return (!(s & A(FLOW_A_LOCAL_IP)) ||
		flow_ip_equal(&a->local_ip, &b->local_ip)) &&
	       (!(s & A(FLOW_A_REMOTE_IP)) ||
		flow_ip_equal(&a->remote_ip, &b->remote_ip)) &&
	       (!(s & A(FLOW_A_TRANSPORT)) || a->proto == b->proto) &&
	       (!(s & A(FLOW_A_LOCAL_PORT)) || a->local_port == b->local_port) &&
	       (!(s & A(FLOW_A_REMOTE_PORT)) ||
		a->remote_port == b->remote_port) &&
	       (!(s & A(FLOW_A_DSFIELD)) ||
		(a->dsfield == b->dsfield && a->dsmask == b->dsmask));
}

static int flow_ip_format(const struct flow_ip *ip, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->addr, addr,
		       sizeof(addr)))
		return -EINVAL;
	return snprintf(buf, len, "%s/%u", addr, ip->plen) < (int)len ?
	       0 : -ENOSPC;
}

static const char *flow_proto_name(uint8_t proto)
{
	for (size_t i = 0; i < ARRAY_SIZE(flow_protos); i++)
		if (flow_protos[i].proto == proto)
			return flow_protos[i].name;
	return "?";
}

int flow_attr_format(const struct flow_attrs *a, enum flow_attr_id id,
		     char *buf, size_t len)
{
	int n = 0;

	if ((unsigned)id >= FLOW_A_COUNT || !buf || len == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (!(a->set & A(id)))
		return 0;
	switch (id) {
	case FLOW_A_LOCAL_IP:
		return flow_ip_format(&a->local_ip, buf, len);
	case FLOW_A_REMOTE_IP:
		return flow_ip_format(&a->remote_ip, buf, len);
	case FLOW_A_TRANSPORT:
		n = snprintf(buf, len, "%s", flow_proto_name(a->proto));
		break;
	case FLOW_A_LOCAL_PORT:
		n = snprintf(buf, len, "%u", a->local_port);
		break;
	case FLOW_A_REMOTE_PORT:
		n = snprintf(buf, len, "%u", a->remote_port);
		break;
	case FLOW_A_DSFIELD:
		n = snprintf(buf, len, "0x%x:0x%x", a->dsfield, a->dsmask);
		break;
	default:
		return -EINVAL;
	}
	return n < (int)len ? 0 : -ENOSPC;
}

unsigned flow_attrs_specificity(const struct flow_attrs *a)
{
	unsigned s = 0;

	if (a->set & A(FLOW_A_LOCAL_IP))
		s += a->local_ip.plen;
	if (a->set & A(FLOW_A_REMOTE_IP))
		s += a->remote_ip.plen;
	if (a->set & A(FLOW_A_DSFIELD))
		s += (unsigned)__builtin_popcount(a->dsmask);
	return s;
}

/* ---- properties ---- */

static const char *const flow_prop_names[FLOW_P_COUNT] = {
	[FLOW_P_MAXBW] = "maxbw",
	[FLOW_P_PRIORITY] = "priority",
};

static const char *const flow_prio_names[] = { "low", "medium", "high" };

void flow_props_init(struct flow_props *p)
{
	memset(p, 0, sizeof(*p));
	p->priority = LINK_PRIO_MEDIUM;
}

int flow_prop_lookup(const char *name)
{
	for (int i = 0; name && i < FLOW_P_COUNT; i++)
		if (strcmp(name, flow_prop_names[i]) == 0)
			return i;
	return -EINVAL;
}

const char *flow_prop_name(enum flow_prop_id id)
{
	return (unsigned)id < FLOW_P_COUNT ? flow_prop_names[id] : NULL;
}

static int flow_unknown_prop(char *err, const char *name)
{
	snprintf(err, FLOW_ERRLEN, "invalid flow property '%.60s'",
		 name ? name : "");
	return -EINVAL;
}

static int flow_maxbw_parse(struct flow_props *p, const char *value,
			    char *err)
{
	uint64_t bps;
	int ret = units_parse_bw(value, &bps);

	if (ret < 0) {
		snprintf(err, FLOW_ERRLEN, "invalid value '%.60s' for flow "
			 "property 'maxbw'", value);
		return -EINVAL;
	}
	if (bps < MAXBW_MIN_BPS) {
		snprintf(err, FLOW_ERRLEN, "minimum value for maxbw is 1200K");
		return -ERANGE;
	}
	p->maxbw = bps;
	return 0;
}

static int flow_prio_parse(struct flow_props *p, const char *value,
			   char *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(flow_prio_names); i++) {
		if (strcmp(value, flow_prio_names[i]) == 0) {
			p->priority = (enum link_priority)i;
			return 0;
		}
	}
	snprintf(err, FLOW_ERRLEN,
		 "flow property 'priority' must be one of: low,medium,high");
	return -EINVAL;
}

int flow_prop_set(struct flow_props *p, const char *name, const char *value,
		  char err[FLOW_ERRLEN])
{
	struct flow_props tmp = *p;
	int id = flow_prop_lookup(name);
	int ret;

	if (id < 0)
		return flow_unknown_prop(err, name);
	if (!value || !*value) {
		snprintf(err, FLOW_ERRLEN,
			 "no value specified for flow property '%s'", name);
		return -EINVAL;
	}
	ret = id == FLOW_P_MAXBW ? flow_maxbw_parse(&tmp, value, err) :
				   flow_prio_parse(&tmp, value, err);
	if (ret < 0)
		return ret;
	tmp.set |= A(id);
	*p = tmp;
	return 0;
}

int flow_prop_reset(struct flow_props *p, const char *name,
		    char err[FLOW_ERRLEN])
{
	struct flow_props def;
	int id = flow_prop_lookup(name);

	if (id < 0)
		return flow_unknown_prop(err, name);
	flow_props_init(&def);
	if (id == FLOW_P_MAXBW)
		p->maxbw = def.maxbw;
	else
		p->priority = def.priority;
	p->set &= ~A(id);
	return 0;
}

int flow_prop_seen(uint32_t *seen, const char *name, char err[FLOW_ERRLEN])
{
	int id = flow_prop_lookup(name);

	if (id < 0)
		return flow_unknown_prop(err, name);
	if (*seen & A(id)) {
		snprintf(err, FLOW_ERRLEN,
			 "flow property '%s' specified more than once", name);
		return -EINVAL;
	}
	*seen |= A(id);
	return 0;
}

struct flow_props_list {
	struct flow_props p;
	uint32_t seen;
};

static int flow_prop_set_cb(void *obj, const char *name, const char *value,
			    char *err)
{
	struct flow_props_list *l = obj;
	int ret = flow_prop_seen(&l->seen, name, err);

	return ret < 0 ? ret : flow_prop_set(&l->p, name, value, err);
}

int flow_props_parse(const char *list, struct flow_props *p,
		     char err[FLOW_ERRLEN])
{
	struct flow_props_list tmp = { .p = *p };
	int ret = flow_list_apply(list, &tmp, "property", flow_prop_set_cb,
				  err);

	if (ret == 0)
		*p = tmp.p;
	return ret;
}

int flow_prop_format(const struct flow_props *p, enum flow_prop_id id,
		     char *buf, size_t len)
{
	if ((unsigned)id >= FLOW_P_COUNT || !buf || len == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (!(p->set & A(id)))
		return 0;
	if (id == FLOW_P_MAXBW)
		return units_format_bw(p->maxbw, buf, len);
	if ((unsigned)p->priority >= ARRAY_SIZE(flow_prio_names))
		return -EINVAL;
	return snprintf(buf, len, "%s", flow_prio_names[p->priority]) <
	       (int)len ? 0 : -ENOSPC;
}

const char *flow_prop_default_str(enum flow_prop_id id)
{
	return id == FLOW_P_PRIORITY ? "medium" : "--";
}

const char *flow_prop_possible_str(enum flow_prop_id id)
{
	return id == FLOW_P_PRIORITY ? "low,medium,high" : "--";
}

/* ---- the classifier ---- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Ports of a transport header at l4 (len bytes left), if it has them. */
static void flow_pkt_ports(struct flow_pkt *k, const uint8_t *l4,
			   uint32_t len)
{
	if (!flow_proto_has_ports(k->proto) || len < 4)
		return;
	k->has_ports = true;
	k->sport = rd16(l4);
	k->dport = rd16(l4 + 2);
}

static int flow_pkt_ipv4(const uint8_t *ip, uint32_t len, struct flow_pkt *k)
{
	uint32_t ihl, tot;

	if (len < 20 || (ip[0] >> 4) != 4)
		return -EINVAL;
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	tot = rd16(ip + 2);
	if (ihl < 20 || ihl > len || (tot && tot < ihl))
		return -EINVAL;
	/* what follows the packet (Ethernet padding) is not its payload;
	 * tot may also claim more than the frame has: the least of both
	 * (0: a segmentation offload's packet over 64 kB, length unknown) */
	if (tot && tot < len)
		len = tot;
	k->family = 4;
	k->tos = ip[1];
	k->proto = ip[9];
	k->src = ip + 12;
	k->dst = ip + 16;
	/* later fragments carry no transport header */
	if ((rd16(ip + 6) & 0x1fff) == 0)
		flow_pkt_ports(k, ip + ihl, len - ihl);
	return 0;
}

/* IPv6 with the usual extension headers walked (at most 4). */
static int flow_pkt_ipv6(const uint8_t *ip, uint32_t len, struct flow_pkt *k)
{
	uint32_t off = 40, plen;
	uint8_t nh;

	if (len < 40 || (ip[0] >> 4) != 6)
		return -EINVAL;
	/* the payload length, not the frame's (padding); 0: a jumbogram's
	 * or a segmentation offload's, unknown */
	plen = rd16(ip + 4);
	if (plen && 40u + plen < len)
		len = 40u + plen;
	k->family = 6;
	k->tos = (uint8_t)((ip[0] & 0xf) << 4 | ip[1] >> 4);
	k->src = ip + 8;
	k->dst = ip + 24;
	nh = ip[6];
	for (int i = 0; i < 4; i++) {
		if (nh == 0 || nh == 43 || nh == 60) {	/* hop, routing, dst */
			if (off + 8 > len)
				return -EINVAL;
			nh = ip[off];
			off += (uint32_t)(ip[off + 1] + 1) * 8;
		} else if (nh == 44) {			/* fragment */
			if (off + 8 > len)
				return -EINVAL;
			if (rd16(ip + off + 2) & 0xfff8) {
				k->proto = ip[off];
				return 0;	/* not the first: no ports */
			}
			nh = ip[off];
			off += 8;
		} else {
			break;
		}
	}
	k->proto = nh;
	if (off <= len)
		flow_pkt_ports(k, ip + off, len - off);
	return 0;
}

int flow_pkt_parse(const uint8_t *f, uint32_t len, struct flow_pkt *k)
{
	uint32_t off = ETH_HLEN;
	uint16_t type;

	memset(k, 0, sizeof(*k));
	if (len < ETH_HLEN)
		return -EINVAL;
	type = rd16(f + 12);
	if (type == ETHERTYPE_VLAN) {
		if (len < ETH_HLEN + 4)
			return -EINVAL;
		type = rd16(f + 16);
		off += 4;
	}
	if (type == ETHERTYPE_IPV4)
		return flow_pkt_ipv4(f + off, len - off, k);
	if (type == ETHERTYPE_IPV6)
		return flow_pkt_ipv6(f + off, len - off, k);
	return -EINVAL;
}

static bool flow_ip_match(const struct flow_ip *ip, const struct flow_pkt *k,
			  const uint8_t *addr)
{
	unsigned full = ip->plen / 8, rest = ip->plen % 8;

	if (ip->family != k->family)
		return false;
	if (memcmp(ip->addr, addr, full) != 0)
		return false;
	return rest == 0 ||
	       (addr[full] & (uint8_t)(0xff << (8 - rest))) == ip->addr[full];
}

bool flow_attrs_match(const struct flow_attrs *a, const struct flow_pkt *k,
		      enum flow_dir dir)
{
	const uint8_t *laddr = dir == FLOW_DIR_OUT ? k->src : k->dst;
	const uint8_t *raddr = dir == FLOW_DIR_OUT ? k->dst : k->src;
	uint16_t lport = dir == FLOW_DIR_OUT ? k->sport : k->dport;
	uint16_t rport = dir == FLOW_DIR_OUT ? k->dport : k->sport;
	uint32_t s = a->set;

	if (!k->family)
		return false;
	if ((s & A(FLOW_A_LOCAL_IP)) && !flow_ip_match(&a->local_ip, k, laddr))
		return false;
	if ((s & A(FLOW_A_REMOTE_IP)) &&
	    !flow_ip_match(&a->remote_ip, k, raddr))
		return false;
	if ((s & A(FLOW_A_TRANSPORT)) && a->proto != k->proto)
		return false;
	if ((s & A(FLOW_A_LOCAL_PORT)) &&
	    (!k->has_ports || a->local_port != lport))
		return false;
	if ((s & A(FLOW_A_REMOTE_PORT)) &&
	    (!k->has_ports || a->remote_port != rport))
		return false;
	if ((s & A(FLOW_A_DSFIELD)) && (k->tos & a->dsmask) != a->dsfield)
		return false;
	return true;
}

/* One rule against k, the usual combinations tested directly (a link's
 * rules share theirs, so the switch is predicted): the scan's inner loop. */
static bool flow_rule_match(const struct flow_attrs *a,
			    const struct flow_pkt *k, enum flow_dir dir,
			    uint16_t lport, uint16_t rport)
{
	switch (a->set) {
	case A(FLOW_A_TRANSPORT) | A(FLOW_A_LOCAL_PORT):
		return a->local_port == lport && a->proto == k->proto &&
		       k->has_ports;
	case A(FLOW_A_TRANSPORT) | A(FLOW_A_REMOTE_PORT):
		return a->remote_port == rport && a->proto == k->proto &&
		       k->has_ports;
	case A(FLOW_A_TRANSPORT):
		return a->proto == k->proto;
	default:
		return flow_attrs_match(a, k, dir);
	}
}

int flow_classify(const struct flow_attrs *rules, unsigned n,
		  const uint8_t *frame, uint32_t len, enum flow_dir dir)
{
	struct flow_pkt k;
	uint16_t lport, rport;

	if (n == 0 || flow_pkt_parse(frame, len, &k) < 0)
		return -1;
	lport = dir == FLOW_DIR_OUT ? k.sport : k.dport;
	rport = dir == FLOW_DIR_OUT ? k.dport : k.sport;
	for (unsigned i = 0; i < n; i++)
		if (flow_rule_match(&rules[i], &k, dir, lport, rport))
			return (int)i;
	return -1;
}
