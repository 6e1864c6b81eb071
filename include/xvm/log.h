/*
 * Logging: one module, four levels, to stderr (and optionally syslog).
 * Messages start with the function or object they concern:
 *   log_info("vnic %s: maxbw %s applied", name, bw);
 * Data-path code uses log_ratelimited(), never the plain calls.
 */
#ifndef XVM_LOG_H
#define XVM_LOG_H

#include <stdarg.h>
#include "xvm/common.h"

enum log_level {
	LL_ERR = 0,
	LL_WARN,
	LL_INFO,
	LL_DEBUG,
};

/* prog prefixes every line ("hv[web1]", "vswitchd"); level is the most
 * verbose level printed. XVM_LOG_LEVEL=err|warn|info|debug overrides it. */
void log_init(const char *prog, enum log_level level);
void log_set_level(enum log_level level);
/* Also send every printed message to syslog(3) (daemon facility, ident
 * prog), e.g. for daemons started by an init system. Off by default. */
void log_set_syslog(bool enable);
enum log_level log_get_level(void);
/* Parse "err", "warn", "info", "debug"; -EINVAL otherwise. */
int log_level_parse(const char *s, enum log_level *out);

void log_msg(enum log_level level, const char *fmt, ...) PRINTF(2, 3);
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

#define log_err(...)	log_msg(LL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LL_DEBUG, __VA_ARGS__)

/* A rate limit: at most `burst` messages per `interval_ms`; the number of
 * suppressed messages is reported with the next one printed. */
struct log_ratelimit {
	uint32_t interval_ms;
	uint32_t burst;
	uint64_t window_start_ms;
	uint32_t printed;
	uint32_t suppressed;
};
#define LOG_RATELIMIT_INIT(ms, n)	{ .interval_ms = (ms), .burst = (n) }

/* true if a message may be printed now (and counts it). Lock-free: one
 * ratelimit state may be shared by several threads. The next message printed
 * on this thread ends with " (N similar messages suppressed)". */
bool log_ratelimit_ok(struct log_ratelimit *rl);

#define log_ratelimited(rl, level, ...) do {				\
		if (log_ratelimit_ok(rl))				\
			log_msg(level, __VA_ARGS__);			\
	} while (0)

#endif
