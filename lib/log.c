/*
 * Logging (include/xvm/log.h): every xvm process reports through here, to
 * stderr. Errors and warnings read "prog: error: msg" / "prog: warning: msg",
 * info "prog: msg", debug "prog: debug: msg". Each line is formatted into
 * one buffer and written with a single write(2), so lines from different
 * threads do not interleave. errno is preserved across every call, so a
 * caller may log and then inspect errno.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "xvm/log.h"

#define LOG_LINE_MAX	2048
#define LOG_PROG_MAX	64

static char log_prog[LOG_PROG_MAX];
static volatile enum log_level log_level = LL_INFO;
static bool log_to_syslog;

/* Suppressed-message count handed from log_ratelimit_ok() to the log_msg()
 * call that log_ratelimited() makes right after it (same thread). */
static __thread uint32_t log_pending_suppressed;

static const char *const log_level_names[] = {
	[LL_ERR] = "err",
	[LL_WARN] = "warn",
	[LL_INFO] = "info",
	[LL_DEBUG] = "debug",
};

static const int log_syslog_prio[] = {
	[LL_ERR] = LOG_ERR,
	[LL_WARN] = LOG_WARNING,
	[LL_INFO] = LOG_INFO,
	[LL_DEBUG] = LOG_DEBUG,
};

/* The word printed after the program name; NULL for none (info). */
static const char *const log_level_tags[] = {
	[LL_ERR] = "error",
	[LL_WARN] = "warning",
	[LL_INFO] = NULL,
	[LL_DEBUG] = "debug",
};

int log_level_parse(const char *s, enum log_level *out)
{
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(log_level_names); i++) {
		if (strcasecmp(s, log_level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	/* Accept the spelled-out forms too: "error", "warning". */
	if (strcasecmp(s, "error") == 0) {
		*out = LL_ERR;
		return 0;
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = LL_WARN;
		return 0;
	}
	return -EINVAL;
}

void log_init(const char *prog, enum log_level level)
{
	int saved = errno;
	const char *env = getenv("XVM_LOG_LEVEL");
	enum log_level from_env;

	snprintf(log_prog, sizeof(log_prog), "%s",
		 prog ? prog : program_invocation_short_name);
	if (env && *env && log_level_parse(env, &from_env) == 0)
		level = from_env;
	log_set_level(level);
	errno = saved;
}

void log_set_level(enum log_level level)
{
	if ((int)level < LL_ERR)
		level = LL_ERR;
	if (level > LL_DEBUG)
		level = LL_DEBUG;
	log_level = level;
}

void log_set_syslog(bool enable)
{
	if (enable && !log_to_syslog)
		openlog(log_prog[0] ? log_prog : program_invocation_short_name,
			LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!enable && log_to_syslog)
		closelog();
	log_to_syslog = enable;
}

enum log_level log_get_level(void)
{
	return log_level;
}

static const char *log_prog_name(void)
{
	return log_prog[0] ? log_prog : program_invocation_short_name;
}

/* A line being formatted; `full` once something did not fit. One byte is
 * always kept free for the newline. */
struct log_line {
	char buf[LOG_LINE_MAX];
	size_t len;
	size_t msg_start;	/* after "prog: " */
	bool full;
};

static void log_vappend(struct log_line *l, const char *fmt, va_list ap)
{
	size_t room = sizeof(l->buf) - 1 - l->len;	/* minus the newline */
	int n;

	if (l->full)
		return;
	n = vsnprintf(l->buf + l->len, room, fmt, ap);
	if (n < 0)
		return;
	if ((size_t)n >= room) {
		l->len += room - 1;
		l->full = true;
	} else {
		l->len += (size_t)n;
	}
}

static void log_append(struct log_line *l, const char *fmt, ...) PRINTF(2, 3);
static void log_append(struct log_line *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vappend(l, fmt, ap);
	va_end(ap);
}

static void log_write_all(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	int saved = errno;
	uint32_t suppressed = log_pending_suppressed;
	struct log_line l = { .len = 0, .full = false };

	log_pending_suppressed = 0;
	if ((int)level < LL_ERR || level > LL_DEBUG || level > log_level)
		goto out;
	log_append(&l, "%s: ", log_prog_name());
	l.msg_start = l.len;
	if (log_level_tags[level])
		log_append(&l, "%s: ", log_level_tags[level]);
	errno = saved;		/* for %m in fmt */
	log_vappend(&l, fmt, ap);
	while (l.len > 0 && l.buf[l.len - 1] == '\n')
		l.len--;
	if (suppressed)
		log_append(&l, " (%u similar messages suppressed)", suppressed);
	if (l.full)		/* say that the line was cut */
		memcpy(l.buf + l.len - 3, "...", 3);
	l.buf[l.len] = '\0';
	if (log_to_syslog)	/* without "prog: ": syslog adds the ident */
		syslog(log_syslog_prio[level], "%s", l.buf + l.msg_start);
	l.buf[l.len++] = '\n';
	log_write_all(l.buf, l.len);
out:
	errno = saved;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static uint64_t log_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Lock-free so a limiter shared by several vCPU or polling threads stays
 * safe (counts may be off by a few at a window edge, never corrupted). */
bool log_ratelimit_ok(struct log_ratelimit *rl)
{
	uint64_t now = log_now_ms();
	uint64_t start = __atomic_load_n(&rl->window_start_ms, __ATOMIC_RELAXED);

	if (now == 0)
		now = 1;	/* 0 means "no window yet" */
	if (start == 0 || now - start >= rl->interval_ms) {
		if (__atomic_compare_exchange_n(&rl->window_start_ms, &start,
						now, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			__atomic_store_n(&rl->printed, 0, __ATOMIC_RELAXED);
	}
	if (__atomic_fetch_add(&rl->printed, 1, __ATOMIC_RELAXED) >= rl->burst) {
		__atomic_fetch_add(&rl->suppressed, 1, __ATOMIC_RELAXED);
		return false;
	}
	log_pending_suppressed = __atomic_exchange_n(&rl->suppressed, 0,
						     __ATOMIC_RELAXED);
	return true;
}
