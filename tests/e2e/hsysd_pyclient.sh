# Python's http.client as the client, over TLS with a context that trusts
# the test CA (so the chain and the name are verified): one HTTPSConnection
# kept alive across requests, a chunked upload of 1 MiB echoed back and
# checked by digest, HEAD, a download, and the connection reused
# throughout (the application sees one peer port).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/certfix.sh"

# Below the ephemeral range (32768-), where a client socket of any test
# on the machine could hold the port.
P=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/tests/e2e/lib"
APPID='{00112233-4455-6677-8899-aabbccddeeff}'

certfix_init
certfix_root "$T/ca" "Python Client Test CA"
t_ok "a server certificate issued by a test CA" certfix_issue "$T/srv" \
    srv.test "$T/ca" "san=DNS:srv.test,IP:127.0.0.1"
certfix_add My "$T/srv.pem" "$T/srv.key"
hsys http add sslcert ipport=0.0.0.0:$P certhash=$(certfix_thumb "$T/srv.pem") \
    appid=$APPID >/dev/null

start_hsysd --workers 2 --verbose
python3 "$PYTHONPATH/echoapp.py" --ready "$T/app.ready" "https://+:$P/p/" \
    >"$T/app.out" 2>&1 &
t_ok "an application registers https://+:$P/p/" \
    wait_until 30 test -e "$T/app.ready"

timeout 60 python3 - "$P" "$T/ca.pem" >"$T/py.out" 2>&1 <<'PY'
import hashlib, http.client, json, os, ssl, sys

port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=20)
peers = set()

def get(method, path, **kw):
    c.request(method, path, **kw)
    r = c.getresponse()
    return r, r.read()

r, body = get("GET", "/p/first")
d = json.loads(body)
print("first", r.status, d["path"], d["tls"].split()[0])
peers.add(tuple(d["peer"]))
sock = c.sock

data = os.urandom(1 << 20)
def chunks():
    for i in range(0, len(data), 65536 + 7):
        yield data[i:i + 65536 + 7]
r, body = get("POST", "/p/echo", body=chunks(), encode_chunked=True,
              headers={"Content-Type": "application/octet-stream"})
print("echo", r.status, len(body),
      hashlib.sha256(body).hexdigest() == hashlib.sha256(data).hexdigest())

r, body = get("HEAD", "/p/big?n=1000&cl=1")
print("head", r.status, r.getheader("Content-Length"), len(body))

r, body = get("GET", "/p/big?n=2097152")
want = (bytes(range(256)) * (2097152 // 256))
print("big", r.status, r.getheader("Transfer-Encoding"), body == want)

r, body = get("POST", "/p/after", body=b"abc")
d = json.loads(body)
print("after", r.status, d["body_len"], d["content_length"])
peers.add(tuple(d["peer"]))
print("reused", len(peers) == 1 and c.sock is sock)
PY
t_grep "a GET over verified TLS" '^first 200 /p/first TLSv1\.3$' "$T/py.out"
t_grep "a 1 MiB chunked upload comes back whole" '^echo 200 1048576 True$' \
    "$T/py.out"
t_grep "HEAD: the length, no body" '^head 200 1000 0$' "$T/py.out"
t_grep "a 2 MiB chunked download on the same connection" \
    '^big 200 chunked True$' "$T/py.out"
t_grep "a request after all that, with Content-Length" '^after 200 3 3$' \
    "$T/py.out"
t_grep "one connection served them all" '^reused True$' "$T/py.out"

# Several TLS records in one TCP segment: hsysd reads records ahead, which
# epoll cannot see, and must serve every one of them.
timeout 60 python3 - "$P" "$T/ca.pem" >"$T/ahead.out" 2>&1 <<'PY'
import socket, ssl, sys

port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)),
                    server_hostname="srv.test")
s.settimeout(20)
n = 5
# Nagle holds the small records back and sends them together.
for i in range(n):
    s.send(b"GET /p/r%d HTTP/1.1\r\nHost: srv.test\r\n\r\n" % i)
got = b""
while got.count(b"HTTP/1.1 200") < n:
    d = s.recv(65536)
    if not d:
        break
    got += d
print("answered", got.count(b"HTTP/1.1 200"))
PY
t_grep "pipelined requests in separate TLS records: all answered" \
    '^answered 5$' "$T/ahead.out"

kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
