/* workload.h: workloads chosen on the command line (workload.c). */
#ifndef MINIOS_WORKLOAD_H
#define MINIOS_WORKLOAD_H

#include "minios.h"

struct workload {
	const char *name;
	/* Called once, in order, after the ready line. May not return
	 * (power off, reboot, crash). */
	void (*start)(void);
	/* Called from the main loop with the current time; does a short
	 * slice of work and returns false once the workload is finished. */
	bool (*step)(uint64_t now_ns);
	/* A complete line of console input (without the newline), or NULL
	 * if the workload takes no input. */
	void (*input)(const char *line);
	/* Has work every step (the main loop must not sleep while it runs). */
	bool busy;
	/* Or, if set: does it have work now (e.g. traffic is flowing)? */
	bool (*is_busy)(uint64_t now_ns);
};

const struct workload *workload_find(const char *name, size_t len);

/* The disk workloads (blkwl.c). */
extern const struct workload wl_blkwrite, wl_blkcheck, wl_blkro, wl_badblk,
	wl_blkbench;

#endif
