/*
 * provider — an OpenSSL 3 provider, "hsys-keys", whose EC and RSA keys
 * hold their public half only and sign through the key process (client.c).
 * A TLS context holds one of these keys (keys_pkey_new) where it would
 * hold the private key; libssl signs with it as with any key: EVP_DigestSign
 * for TLS 1.2's ServerKeyExchange and TLS 1.3's CertificateVerify, with
 * RSA's padding and PSS salt length set on the context. The provider
 * hashes here and sends the digest (keys.h); it never does any public-key
 * arithmetic itself, and has no decryption, no key generation, no private
 * key import or export.
 *
 * The provider lives in a library context of its own, holding nothing
 * else: its "EC" and "RSA" key managers never answer a fetch made for
 * ordinary keys (ECDHE's, a client certificate's), which stay the default
 * provider's. libssl, working in the default context, reaches ours
 * through the key: an operation on a key runs in the key manager's own
 * provider. Public halves and digests are the default provider's.
 *
 * Facts followed (not code): OpenSSL's provider-keymgmt(7),
 * provider-signature(7), its test fake_rsaprov.c; pkcs11-provider's way
 * of naming key managers after the key types so that EVP_PKEY_is_a()
 * answers as libssl expects.
 *
 * Inside an ASYNC job (a handshake in SSL_MODE_ASYNC, whose SSL has an
 * async callback: hsysd's workers) a signature does not wait: the request
 * goes, the job pauses (the handshake returns SSL_ERROR_WANT_ASYNC), and
 * the worker resumes it when the answer has come, through the callback
 * the job's wait context holds (keys_client_sign_async). A job resumed
 * before its answer came was given up (its connection closed): the
 * signature fails. Anywhere else, the blocking round trip.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/async.h>
#include <openssl/core.h>
#include <openssl/core_dispatch.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>

#include "common/err.h"
#include "keys/keys.h"

#define PROV_NAME	"hsys-keys"
#define PROV_PROPS	"provider=hsys-keys"
#define PARAM_CLIENT	"hsys-keys-client"	/* ours: the client */

/* A key: the public half (the default provider's), its id, and the
 * client that reaches its private half. A key OpenSSL imports into ours
 * to compare it has no client and signs nothing. */
struct pkey {
	struct keys_client	*client;
	EVP_PKEY		*pub;
	unsigned char		 id[KEYS_ID_LEN];
	int			 rsa;
};

struct sigctx {
	struct pkey	*key;
	EVP_MD_CTX	*md_ctx;	/* digest_sign: the running digest */
	int		 md;		/* KEYS_MD_*; 0 not set */
	int		 pss;		/* RSA: PSS, else PKCS#1 v1.5 */
	int		 saltlen;	/* PSS: -1 the digest's length */
	int		 mgf1;		/* KEYS_MD_*; 0: the digest's */
	int		 rsa;
};

/* --- keys ------------------------------------------------------------ */

static void *
key_new(void *provctx)
{
	(void)provctx;
	return calloc(1, sizeof(struct pkey));
}

static void
key_free(void *kd)
{
	struct pkey *k = kd;

	if (k == NULL)
		return;
	EVP_PKEY_free(k->pub);
	free(k);
}

static int
key_has(const void *kd, int selection)
{
	const struct pkey *k = kd;

	if (k == NULL || k->pub == NULL)
		return selection == 0;
	/* The private half exists, in the key process, for keys made by
	 * keys_pkey_new. */
	if ((selection & OSSL_KEYMGMT_SELECT_PRIVATE_KEY) && k->client == NULL)
		return 0;
	return 1;
}

