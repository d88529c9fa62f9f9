# The key process (docs/keys.md) against hostile requests, and ended:
# garbage, oversized and malformed requests, a key no binding uses, the
# wrong algorithm for a key and a CHANNEL with no socket are refused with
# their status while the key process stays up and keeps signing; RENEW and
# CONTROL are refused on a worker's channel (only hsysd's control channel
# to the monitor may ask), a malformed RENEW on the control channel too;
# the signer killed, a handshake right then ends at once (an alert, or
# signed by the new signer: never a hang), the monitor says so and starts
# a new one, and handshakes work again; the
# monitor killed, hsysd (root here) says so and starts a new one. A store
# whose schema a newer hsys moved on is still read by the key process.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
keyid() {	# SHA-256 of a certificate's SubjectPublicKeyInfo, hex
	hsys cert export "$1" --pem "$T/$1.pem" >/dev/null 2>&1
	openssl x509 -in "$T/$1.pem" -pubkey -noout |
	    openssl pkey -pubin -outform DER | sha256sum | cut -c1-64
}

key_bindings $P
start_hsysd --workers 2
MPID=$(pgrep -P "$dpid" -x hsysd-keymon)
t_ok "hsysd started the key process's monitor" test -n "$MPID"
t_ok "which started the signer" wait_until 10 pgrep -P "$MPID" -x hsysd-keys
KPID=$(pgrep -P "$MPID" -x hsysd-keys)

hs() {
	echo | timeout 10 openssl s_client -connect 127.0.0.1:$P \
	    -servername "$1" 2>&1 | sed -n 's/^Peer signature type: //p' |
	    head -1
}
t_eq "an ECDSA handshake" "$(hs ec.test)" ECDSA
t_eq "an RSA handshake" "$(hs rsa.test)" RSA-PSS

timeout 60 /usr/bin/python3 "$TOP/tests/e2e/lib/keyprobe.py" "$dpid" "$MPID" \
    "$(keyid "$EC")" "$(keyid "$RSA")" >"$T/probe" 2>&1
st() { sed -n "s/^$1 //p" "$T/probe"; }
t_eq "a channel of our own (CHANNEL on hsysd's main channel)" "$(st channel)" 0
t_ok "garbage: malformed (1) or another version (2)" \
    test "$(st garbage)" = 1 -o "$(st garbage)" = 2
t_eq "two bytes: malformed" "$(st short)" 1
t_eq "5 KB: malformed" "$(st oversized)" 1
t_eq "version 2: not spoken (2)" "$(st version)" 2
t_eq "a digest length not the digest's: malformed" "$(st digest-length)" 1
t_eq "a PSS salt not the digest's length: malformed" "$(st pss-salt)" 1
t_eq "a key no binding uses: refused (3)" "$(st unknown-key)" 3
t_eq "ECDSA with an RSA key: refused (4)" "$(st wrong-alg)" 4
t_eq "RSA with an EC key: refused (4)" "$(st rsa-on-ec)" 4
t_eq "CHANNEL without a socket: refused (5)" "$(st channel-no-fd)" 5
t_eq "CHANNEL with a pipe: refused (5)" "$(st channel-pipe)" 5
t_eq "RENEW on a worker's channel: denied (6)" "$(st renew-on-channel)" 6
t_eq "with a socket too" "$(st renew-on-channel-fd)" 6
t_eq "CONTROL on a worker's channel: denied (6)" \
    "$(st control-on-channel)" 6
t_eq "with a socket too" "$(st control-on-channel-fd)" 6
t_eq "a malformed RENEW on the control channel: malformed (1)" \
    "$(st control-renew-malformed)" 1
t_eq "a RENEW without its socket: refused (5)" "$(st control-renew-no-fd)" 5
t_eq "a RENEW with a pipe: refused (5)" "$(st control-renew-pipe)" 5
t_nogrep "no renewal was started" "renewal started" "$T/d.log"
t_eq "and then a good ECDSA request is signed" "$(st good-ecdsa)" 0
t_eq "and a good RSA-PSS one" "$(st good-pss)" 0
t_ok "the signer is still up" kill -0 "$KPID"
t_ok "and the monitor" kill -0 "$MPID"
t_eq "and handshakes still work" "$(hs ec.test)" ECDSA

kill -9 "$KPID"
t_ok "killed" wait_until 10 gone "$KPID"
start=$SECONDS
out=$(echo | timeout 20 openssl s_client -connect 127.0.0.1:$P \
    -servername rsa.test 2>&1)
t_ok "a handshake then ends at once, not by a timeout" \
    test $((SECONDS - start)) -lt 10
t_ok "with an alert from the server, or signed by a new signer" \
    grep -Eq "alert|Peer signature type: RSA-PSS" <<<"$out"
t_ok "the monitor says the signer ended" \
    wait_until 10 grep -q "the signer (pid $KPID) was ended by signal 9" \
    "$T/d.log"
t_ok "and starts a new one" wait_until 10 pgrep -P "$MPID" -x hsysd-keys
t_ok "which serves handshakes again" wait_until 10 prints RSA-PSS hs rsa.test
t_eq "for both keys" "$(hs ec.test)" ECDSA
t_nogrep "hsysd started no key process of its own" \
    "key process (pid $MPID)" "$T/d.log"

# --- a store whose schema a newer hsys moved on ----------------------------
# An upgrade in place keeps the key process, and its code, while the new
# hsysd brings the schema up to date (docs/store.md): it must still read
# the keys of bindings added since. Here a new certificate, the schema
# moved past ours, then a binding for it written straight into the store
# (no hsys of ours writes a newer store); a signature with its key makes
# the signer read the store again (once a second at most: hence the wait).
NEW=$(hsys cert new-selfsigned --dns-name newer.test --key ec-p256 |
    grep -oE '^[0-9A-F]{40}')
NEWID=$(keyid "$NEW") RSAID=$(keyid "$RSA")	# hsys reads a newer store no more
V=$(store_sql 'PRAGMA user_version')
store_sql "PRAGMA user_version = $((V + 1));
INSERT INTO sslcert (kind, endpoint, certhash, appid, certstore)
  SELECT 'hostnameport', 'newer.test:$P', '$NEW', appid, certstore
  FROM sslcert LIMIT 1;"
sleep 1.2
timeout 60 /usr/bin/python3 "$TOP/tests/e2e/lib/keyprobe.py" "$dpid" "$MPID" \
    "$NEWID" "$RSAID" >"$T/probe" 2>&1
t_eq "a key bound in a store of a newer schema is signed with" \
    "$(st good-ecdsa)" 0
store_sql "DELETE FROM sslcert WHERE endpoint = 'newer.test:$P';
PRAGMA user_version = $V;"

kill -9 "$MPID"
t_ok "the monitor killed" wait_until 10 gone "$MPID"
t_ok "hsysd says the key process ended" \
    wait_until 10 grep -q "key process (pid $MPID) was ended by signal 9" \
    "$T/d.log"
t_ok "and, root, starts a new one" \
    wait_until 10 pgrep -P "$dpid" -x hsysd-keymon
t_ok "which serves handshakes again" wait_until 10 prints RSA-PSS hs rsa.test
t_done
