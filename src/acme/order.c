/*
 * order — one ACME order from start to finish (RFC 8555 7.4): new-order for
 * the names, each authorization's challenge made ready (HTTP-01 and
 * TLS-ALPN-01 through the caller's publisher, i.e. hsysd; DNS-01 through
 * the admin's hook), all of them before the server is told to check, the
 * authorizations polled until valid, finalize with a CSR for the key hsys
 * generated, the order polled until valid, and the certificate chain
 * downloaded. Polls wait as long as Retry-After says (within bounds), and
 * the whole order has a deadline. Whatever was published for a challenge
 * is withdrawn at the end, whether the order succeeded or not.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "acme/acme.h"
#include "cert/cert.h"
#include "common/err.h"

#define POLL_MIN	1
#define POLL_MAX	10
#define RECORDS_MAX	64

struct record {
	char	*name;
	char	*value;
};

struct run {
	struct acme_client		*c;
	const struct acme_order_req	*rq;
	char				*thumb;
	struct record			 records[RECORDS_MAX];
	int				 nrecords;
	struct acme_pending		 pend[RECORDS_MAX];	/* to publish */
	size_t				 npend;
	int				 published;
	char				*urls[RECORDS_MAX];	/* to start */
	char				*names[RECORDS_MAX];
	size_t				 nurls;
	time_t				 deadline;
};

static void
say(const struct run *u, const char *fmt, const char *a, const char *b)
{
	char line[1024];

	if (u->rq->say == NULL)
		return;
	snprintf(line, sizeof(line), fmt, a, b);
	u->rq->say(u->rq->arg, line);
}

/* Waits before the next poll; fails past the deadline. */
static int
poll_wait(const struct run *u, long retry_after, const char *what,
    struct err *e)
{
	long secs = retry_after < POLL_MIN ? POLL_MIN : retry_after > POLL_MAX
	    ? POLL_MAX : retry_after;

	if (time(NULL) + secs > u->deadline)
		return err_set(e, "gave up waiting for %s after %d seconds "
		    "(see --timeout)", what, u->rq->timeout);
	sleep((unsigned)secs);
	return 0;
}

/* POST-as-GET url into a JSON object; *retry_after from its header. */
static int
fetch(struct run *u, const char *url, const char *what, json_t **out,
    long *retry_after, struct err *e)
{
	struct acme_response r;
	void *j;
	int rc;

	if (acme_post(u->c, url, NULL, NULL, &r, e) == -1)
		return err_prefix(e, "cannot read %s", what);
	if (retry_after != NULL)
		*retry_after = r.retry_after;
	rc = acme_json(&r, what, &j, e);
	acme_response_free(&r);
	*out = rc == 0 ? j : NULL;
	return rc;
}

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* The newOrder payload: the names, and what it replaces (RFC 9773 5). */
static char *
order_body(struct run *u, const char *replaces)
{
	json_t *ids, *p;
	char *body;
	size_t i;

	ids = json_array();
	for (i = 0; i < u->rq->nnames; i++)
		json_array_append_new(ids, json_pack("{s:s, s:s}", "type",
		    "dns", "value", u->rq->names[i]));
	p = json_pack("{s:o}", "identifiers", ids);
	if (p != NULL && replaces != NULL)
		json_object_set_new(p, "replaces", json_string(replaces));
	body = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	return body;
}

static int
new_order(struct run *u, char *order_url, size_t size, json_t **order,
    struct err *e)
{
	const char *replaces = u->rq->replaces;
	struct acme_response r;
	char *body;
	void *j;
	int rc;

again:
	if ((body = order_body(u, replaces)) == NULL)
		return err_set(e, "out of memory");
	rc = acme_post(u->c, acme_dir_url(u->c, "newOrder"), body, NULL, &r,
	    e);
	free(body);
	/* 409 alreadyReplaced: another order replaces it already; this one
	 * is a plain order (RFC 9773 5). */
	if (rc == -1 && replaces != NULL && e->code == 409) {
		say(u, "the server refused 'replaces' (%.300s); ordering "
		    "without it", e->msg, NULL);
		replaces = NULL;
		goto again;
	}
	if (rc == -1)
		return err_prefix(e, "cannot place the order");
	snprintf(order_url, size, "%s", r.location);
	rc = acme_json(&r, "the new order", &j, e);
	acme_response_free(&r);
	if (rc == -1)
		return -1;
	*order = j;
	if (*order_url == '\0')
		return err_set(e, "the ACME server gave no order URL");
	return 0;
}

