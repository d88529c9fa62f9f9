# attack_home — issue 10, item 8: a directory another user controls, given
# to root's hsys or hsysd as HSYS_HOME (or HOME, or --log-dir), and links
# planted where hsys makes its lock, store, socket and logs. Each attack is
# mounted as described, by an unprivileged user (nobody) where the attacker
# is one, and must end in a refusal that says what is wrong and what to do,
# with the file the link pointed at unchanged. The legitimate cases (root's
# own home, a user's private instance, nobody reading root's home) still
# work. See docs/store.md.
. "$(dirname "$0")/lib.sh"

nobody() { (cd / && setpriv --reuid=65534 --regid=65534 --clear-groups "$@"); }
no_sanitizer() { t_nogrep "$1: no sanitizer report" 'Sanitizer|runtime error' "$T/err"; }
# hsysd in the foreground: it must stop at once, refusing.
hsysd_refuses() {
	local what=$1 home=$2; shift 2
	t_fail "$what: hsysd refuses" 1 env HSYS_HOME="$home" timeout 20 \
	    $HSYS_WRAP "$BUILD/hsysd" --workers 1 "$@"
}

# A world-writable sticky directory, as /tmp, where nobody makes its own.
pub=$(mktemp -d /tmp/hsys-attack.XXXXXX) && chmod 1777 "$pub"
trap '_t_cleanup; rm -rf "$pub"' EXIT
printf 'precious\n' >"$T/victim"		# root's, the link's target
chmod 0644 "$T/victim"
victim_sum=$(sha256sum <"$T/victim")
victim_same() { t_eq "$1: the file the link named is unchanged" \
    "$(sha256sum <"$T/victim")" "$victim_sum"; }

# --- the attack as reported: a home nobody owns, a linked hsysd.lock -------
nobody mkdir -m 0755 "$pub/evil"
nobody ln -s "$T/victim" "$pub/evil/hsysd.lock"
hsysd_refuses "nobody's home with hsysd.lock -> root's file" "$pub/evil"
t_grep "says which directory and why" "refusing the runtime directory $pub/evil: it belongs to nobody \(uid 65534\), not to root or to you" "$T/err"
t_grep "says what to do" "chown 0 $pub/evil|set HSYS_HOME" "$T/err"
victim_same "hsysd.lock"
t_eq "hsysd made nothing there" "$(ls "$pub/evil")" "hsysd.lock"
no_sanitizer "hsysd.lock"

# --- ... and a pre-made hsys.db that would have received a private key ------
nobody mkdir -m 0755 "$pub/evil2"
nobody touch "$pub/evil2/hsys.db"
nobody chmod 0666 "$pub/evil2/hsys.db"
t_fail "nobody's home with a pre-made hsys.db: hsys refuses" 1 \
    env HSYS_HOME="$pub/evil2" $HSYS_WRAP "$BUILD/hsys" cert new-selfsigned \
    --dns-name attack.test
t_grep "says why" "refusing the store's directory $pub/evil2: it belongs to nobody" "$T/err"
t_eq "no key reached the pre-made store" "$(stat -c %s "$pub/evil2/hsys.db")" 0
t_fail "reading it is refused too (hsysd would load its bindings)" 1 \
    env HSYS_HOME="$pub/evil2" $HSYS_WRAP "$BUILD/hsys" http show sslcert
no_sanitizer "hsys.db"

# The CurrentUser store under a HOME another user owns.
t_fail "CurrentUser store in nobody's HOME: refused" 1 env -u HSYS_HOME \
    -u XDG_DATA_HOME HOME="$pub/evil2" $HSYS_WRAP "$BUILD/hsys" \
    cert new-selfsigned --dns-name attack.test --store 'CurrentUser\My'
t_grep "CurrentUser: says why" "refusing the store's directory $pub/evil2/.local/share/hsys: its parent $pub/evil2 belongs to nobody" "$T/err"
t_fail "nobody made no directory of root's there" 1 test -e "$pub/evil2/.local/share/hsys/hsys.db"

# A home of root's, inside a directory nobody owns: nobody could rename it.
mkdir -m 0755 "$pub/evil2/inner"	# root's: nobody's 0755 lets root in
hsysd_refuses "root's home inside nobody's directory" "$pub/evil2/inner"
t_grep "names the parent" "its parent $pub/evil2 belongs to nobody" "$T/err"

# A link to nobody's directory is nobody's directory.
ln -s "$pub/evil" "$T/evil-link"
hsysd_refuses "a link to nobody's home" "$T/evil-link"
t_grep "the link resolved and refused" "refusing the runtime directory $T/evil-link: it belongs to nobody" "$T/err"
victim_same "link to nobody's home"

# --- root's own directory, with what hsys makes there planted as links -------
mkdir -m 0755 "$T/h1"
ln -s "$T/victim" "$T/h1/hsysd.lock"
hsysd_refuses "root's home, hsysd.lock a link" "$T/h1"
t_grep "refuses the link, never follows it" "refusing the lock file $T/h1/hsysd.lock: it is a symbolic link.*remove it" "$T/err"
victim_same "lock link"
rm "$T/h1/hsysd.lock"

ln -s "$T/victim" "$T/h1/hsys.db"
t_fail "root's home, hsys.db a link: hsys refuses" 1 env HSYS_HOME="$T/h1" \
    $HSYS_WRAP "$BUILD/hsys" http add urlacl url=http://+:8081/ user=root
