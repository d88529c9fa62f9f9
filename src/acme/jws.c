/*
 * jws — the account key's side of ACME: its public JWK, the RFC 7638
 * thumbprint that key authorizations carry, flattened JWS signatures
 * (ES256 for EC P-256, RS256 for RSA) and the HS256 external account
 * binding. All cryptography is OpenSSL's; JSON is built with jansson,
 * whose sorted compact output is the canonical form RFC 7638 asks for.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "acme/acme.h"
#include "common/err.h"

static int
is_p256(EVP_PKEY *k)
{
	char group[64];
	size_t n;

	return EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &n) == 1 &&
	    strcmp(group, "prime256v1") == 0;
}

const char *
acme_jws_alg(EVP_PKEY *k)
{
	if (is_p256(k))
		return "ES256";
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA && EVP_PKEY_get_bits(k)
	    >= 2048)
		return "RS256";
	return NULL;
}

/* A big number parameter of the key as base64url, padded to width bytes
 * (0: its natural length). */
static char *
bn_b64(EVP_PKEY *k, const char *param, int width)
{
	unsigned char buf[1024];
	BIGNUM *bn = NULL;
	char *out = NULL;
	int n;

	if (EVP_PKEY_get_bn_param(k, param, &bn) != 1)
		return NULL;
	n = width ? width : BN_num_bytes(bn);
	if (n <= (int)sizeof(buf) && BN_bn2binpad(bn, buf, n) == n)
		out = acme_b64url(buf, (size_t)n);
	BN_free(bn);
	return out;
}

static json_t *
jwk_object(EVP_PKEY *k)
{
	char *a = NULL, *b = NULL;
	json_t *o = NULL;

	if (is_p256(k)) {
		a = bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
		if (a && b)
			o = json_pack("{s:s, s:s, s:s, s:s}", "crv", "P-256",
			    "kty", "EC", "x", a, "y", b);
	} else if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA) {
		a = bn_b64(k, OSSL_PKEY_PARAM_RSA_E, 0);
		b = bn_b64(k, OSSL_PKEY_PARAM_RSA_N, 0);
		if (a && b)
			o = json_pack("{s:s, s:s, s:s}", "e", a, "kty", "RSA",
			    "n", b);
	}
	free(a);
	free(b);
	return o;
}

int
acme_jwk_json(EVP_PKEY *k, char **out, struct err *e)
{
	json_t *o;

	if (acme_jws_alg(k) == NULL)
		return err_set(e, "the account key must be EC P-256 or RSA "
		    "of 2048 bits or more");
	if ((o = jwk_object(k)) == NULL)
		return err_ssl(e, "cannot read the account key's public half");
	*out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return *out ? 0 : err_set(e, "out of memory");
}

int
acme_jwk_thumbprint(EVP_PKEY *k, char **out, struct err *e)
{
	unsigned char md[32];
	unsigned int mdlen;
	char *jwk;

	if (acme_jwk_json(k, &jwk, e) == -1)
		return -1;
	if (EVP_Digest(jwk, strlen(jwk), md, &mdlen, EVP_sha256(), NULL)
	    != 1) {
		free(jwk);
		return err_ssl(e, "cannot hash the JWK");
	}
	free(jwk);
	if ((*out = acme_b64url(md, mdlen)) == NULL)
		return err_set(e, "out of memory");
	return 0;
}

/* ES256 wants r||s, 32 bytes each, where OpenSSL gives a DER sequence. */
static int
ecdsa_raw(unsigned char *sig, size_t *len)
{
	const unsigned char *p = sig;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	int ok;

	if ((es = d2i_ECDSA_SIG(NULL, &p, (long)*len)) == NULL)
		return -1;
	ECDSA_SIG_get0(es, &r, &s);
	ok = BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32)
	    == 32;
	ECDSA_SIG_free(es);
	*len = 64;
	return ok ? 0 : -1;
}

