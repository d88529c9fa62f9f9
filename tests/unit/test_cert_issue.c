/*
 * Unit tests of certificate issuing: key types, subjects, dates, day
 * counts, host names and IPs as users type them; the extensions of new
 * leaf and CA certificates and CSRs, read back with OpenSSL; name
 * constraints as a verifier applies them; signer checks; pending requests
 * and reading what a CA sends back.
 */
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"
#include "testcert.h"
#include "unit.h"

#define DAY	86400

static const char *const names[] = { "www.example.test", "*.example.test" };
static const char *const ips[] = { "127.0.0.1", "::1" };

static struct cert_spec
spec(void)
{
	struct cert_spec sp = { 0 };

	sp.dns = names;
	sp.ndns = 2;
	sp.ip = ips;
	sp.nip = 2;
	return sp;
}

static int
critical(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static int
has_ext(X509 *x, int nid)
{
	return X509_get_ext_by_NID(x, nid, -1) >= 0;
}

static int64_t
when(const ASN1_TIME *t)
{
	int64_t v = 0;

	cert_time(t, &v);
	return v;
}

/* Verifies leaf against ca as the only trust anchor: an X509_V_ code. */
static int
verify(X509 *leaf, X509 *ca)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int rc;

	X509_STORE_add_cert(store, ca);
	X509_STORE_CTX_init(ctx, store, leaf, NULL);
	rc = X509_verify_cert(ctx) == 1 ? X509_V_OK :
	    X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return rc;
}

static void
test_key_types(void)
{
	char desc[64];
	EVP_PKEY *k;
	struct err e;

	CHECK(cert_key_new(NULL, &k, &e) == 0);
	cert_key_description(k, desc, sizeof(desc));
	CHECK_STR(desc, "EC P-256");
	EVP_PKEY_free(k);
	CHECK(cert_key_new("ec-p384", &k, &e) == 0);
	cert_key_description(k, desc, sizeof(desc));
	CHECK_STR(desc, "EC P-384");
	EVP_PKEY_free(k);
	CHECK(cert_key_new("RSA-2048", &k, &e) == 0);
	cert_key_description(k, desc, sizeof(desc));
	CHECK_STR(desc, "RSA 2048");
	EVP_PKEY_free(k);
	/* The big ones are slow to make; the e2e test makes them. */
	CHECK(cert_key_type_check("rsa-3072", &e) == 0);
	CHECK(cert_key_type_check("rsa-4096", &e) == 0);
	CHECK(cert_key_new("dsa-1024", &k, &e) == -1 && k == NULL &&
	    strstr(e.msg, "unknown key type 'dsa-1024'") != NULL &&
	    strstr(e.msg, "ec-p256") != NULL && strstr(e.msg, "rsa-4096"));
	CHECK(cert_key_type_check("ec-p521", &e) == -1);
}

static int
dn_is(const char *in, const char *want)
{
	X509_NAME *n;
	struct err e;
	char got[512];
	int ok;

	if (cert_dn_parse(in, &n, &e) == -1) {
		printf("#   %s: %s\n", in, e.msg);
		return 0;
	}
	cert_name_string(n, got, sizeof(got));
	ok = strcmp(got, want) == 0;
	if (!ok)
		printf("#   %s -> '%s', want '%s'\n", in, got, want);
	X509_NAME_free(n);
	return ok;
}

static int
dn_bad(const char *in, const char *why)
{
	X509_NAME *n = NULL;
	struct err e;
	int ok;

	ok = cert_dn_parse(in, &n, &e) == -1 && n == NULL &&
	    strstr(e.msg, why) != NULL && strstr(e.msg, "CN=") != NULL;
	if (!ok)
		printf("#   %s: '%s'\n", in, n ? "parsed" : e.msg);
	X509_NAME_free(n);
	return ok;
}

