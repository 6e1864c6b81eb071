/*
 * Directory storage pools and their volumes (pool.h): the model, its
 * files, its XML, and the qemu-img runs that read and make images.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/epoll.h>
#include <sys/statvfs.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <jansson.h>
#include "xvm/atomicio.h"
#include "xvm/daemon.h"
#include "xvm/log.h"
#include "domxml.h"
#include "loop.h"
#include "pool.h"
#include "store.h"
#include "../vdiskadm/vdiskadm.h"

#define POOL_XML_MAX	(64u << 10)	/* a stored pool definition */
#define QIMG_OUT_MAX	(256u << 10)
#define QIMG_TIMEOUT_MS	120000		/* a preallocated create */
/* A wipe's or a clone's copy, each step: a large volume's worth of
 * writing on a slow disk. They run beside the loop (pool_qjob). */
#define QJOB_TIMEOUT_MS	(3600 * 1000)
#define QJOB_STEPS	2
#define QJOB_ARGS	16

static char pool_defdir[300], pool_actdir[300], pool_default_path[300];
static struct pool *pools;

/* ---- names and paths ---- */

static bool pool_chars_ok(const char *s, size_t max, const char *extra)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > max || s[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
		      ch == '-' || ch == '+' || (ch && strchr(extra, ch))))
			return false;
	}
	return true;
}

bool pool_name_ok(const char *name)
{
	return pool_chars_ok(name, POOL_NAME_MAX, "");
}

bool pool_vol_name_ok(const char *name)
{
	/* '-' first would read as an option to qemu-img */
	return name[0] != '-' &&
	       pool_chars_ok(name, POOL_VOL_NAME_MAX, ",:@=~");
}

bool pool_path_ok(const char *path)
{
	size_t len = strlen(path), i;
	const char *c;

	if (len < 2 || len >= POOL_PATH_MAX - POOL_VOL_NAME_MAX - 2 ||
	    path[0] != '/' || path[len - 1] == '/')
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return false;
	for (c = path; c; c = strchr(c + 1, '/')) {
		const char *n = c + 1;
		size_t k = strcspn(n, "/");

		if (k == 0 || (k == 1 && n[0] == '.') ||
		    (k == 2 && n[0] == '.' && n[1] == '.'))
			return false;
	}
	return true;
}

/* ---- the list ---- */

struct pool *pool_list(void)
{
	return pools;
}

struct pool *pool_by_name(const char *name)
{
	struct pool *p;

	for (p = pools; p; p = p->next)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

struct pool *pool_by_uuid(const uint8_t uuid[16])
{
	struct pool *p;

