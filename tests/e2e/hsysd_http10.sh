# HTTP/1.0 clients (RFC 9112, 9.3): a request with Connection: keep-alive
# gets Connection: keep-alive on its response and the connection stays;
# without it the connection closes after the response. ApacheBench's -k
# (HTTP/1.0 keep-alive) used to hang waiting for a close that never came.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/tests/e2e/lib"
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null
start_hsysd --workers 2
t_ok "an application serves /app/" start_app app --grace 0 "http://+:$P/app/"

# two PATH1 PATH2 HEADER: two HTTP/1.0 requests on one connection (the
# second only if the first left it open); prints each response's status
# and Connection header, then "open" or "closed" after the first.
two() {
	/usr/bin/python3 - $P "$@" <<'PY'
import re, socket, sys
port, p1, p2 = int(sys.argv[1]), sys.argv[2], sys.argv[3]
hdr = sys.argv[4].replace("\\r\\n", "\r\n")
s = socket.create_connection(("127.0.0.1", port), timeout=10)
def ask(path):
    s.sendall(("GET %s HTTP/1.0\r\nHost: a\r\n%s\r\n" % (path, hdr)).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(65536)
        if not d:
            return None
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    n = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(body) < n:
        body += s.recv(65536)
    conn = re.search(rb"(?im)^connection: *([a-z-]+)", head)
    return "%s %s" % (head.split()[1].decode(),
                      conn.group(1).decode().lower() if conn else "none")
out = [ask(p1)]
s.settimeout(2)
try:
    closed = s.recv(1) == b""
except socket.timeout:
    closed = False
out.append("closed" if closed else "open")
if not closed:
    out.append(ask(p2))
print(" / ".join(out))
PY
}
t_eq "1.0 keep-alive: Connection: keep-alive, the connection stays" \
    "$(two /app/ /app/ 'Connection: keep-alive\r\n')" \
    "200 keep-alive / open / 200 keep-alive"
t_eq "1.0 keep-alive, a 404 hsysd makes itself: the same" \
    "$(two /nothere/ /app/ 'Connection: keep-alive\r\n')" \
    "404 keep-alive / open / 200 keep-alive"
t_eq "1.0 without keep-alive: Connection: close, and it closes" \
    "$(two /app/ /app/ '')" "200 close / closed"
t_eq "1.0 keep-alive in any case" \
    "$(two /app/ /app/ 'connection: Keep-Alive\r\n')" \
    "200 keep-alive / open / 200 keep-alive"

# ApacheBench, as the newcomer ran it.
t_ok "ab -k -n 2000 -c 8 completes" timeout 120 ab -q -k -n 2000 -c 8 -s 30 \
    "http://127.0.0.1:$P/app/big?n=13&cl=1"
t_grep "with no failed request" '^Failed requests: +0$' "$T/out"
t_grep "over kept-alive connections" '^Keep-Alive requests: +2000$' "$T/out"
t_ok "and without -k" timeout 120 ab -q -n 500 -c 8 -s 30 "http://127.0.0.1:$P/app/big?n=13&cl=1"
t_grep "with no failed request" '^Failed requests: +0$' "$T/out"
kill $dpid; wait $dpid
t_eq "hsysd exits cleanly" "$?" 0
t_done
