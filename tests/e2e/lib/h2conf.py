#!/usr/bin/python3
"""h2conf — an HTTP/2 conformance check of a server, at frame level.

Written from RFC 9113 (HTTP/2) and RFC 7541 (HPACK): each MUST of §4-§8
that a client can observe on a server gets a case, and so does each
defence against the known HTTP/2 attacks (rapid reset, CONTINUATION,
PING, SETTINGS and empty-frame floods, window overflow). Frames are built
with hyperframe and headers with hpack (Debian's python3-h2 brings both),
so that malformed frames can be sent on purpose.

    h2conf.py HOST PORT [--tls] [--authority NAME] [--path /P] [--only WORD]

Prints TAP lines ("ok N - case", "not ok N - case: why"), then "1..N";
exits 1 when a case failed. Other servers can be checked the same way
(nginx, h2o); docs/http2.md notes where they differ from hsysd and why.
"""
import argparse
import socket
import ssl
import struct
import sys
import time

from hpack import Encoder
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame,
                              GoAwayFrame, HeadersFrame, PingFrame,
                              PriorityFrame, RstStreamFrame, SettingsFrame,
                              WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR = 0, 1, 2, 3
STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL = 5, 6, 7, 8
COMPRESSION_ERROR, ENHANCE_YOUR_CALM = 9, 11


class Closed(Exception):
    pass


class Conn:
    """One client connection speaking raw frames."""

    def __init__(self, args, settings=True):
        self.args = args
        raw = socket.create_connection((args.host, args.port), timeout=10)
        if args.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            ctx.set_alpn_protocols(["h2"])
            raw = ctx.wrap_socket(raw, server_hostname=args.authority.split(":")[0])
            if raw.selected_alpn_protocol() != "h2":
                raise Closed("ALPN did not select h2")
        self.s = raw
        self.enc = Encoder()
        self.buf = b""
        self.server_settings = {}
        self.frames = []
        if settings:
            self.send_raw(PREFACE)
            self.send(SettingsFrame(0))

    def send_raw(self, b):
        try:
            self.s.sendall(b)
        except OSError as e:
            raise Closed(str(e))

    def send(self, *frames):
        self.send_raw(b"".join(f.serialize() for f in frames))

    def headers(self, sid, fields, end_stream=True, end_headers=True):
        f = HeadersFrame(sid)
        f.data = self.enc.encode(fields)
        if end_stream:
            f.flags.add("END_STREAM")
        if end_headers:
            f.flags.add("END_HEADERS")
        return f

    def request(self, sid, method="GET", path=None, extra=(), end_stream=True):
        a = self.args
        return self.headers(sid, [(":method", method), (":scheme",
                            "https" if a.tls else "http"), (":path", path or a.path),
                            (":authority", a.authority)] + list(extra), end_stream)

    def _read(self, n, deadline):
        while len(self.buf) < n:
            self.s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                b = self.s.recv(65536)
            except (socket.timeout, TimeoutError):
                raise
            except (OSError, ssl.SSLError) as e:
                raise Closed(str(e))
            if not b:
                raise Closed("EOF")
            self.buf += b
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def next(self, timeout=5.0):
        """The next frame (SETTINGS and PING from the server answered)."""
        deadline = time.monotonic() + timeout
        hdr = self._read(9, deadline)
        f, length = Frame.parse_frame_header(memoryview(hdr))
        f.parse_body(memoryview(self._read(length, deadline)))
        if isinstance(f, SettingsFrame) and "ACK" not in f.flags:
            self.server_settings.update(f.settings)
            self.send(SettingsFrame(0, flags=["ACK"]))
        if isinstance(f, WindowUpdateFrame):
            pass
        self.frames.append(f)
        return f

    def until(self, pred, timeout=5.0):
        """Frames until pred(frame) is true: that frame, or None (timeout
        or the connection closed; self.closed says which)."""
        self.closed = False
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                f = self.next(left)
            except (socket.timeout, TimeoutError):
                return None
            except Closed:
                self.closed = True
                return None
            if pred(f):
                return f

    def response(self, sid, timeout=5.0):
        """(status, body, trailers?) of stream sid, or an RST/GOAWAY."""
        status, body, dec = None, b"", None
        from hpack import Decoder
        dec = getattr(self, "dec", None) or Decoder()
        self.dec = dec
        deadline = time.monotonic() + timeout
        while True:
            f = self.until(lambda f: f.stream_id in (sid, 0),
                           max(0.05, deadline - time.monotonic()))
            if f is None:
                return ("closed" if self.closed else "timeout", body)
            if isinstance(f, GoAwayFrame):
                return ("goaway", f.error_code)
            if isinstance(f, RstStreamFrame):
                return ("rst", f.error_code)
            if isinstance(f, HeadersFrame):
                for k, v in dec.decode(f.data):
                    k = k.decode() if isinstance(k, bytes) else k
                    v = v.decode() if isinstance(v, bytes) else v
                    if k == ":status" and not v.startswith("1"):
                        status = int(v)
            if isinstance(f, DataFrame):
                body += f.data
                if f.flow_controlled_length:
                    self.send(WindowUpdateFrame(0, window_increment=f.flow_controlled_length))
            if f.stream_id == sid and "END_STREAM" in f.flags:
                return (status, body)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


