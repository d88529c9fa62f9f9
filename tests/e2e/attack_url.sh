# Issue 10, items 2 and 5, mounted by two unprivileged users: A (daemon,
# uid 1) and B (nobody, uid 65534), each holding its own URL reservations.
#
# Item 2: B, holding http://+:P/, registers /admin%2Flogin/ and /admin%3Ax/
# next to A's /admin/ and /admin/login/. Prefixes are compared in the
# cooked form (docs/config.md), so B's %2F prefix only takes requests that
# spell the slash %2F, never A's /admin/login; %3A is ':'. Every reserved
# character of RFC 3986, '%' and unreserved ones: A reserves /kN/a%XXb/, B
# may register it in no spelling, and requests for it reach A.
#
# Item 5: B, holding http://*:P2/, may not register + (which wins routing)
# nor a host, so A's reservation of localhost keeps its requests.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000)) P2=$((P + 1))
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib"
chmod 0755 "$TOP/tests/e2e/lib" 2>/dev/null
A=1 B=65534
PY=/usr/bin/python3
# The apps write their "ready" files here.
mkdir -p "$T/run" && chmod 1777 "$T/run"
# RFC 3986 gen-delims, sub-delims, '%', and unreserved characters.
CHARS=(':' '/' '?' '#' '[' ']' '@' '!' '$' '&' "'" '(' ')' '*' '+' ',' ';' '='
    '%' 'A' '~' '-')

# as UID CMD...: CMD as that user (no groups), from /, in place of the
# shell that runs it.
as() {
	local uid=$1; shift
	cd / && exec setpriv --reuid="$uid" --regid="$uid" --clear-groups \
	    env HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" "$@"
}
# app NAME UID PREFIX...: echoapp as that user; waits until it serves or
# was refused. 0 when it serves.
app() {
	local name=$1 uid=$2; shift 2
	rm -f "$T/run/$name.ready"
	# (the subshell becomes the app: $! is its pid)
	(as "$uid" $PY "$TOP/tests/e2e/lib/echoapp.py" \
	    --ready "$T/run/$name.ready" "$@") >"$T/$name.out" 2>&1 &
	eval "${name}_pid=$!"
	apps="${apps:-} $!"
	wait_until 30 settled "$name"
	[ -e "$T/run/$name.ready" ]
}
# settled NAME: the application is ready or was refused
settled() {
	[ -e "$T/run/$1.ready" ] || grep -q refused "$T/$1.out"
}
hex() { printf '%02X' "'$1"; }

start_hsysd --workers 2 --verbose

# ---- reservations, stored in the canonical (cooked) spelling ----
t_ok "B reserves http://+:$P/" $HSYS http add urlacl \
    url="http://+:$P/" user=$B
t_ok "A reserves /admin/" $HSYS http add urlacl \
    url="http://+:$P/admin/" user=$A
t_ok "A reserves /admin/login/" $HSYS http add urlacl \
    url="http://+:$P/admin/login/" user=$A
t_ok "A reserves /admin%3ay/" $HSYS http add urlacl \
    url="http://+:$P/admin%3ay/" user=$A
t_ok "show it" $HSYS http show urlacl url="http://+:$P/admin:y/"
t_grep "stored and shown as /admin:y/" "Reserved URL +: http://\+:$P/admin:y/$" \
    "$T/out"
t_fail "the other spelling is the same reservation" 1 $HSYS http add urlacl \
    url="http://+:$P/admin:Y/" user=$B
t_grep "already reserved" "already reserved" "$T/err"
i=0 apre=
for c in "${CHARS[@]}"; do
	i=$((i + 1))
	apre="$apre http://+:$P/k$i/a%$(hex "$c")b/"
	hsys http add urlacl url="http://+:$P/k$i/a%$(hex "$c")b/" user=$A \
	    >/dev/null 2>&1 || echo "reserve $c failed" >>"$T/reserve.err"
done
t_eq "A reserves /kN/a%XXb/ for every character" \
    "$(cat "$T/reserve.err" 2>/dev/null)" ""
