# hsysd started as root serving as an unprivileged user (--user, issue 16):
# the serving process's identity and capabilities (CAP_NET_BIND_SERVICE
# alone, in every set), a listener for a new registration on a port below
# 1024 opened live, a reload, servicestate, the logs reopened after a
# rotation, and a handover whose new daemon is the same user with the
# same one capability, all under hsysd's own seccomp filter (Seccomp: 2;
# test_sandbox checks what it refuses). nobody stands in for hsys (a test
# makes no user).
. "$(dirname "$0")/lib.sh"
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib"

if [ "$(id -u)" != 0 ]; then
	echo "# skipped: needs root"; t_done; exit 0
fi
P=$((20000 + RANDOM % 12000))
# A port below 1024 nothing listens on.
for LOW in $(shuf -i 800-999 -n 20); do
	ss -Htln "sport = :$LOW" | grep -q . || break
done
code_max=10
NBS=0000000000000400	# CAP_NET_BIND_SERVICE (10)

status_of() { grep -E "^$2:" "/proc/$1/status" | tr -s '\t ' ' ' | cut -d' ' -f2- | sed 's/ *$//'; }
lock_pid() { head -n 1 "$HSYS_HOME/hsysd.lock"; }

start_hsysd --workers 2 --verbose --user nobody
t_grep "it says whom it serves as" 'serving as nobody \(uid 65534\)' "$T/d.log"
t_eq "real, effective, saved and fs uid: nobody" \
    "$(status_of "$dpid" Uid)" "65534 65534 65534 65534"
t_eq "and its group" "$(status_of "$dpid" Gid)" "65534 65534 65534 65534"
t_eq "no supplementary group but its own" "$(status_of "$dpid" Groups)" \
    "65534"
for set in CapEff CapPrm CapBnd CapAmb; do
	t_eq "$set: CAP_NET_BIND_SERVICE alone" "$(status_of "$dpid" $set)" $NBS
done
t_eq "no new privileges" "$(status_of "$dpid" NoNewPrivs)" 1
case ${HSYS_WRAP:-} in
*valgrind*)	# which cannot emulate seccomp: hsysd serves without, saying so
	t_eq "under valgrind: no seccomp filter" \
	    "$(status_of "$dpid" Seccomp)" 0
	t_grep "which it says" 'seccomp: not available here' "$T/d.log" ;;
*)	t_eq "under hsysd's seccomp filter" "$(status_of "$dpid" Seccomp)" 2
	t_grep "which it says" 'seccomp: the system call filter is on' \
	    "$T/d.log" ;;
esac
t_eq "every thread is nobody" \
    "$(cat /proc/$dpid/task/*/status | grep -E '^Uid:' | sort -u | wc -l)" 1
t_eq "no thread holds another capability" "$(cat /proc/$dpid/task/*/status |
    grep -E '^CapEff:' | grep -Ev "$NBS|0000000000000000" | wc -l)" 0
t_ok "the well-known socket is a link to the user's directory" \
    test "$(readlink "$HSYS_HOME/hsysd.sock")" = control/hsysd.sock
t_eq "which belongs to the user" "$(stat -c %U "$HSYS_HOME/control")" nobody
t_eq "the runtime and store directory stays root's" \
    "$(stat -c %U "$HSYS_HOME")" root
t_eq "the logs belong to the user" \
    "$(stat -c %U "$HSYS_HOME/log/access.log" "$HSYS_HOME/log" | sort -u)" \
    nobody

python3 "$TOP/tests/e2e/lib/echoapp.py" --reconnect --ready "$T/app.ready" \
    "http://127.0.0.1:$LOW/low/" "http://127.0.0.1:$P/echo/" \
    >"$T/app.log" 2>&1 &
t_ok "an application registers a port below 1024" \
    wait_until 60 test -e "$T/app.ready"
t_ok "nobody's hsysd listens on it (CAP_NET_BIND_SERVICE)" \
    wait_until 30 code_is 200 "http://127.0.0.1:$LOW/low/x"
t_eq "and on the other" "$(code "http://127.0.0.1:$P/echo/x")" 200

t_ok "servicestate through the link" hsys http show servicestate
t_grep "names the low port's listener" ":$LOW" "$T/out"
t_ok "a configuration change is announced" \
    hsys http add timeout timeouttype=idleconnectiontimeout value=77
