# The README's first command: scripts/demo sets up a private instance that
# serves https://localhost:PORT/hello/ with a certificate curl can verify,
# can be run again, and stops cleanly. It builds and uses build/, as a user
# running it does, whatever BUILD the suite runs with.
. "$(dirname "$0")/lib.sh"

export PORT=$((20000 + RANDOM % 12000))
t_ok "scripts/demo sets everything up" timeout 120 "$TOP/scripts/demo"
t_grep "and prints the curl line" "curl --cacert .* https://localhost:$PORT/hello/" "$T/out"
t_eq "which fetches the page, verifying the certificate" \
    "$(curl -s --cacert "$HSYS_HOME/localhost.pem" https://localhost:$PORT/hello/)" \
    "hello, world"
t_ok "running it again works" timeout 120 "$TOP/scripts/demo"
t_eq "and still serves" \
    "$(curl -s --cacert "$HSYS_HOME/localhost.pem" https://localhost:$PORT/hello/)" \
    "hello, world"
t_ok "scripts/demo stop" "$TOP/scripts/demo" stop
sleep 0.5
t_fail "stops it" 7 curl -s --cacert "$HSYS_HOME/localhost.pem" \
    https://localhost:$PORT/hello/
t_done
