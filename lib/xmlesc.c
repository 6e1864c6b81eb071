/*
 * XML escaping (include/xvm/xmlesc.h), shared by xvmd's domain XML
 * formatter and xvm-install's domain XML builder.
 */
#include "xvm/xmlesc.h"

/* attr: also the white space attribute-value normalization (XML 1.0
 * §3.3.3) would turn into spaces. A CR is escaped everywhere: end-of-line
 * handling (§2.11) turns a literal one into a newline. */
static void xmlesc_write(FILE *f, const char *s, bool attr)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':  fputs("&amp;", f); break;
		case '<':  fputs("&lt;", f); break;
		case '>':  fputs("&gt;", f); break;
		case '\'': fputs("&apos;", f); break;
		case '"':  fputs("&quot;", f); break;
		case '\r': fputs("&#13;", f); break;
		case '\n': fputs(attr ? "&#10;" : "\n", f); break;
		case '\t': fputs(attr ? "&#9;" : "\t", f); break;
		default:   fputc(*s, f);
		}
	}
}

void xmlesc_put(FILE *f, const char *s)
{
	xmlesc_write(f, s, false);
}

void xmlesc_put_attr(FILE *f, const char *s)
{
	xmlesc_write(f, s, true);
}

void xmlesc_put_elem(FILE *f, const char *indent, const char *name,
		     const char *text)
{
	fprintf(f, "%s<%s>", indent, name);
	xmlesc_put(f, text);
	fprintf(f, "</%s>\n", name);
}
