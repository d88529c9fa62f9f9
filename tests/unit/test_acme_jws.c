/*
 * test_acme_jws — base64url, JWKs, RFC 7638 thumbprints and JWS signatures
 * of src/acme against known answers: RFC 4648's vectors, RFC 7638's RSA
 * example, a fixed EC key (expected values computed apart with Python's
 * hashlib and hmac), and ES256/RS256 signatures that OpenSSL verifies.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "acme/acme.h"
#include "cert/cert.h"
#include "common/err.h"
#include "unit.h"

static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7"
    "aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXA"
    "rwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7"
    "d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lF"
    "d2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

/* A P-256 key made for this test alone (openssl ecparam -genkey); its
 * JWK, thumbprint and EAB MAC were computed with Python's hashlib/hmac. */
static const char ec_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgx6kvxdmxru35ZR0J\n"
    "yJTMpMpMIY3ZFiJ+uf+JxCSsZBmhRANCAAS6dp5sI46+8Sls7TVHQkMh2/FaHm/g\n"
    "9Qd/nmM5NeQmHatkNYKf9YWe7CCKaGLszKEuXNOqbCUHNllDLh5wQ8Kf\n"
    "-----END PRIVATE KEY-----\n";

static BIGNUM *
bn_of(const char *b64)
{
	unsigned char *p;
	BIGNUM *bn;
	size_t n;

	if ((p = acme_b64url_decode(b64, &n)) == NULL)
		return NULL;
	bn = BN_bin2bn(p, (int)n, NULL);
	free(p);
	return bn;
}

static EVP_PKEY *
from_params(const char *type, OSSL_PARAM_BLD *b, int selection)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(b);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *k = NULL;

	if (ctx != NULL && params != NULL && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &k, selection, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return k;
}

static EVP_PKEY *
rsa_example(void)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	BIGNUM *n = bn_of(rfc7638_n), *e = bn_of("AQAB");
	EVP_PKEY *k;

	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e);
	k = from_params("RSA", b, EVP_PKEY_PUBLIC_KEY);
	OSSL_PARAM_BLD_free(b);
	BN_free(n);
	BN_free(e);
	return k;
}

static EVP_PKEY *
ec_example(void)
{
	BIO *b = BIO_new_mem_buf(ec_pem, -1);
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);

	BIO_free(b);
	return k;
}

static void
test_b64url(void)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob",
	    "fooba", "foobar" };
	static const char *const out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg",
	    "Zm9vYmE", "Zm9vYmFy" };
	static const unsigned char url[] = { 0xfb, 0xff, 0xbf };
	unsigned char *d;
	char *s;
	size_t i, n;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		s = acme_b64url((const unsigned char *)in[i], strlen(in[i]));
		CHECK_STR(s, out[i]);
		d = acme_b64url_decode(out[i], &n);
		CHECK(d != NULL && n == strlen(in[i]) &&
		    memcmp(d, in[i], n) == 0);
		free(s);
		free(d);
	}
	s = acme_b64url(url, sizeof(url));
	CHECK_STR(s, "-_-_");
	free(s);
	d = acme_b64url_decode("-_-_", &n);
	CHECK(d != NULL && n == 3 && memcmp(d, url, 3) == 0);
	free(d);
	d = acme_b64url_decode("Zm9vYg==", &n);
	CHECK(d != NULL && n == 4 && memcmp(d, "foob", 4) == 0);
	free(d);
	CHECK(acme_b64url_decode("+/+/", &n) == NULL);
	CHECK(acme_b64url_decode("Zm9vY", &n) == NULL);
	CHECK(acme_b64url_decode("Zm*v", &n) == NULL);
}

static void
test_thumbprint_rsa(void)
{
	EVP_PKEY *k = rsa_example();
	char *t = NULL, *j = NULL;
	struct err e;

	if (!CHECK(k != NULL))
		return;
	CHECK_STR(acme_jws_alg(k), "RS256");
	CHECK(acme_jwk_json(k, &j, &e) == 0);
	CHECK(j != NULL && strncmp(j, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\""
	    "0vx7", 31) == 0);
	CHECK(acme_jwk_thumbprint(k, &t, &e) == 0);
	CHECK_STR(t, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	free(t);
	free(j);
	EVP_PKEY_free(k);
}

static void
test_thumbprint_ec(void)
{
	EVP_PKEY *k = ec_example();
	char *t = NULL, *j = NULL;
	struct err e;

	if (!CHECK(k != NULL))
		return;
	CHECK_STR(acme_jws_alg(k), "ES256");
	CHECK(acme_jwk_json(k, &j, &e) == 0);
	CHECK_STR(j, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"unaebCOOvvEp"
	    "bO01R0JDIdvxWh5v4PUHf55jOTXkJh0\",\"y\":\"q2Q1gp_1hZ7sIIpoYuzMoS5c"
	    "06psJQc2WUMuHnBDwp8\"}");
	CHECK(acme_jwk_thumbprint(k, &t, &e) == 0);
	CHECK_STR(t, "LGpILSBSrVXJFYnHBlAiYJj8lEvUsGqv-UNH2Ho8VFY");
	free(t);
	free(j);
	EVP_PKEY_free(k);
}

static void
test_unsupported_key(void)
{
	EVP_PKEY *k = NULL;
	struct err e;
	char *j = NULL;

	CHECK(cert_key_new("ec-p384", &k, &e) == 0);
	CHECK(acme_jws_alg(k) == NULL);
	CHECK(acme_jwk_json(k, &j, &e) == -1);
	CHECK(strstr(e.msg, "P-256") != NULL);
	EVP_PKEY_free(k);
}

/* Splits a flattened JWS; checks the header's members. */
static int
jws_parts(const char *jws, char **prot, char **payload, char **sig,
    json_t **hdr)
{
	json_t *o = json_loads(jws, 0, NULL);
	unsigned char *h;
	size_t n;

	if (o == NULL)
		return -1;
	*prot = strdup(json_string_value(json_object_get(o, "protected")));
	*payload = strdup(json_string_value(json_object_get(o, "payload")));
	*sig = strdup(json_string_value(json_object_get(o, "signature")));
	json_decref(o);
	h = acme_b64url_decode(*prot, &n);
	*hdr = h ? json_loadb((char *)h, n, 0, NULL) : NULL;
	free(h);
	return *hdr ? 0 : -1;
}

static int
verify(EVP_PKEY *k, const char *prot, const char *payload, const char *sig)
{
	unsigned char *raw, *der = NULL;
	size_t n, dlen;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ECDSA_SIG *es = NULL;
	char *input = NULL;
	int ok = 0, len;

	if ((raw = acme_b64url_decode(sig, &n)) == NULL ||
	    asprintf(&input, "%s.%s", prot, payload) < 0)
		goto done;
	der = raw;
	dlen = n;
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_EC) {
		/* r||s back to DER for OpenSSL, 64 bytes exactly. */
		if (n != 64)
			goto done;
		es = ECDSA_SIG_new();
		ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL),
		    BN_bin2bn(raw + 32, 32, NULL));
		der = NULL;
		if ((len = i2d_ECDSA_SIG(es, &der)) <= 0)
			goto done;
		dlen = (size_t)len;
	}
	ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestVerify(ctx, der, dlen, (unsigned char *)input,
	    strlen(input)) == 1;
