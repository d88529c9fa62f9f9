# hsys http show servicestate and the metrics page: what a running hsysd
# reports (the STATE request on its socket), for root and for another user;
# counters that move with requests; hsys http add|delete|show metrics and
# the Prometheus page at the prefix chosen, its format and its conflicts;
# and a clear error when no hsysd runs.
. "$(dirname "$0")/lib.sh"

# Below the ephemeral range (32768-): a port some client connection holds
# there makes bind fail now and then on a busy machine.
P=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/tests/e2e/lib"
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null
state() { hsys http show servicestate "$@"; }
jq_() { python3 -c "import json,sys; d = json.load(sys.stdin); print($1)"; }

t_fail "no hsysd: exit 3" 3 state
t_grep "and it says so, naming the socket" \
    "hsysd is not running \(nothing listens on $HSYS_HOME/hsysd.sock\)" "$T/err"
t_fail "with --json too" 3 state --json
t_eq "nothing on stdout" "$(wc -c <"$T/out")" 0

start_hsysd --workers 2 --verbose

t_ok "root's application serves queue rootq" start_app app1 --queue rootq \
    "http://+:$P/root/"
t_ok "a second root process attaches to rootq" start_app app2 --queue rootq

hsys http add urlacl url="http://+:$P/nb/" user=nobody >/dev/null
pub=$(mktemp -d) && chmod 1777 "$pub"	# nobody writes its ready file here
(cd / && exec setpriv --reuid=65534 --regid=65534 --clear-groups env \
    HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" python3 \
    "$PYTHONPATH/echoapp.py" --ready "$pub/nb.ready" --queue nbq \
    "http://+:$P/nb/" >"$T/nb.out" 2>&1) &
nb_pid=$!
t_ok "nobody's application serves queue nbq" \
    wait_until 30 test -e "$pub/nb.ready"
as_nobody() {
	(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups env \
	    HSYS_HOME="$HSYS_HOME" "$@")
}

for i in 1 2 3; do curl -s "http://127.0.0.1:$P/root/$i" >/dev/null; done
curl -s "http://127.0.0.1:$P/nb/x" >/dev/null
code "http://127.0.0.1:$P/nothing/" >/dev/null	# 404

# --- the tree, as root ----------------------------------------------------
t_ok "root: servicestate" state
cp "$T/out" "$T/tree"
t_grep "a heading" '^Snapshot of the hsys service state:' "$T/tree"
t_grep "the server's pid" "^    Process ID: $dpid\$" "$T/tree"
t_grep "its workers" '^    Workers: 2$' "$T/tree"
t_grep "its memory" '^    Memory \(RSS\): [1-9][0-9]* KB$' "$T/tree"
t_grep "requests by class" \
    '^    Requests: 5 \(1xx 0, 2xx 4, 3xx 0, 4xx 1, 5xx 0\)$' "$T/tree"
t_grep "the listener" "^    http port $P\$" "$T/tree"
t_grep "its addresses" '^        Addresses: 0.0.0.0, ::$' "$T/tree"
t_grep "its prefixes" '^        Registered prefixes: 2$' "$T/tree"
t_grep "queue rootq" '^    Request queue name: rootq$' "$T/tree"
t_grep "queue nbq" '^    Request queue name: nbq$' "$T/tree"
t_grep "rootq's two processes" \
    '^        Number of active processes attached: 2$' "$T/tree"
t_grep "app1 by pid and user" "^            ID: $app1_pid, user: root, application: echoapp\$" "$T/tree"
t_grep "nobody's process" "^            ID: $nb_pid, user: nobody," "$T/tree"
t_grep "rootq's prefix" "^            http://\+:$P/root/\$" "$T/tree"
t_grep "metrics are off" '^    Metrics: off$' "$T/tree"

# --- JSON, as root and as nobody -----------------------------------------
t_ok "root: --json" state --json
cp "$T/out" "$T/root.json"
t_eq "root sees both queues" \
    "$(jq_ 'sorted(q["name"] for q in d["queues"])' <"$T/root.json")" \
    "['nbq', 'rootq']"
t_eq "and says so" "$(jq_ 'd["all_queues"], d["uid"]' <"$T/root.json")" \
    "True 0"
t_eq "rootq: owner, processes by pid" "$(jq_ '[(q["owner"], sorted(p["pid"]
    for p in q["processes"])) for q in d["queues"] if q["name"] == "rootq"][0]' \
    <"$T/root.json")" "('root', $(python3 -c "print(sorted([$app1_pid, $app2_pid]))"))"
t_eq "nbq: owner and prefix" "$(jq_ '[(q["owner_uid"], q["owner"], q["prefixes"])
    for q in d["queues"] if q["name"] == "nbq"][0]' <"$T/root.json")" \
    "(65534, 'nobody', ['http://+:$P/nb/'])"
t_eq "server totals" "$(jq_ 'd["server"]["pid"], d["server"]["workers"],
    d["server"]["requests"], d["server"]["responses"]["2xx"]' <"$T/root.json")" \
    "$dpid 2 5 4"
