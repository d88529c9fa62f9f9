# hsys cert trust / untrust: the Root store, the system's trust in fake
# Debian, Fedora and Arch roots, NSS databases, --dry-run, refusing a leaf,
# and the real Debian store of this machine inside a private mount
# namespace (the host's store is compared before and after).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/certfix.sh"

certfix_init
certfix_root "$T/ca" "Trust Test CA"
certfix_issue "$T/leaf" www.trust.test "$T/ca"
certfix_add CA "$T/ca.pem"
certfix_add My "$T/leaf.pem" "$T/leaf.key"
CA=$(certfix_thumb "$T/ca.pem")
LEAF=$(certfix_thumb "$T/leaf.pem")
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/self.key" -out "$T/self.pem" -subj /CN=self.trust.test \
    -days 30 -addext subjectAltName=DNS:self.trust.test \
    -addext basicConstraints=critical,CA:FALSE \
    -addext keyUsage=critical,digitalSignature 2>/dev/null
certfix_add My "$T/self.pem" "$T/self.key"
SELF=$(certfix_thumb "$T/self.pem")
in_root() {
	sqlite3 "$(certfix_db)" "SELECT count(*) FROM cert WHERE store = 'Root'
	    AND thumbprint = '$1'"
}
fp() { openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }
# A snapshot of a tree: names, types, link targets and contents.
snapshot() {
	(cd "$1" && find . -printf '%p %y %l %m\n' | sort &&
	    find . -type f -exec sha256sum {} + | sort)
}

# A fake Debian root, with one other CA so the bundle is never empty, and
# a user whose home has an NSS database and a Firefox profile.
D=$T/debian
mkdir -p "$D/etc/ssl/certs" "$D/usr/share/ca-certificates/test" \
    "$D/usr/local/share/ca-certificates" "$D/home/u/.pki/nssdb" \
    "$D/home/u/.mozilla/firefox/x1.default-release"
printf 'PRETTY_NAME="Debian"\nID=debian\n' >"$D/etc/os-release"
certfix_root "$T/otherca" "Some Other CA"
cp "$T/otherca.pem" "$D/usr/share/ca-certificates/test/other.crt"
echo test/other.crt >"$D/etc/ca-certificates.conf"
certutil -N --empty-password -d "sql:$D/home/u/.pki/nssdb"
certutil -N --empty-password -d "sql:$D/home/u/.mozilla/firefox/x1.default-release"
export HOME=/home/u
ANCHOR=$D/usr/local/share/ca-certificates/hsys-$CA.crt
nss_has() { certutil -L -d "sql:$D/home/u/$1" | grep -q "^hsys $CA "; }

# --dry-run changes nothing.
before=$(snapshot "$D")
t_ok "trust --dry-run" $HSYS cert trust "$CA" --root "$D" --dry-run
t_grep "leaves this host's Root store to it" \
    "^Left LocalMachine\\\\Root of this host as it is \\(--root\\)" "$T/out"
t_grep "would place the file" "^Would place $ANCHOR$" "$T/out"
t_grep "would refresh" "^Would run update-ca-certificates" "$T/out"
t_grep "would add to nssdb" "^Would add it to the NSS database $D/home/u/.pki/nssdb$" \
    "$T/out"
t_grep "would add to Firefox" "NSS database .*/x1.default-release$" "$T/out"
t_eq "--dry-run left the root as it was" "$(snapshot "$D")" "$before"
t_eq "--dry-run left the Root store alone" "$(in_root "$CA")" 0

# Debian: trust.
t_ok "trust a CA (Debian root)" $HSYS cert trust "$CA" --root "$D"
t_grep "says it left this host's Root store" "^Left LocalMachine\\\\Root" "$T/out"
t_grep "placed the file" "^Placed $ANCHOR$" "$T/out"
t_grep "ran the tool on the root" "^Ran update-ca-certificates on $D/etc/ssl/certs" \
    "$T/out"