static void
test_dn(void)
{
	X509_NAME *n;
	struct err e;

	CHECK(dn_is("CN=x", "CN=x"));
	CHECK(dn_is("CN=www.example.test, O=Example, C=US",
	    "CN=www.example.test, O=Example, C=US"));
	CHECK(dn_is("  CN = a b ,O=c", "CN=a b, O=c"));
	CHECK(dn_is("/C=US/O=Example/CN=www.example.test",
	    "CN=www.example.test, O=Example, C=US"));
	CHECK(dn_is("/CN=x/O=y", "O=y, CN=x"));
	CHECK(dn_is("CN=x, O=\"Example, Inc.\"", "CN=x, O=Example\\, Inc."));
	CHECK(dn_is("CN=x, O=Example\\, Inc.", "CN=x, O=Example\\, Inc."));
	CHECK(dn_is("/CN=a,b/O=c\\/d", "O=c/d, CN=a\\,b"));
	CHECK(dn_is("CN=x, S=Bavaria, E=a@b.test",
	    "CN=x, ST=Bavaria, emailAddress=a@b.test"));
	CHECK(dn_is("cn=Grüße", "CN=Grüße"));
	/* The CN is what the encoding puts last (most specific). */
	CHECK(cert_dn_parse("CN=leaf, O=org", &n, &e) == 0 &&
	    OBJ_obj2nid(X509_NAME_ENTRY_get_object(X509_NAME_get_entry(n,
	    1))) == NID_commonName);
	X509_NAME_free(n);

	CHECK(dn_bad("", "empty"));
	CHECK(dn_bad("  ", "empty"));
	CHECK(dn_bad("www.example.test", "not followed by '='"));
	CHECK(dn_bad("=x", "attribute name is missing"));
	CHECK(dn_bad("CN=", "empty value"));
	CHECK(dn_bad("XX=y", "unknown attribute 'XX'"));
	CHECK(dn_bad("CN=x, C=USA", "two-letter"));
	CHECK(dn_bad("CN=x,", "ends with ','"));
	CHECK(dn_bad("/CN=x/", "ends with '/'"));
	CHECK(dn_bad("CN=\"x", "no closing"));
	CHECK(dn_bad("CN=\"x\" y", "after a quoted value"));
	CHECK(dn_bad("CN=x\\", "lone"));
	CHECK(dn_bad("CN=0123456789012345678901234567890123456789012345678901"
	    "23456789012345", "cannot be encoded"));
}

static void
test_dates(void)
{
	int64_t t;
	struct err e;
	int d;

	CHECK(cert_date_parse("2030-01-02", &t, &e) == 0 && t == 1893542400);
	CHECK(cert_date_parse("2030-01-02T03:04:05Z", &t, &e) == 0 &&
	    t == 1893542400 + 3 * 3600 + 4 * 60 + 5);
	CHECK(cert_date_parse("2028-02-29", &t, &e) == 0);
	CHECK(cert_date_parse("2100-02-29", &t, &e) == -1 &&
	    strstr(e.msg, "not a valid date") != NULL);
	CHECK(cert_date_parse("2027-02-29", &t, &e) == -1);
	CHECK(cert_date_parse("2027-13-01", &t, &e) == -1);
	CHECK(cert_date_parse("2027-04-31", &t, &e) == -1);
	CHECK(cert_date_parse("2027-01-01T24:00:00Z", &t, &e) == -1);
	CHECK(cert_date_parse("2027-1-1", &t, &e) == -1 &&
	    strstr(e.msg, "YYYY-MM-DD") != NULL);
	CHECK(cert_date_parse("2027-01-01T10:00:00", &t, &e) == -1);
	CHECK(cert_date_parse("2027-01-01T10:00:00Zx", &t, &e) == -1);
	CHECK(cert_date_parse("2027-01-01 ", &t, &e) == -1);
	CHECK(cert_date_parse("tomorrow", &t, &e) == -1);
	CHECK(cert_date_parse("", &t, &e) == -1);

	CHECK(cert_days_parse("1", &d, &e) == 0 && d == 1);
	CHECK(cert_days_parse("36500", &d, &e) == 0 && d == 36500);
	CHECK(cert_days_parse("0", &d, &e) == -1 &&
	    strstr(e.msg, "from 1 to 36500") != NULL);
	CHECK(cert_days_parse("-5", &d, &e) == -1);
	CHECK(cert_days_parse("+5", &d, &e) == -1);
	CHECK(cert_days_parse("36501", &d, &e) == -1);
	CHECK(cert_days_parse("99999999999999999999", &d, &e) == -1);
	CHECK(cert_days_parse("10x", &d, &e) == -1);
	CHECK(cert_days_parse("", &d, &e) == -1);
}