static int
key_import(struct pkey *k, int rsa, int selection, const OSSL_PARAM params[])
{
	const OSSL_PARAM *p;
	EVP_PKEY_CTX *c;
	int ok;

	if (!(selection & OSSL_KEYMGMT_SELECT_PUBLIC_KEY) || k->pub != NULL)
		return 0;
	c = EVP_PKEY_CTX_new_from_name(NULL, rsa ? "RSA" : "EC",
	    "provider=default");
	ok = c != NULL && EVP_PKEY_fromdata_init(c) > 0 &&
	    EVP_PKEY_fromdata(c, &k->pub, EVP_PKEY_PUBLIC_KEY,
	    (OSSL_PARAM *)params) > 0 && keys_id(k->pub, k->id) == 0;
	EVP_PKEY_CTX_free(c);
	if (!ok)
		return 0;
	k->rsa = rsa;
	p = OSSL_PARAM_locate_const(params, PARAM_CLIENT);
	if (p != NULL && p->data_type == OSSL_PARAM_OCTET_STRING &&
	    p->data_size == sizeof(k->client))
		memcpy(&k->client, p->data, sizeof(k->client));
	return 1;
}

static int
ec_import(void *kd, int selection, const OSSL_PARAM params[])
{
	return key_import(kd, 0, selection, params);
}

static int
rsa_import(void *kd, int selection, const OSSL_PARAM params[])
{
	return key_import(kd, 1, selection, params);
}

static const OSSL_PARAM ec_types[] = {
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	    NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM rsa_types[] = {
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
ec_io_types(int selection)
{
	(void)selection;
	return ec_types;
}

static const OSSL_PARAM *
rsa_io_types(int selection)
{
	(void)selection;
	return rsa_types;
}

/*
 * Never exported. EVP's signature init first tries the signature its
 * library context finds for the key type (the default provider's) with
 * the key exported to that provider; the export failing is what makes it
 * use the key's own provider, ours. (A public half exported there would
 * sign nothing: it fails "missing private key".) Comparisons still work:
 * OpenSSL imports the other key into ours (key_import) to match.
 */
static int
key_export(void *kd, int selection, OSSL_CALLBACK *cb, void *cbarg)
{
	(void)kd;
	(void)selection;
	(void)cb;
	(void)cbarg;
	return 0;
}

static int
key_get_params(void *kd, OSSL_PARAM params[])
{
	struct pkey *k = kd;

	return k->pub != NULL && EVP_PKEY_get_params(k->pub, params);
}

static const OSSL_PARAM key_gettable[] = {
	OSSL_PARAM_int(OSSL_PKEY_PARAM_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_SECURITY_BITS, NULL),
	OSSL_PARAM_int(OSSL_PKEY_PARAM_MAX_SIZE, NULL),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_DEFAULT_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	    NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, NULL, 0),
	OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_N, NULL, 0),
	OSSL_PARAM_BN(OSSL_PKEY_PARAM_RSA_E, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
key_gettable_params(void *provctx)
{
	(void)provctx;
	return key_gettable;
}

static int
key_match(const void *a, const void *b, int selection)
{
	const struct pkey *ka = a, *kb = b;

	(void)selection;
	return ka->pub != NULL && kb->pub != NULL &&
	    EVP_PKEY_eq(ka->pub, kb->pub) == 1;
}

static void *
key_dup(const void *kd, int selection)
{
	const struct pkey *k = kd;
	struct pkey *d;

	(void)selection;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	*d = *k;
	if (d->pub != NULL && !EVP_PKEY_up_ref(d->pub)) {
		free(d);
		return NULL;
	}
	return d;
}

static const char *
ec_op_name(int op)
{
	return op == OSSL_OP_SIGNATURE ? "ECDSA" : NULL;
}

static const char *
rsa_op_name(int op)
{
	return op == OSSL_OP_SIGNATURE ? "RSA" : NULL;
}

#define KEYMGMT_COMMON \
	{ OSSL_FUNC_KEYMGMT_NEW, (void (*)(void))key_new }, \
	{ OSSL_FUNC_KEYMGMT_FREE, (void (*)(void))key_free }, \
	{ OSSL_FUNC_KEYMGMT_HAS, (void (*)(void))key_has }, \
	{ OSSL_FUNC_KEYMGMT_EXPORT, (void (*)(void))key_export }, \
	{ OSSL_FUNC_KEYMGMT_GET_PARAMS, (void (*)(void))key_get_params }, \
	{ OSSL_FUNC_KEYMGMT_GETTABLE_PARAMS, \
	    (void (*)(void))key_gettable_params }, \
	{ OSSL_FUNC_KEYMGMT_MATCH, (void (*)(void))key_match }, \
	{ OSSL_FUNC_KEYMGMT_DUP, (void (*)(void))key_dup }

static const OSSL_DISPATCH ec_keymgmt[] = {
	KEYMGMT_COMMON,
	{ OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))ec_import },
	{ OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))ec_io_types },
	{ OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))ec_io_types },
	{ OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))ec_op_name },
	{ 0, NULL }
};

