/*
 * libvirt domain XML (https://libvirt.org/formatdomain.html) for xvm: parse
 * the accepted subset (domxml.h) with libxml2 into struct dom_config, and
 * format it back. One handler per top-level element, in a table; anything
 * not listed is refused with its name so a user sees what we do not run.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "xvm/linkprop.h"
#include "xvm/units.h"
#include "xvm/xmlread.h"
#include "domxml.h"
#include "sched.h"

struct domxml_ctx {
	struct dom_config *cfg;
	char *err;
	size_t errlen;
	bool have_uuid, have_mem, have_vcpu, have_os, have_name;
	bool have_lifecycle;
};

PRINTF(2, 3)
static int domxml_fail(struct domxml_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool domxml_is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static bool domxml_same_ns(const xmlNode *a, const xmlNode *b)
{
	const xmlChar *x = a->ns ? a->ns->href : NULL;
	const xmlChar *y = b->ns ? b->ns->href : NULL;

	return x == y || (x && y && !strcmp((const char *)x, (const char *)y));
}

/* n may appear only once in its parent (libvirt's schema): refused,
 * naming it (with the parent's name when nested), if an earlier sibling
 * is the same element. Otherwise the last would silently win and the
 * definition differ from what the user reads in the document. The scan
 * runs once per kind of element, so it stays linear. */
static int domxml_once(struct domxml_ctx *c, const xmlNode *n)
{
	const xmlNode *p;
	bool top = n->parent && n->parent->parent &&
		   n->parent->parent->type == XML_DOCUMENT_NODE;

	for (p = n->prev; p; p = p->prev)
		if (p->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)p->name, (const char *)n->name) &&
		    domxml_same_ns(p, n))
			return domxml_fail(c, "element '%s%s%s' may appear only "
					   "once", top ? "" : (const char *)
					   n->parent->name, top ? "" : "/",
					   n->name);
	return 0;
}

/* An attribute's value (malloc'd by libxml2, xmlFree) or NULL. */
static char *domxml_attr(const xmlNode *n, const char *name)
{
	return (char *)xmlGetNoNsProp((xmlNode *)n, (const xmlChar *)name);
}

/* Copy an element's text into buf; error if it does not fit. Only the
 * element's own text: nothing is expanded (xmlread.h). */
static int domxml_text(struct domxml_ctx *c, const xmlNode *n, char *buf,
		       size_t len)
{
	char *t = xmlread_text(n);
	int rc = 0;

	if (!t && errno == EINVAL)
		return domxml_fail(c, "element '%s' must hold text only",
				   n->name);
	if (!t)
		return domxml_fail(c, "out of memory reading '%s'", n->name);
	if (strlen(t) >= len)
		rc = domxml_fail(c, "element '%s' is too long", n->name);
	else
		strcpy(buf, t);
	free(t);
	return rc;
}

/* Copy an attribute into buf (required or not). 1 found, 0 absent. */
static int domxml_attr_copy(struct domxml_ctx *c, const xmlNode *n,
			    const char *name, char *buf, size_t len,
			    bool required)
{
	char *v = domxml_attr(n, name);
	int rc = 1;

	if (!v)
		return required ? domxml_fail(c, "element '%s' needs attribute '%s'",
					      n->name, name) : 0;
	if (strlen(v) >= len)
		rc = domxml_fail(c, "attribute '%s' of '%s' is too long",
				 name, n->name);
	else
		strcpy(buf, v);
	xmlFree(v);
	return rc;
}

static int domxml_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	while (*s == ' ' || *s == '\n' || *s == '\t')
		s++;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	while (*end == ' ' || *end == '\n' || *end == '\t')
		end++;
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

/* An element's text as an unsigned number in [min, max]. */
static int domxml_num(struct domxml_ctx *c, const xmlNode *n, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	char buf[32];
	int rc = domxml_text(c, n, buf, sizeof(buf));

	if (rc < 0)
		return rc;
	if (domxml_u64(buf, out) < 0 || *out < min || *out > max)
		return domxml_fail(c, "invalid value '%s' for '%s' (%llu-%llu)",
				   buf, n->name, (unsigned long long)min,
				   (unsigned long long)max);
	return 0;
}

static int domxml_attr_num(struct domxml_ctx *c, const xmlNode *n,
			   const char *name, uint64_t min, uint64_t max,
			   uint64_t *out)
{
	char buf[32];
	int rc = domxml_attr_copy(c, n, name, buf, sizeof(buf), false);

	if (rc <= 0)
		return rc;
	if (domxml_u64(buf, out) < 0 || *out < min || *out > max)
		return domxml_fail(c, "invalid value '%s' for attribute '%s' of '%s'",
				   buf, name, n->name);
	return 1;
}

/* Append element n, serialized with the namespaces it uses declared on
 * it, to buf (len bytes, "" or earlier elements): what is kept verbatim
 * and given back by dumpxml. */
