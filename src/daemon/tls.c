/*
 * tls — TLS contexts for bindings. See tls.h for the policy.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"
#include "daemon/tls.h"
#include "keys/keys.h"

#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"
#define TLS13_SUITES \
	"TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:" \
	"TLS_CHACHA20_POLY1305_SHA256"
#define TLS_GROUPS	"X25519:P-256:P-384"

#define TICKET_KEYS	3

struct ticket_key {
	unsigned char	name[16];
	unsigned char	aes[32];
	unsigned char	hmac[32];
};

struct tls_tickets {
	pthread_rwlock_t	lock;
	int			n;		/* keys in use, newest first */
	struct ticket_key	keys[TICKET_KEYS];
};

/*
 * ALPN (RFC 7301). The protocols a connection may speak, in the server's
 * order of preference: acme-tls/1 (RFC 8737) only where an ACME
 * validation asks for it, then h2, then http/1.1. A client that offers
 * none of ours, or no ALPN at all, gets HTTP/1.1 without an ALPN answer:
 * refusing it with no_application_protocol, as RFC 7301 §3.2 allows,
 * would cut off clients that HTTP.sys serves.
 */
static const struct {
	unsigned		 bit;
	const char		*wire;	/* length byte, then the name */
} alpn_order[] = {
	{ TLS_ALPN_ACME, "\x0a" "acme-tls/1" },
	{ TLS_ALPN_H2, "\x02" "h2" },
	{ TLS_ALPN_H1, "\x08" "http/1.1" },
};

unsigned
tls_alpn_pick(const unsigned char *in, unsigned inlen, unsigned allow,
    const unsigned char **out, unsigned char *outlen)
{
	const unsigned char *p;
	size_t i, n;

	for (i = 0; i < sizeof(alpn_order) / sizeof(alpn_order[0]); i++) {
		if (!(allow & alpn_order[i].bit))
			continue;
		n = (unsigned char)alpn_order[i].wire[0];
		/* The client's list: entries of a length byte and a name. */
		for (p = in; p < in + inlen && (size_t)(in + inlen - p) > *p;
		    p += 1 + *p) {
			if (*p != n || memcmp(p + 1, alpn_order[i].wire + 1, n)
			    != 0)
				continue;
			*out = p + 1;
			*outlen = (unsigned char)n;
			return alpn_order[i].bit;
		}
	}
	return 0;
}

/* What a binding's connections may speak: h2 unless disablehttp2=enable
 * (or hsysd cannot serve it yet: TLS_H2_SERVED). */
unsigned
tls_alpn_allowed(unsigned flags)
{
	unsigned allow = TLS_ALPN_H1;

	if (TLS_H2_SERVED && !(flags & TLS_NO_H2))
		allow |= TLS_ALPN_H2;
	return allow;
}

static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned flags = (unsigned)(uintptr_t)arg;

	(void)ssl;
	if (tls_alpn_pick(in, inlen, tls_alpn_allowed(flags), out, outlen) ==
	    0)
		return SSL_TLSEXT_ERR_NOACK;	/* HTTP/1.1, no answer */
	return SSL_TLSEXT_ERR_OK;
}

static int
ticket_cb(SSL *ssl, unsigned char name[16], unsigned char iv[16],
    EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *mctx, int enc)
{
	struct tls_tickets *t = SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl));
	const struct ticket_key *k = NULL;
	OSSL_PARAM params[3];
	int i, rc = 0;

	if (t == NULL)
		return 0;
	pthread_rwlock_rdlock(&t->lock);
	if (enc) {
		k = &t->keys[0];
		memcpy(name, k->name, 16);
		if (RAND_bytes(iv, 16) != 1)
			goto out;
		rc = 1;
	} else {
		for (i = 0; i < t->n; i++)
			if (memcmp(name, t->keys[i].name, 16) == 0)
				k = &t->keys[i];
		if (k == NULL)
			goto out;	/* unknown key: full handshake */
		/* 2: valid, but issue a fresh ticket under the new key. */
		rc = k == &t->keys[0] ? 1 : 2;
	}
	params[0] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY,
	    (void *)k->hmac, sizeof(k->hmac));
	params[1] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[2] = OSSL_PARAM_construct_end();
	if (!EVP_CipherInit_ex(cctx, EVP_aes_256_cbc(), NULL, k->aes, iv,
	    enc) || !EVP_MAC_CTX_set_params(mctx, params))
		rc = -1;
out:
	pthread_rwlock_unlock(&t->lock);
	return rc;
}

