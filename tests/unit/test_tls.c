/*
 * Unit tests of the daemon's TLS contexts: in-memory handshakes between an
 * OpenSSL client and a context built from the store. Checks the policy
 * (versions, suites, ALPN), the chain sent (intermediates, not the root),
 * and ticket resumption across key rotations.
 */
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cert/cert.h"
#include "common/err.h"
#include "config/config.h"
#include "daemon/tls.h"
#include "keys/keys.h"
#include "store/store.h"
#include "testcert.h"
#include "unit.h"

static struct store *st;
static struct keys_client *kc;
static char leaf_thumb[CERT_THUMB_LEN + 1], bare_thumb[CERT_THUMB_LEN + 1];

static X509 *
make(const char *cn, EVP_PKEY *k, X509 *ca, EVP_PKEY *cak, int is_ca,
    long serial)
{
	X509 *x = testcert_make(cn, k, ca, cak, serial);

	testcert_ext(x, ca, NID_basic_constraints, is_ca ? "critical,CA:TRUE" :
	    "critical,CA:FALSE");
	if (!is_ca)
		testcert_ext(x, ca, NID_subject_alt_name, "DNS:localhost");
	X509_sign(x, cak ? cak : k, EVP_sha256());
	return x;
}

/* The key process signs for keys that a binding uses. */
static void
bind_leaf(struct err *e)
{
	struct config_sslcert b = { .kind = CONFIG_IPPORT };
	struct config_warnings w = { .n = 0 };
	int i;

	snprintf(b.endpoint, sizeof(b.endpoint), "0.0.0.0:443");
	snprintf(b.certhash, sizeof(b.certhash), "%s", leaf_thumb);
	snprintf(b.storename, sizeof(b.storename), "MY");
	snprintf(b.appid, sizeof(b.appid),
	    "{00000000-0000-0000-0000-000000000001}");
	for (i = 0; i < SSLOPT_COUNT; i++)
		b.opt[i] = config_sslopts[i].dflt;
	CHECK(config_sslcert_add(st, &b, &w, e) == 0);
}

/* The key process the contexts sign through (forked: no exec). */
static void
start_keys(void)
{
	struct err e;
	pid_t pid;
	int fd;

	CHECK(keys_client_new(&kc, &e) == 0);
	CHECK(keys_spawn(NULL, 0, &fd, &pid, &e) == 0);
	keys_client_attach(kc, fd, pid);
}

static void
setup(void)
{
	EVP_PKEY *rk = testcert_key(), *ik = testcert_key(),
	    *lk = testcert_key(), *bk = testcert_key();
	X509 *root = make("Test Root", rk, NULL, NULL, 1, 1);
	X509 *mid = make("Test Intermediate", ik, root, rk, 1, 2);
	X509 *leaf = make("localhost", lk, mid, ik, 0, 3);
	X509 *bare = make("nokey", bk, NULL, NULL, 0, 4);
	enum certstore_outcome o;
	struct err e;

	testcert_home();
	store_open(&st, STORE_MACHINE, STORE_WRITE, &e);
	store_begin(st, &e);
	certstore_add(st, "Root", root, NULL, &o, &e);
	certstore_add(st, "CA", mid, NULL, &o, &e);
	certstore_add(st, "My", leaf, lk, &o, &e);
	certstore_add(st, "My", bare, NULL, &o, &e);
	cert_thumbprint(leaf, leaf_thumb);
	cert_thumbprint(bare, bare_thumb);
	bind_leaf(&e);
	store_commit(st, &e);
	start_keys();
	X509_free(root);
	X509_free(mid);
	X509_free(leaf);
	X509_free(bare);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(lk);
	EVP_PKEY_free(bk);
}

