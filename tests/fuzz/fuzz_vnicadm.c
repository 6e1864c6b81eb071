/*
 * vnicadm's command line (vnicadm/vnicadm.c, lib/cli.c): the input is
 * split at NUL bytes into at most 31 arguments after "vnicadm" and run
 * through vnicadm_main() as the binary runs it: subcommand lookup, option
 * parsing, the checks of names, MACs, VLAN ids and property lists, usage
 * messages. There is no vswitchd: XVM_RUNDIR is an empty temporary
 * directory, so a command line that passes the checks ends at "cannot
 * connect"; the working directory is that directory too (snoop -o).
 * Output goes to /dev/null.
 */
#include "fuzz.h"
#include "xvm/log.h"
#include "vnicadm/vnicadm.h"

#define MAX_ARGS	32

static FILE *devnull;

static void close_devnull(void)
{
	fclose(devnull);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fuzz_tmpdir_make("vnicadm");

	(void)argc; (void)argv;
	fuzz_log_init();
	setenv("XVM_RUNDIR", dir, 1);
	if (chdir(dir) < 0 || !(devnull = fopen("/dev/null", "w"))) {
		perror("fuzz_vnicadm");
		exit(1);
	}
	atexit(close_devnull);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *args[MAX_ARGS + 1];
	char *buf;
	int argc = 1;
	size_t i, start = 0;

	if (size > 4096)
		return 0;
	buf = fuzz_strndup(data, size);
	args[0] = (char *)"vnicadm";
	for (i = 0; i <= size && argc < MAX_ARGS; i++) {
		if (i == size || buf[i] == '\0') {
			if (i > start || i < size)
				args[argc++] = buf + start;
			start = i + 1;
		}
	}
	args[argc] = NULL;
	vnicadm_main(argc, args, devnull, devnull);
	free(buf);
	return 0;
}
