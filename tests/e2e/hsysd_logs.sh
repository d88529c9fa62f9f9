# The request logs: access.log in NCSA combined (the default) and W3C
# extended, with the fields of cleartext and TLS requests; escaping that
# keeps a client from forging a line; httperr.log with one line per
# failure and HTTP.sys's reason; SIGHUP reopening the files after a
# rotation; the options; the logrotate snippet `make install` ships.
#
# Not tested: Timer_ConnectionIdle and Timer_HeaderWait, whose timeout is
# a fixed 120 s today (the lines are written by conn_timeout).
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000)) P2=$((P + 1)) P3=$((P + 2))
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib"
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
LOG=$HSYS_HOME/log

# hsysd_up ARGS...: hsysd with a fresh log; 1 when it is not ready (a
# t_ok around it says so; lib.sh's start_hsysd would end the test)
hsysd_up() {
	rm -f "$T/d.log"
	$HSYS_WRAP "$BUILD/hsysd" --workers 2 "$@" 2>"$T/d.log" &
	dpid=$!
	wait_until 60 logged_ready "$T/d.log"
}
stop_hsysd() {
	kill "$dpid"
	wait "$dpid"
}
# start_app NAME ARGS...: echoapp in the background, waits until it serves
# t_line WHAT PATTERN FILE: a line matching PATTERN appears in FILE (within
# 10 s; lines reach the file within about 100 ms)
t_line() {
	wait_until 30 grep -Eq -- "$2" "$3"
	_t_report $? "$1" "no line /$2/ in $3: $(tail -c 2000 "$3" 2>/dev/null)"
}
raw() {	# raw PORT BYTES(python literal) [WAIT]: sends, reads, closes
	python3 - "$@" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(eval(sys.argv[2]))
if len(sys.argv) > 3:
    time.sleep(float(sys.argv[3]))	# then leave with it in flight
    s.close()
    sys.exit(0)
try:
    while s.recv(65536):
        pass
except OSError:
    pass
PY
}
lines() { grep -cv '^#' "$1"; }