static const OSSL_DISPATCH rsa_keymgmt[] = {
	KEYMGMT_COMMON,
	{ OSSL_FUNC_KEYMGMT_IMPORT, (void (*)(void))rsa_import },
	{ OSSL_FUNC_KEYMGMT_IMPORT_TYPES, (void (*)(void))rsa_io_types },
	{ OSSL_FUNC_KEYMGMT_EXPORT_TYPES, (void (*)(void))rsa_io_types },
	{ OSSL_FUNC_KEYMGMT_QUERY_OPERATION_NAME, (void (*)(void))rsa_op_name },
	{ 0, NULL }
};

/* --- signatures ------------------------------------------------------ */

static void *
sig_new(void *provctx, const char *propq)
{
	struct sigctx *c;

	(void)provctx;
	(void)propq;
	if ((c = calloc(1, sizeof(*c))) != NULL)
		c->saltlen = -1;
	return c;
}

static void *
ec_sig_new(void *provctx, const char *propq)
{
	return sig_new(provctx, propq);
}

static void *
rsa_sig_new(void *provctx, const char *propq)
{
	struct sigctx *c = sig_new(provctx, propq);

	if (c != NULL)
		c->rsa = 1;
	return c;
}

static void
sig_free(void *ctx)
{
	struct sigctx *c = ctx;

	if (c == NULL)
		return;
	EVP_MD_CTX_free(c->md_ctx);
	free(c);
}

static void *
sig_dup(void *ctx)
{
	struct sigctx *c = ctx, *d;

	if ((d = malloc(sizeof(*d))) == NULL)
		return NULL;
	*d = *c;
	d->md_ctx = NULL;
	if (c->md_ctx != NULL && ((d->md_ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_MD_CTX_copy_ex(d->md_ctx, c->md_ctx))) {
		sig_free(d);
		return NULL;
	}
	return d;
}

static int
pad_from_param(const OSSL_PARAM *p, int *pss)
{
	int v;

	if (p->data_type == OSSL_PARAM_UTF8_STRING) {
		if (strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_PSS) == 0)
			*pss = 1;
		else if (strcmp(p->data, OSSL_PKEY_RSA_PAD_MODE_PKCSV15) == 0)
			*pss = 0;
		else
			return 0;
		return 1;
	}
	if (!OSSL_PARAM_get_int(p, &v) || (v != RSA_PKCS1_PADDING &&
	    v != RSA_PKCS1_PSS_PADDING))
		return 0;
	*pss = v == RSA_PKCS1_PSS_PADDING;
	return 1;
}

/* "digest" or -1 (RSA_PSS_SALTLEN_DIGEST), or a number of bytes; the
 * others ("max", "auto") are not TLS's and are refused. */
