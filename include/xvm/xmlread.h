/*
 * Reading untrusted XML with libxml2 (lib/xmlread.c): domain XML from
 * clients, <metadata> elements, save image headers, vdisk.xml. Such a
 * document has no business declaring entities: libxml2 expands an entity
 * each time its text is read, without bound (a 215 KB document with one
 * 200 KB entity referenced 5000 times is a gigabyte), so a DOCTYPE is
 * refused outright, before its internal subset is read, and nothing is
 * fetched from the network or substituted. Errors are this parse's own:
 * libxml2's global "last error" is never consulted, so one client's
 * document never shows up in another's error.
 */
#ifndef XVM_XMLREAD_H
#define XVM_XMLREAD_H

#include <libxml/tree.h>
#include "xvm/common.h"

#define XMLREAD_NO_DTD	"DTDs and entity declarations are not accepted"

/* Parse len bytes of buf (url names it in libxml2's messages). The
 * document (xmlFreeDoc), or NULL with err (errlen bytes) saying why:
 * "empty document", "line N: <libxml2's message>", or XMLREAD_NO_DTD
 * for a document with a DOCTYPE. Entity references other than the five
 * predefined ones (and character references) are therefore errors. */
xmlDoc *xmlread_doc(const char *buf, size_t len, const char *url,
		    char *err, size_t errlen);

/* The text of n: its text and CDATA children one after another (comments
 * skipped), malloc'd; "" when there are none. NULL with errno EINVAL when
 * n holds an element or an entity reference (text-only elements), ENOMEM
 * when out of memory. Unlike xmlNodeGetContent() nothing is expanded. */
char *xmlread_text(const xmlNode *n);

#endif
