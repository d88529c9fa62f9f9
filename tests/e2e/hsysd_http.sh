# The cleartext serving path end to end: curl and raw sockets as clients,
# hsysd in the middle, tests/e2e/lib/echoapp.py as the application. Routing
# and its status codes, cooked paths, bodies streamed both ways under
# credit, pipelining, HEAD, malformed requests, an application dying, URL
# ACLs for other users, and registration conflicts.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000)) P2=$((P + 1)) P3=$((P + 2)) P4=$((P + 3))
export PYTHONPATH="$TOP/tests/e2e/lib"
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null

start_hsysd --workers 2 --verbose

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# (Grace 0: when it dies below, its prefixes go at once; hsysd_queue
# tests the grace period.)
t_ok "an application registers two prefixes" start_app app --grace 0 \
    "http://+:$P/app/" "http://www.example.test:$P2/site/"
t_grep "hsysd logs the registration" "registered http://\+:$P/app/" "$T/d.log"

out=$(curl -s "http://127.0.0.1:$P/app/x/y?q=1&r=2")
t_eq "GET reaches the app: method" "$(echo "$out" | json '["method"]')" GET
t_eq "raw URL as sent" "$(echo "$out" | json '["raw_url"]')" "/app/x/y?q=1&r=2"
t_eq "cooked path" "$(echo "$out" | json '["path"]')" "/app/x/y"
t_eq "query" "$(echo "$out" | json '["query"]')" "q=1&r=2"
t_eq "host" "$(echo "$out" | json '["host"]')" "127.0.0.1:$P"
t_eq "the matched prefix" "$(echo "$out" | json '["prefix"]')" "http://+:$P/app/"
t_eq "the peer address" "$(echo "$out" | json '["peer"][0]')" 127.0.0.1
t_eq "the local port" "$(echo "$out" | json '["local"][1]')" "$P"
t_eq "version 1.1" "$(echo "$out" | json '["version"]')" "[1, 1]"
t_eq "headers arrive as sent" \
    "$(curl -s -H 'X-Test: a b  c' "http://127.0.0.1:$P/app/" |
    json '["headers"][-1]')" "['X-Test', 'a b  c']"
t_eq "a path case-insensitively under the prefix" \
    "$(code "http://127.0.0.1:$P/APP/z")" 200
t_eq "a known host, an unknown path: 404" "$(code "http://127.0.0.1:$P/other/")" 404
t_eq "no registration for that host on the port: 400" \
    "$(code -H 'Host: nope.test' "http://127.0.0.1:$P2/site/")" 400
curl -s -H 'Host: nope.test' "http://127.0.0.1:$P2/site/" >"$T/body"
t_grep "and the page says Invalid Hostname" 'Invalid Hostname' "$T/body"
t_eq "the registered host on that port: 200" \
    "$(code -H 'Host: www.example.test' "http://127.0.0.1:$P2/site/a")" 200
t_eq "/app/../admin/ never reaches /app/'s owner" \
    "$(code --path-as-is "http://127.0.0.1:$P/app/../admin/")" 404
t_eq "nor does /app/%2e%2e/admin/" \
    "$(code "http://127.0.0.1:$P/app/%2e%2e/admin/")" 404
t_eq "a dot segment inside the prefix is removed" \
    "$(curl -s --path-as-is "http://127.0.0.1:$P/app/a/../b" | json '["path"]')" \
    /app/b
curl -s -D "$T/h" "http://127.0.0.1:$P/app/" >/dev/null
t_grep "responses carry Server: hsys" '^Server: hsys' "$T/h"
t_grep "and a Date" '^Date: [A-Z][a-z][a-z], [0-9]' "$T/h"

# Bodies both ways.
head -c 3145728 /dev/urandom >"$T/up"
want=$(sha256sum "$T/up" | cut -d' ' -f1)
out=$(curl -s --data-binary @"$T/up" "http://127.0.0.1:$P/app/up")
t_eq "a 3 MiB upload with Content-Length arrives whole" \
    "$(echo "$out" | json '["body_sha256"]')" "$want"
out=$(curl -s -H 'Transfer-Encoding: chunked' --data-binary @"$T/up" \
    "http://127.0.0.1:$P/app/up")
t_eq "a 3 MiB chunked upload arrives whole" \
    "$(echo "$out" | json '["body_sha256"]')" "$want"
