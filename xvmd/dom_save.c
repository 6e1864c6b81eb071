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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "xvm/log.h"
#include "loop.h"
#include "dom.h"
#include "dom_run.h"
#include "dom_disk.h"
#include "savefile.h"
#include "store.h"

/* hv writes the guest's whole RAM; the loop serves others meanwhile.
 * There is no deadline on hv's reply: once hv has written the stream it
 * stops the guest, whether or not anyone is still waiting, so giving up
 * (and removing the file) would lose the guest with its image. hv ends
 * the save itself (reply, error, or exit); destroy is the way out. */
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
	rc = dom_check_idle(d, e);
	if (rc < 0)
		return rc;
	return dom_check_nics_unchanged(d, "save", e);
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

/* hv said it saved and exits: its end is watched on the loop (issue 12:
 * the end of a save or of an outgoing migration does not hold everyone
 * until hv is gone); one that lingers is killed (its state is in the
 * image, or at the destination, already). */
#define HV_EXIT_POLL_MS		20

struct hv_linger {
	pid_t pid;
	bool child;
	int tfd;
	int64_t end;
	char name[DOM_NAME_MAX + 1];
};

static bool hv_linger_gone(const struct hv_linger *h)
{
	int st;

	/* a child: reaped here, or by xvmd's SIGCHLD handling (ECHILD) */
	if (h->child)
		return waitpid(h->pid, &st, WNOHANG) != 0;
	return kill(h->pid, 0) < 0;
}