t_ok "and read by the unprivileged daemon" \
    wait_until 30 grep -q 'configuration generation 2' "$T/d.log"

# logrotate's way: move the files, SIGHUP; hsysd makes new ones, as nobody.
mv "$HSYS_HOME/log/access.log" "$HSYS_HOME/log/access.log.1"
kill -HUP "$dpid"
t_ok "the logs are reopened after a rotation" \
    wait_until 30 test -e "$HSYS_HOME/log/access.log"
t_eq "a request after it" "$(code "http://127.0.0.1:$P/echo/rotated")" 200
t_ok "is logged in the new file" \
    wait_until 30 grep -q /echo/rotated "$HSYS_HOME/log/access.log"
t_eq "which nobody made" "$(stat -c %U "$HSYS_HOME/log/access.log")" nobody

# Handover: the serving process starts its successor, which inherits the
# user and, through the ambient set, the one capability.
old=$dpid
kill -USR2 "$old"
t_ok "a handover: the old daemon exits" wait_until 60 gone "$old"
wait "$old"
t_eq "with status 0 (under ASan: LeakSanitizer worked under the filter)" $? 0
new=$(lock_pid)
t_ok "a new daemon holds the lock" test "$new" != "$old" -a -d "/proc/$new"
t_eq "it is nobody too" "$(status_of "$new" Uid)" "65534 65534 65534 65534"
t_eq "with CAP_NET_BIND_SERVICE alone" "$(status_of "$new" CapEff)" $NBS
t_eq "under the filter it inherited" "$(status_of "$new" Seccomp)" 2
t_ok "it serves the low port" \
    wait_until 30 code_is 200 "http://127.0.0.1:$LOW/low/after"
t_ok "and the other" code_is 200 "http://127.0.0.1:$P/echo/after"
t_ok "its control socket is in place" hsys http show servicestate
kill "$new"
t_ok "it stops on SIGTERM" wait_until 30 gone "$new"
t_eq "its socket is gone, the link left dangling" \
    "$(test -e "$HSYS_HOME/hsysd.sock" && echo there || echo gone)" gone

# --seccomp off: no filter (the unit's SystemCallFilter= may be the one).
start_hsysd -l "$T/off.log" -p offpid --workers 1 --user nobody --seccomp off
t_eq "--seccomp off: no filter" "$(status_of "$offpid" Seccomp)" 0
kill "$offpid"; wait "$offpid"
t_eq "and it stops with status 0" $? 0
# As under the unit: root with its CapabilityBoundingSet= (no
# CAP_DAC_OVERRIDE, no CAP_FOWNER), the log directory, the logs and
# RUNTIME/control/ the user's already (the runs above): it opens the logs
# as the user and serves.
HSYS_WRAP="setpriv --bounding-set=-all,+net_bind_service,+setuid,+setgid,+chown ${HSYS_WRAP:-}" \
    start_hsysd -l "$T/unit.log" -p unitpid --workers 1 --user nobody
t_eq "root without CAP_DAC_OVERRIDE (the unit's): ready, as nobody" \
    "$(stat -c %U /proc/"$unitpid")" nobody
t_eq "the logs still nobody's" \
    "$(stat -c %U "$HSYS_HOME/log/access.log" "$HSYS_HOME/log/httperr.log" "$HSYS_HOME/log" | sort -u)" \
    nobody
kill "$unitpid"; wait "$unitpid"
t_eq "and it stops with status 0" $? 0
t_fail "--seccomp takes on or off" 2 "$BUILD/hsysd" --seccomp maybe
t_grep "and says so" "takes on or off" "$T/err"

# Root again, without --user: the link a --user hsysd left is followed,
# and that directory is not root's: refused, saying why.
timeout 20 "$BUILD/hsysd" --workers 1 2>"$T/root.log"
t_grep "a root hsysd refuses the user's socket directory, saying why" \
    "refusing the control socket's directory .*belongs to nobody" \
    "$T/root.log"
t_fail "--user of a user that does not exist" 1 \
    "$BUILD/hsysd" --user no-such-user-hsys
t_grep "says so" "no such user" "$T/err"
t_fail "--user as another user than root" 1 \
    setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$BUILD/hsysd" --user daemon
t_grep "says only root can" "only root can serve as another user" "$T/err"

t_done
