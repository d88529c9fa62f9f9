#!/usr/bin/env python3
"""fakehsysd — a stand-in for hsysd, written from docs/protocol.md alone, to
test libhsys's request half without the daemon.

    fakehsysd.py SCENARIO

Listens on $HSYS_HOME/hsysd.sock, answers HELLO with WELCOME (2 workers, a
64 KiB window and 16 KiB frames so that credit and framing are exercised),
accepts the data channels, answers every queue operation with OK, then plays
SCENARIO (a function below) down the data channels and checks what the
application answers. Exits 0 when the application behaved, 1 (with a reason
on stderr) when not, 2 when nobody came.
"""
import os
import queue
import socket
import struct
import sys
import threading
import time

# The frames are the hsys package's (bindings/python/hsys/protocol.py),
# taken from the source tree.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "bindings", "python"))
import hsys.protocol as P  # noqa: E402
from hsys.protocol import (CANCEL, CHANNEL, HELLO, OK, REQ_CREDIT,  # noqa
                           REQ_DATA, REQUEST, RESP_CREDIT, RESP_DATA,
                           RESPONSE, WELCOME, frame)
from hsys.protocol import F_END as END  # noqa: E402

F_BODY, F_CHUNKED, F_KEEPALIVE, F_EXPECT, F_UPGRADE, F_TLS, F_CERT = \
    (P.REQ_BODY, P.REQ_CHUNKED, P.REQ_KEEPALIVE, P.REQ_EXPECT_CONTINUE,
     P.REQ_UPGRADE, P.REQ_TLS, P.REQ_CLIENT_CERT)
WORKERS, WINDOW, MAX_FRAME = 2, 64 << 10, 16 << 10


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def request_payload(head, path, prefix, query=None, tls=b"", sni=b"",
                    cert=b"", flags=F_KEEPALIVE, content_length=0,
                    conn_id=7, peer=("192.0.2.1", 40000),
                    local=("127.0.0.1", 8080), qid=1):
    """A REQUEST payload (hsys.protocol.request) for a raw request head:
    the bytes area starts with the head, as hsysd sends it."""
    lines = head.split(b"\r\n")
    method, target, version = lines[0].split(b" ")
    hdrs = []
    for line in lines[1:]:
        if line == b"":
            break
        name, _, value = line.partition(b":")
        hdrs.append((name, value.lstrip(b" \t")))
    host = next((v for k, v in hdrs if k.lower() == b"host"), b"")
    if query is None:
        query = target.partition(b"?")[2]
    return P.request(queue_id=qid, method=method, raw_url=target, path=path,
                     query=query, host=host, prefix=prefix, headers=hdrs,
                     version=(int(version[5:6]), int(version[7:8])),
                     flags=flags, content_length=content_length,
                     connection_id=conn_id, peer=peer, local=local, tls=tls,
                     sni=sni, client_cert=cert, head=head)


def parse_response(p):
    r = P.parse_response(p)
    return r["status"], [(k.decode(), v.decode()) for k, v in
                         r["headers"]], r["flags"]