static int domxml_keep(struct domxml_ctx *c, const xmlNode *n, char *buf,
		       size_t len)
{
	size_t used = strlen(buf), add;
	xmlDoc *doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *copy = doc ? xmlDocCopyNode((xmlNode *)n, doc, 1) : NULL;
	xmlBuffer *b = xmlBufferCreate();
	int rc = 0;

	if (!copy || !b) {
		rc = domxml_fail(c, "out of memory keeping '%s'", n->name);
		goto out;
	}
	xmlDocSetRootElement(doc, copy);
	xmlReconciliateNs(doc, copy);
	xmlNodeDump(b, doc, copy, 0, 0);
	add = (size_t)xmlBufferLength(b);
	if (used + add + 1 > len)
		rc = domxml_fail(c, "element '%s' is too long to keep (at most "
				 "%zu bytes)", n->name, len - 1);
	else
		memcpy(buf + used, xmlBufferContent(b), add + 1);
out:
	if (b)
		xmlBufferFree(b);
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}

bool domxml_name_ok(const char *name)
{
	size_t i, len = strlen(name);

	/* no leading '.': ".", ".." and hidden files stay out of paths */
	if (len == 0 || len > DOM_NAME_MAX || name[0] == '.' ||
	    !strcmp(name, "Domain-0"))
		return false;
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-'))
			return false;
	}
	return true;
}

void domxml_uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
		 u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
}

static int domxml_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* 32 hex digits, dashes allowed between byte pairs (libvirt accepts both). */
int domxml_uuid_parse(const char *s, uint8_t uuid[16])
{
	int i = 0;

	while (*s == ' ')
		s++;
	while (i < 16) {
		int hi, lo;

		if (*s == '-') {
			s++;
			continue;
		}
		hi = domxml_hex(s[0]);
		lo = hi < 0 ? -1 : domxml_hex(s[1]);
		if (lo < 0)
			return -EINVAL;
		uuid[i++] = (uint8_t)(hi << 4 | lo);
		s += 2;
	}
	while (*s == ' ')
		s++;
	return *s ? -EINVAL : 0;
}

const char *domxml_action_name(enum dom_action a)
{
	switch (a) {
	case DOM_ACT_RESTART:	return "restart";
	case DOM_ACT_PRESERVE:	return "preserve";
	default:		return "destroy";
	}
}

int domxml_cpuset_parse(const char *s, uint64_t *mask)
{
	uint64_t m = 0;

	while (*s) {
		bool neg = *s == '^';
		unsigned long a, b;
		char *end;

		if (neg)
			s++;
		if (*s < '0' || *s > '9')
			return -EINVAL;
		a = strtoul(s, &end, 10);
		b = a;
		if (*end == '-' && !neg) {
			s = end + 1;
			if (*s < '0' || *s > '9')
				return -EINVAL;
			b = strtoul(s, &end, 10);
		}
		if (a > 63 || b > 63 || b < a)
			return -EINVAL;
		for (; a <= b; a++)
			m = neg ? m & ~(1ull << a) : m | 1ull << a;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -EINVAL;
	}
	if (!m)
		return -EINVAL;
	*mask = m;
	return 0;
}

void domxml_cpuset_format(uint64_t mask, char *buf, size_t len)
{
	size_t off = 0;
	int i = 0;

	buf[0] = 0;
	while (i < 64) {
		int j;

		if (!(mask >> i & 1)) {
			i++;
			continue;
		}
		for (j = i; j + 1 < 64 && (mask >> (j + 1) & 1); j++)
			;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%d",
				off ? "," : "", i);
		if (j > i)
			off += snprintf(buf + off, off < len ? len - off : 0,
					"-%d", j);
		i = j + 1;
	}
}

/* ---- top-level elements ---- */

static int domxml_name(struct domxml_ctx *c, const xmlNode *n)
{
	int rc = domxml_text(c, n, c->cfg->name, sizeof(c->cfg->name));

	if (rc < 0)
		return domxml_fail(c, "invalid domain name (1-%d characters of "
				   "letters, digits, '.', '_', '-')", DOM_NAME_MAX);
	if (!domxml_name_ok(c->cfg->name))
		return domxml_fail(c, "invalid domain name '%s' (1-%d characters "
				   "of letters, digits, '.', '_', '-'; not Domain-0)",
				   c->cfg->name, DOM_NAME_MAX);
	c->have_name = true;
	return 0;
}

static int domxml_uuid(struct domxml_ctx *c, const xmlNode *n)
{
	char buf[64];
	int rc = domxml_text(c, n, buf, sizeof(buf));

	if (rc < 0)
		return rc;
	if (domxml_uuid_parse(buf, c->cfg->uuid) < 0)
		return domxml_fail(c, "malformed uuid '%s'", buf);
	c->have_uuid = true;
	return 0;
}

static int domxml_title(struct domxml_ctx *c, const xmlNode *n)
{
	return domxml_text(c, n, c->cfg->title, sizeof(c->cfg->title));
}

static int domxml_description(struct domxml_ctx *c, const xmlNode *n)
{
	return domxml_text(c, n, c->cfg->description,
			   sizeof(c->cfg->description));
}

/* <memory unit='KiB'>N</memory>: libvirt's units (its scaling table:
 * powers of 1000 for "KB".."EB", of 1024 for the rest), to KiB; at most
 * DOM_MEM_MAX_KIB (1 TiB) whatever the unit. */
