/*
 * Helpers the CLI suites share: what a command prints, captured in
 * memory (open_memstream), golden files, and an environment variable put
 * back after a suite changed it.
 */
#ifndef UNIT_CAPTURE_H
#define UNIT_CAPTURE_H

#include <stdio.h>

struct capture {
	FILE *f;
	char *buf;
	size_t len;
};

/* Start capturing into c, dropping what an earlier capture held. */
void cap_open(struct capture *c);
/* What has been written so far ("" if nothing). */
const char *cap_text(struct capture *c);
/* Stop and free; harmless on a capture never opened or closed twice. */
void cap_close(struct capture *c);

/* Compare text with tests/unit/golden/<tool>-<name>.ok, printing both
 * when they differ; with XVM_GOLDEN_UPDATE set, rewrite the file first. */
void golden_check(const char *tool, const char *name, const char *text);

/* A copy of the variable's value (NULL if unset), for env_restore(). */
char *env_save(const char *name);
/* Set name back to saved (unset if NULL) and free saved. */
void env_restore(const char *name, char *saved);

#endif
