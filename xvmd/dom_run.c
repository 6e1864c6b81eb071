/*
 * Running domains: one hv process each (hv(1)), started with
 * --control $XVM_RUNDIR/hv/<name>.sock --console pty, watched through its
 * control socket's "state" events; its exit (status 0 power-off or
 * destroy, 10 reboot, 11 crash) drives on_poweroff/on_reboot/on_crash.
 * Runtime state goes to the store so a new xvmd adopts running hv
 * processes with the same ids and states.
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "xvm/atomicio.h"
#include "xvm/log.h"
#include "xvm/rpc.h"
#include "loop.h"
#include "dom.h"
#include "sched.h"
#include "stats.h"
#include "store.h"
#include "dom_run.h"
#include "dom_disk.h"
#include "dom_migrate.h"
#include "events.h"
#include "hvcall.h"

/* hv's status at start and blkstats wait on the loop up to HV_CALL_MS;
 * the calls that still hold the loop (shutdown and destroy at xvmd's
 * stop, adoption's status) are kept as short, failing that one call
 * with "no reply within 2000 ms" (issue 12). Clients' lifecycle calls
 * wait on the loop (dom_op_async) up to HV_ASYNC_MS. */
#define HV_CALL_MS		2000
#define HV_ASYNC_MS		5000
#define HV_SOCKET_WAIT_MS	10000
/* A restoring hv reads the guest's state before it opens its socket. */
#define HV_RESTORE_WAIT_MS	120000

int dom_next_id = 1;
static int hv_has_net = -1;	/* hv takes --net: -1 unknown */

/* One call on the domain's hv control socket. */
int dom_hv_call(struct dom *d, const char *method, json_t **result,
		       struct verr *e)
{
	return dom_hv_call_params(d, method, NULL, HV_CALL_MS, result, e);
}

int dom_hv_call_params(struct dom *d, const char *method, json_t *params,
		       int timeout_ms, json_t **result, struct verr *e)
{
	struct rpc_client *cli;
	struct rpc_error err = { "", "" };
	char path[512];
	json_t *res = NULL;
	int rc;

	store_run_path(path, sizeof(path), d->cfg.name, "sock");
	cli = rpc_client_connect(path);
	if (!cli) {
		rc = errno ? -errno : -EIO;
		json_decref(params);
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot reach hv of '%s': %s",
				 d->cfg.name, strerror(-rc));
	}
	rc = rpc_client_call(cli, method, params, &res, &err, timeout_ms);
	rpc_client_close(cli);
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: hv %s of '%s': %s", method,
				 d->cfg.name, err.message[0] ? err.message :
				 strerror(-rc));
	if (result)
		*result = res;
	else
		json_decref(res);
	return 0;
}

/* hv's blkstats reply res into out (dom_disk_stats()). */
static int dom_disk_stats_parse(struct dom *d, const json_t *res,
				struct dom_disk_stats *out, unsigned int max,
				struct verr *e)
{
	json_t *arr, *o;
	unsigned int n = 0, i;
	size_t k = 0;

	arr = json_object_get(res, "disks");
	if (!json_is_array(arr)) {
		return verr_fail(e, -EPROTO, VERR_OPERATION_FAILED, "operation "
				 "failed: hv of '%s' gave no disk counters",
				 d->cfg.name);
	}
	/* hv counts the disks it serves itself (--disk: the raw ones, in
	 * the definition's order); those qemu-storage-daemon serves have
	 * no counters there and stay unavailable */
	for (i = 0; i < d->cfg.ndisks && i < max; i++, n++) {
		const char *path;

		out[i] = (struct dom_disk_stats){ .avail = false };
		if (dom_disk_qsd(&d->src[i]) || d->cfg.disks[i].cdrom)
			continue;
		o = json_array_get(arr, k++);
		path = json_string_value(json_object_get(o, "path"));
		/* say so if hv's disks are not the definition's */
		if (!path || strcmp(path, d->src[i].image)) {
			return verr_fail(e, -EPROTO, VERR_OPERATION_FAILED,
					 "operation failed: hv of '%s' has "
					 "disk %zu as '%.200s', not '%.200s'",
					 d->cfg.name, k - 1, path ? path : "",
					 d->src[i].image);
		}
		out[i] = (struct dom_disk_stats){
			.avail = true,
			.rd_req = stats_json_u64(o, "rd_req"),
			.rd_bytes = stats_json_u64(o, "rd_bytes"),
			.rd_ns = stats_json_u64(o, "rd_ns"),
			.wr_req = stats_json_u64(o, "wr_req"),
			.wr_bytes = stats_json_u64(o, "wr_bytes"),
			.wr_ns = stats_json_u64(o, "wr_ns"),
			.fl_req = stats_json_u64(o, "fl_req"),
			.fl_ns = stats_json_u64(o, "fl_ns"),
			.errors = stats_json_u64(o, "errors"),
		};
	}
	return (int)n;
}

int dom_disk_stats(struct dom *d, struct dom_disk_stats *out,
		   unsigned int max, struct verr *e)
{
	json_t *res = NULL;
	int rc = dom_hv_call(d, "blkstats", &res, e);

	if (rc == 0)
		rc = dom_disk_stats_parse(d, res, out, max, e);
	json_decref(res);
	return rc;
}

/* A blkstats call a client waits on (dom_disk_stats_async). */
struct dom_blk_call {
	char name[DOM_NAME_MAX + 1];
	pid_t pid;
	dom_blk_done_fn done;
	void *opaque;
};

static void dom_blk_hv_done(void *opaque, int rc, const json_t *result,
			    const char *msg)
{
	struct dom_blk_call *bc = opaque;
	struct dom *d = dom_by_name(bc->name);
	struct dom_disk_stats out[DOM_MAX_DISKS];
	struct verr e = { 0 };

	if (!d || !d->pid || d->pid != bc->pid) {
		d = NULL;
		rc = verr_fail(&e, -ESRCH, VERR_OPERATION_INVALID, "Requested "
			       "operation is not valid: domain is not "
			       "running");
	} else if (rc < 0) {
		verr_fail(&e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "hv blkstats of '%s': %s", bc->name, msg);
	} else {
		rc = dom_disk_stats_parse(d, result, out, DOM_MAX_DISKS, &e);
	}
	bc->done(bc->opaque, d, rc, rc >= 0 ? out : NULL, &e);
	free(bc);
}

int dom_disk_stats_async(struct dom *d, dom_blk_done_fn done, void *opaque,
			 struct verr *e)
{
	struct dom_blk_call *bc = calloc(1, sizeof(*bc));
	char path[512];
	int rc;

	if (!bc)
		return verr_nomem(e);
	snprintf(bc->name, sizeof(bc->name), "%s", d->cfg.name);
	bc->pid = d->pid;
	bc->done = done;
	bc->opaque = opaque;
	store_run_path(path, sizeof(path), d->cfg.name, "sock");
	rc = hvcall_start(path, "blkstats", NULL, HV_CALL_MS, dom_blk_hv_done,
			  bc);
	if (rc == 0)
		return 0;
	free(bc);
	return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			 "cannot reach hv of '%s': %s", d->cfg.name,
			 strerror(-rc));
}

/* ---- runtime state ---- */