	for (p = pools; p; p = p->next)
		if (!memcmp(p->uuid, uuid, 16))
			return p;
	return NULL;
}

static void pool_free(struct pool *p)
{
	struct pool **pp;

	for (pp = &pools; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	free(p->vols);
	free(p);
}

void pool_fini(void)
{
	while (pools)
		pool_free(pools);
}

static struct pool *pool_add(const struct pool_def *def)
{
	struct pool *p = calloc(1, sizeof(*p)), **pp;

	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", def->name);
	snprintf(p->path, sizeof(p->path), "%s", def->path);
	if (def->have_uuid)
		memcpy(p->uuid, def->uuid, 16);
	else if (getrandom(p->uuid, 16, 0) != 16) {
		free(p);
		return NULL;
	} else {
		p->uuid[6] = (p->uuid[6] & 0x0f) | 0x40;	/* version 4 */
		p->uuid[8] = (p->uuid[8] & 0x3f) | 0x80;
	}
	for (pp = &pools; *pp; pp = &(*pp)->next)
		;
	*pp = p;
	return p;
}

/* ---- qemu-img ---- */

static const char *pool_qimg_program(void)
{
	const char *p = getenv("XVM_QEMU_IMG");

	return p && *p ? p : "qemu-img";
}

/* One qemu-img run: its pipes and what came out of them. */
struct pool_qrun {
	pid_t pid;
	int out, err;			/* our ends of its stdout/err */
	char *obuf;			/* QIMG_OUT_MAX + 1 */
	size_t olen, elen;
	char ebuf[2048];		/* the end of its stderr */
	bool killed;
};

static void pool_qimg_child(const char *const *argv, int out, int err)
{
	int null = open("/dev/null", O_RDONLY);
	sigset_t none;

	sigemptyset(&none);		/* xvmd blocks SIGCHLD (signalfd) */
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(err, 2) < 0)
		_exit(127);
	execvp(argv[0], (char *const *)argv);
	dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Read one pipe into buf (at most max bytes kept; stderr keeps its end
 * when wrap). false at EOF. */
static bool pool_qimg_read(int fd, char *buf, size_t *len, size_t max,
			   bool wrap)
{
	char tmp[1024];
	ssize_t k = read(fd, tmp, sizeof(tmp));

	if (k < 0)
		return errno == EINTR || errno == EAGAIN;
	if (k == 0)
		return false;
	if (*len + (size_t)k > max) {
		if (!wrap)
			return true;	/* more than we keep: dropped */
		*len = 0;
	}
	memcpy(buf + *len, tmp, (size_t)k);
	*len += (size_t)k;
	buf[*len] = 0;
	return true;
}

/* Collect stdout and stderr until both close or the time limit. */
static void pool_qimg_collect(struct pool_qrun *r)
{
	bool oopen = true, eopen = true;
	struct timespec t0, t;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (oopen || eopen) {
		struct pollfd pf[2] = { { oopen ? r->out : -1, POLLIN, 0 },
					{ eopen ? r->err : -1, POLLIN, 0 } };

		clock_gettime(CLOCK_MONOTONIC, &t);
		ms = (t.tv_sec - t0.tv_sec) * 1000 +
		     (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms >= QIMG_TIMEOUT_MS) {
			snprintf(r->ebuf, sizeof(r->ebuf), "timed out after "
				 "%d s", QIMG_TIMEOUT_MS / 1000);
			break;
		}
		if (poll(pf, 2, (int)(QIMG_TIMEOUT_MS - ms)) < 0 &&
		    errno != EINTR) {
			snprintf(r->ebuf, sizeof(r->ebuf), "poll: %s",
				 strerror(errno));
			break;
		}
		if (oopen && pf[0].revents)
			oopen = pool_qimg_read(r->out, r->obuf, &r->olen,
					       QIMG_OUT_MAX, false);
		if (eopen && pf[1].revents)
			eopen = pool_qimg_read(r->err, r->ebuf, &r->elen,
					       sizeof(r->ebuf) - 1, true);
	}
	if (oopen || eopen) {
		kill(r->pid, SIGKILL);
		r->killed = true;
	}
}

/* Why a run failed: the last line of its stderr, else its status. */
static void pool_qimg_why(struct pool_qrun *r, int st, char *why,
			  size_t whylen)
{
	char *e = r->ebuf + strlen(r->ebuf), *line;

	while (e > r->ebuf && (e[-1] == '\n' || e[-1] == ' '))
		*--e = 0;
	line = strrchr(r->ebuf, '\n');
	line = line ? line + 1 : r->ebuf;
	if (!strncmp(line, "qemu-img: ", 10))
		line += 10;
	if (*line)
		snprintf(why, whylen, "%s", line);
	else if (WIFEXITED(st))
		snprintf(why, whylen, "qemu-img exited with %d",
			 WEXITSTATUS(st));
	else
		snprintf(why, whylen, "qemu-img ended by signal %d",
			 WTERMSIG(st));
}

/* Run qemu-img with args (NULL-terminated; no shell): 0 on exit status
 * 0, with its stdout in *out (malloc'd) if out; else -EIO with the last
 * line of its stderr in why. Killed after QIMG_TIMEOUT_MS. */
static int pool_qimg(const char *const *args, char **out, char *why,
		     size_t whylen)
{
	const char *argv[16] = { pool_qimg_program() };
	struct pool_qrun r = { .pid = -1, .out = -1, .err = -1 };
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, st = -1, rc = -EIO;
	size_t n = 1;

	for (; *args && n < ARRAY_SIZE(argv) - 1; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	r.obuf = malloc(QIMG_OUT_MAX + 1);
	if (!r.obuf || pipe2(op, O_CLOEXEC) < 0 || pipe2(ep, O_CLOEXEC) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto out;
	}
	r.obuf[0] = 0;
	r.pid = fork();
	if (r.pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		goto out;
	}
	if (r.pid == 0)
		pool_qimg_child(argv, op[1], ep[1]);
	close(op[1]);
	close(ep[1]);
	op[1] = ep[1] = -1;
	r.out = op[0];
	r.err = ep[0];
	pool_qimg_collect(&r);
	while (waitpid(r.pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!r.killed && WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		rc = 0;
		if (out) {
			*out = r.obuf;
			r.obuf = NULL;
		}
	} else {
		pool_qimg_why(&r, st, why, whylen);
	}
out:
	for (int i = 0; i < 2; i++) {
		if (op[i] >= 0)
			close(op[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	free(r.obuf);
	return rc;
}

/* ---- qemu-img beside the loop: create, resize, wipe and clone ---- */

/*
 * A wipe or a clone copies a whole volume: minutes for a large one; a
 * create or resize is usually quick, but a preallocated one writes the
 * whole file and any of them can hang on a stalled disk (issue 12: no
 * client waits on another's work). With a client connection they run as
 * a job beside the loop (the call answered when it ends, other clients
 * served meanwhile): qemu-img's stderr is a pipe the loop reads, a timer
 * kills a step that takes longer than QJOB_TIMEOUT_MS, and main's
 * SIGCHLD reaper hands its exit over (pool_qjob_reaped). In-process
 * callers without a connection (unit tests) run the same steps to the
 * end with pool_qimg. Volumes a job works on are busy: delete, resize,
 * wipe and clone of them, and stopping their pool, are refused until it
 * ends. A volume being made (create, clone) is not listed until then.
 */
struct pool_qjob {
	char *argv[QJOB_STEPS][QJOB_ARGS];	/* malloc'd, NULL-ended */
	char *fail[QJOB_STEPS];		/* "operation failed: ..." before why */
	int nsteps, step;
	pid_t pid;
	int err, tfd;			/* stderr pipe, step timer */
	bool eopen, reaped, killed;
	int status;
	char ebuf[2048];
	size_t elen;
	char pool[POOL_NAME_MAX + 1];
	char vol[POOL_VOL_NAME_MAX + 1];
	const char *what;		/* "wipe", "clone", "create", "resize" */
	char path[PATH_MAX];		/* the volume written (busy) */
	char src[PATH_MAX];		/* a clone's source (busy), or "" */
	/* a new volume (clone, create): its file, claimed O_EXCL, is not
	 * listed while the job runs and is removed if it fails, so no
	 * client ever sees a half-made volume */
	bool unlink_on_fail;
	char done_log[PATH_MAX + 200];	/* logged on success */
	pool_job_fn done;
	void *opaque;
	struct pool_qjob *next;
};

static struct pool_qjob *pool_qjobs;

static int pool_scan(struct pool *p, struct verr *e);

/* The job working on the volume at path (written or read), or NULL. */
static const struct pool_qjob *pool_path_job(const char *path)
{
	const struct pool_qjob *j;

	for (j = pool_qjobs; j; j = j->next)
		if (!strcmp(j->path, path) || !strcmp(j->src, path))
			return j;
	return NULL;
}

bool pool_path_busy(const char *path)
{
	return pool_path_job(path) != NULL;
}

/* Volume name of p is being made by a job: not listed yet. */
static bool pool_vol_being_made(const struct pool *p, const char *name)
{
	const struct pool_qjob *j;

	for (j = pool_qjobs; j; j = j->next)
		if (j->unlink_on_fail && !strcmp(j->pool, p->name) &&
		    !strcmp(j->vol, name))
			return true;
	return false;
}

static bool pool_busy(const struct pool *p)
{
	const struct pool_qjob *j;

	for (j = pool_qjobs; j; j = j->next)
		if (!strcmp(j->pool, p->name))
			return true;
	return false;
}

/* Volume name at path is busy with a job. */
static int pool_busy_refuse(const char *name, const char *path,
			    struct verr *e)
{
	const struct pool_qjob *j = pool_path_job(path);

	return verr_set(e, VERR_OPERATION_INVALID, "Requested operation is "
			"not valid: volume '%s' is busy: a %s of it is "
			"running", name, j ? j->what : "change");
}

static struct pool_qjob *pool_qjob_new(const struct pool *p,
				       const char *what, const char *vol,
				       const char *path)
{
	struct pool_qjob *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->what = what;
	j->pid = -1;
	j->err = j->tfd = -1;
	snprintf(j->pool, sizeof(j->pool), "%s", p->name);
	snprintf(j->vol, sizeof(j->vol), "%s", vol);
	snprintf(j->path, sizeof(j->path), "%s", path);
	return j;
}

/* Step n: qemu-img with args (copied), failing as "fail: why". */
static int pool_qjob_step(struct pool_qjob *j, const char *const *args,
			  const char *fail)
{
	int n = j->nsteps, i = 0;

	j->argv[n][i++] = strdup(pool_qimg_program());
	for (; *args && i < QJOB_ARGS - 1; args++)
		j->argv[n][i++] = strdup(*args);
	j->fail[n] = strdup(fail);
	j->nsteps++;
	for (int k = 0; k < i; k++)
		if (!j->argv[n][k])
			return -ENOMEM;
	return j->fail[n] ? 0 : -ENOMEM;
}

static void pool_qjob_free(struct pool_qjob *j)
{
	for (int n = 0; n < QJOB_STEPS; n++) {
		for (int i = 0; i < QJOB_ARGS; i++)
			free(j->argv[n][i]);
		free(j->fail[n]);
	}
	if (j->err >= 0) {
		loop_del(j->err);
		close(j->err);
	}
	if (j->tfd >= 0) {
		loop_del(j->tfd);
		close(j->tfd);
	}
	free(j);
}

/* The end: the pool scanned again (it may have gone meanwhile), the
 * owner told, j freed. */
static void pool_qjob_finish(struct pool_qjob *j, int rc, const char *why)
{
	struct pool_qjob **pp;
	struct pool *p;
	struct verr e = { 0 };

	for (pp = &pool_qjobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	if (rc < 0) {
		if (j->unlink_on_fail)
			unlink(j->path);
		verr_fail(&e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "%s: %s", j->fail[j->step], why);
		log_warn("pool %s: %s", j->pool, e.msg);
	} else {
		log_info("pool %s: %s", j->pool, j->done_log);
	}
	p = pool_by_name(j->pool);
	if (p && p->active) {
		struct verr se;

		if (pool_scan(p, &se) < 0 && rc == 0) {
			e = se;
			rc = verr_errno(se.code);
		}
	}
	j->done(j->opaque, rc, rc < 0 ? &e : NULL);
	pool_qjob_free(j);
}

static void pool_qjob_err_event(void *opaque, uint32_t events);
static void pool_qjob_timeout(void *opaque, uint32_t events);

/* Start the current step: 0, or -errno with why. */
static int pool_qjob_spawn(struct pool_qjob *j, char *why, size_t whylen)
{
	struct itimerspec its = {
		.it_value = { QJOB_TIMEOUT_MS / 1000, 0 },
	};
	int ep[2];

	if (pipe2(ep, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(why, whylen, "pipe: %s", strerror(errno));
		return -errno;
	}
	j->pid = fork();
	if (j->pid < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		close(ep[0]);
		close(ep[1]);
		return -EAGAIN;
	}
	if (j->pid == 0) {	/* stdout too: -q keeps it quiet */
		fcntl(ep[1], F_SETFL, 0);
		pool_qimg_child((const char *const *)j->argv[j->step], ep[1],
				ep[1]);
	}
	close(ep[1]);
	j->err = ep[0];
	j->eopen = true;
	j->reaped = j->killed = false;
	j->elen = 0;
	j->ebuf[0] = 0;
	if (loop_add(j->err, EPOLLIN, pool_qjob_err_event, j) < 0 ||
	    timerfd_settime(j->tfd, 0, &its, NULL) < 0) {
		/* it runs unwatched: end it; its exit is reaped as any */
		kill(j->pid, SIGKILL);
		close(j->err);
		j->err = -1;
		snprintf(why, whylen, "cannot watch qemu-img");
		return -EIO;
	}
	return 0;
}

/* Both its stderr closed and its exit seen: the next step or the end. */
static void pool_qjob_check(struct pool_qjob *j)
{
	struct pool_qrun r = { .killed = j->killed };
	char why[256];
	int rc;

	if (j->eopen || !j->reaped)
		return;
	loop_del(j->err);
	close(j->err);
	j->err = -1;
	if (!j->killed && WIFEXITED(j->status) &&
	    WEXITSTATUS(j->status) == 0) {
		if (++j->step < j->nsteps) {
			rc = pool_qjob_spawn(j, why, sizeof(why));
			if (rc < 0)
				pool_qjob_finish(j, rc, why);
			return;
		}
		j->step--;
		pool_qjob_finish(j, 0, NULL);
		return;
	}
	if (j->killed)
		snprintf(why, sizeof(why), "timed out after %d s",
			 QJOB_TIMEOUT_MS / 1000);
	else {
		memcpy(r.ebuf, j->ebuf, sizeof(r.ebuf));
		pool_qimg_why(&r, j->status, why, sizeof(why));
	}
	pool_qjob_finish(j, -EIO, why);
}

static void pool_qjob_err_event(void *opaque, uint32_t events)
{
	struct pool_qjob *j = opaque;

	(void)events;
	if (!pool_qimg_read(j->err, j->ebuf, &j->elen, sizeof(j->ebuf) - 1,
			    true)) {
		j->eopen = false;
		loop_mod(j->err, 0);
		pool_qjob_check(j);
	}
}

static void pool_qjob_timeout(void *opaque, uint32_t events)
{
	struct pool_qjob *j = opaque;
	uint64_t n;

	(void)events;
	if (read(j->tfd, &n, sizeof(n)) == sizeof(n) && j->pid > 0 &&
	    !j->reaped) {
		log_warn("pool %s: qemu-img for '%s' runs longer than %d s: "
			 "killed", j->pool, j->vol, QJOB_TIMEOUT_MS / 1000);
		j->killed = true;
		kill(j->pid, SIGKILL);
	}
}

bool pool_qjob_reaped(pid_t pid, int status)
{
	struct pool_qjob *j;

	for (j = pool_qjobs; j; j = j->next)
		if (j->pid == pid && !j->reaped) {
			j->reaped = true;
			j->status = status;
			pool_qjob_check(j);
			return true;
		}
	return false;
}

void pool_qjobs_kill(void)
{
	struct pool_qjob *j;
	int st;

	while ((j = pool_qjobs)) {
		if (j->pid > 0 && !j->reaped) {
			kill(j->pid, SIGKILL);
			waitpid(j->pid, &st, 0);
		}
		pool_qjobs = j->next;
		if (j->unlink_on_fail)
			unlink(j->path);
		log_warn("pool %s: %s of '%s' cut short: xvmd stops", j->pool,
			 j->what, j->vol);
		pool_qjob_free(j);
	}
}

/* Run j: beside the loop when async (0: done comes later), else to the
 * end here (done called before this returns 0). -errno with e if it
 * could not start (done not called; j freed). */
static int pool_qjob_run(struct pool_qjob *j, bool async, struct verr *e)
{
	char why[256];
	int rc;

	if (!async) {
		for (rc = 0; j->step < j->nsteps; j->step++) {
			const char *const *argv =
				(const char *const *)j->argv[j->step] + 1;

			rc = pool_qimg(argv, NULL, why, sizeof(why));
			if (rc < 0)
				break;
		}
		if (rc == 0)
			j->step--;
		j->next = pool_qjobs;
		pool_qjobs = j;
		pool_qjob_finish(j, rc, why);
		return 0;
	}
	j->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (j->tfd < 0 ||
	    loop_add(j->tfd, EPOLLIN, pool_qjob_timeout, j) < 0) {
		if (j->tfd >= 0)
			close(j->tfd);
		j->tfd = -1;
		rc = -EIO;
		snprintf(why, sizeof(why), "no timer");
	} else {
		rc = pool_qjob_spawn(j, why, sizeof(why));
	}
	if (rc < 0) {
		if (j->unlink_on_fail)
			unlink(j->path);
		verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "%s: %s", j->fail[0], why);
		pool_qjob_free(j);
		return rc;
	}
	j->next = pool_qjobs;
	pool_qjobs = j;
	return 0;
}

/* ---- volumes ---- */

int pool_vol_path(const struct pool *p, const char *name, char *buf,
		  size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", p->path, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

/* A vdisk directory dir (its vdisk.xml): the live image's file name in
 * image, and the other file of a two-file image (a fixed vmdk's data) in
 * data ("" if none). -errno: not a vdisk (skipped quietly) or a broken
 * one (skipped with a warning). */
static int pool_vdisk_files(const struct pool *p, const char *dir,
			    char *image, size_t ilen, char *data, size_t dlen,
			    char fmt[16])
{
	char path[PATH_MAX], xerr[256], *xml = NULL, *files[2] = { 0 };
	struct vd_meta *m = calloc(1, sizeof(*m));
	int fd = -1, rc = -ENOMEM;
	ssize_t n;

	if (!m || !(xml = malloc(VD_XML_MAX + 1)))
		goto out;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, VD_XML) >=
	    sizeof(path)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;		/* a plain directory: not a volume */
		goto out;
	}
	n = read(fd, xml, VD_XML_MAX + 1);
	rc = -EINVAL;
	if (n < 0 || n > VD_XML_MAX ||
	    vdxml_parse(xml, (size_t)n, m, xerr, sizeof(xerr)) < 0) {
		log_warn("pool %s: %s: not a readable vdisk.xml%s%s", p->name,
			 path, n >= 0 && n <= VD_XML_MAX ? ": " : "",
			 n >= 0 && n <= VD_XML_MAX ? xerr : "");
		goto out;
	}
	rc = -ENOMEM;
	if (vd_type_files(m->type, m->sparse, "vdisk", files) < 0)
		goto out;
	rc = -ENAMETOOLONG;
	if ((size_t)snprintf(image, ilen, "%s", files[0]) >= ilen ||
	    (size_t)snprintf(data, dlen, "%s", files[1] ? files[1] : "") >=
	    dlen)
		goto out;
	snprintf(fmt, 16, "%s", m->type->qfmt);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(files[0]);
	free(files[1]);
	free(xml);
	free(m);
	return rc;
}

/* Read one volume: what the file system says, then qemu-img's format
 * and virtual size (of a vdisk: of its live image). -errno (the file is
 * skipped, with a warning). */
static int pool_vol_read(const struct pool *p, const char *name,
			 struct pool_vol *v)
{
	char data[64] = "", vdfmt[16] = "";
	uint64_t extra_phys = 0, extra_alloc = 0;
	char path[PATH_MAX], why[256], *out = NULL;
	const char *args[] = { "info", "-U", "--output=json", path, NULL };
	json_error_t jerr;
	const struct pool_vol *old;
	json_t *j, *fmt, *vs;
	struct stat st;
	int rc;

	memset(v, 0, sizeof(*v));
	rc = pool_vol_path(p, name, path, sizeof(path));
	if (rc < 0)
		return rc;
	if (lstat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		char dir[PATH_MAX];

		memcpy(dir, path, sizeof(dir));
		rc = pool_vdisk_files(p, dir, v->image, sizeof(v->image), data,
				      sizeof(data), vdfmt);
		if (rc < 0)
			return rc;
		v->vdisk = true;
		if (data[0] && (size_t)snprintf(path, sizeof(path), "%s/%s",
						dir, data) < sizeof(path)) {
			if (stat(path, &st) == 0) {
				extra_phys = (uint64_t)st.st_size;
				extra_alloc = (uint64_t)st.st_blocks * 512;
			}
		}
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     v->image) >= sizeof(path))
			return -ENAMETOOLONG;
		if (lstat(path, &st) < 0) {
			rc = -errno;
			log_warn("pool %s: vdisk %s: %s: %s", p->name, name,
				 path, strerror(-rc));
			return rc;
		}
	}
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->physical = (uint64_t)st.st_size + extra_phys;
	v->allocation = (uint64_t)st.st_blocks * 512 + extra_alloc;
	v->mode = st.st_mode;
	v->uid = st.st_uid;
	v->gid = st.st_gid;
	v->ino = st.st_ino;
	v->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		      st.st_mtim.tv_nsec;
	old = pool_vol_by_name(p, name);	/* the previous listing's */
	if (old && old->ino == v->ino && old->mtime_ns == v->mtime_ns &&
	    old->physical == v->physical) {
		memcpy(v->format, old->format, sizeof(v->format));
		v->capacity = old->capacity;
		return 0;
	}
	rc = pool_qimg(args, &out, why, sizeof(why));
	if (rc < 0) {
		log_warn("pool %s: %s: qemu-img info: %s", p->name, path, why);
		return rc;
	}
	j = json_loads(out, 0, &jerr);
	free(out);
	fmt = json_object_get(j, "format");
	vs = json_object_get(j, "virtual-size");
	if (!json_is_string(fmt) || !json_is_integer(vs) ||
	    json_integer_value(vs) < 0 ||
	    strlen(json_string_value(fmt)) >= sizeof(v->format)) {
		log_warn("pool %s: %s: qemu-img info: unexpected output",
			 p->name, path);
		json_decref(j);
		return -EIO;
	}
	snprintf(v->format, sizeof(v->format), "%s", json_string_value(fmt));
	v->capacity = (uint64_t)json_integer_value(vs);
	json_decref(j);
	if (v->vdisk && strcmp(v->format, vdfmt)) {
		/* what vdisk.xml says is the format (as dom_disk.c serves
		 * it), never what the bytes look like */
		log_warn("pool %s: vdisk %s: its image reads as %s, vdisk.xml "
			 "says %s", p->name, name, v->format, vdfmt);
		snprintf(v->format, sizeof(v->format), "%s", vdfmt);
	}
	return 0;
}

static int pool_vol_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pool_vol *)a)->name,
		      ((const struct pool_vol *)b)->name);
}

/* List the pool's directory anew. */
static int pool_scan(struct pool *p, struct verr *e)
{
	struct pool_vol *vols = NULL, *nv;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(p->path);

	if (!d)
		return verr_fail(e, -errno, VERR_OPERATION_FAILED,
				 "cannot open directory '%s': %s", p->path,
				 strerror(errno));
	while ((de = readdir(d))) {
		if (!pool_vol_name_ok(de->d_name) ||
		    (de->d_type != DT_REG && de->d_type != DT_DIR &&
		     de->d_type != DT_UNKNOWN) ||
		    pool_vol_being_made(p, de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			nv = realloc(vols, cap * sizeof(*vols));
			if (!nv) {
				closedir(d);
				free(vols);
				return verr_nomem(e);
			}
			vols = nv;
		}
		if (pool_vol_read(p, de->d_name, &vols[n]) == 0)
			n++;
	}
	closedir(d);
	if (n)
		qsort(vols, n, sizeof(*vols), pool_vol_cmp);
	free(p->vols);
	p->vols = vols;
	p->nvols = n;
	return 0;
}

const struct pool_vol *pool_vol_by_name(const struct pool *p,
					const char *name)
{
	size_t i;

	for (i = 0; i < p->nvols; i++)
		if (!strcmp(p->vols[i].name, name))
			return &p->vols[i];
	return NULL;
}

const struct pool_vol *pool_vol_by_path(const char *path, struct pool **pp)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX], *rd, *rp;
	const struct pool_vol *v = NULL;
	struct pool *p;

	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir) ||
	    !pool_vol_name_ok(slash + 1))
		return NULL;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	rd = realpath(dir, NULL);	/* the same directory, however named */
	if (!rd)
		return NULL;
	for (p = pools; p && !v; p = p->next) {
		if (!p->active)
			continue;
		rp = realpath(p->path, NULL);
		if (rp && !strcmp(rp, rd))
			v = pool_vol_by_name(p, slash + 1);
		free(rp);
		if (v)
			*pp = p;
	}
	free(rd);
	return v;
}

