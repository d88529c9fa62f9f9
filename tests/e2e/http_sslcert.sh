# hsys http add|update|delete|show sslcert: netsh's output, its error
# numbers, and the explanation after each.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/certs.sh"

APPID='{00112233-4455-6677-8899-aabbccddeeff}'
good=$(certs_add www.example.test)
nokey=$(certs_add nokey.test My nokey)
old=$(certs_add old.test My expired)
client=$(certs_add client.test My clientauth)
rootc=$(certs_add root.test Root)
lower=$(echo "$good" | tr A-F a-f)

t_ok "add ipport binding" $HSYS http add sslcert ipport=0.0.0.0:443 \
    certhash="$lower" appid="$APPID"
t_eq "success line" "$(cat "$T/out")" "SSL Certificate successfully added"
t_ok "add [::]:443, a binding of its own; keys in any case" \
    $HSYS http add sslcert IPPORT=[::]:443 CertHash="$good" \
    AppId=00112233-4455-6677-8899-AABBCCDDEEFF disablehttp2=enable \
    clientcertnegotiation=enable
t_ok "add SNI wildcard binding" $HSYS http add sslcert \
    hostnameport=*.Example.test:443 certhash="$good" appid="$APPID" \
    certstorename=my enablesessionticket=enable

cat >"$T/want" <<EOT

SSL Certificate bindings:
-------------------------

    IP:port                      : 0.0.0.0:443
    Certificate Hash             : $lower
    Application ID               : $APPID
    Certificate Store Name       : MY
    Verify Client Certificate Revocation : Enabled
    Verify Revocation Using Cached Client Certificate Only : Disabled
    Usage Check                  : Enabled
    Revocation Freshness Time    : 0
    URL Retrieval Timeout        : 0
    Ctl Identifier               : (null)
    Ctl Store Name               : (null)
    DS Mapper Usage              : Disabled
    Negotiate Client Certificate : Disabled
    Reject Connections           : Disabled
    Disable HTTP2                : Not Set
    Disable QUIC                 : Not Set
    Disable TLS1.2               : Not Set
    Disable TLS1.3               : Not Set
    Disable OCSP Stapling        : Not Set
    Enable Token Binding         : Not Set
    Log Extended Events          : Not Set
    Disable Legacy TLS Versions  : Not Set
    Enable Session Ticket        : Not Set

    IP:port                      : [::]:443
    Certificate Hash             : $lower
    Application ID               : $APPID
    Certificate Store Name       : MY
    Verify Client Certificate Revocation : Enabled
    Verify Revocation Using Cached Client Certificate Only : Disabled
    Usage Check                  : Enabled
    Revocation Freshness Time    : 0
    URL Retrieval Timeout        : 0
    Ctl Identifier               : (null)
    Ctl Store Name               : (null)
    DS Mapper Usage              : Disabled
    Negotiate Client Certificate : Enabled
    Reject Connections           : Disabled
    Disable HTTP2                : Set
    Disable QUIC                 : Not Set
    Disable TLS1.2               : Not Set
    Disable TLS1.3               : Not Set
    Disable OCSP Stapling        : Not Set
    Enable Token Binding         : Not Set
    Log Extended Events          : Not Set
    Disable Legacy TLS Versions  : Not Set
    Enable Session Ticket        : Not Set

    Hostname:port                : *.example.test:443
    Certificate Hash             : $lower
    Application ID               : $APPID
    Certificate Store Name       : MY
    Verify Client Certificate Revocation : Enabled
    Verify Revocation Using Cached Client Certificate Only : Disabled
    Usage Check                  : Enabled
    Revocation Freshness Time    : 0
    URL Retrieval Timeout        : 0
    Ctl Identifier               : (null)
    Ctl Store Name               : (null)
    DS Mapper Usage              : Disabled
    Negotiate Client Certificate : Disabled
    Reject Connections           : Disabled
    Disable HTTP2                : Not Set
    Disable QUIC                 : Not Set
    Disable TLS1.2               : Not Set
    Disable TLS1.3               : Not Set
    Disable OCSP Stapling        : Not Set
    Enable Token Binding         : Not Set
    Log Extended Events          : Not Set
    Disable Legacy TLS Versions  : Not Set
    Enable Session Ticket        : Set

EOT
t_ok "show sslcert" $HSYS http show sslcert
t_eq "show sslcert text is netsh's" "$(cat "$T/out")" "$(cat "$T/want")"
t_ok "show one binding" $HSYS http show sslcert ipport=[0:0::0]:443
t_grep "shows [::]:443" '^    IP:port +: \[::\]:443$' "$T/out"
t_eq "only that one" "$(grep -c 'IP:port' "$T/out")" 1
t_ok "show --json" $HSYS http show sslcert --json
t_grep "json lists three" '"hostnameport": "\*\.example\.test:443"' "$T/out"
t_eq "json is one array" "$(head -c1 "$T/out")$(tail -c2 "$T/out")" "[]"
cp "$T/out" "$T/json"
if command -v python3 >/dev/null; then
	t_ok "json parses" python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))) == 3' "$T/json"
fi

