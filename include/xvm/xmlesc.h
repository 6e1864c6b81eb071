/*
 * Writing XML text (lib/xmlesc.c): character data and attribute values
 * with the markup characters escaped, for the tools that print libvirt
 * domain XML (xvmd's dumpxml and stored definitions, xvm-install).
 */
#ifndef XVM_XMLESC_H
#define XVM_XMLESC_H

#include <stdbool.h>
#include <stdio.h>

/* s on f with &, <, >, ' and " as entity references (XML 1.0 §2.4
 * character data, §3.1 attribute values in either quote), and CR as
 * &#13; (a literal one would be read back as a newline, §2.11). Other
 * control characters are the caller's to refuse; they are written as
 * they are. */
void xmlesc_put(FILE *f, const char *s);
/* The same for an attribute value, with newline and tab as &#10; and
 * &#9; too: attribute-value normalization (§3.3.3) reads literal ones
 * back as spaces. */
void xmlesc_put_attr(FILE *f, const char *s);

/* "<indent><name>text</name>\n" with text escaped; name is the caller's
 * constant and written as it is. */
void xmlesc_put_elem(FILE *f, const char *indent, const char *name,
		     const char *text);

#endif
