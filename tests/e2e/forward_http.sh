# hsys-forward in front of servers nobody here wrote: Python's http.server
# (python3 -m http.server) over TCP, and a http.server-based upstream over
# TCP and a Unix socket; the fields it adds, --strip-prefix, a chunked
# response, 20 MiB both ways streamed (sha256), keep-alive reuse, the
# upstream down (502) and slow (504), SIGTERM draining, and a user without
# a reservation refused.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
U=$((P + 1)); U2=$((P + 2))
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
thumb=$(hsys cert new-selfsigned --dns-name localhost | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$thumb appid=$APPID >/dev/null
hsys cert export "$thumb" --pem "$T/ca.pem" >/dev/null
start_hsysd --workers 2
UP="$TOP/tests/e2e/lib/fwd_upstream.py"
get() { curl -s --max-time 30 --cacert "$T/ca.pem" "$@"; }
code_opts=(--cacert "$T/ca.pem")
FWD="$HSYS_WRAP $BUILD/hsys-forward --threads 2"

# --- Python's http.server over TCP ----------------------------------------
mkdir -p "$T/www"
echo "static file" >"$T/www/hello.txt"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$T/www/big.bin"
(cd "$T/www" && exec /usr/bin/python3 -m http.server --bind 127.0.0.1 $U \
    >"$T/pyhttp.log" 2>&1) &
wait_until 30 curl -s -o /dev/null http://127.0.0.1:$U/
$FWD --url "https://+:$P/static/" --to http://127.0.0.1:$U --strip-prefix \
    2>"$T/f1.log" &
f1=$!
t_ok "hsys-forward serves the prefix" \
    wait_until 30 code_is 200 "https://localhost:$P/static/hello.txt"
t_eq "http.server's file through hsys-forward" \
    "$(get https://localhost:$P/static/hello.txt)" "static file"
get "https://localhost:$P/static/big.bin" -o "$T/big.out"
t_eq "20 MiB download streamed whole (sha256)" \
    "$(sha256sum <"$T/big.out" | cut -d' ' -f1)" \
    "$(sha256sum <"$T/www/big.bin" | cut -d' ' -f1)"
t_eq "a missing file is the upstream's 404" \
    "$(code https://localhost:$P/static/nope)" 404
touch -d '1 hour ago' "$T/www/hello.txt"
t_eq "a conditional GET: the upstream's 304" \
    "$(code -z "$T/www/hello.txt" https://localhost:$P/static/hello.txt)" 304
t_eq "and the connection goes on (a 304 has no body)" \
    "$(get -z "$T/www/hello.txt" https://localhost:$P/static/hello.txt \
    --next --cacert "$T/ca.pem" https://localhost:$P/static/hello.txt)" "static file"
t_eq "HEAD has no body" \
    "$(get -I -o /dev/null -w '%{http_code}' https://localhost:$P/static/hello.txt)" 200

# --- our http.server upstream on a Unix socket ------------------------------
/usr/bin/python3 "$UP" http --unix "$T/up.sock" 2>"$T/up.log" &
wait_until 30 test -S "$T/up.sock"
$FWD --url "https://+:$P/app/" --to "unix:$T/up.sock" 2>"$T/f2.log" &
f2=$!
t_ok "a Unix-socket upstream" \
    wait_until 30 code_is 200 "https://localhost:$P/app/x"
get -H 'X-Forwarded-For: 6.6.6.6' -H 'Connection: x-drop' -H 'X-Drop: 1' \
    "https://localhost:$P/app/headers?a=1" >"$T/h"
t_grep "the path is kept without --strip-prefix" '^GET /app/headers\?a=1 HTTP/1.1' "$T/h"
t_grep "Forwarded says who and how" '^Forwarded: for=127.0.0.1;proto=https;host="localhost:'$P'"' "$T/h"
t_grep "X-Forwarded-For is the peer, not the client's claim" '^X-Forwarded-For: 127.0.0.1$' "$T/h"
t_grep "X-Forwarded-Proto" '^X-Forwarded-Proto: https$' "$T/h"
get --connect-to localhost:$P:127.0.0.1:$P --interface 127.10.20.42 \
    "https://localhost:$P/app/headers" >"$T/h10"
t_grep "a peer with two-digit and zero bytes in X-Forwarded-For" \
    '^X-Forwarded-For: 127.10.20.42$' "$T/h10"
t_grep "and in Forwarded" '^Forwarded: for=127.10.20.42;' "$T/h10"
t_grep "X-Forwarded-Host" "^X-Forwarded-Host: localhost:$P$" "$T/h"
t_nogrep "a field the client's Connection names is dropped" '^X-Drop' "$T/h"
t_nogrep "no X-Forwarded-Prefix without --strip-prefix" '^X-Forwarded-Prefix' "$T/h"
t_eq "a chunked response" "$(get https://localhost:$P/app/chunked)" "one two three"
# The upstream's trailer section reaches the client: HTTP/2 as trailers
# (curl -D prints them after the head), HTTP/1.1 in the last chunk.
get --http2 -D "$T/tr2.h" -o "$T/tr2.b" "https://localhost:$P/app/trailers"
t_eq "a chunked response with trailers: the body" "$(cat "$T/tr2.b")" \
    "hello trailers"
t_grep "HTTP/2: the upstream's grpc-status is a trailer" '^grpc-status: 0' "$T/tr2.h"
t_grep "and x-checksum" '^x-checksum: abc123' "$T/tr2.h"
t_nogrep "not a Content-Type a trailer may not carry" 'text/evil' "$T/tr2.h"
t_nogrep "the head's Trailer field is hop-by-hop, not passed on" '^trailer:' "$T/tr2.h"
printf 'GET /app/trailers HTTP/1.1\r\nHost: localhost:%s\r\nTE: trailers\r\nConnection: close\r\n\r\n' $P |
    timeout 20 openssl s_client -quiet -connect 127.0.0.1:$P -servername localhost \
    -alpn http/1.1 -ign_eof >"$T/tr1.out" 2>/dev/null
t_grep "HTTP/1.1: the last chunk carries grpc-status" '^grpc-status: 0' "$T/tr1.out"
t_grep "and x-checksum" '^[Xx]-[Cc]hecksum: abc123' "$T/tr1.out"
t_nogrep "and not the Content-Type" 'text/evil' "$T/tr1.out"
# libhsys corks output; the forwarder waits on the upstream, not in
# libhsys, so it must send what it has before each wait.
get -N --max-time 2 "https://localhost:$P/app/drip" >"$T/drip" || true
t_eq "a streamed piece reaches the client before the upstream's next one" \
    "$(cat "$T/drip")" "first"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$T/up.bin"
want="$(stat -c %s "$T/up.bin") $(sha256sum <"$T/up.bin" | cut -d' ' -f1)"
t_eq "20 MiB upload streamed (sha256)" \
    "$(get --data-binary @"$T/up.bin" https://localhost:$P/app/upload)" "$want"
# Chunked is HTTP/1.1's framing (over HTTP/2 the field is malformed).
t_eq "20 MiB upload, chunked by the client" \
    "$(get --http1.1 -H 'Transfer-Encoding: chunked' \
    --data-binary @"$T/up.bin" https://localhost:$P/app/upload)" "$want"
# Over HTTP/2 curl leaves the field out: a body without a length, which
# once hung the worker that carried it (and so the forwarder's next
# request) when the data channel's socket filled.
t_eq "20 MiB upload over HTTP/2, without a length" \
    "$(get --http2 -H 'Transfer-Encoding: chunked' \
    --data-binary @"$T/up.bin" https://localhost:$P/app/upload)" "$want"
# Sent anyway, the field is malformed (RFC 9113 §8.2.2): that stream is
# reset, and nothing else waits on it.
head -c 100000 "$T/up.bin" >"$T/up.small"
timeout 30 nghttp -v -H 'transfer-encoding: chunked' -d "$T/up.small" \
    https://localhost:$P/app/upload >"$T/h2te" 2>&1
t_grep "a Transfer-Encoding field over HTTP/2 resets its stream" \
    '^ +\(error_code=PROTOCOL_ERROR' "$T/h2te"
t_eq "and the forwarder's next request is served" \
    "$(get https://localhost:$P/app/after-h2te)" "upstream /app/after-h2te"
get "https://localhost:$P/app/big?n=20971520" -o "$T/big2"
t_eq "20 MiB response from the Unix socket" "$(stat -c %s "$T/big2")" 20971520
n=0
for i in $(seq 30); do
	[ "$(get https://localhost:$P/app/k$i)" = "upstream /app/k$i" ] && n=$((n + 1))
done
t_eq "30 requests in a row all answered" "$n" 30

# --- many requests in flight in one worker ------------------------------------
# One worker: three requests wait for a slow upstream answer (8 s) while a
# fourth, sent a second later, is answered; none holds the worker.
$FWD --threads 1 --timeout 30 --url "https://+:$P/one/" --to "unix:$T/up.sock" \
    2>"$T/f7.log" &
f7=$!
t_ok "a forwarder with one worker" \
    wait_until 30 code_is 200 "https://localhost:$P/one/x"
for i in 1 2 3; do
	get "https://localhost:$P/one/slow?s=8" >"$T/slow$i.out" &
	eval "s$i=\$!"
done
sleep 1
t_eq "one worker answers a request while three wait for their upstream" \
    "$(get https://localhost:$P/one/fast)" "upstream /one/fast"
t_ok "and the three are still in flight then" kill -0 $s1 $s2 $s3
wait $s1 $s2 $s3
t_eq "then the three are answered" "$(cat "$T"/slow[123].out | sort -u)" \
    "upstream /one/slow"
# Requests without a body in flight mixed with uploads (served by blocking
# calls) in the same worker, ten at a time: every answer is its own.
printf 'hello' >"$T/five"
seq 40 | xargs -P 10 -I{} sh -c 'if [ $(({} % 2)) = 0 ]; then
	curl -s --max-time 30 --cacert "$1/ca.pem" "https://localhost:$2/one/k{}"
else
	curl -s --max-time 30 --cacert "$1/ca.pem" --data-binary @"$1/five" \
	    "https://localhost:$2/one/upload"
fi; echo' sh "$T" "$P" >"$T/mixed.out"
t_eq "40 requests, 10 at a time, half with bodies: 20 GETs answered" \
    "$(grep -c '^upstream /one/k[0-9]*$' "$T/mixed.out")" 20
t_eq "and 20 uploads" "$(grep -c "^5 $(printf hello | sha256sum | cut -d' ' -f1)$" \
    "$T/mixed.out")" 20
kill -TERM $f7; wait $f7
t_eq "and it exits 0 on SIGTERM (nothing left in flight, no leak)" "$?" 0

# --- --strip-prefix and turning the fields off ------------------------------
$FWD --url "https://+:$P/strip/" --to "unix:$T/up.sock" --strip-prefix \
    --no-forwarded --no-x-forwarded 2>"$T/f3.log" &
f3=$!
t_ok "a second forwarder" \
    wait_until 30 code_is 200 "https://localhost:$P/strip/x"
get -H 'X-Forwarded-For: 6.6.6.6' "https://localhost:$P/strip/headers" >"$T/h3"
t_grep "--strip-prefix removes the prefix's path" '^GET /headers HTTP/1.1' "$T/h3"
t_nogrep "--no-forwarded" '^Forwarded:' "$T/h3"
# (curl speaks HTTP/2 to hsysd, whose field names are lower case.)
t_grep "--no-x-forwarded passes the client's own" \
    '^[Xx]-[Ff]orwarded-[Ff]or: 6.6.6.6' "$T/h3"
kill -TERM $f3; wait $f3
$FWD --url "https://+:$P/strip/" --to "unix:$T/up.sock" --strip-prefix \
    2>"$T/f3.log" &
f3=$!
t_ok "again with the fields" \
    wait_until 30 code_is 200 "https://localhost:$P/strip/x"
get "https://localhost:$P/strip/headers" >"$T/h4"
t_grep "X-Forwarded-Prefix with --strip-prefix" '^X-Forwarded-Prefix: /strip$' "$T/h4"

# --- down, slow ---------------------------------------------------------------
$FWD --url "https://+:$P/down/" --to http://127.0.0.1:$U2 2>"$T/f4.log" &
f4=$!
wait_until 30 code_is 502 https://localhost:$P/down/
t_eq "an upstream that refuses: 502" "$(code https://localhost:$P/down/)" 502
t_grep "the 502 is logged with the reason" '502 for GET /down/: upstream connect failed: Connection refused' "$T/f4.log"
$FWD --url "https://+:$P/slow/" --to "unix:$T/up.sock" --timeout 1 2>"$T/f5.log" &
f5=$!
t_ok "a forwarder with --timeout 1" \
    wait_until 30 code_is 200 "https://localhost:$P/slow/x"
t_eq "an upstream that does not answer in time: 504" \
    "$(code https://localhost:$P/slow/slow)" 504
t_grep "the 504 is logged" '504 for GET /slow/slow: upstream did not answer in time' "$T/f5.log"
t_eq "the next request is served" "$(get https://localhost:$P/slow/after)" "upstream /slow/after"

# --- draining -------------------------------------------------------------------
get "https://localhost:$P/app/slow" >"$T/drain.out" &
cpid=$!
sleep 1
kill -TERM $f2
wait $cpid
t_eq "SIGTERM lets the request in flight finish" "$(cat "$T/drain.out")" "upstream /app/slow"
wait $f2
t_eq "then hsys-forward exits 0" "$?" 0

# --- a user without a reservation ----------------------------------------------
chmod 755 "$HSYS_HOME"
setpriv --reuid=65534 --regid=65534 --clear-groups "$BUILD/hsys-forward" \
    --url "https://+:$P/nobody/" --to "unix:$T/up.sock" >"$T/f6.out" 2>&1
t_eq "a user without a reservation is refused (exit 1)" "$?" 1
t_grep "and told how to get one" 'hsys http add urlacl url=https://\+:'$P'/nobody/' "$T/f6.out"

kill -TERM $f1 $f3 $f4 $f5
wait $f1; t_eq "hsys-forward exits 0 on SIGTERM" "$?" 0
kill -TERM $dpid
wait $dpid
t_done
