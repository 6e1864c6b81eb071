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

/* A whole number from lo to hi in h->arg, as {key: n}. */
static int hvctl_num_param(struct hvctl *h, const char *key, long long lo,
			   long long hi, json_t **params)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(h->arg, &end, 10);
	if (errno || *end || end == h->arg || v < lo || v > hi)
		return -EINVAL;
	*params = json_pack("{s:I}", key, (json_int_t)v);
	return *params ? 0 : -ENOMEM;
}

static int hvctl_migrate_params(struct hvctl *h, json_t **params)
{
	*params = json_pack("{s:s}", "uri", h->arg);
	return *params ? 0 : -ENOMEM;
}

static int hvctl_downtime_params(struct hvctl *h, json_t **params)
{
	return hvctl_num_param(h, "downtime_ms", 1, 3600000, params);
}

static int hvctl_speed_params(struct hvctl *h, json_t **params)
{
	return hvctl_num_param(h, "bandwidth_mib", 0, 1048576, params);
}

/* nic-add's vnic=SOCKET,mac=MAC (hv's --net syntax); the socket is made
 * absolute, hv may run elsewhere. */
static int hvctl_nic_add_params(struct hvctl *h, json_t **params)
{
	const char *a = h->arg, *m = strstr(a, ",mac=");
	char sock[512], *abs = NULL;
	size_t n;

	if (strncmp(a, "vnic=", 5) || !m || m == a + 5 || !m[5] ||
	    strchr(m + 5, ','))
		return -EINVAL;
	n = (size_t)(m - (a + 5));
	if (n >= sizeof(sock))
		return -ENAMETOOLONG;
	memcpy(sock, a + 5, n);
	sock[n] = 0;
	if (sock[0] != '/') {
		char cwd[400];

		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		if (asprintf(&abs, "%s/%s", cwd, sock) < 0)
			return -ENOMEM;
	}
	*params = json_pack("{s:s, s:s}", "vnic", abs ? abs : sock, "mac",
			    m + 5);
	free(abs);
	return *params ? 0 : -ENOMEM;
}

static int hvctl_nic_remove_params(struct hvctl *h, json_t **params)
{
	*params = json_pack("{s:s}", "mac", h->arg);
	return *params ? 0 : -ENOMEM;
}

static const struct hvctl_cmd hvctl_cmds[] = {
	{ .name = "status", .print = hvctl_print_status,
	  .help = "name, state, vCPUs, memory, console and pid of the "
		  "domain" },
	{ .name = "pause", .help = "stop the vCPUs" },
	{ .name = "resume", .help = "restart paused vCPUs" },
	{ .name = "shutdown", .help = "press the ACPI power button" },
	{ .name = "reset", .help = "stop the domain; hv exits with status 10 "
	  "(reboot)" },
	{ .name = "destroy", .help = "stop the domain at once; hv exits with "
	  "status 0" },
	{ .name = "save", .print = hvctl_print_save, .help = "write the "
	  "domain's state to FILE; hv exits with status 0", .arg = "FILE" },
	{ .name = "migrate", .print = hvctl_print_migrate, .help =
	  "live-migrate to an hv --incoming on URI (unix:PATH, "
	  "tcp:HOST:PORT); waits until it ends", .arg = "URI",
	  .params = hvctl_migrate_params,
	  .timeout_ms = HVCTL_MIGRATE_TIMEOUT_MS },
	{ .name = "migrate-info", .print = hvctl_print_migrate_info,
	  .help = "how far the running migration is; the downtime and "
	  "bandwidth it honours",
	  .method = "migrate.info" },
	{ .name = "migrate-downtime", .help = "the longest the guest may "
	  "stand still at the switch-over (ms)", .arg = "MS", .method = "migrate.set",
	  .params = hvctl_downtime_params },
	{ .name = "migrate-speed", .help = "the bandwidth limit of the "
	  "migration stream (MiB/s, 0: none)", .arg = "MIB", .method = "migrate.set",
	  .params = hvctl_speed_params },
	{ .name = "migrate-cancel", .help = "stop the running migration; "
	  "the guest runs on here", .method = "migrate.cancel" },
	{ .name = "nic-add", .print = hvctl_print_nic, .help = "hot-plug a "
	  "virtio-net NIC served by the vhost-user SOCKET, with MAC",
	  .arg = "vnic=SOCKET,mac=MAC", .method = "nic.add",
	  .params = hvctl_nic_add_params },
	{ .name = "nic-remove", .print = hvctl_print_nic, .help = "ask the "
	  "guest to release the NIC with MAC; remove it once it did (5 s)",
	  .arg = "MAC", .method = "nic.remove",
	  .params = hvctl_nic_remove_params },
	{ .name = "nic-list", .print = hvctl_print_nic_list, .help = "the "
	  "NICs: slot, MAC, socket, hot-plugged or not", .method = "nic.list" },
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
	fprintf(f, "  NAME             a domain started by xvmd: socket "
		"$XVM_RUNDIR/hv/NAME.sock\n"
		"  -s SOCKET        the socket given to hv --control\n"
		"  -j               print the result as JSON\n");
	for (size_t i = 0; i < ARRAY_SIZE(hvctl_cmds); i++)
		fprintf(f, "  %-16s %s\n", hvctl_cmds[i].name,
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
	if (cmd->params)
		return cmd->params(h, params);
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
		if (rc == -EINVAL && cmd->params)
			return cli_usage_fail(&h->cli, "%s: invalid %s '%.64s'",
					      cmd->name, cmd->arg, h->arg);
		return cli_fail_status(&h->cli, HVCTL_EXIT_USAGE, "%s: %s",
				       h->arg, strerror(-rc));
	}
	/* params are stolen; a save writes all of guest RAM, a migrate
	 * lasts as long as it lasts: longer deadlines */
	rc = rpc_client_call(rpc, cmd->method ? cmd->method : cmd->name,
			     params, &result, &err, cmd->timeout_ms ?
			     cmd->timeout_ms : cmd->arg && !cmd->params ?
			     HVCTL_SAVE_TIMEOUT_MS : HVCTL_TIMEOUT_MS);
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