static int pool_need_active(const struct pool *p, struct verr *e)
{
	if (!p->active)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"not active", p->name);
	return 0;
}

static bool pool_format_ok(const char *fmt)
{
	static const char *const ok[] = { "raw", "qcow2", "vmdk", "vdi",
					  "vpc", NULL };
	const char *const *f;

	for (f = ok; *f; f++)
		if (!strcmp(fmt, *f))
			return true;
	return false;
}

/* Claim path for a new volume name: created empty with O_EXCL (nothing
 * there is overwritten, a second create of the name is refused). 0 or
 * -errno with e. */
static int pool_vol_claim(const char *path, const char *name, struct verr *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		      O_CLOEXEC, 0600);

	if (fd < 0) {
		if (errno == EEXIST)
			return verr_set(e, VERR_STORAGE_VOL_EXIST, "storage "
					"volume '%s' exists already", name);
		return verr_fail(e, -errno, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot create '%s': %s", path,
				 strerror(errno));
	}
	close(fd);
	return 0;
}

/* What a create may ask for: 0, or -errno with e. */
static int pool_vol_create_check(const struct pool *p,
				 const struct pool_vol_def *def,
				 unsigned int flags, struct verr *e)
{
	if (pool_need_active(p, e) < 0)
		return verr_errno(e->code);
	if (flags & ~1u)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x)", flags & ~1u);
	if (def->type_dir)
		return verr_set(e, VERR_CONFIG_UNSUPPORTED, "unsupported "
				"configuration: volume type 'dir': xvmd makes "
				"image files; a vdisk is made by vdiskadm "
				"create");
	if (!pool_format_ok(def->format))
		return verr_set(e, VERR_CONFIG_UNSUPPORTED, "unsupported "
				"configuration: volume format '%s': xvmd makes "
				"raw, qcow2, vmdk, vdi and vpc images",
				def->format);
	if ((flags & 1) && strcmp(def->format, "qcow2"))
		return verr_set(e, VERR_OPERATION_UNSUPPORTED, "Operation not "
				"supported: metadata preallocation is for "
				"qcow2 volumes only");
	return 0;
}

