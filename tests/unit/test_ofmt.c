/*
 * Golden-output tests for lib/ofmt.c: the show-vnic table of
 * REFERENCE.md printed in human and parseable form, column overflow, empty
 * and unknown values, -o selection and the CLI's error messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "xvm/ofmt.h"

struct vnic_row {
	const char *link, *over, *speed, *mac, *type, *vid;
};

enum { F_LINK, F_OVER, F_SPEED, F_MAC, F_TYPE, F_VID };

/* "?" marks a value the test wants reported as unreadable. */
static const char *vnic_cb(const void *row, unsigned id, char *buf,
			   size_t len)
{
	const struct vnic_row *r = row;
	const char *v[] = { r->link, r->over, r->speed, r->mac, r->type,
			    r->vid };

	if (id >= ARRAY_SIZE(v))
		return OFMT_UNKNOWN;
	if (v[id] && strcmp(v[id], "?") == 0)
		return OFMT_UNKNOWN;
	if (!v[id])
		return NULL;
	snprintf(buf, len, "%s", v[id]);	/* exercise the buffer path */
	return buf;
}

/* show-vnic: LINK[13] OVER[13] SPEED[9] MACADDRESS[18] MACADDRTYPE[20]
 * VID[7] (REFERENCE.md). */
static const struct ofmt_field vnic_fields[] = {
	{ "LINK", 13, F_LINK, vnic_cb },
	{ "OVER", 13, F_OVER, vnic_cb },
	{ "SPEED", 9, F_SPEED, vnic_cb },
	{ "MACADDRESS", 18, F_MAC, vnic_cb },
	{ "MACADDRTYPE", 20, F_TYPE, vnic_cb },
	{ "VID", 7, F_VID, vnic_cb },
	{ NULL, 0, 0, NULL },
};

static const struct vnic_row guest = {
	"xvm1_0", "e1000g0", "1000", "0:16:3e:64:99:4d", "fixed", "0"
};
static const struct vnic_row vlan = {
	"vnic12", "phys0", "100", "2:8:20:a:b:c", "random", "4094"
};

static char *out_buf;
static size_t out_len;

/* Render rows with -o oarg and flags; returns the text (or NULL on an
 * open error, with the message in err). */
