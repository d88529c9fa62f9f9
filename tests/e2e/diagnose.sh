# hsys diagnose URL: one verdict per hop, each failure made on purpose —
# a host that is not this machine, no binding for the name, an expired
# certificate, no reservation for an application running as nobody, a
# prefix of another queue that shadows, a queue whose process is gone, a
# port another program holds — and the all-good case, http and https, with
# a real request (--request) answered 200 and exit 0; --json; usage.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))		# http
PS=$((P + 1)) PE=$((P + 2)) PT=$((P + 3))	# https, expired, taken
export PYTHONPATH="$TOP/tests/e2e/lib"
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
jq_() { python3 -c "import json,sys; d = json.load(sys.stdin); print($1)"; }
# dg ARGS: hsys diagnose, its output kept in $T/dg too (t_ok overwrites
# $T/out); hop NAME STATUS: the verdict line of a hop there
dg() { hsys diagnose "$@" | tee "$T/dg"; return "${PIPESTATUS[0]}"; }
dg_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups env \
	    HSYS_HOME="$HSYS_HOME" "$BUILD/hsys" diagnose "$@" | tee "$T/dg"
	return "${PIPESTATUS[0]}"
}
hop() { grep -E "^  $2 +$1 " "$T/dg" >/dev/null; }

# --- usage, and no hsysd ---------------------------------------------------
t_fail "no URL: usage" 2 dg
t_fail "not http(s): usage" 2 dg ftp://127.0.0.1/
t_grep "saying what to give" 'give an http:// or https:// URL' "$T/err"
t_fail "no hsysd: a failure" 1 dg "http://127.0.0.1:$P/good/"
t_ok "the listener says hsysd is not running" hop listener FAIL
t_grep "with the fix" 'fix: Start hsysd' "$T/dg"

# --- the configuration -------------------------------------------------------
S=$(hsys cert new-selfsigned --dns-name localhost | grep -oE '^[0-9A-F]{40}')
hsys cert export "$S" --pem "$T/s.pem" >/dev/null &&
    hsys cert import "$T/s.pem" --store Root >/dev/null
t_ok "a certificate for localhost, trusted through the Root store" \
    hsys cert verify "$S" --dns-name localhost
hsys http add sslcert hostnameport=localhost:$PS certhash=$S appid=$APPID \
    >/dev/null
# An expired certificate (with its key), made by openssl ca with dates in
# the past: new-selfsigned refuses them.
ca=$T/ca && mkdir -p "$ca" && : >"$ca/index.txt" && echo 01 >"$ca/serial"
cat >"$ca/ca.cnf" <<EOC
[ca]
default_ca = c
[c]
database = $ca/index.txt
serial = $ca/serial
new_certs_dir = $ca
default_md = sha256
policy = p
[p]
commonName = supplied
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
extendedKeyUsage = serverAuth
EOC
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$ca/k.pem" -subj /CN=localhost -out "$ca/r.csr" 2>/dev/null
openssl ca -batch -config "$ca/ca.cnf" -selfsign -keyfile "$ca/k.pem" \
    -in "$ca/r.csr" -startdate 20200101000000Z -enddate 20210101000000Z \
    -extensions ext -out "$ca/c.pem" >/dev/null 2>&1
cat "$ca/c.pem" "$ca/k.pem" >"$ca/both.pem"
hsys cert import "$ca/both.pem" >/dev/null 2>&1
OLD=$(openssl x509 -in "$ca/c.pem" -noout -fingerprint -sha1 | tr -d : |
    sed 's/.*=//')
t_ok "an expired certificate in the store" hsys cert list
t_grep "it is there" "^$OLD  CN=localhost" "$T/out"
hsys http add sslcert ipport=127.0.0.1:$PE certhash=$OLD appid=$APPID \
    >/dev/null 2>&1
t_ok "bindings for localhost:$PS and (expired) 127.0.0.1:$PE" \
    hsys http show sslcert ipport=127.0.0.1:$PE

start_hsysd --workers 1
t_ok "root's application on queue goodq" start_app good --queue goodq \
    "http://+:$P/good/"
t_ok "and one on https" start_app tls --queue tlsq "https://+:$PS/s/"

# --- all good ---------------------------------------------------------------
t_ok "http, all good: exit 0" dg "http://localhost:$P/good/x" --request
t_ok "resolution ok" hop "name resolution" ok
t_grep "names the address" 'localhost resolves to 127.0.0.1, an address of this machine' "$T/dg"
t_ok "listener ok" hop listener ok
t_grep "hsysd listens" "hsysd \(pid [0-9]+\) listens on 127.0.0.1 port $P" "$T/dg"
t_ok "no TLS: binding skipped" hop binding skipped
t_ok "reservation ok" hop reservation ok
t_grep "root needs none" "none is needed: the queue's owner is root" "$T/dg"
t_ok "registration ok" hop registration ok
t_grep "the queue and its prefix, with its class" \
    "queue goodq takes it with http://\+:$P/good/ \(strong wildcard \+" "$T/dg"
