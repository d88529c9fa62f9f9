# delegate=yes: a queue that other users' processes may attach to
# (HSYS_QUEUE_OPEN) may be created by root, or by a process whose user or
# group some URL reservation grants delegate=yes; anyone else gets EACCES
# saying what is missing. Other users attach ("owner/name") only to an
# open queue whose owner allowed them: delegate=yes, the owner's or their
# own, is never consent.
. "$(dirname "$0")/lib.sh"

# Below the ephemeral range (32768-), where a client socket of any test
# on the machine could hold the port.
P=$((20000 + RANDOM % 12000)) P2=$((P + 1)) P3=$((P + 2))
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib"
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null

# q.py NAME FLAGS [HOLD_FILE]: creates a named queue (FLAGS 3: open) and
# prints "ok" or "error CODE MESSAGE"; with HOLD_FILE, keeps the session
# (and its queue) until that file appears, at most 20 s.
# q.py NAME FLAGS HOLD_FILE UID: the same, allowing UID to attach.
# q.py attach NAME: attaches to a queue and prints the same.
cat >"$T/q.py" <<'PY'
import os, struct, sys, time
from hsys.raw import Session
s = Session("delegate-test")
if sys.argv[1] == "attach":
    r = s.queue_attach(sys.argv[2])
else:
    r = s.queue_create(sys.argv[1], flags=int(sys.argv[2]))
    if r[0] == "ok" and len(sys.argv) > 4:
        r = s.queue_allow(struct.unpack("<I", r[1])[0], int(sys.argv[4]))
print("ok" if r[0] == "ok" else "error %d %s" % (r[1], r[2]), flush=True)
if len(sys.argv) > 3 and r[0] == "ok":
    for i in range(200):
        if os.path.exists(sys.argv[3]):
            break
        time.sleep(0.1)
PY
chmod 0644 "$T/q.py"
as_user() {	# as_user UID GID ARGS...: q.py as that user
	local uid=$1 gid=$2; shift 2
	(cd / && timeout 25 setpriv --reuid="$uid" --regid="$gid" \
	    --clear-groups env HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" \
	    python3 "$T/q.py" "$@" 2>&1)
}
nobody() { as_user 65534 65534 "$@"; }

start_hsysd --workers 2 --verbose

t_eq "nobody may create a queue of its own" "$(nobody "own-$P" 1)" ok
r=$(nobody "open1-$P" 3)
t_eq "but not an open one without a reservation: EACCES" \
    "$(echo "$r" | cut -d' ' -f1-2)" "error 13"
t_ok "the refusal says what is missing" grep -q "delegate=yes" <<<"$r"
t_eq "root may create an open queue" "$(as_user 0 0 "root-$P" 3)" ok

hsys http add urlacl url="http://+:$P/" user=nobody >/dev/null
r=$(nobody "open2-$P" 3)
t_eq "a reservation for nobody with delegate=no: EACCES" \
    "$(echo "$r" | cut -d' ' -f1-2)" "error 13"
t_ok "the refusal names that reservation" \
    grep -q "http://+:$P/ says delegate=no" <<<"$r"

hsys http add urlacl url="http://+:$P2/" user=nobody listen=no \
    delegate=yes >/dev/null
t_eq "a reservation granting nobody delegate=yes allows it" \
    "$(nobody "open3-$P" 3)" ok

# Another user (daemon, uid 1) attaches to nobody's open queue only when
# nobody allowed it; daemon's own delegate=yes changes nothing.
hsys http add urlacl url="http://+:$P3/" user=daemon delegate=yes >/dev/null
nobody "dq-$P" 3 "$T/release" 1 >"$T/dq.out" &
dq=$!
nobody "oq-$P" 3 "$T/release" >"$T/oq.out" &
oq=$!
nobody "cq-$P" 1 "$T/release" >"$T/cq.out" &
cq=$!
wait_until 30 test -s "$T/dq.out" -a -s "$T/oq.out" -a -s "$T/cq.out"
t_eq "nobody holds an open queue allowing uid 1" "$(cat "$T/dq.out")" ok
t_eq "an open one allowing no one" "$(cat "$T/oq.out")" ok
t_eq "and a closed one" "$(cat "$T/cq.out")" ok
t_eq "the allowed user attaches to the open queue" \
    "$(as_user 1 1 attach "nobody/dq-$P")" ok
r=$(as_user 2 2 attach "nobody/dq-$P")
t_eq "a user it does not allow may not: EACCES" \
    "$(echo "$r" | cut -d' ' -f1-2)" "error 13"
r=$(as_user 1 1 attach "nobody/oq-$P")
t_eq "open and delegate=yes on both sides, but no consent: EACCES" \
    "$(echo "$r" | cut -d' ' -f1-2)" "error 13"
t_ok "the refusal says the owner must allow" grep -q "allow" <<<"$r"
r=$(as_user 1 1 attach "nobody/cq-$P")
t_eq "not to the closed one: EACCES" "$(echo "$r" | cut -d' ' -f1-2)" \
    "error 13"
r=$(as_user 1 1 attach "dq-$P")
t_eq "a bare name is the attaching user's own: ENOENT" \
    "$(echo "$r" | cut -d' ' -f1-2)" "error 2"
touch "$T/release"
wait $dq $oq $cq

# A group's reservation counts for its members.
hsys http delete urlacl url="http://+:$P2/" >/dev/null
r=$(nobody "open4-$P" 3)
t_eq "the delegating reservation deleted: EACCES again" \
    "$(echo "$r" | cut -d' ' -f1-2)" "error 13"
hsys http add urlacl url="http://+:$P2/" user=@nogroup delegate=yes >/dev/null
t_eq "delegate=yes for nobody's group allows it" "$(nobody "open5-$P" 3)" ok

kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
