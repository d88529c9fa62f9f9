# Who may read the request logs: the user hsysd serves as owns them, group
# adm reads them, mode 0640 (the directory 0750), set explicitly whatever
# the umask, as logrotate's `create 0640` recreates them (the old file's owner and group) and as
# Debian does for nginx.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/tests/e2e/lib"
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null
adm=$(getent group adm | cut -d: -f3)

run() {	# run UMASK: hsysd under that umask serves one request, then stops
	rm -rf "$HSYS_HOME/log"
	(umask "$1"; exec $HSYS_WRAP "$BUILD/hsysd" --workers 1) 2>"$T/d.log" &
	dpid=$!
	hsysd_ready "$T/d.log" "$dpid"
	start_app app --grace 0 "http://+:$P/app/" || echo "app did not start"
	curl -s -o /dev/null "http://127.0.0.1:$P/app/"
	curl -s -o /dev/null "http://127.0.0.1:$P/nothere/"
	wait_until 30 test -s "$HSYS_HOME/log/access.log"
	kill $app_pid 2>/dev/null; wait $app_pid 2>/dev/null
	kill $dpid; wait $dpid
}
for u in 0022 0000 0077; do
	run $u
	t_eq "umask $u: access.log is 0640, the server's user, group adm" \
	    "$(stat -c '%a %u %g' "$HSYS_HOME/log/access.log")" "640 0 ${adm:-0}"
	t_eq "umask $u: httperr.log the same" \
	    "$(stat -c '%a %u %g' "$HSYS_HOME/log/httperr.log")" "640 0 ${adm:-0}"
	t_eq "umask $u: the directory is 0750 to the same group" \
	    "$(stat -c '%a %g' "$HSYS_HOME/log")" "750 ${adm:-0}"
done
t_grep "logrotate recreates them the same way, the owner and group kept" \
    '^\s*create 0640$' \
    "$TOP/packaging/hsysd.logrotate"
if [ -n "$adm" ]; then
	chmod 0755 "$HSYS_HOME"
	t_ok "a member of adm (not root) reads the access log" \
	    setpriv --reuid=65534 --regid=65534 --groups="$adm" \
	    head -c 1 "$HSYS_HOME/log/access.log"
	t_fail "a user outside adm does not" 1 setpriv --reuid=65534 \
	    --regid=65534 --clear-groups head -c 1 "$HSYS_HOME/log/access.log"
fi
t_done
