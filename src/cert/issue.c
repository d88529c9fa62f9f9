/*
 * issue — building new certificates and requests: TLS server (leaf)
 * certificates, self-signed or issued by a CA from the store; CA
 * certificates, optionally name-constrained; and CSRs. Nothing here touches
 * the store: the callers decide what to keep. See cert.h.
 *
 * The profile follows what browsers and RFC 5280 expect of a server
 * certificate: v3, a random positive 128-bit serial, SAN for every name
 * (the CN is only a label), critical basicConstraints and keyUsage,
 * extendedKeyUsage serverAuth, SKI, and AKI when a CA signs.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"

#define CN_MAX		64	/* ub-common-name */
#define SERIAL_BYTES	16

/* SHA-256, or a hash as strong as the curve of a larger EC key; none for
 * EdDSA, which hashes internally. */
static const EVP_MD *
sign_digest(EVP_PKEY *k)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_bits(k) > 384)
			return EVP_sha512();
		if (EVP_PKEY_get_bits(k) > 256)
			return EVP_sha384();
		break;
	}
	return EVP_sha256();
}

static int
set_serial(X509 *x, struct err *e)
{
	unsigned char b[SERIAL_BYTES];
	ASN1_INTEGER *ai;
	BIGNUM *bn;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return err_ssl(e, "cannot draw a random serial number");
	/* Positive (top bit clear) and a full 16 bytes (top byte not 0). */
	b[0] &= 0x7f;
	if (b[0] == 0)
		b[0] = 0x01;
	if ((bn = BN_bin2bn(b, sizeof(b), NULL)) == NULL)
		return err_ssl(e, "cannot set the serial number");
	ai = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	if (ai == NULL)
		return err_ssl(e, "cannot set the serial number");
	return 0;
}

/* notBefore a little in the past so clients with a slow clock accept the
 * certificate at once; notAfter from the spec, never past the signer's. */
static int
set_validity(X509 *x, const struct cert_spec *sp, int defdays, X509 *signer,
    struct err *e)
{
	int64_t now = (int64_t)time(NULL), nb, na, snb, sna;
	char when[64], until[64];

	nb = now - CERT_SKEW_SECONDS;
	na = sp->not_after ? sp->not_after :
	    now + 86400 * (int64_t)(sp->days ? sp->days : defdays);
	if (signer != NULL) {
		if (cert_time(X509_get0_notBefore(signer), &snb) == -1 ||
		    cert_time(X509_get0_notAfter(signer), &sna) == -1)
			return err_set(e, "the signer's validity dates cannot "
			    "be read");
		if (na > sna && (sp->days != 0 || sp->not_after != 0)) {
			cert_time_string(na, when, sizeof(when));
			cert_time_string(sna, until, sizeof(until));
			return err_set(e, "the certificate would end on %s, "
			    "after its signer (%s); give an earlier "
			    "--not-after or fewer --days", when, until);
		}
		/* The default validity shrinks to fit the signer's. */
		if (na > sna)
			na = sna;
		if (nb < snb)
			nb = snb;
	}
	if (ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) == NULL)
		return err_ssl(e, "cannot set the validity dates");
	return 0;
}

/* One extension in OpenSSL's configuration syntax, e.g. "critical,CA:TRUE";
 * issuer supplies the AKI. */
static int
add_ext(X509 *x, X509 *issuer, int nid, const char *value, struct err *e)
{
	X509_EXTENSION *ext;
	X509V3_CTX ctx;
	int ok;

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value)) == NULL)
		return err_ssl(e, "cannot make the %s extension",
		    OBJ_nid2sn(nid));
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (!ok)
		return err_ssl(e, "cannot add the %s extension",
		    OBJ_nid2sn(nid));
	return 0;
}

static GENERAL_NAME *
general_name(int type, const unsigned char *data, int len)
{
	GENERAL_NAME *gn;
	ASN1_STRING *s;

	s = type == GEN_DNS ? ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new();
	if (s == NULL || !ASN1_STRING_set(s, data, len) ||
	    (gn = GENERAL_NAME_new()) == NULL) {
		ASN1_STRING_free(s);
		return NULL;
	}
	GENERAL_NAME_set0_value(gn, type, s);
	return gn;
}

