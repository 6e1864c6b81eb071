/*
 * Pool and volume XML (pool.h): libvirt's <pool type='dir'> and <volume>
 * documents read through lib/xmlread.c (no DTD, no entity), each element
 * checked; what pool-dumpxml and vol-dumpxml give.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/tree.h>
#include "xvm/xmlesc.h"
#include "xvm/xmlread.h"
#include "domxml.h"
#include "pool.h"

struct pool_xml {
	char *err;
	size_t errlen;
};

PRINTF(2, 3)
static int pool_xml_fail(struct pool_xml *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       !strcmp((const char *)n->name, name);
}

/* The text of n (trimmed) into buf. */
static int pool_xml_text(struct pool_xml *c, const xmlNode *n, char *buf,
			 size_t len)
{
	char *v = xmlread_text(n), *s, *e;
	int rc = 0;

	if (!v)
		return pool_xml_fail(c, "<%s>: %s", (const char *)n->name,
				     errno == EINVAL ? "text only" :
				     "out of memory");
	for (s = v; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
		;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		*--e = 0;
	if (strlen(s) >= len)
		rc = pool_xml_fail(c, "<%s>: too long", (const char *)n->name);
	else
		strcpy(buf, s);
	free(v);
	return rc;
}

/* An attribute into buf; absent leaves buf as it is (1). */
static int pool_xml_attr(struct pool_xml *c, const xmlNode *n,
			 const char *name, char *buf, size_t len)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	int rc = 0;

	if (!v)
		return 1;
	if (strlen((const char *)v) >= len)
		rc = pool_xml_fail(c, "<%s %s>: too long",
				   (const char *)n->name, name);
	else
		strcpy(buf, (const char *)v);
	xmlFree(v);
	return rc;
}

/* Elements that are output only (pool-dumpxml's) and taken back
 * without effect, so that a dumped pool can be defined again. */
static bool pool_xml_ignored(const xmlNode *n, const char *const *names)
{
	for (; *names; names++)
		if (is_elem(n, *names))
			return true;
	return n->type != XML_ELEMENT_NODE;
}

static int pool_parse_target(struct pool_xml *c, const xmlNode *t,
			     char *path, size_t len)
{
	static const char *const ignored[] = { "permissions", "timestamps",
					       NULL };
	const xmlNode *n;
	int rc;

	for (n = t->children; n; n = n->next) {
		if (is_elem(n, "path")) {
			rc = pool_xml_text(c, n, path, len);
			if (rc < 0)
				return rc;
		} else if (!pool_xml_ignored(n, ignored)) {
			return pool_xml_fail(c, "unsupported element <%s> in "
					     "<target>", (const char *)n->name);
		}
	}
	return 0;
}

int pool_parse_xml(const char *xml, size_t len, struct pool_def *def,
		   char *err, size_t errlen)
{
	static const char *const ignored[] = { "capacity", "allocation",
					       "available", NULL };
	struct pool_xml c = { err, errlen };
	char type[16] = "", uuid[64] = "";
	xmlDoc *doc;
	xmlNode *root, *n;
	int rc = 0;

	memset(def, 0, sizeof(*def));
	doc = xmlread_doc(xml, len, "pool.xml", err, errlen);
	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	if (!root || !is_elem(root, "pool")) {
		rc = pool_xml_fail(&c, "the root element is not <pool>");
		goto out;
	}
	rc = pool_xml_attr(&c, root, "type", type, sizeof(type));
	if (rc < 0)
		goto out;
	if (strcmp(type, "dir")) {
		rc = pool_xml_fail(&c, rc ? "missing storage pool type" :
				   "unsupported storage pool type '%s': xvmd "
				   "has directory pools (type 'dir')", type);
		goto out;
	}
	rc = 0;
	for (n = root->children; n && !rc; n = n->next) {
		if (is_elem(n, "name"))
			rc = pool_xml_text(&c, n, def->name, sizeof(def->name));
		else if (is_elem(n, "uuid"))
			rc = pool_xml_text(&c, n, uuid, sizeof(uuid));
		else if (is_elem(n, "target"))
			rc = pool_parse_target(&c, n, def->path,
					       sizeof(def->path));
		else if (is_elem(n, "source"))
			rc = n->children && xmlFirstElementChild(
				(xmlNode *)n) ? pool_xml_fail(&c, "a dir pool "
				"has no <source>") : 0;
		else if (!pool_xml_ignored(n, ignored))
			rc = pool_xml_fail(&c, "unsupported element <%s> in "
					   "<pool>", (const char *)n->name);
	}
	if (rc)
		goto out;
	if (!def->name[0])
		rc = pool_xml_fail(&c, "missing pool source name element");
	else if (!pool_name_ok(def->name))
		rc = pool_xml_fail(&c, "invalid pool name '%s': 1 to %d "
				   "characters of A-Z a-z 0-9 . _ + -, not "
				   "starting with '.'", def->name,
				   POOL_NAME_MAX);
	else if (uuid[0] && domxml_uuid_parse(uuid, def->uuid) < 0)
		rc = pool_xml_fail(&c, "malformed uuid element");
	else if (!def->path[0])
		rc = pool_xml_fail(&c, "missing storage pool target path");
	else if (!pool_path_ok(def->path))
		rc = pool_xml_fail(&c, "invalid target path '%s': an absolute "
				   "path without '.', '..' or '//', shorter "
				   "than %d characters", def->path,
				   POOL_PATH_MAX - POOL_VOL_NAME_MAX - 2);
	def->have_uuid = uuid[0] != 0;
out:
	xmlFreeDoc(doc);
	return rc;
}

