# certfix.sh — certificate fixtures for the end-to-end tests. Source it
# after lib.sh:
#
#   . "$(dirname "$0")/lib/certfix.sh"
#   certfix_init                            # creates the (empty) store
#   certfix_root  P CN                      # P.pem, P.key: a root CA
#   certfix_issue P CN ISSUER [OPTS...]     # P.pem, P.key signed by ISSUER
#       OPTS: ca | eku=VALUE | ku=VALUE | san=VALUE | nosan | rsa=BITS |
#             md=sha1 | start=YYYYMMDDHHMMSSZ | end=YYYYMMDDHHMMSSZ
#   certfix_add STORE CERT.pem [KEY.pem]    # puts it in LocalMachine\STORE
#   certfix_thumb CERT.pem                  # prints its thumbprint
#
# The store has no import command on this branch, so certificates go in
# with the sqlite3 shell, in the rows certstore.c writes (see schema.c).
# When 'hsys cert import' exists, certfix_add can become a call to it.

certfix_db() { echo "$HSYS_HOME/hsys.db"; }

# Any hsys command that opens the store for writing creates and migrates
# it; trust of an unknown prefix does, then fails before acting.
certfix_init() {
	"$BUILD/hsys" cert trust 00000000 >/dev/null 2>&1
	[ -f "$(certfix_db)" ] || { echo "certfix: no store" >&2; return 1; }
}

certfix_thumb() {
	openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'
}

_certfix_sha256() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g'
}

_certfix_epoch() {
	date -u -d "$(openssl x509 -in "$1" -noout "-$2" | sed 's/.*=//')" +%s
}

_certfix_pubhash() {
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER |
	    sha256sum | cut -d' ' -f1
}

_certfix_name() {
	openssl x509 -in "$1" -noout "-$2" -nameopt RFC2253 |
	    sed 's/^[a-z]*=//; s/,/, /g'
}

certfix_add() {
	local store=$1 cert=$2 key=${3:-} der=$T/.certfix.der kder=$T/.certfix.key
	local keysql="NULL" hash
	hash=$(_certfix_pubhash "$cert")
	openssl x509 -in "$cert" -outform DER -out "$der" || return 1
	if [ -n "$key" ]; then
		openssl pkcs8 -topk8 -nocrypt -in "$key" -outform DER \
		    -out "$kder" || return 1
		store_sql "INSERT OR IGNORE INTO key (pubhash, der)
		    VALUES ('$hash', readfile('$kder'));" || return 1
		keysql="(SELECT id FROM key WHERE pubhash = '$hash')"
		rm -f "$kder"
	fi
	store_sql "INSERT INTO cert (store, thumbprint, sha256,
	    subject, issuer, not_before, not_after, pubhash, der, key_id, added)
	    VALUES ('$store', '$(certfix_thumb "$cert")',
	    '$(_certfix_sha256 "$cert")', '$(_certfix_name "$cert" subject)',
	    '$(_certfix_name "$cert" issuer)', $(_certfix_epoch "$cert" startdate),
	    $(_certfix_epoch "$cert" enddate), '$hash', readfile('$der'),
	    $keysql, strftime('%s', 'now'));"
}

certfix_root() {
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$1.key" -out "$1.pem" -subj "/CN=$2" -days 3650 \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# A certificate signed by ISSUER (ISSUER.pem, ISSUER.key), through
# 'openssl ca' so that the dates can be anywhere.
certfix_issue() {
	local p=$1 cn=$2 issuer=$3 dir=$T/.certfix-ca; shift 3
	local keyopt="-newkey ec -pkeyopt ec_paramgen_curve:P-256" md=sha256
	local start="" end="" san="DNS:$cn" ext
	ext="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth"
	for o in "$@"; do
		case $o in
		ca) ext="basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign"; san="" ;;
		eku=*) ext=$(printf '%s\n' "$ext" | grep -v extendedKeyUsage)
			ext="$ext
extendedKeyUsage=${o#eku=}" ;;
		ku=*) ext=$(printf '%s\n' "$ext" | grep -v '^keyUsage')
			ext="$ext
keyUsage=${o#ku=}" ;;
		san=*) san=${o#san=} ;;
		nosan) san="" ;;
		rsa=*) keyopt="-newkey rsa:${o#rsa=}" ;;
		md=*) md=${o#md=} ;;
		start=*) start="-startdate ${o#start=}" ;;
		end=*) end="-enddate ${o#end=}" ;;
		esac
	done
	[ -n "$san" ] && ext="$ext
subjectAltName=$san"
	rm -rf "$dir"; mkdir -p "$dir"; : >"$dir/index.txt"
	printf '%s\n' "$ext" >"$dir/ext"
	cat >"$dir/cnf" <<-EOF
	[ca]
	default_ca = c
	[c]
	database = $dir/index.txt
	new_certs_dir = $dir
	serial = $dir/serial
	default_days = 365
	default_md = $md
	policy = p
	unique_subject = no
	[p]
	commonName = supplied
	EOF
	openssl rand -hex 8 >"$dir/serial"
	# shellcheck disable=SC2086
	openssl req -new $keyopt -nodes -keyout "$p.key" -out "$dir/csr" \
	    -subj "/CN=$cn" 2>/dev/null || return 1
	# shellcheck disable=SC2086
	openssl ca -batch -config "$dir/cnf" -cert "$issuer.pem" \
	    -keyfile "$issuer.key" -in "$dir/csr" -out "$p.pem" -notext \
	    -extfile "$dir/ext" $start $end >/dev/null 2>&1 || return 1
	rm -rf "$dir"
}
