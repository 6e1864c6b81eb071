/*
 * Peer-to-peer migration (virsh migrate --live --p2p DOM DESTURI): the
 * client only calls perform on the source, with the destination's URI;
 * this xvmd then is a libvirt client of the destination xvmd and runs the
 * rest of the v3 sequence itself: AUTH_LIST, CONNECT_OPEN xvm:///system,
 * PREPARE3_PARAMS with the domain's XML, hv's migrate to the uri_out it
 * got (dom_mig_perform()), FINISH3_PARAMS (cancelled if hv failed), its
 * own confirm (--undefinesource), CONNECT_CLOSE. One call at a time on a
 * non-blocking socket watched by the loop; the perform's answer waits
 * for the end; HOST is looked up in a thread (resolve.c), never in the
 * loop. Destinations: xvm+tcp://HOST[:PORT]/system,
 * xvm+tls://HOST[:PORT]/system (our client certificate from --pki-dir or
 * libvirt's places; the handshake and libvirt's confirmation byte come
 * first, on the loop too) and xvm+unix:///system?socket=PATH.
 */
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include "xvm/log.h"
#include "loop.h"
#include "dom_migrate.h"
#include "remote.h"
#include "resolve.h"
#include "stats.h"
#include "tls.h"

#define P2P_PROC_OPEN		1
#define P2P_PROC_CLOSE		2
#define P2P_PROC_AUTH_LIST	66
#define P2P_PROC_PREPARE	303	/* MIGRATE_PREPARE3_PARAMS */
#define P2P_PROC_FINISH		306	/* MIGRATE_FINISH3_PARAMS */
#define P2P_REPLY_MAX		(1u << 20)
/* How long the destination may take to connect, shake hands or answer
 * one call (hv's stream in between has its own progress checks): a
 * destination that accepts and then says nothing fails the migration
 * instead of holding it for ever. libvirt's client gives up after its
 * keepalive's 5 x 5 s; 30 s here. */
#define P2P_STEP_MS		30000

enum p2p_tls { P2P_TLS_NONE, P2P_TLS_HANDSHAKE, P2P_TLS_CONFIRM };

enum p2p_step { P2P_RESOLVE, P2P_AUTH, P2P_OPEN, P2P_PREPARE, P2P_SEND, P2P_FINISH,
		P2P_CLOSE };

struct mig_p2p {
	char name[DOM_NAME_MAX + 1];
	char desturi[512];
	char *xml;
	uint64_t flags;		/* without P2P: what the destination gets */
	enum p2p_step step;
	int fd;			/* -1 while the name is looked up */
	struct resolve *res;	/* that lookup (a thread: resolve.h) */
	char host[256], port[8];	/* the destination's, to look up */
	int tfd;		/* P2P_STEP_MS timer, armed while we wait */
	bool connected;		/* the non-blocking connect completed */
	struct tls_sess *tls;	/* xvm+tls://: everything goes through it */
	enum p2p_tls tls_state;	/* NONE once the session is usable */
	uint32_t serial, proc;	/* the call waiting for its reply */
	struct xdr_out out;	/* bytes to send, from out_off */
	size_t out_off;
	uint8_t *in;		/* the reply being read */
	size_t in_len, in_got;
	uint8_t lenbuf[4];
	size_t len_got;
	int rc;			/* the migration's outcome so far */
	struct verr err;
	dom_mig_done_fn done;
	void *opaque;
};

static void p2p_end(struct mig_p2p *p)
{
	resolve_cancel(p->res);
	if (p->tfd >= 0) {
		loop_del(p->tfd);
		close(p->tfd);
	}
	if (p->fd >= 0) {
		loop_del(p->fd);
		tls_sess_free(p->tls);
		close(p->fd);
	}
	p->done(p->opaque, p->rc, &p->err);
	xdr_out_free(&p->out);
	free(p->in);
	free(p->xml);
	free(p);
}