/* A size element: libvirt's units (powers of 1000 for KB..EB, of 1024
 * for the rest; bytes when none), at most POOL_CAP_MAX. */
static int pool_xml_size(struct pool_xml *c, const xmlNode *n, uint64_t *out)
{
	static const struct { const char *u; uint64_t mul; } units[] = {
		{ "b", 1 }, { "bytes", 1 },
		{ "KB", 1000 }, { "k", 1024 }, { "K", 1024 }, { "KiB", 1024 },
		{ "MB", 1000000 }, { "m", 1 << 20 }, { "M", 1 << 20 },
		{ "MiB", 1 << 20 },
		{ "GB", 1000000000 }, { "g", 1 << 30 }, { "G", 1 << 30 },
		{ "GiB", 1 << 30 },
		{ "TB", 1000000000000ull }, { "t", 1ull << 40 },
		{ "T", 1ull << 40 }, { "TiB", 1ull << 40 },
		{ "PB", 1000000000000000ull }, { "p", 1ull << 50 },
		{ "P", 1ull << 50 }, { "PiB", 1ull << 50 },
	};
	char unit[16] = "bytes", num[32];
	unsigned long long v;
	char *end;
	size_t i;
	int rc;

	rc = pool_xml_attr(c, n, "unit", unit, sizeof(unit));
	if (rc < 0)
		return rc;
	rc = pool_xml_text(c, n, num, sizeof(num));
	if (rc < 0)
		return rc;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(unit, units[i].u))
			break;
	if (i == ARRAY_SIZE(units))
		return pool_xml_fail(c, "unknown scale '%s' in <%s>", unit,
				     (const char *)n->name);
	errno = 0;
	v = strtoull(num, &end, 10);
	if (!num[0] || *end || errno || num[0] == '-')
		return pool_xml_fail(c, "malformed <%s> '%s'",
				     (const char *)n->name, num);
	if (v > POOL_CAP_MAX / units[i].mul)
		return pool_xml_fail(c, "<%s> too large: at most 1 PiB",
				     (const char *)n->name);
	*out = v * units[i].mul;
	return 0;
}

static int pool_vol_parse_target(struct pool_xml *c, const xmlNode *t,
				 struct pool_vol_def *def)
{
	static const char *const ignored[] = { "path", "permissions",
					       "timestamps", "compat",
					       "features", NULL };
	const xmlNode *n;
	int rc;

	for (n = t->children; n; n = n->next) {
		if (is_elem(n, "format")) {
			rc = pool_xml_attr(c, n, "type", def->format,
					   sizeof(def->format));
			if (rc)
				return rc < 0 ? rc : pool_xml_fail(c,
					"<format> without a type");
		} else if (is_elem(n, "encryption")) {
			return pool_xml_fail(c, "encrypted volumes are not "
					     "supported");
		} else if (!pool_xml_ignored(n, ignored)) {
			return pool_xml_fail(c, "unsupported element <%s> in "
					     "<target>", (const char *)n->name);
		}
	}
	return 0;
}

