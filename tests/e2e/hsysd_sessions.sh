# Application sessions over the wire protocol (docs/protocol.md), spoken by
# a Python client written from the document: HELLO/WELCOME, data channels
# and their checks, queue operations and their refusals, session ends, and
# garbage on a control channel.
. "$(dirname "$0")/lib.sh"

start_hsysd -p pid --workers 2 --verbose


PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib" python3 - >"$T/py.out" 2>"$T/py.err" <<'PY'
import errno, os, socket, struct, time
from hsys.raw import *

def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)

s = Session("alpha")
check("WELCOME speaks version 1", s.version == 1)
check("WELCOME announces the two workers", s.workers == 2)
check("WELCOME announces the default window", s.window == 256 * 1024)
check("WELCOME announces HTTP.sys's queue bound", s.max_waiting == 1000)
check("the session key is 16 random bytes", len(s.key) == 16 and any(s.key))

bad = s.channel(0, key=b"\0" * 16)
r = bad.recv_frame()
check("a CHANNEL with a wrong key is refused", r and r[0] == ERROR and
      error_of(r[3])[0] == errno.EACCES)
check("and its connection closed", bad.recv_frame() is None)
bad = s.channel(0, sid=s.id + 1000)
r = bad.recv_frame()
check("a CHANNEL for an unknown session is refused the same way",
      r and error_of(r[3])[0] == errno.EACCES)
bad = s.channel(7)
r = bad.recv_frame()
check("a CHANNEL index beyond the workers is refused",
      r and error_of(r[3])[0] == errno.EINVAL)

s.open_channels()
s.channels[0].s.settimeout(0.3)
try:
    got = s.channels[0].s.recv(1)
    check("an accepted data channel stays open and silent", False)
except socket.timeout:
    check("an accepted data channel stays open and silent", True)
dup = s.channel(1)
r = dup.recv_frame()
check("a second CHANNEL for the same index is refused",
      r and error_of(r[3])[0] == errno.EINVAL)

r = s.queue_create()
check("an anonymous queue is created", r[0] == "ok" and len(r[1]) == 4)
anon = struct.unpack("<I", r[1])[0]
r = s.queue_create("jobs")
check("a named queue is created", r[0] == "ok")
jobs = struct.unpack("<I", r[1])[0]
check("queue ids differ", jobs != anon)
r = s.queue_create("jobs")
check("a second queue of the same name is refused with EEXIST",
      r[0] == "error" and r[1] == errno.EEXIST and "jobs" in r[2])
r = s.queue_create("bad\nname")
check("a name with a control character is refused",
      r[0] == "error" and r[1] == errno.EINVAL)
r = s.queue_create("x", flags=0)
check("a name without the NAMED flag is refused", r[0] == "error")
r = s.queue_attach("nope")
check("attaching to a missing queue is ENOENT",
      r[0] == "error" and r[1] == errno.ENOENT)

t = Session("beta")
r = t.queue_attach("jobs")
check("a second session of the same user attaches to the named queue",
      r[0] == "ok" and struct.unpack("<I", r[1])[0] == jobs)

r = s.prefix_add(jobs, "http:/bad")
check("a malformed prefix is refused with EINVAL and why",
      r[0] == "error" and r[1] == errno.EINVAL and len(r[2]) > 10)
r = s.prefix_add(999, "http://+:18080/x/")
check("a prefix for a queue the session does not hold is ENOENT",
      r[0] == "error" and r[1] == errno.ENOENT)

r = s.queue_close(anon)
check("closing a held queue", r[0] == "ok")
r = s.queue_close(anon)
check("closing it twice is ENOENT", r[0] == "error" and r[1] == errno.ENOENT)

# A data channel that closes ends its session.
s.channels[1].close()
check("closing a data channel ends the session (control channel EOF)",
      s.ctl.recv_frame() is None)
r = t.queue_create("jobs")
check("the named queue lives on while another session holds it",
      r[0] == "error" and r[1] == errno.EEXIST)
t.ctl.close()
time.sleep(0.3)
u = Session("gamma")
r = u.queue_create("jobs")
check("and goes with the last session", r[0] == "ok")

# Garbage on a control channel: that session alone is cut off.
u.ctl.send(frame(0x7777, 1))
r = u.ctl.recv_frame()
check("an unknown frame type is answered with EPROTO",
      r and r[0] == ERROR and error_of(r[3])[0] == errno.EPROTO)
check("and the session is closed", u.ctl.recv_frame() is None)
v = Conn()
v.send(struct.pack("<IHHQ", 1 << 30, HELLO, 0, 0))
r = v.recv_frame()
check("an oversized frame is refused with EMSGSIZE",
      r and error_of(r[3])[0] == errno.EMSGSIZE)
w = Conn()
w.send(frame(HELLO, 0, struct.pack("<IHHII", 0xdeadbeef, 1, 1, 0, 0) +
             b"\0" * 8))
r = w.recv_frame()
check("a HELLO without the magic is refused", r and r[0] == ERROR)
x = Conn()
x.send(frame(HELLO, 0, with_strings(struct.pack("<IHHII", MAGIC, 2, 3, 0, 0),
                                    "future")))
r = x.recv_frame()
check("a HELLO for versions 2-3 only is EPROTONOSUPPORT",
      r and error_of(r[3])[0] == errno.EPROTONOSUPPORT)
y = Session("after-garbage")
check("the daemon still welcomes new sessions", y.id > 0)
PY
while IFS= read -r line; do
	case $line in
	"ok - "*) _t_report 0 "${line#ok - }" ;;
	"not ok - "*) _t_report 1 "${line#not ok - }" ;;
	esac
done <"$T/py.out"
t_nogrep "the client ran to its end" 'Traceback' "$T/py.err"

# Another user may not attach to a queue it does not own.
PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib" python3 - >"$T/own.out" <<'PY' &
import time
from hsys.raw import *
s = Session("owner")
s.queue_create("private")
print("ready", flush=True)
time.sleep(5)
PY
owner=$!
wait_until 30 grep -q ready "$T/own.out"
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null
r=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups \
    env HSYS_HOME="$HSYS_HOME" PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib" python3 -c '
from hsys.raw import *
s = Session("intruder")
r = s.queue_attach("root/private")
print(r[0], r[1] if len(r) > 1 else "")
r = s.queue_create("open", flags=3)
print(r[0], r[1] if len(r) > 1 else "")
r = s.queue_attach("private")
print(r[0], r[1] if len(r) > 1 else "")' 2>&1)
t_eq "another uid may not attach to a queue that is not open" \
    "$(echo "$r" | sed -n 1p)" "error 13"
t_eq "nor create an open queue without a delegate reservation" \
    "$(echo "$r" | sed -n 2p)" "error 13"
t_eq "a bare name is the user's own: nobody has no 'private'" \
    "$(echo "$r" | sed -n 3p)" "error 2"
kill $owner 2>/dev/null; wait $owner 2>/dev/null

t_ok "hsysd is still running" kill -0 $pid
kill -TERM $pid; wait $pid
t_eq "and stops cleanly with sessions open" "$?" 0
t_nogrep "no sanitizer report" 'ERROR: (Address|Leak)Sanitizer|runtime error' "$T/d.log"
t_done
