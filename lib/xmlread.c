/*
 * Untrusted XML through libxml2 (include/xvm/xmlread.h): a parser
 * context of our own per document, whose DOCTYPE handler stops the parse
 * before any declaration is read, and whose error is read from that
 * context rather than libxml2's process-wide last error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include "xvm/xmlread.h"

#define XMLREAD_OPTS	(XML_PARSE_NONET | XML_PARSE_NOERROR | \
			 XML_PARSE_NOWARNING)

/* SAX internalSubset: called at "<!DOCTYPE name ...", before the '['
 * that opens the declarations. Stop there. */
static void xmlread_doctype(void *ctx, const xmlChar *name,
			    const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxt *ctxt = ctx;

	(void)name;
	(void)ext;
	(void)sys;
	*(bool *)ctxt->_private = true;
	xmlStopParser(ctxt);
}

/* libxml2 would print to stderr through the generic handler otherwise
 * (before NOERROR takes effect, e.g. for encoding errors). */
static void xmlread_silent(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

PRINTF(3, 4)
static void xmlread_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

xmlDoc *xmlread_doc(const char *buf, size_t len, const char *url,
		    char *err, size_t errlen)
{
	xmlParserCtxt *ctxt;
	xmlDoc *doc = NULL;
	bool doctype = false;
	const xmlError *e;
	char msg[200];

	if (len == 0) {
		xmlread_err(err, errlen, "empty document");
		return NULL;
	}
	if (len > INT32_MAX) {
		xmlread_err(err, errlen, "document too large");
		return NULL;
	}
	xmlSetGenericErrorFunc(NULL, xmlread_silent);
	ctxt = xmlCreateMemoryParserCtxt(buf, (int)len);
	if (!ctxt) {
		xmlread_err(err, errlen, "out of memory");
		return NULL;
	}
	if (url && ctxt->input && !ctxt->input->filename)
		ctxt->input->filename = (char *)xmlStrdup((const xmlChar *)url);
	ctxt->_private = &doctype;
	ctxt->sax->internalSubset = xmlread_doctype;
	xmlCtxtUseOptions(ctxt, XMLREAD_OPTS);
	xmlParseDocument(ctxt);
	if (!doctype && ctxt->wellFormed)
		doc = ctxt->myDoc;
	else if (ctxt->myDoc)
		xmlFreeDoc(ctxt->myDoc);
	ctxt->myDoc = NULL;
	if (doctype) {
		xmlread_err(err, errlen, XMLREAD_NO_DTD);
	} else if (!doc) {
		e = xmlCtxtGetLastError(ctxt);
		snprintf(msg, sizeof(msg), "%s", e && e->message ?
			 e->message : "not well-formed");
		msg[strcspn(msg, "\n")] = 0;
		xmlread_err(err, errlen, "line %d: %s", e ? e->line : 0, msg);
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
}

char *xmlread_text(const xmlNode *n)
{
	size_t len = 0, k;
	const xmlNode *c;
	char *s;

	for (c = n->children; c; c = c->next) {
		if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
			len += c->content ? strlen((const char *)c->content) : 0;
		else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE) {
			errno = EINVAL;
			return NULL;
		}
	}
	s = malloc(len + 1);
	if (!s)
		return NULL;
	len = 0;
	for (c = n->children; c; c = c->next) {
		if ((c->type != XML_TEXT_NODE &&
		     c->type != XML_CDATA_SECTION_NODE) || !c->content)
			continue;
		k = strlen((const char *)c->content);
		memcpy(s + len, c->content, k);
		len += k;
	}
	s[len] = 0;
	return s;
}
