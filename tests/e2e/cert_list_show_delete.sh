# cert_list_show_delete — hsys cert list (table, --long, --json, --all),
# show (details, chain, JSON) and delete (thumbprint forms, ambiguity, key
# removal), and their refusals leaving the store as it was.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
thumb() { openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }
dump() { store_dump; }
json_ok() { python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1"; }
no_sanitizer() { t_nogrep "$1: no sanitizer report" 'Sanitizer|runtime error' "$T/err"; }

ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec root.key; ec int.key; ec leaf.key
openssl req -x509 -new -key root.key -subj "/CN=List Test Root" -days 30 \
    -addext basicConstraints=critical,CA:TRUE -out root.pem 2>/dev/null
openssl req -new -key int.key -subj "/CN=List Test Intermediate" -out int.csr
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=keyCertSign,cRLSign\n' >ca.ext
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial \
    -days 30 -extfile ca.ext -out int.pem 2>/dev/null
# A subject that JSON must escape: a quote, a backslash, non-ASCII.
openssl req -new -key leaf.key -utf8 -subj '/O=Qu"ote\\Back Ünïcode/CN=www.list.test' -out leaf.csr
printf 'subjectAltName=DNS:www.list.test,DNS:*.list.test,IP:192.0.2.7,IP:2001:db8::7,email:ops@list.test,URI:https://list.test/\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' >leaf.ext
openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial \
    -days 30 -extfile leaf.ext -out leaf.pem 2>/dev/null
ROOT=$(thumb root.pem) INT=$(thumb int.pem) LEAF=$(thumb leaf.pem)
cat leaf.pem int.pem leaf.key >chain.pem

# --- an empty store ---------------------------------------------------------
t_ok "list of an empty store" hsys cert list
t_eq "empty: the header and nothing else" "$(grep -c . "$T/out")" 3
t_grep "empty: PowerShell's header" "^Thumbprint +Subject$" "$T/out"
t_ok "list --json of an empty store" hsys cert list --json
t_eq "empty JSON: []" "$(cat "$T/out")" "[]"
t_ok "list --all of an empty location" hsys cert list --all
t_eq "--all: one table per store" "$(grep -c 'Store: LocalMachine' "$T/out")" 4

t_ok "import a chain" hsys cert import chain.pem

# --- list ---------------------------------------------------------------------
t_ok "list" hsys cert list
t_grep "list: the leaf row" "^$LEAF +CN=www.list.test" "$T/out"
t_grep "list: the store line" "^   Store: LocalMachine\\\\My$" "$T/out"
t_nogrep "list: My only" "$INT" "$T/out"
t_ok "list CA by its PowerShell path" hsys cert list 'cert:\localmachine\ca'
t_grep "list CA: the intermediate" "^$INT " "$T/out"
t_ok "list --all" hsys cert list --all
t_grep "--all: the leaf" "^$LEAF " "$T/out"
t_grep "--all: the intermediate" "^$INT " "$T/out"
t_ok "list LocalMachine (a whole location)" hsys cert list LocalMachine
t_grep "location: every store" "Store: LocalMachine\\\\WebHosting" "$T/out"
t_ok "list --long" hsys cert list --long
t_grep "--long: columns" "^Thumbprint +NotAfter +Key +Subject +DnsNameList" "$T/out"
t_grep "--long: expiry, key and names" "^$LEAF +[0-9]{4}-[0-9]{2}-[0-9]{2} +Yes .*www.list.test, \*.list.test" "$T/out"
t_ok "list --all --json" hsys cert list --all --json
cp "$T/out" all.json
t_ok "--json is valid JSON" json_ok all.json
t_ok "--json fields" python3 -c '
import json, sys
a = json.load(open("all.json"))
leaf = [c for c in a if c["thumbprint"] == sys.argv[1]][0]
assert leaf["store"] == "My" and leaf["location"] == "LocalMachine"
assert leaf["has_private_key"] is True
assert leaf["dns_names"] == ["www.list.test", "*.list.test"]
# RFC 2253 escapes the quote and the backslash; JSON escapes them again.
assert leaf["subject"] == "CN=www.list.test, O=Qu\\\"ote\\\\Back \u00dcn\u00efcode", leaf["subject"]
assert leaf["not_after"].endswith("Z") and "T" in leaf["not_before"]
assert len(leaf["sha256"]) == 64
ca = [c for c in a if c["thumbprint"] == sys.argv[2]][0]
assert ca["store"] == "CA" and ca["has_private_key"] is False
' "$LEAF" "$INT"
t_ok "list CurrentUser: its own, empty store" hsys cert list CurrentUser\\My --json
t_eq "CurrentUser: empty" "$(cat "$T/out")" "[]"
t_fail "list of an unknown store" 2 hsys cert list Trust
t_grep "unknown store: says so" "unknown certificate store" "$T/err"

# --- show ----------------------------------------------------------------------
lower=$(echo "$LEAF" | tr A-F a-f | sed 's/../&:/g; s/:$//')
t_ok "show by a lower-case thumbprint with colons" hsys cert show "$lower"
t_grep "show: thumbprint" "^Thumbprint: +$LEAF$" "$T/out"
t_grep "show: SHA-256" "^SHA-256: +[0-9A-F]{64}$" "$T/out"
t_grep "show: subject" "^Subject: +CN=www.list.test" "$T/out"
t_grep "show: issuer" "^Issuer: +CN=List Test Intermediate$" "$T/out"
t_grep "show: serial in hex" "^Serial number: +[0-9A-F]+$" "$T/out"
t_grep "show: DNS names" "^DNS names: +www.list.test, \*.list.test$" "$T/out"
t_grep "show: IP addresses" "^IP addresses: +192.0.2.7, 2001:db8::7$" "$T/out"
t_grep "show: email" "^Email addresses: +ops@list.test$" "$T/out"
t_grep "show: URI" "^URIs: +https://list.test/$" "$T/out"
t_grep "show: key" "^Public key: +EC P-256$" "$T/out"
t_grep "show: key usage" "^Key usage: +Digital Signature \(critical\)$" "$T/out"
t_grep "show: EKU" "^Extended key usage: +TLS Web Server Authentication, TLS Web Client Authentication$" "$T/out"
t_grep "show: basic constraints" "^Basic constraints: +CA:FALSE$" "$T/out"
t_grep "show: private key" "^Private key: +yes" "$T/out"
t_grep "show: chain link 0" "^  0  $LEAF  CN=www.list.test" "$T/out"
t_grep "show: chain link 1" "^  1  $INT  CN=List Test Intermediate" "$T/out"
t_grep "show: where the chain stops" "not trusted: stops at CN=List Test Intermediate; its issuer CN=List Test Root" "$T/out"
t_ok "trust the root by importing it alone" hsys cert import root.pem --store Root
t_ok "show by an 8-digit prefix" hsys cert show "${LEAF:0:8}"
t_grep "show: the chain now reaches the root" "^  2  $ROOT  CN=List Test Root" "$T/out"
t_grep "show: trusted" "ends at a trusted root" "$T/out"
t_ok "show --json" hsys cert show "$LEAF" --json
cp "$T/out" show.json
t_ok "show --json: fields" python3 -c '
import json, sys
c = json.load(open("show.json"))
assert c["thumbprint"] == sys.argv[1]
assert c["ip_addresses"] == ["192.0.2.7", "2001:db8::7"]
assert c["emails"] == ["ops@list.test"] and c["uris"] == ["https://list.test/"]
assert c["extended_key_usage"] == ["serverAuth", "clientAuth"]
assert c["ca"] is False and c["public_key"] == "EC P-256"
assert [l["thumbprint"] for l in c["chain"]] == sys.argv[1:4]
assert c["chain_trusted"] is True
' "$LEAF" "$INT" "$ROOT"
t_ok "show the root from Root" hsys cert show "$ROOT" --store Root
t_grep "root: CA" "^Basic constraints: +CA:TRUE" "$T/out"
t_fail "show of a missing thumbprint" 1 hsys cert show 0123456789abcdef
t_grep "missing: says so" "no certificate with thumbprint 0123456789ABCDEF" "$T/err"
t_fail "show of a short prefix" 1 hsys cert show 1234567
t_fail "show without a thumbprint" 2 hsys cert show

# --- ambiguity: a forged twin row shares all but the last digit -------------
sqlite3 "$HSYS_HOME/hsys.db" "INSERT INTO cert (store, thumbprint, sha256,
    subject, issuer, not_before, not_after, pubhash, der, added)
    SELECT 'WebHosting', substr(thumbprint, 1, 39) ||
    CASE WHEN substr(thumbprint, 40) = '0' THEN '1' ELSE '0' END,
    sha256, 'CN=twin.test', issuer, not_before, not_after, pubhash, der, added
    FROM cert WHERE thumbprint = '$LEAF' AND store = 'My'"
