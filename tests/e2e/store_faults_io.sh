# store_faults_io — the store under I/O errors, the way SQLite's own tests
# inject them: an LD_PRELOAD shim (tests/e2e/lib/faultshim.c, built into
# BUILD/tests/faultshim.so) fails hsys's writes, then its fsyncs, of the
# store and its WAL from the Nth call on, for every N until the command
# gets through, with EIO and with ENOSPC. After every fault: integrity_check
# is ok, the store is exactly as before the command or after it, the
# command said on one line what failed (exit 1), and hsysd, running beside
# it all along, still serves with the last configuration it read.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/storefault.sh"

SHIM=$BUILD/tests/faultshim.so
if [ ! -f "$SHIM" ]; then
	t_fail "the shim is built (make)" 0 false
	t_done; exit
fi
# The shim comes after the sanitizer runtime in the library list.
export ASAN_OPTIONS=$ASAN_OPTIONS:verify_asan_link_order=0

sf_setup
# Each loop ends when a command gets through without a fault, or at its
# time bound on a loaded machine (then says so).
# fault_loop OPS ERRNO SECONDS [STEP]: N = 0, STEP, ... until no fault
# fires.
fault_loop() {
	local ops=$1 errno=$2 end=$((SECONDS + $3)) step=${4:-1} n=0 rc before bad=0
	local failures=0 total note=""
	before=$(sf_state)
	while :; do
		if [ "$SECONDS" -ge "$end" ]; then
			note=" (time bound: stopped there)"
			break
		fi
		rm -f "$T/count"
		sf_toggle "$before" FAULT_OPS="$ops" FAULT_ERRNO="$errno" FAULT_AFTER=$n \
		    FAULT_COUNT="$T/count" LD_PRELOAD="$SHIM" \
		    >"$T/out" 2>"$T/err"
		rc=$?
		[ "$rc" = 0 ] || failures=$((failures + 1))
		total=$(cat "$T/count" 2>/dev/null || echo 0)
		sf_check "$ops/$errno after $n calls" "$rc" "$before" || bad=1
		[ "$rc" = 0 ] && [ "$total" -le "$n" ] && break
		[ "$rc" != 0 ] && cp "$T/err" "$T/err.$ops.$errno"
		before=$SF_NOW
		n=$((n + step))
	done
	t_ok "$ops/$errno: a fault at call 0, $step, ... up to $n$note: $failures failed cleanly, none damaged the store or left it half-written" \
	    test "$bad" = 0 -a "$failures" -gt 0
}

fault_loop write EIO 20
t_grep "an I/O error is named as such" \
    "(writing|flushing to disk|using|extending the index of) .*hsys.db.* failed \((Input/output|disk I/O) error\)" \
    "$T/err.write.EIO"
fault_loop fsync EIO 8
fault_loop write ENOSPC 8 4
t_grep "a full disk is named as such" "is full" "$T/err.write.ENOSPC"
sf_serving "after I/O errors"
t_nogrep "hsysd: no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