void dom_run_state_store(struct dom *d)
{
	json_t *st = json_pack("{s:i, s:i, s:b, s:s}", "id", d->live.id,
			       "pid", (int)d->pid, "persistent", d->persistent,
			       "pty", d->live.pty);
	json_t *vn = json_array();
	unsigned int i;
	char *xml = NULL;

	if (!st || !vn)
		goto out;
	for (i = 0; i < d->cfg.nnics; i++)
		json_array_append_new(vn, json_string(d->live.vnics[i]));
	json_object_set(st, "vnics", vn);
	/* migrate-setmaxdowntime / migrate-setspeed, 0: not set */
	json_object_set_new(st, "mig_downtime",
			    json_integer((json_int_t)d->mig_downtime));
	json_object_set_new(st, "mig_speed",
			    json_integer((json_int_t)d->mig_speed));
	if (d->nics_changed)
		json_object_set_new(st, "nics_changed", json_true());
	xml = domxml_format(&d->cfg, NULL);
	if (xml)
		json_object_set_new(st, "xml", json_string(xml));
	if (store_save_run(d->cfg.name, st) < 0)
		log_warn("dom %s: cannot save runtime state", d->cfg.name);
out:
	free(xml);
	json_decref(vn);
	json_decref(st);
}

static void dom_pidfile(struct dom *d, bool write)
{
	char path[512], buf[32];

	store_run_path(path, sizeof(path), d->cfg.name, "pid");
	if (!write) {
		unlink(path);
		return;
	}
	snprintf(buf, sizeof(buf), "%d\n", (int)d->pid);
	atomicio_replace_file(path, buf, strlen(buf), 0644);
}

/* ---- state changes ---- */

/* The lifecycle event a transition into state/reason means, if any. */
static bool dom_state_event(int from, int state, int reason, int *ev,
			    int *detail)
{
	*detail = 0;
	if (state == from && state != DS_SHUTOFF)
		return false;
	switch (state) {
	case DS_RUNNING:
		*ev = from == DS_PAUSED ? EV_RESUMED : EV_STARTED;
		if (reason == DR_RUNNING_RESTORED)
			*detail = EVD_STARTED_RESTORED;
		if (reason == DR_RUNNING_MIGRATED)
			*detail = EVD_STARTED_MIGRATED;
		return true;
	case DS_PAUSED:
		*ev = EV_SUSPENDED;
		return true;
	case DS_CRASHED:
		*ev = EV_CRASHED;
		return true;
	case DS_SHUTOFF:
		*ev = EV_STOPPED;
		*detail = reason == DR_SHUTOFF_DESTROYED ? EVD_STOPPED_DESTROYED :
			  reason == DR_SHUTOFF_CRASHED ? EVD_STOPPED_CRASHED :
			  reason == DR_SHUTOFF_FAILED ? EVD_STOPPED_FAILED :
			  reason == DR_SHUTOFF_SAVED ? EVD_STOPPED_SAVED :
			  reason == DR_SHUTOFF_MIGRATED ? EVD_STOPPED_MIGRATED :
			  EVD_STOPPED_SHUTDOWN;
		return true;
	default:
		return false;
	}
}

void dom_set_state(struct dom *d, int state, int reason)
{
	int from = d->state, ev, detail;

	d->state = state;
	d->reason = reason;
	if (dom_state_event(from, state, reason, &ev, &detail))
		event_lifecycle(d, ev, detail);
}

/* ---- control-socket events ---- */

static void dom_ctl_line(struct dom *d, const char *line)
{
	json_t *msg = json_loads(line, 0, NULL);
	const char *ev = NULL, *state = NULL, *reason = NULL;

	if (!msg || json_unpack(msg, "{s:s, s:{s:s, s?s}}", "event", &ev,
				"data", "state", &state, "reason", &reason) < 0) {
		json_decref(msg);
		return;
	}
	if (strcmp(ev, "state")) {
		json_decref(msg);
		return;
	}
	if (!strcmp(state, "paused")) {
		dom_set_state(d, DS_PAUSED, DR_PAUSED_USER);
	} else if (!strcmp(state, "running")) {
		dom_set_state(d, DS_RUNNING, DR_RUNNING_UNPAUSED);
	} else if (!strcmp(state, "shutdown") && reason &&
		   (!strcmp(reason, "saved") || !strcmp(reason, "migrated"))) {
		/* hv saved or sent the guest, exits */
		snprintf(d->hv_reason, sizeof(d->hv_reason), "%s", reason);
	} else if (!strcmp(state, "shutdown")) {
		dom_set_state(d, DS_SHUTDOWN, DR_SHUTDOWN_USER);
	} else if (!strcmp(state, "shutoff") && reason) {
		snprintf(d->hv_reason, sizeof(d->hv_reason), "%s", reason);
		domcon_flush(d);
	}
	log_debug("dom %s: hv state %s", d->cfg.name, state);
	json_decref(msg);
}

static void dom_ctl_event(void *opaque, uint32_t events)
{
	struct dom *d = opaque;
	ssize_t n;
	char *nl;

	(void)events;
	n = read(d->ctl_fd, d->ctl_buf + d->ctl_len,
		 sizeof(d->ctl_buf) - 1 - d->ctl_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		dom_hv_gone(d);
		return;
	}
	d->ctl_len += (size_t)n;
	d->ctl_buf[d->ctl_len] = 0;
	while ((nl = strchr(d->ctl_buf, '\n'))) {
		*nl = 0;
		dom_ctl_line(d, d->ctl_buf);
		d->ctl_len -= (size_t)(nl + 1 - d->ctl_buf);
		memmove(d->ctl_buf, nl + 1, d->ctl_len + 1);
	}
	if (d->ctl_len == sizeof(d->ctl_buf) - 1)	/* no event is that long */
		d->ctl_len = 0;
}

