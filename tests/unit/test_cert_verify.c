/*
 * Unit tests of cert_verify_https: each check on certificates made here,
 * with the system's roots left out so that only the given anchors count.
 * Also cert_chain_build, the one chain builder, and
 * cert_chain_intermediates, which hsysd and export use.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"
#include "testcert.h"
#include "unit.h"

/* How to make one certificate. */
struct spec {
	const char	*cn;
	const char	*san;		/* NULL: DNS:<cn>; "": none */
	const char	*eku;		/* NULL: serverAuth; "": none */
	const char	*ku;		/* NULL: digitalSignature */
	int		 ca;
	long		 from, to;	/* offsets from now, seconds */
	const EVP_MD	*md;		/* NULL: SHA-256 */
};

static X509 *
make(const struct spec *s, EVP_PKEY *key, X509 *ca, EVP_PKEY *cakey)
{
	static long serial = 100;
	char san[256];
	X509 *x = X509_new();
	X509_NAME *name;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), s->from ? s->from : -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), s->to ? s->to : 86400L * 365);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)s->cn, -1, -1, 0);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : name);
	if (s->ca) {
		testcert_ext(x, ca ? ca : x, NID_basic_constraints,
		    "critical,CA:TRUE");
		testcert_ext(x, ca ? ca : x, NID_key_usage,
		    "critical,keyCertSign,cRLSign");
	} else {
		snprintf(san, sizeof(san), "DNS:%s", s->cn);
		if (s->san == NULL || *s->san)
			testcert_ext(x, ca ? ca : x, NID_subject_alt_name,
			    s->san ? s->san : san);
		if (s->eku == NULL || *s->eku)
			testcert_ext(x, ca ? ca : x, NID_ext_key_usage,
			    s->eku ? s->eku : "serverAuth");
		testcert_ext(x, ca ? ca : x, NID_key_usage,
		    s->ku ? s->ku : "critical,digitalSignature");
	}
	X509_sign(x, cakey ? cakey : key, s->md ? s->md : EVP_sha256());
	return x;
}

/* A root, an intermediate signed by it, and their keys. */
static EVP_PKEY *root_key, *int_key;
static X509 *root, *inter;

static void
pki_setup(void)
{
	struct spec r = { "Unit Root", NULL, NULL, NULL, 1, 0, 0, NULL };
	struct spec i = { "Unit Intermediate", NULL, NULL, NULL, 1, 0, 0,
	    NULL };

	root_key = testcert_key();
	int_key = testcert_key();
	root = make(&r, root_key, NULL, NULL);
	inter = make(&i, int_key, root, root_key);
}

static void
pki_teardown(void)
{
	X509_free(inter);
	X509_free(root);
	EVP_PKEY_free(int_key);
	EVP_PKEY_free(root_key);
}

/* The findings of one run, one per line, "P " or "W " first. */
static char found[4096];

static void
collect(void *arg, int warning, const char *msg)
{
	size_t n = strlen(found);

	(void)arg;
	snprintf(found + n, sizeof(found) - n, "%s %s\n", warning ? "W" : "P",
	    msg);
}

/* Verifies a leaf issued by the intermediate, made from spec with key (a
 * new P-256 key when NULL); the private key given to verify is that key
 * unless other_key. Returns the number of problems. */
static int
check(const struct spec *s, EVP_PKEY *key, int with_key, int trust_root,
    const char *dns)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	STACK_OF(X509) *anchors = sk_X509_new_null();
	EVP_PKEY *k = key ? key : testcert_key();
	EVP_PKEY *other = NULL;
	struct cert_verify v;
	struct err e;
	X509 *x = make(s, k, inter, int_key);
	int problems = -1;

	sk_X509_push(untrusted, inter);
	if (trust_root)
		sk_X509_push(anchors, root);
	memset(&v, 0, sizeof(v));
	v.cert = x;
	if (with_key == 1)
		v.key = k;
	else if (with_key == 2)
		v.key = other = testcert_key();
	v.untrusted = untrusted;
	v.anchors = anchors;
	v.dns_name = dns;
	v.report = collect;
	found[0] = '\0';
	if (cert_verify_https(&v, &problems, &e) == -1)
		problems = -1;
	EVP_PKEY_free(other);
	if (key == NULL)
		EVP_PKEY_free(k);
	X509_free(x);
	sk_X509_free(untrusted);
	sk_X509_free(anchors);
	return problems;
}

#define LEAF(name) { name, NULL, NULL, NULL, 0, 0, 0, NULL }

static void
test_good_chain_passes(void)
{
	struct spec s = LEAF("www.example.test");

	CHECK(check(&s, NULL, 1, 1, "www.example.test") == 0);
	CHECK_STR(found, "");
	CHECK(check(&s, NULL, 1, 1, NULL) == 0);
}

