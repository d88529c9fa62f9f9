# hsysd restarts without refusing a connection (docs/operations.md):
# --takeover under load (zero failed requests, the same listening sockets,
# the old pid gone, applications back on the new daemon by themselves),
# SIGTERM drains, kill -9 needs no cleanup, and a handover is refused to
# another user.
. "$(dirname "$0")/lib.sh"
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib"

# Below the ephemeral range (32768-), where a client's port could hold it.
P=$((20000 + RANDOM % 12000))

code_max=10
# The inodes of the sockets listening on port $P, sorted, one line.
listen_inodes() {
	local hex; hex=$(printf ':%04X' "$P")
	awk -v p="$hex" '$2 ~ p"$" && $4 == "0A" { print $10 }' \
	    /proc/net/tcp /proc/net/tcp6 | sort -n | tr '\n' ' '
}
# The socket inodes process $1 holds, one per line.
held_inodes() {
	ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p'
}
holds_all() {	# holds_all PID INODES...
	local pid=$1 i; shift
	for i in "$@"; do held_inodes "$pid" | grep -qx "$i" || return 1; done
}
no_listener() { [ -z "$(listen_inodes)" ]; }

# An https port, to see its TLS flag survive the handover.
PS=$((P + 1))
thumb=$(hsys cert new-selfsigned --dns-name localhost | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$PS certhash=$thumb \
    appid='{00112233-4455-6677-8899-aabbccddeeff}' >/dev/null
hsys cert export "$thumb" --pem "$T/ca.pem" >/dev/null
tls_serves() { code_is 200 --cacert "$T/ca.pem" "https://localhost:$PS/tls/x"; }

# --- handover under load -------------------------------------------------
$HSYS_WRAP "$BUILD/hsysd" --workers 2 --verbose 2>"$T/a.log" &
a=$!
t_ok "the first hsysd is ready" \
    wait_until 60 grep -q 'ready: 2 worker' "$T/a.log"
python3 "$TOP/tests/e2e/lib/echoapp.py" --reconnect --ready "$T/app.ready" \
    "http://127.0.0.1:$P/echo/" >"$T/app.log" 2>&1 &
app=$!
t_ok "the application serves" wait_until 60 grep -q ready "$T/app.ready"
t_eq "a request is answered" "$(code http://127.0.0.1:$P/echo/x)" 200
python3 "$TOP/tests/e2e/lib/echoapp.py" --reconnect --ready "$T/tls.ready" \
    "https://+:$PS/tls/" >"$T/tls.log" 2>&1 &
tlsapp=$!
t_ok "an application serves https" wait_until 60 tls_serves
# hsys-hello, on libhsys, which reconnects by itself.
"$BUILD/examples/hello" "http://127.0.0.1:$P/hello/" 2>"$T/hello.log" &
hello=$!
t_ok "hsys-hello serves" \
    wait_until 60 code_is 200 http://127.0.0.1:$P/hello/x
before=$(listen_inodes)
t_ok "the listening sockets are known" test -n "$before"

python3 "$TOP/tests/e2e/lib/loadclient.py" "http://127.0.0.1:$P/echo/load" \
    8 2 2 >"$T/load.json" 2>"$T/load.err" &
load=$!
python3 "$TOP/tests/e2e/lib/loadclient.py" "http://127.0.0.1:$P/hello/load" \
    8 2 2 "hello, world" >"$T/load2.json" 2>"$T/load2.err" &
load2=$!
sleep 2
$HSYS_WRAP "$BUILD/hsysd" --workers 1 --verbose --takeover 2>"$T/b.log" &
b=$!
t_ok "the new hsysd takes the state over" \
    wait_until 60 grep -q 'handover: took' "$T/b.log"
t_ok "the application reconnects by itself" \
    wait_until 60 grep -q 'reconnected 1' "$T/app.ready"
t_ok "the new hsysd accepts once it is back" \
    wait_until 60 grep -q 'all 3 registration.* are back; accepting' "$T/b.log"
t_ok "the old hsysd exits" wait_until 30 gone $a
wait $a
t_eq "with status 0" "$?" 0
t_grep "after draining" 'drained|drain bound' "$T/a.log"
t_ok "the loads end" wait_until 80 eval 'gone $load && gone $load2'
wait $load
t_eq "the echoapp load client ran to its end" "$?" 0
wait $load2
t_eq "the hsys-hello load client ran to its end" "$?" 0
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])" <"$1"; }
for f in load load2; do
	echo "# $f across the handover: $(cat "$T/$f.json")"
	t_eq "$f: zero failed requests across the handover" \
	    "$(field "$T/$f.json" failed)" 0
	t_eq "$f: no client thread stuck" "$(field "$T/$f.json" threads_stuck)" 0
	t_ok "$f: a real load ran (over 100 requests)" \
	    test "$(field "$T/$f.json" ok)" -gt 100
