# The machine's own instance serves as the user hsys by default (issue 16,
# docs/security.md): started as root without HSYS_HOME, with the user hsys
# in the user database, hsysd drops to it as --user hsys would, its key
# process staying root; --user root keeps root; with HSYS_HOME (every
# other test) nothing changes. Run in a private mount namespace: tmpfs
# over /var/lib/hsys, /run/hsys and /var/log, and an /etc/passwd and
# /etc/group that name hsys bind-mounted over the real ones, so that the
# machine's files are neither read nor changed.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	echo "# skipped: needs root and unshare"; t_done; exit 0
fi
HUID=64917
cp /etc/passwd "$T/passwd"
cp /etc/group "$T/group"
echo "hsys:x:$HUID:$HUID:hsys:/var/lib/hsys:/usr/sbin/nologin" >>"$T/passwd"
echo "hsys:x:$HUID:" >>"$T/group"
uid_of() { grep -E '^Uid:' "/proc/$1/status" | tr -s '\t ' ' ' | cut -d' ' -f2-; }

# machine LOG ARGS...: hsysd as the machine's instance, in its namespace.
machine() {
	local log=$1; shift
	unshare --mount --propagation private /bin/sh -c '
	    set -e
	    for d in /var/lib/hsys /run/hsys /var/log; do
		mkdir -p "$d"
		mount -t tmpfs -o mode=0755 hsys-test "$d"
	    done
	    mount --bind "$1/passwd" /etc/passwd
	    mount --bind "$1/group" /etc/group
	    shift
	    exec env -u HSYS_HOME "$@"' sh "$T" $HSYS_WRAP "$BUILD/hsysd" \
	    "$@" 2>"$log" &
}

machine "$T/a.log" --workers 1
a=$!
hsysd_ready "$T/a.log"
hpid=$(pgrep -P "$a" -x hsysd || echo "$a")
t_grep "it serves as hsys" "serving as hsys \\(uid $HUID\\)" "$T/a.log"
t_eq "the serving process is hsys" "$(uid_of "$hpid")" \
    "$HUID $HUID $HUID $HUID"
M=$(pgrep -P "$hpid" -x hsysd-keymon)
t_ok "its key process's monitor" test -n "$M"
t_eq "stays root" "$(uid_of "$M")" "0 0 0 0"
kill "$hpid"
t_ok "it stops on SIGTERM" wait_until 30 gone "$hpid"

machine "$T/b.log" --workers 1 --user root
b=$!
hsysd_ready "$T/b.log"
hpid=$(pgrep -P "$b" -x hsysd || echo "$b")
t_eq "--user root keeps root" "$(uid_of "$hpid")" "0 0 0 0"
t_nogrep "and says no change of user" "serving as" "$T/b.log"
kill "$hpid"
t_ok "it stops on SIGTERM" wait_until 30 gone "$hpid"

start_hsysd --workers 1
t_eq "with HSYS_HOME, root stays root" "$(uid_of "$dpid")" "0 0 0 0"
t_done
