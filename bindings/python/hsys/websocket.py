"""RFC 6455 WebSocket framing, for the server side of a 101 tunnel.

hsys.asgi uses it so that applications see ASGI WebSocket events, never
frames. Pure functions and a small incremental parser; no I/O.
"""
import base64
import hashlib
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
MAX_MESSAGE = 16 << 20


class WebSocketError(Exception):
    """The client broke RFC 6455; `code` is the close code to send."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code, self.reason = code, reason


def accept_key(key):
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key."""
    return base64.b64encode(hashlib.sha1(key.strip() + GUID).digest())


def encode(opcode, payload=b"", fin=True):
    """A server frame (never masked)."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | opcode
    if n < 126:
        head = struct.pack("!BB", b0, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", b0, 126, n)
    else:
        head = struct.pack("!BBQ", b0, 127, n)
    return head + bytes(payload)


def close_payload(code, reason=""):
    return struct.pack("!H", code) + reason.encode()[:123]


def _unmask(data, mask):
    if not data:
        return b""
    n = len(data)
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(data, "big") ^ key).to_bytes(n, "big")


class Parser:
    """Turns the client's bytes into messages: feed() returns a list of
    (opcode, payload) for whole messages (TEXT, BINARY) and control frames
    (CLOSE, PING, PONG). Raises WebSocketError on a protocol error."""

    def __init__(self, max_message=MAX_MESSAGE):
        self.buf = bytearray()
        self.parts = []
        self.opcode = None
        self.size = 0
        self.max_message = max_message

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            f = self._frame()
            if f is None:
                return out
            fin, opcode, payload = f
            if opcode >= 0x8:
                if not fin or len(payload) > 125:
                    raise WebSocketError(1002, "a bad control frame")
                out.append((opcode, payload))
                continue
            if opcode == CONT:
                if self.opcode is None:
                    raise WebSocketError(1002, "a continuation of nothing")
            elif self.opcode is not None:
                raise WebSocketError(1002, "a new message inside another")
            else:
                self.opcode = opcode
            self.parts.append(payload)
            self.size += len(payload)
            if self.size > self.max_message:
                raise WebSocketError(1009, "the message is too big")
            if fin:
                msg = b"".join(self.parts)
                op, self.opcode, self.parts, self.size = \
                    self.opcode, None, [], 0
                out.append((op, msg))

    def _frame(self):
        b = self.buf
        if len(b) < 2:
            return None
        fin, rsv, opcode = b[0] & 0x80, b[0] & 0x70, b[0] & 0x0F
        masked, n = b[1] & 0x80, b[1] & 0x7F
        if rsv:
            raise WebSocketError(1002, "reserved bits set")
        if opcode not in (CONT, TEXT, BINARY, CLOSE, PING, PONG):
            raise WebSocketError(1002, "unknown opcode %d" % opcode)
        if not masked:
            raise WebSocketError(1002, "a client frame must be masked")
        at = 2
        if n == 126:
            if len(b) < 4:
                return None
            n = struct.unpack_from("!H", b, 2)[0]
            at = 4
        elif n == 127:
            if len(b) < 10:
                return None
            n = struct.unpack_from("!Q", b, 2)[0]
            at = 10
        if n > self.max_message:
            raise WebSocketError(1009, "the frame is too big")
        if len(b) < at + 4 + n:
            return None
        mask = bytes(b[at:at + 4])
        payload = _unmask(bytes(b[at + 4:at + 4 + n]), mask)
        del b[:at + 4 + n]
        return bool(fin), opcode, payload
