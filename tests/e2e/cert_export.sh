# hsys cert export: PFX and PEM, algorithms, modes, what other tools read,
# and the inputs it refuses.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/certfix.sh"

certfix_init
certfix_root "$T/root" "Export Root"
certfix_issue "$T/int" "Export Intermediate" "$T/root" ca
certfix_issue "$T/leaf" www.export.test "$T/int"
certfix_issue "$T/bare" bare.export.test "$T/int"
certfix_add Root "$T/root.pem"
certfix_add CA "$T/int.pem"
certfix_add My "$T/leaf.pem" "$T/leaf.key"
certfix_add My "$T/bare.pem"
L=$(certfix_thumb "$T/leaf.pem")
B=$(certfix_thumb "$T/bare.pem")
printf 'S3cret pass\n' >"$T/pw"
mode() { stat -c %a "$1"; }
key_modulus() { openssl pkey -in "$1" -pubout -passin "file:$T/pw" | sha256sum; }

# PFX with the key, default algorithms.
t_ok "export --pfx --with-key" $HSYS cert export "$L" --pfx "$T/a.pfx" \
    --with-key --password-file "$T/pw"
t_grep "says what it wrote" "with its intermediates and its private key" \
    "$T/out"
t_eq "a PFX with a key is 0600" "$(mode "$T/a.pfx")" 600
openssl pkcs12 -info -noout -in "$T/a.pfx" -passin "file:$T/pw" \
    >"$T/info" 2>&1
t_grep "default: AES-256-CBC" "PBES2, PBKDF2, AES-256-CBC" "$T/info"
t_grep "default: SHA-256 MAC" "^MAC: sha256" "$T/info"
t_grep "default: the key is shrouded" "Shrouded Keybag: PBES2" "$T/info"
openssl pkcs12 -in "$T/a.pfx" -passin "file:$T/pw" -nokeys -clcerts \
    2>/dev/null | openssl x509 -noout -fingerprint -sha1 >"$T/fp"
t_eq "the PFX holds the certificate" "$(sed 's/.*=//; s/://g' "$T/fp")" "$L"
n=$(openssl pkcs12 -in "$T/a.pfx" -passin "file:$T/pw" -nokeys 2>/dev/null |
    grep -c 'BEGIN CERTIFICATE')
t_eq "the PFX holds the intermediate, not the root" "$n" 2
openssl pkcs12 -in "$T/a.pfx" -passin "file:$T/pw" -nocerts -nodes \
    2>/dev/null >"$T/a.key"
t_eq "the PFX's key is the certificate's" "$(key_modulus "$T/a.key")" \
    "$(key_modulus "$T/leaf.key")"
t_ok "keytool reads the default PFX" keytool -list -storetype PKCS12 \
    -keystore "$T/a.pfx" -storepass:file "$T/pw"
t_grep "keytool sees a key entry" "PrivateKeyEntry" "$T/out"

# Legacy algorithms.
t_ok "export --pfx --legacy" $HSYS cert export "$L" --pfx "$T/b.pfx" \
    --with-key --password-stdin --legacy <"$T/pw"
openssl pkcs12 -info -noout -in "$T/b.pfx" -passin "file:$T/pw" \
    >"$T/info" 2>&1
t_grep "legacy: 3DES" "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC" \
    "$T/info"
t_grep "legacy: 3DES for the certificates" \
    "Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC" "$T/info"
t_grep "legacy: SHA-1 MAC" "^MAC: sha1" "$T/info"
t_ok "keytool reads the legacy PFX" keytool -list -storetype PKCS12 \
    -keystore "$T/b.pfx" -storepass:file "$T/pw"

# A PFX without the key needs no password and is 0644.
t_ok "export --pfx without key" $HSYS cert export "$L" --pfx "$T/c.pfx"
t_eq "a PFX without key is 0644" "$(mode "$T/c.pfx")" 644
t_ok "openssl reads it without a password" openssl pkcs12 -in "$T/c.pfx" \
    -passin pass: -nokeys -out "$T/c.pem"
t_nogrep "and it holds no key" "PRIVATE KEY" "$T/c.pem"

# PEM.
t_ok "export --pem" $HSYS cert export "$L" --pem "$T/d.pem"
t_eq "a PEM without key is 0644" "$(mode "$T/d.pem")" 644
t_eq "certificate and intermediate" "$(grep -c 'BEGIN CERTIFICATE' \
    "$T/d.pem")" 2