static int
salt_from_param(const OSSL_PARAM *p, int *salt)
{
	char *end;
	long v;

	if (p->data_type == OSSL_PARAM_UTF8_STRING) {
		if (strcmp(p->data, OSSL_PKEY_RSA_PSS_SALT_LEN_DIGEST) == 0) {
			*salt = -1;
			return 1;
		}
		v = strtol(p->data, &end, 10);
		if (*end != '\0' || end == p->data || v < 0 || v > 1024)
			return 0;
		*salt = (int)v;
		return 1;
	}
	if (!OSSL_PARAM_get_int(p, salt))
		return 0;
	return *salt >= -1 && *salt <= 1024;
}

static int
md_from_param(const OSSL_PARAM *p, int *md)
{
	const char *name;

	if (!OSSL_PARAM_get_utf8_string_ptr(p, &name) ||
	    (*md = keys_md_from_name(name)) == 0)
		return 0;
	return 1;
}

static int
sig_set_params(void *ctx, const OSSL_PARAM params[])
{
	struct sigctx *c = ctx;
	const OSSL_PARAM *p;

	if (params == NULL)
		return 1;
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_DIGEST)) != NULL && !md_from_param(p, &c->md))
		return 0;
	if (!c->rsa)
		return 1;
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL &&
	    !pad_from_param(p, &c->pss))
		return 0;
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_PSS_SALTLEN)) != NULL &&
	    !salt_from_param(p, &c->saltlen))
		return 0;
	if ((p = OSSL_PARAM_locate_const(params,
	    OSSL_SIGNATURE_PARAM_MGF1_DIGEST)) != NULL &&
	    !md_from_param(p, &c->mgf1))
		return 0;
	return 1;
}

