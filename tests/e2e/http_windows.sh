# The lines Windows guides give netsh, given to hsys: ipport=:443 (an
# empty address means every address), user=Everyone and the SDDL strings
# that grant every user, and the clear errors for other Windows accounts,
# naming the Unix user to use instead. A reservation for Everyone lets an
# unprivileged uid register with a running hsysd.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/certs.sh"

APPID='{00112233-4455-6677-8899-aabbccddeeff}'
good=$(certs_add www.example.test)

# The seed's line: "http add sslcert ipport=:443 certhash=... appid=...".
t_ok "ipport=:443 is accepted" $HSYS http add sslcert ipport=:443 \
    certhash="$good" appid="$APPID"
t_ok "show sslcert" $HSYS http show sslcert ipport=0.0.0.0:443
t_grep "and it is every address, as netsh shows it" \
    'IP:port +: 0\.0\.0\.0:443$' "$T/out"
t_fail "a second ipport=:443 is the same binding (183)" 1 \
    $HSYS http add sslcert ipport=:443 certhash="$good" appid="$APPID"
t_ok "delete ipport=:443" $HSYS http delete sslcert ipport=:443
t_fail "ipport=: (no port)" 2 $HSYS http add sslcert ipport=: \
    certhash="$good" appid="$APPID"
t_grep "the error speaks of addresses, not URL hosts" \
    'ipport=:: give an IP address and a port, e.g. 0.0.0.0:443, \[::\]:443 or :443' \
    "$T/err"
t_nogrep "and not of URL prefixes" 'http://' "$T/err"
t_fail "a host name in ipport=" 2 $HSYS http add sslcert \
    ipport=www.example.test:443 certhash="$good" appid="$APPID"
t_grep "says to use hostnameport=" 'for a host name use hostnameport=' "$T/err"

# HTTP.sys listens on every address for a binding of one address while
# the iplisten list is empty: kept, and said where it surprises.
t_ok "ipport=127.0.0.1:8443" $HSYS http add sslcert ipport=127.0.0.1:8443 \
    certhash="$good" appid="$APPID"
t_grep "notes that the port opens on every address, naming iplisten" \
    "note: hsysd opens port 8443 on every address, not only 127.0.0.1.*'hsys http add iplisten ipaddress=127.0.0.1'" \
    "$T/err"
t_ok "hostnameport=" $HSYS http add sslcert hostnameport=n.test:8444 \
    certhash="$good" appid="$APPID"
t_grep "the same for a name" "note: hsysd opens port 8444 on every address" "$T/err"
t_ok "a metrics page on 127.0.0.1" $HSYS http add metrics \
    url=http://127.0.0.1:9100/metrics/
t_grep "the same for the metrics page" "note: hsysd opens port 9100 on every address, not only 127.0.0.1" \
    "$T/err"
t_ok "ipport=0.0.0.0:8445" $HSYS http add sslcert ipport=0.0.0.0:8445 \
    certhash="$good" appid="$APPID"
t_nogrep "no note for every address" 'note:' "$T/err"
$HSYS http add iplisten ipaddress=127.0.0.1 >/dev/null
t_ok "with an iplisten list" $HSYS http add sslcert ipport=127.0.0.1:8446 \
    certhash="$good" appid="$APPID"
t_nogrep "no note" 'note:' "$T/err"
$HSYS http delete iplisten ipaddress=127.0.0.1 >/dev/null
for e in 127.0.0.1:8443 0.0.0.0:8445 127.0.0.1:8446; do
	$HSYS http delete sslcert ipport=$e >/dev/null
done
$HSYS http delete sslcert hostnameport=n.test:8444 >/dev/null
$HSYS http delete metrics >/dev/null

# user=Everyone and SDDL.
t_ok "user=Everyone" $HSYS http add urlacl url=http://+:80/all/ user=Everyone
t_ok "user=everyone, any case" $HSYS http add urlacl url=http://+:80/all2/ \
    user=everyone
t_ok "sddl=D:(A;;GX;;;WD), Everyone listen" $HSYS http add urlacl \
    "url=http://+:80/wd/" "sddl=D:(A;;GX;;;WD)"
t_ok "sddl granting GA to the built-in users" $HSYS http add urlacl \
    "url=http://+:80/bu/" "sddl=D:(A;;GA;;;BU)"
