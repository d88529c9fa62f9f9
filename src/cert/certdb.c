/*
 * certdb — the machine certificate store's rows in the SQLite store
 * database: certificates and their private keys, added, found, listed,
 * loaded and deleted (the certstore_* functions). See cert.h.
 *
 * Private keys are serialized as unencrypted PKCS#8 DER straight into a
 * bound blob and the buffer wiped right after; they are never written to any
 * other file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cert/cert.h"
#include "common/err.h"
#include "common/hex.h"

#define ENTRY_COLUMNS "id, store, thumbprint, sha256, subject, issuer, " \
	"not_before, not_after, key_id IS NOT NULL"

static void
copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", s ? (const char *)s : "");
}

static void
entry_read(sqlite3_stmt *st, struct cert_entry *c)
{
	c->id = sqlite3_column_int64(st, 0);
	copy_text(c->store, sizeof(c->store), st, 1);
	copy_text(c->thumbprint, sizeof(c->thumbprint), st, 2);
	copy_text(c->sha256, sizeof(c->sha256), st, 3);
	copy_text(c->subject, sizeof(c->subject), st, 4);
	copy_text(c->issuer, sizeof(c->issuer), st, 5);
	c->not_before = sqlite3_column_int64(st, 6);
	c->not_after = sqlite3_column_int64(st, 7);
	c->has_key = sqlite3_column_int(st, 8);
}

/* SHA-256 of the DER SubjectPublicKeyInfo, hex: how keys are matched. */
static int
pubkey_hash(EVP_PKEY *k, char out[CERT_SHA256_LEN + 1], struct err *e)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	int len;

	if ((len = i2d_PUBKEY(k, &der)) <= 0)
		return err_ssl(e, "cannot encode a public key");
	if (!EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL)) {
		OPENSSL_free(der);
		return err_ssl(e, "cannot hash a public key");
	}
	OPENSSL_free(der);
	hex_encode(md, mdlen, out, 0);
	return 0;
}

int
certstore_key_find(struct store *s, EVP_PKEY *pub, int64_t *id,
    EVP_PKEY **priv, struct err *e)
{
	char hash[CERT_SHA256_LEN + 1];
	PKCS8_PRIV_KEY_INFO *p8;
	const unsigned char *p;
	sqlite3_stmt *st;
	int rc;

	*id = 0;
	if (priv != NULL)
		*priv = NULL;
	if (pubkey_hash(pub, hash, e) == -1)
		return -1;
	if (store_prepare(s, &st, "SELECT id, der FROM key WHERE pubhash = ?",
	    e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_fail(s, e, "cannot read a private key");
	}
	*id = sqlite3_column_int64(st, 0);
	if (priv != NULL) {
		p = sqlite3_column_blob(st, 1);
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p,
		    sqlite3_column_bytes(st, 1));
		*priv = p8 ? EVP_PKCS82PKEY(p8) : NULL;
		PKCS8_PRIV_KEY_INFO_free(p8);
		if (*priv == NULL) {
			sqlite3_finalize(st);
			return err_ssl(e, "a private key in %s is damaged",
			    s->path);
		}
	}
	sqlite3_finalize(st);
	return 0;
}

