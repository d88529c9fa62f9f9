# Output batching (issue 15): hsysd writes what one loop iteration gathered
# for a client connection at once, and libhsys corks an application's
# frames until it waits. Neither may hold an answer back or mix answers up:
# a lone request is answered without any further traffic (on a new
# connection, and again on the same keep-alive connection after a pause);
# many pipelined HTTP/1.1 requests and many multiplexed HTTP/2 streams
# each get their own answer, whole and in order. hsys-static and
# hsys-hello (C, libhsys) answer; the files differ in size, from a few
# bytes to more than libhsys's cork (32 KiB).
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
APPID='{00112233-4455-6677-8899-aabbccddee15}'
thumb=$(hsys cert new-selfsigned --dns-name localhost | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$thumb appid=$APPID >/dev/null
hsys cert export "$thumb" --pem "$T/ca.pem" >/dev/null
start_hsysd --workers 1

N=120
mkdir -p "$T/www"
for i in $(seq 0 $((N - 1))); do
	# f0..: 20 bytes and up; every tenth one 40 KiB more than the cork.
	{ printf 'file %d\n' "$i"; head -c $(( (i % 10 == 9 ? 41000 : 0) + i * 37 )) \
	    /dev/urandom; } >"$T/www/f$i"
done
"$BUILD/examples/hello" "https://+:$P/hello/" 2>"$T/hello.log" &
"$BUILD/examples/static" "$T/www" "https://+:$P/files/" 2>"$T/static.log" &
wait_until 30 code_is 200 --cacert "$T/ca.pem" https://localhost:$P/files/f0
wait_until 30 code_is 200 --cacert "$T/ca.pem" https://localhost:$P/hello/

# A lone request, then another on the same connection after a pause: each
# must come back by itself (corked output would wait for traffic that
# never comes). 10 s is far beyond any answer; nothing here times speed.
/usr/bin/python3 - "$P" "$T/ca.pem" >"$T/lone.out" 2>&1 <<'PY'
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("localhost", port), timeout=10),
                    server_hostname="localhost")
f = s.makefile("rb")
def one(path):
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")
    status = f.readline()
    length = 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    body = f.read(length)
    return status.split()[1].decode(), body
try:
    print("first", *one(b"/hello/"))
    time.sleep(1.5)
    print("again", *one(b"/hello/"))
    print("file", one(b"/files/f3")[0])
except OSError as e:
    print("failed:", e)
PY
t_grep "a lone request is answered without more traffic" "^first 200 b'hello, world" "$T/lone.out"
t_grep "and again on the same connection after a pause" "^again 200 b'hello, world" "$T/lone.out"
t_grep "and a file from hsys-static" "^file 200" "$T/lone.out"
t_eq "a lone HTTP/2 request too" "$(curl -s -m 10 --http2 --cacert "$T/ca.pem" \
    -w ' %{http_version}' https://localhost:$P/hello/)" "hello, world
 2"

# HTTP/1.1: every request in one write, answers read back in order.
/usr/bin/python3 - "$P" "$T/ca.pem" "$T/www" "$N" >"$T/pipe.out" 2>&1 <<'PY'
import socket, ssl, sys
port, ca, root, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ctx = ssl.create_default_context(cafile=ca)
ctx.set_alpn_protocols(["http/1.1"])
s = ctx.wrap_socket(socket.create_connection(("localhost", port), timeout=20),
                    server_hostname="localhost")
paths = []
for i in range(n):
    paths.append(("/files/f%d" % i, open("%s/f%d" % (root, i), "rb").read()))
    if i % 4 == 0:
        paths.append(("/hello/", b"hello, world\n"))
req = b"".join(b"GET " + p.encode() + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
               for p, _ in paths)
s.sendall(req)
f = s.makefile("rb")
good = 0
try:
    for p, want in paths:
        status = f.readline()
        length = None
        while True:
            line = f.readline()
            if line in (b"\r\n", b""):
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = f.read(length)
        if not status.startswith(b"HTTP/1.1 200") or body != want:
            print("wrong answer for", p, status, len(body), len(want))
            break
        good += 1
except OSError as e:
    print("failed:", e)
print("answers", good, "of", len(paths))
PY
t_grep "pipelined HTTP/1.1 requests: every answer whole and in order" \
    "^answers ([0-9]+) of \1$" "$T/pipe.out"

# HTTP/2: the same files as concurrent streams on one connection.
args=()
for i in $(seq 0 $((N - 1))); do
	args+=(-o "$T/h2.$i" "https://localhost:$P/files/f$i")
done
curl -s -m 30 --http2 -Z --parallel-max 100 --cacert "$T/ca.pem" "${args[@]}"
bad=0
for i in $(seq 0 $((N - 1))); do
	cmp -s "$T/h2.$i" "$T/www/f$i" || bad=$((bad + 1))
done
t_eq "HTTP/2 streams: every file whole, each on its own stream" "$bad" 0

kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_done