static json_t *
find_challenge(json_t *authz, const char *type)
{
	json_t *ch;
	size_t i;

	json_array_foreach(json_object_get(authz, "challenges"), i, ch)
		if (strcmp(jstr(ch, "type"), type) == 0)
			return ch;
	return NULL;
}

static int
publish_dns(struct run *u, const char *ident, const char *keyauth,
    struct err *e)
{
	unsigned char md[32];
	unsigned int mdlen;
	struct record *rec;
	char *name = NULL, *value;

	if (u->nrecords == RECORDS_MAX)
		return err_set(e, "too many names in one order");
	if (EVP_Digest(keyauth, strlen(keyauth), md, &mdlen, EVP_sha256(),
	    NULL) != 1 || (value = acme_b64url(md, mdlen)) == NULL)
		return err_ssl(e, "cannot compute the DNS-01 value");
	if (asprintf(&name, "_acme-challenge.%s", ident) < 0) {
		free(value);
		return err_set(e, "out of memory");
	}
	if (acme_dns_hook(u->rq->dns_hook, "add", name, value, e) == -1) {
		free(name);
		free(value);
		return -1;
	}
	rec = &u->records[u->nrecords++];
	rec->name = name;
	rec->value = value;
	return 0;
}

/* An HTTP-01 or TLS-ALPN-01 challenge, for the publisher. */
static int
pend(struct run *u, const char *name, const char *token,
    const char *keyauth, struct err *e)
{
	struct acme_pending *p;
	int http = strcmp(u->rq->challenge, ACME_CHALLENGE_HTTP01) == 0;

	if (u->npend == RECORDS_MAX)
		return err_set(e, "too many names in one order");
	p = &u->pend[u->npend];
	memset(p, 0, sizeof(*p));
	snprintf(p->type, sizeof(p->type), "%s", u->rq->challenge);
	snprintf(p->name, sizeof(p->name), "%.255s", name);
	if (strlen(token) >= sizeof(p->token) ||
	    strlen(keyauth) >= sizeof(p->keyauth))
		return err_set(e, "the ACME server sent a token too long for "
		    "%s", name);
	snprintf(p->token, sizeof(p->token), "%s", token);
	snprintf(p->keyauth, sizeof(p->keyauth), "%s", keyauth);
	p->port = http ? u->rq->http_port : u->rq->tls_port;
	u->npend++;
	return 0;
}

static int
ready_challenge(struct run *u, const char *name, json_t *ch,
    struct err *e)
{
	const char *token = jstr(ch, "token");
	char *keyauth;
	int rc;

	if (*token == '\0' || strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(token))
		return err_set(e, "the ACME server sent a malformed token for "
		    "%s", name);
	if (asprintf(&keyauth, "%s.%s", token, u->thumb) < 0)
		return err_set(e, "out of memory");
	if (strcmp(u->rq->challenge, ACME_CHALLENGE_DNS01) != 0)
		rc = pend(u, name, token, keyauth, e);
	else
		rc = publish_dns(u, name[0] == '*' ? name + 2 : name, keyauth,
		    e);
	free(keyauth);
	return rc;
}

/* Makes one authorization's challenge ready; start() tells the server. */
static int
authorize(struct run *u, const char *url, struct err *e)
{
	char name[300];
	json_t *authz, *ch;
	int rc = -1;

	if (fetch(u, url, "an authorization", &authz, NULL, e) == -1)
		return -1;
	snprintf(name, sizeof(name), "%s%s", json_is_true(json_object_get(
	    authz, "wildcard")) ? "*." : "", jstr(json_object_get(authz,
	    "identifier"), "value"));
	if (strcmp(jstr(authz, "status"), "valid") == 0) {
		say(u, "%s: already authorized", name, NULL);
		rc = 0;
		goto done;
	}
	if ((ch = find_challenge(authz, u->rq->challenge)) == NULL) {
		err_set(e, "the ACME server offers no %s challenge for %s%s",
		    u->rq->challenge, name, name[0] == '*' ? " (a wildcard "
		    "needs --challenge dns-01 and --dns-hook)" : "");
		goto done;
	}
	if (u->nurls == RECORDS_MAX) {
		err_set(e, "too many names in one order");
		goto done;
	}
	if (ready_challenge(u, name, ch, e) == -1)
		goto done;
	u->urls[u->nurls] = strdup(jstr(ch, "url"));
	u->names[u->nurls] = strdup(name);
	if (u->urls[u->nurls] == NULL || u->names[u->nurls] == NULL) {
		free(u->urls[u->nurls]);
		free(u->names[u->nurls]);
		err_set(e, "out of memory");
		goto done;
	}
	u->nurls++;
	rc = 0;
done:
	json_decref(authz);
	return rc;
}

