# hsys http add|delete|show iplisten and timeout.
. "$(dirname "$0")/lib.sh"

t_ok "show an empty list" $HSYS http show iplisten
t_eq "empty list text" "$(cat "$T/out")" "
IP addresses present in the IP listen list:
-------------------------------------------"
t_ok "add IPv4" $HSYS http add iplisten ipaddress=192.0.2.1
t_eq "success line" "$(cat "$T/out")" "IP address successfully added"
t_ok "add IPv6, canonical" $HSYS http add iplisten IPAddress=2001:DB8:0::1
t_ok "add IPv6 in brackets" $HSYS http add iplisten ipaddress=[::]
t_fail "duplicate is 183" 1 $HSYS http add iplisten ipaddress=2001:db8::1
t_grep "183 line" '^IP address add failed, Error: 183$' "$T/err"
t_fail "not an address" 2 $HSYS http add iplisten ipaddress=host.test
t_grep "87 line" '^IP address add failed, Error: 87$' "$T/err"
t_fail "missing key" 2 $HSYS http add iplisten
t_grep "names it" "'ipaddress' is missing" "$T/err"
t_ok "show" $HSYS http show iplisten
t_eq "show text" "$(cat "$T/out")" "
IP addresses present in the IP listen list:
-------------------------------------------

    192.0.2.1
    2001:db8::1
    ::"
t_ok "show --json" $HSYS http show iplisten --json
t_eq "json" "$(cat "$T/out")" '["192.0.2.1", "2001:db8::1", "::"]'
t_ok "delete" $HSYS http delete iplisten ipaddress=192.0.2.1
t_eq "delete line" "$(cat "$T/out")" "IP address successfully deleted"
t_fail "delete missing is 2" 1 $HSYS http delete iplisten ipaddress=192.0.2.1
t_grep "2 line" '^IP address delete failed, Error: 2$' "$T/err"

t_ok "default timeouts" $HSYS http show timeout
t_eq "timeout text" "$(cat "$T/out")" "
Timeout Settings:
-----------------

    Idle Connection Timeout (sec)   : 120
    Header Wait Timeout (sec)       : 120
    Entity Body Timeout (sec)       : 120"
t_ok "set idle" $HSYS http add timeout timeouttype=IdleConnectionTimeout \
    value=30
t_eq "set line" "$(cat "$T/out")" "Timeout successfully set"
t_ok "set again replaces" $HSYS http add timeout \
    timeouttype=idleconnectiontimeout value=45
t_ok "set headerwait" $HSYS http add timeout timeouttype=headerwaittimeout \
    value=10
t_ok "show --json" $HSYS http show timeout --json
t_eq "json" "$(cat "$T/out")" \
    '{"idleconnectiontimeout": 45, "headerwaittimeout": 10, "entitybodytimeout": 120}'
t_fail "bad type" 2 $HSYS http add timeout timeouttype=minsendrate value=1
t_grep "87 line" '^Timeout set failed, Error: 87$' "$T/err"
t_grep "names the types" 'idleconnectiontimeout, headerwaittimeout or entitybodytimeout' "$T/err"
t_grep "and says where minsendrate is" 'name=MinSendRate' "$T/err"
t_fail "zero" 2 $HSYS http add timeout timeouttype=headerwaittimeout value=0
t_fail "too big" 2 $HSYS http add timeout timeouttype=headerwaittimeout \
    value=65536
t_fail "missing value" 2 $HSYS http add timeout timeouttype=headerwaittimeout
t_grep "names value" "'value' is missing" "$T/err"
t_ok "delete goes back to the default" $HSYS http delete timeout \
    timeouttype=idleconnectiontimeout
t_eq "delete line" "$(cat "$T/out")" "Timeout successfully deleted"
$HSYS http show timeout >"$T/show"
t_grep "idle is 120 again" 'Idle Connection Timeout \(sec\)   : 120' "$T/show"
t_grep "headerwait kept" 'Header Wait Timeout \(sec\)       : 10' "$T/show"

# A change pokes a running daemon with CONFIG_CHANGED and the generation.
t_ok "no daemon: silent" $HSYS http add iplisten ipaddress=198.51.100.1
t_eq "nothing on stderr" "$(cat "$T/err")" ""
python3 - "$HSYS_HOME/hsysd.sock" "$T/frame" <<'PY' &
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
s.settimeout(30)
c, _ = s.accept()
data = b""
while True:
    b = c.recv(64)
    if not b:
        break
    data += b
n, t, f, i = struct.unpack("<IHHQ", data[:16])
open(sys.argv[2], "w").write("%d len=%d type=0x%04x flags=%d id=%d\n" %
    (len(data), n, t, f, i))
PY
listener=$!
wait_until 30 test -S "$HSYS_HOME/hsysd.sock"
t_ok "a change with a daemon listening" $HSYS http delete iplisten \
    ipaddress=198.51.100.1
wait $listener
gen=$(sqlite3 "$HSYS_HOME/hsys.db" "SELECT value FROM meta WHERE key = 'generation'")
t_eq "one CONFIG_CHANGED frame with the new generation" "$(cat "$T/frame")" \
    "16 len=0 type=0x0f01 flags=0 id=$gen"
rm -f "$HSYS_HOME/hsysd.sock"

t_ok "http --help" $HSYS http --help
t_grep "help lists iplisten" 'add iplisten' "$T/out"
t_fail "unknown verb" 2 $HSYS http frob sslcert
t_fail "unknown noun" 2 $HSYS http add frob
t_fail "no noun" 2 $HSYS http add
t_ok "verb --help" $HSYS http add --help
t_ok "noun --help" $HSYS http add timeout --help
t_grep "noun help" 'headerwaittimeout' "$T/out"
t_ok "export --help" $HSYS http export --help
t_grep "says what export prints" "as 'http add' lines" "$T/out"
t_fail "export with a parameter is still refused" 2 $HSYS http export x=1

# A misspelt key: the closest one is suggested, the valid ones listed.
t_fail "certhsh=" 2 $HSYS http add sslcert ipport=0.0.0.0:443 certhsh=00 \
    appid=x
t_grep "suggests certhash" "unknown parameter 'certhsh'; did you mean 'certhash'\\?" \
    "$T/err"
t_grep "and lists the keys" 'The parameters here are ipport, hostnameport, certhash, appid' \
    "$T/err"
t_fail "usr=" 2 $HSYS http add urlacl url=http://+:80/ usr=root
t_grep "suggests user" "did you mean 'user'" "$T/err"
t_fail "a key like no other" 2 $HSYS http add urlacl url=http://+:80/ \
    zzzzzzzz=1
t_nogrep "suggests nothing" 'did you mean' "$T/err"
t_grep "lists the keys" 'the parameters here are url, user, listen, delegate, sddl' \
    "$T/err"
t_done