/* A failure (before hv sent anything, or after): the perform's error. */
PRINTF(2, 3)
static void p2p_fail(struct mig_p2p *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (p->rc == 0)
		p->rc = verr_vfail(&p->err, -EIO, VERR_OPERATION_FAILED, fmt,
				   ap);
	va_end(ap);
	log_warn("dom %s: peer-to-peer migration to %s: %s", p->name,
		 p->desturi, p->err.msg);
	p2p_end(p);
}

static void p2p_event(void *opaque, uint32_t events);

/* (Re)start the wait for the destination; ms 0 stops it. */
static void p2p_arm(struct mig_p2p *p, long ms)
{
	struct itimerspec its = {
		.it_value = { ms / 1000, (ms % 1000) * 1000000L },
	};

	if (p->tfd >= 0)
		timerfd_settime(p->tfd, 0, &its, NULL);
}

static void p2p_timeout(void *opaque, uint32_t events)
{
	static const char *const what[] = {
		[P2P_RESOLVE] = "resolve (name lookup)",
		[P2P_AUTH] = "connect, or answer AUTH_LIST",
		[P2P_OPEN] = "answer CONNECT_OPEN",
		[P2P_PREPARE] = "answer the migration's prepare",
		[P2P_FINISH] = "answer the migration's finish (the guest "
			       "left this host: see whether it runs there)",
	};
	struct mig_p2p *p = opaque;
	uint64_t n;

	(void)events;
	if (read(p->tfd, &n, sizeof(n)) < 0)
		return;
	if (p->step == P2P_CLOSE) {	/* done anyway */
		p2p_end(p);
		return;
	}
	if (p->step == P2P_SEND)
		return;
	p2p_fail(p, "operation failed: the destination %s did not %s within "
		 "%d s", p->desturi, what[p->step], P2P_STEP_MS / 1000);
}

/* Queue one CALL; args may be NULL. */
static void p2p_call(struct mig_p2p *p, uint32_t proc,
		     const struct xdr_out *args)
{
	size_t start = p->out.len;

	p->proc = proc;
	p->serial++;
	xdr_put_u32(&p->out, 0);
	xdr_put_u32(&p->out, REMOTE_PROGRAM);
	xdr_put_u32(&p->out, 1);
	xdr_put_u32(&p->out, proc);
	xdr_put_u32(&p->out, REMOTE_CALL);
	xdr_put_u32(&p->out, p->serial);
	xdr_put_u32(&p->out, REMOTE_OK);
	if (args)
		xdr_put_raw(&p->out, args->buf, args->len);
	xdr_patch_u32(&p->out, start, (uint32_t)(p->out.len - start));
	loop_mod(p->fd, EPOLLIN | EPOLLOUT);
	p2p_arm(p, P2P_STEP_MS);
}

/* remote_typed_param of type string. */
static void p2p_put_sparam(struct xdr_out *o, const char *field,
			   const char *v)
{
	xdr_put_string(o, field);
	xdr_put_i32(o, TP_STRING);
	xdr_put_string(o, v);
}

static void p2p_prepare(struct mig_p2p *p)
{
	struct xdr_out a;

	xdr_out_init(&a);
	xdr_put_u32(&a, 1);
	p2p_put_sparam(&a, "destination_xml", p->xml);
	xdr_put_opaque(&a, NULL, 0);
	xdr_put_u32(&a, (uint32_t)p->flags);
	p2p_call(p, P2P_PROC_PREPARE, &a);
	xdr_out_free(&a);
}

static void p2p_finish(struct mig_p2p *p)
{
	struct xdr_out a;

	xdr_out_init(&a);
	xdr_put_u32(&a, 1);
	p2p_put_sparam(&a, "destination_name", p->name);
	xdr_put_opaque(&a, NULL, 0);
	xdr_put_u32(&a, (uint32_t)p->flags);
	xdr_put_i32(&a, p->rc < 0);	/* cancelled */
	p->step = P2P_FINISH;
	p2p_call(p, P2P_PROC_FINISH, &a);
	xdr_out_free(&a);
}