int pool_vol_create_start(struct pool *p, const struct pool_vol_def *def,
			  unsigned int flags, bool async, pool_job_fn done,
			  void *opaque, struct verr *e)
{
	char path[PATH_MAX], size[32], opt[64] = "", fail[PATH_MAX + 40];
	const char *args[12];
	struct pool_qjob *j;
	size_t n = 0;
	int rc;

	rc = pool_vol_create_check(p, def, flags, e);
	if (rc < 0)
		return rc;
	if (pool_vol_path(p, def->name, path, sizeof(path)) < 0)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: volume "
				"path too long");
	snprintf(size, sizeof(size), "%" PRIu64, def->capacity);
	if (!strcmp(def->format, "raw") && def->have_allocation &&
	    def->allocation > 0)
		snprintf(opt, sizeof(opt), "preallocation=falloc");
	else if (flags & 1)
		snprintf(opt, sizeof(opt), "preallocation=metadata");
	args[n++] = "create";
	args[n++] = "-q";
	args[n++] = "-f";
	args[n++] = def->format;
	if (opt[0]) {
		args[n++] = "-o";
		args[n++] = opt;
	}
	args[n++] = path;
	args[n++] = size;
	args[n] = NULL;
	snprintf(fail, sizeof(fail), "qemu-img create of '%s'", path);
	j = pool_qjob_new(p, "create", def->name, path);
	if (!j)
		return verr_nomem(e);
	if (pool_qjob_step(j, args, fail) < 0) {
		pool_qjob_free(j);
		return verr_nomem(e);
	}
	/* the name first: then qemu-img writes its image into the empty
	 * file, which is not listed until it is done */
	rc = pool_vol_claim(path, def->name, e);
	if (rc < 0) {
		pool_qjob_free(j);
		return rc;
	}
	j->unlink_on_fail = true;
	snprintf(j->done_log, sizeof(j->done_log), "volume %s created (%s, "
		 "%" PRIu64 " bytes)", def->name, def->format, def->capacity);
	j->done = done;
	j->opaque = opaque;
	return pool_qjob_run(j, async, e);
}

