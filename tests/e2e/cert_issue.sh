# cert_issue — hsys cert new-selfsigned, new-ca, request and accept, checked
# with the openssl command line: certificate contents, thumbprints, chains
# and name constraints (openssl verify), a real TLS handshake (s_server and
# s_client), the request/accept round trip through a CA made by openssl, and
# bad input that must leave the store as it was.
. "$(dirname "$0")/lib.sh"

DB=$HSYS_HOME/hsys.db

# The thumbprint in the table hsys printed last.
thumb() { sed -n 's/^\([0-9A-F]\{40\}\)  .*/\1/p' "$T/out" | head -1; }
# A certificate of the store as PEM, and the key of one in My.
cert_pem() {
	sqlite3 "$DB" "select hex(der) from cert where thumbprint='$1' \
	    and store='${3:-My}'" | xxd -r -p | openssl x509 -inform DER -out "$2"
}
key_pem() {
	store_sql "select hex(k.der) from key k join cert c on \
	    c.key_id=k.id where c.thumbprint='$1' and c.store='My'" |
	    xxd -r -p | openssl pkey -inform DER -out "$2"
}
text() { openssl x509 -in "$1" -text -noout >"$T/text"; }
sql() { store_sql "$1"; }

# A command that must fail with CODE and a message matching PATTERN, and
# leave the store exactly as it was.
t_bad() {
	local what=$1 code=$2 pat=$3 before
	shift 3
	before=$(store_dump)
	t_fail "$what" "$code" "$@"
	t_grep "$what: says why" "$pat" "$T/err"
	t_eq "$what: store unchanged" "$(store_dump)" "$before"
}

# --- new-selfsigned: the defaults ---------------------------------------
t_ok "new-selfsigned" $HSYS cert new-selfsigned --dns-name www.example.test
t_grep "table names the store" 'Store: LocalMachine\\My' "$T/out"
t_grep "table has the subject" '^[0-9A-F]{40}  CN=www\.example\.test$' "$T/out"
SS=$(thumb)
cert_pem "$SS" "$T/ss.pem"
fp=$(openssl x509 -in "$T/ss.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
t_eq "thumbprint is the SHA-1 fingerprint" "$SS" "$fp"
text "$T/ss.pem"
t_grep "v3" 'Version: 3 \(0x2\)' "$T/text"
t_grep "ECDSA with SHA-256" 'Signature Algorithm: ecdsa-with-SHA256' "$T/text"
t_grep "P-256 key" 'NIST CURVE: P-256' "$T/text"
t_grep "subject CN=first name" 'Subject: CN ?= ?www\.example\.test$' "$T/text"
t_grep "self-signed" 'Issuer: CN ?= ?www\.example\.test$' "$T/text"
t_grep "SAN" 'DNS:www\.example\.test$' "$T/text"
t_grep "basicConstraints critical" 'Basic Constraints: critical' "$T/text"
t_grep "CA:FALSE" 'CA:FALSE' "$T/text"
t_grep "keyUsage critical" 'Key Usage: critical' "$T/text"
t_grep "digitalSignature only for EC" '^ +Digital Signature$' "$T/text"
t_grep "serverAuth" 'TLS Web Server Authentication$' "$T/text"
t_grep "SKI" 'Subject Key Identifier' "$T/text"
t_nogrep "no AKI when self-signed" 'Authority Key Identifier' "$T/text"
serial=$(openssl x509 -in "$T/ss.pem" -noout -serial | sed 's/serial=//')
t_grep "serial: positive, 128 bits" '^[0-7][0-9A-F]{31}$' <(echo "$serial")
openssl x509 -in "$T/ss.pem" -noout -checkend $((364 * 86400)) >/dev/null
t_eq "valid for 365 days (not ending within 364)" $? 0
openssl x509 -in "$T/ss.pem" -noout -checkend $((366 * 86400)) >/dev/null
t_eq "valid for 365 days (ending within 366)" $? 1
nb=$(date -d "$(openssl x509 -in "$T/ss.pem" -noout -startdate | sed 's/.*=//')" +%s)
skew=$(($(date +%s) - nb))
t_eq "notBefore a few minutes back" "$([ $skew -ge 290 ] && [ $skew -le 400 ] && echo yes)" yes
t_eq "key kept with it" "$(sql "select key_id is not null from cert where thumbprint='$SS'")" 1
t_eq "not in Root" "$(sql "select count(*) from cert where store<>'My'")" 0

# --- every key type ------------------------------------------------------
for kt in ec-p384 rsa-2048 rsa-3072 rsa-4096; do
	t_ok "--key $kt" $HSYS cert new-selfsigned --dns-name "$kt.example.test" --key "$kt"
	cert_pem "$(thumb)" "$T/$kt.pem"
	text "$T/$kt.pem"
	case $kt in
	ec-p384)
		t_grep "$kt: P-384" 'NIST CURVE: P-384' "$T/text"
		t_grep "$kt: SHA-384" 'Signature Algorithm: ecdsa-with-SHA384' "$T/text" ;;
	rsa-*)
		t_grep "$kt: bits" "Public-Key: \(${kt#rsa-} bit\)" "$T/text"
		t_grep "$kt: SHA-256" 'Signature Algorithm: sha256WithRSAEncryption' "$T/text"
		t_grep "$kt: keyEncipherment" 'Digital Signature, Key Encipherment' "$T/text" ;;
	esac
	key_pem "$(thumb)" "$T/$kt.key"
	t_eq "$kt: the stored key matches" \
	    "$(openssl pkey -in "$T/$kt.key" -pubout | sha256sum)" \
	    "$(openssl x509 -in "$T/$kt.pem" -noout -pubkey | sha256sum)"
