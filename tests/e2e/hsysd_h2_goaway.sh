# HTTP/2's graceful ends (RFC 9113 §6.8): a GOAWAY with the last stream id
# when a TLS binding is removed (the stream under way finishes; HTTP/1.1
# keep-alive connections on it end after their response in flight), on SIGTERM's
# drain, and across a hand-over under h2load: the old hsysd says GOAWAY
# (first with the highest id, then with the last one once a PING shows the
# client saw it), so no stream the client sent is lost.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000)) C=$((P + 1))
export PYTHONPATH="$TOP/tests/e2e/lib"
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
PY=/usr/bin/python3
PROBE="timeout 60 $PY $TOP/tests/e2e/lib/h2probe.py"

A=$(hsys cert new-selfsigned --dns-name a.test | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$A appid=$APPID >/dev/null
start_hsysd --workers 2
$PY "$TOP/tests/e2e/lib/echoapp.py" --reconnect --ready "$T/app.ready" \
    "https://+:$P/" "http://127.0.0.1:$C/" >"$T/app.log" 2>&1 &
app=$!
t_ok "an application serves https://+:$P/ and http://127.0.0.1:$C/" \
    wait_until 60 grep -q ready "$T/app.ready"

# A binding removed while a stream is under way on it, and while two
# HTTP/1.1 keep-alive connections are on it: one between requests, one
# with a request in flight.
H1="timeout 60 $PY $TOP/tests/e2e/lib/h1keep.py 127.0.0.1 $P a.test:$P"
$H1 /x --wait 30 >"$T/h1idle.out" &
h1idle=$!
$H1 /x '/hold?ms=3000' --wait 30 >"$T/h1busy.out" &
h1busy=$!
$PROBE 127.0.0.1 $P --tls --authority a.test:$P goaway '/hold?ms=3000' \
    --wait 30 >"$T/unbind.out" &
probe=$!
wait_until 30 bash -c "[ \$(grep -c '^held' '$T/app.log') -ge 2 ]"
wait_until 30 grep -q '^first' "$T/h1idle.out"
hsys http delete sslcert ipport=0.0.0.0:$P >/dev/null
wait $probe $h1idle $h1busy
t_eq "the binding's removal: GOAWAY NO_ERROR naming the stream, which finishes" \
    "$(cat "$T/unbind.out")" "goaway 1 0 status 200"
t_eq "an HTTP/1.1 keep-alive connection between requests is closed" \
    "$(cat "$T/h1idle.out")" "$(printf 'first 200 -\nclosed')"
t_eq "one with a request in flight gets it, with Connection: close, then EOF" \
    "$(cat "$T/h1busy.out")" "$(printf 'first 200 -\nsecond 200 close\nclosed')"
t_ok "a new connection finds no binding" wait_until 30 bash -c \
    "! curl -sk -m 5 --http2 https://127.0.0.1:$P/x -o /dev/null"
t_eq "h2c on the http:// port is not touched" \
    "$(curl -s -m 20 -o /dev/null -w '%{http_version} %{http_code}' \
    --http2-prior-knowledge "http://127.0.0.1:$C/x")" "2 200"

# A hand-over under load: h2load over h2c while a new hsysd takes over.
timeout 120 h2load -n 60000 -c 4 -m 8 --log-file "$T/h2load.log" \
    "http://127.0.0.1:$C/load" >"$T/h2load.out" 2>&1 &
load=$!
wait_until 30 test -s "$T/h2load.log"
$HSYS_WRAP "$BUILD/hsysd" --workers 2 --verbose --takeover 2>"$T/b.log" &
b=$!
t_ok "the new hsysd takes over" wait_until 60 grep -q 'handover: took' "$T/b.log"
t_ok "the old one drains and exits" wait_until 60 gone $dpid
wait $dpid
t_eq "with status 0" "$?" 0
t_ok "h2load ends" wait_until 120 gone $load
grep -E '^requests:|^status codes:' "$T/h2load.out" | sed 's/^/# /'
# h2load opens no new connection after a GOAWAY: it counts the requests it
# had not sent yet as failed (never sent, start time 0 in its log). Every
# request it did send must have succeeded.
t_eq "every request h2load sent across the hand-over got 200" \
    "$(awk -F'\t' '$1 != 0 && $2 != 200' "$T/h2load.log" | wc -l)" 0
t_ok "and it sent a real load (over 500)" \
    test "$(awk -F'\t' '$2 == 200' "$T/h2load.log" | wc -l)" -gt 500
t_grep "no 4xx or 5xx" 'status codes: [0-9]+ 2xx, 0 3xx, 0 4xx, 0 5xx' "$T/h2load.out"
t_grep "the old hsysd drained" 'drained|drain bound' "$T/d.log"
t_ok "the application is back on the new one" \
    wait_until 60 grep -q 'reconnected' "$T/app.ready"
t_ok "which serves h2c" wait_until 60 prints "2 200" curl -s -m 10 -o /dev/null \
    -w '%{http_version} %{http_code}' --http2-prior-knowledge "http://127.0.0.1:$C/x"

# Drain: SIGTERM while a stream is under way; GOAWAY names it.
$PROBE 127.0.0.1 $C goaway '/hold?ms=3000' --wait 30 >"$T/drain.out" &
probe=$!
wait_until 30 bash -c "[ \$(grep -c '^held' '$T/app.log') -ge 3 ]"
kill -TERM $b
wait $probe
t_eq "SIGTERM: GOAWAY NO_ERROR naming the stream, which finishes" \
    "$(cat "$T/drain.out")" "goaway 1 0 status 200"
wait $b
t_eq "the new hsysd stops cleanly" "$?" 0
kill $app 2>/dev/null
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log" "$T/b.log"
t_done
