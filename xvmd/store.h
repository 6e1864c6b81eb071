/*
 * What xvmd keeps on disk (DESIGN.md "Persistent state"): one file per
 * defined domain in $XVM_STATEDIR/domains/<name>.xml and an autostart
 * marker <name>.autostart beside it; the runtime state of each running
 * domain (id, hv pid, VNICs, pty, and the XML of transient ones) in
 * $XVM_RUNDIR/xvmd/<name>.json so a restarted xvmd adopts it; managed
 * save images in $XVM_STATEDIR/save/<name>.save. Writes are
 * atomic (atomicio_replace_file).
 */
#ifndef XVMD_STORE_H
#define XVMD_STORE_H

#include <jansson.h>
#include "xvm/common.h"

/* Makes the directories and removes the temporaries of writes a kill -9
 * cut short (logging each). */
int store_init(const char *statedir, const char *rundir);
void store_temp_removed(const char *path);
/* 0 or -errno; nothing is changed in memory by these, the callers
 * (dom.c) change their records only once the store has. */
int store_save_def(const char *name, const char *xml);
/* The autostart marker, then the definition: 0 or the first -errno. */
int store_delete_def(const char *name);
int store_set_autostart(const char *name, bool on);
bool store_autostart(const char *name);
/* Call fn for every stored definition (its XML and file name). */
int store_each_def(void (*fn)(const char *xml, size_t len, const char *file));

int store_save_run(const char *name, json_t *state);	/* does not steal */
int store_delete_run(const char *name);
/* Call fn for every runtime state file (steals nothing). */
int store_each_run(void (*fn)(const char *name, json_t *state));

/* Run-time paths of a domain: what = "sock", "pid", "log" (under
 * $XVM_RUNDIR/hv/), "console" ($XVM_RUNDIR/console/NAME.log), "qsd"
 * (the directory of its qemu-storage-daemon, $XVM_RUNDIR/xvmd/qsd/NAME;
 * "qsdroot" ignores name and gives $XVM_RUNDIR/xvmd/qsd). */
int store_run_path(char *buf, size_t len, const char *name, const char *what);

/* A persistent domain's managed save image: $XVM_STATEDIR/save/NAME.save. */
int store_managed_save_path(char *buf, size_t len, const char *name);
/* path's directory (symlinks resolved) is one of xvmd's own: the
 * definitions, managed save images, run state, hv sockets and logs. */
bool store_owns_path(const char *path);

#endif
