# The response cache (docs/cache.md): a cacheable 200 to a GET answered
# again from memory on HTTP/1.1 and HTTP/2, with Age, HEAD and conditional
# requests (304); what is never cached (Set-Cookie, Vary, no-store, not
# 200, POST, Authorization); the key (host, query); TTL expiry; flushing
# (recursive and one URL); the settings' caps (UriMaxUriBytes,
# UriMaxCacheMegabyteCount) with eviction, and a flood of distinct URLs
# held within the cap; a prefix handed to another application and a queue
# that ends take their responses with them; cachestate lists it all, and
# to another user only its own queues' entries; a client's no-cache does
# not pass the cache.
#
# One worker: each worker keeps its own cache (a response cached by one
# is served by that one), so one worker makes every second request a hit.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
export PYTHONPATH="$TOP/bindings/python"
APP=$TOP/tests/e2e/lib/pyapps/cacheapp.py
P=$((20000 + RANDOM % 12000))
U=http://127.0.0.1:$P

start() {	# start NAME ARGS...: cacheapp in the background, until ready
	local name=$1; shift
	rm -f "$T/$name.ready"
	$PY "$APP" --ready "$T/$name.ready" "$@" >"$T/$name.out" 2>&1 &
	eval "${name}_pid=$!"
	wait_until 60 test -e "$T/$name.ready"
}
get() { curl -s -m 10 "$@"; }
# n URL [CURL ARGS]: the application's count in the answer ("n=N").
n() { get "$@" | head -n 1 | grep -o 'n=[0-9]*'; }
cachejson() { $HSYS http show cachestate --json; }
cj_has() { cachejson | grep -q "$1"; }
jq_() { cachejson | $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

start_hsysd --workers 1 --verbose
t_ok "an application marks answers cacheable" start a --tag A \
    "http://+:$P/c/"

# --- hits ---
first=$(n "$U/c/x?ttl=0")
t_eq "a second GET is answered from the cache" "$(n "$U/c/x?ttl=0")" "$first"
get -D "$T/h1" -o "$T/b1" "$U/c/x?ttl=0"
t_grep "a hit says its Age" '^Age: [0-9]+' "$T/h1"
t_grep "and its Content-Length" '^Content-Length: [0-9]+' "$T/h1"
t_grep "and today's Date" "^Date: $(date -u '+%a, %d %b %Y')" "$T/h1"
t_grep "the application's fields are kept" '^ETag: "A-' "$T/h1"
t_eq "the body is whole" "$(wc -c <"$T/b1")" \
    "$(grep -o 'Content-Length: [0-9]*' "$T/h1" | grep -o '[0-9]*$')"
t_eq "over HTTP/2 too" "$(n --http2-prior-knowledge "$U/c/x?ttl=0")" "$first"
get -I "$U/c/x?ttl=0" >"$T/head"
t_grep "HEAD gets the head" '^HTTP/1.1 200' "$T/head"
t_grep "with the length of the body it does not get" \
    '^Content-Length: [1-9]' "$T/head"
etag=$(grep -o '"A-[0-9]*"' "$T/h1")
t_eq "If-None-Match with its tag: 304" \
    "$(code -H "If-None-Match: $etag" "$U/c/x?ttl=0")" 304
t_eq "a 304 over HTTP/2" "$(code --http2-prior-knowledge \
    -H "If-None-Match: W/$etag" "$U/c/x?ttl=0")" 304
t_eq "another tag: 200" "$(code -H 'If-None-Match: "zz"' \
    "$U/c/x?ttl=0")" 200
t_eq "If-Modified-Since after Last-Modified: 304" "$(code \
    -H 'If-Modified-Since: Sun, 06 Dec 2026 11:00:00 GMT' "$U/c/x?ttl=0")" 304
t_eq "If-Modified-Since before it: 200" "$(code \
    -H 'If-Modified-Since: Sun, 06 Dec 2026 09:00:00 GMT' "$U/c/x?ttl=0")" 200
t_eq "all of them hits" "$(n "$U/c/x?ttl=0")" "$first"
# A client's no-cache does not pass the cache (HTTP.sys's behaviour): the
# cache is the application's, as a reverse proxy's is, and it flushes it.
t_eq "Cache-Control: no-cache is answered from the cache" \
    "$(n -H 'Cache-Control: no-cache' "$U/c/x?ttl=0")" "$first"
t_eq "so is Pragma: no-cache" "$(n -H 'Pragma: no-cache' "$U/c/x?ttl=0")" \
    "$first"
t_eq "and Cache-Control: max-age=0" \
    "$(n -H 'Cache-Control: max-age=0' "$U/c/x?ttl=0")" "$first"

# --- the key ---
t_eq "another host is another response" "$(n -H "Host: localhost:$P" \
    "$U/c/x?ttl=0" | grep -c "$first")" 0
t_eq "another query is another response" "$(n "$U/c/x?ttl=0&o=1" |
    grep -c "$first")" 0
