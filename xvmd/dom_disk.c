/*
 * Disk sources and the domain's qemu-storage-daemon (dom_disk.h).
 *
 * Formats: a raw file or block device is hv's (--disk). Anything else
 * (qcow2, vmdk, vdi, vpc) is opened by qemu-storage-daemon, one per
 * domain, run in $XVM_RUNDIR/xvmd/qsd/NAME/ with --daemonize (its parent
 * exits once every export is up, or with the daemon's error on stderr,
 * which goes to qsd.log there) and --pidfile qsd.pid, exporting disk i
 * as vhost-user-blk on disk<i>.sock; hv gets --vhost-user-blk for each.
 * The format the XML gives is checked against the image's first bytes
 * (a few magic numbers, no parsing): a file given as raw that starts
 * like an image of another format is refused, not handed to the guest
 * as raw bytes (its metadata would be the guest's to rewrite), and an
 * image that is not of the format named is refused too; a damaged image
 * of the right kind gets qemu-storage-daemon's own error at start.
 * vdisk directories are read through vdiskadm's own vdisk.xml codec.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <linux/fs.h>
#include <jansson.h>
#include "xvm/log.h"
#include "../vdiskadm/vdiskadm.h"
#include "dom_disk.h"
#include "dom_run.h"
#include "loop.h"
#include "store.h"

#define QSD_START_MS	30000	/* the daemon's startup, at most */
#define QSD_STOP_MS	5000	/* SIGTERM to SIGKILL */

/* ---- formats ---- */

static uint32_t le32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

const char *dom_img_magic(const uint8_t *head, size_t n, const uint8_t *tail,
			  bool want_vpc)
{
	static const char vmdk_desc[] = "# Disk DescriptorFile";

	if (n >= 4 && !memcmp(head, "QFI\xfb", 4))
		return "qcow2";
	if (n >= 4 && !memcmp(head, "KDMV", 4))
		return "vmdk";
	if (n >= sizeof(vmdk_desc) - 1 &&
	    !memcmp(head, vmdk_desc, sizeof(vmdk_desc) - 1))
		return "vmdk";
	if (n >= 0x44 && le32(head + 0x40) == 0xbeda107f)
		return "vdi";
	if (n >= 8 && !memcmp(head, "conectix", 8))
		return "vpc";		/* a dynamic VHD's copy of its footer */
	if (want_vpc && tail && !memcmp(tail, "conectix", 8))
		return "vpc";		/* a fixed VHD: the footer only */
	return "raw";
}

/* Read the image's first bytes and (for vpc) its last sector. */
static int dd_probe(const char *path, bool want_vpc, const char **fmt)
{
	uint8_t head[512], tail[512];
	struct stat st;
	uint64_t size = 0;
	ssize_t n;
	bool have_tail = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	memset(head, 0, sizeof(head));
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0)
		rc = -errno;
	if (rc == 0 && want_vpc && fstat(fd, &st) == 0) {
		if (S_ISBLK(st.st_mode))
			ioctl(fd, BLKGETSIZE64, &size);
		else
			size = (uint64_t)st.st_size;
		have_tail = size >= 512 &&
			    pread(fd, tail, 512, (off_t)(size - 512)) == 512;
	}
	close(fd);
	if (rc == 0)
		*fmt = dom_img_magic(head, (size_t)n, have_tail ? tail : NULL,
				     want_vpc);
	return rc;
}

