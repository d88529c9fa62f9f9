/*
 * account — ACME accounts: registering one at a server (new-account, with
 * the terms of service agreed and an optional external account binding)
 * and keeping it in the store. The account key is generated here and goes
 * to the key table like every other key; acme_account names it.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "acme/acme.h"
#include "cert/cert.h"
#include "common/err.h"
#include "store/store.h"

static json_t *
new_account_payload(struct acme_client *c, const struct acme_register *rq,
    struct err *e)
{
	char *eab = NULL;
	json_t *p, *j;
	json_error_t je;

	if ((p = json_pack("{s:b}", "termsOfServiceAgreed", rq->accept_tos))
	    == NULL) {
		err_set(e, "out of memory");
		return NULL;
	}
	if (rq->email != NULL)
		json_object_set_new(p, "contact", json_pack("[s+]", "mailto:",
		    rq->email));
	if (rq->eab_kid == NULL)
		return p;
	if (acme_eab_sign(c->key, rq->eab_kid, rq->eab_mac, rq->eab_maclen,
	    acme_dir_url(c, "newAccount"), &eab, e) == -1) {
		json_decref(p);
		return NULL;
	}
	j = json_loads(eab, 0, &je);
	free(eab);
	json_object_set_new(p, "externalAccountBinding", j);
	return p;
}

/* What the directory asks for before an account may exist. */
static int
check_terms(struct acme_client *c, const struct acme_register *rq,
    struct err *e)
{
	const char *tos = acme_dir_meta(c, "termsOfService");

	if (tos != NULL && !rq->accept_tos)
		return err_set(e, "%s asks you to agree to its terms of "
		    "service, %s; read them, then add --accept-tos",
		    rq->server, tos);
	if (acme_dir_meta_bool(c, "externalAccountRequired") &&
	    rq->eab_kid == NULL)
		return err_set(e, "%s requires an external account binding; "
		    "give the key id and MAC key your CA gave you with "
		    "--eab-kid and --eab-hmac-key-file", rq->server);
	return 0;
}

static int
server_register(struct acme_client *c, const struct acme_register *rq,
    struct err *e)
{
	struct acme_response r;
	json_t *p;
	char *body;
	int rc;

	if (check_terms(c, rq, e) == -1)
		return -1;
	if ((p = new_account_payload(c, rq, e)) == NULL)
		return -1;
	body = json_dumps(p, JSON_COMPACT);
	json_decref(p);
	if (body == NULL)
		return err_set(e, "out of memory");
	rc = acme_post(c, acme_dir_url(c, "newAccount"), body, NULL, &r, e);
	free(body);
	if (rc == -1)
		return err_prefix(e, "cannot register at %s", rq->server);
	if (r.location[0] == '\0') {
		acme_response_free(&r);
		return err_set(e, "%s created an account but gave no account "
		    "URL", rq->server);
	}
	snprintf(c->kid, sizeof(c->kid), "%s", r.location);
	acme_response_free(&r);
	return 0;
}

