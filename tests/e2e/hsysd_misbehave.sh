# Misbehaving applications are cut off alone: one that sends response bytes
# beyond its credit, one that writes garbage on a data channel or on its
# control channel, one that stops reading its requests. Each time hsysd ends
# that application's session, keeps running, and another application and
# its clients notice nothing.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/tests/e2e/lib"
start_hsysd --workers 2 --verbose

python3 "$PYTHONPATH/echoapp.py" --ready "$T/good.ready" "http://+:$P/good/" \
    >"$T/good.out" 2>&1 &
wait_until 30 test -e "$T/good.ready"
code_max=20

# bad MODE: starts badapp.py in MODE on /bad-MODE/, waits until it serves
bad() {
	python3 "$PYTHONPATH/badapp.py" "$1" "http://+:$P/bad-$1/" \
	    "$T/$1.ready" >"$T/$1.out" 2>&1 &
	eval "bad_$1=$!"
	wait_until 30 test -e "$T/$1.ready"
}
# cut MODE: the bad application exits, having seen hsysd end its session
cut() {
	local pid
	eval "pid=\$bad_$1"
	wait_until 30 gone "$pid"
	wait "$pid"
	t_eq "$1: the application is cut off" "$?:$(cat "$T/$1.out")" "0:cut off"
	t_ok "$1: hsysd still runs" kill -0 $dpid
	t_eq "$1: the other application still serves" \
	    "$(code "http://127.0.0.1:$P/good/x")" 200
	t_eq "$1: its prefix is gone with it" \
	    "$(code "http://127.0.0.1:$P/bad-$1/x")" 404
}

bad flood
# A client that does not read, so that no credit goes back to the flood.
python3 - "$P" >"$T/flood.client" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /bad-flood/x HTTP/1.1\r\nHost: t\r\n\r\n")
time.sleep(20)
PY
cpid=$!
t_eq "flood: the good application serves meanwhile" \
    "$(code "http://127.0.0.1:$P/good/y")" 200
cut flood
kill $cpid 2>/dev/null
wait $cpid 2>/dev/null
t_grep "flood: hsysd says why" 'RESP_DATA beyond its credit' "$T/d.log"

for m in garbage ctlgarbage; do
	bad $m
	t_eq "$m: its request fails" "$(code "http://127.0.0.1:$P/bad-$m/x")" 503
	cut $m
done

# Deaf: request bodies pile up in its channels (within each request's
# credit) until a channel holds hsysd's bound, 16 MiB.
bad deaf
python3 - "$P" >"$T/deaf.client" 2>&1 <<'PY' &
import socket, sys, threading, time
def upload(i):
    try:
        s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 30)
        s.settimeout(30)
        s.sendall(b"POST /bad-deaf/%d HTTP/1.1\r\nHost: t\r\n"
                  b"Content-Length: 300000\r\n\r\n" % i)
        s.sendall(b"\0" * 300000)
        s.recv(1)
    except OSError:
        pass
ts = [threading.Thread(target=upload, args=(i,)) for i in range(200)]
for t in ts:
    t.start()
end = time.time() + 40
for t in ts:
    t.join(max(0, end - time.time()))
PY
cpid=$!
cut deaf
wait $cpid
t_grep "deaf: hsysd says why" 'does not read its data channel' "$T/d.log"
rss=$(awk '/^VmRSS/ { print $2 }' /proc/$dpid/status)
echo "# hsysd RSS after the deaf application: $rss KiB"
t_ok "deaf: hsysd's memory stayed bounded (RSS < 256 MiB)" test "$rss" -lt 262144
t_done
