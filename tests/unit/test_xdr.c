/*
 * Unit tests for xvmd/xdr.c, the libvirt remote protocol's XDR codec:
 * encodings (RFC 4506), bounded reads that fail on truncation, oversized
 * lengths and embedded NULs, and the procedure table's order.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "xvmd/xdr.h"
#include "xvmd/proc.h"

static void test_xdr_encode(void)
{
	static const uint8_t want[] = {
		0, 0, 0, 7,  0xff, 0xff, 0xff, 0xfe,
		0, 0, 0, 1, 0, 0, 0, 2,
		0, 0, 0, 3, 'a', 'b', 'c', 0,
		0, 0, 0, 0,
		0, 0, 0, 1, 0, 0, 0, 4, 'w', 'x', 'y', 'z',
		0, 0, 0, 2, 9, 8, 0, 0,
	};
	struct xdr_out o;

	xdr_out_init(&o);
	xdr_put_u32(&o, 7);
	xdr_put_i32(&o, -2);
	xdr_put_u64(&o, 0x100000002ull);
	xdr_put_string(&o, "abc");
	xdr_put_opt_string(&o, NULL);
	xdr_put_opt_string(&o, "wxyz");
	xdr_put_opaque(&o, "\x09\x08", 2);
	CU_ASSERT_EQUAL(o.err, 0);
	CU_ASSERT_EQUAL(o.len, sizeof(want));
	CU_ASSERT(o.len == sizeof(want) && !memcmp(o.buf, want, sizeof(want)));
	xdr_put_raw(&o, "xyz", 3);		/* stream data: no padding */
	CU_ASSERT_EQUAL(o.len, sizeof(want) + 3);
	xdr_patch_u32(&o, 0, 0x01020304);
	CU_ASSERT_EQUAL(o.buf[0], 1);
	CU_ASSERT_EQUAL(o.buf[3], 4);
	xdr_out_free(&o);
}

static void test_xdr_decode(void)
{
	static const uint8_t in[] = {
		0xff, 0xff, 0xff, 0xff,  0, 0, 0, 1, 0, 0, 0, 2,
		0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o', 0, 0, 0,
		0, 0, 0, 0,
		0, 0, 0, 1, 0, 0, 0, 1, 'x', 0, 0, 0,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	};
	struct xdr_in x;
	uint8_t uuid[16];
	bool present;
	char *s, *o1, *o2;

	xdr_in_init(&x, in, sizeof(in));
	CU_ASSERT_EQUAL(xdr_get_i32(&x), -1);
	CU_ASSERT_EQUAL(xdr_get_u64(&x), 0x100000002ull);
	s = xdr_get_string(&x, 100);
	CU_ASSERT_STRING_EQUAL(s, "hello");
	o1 = xdr_get_opt_string(&x, 100, &present);
	CU_ASSERT_PTR_NULL(o1);
	CU_ASSERT_FALSE(present);
	o2 = xdr_get_opt_string(&x, 100, &present);
	CU_ASSERT_TRUE(present);
	CU_ASSERT_STRING_EQUAL(o2, "x");
	xdr_get_fixed(&x, uuid, 16);
	CU_ASSERT_EQUAL(uuid[15], 16);
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), 0);
	free(s);
	free(o2);
}

/* A string whose length runs past the packet, one over the caller's
 * limit, one with a NUL inside, a truncated integer: all fail, and the
 * reader stays failed. */
