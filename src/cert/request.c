/*
 * request — pending certificate requests, certreq's REQUEST store: the key
 * of a CSR waits in the key table with a row in the request table until the
 * certificate a CA issued for it comes back (hsys cert accept). Also reads
 * what a CA sends back: a certificate, a PEM bundle with its chain, or a
 * PKCS#7 "certs-only" message. See cert.h.
 *
 * The REQUEST store's listing names each request by the SHA-1 of its CSR,
 * so a pending request is picked like a certificate: by a thumbprint or a
 * prefix of one.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"

int
cert_request_put(struct store *s, X509_REQ *req, EVP_PKEY *key, struct err *e)
{
	unsigned char *der = NULL;
	char subject[512];
	sqlite3_stmt *st;
	int64_t key_id;
	int len, rc;

	if (certstore_key_put(s, key, &key_id, e) == -1)
		return -1;
	cert_name_string(X509_REQ_get_subject_name(req), subject,
	    sizeof(subject));
	if ((len = i2d_X509_REQ(req, &der)) <= 0)
		return err_ssl(e, "cannot encode the request");
	if (store_prepare(s, &st, "INSERT INTO request (key_id, subject, csr, "
	    "created) VALUES (?, ?, ?, ?)", e) == -1) {
		OPENSSL_free(der);
		return -1;
	}
	sqlite3_bind_int64(st, 1, key_id);
	sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, der, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	OPENSSL_free(der);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot record the request");
	return 0;
}

int
cert_request_find(struct store *s, EVP_PKEY *pub, int64_t *id,
    EVP_PKEY **priv, struct err *e)
{
	sqlite3_stmt *st;
	int64_t key_id;
	int rc;

	*id = 0;
	if (priv != NULL)
		*priv = NULL;
	if (certstore_key_find(s, pub, &key_id, NULL, e) == -1)
		return -1;
	if (key_id == 0)
		return 0;
	if (store_prepare(s, &st, "SELECT id FROM request WHERE key_id = ? "
	    "ORDER BY id LIMIT 1", e) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, key_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the pending requests");
	if (*id != 0 && priv != NULL)
		return certstore_key_find(s, pub, &key_id, priv, e);
	return 0;
}

int
cert_request_delete(struct store *s, int64_t id, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "DELETE FROM request WHERE id = ?", e) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot remove the pending request");
	return 0;
}

/* "DNS:a, IP:1.2.3.4": the subjectAltName a CSR asks for. */
static void
request_names(X509_REQ *req, char *buf, size_t size)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *gens = NULL;
	GENERAL_NAME *g;
	size_t n = 0;
	int i, idx;

	buf[0] = '\0';
	if (exts != NULL && (idx = X509v3_get_ext_by_NID(exts,
	    NID_subject_alt_name, -1)) >= 0)
		gens = X509V3_EXT_d2i(X509v3_get_ext(exts, idx));
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		char ip[64] = "";
		const unsigned char *a;

		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS)
			n += (size_t)snprintf(buf + n, n < size ? size - n : 0,
			    "%sDNS:%.*s", n ? ", " : "",
			    ASN1_STRING_length(g->d.dNSName),
			    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		else if (g->type == GEN_IPADD) {
			a = ASN1_STRING_get0_data(g->d.iPAddress);
			if (ASN1_STRING_length(g->d.iPAddress) == 4)
				inet_ntop(AF_INET, a, ip, sizeof(ip));
			else if (ASN1_STRING_length(g->d.iPAddress) == 16)
				inet_ntop(AF_INET6, a, ip, sizeof(ip));
			n += (size_t)snprintf(buf + n, n < size ? size - n : 0,
			    "%sIP:%s", n ? ", " : "", ip);
		}
		if (n >= size)
			break;
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
}

static int
request_row(sqlite3_stmt *st, struct cert_request *r)
{
	const unsigned char *der = sqlite3_column_blob(st, 2), *p = der;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	X509_REQ *req;

	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	snprintf(r->subject, sizeof(r->subject), "%s",
	    (const char *)sqlite3_column_text(st, 1));
	r->created = sqlite3_column_int64(st, 3);
	if (der == NULL || !EVP_Digest(der, (size_t)sqlite3_column_bytes(st, 2),
	    md, &mdlen, EVP_sha1(), NULL))
		return -1;
	for (i = 0; i < mdlen && 2 * i < CERT_THUMB_LEN; i++)
		snprintf(r->thumbprint + 2 * i, 3, "%02X", md[i]);
	if ((req = d2i_X509_REQ(NULL, &p, sqlite3_column_bytes(st, 2))) !=
	    NULL) {
		request_names(req, r->names, sizeof(r->names));
		X509_REQ_free(req);
	}
	return 0;
}

