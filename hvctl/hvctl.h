/*
 * hvctl(1): control one running hv over its control socket
 * (docs/control-protocol.md, hv/control.c). Internal interfaces between the
 * command table and argument handling (cli.c) and the output (print.c).
 * Nothing here exits: hvctl_main() returns the exit status, so the unit
 * tests run whole command lines in-process.
 */
#ifndef HVCTL_H
#define HVCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

#include "xvm/cli.h"
#include "xvm/common.h"

#define HVCTL_PROG		"hvctl"
#define HVCTL_TIMEOUT_MS	10000
#define HVCTL_SAVE_TIMEOUT_MS	600000	/* save: all of guest RAM to disk */
#define HVCTL_MIGRATE_TIMEOUT_MS 3600000	/* migrate: as long as it runs */

/* Exit statuses (docs/hvctl.1). */
#define HVCTL_EXIT_OK		0
#define HVCTL_EXIT_REFUSED	1	/* hv answered with an error */
#define HVCTL_EXIT_USAGE	2	/* bad command line */
#define HVCTL_EXIT_UNREACHABLE	3	/* no socket, no answer, lost link */

/* One invocation. */
struct hvctl {
	struct cli cli;		/* prog "hvctl", peer "hv": out for results,
				 * err for "hvctl: message" and usage */
	bool json;		/* -j: results as JSON */
	const char *target;	/* the domain name or socket, for messages */
	char socket[512];	/* the control socket to call */
	const char *arg;	/* the command's operand, if it takes one */
};

/*
 * A command: one method on hv's control socket. print shows the result
 * (NULL: nothing to show; -j prints every result as JSON instead).
 */
struct hvctl_cmd {
	const char *name;	/* the command, also the method's name */
	void (*print)(struct hvctl *h, const json_t *result);
	const char *help;	/* one line, for the usage text */
	const char *arg;	/* its operand ("FILE"), NULL if none */
	const char *method;	/* the method if not name ("migrate.info") */
	/* the params from h->arg (NULL: {"path": absolute FILE} if arg);
	 * 0, -EINVAL (bad operand: usage error) or -errno */
	int (*params)(struct hvctl *h, json_t **params);
	int timeout_ms;		/* 0: HVCTL_TIMEOUT_MS */
};

/* Run one command line (argv[0] the program). Returns the exit status. */
int hvctl_main(int argc, char **argv, FILE *out, FILE *err);

/* The control socket of the domain `name` started by xvmd:
 * $XVM_RUNDIR/hv/<name>.sock. 0, -EINVAL (not a domain name) or
 * -ENAMETOOLONG. */
int hvctl_socket_path(char *buf, size_t len, const char *name);

/* The result of "status" as "Field: value" lines. */
void hvctl_print_status(struct hvctl *h, const json_t *result);
/* The result of "save": "saved N bytes to FILE". */
void hvctl_print_save(struct hvctl *h, const json_t *result);
/* The result of "migrate-info": "Field: value" lines. */
void hvctl_print_migrate_info(struct hvctl *h, const json_t *result);
/* The result of "migrate": rounds, pages, bytes. */
void hvctl_print_migrate(struct hvctl *h, const json_t *result);
/* nic-add/nic-remove: "NIC MAC in slot 00:SS.0"; nic-list: a table. */
void hvctl_print_nic(struct hvctl *h, const json_t *result);
void hvctl_print_nic_list(struct hvctl *h, const json_t *result);
/* Any result as one line of JSON (-j). */
void hvctl_print_json(struct hvctl *h, const json_t *result);

#endif
