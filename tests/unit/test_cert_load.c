/*
 * Unit tests of cert/load.c: every format it reads (PKCS#12 modern, 3DES
 * and without MAC, with given, empty and absent passwords; PEM certificates,
 * chains, PKCS#1, PKCS#8, SEC1 and encrypted keys; DER certificates) and
 * every way it refuses a file (wrong or missing password, mismatched key,
 * truncated, random, empty, oversized, key without certificate). Inputs are
 * made in-process with OpenSSL.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"
#include "testcert.h"
#include "unit.h"

/* A test chain: root -> intermediate -> leaf, and an unrelated key. */
static EVP_PKEY *root_key, *int_key, *leaf_key, *other_key;
static X509 *root, *inter, *leaf, *other;

/* The bytes a BIO collected, as a malloc'd buffer. */
struct bytes {
	unsigned char	*p;
	size_t		 len;
};

static struct bytes
bio_bytes(BIO *bio)
{
	struct bytes b;
	char *data;
	long n = BIO_get_mem_data(bio, &data);

	b.len = (size_t)n;
	b.p = malloc(b.len + 1);
	memcpy(b.p, data, b.len);
	BIO_free(bio);
	return b;
}

static STACK_OF(X509) *
stack_of(X509 *a, X509 *b)
{
	STACK_OF(X509) *sk = sk_X509_new_null();

	if (a != NULL)
		sk_X509_push(sk, a);
	if (b != NULL)
		sk_X509_push(sk, b);
	return sk;
}

static struct bytes
pkcs12(const char *pass, X509 *x, EVP_PKEY *k, STACK_OF(X509) *ca,
    int nid_key, int nid_cert, int mac_iter)
{
	PKCS12 *p12 = PKCS12_create(pass, "test", k, x, ca, nid_key, nid_cert,
	    0, mac_iter, 0);
	BIO *bio = BIO_new(BIO_s_mem());

	i2d_PKCS12_bio(bio, p12);
	PKCS12_free(p12);
	sk_X509_free(ca);
	return bio_bytes(bio);
}

static int
load(struct bytes in, const char *pass, struct cert_bundle *b, struct err *e)
{
	int rc;

	err_clear(e);
	rc = cert_bundle_parse(in.p, in.len, "test.file", pass, b, e);
	return rc;
}

/* The bundle holds the leaf with its key and n other certificates. */
static int
is_leaf_bundle(struct cert_bundle *b, int with_key, int n)
{
	return b->leaf != NULL && X509_cmp(b->leaf, leaf) == 0 &&
	    (with_key ? b->key != NULL && EVP_PKEY_eq(b->key, leaf_key) == 1 :
	    b->key == NULL) && sk_X509_num(b->extra) == n;
}

static void
test_pkcs12_modern(void)
{
	struct bytes in = pkcs12("s3cret", leaf, leaf_key,
	    stack_of(inter, root), 0, 0, 0);
	struct cert_bundle b;
	struct err e;

	CHECK(load(in, "s3cret", &b, &e) == 0 && is_leaf_bundle(&b, 1, 2));
	cert_bundle_free(&b);
	CHECK(load(in, "wrong", &b, &e) == -1 &&
	    e.code == CERT_LOAD_BAD_PASSWORD &&
	    strstr(e.msg, "password for test.file is wrong") != NULL);
	CHECK(b.leaf == NULL && b.key == NULL && b.extra == NULL);
	CHECK(load(in, NULL, &b, &e) == -1 &&
	    e.code == CERT_LOAD_NEED_PASSWORD);
	CHECK(load(in, "", &b, &e) == -1 && e.code == CERT_LOAD_BAD_PASSWORD);
	CHECK(strstr(e.msg, "s3cret") == NULL);
	free(in.p);
}

static void
test_pkcs12_legacy_3des(void)
{
	struct bytes in = pkcs12("s3cret", leaf, leaf_key, stack_of(inter,
	    NULL), NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
	    NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 0);
	struct cert_bundle b;
	struct err e;

	CHECK(load(in, "s3cret", &b, &e) == 0 && is_leaf_bundle(&b, 1, 1));
	cert_bundle_free(&b);
	CHECK(load(in, "s3cre", &b, &e) == -1 &&
	    e.code == CERT_LOAD_BAD_PASSWORD);
	free(in.p);
}

