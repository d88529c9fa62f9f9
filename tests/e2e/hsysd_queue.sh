# Request queues' length and grace period (docs/api.md): QUEUE_SET and its
# bounds; 503 QueueFull while an application holds as many requests as
# its queue's length; requests that wait while no process serves a queue
# and are served when one attaches again (by name, or by taking an
# anonymous queue's prefix over); the grace period's end (503 AppOffline,
# then the prefix is gone); waiting clients that leave; and application
# restarts under load, both ways docs/deploy.md describes, without one
# failed request.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib"

start_hsysd --workers 2 --verbose

# stop_app NAME: kill -9, and wait until it is gone
stop_app() {
	local pid
	eval "pid=\$${1}_pid"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
# fetch URL OUT: status, then seconds taken, into OUT; the body into OUT.body
fetch() {
	curl -s -m 30 -o "$2.body" -w '%{http_code} %{time_total}\n' "$1" \
	    >"$2" 2>/dev/null
}
# at_least A B: A >= B, as decimals
at_least() { python3 -c "import sys; sys.exit(not $1 >= $2)"; }
json() { python3 -c "import json,sys; print(json.load(open('$1'))$2)"; }
json_pid() { python3 -c "import json,sys
try: print(json.load(sys.stdin)['pid'])
except Exception: print()"; }
# field NAME: that field of the JSON on stdin
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# --- QUEUE_SET over the wire --------------------------------------------
python3 - >"$T/set.out" 2>"$T/set.err" <<'PY'
import errno, struct
from hsys.raw import *

def check(what, cond):
    print(("ok - " if cond else "not ok - ") + what, flush=True)

s = Session("setter")
check("WELCOME announces QUEUE_SET", s.features & FEATURE_QUEUE_SET)
q = struct.unpack("<I", s.queue_create()[1])[0]
check("length 1 is accepted", s.queue_set(q, QUEUE_LENGTH, 1)[0] == "ok")
check("length 65535 is accepted",
      s.queue_set(q, QUEUE_LENGTH, 65535)[0] == "ok")
for v in (0, 65536):
    r = s.queue_set(q, QUEUE_LENGTH, v)
    check("length %d is EINVAL, and the message says the bounds" % v,
          r[0] == "error" and r[1] == errno.EINVAL and "65535" in r[2])
check("grace 0 is accepted", s.queue_set(q, QUEUE_GRACE, 0)[0] == "ok")
check("grace 300000 is accepted",
      s.queue_set(q, QUEUE_GRACE, 300000)[0] == "ok")
r = s.queue_set(q, QUEUE_GRACE, 300001)
check("grace 300001 is EINVAL", r[0] == "error" and r[1] == errno.EINVAL)
r = s.queue_set(q, 99, 1)
check("an unknown property is EINVAL",
      r[0] == "error" and r[1] == errno.EINVAL and "99" in r[2])
r = s.queue_set(q + 1000, QUEUE_LENGTH, 5)
check("a queue the session does not hold is ENOENT",
      r[0] == "error" and r[1] == errno.ENOENT)
r = s.queue_create("big", max_waiting=65536)
check("QUEUE_CREATE with a length beyond 65535 is EINVAL",
      r[0] == "error" and r[1] == errno.EINVAL)
check("the session lives on after refusals",
      s.queue_set(q, QUEUE_LENGTH, 7)[0] == "ok")
PY
while IFS= read -r line; do
	case $line in
	"ok - "*) _t_report 0 "${line#ok - }" ;;
	"not ok - "*) _t_report 1 "${line#not ok - }" ;;
	esac
done <"$T/set.out"
t_nogrep "the QUEUE_SET client ran to its end" 'Traceback' "$T/set.err"

# --- the length: 503 QueueFull beyond it ---------------------------------
t_ok "an app with a queue of length 3" start_app full --length 3 \
    "http://+:$P/full/"
for i in 1 2 3; do
	fetch "http://127.0.0.1:$P/full/hold?ms=4000" "$T/held$i" &
done
wait_until 30 prints 3 grep -c '^held' "$T/full.out"
t_eq "the app holds three requests" "$(grep -c '^held' "$T/full.out")" 3
fetch "http://127.0.0.1:$P/full/x" "$T/over"
t_eq "a fourth request while three are held: 503" \
    "$(cut -d' ' -f1 "$T/over")" 503
t_ok "and at once (well within the 4 s hold)" \
    at_least 2 "$(cut -d' ' -f2 "$T/over")"
t_grep "hsysd logs QueueFull" 'QueueFull: queue [0-9]+ holds 3 requests' \
    "$T/d.log"