/* Every challenge is answerable: the server may check them now. */
static int
start(struct run *u, struct err *e)
{
	struct acme_response r;
	size_t i;

	if (u->npend > 0) {
		if (u->rq->pub->publish(u->rq->pub->arg, u->pend, u->npend, e)
		    == -1)
			return err_prefix(e, "cannot answer the %s challenges",
			    u->rq->challenge);
		u->published = 1;
	}
	for (i = 0; i < u->nurls; i++) {
		if (acme_post(u->c, u->urls[i], "{}", NULL, &r, e) == -1)
			return err_prefix(e, "cannot start the %s challenge "
			    "for %s", u->rq->challenge, u->names[i]);
		acme_response_free(&r);
		say(u, "%s: %s challenge ready", u->names[i],
		    u->rq->challenge);
	}
	return 0;
}

/* Why an authorization is invalid, from its challenges' errors. */
static int
authz_failed(json_t *authz, const char *name, struct err *e)
{
	json_t *ch, *pe;
	size_t i;

	json_array_foreach(json_object_get(authz, "challenges"), i, ch) {
		if ((pe = json_object_get(ch, "error")) == NULL)
			continue;
		return err_set(e, "the ACME server could not validate %s by "
		    "%s: %s (%s)", name, jstr(ch, "type"), jstr(pe, "detail"),
		    jstr(pe, "type"));
	}
	return err_set(e, "the ACME server could not validate %s", name);
}

static int
await_authz(struct run *u, const char *url, struct err *e)
{
	const char *status;
	char name[300];
	json_t *authz;
	long ra;
	int rc;

	for (;;) {
		if (fetch(u, url, "an authorization", &authz, &ra, e) == -1)
			return -1;
		snprintf(name, sizeof(name), "%s%s", json_is_true(
		    json_object_get(authz, "wildcard")) ? "*." : "",
		    jstr(json_object_get(authz, "identifier"), "value"));
		status = jstr(authz, "status");
		if (strcmp(status, "valid") == 0) {
			say(u, "%s: valid", name, NULL);
			json_decref(authz);
			return 0;
		}
		if (strcmp(status, "pending") != 0 &&
		    strcmp(status, "processing") != 0) {
			rc = authz_failed(authz, name, e);
			json_decref(authz);
			return rc;
		}
		json_decref(authz);
		if (poll_wait(u, ra, "the authorizations", e) == -1)
			return -1;
	}
}

static int
finalize(struct run *u, json_t *order, struct err *e)
{
	struct cert_spec spec = { .dns = u->rq->names, .ndns = u->rq->nnames };
	unsigned char *der = NULL;
	struct acme_response r;
	X509_REQ *csr = NULL;
	char *b64 = NULL, *body = NULL;
	int len, rc = -1;

	if (cert_make_request(&spec, u->rq->cert_key, &csr, e) == -1)
		return -1;
	if ((len = i2d_X509_REQ(csr, &der)) <= 0) {
		err_ssl(e, "cannot encode the CSR");
		goto done;
	}
	b64 = acme_b64url(der, (size_t)len);
	if (b64 == NULL || asprintf(&body, "{\"csr\":\"%s\"}", b64) < 0) {
		body = NULL;
		err_set(e, "out of memory");
		goto done;
	}
	if (acme_post(u->c, jstr(order, "finalize"), body, NULL, &r, e)
	    == -1) {
		err_prefix(e, "cannot finalize the order");
		goto done;
	}
	acme_response_free(&r);
	rc = 0;
done:
	X509_REQ_free(csr);
	OPENSSL_free(der);
	free(b64);
	free(body);
	return rc;
}

