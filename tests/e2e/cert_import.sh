# cert_import — hsys cert import with files made by real tools (openssl
# modern and -legacy, Java keytool, GnuTLS certtool, NSS pk12util), PEM
# chains and encrypted keys; and every bad input leaving the store as it was.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
PW=Sup3r-S3cret-pw
printf '%s\n' "$PW" >pw
printf 'wrong-password\n' >badpw

thumb() { openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }
dump() { store_dump; }
# The list of every store as JSON: what "the store as it was" compares.
state() { hsys cert list --all --json 2>&1; }
no_sanitizer() { t_nogrep "$1: no sanitizer report" 'Sanitizer|runtime error|LeakSanitizer' "$T/err"; }
no_secret() {
	t_nogrep "$1: the password is not on stdout" "$PW" "$T/out"
	t_nogrep "$1: the password is not on stderr" "$PW" "$T/err"
}

# A chain made by openssl: root -> intermediate -> leaf.
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec root.key; ec int.key; ec leaf.key; ec other.key
openssl req -x509 -new -key root.key -subj "/CN=Import Test Root" -days 30 \
    -addext basicConstraints=critical,CA:TRUE -out root.pem 2>/dev/null
openssl req -new -key int.key -subj "/CN=Import Test Intermediate" -out int.csr
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=keyCertSign,cRLSign\n' >ca.ext
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial \
    -days 30 -extfile ca.ext -out int.pem 2>/dev/null
openssl req -new -key leaf.key -subj "/CN=www.import.test" -out leaf.csr
printf 'subjectAltName=DNS:www.import.test\nextendedKeyUsage=serverAuth\n' >leaf.ext
openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial \
    -days 30 -extfile leaf.ext -out leaf.pem 2>/dev/null
ROOT=$(thumb root.pem) INT=$(thumb int.pem) LEAF=$(thumb leaf.pem)

# --- openssl pkcs12, modern (AES-256, PBKDF2) with the chain ------------
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile int.pem \
    -passout "file:pw" -out modern.pfx
t_ok "modern PKCS#12 imports" hsys cert import modern.pfx --password-file pw
t_grep "modern: leaf thumbprint and key" "^$LEAF +CN=www.import.test +\(with private key\)" "$T/out"
t_grep "modern: intermediate into CA" "Store: LocalMachine\\\\CA" "$T/out"
t_grep "modern: intermediate thumbprint" "^$INT +CN=Import Test Intermediate" "$T/out"
no_secret modern
hsys cert list My --json >list.json
t_grep "modern: the store has the leaf with its key" "\"$LEAF\".*\"has_private_key\": true" list.json
t_ok "the same file again is harmless" hsys cert import modern.pfx --password-file pw
t_grep "re-import: already there" "^$LEAF .*already there" "$T/out"

# --- no password option on a terminal: a prompt, without echo -----------------
# The password is typed late: the prompt flushes what came before it.
delay=1; [ -n "$HSYS_WRAP" ] && delay=8
(sleep "$delay"; printf '%s\n' "$PW") | script -qec \
    "$HSYS_WRAP $BUILD/hsys cert import modern.pfx" /dev/null >tty.out 2>&1
t_grep "terminal: prompts for the password" "Password for modern.pfx:" tty.out
t_grep "terminal: then imports" "^$LEAF .*already there" tty.out
t_nogrep "terminal: the password is not echoed" "$PW" tty.out
t_ok "delete before the next format" hsys cert delete "$LEAF"

# --- openssl pkcs12 -legacy (RC2-40 certificates, 3DES key) --------------
openssl pkcs12 -export -legacy -in leaf.pem -inkey leaf.key -passout "file:pw" \
    -out legacy.pfx 2>/dev/null
t_grep "legacy file really is RC2" "40BitRC2" <(openssl pkcs12 -in legacy.pfx -info -noout -legacy -passin file:pw 2>&1)
t_ok "legacy PKCS#12 imports" hsys cert import legacy.pfx --password-file pw
t_grep "legacy: leaf with key" "^$LEAF .*with private key" "$T/out"
t_ok "delete" hsys cert delete "$LEAF"

# --- empty and absent passwords -------------------------------------------
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -passout pass: -out nopw.pfx
t_ok "empty-password PKCS#12 imports without a password option" \
    hsys cert import nopw.pfx
t_grep "empty password: leaf" "^$LEAF " "$T/out"
t_ok "delete" hsys cert delete "$LEAF"

