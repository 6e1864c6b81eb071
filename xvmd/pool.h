/*
 * Storage pools and volumes (issue 14; libvirt's storage API, served by
 * proc_storage.c; the XML in pool_xml.c). A pool is a directory ("dir"
 * pools only); its volumes are the image files in that directory, their
 * format and virtual size read by `qemu-img info --output=json`, created
 * by `qemu-img create`.
 *
 * Persistent pools are $XVM_STATEDIR/pools/NAME.xml (plus NAME.autostart),
 * written atomically; an active pool has $XVM_RUNDIR/pools/NAME.xml, so a
 * restarted xvmd finds its pools as they were (a transient pool, from
 * pool-create, lives only there), while after a host reboot only the
 * autostart pools start. On the first start (no pools directory yet) xvmd
 * defines, builds and starts pool "default" at $XVM_STATEDIR/images,
 * autostart on; an undefine of it is kept.
 *
 * A directory in the pool's target that holds a vdisk.xml (vdiskadm's
 * vdisks) is a volume too, of type dir (struct pool_vol).
 *
 * Volumes are listed when a pool starts, on pool-refresh and after each
 * create/delete/resize (libvirt's model: files put there by hand appear
 * after a refresh). Only regular files count (not symbolic links, not
 * dot files). All on the loop thread; qemu-img info runs synchronously,
 * with a time limit; create, resize, wipe and clone run it beside the
 * loop for a client (issue 12), answered when it ends.
 */
#ifndef XVMD_POOL_H
#define XVMD_POOL_H

#include "xvm/common.h"
#include "verr.h"

#define POOL_NAME_MAX	64
#define POOL_VOL_NAME_MAX	200
#define POOL_PATH_MAX	512	/* a pool's target; path/volume fits */
#define POOL_CAP_MAX	(1ull << 50)	/* 1 PiB: the largest volume */

/* libvirt's virStoragePoolState and virStorageVolType */
enum { POOL_STATE_INACTIVE = 0, POOL_STATE_RUNNING = 2 };
enum { POOL_VOL_FILE = 0, POOL_VOL_DIR = 2 };

struct pool_vol {
	char name[POOL_VOL_NAME_MAX + 1];
	char format[16];		/* qemu-img's: raw, qcow2, vmdk, ... */
	/* A vdisk (vdiskadm: a directory with vdisk.xml and its images) is
	 * a volume of type dir, named after its directory, with the format
	 * and virtual size of its live image (image, in the directory);
	 * allocation and physical count its image files. vdiskadm manages
	 * it: delete, resize and wipe refuse it; it can be cloned from. */
	bool vdisk;
	char image[64];
	uint64_t capacity;		/* virtual size */
	uint64_t allocation;		/* st_blocks * 512 */
	uint64_t physical;		/* st_size */
	unsigned int mode, uid, gid;
	/* what qemu-img was asked about: a rescan asks again only for a
	 * file whose inode, size or mtime changed */
	uint64_t ino;
	int64_t mtime_ns;
};

struct pool {
	char name[POOL_NAME_MAX + 1];
	uint8_t uuid[16];
	char path[POOL_PATH_MAX];	/* absolute, normalized */
	bool active, persistent, autostart;
	struct pool_vol *vols;
	size_t nvols;
	struct pool *next;
};

/* What a <pool> document says (pool_parse_xml). */
struct pool_def {
	char name[POOL_NAME_MAX + 1];
	uint8_t uuid[16];
	bool have_uuid;
	char path[POOL_PATH_MAX];
};

/* What a <volume> document asks for (pool_vol_parse_xml). */
struct pool_vol_def {
	char name[POOL_VOL_NAME_MAX + 1];
	char format[16];		/* "raw" unless given */
	uint64_t capacity, allocation;
	bool have_allocation;
	bool type_dir;			/* <volume type='dir'>: a clone's
					 * source was a vdisk; create
					 * refuses it */
};

/* Load pools (statedir/pools, rundir/pools), make "default" on the first
 * start, start the autostart ones. 0 or -errno (directories). */
int pool_init(const char *statedir, const char *rundir);
/* Forget every pool (memory only; for tests). */
void pool_fini(void);

/* The pools, in the order defined. */
struct pool *pool_list(void);
struct pool *pool_by_name(const char *name);
struct pool *pool_by_uuid(const uint8_t uuid[16]);

/* Names and paths clients give: a pool name is 1..POOL_NAME_MAX of
 * [A-Za-z0-9._+-] not starting with '.'; a volume name 1..POOL_VOL_NAME_MAX
 * of the same plus ',', ':', '@', '=' and '~', not starting with '.' or '-'
 * (never "..", never a '/'); a pool path absolute, without "." or ".."
 * components, "//", a trailing '/' or control characters. */
bool pool_name_ok(const char *name);
bool pool_vol_name_ok(const char *name);
bool pool_path_ok(const char *path);

/* Parse untrusted XML (xmlread.h: no DTD). 0 or -EINVAL with err. */
int pool_parse_xml(const char *xml, size_t len, struct pool_def *def,
		   char *err, size_t errlen);
int pool_vol_parse_xml(const char *xml, size_t len, struct pool_vol_def *def,
		       char *err, size_t errlen);
/* The XML of a pool (with its sizes when active and inactive is false)
 * and of a volume: malloc'd, NULL on ENOMEM. */