# Errors: netsh's line, then what to do.
t_fail "duplicate is 183" 1 $HSYS http add sslcert ipport=0.0.0.0:443 \
    certhash="$good" appid="$APPID"
t_grep "183 line" '^SSL Certificate add failed, Error: 183$' "$T/err"
t_grep "183 explained" 'already bound.*update sslcert' "$T/err"
t_fail "no private key is 1312" 1 $HSYS http add sslcert \
    ipport=0.0.0.0:8443 certhash="$nokey" appid="$APPID"
t_grep "1312 line" '^SSL Certificate add failed, Error: 1312$' "$T/err"
t_grep "1312 explained" 'has no private key.*\.pfx' "$T/err"
t_fail "not in the store is 1312" 1 $HSYS http add sslcert \
    ipport=0.0.0.0:8443 certhash=0011223344556677889900112233445566778899 \
    appid="$APPID"
t_grep "not found 1312 line" 'Error: 1312$' "$T/err"
t_grep "not found explained" 'no certificate with thumbprint 0011.*LocalMachine\\My' "$T/err"
t_fail "in another store than named" 1 $HSYS http add sslcert \
    ipport=0.0.0.0:8443 certhash="$rootc" appid="$APPID"
t_ok "named store finds it" $HSYS http add sslcert ipport=0.0.0.0:8443 \
    certhash="$rootc" appid="$APPID" certstorename=ROOT
t_ok "expired: a warning, not a refusal" $HSYS http add sslcert \
    ipport=127.0.0.1:443 certhash="$old" appid="$APPID"
t_grep "expired warning" 'warning: the certificate .* expired on' "$T/err"
t_ok "clientAuth only: a warning" $HSYS http add sslcert \
    ipport=127.0.0.2:443 certhash="$client" appid="$APPID"
t_grep "EKU warning" 'warning: .*lacks serverAuth' "$T/err"
t_fail "unknown key is 87, usage" 2 $HSYS http add sslcert \
    ipport=0.0.0.0:9443 certhash="$good" appid="$APPID" http2=off
t_grep "87 line" '^SSL Certificate add failed, Error: 87$' "$T/err"
t_grep "names the key" "unknown parameter 'http2'" "$T/err"
t_fail "missing appid" 2 $HSYS http add sslcert ipport=0.0.0.0:9443 \
    certhash="$good"
t_grep "names appid" "'appid' is missing" "$T/err"
t_fail "missing endpoint" 2 $HSYS http add sslcert certhash="$good" \
    appid="$APPID"
t_grep "names ipport" "'ipport' \(or 'hostnameport'\) is missing" "$T/err"
t_fail "bad appid" 2 $HSYS http add sslcert ipport=0.0.0.0:9443 \
    certhash="$good" appid=xyz
t_grep "says GUID" 'not a GUID' "$T/err"
t_fail "bad ipport" 2 $HSYS http add sslcert ipport=0.0.0.0 \
    certhash="$good" appid="$APPID"
t_grep "says port" 'port is missing' "$T/err"
t_fail "bad option value" 2 $HSYS http add sslcert ipport=0.0.0.0:9443 \
    certhash="$good" appid="$APPID" disablehttp2=yes
t_grep "says enable or disable" 'enable or disable' "$T/err"
t_ok "meaningless key: a warning" $HSYS http add sslcert \
    ipport=0.0.0.0:9443 certhash="$good" appid="$APPID" usagecheck=enable \
    dsmapperusage=disable
t_grep "warns usagecheck" 'warning: usagecheck= has no meaning on Linux' "$T/err"

# update changes only the given keys
t_ok "update" $HSYS http update sslcert ipport=0.0.0.0:443 disabletls13=enable
t_eq "update line" "$(cat "$T/out")" "SSL Certificate successfully updated"
$HSYS http show sslcert ipport=0.0.0.0:443 >"$T/one"
t_grep "tls13 now set" 'Disable TLS1.3               : Set' "$T/one"
t_grep "hash kept" "Certificate Hash             : $lower" "$T/one"
t_fail "update a missing binding is 2" 1 $HSYS http update sslcert \
    ipport=10.9.9.9:443 disabletls13=enable
t_grep "update 2 line" '^SSL Certificate update failed, Error: 2$' "$T/err"
t_fail "update to a keyless cert is 1312" 1 $HSYS http update sslcert \
    ipport=0.0.0.0:443 certhash="$nokey"

t_ok "delete" $HSYS http delete sslcert ipport=0.0.0.0:443
t_eq "delete line" "$(cat "$T/out")" "SSL Certificate successfully deleted"
t_fail "delete again is 2" 1 $HSYS http delete sslcert ipport=0.0.0.0:443
t_grep "deletion 2 line" '^SSL Certificate deletion failed, Error: 2$' "$T/err"
t_grep "2 explained" 'no SSL certificate binding for ipport=0.0.0.0:443' "$T/err"
t_fail "show a missing one" 1 $HSYS http show sslcert ipport=0.0.0.0:443
t_ok "help" $HSYS http show sslcert --help
t_grep "help names hostnameport" 'hostnameport' "$T/out"
t_ok "no private material in show" $HSYS http show sslcert
t_nogrep "no PEM" 'BEGIN|PRIVATE' "$T/out"
t_done
