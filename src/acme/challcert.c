/*
 * challcert — the TLS-ALPN-01 challenge certificate (RFC 8737 §3): a
 * self-signed certificate for one name, with the critical acmeIdentifier
 * extension (the SHA-256 of the key authorization), on a P-256 key made
 * for it. The process that publishes the challenge makes it (the hsys CLI
 * or the renewal, both root: publish.c) and keeps it with its key in the
 * internal certificate store AcmeChallenge, so that hsysd serves the
 * certificate and the key process signs its handshakes: the serving
 * process never holds the key.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "common/err.h"

#define ACME_IDENTIFIER_OID	"1.3.6.1.5.5.7.1.31"	/* RFC 8737 §6.1 */

/* The acmeIdentifier extension's value: the DER of an OCTET STRING
 * holding SHA-256 of the key authorization. */
static int
identifier(const char *keyauth, unsigned char der[2 + 32])
{
	unsigned int n = 0;

	der[0] = 0x04;
	der[1] = 32;
	return EVP_Digest(keyauth, strlen(keyauth), der + 2, &n, EVP_sha256(),
	    NULL) == 1 && n == 32;
}

/* The extension itself: critical. */
static int
add_identifier(X509 *x, const char *keyauth)
{
	unsigned char der[2 + 32];
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	ASN1_OBJECT *obj = OBJ_txt2obj(ACME_IDENTIFIER_OID, 1);
	X509_EXTENSION *ext = NULL;
	int ok = 0;

	if (os == NULL || obj == NULL || !identifier(keyauth, der) ||
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
make(EVP_PKEY *key, const char *name, const char *keyauth)
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

int
acme_challenge_cert(const char *name, const char *keyauth, EVP_PKEY **key,
    X509 **x, struct err *e)
{
	*x = NULL;
	if ((*key = EVP_EC_gen("P-256")) == NULL ||
	    (*x = make(*key, name, keyauth)) == NULL) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return err_ssl(e, "cannot make the tls-alpn-01 certificate "
		    "for %s", name);
	}
	return 0;
}

int
acme_challenge_cert_is(X509 *x, const char *name, const char *keyauth)
{
	unsigned char want[2 + 32];
	const ASN1_OCTET_STRING *d;
	ASN1_OBJECT *obj;
	X509_EXTENSION *ext;
	int i;

	if (X509_check_host(x, name, 0, 0, NULL) != 1 ||
	    !identifier(keyauth, want) ||
	    (obj = OBJ_txt2obj(ACME_IDENTIFIER_OID, 1)) == NULL)
		return 0;
	i = X509_get_ext_by_OBJ(x, obj, -1);
	ASN1_OBJECT_free(obj);
	if (i < 0 || (ext = X509_get_ext(x, i)) == NULL ||
	    (d = X509_EXTENSION_get_data(ext)) == NULL)
		return 0;
	return ASN1_STRING_length(d) == (int)sizeof(want) &&
	    memcmp(ASN1_STRING_get0_data(d), want, sizeof(want)) == 0;
}