before=$(dump)
t_fail "show of an ambiguous prefix" 1 hsys cert show "${LEAF:0:12}"
t_grep "ambiguous: lists both" "ambiguous.*CN=twin.test" "$T/err"
t_fail "delete of an ambiguous prefix" 1 hsys cert delete "${LEAF:0:12}"
t_grep "delete ambiguous: says so" "ambiguous" "$T/err"
no_sanitizer "ambiguous"
t_eq "ambiguous delete: store unchanged" "$(dump)" "$before"

# --- refusals leave the store as it was ---------------------------------------
t_fail "delete as nobody in a root-owned store" 1 setpriv --reuid=65534 \
    --regid=65534 --clear-groups $HSYS_WRAP "$BUILD/hsys" cert delete "$LEAF"
t_grep "nobody: says so" "cannot (write|open) the store" "$T/err"
no_sanitizer nobody
t_eq "nobody: store unchanged" "$(dump)" "$before"
t_fail "delete from an unknown store" 2 hsys cert delete "$LEAF" --store Trust
t_fail "delete from the wrong store" 1 hsys cert delete "$LEAF" --store CA
t_eq "refusals: store unchanged" "$(dump)" "$before"

# --- delete -----------------------------------------------------------------------
t_ok "delete the twin" hsys cert delete "${LEAF:0:39}" --store WebHosting
t_ok "delete the leaf" hsys cert delete "$LEAF"
t_grep "delete: says what and where" "^Deleted $LEAF \(CN=www.list.test.*\) from LocalMachine\\\\My, with its private key.$" "$T/out"
t_fail "delete again" 1 hsys cert delete "$LEAF"
t_grep "delete again: not found" "no certificate with thumbprint $LEAF" "$T/err"
t_eq "the key went with its last user" "$(store_sql 'SELECT count(*) FROM key')" 0
t_ok "delete the intermediate by prefix" hsys cert delete "${INT:0:10}"
t_grep "delete: from CA" "from LocalMachine\\\\CA" "$T/out"
t_ok "list --all --json after deleting" hsys cert list --all --json
t_grep "only the root is left" "\"$ROOT\"" "$T/out"
t_nogrep "the leaf is gone" "$LEAF" "$T/out"

# --- a damaged store file -------------------------------------------------------
head -c 8192 /dev/urandom >"$HSYS_HOME/hsys.db"
cp "$HSYS_HOME/hsys.db" garbage.db
t_fail "list of a damaged store" 1 hsys cert list
t_grep "damaged: says so" "is damaged.*restore it" "$T/err"
no_sanitizer "damaged list"
t_fail "delete in a damaged store" 1 hsys cert delete "$ROOT"
t_ok "damaged: the file is untouched" cmp "$HSYS_HOME/hsys.db" garbage.db

for c in list show delete; do
	t_ok "$c --help" hsys cert $c --help
	t_grep "$c --help: usage" "^usage: hsys cert $c" "$T/out"
done
t_fail "an unknown option" 2 hsys cert list --bogus
t_grep "unknown option: named" "unknown option '--bogus'" "$T/err"

t_done