t_eq "the listener" "$(jq_ '[(l["port"], l["scheme"], l["prefixes"])
    for l in d["listeners"]]' <"$T/root.json")" "[($P, 'http', 2)]"

t_ok "nobody: --json" as_nobody "$BUILD/hsys" http show servicestate --json
cp "$T/out" "$T/nb.json"
t_eq "nobody sees only nbq" \
    "$(jq_ '[q["name"] for q in d["queues"]]' <"$T/nb.json")" "['nbq']"
t_eq "and is told it is not all" "$(jq_ 'd["all_queues"], d["uid"]' \
    <"$T/nb.json")" "False 65534"
t_eq "the totals and listeners are there for nobody too" \
    "$(jq_ 'd["server"]["requests"], len(d["listeners"])' <"$T/nb.json")" "5 1"
t_ok "nobody: the tree" as_nobody "$BUILD/hsys" http show servicestate
t_nogrep "without rootq" 'rootq' "$T/out"
t_grep "with nbq" 'Request queue name: nbq' "$T/out"

t_ok "view=queues" state view=queues
t_nogrep "shows no server" '^Server:' "$T/out"
t_grep "but the queues" '^Request queues:' "$T/out"
t_ok "view=requestq (netsh's name) as JSON" state view=requestq --json
t_eq "has queues only" "$(jq_ 'sorted(d.keys())' <"$T/out")" \
    "['all_queues', 'queues', 'uid', 'version']"
t_fail "view=bogus: a usage error" 2 state view=bogus
t_grep "naming the views" 'view=bogus: use all, server, listeners or queues' "$T/err"
t_fail "add servicestate: refused" 2 hsys http add servicestate

# --- counters move ---------------------------------------------------------
python3 -c "import socket, time
s = socket.create_connection(('127.0.0.1', $P)); time.sleep(30)" &
holder=$!
open_is() { [ "$(state --json | jq_ "$1")" = "$2" ]; }
t_ok "an idle connection shows on its listener" \
    wait_until 30 open_is 'd["listeners"][0]["connections_open"]' 1
t_ok "and in the server's count" \
    wait_until 30 open_is 'd["server"]["connections_open"]' 1
kill "$holder"; wait "$holder" 2>/dev/null
t_ok "and goes when it closes" \
    wait_until 30 open_is 'd["listeners"][0]["connections_open"]' 0
rootq() { echo '[q for q in d["queues"] if q["name"] == "rootq"][0]'"$1"; }
curl -s -m 20 "http://127.0.0.1:$P/root/hang" >/dev/null &
hang=$!
t_ok "a request the application holds is active" \
    wait_until 30 open_is "$(rootq '["active"]')" 1
kill "$hang"; wait "$hang" 2>/dev/null
t_ok "and no longer when the client leaves" \
    wait_until 30 open_is "$(rootq '["active"]')" 0
t_eq "a process dying with a request: 503" \
    "$(code -m 10 "http://127.0.0.1:$P/root/die")" 503
t_ok "counted on its queue" \
    wait_until 30 open_is "$(rootq '["unavailable_503"]')" 1
t_eq "which lives on with its other process" \
    "$(state --json | jq_ "len($(rootq '["processes"]'))")" 1
t_eq "the server counts 6 answered requests now (not the one cut short)" \
    "$(state --json | jq_ 'd["server"]["requests"], d["server"]["responses"]["5xx"]')" \
    "6 1"

# --- metrics -------------------------------------------------------------
t_ok "show metrics: off" hsys http show metrics --json
t_eq "url null" "$(cat "$T/out")" '{"url": null}'
t_fail "delete metrics when off: 2" 1 hsys http delete metrics
t_grep "netsh's line" 'Metrics delete failed, Error: 2' "$T/err"
t_fail "a bad prefix: 87" 2 hsys http add metrics url=http://+:$P/metrics
t_fail "no url: 87" 2 hsys http add metrics
t_ok "add metrics" hsys http add metrics url="http://+:$P/metrics/"
t_fail "twice: 183" 1 hsys http add metrics url="http://+:$P/m2/"
t_grep "which says where it is" "served at http://\+:$P/metrics/ already" "$T/err"
t_ok "export has it" hsys http export
t_grep "as a line hsys -f applies" "^http add metrics url=http://\+:$P/metrics/\$" "$T/out"
t_ok "show metrics" hsys http show metrics
t_grep "names the prefix" "URL: http://\+:$P/metrics/" "$T/out"
M="http://127.0.0.1:$P/metrics/"
t_ok "hsysd serves it" wait_until 30 code_is 200 "$M"
curl -s -D "$T/mh" "$M" >"$T/m1"
t_grep "in Prometheus's text format 0.0.4" \
    '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$T/mh"
t_ok "every line is HELP, TYPE or a well-formed sample" \
    python3 "$PYTHONPATH/promcheck.py" <"$T/m1"
