"""A test application for hsysd, speaking the wire protocol from Python.

    echoapp.py PREFIX [PREFIX...] [--queue NAME] [--ready FILE]
               [--length N] [--grace MS] [--reconnect]
               [--open] [--allow UID] [--allow-group GID]

Registers the prefixes on one queue and answers every request by what its
path ends with:
  .../big?n=N     N bytes of a repeating pattern, streamed within credit
  .../echo        the request's body back, with Content-Length
  .../die         exits at once, leaving the request unanswered
  .../hang        never answers
  .../slow?ms=N   answers after N ms (the whole app waits meanwhile)
  .../status?c=N  status N, empty body
  .../badheader   a response whose header value holds a line break
  .../hints       103 Early Hints (Link), then the JSON description
  .../trailers    "hello trailers" then response trailers (grpc-status 0,
                  grpc-message, and a Content-Type hsysd must drop);
                  ?cl=1 gives the body a Content-Length
  .../ws          101 (to any request: hsysd refuses a 101 to a request
                  without the UPGRADE flag) with Upgrade: websocket and the
                  Sec-WebSocket-Accept of the key, then echoes every tunnel
                  byte within both credits and ends when the client did
  .../wsdie       101, then exits at the first tunnel bytes
  .../wsbye       101, sends "bye" and END at once, then counts the
                  client's bytes until its END and prints "wsbye got N"
  .../hold?ms=N   answered like anything else, N ms later (others are
                  served meanwhile); it prints "held ID" when it gets one
  .../nocredit?wait=S  a request body: credits nothing once the first
                  window is used up, sleeps S seconds, then credits as usual
                  and answers as "anything else" does
  anything else   200 with a JSON description of the request (method,
                  urls, host, prefix, headers, body length and sha256,
                  TLS facts, the client certificate's DER sha256, and the
                  app's pid and how many requests it was given)
The description lists the trailers of a chunked upload ("trailers").
A prefix it may not register is reported as "refused CODE MESSAGE" and it
exits 3. It writes "ready" to the --ready file once it serves. A streamed
answer blocks the app until it is sent: one big request at a time.
--length and --grace set its queue's length and grace period (QUEUE_SET).
--open creates the queue open (HSYS_QUEUE_OPEN); --allow and --allow-group
let that uid or group's members attach (QUEUE_SET ALLOW_UID, ALLOW_GID).
A --queue of the form OWNER/NAME is another user's: it attaches and never
creates, and reports "refused CODE MESSAGE" (exit 3) when it cannot.
On SIGTERM it stops gracefully: it closes its queue, answers what still
comes until the daemon has been quiet for 0.5 s (at most 5 s), and exits 0.

With --reconnect it does what libhsys does (docs/api.md): it says in HELLO
that it understands GOAWAY, and on GOAWAY, or when its session breaks, it
opens a new session (retrying for up to 30 s), creates its queue and
registers its prefixes again, and appends "reconnected N" to the --ready
file. Requests already on the old session's channels are answered there,
until the old daemon closes them.
"""
import base64
import hashlib
import json
import os
import select
import signal
import struct
import sys
import time

# The hsys package from the source tree: its blocking frame client.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "bindings", "python"))
from hsys.raw import *  # noqa: E402,F403

WINDOW = 256 * 1024
STATE = {"given": 0, "held": [], "term": False}


def main():
    args = sys.argv[1:]
    queue, ready, reconnect = "", None, False
    prefixes, props = [], []
    while args:
        a = args.pop(0)
        if a == "--queue":
            queue = args.pop(0)
        elif a == "--ready":
            ready = args.pop(0)
        elif a in ("--length", "--grace", "--allow", "--allow-group"):
            props.append(({"--length": QUEUE_LENGTH, "--grace": QUEUE_GRACE,
                           "--allow": QUEUE_ALLOW_UID,
                           "--allow-group": QUEUE_ALLOW_GID}[a],
                          int(args.pop(0))))
        elif a == "--open":
            STATE["open"] = True
        elif a == "--reconnect":
            reconnect = True
        else:
            prefixes.append(a)
    s, qid = register(queue, prefixes, props, reconnect)
    if ready:
        with open(ready, "w") as f:
            f.write("ready\n")
    reqs = {}
    chans = {c.s: c for c in s.channels}
    signal.signal(signal.SIGTERM, lambda *a: STATE.update(term=True))
    quiet_since, stop_by = None, None
    reconnects = 0
    while True:
        now = time.monotonic()
        if STATE["term"] and stop_by is None:
            s.queue_close(qid)
            quiet_since, stop_by = now, now + 5
        if stop_by is not None and (now - quiet_since >= 0.5 or
                                    now >= stop_by):
            sys.exit(0)
        while STATE["held"] and STATE["held"][0][0] <= now:
            _, rid, req = STATE["held"].pop(0)
            answer(rid, req)
        watch = list(chans) + ([s.ctl.s] if reconnect else [])
        rl, _, _ = select.select(watch, [], [], 0.05)
        if rl:
            quiet_since = time.monotonic()
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
            s, qid = register(queue, prefixes, props, True, retry=True)
            chans.update({c.s: c for c in s.channels})
            old.retired = True
            retired.append(old)   # its control channel keeps it alive
            reconnects += 1
            if ready:
                with open(ready, "a") as f:
                    f.write("reconnected %d\n" % reconnects)


