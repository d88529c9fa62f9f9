# The hsys Python package corks its output (docs/python.md "Batching"):
# a lone request is answered without waiting for more, many concurrent
# responses all arrive intact and leave in no more writes than there are
# responses, and a body larger than the cork threshold streams intact
# under credit. hsys.wsgi: responses of several pieces from 4 threads
# at once arrive whole and in order.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
export PYTHONPATH="$TOP/bindings/python"
P=$((20000 + RANDOM % 12000))
U=http://127.0.0.1:$P

start_hsysd -p d --workers 1
$PY "$TOP/tests/e2e/lib/pyapps/corkapp.py" "http://+:$P/k/" "$T/ready" \
    >"$T/app.out" 2>&1 &
app=$!
t_ok "the corking application serves http://+:$P/k/" \
    wait_until 60 test -e "$T/ready"

# many PATH FORMAT: 16 connections, each with 25 keep-alive GETs of
# /PATH/K; prints "answered N bad M" (a bad answer: not 200, or a body other
# than FORMAT with K in it).
many() {
	timeout 60 $PY - "$P" "$1" "$2" 2>&1 <<'PYEOF'
import http.client, sys, threading
port, path, form = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
bad, n = [], 0
lock = threading.Lock()
def run(c):
    global n
    h = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(25):
        k = c * 100 + i
        h.request("GET", "/%s/%d" % (path, k))
        r = h.getresponse()
        body = r.read()
        with lock:
            n += 1
            if r.status != 200 or body != form % k + b"\n":
                bad.append((k, r.status, body))
ts = [threading.Thread(target=run, args=(c,)) for c in range(16)]
for t in ts: t.start()
for t in ts: t.join()
print("answered", n, "bad", len(bad), bad[:3])
PYEOF
}

# A lone request: its answer leaves in the turn of the loop that made it
# (a response held for company would hang here until curl gives up).
t_ok "a lone request is answered" curl -sf -m 10 -o "$T/lone" "$U/k/7"
t_eq "with its body" "$(cat "$T/lone")" 7
t_ok "a second lone request too" curl -sf -m 10 -o "$T/lone2" "$U/k/8"
t_eq "with its body" "$(cat "$T/lone2")" 8

# Many at once: 16 connections, each with 25 keep-alive requests.
many k "%d" >"$T/many"
t_grep "400 concurrent requests are all answered, each with its own body" \
    '^answered 400 bad 0 ' "$T/many"
curl -sf -m 10 -o "$T/stats" "$U/k/stats"
read -r resp writes <"$T/stats"
t_eq "the application counted 402 small responses" "$resp" 402
echo "# $resp small responses, $writes writes"
t_ok "they left in no more writes than responses" \
    test "$writes" -gt 0 -a "$writes" -le "$resp"

# A body above the cork threshold (32 KiB) streams whole, under credit.
t_ok "a 3 MiB streamed body arrives" \
    curl -sf -m 30 -o "$T/big" "$U/k/big/3145728"
t_eq "every byte of it" "$(stat -c %s "$T/big")" 3145728
t_eq "in order" "$($PY -c '
import sys
d = open(sys.argv[1], "rb").read()
p = bytes(range(256)) * 28
print(all(d[i:i + len(p)] == p[:len(d) - i] for i in range(0, len(d), len(p))))
' "$T/big")" True

# hsys.wsgi: a generator's pieces, queued from 4 threads without waiting.
(cd "$TOP/tests/e2e/lib/pyapps" && exec $PY -m hsys.wsgi corkwsgi:app \
    --url "http://+:$P/w/" --threads 4 --ready "$T/w.ready") 2>"$T/w.err" &
wsgi=$!
t_ok "hsys.wsgi serves http://+:$P/w/" wait_until 60 test -s "$T/w.ready"
many w "a-%d-z" >"$T/wmany"
t_grep "400 concurrent three-piece WSGI responses arrive whole, in order" \
    '^answered 400 bad 0 ' "$T/wmany"
t_ok "a lone WSGI request is answered" curl -sf -m 10 -o "$T/wlone" "$U/w/5"
t_eq "with its three pieces" "$(cat "$T/wlone")" "a-5-z"

kill $app $wsgi
t_done
