/*
 * schema — the acme component's table, applied by store/migrate.c.
 *
 * acme_account: one row per account at an ACME server. The account key is a
 *       row of the cert component's key table (PKCS#8, found by its public
 *       half), so it lives where every other key lives and nowhere else;
 *       url is the account URL the server gave (the JWS "kid").
 */
const char acme_schema_v1[] =
    "CREATE TABLE acme_account ("
    "  id       INTEGER PRIMARY KEY,"
    "  server   TEXT NOT NULL,"
    "  url      TEXT NOT NULL,"
    "  key_id   INTEGER NOT NULL REFERENCES key(id),"
    "  email    TEXT NOT NULL DEFAULT '',"
    "  ca_file  TEXT NOT NULL DEFAULT '',"
    "  created  INTEGER NOT NULL,"
    "  UNIQUE (server, url)"
    ") STRICT;";
