#!/usr/bin/env bash
# lib_request — the example programs (hsys-hello, hsys-static) against
# fakehsysd, a daemon written from docs/protocol.md: the fake plays the
# requests and checks the answers; its exit status is the verdict.
. "$(dirname "$0")/lib.sh"
FAKE=$TOP/tests/e2e/lib/fakehsysd.py
# The programs must see the fake go, not reconnect (hsysd_restart.sh
# covers reconnecting).
export HSYS_RECONNECT_MS=0

# fake SCENARIO PROGRAM ARGS...: runs the fake and the program; the fake
# must be satisfied, then the program sees the daemon go and exits 1.
fake() {
	local scenario=$1; shift
	rm -f "$HSYS_HOME/hsysd.sock"
	python3 "$FAKE" "$scenario" 2>"$T/fake.err" &
	local fpid=$!
	wait_until 30 test -S "$HSYS_HOME/hsysd.sock"
	$HSYS_WRAP "$@" >"$T/prog.out" 2>"$T/prog.err" &
	local ppid=$!
	wait $fpid; local frc=$?
	wait $ppid; local prc=$?
	[ $frc = 0 ] || { cat "$T/fake.err" "$T/prog.err" >&2; return 1; }
	# 1: the program saw the daemon go (ECONNRESET); 23/99: sanitizer or
	# valgrind found something.
	[ $prc = 1 ] || { echo "program exited $prc" >&2; cat "$T/prog.err" >&2
		return 1; }
}

t_ok "hello answers 200 hello, world" fake hello "$BUILD/examples/hello"
t_grep "hello says why it stopped" "closed the session" "$T/prog.err"
t_ok "hello with a named queue" fake hello "$BUILD/examples/hello" \
    --queue shared http://+:8080/hello/

HSYS_HOME=$T/nodaemon t_fail "hello without hsysd" 1 "$BUILD/examples/hello"
t_grep "hello asks whether hsysd runs" "is hsysd running" "$T/err"

root=$T/root
mkdir -p "$root/sub"
printf 0123456789 >"$root/a.txt"
python3 "$FAKE" mkpattern $((3 << 20)) 5 >"$root/big.bin"
echo secret >"$T/secret"
ln -s "$T/secret" "$root/link"
t_ok "static serves, ranges, conditionals, refusals" fake static \
    "$BUILD/examples/static" "$root" http://+:8080/s/
t_done