done

# --- validity, addresses, wildcards, subjects -----------------------------
t_ok "--days 30" $HSYS cert new-selfsigned --dns-name days.example.test --days 30
cert_pem "$(thumb)" "$T/days.pem"
openssl x509 -in "$T/days.pem" -noout -checkend $((29 * 86400)) >/dev/null
t_eq "--days 30: still valid in 29 days" $? 0
openssl x509 -in "$T/days.pem" -noout -checkend $((31 * 86400)) >/dev/null
t_eq "--days 30: ended in 31 days" $? 1

t_ok "--not-after DATE" $HSYS cert new-selfsigned --dns-name na.example.test --not-after 2030-01-02
cert_pem "$(thumb)" "$T/na.pem"
t_eq "--not-after DATE: midnight UTC" \
    "$(openssl x509 -in "$T/na.pem" -noout -enddate)" "notAfter=Jan  2 00:00:00 2030 GMT"
t_ok "--not-after DATETIME" $HSYS cert new-selfsigned --dns-name nat.example.test --not-after 2031-06-30T12:34:56Z
cert_pem "$(thumb)" "$T/nat.pem"
t_eq "--not-after DATETIME: exact" \
    "$(openssl x509 -in "$T/nat.pem" -noout -enddate)" "notAfter=Jun 30 12:34:56 2031 GMT"
t_ok "--not-after past 2049 (GeneralizedTime)" $HSYS cert new-selfsigned --dns-name far.example.test --not-after 2060-01-01
cert_pem "$(thumb)" "$T/far.pem"
t_eq "--not-after 2060" "$(openssl x509 -in "$T/far.pem" -noout -enddate)" "notAfter=Jan  1 00:00:00 2060 GMT"

t_ok "--ip" $HSYS cert new-selfsigned --dns-name ip.example.test --ip 127.0.0.1 --ip ::1
cert_pem "$(thumb)" "$T/ip.pem"
text "$T/ip.pem"
t_grep "--ip: IPv4 and IPv6 in the SAN" 'DNS:ip\.example\.test, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1' "$T/text"
t_ok "--ip alone" $HSYS cert new-selfsigned --ip 192.0.2.7
t_grep "--ip alone: CN=the address" '  CN=192\.0\.2\.7$' "$T/out"

t_ok "wildcard" $HSYS cert new-selfsigned --dns-name '*.example.test' --dns-name example.test
cert_pem "$(thumb)" "$T/wild.pem"
text "$T/wild.pem"
t_grep "wildcard in the SAN" 'DNS:\*\.example\.test, DNS:example\.test' "$T/text"

