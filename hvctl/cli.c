/*
 * hvctl's command table, usage text (generated from the table), argument
 * handling and the call on hv's control socket:
 *
 *   hvctl [-j] [-s SOCKET | NAME] COMMAND
 *
 * Messages are "hvctl: message" on stderr through lib/cli (xvm/cli.h), with
 * hvctl's synopsis after usage errors; exit statuses in hvctl.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvctl.h"
#include "xvm/daemon.h"
#include "xvm/rpc.h"

static const struct hvctl_cmd hvctl_cmds[] = {
	{ "status", hvctl_print_status,
	  "name, state, vCPUs, memory, console and pid of the domain", NULL },
	{ "pause", NULL, "stop the vCPUs", NULL },
	{ "resume", NULL, "restart paused vCPUs", NULL },
	{ "shutdown", NULL, "press the ACPI power button", NULL },
	{ "reset", NULL, "stop the domain; hv exits with status 10 (reboot)", NULL },
	{ "destroy", NULL, "stop the domain at once; hv exits with status 0", NULL },
	{ "save", hvctl_print_save, "write the domain's state to FILE; hv "
	  "exits with status 0", "FILE" },
};

/* The synopsis, commands generated from the table (the struct cli's
 * synopsis, printed after usage errors). */
static void hvctl_synopsis(const struct cli *c UNUSED, FILE *f)
{
	fprintf(f, "usage: " HVCTL_PROG " [-j] [-s SOCKET | NAME] ");
	for (size_t i = 0; i < ARRAY_SIZE(hvctl_cmds); i++)
		fprintf(f, "%s%s%s%s", i ? "|" : "", hvctl_cmds[i].name,
			hvctl_cmds[i].arg ? " " : "",
			hvctl_cmds[i].arg ? hvctl_cmds[i].arg : "");
	fputc('\n', f);
}

/* -h: the synopsis and what each option and command does. */
static void hvctl_help(FILE *f)
{
	hvctl_synopsis(NULL, f);
	fprintf(f, "  NAME       a domain started by xvmd: socket "
		"$XVM_RUNDIR/hv/NAME.sock\n"
		"  -s SOCKET  the socket given to hv --control\n"
		"  -j         print the result as JSON\n");
	for (size_t i = 0; i < ARRAY_SIZE(hvctl_cmds); i++)
		fprintf(f, "  %-10s %s\n", hvctl_cmds[i].name,
			hvctl_cmds[i].help);
}

static const struct hvctl_cmd *hvctl_cmd_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(hvctl_cmds); i++)
		if (!strcmp(hvctl_cmds[i].name, name))
			return &hvctl_cmds[i];
	return NULL;
}

/* Letters, digits, '.', '_', '-', not starting with '.': a domain name as
 * xvmd accepts it, which cannot leave the directory. */
static bool hvctl_name_ok(const char *name)
{
	if (!*name || name[0] == '.')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
	       strlen(name);
}

