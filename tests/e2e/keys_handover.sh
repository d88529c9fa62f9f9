# The key process across a hand-over (docs/keys.md): the new hsysd gets a
# control channel to the running key process's monitor with the listening
# sockets, uses it instead of starting one (as an hsysd without root would
# have to), and serves TLS through it once the old hsysd is gone; a signer
# killed after the hand-over comes back for the new hsysd; the key process
# ends with its last hsysd.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
EC=$(hsys cert new-selfsigned --dns-name ec.test | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$EC appid=$APPID >/dev/null
hs() {
	echo | timeout 10 openssl s_client -connect 127.0.0.1:$P 2>&1 |
	    sed -n 's/^Peer signature type: //p' | head -1
}

start_hsysd -l "$T/a.log" -p a --workers 2
KPID=$(pgrep -P "$a" -x hsysd-keymon)
t_ok "the first hsysd starts a key process" test -n "$KPID"
t_ok "whose monitor starts the signer" \
    wait_until 10 pgrep -P "$KPID" -x hsysd-keys
SPID=$(pgrep -P "$KPID" -x hsysd-keys)
t_eq "and serves TLS through it" "$(hs)" ECDSA

$HSYS_WRAP "$BUILD/hsysd" --workers 1 --takeover --takeover-wait 1 \
    2>"$T/b.log" &
b=$!
t_ok "a new hsysd takes over" wait_until 60 grep -q 'handover: took' "$T/b.log"
t_grep "using the running key process" \
    "handover: using the running key process .pid $KPID" "$T/b.log"
t_nogrep "without starting one" "key process started" "$T/b.log"
t_ok "the old hsysd exits" wait_until 30 gone "$a"
t_ok "the key process stays" kill -0 "$KPID"
t_eq "the new hsysd serves TLS through it" "$(hs)" ECDSA
hsys http add sslcert ipport=127.0.0.1:$P certhash=$EC appid=$APPID >/dev/null
t_ok "and a reload reaches it (a binding added)" \
    wait_until 30 grep -q '2 certificate binding' "$T/b.log"
t_eq "still signing" "$(hs)" ECDSA
kill -9 "$SPID"
t_ok "the signer killed after the hand-over" wait_until 10 gone "$SPID"
t_ok "comes back (the monitor serves the new hsysd's control channel)" \
    wait_until 20 prints ECDSA hs
SPID2=$(pgrep -P "$KPID" -x hsysd-keys)
t_ok "a new signer, the monitor's child" test -n "$SPID2"
t_eq "the new hsysd started no monitor of its own" \
    "$(pgrep -c -x hsysd-keymon -P "$b")" 0
kill "$b"
t_ok "the new hsysd stops" wait_until 30 gone "$b"
t_ok "and the key process ends with its last hsysd" \
    wait_until 30 gone "$KPID"
t_ok "its signer too" wait_until 30 gone "$SPID2"
t_done
