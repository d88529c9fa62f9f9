# Deleting a URL reservation leaves the registrations made under it
# serving, as in HTTP.sys (which checks a reservation when a prefix is
# registered, not after); servicestate says which registrations no
# reservation covers any more, and a new registration is refused.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib"
chmod 0755 "$TOP/tests/e2e/lib" "$HSYS_HOME" 2>/dev/null
hsys http add urlacl url="http://+:$P/nb/" user=nobody >/dev/null
start_hsysd --workers 1

mkdir -p "$T/nb" && chmod 0777 "$T/nb"	# where nobody says it is ready
(cd / && exec setpriv --reuid=65534 --regid=65534 --clear-groups \
    env HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" /usr/bin/python3 \
    "$TOP/tests/e2e/lib/echoapp.py" --ready "$T/nb/ready" --grace 0 \
    "http://+:$P/nb/app/") >"$T/nb.out" 2>&1 &
app=$!
t_ok "nobody registers under its reservation" \
    wait_until 30 test -e "$T/nb/ready"
t_eq "and serves" "$(code "http://127.0.0.1:$P/nb/app/")" 200
t_ok "servicestate, before" hsys http show servicestate view=requestq
t_nogrep "nothing is marked" 'no reservation covers' "$T/out"

t_ok "the admin deletes the reservation" hsys http delete urlacl \
    url="http://+:$P/nb/"
t_eq "the registration goes on serving, as in HTTP.sys" \
    "$(code "http://127.0.0.1:$P/nb/app/")" 200
t_ok "servicestate" hsys http show servicestate view=requestq
t_grep "marks it" "http://\\+:$P/nb/app/ \\(no reservation covers it any more" \
    "$T/out"
t_ok "servicestate --json" hsys http show servicestate view=requestq --json
cp "$T/out" "$T/json"
t_ok "lists it under unreserved" /usr/bin/python3 -c "
import json
d = json.load(open('$T/json'))
qs = [q for q in d['queues'] if 'http://+:$P/nb/app/' in q['prefixes']]
assert len(qs) == 1 and qs[0]['unreserved'] == ['http://+:$P/nb/app/'], d
"
r=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups \
    env HSYS_HOME="$HSYS_HOME" PYTHONPATH="$PYTHONPATH" /usr/bin/python3 -c "
import struct
from hsys.raw import *
s = Session('late')
q = struct.unpack('<I', s.queue_create()[1])[0]
r = s.prefix_add(q, 'http://+:$P/nb/other/')
print(r[0], r[1] if len(r) > 1 else '')" 2>&1)
t_eq "a new registration under it is refused (EACCES)" "$r" "error 13"

t_ok "the reservation comes back" hsys http add urlacl \
    url="http://+:$P/nb/" user=nobody
t_ok "servicestate" hsys http show servicestate view=requestq
t_nogrep "the mark is gone" 'no reservation covers' "$T/out"
kill $app; wait $app 2>/dev/null
kill $dpid; wait $dpid
t_eq "hsysd exits cleanly" "$?" 0
t_done
