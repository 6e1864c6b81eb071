/*
 * The CUnit runner for every unit suite (tests/unit/test_*.c). Prints
 * CUnit's report and a closing line "unit: N passed, N failed" that
 * tests/run adds up. Exits 1 if any test failed.
 * Usage: xvm-unit [suite[/test]]   (run only that suite or test)
 */
#include <stdio.h>
#include <string.h>
#include <CUnit/Basic.h>
#include "unit.h"

extern const struct unit_suite *const unit_suites[];

static int register_suites(const char *only)
{
	for (size_t i = 0; unit_suites[i]; i++) {
		const struct unit_suite *s = unit_suites[i];
		size_t n = strlen(s->name);

		if (only && (strncmp(only, s->name, n) != 0 ||
			     (only[n] != '\0' && only[n] != '/')))
			continue;
		CU_pSuite cs = CU_add_suite(s->name, s->init, s->cleanup);
		if (!cs)
			return -1;
		for (CU_TestInfo *t = s->tests; t->pName; t++) {
			if (only && only[n] == '/' &&
			    strcmp(only + n + 1, t->pName) != 0)
				continue;
			if (!CU_add_test(cs, t->pName, t->pTestFunc))
				return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (register_suites(only) < 0) {
		fprintf(stderr, "xvm-unit: %s\n", CU_get_error_msg());
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned int run = CU_get_number_of_tests_run();
	unsigned int failed = CU_get_number_of_tests_failed();
	unsigned int sfail = CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	printf("unit: %u passed, %u failed\n", run - failed, failed + sfail);
	return (failed || sfail) ? 1 : 0;
}
