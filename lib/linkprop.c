/*
 * Link names and VNIC link properties (include/xvm/linkprop.h): one
 * parser and one set of messages for vswitchd, vnicadm and xvm-install.
 * Names, values and texts follow illumos dladm (dladm.8, libdladm
 * linkprop.c) as REFERENCE.md "dladm -> vnicadm" records them. Each
 * property is a row of linkprop_descs: parse into a scratch copy, format,
 * default and possible values.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xvm/linkprop.h"
#include "xvm/units.h"

#define MTU_MIN		68
#define MTU_MAX		9000
#define MTU_DEFAULT	1500

struct linkprop_desc {
	const char *name;
	/* Parse value into p (a scratch copy); -errno with err filled. */
	int (*parse)(struct link_props *p, const char *value, char *err);
	/* The explicitly set value of p, as show-linkprop prints it. */
	int (*format)(const struct link_props *p, char *buf, size_t len);
	const char *def;	/* default, "--" when none */
	const char *possible;	/* "--" when not enumerable */
};

static const char *const prio_names[] = { "low", "medium", "high" };

static const struct {
	const char *name;
	uint32_t bit;
} prot_names[] = {
	{ "mac-nospoof", PROT_MAC_NOSPOOF },
	{ "ip-nospoof", PROT_IP_NOSPOOF },
	{ "restricted", PROT_RESTRICTED },
	{ "dhcp-nospoof", PROT_DHCP_NOSPOOF },
};

static int badval(char *err, const char *prop, const char *value)
{
	snprintf(err, LINKPROP_ERRLEN,
		 "invalid value '%.60s' for link property '%s'", value, prop);
	return -EINVAL;
}

bool linkname_valid(const char *name)
{
	size_t len, i, digits = 0;

	if (!name)
		return false;
	len = strnlen(name, LINKNAME_MAX);
	if (len == 0 || len >= LINKNAME_MAX)
		return false;
	if (!((name[0] >= 'a' && name[0] <= 'z') ||
	      (name[0] >= 'A' && name[0] <= 'Z')))
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.'))
			return false;
	}
	while (digits < len && name[len - 1 - digits] >= '0' &&
	       name[len - 1 - digits] <= '9')
		digits++;
	if (digits == 0)
		return false;
	/* "vnic0" is fine, "vnic01" has a leading zero in its number */
	return !(digits > 1 && name[len - digits] == '0');
}

/* A decimal number without sign, spaces or leading zeros, <= max. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (!s || !*s || (s[0] == '0' && s[1]))
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			return -ERANGE;
	}
	*out = v;
	return 0;
}

int vid_parse(const char *s, uint16_t *vid)
{
	unsigned long v;
	int ret = parse_uint(s, 4094, &v);

	if (ret < 0)
		return ret;
	if (v < 1)
		return -ERANGE;
	*vid = (uint16_t)v;
	return 0;
}

/* maxbw: dladm bandwidth syntax (units_parse_bw), at least 1200K. */
static int maxbw_parse(struct link_props *p, const char *value, char *err)
{
	uint64_t bps;
	int ret = units_parse_bw(value, &bps);

	if (ret == -ENOTSUP) {
		snprintf(err, LINKPROP_ERRLEN,
			 "percentages are not supported for maxbw ('%.60s')",
			 value);
		return ret;
	}
	if (ret < 0)
		return badval(err, "maxbw", value);
	if (bps < MAXBW_MIN_BPS) {
		snprintf(err, LINKPROP_ERRLEN,
			 "minimum value for maxbw is 1200K");
		return -ERANGE;
	}
	p->maxbw = bps;
	return 0;
}

static int maxbw_format(const struct link_props *p, char *buf, size_t len)
{
	return units_format_bw(p->maxbw, buf, len);
}

static int prio_parse(struct link_props *p, const char *value, char *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(prio_names); i++) {
		if (strcmp(value, prio_names[i]) == 0) {
			p->priority = (enum link_priority)i;
			return 0;
		}
	}
	snprintf(err, LINKPROP_ERRLEN,
		 "link property 'priority' must be one of: low,medium,high");
	return -EINVAL;
}

static int prio_format(const struct link_props *p, char *buf, size_t len)
{
	if ((unsigned)p->priority >= ARRAY_SIZE(prio_names))
		return -EINVAL;
	return snprintf(buf, len, "%s", prio_names[p->priority]) <
	       (int)len ? 0 : -ENOSPC;
}

static int prot_bit(const char *name, size_t n, uint32_t *bit)
{
	for (size_t i = 0; i < ARRAY_SIZE(prot_names); i++) {
		if (strlen(prot_names[i].name) == n &&
		    strncmp(name, prot_names[i].name, n) == 0) {
			*bit = prot_names[i].bit;
			return 0;
		}
	}
	return -EINVAL;
}