static const OSSL_PARAM ec_settable[] = {
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM rsa_settable[] = {
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PSS_SALTLEN, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_MGF1_DIGEST, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
ec_settable_params(void *ctx, void *provctx)
{
	(void)ctx;
	(void)provctx;
	return ec_settable;
}

static const OSSL_PARAM *
rsa_settable_params(void *ctx, void *provctx)
{
	(void)ctx;
	(void)provctx;
	return rsa_settable;
}

static int
sig_get_params(void *ctx, OSSL_PARAM params[])
{
	struct sigctx *c = ctx;
	OSSL_PARAM *p;

	if ((p = OSSL_PARAM_locate(params, OSSL_SIGNATURE_PARAM_DIGEST)) !=
	    NULL && !OSSL_PARAM_set_utf8_string(p, keys_md_name(c->md ? c->md :
	    KEYS_MD_SHA256)))
		return 0;
	if (c->rsa && (p = OSSL_PARAM_locate(params,
	    OSSL_SIGNATURE_PARAM_PAD_MODE)) != NULL &&
	    !(p->data_type == OSSL_PARAM_INTEGER ? OSSL_PARAM_set_int(p,
	    c->pss ? RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING) :
	    OSSL_PARAM_set_utf8_string(p, c->pss ? OSSL_PKEY_RSA_PAD_MODE_PSS :
	    OSSL_PKEY_RSA_PAD_MODE_PKCSV15)))
		return 0;
	return 1;
}

static const OSSL_PARAM sig_gettable[] = {
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_DIGEST, NULL, 0),
	OSSL_PARAM_utf8_string(OSSL_SIGNATURE_PARAM_PAD_MODE, NULL, 0),
	OSSL_PARAM_END
};

static const OSSL_PARAM *
sig_gettable_params(void *ctx, void *provctx)
{
	(void)ctx;
	(void)provctx;
	return sig_gettable;
}

static int
sig_init(void *ctx, void *kd, const OSSL_PARAM params[])
{
	struct sigctx *c = ctx;
	struct pkey *k = kd;

	if (k == NULL || k->pub == NULL || k->rsa != c->rsa)
		return 0;
	c->key = k;
	return sig_set_params(c, params);
}

static size_t
sig_max(const struct sigctx *c)
{
	return (size_t)EVP_PKEY_get_size(c->key->pub);
}

/* The request's answer without blocking, if inside an ASYNC job whose
 * wait context has a callback to resume it: 0 (a answered), -1, or 1:
 * not here (then the blocking round trip). */
static int
async_sign(struct keys_client *kc, struct keys_req *r, struct keys_ans *a,
    struct err *e)
{
	struct keys_wait w = { .a = a };
	ASYNC_WAIT_CTX *ctx;
	ASYNC_JOB *job;
	int rc;

	if ((job = ASYNC_get_current_job()) == NULL ||
	    (ctx = ASYNC_get_wait_ctx(job)) == NULL ||
	    !ASYNC_WAIT_CTX_get_callback(ctx, &w.fn, &w.arg) || w.fn == NULL)
		return 1;
	if ((rc = keys_client_sign_async(kc, r, &w, e)) != 0)
		return rc;
	if (!ASYNC_pause_job()) {
		keys_client_forget(kc, &w);
		return err_set(e, "cannot wait for the key process");
	}
	if (w.done == 0) {
		keys_client_forget(kc, &w);
		return err_set(e, "the handshake was given up");
	}
	return w.done == 1 ? 0 : err_set(e, "the key process is gone");
}

/* The digest's signature, from the key process. */
static int
remote_sign(struct sigctx *c, const unsigned char *dg, size_t dlen,
    unsigned char *sig, size_t *siglen, size_t sigsize)
{
	struct keys_req r = { .op = KEYS_OP_SIGN, .md = c->md };
	struct keys_ans *a;
	struct err e;
	int ok = 0, rc;

	if (c->key->client == NULL || keys_md_size(c->md) != dlen ||
	    (c->rsa && c->pss && c->mgf1 != 0 && c->mgf1 != c->md))
		return 0;
	r.alg = !c->rsa ? KEYS_ALG_ECDSA : c->pss ? KEYS_ALG_RSA_PSS :
	    KEYS_ALG_RSA_PKCS1;
	if (r.alg == KEYS_ALG_RSA_PSS)
		r.saltlen = (uint16_t)(c->saltlen == -1 ? (int)dlen :
		    c->saltlen);
	memcpy(r.key, c->key->id, KEYS_ID_LEN);
	memcpy(r.digest, dg, dlen);
	r.dlen = dlen;
	if ((a = malloc(sizeof(*a))) == NULL)
		return 0;
	if ((rc = async_sign(c->key->client, &r, a, &e)) == 1)
		rc = keys_client_sign(c->key->client, &r, a, &e);
	if (rc == -1)
		ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL,
		    "key process: %s", e.msg);
	else if (a->status != KEYS_OK)
		ERR_raise_data(ERR_LIB_USER, ERR_R_OPERATION_FAIL,
		    "key process: %s", keys_status_string(a->status));
	else if (a->siglen <= sigsize) {
		memcpy(sig, a->sig, a->siglen);
		*siglen = a->siglen;
		ok = 1;
	}
	free(a);
	return ok;
}

/* EVP_PKEY_sign: tbs is the digest; its length names the digest when
 * none was set. */
static int
sig_sign(void *ctx, unsigned char *sig, size_t *siglen, size_t sigsize,
    const unsigned char *tbs, size_t tbslen)
{
	struct sigctx *c = ctx;

	if (sig == NULL) {
		*siglen = sig_max(c);
		return 1;
	}
	if (c->md == 0)
		c->md = tbslen == 48 ? KEYS_MD_SHA384 : tbslen == 64 ?
		    KEYS_MD_SHA512 : KEYS_MD_SHA256;
	return remote_sign(c, tbs, tbslen, sig, siglen, sigsize);
}

/* The digests, fetched once: libssl starts a digest-sign several times
 * a handshake (asking which digests a key supports, then signing). */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_fetched[KEYS_MD_SHA512 + 1];

static void
md_fetch(void)
{
	int i;

	for (i = KEYS_MD_SHA256; i <= KEYS_MD_SHA512; i++)
		md_fetched[i] = EVP_MD_fetch(NULL, keys_md_name(i),
		    "provider=default");
}

