# What hsysd tells systemd (sd_notify), as the unit's NotifyAccess=main
# lets it: only the process that is the service's main process at the time
# speaks. A stand-in notification socket (tests/e2e/lib/notifysock.py)
# records each message with its sender's pid: READY=1 at start; on a
# handover the old daemon says RELOADING=1, then MAINPID=<new> with
# READY=1, and the new daemon says nothing until it is the main process;
# STOPPING=1 from it at the end. With --user, as the unprivileged user.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "# skipped: needs root"; t_done; exit 0
fi
/usr/bin/python3 "$TOP/tests/e2e/lib/notifysock.py" "$T/notify" \
    "$T/notes" 2>"$T/notify.err" &
t_ok "the notification socket is there" wait_until 30 test -S "$T/notify"
export NOTIFY_SOCKET=$T/notify

start_hsysd --workers 1 --user nobody
old=$dpid
t_ok "the daemon says READY=1" wait_until 30 grep -qx "$old READY=1" "$T/notes"
kill -USR2 "$old"
t_ok "a handover: the old daemon exits" wait_until 60 gone "$old"
new=$(head -n 1 "$HSYS_HOME/hsysd.lock")
t_ok "a new daemon holds the lock" test "$new" != "$old" -a -d "/proc/$new"
t_grep "the old one said RELOADING=1" "^$old RELOADING=1$" "$T/notes"
t_grep "then MAINPID= the new one, with READY=1" \
    "^$old MAINPID=$new READY=1$" "$T/notes"
t_eq "in that order, the old daemon's last words" \
    "$(grep "^$old " "$T/notes" | tail -n 2 | cut -d' ' -f2- | tr '\n' '|')" \
    "RELOADING=1|MAINPID=$new READY=1|"
t_eq "the new daemon said nothing meanwhile (not the main process yet)" \
    "$(grep -c "^$new " "$T/notes")" 0
kill "$new"
t_ok "the new daemon, now the main process, says STOPPING=1" \
    wait_until 30 grep -qx "$new STOPPING=1" "$T/notes"
t_ok "and stops" wait_until 30 gone "$new"
t_eq "every message came from the main process of its time" \
    "$(cut -d' ' -f1 "$T/notes" | sort -u | tr '\n' ' ')" \
    "$(printf '%s\n' "$old" "$new" | sort -u | tr '\n' ' ')"
t_done
