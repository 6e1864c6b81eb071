/*
 * Domains as xvmd keeps them: the definition (domxml.h), whether it is
 * persistent and autostarted, and while it runs its id, hv process,
 * control-socket watch, VNICs, console and cgroup. dom.c holds the list
 * and the definitions, dom_run.c the lifecycle (hv processes, exits,
 * on_poweroff/on_reboot/on_crash), dom_adopt.c adoption after a restart,
 * dom_cpu.c vCPUs and the credit scheduler, vif.c the VNICs, domcon.c
 * the consoles. Everything runs on the loop thread.
 */
#ifndef XVMD_DOM_H
#define XVMD_DOM_H

#include <sys/types.h>
#include "domxml.h"
#include "netallow.h"
#include "verr.h"

/* virDomainState (libvirt-domain.h). */
enum {
	DS_NOSTATE = 0,
	DS_RUNNING = 1,
	DS_BLOCKED = 2,
	DS_PAUSED = 3,
	DS_SHUTDOWN = 4,
	DS_SHUTOFF = 5,
	DS_CRASHED = 6,
};

/* Reasons used (virDomain*Reason). */
enum {
	DR_RUNNING_BOOTED = 1,
	DR_RUNNING_MIGRATED = 2,
	DR_RUNNING_RESTORED = 3,
	DR_RUNNING_UNPAUSED = 5,
	DR_PAUSED_USER = 1,
	DR_PAUSED_STARTING_UP = 11,
	DR_SHUTDOWN_USER = 1,
	DR_SHUTOFF_UNKNOWN = 0,
	DR_SHUTOFF_SHUTDOWN = 1,
	DR_SHUTOFF_DESTROYED = 2,
	DR_SHUTOFF_CRASHED = 3,
	DR_SHUTOFF_MIGRATED = 4,
	DR_SHUTOFF_SAVED = 5,
	DR_SHUTOFF_FAILED = 6,
	DR_CRASHED_PANICKED = 1,
};

/* virDomainSaveRestoreFlags, virDomainCreateFlags. */
enum {
	DOM_SAVE_RUNNING = 1 << 1,
	DOM_SAVE_PAUSED = 1 << 2,
	DOM_START_PAUSED = 1 << 0,
	DOM_START_FORCE_BOOT = 1 << 3,
};

/* A start that restores a save image (dom_save.c): hv gets --restore. */
struct dom_restore {
	const char *path;
	uint64_t offset;	/* where hv's stream starts */
	bool paused;		/* stay paused (hv --paused) */
	const char *incoming;	/* else: hv --incoming URI (a migration
				 * coming in, dom_migrate.c), not path */
};

/* What a disk is at start (dom_disk.c): the image file (a vdisk
 * directory's live image, else the source itself) and its format as
 * qemu names it; "" before the domain starts. */
struct dom_disk_src {
	char image[DOM_PATH_MAX + 32];
	char format[8];		/* raw: hv serves it; else qsd */
};

struct domcon;
struct sched_dom;
struct dom_save_job;
struct dom_launch_job;
struct dom_mig_out;
struct dom_unplug_job;
struct dom_exit_wait;

