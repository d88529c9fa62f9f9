# hsys http add|delete|show setting: HTTP.sys's names in any case, values
# in range, url= only where a setting takes it, defaults marked, other
# components' rows in the setting table left alone, export and batch.
. "$(dirname "$0")/lib.sh"

t_ok "show on a new store" $HSYS http show setting
t_eq "every default, marked" "$(cat "$T/out")" "
Settings:
---------

    MaxConnections              : 3/4 of hsysd's open files (default)
    MaxFieldLength              : 16384 (default)
    MaxRequestBytes             : 16384 (default)
    MaxHeaderCount              : 100 (default)
    MaxUrlLength                : 16384 (default)
    MaxRequestBodySize          : unlimited (default)
    MinSendRate                 : 150 (default)
    MinRequestBodyDataRate      : 240 (default)
    UriEnableCache              : 1 (default)
    UriMaxUriBytes              : 262144 (default)
    UriMaxCacheMegabyteCount    : 64 (default)
    Http2MaxConcurrentStreams   : 100 (default)
    EnableHttp2Cleartext        : 1 (default)"

t_ok "add, any case" $HSYS http add setting name=maxrequestbytes value=32768
t_eq "add line" "$(cat "$T/out")" "Setting successfully added"
t_ok "add again replaces" $HSYS http add setting Name=MaxRequestBytes \
    Value=65536
t_ok "MaxConnections" $HSYS http add setting name=MaxConnections value=5000
t_ok "unlimited where allowed" $HSYS http add setting \
    name=MaxRequestBodySize value=unlimited
t_ok "per prefix" $HSYS http add setting name=MaxRequestBodySize \
    value=1048576 url=HTTPS://+:443/Upload/
t_ok "show name=" $HSYS http show setting name=maxrequestbytes
t_grep "shows the value" 'MaxRequestBytes +: 65536$' "$T/out"
t_nogrep "and only it" 'MaxConnections' "$T/out"
t_ok "show --json" $HSYS http show setting --json
cp "$T/out" "$T/json"
t_ok "json parses" python3 -c "
import json, sys
d = json.load(open('$T/json'))
by = {(x['name'], x.get('url')): x for x in d}
assert by[('MaxRequestBytes', None)] == {'name': 'MaxRequestBytes', 'value': 65536, 'default': False}
assert by[('MinSendRate', None)]['default'] is True
assert by[('MaxRequestBodySize', None)]['unlimited'] is True
assert by[('MaxRequestBodySize', None)]['default'] is False
assert by[('MaxRequestBodySize', 'https://+:443/Upload/')]['value'] == 1048576
assert len(d) == 14, d
"

# Refusals: netsh's 87, exit 2, and what to give instead.
t_fail "unknown name" 2 $HSYS http add setting name=metrics.url value=1
t_grep "87 line" '^Setting add failed, Error: 87$' "$T/err"
t_grep "lists the names" 'not a setting hsys knows; use one of MaxConnections' \
    "$T/err"
t_fail "below the range" 2 $HSYS http add setting name=MaxFieldLength value=63
t_grep "says the range" 'MaxFieldLength takes a number of bytes from 64 to 65534' \
    "$T/err"
t_fail "above the range" 2 $HSYS http add setting name=MaxRequestBytes \
    value=65537
t_fail "a switch takes 0 or 1" 2 $HSYS http add setting \
    name=EnableHttp2Cleartext value=2
t_grep "and says so" 'EnableHttp2Cleartext takes 1 \(on\) or 0 \(off\)' "$T/err"
t_fail "not a number" 2 $HSYS http add setting name=MinSendRate value=1k
t_fail "negative" 2 $HSYS http add setting name=MinSendRate value=-1
t_fail "unlimited where not allowed" 2 $HSYS http add setting \
    name=MinSendRate value=unlimited
t_fail "url= on a service-wide setting" 2 $HSYS http add setting \
    name=MaxConnections value=5 url=http://+:80/
t_grep "says it is service-wide" 'MaxConnections is service-wide' "$T/err"
t_fail "a bad prefix" 2 $HSYS http add setting name=MaxRequestBodySize \
    value=5 url=http://+:80/nos
t_fail "value missing" 2 $HSYS http add setting name=MinSendRate
t_grep "names it" "'value' is missing" "$T/err"
t_fail "unknown key" 2 $HSYS http add setting name=MinSendRate value=5 x=1

# Another component's row in the same table: not listed, not touched.
python3 -c "
import sqlite3
db = sqlite3.connect('$HSYS_HOME/hsys.db')
db.execute(\"INSERT INTO setting VALUES ('metrics.url', 'http://127.0.0.1:9/')\")
db.commit()"
t_ok "show with a foreign row" $HSYS http show setting
t_nogrep "lists only its names" 'metrics' "$T/out"

# Export, then apply into an empty store: the same text.
t_ok "export" $HSYS http export
grep '^http add setting' "$T/out" >"$T/exp"
t_eq "export lines" "$(cat "$T/exp")" "http add setting name=MaxConnections value=5000
http add setting name=MaxRequestBytes value=65536
http add setting name=MaxRequestBodySize value=unlimited
http add setting name=MaxRequestBodySize value=1048576 url=https://+:443/Upload/"
home=$HSYS_HOME
export HSYS_HOME=$T/other
mkdir -p "$HSYS_HOME"
t_ok "batch applies them" $HSYS -f "$T/exp"
$HSYS http export | grep '^http add setting' >"$T/exp2"
t_eq "round trip" "$(cat "$T/exp2")" "$(cat "$T/exp")"
export HSYS_HOME=$home

t_ok "delete per prefix (any case)" $HSYS http delete setting \
    name=MaxRequestBodySize url=https://+:443/UPLOAD/
t_eq "delete line" "$(cat "$T/out")" "Setting successfully deleted"
t_ok "delete service-wide" $HSYS http delete setting name=MaxRequestBytes
t_ok "delete what was not set" $HSYS http delete setting name=MaxHeaderCount
$HSYS http show setting >"$T/show"
t_grep "back to the default" 'MaxRequestBytes +: 16384 \(default\)' "$T/show"
t_nogrep "the prefix is gone" 'Upload' "$T/show"
t_grep "the foreign row stays" 'metrics.url' \
    <(python3 -c "import sqlite3; print(sqlite3.connect('$HSYS_HOME/hsys.db').execute('SELECT name FROM setting').fetchall())")
t_ok "noun help" $HSYS http add setting --help
t_grep "lists the names" 'MinSendRate' "$T/out"
t_done
