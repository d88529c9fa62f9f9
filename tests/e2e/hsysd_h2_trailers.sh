# Response trailers from an application to the client (docs/protocol.md,
# "Response trailers"; gRPC needs them): over HTTP/2 a HEADERS frame with
# END_STREAM after the DATA (Python h2 sees them as trailers, curl --http2
# prints them), over HTTP/1.1 the last chunk's trailer section, and no
# trailers where the framing has no place for them (Content-Length).
# Fields a trailer may not carry (Content-Type) never reach the client.
# And the other way: HTTP/2's cookie crumbs reach the application as one
# field (RFC 9113 §8.2.3).
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000)) C=$((P + 1))
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
PY=/usr/bin/python3
H2GET="$PY $TOP/tests/e2e/lib/h2get.py"

A=$(hsys cert new-selfsigned --dns-name a.test | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$A appid=$APPID >/dev/null
start_hsysd --workers 2
start_app app "https://+:$P/" "http://+:$C/"
t_ok "an application serves https://+:$P/ and http://+:$C/" test -e "$T/app.ready"

js() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

timeout 20 $H2GET 127.0.0.1 $P /g/trailers --tls --authority a.test:$P \
    >"$T/tls.json" 2>"$T/tls.err"
t_eq "h2 over TLS: the body comes" "$(js "$T/tls.json" 'd["body"]')" \
    "hello trailers"
t_eq "then the trailers, in a HEADERS frame that ends the stream" \
    "$(js "$T/tls.json" 'd["trailers"], d["end"]')" \
    "[['grpc-status', '0'], ['grpc-message', 'all good']] end"
t_eq "a field a trailer may not carry is left out" \
    "$(js "$T/tls.json" '[h for h in d["headers"] if h[0] == "content-type"]')" \
    "[['content-type', 'application/grpc']]"

timeout 20 $H2GET 127.0.0.1 $C /g/trailers >"$T/h2c.json" 2>"$T/h2c.err"
t_eq "h2c: the same trailers" "$(js "$T/h2c.json" 'd["trailers"]')" \
    "[['grpc-status', '0'], ['grpc-message', 'all good']]"
timeout 20 $H2GET 127.0.0.1 $C '/g/trailers?cl=1' >"$T/cl.json" 2>"$T/cl.err"
t_eq "h2 with a Content-Length: the body, then the trailers still" \
    "$(js "$T/cl.json" 'd["body_len"], d["trailers"][0]')" \
    "15 ['grpc-status', '0']"

curl -sk -m 20 --http2 --resolve a.test:$P:127.0.0.1 -D "$T/curl.h" \
    -o "$T/curl.b" "https://a.test:$P/g/trailers"
t_grep "curl --http2 gets grpc-status as a trailer" '^grpc-status: 0' "$T/curl.h"
t_grep "and grpc-message" '^grpc-message: all good' "$T/curl.h"
t_nogrep "and no content-type from the trailers" 'text/evil' "$T/curl.h"

# Cookie crumbs (RFC 9113 §8.2.3): the application sees one field.
timeout 20 $H2GET 127.0.0.1 $C /c --header cookie:a=1 --header x-b:2 \
    --header cookie:b=2 >"$T/cookie.json"
t_eq "h2 cookie fields reach the application joined with '; '" \
    "$($PY -c 'import json,sys; d=json.loads(json.load(open(sys.argv[1]))["body"])
print([h for h in d["headers"] if h[0] == "cookie"])' "$T/cookie.json")" \
    "[['cookie', 'a=1; b=2']]"

# HTTP/1.1: the last chunk carries them; with a Content-Length, nothing.
$PY - "$C" >"$T/h1.out" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(b"GET /g/trailers HTTP/1.1\r\nHost: x\r\nTE: trailers\r\n\r\n")
b = b""
while not b.endswith(b"\r\n\r\n") or b"0\r\n" not in b:
    d = s.recv(65536)
    if not d:
        break
    b += d
print(b.split(b"\r\n\r\n", 1)[1].decode())
EOF
t_grep "HTTP/1.1 chunked: the last chunk carries grpc-status" \
    '^grpc-status: 0' "$T/h1.out"
t_nogrep "and not the field a trailer may not carry" 'text/evil' "$T/h1.out"
t_eq "HTTP/1.1 with a Content-Length: the body alone" \
    "$(curl -s -m 20 --http1.1 "http://127.0.0.1:$C/g/trailers?cl=1" -D "$T/h1cl.h")" \
    "hello trailers"
t_nogrep "and no trailer" 'grpc-' "$T/h1cl.h"
t_eq "the connection serves on after trailers (HTTP/1.1 keep-alive)" \
    "$(curl -s -m 20 --http1.1 -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
    "http://127.0.0.1:$C/g/trailers" "http://127.0.0.1:$C/x" | tr '\n' ' ')" \
    "200 1 200 0 "

kill $app_pid
kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
