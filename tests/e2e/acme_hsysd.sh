# ACME with hsysd, against Debian's pebble on loopback: HTTP-01 answered by
# hsysd before an application's prefix that covers the path (only pending
# tokens; the rest routes as usual), on a port hsysd opens for the order
# and closes after; TLS-ALPN-01 answered in hsysd's ClientHello callback
# for a name with no binding; a binding with certhash=acme:NAME that
# follows a renewal while a download is in flight (it completes, new
# handshakes see the new certificate, show sslcert names it); a failed
# renewal's back-off in list, servicestate and the metrics page; the
# renewal hsysd starts by itself when a certificate is due, run by the key
# process's monitor; and the same under an hsysd serving as nobody
# (--user): the renewal runs as root and succeeds.
. "$(dirname "$0")/lib.sh"

if ! command -v pebble >/dev/null || ! command -v pebble-challtestsrv \
    >/dev/null; then
	echo "ok 1 - $_t_name: # SKIP pebble is not installed " \
	    "(scripts/install-deps)"
	echo "1..1"
	exit 0
fi

P=$((20000 + RANDOM % 12000))
ACME=$P MGMT=$((P + 1)) HTTP01=$((P + 2)) TLS01=$((P + 3)) DNS=$((P + 4))
CHM=$((P + 5)) HTTPS=$((P + 6)) MP=$((P + 7))
DIR=https://127.0.0.1:$ACME/dir
APPID='{00000000-0000-0000-0000-000000000001}'

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 -subj /CN=acme-test-ca \
    2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/srv.key" -out "$T/srv.csr" -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$T/ext"
openssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -CAcreateserial -out "$T/srv.pem" -days 2 -extfile "$T/ext" 2>/dev/null

pebble-challtestsrv -http01 "" -https01 "" -tlsalpn01 "" \
    -dns01 "127.0.0.1:$DNS" -management "127.0.0.1:$CHM" -defaultIPv6 "" \
    >"$T/chall.log" 2>&1 &
chall_pid=$!

pebble_pid=
start_pebble() {
	cat >"$T/pebble.json" <<JSON
{"pebble": {"listenAddress": "127.0.0.1:$ACME",
  "managementListenAddress": "127.0.0.1:$MGMT",
  "certificate": "$T/srv.pem", "privateKey": "$T/srv.key",
  "httpPort": $HTTP01, "tlsPort": $TLS01, "ocspResponderURL": "",
  "externalAccountBindingRequired": false}}
JSON
	PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
	    pebble -config "$T/pebble.json" -dnsserver "127.0.0.1:$DNS" \
	    >>"$T/pebble.log" 2>&1 &
	pebble_pid=$!
	wait_until 30 curl -sf --cacert "$T/ca.pem" -o /dev/null "$DIR"
}
stop_pebble() {
	kill "$pebble_pid" 2>/dev/null
	wait "$pebble_pid" 2>/dev/null
}
cleanup_acme() {
	stop_pebble
	kill "$chall_pid" 2>/dev/null
}
trap 'cleanup_acme; _t_cleanup' EXIT

order() { hsys cert acme order --timeout 60 "$@"; }
thumb() { grep -oE '^[0-9A-F]{40}' "$T/out" | head -1; }
# The SHA-1 fingerprint of what a new handshake for NAME on HTTPS gets.
served() {
	openssl s_client -connect "127.0.0.1:$HTTPS" -servername "$1" \
	    </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha1 \
	    2>/dev/null | sed 's/.*=//; s/://g'
}

t_ok "pebble starts" start_pebble
t_ok "hsysd starts" start_hsysd --workers 2
t_ok "register" hsys cert acme register --server "$DIR" \
    --ca-file "$T/ca.pem" --accept-tos

# --- HTTP-01 by hsysd, in front of an application's prefix ---------------
t_ok "an application takes every path of the HTTP-01 port" \
    start_app app --grace 0 "http://+:$HTTP01/"
t_ok "a path under acme-challenge that is not pending goes to it" \
    code_is 200 "http://127.0.0.1:$HTTP01/.well-known/acme-challenge/nope"
t_ok "order by http-01" order --dns-name www.example.test \
    --http-port "$HTTP01"
W1=$(thumb)
t_grep "hsysd answered it" 'hsysd answers the challenges' "$T/err"
t_nogrep "not the CLI's responder" 'answering http-01 here' "$T/err"
t_eq "no pending challenge is left" \
    "$(store_sql 'SELECT count(*) FROM acme_challenge')" 0
kill "$app_pid"; wait "$app_pid" 2>/dev/null
t_ok "hsysd closes the port when the application goes" wait_until 20 \
    grep -q "no longer listening on port $HTTP01 " "$T/d.log"
