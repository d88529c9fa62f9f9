/*
 * testcert — makes throwaway keys and certificates for unit tests, and a
 * private HSYS_HOME for tests that open a store.
 */
#ifndef HSYS_TESTS_TESTCERT_H
#define HSYS_TESTS_TESTCERT_H

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static inline EVP_PKEY *
testcert_key(void)
{
	return EVP_EC_gen("P-256");
}

/* A self-signed certificate for CN=cn, or one signed by (ca, cakey). */
static inline X509 *
testcert_make(const char *cn, EVP_PKEY *key, X509 *ca, EVP_PKEY *cakey,
    long serial)
{
	X509 *x = X509_new();
	X509_NAME *name;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name);
	X509_sign(x, cakey ? cakey : key, EVP_sha256());
	return x;
}

/* Adds an extension, `value` in openssl.cnf syntax, issued by `issuer`
 * (NULL: self-issued). The caller signs the certificate afterwards. */
static inline void
testcert_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v;
	X509_EXTENSION *ext;

	X509V3_set_ctx(&v, issuer ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v, nid, value);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
}

/* testcert_make with basicConstraints: a CA, or an end entity. */
static inline X509 *
testcert_make_bc(const char *cn, EVP_PKEY *key, X509 *ca, EVP_PKEY *cakey,
    long serial, int is_ca)
{
	X509 *x = testcert_make(cn, key, ca, cakey, serial);

	testcert_ext(x, ca, NID_basic_constraints, is_ca ? "critical,CA:TRUE" :
	    "CA:FALSE");
	X509_sign(x, cakey ? cakey : key, EVP_sha256());
	return x;
}

/* Points HSYS_HOME at a fresh temporary directory; returns its path. */
static inline const char *
testcert_home(void)
{
	static char dir[] = "/tmp/hsys-unit.XXXXXX";

	if (mkdtemp(dir) == NULL)
		abort();
	setenv("HSYS_HOME", dir, 1);
	return dir;
}

static inline void
testcert_home_remove(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

#endif
