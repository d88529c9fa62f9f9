"""A test application for hsysd, speaking the wire protocol from Python.

    echoapp.py PREFIX [PREFIX...] [--queue NAME] [--ready FILE] [--reconnect]

Registers the prefixes on one queue and answers every request by what its
path ends with:
  .../big?n=N     N bytes of a repeating pattern, streamed within credit
  .../die         exits at once, leaving the request unanswered
  .../hang        never answers
  .../slow?ms=N   answers after N ms (the whole app waits meanwhile)
  .../status?c=N  status N, empty body
  .../badheader   a response whose header value holds a line break
  anything else   200 with a JSON description of the request (method,
                  urls, host, prefix, headers, body length and sha256)
A prefix it may not register is reported as "refused CODE MESSAGE" and it
exits 3. It writes "ready" to the --ready file once it serves. A streamed
answer blocks the app until it is sent: one big request at a time.

With --reconnect it does what libhsys does (docs/api.md): it says in HELLO
that it understands GOAWAY, and on GOAWAY, or when its session breaks, it
opens a new session (retrying for up to 30 s), creates its queue and
registers its prefixes again, and appends "reconnected N" to the --ready
file. Requests already on the old session's channels are answered there,
until the old daemon closes them.
"""
import hashlib
import json
import os
import select
import struct
import sys
import time

from hsysproto import *

WINDOW = 256 * 1024


def main():
    args = sys.argv[1:]
    queue, ready, reconnect = "", None, False
    prefixes = []
    while args:
        a = args.pop(0)
        if a == "--queue":
            queue = args.pop(0)
        elif a == "--ready":
            ready = args.pop(0)
        elif a == "--reconnect":
            reconnect = True
        else:
            prefixes.append(a)
    s = register(queue, prefixes, reconnect)
    if ready:
        with open(ready, "w") as f:
            f.write("ready\n")
    reqs = {}
    chans = {c.s: c for c in s.channels}
    reconnects = 0
    while True:
        watch = list(chans) + ([s.ctl.s] if reconnect else [])
        rl, _, _ = select.select(watch, [], [])
        broken = False
        for sock in rl:
            if reconnect and sock is s.ctl.s:
                f = s.ctl.recv_frame()
                # GOAWAY: a new daemon serves; the old session's
                # channels stay open for what is in flight on them.
                broken = broken or f is None or f[0] == GOAWAY
                continue
            ch = chans.get(sock)
            if ch is None:
                continue
            f = ch.recv_frame()
            if f is None:
                if not reconnect:
                    sys.exit(0)
                del chans[sock]
                ch.close()
                broken = broken or ch in s.channels
                continue
            handle(ch, reqs, *f)
            while ch.has_frame():
                handle(ch, reqs, *ch.recv_frame())
        if broken or (reconnect and s.goaway):
            old = s
            s = register(queue, prefixes, True, retry=True)
            chans.update({c.s: c for c in s.channels})
            old.retired = True
            retired.append(old)   # its control channel keeps it alive
            reconnects += 1
            if ready:
                with open(ready, "a") as f:
                    f.write("reconnected %d\n" % reconnects)


retired = []


def register(queue, prefixes, flagged, retry=False):
    """A session serving the queue and prefixes (retrying when asked)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            s = Session("echoapp", HELLO_F_GOAWAY if flagged else 0)
            s.open_channels()
            r = s.queue_attach(queue) if queue else ("error",)
            if r[0] != "ok":
                r = s.queue_create(queue)
            if r[0] != "ok":
                raise OSError("queue: %r" % (r,))
            qid = struct.unpack("<I", r[1])[0]
            for p in prefixes:
                r = s.prefix_add(qid, p)
                if r[0] != "ok":
                    print("refused", r[1], r[2], flush=True)
                    sys.exit(3)
            return s
        except (OSError, RuntimeError, TypeError):
            if not retry or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def handle(ch, reqs, ftype, flags, rid, p):
    if ftype == REQUEST:
        req = parse_request(p)
        req["body"] = hashlib.sha256()
        req["len"] = 0
        req["ch"] = ch
        reqs[rid] = req
        if not req["flags"] & 1:
            answer(rid, reqs.pop(rid))
    elif ftype == REQ_DATA:
        req = reqs.get(rid)
        if req is None:
            return
        req["body"].update(p)
        req["len"] += len(p)
        ch.send(frame(REQ_CREDIT, rid, struct.pack("<I", len(p))))
        if flags & END:
            answer(rid, reqs.pop(rid))
    elif ftype in (CANCEL, ERROR):
        reqs.pop(rid, None)


def answer(rid, req):
    ch, path = req["ch"], req["path"].decode()
    query = dict(kv.split("=", 1) for kv in req["query"].decode().split("&")
                 if "=" in kv)
    if path.endswith("/die"):
        os._exit(1)
    if path.endswith("/hang"):
        return
    if path.endswith("/slow"):
        time.sleep(int(query.get("ms", "1000")) / 1000)
    if path.endswith("/badheader"):
        ch.send(frame(RESPONSE, rid, response(200, [("X-Evil", "a\r\nSet-Cookie: x=1")],
                                              end=True)))
        return
    if path.endswith("/status"):
        ch.send(frame(RESPONSE, rid, response(int(query["c"]), end=True)))
        return
    if path.endswith("/big"):
        return stream(ch, rid, int(query["n"]), "cl" in query)
    desc = {
        "method": req["method"].decode(), "raw_url": req["raw_url"].decode(),
        "path": path, "query": req["query"].decode(),
        "host": req["host"].decode(), "prefix": req["prefix"].decode(),
        "version": list(req["version"]), "flags": req["flags"],
        "peer": req["peer"], "local": req["local"],
        "headers": [[k.decode(), v.decode()] for k, v in req["headers"]],
        "body_len": req["len"], "body_sha256": req["body"].hexdigest(),
        "content_length": req["content_length"],
    }
    body = json.dumps(desc).encode() + b"\n"
    ch.send(frame(RESPONSE, rid, response(200, [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body)))])) +
        frame(RESP_DATA, rid, body, END))


def stream(ch, rid, n, with_length):
    """n bytes in 64 KiB frames, never more than the credit allows."""
    hdrs = [("Content-Type", "application/octet-stream")]
    if with_length:
        hdrs.append(("Content-Length", str(n)))
    ch.send(frame(RESPONSE, rid, response(200, hdrs)))
    credit, sent = WINDOW, 0
    block = bytes(range(256)) * 512	# byte i of the stream is i % 256
    while sent < n:
        while credit <= 0:
            f = ch.recv_frame()
            if f is None:
                sys.exit(0)
            if f[0] == RESP_CREDIT and f[2] == rid:
                credit += struct.unpack("<I", f[3])[0]
            elif f[0] == CANCEL and f[2] == rid:
                return
        k = min(65536, n - sent, credit)
        start = sent % 256
        ch.send(frame(RESP_DATA, rid, block[start:start + k],
                      END if sent + k == n else 0))
        sent += k
        credit -= k
    if n == 0:
        ch.send(frame(RESP_DATA, rid, b"", END))


if __name__ == "__main__":
    main()
