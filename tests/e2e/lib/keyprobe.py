#!/usr/bin/python3
"""keyprobe: hostile requests to a key process (docs/keys.md).

    keyprobe.py HSYSD_PID MONITOR_PID KEYID_HEX RSA_KEYID_HEX

Takes a copy of hsysd's control channel to the key process's monitor
(pidfd_getfd, as root), asks for a channel of its own on it (CHANNEL, which
the monitor passes to the signer), and sends on that: garbage, an oversized
message, a version it does not speak, a key no binding uses, the wrong
algorithm for a key, a CHANNEL without a descriptor and with a pipe, a
RENEW and a CONTROL (the monitor's, refused on a signer's channel), then a
good request. On the control channel: a malformed RENEW, and one without
its socket. Prints one line per case: "NAME STATUS" (the answer's status
number, or "none").
"""
import ctypes
import os
import socket
import struct
import subprocess
import sys

SYS_pidfd_getfd = 438


def main_channel(hsysd, keys):
    """hsysd's descriptor whose peer is the key process's descriptor 3."""
    out = subprocess.run(["ss", "-xpn"], capture_output=True, text=True,
                         check=True).stdout
    socks = []
    for line in out.splitlines():
        f = line.split()
        if len(f) < 8 or f[0] != "u_seq":
            continue
        socks.append((f[5], f[7], " ".join(f[8:])))
    peer = next(p for ino, p, u in socks
                if "pid=%d,fd=3)" % keys in u)
    users = next(u for ino, p, u in socks if ino == peer)
    fd = int(users.split("pid=%d,fd=" % hsysd)[1].split(")")[0])
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(hsysd)
    got = libc.syscall(SYS_pidfd_getfd, pidfd, fd, 0)
    if got < 0:
        raise OSError(ctypes.get_errno(), "pidfd_getfd")
    return socket.socket(fileno=got)


def req(op, alg=0, md=0, rid=1, salt=0, dlen=0, key=bytes(32), dg=b"",
        version=1):
    return struct.pack("<BBBBIHH", version, op, alg, md, rid, salt,
                       dlen) + key + dg


def ask(s, msg, fds=(), rid=None):
    s.sendmsg([msg], [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                       struct.pack("i" * len(fds), *fds))] if fds else [])
    s.settimeout(10)
    while True:
        try:
            a = s.recv(2048)
        except socket.timeout:
            return "none"
        if len(a) < 8:
            return "none"
        if rid is None or struct.unpack("<I", a[4:8])[0] == rid:
            return "%d" % a[1]


def main():
    hsysd, keys = int(sys.argv[1]), int(sys.argv[2])
    ec, rsa = bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
    main_ch = main_channel(hsysd, keys)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    print("channel", ask(main_ch, req(3, rid=0x7fff0001), [theirs.fileno()],
                         rid=0x7fff0001))
    theirs.close()
    mr, mw = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    print("control-renew-malformed",
          ask(main_ch, req(4, alg=1, rid=0x7fff0002), [mw.fileno()],
              rid=0x7fff0002))
    print("control-renew-no-fd", ask(main_ch, req(4, rid=0x7fff0003),
                                     rid=0x7fff0003))
    print("control-renew-pipe", ask(main_ch, req(4, rid=0x7fff0004),
                                    [os.pipe()[0]], rid=0x7fff0004))
    mr.close()
    mw.close()
    main_ch.close()
    cases = [
        ("garbage", os.urandom(100)),
        ("short", b"\x01\x01"),
        ("oversized", req(1, 1, 1, 5, 0, 32, ec, bytes(32)) + bytes(5000)),
        ("version", req(1, 1, 1, 5, 0, 32, ec, bytes(32), version=2)),
        ("digest-length", req(1, 1, 1, 5, 0, 31, ec, bytes(31))),
        ("pss-salt", req(1, 3, 1, 5, 20, 32, rsa, bytes(32))),
        ("unknown-key", req(1, 1, 1, 5, 0, 32, bytes(range(32)), bytes(32))),
        ("wrong-alg", req(1, 1, 1, 5, 0, 32, rsa, bytes(32))),
        ("rsa-on-ec", req(1, 2, 1, 5, 0, 32, ec, bytes(32))),
        ("channel-no-fd", req(3, rid=9)),
        ("renew-on-channel", req(4, rid=13)),
        ("control-on-channel", req(5, rid=14)),
    ]
    for name, msg in cases:
        print(name, ask(ours, msg))
    r, w = os.pipe()
    print("channel-pipe", ask(ours, req(3, rid=10), [r]))
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    print("renew-on-channel-fd", ask(ours, req(4, rid=15), [b.fileno()]))
    print("control-on-channel-fd", ask(ours, req(5, rid=16), [b.fileno()]))
    a.close()
    b.close()
    print("good-ecdsa", ask(ours, req(1, 1, 1, 11, 0, 32, ec, bytes(32))))
    print("good-pss", ask(ours, req(1, 3, 2, 12, 48, 48, rsa, bytes(48))))
    ours.close()


if __name__ == "__main__":
    main()
