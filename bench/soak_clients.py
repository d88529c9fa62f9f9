#!/usr/bin/env python3
"""The clients of bench/soak: idle, slow and well-behaved, for a bounded time.

  soak_clients.py --port P --paths /a1/,/a2/ --idle 2000 --slow 200 \
                  --seconds 180 [--host 127.0.0.1] [--sni localhost]

- `idle` TLS connections that are opened, handshaken and left alone; one the
  server closes (its idle timeout) is opened again, so the count holds.
- `slow` connections that trickle a request head, a byte every 2 s
  (slowloris); the server's header-wait timeout cuts them, and they start
  over.
- one well-behaved client that fetches each path in turn over a fresh TLS
  connection, about 4 times a second, and records status and latency.

Prints one JSON object at the end: counts of reopened idle and slow
connections, the well-behaved requests, their failures and latency
percentiles. Loopback only; everything stops after --seconds.
"""
import argparse
import json
import resource
import selectors
import socket
import ssl
import sys
import time


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def connect(ctx, a):
    s = socket.create_connection((a.host, a.port), timeout=10)
    t = ctx.wrap_socket(s, server_hostname=a.sni)
    t.setblocking(False)
    return t


def fetch(ctx, a, path):
    """One GET on a new connection: (status or 0, seconds)."""
    t0 = time.monotonic()
    try:
        with socket.create_connection((a.host, a.port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname=a.sni) as t:
                t.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\n"
                           "Connection: close\r\n\r\n" % (path, a.sni))
                          .encode())
                data = b""
                while True:
                    b = t.recv(65536)
                    if not b:
                        break
                    data += b
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/")\
            else 0
    except (OSError, ValueError, IndexError):
        status = 0
    return status, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--sni", default="localhost")
    ap.add_argument("--paths", required=True)
    ap.add_argument("--idle", type=int, default=2000)
    ap.add_argument("--slow", type=int, default=200)
    ap.add_argument("--seconds", type=float, default=180)
    a = ap.parse_args()
    a.seconds = min(a.seconds, 3600)
    paths = [p for p in a.paths.split(",") if p]

    need = a.idle + a.slow + 200
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))

    ctx = tls_context()
    sel = selectors.DefaultSelector()
    stats = {"idle_opened": 0, "idle_reopened": 0, "slow_opened": 0,
             "slow_cut": 0, "connect_errors": 0, "requests": 0,
             "failures": 0, "statuses": {}}
    slow = {}		# socket -> bytes of its head still to send
    head = ("GET %s HTTP/1.1\r\nHost: %s\r\nX-Slow: " % (paths[0], a.sni))\
        .encode() + b"x" * 4096

    def open_one(kind):
        try:
            t = connect(ctx, a)
        except OSError:
            stats["connect_errors"] += 1
            return
        sel.register(t, selectors.EVENT_READ, kind)
        stats[kind + "_opened"] += 1
        if kind == "slow":
            slow[t] = 0

    end = time.monotonic() + a.seconds
    for _ in range(a.idle):
        if time.monotonic() > end:
            break
        open_one("idle")
    for _ in range(a.slow):
        open_one("slow")

    lat = []
    next_trickle = next_fetch = time.monotonic()
    turn = 0
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.05):
            t, kind = key.fileobj, key.data
            try:
                b = t.recv(4096)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                continue
            except OSError:
                b = b""
            if b:
                continue	# an error page for a cut slow client: wait EOF
            sel.unregister(t)
            t.close()
            if kind == "slow":
                del slow[t]
                stats["slow_cut"] += 1
            else:
                stats["idle_reopened"] += 1
            open_one(kind)
        now = time.monotonic()
        if now >= next_trickle:
            next_trickle = now + 2
            for t, off in list(slow.items()):
                try:
                    t.send(head[off:off + 1])
                    slow[t] = (off + 1) % len(head)
                except (ssl.SSLWantWriteError, ssl.SSLWantReadError):
                    pass
                except OSError:
                    pass	# the read side sees the close
        if now >= next_fetch:
            next_fetch = now + 0.25
            status, secs = fetch(ctx, a, paths[turn % len(paths)])
            turn += 1
            stats["requests"] += 1
            stats["statuses"][str(status)] = \
                stats["statuses"].get(str(status), 0) + 1
            if status != 200:
                stats["failures"] += 1
            lat.append(secs)
    for key in list(sel.get_map().values()):
        key.fileobj.close()
    lat.sort()

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1)\
            if lat else None
    stats["latency_ms"] = {"p50": pct(0.5), "p99": pct(0.99),
                           "max": pct(1.0)}
    json.dump(stats, sys.stdout)
    print()


if __name__ == "__main__":
    main()