static int domxml_mem_value(struct domxml_ctx *c, const xmlNode *n,
			    uint64_t *kib)
{
	static const struct { const char *u; uint64_t mul, div; } units[] = {
		{ "b", 1, 1024 }, { "bytes", 1, 1024 },
		{ "KB", 1000, 1024 }, { "k", 1, 1 }, { "KiB", 1, 1 },
		{ "MB", 1000000, 1024 }, { "M", 1024, 1 }, { "MiB", 1024, 1 },
		{ "GB", 1000000000, 1024 }, { "G", 1 << 20, 1 },
		{ "GiB", 1 << 20, 1 },
		{ "TB", 1000000000000ull, 1024 }, { "T", 1ull << 30, 1 },
		{ "TiB", 1ull << 30, 1 },
		{ "PB", 1000000000000000ull, 1024 }, { "P", 1ull << 40, 1 },
		{ "PiB", 1ull << 40, 1 },
		{ "EB", 1000000000000000000ull, 1024 }, { "E", 1ull << 50, 1 },
		{ "EiB", 1ull << 50, 1 },
	};
	char unit[16] = "KiB";
	uint64_t v;
	size_t i;
	int rc = domxml_attr_copy(c, n, "unit", unit, sizeof(unit), false);

	if (rc < 0)
		return rc;
	rc = domxml_num(c, n, 1, UINT64_MAX / 1000000000, &v);
	if (rc < 0)
		return rc;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(unit, units[i].u))
			break;
	if (i == ARRAY_SIZE(units))
		return domxml_fail(c, "unknown memory unit '%s'", unit);
	/* no wrap-around: 2^34+1 TiB must not come out as 1 TiB */
	if (v > UINT64_MAX / units[i].mul)
		return domxml_fail(c, "%s must be between 1 MiB and 1 TiB",
				   n->name);
	v = v * units[i].mul / units[i].div;
	if (v < 1024 || v > DOM_MEM_MAX_KIB)
		return domxml_fail(c, "%s must be between 1 MiB and 1 TiB",
				   n->name);
	*kib = v;
	return 0;
}

static int domxml_memory(struct domxml_ctx *c, const xmlNode *n)
{
	c->have_mem = true;
	return domxml_mem_value(c, n, &c->cfg->max_kib);
}

static int domxml_current_memory(struct domxml_ctx *c, const xmlNode *n)
{
	return domxml_mem_value(c, n, &c->cfg->cur_kib);
}

static int domxml_vcpu(struct domxml_ctx *c, const xmlNode *n)
{
	char set[128];
	uint64_t v, cur;
	int rc = domxml_num(c, n, 1, DOM_MAX_VCPUS, &v);

	if (rc < 0)
		return rc;
	c->cfg->vcpus_max = c->cfg->vcpus = (unsigned int)v;
	rc = domxml_attr_num(c, n, "current", 1, v, &cur);
	if (rc < 0)
		return rc;
	if (rc)
		c->cfg->vcpus = (unsigned int)cur;
	rc = domxml_attr_copy(c, n, "cpuset", set, sizeof(set), false);
	if (rc < 0)
		return rc;
	if (rc && domxml_cpuset_parse(set, &c->cfg->cpuset) < 0)
		return domxml_fail(c, "invalid cpuset '%s'", set);
	c->have_vcpu = true;
	return 0;
}

static int domxml_vcpupin(struct domxml_ctx *c, const xmlNode *n)
{
	char set[128];
	uint64_t v;
	int rc = domxml_attr_num(c, n, "vcpu", 0, DOM_MAX_VCPUS - 1, &v);

	if (rc == 0)
		return domxml_fail(c, "vcpupin needs attribute 'vcpu'");
	if (rc < 0)
		return rc;
	rc = domxml_attr_copy(c, n, "cpuset", set, sizeof(set), true);
	if (rc < 0)
		return rc;
	if (domxml_cpuset_parse(set, &c->cfg->vcpupin[v]) < 0)
		return domxml_fail(c, "invalid cpuset '%s'", set);
	return 0;
}

/* <cputune>: shares = credit weight, quota/period = cap, vcpupin. */
static int domxml_cputune(struct domxml_ctx *c, const xmlNode *n)
{
	uint64_t quota = 0, period = DOM_QUOTA_PERIOD, v;
	int rc = 0;

	for (n = n->children; n && rc == 0; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!domxml_is(n, "vcpupin") && (rc = domxml_once(c, n)) < 0)
			break;
		if (domxml_is(n, "shares")) {
			rc = domxml_num(c, n, 1, 65536, &v);
			c->cfg->weight = (unsigned int)v;
		} else if (domxml_is(n, "quota")) {
			rc = domxml_num(c, n, 0, 64ull * 1000000, &quota);
		} else if (domxml_is(n, "period")) {
			rc = domxml_num(c, n, 1000, 1000000, &period);
		} else if (domxml_is(n, "vcpupin")) {
			rc = domxml_vcpupin(c, n);
		} else {
			rc = domxml_fail(c, "unsupported element 'cputune/%s'",
					 n->name);
		}
	}
	if (rc == 0 && quota && quota * 100 / period > SCHED_CAP_MAX)
		return domxml_fail(c, "cputune quota %llu per period %llu is a "
				   "cap above %d%%", (unsigned long long)quota,
				   (unsigned long long)period, SCHED_CAP_MAX);
	if (rc == 0 && quota)
		c->cfg->cap = (unsigned int)MAX(1, quota * 100 / period);
	return rc;
}