class Channel:
    """A data channel: a reader thread files every frame from the app;
    credit (REQ_CREDIT) is counted per request."""

    def __init__(self, sock):
        self.s = sock
        self.inbox = queue.Queue()
        self.cond = threading.Condition()
        self.credit = {}
        self.lock = threading.Lock()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        buf = b""
        while True:
            while len(buf) >= 16:
                length, ftype, flags, fid = struct.unpack_from("<IHHQ", buf)
                size = 16 + length + (-length) % 8
                if len(buf) < size:
                    break
                f = (ftype, flags, fid, buf[16:16 + length])
                buf = buf[size:]
                if ftype == REQ_CREDIT:
                    with self.cond:
                        self.credit[fid] = self.credit.get(fid, 0) + \
                            struct.unpack_from("<I", f[3])[0]
                        self.cond.notify_all()
                self.inbox.put(f)
            try:
                data = self.s.recv(1 << 20)
            except OSError:
                data = b""
            if not data:
                self.inbox.put(None)
                return
            buf += data

    def send(self, data):
        # The application may close as soon as it has sent END: credit
        # still on its way then finds nobody, which is no error.
        with self.lock:
            try:
                self.s.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def next(self, skip_credit=True, timeout=20):
        while True:
            try:
                f = self.inbox.get(timeout=timeout)
            except queue.Empty:
                raise Fail("no frame from the application in time")
            if f is None:
                return None
            if skip_credit and f[0] == REQ_CREDIT:
                continue
            return f

    def send_body(self, rid, data, end=True, chunk=MAX_FRAME):
        """REQ_DATA frames, never more than WINDOW beyond credit."""
        sent = 0
        while sent < len(data):
            with self.cond:
                while sent - self.credit.get(rid, 0) >= WINDOW:
                    if not self.cond.wait(timeout=20):
                        raise Fail("no REQ_CREDIT for request %d" % rid)
                room = WINDOW - (sent - self.credit.get(rid, 0))
            n = min(chunk, room, len(data) - sent)
            last = end and sent + n == len(data)
            self.send(frame(REQ_DATA, rid, data[sent:sent + n],
                            END if last else 0))
            sent += n
        if end and not data:
            self.send(frame(REQ_DATA, rid, b"", END))

    def response(self, rid, drain=True):
        """Collects a whole response for rid: (status, headers, body),
        crediting RESP_DATA as it 'drains' and checking the window."""
        f = self.next()
        check(f is not None, "channel closed before RESPONSE")
        check(f[0] == RESPONSE and f[2] == rid,
              "expected RESPONSE for %d, got type %#x id %d" %
              (rid, f[0], f[2]))
        status, hdrs, flags = parse_response(f[3])
        body = bytearray()
        if flags & 1:
            return status, hdrs, bytes(body)
        outstanding = 0
        while True:
            f = self.next()
            check(f is not None, "channel closed inside the body")
            check(f[0] == RESP_DATA and f[2] == rid,
                  "expected RESP_DATA, got %#x" % f[0])
            check(len(f[3]) <= MAX_FRAME, "RESP_DATA beyond max_frame")
            body += f[3]
            outstanding += len(f[3])
            check(outstanding <= WINDOW, "application overran the window")
            if f[1] & END:
                return status, hdrs, bytes(body)
            if drain and outstanding >= WINDOW // 4:
                self.send(frame(RESP_CREDIT, rid,
                                struct.pack("<I", outstanding)))
                outstanding = 0


def welcome():
    """An older daemon's 48-byte WELCOME: no features; or, for a scenario
    in FEATURES, a whole one announcing those."""
    w = P.welcome(workers=WORKERS, max_frame=MAX_FRAME, window=WINDOW,
                  max_waiting=100, session=42, key=b"k" * 16,
                  generation=1, features=FEATURES.get(SCENARIO, 0))
    return w if SCENARIO in FEATURES else w[:48]


def read_frame(s):
    buf = b""
    while len(buf) < 16:
        d = s.recv(16 - len(buf))
        if not d:
            return None
        buf += d
    length, ftype, flags, fid = struct.unpack("<IHHQ", buf)
    size = length + (-length) % 8
    p = b""
    while len(p) < size:
        d = s.recv(size - len(p))
        if not d:
            return None
        p += d
    return ftype, flags, fid, p[:length]


def control(ctl):
    while True:
        f = read_frame(ctl)
        if f is None:
            return
        ctl.sendall(frame(OK, f[2], struct.pack("<I", 1)))


