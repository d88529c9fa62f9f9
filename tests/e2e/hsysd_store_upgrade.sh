# A store written by the previous schema (before "config v2") is brought up
# to date by hsysd when it starts, so that the daemon reads its
# configuration after an upgrade without waiting for an hsys command.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/tests/e2e/lib"
t_ok "a store with a timeout" hsys http add timeout \
    timeouttype=headerwaittimeout value=30
# Back to schema 3: the timeout table of config v1, no urlsetting, no
# acme_account nor acme_cert (acme v1).
sqlite3 "$HSYS_HOME/hsys.db" "
CREATE TABLE t1 (name TEXT NOT NULL PRIMARY KEY CHECK (name IN
  ('idleconnectiontimeout', 'headerwaittimeout')), seconds INTEGER NOT NULL)
  STRICT;
INSERT INTO t1 SELECT name, seconds FROM timeout;
DROP TABLE timeout; ALTER TABLE t1 RENAME TO timeout;
DROP TABLE urlsetting; DROP TABLE acme_cert; DROP TABLE acme_account;
PRAGMA user_version = 3;"
t_eq "the store is at schema 3" \
    "$(sqlite3 "$HSYS_HOME/hsys.db" 'PRAGMA user_version')" 3

start_hsysd --workers 1
t_grep "hsysd reads the configuration" 'configuration generation' "$T/d.log"
t_nogrep "without a schema complaint" 'schema upgrade' "$T/d.log"
t_eq "the store is at the current schema" \
    "$(sqlite3 "$HSYS_HOME/hsys.db" 'PRAGMA user_version')" 5
t_eq "and kept its timeout" "$(sqlite3 "$HSYS_HOME/hsys.db" \
    "SELECT seconds FROM timeout WHERE name = 'headerwaittimeout'")" 30
t_done