/* A vdisk directory: its live image and format from vdisk.xml. */
static int dd_vdisk(const struct dom_disk *dk, struct dom_disk_src *src,
		    bool start, char *err, size_t errlen)
{
	char path[DOM_PATH_MAX + 16], xerr[256], *files[2] = { 0 };
	struct vd_meta *m = calloc(1, sizeof(*m));
	char *xml = NULL;
	ssize_t n = 0;
	int fd = -1, rc = -ENOMEM;

	if (!m)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", dk->path, VD_XML);
	xml = malloc(VD_XML_MAX + 1);
	if (!xml)
		goto out;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (n = read(fd, xml, VD_XML_MAX + 1)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "disk %s: '%s' is a directory but not a "
			 "vdisk: %s: %s", dk->target, dk->path, path,
			 strerror(-rc));
		goto out;
	}
	rc = -EINVAL;
	if (n > VD_XML_MAX) {
		snprintf(err, errlen, "disk %s: %s is too large", dk->target,
			 path);
		goto out;
	}
	if (vdxml_parse(xml, (size_t)n, m, xerr, sizeof(xerr)) < 0) {
		snprintf(err, errlen, "disk %s: %s: %s", dk->target, path,
			 xerr);
		goto out;
	}
	if (dk->format[0] && strcmp(dk->format, m->type->qfmt)) {
		snprintf(err, errlen, "disk %s: vdisk '%s' holds a %s image "
			 "(format %s), not %s as <driver type> says",
			 dk->target, dk->path, m->type->name, m->type->qfmt,
			 dk->format);
		goto out;
	}
	if (start && m->readonly && !dk->readonly) {
		snprintf(err, errlen, "disk %s: vdisk '%s' is read-only "
			 "(vdiskadm prop-set readonly): give the disk "
			 "<readonly/>", dk->target, dk->path);
		goto out;
	}
	if (start && (m->rwcnt || (m->rocnt && !dk->readonly))) {
		rc = -EBUSY;
		snprintf(err, errlen, "disk %s: vdisk '%s' is in use "
			 "(vdiskadm: %u writer, %u readers)", dk->target,
			 dk->path, m->rwcnt, m->rocnt);
		goto out;
	}
	rc = -ENOMEM;
	if (vd_type_files(m->type, m->sparse, "vdisk", files) < 0)
		goto out;
	rc = -ENAMETOOLONG;
	if ((size_t)snprintf(src->image, sizeof(src->image), "%s/%s",
			     dk->path, files[0]) >= sizeof(src->image)) {
		snprintf(err, errlen, "disk %s: vdisk path too long",
			 dk->target);
		goto out;
	}
	snprintf(src->format, sizeof(src->format), "%s", m->type->qfmt);
	rc = 0;
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (fd >= 0)
		close(fd);
	free(files[0]);
	free(files[1]);
	free(xml);
	free(m);
	return rc;
}

int dom_disk_resolve(const struct dom_disk *dk, struct dom_disk_src *src,
		     bool start, char *err, size_t errlen)
{
	const char *got = "raw";
	struct stat st;
	int rc;

	memset(src, 0, sizeof(*src));
	if (stat(dk->path, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "disk %s: '%s': %s", dk->target,
			 dk->path, strerror(-rc));
		return rc;
	}
	if (S_ISDIR(st.st_mode) && !dk->block) {
		rc = dd_vdisk(dk, src, start, err, errlen);
		if (rc < 0)
			return rc;
		if (stat(src->image, &st) < 0) {
			rc = -errno;
			snprintf(err, errlen, "disk %s: vdisk image '%s': %s",
				 dk->target, src->image, strerror(-rc));
			return rc;
		}
	} else {
		snprintf(src->image, sizeof(src->image), "%s", dk->path);
		snprintf(src->format, sizeof(src->format), "%s",
			 dk->format[0] ? dk->format : "raw");
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "disk %s: '%s' is not a regular file, "
			 "block device or vdisk directory", dk->target,
			 src->image);
		return -EINVAL;
	}
	rc = dd_probe(src->image, !strcmp(src->format, "vpc"), &got);
	if (rc < 0) {
		snprintf(err, errlen, "disk %s: '%s' cannot be read: %s",
			 dk->target, src->image, strerror(-rc));
		return rc;
	}
	if (!strcmp(src->format, "raw") && strcmp(got, "raw")) {
		snprintf(err, errlen, "disk %s: '%s' holds a %s image, but the "
			 "domain gives it as raw: name its format with "
			 "<driver type='%s'/> (xvm does not hand an image's "
			 "metadata to a guest as raw data)", dk->target,
			 src->image, got, got);
		return -EINVAL;
	}
	if (strcmp(src->format, got)) {
		snprintf(err, errlen, "disk %s: '%s' is not a %s image (%s)",
			 dk->target, src->image, src->format,
			 strcmp(got, "raw") ? got : "no header of that format");
		return -EINVAL;
	}
	if (dom_disk_qsd(src) && src->image[0] != '/') {
		snprintf(err, errlen, "disk %s: '%s': an image in %s format "
			 "needs an absolute path", dk->target, src->image,
			 src->format);
		return -EINVAL;
	}
	return 0;
}

