"""A small client of the hsys wire protocol (docs/protocol.md), for tests.

It is written from the document alone, so that the document is known to be
enough to write a client in another language.
"""
import os
import socket
import struct

HELLO, WELCOME, CHANNEL, ERROR, OK = 0x1, 0x2, 0x3, 0x4, 0x5
QUEUE_CREATE, QUEUE_ATTACH, PREFIX_ADD, PREFIX_REMOVE, QUEUE_CLOSE = \
    0x10, 0x11, 0x12, 0x13, 0x14
QUEUE_SET = 0x15
FEATURE_QUEUE_SET, FEATURE_QUEUE_ALLOW = 0x1, 0x2
QUEUE_LENGTH, QUEUE_GRACE, QUEUE_ALLOW_UID, QUEUE_ALLOW_GID = 1, 2, 3, 4
QUEUE_NAMED, QUEUE_OPEN = 0x1, 0x2
GOAWAY = 0x20
HELLO_F_GOAWAY, GOAWAY_F_RECONNECT = 0x1, 0x1
HANDOVER = 0x0F10
MAGIC = 0x53595348


def sock_path():
    home = os.environ.get("HSYS_HOME")
    return os.path.join(home, "hsysd.sock") if home else "/run/hsys/hsysd.sock"


def frame(ftype, fid=0, payload=b"", flags=0):
    pad = (-len(payload)) % 8
    return struct.pack("<IHHQ", len(payload), ftype, flags, fid) + \
        payload + b"\0" * pad


def with_strings(fixed, *strings):
    """fixed bytes, then one span per string, then the bytes area."""
    spans, area = b"", b""
    for s in strings:
        s = s.encode() if isinstance(s, str) else s
        spans += struct.pack("<II", len(area), len(s))
        area += s
    return fixed + spans + area


class Conn:
    def __init__(self, path=None, timeout=5):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path or sock_path())
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def recv_frame(self):
        """(type, flags, id, payload), or None at end of stream."""
        while True:
            if len(self.buf) >= 16:
                length, ftype, flags, fid = struct.unpack_from("<IHHQ",
                                                               self.buf)
                size = 16 + length + (-length) % 8
                if len(self.buf) >= size:
                    payload = self.buf[16:16 + length]
                    self.buf = self.buf[size:]
                    return ftype, flags, fid, payload
            data = self.s.recv(65536)
            if not data:
                return None
            self.buf += data

    def has_frame(self):
        """Is a whole frame already buffered (so select() will not say)?"""
        if len(self.buf) < 16:
            return False
        length = struct.unpack_from("<I", self.buf)[0]
        return len(self.buf) >= 16 + length + (-length) % 8

    def close(self):
        self.s.close()


def error_of(payload):
    code, _ = struct.unpack_from("<II", payload)
    off, n = struct.unpack_from("<II", payload, 8)
    return code, payload[16 + off:16 + off + n].decode()