t_eq "--root did not touch this host's Root store" "$(in_root "$CA")" 0
t_eq "the anchor file is the certificate" "$(fp "$ANCHOR")" "$CA"
t_eq "the anchor file is 0644" "$(stat -c %a "$ANCHOR")" 644
t_ok "the root's bundle now vouches for the leaf" openssl verify \
    -CAfile "$D/etc/ssl/certs/ca-certificates.crt" "$T/leaf.pem"
t_ok "the other CA is still in the bundle" openssl verify \
    -CAfile "$D/etc/ssl/certs/ca-certificates.crt" "$T/otherca.pem"
nss_has .pki/nssdb
t_eq "in ~/.pki/nssdb" $? 0
nss_has .mozilla/firefox/x1.default-release
t_eq "in the Firefox profile" $? 0
t_grep "trusted as a CA in NSS" "^hsys $CA +C,," <(certutil -L \
    -d "sql:$D/home/u/.pki/nssdb")
t_fail "hsys cert verify here does not: --root trusted another system" 1 \
    $HSYS cert verify "$LEAF" --dns-name www.trust.test
t_ok "trust again is harmless" $HSYS cert trust "$CA" --root "$D"
t_grep "and leaves this host's Root store again" "^Left LocalMachine\\\\Root" "$T/out"

# untrust --dry-run, then untrust.
before=$(snapshot "$D")
t_ok "untrust --dry-run" $HSYS cert untrust "$CA" --root "$D" --dry-run
t_grep "would remove the file" "^Would remove $ANCHOR$" "$T/out"
t_grep "would remove from NSS" "^Would remove it from the NSS database" \
    "$T/out"
t_eq "untrust --dry-run changed nothing" "$(snapshot "$D")" "$before"
certfix_add Root "$T/ca.pem"
t_eq "(the host's Root store holds it, as if trusted here)" "$(in_root "$CA")" 1
t_ok "untrust (Debian root)" $HSYS cert untrust "$CA" --root "$D"
t_grep "removed the file" "^Removed $ANCHOR$" "$T/out"
t_eq "untrust --root left this host's Root store as it was" "$(in_root "$CA")" 1
sqlite3 "$(certfix_db)" "DELETE FROM cert WHERE store = 'Root'"
t_ok "the file is gone" test ! -e "$ANCHOR"
t_fail "the bundle no longer vouches for the leaf" 2 openssl verify \
    -CAfile "$D/etc/ssl/certs/ca-certificates.crt" "$T/leaf.pem"
nss_has .pki/nssdb
t_eq "gone from ~/.pki/nssdb" $? 1
nss_has .mozilla/firefox/x1.default-release
t_eq "gone from the Firefox profile" $? 1
t_fail "hsys cert verify no longer trusts it" 1 $HSYS cert verify "$LEAF"
t_ok "untrust again is harmless" $HSYS cert untrust "$CA" --root "$D"
t_grep "and leaves this host's Root store again" "^Left LocalMachine\\\\Root" "$T/out"

# A self-signed server certificate: a peer in NSS, not a CA.
t_ok "trust a self-signed certificate" $HSYS cert trust "$SELF" --root "$D"
t_grep "trusted as a peer in NSS" "^hsys $SELF +P,," <(certutil -L \
    -d "sql:$D/home/u/.pki/nssdb")
t_ok "untrust it" $HSYS cert untrust "$SELF" --root "$D"

# Refusing a leaf issued by a CA.
before=$(snapshot "$D")
t_fail "refuses a leaf issued by a CA" 1 $HSYS cert trust "$LEAF" --root "$D"
t_grep "says why" "not a CA but a certificate issued by CN=Trust Test CA" \
    "$T/err"
t_eq "and changed nothing" "$(snapshot "$D")" "$before"
t_eq "not even the Root store" "$(in_root "$LEAF")" 0