cp "$T/out" "$T/s1"
sample() { grep -F "$1 " "$2" | head -1 | awk '{print $NF}' | sed 's/\.0$//'; }
t_eq "requests by code (4, and the probe that found the page)" \
    "$(sample 'hsys_requests_total{code="200"}' "$T/s1")" 5
t_eq "a 404" "$(sample 'hsys_requests_total{code="404"}' "$T/s1")" 1
t_eq "the histogram counts every answered request" \
    "$(sample 'hsys_request_duration_seconds_count{}' "$T/s1")" 7
t_eq "queue gauges" "$(sample 'hsys_queue_unavailable_total{queue="rootq"}' "$T/s1")" 1
t_eq "handshake failures" "$(sample 'hsys_tls_handshake_failures_total{}' "$T/s1")" 0
for i in 1 2 3; do curl -s "http://127.0.0.1:$P/root/$i" >/dev/null; done
curl -s "$M" | python3 "$PYTHONPATH/promcheck.py" >"$T/s2"
t_eq "three requests and the last scrape later: 200s +4" \
    "$(sample 'hsys_requests_total{code="200"}' "$T/s2")" 9
t_eq "the histogram too" \
    "$(sample 'hsys_request_duration_seconds_count{}' "$T/s2")" 11
t_eq "the servicestate shows the page" \
    "$(state --json | jq_ 'd["server"]["metrics"]')" \
    "{'url': 'http://+:$P/metrics/', 'error': None}"
t_eq "HEAD is answered" "$(code -I "$M")" 200
t_eq "POST is not: 405" "$(code -X POST "$M")" 405
r=$(python3 "$PYTHONPATH/echoapp.py" "http://+:$P/metrics/" 2>&1 | head -1)
t_eq "an application cannot take the metrics prefix: EEXIST" \
    "$(echo "$r" | cut -d' ' -f1-2)" "refused 17"
t_ok "delete metrics" hsys http delete metrics
t_ok "the page goes: 404 on a port still served" \
    wait_until 30 code_is 404 "$M"
t_ok "metrics at a prefix an application holds" \
    hsys http add metrics url="http://+:$P/root/"
t_ok "are not served, and servicestate says why" \
    wait_until 30 open_is 'd["server"]["metrics"]["error"] is not None' True
state >"$T/out"
t_grep "in the tree too" "Metrics: http://\+:$P/root/ \(not served: .*registered already" "$T/out"
t_eq "the application keeps its prefix" \
    "$(curl -s "http://127.0.0.1:$P/root/x" | jq_ 'd["prefix"]')" "http://+:$P/root/"
hsys http delete metrics >/dev/null

# --- https: the page behind a binding, bindings shown, handshakes failing --
PS=$((P + 1))
C=$(hsys cert new-selfsigned --dns-name localhost | grep -oE '^[0-9A-F]{40}')
t_ok "a certificate for it" test -n "$C"
hsys http add sslcert ipport=0.0.0.0:$PS certhash=$C \
    appid='{00112233-4455-6677-8899-aabbccddeeff}' >/dev/null
t_ok "metrics over https" hsys http add metrics url="https://+:$PS/metrics/"
MS="https://127.0.0.1:$PS/metrics/"
t_ok "served through the binding" wait_until 30 code_is 200 -k "$MS"
t_grep "hsysd says so" "metrics: serving https://\+:$PS/metrics/" "$T/d.log"
t_eq "the https listener and its binding" "$(state --json | jq_ '[(l["scheme"],
    l["bindings"]) for l in d["listeners"] if l["port"] == '$PS']')" \
    "[('https', ['ipport=0.0.0.0:$PS'])]"
state view=listeners >"$T/out"
t_grep "in the tree too" "^        Bindings: ipport=0.0.0.0:$PS\$" "$T/out"
before=$(curl -sk "$MS" | python3 "$PYTHONPATH/promcheck.py" |
    grep -F 'hsys_tls_handshake_failures_total{}' | awk '{print $2}')
curl -s -m 5 "http://127.0.0.1:$PS/" >/dev/null 2>&1	# clear text to TLS
failures() { [ "$(state --json | jq_ 'd["server"]["tls_handshake_failures"]')" \
    -ge "$1" ]; }
t_ok "clear text to the https port: handshake failures counted" \
    wait_until 30 failures $((${before%.*} + 1))
t_eq "on the page too" "$(curl -sk "$MS" | python3 "$PYTHONPATH/promcheck.py" |
    grep -F 'hsys_tls_handshake_failures_total{}' | awk '{print $2}' |
    sed 's/\.0$//')" "$(state --json | jq_ 'd["server"]["tls_handshake_failures"]')"
hsys http delete metrics >/dev/null
# The binding keeps its port open (hsysd listens on every binding's port).
t_ok "without the page, no registration is left on the binding's port: 400" \
    wait_until 30 code_is 400 -k "$MS"

hsys http add metrics url="http://+:$P/metrics/" >/dev/null
t_ok "metrics on again" wait_until 30 code_is 200 "$M"

rm -rf "$pub"
kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly, with the page on" "$?" 0
t_fail "then servicestate: exit 3 again" 3 state
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
