/*
 * verify — whether a certificate can serve HTTPS, problem by problem.
 * See cert.h.
 *
 * Each check reports what it found through the caller's callback, so that
 * one run lists every problem instead of stopping at the first: an admin
 * fixing a binding wants the whole list. The checks are those a TLS client
 * makes (chain, dates, name, usages, key) plus what a server needs of its
 * own side (the private key is there and belongs to the certificate).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert/cert.h"
#include "common/err.h"

#define DAY	86400

struct run {
	const struct cert_verify *v;
	int	problems;
};

static void
report(struct run *r, int warning, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
report(struct run *r, int warning, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!warning)
		r->problems++;
	if (r->v->report != NULL)
		r->v->report(r->v->arg, warning, msg);
}

static void
check_dates(struct run *r, time_t now)
{
	X509 *x = r->v->cert;
	int64_t nb, na;
	char when[64];

	if (cert_time(X509_get0_notBefore(x), &nb) == -1 ||
	    cert_time(X509_get0_notAfter(x), &na) == -1) {
		report(r, 0, "the validity dates cannot be read");
		return;
	}
	if (now < nb) {
		cert_time_string(nb, when, sizeof(when));
		report(r, 0, "not valid yet: valid from %s", when);
	} else if (now > na) {
		cert_time_string(na, when, sizeof(when));
		report(r, 0, "expired on %s", when);
	} else if (na - now < (int64_t)CERT_VERIFY_EXPIRY_WARN_DAYS * DAY) {
		cert_time_string(na, when, sizeof(when));
		report(r, 1, "expires in %lld days, on %s",
		    (long long)((na - now + DAY - 1) / DAY), when);
	}
}

/* A SHA-1 or MD5 signature on a certificate the client must check. Roots
 * are exempt: their signature is never verified. */
static void
check_signatures(struct run *r, STACK_OF(X509) *chain)
{
	int i, n = sk_X509_num(chain), md;
	X509 *x;
	char subject[256];

	for (i = 0; i < n; i++) {
		x = sk_X509_value(chain, i);
		if (i > 0 && X509_self_signed(x, 1) == 1)
			continue;
		if (!X509_get_signature_info(x, &md, NULL, NULL, NULL))
			continue;
		if (md != NID_sha1 && md != NID_md5 && md != NID_md5_sha1)
			continue;
		cert_name_string(X509_get_subject_name(x), subject,
		    sizeof(subject));
		report(r, 0, "%s is signed with %s, which clients reject%s%s",
		    i == 0 ? "the certificate" : "an intermediate",
		    OBJ_nid2sn(md), i == 0 ? "" : ": ", i == 0 ? "" : subject);
	}
}

/* The chain to a trusted root; the certificate's own dates are
 * check_dates' to report. */
static int
check_chain(struct run *r, time_t now, struct err *e)
{
	const struct cert_verify *v = r->v;
	struct cert_chain_in in = {
		.leaf = v->cert, .untrusted = v->untrusted,
		.anchors = v->anchors, .system_trust = v->system_trust,
		.now = now, .flags = CERT_CHAIN_LEAF_DATES
	};
	struct cert_chain ch;

	if (cert_chain_build(&in, &ch, e) == -1)
		return -1;
	if (ch.error != X509_V_OK)
		report(r, 0, "no chain to a trusted root: %s (at %s)%s",
		    X509_verify_cert_error_string(ch.error),
		    ch.error_subject[0] ? ch.error_subject : "the certificate",
		    X509_self_signed(v->cert, 1) == 1 ?
		    "; 'hsys cert trust' makes a self-signed certificate "
		    "trusted" : "");
	check_signatures(r, ch.certs);
	cert_chain_free(&ch);
	return 0;
}

static void
check_name(struct run *r)
{
	const char *name = r->v->dns_name;
	unsigned char addr[16];
	X509 *x = r->v->cert;

	if (name == NULL) {
		if (X509_get_ext_by_NID(x, NID_subject_alt_name, -1) < 0)
			report(r, 1, "no subjectAltName: browsers ignore the "
			    "subject's CN");
		return;
	}
	if (inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1) {
		if (X509_check_ip_asc(x, name, 0) != 1)
			report(r, 0, "the IP address %s is not in the "
			    "certificate's subjectAltName", name);
		return;
	}
	if (X509_check_host(x, name, 0,
	    X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL) == 1)
		return;
	report(r, 0, "the name %s is not in the certificate's "
	    "subjectAltName%s", name, X509_check_host(x, name, 0, 0, NULL)
	    == 1 ? " (only in the subject's CN, which browsers ignore)" : "");
}

static void
check_usages(struct run *r)
{
	X509 *x = r->v->cert;
	uint32_t ku = X509_get_key_usage(x);
	uint32_t xku = X509_get_extended_key_usage(x);

	/* UINT32_MAX: the extension is absent, which allows every use. */
	if (xku != UINT32_MAX && !(xku & (XKU_SSL_SERVER | XKU_ANYEKU)))
		report(r, 0, "the extended key usage does not include "
		    "serverAuth (TLS Web Server Authentication)");
	if (ku != UINT32_MAX && !(ku & KU_DIGITAL_SIGNATURE))
		report(r, 0, "the key usage does not allow digitalSignature, "
		    "which TLS 1.3 and ECDHE key exchange need");
}

static void
check_key(struct run *r)
{
	const struct cert_verify *v = r->v;
	EVP_PKEY *pub = X509_get0_pubkey(v->cert);
	char desc[64];
	int bits;

	if (pub == NULL) {
		report(r, 0, "the public key cannot be read");
		return;
	}
	cert_key_description(pub, desc, sizeof(desc));
	bits = EVP_PKEY_get_bits(pub);
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		if (bits < 2048)
			report(r, 0, "the key (%s) is weak: RSA needs at "
			    "least 2048 bits", desc);
		break;
	case EVP_PKEY_EC:
		if (bits < 256)
			report(r, 0, "the key (%s) is weak: EC needs at "
			    "least 256 bits", desc);
		break;
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		break;
	default:
		report(r, 0, "the key type (%s) is not one TLS clients "
		    "accept", desc);
	}
	if (v->key_hidden)
		report(r, 1, "the private key was not checked: the store's "
		    "keys are readable by root only");
	else if (v->key == NULL)
		report(r, 0, "the store has no private key for it");
	else if (X509_check_private_key(v->cert, v->key) != 1)
		report(r, 0, "the private key in the store does not match it");
	ERR_clear_error();
}

int
cert_verify_https(const struct cert_verify *v, int *problems, struct err *e)
{
	struct run r;
	time_t now = v->now ? v->now : time(NULL);

	memset(&r, 0, sizeof(r));
	r.v = v;
	*problems = 0;
	if (check_chain(&r, now, e) == -1)
		return -1;
	check_dates(&r, now);
	check_name(&r);
	check_usages(&r);
	check_key(&r);
	ERR_clear_error();
	*problems = r.problems;
	return 0;
}
