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

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MIN(a, b)	((a) < (b) ? (a) : (b))
#define MAX(a, b)	((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define UNUSED		__attribute__((unused))
#define PRINTF(f, a)	__attribute__((format(printf, f, a)))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* Default directories (DESIGN.md "Interfaces between processes"). */
#define XVM_RUNDIR_DEFAULT	"/run/xvm"
#define XVM_STATEDIR_DEFAULT	"/var/lib/xvm"

#endif
