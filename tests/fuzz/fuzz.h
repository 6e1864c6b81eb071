/*
 * Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c, docs/testing.md
 * "Fuzzing"): each defines LLVMFuzzerTestOneInput (and, if it needs a
 * set-up, LLVMFuzzerInitialize); the helpers here make the per-process
 * temporary directory and silence the code's logging.
 */
#ifndef XVM_FUZZ_H
#define XVM_FUZZ_H

#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xvm/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char fuzz_tmpdir[64];

static inline int fuzz_rm_entry(const char *path, const struct stat *st,
				int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static inline void fuzz_tmpdir_remove(void)
{
	if (fuzz_tmpdir[0])
		nftw(fuzz_tmpdir, fuzz_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The code's logging: errors only, unless FUZZ_LOG=debug|info|warn asks
 * for more (to see why an input stops where it does). */
static inline void fuzz_log_init(void)
{
	const char *v = getenv("FUZZ_LOG");

	log_set_level(!v ? LL_ERR : !strcmp(v, "debug") ? LL_DEBUG :
		      !strcmp(v, "info") ? LL_INFO : LL_WARN);
}

/* A fresh directory under /tmp, removed at exit; exits on failure. */
static inline const char *fuzz_tmpdir_make(const char *tag)
{
	snprintf(fuzz_tmpdir, sizeof(fuzz_tmpdir), "/tmp/xvm-fuzz-%s-XXXXXX",
		 tag);
	if (!mkdtemp(fuzz_tmpdir)) {
		perror("mkdtemp");
		exit(1);
	}
	atexit(fuzz_tmpdir_remove);
	return fuzz_tmpdir;
}

/* A NUL-terminated copy of the input (malloc'd; exits on failure). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
