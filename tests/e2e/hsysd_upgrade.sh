# Upgrade tunnels, interim responses and request trailers through hsysd:
# a WebSocket-style client (tests/e2e/lib/tunnelclient.py, raw sockets,
# cleartext and TLS) against tests/e2e/lib/echoapp.py answering 101 and
# echoing: bytes both ways, several MiB under back-pressure, half-close
# each way, the application dying mid-tunnel; a 101 to a request without
# Upgrade; 103 Early Hints relayed (not to HTTP/1.0); chunked trailers
# reaching the application, and malformed ones refused.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000)) PS=$((P + 1))
export PYTHONPATH="$TOP/tests/e2e/lib"
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null
APPID='{00112233-4455-6677-8899-aabbccddeeff}'

CERT=$(hsys cert new-selfsigned --dns-name tunnel.test | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$PS certhash=$CERT appid=$APPID >/dev/null

start_hsysd --workers 2 --verbose

# start_app: (re)starts echoapp on both ports, waits until it serves
n_app=0
start_app() {
	n_app=$((n_app + 1))
	python3 "$PYTHONPATH/echoapp.py" --ready "$T/app$n_app.ready" \
	    "http://+:$P/app/" "https://+:$PS/app/" >>"$T/app.out" 2>&1 &
	wait_until 30 test -e "$T/app$n_app.ready"
}
t_ok "the echo application registers http and https" start_app

client() { timeout 120 python3 "$PYTHONPATH/tunnelclient.py" "$@"; }

for tls in "" --tls; do
	port=$P; [ -n "$tls" ] && port=$PS
	what=${tls:+TLS: }
	t_ok "${what}101, echo both ways, 6 MiB, another client served" \
	    client echo $port $tls
	cp "$T/out" "$T/echo$tls.out"
	t_grep "${what}the tunnel's head is complete" \
	    'ok the application.s Sec-WebSocket-Accept' "$T/echo$tls.out"
	t_ok "${what}a client that does not read stalls the tunnel, bounded" \
	    client bounded $port $tls
	grep '^#' "$T/out"
	t_ok "${what}the application's END half-closes towards the client" \
	    client bye $port $tls
	t_ok "${what}the application dying mid-tunnel closes the client" \
	    client die $port $tls
	sleep 0.3	# its registrations go, and so do the ports
	t_ok "${what}the application starts again" start_app
done
t_grep "client half-close: the echo still comes, then EOF" \
    'ok client half-close' "$T/echo.out"
# The application's END came first; the client's later bytes still reach
# it (twice: cleartext, then TLS where the client closes instead).
wait_until 30 grep -q 'wsbye got 1000' "$T/app.out"
t_grep "after its END the application still gets the client's bytes" \
    'wsbye got 1000' "$T/app.out"

t_ok "an Upgrade request answered normally stays HTTP; with a body, no upgrade" \
    client plain $P
t_eq "a 101 to a request without Upgrade: 502" \
    "$(code "http://127.0.0.1:$P/app/ws")" 502
t_eq "a 101 to HTTP/1.0 (Upgrade ignored there): 502" \
    "$(code -0 -H 'Upgrade: websocket' -H 'Connection: Upgrade' \
    "http://127.0.0.1:$P/app/ws")" 502
t_eq "the application still serves after refused 101s" \
    "$(code "http://127.0.0.1:$P/app/")" 200

# 103 Early Hints.
curl -sv "http://127.0.0.1:$P/app/hints" -o "$T/hints.body" 2>"$T/hints.err"
t_grep "103 Early Hints reaches the client" '^< HTTP/1.1 103 Early Hints' \
    "$T/hints.err"
t_grep "with the application's Link header" '^< Link: </style.css>' \
    "$T/hints.err"
t_grep "then the final 200" '^< HTTP/1.1 200' "$T/hints.err"
t_grep "and its body" '"path": "/app/hints"' "$T/hints.body"
curl -sv -0 "http://127.0.0.1:$P/app/hints" -o /dev/null 2>"$T/hints10.err"
t_nogrep "an HTTP/1.0 client gets no 103" ' 103 ' "$T/hints10.err"
t_grep "only the final answer" '^< HTTP/1.1 200' "$T/hints10.err"
curl -sk -v --resolve tunnel.test:$PS:127.0.0.1 \
    "https://tunnel.test:$PS/app/hints" -o /dev/null 2>"$T/hintstls.err"
# (curl offers h2: the 103 comes as an HTTP/2 interim HEADERS then.)
t_grep "TLS: 103 Early Hints too" '^< HTTP/(1.1 103 Early Hints|2 103)' \
    "$T/hintstls.err"

# Trailers.
raw() {	# raw PORT BYTES(python literal): prints what came back
	timeout 30 python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(eval(sys.argv[2]))
data = b""
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        data += d
except socket.timeout:
    pass
sys.stdout.buffer.write(data)
PY
}
body() { sed -n '/^\r$/,$p' | tail -n +2; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
out=$(raw $P "b'POST /app/t HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n3\r\nabc\r\n0\r\nX-Checksum:  sha-abc \r\nContent-Length: 99\r\nHost: evil\r\nX-Empty:\r\n\r\n'")
t_eq "chunked trailers reach the application, OWS trimmed" \
    "$(echo "$out" | body | json '["trailers"]')" \
    "[['X-Checksum', 'sha-abc'], ['X-Empty', '']]"
t_eq "with the body before them" "$(echo "$out" | body | json '["body_len"]')" 3
out=$(curl -s -H 'Transfer-Encoding: chunked' --data-binary @<(head -c 300000 /dev/zero) \
    "http://127.0.0.1:$P/app/t")
t_eq "no trailers: an empty list" "$(echo "$out" | json '["trailers"]')" "[]"
t_eq "and the whole body" "$(echo "$out" | json '["body_len"]')" 300000
for bad in 'X: a\r\n b' 'X : a' 'X: a\rb' 'X: a\nY: b' 'X\x01: a'; do
	t_eq "malformed trailer '$bad': 400" "$(raw $P "b'POST /app/t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n$bad\r\n\r\n'" |
	    head -1 | tr -d '\r')" "HTTP/1.1 400 Bad Request"
done
t_eq "a trailer section over 16 KiB: 431" "$(raw $P "b'POST /app/t HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n' + b'X-Long: ' + b'a' * 9000 + b'\r\nY-Long: ' + b'b' * 9000 + b'\r\n\r\n'" |
    head -1 | tr -d '\r')" "HTTP/1.1 431 Request Header Fields Too Large"
t_eq "hsysd still serves after malformed trailers" \
    "$(code "http://127.0.0.1:$P/app/")" 200

kill $dpid
wait $dpid
t_eq "hsysd exits cleanly" "$?" 0
t_done
