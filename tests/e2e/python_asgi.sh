# hsys.asgi with Debian's Starlette, over verified TLS: routing under
# root_path (the prefix's path), url_for keeping it, a streamed response,
# a streamed upload, a WebSocket echo driven by the `websockets` client
# over wss:// (text, a large binary message, ping, the server's close
# code), lifespan startup and shutdown in each of two processes, an
# application that raises (500, traceback, the process lives on), and
# over HTTP/2 http_version "2" and response trailers (http.response.trailers).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/certfix.sh"
PY=/usr/bin/python3
APPS=$TOP/tests/e2e/lib/pyapps
export PYTHONPATH="$TOP/bindings/python:$APPS"
P=$((20000 + RANDOM % 12000))
APPID='{00112233-4455-6677-8899-aabbccddeeff}'


certfix_init
certfix_root "$T/ca" "Python ASGI Test CA"
certfix_issue "$T/srv" srv.test "$T/ca" "san=DNS:srv.test,IP:127.0.0.1" \
    >/dev/null
certfix_add My "$T/srv.pem" "$T/srv.key"
hsys http add sslcert ipport=0.0.0.0:$P certhash=$(certfix_thumb "$T/srv.pem") \
    appid=$APPID >/dev/null
start_hsysd -p d --workers 2 --verbose

C="curl -s --cacert $T/ca.pem --resolve srv.test:$P:127.0.0.1"
U=https://srv.test:$P/app

export STARAPP_EVENTS=$T/events
(cd "$APPS" && exec $PY -m hsys.asgi starapp:app --url "https://+:$P/app/" \
    --processes 2 --ready "$T/a.ready" 2>"$T/a.err") &
a=$!
t_ok "Starlette under hsys.asgi: two processes serve" \
    wait_until 30 prints 2 grep -c ready "$T/a.ready"
t_eq "lifespan startup ran in each, before serving" \
    "$(grep -c '^startup' "$T/events")" 2

$C "$U/?x=1" >"$T/index"
t_grep "root_path is the prefix's path, path the rest" \
    '"root_path":"/app","path":"/"' "$T/index"
t_grep "request.url is whole" "\"url\":\"https://srv.test:$P/app/\\?x=1\"" \
    "$T/index"
t_grep "url_for keeps the prefix" \
    "\"for_item\":\"https://srv.test:$P/app/item/7\"" "$T/index"
t_grep "the startup handler's state is seen" '"started":true' "$T/index"
t_grep "an HTTP/2 request's http_version is 2" '"http_version":"2"' "$T/index"
t_eq "an HTTP/1.1 request's is 1.1" "$($C --http1.1 "$U/" | $PY -c \
    'import json,sys; print(json.load(sys.stdin)["http_version"])')" 1.1
$C --http2 -D "$T/grpc.h" "$U/grpc" >"$T/grpc"
t_eq "http.response.trailers is offered; the body comes" "$(cat "$T/grpc")" \
    "2 True"
t_grep "and its trailers reach an h2 client" '^grpc-status: 0' "$T/grpc.h"
t_grep "both messages' fields (more_trailers)" '^grpc-message: fine' "$T/grpc.h"
t_eq "a route with a parameter" "$($C "$U/item/42")" "item 42"
t_eq "a route that is not there: 404" \
    "$($C -o /dev/null -w '%{http_code}' "$U/nothere")" 404
$C --http1.1 -D "$T/stream.h" "$U/stream?n=20000" >"$T/stream"
t_eq "a streamed response arrives whole" "$(wc -l <"$T/stream")" 20000
t_grep "chunked" '^[Tt]ransfer-[Ee]ncoding: chunked' "$T/stream.h"
head -c 10485760 /dev/urandom >"$T/10m"
t_eq "a 10 MiB upload streams through" \
    "$($C --data-binary @"$T/10m" "$U/upload")" \
    "10485760 $(sha256sum <"$T/10m" | cut -d' ' -f1)"
$C -D "$T/go.h" -o /dev/null "$U/go"
t_grep "a redirect keeps the prefix" "^location: https://srv.test:$P/app/item/3" \
    "$T/go.h"
t_eq "an application that raises gives 500" \
    "$($C -o /dev/null -w '%{http_code}' "$U/raise")" 500
t_grep "with a traceback on stderr" \
    'RuntimeError: the application raised on purpose' "$T/a.err"
t_eq "and the process goes on" \
    "$($C -o /dev/null -w '%{http_code}' "$U/item/1")" 200

timeout 60 $PY - "$P" "$T/ca.pem" >"$T/ws" 2>&1 <<'PYEOF'
import asyncio, os, ssl, sys
import websockets

port, ca = sys.argv[1], sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)

async def main():
    url = "wss://srv.test:%s/app/ws" % port
    async with websockets.connect(url, ssl=ctx, host="127.0.0.1",
                                  server_hostname="srv.test",
                                  max_size=None) as w:
        await w.send("hello")
        print("text", await w.recv())
        blob = os.urandom(3 << 20)
        await w.send(blob)
        print("binary", await w.recv() == blob)
        pong = await w.ping(b"p")
        await asyncio.wait_for(pong, 10)
        print("pong")
        for i in range(100):
            await w.send("m%d" % i)
        got = [await w.recv() for i in range(100)]
        print("ordered", got == ["echo m%d" % i for i in range(100)])
        await w.send("bye")
        try:
            await w.recv()
        except websockets.ConnectionClosed as e:
            print("closed", e.rcvd.code if e.rcvd else None)
    async with websockets.connect(url, ssl=ctx, host="127.0.0.1",
                                  server_hostname="srv.test") as w:
        await w.send("again")
        print("again", await w.recv())
    print("client closed cleanly")

asyncio.run(main())
PYEOF
t_grep "WebSocket over wss://: a text message echoed" '^text echo hello$' \
    "$T/ws"
t_grep "a 3 MiB binary message echoed" '^binary True$' "$T/ws"
t_grep "a ping answered" '^pong$' "$T/ws"
t_grep "100 messages in order" '^ordered True$' "$T/ws"
t_grep "the application's close code reaches the client" '^closed 4000$' \
    "$T/ws"
t_grep "the client closing is clean too" '^client closed cleanly$' "$T/ws"

kill -TERM $a
wait $a
t_eq "SIGTERM: hsys.asgi drains and exits 0" "$?" 0
t_eq "lifespan shutdown ran in each" "$(grep -c '^shutdown' "$T/events")" 2

kill -TERM $d
wait $d
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
