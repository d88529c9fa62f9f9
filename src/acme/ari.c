/*
 * ari — ACME Renewal Information (RFC 9773): when the server offers a
 * renewalInfo URL in its directory, the certificate's identifier
 * (base64url of its Authority Key Identifier, a dot, base64url of its
 * serial number's DER value) fetched there gives a suggestedWindow; the
 * renewal goes at a random moment in it. Without ARI (pebble 2.4 has
 * none), schedule.c's two thirds of the lifetime stand.
 *
 * The window is asked right after issuance and again by each `renew --due`
 * pass once the row's ari_check has come (the server's Retry-After, else
 * six hours later): a CA that moves the window earlier (a revocation
 * event, RFC 9773 4.2) makes the certificate due. The moment drawn stays
 * while it lies in the window, so that asking often does not draw again
 * and again. The identifier also goes in a renewal's newOrder as
 * `replaces` (order.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "cert/cert.h"
#include "common/err.h"
#include "store/store.h"

int
acme_ari_cert_id(X509 *leaf, char **out, struct err *e)
{
	const ASN1_OCTET_STRING *aki = X509_get0_authority_key_id(leaf);
	const ASN1_INTEGER *serial = X509_get0_serialNumber(leaf);
	unsigned char *der = NULL;
	const unsigned char *p;
	char *a = NULL, *b = NULL;
	long len;
	int n, tag, cls;

	if (aki == NULL)
		return err_set(e, "the certificate has no authority key "
		    "identifier; ARI cannot name it");
	if ((n = i2d_ASN1_INTEGER(serial, &der)) <= 0)
		return err_ssl(e, "cannot encode the serial number");
	/* The INTEGER's value bytes, after its tag and length. */
	p = der;
	if (ASN1_get_object(&p, &len, &tag, &cls, n) & 0x80) {
		OPENSSL_free(der);
		return err_ssl(e, "cannot encode the serial number");
	}
	a = acme_b64url(ASN1_STRING_get0_data(aki),
	    (size_t)ASN1_STRING_length(aki));
	b = acme_b64url(p, (size_t)len);
	OPENSSL_free(der);
	if (a == NULL || b == NULL || asprintf(out, "%s.%s", a, b) < 0) {
		free(a);
		free(b);
		return err_set(e, "out of memory");
	}
	free(a);
	free(b);
	return 0;
}

/* RFC 3339, UTC ("2026-12-06T12:00:00Z", fractions allowed). */
static int
rfc3339(const char *s, int64_t *t)
{
	struct tm tm;
	const char *rest;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) ==
	    NULL)
		return -1;
	*t = (int64_t)timegm(&tm);
	return 0;
}

int
acme_ari_fetch(struct acme_client *c, X509 *leaf, int64_t *start,
    int64_t *end, long *retry_after, struct err *e)
{
	const char *base = acme_dir_url(c, "renewalInfo");
	struct acme_response r;
	json_t *w;
	char *id = NULL, *url = NULL;
	void *j;
	int rc;

	if (base == NULL)
		return 1;
	if (acme_ari_cert_id(leaf, &id, e) == -1)
		return -1;
	rc = asprintf(&url, "%s%s%s", base, base[strlen(base) - 1] == '/' ?
	    "" : "/", id);
	free(id);
	if (rc < 0)
		return err_set(e, "out of memory");
	rc = acme_http(c, url, 0, NULL, NULL, &r, e);
	free(url);
	if (rc == -1)
		return err_prefix(e, "cannot read the renewal information");
	if (r.status != 200) {
		rc = err_set(e, "the renewal information answered %ld",
		    r.status);
		acme_response_free(&r);
		return rc;
	}
	*retry_after = r.retry_after;
	rc = acme_json(&r, "the renewal information", &j, e);
	acme_response_free(&r);
	if (rc == -1)
		return -1;
	w = json_object_get(j, "suggestedWindow");
	if (rfc3339(json_string_value(json_object_get(w, "start")), start)
	    == -1 || rfc3339(json_string_value(json_object_get(w, "end")),
	    end) == -1) {
		json_decref(j);
		return err_set(e, "the renewal information has no "
		    "suggestedWindow");
	}
	json_decref(j);
	return 0;
}

