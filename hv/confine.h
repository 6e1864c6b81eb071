/*
 * hv's confinement after set-up (confine.c): an optional switch to an
 * unprivileged user, no new privileges, no capabilities, and a seccomp
 * filter allowing only the system calls hv needs once the domain runs
 * (the list: docs/security.md). A forbidden call ends hv with a line
 * on standard error and exit status HV_EXIT_SECCOMP.
 */
#ifndef HV_CONFINE_H
#define HV_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define HV_EXIT_SECCOMP	12

enum hv_seccomp {
	HV_SECCOMP_ON,		/* forbidden call: report, exit 12 */
	HV_SECCOMP_LOG,		/* forbidden call: allowed, logged by the kernel */
	HV_SECCOMP_OFF,
};

struct confine_opts {
	enum hv_seccomp seccomp;
	bool user_set;		/* --user USER */
	uid_t uid;
	gid_t gid;
	const char *user;
};

/* "on", "off", "log"; -EINVAL for anything else. */
int confine_parse_seccomp(const char *s, enum hv_seccomp *out);

/* --user NAME (a passwd entry) or UID[:GID] into o; -errno, msg says why. */
int confine_parse_user(struct confine_opts *o, const char *arg, char *msg,
		       size_t msglen);

/* Before the vCPU threads start (capabilities are per thread; new
 * threads inherit the creator's), with every file and socket of the
 * domain open: switch user, PR_SET_NO_NEW_PRIVS, drop every capability.
 * -errno and msg on failure. */
int confine_drop_privileges(const struct confine_opts *o, char *msg,
			    size_t msglen);

/* Build the filter for mode ahead, in this process (its rules name this
 * process's id): confine_seccomp_load then only loads it (an incoming
 * migration's switch-over spent 0.5-2.4 ms building it). Does nothing for
 * HV_SECCOMP_OFF or when built already. -errno and msg on failure. */
int confine_seccomp_prepare(enum hv_seccomp mode, char *msg, size_t msglen);

/* Once the vCPU threads exist: installs the SIGSYS reporter, builds the
 * filter for mode (unless confine_seccomp_prepare did) and loads it on
 * the calling thread (and on all of the process's threads when tsync).
 * Does nothing for HV_SECCOMP_OFF. -errno and msg on failure. */
int confine_seccomp_load(enum hv_seccomp mode, bool tsync, char *msg,
			 size_t msglen);

/* The names of the system calls allowed without argument conditions,
 * and of those allowed with some (docs/security.md lists both). */
extern const char *const confine_calls[];
extern const size_t confine_ncalls;
extern const char *const confine_calls_filtered[];
extern const size_t confine_ncalls_filtered;

#endif
