"""A stand-in for systemd's notification socket (sd_notify(3)).

    notifysock.py PATH OUT

Binds a datagram socket at PATH and writes one line per message to OUT:
the sender's pid (SCM_CREDENTIALS, as systemd learns it) and the message's
fields joined by spaces. Runs until killed. tests/e2e/hsysd_notify.sh
checks with it who says what during a handover (NotifyAccess=main).
"""
import os
import socket
import struct
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "a", buffering=1) as f:
    while True:
        data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = 0
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", cdata[:12])[0]
        f.write("%d %s\n" % (pid, " ".join(data.decode().split("\n")).strip()))
