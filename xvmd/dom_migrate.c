/*
 * Live migration between two xvmd (libvirt's v3 sequence, driven by the
 * client: proc_migrate.c decodes it). The guest's state goes hv to hv:
 *
 *   source begin:    the running domain's XML
 *   dest prepare:    the XML becomes a domain here (dom_saved_take: a
 *                    transient one, or a shut-off persistent one runs it),
 *                    xvmd listens on a free relocation port and starts hv
 *                    with --incoming unix:$XVM_RUNDIR/hv/NAME.mig;
 *                    answered (uri_out tcp:ADDR:PORT) once hv listens
 *   source perform:  hv's control method migrate {uri}; answered when hv
 *                    has sent everything and the destination said 'K':
 *                    the source hv exits, the domain stops (migrated)
 *   dest finish:     answered once the incoming hv opened its control
 *                    socket (it loaded the whole stream) or failed (then
 *                    everything made here is gone); image disks: the
 *                    domain's qemu-storage-daemon starts here now
 *   source confirm:  --undefinesource; a cancelled migration leaves the
 *                    source guest running (hv resumed it)
 *
 * Image disks (qemu-storage-daemon, vhost-user-blk) on storage both hosts
 * see: the source's daemon holds QEMU's locks on the images until it
 * exits, so the destination's may open them only after. The incoming hv
 * starts without a backend (--vhost-user-blk SOCK,wait,queues=N): it
 * loads the stream, the guest runs and its disk requests wait in the
 * rings. The source stops its daemon once its hv sent everything and
 * exited, before perform is answered (mig_out_sent); finish, which the
 * client (or the source xvmd with --p2p) calls only after that answer,
 * starts the destination's daemon (mig_in_disks), and hv, trying the
 * socket every 10 ms, connects and restarts the rings where they stood.
 * A migration that fails before that leaves the source's daemon and
 * guest as they were and no daemon here. A daemon that cannot start at
 * finish fails finish with its message; the guest (now only here) runs
 * on with its image disks waiting.
 *
 * hv has no peer filter and takes the first connection, so it never
 * listens on the network: xvmd owns the relocation port, refuses peers
 * not in --relocation-hosts-allow before reading a byte (logged; it waits
 * on for the real source), and relays the first allowed peer's stream to
 * hv's unix socket and hv's answer back. Everything runs on the loop
 * thread; the relay moves 256 KiB per wake-up, so other clients are
 * served during the stream.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include "xvm/log.h"
#include "loop.h"
#include "dom.h"
#include "dom_migrate.h"
#include "dom_disk.h"
#include "dom_run.h"
#include "resolve.h"
#include "store.h"

#define MIG_POLL_MS	10	/* looks for hv's socket */

/* ---- the destination: incoming migrations ---- */

enum mig_in_state {
	MIG_IN_STARTING,	/* hv builds its VM, not yet listening */
	MIG_IN_LISTENING,	/* prepare answered, the stream may come */
	MIG_IN_RUNNING,		/* hv loaded the stream and runs the guest */
	MIG_IN_FAILED,		/* everything undone; err says why */
};

#define MIG_RELAY_BUF	(256u << 10)

struct dom_mig_in;

/* One end of the relay, the opaque of its fd's watch. */
struct mig_end {
	struct dom_mig_in *j;
	int i;			/* 0: the peer (TCP), 1: hv (unix) */
};

/* The stream's way in: the peer's TCP connection on our relocation port
 * to the incoming hv's unix socket, both ways (the stream to hv, hv's
 * one-byte answer back). */
struct mig_relay {
	int fd[2];
	struct mig_end end[2];
	uint8_t *buf[2];	/* buf[i]: read from fd[i], for fd[!i] */
	size_t len[2], off[2];
	bool eof[2];		/* fd[i] sends nothing more */
	bool connected;		/* fd[1] reached hv */
	uint64_t rx;		/* bytes read from the peer */
};

struct dom_mig_in {
	char name[DOM_NAME_MAX + 1];
	struct dom *d;		/* NULL once failed (dropped) */
	bool created;		/* a transient domain made for it */
	struct dom_restore rs;	/* d->restore while hv starts */
	char hvsock[108];	/* hv's --incoming unix socket */
	char hvuri[116];	/* "unix:" hvsock */
	char uri[INET6_ADDRSTRLEN + 16];	/* tcp:ADDR:PORT, the source's */
	int lfd;		/* our relocation listener, -1 once taken */
	struct mig_relay *relay;
	enum mig_in_state state;
	bool cancelled;		/* finish said so: freed when hv is gone */
	char peer[INET6_ADDRSTRLEN];
	struct verr err;
	int tfd;		/* MIG_POLL_MS timer, -1 when stopped */
	int64_t started;	/* prepare, for domjobinfo */
	uint64_t bytes;		/* of the stream, passed on to hv */
	dom_mig_prepared_fn prepared;	/* prepare's answer, until given */
	void *prep_opaque;
	dom_mig_finished_fn finished;	/* finish's answer, when it waits */
	void *fin_opaque;
	struct dom_mig_in *next;
};

static struct dom_mig_in *mig_ins;

static struct dom_mig_in *mig_in_find(const char *name)
{
	struct dom_mig_in *j;

	for (j = mig_ins; j; j = j->next)
		if (!strcmp(j->name, name))
			return j;
	return NULL;
}

static void mig_close_fd(int *fd)
{
	if (*fd < 0)
		return;
	loop_del(*fd);
	close(*fd);
	*fd = -1;
}

static void mig_relay_free(struct dom_mig_in *j)
{
	struct mig_relay *r = j->relay;

	if (!r)
		return;
	mig_close_fd(&r->fd[0]);
	mig_close_fd(&r->fd[1]);
	free(r->buf[0]);
	free(r->buf[1]);
	free(r);
	j->relay = NULL;
}