static void
test_pkcs12_empty_and_absent_password(void)
{
	struct bytes empty = pkcs12("", leaf, leaf_key, NULL, 0, 0, 0);
	struct bytes absent = pkcs12(NULL, leaf, leaf_key, NULL,
	    NID_pbe_WithSHA1And3_Key_TripleDES_CBC,
	    NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 0);
	struct cert_bundle b;
	struct err e;

	/* Either spelling of "no password" opens either file. */
	CHECK(load(empty, NULL, &b, &e) == 0 && is_leaf_bundle(&b, 1, 0));
	cert_bundle_free(&b);
	CHECK(load(empty, "", &b, &e) == 0 && is_leaf_bundle(&b, 1, 0));
	cert_bundle_free(&b);
	CHECK(load(absent, NULL, &b, &e) == 0 && is_leaf_bundle(&b, 1, 0));
	cert_bundle_free(&b);
	CHECK(load(absent, "", &b, &e) == 0 && is_leaf_bundle(&b, 1, 0));
	cert_bundle_free(&b);
	CHECK(load(absent, "x", &b, &e) == -1 &&
	    e.code == CERT_LOAD_BAD_PASSWORD);
	free(empty.p);
	free(absent.p);
}

static void
test_pkcs12_without_mac(void)
{
	struct bytes in = pkcs12("s3cret", leaf, leaf_key, NULL, 0, 0, -1);
	struct cert_bundle b;
	struct err e;

	CHECK(load(in, "s3cret", &b, &e) == 0 && is_leaf_bundle(&b, 1, 0));
	cert_bundle_free(&b);
	CHECK(load(in, "wrong", &b, &e) == -1 && b.leaf == NULL);
	CHECK(load(in, NULL, &b, &e) == -1 &&
	    e.code == CERT_LOAD_NEED_PASSWORD);
	free(in.p);
}

static void
test_pkcs12_cert_only(void)
{
	struct bytes in = pkcs12("pw", root, NULL, NULL, 0, 0, 0);
	struct cert_bundle b;
	struct err e;

	CHECK(load(in, "pw", &b, &e) == 0 && b.key == NULL &&
	    X509_cmp(b.leaf, root) == 0 && sk_X509_num(b.extra) == 0);
	cert_bundle_free(&b);
	free(in.p);
}

static struct bytes
pem(X509 *a, X509 *b, X509 *c, EVP_PKEY *k, int keyform,
    const EVP_CIPHER *enc, const char *pass)
{
	BIO *bio = BIO_new(BIO_s_mem());

	/* Text before and between blocks, as "openssl pkcs12 -nodes"
	 * writes it, must not matter. */
	BIO_puts(bio, "Bag Attributes\n    friendlyName: test\n");
	if (k != NULL && keyform == 8)
		PEM_write_bio_PKCS8PrivateKey(bio, k, enc, NULL, 0, NULL,
		    (void *)pass);
	else if (k != NULL)
		PEM_write_bio_PrivateKey_traditional(bio, k, enc, NULL, 0,
		    NULL, (void *)pass);
	if (a != NULL)
		PEM_write_bio_X509(bio, a);
	if (b != NULL)
		PEM_write_bio_X509(bio, b);
	if (c != NULL)
		PEM_write_bio_X509(bio, c);
	return bio_bytes(bio);
}

static void
test_pem_chain_any_order(void)
{
	struct bytes in = pem(root, leaf, inter, leaf_key, 8, NULL, NULL);
	struct bytes nokey = pem(inter, leaf, root, NULL, 8, NULL, NULL);
	struct cert_bundle b;
	struct err e;

	CHECK(load(in, NULL, &b, &e) == 0 && is_leaf_bundle(&b, 1, 2));
	cert_bundle_free(&b);
	/* Without a key, the one certificate that is not a CA. */
	CHECK(load(nokey, NULL, &b, &e) == 0 && is_leaf_bundle(&b, 0, 2));
	cert_bundle_free(&b);
	free(in.p);
	free(nokey.p);
}