/* protection: a comma-separated list of the four protection names. */
static int prot_parse(struct link_props *p, const char *value, char *err)
{
	uint32_t bits = 0, bit;
	const char *s = value;

	for (;;) {
		size_t n = strcspn(s, ",");

		if (prot_bit(s, n, &bit) < 0) {
			snprintf(err, LINKPROP_ERRLEN,
				 "link property 'protection' must be one of: "
				 "mac-nospoof,ip-nospoof,restricted,"
				 "dhcp-nospoof");
			return -EINVAL;
		}
		bits |= bit;
		if (!s[n])
			break;
		s += n + 1;
	}
	p->protection = bits;
	return 0;
}

static int prot_format(const struct link_props *p, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(prot_names); i++) {
		int n;

		if (!(p->protection & prot_names[i].bit))
			continue;
		n = snprintf(buf + off, len - off, "%s%s", off ? "," : "",
			     prot_names[i].name);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return 0;
}

static uint32_t plen_mask(uint8_t plen)
{
	return plen ? htonl(~0u << (32 - plen)) : 0;
}

/* One "a.b.c.d" or "a.b.c.d/n" (no host bits set) of n bytes. */
static int ip_prefix_parse(const char *s, size_t n, struct ip_prefix *out)
{
	char tmp[32];
	char *slash;
	unsigned long plen = 32;
	struct in_addr a;

	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	slash = strchr(tmp, '/');
	if (slash) {
		*slash = '\0';
		if (parse_uint(slash + 1, 32, &plen) < 0)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, tmp, &a) != 1)
		return -EINVAL;
	if (a.s_addr & ~plen_mask((uint8_t)plen))
		return -EINVAL;
	out->addr = a.s_addr;
	out->plen = (uint8_t)plen;
	return 0;
}

/* allowed-ips: IPv4 addresses and CIDR prefixes, comma-separated. */
static int ips_parse(struct link_props *p, const char *value, char *err)
{
	struct ip_prefix ips[LINKPROP_MAX_IPS];
	unsigned int nr = 0;
	const char *s = value;

	for (;;) {
		size_t n = strcspn(s, ",");

		if (nr == LINKPROP_MAX_IPS) {
			snprintf(err, LINKPROP_ERRLEN,
				 "too many values for link property "
				 "'allowed-ips' (at most %d)",
				 LINKPROP_MAX_IPS);
			return -ERANGE;
		}
		if (ip_prefix_parse(s, n, &ips[nr]) < 0)
			return badval(err, "allowed-ips", value);
		nr++;
		if (!s[n])
			break;
		s += n + 1;
	}
	memcpy(p->allowed_ips, ips, sizeof(ips[0]) * nr);
	p->nr_allowed_ips = nr;
	return 0;
}

static int ips_format(const struct link_props *p, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (unsigned int i = 0; i < p->nr_allowed_ips &&
	     i < LINKPROP_MAX_IPS; i++) {
		const struct ip_prefix *ip = &p->allowed_ips[i];
		char a[INET_ADDRSTRLEN], pl[4] = "";
		int n;

		if (!inet_ntop(AF_INET, &ip->addr, a, sizeof(a)))
			return -EINVAL;
		if (ip->plen != 32)
			snprintf(pl, sizeof(pl), "%u", ip->plen);
		n = snprintf(buf + off, len - off, "%s%s%s%s", off ? "," : "",
			     a, pl[0] ? "/" : "", pl);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return 0;
}

static int mtu_parse(struct link_props *p, const char *value, char *err)
{
	unsigned long v;

	if (parse_uint(value, MTU_MAX, &v) < 0 || v < MTU_MIN)
		return badval(err, "mtu", value);
	p->mtu = (uint32_t)v;
	return 0;
}

static int mtu_format(const struct link_props *p, char *buf, size_t len)
{
	return snprintf(buf, len, "%u", p->mtu) < (int)len ? 0 : -ENOSPC;
}

/* cpus: "N", "N-M" items, comma-separated (dladm's cpus syntax). */
static int cpus_parse(struct link_props *p, const char *value, char *err)
{
	uint64_t set[LINKPROP_MAX_CPUS / 64] = { 0 };
	const char *s = value;

	for (;;) {
		size_t n = strcspn(s, ",");
		char item[32], *dash;
		unsigned long lo, hi;

		if (n == 0 || n >= sizeof(item))
			return badval(err, "cpus", value);
		memcpy(item, s, n);
		item[n] = '\0';
		dash = strchr(item, '-');
		if (dash)
			*dash = '\0';
		if (parse_uint(item, LINKPROP_MAX_CPUS - 1, &lo) < 0 ||
		    parse_uint(dash ? dash + 1 : item, LINKPROP_MAX_CPUS - 1,
			       &hi) < 0 || hi < lo)
			return badval(err, "cpus", value);
		for (unsigned long c = lo; c <= hi; c++)
			set[c / 64] |= 1ull << (c % 64);
		if (!s[n])
			break;
		s += n + 1;
	}
	memcpy(p->cpus, set, sizeof(set));
	return 0;
}

static bool cpu_isset(const struct link_props *p, unsigned c)
{
	return p->cpus[c / 64] & (1ull << (c % 64));
}

/* "0-3,6": runs of consecutive CPUs as ranges. */
static int cpus_format(const struct link_props *p, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (unsigned c = 0; c < LINKPROP_MAX_CPUS; c++) {
		unsigned end = c;
		int n;

		if (!cpu_isset(p, c))
			continue;
		while (end + 1 < LINKPROP_MAX_CPUS && cpu_isset(p, end + 1))
			end++;
		if (end == c)
			n = snprintf(buf + off, len - off, "%s%u",
				     off ? "," : "", c);
		else
			n = snprintf(buf + off, len - off, "%s%u-%u",
				     off ? "," : "", c, end);
		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
		c = end;
	}
	return 0;
}

/* Whether CPU c is online: /sys/devices/system/cpu/cpuN/online says
 * (absent for a CPU that cannot go offline, such as cpu0); no cpuN
 * directory: the host has no such CPU. */
static bool cpu_online(unsigned c)
{
	char path[64], v = '1';
	FILE *f;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u", c);
	f = fopen(path, "re");	/* a directory opens for reading */
	if (!f)
		return false;
	fclose(f);
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/online",
		 c);
	f = fopen(path, "re");
	if (f) {
		if (fread(&v, 1, 1, f) != 1)
			v = '0';
		fclose(f);
	}
	return v == '1';
}

