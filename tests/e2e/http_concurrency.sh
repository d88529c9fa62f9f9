# Many hsys runs changing the configuration at once: every run either
# succeeds or fails with netsh's "exists"/"not found" error, never with a
# locked or damaged store, and the store stays consistent.
. "$(dirname "$0")/lib.sh"

N=${HTTP_CONCURRENCY_ROUNDS:-12}
LIMIT=300
if [ -n "$HSYS_WRAP" ]; then
	# under valgrind every run costs seconds: one round still races
	N=${HTTP_CONCURRENCY_ROUNDS:-1}
	LIMIT=900
fi
$HSYS http add iplisten ipaddress=10.0.0.254 >/dev/null

worker() {
	local i=$1 r rc
	for r in $(seq "$N"); do
		# distinct keys: must always work
		$HSYS http add iplisten ipaddress=10.0.$i.$r >/dev/null 2>&1 ||
		    echo "worker $i: add distinct $r failed"
		$HSYS http add urlacl url=http://+:80/w$i/r$r/ user=root \
		    >/dev/null 2>&1 || echo "worker $i: add urlacl $r failed"
		# the same key in every worker: 0, or 1 (183 / 2), never else;
		# so at least 3 of the 5 changes of a round commit
		$HSYS http add urlacl url=http://+:80/shared/ user=root \
		    >/dev/null 2>"$T/w$i.err"
		rc=$?
		[ $rc = 0 ] || grep -Eq 'Error: 183' "$T/w$i.err" ||
		    echo "worker $i: shared add exit $rc: $(cat "$T/w$i.err")"
		$HSYS http delete urlacl url=http://+:80/shared/ \
		    >/dev/null 2>"$T/w$i.err"
		rc=$?
		[ $rc = 0 ] || grep -Eq 'Error: 2$' "$T/w$i.err" ||
		    echo "worker $i: shared delete exit $rc: $(cat "$T/w$i.err")"
		$HSYS http delete iplisten ipaddress=10.0.$i.$r >/dev/null 2>&1 ||
		    echo "worker $i: delete distinct $r failed"
		$HSYS http show urlacl >/dev/null 2>&1 ||
		    echo "worker $i: show failed"
	done
}

# Bounded: a run waits at most the store's busy timeout; a worker that
# still runs after $LIMIT s is killed and reported.
export -f hsys worker
export N T BUILD HSYS HSYS_WRAP
pids=
for i in 1 2 3 4 5 6 7 8; do
	timeout "$LIMIT" bash -c "worker $i" >"$T/worker$i.log" 2>&1 &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p" || echo "a worker exited $?" >>"$T/worker0.log"
done

cat "$T"/worker*.log >"$T/problems"
t_eq "no unexpected failure" "$(head -5 "$T/problems")" ""
t_ok "integrity_check" sqlite3 "$HSYS_HOME/hsys.db" 'PRAGMA integrity_check'
t_eq "integrity ok" "$(cat "$T/out")" "ok"
t_ok "show iplisten --json" $HSYS http show iplisten --json
t_eq "only the first address is left" "$(cat "$T/out")" '["10.0.0.254"]'
t_ok "show urlacl --json" $HSYS http show urlacl --json
cp "$T/out" "$T/json"
t_ok "json parses with every distinct reservation" python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
urls = [r['url'] for r in d]
assert len([u for u in urls if '/w' in u]) == 8 * $N, len(urls)
assert 'http://+:80/shared/' not in urls
" "$T/json"
t_ok "show urlacl text" $HSYS http show urlacl
t_eq "one block per reservation" "$(grep -c 'Reserved URL' "$T/out")" $((8 * N))
t_ok "generation counted every change" sqlite3 "$HSYS_HOME/hsys.db" \
    "SELECT value >= $((8 * N * 3)) FROM meta WHERE key = 'generation'"
t_eq "generation" "$(cat "$T/out")" 1
t_done
