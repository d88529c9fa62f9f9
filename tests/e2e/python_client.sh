# The hsys Python package's asyncio client (bindings/python/hsys/client.py)
# against a real hsysd: a session, anonymous and named queues, a refused
# prefix, a chunked upload with trailers, credit (an application that does
# not read holds at most the window), 103 Early Hints, a 101 tunnel with
# half-closes, the queue's length (503) and grace period, and a new
# session by itself after hsysd hands over to a new hsysd.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
export PYTHONPATH="$TOP/bindings/python"
APP=$TOP/tests/e2e/lib/pyapps/clientapp.py
P=$((20000 + RANDOM % 12000))

start() {	# start NAME ARGS...: clientapp in the background, until ready
	local name=$1; shift
	$PY "$APP" --ready "$T/$name.ready" "$@" >"$T/$name.out" 2>&1 &
	eval "${name}_pid=$!"
	wait_until 60 test -e "$T/$name.ready"
}

start_hsysd -p d --workers 2 --verbose
U=http://127.0.0.1:$P

t_ok "an application on the package registers http://+:$P/c/" \
    start a "http://+:$P/c/"
t_ok "it serves a GET" curl -sf -o "$T/get" "$U/c/x"
t_grep "with the request's method and decoded path" '^GET /c/x [0-9]+ $' \
    "$T/get"

# Two processes on one named queue.
t_ok "a process creates the named queue shop" start n1 --queue shop \
    "http://+:$P/shop/"
t_ok "a second process attaches to it" start n2 --queue shop \
    "http://+:$P/shop/"
for i in $(seq 12); do curl -sf "$U/shop/p" >>"$T/shop"; done
t_eq "both serve it" "$(awk '{print $3}' "$T/shop" | sort -u | wc -l)" 2
t_grep "requests name their queue" ' shop$' "$T/shop"
kill $n1_pid $n2_pid

# A user without a reservation is refused, with hsysd's reason.
t_fail "nobody may not register without a reservation" 3 \
    setpriv --reuid=65534 --regid=65534 --clear-groups \
    $PY "$APP" "http://+:$P/nobody/"
t_grep "the refusal names EACCES and the reservation rule" \
    '^refused EACCES .*reserv' "$T/out"

# A chunked upload with trailers, from a raw client.
$PY - "$P" >"$T/trail" 2>&1 <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(b"POST /c/echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n"
          b"Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n"
          b"X-Sum: 42\r\nX-Other: b\r\n\r\n")
got = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    got += d
print(got.decode())
PYEOF
t_grep "the body of a chunked upload arrives whole" '^hello world' "$T/trail"
t_grep "its trailers too" '^X-Trailers: X-Sum=42,X-Other=b' "$T/trail"

# Credit: the application does not read for a second; hsysd holds back.
head -c 4194304 /dev/urandom >"$T/4m"
t_ok "a 4 MiB upload to an application slow to read" \
    curl -sf -m 60 --data-binary @"$T/4m" -o "$T/slow" "$U/c/slowread"
t_grep "arrives whole, the application never holding more than its window" \
    '^read 4194304 held at most ([0-9]+) window ([0-9]+)$' "$T/slow"
read -r _ _ _ _ _ most _ window <"$T/slow"
t_ok "held $most <= window $window" test "$most" -le "$window"

t_ok "103 Early Hints, then the answer" sh -c \
    "curl -sv '$U/c/hints' 2>&1 | tr -d '\r' >'$T/hints'"
t_grep "the client sees the 103 with its Link" '^< Link: </s.css>' "$T/hints"
t_grep "then the final 200" '^< HTTP/1.1 200' "$T/hints"

# A 101 tunnel: bytes both ways, the client's half-close ends it.
$PY - "$P" >"$T/tun" 2>&1 <<'PYEOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
s.sendall(b"GET /c/tunnel HTTP/1.1\r\nHost: t\r\nUpgrade: echo\r\n"
          b"Connection: upgrade\r\n\r\n")
head = b""
while b"\r\n\r\n" not in head:
    head += s.recv(1)
print(head.split(b"\r\n")[0].decode())
data = bytes(range(256)) * 4096
s.sendall(data)
got = b""
while len(got) < len(data):
    got += s.recv(65536)
print("echoed", got == data)
s.shutdown(socket.SHUT_WR)
print("eof", s.recv(10) == b"")
PYEOF
t_grep "the upgrade is answered 101" '^HTTP/1.1 101' "$T/tun"
t_grep "1 MiB goes through the tunnel and back" '^echoed True' "$T/tun"
t_grep "the client's half-close ends the application's side" '^eof True' \
    "$T/tun"

# The queue's length and grace period.
t_ok "an application with a queue of length 1 and grace 1500 ms" \
    start l "http://+:$P/len/" --length 1 --grace 1500
curl -s -o /dev/null -w '%{http_code}\n' "$U/len/hold?ms=1500" >"$T/len1" &
c1=$!
sleep 0.5
curl -s -o /dev/null -w '%{http_code}\n' "$U/len/hold?ms=10" >"$T/len2"
wait $c1
t_eq "the first waits and is answered" "$(cat "$T/len1")" 200
t_eq "a second one beyond the length gets 503" "$(cat "$T/len2")" 503
$PY -c 'import asyncio, hsys, json
print(json.dumps([q for q in asyncio.run(hsys.state(view=3))["queues"]
                  if "http://+:'$P'/len/" in q["prefixes"]]))' >"$T/state"
t_grep "servicestate shows the length" '"max_waiting": 1,' "$T/state"
t_grep "and the grace period" '"grace_ms": 1500,' "$T/state"

# hsysd hands over: the package opens a new session by itself.
$HSYS_WRAP "$BUILD/hsysd" --workers 1 --verbose --takeover 2>"$T/b.log" &
b=$!
t_ok "the new hsysd takes over" \
    wait_until 60 grep -q 'handover: took' "$T/b.log"
t_ok "the application reconnects by itself" \
    wait_until 60 grep -q 'reconnected 1' "$T/a.ready"
t_ok "and is served by the new hsysd" wait_until 60 curl -sf -o "$T/after" \
    "$U/c/after"
t_grep "the same process" "^GET /c/after $a_pid " "$T/after"
t_ok "the old hsysd exits" wait_until 30 gone "$d"

kill -TERM $b
wait $b
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_nogrep "no traceback in the application" 'Traceback' "$T/a.out"
t_done