/* Connect to hv's control socket to receive its events. */
int dom_watch(struct dom *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc;

	/* a truncated path could name another domain's socket */
	rc = store_run_path(sa.sun_path, sizeof(sa.sun_path), d->cfg.name,
			    "sock");
	if (rc < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    loop_add(fd, EPOLLIN, dom_ctl_event, d) < 0) {
		rc = -errno;
		close(fd);
		return rc ? rc : -EIO;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	d->ctl_fd = fd;
	d->ctl_len = 0;
	d->hv_reason[0] = 0;
	return 0;
}

void dom_unwatch(struct dom *d)
{
	if (d->ctl_fd < 0)
		return;
	loop_del(d->ctl_fd);
	close(d->ctl_fd);
	d->ctl_fd = -1;
}

/* ---- starting hv ---- */

/* Whether this hv takes --net (hv --help lists it). */
static bool dom_hv_net_supported(void)
{
	char cmd[600], buf[4096];
	size_t n;
	FILE *p;

	if (hv_has_net >= 0)
		return hv_has_net;
	snprintf(cmd, sizeof(cmd), "'%s' --help 2>&1", dom_env.hv);
	p = strchr(dom_env.hv, '\'') ? NULL : popen(cmd, "r");
	hv_has_net = 0;
	if (p) {
		n = fread(buf, 1, sizeof(buf) - 1, p);
		buf[n] = 0;
		hv_has_net = strstr(buf, "--net") != NULL;
		pclose(p);
	}
	return hv_has_net;
}

struct dom_argv {
	char *v[64];
	int n;
	char mem[24], vcpus[8], uuid[37], sock[512], off[24];
	char net[DOM_MAX_NICS][200];
	char disk[DOM_MAX_DISKS][DOM_PATH_MAX + 96];
};

int dom_disk_arg(const struct dom_disk *dk, const char *image, char *buf,
		 size_t len)
{
	int n;

	char queues[16] = "";

	/* cache='default' is hv's own default (writeback): not passed; nor
	 * is one queue, hv's default. */
	if (dk->queues > 1)
		snprintf(queues, sizeof(queues), ",queues=%u", dk->queues);
	n = snprintf(buf, len, "path=%s,format=raw%s%s%s%s%s", image,
		     dk->readonly ? ",readonly" : "",
		     dk->serial[0] ? ",serial=" : "", dk->serial,
		     !strcmp(dk->cache, "none") ? ",cache=none" :
		     !strcmp(dk->cache, "writeback") ? ",cache=writeback" : "",
		     queues);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void dom_args(struct dom *d, struct dom_argv *a, char sockets[][108])
{
	struct dom_config *c = &d->cfg;
	unsigned int i;

	a->n = 0;
	snprintf(a->mem, sizeof(a->mem), "%llu",
		 (unsigned long long)(c->max_kib + 1023) / 1024);
	snprintf(a->vcpus, sizeof(a->vcpus), "%u", c->vcpus);
	domxml_uuid_format(c->uuid, a->uuid);
	store_run_path(a->sock, sizeof(a->sock), c->name, "sock");
#define ARG(x) (a->v[a->n++] = (char *)(x))
	ARG(dom_env.hv); ARG("--name"); ARG(c->name); ARG("--uuid"); ARG(a->uuid);
	ARG("--memory"); ARG(a->mem); ARG("--vcpus"); ARG(a->vcpus);
	if (d->restore && d->restore->incoming) {	/* dom_migrate.c */
		ARG("--incoming"); ARG(d->restore->incoming);
	} else if (d->restore) {	/* the guest's memory holds its kernel */
		snprintf(a->off, sizeof(a->off), "%llu",
			 (unsigned long long)d->restore->offset);
		ARG("--restore"); ARG(d->restore->path);
		ARG("--restore-offset"); ARG(a->off);
		if (d->restore->paused)
			ARG("--paused");
	} else {
		ARG("--kernel"); ARG(c->kernel);
		if (c->initrd[0]) {
			ARG("--initrd"); ARG(c->initrd);
		}
		if (c->cmdline[0]) {
			ARG("--cmdline"); ARG(c->cmdline);
		}
	}
	ARG("--console"); ARG("pty"); ARG("--control"); ARG(a->sock);
	for (i = 0; i < c->nnics && dom_hv_net_supported(); i++) {
		char mac[MAC_STRLEN];

		int n = snprintf(a->net[i], sizeof(a->net[i]), "vnic=%s,mac=%s",
				 sockets[i],
				 mac_format_canonical(&c->nics[i].mac, mac));

		/* the guest takes the VNIC's mtu from its NIC */
		if (c->nics[i].mtu && n > 0 && (size_t)n < sizeof(a->net[i]))
			snprintf(a->net[i] + n, sizeof(a->net[i]) - (size_t)n,
				 ",mtu=%u", c->nics[i].mtu);
		ARG("--net"); ARG(a->net[i]);
	}
	/* Raw disks in the XML's order (hv's --disk: the guest's blk0,
	 * blk1, ...), then the images qemu-storage-daemon exports, in the
	 * XML's order too (hv makes --vhost-user-blk functions after every
	 * --disk one); cdroms were refused by dom_disks_check(). */
	for (i = 0; i < c->ndisks; i++) {
		if (c->disks[i].cdrom || dom_disk_qsd(&d->src[i]) ||
		    dom_disk_arg(&c->disks[i], d->src[i].image, a->disk[i],
				 sizeof(a->disk[i])))
			continue;
		ARG("--disk"); ARG(a->disk[i]);
	}
	for (i = 0; i < c->ndisks; i++) {
		char dir[320];
		int n;

		if (c->disks[i].cdrom || !dom_disk_qsd(&d->src[i]) ||
		    store_run_path(dir, sizeof(dir), c->name, "qsd") < 0 ||
		    dom_qsd_sock(dir, i, a->disk[i], sizeof(a->disk[i])) < 0)
			continue;
		n = (int)strlen(a->disk[i]);
		if (c->disks[i].readonly)
			n += snprintf(a->disk[i] + n, sizeof(a->disk[i]) -
				      (size_t)n, ",readonly");
		/* a migration coming in: the daemon starts at finish, once
		 * the source's let go of the image (dom_migrate.c) */
		if (d->restore && d->restore->incoming)
			snprintf(a->disk[i] + n, sizeof(a->disk[i]) - (size_t)n,
				 ",wait,queues=%u", c->disks[i].queues > 1 ?
				 c->disks[i].queues : 1);
		ARG("--vhost-user-blk"); ARG(a->disk[i]);
	}
#undef ARG
	a->v[a->n] = NULL;
}

/* fork + exec hv in its own session (it outlives xvmd), output to its log. */
static int dom_spawn(struct dom *d, char sockets[][108], struct verr *e)
{
	struct dom_argv a;
	char logpath[512], sock[512];
	pid_t pid;
	int logfd, rc;

	dom_args(d, &a, sockets);
	d->nics_changed = false;	/* hv's command line has them all */
	store_run_path(logpath, sizeof(logpath), d->cfg.name, "log");
	store_run_path(sock, sizeof(sock), d->cfg.name, "sock");
	unlink(sock);
	logfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (logfd < 0) {
		rc = -errno;
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "cannot open "
				 "%s: %s", logpath, strerror(-rc));
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(logfd);
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "fork: %s",
				 strerror(-rc));
	}
	if (pid == 0) {
		dom_child_setup(logfd);
		execv(a.v[0], a.v);
		dprintf(2, "xvmd: exec %s: %s\n", a.v[0], strerror(errno));
		_exit(127);
	}
	close(logfd);
	d->pid = pid;
	d->child = true;
	d->exit_status = -1;
	return 0;
}

void dom_child_setup(int logfd)
{
	int null = open("/dev/null", O_RDONLY);
	sigset_t all;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	setsid();
	dup2(null, 0);
	dup2(logfd, 1);
	dup2(logfd, 2);
}

/* The last line hv wrote to its log (why it failed to start). */
static void dom_hv_log_tail(struct dom *d, char *buf, size_t len)
{
	char path[512], tmp[4096];
	ssize_t n;
	char *p;
	int fd;

	snprintf(buf, len, "hv exited");
	store_run_path(path, sizeof(path), d->cfg.name, "log");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	lseek(fd, -(off_t)MIN(sizeof(tmp) - 1, (size_t)lseek(fd, 0, SEEK_END)),
	      SEEK_END);
	n = read(fd, tmp, sizeof(tmp) - 1);
	close(fd);
	if (n <= 0)
		return;
	tmp[n] = 0;
	while (n > 0 && tmp[n - 1] == '\n')
		tmp[--n] = 0;
	p = strrchr(tmp, '\n');
	snprintf(buf, len, "%.250s", p ? p + 1 : tmp);
}

/* hv is up: its pty, the console broker, the cgroup. */
static void dom_hv_up(struct dom *d, const char *pty)
{
	snprintf(d->live.pty, sizeof(d->live.pty), "%s", pty ? pty : "");
	domcon_attach(d);
	if (!d->sd)
		d->sd = sched_dom_open(d->cfg.name);
	if (d->sd) {
		sched_dom_attach(d->sd, d->pid);
		if (sched_dom_set(d->sd, d->cfg.weight, d->cfg.cap) < 0)
			log_warn("dom %s: cannot apply weight/cap", d->cfg.name);
	}
	d->pinned = false;
	dom_pidfile(d, true);
	dom_run_state_store(d);
}

/* hv answers on its socket: the domain runs (a restored one may stay
 * paused). */
static void dom_boot_ready(struct dom *d, const char *pty)
{
	d->destroying = false;
	if (!d->restore) {
		dom_set_state(d, DS_RUNNING, DR_RUNNING_BOOTED);
	} else if (d->restore->incoming) {
		dom_set_state(d, DS_RUNNING, DR_RUNNING_MIGRATED);
	} else {
		dom_set_state(d, DS_RUNNING, DR_RUNNING_RESTORED);
		if (d->restore->paused) {	/* libvirt: SUSPENDED, RESTORED */
			d->state = DS_PAUSED;
			d->reason = DR_PAUSED_USER;
			event_lifecycle(d, EV_SUSPENDED, EVD_SUSPENDED_RESTORED);
		}
	}
	dom_hv_up(d, pty);
}

