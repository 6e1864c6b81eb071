/*
 * <metadata> elements by namespace (dommeta.h), with libxml2: the kept
 * children are parsed inside a wrapper element, the one in the given
 * namespace replaced or removed, and the rest serialized back.
 */
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "xvm/xmlread.h"
#include "domxml.h"
#include "dommeta.h"

/* The kept children under a <m> root; NULL if they do not parse (they
 * were checked when kept, so only out of memory). */
static xmlDoc *dommeta_parse(const char *meta)
{
	size_t n = strlen(meta) + 8;
	char *buf = malloc(n), err[8];
	xmlDoc *doc;

	if (!buf)
		return NULL;
	snprintf(buf, n, "<m>%s</m>", meta);
	doc = xmlread_doc(buf, strlen(buf), NULL, err, sizeof(err));
	free(buf);
	return doc;
}

static bool dommeta_in(const xmlNode *n, const char *uri)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, uri);
}

/* Append n's serialization to b. */
static void dommeta_dump(xmlBuffer *b, xmlDoc *doc, xmlNode *n)
{
	xmlNodeDump(b, doc, n, 0, 0);
}

/* An XML name without a colon: letters, digits, '_', '-', '.', not
 * starting with a digit, '-' or '.' (what libvirt accepts as a key). */
static bool dommeta_key_ok(const char *k)
{
	const char *p;

	if (!k || !*k || strlen(k) > 64 ||
	    !(((*k | 32) >= 'a' && (*k | 32) <= 'z') || *k == '_'))
		return false;
	for (p = k; *p; p++)
		if (!(((*p | 32) >= 'a' && (*p | 32) <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("_-.", *p)))
			return false;
	return true;
}

int dommeta_set(char *meta, size_t len, const char *xml, const char *key,
		const char *uri, struct verr *e)
{
	xmlDoc *doc = NULL, *add = NULL;
	xmlBuffer *b = NULL;
	xmlNode *n, *root;
	xmlNs *ns;
	char err[200];
	int rc = 0;

	if (!uri || !*uri || strlen(uri) > 1024)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: "
				"metadata namespace URI is required");
	if (!strcmp(uri, DOMXML_NS))
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: "
				"namespace '%s' is xvmd's own", uri);
	if (xml && !dommeta_key_ok(key))
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: "
				"metadata key '%s' is not an XML name",
				key ? key : "");
	doc = dommeta_parse(meta);
	b = xmlBufferCreate();
	if (!doc || !b) {
		rc = verr_nomem(e);
		goto out;
	}
	for (n = xmlDocGetRootElement(doc)->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && !dommeta_in(n, uri))
			dommeta_dump(b, doc, n);
	if (xml) {
		add = xmlread_doc(xml, strlen(xml), "metadata", err,
				  sizeof(err));
		root = add ? xmlDocGetRootElement(add) : NULL;
		if (!add && !strcmp(err, XMLREAD_NO_DTD)) {
			rc = verr_set(e, VERR_XML_ERROR, "XML error: metadata: "
				      "%s", err);
			goto out;
		}
		if (!root) {
			rc = verr_set(e, VERR_XML_ERROR, "XML error: metadata "
				      "is not a well-formed XML element");
			goto out;
		}
		ns = xmlNewNs(root, (const xmlChar *)uri, (const xmlChar *)key);
		if (!ns) {
			rc = verr_set(e, VERR_INVALID_ARG, "invalid argument: "
				      "the element already declares prefix "
				      "'%s'", key);
			goto out;
		}
		xmlSetNs(root, ns);
		dommeta_dump(b, add, root);
	}
	if ((size_t)xmlBufferLength(b) + 1 > len) {
		rc = verr_set(e, VERR_INVALID_ARG, "invalid argument: "
			      "metadata too long (at most %zu bytes)", len - 1);
		goto out;
	}
	memcpy(meta, xmlBufferContent(b), (size_t)xmlBufferLength(b));
	meta[xmlBufferLength(b)] = '\0';
out:
	if (b)
		xmlBufferFree(b);
	if (add)
		xmlFreeDoc(add);
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}

int dommeta_get(const char *meta, const char *uri, char **out,
		struct verr *e)
{
	xmlDoc *doc = dommeta_parse(meta);
	xmlBuffer *b = xmlBufferCreate();
	xmlNode *n = NULL;
	int rc = 0;

	*out = NULL;
	if (!doc || !b) {
		rc = verr_nomem(e);
		goto out;
	}
	for (n = xmlDocGetRootElement(doc)->children; n; n = n->next)
		if (dommeta_in(n, uri))
			break;
	if (!n) {
		rc = verr_set(e, VERR_NO_DOMAIN_METADATA, "metadata not found: "
			      "Requested metadata element is not present");
		goto out;
	}
	dommeta_dump(b, doc, n);
	*out = strdup((const char *)xmlBufferContent(b));
	if (!*out)
		rc = verr_nomem(e);
out:
	if (b)
		xmlBufferFree(b);
	if (doc)
		xmlFreeDoc(doc);
	return rc;
}
