# hsys cert verify: a good chain passes; each problem is named on its own
# line and makes the exit status 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/certfix.sh"

certfix_init
certfix_root "$T/root" "Verify Root"
certfix_root "$T/other" "Untrusted Root"
certfix_issue "$T/int" "Verify Intermediate" "$T/root" ca
certfix_add Root "$T/root.pem"
certfix_add CA "$T/int.pem"
certfix_add CA "$T/other.pem"

# leaf NAME CN ISSUER [OPTS]: makes it, adds it with its key, sets $NAME.
leaf() {
	local name=$1 cn=$2 issuer=$3; shift 3
	certfix_issue "$T/$name" "$cn" "$T/$issuer" "$@" || return 1
	certfix_add My "$T/$name.pem" "$T/$name.key"
	eval "$name=$(certfix_thumb "$T/$name.pem")"
}

leaf good www.verify.test int
leaf expired old.verify.test int start=20200101000000Z end=20210101000000Z
leaf future new.verify.test int start=20991231000000Z end=21001231000000Z
leaf soon soon.verify.test int \
    end=$(date -u -d '+10 days' +%Y%m%d%H%M%SZ)
leaf client client.verify.test int eku=clientAuth
leaf weak weak.verify.test int rsa=1024
leaf sha1 sha1.verify.test int md=sha1
leaf stranger www.verify.test other
certfix_issue "$T/nokey" nokey.verify.test "$T/int"
certfix_add My "$T/nokey.pem"
nokey=$(certfix_thumb "$T/nokey.pem")
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/self.key" -out "$T/self.pem" -subj /CN=self.verify.test \
    -days 30 -addext subjectAltName=DNS:self.verify.test 2>/dev/null
certfix_add My "$T/self.pem" "$T/self.key"
self=$(certfix_thumb "$T/self.pem")

t_ok "a good chain through the CA store to the Root store" \
    $HSYS cert verify "$good" --dns-name www.verify.test
t_grep "says usable" "^usable for HTTPS$" "$T/out"
t_nogrep "with no problem" "^(problem|warning):" "$T/out"
t_ok "an IP address is not in it, but no name was asked" \
    $HSYS cert verify "$good"

t_fail "wrong name" 1 $HSYS cert verify "$good" --dns-name www.other.test
t_grep "names the name" "^problem: the name www.other.test is not in" \
    "$T/out"
t_grep "says not usable" "^NOT usable for HTTPS$" "$T/out"
t_fail "wrong IP address" 1 $HSYS cert verify "$good" --dns-name 192.0.2.1
t_grep "names the address" "^problem: the IP address 192.0.2.1" "$T/out"

t_fail "expired" 1 $HSYS cert verify "$expired"
t_grep "says expired" "^problem: expired on 2021-01-01" "$T/out"
t_fail "not yet valid" 1 $HSYS cert verify "$future"
t_grep "says not valid yet" "^problem: not valid yet: valid from 2099" \
    "$T/out"
t_ok "expiring soon is a warning" $HSYS cert verify "$soon"
t_grep "warns" "^warning: expires in (9|10) days" "$T/out"

t_fail "no serverAuth" 1 $HSYS cert verify "$client"
t_grep "says serverAuth" "^problem: the extended key usage does not" \
    "$T/out"
t_fail "RSA 1024" 1 $HSYS cert verify "$weak"
t_grep "says weak" "^problem: the key \(RSA 1024\) is weak" "$T/out"
t_fail "SHA-1 signature" 1 $HSYS cert verify "$sha1"
t_grep "says SHA-1" "^problem: the certificate is signed with SHA1" \
    "$T/out"
t_fail "no private key" 1 $HSYS cert verify "$nokey"
t_grep "says no key" "^problem: the store has no private key" "$T/out"
t_fail "a root only in the CA store is no anchor" 1 \
    $HSYS cert verify "$stranger"
t_grep "says no chain" "^problem: no chain to a trusted root" "$T/out"
t_fail "self-signed and not trusted" 1 $HSYS cert verify "$self"
t_grep "suggests trust" "hsys cert trust" "$T/out"

# Trusting it by putting it in the Root store (what cert trust does).
certfix_add Root "$T/self.pem"
t_ok "self-signed in the Root store" $HSYS cert verify "$self" --store My \
    --dns-name self.verify.test
t_fail "one line per problem" 1 $HSYS cert verify "$weak" \
    --dns-name nowhere.test
t_eq "two problems, two lines" "$(grep -c '^problem:' "$T/out")" 2

t_fail "unknown thumbprint" 1 $HSYS cert verify 0123456789ABCDEF
t_fail "no thumbprint" 2 $HSYS cert verify
t_fail "unknown option" 2 $HSYS cert verify "$good" --bogus
t_done