struct dom {
	struct dom *next;
	struct dom_config cfg;	/* the running configuration, or the
				 * definition while shut off */
	struct dom_config *pending;	/* definition changed while running:
					 * becomes cfg when the domain stops */
	bool persistent, autostart;
	bool dom0;		/* Domain-0, the host: id 0, always running */
	struct dom_live live;	/* live.id: -1 inactive */
	int state, reason;
	pid_t pid;		/* hv, 0 none */
	bool child;		/* our child (else adopted): waitpid works */
	int exit_status;	/* waitpid status once reaped, -1 before */
	int ctl_fd;		/* hv control socket, watched for events */
	char ctl_buf[4096];
	size_t ctl_len;
	char hv_reason[16];	/* reason of hv's last "shutoff" event */
	bool destroying;	/* destroy requested: no on_* action */
	struct dom_unplug_job *unplug_job;	/* a detach waits for hv */
	bool nics_changed;	/* a NIC was hot-plugged or unplugged: hv's
				 * devices are not its command line's */
	struct dom_save_job *save_job;	/* hv is writing a save image */
	struct dom_launch_job *launch_job;	/* hv is starting (restore) */
	struct dom_exit_wait *exit_wait;	/* hv closed its socket; its
						 * exit is awaited (dom_run.c) */
	struct dom_mig_out *mig_job;	/* hv sends the guest away */
	struct dom_job_done *job_done;	/* the last finished migration's
					 * figures (domjobinfo --completed) */
	/* virsh migrate-setmaxdowntime / migrate-setspeed, kept for the
	 * domain's next migrations (in memory, and in a running domain's
	 * runtime state, which a restarted xvmd adopts); 0: hv's default
	 * downtime, no speed limit. migrate --bandwidth
	 * sets mig_speed_once for that migration only. */
	uint32_t mig_downtime;		/* ms */
	uint64_t mig_speed;		/* MiB/s */
	uint64_t mig_speed_once;	/* MiB/s */
	const struct dom_restore *restore;	/* set while a start restores */
	bool pinned;		/* vcpupin applied to this hv's threads */
	struct sched_dom *sd;
	struct domcon *con;
	struct dom_disk_src src[DOM_MAX_DISKS];	/* while running */
	pid_t qsd_pid;		/* its qemu-storage-daemon, 0 none */
};

/* What a finished outgoing migration leaves for GET_JOB_STATS with
 * VIR_DOMAIN_JOB_STATS_COMPLETED (virsh domjobinfo --completed). */
struct dom_job_done {
	int type;		/* virDomainJobType: 3 completed, 4 failed,
				 * 5 cancelled */
	int64_t elapsed_ms;
	uint64_t total, processed, remaining, rounds, pages, zero_pages;
	uint64_t bytes, bandwidth, dirty_rate;
	int64_t downtime_ms;	/* -1: hv did not say */
	char errmsg[400];
};

/* Migration's relocation port (xend's xend-relocation-port) and how
 * many ports from it concurrent incoming migrations may take. */
#define DOM_MIG_PORT	8002
#define DOM_MIG_PORTS	64

/* Paths and tools (main.c fills it before dom_init). */
struct dom_env {
	char rundir[256], statedir[256];
	char hv[512];		/* the hv binary */
	char qsd[512];		/* qemu-storage-daemon ($XVM_QSD or PATH) */
	char cgroup[64];	/* parent cgroup name */
	int stop_timeout_s;	/* shutdown of domains when xvmd stops */
	int reloc_port;		/* first port incoming hv listen on */
	char reloc_addr[64];	/* their address; "": the one the client
				 * reached us on (dom_migrate.c) */
	struct netallow reloc_allow;	/* peers that may send a stream */
};

extern struct dom_env dom_env;

/* Load definitions, adopt running hv processes, start autostart domains. */
int dom_init(void);
/* xvmd stops: shut down running domains except those marked
 * on_xend_stop=ignore; returns once they are gone (or destroyed after
 * stop_timeout_s). */
void dom_stop_all(void);
/* Periodic work (1 s): vcpupin of new hv threads, delayed checks. */
void dom_tick(void);
/* Some hv still runs (left running, adopted later). */
bool dom_any_running(void);

struct dom *dom_first(void);	/* Domain-0 first */
struct dom *dom_by_name(const char *name);
struct dom *dom_by_uuid(const uint8_t uuid[16]);
struct dom *dom_by_id(int id);
static inline bool dom_active(const struct dom *d)
{
	return d->live.id >= 0;
}

int dom_define(const char *xml, struct dom **out, struct verr *e);
/* A transient domain's record without starting it (adoption); refused
 * if a domain of that name exists. */
int dom_create_transient(const char *xml, struct dom **out, struct verr *e);
/* How a start or restore ended: rc 0 (d runs) or -errno with e (d may be gone);
 * called from the loop. */
typedef void (*dom_restore_done_fn)(void *opaque, struct dom *d, int rc,
				    const struct verr *e);