done
t_eq "the new hsysd serves" "$(code http://127.0.0.1:$P/echo/after)" 200
t_eq "hsys-hello is served by it" "$(code http://127.0.0.1:$P/hello/after)" 200
t_ok "https is served by it, on the inherited port" tls_serves
t_grep "which it took as https" "listening on port $PS \\(https, inherited\\)" \
    "$T/b.log"
kill $tlsapp
t_eq "the same listening sockets (inodes)" "$(listen_inodes)" "$before"
t_ok "held by the new hsysd" holds_all $b $before
t_eq "the lock names the new pid" "$(cat "$HSYS_HOME/hsysd.lock")" "$b"
t_ok "the control socket answers" test -S "$HSYS_HOME/hsysd.sock"

# --- a handover is refused to another user ------------------------------
python3 - "$HSYS_HOME/hsysd.sock" >"$T/refused.out" 2>&1 <<'PY'
import os, struct, sys
from hsys.raw import *
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
c = Conn(sys.argv[1])
c.send(frame(HANDOVER, 0, struct.pack("<II", MAGIC, 0)))
f = c.recv_frame()
print("type", hex(f[0]) if f else None, "code", error_of(f[3])[0] if f else None)
PY
t_grep "a handover asked by nobody is refused with EACCES" \
    'type 0x4 code 13' "$T/refused.out"
t_grep "and logged" 'handover: refused to pid [0-9]+, uid 65534' "$T/b.log"
t_ok "the daemon serves on" kill -0 $b
t_eq "and still answers" "$(code http://127.0.0.1:$P/echo/still)" 200

# --- SIGTERM drains -------------------------------------------------------
curl -s -m 20 -o "$T/slow.body" -w '%{http_code}' \
    "http://127.0.0.1:$P/echo/slow?ms=1500" >"$T/slow.code" &
slow=$!
sleep 0.5
t0=$(date +%s%N)
kill -TERM $b
t_ok "the listening sockets close at once" \
    wait_until 10 no_listener
t_fail "a new connection is refused after SIGTERM" 7 \
    curl -s -m 5 -o /dev/null "http://127.0.0.1:$P/echo/late"
wait $b
rc=$?
t1=$(date +%s%N)
t_eq "SIGTERM: exit status 0" "$rc" 0
t_ok "within the bound (10 s, margin 5 s)" test $(( (t1 - t0) / 1000000 )) -lt 15000
wait $slow
t_eq "the slow request in flight completes" "$(cat "$T/slow.code")" 200
t_grep "drained" 'drained: every connection is closed' "$T/b.log"
t_ok "the socket file is removed" test ! -e "$HSYS_HOME/hsysd.sock"

# --- kill -9, then start again -------------------------------------------
$HSYS_WRAP "$BUILD/hsysd" --workers 2 --verbose 2>"$T/c.log" &
c=$!
t_ok "a new hsysd starts after the clean stop" \
    wait_until 60 grep -q ready "$T/c.log"
t_ok "the application comes back to it" \
    wait_until 30 grep -q 'reconnected 2' "$T/app.ready"
t_ok "and serves" wait_until 30 code_is 200 http://127.0.0.1:$P/echo/c
kill -9 $c
wait $c 2>/dev/null
t_ok "kill -9 leaves the socket file behind" test -S "$HSYS_HOME/hsysd.sock"
$HSYS_WRAP "$BUILD/hsysd" --workers 2 --verbose 2>"$T/d.log" &
d=$!
t_ok "a new hsysd starts without cleanup" wait_until 60 grep -q ready "$T/d.log"
t_ok "the application comes back by itself" \
    wait_until 30 grep -q 'reconnected 3' "$T/app.ready"
t_ok "and is served" wait_until 30 code_is 200 http://127.0.0.1:$P/echo/d
t_ok "hsys-hello comes back by itself too" \
    wait_until 30 code_is 200 http://127.0.0.1:$P/hello/d