/* Runs a handshake over a BIO pair; returns 1 when both ends finished. */
static int
handshake(SSL *c, SSL *s)
{
	BIO *cb, *sb;
	int i, cr = 0, sr = 0;

	BIO_new_bio_pair(&cb, 0, &sb, 0);
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (i = 0; i < 20 && (cr != 1 || sr != 1); i++) {
		if (cr != 1)
			cr = SSL_do_handshake(c);
		if (sr != 1)
			sr = SSL_do_handshake(s);
		if ((cr <= 0 && SSL_get_error(c, cr) == SSL_ERROR_SSL) ||
		    (sr <= 0 && SSL_get_error(s, sr) == SSL_ERROR_SSL))
			break;
	}
	ERR_clear_error();
	return cr == 1 && sr == 1;
}

/* TLS 1.3 tickets arrive after the handshake: pump once each way. */
static void
pump(SSL *c, SSL *s)
{
	char b[1];

	SSL_write(s, "x", 1);
	SSL_read(c, b, 1);
}

static SSL_CTX *
client_ctx(int maxv, const char *ciphers, const char *alpn, size_t alpnlen)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());

	SSL_CTX_set_min_proto_version(c, 0);
	SSL_CTX_set_security_level(c, 0);
	if (maxv)
		SSL_CTX_set_max_proto_version(c, maxv);
	if (ciphers)
		SSL_CTX_set_cipher_list(c, ciphers);
	if (alpn)
		SSL_CTX_set_alpn_protos(c, (const unsigned char *)alpn,
		    (unsigned)alpnlen);
	return c;
}

static void
test_policy_and_chain(void)
{
	SSL_CTX *sctx, *cctx = client_ctx(0, NULL, "\x02h2\x08http/1.1", 12);
	const unsigned char *proto;
	STACK_OF(X509) *chain;
	unsigned plen;
	struct err e;
	char desc[128];
	SSL *c, *s;

	CHECK(tls_ctx_new(&sctx, st, leaf_thumb, NULL, 0, NULL, kc, &e) == 0);
	c = SSL_new(cctx);
	s = SSL_new(sctx);
	CHECK(handshake(c, s));
	CHECK(SSL_version(s) == TLS1_3_VERSION);
	SSL_get0_alpn_selected(s, &proto, &plen);
	CHECK(TLS_H2_SERVED ? plen == 2 && memcmp(proto, "h2", 2) == 0 :
	    plen == 8 && memcmp(proto, "http/1.1", 8) == 0);
	chain = SSL_get_peer_cert_chain(c);
	CHECK(chain != NULL && sk_X509_num(chain) == 2);	/* leaf + mid */
	tls_describe(s, desc, sizeof(desc));
	CHECK(strncmp(desc, "TLSv1.3 TLS_", 12) == 0 &&
	    strstr(desc, "X25519") != NULL);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
}

static void
test_versions_and_suites(void)
{
	SSL_CTX *sctx, *only13, *cctx;
	struct err e;
	SSL *c, *s;

	CHECK(tls_ctx_new(&sctx, st, leaf_thumb, NULL, TLS_NO_TLS13, NULL, kc, &e)
	    == 0);
	cctx = client_ctx(0, NULL, NULL, 0);
	c = SSL_new(cctx);
	s = SSL_new(sctx);
	CHECK(handshake(c, s));
	CHECK(SSL_version(s) == TLS1_2_VERSION);
	CHECK(strstr(SSL_get_cipher_name(s), "ECDHE-ECDSA-") != NULL);
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);

	/* A TLS 1.1 client, and a TLS 1.2 client with only CBC suites. */
	cctx = client_ctx(TLS1_1_VERSION, "ALL:@SECLEVEL=0", NULL, 0);
	c = SSL_new(cctx);
	s = SSL_new(sctx);
	CHECK(!handshake(c, s));
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	cctx = client_ctx(TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA", NULL, 0);
	c = SSL_new(cctx);
	s = SSL_new(sctx);
	CHECK(!handshake(c, s));
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(sctx);

	CHECK(tls_ctx_new(&only13, st, leaf_thumb, NULL, TLS_NO_TLS12, NULL,
	    kc, &e) == 0);
	cctx = client_ctx(TLS1_2_VERSION, NULL, NULL, 0);
	c = SSL_new(cctx);
	s = SSL_new(only13);
	CHECK(!handshake(c, s));
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	SSL_CTX_free(only13);

	CHECK(tls_ctx_new(&sctx, st, leaf_thumb, NULL,
	    TLS_NO_TLS12 | TLS_NO_TLS13, NULL, kc, &e) == -1 &&
	    strstr(e.msg, "both TLS 1.2 and TLS 1.3") != NULL);
}