/* hv's migrate ended: finish at the destination either way. */
static void p2p_sent(void *opaque, int rc, const struct verr *e)
{
	struct mig_p2p *p = opaque;

	if (rc < 0) {
		p->rc = rc;
		p->err = *e;
	}
	p2p_finish(p);
}

/* The destination's answer to prepare: {cookie_out; remote_string uri}.
 * False when p is gone. */
static bool p2p_prepared(struct mig_p2p *p, struct xdr_in *x)
{
	struct dom *d = dom_by_name(p->name);
	size_t clen;
	bool present;
	char *uri;
	int rc;

	xdr_get_opaque(x, 1u << 20, &clen);
	uri = xdr_get_opt_string(x, 1024, &present);
	if (xdr_in_done(x, true) < 0 || !uri) {
		free(uri);
		p2p_fail(p, "operation failed: the destination's prepare "
			 "gave no migration URI");
		return false;
	}
	p->step = P2P_SEND;
	p2p_arm(p, 0);
	rc = d ? dom_mig_perform(d, uri, p->flags, p2p_sent, p, &p->err) :
		 verr_set(&p->err, VERR_NO_DOMAIN, "Domain not found: '%s' "
			  "went away", p->name);
	free(uri);
	if (rc < 0) {
		p->rc = rc;
		p2p_finish(p);	/* cancelled: the destination undoes it */
	}
	return true;
}

/* One reply (without its length word) for the call in flight. False
 * when p is gone (the migration ended). */
static bool p2p_reply(struct mig_p2p *p, uint8_t *buf, size_t len)
{
	struct xdr_in x;
	uint32_t prog, proc, type, serial, status;
	bool present;

	xdr_in_init(&x, buf, len);
	prog = xdr_get_u32(&x);
	xdr_get_u32(&x);
	proc = xdr_get_u32(&x);
	type = xdr_get_u32(&x);
	serial = xdr_get_u32(&x);
	status = xdr_get_u32(&x);
	if (prog == REMOTE_KEEPALIVE)
		return true;	/* not asked for: nothing to answer */
	if (x.err || prog != REMOTE_PROGRAM || type != REMOTE_REPLY ||
	    proc != p->proc || serial != p->serial || p->step == P2P_SEND) {
		p2p_fail(p, "operation failed: unexpected packet from the "
			 "destination");
		return false;
	}
	if (status != REMOTE_OK) {
		int code = xdr_get_i32(&x);
		char *msg;

		xdr_get_i32(&x);
		msg = xdr_get_opt_string(&x, 4096, &present);
		if (p->step == P2P_FINISH && p->rc < 0) {	/* cancelled */
			free(msg);
			p->step = P2P_CLOSE;
			p2p_call(p, P2P_PROC_CLOSE, NULL);
			return true;
		}
		if (p->step == P2P_CLOSE) {	/* done anyway */
			free(msg);
			p2p_end(p);
			return false;
		}
		p->rc = verr_fail(&p->err, -EIO, code > 0 ? code :
				  VERR_OPERATION_FAILED, "%s", msg ? msg :
				  "the destination failed");
		free(msg);
		p2p_fail(p, "%s", p->err.msg);
		return false;
	}
	switch (p->step) {
	case P2P_AUTH:
		p->step = P2P_OPEN;
		{
			struct xdr_out a;

			xdr_out_init(&a);
			xdr_put_opt_string(&a, "xvm:///system");
			xdr_put_u32(&a, 0);
			p2p_call(p, P2P_PROC_OPEN, &a);
			xdr_out_free(&a);
		}
		break;
	case P2P_OPEN:
		p->step = P2P_PREPARE;
		p2p_prepare(p);
		break;
	case P2P_PREPARE:
		return p2p_prepared(p, &x);
	case P2P_FINISH:
		if (p->rc == 0)		/* the guest runs there */
			dom_mig_confirm(dom_by_name(p->name), p->flags, false,
					&p->err);
		p->step = P2P_CLOSE;
		p2p_call(p, P2P_PROC_CLOSE, NULL);
		break;
	case P2P_CLOSE:
		p2p_end(p);
		return false;
	case P2P_RESOLVE:
	case P2P_SEND:
		break;
	}
	return true;
}

