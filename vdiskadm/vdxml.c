/*
 * vdisk.xml, the file that makes a directory a vdisk (REFERENCE.md
 * "vdiskadm"; the layout of Solaris's, xvm-admin-guide "Creating a
 * vmdk:fixed File"): the <vdisk> element's attributes (flags, creation
 * time, type, in-use counts), its name, the image's size and file, the
 * description, and one <snapshot> per snapshot, oldest first. Read with
 * libxml2 and checked field by field: a damaged file is refused with
 * what is wrong, never half used. Written by vdxml_format(), which
 * vdisk.c stores atomically.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vdiskadm.h"
#include "xvm/xmlesc.h"
#include "xvm/xmlread.h"

struct vdxml_ctx {
	struct vd_meta *m;
	char *err;
	size_t errlen;
	/* seen while parsing, checked at the end */
	bool have_name, have_vdfile, have_size, have_sectors;
	uint64_t sectors;
	char vdfile[VD_NAME_MAX + 16];
};

static int PRINTF(2, 3) vdxml_fail(struct vdxml_ctx *c, const char *fmt, ...)
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
	       strcmp((const char *)n->name, name) == 0;
}

/* The attribute's value copied into buf; -EINVAL if absent or long. */
static int vdxml_attr(struct vdxml_ctx *c, xmlNode *n, const char *name,
		      char *buf, size_t len)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	int ret = 0;

	if (!v)
		return vdxml_fail(c, "<%s>: no attribute '%s'",
				  (const char *)n->name, name);
	if (strlen((const char *)v) >= len)
		ret = vdxml_fail(c, "attribute '%s': too long", name);
	else
		strcpy(buf, (const char *)v);
	xmlFree(v);
	return ret;
}

/* The element's own text into buf (nothing expanded, xmlread.h);
 * -EINVAL if longer or not text only. */
static int vdxml_text(struct vdxml_ctx *c, xmlNode *n, char *buf,
		      size_t len)
{
	char *v = xmlread_text(n);
	int ret = 0;

	if (!v && errno == EINVAL)
		return vdxml_fail(c, "<%s>: text only", (const char *)n->name);
	if (!v)
		return vdxml_fail(c, "<%s>: out of memory",
				  (const char *)n->name);
	if (strlen(v) >= len)
		ret = vdxml_fail(c, "<%s>: too long", (const char *)n->name);
	else
		strcpy(buf, v);
	free(v);
	return ret;
}

static int vdxml_u64(struct vdxml_ctx *c, const char *what, const char *s,
		     uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		return vdxml_fail(c, "%s: not a number: '%.32s'", what, s);
	*out = strtoull(s, &end, 10);
	if (*end || errno || *out > max)
		return vdxml_fail(c, "%s: invalid value '%.32s'", what, s);
	return 0;
}

static int vdxml_bool_attr(struct vdxml_ctx *c, xmlNode *n,
			   const char *name, bool *out)
{
	char v[8];
	int ret = vdxml_attr(c, n, name, v, sizeof(v));

	if (ret < 0)
		return ret;
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else
		return vdxml_fail(c, "attribute '%s': not true or false",
				  name);
	return 0;
}

static int vdxml_num_attr(struct vdxml_ctx *c, xmlNode *n, const char *name,
			  uint64_t max, uint64_t *out)
{
	char v[24], what[48];
	int ret = vdxml_attr(c, n, name, v, sizeof(v));

	if (ret < 0)
		return ret;
	snprintf(what, sizeof(what), "attribute '%s'", name);
	return vdxml_u64(c, what, v, max, out);
}

static int vdxml_root_attrs(struct vdxml_ctx *c, xmlNode *root)
{
	struct vd_meta *m = c->m;
	char vtype[16];
	uint64_t ctime, rw, ro;
	int ret;

	if ((ret = vdxml_bool_attr(c, root, "readonly", &m->readonly)) ||
	    (ret = vdxml_bool_attr(c, root, "removable", &m->removable)) ||
	    (ret = vdxml_bool_attr(c, root, "cdrom", &m->cdrom)) ||
	    (ret = vdxml_bool_attr(c, root, "sparse", &m->sparse)) ||
	    (ret = vdxml_num_attr(c, root, "creation-time-epoch", INT64_MAX,
				  &ctime)) ||
	    (ret = vdxml_num_attr(c, root, "rwcnt", 1, &rw)) ||
	    (ret = vdxml_num_attr(c, root, "rocnt", VD_REFCNT_MAX, &ro)) ||
	    (ret = vdxml_attr(c, root, "vtype", vtype, sizeof(vtype))))
		return ret;
	m->ctime = (int64_t)ctime;
	m->rwcnt = (unsigned)rw;
	m->rocnt = (unsigned)ro;
	if (rw && ro)
		return vdxml_fail(c, "a writer (rwcnt) and readers (rocnt) "
				  "at once");
	m->type = vd_type_find(vtype);
	if (!m->type)
		return vdxml_fail(c, "attribute 'vtype': unknown type '%s'",
				  vtype);
	if (!m->type->opts[m->sparse])
		return vdxml_fail(c, "type %s cannot be %s", vtype,
				  m->sparse ? "sparse" : "fixed");
	return 0;
}