static void
test_dns_names(void)
{
	char label[80], longname[300];
	struct err e;

	CHECK(cert_dns_name_check("localhost", 1, &e) == 0);
	CHECK(cert_dns_name_check("www.example.test", 1, &e) == 0);
	CHECK(cert_dns_name_check("xn--bcher-kva.example", 1, &e) == 0);
	CHECK(cert_dns_name_check("*.example.test", 1, &e) == 0);
	CHECK(cert_dns_name_check("*.example.test", 0, &e) == -1 &&
	    strstr(e.msg, "wildcard is not allowed") != NULL);
	CHECK(cert_dns_name_check("*.test", 1, &e) == -1 &&
	    strstr(e.msg, "two labels") != NULL);
	CHECK(cert_dns_name_check("a.*.test", 1, &e) == -1 &&
	    strstr(e.msg, "leftmost") != NULL);
	CHECK(cert_dns_name_check("w*.example.test", 1, &e) == -1);
	CHECK(cert_dns_name_check("", 1, &e) == -1);
	CHECK(cert_dns_name_check("-a.test", 1, &e) == -1 &&
	    strstr(e.msg, "'-'") != NULL);
	CHECK(cert_dns_name_check("a-.test", 1, &e) == -1);
	CHECK(cert_dns_name_check("a..test", 1, &e) == -1 &&
	    strstr(e.msg, "empty label") != NULL);
	CHECK(cert_dns_name_check(".a.test", 1, &e) == -1);
	CHECK(cert_dns_name_check("a.test.", 1, &e) == -1 &&
	    strstr(e.msg, "ends with '.'") != NULL);
	CHECK(cert_dns_name_check("a_b.test", 1, &e) == -1 &&
	    strstr(e.msg, "'_' is not allowed") != NULL);
	CHECK(cert_dns_name_check("a b.test", 1, &e) == -1);
	CHECK(cert_dns_name_check("b\xc3\xbc" "cher.test", 1, &e) == -1 &&
	    strstr(e.msg, "xn--") != NULL);
	CHECK(cert_dns_name_check("127.0.0.1", 1, &e) == -1 &&
	    strstr(e.msg, "--ip") != NULL);
	memset(label, 'a', 64);
	strcpy(label + 64, ".test");
	CHECK(cert_dns_name_check(label, 1, &e) == -1 &&
	    strstr(e.msg, "longer than 63") != NULL);
	label[1] = '.';
	CHECK(cert_dns_name_check(label, 1, &e) == 0);
	memset(longname, 'a', 254);
	for (int i = 10; i < 254; i += 10)
		longname[i] = '.';
	longname[254] = '\0';
	CHECK(cert_dns_name_check(longname, 1, &e) == -1 &&
	    strstr(e.msg, "longer than 253") != NULL);
	longname[253] = '\0';
	CHECK(cert_dns_name_check(longname, 1, &e) == 0);
}