t_ok "queue ok" hop queue ok
t_grep "one process attached" 'queue goodq: 1 process attached' "$T/dg"
t_ok "request ok" hop request ok
t_grep "answered 200" "GET /good/x through 127.0.0.1 port $P: 200" "$T/dg"
t_grep "verdict" '^Verdict: every hop is fine' "$T/dg"

t_ok "https, all good: exit 0" dg "https://localhost:$PS/s/y" --request
t_ok "the binding SNI picks" hop binding ok
t_grep "is hostnameport=localhost" "hostnameport=localhost:$PS answers \(certificate $S" "$T/dg"
t_ok "certificate ok" hop certificate ok
t_ok "request ok over TLS" hop request ok

t_ok "--json" dg "https://localhost:$PS/s/y" --request --json
cp "$T/dg" "$T/good.json"
t_eq "ok and every hop's status" "$(jq_ 'd["ok"], [(h["hop"], h["status"]) for h in d["hops"]]' <"$T/good.json")" \
    "True [('resolve', 'ok'), ('listener', 'ok'), ('binding', 'ok'), ('certificate', 'ok'), ('reservation', 'ok'), ('registration', 'ok'), ('queue', 'ok'), ('request', 'ok')]"
t_eq "and the facts found" "$(jq_ 'd["address"], d["binding"], d["queue"], d["prefix"], d["http_status"], d["httperr_reason"]' <"$T/good.json")" \
    "127.0.0.1 hostnameport=localhost:$PS tlsq https://+:$PS/s/ 200 None"

# --- wrong host --------------------------------------------------------------
t_fail "a host that is not this machine: exit 1" 1 dg "http://192.0.2.1:$P/good/"
t_ok "resolution fails" hop "name resolution" FAIL
t_grep "saying where it points" '192.0.2.1 resolves to 192.0.2.1, not an address of this machine' "$T/dg"
t_fail "a name that does not resolve" 1 dg "http://no-such-host.invalid:$P/good/"
t_grep "says so" 'no-such-host.invalid does not resolve' "$T/dg"
t_fail "with --json: ok false" 1 dg "http://192.0.2.1:$P/good/" --json
t_eq "resolve fails, with a fix" "$(jq_ '[(h["status"], h["fix"] is not None) for h in d["hops"] if h["hop"] == "resolve"][0]' <"$T/dg")" "('fail', True)"

# --- missing binding ---------------------------------------------------------
t_fail "https by address, no ipport binding: exit 1" 1 \
    dg "https://127.0.0.1:$PS/s/" --request
t_ok "binding fails" hop binding FAIL
t_grep "TLS_NoBinding named" "no binding answers a client without server name on 127.0.0.1 port $PS: hsysd refuses the handshake \(TLS_NoBinding\)" "$T/dg"
t_grep "the fix adds one" "fix: hsys http add sslcert hostnameport=NAME:$PS" "$T/dg"
t_ok "the request fails too" hop request FAIL
t_grep "with httperr's reason" 'httperr: TLS_NoBinding' "$T/dg"
t_fail "the same in JSON" 1 dg "https://127.0.0.1:$PS/s/" --request --json
t_eq "no binding, no status, httperr's reason" "$(jq_ 'd["binding"], d["http_status"], d["httperr_reason"]' <"$T/dg")" "None None TLS_NoBinding"

# --- a request hsysd refuses, with httperr's reason ---------------------------
t_fail "a path no prefix takes: exit 1" 1 dg "http://127.0.0.1:$P/nothing/" --request
t_ok "registration fails" hop registration FAIL
t_grep "the request says 404 and httperr's NotFound" "GET /nothing/ through 127.0.0.1 port $P: status 404; httperr: NotFound" "$T/dg"

# --- expired certificate ----------------------------------------------------
t_fail "an expired certificate: exit 1" 1 dg "https://127.0.0.1:$PE/"
t_ok "the binding is found" hop binding ok
t_grep "ipport=127.0.0.1" "ipport=127.0.0.1:$PE answers \(certificate $OLD" "$T/dg"
t_ok "certificate fails" hop certificate FAIL
t_grep "expired, said" "$OLD \(CN=localhost\) cannot serve 127.0.0.1: .*expired" "$T/dg"

# --- the wrong scheme for the port ---------------------------------------------
t_fail "http:// on a port a binding makes TLS: exit 1" 1 dg "http://127.0.0.1:$PE/"
t_ok "the listener fails" hop listener FAIL
t_grep "naming the binding" "hsysd serves port $PE in https \(ipport=127.0.0.1:$PE opens it\), not http" "$T/dg"
t_fail "https:// on a cleartext port: exit 1" 1 dg "https://localhost:$P/good/"
t_grep "the listener says so" "hsysd serves port $P in http, not https" "$T/dg"

