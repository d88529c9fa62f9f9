# hsys http add|delete|show urlacl: netsh's output, principals, errors.
. "$(dirname "$0")/lib.sh"

t_ok "add for a user" $HSYS http add urlacl url=http://+:80/app/ user=root
t_eq "success line" "$(cat "$T/out")" "URL reservation successfully added"
t_ok "add for a group, keys in any case" $HSYS http add urlacl \
    URL=HTTPS://WWW.Example.Test:443/Shop/ User=@root Delegate=yes
t_ok "a numeric uid" $HSYS http add urlacl url=http://*:8080/ user=4000000 \
    listen=yes delegate=no
t_ok "a numeric gid, delegate only" $HSYS http add urlacl \
    url=http://[::1]:80/x%7ey/ user=@4000001 listen=no delegate=yes
t_ok "a group named without @ (no such user)" $HSYS http add urlacl \
    url=http://192.0.2.1:80/ user=adm

cat >"$T/want" <<'EOT'

URL Reservations:
-----------------

    Reserved URL            : http://*:8080/
        User: 4000000
            Listen: Yes
            Delegate: No
            SDDL: D:(A;;GX;;;S-1-22-1-4000000)

    Reserved URL            : http://+:80/app/
        User: root
            Listen: Yes
            Delegate: No
            SDDL: D:(A;;GX;;;S-1-22-1-0)

    Reserved URL            : http://192.0.2.1:80/
        User: @adm
            Listen: Yes
            Delegate: No
            SDDL: D:(A;;GX;;;S-1-22-2-4)

    Reserved URL            : http://[::1]:80/x~y/
        User: @4000001
            Listen: No
            Delegate: Yes
            SDDL: D:(A;;GW;;;S-1-22-2-4000001)

    Reserved URL            : https://www.example.test:443/Shop/
        User: @root
            Listen: Yes
            Delegate: Yes
            SDDL: D:(A;;GA;;;S-1-22-2-0)

EOT
t_ok "show urlacl" $HSYS http show urlacl
t_eq "show urlacl text is netsh's" "$(cat "$T/out")" "$(cat "$T/want")"
t_ok "show one, any case" $HSYS http show urlacl url=http://+:80/APP/
t_grep "that one" 'Reserved URL            : http://\+:80/app/' "$T/out"
t_eq "only it" "$(grep -c 'Reserved URL' "$T/out")" 1
t_ok "show --json" $HSYS http show urlacl --json
cp "$T/out" "$T/json"
t_ok "json parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d) == 5 and d[1]["user"] == "root" and d[1]["uid"] == 0' "$T/json"

t_fail "duplicate is 183" 1 $HSYS http add urlacl url=http://+:80/App/ \
    user=root
t_grep "183 line" '^Url reservation add failed, Error: 183$' "$T/err"
t_grep "use delete first" 'already reserved; use .hsys http delete urlacl' "$T/err"
t_fail "no trailing slash" 2 $HSYS http add urlacl url=http://+:80/app2 \
    user=root
t_grep "87 line" '^Url reservation add failed, Error: 87$' "$T/err"
t_grep "says why" "must end with '/' \(netsh requires the trailing slash\)" "$T/err"
t_fail "no port" 2 $HSYS http add urlacl url=http://+/x/ user=root
t_grep "port missing" 'port is missing' "$T/err"
t_fail "query" 2 $HSYS http add urlacl "url=http://+:80/x/?a=b" user=root
t_grep "no query" 'cannot have a query' "$T/err"
t_fail "dot segment" 2 $HSYS http add urlacl url=http://+:80/a/../ user=root
t_grep "no dots" "'\.\.' segment" "$T/err"
t_fail "bad scheme" 2 $HSYS http add urlacl url=ftp://+:21/ user=root
t_fail "unknown user" 2 $HSYS http add urlacl url=http://+:81/ \
    user=no-such-user-hsys
t_grep "unknown user said" "no user or group named 'no-such-user-hsys'" "$T/err"
t_fail "unknown group" 2 $HSYS http add urlacl url=http://+:81/ \
    user=@no-such-group-hsys
t_grep "unknown group said" "no group named" "$T/err"
t_fail "missing user" 2 $HSYS http add urlacl url=http://+:81/
t_grep "names user" "'user' \\(or 'sddl'\\) is missing" "$T/err"
t_fail "missing url" 2 $HSYS http add urlacl user=root
t_grep "names url" "'url' is missing" "$T/err"
t_fail "unknown key" 2 $HSYS http add urlacl url=http://+:81/ user=root \
    owner=me
t_grep "names it" "unknown parameter 'owner'" "$T/err"
t_fail "sddl= with user= is refused: say one principal" 2 $HSYS http add \
    urlacl url=http://+:81/ user=root "sddl=D:(A;;GX;;;WD)"
t_grep "says so" 'give sddl= alone, or user=' "$T/err"
t_ok "sddl= alone grants what it says (http_windows has more)" $HSYS http \
    add urlacl url=http://+:81/ "sddl=D:(A;;GX;;;WD)"

t_ok "delete" $HSYS http delete urlacl url=http://+:80/app/
t_eq "delete line" "$(cat "$T/out")" "URL reservation successfully deleted"
t_fail "delete again is 2" 1 $HSYS http delete urlacl url=http://+:80/app/
t_grep "2 line" '^Url reservation delete failed, Error: 2$' "$T/err"
t_fail "no update urlacl" 2 $HSYS http update urlacl url=http://+:81/
t_ok "help" $HSYS http add urlacl --help
t_grep "help text" 'delegate' "$T/out"

# Writing needs write access to the store.
if command -v setpriv >/dev/null; then
	t_fail "another user cannot write" 1 setpriv --reuid=65534 \
	    --regid=65534 --clear-groups "$BUILD/hsys" http add urlacl \
	    url=http://+:82/ user=root
	t_grep "says whose store" 'cannot (write|open) the store' "$T/err"
fi
t_done