static void
test_ips(void)
{
	unsigned char ip[16];
	struct err e;
	int len;

	CHECK(cert_ip_parse("127.0.0.1", ip, &len, &e) == 0 && len == 4 &&
	    ip[0] == 127 && ip[3] == 1);
	CHECK(cert_ip_parse("::1", ip, &len, &e) == 0 && len == 16 &&
	    ip[15] == 1);
	CHECK(cert_ip_parse("2001:db8::10", ip, &len, &e) == 0 && len == 16);
	CHECK(cert_ip_parse("fe80::1%eth0", ip, &len, &e) == -1 &&
	    strstr(e.msg, "zone") != NULL);
	CHECK(cert_ip_parse("1.2.3", ip, &len, &e) == -1 &&
	    strstr(e.msg, "not an IPv4") != NULL);
	CHECK(cert_ip_parse("256.1.1.1", ip, &len, &e) == -1);
	CHECK(cert_ip_parse("1.2.3.4.5", ip, &len, &e) == -1);
	CHECK(cert_ip_parse("2001:db8::g", ip, &len, &e) == -1 &&
	    strstr(e.msg, "not an IPv6") != NULL);
	CHECK(cert_ip_parse("localhost", ip, &len, &e) == -1);
	CHECK(cert_ip_parse("", ip, &len, &e) == -1);
}

static void
test_spec_check(void)
{
	static const char *const bad_ip[] = { "1.2.3.999" };
	static const char *const bad_name[] = { "ok.test", "bad_name.test" };
	static const char *const permit[] = { "*.example.test" };
	struct cert_spec sp = spec();
	EVP_PKEY *k = testcert_key();
	X509 *x = NULL;
	struct err e;

	CHECK(cert_spec_check(&sp, &e) == 0);
	sp.ip = bad_ip;
	sp.nip = 1;
	CHECK(cert_spec_check(&sp, &e) == -1 && strstr(e.msg, "1.2.3.999"));
	sp = spec();
	sp.dns = bad_name;
	CHECK(cert_spec_check(&sp, &e) == -1 && strstr(e.msg, "bad_name"));
	sp = spec();
	sp.permit_dns = permit;
	sp.npermit = 1;
	CHECK(cert_spec_check(&sp, &e) == -1 && strstr(e.msg, "--permit-dns"));
	sp = spec();
	sp.days = 10;
	sp.not_after = time(NULL) + DAY;
	CHECK(cert_spec_check(&sp, &e) == -1 && strstr(e.msg, "not both"));
	sp = spec();
	sp.not_after = time(NULL) - DAY;
	CHECK(cert_spec_check(&sp, &e) == -1 && strstr(e.msg, "in the past"));
	CHECK(cert_make_leaf(&sp, k, NULL, NULL, &x, &e) == -1 && x == NULL);
	sp = spec();
	sp.ndns = sp.nip = 0;
	CHECK(cert_make_leaf(&sp, k, NULL, NULL, &x, &e) == -1 &&
	    strstr(e.msg, "at least one --dns-name or --ip") != NULL);
	EVP_PKEY_free(k);
}

/* The SAN of x, as "DNS:a,IP:4,IP:16". */
static void
san_string(X509 *x, char *buf, size_t size)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL,
	    NULL);
	GENERAL_NAME *gn;
	size_t n;
	int i;

	buf[0] = '\0';
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		gn = sk_GENERAL_NAME_value(gens, i);
		n = strlen(buf);
		if (gn->type == GEN_DNS)
			snprintf(buf + n, size - n, "%sDNS:%s", i ? "," : "",
			    (const char *)ASN1_STRING_get0_data(gn->d.dNSName));
		else if (gn->type == GEN_IPADD)
			snprintf(buf + n, size - n, "%sIP:%d", i ? "," : "",
			    ASN1_STRING_length(gn->d.iPAddress));
	}
	GENERAL_NAMES_free(gens);
}

