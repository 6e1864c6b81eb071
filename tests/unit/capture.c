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