static void test_xdr_bounds(void)
{
	static const uint8_t past[] = { 0, 0, 0, 9, 'a', 'b', 'c', 'd' };
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'a', 0, 0, 0 };
	static const uint8_t nul[] = { 0, 0, 0, 3, 'a', 0, 'b', 0 };
	static const uint8_t shrt[] = { 0, 0, 0 };
	static const uint8_t badopt[] = { 0, 0, 0, 2 };
	struct xdr_in x;
	bool present;
	size_t len;

	xdr_in_init(&x, past, sizeof(past));
	CU_ASSERT_PTR_NULL(xdr_get_string(&x, 100));
	CU_ASSERT_EQUAL(x.err, -EBADMSG);
	CU_ASSERT_EQUAL(xdr_get_u32(&x), 0);	/* stays failed */
	CU_ASSERT_NOT_EQUAL(xdr_in_done(&x, false), 0);

	xdr_in_init(&x, huge, sizeof(huge));
	CU_ASSERT_PTR_NULL(xdr_get_string(&x, XDR_STRING_MAX));
	CU_ASSERT_EQUAL(x.err, -E2BIG);

	xdr_in_init(&x, past, sizeof(past));
	CU_ASSERT_PTR_NULL(xdr_get_opaque(&x, 4, &len));
	CU_ASSERT_EQUAL(x.err, -E2BIG);

	xdr_in_init(&x, nul, sizeof(nul));
	CU_ASSERT_PTR_NULL(xdr_get_string(&x, 100));
	CU_ASSERT_EQUAL(x.err, -EINVAL);

	xdr_in_init(&x, shrt, sizeof(shrt));
	xdr_get_u32(&x);
	CU_ASSERT_EQUAL(xdr_in_done(&x, false), -EBADMSG);

	xdr_in_init(&x, badopt, sizeof(badopt));
	CU_ASSERT_PTR_NULL(xdr_get_opt_string(&x, 100, &present));
	CU_ASSERT_EQUAL(x.err, -EBADMSG);

	xdr_in_init(&x, nul, sizeof(nul));
	xdr_get_u32(&x);
	CU_ASSERT_EQUAL(xdr_in_done(&x, true), -EBADMSG);	/* left over */
	CU_ASSERT_EQUAL(xdr_in_done(&x, false), 0);
}

static void test_xdr_out_limit(void)
{
	struct xdr_out o;
	char *big = malloc(XDR_STRING_MAX + 2);

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'a', XDR_STRING_MAX + 1);
	big[XDR_STRING_MAX + 1] = 0;
	xdr_out_init(&o);
	xdr_put_string(&o, big);
	CU_ASSERT_EQUAL(o.err, -E2BIG);
	xdr_put_u32(&o, 1);			/* nothing after a failure */
	CU_ASSERT_EQUAL(o.len, 0);
	xdr_out_free(&o);
	free(big);
}

static void test_proc_table(void)
{
	CU_ASSERT_TRUE(proc_table_sorted());
	CU_ASSERT_PTR_NOT_NULL(proc_lookup(1));
	CU_ASSERT_STRING_EQUAL(proc_lookup(273)->name, "CONNECT_LIST_ALL_DOMAINS");
	CU_ASSERT_PTR_NULL(proc_lookup(53));	/* CORE_DUMP: NO_SUPPORT */
	/* remote_protocol.x's save/restore numbers */
	CU_ASSERT_STRING_EQUAL(proc_lookup(55)->name, "DOMAIN_SAVE");
	CU_ASSERT_STRING_EQUAL(proc_lookup(54)->name, "DOMAIN_RESTORE");
	CU_ASSERT_STRING_EQUAL(proc_lookup(232)->name, "DOMAIN_SAVE_FLAGS");
	CU_ASSERT_STRING_EQUAL(proc_lookup(233)->name, "DOMAIN_RESTORE_FLAGS");
	CU_ASSERT_STRING_EQUAL(proc_lookup(182)->name, "DOMAIN_MANAGED_SAVE");
	CU_ASSERT_STRING_EQUAL(proc_lookup(184)->name,
			       "DOMAIN_MANAGED_SAVE_REMOVE");
	CU_ASSERT_STRING_EQUAL(proc_lookup(235)->name,
			       "DOMAIN_SAVE_IMAGE_GET_XML_DESC");
	/* remote_protocol.x: 202 is DOMAIN_IS_UPDATED, 152 NETWORK_IS_ACTIVE */
	CU_ASSERT_STRING_EQUAL(proc_lookup(202)->name, "DOMAIN_IS_UPDATED");
	CU_ASSERT_PTR_NULL(proc_lookup(152));
	CU_ASSERT_PTR_NULL(proc_lookup(-1));
	/* storage (issue 14): remote_protocol.x's numbers */
	CU_ASSERT_STRING_EQUAL(proc_lookup(77)->name,
			       "STORAGE_POOL_DEFINE_XML");
	CU_ASSERT_STRING_EQUAL(proc_lookup(93)->name,
			       "STORAGE_VOL_CREATE_XML");
	CU_ASSERT_STRING_EQUAL(proc_lookup(97)->name,
			       "STORAGE_VOL_LOOKUP_BY_PATH");
	CU_ASSERT_STRING_EQUAL(proc_lookup(154)->name,
			       "STORAGE_POOL_IS_ACTIVE");
	CU_ASSERT_STRING_EQUAL(proc_lookup(260)->name, "STORAGE_VOL_RESIZE");
	CU_ASSERT_STRING_EQUAL(proc_lookup(281)->name,
			       "CONNECT_LIST_ALL_STORAGE_POOLS");
	CU_ASSERT_STRING_EQUAL(proc_lookup(282)->name,
			       "STORAGE_POOL_LIST_ALL_VOLUMES");
	CU_ASSERT_PTR_NULL(proc_lookup(75));	/* FIND_STORAGE_POOL_SOURCES */
	CU_ASSERT_STRING_EQUAL(proc_lookup(125)->name,
			       "STORAGE_VOL_CREATE_XML_FROM");
	CU_ASSERT_STRING_EQUAL(proc_lookup(165)->name, "STORAGE_VOL_WIPE");
	CU_ASSERT_STRING_EQUAL(proc_lookup(259)->name,
			       "STORAGE_VOL_WIPE_PATTERN");
	CU_ASSERT_PTR_NULL(proc_unserved_api(125));
	CU_ASSERT_PTR_NULL(proc_unserved_api(165));
	CU_ASSERT_PTR_NULL(proc_unserved_api(259));
}