static void
test_selfsigned_leaf(void)
{
	struct cert_spec sp = spec();
	const ASN1_INTEGER *serial;
	BASIC_CONSTRAINTS *bc;
	int64_t now = time(NULL);
	char buf[256];
	EVP_PKEY *k = testcert_key();
	X509 *x = NULL;
	struct err e;

	CHECK(cert_make_leaf(&sp, k, NULL, NULL, &x, &e) == 0 && x != NULL);
	if (x == NULL)
		return;
	CHECK(X509_get_version(x) == 2);
	serial = X509_get0_serialNumber(x);
	CHECK(ASN1_STRING_type(serial) == V_ASN1_INTEGER &&
	    ASN1_STRING_length(serial) == 16);
	cert_name_string(X509_get_subject_name(x), buf, sizeof(buf));
	CHECK_STR(buf, "CN=www.example.test");
	CHECK(X509_NAME_cmp(X509_get_subject_name(x),
	    X509_get_issuer_name(x)) == 0);
	CHECK(when(X509_get0_notBefore(x)) <= now - CERT_SKEW_SECONDS + 2 &&
	    when(X509_get0_notBefore(x)) >= now - CERT_SKEW_SECONDS - 2);
	CHECK(when(X509_get0_notAfter(x)) - now >= 365 * DAY - 2 &&
	    when(X509_get0_notAfter(x)) - now <= 365 * DAY + 2);
	san_string(x, buf, sizeof(buf));
	CHECK_STR(buf, "DNS:www.example.test,DNS:*.example.test,IP:4,IP:16");
	CHECK(critical(x, NID_basic_constraints));
	bc = X509_get_ext_d2i(x, NID_basic_constraints, NULL, NULL);
	CHECK(bc != NULL && !bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	CHECK(X509_check_ca(x) == 0);
	CHECK(critical(x, NID_key_usage));
	CHECK(X509_get_key_usage(x) == KU_DIGITAL_SIGNATURE);
	CHECK(!critical(x, NID_ext_key_usage) &&
	    X509_get_extended_key_usage(x) == XKU_SSL_SERVER);
	CHECK(X509_get0_subject_key_id(x) != NULL);
	CHECK(!has_ext(x, NID_authority_key_identifier));
	CHECK(X509_get_signature_nid(x) == NID_ecdsa_with_SHA256);
	CHECK(X509_verify(x, k) == 1);
	CHECK(X509_check_private_key(x, k) == 1);
	CHECK(verify(x, x) == X509_V_OK);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_leaf_variants(void)
{
	struct cert_spec sp = spec();
	EVP_PKEY *k = NULL;
	X509 *x = NULL, *y = NULL;
	char buf[256];
	struct err e;

	/* RSA adds keyEncipherment; P-384 signs with SHA-384. */
	CHECK(cert_key_new("rsa-2048", &k, &e) == 0);
	CHECK(cert_make_leaf(&sp, k, NULL, NULL, &x, &e) == 0);
	CHECK(X509_get_key_usage(x) == (KU_DIGITAL_SIGNATURE |
	    KU_KEY_ENCIPHERMENT));
	CHECK(X509_get_signature_nid(x) == NID_sha256WithRSAEncryption);
	X509_free(x);
	EVP_PKEY_free(k);
	CHECK(cert_key_new("ec-p384", &k, &e) == 0);
	CHECK(cert_make_leaf(&sp, k, NULL, NULL, &x, &e) == 0);
	CHECK(X509_get_signature_nid(x) == NID_ecdsa_with_SHA384);
	/* Serials are random. */
	CHECK(cert_make_leaf(&sp, k, NULL, NULL, &y, &e) == 0 &&
	    ASN1_INTEGER_cmp(X509_get0_serialNumber(x),
	    X509_get0_serialNumber(y)) != 0);
	X509_free(x);
	X509_free(y);
	/* --subject, --not-after, and an IP alone. */
	sp.subject = "CN=Mine, O=Example, C=DE";
	CHECK(cert_date_parse("2031-06-30T12:00:00Z", &sp.not_after, &e) == 0);
	CHECK(cert_make_leaf(&sp, k, NULL, NULL, &x, &e) == 0);
	cert_name_string(X509_get_subject_name(x), buf, sizeof(buf));
	CHECK_STR(buf, "CN=Mine, O=Example, C=DE");
	CHECK(when(X509_get0_notAfter(x)) == sp.not_after);
	X509_free(x);
	sp = spec();
	sp.ndns = 0;
	sp.days = 7;
	CHECK(cert_make_leaf(&sp, k, NULL, NULL, &x, &e) == 0);
	cert_name_string(X509_get_subject_name(x), buf, sizeof(buf));
	CHECK_STR(buf, "CN=127.0.0.1");
	CHECK(when(X509_get0_notAfter(x)) - time(NULL) <= 7 * DAY);
	san_string(x, buf, sizeof(buf));
	CHECK_STR(buf, "IP:4,IP:16");
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_ca(void)
{
	static const char *const permit[] = { "example.test", ".corp.test" };
	struct cert_spec sp = { 0 };
	NAME_CONSTRAINTS *nc;
	GENERAL_SUBTREE *st;
	char buf[256];
	EVP_PKEY *k = testcert_key();
	X509 *x = NULL;
	struct err e;

	sp.permit_dns = permit;
	sp.npermit = 2;
	CHECK(cert_make_ca("Example Test CA", &sp, k, &x, &e) == 0);
	if (x == NULL)
		return;
	cert_name_string(X509_get_subject_name(x), buf, sizeof(buf));
	CHECK_STR(buf, "CN=Example Test CA");
	CHECK(X509_check_ca(x) == 1);
	CHECK(critical(x, NID_basic_constraints));
	CHECK(critical(x, NID_key_usage));
	CHECK(X509_get_key_usage(x) == (KU_KEY_CERT_SIGN | KU_CRL_SIGN |
	    KU_DIGITAL_SIGNATURE));
	CHECK(X509_get0_subject_key_id(x) != NULL);
	CHECK(!has_ext(x, NID_ext_key_usage));
	CHECK(when(X509_get0_notAfter(x)) - time(NULL) >= 3650 * DAY - 2);
	CHECK(critical(x, NID_name_constraints));
	nc = X509_get_ext_d2i(x, NID_name_constraints, NULL, NULL);
	CHECK(nc != NULL && sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) == 2
	    && nc->excludedSubtrees == NULL);
	if (nc != NULL && sk_GENERAL_SUBTREE_num(nc->permittedSubtrees) == 2) {
		st = sk_GENERAL_SUBTREE_value(nc->permittedSubtrees, 1);
		CHECK(st->base->type == GEN_DNS && strcmp((const char *)
		    ASN1_STRING_get0_data(st->base->d.dNSName), "corp.test")
		    == 0);
	}
	NAME_CONSTRAINTS_free(nc);
	X509_free(x);
	/* No constraints unless asked; bad names refused. */
	sp.npermit = 0;
	sp.days = 30;
	CHECK(cert_make_ca("Plain", &sp, k, &x, &e) == 0 &&
	    !has_ext(x, NID_name_constraints));
	X509_free(x);
	CHECK(cert_make_ca("", &sp, k, &x, &e) == -1 && x == NULL);
	EVP_PKEY_free(k);
}

static void
test_signed_leaf(void)
{
	static const char *const permit[] = { "example.test" };
	static const char *const other[] = { "www.other.test" };
	struct cert_spec casp = { 0 }, sp = spec();
	const ASN1_OCTET_STRING *akid;
	EVP_PKEY *cak = testcert_key(), *k = testcert_key();
	X509 *ca = NULL, *x = NULL;
	struct err e;

	casp.permit_dns = permit;
	casp.npermit = 1;
	casp.days = 30;
	CHECK(cert_make_ca("Test CA", &casp, cak, &ca, &e) == 0);
	CHECK(cert_make_leaf(&sp, k, ca, cak, &x, &e) == 0);
	if (x == NULL || ca == NULL)
		return;
	CHECK(X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_get_subject_name(ca)) == 0);
	akid = X509_get0_authority_key_id(x);
	CHECK(akid != NULL && ASN1_OCTET_STRING_cmp(akid,
	    X509_get0_subject_key_id(ca)) == 0);
	CHECK(X509_verify(x, cak) == 1);
	CHECK(verify(x, ca) == X509_V_OK);
	/* The default validity (365 days) shrinks to the CA's 30. */
	CHECK(when(X509_get0_notAfter(x)) == when(X509_get0_notAfter(ca)));
	X509_free(x);
	/* Explicit validity past the CA's end is refused. */
	sp.days = 60;
	CHECK(cert_make_leaf(&sp, k, ca, cak, &x, &e) == -1 &&
	    strstr(e.msg, "after its signer") != NULL);
	sp.days = 0;
	sp.not_after = time(NULL) + 40 * DAY;
	CHECK(cert_make_leaf(&sp, k, ca, cak, &x, &e) == -1 &&
	    strstr(e.msg, "after its signer") != NULL);
	/* Outside the CA's name constraints: made, but a verifier says no. */
	sp = spec();
	sp.dns = other;
	sp.ndns = 1;
	sp.nip = 0;
	CHECK(cert_make_leaf(&sp, k, ca, cak, &x, &e) == 0);
	CHECK(verify(x, ca) == X509_V_ERR_PERMITTED_VIOLATION);
	X509_free(x);
	X509_free(ca);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(k);
}

static void
test_signer_check(void)
{
	struct cert_spec sp = spec(), casp = { 0 };
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	EVP_PKEY *cak = testcert_key(), *k = testcert_key();
	X509 *ca = NULL, *leaf = NULL, *x = NULL;
	struct err e;

	CHECK(cert_make_ca("Signer", &casp, cak, &ca, &e) == 0);
	CHECK(cert_make_leaf(&sp, k, NULL, NULL, &leaf, &e) == 0);
	CHECK(cert_signer_check(ca, cak, &e) == 0);
	CHECK(cert_signer_check(ca, NULL, &e) == -1 &&
	    strstr(e.msg, "no private key") != NULL);
	CHECK(cert_signer_check(leaf, k, &e) == -1 &&
	    strstr(e.msg, "is not a CA") != NULL);
	CHECK(cert_make_leaf(&sp, k, leaf, k, &x, &e) == -1 && x == NULL);
	/* CA:TRUE, but a key usage without keyCertSign. */
	x = testcert_make("nosign", cak, NULL, NULL, 5);
	X509_add1_ext_i2d(x, NID_basic_constraints, &(BASIC_CONSTRAINTS){
	    .ca = 0xff }, 1, X509V3_ADD_DEFAULT);
	ASN1_BIT_STRING_set_bit(ku, 0, 1);	/* digitalSignature */
	X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT);
	X509_sign(x, cak, EVP_sha256());
	CHECK(cert_signer_check(x, cak, &e) == -1 &&
	    strstr(e.msg, "lacks keyCertSign") != NULL);
	ASN1_BIT_STRING_free(ku);
	X509_free(x);
	X509_free(ca);
	X509_free(leaf);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(k);
}

