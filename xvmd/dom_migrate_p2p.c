/*
 * Peer-to-peer migration (virsh migrate --live --p2p DOM DESTURI): the
 * client only calls perform on the source, with the destination's URI;
 * this xvmd then is a libvirt client of the destination xvmd and runs the
 * rest of the v3 sequence itself: AUTH_LIST, CONNECT_OPEN xvm:///system,
 * PREPARE3_PARAMS with the domain's XML, hv's migrate to the uri_out it
 * got (dom_mig_perform()), FINISH3_PARAMS (cancelled if hv failed), its
 * own confirm (--undefinesource), CONNECT_CLOSE. One call at a time on a
 * non-blocking socket watched by the loop; the perform's answer waits
 * for the end. Destinations: xvm+tcp://HOST[:PORT]/system and
 * xvm+unix:///system?socket=PATH.
 */
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "xvm/log.h"
#include "loop.h"
#include "dom_migrate.h"
#include "remote.h"
#include "stats.h"

#define P2P_PROC_OPEN		1
#define P2P_PROC_CLOSE		2
#define P2P_PROC_AUTH_LIST	66
#define P2P_PROC_PREPARE	303	/* MIGRATE_PREPARE3_PARAMS */
#define P2P_PROC_FINISH		306	/* MIGRATE_FINISH3_PARAMS */
#define P2P_REPLY_MAX		(1u << 20)

enum p2p_step { P2P_AUTH, P2P_OPEN, P2P_PREPARE, P2P_SEND, P2P_FINISH,
		P2P_CLOSE };

struct mig_p2p {
	char name[DOM_NAME_MAX + 1];
	char desturi[512];
	char *xml;
	uint64_t flags;		/* without P2P: what the destination gets */
	enum p2p_step step;
	int fd;
	bool connected;		/* the non-blocking connect completed */
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
	if (p->fd >= 0) {
		loop_del(p->fd);
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
	case P2P_SEND:
		break;
	}
	return true;
}

static void p2p_read(struct mig_p2p *p)
{
	uint8_t buf[4096];
	ssize_t n = recv(p->fd, buf, sizeof(buf), 0);
	size_t i = 0;

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
	if (events & EPOLLOUT) {
		while (p->out_off < p->out.len) {
			ssize_t n = send(p->fd, p->out.buf + p->out_off,
					 p->out.len - p->out_off,
					 MSG_NOSIGNAL);

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

/* "xvm+tcp://HOST[:PORT]/system" or "xvm+unix:///system?socket=PATH":
 * a connecting socket, or -errno with e. */
static int p2p_connect(const char *uri, struct verr *e)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai = NULL;
	char host[256], port[8] = "16509";
	const char *p, *end, *colon;
	int fd = -1, rc;

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
		return fd;
	}
	if (strncmp(uri, "xvm+tcp://", 10))
		goto bad;
	p = uri + 10;
	end = strchr(p, '/');
	if (!end || strcmp(end, "/system"))
		goto bad;
	colon = memchr(p, ':', (size_t)(end - p));
	if ((size_t)((colon ? colon : end) - p) >= sizeof(host) ||
	    (colon ? colon : end) == p)
		goto bad;
	snprintf(host, sizeof(host), "%.*s", (int)((colon ? colon : end) - p),
		 p);
	if (colon) {
		if (end - colon - 1 < 1 || end - colon - 1 > 5)
			goto bad;
		snprintf(port, sizeof(port), "%.*s", (int)(end - colon - 1),
			 colon + 1);
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0)
		return verr_set(e, VERR_OPERATION_FAILED, "operation failed: "
				"%s: %s", uri, gai_strerror(rc));
	/* non-blocking: a host that is down must not stop the loop; the
	 * outcome shows when the socket becomes writable */
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    0);
	if (fd < 0 || (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
		       errno != EINPROGRESS)) {
		freeaddrinfo(ai);
		goto fail;
	}
	freeaddrinfo(ai);
	return fd;
fail:
	rc = -errno;
	if (fd >= 0)
		close(fd);
	return verr_fail(e, rc, VERR_OPERATION_FAILED, "operation failed: "
			 "cannot connect to the destination %s: %s", uri,
			 strerror(-rc));
bad:
	return verr_set(e, VERR_INVALID_ARG, "invalid argument: destination "
			"'%s': expected xvm+tcp://HOST[:PORT]/system or "
			"xvm+unix:///system?socket=PATH", uri);
}

int dom_mig_p2p(struct dom *d, const char *desturi, uint64_t flags,
		dom_mig_done_fn done, void *opaque, struct verr *e)
{
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
	p->fd = p2p_connect(desturi, e);
	if (p->fd < 0) {
		rc = p->fd;
		goto fail;
	}
	if (loop_add(p->fd, EPOLLIN, p2p_event, p) < 0) {
		rc = verr_fail(e, -EIO, VERR_INTERNAL, "cannot watch the "
			       "destination connection");
		close(p->fd);
		goto fail;
	}
	snprintf(p->name, sizeof(p->name), "%s", d->cfg.name);
	snprintf(p->desturi, sizeof(p->desturi), "%s", desturi);
	p->xml = xml;
	p->flags = flags & ~(uint64_t)DOM_MIG_P2P;
	p->done = done;
	p->opaque = opaque;
	xdr_out_init(&p->out);
	p->step = P2P_AUTH;
	p2p_call(p, P2P_PROC_AUTH_LIST, NULL);
	log_info("dom %s: peer-to-peer migration to %s", p->name, desturi);
	return 0;
fail:
	free(xml);
	free(p);
	return rc;
}