void
acme_ari_apply(struct acme_cert *rec, int64_t start, int64_t end,
    long retry_after, int64_t now, int redraw, uint32_t r)
{
	long ra = retry_after < 0 ? ACME_ARI_RECHECK : retry_after;

	if (ra < ACME_ARI_RECHECK_MIN)
		ra = ACME_ARI_RECHECK_MIN;
	if (ra > ACME_ARI_RECHECK_MAX)
		ra = ACME_ARI_RECHECK_MAX;
	rec->ari_check = now + ra;
	/* A back-off in force stands: the next attempt comes anyway. */
	if (rec->failures > 0 && !redraw)
		return;
	if (redraw || rec->next_renewal < start || rec->next_renewal > end)
		rec->next_renewal = acme_window_at(start, end, r);
}

static int
put(struct store *s, const struct acme_cert *rec, struct err *e)
{
	if (store_begin(s, e) == -1)
		return -1;
	if (acme_cert_put(s, rec, e) == -1 || store_commit(s, e) == -1) {
		store_rollback(s);
		return -1;
	}
	return 0;
}

void
acme_ari_schedule(struct acme_client *c, struct store *s,
    struct acme_cert *rec, STACK_OF(X509) *chain,
    void (*say)(void *, const char *), void *arg)
{
	int64_t start, end;
	struct err e;
	char line[600];
	long ra;
	int rc;

	rc = acme_ari_fetch(c, sk_X509_value(chain, 0), &start, &end, &ra,
	    &e);
	if (rc == 1)
		return;
	if (rc == -1) {
		snprintf(line, sizeof(line), "renewal information: %.500s; "
		    "renewing at two thirds of the lifetime", e.msg);
		if (say != NULL)
			say(arg, line);
		/* Asked again by a later pass. */
		rec->ari_check = (int64_t)time(NULL) + ACME_ARI_RECHECK_ERR;
		put(s, rec, &e);
		return;
	}
	acme_ari_apply(rec, start, end, ra, (int64_t)time(NULL), 1, acme_jitter());
	if (say != NULL)
		say(arg, "renewal information: renewing in the server's "
		    "suggested window");
	put(s, rec, &e);
}

static int
ask(struct store *s, struct acme_cert *rec, int64_t now, struct err *e)
{
	struct acme_account a;
	struct acme_client cl;
	struct cert_entry ce;
	EVP_PKEY *akey = NULL;
	X509 *leaf = NULL;
	int64_t start, end;
	long ra = -1;
	int rc = -1;

	if (acme_record_account(s, rec, NULL, &a, &akey, e) == -1 ||
	    certstore_find(s, rec->store, rec->thumbprint, &ce, e) == -1 ||
	    certstore_load(s, ce.id, &leaf, NULL, e) == -1 ||
	    acme_client_init(&cl, a.server, a.ca_file, 0, e) == -1)
		goto out;
	rc = acme_ari_fetch(&cl, leaf, &start, &end, &ra, e);
	acme_client_free(&cl);
	if (rc == 1)
		rec->ari_check = 0;	/* the server offers ARI no more */
	else if (rc == 0)
		acme_ari_apply(rec, start, end, ra, now, 0, acme_jitter());
out:
	X509_free(leaf);
	EVP_PKEY_free(akey);
	return rc == -1 ? -1 : 0;
}

int
acme_ari_recheck(struct store *s, struct acme_cert *rec, int64_t now,
    struct err *e)
{
	struct err ignored;

	if (ask(s, rec, now, e) == -1) {
		err_prefix(e, "cannot ask for the renewal information of %s",
		    rec->name);
		rec->ari_check = now + ACME_ARI_RECHECK_ERR;
		put(s, rec, &ignored);
		return -1;
	}
	return put(s, rec, e);
}