int linkprop_cpus_check(const struct link_props *p,
			char err[LINKPROP_ERRLEN])
{
	if (!(p->set & (1u << LINKPROP_CPUS)))
		return 0;
	for (unsigned c = 0; c < LINKPROP_MAX_CPUS; c++) {
		if (cpu_isset(p, c) && !cpu_online(c)) {
			snprintf(err, LINKPROP_ERRLEN, "CPU %u is not online",
				 c);
			return -EINVAL;
		}
	}
	return 0;
}

/* pmd: a PMD index, 0..LINKPROP_PMD_MAX. */
static int pmd_parse(struct link_props *p, const char *value, char *err)
{
	unsigned long v;

	if (parse_uint(value, LINKPROP_PMD_MAX, &v) < 0)
		return badval(err, "pmd", value);
	p->pmd = (uint32_t)v;
	return 0;
}

static int pmd_format(const struct link_props *p, char *buf, size_t len)
{
	return snprintf(buf, len, "%u", p->pmd) < (int)len ? 0 : -ENOSPC;
}

static const struct linkprop_desc linkprop_descs[LINKPROP_COUNT] = {
	[LINKPROP_MAXBW] = { "maxbw", maxbw_parse, maxbw_format, "--", "--" },
	[LINKPROP_PRIORITY] = { "priority", prio_parse, prio_format, "high",
				"low,medium,high" },
	[LINKPROP_PROTECTION] = { "protection", prot_parse, prot_format, "--",
				  "mac-nospoof,ip-nospoof,restricted,"
				  "dhcp-nospoof" },
	[LINKPROP_ALLOWED_IPS] = { "allowed-ips", ips_parse, ips_format,
				   "--", "--" },
	[LINKPROP_MTU] = { "mtu", mtu_parse, mtu_format, "1500", "68-9000" },
	[LINKPROP_CPUS] = { "cpus", cpus_parse, cpus_format, "--", "--" },
	[LINKPROP_PMD] = { "pmd", pmd_parse, pmd_format, "--", "--" },
};

void link_props_init(struct link_props *p)
{
	memset(p, 0, sizeof(*p));
	p->priority = LINK_PRIO_HIGH;
	p->mtu = MTU_DEFAULT;
}

int linkprop_lookup(const char *name)
{
	if (!name)
		return -EINVAL;
	for (int i = 0; i < LINKPROP_COUNT; i++)
		if (strcmp(name, linkprop_descs[i].name) == 0)
			return i;
	return -EINVAL;
}

const char *linkprop_name(enum linkprop_id id)
{
	return (unsigned)id < LINKPROP_COUNT ? linkprop_descs[id].name : NULL;
}

static int unknown_prop(char *err, const char *name)
{
	snprintf(err, LINKPROP_ERRLEN, "invalid link property '%.60s'",
		 name ? name : "");
	return -EINVAL;
}

