"""A blocking, frame-at-a-time client of hsysd, for tools and tests.

hsys.client is what applications use: asyncio, credit kept for them,
reconnection. This module is the other end of the scale: plain blocking
sockets and whole frames, so that a test or a tool can send exactly what
it wants — frames out of order, wrong lengths, a type hsysd does not
expect, a HELLO with a bad magic — and read exactly what comes back. It
keeps no state beyond the session's ids and does nothing on its own
(no credit, no reconnection).

The frames are hsys.protocol's (re-exported here with its constants), so
the layout is written once, in hsys.protocol; raw bytes can always be
sent with Conn.send().

    from hsys.raw import *
    s = Session("probe")                 # HELLO, WELCOME
    s.open_channels()                    # one Conn per worker
    r = s.queue_create()                 # ("ok", b"...") or ("error", code, msg)
    s.prefix_add(queue_id(r[1]), "http://+:8080/p/")
    ftype, flags, rid, p = s.channels[0].recv_frame()
    if ftype == REQUEST:
        req = parse_request(p)           # a dict (hsys.protocol)
        s.channels[0].send(frame(RESPONSE, rid, response(200, end=True)))
"""
import os
import socket
import struct

from .protocol import *  # noqa: F401,F403 (constants and codecs)
from .protocol import (CHANNEL, GOAWAY, HEADER, HEADER_SIZE, HELLO,
                       PREFIX_ADD, PREFIX_REMOVE, QUEUE_ALLOW_GID,
                       QUEUE_ALLOW_UID, QUEUE_ATTACH, QUEUE_CLOSE,
                       QUEUE_CREATE, QUEUE_F_NAMED, QUEUE_SET, OK, WELCOME,
                       channel, frame, frame_size, hello, parse_error,
                       parse_welcome, prefix_op, queue_attach, queue_close,
                       queue_create, queue_set)

error_of = parse_error          # (errno code, message) of an ERROR


def sock_path():
    """hsysd's socket: $HSYS_HOME/hsysd.sock, else /run/hsys/hsysd.sock
    (as hsys.socket_path(), without importing asyncio)."""
    home = os.environ.get("HSYS_HOME")
    return os.path.join(home, "hsysd.sock") if home else \
        "/run/hsys/hsysd.sock"


class Conn:
    """One blocking connection to hsysd's socket, read a frame at a time."""

    def __init__(self, path=None, timeout=5):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path or sock_path())
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def recv_frame(self):
        """(type, flags, id, payload bytes), or None at the end of the
        stream. Any length is taken: a test reads what hsysd sends."""
        while True:
            if len(self.buf) >= HEADER_SIZE:
                length, ftype, flags, fid = HEADER.unpack_from(self.buf)
                size = frame_size(length)
                if len(self.buf) >= size:
                    payload = self.buf[HEADER_SIZE:HEADER_SIZE + length]
                    self.buf = self.buf[size:]
                    return ftype, flags, fid, payload
            data = self.s.recv(65536)
            if not data:
                return None
            self.buf += data

    def has_frame(self):
        """Is a whole frame already buffered (so select() will not say)?"""
        if len(self.buf) < HEADER_SIZE:
            return False
        return len(self.buf) >= frame_size(HEADER.unpack_from(self.buf)[0])

    def close(self):
        self.s.close()


class Session:
    """HELLO and WELCOME on a blocking control connection, then operations
    one at a time. WELCOME's fields are attributes (version, workers,
    max_frame, window, max_waiting, id, key, generation, features).
    Raises RuntimeError when hsysd does not welcome it."""

    def __init__(self, name="test", hello_flags=0, path=None):
        self.path = path
        self.ctl = Conn(path)
        self.ctl.send(frame(HELLO, 0, hello(name, hello_flags)))
        f = self.ctl.recv_frame()
        if f is None or f[0] != WELCOME:
            raise RuntimeError("no WELCOME: %r" %
                               (f and (parse_error(f[3]),)))
        w = parse_welcome(f[3])
        self.welcome = w
        (self.version, self.workers, self.max_frame, self.window,
         self.max_waiting, self.id, self.key, self.generation,
         self.features) = (w["version"], w["workers"], w["max_frame"],
                           w["window"], w["max_waiting"], w["session"],
                           w["key"], w["generation"], w["features"])
        self.channels = []
        self.op = 0
        self.goaway = False

    def channel(self, index, key=None, sid=None):
        """A data channel (CHANNEL with this session's id and key, unless
        others are given)."""
        c = Conn(self.path)
        c.send(frame(CHANNEL, 0, channel(self.id if sid is None else sid,
                                         self.key if key is None else key,
                                         index)))
        return c

    def open_channels(self):
        self.channels = [self.channel(i) for i in range(self.workers)]

    def call(self, ftype, payload):
        """Sends an operation; returns ("ok", payload), ("error", code,
        message), or ("closed",). A GOAWAY meanwhile sets `goaway`."""
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
        return ("error",) + parse_error(p)

    def queue_create(self, name="", flags=None, max_waiting=0):
        if flags is None:
            flags = QUEUE_F_NAMED if name else 0
        return self.call(QUEUE_CREATE, queue_create(name, flags,
                                                    max_waiting))

    def queue_attach(self, name):
        """name: this user's queue; "owner/name": another user's (owner a
        user name or a uid), which must allow this user."""
        return self.call(QUEUE_ATTACH, queue_attach(name))

    def queue_allow(self, qid, uid):
        return self.queue_set(qid, QUEUE_ALLOW_UID, uid)

    def queue_allow_group(self, qid, gid):
        return self.queue_set(qid, QUEUE_ALLOW_GID, gid)

    def queue_close(self, qid):
        return self.call(QUEUE_CLOSE, queue_close(qid))

    def queue_set(self, qid, prop, value):
        return self.call(QUEUE_SET, queue_set(qid, prop, value))

    def prefix_add(self, qid, prefix):
        return self.call(PREFIX_ADD, prefix_op(qid, prefix))

    def prefix_remove(self, qid, prefix):
        return self.call(PREFIX_REMOVE, prefix_op(qid, prefix))


def queue_id(ok):
    """The queue id in the OK of QUEUE_CREATE or QUEUE_ATTACH."""
    return struct.unpack_from("<I", ok)[0]
