# hsysd_store_bad — hsysd and a store it cannot read. At start: a store
# that does not exist is served as empty; one that is damaged (not a
# database, or a damaged page), not root's or hsysd's user's, or
# unreadable stops hsysd with a message saying why (exit 1). Running: a
# store that becomes unreadable leaves hsysd serving the configuration it
# has, saying so once in its log and in servicestate, until it can read
# the store again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/storefault.sh"
DB=$HSYS_HOME/hsys.db

# start_refused WHAT PATTERN: hsysd exits 1 at once, its log matching.
start_refused() {
	local what=$1 pat=$2
	timeout 60 $HSYS_WRAP "$BUILD/hsysd" --workers 1 2>"$T/bad.log"
	t_eq "$what: hsysd exits 1" "$?" 1
	t_grep "$what: and says why" "$pat" "$T/bad.log"
	t_nogrep "$what: without starting to serve" "ready" "$T/bad.log"
}

# --- no store yet: empty, served ------------------------------------------
$HSYS_WRAP "$BUILD/hsysd" --workers 1 2>"$T/empty.log" &
pid=$!
t_wait "no store yet: hsysd starts" 30 grep -q ready "$T/empty.log"
t_ok "no store yet: and answers" hsys http show servicestate
t_ok "no store yet: nothing was created by reading" test ! -e "$DB"
kill "$pid"; wait "$pid"

# --- a store it cannot read: stops, saying why -------------------------------
hsys http add timeout timeouttype=headerwaittimeout value=30 >/dev/null
cp "$DB" "$T/good.db"
head -c 8192 /dev/urandom >"$DB"
start_refused "not a database" "store .*hsys.db is damaged.*restore it from a backup"
# A damaged page past the header: found by the quick check. (VACUUM first:
# a page on the free list, such as the keys' old table left, holds nothing
# to find damaged.)
cp "$T/good.db" "$DB"
sqlite3 "$DB" VACUUM
pages=$(sqlite3 "$DB" 'PRAGMA page_count')
dd if=/dev/urandom of="$DB" bs=4096 seek=$((pages - 1)) count=1 \
    conv=notrunc 2>/dev/null
start_refused "a damaged page" "store .*hsys.db is damaged"
cp "$T/good.db" "$DB"
chown 65534:65534 "$DB"
start_refused "another user's store" "refusing the store .*hsys.db: it belongs to"
chown 0:0 "$DB"
rm -f "$DB"; mkdir "$DB"
start_refused "not a file" "refusing the store .*hsys.db"
rmdir "$DB"
# Unreadable: hsysd as nobody, in a home of its own, its store mode 000.
NB=$T/nobody
mkdir -m 0755 "$NB"
cp "$T/good.db" "$NB/hsys.db"
chmod 000 "$NB/hsys.db"
chown -R 65534:65534 "$NB"
timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups env \
    HSYS_HOME="$NB" $HSYS_WRAP "$BUILD/hsysd" --workers 1 2>"$T/bad.log"
t_eq "unreadable: hsysd exits 1" "$?" 1
t_grep "unreadable: and says why" "cannot open the store .*hsys.db: Permission denied" "$T/bad.log"
cp "$T/good.db" "$DB"

# --- running: it keeps what it has ------------------------------------------
sf_setup
gen=$(sf_generation)
cp "$DB" "$T/good.db"
dd if=/dev/urandom of="$DB" bs=100 count=1 conv=notrunc 2>/dev/null
kill -HUP "$SF_HSYSD"
t_wait "damaged while running: logged" 30 \
    grep -q "cannot read the store: .*damaged.*; serving the configuration of generation $gen" "$T/d.log"
t_ok "damaged while running: still serving the binding and the app" sf_get
t_ok "servicestate" hsys http show servicestate
t_grep "servicestate says the store cannot be read, and why" \
    "Store: cannot be read, serving generation $gen: .*damaged" "$T/out"
t_ok "servicestate --json" hsys http show servicestate --json
t_grep "--json: store_error" '"store_error":"[^"]*damaged' "$T/out"
kill -HUP "$SF_HSYSD"
sleep 1
t_eq "said once, not at every read" \
    "$(grep -c 'cannot read the store' "$T/d.log")" 1
cp "$T/good.db" "$DB"
kill -HUP "$SF_HSYSD"
t_wait "readable again: logged" 30 grep -q "the store can be read again" "$T/d.log"
t_ok "servicestate --json" hsys http show servicestate --json
t_grep "--json: store_error is null again" '"store_error":null' "$T/out"
t_ok "still serving" sf_get
t_nogrep "hsysd: no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
