/* Output capture and environment restore for the suites (capture.h). */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "capture.h"

void cap_open(struct capture *c)
{
	cap_close(c);
	c->f = open_memstream(&c->buf, &c->len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c->f);
}

const char *cap_text(struct capture *c)
{
	fflush(c->f);
	return c->buf ? c->buf : "";
}

void cap_close(struct capture *c)
{
	if (c->f)
		fclose(c->f);
	free(c->buf);
	*c = (struct capture){ 0 };
}

char *env_save(const char *name)
{
	const char *v = getenv(name);

	return v ? strdup(v) : NULL;
}

void env_restore(const char *name, char *saved)
{
	if (saved)
		setenv(name, saved, 1);
	else
		unsetenv(name);
	free(saved);
}

static char *golden_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

void golden_check(const char *tool, const char *name, const char *text)
{
	const char *file = __FILE__, *slash = strrchr(file, '/');
	char *path, *want;

	CU_ASSERT_FATAL(asprintf(&path, "%.*sgolden/%s-%s.ok",
				 slash ? (int)(slash - file + 1) : 0, file,
				 tool, name) > 0);
	if (getenv("XVM_GOLDEN_UPDATE")) {
		FILE *f = fopen(path, "w");

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		fputs(text, f);
		fclose(f);
	}
	want = golden_read(path);
	CU_ASSERT_PTR_NOT_NULL(want);
	if (want && strcmp(want, text) != 0) {
		fprintf(stderr, "\n--- %s\n%s--- got\n%s---\n", path, want,
			text);
		CU_FAIL("output differs from the golden file");
	}
	free(want);
	free(path);
}