static int
sig_digest_init(void *ctx, const char *mdname, void *kd,
    const OSSL_PARAM params[])
{
	struct sigctx *c = ctx;

	if (!sig_init(c, kd, params))
		return 0;
	c->md = mdname == NULL || *mdname == '\0' ? KEYS_MD_SHA256 :
	    keys_md_from_name(mdname);
	if (c->md == 0)
		return 0;
	if (c->md_ctx == NULL && (c->md_ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	pthread_once(&md_once, md_fetch);
	return md_fetched[c->md] != NULL &&
	    EVP_DigestInit_ex(c->md_ctx, md_fetched[c->md], NULL);
}

static int
sig_digest_update(void *ctx, const unsigned char *data, size_t len)
{
	struct sigctx *c = ctx;

	return c->md_ctx != NULL && EVP_DigestUpdate(c->md_ctx, data, len);
}

static int
sig_digest_final(void *ctx, unsigned char *sig, size_t *siglen,
    size_t sigsize)
{
	struct sigctx *c = ctx;
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int n;

	if (sig == NULL) {
		*siglen = sig_max(c);
		return 1;
	}
	if (c->md_ctx == NULL || !EVP_DigestFinal_ex(c->md_ctx, dg, &n))
		return 0;
	return remote_sign(c, dg, n, sig, siglen, sigsize);
}

static int
sig_digest_sign(void *ctx, unsigned char *sig, size_t *siglen,
    size_t sigsize, const unsigned char *tbs, size_t tbslen)
{
	struct sigctx *c = ctx;

	if (sig == NULL) {
		*siglen = sig_max(c);
		return 1;
	}
	return sig_digest_update(c, tbs, tbslen) &&
	    sig_digest_final(c, sig, siglen, sigsize);
}

#define SIGNATURE_COMMON \
	{ OSSL_FUNC_SIGNATURE_FREECTX, (void (*)(void))sig_free }, \
	{ OSSL_FUNC_SIGNATURE_DUPCTX, (void (*)(void))sig_dup }, \
	{ OSSL_FUNC_SIGNATURE_SIGN_INIT, (void (*)(void))sig_init }, \
	{ OSSL_FUNC_SIGNATURE_SIGN, (void (*)(void))sig_sign }, \
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_INIT, \
	    (void (*)(void))sig_digest_init }, \
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_UPDATE, \
	    (void (*)(void))sig_digest_update }, \
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN_FINAL, \
	    (void (*)(void))sig_digest_final }, \
	{ OSSL_FUNC_SIGNATURE_DIGEST_SIGN, (void (*)(void))sig_digest_sign }, \
	{ OSSL_FUNC_SIGNATURE_SET_CTX_PARAMS, (void (*)(void))sig_set_params }, \
	{ OSSL_FUNC_SIGNATURE_GET_CTX_PARAMS, (void (*)(void))sig_get_params }, \
	{ OSSL_FUNC_SIGNATURE_GETTABLE_CTX_PARAMS, \
	    (void (*)(void))sig_gettable_params }

static const OSSL_DISPATCH ec_signature[] = {
	SIGNATURE_COMMON,
	{ OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))ec_sig_new },
	{ OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS,
	    (void (*)(void))ec_settable_params },
	{ 0, NULL }
};

static const OSSL_DISPATCH rsa_signature[] = {
	SIGNATURE_COMMON,
	{ OSSL_FUNC_SIGNATURE_NEWCTX, (void (*)(void))rsa_sig_new },
	{ OSSL_FUNC_SIGNATURE_SETTABLE_CTX_PARAMS,
	    (void (*)(void))rsa_settable_params },
	{ 0, NULL }
};

/* --- the provider ---------------------------------------------------- */

#define EC_NAMES	"EC:id-ecPublicKey:1.2.840.10045.2.1"
#define RSA_NAMES	"RSA:rsaEncryption:1.2.840.113549.1.1.1"

