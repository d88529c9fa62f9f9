# A store written by the previous schema (before "config v2") is brought up
# to date by hsysd when it starts, so that the daemon reads its
# configuration after an upgrade without waiting for an hsys command.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/tests/e2e/lib"
t_ok "a store with a timeout" hsys http add timeout \
    timeouttype=headerwaittimeout value=30
# Back to schema 3: the timeout table of config v1, no urlsetting, no
# acme_account nor acme_cert (acme v1), and the private keys in hsys.db
# (cert v1) with their references, no keys.db (cert v2).
t_ok "and a certificate with its key" hsys cert new-selfsigned \
    --dns-name up.test
rm "$HSYS_HOME/keys.db"
sqlite3 "$HSYS_HOME/hsys.db" "
CREATE TABLE key (id INTEGER PRIMARY KEY, pubhash TEXT NOT NULL UNIQUE,
  der BLOB NOT NULL) STRICT;
INSERT INTO key SELECT 1, pubhash, x'0102' FROM cert LIMIT 1;
CREATE TABLE c1 (id INTEGER PRIMARY KEY, store TEXT NOT NULL,
  thumbprint TEXT NOT NULL, sha256 TEXT NOT NULL, subject TEXT NOT NULL,
  issuer TEXT NOT NULL, not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL, pubhash TEXT NOT NULL, der BLOB NOT NULL,
  key_id INTEGER REFERENCES key(id), added INTEGER NOT NULL,
  UNIQUE (store, thumbprint)) STRICT;
INSERT INTO c1 SELECT id, store, thumbprint, sha256, subject, issuer,
  not_before, not_after, pubhash, der, 1, added FROM cert;
DROP TABLE cert; ALTER TABLE c1 RENAME TO cert;
CREATE INDEX cert_thumbprint ON cert(thumbprint);
CREATE INDEX cert_pubhash ON cert(pubhash);
PRAGMA journal_mode = WAL;
"
sqlite3 "$HSYS_HOME/hsys.db" "
CREATE TABLE t1 (name TEXT NOT NULL PRIMARY KEY CHECK (name IN
  ('idleconnectiontimeout', 'headerwaittimeout')), seconds INTEGER NOT NULL)
  STRICT;
INSERT INTO t1 SELECT name, seconds FROM timeout;
DROP TABLE timeout; ALTER TABLE t1 RENAME TO timeout;
DROP TABLE urlsetting; DROP TABLE acme_cert; DROP TABLE acme_account;
DROP TABLE acme_challenge;
PRAGMA user_version = 3;"
t_eq "the store is at schema 3" \
    "$(sqlite3 "$HSYS_HOME/hsys.db" 'PRAGMA user_version')" 3

start_hsysd --workers 1
t_grep "hsysd reads the configuration" 'configuration generation' "$T/d.log"
t_nogrep "without a schema complaint" 'schema upgrade' "$T/d.log"
t_eq "the store is at the current schema" \
    "$(sqlite3 "$HSYS_HOME/hsys.db" 'PRAGMA user_version')" 9
t_eq "and kept its timeout" "$(sqlite3 "$HSYS_HOME/hsys.db" \
    "SELECT seconds FROM timeout WHERE name = 'headerwaittimeout'")" 30
t_eq "the key moved to keys.db" "$(sqlite3 "$HSYS_HOME/keys.db" \
    "SELECT hex(der) FROM key WHERE id = 1")" 0102
t_eq "and left hsys.db" "$(sqlite3 "$HSYS_HOME/hsys.db" \
    "SELECT count(*) FROM sqlite_schema WHERE name = 'key'")" 0
t_eq "the certificate still names it" "$(sqlite3 "$HSYS_HOME/hsys.db" \
    "SELECT key_id FROM cert")" 1
t_eq "hsys.db left WAL for a rollback journal" \
    "$(sqlite3 "$HSYS_HOME/hsys.db" 'PRAGMA journal_mode')" delete
t_eq "keys.db is the owner's only" "$(stat -c %a "$HSYS_HOME/keys.db")" 600
t_eq "hsys.db is readable by all" "$(stat -c %a "$HSYS_HOME/hsys.db")" 644
t_done
