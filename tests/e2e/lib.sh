# lib.sh — shared by the end-to-end tests. Source it first:
#
#   . "$(dirname "$0")/lib.sh"
#   t_ok   "what"  cmd args...        # passes when cmd exits 0
#   t_fail "what"  CODE cmd args...   # passes when cmd exits CODE
#   t_grep "what"  PATTERN FILE       # passes when FILE matches (grep -E)
#   t_eq   "what"  GOT WANT
#   t_done                            # at the end; exits non-zero on failure
#   start_hsysd --workers 2 ...       # hsysd in the background, once ready
#   wait_until SECONDS CMD...         # waits for CMD to succeed; asserts nothing
#   prints WANT CMD...                # CMD prints WANT (for wait_until)
#   gone PID                          # the process has exited (for wait_until)
#   code [CURL ARGS...] URL           # the status code of a request
#   code_is WANT [CURL ARGS...] URL   # ... is WANT (for wait_until)
#
# Every test gets a private HSYS_HOME (removed at exit) and $T, a scratch
# directory inside it. $HSYS runs the hsys under test (with $HSYS_WRAP in
# front, e.g. valgrind). Output of the last t_ok/t_fail is in $T/out, $T/err.
set -u
# The tests mean Debian's programs: /usr/bin/python3 (3.11, with Debian's
# python3-* packages), node, openssl, curl. A machine may put others first
# in PATH (pyenv, /usr/local); scripts and the programs they start find
# Debian's first.
export PATH="/usr/bin:/usr/sbin:/bin:/sbin:$PATH"
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
HSYS_WRAP=${HSYS_WRAP:-}
export HSYS_HOME=$(mktemp -d /tmp/hsys-test.XXXXXX)
chmod 0755 "$HSYS_HOME"
T=$HSYS_HOME/scratch
mkdir -p "$T"
_t_n=0 _t_failed=0
_t_name=$(basename "$0" .sh)

hsys() { $HSYS_WRAP "$BUILD/hsys" "$@"; }
HSYS=hsys

# key_bindings PORT: an ECDSA P-256 certificate (thumbprint in $EC) bound
# to 0.0.0.0:PORT and an RSA-2048 one ($RSA) to rsa.test:PORT, as the key
# process's tests use them.
key_bindings() {
	local appid='{00112233-4455-6677-8899-aabbccddeeff}'
	EC=$(hsys cert new-selfsigned --dns-name ec.test --key ec-p256 |
	    grep -oE '^[0-9A-F]{40}')
	RSA=$(hsys cert new-selfsigned --dns-name rsa.test --key rsa-2048 |
	    grep -oE '^[0-9A-F]{40}')
	hsys http add sslcert ipport=0.0.0.0:$1 certhash=$EC appid=$appid \
	    >/dev/null
	hsys http add sslcert hostnameport=rsa.test:$1 certhash=$RSA \
	    appid=$appid >/dev/null
}

_t_report() {
	_t_n=$((_t_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_t_n - $_t_name: $2"
	else
		echo "not ok $_t_n - $_t_name: $2"
		_t_failed=$((_t_failed + 1))
		if [ -n "${3:-}" ]; then printf '%s\n' "$3" | sed 's/^/#   /'; fi
	fi
}

t_ok() {
	local what=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	_t_report $([ $rc = 0 ] && echo 0 || echo 1) "$what" \
	    "exit $rc: $*$(printf '\nstderr: '; head -c 2000 "$T/err")"
}

t_fail() {
	local what=$1 want=$2; shift 2
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	_t_report $([ $rc = "$want" ] && echo 0 || echo 1) "$what" \
	    "exit $rc (want $want): $*$(printf '\nstderr: '; head -c 2000 "$T/err")"
}

t_grep() {
	local what=$1 pat=$2 file=$3
	grep -Eq -- "$pat" "$file"
	_t_report $? "$what" "no match for /$pat/ in $file: $(head -c 2000 "$file")"
}

t_nogrep() {
	local what=$1 pat=$2 file=$3
	! grep -Eq -- "$pat" "$file"
	_t_report $? "$what" "unexpected match for /$pat/ in $file"
}

t_eq() {
	[ "$2" = "$3" ]
	_t_report $? "$1" "got  '$2'
want '$3'"
}

t_done() {
	echo "1..$_t_n"
	[ "$_t_failed" = 0 ]
}

_t_cleanup() {
	# Daemons a test left in the background die with it.
	local j; for j in $(jobs -p); do kill -9 "$j" 2>/dev/null; done
	[ -n "${KEEP:-}" ] || rm -rf "$HSYS_HOME"
}
trap _t_cleanup EXIT

# t_wait "what" SECONDS CMD...: passes once CMD exits 0, polled every
# 0.2 s for at most SECONDS (give a slow machine a generous bound); on
# failure it reports what the last run of CMD printed, so a slow machine
# gives a clear answer rather than a flaky one.
t_wait() {
	local what=$1 secs=$2 end; shift 2
	end=$((SECONDS + secs))
	while :; do
		"$@" >"$T/out" 2>"$T/err" && { _t_report 0 "$what"; return 0; }
		[ "$SECONDS" -ge "$end" ] && break
		sleep 0.2
	done
	_t_report 1 "$what" "not within ${secs}s; last: $*: $(head -c 2000 \
	    "$T/out") $(head -c 500 "$T/err")"
	return 1
}

# wait_until SECONDS CMD...: polls CMD, quietly, every 0.1 s until it
# exits 0, and prints what that run printed on stdout; 1 when SECONDS pass
# first (give a slow machine a generous bound). It asserts nothing: the
# assertion that follows it does (t_wait is the asserting form). When it
# gives up, it says on stderr, as TAP comments, what it waited for and what
# the last run of CMD printed, so the failure that follows shows what was
# reached rather than nothing.
wait_until() {
	local secs=$1 end out=$T/.wait.$BASHPID rc=0; shift
	end=$(( ${EPOCHREALTIME/./} + secs * 1000000 ))
	until "$@" >"$out" 2>"$out.err"; do
		if [ "${EPOCHREALTIME/./}" -ge "$end" ]; then
			printf '# waited %ss in vain for: %s\n' "$secs" "$*" >&2
			cat "$out" "$out.err" | head -c 1000 |
			    sed 's/^/#   it said: /' >&2
			rc=1
			break
		fi
		sleep 0.1
	done
	[ "$rc" = 0 ] && cat "$out"
	rm -f "$out" "$out.err"
	return "$rc"
}

# prints WANT CMD...: CMD prints WANT (its whole output, as $(...) takes
# it); a condition for wait_until, asked anew each time.
prints() {
	local want=$1; shift
	[ "$("$@")" = "$want" ]
}

# gone PID: the process has exited (a condition for wait_until).
gone() { ! kill -0 "$1" 2>/dev/null; }

# start_hsysd [-l LOG] [-p VAR] [ARGS...]: hsysd (with $HSYS_WRAP in
# front) in the background with ARGS, its stderr in LOG ($T/d.log unless
# given), its pid in $VAR (dpid unless given); returns once hsysd logs that
# it is ready. hsysd_ready waits the same way for an hsysd a script started
# itself (under setpriv, ulimit, umask...).
start_hsysd() {
	local log=$T/d.log var=dpid
	while [ $# -gt 0 ]; do
		case $1 in
		-l) log=$2; shift 2 ;;
		-p) var=$2; shift 2 ;;
		*) break ;;
		esac
	done
	$HSYS_WRAP "$BUILD/hsysd" "$@" 2>"$log" &
	printf -v "$var" %s $!
	hsysd_ready "$log" "${!var}"
}