static void
test_pem_key_forms(void)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	X509 *rx = testcert_make_bc("rsa.test", rsa, NULL, NULL, 9, 0);
	struct bytes pkcs1 = pem(rx, NULL, NULL, rsa, 1, NULL, NULL);
	struct bytes sec1 = pem(leaf, NULL, NULL, leaf_key, 1, NULL, NULL);
	struct cert_bundle b;
	struct err e;

	CHECK(strstr((char *)pkcs1.p, "BEGIN RSA PRIVATE KEY") != NULL);
	CHECK(load(pkcs1, NULL, &b, &e) == 0 && X509_cmp(b.leaf, rx) == 0 &&
	    EVP_PKEY_eq(b.key, rsa) == 1);
	cert_bundle_free(&b);
	CHECK(strstr((char *)sec1.p, "BEGIN EC PRIVATE KEY") != NULL);
	CHECK(load(sec1, NULL, &b, &e) == 0 && is_leaf_bundle(&b, 1, 0));
	cert_bundle_free(&b);
	free(pkcs1.p);
	free(sec1.p);
	X509_free(rx);
	EVP_PKEY_free(rsa);
}

static void
test_pem_encrypted_keys(void)
{
	struct bytes p8 = pem(leaf, NULL, NULL, leaf_key, 8,
	    EVP_aes_256_cbc(), "s3cret");
	struct bytes trad = pem(leaf, NULL, NULL, leaf_key, 1,
	    EVP_des_ede3_cbc(), "s3cret");
	struct cert_bundle b;
	struct err e;

	CHECK(strstr((char *)p8.p, "ENCRYPTED PRIVATE KEY") != NULL);
	CHECK(load(p8, "s3cret", &b, &e) == 0 && is_leaf_bundle(&b, 1, 0));
	cert_bundle_free(&b);
	CHECK(load(p8, "wrong", &b, &e) == -1 &&
	    e.code == CERT_LOAD_BAD_PASSWORD);
	CHECK(load(p8, NULL, &b, &e) == -1 &&
	    e.code == CERT_LOAD_NEED_PASSWORD);
	CHECK(strstr((char *)trad.p, "Proc-Type: 4,ENCRYPTED") != NULL);
	CHECK(load(trad, "s3cret", &b, &e) == 0 && is_leaf_bundle(&b, 1, 0));
	cert_bundle_free(&b);
	CHECK(load(trad, "wrong", &b, &e) == -1 &&
	    e.code == CERT_LOAD_BAD_PASSWORD);
	CHECK(load(trad, NULL, &b, &e) == -1 &&
	    e.code == CERT_LOAD_NEED_PASSWORD);
	free(p8.p);
	free(trad.p);
}

/* A wrong password whose last block happens to carry valid padding (one
 * in 256) decrypts to bytes that are no key: still "the password is
 * wrong", never "an unsupported cipher, or a damaged file" (cert_import
 * once failed that way in CI). The password is searched for here, so the
 * case is met on every run. */
static void
test_pem_wrong_password_that_pads(void)
{
	struct bytes p8 = pem(leaf, NULL, NULL, leaf_key, 8,
	    EVP_aes_256_cbc(), "s3cret");
	BIO *bio = BIO_new_mem_buf(p8.p, (int)p8.len);
	X509_SIG *sig = PEM_read_bio_PKCS8(bio, NULL, NULL, NULL);
	PKCS8_PRIV_KEY_INFO *pi;
	struct cert_bundle b;
	unsigned long code;
	struct err e;
	char pw[32];
	int i, found = 0;

	CHECK(sig != NULL);
	for (i = 0; sig != NULL && i < 8192 && !found; i++) {
		snprintf(pw, sizeof(pw), "wrong-%d", i);
		if ((pi = PKCS8_decrypt(sig, pw, (int)strlen(pw))) != NULL) {
			PKCS8_PRIV_KEY_INFO_free(pi);
			continue;
		}
		while ((code = ERR_get_error()) != 0)
			if (ERR_GET_LIB(code) == ERR_LIB_PKCS12 &&
			    ERR_GET_REASON(code) == PKCS12_R_DECODE_ERROR)
				found = 1;
	}
	CHECK(found);
	CHECK(load(p8, pw, &b, &e) == -1 && e.code == CERT_LOAD_BAD_PASSWORD);
	X509_SIG_free(sig);
	BIO_free(bio);
	free(p8.p);
}

