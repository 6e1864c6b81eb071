/*
 * lib/cli.c with a made-up program "flowtool" (not vnicadm: the name is a
 * parameter): dispatch, the usage text generated from its table, option
 * errors worded as REFERENCE.md's, -i intervals and the ofmt glue. The
 * command lines vnicadm itself accepts are test_vnicadm.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "xvm/cli.h"
#include "xvm/ofmt.h"

static char *out_buf, *err_buf;
static size_t out_len, err_len;
static struct cli_opts seen;	/* what show-flow got */

static int show_flow(struct cli *c, int argc, char **argv)
{
	cli_opts_free(&seen);
	if (cli_opts_parse(c, argc, argv, "pl:o:", "o", &seen))
		return 1;
	if (seen.optind != argc)
		return cli_usage(c);
	fprintf(c->out, "flows over %s\n", seen.val['l'] ? seen.val['l'] : "-");
	return 0;
}

static const struct cli_cmd cmds[] = {
	{ "show-flow", show_flow, "[-p] [-l <link>] [-o <field>,...]" },
	{ "add-flow", show_flow, "-l <link> <flow>" },
};

/* Run the NULL-terminated command line with fresh output buffers. */
static int run(struct cli *c, const char **args)
{
	char *argv[16] = { "flowtool" };
	int argc = 1, ret;
	FILE *out = open_memstream(&out_buf, &out_len);
	FILE *err = open_memstream(&err_buf, &err_len);

	for (; *args && argc < 15; args++)
		argv[argc++] = (char *)*args;
	*c = (struct cli){ .prog = "flowtool", .out = out, .err = err,
			   .cmds = cmds, .ncmds = ARRAY_SIZE(cmds) };
	ret = cli_run(c, argc, argv);
	fclose(out);
	fclose(err);
	return ret;
}

#define RUN(...)	run(&c, (const char *[]){ __VA_ARGS__, NULL })

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void freebufs(void)
{
	free(out_buf);
	free(err_buf);
	out_buf = err_buf = NULL;
}

static void test_dispatch(void)
{
	struct cli c;

	CU_ASSERT_EQUAL(RUN("show-flow", "-l", "phys0", "-o", "a", "-o", "b"),
			0);
	CU_ASSERT_STRING_EQUAL(out_buf, "flows over phys0\n");
	CU_ASSERT_STRING_EQUAL(err_buf, "");
	CU_ASSERT_STRING_EQUAL(seen.val['o'], "a,b");	/* joined */
	freebufs();

	CU_ASSERT_EQUAL(RUN("frobnicate"), 1);
	CU_ASSERT_STRING_EQUAL(err_buf,
		"flowtool: unknown subcommand 'frobnicate'\n"
		"usage: flowtool <subcommand> <args> ...\n"
		"    show-flow        [-p] [-l <link>] [-o <field>,...]\n"
		"    add-flow         -l <link> <flow>\n");
	freebufs();
	CU_ASSERT_EQUAL(run(&c, (const char *[]){ NULL }), 1);
	CU_ASSERT_TRUE(starts_with(err_buf, "usage: flowtool <subcommand>"));
	freebufs();
}

static void test_option_errors(void)
{
	struct cli c;

	CU_ASSERT_EQUAL(RUN("show-flow", "-x"), 1);
	CU_ASSERT_STRING_EQUAL(err_buf,
		"flowtool: unrecognized option '-x'\n"
		"usage:\n"
		"    show-flow        [-p] [-l <link>] [-o <field>,...]\n");
	freebufs();
	CU_ASSERT_EQUAL(RUN("show-flow", "-l"), 1);
	CU_ASSERT_TRUE(starts_with(err_buf, "flowtool: option '-l' requires "
				   "a value\nusage:\n"));
	freebufs();
	CU_ASSERT_EQUAL(RUN("show-flow", "-l", "a0", "-l", "b0"), 1);
	CU_ASSERT_TRUE(starts_with(err_buf, "flowtool: the option -l cannot "
				   "be specified more than once\n"));
	freebufs();
	/* a repeated flag is harmless */
	CU_ASSERT_EQUAL(RUN("show-flow", "-p", "-p"), 0);
	freebufs();
	cli_opts_free(&seen);
}