int pool_vol_parse_xml(const char *xml, size_t len, struct pool_vol_def *def,
		       char *err, size_t errlen)
{
	static const char *const ignored[] = { "key", "source", "physical",
					       NULL };
	struct pool_xml c = { err, errlen };
	bool have_cap = false;
	char type[16] = "file";
	xmlDoc *doc;
	xmlNode *root, *n;
	int rc = 0;

	memset(def, 0, sizeof(*def));
	strcpy(def->format, "raw");
	doc = xmlread_doc(xml, len, "volume.xml", err, errlen);
	if (!doc)
		return -EINVAL;
	root = xmlDocGetRootElement(doc);
	if (!root || !is_elem(root, "volume")) {
		rc = pool_xml_fail(&c, "the root element is not <volume>");
		goto out;
	}
	rc = pool_xml_attr(&c, root, "type", type, sizeof(type));
	if (rc < 0)
		goto out;
	/* 'dir': what a vdisk volume's XML says; a clone of it (virsh
	 * vol-clone sends the source's XML renamed) is an image file */
	if (strcmp(type, "file") && strcmp(type, "dir")) {
		rc = pool_xml_fail(&c, "unsupported volume type '%s'", type);
		goto out;
	}
	def->type_dir = strcmp(type, "dir") == 0;
	rc = 0;
	for (n = root->children; n && !rc; n = n->next) {
		if (is_elem(n, "name")) {
			rc = pool_xml_text(&c, n, def->name, sizeof(def->name));
		} else if (is_elem(n, "capacity")) {
			rc = pool_xml_size(&c, n, &def->capacity);
			have_cap = true;
		} else if (is_elem(n, "allocation")) {
			rc = pool_xml_size(&c, n, &def->allocation);
			def->have_allocation = true;
		} else if (is_elem(n, "target")) {
			rc = pool_vol_parse_target(&c, n, def);
		} else if (is_elem(n, "backingStore")) {
			rc = pool_xml_fail(&c, "backing stores are not "
					   "supported");
		} else if (!pool_xml_ignored(n, ignored)) {
			rc = pool_xml_fail(&c, "unsupported element <%s> in "
					   "<volume>", (const char *)n->name);
		}
	}
	if (rc)
		goto out;
	if (!def->name[0])
		rc = pool_xml_fail(&c, "missing volume name element");
	else if (!pool_vol_name_ok(def->name))
		rc = pool_xml_fail(&c, "invalid volume name '%s': 1 to %d "
				   "characters of A-Z a-z 0-9 . _ + - , : @ = "
				   "~, not starting with '.' or '-'", def->name,
				   POOL_VOL_NAME_MAX);
	else if (!have_cap)
		rc = pool_xml_fail(&c, "missing capacity element");
	else if (def->have_allocation && def->allocation > def->capacity)
		def->allocation = def->capacity;	/* as libvirt */
out:
	xmlFreeDoc(doc);
	return rc;
}

char *pool_format_xml(const struct pool *p, bool inactive)
{
	uint64_t cap = 0, alloc = 0, avail = 0;
	char uuid[37], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (!inactive && p->active)
		pool_sizes(p, &cap, &alloc, &avail);
	domxml_uuid_format(p->uuid, uuid);
	fputs("<pool type='dir'>\n", f);
	xmlesc_put_elem(f, "  ", "name", p->name);
	fprintf(f, "  <uuid>%s</uuid>\n", uuid);
	fprintf(f, "  <capacity unit='bytes'>%" PRIu64 "</capacity>\n"
		"  <allocation unit='bytes'>%" PRIu64 "</allocation>\n"
		"  <available unit='bytes'>%" PRIu64 "</available>\n"
		"  <source>\n  </source>\n  <target>\n", cap, alloc, avail);
	xmlesc_put_elem(f, "    ", "path", p->path);
	fputs("  </target>\n</pool>\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

char *pool_vol_format_xml(const struct pool *p, const struct pool_vol *v)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (pool_vol_path(p, v->name, path, sizeof(path)) < 0)
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fprintf(f, "<volume type='%s'>\n", v->vdisk ? "dir" : "file");
	xmlesc_put_elem(f, "  ", "name", v->name);
	xmlesc_put_elem(f, "  ", "key", path);
	fprintf(f, "  <capacity unit='bytes'>%" PRIu64 "</capacity>\n"
		"  <allocation unit='bytes'>%" PRIu64 "</allocation>\n"
		"  <physical unit='bytes'>%" PRIu64 "</physical>\n"
		"  <target>\n", v->capacity, v->allocation, v->physical);
	xmlesc_put_elem(f, "    ", "path", path);
	fputs("    <format type='", f);
	xmlesc_put_attr(f, v->format);
	fprintf(f, "'/>\n    <permissions>\n      <mode>0%o</mode>\n"
		"      <owner>%u</owner>\n      <group>%u</group>\n"
		"    </permissions>\n  </target>\n</volume>\n", v->mode & 07777,
		v->uid, v->gid);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
