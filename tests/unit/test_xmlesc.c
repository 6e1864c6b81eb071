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
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(xmlesc, NULL, NULL, tests);