static void mig_in_free(struct dom_mig_in *j)
{
	struct dom_mig_in **pp;

	for (pp = &mig_ins; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	mig_close_fd(&j->tfd);
	mig_close_fd(&j->lfd);
	mig_relay_free(j);
	free(j);
}

/* What each end waits for: reading while its buffer is empty and it has
 * not ended, writing while the other end's bytes are pending. */
static void mig_relay_watch(struct mig_relay *r)
{
	int i;

	for (i = 0; i < 2; i++) {
		uint32_t ev = 0;

		if (!r->eof[i] && r->len[i] == 0)
			ev |= EPOLLIN;
		if (r->len[!i] > r->off[!i])
			ev |= EPOLLOUT;
		loop_mod(r->fd[i], ev);
	}
}

/* End i is ready: read from it, write to it what the other sent. False
 * when the relay is over (both ways done, or broken). */
static bool mig_relay_pump(struct mig_relay *r, int i, uint32_t events)
{
	ssize_t n;

	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !r->eof[i] &&
	    r->len[i] == 0) {
		n = read(r->fd[i], r->buf[i], MIG_RELAY_BUF);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		if (n == 0) {
			r->eof[i] = true;
			shutdown(r->fd[!i], SHUT_WR);
		} else if (n > 0) {
			if (i == 0)
				r->rx += (uint64_t)n;
			r->len[i] = (size_t)n;
			r->off[i] = 0;
		}
	}
	if ((events & (EPOLLOUT | EPOLLERR)) && r->len[!i] > r->off[!i]) {
		n = send(r->fd[i], r->buf[!i] + r->off[!i],
			 r->len[!i] - r->off[!i], MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		if (n > 0)
			r->off[!i] += (size_t)n;
		if (r->off[!i] == r->len[!i]) {
			r->len[!i] = r->off[!i] = 0;
			if (r->eof[!i])
				shutdown(r->fd[i], SHUT_WR);
		}
	}
	return !(r->eof[0] && r->eof[1] && !r->len[0] && !r->len[1]);
}

static void mig_relay_event(void *opaque, uint32_t events)
{
	struct mig_end *end = opaque;
	struct dom_mig_in *j = end->j;
	bool more = mig_relay_pump(j->relay, end->i, events);

	j->bytes = j->relay->rx;
	if (!more) {
		log_debug("dom %s: migration stream relay ended", j->name);
		mig_relay_free(j);	/* hv's end tells the outcome */
		return;
	}
	mig_relay_watch(j->relay);
}

/* Reach hv's socket (it may not listen yet: the timer tries again).
 * 0 connected, -EAGAIN not yet, other -errno: give up. */
static int mig_relay_connect(struct dom_mig_in *j)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct mig_relay *r = j->relay;
	int fd, rc;

	strcpy(sa.sun_path, j->hvsock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		close(fd);
		return rc == -ENOENT || rc == -ECONNREFUSED ? -EAGAIN : rc;
	}
	fcntl(fd, F_SETFL, O_NONBLOCK);
	r->fd[1] = fd;
	if (loop_add(fd, EPOLLIN, mig_relay_event, &r->end[1]) < 0) {
		r->fd[1] = -1;
		close(fd);
		return -EIO;
	}
	r->connected = true;
	mig_relay_watch(r);
	return 0;
}

/* A peer on the relocation port: refused unless --relocation-hosts-allow
 * has it (logged; the listener waits on for the real source); the first
 * allowed one is the stream. */
static void mig_in_accept(void *opaque, uint32_t events)
{
	struct dom_mig_in *j = opaque;
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);
	struct mig_relay *r;
	char who[INET6_ADDRSTRLEN];
	int fd;

	(void)events;
	fd = accept4(j->lfd, (struct sockaddr *)&peer, &len,
		     SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	netallow_addr_str((struct sockaddr *)&peer, who, sizeof(who));
	if (!netallow_match(&dom_env.reloc_allow, (struct sockaddr *)&peer)) {
		log_warn("dom %s: migration stream from %s refused (not in "
			 "--relocation-hosts-allow)", j->name, who);
		close(fd);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->buf[0] = malloc(MIG_RELAY_BUF)) ||
	    !(r->buf[1] = malloc(MIG_RELAY_BUF))) {
		if (r)
			free(r->buf[0]);
		free(r);
		close(fd);
		return;
	}
	r->fd[0] = fd;
	r->fd[1] = -1;
	r->end[0] = (struct mig_end){ j, 0 };
	r->end[1] = (struct mig_end){ j, 1 };
	/* the peer is not read until hv is reached */
	if (loop_add(fd, 0, mig_relay_event, &r->end[0]) < 0) {
		free(r->buf[0]);
		free(r->buf[1]);
		free(r);
		close(fd);
		return;
	}
	j->relay = r;
	mig_close_fd(&j->lfd);		/* one stream */
	snprintf(j->peer, sizeof(j->peer), "%s", who);
	log_info("dom %s: migration stream from %s", j->name, who);
	if (mig_relay_connect(j) != -EAGAIN && !r->connected)
		mig_relay_free(j);
}

/* Every MIG_POLL_MS while hv starts: once its socket is there, prepare
 * is answered; a stream that came first is connected to it. */