static void
test_der_cert_and_key(void)
{
	struct bytes cert, key;
	struct cert_bundle b;
	struct err e;
	BIO *bio;

	bio = BIO_new(BIO_s_mem());
	i2d_X509_bio(bio, leaf);
	cert = bio_bytes(bio);
	bio = BIO_new(BIO_s_mem());
	i2d_PrivateKey_bio(bio, leaf_key);
	key = bio_bytes(bio);
	CHECK(load(cert, NULL, &b, &e) == 0 && is_leaf_bundle(&b, 0, 0));
	cert_bundle_free(&b);
	CHECK(load(key, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "private key but no certificate") != NULL);
	/* A truncated DER file says so, with the sizes. */
	cert.len -= 10;
	CHECK(load(cert, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "is truncated") != NULL);
	free(cert.p);
	free(key.p);
}

static void
test_mismatched_key(void)
{
	struct bytes in = pem(leaf, inter, NULL, other_key, 8, NULL, NULL);
	struct bytes p12 = pkcs12("pw", other, other_key, stack_of(leaf,
	    NULL), 0, 0, 0);
	struct cert_bundle b;
	struct err e;

	CHECK(load(in, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "does not belong") != NULL && b.leaf == NULL);
	/* In a PKCS#12 file the leaf is the key's, whatever the order. */
	CHECK(load(p12, "pw", &b, &e) == 0 && X509_cmp(b.leaf, other) == 0 &&
	    sk_X509_num(b.extra) == 1);
	cert_bundle_free(&b);
	free(in.p);
	free(p12.p);
}

static void
test_choosing_without_key(void)
{
	struct bytes cas = pem(root, inter, NULL, NULL, 8, NULL, NULL);
	struct bytes two = pem(leaf, other, NULL, NULL, 8, NULL, NULL);
	struct bytes keys = pem(NULL, NULL, NULL, NULL, 8, NULL, NULL);
	struct cert_bundle b;
	struct err e;
	BIO *bio;

	/* Only CAs: the bottom of the chain. */
	CHECK(load(cas, NULL, &b, &e) == 0 && X509_cmp(b.leaf, inter) == 0 &&
	    sk_X509_num(b.extra) == 1);
	cert_bundle_free(&b);
	CHECK(load(two, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "2 end-entity certificates") != NULL);
	free(keys.p);
	/* Two private keys. */
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(bio, leaf_key, NULL, NULL, 0, NULL, NULL);
	PEM_write_bio_PrivateKey(bio, other_key, NULL, NULL, 0, NULL, NULL);
	PEM_write_bio_X509(bio, leaf);
	keys = bio_bytes(bio);
	CHECK(load(keys, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "more than one private key") != NULL);
	free(cas.p);
	free(two.p);
	free(keys.p);
}

static void
test_no_certificate(void)
{
	struct bytes keyonly = pem(NULL, NULL, NULL, leaf_key, 8, NULL, NULL);
	struct bytes p12 = pkcs12("pw", NULL, leaf_key, NULL, 0, 0, 0);
	struct bytes csr;
	struct cert_bundle b;
	struct err e;
	X509_REQ *req = X509_REQ_new();
	BIO *bio = BIO_new(BIO_s_mem());

	CHECK(load(keyonly, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "holds a private key but no certificate") != NULL);
	CHECK(load(p12, "pw", &b, &e) == -1 &&
	    strstr(e.msg, "holds a private key but no certificate") != NULL);
	/* Blocks of kinds we do not use are skipped: a CSR alone. */
	X509_REQ_set_pubkey(req, leaf_key);
	X509_REQ_sign(req, leaf_key, EVP_sha256());
	PEM_write_bio_X509_REQ(bio, req);
	csr = bio_bytes(bio);
	CHECK(load(csr, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "holds no certificate") != NULL);
	X509_REQ_free(req);
	free(keyonly.p);
	free(p12.p);
	free(csr.p);
}

