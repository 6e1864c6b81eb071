/*
 * xvmd's save image header (xvmd/savefile.c, docs/xvmd.md "Save
 * images"): decode the input as the first bytes of an image; what decodes
 * is encoded again and must decode to the same header (data offset,
 * flags, stream length, XML).
 */
#include "fuzz.h"
#include "xvm/log.h"
#include "xvmd/savefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct savefile_hdr h, h2;
	char err[256];
	uint8_t *buf;

	if (size > (2u << 20))
		return 0;
	memset(&h, 0, sizeof(h));
	if (savefile_decode(data, size, &h, err, sizeof(err)) < 0)
		return 0;
	if (!h.xml || strlen(h.xml) != h.xml_len)
		abort();
	if (savefile_encode(&h, &buf) < 0)
		abort();		/* what decoded must encode */
	memset(&h2, 0, sizeof(h2));
	if (savefile_decode(buf, h.data_off, &h2, err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_savefile: re-encoded header refused: "
			"%s\n", err);
		abort();
	}
	if (h2.flags != h.flags || h2.stream_len != h.stream_len ||
	    h2.xml_len != h.xml_len || strcmp(h2.xml, h.xml) != 0 ||
	    h2.data_off != h.data_off)
		abort();
	free(buf);
	savefile_free(&h);
	savefile_free(&h2);
	return 0;
}
