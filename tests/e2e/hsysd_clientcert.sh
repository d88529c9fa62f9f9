# Client certificates end to end: a binding with clientcertnegotiation
# =enable asks for one (CertificateRequest) and hands what the client sent,
# DER, to the application in the REQUEST; a client without one gets served
# with none; a binding without the option never asks. Per binding, also
# when SNI switches to a hostnameport binding that asks.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/certfix.sh"

# Below the ephemeral range (32768-), where a client socket of any test
# on the machine could hold the port.
P=$((20000 + RANDOM % 12000)) P2=$((P + 1))
export PYTHONPATH="$TOP/tests/e2e/lib"
APPID='{00112233-4455-6677-8899-aabbccddeeff}'

newcert() { hsys cert new-selfsigned "$@" | grep -oE '^[0-9A-F]{40}'; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
# asks PORT [SNI]: did the server send a CertificateRequest?
asks() {
	echo | timeout 5 openssl s_client -msg -connect 127.0.0.1:$1 \
	    ${2:+-servername $2} 2>/dev/null | grep -c 'CertificateRequest'
}

SRV=$(newcert --dns-name srv.test)
CC=$(newcert --dns-name cc.test)
t_ok "server certificates made" test -n "$SRV" -a -n "$CC"
certfix_root "$T/ca" "Client Test CA"
t_ok "a client certificate issued by a test CA" \
    certfix_issue "$T/client" client.test "$T/ca" eku=clientAuth
der_sha=$(openssl x509 -in "$T/client.pem" -outform DER | sha256sum |
    cut -d' ' -f1)

hsys http add sslcert ipport=0.0.0.0:$P certhash=$SRV appid=$APPID \
    clientcertnegotiation=enable >/dev/null
hsys http add sslcert ipport=0.0.0.0:$P2 certhash=$SRV appid=$APPID \
    >/dev/null
hsys http add sslcert hostnameport=cc.test:$P2 certhash=$CC appid=$APPID \
    clientcertnegotiation=enable >/dev/null

start_hsysd --workers 2 --verbose
python3 "$PYTHONPATH/echoapp.py" --ready "$T/app.ready" "https://+:$P/" \
    "https://+:$P2/" >"$T/app.out" 2>&1 &
t_ok "an application registers both ports" \
    wait_until 30 test -e "$T/app.ready"

out=$(curl -sk --max-time 5 --cert "$T/client.pem" --key "$T/client.key" \
    "https://127.0.0.1:$P/x")
t_eq "with a certificate, the app gets its DER (sha256 of it)" \
    "$(echo "$out" | json '["client_cert_sha256"]')" "$der_sha"
t_eq "and the REQUEST's client-certificate flag" \
    "$(echo "$out" | json '["flags"] & 0x40')" 64
out=$(curl -sk --max-time 5 --tls-max 1.2 --cert "$T/client.pem" \
    --key "$T/client.key" "https://127.0.0.1:$P/x")
t_eq "over TLS 1.2 too" "$(echo "$out" | json '["client_cert_sha256"]')" \
    "$der_sha"
t_ok "(it was TLS 1.2)" grep -q 'TLSv1.2' <<<"$(echo "$out" | json '["tls"]')"
out=$(curl -sk --max-time 5 "https://127.0.0.1:$P/x")
t_eq "without one, the request is served" \
    "$(echo "$out" | json '["path"]')" /x
t_eq "and the app sees no certificate" \
    "$(echo "$out" | json '["client_cert_sha256"]')" ""
t_eq "nor the flag" "$(echo "$out" | json '["flags"] & 0x40')" 0
t_eq "the binding with the option sends a CertificateRequest" "$(asks $P)" 1

t_eq "a binding without it sends none" "$(asks $P2)" 0
out=$(curl -sk --max-time 5 --cert "$T/client.pem" --key "$T/client.key" \
    "https://127.0.0.1:$P2/x")
t_eq "so a client's certificate never reaches the app" \
    "$(echo "$out" | json '["client_cert_sha256"]')" ""
t_eq "SNI to a hostnameport binding with the option: asked" \
    "$(asks $P2 cc.test)" 1
out=$(curl -sk --max-time 5 --cert "$T/client.pem" --key "$T/client.key" \
    --resolve cc.test:$P2:127.0.0.1 "https://cc.test:$P2/x")
t_eq "and the app gets the certificate" \
    "$(echo "$out" | json '["client_cert_sha256"]')" "$der_sha"
t_eq "with the SNI name" "$(echo "$out" | json '["sni"]')" cc.test

kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
