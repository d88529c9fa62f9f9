# Queue consent and owner-scoped names in the Python package (as libhsys's
# hsys_queue_allow / hsys_queue_allow_group and "owner/name"): a second
# user (nobody, by setpriv) is refused root's named queue without the
# owner's consent, and serves it with --allow (uid) or --allow-group;
# "owner/name" is only attached to, never created; bare names are per
# user; only the owner may allow, and only an open queue.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
APPS=$TOP/tests/e2e/lib/pyapps
export PYTHONPATH="$TOP/bindings/python:$APPS"
P=$((20000 + RANDOM % 12000))
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
# Written by nobody's servers too.
PUB=$T/pub
mkdir -p "$PUB" && chmod 1777 "$PUB"

serve() {	# serve NAME [setpriv...] -- ARGS...: hsys.wsgi uidapp:app, until ready
	local name=$1 who=(); shift
	while [ "$1" != -- ]; do who+=("$1"); shift; done; shift
	(cd "$APPS" && exec "${who[@]}" $PY -m hsys.wsgi uidapp:app \
	    --ready "$PUB/$name.ready" "$@") >"$T/$name.out" 2>&1 &
	eval "${name}_pid=$!"
	wait_until 20 test -s "$PUB/$name.ready"
}
uids() {	# uids PATH: the users that answered 20 GETs of PATH
	for i in $(seq 20); do curl -sf "http://127.0.0.1:$P$1"; done |
	    awk '{print $2}' | sort -u | tr '\n' ' '
}

start_hsysd -p d --workers 2 --verbose

# Without consent.
t_ok "root serves the named queue shared" \
    serve own -- --url "http://+:$P/s/" --queue shared
t_fail "nobody is refused root/shared without root's consent" 3 \
    $NOBODY $PY -m hsys.wsgi uidapp:app --queue root/shared
t_grep "with hsysd's EACCES" 'refused: EACCES' "$T/err"
t_fail "by uid too (0/shared)" 3 $NOBODY $PY -m hsys.wsgi uidapp:app \
    --queue 0/shared
t_grep "also EACCES" 'refused: EACCES' "$T/err"
t_eq "root alone serves /s/" "$(uids /s/)" "0 "

# With consent of the uid.
t_ok "root serves the queue open with --allow nobody" \
    serve open -- --url "http://+:$P/o/" --queue open --allow nobody
t_ok "nobody attaches to root/open and serves it" \
    serve guest $NOBODY -- --queue root/open
t_eq "root and nobody both serve /o/" "$(uids /o/)" "0 65534 "
kill $guest_pid
t_ok "nobody's server stops on SIGTERM" wait_until 20 gone $guest_pid

# With consent of a group (nobody's primary group, nogroup, gid 65534).
t_ok "root serves a queue with --allow-group 65534" \
    serve grp -- --url "http://+:$P/g/" --queue grp --allow-group 65534
t_ok "nobody attaches to 0/grp and serves it" \
    serve gguest $NOBODY -- --queue 0/grp
t_eq "root and nobody both serve /g/" "$(uids /g/)" "0 65534 "

# An owner's name is only attached to, never created by another user.
t_fail "nobody's root/none is ENOENT, not created" 3 \
    $NOBODY $PY -m hsys.wsgi uidapp:app --queue root/none
t_grep "ENOENT" 'refused: ENOENT' "$T/err"
t_fail "--allow without --queue is a usage error" 2 \
    $PY -m hsys.wsgi uidapp:app --url "http://+:$P/x/" --allow nobody
t_fail "--url is needed for a queue of one's own" 2 \
    $PY -m hsys.wsgi uidapp:app --queue mine

# The API: names per user, only the owner allows, only an open queue.
(cd / && $NOBODY env HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" \
    $PY - >"$T/api" 2>&1) <<'PY'
import asyncio, errno, hsys

async def code(coro):
    try:
        await coro
        return "ok"
    except hsys.Error as e:
        return errno.errorcode[e.code]

async def main():
    s = await hsys.connect("guest")
    q = await s.attach_queue("root/open")
    print("attached", q.owner)
    print("allow by a guest", await code(q.allow(65534)))
    mine = await s.create_queue("open")
    print("own open", "ok" if mine.id != q.id else "same")
    print("allow on a closed queue", await code(mine.allow(65534)))
    print("an unknown user", await code(mine.allow("no-such-user-here")))
    print("owner/name is not created", await code(s.queue("root/nope")))
    await s.close()

asyncio.run(main())
PY
t_grep "nobody attaches to root/open through the API" '^attached root$' \
    "$T/api"
t_grep "a guest may not pass consent on (EPERM)" '^allow by a guest EPERM$' \
    "$T/api"
t_grep "nobody's own queue open is another queue" '^own open ok$' "$T/api"
t_grep "a queue that is not open allows nobody (EINVAL)" \
    '^allow on a closed queue EINVAL$' "$T/api"
t_grep "an unknown user name is EINVAL" '^an unknown user EINVAL$' "$T/api"
t_grep "queue() only attaches to owner/name (ENOENT)" \
    '^owner/name is not created ENOENT$' "$T/api"

# A handover: the servers open new sessions by themselves; root's makes
# its queue again and allows the group again, so nobody's attaches again.
$HSYS_WRAP "$BUILD/hsysd" --workers 2 --verbose --takeover 2>"$T/b.log" &
b=$!
t_ok "a new hsysd takes over" wait_until 30 grep -q 'handover: took' "$T/b.log"
both_serve() { [ "$(uids /g/)" = "0 65534 " ]; }
t_ok "root and nobody both serve /g/ on the new hsysd (consent given again)" \
    wait_until 60 both_serve
t_ok "the old hsysd exits" wait_until 30 gone $d

kill $own_pid $open_pid $grp_pid $gguest_pid 2>/dev/null
wait $own_pid $open_pid $grp_pid $gguest_pid 2>/dev/null
kill $b
wait $b
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_nogrep "nor in the new one's log" 'Sanitizer|runtime error' "$T/b.log"
t_done
