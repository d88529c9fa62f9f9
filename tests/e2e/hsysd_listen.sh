# Where hsysd listens: on the port of every SSL binding (ipport= within the
# iplisten list, hostnameport=) even with nothing registered, and on every
# port a registered prefix names; opened and closed live as bindings and
# registrations come and go. A port serves one scheme: http:// on a port a
# binding names is refused; a binding added under http registrations waits
# until they go.
. "$(dirname "$0")/lib.sh"

# Below the ephemeral range (32768-), where a client socket of any test
# on the machine could hold the port.
P=$((20000 + RANDOM % 12000)) P2=$((P + 1)) P3=$((P + 2)) P4=$((P + 3))
P5=$((P + 4))
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib"
APPID='{00112233-4455-6677-8899-aabbccddeeff}'

newcert() { hsys cert new-selfsigned "$@" | grep -oE '^[0-9A-F]{40}'; }
code_max=5 code_opts=(-k)
eventually() {	# eventually WHAT WANT CMD...: CMD prints WANT within 10 s
	local what=$1 want=$2; shift 2
	wait_until 30 prints "$want" "$@"
	t_eq "$what" "$("$@")" "$want"
}
# A TLS handshake's outcome: the certificate's CN, or nothing
peer_cn() {
	echo | timeout 5 openssl s_client -connect "$1:$2" ${3:+-servername $3} \
	    2>/dev/null | sed -n 's/^subject=.*CN = //p'
}

ANY=$(newcert --dns-name any.test)
H=$(newcert --dns-name h.test)
L2=$(newcert --dns-name loop2.test)
t_ok "three certificates made" test -n "$ANY" -a -n "$H" -a -n "$L2"
hsys http add sslcert ipport=0.0.0.0:$P certhash=$ANY appid=$APPID >/dev/null

start_hsysd --workers 2 --verbose
t_grep "hsysd listens on the binding's port at start" \
    "listening on port $P \(https\)" "$T/d.log"
t_eq "with nothing registered: 400" "$(code "https://127.0.0.1:$P/x/")" 400
curl -sk --max-time 5 "https://127.0.0.1:$P/x/" >"$T/body"
t_grep "and the page says Invalid Hostname" 'Invalid Hostname' "$T/body"
t_eq "the handshake used the binding" "$(peer_cn 127.0.0.1 $P)" any.test

# A scheme per port.
start_app h1 "http://+:$P/x/"
t_grep "http:// on a port with an ipport binding: EPROTO" '^refused 71 ' \
    "$T/h1.out"
t_grep "and the refusal names the binding" "ipport=0.0.0.0:$P" "$T/h1.out"
t_ok "https:// on it registers" start_app s1 --grace 0 "https://+:$P/x/"
t_eq "and serves" "$(code "https://127.0.0.1:$P/x/a")" 200
kill $s1_pid; wait $s1_pid 2>/dev/null
sleep 0.5
t_eq "its application gone, the binding keeps the port: 400 again" \
    "$(code "https://127.0.0.1:$P/x/a")" 400

# A port another program of the same user listens on with SO_REUSEPORT:
# refused, not silently shared (the kernel would spread connections over
# both).
P6=$((P + 5))
python3 -c "import socket,time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind(('0.0.0.0', $P6)); s.listen(); time.sleep(10)" &
rp=$!
sleep 0.3
start_app rp "https://+:$P6/x/"
t_grep "a port shared by SO_REUSEPORT elsewhere: EADDRINUSE" '^refused 98 ' \
    "$T/rp.out"
hsys http add sslcert ipport=0.0.0.0:$P6 certhash=$ANY appid=$APPID >/dev/null
wait_until 30 grep -q "ipport=0.0.0.0:$P6: cannot listen" "$T/d.log"
t_grep "a binding there: logged, not shared" \
    "ipport=0.0.0.0:$P6: cannot listen on 0.0.0.0:$P6: Address already in use" \
    "$T/d.log"
kill $rp; wait $rp 2>/dev/null
# (hsysd retries every 5 s; 20 s allowed)
wait_until 60 prints any.test peer_cn 127.0.0.1 $P6
t_eq "the port free, hsysd opens it without a configuration change" \
    "$(peer_cn 127.0.0.1 $P6)" any.test
t_eq "having said so once" \
    "$(grep -c "ipport=0.0.0.0:$P6: cannot listen" "$T/d.log")" 1

# A port closed and at once opened again: the workers may still hold the
# old sockets, which must not count as someone else's. The operations go
# in one write, so hsysd handles them in one go, before the workers run.
P7=$((P + 6))
timeout 30 python3 - "$P7" >"$T/flap.out" 2>&1 <<'PY'
import struct, sys
from hsys.raw import *
s = Session("flap")
s.open_channels()
qid = struct.unpack("<I", s.queue_create()[1])[0]
body = with_strings(struct.pack("<I4x", qid), "http://+:%s/f/" % sys.argv[1])
ops = b""
for i in range(30):
    ops += frame(PREFIX_ADD, 100 + 2 * i, body)
    ops += frame(PREFIX_REMOVE, 101 + 2 * i, body)
