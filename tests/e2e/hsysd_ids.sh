# Request ids are unique within a session although each worker numbers its
# own requests: requests held at once by one application, arriving through
# both workers, all carry different ids (they once collided, and libhsys
# rightly ended the session with a protocol error).
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
export PYTHONPATH="$TOP/bindings/python:$TOP/tests/e2e/lib"
start_hsysd --workers 2

# An application that holds every request and prints the ids it got.
cat >"$T/holder.py" <<PY
import select, struct, sys
from hsys.raw import *
s = Session("holder")
s.open_channels()
qid = struct.unpack("<I", s.queue_create()[1])[0]
assert s.prefix_add(qid, "http://+:$P/held/")[0] == "ok"
open("$T/holder.ready", "w").close()
chans = {c.s: c for c in s.channels}
while True:
    for sock in select.select(list(chans), [], [])[0]:
        ch = chans[sock]
        f = ch.recv_frame()
        if f is None:
            sys.exit(0)
        while f is not None:
            if f[0] == REQUEST:
                print(f[2], flush=True)
            f = ch.recv_frame() if ch.has_frame() else None
PY
python3 "$T/holder.py" >"$T/ids" 2>"$T/holder.err" &
wait_until 30 test -e "$T/holder.ready"

N=16
for i in $(seq $N); do
	curl -s -m 30 -o /dev/null "http://127.0.0.1:$P/held/$i" &
done
held() { [ "$(wc -l <"$T/ids")" -ge $N ]; }
wait_until 30 held
t_eq "the application holds all $N requests" "$(wc -l <"$T/ids")" $N
t_eq "and their ids are all different" "$(sort -u "$T/ids" | wc -l)" $N
workers=$(python3 -c "import sys; print(len({(int(l) >> 24) & 255 for l in open('$T/ids')}))")
t_eq "the requests came through both workers" "$workers" 2
t_done
