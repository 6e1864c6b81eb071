/*
 * The usage log (docs/vswitchd.md "Usage log"): every interval, one
 * record per link and per flow with the traffic since the previous one,
 * appended to a file that vnicadm and flowadm show-usage read
 * (include/xvm/usagelog.h has the format). Control thread only: main.c
 * polls usage_fd() with the control socket and calls usage_tick().
 */
#ifndef VSW_USAGE_H
#define VSW_USAGE_H

#include "xvm/common.h"

struct vswd;
struct usage;

#define USAGE_INTERVAL_DEFAULT	60		/* seconds */
#define USAGE_INTERVAL_MAX	86400
#define USAGE_LOG_MAX		(8u << 20)	/* bytes, then rotated to .0 */

/*
 * Start logging to path every interval seconds (timer aligned to whole
 * multiples of interval). Checks that path can be opened for appending.
 * NULL with errno set.
 */
struct usage *usage_open(const char *path, unsigned interval);
/* The timerfd to poll for reading. */
int usage_fd(const struct usage *u);
/* The timer fired: read it, append the records. Failures are logged,
 * never fatal. */
void usage_tick(struct usage *u, struct vswd *d);
void usage_close(struct usage *u);

#endif
