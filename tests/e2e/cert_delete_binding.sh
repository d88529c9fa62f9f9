# hsys cert delete refuses a certificate that a binding uses, names the
# binding, and leaves the store as it was; once the binding is gone it
# deletes. Every change pokes a running hsysd (cli_commit).
. "$(dirname "$0")/lib.sh"

APPID='{00112233-4455-6677-8899-aabbccddeeff}'
T1=$(hsys cert new-selfsigned --dns-name used.test | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert hostnameport=used.test:9443 certhash=$T1 appid=$APPID \
    >/dev/null
before=$(store_dump | sha256sum)
t_fail "deleting a bound certificate is refused" 1 hsys cert delete "$T1"
t_grep "and the refusal names the binding" \
    'used by the binding hostnameport=used.test:9443' "$T/err"
t_eq "the store is unchanged" "$(store_dump | sha256sum)" \
    "$before"
t_ok "after the binding is deleted" hsys http delete sslcert \
    hostnameport=used.test:9443
t_ok "the certificate can be deleted" hsys cert delete "$T1"
t_fail "and is gone" 1 hsys cert show "$T1"

# A running daemon hears of certificate changes too.
"$BUILD/hsysd" --verbose 2>"$T/d.log" &
for i in $(seq 100); do grep -q ready "$T/d.log" && break; sleep 0.1; done
n=$(grep -c 'configuration generation' "$T/d.log")
hsys cert new-selfsigned --dns-name poke.test >/dev/null
for i in $(seq 50); do
	[ "$(grep -c 'configuration generation' "$T/d.log")" -gt "$n" ] && break
	sleep 0.1
done
t_ok "hsysd notices a new certificate at once" \
    test "$(grep -c 'configuration generation' "$T/d.log")" -gt "$n"
t_done