int dom_start_async(struct dom *d, uint32_t flags, dom_restore_done_fn done,
		    void *opaque, struct verr *e)
{
	int rc;

	rc = dom_check_not_dom0(d, e);
	if (rc < 0)
		return rc;
	if (d->launch_job)
		return dom_check_idle(d, e);
	if (dom_active(d))
		return verr_fail(e, -EBUSY, VERR_OPERATION_INVALID, "Requested "
				 "operation is not valid: domain is already "
				 "running");
	if (dom_has_managed_save(d)) {
		if (!(flags & DOM_START_FORCE_BOOT)) {
			rc = dom_managed_restore(d, flags, done, opaque, e);
			return rc < 0 ? rc : 1;
		}
		rc = dom_managed_save_remove(d, e);
		if (rc < 0)
			return rc;
	}
	rc = dom_launch_async(d, done, opaque, e);
	return rc < 0 ? rc : 1;
}

/* A start that failed: what it made goes. */
static void dom_launch_undo(struct dom *d)
{
	vif_delete(d);
	dom_qsd_stop(d);
	memset(d->src, 0, sizeof(d->src));
	d->live.id = -1;
	d->state = DS_SHUTOFF;
	d->reason = DR_SHUTOFF_FAILED;
	/* a define while it was starting waited for its stop: this one */
	dom_apply_pending(d);
}

/* Whether two disks are the same file or device. */
static bool dom_disk_same(const struct stat *st, const char *path)
{
	struct stat o;

	if (stat(path, &o) < 0)
		return false;
	if (S_ISBLK(st->st_mode))
		return S_ISBLK(o.st_mode) && o.st_rdev == st->st_rdev;
	return o.st_dev == st->st_dev && o.st_ino == st->st_ino;
}

/* The running domain (not d) holding the disk in a way that conflicts
 * with dk: one of the two writes to it. NULL if none. */
static const struct dom *dom_disk_user(const struct dom *d,
				       const struct dom_disk *dk,
				       const struct stat *st)
{
	const struct dom *o;
	unsigned int i;

	for (o = dom_first(); o; o = o->next) {
		if (o == d || o->dom0 || !dom_active(o))
			continue;
		for (i = 0; i < o->cfg.ndisks; i++) {
			const struct dom_disk *od = &o->cfg.disks[i];

			if (od->cdrom || (od->readonly && dk->readonly))
				continue;
			/* the image it opened (a vdisk's file), whoever
			 * serves it: hv or qemu-storage-daemon */
			if (dom_disk_same(st, o->src[i].image[0] ?
					  o->src[i].image : od->path))
				return o;
		}
	}
	return NULL;
}

/* Before anything is made: every disk is one hv or qemu-storage-daemon
 * can open, the way it will open it, of the format the XML says
 * (dom_disk.c), and no other running domain writes to it (or reads it
 * while this one writes). Fills d->src. */
static int dom_disks_check(struct dom *d, struct verr *e)
{
	unsigned int i;

	memset(d->src, 0, sizeof(d->src));
	for (i = 0; i < d->cfg.ndisks; i++) {
		const struct dom_disk *dk = &d->cfg.disks[i];
		struct dom_disk_src *src = &d->src[i];
		const struct dom *o;
		char arg[DOM_PATH_MAX + 96], err[DOM_PATH_MAX + 300];
		struct stat st;
		int rc;

		if (dk->cdrom)
			return verr_fail(e, -EOPNOTSUPP, VERR_CONFIG_UNSUPPORTED,
					 "unsupported configuration: disk %s "
					 "(%s) is a cdrom: xvm has no cdrom "
					 "device (make it device='disk' "
					 "with <readonly/>)", dk->target,
					 dk->path);
		if (strchr(dk->path, ','))
			return verr_fail(e, -EINVAL, VERR_CONFIG_UNSUPPORTED,
					 "unsupported configuration: disk %s "
					 "path '%s' has a comma", dk->target,
					 dk->path);
		rc = dom_disk_resolve(dk, src, true, err, sizeof(err));
		if (rc < 0)
			return verr_fail(e, rc, rc == -EBUSY ?
					 VERR_OPERATION_INVALID :
					 VERR_OPERATION_FAILED, "%s: %s",
					 rc == -EBUSY ? "Requested operation "
					 "is not valid" : "operation failed",
					 err);
		if (dom_disk_qsd(src) && dk->serial[0])
			return verr_fail(e, -EINVAL, VERR_CONFIG_UNSUPPORTED,
					 "unsupported configuration: disk %s: "
					 "a <serial> is only served on raw "
					 "disks (qemu-storage-daemon answers "
					 "the ID of a %s image itself)",
					 dk->target, src->format);
		if (strchr(src->image, ','))
			return verr_fail(e, -EINVAL, VERR_CONFIG_UNSUPPORTED,
					 "unsupported configuration: disk %s "
					 "image '%s' has a comma", dk->target,
					 src->image);
		if (dom_disk_arg(dk, src->image, arg, sizeof(arg)) < 0)
			return verr_fail(e, -ENAMETOOLONG,
					 VERR_CONFIG_UNSUPPORTED, "unsupported "
					 "configuration: disk %s path is too "
					 "long", dk->target);
		if (stat(src->image, &st) < 0) {
			rc = -errno;
			return verr_fail(e, rc, VERR_OPERATION_FAILED,
					 "operation failed: disk %s: '%s': %s",
					 dk->target, src->image, strerror(-rc));
		}
		if (access(src->image, dk->readonly ? R_OK : R_OK | W_OK) < 0) {
			rc = -errno;
			return verr_fail(e, rc, VERR_OPERATION_FAILED,
					 "operation failed: disk %s: '%s' "
					 "cannot be opened %s: %s", dk->target,
					 src->image, dk->readonly ? "to read" :
					 "to read and write", strerror(-rc));
		}
		o = dom_disk_user(d, dk, &st);
		if (o)
			return verr_fail(e, -EBUSY, VERR_OPERATION_INVALID,
					 "Requested operation is not valid: "
					 "disk %s is in use by domain %s",
					 dk->path, o->cfg.name);
	}
	return 0;
}

/* Before anything is made: the kernel, the disks, the socket path. */
static int dom_launch_check(struct dom *d, struct verr *e)
{
	char sock[108];
	int rc;

	if (!d->restore && access(d->cfg.kernel, R_OK) < 0) {
		rc = -errno;
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: kernel '%s': %s", d->cfg.kernel,
				 strerror(-rc));
	}
	rc = dom_disks_check(d, e);
	if (rc < 0)
		return rc;
	rc = store_run_path(sock, sizeof(sock), d->cfg.name, "sock");
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: the control socket path of '%s' is "
				 "longer than %zu bytes (shorter name or "
				 "XVM_RUNDIR)", d->cfg.name, sizeof(sock) - 1);
	return 0;
}

static void dom_launch_log(struct dom *d)
{
	log_info("dom %s: %s, id %d, hv pid %d", d->cfg.name,
		 d->restore ? "restored" : "started", d->live.id, (int)d->pid);
}

/* ---- a start as steps on the loop (issue 12) ----
 *
 * VNICs (vswitchd, VIF_CALL_MS a call) -> qemu-storage-daemon (its
 * socket, QSD_START_MS) -> hv spawned, its control socket polled
 * (HV_SOCKET_WAIT_MS, a restore HV_RESTORE_WAIT_MS) -> hv's status
 * (HV_CALL_MS): each step waits on the loop, the client's reply waits
 * with it; a failed step undoes the ones done (hv and the daemon
 * killed, the VNICs deleted). Meanwhile the domain is paused (starting
 * up) and refuses other lifecycle changes. A restart (on_reboot) runs
 * the last two steps only, VNICs and daemon kept. */

#define DOM_LAUNCH_POLL_MS	50