done:
	if (der != raw)
		OPENSSL_free(der);
	ECDSA_SIG_free(es);
	free(raw);
	free(input);
	EVP_MD_CTX_free(ctx);
	return ok;
}

static void
check_signed(EVP_PKEY *k, const char *alg, const char *kid)
{
	char *jws = NULL, *prot = NULL, *payload = NULL, *sig = NULL;
	json_t *hdr = NULL;
	struct err e;

	CHECK(acme_jws_sign(k, kid, "nonce-1", "https://acme.example/o", kid ?
	    "{\"a\":1}" : NULL, &jws, &e) == 0);
	CHECK(jws != NULL && jws_parts(jws, &prot, &payload, &sig, &hdr) == 0);
	CHECK_STR(json_string_value(json_object_get(hdr, "alg")), alg);
	CHECK_STR(json_string_value(json_object_get(hdr, "nonce")), "nonce-1");
	CHECK_STR(json_string_value(json_object_get(hdr, "url")),
	    "https://acme.example/o");
	if (kid != NULL) {
		CHECK_STR(json_string_value(json_object_get(hdr, "kid")), kid);
		CHECK(json_object_get(hdr, "jwk") == NULL);
		CHECK_STR(payload, "eyJhIjoxfQ");
	} else {
		CHECK(json_object_get(hdr, "jwk") != NULL);
		CHECK(json_object_get(hdr, "kid") == NULL);
		CHECK_STR(payload, "");		/* POST-as-GET */
	}
	CHECK(sig != NULL && verify(k, prot, payload, sig));
	json_decref(hdr);
	free(jws);
	free(prot);
	free(payload);
	free(sig);
}

static void
test_sign_es256(void)
{
	EVP_PKEY *k = ec_example();

	check_signed(k, "ES256", NULL);
	check_signed(k, "ES256", "https://acme.example/acct/1");
	EVP_PKEY_free(k);
}

static void
test_sign_rs256(void)
{
	EVP_PKEY *k = NULL;
	struct err e;

	CHECK(cert_key_new("rsa-2048", &k, &e) == 0);
	check_signed(k, "RS256", NULL);
	check_signed(k, "RS256", "https://acme.example/acct/2");
	EVP_PKEY_free(k);
}

static void
test_eab(void)
{
	static const unsigned char mac[] = "0123456789abcdef0123456789abcdef";
	char *jws = NULL, *prot = NULL, *payload = NULL, *sig = NULL;
	EVP_PKEY *k = ec_example();
	json_t *hdr = NULL;
	struct err e;

	CHECK(acme_eab_sign(k, "kid-1", mac, 32,
	    "https://acme.example/new-acct", &jws, &e) == 0);
	CHECK(jws != NULL && jws_parts(jws, &prot, &payload, &sig, &hdr) == 0);
	CHECK_STR(prot, "eyJhbGciOiJIUzI1NiIsImtpZCI6ImtpZC0xIiwidXJsIjoiaHR0cH"
	    "M6Ly9hY21lLmV4YW1wbGUvbmV3LWFjY3QifQ");
	CHECK_STR(sig, "KHT-G0ZEQrLiJV7X2fp2KX6sW2qaFDtWmBJVhhsiXwM");
	json_decref(hdr);
	free(jws);
	free(prot);
	free(payload);
	free(sig);
	EVP_PKEY_free(k);
}

int
main(void)
{
	RUN(test_b64url);
	RUN(test_thumbprint_rsa);
	RUN(test_thumbprint_ec);
	RUN(test_unsupported_key);
	RUN(test_sign_es256);
	RUN(test_sign_rs256);
	RUN(test_eab);
	return unit_done();
}
