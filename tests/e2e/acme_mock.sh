# hsys cert acme against a small mock ACME server (tests/e2e/lib/
# acme_mock.py) for what pebble does not do: a rateLimited refusal with
# Retry-After is reported as such, a server that does not answer in time
# is given up on, a finalization still processing is polled again only
# after the Retry-After the server gave, and ACME Renewal Information
# (RFC 9773) sets the next renewal in the server's suggested window, is
# asked again by `renew --due` once its Retry-After has passed, and a
# window moved earlier renews at once, with `replaces` naming the old
# certificate. A renewal refused with rateLimited backs off at least the
# Retry-After; two renewals at once make one order (the renewal lock).
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.pem" -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 2>/dev/null

# start_mock MODE: the mock in the background, until it is ready.
start_mock() {
	ACME_MOCK_CTL=$T /usr/bin/python3 "$TOP/tests/e2e/lib/acme_mock.py" \
	    "$P" "$T/srv.pem" \
	    "$T/srv.key" "$1" >"$T/mock.out" 2>&1 &
	mock_pid=$!
	wait_until 30 grep -q ready "$T/mock.out"
}

t_ok "the mock starts" start_mock ratelimit
t_fail "a rate-limited registration fails" 1 hsys cert acme register \
    --server "https://127.0.0.1:$P/dir" --ca-file "$T/srv.pem" --accept-tos
t_grep "saying rateLimited, with the server's detail" \
    'refused \(429 rateLimited\).*too many new accounts' "$T/err"
t_grep "and when to retry" 'retry after 3600 seconds' "$T/err"
t_eq "no account was stored" "$(sqlite3 "$HSYS_HOME/hsys.db" \
    'SELECT count(*) FROM acme_account')" 0
kill "$mock_pid"; wait "$mock_pid" 2>/dev/null

t_ok "the mock starts, slow" start_mock slow
t_fail "a server that does not answer in time fails" 1 hsys cert acme \
    register --server "https://127.0.0.1:$P/dir" --ca-file "$T/srv.pem" \
    --accept-tos --timeout 2
t_grep "saying it timed out" "cannot reach https://127.0.0.1:$P/dir:.*[Tt]imeout" \
    "$T/err"
kill "$mock_pid"; wait "$mock_pid" 2>/dev/null

t_ok "the mock starts, for a whole order" start_mock order
t_ok "register" hsys cert acme register --server "https://127.0.0.1:$P/dir" \
    --ca-file "$T/srv.pem"
t_ok "an order whose finalization is processing succeeds" hsys cert acme \
    order --dns-name mock.example.test --http-port "$((P + 1))"
t_grep "already authorized" 'mock.example.test: already authorized' "$T/err"
t_ok "the certificate is stored" hsys cert show \
    "$(grep -oE '^[0-9A-F]{40}' "$T/out" | head -1)"
t_grep "for the name" 'DNS names: +mock.example.test' "$T/out"
waited=$(sed -n 's/^waited //p' "$T/mock.out")
t_ok "the poll waited the Retry-After of 2 seconds ($waited)" \
    /usr/bin/python3 -c 'import sys; assert float(sys.argv[1]) >= 1.9' \
    "${waited:-0}"
kill "$mock_pid"; wait "$mock_pid" 2>/dev/null

# --- ARI: the renewal goes in the window the server suggests ---------------
t_ok "the mock starts, with renewal information" start_mock ari
t_ok "an order" hsys cert acme order --dns-name ari.example.test \
    --http-port "$((P + 1))"
T1=$(grep -oE '^[0-9A-F]{40}' "$T/out" | head -1)
t_grep "says it follows the window" 'renewing in the server.s suggested window' \
    "$T/err"
t_ok "export it" hsys cert export "$T1" --pem "$T/ari.pem"
aki=$(openssl x509 -in "$T/ari.pem" -noout -ext authorityKeyIdentifier |
    sed -n 's/^ *\(keyid:\)\{0,1\}\([0-9A-F:]\{20,\}\)$/\2/p' | tr -d ':')
serial=$(openssl x509 -in "$T/ari.pem" -noout -serial | sed 's/serial=//')
want=$(/usr/bin/python3 -c '
import base64, sys
def b(h):
    return base64.urlsafe_b64encode(bytes.fromhex(h)).decode().rstrip("=")
s = sys.argv[2]
s = s if len(s) % 2 == 0 else "0" + s
if int(s[:2], 16) & 0x80:
    s = "00" + s
print(b(sys.argv[1]) + "." + b(s))' "$aki" "$serial")
t_grep "it asked for the certificate by AKI and serial" "^ari $want\$" \
    "$T/mock.out"
t_ok "acme list --json" hsys cert acme list --json
cp "$T/out" "$T/list.json"
t_ok "the next renewal is in the window" /usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))[0]
assert 1893456000 <= c["next_renewal"] <= 1893542400, c' "$T/list.json"
now=$(date +%s)
t_ok "ARI is asked again after its Retry-After of 6 hours" /usr/bin/python3 \
    -c 'import json, sys
c = json.load(open(sys.argv[1]))[0]
assert abs(c["ari_check"] - int(sys.argv[2]) - 21600) < 120, c' \
    "$T/list.json" "$now"

