/*
 * record — the acme_cert table: each certificate obtained by ACME, under a
 * name, with what was ordered and how, and which certificate of the store
 * is the current one. Ordering again under the same name updates the row:
 * that is what renewal will do, and what bindings that follow a
 * certificate by name will read (docs/acme.md).
 */
#include <stdio.h>
#include <string.h>

#include "acme/acme.h"
#include "common/err.h"
#include "store/store.h"

int
acme_cert_put(struct store *s, const struct acme_cert *c, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "INSERT INTO acme_cert (name, account_id, "
	    "names, key_type, store, challenge, http_port, dns_hook, "
	    "thumbprint, not_after, updated, last_error, not_before, "
	    "next_renewal, failures, last_attempt, tls_port, ari_check) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "?14, ?15, ?16, ?17, ?18) "
	    "ON CONFLICT (name) DO UPDATE SET account_id = ?2, names = ?3, "
	    "key_type = ?4, store = ?5, challenge = ?6, http_port = ?7, "
	    "dns_hook = ?8, thumbprint = ?9, not_after = ?10, updated = ?11, "
	    "last_error = ?12, not_before = ?13, next_renewal = ?14, "
	    "failures = ?15, last_attempt = ?16, tls_port = ?17, "
	    "ari_check = ?18", e) == -1)
		return -1;
	sqlite3_bind_text(st, 1, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, c->account_id);
	sqlite3_bind_text(st, 3, c->names, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->key_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->store, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->challenge, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, c->http_port);
	sqlite3_bind_text(st, 8, c->dns_hook, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, c->thumbprint, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, c->not_after);
	sqlite3_bind_int64(st, 11, c->updated);
	sqlite3_bind_text(st, 12, c->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 13, c->not_before);
	sqlite3_bind_int64(st, 14, c->next_renewal);
	sqlite3_bind_int(st, 15, c->failures);
	sqlite3_bind_int64(st, 16, c->last_attempt);
	sqlite3_bind_int(st, 17, c->tls_port);
	sqlite3_bind_int64(st, 18, c->ari_check);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot record the ACME certificate");
	return 0;
}

int
acme_cert_list(struct store *s, int (*fn)(const struct acme_cert *, void *),
    void *arg, struct err *e)
{
	struct acme_cert c;
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "SELECT name, account_id, names, key_type, "
	    "store, challenge, http_port, dns_hook, thumbprint, not_after, "
	    "updated, last_error, not_before, next_renewal, failures, "
	    "last_attempt, tls_port, ari_check FROM acme_cert ORDER BY name",
	    e) == -1)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&c, 0, sizeof(c));
		store_column_copy(st, 0, c.name, sizeof(c.name));
		c.account_id = sqlite3_column_int64(st, 1);
		store_column_copy(st, 2, c.names, sizeof(c.names));
		store_column_copy(st, 3, c.key_type, sizeof(c.key_type));
		store_column_copy(st, 4, c.store, sizeof(c.store));
		store_column_copy(st, 5, c.challenge, sizeof(c.challenge));
		c.http_port = sqlite3_column_int(st, 6);
		store_column_copy(st, 7, c.dns_hook, sizeof(c.dns_hook));
		store_column_copy(st, 8, c.thumbprint, sizeof(c.thumbprint));
		c.not_after = sqlite3_column_int64(st, 9);
		c.updated = sqlite3_column_int64(st, 10);
		store_column_copy(st, 11, c.last_error, sizeof(c.last_error));
		c.not_before = sqlite3_column_int64(st, 12);
		c.next_renewal = sqlite3_column_int64(st, 13);
		c.failures = sqlite3_column_int(st, 14);
		c.last_attempt = sqlite3_column_int64(st, 15);
		c.tls_port = sqlite3_column_int(st, 16);
		c.ari_check = sqlite3_column_int64(st, 17);
		if ((rc = fn(&c, arg)) != 0) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot list the ACME certificates");
	return 0;
}

int
acme_cert_delete(struct store *s, const char *name, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "DELETE FROM acme_cert WHERE name = ?", e)
	    == -1)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot delete the ACME certificate");
	return 0;
}

struct get {
	const char	*name;
	struct acme_cert *out;
	int		 found;
};

static int
get_one(const struct acme_cert *c, void *arg)
{
	struct get *g = arg;

	if (strcmp(c->name, g->name) != 0)
		return 0;
	*g->out = *c;
	g->found = 1;
	return 1;
}

int
acme_cert_get(struct store *s, const char *name, struct acme_cert *out,
    struct err *e)
{
	struct get g = { name, out, 0 };

	if (acme_cert_list(s, get_one, &g, e) == -1)
		return -1;
	if (!g.found) {
		err_set(e, "no ACME certificate is named '%s' ('hsys cert "
		    "acme list' shows them)", name);
		e->code = 2;
		return -1;
	}
	return 0;
}