/* The same, started (virsh create); forgotten again if the start fails:
 * 1 and done(opaque, d, rc, e) once the start ended (d forgotten right
 * after a failure), or -errno with e now. */
int dom_create_xml(const char *xml, dom_restore_done_fn done, void *opaque,
		   struct verr *e);
/* flags: virDomainUndefineFlagsValues; 1 (MANAGED_SAVE) also removes the
 * managed save image, without it such an image refuses. */
int dom_undefine(struct dom *d, uint32_t flags, struct verr *e);
int dom_set_autostart(struct dom *d, bool on, struct verr *e);
/* A --config change is a transaction (issue 12): take a copy of the
 * definition (the pending one while running, else cfg; malloc'd, NULL +
 * e when out of memory), change the copy, then commit it: stored first
 * (persistent domains), and only once stored made the definition (cfg
 * while shut off, the pending copy while running). A failed store
 * (ENOSPC, EIO) leaves memory and disk as they were. commit always takes
 * def; 0 or -errno with e. */
struct dom_config *dom_def_copy(struct dom *d, struct verr *e);
/* Fill in what a definition leaves to us (NIC MACs, generated), so they
 * persist. 0 or -errno with e. */
int dom_complete(struct dom_config *cfg, struct verr *e);
int dom_def_commit(struct dom *d, struct dom_config *def, struct verr *e);
/* The two halves, for changes that also touch the running domain:
 * store (nothing in memory changes), then install (takes def). */
int dom_def_store(struct dom *d, const struct dom_config *def,
		  struct verr *e);
void dom_def_install(struct dom *d, struct dom_config *def);
/* The domain stopped: a pending definition takes effect. */
void dom_apply_pending(struct dom *d);
/* The XML (live details unless inactive): malloc'd or NULL. */
char *dom_xml(const struct dom *d, bool inactive);
uint64_t dom_cputime_ns(const struct dom *d);
/* Only for dom.c/dom_run.c: remove a transient domain once stopped. */
void dom_forget(struct dom *d);
/* Restore: the domain a save image's XML describes, to run that
 * configuration; an inactive persistent one keeps its definition for its
 * next boot, else a transient one is made (*created). Refused when it
 * runs or its name/uuid clash. dom_saved_drop() undoes it. */
int dom_saved_take(const char *xml, struct dom **out, bool *created,
		   struct verr *e);
void dom_saved_drop(struct dom *d, bool created);
int dom_check_not_dom0(const struct dom *d, struct verr *e);

/* dom_run.c, dom_adopt.c, dom_cpu.c */
/* Change state, telling registered clients (lifecycle events). */
void dom_set_state(struct dom *d, int state, int reason);
/* Start d (virDomainCreateFlags): a managed save image is restored
 * (and then removed) unless DOM_START_FORCE_BOOT, which removes it;
 * DOM_START_PAUSED keeps a restored guest paused. 1 and done() tells
 * the end (a boot's steps or the image's restore wait on the loop);
 * -errno with e now, done() not called. */
int dom_start_async(struct dom *d, uint32_t flags, dom_restore_done_fn done,
		    void *opaque, struct verr *e);
/* xvmd's own shutdown and destroy at its stop: the call to hv waits in
 * the loop, at most 2 s (nobody else is served then); hv's exit may be
 * awaited after a destroy: */
int dom_shutdown(struct dom *d, struct verr *e);
int dom_destroy(struct dom *d, struct verr *e);
/* After dom_stop_all(): run the loop until the exits awaited and the
 * VNIC deletes they send ended (bounded). */
void dom_exits_wait(void);
/* shutdown, reboot, destroy, suspend, resume for a request handler,
 * answered when hv answers: the loop serves everyone else meanwhile
 * (issue 12). 1: done(opaque, rc, e)
 * runs later, once, on the loop; 0 or -errno with e: finished now. */
enum dom_op { DOM_OP_SHUTDOWN, DOM_OP_REBOOT, DOM_OP_DESTROY,
	      DOM_OP_SUSPEND, DOM_OP_RESUME };
