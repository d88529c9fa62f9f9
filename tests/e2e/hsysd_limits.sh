# hsysd's timeouts and limits, each set live with hsys while the daemon
# runs: the header wait (a slowloris trickling a head), the idle timeout,
# the entity-body timeout, MinRequestBodyDataRate (a body trickled byte
# by byte), MinSendRate (a client that does not read),
# MaxConnections, the head, header-count, field and URL limits with their
# status codes, MaxRequestBodySize per prefix, and a flood of idle
# connections; a well-behaved client is served throughout.
. "$(dirname "$0")/lib.sh"

# Below the ephemeral range: the flood below leaves many client ports.
P=$((10000 + RANDOM % 20000))
export PYTHONPATH="$TOP/tests/e2e/lib"
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null
ulimit -n 8192 2>/dev/null

start_hsysd --workers 2
# httperr REASON: the error log names REASON (its writer flushes within
# 100 ms of a line; allow 10 s)
httperr() {
	wait_until 30 grep -q " $1 " "$HSYS_HOME/log/httperr.log"
}

# The app, on another port if that one is taken.
for try in 1 2 3 4 5; do
	rm -f "$T/app.ready"
	python3 "$PYTHONPATH/echoapp.py" --ready "$T/app.ready" \
	    "http://+:$P/app/" >"$T/app.out" 2>&1 &
	wait_until 30 eval '[ -e "$T/app.ready" ] || grep -q refused "$T/app.out"'
	[ -e "$T/app.ready" ] && break
	P=$((10000 + RANDOM % 20000))
done
t_ok "the application serves on port $P" test -e "$T/app.ready"

code_max=20
lc() { python3 "$PYTHONPATH/limitclient.py" $P "$@"; }
# stop_hold: ends `lc hold ... &` ($hold is the subshell running lc; the
# python holding the connections is its child)
stop_hold() {
	pkill -P "$hold" 2>/dev/null
	kill "$hold" 2>/dev/null
	wait "$hold" 2>/dev/null
}
# cfg ARGS...: an `hsys http` change, then waits until hsysd re-read it.
gens() { grep -c 'configuration generation' "$T/d.log"; }
cfg() {
	local before
	before=$(gens)
	hsys http "$@" >/dev/null || echo "cfg failed: $*"
	wait_until 30 eval '[ "$(gens)" -gt "$before" ]'
	sleep 0.3	# the snapshot's mail to the workers
}
# within LINE MIN MAX: "closed T" with MIN <= T <= MAX
within() {
	python3 -c "import sys; w = sys.argv[1].split(); \
	    sys.exit(0 if w[0] == 'closed' and $2 <= float(w[1]) <= $3 else 1)" \
	    "$1"
}
served() { t_eq "$1: a well-behaved client is served" \
    "$(code "http://127.0.0.1:$P/app/")" 200; }

served "at the start"

# Header wait: 2 s from the first byte, not pushed back by later bytes.
cfg add timeout timeouttype=headerwaittimeout value=2
out=$(lc headwait /app/)
t_ok "a head trickled a byte a second is cut off after 2-6 s ($out)" \
    within "$out" 1.8 6
t_ok "reason Timer_HeaderWait (httperr.log)" httperr Timer_HeaderWait
served "after the slowloris"

# Idle: 2 s between requests, and before the first one.
cfg add timeout timeouttype=idleconnectiontimeout value=2
out=$(lc idle /app/)
t_ok "an idle keep-alive connection closes after 2-6 s ($out)" \
    within "$out" 1.8 6
out=$(lc fresh)
t_ok "a connection that never sends closes after 2-6 s ($out)" \
    within "$out" 1.8 6
t_ok "reason Timer_ConnectionIdle (httperr.log)" httperr Timer_ConnectionIdle
t_eq "an idle close after a served request has no status (sc-status -)" \
    "$(grep ' Timer_ConnectionIdle ' "$HSYS_HOME/log/httperr.log" | head -1 |
    awk '{ print $11 }')" -
cfg add timeout timeouttype=idleconnectiontimeout value=5
out=$(lc fresh)
t_ok "a longer one applies live: 5-12 s now ($out)" within "$out" 4.8 12
cfg add timeout timeouttype=idleconnectiontimeout value=30

