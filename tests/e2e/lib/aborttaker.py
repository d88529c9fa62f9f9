"""A new hsysd that gives up half-way through a handover, for
tests/e2e/hsysd_handover_abort.sh (docs/operations.md, "Restarting").

    aborttaker.py SOCKET MODE

Asks the daemon at SOCKET to hand over (HANDOVER, as root), takes the
lock, the listening sockets and the registrations until HANDOVER_END
(closing every descriptor it receives), and then aborts as MODE says:

    close    closes the handover connection
    ready    sends HANDOVER_READY (the daemon sends GOAWAY to its
             applications), then closes
    garbage  sends a frame the daemon does not expect

Just before it aborts, it pokes the daemon (CONFIG_CHANGED, which makes
it read the store) and right after, connects to its control socket a few
times: the abort and those connections then tend to be reported to the
daemon in one batch of events, where an object freed by the abort could
still be reached. Prints "aborted MODE" when done.
"""
import array
import os
import socket
import struct
import sys
import time

# The hsys package from the source tree: its blocking frame client.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "bindings", "python"))
from hsys.protocol import CONFIG_CHANGED, HANDOVER, MAGIC, frame  # noqa: E402

HANDOVER_END, HANDOVER_READY = 0x0F13, 0x0F14


def recv_until_end(s):
    buf = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        fds = array.array("i")
        data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(64 * 4))
        for level, kind, d in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(d[:len(d) - (len(d) % fds.itemsize)])
        for fd in fds:
            os.close(fd)
        if not data:
            sys.exit("the daemon closed the handover")
        buf += data
        while len(buf) >= 16:
            length, ftype = struct.unpack_from("<IH", buf)
            size = 16 + length + (-length) % 8
            if len(buf) < size:
                break
            buf = buf[size:]
            if ftype == HANDOVER_END:
                return
    sys.exit("no HANDOVER_END within 10 s")


def connect(path):
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(2)
    c.connect(path)
    return c


def main():
    path, mode = sys.argv[1], sys.argv[2]
    s = connect(path)
    s.settimeout(10)
    s.sendall(frame(HANDOVER, 0, struct.pack("<II", MAGIC, 0)))
    recv_until_end(s)
    if mode == "ready":
        s.sendall(frame(HANDOVER_READY))
        time.sleep(0.05)
    poke = connect(path)
    poke.sendall(frame(CONFIG_CHANGED, 1))
    if mode == "garbage":
        s.sendall(frame(0x7777))
    s.close()
    others = []
    for _ in range(4):
        try:
            others.append(connect(path))
        except OSError:
            pass	# the socket is being put back in place
    time.sleep(0.05)
    for c in others + [poke]:
        c.close()
    print("aborted", mode, flush=True)


main()