t_ok "--subject DN (quoted)" $HSYS cert new-selfsigned --dns-name subj.example.test --subject 'CN=Custom Name, O="Example, Inc.", C=US'
t_grep "--subject: table shows it" '  CN=Custom Name, O=Example\\, Inc\., C=US$' "$T/out"
cert_pem "$(thumb)" "$T/subj.pem"
t_eq "--subject: encoded root first" \
    "$(openssl x509 -in "$T/subj.pem" -noout -subject -nameopt oneline)" \
    'subject=C = US, O = "Example, Inc.", CN = Custom Name'
t_ok "--subject /C=../CN=.." $HSYS cert new-selfsigned --dns-name subj2.example.test --subject /C=DE/O=Example/CN=slash.example.test
t_grep "--subject slash form" '  CN=slash\.example\.test, O=Example, C=DE$' "$T/out"
t_ok "--store CurrentUser\\My" $HSYS cert new-selfsigned --dns-name user.example.test --store 'CurrentUser\My'
t_grep "CurrentUser table" 'Store: CurrentUser\\My' "$T/out"
t_eq "CurrentUser store has it" "$(sqlite3 "$HSYS_HOME/user/hsys.db" "select count(*) from cert where key_id is not null")" 1

# --- a CA and certificates it issues -----------------------------------------
t_ok "new-ca" $HSYS cert new-ca --name "hsys Test CA"
CA=$(thumb)
t_grep "new-ca: table" "^$CA  CN=hsys Test CA$" "$T/out"
t_grep "new-ca: says it is not trusted" 'NOT trusted.*hsys cert trust' "$T/out"
t_eq "new-ca: in My with its key" "$(sql "select store || key_id from cert where thumbprint='$CA'" | sed 's/[0-9]*$//')" My
t_eq "new-ca: nowhere else" "$(sql "select count(*) from cert where thumbprint='$CA'")" 1
cert_pem "$CA" "$T/ca.pem"
text "$T/ca.pem"
t_grep "new-ca: CA:TRUE" 'CA:TRUE' "$T/text"
t_grep "new-ca: key usage" 'Digital Signature, Certificate Sign, CRL Sign' "$T/text"
openssl x509 -in "$T/ca.pem" -noout -checkend $((3649 * 86400)) >/dev/null
t_eq "new-ca: ten years" $? 0

t_ok "--signer" $HSYS cert new-selfsigned --dns-name www.example.test --dns-name localhost --signer "$CA"
LEAF=$(thumb)
cert_pem "$LEAF" "$T/leaf.pem"
key_pem "$LEAF" "$T/leaf.key"
text "$T/leaf.pem"
t_grep "--signer: issuer" 'Issuer: CN ?= ?hsys Test CA$' "$T/text"
t_grep "--signer: AKI" 'Authority Key Identifier' "$T/text"
t_ok "--signer: openssl verify" openssl verify -CAfile "$T/ca.pem" "$T/leaf.pem"
t_fail "self-signed is not issued by the CA" 2 openssl verify -CAfile "$T/ca.pem" "$T/ss.pem"
t_ok "--signer with a prefix and rsa" $HSYS cert new-selfsigned --dns-name rsa.example.test --key rsa-2048 --signer "${CA:0:10}"
cert_pem "$(thumb)" "$T/leaf-rsa.pem"
t_ok "--signer rsa: openssl verify" openssl verify -CAfile "$T/ca.pem" "$T/leaf-rsa.pem"

t_ok "new-ca --permit-dns" $HSYS cert new-ca --name "Constrained CA" --key ec-p384 --days 100 --permit-dns example.test
NC=$(thumb)
cert_pem "$NC" "$T/nc.pem"
text "$T/nc.pem"
t_grep "name constraints critical" 'Name Constraints: critical' "$T/text"
t_grep "permitted example.test" 'DNS:example\.test' "$T/text"
t_ok "constrained: inside" $HSYS cert new-selfsigned --dns-name www.example.test --signer "$NC"
cert_pem "$(thumb)" "$T/nc-in.pem"
t_nogrep "constrained: no warning inside" 'warning' "$T/err"
t_ok "constrained: inside verifies" openssl verify -CAfile "$T/nc.pem" "$T/nc-in.pem"
before=$($HSYS cert list --all | wc -l)
t_fail "constrained: outside is refused" 1 $HSYS cert new-selfsigned --dns-name other.test --signer "$NC"
t_grep "constrained: says why, and what to do" 'name constraints do not permit.*--force' "$T/err"
t_eq "constrained: and stores nothing" "$($HSYS cert list --all | wc -l)" "$before"
t_fail "constrained: one name outside among others is refused too" 1 \
    $HSYS cert new-selfsigned --dns-name www.example.test --dns-name other.test --signer "$NC"