A=$(hsys cert new-selfsigned --dns-name a.test | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert hostnameport=a.test:$P2 certhash=$A appid=$APPID \
    >/dev/null

t_fail "--access-log takes ncsa, w3c or off" 2 "$BUILD/hsysd" --access-log json
t_grep "and says so" 'ncsa, w3c or off' "$T/err"
t_fail "--error-log takes on or off" 2 "$BUILD/hsysd" --error-log maybe
t_fail "--log-dir takes an absolute path" 2 "$BUILD/hsysd" --log-dir rel

t_ok "hsysd starts with the default logs" hsysd_up
t_ok "access.log is made under HSYS_HOME/log" test -f "$LOG/access.log"
t_eq "mode 0640" "$(stat -c %a "$LOG/access.log")" 640
t_grep "httperr.log starts with its W3C header" \
    '^#Fields: date time c-ip c-port s-ip s-port cs-version cs-method cs-uri streamid sc-status s-siteid s-reason s-queuename$' \
    "$LOG/httperr.log"
t_ok "an application serves http and https" start_app app \
    "http://+:$P/app/" "https://a.test:$P2/s/"

# Cleartext, then TLS: every field.
sz=$(curl -s -o /dev/null -w '%{size_header} %{size_download}' \
    -A 'tester/1.0 (x)' -e 'http://ref.test/' "http://127.0.0.1:$P/app/x?q=1")
bytes=$((${sz% *} + ${sz#* }))
t_line "a cleartext request: NCSA combined and the three extra fields" \
    "^127\.0\.0\.1 - - \[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \+0000\] \"GET /app/x\?q=1 HTTP/1\.1\" 200 $bytes \"http://ref\.test/\" \"tester/1\.0 \(x\)\" [0-9]+ - -$" \
    "$LOG/access.log"
sz=$(curl -sk -o /dev/null -w '%{size_header} %{size_download}' \
    --http1.1 --tlsv1.3 -A 'tls-tester' --resolve a.test:$P2:127.0.0.1 \
    "https://a.test:$P2/s/y")
bytes=$((${sz% *} + ${sz#* }))
t_line "a TLS request: the version and the SNI" \
    "\"GET /s/y HTTP/1\.1\" 200 $bytes \"-\" \"tls-tester\" [0-9]+ TLSv1\.3 a\.test$" \
    "$LOG/access.log"
curl -s -o /dev/null -I "http://127.0.0.1:$P/app/h"
t_line "HEAD is logged as HEAD" '"HEAD /app/h HTTP/1\.1" 200 ' "$LOG/access.log"

# A client tries to forge a line and a field.
n0=$(lines "$LOG/access.log")
raw $P "b'GET /nope/inj HTTP/1.1\r\nHost: a\r\nUser-Agent: x\" 200 1 \"-\" \"y\t\xff\r\nReferer: r\\\\\"\r\nConnection: close\r\n\r\n'"
t_line "quotes, tabs and bytes past ASCII come out as \\xHH" \
    '"GET /nope/inj HTTP/1\.1" 404 [0-9]+ "r\\x5C\\x22" "x\\x22 200 1 \\x22-\\x22 \\x22y\\x09\\xFF" ' \
    "$LOG/access.log"
t_eq "one request, one line" "$(lines "$LOG/access.log")" $((n0 + 1))

# httperr: one line per failure, with its reason.
t_eq "no registration for the path: 404" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/nope")" 404
t_line "NotFound" \
    "^[0-9-]{10} [0-9:]{8} 127\.0\.0\.1 [0-9]+ 127\.0\.0\.1 $P HTTP/1\.1 GET /nope - 404 - NotFound -$" \
    "$LOG/httperr.log"
t_line "and the access log has the 404 too" '"GET /nope HTTP/1\.1" 404 ' \
    "$LOG/access.log"
raw $P "b'GET /app/ HTTX/1.1\r\nHost: a\r\n\r\n'"
t_line "a malformed request-line: BadRequest" \
    " $P - - - - 400 - BadRequest -$" "$LOG/httperr.log"
raw $P "b'GET /app/ HTTP/1.1\r\n\r\n'"
t_line "no Host: Hostname" " 400 - Hostname -$" "$LOG/httperr.log"
raw $P "b'G@T /app/ HTTP/1.1\r\nHost: a\r\n\r\n'"
t_line "a bad method: Verb" " 400 - Verb -$" "$LOG/httperr.log"
raw $P "b'GET /app/ HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n'"
t_line "a bad Content-Length: Number" " 400 - Number -$" "$LOG/httperr.log"
raw $P "b'GET /app/' + b'a' * 17000 + b' HTTP/1.1\r\nHost: a\r\n\r\n'"
t_line "a request-line too long: URL_Length" " 414 - URL_Length -$" \
    "$LOG/httperr.log"
raw $P "b'GET /app/ HTTP/1.1\r\nHost: a\r\nX: ' + b'a' * 17000 + b'\r\n\r\n'"
t_line "a field line too long: FieldLength" " 431 - FieldLength -$" \
    "$LOG/httperr.log"
raw $P "b'GET /app/hang HTTP/1.1\r\nHost: a\r\n\r\n'" 0.5
t_line "the client leaves with its request in flight: Connection_Dropped" \
    " HTTP/1\.1 GET /app/hang - - - Connection_Dropped -$" "$LOG/httperr.log"
t_ok "a second application on /d/" start_app app2 "http://+:$P/d/"
t_eq "it dies mid-request: 503" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P/d/die")" 503
t_line "Connection_Abandoned_By_ReqQueue" \
    " GET /d/die - 503 - Connection_Abandoned_By_ReqQueue -$" "$LOG/httperr.log"

# A registration whose session never opened its data channels: no
# process serves the queue.
python3 - "$P3" "$T/off.ready" >"$T/off.out" 2>&1 <<'PY' &
import struct, sys, time
from hsys.raw import Session
s = Session("offline")
qid = struct.unpack("<I", s.queue_create()[1])[0]
print(s.prefix_add(qid, "http://+:%s/off/" % sys.argv[1]), flush=True)
open(sys.argv[2], "w").write("ready\n")
time.sleep(30)
PY
offpid=$!
wait_until 30 test -e "$T/off.ready"
t_eq "a queue nobody serves: 503" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P3/off/")" 503
t_line "AppOffline" " GET /off/ - 503 - AppOffline -$" "$LOG/httperr.log"
kill $offpid

# TLS failures.
echo | timeout 5 openssl s_client -connect 127.0.0.1:$P2 -servername b.test \
    >/dev/null 2>&1
t_line "a name with no binding: TLS_NoBinding" \
    " 127\.0\.0\.1 $P2 - - - - - - TLS_NoBinding -$" "$LOG/httperr.log"
t_eq "one line for it, not a TLS_HandshakeFailed as well" \
    "$(grep -c 'TLS_HandshakeFailed' "$LOG/httperr.log")" 0
echo | timeout 5 openssl s_client -connect 127.0.0.1:$P2 -servername a.test \
    -tls1_1 >/dev/null 2>&1
t_line "a TLS 1.1 client: TLS_HandshakeFailed" \
    " 127\.0\.0\.1 $P2 - - - - - - TLS_HandshakeFailed -$" "$LOG/httperr.log"

# Rotation: move the files, SIGHUP, and new lines go to new files.
mv "$LOG/access.log" "$LOG/access.log.1"
mv "$LOG/httperr.log" "$LOG/httperr.log.1"
kill -HUP "$dpid"
t_line "SIGHUP reopens the logs" 'request logs reopened' "$T/d.log"
curl -s -o /dev/null "http://127.0.0.1:$P/app/after-rotate"
curl -s -o /dev/null "http://127.0.0.1:$P/nope-after-rotate"
t_line "a new access.log gets the next line" '"GET /app/after-rotate ' \
    "$LOG/access.log"
t_nogrep "the old one does not" 'after-rotate' "$LOG/access.log.1"
t_line "a new httperr.log, with its header" '^#Fields: ' "$LOG/httperr.log"
t_line "and the next failure" 'GET /nope-after-rotate - 404' \
    "$LOG/httperr.log"
t_ok "hsysd stops cleanly" stop_hsysd

# W3C extended, in a directory of the admin's choice.
t_ok "hsysd starts with --access-log w3c --log-dir" \
    hsysd_up --access-log w3c --log-dir "$T/w3c"
t_ok "the application again" start_app app3 "http://+:$P/app/" \
    "https://a.test:$P2/s/"
t_grep "access.log starts with its W3C header" \
    '^#Fields: date time c-ip c-port s-ip s-port cs-method cs-uri cs-version sc-status sc-bytes time-taken cs\(User-Agent\) cs\(Referer\) cs-host tls-version tls-sni$' \
    "$T/w3c/access.log"
t_grep "and names the software" '^#Software: hsysd ' "$T/w3c/access.log"
sz=$(curl -s -o /dev/null -w '%{size_header} %{size_download}' \
    -A 'w3c tester' "http://127.0.0.1:$P/app/w?a=b")
bytes=$((${sz% *} + ${sz#* }))
t_line "a cleartext request in W3C: spaces in the UA become +" \
    "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} 127\.0\.0\.1 [0-9]+ 127\.0\.0\.1 $P GET /app/w\?a=b HTTP/1\.1 200 $bytes [0-9]+ w3c\+tester - 127\.0\.0\.1:$P - -$" \
    "$T/w3c/access.log"
curl -sk --http1.1 -o /dev/null --tlsv1.3 -A 'tls' --resolve a.test:$P2:127.0.0.1 \
    "https://a.test:$P2/s/z"
t_line "a TLS request in W3C" \
    " $P2 GET /s/z HTTP/1\.1 200 [0-9]+ [0-9]+ tls - a\.test:$P2 TLSv1\.3 a\.test$" \
    "$T/w3c/access.log"
raw $P "b'GET /nope/w3c-inj HTTP/1.1\r\nHost: a\r\nUser-Agent: a b\tc\"\xff\r\nConnection: close\r\n\r\n'"
t_line "no space, tab, quote or high byte reaches a W3C field" \
    ' GET /nope/w3c-inj HTTP/1\.1 404 [0-9]+ [0-9]+ a\+b%09c%22%FF - a ' \
    "$T/w3c/access.log"
t_ok "hsysd stops cleanly" stop_hsysd

# Both logs off: no files.
t_ok "hsysd starts with both logs off" \
    hsysd_up --access-log off --error-log off --log-dir "$T/off"
t_ok "and makes no log directory" test ! -e "$T/off"
stop_hsysd

# The logrotate snippet `make install` ships.
stage=$T/stage
t_ok "make install DESTDIR=" \
    make -C "$TOP" -s install BUILD="$BUILD" PREFIX=/usr DESTDIR="$stage"
t_ok "installs /etc/logrotate.d/hsysd" test -f "$stage/etc/logrotate.d/hsysd"
if command -v logrotate >/dev/null; then
	t_ok "logrotate -d accepts it" logrotate -d -s "$T/lr.state" \
	    "$stage/etc/logrotate.d/hsysd"
	t_nogrep "without an error" '^error' "$T/err"
	# A real rotation of our own files, with the snippet's settings.
	sed -e "s|/var/log/hsys|$T/rot|g" \
	    -e "s|/run/hsys/hsysd.lock|$HSYS_HOME/hsysd.lock|" \
	    "$stage/etc/logrotate.d/hsysd" >"$T/rot.conf"
	mkdir -p "$T/rot" && chmod 0750 "$T/rot"
	t_ok "hsysd logs to a directory for rotation" hsysd_up --log-dir "$T/rot"
	t_ok "the application again" start_app app4 "http://+:$P/app/"
	curl -s -o /dev/null "http://127.0.0.1:$P/app/before"
	wait_until 30 grep -Eq -- before "$T/rot/access.log"
	t_ok "logrotate rotates the files" logrotate -f -s "$T/lr.state" \
	    "$T/rot.conf"
	t_ok "access.log.1 holds the old lines" grep -q before "$T/rot/access.log.1"
	t_line "the postrotate's SIGHUP reached hsysd" 'request logs reopened' \
	    "$T/d.log"
	curl -s -o /dev/null "http://127.0.0.1:$P/app/after"
	t_line "new lines go to the new access.log" '/app/after ' \
	    "$T/rot/access.log"
	stop_hsysd
else
	t_ok "logrotate is installed (scripts/install-deps)" false
fi
t_done