int
certstore_key_put(struct store *s, EVP_PKEY *k, int64_t *id, struct err *e)
{
	char hash[CERT_SHA256_LEN + 1];
	PKCS8_PRIV_KEY_INFO *p8;
	unsigned char *der = NULL;
	sqlite3_stmt *st;
	int len, rc;

	if (certstore_key_find(s, k, id, NULL, e) == -1)
		return -1;
	if (*id != 0)
		return 0;
	if (pubkey_hash(k, hash, e) == -1)
		return -1;
	if ((p8 = EVP_PKEY2PKCS8(k)) == NULL)
		return err_ssl(e, "cannot encode the private key");
	len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (len <= 0)
		return err_ssl(e, "cannot encode the private key");
	if (store_prepare(s, &st, "INSERT INTO key (pubhash, der) "
	    "VALUES (?, ?)", e) == -1) {
		OPENSSL_clear_free(der, (size_t)len);
		return -1;
	}
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, der, len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	OPENSSL_clear_free(der, (size_t)len);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot store the private key");
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

static int
insert_cert(struct store *s, const char *storename, X509 *x, int64_t key_id,
    struct err *e)
{
	char thumb[CERT_THUMB_LEN + 1], sha[CERT_SHA256_LEN + 1];
	char hash[CERT_SHA256_LEN + 1], subject[512], issuer[512];
	unsigned char *der = NULL;
	int64_t nb, na;
	sqlite3_stmt *st;
	int len, rc;

	if (cert_thumbprint(x, thumb) == -1 || cert_sha256(x, sha) == -1)
		return err_ssl(e, "cannot hash the certificate");
	if (pubkey_hash(X509_get0_pubkey(x), hash, e) == -1)
		return -1;
	if (cert_time(X509_get0_notBefore(x), &nb) == -1 ||
	    cert_time(X509_get0_notAfter(x), &na) == -1)
		return err_set(e, "the certificate %s has unreadable validity "
		    "dates", thumb);
	cert_name_string(X509_get_subject_name(x), subject, sizeof(subject));
	cert_name_string(X509_get_issuer_name(x), issuer, sizeof(issuer));
	if ((len = i2d_X509(x, &der)) <= 0)
		return err_ssl(e, "cannot encode the certificate");
	if (store_prepare(s, &st, "INSERT INTO cert (store, thumbprint, "
	    "sha256, subject, issuer, not_before, not_after, pubhash, der, "
	    "key_id, added) VALUES (?,?,?,?,?,?,?,?,?,?,?)", e) == -1) {
		OPENSSL_free(der);
		return -1;
	}
	sqlite3_bind_text(st, 1, storename, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, thumb, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, sha, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, issuer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, nb);
	sqlite3_bind_int64(st, 7, na);
	sqlite3_bind_text(st, 8, hash, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 9, der, len, SQLITE_STATIC);
	if (key_id != 0)
		sqlite3_bind_int64(st, 10, key_id);
	else
		sqlite3_bind_null(st, 10);
	sqlite3_bind_int64(st, 11, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	OPENSSL_free(der);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot add the certificate");
	return 0;
}

int
certstore_add(struct store *s, const char *storename, X509 *x, EVP_PKEY *key,
    enum certstore_outcome *outcome, struct err *e)
{
	char thumb[CERT_THUMB_LEN + 1];
	struct cert_entry c;
	struct err ignored;
	sqlite3_stmt *st;
	int64_t key_id = 0;
	int rc;

	if (key != NULL && X509_check_private_key(x, key) != 1) {
		ERR_clear_error();
		return err_set(e, "the private key does not belong to the "
		    "certificate");
	}
	if (cert_thumbprint(x, thumb) == -1)
		return err_ssl(e, "cannot hash the certificate");
	if (key != NULL && certstore_key_put(s, key, &key_id, e) == -1)
		return -1;
	if (certstore_find(s, storename, thumb, &c, &ignored) == 0) {
		if (c.has_key || key_id == 0) {
			*outcome = CERTSTORE_EXISTS;
			return 0;
		}
		if (store_prepare(s, &st, "UPDATE cert SET key_id = ? "
		    "WHERE id = ?", e) == -1)
			return -1;
		sqlite3_bind_int64(st, 1, key_id);
		sqlite3_bind_int64(st, 2, c.id);
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return store_fail(s, e, "cannot attach the key");
		*outcome = CERTSTORE_KEY_ATTACHED;
		return 0;
	}
	/* A certificate imported alone finds a key that is already here,
	 * e.g. from a pending request or another store's copy. */
	if (key_id == 0 && certstore_key_find(s, X509_get0_pubkey(x), &key_id,
	    NULL, e) == -1)
		return -1;
	if (insert_cert(s, storename, x, key_id, e) == -1)
		return -1;
	*outcome = CERTSTORE_ADDED;
	return 0;
}

/* Lists the candidates of an ambiguous prefix into the error message. */
static int
ambiguous(struct store *s, sqlite3_stmt *st, const char *thumb, struct err *e)
{
	size_t n;
	int rows = 0;

	err_set(e, "the thumbprint prefix %s is ambiguous; it matches", thumb);
	sqlite3_reset(st);
	while (sqlite3_step(st) == SQLITE_ROW && rows++ < 10) {
		n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, "%s %s (%s, %s)",
		    rows > 1 ? ";" : "",
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 4),
		    (const char *)sqlite3_column_text(st, 1));
	}
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, "; give more digits");
	(void)s;
	return -1;
}

int
certstore_find(struct store *s, const char *storename, const char *input,
    struct cert_entry *out, struct err *e)
{
	char thumb[CERT_THUMB_LEN + 1], first[CERT_THUMB_LEN + 1];
	char stores[128] = "";
	struct cert_entry c;
	sqlite3_stmt *st;
	int rows = 0, in_my = 0, rc;
	size_t n;

