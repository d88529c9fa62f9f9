/*
 * schema — the cert component's tables, applied by store/migrate.c.
 *
 * key:  private keys, unencrypted PKCS#8 DER, found by the SHA-256 of their
 *       SubjectPublicKeyInfo. They exist nowhere else on disk: the database
 *       is mode 0600 and its directory is not world-writable.
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