static void
test_untrusted_chain(void)
{
	struct spec s = LEAF("www.example.test");

	CHECK(check(&s, NULL, 1, 0, NULL) == 1);
	CHECK(strstr(found, "P no chain to a trusted root") != NULL);
}

static void
test_ca_store_is_no_anchor(void)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	STACK_OF(X509) *anchors = sk_X509_new_null();
	struct spec s = LEAF("www.example.test");
	EVP_PKEY *k = testcert_key();
	X509 *x = make(&s, k, inter, int_key);
	struct cert_verify v;
	struct err e;
	int problems = -1;

	/* The root among the intermediates is still not trusted. */
	sk_X509_push(untrusted, inter);
	sk_X509_push(untrusted, root);
	memset(&v, 0, sizeof(v));
	v.cert = x;
	v.key = k;
	v.untrusted = untrusted;
	v.anchors = anchors;
	v.report = collect;
	found[0] = '\0';
	CHECK(cert_verify_https(&v, &problems, &e) == 0 && problems == 1);
	CHECK(strstr(found, "no chain to a trusted root") != NULL);
	X509_free(x);
	EVP_PKEY_free(k);
	sk_X509_free(untrusted);
	sk_X509_free(anchors);
}

static void
test_dates(void)
{
	struct spec expired = LEAF("old.test");
	struct spec future = LEAF("new.test");
	struct spec soon = LEAF("soon.test");

	expired.from = -86400L * 60;
	expired.to = -86400L;
	CHECK(check(&expired, NULL, 1, 1, NULL) == 1);
	CHECK(strstr(found, "P expired on ") != NULL);
	future.from = 86400L;
	future.to = 86400L * 60;
	CHECK(check(&future, NULL, 1, 1, NULL) == 1);
	CHECK(strstr(found, "P not valid yet") != NULL);
	soon.to = 86400L * 10;
	CHECK(check(&soon, NULL, 1, 1, NULL) == 0);
	CHECK(strstr(found, "W expires in 10 days") != NULL);
}

static void
test_names(void)
{
	struct spec s = LEAF("www.example.test");
	struct spec ip = { "ip.test", "DNS:ip.test,IP:192.0.2.7", NULL, NULL,
	    0, 0, 0, NULL };
	struct spec cn_only = { "cn.test", "", NULL, NULL, 0, 0, 0, NULL };
	struct spec wild = { "w.test", "DNS:*.example.test", NULL, NULL, 0, 0,
	    0, NULL };

	CHECK(check(&s, NULL, 1, 1, "other.test") == 1);
	CHECK(strstr(found, "P the name other.test is not in") != NULL);
	CHECK(check(&ip, NULL, 1, 1, "192.0.2.7") == 0);
	CHECK(check(&ip, NULL, 1, 1, "192.0.2.8") == 1);
	CHECK(strstr(found, "IP address 192.0.2.8") != NULL);
	CHECK(check(&cn_only, NULL, 1, 1, "cn.test") == 1);
	CHECK(strstr(found, "only in the subject's CN") != NULL);
	CHECK(check(&cn_only, NULL, 1, 1, NULL) == 0);
	CHECK(strstr(found, "W no subjectAltName") != NULL);
	CHECK(check(&wild, NULL, 1, 1, "a.example.test") == 0);
}

static void
test_usages(void)
{
	struct spec client = { "c.test", NULL, "clientAuth", NULL, 0, 0, 0,
	    NULL };
	struct spec no_eku = { "n.test", NULL, "", NULL, 0, 0, 0, NULL };
	struct spec ku = { "k.test", NULL, NULL, "critical,keyEncipherment",
	    0, 0, 0, NULL };

	CHECK(check(&client, NULL, 1, 1, NULL) == 1);
	CHECK(strstr(found, "does not include serverAuth") != NULL);
	CHECK(check(&no_eku, NULL, 1, 1, NULL) == 0);
	CHECK(check(&ku, NULL, 1, 1, NULL) == 1);
	CHECK(strstr(found, "does not allow digitalSignature") != NULL);
}

static void
test_keys(void)
{
	struct spec s = LEAF("www.example.test");
	struct spec sha1 = LEAF("sha1.test");
	EVP_PKEY *weak = EVP_RSA_gen(1024);

	CHECK(check(&s, weak, 1, 1, NULL) == 1);
	CHECK(strstr(found, "P the key (RSA 1024) is weak") != NULL);
	CHECK(check(&s, NULL, 0, 1, NULL) == 1);
	CHECK(strstr(found, "P the store has no private key") != NULL);
	CHECK(check(&s, NULL, 2, 1, NULL) == 1);
	CHECK(strstr(found, "does not match") != NULL);
	sha1.md = EVP_sha1();
	CHECK(check(&sha1, NULL, 1, 1, NULL) >= 1);
	CHECK(strstr(found, "signed with SHA1") != NULL);
	EVP_PKEY_free(weak);
}