/* ---- the daemon's command line ---- */

int dom_qsd_sock(const char *dir, unsigned int i, char *buf, size_t len)
{
	size_t max = len < 108 ? len : 108;	/* sockaddr_un's sun_path */
	int n = snprintf(buf, len, "%s/disk%u.sock", dir, i);

	return n < 0 || (size_t)n >= max ? -ENAMETOOLONG : 0;
}

int dom_qsd_args(const struct dom_config *c, const struct dom_disk_src *src,
		 const char *prog, const char *dir, struct dom_qsd_argv *a)
{
	unsigned int i, n = 0;
	char sock[400];
	int len;

	a->n = 0;
#define ARG(x) (a->v[a->n++] = (char *)(x))
	ARG(prog);
	ARG("--daemonize");
	if ((size_t)snprintf(a->pidfile, sizeof(a->pidfile), "%s/qsd.pid",
			     dir) >= sizeof(a->pidfile))
		return -ENAMETOOLONG;
	ARG("--pidfile"); ARG(a->pidfile);
	for (i = 0; i < c->ndisks; i++) {
		const struct dom_disk *dk = &c->disks[i];
		const char *ro = dk->readonly ? "on" : "off";
		char nq[24];

		if (!dom_disk_qsd(&src[i]))
			continue;
		if (dom_qsd_sock(dir, i, sock, sizeof(sock)) < 0)
			return -ENAMETOOLONG;
		/* driver file/host_device: the name is never parsed as a
		 * protocol or JSON; paths have no commas (dom_run.c) */
		len = snprintf(a->arg[i][0], sizeof(a->arg[i][0]),
			       "driver=%s,node-name=f%u,filename=%s,"
			       "read-only=%s%s", dk->block ? "host_device" :
			       "file", i, src[i].image, ro,
			       !strcmp(dk->cache, "none") ?
			       ",cache.direct=on" : "");
		if (len < 0 || (size_t)len >= sizeof(a->arg[i][0]))
			return -ENAMETOOLONG;
		snprintf(a->arg[i][1], sizeof(a->arg[i][1]),
			 "driver=%s,node-name=d%u,file=f%u,read-only=%s",
			 src[i].format, i, i, ro);
		nq[0] = 0;
		if (dk->queues > 1)	/* else the export's default, 1 */
			snprintf(nq, sizeof(nq), ",num-queues=%u", dk->queues);
		snprintf(a->arg[i][2], sizeof(a->arg[i][2]),
			 "type=vhost-user-blk,id=e%u,node-name=d%u,"
			 "addr.type=unix,addr.path=%s,writable=%s%s", i, i,
			 sock, dk->readonly ? "off" : "on", nq);
		ARG("--blockdev"); ARG(a->arg[i][0]);
		ARG("--blockdev"); ARG(a->arg[i][1]);
		ARG("--export"); ARG(a->arg[i][2]);
		n++;
	}
#undef ARG
	a->v[a->n] = NULL;
	return (int)n;
}

/* ---- running it ---- */

static int dd_dir(const struct dom *d, char *dir, size_t len)
{
	return store_run_path(dir, len, d->cfg.name, "qsd");
}