typedef void (*dom_op_done_fn)(void *opaque, int rc, const struct verr *e);
int dom_op_async(struct dom *d, enum dom_op op, dom_op_done_fn done,
		 void *opaque, struct verr *e);
int dom_adopt_all(void);
void dom_child_exited(pid_t pid, int status);
/* The hv's vCPU threads (up to n): count, or -errno. */
int dom_vcpu_threads(const struct dom *d, pid_t *tids, int n);
/* A running domain's disk I/O counters from hv (virsh domblkstat), in
 * the order of d->cfg.disks. */
struct dom_disk_stats {
	bool avail;		/* false: qemu-storage-daemon serves it, hv
				 * has no counters */
	uint64_t rd_req, rd_bytes, rd_ns;
	uint64_t wr_req, wr_bytes, wr_ns;
	uint64_t fl_req, fl_ns;
	uint64_t errors;
};
/* Up to max disks' counters into out (one per disk of d->cfg): how
 * many, or -errno with e. */
int dom_disk_stats(struct dom *d, struct dom_disk_stats *out,
		   unsigned int max, struct verr *e);
/* The same waited for on the loop: 0, then done(opaque, d, n, out, e)
 * once, later (d NULL if the domain stopped meanwhile; n < 0 with e,
 * out NULL, on failure); or -errno with e now (no callback). out holds
 * DOM_MAX_DISKS entries and lives during the callback only. */
typedef void (*dom_blk_done_fn)(void *opaque, struct dom *d, int n,
				const struct dom_disk_stats *out,
				const struct verr *e);
int dom_disk_stats_async(struct dom *d, dom_blk_done_fn done, void *opaque,
			 struct verr *e);
/* weight/cap now (if running) and in the definition. */
int dom_set_sched(struct dom *d, unsigned int weight, unsigned int cap,
		  struct verr *e);
int dom_pin_vcpu(struct dom *d, unsigned int vcpu, const uint8_t *map,
		 size_t len, bool live, bool config, struct verr *e);

/* dom_save.c: save images (savefile.h) and managed save. */
/* How a save ended: rc 0, or -errno with e; called from the loop. */
typedef void (*dom_save_done_fn)(void *opaque, int rc, const struct verr *e);
/* Start saving the running domain into path (created 0600; an existing
 * regular file is replaced, anything else refused): 0 and done() is
 * called once hv has written the image and ended (the domain shut off
 * (saved), a transient one gone) or failed (the file removed, the guest
 * runs on); or -errno with e now, done() never called. hv writes while
 * the loop serves others. flags: DOM_SAVE_RUNNING/PAUSED. */
int dom_save_image(struct dom *d, const char *path, uint32_t flags,
		   dom_save_done_fn done, void *opaque, struct verr *e);
/* d stops while its save runs (destroyed): the save goes on without it. */
void dom_save_detach(struct dom *d);
/* How long d's save has run (ms), or -1 when none runs. */
int64_t dom_save_elapsed_ms(const struct dom *d);
/* Refuse lifecycle changes while a save or a restore's start runs: 0 or
 * -errno with e. */
int dom_check_idle(const struct dom *d, struct verr *e);
/* Recreate and start the domain saved in path: 0 and done() tells the
 * end once hv runs it (running, or paused by flags or as saved), the loop
 * serving others meanwhile; or -errno with e now. Nothing is left behind
 * on failure. */
int dom_restore_image(const char *path, uint32_t flags,
		      dom_restore_done_fn done, void *opaque, struct verr *e);
/* The XML a save image holds (malloc'd in *xml) or -errno with e. */
int dom_save_image_xml(const char *path, char **xml, struct verr *e);
int dom_managed_save(struct dom *d, uint32_t flags, dom_save_done_fn done,
		     void *opaque, struct verr *e);
bool dom_has_managed_save(const struct dom *d);
int dom_managed_save_remove(struct dom *d, struct verr *e);
/* Start d from its managed save image (removed once restored), as
 * dom_restore_image(); flags: DOM_START_PAUSED. */