static const OSSL_ALGORITHM keymgmt_algs[] = {
	{ EC_NAMES, PROV_PROPS, ec_keymgmt, "hsys-keys EC" },
	{ RSA_NAMES, PROV_PROPS, rsa_keymgmt, "hsys-keys RSA" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM signature_algs[] = {
	{ "ECDSA", PROV_PROPS, ec_signature, "hsys-keys ECDSA" },
	{ RSA_NAMES, PROV_PROPS, rsa_signature, "hsys-keys RSA" },
	{ NULL, NULL, NULL, NULL }
};

static const OSSL_ALGORITHM *
prov_query(void *provctx, int op, int *no_cache)
{
	(void)provctx;
	*no_cache = 0;
	if (op == OSSL_OP_KEYMGMT)
		return keymgmt_algs;
	if (op == OSSL_OP_SIGNATURE)
		return signature_algs;
	return NULL;
}

static const OSSL_DISPATCH prov_dispatch[] = {
	{ OSSL_FUNC_PROVIDER_QUERY_OPERATION, (void (*)(void))prov_query },
	{ 0, NULL }
};

static int
prov_init(const OSSL_CORE_HANDLE *handle, const OSSL_DISPATCH *in,
    const OSSL_DISPATCH **out, void **provctx)
{
	(void)in;
	*out = prov_dispatch;
	*provctx = (void *)handle;
	return 1;
}

/* OpenSSL's library context for the provider: made once per process,
 * holding the provider alone (see the top of the file). */
static pthread_once_t prov_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *prov_libctx;

static void
prov_load(void)
{
	OSSL_LIB_CTX *l = OSSL_LIB_CTX_new();

	if (l == NULL || !OSSL_PROVIDER_add_builtin(l, PROV_NAME, prov_init) ||
	    OSSL_PROVIDER_load(l, PROV_NAME) == NULL) {
		OSSL_LIB_CTX_free(l);
		return;
	}
	prov_libctx = l;
}

int
keys_pkey_new(struct keys_client *client, EVP_PKEY *pub, EVP_PKEY **out,
    struct err *e)
{
	OSSL_PARAM *have = NULL, *all = NULL;
	EVP_PKEY_CTX *c = NULL;
	size_t n;
	int rsa = EVP_PKEY_is_a(pub, "RSA"), rc = -1;

	*out = NULL;
	if (!rsa && !EVP_PKEY_is_a(pub, "EC"))
		return err_set(e, "the key process signs with EC and RSA keys "
		    "only, not %s", EVP_PKEY_get0_type_name(pub));
	pthread_once(&prov_once, prov_load);
	if (prov_libctx == NULL)
		return err_ssl(e, "cannot load the key process's provider");
	if (EVP_PKEY_todata(pub, EVP_PKEY_PUBLIC_KEY, &have) != 1) {
		err_ssl(e, "cannot read a public key");
		goto out;
	}
	/* The public key's parameters, and the client. */
	for (n = 0; have[n].key != NULL; n++)
		;
	if ((all = calloc(n + 2, sizeof(*all))) == NULL) {
		err_sys(e, "out of memory");
		goto out;
	}
	memcpy(all, have, n * sizeof(*all));
	all[n] = OSSL_PARAM_construct_octet_string(PARAM_CLIENT, &client,
	    sizeof(client));
	all[n + 1] = OSSL_PARAM_construct_end();
	c = EVP_PKEY_CTX_new_from_name(prov_libctx, rsa ? "RSA" : "EC",
	    PROV_PROPS);
	if (c == NULL || EVP_PKEY_fromdata_init(c) <= 0 ||
	    EVP_PKEY_fromdata(c, out, EVP_PKEY_PUBLIC_KEY, all) <= 0) {
		err_ssl(e, "cannot make a key for the key process");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(c);
	OSSL_PARAM_free(have);
	free(all);
	return rc;
}