static int domxml_os_type(struct domxml_ctx *c, const xmlNode *n)
{
	char arch[16];
	int rc = domxml_text(c, n, c->cfg->os_type, sizeof(c->cfg->os_type));

	if (rc < 0)
		return rc;
	if (!strcmp(c->cfg->os_type, "linux"))	/* libvirt's old PV name */
		strncpy(c->cfg->os_type, "xen", sizeof(c->cfg->os_type));
	if (strcmp(c->cfg->os_type, "xen") && strcmp(c->cfg->os_type, "hvm"))
		return domxml_fail(c, "unsupported os type '%s' (xen or hvm)",
				   c->cfg->os_type);
	rc = domxml_attr_copy(c, n, "arch", arch, sizeof(arch), false);
	if (rc > 0 && strcmp(arch, "x86_64"))
		return domxml_fail(c, "unsupported architecture '%s'", arch);
	return rc < 0 ? rc : 0;
}

/* <boot dev='hd|cdrom|network|fd'/>: kept in order, given back; hv boots
 * the <kernel> whatever it says. */
static int domxml_os_boot(struct domxml_ctx *c, const xmlNode *n)
{
	static const char *const devs[] = { "hd", "cdrom", "network", "fd" };
	char dev[16];
	size_t i, nb;
	int rc = domxml_attr_copy(c, n, "dev", dev, sizeof(dev), true);

	if (rc < 0)
		return rc;
	for (i = 0; i < ARRAY_SIZE(devs); i++)
		if (!strcmp(dev, devs[i]))
			break;
	if (i == ARRAY_SIZE(devs))
		return domxml_fail(c, "invalid boot device '%s' (hd, cdrom, "
				   "network, fd)", dev);
	for (nb = 0; nb < DOM_MAX_BOOT && c->cfg->boot[nb][0]; nb++)
		;
	if (nb == DOM_MAX_BOOT)
		return domxml_fail(c, "too many boot devices (at most %d)",
				   DOM_MAX_BOOT);
	strcpy(c->cfg->boot[nb], dev);
	return 0;
}

static int domxml_os(struct domxml_ctx *c, const xmlNode *n)
{
	struct dom_config *cfg = c->cfg;
	int rc = 0;

	for (n = n->children; n && rc == 0; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!domxml_is(n, "boot") && (rc = domxml_once(c, n)) < 0)
			break;
		if (domxml_is(n, "type"))
			rc = domxml_os_type(c, n);
		else if (domxml_is(n, "kernel"))
			rc = domxml_text(c, n, cfg->kernel, sizeof(cfg->kernel));
		else if (domxml_is(n, "initrd"))
			rc = domxml_text(c, n, cfg->initrd, sizeof(cfg->initrd));
		else if (domxml_is(n, "cmdline"))
			rc = domxml_text(c, n, cfg->cmdline, sizeof(cfg->cmdline));
		else if (domxml_is(n, "boot"))
			rc = domxml_os_boot(c, n);
		else
			rc = domxml_fail(c, "unsupported element 'os/%s'", n->name);
	}
	if (rc == 0 && !cfg->os_type[0])
		return domxml_fail(c, "missing element 'os/type'");
	if (rc == 0 && !cfg->kernel[0])
		return domxml_fail(c, "missing element 'os/kernel' (xvm boots "
				   "a kernel file)");
	c->have_os = true;
	return rc;
}

static int domxml_action(struct domxml_ctx *c, const xmlNode *n,
			 enum dom_action *a)
{
	char buf[32];
	int rc = domxml_text(c, n, buf, sizeof(buf));

	if (rc < 0)
		return rc;
	if (!strcmp(buf, "destroy"))
		*a = DOM_ACT_DESTROY;
	else if (!strcmp(buf, "restart"))
		*a = DOM_ACT_RESTART;
	else if (!strcmp(buf, "preserve"))
		*a = DOM_ACT_PRESERVE;
	else
		return domxml_fail(c, "invalid value '%s' for '%s' "
				   "(destroy, restart, preserve)", buf, n->name);
	return 0;
}

static int domxml_on_poweroff(struct domxml_ctx *c, const xmlNode *n)
{
	return domxml_action(c, n, &c->cfg->on_poweroff);
}

static int domxml_on_reboot(struct domxml_ctx *c, const xmlNode *n)
{
	return domxml_action(c, n, &c->cfg->on_reboot);
}

static int domxml_on_crash(struct domxml_ctx *c, const xmlNode *n)
{
	return domxml_action(c, n, &c->cfg->on_crash);
}

/* <xvm:lifecycle on_xend_stop='ignore|shutdown'/> */
static int domxml_lifecycle(struct domxml_ctx *c, const xmlNode *n)
{
	char v[16];
	int rc = domxml_attr_copy(c, n, "on_xend_stop", v, sizeof(v), true);

	if (rc < 0)
		return rc;
	if (c->have_lifecycle)	/* at the top level or in <metadata> */
		return domxml_fail(c, "element 'xvm:lifecycle' may appear "
				   "only once");
	c->have_lifecycle = true;
	if (!strcmp(v, "ignore"))
		c->cfg->leave_running = true;
	else if (!strcmp(v, "shutdown"))
		c->cfg->leave_running = false;
	else
		return domxml_fail(c, "invalid on_xend_stop '%s' (ignore or "
				   "shutdown)", v);
	return 0;
}

/* <features>, <clock>, <cpu>: no meaning for an hv guest (ACPI tables,
 * the RTC offset and the CPUID model are hv's own); kept verbatim so
 * virt-manager's XML round-trips, not honoured (domxml.h). */
static int domxml_features(struct domxml_ctx *c, const xmlNode *n)
{
	return domxml_keep(c, n, c->cfg->features, sizeof(c->cfg->features));
}