static void mig_in_poll(void *opaque, uint32_t events)
{
	struct dom_mig_in *j = opaque;
	uint64_t n;

	(void)events;
	if (read(j->tfd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	if (j->state == MIG_IN_STARTING && j->prepared &&
	    access(j->hvsock, F_OK) == 0) {
		j->state = MIG_IN_LISTENING;
		log_info("dom %s: incoming migration waits on %s", j->name,
			 j->uri);
		j->prepared(j->prep_opaque, 0, NULL, j->uri);
		j->prepared = NULL;
	}
	if (j->relay && !j->relay->connected &&
	    mig_relay_connect(j) != -EAGAIN && !j->relay->connected)
		mig_relay_free(j);
}

/* hv ended its side of the stream (it answered 'K' before it opened its
 * control socket, or 'E' and exited): what it sent and the relay has not
 * yet passed on goes to the source now, or the source would take a
 * loaded guest for a failed migration and run it too. A few bytes into
 * an idle socket: they fit. */
static void mig_relay_flush(struct mig_relay *r)
{
	int guard = 64;
	ssize_t n;

	while (guard-- > 0) {
		if (r->len[1] > r->off[1]) {
			n = send(r->fd[0], r->buf[1] + r->off[1],
				 r->len[1] - r->off[1], MSG_NOSIGNAL);
			if (n <= 0)
				break;
			r->off[1] += (size_t)n;
			continue;
		}
		if (r->eof[1] || !r->connected)
			break;
		n = read(r->fd[1], r->buf[1], MIG_RELAY_BUF);
		if (n <= 0)
			break;
		r->len[1] = (size_t)n;
		r->off[1] = 0;
	}
}

/* Finish of a migration that arrived: the source's daemon is gone (its
 * perform was answered), so this domain's own starts on the images and
 * the incoming hv, waiting for it, connects. Waited for on the loop;
 * finish is answered once the daemon serves, or with its error (the
 * guest, now only here, runs on with its image disks waiting). */
struct mig_disks {
	char name[DOM_NAME_MAX + 1];
	struct dom *d;
	dom_mig_finished_fn finished;
	void *opaque;
};

static int mig_in_disks_failed(const char *name, int rc, const char *why,
			       struct verr *e)
{
	char msg[sizeof(e->msg)];

	snprintf(msg, sizeof(msg), "%s", why);
	log_err("dom %s: migrated in, but its image disks have no storage "
		"daemon (they wait; the guest runs here): %s", name, msg);
	return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			 "domain '%s' runs here, but its image disks wait for "
			 "their storage daemon: %s", name, msg);
}

static void mig_in_disks_done(void *opaque, int rc, const struct verr *e)
{
	struct mig_disks *m = opaque;
	struct verr e2 = { 0 };

	if (rc == -ECANCELED) {		/* destroyed meanwhile */
		e2 = *e;
	} else if (rc < 0) {
		mig_in_disks_failed(m->name, rc, e->msg, &e2);
	} else {
		log_info("dom %s: qemu-storage-daemon %d started after the "
			 "migration: the image disks go on", m->name,
			 (int)m->d->qsd_pid);
	}
	m->finished(m->opaque, rc, rc < 0 ? &e2 : NULL, rc < 0 ? NULL : m->d);
	free(m);
}

/* 0: no daemon to start (none is needed, or it runs), finish goes on
 * now; 1: finished() tells; -errno with e. */
static int mig_in_disks(struct dom *d, dom_mig_finished_fn finished,
			void *opaque, struct verr *e)
{
	struct mig_disks *m;
	bool need = false;
	int rc;

	for (unsigned int i = 0; i < d->cfg.ndisks; i++)
		need = need || dom_disk_qsd(&d->src[i]);
	if (!need || d->qsd_pid)
		return 0;
	if (dom_qsd_starting(d))
		return verr_fail(e, -EBUSY, VERR_OPERATION_INVALID, "Requested "
				 "operation is not valid: the migration of "
				 "'%s' is already being finished",
				 d->cfg.name);
	m = calloc(1, sizeof(*m));
	if (!m)
		return verr_nomem(e);
	snprintf(m->name, sizeof(m->name), "%s", d->cfg.name);
	m->d = d;
	m->finished = finished;
	m->opaque = opaque;
	rc = dom_qsd_start_async(d, mig_in_disks_done, m, e);
	if (rc <= 0)
		free(m);
	if (rc < 0)
		return mig_in_disks_failed(d->cfg.name, rc, e->msg, e);
	return rc;
}

/* The end of the wait: finish answered if it waits, else kept for it. */
static void mig_in_end(struct dom_mig_in *j, int rc, const struct verr *e)
{
	mig_close_fd(&j->tfd);
	mig_close_fd(&j->lfd);
	if (j->relay)
		mig_relay_flush(j->relay);
	mig_relay_free(j);
	unlink(j->hvsock);
	if (rc < 0) {
		j->state = MIG_IN_FAILED;
		j->err = *e;
		if (j->prepared) {	/* hv never listened */
			j->prepared(j->prep_opaque, rc, &j->err, NULL);
			mig_in_free(j);
			return;
		}
	} else {
		j->state = MIG_IN_RUNNING;
		if (j->prepared) {	/* a stream came before we looked */
			j->prepared(j->prep_opaque, 0, NULL, j->uri);
			j->prepared = NULL;
		}
	}
	if (j->cancelled && rc == 0) {	/* hv ran before the kill */
		dom_destroy_now(j->d, NULL, NULL);
		rc = verr_set(&j->err, VERR_OPERATION_FAILED, "operation "
			      "failed: migration of '%s' was cancelled",
			      j->name);
	}
	if (j->finished) {
		if (rc == 0) {	/* a failure: it runs on here, finish fails */
			rc = mig_in_disks(j->d, j->finished, j->fin_opaque,
					  &j->err);
			if (rc > 0) {	/* finished() once the daemon serves */
				mig_in_free(j);
				return;
			}
		}
		j->finished(j->fin_opaque, rc, &j->err, rc < 0 ? NULL : j->d);
		mig_in_free(j);
	} else if (rc == 0 || j->cancelled) {
		/* finish (if the client still comes) finds the domain by
		 * name; a failure stays for it until the name migrates again */
		mig_in_free(j);
	}
}

/* dom_launch_async() ended: hv loaded the stream and runs, or failed. */
static void mig_in_launched(void *opaque, struct dom *d, int rc,
			    const struct verr *e)
{
	struct dom_mig_in *j = opaque;

	d->restore = NULL;
	if (rc < 0) {
		log_warn("dom %s: incoming migration failed: %s", j->name,
			 e->msg);
		dom_saved_drop(d, j->created);
		j->d = NULL;
	} else {
		log_info("dom %s: migrated in from %s, id %d", j->name,
			 j->peer, d->live.id);
	}
	mig_in_end(j, rc, e);
}

/* "tcp:HOST[:PORT]" or "tcp://HOST[:PORT]" (HOST may be [V6]) from the
 * client (virsh --migrateuri) or the destination's uri_out. */
static int mig_parse_uri(const char *uri, char *host, size_t hlen, int *port,
			 struct verr *e)
{
	const char *p, *colon, *end;
	char *pe;
	long v;

	if (strncmp(uri, "tcp:", 4))
		goto bad;
	p = uri + 4;
	if (!strncmp(p, "//", 2))
		p += 2;
	if (*p == '[') {
		end = strchr(p, ']');
		if (!end)
			goto bad;
		p++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			goto bad;
	} else {
		colon = strrchr(p, ':');
		if (colon && strchr(p, ':') != colon)
			colon = NULL;		/* a bare IPv6 address */
		end = colon ? colon : p + strlen(p);
		if (end > p && end[-1] == '/')
			end--;
	}
	if (end == p || (size_t)(end - p) >= hlen)
		goto bad;
	memcpy(host, p, (size_t)(end - p));
	host[end - p] = 0;
	*port = 0;
	if (colon) {
		v = strtol(colon + 1, &pe, 10);
		if (!colon[1] || (*pe && strcmp(pe, "/")) || v < 1 || v > 65535)
			goto bad;
		*port = (int)v;
	}
	return 0;
bad:
	return verr_set(e, VERR_INVALID_ARG, "invalid argument: migration "
			"URI '%s': expected tcp:HOST[:PORT] or "
			"tcp://HOST[:PORT]", uri);
}

/* Our relocation listener on addr:port: the fd, or -errno. */
static int mig_listen(struct sockaddr_storage *sa, socklen_t len, int port)
{
	int fd, one = 1, rc = 0;

	if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
	fd = socket(sa->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)sa, len) < 0 || listen(fd, 8) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Our relocation listener's host and port: the client's URI, else
 * --relocation-address, else our address the client reached (a unix
 * socket client: loopback); port 0: the first free one from the
 * relocation port. 0 or -errno with e. */
static int mig_in_host(const char *uri_in, const char *local, char *host,
		       size_t hlen, int *port, struct verr *e)
{
	int rc;

	host[0] = 0;
	*port = 0;
	if (uri_in && (rc = mig_parse_uri(uri_in, host, hlen, port, e)) < 0)
		return rc;
	if (!host[0])
		snprintf(host, hlen, "%s", dom_env.reloc_addr[0] ?
			 dom_env.reloc_addr : local ? local : "127.0.0.1");
	return 0;
}

/* Listen on sa (host's address: one of this host's, or the bind fails)
 * at port, or the first free port from the relocation port. */
static int mig_in_address(struct dom_mig_in *j, struct sockaddr_storage *sa,
			  socklen_t len, int port, struct verr *e)
{
	char num[INET6_ADDRSTRLEN];
	int p, rc = 0;

	netallow_addr_str((struct sockaddr *)sa, num, sizeof(num));
	for (p = port ? port : dom_env.reloc_port;
	     p < (port ? port + 1 : dom_env.reloc_port + DOM_MIG_PORTS); p++) {
		rc = mig_listen(sa, len, p);
		if (rc >= 0) {
			j->lfd = rc;
			snprintf(j->uri, sizeof(j->uri), "tcp:%s:%d", num, p);
			return 0;
		}
		if (rc != -EADDRINUSE)
			break;
	}
	if (port || rc != -EADDRINUSE)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot listen for the migration on "
				 "%s port %d: %s", num, port ? port :
				 dom_env.reloc_port, strerror(-rc));
	return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			 "relocation ports %d-%d on %s are all in use",
			 dom_env.reloc_port,
			 dom_env.reloc_port + DOM_MIG_PORTS - 1, num);
}