retired = []


def register(queue, prefixes, props, flagged, retry=False):
    """A session serving the queue and prefixes (retrying when asked):
    (session, queue id)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            s = Session("echoapp", HELLO_F_GOAWAY if flagged else 0)
            s.open_channels()
            r = s.queue_attach(queue) if queue else ("error",)
            if r[0] != "ok" and "/" in queue and not retry:
                print("refused", r[1], r[2], flush=True)
                sys.exit(3)
            if r[0] != "ok" and "/" not in queue:
                flags = QUEUE_F_OPEN if STATE.get("open") else 0
                r = s.queue_create(queue, flags | (QUEUE_F_NAMED if queue
                                                   else 0))
            if r[0] != "ok":
                raise OSError("queue: %r" % (r,))
            qid = struct.unpack("<I", r[1])[0]
            for prop, value in props:
                r = s.queue_set(qid, prop, value)
                if r[0] != "ok":
                    print("refused", r[1], r[2], flush=True)
                    sys.exit(3)
            for p in prefixes:
                r = s.prefix_add(qid, p)
                if r[0] != "ok":
                    print("refused", r[1], r[2], flush=True)
                    sys.exit(3)
            return s, qid
        except (OSError, RuntimeError, TypeError):
            if not retry or time.monotonic() > deadline:
                raise
            if STATE["term"]:
                sys.exit(0)	# stopped while it had no daemon
            time.sleep(0.05)


def handle(ch, reqs, ftype, flags, rid, p):
    if ftype == REQUEST:
        req = parse_request(p)
        req["body"] = hashlib.sha256()
        req["len"] = 0
        req["ch"] = ch
        req["trailers"] = []
        req["data"] = bytearray() if req["path"].endswith(b"/echo") else None
        STATE["given"] += 1
        req["given"] = STATE["given"]
        reqs[rid] = req
        path = req["path"].decode()
        if path.endswith(("/ws", "/wsdie", "/wsbye")):
            return tunnel_start(ch, reqs, rid, req, path.rsplit("/", 1)[1])
        if not req["flags"] & 1:
            answer(rid, reqs.pop(rid))
    elif ftype in (REQ_DATA, RESP_CREDIT) and \
            "tunnel" in reqs.get(rid, {}):
        tunnel_frame(reqs, rid, ftype, flags, p)
    elif ftype == REQ_DATA and flags & F_TRAILERS:
        req = reqs.get(rid)
        if req is None:
            return
        req["trailers"] = [[k.decode(), v.decode()]
                           for k, v in parse_trailers(p)]
        if flags & F_END:
            answer(rid, reqs.pop(rid))
    elif ftype == REQ_DATA:
        req = reqs.get(rid)
        if req is None:
            return
        req["body"].update(p)
        req["len"] += len(p)
        if req["data"] is not None:
            req["data"] += p
        if req["path"].endswith(b"/nocredit") and not req.get("waited"):
            # Withhold credit: the daemon's window runs out, then a pause.
            req["held"] = req.get("held", 0) + len(p)
            if req["held"] < WINDOW and not flags & F_END:
                return
            time.sleep(float(query_of(req).get("wait", "0")))
            req["waited"] = True
            p = b"\0" * req.pop("held")
        ch.send(frame(REQ_CREDIT, rid, struct.pack("<I", len(p))))
        if flags & F_END:
            answer(rid, reqs.pop(rid))
    elif ftype in (CANCEL, ERROR):
        reqs.pop(rid, None)


def tunnel_start(ch, reqs, rid, req, mode):
    key = dict((k.lower(), v) for k, v in req["headers"]).get(
        b"sec-websocket-key", b"")
    accept = base64.b64encode(hashlib.sha1(
        key + b"258EAFA5-E914-47DA-95CA-C5AB0DC11B80").digest()).decode()
    ch.send(frame(RESPONSE, rid, response(101, [
        ("Upgrade", "websocket"), ("Sec-WebSocket-Accept", accept)])))
    req.update(tunnel=mode, pending=b"", credit=WINDOW, got=0, ended=False)
    if mode == "wsbye":
        ch.send(frame(RESP_DATA, rid, b"bye", F_END))


def tunnel_frame(reqs, rid, ftype, flags, p):
    """Echo within credit: client bytes are credited back only once their
    echo went, so a client that does not read stops its own upload."""
    t = reqs[rid]
    ch = t["ch"]
    if ftype == RESP_CREDIT:
        t["credit"] += struct.unpack("<I", p)[0]
    elif ftype == REQ_DATA:
        if t["tunnel"] == "wsdie" and p:
            os._exit(1)
        t["got"] += len(p)
        if t["tunnel"] == "wsbye":
            if p:
                ch.send(frame(REQ_CREDIT, rid, struct.pack("<I", len(p))))
            if flags & F_END:
                print("wsbye got %d" % t["got"], flush=True)
                reqs.pop(rid)
            return
        t["pending"] += p
        t["ended"] = bool(flags & F_END)
    k = min(len(t["pending"]), t["credit"])
    while k > 0:
        n = min(k, 65536)
        ch.send(frame(RESP_DATA, rid, t["pending"][:n]) +
                frame(REQ_CREDIT, rid, struct.pack("<I", n)))
        t["pending"] = t["pending"][n:]
        t["credit"] -= n
        k -= n
    if t["ended"] and not t["pending"]:
        ch.send(frame(RESP_DATA, rid, b"", F_END))
        reqs.pop(rid)
def query_of(req):
    return dict(kv.split("=", 1) for kv in req["query"].decode().split("&")
                if "=" in kv)


def answer(rid, req):
    ch, path = req["ch"], req["path"].decode()
    query = query_of(req)
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
    if path.endswith("/hold") and "held" not in req:
        req["held"] = True
        STATE["held"].append((time.monotonic() + int(query["ms"]) / 1000,
                              rid, req))
        STATE["held"].sort(key=lambda h: h[0])
        print("held", rid, flush=True)
        return
    if path.endswith("/short"):	# promises 40 bytes, ends with none
        ch.send(frame(RESPONSE, rid, response(200, [("Content-Length", "40")],
                                              end=True)))
        return
    if path.endswith("/shortdata"):	# promises 40, sends 10, ends
        ch.send(frame(RESPONSE, rid, response(200, [("Content-Length", "40")])) +
                frame(RESP_DATA, rid, b"0123456789", F_END))
        return
    if path.endswith("/long"):	# promises 4, sends 10
        ch.send(frame(RESPONSE, rid, response(200, [("Content-Length", "4")])) +
                frame(RESP_DATA, rid, b"0123456789", F_END))
        return
    if path.endswith("/trailers"):
        body = b"hello trailers\n"
        hdrs = [("Content-Type", "application/grpc")]
        if "cl" in query:
            hdrs.append(("Content-Length", str(len(body))))
        ch.send(frame(RESPONSE, rid, response(200, hdrs)) +
                frame(RESP_DATA, rid, body) +
                frame(RESP_DATA, rid, trailers([
                    ("grpc-status", "0"), ("grpc-message", "all good"),
                    ("Content-Type", "text/evil")]), F_TRAILERS | F_END))
        return
    if path.endswith("/status"):
        ch.send(frame(RESPONSE, rid, response(int(query["c"]), end=True)))
        return
    if path.endswith("/big"):
        return stream(ch, rid, int(query["n"]), "cl" in query)
    if path.endswith("/hints"):
        ch.send(frame(RESPONSE, rid, response(103, [
            ("Link", "</style.css>; rel=preload; as=style")])))
    if path.endswith("/echo"):
        return stream(ch, rid, req["len"], True, bytes(req["data"]))
    desc = {
        "method": req["method"].decode(), "raw_url": req["raw_url"].decode(),
        "path": path, "query": req["query"].decode(),
        "host": req["host"].decode(), "prefix": req["prefix"].decode(),
        "version": list(req["version"]), "flags": req["flags"],
        "peer": req["peer"], "local": req["local"],
        "headers": [[k.decode(), v.decode()] for k, v in req["headers"]],
        "body_len": req["len"], "body_sha256": req["body"].hexdigest(),
        "content_length": req["content_length"],
        "trailers": req["trailers"],
        "tls": req["tls"].decode(), "sni": req["sni"].decode(),
        "client_cert_sha256": hashlib.sha256(req["client_cert"]).hexdigest()
        if req["client_cert"] else "",
        "pid": os.getpid(), "given": req["given"],
    }
    body = json.dumps(desc).encode() + b"\n"
    ch.send(frame(RESPONSE, rid, response(200, [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body)))])) +
        frame(RESP_DATA, rid, body, F_END))


def stream(ch, rid, n, with_length, data=None):
    """n bytes (of data, else the pattern) in 64 KiB frames, never more
    than the credit allows."""
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
        chunk = data[sent:sent + k] if data is not None else \
            block[start:start + k]
        ch.send(frame(RESP_DATA, rid, chunk, F_END if sent + k == n else 0))
        sent += k
        credit -= k
    if n == 0:
        ch.send(frame(RESP_DATA, rid, b"", F_END))


if __name__ == "__main__":
    main()