static ssize_t p2p_recv(struct mig_p2p *p, void *buf, size_t len)
{
	return p->tls ? tls_recv(p->tls, buf, len) : recv(p->fd, buf, len, 0);
}

static ssize_t p2p_send(struct mig_p2p *p, const void *buf, size_t len)
{
	return p->tls ? tls_send(p->tls, buf, len) :
			send(p->fd, buf, len, MSG_NOSIGNAL);
}

static void p2p_read(struct mig_p2p *p)
{
	uint8_t buf[4096];
	ssize_t n;
	size_t i = 0;

again:
	n = p2p_recv(p, buf, sizeof(buf));
	i = 0;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		p2p_fail(p, "operation failed: the destination closed the "
			 "connection");
		return;
	}
	while (i < (size_t)n) {
		if (p->len_got < 4) {
			p->lenbuf[p->len_got++] = buf[i++];
			if (p->len_got < 4)
				continue;
			p->in_len = ((size_t)p->lenbuf[0] << 24 |
				     (size_t)p->lenbuf[1] << 16 |
				     (size_t)p->lenbuf[2] << 8 | p->lenbuf[3]);
			if (p->in_len < REMOTE_HEADER_LEN ||
			    p->in_len > P2P_REPLY_MAX) {
				p2p_fail(p, "operation failed: bad packet "
					 "from the destination");
				return;
			}
			p->in_len -= 4;
			p->in_got = 0;
			free(p->in);
			p->in = malloc(p->in_len);
			if (!p->in) {
				p2p_fail(p, "out of memory");
				return;
			}
			continue;
		}
		size_t k = MIN((size_t)n - i, p->in_len - p->in_got);

		memcpy(p->in + p->in_got, buf + i, k);
		p->in_got += k;
		i += k;
		if (p->in_got == p->in_len) {
			p->len_got = 0;
			if (!p2p_reply(p, p->in, p->in_len))
				return;		/* p is gone */
		}
	}
	/* records decrypted already raise no EPOLLIN */
	if (p->tls && tls_pending(p->tls))
		goto again;
}

/* xvm+tls://: one handshake step, then libvirt's confirmation byte (the
 * destination sends 1 once it accepted our certificate, or closes). */
static void p2p_tls_step(struct mig_p2p *p)
{
	char why[256];
	uint32_t ev = EPOLLIN;
	uint8_t b;
	ssize_t n;
	int rc;

	if (p->tls_state == P2P_TLS_HANDSHAKE) {
		rc = tls_handshake(p->tls, &ev, why, sizeof(why));
		if (rc == -EAGAIN) {
			loop_mod(p->fd, ev);
			return;
		}
		if (rc < 0) {
			p2p_fail(p, "operation failed: TLS with the destination "
				 "%s: %s", p->desturi, why);
			return;
		}
		p->tls_state = P2P_TLS_CONFIRM;
		loop_mod(p->fd, EPOLLIN);
	}
	n = tls_recv(p->tls, &b, 1);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n != 1 || b != 1) {
		p2p_fail(p, "operation failed: the destination %s refused our "
			 "client certificate", p->desturi);
		return;
	}
	p->tls_state = P2P_TLS_NONE;
	loop_mod(p->fd, EPOLLIN | (p->out.len > p->out_off ? EPOLLOUT : 0));
}

