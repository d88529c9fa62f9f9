# hsys-forward with real servers and broken ones: Node's http module,
# gunicorn serving a Flask
# app, started by hsys-forward itself (-- COMMAND, HSYS_FORWARD_TO) and
# stopped by it after draining; a WebSocket echo server (python3-websockets)
# through the Upgrade tunnel over wss://; and a raw-socket upstream whose
# responses are malformed (conflicting lengths, CL+TE, bad chunks, obs-fold,
# a bad status line, bare LF): each gives 502 and the next request works.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
W=$((P + 1)); R=$((P + 2))
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
thumb=$(hsys cert new-selfsigned --dns-name localhost | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$thumb appid=$APPID >/dev/null
hsys cert export "$thumb" --pem "$T/ca.pem" >/dev/null
start_hsysd --workers 2
LIB="$TOP/tests/e2e/lib"
get() { curl -s --max-time 30 --cacert "$T/ca.pem" "$@"; }
code_opts=(--cacert "$T/ca.pem")
FWD="$HSYS_WRAP $BUILD/hsys-forward --threads 2"

# --- gunicorn + Flask, started by hsys-forward -----------------------------
$FWD --url "https://+:$P/flask/" --to "unix:$T/gunicorn.sock" --strip-prefix \
    -- sh -c 'exec gunicorn --chdir "$0" --bind "$HSYS_FORWARD_TO" \
    --workers 1 --graceful-timeout 5 fwd_flask:app' "$LIB" \
    >"$T/g.log" 2>&1 &
g=$!
t_ok "gunicorn started by hsys-forward answers" \
    wait_until 15 code_is 200 "https://localhost:$P/flask/hello"
t_eq "Flask sees the client's address and scheme" \
    "$(get https://localhost:$P/flask/hello)" "hello from flask, 127.0.0.1 over https"
t_eq "a redirect keeps the prefix (X-Forwarded-Prefix)" \
    "$(get -o /dev/null -w '%{redirect_url}' https://localhost:$P/flask/go)" \
    "https://localhost:$P/flask/hello"
t_eq "a POSTed form" "$(get -d name=ada https://localhost:$P/flask/form)" "name=ada"
t_eq "a POSTed JSON" "$(get -H 'Content-Type: application/json' \
    -d '{"a":1}' https://localhost:$P/flask/json | tr -d ' \n')" '{"got":{"a":1}}'
kill -TERM $g
wait $g
t_eq "SIGTERM: drained, gunicorn stopped, its status (0)" "$?" 0
t_nogrep "gunicorn is gone" . <(pgrep -f "bind unix:$T/gunicorn.sock")

$FWD --url "https://+:$P/seven/" --to "unix:$T/none.sock" \
    -- sh -c 'test "$HSYS_FORWARD_TO" = "unix:$0" && exit 7' "$T/none.sock" \
    >"$T/s.log" 2>&1
t_eq "COMMAND ending on its own: hsys-forward exits with its status" "$?" 7
$FWD --url "https://+:$P/seven/" --to "unix:$T/none.sock" -- "$T/no-such-cmd" \
    >"$T/s.log" 2>&1
t_eq "a COMMAND that cannot run: 127" "$?" 127
t_grep "and says so" 'cannot run .*no-such-cmd' "$T/s.log"

# --- Node's http module (Debian's nodejs) on a Unix socket -----------------
N="$T/node.sock"
node -e '
const http = require("http");
http.createServer((q, s) => {
  if (q.method === "POST") {
    let n = 0;
    q.on("data", (d) => { n += d.length; });
    q.on("end", () => s.end("node got " + n + "\n"));
    return;
  }
  s.setHeader("X-Node", "yes");
  s.write("node says ");		/* no length: chunked */
  setTimeout(() => s.end(q.url + " " + q.headers["x-forwarded-proto"] + "\n"), 50);
}).listen(process.argv[1]);' "$N" >"$T/node.log" 2>&1 &
wait_until 30 test -S "$N"
$FWD --url "https://+:$P/node/" --to "unix:$N" 2>"$T/fn.log" &
fn=$!
t_ok "a Node server behind hsys-forward" \
    wait_until 15 code_is 200 "https://localhost:$P/node/a"
t_eq "its chunked answer streamed" "$(get https://localhost:$P/node/b?c=1)" \
    "node says /node/b?c=1 https"
t_grep "its own fields pass" '^[Xx]-[Nn]ode: yes' <(get -D - -o /dev/null https://localhost:$P/node/c)
head -c 3000000 /dev/urandom >"$T/n.bin"
t_eq "a 3 MB POST to Node" \
    "$(get --data-binary @"$T/n.bin" https://localhost:$P/node/up)" "node got 3000000"

# --- WebSocket through the tunnel ----------------------------------------------
/usr/bin/python3 "$LIB/fwd_ws.py" serve $W 2>"$T/ws.log" &
wait_until 30 eval '(exec 3<>/dev/tcp/127.0.0.1/$W)'
$FWD --url "https://+:$P/ws/" --to http://127.0.0.1:$W 2>"$T/fw.log" &
fw=$!
wait_until 30 code_is 426 https://localhost:$P/ws/
t_eq "a plain GET reaches the WebSocket server (426)" "$(code https://localhost:$P/ws/)" 426
t_eq "a WebSocket echo over wss:// through hsys-forward" \
    "$(timeout 60 /usr/bin/python3 "$LIB/fwd_ws.py" client wss://localhost:$P/ws/ "$T/ca.pem")" "echo ok"
t_eq "and another after it" \
    "$(timeout 60 /usr/bin/python3 "$LIB/fwd_ws.py" client wss://localhost:$P/ws/ "$T/ca.pem")" "echo ok"

# --- malformed responses ---------------------------------------------------------
/usr/bin/python3 "$LIB/fwd_upstream.py" raw --tcp $R 2>"$T/raw.log" &
$FWD --url "https://+:$P/raw/" --to http://127.0.0.1:$R 2>"$T/fr.log" &
fr=$!
t_ok "the raw upstream's good answer" \
    wait_until 15 code_is 200 "https://localhost:$P/raw/good"
for bad in conflict clte badchunk fold badstatus bare-lf; do
	t_eq "$bad: 502" "$(code https://localhost:$P/raw/$bad)" 502
	t_eq "after $bad, the next request works" "$(get https://localhost:$P/raw/good)" good
done
t_eq "an upstream that resets the connection: 502" "$(code https://localhost:$P/raw/reset)" 502
t_grep "the reset is logged" 'Connection reset by peer' "$T/fr.log"
t_eq "and the next request works" "$(get https://localhost:$P/raw/good)" good
t_grep "conflicting lengths logged" 'conflicting Content-Length' "$T/fr.log"
t_grep "CL+TE logged" 'both Content-Length and Transfer-Encoding' "$T/fr.log"
t_grep "obs-fold logged" 'obs-fold' "$T/fr.log"

kill -TERM $fw $fr $fn
wait $fw; t_eq "the tunnel forwarder exits 0" "$?" 0
kill -TERM $dpid
wait $dpid
t_done
