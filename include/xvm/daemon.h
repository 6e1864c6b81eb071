/*
 * What every xvm daemon and client sets up the same way: the run and state
 * directories (DESIGN.md "Interfaces between processes"), the termination
 * signals read through a signalfd, the pid file lock and mkdir -p.
 */
#ifndef XVM_DAEMON_H
#define XVM_DAEMON_H

#include <sys/types.h>

/* $XVM_RUNDIR if set and not empty, else XVM_RUNDIR_DEFAULT. */
const char *xvm_rundir(void);
/* $XVM_STATEDIR if set and not empty, else XVM_STATEDIR_DEFAULT. */
const char *xvm_statedir(void);

/*
 * SIGPIPE ignored; SIGTERM, SIGINT, SIGHUP and extra (0: none, e.g.
 * SIGCHLD) blocked in the calling thread, so call it before any other
 * thread starts (they inherit the mask). Returns a signalfd for them
 * opened with sfd_flags (SFD_CLOEXEC is always added), or -errno.
 */
int daemon_signalfd(int extra, int sfd_flags);

/* Create and lock path, write our pid into it: the fd to keep open, or
 * -EEXIST when another live process holds it, or -errno. */
int daemon_pidfile(const char *path);

/* mkdir -p: dir with mode, missing parents with 0755. 0 or -errno. */
int mkdir_p(const char *dir, mode_t mode);

#endif