static void
test_alpn_pick(void)
{
	static const unsigned char both[] = "\x08http/1.1\x02h2";
	static const unsigned char odd[] = "\x06spdy/3\x0ahttp/1.1x";
	static const unsigned char acme[] = "\x0a" "acme-tls/1";
	static const unsigned char cut[] = "\x02h2\x09http/1.1";
	const unsigned all = TLS_ALPN_H1 | TLS_ALPN_H2 | TLS_ALPN_ACME;
	const unsigned char *out = NULL;
	unsigned char n = 0;

	/* The server's order wins over the client's. */
	CHECK(tls_alpn_pick(both, 13, all, &out, &n) == TLS_ALPN_H2 &&
	    n == 2 && memcmp(out, "h2", 2) == 0);
	CHECK(tls_alpn_pick(both, 13, TLS_ALPN_H1, &out, &n) == TLS_ALPN_H1 &&
	    n == 8 && memcmp(out, "http/1.1", 8) == 0 && out == both + 1);
	/* Nothing of ours, a name that is a prefix of ours, a truncated
	 * entry, an empty list: none (HTTP/1.1 without an answer). */
	CHECK(tls_alpn_pick(odd, sizeof(odd) - 1, all, &out, &n) == 0);
	CHECK(tls_alpn_pick(cut, sizeof(cut) - 1, TLS_ALPN_H1, &out, &n) ==
	    0);
	CHECK(tls_alpn_pick(cut, sizeof(cut) - 1, all, &out, &n) ==
	    TLS_ALPN_H2);
	CHECK(tls_alpn_pick(both, 0, all, &out, &n) == 0);
	/* acme-tls/1 only where allowed (the ACME responder's own). */
	CHECK(tls_alpn_pick(acme, 11, TLS_ALPN_H1 | TLS_ALPN_H2, &out, &n) ==
	    0);
	CHECK(tls_alpn_pick(acme, 11, all, &out, &n) == TLS_ALPN_ACME &&
	    n == 10);
	/* disablehttp2=enable takes h2 away; without it, h2 is offered as
	 * soon as hsysd serves it. */
	CHECK(!(tls_alpn_allowed(TLS_NO_H2) & TLS_ALPN_H2));
	CHECK(tls_alpn_allowed(TLS_NO_H2) & TLS_ALPN_H1);
	CHECK(!!(tls_alpn_allowed(0) & TLS_ALPN_H2) == TLS_H2_SERVED);
}

/* The protocol a handshake with a client offering `alpn` selects ("" when
 * none), or NULL when the handshake fails. */
static const char *
alpn_of(SSL_CTX *sctx, const char *alpn, size_t alpnlen, char *buf)
{
	SSL_CTX *cctx = client_ctx(0, NULL, alpn, alpnlen);
	const unsigned char *proto;
	unsigned plen = 0;
	const char *r = NULL;
	SSL *c = SSL_new(cctx), *s = SSL_new(sctx);

	if (handshake(c, s)) {
		SSL_get0_alpn_selected(s, &proto, &plen);
		if (plen > 0)
			memcpy(buf, proto, plen);
		buf[plen] = '\0';
		r = buf;
	}
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	return r;
}

