# Hand-overs aborted half-way, over and over, while clients connect
# (issue 10, item 6): the old hsysd serves on every time, its control
# socket back in place, and nothing it freed is reached again (run it
# under the ASan build: BUILD=build-san tests/run hsysd_handover_abort).
. "$(dirname "$0")/lib.sh"
export PYTHONPATH="$TOP/tests/e2e/lib"

P=$((20000 + RANDOM % 12000))
SOCK=$HSYS_HOME/hsysd.sock
N=${N:-30}

code_max=10
noticed() { [ "$(grep -c 'this one serves on' "$T/d.log")" -ge "$1" ]; }

$HSYS_WRAP "$BUILD/hsysd" --workers 2 --verbose 2>"$T/d.log" &
d=$!
t_ok "hsysd is ready" wait_until 60 grep -q 'ready: 2 worker' "$T/d.log"
# Not --reconnect: the taker never puts a socket of its own in place, so
# an application told to reconnect (GOAWAY, after HANDOVER_READY) would
# come back to this same daemon while its old session still holds its
# prefix, and be refused; a real new hsysd renames its socket first.
python3 "$TOP/tests/e2e/lib/echoapp.py" --ready "$T/app.ready" \
    "http://127.0.0.1:$P/echo/" >"$T/app.log" 2>&1 &
app=$!
t_ok "an application serves" wait_until 60 grep -q ready "$T/app.ready"
t_ok "a request is answered" code_is 200 "http://127.0.0.1:$P/echo/x"

# Clients all along: HTTP requests on new and kept connections (their
# failures are not counted: a GOAWAY makes the application reconnect),
# and servicestate on the control socket.
python3 "$TOP/tests/e2e/lib/loadclient.py" "http://127.0.0.1:$P/echo/load" \
    60 2 2 >"$T/load.json" 2>"$T/load.err" &
load=$!
(for i in $(seq 600); do
	hsys http show servicestate >/dev/null 2>&1
	kill -0 $d 2>/dev/null || exit 0
	[ -e "$T/stop" ] && exit 0
done) &
state=$!

modes=(close ready garbage)
ok=0
for i in $(seq $N); do
	m=${modes[$((i % 3))]}
	timeout 20 python3 "$TOP/tests/e2e/lib/aborttaker.py" "$SOCK" "$m" \
	    >>"$T/taker.out" 2>&1 || echo "iteration $i ($m) failed" >>"$T/taker.out"
	kill -0 $d 2>/dev/null || break
	# The control socket is back before the next one asks.
	wait_until 10 noticed "$i" && ok=$((ok + 1))
done
touch "$T/stop"
t_eq "$N hand-overs were aborted" "$(grep -c '^aborted' "$T/taker.out")" "$N"
t_eq "and the daemon noticed each" "$ok" "$N"
t_grep "the taker going away" 'new hsysd .* went away before taking over' \
    "$T/d.log"
t_grep "or misbehaving" 'sent an unexpected frame before taking over' \
    "$T/d.log"
t_ok "hsysd is alive" kill -0 $d
t_nogrep "no sanitizer report" 'AddressSanitizer|runtime error' "$T/d.log"
t_ok "the control socket answers" hsys http show servicestate
t_ok "requests are answered" \
    wait_until 30 code_is 200 "http://127.0.0.1:$P/echo/y"
t_ok "the application is still the first one" kill -0 $app
kill $load 2>/dev/null
wait $load 2>/dev/null
wait $state 2>/dev/null
echo "# load during the aborts: $(cat "$T/load.json" 2>/dev/null)"

# A real hsysd --takeover still works after all that (the application,
# not told to reconnect, stays with the old daemon until it exits).
$HSYS_WRAP "$BUILD/hsysd" --workers 1 --verbose --takeover --takeover-wait 1 \
    2>"$T/b.log" &
b=$!
t_ok "a real handover then succeeds" \
    wait_until 30 grep -q 'accepting' "$T/b.log"
wait $d
t_eq "the old hsysd exits with status 0" "$?" 0
t_ok "the new one answers on the control socket" \
    wait_until 30 eval 'hsys http show servicestate >/dev/null'
kill $app 2>/dev/null
kill -TERM $b
wait $b
t_eq "and stops with status 0" "$?" 0
t_done