static const char *render(const char *oarg, unsigned flags,
			  const struct vnic_row *const *rows, char *err)
{
	FILE *f;
	struct ofmt *o;

	free(out_buf);
	out_buf = NULL;
	f = open_memstream(&out_buf, &out_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	err[0] = '\0';
	if (ofmt_open(vnic_fields, oarg, flags, f, &o, err, 128) < 0) {
		fclose(f);
		return NULL;
	}
	for (; *rows; rows++)
		CU_ASSERT_EQUAL(ofmt_print(o, *rows), 0);
	ofmt_close(o);
	fclose(f);
	return out_buf;
}

static void test_human(void)
{
	const struct vnic_row *rows[] = { &guest, &vlan, NULL };
	char err[128];

	CU_ASSERT_STRING_EQUAL(render(NULL, 0, rows, err),
"LINK         OVER         SPEED    MACADDRESS        MACADDRTYPE         VID\n"
"xvm1_0       e1000g0      1000     0:16:3e:64:99:4d  fixed               0\n"
"vnic12       phys0        100      2:8:20:a:b:c      random              4094\n");
	/* "all" is the same as no -o, and so is "ALL". */
	CU_ASSERT_STRING_EQUAL(render("all", 0, rows, err),
"LINK         OVER         SPEED    MACADDRESS        MACADDRTYPE         VID\n"
"xvm1_0       e1000g0      1000     0:16:3e:64:99:4d  fixed               0\n"
"vnic12       phys0        100      2:8:20:a:b:c      random              4094\n");
}

static void test_no_rows(void)
{
	const struct vnic_row *rows[] = { NULL };
	char err[128];

	CU_ASSERT_STRING_EQUAL(render(NULL, 0, rows, err), "");
}

static void test_overflow(void)
{
	/* LINK is 15 wide in a 13 column: one space, 3 columns borrowed
	 * from OVER's padding; OVER then fits in 10. */
	const struct vnic_row wide = {
		"averylongvnic15", "e1000g0", "1000", "0:16:3e:64:99:4d",
		"fixed", "0"
	};
	/* Borrowing across several columns: LINK 20 wide owes 8; OVER 13
	 * wide cannot pay (owes 8 + 13 + 1 - 13 = 9); SPEED "1" neither
	 * (9 + 1 + 1 - 9 = 2); MACADDRESS (16 + 2 >= 18) owes 1; MACADDRTYPE
	 * pays it back with one column of its padding. */
	const struct vnic_row wider = {
		"link_name_20_chars_x", "over13chars_x", "1",
		"0:16:3e:64:99:4d", "fixed", "0"
	};
	const struct vnic_row *rows[] = { &wide, &guest, &wider, NULL };
	char err[128];

	CU_ASSERT_STRING_EQUAL(render(NULL, 0, rows, err),
"LINK         OVER         SPEED    MACADDRESS        MACADDRTYPE         VID\n"
"averylongvnic15 e1000g0   1000     0:16:3e:64:99:4d  fixed               0\n"
"xvm1_0       e1000g0      1000     0:16:3e:64:99:4d  fixed               0\n"
"link_name_20_chars_x over13chars_x 1 0:16:3e:64:99:4d fixed              0\n");
}

static void test_empty_unknown(void)
{
	const struct vnic_row r = {
		"vnic3", NULL, "?", "0:1:2:3:4:5", "", NULL
	};
	const struct vnic_row *rows[] = { &r, NULL };
	char err[128];

	CU_ASSERT_STRING_EQUAL(render(NULL, 0, rows, err),
"LINK         OVER         SPEED    MACADDRESS        MACADDRTYPE         VID\n"
"vnic3        --           ?        0:1:2:3:4:5       --                  --\n");
	/* Parseable: empty is empty, unknown stays "?". */
	CU_ASSERT_STRING_EQUAL(render("link,over,speed,vid", OFMT_PARSEABLE,
				      rows, err),
			       "vnic3::?:\n");
}

static void test_select(void)
{
	const struct vnic_row *rows[] = { &guest, &vlan, NULL };
	char err[128];

	/* Case-insensitive names, in the order given; empty names skipped. */
	CU_ASSERT_STRING_EQUAL(render("vid,Link,,MACADDRESS", 0, rows, err),
"VID    LINK         MACADDRESS\n"
"0      xvm1_0       0:16:3e:64:99:4d\n"
"4094   vnic12       2:8:20:a:b:c\n");
	CU_ASSERT_STRING_EQUAL(render("link", 0, rows, err),
			       "LINK\nxvm1_0\nvnic12\n");
}

static void test_parseable(void)
{
	const struct vnic_row odd = {
		"a:b", "c\\d", "100", "0:16:3e:1:2:3", "fixed", "5"
	};
	const struct vnic_row *rows[] = { &guest, &odd, NULL };
	char err[128];

	CU_ASSERT_STRING_EQUAL(render("link,macaddress,vid", OFMT_PARSEABLE,
				      rows, err),
			       "xvm1_0:0\\:16\\:3e\\:64\\:99\\:4d:0\n"
			       "a\\:b:0\\:16\\:3e\\:1\\:2\\:3:5\n");
	CU_ASSERT_STRING_EQUAL(render("over,link", OFMT_PARSEABLE, rows, err),
			       "e1000g0:xvm1_0\n"
			       "c\\\\d:a\\:b\n");
	/* One field: printed as is, no escaping. */
	CU_ASSERT_STRING_EQUAL(render("MACADDRESS", OFMT_PARSEABLE, rows,
				      err),
			       "0:16:3e:64:99:4d\n0:16:3e:1:2:3\n");
}

static void test_errors(void)
{
	const struct vnic_row *rows[] = { &guest, NULL };
	char err[128];

	CU_ASSERT_PTR_NULL(render(NULL, OFMT_PARSEABLE, rows, err));
	CU_ASSERT_STRING_EQUAL(err, "-p requires -o");
	CU_ASSERT_PTR_NULL(render("", OFMT_PARSEABLE, rows, err));
	CU_ASSERT_STRING_EQUAL(err, "no output fields given with -o");
	CU_ASSERT_PTR_NULL(render("", 0, rows, err));
	CU_ASSERT_STRING_EQUAL(err, "no output fields given with -o");
	CU_ASSERT_PTR_NULL(render("all", OFMT_PARSEABLE, rows, err));
	CU_ASSERT_STRING_EQUAL(err, "\"-o all\" is invalid with -p");
	CU_ASSERT_PTR_NULL(render("All", OFMT_PARSEABLE, rows, err));
	CU_ASSERT_STRING_EQUAL(err, "\"-o all\" is invalid with -p");
	CU_ASSERT_PTR_NULL(render("link,bogus,vid", 0, rows, err));
	CU_ASSERT_STRING_EQUAL(err, "unknown output field 'bogus'");
	CU_ASSERT_PTR_NULL(render("link,speedy", OFMT_PARSEABLE, rows, err));
	CU_ASSERT_STRING_EQUAL(err, "unknown output field 'speedy'");
	CU_ASSERT_PTR_NULL(render("lin", 0, rows, err));	/* no prefixes */
	CU_ASSERT_STRING_EQUAL(err, "unknown output field 'lin'");
	CU_ASSERT_PTR_NULL(render(",", 0, rows, err));
	CU_ASSERT_STRING_EQUAL(err, "no output fields given with -o");
}

static int cleanup(void)
{
	free(out_buf);
	out_buf = NULL;
	return 0;
}

static CU_TestInfo tests[] = {
	{ "human", test_human },
	{ "no_rows", test_no_rows },
	{ "overflow", test_overflow },
	{ "empty_unknown", test_empty_unknown },
	{ "select", test_select },
	{ "parseable", test_parseable },
	{ "errors", test_errors },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(ofmt, NULL, cleanup, tests);
