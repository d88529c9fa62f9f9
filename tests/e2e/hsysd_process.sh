# hsysd as a process: readiness, one daemon per store, the control socket,
# CONFIG_CHANGED and the periodic generation check, clean stop on SIGTERM,
# and bad options.
. "$(dirname "$0")/lib.sh"

hsysd_bin() { $HSYS_WRAP "$BUILD/hsysd" "$@"; }
# run_hsysd LOG ARGS...: in the background; $pid is the daemon itself.
# (Not lib.sh's start_hsysd: that the daemon gets ready is what this
# script asserts.)
run_hsysd() {
	local log=$1; shift
	$HSYS_WRAP "$BUILD/hsysd" "$@" 2>"$log" &
	pid=$!
}


# Send one frame: type, id (little-endian), no payload.
send_frame() {
	python3 - "$HSYS_HOME/hsysd.sock" "$1" "$2" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(struct.pack('<IHHQ', 0, int(sys.argv[2], 0), 0, int(sys.argv[3])))
s.settimeout(5)
try:
    data = s.recv(4096)
except OSError:
    data = b''
sys.stdout.write(data.hex())
PY
}

t_fail "--workers 0 is refused" 2 hsysd_bin --workers 0
t_fail "an unknown option is refused" 2 hsysd_bin --bogus
t_ok "--version" hsysd_bin --version
t_grep "--version prints it" '^hsysd [0-9]' "$T/out"

run_hsysd "$T/d.log" --workers 2 --verbose
t_ok "it reports readiness" wait_until 60 grep -q 'ready: 2 worker' "$T/d.log"
t_ok "the control socket exists" test -S "$HSYS_HOME/hsysd.sock"
t_eq "the socket is mode 0666" "$(stat -c %a "$HSYS_HOME/hsysd.sock")" 666

t_fail "a second daemon on the same store is refused" 1 hsysd_bin
t_grep "and says which pid holds it" "another hsysd \\(pid $pid\\)" "$T/err"
t_ok "the first one still runs" kill -0 $pid

send_frame 0x0F01 7 >/dev/null
t_ok "CONFIG_CHANGED is received" \
    wait_until 30 grep -q 'configuration generation 7 announced' "$T/d.log"

reply=$(send_frame 0x0001 0)
t_eq "an application session is answered with ERROR for now" \
    "${reply:8:4}" "0400"
reply=$(send_frame 0x7777 0)
t_eq "an unknown frame type is answered with ERROR" "${reply:8:4}" "0400"
# A frame header announcing a huge payload: refused, daemon unharmed.
python3 - "$HSYS_HOME/hsysd.sock" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(struct.pack('<IHHQ', 0xFFFFFFF0, 1, 0, 0))
s.settimeout(5)
s.recv(64)
PY
t_ok "an oversized frame leaves the daemon running" kill -0 $pid

kill -TERM $pid
wait $pid
t_eq "SIGTERM stops it with status 0" "$?" 0
t_grep "it logs why it stopped" 'signal 15: stopping' "$T/d.log"
t_ok "the socket is gone" test ! -e "$HSYS_HOME/hsysd.sock"

run_hsysd "$T/d2.log"
t_ok "a new daemon starts after a clean stop" \
    wait_until 60 grep -q ready "$T/d2.log"
kill -KILL $pid; wait $pid 2>/dev/null
run_hsysd "$T/d3.log"
t_ok "and after a crash (stale socket and lock file left behind)" \
    wait_until 60 grep -q ready "$T/d3.log"
kill -TERM $pid; wait $pid
t_done