t_ok "constrained: outside with --force is made" $HSYS cert new-selfsigned --dns-name other.test --signer "$NC" --force
t_grep "constrained: with a warning" 'warning: .*name constraints.*--force' "$T/err"
cert_pem "$(thumb)" "$T/nc-out.pem"
t_fail "constrained: outside fails verify" 2 openssl verify -CAfile "$T/nc.pem" "$T/nc-out.pem"
t_grep "constrained: a name-constraint error" 'permitted subtree violation' <(cat "$T/out" "$T/err")
t_eq "constrained: default validity fits the CA's" \
    "$(openssl x509 -in "$T/nc-in.pem" -noout -enddate)" "$(openssl x509 -in "$T/nc.pem" -noout -enddate)"
t_grep "P-384 CA signs with SHA-384" 'ecdsa-with-SHA384' <(openssl x509 -in "$T/nc-in.pem" -noout -text)

# --- TLS with the issued certificate ------------------------------------------
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
	    shuf -i 20000-60000 -n 1
}
port=$(free_port)
timeout 60 openssl s_server -quiet -accept "127.0.0.1:$port" -cert "$T/leaf.pem" \
    -key "$T/leaf.key" -www >"$T/server.log" 2>&1 &
server=$!
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
t_ok "TLS: s_client verifies the chain and the name" timeout 20 openssl s_client \
    -connect "127.0.0.1:$port" -servername www.example.test -verify_return_error \
    -CAfile "$T/ca.pem" -verify_hostname www.example.test -brief </dev/null
t_grep "TLS: verification OK" 'Verification: OK' "$T/err"
t_fail "TLS: a name not in the certificate fails" 1 timeout 20 openssl s_client \
    -connect "127.0.0.1:$port" -verify_return_error -CAfile "$T/ca.pem" \
    -verify_hostname nothere.test -brief </dev/null
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null

# --- request and accept ------------------------------------------------------------
# A CA made by openssl: root -> intermediate, which signs the requests.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/oroot.key" -out "$T/oroot.pem" -subj "/CN=OpenSSL Root" \
    -days 30 -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/oint.key" -out "$T/oint.csr" -subj "/CN=OpenSSL Intermediate" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >"$T/ca.ext"
openssl x509 -req -in "$T/oint.csr" -CA "$T/oroot.pem" -CAkey "$T/oroot.key" \
    -set_serial 2 -days 30 -extfile "$T/ca.ext" -out "$T/oint.pem" 2>/dev/null
osign() {
	openssl x509 -req -in "$1" -CA "$T/oint.pem" -CAkey "$T/oint.key" \
	    -set_serial "$RANDOM" -days 20 -copy_extensions copyall -out "$2" 2>/dev/null
}

t_ok "request" $HSYS cert request --dns-name req.example.test --dns-name alt.example.test --ip 10.1.2.3 --out "$T/req.csr"
t_grep "request: says where the CSR went" "$T/req\.csr" "$T/out"
t_grep "request: says the key waits" 'pending request' "$T/out"
t_eq "request: mode 0644" "$(stat -c %a "$T/req.csr")" 644
t_ok "request: openssl req -verify" openssl req -in "$T/req.csr" -verify -noout
openssl req -in "$T/req.csr" -noout -text >"$T/text"
t_grep "request: SANs" 'DNS:req\.example\.test, DNS:alt\.example\.test, IP Address:10\.1\.2\.3' "$T/text"
t_grep "request: subject" 'Subject: CN ?= ?req\.example\.test' "$T/text"
t_eq "request: one pending row" "$(sql "select count(*) from request")" 1
t_nogrep "request: no key in the CSR file" 'PRIVATE' "$T/req.csr"
osign "$T/req.csr" "$T/issued.pem"
cat "$T/issued.pem" "$T/oint.pem" "$T/oroot.pem" >"$T/bundle.pem"
t_ok "accept (PEM with the chain)" $HSYS cert accept "$T/bundle.pem"
ACC=$(thumb)
t_grep "accept: table" '  CN=req\.example\.test$' "$T/out"
t_grep "accept: intermediate reported" 'intermediate CN=OpenSSL Intermediate' "$T/out"
t_grep "accept: root left out" 'root CN=OpenSSL Root' "$T/out"
t_eq "accept: in My with its key" "$(sql "select count(*) from cert where thumbprint='$ACC' and store='My' and key_id is not null")" 1
t_eq "accept: request row gone" "$(sql "select count(*) from request")" 0
t_eq "accept: intermediate in CA" "$(sql "select subject from cert where store='CA'")" "CN=OpenSSL Intermediate"
t_eq "accept: root not in Root" "$(sql "select count(*) from cert where store='Root'")" 0
key_pem "$ACC" "$T/acc.key"
t_eq "accept: the key is the request's" \
    "$(openssl pkey -in "$T/acc.key" -pubout | sha256sum)" \
    "$(openssl req -in "$T/req.csr" -noout -pubkey | sha256sum)"