static int mig_flags_ok(uint64_t flags, struct verr *e)
{
	if (flags & DOM_MIG_P2P)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: "
				"VIR_MIGRATE_PEER2PEER belongs to the source's "
				"perform only");
	if (flags & ~DOM_MIG_FLAGS_OK)
		return verr_set(e, VERR_ARGUMENT_UNSUPPORTED, "argument "
				"unsupported: migration flags 0x%llx are not "
				"supported (xvmd migrates live, memory only, "
				"over tcp: --live, --p2p, --persistent, "
				"--undefinesource)", (unsigned long long)
				(flags & ~DOM_MIG_FLAGS_OK));
	return 0;
}

/* Another migration of name waits here; a failed one nobody finished is
 * forgotten now. */
static bool mig_in_busy(const char *name)
{
	struct dom_mig_in *o = mig_in_find(name);

	if (o && o->state == MIG_IN_FAILED && !o->cancelled) {
		mig_in_free(o);
		return false;
	}
	return o != NULL;
}

static int mig_in_timer(struct dom_mig_in *j, struct verr *e)
{
	struct itimerspec its = {
		.it_interval = { 0, MIG_POLL_MS * 1000000L },
		.it_value = { 0, MIG_POLL_MS * 1000000L },
	};
	int rc;

	j->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (j->tfd < 0 || timerfd_settime(j->tfd, 0, &its, NULL) < 0 ||
	    loop_add(j->tfd, EPOLLIN, mig_in_poll, j) < 0) {
		rc = -errno;
		if (j->tfd >= 0)
			close(j->tfd);
		j->tfd = -1;
		return verr_fail(e, rc, VERR_INTERNAL, "timerfd: %s",
				 strerror(-rc));
	}
	return 0;
}

/* The domain of xml, checked: the name free of another migration. */
static int mig_in_domain(struct dom_mig_in *j, const char *xml,
			 const char *dname, struct verr *e)
{
	int rc = dom_saved_take(xml, &j->d, &j->created, e);

	if (rc < 0)
		return rc;
	snprintf(j->name, sizeof(j->name), "%s", j->d->cfg.name);
	if (dname && strcmp(dname, j->name))
		rc = verr_set(e, VERR_ARGUMENT_UNSUPPORTED, "argument "
			      "unsupported: renaming the domain while "
			      "migrating (--dname) is not supported");
	else if (mig_in_busy(j->name))
		rc = verr_fail(e, -EBUSY, VERR_OPERATION_INVALID, "Requested "
			       "operation is not valid: domain '%s' is "
			       "already being migrated in", j->name);
	else if (store_run_path(j->hvsock, sizeof(j->hvsock), j->name,
				"mig") < 0)
		rc = verr_set(e, VERR_OPERATION_FAILED, "operation failed: "
			      "the migration socket path of '%s' is too long",
			      j->name);
	if (rc < 0) {
		dom_saved_drop(j->d, j->created);
		j->d = NULL;
	}
	return rc;
}

/* Prepare once the relocation address (sa, len) is known: 0 (prepared()
 * tells the end), or -errno with e (prepared() not called). */
static int mig_prepare_go(const char *xml, const char *dname,
			  struct sockaddr_storage *sa, socklen_t len,
			  int port, dom_mig_prepared_fn prepared, void *opaque,
			  struct verr *e)
{
	struct dom_mig_in *j;
	int rc;