/* What vdiskadm does to a vdisk, the pool does not. */
static int pool_vdisk_refuse(const struct pool_vol *v, const char *done,
			     const char *tool, struct verr *e)
{
	return verr_set(e, VERR_OPERATION_UNSUPPORTED, "Operation not "
			"supported: volume '%s' is a vdisk (a %s image in a "
			"vdiskadm directory): it is %s with %s", v->name,
			v->format, done, tool);
}

/* The volume name of p that delete, resize or wipe is about to change:
 * p active, the volume there, not a vdisk (done with tool instead), not
 * busy with a wipe or clone; its path in path. NULL with e otherwise. */
static const struct pool_vol *pool_vol_to_change(struct pool *p,
						 const char *name,
						 const char *done,
						 const char *tool, char *path,
						 size_t pathlen, struct verr *e)
{
	const struct pool_vol *v;

	if (pool_need_active(p, e) < 0)
		return NULL;
	v = pool_vol_by_name(p, name);
	if (!v) {
		verr_set(e, VERR_NO_STORAGE_VOL, "Storage volume not found: no "
			 "storage vol with matching name '%s'", name);
		return NULL;
	}
	if (v->vdisk) {
		pool_vdisk_refuse(v, done, tool, e);
		return NULL;
	}
	if (pool_vol_path(p, name, path, pathlen) < 0) {
		verr_set(e, VERR_INVALID_ARG, "invalid argument: path too "
			 "long");
		return NULL;
	}
	if (pool_path_busy(path)) {
		pool_busy_refuse(name, path, e);
		return NULL;
	}
	return v;
}

int pool_vol_delete(struct pool *p, const char *name, struct verr *e)
{
	char path[PATH_MAX];

	if (!pool_vol_to_change(p, name, "deleted", "vdiskadm destroy", path,
				sizeof(path), e))
		return verr_errno(e->code);
	if (unlink(path) < 0 && errno != ENOENT)
		return verr_fail(e, -errno, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot unlink file '%s': %s", path,
				 strerror(errno));
	log_info("pool %s: volume %s deleted", p->name, name);
	return pool_scan(p, e);
}