/* The subjectAltName: every DNS name, then every IP address. */
static GENERAL_NAMES *
san_build(const struct cert_spec *sp, struct err *e)
{
	GENERAL_NAMES *gens;
	GENERAL_NAME *gn;
	unsigned char ip[16];
	size_t i;
	int len;

	if ((gens = GENERAL_NAMES_new()) == NULL)
		goto oom;
	for (i = 0; i < sp->ndns + sp->nip; i++) {
		if (i < sp->ndns)
			gn = general_name(GEN_DNS,
			    (const unsigned char *)sp->dns[i], -1);
		else if (cert_ip_parse(sp->ip[i - sp->ndns], ip, &len, e)
		    == -1)
			goto fail;
		else
			gn = general_name(GEN_IPADD, ip, len);
		if (gn == NULL || !sk_GENERAL_NAME_push(gens, gn)) {
			GENERAL_NAME_free(gn);
			goto oom;
		}
	}
	return gens;
oom:
	err_ssl(e, "cannot build the subject alternative names");
fail:
	GENERAL_NAMES_free(gens);
	return NULL;
}

/* --subject, else CN= the first name: SAN carries the names, the CN is
 * what lists and old clients show. */
static int
subject_build(const struct cert_spec *sp, X509_NAME **out, struct err *e)
{
	const char *cn = sp->ndns ? sp->dns[0] : sp->ip[0];

	if (sp->subject != NULL)
		return cert_dn_parse(sp->subject, out, e);
	if (strlen(cn) > CN_MAX)
		return err_set(e, "'%s' is longer than the %d characters a CN "
		    "may have; give a shorter --subject", cn, CN_MAX);
	if ((*out = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_NID(*out, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0)) {
		X509_NAME_free(*out);
		*out = NULL;
		return err_ssl(e, "cannot build the subject");
	}
	return 0;
}

static int
names_required(const struct cert_spec *sp, struct err *e)
{
	if (sp->ndns == 0 && sp->nip == 0)
		return err_set(e, "a certificate needs at least one --dns-name "
		    "or --ip");
	return cert_spec_check(sp, e);
}

/* A new v3 certificate with its serial, subject and public key. */
static X509 *
cert_begin(X509_NAME *subject, EVP_PKEY *key, struct err *e)
{
	X509 *x;

	if ((x = X509_new()) == NULL || !X509_set_version(x, 2) ||
	    !X509_set_subject_name(x, subject) || !X509_set_pubkey(x, key)) {
		err_ssl(e, "cannot build the certificate");
		X509_free(x);
		return NULL;
	}
	if (set_serial(x, e) == -1) {
		X509_free(x);
		return NULL;
	}
	return x;
}

static int
leaf_extensions(X509 *x, X509 *signer, EVP_PKEY *key,
    const struct cert_spec *sp, struct err *e)
{
	const char *ku = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA ?
	    "critical,digitalSignature,keyEncipherment" :
	    "critical,digitalSignature";
	GENERAL_NAMES *gens;
	int ok;

	if ((gens = san_build(sp, e)) == NULL)
		return -1;
	ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_DEFAULT);
	GENERAL_NAMES_free(gens);
	if (ok != 1)
		return err_ssl(e, "cannot add the subject alternative names");
	if (add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE", e)
	    == -1 ||
	    add_ext(x, signer, NID_key_usage, ku, e) == -1 ||
	    add_ext(x, signer, NID_ext_key_usage, "serverAuth", e) == -1 ||
	    add_ext(x, signer, NID_subject_key_identifier, "hash", e) == -1)
		return -1;
	if (signer != NULL && add_ext(x, signer, NID_authority_key_identifier,
	    "keyid,issuer", e) == -1)
		return -1;
	return 0;
}

