/*
 * Whole reads and writes: of file descriptors (retrying short transfers
 * and EINTR, like OpenBSD's atomicio) and of files, where a write replaces
 * the file atomically so a crash leaves the old or the new version, never a
 * torn one (DESIGN.md "Persistent state").
 */
#ifndef XVM_ATOMICIO_H
#define XVM_ATOMICIO_H

#include <sys/types.h>
#include "xvm/common.h"

/* Write all len bytes to fd (blocking fds). 0 or -errno. */
int atomicio_write_all(int fd, const void *buf, size_t len);
/* Read up to len bytes, stopping early only at EOF: the count read, or
 * -errno. */
ssize_t atomicio_read_all(int fd, void *buf, size_t len);

/*
 * Replace path with data: write a temporary file in the same directory,
 * fsync it, set mode, rename it over path, fsync the directory. On failure
 * before the rename, path is untouched and the temporary file removed; if
 * only the final directory fsync fails the new content is in place and
 * the error is still returned. A symlink at path is replaced, not
 * followed. 0 or -errno.
 */
int atomicio_replace_file(const char *path, const void *data, size_t len,
			  mode_t mode);

/*
 * Remove the temporary files atomicio_replace_file() leaves in dir when
 * the process is killed before its rename (".BASE.XXXXXX", XXXXXX six
 * letters or digits): for a directory only its owner writes, at start,
 * when no write can be under way. found(path) (may be NULL) is told of
 * each one removed. The count removed, or -errno if dir cannot be read.
 */
int atomicio_remove_temps(const char *dir, void (*found)(const char *path));

/*
 * Read the whole file at path if it holds at most max bytes: 0 with *data
 * (malloc'd, NUL-terminated after *len bytes; caller frees) and *len;
 * -EFBIG if the file is larger than max; -errno otherwise.
 */
int atomicio_read_file(const char *path, size_t max, char **data,
		       size_t *len);

#endif