# Fedora (by ID_LIKE) and Arch: the file, and the command to run inside.
F=$T/fedora
mkdir -p "$F/etc"
printf 'ID="centos-stream"\nID_LIKE="rhel fedora"\n' >"$F/etc/os-release"
t_ok "trust (Fedora root)" $HSYS cert trust "$CA" --root "$F/"
FA=$F/etc/pki/ca-trust/source/anchors/hsys-$CA.pem
t_eq "the Fedora anchor" "$(fp "$FA")" "$CA"
t_grep "tells the command to run inside" \
    "chroot $F update-ca-trust extract$" "$T/out"
t_ok "untrust (Fedora root)" $HSYS cert untrust "$CA" --root "$F"
t_ok "the Fedora anchor is gone" test ! -e "$FA"

A=$T/arch
mkdir -p "$A/etc"
echo ID=arch >"$A/etc/os-release"
t_ok "trust (Arch root)" $HSYS cert trust "$CA" --root "$A"
AA=$A/etc/ca-certificates/trust-source/anchors/hsys-$CA.crt
t_eq "the Arch anchor" "$(fp "$AA")" "$CA"
t_grep "tells the command to run inside" "chroot $A trust extract-compat$" \
    "$T/out"
t_ok "untrust (Arch root)" $HSYS cert untrust "$CA" --root "$A"
t_ok "the Arch anchor is gone" test ! -e "$AA"

# No os-release: the directories tell.
N=$T/noosrel
mkdir -p "$N/etc/pki/ca-trust/source/anchors"
t_ok "trust (Fedora by its directories)" $HSYS cert trust "$CA" --root "$N"
t_ok "the anchor is there" test -f "$N/etc/pki/ca-trust/source/anchors/hsys-$CA.pem"
$HSYS cert untrust "$CA" --root "$N" >/dev/null

U=$T/unknown
mkdir -p "$U/etc"
echo ID=plan9 >"$U/etc/os-release"
t_fail "an unknown system is an error" 1 $HSYS cert trust "$CA" --root "$U"
t_grep "says it cannot tell" "cannot tell how $U keeps" "$T/err"
t_grep "the other targets were still reported" "^Left LocalMachine\\\\Root" \
    "$T/out"
$HSYS cert untrust "$CA" --root "$U" >/dev/null 2>&1

# Untrust by thumbprint after the certificate left the store.
t_ok "trust again (Debian root)" $HSYS cert trust "$CA" --root "$D"
sqlite3 "$(certfix_db)" "DELETE FROM cert WHERE thumbprint = '$CA'"
t_ok "untrust a certificate the store no longer has" \
    $HSYS cert untrust "$CA" --root "$D"
t_ok "its file is gone" test ! -e "$ANCHOR"
t_fail "a prefix is not enough then" 1 $HSYS cert untrust "${CA:0:10}" \
    --root "$D"
certfix_add CA "$T/ca.pem"

t_fail "no thumbprint" 2 $HSYS cert trust
t_fail "a --root that is not a directory" 1 $HSYS cert trust "$CA" \
    --root "$T/nowhere"
t_grep "says so" "--root .*/nowhere is not a directory" "$T/err"
t_fail "unknown option" 2 $HSYS cert untrust "$CA" --bogus

