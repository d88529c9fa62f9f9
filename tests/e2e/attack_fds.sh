# A local user cannot exhaust hsysd's descriptors (issue 10, item 3):
# idle control connections that never say HELLO, sessions that hold no
# queue, more control connections than one user may hold, idle TCP
# connections beyond MaxConnections and beyond the open-files limit.
# hsysd runs with `ulimit -n 256` and small caps, the attacker as nobody.
# Each phase shows the daemon alive and not spinning, its log bounded, and
# other clients and applications still served.
. "$(dirname "$0")/lib.sh"
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib"

P=$((20000 + RANDOM % 12000))
SOCK=$HSYS_HOME/hsysd.sock

code_max=10
alive() { kill -0 "$d" 2>/dev/null; }
nfds() { ls "/proc/$d/fd" 2>/dev/null | wc -l; }
# CPU the daemon used so far (all threads), in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$d/stat"; }
logsize() { stat -c %s "$T/d.log"; }
nobody() {
	(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups \
	    env HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" "$@")
}
attack() {	# attack NAME KIND WHERE COUNT SECONDS: in the background
	local name=$1; shift
	nobody python3 "$TOP/tests/e2e/lib/fdattack.py" "$@" \
	    >"$T/$name.out" 2>&1 &
	eval "${name}_pid=$!"
}
# An application of nobody: HELLO, channels, a queue, a prefix; prints ok
# or why not. A refused HELLO may meet a closed socket (EPIPE): the ERROR
# that says why is still there to read.
nobody_app() {
	nobody python3 - "http://+:$P/nobody/" <<'PY'
import struct, sys
from hsys.raw import *
c = Conn()
try:
    c.send(frame(HELLO, 0, with_strings(
        struct.pack("<IHHII", MAGIC, 1, 1, 0, 0), "probe")))
except OSError:
    pass
r = c.recv_frame()
if r is None or r[0] != WELCOME:
    print("refused:", error_of(r[3]) if r and r[0] == ERROR else r)
    sys.exit(0)
c.close()
try:
    s = Session("nobody-app")
    s.open_channels()
    r = s.queue_create()
    qid = struct.unpack("<I", r[1])[0]
    r = s.prefix_add(qid, sys.argv[1])
    print("ok" if r[0] == "ok" else "refused %r" % (r,))
except Exception as e:
    print("failed:", e)
PY
}
# CPU used over 3 s, in ms.
cpu_ms_over_3s() {
	local hz a b; hz=$(getconf CLK_TCK)
	a=$(ticks); sleep 3; b=$(ticks)
	echo $(( (b - a) * 1000 / hz ))
}

hsys http add urlacl url="http://+:$P/nobody/" user=nobody >/dev/null
(ulimit -n 256 && exec $HSYS_WRAP "$BUILD/hsysd" --workers 2 \
    --control-per-uid 16 --idle-session-timeout 3 \
    2>"$T/d.log") &
d=$!
t_ok "hsysd is ready" wait_until 60 grep -q 'ready: 2 worker' "$T/d.log"
case ${HSYS_WRAP:-} in
*valgrind*)	# which keeps a few descriptors of the 256 for itself
	n=$(sed -n 's/.*open files: at most \([0-9]*\);.*/\1/p' "$T/d.log")
	t_grep "MaxConnections defaults below the open-files limit" \
	    "open files: at most ${n:-none}; MaxConnections, unless set, is $(( ${n:-0} * 3 / 4 ))\$" \
	    "$T/d.log"
	t_eq "which is valgrind's share of 256 less" \
	    "$([ "${n:-0}" -gt 200 ] && [ "${n:-0}" -le 256 ] && echo yes)" yes ;;
*)	t_grep "MaxConnections defaults below the open-files limit" \
	    'open files: at most 256; MaxConnections, unless set, is 192' \
	    "$T/d.log" ;;
esac
t_ok "an application serves" start_app app "http://127.0.0.1:$P/echo/"
t_ok "a request is answered" code_is 200 "http://127.0.0.1:$P/echo/x"

# --- control connections that say nothing ---------------------------------
attack ctl unix "$SOCK" 60 8
t_ok "the attacker opened its control connections" \
    wait_until 40 grep -q opened "$T/ctl.out"
echo "# control attack: $(cat "$T/ctl.out"), hsysd holds $(nfds) fds"
t_ok "hsysd is alive" alive
t_ok "and holds well under its 256 descriptors" test "$(nfds)" -lt 200
t_grep "connections over the per-uid cap are refused" \
    'uid 65534: over --control-per-uid \(16 connections\); refused' \
    "$T/d.log"
