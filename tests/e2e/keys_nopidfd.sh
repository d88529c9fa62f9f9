# hsysd where pidfd_open does not exist (a kernel before 5.3; valgrind,
# which knows no pidfd_open, so `make check VALGRIND=1` and bench/callgrind
# run hsysd that way): it starts, and it still sees its key process end
# and starts a new one, by asking every half second instead. (The key
# process here is its monitor, hsysd-keymon, which hsysd watches; the
# monitor restarts its signer itself.) An LD_PRELOAD
# shim (tests/e2e/lib/nopidfd.c) makes pidfd_open fail with ENOSYS.
. "$(dirname "$0")/lib.sh"

SHIM=$BUILD/tests/nopidfd.so
if [ ! -f "$SHIM" ]; then
	t_fail "the shim is built (make)" 0 false
	t_done; exit
fi
# The shim comes after the sanitizer runtime in the library list.
export ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0
P=$((20000 + RANDOM % 12000))
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
EC=$(hsys cert new-selfsigned --dns-name ec.test --key ec-p256 |
    grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$EC appid=$APPID >/dev/null

LD_PRELOAD=$SHIM start_hsysd --workers 1
KPID=$(pgrep -P "$dpid" -x hsysd-keymon)
t_ok "hsysd started its key process without pidfd_open" test -n "$KPID"
t_ok "the shim is in force (pidfd_open refused)" \
    grep -q "$SHIM" "/proc/$dpid/maps"
hs() {
	echo | timeout 10 openssl s_client -connect 127.0.0.1:$P \
	    -servername ec.test 2>&1 | sed -n 's/^Peer signature type: //p' |
	    head -1
}
t_eq "an ECDSA handshake" "$(hs)" ECDSA

kill -9 "$KPID"
t_ok "hsysd sees the key process end" wait_until 30 \
    grep -q "key process (pid $KPID) was ended by signal 9" "$T/d.log"
newkp() { k=$(pgrep -P "$dpid" -x hsysd-keymon) && [ "$k" != "$KPID" ]; }
t_ok "and starts a new one" wait_until 30 newkp
t_ok "handshakes work again" wait_until 30 prints ECDSA hs
t_eq "the old one was reaped (no zombie)" \
    "$(ps -o stat= -p "$KPID" 2>/dev/null | grep -c Z)" 0

kill -TERM "$dpid"
wait "$dpid"
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