static int vdxml_snapshot(struct vdxml_ctx *c, xmlNode *n)
{
	struct vd_meta *m = c->m;
	struct vd_snap *s;
	char name[VD_NAME_MAX + 2];
	uint64_t ctime;
	xmlNode *k;
	bool have = false;
	int ret;

	if (m->nsnap == VD_MAX_SNAPS)
		return vdxml_fail(c, "more than %d snapshots", VD_MAX_SNAPS);
	s = &m->snap[m->nsnap];
	ret = vdxml_num_attr(c, n, "creation-time-epoch", INT64_MAX, &ctime);
	if (ret < 0)
		return ret;
	s->ctime = (int64_t)ctime;
	for (k = n->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (!is_elem(k, "name") || have)
			return vdxml_fail(c, "<snapshot>: unexpected <%s>",
					  (const char *)k->name);
		ret = vdxml_text(c, k, name, sizeof(name));
		if (ret < 0)
			return ret;
		have = true;
	}
	if (!have)
		return vdxml_fail(c, "<snapshot> without <name>");
	if (name[0] != '@' || !vd_name_valid(name + 1))
		return vdxml_fail(c, "invalid snapshot name '%s'", name);
	if (vd_meta_snap(m, name + 1) >= 0)
		return vdxml_fail(c, "snapshot '%s' twice", name);
	strcpy(s->name, name + 1);
	m->nsnap++;
	return 0;
}