int pool_vol_resize_start(struct pool *p, const char *name,
			  uint64_t capacity, unsigned int flags, bool async,
			  pool_job_fn done, void *opaque, struct verr *e)
{
	char path[PATH_MAX], size[32], fmt[16], fail[PATH_MAX + 40];
	const struct pool_vol *v;
	const char *args[10];
	struct pool_qjob *j;
	uint64_t old;
	size_t n = 0;

	v = pool_vol_to_change(p, name, "resized", "vdiskadm (convert, "
			       "import)", path, sizeof(path), e);
	if (!v)
		return verr_errno(e->code);
	if (flags & ~6u)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: "
				"unsupported flags (0x%x)", flags & ~6u);
	old = v->capacity;
	if (flags & 2) {	/* DELTA */
		if ((flags & 4) ? capacity > old :
		    capacity > POOL_CAP_MAX - old)
			return verr_set(e, VERR_INVALID_ARG, "invalid "
					"argument: capacity out of range");
		capacity = (flags & 4) ? old - capacity : old + capacity;
	}
	if (capacity > POOL_CAP_MAX)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: "
				"capacity %" PRIu64 " is above 1 PiB",
				capacity);
	if (capacity < old && !(flags & 4))
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: Can't "
				"shrink capacity below current capacity unless "
				"shrink flag explicitly specified");
	snprintf(size, sizeof(size), "%" PRIu64, capacity);
	snprintf(fmt, sizeof(fmt), "%s", v->format);
	args[n++] = "resize";
	args[n++] = "-q";
	args[n++] = "-f";
	args[n++] = fmt;
	if (capacity < old)
		args[n++] = "--shrink";
	args[n++] = path;
	args[n++] = size;
	args[n] = NULL;
	snprintf(fail, sizeof(fail), "qemu-img resize of '%s'", path);
	j = pool_qjob_new(p, "resize", name, path);
	if (!j)
		return verr_nomem(e);
	if (pool_qjob_step(j, args, fail) < 0) {
		pool_qjob_free(j);
		return verr_nomem(e);
	}
	snprintf(j->done_log, sizeof(j->done_log), "volume %s resized (%s, "
		 "%" PRIu64 " -> %" PRIu64 " bytes)", name, fmt, old,
		 capacity);
	j->done = done;
	j->opaque = opaque;
	return pool_qjob_run(j, async, e);
}

int pool_vol_wipe_start(struct pool *p, const char *name, bool async,
			pool_job_fn done, void *opaque, struct verr *e)
{
	char path[PATH_MAX], src[160], size[32], fmt[16], fail[PATH_MAX + 80];
	const char *zero[] = { "convert", "-q", "-n", "-S", "0", "-O", "raw",
			       src, path, NULL };
	const char *mk[] = { "create", "-q", "-f", fmt, path, size, NULL };
	const struct pool_vol *v;
	struct pool_qjob *j;
	int rc;

	v = pool_vol_to_change(p, name, "managed", "vdiskadm", path,
			       sizeof(path), e);
	if (!v)
		return verr_errno(e->code);
	snprintf(fmt, sizeof(fmt), "%s", v->format);
	snprintf(size, sizeof(size), "%" PRIu64, v->capacity);
	/* a source of physical-size zeros, every block of the target
	 * written (-S 0), into the existing file (-n) taken as raw bytes */
	snprintf(src, sizeof(src), "json:{\"driver\":\"raw\",\"file\":"
		 "{\"driver\":\"null-co\",\"size\":%" PRIu64 ","
		 "\"read-zeroes\":true}}", v->physical);
	j = pool_qjob_new(p, "wipe", name, path);
	if (!j)
		return verr_nomem(e);
	rc = 0;
	if (v->physical > 0) {
		snprintf(fail, sizeof(fail), "writing zeros over '%s'", path);
		rc = pool_qjob_step(j, zero, fail);
	}
	if (rc == 0 && strcmp(fmt, "raw")) {
		snprintf(fail, sizeof(fail), "'%s' was zeroed but qemu-img "
			 "create -f %s again failed", path, fmt);
		rc = pool_qjob_step(j, mk, fail);
	}
	if (rc < 0) {
		pool_qjob_free(j);
		return verr_nomem(e);
	}
	snprintf(j->done_log, sizeof(j->done_log), "volume %s wiped (%s, %"
		 PRIu64 " bytes)", name, fmt, v->capacity);
	j->done = done;
	j->opaque = opaque;
	if (j->nsteps == 0) {	/* an empty raw file: nothing to write */
		j->next = pool_qjobs;
		pool_qjobs = j;
		pool_qjob_finish(j, 0, NULL);
		return 0;
	}
	return pool_qjob_run(j, async, e);
}

int pool_vol_clone_start(struct pool *p, const struct pool_vol_def *def,
			 const struct pool *src_pool,
			 const struct pool_vol *src, unsigned int flags,
			 bool async, pool_job_fn done, void *opaque,
			 struct verr *e)
{
	char path[PATH_MAX], from[PATH_MAX], sfmt[16], size[32];
	char fail[2 * PATH_MAX + 64];
	char *text, *source = NULL;
	const char *args[14];
	struct pool_qjob *j;
	json_t *spec;
	uint64_t cap;
	size_t n = 0;
	int rc;

	if (pool_need_active(p, e) < 0 || pool_need_active(src_pool, e) < 0)
		return verr_errno(e->code);
	if (flags & ~1u) {
		verr_set(e, VERR_INVALID_ARG, "invalid argument: unsupported "
			 "flags (0x%x)", flags & ~1u);
		return verr_errno(e->code);
	}
	if (!pool_format_ok(def->format)) {
		verr_set(e, VERR_CONFIG_UNSUPPORTED, "unsupported "
			 "configuration: volume format '%s': xvmd makes raw, "
			 "qcow2, vmdk, vdi and vpc images", def->format);
		return verr_errno(e->code);
	}
	if ((flags & 1) && strcmp(def->format, "qcow2")) {
		verr_set(e, VERR_OPERATION_UNSUPPORTED, "Operation not "
			 "supported: metadata preallocation is for qcow2 "
			 "volumes only");
		return verr_errno(e->code);
	}
	if (pool_vol_path(p, def->name, path, sizeof(path)) < 0 ||
	    pool_vol_path(src_pool, src->name, from, sizeof(from)) < 0 ||
	    (src->vdisk && (size_t)snprintf(from + strlen(from),
					    sizeof(from) - strlen(from),
					    "/%s", src->image) >=
	     sizeof(from) - strlen(from))) {
		verr_set(e, VERR_INVALID_ARG, "invalid argument: volume path "
			 "too long");
		return verr_errno(e->code);
	}
	if (pool_path_busy(from))
		return pool_busy_refuse(src->name, from, e);
	/* what src says now: the listing goes when p is scanned below */
	snprintf(sfmt, sizeof(sfmt), "%s", src->format);
	cap = src->capacity;
	rc = pool_vol_claim(path, def->name, e);
	if (rc < 0)
		return rc;
	/* the source's format is what qemu-img info found in the file (a
	 * vdisk's: its vdisk.xml's): a guest can write an image header
	 * naming a backing file into its raw disk, so no backing file is
	 * ever opened ("backing": null) */
	spec = json_pack("{s:s, s:{s:s, s:s}}", "driver", sfmt, "file",
			 "driver", "file", "filename", from);
	if (spec && (!strcmp(sfmt, "qcow2") || !strcmp(sfmt, "vmdk")))
		json_object_set_new(spec, "backing", json_null());
	text = spec ? json_dumps(spec, JSON_COMPACT) : NULL;
	json_decref(spec);
	if (!text || asprintf(&source, "json:%s", text) < 0) {
		free(text);
		unlink(path);
		verr_nomem(e);
		return verr_errno(e->code);
	}
	free(text);
	j = pool_qjob_new(p, "clone", def->name, path);
	if (!j) {
		free(source);
		unlink(path);
		return verr_nomem(e);
	}
	snprintf(j->src, sizeof(j->src), "%s", from);
	j->unlink_on_fail = true;
	args[n++] = "convert";
	args[n++] = "-q";
	args[n++] = "-O";
	args[n++] = def->format;
	if (flags & 1) {
		args[n++] = "-o";
		args[n++] = "preallocation=metadata";
	}
	args[n++] = source;
	args[n++] = path;
	args[n] = NULL;
	snprintf(fail, sizeof(fail), "qemu-img convert of '%s' to '%s'", from,
		 path);
	rc = pool_qjob_step(j, args, fail);
	free(source);
	if (rc == 0 && def->capacity > cap) {
		const char *grow[] = { "resize", "-q", "-f", def->format, path,
				       size, NULL };

		snprintf(size, sizeof(size), "%" PRIu64, def->capacity);
		rc = pool_qjob_step(j, grow, fail);
	}
	if (rc < 0) {
		pool_qjob_free(j);
		unlink(path);
		return verr_nomem(e);
	}
	snprintf(j->done_log, sizeof(j->done_log), "volume %s cloned from "
		 "%s/%s (%s -> %s)", def->name, src_pool->name, src->name, sfmt,
		 def->format);
	j->done = done;
	j->opaque = opaque;
	return pool_qjob_run(j, async, e);
}