# --- ARI again: a window moved earlier renews, with replaces ---------------
n_ari() { grep -c '^ari ' "$T/mock.out"; }
n_orders() { grep -c '^neworder' "$T/mock.out"; }
t_ok "renew --due before anything is due" hsys cert acme renew --due
t_eq "does not ask ARI again before its time" "$(n_ari)" 1
t_eq "nor order" "$(n_orders)" 1
# The CA moves this certificate's window into the past (a revocation
# event), and six hours pass (the test's clock: the row's ari_check).
echo "$want 2020-01-01T00:00:00Z 2020-01-02T00:00:00Z" >"$T/window"
sqlite3 "$HSYS_HOME/hsys.db" "UPDATE acme_cert SET ari_check = $now - 1
    WHERE name = 'ari.example.test'"
t_ok "renew --due once ARI's time has come" hsys cert acme renew --due
t_eq "asks ARI again for it" "$(grep -c "^ari $want\$" "$T/mock.out")" 2
t_grep "and renews, the window having moved" '^Renewed ari.example.test' \
    "$T/out"
t_grep "the new order named what it replaces" "^neworder replaces=$want\$" \
    "$T/mock.out"
T2=$(sqlite3 "$HSYS_HOME/hsys.db" "SELECT thumbprint FROM acme_cert
    WHERE name = 'ari.example.test'")
t_ok "the record moved to a new certificate" [ "$T2" != "$T1" ]

# --- rateLimited: the back-off waits at least the Retry-After ---------------
touch "$T/ratelimit"
t_fail "a rate-limited renewal fails" 1 hsys cert acme renew \
    ari.example.test --force
t_grep "saying so, with when to retry" \
    'refused \(429 rateLimited\).*retry after 7200 seconds' "$T/err"
t_ok "acme list --json" hsys cert acme list --json
cp "$T/out" "$T/list.json"
t_ok "the next attempt is no sooner than the Retry-After" /usr/bin/python3 \
    -c 'import json, sys
c = json.load(open(sys.argv[1]))[0]
assert c["failures"] == 1 and "rateLimited" in c["last_error"], c
assert c["next_renewal"] >= int(sys.argv[2]) + 7200, c' "$T/list.json" \
    "$now"
rm -f "$T/ratelimit"

# --- the renewal lock: a second renewal meanwhile orders nothing -----------
o=$(n_orders)
touch "$T/hold"		# the mock keeps the order processing meanwhile
hsys cert acme renew ari.example.test --force >"$T/r1.out" 2>"$T/r1.err" &
r1=$!
t_ok "the first renewal has placed its order" \
    wait_until 20 eval '[ "$(n_orders)" -gt "$o" ]'
t_ok "renew --due meanwhile exits 0" hsys cert acme renew --due
t_grep "saying another renewal runs" 'Another renewal is running' "$T/out"
t_fail "renew NAME meanwhile fails" 1 hsys cert acme renew \
    ari.example.test --force
t_grep "saying why" 'another renewal is running' "$T/err"
rm -f "$T/hold"
wait "$r1"
t_eq "the first renewal succeeds" "$?" 0
t_eq "one order for the three" "$(n_orders)" "$((o + 1))"
t_eq "the lock file is the owner's only" \
    "$(stat -c %a "$HSYS_HOME/acme-renew.lock")" 600
chmod 644 "$HSYS_HOME/acme-renew.lock"
t_fail "a lock file open to others is refused" 1 hsys cert acme renew --due
t_grep "saying whose it is" 'acme-renew.lock is not this user.s own' "$T/err"
chmod 600 "$HSYS_HOME/acme-renew.lock"

# --- cert delete: not the certificate an acme: binding follows -------------
cur=$(sqlite3 "$HSYS_HOME/hsys.db" "SELECT thumbprint FROM acme_cert
    WHERE name = 'ari.example.test'")
t_ok "a binding follows the record" hsys http add sslcert \
    hostnameport=ari.example.test:9443 certhash=acme:ari.example.test \
    appid='{00000000-0000-0000-0000-000000000000}'
before=$(store_dump | sha256sum)
t_fail "deleting the certificate it follows is refused" 1 hsys cert delete \
    "$cur"
t_grep "naming the record and the binding, and what to do" \
    "current one of the ACME certificate ari.example.test, which the binding hostnameport=ari.example.test:9443 follows.*delete or update that binding first" \
    "$T/err"
t_fail "so is deleting the record" 1 hsys cert acme delete ari.example.test
t_grep "naming the binding" \
    'the binding hostnameport=ari.example.test:9443 follows' "$T/err"
t_eq "the store is unchanged" "$(store_dump | sha256sum)" "$before"
t_ok "the replaced certificate can go" hsys cert delete "$T1"
t_ok "without the binding" hsys http delete sslcert \
    hostnameport=ari.example.test:9443
t_fail "the record's current certificate is still refused" 1 hsys cert \
    delete "$cur"
t_grep "saying to delete the record first" \
    "hsys cert acme delete ari.example.test" "$T/err"
t_ok "the record can be deleted" hsys cert acme delete ari.example.test
t_fail "and is gone" 1 hsys cert acme renew ari.example.test --force
t_ok "then its certificate" hsys cert delete "$cur"
t_done
