/*
 * schema — the cert component's tables, applied by store/migrate.c.
 *
 * key:  private keys, unencrypted PKCS#8 DER, found by the SHA-256 of their
 *       SubjectPublicKeyInfo. Since v2 in keys.db (mode 0600, root's for
 *       the system store); they exist nowhere else on disk.
 * cert: one row per (store, certificate). The same certificate may sit in
 *       several stores; its key row is shared.
 * request: pending certificate requests (hsys cert request), whose key waits
 *       here until hsys cert accept pairs it with the issued certificate.
 */
const char cert_schema_v1[] =
    "CREATE TABLE key ("
    "  id      INTEGER PRIMARY KEY,"
    "  pubhash TEXT NOT NULL UNIQUE,"
    "  der     BLOB NOT NULL"
    ") STRICT;"
    "CREATE TABLE cert ("
    "  id         INTEGER PRIMARY KEY,"
    "  store      TEXT NOT NULL,"
    "  thumbprint TEXT NOT NULL,"
    "  sha256     TEXT NOT NULL,"
    "  subject    TEXT NOT NULL,"
    "  issuer     TEXT NOT NULL,"
    "  not_before INTEGER NOT NULL,"
    "  not_after  INTEGER NOT NULL,"
    "  pubhash    TEXT NOT NULL,"
    "  der        BLOB NOT NULL,"
    "  key_id     INTEGER REFERENCES key(id),"
    "  added      INTEGER NOT NULL,"
    "  UNIQUE (store, thumbprint)"
    ") STRICT;"
    "CREATE INDEX cert_thumbprint ON cert(thumbprint);"
    "CREATE INDEX cert_pubhash ON cert(pubhash);"
    "CREATE TABLE request ("
    "  id      INTEGER PRIMARY KEY,"
    "  key_id  INTEGER NOT NULL REFERENCES key(id),"
    "  subject TEXT NOT NULL,"
    "  csr     BLOB NOT NULL,"
    "  created INTEGER NOT NULL"
    ") STRICT;";

/* v2: private keys move to keys.db (the schema "keys", root-only) so that
 * hsys.db can be read by anyone; cert and request lose their foreign key
 * to `key`, which SQLite cannot keep across databases (the code keeps the
 * rule: certstore_key_release removes a key only when nothing uses it). */
const char cert_schema_v2[] =
    "CREATE TABLE keys.key ("
    "  id      INTEGER PRIMARY KEY,"
    "  pubhash TEXT NOT NULL UNIQUE,"
    "  der     BLOB NOT NULL"
    ") STRICT;"
    "INSERT INTO keys.key SELECT id, pubhash, der FROM main.key;"
    "CREATE TABLE main.cert_v2 ("
    "  id         INTEGER PRIMARY KEY,"
    "  store      TEXT NOT NULL,"
    "  thumbprint TEXT NOT NULL,"
    "  sha256     TEXT NOT NULL,"
    "  subject    TEXT NOT NULL,"
    "  issuer     TEXT NOT NULL,"
    "  not_before INTEGER NOT NULL,"
    "  not_after  INTEGER NOT NULL,"
    "  pubhash    TEXT NOT NULL,"
    "  der        BLOB NOT NULL,"
    "  key_id     INTEGER,"
    "  added      INTEGER NOT NULL,"
    "  UNIQUE (store, thumbprint)"
    ") STRICT;"
    "INSERT INTO main.cert_v2 SELECT * FROM main.cert;"
    "DROP TABLE main.cert;"
    "ALTER TABLE main.cert_v2 RENAME TO cert;"
    "CREATE INDEX main.cert_thumbprint ON cert(thumbprint);"
    "CREATE INDEX main.cert_pubhash ON cert(pubhash);"
    "CREATE TABLE main.request_v2 ("
    "  id      INTEGER PRIMARY KEY,"
    "  key_id  INTEGER NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  csr     BLOB NOT NULL,"
    "  created INTEGER NOT NULL"
    ") STRICT;"
    "INSERT INTO main.request_v2 SELECT * FROM main.request;"
    "DROP TABLE main.request;"
    "ALTER TABLE main.request_v2 RENAME TO request;";