httperr() {	# the error log names $1 (its writer flushes within 100 ms)
	wait_until 30 grep -q " $1 " "$HSYS_HOME/log/httperr.log"
}
t_ok "and writes it to httperr.log" httperr QueueFull
for i in 1 2 3; do
	wait_until 30 test -s "$T/held$i"
done
t_eq "the held requests are answered 200" \
    "$(cut -d' ' -f1 "$T/held1" "$T/held2" "$T/held3" | sort -u)" 200
t_eq "answered, they leave the queue: the next request is served" \
    "$(code "http://127.0.0.1:$P/full/x")" 200
stop_app full

# --- grace: a named queue, attached again --------------------------------
# Grace periods of 30 s: a new Python process may take seconds to start
# on a loaded machine, and these cases are about coming back within it.
t_ok "an app serves a named queue" start_app g1 --queue svc --grace 30000 \
    "http://+:$P/g/"
first=$(curl -s "http://127.0.0.1:$P/g/x" | field pid)
stop_app g1
fetch "http://127.0.0.1:$P/g/wait" "$T/gw" &
fw=$!
sleep 1.5
t_ok "a new process attaches to the queue within the grace period" \
    start_app g2 --queue svc
wait $fw
t_eq "the request made while no process served is answered 200" \
    "$(cut -d' ' -f1 "$T/gw")" 200
t_ok "after waiting for the new process (>= 1 s)" \
    at_least "$(cut -d' ' -f2 "$T/gw")" 1
t_ok "served by the new process" \
    test "$(json "$T/gw.body" '["pid"]')" = "$g2_pid" -a "$g2_pid" != "$first"
t_grep "hsysd logs the queue served again" 'queue [0-9]+ svc is served again' \
    "$T/d.log"

# --- grace: an anonymous queue, taken over by its prefix -----------------
t_ok "an app serves an anonymous queue" start_app a1 --grace 30000 \
    "http://+:$P/a/"
stop_app a1
fetch "http://127.0.0.1:$P/a/wait" "$T/aw" &
fw=$!
sleep 1
t_ok "a new process of the same user adds the same prefix" \
    start_app a2 "http://+:$P/a/"
wait $fw
t_eq "the waiting request is answered 200" "$(cut -d' ' -f1 "$T/aw")" 200
t_eq "by the new process" "$(json "$T/aw.body" '["pid"]')" "$a2_pid"
t_grep "hsysd logs the take-over" "took http://\+:$P/a/ over from queue" \
    "$T/d.log"

# --- waiting clients that leave ------------------------------------------
t_ok "an app with a queue of length 2" start_app l1 --queue leave \
    --length 2 --grace 30000 "http://+:$P/l/"
stop_app l1
for i in 1 2 3; do
	curl -s -m 0.5 -o /dev/null "http://127.0.0.1:$P/l/gone$i"
done
t_ok "a new process attaches" start_app l2 --queue leave
t_eq "clients that gave up freed their places: served" \
    "$(code "http://127.0.0.1:$P/l/x")" 200
t_eq "and none of theirs reached the new process" \
    "$(curl -s "http://127.0.0.1:$P/l/y" | field given)" 2

# --- the grace period's end -----------------------------------------------
t_ok "an app with a grace period of 1.5 s" start_app e1 --grace 1500 \
    "http://+:$P/e/"
stop_app e1
fetch "http://127.0.0.1:$P/e/x" "$T/ew"
t_eq "no process comes back: the waiting request gets 503" \
    "$(cut -d' ' -f1 "$T/ew")" 503
t_ok "after about the grace period (>= 1.2 s)" \
    at_least "$(cut -d' ' -f2 "$T/ew")" 1.2
t_ok "and not much later (< 10 s)" at_least 10 "$(cut -d' ' -f2 "$T/ew")"
t_grep "hsysd logs AppOffline for the queue" \
    'AppOffline: queue [0-9]+: no process attached within its grace' \
    "$T/d.log"
t_eq "then the prefix is gone: 404 (the host still serves /g/)" \
    "$(code "http://127.0.0.1:$P/e/x")" 404

# --- grace 0: 503 at once -------------------------------------------------
t_ok "an app with grace 0" start_app z1 --grace 0 "http://+:$P/z/"
stop_app z1
t_eq "its prefix goes with it" "$(code "http://127.0.0.1:$P/z/x")" 404

