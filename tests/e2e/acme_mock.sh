# hsys cert acme against a small mock ACME server (tests/e2e/lib/
# acme_mock.py) for what pebble does not do: a rateLimited refusal with
# Retry-After is reported as such, a server that does not answer in time
# is given up on, and a finalization still processing is polled again only
# after the Retry-After the server gave.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.pem" -days 2 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 2>/dev/null

# start_mock MODE: the mock in the background, until it is ready.
start_mock() {
	/usr/bin/python3 "$TOP/tests/e2e/lib/acme_mock.py" "$P" "$T/srv.pem" \
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
t_done
