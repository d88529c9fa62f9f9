/*
 * export — a certificate, its chain and optionally its key, encoded for
 * other programs: PKCS#12 (PFX) or PEM. See cert.h.
 *
 * The encodings are built in memory and handed back to the caller, which
 * writes them with fs_write_file: this file does no I/O. Buffers that hold a
 * key are wiped before they are freed (cert_export_free).
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"

void
cert_export_free(unsigned char *buf, size_t len)
{
	OPENSSL_clear_free(buf, len);
}

/* Copies a memory BIO's contents into a buffer of our own. */
static int
bio_take(BIO *b, unsigned char **out, size_t *len, struct err *e)
{
	char *p;
	long n = BIO_get_mem_data(b, &p);

	if (n <= 0)
		return err_set(e, "nothing was encoded");
	if ((*out = OPENSSL_malloc((size_t)n)) == NULL)
		return err_ssl(e, "out of memory");
	memcpy(*out, p, (size_t)n);
	*len = (size_t)n;
	return 0;
}

int
cert_export_pfx(X509 *x, EVP_PKEY *key, STACK_OF(X509) *chain,
    const char *pass, int legacy, unsigned char **out, size_t *len,
    struct err *e)
{
	int nid = legacy ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC : 0;
	PKCS12 *p12 = NULL;
	BIO *b = NULL;
	int rc = -1;

	if (key != NULL && (pass == NULL || *pass == '\0'))
		return err_set(e, "a PFX with a private key needs a password");
	/* The MAC is added below so that its digest can be chosen: SHA-1
	 * for --legacy (older Windows and Java), else OpenSSL's SHA-256. */
	/* Without a key and a password, the certificates stay in clear,
	 * as a PFX of public data exported without a password does. */
	p12 = PKCS12_create(pass, NULL, key, x, chain, nid,
	    pass == NULL || *pass == '\0' ? -1 : nid,
	    PKCS12_DEFAULT_ITER, -1, 0);
	if (p12 == NULL) {
		err_ssl(e, "cannot build the PFX");
		goto fail;
	}
	if (!PKCS12_set_mac(p12, pass, -1, NULL, 0, PKCS12_DEFAULT_ITER,
	    legacy ? EVP_sha1() : EVP_sha256())) {
		err_ssl(e, "cannot protect the PFX with a MAC");
		goto fail;
	}
	if ((b = BIO_new(BIO_s_secmem())) == NULL || !i2d_PKCS12_bio(b, p12)) {
		err_ssl(e, "cannot encode the PFX");
		goto fail;
	}
	rc = bio_take(b, out, len, e);
fail:
	BIO_free(b);
	PKCS12_free(p12);
	return rc;
}

int
cert_export_pem(X509 *x, EVP_PKEY *key, STACK_OF(X509) *chain,
    const char *pass, unsigned char **out, size_t *len, struct err *e)
{
	const EVP_CIPHER *cipher = NULL;
	BIO *b;
	int i, rc = -1;

	if ((b = BIO_new(BIO_s_secmem())) == NULL)
		return err_ssl(e, "out of memory");
	if (!PEM_write_bio_X509(b, x))
		goto ssl;
	for (i = 0; i < sk_X509_num(chain); i++)
		if (!PEM_write_bio_X509(b, sk_X509_value(chain, i)))
			goto ssl;
	if (key != NULL) {
		if (pass != NULL && *pass != '\0')
			cipher = EVP_aes_256_cbc();
		if (!PEM_write_bio_PKCS8PrivateKey(b, key, cipher, NULL, 0,
		    NULL, cipher ? (void *)pass : NULL))
			goto ssl;
	}
	rc = bio_take(b, out, len, e);
	BIO_free(b);
	return rc;
ssl:
	err_ssl(e, "cannot encode the PEM file");
	BIO_free(b);
	return -1;
}
