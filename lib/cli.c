/*
 * The shared part of the dladm-like commands (include/xvm/cli.h): the
 * subcommand table and its usage text, option parsing and messages with
 * dladm's wording (REFERENCE.md "Errors and exit status"), and the ofmt
 * glue of show-* output.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xvm/cli.h"
#include "xvm/ofmt.h"

static void cli_vmsg(struct cli *c, const char *fmt, va_list ap)
{
	fprintf(c->err, "%s: ", c->prog);
	vfprintf(c->err, fmt, ap);
	fputc('\n', c->err);
}

int cli_fail(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(c, fmt, ap);
	va_end(ap);
	return 1;
}

int cli_warn(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "%s: warning: ", c->prog);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	return 1;
}

int cli_fail_status(struct cli *c, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(c, fmt, ap);
	va_end(ap);
	return status;
}

static int cli_usage_status(const struct cli *c)
{
	return c->usage_status ? c->usage_status : 1;
}

static void cli_cmd_usage(FILE *f, const struct cli_cmd *cmd)
{
	fprintf(f, "    %-16s %s\n", cmd->name, cmd->usage);
}

int cli_usage(struct cli *c)
{
	if (c->synopsis) {
		c->synopsis(c, c->err);
		return cli_usage_status(c);
	}
	fprintf(c->err, "usage: %s <subcommand> <args> ...\n", c->prog);
	for (size_t i = 0; i < c->ncmds; i++)
		cli_cmd_usage(c->err, &c->cmds[i]);
	return cli_usage_status(c);
}

int cli_help(struct cli *c, const char *name)
{
	const struct cli_cmd *cmd = NULL;

	if (name) {
		for (size_t i = 0; i < c->ncmds && !cmd; i++)
			if (strcmp(c->cmds[i].name, name) == 0)
				cmd = &c->cmds[i];
		if (!cmd)
			return cli_fail(c, "unknown subcommand '%.64s'", name);
	}
	/* asked for: the usage is the output */
	if (cmd) {
		fprintf(c->out, "usage:\n");
		cli_cmd_usage(c->out, cmd);
		return 0;
	}
	fprintf(c->out, "usage: %s <subcommand> <args> ...\n", c->prog);
	for (size_t i = 0; i < c->ncmds; i++)
		cli_cmd_usage(c->out, &c->cmds[i]);
	return 0;
}

int cli_usage_fail(struct cli *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmsg(c, fmt, ap);
	va_end(ap);
	if (!c->cmd || c->synopsis)
		return cli_usage(c);
	fprintf(c->err, "usage:\n");
	cli_cmd_usage(c->err, c->cmd);
	return cli_usage_status(c);
}

static const struct cli_cmd *cli_find_cmd(const struct cli *c,
					  const char *name)
{
	for (size_t i = 0; i < c->ncmds; i++)
		if (strcmp(c->cmds[i].name, name) == 0)
			return &c->cmds[i];
	return NULL;
}

int cli_run(struct cli *c, int argc, char **argv)
{
	/* no subcommand: the default one, alone, as if typed */
	char *dflt[] = { argc ? argv[0] : NULL, (char *)c->default_cmd, NULL };
	int ret;

	if (argc < 2 && !c->default_cmd)
		return cli_usage(c);
	if (argc < 2) {
		argc = 2;
		argv = dflt;
	}
	c->cmd = cli_find_cmd(c, argv[1]);
	if (!c->cmd) {
		cli_fail(c, "unknown subcommand '%.64s'", argv[1]);
		return cli_usage(c);
	}
	ret = c->cmd->handler(c, argc - 1, argv + 1);
	if (fflush(c->out) == EOF || ferror(c->out)) {
		fprintf(c->err, "%s: cannot write output\n", c->prog);
		ret = 1;
	}
	return ret;
}

/* Record one option. A repeated flag is harmless (dladm ignores it); an
 * option with a value may repeat only if listed in multi. */
static int cli_opt_store(struct cli *c, struct cli_opts *o, int ch,
			 const char *arg, const char *multi)
{
	char *j;

	if (!o->val[ch]) {
		o->val[ch] = arg;
		return 0;
	}
	if (!arg)
		return 0;
	if (!multi || !strchr(multi, ch))
		return cli_usage_fail(c, "the option -%c cannot be specified "
				      "more than once", ch);
	if (asprintf(&j, "%s,%s", o->val[ch], arg) < 0)
		return cli_fail(c, "out of memory");
	free(o->joined[ch]);
	o->joined[ch] = j;
	o->val[ch] = j;
	return 0;
}