# --- missing reservation ----------------------------------------------------
pub=$(mktemp -d) && chmod 1777 "$pub"
(cd / && exec setpriv --reuid=65534 --regid=65534 --clear-groups env \
    HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" python3 \
    "$PYTHONPATH/echoapp.py" --ready "$pub/nb.ready" --queue nbq \
    "http://+:$P/nb/" >"$T/nb.out" 2>&1)
t_grep "nobody's application is refused" 'refused' "$T/nb.out"
t_fail "no reservation: exit 1" 1 dg "http://127.0.0.1:$P/nb/page"
t_ok "reservation fails" hop reservation FAIL
t_grep "says no urlacl covers it" "no reservation covers http://127.0.0.1:$P/nb/page" "$T/dg"
t_grep "the fix reserves the directory" "fix: hsys http add urlacl url=http://\+:$P/nb/ user=USER" "$T/dg"
t_ok "and nothing is registered" hop registration FAIL
hsys http add urlacl url="http://+:$P/nb/" user=nobody >/dev/null
(cd / && exec setpriv --reuid=65534 --regid=65534 --clear-groups env \
    HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" python3 \
    "$PYTHONPATH/echoapp.py" --ready "$pub/nb.ready" --queue nbq \
    "http://+:$P/nb/" >"$T/nb.out" 2>&1) &
t_ok "with the reservation, nobody's application serves" \
    wait_until 30 test -e "$pub/nb.ready"
t_ok "and diagnose is content" dg "http://127.0.0.1:$P/nb/page" --request
t_grep "naming the grant" "http://\+:$P/nb/ covers http://\+:$P/nb/ and grants nobody" "$T/dg"

# The configuration (hsys.db) is readable by every user, as on Windows;
# only keys.db is root's.
t_ok "as nobody: the configuration is in sight, every hop is fine" \
    dg_nobody "http://127.0.0.1:$P/nb/page"
t_ok "nobody sees its own queue" hop registration ok
t_ok "and the reservations" hop reservation ok
t_grep "and says what it cannot see" '^Note: not root' "$T/dg"
t_fail "nobody does not see root's queue: unknown, exit 1" 1 dg_nobody "http://127.0.0.1:$P/good/"
t_ok "registration unknown" hop registration unknown
t_grep "and says other users' queues are hidden" 'other users.+ are hidden' "$T/dg"

# --- a shadowing prefix ------------------------------------------------------
t_ok "another queue registers a longer prefix" start_app long --queue longq \
    "http://+:$P/good/api/"
t_fail "expected goodq, longq wins: exit 1" 1 \
    dg "http://127.0.0.1:$P/good/api/v1" --queue goodq
t_ok "registration fails" hop registration FAIL
t_grep "naming the winner and the loser" "queue longq's http://\+:$P/good/api/ \(strong wildcard \+, path 10 bytes\) takes the URL, not queue goodq; also matching: http://\+:$P/good/ \(queue goodq\)" "$T/dg"
t_ok "without --queue: a warning, exit 0" dg "http://127.0.0.1:$P/good/api/v1"
t_ok "registration warns" hop registration warning
t_grep "it shadows goodq's prefix" "it shadows http://\+:$P/good/ \(queue goodq\)" "$T/dg"

# --- no process on the queue -------------------------------------------------
t_ok "an application with a long grace period" start_app gone --queue goneq \
    --grace 120000 "http://+:$P/gone/"
kill "$gone_pid"; wait "$gone_pid" 2>/dev/null
gone_empty() { hsys http show servicestate --json | jq_ '[len(q["processes"]) for q in d["queues"] if q["name"] == "goneq"]' | grep -qx '\[0\]'; }
t_ok "it exits; its queue lingers" wait_until 30 gone_empty
t_fail "no process: exit 1" 1 dg "http://127.0.0.1:$P/gone/"
t_ok "the registration still stands" hop registration ok
t_ok "the queue fails" hop queue FAIL
t_grep "no process attached" 'queue goneq has no process attached: its application exited; the queue lingers for its grace period' "$T/dg"

# --- a port another program holds -------------------------------------------
python3 -c "import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $PT)); s.listen(); open('$T/py.ready', 'w').close()
time.sleep(120)" &
py=$!
t_ok "a python program listens on 127.0.0.1:$PT" \
    wait_until 30 test -e "$T/py.ready"
t_fail "port taken: exit 1" 1 dg "http://127.0.0.1:$PT/t/"
t_ok "the listener fails" hop listener FAIL
t_grep "naming the program and its pid" "port $PT on 127.0.0.1 is held by another program: python3 \(pid $py\), not hsysd" "$T/dg"
kill "$py"

# --- iplisten leaves the address out -----------------------------------------
hsys http add iplisten ipaddress=127.0.0.9 >/dev/null
t_fail "iplisten without 127.0.0.1, nothing on the port: exit 1" 1 \
    dg "http://127.0.0.1:$PT/t/"
t_grep "iplisten named" "the iplisten list \(127.0.0.9\) leaves 127.0.0.1 out" "$T/dg"
hsys http delete iplisten ipaddress=127.0.0.9 >/dev/null

t_done