class Run:
    def __init__(self, args):
        self.args, self.n, self.failed = args, 0, 0

    def check(self, name, ok, why=""):
        self.n += 1
        known = [k for k in self.args.known if k in name]
        if not ok and known:
            print("ok %d - %s # SKIP a known difference: %s" % (self.n, name, why))
        elif ok:
            print("ok %d - %s" % (self.n, name))
        else:
            self.failed += 1
            print("not ok %d - %s: %s" % (self.n, name, why))
        sys.stdout.flush()


def conn_error(c, codes, timeout=5.0):
    """The server ends the connection: a GOAWAY with one of codes, or a
    close (only a close when codes is None)."""
    f = c.until(lambda f: isinstance(f, GoAwayFrame), timeout)
    if f is None:
        return c.closed and codes is None, "closed" if c.closed else "no GOAWAY"
    return f.error_code in (codes or ()), "GOAWAY %d" % f.error_code


def stream_error(c, sid, code=PROTOCOL_ERROR, timeout=5.0):
    """A stream error (RST_STREAM code on sid), or the connection error
    that RFC 9113 allows in its place."""
    r = c.response(sid, timeout)
    if r[0] == "rst":
        return r[1] == code, "RST_STREAM %d" % r[1]
    if r[0] == "goaway":
        return r[1] == code, "GOAWAY %d" % r[1]
    return False, "answered %r" % (r[0],)


def served(args):
    """A fresh connection is served: defences hurt only the attacker."""
    c = Conn(args)
    c.send(c.request(1))
    r = c.response(1)
    c.close()
    return isinstance(r[0], int) and r[0] < 500, "got %r" % (r[0],)


# --- the cases ----------------------------------------------------------

def case_settings_first(t, a):
    c = Conn(a)
    f = c.until(lambda f: True, 5)
    t.check("§3.4 the server's preface is a SETTINGS frame",
            isinstance(f, SettingsFrame) and "ACK" not in f.flags, repr(f))
    mcs = c.server_settings.get(SettingsFrame.MAX_CONCURRENT_STREAMS)
    t.check("SETTINGS_MAX_CONCURRENT_STREAMS is bounded (<= 100 here)",
            mcs is not None and mcs <= 100, "got %r" % mcs)
    t.check("no SETTINGS_ENABLE_CONNECT_PROTOCOL (no WebSocket over h2)",
            not c.server_settings.get(8), "advertised")
    c.close()


def case_get(t, a):
    c = Conn(a)
    c.send(c.request(1))
    r = c.response(1)
    t.check("a GET is answered", isinstance(r[0], int) and r[0] < 500, repr(r[0]))
    c.send(c.request(3, method="HEAD"))
    r = c.response(3)
    t.check("HEAD is answered without a body", isinstance(r[0], int) and r[1] == b"",
            repr(r))
    c.close()


