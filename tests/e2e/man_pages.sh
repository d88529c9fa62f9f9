#!/usr/bin/env bash
# man_pages — every page in man/ renders with man(1) without a warning;
# hsys(3) documents every function of include/hsys.h, passes mandoc's lint
# when mandoc is installed, and its example program compiles against the
# header. (tests/e2e/install.sh renders the installed pages; this reads the
# sources, so a page not installed yet is checked too.)
. "$(dirname "$0")/lib.sh"

for m in "$TOP"/man/*.[1-9]; do
	name=$(basename "$m")
	MANWIDTH=80 man --warnings -l "$m" >"$T/$name.txt" 2>"$T/$name.warn"
	t_eq "man -l $name renders (exit 0)" "$?" 0
	t_eq "man -l $name gives no warning" "$(cat "$T/$name.warn")" ""
	t_grep "$name has a NAME and a SEE ALSO" '^SEE ALSO' "$T/$name.txt"
done

P3=$TOP/man/hsys.3
t_grep "hsys(3) has an EXAMPLES section" '^EXAMPLES' "$T/hsys.3.txt"
t_grep "hsys(3) has an ERRORS section" '^ERRORS' "$T/hsys.3.txt"

# Each public function is named in NAME and shown in SYNOPSIS.
sed -n 's/^[^#/ *].*[ *]\(hsys_[a-z0-9_]*\)(.*/\1/p' "$TOP/include/hsys.h" |
    sort -u >"$T/functions"
t_grep "include/hsys.h declares functions" '^hsys_open$' "$T/functions"
missing=
for f in $(cat "$T/functions"); do
	grep -qx "\.Nm $f \{0,1\},\{0,1\}" "$P3" && grep -q "^\.Fn $f " "$P3" ||
	    missing="$missing $f"
done
t_eq "hsys(3) documents every function of include/hsys.h" "$missing" ""
extra=
for f in $(sed -n 's/^\.Fn \(hsys_[a-z0-9_]*\) ".*/\1/p' "$P3" | sort -u); do
	grep -qx "$f" "$T/functions" || extra="$extra $f"
done
t_eq "hsys(3) shows no function that include/hsys.h lacks" "$extra" ""

if command -v mandoc >/dev/null; then
	mandoc -T lint -W warning "$P3" >"$T/lint" 2>&1
	t_eq "mandoc -T lint finds nothing in hsys(3)" "$(cat "$T/lint")" ""
fi

# The complete program of EXAMPLES (the first literal block) compiles.
awk '/^\.Sh EXAMPLES/ { ex = 1 } ex && /^\.Bd -literal/ { on = 1; next }
    on && /^\.Ed/ { exit } on { print }' "$P3" |
    sed 's/\\e/\\/g; s/\\&//g' >"$T/example.c"
t_grep "hsys(3) has the example program" '^main\(int argc' "$T/example.c"
t_ok "the example of hsys(3) compiles against include/hsys.h" \
    cc -std=c17 -Wall -Wextra -Werror -I"$TOP/include" -c \
    -o "$T/example.o" "$T/example.c"

t_done
