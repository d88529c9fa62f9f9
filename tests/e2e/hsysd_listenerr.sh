# A port hsysd wants but cannot open is reported, not only logged: the
# command that adds the binding warns (exit 0: the binding is stored),
# servicestate lists the port as failed with the error, the metrics page
# has hsys_listener_up 0 and a failed attempt, and once the other program
# lets the port go hsysd listens at the next change (and says so).
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000)) M=$((P + 1)) Q=$((P + 2))
APPID='{00112233-4455-6677-8899-aabbccddeeff}'

# hold PORT NAME: another program on 127.0.0.1:PORT until $T/NAME.release
# appears; $T/NAME.held once it listens.
hold() {
	/usr/bin/python3 - "$1" "$T/$2" <<'PY' &
import os, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
open(sys.argv[2] + ".held", "w").close()
for _ in range(600):
    if os.path.exists(sys.argv[2] + ".release"):
        break
    time.sleep(0.1)
PY
}
hold $P p; holder=$!
hold $Q q; holder_q=$!
t_ok "another program holds 127.0.0.1:$P and 127.0.0.1:$Q (SO_REUSEPORT)" \
    wait_until 30 test -e "$T/p.held" -a -e "$T/q.held"

hsys http add metrics url="http://127.0.0.1:$M/metrics/" >/dev/null 2>&1
start_hsysd --workers 2 --verbose
t_grep "hsysd starts" ready "$T/d.log"

C=$(hsys cert new-selfsigned --dns-name a.test | grep -oE '^[0-9A-F]{40}')
t_ok "a certificate" test -n "$C"
t_ok "add sslcert on the held port exits 0" hsys http add sslcert \
    ipport=127.0.0.1:$P certhash=$C appid=$APPID
cp "$T/err" "$T/add.err"
t_grep "it warns that hsysd cannot listen, naming the error" \
    "^hsys: warning: hsysd cannot listen on .*:$P: Address already in use \(for the binding ipport=127.0.0.1:$P\); the binding is stored" \
    "$T/add.err"
t_ok "the binding is stored" hsys http show sslcert ipport=127.0.0.1:$P
t_grep "... and shown" "127.0.0.1:$P" "$T/out"

t_ok "servicestate view=listeners" hsys http show servicestate \
    view=listeners
cp "$T/out" "$T/state.txt"
t_grep "servicestate lists the binding-only port" "https port $P" \
    "$T/state.txt"
t_grep "... as failed" "State: failed" "$T/state.txt"
t_grep "... with the last error" \
    "Last error: cannot listen on .*:$P: Address already in use" \
    "$T/state.txt"
t_ok "servicestate in JSON" hsys http show servicestate view=listeners \
    --json
t_grep "JSON: the port, failed, with its error" \
    "\"port\":$P,\"scheme\":\"https\",\"state\":\"failed\",\"last_error\":\"cannot listen on [^\"]*Address already in use\",\"errors\":[1-9]" \
    "$T/out"

metrics() { curl -s --max-time 5 "http://127.0.0.1:$M/metrics/"; }
metrics >"$T/m1"
t_grep "metrics: hsys_listener_up 0 for the port" \
    "^hsys_listener_up\{port=\"$P\"\} 0$" "$T/m1"
t_grep "metrics: its failed attempts are counted" \
    "^hsys_listener_errors_total\{port=\"$P\"\} [1-9]" "$T/m1"
t_grep "metrics: the metrics port itself is up" \
    "^hsys_listener_up\{port=\"$M\"\} 1$" "$T/m1"

# Without any change, the 5 s poll opens a port once it is free.
t_ok "a binding on the second held port" hsys http add sslcert \
    ipport=127.0.0.1:$Q certhash=$C appid=$APPID
t_grep "... warns about both ports" "cannot listen on .*:$Q: .*; the binding is stored" "$T/err"
touch "$T/q.release"
wait "$holder_q"
listening_q() {
	hsys http show servicestate view=listeners --json |
	    grep -q "\"port\":$Q,\"scheme\":\"https\",\"state\":\"listening\",\"last_error\":\"\""
}
t_wait "freed, the second port is listened on within a poll (5 s)" 20 \
    listening_q

# The other program goes; the next change (any) opens the port.
touch "$T/p.release"
wait "$holder"
t_ok "a change after the port is free" hsys http add sslcert \
    hostnameport=b.test:$P certhash=$C appid=$APPID
t_nogrep "... warns no more" "warning" "$T/err"
t_ok "servicestate again" hsys http show servicestate view=listeners
grep -A1 "https port $P\$" "$T/out" >"$T/p.state"
t_grep "the port is listening now" "State: listening" "$T/p.state"
t_nogrep "... with no error left" "Last error" "$T/out"
metrics >"$T/m2"
t_grep "metrics: hsys_listener_up 1 now" \
    "^hsys_listener_up\{port=\"$P\"\} 1$" "$T/m2"
t_ok "a TLS handshake on the port" sh -c "echo | timeout 5 openssl \
    s_client -connect 127.0.0.1:$P -servername a.test 2>/dev/null | \
    grep -q 'CN = a.test'"

kill -TERM $dpid
wait $dpid
t_eq "hsysd exits cleanly" "$?" 0
t_done
