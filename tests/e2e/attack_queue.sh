# Issue 10, items 4 and 10: another local user may not take a queue's
# requests, nor its name.
#
# User A (nobody) serves its URLs on open queues (its reservation grants
# delegate=yes). User B (daemon, uid 1), with a delegate=yes reservation of
# its own, mounts both attacks:
#   - attaching to A's open queue, to receive half of its requests (Cookie
#     and Authorization included): refused, until A allows B; then B
#     shares that queue's requests, and only that queue's;
#   - creating A's queue name first (squatting): A still creates and
#     serves its queue, since names are each owner's own.
# Throughout, A's clients are served by A, and hsysd stays up.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000)) P2=$((P + 1))
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib"
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null
U=$T/u	# the users' ready files
mkdir -p "$U" && chmod 1777 "$U"

field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# start_as UID NAME ARGS...: echoapp.py as that user (and its group), in
# the background; $NAME_pid is its pid (setpriv and env exec it). 0 once
# it serves; 1 when refused ($T/NAME.out says "refused CODE MESSAGE").
start_as() {
	local uid=$1 name=$2; shift 2
	rm -f "$U/$name.ready"
	(cd / && exec setpriv --reuid="$uid" --regid="$uid" --clear-groups \
	    env HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" \
	    python3 "$TOP/tests/e2e/lib/echoapp.py" --ready "$U/$name.ready" \
	    "$@") >"$T/$name.out" 2>&1 &
	eval "${name}_pid=$!"
	wait_until 30 settled "$name" $!
	[ -e "$U/$name.ready" ]
}
# settled NAME PID: the application is ready, was refused or has exited
settled() {
	[ -e "$U/$1.ready" ] || grep -q refused "$T/$1.out" ||
	    ! kill -0 "$2" 2>/dev/null
}

# pids URL N: the pid that answered each of N requests, one a line ("-"
# for an answer that is not 200). The requests carry the secrets an
# attacker is after.
pids() {
	python3 - "$1" "$2" <<'PY'
import json, sys, urllib.request
open_url = urllib.request.build_opener(urllib.request.ProxyHandler({})).open
for i in range(int(sys.argv[2])):
    r = urllib.request.Request(sys.argv[1], headers={
        "Cookie": "session=secret", "Authorization": "Bearer secret"})
    try:
        with open_url(r, timeout=10) as f:
            print(json.load(f)["pid"] if f.status == 200 else "-")
    except Exception:
        print("-")
PY
}

hsys http add urlacl url="http://+:$P/" user=nobody delegate=yes >/dev/null
hsys http add urlacl url="http://+:$P2/" user=daemon delegate=yes >/dev/null
start_hsysd --workers 2 --verbose

# --- the squat: B takes the name "jobs" before A ---------------------------
t_ok "B creates a queue named jobs first" \
    start_as 1 squat --queue jobs --open "http://+:$P2/b/"
t_ok "A still creates its own queue jobs, open, and serves on it" \
    start_as 65534 a --queue jobs --open "http://+:$P/a/"
t_eq "A's clients are served by A" "$(pids "http://127.0.0.1:$P/a/x" 10 |
    sort -u)" "$a_pid"
t_eq "B's clients by B" "$(pids "http://127.0.0.1:$P2/b/x" 3 | sort -u)" \
    "$squat_pid"
r=$(cd / && setpriv --reuid=1 --regid=1 --clear-groups env \
    HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" python3 -c '
from hsys.raw import *
s = Session("squatter")
r = s.queue_create("nobody/jobs", QUEUE_F_NAMED | QUEUE_F_OPEN)
print(r[0], r[1] if len(r) > 1 else "")' 2>&1)
t_eq "B cannot create a name in A's namespace: EINVAL" "$r" "error 22"

# --- the hijack: B attaches to A's open queue --------------------------------
t_fail "B attaching to A's open queue (nobody/jobs) is refused" 1 \
    start_as 1 thief --queue nobody/jobs
t_grep "with EACCES, saying A did not allow it" "refused 13 .*allow" \
    "$T/thief.out"
t_fail "by uid too (65534/jobs)" 1 start_as 1 thief2 --queue 65534/jobs
t_grep "with EACCES" "refused 13 " "$T/thief2.out"
t_ok "B's bare name jobs is B's own queue" start_as 1 own --queue jobs
t_eq "A's clients are still served by A alone" \
    "$(pids "http://127.0.0.1:$P/a/x" 10 | sort -u)" "$a_pid"
t_ok "while B's process on its own queue jobs runs" kill -0 "$own_pid"
kill $own_pid $squat_pid 2>/dev/null
wait $own_pid $squat_pid 2>/dev/null

# --- consent: A allows B on another queue; then B shares it ----------------
t_ok "A opens a queue allowing uid 1" start_as 65534 share --queue shared \
    --open --allow 1 "http://+:$P/s/"
t_ok "and one allowing group 1" start_as 65534 grp --queue grp --open \
    --allow-group 1 "http://+:$P/g/"
t_fail "a user A did not allow (bin, uid 2) is refused" 1 \
    start_as 2 other --queue nobody/shared
t_grep "with EACCES" "refused 13 " "$T/other.out"
t_ok "B attaches to nobody/shared, which allows it" \
    start_as 1 helper --queue nobody/shared
pids "http://127.0.0.1:$P/s/x" 20 >"$T/shared.pids"
t_eq "the shared queue's requests are all answered" \
    "$(grep -c -- - "$T/shared.pids")" 0
t_grep "A's process serves some" "^$share_pid\$" "$T/shared.pids"
t_grep "B's process serves some" "^$helper_pid\$" "$T/shared.pids"
t_eq "A's other queue is still A's alone" \
    "$(pids "http://127.0.0.1:$P/a/x" 10 | sort -u)" "$a_pid"
t_ok "a member of the allowed group attaches (65534/grp)" \
    start_as 1 member --queue 65534/grp
hsys http show servicestate >"$T/state.txt"
t_grep "servicestate shows whom A allowed" "Allowed to attach: uid 1$" \
    "$T/state.txt"
t_grep "and that A's jobs admits nobody else" \
    "Allowed to attach: nobody else$" "$T/state.txt"
hsys http show servicestate --json >"$T/state.json"
t_eq "servicestate --json lists them" "$(python3 -c '
import json, sys
q = [q for q in json.load(open(sys.argv[1]))["queues"] if q["name"] == "grp"]
print(q[0]["allow"])' "$T/state.json" 2>&1)" "[{'gid': 1}]"
r=$(cd / && setpriv --reuid=1 --regid=1 --clear-groups env \
    HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" python3 -c '
import struct
from hsys.raw import *
s = Session("helper2")
r = s.queue_attach("nobody/shared")
q = struct.unpack("<I", r[1])[0]
r = s.queue_allow(q, 2)
print(r[0], r[1] if len(r) > 1 else "")' 2>&1)
t_eq "B, allowed, cannot allow bin in turn: EPERM" "$r" "error 1"

kill $helper_pid $member_pid $share_pid $grp_pid $a_pid 2>/dev/null
wait $helper_pid $member_pid $share_pid $grp_pid $a_pid 2>/dev/null
t_ok "hsysd is alive after both attacks" kill -0 $dpid
kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