/* Remove dir's files, then dir (only files are made there). */
static void dd_rmdir(const char *dir)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	if (!dp)
		return;
	while ((de = readdir(dp)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			unlinkat(dirfd(dp), de->d_name, 0);
	closedir(dp);
	if (rmdir(dir) < 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", dir, strerror(errno));
}

/* The last line of dir/qsd.log (the daemon's error). */
static void dd_log_tail(const char *dir, char *buf, size_t len)
{
	char path[400], tmp[2048];
	ssize_t n;
	char *p;
	int fd;

	snprintf(buf, len, "no message");
	snprintf(path, sizeof(path), "%s/qsd.log", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, tmp, sizeof(tmp) - 1);
	close(fd);
	if (n <= 0)
		return;
	tmp[n] = 0;
	while (n > 0 && tmp[n - 1] == '\n')
		tmp[--n] = 0;
	p = strrchr(tmp, '\n');
	snprintf(buf, len, "%.300s", p ? p + 1 : tmp);
}

/* The pid in dir/qsd.pid if that process is the daemon of dir (its
 * command line names that pid file): a pid file outliving its process
 * must not make us signal whoever has the number now. 0 if not. */
static pid_t dd_pid(const char *dir)
{
	char path[400], buf[4096], want[400];
	long pid;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/qsd.pid", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, 31);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	pid = strtol(buf, NULL, 10);
	if (pid <= 1 || pid > 0x3fffffff)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	snprintf(want, sizeof(want), "%s/qsd.pid", dir);
	for (char *p = buf; p < buf + n; p += strlen(p) + 1)
		if (!strcmp(p, want))
			return (pid_t)pid;
	return 0;
}

/* Whether pid still runs (a zombie does not). */
static bool dd_alive(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && p[2] == 'Z');
}

/* ---- stopping a daemon on the loop (issue 12) ----
 *
 * SIGTERM, then a timer looks every QSD_POLL_MS: once the daemon is
 * gone its directory goes; one still there after QSD_STOP_MS gets
 * SIGKILL (logged). The daemon is not xvmd's child (--daemonize: its
 * launcher exits), so there is nothing to reap; a zombie counts as gone.
 * Until every stop ended, no daemon starts (dd_job_poll): the old one
 * may still hold QEMU's lock on an image the new one opens. */

#define QSD_POLL_MS	20
#define QSD_KILL_MS	2000	/* after SIGKILL, at most */

struct dd_stop {
	struct dd_stop *next;
	pid_t pid;
	bool killed;		/* SIGKILL sent */
	int64_t deadline;
	char dir[320];
};

struct dd_waiter {
	struct dd_waiter *next;
	void (*fn)(void *opaque);
	void *opaque;
};

static struct dd_stop *dd_stops;
static struct dd_waiter *dd_waiters;
static int dd_stop_tfd = -1;

static void dd_stop_tick(void *opaque, uint32_t events);

/* The shared timer runs while a stop does. */
static int dd_stop_timer(bool on)
{
	struct itimerspec its = {
		.it_interval = { 0, QSD_POLL_MS * 1000000L },
		.it_value = { 0, QSD_POLL_MS * 1000000L },
	};

	if (!on) {
		if (dd_stop_tfd >= 0) {
			loop_del(dd_stop_tfd);
			close(dd_stop_tfd);
			dd_stop_tfd = -1;
		}
		return 0;
	}
	if (dd_stop_tfd >= 0)
		return 0;
	dd_stop_tfd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_CLOEXEC | TFD_NONBLOCK);
	if (dd_stop_tfd < 0)
		return -errno;
	if (timerfd_settime(dd_stop_tfd, 0, &its, NULL) < 0 ||
	    loop_add(dd_stop_tfd, EPOLLIN, dd_stop_tick, NULL) < 0) {
		close(dd_stop_tfd);
		dd_stop_tfd = -1;
		return -EIO;
	}
	return 0;
}

/* Every stop ended: whoever waits for that goes on. */
static void dd_stops_ended(void)
{
	struct dd_waiter *w;

	dd_stop_timer(false);
	while (!dd_stops && (w = dd_waiters)) {
		dd_waiters = w->next;
		w->fn(w->opaque);
		free(w);
	}
}