/* ---- pools: files ---- */

static int pool_file(char *buf, size_t len, const char *dir,
		     const char *name, const char *ext)
{
	if (!pool_name_ok(name))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/%s%s", dir, name, ext) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int pool_write(const char *dir, const struct pool *p)
{
	char path[400], *xml = pool_format_xml(p, true);
	int rc = xml ? pool_file(path, sizeof(path), dir, p->name, ".xml") :
		 -ENOMEM;

	if (rc == 0)
		rc = atomicio_replace_file(path, xml, strlen(xml), 0600);
	free(xml);
	return rc;
}

static int pool_unlink(const char *dir, const char *name, const char *ext)
{
	char path[400];
	int rc = pool_file(path, sizeof(path), dir, name, ext);

	if (rc == 0 && unlink(path) < 0 && errno != ENOENT)
		rc = -errno;
	return rc;
}

/* ---- pools: operations ---- */

/* The checks a new definition passes against the others. */
static int pool_def_check(const struct pool_def *def, const struct pool *self,
			  struct verr *e)
{
	char probe[POOL_PATH_MAX + 8];
	struct pool *o;

	for (o = pools; o; o = o->next) {
		if (o == self)
			continue;
		if (def->have_uuid && !memcmp(o->uuid, def->uuid, 16))
			return verr_set(e, VERR_OPERATION_FAILED, "operation "
					"failed: pool '%s' already exists with "
					"uuid of pool '%s'", def->name,
					o->name);
		if (!strcmp(o->path, def->path))
			return verr_set(e, VERR_OPERATION_FAILED, "operation "
					"failed: Storage source conflict with "
					"pool: '%s'", o->name);
	}
	snprintf(probe, sizeof(probe), "%s/x", def->path);
	if (store_owns_path(probe))
		return verr_set(e, VERR_OPERATION_DENIED, "operation forbidden:"
				" '%s' is one of xvmd's own directories",
				def->path);
	return 0;
}

struct pool *pool_define(const struct pool_def *def, struct verr *e)
{
	struct pool *p = pool_by_name(def->name), saved;
	bool is_new = !p;
	int rc;

	if (p && def->have_uuid && memcmp(p->uuid, def->uuid, 16)) {
		verr_set(e, VERR_OPERATION_FAILED, "operation failed: pool "
			 "'%s' is already defined with another uuid", p->name);
		return NULL;
	}
	if (p && p->active && strcmp(p->path, def->path)) {
		verr_set(e, VERR_OPERATION_INVALID, "Requested operation is "
			 "not valid: storage pool '%s' is active: its target "
			 "cannot change", p->name);
		return NULL;
	}
	if (pool_def_check(def, p, e) < 0)
		return NULL;
	if (is_new) {
		p = pool_add(def);
		if (!p) {
			verr_nomem(e);
			return NULL;
		}
	}
	saved = *p;
	snprintf(p->path, sizeof(p->path), "%s", def->path);
	p->persistent = true;
	rc = pool_write(pool_defdir, p);
	if (rc < 0) {
		verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "cannot save pool '%s': %s", p->name, strerror(-rc));
		if (is_new)
			pool_free(p);
		else
			*p = saved;
		return NULL;
	}
	log_info("pool %s defined (%s)", p->name, p->path);
	return p;
}

static int pool_check_dir(const struct pool *p, struct verr *e)
{
	struct stat st;

	if (stat(p->path, &st) < 0)
		return verr_fail(e, -errno, VERR_OPERATION_FAILED, "cannot "
				 "open directory '%s': %s", p->path,
				 strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return verr_set(e, VERR_OPERATION_FAILED, "cannot open "
				"directory '%s': Not a directory", p->path);
	return 0;
}

int pool_start(struct pool *p, struct verr *e)
{
	int rc;

	if (p->active)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"already active", p->name);
	rc = pool_check_dir(p, e);
	if (rc < 0)
		return rc;
	rc = pool_scan(p, e);
	if (rc < 0)
		return rc;
	rc = pool_write(pool_actdir, p);
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot save the state of pool '%s': "
				 "%s", p->name, strerror(-rc));
	p->active = true;
	log_info("pool %s started (%zu volumes)", p->name, p->nvols);
	return 0;
}

struct pool *pool_create_transient(const struct pool_def *def,
				   struct verr *e)
{
	struct pool *p = pool_by_name(def->name);

	if (p) {
		verr_set(e, VERR_OPERATION_INVALID, "Requested operation is "
			 "not valid: storage pool '%s' already exists",
			 def->name);
		return NULL;
	}
	if (pool_def_check(def, NULL, e) < 0)
		return NULL;
	p = pool_add(def);
	if (!p) {
		verr_nomem(e);
		return NULL;
	}
	if (pool_start(p, e) < 0) {
		pool_free(p);
		return NULL;
	}
	return p;
}

int pool_build(struct pool *p, struct verr *e)
{
	int rc;

	if (p->active)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"already active", p->name);
	rc = mkdir_p(p->path, 0711);
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot create path '%s': %s",
				 p->path, strerror(-rc));
	return pool_check_dir(p, e);
}

int pool_destroy(struct pool *p, struct verr *e)
{
	int rc = pool_need_active(p, e);

	if (rc < 0)
		return rc;
	if (pool_busy(p))
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: pool '%s' has a "
				"volume create, resize, wipe or clone running",
				p->name);
	rc = pool_unlink(pool_actdir, p->name, ".xml");
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: pool '%s': %s", p->name,
				 strerror(-rc));
	p->active = false;
	free(p->vols);
	p->vols = NULL;
	p->nvols = 0;
	log_info("pool %s stopped", p->name);
	if (!p->persistent)
		pool_free(p);
	return 0;
}

