/*
 * test_acme_schedule — when hsysd renews (src/acme/schedule.c: two thirds
 * of the lifetime less a bounded jitter, ARI's window, the back-off) and
 * what it answers for pending challenges (src/daemon/acmechal.c: only the
 * pending HTTP-01 tokens; a TLS-ALPN-01 certificate for the name with the
 * critical acmeIdentifier extension holding SHA-256 of the key
 * authorization).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "cert/cert.h"
#include "common/err.h"
#include "daemon/acmechal.h"
#include "keys/keys.h"
#include "store/store.h"
#include "unit.h"

#define DAY	86400

static void
test_two_thirds(void)
{
	int64_t nb = 1000000, na = nb + 90 * DAY;
	uint32_t r;
	int ok = 1;

	CHECK(acme_renew_at(nb, na, 0) == nb + 60 * DAY);
	/* The jitter is at most a thirtieth of the lifetime, never later. */
	for (r = 0; r < 100000; r += 997) {
		int64_t t = acme_renew_at(nb, na, r * 2654435761u);
		if (t > nb + 60 * DAY || t < nb + 60 * DAY - 3 * DAY)
			ok = 0;
	}
	CHECK(ok);
	CHECK(acme_renew_at(nb, nb, 5) == nb);	/* no lifetime: now-ish */
}

static void
test_window(void)
{
	CHECK(acme_window_at(100, 200, 0) == 100);
	CHECK(acme_window_at(100, 200, 100) == 200);
	CHECK(acme_window_at(100, 200, 101) == 100);
	CHECK(acme_window_at(300, 200, 7) == 300);	/* an empty window */
}

static void
test_backoff(void)
{
	CHECK(acme_backoff_at(0, 1, 0) == ACME_BACKOFF_BASE);
	CHECK(acme_backoff_at(0, 2, 0) == 2 * ACME_BACKOFF_BASE);
	CHECK(acme_backoff_at(0, 3, 0) == 4 * ACME_BACKOFF_BASE);
	CHECK(acme_backoff_at(0, 40, 0) == ACME_BACKOFF_MAX);
	CHECK(acme_backoff_at(0, 1000000, 0) == ACME_BACKOFF_MAX);
	/* The random part adds at most a tenth. */
	CHECK(acme_backoff_at(0, 1, 0xffffffffu) <= ACME_BACKOFF_BASE * 11 / 10);
}

static void
test_tokens(void)
{
	struct acmechal_http h[2] = { { "tok-1", "tok-1.thumb" },
	    { "tok-2", "tok-2.thumb" } };
	struct acmechal a = { 2, h, 0, NULL };
	const char *p = ACMECHAL_PATH "tok-2";

	CHECK_STR(acmechal_token(&a, p, strlen(p)), "tok-2.thumb");
	p = ACMECHAL_PATH "tok-3";
	CHECK(acmechal_token(&a, p, strlen(p)) == NULL);
	p = ACMECHAL_PATH "tok-";		/* a prefix of a token */
	CHECK(acmechal_token(&a, p, strlen(p)) == NULL);
	p = ACMECHAL_PATH "tok-1x";
	CHECK(acmechal_token(&a, p, strlen(p)) == NULL);
	p = "/other/tok-1";
	CHECK(acmechal_token(&a, p, strlen(p)) == NULL);
	p = ACMECHAL_PATH;
	CHECK(acmechal_token(&a, p, strlen(p)) == NULL);
}

/* The one number a SELECT count(*) gives, or -1. */
static int
count(struct store *s, const char *sql)
{
	sqlite3_stmt *st;
	struct err e;
	int n = -1;

	if (store_prepare(s, &st, sql, &e) == -1)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

#define key_rows(s)	count(s, "SELECT count(*) FROM key")
#define challenge_certs(s) count(s, "SELECT count(*) FROM cert WHERE " \
	    "store = '" CERT_STORE_ACME_CHALLENGE "'")

/* TLS-ALPN-01 (acme/challcert.c, publish.c, daemon/acmechal.c): the
 * publisher makes the challenge certificate and keeps it with its key in
 * the internal store; hsysd's context has the certificate and only the
 * public half of the key; withdraw removes both, and what a killed order
 * left. */
