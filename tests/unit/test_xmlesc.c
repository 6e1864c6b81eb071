/*
 * XML escaping (lib/xmlesc.c): the five markup characters become entity
 * references, everything else passes through, and an element is written
 * on its own line.
 */
#include <stdio.h>
#include <stdlib.h>

#include "unit.h"
#include "xvm/xmlesc.h"

static void test_put(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	xmlesc_put(f, "a&b<c>d'e\"f g/é");
	xmlesc_put(f, "");
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, "a&amp;b&lt;c&gt;d&apos;e&quot;f g/é");
	free(buf);
}

/* Issue 12 #10: white space survives a trip through a parser: CR
 * everywhere, newline and tab in attribute values as references. */
static void test_put_space(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	xmlesc_put(f, "a\rb\nc\td|");
	xmlesc_put_attr(f, "a\rb\nc\td<");
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, "a&#13;b\nc\td|a&#13;b&#10;c&#9;d&lt;");
	free(buf);
}

static void test_put_elem(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	xmlesc_put_elem(f, "  ", "cmdline", "ip=10.0.0.5/24 x<y");
	xmlesc_put_elem(f, "", "title", "");
	fclose(f);
	CU_ASSERT_STRING_EQUAL(buf, "  <cmdline>ip=10.0.0.5/24 x&lt;y"
			       "</cmdline>\n<title></title>\n");
	free(buf);
}

static CU_TestInfo tests[] = {
	{ "markup characters escaped", test_put },
	{ "element on its own line", test_put_elem },
	{ "CR, and newline and tab in attributes (issue 12 #10)",
	  test_put_space },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(xmlesc, NULL, NULL, tests);