int hvctl_socket_path(char *buf, size_t len, const char *name)
{
	if (!hvctl_name_ok(name))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/hv/%s.sock", xvm_rundir(),
			     name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* -s SOCKET or NAME: the socket to call, in h->socket. */
static int hvctl_target(struct hvctl *h, const char *sock, const char *name)
{
	struct cli *c = &h->cli;
	int rc;

	if (sock) {
		if (!*sock)
			return cli_usage_fail(c, "-s needs a socket path");
		h->target = sock;
		if ((size_t)snprintf(h->socket, sizeof(h->socket), "%s",
				     sock) >= sizeof(h->socket))
			return cli_fail_status(c, HVCTL_EXIT_USAGE, "socket "
					       "path too long: %.64s...",
					       sock);
		return 0;
	}
	h->target = name;
	rc = hvctl_socket_path(h->socket, sizeof(h->socket), name);
	if (rc == -EINVAL)
		return cli_usage_fail(c, "invalid domain name '%.64s' "
				      "(letters, digits, '.', '_', '-'; "
				      "use -s for a socket path)", name);
	if (rc < 0)
		return cli_fail_status(c, HVCTL_EXIT_USAGE, "%s: socket path "
				       "too long (shorter XVM_RUNDIR)", name);
	return 0;
}

/*
 * Options and operands into h; the command in *cmd. Not cli_opts_parse():
 * options stop at the first operand ('+') and a repeated -s takes the
 * last value, as hvctl(1) has always done.
 */
static int hvctl_parse(struct hvctl *h, int argc, char **argv,
		       const struct hvctl_cmd **cmd)
{
	struct cli *c = &h->cli;
	const char *sock = NULL;
	int opt, nops, cmd_at;

	opterr = 0;
	optind = 0;
	while ((opt = getopt(argc, argv, "+:js:h")) != -1) {
		if (opt == 'j')
			h->json = true;
		else if (opt == 's')
			sock = optarg;
		else if (opt == 'h') {
			hvctl_help(c->out);
			return HVCTL_EXIT_OK;
		} else if (opt == ':')
			return cli_usage_fail(c, "option '-%c' requires a "
					      "value", optopt);
		else
			return cli_usage_fail(c, "unrecognized option '-%c'",
					      optopt);
	}
	nops = argc - optind;
	if (nops == 0)
		return cli_usage_fail(c, sock ? "missing command" :
				      "missing domain name (or -s SOCKET) "
				      "and command");
	/* [NAME] COMMAND [ARG] */
	cmd_at = optind + (sock ? 0 : 1);
	if (!sock && nops == 1)
		return cli_usage_fail(c, hvctl_cmd_find(argv[optind]) ?
				      "missing domain name (or -s SOCKET) "
				      "before '%.64s'" :
				      "missing command after '%.64s'",
				      argv[optind]);
	*cmd = hvctl_cmd_find(argv[cmd_at]);
	if (!*cmd && argc - cmd_at > 1)
		return cli_usage_fail(c, "too many operands");
	if (!*cmd)
		return cli_usage_fail(c, "unknown command '%.64s'",
				      argv[cmd_at]);
	if ((*cmd)->arg && argc - cmd_at < 2)
		return cli_usage_fail(c, "%s needs %s", (*cmd)->name,
				      (*cmd)->arg);
	if (argc - cmd_at > ((*cmd)->arg ? 2 : 1))
		return cli_usage_fail(c, "too many operands");
	if ((*cmd)->arg) {
		h->arg = argv[cmd_at + 1];
		if (!*h->arg)
			return cli_usage_fail(c, "%s needs %s", (*cmd)->name,
					      (*cmd)->arg);
	}
	return hvctl_target(h, sock, sock ? NULL : argv[optind]);
}

/* save FILE: {"path": absolute FILE} (hv runs in another directory). */
static int hvctl_params(struct hvctl *h, const struct hvctl_cmd *cmd,
			json_t **params)
{
	char cwd[4096], *abs = NULL;

	*params = NULL;
	if (!cmd->arg)
		return 0;
	if (h->arg[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		if (asprintf(&abs, "%s/%s", cwd, h->arg) < 0)
			return -ENOMEM;
	}
	*params = json_pack("{s:s}", "path", abs ? abs : h->arg);
	free(abs);
	return *params ? 0 : -ENOMEM;
}

/* Call the command's method and show the result. */
static int hvctl_run(struct hvctl *h, const struct hvctl_cmd *cmd)
{
	struct rpc_client *rpc = rpc_client_connect(h->socket);
	struct rpc_error err;
	json_t *result = NULL, *params = NULL;
	int rc;

	if (!rpc)
		return cli_fail_status(&h->cli, HVCTL_EXIT_UNREACHABLE,
				       "cannot connect to %s: %s%s",
				       h->socket, strerror(errno),
				       errno == ENOENT ||
				       errno == ECONNREFUSED ?
				       " (is the domain running?)" : "");
	rc = hvctl_params(h, cmd, &params);
	if (rc < 0) {
		rpc_client_close(rpc);
		return cli_fail_status(&h->cli, HVCTL_EXIT_USAGE, "%s: %s",
				       h->arg, strerror(-rc));
	}
	/* params are stolen; a save writes all of guest RAM: a longer
	 * deadline */
	rc = rpc_client_call(rpc, cmd->name, params, &result, &err,
			     cmd->arg ? HVCTL_SAVE_TIMEOUT_MS : HVCTL_TIMEOUT_MS);
	rpc_client_close(rpc);
	if (rc == -EREMOTE)
		return cli_fail_status(&h->cli, HVCTL_EXIT_REFUSED,
				       "%s: %s: %s", h->target, cmd->name,
				       err.message);
	if (rc < 0)
		return cli_fail_status(&h->cli, HVCTL_EXIT_UNREACHABLE,
				       "%s: %s", h->target, err.message);
	if (h->json)
		hvctl_print_json(h, result);
	else if (cmd->print)
		cmd->print(h, result);
	json_decref(result);
	return HVCTL_EXIT_OK;
}

int hvctl_main(int argc, char **argv, FILE *out, FILE *err)
{
	struct hvctl h = {
		.cli = { .prog = HVCTL_PROG, .peer = "hv", .out = out,
			 .err = err, .synopsis = hvctl_synopsis,
			 .usage_status = HVCTL_EXIT_USAGE },
	};
	const struct hvctl_cmd *cmd = NULL;
	int rc = hvctl_parse(&h, argc, argv, &cmd);

	if (rc != 0 || !cmd)
		return rc;
	rc = hvctl_run(&h, cmd);
	fflush(out);
	return rc;
}