static int domxml_clock(struct domxml_ctx *c, const xmlNode *n)
{
	return domxml_keep(c, n, c->cfg->clock, sizeof(c->cfg->clock));
}

static int domxml_cpu(struct domxml_ctx *c, const xmlNode *n)
{
	return domxml_keep(c, n, c->cfg->cpu, sizeof(c->cfg->cpu));
}

/* <metadata>: xvm's lifecycle setting is read; every other child, each in
 * its own namespace as libvirt requires, is kept verbatim. */
static int domxml_metadata(struct domxml_ctx *c, const xmlNode *n)
{
	int rc = 0;

	for (n = n->children; n && rc == 0; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!n->ns || !n->ns->href)
			rc = domxml_fail(c, "metadata element '%s' needs a "
					 "namespace", n->name);
		else if (!strcmp((const char *)n->ns->href, DOMXML_NS) &&
			 domxml_is(n, "lifecycle"))
			rc = domxml_lifecycle(c, n);
		else if (!strcmp((const char *)n->ns->href, DOMXML_NS))
			rc = domxml_fail(c, "unsupported element 'xvm:%s'",
					 n->name);
		else
			rc = domxml_keep(c, n, c->cfg->metadata,
					 sizeof(c->cfg->metadata));
	}
	return rc;
}

/* ---- <devices> ---- */

static int domxml_nic_bandwidth(struct domxml_ctx *c, const xmlNode *n,
				struct dom_nic *nic)
{
	uint64_t v;
	int rc = 0;

	for (n = n->children; n && rc >= 0; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!domxml_is(n, "inbound") && !domxml_is(n, "outbound"))
			return domxml_fail(c, "unsupported element 'bandwidth/%s'",
					   n->name);
		if ((rc = domxml_once(c, n)) < 0)
			return rc;
		rc = domxml_attr_num(c, n, "average", 1, UINT32_MAX, &v);
		if (rc == 0)
			return domxml_fail(c, "bandwidth/%s needs 'average'",
					   n->name);
		/* KB/s onto maxbw, whose minimum vswitchd enforces */
		if (rc > 0 && v * 8000 < MAXBW_MIN_BPS)
			return domxml_fail(c, "bandwidth/%s average %llu KB/s is "
					   "below the minimum of %llu (1200K)",
					   n->name, (unsigned long long)v,
					   MAXBW_MIN_BPS / 8000);
		if (domxml_is(n, "inbound"))
			nic->inbound_kBps = v;
		else
			nic->outbound_kBps = v;
	}
	return rc < 0 ? rc : 0;
}

static int domxml_nic_vlan(struct domxml_ctx *c, const xmlNode *n,
			   struct dom_nic *nic)
{
	uint64_t v;
	int rc;

	for (n = n->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!domxml_is(n, "tag") || nic->vlan)
			return domxml_fail(c, "only one <vlan><tag id=/> is supported");
		rc = domxml_attr_num(c, n, "id", 1, 4094, &v);
		if (rc == 0)
			return domxml_fail(c, "vlan tag needs 'id'");
		if (rc < 0)
			return domxml_fail(c, "invalid VLAN identifier (1-4094)");
		nic->vlan = (unsigned int)v;
	}
	return 0;
}

/* <mtu size=>: the VNIC's mtu, which the guest reads from its NIC
 * (hv --net mtu=). */
static int domxml_nic_mtu(struct domxml_ctx *c, const xmlNode *n,
			  struct dom_nic *nic)
{
	uint64_t v;
	int rc = domxml_attr_num(c, n, "size", 68, 9000, &v);

	if (rc == 0)
		return domxml_fail(c, "interface mtu needs 'size'");
	if (rc < 0)
		return rc;
	nic->mtu = (unsigned int)v;
	return 0;
}

static int domxml_nic_mac(struct domxml_ctx *c, const xmlNode *n,
			  struct dom_nic *nic)
{
	char buf[32];
	int rc = domxml_attr_copy(c, n, "address", buf, sizeof(buf), true);

	if (rc < 0)
		return rc;
	if (mac_parse(buf, &nic->mac) < 0 || !mac_is_unicast(&nic->mac))
		return domxml_fail(c, "invalid MAC address '%s'", buf);
	nic->has_mac = true;
	return 0;
}

/* <source bridge=> (or network= for type='network'): a vswitchd link name
 * (lib/linkprop.c rules). */
static int domxml_nic_source(struct domxml_ctx *c, const xmlNode *n,
			     struct dom_nic *nic)
{
	const char *attr = nic->network ? "network" : "bridge";
	int rc = domxml_attr_copy(c, n, attr, nic->bridge,
				  sizeof(nic->bridge), true);

	if (rc < 0)
		return rc;
	if (!linkname_valid(nic->bridge) && nic->network)
		return domxml_fail(c, "invalid link name '%s' in source network: "
				   "xvm has no libvirt networks, the name is "
				   "that of a vswitchd link (letters then a "
				   "number, e.g. stub0)", nic->bridge);
	if (!linkname_valid(nic->bridge))
		return domxml_fail(c, "invalid link name '%s' in source bridge",
				   nic->bridge);
	return 0;
}

static int domxml_nic_child(struct domxml_ctx *c, const xmlNode *n,
			    struct dom_nic *nic)
{
	char dummy[32];
	int rc = domxml_once(c, n);

