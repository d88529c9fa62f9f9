# Routing among the four host classes on one port, end to end, as HTTP.sys
# ranks them: strong wildcard (+) over an explicit host over an IP-bound
# weak wildcard (an address literal: requests that arrived on that local
# address, whatever their Host) over the weak wildcard (*); the class
# decides before the path length. All of 127.0.0.0/8 is local on Linux, so
# 127.0.0.1 and 127.0.0.2 are two local addresses of one port.
. "$(dirname "$0")/lib.sh"

# Below the ephemeral range (32768-), where a client socket of any test
# on the machine could hold the port.
P=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/tests/e2e/lib"

# which ADDR PATH [HOST]: the prefix the request was routed by, or the
# status when it reached no application
which() {
	local out
	out=$(curl -s --max-time 5 -w '\n%{http_code}' \
	    ${3:+-H "Host: $3"} "http://$1:$P$2")
	if [ "$(echo "$out" | tail -1)" = 200 ]; then
		echo "$out" | head -1 | python3 -c \
		    'import json,sys; print(json.load(sys.stdin)["prefix"])'
	else
		echo "$out" | tail -1
	fi
}

start_hsysd --workers 2 --verbose

t_ok "an application registers four classes on port $P" start_app app \
    "http://127.0.0.2:$P/x/" "http://*:$P/x/" "http://*:$P/x/deep/" \
    "http://www.example.test:$P/x/" "http://[::1]:$P/x/"

t_eq "on 127.0.0.2: the IP-bound prefix over *" \
    "$(which 127.0.0.2 /x/a)" "http://127.0.0.2:$P/x/"
t_eq "whatever the Host says" \
    "$(which 127.0.0.2 /x/a other.test)" "http://127.0.0.2:$P/x/"
t_eq "on 127.0.0.1: the weak wildcard" \
    "$(which 127.0.0.1 /x/a)" "http://*:$P/x/"
t_eq "on ::1: its own IP-bound prefix" \
    "$(which '[::1]' /x/a)" "http://[::1]:$P/x/"
t_eq "an explicit host over the IP-bound prefix" \
    "$(which 127.0.0.2 /x/a www.example.test)" "http://www.example.test:$P/x/"
t_eq "and over * on another address" \
    "$(which 127.0.0.1 /x/a www.example.test)" "http://www.example.test:$P/x/"
t_eq "within *, the longest path" \
    "$(which 127.0.0.1 /x/deep/z)" "http://*:$P/x/deep/"
t_eq "but the class first: IP-bound /x/ over * /x/deep/" \
    "$(which 127.0.0.2 /x/deep/z)" "http://127.0.0.2:$P/x/"
t_eq "no prefix for the path: 404" "$(which 127.0.0.2 /other/)" 404

t_ok "a second application registers the strong wildcard" start_app strong \
    "http://+:$P/x/"
t_eq "+ takes 127.0.0.2" "$(which 127.0.0.2 /x/a)" "http://+:$P/x/"
t_eq "+ takes the explicit host" \
    "$(which 127.0.0.2 /x/a www.example.test)" "http://+:$P/x/"
t_eq "+ takes 127.0.0.1" "$(which 127.0.0.1 /x/a)" "http://+:$P/x/"
t_eq "+ /x/ over * /x/deep/: the class first" \
    "$(which 127.0.0.1 /x/deep/z)" "http://+:$P/x/"
kill $strong_pid; wait $strong_pid 2>/dev/null
wait_until 30 prints "http://127.0.0.2:$P/x/" which 127.0.0.2 /x/a
t_eq "+ gone, the IP-bound prefix routes again" \
    "$(which 127.0.0.2 /x/a)" "http://127.0.0.2:$P/x/"

kill -TERM $dpid
wait $dpid
t_eq "hsysd stops cleanly" "$?" 0
t_nogrep "no sanitizer report" 'Sanitizer|runtime error' "$T/d.log"
t_done
