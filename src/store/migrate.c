/*
 * migrate — brings a database's schema up to date.
 *
 * Each module publishes its schema steps (cert_schema, config_schema); this
 * file lists them in the order they were introduced. A step, once released,
 * never changes: a new need is a new step appended at the end. user_version
 * counts the steps applied; a database from a newer hsys (more steps than we
 * know) is refused rather than misread, but by the key process
 * (STORE_NEWER), which reads only tables no step may change in a way an
 * older reader misreads: cert, key and sslcert. Steps run with foreign
 * keys off, so that a step may rebuild a table others refer to (SQLite's
 * way to change a constraint), and end with a foreign key check.
 */
#include <stdio.h>

#include "common/err.h"
#include "store/store.h"

extern const char cert_schema_v1[];
extern const char config_schema_v1[];
extern const char config_schema_v2[];
extern const char acme_schema_v1[];
extern const char cert_schema_v2[];
extern const char acme_schema_v2[];
extern const char acme_schema_v3[];
extern const char acme_schema_v4[];

static const struct store_migration steps[] = {
	{ "meta", "CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY) STRICT;"
	    "INSERT INTO meta VALUES ('generation', 0);" },
	{ "cert v1", cert_schema_v1 },
	{ "config v1", config_schema_v1 },
	{ "config v2", config_schema_v2 },
	{ "acme v1", acme_schema_v1 },
	{ "cert v2: keys in keys.db", cert_schema_v2 },
	{ "acme v2: keys in keys.db", acme_schema_v2 },
	{ "acme v3: renewal, pending challenges", acme_schema_v3 },
	{ "acme v4: ARI asked again", acme_schema_v4 },
};
#define NSTEPS ((int)(sizeof(steps) / sizeof(steps[0])))

static int
foreign_keys_hold(struct store *s, struct err *e)
{
	sqlite3_stmt *st;
	int rc;

	if (store_prepare(s, &st, "PRAGMA main.foreign_key_check", e) == -1)
		return -1;
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return err_set(e, "%s: a schema upgrade would break a reference "
		    "between tables; nothing was changed", s->path);
	if (rc != SQLITE_DONE)
		return store_fail(s, e, "cannot check the store's references");
	return 0;
}

int
store_migrate(struct store *s, struct err *e)
{
	sqlite3_stmt *st;
	char sql[64];
	int version, i;

	if (store_prepare(s, &st, "PRAGMA user_version", e) == -1)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return store_fail(s, e, "cannot read the schema version");
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > NSTEPS && s->newer_ok)
		return 0;
	if (version > NSTEPS)
		return err_set(e, "%s was written by a newer hsys (schema %d, "
		    "this one knows %d); upgrade hsys", s->path, version, NSTEPS);
	if (version == NSTEPS)
		return 0;
	if (!s->writable)
		return err_set(e, "%s needs a schema upgrade; run any hsys "
		    "command that writes as its owner", s->path);
	if (store_exec(s, "PRAGMA foreign_keys = OFF", e) == -1)
		return -1;
	if (store_begin(s, e) == -1)
		return -1;
	for (i = version; i < NSTEPS; i++) {
		if (store_exec(s, steps[i].sql, e) == -1) {
			err_prefix(e, "schema step '%s'", steps[i].name);
			store_rollback(s);
			return -1;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", NSTEPS);
	if (store_exec(s, sql, e) == -1 || foreign_keys_hold(s, e) == -1) {
		store_rollback(s);
		return -1;
	}
	if (store_commit(s, e) == -1)
		return -1;
	return store_exec(s, "PRAGMA foreign_keys = ON", e);
}
