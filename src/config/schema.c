/*
 * schema — the config component's tables (the HTTP configuration that
 * `hsys http` writes), applied by store/migrate.c. docs/config.md describes
 * each column.
 *
 * sslcert:  one row per binding; (kind, endpoint) is netsh's key, endpoint
 *           in canonical text. certhash is the uppercase SHA-1 thumbprint
 *           of a certificate in cert(store = certstore); options are 0/1.
 * urlacl:   one reservation per canonical URL prefix (paths compare
 *           without case, as HTTP.sys does); the principal is numeric.
 * iplisten: the addresses hsysd listens on (empty: every address).
 * timeout:  the timeouts that differ from HTTP.sys's defaults.
 * setting:  service-wide name/value settings to come (kept from the
 *           foundation's schema; tests/unit/test_store.c writes to it).
 */
const char config_schema_v1[] =
    "CREATE TABLE sslcert ("
    "  kind      TEXT NOT NULL CHECK (kind IN ('ipport', 'hostnameport')),"
    "  endpoint  TEXT NOT NULL,"
    "  certhash  TEXT NOT NULL,"
    "  appid     TEXT NOT NULL,"
    "  certstore TEXT NOT NULL,"
    "  clientcertnegotiation      INTEGER NOT NULL DEFAULT 0,"
    "  verifyclientcertrevocation INTEGER NOT NULL DEFAULT 1,"
    "  disablehttp2               INTEGER NOT NULL DEFAULT 0,"
    "  disablelegacytls           INTEGER NOT NULL DEFAULT 0,"
    "  disabletls12               INTEGER NOT NULL DEFAULT 0,"
    "  disabletls13               INTEGER NOT NULL DEFAULT 0,"
    "  enablesessionticket        INTEGER NOT NULL DEFAULT 0,"
    "  disableocspstapling        INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (kind, endpoint)"
    ") STRICT;"
    "CREATE INDEX sslcert_certhash ON sslcert(certhash);"
    "CREATE TABLE urlacl ("
    "  url       TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,"
    "  principal TEXT NOT NULL CHECK (principal IN ('user', 'group')),"
    "  id        INTEGER NOT NULL,"
    "  listen    INTEGER NOT NULL,"
    "  delegate  INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE iplisten ("
    "  address   TEXT NOT NULL PRIMARY KEY"
    ") STRICT;"
    "CREATE TABLE timeout ("
    "  name      TEXT NOT NULL PRIMARY KEY CHECK (name IN "
    "    ('idleconnectiontimeout', 'headerwaittimeout')),"
    "  seconds   INTEGER NOT NULL"
    ") STRICT;"
    "CREATE TABLE setting ("
    "  name  TEXT PRIMARY KEY,"
    "  value ANY"
    ") STRICT;";

/*
 * v2 — limits (setting.c) and the entity-body timeout.
 *
 * timeout:    recreated with entitybodytimeout allowed, rows kept.
 * urlsetting: settings scoped to a URL prefix (MaxRequestBodySize); url
 *             is canonical, compared without case like urlacl's. The
 *             service-wide values stay in `setting`, one row per name.
 */
const char config_schema_v2[] =
    "CREATE TABLE timeout_v2 ("
    "  name      TEXT NOT NULL PRIMARY KEY CHECK (name IN "
    "    ('idleconnectiontimeout', 'headerwaittimeout',"
    "     'entitybodytimeout')),"
    "  seconds   INTEGER NOT NULL"
    ") STRICT;"
    "INSERT INTO timeout_v2 SELECT name, seconds FROM timeout;"
    "DROP TABLE timeout;"
    "ALTER TABLE timeout_v2 RENAME TO timeout;"
    "CREATE TABLE urlsetting ("
    "  name      TEXT NOT NULL,"
    "  url       TEXT NOT NULL COLLATE NOCASE,"
    "  value     INTEGER NOT NULL,"
    "  PRIMARY KEY (name, url)"
    ") STRICT;";
