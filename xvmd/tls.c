/*
 * xvmd's TLS sessions (tls.h) on GnuTLS. One set of server credentials
 * for the whole daemon; a session per connection, non-blocking, its
 * handshake stepped by the event loop.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "tls.h"

struct tls_sess {
	gnutls_session_t s;
	size_t wpend;		/* a record_send that said AGAIN, its size */
	bool up;		/* the handshake completed */
	char host[256];		/* client: the server's expected name (GnuTLS
				 * keeps the pointer) */
};

static gnutls_certificate_credentials_t tls_cred;	/* server */
static gnutls_certificate_credentials_t tls_ccred;	/* client */
static char tls_pki_dir[256];
static char *tls_dn_pats[TLS_MAX_DN];
static unsigned int tls_ndn;

void tls_server_files(const char *dir, struct tls_files *f)
{
	if (!dir) {
		snprintf(f->ca, sizeof(f->ca), "/etc/pki/CA/cacert.pem");
		snprintf(f->crl, sizeof(f->crl), "/etc/pki/CA/cacrl.pem");
		snprintf(f->cert, sizeof(f->cert),
			 "/etc/pki/libvirt/servercert.pem");
		snprintf(f->key, sizeof(f->key),
			 "/etc/pki/libvirt/private/serverkey.pem");
		return;
	}
	snprintf(f->ca, sizeof(f->ca), "%.250s/cacert.pem", dir);
	snprintf(f->crl, sizeof(f->crl), "%.250s/cacrl.pem", dir);
	snprintf(f->cert, sizeof(f->cert), "%.250s/servercert.pem", dir);
	snprintf(f->key, sizeof(f->key), "%.250s/serverkey.pem", dir);
}

void tls_client_files(const char *dir, struct tls_files *f)
{
	tls_server_files(dir, f);
	if (!dir) {
		snprintf(f->cert, sizeof(f->cert),
			 "/etc/pki/libvirt/clientcert.pem");
		snprintf(f->key, sizeof(f->key),
			 "/etc/pki/libvirt/private/clientkey.pem");
		return;
	}
	snprintf(f->cert, sizeof(f->cert), "%.250s/clientcert.pem", dir);
	snprintf(f->key, sizeof(f->key), "%.250s/clientkey.pem", dir);
}

void tls_set_pki_dir(const char *dir)
{
	snprintf(tls_pki_dir, sizeof(tls_pki_dir), "%s", dir ? dir : "");
}

int tls_allow_dn(const char *pattern)
{
	if (tls_ndn == TLS_MAX_DN || !pattern[0] || strlen(pattern) > 1024)
		return -EINVAL;
	tls_dn_pats[tls_ndn] = strdup(pattern);
	if (!tls_dn_pats[tls_ndn])
		return -ENOMEM;
	tls_ndn++;
	return 0;
}

bool tls_dn_match(const char *dn, const char *const *pats, unsigned int n)
{
	unsigned int i;

	if (!n)
		return true;
	for (i = 0; i < n; i++)
		if (fnmatch(pats[i], dn, 0) == 0)
			return true;
	return false;
}

bool tls_key_mode_ok(mode_t mode)
{
	return !(mode & (S_IRWXG | S_IRWXO));
}

