/*
 * pending — the acme_challenge rows: the HTTP-01 tokens and TLS-ALPN-01
 * names an order is waiting on, which hsysd answers (its snapshot reads
 * them at each generation, docs/acme.md). The process running the order
 * (the hsys CLI, or the renewal child hsysd starts) adds them before it
 * tells the ACME server to validate, and removes them when the order
 * ends; expires bounds what a killed order leaves behind.
 */
#include <stdio.h>
#include <string.h>

#include "acme/acme.h"
#include "common/err.h"
#include "store/store.h"

int
acme_pending_add(struct store *s, const struct acme_pending *p, int64_t *id,
    struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "INSERT INTO acme_challenge (type, name, "
	    "token, keyauth, port, expires) VALUES (?, ?, ?, ?, ?, ?)", e)
	    == -1)
		return -1;
	sqlite3_bind_text(st, 1, p->type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->token, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->keyauth, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, p->port);
	sqlite3_bind_int64(st, 6, p->expires);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot record a pending challenge");
	*id = sqlite3_last_insert_rowid(s->db);
	return 0;
}

int
acme_pending_remove(struct store *s, int64_t id, int64_t now, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "DELETE FROM acme_challenge WHERE id = ? "
	    "OR expires < ?", e) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot remove a pending challenge");
	return 0;
}

int
acme_pending_list(struct store *s, int64_t now,
    int (*fn)(const struct acme_pending *, void *), void *arg, struct err *e)
{
	struct acme_pending p;
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "SELECT id, type, name, token, keyauth, "
	    "port, expires FROM acme_challenge WHERE expires >= ? ORDER BY id",
	    e) == -1)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&p, 0, sizeof(p));
		p.id = sqlite3_column_int64(st, 0);
		store_column_copy(st, 1, p.type, sizeof(p.type));
		store_column_copy(st, 2, p.name, sizeof(p.name));
		store_column_copy(st, 3, p.token, sizeof(p.token));
		store_column_copy(st, 4, p.keyauth, sizeof(p.keyauth));
		p.port = sqlite3_column_int(st, 5);
		p.expires = sqlite3_column_int64(st, 6);
		if ((rc = fn(&p, arg)) != 0) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot read the pending challenges");
	return 0;
}