nobody_app >"$T/nobody1.out"
t_grep "another application of that user is told why" \
    'uid 65534 holds 16 connections to hsysd already' "$T/nobody1.out"
t_ok "an application of another user registers meanwhile" \
    start_app app2 "http://127.0.0.1:$P/echo2/"
t_ok "and serves" code_is 200 "http://127.0.0.1:$P/echo2/x"
t_ok "silent connections are closed after --control-timeout (5 s)" \
    wait_until 20 grep -q 'sent nothing within 5000 ms' "$T/d.log"
t_ok "then an application of that user registers" \
    wait_until 30 eval 'nobody_app | grep -qx ok'
wait $ctl_pid

# --- a session that holds no queue -----------------------------------------
nobody python3 - >"$T/idle.out" 2>&1 <<'PY' &
import time
from hsys.raw import *
s = Session("idle")
t = time.monotonic()
s.ctl.s.settimeout(30)
r = s.ctl.recv_frame()
print("ended after %.0f s" % (time.monotonic() - t) if r is None
      else "frame %r" % (r,))
PY
idle=$!
t_ok "a session with no queue is ended (3-6 s)" \
    wait_until 20 grep -q 'ended after' "$T/idle.out"
t_grep "within twice the timeout" 'ended after [3-7] s' "$T/idle.out"
t_grep "and says why" 'held no queue for 3 s' "$T/d.log"
t_ok "a session that holds one stays, though idle longer" \
    code_is 200 "http://127.0.0.1:$P/echo/idle"
t_ok "its application is the first one still" kill -0 "$app_pid"

# --- idle TCP connections, MaxConnections by default ------------------------
size0=$(logsize)
attack tcp tcp "$P" 400 6
t_ok "the attacker opened its TCP connections" \
    wait_until 40 grep -q opened "$T/tcp.out"
echo "# TCP attack: $(cat "$T/tcp.out"), hsysd holds $(nfds) fds"
t_ok "hsysd is alive" alive
t_ok "and holds fewer descriptors than its limit" test "$(nfds)" -lt 256
t_ok "an application still registers on the control socket" \
    start_app app3 "http://127.0.0.1:$P/echo3/"
t_grep "connections over MaxConnections are refused (ConnLimit)" \
    ConnLimit "$HSYS_HOME/log/httperr.log"
wait $tcp_pid
t_ok "clients are served once the attacker lets go" \
    wait_until 60 code_is 200 "http://127.0.0.1:$P/echo3/x"

# --- beyond the open-files limit: accept fails with EMFILE ------------------
hsys http add setting name=MaxConnections value=100000 >/dev/null
sleep 1
size1=$(logsize)
attack emfile tcp "$P" 400 8
t_ok "the attacker opened its TCP connections" \
    wait_until 40 grep -q opened "$T/emfile.out"
echo "# EMFILE attack: $(cat "$T/emfile.out"), hsysd holds $(nfds) fds"
attack ctl2 unix "$SOCK" 40 6
t_ok "control connections wait meanwhile" \
    wait_until 40 grep -q opened "$T/ctl2.out"
t_ok "hsysd is alive" alive
cpu=$(cpu_ms_over_3s)
echo "# hsysd used $cpu ms of CPU in 3 s with its descriptors exhausted"
t_ok "and does not spin (under 1500 ms of CPU in 3 s)" test "$cpu" -lt 1500
t_grep "a worker pauses accepting, and says so" \
    'worker .*Too many open files; not accepting for 100 ms' "$T/d.log"
t_grep "so does the control socket" \
    'control: accept: Too many open files; not accepting for 100 ms' \
    "$T/d.log"
grown=$(( $(logsize) - size1 ))
echo "# the log grew by $grown bytes during the attack"
t_ok "its log stays small (under 64 KiB)" test "$grown" -lt 65536
t_ok "one warning line per interval at most (under 20)" \
    test "$(grep -c 'not accepting for' "$T/d.log")" -lt 20
wait $emfile_pid
wait $ctl2_pid
t_ok "hsysd is alive after the attack" alive
t_ok "clients are served again" \
    wait_until 60 code_is 200 "http://127.0.0.1:$P/echo/y"
t_ok "the control plane too" \
    wait_until 60 eval 'hsys http show servicestate >/dev/null'
echo "# log: $(logsize) bytes in all (was $size0 before the TCP attacks)"

kill "$app_pid" "$app2_pid" "$app3_pid" 2>/dev/null
kill -TERM "$d"
t_ok "hsysd stops" wait_until 60 eval '! kill -0 $d'
wait "$d"
t_eq "with status 0" "$?" 0
t_done