	if (rc < 0)
		return rc;
	if (domxml_is(n, "source"))
		return domxml_nic_source(c, n, nic);
	if (domxml_is(n, "mac"))
		return domxml_nic_mac(c, n, nic);
	if (domxml_is(n, "target"))	/* live name, assigned at start */
		return domxml_attr_copy(c, n, "dev", dummy, sizeof(dummy), false);
	if (domxml_is(n, "vlan"))
		return domxml_nic_vlan(c, n, nic);
	if (domxml_is(n, "bandwidth"))
		return domxml_nic_bandwidth(c, n, nic);
	if (domxml_is(n, "mtu"))
		return domxml_nic_mtu(c, n, nic);
	if (domxml_is(n, "model")) {
		rc = domxml_attr_copy(c, n, "type", nic->model,
				      sizeof(nic->model), true);

		if (rc > 0 && strcmp(nic->model, "virtio"))
			return domxml_fail(c, "unsupported NIC model '%s' "
					   "(virtio)", nic->model);
		return rc;
	}
	return domxml_fail(c, "unsupported element 'interface/%s'", n->name);
}

static int domxml_interface(struct domxml_ctx *c, const xmlNode *n)
{
	struct dom_nic *nic;
	char type[16];
	int rc;

	if (c->cfg->nnics >= DOM_MAX_NICS)
		return domxml_fail(c, "too many interfaces (at most %d)",
				   DOM_MAX_NICS);
	nic = &c->cfg->nics[c->cfg->nnics];
	rc = domxml_attr_copy(c, n, "type", type, sizeof(type), true);
	if (rc < 0)
		return rc;
	if (strcmp(type, "bridge") && strcmp(type, "network"))
		return domxml_fail(c, "unsupported interface type '%s' (bridge, "
				   "or network naming a vswitchd link)", type);
	nic->network = !strcmp(type, "network");
	for (n = n->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		rc = domxml_nic_child(c, n, nic);
		if (rc < 0)
			return rc;
	}
	if (!nic->bridge[0])
		return domxml_fail(c, "interface needs <source %s=...>",
				   nic->network ? "network" : "bridge");
	if (!nic->model[0])
		strcpy(nic->model, "virtio");
	c->cfg->nnics++;
	return 0;
}

/* <driver name= type= cache= queues=>: the image format (raw is hv's
 * own, the others qemu-storage-daemon's, dom_disk.c), the cache mode and
 * the number of request queues (hv's --disk queues=, the export's
 * num-queues=; 1-8) are kept; the name (qemu, file, phy) says nothing to
 * hv and is not. */
static int domxml_disk_driver(struct domxml_ctx *c, const xmlNode *n,
			      struct dom_disk *d)
{
	static const char *const formats[] = { "raw", "qcow2", "vmdk", "vdi",
					       "vpc" };
	char type[16];
	bool known = false;
	uint64_t q;
	int rc = domxml_attr_copy(c, n, "type", type, sizeof(type), false);

	if (rc < 0)
		return rc;
	for (size_t i = 0; rc > 0 && i < ARRAY_SIZE(formats); i++)
		known = known || !strcmp(type, formats[i]);
	if (rc > 0 && !known)
		return domxml_fail(c, "unsupported disk driver type '%s' (raw, "
				   "qcow2, vmdk, vdi, vpc)", type);
	if (rc > 0)
		snprintf(d->format, sizeof(d->format), "%.7s", type);
	rc = domxml_attr_copy(c, n, "cache", d->cache, sizeof(d->cache),
			      false);
	if (rc > 0 && strcmp(d->cache, "none") &&
	    strcmp(d->cache, "writeback") && strcmp(d->cache, "default"))
		return domxml_fail(c, "unsupported disk cache mode '%s' "
				   "(none, writeback, default)", d->cache);
	if (rc < 0)
		return rc;
	rc = domxml_attr_num(c, n, "queues", 1, 8, &q);
	if (rc > 0)
		d->queues = (uint8_t)q;
	return rc < 0 ? rc : 0;
}

/* <serial>: what the guest's GET_ID returns, at most 20 printable ASCII
 * characters (virtio-blk's ID field); no comma, hv's --disk separator. */
static int domxml_disk_serial(struct domxml_ctx *c, const xmlNode *n,
			      struct dom_disk *d)
{
	char buf[256];
	int rc = domxml_text(c, n, buf, sizeof(buf));
	const char *p;

	if (rc < 0)
		return rc;
	if (strlen(buf) >= sizeof(d->serial))
		return domxml_fail(c, "disk serial '%s' is longer than %zu "
				   "characters", buf, sizeof(d->serial) - 1);
	for (p = buf; *p; p++)
		if (*p < 0x20 || *p > 0x7e || *p == ',')
			return domxml_fail(c, "disk serial '%s': only printable "
					   "characters, no commas", buf);
	strcpy(d->serial, buf);
	return 0;
}

/* <target dev= bus=>: the bus is kept (xen, virtio). */
static int domxml_disk_target(struct domxml_ctx *c, const xmlNode *n,
			      struct dom_disk *d)
{
	int rc = domxml_attr_copy(c, n, "dev", d->target, sizeof(d->target),
				  true);