h=$(get -H "Host: Localhost:$P" "$U/c/x?ttl=0")
t_grep "a host in another case is the same host" "host=localhost:$P" \
    <(echo "$h")

# --- what is never cached ---
for q in "cookie=1" "vary=1" "nostore=1" "status=203"; do
	a=$(n "$U/c/never?ttl=0&$q")
	t_eq "not cached: $q" "$(n "$U/c/never?ttl=0&$q" | grep -c "^$a$")" 0
done
a=$(n -X POST -d body "$U/c/post?ttl=0")
t_eq "a POST's answer is not cached" "$(n "$U/c/post?ttl=0" |
    grep -c "^$a$")" 0
b=$(n "$U/c/post?ttl=0")
t_eq "(the GET's is)" "$(n "$U/c/post?ttl=0")" "$b"
t_eq "a POST to a cached URL goes to the application" \
    "$(n -X POST -d body "$U/c/post?ttl=0" | grep -c "^$b$")" 0
t_eq "so does a GET with Authorization" "$(n -H 'Authorization: Basic eA==' \
    "$U/c/post?ttl=0" | grep -c "^$b$")" 0
a=$(n -H 'Authorization: Basic eA==' "$U/c/auth?ttl=0")
t_eq "nor is a response to one cached" "$(n "$U/c/auth?ttl=0" |
    grep -c "^$a$")" 0
a=$(n "$U/c/plain")
t_eq "a response not marked is not cached" "$(n "$U/c/plain" |
    grep -c "^$a$")" 0

# --- time to live ---
a=$(n "$U/c/ttl?ttl=1")
t_eq "within its TTL: a hit" "$(n "$U/c/ttl?ttl=1")" "$a"
sleep 2.2
t_eq "past its TTL: the application again" "$(n "$U/c/ttl?ttl=1" |
    grep -c "^$a$")" 0

# --- flushing ---
fa=$(n "$U/c/f/a?ttl=0"); fb=$(n "$U/c/f/sub/b?ttl=0"); g=$(n "$U/c/g?ttl=0")
t_eq "cached: f/a" "$(n "$U/c/f/a?ttl=0")" "$fa"
t_ok "a recursive flush of /c/f/" get -f \
    "$U/c/flush?p=http://%2B:$P/c/f/&r=1"
t_eq "f/a flushed" "$(n "$U/c/f/a?ttl=0" | grep -c "^$fa$")" 0
t_eq "f/sub/b flushed" "$(n "$U/c/f/sub/b?ttl=0" | grep -c "^$fb$")" 0
t_eq "g kept" "$(n "$U/c/g?ttl=0")" "$g"
t_ok "a flush of the one URL /c/g" get -f \
    "$U/c/flush?p=http://%2B:$P/c/g&r=0"
t_eq "g flushed" "$(n "$U/c/g?ttl=0" | grep -c "^$g$")" 0
x=$(n "$U/c/x?ttl=0")
t_ok "a flush of everything" get -f "$U/c/flush"
t_eq "x flushed" "$(n "$U/c/x?ttl=0" | grep -c "^$x$")" 0

