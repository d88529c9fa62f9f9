# store_faults_kill — hsys killed with SIGKILL at random points of its
# writes, in a bounded loop (200 rounds or 30 s): each round imports or
# deletes a certificate and is killed after a random delay within 1.25 times
# the command's usual run time. After each: integrity_check is ok and the
# store is exactly as before the command or after it, never between; and
# hsysd, running beside it all along, still serves with the last
# configuration it read.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/storefault.sh"

sf_setup

# The command's usual run time, in ms, on this machine now.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(now_ms)
for i in 1 2 3 4; do sf_toggle "$(sf_state)" >/dev/null 2>&1; done
span=$(( ($(now_ms) - t0) * 5 / 16 ))	# 1.25 times the mean of four
[ "$span" -ge 10 ] || span=10

end=$((SECONDS + 30)) rounds=0 killed=0 bad=0
before=$(sf_state)
while [ "$rounds" -lt 200 ] && [ "$SECONDS" -lt "$end" ]; do
	rounds=$((rounds + 1))
	sf_cmd "$before"
	$HSYS_WRAP "$BUILD/hsys" "${SF_CMD[@]}" >"$T/out" 2>"$T/err" &
	pid=$!
	d=$((RANDOM % span))
	sleep "$((d / 1000)).$(printf %03d $((d % 1000)))"
	kill -9 "$pid" 2>/dev/null && killed=$((killed + 1))
	wait "$pid"
	rc=$?
	# A kill is no failure to report; the store must be sound all the same.
	[ "$rc" = 137 ] && rc=0 && : >"$T/err"
	sf_check "round $rounds (killed after $d ms)" "$rc" "$before" || bad=1
	before=$SF_NOW
done
t_ok "$rounds rounds, $killed killed mid-way (within ${span} ms): the store always sound, before or after, never between" \
    test "$bad" = 0 -a "$killed" -gt 0
t_ok "and a command runs normally after" sf_toggle "$before"
sf_serving "after the kills"
t_nogrep "hsysd: no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