static void
test_garbage(void)
{
	struct bytes in = pem(leaf, inter, NULL, leaf_key, 8, NULL, NULL);
	unsigned char rnd[4096];
	struct cert_bundle b;
	struct err e;
	struct bytes r = { rnd, sizeof(rnd) }, big;
	int i;

	/* Cut inside the second PEM block. */
	in.len = (size_t)(strstr((char *)in.p, "END CERTIFICATE") -
	    (char *)in.p) + 200;
	CHECK(load(in, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "damaged") != NULL);
	/* A cut inside the base64 of the only block. */
	in.len = 300;
	CHECK(load(in, NULL, &b, &e) == -1 && b.leaf == NULL);
	free(in.p);

	for (i = 0; i < (int)sizeof(rnd); i++)
		rnd[i] = (unsigned char)(i * 7 + 1);
	CHECK(load(r, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "not a certificate file") != NULL);
	/* Random bytes that happen to start like DER. */
	rnd[0] = 0x30;
	rnd[1] = 0x82;
	rnd[2] = 0x0f;
	rnd[3] = 0xfc;
	CHECK(load(r, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "damaged") != NULL);
	r.len = 0;
	CHECK(load(r, NULL, &b, &e) == -1 && strstr(e.msg, "empty") != NULL);
	big.len = CERT_FILE_MAX + 1;
	big.p = calloc(1, big.len);
	CHECK(load(big, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "larger than") != NULL);
	free(big.p);
	/* Text without any PEM block. */
	r.p = (unsigned char *)"hello, world\n";
	r.len = strlen((char *)r.p);
	CHECK(load(r, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "not a certificate file") != NULL);
}

static void
test_load_file(void)
{
	const char *home = getenv("HSYS_HOME");
	struct bytes in = pem(leaf, NULL, NULL, leaf_key, 8, NULL, NULL);
	struct cert_bundle b;
	char path[512];
	struct err e;
	FILE *f;

	snprintf(path, sizeof(path), "%s/leaf.pem", home);
	f = fopen(path, "w");
	fwrite(in.p, 1, in.len, f);
	fclose(f);
	CHECK(cert_bundle_load(path, NULL, &b, &e) == 0 &&
	    is_leaf_bundle(&b, 1, 0));
	cert_bundle_free(&b);
	snprintf(path, sizeof(path), "%s/missing.pem", home);
	CHECK(cert_bundle_load(path, NULL, &b, &e) == -1 &&
	    strstr(e.msg, "missing.pem") != NULL);
	free(in.p);
}

int
main(void)
{
	const char *home = testcert_home();

	root_key = testcert_key();
	int_key = testcert_key();
	leaf_key = testcert_key();
	other_key = testcert_key();
	root = testcert_make_bc("Test Root", root_key, NULL, NULL, 1, 1);
	inter = testcert_make_bc("Test Intermediate", int_key, root, root_key, 2, 1);
	leaf = testcert_make_bc("leaf.test", leaf_key, inter, int_key, 3, 0);
	other = testcert_make_bc("other.test", other_key, inter, int_key, 4, 0);

	RUN(test_pkcs12_modern);
	RUN(test_pkcs12_legacy_3des);
	RUN(test_pkcs12_empty_and_absent_password);
	RUN(test_pkcs12_without_mac);
	RUN(test_pkcs12_cert_only);
	RUN(test_pem_chain_any_order);
	RUN(test_pem_key_forms);
	RUN(test_pem_encrypted_keys);
	RUN(test_pem_wrong_password_that_pads);
	RUN(test_der_cert_and_key);
	RUN(test_mismatched_key);
	RUN(test_choosing_without_key);
	RUN(test_no_certificate);
	RUN(test_garbage);
	RUN(test_load_file);

	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	X509_free(other);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(int_key);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(other_key);
	testcert_home_remove(home);
	return unit_done();
}