/* An unknown option, named as dladm names it: the whole word for a
 * "--name" (getopt_long sets optopt to 0 and has moved past it; getopt
 * with no long options gives '-', from the word it is in, argv[optind]
 * while inside it, the one before once it moved on). */
static int cli_opt_unknown(struct cli *c, int argc, char **argv)
{
	if (optopt == 0 && optind > 0 && optind <= argc && argv[optind - 1])
		return cli_usage_fail(c, "unrecognized option '%.64s'",
				      argv[optind - 1]);
	for (int i = optind; i >= optind - 1 && i > 0; i--)
		if (optopt == '-' && i < argc && argv[i] &&
		    strncmp(argv[i], "--", 2) == 0 && argv[i][2])
			return cli_usage_fail(c, "unrecognized option '%.64s'",
					      argv[i]);
	return cli_usage_fail(c, "unrecognized option '-%c'", optopt);
}

/* Whether word is one of the space-separated words of list. */
static bool cli_word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; *p; ) {
		size_t len = strcspn(p, " ");

		if (len == n && strncmp(p, word, n) == 0)
			return true;
		p += len;
		p += strspn(p, " ");
	}
	return false;
}

/* The long options of c->longopts that apply to this subcommand and
 * optstring, into lo (n entries with the terminating one). */
static void cli_longopts(const struct cli *c, const char *optstring,
			 struct option *lo, size_t n)
{
	size_t k = 0;

	for (const struct cli_longopt *l = c->longopts; l && l->name &&
	     k + 1 < n; l++) {
		const char *at = strchr(optstring, l->letter);

		if (!at || l->letter == ':' || (at[1] == ':') != l->arg)
			continue;
		if (l->cmds && (!c->cmd || !cli_word_in(l->cmds, c->cmd->name)))
			continue;
		lo[k++] = (struct option){ l->name,
			l->arg ? required_argument : no_argument, NULL,
			l->letter };
	}
	lo[k] = (struct option){ NULL, 0, NULL, 0 };
}

int cli_opts_parse(struct cli *c, int argc, char **argv,
		   const char *optstring, const char *multi,
		   struct cli_opts *o)
{
	struct option lo[32];
	char spec[64];
	int ch, ret;

	memset(o, 0, sizeof(*o));
	cli_longopts(c, optstring, lo, ARRAY_SIZE(lo));
	/* a leading ':' reports a missing value apart from an unknown
	 * option; options may follow operands (GNU getopt permutes) */
	snprintf(spec, sizeof(spec), ":%s", optstring);
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, spec, lo, NULL)) != -1) {
		if (ch == ':') {
			const char *prev = optind > 0 && optind <= argc ?
					   argv[optind - 1] : NULL;

			if (prev && strncmp(prev, "--", 2) == 0)
				return cli_usage_fail(c, "option '%.64s' "
						      "requires a value", prev);
			return cli_usage_fail(c, "option '-%c' requires a "
					      "value", optopt);
		}
		if (ch == '?' || ch <= 0 || ch >= 128)
			return cli_opt_unknown(c, argc, argv);
		ret = cli_opt_store(c, o, ch, optarg, multi);
		if (ret)
			return ret;
		if (!o->val[ch])
			o->val[ch] = "";	/* a flag: set */
	}
	o->optind = optind;
	return 0;
}

void cli_opts_free(struct cli_opts *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(o->joined); i++) {
		free(o->joined[i]);
		o->joined[i] = NULL;
	}
}

int cli_parse_interval(struct cli *c, const char *s, unsigned *secs)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end || errno || n == 0 ||
	    n > 86400)
		return cli_fail(c, "invalid interval value '%.32s'", s);
	*secs = (unsigned)n;
	return 0;
}

int cli_table_open(struct cli *c, const struct ofmt_field *fields,
		   const char *oarg, bool parseable, struct ofmt **o)
{
	char err[256];

	if (ofmt_open(fields, oarg, parseable ? OFMT_PARSEABLE : 0, c->out,
		      o, err, sizeof(err)) < 0)
		return cli_fail(c, "%s", err);
	return 0;
}

static int cli_malformed(struct cli *c)
{
	if (c->peer)
		return cli_fail(c, "%s: malformed reply", c->peer);
	return cli_fail(c, "malformed reply");
}

int cli_table_rows(struct cli *c, struct ofmt *o, const json_t *rows)
{
	size_t i;
	json_t *row;

	if (!json_is_array(rows))
		return cli_malformed(c);
	json_array_foreach(rows, i, row) {
		if (!json_is_object(row))
			return cli_malformed(c);
		if (ofmt_print(o, row) < 0)
			return cli_fail(c, "cannot write output");
	}
	return 0;
}