	j = calloc(1, sizeof(*j));
	if (!j)
		return verr_nomem(e);
	j->tfd = j->lfd = -1;
	j->started = loop_now_ms();
	rc = mig_in_domain(j, xml, dname, e);
	if (rc == 0)
		rc = mig_in_address(j, sa, len, port, e);
	if (rc == 0 && loop_add(j->lfd, EPOLLIN, mig_in_accept, j) < 0)
		rc = verr_fail(e, -EIO, VERR_INTERNAL, "cannot watch the "
			       "relocation listener");
	if (rc == 0)
		rc = mig_in_timer(j, e);
	if (rc < 0)
		goto fail;
	snprintf(j->hvuri, sizeof(j->hvuri), "unix:%s", j->hvsock);
	j->rs.incoming = j->hvuri;
	j->prepared = prepared;
	j->prep_opaque = opaque;
	j->d->restore = &j->rs;
	rc = dom_launch_async(j->d, mig_in_launched, j, e);
	if (rc < 0) {
		j->d->restore = NULL;
		goto fail;
	}
	j->next = mig_ins;
	mig_ins = j;
	log_info("dom %s: incoming migration prepared on %s, hv pid %d",
		 j->name, j->uri, (int)j->d->pid);
	return 0;
fail:
	if (j->d)
		dom_saved_drop(j->d, j->created);
	mig_close_fd(&j->tfd);
	if (j->lfd >= 0) {
		loop_del(j->lfd);
		close(j->lfd);
	}
	free(j);
	return rc;
}

/* A prepare whose relocation host is a name: looked up beside the loop
 * (resolve.c), the rest of prepare after. */
struct mig_prep {
	char *xml, *dname;
	char host[sizeof(dom_env.reloc_addr)];
	int port;
	dom_mig_prepared_fn prepared;
	void *opaque;
};

static void mig_prep_free(struct mig_prep *p)
{
	free(p->xml);
	free(p->dname);
	free(p);
}

static void mig_prep_resolved(void *opaque, int gai, const struct addrinfo *ai)
{
	struct mig_prep *p = opaque;
	struct sockaddr_storage sa;
	struct verr e = { 0 };
	int rc;

	if (gai != 0) {
		rc = verr_set(&e, VERR_INVALID_ARG, "invalid argument: "
			      "migration address '%s': %s", p->host,
			      gai_strerror(gai));
	} else {
		memcpy(&sa, ai->ai_addr, ai->ai_addrlen);
		rc = mig_prepare_go(p->xml, p->dname, &sa, ai->ai_addrlen,
				    p->port, p->prepared, p->opaque, &e);
	}
	if (rc < 0)
		p->prepared(p->opaque, rc, &e, NULL);
	mig_prep_free(p);
}

int dom_mig_prepare(const char *xml, const char *dname, const char *uri_in,
		    const char *local, uint64_t flags,
		    dom_mig_prepared_fn prepared, void *opaque, struct verr *e)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST };
	char host[sizeof(dom_env.reloc_addr)];
	struct sockaddr_storage sa;
	struct addrinfo *ai;
	struct mig_prep *p;
	struct resolve *res;
	int port, rc;

	rc = mig_flags_ok(flags, e);
	if (rc == 0)
		rc = mig_in_host(uri_in, local, host, sizeof(host), &port, e);
	if (rc < 0)
		return rc;
	/* a numeric address (the default) needs no lookup */
	if (getaddrinfo(host, NULL, &hints, &ai) == 0) {
		socklen_t len = ai->ai_addrlen;

		memcpy(&sa, ai->ai_addr, len);
		freeaddrinfo(ai);
		return mig_prepare_go(xml, dname, &sa, len, port, prepared,
				      opaque, e);
	}
	/* a name: looked up in a thread (it may wait on DNS) */
	p = calloc(1, sizeof(*p));
	if (!p || !(p->xml = strdup(xml)) ||
	    (dname && !(p->dname = strdup(dname)))) {
		if (p)
			mig_prep_free(p);
		return verr_nomem(e);
	}
	snprintf(p->host, sizeof(p->host), "%s", host);
	p->port = port;
	p->prepared = prepared;
	p->opaque = opaque;
	hints.ai_flags = 0;
	rc = resolve_start(host, NULL, &hints, mig_prep_resolved, p, &res);
	if (rc < 0) {
		mig_prep_free(p);
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot look up %s: %s", host,
				 rc == -EAGAIN ? "too many name lookups run; "
				 "try again" : strerror(-rc));
	}
	return 0;
}

/* A cancelled finish whose domain's end was awaited. */
struct mig_cancel {
	char name[DOM_NAME_MAX + 1];
	dom_mig_finished_fn finished;
	void *opaque;
};

static void mig_cancel_done(void *opaque)
{
	struct mig_cancel *c = opaque;
	struct verr e;
	int rc = verr_set(&e, VERR_OPERATION_FAILED, "operation failed: "
			  "migration of '%s' was cancelled", c->name);

	c->finished(c->opaque, rc, &e, NULL);
	free(c);
}

int dom_mig_finish(const char *name, bool cancelled, uint64_t flags,
		   dom_mig_finished_fn finished, void *opaque, struct dom **out,
		   struct verr *e)
{
	struct dom_mig_in *j = mig_in_find(name);
	struct dom *d;
	int rc;