pattern_sha() {	# byte i of the app's stream is i % 256
	python3 -c "import hashlib; n = $1
print(hashlib.sha256((bytes(range(256)) * (n // 256 + 1))[:n]).hexdigest())"
}
want=$(pattern_sha 5242880)
t_eq "a 5 MiB download, chunked, arrives whole" \
    "$(curl -s "http://127.0.0.1:$P/app/big?n=5242880" | sha256sum | cut -d' ' -f1)" "$want"
t_eq "and with Content-Length" \
    "$(curl -s "http://127.0.0.1:$P/app/big?n=5242880&cl=1" | sha256sum | cut -d' ' -f1)" "$want"
curl -s -D "$T/h" "http://127.0.0.1:$P/app/big?n=10" >/dev/null
t_grep "a body without length goes chunked" '^Transfer-Encoding: chunked' "$T/h"
curl -s -I "http://127.0.0.1:$P/app/big?n=100&cl=1" >"$T/h"
t_grep "HEAD gets the headers" '^Content-Length: 100' "$T/h"
t_eq "HEAD gets no body" "$(curl -s -I "http://127.0.0.1:$P/app/big?n=100&cl=1" | wc -c)" \
    "$(wc -c <"$T/h")"
t_eq "204 from the app" "$(code "http://127.0.0.1:$P/app/status?c=204")" 204
t_eq "a response header with a line break: 502, nothing injected" \
    "$(code "http://127.0.0.1:$P/app/badheader")" 502
t_eq "and that application still serves" "$(code "http://127.0.0.1:$P/app/")" 200

# Raw sockets: pipelining and malformed requests.
raw() {	# raw PORT BYTES(python literal): prints the status lines
	python3 - "$1" "$2" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
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
import re
print(" ".join(m.decode() for m in re.findall(rb"HTTP/1\.[01] (\d{3}) ",
                                                 data)))
PY
}
t_eq "three pipelined requests, three answers in order" \
    "$(raw $P "b'GET /app/1 HTTP/1.1\r\nHost: a\r\n\r\nGET /app/status?c=202 HTTP/1.1\r\nHost: a\r\n\r\nGET /app/3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'")" \
    "200 202 200"
t_eq "Content-Length with Transfer-Encoding: 400, closed" \
    "$(raw $P "b'POST /app/ HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /app/ HTTP/1.1\r\nHost: a\r\n\r\n'")" 400
t_eq "a bare LF: 400" "$(raw $P "b'GET /app/ HTTP/1.1\nHost: a\n\n'")" 400
t_eq "obs-fold: 400" "$(raw $P "b'GET /app/ HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n'")" 400
t_eq "no Host on HTTP/1.1: 400" "$(raw $P "b'GET /app/ HTTP/1.1\r\n\r\n'")" 400
t_eq "HTTP/2.0 on the wire: 505" "$(raw $P "b'GET /app/ HTTP/2.0\r\nHost: a\r\n\r\n'")" 505
t_eq "a 20 KiB header: 431" \
    "$(raw $P "b'GET /app/ HTTP/1.1\r\nHost: a\r\nX: ' + b'a' * 20480 + b'\r\n\r\n'")" 431
t_eq "an invalid chunk size: 400" \
    "$(raw $P "b'POST /app/ HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'")" 400
t_eq "after all that, hsysd still serves" "$(code "http://127.0.0.1:$P/app/")" 200

# Registration conflicts.
start_app dup "http://+:$P/app/"
t_grep "the same prefix twice: EEXIST" '^refused 17 ' "$T/dup.out"
start_app scheme "https://+:$P/x/"
t_grep "https on a port serving http: EPROTO" '^refused 71 ' "$T/scheme.out"
python3 -c "import socket,time; s=socket.socket(); s.bind(('0.0.0.0',$P4)); s.listen(); time.sleep(8)" &
sleep 0.3
start_app busy "http://+:$P4/x/"
t_grep "a port taken by another program: EADDRINUSE" '^refused 98 ' "$T/busy.out"

# An application that dies mid-request.
t_eq "the app dies mid-request: 503" "$(code "http://127.0.0.1:$P/app/die")" 503
sleep 0.3
t_eq "with its last registration gone, the port closes" \
    "$(code "http://127.0.0.1:$P/app/")" 000
t_ok "a new app registers again" start_app app2 "http://+:$P/app/"
t_eq "and serves" "$(code "http://127.0.0.1:$P/app/")" 200

# URL ACLs for an unprivileged user (nobody).
as_nobody() {
	timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups env \
	    HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" \
	    python3 "$PYTHONPATH/echoapp.py" "$@"
}
r=$(cd / && as_nobody "http://+:$P3/n/" 2>&1 | head -1)
t_eq "without a reservation: EACCES" "${r%% *} $(echo "$r" | cut -d' ' -f2)" "refused 13"
hsys http add urlacl url="http://+:$P3/" user=nobody listen=no delegate=yes \
    >/dev/null
r=$(cd / && as_nobody "http://+:$P3/n/" 2>&1 | head -1)
t_eq "a reservation with listen=no: EACCES" "$(echo "$r" | cut -d' ' -f1-2)" "refused 13"
t_ok "the refusal names the reservation" \
    grep -q "listen=no" <<<"$r"
hsys http add urlacl url="http://+:$P3/n/" user=nobody >/dev/null
pub=$(mktemp -d) && chmod 1777 "$pub"	# nobody writes its ready file here
cd / && { as_nobody --ready "$pub/nb.ready" "http://+:$P3/n/" >"$T/nb.out" 2>&1 & }
cd - >/dev/null
t_ok "the more specific reservation for nobody allows it" \
    wait_until 30 test -e "$pub/nb.ready"
t_eq "and nobody's app serves" "$(code "http://127.0.0.1:$P3/n/x")" 200
hsys http add urlacl url="http://+:$P3/g/" user=@nogroup >/dev/null
cd / && { as_nobody --ready "$pub/g.ready" "http://+:$P3/g/" >"$T/g.out" 2>&1 & }
cd - >/dev/null
t_ok "a reservation for nobody's group allows it too" \
    wait_until 30 test -e "$pub/g.ready"
rm -rf "$pub"

kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly with applications attached" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
