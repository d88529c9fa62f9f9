# The deploy docs/deploy.md documents, done with the shipped examples under
# load: version 1 of hsys-hello (then hsys-static) serves a named queue
# (--queue), a bounded keep-alive and new-connection load runs, version 2
# attaches to the same queue, version 1 gets SIGTERM — it must close its
# queue, answer what it holds and exit 0 — and not one request fails
# (before the examples drained, clients got 503
# Connection_Abandoned_By_ReqQueue and the process died of the signal).
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))

start_hsysd --workers 2

# attached PID: hsysd lists PID among a queue's processes
attached() {
	hsys http show servicestate | grep -q "ID: $1, "
}
field() { python3 -c "import json,sys; print(json.load(open('$1'))['$2'])"; }

# deploy NAME URL EXPECT CMD...: runs CMD --queue NAME (version 1), a 6 s
# load on URL (2 new-connection and 4 keep-alive threads, bodies starting
# with EXPECT), version 2 after 1.5 s, SIGTERM to version 1 once version 2
# is attached; then checks version 1's exit and the load's failures.
deploy() {
	local name=$1 url=$2 expect=$3 v1 v2 rc; shift 3
	"$@" --queue "$name" 2>"$T/$name.v1.log" &
	v1=$!
	wait_until 30 code_is 200 "$url"
	python3 "$TOP/tests/e2e/lib/loadclient.py" "$url" 6 2 4 "$expect" \
	    >"$T/$name.load" 2>&1 &
	load=$!
	sleep 1.5
	"$@" --queue "$name" 2>"$T/$name.v2.log" &
	v2=$!
	t_ok "$name: version 2 attaches to the queue under load" \
	    wait_until 30 attached "$v2"
	t_ok "$name: both versions are attached" attached "$v1"
	kill -TERM "$v1"
	wait "$v1"
	rc=$?
	t_eq "$name: version 1 drains and exits 0 on SIGTERM" "$rc" 0
	t_ok "$name: version 1 has left the queue" sh -c \
	    "! $BUILD/hsys http show servicestate | grep -q 'ID: $v1, '"
	wait "$load"
	sed "s/^/# $name load: /" "$T/$name.load"
	t_ok "$name: requests were made throughout ($(field "$T/$name.load" \
	    requests))" test "$(field "$T/$name.load" ok)" -ge 100
	t_eq "$name: start new, stop old: no failed request" \
	    "$(field "$T/$name.load" failed)" 0
	t_eq "$name: version 2 serves on" "$(code "$url")" 200
	kill -TERM "$v2"
	wait "$v2"
	t_eq "$name: version 2 exits 0 on SIGTERM too" $? 0
}

deploy hello "http://127.0.0.1:$P/hello/x" "hello, world" \
    "$BUILD/examples/hello" "http://+:$P/hello/"

mkdir -p "$T/www"
{ echo "static file"; head -c 200000 /dev/zero | tr '\0' x; } >"$T/www/f.txt"
deploy static "http://127.0.0.1:$P/files/f.txt" "static file" \
    "$BUILD/examples/static" "$T/www" "http://+:$P/files/"

sleep 0.5	# httperr.log's writer flushes within 100 ms
touch "$HSYS_HOME/log/httperr.log"
t_nogrep "httperr.log names no abandoned request" 'Abandoned' \
    "$HSYS_HOME/log/httperr.log"
kill -TERM "$dpid"
wait "$dpid"
t_eq "hsysd stops cleanly" $? 0
t_done