def start():
    path = os.path.join(os.environ["HSYS_HOME"], "hsysd.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path + ".tmp")
    # Listening before the socket appears under its name: a client that
    # sees it must not be refused (a loaded machine hit that window).
    srv.listen(8)
    os.rename(path + ".tmp", path)
    srv.settimeout(20)
    ctl, _ = srv.accept()
    f = read_frame(ctl)
    check(f is not None and f[0] == HELLO, "no HELLO")
    ctl.sendall(frame(WELCOME, 0, welcome()))
    chans = [None] * WORKERS
    for _ in range(WORKERS):
        c, _ = srv.accept()
        f = read_frame(c)
        check(f is not None and f[0] == CHANNEL, "no CHANNEL")
        sid, key, idx = struct.unpack_from("<Q16sH", f[3])
        check(sid == 42 and key == b"k" * 16, "bad CHANNEL key")
        chans[idx] = Channel(c)
    threading.Thread(target=control, args=(ctl,), daemon=True).start()
    return srv, ctl, chans


def pattern(n, seed=0):
    return bytes((i * 7 + seed) % 251 for i in range(n))


# Scenarios. Each plays its side; the C test plays the other (same name).

HEAD = (b"GET /app/x%20y/z?a=1&b=2 HTTP/1.1\r\nHost: example.test:8443\r\n"
        b"User-Agent: t/1\r\nX-Multi: one\r\nx-multi: two\r\n"
        b"Accept:   */*\r\n\r\n")


def s_accessors(ch):
    cert = bytes(range(256)) + b"\0\0tail"
    ch[0].send(frame(REQUEST, 11, request_payload(
        HEAD, b"/app/x y/z", b"https://+:8443/app/",
        tls=b"TLSv1.3 TLS_AES_256_GCM_SHA384 X25519", sni=b"example.test",
        cert=cert, flags=F_KEEPALIVE | F_TLS | F_CERT, conn_id=0x123456789,
        peer=("::1", 51000), local=("10.1.2.3", 8443))))
    status, hdrs, body = ch[0].response(11)
    check(status == 200 and body == b"ok", "accessors: %d %r" %
          (status, body))
    check(("Content-Type", "text/plain") in hdrs, "content type %r" % hdrs)
    check(("Content-Length", "2") in hdrs, "content length %r" % hdrs)


def s_upload(ch):
    data = pattern(5 << 20)
    ch[1].send(frame(REQUEST, 21, request_payload(
        b"POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" %
        len(data), b"/up", b"http://+:8080/", flags=F_BODY | F_KEEPALIVE,
        content_length=len(data))))
    ch[1].send_body(21, data)
    status, _, body = ch[1].response(21)
    check(status == 200 and body == b"%d" % len(data),
          "upload answer %d %r" % (status, body))


def s_download(ch):
    ch[0].send(frame(REQUEST, 31, request_payload(
        b"GET /big HTTP/1.1\r\nHost: h\r\n\r\n", b"/big", b"http://+:8080/")))
    status, hdrs, body = ch[0].response(31)
    check(status == 200, "download status %d" % status)
    check(body == pattern(5 << 20, 3), "download body differs (%d bytes)" %
          len(body))


def s_interleave(ch):
    a, b = pattern(200000, 1), pattern(150000, 2)
    for rid, c in ((41, ch[0]), (42, ch[0]), (43, ch[1])):
        c.send(frame(REQUEST, rid, request_payload(
            b"PUT /i/%d HTTP/1.1\r\nHost: h\r\n\r\n" % rid, b"/i/%d" % rid,
            b"http://+:8080/", flags=F_BODY, content_length=len(a))))
    # 41 and 42 share channel 0: their frames alternate on it.
    t = [threading.Thread(target=ch[0].send_body, args=(41, a)),
         threading.Thread(target=ch[0].send_body, args=(42, b)),
         threading.Thread(target=ch[1].send_body, args=(43, a))]
    for x in t:
        x.start()
    got = {}
    for c, n in ((ch[0], 2), (ch[1], 1)):
        for _ in range(n):
            f = c.next()
            check(f is not None and f[0] == RESPONSE, "interleave: head")
            status, _, flags = parse_response(f[3])
            f2 = c.next()
            got[f[2]] = f2[3]
    for x in t:
        x.join()
    check(got == {41: b"%d" % len(a), 42: b"%d" % len(b),
                  43: b"%d" % len(a)}, "interleave answers %r" % got)


def s_cancel(ch):
    # 51 is cancelled before the application sees it: it must never. One
    # send, so that the CANCEL is there when libhsys reads the REQUEST (sent
    # apart, a loaded machine may let the application read in between, and
    # then it has seen 51: that is no bug).
    ch[0].send(frame(REQUEST, 51, request_payload(
        b"GET /gone HTTP/1.1\r\nHost: h\r\n\r\n", b"/gone", b"http://+:80/"))
        + frame(CANCEL, 51) + frame(REQUEST, 52, request_payload(
            b"POST /c HTTP/1.1\r\nHost: h\r\n\r\n", b"/c", b"http://+:80/",
            flags=F_BODY, content_length=1 << 20)))
    ch[0].send_body(52, pattern(30000), end=False)
    time.sleep(0.2)
    ch[0].send(frame(CANCEL, 52))
    ch[0].send(frame(REQUEST, 53, request_payload(
        b"GET /after HTTP/1.1\r\nHost: h\r\n\r\n", b"/after",
        b"http://+:80/")))
    status, _, body = ch[0].response(53)
    check(status == 200 and body == b"cancelled",
          "cancel answer %d %r" % (status, body))


def s_upgrade(ch):
    ch[1].send(frame(REQUEST, 61, request_payload(
        b"GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: echo\r\n"
        b"Connection: Upgrade\r\n\r\n", b"/ws", b"http://+:80/",
        flags=F_UPGRADE)))
    f = ch[1].next()
    check(f is not None and f[0] == RESPONSE, "upgrade: no RESPONSE")
    status, _, flags = parse_response(f[3])
    check(status == 101 and not flags & 1, "upgrade: %d %x" % (status, flags))
    for msg in (b"ping", b"x" * 100000):
        ch[1].send_body(61, msg, end=False)
        echo = b""
        while len(echo) < len(msg):
            f = ch[1].next()
            check(f is not None and f[0] == RESP_DATA, "upgrade: echo")
            echo += f[3]
            ch[1].send(frame(RESP_CREDIT, 61, struct.pack("<I", len(f[3]))))
        check(echo == msg, "upgrade: echo differs")
    ch[1].send(frame(REQ_DATA, 61, b"", END))
    f = ch[1].next()
    check(f is not None and f[0] == RESP_DATA and f[1] & END and
          f[3] == b"", "upgrade: no END after the client's")


def s_badheader(ch):
    ch[0].send(frame(REQUEST, 71, request_payload(
        b"GET / HTTP/1.0\r\n\r\n", b"/", b"http://+:80/")))
    status, hdrs, body = ch[0].response(71)
    check(status == 204 and ("X-Good", "yes") in hdrs and body == b"",
          "badheader: %d %r" % (status, hdrs))


def s_close(ch):
    time.sleep(0.2)
    raise SystemExit(0)


def s_old(ch):
    """A daemon without QUEUE_SET (its WELCOME announces no features): the
    application must not send it; the session just ends."""
    f = ch[0].next(timeout=20)
    check(f is None, "old: the application sent %r" % (f,))


def s_close_mid(ch):
    ch[1].send(frame(REQUEST, 85, request_payload(
        b"POST /m HTTP/1.1\r\nHost: h\r\n\r\n", b"/m", b"http://+:80/",
        flags=F_BODY, content_length=1 << 20)))
    ch[1].send_body(85, pattern(1000), end=False)
    time.sleep(0.3)
    raise SystemExit(0)


def s_expect(ch):
    """Expect: 100-continue, for an application on its own event loop: the
    body is sent only once the application credits (REQ_CREDIT, maybe 0).
    The pause lets the application find nothing first."""
    time.sleep(1)
    ch[0].send(frame(REQUEST, 86, request_payload(
        b"PUT /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
        b"Content-Length: 3\r\n\r\n", b"/e", b"http://+:80/",
        flags=F_BODY | F_EXPECT, content_length=3)))
    with ch[0].cond:
        check(ch[0].cond.wait_for(lambda: 86 in ch[0].credit, timeout=10),
              "expect: no REQ_CREDIT before the body")
    ch[0].send(frame(REQ_DATA, 86, b"abc", END))
    status, _, body = ch[0].response(86)
    check(status == 200 and body == b"abc", "expect: %d %r" % (status, body))


def s_hello(ch):
    ch[0].send(frame(REQUEST, 81, request_payload(
        b"GET /hello/ HTTP/1.1\r\nHost: h\r\n\r\n", b"/hello/",
        b"http://+:8080/hello/")))
    status, hdrs, body = ch[0].response(81)
    check(status == 200 and body == b"hello, world\n", "hello: %d %r" %
          (status, body))
    check(("Content-Type", "text/plain") in hdrs, "hello: %r" % hdrs)


def s_static(ch):
    """Requests to hsys-static serving $STATIC_ROOT under /s/ (the test
    puts a.txt = "0123456789" and big.bin there)."""
    pre = b"http://+:8080/s/"
    rid = [100]

    def ask(path, method=b"GET", extra=b"", cooked=None):
        rid[0] += 1
        head = b"%s %s HTTP/1.1\r\nHost: h\r\n%s\r\n" % (method, path,
                                                            extra)
        ch[0].send(frame(REQUEST, rid[0], request_payload(
            head, cooked or path, pre)))
        return ch[0].response(rid[0])

    def hdr(hs, name):
        return dict((k.lower(), v) for k, v in hs).get(name.lower())
    st, hs, body = ask(b"/s/a.txt")
    check(st == 200 and body == b"0123456789", "static get %d %r" %
          (st, body))
    check(hdr(hs, "content-type").startswith("text/plain"), "static type")
    check(hdr(hs, "content-length") == "10", "static length")
    etag, lm = hdr(hs, "etag"), hdr(hs, "last-modified")
    st, hs, body = ask(b"/s/a.txt", extra=b"If-None-Match: %s\r\n" %
                       etag.encode())
    check(st == 304 and body == b"", "static etag 304: %d" % st)
    st, hs, body = ask(b"/s/a.txt", extra=b"If-Modified-Since: %s\r\n" %
                       lm.encode())
    check(st == 304, "static ims 304: %d" % st)
    st, hs, body = ask(b"/s/a.txt", extra=b"Range: bytes=2-4\r\n")
    check(st == 206 and body == b"234" and
          hdr(hs, "content-range") == "bytes 2-4/10", "static range %d %r" %
          (st, body))
    st, hs, body = ask(b"/s/a.txt", extra=b"Range: bytes=-3\r\n")
    check(st == 206 and body == b"789", "static suffix range %d" % st)
    st, hs, body = ask(b"/s/a.txt", extra=b"Range: bytes=10-\r\n")
    check(st == 416 and hdr(hs, "content-range") == "bytes */10",
          "static 416: %d" % st)
    st, hs, body = ask(b"/s/a.txt", method=b"HEAD")
    check(st == 200 and body == b"" and hdr(hs, "content-length") == "10",
          "static head %d" % st)
    st, hs, body = ask(b"/s/a.txt", method=b"POST")
    check(st == 405, "static post %d" % st)
    st, hs, body = ask(b"/s/none")
    check(st == 404, "static 404 %d" % st)
    st, hs, body = ask(b"/s/../secret", cooked=b"/s/../secret")
    check(st == 403, "static dotdot %d" % st)
    st, hs, body = ask(b"/s/link")
    check(st == 403, "static symlink out %d" % st)
    st, hs, body = ask(b"/s/big.bin")
    check(st == 200 and body == pattern(3 << 20, 5), "static big %d %d" %
          (st, len(body)))


def bad(payload_fn):
    def play(ch):
        ch[0].send(payload_fn())
        f = ch[0].next(timeout=5)
        # The application gives up on the session; nothing must come back
        # but, at most, a close.
        check(f is None, "malformed: the application answered %r" % (f,))
    return play


def truncated():
    p = request_payload(b"GET / HTTP/1.1\r\n\r\n", b"/", b"http://+:80/")
    return frame(REQUEST, 91, p[:100])


def span_out():
    p = bytearray(request_payload(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", b"/",
                                  b"http://+:80/"))
    struct.pack_into("<II", p, 88, 10, 0xffffff00)     # path
    return frame(REQUEST, 92, bytes(p))


def header_out():
    p = bytearray(request_payload(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n", b"/",
                                  b"http://+:80/"))
    struct.pack_into("<II", p, 144, 0xfffffff0, 0x20)  # header 0 name
    return frame(REQUEST, 93, bytes(p))


def too_many_headers():
    p = bytearray(request_payload(b"GET / HTTP/1.1\r\n\r\n", b"/",
                                  b"http://+:80/"))
    struct.pack_into("<H", p, 8, 5000)
    return frame(REQUEST, 94, bytes(p))


def s_trailers(ch):
    """A chunked body, then its trailers (TRAILERS|END); the application
    answers with what it read: the body, then each trailer."""
    ch[0].send(frame(REQUEST, 91, request_payload(
        b"POST /t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"/t", b"http://+:80/", flags=F_BODY | F_CHUNKED,
        content_length=(1 << 64) - 1)))
    names = [(b"X-Sum", b"abc"), (b"X-Empty", b"")]
    ch[0].send(frame(REQ_DATA, 91, b"abc") +
               frame(REQ_DATA, 91, P.trailers(names), END | P.F_TRAILERS))
    status, _, body = ch[0].response(91)
    check(status == 200 and body == b"abc|2|X-Sum=abc|X-Empty=|abc|",
          "trailers: %d %r" % (status, body))


def s_interim(ch):
    """103 then the final 200."""
    ch[1].send(frame(REQUEST, 92, request_payload(
        b"GET /i HTTP/1.1\r\nHost: h\r\n\r\n", b"/i", b"http://+:80/")))
    f = ch[1].next()
    check(f is not None and f[0] == RESPONSE, "interim: no RESPONSE")
    status, hdrs, _ = parse_response(f[3])
    check(status == 103 and ("Link", "</a.css>") in hdrs,
          "interim: first %d %r" % (status, hdrs))
    status, _, body = ch[1].response(92)
    check(status == 200 and body == b"ok", "interim: final %d %r" %
          (status, body))


def s_resp_trailers(ch):
    """A response whose body ends with trailers (RESP_DATA TRAILERS|END),
    to a daemon that announces them."""
    ch[0].send(frame(REQUEST, 95, request_payload(
        b"GET /g HTTP/1.1\r\nHost: h\r\n\r\n", b"/g", b"http://+:80/")))
    f = ch[0].next()
    check(f is not None and f[0] == RESPONSE and f[2] == 95,
          "resp_trailers: no RESPONSE")
    f = ch[0].next()
    check(f is not None and f[0] == RESP_DATA and f[3] == b"abc" and
          not f[1] & END, "resp_trailers: body %r" % (f,))
    f = ch[0].next()
    check(f is not None and f[0] == RESP_DATA and
          f[1] == P.F_TRAILERS | END, "resp_trailers: not trailers %r" % (f,))
    got = P.parse_trailers(f[3])
    check(got == [(b"grpc-status", b"0"), (b"grpc-message", b"all good")],
          "resp_trailers: fields %r" % (got,))


def s_write_nowait(ch):
    """An event loop under back-pressure: hsys_response_write_nowait stops
    at the window (64 KiB) rather than wait; another request is answered
    meanwhile, with no credit given; then credit lets the first go on."""
    ch[0].send(frame(REQUEST, 97, request_payload(
        b"GET /big HTTP/1.1\r\nHost: h\r\n\r\n", b"/big", b"http://+:8080/")))
    f = ch[0].next()
    check(f is not None and f[0] == RESPONSE and f[2] == 97,
          "write_nowait: no RESPONSE")
    body = bytearray()
    while len(body) < WINDOW:
        f = ch[0].next()
        check(f is not None and f[0] == RESP_DATA and f[2] == 97 and
              not f[1] & END, "write_nowait: expected body, got %r" % (f,))
        body += f[3]
    check(len(body) == WINDOW, "write_nowait: overran the window")
    ch[0].send(frame(REQUEST, 98, request_payload(
        b"GET /small HTTP/1.1\r\nHost: h\r\n\r\n", b"/small",
        b"http://+:8080/")))
    status, _, small = ch[0].response(98)
    check(status == 200 and small == b"small",
          "write_nowait: the other request got %d %r" % (status, small))
    ch[0].send(frame(RESP_CREDIT, 97, struct.pack("<I", len(body))))
    outstanding = 0
    while True:
        f = ch[0].next()
        check(f is not None and f[0] == RESP_DATA and f[2] == 97,
              "write_nowait: expected the rest, got %r" % (f,))
        body += f[3]
        outstanding += len(f[3])
        check(outstanding <= WINDOW, "write_nowait: overran the window")
        if f[1] & END:
            break
        if outstanding >= WINDOW // 4:
            ch[0].send(frame(RESP_CREDIT, 97, struct.pack("<I", outstanding)))
            outstanding = 0
    check(bytes(body) == pattern(300000, 5),
          "write_nowait: body differs (%d bytes)" % len(body))


FEATURES = {"resp_trailers": P.FEATURE_RESP_TRAILERS}
SCENARIO = None

SCENARIOS = {
    "resp_trailers": s_resp_trailers, "write_nowait": s_write_nowait,
    "trailers": s_trailers, "interim": s_interim,
    "accessors": s_accessors, "upload": s_upload, "download": s_download,
    "interleave": s_interleave, "cancel": s_cancel, "upgrade": s_upgrade,
    "badheader": s_badheader, "close": s_close,
    "close_mid": s_close_mid, "expect": s_expect, "hello": s_hello,
    "old": s_old,
    "static": s_static,
    "bad_truncated": bad(truncated), "bad_span": bad(span_out),
    "bad_header_span": bad(header_out), "bad_nheaders": bad(too_many_headers),
    "bad_type": bad(lambda: frame(0x0777, 1, b"????????")),
    "bad_length": bad(lambda: struct.pack("<IHHQ", MAX_FRAME + 8, REQ_DATA,
                                          0, 1)),
}


def main():
    global SCENARIO
    name = SCENARIO = sys.argv[1]
    if name == "mkpattern":     # for the static test's big file
        sys.stdout.buffer.write(pattern(int(sys.argv[2]), int(sys.argv[3])))
        return 0
    try:
        srv, ctl, chans = start()
    except (socket.timeout, OSError) as e:
        print("fakehsysd: nobody came: %s" % e, file=sys.stderr)
        return 2
    try:
        SCENARIOS[name](chans)
    except Fail as e:
        print("fakehsysd: %s: %s" % (name, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