static void
test_alpn_fallback_and_errors(void)
{
	SSL_CTX *sctx, *noh2;
	struct err e;
	char b[32];

	CHECK(tls_ctx_new(&sctx, st, leaf_thumb, NULL, 0, NULL, kc, &e) == 0);
	CHECK(tls_ctx_new(&noh2, st, leaf_thumb, NULL, TLS_NO_H2, NULL, kc, &e) ==
	    0);
	/* A client offering only protocols we do not speak, or no ALPN at
	 * all, is served HTTP/1.1: no fatal alert. */
	CHECK_STR(alpn_of(sctx, "\x06spdy/3", 7, b), "");
	CHECK_STR(alpn_of(sctx, NULL, 0, b), "");
	CHECK_STR(alpn_of(noh2, "\x02h2", 3, b), "");
	CHECK_STR(alpn_of(noh2, "\x02h2\x08http/1.1", 12, b), "http/1.1");
	CHECK_STR(alpn_of(sctx, "\x02h2\x08http/1.1", 12, b),
	    TLS_H2_SERVED ? "h2" : "http/1.1");
	SSL_CTX_free(noh2);
	SSL_CTX_free(sctx);
	CHECK(tls_ctx_new(&sctx, st, bare_thumb, NULL, 0, NULL, kc, &e) == -1 &&
	    strstr(e.msg, "no private key") != NULL);
	CHECK(tls_ctx_new(&sctx, st, "0000000000", NULL, 0, NULL, kc, &e) == -1 &&
	    strstr(e.msg, "no certificate") != NULL);
}

/* Handshake with an optional session; returns the new session. */
static SSL_SESSION *
resume(SSL_CTX *sctx, SSL_CTX *cctx, SSL_SESSION *sess, int *reused)
{
	SSL_SESSION *out;
	SSL *c = SSL_new(cctx), *s = SSL_new(sctx);

	if (sess)
		SSL_set_session(c, sess);
	*reused = handshake(c, s) ? SSL_session_reused(c) : -1;
	pump(c, s);
	out = SSL_get1_session(c);
	/* Freed without a shutdown, OpenSSL deems the session bad. */
	SSL_set_shutdown(c, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
	SSL_free(c);
	SSL_free(s);
	return out;
}

static void
test_tickets(void)
{
	struct tls_tickets *t;
	SSL_CTX *sctx, *nt, *cctx = client_ctx(0, NULL, NULL, 0);
	SSL_SESSION *s1, *s2;
	struct err e;
	int reused;

	CHECK(tls_tickets_new(&t, &e) == 0);
	CHECK(tls_ctx_new(&sctx, st, leaf_thumb, NULL, 0, t, kc, &e) == 0);
	s1 = resume(sctx, cctx, NULL, &reused);
	CHECK(reused == 0);
	s2 = resume(sctx, cctx, s1, &reused);
	CHECK(reused == 1);
	SSL_SESSION_free(s2);
	/* Two rotations: the first ticket still decrypts. */
	tls_tickets_rotate(t, &e);
	tls_tickets_rotate(t, &e);
	s2 = resume(sctx, cctx, s1, &reused);
	CHECK(reused == 1);
	SSL_SESSION_free(s2);
	/* A third: its key is gone, a full handshake follows. */
	tls_tickets_rotate(t, &e);
	s2 = resume(sctx, cctx, s1, &reused);
	CHECK(reused == 0);
	SSL_SESSION_free(s2);
	SSL_SESSION_free(s1);

	CHECK(tls_ctx_new(&nt, st, leaf_thumb, NULL, TLS_NO_TICKETS, t, kc, &e)
	    == 0);
	s1 = resume(nt, cctx, NULL, &reused);
	s2 = resume(nt, cctx, s1, &reused);
	CHECK(reused == 0);
	SSL_SESSION_free(s1);
	SSL_SESSION_free(s2);
	SSL_CTX_free(nt);
	SSL_CTX_free(sctx);
	SSL_CTX_free(cctx);
	tls_tickets_free(t);
}

int
main(void)
{
	setup();
	RUN(test_policy_and_chain);
	RUN(test_versions_and_suites);
	RUN(test_alpn_pick);
	RUN(test_alpn_fallback_and_errors);
	RUN(test_tickets);
	store_close(st);
	keys_client_free(kc);
	testcert_home_remove(getenv("HSYS_HOME"));
	return unit_done();
}