def case_ping_settings(t, a):
    c = Conn(a)
    c.send(PingFrame(0, opaque_data=b"12345678"))
    f = c.until(lambda f: isinstance(f, PingFrame) and "ACK" in f.flags)
    t.check("§6.7 PING is answered with ACK and the same data",
            f is not None and f.opaque_data == b"12345678", repr(f))
    c.send(SettingsFrame(0, settings={SettingsFrame.HEADER_TABLE_SIZE: 4096}))
    f = c.until(lambda f: isinstance(f, SettingsFrame) and "ACK" in f.flags)
    t.check("§6.5.3 SETTINGS is acknowledged", f is not None, "no ACK")
    c.close()


def case_unknown_and_priority(t, a):
    c = Conn(a)
    c.send_raw(struct.pack(">I", 4)[1:] + bytes([0xfa, 0]) + struct.pack(">I", 0) + b"abcd")
    c.send(PriorityFrame(5, depends_on=0, stream_weight=16))
    c.send(c.request(1))
    r = c.response(1)
    t.check("§5.5 an unknown frame type and §5.3.2 PRIORITY are ignored",
            isinstance(r[0], int), repr(r))
    c.close()


def case_frame_errors(t, a):
    c = Conn(a)
    c.send_raw(struct.pack(">I", 1)[1:] + bytes([0, 0]) + struct.pack(">I", 0) + b"x")
    ok, why = conn_error(c, (PROTOCOL_ERROR,))
    t.check("§6.1 DATA on stream 0: PROTOCOL_ERROR", ok, why)
    c.close()

    c = Conn(a)
    c.send(c.request(2))
    ok, why = conn_error(c, (PROTOCOL_ERROR,))
    t.check("§5.1.1 a client stream with an even id: PROTOCOL_ERROR", ok, why)
    c.close()

    c = Conn(a)
    c.send(c.request(5))
    c.response(5)
    c.send(c.request(3))
    ok, why = conn_error(c, (PROTOCOL_ERROR,))
    t.check("§5.1.1 a stream id lower than a used one: PROTOCOL_ERROR", ok, why)
    c.close()

    c = Conn(a)
    big = HeadersFrame(1)
    big.data = b"\x00" * 20000
    big.flags.add("END_HEADERS")
    c.send(big)
    ok, why = conn_error(c, (FRAME_SIZE_ERROR,))
    t.check("§4.2 a frame over SETTINGS_MAX_FRAME_SIZE: FRAME_SIZE_ERROR", ok, why)
    c.close()

    c = Conn(a)
    c.send_raw(struct.pack(">I", 6)[1:] + bytes([4, 1]) + struct.pack(">I", 0) +
               struct.pack(">HI", 1, 4096))
    ok, why = conn_error(c, (FRAME_SIZE_ERROR,))
    t.check("§6.5 SETTINGS with ACK and a payload: FRAME_SIZE_ERROR", ok, why)
    c.close()

    c = Conn(a)
    c.send(SettingsFrame(0, settings={SettingsFrame.ENABLE_PUSH: 2}))
    ok, why = conn_error(c, (PROTOCOL_ERROR,))
    t.check("§6.5.2 SETTINGS_ENABLE_PUSH 2: PROTOCOL_ERROR", ok, why)
    c.close()

    c = Conn(a)
    c.send(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 2 ** 31}))
    ok, why = conn_error(c, (FLOW_CONTROL_ERROR,))
    t.check("§6.5.2 INITIAL_WINDOW_SIZE over 2^31-1: FLOW_CONTROL_ERROR", ok, why)
    c.close()

    c = Conn(a)
    c.send_raw(struct.pack(">I", 4)[1:] + bytes([8, 0]) + struct.pack(">I", 0) +
               struct.pack(">I", 0))
    ok, why = conn_error(c, (PROTOCOL_ERROR,))
    t.check("§6.9 WINDOW_UPDATE of 0 on the connection: PROTOCOL_ERROR", ok, why)
    c.close()

    c = Conn(a)
    c.send(WindowUpdateFrame(0, window_increment=2 ** 31 - 1))
    ok, why = conn_error(c, (FLOW_CONTROL_ERROR,))
    t.check("§6.9.1 a window over 2^31-1: FLOW_CONTROL_ERROR", ok, why)
    c.close()

    c = Conn(a)
    cont = ContinuationFrame(1)
    cont.data = b""
    cont.flags.add("END_HEADERS")
    c.send(cont)
    ok, why = conn_error(c, (PROTOCOL_ERROR,))
    t.check("§6.10 CONTINUATION without HEADERS: PROTOCOL_ERROR", ok, why)
    c.close()

    c = Conn(a)
    c.send(DataFrame(7, data=b"x"))
    ok, why = conn_error(c, (PROTOCOL_ERROR, STREAM_CLOSED))
    t.check("§5.1 DATA on an idle stream: PROTOCOL_ERROR", ok, why)
    c.close()

    c = Conn(a)
    c.send(c.request(1), DataFrame(1, data=b"x"))	# in one write
    r = c.response(1)
    ok = r[0] in ("rst", "goaway") and r[1] == STREAM_CLOSED or isinstance(r[0], int)
    # The DATA may reach the server before or after its response.
    f = c.until(lambda f: isinstance(f, (RstStreamFrame, GoAwayFrame)), 2)
    t.check("§5.1 DATA after END_STREAM: STREAM_CLOSED",
            (f is not None and f.error_code == STREAM_CLOSED) or
            (r[0] in ("rst", "goaway") and r[1] == STREAM_CLOSED),
            "got %r %r" % (r, f))
    c.close()


