# hsys.wsgi with real frameworks from Debian's packages, over verified TLS:
# a Flask app (two processes on one named queue) and a small Django
# project, each behind its own prefix: the environ behind a prefix
# (SCRIPT_NAME, PATH_INFO, https, SNI), GET, POST form and JSON, 50 MiB
# streamed up (Content-Length and chunked) and down, redirects that keep
# the prefix, cookies, an application that raises (500, traceback, the
# process lives on), SIGTERM draining a download in flight, and a new
# version deployed under load with no failed request.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/certfix.sh"
PY=/usr/bin/python3
APPS=$TOP/tests/e2e/lib/pyapps
export PYTHONPATH="$TOP/bindings/python:$APPS"
P=$((20000 + RANDOM % 12000))
APPID='{00112233-4455-6677-8899-aabbccddeeff}'


certfix_init
certfix_root "$T/ca" "Python WSGI Test CA"
certfix_issue "$T/srv" srv.test "$T/ca" "san=DNS:srv.test,IP:127.0.0.1" \
    >/dev/null
certfix_add My "$T/srv.pem" "$T/srv.key"
hsys http add sslcert ipport=0.0.0.0:$P certhash=$(certfix_thumb "$T/srv.pem") \
    appid=$APPID >/dev/null
start_hsysd -p d --workers 2 --verbose

C="curl -s --cacert $T/ca.pem --resolve srv.test:$P:127.0.0.1"
U=https://srv.test:$P

cd "$APPS"
$PY -m hsys.wsgi flaskapp:app --url "https://+:$P/flask/" --processes 2 \
    --queue flaskq --ready "$T/f1.ready" 2>"$T/f1.err" &
f1=$!
DJANGO_SETTINGS_MODULE=djsite.settings $PY -m hsys.wsgi djsite.wsgi:application \
    --url "https://+:$P/dj/" --threads 4 --ready "$T/dj.ready" 2>"$T/dj.err" &
dj=$!
cd "$TOP"
t_ok "Flask under hsys.wsgi: two processes serve" \
    wait_until 30 prints 2 grep -c ready "$T/f1.ready"
t_ok "Django under hsys.wsgi serves" wait_until 30 test -s "$T/dj.ready"

# The environ behind a prefix.
$C "$U/flask/?a=1&b=%20" >"$T/fenv"
for kv in '"script_name":"/flask"' '"path_info":"/"' '"query":"a=1&b=%20"' \
    '"scheme":"https"' '"https":"on"' '"sni":"srv.test"' \
    "\"host\":\"srv.test:$P\"" "\"server\":\\[\"srv.test\",\"$P\"\\]" \
    '"remote":"127.0.0.1"' '"tls":"TLSv1\.3 ' "\"url\":\"$U/flask/\\?a=1"; do
	t_grep "Flask's environ: $kv" "$kv" "$T/fenv"
done
$C "$U/dj/" >"$T/djenv"
t_grep "Django: SCRIPT_NAME is the prefix's path" '"script_name": "/dj"' \
    "$T/djenv"
t_grep "Django: the full path and absolute URI keep it" \
    "\"path\": \"/dj/\", \"path_info\": \"/\", \"uri\": \"$U/dj/\"" "$T/djenv"
t_grep "Django: the request is secure" '"secure": true' "$T/djenv"
for i in $(seq 12); do $C "$U/flask/pid" >>"$T/pids"; done
t_eq "the two Flask processes share the queue's requests" \
    "$(sort -u "$T/pids" | wc -l)" 2

# The same checks for both frameworks.
head -c 52428800 /dev/urandom >"$T/50m"
up=$(sha256sum <"$T/50m" | cut -d' ' -f1)
$PY -c 'import sys
b = bytes(range(256)) * 256
with open(sys.argv[1], "wb") as f:
    for i in range(800): f.write(b)' "$T/50m.pattern"