int dom_managed_restore(struct dom *d, uint32_t flags,
			dom_restore_done_fn done, void *opaque,
			struct verr *e);

/* vif.c: the domain's VNICs on vswitchd. */
/* How long xvmd waits for each vswitchd reply: the loop waits with it,
 * so kept short; a stalled vswitchd fails that call with "no reply
 * within 2000 ms" (issue 12). */
#define VIF_CALL_MS	2000
/* A starting domain's VNICs (d->live.id set) on the loop: one vnic.create after the other, each
 * within VIF_CALL_MS; a start waits for VNIC deletes still in flight
 * (their MACs). 1 and done(opaque, rc, e) later, once; 0 when d has no
 * NICs (done not called); -errno with e now. sockets lives until done.
 * VNICs made (or maybe made: a call that timed out) stay named in
 * d->live.vnics for vif_delete(). */
typedef void (*vif_done_fn)(void *opaque, int rc, const struct verr *e);
int vif_create_async(struct dom *d, char sockets[][108], vif_done_fn done,
		     void *opaque, struct verr *e);
/* Every VNIC of d: the deletes are sent on the loop, nobody waits for
 * them (logged when they end); d->live.vnics is cleared now. */
void vif_delete(struct dom *d);
/* NIC i's VNIC alone (hot-plug: d->cfg.nics[i] and d->live.vnics[i]
 * filled in), made on the loop: 0 and done(opaque, rc, e) later, once,
 * or -errno with e now. Its request is made now; like a start's, it is
 * sent once no VNIC delete is in flight (a detach, then an attach of the
 * same MAC), if the domain (by name and id) still runs with that VNIC
 * name then, else done gets -ECANCELED. d is not touched after the call
 * (it may stop meanwhile); socket lives until done. A VNIC whose call
 * timed out may still be made: the caller deletes it. */
int vif_create_nic_async(struct dom *d, unsigned int i, char socket[108],
			 vif_done_fn done, void *opaque, struct verr *e);
/* NIC i's VNIC and its flows deleted, sent on the loop, not waited
 * for (logged when it ends); d->live.vnics[i] is cleared now. */
void vif_delete_nic_async(struct dom *d, unsigned int i);
/* The vhost-user socket paths of the VNICs already made (restart). */
int vif_sockets(struct dom *d, char sockets[][108]);

/* dom_hotplug.c: NICs plugged into and out of a running domain (hv's
 * nic.add/nic.remove): the VNIC made as at start, hv asked, the live
 * configuration and the runtime state updated. nic without a MAC gets
 * one. 0 or -errno with e filled; nothing changed on failure (a VNIC
 * whose NIC the guest released is deleted even if vswitchd fails). */
typedef void (*dom_unplug_done_fn)(void *opaque, struct dom *d, int rc,
				   const struct verr *e);
/* 0 and done(opaque, d, rc, e) once hv answered nic.add (d NULL if the
 * domain stopped meanwhile), or -errno with e now. */
int dom_nic_hotplug(struct dom *d, struct dom_nic *nic,
		    dom_unplug_done_fn done, void *opaque, struct verr *e);
/* The live NIC at index i: the same with nic.remove. */
int dom_nic_unplug(struct dom *d, unsigned int i, dom_unplug_done_fn done,
		   void *opaque, struct verr *e);
/* The domain stopped: an attach or detach waiting for hv ends with an
 * error (an attach's VNIC is deleted). */
void dom_unplug_detach(struct dom *d);
/* 0, or an error saying `what` (save, migrate) cannot go on because NICs
 * were plugged or unplugged since hv started. */
int dom_check_nics_unchanged(struct dom *d, const char *what,
			     struct verr *e);

/* domcon.c */
int domcon_attach(struct dom *d);	/* after hv reports its pty */
void domcon_detach(struct dom *d);
/* Take what the guest printed now (hv is ending: a pty loses unread
 * output when its master closes). */
void domcon_flush(struct dom *d);
struct remote_conn;
int domcon_open_stream(struct dom *d, struct remote_conn *conn,
			uint32_t serial, bool force, struct verr *e);

#endif
