/*
 * A domain's <metadata> elements for virDomainSetMetadata/GetMetadata
 * (type ELEMENT): dom_config.metadata holds the kept children serialized
 * one after another, each declaring its own namespace (domxml.c). One
 * element per namespace URI, as libvirt keeps them.
 */
#ifndef XVMD_DOMMETA_H
#define XVMD_DOMMETA_H

#include "verr.h"

/* Put xml (one element, checked with libxml2) into meta (len bytes) in
 * namespace uri with prefix key, replacing the element of that uri; xml
 * NULL removes it. 0, or -errno with e filled (XML_ERROR for bad XML,
 * INVALID_ARG for a bad key or uri, or too long to keep). meta is
 * unchanged on error. */
int dommeta_set(char *meta, size_t len, const char *xml, const char *key,
		const char *uri, struct verr *e);
/* The element of namespace uri, serialized (malloc'd) in *out. 0,
 * -ENOENT with e filled (NO_DOMAIN_METADATA) if there is none. */
int dommeta_get(const char *meta, const char *uri, char **out,
		struct verr *e);

#endif