# hsysd_ready LOG [PID]: waits (60 s at most; valgrind is slow) until LOG
# has hsysd's "ready" line. When hsysd exits first, or is not ready by
# then, the test fails there, with the log's tail, and stops: nothing after
# it could pass for the right reason.
hsysd_ready() {
	local log=$1 pid=${2:-} end
	end=$(( ${EPOCHREALTIME/./} + 60 * 1000000 ))
	until logged_ready "$log"; do
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			_hsysd_not_ready "$log" "it exited first"
		elif [ "${EPOCHREALTIME/./}" -ge "$end" ]; then
			_hsysd_not_ready "$log" "not within 60 s"
		fi
		sleep 0.1
	done
}

# logged_ready LOG: LOG has hsysd's "ready" line (the condition for a
# wait_until where hsysd_ready's stopping the test is not wanted).
logged_ready() {
	grep -Eq 'hsysd [^ ]+ ready: ' "$1" 2>/dev/null
}

_hsysd_not_ready() {
	_t_report 1 "hsysd is ready ($2)" "$(tail -n 20 "$1" 2>/dev/null)"
	t_done
	exit 1
}

# code [CURL ARGS...] URL: the status code curl gets for a request, 000
# when none came within $code_max seconds (30 unless the script sets it).
# Options every request of a script needs (--cacert, -k) go in the
# code_opts array.
code_opts=()
code() {
	curl -s -m "${code_max:-30}" "${code_opts[@]}" -o /dev/null \
	    -w '%{http_code}' "$@"
}

# code_is WANT [CURL ARGS...] URL: the request gets status WANT; asks anew
# each time, so it is the condition to give wait_until.
code_is() {
	local want=$1; shift
	[ "$(code "$@")" = "$want" ]
}

# start_app NAME ARGS...: tests/e2e/lib/echoapp.py in the background with
# ARGS (prefixes, --queue, ...); waits until it serves. $NAME_pid is its
# pid, $T/NAME.out its output; 1 when it was refused or did not start.
start_app() {
	local name=$1 end=$((SECONDS + 60)); shift
	rm -f "$T/$name.ready"
	PYTHONPATH="$TOP/tests/e2e/lib" /usr/bin/python3 \
	    "$TOP/tests/e2e/lib/echoapp.py" \
	    --ready "$T/$name.ready" "$@" >"$T/$name.out" 2>&1 &
	eval "${name}_pid=$!"
	# Up to 60 s: a Python start takes seconds on a loaded machine.
	while [ $SECONDS -lt $end ]; do
		[ -e "$T/$name.ready" ] && return 0
		grep -q refused "$T/$name.out" 2>/dev/null && return 1
		kill -0 "$(eval echo "\$${name}_pid")" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# The sanitizer runtime writes its reports to stderr; a leak or an error
# makes the program exit 23 so tests see it.
export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=23:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1:exitcode=23}

# The store from the sqlite3 shell: hsys.db with keys.db attached as
# "keys", as hsys opens it (the table `key` lives in keys.db). DB=PATH
# names another hsys.db (the CurrentUser store).
store_sql() {
	local db=${DB:-$HSYS_HOME/hsys.db}
	sqlite3 -cmd "ATTACH '${db%hsys.db}keys.db' AS keys" "$db" "$@"
}
# Both files of the store as SQL text, to compare before and after.
store_dump() {
	local db=${DB:-$HSYS_HOME/hsys.db}
	sqlite3 "$db" .dump
	[ ! -f "${db%hsys.db}keys.db" ] || sqlite3 "${db%hsys.db}keys.db" .dump
}
