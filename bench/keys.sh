#!/bin/bash
# bench/keys.sh [SECONDS]: what the key process costs (bench/keys.c): full
# TLS 1.3 handshakes per second of server time, key in-process vs key
# process, ECDSA P-256 and RSA-2048, side by side; and one signature's
# round trip. Everything pinned to one core (taskset), so that the key
# process's work counts against the server. Needs root (it reads keys.db)
# and a built tree (make).
#
# The timed run prints, per key type: handshakes per second of server
# time (the issue's figure), CPU time per handshake of both processes
# (steadier on a busy machine: what other programs run in between is
# left out), the same for an in-process handshake with a round trip to
# the signer added (what the round trip alone costs a handshake), one
# signature through the key process and in-process, and a round trip
# alone (a request the signer refuses without signing); and 16
# handshakes in flight in one thread as a worker runs them (async mode,
# answers in batches): CPU per handshake both ways and switches per
# handshake. SECONDS is each case's, three cases (and two in flight) per
# key type.
#
# COUNT=N bench/keys.sh: instructions instead of time, counted by
# valgrind's callgrind (repeatable on a noisy machine): N handshakes each
# way and N signatures, per key type, with the server's side of the
# handshake and the signer's work apart. Profiles stay in $KEEP if set.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
SECS=${1:-5}
CPU=${CPU:-0}
# RT="chrt -f 1": the run at a real-time priority, so that on a busy
# machine other programs do not take the core at each of its switches.
RT=${RT:-}
BUILD=${BUILD:-$TOP/build}
export HSYS_HOME
HSYS_HOME=$(mktemp -d /tmp/hsys-bench-keys.XXXXXX)
trap 'rm -rf "$HSYS_HOME"' EXIT
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
new() { "$BUILD/hsys" cert new-selfsigned "$@" | grep -oE '^[0-9A-F]{40}'; }
EC=$(new --dns-name ec.bench --key ec-p256)
RSA=$(new --dns-name rsa.bench --key rsa-2048)
"$BUILD/hsys" http add sslcert ipport=127.0.0.1:1 certhash=$EC appid=$APPID \
    >/dev/null 2>&1
"$BUILD/hsys" http add sslcert ipport=127.0.0.1:2 certhash=$RSA appid=$APPID \
    >/dev/null 2>&1
cc -O2 -g -std=c17 -D_GNU_SOURCE -I"$TOP/src" -I"$TOP/include" \
    -o "$BUILD/bench-keys" "$TOP/bench/keys.c" "$BUILD/libhsysd.a" \
    "$BUILD/libhsyscore.a" -lssl -lcrypto -lsqlite3 -lpthread -lnghttp2 \
    -lsystemd
if [ -z "${COUNT:-}" ]; then
	$RT taskset -c "$CPU" "$BUILD/bench-keys" "$SECS" "$EC" "$RSA"
	exit 0
fi
command -v callgrind_annotate >/dev/null ||
	{ echo "keys.sh: COUNT needs valgrind" >&2; exit 1; }
CG=${KEEP:-$HSYS_HOME/cg}
mkdir -p "$CG"
# incl FILE CALLER CALLEE: inclusive instructions and calls of CALLEE from
# CALLER (callgrind_annotate's call tree), "0 0" if none.
incl() {
	callgrind_annotate --inclusive=yes --tree=calling "$1" 2>/dev/null |
	awk -v f="$2" -v c="$3" '
	/^ *[0-9,]+ .*\*  / { in_f = $0 ~ (":" f " "); next }
	/^$/ { in_f = 0 }
	in_f && /^ *[0-9,]+ .* >   / && $0 ~ (":" c " \\(") {
		v = $1; gsub(",", "", v)
		n = $0; sub(/.*\(/, "", n); sub(/x\).*/, "", n); gsub(",", "", n)
		print v, n; found = 1; exit
	}
	END { if (!found) print 0, 0 }'
}
per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b ? a / b : 0 }'; }
# One key type: bench-keys -n under callgrind. The bench's profile is
# dumped before each loop: part 2 holds the in-process handshakes, part 3
# those through the key process, the last the signatures. The signer's is
# dumped after each RELOAD (its first read of the store, then the bench's
# after its warm-up handshakes): its last part holds the signatures of
# the loops alone.
count() {
	local name=$1 ec=$2 rsa=$3 dir=$CG/$4 b s
	mkdir -p "$dir"
	rm -f "$dir"/callgrind.out.*
	valgrind -q --tool=callgrind --dump-before=count_in_process \
	    --dump-before=count_key_process --dump-before=sign_remote \
	    --dump-after=reload --callgrind-out-file="$dir/callgrind.out.%p" \
	    "$BUILD/bench-keys" -n "$COUNT" "$ec" "$rsa" >/dev/null
	b=$(ls "$dir"/callgrind.out.*.3 | sed 's/\.3$//')
	s=$(ls "$dir"/callgrind.out.* | grep -v -e "^$b\$" -e "^$b\." |
	    grep -v 'out\.[0-9]*\.[0-9]*$')
	set -- $(incl "$b.2" handshake server_step) \
	    $(incl "$b.3" handshake server_step) \
	    $(incl "$s" serve answer) $(incl "$s" answer EVP_PKEY_sign) \
	    $(incl "$b" sign_local EVP_PKEY_sign)
	printf '%s, instructions (callgrind, %s each):\n' "$name" "$COUNT"
	printf '  server side of a handshake: in-process %s; key process %s in hsysd + %s in the signer\n' \
	    "$(per "$1" "$COUNT")" "$(per "$3" "$COUNT")" "$(per "$5" "$8")"
	printf '  one signature: in-process %s (EVP_PKEY_sign); the signer %s a request, %s of it EVP_PKEY_sign\n' \
	    "$(per "$9" "${10}")" "$(per "$5" "$8")" "$(per "$7" "$8")"
}
count "ECDSA P-256" "$EC" - ec
count "RSA-2048" - "$RSA" rsa
