/*
 * The usage log writer (usage.h): on each tick of a timerfd, read the
 * counters a client sees (link.list and flow.list with stats, through
 * ctl_call()), subtract those of the previous tick, and append one
 * record per link and flow (lib/usagelog.c's format) with a single
 * write(). A counter that went backwards (the object was re-created)
 * counts from zero; an object new since the last tick starts then.
 * The file is capped: a write that would take it past USAGE_LOG_MAX
 * renames it to <path>.0 (replacing the previous one) first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include "xvm/log.h"
#include "xvm/rpc.h"
#include "xvm/usagelog.h"
#include "control.h"
#include "usage.h"

struct usage {
	char path[PATH_MAX];
	unsigned interval;
	int tfd;
	time_t last;		/* end of the previous interval */
	json_t *prev;		/* "link/name" -> {counters, "t": start} */
	bool failing;		/* last write failed: logged once */
};

static const char *const usage_keys[] = {
	"ipackets", "rbytes", "opackets", "obytes",
};

/* Now to the nearest second: the timer fires just after a whole one,
 * and time() may read a coarse clock still a tick behind. */
static time_t usage_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + (ts.tv_nsec >= 500000000);
}

static int usage_arm(struct usage *u)
{
	struct timespec now;
	struct itimerspec its = { .it_interval = { .tv_sec = u->interval } };

	clock_gettime(CLOCK_REALTIME, &now);
	its.it_value.tv_sec = (now.tv_sec / u->interval + 1) * u->interval;
	return timerfd_settime(u->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

struct usage *usage_open(const char *path, unsigned interval)
{
	struct usage *u = calloc(1, sizeof(*u));
	int fd;

	if (!u)
		return NULL;
	u->tfd = -1;
	if (interval == 0 || strlen(path) >= sizeof(u->path)) {
		errno = EINVAL;
		goto fail;
	}
	snprintf(u->path, sizeof(u->path), "%s", path);
	u->interval = interval;
	u->last = usage_now();
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	close(fd);
	u->prev = json_object();
	u->tfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	if (!u->prev || u->tfd < 0 || usage_arm(u) < 0)
		goto fail;
	return u;
fail:
	usage_close(u);
	return NULL;
}

int usage_fd(const struct usage *u)
{
	return u->tfd;
}

void usage_close(struct usage *u)
{
	int e = errno;

	if (!u)
		return;
	if (u->tfd >= 0)
		close(u->tfd);
	json_decref(u->prev);
	free(u);
	errno = e;
}

/* One object's record for the interval ending at end, into f; its
 * counters go into next for the following tick. */
static void usage_record(struct usage *u, FILE *f, enum usage_kind k,
			 const json_t *row, time_t end, json_t *next)
{
	const char *name = json_string_value(json_object_get(row, "name"));
	const json_t *st = json_object_get(row, "stats");
	char key[64], line[USAGE_LINE_MAX];
	struct usage_rec r = { .end = end };
	const json_t *p;
	json_t *save;
	uint64_t *c[] = { &r.ipackets, &r.rbytes, &r.opackets, &r.obytes };

	if (!name || !json_is_object(st))
		return;
	snprintf(key, sizeof(key), "%s/%s", usage_kind_name(k), name);
	snprintf(r.name, sizeof(r.name), "%s", name);
	p = json_object_get(u->prev, key);
	r.start = p ? json_integer_value(json_object_get(p, "t")) : u->last;
	save = json_pack("{s:I}", "t", (json_int_t)end);
	for (unsigned i = 0; i < ARRAY_SIZE(usage_keys) && save; i++) {
		json_int_t now = json_integer_value(json_object_get(st, usage_keys[i]));
		json_int_t was = json_integer_value(json_object_get(p, usage_keys[i]));

		*c[i] = (uint64_t)(now >= was ? now - was : now);
		json_object_set_new(save, usage_keys[i], json_integer(now));
	}
	if (save)
		json_object_set_new(next, key, save);
	if (usage_line_format(k, &r, line, sizeof(line)) > 0)
		fputs(line, f);
}

/* Every row of method's result array `key` as records. */
static void usage_collect(struct usage *u, struct vswd *d, FILE *f,
			  enum usage_kind k, const char *method,
			  const char *key, time_t end, json_t *next)
{
	json_t *params = json_pack("{s:b}", "stats", 1), *res = NULL, *row;
	struct rpc_error err = { 0 };
	size_t i;

	if (params && ctl_call(d, method, params, &res, &err) == 0)
		json_array_foreach(json_object_get(res, key), i, row)
			usage_record(u, f, k, row, end, next);
	json_decref(res);
	json_decref(params);
}

/* Append buf, rotating first if the file would pass the cap. */
static int usage_append(struct usage *u, const char *buf, size_t len)
{
	char old[PATH_MAX + 4];
	struct stat st;
	ssize_t n;
	int fd;

	if (stat(u->path, &st) == 0 && (uint64_t)st.st_size + len > USAGE_LOG_MAX) {
		snprintf(old, sizeof(old), "%s.0", u->path);
		if (rename(u->path, old) == 0)
			log_info("usage log %s: rotated to %s", u->path, old);
	}
	fd = open(u->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		n = -errno;
	close(fd);
	return n < 0 ? (int)n : (size_t)n == len ? 0 : -ENOSPC;
}

void usage_tick(struct usage *u, struct vswd *d)
{
	uint64_t expirations;
	json_t *next = json_object();
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	time_t end = usage_now();
	int rc;

	/* nothing to write for an interval of no time (the clock was set
	 * back, or a late tick): the next one covers it */
	if (read(u->tfd, &expirations, sizeof(expirations)) < 0 || !next ||
	    end <= u->last || !(f = open_memstream(&buf, &len))) {
		json_decref(next);
		return;
	}
	usage_collect(u, d, f, USAGE_LINK, "link.list", "links", end, next);
	usage_collect(u, d, f, USAGE_FLOW, "flow.list", "flows", end, next);
	fclose(f);
	rc = len ? usage_append(u, buf, len) : 0;
	if (rc < 0 && !u->failing)
		log_warn("usage log %s: %s", u->path, strerror(-rc));
	else if (rc == 0 && u->failing)
		log_info("usage log %s: writing again", u->path);
	u->failing = rc < 0;
	free(buf);
	json_decref(u->prev);
	u->prev = next;
	u->last = end;
}