# The real Debian store of this machine, in a private mount namespace over
# copies: the host's store must come out exactly as it was.
real_store_test() {
	local ns=$T/ns
	mkdir -p "$ns/local" "$ns/certs" "$ns/hooks" "$ns/home"
	cp -a /usr/local/share/ca-certificates/. "$ns/local/"
	cp -a /etc/ssl/certs/. "$ns/certs/"
	cp -a /etc/ca-certificates.conf "$ns/conf"
	# The namespace script: the hooks (Java keystore, dpkg triggers) are
	# hidden because they would act outside the copies.
	cat >"$ns/run.sh" <<-EOF
	set -e
	mount --bind "$ns/local" /usr/local/share/ca-certificates
	mount --bind "$ns/certs" /etc/ssl/certs
	mount --bind "$ns/conf" /etc/ca-certificates.conf
	if [ -d /etc/ca-certificates/update.d ]; then
		mount --bind "$ns/hooks" /etc/ca-certificates/update.d
	fi
	export HOME="$ns/home"
	set +e
	echo "== trust"
	$HSYS_WRAP "$BUILD/hsys" cert trust $CA; echo "rc=\$?"
	test -f /usr/local/share/ca-certificates/hsys-$CA.crt && echo "file=yes"
	openssl verify -CApath /etc/ssl/certs "$T/leaf.pem" >/dev/null 2>&1 &&
	    echo "verify-after-trust=ok"
	# Out of the hsys Root store, the system's trust still vouches.
	sqlite3 "$(certfix_db)" "DELETE FROM cert WHERE store = 'Root'"
	$HSYS_WRAP "$BUILD/hsys" cert verify $LEAF >/dev/null &&
	    echo "hsys-verify-by-system=ok"
	echo "== untrust"
	$HSYS_WRAP "$BUILD/hsys" cert untrust $CA; echo "rc=\$?"
	test -e /usr/local/share/ca-certificates/hsys-$CA.crt || echo "file=no"
	openssl verify -CApath /etc/ssl/certs "$T/leaf.pem" >/dev/null 2>&1 ||
	    echo "verify-after-untrust=fails"
	EOF
	unshare -m --propagation private bash "$ns/run.sh" >"$ns/out" 2>&1
}
if [ "$(id -u)" = 0 ] && [ -d /etc/ssl/certs ] &&
    command -v update-ca-certificates >/dev/null &&
    unshare -m true 2>/dev/null; then
	host_local=$(snapshot /usr/local/share/ca-certificates)
	host_certs=$(snapshot /etc/ssl/certs)
	host_conf=$(sha256sum /etc/ca-certificates.conf)
	real_store_test
	t_grep "real store: trust succeeded" "^rc=0" "$T/ns/out"
	t_grep "real store: this host's Root store was added to" \
	    "^Added to LocalMachine\\\\Root$" "$T/ns/out"
	t_grep "real store: and removed from" \
	    "^Removed from LocalMachine\\\\Root$|^Not in LocalMachine\\\\Root$" "$T/ns/out"
	t_grep "real store: the file was placed" "^file=yes$" "$T/ns/out"
	t_grep "real store: openssl -CApath trusts the leaf" \
	    "^verify-after-trust=ok$" "$T/ns/out"
	t_grep "real store: ran update-ca-certificates" \
	    "^Ran update-ca-certificates$" "$T/ns/out"
	t_grep "real store: ran it --fresh on untrust" \
	    "^Ran update-ca-certificates --fresh$" "$T/ns/out"
	t_grep "real store: hsys cert verify uses the system's trust" \
	    "^hsys-verify-by-system=ok$" "$T/ns/out"
	t_nogrep "real store: untrust succeeded" "^rc=[1-9]" "$T/ns/out"
	t_grep "real store: the file was removed" "^file=no$" "$T/ns/out"
	t_grep "real store: openssl -CApath no longer trusts it" \
	    "^verify-after-untrust=fails$" "$T/ns/out"
	t_eq "host: /usr/local/share/ca-certificates unchanged" \
	    "$(snapshot /usr/local/share/ca-certificates)" "$host_local"
	t_eq "host: /etc/ssl/certs unchanged" "$(snapshot /etc/ssl/certs)" \
	    "$host_certs"
	t_eq "host: /etc/ca-certificates.conf unchanged" \
	    "$(sha256sum /etc/ca-certificates.conf)" "$host_conf"
else
	echo "ok - cert_trust: real Debian store # SKIP needs root, unshare and update-ca-certificates"
fi
t_done
