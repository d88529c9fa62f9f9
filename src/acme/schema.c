/*
 * schema — the acme component's table, applied by store/migrate.c.
 *
 * acme_account: one row per account at an ACME server. The account key is a
 *       row of the cert component's key table (PKCS#8, found by its public
 *       half), so it lives where every other key lives and nowhere else;
 *       url is the account URL the server gave (the JWS "kid").
 * acme_cert: one row per certificate obtained by ACME, named (by default
 *       after its first DNS name): what was ordered and how (account, names,
 *       key type, store, challenge), and the certificate that is current
 *       (thumbprint, expiry). Renewal and bindings that follow a
 *       certificate by name (the daemon's part, docs/acme.md) start here.
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
    ") STRICT;"
    "CREATE TABLE acme_cert ("
    "  id         INTEGER PRIMARY KEY,"
    "  name       TEXT NOT NULL UNIQUE,"
    "  account_id INTEGER NOT NULL REFERENCES acme_account(id),"
    "  names      TEXT NOT NULL,"
    "  key_type   TEXT NOT NULL,"
    "  store      TEXT NOT NULL,"
    "  challenge  TEXT NOT NULL,"
    "  http_port  INTEGER NOT NULL,"
    "  dns_hook   TEXT NOT NULL DEFAULT '',"
    "  thumbprint TEXT NOT NULL,"
    "  not_after  INTEGER NOT NULL,"
    "  updated    INTEGER NOT NULL,"
    "  last_error TEXT NOT NULL DEFAULT ''"
    ") STRICT;";

/* v2: the account key is in keys.db (see cert_schema_v2); the account loses
 * its foreign key to it. main.key, empty of users now, goes. */
const char acme_schema_v2[] =
    "CREATE TABLE main.acme_account_v2 ("
    "  id       INTEGER PRIMARY KEY,"
    "  server   TEXT NOT NULL,"
    "  url      TEXT NOT NULL,"
    "  key_id   INTEGER NOT NULL,"
    "  email    TEXT NOT NULL DEFAULT '',"
    "  ca_file  TEXT NOT NULL DEFAULT '',"
    "  created  INTEGER NOT NULL,"
    "  UNIQUE (server, url)"
    ") STRICT;"
    "INSERT INTO main.acme_account_v2 SELECT * FROM main.acme_account;"
    "DROP TABLE main.acme_account;"
    "ALTER TABLE main.acme_account_v2 RENAME TO acme_account;"
    "DROP TABLE main.key;";

/* v3: the daemon's part (docs/acme.md).
 * acme_cert gains what renewal keeps: the certificate's start (its
 *       lifetime), when to renew next (ARI's window or two thirds of the
 *       lifetime, with jitter; after a failure, the back-off), how many
 *       attempts failed in a row, the last attempt, and ARI's explanation.
 * acme_challenge: the challenges pending now, which hsysd answers: an
 *       HTTP-01 token on port (answered before any prefix), or a
 *       TLS-ALPN-01 name on port (the acme-tls/1 certificate). keyauth is
 *       the key authorization (token.thumbprint of the account's public
 *       key): public, what the server fetches, no secret. expires bounds a
 *       row an order that died left behind. */
const char acme_schema_v3[] =
    "ALTER TABLE acme_cert ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE acme_cert ADD COLUMN next_renewal INTEGER NOT NULL "
    "  DEFAULT 0;"
    "ALTER TABLE acme_cert ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE acme_cert ADD COLUMN last_attempt INTEGER NOT NULL "
    "  DEFAULT 0;"
    "ALTER TABLE acme_cert ADD COLUMN tls_port INTEGER NOT NULL DEFAULT 443;"
    /* Rows from before: not all due at once on the first start of hsysd
     * that renews; 30 days before expiry is two thirds of 90 days. */
    "UPDATE acme_cert SET next_renewal = not_after - 30 * 86400;"
    "CREATE TABLE acme_challenge ("
    "  id       INTEGER PRIMARY KEY,"
    "  type     TEXT NOT NULL,"
    "  name     TEXT NOT NULL,"
    "  token    TEXT NOT NULL,"
    "  keyauth  TEXT NOT NULL,"
    "  port     INTEGER NOT NULL,"
    "  expires  INTEGER NOT NULL"
    ") STRICT;";

/* v4: ARI (RFC 9773) asked again while waiting. acme_cert gains
 *       ari_check, when a `renew --due` pass next asks the server's
 *       renewalInfo for the current certificate (the Retry-After the server
 *       gave, else six hours on); 0 when the server offers no ARI. A window
 *       the CA moves (earlier, after a revocation event) moves next_renewal. */
const char acme_schema_v4[] =
    "ALTER TABLE acme_cert ADD COLUMN ari_check INTEGER NOT NULL DEFAULT 0;";