int
tls_tickets_new(struct tls_tickets **tp, struct err *e)
{
	struct tls_tickets *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return err_sys(e, "out of memory");
	pthread_rwlock_init(&t->lock, NULL);
	if (tls_tickets_rotate(t, e) == -1) {
		tls_tickets_free(t);
		return -1;
	}
	*tp = t;
	return 0;
}

int
tls_tickets_rotate(struct tls_tickets *t, struct err *e)
{
	struct ticket_key k;

	if (RAND_priv_bytes((unsigned char *)&k, sizeof(k)) != 1)
		return err_ssl(e, "cannot make a session ticket key");
	pthread_rwlock_wrlock(&t->lock);
	memmove(&t->keys[1], &t->keys[0], sizeof(k) * (TICKET_KEYS - 1));
	t->keys[0] = k;
	if (t->n < TICKET_KEYS)
		t->n++;
	pthread_rwlock_unlock(&t->lock);
	OPENSSL_cleanse(&k, sizeof(k));
	return 0;
}

void
tls_tickets_free(struct tls_tickets *t)
{
	if (t == NULL)
		return;
	OPENSSL_cleanse(t->keys, sizeof(t->keys));
	pthread_rwlock_destroy(&t->lock);
	free(t);
}

/* Intermediates from the CA store that lead from the leaf towards a root;
 * the root itself is not sent (clients must already have it). */
static int
add_chain(SSL_CTX *ctx, struct store *s, X509 *leaf, struct err *e)
{
	STACK_OF(X509) *cas = NULL, *chain = NULL;
	int i, rc = -1;

	if (certstore_stack(s, CERT_STORE_CA, &cas, e) == -1)
		return -1;
	if (cert_chain_intermediates(leaf, cas, &chain, e) == -1)
		goto out;
	for (i = 0; i < sk_X509_num(chain); i++) {
		if (!SSL_CTX_add1_chain_cert(ctx, sk_X509_value(chain, i))) {
			err_ssl(e, "cannot add an intermediate certificate");
			goto out;
		}
	}
	rc = 0;
out:
	sk_X509_pop_free(chain, X509_free);
	sk_X509_pop_free(cas, X509_free);
	return rc;
}

static int
accept_any_client_cert(int ok, X509_STORE_CTX *ctx)
{
	/* The certificate is handed to the application, which decides; the
	 * verification result travels with it. */
	(void)ok;
	(void)ctx;
	return 1;
}

static int
ctx_policy(SSL_CTX *ctx, unsigned flags, struct tls_tickets *tickets,
    struct err *e)
{
	int min = flags & TLS_NO_TLS12 ? TLS1_3_VERSION : TLS1_2_VERSION;
	int max = flags & TLS_NO_TLS13 ? TLS1_2_VERSION : TLS1_3_VERSION;

	if (min > max)
		return err_set(e, "the binding disables both TLS 1.2 and "
		    "TLS 1.3; enable one of them");
	if (!SSL_CTX_set_min_proto_version(ctx, min) ||
	    !SSL_CTX_set_max_proto_version(ctx, max) ||
	    !SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) ||
	    !SSL_CTX_set_ciphersuites(ctx, TLS13_SUITES) ||
	    !SSL_CTX_set1_groups_list(ctx, TLS_GROUPS))
		return err_ssl(e, "cannot apply the TLS policy");
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
	    (flags & TLS_NO_TICKETS || tickets == NULL ? SSL_OP_NO_TICKET : 0));
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS |
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* Whole records per read(): one system call, not two (header, then
	 * body). Bytes read ahead are invisible to epoll: conn.c tests
	 * SSL_has_pending(), not SSL_pending(). */
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	/* TLS 1.3 tickets: one per handshake is enough for browsers. */
	SSL_CTX_set_num_tickets(ctx, flags & TLS_NO_TICKETS ? 0 : 1);
	if (tickets != NULL && !(flags & TLS_NO_TICKETS)) {
		SSL_CTX_set_app_data(ctx, tickets);
		SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb);
	}
	/* The binding's flags travel with its context: OpenSSL calls the
	 * callback of the context switched in by the ClientHello callback. */
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, (void *)(uintptr_t)flags);
	if (flags & TLS_CLIENT_CERT)
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_client_cert);
	return 0;
}

int
tls_ctx_new(SSL_CTX **out, struct store *s, const char *thumbprint,
    const char *storename, unsigned flags, struct tls_tickets *tickets,
    struct keys_client *keys, struct err *e)
{
	struct cert_entry c;
	EVP_PKEY *key = NULL;
	SSL_CTX *ctx = NULL;
	X509 *x = NULL;