int
cert_make_leaf(const struct cert_spec *sp, EVP_PKEY *key, X509 *signer,
    EVP_PKEY *signer_key, X509 **out, struct err *e)
{
	X509_NAME *subject = NULL;
	EVP_PKEY *sign_key = signer ? signer_key : key;
	X509 *x = NULL;

	*out = NULL;
	if (names_required(sp, e) == -1 || subject_build(sp, &subject, e)
	    == -1)
		return -1;
	if (signer != NULL && cert_signer_check(signer, signer_key, e) == -1)
		goto fail;
	if ((x = cert_begin(subject, key, e)) == NULL)
		goto fail;
	if (!X509_set_issuer_name(x, signer ? X509_get_subject_name(signer) :
	    subject)) {
		err_ssl(e, "cannot set the issuer");
		goto fail;
	}
	if (set_validity(x, sp, CERT_DAYS_LEAF, signer, e) == -1 ||
	    leaf_extensions(x, signer, key, sp, e) == -1)
		goto fail;
	if (X509_sign(x, sign_key, sign_digest(sign_key)) <= 0) {
		err_ssl(e, "cannot sign the certificate");
		goto fail;
	}
	X509_NAME_free(subject);
	*out = x;
	return 0;
fail:
	X509_NAME_free(subject);
	X509_free(x);
	return -1;
}

/* Critical nameConstraints permitting each DNS suffix and its subdomains
 * (RFC 5280 4.2.1.10: "example.test" matches it and any name under it). */
static int
name_constraints_add(X509 *x, const struct cert_spec *sp, struct err *e)
{
	NAME_CONSTRAINTS *nc;
	GENERAL_SUBTREE *st;
	const char *p;
	size_t i;
	int ok;

	if (sp->npermit == 0)
		return 0;
	if ((nc = NAME_CONSTRAINTS_new()) == NULL ||
	    (nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null()) == NULL)
		goto oom;
	for (i = 0; i < sp->npermit; i++) {
		p = sp->permit_dns[i];
		p += p[0] == '.';
		if ((st = GENERAL_SUBTREE_new()) == NULL)
			goto oom;
		GENERAL_NAME_free(st->base);
		st->base = general_name(GEN_DNS, (const unsigned char *)p, -1);
		if (st->base == NULL ||
		    !sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, st)) {
			GENERAL_SUBTREE_free(st);
			goto oom;
		}
	}
	ok = X509_add1_ext_i2d(x, NID_name_constraints, nc, 1,
	    X509V3_ADD_DEFAULT);
	NAME_CONSTRAINTS_free(nc);
	if (ok != 1)
		return err_ssl(e, "cannot add the name constraints");
	return 0;
oom:
	NAME_CONSTRAINTS_free(nc);
	return err_ssl(e, "cannot build the name constraints");
}

static X509_NAME *
ca_subject(const char *name, struct err *e)
{
	X509_NAME *n;

	if (name[0] == '\0' || strlen(name) > CN_MAX) {
		err_set(e, "a CA name must have 1 to %d characters", CN_MAX);
		return NULL;
	}
	if ((n = X509_NAME_new()) == NULL ||
	    !X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)name, -1, -1, 0)) {
		err_ssl(e, "the CA name '%s' cannot be a CN", name);
		X509_NAME_free(n);
		return NULL;
	}
	return n;
}

int
cert_make_ca(const char *name, const struct cert_spec *sp, EVP_PKEY *key,
    X509 **out, struct err *e)
{
	X509_NAME *subject = NULL;
	X509 *x = NULL;

	*out = NULL;
	if (cert_spec_check(sp, e) == -1)
		return -1;
	if ((subject = ca_subject(name, e)) == NULL ||
	    (x = cert_begin(subject, key, e)) == NULL)
		goto fail;
	if (!X509_set_issuer_name(x, subject)) {
		err_ssl(e, "cannot set the issuer");
		goto fail;
	}
	if (set_validity(x, sp, CERT_DAYS_CA, NULL, e) == -1 ||
	    add_ext(x, NULL, NID_basic_constraints, "critical,CA:TRUE", e)
	    == -1 ||
	    add_ext(x, NULL, NID_key_usage, "critical,keyCertSign,cRLSign,"
	    "digitalSignature", e) == -1 ||
	    add_ext(x, NULL, NID_subject_key_identifier, "hash", e) == -1 ||
	    name_constraints_add(x, sp, e) == -1)
		goto fail;
	if (X509_sign(x, key, sign_digest(key)) <= 0) {
		err_ssl(e, "cannot sign the CA certificate");
		goto fail;
	}
	X509_NAME_free(subject);
	*out = x;
	return 0;
fail:
	X509_NAME_free(subject);
	X509_free(x);
	return -1;
}