MALFORMED = [
    ("uppercase field name", [("X-Up", "1")]),
    ("connection-specific field", [("connection", "close")]),
    ("transfer-encoding", [("transfer-encoding", "chunked")]),
    ("te other than trailers", [("te", "gzip")]),
    ("upgrade", [("upgrade", "h2c")]),
    ("keep-alive", [("keep-alive", "5")]),
    ("a field value with a leading space", [("x-a", " v")]),
]


def case_header_rules(t, a):
    sch = "https" if a.tls else "http"
    for name, extra in MALFORMED:
        c = Conn(a)
        c.send(c.request(1, extra=extra))
        ok, why = stream_error(c, 1)
        t.check("§8.2 malformed: %s: PROTOCOL_ERROR" % name, ok, why)
        c.close()
    bad = [
        ("no :path", [(":method", "GET"), (":scheme", sch), (":authority", a.authority)]),
        ("no :method", [(":scheme", sch), (":path", "/"), (":authority", a.authority)]),
        (":method twice", [(":method", "GET"), (":method", "GET"), (":scheme", sch),
                           (":path", "/"), (":authority", a.authority)]),
        ("a pseudo-header after a regular field",
         [(":method", "GET"), (":scheme", sch), ("x-a", "1"), (":path", "/"),
          (":authority", a.authority)]),
        ("an unknown pseudo-header", [(":method", "GET"), (":scheme", sch), (":path", "/"),
                                      (":authority", a.authority), (":foo", "x")]),
        (":path in absolute form", [(":method", "GET"), (":scheme", sch),
                                    (":path", "http://x/"), (":authority", a.authority)]),
        ("empty :path", [(":method", "GET"), (":scheme", sch), (":path", ""),
                         (":authority", a.authority)]),
        (":status in a request", [(":status", "200"), (":method", "GET"), (":scheme", sch),
                                  (":path", "/"), (":authority", a.authority)]),
    ]
    for name, fields in bad:
        c = Conn(a)
        c.send(c.headers(1, fields))
        ok, why = stream_error(c, 1)
        t.check("§8.3 malformed: %s: PROTOCOL_ERROR" % name, ok, why)
        c.close()
    c = Conn(a)
    c.send(c.request(1, method="POST", extra=[("content-length", "10")], end_stream=False))
    c.send(DataFrame(1, data=b"abc", flags=["END_STREAM"]))
    ok, why = stream_error(c, 1)
    t.check("§8.1.1 content-length 10 with 3 bytes of DATA: PROTOCOL_ERROR", ok, why)
    c.close()