t_nogrep "no key" "PRIVATE KEY" "$T/d.pem"
t_eq "the leaf comes first" "$(openssl x509 -in "$T/d.pem" -noout \
    -fingerprint -sha1 | sed 's/.*=//; s/://g')" "$L"
t_ok "export --pem --with-key (no password)" $HSYS cert export "$L" \
    --pem "$T/e.pem" --with-key
t_grep "warns that the key is in clear" "warning: .*not encrypted" "$T/err"
t_eq "a PEM with a key is 0600" "$(mode "$T/e.pem")" 600
t_grep "unencrypted PKCS#8" "BEGIN PRIVATE KEY" "$T/e.pem"
t_ok "export --pem --with-key --password-file" $HSYS cert export "$L" \
    --pem "$T/f.pem" --with-key --password-file "$T/pw"
t_grep "encrypted PKCS#8" "BEGIN ENCRYPTED PRIVATE KEY" "$T/f.pem"
sed -n '/BEGIN ENCRYPTED/,/END ENCRYPTED/p' "$T/f.pem" |
    openssl asn1parse >"$T/asn1" 2>&1
t_grep "with AES-256" "aes-256-cbc" "$T/asn1"
t_eq "the encrypted key opens with the password" \
    "$(key_modulus "$T/f.pem")" "$(key_modulus "$T/leaf.key")"

t_ok "--password works, with a warning" $HSYS cert export "$L" \
    --pfx "$T/g.pfx" --with-key --password "S3cret pass"
t_grep "warns about the process list" "warning: --password on the command" \
    "$T/err"
t_ok "and the PFX opens with it" openssl pkcs12 -in "$T/g.pfx" \
    -passin "file:$T/pw" -info -noout

# Overwriting.
t_fail "refuses to overwrite" 1 $HSYS cert export "$L" --pem "$T/d.pem"
t_grep "says --force" "already exists; use --force" "$T/err"
t_ok "--force replaces" $HSYS cert export "$L" --pem "$T/d.pem" --force \
    --with-key --password-file "$T/pw"
t_eq "and the mode follows the content" "$(mode "$T/d.pem")" 600

# Bad inputs.
t_fail "unknown thumbprint" 1 $HSYS cert export 0123456789ABCDEF \
    --pem "$T/x.pem"
t_grep "says not found" "no certificate with thumbprint" "$T/err"
t_fail "--with-key on a certificate without key" 1 $HSYS cert export "$B" \
    --pfx "$T/x.pfx" --with-key --password-file "$T/pw"
t_grep "says there is no key" "no private key for $B" "$T/err"
t_fail "both --pfx and --pem" 2 $HSYS cert export "$L" --pfx "$T/x.pfx" \
    --pem "$T/x.pem"
t_fail "neither --pfx nor --pem" 2 $HSYS cert export "$L"
t_fail "--legacy with --pem" 2 $HSYS cert export "$L" --pem "$T/x.pem" \
    --legacy
t_fail "no password for a PFX with a key, no terminal" 1 \
    $HSYS cert export "$L" --pfx "$T/x.pfx" --with-key </dev/null
t_grep "says how to give one" "needs a password; give --password-file" \
    "$T/err"
t_fail "two password options" 1 $HSYS cert export "$L" --pfx "$T/x.pfx" \
    --with-key --password-file "$T/pw" --password-stdin </dev/null
# On a terminal, the password is asked twice. The prompt flushes pending
# input when it turns echo off, hence the pauses; too slow under valgrind.
tty_export() {
	(sleep 2; printf '%s\n' "$1"; sleep 1; printf '%s\n' "$2") |
	    script -qec "$BUILD/hsys cert export $L --pfx $3 --with-key" /dev/null
}
if command -v script >/dev/null && [ -z "$HSYS_WRAP" ]; then
	t_ok "asks for the password twice on a terminal" \
	    tty_export "tty pass" "tty pass" "$T/t.pfx"
	t_ok "with the password typed" openssl pkcs12 -in "$T/t.pfx" \
	    -passin "pass:tty pass" -info -noout
	t_fail "passwords that differ" 1 tty_export "tty pass" "other" \
	    "$T/x.pfx"
	t_grep "says they differ" "passwords do not match" "$T/out"
fi
t_eq "nothing was written by the failures" "$(ls "$T" | grep -c '^x\.')" 0
t_nogrep "the password never shows" "S3cret" "$T/err"
t_done