# --- restarts under load ------------------------------------------------
# load NAME PATH: 6 threads of keep-alive clients until $T/NAME.stop
# exists (at most 60 s, 100000 requests each); prints "total failed
# slowest-seconds", the statuses seen, and the pids that answered. The
# first answer makes $T/NAME.stop.first: the load is under way (on a
# loaded machine its threads may take seconds to start).
load() {
	rm -f "$T/$1.stop" "$T/$1.stop.first"
	python3 - "$P" "$2" "$T/$1.stop" >"$T/$1.load" 2>&1 <<'PY' &
import collections, http.client, json, os, sys, threading, time
port, path, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = threading.Lock()
codes, pids, total = collections.Counter(), collections.Counter(), [0]
slowest = [0.0]

def client():
    end = time.monotonic() + 60
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(100000):
        t0 = time.monotonic()
        if t0 >= end or os.path.exists(stop):
            break
        try:
            c.request("GET", path)
            r = c.getresponse()
            body = r.read()
            st = r.status
            pid = json.loads(body)["pid"] if st == 200 else None
            if r.will_close:
                c.close()
        except Exception as e:
            st, pid = repr(e)[:40], None
            c.close()
        with lock:
            slowest[0] = max(slowest[0], time.monotonic() - t0)
            total[0] += 1
            codes[st] += 1
            if pid:
                pids[pid] += 1
                if len(pids) == 1 and pids[pid] == 1:
                    open(stop + ".first", "w").close()
    c.close()

ts = [threading.Thread(target=client) for _ in range(6)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(total[0], total[0] - codes[200], "%.3f" % slowest[0])
print(dict(codes))
print(" ".join(str(p) for p in sorted(pids)))
PY
	eval "${1}_load=$!"
}
# started NAME: waits (up to 60 s) until the load has had an answer
started() {
	wait_until 60 test -e "$T/$1.stop.first"
}
# answered_by PATH: the pid of the process that answers a request for PATH
answered_by() { curl -s -m 5 "http://127.0.0.1:$P$1" | json_pid; }
# unload NAME PID PATH: lets the new version (PID) serve a while — until
# it has answered a request of ours for PATH, at most 60 s — then ends
# the load
unload() {
	local pid
	wait_until 60 prints "$2" answered_by "$3"
	sleep 0.5
	touch "$T/$1.stop"
	eval "pid=\$${1}_load"
	wait "$pid"
}

# Start the new version on the same named queue, then stop the old one.
# (A grace period of 20 s: restarts are slow on a loaded machine.)
t_ok "version 1 serves a named queue" start_app v1 --queue rolling \
    --grace 20000 "http://+:$P/r/"
load roll /r/x
started roll
t_ok "version 2 attaches to the queue under load" start_app v2 \
    --queue rolling
sleep 1
kill -TERM "$v1_pid"
wait "$v1_pid"
t_eq "version 1 stops gracefully (closes its queue, drains, exits 0)" $? 0
unload roll "$v2_pid" /r/x
read -r total failed slowest <"$T/roll.load"
t_ok "requests were made throughout ($total)" test "$total" -ge 50
t_eq "start new, stop old: no failed request" "$failed" 0
t_eq "both versions served" "$(sed -n 3p "$T/roll.load" | wc -w)" 2

# Stop the old version, start the new one within the grace period.
load gap /r/x
started gap
kill -TERM "$v2_pid"
wait "$v2_pid"
sleep 1
t_ok "version 3 attaches within the grace period, under load" start_app v3 \
    --queue rolling
unload gap "$v3_pid" /r/x
read -r total failed slowest <"$T/gap.load"
t_ok "requests were made throughout ($total)" test "$total" -ge 50
t_eq "stop, then restart within the grace period: no failed request" \
    "$failed" 0
t_eq "both versions served" "$(sed -n 3p "$T/gap.load" | wc -w)" 2
t_ok "some requests waited for version 3 (slowest ${slowest}s >= 0.5s)" \
    at_least "$slowest" 0.5
t_grep "requests waited meanwhile (the queue was left without process)" \
    'queue [0-9]+ rolling has no process' "$T/d.log"

# The same with an anonymous queue: the new process takes the prefix over.
t_ok "an app serves an anonymous queue" start_app w1 --grace 20000 \
    "http://+:$P/w/"
load anon /w/x
started anon
kill -TERM "$w1_pid"
wait "$w1_pid"
sleep 1
t_ok "its next version adds the prefix within the grace period" \
    start_app w2 "http://+:$P/w/"
unload anon "$w2_pid" /w/x
read -r total failed slowest <"$T/anon.load"
t_ok "requests were made throughout ($total)" test "$total" -ge 50
t_eq "anonymous queue restarted under load: no failed request" "$failed" 0
t_ok "some requests waited for the new process (slowest ${slowest}s)" \
    at_least "$slowest" 0.5
for f in roll gap anon; do sed 's/^/# '"$f"': /' "$T/$f.load"; done

kill "$dpid"
wait "$dpid"
t_eq "hsysd exits cleanly with queues in their grace period" $? 0
[ "$_t_failed" = 0 ] || tail -40 "$T/d.log" | sed 's/^/# d.log: /'
t_done