# Entity body: 2 s without progress; progress pushes it back.
cfg add timeout timeouttype=entitybodytimeout value=2
out=$(lc body /app/ 10)
t_ok "a body that stops is cut off after 2-6 s ($out)" within "$out" 1.8 6
t_ok "reason Timer_EntityBody (httperr.log)" httperr Timer_EntityBody
cfg add setting name=MinRequestBodyDataRate value=0
t_eq "with MinRequestBodyDataRate off, a body a byte a second for 4 s arrives" \
    "$(lc trickle /app/ 4)" 200
cfg delete setting name=MinRequestBodyDataRate
# MinRequestBodyDataRate: each byte pushes the entity-body timer back, but
# a body must come at 240 bytes/s (the default) over each 4 s window.
cfg add timeout timeouttype=entitybodytimeout value=120
out=$(lc slowbody /app/)
t_ok "a body trickled 2 bytes a second is cut off after 4-30 s ($out)" \
    within "$out" 3.9 30
t_ok "reason Timer_MinReceiveRate (httperr.log)" httperr Timer_MinReceiveRate
cfg add timeout timeouttype=entitybodytimeout value=2
# (At the default MinRequestBodyDataRate: the time the application holds
# the body back starts a new window.)
head -c 1048576 /dev/zero >"$T/1m"
out=$(curl -s -m 30 --data-binary @"$T/1m" \
    "http://127.0.0.1:$P/app/nocredit?wait=5" |
    python3 -c "import json, sys; print(json.load(sys.stdin)['body_len'])")
t_eq "an application withholding credit for 5 s does not count against it" \
    "$out" 1048576
served "after the slow bodies"

# MinSendRate: a client with a tiny window that never reads.
cfg add setting name=MinSendRate value=150
out=$(lc noread "/app/big?n=67108864&cl=1")
t_ok "a client not reading a 64 MiB answer is cut off within 3-30 s ($out)" \
    within "$out" 3 30
t_ok "reason Timer_MinBytesPerSecond (httperr.log)" httperr Timer_MinBytesPerSecond
served "after the reader that never read"
curl -s -m 30 "http://127.0.0.1:$P/app/big?n=3000000" | wc -c >"$T/n"
t_eq "a reading client still gets a 3 MB answer whole" "$(cat "$T/n")" 3000000

# MaxConnections, across both workers.
cfg add setting name=MaxConnections value=3
lc hold 3 60 >"$T/hold" &
hold=$!
# (Until hsysd has accepted all three: a busy machine may take a while,
# and with two workers the 4th could otherwise be accepted first.)
wait_until 30 grep -q holding "$T/hold"
wait_until 30 eval '[ "$(ss -Htn state established "( sport = :$P )" |
    wc -l)" -ge 3 ]'
sleep 1
t_eq "the 4th connection is closed at once" "$(lc refused)" refused
t_ok "reason ConnLimit (httperr.log)" httperr ConnLimit
stop_hold
# (hsysd counts them out as it reads their EOF: allow it 10 s.)
wait_until 30 code_is 200 "http://127.0.0.1:$P/app/"
served "once the others left"
cfg delete setting name=MaxConnections

# Head limits.
raw() {	# raw BYTES(python literal): prints the status
	python3 - "$P" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(eval(sys.argv[2]))
d = b""
try:
    while b"\r\n" not in d:
        r = s.recv(4096)
        if not r:
            break
        d += r
except OSError:
    pass
print(d.split(b" ")[1].decode() if d.startswith(b"HTTP/") else "none")
PY
}
H="b'GET /app/ HTTP/1.1\r\nHost: a\r\n'"
cfg add setting name=MaxRequestBytes value=1024
t_eq "MaxRequestBytes=1024: a 2000-byte head gets 431" \
    "$(raw "$H + b'X: ' + b'a' * 2000 + b'\r\n\r\n'")" 431
t_eq "a 900-byte head is served" \
    "$(raw "$H + b'X: ' + b'a' * 800 + b'\r\n\r\n'")" 200
cfg delete setting name=MaxRequestBytes
cfg add setting name=MaxFieldLength value=200
t_eq "MaxFieldLength=200: a 300-byte field gets 431" \
    "$(raw "$H + b'X: ' + b'a' * 300 + b'\r\n\r\n'")" 431
t_eq "a 150-byte field is served" \
    "$(raw "$H + b'X: ' + b'a' * 150 + b'\r\n\r\n'")" 200