char *pool_format_xml(const struct pool *p, bool inactive);
char *pool_vol_format_xml(const struct pool *p, const struct pool_vol *v);

/* storagePoolDefineXML (persist) and storagePoolCreateXML (transient,
 * started): the pool, or NULL with e. */
struct pool *pool_define(const struct pool_def *def, struct verr *e);
struct pool *pool_create_transient(const struct pool_def *def,
				   struct verr *e);
/* mkdir of the target (mode 0711) and of missing parents. */
int pool_build(struct pool *p, struct verr *e);
int pool_start(struct pool *p, struct verr *e);
/* Stop; a transient pool is then gone (p freed). */
int pool_destroy(struct pool *p, struct verr *e);
/* Forget an inactive persistent pool (p freed); the directory stays. */
int pool_undefine(struct pool *p, struct verr *e);
int pool_refresh(struct pool *p, struct verr *e);
int pool_set_autostart(struct pool *p, bool on, struct verr *e);
/* statvfs of the target: capacity, allocation (used) and available. */
int pool_sizes(const struct pool *p, uint64_t *cap, uint64_t *alloc,
	       uint64_t *avail);
/* rmdir of an inactive pool's (empty) target. */
int pool_delete_dir(struct pool *p, struct verr *e);

/* Volumes of an active pool. */
const struct pool_vol *pool_vol_by_name(const struct pool *p,
					const char *name);
/* The volume whose path (its key) is path, in any active pool; the pool
 * in *pp. NULL if none. */
const struct pool_vol *pool_vol_by_path(const char *path, struct pool **pp);
/* path = pool's target + '/' + name. -ENAMETOOLONG if it does not fit. */
int pool_vol_path(const struct pool *p, const char *name, char *buf,
		  size_t len);
int pool_vol_delete(struct pool *p, const char *name, struct verr *e);

/* A create, resize, wipe or clone ends: rc 0, or -errno with e. */
typedef void (*pool_job_fn)(void *opaque, int rc, const struct verr *e);

/* A new volume def->name in p: its file claimed (O_EXCL: an existing
 * name is refused, STORAGE_VOL_EXIST), then `qemu-img create` of the
 * format and capacity into it. flags: VIR_STORAGE_VOL_CREATE_PREALLOC_
 * METADATA (1). Started and ended as a wipe (below); the volume is not
 * listed until qemu-img is done, and a failed create removes the file:
 * nobody sees a half-made volume. On success the pool is scanned: the
 * caller finds it with pool_vol_by_name. */
int pool_vol_create_start(struct pool *p, const struct pool_vol_def *def,
			  unsigned int flags, bool async, pool_job_fn done,
			  void *opaque, struct verr *e);
/* `qemu-img resize` of volume name to capacity. flags:
 * VIR_STORAGE_VOL_RESIZE_DELTA (2), _SHRINK (4). Refuses a vdisk and a
 * busy volume; started and ended as a wipe, the volume busy meanwhile
 * (its listing keeps the old capacity until it ends). */
int pool_vol_resize_start(struct pool *p, const char *name,
			  uint64_t capacity, unsigned int flags, bool async,
			  pool_job_fn done, void *opaque, struct verr *e);

/* Write zeros over the whole file (qemu-img convert from a zero source,
 * every block written), then, for a format other than raw, make it an
 * empty image of that format and the same capacity again (qemu-img
 * create): the guest-visible contents read as zeros and the old bytes
 * are overwritten. Refuses a vdisk and a busy volume. The caller checks
 * no running domain uses it. With async, qemu-img runs beside the loop
 * and done is called when it ends (the volume busy meanwhile); without,
 * done is called before this returns. 0 (done will be or was called), or
 * -errno with e (it was not started; done is not called). */
int pool_vol_wipe_start(struct pool *p, const char *name, bool async,
			pool_job_fn done, void *opaque, struct verr *e);
/* A new volume def->name in p with the contents of src (a volume of
 * src_pool, a vdisk's live image included) in def->format, through
 * qemu-img convert; grown to def->capacity when that is larger (libvirt
 * keeps the source's capacity otherwise). flags as pool_vol_create.
 * Started and ended as a wipe; a failed clone leaves nothing behind. */
int pool_vol_clone_start(struct pool *p, const struct pool_vol_def *def,
			 const struct pool *src_pool,
			 const struct pool_vol *src, unsigned int flags,
			 bool async, pool_job_fn done, void *opaque,
			 struct verr *e);
/* A job (create, resize, wipe, clone) works on the volume at path (its
 * target or source). */
bool pool_path_busy(const char *path);
/* main's SIGCHLD reaper: true if pid was a job's qemu-img. */
bool pool_qjob_reaped(pid_t pid, int status);
/* xvmd stops: running jobs killed (a new volume's file removed). */
void pool_qjobs_kill(void);

/* A domain's disks that are volumes of active pools must be given in
 * their volume's format (a driverless <disk> is taken as raw): a qcow2
 * volume given to the guest as raw bytes would show it the image's
 * metadata, and what it wrote there would be read as metadata later
 * (dom_disk.c checks the image itself again at start). 0, or -EOPNOTSUPP
 * with e naming the disk and the volume. */
struct dom_config;
int pool_check_disks(const struct dom_config *cfg, struct verr *e);

#endif