static void
test_self_signed(void)
{
	STACK_OF(X509) *anchors = sk_X509_new_null();
	struct spec s = LEAF("self.test");
	EVP_PKEY *k = testcert_key();
	X509 *x = make(&s, k, NULL, NULL);
	struct cert_verify v;
	struct err e;
	int problems = -1;

	memset(&v, 0, sizeof(v));
	v.cert = x;
	v.key = k;
	v.anchors = anchors;
	v.report = collect;
	found[0] = '\0';
	CHECK(cert_verify_https(&v, &problems, &e) == 0 && problems == 1);
	CHECK(strstr(found, "'hsys cert trust'") != NULL);
	/* In the Root store, it is its own anchor. */
	sk_X509_push(anchors, x);
	found[0] = '\0';
	CHECK(cert_verify_https(&v, &problems, &e) == 0 && problems == 0);
	X509_free(x);
	EVP_PKEY_free(k);
	sk_X509_free(anchors);
}

static void
test_chain_build(void)
{
	STACK_OF(X509) *pool = sk_X509_new_null(), *chain = NULL;
	struct spec s = LEAF("www.example.test");
	EVP_PKEY *k = testcert_key();
	X509 *x = make(&s, k, inter, int_key);
	struct err e;

	sk_X509_push(pool, root);
	sk_X509_push(pool, inter);
	CHECK(cert_chain_intermediates(x, pool, &chain, &e) == 0);
	CHECK(sk_X509_num(chain) == 1 && X509_cmp(sk_X509_value(chain, 0),
	    inter) == 0);
	sk_X509_pop_free(chain, X509_free);
	CHECK(cert_chain_intermediates(x, NULL, &chain, &e) == 0 &&
	    sk_X509_num(chain) == 0);
	sk_X509_pop_free(chain, X509_free);
	X509_free(x);
	EVP_PKEY_free(k);
	sk_X509_free(pool);
}

/* The chain as far as it goes, with why it stops; trusted with an
 * anchor; dates stop it or not as the flags say. */
static void
test_chain_build_trust(void)
{
	STACK_OF(X509) *pool = sk_X509_new_null();
	STACK_OF(X509) *anchors = sk_X509_new_null();
	struct spec s = LEAF("chain.example.test");
	struct spec old = LEAF("old.example.test");
	EVP_PKEY *k = testcert_key();
	X509 *x = make(&s, k, inter, int_key), *y;
	struct cert_chain_in in = { .leaf = x, .untrusted = pool };
	struct cert_chain ch;
	struct err e;

	sk_X509_push(pool, inter);
	CHECK(cert_chain_build(&in, &ch, &e) == 0);
	CHECK(!ch.trusted && sk_X509_num(ch.certs) == 2 &&
	    ch.error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY &&
	    ch.error_depth == 1 &&
	    strcmp(ch.error_subject, "CN=Unit Intermediate") == 0);
	cert_chain_free(&ch);
	sk_X509_push(anchors, root);
	in.anchors = anchors;
	CHECK(cert_chain_build(&in, &ch, &e) == 0);
	CHECK(ch.trusted && ch.error == X509_V_OK &&
	    sk_X509_num(ch.certs) == 3 &&
	    X509_cmp(sk_X509_value(ch.certs, 2), root) == 0);
	cert_chain_free(&ch);
	/* An expired leaf: it stops the chain unless its dates are left
	 * to the caller. */
	old.from = -86400 * 3;
	old.to = -86400;
	in.leaf = y = make(&old, k, inter, int_key);
	CHECK(cert_chain_build(&in, &ch, &e) == 0);
	CHECK(!ch.trusted && ch.error == X509_V_ERR_CERT_HAS_EXPIRED &&
	    ch.error_depth == 0);
	cert_chain_free(&ch);
	in.flags = CERT_CHAIN_LEAF_DATES;
	CHECK(cert_chain_build(&in, &ch, &e) == 0 && ch.trusted);
	cert_chain_free(&ch);
	/* No pool, no anchors: the leaf alone, never an empty chain. */
	memset(&in, 0, sizeof(in));
	in.leaf = x;
	CHECK(cert_chain_build(&in, &ch, &e) == 0 && !ch.trusted &&
	    sk_X509_num(ch.certs) == 1 &&
	    X509_cmp(sk_X509_value(ch.certs, 0), x) == 0);
	cert_chain_free(&ch);
	X509_free(x);
	X509_free(y);
	EVP_PKEY_free(k);
	sk_X509_free(pool);
	sk_X509_free(anchors);
}

int
main(void)
{
	pki_setup();
	RUN(test_good_chain_passes);
	RUN(test_untrusted_chain);
	RUN(test_ca_store_is_no_anchor);
	RUN(test_dates);
	RUN(test_names);
	RUN(test_usages);
	RUN(test_keys);
	RUN(test_self_signed);
	RUN(test_chain_build);
	RUN(test_chain_build_trust);
	pki_teardown();
	return unit_done();
}