enum { LS_VNICS, LS_QSD, LS_HV, LS_STATUS };

struct dom_launch_job {
	struct dom *d;
	int step;
	int tfd;		/* timerfd: hv's socket looked for every
				 * DOM_LAUNCH_POLL_MS (step LS_HV) */
	int64_t deadline;
	bool restart;		/* on_reboot: see dom_hv_gone() */
	bool cancelled;		/* xvmd stops: undone at the next step */
	int restart_reason;	/* the shutoff reason if the restart fails */
	char kind[16];
	char sockets[DOM_MAX_NICS][108];
	dom_restore_done_fn done;	/* NULL for a restart */
	void *opaque;
};

static void dom_launch_free(struct dom_launch_job *j)
{
	if (j->tfd >= 0) {
		loop_del(j->tfd);
		close(j->tfd);
	}
	free(j);
}

/* A restart ended (dom_hv_gone's on_reboot). */
static void dom_restart_end(struct dom_launch_job *j, int rc,
			    const struct verr *e)
{
	struct dom *d = j->d;

	if (rc == 0) {
		log_info("dom %s: restarted (%s), id %d, hv pid %d",
			 d->cfg.name, j->kind, d->live.id, (int)d->pid);
		return;
	}
	log_err("dom %s: restart failed: %s", d->cfg.name, e->msg);
	dom_stopped(d, DS_SHUTOFF, j->restart_reason);
}

/* The start failed at some step: undo what the steps made. */
static void dom_launch_fail(struct dom_launch_job *j, int rc,
			    const struct verr *e)
{
	struct dom *d = j->d;
	int st;

	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &st, 0);	/* SIGKILL: at once */
		d->pid = 0;
	}
	d->launch_job = NULL;
	if (j->restart) {
		dom_restart_end(j, rc, e);
	} else {
		dom_launch_undo(d);
		j->done(j->opaque, d, rc, e);
	}
	dom_launch_free(j);
}

/* hv answered its status: the domain runs. */
static void dom_launch_ok(struct dom_launch_job *j, const char *pty)
{
	struct dom *d = j->d;
	struct verr e = { 0 };
	int rc = dom_watch(d);

	if (rc < 0) {
		verr_fail(&e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "cannot watch hv of '%s': %s", d->cfg.name,
			  strerror(-rc));
		dom_launch_fail(j, rc, &e);
		return;
	}
	d->launch_job = NULL;
	if (!j->restart)
		d->state = DS_SHUTOFF;	/* STARTED, not RESUMED */
	dom_boot_ready(d, pty);
	if (j->restart) {
		dom_restart_end(j, 0, NULL);
	} else {
		dom_launch_log(d);
		j->done(j->opaque, d, 0, NULL);
	}
	dom_launch_free(j);
}

/* Whether hv ended; if so, e says why (its log's last line). */
static bool dom_launch_hv_died(struct dom_launch_job *j, struct verr *e)
{
	struct dom *d = j->d;
	char msg[300];
	int st;

	/* the loop's SIGCHLD handling may have reaped it already */
	if (d->exit_status < 0 && waitpid(d->pid, &st, WNOHANG) != d->pid)
		return false;
	d->pid = 0;
	dom_hv_log_tail(d, msg, sizeof(msg));
	verr_fail(e, -ECHILD, VERR_OPERATION_FAILED, "operation failed: hv "
		  "for '%s' failed to start: %s", d->cfg.name, msg);
	return true;
}

/* Whether xvmd's stop cancelled the start: if so, it fails with e. */
static bool dom_launch_cancelled(struct dom_launch_job *j, struct verr *e)
{
	if (!j->cancelled)
		return false;
	verr_fail(e, -ECANCELED, VERR_OPERATION_FAILED, "operation failed: "
		  "xvmd is stopping: the start of '%s' was undone",
		  j->d->cfg.name);
	return true;
}

static void dom_launch_status(void *opaque, int rc, const json_t *result,
			      const char *msg)
{
	struct dom_launch_job *j = opaque;
	const char *pty = NULL;
	struct verr e = { 0 };

	if (rc == 0 && dom_launch_cancelled(j, &e)) {
		dom_launch_fail(j, -ECANCELED, &e);
		return;
	}
	if (rc == 0) {
		if (json_unpack((json_t *)result, "{s:s}", "console", &pty) < 0)
			pty = NULL;
		dom_launch_ok(j, pty);
		return;
	}
	if (!dom_launch_hv_died(j, &e))
		verr_fail(&e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "hv status of '%s': %s", j->d->cfg.name, msg);
	dom_launch_fail(j, rc, &e);
}

/* Step LS_HV: look for hv's socket (its status call) until it answers,
 * hv exits or the deadline passes. */