static void p2p_event(void *opaque, uint32_t events)
{
	struct mig_p2p *p = opaque;

	if (!p->connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			p2p_fail(p, "operation failed: cannot connect to the "
				 "destination %s: %s", p->desturi,
				 strerror(err));
			return;
		}
		p->connected = true;
	}
	if (p->tls_state != P2P_TLS_NONE) {
		p2p_tls_step(p);
		return;
	}
	if (events & EPOLLOUT) {
		while (p->out_off < p->out.len) {
			ssize_t n = p2p_send(p, p->out.buf + p->out_off,
					     p->out.len - p->out_off);

			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n <= 0) {
				p2p_fail(p, "operation failed: cannot send "
					 "to the destination: %s",
					 strerror(errno));
				return;
			}
			p->out_off += (size_t)n;
		}
		if (p->out_off == p->out.len) {
			p->out.len = p->out_off = 0;
			loop_mod(p->fd, EPOLLIN);
		}
		if (events == EPOLLOUT)
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		p2p_read(p);
}

/* "xvm+tcp://HOST[:PORT]/system" or "xvm+tls://HOST[:PORT]/system"
 * (p->host and p->port set: 0; the name is looked up on a thread) or
 * "xvm+unix:///system?socket=PATH" (p->fd a connecting socket: 1), or
 * -errno with e. */
static int p2p_parse(struct mig_p2p *p, const char *uri, struct verr *e)
{
	const char *h, *end, *colon;
	int fd = -1, rc;

	snprintf(p->port, sizeof(p->port), "16509");
	if (!strncmp(uri, "xvm+unix:///system?socket=", 26)) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(uri + 26) >= sizeof(sa.sun_path) || !uri[26])
			goto bad;
		strcpy(sa.sun_path, uri + 26);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
		if (fd < 0 || (connect(fd, (struct sockaddr *)&sa,
				       sizeof(sa)) < 0 && errno != EINPROGRESS))
			goto fail;
		p->fd = fd;
		return 1;
	}
	if (!strncmp(uri, "xvm+tls://", 10))
		snprintf(p->port, sizeof(p->port), "%d", TLS_PORT);
	else if (strncmp(uri, "xvm+tcp://", 10))
		goto bad;
	h = uri + 10;
	end = strchr(h, '/');
	if (!end || strcmp(end, "/system"))
		goto bad;
	colon = memchr(h, ':', (size_t)(end - h));
	if ((size_t)((colon ? colon : end) - h) >= sizeof(p->host) ||
	    (colon ? colon : end) == h)
		goto bad;
	snprintf(p->host, sizeof(p->host), "%.*s",
		 (int)((colon ? colon : end) - h), h);
	if (colon) {
		if (end - colon - 1 < 1 || end - colon - 1 > 5)
			goto bad;
		snprintf(p->port, sizeof(p->port), "%.*s",
			 (int)(end - colon - 1), colon + 1);
	}
	return 0;
fail:
	rc = -errno;
	if (fd >= 0)
		close(fd);
	return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			 "cannot connect to the destination %s: %s", uri,
			 strerror(-rc));
bad:
	return verr_set(e, VERR_INVALID_ARG, "invalid argument: destination "
			"'%s': expected xvm+tcp://HOST[:PORT]/system, "
			"xvm+tls://HOST[:PORT]/system or "
			"xvm+unix:///system?socket=PATH", uri);
}

/* The connection is there (connecting): TLS set up for xvm+tls://, the
 * first call queued. 0, or -errno with e (p->fd closed). */
