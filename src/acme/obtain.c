/*
 * obtain — a certificate as an acme_cert row describes it: the order run
 * with the record's account, names, key type and challenge, the result
 * kept in the store (the certificate with its new key, the intermediates
 * in CA) and the row moved to it with its next renewal. `hsys cert acme
 * order` and `renew`, and the renewal child hsysd starts, all come here.
 * A failed renewal leaves the old certificate where it is and writes the
 * failure, the count and the back-off into the row (acme_renew_failed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "acme/acme.h"
#include "cert/cert.h"
#include "common/err.h"
#include "config/config.h"
#include "store/store.h"

/* hsysd serves the new generation before this returns (bindings that
 * follow the certificate, the renewal timer, servicestate). */
static void
notify(struct store *s)
{
	struct err ignored;
	int64_t gen;

	if (store_generation(s, &gen, &ignored) == 0)
		config_notify(gen, &ignored);
}

/* The certificate first, with its key, into storename; the CAs of the
 * chain into CA, as 'hsys cert import' files them; roots are left to the
 * admin's trust. Then the row, in the same transaction. */
static int
keep(struct store *s, STACK_OF(X509) *chain, EVP_PKEY *key,
    struct acme_cert *rec, struct cert_entry *c, struct err *e)
{
	char thumb[CERT_THUMB_LEN + 1];
	enum certstore_outcome out;
	X509 *leaf = sk_X509_value(chain, 0), *x;
	int i;

	if (leaf == NULL || X509_check_private_key(leaf, key) != 1)
		return err_set(e, "the ACME server sent a certificate that is "
		    "not for the key of the order");
	if (store_begin(s, e) == -1)
		return -1;
	if (certstore_add(s, rec->store, leaf, key, &out, e) == -1)
		goto fail;
	for (i = 1; i < sk_X509_num(chain); i++) {
		x = sk_X509_value(chain, i);
		if ((X509_get_extension_flags(x) & EXFLAG_SS) != 0 ||
		    X509_check_ca(x) == 0)
			continue;
		if (certstore_add(s, CERT_STORE_CA, x, NULL, &out, e) == -1)
			goto fail;
	}
	if (cert_thumbprint(leaf, thumb) == -1 ||
	    certstore_find(s, rec->store, thumb, c, e) == -1)
		goto fail;
	snprintf(rec->thumbprint, sizeof(rec->thumbprint), "%s", thumb);
	rec->not_before = c->not_before;
	rec->not_after = c->not_after;
	rec->updated = rec->last_attempt = (int64_t)time(NULL);
	rec->failures = 0;
	rec->last_error[0] = '\0';
	if (rec->next_renewal == 0)
		rec->next_renewal = acme_renew_at(rec->not_before,
		    rec->not_after, acme_jitter());
	if (acme_cert_put(s, rec, e) == -1 || store_commit(s, e) == -1)
		goto fail;
	return 0;
fail:
	store_rollback(s);
	return -1;
}

struct by_id {
	int64_t			 id;
	struct acme_account	*a;
	int			 found;
};

static int
account_by_id(const struct acme_account *a, void *arg)
{
	struct by_id *b = arg;

	if (a->id != b->id)
		return 0;
	*b->a = *a;
	b->found = 1;
	return 1;
}

int
acme_record_account(struct store *s, const struct acme_cert *rec,
    const char *server, struct acme_account *a, EVP_PKEY **key,
    struct err *e)
{
	struct acme_account old;
	struct by_id b = { rec->account_id, &old, 0 };

	if (server == NULL && rec->account_id != 0) {
		if (acme_account_list(s, account_by_id, &b, e) < 0)
			return -1;
		if (b.found)
			server = old.server;
	}
	return acme_account_pick(s, server, a, key, e);
}

/* ARI's identifier of the certificate rec holds now, for newOrder's
 * `replaces` when the server offers ARI; NULL when there is none (a first
 * order, or the old certificate deleted). */
static char *
replaces(struct store *s, struct acme_client *cl,
    const struct acme_cert *rec)
{
	struct cert_entry c;
	struct err ignored;
	X509 *x = NULL;
	char *id = NULL;

	if (acme_dir_url(cl, "renewalInfo") == NULL || rec->thumbprint[0] ==
	    '\0' || certstore_find(s, rec->store, rec->thumbprint, &c,
	    &ignored) == -1 || certstore_load(s, c.id, &x, NULL, &ignored)
	    == -1)
		return NULL;
	if (acme_ari_cert_id(x, &id, &ignored) == -1)
		id = NULL;
	X509_free(x);
	return id;
}