MARK=$(wc -l <"$T/d.log")
t_ok "with nothing on the port, hsysd opens it for an order" \
    order --dns-name two.example.test --http-port "$HTTP01"
t_grep "and says so" "acme: opening port $HTTP01 \\(http, http-01\\)" "$T/d.log"
t_eq "and closes it after" "$(tail -n +"$MARK" "$T/d.log" | \
    grep -c "no longer listening on port $HTTP01 ")" 1
t_fail "nothing listens there now" 7 curl -s -m 5 -o /dev/null \
    "http://127.0.0.1:$HTTP01/"

# --- TLS-ALPN-01 for a name with no binding -------------------------------
t_fail "a --bind that cannot be made is refused before ordering" 2 order \
    --dns-name alpn.example.test --bind "ipport=nonsense"
t_nogrep "nothing was asked" 'challenge ready' "$T/err"
t_ok "order by tls-alpn-01, bound" order --dns-name alpn.example.test \
    --challenge tls-alpn-01 --tls-port "$TLS01" \
    --bind "hostnameport=alpn.example.test:$HTTPS"
A1=$(thumb)
t_grep "the binding follows it" "hostnameport=alpn.example.test:$HTTPS now \
follows certhash=acme:alpn.example.test" "$T/err"
t_grep "hsysd presented the challenge certificate" \
    "tls-alpn-01 validation for alpn.example.test on port $TLS01" "$T/d.log"
t_nogrep "no TLS_NoBinding for it" "TLS_NoBinding.*alpn.example.test" \
    "$T/d.log"
t_ok "acme list shows it" hsys cert acme list
t_grep "with its challenge" 'challenge: +tls-alpn-01' "$T/out"

# --- the challenge's key: in keys.db and the key process, never in hsysd ---
# held N: an order by tls-alpn-01 for heldN.example.test, its hsys stopped
# (SIGSTOP) once the challenge is pending, so that the row stays. hsys
# polls the authorization no sooner than a second after asking for the
# validation (src/acme/order.c), so the stop comes first; if it did not
# (the row gone), the order is let finish and held says so (1).
held() {
	local q="SELECT count(*) FROM acme_challenge WHERE name = 'held$1.example.test'" i
	( exec "$BUILD/hsys" cert acme order --timeout 60 \
	    --dns-name "held$1.example.test" --challenge tls-alpn-01 \
	    --tls-port "$TLS01" >"$T/held.out" 2>"$T/held.err" ) &
	hp=$!
	for i in $(seq 600); do
		if [ "$(store_sql "$q")" = 1 ]; then
			kill -STOP "$hp"
			[ "$(store_sql "$q")" = 1 ] && return 0
			kill -CONT "$hp"; wait "$hp"; return 1
		fi
		kill -0 "$hp" 2>/dev/null || { wait "$hp"; return 1; }
		sleep 0.05
	done
	return 1
}
n=1; until held $n || [ $n = 3 ]; do n=$((n + 1)); done
t_eq "an order waits on its tls-alpn-01 challenge" \
    "$(store_sql "SELECT count(*) FROM acme_challenge WHERE name = 'held$n.example.test'")" 1
KHEX=$(store_sql "SELECT hex(k.der) FROM cert c JOIN keys.key k ON k.id = \
    c.key_id WHERE c.store = 'AcmeChallenge'")
t_ok "its certificate and key are in the store (AcmeChallenge, keys.db)" \
    test -n "$KHEX"
echo "$KHEX" | xxd -r -p | openssl pkey -inform DER -out "$T/held.pem" \
    2>/dev/null
t_ok "which is a private key" openssl pkey -in "$T/held.pem" -noout
echo | timeout 10 openssl s_client -connect "127.0.0.1:$TLS01" \
    -servername "held$n.example.test" -alpn acme-tls/1 2>/dev/null |
    openssl x509 -pubkey -noout >"$T/held.served" 2>/dev/null
t_eq "hsysd presents the certificate of that key (the key process signs)" \
    "$(openssl pkey -in "$T/held.pem" -pubout 2>/dev/null)" \
    "$(cat "$T/held.served")"
MPID=$(pgrep -P "$dpid" -x hsysd-keymon)
KPID=$(pgrep -P "${MPID:-0}" -x hsysd-keys)
SCAN="/usr/bin/python3 $TOP/tests/e2e/lib/memscan.py"
$SCAN "$dpid" "$T/held.pem" >"$T/held.serving.scan"
$SCAN "${KPID:-0}" "$T/held.pem" >"$T/held.keys.scan" 2>&1
t_grep "hsysd's memory was scanned" '^scanned [1-9][0-9]* bytes' \
    "$T/held.serving.scan"
t_nogrep "and holds no form of the challenge's key" '^FOUND' \
    "$T/held.serving.scan"
