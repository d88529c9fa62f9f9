# The REQUEST store: pending requests from 'hsys cert request' are listed
# (hsys cert list REQUEST, as dir cert:\LocalMachine\REQUEST) and removed
# with their keys (hsys cert delete T --store REQUEST); accept still
# completes the ones that remain.
. "$(dirname "$0")/lib.sh"

t_ok "an empty REQUEST store" $HSYS cert list REQUEST
t_grep "says none" '^\(none\)$' "$T/out"
t_ok "request one" $HSYS cert request --dns-name a.test --dns-name b.test \
    --ip 127.0.0.1 --out "$T/a.csr"
t_ok "request another" $HSYS cert request --dns-name c.test --out "$T/c.csr"
A=$(openssl req -in "$T/a.csr" -outform der | sha1sum | cut -c1-40 | tr a-f A-F)
C=$(openssl req -in "$T/c.csr" -outform der | sha1sum | cut -c1-40 | tr a-f A-F)
t_ok "list REQUEST" $HSYS cert list REQUEST
t_grep "lists the first by its CSR's SHA-1, with its names" \
    "^$A  [0-9T:-]+Z  CN=a\\.test \\(DNS:a\\.test, DNS:b\\.test, IP:127\\.0\\.0\\.1\\)$" \
    "$T/out"
t_grep "and the second" "^$C .*CN=c\\.test" "$T/out"
t_ok "cert:\\LocalMachine\\REQUEST --json" $HSYS cert list \
    'cert:\LocalMachine\REQUEST' --json
cp "$T/out" "$T/json"
t_ok "the JSON holds both" /usr/bin/python3 -c "
import json
d = json.load(open('$T/json'))
assert [r['thumbprint'] for r in d] == ['$A', '$C'], d
assert d[0]['names'] == 'DNS:a.test, DNS:b.test, IP:127.0.0.1', d
"
keys=$(store_sql "SELECT count(*) FROM key")
t_ok "delete the first by a prefix" $HSYS cert delete "${A:0:10}" \
    --store REQUEST
t_grep "says so" "^Deleted the pending request $A .*with its private key" \
    "$T/out"
t_eq "its key went with it" \
    "$(store_sql "SELECT count(*) FROM key")" $((keys - 1))
t_ok "list again" $HSYS cert list REQUEST
t_nogrep "it is gone" "^$A" "$T/out"
t_fail "an unknown request" 1 $HSYS cert delete 00000000 --store REQUEST
t_grep "says where to look" "no pending request 00000000 .*'hsys cert list REQUEST'" \
    "$T/err"

# The one left is completed by accept as before.
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -subj /CN=ca -days 2 2>/dev/null
openssl x509 -req -in "$T/c.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -out "$T/c.pem" -days 2 -copy_extensions copy 2>/dev/null
t_ok "accept the other" $HSYS cert accept "$T/c.pem"
t_ok "list REQUEST" $HSYS cert list REQUEST
t_grep "and REQUEST is empty" '^\(none\)$' "$T/out"
t_done