	if (rc < 0)
		return rc;
	rc = domxml_attr_copy(c, n, "bus", d->bus, sizeof(d->bus), false);
	if (rc > 0 && strcmp(d->bus, "xen") && strcmp(d->bus, "virtio"))
		return domxml_fail(c, "unsupported disk bus '%s' (xen, virtio)",
				   d->bus);
	return rc < 0 ? rc : 0;
}

/* device='disk' (the default) or 'cdrom' (an ISO, read-only). */
static int domxml_disk_device(struct domxml_ctx *c, const xmlNode *n,
			      struct dom_disk *d)
{
	char dev[16];
	int rc = domxml_attr_copy(c, n, "device", dev, sizeof(dev), false);

	if (rc > 0 && strcmp(dev, "disk") && strcmp(dev, "cdrom"))
		return domxml_fail(c, "unsupported disk device '%s' (disk, "
				   "cdrom)", dev);
	d->cdrom = rc > 0 && !strcmp(dev, "cdrom");
	return rc < 0 ? rc : 0;
}

static int domxml_disk(struct domxml_ctx *c, const xmlNode *n)
{
	struct dom_disk *d;
	char type[16];
	int rc;

	if (c->cfg->ndisks >= DOM_MAX_DISKS)
		return domxml_fail(c, "too many disks (at most %d)", DOM_MAX_DISKS);
	d = &c->cfg->disks[c->cfg->ndisks];
	rc = domxml_attr_copy(c, n, "type", type, sizeof(type), true);
	if (rc < 0)
		return rc;
	if (strcmp(type, "file") && strcmp(type, "block"))
		return domxml_fail(c, "unsupported disk type '%s' (file, block)",
				   type);
	d->block = !strcmp(type, "block");
	rc = domxml_disk_device(c, n, d);
	for (n = n->children; n && rc >= 0; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if ((rc = domxml_once(c, n)) < 0)
			break;
		if (domxml_is(n, "source"))
			rc = domxml_attr_copy(c, n, d->block ? "dev" : "file",
					      d->path, sizeof(d->path), true);
		else if (domxml_is(n, "target"))
			rc = domxml_disk_target(c, n, d);
		else if (domxml_is(n, "driver"))
			rc = domxml_disk_driver(c, n, d);
		else if (domxml_is(n, "serial"))
			rc = domxml_disk_serial(c, n, d);
		else if (domxml_is(n, "readonly"))
			d->readonly = true;
		else
			return domxml_fail(c, "unsupported element 'disk/%s'",
					   n->name);
	}
	if (rc < 0)
		return rc;
	if (!d->path[0] || !d->target[0])
		return domxml_fail(c, "disk needs <source> and <target dev=...>");
	c->cfg->ndisks++;
	return 0;
}

/* <console type='pty'> or <serial type='pty'>: the one console. */
static int domxml_console(struct domxml_ctx *c, const xmlNode *n)
{
	char type[16];
	int rc = domxml_attr_copy(c, n, "type", type, sizeof(type), true);

	if (rc < 0)
		return rc;
	if (strcmp(type, "pty"))
		return domxml_fail(c, "unsupported %s type '%s' (pty)", n->name,
				   type);
	for (n = n->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !domxml_is(n, "target") &&
		    !domxml_is(n, "source"))
			return domxml_fail(c, "unsupported element 'console/%s'",
					   n->name);
	c->cfg->console_pty = true;
	return 0;
}

/* <memballoon model='none|virtio'/>: kept and given back; there is no
 * balloon device yet, so virtio asks for nothing hv does. */
