/*
 * Save and restore (virsh save/restore/managedsave): xvmd writes the
 * image's header (savefile.h: the domain's XML), asks hv to "save" its
 * state stream behind it and exit; restore checks the header, recreates
 * the domain and its VNICs from the XML and starts hv with --restore.
 * Managed save images of persistent domains live in
 * $XVM_STATEDIR/save/NAME.save and are restored by the next start.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "xvm/log.h"
#include "loop.h"
#include "dom.h"
#include "dom_run.h"
#include "savefile.h"
#include "store.h"

/* hv writes the guest's whole RAM; xvmd waits (the loop with it). */
#define HV_SAVE_MS		300000
#define HV_SAVE_EXIT_MS		10000

static int dom_save_check(struct dom *d, struct verr *e)
{
	int rc = dom_check_not_dom0(d, e);

	if (rc < 0)
		return rc;
	if (!dom_active(d) || !d->pid || d->state == DS_CRASHED)
		return verr_fail(e, -ESRCH, VERR_OPERATION_INVALID, "Requested "
				 "operation is not valid: domain is not "
				 "running");
	return 0;
}

/* A new file at path, 0600: an existing regular file is replaced (as
 * libvirt does), anything else (device, directory, symlink) refused. */
static int dom_save_create(const char *path, struct verr *e)
{
	struct stat st;
	int fd, rc;

	if (path[0] != '/')
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: save "
				"image path '%s' is not absolute", path);
	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return verr_set(e, VERR_OPERATION_INVALID, "Requested "
					"operation is not valid: '%s' exists "
					"and is not a regular file", path);
		if (unlink(path) < 0 && errno != ENOENT)
			goto fail;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd >= 0)
		return fd;
fail:
	rc = -errno;
	return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			 "cannot create save image '%s': %s", path,
			 strerror(-rc));
}

static void dom_save_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* hv said it saved and exits: wait for that, kill it if it lingers (its
 * state is in the image already). */
static void dom_save_wait_exit(struct dom *d)
{
	int64_t end = loop_now_ms() + HV_SAVE_EXIT_MS;
	int st;

	while (loop_now_ms() < end) {
		if (d->child ? waitpid(d->pid, &st, WNOHANG) == d->pid :
			       kill(d->pid, 0) < 0) {
			if (d->child)
				d->exit_status = st;
			return;
		}
		dom_save_sleep_ms(10);
	}
	log_warn("dom %s: hv did not exit after saving; killing it",
		 d->cfg.name);
	kill(d->pid, SIGKILL);
	if (d->child && waitpid(d->pid, &st, 0) == d->pid)
		d->exit_status = st;
}

/* Ask hv for the stream; its length into h. */
static int dom_save_hv(struct dom *d, const char *path,
		       struct savefile_hdr *h, struct verr *e)
{
	json_t *res = NULL, *params;
	json_int_t bytes;
	int rc;

	params = json_pack("{s:s, s:I}", "path", path, "offset",
			   (json_int_t)h->data_off);
	if (!params)
		return verr_nomem(e);
	rc = dom_hv_call_params(d, "save", params, HV_SAVE_MS, &res, e);
	if (rc < 0)
		return rc;
	bytes = json_integer_value(json_object_get(res, "bytes"));
	json_decref(res);
	if (bytes <= 0)
		return verr_set(e, VERR_OPERATION_FAILED, "operation failed: "
				"hv of '%s' saved no state", d->cfg.name);
	h->stream_len = (uint64_t)bytes;
	return 0;
}

int dom_save_image(struct dom *d, const char *path, uint32_t flags,
		   struct verr *e)
{
	struct savefile_hdr h = { 0 };
	bool saved = false;	/* hv wrote the stream and is ending */
	int fd, rc;

	rc = dom_save_check(d, e);
	if (rc < 0)
		return rc;
	h.xml = domxml_format(&d->cfg, NULL);
	if (!h.xml)
		return verr_nomem(e);
	h.xml_len = strlen(h.xml);
	if ((flags & DOM_SAVE_PAUSED) ||
	    (d->state == DS_PAUSED && !(flags & DOM_SAVE_RUNNING)))
		h.flags = SAVEFILE_FLAG_PAUSED;
	fd = dom_save_create(path, e);
	if (fd < 0) {
		free(h.xml);
		return fd;
	}
	/* the header first, its stream length 0 (unfinished) until hv has
	 * written and synced the stream */
	rc = savefile_write(fd, &h);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (rc < 0) {
		verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "cannot write save image '%s': %s", path,
			  strerror(-rc));
		goto out;
	}
	rc = dom_save_hv(d, path, &h, e);
	if (rc < 0)
		goto out;
	saved = true;
	rc = savefile_write(fd, &h);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (rc < 0)
		verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "cannot complete save image '%s': %s", path,
			  strerror(-rc));