t_grep "the signer holds it" "FOUND $T/held.pem EC scalar" \
    "$T/held.keys.scan"
kill -CONT "$hp"
wait "$hp"
t_eq "the order then completes" "$?" 0
t_eq "its challenge is gone" \
    "$(store_sql 'SELECT count(*) FROM acme_challenge')" 0
t_eq "and its certificate" "$(store_sql "SELECT count(*) FROM cert WHERE \
    store = 'AcmeChallenge'")" 0
# (by its bytes: the new certificate's key may take the id it had)
t_eq "and its key" "$(store_sql "SELECT count(*) FROM keys.key WHERE \
    hex(der) = '${KHEX:-none}'")" 0

# --- a binding that follows the certificate by name ------------------------
t_fail "a binding to an ACME name that does not exist is refused" 1 \
    hsys http add sslcert "hostnameport=nope.example.test:$HTTPS" \
    certhash=acme:nope.example.test "appid=$APPID"
t_grep "naming it" "no ACME certificate is named 'nope.example.test'" "$T/err"
t_ok "bind certhash=acme:www.example.test" hsys http add sslcert \
    "hostnameport=www.example.test:$HTTPS" certhash=acme:www.example.test \
    "appid=$APPID"
t_ok "an application serves it" start_app tlsapp \
    "https://www.example.test:$HTTPS/"
t_eq "a handshake sees the current certificate" "$(served www.example.test)" \
    "$W1"
t_eq "and the one --bind made sees its own" "$(served alpn.example.test)" \
    "$A1"
t_ok "show sslcert" hsys http show sslcert \
    "hostnameport=www.example.test:$HTTPS"
W1L=$(echo "$W1" | tr 'A-F' 'a-f')
t_grep "shows the current thumbprint" "Certificate Hash +: $W1L" "$T/out"
t_grep "and the ACME name" 'ACME Certificate +: www.example.test' "$T/out"

# A download of 4 MiB at 768 KiB/s: about 5 s, renewed under it (under
# valgrind, where the renewal takes longer, at 128 KiB/s: about 32 s).
rate=768k; case ${HSYS_WRAP:-} in *valgrind*) rate=128k ;; esac
curl -s -m 60 --http1.1 --limit-rate $rate -k \
    --resolve "www.example.test:$HTTPS:127.0.0.1" \
    -o "$T/big" "https://www.example.test:$HTTPS/big?n=4194304" &
dl=$!
sleep 1
t_ok "renew --force while it runs" hsys cert acme renew www.example.test \
    --force --timeout 60
W2=$(grep -oE '[0-9A-F]{40}' "$T/out" | head -1)
t_eq "a new certificate" "$([ -n "$W2" ] && [ "$W2" != "$W1" ] && echo new)" \
    new
t_eq "new handshakes see it" "$(served www.example.test)" "$W2"
t_ok "the download still runs" kill -0 "$dl"
wait "$dl"
t_eq "and completes" "$(stat -c %s "$T/big" 2>/dev/null)" 4194304
t_ok "show sslcert follows" hsys http show sslcert \
    "hostnameport=www.example.test:$HTTPS"
t_grep "with the new thumbprint" \
    "Certificate Hash +: $(echo "$W2" | tr 'A-F' 'a-f')" "$T/out"

# --- a renewal that fails: back-off, told everywhere -----------------------
hsys http add metrics url="http://127.0.0.1:$MP/metrics/" >/dev/null 2>&1
stop_pebble
t_fail "renew with the server down fails" 1 hsys cert acme renew \
    www.example.test --force --timeout 20
t_grep "saying why" 'renewing www.example.test failed: .*cannot reach' \
    "$T/err"
t_nogrep "no key in the message" 'PRIVATE KEY' "$T/err"
t_eq "the old certificate is still served" "$(served www.example.test)" "$W2"
t_ok "acme list --json" hsys cert acme list --json
cp "$T/out" "$T/list.json"
t_ok "one failure, the error, a back-off of five minutes or more" \
    /usr/bin/python3 -c '
import json, sys, time
c = {r["name"]: r for r in json.load(open(sys.argv[1]))}["www.example.test"]
assert c["failures"] == 1, c
assert "cannot reach" in c["last_error"], c
assert c["next_renewal"] >= time.time() + 290, c' "$T/list.json"
t_ok "acme list" hsys cert acme list
t_grep "shows the failures" 'failures: +1 in a row' "$T/out"
t_grep "and the last error" 'last error: .*cannot reach' "$T/out"
t_ok "servicestate --json" hsys http show servicestate --json
cp "$T/out" "$T/state.json"
t_ok "has days to expiry and the failure" /usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
c = {r["name"]: r for r in s["acme"]}["www.example.test"]
assert c["failures"] == 1 and c["days_to_expiry"] > 1, c' "$T/state.json"
t_ok "servicestate" hsys http show servicestate
t_grep "the tree says it" \
    'www.example.test: expires in [0-9.]+ days .*1 failure' "$T/out"