# --- Java keytool ---------------------------------------------------------
keytool -genkeypair -alias web -keyalg EC -groupname secp256r1 \
    -dname CN=java.import.test -validity 30 -storetype PKCS12 \
    -keystore java.p12 -storepass "$PW" -keypass "$PW" >/dev/null 2>&1
keytool -exportcert -rfc -alias web -keystore java.p12 -storepass "$PW" \
    >java.pem 2>/dev/null
t_ok "keytool PKCS12 imports" hsys cert import java.p12 --password-stdin <pw
t_grep "keytool: thumbprint matches openssl's" "^$(thumb java.pem) .*with private key" "$T/out"

# --- GnuTLS certtool --------------------------------------------------------
certtool --generate-privkey --key-type ecdsa --outfile gnutls.key 2>/dev/null
printf 'cn = "gnutls.import.test"\ndns_name = "gnutls.import.test"\nexpiration_days = 30\ntls_www_server\nsigning_key\n' >gnutls.tmpl
certtool --generate-self-signed --load-privkey gnutls.key --template gnutls.tmpl \
    --outfile gnutls.pem 2>/dev/null
certtool --to-p12 --load-privkey gnutls.key --load-certificate gnutls.pem \
    --p12-name gnutls --password "$PW" --outder --outfile gnutls.p12 >/dev/null 2>&1
t_ok "certtool PKCS#12 imports" hsys cert import gnutls.p12 --password-file pw
t_grep "certtool: thumbprint matches openssl's" "^$(thumb gnutls.pem) .*with private key" "$T/out"

# --- NSS pk12util -----------------------------------------------------------
mkdir nssdb
certutil -N -d sql:nssdb --empty-password
head -c 64 /dev/urandom >noise
certutil -S -d sql:nssdb -n nsscert -s CN=nss.import.test -x -t u,u,u -k ec \
    -q nistp256 -v 1 -z noise >/dev/null 2>&1
pk12util -o nss.p12 -n nsscert -d sql:nssdb -W "$PW" -K "" >/dev/null 2>&1
certutil -L -d sql:nssdb -n nsscert -a >nss.pem
t_ok "pk12util PKCS#12 imports" hsys cert import nss.p12 --password-file pw
t_grep "pk12util: thumbprint matches openssl's" "^$(thumb nss.pem) .*with private key" "$T/out"

# --- PEM: leaf + intermediate + root + key ----------------------------------
cat leaf.pem int.pem root.pem leaf.key >chain.pem
t_ok "PEM chain imports" hsys cert import chain.pem
t_grep "PEM: leaf in My" "^$LEAF .*with private key" "$T/out"
t_grep "PEM: intermediate in CA" "^$INT +CN=Import Test Intermediate" "$T/out"
t_grep "PEM: the root is reported" "Not imported: the root CA $ROOT" "$T/out"
t_grep "PEM: and how to trust it" "--store Root" "$T/out"
hsys cert list Root --json >root.json
t_eq "PEM: the root is not stored as trusted" "$(cat root.json)" "[]"
hsys cert list CA --json >ca.json
t_grep "PEM: the intermediate is in CA" "\"$INT\"" ca.json
t_ok "delete" hsys cert delete "$LEAF"

# --- certificate first, key later: the key attaches ------------------------
t_ok "certificate alone" hsys cert import leaf.pem
t_grep "certificate alone: no key" "^$LEAF +CN=www.import.test$" "$T/out"
t_ok "then with its key" hsys cert import modern.pfx --password-file pw
t_grep "the key is attached" "^$LEAF .*private key added" "$T/out"
t_ok "delete" hsys cert delete "$LEAF"

# --- DER certificate --------------------------------------------------------
openssl x509 -in leaf.pem -outform DER -out leaf.der
t_ok "DER certificate imports" hsys cert import leaf.der --store WebHosting
t_grep "DER: into WebHosting" "Store: LocalMachine\\\\WebHosting" "$T/out"
t_ok "delete" hsys cert delete "$LEAF" --store WebHosting

# --- encrypted PEM key --------------------------------------------------------
openssl pkey -in leaf.key -aes256 -passout "file:pw" -out leaf.enc.key
cat leaf.pem leaf.enc.key >encrypted.pem
t_ok "encrypted PEM key with --password-file" hsys cert import encrypted.pem --password-file pw
t_grep "encrypted PEM: leaf with key" "^$LEAF .*with private key" "$T/out"
t_ok "delete" hsys cert delete "$LEAF"
t_ok "encrypted PEM key with --password" hsys cert import encrypted.pem --password "$PW"
t_grep "--password warns about the process list" "warning: .*process list" "$T/err"
t_nogrep "--password: the password is not on stdout" "$PW" "$T/out"
t_ok "delete" hsys cert delete "$LEAF"

