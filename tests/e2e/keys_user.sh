# The key process under an hsysd serving as an unprivileged user (--user,
# docs/keys.md "The processes"): the monitor and the signer stay root while
# the serving process is nobody; the signer killed comes back as root
# (started by the monitor, not by the unprivileged serving process) and
# TLS handshakes work again; the monitor killed, hsysd keeps running, says
# that handshakes fail until it is restarted, and handshakes fail at once.
# The signer holds no capability and runs under its own seccomp filter
# (the monitor keeps CAP_NET_BIND_SERVICE alone, for the renewals),
# and still reads the store again for a binding added later.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "# skipped: needs root"; t_done; exit 0
fi
P=$((20000 + RANDOM % 12000))
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
uid_of() { grep -E '^Uid:' "/proc/$1/status" | tr -s '\t ' ' ' | cut -d' ' -f2-; }
status_of() { grep -E "^$2:" "/proc/$1/status" | tr -s '\t ' ' ' | cut -d' ' -f2- | sed 's/ *$//'; }
hs() {
	echo | timeout 10 openssl s_client -connect 127.0.0.1:$P 2>&1 |
	    sed -n 's/^Peer signature type: //p' | head -1
}

EC=$(hsys cert new-selfsigned --dns-name ec.test | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$EC appid=$APPID >/dev/null
start_hsysd --workers 2 --user nobody
MPID=$(pgrep -P "$dpid" -x hsysd-keymon)
t_ok "hsysd started the key process's monitor" test -n "$MPID"
t_ok "which started the signer" wait_until 10 pgrep -P "$MPID" -x hsysd-keys
KPID=$(pgrep -P "$MPID" -x hsysd-keys)
t_eq "the serving process is nobody" "$(uid_of "$dpid")" \
    "65534 65534 65534 65534"
t_eq "the monitor is root" "$(uid_of "$MPID")" "0 0 0 0"
t_eq "the signer is root" "$(uid_of "$KPID")" "0 0 0 0"
t_eq "a handshake" "$(hs)" ECDSA
for set in CapEff CapPrm CapInh CapAmb; do
	t_eq "the signer's $set: no capability" "$(status_of "$KPID" $set)" \
	    0000000000000000
done
# Its bounding set is the monitor's (dropping needs CAP_SETPCAP, which the
# monitor no longer has): nothing it could gain without an exec, which
# no-new-privileges and its filter refuse.
t_eq "the signer's CapBnd: the monitor's at most" \
    "$(status_of "$KPID" CapBnd)" 0000000000000400
t_eq "no new privileges" "$(status_of "$KPID" NoNewPrivs)" 1
for set in CapEff CapPrm CapBnd; do
	t_eq "the monitor's $set: CAP_NET_BIND_SERVICE alone (renewals)" \
	    "$(status_of "$MPID" $set)" 0000000000000400
done
t_eq "the monitor: no new privileges" "$(status_of "$MPID" NoNewPrivs)" 1
t_eq "under its own seccomp filter" "$(status_of "$KPID" Seccomp)" 2
RSA=$(hsys cert new-selfsigned --dns-name rsa.test --key rsa-2048 |
    grep -oE '^[0-9A-F]{40}')
hsys http add sslcert hostnameport=rsa.test:$P certhash=$RSA appid=$APPID \
    >/dev/null
t_ok "a binding added later: the signer reads the store again" \
    wait_until 30 eval '[ "$(echo | timeout 10 openssl s_client \
    -connect 127.0.0.1:$P -servername rsa.test 2>&1 |
    sed -n "s/^Peer signature type: //p")" = RSA-PSS ]'
t_nogrep "the filter refused nothing it needs" \
    'hsysd-keys.*(cannot|Operation not permitted)' "$T/d.log"

kill -9 "$KPID"
t0=$(date +%s%N)
t_ok "the signer killed" wait_until 10 gone "$KPID"
t_ok "a handshake works again" wait_until 20 prints ECDSA hs
echo "# signer killed to a handshake signed again: $((($(date +%s%N) - t0) / 1000000)) ms"
KPID2=$(pgrep -P "$MPID" -x hsysd-keys)
t_ok "a new signer, started by the monitor" test -n "$KPID2" -a "$KPID2" != "$KPID"
t_eq "as root" "$(uid_of "$KPID2")" "0 0 0 0"
t_grep "the monitor said so" "the signer \\(pid $KPID\\) was ended by signal 9" \
    "$T/d.log"

kill -9 "$MPID"
t_ok "the monitor killed" wait_until 10 gone "$MPID"
t_ok "hsysd says handshakes fail until it is restarted" wait_until 10 \
    grep -q "key process (pid $MPID) ended: TLS handshakes that need a signature fail and no ACME renewal runs until hsysd is restarted" \
    "$T/d.log"
t_ok "the signer ends with its monitor" wait_until 10 gone "$KPID2"
t_ok "hsysd keeps running" kill -0 "$dpid"
t_nogrep "and starts no key process as nobody" "key process started" \
    <(grep -v "pid $MPID" "$T/d.log")
start=$SECONDS
out=$(echo | timeout 20 openssl s_client -connect 127.0.0.1:$P 2>&1)
t_ok "a handshake then fails at once, not by a timeout" \
    test $((SECONDS - start)) -lt 10
t_ok "with an alert" grep -q alert <<<"$out"
t_ok "servicestate still answers" hsys http show servicestate
kill "$dpid"
t_ok "hsysd stops on SIGTERM" wait_until 30 gone "$dpid"
t_done