/* The API names of unserved procedures, as libvirtd's message names them
 * (remote_protocol.x REMOTE_PROC_X -> virX). */
static void test_proc_unserved(void)
{
	CU_ASSERT_TRUE(proc_unserved_sorted());
	CU_ASSERT_STRING_EQUAL(proc_unserved_api(53), "virDomainCoreDump");
	CU_ASSERT_STRING_EQUAL(proc_unserved_api(236),
			       "virDomainSaveImageDefineXML");
	CU_ASSERT_PTR_NULL(proc_unserved_api(55));	/* served: save */
	CU_ASSERT_STRING_EQUAL(proc_unserved_api(52), "virConnectNumOfNetworks");
	CU_ASSERT_PTR_NULL(proc_unserved_api(160));	/* served: attach */
	CU_ASSERT_STRING_EQUAL(proc_unserved_api(263),
			       "virDomainGetDiskErrors");
	CU_ASSERT_PTR_NULL(proc_unserved_api(262));	/* served: cpu-stats */
	/* served: the job procedures (domjobinfo, domjobabort,
	 * migrate-set/getmaxdowntime, migrate-set/getspeed) */
	CU_ASSERT_PTR_NOT_NULL(proc_lookup(163));
	CU_ASSERT_PTR_NOT_NULL(proc_lookup(164));
	CU_ASSERT_PTR_NOT_NULL(proc_lookup(166));
	CU_ASSERT_PTR_NOT_NULL(proc_lookup(207));
	CU_ASSERT_PTR_NOT_NULL(proc_lookup(242));
	CU_ASSERT_PTR_NOT_NULL(proc_lookup(298));
	CU_ASSERT_PTR_NOT_NULL(proc_lookup(387));
	CU_ASSERT_PTR_NULL(proc_unserved_api(164));
	CU_ASSERT_PTR_NULL(proc_unserved_api(64));	/* served: domblkstat */
	CU_ASSERT_PTR_NULL(proc_unserved_api(344));	/* served: stats */
	CU_ASSERT_PTR_NULL(proc_unserved_api(1));	/* served */
	CU_ASSERT_PTR_NULL(proc_unserved_api(71));	/* served: pools */
	CU_ASSERT_PTR_NULL(proc_unserved_api(84));
	CU_ASSERT_PTR_NULL(proc_unserved_api(281));
	CU_ASSERT_PTR_NULL(proc_unserved_api(282));
	CU_ASSERT_PTR_NULL(proc_unserved_api(9999));
}

static CU_TestInfo tests[] = {
	{ "encode", test_xdr_encode },
	{ "decode", test_xdr_decode },
	{ "bounded reads", test_xdr_bounds },
	{ "output limit", test_xdr_out_limit },
	{ "procedure table sorted", test_proc_table },
	{ "unserved procedures' API names", test_proc_unserved },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(xdr, NULL, NULL, tests);
