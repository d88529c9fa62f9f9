#!/usr/bin/env python3
"""Memory a server spends per idle TLS connection.

  idle_conns.py --port P --pid PID [--pid PID ...] [-n 2000]

Opens N TLS 1.3 connections to 127.0.0.1:P (handshake done, no request),
and prints one line: the growth of the resident memory of the given
processes and all their descendants, in bytes per connection. A few
hundred connections are opened and closed first, so that pools and caches
a server fills once are not counted. Every connection is closed before it
exits. Loopback only.
"""
import argparse
import os
import resource
import socket
import ssl
import time


def descendants(roots):
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(d))
    seen, todo = set(), list(roots)
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo.extend(children.get(p, []))
    return seen


def rss_kib(roots):
    total = 0
    for p in descendants(roots):
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, action="append", required=True)
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--sni", default="localhost")
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (min(max(soft, a.n + 64), hard), hard))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3

    def connect():
        s = socket.create_connection(("127.0.0.1", a.port), timeout=10)
        return ctx.wrap_socket(s, server_hostname=a.sni)

    for _ in range(300):
        connect().close()
    time.sleep(1)
    before = rss_kib(a.pid)
    conns = [connect() for _ in range(a.n)]
    time.sleep(1)
    after = rss_kib(a.pid)
    for c in conns:
        c.close()
    print("%d" % ((after - before) * 1024 / a.n))


if __name__ == "__main__":
    main()
