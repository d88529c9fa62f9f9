/*
 * publish — an order's HTTP-01 and TLS-ALPN-01 challenges made answerable
 * through the store: rows in acme_challenge, committed, then CONFIG_CHANGED
 * to hsysd, whose reply comes once it serves that generation (and so
 * answers the tokens, having opened their ports if it must). When no hsysd
 * runs, HTTP-01 tokens are answered by the interim responder in this
 * process instead; TLS-ALPN-01 cannot be (it lives in hsysd's handshake).
 * withdraw removes the rows (and rows past their expiry) and tells hsysd
 * again. A TLS-ALPN-01 row's challenge certificate is made here, and kept
 * with its key in the internal certificate store AcmeChallenge
 * (challcert.c) from publish to withdraw.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acme/acme.h"
#include "cert/cert.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

/* How long a pending row is answered at most: an order's deadline is 300
 * seconds by default; a killed order's rows go after this. */
#define PENDING_TTL	3600

static void
say(struct acme_store_pub *p, const char *line)
{
	if (p->say != NULL)
		p->say(p->arg, line);
}

/* hsysd's reply names a port it cannot open. */
static void
warn_port(const char *line, void *arg)
{
	struct acme_store_pub *p = arg;
	char buf[1200];

	snprintf(buf, sizeof(buf), "warning: hsysd %s", line);
	say(p, buf);
}

/* Challenge certificates made before a bound, up to 64 a walk (1: more). */
struct stale {
	int64_t	 before;
	int64_t	*ids;
	size_t	 n;
};

static int
collect_stale(const struct cert_entry *ce, void *arg)
{
	struct stale *st = arg;

	if (ce->not_before >= st->before)
		return 0;
	st->ids[st->n++] = ce->id;
	return st->n == 64;
}

static int
fallback(struct acme_store_pub *p, const struct acme_pending *c, size_t n,
    struct err *e)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(c[i].type, ACME_CHALLENGE_TLSALPN01) == 0)
			return err_set(e, "tls-alpn-01 is answered by hsysd, "
			    "which is not running; start it, or use http-01");
	say(p, "hsysd is not running: answering http-01 here");
	if (p->responder == NULL && acme_responder_start(&p->responder,
	    c[0].port, e) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (acme_responder_add(p->responder, c[i].token, c[i].keyauth,
		    e) == -1)
			return -1;
	return 0;
}

/* A tls-alpn-01 row's certificate and key, into the internal store
 * (challcert.c), inside the publisher's transaction. */
static int
add_cert(struct acme_store_pub *p, const struct acme_pending *c,
    struct err *e)
{
	enum certstore_outcome how;
	EVP_PKEY *key;
	X509 *x;
	int rc = -1;

	if (acme_challenge_cert(c->name, c->keyauth, &key, &x, e) == -1)
		return -1;
	if (certstore_add(p->store, CERT_STORE_ACME_CHALLENGE, x, key, &how,
	    e) == 0 && cert_thumbprint(x, p->certs[p->ncerts]) == 0) {
		p->ncerts++;
		rc = 0;
	} else if (e->msg[0] == '\0')
		err_set(e, "cannot keep the tls-alpn-01 certificate for %s",
		    c->name);
	EVP_PKEY_free(key);
	X509_free(x);
	return rc;
}

/* The challenge certificates this publisher made, and those a killed
 * order left (made over PENDING_TTL ago: their notBefore is a day before
 * they were made), with their keys. Inside a transaction. */
static int
drop_certs(struct acme_store_pub *p, int64_t now, struct err *e)
{
	struct cert_entry ce;
	int64_t ids[64];
	struct stale st = { .before = now - 86400 - PENDING_TTL, .ids = ids };
	size_t i;
	int rc;

	for (i = 0; i < p->ncerts; i++)
		if (certstore_find(p->store, CERT_STORE_ACME_CHALLENGE,
		    p->certs[i], &ce, e) == 0 && certstore_delete(p->store,
		    ce.id, e) == -1)
			return -1;
	p->ncerts = 0;
	do {
		st.n = 0;
		if ((rc = certstore_list(p->store, CERT_STORE_ACME_CHALLENGE,
		    collect_stale, &st, e)) < 0)
			return -1;
		for (i = 0; i < st.n; i++)
			if (certstore_delete(p->store, ids[i], e) == -1)
				return -1;
	} while (rc > 0);
	return 0;
}

static int
pub_publish(void *arg, const struct acme_pending *c, size_t n,
    struct err *e)
{
	struct acme_store_pub *p = arg;
	struct acme_pending row;
	int64_t gen, now = (int64_t)time(NULL);
	size_t i, nids = p->nids, ncerts = p->ncerts;
	int rc;

	if (n == 0)
		return 0;
	if (p->nids + n > sizeof(p->ids) / sizeof(p->ids[0]))
		return err_set(e, "too many pending challenges in one order");
	if (store_begin(p->store, e) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		row = c[i];
		row.expires = now + PENDING_TTL;
		e->msg[0] = '\0';
		if (acme_pending_add(p->store, &row, &p->ids[p->nids], e)
		    == -1 || (strcmp(row.type, ACME_CHALLENGE_TLSALPN01) == 0 &&
		    add_cert(p, &row, e) == -1)) {
			store_rollback(p->store);
			p->nids = nids;
			p->ncerts = ncerts;
			return -1;
		}
		p->nids++;
	}
	if (store_commit(p->store, e) == -1 ||
	    store_generation(p->store, &gen, e) == -1)
		return -1;
	rc = config_notify_warn(gen, warn_port, p, e);
	if (rc == 1)
		return fallback(p, c, n, e);
	if (rc == -1)
		return err_prefix(e, "cannot tell hsysd of the challenges");
	say(p, "hsysd answers the challenges");
	return 0;
}

static void
pub_withdraw(void *arg)
{
	struct acme_store_pub *p = arg;
	struct err ignored;
	int64_t gen, now = (int64_t)time(NULL);
	size_t i;

	acme_responder_stop(p->responder);
	p->responder = NULL;
	if (p->nids == 0 || store_begin(p->store, &ignored) == -1)
		return;
	for (i = 0; i < p->nids; i++)
		if (acme_pending_remove(p->store, p->ids[i], now, &ignored)
		    == -1) {
			store_rollback(p->store);
			return;
		}
	if (drop_certs(p, now, &ignored) == -1) {
		store_rollback(p->store);
		return;
	}
	p->nids = 0;
	if (store_commit(p->store, &ignored) == 0 &&
	    store_generation(p->store, &gen, &ignored) == 0)
		config_notify(gen, &ignored);
}

void
acme_store_publisher(struct acme_store_pub *p, struct store *s,
    struct acme_publisher *out)
{
	void (*sayfn)(void *, const char *) = p->say;
	void *arg = p->arg;

	memset(p, 0, sizeof(*p));
	p->store = s;
	p->say = sayfn;
	p->arg = arg;
	out->publish = pub_publish;
	out->withdraw = pub_withdraw;
	out->arg = p;
}
