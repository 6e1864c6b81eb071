/*
 * XML escaping (include/xvm/xmlesc.h), shared by xvmd's domain XML
 * formatter and xvm-install's domain XML builder.
 */
#include "xvm/xmlesc.h"

void xmlesc_put(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':  fputs("&amp;", f); break;
		case '<':  fputs("&lt;", f); break;
		case '>':  fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"':  fputs("&quot;", f); break;
		default:   fputc(*s, f);
		}
	}
}

void xmlesc_put_elem(FILE *f, const char *indent, const char *name,
		     const char *text)
{
	fprintf(f, "%s<%s>", indent, name);
	xmlesc_put(f, text);
	fprintf(f, "</%s>\n", name);
}