static int p2p_begin(struct mig_p2p *p, struct verr *e)
{
	if (!strncmp(p->desturi, "xvm+tls://", 10)) {
		char why[700];

		p->tls = tls_client_new(p->fd, p->host, why, sizeof(why));
		if (!p->tls) {
			close(p->fd);
			p->fd = -1;
			return verr_set(e, VERR_OPERATION_FAILED, "operation "
					"failed: TLS to %s: %s", p->desturi,
					why);
		}
		p->tls_state = P2P_TLS_HANDSHAKE;
	}
	if (loop_add(p->fd, EPOLLIN, p2p_event, p) < 0) {
		tls_sess_free(p->tls);
		p->tls = NULL;
		close(p->fd);
		p->fd = -1;
		return verr_fail(e, -EIO, VERR_INTERNAL, "cannot watch the "
				 "destination connection");
	}
	p->step = P2P_AUTH;
	p2p_call(p, P2P_PROC_AUTH_LIST, NULL);
	return 0;
}

/* The lookup's answer (on the loop): connect (non-blocking: a host that
 * is down must not stop the loop; the outcome shows when the socket
 * becomes writable), then as for a unix socket. */
static void p2p_resolved(void *opaque, int gai, const struct addrinfo *ai)
{
	struct mig_p2p *p = opaque;
	int fd;

	p->res = NULL;
	if (gai != 0) {
		p2p_fail(p, "operation failed: %s: %s", p->desturi,
			 gai_strerror(gai));
		return;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0 || (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
		       errno != EINPROGRESS)) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		p2p_fail(p, "operation failed: cannot connect to the "
			 "destination %s: %s", p->desturi, strerror(err));
		return;
	}
	p->fd = fd;
	if (p2p_begin(p, &p->err) < 0) {
		p->rc = -EIO;
		log_warn("dom %s: peer-to-peer migration to %s: %s", p->name,
			 p->desturi, p->err.msg);
		p2p_end(p);
	}
}

int dom_mig_p2p(struct dom *d, const char *desturi, uint64_t flags,
		dom_mig_done_fn done, void *opaque, struct verr *e)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct mig_p2p *p;
	char *xml = NULL;
	int rc;

	rc = dom_mig_begin(d, flags & ~(uint64_t)DOM_MIG_P2P, &xml, e);
	if (rc < 0)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p) {
		free(xml);
		return verr_nomem(e);
	}
	p->tfd = p->fd = -1;
	snprintf(p->name, sizeof(p->name), "%s", d->cfg.name);
	snprintf(p->desturi, sizeof(p->desturi), "%s", desturi);
	xdr_out_init(&p->out);
	rc = p2p_parse(p, desturi, e);
	if (rc < 0)
		goto fail;
	p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (p->tfd >= 0 && loop_add(p->tfd, EPOLLIN, p2p_timeout, p) < 0) {
		close(p->tfd);
		p->tfd = -1;
	}
	if (p->tfd < 0)
		log_warn("dom %s: no timer for the peer-to-peer migration: a "
			 "silent destination will hold it", p->name);
	if (rc == 1) {		/* xvm+unix: connecting already */
		rc = p2p_begin(p, e);
	} else {		/* the name is looked up beside the loop */
		p->step = P2P_RESOLVE;
		rc = resolve_start(p->host, p->port, &hints, p2p_resolved, p,
				   &p->res);
		if (rc < 0)
			verr_fail(e, rc, VERR_OPERATION_FAILED, "operation "
				  "failed: cannot look up %s: %s", p->host,
				  rc == -EAGAIN ? "too many name lookups run; "
				  "try again" : strerror(-rc));
		else
			p2p_arm(p, P2P_STEP_MS);
	}
	if (rc < 0)
		goto fail;
	p->xml = xml;
	p->flags = flags & ~(uint64_t)DOM_MIG_P2P;
	p->done = done;
	p->opaque = opaque;
	log_info("dom %s: peer-to-peer migration to %s", p->name, desturi);
	return 0;
fail:
	if (p->tfd >= 0) {
		loop_del(p->tfd);
		close(p->tfd);
	}
	if (p->fd >= 0)
		close(p->fd);
	xdr_out_free(&p->out);
	free(xml);
	free(p);
	return rc;
}
