#!/usr/bin/env bash
# fuzz_short — every libFuzzer target of tests/fuzz, briefly: built
# (ASan + UBSan, into build-fuzz/), its corpus replayed (the seeds and every
# regress-* input, each a crash once found), then fuzzed for FUZZ_SECS
# seconds (default 10) with a bounded number of runs. A crash, a leak, a
# broken assertion or a sanitizer report fails it; the input that did it is
# kept in build-fuzz/ (named in the failure) to add under
# tests/fuzz/corpus/T/regress-NAME once fixed. Skipped without clang's
# fuzzer runtime (Debian: libclang-rt-14-dev, see scripts/install-deps).
. "$(dirname "$0")/lib.sh"

OUT=$TOP/build-fuzz
SECS=${FUZZ_SECS:-10}
TARGETS="request chunked path url frame payload control upstream cert issue args batch h2 keyreq"

echo 'int LLVMFuzzerTestOneInput(const char *p, long n) { return 0; }' \
    >"$T/probe.c"
if ! clang -fsanitize=fuzzer -o "$T/probe" "$T/probe.c" 2>/dev/null; then
	echo "ok 1 # skip: clang with its fuzzer runtime is not installed"
	echo "1..1"
	exit 0
fi

# Not the flags of a `make check` this runs under (SANITIZE=1, -j...).
t_ok "the fuzz targets build" env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    make -s -C "$TOP/tests/fuzz" all

# Runs one target; keeps the crashing input where a developer finds it.
fuzz_one() {
	local t=$1; shift
	mkdir -p "$T/corpus_$t" "$T/crash_$t"
	if ! "$OUT/fuzz_$t" "$@" -artifact_prefix="$T/crash_$t/" \
	    "$T/corpus_$t" "$TOP/tests/fuzz/corpus/$t"; then
		cp "$T"/crash_"$t"/* "$OUT/" 2>/dev/null
		echo "# kept: $(cd "$T/crash_$t" && ls | sed "s|^|$OUT/|")" >&2
		return 1
	fi
}

for t in $TARGETS; do
	t_ok "fuzz_$t replays its corpus (seeds and regressions)" \
	    "$OUT/fuzz_$t" "$TOP"/tests/fuzz/corpus/"$t"/*
done

for t in $TARGETS; do
	runs=500000 len=4096
	# The daemon in-process: slower per input, longer programs.
	[ "$t" = control ] && runs=3000 len=2048
	t_ok "fuzz_$t: ${SECS} s of fuzzing find nothing" fuzz_one "$t" \
	    -max_total_time="$SECS" -runs="$runs" -max_len="$len" \
	    -timeout=20 -rss_limit_mb=3072
done
t_done