down=$(sha256sum <"$T/50m.pattern" | cut -d' ' -f1)
for app in flask dj; do
	t_eq "$app: a form" "$($C -d 'name=bob&n=3' "$U/$app/form")" \
	    "hello bob, 3"
	$C -H 'Content-Type: application/json' -d '{"numbers": [1, 2, 39]}' \
	    "$U/$app/json" >"$T/json"
	t_grep "$app: JSON in and out" '"sum": ?42' "$T/json"
	t_eq "$app: a 50 MiB upload streams through" \
	    "$($C --data-binary @"$T/50m" -H 'Content-Type: application/octet-stream' \
	    "$U/$app/upload")" "52428800 $up"
	t_eq "$app: a 50 MiB download streams back" \
	    "$($C "$U/$app/download?n=52428800" | sha256sum | cut -d' ' -f1)" \
	    "$down"
	$C -D "$T/redir.h" -o /dev/null "$U/$app/go"
	t_grep "$app: a redirect keeps the prefix" \
	    "^[Ll]ocation: ($U)?/$app/landing" "$T/redir.h"
	t_eq "$app: and leads there" "$($C -L "$U/$app/go")" \
	    "landed at /$app/landing"
	$C -c "$T/$app.jar" -o /dev/null "$U/$app/setcookie"
	t_grep "$app: the cookie's path is the prefix" "/$app/.*flavour" \
	    "$T/$app.jar"
	t_eq "$app: the cookie comes back" \
	    "$($C -b "$T/$app.jar" "$U/$app/getcookie")" "cookie oatmeal"
	t_eq "$app: an application that raises gives 500" \
	    "$($C -o /dev/null -w '%{http_code}' "$U/$app/raise")" 500
	t_eq "$app: and the process goes on serving" \
	    "$($C -o /dev/null -w '%{http_code}' "$U/$app/")" 200
done
t_eq "Flask: a chunked 50 MiB upload streams through" \
    "$(cat "$T/50m" | $C -T - -X POST "$U/flask/upload")" "52428800 $up"
t_grep "Flask's traceback is on stderr" 'RuntimeError: the application raised on purpose' \
    "$T/f1.err"
t_grep "Django's too" 'RuntimeError: the application raised on purpose' \
    "$T/dj.err"

# SIGTERM drains: a download in flight completes, then the process exits.
# The signal comes once the first bytes arrived (a download not yet
# routed when the queue closes is another case), and the client is slower
# than the application: the response's tail is still in hsysd (in the
# stream, over HTTP/2) when the application ends its session.
$C --http2 -m 120 --limit-rate 20M -o "$T/drained" "$U/dj/download?n=52428800" &
dl=$!
t_ok "the download is under way" wait_until 30 test -s "$T/drained"
kill -TERM $dj
wait $dl
t_eq "curl ends it without an error" "$?" 0
t_eq "a download in flight at SIGTERM completes" \
    "$(sha256sum <"$T/drained" | cut -d' ' -f1)" "$down"
wait $dj
t_eq "then hsys.wsgi exits 0" "$?" 0
t_grep "having said it drained" 'stopping' "$T/dj.err"

# A new version under load: attach v2 to the named queue, stop v1.
$PY "$APPS/load.py" "https://127.0.0.1:$P/flask/pid" "$T/stop" 4 60 "$T/ca.pem" \
    >"$T/load.out" 2>&1 &
load=$!
sleep 1
(cd "$APPS" && exec $PY -m hsys.wsgi flaskapp:app --url "https://+:$P/flask/" \
    --processes 2 --queue flaskq --ready "$T/f2.ready" 2>"$T/f2.err") &
f2=$!
t_ok "v2 attaches to the named queue under load" \
    wait_until 30 prints 2 grep -c ready "$T/f2.ready"
sleep 1
kill -TERM $f1
wait $f1
t_eq "v1 drains and exits 0" "$?" 0
sleep 1
touch "$T/stop"
wait $load
t_grep "the load ran" '^requests [1-9][0-9]+ ' "$T/load.out"
t_grep "with not one failed request" ' failed 0$' "$T/load.out"
t_ok "v2 serves alone" sh -c "$C '$U/flask/pid' | grep -qv x"

kill -TERM $f2
wait $f2
kill -TERM $d
wait $d
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
