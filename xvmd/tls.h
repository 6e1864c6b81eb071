/*
 * TLS for xvmd's libvirt port (--listen-tls), with GnuTLS, as libvirtd's
 * listen_tls: x509 certificates from libvirt's usual places (or one
 * --pki-dir), a client certificate required and verified against the CA,
 * its distinguished name optionally matched against --tls-allowed-dn
 * patterns. Sessions are non-blocking: the loop drives the handshake with
 * the fd's readiness (tls_handshake() says which way it waits).
 */
#ifndef XVMD_TLS_H
#define XVMD_TLS_H

#include <sys/types.h>
#include "xvm/common.h"

/* libvirtd's listen_tls port. */
#define TLS_PORT		16514
/* At most this many --tls-allowed-dn patterns. */
#define TLS_MAX_DN		16

/* The files a server uses: dir NULL gives libvirt's defaults
 * (/etc/pki/CA/cacert.pem, /etc/pki/libvirt/servercert.pem,
 * /etc/pki/libvirt/private/serverkey.pem); dir D gives D/cacert.pem,
 * D/servercert.pem, D/serverkey.pem. */
struct tls_files {
	char ca[300], crl[300], cert[300], key[300];
};
void tls_server_files(const char *dir, struct tls_files *f);

/* The files xvmd uses as a TLS client (a --p2p migration to xvm+tls://):
 * the CA and CRL as above, /etc/pki/libvirt/clientcert.pem and
 * /etc/pki/libvirt/private/clientkey.pem, or D/clientcert.pem and
 * D/clientkey.pem (libvirt's pkipath names). */
void tls_client_files(const char *dir, struct tls_files *f);
/* --pki-dir for the client side (NULL: libvirt's places). */
void tls_set_pki_dir(const char *dir);

/* Add a --tls-allowed-dn pattern. 0 or -EINVAL (too many, too long). */
int tls_allow_dn(const char *pattern);
/* Whether dn matches one of the n fnmatch(3) patterns (n 0: any DN). */
bool tls_dn_match(const char *dn, const char *const *pats, unsigned int n);
/* Whether a private key file's mode lets only its owner read it. */
bool tls_key_mode_ok(mode_t mode);

/* Load the server's credentials (once, before any session). 0 or
 * -errno with the reason in err. */
int tls_server_init(const char *dir, char *err, size_t errlen);
bool tls_server_ready(void);
void tls_server_fini(void);

struct tls_sess;

/* A server session on the connected, non-blocking fd. NULL: no memory. */
struct tls_sess *tls_sess_new(int fd);
void tls_sess_free(struct tls_sess *s);
/* A client session to host (checked against the server's certificate,
 * which must chain to our CA) on the connecting, non-blocking fd; the
 * client credentials are loaded on first use. NULL with err. */
struct tls_sess *tls_client_new(int fd, const char *host, char *err,
				size_t errlen);
/* One handshake step: 0 done, -EAGAIN (wait for *events, EPOLLIN or
 * EPOLLOUT, then call again), or -EPROTO with the reason in why. */
int tls_handshake(struct tls_sess *s, uint32_t *events, char *why,
		  size_t len);
/* After the handshake: the client's certificate against the CA and the
 * DN patterns. 0 or -EACCES with why; dn is its subject's DN as
 * gnutls_x509_crt_get_dn() writes it ("O=Example,CN=alice", the form
 * libvirtd's tls_allowed_dn_list matches) or "" without one. */
int tls_check_peer(struct tls_sess *s, char *dn, size_t dnlen, char *why,
		   size_t whylen);
/* Record I/O, with recv(2)/send(2)'s conventions: bytes, 0 at the end
 * (recv), -1 with errno (EAGAIN: try later; send must then be called
 * again with the same bytes first, which tls_send() arranges itself as
 * long as the caller's buffer still starts with them). */
ssize_t tls_recv(struct tls_sess *s, void *buf, size_t len);
ssize_t tls_send(struct tls_sess *s, const void *buf, size_t len);
/* Bytes decrypted and not yet returned by tls_recv() (no fd event will
 * announce them). */
size_t tls_pending(struct tls_sess *s);

#endif