t_ok "the metrics page" curl -sf -m 10 -o "$T/metrics" \
    "http://127.0.0.1:$MP/metrics/"
t_grep "shows the failures" \
    '^hsys_acme_renewal_failures\{name="www.example.test"\} 1$' "$T/metrics"
t_grep "and days to expiry" \
    '^hsys_acme_certificate_expiry_days\{name="www.example.test"\} [0-9.]+$' \
    "$T/metrics"

# --- hsysd renews by itself when a certificate is due ----------------------
t_ok "pebble is back" start_pebble
t_ok "register again (pebble forgot its accounts)" hsys cert acme register \
    --server "$DIR" --ca-file "$T/ca.pem" --accept-tos
# Due now: hsysd sees the generation move at its next poll of the store,
# and starts the renewal child (it started none yet: no gap holds it).
store_sql "UPDATE acme_cert SET next_renewal = 1 WHERE name = 'two.example.test';
UPDATE meta SET value = value + 1 WHERE key = 'generation'" >/dev/null
t_ok "hsysd starts the renewal" wait_until 30 grep -q \
    'acme: renewal started .pid [0-9]*, by the key process' "$T/d.log"
t_grep "the key process's monitor runs it" \
    'hsysd-keymon.*key process: renewal started' "$T/d.log"
t_ok "which renews it" wait_until 60 grep -q 'Renewed two.example.test' \
    "$T/d.log"
t_ok "and ends" wait_until 30 grep -q 'acme: renewal (pid [0-9]*) ended: exit 0' \
    "$T/d.log"
t_ok "acme list --json" hsys cert acme list --json
cp "$T/out" "$T/list2.json"
t_ok "its next renewal is two thirds into the new lifetime" \
    /usr/bin/python3 -c '
import json, sys
c = {r["name"]: r for r in json.load(open(sys.argv[1]))}["two.example.test"]
life = c["not_after"] - c["not_before"]
assert c["failures"] == 0 and c["last_error"] == "", c
assert abs(c["next_renewal"] - (c["not_before"] + life * 2 // 3)) <= life // 30 + 1, c' \
    "$T/list2.json"

# --- revoke: at the server, then due for renewal ---------------------------
t_ok "revoke" hsys cert acme revoke two.example.test --reason 4
t_grep "says so" '^Revoked two.example.test' "$T/out"
t_ok "acme list" hsys cert acme list
t_grep "it is due, and why" 'last error: revoked by the admin' "$T/out"
t_fail "revoking a name that does not exist" 1 hsys cert acme revoke nope
t_nogrep "no key in hsysd's log" 'PRIVATE KEY' "$T/d.log"

# --- under --user nobody: the renewal runs as root, in the key part -------
if [ "$(id -u)" = 0 ]; then
	kill "$dpid"
	t_ok "the root hsysd stops" wait_until 30 gone "$dpid"
	t_eq "the keys are root's alone" \
	    "$(stat -c '%U %a' "$HSYS_HOME/keys.db")" "root 600"
	t0=$(date +%s%N)
	start_hsysd -l "$T/u.log" -p upid --workers 1 --user nobody
	t_eq "an hsysd serving as nobody" "$(grep -E '^Uid:' \
	    "/proc/$upid/status" | tr -s '\t ' ' ' | cut -d' ' -f2)" 65534
	# two.example.test is due since its revocation: a new hsysd starts
	# its renewal at once.
	t_ok "starts the due renewal, by the key process" wait_until 30 grep -q \
	    'acme: renewal started .pid [0-9]*, by the key process' "$T/u.log"
	t_ok "which renews it (as root: it read keys.db)" wait_until 60 \
	    grep -q 'Renewed two.example.test' "$T/u.log"
	t_ok "and ends with status 0" wait_until 30 grep -q \
	    'acme: renewal (pid [0-9]*) ended: exit 0' "$T/u.log"
	echo "# hsysd start to the renewal's end under --user: $((($(date +%s%N) - t0) / 1000000)) ms"
	t_nogrep "no permission error" 'ermission denied|cannot open' "$T/u.log"
	t_ok "acme list --json" hsys cert acme list --json
	cp "$T/out" "$T/list3.json"
	t_ok "the renewal is recorded" /usr/bin/python3 -c '
import json, sys
c = {r["name"]: r for r in json.load(open(sys.argv[1]))}["two.example.test"]
assert c["failures"] == 0 and c["last_error"] == "", c' "$T/list3.json"
	kill "$upid"
	t_ok "it stops" wait_until 30 gone "$upid"
fi
t_done