static void test_interval(void)
{
	struct cli c = { .prog = "flowtool" };
	unsigned secs = 0;
	char *buf = NULL;
	size_t len;

	c.err = open_memstream(&buf, &len);
	CU_ASSERT_EQUAL(cli_parse_interval(&c, "5", &secs), 0);
	CU_ASSERT_EQUAL(secs, 5);
	CU_ASSERT_EQUAL(cli_parse_interval(&c, "86401", &secs), 1);
	CU_ASSERT_EQUAL(cli_parse_interval(&c, "-1", &secs), 1);
	fclose(c.err);
	CU_ASSERT_STRING_EQUAL(buf, "flowtool: invalid interval value "
			       "'86401'\nflowtool: invalid interval value "
			       "'-1'\n");
	free(buf);
}

static void flowtool_synopsis(const struct cli *c, FILE *f)
{
	fprintf(f, "usage: %s [-v] TARGET show-flow|add-flow\n", c->prog);
}

/* A program with its own synopsis and exit statuses (as hvctl): usage
 * errors print the synopsis and return usage_status, other failures the
 * status given. */
static void test_synopsis_status(void)
{
	struct cli c = { .prog = "flowtool", .synopsis = flowtool_synopsis,
			 .usage_status = 2, .cmds = cmds,
			 .ncmds = ARRAY_SIZE(cmds) };
	struct cli_opts o;
	char *argv[] = { "show-flow", "-x", NULL };

	c.out = open_memstream(&out_buf, &out_len);
	c.err = open_memstream(&err_buf, &err_len);
	CU_ASSERT_EQUAL(cli_usage_fail(&c, "missing target"), 2);
	c.cmd = &cmds[0];	/* the synopsis, not the subcommand's line */
	CU_ASSERT_EQUAL(cli_opts_parse(&c, 2, argv, "p", "", &o), 2);
	cli_opts_free(&o);
	CU_ASSERT_EQUAL(cli_usage(&c), 2);
	CU_ASSERT_EQUAL(cli_fail_status(&c, 3, "cannot connect to %s", "x"),
			3);
	CU_ASSERT_EQUAL(cli_fail(&c, "refused"), 1);
	fclose(c.out);
	fclose(c.err);
	CU_ASSERT_STRING_EQUAL(out_buf, "");
	CU_ASSERT_STRING_EQUAL(err_buf,
		"flowtool: missing target\n"
		"usage: flowtool [-v] TARGET show-flow|add-flow\n"
		"flowtool: unrecognized option '-x'\n"
		"usage: flowtool [-v] TARGET show-flow|add-flow\n"
		"usage: flowtool [-v] TARGET show-flow|add-flow\n"
		"flowtool: cannot connect to x\n"
		"flowtool: refused\n");
	freebufs();
}

static const char *field(const void *row, unsigned id, char *buf,
			 size_t len)
{
	(void)id;
	(void)buf;
	(void)len;
	return json_string_value(json_object_get(row, "name"));
}

static void test_table(void)
{
	static const struct ofmt_field fields[] = {
		{ "FLOW", 8, 0, field }, { NULL, 0, 0, NULL },
	};
	struct cli c = { .prog = "flowtool", .peer = "vswitchd" };
	json_t *rows = json_loads("[{\"name\":\"f0\"},{\"name\":\"f1\"}]", 0,
				  NULL);
	struct ofmt *o;

	c.out = open_memstream(&out_buf, &out_len);
	c.err = open_memstream(&err_buf, &err_len);
	CU_ASSERT_EQUAL(cli_table_open(&c, fields, NULL, true, &o), 1);
	CU_ASSERT_EQUAL_FATAL(cli_table_open(&c, fields, "flow", true, &o),
			      0);
	CU_ASSERT_EQUAL(cli_table_rows(&c, o, rows), 0);
	CU_ASSERT_EQUAL(cli_table_rows(&c, o, json_array_get(rows, 0)), 1);
	ofmt_close(o);
	fclose(c.out);
	fclose(c.err);
	CU_ASSERT_STRING_EQUAL(out_buf, "f0\nf1\n");
	CU_ASSERT_STRING_EQUAL(err_buf, "flowtool: -p requires -o\n"
			       "flowtool: vswitchd: malformed reply\n");
	freebufs();
	json_decref(rows);
}

static CU_TestInfo tests[] = {
	{ "subcommands and generated usage", test_dispatch },
	{ "option errors", test_option_errors },
	{ "-i interval", test_interval },
	{ "own synopsis and exit statuses", test_synopsis_status },
	{ "ofmt tables from JSON rows", test_table },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(cli, NULL, NULL, tests);