t_ok "sddl granting GX to the authenticated users" $HSYS http add urlacl \
    "url=http://+:80/au/" "sddl=D:(A;;GX;;;AU)"
t_ok "sddl naming a Unix user as show urlacl prints it" $HSYS http add \
    urlacl "url=http://+:80/uid/" "sddl=D:(A;;GX;;;S-1-22-1-65534)"
t_ok "show urlacl" $HSYS http show urlacl url=http://+:80/wd/
t_grep "Everyone is shown" '^        User: Everyone$' "$T/out"
t_grep "with the SDDL netsh would show" 'SDDL: D:\(A;;GX;;;WD\)$' "$T/out"
t_ok "show urlacl for BU" $HSYS http show urlacl url=http://+:80/bu/
t_grep "GA: listen and delegate" 'Delegate: Yes' "$T/out"
t_ok "show --json" $HSYS http show urlacl --json
cp "$T/out" "$T/json"
t_ok "json says everyone" /usr/bin/python3 -c "
import json
d = {r['url']: r for r in json.load(open('$T/json'))}
assert d['http://+:80/all/']['everyone'] is True, d
assert 'uid' not in d['http://+:80/all/'], d
assert d['http://+:80/uid/']['uid'] == 65534, d
"
t_ok "export" $HSYS http export
t_grep "exports user=Everyone" 'url=http://\+:80/all/ user=Everyone listen=yes' \
    "$T/out"

# Other Windows accounts: a clear error naming the Unix user.
t_fail "user=NT AUTHORITY\\NETWORK SERVICE" 2 $HSYS http add urlacl \
    url=http://+:80/ns/ "user=NT AUTHORITY\\NETWORK SERVICE"
t_grep "names www-data" 'a Windows account; on Linux use user=www-data' "$T/err"
t_fail "user=BUILTIN\\Users" 2 $HSYS http add urlacl url=http://+:80/u/ \
    "user=BUILTIN\\Users"
t_grep "names Everyone" 'on Linux use user=Everyone' "$T/err"
t_fail "user=DOMAIN\\root" 2 $HSYS http add urlacl url=http://+:80/d/ \
    "user=DOMAIN\\root"
t_grep "names the local user of that name" 'the local user of that name is user=root' \
    "$T/err"
t_fail "sddl for NETWORK SERVICE's SID" 2 $HSYS http add urlacl \
    url=http://+:80/ns/ "sddl=D:(A;;GX;;;S-1-5-20)"
t_grep "names www-data" 'NETWORK SERVICE: user=www-data' "$T/err"
t_fail "an SDDL hsys cannot read" 2 $HSYS http add urlacl \
    url=http://+:80/x/ "sddl=O:BAG:BAD:(A;;GX;;;WD)(A;;GA;;;BA)"
t_grep "says what it understands" 'one allow entry granting GX, GW or GA' \
    "$T/err"
t_fail "sddl= and user= together" 2 $HSYS http add urlacl \
    url=http://+:80/x/ user=root "sddl=D:(A;;GX;;;WD)"
t_fail "neither" 2 $HSYS http add urlacl url=http://+:80/x/
t_grep "names both" "'user' \\(or 'sddl'\\) is missing" "$T/err"

# With hsysd: Everyone lets an unprivileged uid register, and only under
# that reservation.
P=$((20000 + RANDOM % 12000))
t_ok "reserve http://+:$P/open/ for Everyone" $HSYS http add urlacl \
    "url=http://+:$P/open/" user=Everyone
t_ok "and http://+:$P/root/ for root" $HSYS http add urlacl \
    "url=http://+:$P/root/" user=root
start_hsysd --workers 1
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null
r=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups \
    env HSYS_HOME="$HSYS_HOME" PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib" /usr/bin/python3 -c "
import struct
from hsys.raw import *
s = Session('everyone')
q = struct.unpack('<I', s.queue_create()[1])[0]
print(s.prefix_add(q, 'http://+:$P/open/app/')[0])
print(s.prefix_add(q, 'http://+:$P/root/app/')[0])" 2>&1)
t_eq "nobody registers under the Everyone reservation" \
    "$(echo "$r" | sed -n 1p)" ok
t_eq "but not under root's" "$(echo "$r" | sed -n 2p)" error
kill $dpid; wait $dpid
t_done