/* Polls the order until it is valid; *cert_url gets the certificate's. */
static int
await_order(struct run *u, const char *order_url, char **cert_url,
    const char *want, struct err *e)
{
	const char *status;
	json_t *order;
	long ra;

	for (;;) {
		if (fetch(u, order_url, "the order", &order, &ra, e) == -1)
			return -1;
		status = jstr(order, "status");
		if (strcmp(status, want) == 0 || strcmp(status, "valid") == 0) {
			*cert_url = strdup(jstr(order, "certificate"));
			json_decref(order);
			return *cert_url ? 0 : err_set(e, "out of memory");
		}
		if (strcmp(status, "invalid") == 0) {
			err_set(e, "the ACME server marked the order invalid: "
			    "%s", jstr(json_object_get(order, "error"),
			    "detail"));
			json_decref(order);
			return -1;
		}
		json_decref(order);
		if (poll_wait(u, ra, "the order", e) == -1)
			return -1;
	}
}

static int
download(struct run *u, const char *url, STACK_OF(X509) **chain,
    struct err *e)
{
	struct acme_response r;
	int rc;

	if (*url == '\0')
		return err_set(e, "the valid order names no certificate");
	if (acme_post(u->c, url, NULL, "application/pem-certificate-chain",
	    &r, e) == -1)
		return err_prefix(e, "cannot download the certificate");
	rc = cert_issued_parse((unsigned char *)r.body, r.len, chain, e);
	acme_response_free(&r);
	return rc == -1 ? err_prefix(e, "the certificate the ACME server "
	    "sent") : 0;
}

static void
withdraw(struct run *u)
{
	struct err ignored;
	int i;

	for (i = 0; i < u->nrecords; i++) {
		acme_dns_hook(u->rq->dns_hook, "remove", u->records[i].name,
		    u->records[i].value, &ignored);
		free(u->records[i].name);
		free(u->records[i].value);
	}
	u->nrecords = 0;
	if (u->published)
		u->rq->pub->withdraw(u->rq->pub->arg);
	u->published = 0;
}

static int
check_request(const struct acme_order_req *rq, struct err *e)
{
	size_t i;
	int dns = strcmp(rq->challenge, ACME_CHALLENGE_DNS01) == 0;

	if (!dns && strcmp(rq->challenge, ACME_CHALLENGE_HTTP01) != 0 &&
	    strcmp(rq->challenge, ACME_CHALLENGE_TLSALPN01) != 0)
		return err_set(e, "the challenge is http-01, tls-alpn-01 or "
		    "dns-01, not '%s'", rq->challenge);
	if (dns && rq->dns_hook == NULL)
		return err_set(e, "dns-01 needs --dns-hook PATH, the command "
		    "that publishes TXT records");
	if (!dns && rq->pub == NULL)
		return err_set(e, "%s needs a way to answer it", rq->challenge);
	for (i = 0; i < rq->nnames; i++)
		if (!dns && rq->names[i][0] == '*')
			return err_set(e, "the wildcard %s can only be "
			    "validated by dns-01; add --challenge dns-01 "
			    "--dns-hook PATH", rq->names[i]);
	return 0;
}

static int
run_order(struct run *u, STACK_OF(X509) **chain, struct err *e)
{
	char order_url[2048], *cert_url = NULL, *ready = NULL;
	json_t *order = NULL, *az;
	size_t i;
	int rc = -1;

	if (new_order(u, order_url, sizeof(order_url), &order, e) == -1)
		goto done;
	json_array_foreach(json_object_get(order, "authorizations"), i, az)
		if (authorize(u, json_string_value(az), e) == -1)
			goto done;
	if (start(u, e) == -1)
		goto done;
	json_array_foreach(json_object_get(order, "authorizations"), i, az)
		if (await_authz(u, json_string_value(az), e) == -1)
			goto done;
	withdraw(u);
	if (await_order(u, order_url, &ready, "ready", e) == -1 ||
	    finalize(u, order, e) == -1 ||
	    await_order(u, order_url, &cert_url, "valid", e) == -1 ||
	    download(u, cert_url, chain, e) == -1)
		goto done;
	rc = 0;
done:
	json_decref(order);
	free(ready);
	free(cert_url);
	return rc;
}

int
acme_order_run(struct acme_client *c, const struct acme_order_req *rq,
    STACK_OF(X509) **chain, struct err *e)
{
	struct run u = { .c = c, .rq = rq };
	size_t i;
	int rc;

	if (check_request(rq, e) == -1)
		return -1;
	if (acme_jwk_thumbprint(c->key, &u.thumb, e) == -1)
		return -1;
	u.deadline = time(NULL) + rq->timeout;
	rc = run_order(&u, chain, e);
	withdraw(&u);
	for (i = 0; i < u.nurls; i++) {
		free(u.urls[i]);
		free(u.names[i]);
	}
	free(u.thumb);
	return rc;
}