static void hv_linger_tick(void *opaque, uint32_t events)
{
	struct hv_linger *h = opaque;
	uint64_t n;

	(void)events;
	if (read(h->tfd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	if (!hv_linger_gone(h)) {
		if (loop_now_ms() < h->end)
			return;
		log_warn("dom %s: hv did not exit after saving; killing it",
			 h->name);
		kill(h->pid, SIGKILL);	/* reaped by the SIGCHLD handling */
	}
	loop_del(h->tfd);
	close(h->tfd);
	free(h);
}

void dom_save_wait_exit(struct dom *d)
{
	struct itimerspec its = {
		.it_interval = { 0, HV_EXIT_POLL_MS * 1000000L },
		.it_value = { 0, HV_EXIT_POLL_MS * 1000000L },
	};
	struct hv_linger *h;
	int st;

	if (d->child && d->exit_status >= 0)
		return;
	if (d->child ? waitpid(d->pid, &st, WNOHANG) == d->pid :
		       kill(d->pid, 0) < 0) {
		if (d->child)
			d->exit_status = st;
		return;
	}
	h = calloc(1, sizeof(*h));
	if (h)
		h->tfd = timerfd_create(CLOCK_MONOTONIC,
					TFD_CLOEXEC | TFD_NONBLOCK);
	if (!h || h->tfd < 0 || timerfd_settime(h->tfd, 0, &its, NULL) < 0 ||
	    loop_add(h->tfd, EPOLLIN, hv_linger_tick, h) < 0) {
		log_warn("dom %s: cannot watch hv's exit; killing it",
			 d->cfg.name);
		kill(d->pid, SIGKILL);
		if (h && h->tfd >= 0)
			close(h->tfd);
		free(h);
		return;
	}
	h->pid = d->pid;
	h->child = d->child;
	h->end = loop_now_ms() + HV_SAVE_EXIT_MS;
	snprintf(h->name, sizeof(h->name), "%s", d->cfg.name);
}

/* ---- a save in progress: our call on hv's socket, watched by the loop */

struct dom_save_job {
	struct dom *d;		/* NULL once the domain stopped meanwhile */
	char name[DOM_NAME_MAX + 1];
	char *path;
	int fd;			/* the image */
	struct savefile_hdr h;	/* h.xml is ours */
	int sock;		/* our connection to hv's control socket */
	char buf[4096];		/* hv's reply (and events) being read */
	size_t len;
	int64_t started;	/* loop_now_ms() */
	dom_save_done_fn done;
	void *opaque;
	struct dom_save_job *next;
};

static struct dom_save_job *dom_save_jobs;

int64_t dom_save_elapsed_ms(const struct dom *d)
{
	return d->save_job ? loop_now_ms() - d->save_job->started : -1;
}

int dom_check_idle(const struct dom *d, struct verr *e)
{
	if (d->save_job)
		return verr_fail(e, -EBUSY, VERR_OPERATION_INVALID, "Requested "
				 "operation is not valid: domain '%s' is being "
				 "saved", d->cfg.name);
	if (d->launch_job)
		return verr_fail(e, -EBUSY, VERR_OPERATION_INVALID, "Requested "
				 "operation is not valid: domain '%s' is being "
				 "%s", d->cfg.name, !d->restore ? "started" :
				 d->restore->incoming ? "migrated in" :
				 "restored");
	if (d->mig_job)
		return verr_fail(e, -EBUSY, VERR_OPERATION_INVALID, "Requested "
				 "operation is not valid: domain '%s' is being "
				 "migrated", d->cfg.name);
	if (d->unplug_job)
		return verr_fail(e, -EBUSY, VERR_OPERATION_INVALID, "Requested "
				 "operation is not valid: an interface of '%s' "
				 "is being attached or detached", d->cfg.name);
	/* a finish waits for its storage daemon (destroy is allowed) */
	if (dom_qsd_starting(d))
		return verr_fail(e, -EBUSY, VERR_OPERATION_INVALID, "Requested "
				 "operation is not valid: domain '%s' is being "
				 "migrated in", d->cfg.name);
	return 0;
}

static void dom_save_fail(struct dom_save_job *j, int rc, const char *fmt,
			  ...) PRINTF(3, 4);

/* hv said it saved (its exit was seen before its reply): the reply
 * completes the image. Otherwise (destroyed, crashed) the save failed:
 * answer now, before the domain is gone. */
void dom_save_detach(struct dom *d)
{
	struct dom_save_job *j = d->save_job;

	if (!j)
		return;
	j->d = NULL;
	d->save_job = NULL;
	if (strcmp(d->hv_reason, "saved"))
		dom_save_fail(j, -ECANCELED, "operation failed: domain '%s' "
			      "stopped during its save", j->name);
}

/* The end: the caller told, everything released; on failure the file
 * goes (a guest whose hv refused runs on). */
static void dom_save_end(struct dom_save_job *j, int rc, const struct verr *e)
{
	struct dom_save_job **pp;

	for (pp = &dom_save_jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	if (j->sock >= 0) {
		loop_del(j->sock);
		close(j->sock);
	}
	close(j->fd);
	if (rc < 0)
		unlink(j->path);
	if (j->d)
		j->d->save_job = NULL;
	j->done(j->opaque, rc, e);
	free(j->h.xml);
	free(j->path);
	free(j);
}

PRINTF(3, 4)
static void dom_save_fail(struct dom_save_job *j, int rc, const char *fmt,
			  ...)
{
	struct verr e;
	va_list ap;

	va_start(ap, fmt);
	rc = verr_vfail(&e, rc, VERR_OPERATION_FAILED, fmt, ap);
	va_end(ap);
	log_warn("dom %s: save to %s failed: %s", j->name, j->path, e.msg);
	dom_save_end(j, rc, &e);
}

/* hv wrote bytes of state and is ending: complete the header, then the
 * domain stops as any stop does (reason saved). */
static void dom_save_written(struct dom_save_job *j, uint64_t bytes)
{
	struct dom *d = j->d;
	int rc;

	j->h.stream_len = bytes;
	rc = savefile_write(j->fd, &j->h);
	if (rc == 0 && fsync(j->fd) < 0)
		rc = -errno;
	if (d) {	/* else it stopped already (hv's exit came first) */
		d->save_job = NULL;
		j->d = NULL;
		snprintf(d->hv_reason, sizeof(d->hv_reason), "saved");
		dom_save_wait_exit(d);
		dom_hv_gone(d);	/* shut off (saved); a transient d is freed */
	}
	if (rc < 0) {
		dom_save_fail(j, rc, "operation failed: cannot complete the "
			      "save image of '%s': %s", j->name, strerror(-rc));
		return;
	}
	log_info("dom %s: saved to %s (%llu bytes of state)", j->name,
		 j->path, (unsigned long long)bytes);
	dom_save_end(j, 0, NULL);
}

/* One line from hv: our reply (id 1) ends the save (true: j is freed);
 * events are the watcher's business. */
static bool dom_save_line(struct dom_save_job *j, const char *line)
{
	json_t *msg = json_loads(line, 0, NULL);
	json_t *res = json_object_get(msg, "result");
	const char *err = NULL;
	json_int_t bytes;

	if (!msg || json_integer_value(json_object_get(msg, "id")) != 1) {
		json_decref(msg);
		return false;
	}
	if (!res) {
		json_unpack(msg, "{s:{s:s}}", "error", "message", &err);
		dom_save_fail(j, -EIO, "operation failed: hv save of '%s': %s",
			      j->name, err ? err : "error");
	} else if ((bytes = json_integer_value(json_object_get(res, "bytes")))
		   <= 0) {
		dom_save_fail(j, -EIO, "operation failed: hv of '%s' reported "
			      "no saved state", j->name);
	} else {
		dom_save_written(j, (uint64_t)bytes);
	}
	json_decref(msg);
	return true;
}

static void dom_save_event(void *opaque, uint32_t events)
{
	struct dom_save_job *j = opaque;
	ssize_t n;
	char *nl;

	(void)events;
	n = read(j->sock, j->buf + j->len, sizeof(j->buf) - 1 - j->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		dom_save_fail(j, -EPIPE, "operation failed: hv of '%s' ended "
			      "during the save", j->name);
		return;
	}
	j->len += (size_t)n;
	j->buf[j->len] = 0;
	while ((nl = strchr(j->buf, '\n'))) {
		*nl = 0;
		if (dom_save_line(j, j->buf))
			return;		/* j is gone */
		j->len -= (size_t)(nl + 1 - j->buf);
		memmove(j->buf, nl + 1, j->len + 1);
	}
	if (j->len == sizeof(j->buf) - 1)
		dom_save_fail(j, -EPROTO, "operation failed: hv of '%s' sent "
			      "a line too long", j->name);
}

/* Connect to hv's control socket and send the save call. */
static int dom_save_call(struct dom_save_job *j, struct dom *d,
			 struct verr *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_t *req;
	char *line = NULL;
	int rc;

	rc = store_run_path(sa.sun_path, sizeof(sa.sun_path), d->cfg.name,
			    "sock");
	if (rc < 0)
		return verr_fail(e, rc, VERR_INTERNAL, "control socket path");
	j->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	req = json_pack("{s:i, s:s, s:{s:s, s:I}}", "id", 1, "method", "save",
			"params", "path", j->path, "offset",
			(json_int_t)j->h.data_off);
	if (req)
		line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line)
		return verr_nomem(e);
	rc = 0;
	/* the request is one short line into an empty socket buffer */
	if (j->sock < 0 || connect(j->sock, (struct sockaddr *)&sa,
				   sizeof(sa)) < 0 ||
	    dprintf(j->sock, "%s\n", line) < 0 ||
	    fcntl(j->sock, F_SETFL, O_NONBLOCK) < 0 ||
	    loop_add(j->sock, EPOLLIN, dom_save_event, j) < 0)
		rc = errno ? -errno : -EIO;
	free(line);
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot reach hv of '%s': %s",
				 d->cfg.name, strerror(-rc));
	return 0;
}

/* The image with its header (stream length 0: unfinished until hv has
 * written and synced the stream). */
static int dom_save_begin(struct dom_save_job *j, struct dom *d,
			  uint32_t flags, struct verr *e)
{
	int rc;

	j->h.xml = domxml_format(&d->cfg, NULL);
	if (!j->h.xml)
		return verr_nomem(e);
	j->h.xml_len = strlen(j->h.xml);
	if ((flags & DOM_SAVE_PAUSED) ||
	    (d->state == DS_PAUSED && !(flags & DOM_SAVE_RUNNING)))
		j->h.flags = SAVEFILE_FLAG_PAUSED;
	j->fd = dom_save_create(j->path, e);
	if (j->fd < 0)
		return j->fd;
	rc = savefile_write(j->fd, &j->h);
	if (rc == 0 && fsync(j->fd) < 0)
		rc = -errno;
	if (rc == 0)
		rc = dom_save_call(j, d, e);
	else
		verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "cannot write save image '%s': %s", j->path,
			  strerror(-rc));
	if (rc < 0)
		unlink(j->path);
	return rc;
}