t_ok "listed in the canonical spelling" $HSYS http show urlacl
t_grep "a pchar is written as itself" "http://\+:$P/k1/a:b/$" "$T/out"
t_grep "'/' stays %2F" "http://\+:$P/k2/a%2Fb/$" "$T/out"
t_grep "'?' stays %3F" "http://\+:$P/k3/a%3Fb/$" "$T/out"
t_grep "'%' stays %25" "http://\+:$P/k19/a%25b/$" "$T/out"
t_grep "%41 is A" "http://\+:$P/k20/aAb/$" "$T/out"
t_ok "an encoded control character is refused" test "$(hsys http add \
    urlacl url="http://+:$P/a%0a/" user=$A 2>&1 | grep -c 'control')" = 1

# ---- A serves its prefixes, B registers the encoded ones ----
# shellcheck disable=SC2086
t_ok "A registers /admin/, /admin/login/, /admin:y/ and the /kN/" \
    app appa $A "http://+:$P/admin/" "http://+:$P/admin/login/" \
    "http://+:$P/admin:y/" $apre
t_ok "B registers /admin%2Flogin/ and /admin%3Ax/ (its own URL space)" \
    app appb $B "http://+:$P/admin%2Flogin/" "http://+:$P/admin%3Ax/"

# B tries every other spelling of A's prefixes on one session.
cat >"$T/grab.py" <<'PY'
import struct, sys
from hsys.raw import Session
s = Session("grab")
r = s.queue_create()
q = struct.unpack("<I", r[1])[0]
for p in sys.argv[1:]:
    r = s.prefix_add(q, p)
    print(p, "ok" if r[0] == "ok" else "error %d" % r[1], flush=True)
PY
chmod 0644 "$T/grab.py"
grab="http://+:$P/admin/login/ http://+:$P/admin%3Ay/ http://+:$P/admin%3ay/z/"
grab="$grab http://+:$P/admin:Y/ http://+:$P/ADMIN/login%2F/"
i=0
for c in "${CHARS[@]}"; do
	i=$((i + 1))
	h=$(hex "$c")
	grab="$grab http://+:$P/k$i/a%${h}b/ http://+:$P/k$i/a%${h,,}b/sub/"
	case $c in [:@!\$\&\'\(\)*+,\;=A~-])
		grab="$grab http://+:$P/k$i/a${c}b/x/" ;;
	esac
done
# shellcheck disable=SC2086
(as $B $PY "$T/grab.py" $grab) >"$T/grab.out" 2>&1
t_eq "B tried $(echo $grab | wc -w) spellings" "$(wc -l <"$T/grab.out")" \
    "$(echo $grab | wc -w)"
t_nogrep "B may register none of them" " ok$" "$T/grab.out"
t_eq "every one refused with EACCES (A's reservation covers it)" \
    "$(grep -vc ' error 13$' "$T/grab.out")" 0

# ---- who gets which request ----
cat >"$T/get.py" <<'PY'
import json, socket, sys
port, host = int(sys.argv[1]), sys.argv[2]
for target in sys.argv[3:]:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET " + target.encode() + b" HTTP/1.1\r\nHost: " +
              host.encode() + b"\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ")[1].decode()
    try:
        d = json.loads(body)
        print(target, status, d["pid"], d["prefix"])
    except ValueError:
        print(target, status, "-", "-")
PY
# expect OWNER TARGET PREFIX: the request goes to OWNER's app (A or B) by
# that registration.
: >"$T/want" && : >"$T/targets"
expect() {
	local pid
	[ "$1" = A ] && pid=$appa_pid || pid=$appb_pid
	echo "$2 200 $pid $3" >>"$T/want"
	echo "$2" >>"$T/targets"
}
expect A /admin/login "http://+:$P/admin/login/"
expect A /admin/login/x "http://+:$P/admin/login/"
expect A /admin/x "http://+:$P/admin/"
expect A /Admin/Login/x "http://+:$P/admin/login/"
expect A /admin/./login/x "http://+:$P/admin/login/"
expect B /admin%2Flogin/x "http://+:$P/admin%2Flogin/"
expect B /admin%2flogin "http://+:$P/admin%2Flogin/"
expect B /admin:x/y "http://+:$P/admin:x/"
expect B /admin%3Ax/y "http://+:$P/admin:x/"
expect A /admin:y/z "http://+:$P/admin:y/"
expect A /admin%3ay/z "http://+:$P/admin:y/"
i=0
for c in "${CHARS[@]}"; do
	i=$((i + 1))
	h=$(hex "$c")
	case $c in [:@!\$\&\'\(\)*+,\;=A~-]) canon="a${c}b" ;;
	*) canon="a%${h}b" ;; esac
	expect A "/k$i/a%${h}b/x" "http://+:$P/k$i/$canon/"
	expect A "/k$i/a%${h,,}b" "http://+:$P/k$i/$canon/"
