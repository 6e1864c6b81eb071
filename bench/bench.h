/*
 * Helpers shared by the DPDK benchmark tools (xvm-vuser, xvm-vhost-fwd).
 */
#ifndef XVM_BENCH_H
#define XVM_BENCH_H

/* rte_eal_cleanup(), then remove this process's DPDK runtime directory
 * (/var/run/dpdk/<file-prefix>: config, lock files and sockets), which
 * EAL leaves behind, so repeated runs leave nothing. */
void bench_eal_cleanup(void);

/* Say that rte_eal_init() succeeded, so bench_die() cleans up after EAL. */
void bench_eal_started(void);

/* "<program>: message" on stderr, EAL cleaned up if it was started, and
 * exit 1 (these are stand-alone tools, not library code). */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