static int vdxml_diskprop_child(struct vdxml_ctx *c, xmlNode *k)
{
	char buf[VD_DESC_MAX + 1];
	int ret = vdxml_text(c, k, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	if (is_elem(k, "filename"))
		return 0;	/* the name again, as Solaris writes it */
	if (is_elem(k, "vdfile")) {
		if (strlen(buf) >= sizeof(c->vdfile))
			return vdxml_fail(c, "<vdfile>: too long");
		strcpy(c->vdfile, buf);
		c->have_vdfile = true;
		return 0;
	}
	if (is_elem(k, "max-size")) {
		c->have_size = true;
		return vdxml_u64(c, "<max-size>", buf, VD_SIZE_MAX,
				 &c->m->max_size);
	}
	if (is_elem(k, "sectors")) {
		c->have_sectors = true;
		return vdxml_u64(c, "<sectors>", buf, VD_SIZE_MAX / 512,
				 &c->sectors);
	}
	if (is_elem(k, "description")) {
		if (!vd_desc_valid(buf))
			return vdxml_fail(c, "<description>: control "
					  "characters");
		strcpy(c->m->desc, buf);
		return 0;
	}
	return vdxml_fail(c, "<diskprop>: unexpected <%s>",
			  (const char *)k->name);
}

static int vdxml_diskprop(struct vdxml_ctx *c, xmlNode *n)
{
	int ret;

	for (xmlNode *k = n->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		ret = vdxml_diskprop_child(c, k);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int vdxml_child(struct vdxml_ctx *c, xmlNode *n)
{
	char buf[VD_NAME_MAX + 1];
	int ret;

	if (is_elem(n, "name")) {
		ret = vdxml_text(c, n, buf, sizeof(buf));
		if (ret < 0)
			return ret;
		if (!vd_name_valid(buf))
			return vdxml_fail(c, "invalid name '%s'", buf);
		strcpy(c->m->name, buf);
		c->have_name = true;
		return 0;
	}
	if (is_elem(n, "version") || is_elem(n, "parent"))
		return vdxml_text(c, n, buf, sizeof(buf));
	if (is_elem(n, "diskprop"))
		return vdxml_diskprop(c, n);
	if (is_elem(n, "snapshot"))
		return vdxml_snapshot(c, n);
	return vdxml_fail(c, "<vdisk>: unexpected <%s>",
			  (const char *)n->name);
}

/* What only the whole document can say. */
static int vdxml_finish(struct vdxml_ctx *c)
{
	struct vd_meta *m = c->m;
	char want[VD_NAME_MAX + 16];

	if (!c->have_name)
		return vdxml_fail(c, "no <name>");
	if (!c->have_vdfile || !c->have_size || !c->have_sectors)
		return vdxml_fail(c, "<diskprop> without <vdfile>, "
				  "<max-size> or <sectors>");
	if (m->max_size == 0 || m->max_size % 512)
		return vdxml_fail(c, "<max-size>: not a whole number of "
				  "sectors");
	if (c->sectors != m->max_size / 512)
		return vdxml_fail(c, "<sectors> does not match <max-size>");
	snprintf(want, sizeof(want), "vdisk.%s", m->type->ext);
	if (strcmp(c->vdfile, want) != 0)
		return vdxml_fail(c, "<vdfile>: '%s', expected '%s'",
				  c->vdfile, want);
	return 0;
}

static int vdxml_root(struct vdxml_ctx *c, xmlNode *root)
{
	int ret;

	if (!root || !is_elem(root, "vdisk"))
		return vdxml_fail(c, "the root element is not <vdisk>");
	ret = vdxml_root_attrs(c, root);
	for (xmlNode *n = root->children; n && !ret; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			ret = vdxml_child(c, n);
	return ret ? ret : vdxml_finish(c);
}

int vdxml_parse(const char *xml, size_t len, struct vd_meta *m,
		char *err, size_t errlen)
{
	struct vdxml_ctx c = { .m = m, .err = err, .errlen = errlen };
	xmlDoc *doc;
	int ret;

	memset(m, 0, sizeof(*m));
	if (len > VD_XML_MAX)
		return vdxml_fail(&c, "larger than %d bytes", VD_XML_MAX);
	if (len == 0)
		return vdxml_fail(&c, "empty file");
	doc = xmlread_doc(xml, len, VD_XML, err, errlen);
	if (!doc)
		return -EINVAL;
	ret = vdxml_root(&c, xmlDocGetRootElement(doc));
	xmlFreeDoc(doc);
	return ret;
}

static const char *tf(bool b)
{
	return b ? "true" : "false";
}

static void vdxml_put(FILE *f, const struct vd_meta *m)
{
	char size[24];

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<vdisk readonly=\"%s\" removable=\"%s\" cdrom=\"%s\" "
		"creation-time-epoch=\"%" PRId64 "\" vtype=\"%s\" "
		"sparse=\"%s\" rwcnt=\"%u\" rocnt=\"%u\">\n",
		tf(m->readonly), tf(m->removable), tf(m->cdrom), m->ctime,
		m->type->name, tf(m->sparse), m->rwcnt, m->rocnt);
	xmlesc_put_elem(f, "  ", "name", m->name);
	fprintf(f, "  <version>1.0</version>\n  <parent>none</parent>\n"
		"  <diskprop>\n");
	xmlesc_put_elem(f, "    ", "filename", m->name);
	fprintf(f, "    <vdfile>vdisk.%s</vdfile>\n", m->type->ext);
	snprintf(size, sizeof(size), "%" PRIu64, m->max_size);
	xmlesc_put_elem(f, "    ", "max-size", size);
	fprintf(f, "    <sectors>%" PRIu64 "</sectors>\n", m->max_size / 512);
	xmlesc_put_elem(f, "    ", "description", m->desc);
	fprintf(f, "  </diskprop>\n");
	for (unsigned i = 0; i < m->nsnap; i++) {
		fprintf(f, "  <snapshot creation-time-epoch=\"%" PRId64
			"\">\n    <name>@", m->snap[i].ctime);
		xmlesc_put(f, m->snap[i].name);
		fprintf(f, "</name>\n  </snapshot>\n");
	}
	fprintf(f, "</vdisk>\n");
}

char *vdxml_format(const struct vd_meta *m, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (!f)
		return NULL;
	vdxml_put(f, m);
	if (fclose(f) != 0) {
		free(buf);
		errno = ENOMEM;
		return NULL;
	}
	return buf;
}

int vd_meta_snap(const struct vd_meta *m, const char *name)
{
	for (unsigned i = 0; i < m->nsnap; i++)
		if (strcmp(m->snap[i].name, name) == 0)
			return (int)i;
	return -1;
}
