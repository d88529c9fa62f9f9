# HTTPS through hsysd: certificates from the store picked per binding
# (SNI hostnameport exact, then wildcard; the ipport of the local address;
# then 0.0.0.0 or [::], and 0.0.0.0 for IPv6 clients too), handshakes with
# no binding refused, TLS options per
# binding, and configuration changes picked up live: a binding added, a
# certificate replaced while a long download goes on.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000)) P2=$((P + 1))
export PYTHONPATH="$TOP/tests/e2e/lib"
APPID='{00112233-4455-6677-8899-aabbccddeeff}'

newcert() { hsys cert new-selfsigned "$@" | grep -oE '^[0-9A-F]{40}'; }
# The subject CN the server presents: peer_cn HOST PORT [SNI]
peer_cn() {
	local host=$1 name=(-noservername)
	case $host in *:*) host="[$host]" ;; esac
	[ -n "${3:-}" ] && name=(-servername "$3")
	echo | timeout 5 openssl s_client -connect "$host:$2" "${name[@]}" \
	    2>/dev/null | sed -n 's/^subject=.*CN = //p'
}
# eventually WHAT WANT CMD...: CMD prints WANT within 10 s (a change made
# on the main thread reaches the workers by mail, a moment later)
eventually() {
	local what=$1 want=$2; shift 2
	wait_until 30 prints "$want" "$@"
	t_eq "$what" "$("$@")" "$want"
}
wait_gen() {	# until hsysd logged that many "binding(s) in force" lines
	wait_until 30 gens_in_force "$1"
}
gens_in_force() { [ "$(grep -c 'binding(s) in force' "$T/d.log")" -ge "$1" ]; }

ANY=$(newcert --dns-name any.test)
LOOP2=$(newcert --dns-name loop2.test)
A=$(newcert --dns-name a.test)
W=$(newcert --dns-name '*.w.test')
t_ok "four certificates made" test -n "$ANY" -a -n "$LOOP2" -a -n "$A" -a -n "$W"
hsys http add sslcert ipport=0.0.0.0:$P certhash=$ANY appid=$APPID >/dev/null
hsys http add sslcert ipport=127.0.0.2:$P certhash=$LOOP2 appid=$APPID >/dev/null
hsys http add sslcert hostnameport=a.test:$P certhash=$A appid=$APPID >/dev/null
hsys http add sslcert hostnameport=*.w.test:$P certhash=$W appid=$APPID \
    >/dev/null

start_hsysd --workers 2 --verbose
t_grep "hsysd loads the four bindings" '4 certificate binding' "$T/d.log"
python3 "$PYTHONPATH/echoapp.py" --ready "$T/app.ready" "https://+:$P/" \
    >"$T/app.out" 2>&1 &
t_ok "an application registers https://+:$P/" \
    wait_until 30 test -e "$T/app.ready"

t_eq "SNI a.test gets the a.test binding" "$(peer_cn 127.0.0.1 $P a.test)" a.test
t_eq "SNI x.w.test gets the wildcard binding" "$(peer_cn 127.0.0.1 $P x.w.test)" '*.w.test'
t_eq "the wildcard takes one label only" "$(peer_cn 127.0.0.1 $P y.x.w.test)" any.test
t_eq "an unknown name falls back to the address binding" \
    "$(peer_cn 127.0.0.1 $P other.test)" any.test
t_eq "no SNI: the 0.0.0.0 binding" "$(peer_cn 127.0.0.1 $P)" any.test
t_eq "127.0.0.2 has its own binding, before 0.0.0.0" \
    "$(peer_cn 127.0.0.2 $P)" loop2.test
t_eq "the SNI binding still wins over the address binding" \
    "$(peer_cn 127.0.0.2 $P a.test)" a.test
t_eq "::1 with no [::] binding: 0.0.0.0 covers IPv6 too, as in HTTP.sys" \
    "$(peer_cn ::1 $P)" any.test
t_eq "and curl -6 is served through it" \
    "$(curl -sk -6 -o /dev/null -w '%{http_code}' "https://[::1]:$P/")" 200
V6=$(newcert --dns-name v6.test)
hsys http add sslcert "ipport=[::]:$P" certhash=$V6 appid=$APPID >/dev/null
eventually "[::] added: it wins over 0.0.0.0 for IPv6 clients" v6.test \
    peer_cn ::1 $P
t_eq "while IPv4 clients keep 0.0.0.0" "$(peer_cn 127.0.0.1 $P)" any.test
hsys http delete sslcert "ipport=[::]:$P" >/dev/null
eventually "[::] deleted: ::1 falls back to 0.0.0.0" any.test peer_cn ::1 $P
hsys http add sslcert hostnameport=only.test:$P2 certhash=$A appid=$APPID \
    >/dev/null
