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
	/* The first chain error, remembered by the verify callback. */
	int	chain_error;
	int	chain_depth;
	char	chain_subject[256];
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

/* Time errors of the certificate itself are check_dates' to report; the
 * first other error is remembered and ends the verification. */
static int
chain_cb(int ok, X509_STORE_CTX *ctx)
{
	int error = X509_STORE_CTX_get_error(ctx);
	int depth = X509_STORE_CTX_get_error_depth(ctx);
	struct run *r = X509_STORE_CTX_get_app_data(ctx);
	X509 *x;

	if (ok)
		return 1;
	if (depth == 0 && (error == X509_V_ERR_CERT_HAS_EXPIRED ||
	    error == X509_V_ERR_CERT_NOT_YET_VALID))
		return 1;
	if (r->chain_error == X509_V_OK) {
		r->chain_error = error;
		r->chain_depth = depth;
		if ((x = X509_STORE_CTX_get_current_cert(ctx)) != NULL)
			cert_name_string(X509_get_subject_name(x),
			    r->chain_subject, sizeof(r->chain_subject));
	}
	return 0;
}

static int
store_add_all(X509_STORE *st, STACK_OF(X509) *sk)
{
	int i;

	for (i = 0; i < sk_X509_num(sk); i++)
		if (!X509_STORE_add_cert(st, sk_X509_value(sk, i)))
			return -1;
	return 0;
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

static int
check_chain(struct run *r, time_t now, struct err *e)
{
	const struct cert_verify *v = r->v;
	STACK_OF(X509) *chain = NULL, *leaf = NULL;
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *st;
	int rc = -1;

	if ((st = X509_STORE_new()) == NULL)
		return err_ssl(e, "out of memory");
	X509_STORE_set_verify_cb(st, chain_cb);
	if (store_add_all(st, v->anchors) == -1 ||
	    (v->system_trust && !X509_STORE_set_default_paths(st))) {
		err_ssl(e, "cannot load the trusted certificates");
		goto fail;
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    !X509_STORE_CTX_init(ctx, st, v->cert, v->untrusted)) {
		err_ssl(e, "cannot set up the chain verification");
		goto fail;
	}
	X509_STORE_CTX_set_app_data(ctx, r);
	X509_STORE_CTX_set_time(ctx, 0, now);
	r->chain_error = X509_V_OK;
	if (X509_verify_cert(ctx) != 1 && r->chain_error == X509_V_OK)
		r->chain_error = X509_STORE_CTX_get_error(ctx);
	ERR_clear_error();
	if (r->chain_error != X509_V_OK)
		report(r, 0, "no chain to a trusted root: %s (at %s)%s",
		    X509_verify_cert_error_string(r->chain_error),
		    r->chain_subject[0] ? r->chain_subject : "the certificate",
		    X509_self_signed(v->cert, 1) == 1 ?
		    "; 'hsys cert trust' makes a self-signed certificate "
		    "trusted" : "");
	chain = X509_STORE_CTX_get1_chain(ctx);
	if (chain == NULL || sk_X509_num(chain) == 0) {
		/* No chain at all: judge the certificate alone. */
		if ((leaf = sk_X509_new_null()) == NULL ||
		    !sk_X509_push(leaf, v->cert)) {
			err_ssl(e, "out of memory");
			goto fail;
		}
	}
	check_signatures(r, leaf ? leaf : chain);
	rc = 0;
fail:
	sk_X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return rc;
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
