/*
 * vdiskadm's vdisk.xml (vdiskadm/vdxml.c, docs/vdiskadm.md): parse the
 * input; what parses is formatted, must parse again and format to the
 * same document (vdiskadm rewrites the file from what it read).
 */
#include "fuzz.h"
#include "xvm/log.h"
#include "vdiskadm/vdiskadm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vd_meta a, b;
	char err[256];
	size_t l1, l2;
	char *x1, *x2;

	if (size > (1u << 20))
		return 0;
	memset(&a, 0, sizeof(a));
	if (vdxml_parse((const char *)data, size, &a, err, sizeof(err)) < 0)
		return 0;
	x1 = vdxml_format(&a, &l1);
	if (!x1)
		abort();
	memset(&b, 0, sizeof(b));
	if (vdxml_parse(x1, l1, &b, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_vdxml: formatted vdisk.xml does not parse "
			"back: %s\n--- formatted:\n%s\n", err, x1);
		abort();
	}
	x2 = vdxml_format(&b, &l2);
	if (!x2)
		abort();
	if (l1 != l2 || memcmp(x1, x2, l1) != 0) {
		fprintf(stderr, "fuzz_vdxml: format differs after a round trip\n"
			"--- first:\n%s\n--- second:\n%s\n", x1, x2);
		abort();
	}
	free(x1);
	free(x2);
	return 0;
}