t_ok "hsys-hello still runs (never gave up)" kill -0 $hello
t_eq "the lock names it" "$(cat "$HSYS_HOME/hsysd.lock")" "$d"

# --- SIGUSR2: the daemon starts its successor itself ---------------------
kill -USR2 $d
t_ok "SIGUSR2 starts the binary with --takeover" wait_until 60 \
    grep -Eq 'SIGUSR2: started .*hsysd \(pid [0-9]+\)' "$T/d.log"
wait_until 30 gone $d
t_ok "the old daemon exits after the handover" gone $d
wait $d
t_eq "with status 0" "$?" 0
u=$(cat "$HSYS_HOME/hsysd.lock")
t_ok "the successor holds the lock and runs" kill -0 "$u"
t_ne() { [ "$2" != "$3" ]; _t_report $? "$1" "both '$2'"; }
t_ne "it is another process" "$u" "$d"
t_ok "the applications are served by it" \
    wait_until 30 code_is 200 http://127.0.0.1:$P/hello/u
t_eq "echoapp too" "$(code http://127.0.0.1:$P/echo/u)" 200
kill -TERM "$u"
t_ok "the successor stops on SIGTERM" wait_until 30 gone "$u"

# --- --drain-timeout bounds a request that never ends --------------------
$HSYS_WRAP "$BUILD/hsysd" --workers 1 --drain-timeout 1 2>"$T/e.log" &
e=$!
t_ok "a daemon with --drain-timeout 1 starts" \
    wait_until 60 grep -q ready "$T/e.log"
t_ok "the application comes back" \
    wait_until 30 grep -q 'reconnected 5' "$T/app.ready"
t_ok "and is served" wait_until 30 code_is 200 http://127.0.0.1:$P/echo/e
curl -s -m 20 -o /dev/null "http://127.0.0.1:$P/echo/hang" &
sleep 0.5
t0=$(date +%s%N)
kill -TERM $e
wait $e
rc=$?
t1=$(date +%s%N)
t_eq "a hung request: still exit status 0" "$rc" 0
t_ok "after the 1 s bound (margin: under 6 s)" \
    test $(( (t1 - t0) / 1000000 )) -ge 900 -a $(( (t1 - t0) / 1000000 )) -lt 6000
t_grep "says it cut the drain short" 'drain bound reached' "$T/e.log"

# --- an application that does not understand GOAWAY: the bound ----------
kill $app $hello 2>/dev/null
wait $app $hello 2>/dev/null	# gone before the next daemon can see them
$HSYS_WRAP "$BUILD/hsysd" --workers 1 --verbose 2>"$T/f.log" &
f=$!
t_ok "a daemon starts" wait_until 60 grep -q ready "$T/f.log"
python3 "$TOP/tests/e2e/lib/echoapp.py" --ready "$T/old.ready" \
    "http://127.0.0.1:$P/old/" >"$T/old.log" 2>&1 &
old=$!
t_ok "an application without GOAWAY serves" wait_until 60 code_is 200 \
    "http://127.0.0.1:$P/old/x"
t0=$(date +%s%N)
$HSYS_WRAP "$BUILD/hsysd" --workers 1 --verbose --takeover --takeover-wait 1 \
    2>"$T/g.log" &
g=$!
t_ok "the new daemon accepts after --takeover-wait all the same" \
    wait_until 20 grep -q '0 of 1 registration(s) came back within 1000 ms' \
    "$T/g.log"
t1=$(date +%s%N)
t_ok "not before the bound" test $(( (t1 - t0) / 1000000 )) -ge 1000
t_grep "and closes the port nobody registered again" \
    'port [0-9]+: no application registered again' "$T/g.log"
t_ok "the old daemon drains and exits" wait_until 30 gone $f
wait $f
t_eq "with status 0" "$?" 0
t_ok "the old application's session ended with it" wait_until 30 gone $old
kill -TERM $g
wait $g
t_eq "the new daemon stops with status 0" "$?" 0

t_fail "--drain-timeout takes seconds" 2 "$BUILD/hsysd" --drain-timeout x
t_fail "--takeover with no daemon running fails" 1 "$BUILD/hsysd" --takeover
t_grep "and says so" 'no running hsysd to take over' "$T/err"

for l in a b d e f g hello; do
	t_nogrep "no sanitizer report in $l.log" \
	    'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/$l.log"
done
t_done
