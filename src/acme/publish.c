/*
 * publish — an order's HTTP-01 and TLS-ALPN-01 challenges made answerable
 * through the store: rows in acme_challenge, committed, then CONFIG_CHANGED
 * to hsysd, whose reply comes once it serves that generation (and so
 * answers the tokens, having opened their ports if it must). When no hsysd
 * runs, HTTP-01 tokens are answered by the interim responder in this
 * process instead; TLS-ALPN-01 cannot be (it lives in hsysd's handshake).
 * withdraw removes the rows (and rows past their expiry) and tells hsysd
 * again.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "acme/acme.h"
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

static int
pub_publish(void *arg, const struct acme_pending *c, size_t n,
    struct err *e)
{
	struct acme_store_pub *p = arg;
	struct acme_pending row;
	int64_t gen, now = (int64_t)time(NULL);
	size_t i;
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
		if (acme_pending_add(p->store, &row, &p->ids[p->nids], e)
		    == -1) {
			store_rollback(p->store);
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