static void dom_launch_poll(void *opaque, uint32_t events)
{
	struct dom_launch_job *j = opaque;
	struct dom *d = j->d;
	struct verr e = { 0 };
	char path[512];
	uint64_t n;
	int rc;

	(void)events;
	if (read(j->tfd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	if (j->step != LS_HV)
		return;
	if (dom_launch_cancelled(j, &e)) {
		dom_launch_fail(j, -ECANCELED, &e);
		return;
	}
	if (dom_launch_hv_died(j, &e)) {
		dom_launch_fail(j, -ECHILD, &e);
		return;
	}
	store_run_path(path, sizeof(path), d->cfg.name, "sock");
	rc = hvcall_start(path, "status", NULL, HV_CALL_MS, dom_launch_status,
			  j);
	if (rc == 0) {
		j->step = LS_STATUS;
		loop_del(j->tfd);
		close(j->tfd);
		j->tfd = -1;
	} else if (loop_now_ms() > j->deadline) {
		verr_fail(&e, -ETIMEDOUT, VERR_OPERATION_FAILED, "operation "
			  "failed: hv for '%s' did not open its control "
			  "socket", d->cfg.name);
		dom_launch_fail(j, -ETIMEDOUT, &e);
	}
}

/* Spawn hv and start polling its socket: 0, or -errno with e. */
static int dom_launch_hv(struct dom_launch_job *j, struct verr *e)
{
	struct itimerspec its = {
		.it_interval = { 0, DOM_LAUNCH_POLL_MS * 1000000L },
		.it_value = { 0, DOM_LAUNCH_POLL_MS * 1000000L },
	};
	struct dom *d = j->d;
	int rc;

	j->step = LS_HV;
	if (d->cfg.nnics && !dom_hv_net_supported())
		log_warn("dom %s: this hv has no --net: NICs not attached",
			 d->cfg.name);
	j->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (j->tfd < 0 || timerfd_settime(j->tfd, 0, &its, NULL) < 0 ||
	    loop_add(j->tfd, EPOLLIN, dom_launch_poll, j) < 0) {
		rc = -errno;
		if (j->tfd >= 0)
			close(j->tfd);
		j->tfd = -1;
		return verr_fail(e, rc ? rc : -EIO, VERR_INTERNAL, "cannot "
				 "watch hv's start");
	}
	j->deadline = loop_now_ms() + (d->restore ? HV_RESTORE_WAIT_MS :
				       HV_SOCKET_WAIT_MS);
	return dom_spawn(d, j->sockets, e);
}

static void dom_launch_qsd_done(void *opaque, int rc, const struct verr *e)
{
	struct dom_launch_job *j = opaque;
	struct verr e2 = { 0 };

	if (dom_launch_cancelled(j, &e2)) {
		rc = -ECANCELED;	/* a daemon started goes in the undo */
		e = &e2;
	} else if (rc == 0) {
		rc = dom_launch_hv(j, &e2);
		e = &e2;
	}
	if (rc < 0)
		dom_launch_fail(j, rc, e);
}

/* Steps from LS_QSD on, until one waits: 0 (it calls back), -errno. */
static int dom_launch_from_qsd(struct dom_launch_job *j, struct verr *e)
{
	int rc;

	j->step = LS_QSD;
	rc = dom_qsd_start_async(j->d, dom_launch_qsd_done, j, e);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	return dom_launch_hv(j, e);
}

static void dom_launch_vifs_done(void *opaque, int rc, const struct verr *e)
{
	struct dom_launch_job *j = opaque;
	struct verr e2 = { 0 };

	if (rc == 0 && dom_launch_cancelled(j, &e2)) {
		rc = -ECANCELED;
		e = &e2;
	} else if (rc == 0) {
		rc = dom_launch_from_qsd(j, &e2);
		e = &e2;
	}
	if (rc < 0)
		dom_launch_fail(j, rc, e);
}

int dom_launch_async(struct dom *d, dom_restore_done_fn done, void *opaque,
		     struct verr *e)
{
	struct dom_launch_job *j;
	int rc = dom_launch_check(d, e);

	if (rc < 0)
		return rc;
	j = calloc(1, sizeof(*j));
	if (!j)
		return verr_nomem(e);
	j->d = d;
	j->tfd = -1;
	j->done = done;
	j->opaque = opaque;
	d->live.id = dom_next_id++;
	d->launch_job = j;
	d->state = DS_PAUSED;	/* as libvirt shows a domain starting up */
	d->reason = DR_PAUSED_STARTING_UP;
	j->step = LS_VNICS;
	rc = vif_create_async(d, j->sockets, dom_launch_vifs_done, j, e);
	if (rc == 0)
		rc = dom_launch_from_qsd(j, e);
	if (rc < 0) {
		/* nothing called back yet: undone here, done() not called */
		if (d->pid > 0) {
			int st;

			kill(d->pid, SIGKILL);
			waitpid(d->pid, &st, 0);
			d->pid = 0;
		}
		d->launch_job = NULL;
		dom_launch_undo(d);
		dom_launch_free(j);
		return rc;
	}
	return 0;
}

/* on_reboot restart: a new hv on the VNICs and daemon the domain has.
 * 0 (dom_restart_end() tells the end), or -errno with e. */
static int dom_relaunch(struct dom *d, const char *kind, int reason,
			struct verr *e)
{
	struct dom_launch_job *j = calloc(1, sizeof(*j));
	int rc;

	if (!j)
		return verr_nomem(e);
	j->d = d;
	j->tfd = -1;
	j->restart = true;
	j->restart_reason = reason;
	snprintf(j->kind, sizeof(j->kind), "%s", kind);
	rc = vif_sockets(d, j->sockets);
	if (rc < 0) {
		free(j);
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "VNIC socket "
				 "path too long");
	}
	rc = dom_launch_hv(j, e);
	if (rc < 0) {
		dom_launch_free(j);
		return rc;
	}
	d->launch_job = j;
	return 0;
}

/* ---- stopping ---- */

/* Everything a running domain holds, released; it is shut off (or
 * crashed and preserved). Transient domains disappear. */
void dom_stopped(struct dom *d, int state, int reason)
{
	dom_save_detach(d);
	dom_mig_detach(d);
	dom_unplug_detach(d);
	dom_unwatch(d);
	domcon_detach(d);
	vif_delete(d);
	dom_qsd_stop(d);
	memset(d->src, 0, sizeof(d->src));
	if (d->sd) {
		sched_dom_close(d->sd, true);
		d->sd = NULL;
	}
	dom_pidfile(d, false);
	store_delete_run(d->cfg.name);
	d->pid = 0;
	d->nics_changed = false;
	if (state != DS_CRASHED)
		d->live.id = -1;
	dom_set_state(d, state, reason);
	if (state != DS_CRASHED)
		dom_apply_pending(d);
	memset(&d->live.vnics, 0, sizeof(d->live.vnics));
	d->live.pty[0] = 0;
	log_info("dom %s: stopped (state %d reason %d)", d->cfg.name, state,
		 reason);
	if (!d->persistent && state != DS_CRASHED)
		dom_forget(d);
}

/* ---- hv's end ----
 *
 * hv closes its control socket as it exits; how it exited (status 10
 * reboot, 11 crash) chooses the on_* action, so its exit is awaited
 * first: on the loop (issue 12), at most HV_EXIT_WAIT_MS, seen at once
 * for our children (SIGCHLD: dom_child_exited) and by a HV_EXIT_POLL_MS
 * timer for adopted ones. Meanwhile the domain is as it was (its control
 * calls fail: hv's socket is closed); a destroy's answer waits for the
 * end (dom_when_stopped). */

#define HV_EXIT_WAIT_MS		5000
#define HV_EXIT_POLL_MS		20

struct dom_stop_waiter {
	struct dom_stop_waiter *next;
	void (*fn)(void *opaque);
	void *opaque;
};

struct dom_exit_wait {
	struct dom *d;
	int tfd;
	int64_t deadline;
	struct dom_stop_waiter *waiters;
};

/* Whether hv's exit is still to be seen (saved or migrated: hv's end is
 * watched by dom_save_wait_exit instead). */
static bool dom_exit_pending(struct dom *d)
{
	int st;

	if (!strcmp(d->hv_reason, "saved") || !strcmp(d->hv_reason, "migrated"))
		return false;
	if (d->child) {
		if (d->exit_status >= 0)
			return false;
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->exit_status = st;
			return false;
		}
		return true;
	}
	return kill(d->pid, 0) == 0;
}

/* How hv ended: "poweroff", "reboot", "crash", "destroyed" or "failed". */
static const char *dom_exit_kind(struct dom *d)
{
	if (d->child) {
		/* saved: the image is complete whatever hv did next */
		if (strcmp(d->hv_reason, "saved") && d->exit_status >= 0 &&
		    WIFEXITED(d->exit_status)) {
			switch (WEXITSTATUS(d->exit_status)) {
			case 10: return "reboot";
			case 11: return "crash";
			case 0:  break;
			default: return "failed";
			}
		}
	}
	if (!strcmp(d->hv_reason, "saved"))
		return "saved";
	if (d->destroying)
		return "destroyed";
	if (d->hv_reason[0])
		return d->hv_reason;
	return "destroyed";	/* killed without a word */
}

static void dom_hv_gone_end(struct dom *d);

/* hv's exit seen, or the wait's time is up: the domain ends (or
 * restarts), then whoever waits for that goes on. */
static void dom_exit_wait_end(struct dom_exit_wait *w)
{
	struct dom *d = w->d;
	struct dom_stop_waiter *s;

	loop_del(w->tfd);
	close(w->tfd);
	d->exit_wait = NULL;
	if (dom_exit_pending(d))
		log_warn("dom %s: hv %d closed its socket but did not exit "
			 "within %d ms", d->cfg.name, (int)d->pid,
			 HV_EXIT_WAIT_MS);
	dom_hv_gone_end(d);	/* d may be freed */
	while ((s = w->waiters)) {
		w->waiters = s->next;
		s->fn(s->opaque);
		free(s);
	}
	free(w);
}

