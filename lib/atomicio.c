/*
 * Whole-buffer fd I/O and atomic file replacement (include/xvm/atomicio.h).
 * Replacement follows the usual POSIX recipe: temporary file in the target
 * directory (rename(2) is atomic only within one file system), fsync(2) of
 * the data before the rename, fsync(2) of the directory after it so the
 * rename itself survives a crash.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ctype.h>
#include <dirent.h>
#include <sys/stat.h>

#include "xvm/atomicio.h"

#define ATOMICIO_READ_CHUNK	65536

int atomicio_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

ssize_t atomicio_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	if (len > SSIZE_MAX)
		return -EINVAL;
	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* The directory part of path ("." for a bare name) into dir. */
static int atomicio_dirname(const char *path, char *dir, size_t len)
{
	char tmp[PATH_MAX];

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, strlen(path) + 1);
	if (snprintf(dir, len, "%s", dirname(tmp)) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static int atomicio_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Write data to the already created temporary file fd and make it
 * durable with its final mode. */
static int atomicio_fill_temp(int fd, const void *data, size_t len,
			      mode_t mode)
{
	int ret = atomicio_write_all(fd, data, len);

	if (ret < 0)
		return ret;
	if (fchmod(fd, mode) < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

int atomicio_replace_file(const char *path, const void *data, size_t len,
			  mode_t mode)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *base;
	int fd = -1, ret;

	if (!path || !*path || path[strlen(path) - 1] == '/')
		return -EINVAL;
	ret = atomicio_dirname(path, dir, sizeof(dir));
	if (ret < 0)
		return ret;
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = atomicio_fill_temp(fd, data, len, mode & 07777);
	if (ret < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		ret = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ret = -errno;
		goto fail;
	}
	return atomicio_fsync_dir(dir);
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}

/* ".BASE.XXXXXX" as atomicio_replace_file() names its temporaries. */
static bool atomicio_is_temp(const char *name)
{
	size_t n = strlen(name), i;

	if (n < 9 || name[0] != '.' || name[n - 7] != '.')
		return false;
	for (i = n - 6; i < n; i++)
		if (!isalnum((unsigned char)name[i]))
			return false;
	return true;
}

int atomicio_remove_temps(const char *dir, void (*found)(const char *path))
{
	char path[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *dp = opendir(dir);

	if (!dp)
		return -errno;
	while ((de = readdir(dp))) {
		if (!atomicio_is_temp(de->d_name) ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
		    (int)sizeof(path))
			continue;
		if (unlink(path) == 0) {
			n++;
			if (found)
				found(path);
		}
	}
	closedir(dp);
	return n;
}

/* Read fd to EOF into a growing buffer, failing past max bytes. */
static int atomicio_slurp(int fd, size_t max, char **data, size_t *len)
{
	size_t cap = 0, used = 0, want;
	char *buf = NULL, *p;
	ssize_t n;
	int ret;

	for (;;) {
		if (cap == 0 || used == cap - 1) {	/* keep room for NUL */
			ret = -ENOMEM;
			cap = cap ? cap * 2 : ATOMICIO_READ_CHUNK + 1;
			p = realloc(buf, cap);
			if (!p)
				goto fail;
			buf = p;
		}
		/* Up to one byte past max: enough to know it is too big. */
		want = MIN(cap - 1 - used, max + 1 - used);
		n = atomicio_read_all(fd, buf + used, want);
		ret = (int)n;
		if (n < 0)
			goto fail;
		used += (size_t)n;
		ret = -EFBIG;
		if (used > max)
			goto fail;
		if ((size_t)n < want)	/* short only at EOF */
			break;
	}
	buf[used] = '\0';
	*data = buf;
	*len = used;
	return 0;
fail:
	free(buf);
	return ret;
}

int atomicio_read_file(const char *path, size_t max, char **data,
		       size_t *len)
{
	struct stat st;
	int fd, ret;

	if (max >= SSIZE_MAX)
		max = SSIZE_MAX - 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		ret = -EFBIG;
		goto out;
	}
	ret = atomicio_slurp(fd, max, data, len);
out:
	close(fd);
	return ret;
}