eventually "a port with only a name binding serves that name" a.test \
    peer_cn 127.0.0.1 $P2 only.test
t_eq "and refuses a handshake without SNI" "$(peer_cn 127.0.0.1 $P2)" ""
t_grep "which is logged as TLS_NoBinding" "TLS_NoBinding: no certificate bound for port $P2" \
    "$T/d.log"
hsys http delete sslcert hostnameport=only.test:$P2 >/dev/null

out=$(curl -sk --resolve a.test:$P:127.0.0.1 "https://a.test:$P/x?y=1")
t_eq "a request over TLS reaches the app" \
    "$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["path"])')" /x
t_eq "the app is told it came over TLS" \
    "$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["flags"] & 0x20)')" 32
t_eq "curl verifies the chain with the cert as CA" \
    "$(code=$(curl -s -o /dev/null -w '%{http_code}' --cacert <(
        sqlite3 "$HSYS_HOME/hsys.db" "select hex(der) from cert where thumbprint='$A' and store='My'" |
        xxd -r -p | openssl x509 -inform DER) --resolve a.test:$P:127.0.0.1 \
        "https://a.test:$P/"); echo $code)" 200

python3 - "$P" >"$T/py.out" 2>&1 <<'PY'
import socket, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.maximum_version = ssl.TLSVersion.TLSv1_1
ctx.minimum_version = ssl.TLSVersion.TLSv1
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as s:
        ctx.wrap_socket(s, server_hostname="a.test")
    print("handshake ok")
except (ssl.SSLError, OSError) as e:
    print("refused", type(e).__name__)
PY
t_grep "a TLS 1.1 client is refused" '^refused' "$T/py.out"

# ALPN: a client offering only protocols hsysd does not speak, or none,
# is served HTTP/1.1 (no fatal alert); one offering http/1.1 gets it.
alpn_get() { printf 'GET /alpn HTTP/1.1\r\nHost: a.test\r\nConnection: close\r\n\r\n' |
    timeout 5 openssl s_client -quiet -connect 127.0.0.1:$P -servername a.test \
    "$@" 2>/dev/null | head -1 | tr -d '\r'; }
t_eq "ALPN spdy/3 only: served HTTP/1.1" "$(alpn_get -alpn spdy/3)" "HTTP/1.1 200 OK"
t_eq "no ALPN: served HTTP/1.1" "$(alpn_get)" "HTTP/1.1 200 OK"
alpn_sel() { echo | timeout 5 openssl s_client -connect 127.0.0.1:$P \
    -servername a.test -alpn "$1" 2>/dev/null |
    sed -n 's/^ALPN protocol: //p'; }
t_eq "ALPN http/1.1 is selected" "$(alpn_sel http/1.1)" http/1.1
t_eq "h2 and http/1.1 offered: h2" "$(alpn_sel h2,http/1.1)" h2

# Options per binding, changed live: disabletls13 on a.test.
hsys http update sslcert hostnameport=a.test:$P disabletls13=enable >/dev/null
t_ok "hsysd applies the change" wait_gen 2
proto() { echo | timeout 5 openssl s_client -connect 127.0.0.1:$P \
    -servername "$1" 2>/dev/null | sed -n 's/^New, \(TLSv1\.[0-9]\),.*/\1/p'; }
eventually "a.test now negotiates TLS 1.2" TLSv1.2 proto a.test
t_eq "x.w.test still negotiates TLS 1.3" "$(proto x.w.test)" TLSv1.3

# A binding added live, and a certificate replaced under a long download.
B=$(newcert --dns-name b.test)
hsys http add sslcert hostnameport=b.test:$P certhash=$B appid=$APPID >/dev/null
t_ok "a new binding reaches hsysd" wait_gen 3
eventually "b.test is served without a restart" b.test peer_cn 127.0.0.1 $P b.test
curl -sk --limit-rate 2M --resolve b.test:$P:127.0.0.1 \
    "https://b.test:$P/big?n=8000000" -o "$T/long" &
cpid=$!
sleep 1
B2=$(newcert --dns-name b.test --days 30)
hsys http update sslcert hostnameport=b.test:$P certhash=$B2 >/dev/null
t_ok "the replacement reaches hsysd" wait_gen 4
fp() { echo | timeout 5 openssl s_client -connect 127.0.0.1:$P -servername b.test \
    2>/dev/null | openssl x509 -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }
eventually "new handshakes see the new certificate" "$B2" fp
wait $cpid
t_eq "the download begun before it completes" "$(wc -c <"$T/long")" 8000000
hsys http delete sslcert hostnameport=b.test:$P >/dev/null
t_ok "a deleted binding reaches hsysd" wait_gen 5
eventually "b.test falls back to the address binding" any.test \
    peer_cn 127.0.0.1 $P b.test

kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