out:
	close(fd);
	free(h.xml);
	if (rc < 0)
		unlink(path);
	if (!saved)	/* hv refused: the guest runs on */
		return rc;
	dom_save_wait_exit(d);
	d->saving = true;
	log_info("dom %s: saved to %s (%llu bytes of state)", d->cfg.name,
		 path, (unsigned long long)h.stream_len);
	dom_hv_gone(d);		/* shut off (saved); a transient d is freed */
	return rc;
}

/* Open and check an image: 0 with h filled (h->xml malloc'd). */
static int dom_image_read(const char *path, struct savefile_hdr *h,
			  struct verr *e)
{
	char err[200];
	int fd, rc;

	if (path[0] != '/')
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: save "
				"image path '%s' is not absolute", path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot open save image '%s': %s",
				 path, strerror(-rc));
	}
	rc = savefile_read(fd, h, err, sizeof(err));
	close(fd);
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: '%s': %s", path, err);
	return 0;
}

int dom_save_image_xml(const char *path, char **xml, struct verr *e)
{
	struct savefile_hdr h;
	int rc = dom_image_read(path, &h, e);

	if (rc < 0)
		return rc;
	*xml = h.xml;
	return 0;
}

/* Restore path; with expect, the image must describe that domain. */
static int dom_restore(const char *path, uint32_t flags, struct dom *expect,
		       struct dom **out, struct verr *e)
{
	struct savefile_hdr h;
	struct dom_restore rs;
	struct dom *d = NULL;
	bool created = false;
	int rc;

	rc = dom_image_read(path, &h, e);
	if (rc < 0)
		return rc;
	rc = dom_saved_take(h.xml, &d, &created, e);
	savefile_free(&h);
	if (rc < 0)
		return rc;
	if (expect && d != expect) {
		rc = verr_set(e, VERR_OPERATION_FAILED, "operation failed: "
			      "'%s' holds domain '%s', not '%s'", path,
			      d->cfg.name, expect->cfg.name);
		dom_saved_drop(d, created);
		return rc;
	}
	rs.path = path;
	rs.offset = h.data_off;
	rs.paused = flags & DOM_SAVE_PAUSED ? true :
		    flags & DOM_SAVE_RUNNING ? false :
		    h.flags & SAVEFILE_FLAG_PAUSED;
	d->restore = &rs;
	rc = dom_launch(d, e);
	d->restore = NULL;
	if (rc < 0) {
		dom_saved_drop(d, created);
		return rc;
	}
	*out = d;
	return 0;
}

int dom_restore_image(const char *path, uint32_t flags, struct dom **out,
		      struct verr *e)
{
	return dom_restore(path, flags, NULL, out, e);
}

/* ---- managed save ---- */

static int dom_managed_path(const struct dom *d, char *buf, size_t len,
			    struct verr *e)
{
	int rc = store_managed_save_path(buf, len, d->cfg.name);

	if (rc < 0)
		return verr_fail(e, rc, VERR_INTERNAL, "managed save path of "
				 "'%s': %s", d->cfg.name, strerror(-rc));
	return 0;
}

bool dom_has_managed_save(const struct dom *d)
{
	char path[512];

	if (d->dom0 || !d->persistent ||
	    store_managed_save_path(path, sizeof(path), d->cfg.name) < 0)
		return false;
	return access(path, F_OK) == 0;
}

int dom_managed_save(struct dom *d, uint32_t flags, struct verr *e)
{
	char path[512];
	int rc;

	rc = dom_save_check(d, e);
	if (rc < 0)
		return rc;
	if (!d->persistent)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested operation "
				"is not valid: cannot do managed save for "
				"transient domain");
	rc = dom_managed_path(d, path, sizeof(path), e);
	if (rc < 0)
		return rc;
	return dom_save_image(d, path, flags, e);
}

int dom_managed_save_remove(struct dom *d, struct verr *e)
{
	char path[512];
	int rc = dom_managed_path(d, path, sizeof(path), e);

	if (rc < 0)
		return rc;
	if (unlink(path) < 0 && errno != ENOENT) {
		rc = -errno;
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot remove '%s': %s", path,
				 strerror(-rc));
	}
	if (!dom_active(d) && d->reason == DR_SHUTOFF_SAVED)
		d->reason = DR_SHUTOFF_UNKNOWN;
	return 0;
}

int dom_managed_restore(struct dom *d, uint32_t flags, struct verr *e)
{
	char path[512];
	struct dom *out;
	uint32_t sflags = flags & DOM_START_PAUSED ? DOM_SAVE_PAUSED : 0;
	int rc;

	rc = dom_managed_path(d, path, sizeof(path), e);
	if (rc < 0)
		return rc;
	rc = dom_restore(path, sflags, d, &out, e);
	if (rc < 0) {
		/* kept, as libvirt keeps it: start --force-boot or
		 * managedsave-remove discards it */
		log_warn("dom %s: cannot restore %s: %s", d->cfg.name, path,
			 e->msg);
		return rc;
	}
	if (unlink(path) < 0)
		log_warn("dom %s: cannot remove %s: %s", d->cfg.name, path,
			 strerror(errno));
	return 0;
}
