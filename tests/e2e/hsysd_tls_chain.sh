# hsysd_tls_chain — the intermediates a certificate needs, as the one
# chain builder (src/cert/chain.c) finds them in the CA store: hsysd sends
# them after the certificate and cert export adds them; neither includes
# the root, even when the root sits in the CA store too.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
P=$((20000 + RANDOM % 12000))
APPID='{00112233-4455-6677-8899-aabbccddeeff}'

thumb() { openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec root.key; ec int.key; ec leaf.key
openssl req -x509 -new -key root.key -subj "/CN=Chain Test Root" -days 30 \
    -addext basicConstraints=critical,CA:TRUE -out root.pem 2>/dev/null
openssl req -new -key int.key -subj "/CN=Chain Test Intermediate" -out int.csr
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=keyCertSign,cRLSign\n' >ca.ext
openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial \
    -days 30 -extfile ca.ext -out int.pem 2>/dev/null
openssl req -new -key leaf.key -subj "/CN=chain.test" -out leaf.csr
printf 'subjectAltName=DNS:chain.test\nextendedKeyUsage=serverAuth\n' >leaf.ext
openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial \
    -days 30 -extfile leaf.ext -out leaf.pem 2>/dev/null
cat leaf.pem int.pem leaf.key >bundle.pem
LEAF=$(thumb leaf.pem)

t_ok "the leaf and its intermediate import" hsys cert import bundle.pem
t_ok "the root goes to the CA store as well" hsys cert import root.pem --store CA
t_ok "a binding for the leaf" hsys http add sslcert ipport=127.0.0.1:$P \
    certhash=$LEAF appid=$APPID

# export: the leaf and the intermediate, not the root.
t_ok "cert export --pem" hsys cert export "$LEAF" --pem out.pem
t_eq "export: two certificates" "$(grep -c 'BEGIN CERTIFICATE' out.pem)" 2
openssl crl2pkcs7 -nocrl -certfile out.pem | openssl pkcs7 -print_certs \
    -noout >out.subjects 2>&1
t_grep "export: the intermediate" "Chain Test Intermediate" out.subjects
t_nogrep "export: not the root" "subject=.*Chain Test Root" out.subjects

# hsysd: the same two in the handshake.
start_hsysd --workers 1
t_wait "hsysd answers TLS on the binding" 30 sh -c "echo | timeout 5 \
    openssl s_client -connect 127.0.0.1:$P -servername chain.test \
    -showcerts >sent.txt 2>&1 && grep -q 'BEGIN CERTIFICATE' sent.txt"
t_eq "hsysd sends two certificates" \
    "$(grep -c 'BEGIN CERTIFICATE' sent.txt)" 2
t_grep "the second is the intermediate" \
    "^ 1 s:.*CN ?= ?Chain Test Intermediate" sent.txt
t_nogrep "the root is not sent" "^ [0-9] s:.*CN ?= ?Chain Test Root" sent.txt
t_done
