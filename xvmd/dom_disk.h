/*
 * A domain's disks at start (issue 14): what each <disk> source is (a raw
 * file or block device hv serves itself, an image in another format, a
 * vdisk directory), checked against its <driver type>; and the one
 * qemu-storage-daemon per domain that exports the non-raw images as
 * vhost-user-blk sockets for hv's --vhost-user-blk (docs/xvmd.md
 * "Disks"). Internal to xvmd's domain code.
 */
#ifndef XVMD_DOM_DISK_H
#define XVMD_DOM_DISK_H

#include <string.h>
#include "dom.h"

#define DOM_QSD_ARGS	(8 + 6 * DOM_MAX_DISKS)

/* The format the first bytes of an image say it is: "qcow2", "vmdk",
 * "vdi", "vpc", or "raw" when none of those (head: up to n bytes from
 * offset 0; tail: the last 512 bytes of the image or NULL, where a fixed
 * VHD keeps its footer, looked at only when want_vpc). */
const char *dom_img_magic(const uint8_t *head, size_t n, const uint8_t *tail,
			  bool want_vpc);

/* Resolve dk into src (its image and format; a vdisk directory through
 * its vdisk.xml) and check the image against the format the XML gives:
 * a raw disk whose file starts like an image in another format is
 * refused, as is an image that is not what <driver type> says. start:
 * the disk is about to be opened, so a vdisk vdiskadm says is in use
 * (-EBUSY), or read-only for a writable disk, is refused too. 0, or
 * -errno with err (errlen) saying why. */
int dom_disk_resolve(const struct dom_disk *dk, struct dom_disk_src *src,
		     bool start, char *err, size_t errlen);

static inline bool dom_disk_qsd(const struct dom_disk_src *src)
{
	return src->format[0] && strcmp(src->format, "raw");
}

/* qemu-storage-daemon's command line for the non-raw disks of c (src
 * resolved), its files in dir: argv (NULL-terminated, pointing into a).
 * How many disks it exports (0: no daemon is needed), or -ENAMETOOLONG. */
struct dom_qsd_argv {
	char *v[DOM_QSD_ARGS];
	int n;
	char pidfile[320];
	char arg[DOM_MAX_DISKS][3][DOM_PATH_MAX + 200];
};
int dom_qsd_args(const struct dom_config *c, const struct dom_disk_src *src,
		 const char *prog, const char *dir, struct dom_qsd_argv *a);
/* The vhost-user-blk socket of disk i in dir: 0 or -ENAMETOOLONG (longer
 * than a socket address holds). */
int dom_qsd_sock(const char *dir, unsigned int i, char *buf, size_t len);

/* Start the domain's daemon if a disk needs one (d->src resolved),
 * waited for on xvmd's loop (it may take up to 30 s; a start also waits
 * for every daemon still stopping, which may hold an image it opens):
 * 1 and done(opaque, rc, e) later, once (rc 0: the daemon serves,
 * d->qsd_pid set; -errno with e: nothing left behind); 0 when no disk
 * needs a daemon (done not called); -errno with e now. Nothing for an
 * incoming migration's start (d->restore->incoming): dom_migrate.c
 * starts it at finish. d must stay until done; dom_qsd_stop(d) ends
 * the start (done gets -ECANCELED). */
typedef void (*dom_qsd_done_fn)(void *opaque, int rc, const struct verr *e);
int dom_qsd_start_async(struct dom *d, dom_qsd_done_fn done, void *opaque,
			struct verr *e);
/* xvmd stops: d's start above ends at once (as if its time ran out). */
void dom_qsd_start_cancel(struct dom *d);
/* Whether d's daemon is being started. */
bool dom_qsd_starting(const struct dom *d);
/* xvmd reaped pid (SIGCHLD): true if it was a launcher started above. */
bool dom_qsd_reaped(pid_t pid, int status);
/* Stop it, on the loop: SIGTERM now, SIGKILL after 5 s; its directory
 * goes once it ended. Returns at once. */
void dom_qsd_stop(struct dom *d);
/* Whether a daemon (any domain's) is still stopping. */
bool dom_qsd_stopping(void);
/* fn(opaque) once no daemon is stopping: 1 (called later, from the
 * loop), 0 when none is now (not called), -ENOMEM. */
int dom_qsd_when_stopped(void (*fn)(void *opaque), void *opaque);
/* xvmd's own stop: run the loop until the stops ended (7 s at most). */
void dom_qsd_stops_wait(void);
/* Adoption: find a running domain's daemon by its pid file. */
void dom_qsd_adopt(struct dom *d);
/* After adoption: daemons and directories of domains not running go. */
void dom_qsd_sweep(void);

/* An image's virtual size (qemu-img info): 0 or -errno with err. */
int dom_img_vsize(const struct dom_disk_src *src, uint64_t *size,
		  uint64_t *alloc, char *err, size_t errlen);

#endif