# --- a CA alone, into Root or CA -----------------------------------------------
before=$(dump)
t_fail "a root alone into My is refused" 1 hsys cert import root.pem
t_grep "root alone: says how to trust it" "import root.pem --store Root" "$T/err"
t_eq "root alone: store unchanged" "$(dump)" "$before"
t_ok "a root alone with --store Root" hsys cert import root.pem --store Root
t_grep "root: stored in Root" "Store: LocalMachine\\\\Root" "$T/out"
t_grep "root: its thumbprint" "^$ROOT " "$T/out"
t_ok "an intermediate alone with --store CA" hsys cert import int.pem --store ca
t_grep "intermediate: its thumbprint" "^$INT " "$T/out"

# --- bad input: clear message, exit 1, store as it was ----------------------
before=$(state)
t_fail "wrong password" 1 hsys cert import modern.pfx --password-file badpw
t_grep "wrong password: says so" "password for modern.pfx is wrong" "$T/err"
no_sanitizer "wrong password"
t_fail "wrong password, legacy file" 1 hsys cert import legacy.pfx --password-file badpw
t_grep "wrong password, legacy: says so" "password for legacy.pfx is wrong" "$T/err"
t_fail "wrong password, encrypted PEM" 1 hsys cert import encrypted.pem --password-file badpw
t_grep "wrong password, PEM: says so" "password for encrypted.pem is wrong" "$T/err"
t_fail "protected file, no password, no terminal" 1 hsys cert import modern.pfx </dev/null
t_grep "no password: names the options" "--password-file F, --password-stdin or --password P" "$T/err"
head -c 700 modern.pfx >truncated.pfx
t_fail "truncated PKCS#12" 1 hsys cert import truncated.pfx --password-file pw
t_grep "truncated: says so" "truncated.pfx is truncated" "$T/err"
no_sanitizer truncated
head -c 900 chain.pem >truncated.pem
t_fail "truncated PEM" 1 hsys cert import truncated.pem
t_grep "truncated PEM: damaged" "truncated.pem is damaged" "$T/err"
head -c 4096 /dev/urandom >random.bin
t_fail "random bytes" 1 hsys cert import random.bin
t_grep "random: one clear line" "^hsys: random.bin is (not a certificate file|damaged)" "$T/err"
t_eq "random: one line only" "$(wc -l <"$T/err")" 1
no_sanitizer random
: >empty.pem
t_fail "empty file" 1 hsys cert import empty.pem
t_grep "empty: says so" "empty.pem is empty" "$T/err"
cat leaf.pem other.key >mismatch.pem
t_fail "key that is not the certificate's" 1 hsys cert import mismatch.pem
t_grep "mismatch: says so" "private key in mismatch.pem does not belong" "$T/err"
t_fail "a missing file" 1 hsys cert import nosuch.pfx
t_grep "missing: names the file" "nosuch.pfx" "$T/err"
t_fail "unknown store name" 2 hsys cert import chain.pem --store Trust
t_grep "unknown store: says so" "unknown certificate store 'Trust'" "$T/err"
t_fail "two password options" 1 hsys cert import modern.pfx --password-file pw --password-stdin
t_fail "no file" 2 hsys cert import
t_eq "after bad input: the store is as it was" "$(state)" "$before"
no_secret "bad input"

# --- a store the user may not write -----------------------------------------
before=$(dump)
chmod 0644 chain.pem
t_fail "a store owned by root, as nobody" 1 setpriv --reuid=65534 --regid=65534 \
    --clear-groups $HSYS_WRAP "$BUILD/hsys" cert import "$T/chain.pem"
t_grep "not writable: says so and what to do" "cannot write the store.*HSYS_HOME" "$T/err"
no_sanitizer "not writable"
t_eq "not writable: store unchanged" "$(dump)" "$before"

# --- a damaged store file ------------------------------------------------------
cp "$HSYS_HOME/hsys.db" saved.db
head -c 8192 /dev/urandom >"$HSYS_HOME/hsys.db"
cp "$HSYS_HOME/hsys.db" garbage.db
t_fail "a damaged store" 1 hsys cert import chain.pem
t_grep "damaged store: says so" "store .*hsys.db is damaged" "$T/err"
no_sanitizer "damaged store"
t_ok "damaged store: the file is untouched" cmp "$HSYS_HOME/hsys.db" garbage.db
cp saved.db "$HSYS_HOME/hsys.db"

t_ok "--help" hsys cert import --help
t_grep "--help: usage" "^usage: hsys cert import FILE" "$T/out"

t_done
