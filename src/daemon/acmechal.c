/*
 * acmechal — the ACME challenges hsysd answers. See acmechal.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "common/err.h"
#include "daemon/acmechal.h"
#include "daemon/log.h"
#include "daemon/tls.h"
#include "store/store.h"

#define ACME_IDENTIFIER_OID	"1.3.6.1.5.5.7.1.31"	/* RFC 8737 §6.1 */

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

/* The acmeIdentifier extension: critical, an OCTET STRING holding
 * SHA-256 of the key authorization. */
static int
add_identifier(X509 *x, const char *keyauth)
{
	unsigned char der[2 + 32];
	unsigned int n = 0;
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_OBJECT *obj = OBJ_txt2obj(ACME_IDENTIFIER_OID, 1);
	X509_EXTENSION *ext = NULL;
	int ok = 0;

	der[0] = 0x04;
	der[1] = 32;
	if (os == NULL || obj == NULL || EVP_Digest(keyauth, strlen(keyauth),
	    der + 2, &n, EVP_sha256(), NULL) != 1 || n != 32 ||
	    !ASN1_OCTET_STRING_set(os, der, sizeof(der)))
		goto out;
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 1, os);
	ok = ext != NULL && X509_add_ext(x, ext, -1);
out:
	X509_EXTENSION_free(ext);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(os);
	return ok;
}

static int
add_san(X509 *x, const char *name)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	char san[300];
	int ok;

	snprintf(san, sizeof(san), "DNS:%s", name);
	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san))
	    == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static X509 *
challenge_cert(EVP_PKEY *key, const char *name, const char *keyauth)
{
	unsigned char serial[16];
	BIGNUM *bn = NULL;
	X509 *x = X509_new();
	int ok = 0;

	if (x == NULL || RAND_bytes(serial, sizeof(serial)) != 1)
		goto out;
	serial[0] &= 0x7f;
	if ((bn = BN_bin2bn(serial, sizeof(serial), NULL)) == NULL ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
	    !X509_set_version(x, 2) ||
	    !X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 7 * 86400) ||
	    !X509_set_pubkey(x, key) || !add_san(x, name) ||
	    !add_identifier(x, keyauth) || !X509_sign(x, key, EVP_sha256()))
		goto out;
	ok = 1;
out:
	BN_free(bn);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

static SSL_CTX *
challenge_ctx(const char *name, const char *keyauth, struct err *e)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = key ? challenge_cert(key, name, keyauth) : NULL;
	SSL_CTX *ctx = x ? SSL_CTX_new(TLS_server_method()) : NULL;

	if (ctx == NULL || !SSL_CTX_set_min_proto_version(ctx,
	    TLS1_2_VERSION) || !SSL_CTX_use_certificate(ctx, x) ||
	    !SSL_CTX_use_PrivateKey(ctx, key)) {
		err_ssl(e, "cannot make the tls-alpn-01 certificate for %s",
		    name);
		SSL_CTX_free(ctx);
		ctx = NULL;
	} else {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET |
		    SSL_OP_NO_RENEGOTIATION);
		SSL_CTX_set_alpn_select_cb(ctx, alpn_acme, NULL);
	}
	X509_free(x);
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
add_alpn(struct acmechal *a, const struct acme_pending *p)
{
	struct acmechal_alpn *n;
	struct err e;
	SSL_CTX *ctx;

	if ((ctx = challenge_ctx(p->name, p->keyauth, &e)) == NULL) {
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
	if (strcmp(p->type, ACME_CHALLENGE_HTTP01) == 0)
		return add_http(arg, p);
	if (strcmp(p->type, ACME_CHALLENGE_TLSALPN01) == 0)
		return add_alpn(arg, p);
	return 0;
}

int
acmechal_read(struct acmechal *a, struct store *s, struct err *e)
{
	int rc;

	memset(a, 0, sizeof(*a));
	rc = acme_pending_list(s, (int64_t)time(NULL), add_one, a, e);
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