static int
sign_input(EVP_PKEY *k, const char *input, char **sig_b64, struct err *e)
{
	unsigned char *sig = NULL;
	EVP_MD_CTX *ctx;
	size_t len = 0;
	int rc = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return err_ssl(e, "out of memory");
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(ctx, NULL, &len, (const unsigned char *)input,
	    strlen(input)) != 1 || (sig = malloc(len)) == NULL ||
	    EVP_DigestSign(ctx, sig, &len, (const unsigned char *)input,
	    strlen(input)) != 1) {
		err_ssl(e, "cannot sign with the account key");
		goto done;
	}
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC && ecdsa_raw(sig, &len)
	    == -1) {
		err_set(e, "cannot encode the ES256 signature");
		goto done;
	}
	if ((*sig_b64 = acme_b64url(sig, len)) == NULL) {
		err_set(e, "out of memory");
		goto done;
	}
	rc = 0;
done:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* {"protected":..., "payload":..., "signature":...} from the header
 * object and payload text, signed by sign(). */
static int
flatten(json_t *hdr, const char *payload, EVP_PKEY *k,
    const unsigned char *mac, size_t maclen, char **out, struct err *e)
{
	char *h = NULL, *p = NULL, *input = NULL, *sig = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	json_t *o = NULL;
	char *hj;
	int rc = -1;

	if ((hj = json_dumps(hdr, JSON_COMPACT)) == NULL)
		return err_set(e, "out of memory");
	h = acme_b64url((unsigned char *)hj, strlen(hj));
	free(hj);
	p = acme_b64url((const unsigned char *)payload, strlen(payload));
	if (h == NULL || p == NULL || asprintf(&input, "%s.%s", h, p) < 0) {
		input = NULL;
		err_set(e, "out of memory");
		goto done;
	}
	if (mac != NULL) {
		if (HMAC(EVP_sha256(), mac, (int)maclen,
		    (unsigned char *)input, strlen(input), md, &mdlen)
		    == NULL) {
			err_ssl(e, "cannot compute the HS256 binding");
			goto done;
		}
		sig = acme_b64url(md, mdlen);
	} else if (sign_input(k, input, &sig, e) == -1)
		goto done;
	o = json_pack("{s:s, s:s, s:s}", "protected", h, "payload", p,
	    "signature", sig ? sig : "");
	if (sig == NULL || o == NULL || (*out = json_dumps(o, JSON_COMPACT))
	    == NULL) {
		err_set(e, "out of memory");
		goto done;
	}
	rc = 0;
done:
	json_decref(o);
	free(h);
	free(p);
	free(input);
	free(sig);
	return rc;
}

int
acme_jws_sign(EVP_PKEY *k, const char *kid, const char *nonce,
    const char *url, const char *payload, char **out, struct err *e)
{
	const char *alg = acme_jws_alg(k);
	json_t *hdr, *jwk;
	int rc;

	if (alg == NULL)
		return err_set(e, "the account key must be EC P-256 or RSA "
		    "of 2048 bits or more");
	if ((hdr = json_pack("{s:s, s:s, s:s}", "alg", alg, "nonce", nonce,
	    "url", url)) == NULL)
		return err_set(e, "out of memory");
	if (kid != NULL)
		json_object_set_new(hdr, "kid", json_string(kid));
	else if ((jwk = jwk_object(k)) != NULL)
		json_object_set_new(hdr, "jwk", jwk);
	else {
		json_decref(hdr);
		return err_ssl(e, "cannot read the account key's public half");
	}
	rc = flatten(hdr, payload ? payload : "", k, NULL, 0, out, e);
	json_decref(hdr);
	return rc;
}

int
acme_eab_sign(EVP_PKEY *account, const char *eab_kid,
    const unsigned char *mac, size_t maclen, const char *url, char **out,
    struct err *e)
{
	char *jwk;
	json_t *hdr;
	int rc;

	if (acme_jwk_json(account, &jwk, e) == -1)
		return -1;
	if ((hdr = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid",
	    eab_kid, "url", url)) == NULL) {
		free(jwk);
		return err_set(e, "out of memory");
	}
	rc = flatten(hdr, jwk, NULL, mac, maclen, out, e);
	json_decref(hdr);
	free(jwk);
	return rc;
}