t_bad "accept twice" 1 'already in LocalMachine\\My' $HSYS cert accept "$T/bundle.pem"

t_ok "request (RSA, --subject)" $HSYS cert request --dns-name der.example.test --key rsa-2048 --subject "CN=der, O=Example" --out "$T/der.csr"
osign "$T/der.csr" "$T/der.pem"
openssl x509 -in "$T/der.pem" -outform DER -out "$T/der.cer"
t_ok "accept (DER)" $HSYS cert accept "$T/der.cer"
t_grep "accept (DER): table" '  CN=der, O=Example$' "$T/out"
t_ok "request (--opt=value)" $HSYS cert request --dns-name=stdin.example.test --out="$T/stdin.csr"
osign "$T/stdin.csr" "$T/stdin.pem"
accept_stdin() { $HSYS cert accept - <"$1"; }
t_ok "accept - (standard input)" accept_stdin "$T/stdin.pem"
t_grep "accept -: table" '  CN=stdin\.example\.test$' "$T/out"
t_ok "request (3)" $HSYS cert request --dns-name p7.example.test --out "$T/p7.csr"
osign "$T/p7.csr" "$T/p7.pem"
openssl crl2pkcs7 -nocrl -certfile "$T/oint.pem" -certfile "$T/p7.pem" -out "$T/p7.p7b"
t_ok "accept (PKCS#7)" $HSYS cert accept "$T/p7.p7b"
t_grep "accept (PKCS#7): table" '  CN=p7\.example\.test$' "$T/out"
t_eq "no request left" "$(sql "select count(*) from request")" 0

# --- bad input: a clear message, non-zero exit, the store unchanged --------------
t_bad "unknown key type" 1 "unknown key type 'dsa'.*ec-p256.*rsa-4096" \
    $HSYS cert new-selfsigned --dns-name x.test --key dsa