int
cert_request_list(struct store *s,
    int (*fn)(const struct cert_request *, void *), void *arg,
    struct err *e)
{
	struct cert_request r;
	sqlite3_stmt *st;
	int rc, stop = 0;

	if (store_prepare(s, &st, "SELECT id, subject, csr, created FROM "
	    "request ORDER BY id", e) == -1)
		return -1;
	while (stop == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if (request_row(st, &r) == 0)
			stop = fn(&r, arg);
	sqlite3_finalize(st);
	if (stop != 0)
		return stop;
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the pending requests");
	return 0;
}

struct lookup {
	char			 want[CERT_THUMB_LEN + 1];
	struct cert_request	*out;
	int			 found;
};

static int
lookup_one(const struct cert_request *r, void *arg)
{
	struct lookup *l = arg;

	if (strncmp(r->thumbprint, l->want, strlen(l->want)) != 0)
		return 0;
	if (l->found++ == 0)
		*l->out = *r;
	return 0;
}

int
cert_request_lookup(struct store *s, const char *thumb,
    struct cert_request *out, struct err *e)
{
	struct lookup l;

	if (cert_thumb_normalize(thumb, l.want, e) == -1)
		return -1;
	l.out = out;
	l.found = 0;
	if (cert_request_list(s, lookup_one, &l, e) == -1)
		return -1;
	if (l.found == 1)
		return 0;
	if (l.found > 1) {
		err_set(e, "%s names %d pending requests; give more digits "
		    "('hsys cert list REQUEST' lists them)", thumb,
		    l.found);
		e->code = 87;
		return -1;
	}
	err_set(e, "no pending request %s in %s ('hsys cert list "
	    "REQUEST' lists them)", thumb, s->path);
	e->code = 2;
	return -1;
}

int
cert_request_remove(struct store *s, const struct cert_request *r,
    struct err *e)
{
	sqlite3_stmt *st;
	int64_t key_id = 0;

	if (store_prepare(s, &st, "SELECT key_id FROM request WHERE id = ?",
	    e) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, r->id);
	if (sqlite3_step(st) == SQLITE_ROW)
		key_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (cert_request_delete(s, r->id, e) == -1)
		return -1;
	/* Its key goes unless a certificate uses it (an accepted twin). */
	return certstore_key_release(s, key_id, e);
}

/* The certificates of a PKCS#7 message, moved into sk. */
static int
pkcs7_certs(PKCS7 *p7, STACK_OF(X509) *sk)
{
	STACK_OF(X509) *certs = NULL;
	X509 *x;

	if (PKCS7_type_is_signed(p7) && p7->d.sign != NULL)
		certs = p7->d.sign->cert;
	while (certs != NULL && (x = sk_X509_shift(certs)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			return -1;
		}
	return 0;
}

static int
read_pem(const unsigned char *buf, size_t len, STACK_OF(X509) *sk)
{
	PKCS7 *p7 = NULL;
	BIO *bio;
	X509 *x;
	int rc = -1;

	/* PEM_read_bio_X509 skips blocks of other kinds (keys, CSRs). */
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return -1;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (!sk_X509_push(sk, x)) {
			X509_free(x);
			goto done;
		}
	BIO_free(bio);
	if (sk_X509_num(sk) > 0)
		return 0;
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
		return -1;
	rc = 0;
	if ((p7 = PEM_read_bio_PKCS7(bio, NULL, NULL, NULL)) != NULL)
		rc = pkcs7_certs(p7, sk);
done:
	PKCS7_free(p7);
	BIO_free(bio);
	return rc;
}

static int
read_der(const unsigned char *buf, size_t len, STACK_OF(X509) *sk)
{
	const unsigned char *p = buf;
	PKCS7 *p7;
	X509 *x;
	int rc;

	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		if (p == buf + len && sk_X509_push(sk, x))
			return 0;
		X509_free(x);
		return 0;
	}
	p = buf;
	if ((p7 = d2i_PKCS7(NULL, &p, (long)len)) == NULL)
		return 0;
	rc = pkcs7_certs(p7, sk);
	PKCS7_free(p7);
	return rc;
}

int
cert_issued_parse(const unsigned char *buf, size_t len,
    STACK_OF(X509) **out, struct err *e)
{
	STACK_OF(X509) *sk;
	int rc;

	*out = NULL;
	if ((sk = sk_X509_new_null()) == NULL)
		return err_ssl(e, "out of memory");
	if (memmem(buf, len, "-----BEGIN", 10) != NULL)
		rc = read_pem(buf, len, sk);
	else
		rc = read_der(buf, len, sk);
	if (rc == -1) {
		sk_X509_pop_free(sk, X509_free);
		return err_ssl(e, "out of memory");
	}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		return err_set(e, "it holds no certificate (PEM, DER or "
		    "PKCS#7 expected)");
	}
	*out = sk;
	return 0;
}