static void dd_stop_tick(void *opaque, uint32_t events)
{
	struct dd_stop **pp = &dd_stops, *s;
	int64_t now = loop_now_ms();
	uint64_t n;

	(void)opaque;
	(void)events;
	if (read(dd_stop_tfd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	while ((s = *pp)) {
		bool gone = !dd_alive(s->pid);

		if (!gone && now >= s->deadline && !s->killed) {
			log_warn("qemu-storage-daemon %d ignored SIGTERM for "
				 "%d s: killed", (int)s->pid,
				 QSD_STOP_MS / 1000);
			kill(s->pid, SIGKILL);
			s->killed = true;
			s->deadline = now + QSD_KILL_MS;
		} else if (!gone && now >= s->deadline) {
			log_err("qemu-storage-daemon %d still there %d ms "
				"after SIGKILL: given up", (int)s->pid,
				QSD_KILL_MS);
			gone = true;
		}
		if (!gone) {
			pp = &s->next;
			continue;
		}
		log_info("dom %s: qemu-storage-daemon %d stopped",
			 strrchr(s->dir, '/') ? strrchr(s->dir, '/') + 1 :
			 s->dir, (int)s->pid);
		dd_rmdir(s->dir);
		*pp = s->next;
		free(s);
	}
	if (!dd_stops)
		dd_stops_ended();
}

/* Stop the daemon of dir (whoever started it; else pid) and remove dir:
 * at once if none runs, else once it ended (the loop watches it). */
static void dd_stop_dir(const char *dir, pid_t pid)
{
	pid_t found = dd_pid(dir);
	struct dd_stop *s;

	if (found)
		pid = found;
	for (s = dd_stops; s; s = s->next)
		if (s->pid == pid || !strcmp(s->dir, dir))
			return;		/* stopping already */
	if (pid <= 0 || !dd_alive(pid)) {
		if (pid > 0)
			log_info("dom %s: qemu-storage-daemon %d stopped",
				 strrchr(dir, '/') ? strrchr(dir, '/') + 1 :
				 dir, (int)pid);
		dd_rmdir(dir);
		return;
	}
	kill(pid, SIGTERM);
	s = calloc(1, sizeof(*s));
	if (!s || dd_stop_timer(true) < 0) {
		/* nothing to watch it with: it goes at once */
		log_warn("qemu-storage-daemon %d: cannot watch its stop: "
			 "killed", (int)pid);
		kill(pid, SIGKILL);
		free(s);
		dd_rmdir(dir);
		return;
	}
	s->pid = pid;
	s->deadline = loop_now_ms() + QSD_STOP_MS;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->next = dd_stops;
	dd_stops = s;
}

bool dom_qsd_stopping(void)
{
	return dd_stops != NULL;
}

int dom_qsd_when_stopped(void (*fn)(void *opaque), void *opaque)
{
	struct dd_waiter *w, **pp;

	if (!dd_stops)
		return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->opaque = opaque;
	for (pp = &dd_waiters; *pp; pp = &(*pp)->next)
		;
	*pp = w;
	return 1;
}

void dom_qsd_stops_wait(void)
{
	int64_t end = loop_now_ms() + QSD_STOP_MS + QSD_KILL_MS + 500;

	while (dd_stops && loop_now_ms() < end)
		loop_run_once(QSD_POLL_MS);
}

/* d's daemon command line (its directory in dir): how many disks it
 * exports (0: no daemon is needed, *ap NULL), or -errno with e. */
static int dd_argv(struct dom *d, char dir[320], struct dom_qsd_argv **ap,
		   struct verr *e)
{
	struct dom_qsd_argv *a;
	int n;

	*ap = NULL;
	if (dd_dir(d, dir, 320) < 0)
		return verr_fail(e, -ENAMETOOLONG, VERR_OPERATION_FAILED,
				 "operation failed: the storage daemon "
				 "directory of '%s' is too long", d->cfg.name);
	a = calloc(1, sizeof(*a));
	if (!a)
		return verr_nomem(e);
	n = dom_qsd_args(&d->cfg, d->src, dom_env.qsd, dir, a);
	if (n <= 0) {
		free(a);
		if (n == 0)
			return 0;
		return verr_fail(e, n, VERR_CONFIG_UNSUPPORTED, "unsupported "
				 "configuration: the storage daemon's socket "
				 "paths of '%s' are too long (shorter name or "
				 "XVM_RUNDIR)", d->cfg.name);
	}
	*ap = a;
	return n;
}

/* Fork the daemon's launcher (a, directory dir; no daemon of dir runs):
 * its pid, or -errno with e (nothing left behind). */
static pid_t dd_spawn(const char *dir, const struct dom_qsd_argv *a,
		      struct verr *e)
{
	char log[400];
	pid_t pid;
	int rc, logfd;

	dd_rmdir(dir);		/* a leftover of a crash, without daemon */
	if (mkdir(dir, 0700) < 0) {
		rc = -errno;
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: %s: %s", dir, strerror(-rc));
	}
	snprintf(log, sizeof(log), "%s/qsd.log", dir);
	logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	pid = logfd < 0 ? -1 : fork();
	if (pid < 0) {
		rc = -errno;
		if (logfd >= 0)
			close(logfd);
		dd_rmdir(dir);
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot start qemu-storage-daemon: "
				 "%s", strerror(-rc));
	}
	if (pid == 0) {
		dom_child_setup(logfd);
		execvp(a->v[0], a->v);
		dprintf(2, "cannot run %s: %s\n", a->v[0], strerror(errno));
		_exit(127);
	}
	close(logfd);
	return pid;
}

/* The launcher ended with st: --daemonize makes it exit once the
 * exports are up (0) or the daemon failed (its message in the log).
 * 0 with d->qsd_pid set, or -errno with e, nothing left behind. */
static int dd_started(struct dom *d, const char *dir, int n, int st,
		      struct verr *e)
{
	char sock[400], msg[400];
	unsigned int i;

	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		dd_log_tail(dir, msg, sizeof(msg));
		dd_stop_dir(dir, 0);
		return verr_fail(e, -EIO, VERR_OPERATION_FAILED, "operation "
				 "failed: qemu-storage-daemon for '%s' failed "
				 "to start: %s", d->cfg.name, msg);
	}
	d->qsd_pid = dd_pid(dir);
	for (i = 0; i < d->cfg.ndisks && d->qsd_pid; i++) {
		struct stat sst;

		if (!dom_disk_qsd(&d->src[i]))
			continue;
		dom_qsd_sock(dir, i, sock, sizeof(sock));
		if (stat(sock, &sst) < 0 || !S_ISSOCK(sst.st_mode))
			break;
	}
	if (!d->qsd_pid || i < d->cfg.ndisks) {
		dd_stop_dir(dir, d->qsd_pid);
		d->qsd_pid = 0;
		return verr_fail(e, -EIO, VERR_OPERATION_FAILED, "operation "
				 "failed: qemu-storage-daemon for '%s' started "
				 "without its pid file or sockets",
				 d->cfg.name);
	}
	log_info("dom %s: qemu-storage-daemon pid %d serves %d disk%s",
		 d->cfg.name, (int)d->qsd_pid, n, n == 1 ? "" : "s");
	return 0;
}

