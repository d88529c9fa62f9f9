# lib.sh — shared by the end-to-end tests. Source it first:
#
#   . "$(dirname "$0")/lib.sh"
#   t_ok   "what"  cmd args...        # passes when cmd exits 0
#   t_fail "what"  CODE cmd args...   # passes when cmd exits CODE
#   t_grep "what"  PATTERN FILE       # passes when FILE matches (grep -E)
#   t_eq   "what"  GOT WANT
#   t_done                            # at the end; exits non-zero on failure
#
# Every test gets a private HSYS_HOME (removed at exit) and $T, a scratch
# directory inside it. $HSYS runs the hsys under test (with $HSYS_WRAP in
# front, e.g. valgrind). Output of the last t_ok/t_fail is in $T/out, $T/err.
set -u
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

# start_app NAME ARGS...: tests/e2e/lib/echoapp.py in the background with
# ARGS (prefixes, --queue, ...); waits until it serves. $NAME_pid is its
# pid, $T/NAME.out its output; 1 when it was refused or did not start.
start_app() {
	local name=$1; shift
	rm -f "$T/$name.ready"
	PYTHONPATH="$TOP/tests/e2e/lib" python3 "$TOP/tests/e2e/lib/echoapp.py" \
	    --ready "$T/$name.ready" "$@" >"$T/$name.out" 2>&1 &
	eval "${name}_pid=$!"
	for i in $(seq 100); do
		[ -e "$T/$name.ready" ] && return 0
		grep -q refused "$T/$name.out" 2>/dev/null && return 1
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
