# hsys.wsgi's threads (docs/python.md, --threads): requests blocked in
# the application do not hold up the others while threads are free; many
# concurrent requests are all answered, each with its own body; the
# write() callable, close() of the response iterable, a generator's code
# after its last block (a Content-Length answer is sent whole before that
# code runs, and the code still runs), and an exception after the first
# block (the response is cut, the process goes on).
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib/pyapps"
P=$((20000 + RANDOM % 12000))
U=http://127.0.0.1:$P
C="curl -s -m 20"

start_hsysd -p d --workers 1
(cd "$T" && exec $PY -m hsys.wsgi threadswsgi:app --url "http://+:$P/" \
    --threads 4 --ready "$T/ready") 2>"$T/w.err" &
w=$!
t_ok "hsys.wsgi serves with 4 threads" wait_until 30 test -s "$T/ready"

# Three requests block in the application; the fourth thread serves.
for k in 1 2 3; do
	$C "$U/block/$k" >"$T/block$k" &
	eval "b$k=\$!"
done
t_ok "three requests are blocked in the application" \
    wait_until 20 prints 3 $C "$U/blocked"
t_eq "a fourth request is served meanwhile" "$($C "$U/fast/4")" 4
t_eq "and a fifth" "$($C "$U/fast/5")" 5
t_eq "the three are still blocked" "$($C "$U/blocked")" 3
t_eq "they are released" "$($C "$U/release")" released
wait "$b1" "$b2" "$b3"
t_eq "and each answers with its own body" \
    "$(cat "$T/block1" "$T/block2" "$T/block3")" 123

# Many at once: 32 connections, 20 keep-alive requests each.
timeout 60 $PY - "$P" >"$T/many" 2>&1 <<'PYEOF'
import http.client, sys, threading
port = int(sys.argv[1])
bad, n = [], [0]
lock = threading.Lock()
def run(c):
    h = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(20):
        k = "%d-%d" % (c, i)
        h.request("GET", "/fast/" + k)
        r = h.getresponse()
        body = r.read()
        with lock:
            n[0] += 1
            if r.status != 200 or body != k.encode():
                bad.append((k, r.status, body))
ts = [threading.Thread(target=run, args=(c,)) for c in range(32)]
for t in ts: t.start()
for t in ts: t.join()
print("answered", n[0], "bad", len(bad), bad[:3])
PYEOF
t_grep "640 concurrent requests are all answered, each with its own body" \
    '^answered 640 bad 0 ' "$T/many"

t_eq "write() and the iterable, in order" "$($C "$U/write")" abcd
t_eq "an iterable with close()" "$($C "$U/closing")" closing
t_eq "a second one" "$($C "$U/closing")" closing
t_eq "a generator with a Content-Length" "$($C "$U/after")" after
# close() and the generator's end come after the answer is handed on.
t_ok "close() was called for each, the generator ran to its end" \
    wait_until 20 prints "closed 2 afters 1" $C "$U/stats"

t_eq "a Content-Length answer leaves before its generator's end" \
    "$($C -m 10 "$U/held")" held
t_eq "which is let go" "$($C "$U/unhold")" unheld

$C -o "$T/mid" "$U/raise_mid"
t_ok "an exception after the first block cuts the response" \
    test "$?" -ne 0
t_grep "with the traceback on stderr" \
    'RuntimeError: raised after the first block on purpose' "$T/w.err"
t_eq "and the process goes on serving" "$($C "$U/fast/6")" 6

kill -TERM "$w"
wait "$w"
t_eq "hsys.wsgi exits 0 on SIGTERM" "$?" 0
t_done
