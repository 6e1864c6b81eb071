/*
 * Unit test registration. Each tests/unit/test_<module>.c defines one suite:
 *
 *   static CU_TestInfo tests[] = { {"name", fn}, ..., CU_TEST_INFO_NULL };
 *   UNIT_SUITE(module, NULL, NULL, tests);
 *
 * The Makefile generates the table of suites from the file names, so adding
 * a file adds its suite.
 */
#ifndef XVM_UNIT_H
#define XVM_UNIT_H

#include <CUnit/CUnit.h>

struct unit_suite {
	const char *name;
	CU_InitializeFunc init;
	CU_CleanupFunc cleanup;
	CU_TestInfo *tests;
};

#define UNIT_SUITE(mod, init_fn, cleanup_fn, tests_arr)			\
	const struct unit_suite unit_suite_##mod = {			\
		#mod, init_fn, cleanup_fn, tests_arr			\
	}

#endif