	if (!j) {
		/* it may have arrived before finish was called */
		d = dom_by_name(name);
		if (!cancelled && d && dom_active(d) && d->state == DS_RUNNING &&
		    d->reason == DR_RUNNING_MIGRATED) {
			rc = mig_in_disks(d, finished, opaque, e);
			if (rc != 0)
				return rc;
			*out = d;
			return dom_mig_persist(d, flags, e);
		}
		return verr_set(e, VERR_NO_DOMAIN, "Domain not found: no "
				"incoming migration of domain '%s'", name);
	}
	if (cancelled) {
		/* the source gave up: whatever came here goes (hv killed:
		 * the source's guest runs on), answered once it ended */
		log_info("dom %s: incoming migration cancelled", name);
		if (j->state == MIG_IN_RUNNING) {
			struct mig_cancel *c = calloc(1, sizeof(*c));

			d = j->d;
			mig_in_free(j);
			if (c) {
				snprintf(c->name, sizeof(c->name), "%s", name);
				c->finished = finished;
				c->opaque = opaque;
			}
			if (dom_destroy_now(d, c ? mig_cancel_done : NULL,
					    c) > 0)
				return 1;
			free(c);
		} else if (j->state == MIG_IN_FAILED) {
			mig_in_free(j);
		} else {	/* hv still waits: its end frees j */
			/* a prepare still waiting gets hv's end */
			j->cancelled = true;
			if (j->d->pid > 0)
				kill(j->d->pid, SIGKILL);
		}
		return verr_set(e, VERR_OPERATION_FAILED, "operation failed: "
				"migration of '%s' was cancelled", name);
	}
	if (j->state == MIG_IN_FAILED) {
		rc = verr_fail(e, -EIO, j->err.code, "%s", j->err.msg);
		mig_in_free(j);
		return rc;
	}
	if (j->state != MIG_IN_RUNNING) {
		if (j->finished || j->cancelled)
			return verr_fail(e, -EBUSY, VERR_OPERATION_INVALID,
					 "Requested operation is not valid: "
					 "the migration of '%s' is already "
					 "being finished", name);
		j->finished = finished;
		j->fin_opaque = opaque;
		return 1;
	}
	d = j->d;
	mig_in_free(j);
	rc = mig_in_disks(d, finished, opaque, e);
	if (rc != 0)
		return rc;
	*out = d;
	return dom_mig_persist(d, flags, e);
}

int dom_mig_persist(struct dom *d, uint64_t flags, struct verr *e)
{
	bool was = d->persistent;
	int rc;

	if (!(flags & DOM_MIG_PERSIST_DEST))
		return 0;
	/* the migrated definition is stored first; only then is the
	 * domain persistent and an older pending definition dropped */
	d->persistent = true;
	rc = dom_def_store(d, &d->cfg, e);
	if (rc < 0) {
		d->persistent = was;
		return rc;
	}
	free(d->pending);
	d->pending = NULL;
	return 0;
}

/* The incoming domain is destroyed while its hv waits: dom_launch_async
 * reports the end itself. Nothing else to do here. */

/* ---- the source: our hv sends the guest ---- */

#define MIG_CTL_MAX	8	/* control calls waiting for hv at once */
#define MIG_INFO_MS	500	/* migrate.info polled this often */

/* A control call on the job's connection, waiting for hv's reply. */
struct mig_ctl {
	int id;			/* 0: free */
	dom_mig_ctl_fn fn;	/* NULL: our own migrate.info poll */
	void *opaque;
};

struct dom_mig_out {
	struct dom *d;		/* NULL once the domain stopped */
	char name[DOM_NAME_MAX + 1];
	int sock;		/* our connection to hv's control socket */
	char buf[4096];
	size_t len;
	int64_t started;
	dom_mig_done_fn done;
	void *opaque;
	/* the user's controls, on the same connection as migrate (id 1):
	 * hv serves them while it sends */
	int next_id;
	struct mig_ctl ctl[MIG_CTL_MAX];
	int tfd;		/* MIG_INFO_MS timer */
	bool info_waiting;	/* our poll is out */
	json_t *info;		/* hv's last migrate.info, or NULL */
	bool cancelled;		/* domjobabort went to hv */
};

int64_t dom_mig_elapsed_ms(const struct dom *d)
{
	return d->mig_job ? loop_now_ms() - d->mig_job->started : -1;
}

int64_t dom_mig_in_elapsed_ms(const struct dom *d, uint64_t *bytes)
{
	struct dom_mig_in *j = mig_in_find(d->cfg.name);

	if (!j || j->d != d || j->cancelled)
		return -1;
	*bytes = j->bytes;
	return loop_now_ms() - j->started;
}

const json_t *dom_mig_info(const struct dom *d)
{
	return d->mig_job ? d->mig_job->info : NULL;
}

/* One request line to hv, not waiting: a short line into an idle unix
 * socket goes at once or the call fails. */
static int mig_out_send(struct dom_mig_out *j, int id, const char *method,
			json_t *params)
{
	json_t *req = json_pack("{s:i, s:s, s:o}", "id", id, "method", method,
				"params", params ? params : json_object());
	char *line = req ? json_dumps(req, JSON_COMPACT) : NULL;
	size_t n;
	ssize_t k;
	int rc = 0;

	json_decref(req);
	if (!line)
		return -ENOMEM;
	n = strlen(line);
	line[n] = '\n';	/* json_dumps leaves room for its NUL */
	k = send(j->sock, line, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (k != (ssize_t)n + 1)
		rc = k < 0 ? -errno : -EAGAIN;
	free(line);
	return rc;
}

static struct mig_ctl *mig_ctl_slot(struct dom_mig_out *j)
{
	for (int i = 0; i < MIG_CTL_MAX; i++)
		if (!j->ctl[i].id)
			return &j->ctl[i];
	return NULL;
}

int dom_mig_control(struct dom *d, const char *method, json_t *params,
		    dom_mig_ctl_fn fn, void *opaque, struct verr *e)
{
	struct dom_mig_out *j = d->mig_job;
	struct mig_ctl *slot = j ? mig_ctl_slot(j) : NULL;
	int rc;

	if (!j || !slot) {
		json_decref(params);
		return verr_fail(e, j ? -EBUSY : -ESRCH, VERR_OPERATION_INVALID,
				 "Requested operation is not valid: %s",
				 j ? "too many migration requests waiting for "
				 "hv" : "no migration is running");
	}
	rc = mig_out_send(j, j->next_id, method, params);
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot reach hv of '%s': %s",
				 j->name, strerror(-rc));
	*slot = (struct mig_ctl){ j->next_id++, fn, opaque };
	if (!strcmp(method, "migrate.cancel"))
		j->cancelled = true;
	return 0;
}

/* Every MIG_INFO_MS: ask hv how far it is (dom_mig_info answers
 * domjobinfo from the last reply, at once). */
static void mig_out_tick(void *opaque, uint32_t events)
{
	struct dom_mig_out *j = opaque;
	struct mig_ctl *slot = mig_ctl_slot(j);
	uint64_t n;

	(void)events;
	if (read(j->tfd, &n, sizeof(n)) < 0 || j->info_waiting || !slot)
		return;
	if (mig_out_send(j, j->next_id, "migrate.info", NULL) < 0)
		return;
	*slot = (struct mig_ctl){ j->next_id++, NULL, NULL };
	j->info_waiting = true;
}