# --- cachestate and the counters ---
t_ok "cachestate" $HSYS http show cachestate
t_grep "lists a URL" 'URL +: "http://127.0.0.1:'"$P"'/c/x\?ttl=0"' "$T/out"
t_grep "with its TTL" 'TTL +: until flushed' "$T/out"
t_ok "cachestate --json parses" jq_ "d['hits'] > 0 and d['misses'] > 0"
t_eq "hits counted" "$(jq_ "d['hits'] > 5")" True
# Another user sees the counters and its own queues' entries, not root's.
nobody() {
	(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups \
	    env HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" "$@")
}
$HSYS http add urlacl url="http://+:$P/nb/" user=nobody >/dev/null
mkdir -m 0777 "$T/nb"
rm -f "$T/nb/ready"
nobody $PY "$APP" --ready "$T/nb/ready" --tag N "http://+:$P/nb/" \
    >"$T/nb.out" 2>&1 &
nb_pid=$!
wait_until 60 test -e "$T/nb/ready"
nb=$(n "$U/nb/mine?ttl=0")
t_eq "nobody's application has an answer cached" "$(n "$U/nb/mine?ttl=0")" \
    "$nb"
t_ok "cachestate as nobody" nobody "$BUILD/hsys" http show cachestate
t_grep "lists nobody's entry" 'URL +: "http://127.0.0.1:'"$P"'/nb/mine' \
    "$T/out"
t_nogrep "and none of root's" 'URL +: "http://127.0.0.1:'"$P"'/c/' "$T/out"
nobody "$BUILD/hsys" http show cachestate --json >"$T/nb.json"
t_eq "in JSON: nobody's one URL" "$($PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(d["uid"], [u["url"].split("/", 3)[3] for u in d["urls"]])' \
    "$T/nb.json")" "65534 ['nb/mine?ttl=0']"
t_eq "root sees both" "$(jq_ "any('/nb/mine' in u['url'] for u in \
    d['urls']) and any('/c/' in u['url'] for u in d['urls'])")" True
kill "$nb_pid"
wait_until 10 gone "$nb_pid"
t_ok "the metrics page is on" $HSYS http add metrics \
    url=http://127.0.0.1:$P/metrics/
wait_until 20 code_is 200 "$U/metrics/"
get -o "$T/metrics" "$U/metrics/"
t_grep "metrics count hits" '^hsys_cache_hits_total [1-9]' "$T/metrics"
t_grep "and misses" '^hsys_cache_misses_total [1-9]' "$T/metrics"
t_grep "and evictions" '^hsys_cache_evictions_total [0-9]' "$T/metrics"

# --- the caps ---
$HSYS http add setting name=UriMaxUriBytes value=4096 >/dev/null
big_uncached() {	# a fresh 5000-byte answer is not cached
	local u="$U/c/big$RANDOM?ttl=0&size=5000" a
	a=$(n "$u"); [ "$(n "$u")" != "$a" ]
}
wait_until 20 big_uncached
t_ok "over UriMaxUriBytes: not cached" big_uncached
a=$(n "$U/c/small?ttl=0&size=3000")
t_eq "within it: cached" "$(n "$U/c/small?ttl=0&size=3000")" "$a"
$HSYS http delete setting name=UriMaxUriBytes >/dev/null
$HSYS http add setting name=UriMaxCacheMegabyteCount value=1 >/dev/null
capped() {	# a request applies the settings in force; then the cap shows
	get -o /dev/null "$U/c/plain"; cj_has '"max_bytes":1048576,'
}
wait_until 20 capped
t_eq "UriMaxCacheMegabyteCount=1 is the cap" "$(jq_ "d['max_bytes']")" \
    1048576
ev0=$(jq_ "d['evictions']")
# 120 answers of 20,000 bytes: 2.4 MB through a 1 MiB cache.
get -o /dev/null "$U/c/ev/[1-120]?ttl=0&size=20000"
t_eq "the cache stays within its cap" "$(jq_ "d['bytes'] <= 1048576")" True
t_eq "by evicting" "$(jq_ "d['evictions'] > $ev0")" True
last=$(n "$U/c/ev/120?ttl=0&size=20000")
t_eq "the most recent is still there" "$(n "$U/c/ev/120?ttl=0&size=20000")" \
    "$last"
t_eq "the least recent went" "$(jq_ "any('/c/ev/1?' in u['url'] for u in \
    d['urls'])")" False
# Hostile: 700 distinct URLs in one connection, 1.3 MB of entries; each
# is charged its overhead too, so the cap holds whatever the sizes.
ev0=$(jq_ "d['evictions']")
timeout 60 curl -s -m 60 -o /dev/null "$U/c/flood/[1-700]?ttl=0&size=1500"
t_eq "a flood of distinct URLs stays within the cap" \
    "$(jq_ "d['bytes'] <= 1048576 and d['entries'] < 700")" True
t_eq "(it was evicting)" "$(jq_ "d['evictions'] > $ev0 + 100")" True
$HSYS http delete setting name=UriMaxCacheMegabyteCount >/dev/null

# --- a prefix handed to another application ---
t_eq "A has responses cached" "$(jq_ "len(d['urls']) > 0")" True
kill "$a_pid"
wait_until 10 gone "$a_pid"
wait_until 20 cj_has '"urls":\[\]'
t_eq "the queue's end took its responses" "$(jq_ "len(d['urls'])")" 0
t_ok "A again, on /c/ and /h/" start a --tag A "http://+:$P/c/" \
    "http://+:$P/h/"
ha=$(get "$U/h/x?ttl=0" | head -n 1)
t_eq "A's answer to /h/x is cached" "$(get "$U/h/x?ttl=0" | head -n 1)" "$ha"
t_ok "A removes /h/" get -f "$U/c/unregister?p=http://%2B:$P/h/"
t_ok "B registers /h/" start b --tag B "http://+:$P/h/"
t_grep "B answers /h/x, not A's cached answer" '^B n=' \
    <(get "$U/h/x?ttl=0")
hb=$(get "$U/h/x?ttl=0" | head -n 1)
t_eq "B's answer is cached in turn" "$(get "$U/h/x?ttl=0" | head -n 1)" "$hb"
kill "$b_pid"
wait_until 10 gone "$b_pid"
# (cacheapp sets its grace period to 0; within one, its prefix would route
# to it and the cache answer for it.) Then the prefix goes, and its
# responses.
wait_until 20 code_is 404 "$U/h/x?ttl=0"
t_eq "B's queue gone: /h/ is not answered from the cache" \
    "$(code "$U/h/x?ttl=0")" 404

kill "$a_pid"
kill "$dpid"
wait_until 10 gone "$dpid"
t_nogrep "no sanitizer report" 'ERROR: [A-Za-z]+Sanitizer|runtime error' \
    "$T/d.log"
t_done