t_bad "--days 0" 1 'days.*from 1 to 36500' $HSYS cert new-selfsigned --dns-name x.test --days 0
t_bad "--days -3" 1 'days.*from 1 to 36500' $HSYS cert new-selfsigned --dns-name x.test --days -3
t_bad "--days 36501" 1 'from 1 to 36500' $HSYS cert new-selfsigned --dns-name x.test --days 36501
t_bad "--days abc" 1 "'abc' is not a number" $HSYS cert new-selfsigned --dns-name x.test --days abc
t_bad "--not-after in the past" 1 'in the past' $HSYS cert new-selfsigned --dns-name x.test --not-after 2001-01-01
t_bad "--not-after malformed" 1 'YYYY-MM-DD' $HSYS cert new-selfsigned --dns-name x.test --not-after 01/02/2030
t_bad "--not-after impossible" 1 'not a valid date' $HSYS cert new-selfsigned --dns-name x.test --not-after 2030-02-30
t_bad "--days and --not-after" 1 'not both' $HSYS cert new-selfsigned --dns-name x.test --days 3 --not-after 2030-01-01
t_bad "--not-after past the signer" 1 'after its signer' $HSYS cert new-selfsigned --dns-name www.example.test --signer "$NC" --not-after 2090-01-01
t_bad "bad IPv4" 1 "'1\.2\.3\.999' is not an IPv4" $HSYS cert new-selfsigned --dns-name x.test --ip 1.2.3.999
t_bad "bad IPv6" 1 'not an IPv6' $HSYS cert new-selfsigned --ip 2001:db8::zz
t_bad "bad host name" 1 "'_' is not allowed" $HSYS cert new-selfsigned --dns-name bad_name.test
t_bad "bad wildcard" 1 'leftmost' $HSYS cert new-selfsigned --dns-name 'a.*.test'
t_bad "IP as --dns-name" 1 'give it with --ip' $HSYS cert new-selfsigned --dns-name 10.0.0.1
t_bad "bad DN" 1 'not a distinguished name' $HSYS cert new-selfsigned --dns-name x.test --subject "just words"
t_bad "bad DN (unescaped comma)" 1 "'Inc' is not followed by '='" $HSYS cert new-selfsigned --dns-name x.test --subject "CN=x, O=Example, Inc., C=US"
t_bad "bad DN attribute" 1 "unknown attribute 'XX'" $HSYS cert new-selfsigned --dns-name x.test --subject "CN=x, XX=y"
t_bad "no names" 2 'at least one --dns-name or --ip' $HSYS cert new-selfsigned --days 3
t_bad "unknown option" 2 "unexpected '--colour'" $HSYS cert new-selfsigned --dns-name x.test --colour
t_bad "option without value" 2 '--key needs a value' $HSYS cert new-selfsigned --dns-name x.test --key
t_bad "option twice" 2 '--days is given twice' $HSYS cert new-selfsigned --dns-name x.test --days 1 --days 2
t_bad "--store Root" 1 'not Root.*hsys cert trust' $HSYS cert new-selfsigned --dns-name x.test --store Root
t_bad "signer not found" 1 'no certificate with thumbprint 0123456789' $HSYS cert new-selfsigned --dns-name x.test --signer 0123456789
t_bad "signer not a CA" 1 'is not a CA' $HSYS cert new-selfsigned --dns-name x.test --signer "$SS"
t_ok "a CA to lose its key" $HSYS cert new-ca --name Keyless
KL=$(thumb)
sql "update cert set key_id = null where thumbprint='$KL'; delete from key where id not in (select key_id from cert where key_id is not null) and id not in (select key_id from request)"
t_bad "signer without its key" 1 'no private key' $HSYS cert new-selfsigned --dns-name x.test --signer "$KL"
t_bad "new-ca without --name" 2 '--name' $HSYS cert new-ca --days 3
t_bad "new-ca bad --permit-dns" 1 'permit-dns.*wildcard' $HSYS cert new-ca --name X --permit-dns '*.example.test'
t_bad "new-ca bad --days" 1 'from 1 to 36500' $HSYS cert new-ca --name X --days 0
t_bad "request --out in a missing directory" 1 'cannot write the request to .*missing/dir/x\.csr.*No such file' \
    $HSYS cert request --dns-name x.test --out "$T/missing/dir/x.csr"
t_eq "request: nothing written" "$(ls "$T/missing" 2>&1 | grep -c 'No such')" 1
t_bad "request without --out" 2 '--out' $HSYS cert request --dns-name x.test
t_bad "request bad DN" 1 'not a distinguished name' $HSYS cert request --dns-name x.test --subject "CN" --out "$T/bad.csr"
t_eq "request bad DN: no file" "$([ -e "$T/bad.csr" ] && echo there || echo none)" none
echo "this is not a certificate" >"$T/garbage.txt"
t_bad "accept garbage" 1 'holds no certificate' $HSYS cert accept "$T/garbage.txt"
t_bad "accept a missing file" 1 'cannot open' $HSYS cert accept "$T/nothere.pem"
t_bad "accept without a request" 1 'no pending request has the key of this certificate; was it issued for a request made with hsys cert request on this machine\?' \
    $HSYS cert accept "$T/oroot.pem"
t_bad "accept without FILE" 2 'FILE' $HSYS cert accept
t_bad "accept two files" 2 'unexpected' $HSYS cert accept a b

# --- help ----------------------------------------------------------------------
for c in new-selfsigned new-ca request accept; do
	t_ok "$c --help" $HSYS cert "$c" --help
	t_grep "$c --help: usage" "^usage: hsys cert $c" "$T/out"
done

t_done