s.ctl.send(ops)
ok = 0
for i in range(60):
    ftype, _, fid, p = s.ctl.recv_frame()
    if ftype != OK:
        print("op", fid, error_of(p))
        break
    ok += 1
print("ok", ok)
PY
t_grep "30 add/remove pairs in one write: each add opens the port" \
    '^ok 60$' "$T/flap.out"

# hostnameport bindings, added and deleted live.
t_eq "nothing listens on $P2 yet" "$(code "https://127.0.0.1:$P2/")" 000
hsys http add sslcert hostnameport=h.test:$P2 certhash=$H appid=$APPID \
    >/dev/null
eventually "a hostnameport binding added live opens its port" 400 \
    code "https://h.test:$P2/" --resolve h.test:$P2:127.0.0.1
t_eq "its certificate for its name" "$(peer_cn 127.0.0.1 $P2 h.test)" h.test
start_app h2 "http://+:$P2/y/"
t_grep "http:// on a port with a hostnameport binding: EPROTO" \
    "^refused 71 .*hostnameport=h.test:$P2" "$T/h2.out"
hsys http delete sslcert hostnameport=h.test:$P2 >/dev/null
eventually "the binding deleted, the port closes" 000 \
    code "https://h.test:$P2/" --resolve h.test:$P2:127.0.0.1
t_ok "then http:// registers on it" start_app h2b "http://+:$P2/y/"
t_eq "and serves cleartext" "$(code "http://127.0.0.1:$P2/y/")" 200

# An address-specific ipport binding, with the iplisten list empty: the
# port is listened on every address; other addresses have no binding.
hsys http add sslcert ipport=127.0.0.2:$P3 certhash=$L2 appid=$APPID \
    >/dev/null
eventually "ipport=127.0.0.2 opens its port" loop2.test peer_cn 127.0.0.2 $P3
t_eq "127.0.0.1 on that port: no binding, the handshake is refused" \
    "$(peer_cn 127.0.0.1 $P3)" ""

# A binding added on a port that serves http registrations: the port stays
# http while they last (hsysd says so), then serves https.
t_ok "an http application on $P5" start_app c5 "http://+:$P5/c/"
hsys http add sslcert ipport=0.0.0.0:$P5 certhash=$ANY appid=$APPID >/dev/null
wait_until 30 grep -q "port $P5, which serves http" "$T/d.log"
t_grep "hsysd logs that the binding waits" \
    "ipport=0.0.0.0:$P5 names port $P5, which serves http" "$T/d.log"
t_eq "the port still serves cleartext" "$(code "http://127.0.0.1:$P5/c/")" 200
kill $c5_pid; wait $c5_pid 2>/dev/null
eventually "its application gone, the port serves https" 400 \
    code "https://127.0.0.1:$P5/c/"

# The iplisten list: open ports move to its addresses; a binding on an
# address not in it opens nothing.
t_eq "before an iplisten list, the bound port answers on 127.0.0.2" \
    "$(code "https://127.0.0.2:$P/x/")" 400
t_eq "and the registered http port too" "$(code "http://127.0.0.2:$P2/y/")" 200
hsys http add iplisten ipaddress=127.0.0.1 >/dev/null
eventually "iplisten 127.0.0.1: the bound port leaves 127.0.0.2" 000 \
    code "https://127.0.0.2:$P/x/"
t_eq "and stays on 127.0.0.1" "$(code "https://127.0.0.1:$P/x/")" 400
t_eq "the registered http port leaves 127.0.0.2" \
    "$(code "http://127.0.0.2:$P2/y/")" 000
t_eq "and serves on 127.0.0.1" "$(code "http://127.0.0.1:$P2/y/")" 200
hsys http add sslcert ipport=127.0.0.2:$P4 certhash=$L2 appid=$APPID \
    >/dev/null
wait_until 30 grep -q "ipport=127.0.0.2:$P4: its address" "$T/d.log"
t_grep "a binding outside the iplisten list is logged" \
    "ipport=127.0.0.2:$P4: its address is not in the iplisten list" "$T/d.log"
t_eq "and nothing listens for it" "$(code "https://127.0.0.2:$P4/")" 000
hsys http add iplisten ipaddress=127.0.0.2 >/dev/null
eventually "once the address is listed, the port opens" loop2.test \
    peer_cn 127.0.0.2 $P4
t_eq "on the listed addresses only (::1 is not)" \
    "$(code "https://[::1]:$P4/")" 000
t_eq "127.0.0.2 listed, the other ports come back to it" \
    "$(code "http://127.0.0.2:$P2/y/")" 200
P8=$((P + 7))
hsys http add sslcert "ipport=[::]:$P8" certhash=$ANY appid=$APPID >/dev/null
wait_until 30 grep -q "ipport=\[::\]:$P8: its address" "$T/d.log"
t_grep "[::] with only IPv4 addresses listed: logged, not listened" \
    "ipport=\[::\]:$P8: its address is not in the iplisten list" "$T/d.log"
hsys http add iplisten ipaddress=::1 >/dev/null
eventually "::1 listed, [::] opens its port there" 400 \
    code "https://[::1]:$P8/"

kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