static int dom_save_to(struct dom *d, const char *path, uint32_t flags,
		       dom_save_done_fn done, void *opaque, struct verr *e)
{
	struct dom_save_job *j;
	int rc;

	rc = dom_save_check(d, e);
	if (rc < 0)
		return rc;
	j = calloc(1, sizeof(*j));
	if (!j || !(j->path = strdup(path))) {
		free(j);
		return verr_nomem(e);
	}
	j->fd = j->sock = -1;
	rc = dom_save_begin(j, d, flags, e);
	if (rc < 0) {
		if (j->sock >= 0)
			close(j->sock);
		if (j->fd >= 0)
			close(j->fd);
		free(j->h.xml);
		free(j->path);
		free(j);
		return rc;
	}
	snprintf(j->name, sizeof(j->name), "%s", d->cfg.name);
	j->d = d;
	j->started = loop_now_ms();
	j->done = done;
	j->opaque = opaque;
	j->next = dom_save_jobs;
	dom_save_jobs = j;
	d->save_job = j;
	log_info("dom %s: saving to %s", d->cfg.name, path);
	return 0;
}

int dom_save_image(struct dom *d, const char *path, uint32_t flags,
		   dom_save_done_fn done, void *opaque, struct verr *e)
{
	/* an existing file there is replaced: never one of xvmd's own
	 * (another domain's definition or managed save image, a socket) */
	if (path[0] == '/' && store_owns_path(path))
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: '%s' is in one of "
				"xvmd's own directories (for a managed save "
				"use managedsave)", path);
	return dom_save_to(d, path, flags, done, opaque, e);
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

