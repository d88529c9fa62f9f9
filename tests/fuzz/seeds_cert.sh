#!/usr/bin/env bash
# seeds_cert.sh — writes the seed corpus of fuzz_cert from files made by
# every tool tests/e2e/cert_import.sh imports from: openssl (PKCS#12
# modern, -legacy and without a password; PEM chains; DER; encrypted
# PKCS#8, traditional and scrypt keys), Java keytool, GnuTLS certtool and
# NSS pk12util. Rewrites tests/fuzz/corpus/cert/seed-* (regress-* stay).
#
# Each seed is one byte choosing the password (fuzz_cert.c: 0 none, 2 the
# seeds' "fuzz-pw"), then the file. Keys are EC P-256, so seeds stay small.
set -eu
OUT=$(cd "$(dirname "$0")" && pwd)/corpus/cert
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
PW=fuzz-pw
printf '%s\n' "$PW" >pw

seed() {	# seed NAME SELECTOR FILE
	{ printf "\\x$(printf %02x "$2")"; cat "$3"; } >"$OUT/seed-$1"
}

ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec root.key; ec leaf.key
openssl req -x509 -new -key root.key -subj "/CN=Fuzz Root" -days 30 \
    -addext basicConstraints=critical,CA:TRUE -out root.pem 2>/dev/null
openssl req -new -key leaf.key -subj "/CN=fuzz.test" -out leaf.csr
openssl x509 -req -in leaf.csr -CA root.pem -CAkey root.key -CAcreateserial \
    -days 30 -out leaf.pem 2>/dev/null

rm -f "$OUT"/seed-*
mkdir -p "$OUT"
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile root.pem \
    -passout pass:$PW -out modern.pfx
seed openssl-modern.pfx 2 modern.pfx
openssl pkcs12 -export -legacy -in leaf.pem -inkey leaf.key \
    -passout pass:$PW -out legacy.pfx 2>/dev/null
seed openssl-legacy.pfx 2 legacy.pfx
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -passout pass: \
    -out nopw.pfx
seed openssl-nopw.pfx 0 nopw.pfx
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -nomac -passout pass:$PW \
    -out nomac.pfx
seed openssl-nomac.pfx 2 nomac.pfx
openssl pkcs12 -export -in leaf.pem -nokeys -passout pass:$PW -out certonly.pfx
seed openssl-certonly.pfx 2 certonly.pfx

cat leaf.pem root.pem leaf.key >chain.pem
seed chain.pem 0 chain.pem
seed root.pem 0 root.pem
openssl x509 -in leaf.pem -outform DER -out leaf.der
seed leaf.der 0 leaf.der
openssl pkey -in leaf.key -outform DER -out key.der
seed key-alone.der 0 key.der
openssl pkey -in leaf.key -aes256 -passout pass:$PW -out enc.key
cat leaf.pem enc.key >pkcs8-encrypted.pem
seed pkcs8-encrypted.pem 2 pkcs8-encrypted.pem
openssl pkcs8 -topk8 -in leaf.key -scrypt -scrypt_N 1024 -scrypt_r 8 \
    -scrypt_p 1 -passout pass:$PW -out scrypt.key
cat leaf.pem scrypt.key >pkcs8-scrypt.pem
seed pkcs8-scrypt.pem 2 pkcs8-scrypt.pem
openssl ec -in leaf.key -aes128 -passout pass:$PW -out trad.key 2>/dev/null
cat leaf.pem trad.key >traditional-encrypted.pem
seed traditional-encrypted.pem 2 traditional-encrypted.pem
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.key \
    2>/dev/null
openssl req -x509 -new -key rsa.key -subj /CN=rsa.fuzz.test -days 30 \
    -out rsa.pem 2>/dev/null
openssl rsa -in rsa.key -traditional -out rsa-trad.key 2>/dev/null
cat rsa.pem rsa-trad.key >rsa.pem.all
seed rsa-pkcs1.pem 0 rsa.pem.all

keytool -genkeypair -alias web -keyalg EC -groupname secp256r1 \
    -dname CN=java.fuzz.test -validity 30 -storetype PKCS12 \
    -keystore java.p12 -storepass "$PW" -keypass "$PW" >/dev/null 2>&1 &&
    seed keytool.p12 2 java.p12
certtool --generate-privkey --key-type ecdsa --outfile gnutls.key 2>/dev/null
printf 'cn = "gnutls.fuzz.test"\nexpiration_days = 30\n' >gnutls.tmpl
certtool --generate-self-signed --load-privkey gnutls.key \
    --template gnutls.tmpl --outfile gnutls.pem 2>/dev/null
certtool --to-p12 --load-privkey gnutls.key --load-certificate gnutls.pem \
    --p12-name gnutls --password "$PW" --outder --outfile gnutls.p12 \
    >/dev/null 2>&1 && seed certtool.p12 2 gnutls.p12
mkdir nssdb
certutil -N -d sql:nssdb --empty-password
head -c 64 /dev/urandom >noise
certutil -S -d sql:nssdb -n nsscert -s CN=nss.fuzz.test -x -t u,u,u -k ec \
    -q nistp256 -v 1 -z noise >/dev/null 2>&1
pk12util -o nss.p12 -n nsscert -d sql:nssdb -W "$PW" -K "" >/dev/null 2>&1 &&
    seed pk12util.p12 2 nss.p12
ls "$OUT" | wc -l
