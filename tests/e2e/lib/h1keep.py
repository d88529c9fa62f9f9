#!/usr/bin/python3
"""h1keep — one HTTP/1.1 keep-alive connection over TLS, for tests of how
hsysd ends such connections (a TLS binding removed, a drain).

    h1keep.py HOST PORT AUTHORITY FIRST [SECOND] [--wait S]

GETs FIRST and prints "first STATUS CONNECTION-HEADER" ("-" when none).
With SECOND, GETs it next on the same connection (a slow one is in
flight while the test acts) and prints "second STATUS CONNECTION-HEADER".
Last it prints "closed" if the server then ends the connection (EOF
within --wait seconds), else "open".
"""
import argparse
import socket
import ssl
import sys


def get(f, s, path, authority):
    s.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" %
              (path.encode(), authority.encode()))
    status = f.readline()
    if not status:
        return "eof", "-"
    conn, length = "-", 0
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "connection":
            conn = value.strip().lower()
        if name.strip().lower() == "content-length":
            length = int(value)
    f.read(length)
    return status.split()[1].decode(), conn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("authority")
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--wait", type=float, default=20)
    a = ap.parse_args()
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    raw = socket.create_connection((a.host, a.port), timeout=a.wait)
    s = ctx.wrap_socket(raw, server_hostname=a.authority.split(":")[0])
    f = s.makefile("rb")
    print("first %s %s" % get(f, s, a.paths[0], a.authority), flush=True)
    if len(a.paths) > 1:
        print("second %s %s" % get(f, s, a.paths[1], a.authority), flush=True)
    try:
        print("closed" if s.recv(1) == b"" else "open")
    except (socket.timeout, TimeoutError):
        print("open")
    except (ConnectionError, ssl.SSLError):
        print("closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
