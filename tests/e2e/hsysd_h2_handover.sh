# A hand-over under an HTTP/2 load that retries as browsers do (RFC 9113
# §6.8): the streams the old hsysd took finish, the ones it did not take
# are sent again on a new connection, which the new hsysd answers. No
# request may fail, across two hand-overs in a row. (h2load opens no new
# connection after a GOAWAY, so hsysd_h2_goaway can only check the
# requests h2load sent.)
. "$(dirname "$0")/lib.sh"

C=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/tests/e2e/lib"
PY=/usr/bin/python3

start_hsysd --workers 2
$PY "$TOP/tests/e2e/lib/echoapp.py" --reconnect --ready "$T/app.ready" \
    "http://127.0.0.1:$C/" >"$T/app.log" 2>&1 &
app=$!
t_ok "an application serves http://127.0.0.1:$C/" \
    wait_until 60 grep -q ready "$T/app.ready"

timeout 150 $PY "$TOP/tests/e2e/lib/h2retry.py" 127.0.0.1 $C /load \
    --conns 4 --streams 8 --until "$T/stop" --seconds 120 \
    --started "$T/started" >"$T/load.out" 2>"$T/load.err" &
load=$!
t_ok "the load is under way" wait_until 60 test -e "$T/started"

old=$dpid
for n in 1 2; do
	$HSYS_WRAP "$BUILD/hsysd" --workers 2 --takeover 2>"$T/b$n.log" &
	new=$!
	t_ok "hand-over $n: the new hsysd takes over" \
	    wait_until 60 grep -q 'handover: took' "$T/b$n.log"
	t_ok "hand-over $n: the old one exits" wait_until 60 gone $old
	wait $old
	t_eq "hand-over $n: with status 0" "$?" 0
	t_ok "hand-over $n: the application is back" wait_until 60 \
	    bash -c "[ \$(grep -c reconnected '$T/app.ready') -ge $n ]"
	old=$new
done

t_ok "the load was under way through both" kill -0 $load
touch "$T/stop"
t_ok "the load ends" wait_until 150 gone $load
wait $load
rc=$?
sed 's/^/# /' "$T/load.err" | head -20
read -r _ done _ failed _ _ _ conns <"$T/load.out"
t_eq "every request sent got 200, none failed" "$rc $failed" "0 0"
t_ok "a real load (over 500 requests)" test "${done:-0}" -gt 500
t_ok "GOAWAYs made the client open new connections (more than 4)" \
    test "${conns:-0}" -gt 4
kill -TERM $old
wait $old
t_eq "the last hsysd stops cleanly" "$?" 0
kill $app 2>/dev/null
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log" \
    "$T/b1.log" "$T/b2.log"
t_done