cfg delete setting name=MaxFieldLength
cfg add setting name=MaxHeaderCount value=5
t_eq "MaxHeaderCount=5: 6 fields get 431" \
    "$(raw "$H + b''.join(b'X%d: 1\r\n' % i for i in range(5)) + b'\r\n'")" 431
t_eq "5 fields are served" \
    "$(raw "$H + b''.join(b'X%d: 1\r\n' % i for i in range(4)) + b'\r\n'")" 200
cfg delete setting name=MaxHeaderCount
cfg add setting name=MaxUrlLength value=100
t_eq "MaxUrlLength=100: a 200-byte URL gets 414" \
    "$(code "http://127.0.0.1:$P/app/$(printf '%0195d' 0)")" 414
t_eq "a 100-byte URL is served" \
    "$(code "http://127.0.0.1:$P/app/$(printf '%095d' 0)")" 200
cfg delete setting name=MaxUrlLength

# MaxRequestBodySize: per prefix, the longest matching one wins.
head -c 2000 /dev/zero >"$T/2000"
head -c 500 /dev/zero >"$T/500"
cfg add setting name=MaxRequestBodySize value=1000 url="http://+:$P/app/up/"
t_eq "a 2000-byte body under a 1000-byte prefix limit: 413" \
    "$(code --data-binary @"$T/2000" "http://127.0.0.1:$P/app/up/x")" 413
t_eq "chunked, 2000 bytes: 413" \
    "$(code -H 'Transfer-Encoding: chunked' --data-binary @"$T/2000" \
    "http://127.0.0.1:$P/app/up/x")" 413
t_ok "reason EntityTooLarge (httperr.log)" httperr EntityTooLarge
t_eq "500 bytes there: 200" \
    "$(code --data-binary @"$T/500" "http://127.0.0.1:$P/app/up/x")" 200
t_eq "chunked, 500 bytes: 200" \
    "$(code -H 'Transfer-Encoding: chunked' --data-binary @"$T/500" \
    "http://127.0.0.1:$P/app/up/x")" 200
t_eq "2000 bytes elsewhere (no service-wide limit): 200" \
    "$(code --data-binary @"$T/2000" "http://127.0.0.1:$P/app/other")" 200
cfg add setting name=MaxRequestBodySize value=100
t_eq "a service-wide limit of 100: 2000 bytes elsewhere get 413" \
    "$(code --data-binary @"$T/2000" "http://127.0.0.1:$P/app/other")" 413
t_eq "the prefix's larger limit wins under it" \
    "$(code --data-binary @"$T/500" "http://127.0.0.1:$P/app/up/x")" 200
cfg delete setting name=MaxRequestBodySize
cfg delete setting name=MaxRequestBodySize url="http://+:$P/app/up/"
served "after the limits"

# A flood of idle connections (bounded): still serving, memory reported.
rss() { awk '/^VmRSS/ { print $2 }' /proc/$dpid/status; }
before=$(rss)
lc hold 2000 60 >"$T/hold" &
hold=$!
# (Up to 180 s on a slow machine; a failure says how many were open.)
t_wait "2000 idle connections are open" 180 \
    sh -c "tail -n 1 '$T/hold'; grep -q 'holding 2000' '$T/hold'"
sleep 1
after=$(rss)
served "with 2000 idle connections open"
echo "# hsysd RSS: ${before} KiB before, ${after} KiB with 2000 idle" \
    "connections: $(( (after - before) * 1024 / 2000 )) bytes each"
stop_hold

# And 1000 slow clients each holding half a head (a buffer each).
cfg delete timeout timeouttype=headerwaittimeout
sleep 1
before=$(rss)
lc holdhead 1000 60 >"$T/hold" &
hold=$!
t_wait "1000 half heads are held" 180 \
    sh -c "tail -n 1 '$T/hold'; grep -q 'holding 1000' '$T/hold'"
sleep 1
after=$(rss)
served "with 1000 slow heads open"
echo "# hsysd RSS: ${before} KiB before, ${after} KiB with 1000 half heads:" \
    "$(( (after - before) * 1024 / 1000 )) bytes each"
stop_hold

kill -TERM $dpid
wait $dpid
t_eq "hsysd exits cleanly" "$?" 0
t_done
