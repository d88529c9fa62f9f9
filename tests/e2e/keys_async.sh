# Asynchronous signatures (docs/keys.md "Handshakes in flight"): with one
# worker, 200 TLS 1.3 handshakes 32 at a time, ECDSA and RSA, all succeed
# through the key process. While the signer is stopped (SIGSTOP), the
# worker still serves (its waiting handshakes hold no thread), and clients
# that leave right after their ClientHello in numbers leave hsysd serving
# with its memory bounded; once the signer goes on, the handshakes that
# waited for it finish. A signer killed with handshakes waiting fails or
# retries them, and later handshakes work.
. "$(dirname "$0")/lib.sh"

P=$((20000 + RANDOM % 12000))
C=$((P + 1))

key_bindings $P
t_ok "an ECDSA P-256 and an RSA-2048 certificate" test -n "$EC" -a -n "$RSA"

# Under ASan, freed memory waits in a quarantine (256 MB by default):
# a small one, so that RSS tells what is held.
export ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=16
start_hsysd --workers 1
MPID=$(pgrep -P "$dpid" -x hsysd-keymon)
t_ok "the signer runs" wait_until 10 pgrep -P "$MPID" -x hsysd-keys
KPID=$(pgrep -P "$MPID" -x hsysd-keys)
t_ok "the signer runs SCHED_BATCH (a request does not preempt its worker)" \
    sh -c "chrt -p $KPID | grep -q SCHED_BATCH"
t_ok "an application serves https and http" start_app app "https://+:$P/" \
    "http://+:$C/"

# hs.py N THREADS MODE: N handshakes, THREADS at a time, alternately
# ec.test and rsa.test (TLS 1.3); prints "ok K fail F". MODE full: whole
# handshakes; hello: send the ClientHello, wait 0.2 s, leave.
cat >"$T/hs.py" <<PY
import socket, ssl, sys, threading, time
n, par, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
ctx.minimum_version = ssl.TLSVersion.TLSv1_3
lock = threading.Lock()
res = {"ok": 0, "fail": 0}
todo = list(range(n))
def one(i):
    name = "ec.test" if i % 2 == 0 else "rsa.test"
    s = socket.create_connection(("127.0.0.1", $P), timeout=20)
    try:
        if mode == "hello":
            o = ssl.MemoryBIO(); inb = ssl.MemoryBIO()
            t = ctx.wrap_bio(inb, o, server_hostname=name)
            try: t.do_handshake()
            except ssl.SSLWantReadError: pass
            s.sendall(o.read()); time.sleep(0.2); return True
        with ctx.wrap_socket(s, server_hostname=name) as t:
            return t.version() == "TLSv1.3"
    finally:
        s.close()
def run():
    while True:
        with lock:
            if not todo: return
            i = todo.pop()
        try: ok = one(i)
        except Exception: ok = False
        with lock: res["ok" if ok else "fail"] += 1
ts = [threading.Thread(target=run) for _ in range(par)]
for t in ts: t.start()
for t in ts: t.join()
print("ok %d fail %d" % (res["ok"], res["fail"]))
PY
HS="timeout 50 /usr/bin/python3 $T/hs.py"
rss() { awk '/^VmRSS/ { print $2 }' /proc/"$dpid"/status; }

finish() {
	kill "$dpid"; wait "$dpid"
	t_eq "and exits cleanly" "$?" 0
	t_nogrep "no sanitizer report" \
	    'AddressSanitizer|LeakSanitizer|runtime error' "$T/d.log"
	t_done
	exit
}

t_eq "200 concurrent handshakes, ECDSA and RSA, all succeed" \
    "$($HS 200 32 full)" "ok 200 fail 0"
# Under valgrind hsysd's handshakes wait for their signature (valgrind
# cannot follow OpenSSL's ASYNC jobs, conn.c): what follows is about not
# waiting, and ASan checks it.
[ -z "$HSYS_WRAP" ] || finish
RSS0=$(rss)

# The signer stopped: handshakes wait, the worker does not.
kill -STOP "$KPID"
$HS 16 16 full >"$T/waited.out" &
WAITED=$!
t_eq "1000 clients leave after their ClientHello" "$($HS 1000 64 hello)" \
    "ok 1000 fail 0"
t_eq "the worker still serves while signatures wait" \
    "$(code -m 5 http://127.0.0.1:$C/)" 200
kill -CONT "$KPID"
wait $WAITED
t_eq "the handshakes that waited for the signer finish" \
    "$(cat "$T/waited.out")" "ok 16 fail 0"
t_ok "hsysd runs" kill -0 "$dpid"
RSS1=$(rss)
t_ok "its memory stayed bounded ($RSS0 -> $RSS1 kB)" \
    test "$RSS1" -lt $((RSS0 + 65536))
t_eq "handshakes work after" "$($HS 20 4 full)" "ok 20 fail 0"

# The signer killed with handshakes waiting: they fail or retry, none
# hangs; the monitor starts it again, and handshakes work.
kill -STOP "$KPID"
$HS 16 16 full >"$T/killed.out" &
KILLED=$!
sleep 1
kill -KILL "$KPID"
wait $KILLED
t_grep "every handshake waiting on the killed signer ended" \
    '^ok [0-9]* fail [0-9]*$' "$T/killed.out"
t_ok "a new signer runs" wait_until 10 sh -c \
    "pgrep -P $MPID -x hsysd-keys | grep -vx $KPID"
t_ok "handshakes work with the new signer" wait_until 10 sh -c \
    "$HS 20 4 full | grep -qx 'ok 20 fail 0'"
t_ok "hsysd runs" kill -0 "$dpid"
finish
