/*
 * Domain XML (xvmd/domxml.c, domxml_format.c): parse the input; what
 * parses is formatted, the result must parse again and format to the
 * same text (what dumpxml shows is what define stores and reads back).
 */
#include "fuzz.h"
#include "xvm/log.h"
#include "xvmd/domxml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc; (void)argv;
	fuzz_log_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dom_config a, b;	/* large: not on the stack */
	char err[256];
	char *x1, *x2;

	if (size > (1u << 20))
		return 0;
	memset(&a, 0, sizeof(a));
	if (domxml_parse((const char *)data, size, &a, err, sizeof(err)) < 0)
		return 0;
	x1 = domxml_format(&a, NULL);
	if (!x1)
		abort();
	memset(&b, 0, sizeof(b));
	if (domxml_parse(x1, strlen(x1), &b, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_domxml: formatted XML does not parse "
			"back: %s\n--- formatted:\n%s\n", err, x1);
		abort();
	}
	x2 = domxml_format(&b, NULL);
	if (!x2)
		abort();
	if (strcmp(x1, x2) != 0) {
		fprintf(stderr, "fuzz_domxml: format differs after a round "
			"trip\n--- first:\n%s\n--- second:\n%s\n", x1, x2);
		abort();
	}
	free(x1);
	free(x2);
	return 0;
}
