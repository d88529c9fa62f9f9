# Batch mode: lines from standard input or hsys -f FILE, stopping at the
# first failing line; --atomic; export, apply elsewhere, export again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib/certs.sh"

APPID='{00112233-4455-6677-8899-aabbccddeeff}'
good=$(certs_add www.example.test)

t_ok "one line from stdin" bash -c "echo 'http add urlacl url=http://+:80/a/ user=root' | $HSYS_WRAP $BUILD/hsys"
t_eq "its output" "$(cat "$T/out")" "URL reservation successfully added"

cat >"$T/ok.txt" <<EOT
# a comment, then a blank line

netsh http add sslcert ipport=0.0.0.0:443 certhash=$good appid="$APPID"
http add urlacl url="http://+:80/b/" user="root" listen=yes
HTTP ADD IPLISTEN IPADDRESS=192.0.2.7
	http add timeout timeouttype=headerwaittimeout value=15
EOT
t_ok "hsys -f FILE" $HSYS -f "$T/ok.txt"
t_eq "four changes" "$(grep -c successfully "$T/out")" 4
$HSYS http show urlacl >"$T/show"
t_grep "quoted url applied" 'http://\+:80/b/' "$T/show"

cat >"$T/bad.txt" <<EOT
http add urlacl url=http://+:80/c/ user=root
http add iplisten ipaddress=192.0.2.8
http add urlacl url=http://+:80/d user=root
http add iplisten ipaddress=192.0.2.9
EOT
t_fail "stops at the failing line" 2 $HSYS -f "$T/bad.txt"
t_grep "names line 3" '^hsys: line 3: url=http://\+:80/d: .*trailing slash' "$T/err"
t_grep "netsh line too" '^Url reservation add failed, Error: 87$' "$T/err"
$HSYS http show urlacl >"$T/show"
t_grep "line 1 stayed" 'http://\+:80/c/' "$T/show"
$HSYS http show iplisten >"$T/show"
t_grep "line 2 stayed" '192\.0\.2\.8' "$T/show"
t_nogrep "line 4 never ran" '192\.0\.2\.9' "$T/show"

t_fail "failing line from stdin" 1 bash -c "printf 'http add iplisten ipaddress=192.0.2.10\nhttp add iplisten ipaddress=192.0.2.10\n' | $HSYS_WRAP $BUILD/hsys"
t_grep "stdin line 2" '^hsys: line 2: 192\.0\.2\.10 is already' "$T/err"

cat >"$T/atomic.txt" <<EOT
http add urlacl url=http://+:80/e/ user=root
http add iplisten ipaddress=192.0.2.11
http delete urlacl url=http://+:80/a/
http add urlacl url=http://+:80/b/ user=root
EOT
t_fail "--atomic refuses all" 1 $HSYS -f "$T/atomic.txt" --atomic
t_grep "line 4 named" '^hsys: line 4: .*already reserved' "$T/err"
t_grep "says nothing applied" 'nothing was applied' "$T/err"
t_nogrep "and no line claims a change it did not make" 'successfully' "$T/out"
$HSYS http show urlacl >"$T/show"
t_nogrep "line 1 rolled back" 'http://\+:80/e/' "$T/show"
t_grep "line 3 rolled back" 'http://\+:80/a/' "$T/show"
$HSYS http show iplisten >"$T/show"
t_nogrep "line 2 rolled back" '192\.0\.2\.11' "$T/show"
sed -i '$d' "$T/atomic.txt"
t_ok "--atomic applies all" $HSYS --atomic -f "$T/atomic.txt"
t_eq "and says so for each line once it committed" \
    "$(grep -c 'successfully' "$T/out")" 3
$HSYS http show urlacl >"$T/show"
t_grep "e added" 'http://\+:80/e/' "$T/show"
t_nogrep "a deleted" 'http://\+:80/a/' "$T/show"

t_fail "not an http line" 2 bash -c "echo 'cert list' | $HSYS_WRAP $BUILD/hsys"
t_grep "says so" "line 1: 'cert' is not an http command" "$T/err"
t_fail "unclosed quote" 2 bash -c "echo 'http add urlacl url=\"x' | $HSYS_WRAP $BUILD/hsys"
t_fail "missing file" 1 $HSYS -f "$T/nope.txt"
t_fail "-f without file" 2 $HSYS -f

# export -> apply on an empty store -> export gives the same text
$HSYS http update sslcert ipport=0.0.0.0:443 disablehttp2=enable >/dev/null
t_ok "export" $HSYS http export
cp "$T/out" "$T/export1"
t_grep "sslcert line" "^http add sslcert ipport=0\.0\.0\.0:443 certhash=$good appid=\{00112233-4455-6677-8899-aabbccddeeff\} certstorename=MY disablehttp2=enable$" "$T/export1"
t_grep "timeout line" '^http add timeout timeouttype=headerwaittimeout value=15$' "$T/export1"
home1=$HSYS_HOME
home2=$T/home2
mkdir -p "$home2"
HSYS_HOME=$home2 "$BUILD/hsys" http delete timeout \
    timeouttype=idleconnectiontimeout >/dev/null
DB=$home2/hsys.db store_sql "ATTACH '$home1/hsys.db' AS o;
    ATTACH '$home1/keys.db' AS ok;
    INSERT INTO key SELECT * FROM ok.key; INSERT INTO cert SELECT * FROM o.cert;"
t_ok "apply onto an empty store" env HSYS_HOME="$home2" $HSYS_WRAP \
    "$BUILD/hsys" -f "$T/export1" --atomic
t_ok "export again" env HSYS_HOME="$home2" $HSYS_WRAP "$BUILD/hsys" http export
t_eq "identical text" "$(cat "$T/out")" "$(cat "$T/export1")"
t_done