static void dom_exit_tick(void *opaque, uint32_t events)
{
	struct dom_exit_wait *w = opaque;
	uint64_t n;

	(void)events;
	if (read(w->tfd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	if (!dom_exit_pending(w->d) || loop_now_ms() >= w->deadline)
		dom_exit_wait_end(w);
}

/* Start awaiting hv's exit: 0, or -errno (then it is not waited for). */
static int dom_exit_wait_start(struct dom *d)
{
	struct itimerspec its = {
		.it_interval = { 0, HV_EXIT_POLL_MS * 1000000L },
		.it_value = { 0, HV_EXIT_POLL_MS * 1000000L },
	};
	struct dom_exit_wait *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->d = d;
	w->deadline = loop_now_ms() + HV_EXIT_WAIT_MS;
	w->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (w->tfd < 0 || timerfd_settime(w->tfd, 0, &its, NULL) < 0 ||
	    loop_add(w->tfd, EPOLLIN, dom_exit_tick, w) < 0) {
		if (w->tfd >= 0)
			close(w->tfd);
		free(w);
		return -EIO;
	}
	d->exit_wait = w;
	return 0;
}

int dom_when_stopped(struct dom *d, void (*fn)(void *opaque), void *opaque)
{
	struct dom_stop_waiter *s, **pp;

	if (!d || !d->exit_wait)
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fn = fn;
	s->opaque = opaque;
	for (pp = &d->exit_wait->waiters; *pp; pp = &(*pp)->next)
		;
	*pp = s;
	return 1;
}

static bool dom_xvmd_stopping;

/* dom_hv_gone(): true when hv's exit is awaited (d stays until then),
 * false when the domain ended already (d may be freed). */
static bool dom_hv_end(struct dom *d)
{
	domcon_flush(d);
	dom_unwatch(d);
	if (d->exit_wait)	/* seen already: its exit is awaited */
		return true;
	if (dom_exit_pending(d) && dom_exit_wait_start(d) == 0) {
		/* a save or an outgoing migration hv did not finish fails
		 * now, as the domain's stop would answer it */
		dom_save_detach(d);
		dom_mig_detach(d);
		return true;	/* dom_exit_wait_end() goes on */
	}
	dom_hv_gone_end(d);
	return false;
}

void dom_hv_gone(struct dom *d)
{
	dom_hv_end(d);
}

/* hv ended: apply on_poweroff/on_reboot/on_crash. */
static void dom_hv_gone_end(struct dom *d)
{
	char kind[16];
	enum dom_action act = DOM_ACT_DESTROY;
	int reason = DR_SHUTOFF_SHUTDOWN;
	struct verr e;

	snprintf(kind, sizeof(kind), "%s", dom_exit_kind(d));
	log_info("dom %s: hv ended (%s)", d->cfg.name, kind);
	if (!strcmp(kind, "poweroff")) {
		act = d->cfg.on_poweroff;
	} else if (!strcmp(kind, "reboot")) {
		act = d->cfg.on_reboot;
	} else if (!strcmp(kind, "crash")) {
		act = d->cfg.on_crash;
		reason = DR_SHUTOFF_CRASHED;
	} else {
		reason = !strcmp(kind, "failed") ? DR_SHUTOFF_FAILED :
			 !strcmp(kind, "saved") ? DR_SHUTOFF_SAVED :
			 !strcmp(kind, "migrated") ? DR_SHUTOFF_MIGRATED :
			 DR_SHUTOFF_DESTROYED;
	}
	if (dom_xvmd_stopping && act == DOM_ACT_RESTART)
		act = DOM_ACT_DESTROY;
	if (act == DOM_ACT_RESTART) {
		domcon_detach(d);
		if (dom_relaunch(d, kind, reason, &e) == 0)
			return;		/* dom_restart_end() tells the end */
		log_err("dom %s: restart failed: %s", d->cfg.name, e.msg);
	}
	if (act == DOM_ACT_PRESERVE && reason == DR_SHUTOFF_CRASHED)
		dom_stopped(d, DS_CRASHED, DR_CRASHED_PANICKED);
	else
		dom_stopped(d, DS_SHUTOFF, reason);
}

void dom_child_exited(pid_t pid, int status)
{
	struct dom *d;

	if (dom_qsd_reaped(pid, status))
		return;

	for (d = dom_first(); d; d = d->next)
		if (d->child && d->pid == pid) {
			d->exit_status = status;
			if (d->exit_wait)	/* awaited: the domain ends */
				dom_exit_wait_end(d->exit_wait);
			return;
		}
}

static int dom_check_running(struct dom *d, struct verr *e)
{
	int rc = dom_check_not_dom0(d, e);

	if (rc < 0)
		return rc;
	if (d->launch_job)	/* starting: "is being started" */
		return dom_check_idle(d, e);
	if (!dom_active(d) || d->state == DS_CRASHED || !d->pid)
		return verr_fail(e, -ESRCH, VERR_OPERATION_INVALID, "Requested "
				 "operation is not valid: domain is not "
				 "running");
	return 0;
}

/* May op be asked of d now? (destroy has its own rules) */
static int dom_op_check(struct dom *d, enum dom_op op, struct verr *e)
{
	int rc = dom_check_running(d, e);

	/* during an outgoing migration (virsh migrate --timeout suspends):
	 * hv pauses and sends the rest at once, whatever the downtime */
	if (rc == 0 && !(op == DOM_OP_SUSPEND && d->mig_job))
		rc = dom_check_idle(d, e);
	if (rc < 0)
		return rc;
	if (op == DOM_OP_SHUTDOWN && d->state == DS_PAUSED)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested operation "
				"is not valid: domain is paused");
	if (op == DOM_OP_RESUME && d->state != DS_PAUSED)
		return verr_set(e, VERR_OPERATION_INVALID, "Requested operation "
				"is not valid: domain is not paused");
	return 0;
}

static const char *const dom_op_method[] = {
	[DOM_OP_SHUTDOWN] = "shutdown", [DOM_OP_REBOOT] = "reset",
	[DOM_OP_DESTROY] = "destroy", [DOM_OP_SUSPEND] = "pause",
	[DOM_OP_RESUME] = "resume",
};

/* hv did op: what xvmd records of it. */
static void dom_op_applied(struct dom *d, enum dom_op op)
{
	if (op == DOM_OP_SUSPEND)
		dom_set_state(d, DS_PAUSED, DR_PAUSED_USER);
	else if (op == DOM_OP_RESUME)
		dom_set_state(d, DS_RUNNING, DR_RUNNING_UNPAUSED);
}

/* Destroy when hv is not asked (or did not answer): kill it. 2 when
 * its exit is awaited (d stays until then), 0 when the domain ended
 * (d may be freed). */
static int dom_destroy_kill(struct dom *d)
{
	kill(d->pid, SIGKILL);
	return dom_hv_end(d) ? 2 : 0;
}

/* The part of destroy before hv is asked: 1 if hv must be asked, 0 if
 * the domain is destroyed already (d may be freed), 2 if hv was killed
 * and its exit is awaited, -errno with e. */
static int dom_destroy_begin(struct dom *d, struct verr *e)
{
	int rc = dom_check_not_dom0(d, e);

	if (rc < 0)
		return rc;
	if (d->state == DS_CRASHED && d->live.id >= 0 && !d->pid) {
		d->live.id = -1;
		dom_set_state(d, DS_SHUTOFF, DR_SHUTOFF_CRASHED);
		if (!d->persistent)
			dom_forget(d);
		return 0;
	}
	rc = dom_check_running(d, e);
	if (rc == 0 && d->launch_job)	/* its end is the restore's */
		rc = dom_check_idle(d, e);
	if (rc < 0)
		return rc;
	d->destroying = true;
	if (d->save_job || d->mig_job)	/* hv is busy: no answer */
		return dom_destroy_kill(d);
	return 1;
}

int dom_shutdown(struct dom *d, struct verr *e)
{
	int rc = dom_op_check(d, DOM_OP_SHUTDOWN, e);

	return rc < 0 ? rc : dom_hv_call(d, "shutdown", NULL, e);
}

/* xvmd's own stop: hv's exit may still be awaited after (dom_exits_wait
 * lets it end). */
int dom_destroy(struct dom *d, struct verr *e)
{
	int rc = dom_destroy_begin(d, e);

	if (rc != 1)
		return rc < 0 ? rc : 0;
	if (dom_hv_call(d, "destroy", NULL, e) < 0) {
		log_warn("dom %s: %s; killing hv", d->cfg.name, e->msg);
		kill(d->pid, SIGKILL);
	}
	dom_hv_gone(d);
	return 0;
}

void dom_exits_wait(void)
{
	int64_t end = loop_now_ms() + HV_EXIT_WAIT_MS + 2 * VIF_CALL_MS + 1000;
	struct dom *d;
	bool any;

	do {
		for (any = false, d = dom_first(); d && !any; d = d->next)
			any = d->exit_wait != NULL;
		if (!any && !hvcall_pending())
			return;
		loop_run_once(HV_EXIT_POLL_MS);
	} while (loop_now_ms() < end);
}

int dom_destroy_now(struct dom *d, void (*fn)(void *opaque), void *opaque)
{
	d->destroying = true;
	if (dom_destroy_kill(d) == 2 && fn)
		return dom_when_stopped(d, fn, opaque);
	return 0;
}

/* A lifecycle call on its way to hv. The domain is found again by name
 * and hv's pid when hv answers: it may have ended (and a transient one
 * been forgotten) meanwhile. */
struct dom_op_call {
	char name[DOM_NAME_MAX + 1];
	pid_t pid;
	enum dom_op op;
	dom_op_done_fn done;
	void *opaque;
};

/* A destroy is answered once every storage daemon stopping let go of
 * its images (the domain's own among them): the client may use them. */
static void dom_op_destroyed(void *opaque)
{
	struct dom_op_call *oc = opaque;

	oc->done(oc->opaque, 0, NULL);
	free(oc);
}

/* The destroyed domain ended (hv's exit seen): its daemon's stop next. */
static void dom_destroy_ended(void *opaque)
{
	if (dom_qsd_when_stopped(dom_op_destroyed, opaque) <= 0)
		dom_op_destroyed(opaque);
}

/* A destroy's answer waits for hv's exit (d, unless NULL: gone already)
 * and the storage daemons' stops: 1 (oc answered then), 0: answer now. */
static int dom_destroy_wait(struct dom *d, struct dom_op_call *oc)
{
	return dom_when_stopped(d, dom_destroy_ended, oc) > 0 ||
	       dom_qsd_when_stopped(dom_op_destroyed, oc) > 0;
}

static void dom_op_hv_done(void *opaque, int rc, const json_t *result,
			   const char *msg)
{
	struct dom_op_call *oc = opaque;
	struct dom *d = dom_by_name(oc->name);
	bool same = d && d->pid == oc->pid && d->pid;
	struct verr e = { 0 };

	(void)result;
	if (oc->op == DOM_OP_DESTROY) {
		/* hv gone on its own meanwhile: destroyed all the same */
		bool waits = false;

		if (same) {
			if (rc < 0) {
				log_warn("dom %s: hv destroy: %s; killing hv",
					 oc->name, msg);
				kill(d->pid, SIGKILL);
			}
			waits = dom_hv_end(d);
		}
		if (dom_destroy_wait(waits ? d : NULL, oc))
			return;
		rc = 0;
	} else if (rc < 0) {
		verr_fail(&e, rc, VERR_OPERATION_FAILED, "operation failed: "
			  "hv %s of '%s': %s", dom_op_method[oc->op],
			  oc->name, msg);
	} else if (!same) {
		rc = verr_fail(&e, -ESRCH, VERR_OPERATION_INVALID, "Requested "
			       "operation is not valid: domain is not "
			       "running");
	} else {
		dom_op_applied(d, oc->op);
	}
	oc->done(oc->opaque, rc, rc < 0 ? &e : NULL);
	free(oc);
}

int dom_op_async(struct dom *d, enum dom_op op, dom_op_done_fn done,
		 void *opaque, struct verr *e)
{
	struct dom_op_call *oc;
	char path[512];
	int rc = op == DOM_OP_DESTROY ? dom_destroy_begin(d, e) :
		 dom_op_check(d, op, e);

	if (rc < 0)
		return rc;
	oc = calloc(1, sizeof(*oc));
	if (!oc) {
		if (op == DOM_OP_DESTROY) {
			if (rc == 1)
				dom_destroy_kill(d);
			return 0;
		}
		return verr_nomem(e);
	}
	oc->op = op;
	oc->done = done;
	oc->opaque = opaque;
	/* destroyed (d may be gone), or killed (its exit awaited) */
	if (op == DOM_OP_DESTROY && rc != 1) {
		if (dom_destroy_wait(rc == 2 ? d : NULL, oc))
			return 1;
		free(oc);
		return 0;
	}
	snprintf(oc->name, sizeof(oc->name), "%s", d->cfg.name);
	oc->pid = d->pid;
	store_run_path(path, sizeof(path), d->cfg.name, "sock");
	rc = hvcall_start(path, dom_op_method[op], NULL, HV_ASYNC_MS,
			  dom_op_hv_done, oc);
	if (rc == 0)
		return 1;
	if (op == DOM_OP_DESTROY) {
		log_warn("dom %s: cannot reach hv (%s); killing hv",
			 d->cfg.name, strerror(-rc));
		if (dom_destroy_wait(dom_destroy_kill(d) == 2 ? d : NULL, oc))
			return 1;
		free(oc);
		return 0;
	}
	free(oc);
	return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			 "cannot reach hv of '%s': %s", d->cfg.name,
			 strerror(-rc));
}