class Session:
    def __init__(self, name="test", hello_flags=0):
        self.ctl = Conn()
        self.ctl.send(frame(HELLO, 0, with_strings(
            struct.pack("<IHHII", MAGIC, 1, 1, hello_flags, 0), name)))
        ftype, _, _, p = self.ctl.recv_frame()
        if ftype != WELCOME:
            raise RuntimeError("no WELCOME: %r" % (error_of(p),))
        (self.version, self.workers, self.max_frame, self.window,
         self.max_waiting, self.id) = struct.unpack_from("<HHIIIQ", p)
        self.key = p[24:40]
        self.generation, = struct.unpack_from("<Q", p, 40)
        self.features = struct.unpack_from("<I", p, 48)[0] \
            if len(p) >= 52 else 0
        self.channels = []
        self.op = 0
        self.goaway = False

    def channel(self, index, key=None, sid=None):
        c = Conn()
        c.send(frame(CHANNEL, 0, struct.pack("<Q16sH6x",
                                             self.id if sid is None else sid,
                                             self.key if key is None else key,
                                             index)))
        return c

    def open_channels(self):
        self.channels = [self.channel(i) for i in range(self.workers)]

    def call(self, ftype, payload):
        """Sends an operation; returns ("ok", payload) or ("error", code, msg)."""
        self.op += 1
        self.ctl.send(frame(ftype, self.op, payload))
        r = self.ctl.recv_frame()
        while r is not None and r[0] == GOAWAY:
            self.goaway = True      # noted; the caller reconnects later
            r = self.ctl.recv_frame()
        if r is None:
            return ("closed",)
        ftype, _, fid, p = r
        assert fid == self.op, (fid, self.op)
        if ftype == OK:
            return ("ok", p)
        return ("error",) + error_of(p)

    def queue_create(self, name="", flags=None, max_waiting=0):
        if flags is None:
            flags = 1 if name else 0
        return self.call(QUEUE_CREATE, with_strings(
            struct.pack("<II", flags, max_waiting), name))

    def queue_attach(self, name):
        """name: this user's queue; "owner/name": another user's (owner a
        user name or a uid), which must allow this user."""
        return self.call(QUEUE_ATTACH, with_strings(b"", name))

    def queue_allow(self, qid, uid):
        return self.queue_set(qid, QUEUE_ALLOW_UID, uid)

    def queue_allow_group(self, qid, gid):
        return self.queue_set(qid, QUEUE_ALLOW_GID, gid)

    def queue_close(self, qid):
        return self.call(QUEUE_CLOSE, struct.pack("<I", qid))

    def queue_set(self, qid, prop, value):
        return self.call(QUEUE_SET, struct.pack("<IIII", qid, prop, value, 0))

    def prefix_add(self, qid, prefix):
        return self.call(PREFIX_ADD, with_strings(struct.pack("<I4x", qid),
                                                  prefix))


REQUEST, REQ_DATA, REQ_CREDIT = 0x100, 0x101, 0x102
RESPONSE, RESP_DATA, RESP_CREDIT, CANCEL = 0x110, 0x111, 0x112, 0x113
END = 0x8000
SPANS = ["method", "raw_url", "path", "query", "host", "prefix", "tls",
         "sni", "client_cert"]


def parse_request(p):
    """A REQUEST payload as a dict (docs/protocol.md)."""
    r = {}
    (r["queue"], r["method_code"], vmaj, vmin, n, r["flags"]) = \
        struct.unpack_from("<IHBBHH", p)
    r["version"] = (vmaj, vmin)
    r["content_length"], r["connection_id"] = struct.unpack_from("<QQ", p, 16)
    area = 144 + 16 * n

    def addr(off):
        fam, port = struct.unpack_from("<HH", p, off)
        raw = p[off + 4:off + 20]
        if fam == 2:
            return (socket.inet_ntop(socket.AF_INET, raw[:4]), port)
        if fam == 10:
            return (socket.inet_ntop(socket.AF_INET6, raw), port)
        return None
    r["peer"], r["local"] = addr(32), addr(52)
    for i, name in enumerate(SPANS):
        off, ln = struct.unpack_from("<II", p, 72 + 8 * i)
        r[name] = p[area + off:area + off + ln]
    r["headers"] = []
    for i in range(n):
        no, nl, vo, vl = struct.unpack_from("<IIII", p, 144 + 16 * i)
        r["headers"].append((p[area + no:area + no + nl],
                             p[area + vo:area + vo + vl]))
    return r


def response(status, headers=(), end=False, reason=b""):
    headers = [(k.encode() if isinstance(k, str) else k,
                v.encode() if isinstance(v, str) else v) for k, v in headers]
    table, area = b"", reason
    for k, v in headers:
        table += struct.pack("<II", len(area), len(k))
        area += k
        table += struct.pack("<II", len(area), len(v))
        area += v
    # The reason phrase starts the bytes area; each table entry is
    # (name_off, name_len, value_off, value_len).
    fixed = struct.pack("<HHIII", status, len(headers), 1 if end else 0,
                        0, len(reason))
    return fixed + table + area