	*out = NULL;
	if (certstore_find(s, storename ? storename : CERT_STORE_MY,
	    thumbprint, &c, e) == -1)
		return -1;
	if (!c.has_key)
		return err_set(e, "the certificate %s has no private key in "
		    "the store", c.thumbprint);
	if (certstore_load(s, c.id, &x, NULL, e) == -1)
		return -1;
	if (keys_pkey_new(keys, X509_get0_pubkey(x), &key, e) == -1)
		goto fail;
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		err_ssl(e, "cannot create a TLS context");
		goto fail;
	}
	if (ctx_policy(ctx, flags, tickets, e) == -1)
		goto fail;
	if (!SSL_CTX_use_certificate(ctx, x) ||
	    !SSL_CTX_use_PrivateKey(ctx, key) ||
	    !SSL_CTX_check_private_key(ctx)) {
		err_ssl(e, "cannot use the certificate %s", c.thumbprint);
		goto fail;
	}
	if (add_chain(ctx, s, x, e) == -1)
		goto fail;
	X509_free(x);
	EVP_PKEY_free(key);
	*out = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	X509_free(x);
	EVP_PKEY_free(key);
	return -1;
}

int
tls_listen_ctx_new(SSL_CTX **out, struct tls_tickets *tickets,
    int (*hello)(SSL *, int *, void *), void *arg, struct err *e)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		return err_ssl(e, "cannot create a TLS context");
	/* Tickets are sealed and opened by the connection's first context
	 * (OpenSSL's session_ctx), so the key ring lives here. */
	if (ctx_policy(ctx, 0, tickets, e) == -1) {
		SSL_CTX_free(ctx);
		return -1;
	}
	SSL_CTX_set_client_hello_cb(ctx, hello, arg);
	*out = ctx;
	return 0;
}

void
tls_use_binding(SSL *ssl, SSL_CTX *ctx, unsigned flags)
{
	SSL_set_SSL_CTX(ssl, ctx);
	/* Options and versions belong to the SSL, not to the context that
	 * was switched in: apply the binding's here. */
	SSL_set_min_proto_version(ssl, flags & TLS_NO_TLS12 ? TLS1_3_VERSION :
	    TLS1_2_VERSION);
	SSL_set_max_proto_version(ssl, flags & TLS_NO_TLS13 ? TLS1_2_VERSION :
	    TLS1_3_VERSION);
	if (flags & TLS_NO_TICKETS) {
		SSL_set_options(ssl, SSL_OP_NO_TICKET);
		SSL_set_num_tickets(ssl, 0);
	}
	if (flags & TLS_CLIENT_CERT)
		SSL_set_verify(ssl, SSL_VERIFY_PEER, accept_any_client_cert);
}

int
tls_hello_sni(SSL *ssl, const unsigned char **name, size_t *len)
{
	const unsigned char *p;
	size_t n, list;

	/* server_name: u16 list length, then entries of u8 type (0: host
	 * name), u16 length, name. The first host name is the one. */
	if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &n) ||
	    n < 2)
		return 0;
	list = (size_t)p[0] << 8 | p[1];
	if (list + 2 != n || list < 3 || p[2] != TLSEXT_NAMETYPE_host_name)
		return 0;
	*len = (size_t)p[3] << 8 | p[4];
	if (*len == 0 || *len + 5 > n)
		return 0;
	*name = p + 5;
	return 1;
}

void
tls_describe(SSL *ssl, char *buf, size_t size)
{
	const char *group = "";
	const char *v = SSL_get_version(ssl), *cn = SSL_get_cipher_name(ssl);
	int nid = SSL_get_negotiated_group(ssl);
	size_t vl, cl, gl;

	if (nid == NID_X25519)
		group = " X25519";
	else if (nid == NID_X9_62_prime256v1)
		group = " P-256";
	else if (nid == NID_secp384r1)
		group = " P-384";
	vl = strlen(v);
	cl = strlen(cn);
	gl = strlen(group);

	/* Once per request: by hand, snprintf costs a thousand
	 * instructions. */
	if (size == 0)
		return;
	if (vl + 1 + cl + gl + 1 > size) {
		buf[0] = '\0';
		return;
	}
	memcpy(buf, v, vl);
	buf[vl] = ' ';
	memcpy(buf + vl + 1, cn, cl);
	memcpy(buf + vl + 1 + cl, group, gl + 1);
}