/* The launcher, if any, and a daemon it started go (at once: a daemon
 * that never served has nothing to flush). */
static void dd_start_abort(const char *dir, pid_t pid)
{
	pid_t daemon = dd_pid(dir);
	int st;

	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);	/* SIGKILL: at once */
	}
	if (daemon > 0)
		kill(daemon, SIGKILL);
	dd_stop_dir(dir, 0);
}

/* ---- the start, on the loop (issue 12) ---- */

struct dom_qsd_job {
	struct dom_qsd_job *next;
	struct dom *d;
	struct dom_qsd_argv *a;	/* until the launcher is forked */
	pid_t pid;		/* the launcher, 0 while a stop runs */
	int status;		/* its wait status once reaped, -1 before */
	int n, tfd;
	int64_t deadline;
	char dir[320];
	dom_qsd_done_fn done;
	void *opaque;
};

static struct dom_qsd_job *dd_jobs;

bool dom_qsd_reaped(pid_t pid, int status)
{
	struct dom_qsd_job *j;

	for (j = dd_jobs; j; j = j->next)
		if (j->pid > 0 && j->pid == pid) {
			j->status = status;
			return true;
		}
	return false;
}

static void dd_job_end(struct dom_qsd_job *j, int rc, const struct verr *e)
{
	struct dom_qsd_job **pp;

	for (pp = &dd_jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	loop_del(j->tfd);
	close(j->tfd);
	free(j->a);
	j->done(j->opaque, rc, rc < 0 ? e : NULL);
	free(j);
}

/* The launcher forked once no daemon is stopping (any domain's: it may
 * hold an image this one opens) and none of this directory is left
 * over (then it is stopped first). 1 still waiting, 0 forked, -errno
 * with e. */
static int dd_job_launch(struct dom_qsd_job *j, struct verr *e)
{
	pid_t pid;

	if (dom_qsd_stopping())
		return 1;
	if (dd_pid(j->dir)) {	/* a leftover of a crash */
		log_warn("dom %s: a qemu-storage-daemon of its directory is "
			 "left over: stopped first", j->d->cfg.name);
		dd_stop_dir(j->dir, 0);
		if (dom_qsd_stopping())
			return 1;
	}
	pid = dd_spawn(j->dir, j->a, e);
	if (pid < 0)
		return pid;
	free(j->a);
	j->a = NULL;
	j->pid = pid;
	return 0;
}

static void dd_job_poll(void *opaque, uint32_t events)
{
	struct dom_qsd_job *j = opaque;
	struct verr e = { 0 };
	uint64_t ticks;
	int st, rc;

	(void)events;
	if (read(j->tfd, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN)
		return;
	if (!j->pid) {		/* waits for a stop to end */
		rc = dd_job_launch(j, &e);
		if (rc > 0 && loop_now_ms() > j->deadline)
			rc = verr_fail(&e, -ETIMEDOUT, VERR_OPERATION_FAILED,
				       "operation failed: qemu-storage-daemon "
				       "for '%s' did not start in %d s (an "
				       "earlier one did not stop)",
				       j->d->cfg.name, QSD_START_MS / 1000);
		if (rc < 0)
			dd_job_end(j, rc, &e);
		return;
	}
	/* xvmd's SIGCHLD handling may have reaped it (dom_qsd_reaped) */
	if (j->status < 0 && waitpid(j->pid, &st, WNOHANG) == j->pid)
		j->status = st;
	if (j->status >= 0) {
		rc = dd_started(j->d, j->dir, j->n, j->status, &e);
		dd_job_end(j, rc, &e);
	} else if (loop_now_ms() > j->deadline) {
		dd_start_abort(j->dir, j->pid);
		rc = verr_fail(&e, -ETIMEDOUT, VERR_OPERATION_FAILED,
			       "operation failed: qemu-storage-daemon for "
			       "'%s' did not start in %d s", j->d->cfg.name,
			       QSD_START_MS / 1000);
		dd_job_end(j, rc, &e);
	}
}

static struct dom_qsd_job *dd_job_of(const struct dom *d)
{
	struct dom_qsd_job *j;

	for (j = dd_jobs; j; j = j->next)
		if (j->d == d)
			return j;
	return NULL;
}

bool dom_qsd_starting(const struct dom *d)
{
	return dd_job_of(d) != NULL;
}

int dom_qsd_start_async(struct dom *d, dom_qsd_done_fn done, void *opaque,
			struct verr *e)
{
	struct itimerspec its = {
		.it_interval = { 0, QSD_POLL_MS * 1000000L },
		.it_value = { 0, QSD_POLL_MS * 1000000L },
	};
	struct dom_qsd_job *j;
	int rc;

	d->qsd_pid = 0;
	/* an incoming migration's daemon starts at finish, once the
	 * source's has let go of the images (dom_migrate.c) */
	if (d->restore && d->restore->incoming)
		return 0;
	if (dd_job_of(d))
		return verr_fail(e, -EBUSY, VERR_OPERATION_INVALID, "Requested "
				 "operation is not valid: the storage daemon "
				 "of '%s' is being started", d->cfg.name);
	j = calloc(1, sizeof(*j));
	if (!j)
		return verr_nomem(e);
	rc = dd_argv(d, j->dir, &j->a, e);
	if (rc <= 0) {
		free(j);
		return rc;
	}
	j->n = rc;
	j->d = d;
	j->status = -1;
	j->deadline = loop_now_ms() + QSD_START_MS;
	j->done = done;
	j->opaque = opaque;
	j->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (j->tfd < 0 || timerfd_settime(j->tfd, 0, &its, NULL) < 0 ||
	    loop_add(j->tfd, EPOLLIN, dd_job_poll, j) < 0) {
		rc = -errno;
		if (j->tfd >= 0)
			close(j->tfd);
		free(j->a);
		free(j);
		return verr_fail(e, rc ? rc : -EIO, VERR_INTERNAL, "cannot "
				 "watch qemu-storage-daemon's start");
	}
	rc = dd_job_launch(j, e);
	if (rc < 0) {
		loop_del(j->tfd);
		close(j->tfd);
		free(j->a);
		free(j);
		return rc;
	}
	if (rc > 0)
		log_info("dom %s: its qemu-storage-daemon starts once an "
			 "earlier one stopped", d->cfg.name);
	j->next = dd_jobs;
	dd_jobs = j;
	return 1;
}

void dom_qsd_start_cancel(struct dom *d)
{
	struct dom_qsd_job *j;

	for (j = dd_jobs; j; j = j->next)
		if (j->d == d)
			j->deadline = 0;	/* ends at the next poll */
}

void dom_qsd_stop(struct dom *d)
{
	struct dom_qsd_job *j = dd_job_of(d);
	char dir[320];
	struct stat st;
	struct verr e;

	if (j) {	/* the domain stops while its daemon starts */
		dd_start_abort(j->dir, j->pid);
		verr_fail(&e, -ECANCELED, VERR_OPERATION_FAILED, "operation "
			  "failed: domain '%s' stopped while its "
			  "qemu-storage-daemon started", d->cfg.name);
		dd_job_end(j, -ECANCELED, &e);
	}
	if (dd_dir(d, dir, sizeof(dir)) < 0)
		return;
	if (!d->qsd_pid && stat(dir, &st) < 0)
		return;
	dd_stop_dir(dir, d->qsd_pid);
	d->qsd_pid = 0;
}

void dom_qsd_adopt(struct dom *d)
{
	char dir[320], err[300];
	unsigned int i;
	bool need = false;

	for (i = 0; i < d->cfg.ndisks; i++) {
		if (dom_disk_resolve(&d->cfg.disks[i], &d->src[i], false, err,
				     sizeof(err)) < 0)
			log_warn("dom %s: %s", d->cfg.name, err);
		need = need || dom_disk_qsd(&d->src[i]);
	}
	if (dd_dir(d, dir, sizeof(dir)) < 0)
		return;
	d->qsd_pid = dd_pid(dir);
	if (d->qsd_pid)
		log_info("dom %s: adopted qemu-storage-daemon %d", d->cfg.name,
			 (int)d->qsd_pid);
	else if (need)
		log_warn("dom %s: its qemu-storage-daemon is gone: its image "
			 "disks fail until the domain restarts", d->cfg.name);
}

void dom_qsd_sweep(void)
{
	char root[320], dir[640];
	struct dirent *de;
	struct dom *d;
	DIR *dp;

	if (store_run_path(root, sizeof(root), "", "qsdroot") < 0 ||
	    !(dp = opendir(root)))
		return;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		d = dom_by_name(de->d_name);
		if (d && dom_active(d) && d->qsd_pid)
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", root, de->d_name);
		log_info("stale qemu-storage-daemon directory %s removed", dir);
		dd_stop_dir(dir, 0);
	}
	closedir(dp);
}

/* ---- sizes ---- */

int dom_img_vsize(const struct dom_disk_src *src, uint64_t *size,
		  uint64_t *alloc, char *err, size_t errlen)
{
	const char *args[] = { "info", "-U", "--output=json", "-f",
			       src->format, src->image, NULL };
	char *out = NULL, qerr[300] = "";
	json_t *j, *v, *a;
	int st;

	st = qimg_run(args, &out, qerr, sizeof(qerr));
	if (st != 0) {
		snprintf(err, errlen, "qemu-img info '%s': %s", src->image,
			 qerr[0] ? qerr : st < 0 ? strerror(-st) : "failed");
		free(out);
		return st < 0 ? st : -EIO;
	}
	j = json_loads(out ? out : "", 0, NULL);
	free(out);
	v = json_object_get(j, "virtual-size");
	a = json_object_get(j, "actual-size");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		json_decref(j);
		snprintf(err, errlen, "qemu-img info '%s': no virtual size",
			 src->image);
		return -EPROTO;
	}
	*size = (uint64_t)json_integer_value(v);
	if (json_is_integer(a) && json_integer_value(a) >= 0)
		*alloc = (uint64_t)json_integer_value(a);
	json_decref(j);
	return 0;
}