	if (cert_thumb_normalize(input, thumb, e) == -1)
		return -1;
	if (store_prepare(s, &st, "SELECT " ENTRY_COLUMNS " FROM cert "
	    "WHERE substr(thumbprint, 1, ?1) = ?2 AND (?3 IS NULL OR "
	    "store = ?3) ORDER BY thumbprint, store = 'My' DESC, store", e)
	    == -1)
		return -1;
	sqlite3_bind_int(st, 1, (int)strlen(thumb));
	sqlite3_bind_text(st, 2, thumb, -1, SQLITE_STATIC);
	if (storename != NULL)
		sqlite3_bind_text(st, 3, storename, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		entry_read(st, &c);
		if (rows == 0) {
			*out = c;
			memcpy(first, c.thumbprint, sizeof(first));
		} else if (strcmp(first, c.thumbprint) != 0) {
			ambiguous(s, st, thumb, e);
			sqlite3_finalize(st);
			return -1;
		}
		if (strcmp(c.store, CERT_STORE_MY) == 0)
			in_my = 1;
		n = strlen(stores);
		snprintf(stores + n, sizeof(stores) - n, "%s%s",
		    rows ? ", " : "", c.store);
		rows++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot search the store");
	if (rows == 0) {
		err_set(e, "no certificate with thumbprint %s%s in %s%s%s; "
		    "'hsys cert list%s' shows what is there", thumb,
		    strlen(thumb) < CERT_THUMB_LEN ? "..." : "",
		    store_location_name(s->loc), storename ? "\\" : "",
		    storename ? storename : "", storename ? "" : " --all");
		e->code = 2;	/* ERROR_FILE_NOT_FOUND, as netsh says */
		return -1;
	}
	if (rows > 1 && !in_my)
		return err_set(e, "the certificate %s is in several stores (%s); "
		    "name one with --store", first, stores);
	return 0;
}

int
certstore_list(struct store *s, const char *storename,
    int (*fn)(const struct cert_entry *, void *), void *arg, struct err *e)
{
	struct cert_entry c;
	sqlite3_stmt *st;
	int rc, stop = 0;

	if (store_prepare(s, &st, "SELECT " ENTRY_COLUMNS " FROM cert "
	    "WHERE ?1 IS NULL OR store = ?1 ORDER BY store, subject, "
	    "thumbprint", e) == -1)
		return -1;
	if (storename != NULL)
		sqlite3_bind_text(st, 1, storename, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		entry_read(st, &c);
		if ((stop = fn(&c, arg)) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (stop != 0)
		return stop;
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot list the store");
	return 0;
}

int
certstore_load(struct store *s, int64_t id, X509 **xp, EVP_PKEY **key,
    struct err *e)
{
	const unsigned char *p;
	sqlite3_stmt *st;
	int64_t key_id;
	X509 *x;
	int rc;

	*xp = NULL;
	if (key != NULL)
		*key = NULL;
	if (store_prepare(s, &st, "SELECT der FROM cert WHERE id = ?", e)
	    == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			return err_set(e, "the certificate is no longer in "
			    "the store");
		return store_fail(s, e, "cannot read a certificate");
	}
	p = sqlite3_column_blob(st, 0);
	x = d2i_X509(NULL, &p, sqlite3_column_bytes(st, 0));
	sqlite3_finalize(st);
	if (x == NULL)
		return err_ssl(e, "a certificate in %s is damaged", s->path);
	if (key != NULL && certstore_key_find(s, X509_get0_pubkey(x), &key_id,
	    key, e) == -1) {
		X509_free(x);
		return -1;
	}
	*xp = x;
	return 0;
}

int
certstore_stack(struct store *s, const char *storename, STACK_OF(X509) **out,
    struct err *e)
{
	STACK_OF(X509) *sk;
	const unsigned char *p;
	sqlite3_stmt *st;
	X509 *x;
	int rc;

	if ((sk = sk_X509_new_null()) == NULL)
		return err_ssl(e, "out of memory");
	if (store_prepare(s, &st, "SELECT der FROM cert WHERE store = ? "
	    "ORDER BY id", e) == -1) {
		sk_X509_free(sk);
		return -1;
	}
	sqlite3_bind_text(st, 1, storename, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		p = sqlite3_column_blob(st, 0);
		x = d2i_X509(NULL, &p, sqlite3_column_bytes(st, 0));
		if (x == NULL || !sk_X509_push(sk, x)) {
			X509_free(x);
			sqlite3_finalize(st);
			sk_X509_pop_free(sk, X509_free);
			return err_ssl(e, "a certificate in %s is damaged",
			    s->path);
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		sk_X509_pop_free(sk, X509_free);
		return store_fail(s, e, "cannot read the store");
	}
	*out = sk;
	return 0;
}

int
certstore_delete(struct store *s, int64_t id, struct err *e)
{
	sqlite3_stmt *st;
	int64_t key_id = 0;
	int rc;

	if (store_prepare(s, &st, "SELECT key_id FROM cert WHERE id = ?", e)
	    == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) == SQLITE_ROW)
		key_id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (store_prepare(s, &st, "DELETE FROM cert WHERE id = ?", e) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot delete the certificate");
	return key_id == 0 ? 0 : certstore_key_release(s, key_id, e);
}

int
certstore_key_release(struct store *s, int64_t key_id, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	/* The key goes with its last user (a pending request counts). */
	if (store_prepare(s, &st, "DELETE FROM key WHERE id = ?1 AND NOT "
	    "EXISTS (SELECT 1 FROM cert WHERE key_id = ?1) AND NOT EXISTS "
	    "(SELECT 1 FROM request WHERE key_id = ?1)", e) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, key_id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot delete the private key");
	return 0;
}