static void
test_alpn_cert(void)
{
	struct acme_pending p = { .type = ACME_CHALLENGE_TLSALPN01,
	    .name = "alpn.example.test", .token = "tok",
	    .keyauth = "tok.thumb", .port = 443, .expires = 0 };
	char home[] = "/tmp/hsys-unit-acme.XXXXXX", cmd[600];
	unsigned char md[32];
	const ASN1_OCTET_STRING *d;
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
	X509_EXTENSION *ext;
	struct acmechal a;
	struct acme_store_pub sp = { 0 }, killed = { 0 };
	struct acme_publisher pub, kpub;
	struct store *s = NULL;
	struct keys_client *kc = NULL;
	EVP_PKEY *pk, *priv = NULL;
	struct err e;
	int64_t id, key_id = 0;
	X509 *x;
	int i;

	CHECK(mkdtemp(home) != NULL);
	setenv("HSYS_HOME", home, 1);
	CHECK(store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == 0);
	/* No hsysd runs: publish says tls-alpn-01 needs it, after the rows
	 * and certificates are in. */
	acme_store_publisher(&killed, s, &kpub);
	CHECK(kpub.publish(kpub.arg, &p, 1, &e) == -1);
	CHECK(strstr(e.msg, "hsysd") != NULL);
	CHECK(challenge_certs(s) == 1 && key_rows(s) == 1);
	/* That order is killed: its certificate stays, made long ago. */
	CHECK(store_exec(s, "UPDATE cert SET not_before = 0", &e) == 0);
	acme_store_publisher(&sp, s, &pub);
	CHECK(pub.publish(pub.arg, &p, 1, &e) == -1);
	CHECK(challenge_certs(s) == 2 && key_rows(s) == 2);
	/* An expired row is not answered. */
	snprintf(p.name, sizeof(p.name), "old.example.test");
	p.expires = time(NULL) - 1;
	CHECK(store_begin(s, &e) == 0);
	CHECK(acme_pending_add(s, &p, &id, &e) == 0);
	CHECK(store_commit(s, &e) == 0);
	CHECK(keys_client_new(&kc, &e) == 0);
	CHECK(acmechal_read(&a, s, kc, &e) == 0);
	CHECK(a.nalpn == 2 && a.nhttp == 0);
	if (a.nalpn >= 1) {
		CHECK_STR(a.alpn[0].name, "alpn.example.test");
		x = SSL_CTX_get0_certificate(a.alpn[0].ctx);
		CHECK(x != NULL && X509_check_host(x, "alpn.example.test", 0, 0,
		    NULL) == 1);
		CHECK(x != NULL && acme_challenge_cert_is(x,
		    "alpn.example.test", "tok.thumb"));
		CHECK(x != NULL && !acme_challenge_cert_is(x,
		    "alpn.example.test", "tok.other"));
		CHECK(x != NULL && !acme_challenge_cert_is(x,
		    "other.example.test", "tok.thumb"));
		/* The key is in keys.db, and hsysd's context has only its
		 * public half: the key process signs (keys/provider.c). */
		pk = SSL_CTX_get0_privatekey(a.alpn[0].ctx);
		CHECK(pk != NULL && EVP_PKEY_get0_provider(pk) != NULL &&
		    strcmp(OSSL_PROVIDER_get0_name(EVP_PKEY_get0_provider(pk)),
		    "hsys-keys") == 0);
		CHECK(x != NULL && certstore_key_find(s, X509_get0_pubkey(x),
		    &key_id, &priv, &e) == 0 && key_id != 0 && priv != NULL);
		CHECK(priv != NULL && x != NULL &&
		    X509_check_private_key(x, priv) == 1);
		EVP_PKEY_free(priv);
		i = x ? X509_get_ext_by_OBJ(x, oid, -1) : -1;
		CHECK(i >= 0);
		ext = i >= 0 ? X509_get_ext(x, i) : NULL;
		CHECK(ext != NULL && X509_EXTENSION_get_critical(ext) == 1);
		d = ext ? X509_EXTENSION_get_data(ext) : NULL;
		EVP_Digest("tok.thumb", 9, md, NULL, EVP_sha256(), NULL);
		/* The extension's value is an OCTET STRING of the digest. */
		CHECK(d != NULL && ASN1_STRING_length(d) == 34 &&
		    ASN1_STRING_get0_data(d)[0] == 0x04 &&
		    ASN1_STRING_get0_data(d)[1] == 32 &&
		    memcmp(ASN1_STRING_get0_data(d) + 2, md, 32) == 0);
	}
	acmechal_free(&a);
	/* Withdrawn: its row, its certificate and key, and the killed
	 * order's certificate and key go; the killed order's row stays
	 * until it expires. */
	pub.withdraw(pub.arg);
	CHECK(challenge_certs(s) == 0 && key_rows(s) == 0);
	CHECK(acmechal_read(&a, s, kc, &e) == 0);
	CHECK(a.nalpn == 0);
	acmechal_free(&a);
	keys_client_free(kc);
	ASN1_OBJECT_free(oid);
	store_close(s);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
	CHECK(system(cmd) == 0);
}

