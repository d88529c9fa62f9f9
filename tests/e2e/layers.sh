# The folders whose files must read as layers (issue 11): no file of
# src/daemon, src/lib or src/cli calls a function of a file that calls it
# back, directly or around a longer loop. scripts/filecycles reads the
# object files of the build under test; a lower file reaches an upper one
# only through a callback or an ops table, which the linker does not see.
. "$(dirname "$0")/lib.sh"

for f in src/daemon src/lib src/cli; do
	t_ok "$f has no call cycle between its files" \
	    /usr/bin/python3 "$TOP/scripts/filecycles" "$BUILD" "$f"
done
# Nothing in src/ grows past a thousand lines (issue 11's bound).
long=$(find "$TOP/src" -name '*.[ch]' -exec wc -l {} + |
    awk '$2 != "total" && $1 > 1000 { print $2 " (" $1 " lines)" }')
t_eq "no file in src/ over 1,000 lines" "$long" ""
# The checker finds a cycle when there is one.
mkdir -p "$T/b/obj/src/x"
printf 'void b(void);\nvoid a(void) { b(); }\n' >"$T/a.c"
printf 'void a(void);\nvoid b(void) { a(); }\n' >"$T/b.c"
cc -c -o "$T/b/obj/src/x/a.o" "$T/a.c" && cc -c -o "$T/b/obj/src/x/b.o" "$T/b.c"
t_fail "a two-file cycle is found" 1 /usr/bin/python3 \
    "$TOP/scripts/filecycles" "$T/b" src/x
t_grep "and named with the call that closes it" "a -> b: b" "$T/out"
t_done
