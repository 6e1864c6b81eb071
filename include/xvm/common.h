/*
 * Common definitions for every xvm component.
 *
 * Return convention (all of xvm): functions return 0 (or a non-negative
 * count) on success and a negative errno (-EINVAL, -ENOMEM, ...) on failure.
 * Functions returning pointers return NULL on failure with errno set.
 * Library code never exits the process; only main() and process setup may.
 */
#ifndef XVM_COMMON_H
#define XVM_COMMON_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Guarded: DPDK's rte_common.h defines some of these too. */
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef MIN
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b)	((a) > (b) ? (a) : (b))
#endif
#define ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif
#define UNUSED		__attribute__((unused))
#define PRINTF(f, a)	__attribute__((format(printf, f, a)))

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

/* Default directories (DESIGN.md "Interfaces between processes"). */
#define XVM_RUNDIR_DEFAULT	"/run/xvm"
#define XVM_STATEDIR_DEFAULT	"/var/lib/xvm"

#endif
