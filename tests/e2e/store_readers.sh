# Any user may read the configuration and the certificates of the system
# store, as on Windows (netsh http show ..., dir cert:\localmachine\my);
# only root reads the private keys, which live in keys.db (issue 13, item 9;
# issue 16: the serving process reads the configuration without the keys).
. "$(dirname "$0")/lib.sh"

nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups \
    env HSYS_HOME="$HSYS_HOME" "$@"; }
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
P=$((20000 + RANDOM % 12000))

t_ok "a certificate with its key" hsys cert new-selfsigned --dns-name r.test
TH=$(hsys cert list | awk '/CN=r.test/ {print $1}')
t_ok "a binding" hsys http add sslcert ipport=127.0.0.1:$P certhash=$TH \
    appid=$APPID
t_ok "a reservation" hsys http add urlacl url=https://+:$P/r/ user=nobody
t_ok "an iplisten entry" hsys http add iplisten ipaddress=127.0.0.1
t_ok "a timeout" hsys http add timeout timeouttype=idleconnectiontimeout \
    value=90
t_ok "a setting" hsys http add setting name=MaxConnections value=500

t_eq "hsys.db is readable by all" "$(stat -c %a "$HSYS_HOME/hsys.db")" 644
t_eq "keys.db is root's only" "$(stat -c '%a %U' "$HSYS_HOME/keys.db")" \
    "600 root"
t_fail "nobody cannot read keys.db" 1 nobody cat "$HSYS_HOME/keys.db"
t_fail "nor find the key in hsys.db" 1 nobody grep -q "PRIVATE" \
    "$HSYS_HOME/hsys.db"
hsys cert export "$TH" --pem "$T/k.pem" --with-key >/dev/null
keyhex=$(openssl pkey -in "$T/k.pem" -outform DER | od -An -v -tx1 |
    tr -d ' \n' | cut -c1-64)
t_fail "hsys.db holds no byte string of the key" 1 grep -q "$keyhex" \
    <(od -An -v -tx1 "$HSYS_HOME/hsys.db" | tr -d ' \n')

t_ok "nobody: show sslcert" nobody "$BUILD/hsys" http show sslcert
t_grep "the binding is there" "127.0.0.1:$P" "$T/out"
t_grep "with its thumbprint" "${TH,,}" "$T/out"
t_ok "nobody: show urlacl" nobody "$BUILD/hsys" http show urlacl
t_grep "the reservation is there" "https://\+:$P/r/" "$T/out"
t_ok "nobody: show iplisten" nobody "$BUILD/hsys" http show iplisten
t_grep "the address is there" "127.0.0.1" "$T/out"
t_ok "nobody: show timeout" nobody "$BUILD/hsys" http show timeout
t_grep "the timeout is there" "90" "$T/out"
t_ok "nobody: show setting" nobody "$BUILD/hsys" http show setting
t_grep "the setting is there" "500" "$T/out"
t_ok "nobody: cert list" nobody "$BUILD/hsys" cert list
t_grep "the certificate is listed" "$TH" "$T/out"
t_ok "nobody: cert show" nobody "$BUILD/hsys" cert show "$TH"
t_grep "says it has a key" "[Kk]ey" "$T/out"
mkdir -m 1777 "$T/nb"
t_ok "nobody: export without the key" nobody "$BUILD/hsys" cert export \
    "$TH" --pem "$T/nb/c.pem"
t_grep "a certificate came out" "BEGIN CERTIFICATE" "$T/nb/c.pem"
t_fail "nobody: export with the key is refused" 1 nobody "$BUILD/hsys" \
    cert export "$TH" --pem "$T/nb/k.pem" --with-key
t_grep "says the keys are root's" "readable by root only" "$T/err"
t_fail "and wrote no file" 1 test -e "$T/nb/k.pem"
t_fail "nobody: verify says it is not usable (self-signed)" 1 nobody \
    "$BUILD/hsys" cert verify "$TH"
t_grep "and that the key was not checked" "key was not checked" "$T/out"
t_fail "nobody: cannot write" 1 nobody "$BUILD/hsys" http delete iplisten \
    ipaddress=127.0.0.1
t_grep "says why" "run as its owner|cannot write" "$T/err"
t_ok "root still exports the key" hsys cert export "$TH" --pem "$T/k2.pem" \
    --with-key
t_grep "with the key" "PRIVATE KEY" "$T/k2.pem"
t_done