static void
test_request(void)
{
	struct cert_spec sp = spec();
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *gens;
	X509_REQ *req = NULL;
	EVP_PKEY *k = testcert_key();
	char buf[256];
	struct err e;

	sp.subject = "/O=Example/CN=req.example.test";
	CHECK(cert_make_request(&sp, k, &req, &e) == 0 && req != NULL);
	if (req == NULL)
		return;
	CHECK(X509_REQ_verify(req, k) == 1);
	cert_name_string(X509_REQ_get_subject_name(req), buf, sizeof(buf));
	CHECK_STR(buf, "CN=req.example.test, O=Example");
	exts = X509_REQ_get_extensions(req);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	CHECK(sk_X509_EXTENSION_num(exts) == 1 &&
	    sk_GENERAL_NAME_num(gens) == 4);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	sp.subject = "O";
	CHECK(cert_make_request(&sp, k, &req, &e) == -1 && req == NULL);
	EVP_PKEY_free(k);
}

static void
test_pending(void)
{
	struct cert_spec sp = spec();
	EVP_PKEY *k = testcert_key(), *other = testcert_key(), *priv = NULL;
	X509_REQ *req = NULL;
	struct store *s;
	int64_t id;
	struct err e;

	CHECK(cert_make_request(&sp, k, &req, &e) == 0);
	CHECK(store_open(&s, STORE_MACHINE, STORE_WRITE, &e) == 0);
	CHECK(store_begin(s, &e) == 0);
	CHECK(cert_request_put(s, req, k, &e) == 0);
	CHECK(store_commit(s, &e) == 0);
	CHECK(cert_request_find(s, other, &id, &priv, &e) == 0 && id == 0 &&
	    priv == NULL);
	CHECK(cert_request_find(s, k, &id, &priv, &e) == 0 && id != 0 &&
	    priv != NULL && EVP_PKEY_eq(priv, k) == 1);
	EVP_PKEY_free(priv);
	CHECK(store_begin(s, &e) == 0);
	CHECK(cert_request_delete(s, id, &e) == 0);
	CHECK(store_commit(s, &e) == 0);
	CHECK(cert_request_find(s, k, &id, NULL, &e) == 0 && id == 0);
	store_close(s);
	X509_REQ_free(req);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static void
test_issued_parse(void)
{
	static const char bad_pem[] = "-----BEGIN CERTIFICATE-----\nxx\n"
	    "-----END CERTIFICATE-----\n";
	EVP_PKEY *k = testcert_key();
	X509 *a = testcert_make("a.test", k, NULL, NULL, 1);
	X509 *b = testcert_make("b.test", k, NULL, NULL, 2);
	STACK_OF(X509) *sk = NULL;
	unsigned char *der = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	struct err e;
	char *pem;
	long len;
	int dlen;

	PEM_write_bio_X509(bio, a);
	BIO_puts(bio, "-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n");
	PEM_write_bio_X509(bio, b);
	len = BIO_get_mem_data(bio, &pem);
	CHECK(cert_issued_parse((unsigned char *)pem, (size_t)len, &sk, &e)
	    == 0 && sk_X509_num(sk) == 2 &&
	    X509_cmp(sk_X509_value(sk, 1), b) == 0);
	sk_X509_pop_free(sk, X509_free);
	dlen = i2d_X509(a, &der);
	CHECK(cert_issued_parse(der, (size_t)dlen, &sk, &e) == 0 &&
	    sk_X509_num(sk) == 1 && X509_cmp(sk_X509_value(sk, 0), a) == 0);
	sk_X509_pop_free(sk, X509_free);
	/* Truncated DER, trailing bytes, garbage: nothing. */
	CHECK(cert_issued_parse(der, (size_t)dlen - 1, &sk, &e) == -1 &&
	    sk == NULL && strstr(e.msg, "no certificate") != NULL);
	CHECK(cert_issued_parse((const unsigned char *)"hello\n", 6, &sk, &e)
	    == -1);
	CHECK(cert_issued_parse((const unsigned char *)bad_pem,
	    strlen(bad_pem), &sk, &e) == -1);
	OPENSSL_free(der);
	BIO_free(bio);
	X509_free(a);
	X509_free(b);
	EVP_PKEY_free(k);
}

int
main(void)
{
	const char *home = testcert_home();

	RUN(test_key_types);
	RUN(test_dn);
	RUN(test_dates);
	RUN(test_dns_names);
	RUN(test_ips);
	RUN(test_spec_check);
	RUN(test_selfsigned_leaf);
	RUN(test_leaf_variants);
	RUN(test_ca);
	RUN(test_signed_leaf);
	RUN(test_signer_check);
	RUN(test_request);
	RUN(test_pending);
	RUN(test_issued_parse);
	testcert_home_remove(home);
	return unit_done();
}
