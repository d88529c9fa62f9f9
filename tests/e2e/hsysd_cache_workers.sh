# The response cache with two workers (docs/cache.md): each worker keeps
# its own entries, so a URL fetched on enough connections is held by both;
# a flush from the application (CACHE_FLUSH, hsys_cache_flush) reaches
# every worker before it is answered, and no connection is then answered with the flushed body,
# whichever worker takes it. (hsysd_cache.sh tests the rest on one worker;
# this one is apart to keep each under a minute.)
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
export PYTHONPATH="$TOP/bindings/python"
APP=$TOP/tests/e2e/lib/pyapps/cacheapp.py
P=$((20000 + RANDOM % 12000))
U=http://127.0.0.1:$P
URL="$U/c/w?ttl=0"

get() { curl -s -m 10 "$@"; }
n() { get "$@" | head -n 1 | grep -o 'n=[0-9]*'; }
jq_() {
	$HSYS http show cachestate --json | $PY -c "import json,sys
d = json.load(sys.stdin)
print($1)"
}
# How many workers hold the URL (each lists its own entry).
held() { jq_ "sum(u['url'].endswith('/c/w?ttl=0') for u in d['urls'])"; }
# Each curl is a new connection, which the kernel gives to either
# worker's listening socket (SO_REUSEPORT): fetch until both hold it.
both_hold() { get -o /dev/null "$URL"; [ "$(held)" = 2 ]; }

start_hsysd --workers 2
$PY "$APP" --ready "$T/a.ready" --tag A "http://+:$P/c/" >"$T/a.out" 2>&1 &
a_pid=$!
wait_until 60 test -e "$T/a.ready"
t_ok "the application is up" test -e "$T/a.ready"

t_ok "both workers come to hold the URL" wait_until 30 both_hold
# The bodies the two workers hold (n= differs: each filled its own).
for i in $(seq 20); do n "$URL"; done | sort -u >"$T/before"
t_ok "the cached answers are served" test -s "$T/before"
t_eq "no more than the two workers' copies" \
    "$(test "$(wc -l <"$T/before")" -le 2 && echo yes)" yes

t_eq "the application flushes the URL" "$(get "$U/c/flush?p=http://%2B:$P/c/w&r=0")" \
    flushed
for i in $(seq 20); do n "$URL"; done >"$T/after"
t_eq "20 connections after the flush all answered" "$(wc -l <"$T/after")" 20
t_eq "none of them with a flushed body" \
    "$(grep -cxF -f "$T/before" "$T/after")" 0

t_ok "refilled on both workers" wait_until 30 both_hold
t_eq "a recursive flush of the whole queue's tree" \
    "$(get "$U/c/flush?p=http://%2B:$P/c/&r=1")" flushed
# The answer comes once every worker has dropped its entries
# (synchronous, as HttpFlushResponseCache): no wait here.
t_eq "leaves no worker holding it, by the time it is answered" "$(held)" 0

kill "$a_pid"
kill "$dpid"
wait_until 10 gone "$dpid"
t_nogrep "no sanitizer report" 'ERROR: [A-Za-z]+Sanitizer|runtime error' \
    "$T/d.log"
t_done
