/*
 * Unit tests of the cert component's core: store names, thumbprints, and
 * certificate/key rows (add, idempotence, key attachment, prefix lookup,
 * ambiguity, several stores, delete).
 */
#include <string.h>

#include <openssl/evp.h>

#include "cert/cert.h"
#include "common/err.h"
#include "testcert.h"
#include "unit.h"

static void
test_store_names(void)
{
	struct cert_store_name n;
	struct err e;

	CHECK(cert_store_name_parse(NULL, &n, &e) == 0 &&
	    n.loc == STORE_MACHINE && strcmp(n.name, "My") == 0);
	CHECK(cert_store_name_parse("root", &n, &e) == 0 &&
	    strcmp(n.name, "Root") == 0);
	CHECK(cert_store_name_parse("LocalMachine\\My", &n, &e) == 0 &&
	    n.loc == STORE_MACHINE && strcmp(n.name, "My") == 0);
	CHECK(cert_store_name_parse("localmachine/ca", &n, &e) == 0 &&
	    strcmp(n.name, "CA") == 0);
	CHECK(cert_store_name_parse("cert:\\localmachine\\my", &n, &e) == 0 &&
	    strcmp(n.name, "My") == 0);
	CHECK(cert_store_name_parse("Cert:/CurrentUser/WebHosting", &n, &e)
	    == 0 && n.loc == STORE_USER && strcmp(n.name, "WebHosting") == 0);
	CHECK(cert_store_name_parse("Trust", &n, &e) == -1 &&
	    strstr(e.msg, "unknown certificate store 'Trust'") != NULL);
	CHECK(cert_store_name_parse("LocalMachine\\", &n, &e) == -1);
	CHECK(cert_store_name_parse("Elsewhere\\My", &n, &e) == -1);
}

static void
test_thumb_normalize(void)
{
	char t[CERT_THUMB_LEN + 1];
	struct err e;

	CHECK(cert_thumb_normalize("89c38e9ad6455f9a8782dd29ce089074c57311ed",
	    t, &e) == 0);
	CHECK_STR(t, "89C38E9AD6455F9A8782DD29CE089074C57311ED");
	CHECK(cert_thumb_normalize("89 c3 8e 9a d6 45 5f 9a 87 82 dd 29 ce 08 "
	    "90 74 c5 73 11 ed", t, &e) == 0);
	CHECK_STR(t, "89C38E9AD6455F9A8782DD29CE089074C57311ED");
	CHECK(cert_thumb_normalize("89:C3:8E:9A", t, &e) == 0);
	CHECK_STR(t, "89C38E9A");
	CHECK(cert_thumb_normalize("\xe2\x80\x8e" "89c38e9ad6", t, &e) == 0);
	CHECK_STR(t, "89C38E9AD6");
	CHECK(cert_thumb_normalize("89c38e9", t, &e) == -1);
	CHECK(cert_thumb_normalize("89c38e9ad6455f9a8782dd29ce089074c57311ed00",
	    t, &e) == -1);
	CHECK(cert_thumb_normalize("89c38e9g", t, &e) == -1 &&
	    strstr(e.msg, "'g' is not a hex digit") != NULL);
	CHECK(cert_thumb_normalize("", t, &e) == -1);
}

static void
test_thumbprint_is_sha1_of_der(void)
{
	EVP_PKEY *k = testcert_key();
	X509 *x = testcert_make("a.test", k, NULL, NULL, 1);
	unsigned char *der = NULL, md[20];
	char t[CERT_THUMB_LEN + 1], want[41];
	unsigned int mdlen;
	int len = i2d_X509(x, &der), i;

	EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha1(), NULL);
	for (i = 0; i < 20; i++)
		snprintf(want + 2 * i, 3, "%02X", md[i]);
	CHECK(cert_thumbprint(x, t) == 0);
	CHECK_STR(t, want);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

static int
count(const struct cert_entry *c, void *arg)
{
	(void)c;
	(*(int *)arg)++;
	return 0;
}

