# storefault.sh — shared by the store fault-injection tests
# (store_faults_*.sh). Source it after lib.sh.
#
#   sf_setup                 a TLS binding, hsysd, an application behind it,
#                            and $T/a.pem (a certificate with its key)
#   sf_toggle BEFORE         imports a.pem when the store lacks it, deletes
#                            it when it has it: the write every fault hits
#                            (sf_cmd BEFORE: its arguments, in SF_CMD)
#   sf_state                 the store's content that a write changes, and
#                            its generation
#   sf_after STATE           what sf_toggle makes of STATE: the other
#                            content, the next generation
#   sf_check WHAT RC BEFORE  after a fault: integrity_check ok, the content
#                            exactly BEFORE or sf_after BEFORE, and a
#                            failure (RC not 0) said clearly on one line
#                            ($T/err)
#   sf_serving WHAT          hsysd still serves the binding and the app, with
#                            the generation it could last read
export PYTHONPATH="$TOP/tests/e2e/lib"
SF_DB=$HSYS_HOME/hsys.db

sf_setup() {
	local thumb
	P=$((20000 + RANDOM % 12000))
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$T/a.key" -out "$T/a.crt" -subj /CN=fault.test -days 30 \
	    2>/dev/null
	cat "$T/a.crt" "$T/a.key" >"$T/a.pem"
	SF_THUMB=$(openssl x509 -in "$T/a.crt" -noout -fingerprint -sha1 |
	    sed 's/.*=//; s/://g')
	thumb=$(hsys cert new-selfsigned --dns-name localhost |
	    grep -oE '^[0-9A-F]{40}')
	hsys http add sslcert ipport=0.0.0.0:$P certhash=$thumb \
	    appid='{00112233-4455-6677-8899-aabbccddeeff}' >/dev/null
	hsys cert export "$thumb" --pem "$T/ca.pem" >/dev/null
	$HSYS_WRAP "$BUILD/hsysd" --workers 1 --verbose 2>"$T/d.log" &
	SF_HSYSD=$!
	t_wait "hsysd is ready" 30 grep -q ready "$T/d.log"
	start_app app "https://+:$P/app/"
	t_ok "the application serves" sf_get
	# The two contents sf_toggle goes between.
	SF_WITHOUT=$(sf_content)
	hsys cert import "$T/a.pem" >/dev/null
	SF_WITH=$(sf_content)
	t_ok "the write goes between two contents" test "$SF_WITH" != "$SF_WITHOUT"
}

sf_get() {
	[ "$(curl -s -m 10 --cacert "$T/ca.pem" -o /dev/null -w '%{http_code}' \
	    "https://localhost:$P/app/x")" = 200 ]
}

# sf_cmd BEFORE: the hsys arguments that change the store whose state is
# BEFORE, in SF_CMD.
sf_cmd() {
	if [ "${1%gen=*}" = "$SF_WITH" ]; then
		SF_CMD=(cert delete "$SF_THUMB")
	else
		SF_CMD=(cert import "$T/a.pem")
	fi
}

# sf_toggle BEFORE VAR=value...: runs it with that environment, as env
# does.
sf_toggle() {
	sf_cmd "$1"; shift
	env "$@" $HSYS_WRAP "$BUILD/hsys" "${SF_CMD[@]}"
}

SF_CONTENT="SELECT store, thumbprint, key_id IS NOT NULL FROM cert ORDER BY
    1, 2; SELECT count(*) FROM key; SELECT count(*) FROM sslcert;"

sf_content() { sf_look | sed 's/^ok //; s/gen=.*//'; }

sf_generation() { sf_look | sed 's/.*gen=//'; }

# The integrity check's first line (of both files: hsys.db and keys.db),
# then the content and the generation, in one sqlite3 run (a loaded
# machine runs few processes a second). The look opens the store where it
# is, as the next hsys would: a write cut short left hot rollback journals
# (and a super-journal naming both), which SQLite plays back on that open,
# so what the look sees is what any reader sees from then on.
sf_look() {
	sqlite3 -cmd "ATTACH '$(dirname "$SF_DB")/keys.db' AS keys" "$SF_DB" \
	    "PRAGMA integrity_check; $SF_CONTENT SELECT
	    'gen=' || value FROM meta WHERE key = 'generation';" 2>&1 |
	    tr '\n' ' ' | sed 's/ $//'
}

sf_state() { sf_look | sed 's/^ok //'; }

sf_after() {
	local content=${1%gen=*} gen=${1##*gen=}
	if [ "$content" = "$SF_WITH" ]; then
		echo "${SF_WITHOUT}gen=$((gen + 1))"
	else
		echo "${SF_WITH}gen=$((gen + 1))"
	fi
}

# Quiet on success (a loop of hundreds), reporting a failure with what
# was seen; SF_NOW is the state found.
sf_check() {
	local what=$1 rc=$2 before=$3 after look now
	after=$(sf_after "$before")
	look=$(sf_look)
	now=${look#ok }
	SF_NOW=$now
	if [ "$now" = "$look" ]; then
		_t_report 1 "$what: integrity_check" "$look"
		return 1
	fi
	if [ "$now" != "$before" ] && [ "$now" != "$after" ]; then
		_t_report 1 "$what: the store is before or after, never between" \
		    "now: $now
before: $before
after: $after"
		return 1
	fi
	if [ "$rc" != 0 ] && ! { [ "$rc" = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] &&
	    grep -Eq "^hsys: .*(failed \(|is full|read-only|damaged)" "$T/err"; }; then
		_t_report 1 "$what: the failure is said clearly (exit 1, one line)" \
		    "exit $rc: $(head -c 1000 "$T/err")"
		return 1
	fi
	if grep -Eq 'Sanitizer|runtime error' "$T/err"; then
		_t_report 1 "$what: no sanitizer report" "$(head -c 2000 "$T/err")"
		return 1
	fi
	return 0
}

sf_serving() {
	local what=$1 gen
	t_ok "$what: hsysd is still running" kill -0 "$SF_HSYSD"
	t_ok "$what: it still serves the binding and the application" sf_get
	# A poke makes it read the store at once, as a change does.
	kill -HUP "$SF_HSYSD"
	gen=$(sf_generation)
	t_wait "$what: it serves the last generation it could read ($gen)" 30 \
	    sh -c "$HSYS_WRAP '$BUILD/hsys' http show servicestate |
	    grep -q 'Configuration generation: $gen\$'"
}
