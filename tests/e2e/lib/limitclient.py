#!/usr/bin/env python3
"""Misbehaving clients for hsysd's timeouts and limits (hsysd_limits.sh).

    limitclient.py PORT MODE [ARGS]

Modes print one line, "closed SECONDS" (how long until hsysd closed the
connection, measured from the moment the client began to misbehave) or
"open SECONDS" when it stayed open for the whole bounded wait, and exit 0:

  headwait PATH       sends a head's first bytes, then one byte a second
  idle PATH           one request, its answer, then nothing
  fresh               connects and sends nothing
  body PATH N         POST announcing 100 bytes, sends N of them, stops
  trickle PATH N      POST of N bytes, one a second: prints the status
  slowbody PATH       POST of 1000 bytes, one every half second: prints
                      "closed SECONDS" when hsysd cuts it off
  noread PATH         GET PATH with a tiny receive buffer, never reads
  refused             connects: "refused" if hsysd closes it at once, else
                      "served STATUS" for a GET /
  hold N SECONDS      N idle connections held open for SECONDS, then closed;
                      prints "holding N" once they are all open
  holdhead N SECONDS  the same, each having sent the start of a head
Every wait is bounded (60 s at most).
"""
import resource
import socket
import sys
import time

LIMIT = 60


def connect(port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(LIMIT)
    s.connect(("127.0.0.1", port))
    return s


def wait_closed(s, start, read=True):
    """Seconds from start until the peer closed (EOF or reset)."""
    s.settimeout(0.2)
    while time.monotonic() - start < LIMIT:
        try:
            if not read:
                time.sleep(0.2)
                continue
            if s.recv(65536) == b"":
                return time.monotonic() - start
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - start
    return None


def report(t):
    print("closed %.1f" % t if t is not None else "open %d" % LIMIT)


def read_status(s):
    data = b""
    while b"\r\n" not in data:
        d = s.recv(4096)
        if not d:
            break
        data += d
    return data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "none"


def main():
    port, mode, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    if mode == "headwait":
        s = connect(port)
        start = time.monotonic()
        s.sendall(b"GET " + args[0].encode() + b" HTTP/1.1\r\n")
        while time.monotonic() - start < LIMIT:
            try:
                s.sendall(b"X")
            except OSError:
                break
            s.settimeout(1)
            try:
                if s.recv(4096) == b"":
                    break
            except socket.timeout:
                continue
            except OSError:
                break
        t = time.monotonic() - start
        report(t if t < LIMIT else None)
    elif mode == "idle":
        s = connect(port)
        s.sendall(b"GET " + args[0].encode() + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            data += s.recv(65536)
        report(wait_closed(s, time.monotonic()))
    elif mode == "fresh":
        s = connect(port)
        report(wait_closed(s, time.monotonic()))
    elif mode == "body":
        s = connect(port)
        s.sendall(b"POST " + args[0].encode() + b" HTTP/1.1\r\nHost: a\r\n"
                  b"Content-Length: 100\r\n\r\n" + b"x" * int(args[1]))
        report(wait_closed(s, time.monotonic()))
    elif mode == "trickle":
        s = connect(port)
        n = int(args[1])
        s.sendall(b"POST " + args[0].encode() + b" HTTP/1.1\r\nHost: a\r\n"
                  b"Content-Length: %d\r\n\r\n" % n)
        for _ in range(n):
            time.sleep(1)
            s.sendall(b"x")
        print(read_status(s))
    elif mode == "slowbody":
        s = connect(port)
        s.sendall(b"POST " + args[0].encode() + b" HTTP/1.1\r\nHost: a\r\n"
                  b"Content-Length: 1000\r\n\r\n")
        start = time.monotonic()
        s.settimeout(0.5)
        while time.monotonic() - start < LIMIT:
            try:
                s.sendall(b"x")
                if s.recv(4096) == b"":
                    break
            except socket.timeout:
                continue
            except OSError:
                break
        t = time.monotonic() - start
        report(t if t < LIMIT else None)
    elif mode == "noread":
        s = connect(port, rcvbuf=4096)
        s.sendall(b"GET " + args[0].encode() + b" HTTP/1.1\r\nHost: a\r\n\r\n")
        start = time.monotonic()
        # Not reading: the only sign of a close is a reset on send, or
        # EOF once we finally look. Look every second, reading nothing
        # until the end: MSG_PEEK keeps the buffer full.
        while time.monotonic() - start < LIMIT:
            time.sleep(1)
            st = open("/proc/net/tcp").read()
            if not own_established(s, st):
                report(time.monotonic() - start)
                return
        report(None)
    elif mode == "refused":
        try:
            s = connect(port)
        except ConnectionResetError:
            print("refused")
            return
        s.settimeout(3)
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            d = s.recv(4096)
            print("refused" if d == b"" else "served " + d.split(b" ")[1].decode())
        except (socket.timeout, OSError) as e:
            print("refused" if not isinstance(e, socket.timeout) else "hung")
    elif mode in ("hold", "holdhead"):
        n, secs = int(args[0]), float(args[1])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 100)), hard))
        socks = []
        for i in range(n):
            socks.append(connect(port))
            if (i + 1) % 100 == 0 and i + 1 < n:
                print("opened %d" % (i + 1), flush=True)
        if mode == "holdhead":
            for s in socks:
                s.sendall(b"GET /app/ HTTP/1.1\r\nHost: a\r\nX-Slow: ")
        print("holding %d" % len(socks), flush=True)
        time.sleep(min(secs, LIMIT))
        for s in socks:
            s.close()
    else:
        sys.exit("unknown mode " + mode)


def own_established(s, table):
    """Is s's connection still ESTABLISHED in /proc/net/tcp?"""
    lport = s.getsockname()[1]
    for line in table.splitlines()[1:]:
        f = line.split()
        if int(f[1].split(":")[1], 16) == lport and f[3] == "01":
            return True
    return False


if __name__ == "__main__":
    main()