static void
test_add_find_delete(void)
{
	EVP_PKEY *k1 = testcert_key(), *k2 = testcert_key(), *lk = NULL;
	X509 *x1 = testcert_make("one.test", k1, NULL, NULL, 1);
	X509 *x2 = testcert_make("two.test", k2, NULL, NULL, 2), *lx = NULL;
	char t1[CERT_THUMB_LEN + 1], pfx[9];
	enum certstore_outcome o;
	struct cert_entry c;
	struct store *s;
	struct err e;
	int n;

	cert_thumbprint(x1, t1);
	CHECK(store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == 0);
	CHECK(store_begin(s, &e) == 0);
	/* A key that does not match is refused. */
	CHECK(certstore_add(s, "My", x1, k2, &o, &e) == -1 &&
	    strstr(e.msg, "does not belong") != NULL);
	/* Certificate alone, then again with its key: the key attaches. */
	CHECK(certstore_add(s, "My", x1, NULL, &o, &e) == 0 &&
	    o == CERTSTORE_ADDED);
	CHECK(certstore_add(s, "My", x1, NULL, &o, &e) == 0 &&
	    o == CERTSTORE_EXISTS);
	CHECK(certstore_add(s, "My", x1, k1, &o, &e) == 0 &&
	    o == CERTSTORE_KEY_ATTACHED);
	CHECK(certstore_add(s, "My", x1, k1, &o, &e) == 0 &&
	    o == CERTSTORE_EXISTS);
	/* The same certificate in Root finds its key already there. */
	CHECK(certstore_add(s, "Root", x1, NULL, &o, &e) == 0 &&
	    o == CERTSTORE_ADDED);
	CHECK(certstore_add(s, "WebHosting", x2, k2, &o, &e) == 0);
	CHECK(store_commit(s, &e) == 0);

	/* Full thumbprint, lower case, prefix; My preferred. */
	CHECK(certstore_find(s, NULL, t1, &c, &e) == 0 &&
	    strcmp(c.store, "My") == 0 && c.has_key);
	CHECK_STR(c.subject, "CN=one.test");
	memcpy(pfx, t1, 8);
	pfx[8] = '\0';
	CHECK(certstore_find(s, "Root", pfx, &c, &e) == 0 &&
	    strcmp(c.store, "Root") == 0 && c.has_key);
	CHECK(certstore_find(s, "CA", t1, &c, &e) == -1 &&
	    strstr(e.msg, "no certificate") != NULL);
	n = 0;
	CHECK(certstore_list(s, NULL, count, &n, &e) == 0 && n == 3);
	n = 0;
	CHECK(certstore_list(s, "My", count, &n, &e) == 0 && n == 1);

	CHECK(certstore_load(s, c.id, &lx, &lk, &e) == 0 && lx != NULL &&
	    lk != NULL && X509_cmp(lx, x1) == 0 && EVP_PKEY_eq(lk, k1) == 1);
	X509_free(lx);
	EVP_PKEY_free(lk);

	/* Deleting My's copy keeps the key for Root's copy. */
	CHECK(certstore_find(s, "My", t1, &c, &e) == 0);
	CHECK(store_begin(s, &e) == 0);
	CHECK(certstore_delete(s, c.id, &e) == 0);
	CHECK(store_commit(s, &e) == 0);
	CHECK(certstore_find(s, NULL, t1, &c, &e) == 0 &&
	    strcmp(c.store, "Root") == 0 && c.has_key);
	store_close(s);
	X509_free(x1);
	X509_free(x2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

static void
test_ambiguous_prefix(void)
{
	char t[CERT_THUMB_LEN + 1], pfx[CERT_THUMB_LEN + 1];
	enum certstore_outcome o;
	struct cert_entry c;
	struct store *s;
	struct err e;
	EVP_PKEY *k = testcert_key();
	X509 *x = testcert_make("amb.test", k, NULL, NULL, 999);

	cert_thumbprint(x, t);
	CHECK(store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == 0);
	CHECK(store_begin(s, &e) == 0);
	CHECK(certstore_add(s, "CA", x, NULL, &o, &e) == 0);
	CHECK(certstore_add(s, "Root", x, NULL, &o, &e) == 0);
	/* A twin whose thumbprint shares the first 39 digits: real ones
	 * never do, so forge the row. */
	CHECK(store_exec(s, "INSERT INTO cert (store, thumbprint, sha256, "
	    "subject, issuer, not_before, not_after, pubhash, der, added) "
	    "SELECT 'My', substr(thumbprint, 1, 39) || "
	    "CASE WHEN substr(thumbprint, 40) = '0' THEN '1' ELSE '0' END, "
	    "sha256, 'CN=twin.test', issuer, not_before, not_after, pubhash, "
	    "der, added FROM cert WHERE store = 'CA'", &e) == 0);
	CHECK(store_commit(s, &e) == 0);
	/* The same certificate in two stores and not in My: name one. */
	CHECK(certstore_find(s, NULL, t, &c, &e) == -1 &&
	    strstr(e.msg, "several stores (CA, Root)") != NULL);
	CHECK(certstore_find(s, "Root", t, &c, &e) == 0 &&
	    strcmp(c.store, "Root") == 0);
	/* A prefix that fits both lists both. */
	memcpy(pfx, t, 12);
	pfx[12] = '\0';
	CHECK(certstore_find(s, NULL, pfx, &c, &e) == -1 &&
	    strstr(e.msg, "ambiguous") != NULL &&
	    strstr(e.msg, "CN=twin.test") != NULL &&
	    strstr(e.msg, "CN=amb.test") != NULL);
	X509_free(x);
	store_close(s);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const char *home = testcert_home();

	RUN(test_store_names);
	RUN(test_thumb_normalize);
	RUN(test_thumbprint_is_sha1_of_der);
	RUN(test_add_find_delete);
	RUN(test_ambiguous_prefix);
	testcert_home_remove(home);
	return unit_done();
}
