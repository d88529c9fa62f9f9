# A browser over HTTP/2: headless Chromium loads a page served by
# hsys-static through hsysd on a TLS binding, with its stylesheet, two
# scripts and an image; the page writes what the Resource Timing API says
# of each (nextHopProtocol) into the DOM, which --dump-dom prints. Every
# one must have come over h2, and the access log says HTTP/2.0 for them.
. "$(dirname "$0")/lib.sh"

if ! command -v chromium >/dev/null; then
	_t_report 1 "chromium is installed (scripts/install-deps)"
	t_done
	exit 1
fi
P=$((20000 + RANDOM % 12000))
A=$(hsys cert new-selfsigned --dns-name a.test | grep -oE '^[0-9A-F]{40}')
hsys http add sslcert ipport=0.0.0.0:$P certhash=$A \
    appid='{00112233-4455-6677-8899-aabbccddeeff}' >/dev/null
start_hsysd --workers 2

mkdir -p "$T/www"
cat >"$T/www/index.html" <<'EOF'
<!doctype html>
<html><head><title>h2</title>
<link rel="stylesheet" href="s.css">
<script src="a.js"></script>
<script src="b.js"></script>
</head><body>
<img src="p.png" alt="">
<pre id="out">not loaded</pre>
<script>
window.addEventListener("load", function () {
  var nav = performance.getEntriesByType("navigation")[0];
  var lines = ["page " + nav.nextHopProtocol];
  performance.getEntriesByType("resource").forEach(function (e) {
    lines.push(e.name.replace(/^.*\//, "") + " " + e.nextHopProtocol);
  });
  lines.push("scripts " + window.A + window.B);
  lines.push("css " + getComputedStyle(document.body).marginLeft);
  lines.push("img " + document.images[0].naturalWidth);
  document.getElementById("out").textContent = lines.sort().join("\n");
});
</script>
</body></html>
EOF
echo 'body { margin-left: 7px }' >"$T/www/s.css"
echo 'window.A = "a";' >"$T/www/a.js"
echo 'window.B = "b";' >"$T/www/b.js"
/usr/bin/python3 -c 'import base64,sys; sys.stdout.buffer.write(base64.b64decode(
"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="))' \
    >"$T/www/p.png"
"$BUILD/examples/static" "$T/www" "https://+:$P/h2page/" 2>"$T/static.log" &
t_ok "hsys-static serves the page" wait_until 60 code_is 200 -k \
    "https://127.0.0.1:$P/h2page/index.html"

prof=$(mktemp -d "$T/chromium.XXXXXX")
timeout -k 5 90 chromium --headless --no-sandbox --disable-gpu \
    --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$prof" \
    --ignore-certificate-errors --virtual-time-budget=10000 --dump-dom \
    "https://127.0.0.1:$P/h2page/index.html" >"$T/dom" 2>"$T/chromium.err"
sed -n '/<pre id="out">/,/<\/pre>/p' "$T/dom" | sed 's/<[^>]*>//g' >"$T/resources"
sed 's/^/# /' "$T/resources"
t_grep "the page came over h2" '^page h2$' "$T/resources"
for r in s.css a.js b.js p.png; do
	t_grep "$r came over h2 too" "^$r h2\$" "$T/resources"
done
t_grep "the scripts ran" '^scripts ab$' "$T/resources"
t_grep "the stylesheet applied" '^css 7px$' "$T/resources"
t_grep "the image decoded" '^img 1$' "$T/resources"
t_ok "the access log says HTTP/2.0 for the subresources" wait_until 30 \
    bash -c "[ \$(grep -c 'GET /h2page/[a-z]*\.\(css\|js\|png\) HTTP/2.0' \
    '$HSYS_HOME/log/access.log') -ge 4 ]"
kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
