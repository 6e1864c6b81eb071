/*
 * rpc-call: call one method on an xvm control socket and print the result;
 * optionally watch the events that follow. Integration tests use it to
 * drive hv and vswitchd and to follow their state changes.
 *
 *   rpc-call [-t MS] [-e SECONDS] SOCKET METHOD [PARAMS_JSON]
 *
 * The result is printed as compact JSON on stdout (exit 0). A server error
 * prints "rpc-call: CODE: message" on stderr (exit 1). Usage errors exit 2;
 * connection or protocol failures, and timeouts, exit 3. With -e N every
 * event received during N seconds after the call is printed, one JSON
 * object per line; METHOD "-" makes no call and only watches. The watch
 * ends early, with exit 0, when the server closes the connection.
 * Protocol: docs/control-protocol.md.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xvm/rpc.h"

#define EXIT_REMOTE	1
#define EXIT_USAGE	2
#define EXIT_CONN	3

struct opts {
	int timeout_ms;
	long watch_s;		/* -1: no watching */
	const char *socket;
	const char *method;
	json_t *params;		/* NULL: none given */
};

static void usage(void)
{
	fprintf(stderr, "usage: rpc-call [-t MS] [-e SECONDS] SOCKET METHOD "
		"[PARAMS_JSON]\n"
		"       rpc-call [-t MS] -e SECONDS SOCKET -\n");
	exit(EXIT_USAGE);
}

/* A decimal number in [min, max], or exit 2. */
static long parse_num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "rpc-call: invalid %s '%s'\n", what, s);
		usage();
	}
	return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
	json_error_t jerr;
	int c;

	o->timeout_ms = 10000;
	o->watch_s = -1;
	while ((c = getopt(argc, argv, "+t:e:h")) != -1) {
		switch (c) {
		case 't':
			o->timeout_ms = (int)parse_num(optarg, 1, INT_MAX,
						       "timeout");
			break;
		case 'e':
			o->watch_s = parse_num(optarg, 0, 86400 * 365,
					       "event time");
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2 || argc - optind > 3)
		usage();
	o->socket = argv[optind];
	o->method = argv[optind + 1];
	if (strcmp(o->method, "-") == 0 && (o->watch_s < 0 ||
					    argc - optind == 3)) {
		fprintf(stderr, "rpc-call: METHOD '-' needs -e and no "
			"params\n");
		usage();
	}
	if (argc - optind == 3) {
		o->params = json_loads(argv[optind + 2], 0, &jerr);
		if (!json_is_object(o->params)) {
			fprintf(stderr, "rpc-call: PARAMS_JSON must be a JSON "
				"object%s%s\n", o->params ? "" : ": ",
				o->params ? "" : jerr.text);
			usage();
		}
	}
}

static int print_json(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);

	if (!s)
		return -1;
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	return 0;
}

static int do_call(struct rpc_client *cli, const struct opts *o)
{
	struct rpc_error err;
	json_t *result = NULL;
	int ret;

	ret = rpc_client_call(cli, o->method, o->params, &result, &err,
			      o->timeout_ms);
	if (ret == -EREMOTE) {
		fprintf(stderr, "rpc-call: %s: %s\n", err.code, err.message);
		return EXIT_REMOTE;
	}
	if (ret < 0) {
		fprintf(stderr, "rpc-call: %s: %s\n", o->socket, err.message);
		return EXIT_CONN;
	}
	print_json(result);
	json_decref(result);
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Print events until watch_s seconds have passed or the server leaves. */
static int do_watch(struct rpc_client *cli, const struct opts *o)
{
	int64_t end = now_ms() + (int64_t)o->watch_s * 1000;
	json_t *ev;

	for (;;) {
		int64_t left = end - now_ms();
		int ret;

		if (left <= 0)
			return 0;
		ret = rpc_client_next_event(cli, &ev, (int)left);
		if (ret == -ETIMEDOUT || ret == -ECONNRESET)
			return 0;
		if (ret < 0) {
			fprintf(stderr, "rpc-call: %s: %s\n", o->socket,
				strerror(-ret));
			return EXIT_CONN;
		}
		print_json(ev);
		json_decref(ev);
	}
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct rpc_client *cli;
	int rc = 0;

	parse_args(argc, argv, &o);
	cli = rpc_client_connect(o.socket);
	if (!cli) {
		fprintf(stderr, "rpc-call: cannot connect to %s: %s\n",
			o.socket, strerror(errno));
		json_decref(o.params);
		return EXIT_CONN;
	}
	if (strcmp(o.method, "-") != 0)
		rc = do_call(cli, &o);	/* steals o.params */
	if (rc == 0 && o.watch_s >= 0)
		rc = do_watch(cli, &o);
	rpc_client_close(cli);
	return rc;
}
