# HTTP/2's settings and timeouts: Http2MaxConcurrentStreams is the
# SETTINGS_MAX_CONCURRENT_STREAMS a connection announces and one stream
# more is refused; EnableHttp2Cleartext turns h2c off and on (live, for new
# connections) and leaves TLS's h2 alone; the header wait ends a connection
# whose HEADERS never reach END_HEADERS, the idle timeout one with no
# stream open, each with a GOAWAY and its reason in httperr.log; and what
# servicestate, the metrics page and the access log say of HTTP/2.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000)) C=$((P + 1))
export PYTHONPATH="$TOP/tests/e2e/lib"
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
PY=/usr/bin/python3
PROBE="timeout 60 $PY $TOP/tests/e2e/lib/h2probe.py"

A=$(hsys cert new-selfsigned --dns-name a.test | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$A appid=$APPID >/dev/null
hsys http add setting name=Http2MaxConcurrentStreams value=3 >/dev/null
hsys http add timeout timeouttype=headerwaittimeout value=2 >/dev/null
start_hsysd --workers 2
start_app app "https://+:$P/" "http://+:$C/"
t_ok "an application serves https://+:$P/ and http://+:$C/" test -e "$T/app.ready"

ver() { curl -sk -m 20 -o /dev/null -w '%{http_version} %{http_code}' "$@"; }
httperr() { wait_until 30 grep -q " $1 " "$HSYS_HOME/log/httperr.log"; }

# One stream over the limit, once the client acknowledged it: libnghttp2
# ends the connection (GOAWAY PROTOCOL_ERROR, the three streams taken),
# as RFC 9113 §5.4.1 allows; a stream error would do too.
over='max 3 (refused (1|7)|goaway 5 1)'
out=$($PROBE 127.0.0.1 $P --tls --authority a.test:$P streams /hang)
t_ok "SETTINGS_MAX_CONCURRENT_STREAMS is the setting, one more is refused ($out)" \
    $PY -c 'import re,sys; sys.exit(not re.fullmatch(sys.argv[2], sys.argv[1]))' "$out" "$over"
out=$($PROBE 127.0.0.1 $C streams /hang)
t_ok "the same over h2c ($out)" \
    $PY -c 'import re,sys; sys.exit(not re.fullmatch(sys.argv[2], sys.argv[1]))' "$out" "$over"
t_eq "other connections are served meanwhile" \
    "$(ver --http2 --resolve a.test:$P:127.0.0.1 "https://a.test:$P/x")" "2 200"

# The header wait: a HEADERS frame without END_HEADERS, then silence.
out=$($PROBE 127.0.0.1 $C halfhead --wait 20)
t_ok "a header block left half-way ends the connection in 2-8 s ($out)" \
    $PY -c 'import re,sys; m = re.fullmatch(r"(goaway \d+ 0|closed) after (\d+)", sys.argv[1]); sys.exit(not (m and 1 <= int(m[2]) <= 8))' "$out"
t_ok "reason Timer_HeaderWait (httperr.log)" httperr Timer_HeaderWait

# h2c off, then on again; TLS's h2 stays.
hsys http add setting name=EnableHttp2Cleartext value=0 >/dev/null
t_ok "EnableHttp2Cleartext=0: prior knowledge gets no HTTP/2" \
    wait_until 30 bash -c "[ \"\$(curl -s -m 5 -o /dev/null -w '%{http_version}' \
    --http2-prior-knowledge http://127.0.0.1:$C/x)\" != 2 ]"
t_eq "HTTP/1.1 on that port is served" "$(ver --http1.1 "http://127.0.0.1:$C/x")" \
    "1.1 200"
t_eq "and h2 over TLS still is" \
    "$(ver --http2 --resolve a.test:$P:127.0.0.1 "https://a.test:$P/x")" "2 200"
hsys http add setting name=EnableHttp2Cleartext value=1 >/dev/null
t_ok "EnableHttp2Cleartext=1: h2c again" wait_until 30 prints "2 200" \
    ver --http2-prior-knowledge "http://127.0.0.1:$C/x"

# The idle timeout: a connection without streams gets a GOAWAY.
hsys http add timeout timeouttype=idleconnectiontimeout value=2 >/dev/null
sleep 1		# the configuration reaches the workers
out=$($PROBE 127.0.0.1 $C idle --wait 20)
t_ok "an idle h2 connection gets GOAWAY NO_ERROR in 1-8 s ($out)" \
    $PY -c 'import re,sys; m = re.fullmatch(r"goaway 0 0 after (\d+)", sys.argv[1]); sys.exit(not (m and 1 <= int(m[1]) <= 8))' "$out"
t_ok "reason Timer_ConnectionIdle (httperr.log)" httperr Timer_ConnectionIdle
out=$($PROBE 127.0.0.1 $C goaway '/hold?ms=3000' --wait 20)
t_eq "a stream longer than the idle timeout is not cut short" \
    "$(echo "$out" | sed 's/^goaway [0-9]* 0 //')" "status 200"

# What servicestate, the metrics page and the logs say of HTTP/2.
$PY "$TOP/tests/e2e/lib/h2get.py" 127.0.0.1 $C /x --header 'X-Upper:1' \
    >"$T/upper.json"
t_grep "a malformed request (an uppercase name) is reset" '"end": "reset 1"' \
    "$T/upper.json"
t_ok "httperr names its stream and why" wait_until 30 grep -qE \
    ' HTTP/2\.0 - - 1 - - Header ' "$HSYS_HOME/log/httperr.log"
hsys http add metrics url="http://+:$C/metrics/" >/dev/null
wait_until 30 code_is 200 --http1.1 "http://127.0.0.1:$C/metrics/" >/dev/null
hsys http show servicestate --json >"$T/state.json"
h2() { $PY -c "import json,sys; print(json.load(open(sys.argv[1]))['server']['http2'][sys.argv[2]])" "$T/state.json" "$1"; }
t_ok "servicestate counts HTTP/2 connections ($(h2 connections))" \
    test "$(h2 connections)" -ge 6
t_ok "streams ($(h2 streams)) and resets ($(h2 resets))" \
    test "$(h2 streams)" -ge 8 -a "$(h2 resets)" -ge 1
t_ok "and the requests answered over HTTP/2 ($(h2 requests))" \
    test "$(h2 requests)" -ge 3
t_grep "the text form has an HTTP/2 line" '^ +HTTP/2: [0-9]+ connections open, [0-9]+ in all; [0-9]+ streams, [0-9]+ reset; [0-9]+ requests answered$' \
    <(hsys http show servicestate)
curl -s -m 20 --http1.1 "http://127.0.0.1:$C/metrics/" >"$T/metrics"
for m in hsys_http2_connections_total hsys_http2_connections_open \
    hsys_http2_streams_total hsys_http2_stream_resets_total \
    hsys_http2_requests_total; do
	t_grep "metrics: $m" "^$m(\{\})? [0-9]" "$T/metrics"
done
t_ok "the access log names the protocol of each request" wait_until 30 \
    grep -q 'HTTP/2.0' "$HSYS_HOME/log/access.log"
t_ok "and HTTP/1.1 for the others" grep -q 'HTTP/1.1' "$HSYS_HOME/log/access.log"

kill $app_pid
kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