t_grep "the store link: says so" "refusing the store $T/h1/hsys.db: it is a symbolic link" "$T/err"
victim_same "store link"
rm "$T/h1/hsys.db"
ln -s "$T/victim" "$T/h1/hsys.db-wal"
t_fail "root's home, hsys.db-wal a link: refused" 1 env HSYS_HOME="$T/h1" \
    $HSYS_WRAP "$BUILD/hsys" http add urlacl url=http://+:8081/ user=root
t_grep "the WAL link: says so" "refusing the store $T/h1/hsys.db-wal: it is a symbolic link" "$T/err"
victim_same "WAL link"
rm "$T/h1/hsys.db-wal"

touch "$T/h1/hsys.db" && chown 65534:65534 "$T/h1/hsys.db"
t_fail "root's home, hsys.db nobody's: refused" 1 env HSYS_HOME="$T/h1" \
    $HSYS_WRAP "$BUILD/hsys" http add urlacl url=http://+:8081/ user=root
t_grep "nobody's store: says whose" "refusing the store $T/h1/hsys.db: it belongs to nobody \(uid 65534\)" "$T/err"
rm "$T/h1/hsys.db"

mkdir -p "$T/h1/log" && ln -s "$T/victim" "$T/h1/log/access.log"
hsysd_refuses "root's home, access.log a link" "$T/h1"
t_grep "the log link: says so" "refusing the log $T/h1/log/access.log: it is a symbolic link" "$T/err"
victim_same "log link"
rm "$T/h1/log/access.log"
hsysd_refuses "--log-dir nobody's" "$T/h1" --log-dir "$pub/evil"
t_grep "the log directory: says whose" "refusing the log directory $pub/evil: it belongs to nobody" "$T/err"
victim_same "log dir"

# Writable by others: anyone could plant those links.
mkdir -m 0755 "$T/open" && chmod 0777 "$T/open"
hsysd_refuses "a home writable by all" "$T/open"
t_grep "says the mode and the fix" "refusing the runtime directory $T/open: it is writable by group or others \(mode 0777\).*chmod go-w $T/open" "$T/err"
t_fail "hsys refuses it too" 1 env HSYS_HOME="$T/open" $HSYS_WRAP \
    "$BUILD/hsys" http add urlacl url=http://+:8081/ user=root
t_grep "hsys: the same words" "refusing the store's directory $T/open: it is writable by group or others" "$T/err"
t_fail "and wrote no store there" 1 test -e "$T/open/hsys.db"

# --- an export with a key never writes through a link ------------------------
hsys cert new-selfsigned --dns-name export.attack.test >"$T/out" 2>&1
thumb=$(hsys cert list My --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["thumbprint"])')
ln -s "$T/victim" "$T/out.pem"
t_ok "export --force onto a link" hsys cert export "$thumb" --pem "$T/out.pem" \
    --with-key --password p --force
victim_same "export"
t_ok "the link was replaced by a file of its own" test -f "$T/out.pem" -a ! -L "$T/out.pem"
t_eq "mode 0600" "$(stat -c %a "$T/out.pem")" 600

# --- what stays legitimate ---------------------------------------------------
# Root's home (0755, from lib.sh): hsysd starts; the socket is 0666, by the
# umask at bind().
start_hsysd --workers 1
t_grep "hsysd starts in root's own home" "ready" "$T/d.log"
t_eq "the socket is srw-rw-rw-" "$(stat -c %A "$HSYS_HOME/hsysd.sock")" "srw-rw-rw-"
t_eq "the lock is a plain file of root's" "$(stat -c '%F %U %a' "$HSYS_HOME/hsysd.lock")" "regular file root 644"
hsys http add urlacl url=http://+:8082/ user=nobody >/dev/null
# nobody reads root's home: only through hsysd (the store is 0600), and a
# root-owned home is one nobody may trust.
t_ok "nobody asks root's hsysd for the service state" nobody env \
    HSYS_HOME="$HSYS_HOME" "$BUILD/hsys" http show servicestate
kill "$dpid"; wait "$dpid" 2>/dev/null

# A user's own private instance: nobody's home, nobody's hsys and hsysd.
nobody mkdir -m 0755 "$pub/nbhome"
t_ok "nobody writes its own store" nobody env HSYS_HOME="$pub/nbhome" \
    "$BUILD/hsys" http add urlacl url=http://+:8083/ user=nobody
# exec all the way, so that $! is hsysd itself, which the kill below ends.
(cd / && exec setpriv --reuid=65534 --regid=65534 --clear-groups env \
    HSYS_HOME="$pub/nbhome" "$BUILD/hsysd" --workers 1 2>"$T/nb.log") &
nbpid=$!
hsysd_ready "$T/nb.log" "$nbpid"
t_grep "nobody's private hsysd starts in its own home" "ready" "$T/nb.log"
kill "$nbpid" 2>/dev/null; wait "$nbpid" 2>/dev/null
# ... and root may not use it: nobody could swap its files.
t_fail "root refuses nobody's private home" 1 env HSYS_HOME="$pub/nbhome" \
    $HSYS_WRAP "$BUILD/hsys" http show urlacl
t_grep "root: says why" "it belongs to nobody" "$T/err"

t_done