done
# shellcheck disable=SC2046
$PY "$T/get.py" $P 127.0.0.1 $(cat "$T/targets") >"$T/got" 2>&1
t_eq "every request reaches its owner by its registration" \
    "$(diff "$T/want" "$T/got")" ""
# shellcheck disable=SC2046
$PY "$T/get.py" $P 127.0.0.1 /admin%2Flogin%2Fx /admin%252Flogin/x \
    >"$T/got2" 2>&1
t_eq "a %2F that is not B's prefix, and %252F, reach no one" \
    "$(cut -d' ' -f2 "$T/got2" | tr '\n' ' ')" "404 404 "
t_nogrep "B's app never saw a request under /admin/" '"/admin/' "$T/appb.out"

# ---- item 5: a weak wildcard reservation covers only weak wildcards ----
t_ok "B reserves http://*:$P2/" $HSYS http add urlacl \
    url="http://*:$P2/" user=$B
t_ok "A reserves http://localhost:$P2/" $HSYS http add urlacl \
    url="http://localhost:$P2/" user=$A
t_ok "A registers http://localhost:$P2/" app appc $A "http://localhost:$P2/"
(as $B $PY "$T/grab.py" "http://+:$P2/" "http://+:$P2/x/" \
    "http://localhost:$P2/" "http://elsewhere:$P2/" "http://127.0.0.1:$P2/" \
    "http://*:$P2/") >"$T/grab5.out" 2>&1
t_eq "B, holding *, may not register + (it wins routing): EACCES" \
    "$(grep -c "^http://+:$P2/x\?/\? error 13$" "$T/grab5.out")" 2
t_grep "nor A's host" "^http://localhost:$P2/ error 13$" "$T/grab5.out"
t_grep "nor another host" "^http://elsewhere:$P2/ error 13$" "$T/grab5.out"
t_grep "nor an IP-bound prefix" "^http://127.0.0.1:$P2/ error 13$" \
    "$T/grab5.out"
t_grep "but * itself, yes" "^http://\*:$P2/ ok$" "$T/grab5.out"
t_ok "B serves http://*:$P2/" app appd $B "http://*:$P2/"
$PY "$T/get.py" $P2 localhost /x >"$T/got5" 2>&1
t_eq "requests for localhost still reach A" "$(cat "$T/got5")" \
    "/x 200 $appc_pid http://localhost:$P2/"
$PY "$T/get.py" $P2 other.test /x >"$T/got5" 2>&1
t_eq "what no one else takes reaches B's *" "$(cat "$T/got5")" \
    "/x 200 $appd_pid http://*:$P2/"

# ---- a reservation stored in an older spelling (before ':' was decoded) ----
sqlite3 "$HSYS_HOME/hsys.db" "INSERT INTO urlacl (url, principal, id, listen,
    delegate) VALUES ('http://+:$P2/old%3Aform/', 'user', $A, 1, 0)"
t_ok "an old row is found by its canonical spelling" $HSYS http show urlacl \
    url="http://+:$P2/old:form/"
t_grep "and shown as stored" "http://\+:$P2/old%3Aform/" "$T/out"
t_fail "it is not doubled" 1 $HSYS http add urlacl \
    url="http://+:$P2/old:form/" user=$B
t_ok "and it is deleted by that spelling" $HSYS http delete urlacl \
    url="http://+:$P2/old:form/"
t_eq "gone" "$(sqlite3 "$HSYS_HOME/hsys.db" "SELECT count(*) FROM urlacl
    WHERE url LIKE '%old%'")" 0

t_ok "hsysd is alive" kill -0 $dpid
uids=
for p in $appa_pid $appb_pid $appc_pid $appd_pid; do
	uids="$uids $(ps -o uid= -p "$p" | tr -d ' ')"
done
t_eq "A's apps ran as A, B's as B" "$uids" " $A $B $A $B"
# shellcheck disable=SC2086
kill $apps 2>/dev/null
kill $dpid 2>/dev/null
wait $dpid 2>/dev/null
t_done
