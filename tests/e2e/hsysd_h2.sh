# HTTP/2 through hsysd: ALPN h2 on TLS bindings (disablehttp2=enable keeps a
# binding on HTTP/1.1), h2c with prior knowledge on http:// ports, streams
# as requests in the same queues (real clients: curl, nghttp, h2load), and
# the conformance and defence cases of tests/e2e/lib/h2conf.py.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000)) C=$((P + 1))
export PYTHONPATH="$TOP/tests/e2e/lib"
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
PY=/usr/bin/python3

A=$(hsys cert new-selfsigned --dns-name a.test | grep -oE '^[0-9A-F]{40}')
N=$(hsys cert new-selfsigned --dns-name n.test | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$A appid=$APPID >/dev/null
hsys http add sslcert hostnameport=n.test:$P certhash=$N appid=$APPID \
    disablehttp2=enable >/dev/null

start_hsysd --workers 2 --verbose
start_app app "https://+:$P/" "http://+:$C/"
t_ok "an application serves https://+:$P/ and http://+:$C/" test -e "$T/app.ready"

# Real clients.
ver() { curl -sk -o /dev/null -w '%{http_version} %{http_code}' "$@"; }
t_eq "curl --http2 over TLS speaks HTTP/2" \
    "$(ver --http2 --resolve a.test:$P:127.0.0.1 "https://a.test:$P/x")" "2 200"
t_eq "disablehttp2=enable: the same client gets HTTP/1.1" \
    "$(ver --http2 --resolve n.test:$P:127.0.0.1 "https://n.test:$P/x")" "1.1 200"
t_eq "curl --http2-prior-knowledge on the http:// port (h2c)" \
    "$(ver --http2-prior-knowledge "http://127.0.0.1:$C/x")" "2 200"
t_eq "HTTP/1.1 still served on the same http:// port" \
    "$(ver --http1.1 "http://127.0.0.1:$C/x")" "1.1 200"
out=$(curl -sk --http2 --resolve a.test:$P:127.0.0.1 "https://a.test:$P/a/b?q=1")
jq_() { echo "$out" | $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
t_eq "the application sees the path" "$(jq_ 'd["path"]')" /a/b
t_eq "and HTTP/2.0 as the version" "$(jq_ 'd.get("version")')" "[2, 0]"
t_eq "and :authority as the host" "$(jq_ 'd.get("host")')" "a.test:$P"

head -c 300000 /dev/urandom >"$T/up"
sum=$(sha256sum <"$T/up" | cut -d' ' -f1)
out=$(curl -sk --http2 --resolve a.test:$P:127.0.0.1 --data-binary @"$T/up" \
    "https://a.test:$P/up")
t_eq "an upload without content-length's framing arrives whole" \
    "$(jq_ 'd.get("body_sha256")')" "$sum"
out=$(curl -sk --http2 --resolve a.test:$P:127.0.0.1 -H 'Expect: 100-continue' \
    --data-binary @"$T/up" "https://a.test:$P/up" -v 2>"$T/cont.err")
t_grep "Expect: 100-continue gets an interim 100 over h2" '^< HTTP/2 100' \
    "$T/cont.err"
t_eq "and the body follows" "$(jq_ 'd.get("body_sha256")')" "$sum"
t_eq "a 3 MB download over h2" "$(curl -sk --http2 --resolve a.test:$P:127.0.0.1 \
    "https://a.test:$P/big?n=3000000" | wc -c)" 3000000
t_eq "HEAD over h2" "$(curl -sk --http2 -I -o /dev/null -w '%{http_code}' \
    --resolve a.test:$P:127.0.0.1 "https://a.test:$P/x")" 200

nghttp -nv "https://127.0.0.1:$P/n1" "https://127.0.0.1:$P/n2" \
    "https://127.0.0.1:$P/n3" >"$T/ng.out" 2>&1
t_eq "nghttp: three streams on one connection, all answered" \
    "$(grep -cE 'recv \(stream_id=(13|15|17)\) :status: 200' "$T/ng.out")" 3
t_nogrep "nghttp: nothing left unprocessed" 'not processed' "$T/ng.out"

h2load -n 2000 -c 4 -m 16 "https://127.0.0.1:$P/load" >"$T/h2load.out" 2>&1
t_grep "h2load: 2000 requests, all 2xx" \
    'status codes: 2000 2xx' "$T/h2load.out"
t_grep "h2load: none failed" 'requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed' "$T/h2load.out"

# Streams of one connection routed to different applications; one
# application dies with a stream open: only that stream fails.
start_app two "https://+:$P/two/"
t_ok "a second application serves https://+:$P/two/" test -e "$T/two.ready"
curl -sk --http2 --resolve a.test:$P:127.0.0.1 "https://a.test:$P/one" \
    "https://a.test:$P/two/x" -w '\n%{num_connects} %{http_version}\n' \
    >"$T/two.out" 2>&1
t_eq "two streams, one connection, two applications" \
    "$($PY -c '
import json, sys
t = open(sys.argv[1]).read()
docs = [json.loads(l) for l in t.splitlines() if l.startswith("{")]
print(len(docs), len({d["pid"] for d in docs}))' "$T/two.out")" "2 2"
nghttp -n "https://127.0.0.1:$P/two/die" "https://127.0.0.1:$P/after" \
    -v >"$T/die.out" 2>&1
t_grep "the dying application's stream gets 503 or a reset" \
    'recv (\(stream_id=13\) :status: 503|RST_STREAM frame.*stream_id=13)' "$T/die.out"
t_grep "the other stream on that connection is answered" \
    'recv \(stream_id=15\) :status: 200' "$T/die.out"

# The conformance and defence cases, over TLS and over h2c.
# Known differences (docs/http2.md): libnghttp2 ignores a HEADERS frame on
# a stream id below one already used instead of a connection error, since
# it cannot tell such a stream from one closed by a RST_STREAM the client
# had not seen yet.
timeout 300 $PY "$TOP/tests/e2e/lib/h2conf.py" 127.0.0.1 $P --tls \
    --authority a.test:$P --known "lower than a used one" >"$T/conf.out" 2>&1
t_eq "h2conf over TLS: every case passes" \
    "$(grep -c '^not ok' "$T/conf.out")" 0
grep '^not ok' "$T/conf.out" | sed 's/^/# /'
timeout 300 $PY "$TOP/tests/e2e/lib/h2conf.py" 127.0.0.1 $C --only settings \
    >"$T/conf2.out" 2>&1
t_eq "h2conf over h2c (preface, SETTINGS)" "$(grep -c '^not ok' "$T/conf2.out")" 0
t_eq "served after all of it" \
    "$(ver --http2 --resolve a.test:$P:127.0.0.1 "https://a.test:$P/x")" "2 200"

# Drain: a download under way over h2 finishes; the connection gets a
# GOAWAY.
curl -sk --http2 --limit-rate 1M --resolve a.test:$P:127.0.0.1 \
    "https://a.test:$P/big?n=3000000" -o "$T/drain" &
cpid=$!
sleep 1
kill -TERM $dpid
wait $cpid
t_eq "a download under way when hsysd drains completes" \
    "$(wc -c <"$T/drain")" 3000000
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