/* A restore under way: hv reads the image while the loop serves others. */
struct dom_restore_job {
	struct dom_restore rs;	/* d->restore until hv runs */
	char *path;
	bool created;		/* a transient domain made for it */
	bool managed;		/* the managed save image: removed after */
	dom_restore_done_fn done;
	void *opaque;
};

static void dom_restore_launched(void *opaque, struct dom *d, int rc,
				 const struct verr *e)
{
	struct dom_restore_job *j = opaque;

	d->restore = NULL;
	if (rc < 0) {
		/* a managed image is kept, as libvirt keeps it: start
		 * --force-boot or managedsave-remove discards it */
		log_warn("dom %s: cannot restore %s: %s", d->cfg.name, j->path,
			 e->msg);
		dom_saved_drop(d, j->created);
		d = NULL;
	} else if (j->managed && unlink(j->path) < 0) {
		log_warn("dom %s: cannot remove %s: %s", d->cfg.name, j->path,
			 strerror(errno));
	}
	j->done(j->opaque, d, rc, e);
	free(j->path);
	free(j);
}

/* Restore path; with expect, the image must describe that domain. */
static int dom_restore(const char *path, uint32_t flags, struct dom *expect,
		       dom_restore_done_fn done, void *opaque, struct verr *e)
{
	struct dom_restore_job *j;
	struct savefile_hdr h;
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
		goto fail;
	}
	j = calloc(1, sizeof(*j));
	if (!j || !(j->path = strdup(path))) {
		free(j);
		rc = verr_nomem(e);
		goto fail;
	}
	j->rs.path = j->path;
	j->rs.offset = h.data_off;
	j->rs.paused = flags & DOM_SAVE_PAUSED ? true :
		       flags & DOM_SAVE_RUNNING ? false :
		       h.flags & SAVEFILE_FLAG_PAUSED;
	j->created = created;
	j->managed = expect != NULL;
	j->done = done;
	j->opaque = opaque;
	d->restore = &j->rs;
	rc = dom_launch_async(d, dom_restore_launched, j, e);
	if (rc == 0)
		return 0;
	d->restore = NULL;
	free(j->path);
	free(j);
fail:
	dom_saved_drop(d, created);
	return rc;
}

int dom_restore_image(const char *path, uint32_t flags,
		      dom_restore_done_fn done, void *opaque, struct verr *e)
{
	/* a managed save image restored this way would stay, and the
	 * domain's next start would restore the same, by then stale,
	 * memory over its newer disks */
	if (path[0] == '/' && store_owns_path(path))
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: '%s' is in one of "
				"xvmd's own directories (a managed save image "
				"is restored by starting its domain)", path);
	return dom_restore(path, flags, NULL, done, opaque, e);
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

int dom_managed_save(struct dom *d, uint32_t flags, dom_save_done_fn done,
		     void *opaque, struct verr *e)
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
	return dom_save_to(d, path, flags, done, opaque, e);
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

int dom_managed_restore(struct dom *d, uint32_t flags,
			dom_restore_done_fn done, void *opaque,
			struct verr *e)
{
	char path[512];
	uint32_t sflags = flags & DOM_START_PAUSED ? DOM_SAVE_PAUSED : 0;
	int rc;

	rc = dom_managed_path(d, path, sizeof(path), e);
	if (rc < 0)
		return rc;
	return dom_restore(path, sflags, d, done, opaque, e);
}