/* The SAN as an extension request: a CA copies it into the certificate. */
static int
request_extensions(X509_REQ *req, const struct cert_spec *sp, struct err *e)
{
	STACK_OF(X509_EXTENSION) *exts = NULL;
	X509_EXTENSION *ext = NULL;
	GENERAL_NAMES *gens;
	int ok = 0;

	if ((gens = san_build(sp, e)) == NULL)
		return -1;
	ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
	GENERAL_NAMES_free(gens);
	if (ext != NULL && (exts = sk_X509_EXTENSION_new_null()) != NULL &&
	    sk_X509_EXTENSION_push(exts, ext)) {
		ext = NULL;
		ok = X509_REQ_add_extensions(req, exts);
	}
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	if (!ok)
		return err_ssl(e, "cannot add the names to the request");
	return 0;
}

int
cert_make_request(const struct cert_spec *sp, EVP_PKEY *key, X509_REQ **out,
    struct err *e)
{
	X509_NAME *subject = NULL;
	X509_REQ *req = NULL;

	*out = NULL;
	if (names_required(sp, e) == -1 || subject_build(sp, &subject, e)
	    == -1)
		return -1;
	if ((req = X509_REQ_new()) == NULL || !X509_REQ_set_version(req, 0) ||
	    !X509_REQ_set_subject_name(req, subject) ||
	    !X509_REQ_set_pubkey(req, key)) {
		err_ssl(e, "cannot build the request");
		goto fail;
	}
	if (request_extensions(req, sp, e) == -1)
		goto fail;
	if (X509_REQ_sign(req, key, sign_digest(key)) <= 0) {
		err_ssl(e, "cannot sign the request");
		goto fail;
	}
	X509_NAME_free(subject);
	*out = req;
	return 0;
fail:
	X509_NAME_free(subject);
	X509_REQ_free(req);
	return -1;
}

int
cert_signer_check(X509 *x, EVP_PKEY *key, struct err *e)
{
	char name[512], when[64];
	int64_t now = (int64_t)time(NULL), nb, na;

	cert_name_string(X509_get_subject_name(x), name, sizeof(name));
	/* Only basicConstraints CA:TRUE makes a CA (RFC 5280 4.2.1.9);
	 * X509_check_ca also admits v1 roots and Netscape types. */
	if (!(X509_get_extension_flags(x) & EXFLAG_CA))
		return err_set(e, "the signer %s is not a CA (no basic "
		    "constraints CA:TRUE); make one with 'hsys cert new-ca'",
		    name);
	if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(x) & KU_KEY_CERT_SIGN))
		return err_set(e, "the signer %s may not sign certificates "
		    "(its key usage lacks keyCertSign)", name);
	if (key == NULL)
		return err_set(e, "the signer %s has no private key in the "
		    "store; a CA signs with its key, so import it with the "
		    "key (e.g. from a .pfx)", name);
	if (cert_time(X509_get0_notBefore(x), &nb) == -1 ||
	    cert_time(X509_get0_notAfter(x), &na) == -1)
		return err_set(e, "the signer %s has unreadable validity "
		    "dates", name);
	if (na <= now || nb > now) {
		cert_time_string(na <= now ? na : nb, when, sizeof(when));
		return err_set(e, "the signer %s is not valid now (it %s %s)",
		    name, na <= now ? "expired on" : "starts on", when);
	}
	return 0;
}
