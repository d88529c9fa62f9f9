/*
 * tls — TLS contexts for bindings, and the policy every context follows.
 *
 * A context is built from a certificate in the store (with the
 * intermediates found in the CA store as the chain to send) and a key
 * whose private half is the key process's (src/keys, docs/keys.md):
 * hsysd never reads a private key.
 *
 * Policy: TLS 1.2 and 1.3 only; TLS 1.2 suites are ECDHE with AEAD only;
 * the server's preference wins; groups X25519, P-256, P-384; no
 * renegotiation, no compression; stateless session tickets whose keys
 * rotate (tls_tickets), no server-side session cache; read and write
 * buffers released while a connection is idle; ALPN from the binding's
 * list (h2 unless disablehttp2=enable, then http/1.1; a client offering
 * neither gets HTTP/1.1; acme-tls/1 is the ACME issue's to add).
 */
#ifndef HSYS_DAEMON_TLS_H
#define HSYS_DAEMON_TLS_H

#include <stdint.h>

#include <openssl/ssl.h>

struct err;
struct store;
struct keys_client;
struct tls_tickets;

#define TLS_NO_TLS12		0x01	/* disabletls12=enable */
#define TLS_NO_TLS13		0x02	/* disabletls13=enable */
#define TLS_NO_TICKETS		0x04	/* enablesessionticket=disable */
#define TLS_CLIENT_CERT		0x08	/* clientcertnegotiation=enable */
#define TLS_NO_H2		0x10	/* disablehttp2=enable */

/* ALPN protocols (tls_alpn_pick). */
#define TLS_ALPN_H1		0x01	/* http/1.1 */
#define TLS_ALPN_H2		0x02	/* h2 */
#define TLS_ALPN_ACME		0x04	/* acme-tls/1 (RFC 8737) */
/* 1 once the connection layer serves HTTP/2 (src/h2): until then h2 is
 * never selected, whatever the client offers. */
#define TLS_H2_SERVED		1

/* The protocol to select from a client's ALPN list `in` (wire format)
 * among those in `allow`, in the server's order (acme-tls/1, h2,
 * http/1.1): its TLS_ALPN_* bit and name (pointing into `in`), or 0 when
 * none is offered (the client gets HTTP/1.1 without an ALPN answer). */
unsigned tls_alpn_pick(const unsigned char *in, unsigned inlen,
	    unsigned allow, const unsigned char **out, unsigned char *outlen);
/* The TLS_ALPN_* set a binding with these TLS_* flags offers. */
unsigned tls_alpn_allowed(unsigned flags);

/* A context for the certificate `thumbprint` in `storename` (NULL: My) of
 * the open store. tickets may be NULL (no resumption by ticket). The
 * private key stays in the key process: the context holds the public half
 * and signs through `keys` (src/keys). */
int	tls_ctx_new(SSL_CTX **, struct store *, const char *thumbprint,
	    const char *storename, unsigned flags, struct tls_tickets *,
	    struct keys_client *, struct err *);

/* The context a TLS listener starts every connection with: the policy and
 * the ticket keys, no certificate. `hello` runs on each ClientHello to pick
 * the binding (and call tls_use_binding), as OpenSSL's client hello
 * callback: return 1 to go on, 0 to fail the handshake. */
int	tls_listen_ctx_new(SSL_CTX **, struct tls_tickets *,
	    int (*hello)(SSL *, int *, void *), void *arg, struct err *);
/* Switches a connection to a binding's context and options. */
void	tls_use_binding(SSL *, SSL_CTX *, unsigned flags);
/* The SNI host name in the ClientHello being processed: 1 and the name
 * (not NUL-terminated), or 0 when the client sent none. */
int	tls_hello_sni(SSL *, const unsigned char **, size_t *);

/* Ticket keys shared by every worker: a current key that encrypts and up to
 * two older ones that still decrypt, so a ticket stays usable across two
 * rotations. Rotation runs on the main thread; handshakes on workers read
 * under a read lock (once per handshake, never per request). */
int	tls_tickets_new(struct tls_tickets **, struct err *);
int	tls_tickets_rotate(struct tls_tickets *, struct err *);
void	tls_tickets_free(struct tls_tickets *);

/* "TLSv1.3 TLS_AES_256_GCM_SHA384 X25519" for logs and applications. */
void	tls_describe(SSL *, char *, size_t);

#endif