static int mig_out_timer(struct dom_mig_out *j)
{
	struct itimerspec its = {
		.it_interval = { 0, MIG_INFO_MS * 1000000L },
		.it_value = { 0, 50 * 1000000L },
	};

	j->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (j->tfd < 0)
		return -errno;
	if (timerfd_settime(j->tfd, 0, &its, NULL) < 0 ||
	    loop_add(j->tfd, EPOLLIN, mig_out_tick, j) < 0) {
		close(j->tfd);
		j->tfd = -1;
		return -EIO;
	}
	return 0;
}

/* A reply to a control call (id > 1): its owner answered, or our cache
 * refreshed. */
static void mig_out_ctl_reply(struct dom_mig_out *j, int id, json_t *msg)
{
	json_t *res = json_object_get(msg, "result");
	const char *err = NULL;

	for (int i = 0; i < MIG_CTL_MAX; i++) {
		struct mig_ctl c = j->ctl[i];

		if (c.id != id)
			continue;
		j->ctl[i].id = 0;
		if (!c.fn) {
			j->info_waiting = false;
			if (res) {
				json_decref(j->info);
				j->info = json_incref(res);
			}
			return;
		}
		json_unpack(msg, "{s:{s:s}}", "error", "message", &err);
		c.fn(c.opaque, res ? 0 : -EIO, res, err ? err : "error");
		return;
	}
}

/* The job ends: whoever waits on a control call is told. */
static void mig_out_ctl_drop(struct dom_mig_out *j)
{
	for (int i = 0; i < MIG_CTL_MAX; i++) {
		struct mig_ctl c = j->ctl[i];

		j->ctl[i].id = 0;
		if (c.id && c.fn)
			c.fn(c.opaque, -ESRCH, NULL, "the migration ended "
			     "before hv answered");
	}
}

/* The job lets go of hv (its connection, the progress timer, whoever
 * waits on a control call). */
static void mig_out_release(struct dom_mig_out *j)
{
	if (j->sock >= 0) {
		loop_del(j->sock);
		close(j->sock);
		j->sock = -1;
	}
	if (j->tfd >= 0) {
		loop_del(j->tfd);
		close(j->tfd);
		j->tfd = -1;
	}
	if (j->d)
		j->d->mig_job = NULL;
	mig_out_ctl_drop(j);
}

static void mig_out_end(struct dom_mig_out *j, int rc, const struct verr *e)
{
	mig_out_release(j);
	json_decref(j->info);
	j->done(j->opaque, rc, e);
	free(j);
}

/* Every qemu-storage-daemon stopping ended: perform is answered. */
static void mig_out_sent_end(void *opaque)
{
	mig_out_end(opaque, 0, NULL);
}