/* ARI asked again (src/acme/ari.c): the moment stays while in the window,
 * is drawn again when the window moved away from it (earlier: due now),
 * a back-off stands; the next look follows Retry-After within bounds. */
static void
test_ari_apply(void)
{
	struct acme_cert c;
	int64_t now = 1000000;

	memset(&c, 0, sizeof(c));
	c.next_renewal = now + 5 * DAY;
	acme_ari_apply(&c, now + 4 * DAY, now + 6 * DAY, -1, now, 0, 7);
	CHECK(c.next_renewal == now + 5 * DAY);
	CHECK(c.ari_check == now + ACME_ARI_RECHECK);
	CHECK(acme_cert_due_at(&c) == now + ACME_ARI_RECHECK);
	/* Moved earlier, into the past: due at once. */
	acme_ari_apply(&c, now - 2 * DAY, now - DAY, 1, now, 0, 7);
	CHECK(c.next_renewal >= now - 2 * DAY && c.next_renewal <= now - DAY);
	CHECK(c.ari_check == now + ACME_ARI_RECHECK_MIN);
	CHECK(acme_cert_due_at(&c) == c.next_renewal);
	/* redraw (after issuance) draws even inside the window. */
	c.next_renewal = now;
	acme_ari_apply(&c, now, now + DAY, 10 * DAY, now, 1, 1000);
	CHECK(c.next_renewal == now + 1000);
	CHECK(c.ari_check == now + ACME_ARI_RECHECK_MAX);
	/* Failures in a row: the back-off stands. */
	c.failures = 2;
	c.next_renewal = now + 600;
	acme_ari_apply(&c, now + 9 * DAY, now + 10 * DAY, 300, now, 0, 7);
	CHECK(c.next_renewal == now + 600 && c.ari_check == now + 300);
	/* No ARI: the renewal alone. */
	c.ari_check = 0;
	CHECK(acme_cert_due_at(&c) == now + 600);
}

/* RFC 9773's example (section 4.1): keyIdentifier 69:88:5B:...:C8:D4 and
 * serial 0x87654321 (DER value 00 87 65 43 21) name the certificate
 * aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE: what `replaces` and the
 * renewalInfo URL carry. */
static void
test_ari_cert_id(void)
{
	static const unsigned char kid[] = { 0x69, 0x88, 0x5B, 0x6B, 0x87,
	    0x46, 0x40, 0x41, 0xE1, 0xB3, 0x7B, 0x84, 0x7B, 0xA0, 0xAE, 0x2C,
	    0xDE, 0x01, 0xC8, 0xD4 };
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	struct err e;
	char *id = NULL;

	CHECK(akid != NULL && x != NULL && key != NULL);
	if (akid == NULL || x == NULL || key == NULL)
		goto out;
	akid->keyid = ASN1_OCTET_STRING_new();
	CHECK(ASN1_OCTET_STRING_set(akid->keyid, kid, sizeof(kid)) == 1);
	CHECK(ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), 0x87654321)
	    == 1);
	CHECK(X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, 0)
	    == 1);
	/* A whole certificate: OpenSSL reads extensions of a signed one. */
	X509_set_version(x, 2);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"ari.test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), DAY);
	X509_set_pubkey(x, key);
	CHECK(X509_sign(x, key, EVP_sha256()) > 0);
	CHECK(acme_ari_cert_id(x, &id, &e) == 0);
	CHECK(id != NULL && strcmp(id, "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")
	    == 0);
out:
	free(id);
	EVP_PKEY_free(key);
	AUTHORITY_KEYID_free(akid);
	X509_free(x);
}

int
main(void)
{
	RUN(test_two_thirds);
	RUN(test_window);
	RUN(test_backoff);
	RUN(test_ari_apply);
	RUN(test_ari_cert_id);
	RUN(test_tokens);
	RUN(test_alpn_cert);
	return unit_done();
}