/* CA, CRL, certificate and key of one side into *cred. */
static int tls_load(const struct tls_files *f, const char *side,
		    gnutls_certificate_credentials_t *cred, char *err,
		    size_t errlen)
{
	gnutls_certificate_credentials_t c;
	int rc;

	if (access(f->ca, R_OK) < 0 || access(f->cert, R_OK) < 0) {
		bool ca = access(f->ca, R_OK) < 0;

		rc = -errno;
		snprintf(err, errlen, "%s certificate %s: %s", ca ? "CA" : side,
			 ca ? f->ca : f->cert, strerror(-rc));
		return rc;
	}
	if (gnutls_certificate_allocate_credentials(&c) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = gnutls_certificate_set_x509_trust_file(c, f->ca,
						    GNUTLS_X509_FMT_PEM);
	if (rc <= 0) {
		snprintf(err, errlen, "CA certificate %s: %s", f->ca,
			 rc ? gnutls_strerror(rc) : "no certificate in it");
		goto fail;
	}
	if (access(f->crl, F_OK) == 0) {
		rc = gnutls_certificate_set_x509_crl_file(c, f->crl,
							  GNUTLS_X509_FMT_PEM);
		if (rc < 0) {
			snprintf(err, errlen, "CA revocation list %s: %s",
				 f->crl, gnutls_strerror(rc));
			goto fail;
		}
	}
	rc = gnutls_certificate_set_x509_key_file(c, f->cert, f->key,
						  GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		snprintf(err, errlen, "%s certificate %s with key %s: %s",
			 side, f->cert, f->key, gnutls_strerror(rc));
		goto fail;
	}
	*cred = c;
	return 0;
fail:
	gnutls_certificate_free_credentials(c);
	return -EINVAL;
}

bool tls_server_ready(void)
{
	return tls_cred != NULL;
}

int tls_server_init(const char *dir, char *err, size_t errlen)
{
	struct tls_files f;
	struct stat st;
	int rc;

	tls_server_files(dir, &f);
	if (stat(f.key, &st) < 0) {
		rc = -errno;
		snprintf(err, errlen, "server key %s: %s", f.key,
			 strerror(-rc));
		return rc;
	}
	/* as ssh with its host keys: a key others may read is no secret */
	if (!tls_key_mode_ok(st.st_mode)) {
		snprintf(err, errlen, "server key %s is accessible by group or "
			 "others (mode %04o); it must be 0600 or 0400", f.key,
			 (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return tls_load(&f, "server", &tls_cred, err, errlen);
}

void tls_server_fini(void)
{
	unsigned int i;

	if (tls_cred)
		gnutls_certificate_free_credentials(tls_cred);
	tls_cred = NULL;
	if (tls_ccred)
		gnutls_certificate_free_credentials(tls_ccred);
	tls_ccred = NULL;
	for (i = 0; i < tls_ndn; i++)
		free(tls_dn_pats[i]);
	tls_ndn = 0;
}

struct tls_sess *tls_sess_new(int fd)
{
	struct tls_sess *t = calloc(1, sizeof(*t));

	if (!t || !tls_cred)
		goto fail;
	if (gnutls_init(&t->s, GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0) {
		t->s = NULL;
		goto fail;
	}
	if (gnutls_set_default_priority(t->s) < 0 ||
	    gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE,
				   tls_cred) < 0)
		goto fail;
	/* asked for, then checked ourselves: a client without one is told
	 * no by the missing confirmation byte and logged with a reason.
	 * Our CA's name is not sent along, so a client sends the certificate
	 * it has even when another CA signed it, and the log says so rather
	 * than "no certificate". */
	gnutls_certificate_server_set_request(t->s, GNUTLS_CERT_REQUEST);
	gnutls_certificate_send_x509_rdn_sequence(t->s, 1);
	gnutls_transport_set_int(t->s, fd);
	return t;
fail:
	tls_sess_free(t);
	return NULL;
}

struct tls_sess *tls_client_new(int fd, const char *host, char *err,
				size_t errlen)
{
	struct tls_files f;
	struct tls_sess *t;
	struct in6_addr ip;

	if (!tls_ccred) {
		tls_client_files(tls_pki_dir[0] ? tls_pki_dir : NULL, &f);
		if (tls_load(&f, "client", &tls_ccred, err, errlen) < 0)
			return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (!t || gnutls_init(&t->s, GNUTLS_CLIENT | GNUTLS_NONBLOCK) < 0) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* the server's certificate must chain to our CA and name host (an
	 * IP address is checked against its IP subjectAltNames) */
	if (gnutls_set_default_priority(t->s) < 0 ||
	    gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE,
				   tls_ccred) < 0 ||
	    ((inet_pton(AF_INET, host, &ip) != 1 &&
	      inet_pton(AF_INET6, host, &ip) != 1) &&
	     gnutls_server_name_set(t->s, GNUTLS_NAME_DNS, host,
				    strlen(host)) < 0)) {
		tls_sess_free(t);
		snprintf(err, errlen, "cannot set up a TLS session");
		return NULL;
	}
	snprintf(t->host, sizeof(t->host), "%s", host);
	gnutls_session_set_verify_cert(t->s, t->host, 0);
	gnutls_transport_set_int(t->s, fd);
	return t;
}

void tls_sess_free(struct tls_sess *t)
{
	if (!t)
		return;
	/* close_notify, so the peer can tell our close from a cut
	 * connection; once, not waited for (the socket is non-blocking, and
	 * a record half sent cannot be followed by an alert) */
	if (t->s && t->up && !t->wpend)
		gnutls_bye(t->s, GNUTLS_SHUT_WR);
	if (t->s)
		gnutls_deinit(t->s);
	free(t);
}

int tls_handshake(struct tls_sess *t, uint32_t *events, char *why,
		  size_t len)
{
	int rc = gnutls_handshake(t->s);

	if (rc == 0) {
		t->up = true;
		return 0;
	}
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED ||
	    !gnutls_error_is_fatal(rc)) {
		*events = gnutls_record_get_direction(t->s) ? EPOLLOUT :
							      EPOLLIN;
		return -EAGAIN;
	}
	if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		gnutls_datum_t text;
		unsigned int st = gnutls_session_get_verify_cert_status(t->s);

		if (gnutls_certificate_verification_status_print(st,
				GNUTLS_CRT_X509, &text, 0) == 0) {
			snprintf(why, len, "the server's certificate: %s",
				 text.data);
			gnutls_free(text.data);
			return -EPROTO;
		}
	}
	snprintf(why, len, "TLS handshake failed: %s", gnutls_strerror(rc));
	return -EPROTO;
}

int tls_check_peer(struct tls_sess *t, char *dn, size_t dnlen, char *why,
		   size_t whylen)
{
	const gnutls_datum_t *peers;
	gnutls_x509_crt_t crt;
	gnutls_datum_t text;
	unsigned int n = 0, status = 0;
	size_t sz = dnlen;
	int rc;

	dn[0] = 0;
	peers = gnutls_certificate_get_peers(t->s, &n);
	if (gnutls_certificate_type_get(t->s) != GNUTLS_CRT_X509 ||
	    !peers || !n) {
		snprintf(why, whylen, "sent no client certificate");
		return -EACCES;
	}
	if (gnutls_x509_crt_init(&crt) < 0) {
		snprintf(why, whylen, "out of memory");
		return -EACCES;
	}
	rc = gnutls_x509_crt_import(crt, &peers[0], GNUTLS_X509_FMT_DER);
	if (rc == 0 && gnutls_x509_crt_get_dn(crt, dn, &sz) < 0)
		snprintf(dn, dnlen, "(too long)");
	gnutls_x509_crt_deinit(crt);
	if (rc < 0) {
		snprintf(why, whylen, "client certificate unreadable: %s",
			 gnutls_strerror(rc));
		return -EACCES;
	}
	rc = gnutls_certificate_verify_peers2(t->s, &status);
	if (rc < 0 || status) {
		if (rc < 0) {
			snprintf(why, whylen, "client certificate not "
				 "verified: %s", gnutls_strerror(rc));
		} else if (gnutls_certificate_verification_status_print(
				status, GNUTLS_CRT_X509, &text, 0) == 0) {
			size_t l;

			snprintf(why, whylen, "client certificate refused: %s",
				 text.data);
			gnutls_free(text.data);
			l = strlen(why);
			while (l && why[l - 1] == ' ')
				why[--l] = 0;
		} else {
			snprintf(why, whylen, "client certificate refused "
				 "(status %#x)", status);
		}
		return -EACCES;
	}
	if (!tls_dn_match(dn, (const char *const *)tls_dn_pats, tls_ndn)) {
		snprintf(why, whylen, "client DN not in --tls-allowed-dn");
		return -EACCES;
	}
	return 0;
}

ssize_t tls_recv(struct tls_sess *t, void *buf, size_t len)
{
	ssize_t n = gnutls_record_recv(t->s, buf, len);

	if (n >= 0)
		return n;
	if (n == GNUTLS_E_AGAIN)
		errno = EAGAIN;
	else if (n == GNUTLS_E_INTERRUPTED)
		errno = EINTR;
	else if (n == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;	/* the peer closed without a close_notify */
	else
		errno = EPROTO;
	return -1;
}

ssize_t tls_send(struct tls_sess *t, const void *buf, size_t len)
{
	ssize_t n;

	/* GnuTLS wants a send it answered AGAIN to repeated with the same
	 * bytes before anything new */
	if (t->wpend && len >= t->wpend)
		len = t->wpend;
	else if (len > 16384)
		len = 16384;
	n = gnutls_record_send(t->s, buf, len);
	if (n >= 0) {
		t->wpend = 0;
		return n;
	}
	if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
		t->wpend = len;
		errno = n == GNUTLS_E_AGAIN ? EAGAIN : EINTR;
	} else {
		errno = EPIPE;
	}
	return -1;
}

size_t tls_pending(struct tls_sess *t)
{
	return gnutls_record_check_pending(t->s);
}