static uint64_t mig_u64(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* Keep the job's figures on the domain for domjobinfo --completed: hv's
 * final answer res where there is one, else its last migrate.info. */
static void mig_out_record(struct dom_mig_out *j, struct dom *d, int type,
			   const json_t *res, const char *errmsg)
{
	struct dom_job_done *r;
	const json_t *info = j->info, *dt;

	if (!d)
		return;
	r = d->job_done ? d->job_done : malloc(sizeof(*r));
	if (!r)
		return;
	memset(r, 0, sizeof(*r));
	d->job_done = r;
	r->type = type;
	r->elapsed_ms = loop_now_ms() - j->started;
	r->total = mig_u64(info, "total");
	r->processed = mig_u64(info, "processed");
	r->remaining = mig_u64(info, "remaining");
	r->bandwidth = mig_u64(info, "bandwidth");
	r->dirty_rate = mig_u64(info, "dirty_rate");
	r->rounds = mig_u64(res ? res : info, "rounds");
	r->pages = mig_u64(res ? res : info, "pages");
	r->zero_pages = mig_u64(info, "zero_pages");
	r->bytes = mig_u64(res, "bytes");
	if (res) {
		r->processed = r->bytes > r->processed ? r->bytes :
			       r->processed;
		r->remaining = 0;
	}
	dt = json_object_get(res, "downtime_ms");
	r->downtime_ms = json_is_integer(dt) ? json_integer_value(dt) : -1;
	snprintf(r->errmsg, sizeof(r->errmsg), "%s", errmsg ? errmsg : "");
}

static void mig_out_fail(struct dom_mig_out *j, const char *why)
{
	struct verr e;

	if (j->cancelled)	/* domjobabort: libvirt's code and words */
		verr_set(&e, VERR_OPERATION_ABORTED, "operation aborted: "
			 "migration of '%s' cancelled by the client: %s",
			 j->name, why);
	else
		verr_set(&e, VERR_OPERATION_FAILED, "operation failed: "
			 "migration of '%s' failed: %s", j->name, why);
	log_warn("dom %s: %s", j->name, e.msg);
	mig_out_record(j, j->d, j->cancelled ? 5 : 4, NULL, e.msg);
	mig_out_end(j, -EIO, &e);
}

void dom_mig_detach(struct dom *d)
{
	struct dom_mig_out *j = d->mig_job;

	if (!j)
		return;
	j->d = NULL;
	d->mig_job = NULL;
	if (strcmp(d->hv_reason, "migrated")) {
		mig_out_record(j, d, 4, NULL, "the domain stopped during the "
			       "migration");
		mig_out_fail(j, "the domain stopped during the migration");
	}
}

/* hv's reply: the destination has the guest, this hv stops. */
static void mig_out_sent(struct dom_mig_out *j, json_t *res)
{
	struct dom *d = j->d;

	log_info("dom %s: migrated out (%lld pages in %lld rounds, %lld "
		 "bytes)", j->name,
		 (long long)json_integer_value(json_object_get(res, "pages")),
		 (long long)json_integer_value(json_object_get(res, "rounds")),
		 (long long)json_integer_value(json_object_get(res, "bytes")));
	if (d) {	/* else its end was seen first */
		mig_out_record(j, d, 3, res, NULL);
		d->mig_job = NULL;
		j->d = NULL;
		snprintf(d->hv_reason, sizeof(d->hv_reason), "migrated");
		dom_save_wait_exit(d);
		/* the images' locks go with the daemon, before perform is
		 * answered: the destination's starts at finish, after it */
		dom_qsd_stop(d);
		dom_hv_gone(d);	/* shut off (migrated); transient: freed */
	}
	/* the daemon stops on the loop (up to 5 s, then SIGKILL):
	 * perform's answer waits for its end, nothing else does */
	mig_out_release(j);
	if (dom_qsd_when_stopped(mig_out_sent_end, j) > 0) {
		log_info("dom %s: the migration waits for the end of its "
			 "qemu-storage-daemon", j->name);
		return;
	}
	mig_out_end(j, 0, NULL);
}

/* One line from hv: our reply (id 1) ends the job (true: j is freed). */
static bool mig_out_line(struct dom_mig_out *j, const char *line)
{
	json_t *msg = json_loads(line, 0, NULL);
	json_t *res = json_object_get(msg, "result");
	const char *err = NULL;
	char why[400];
	json_int_t id = json_integer_value(json_object_get(msg, "id"));

	if (msg && id > 1)
		mig_out_ctl_reply(j, (int)id, msg);
	if (!msg || id != 1) {
		json_decref(msg);
		return false;
	}
	if (res) {
		mig_out_sent(j, res);
	} else {
		json_unpack(msg, "{s:{s:s}}", "error", "message", &err);
		snprintf(why, sizeof(why), "hv: %.300s (the guest runs on "
			 "here)", err ? err : "error");
		mig_out_fail(j, why);
	}
	json_decref(msg);
	return true;
}

static void mig_out_event(void *opaque, uint32_t events)
{
	struct dom_mig_out *j = opaque;
	ssize_t n;
	char *nl;

	(void)events;
	n = read(j->sock, j->buf + j->len, sizeof(j->buf) - 1 - j->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		mig_out_fail(j, "hv ended during the migration");
		return;
	}
	j->len += (size_t)n;
	j->buf[j->len] = 0;
	while ((nl = strchr(j->buf, '\n'))) {
		*nl = 0;
		if (mig_out_line(j, j->buf))
			return;
		j->len -= (size_t)(nl + 1 - j->buf);
		memmove(j->buf, nl + 1, j->len + 1);
	}
	if (j->len == sizeof(j->buf) - 1)
		mig_out_fail(j, "hv sent a line too long");
}

/* Our own connection to hv's socket, the migrate call sent. */
static int mig_out_call(struct dom_mig_out *j, struct dom *d, const char *uri,
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
	/* the domain's downtime target and speed (virsh
	 * migrate-setmaxdowntime, migrate-setspeed, migrate --bandwidth) */
	req = json_pack("{s:i, s:s, s:{s:s, s:I, s:I}}", "id", 1, "method",
			"migrate", "params", "uri", uri, "downtime_ms",
			(json_int_t)(d->mig_downtime ? d->mig_downtime :
				     DOM_MIG_DOWNTIME_DEFAULT),
			"bandwidth_mib", (json_int_t)(d->mig_speed_once ?
				d->mig_speed_once : d->mig_speed));
	d->mig_speed_once = 0;
	if (req)
		line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line)
		return verr_nomem(e);
	errno = 0;
	j->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (j->sock < 0 || connect(j->sock, (struct sockaddr *)&sa,
				   sizeof(sa)) < 0 ||
	    dprintf(j->sock, "%s\n", line) < 0 ||
	    fcntl(j->sock, F_SETFL, O_NONBLOCK) < 0 ||
	    loop_add(j->sock, EPOLLIN, mig_out_event, j) < 0)
		rc = errno ? -errno : -EIO;
	free(line);
	if (rc < 0)
		return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				 "failed: cannot reach hv of '%s': %s",
				 d->cfg.name, strerror(-rc));
	return 0;
}

static int mig_out_check(struct dom *d, struct verr *e)
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
	return dom_check_nics_unchanged(d, "migrate", e);
}

int dom_mig_begin(struct dom *d, uint64_t flags, char **xml, struct verr *e)
{
	int rc = mig_flags_ok(flags, e);

	if (rc == 0)
		rc = mig_out_check(d, e);
	if (rc < 0)
		return rc;
	*xml = domxml_format(&d->cfg, NULL);
	return *xml ? 0 : verr_nomem(e);
}

int dom_mig_perform(struct dom *d, const char *uri, uint64_t flags,
		    dom_mig_done_fn done, void *opaque, struct verr *e)
{
	char host[INET6_ADDRSTRLEN + 1], hvuri[INET6_ADDRSTRLEN + 16];
	struct dom_mig_out *j;
	int port, rc;

	rc = mig_flags_ok(flags, e);
	if (rc == 0)
		rc = mig_out_check(d, e);
	if (rc < 0)
		return rc;
	if (!uri)
		return verr_set(e, VERR_INVALID_ARG, "invalid argument: no "
				"migration URI (the destination's prepare "
				"gives one)");
	rc = mig_parse_uri(uri, host, sizeof(host), &port, e);
	if (rc < 0)
		return rc;
	if (!port)
		port = DOM_MIG_PORT;
	snprintf(hvuri, sizeof(hvuri), "tcp:%s:%d", host, port);
	j = calloc(1, sizeof(*j));
	if (!j)
		return verr_nomem(e);
	j->sock = j->tfd = -1;
	j->next_id = 2;
	rc = mig_out_call(j, d, hvuri, e);
	if (rc == 0 && mig_out_timer(j) < 0)
		log_warn("dom %s: no migration progress timer", d->cfg.name);
	if (rc < 0) {
		if (j->sock >= 0)
			close(j->sock);
		free(j);
		return rc;
	}
	snprintf(j->name, sizeof(j->name), "%s", d->cfg.name);
	j->d = d;
	j->started = loop_now_ms();
	j->done = done;
	j->opaque = opaque;
	d->mig_job = j;
	log_info("dom %s: migrating to %s", d->cfg.name, hvuri);
	return 0;
}

int dom_mig_confirm(struct dom *d, uint64_t flags, bool cancelled,
		    struct verr *e)
{
	if (cancelled || !d)	/* the guest runs on; a transient one is gone */
		return 0;
	if (!(flags & DOM_MIG_UNDEFINE_SOURCE) || dom_active(d) ||
	    !d->persistent)
		return 0;
	log_info("dom %s: undefined after its migration", d->cfg.name);
	return dom_undefine(d, 0, e);
}