static int domxml_memballoon(struct domxml_ctx *c, const xmlNode *n)
{
	char *model = c->cfg->memballoon;
	int rc = domxml_attr_copy(c, n, "model", model,
				  sizeof(c->cfg->memballoon), true);

	if (rc < 0)
		return rc;
	if (strcmp(model, "none") && strcmp(model, "virtio"))
		return domxml_fail(c, "unsupported memballoon model '%s' (none, "
				   "virtio)", model);
	for (n = n->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return domxml_fail(c, "unsupported element "
					   "'memballoon/%s'", n->name);
	return 0;
}

static int domxml_devices(struct domxml_ctx *c, const xmlNode *n)
{
	int rc = 0;

	for (n = n->children; n && rc == 0; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (domxml_is(n, "interface"))
			rc = domxml_interface(c, n);
		else if (domxml_is(n, "disk"))
			rc = domxml_disk(c, n);
		else if (domxml_is(n, "console") || domxml_is(n, "serial"))
			rc = domxml_console(c, n);
		else if (domxml_is(n, "emulator"))
			rc = 0;		/* hv is the only emulator */
		else if (domxml_is(n, "memballoon"))
			rc = domxml_memballoon(c, n);
		else if (domxml_is(n, "graphics") || domxml_is(n, "video"))
			rc = domxml_fail(c, "unsupported device '%s': xvm has no "
					 "display device (use the serial "
					 "console, virsh console)", n->name);
		else
			rc = domxml_fail(c, "unsupported device '%s'", n->name);
	}
	return rc;
}

struct domxml_elem {
	const char *name;
	int (*parse)(struct domxml_ctx *c, const xmlNode *n);
};

static const struct domxml_elem domxml_elems[] = {
	{ "name", domxml_name },
	{ "uuid", domxml_uuid },
	{ "title", domxml_title },
	{ "description", domxml_description },
	{ "memory", domxml_memory },
	{ "currentMemory", domxml_current_memory },
	{ "vcpu", domxml_vcpu },
	{ "cputune", domxml_cputune },
	{ "os", domxml_os },
	{ "on_poweroff", domxml_on_poweroff },
	{ "on_reboot", domxml_on_reboot },
	{ "on_crash", domxml_on_crash },
	{ "devices", domxml_devices },
	{ "metadata", domxml_metadata },
	{ "features", domxml_features },
	{ "clock", domxml_clock },
	{ "cpu", domxml_cpu },
};

static int domxml_child(struct domxml_ctx *c, const xmlNode *n)
{
	size_t i;

	if (n->ns && n->ns->href &&
	    !strcmp((const char *)n->ns->href, DOMXML_NS)) {
		if (domxml_is(n, "lifecycle"))
			return domxml_lifecycle(c, n);
		return domxml_fail(c, "unsupported element 'xvm:%s'", n->name);
	}
	if (n->ns)
		return domxml_fail(c, "unsupported element '%s' in namespace %s",
				   n->name, n->ns->href);
	for (i = 0; i < ARRAY_SIZE(domxml_elems); i++) {
		if (strcmp((const char *)n->name, domxml_elems[i].name))
			continue;
		if (domxml_once(c, n) < 0)
			return -EINVAL;
		return domxml_elems[i].parse(c, n);
	}
	return domxml_fail(c, "unsupported element '%s'", n->name);
}

/* Defaults, then the checks that involve several elements. */
static int domxml_finish(struct domxml_ctx *c)
{
	struct dom_config *cfg = c->cfg;
	unsigned int i;

	if (!c->have_name)
		return domxml_fail(c, "missing element 'name'");
	if (!c->have_mem)
		return domxml_fail(c, "missing element 'memory'");
	if (!c->have_os)
		return domxml_fail(c, "missing element 'os'");
	if (!c->have_vcpu)
		cfg->vcpus_max = cfg->vcpus = 1;
	if (!cfg->cur_kib || cfg->cur_kib > cfg->max_kib)
		cfg->cur_kib = cfg->max_kib;
	if (!cfg->weight)
		cfg->weight = 256;
	for (i = cfg->vcpus_max; i < DOM_MAX_VCPUS; i++)
		if (cfg->vcpupin[i])
			return domxml_fail(c, "vcpupin for vcpu %u beyond the "
					   "%u vcpus", i, cfg->vcpus_max);
	if (!c->have_uuid && getrandom(cfg->uuid, 16, 0) != 16)
		return domxml_fail(c, "cannot generate a uuid");
	if (!c->have_uuid) {
		cfg->uuid[6] = (cfg->uuid[6] & 0x0f) | 0x40;	/* RFC 4122 v4 */
		cfg->uuid[8] = (cfg->uuid[8] & 0x3f) | 0x80;
	}
	return 0;
}

static int domxml_root(struct domxml_ctx *c, const xmlNode *root)
{
	char type[16];
	const xmlNode *n;
	int rc;

	if (!root || !domxml_is(root, "domain") || root->ns)
		return domxml_fail(c, "the root element must be <domain>");
	rc = domxml_attr_copy(c, root, "type", type, sizeof(type), true);
	if (rc < 0)
		return rc;
	if (strcmp(type, "xvm") && strcmp(type, "xen"))
		return domxml_fail(c, "unsupported domain type '%s' (xen, xvm)", type);
	for (n = root->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		rc = domxml_child(c, n);
		if (rc < 0)
			return rc;
	}
	return domxml_finish(c);
}

int domxml_parse(const char *xml, size_t len, struct dom_config *cfg,
		 char *err, size_t errlen)
{
	struct domxml_ctx c = { .cfg = cfg, .err = err, .errlen = errlen };
	xmlDoc *doc;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	cfg->on_reboot = DOM_ACT_RESTART;	/* libvirt's defaults */
	doc = xmlread_doc(xml, len, "domain.xml", err, errlen);
	if (!doc)
		return -EINVAL;
	rc = domxml_root(&c, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	return rc;
}

int domxml_parse_device(const char *xml, size_t len,
			enum domxml_dev_kind *kind, struct dom_nic *nic,
			struct dom_disk *disk, char *err, size_t errlen)
{
	struct dom_config *cfg = calloc(1, sizeof(*cfg));
	struct domxml_ctx c = { .cfg = cfg, .err = err, .errlen = errlen };
	const xmlNode *root;
	xmlDoc *doc;
	int rc;

	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	doc = xmlread_doc(xml, len, "device.xml", err, errlen);
	if (!doc) {
		free(cfg);
		return -EINVAL;
	}
	root = xmlDocGetRootElement(doc);
	if (root && root->ns)
		rc = domxml_fail(&c, "unsupported element '%s' in namespace %s",
				 root->name, root->ns->href);
	else if (root && domxml_is(root, "interface"))
		rc = domxml_interface(&c, root);
	else if (root && domxml_is(root, "disk"))
		rc = domxml_disk(&c, root);
	else
		rc = domxml_fail(&c, "unsupported device '%s' (interface, disk)",
				 root ? (const char *)root->name : "");
	if (rc == 0 && cfg->nnics) {
		*kind = DOMXML_DEV_NIC;
		*nic = cfg->nics[0];
	} else if (rc == 0) {
		*kind = DOMXML_DEV_DISK;
		*disk = cfg->disks[0];
	}
	xmlFreeDoc(doc);
	free(cfg);
	return rc < 0 ? -EINVAL : 0;
}
