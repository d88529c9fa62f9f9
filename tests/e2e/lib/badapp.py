"""A misbehaving application, for tests/e2e/hsysd_misbehave.sh.

  badapp.py MODE PREFIX READY_FILE

Registers PREFIX on a queue of its own, writes READY_FILE, then misbehaves:
  flood       answers each request with 32 MiB of RESP_DATA at once, never
              waiting for credit
  garbage     writes bytes that are no frame on its data channels when the
              first request comes
  ctlgarbage  writes such bytes on its control channel when the first
              request comes
  deaf        never reads its data channels again
Prints "cut off" and exits 0 when hsysd ends its session or channels, so the
test sees that it was cut off; exits 2 after 60 s otherwise.
"""
import os
import select
import struct
import sys
import time

# The hsys package from the source tree: its blocking frame client.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "bindings", "python"))
from hsys.raw import *  # noqa: E402,F403

mode, prefix, ready = sys.argv[1:4]
s = Session("badapp-" + mode)
s.open_channels()
qid = struct.unpack("<I", s.queue_create()[1])[0]
# No grace period: once cut off, its prefix goes at once.
assert s.queue_set(qid, QUEUE_GRACE, 0)[0] == "ok"
assert s.prefix_add(qid, prefix)[0] == "ok"
open(ready, "w").close()
chans = {c.s: c for c in s.channels}
deadline = time.time() + 60


def cut_off():
    print("cut off", flush=True)
    sys.exit(0)


def misbehave(ch, rid):
    if mode == "flood":
        ch.send(frame(RESPONSE, rid, response(200)))
        block = b"x" * 65536
        try:
            for _ in range(512):
                ch.send(frame(RESP_DATA, rid, block))
        except OSError:
            cut_off()
    elif mode == "garbage":
        ch.send(b"\xde\xad\xbe\xef" * 64)
    elif mode == "ctlgarbage":
        s.ctl.send(b"\xde\xad\xbe\xef" * 64)


while time.time() < deadline:
    watch = [s.ctl.s] + ([] if mode == "deaf" else list(chans))
    rl, _, _ = select.select(watch, [], [], 1)
    for sock in rl:
        if sock is s.ctl.s:
            try:
                f = s.ctl.recv_frame()
            except OSError:
                f = None
            if f is None:
                cut_off()
            continue
        ch = chans[sock]
        try:
            f = ch.recv_frame()
        except OSError:
            f = None
        if f is None:
            cut_off()
        if f[0] == REQUEST:
            misbehave(ch, f[2])
sys.exit(2)
