/*
 * acmechal — the ACME challenges hsysd answers itself (docs/acme.md), as a
 * snapshot holds them: the acme_challenge rows of the store's generation.
 *
 *   HTTP-01 (RFC 8555 8.3): GET /.well-known/acme-challenge/TOKEN for a
 *   pending token is answered with its key authorization before any
 *   prefix is routed (exchange.c); any other path under it routes as
 *   usual.
 *   TLS-ALPN-01 (RFC 8737): a ClientHello that names a pending name and
 *   offers only acme-tls/1 gets that name's challenge certificate (a
 *   self-signed certificate with the acmeIdentifier extension, which the
 *   process that published the challenge made and keeps with its key in
 *   the store's internal AcmeChallenge store: the key process signs its
 *   handshakes), whether or not a
 *   binding serves the name; the connection closes after the handshake.
 *
 * The ports they need are opened by listener.c (listener_sync) for as
 * long as the rows are there.
 */
#ifndef HSYS_DAEMON_ACMECHAL_H
#define HSYS_DAEMON_ACMECHAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

struct err;
struct keys_client;
struct store;

#define ACMECHAL_PATH	"/.well-known/acme-challenge/"

struct acmechal_http {
	char		 token[128];
	char		 keyauth[256];
};

struct acmechal_alpn {
	char		 name[256];
	SSL_CTX		*ctx;
};

struct acmechal {
	size_t			 nhttp;
	struct acmechal_http	*http;
	size_t			 nalpn;
	struct acmechal_alpn	*alpn;
};

/* Reads the pending rows of the open store; a challenge certificate that
 * cannot be used is logged and left out. Its signatures go through keys. */
int	acmechal_read(struct acmechal *, struct store *, struct keys_client *,
	    struct err *);
void	acmechal_free(struct acmechal *);

/* The key authorization for a request's (cooked) path, or NULL. */
const char *acmechal_token(const struct acmechal *, const char *path,
	    size_t len);
/* In the ClientHello callback: the challenge context when the hello
 * offers acme-tls/1 for a pending name, else NULL. */
SSL_CTX	*acmechal_hello(const struct acmechal *, SSL *,
	    const unsigned char *sni, size_t snilen);

#endif
