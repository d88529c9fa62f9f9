/*
 * acmechal — the ACME challenges hsysd answers. See acmechal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "acme/acme.h"
#include "cert/cert.h"
#include "common/err.h"
#include "daemon/acmechal.h"
#include "daemon/log.h"
#include "daemon/tls.h"
#include "keys/keys.h"
#include "store/store.h"

struct reading {
	struct acmechal		*a;
	struct store		*s;
	struct keys_client	*keys;
};

/* Only acme-tls/1: a client asking for anything else on a challenge
 * context is refused (RFC 8737 §3). */
static int
alpn_acme(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	(void)ssl;
	(void)arg;
	if (tls_alpn_pick(in, inlen, TLS_ALPN_ACME, out, outlen) == 0)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	return SSL_TLSEXT_ERR_OK;
}

/* The row's challenge certificate: the one of the internal store
 * AcmeChallenge for its name and key authorization (acme/challcert.c). */
struct finding {
	const struct acme_pending	*p;
	struct store			*s;
	X509				*x;
};

static int
find_cert(const struct cert_entry *ce, void *arg)
{
	struct finding *f = arg;
	struct err e;
	X509 *x;

	if (certstore_load(f->s, ce->id, &x, NULL, &e) == -1)
		return 0;
	if (acme_challenge_cert_is(x, f->p->name, f->p->keyauth)) {
		f->x = x;
		return 1;
	}
	X509_free(x);
	return 0;
}

/* Its context: the certificate, with a key whose signatures the key
 * process makes. The publisher (the hsys CLI, or the renewal, as root)
 * made both and keeps the key in keys.db. */
static SSL_CTX *
challenge_ctx(const struct reading *r, const struct acme_pending *p,
    struct err *e)
{
	struct finding f = { .p = p, .s = r->s };
	EVP_PKEY *key = NULL;
	SSL_CTX *ctx = NULL;

	if (certstore_list(r->s, CERT_STORE_ACME_CHALLENGE, find_cert, &f, e)
	    < 0)
		return NULL;
	if (f.x == NULL) {
		err_set(e, "no tls-alpn-01 certificate for %s in the store (an "
		    "older hsys published the challenge?); not answered",
		    p->name);
		return NULL;
	}
	if (keys_pkey_new(r->keys, X509_get0_pubkey(f.x), &key, e) == -1)
		goto out;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_use_certificate(ctx, f.x) ||
	    !SSL_CTX_use_PrivateKey(ctx, key)) {
		err_ssl(e, "cannot use the tls-alpn-01 certificate for %s",
		    p->name);
		SSL_CTX_free(ctx);
		ctx = NULL;
		goto out;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_acme, NULL);
out:
	X509_free(f.x);
	EVP_PKEY_free(key);
	return ctx;
}

static int
add_http(struct acmechal *a, const struct acme_pending *p)
{
	struct acmechal_http *n;

	if ((n = realloc(a->http, (a->nhttp + 1) * sizeof(*n))) == NULL)
		return 1;
	a->http = n;
	n = &a->http[a->nhttp++];
	snprintf(n->token, sizeof(n->token), "%s", p->token);
	snprintf(n->keyauth, sizeof(n->keyauth), "%s", p->keyauth);
	return 0;
}

static int
add_alpn(struct reading *r, const struct acme_pending *p)
{
	struct acmechal *a = r->a;
	struct acmechal_alpn *n;
	struct err e;
	SSL_CTX *ctx;

	if ((ctx = challenge_ctx(r, p, &e)) == NULL) {
		log_warn("acme: %s", e.msg);
		return 0;
	}
	if ((n = realloc(a->alpn, (a->nalpn + 1) * sizeof(*n))) == NULL) {
		SSL_CTX_free(ctx);
		return 1;
	}
	a->alpn = n;
	n = &a->alpn[a->nalpn++];
	snprintf(n->name, sizeof(n->name), "%s", p->name);
	n->ctx = ctx;
	return 0;
}

static int
add_one(const struct acme_pending *p, void *arg)
{
	struct reading *r = arg;

	if (strcmp(p->type, ACME_CHALLENGE_HTTP01) == 0)
		return add_http(r->a, p);
	if (strcmp(p->type, ACME_CHALLENGE_TLSALPN01) == 0)
		return add_alpn(r, p);
	return 0;
}

int
acmechal_read(struct acmechal *a, struct store *s, struct keys_client *keys,
    struct err *e)
{
	struct reading r = { .a = a, .s = s, .keys = keys };
	int rc;

	memset(a, 0, sizeof(*a));
	rc = acme_pending_list(s, (int64_t)time(NULL), add_one, &r, e);
	if (rc > 0)
		return err_set(e, "out of memory reading the ACME challenges");
	return rc;
}

void
acmechal_free(struct acmechal *a)
{
	size_t i;

	for (i = 0; i < a->nalpn; i++)
		SSL_CTX_free(a->alpn[i].ctx);
	free(a->alpn);
	free(a->http);
	memset(a, 0, sizeof(*a));
}

const char *
acmechal_token(const struct acmechal *a, const char *path, size_t len)
{
	size_t i, pl = sizeof(ACMECHAL_PATH) - 1;

	if (a->nhttp == 0 || len <= pl || memcmp(path, ACMECHAL_PATH, pl) != 0)
		return NULL;
	for (i = 0; i < a->nhttp; i++)
		if (strlen(a->http[i].token) == len - pl &&
		    memcmp(a->http[i].token, path + pl, len - pl) == 0)
			return a->http[i].keyauth;
	return NULL;
}

SSL_CTX *
acmechal_hello(const struct acmechal *a, SSL *ssl, const unsigned char *sni,
    size_t snilen)
{
	const unsigned char *p, *out;
	unsigned char outlen;
	size_t n, i;

	if (a->nalpn == 0 || sni == NULL)
		return NULL;
	/* The ALPN extension: u16 list length, then the list. */
	if (!SSL_client_hello_get0_ext(ssl,
	    TLSEXT_TYPE_application_layer_protocol_negotiation, &p, &n) ||
	    n < 2 || ((size_t)p[0] << 8 | p[1]) != n - 2 ||
	    tls_alpn_pick(p + 2, (unsigned)(n - 2), TLS_ALPN_ACME, &out,
	    &outlen) == 0)
		return NULL;
	for (i = 0; i < a->nalpn; i++)
		if (strlen(a->alpn[i].name) == snilen &&
		    strncasecmp(a->alpn[i].name, (const char *)sni, snilen)
		    == 0)
			return a->alpn[i].ctx;
	return NULL;
}