static int
store_account(struct store *s, const struct acme_register *rq,
    EVP_PKEY *key, const char *url, struct acme_account *a, struct err *e)
{
	sqlite3_stmt *st;
	int64_t key_id;
	int rc;

	if (certstore_key_put(s, key, &key_id, e) == -1)
		return -1;
	if (store_prepare(s, &st, "INSERT INTO acme_account (server, url, "
	    "key_id, email, ca_file, created) VALUES (?, ?, ?, ?, ?, ?) "
	    "ON CONFLICT (server, url) DO UPDATE SET email = excluded.email, "
	    "ca_file = excluded.ca_file", e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, rq->server, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, url, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, key_id);
	sqlite3_bind_text(st, 4, rq->email ? rq->email : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_text(st, 5, rq->ca_file ? rq->ca_file : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, (int64_t)time(NULL));
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot store the ACME account");
	memset(a, 0, sizeof(*a));
	snprintf(a->server, sizeof(a->server), "%s", rq->server);
	snprintf(a->url, sizeof(a->url), "%s", url);
	snprintf(a->email, sizeof(a->email), "%s", rq->email ? rq->email : "");
	cert_key_description(key, a->key_desc, sizeof(a->key_desc));
	a->key_id = key_id;
	return 0;
}

int
acme_account_register(struct store *s, const struct acme_register *rq,
    struct acme_account *a, struct err *e)
{
	const char *type = rq->key_type ? rq->key_type : "ec-p256";
	struct acme_client c;
	EVP_PKEY *key = NULL;
	int rc = -1;

	if (strcmp(type, "ec-p256") != 0 && strcmp(type, "rsa-2048") != 0)
		return err_set(e, "an account key is ec-p256 or rsa-2048, not "
		    "'%s'", type);
	if (acme_client_init(&c, rq->server, rq->ca_file, rq->timeout, e)
	    == -1)
		return -1;
	if (cert_key_new(type, &key, e) == -1)
		goto done;
	c.key = key;
	if (server_register(&c, rq, e) == -1)
		goto done;
	if (store_begin(s, e) == -1)
		goto done;
	if (store_account(s, rq, key, c.kid, a, e) == -1) {
		store_rollback(s);
		goto done;
	}
	rc = 0;
done:
	EVP_PKEY_free(key);
	acme_client_free(&c);
	return rc;
}

#define ACCOUNT_COLUMNS "a.id, a.server, a.url, a.email, a.ca_file, " \
	"a.created, a.key_id FROM acme_account a"

static void
account_row(sqlite3_stmt *st, struct acme_account *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	snprintf(a->server, sizeof(a->server), "%s",
	    (const char *)sqlite3_column_text(st, 1));
	snprintf(a->url, sizeof(a->url), "%s",
	    (const char *)sqlite3_column_text(st, 2));
	snprintf(a->email, sizeof(a->email), "%s",
	    (const char *)sqlite3_column_text(st, 3));
	snprintf(a->ca_file, sizeof(a->ca_file), "%s",
	    (const char *)sqlite3_column_text(st, 4));
	a->created = sqlite3_column_int64(st, 5);
	a->key_id = sqlite3_column_int64(st, 6);
}

/* The account's key, from the key table. */
static int
account_key(struct store *s, int64_t key_id, EVP_PKEY **key, struct err *e)
{
	PKCS8_PRIV_KEY_INFO *p8;
	const unsigned char *p;
	sqlite3_stmt *st;

	*key = NULL;
	if (store_prepare(s, &st, "SELECT der FROM key WHERE id = ?", e) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, key_id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return err_set(e, "the ACME account's key is missing from %s",
		    s->path);
	}
	p = sqlite3_column_blob(st, 0);
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, sqlite3_column_bytes(st, 0));
	*key = p8 ? EVP_PKCS82PKEY(p8) : NULL;
	PKCS8_PRIV_KEY_INFO_free(p8);
	sqlite3_finalize(st);
	if (*key == NULL)
		return err_ssl(e, "the ACME account's key in %s is damaged",
		    s->path);
	return 0;
}

int
acme_account_list(struct store *s,
    int (*fn)(const struct acme_account *, void *), void *arg, struct err *e)
{
	struct acme_account a;
	EVP_PKEY *key;
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "SELECT " ACCOUNT_COLUMNS " ORDER BY a.id",
	    e) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		account_row(st, &a);
		if (account_key(s, a.key_id, &key, e) == 0) {
			cert_key_description(key, a.key_desc,
			    sizeof(a.key_desc));
			EVP_PKEY_free(key);
		}
		if ((rc = fn(&a, arg)) != 0) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot list the ACME accounts");
	return 0;
}

int
acme_account_pick(struct store *s, const char *server,
    struct acme_account *a, EVP_PKEY **key, struct err *e)
{
	sqlite3_stmt *st;
	int n = 0, servers = 0, rc;

	/* The newest account at the server: registering again is how one
	 * replaces an account (or follows a test server that forgot it). */
	if (store_prepare(s, &st, "SELECT " ACCOUNT_COLUMNS
	    " WHERE ?1 IS NULL OR a.server = ?1 ORDER BY a.id DESC", e) == -1)
		return -1;
	if (server != NULL)
		sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n++ == 0) {
			account_row(st, a);
			servers = 1;
		} else if (strcmp((const char *)sqlite3_column_text(st, 1),
		    a->server) != 0)
			servers++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the ACME accounts");
	if (n == 0 && server != NULL)
		return err_set(e, "no ACME account at %s; run 'hsys cert acme "
		    "register --server %s' first", server, server);
	if (n == 0)
		return err_set(e, "no ACME account; run 'hsys cert acme "
		    "register --server URL' first");
	if (servers > 1)
		return err_set(e, "there are accounts at several ACME servers; "
		    "say which with --server URL ('hsys cert acme accounts' "
		    "lists them)");
	return account_key(s, a->key_id, key, e);
}
