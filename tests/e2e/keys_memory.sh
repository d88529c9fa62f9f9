# The key process (docs/keys.md): after handshakes with an ECDSA P-256 and
# an RSA-2048 binding (TLS 1.3; TLS 1.2 with ECDSA, RSA PKCS#1 v1.5 and
# RSA-PSS), the serving process's memory (/proc/PID/mem, every readable
# mapping) holds no form of either private key: their DER (PKCS#8,
# traditional) and OpenSSL's big numbers (the EC scalar, RSA's d, p, q)
# big-endian and as little-endian limbs. The key process's memory holds
# them, which shows the scan finds what is there.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))

key_bindings $P
t_ok "an ECDSA P-256 and an RSA-2048 certificate" test -n "$EC" -a -n "$RSA"
hsys cert export "$EC" --pem "$T/ec.pem" --with-key >/dev/null 2>&1
hsys cert export "$RSA" --pem "$T/rsa.pem" --with-key >/dev/null 2>&1

start_hsysd --workers 2
MPID=$(pgrep -P "$dpid" -x hsysd-keymon)
t_ok "hsysd started its key process's monitor" test -n "$MPID"
t_grep "and says so" "key process started .pid $MPID" "$T/d.log"
t_ok "which started the signer" wait_until 10 pgrep -P "$MPID" -x hsysd-keys
KPID=$(pgrep -P "$MPID" -x hsysd-keys)

# hs NAME ARGS...: a full handshake; prints the peer's signature type.
hs() {
	local sni=$1; shift
	echo | timeout 10 openssl s_client -connect 127.0.0.1:$P \
	    -servername "$sni" "$@" 2>&1 |
	    sed -n 's/^Peer signature type: //p' | head -1
}
t_eq "TLS 1.3, ECDSA" "$(hs ec.test -tls1_3)" ECDSA
t_eq "TLS 1.2, ECDSA" "$(hs ec.test -tls1_2)" ECDSA
t_eq "TLS 1.3, RSA-PSS" "$(hs rsa.test -tls1_3)" RSA-PSS
t_eq "TLS 1.2, RSA-PSS" "$(hs rsa.test -tls1_2 -sigalgs rsa_pss_rsae_sha256)" \
    RSA-PSS
t_eq "TLS 1.2, RSA PKCS#1 v1.5" "$(hs rsa.test -tls1_2 -sigalgs RSA+SHA384)" RSA
t_eq "TLS 1.3, RSA-PSS with SHA-512" \
    "$(hs rsa.test -tls1_3 -sigalgs rsa_pss_rsae_sha512)" RSA-PSS
for i in 1 2 3 4 5 6 7 8; do hs ec.test >/dev/null; hs rsa.test >/dev/null; done

SCAN="/usr/bin/python3 $TOP/tests/e2e/lib/memscan.py"
$SCAN "$dpid" "$T/ec.pem" "$T/rsa.pem" >"$T/serving.scan"
$SCAN "$KPID" "$T/ec.pem" "$T/rsa.pem" >"$T/keys.scan"
$SCAN "$MPID" "$T/ec.pem" "$T/rsa.pem" >"$T/monitor.scan"
t_grep "the serving process was scanned" '^scanned [1-9][0-9]* bytes' \
    "$T/serving.scan"
t_nogrep "no private key bytes in the serving process" '^FOUND' \
    "$T/serving.scan"
t_grep "the monitor was scanned" '^scanned [1-9][0-9]* bytes' \
    "$T/monitor.scan"
t_nogrep "no private key bytes in the monitor (it reads none)" '^FOUND' \
    "$T/monitor.scan"
for form in "ec.pem EC scalar little-endian limbs" \
    "rsa.pem RSA d little-endian limbs" "rsa.pem RSA p little-endian limbs" \
    "rsa.pem RSA q little-endian limbs"; do
	t_grep "the signer holds the $form" "FOUND $T/$form" \
	    "$T/keys.scan"
done
t_done