int pool_undefine(struct pool *p, struct verr *e)
{
	int rc;

	if (p->active)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"still active", p->name);
	if (!p->persistent)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"not persistent", p->name);
	rc = pool_unlink(pool_defdir, p->name, ".autostart");
	if (rc == 0)
		rc = pool_unlink(pool_defdir, p->name, ".xml");
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot remove pool '%s': %s",
				 p->name, strerror(-rc));
	log_info("pool %s undefined", p->name);
	pool_free(p);
	return 0;
}

int pool_refresh(struct pool *p, struct verr *e)
{
	int rc = pool_need_active(p, e);

	return rc < 0 ? rc : pool_scan(p, e);
}

int pool_set_autostart(struct pool *p, bool on, struct verr *e)
{
	char path[400];
	int rc;

	if (!p->persistent)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: cannot "
				"set autostart for transient pool");
	if (on) {
		rc = pool_file(path, sizeof(path), pool_defdir, p->name,
			       ".autostart");
		if (rc == 0)
			rc = atomicio_replace_file(path, "1\n", 2, 0600);
	} else {
		rc = pool_unlink(pool_defdir, p->name, ".autostart");
	}
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: autostart of pool '%s': %s", p->name,
				 strerror(-rc));
	p->autostart = on;
	return 0;
}

int pool_sizes(const struct pool *p, uint64_t *cap, uint64_t *alloc,
	       uint64_t *avail)
{
	struct statvfs sv;

	*cap = *alloc = *avail = 0;
	if (statvfs(p->path, &sv) < 0)
		return -errno;
	*cap = (uint64_t)sv.f_blocks * sv.f_frsize;
	*alloc = (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
	*avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	return 0;
}

int pool_delete_dir(struct pool *p, struct verr *e)
{
	if (p->active)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested "
				"operation is not valid: storage pool '%s' is "
				"still active", p->name);
	if (rmdir(p->path) < 0)
		return verr_fail(e, -errno, VERR_OPERATION_FAILED, "operation "
				 "failed: failed to remove pool '%s': %s",
				 p->path, strerror(errno));
	return 0;
}

int pool_check_disks(const struct dom_config *cfg, struct verr *e)
{
	const struct pool_vol *v;
	struct pool *p;
	unsigned int i;

	for (i = 0; i < cfg->ndisks; i++) {
		const struct dom_disk *dk = &cfg->disks[i];

		if (dk->block || dk->cdrom)
			continue;
		v = pool_vol_by_path(dk->path, &p);
		/* a vdisk: dom_disk.c checks <driver type> against its
		 * vdisk.xml, and none means the vdisk's own format */
		if (!v || v->vdisk || !strcmp(v->format, dk->format[0] ? dk->format :
				  "raw"))
			continue;
		if (dk->format[0] && strcmp(dk->format, "raw"))
			return verr_set(e, VERR_CONFIG_UNSUPPORTED,
					"unsupported configuration: disk %s: "
					"volume '%s' of pool '%s' is a %s "
					"image, not %s as its <driver type> "
					"says", dk->target, v->name, p->name,
					v->format, dk->format);
		return verr_set(e, VERR_CONFIG_UNSUPPORTED,
				"unsupported configuration: disk %s: "
				"volume '%s' of pool '%s' is a %s image; its "
				"disk would be read as raw: give it <driver "
				"type='%s'/>", dk->target, v->name, p->name,
				v->format, v->format);
	}
	return 0;
}

/* ---- start-up ---- */

/* A stored pool file: its definition, or -errno. */
static int pool_load_file(const char *dir, const char *file,
			  struct pool_def *def)
{
	char path[600], err[256], *xml;
	size_t len, n = strlen(file);
	int rc;

	if (n <= 4 || strcmp(file + n - 4, ".xml"))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	rc = atomicio_read_file(path, POOL_XML_MAX, &xml, &len);
	if (rc < 0) {
		log_warn("pool: %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = pool_parse_xml(xml, len, def, err, sizeof(err));
	free(xml);
	if (rc == 0 && (strlen(def->name) != n - 4 ||
			strncmp(def->name, file, n - 4)))
		snprintf(err, sizeof(err), "names pool '%s'", def->name),
		rc = -EINVAL;
	if (rc < 0)
		log_warn("pool: %s: %s, ignored", path, err);
	return rc;
}

static void pool_load_dir(const char *dir, bool active)
{
	struct pool_def def;
	struct dirent *de;
	struct pool *p;
	DIR *d = opendir(dir);
	struct verr e;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    pool_load_file(dir, de->d_name, &def) < 0)
			continue;
		p = pool_by_name(def.name);
		if (!active) {
			if (p)
				continue;
			p = pool_add(&def);
			if (!p)
				continue;
			p->persistent = true;	/* autostart: below */
			continue;
		}
		if (!p)		/* transient */
			p = pool_add(&def);
		if (!p)
			continue;
		memset(&e, 0, sizeof(e));
		if (pool_check_dir(p, &e) < 0 || pool_scan(p, &e) < 0) {
			log_warn("pool %s: %s: left inactive", p->name, e.msg);
			pool_unlink(pool_actdir, p->name, ".xml");
			if (!p->persistent)
				pool_free(p);
			continue;
		}
		p->active = true;
	}
	closedir(d);
}

int pool_init(const char *statedir, const char *rundir)
{
	struct pool_def def = { 0 };
	struct verr e = { 0 };
	struct pool *p;
	bool first;
	char path[400];

	snprintf(pool_defdir, sizeof(pool_defdir), "%s/pools", statedir);
	snprintf(pool_actdir, sizeof(pool_actdir), "%s/pools", rundir);
	snprintf(pool_default_path, sizeof(pool_default_path), "%s/images",
		 statedir);
	first = access(pool_defdir, F_OK) < 0;
	if ((mkdir(pool_defdir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(pool_actdir, 0700) < 0 && errno != EEXIST))
		return -errno;
	atomicio_remove_temps(pool_defdir, store_temp_removed);
	atomicio_remove_temps(pool_actdir, store_temp_removed);
	pool_load_dir(pool_defdir, false);
	for (p = pools; p; p = p->next)
		if (pool_file(path, sizeof(path), pool_defdir, p->name,
			      ".autostart") == 0)
			p->autostart = access(path, F_OK) == 0;
	pool_load_dir(pool_actdir, true);
	if (first && !pool_by_name("default") &&
	    pool_path_ok(pool_default_path)) {
		strcpy(def.name, "default");
		strcpy(def.path, pool_default_path);
		p = pool_define(&def, &e);
		if (p && (pool_set_autostart(p, true, &e) < 0 ||
			  pool_build(p, &e) < 0))
			p = NULL;
		if (!p)
			log_warn("pool default: %s", e.msg);
	}
	for (p = pools; p; p = p->next) {
		if (p->active || !p->autostart)
			continue;
		memset(&e, 0, sizeof(e));
		if (pool_start(p, &e) < 0)
			log_warn("pool %s: autostart: %s", p->name, e.msg);
	}
	return 0;
}
