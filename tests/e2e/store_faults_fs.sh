# store_faults_fs — the store on a full filesystem (a small tmpfs this test
# mounts) and on one made read-only under it: every write refused with a
# message that says so (exit 1), integrity_check ok, the store exactly as
# before the command or after it, reads still answered, and hsysd, running
# on that filesystem all along, still serving with the last configuration
# it read. Skipped where tmpfs cannot be mounted (no CAP_SYS_ADMIN).
. "$(dirname "$0")/lib.sh"

MNT=$T/mnt
mkdir -m 0755 "$MNT"
if ! mount -t tmpfs -o size=2m,mode=0755 tmpfs "$MNT" 2>"$T/err"; then
	echo "ok 1 # skip: cannot mount a tmpfs: $(cat "$T/err")"
	echo "1..1"
	exit 0
fi
ORIG_HOME=$HSYS_HOME
cleanup() {
	local j; for j in $(jobs -p); do kill -9 "$j" 2>/dev/null; done
	wait 2>/dev/null
	while mountpoint -q "$MNT"; do umount -l "$MNT" || break; done
	HSYS_HOME=$ORIG_HOME
	_t_cleanup
}
trap cleanup EXIT
export HSYS_HOME=$MNT/home
mkdir -m 0755 "$HSYS_HOME"
. "$(dirname "$0")/lib/storefault.sh"
sf_setup

# --- a full filesystem -------------------------------------------------------
# Fill it, then give back 8 KB at a time until the write gets through:
# faults at every stage of the write (journal, WAL, index, checkpoint).
dd if=/dev/zero of="$MNT/filler" bs=4k 2>/dev/null
t_ok "the filesystem is full" test "$(df --output=avail "$MNT" | tail -1)" -lt 8
before=$(sf_state) bad=0 failures=0 end=$((SECONDS + 30)) note=""
while :; do
	sf_toggle "$before" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" != 0 ] && failures=$((failures + 1)) && cp "$T/err" "$T/full.err"
	sf_check "full, $failures failures" "$rc" "$before" || bad=1
	before=$SF_NOW
	[ "$rc" = 0 ] && break
	if [ "$SECONDS" -ge "$end" ] || [ ! -s "$MNT/filler" ]; then
		note=" (stopped at the time bound)"
		break
	fi
	truncate -s -8K "$MNT/filler"
done
t_ok "full: $failures writes refused$note, none damaged the store or left it half-written" \
    test "$bad" = 0 -a "$failures" -gt 0
t_grep "full: the message says the disk is full and what to do" \
    "^hsys: .*the disk holding .*hsys.db is full; make room" "$T/full.err"
t_ok "full: reads are still answered" hsys cert list --all
sf_serving "full"
rm -f "$MNT/filler"
t_ok "room again: writes work" sf_toggle "$(sf_state)"

# --- a read-only filesystem -----------------------------------------------------
# A bind mount of the home over itself, made read-only: hsysd's open files
# (lock, socket) stay on the writable mount below, as the kernel would not
# make a filesystem read-only under open writers otherwise.
before=$(sf_state)
mount --bind "$HSYS_HOME" "$HSYS_HOME" &&
    mount -o remount,bind,ro "$HSYS_HOME"
t_ok "the home is read-only now" sh -c "! touch '$HSYS_HOME/x' 2>/dev/null"
sf_toggle "$before" >"$T/out" 2>"$T/err"
rc=$?
t_eq "read-only: the write is refused" "$rc" 1
t_grep "read-only: the message says so and what to do" \
    "^hsys: .*mounted read-only; remount it read-write" "$T/err"
sf_check "read-only" "$rc" "$before" && _t_report 0 \
    "read-only: integrity_check ok, the store as it was"
t_eq "read-only: nothing changed" "$SF_NOW" "$before"
t_ok "read-only: reads are still answered" hsys cert list --all
t_grep "read-only: and see the store" "$SF_THUMB|CN=localhost" "$T/out"
sf_serving "read-only"
umount "$HSYS_HOME"
t_ok "writable again: writes work" sf_toggle "$(sf_state)"
t_nogrep "hsysd: no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