int
acme_obtain(struct store *s, const struct acme_obtain *ob,
    struct acme_cert *rec, struct cert_entry *c, struct err *e)
{
	const char *names[ACME_NAMES_MAX];
	char buf[sizeof(rec->names)], *p, *save = NULL;
	struct acme_order_req rq = { .names = names };
	struct acme_store_pub sp = { .say = ob->say, .arg = ob->arg };
	struct acme_publisher pub;
	STACK_OF(X509) *chain = NULL;
	struct acme_account a;
	struct acme_client cl;
	EVP_PKEY *akey = NULL, *key = NULL;
	char *old = NULL;
	int rc = -1;

	if (ob->retry_after != NULL)
		*ob->retry_after = -1;
	snprintf(buf, sizeof(buf), "%s", rec->names);
	for (p = strtok_r(buf, " ", &save); p && rq.nnames < ACME_NAMES_MAX;
	    p = strtok_r(NULL, " ", &save))
		names[rq.nnames++] = p;
	if (rq.nnames == 0)
		return err_set(e, "the ACME certificate %s names no DNS name",
		    rec->name);
	if (acme_record_account(s, rec, ob->server, &a, &akey, e) == -1)
		return -1;
	if (cert_key_new(strcmp(rec->key_type, "rsa-2048") == 0 ?
	    "rsa-2048" : "ec-p256", &key, e) == -1)
		goto out_key;
	if (acme_client_init(&cl, a.server, ob->ca_file ? ob->ca_file :
	    a.ca_file, ob->timeout < ACME_HTTP_TIMEOUT ? ob->timeout : 0, e)
	    == -1)
		goto out_key;
	cl.key = akey;
	snprintf(cl.kid, sizeof(cl.kid), "%s", a.url);
	acme_store_publisher(&sp, s, &pub);
	rq.challenge = rec->challenge;
	rq.http_port = rec->http_port;
	rq.tls_port = rec->tls_port;
	rq.dns_hook = *rec->dns_hook ? rec->dns_hook : NULL;
	rq.pub = &pub;
	rq.cert_key = key;
	rq.replaces = old = replaces(s, &cl, rec);
	rq.timeout = ob->timeout;
	rq.say = ob->say;
	rq.arg = ob->arg;
	rec->account_id = a.id;
	rec->next_renewal = 0;
	rec->ari_check = 0;
	if (acme_order_run(&cl, &rq, &chain, e) == 0 &&
	    keep(s, chain, key, rec, c, e) == 0)
		rc = 0;
	if (rc == 0) {
		acme_ari_schedule(&cl, s, rec, chain, ob->say, ob->arg);
		notify(s);
	}
	if (cl.bad_nonce_retries > 0 && ob->nonces != NULL)
		*ob->nonces = cl.bad_nonce_retries;
	if (rc == -1 && ob->retry_after != NULL)
		*ob->retry_after = cl.retry_after;
	free(old);
	sk_X509_pop_free(chain, X509_free);
	acme_client_free(&cl);
out_key:
	EVP_PKEY_free(key);
	EVP_PKEY_free(akey);
	return rc;
}

void
acme_renew_failed(struct store *s, const char *name, const char *why,
    long retry_after)
{
	struct acme_cert rec;
	struct err ignored;
	int64_t now = (int64_t)time(NULL);

	if (acme_cert_get(s, name, &rec, &ignored) == -1 ||
	    store_begin(s, &ignored) == -1)
		return;
	rec.failures++;
	rec.last_attempt = now;
	rec.next_renewal = acme_backoff_at(now, rec.failures, acme_jitter());
	/* The server said when (rateLimited): no sooner than that. */
	if (retry_after > 0 && rec.next_renewal < now + retry_after)
		rec.next_renewal = now + retry_after;
	snprintf(rec.last_error, sizeof(rec.last_error), "%s", why);
	if (acme_cert_put(s, &rec, &ignored) == -1 ||
	    store_commit(s, &ignored) == -1) {
		store_rollback(s);
		return;
	}
	notify(s);
}
