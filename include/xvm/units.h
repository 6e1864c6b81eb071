/*
 * Units administrators type and read: bandwidth as dladm takes and shows
 * it (maxbw, capped-bandwidth; /work/shared/REFERENCE.md "dladm") and sizes
 * with binary suffixes (vdiskadm -s, memory).
 */
#ifndef XVM_UNITS_H
#define XVM_UNITS_H

#include "xvm/common.h"

/* Room for any formatted bandwidth or size, with its NUL. */
#define UNITS_STRLEN	32

/*
 * Bandwidth as dladm's maxbw: a decimal integer with an optional suffix,
 * K/k (x1000), M/m or none (x10^6), G/g (x10^9), to bits per second.
 * Like illumos dladm_str2bw() there are no fractions ("1.2M" is refused:
 * write 1200K), no sign and no spaces. 0 on success; -EINVAL for anything
 * malformed, -ENOTSUP for a percentage ("10%"), -ERANGE on overflow.
 * Minimums (maxbw >= 1200K) are the caller's business.
 */
int units_parse_bw(const char *s, uint64_t *bps);

/*
 * bps in Mb/s as dladm prints it (dladm_bw2str, without its padding):
 * whole megabits as "100"; with a kilobit remainder as "1.030" or "0.431";
 * less than 1 kb/s as "0". Returns 0, or -ENOSPC if len is too small.
 */
int units_format_bw(uint64_t bps, char *buf, size_t len);

/*
 * A size: a decimal integer with an optional suffix K, M, G or T (upper or
 * lower case, powers of 1024), none meaning bytes. 0; -EINVAL if
 * malformed; -ERANGE on overflow.
 */
int units_parse_size(const char *s, uint64_t *bytes);

/* A size with the largest suffix that keeps it exact ("1G", "1536M",
 * "4097"). 0 or -ENOSPC. */
int units_format_size(uint64_t bytes, char *buf, size_t len);

#endif