int linkprop_set(struct link_props *p, const char *name, const char *value,
		 char err[LINKPROP_ERRLEN])
{
	struct link_props tmp = *p;
	int id = linkprop_lookup(name);
	int ret;

	if (id < 0)
		return unknown_prop(err, name);
	if (!value || !*value) {
		snprintf(err, LINKPROP_ERRLEN,
			 "no value specified for link property '%s'", name);
		return -EINVAL;
	}
	ret = linkprop_descs[id].parse(&tmp, value, err);
	if (ret < 0)
		return ret;
	tmp.set |= 1u << id;
	*p = tmp;
	return 0;
}

int linkprop_reset(struct link_props *p, const char *name,
		   char err[LINKPROP_ERRLEN])
{
	struct link_props def;
	int id = linkprop_lookup(name);

	if (id < 0)
		return unknown_prop(err, name);
	link_props_init(&def);
	switch (id) {
	case LINKPROP_MAXBW:
		p->maxbw = def.maxbw;
		break;
	case LINKPROP_PRIORITY:
		p->priority = def.priority;
		break;
	case LINKPROP_PROTECTION:
		p->protection = def.protection;
		break;
	case LINKPROP_ALLOWED_IPS:
		memset(p->allowed_ips, 0, sizeof(p->allowed_ips));
		p->nr_allowed_ips = 0;
		break;
	case LINKPROP_MTU:
		p->mtu = def.mtu;
		break;
	case LINKPROP_CPUS:
		memset(p->cpus, 0, sizeof(p->cpus));
		break;
	case LINKPROP_PMD:
		p->pmd = 0;
		break;
	}
	p->set &= ~(1u << id);
	return 0;
}

size_t linkprop_item_len(const char *list)
{
	size_t n = strcspn(list, ",");

	while (list[n] == ',') {
		size_t next = strcspn(list + n + 1, ",");

		if (memchr(list + n + 1, '=', next))
			break;
		n += 1 + next;
	}
	return n;
}

/* Apply one "prop=value" item of n bytes; refuse a property given twice
 * (seen collects the ones already applied). */
static int linkprop_set_item(struct link_props *p, const char *item,
			     size_t n, uint32_t *seen, char *err)
{
	char buf[512];
	char *eq;
	int id;

	if (n >= sizeof(buf)) {
		snprintf(err, LINKPROP_ERRLEN, "link property list too long");
		return -EINVAL;
	}
	memcpy(buf, item, n);
	buf[n] = '\0';
	eq = strchr(buf, '=');
	if (eq)
		*eq = '\0';
	id = linkprop_lookup(buf);
	if (id < 0)
		return unknown_prop(err, buf);
	if (*seen & (1u << id)) {
		snprintf(err, LINKPROP_ERRLEN,
			 "link property '%.60s' specified more than once",
			 buf);
		return -EINVAL;
	}
	*seen |= 1u << id;
	return linkprop_set(p, buf, eq ? eq + 1 : NULL, err);
}

int linkprop_set_list(struct link_props *p, const char *list,
		      char err[LINKPROP_ERRLEN])
{
	struct link_props tmp = *p;
	uint32_t seen = 0;
	const char *s = list;
	int ret;

	if (!list || !*list) {
		snprintf(err, LINKPROP_ERRLEN, "no link property specified");
		return -EINVAL;
	}
	for (;;) {
		size_t n = linkprop_item_len(s);

		ret = linkprop_set_item(&tmp, s, n, &seen, err);
		if (ret < 0)
			return ret;
		if (!s[n])
			break;
		s += n + 1;
	}
	*p = tmp;
	return 0;
}

int linkprop_format(const struct link_props *p, enum linkprop_id id,
		    char *buf, size_t len)
{
	if ((unsigned)id >= LINKPROP_COUNT || !buf || len == 0)
		return -EINVAL;
	if (!(p->set & (1u << id))) {
		buf[0] = '\0';
		return 0;
	}
	return linkprop_descs[id].format(p, buf, len);
}

const char *linkprop_default_str(enum linkprop_id id)
{
	return (unsigned)id < LINKPROP_COUNT ? linkprop_descs[id].def : NULL;
}

const char *linkprop_possible_str(enum linkprop_id id)
{
	return (unsigned)id < LINKPROP_COUNT ?
	       linkprop_descs[id].possible : NULL;
}

bool link_props_ip_allowed(const struct link_props *p, uint32_t addr)
{
	for (unsigned int i = 0; i < p->nr_allowed_ips &&
	     i < LINKPROP_MAX_IPS; i++) {
		uint32_t mask = plen_mask(p->allowed_ips[i].plen);

		if ((addr & mask) == (p->allowed_ips[i].addr & mask))
			return true;
	}
	return false;
}