/* ---- xvmd stopping ---- */

bool dom_any_running(void)
{
	struct dom *d;

	for (d = dom_first(); d; d = d->next)
		if (!d->dom0 && d->pid)
			return true;
	return false;
}

static bool dom_any_to_stop(void)
{
	struct dom *d;

	for (d = dom_first(); d; d = d->next)
		if (!d->dom0 && d->pid && !d->cfg.leave_running)
			return true;
	return false;
}

static bool dom_any_launching(void)
{
	struct dom *d;

	for (d = dom_first(); d; d = d->next)
		if (d->launch_job)
			return true;
	return false;
}

void dom_stop_all(void)
{
	int64_t end = loop_now_ms() + (int64_t)dom_env.stop_timeout_s * 1000;
	struct dom *d, *next;
	struct verr e;

	dom_xvmd_stopping = true;
	loop_reset();
	/* starts (and on_reboot restarts) under way are undone at their
	 * next step: each waits for one call at most (VIF_CALL_MS,
	 * QSD_START_MS, HV_CALL_MS), hv's socket poll at once */
	for (d = dom_first(); d; d = d->next)
		if (d->launch_job) {
			log_info("dom %s: xvmd stops, its start is undone",
				 d->cfg.name);
			d->launch_job->cancelled = true;
			dom_qsd_start_cancel(d);
		}
	while (dom_any_launching() && loop_now_ms() < end)
		loop_run_once(100);
	for (d = dom_first(); d; d = d->next)
		if (!d->dom0 && d->pid && !d->cfg.leave_running &&
		    !d->launch_job && d->state != DS_PAUSED &&
		    dom_shutdown(d, &e) < 0)
			log_warn("dom %s: %s", d->cfg.name, e.msg);
	while (dom_any_to_stop() && loop_now_ms() < end)
		loop_run_once(200);
	for (d = dom_first(); d; d = next) {
		next = d->next;
		if (!d->dom0 && d->pid && !d->cfg.leave_running) {
			log_warn("dom %s: did not shut down, destroying",
				 d->cfg.name);
			dom_destroy(d, &e);
		} else if (d->pid) {
			log_info("dom %s: left running (on_xend_stop=ignore)",
				 d->cfg.name);
		}
	}
	/* the stopped domains' VNIC deletes wait for vswitchd on the loop:
	 * let them end (each call's own limit bounds this) */
	end = loop_now_ms() + 2 * VIF_CALL_MS + 1000;
	while (hvcall_pending() && loop_now_ms() < end)
		loop_run_once(100);
}