def case_limits(t, a):
    c = Conn(a)
    c.send(c.request(1, path="/" + "a" * 20000))
    r = c.response(1)
    t.check("a :path over MaxUrlLength: 414 (or refused)", r[0] in (414, "rst", "goaway")
            or r[0] == 431, repr(r[0]))
    c.close()
    c = Conn(a)
    c.send(c.request(1, extra=[("x-big", "v" * 14000), ("x-big2", "v" * 14000)]))
    r = c.response(1)
    t.check("a head over MaxRequestBytes: 431 (or refused)", r[0] in (431, "rst", "goaway"),
            repr(r[0]))
    c.close()
    t.check("served after the limits", *served(a))


def flood(c, frame, n):
    """Sends frame n times, reading what comes back; 1 when the server
    ended the connection."""
    data = frame.serialize()
    for i in range(n):
        try:
            c.send_raw(data * 10)
        except Closed:
            return True
        if i % 20 == 0:
            f = c.until(lambda f: isinstance(f, GoAwayFrame), 0.01)
            if f is not None or c.closed:
                return True
    return c.until(lambda f: isinstance(f, GoAwayFrame), 3) is not None or c.closed


def case_defences(t, a):
    c = Conn(a)
    t.check("a PING flood ends the connection", flood(c, PingFrame(0, opaque_data=b"p" * 8),
                                                      1000), "still open")
    c.close()
    t.check("others are served after the PING flood", *served(a))

    c = Conn(a)
    t.check("a SETTINGS flood ends the connection", flood(c, SettingsFrame(0), 1000),
            "still open")
    c.close()

    c = Conn(a)
    c.send(c.request(1, method="POST", end_stream=False))
    t.check("an empty-DATA flood ends the connection", flood(c, DataFrame(1, data=b""), 1000),
            "still open")
    c.close()

    c = Conn(a)
    ended = False
    sid = 1
    for i in range(1000):
        try:
            c.send(c.request(sid), RstStreamFrame(sid, error_code=CANCEL))
        except Closed:
            ended = True
            break
        sid += 2
        if i % 20 == 0:
            f = c.until(lambda f: isinstance(f, GoAwayFrame), 0.01)
            if f is not None or c.closed:
                ended = True
                break
    ended = ended or c.until(lambda f: isinstance(f, GoAwayFrame), 3) is not None or c.closed
    t.check("rapid reset (CVE-2023-44487) ends the connection", ended, "still open")
    c.close()
    t.check("others are served after rapid reset", *served(a))

    c = Conn(a)
    h = c.request(1, end_stream=True)
    h.flags.discard("END_HEADERS")
    c.send(h)
    ended = False
    for i in range(2000):
        cont = ContinuationFrame(1)
        cont.data = c.enc.encode([("x-c%d" % i, "v")])
        try:
            c.send(cont)
        except Closed:
            ended = True
            break
        if i % 50 == 0:
            if c.until(lambda f: isinstance(f, GoAwayFrame), 0.01) is not None or c.closed:
                ended = True
                break
    ended = ended or c.until(lambda f: isinstance(f, GoAwayFrame), 3) is not None or c.closed
    t.check("a CONTINUATION flood ends the connection", ended, "still open")
    c.close()
    t.check("others are served after the CONTINUATION flood", *served(a))


CASES = [case_settings_first, case_get, case_ping_settings, case_unknown_and_priority,
         case_frame_errors, case_header_rules, case_limits, case_defences]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("--tls", action="store_true")
    p.add_argument("--authority")
    p.add_argument("--path", default="/")
    p.add_argument("--only")
    p.add_argument("--known", action="append", default=[],
                   help="a case (by a word of its name) where the server is "
                   "known to differ, with the reason documented")
    a = p.parse_args()
    a.authority = a.authority or "%s:%d" % (a.host, a.port)
    t = Run(a)
    for case in CASES:
        if a.only and a.only not in case.__name__:
            continue
        try:
            case(t, a)
        except Exception as e:  # a case that breaks is a failure, not a stop
            t.check(case.__name__, False, "%s: %s" % (type(e).__name__, e))
    print("1..%d" % t.n)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
