# certs.sh — puts test certificates straight into the store with sqlite3,
# for tests that need certificates before `hsys cert import` exists.
# Source it after lib.sh:
#
#   . "$(dirname "$0")/lib/certs.sh"
#   thumb=$(certs_add www.example.test)             # LocalMachine\My, with key
#   thumb=$(certs_add nokey.test My nokey)          # without its private key
#   thumb=$(certs_add old.test My expired)          # not_after in the past
#   thumb=$(certs_add client.test My clientauth)    # EKU clientAuth only
#   thumb=$(certs_add root.test Root)               # another store
#
# Rows follow src/cert/schema.c: thumbprint = uppercase SHA-1 hex of the DER,
# sha256 likewise, pubhash = lowercase hex SHA-256 of the DER
# SubjectPublicKeyInfo, key.der = unencrypted PKCS#8 DER.

_certs_hex() { od -An -v -tx1 | tr -d ' \n'; }

# Makes sure the store exists (a harmless write creates it).
certs_init() {
	[ -f "$HSYS_HOME/hsys.db" ] ||
	    "$BUILD/hsys" http delete timeout timeouttype=headerwaittimeout \
	    >/dev/null 2>&1
}

certs_add() {
	local cn=$1 store=${2:-My} flag=${3:-} d
	d=$(mktemp -d "$T/cert.XXXXXX")
	certs_init
	local ext="extendedKeyUsage=serverAuth"
	[ "$flag" = clientauth ] && ext="extendedKeyUsage=clientAuth"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$d/key.pem" -out "$d/cert.pem" -subj "/CN=$cn" -days 30 \
	    -addext "$ext" 2>/dev/null || return 1
	openssl x509 -in "$d/cert.pem" -outform DER -out "$d/cert.der"
	openssl pkcs8 -topk8 -nocrypt -in "$d/key.pem" -outform DER \
	    -out "$d/key.der"
	openssl x509 -in "$d/cert.pem" -pubkey -noout |
	    openssl pkey -pubin -outform DER -out "$d/pub.der"
	local thumb sha pub now na keyid=NULL
	thumb=$(sha1sum <"$d/cert.der" | cut -c1-40 | tr a-f A-F)
	sha=$(sha256sum <"$d/cert.der" | cut -c1-64 | tr a-f A-F)
	pub=$(sha256sum <"$d/pub.der" | cut -c1-64)
	now=$(date +%s)
	na=$((now + 30 * 86400))
	[ "$flag" = expired ] && na=$((now - 86400))
	if [ "$flag" != nokey ]; then
		keyid="(SELECT id FROM key WHERE pubhash = '$pub')"
		store_sql "INSERT INTO key (pubhash, der)
		    VALUES ('$pub', X'$(_certs_hex <"$d/key.der")')" || return 1
	fi
	store_sql "INSERT INTO cert (store, thumbprint,
	    sha256, subject, issuer, not_before, not_after, pubhash, der,
	    key_id, added) VALUES ('$store', '$thumb', '$sha', 'CN=$cn',
	    'CN=$cn', $((now - 3600)), $na, '$pub',
	    X'$(_certs_hex <"$d/cert.der")', $keyid, $now)" || return 1
	rm -rf "$d"
	echo "$thumb"
}
