# The example applications, built on libhsys, against the real hsysd over
# HTTPS: hsys-hello answers on its prefix, hsys-static serves a directory
# (whole files, ranges, conditional GET, refusals), and two hello processes
# share a named queue.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
APPID='{00112233-4455-6677-8899-aabbccddeeff}'
thumb=$(hsys cert new-selfsigned --dns-name localhost | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$thumb appid=$APPID >/dev/null
hsys cert export "$thumb" --pem "$T/ca.pem" >/dev/null
start_hsysd --workers 2

get() { curl -s --cacert "$T/ca.pem" "$@"; }
mkdir -p "$T/www/sub"
echo '<h1>hi</h1>' >"$T/www/index.html"
head -c 3000000 /dev/urandom >"$T/www/sub/big.bin"
ln -s /etc/passwd "$T/www/escape"

"$BUILD/examples/hello" "https://+:$P/hello/" 2>"$T/hello.log" &
"$BUILD/examples/static" "$T/www" "https://+:$P/files/" 2>"$T/static.log" &
wait_until 30 code_is 200 --cacert "$T/ca.pem" \
    https://localhost:$P/files/index.html
t_eq "hsys-hello answers over HTTPS" "$(get https://localhost:$P/hello/)" "hello, world"
t_eq "hsys-static serves a file" "$(get https://localhost:$P/files/index.html)" "<h1>hi</h1>"
get https://localhost:$P/files/sub/big.bin -o "$T/big"
t_ok "a 3 MB file arrives whole" cmp "$T/big" "$T/www/sub/big.bin"
t_eq "a range" "$(get -r 10-19 -o /dev/null -w '%{http_code} %{size_download}' \
    https://localhost:$P/files/sub/big.bin)" "206 10"
etag=$(get -D - -o /dev/null https://localhost:$P/files/index.html |
    sed -n 's/^[Ee][Tt]ag: *//p' | tr -d '\r')
t_eq "a conditional GET with the ETag: 304" "$(get -o /dev/null -w '%{http_code}' \
    -H "If-None-Match: $etag" https://localhost:$P/files/index.html)" 304
t_ok "cachestate" $HSYS http show cachestate
t_grep "hsys-static's files are in hsysd's response cache" \
    'URL +: "https://localhost:'"$P"'/files/index.html"' "$T/out"
t_nogrep "but not one over UriMaxUriBytes" 'big.bin' "$T/out"
t_eq "a missing file: 404" "$(get -o /dev/null -w '%{http_code}' \
    https://localhost:$P/files/nope)" 404
t_ne_200() { [ "$(get -o /dev/null -w '%{http_code}' "$1")" != 200 ]; }
t_ok "a symlink out of the root is refused" t_ne_200 https://localhost:$P/files/escape

"$BUILD/examples/hello" --queue shared "https://+:$P/shared/" 2>"$T/h1.log" &
sleep 0.3
"$BUILD/examples/hello" --queue shared "https://+:$P/shared/" 2>"$T/h2.log" &
sleep 0.3
ok=0
for i in $(seq 20); do
	[ "$(get https://localhost:$P/shared/)" = "hello, world" ] && ok=$((ok + 1))
done
t_eq "two processes on a named queue answer every request" "$ok" 20

kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_done
